"""Every case of suites/ehlo.suite against the fake SMTP server.

Each case runs against a conforming scenario (it must pass, or skip where
its precondition is a choice the server may make), and against scenarios
that break exactly the rule the case checks: the case must then earn the
verdict of that rule's keyword (MUST/ABNF fail, SHOULD warn, MAY/none
info) and cite the rule.  Every control and precondition has a scenario
that breaks it: the case must then skip, never be judged.

    /usr/bin/python3 -m unittest tests/suites/test_ehlo.py
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suitetest import assert_deviations_caught, rule, rules, run_case  # noqa: E402

SUITE = "ehlo"

# The fake server's default EHLO keywords: PIPELINING, SIZE 10240000,
# 8BITMIME, HELP; HELP gets 214, EXPN 502, a second EHLO 250.


def keywords(*kw, **more):
    """A scenario whose EHLO reply lists exactly kw."""
    return dict(more, ehlo_keywords=list(kw))


def with_keywords(kw, *rs):
    return dict(rules(*rs), ehlo_keywords=list(kw))


# The first EHLO of a connection gets the default reply, later ones CODE.
def second_ehlo(code, text="x"):
    return rules(rule("^EHLO", code, state="ready", text=text))


DEVIATIONS = {
    "reply-syntax": [
        (None, "pass", None),
        ({"ehlo_reply": "250-***\r\n250 8BITMIME\r\n"}, "fail",
         "5321-4.1.1.1-ehlo-ok-rsp-abnf"),
        ({"ehlo_reply": "250 \r\n"}, "fail", "5321-4.1.1.1-ehlo-ok-rsp-abnf"),
        # an address literal in place of the domain is not judged
        ({"ehlo_reply": "250-[127.0.0.1]\r\n250 8BITMIME\r\n"}, "pass", None),
        (rules(rule("^EHLO", 550, text="go away")), "skip", "precondition not met")],
    "keyword-syntax": [
        (None, "pass", None),
        (keywords("PIPE_LINING"), "fail", "5321-4.1.1.1-ehlo-keyword-abnf"),
        (keywords("-PIPELINING"), "fail", "5321-4.1.1.1-ehlo-keyword-abnf"),
        # the old form for pre-RFC 2554 clients: "=" is not in ehlo-keyword
        (keywords("AUTH PLAIN LOGIN", "AUTH=PLAIN LOGIN"), "fail",
         "5321-4.1.1.1-ehlo-keyword-abnf"),
        (keywords("SIZE  1000"), "fail", "5321-4.1.1.1-ehlo-param-abnf"),
        (keywords("x-local", "8bitmime"), "pass", None)],
    "keywords-registered": [
        (None, "pass", None),
        (keywords("XSHADOW", "X-ANONYMOUSTLS", "8BITMIME", "smtputf8"), "pass", None),
        (keywords("FOOBAR"), "fail", "5321-2.2.2-registered-keywords"),
        # a keyword that breaks the grammar is judged by keyword-syntax only
        (keywords("AUTH=PLAIN"), "pass", None)],
    "duplicate-keywords": [
        (None, "pass", None),
        (keywords("SIZE 1000", "SIZE 2000"), "pass", None)],
    "params": [
        (None, "pass", None),
        (keywords("SIZE", "SIZE 0", "AUTH PLAIN LOGIN CRAM-MD5", "PIPELINING", "CHUNKING"),
         "pass", None),
        (keywords("SIZE ten"), "fail", "1870-3-size-param"),
        (keywords("SIZE 10 20"), "fail", "1870-3-size-param"),
        (keywords("AUTH"), "info", "4954-3-auth-mechanisms"),
        (keywords("AUTH PLAIN LOGIN!"), "info", "4954-3-auth-mechanisms"),
        (keywords("PIPELINING yes"), "info", "2920-2-pipelining-no-param"),
        (keywords("8BITMIME yes"), "info", "6152-2-8bitmime-no-param"),
        (keywords("DSN x"), "info", "3461-2-dsn-no-param"),
        (keywords("STARTTLS x"), "info", "3207-2-starttls-no-param"),
        (keywords("SMTPUTF8 x"), "fail", "6531-3.1-smtputf8-no-param")],
    "lowercase": [
        (None, "pass", None),
        (rules(rule("(?-i:^ehlo )", 500, text="unrecognized")), "fail",
         "5321-2.4-verbs-any-case"),
        (rules(rule("(?-i:^ehlo )", 502, text="not implemented")), "fail",
         "5321-2.4-verbs-any-case"),
        # a second EHLO may be refused (§4.1.4), but with 501, 500, 502 or
        # 550: a 503 breaks that MUST (automatic, not the case's rule)
        (second_ehlo(503, "already said hello"), "fail", "5321-4.1.4-ehlo-refusal-codes"),
        (second_ehlo(550, "already said hello"), "pass", None),
        # lower case accepted... no: every EHLO refused with 550, which is
        # not "not recognized": the probe passes, and the control after it
        # changes nothing
        (rules(rule("^EHLO", 550, text="go away")), "pass", None),
        # every EHLO "not recognized": the control (upper case) is refused
        # too, so the probe's refusal is not about case: inconclusive
        (rules(rule("^EHLO", 500, text="unrecognized")), "skip", "inconclusive")],
    "address-literal": [
        (None, "pass", None),
        (rules(rule(r"^EHLO \[", 550, text="no literals")), "info",
         "5321-4.1.3-literal-allowed"),
        (rules(rule(r"^EHLO \[", 501, text="no literals")), "info",
         "5321-4.1.3-literal-allowed"),
        # the control: EHLO with a domain refused too
        (rules(rule("^EHLO", 550, text="go away")), "skip", "inconclusive"),
        # the literal accepted, the control (now a second EHLO) refused: the
        # probe passed, and a refused control after it changes nothing
        (second_ehlo(550), "pass", None)],
    "twice": [
        (None, "pass", None),
        # §4.1.4 lets a server refuse a second EHLO with 501, 500, 502, 550
        (second_ehlo(550, "already said hello"), "pass", None),
        (second_ehlo(502), "pass", None),
        # 503 is not one of them: §4.1.4's MUST, judged automatically, once
        (second_ehlo(503, "already said hello"), "fail", "5321-4.1.4-ehlo-refusal-codes"),
        (rules({"match": "^EHLO", "state": "ready", "action": "close"}), "fail",
         "5321-3.8-no-close"),
        (rules(rule("^EHLO", 550, text="go away")), "skip", "precondition not met")],
    "helo-fallback": [
        (None, "pass", None),
        (rules({"match": "^HELO", "reply": "250-fake.test\r\n250 PIPELINING\r\n"}), "fail",
         "5321-3.2-helo-not-extended"),
        # a multiline HELO reply of plain text is fine
        (rules({"match": "^HELO", "reply": "250-fake.test\r\n250 Hello there\r\n"}), "pass",
         None),
        (rules(rule("^HELO", 550, text="go away")), "skip", "precondition not met")],
    "helo-after-ehlo": [
        (None, "pass", None),
        (rules({"match": "^HELO", "reply": "250-fake.test\r\n250 8BITMIME\r\n"}), "fail",
         "5321-3.2-helo-not-extended"),
        (rules(rule("^HELO", 550, state="ready", text="already said hello")), "skip",
         "precondition not met")],
    "help-advertised": [
        (None, "pass", None),
        (rules(rule("^HELP", 504, text="no topics")), "pass", None),
        (keywords("8BITMIME"), "skip", "does not advertise HELP"),
        (rules(rule("^HELP", 502, text="not here")), "fail",
         "5321-4.2.4-no-unimplemented-capabilities"),
        (rules(rule("^HELP", 500, text="what?")), "fail",
         "5321-4.2.4-no-unimplemented-capabilities")],
    "expn-advertised": [
        (keywords("EXPN"), "fail", "5321-4.2.4-no-unimplemented-capabilities"),  # EXPN 502
        (with_keywords(["EXPN"], rule("^EXPN", 252, text="cannot expand")), "pass", None),
        (with_keywords(["EXPN"], rule("^EXPN", 550, text="access denied")), "pass", None),
        (None, "skip", "does not advertise EXPN")],
    "help-implemented-is-advertised": [
        (None, "pass", None),
        (keywords("8BITMIME"), "fail", "5321-4.1.1.1-ehlo-lists-commands"),
        (with_keywords(["8BITMIME"], rule("^HELP", 211, text="status")), "fail",
         "5321-4.1.1.1-ehlo-lists-commands"),
        # a 2yz that is not a help reply shows nothing
        (with_keywords(["8BITMIME"], rule("^HELP", 250, text="Not implemented")), "warn",
         "5321-4.3.1-command-codes"),
        (with_keywords(["8BITMIME"], rule("^HELP", 502, text="no")), "skip",
         "precondition not met")],
    "expn-implemented-is-advertised": [
        (None, "skip", "precondition not met"),     # EXPN 502
        (with_keywords(["EXPN"], rule("^EXPN", 250, text="<postmaster@fake.test>")), "pass",
         None),
        (rules(rule("^EXPN", 250, text="<postmaster@fake.test>")), "fail",
         "5321-3.5.2-expn-listed"),
        (rules(rule("^EXPN", 252, text="cannot expand")), "skip", "precondition not met")],
}


class EhloSuite(unittest.TestCase):
    def test_deviations_caught(self):
        assert_deviations_caught(self, SUITE, {
            cid: [(s, v, w) for s, v, w in cases if v != "pass"]
            for cid, cases in DEVIATIONS.items()})

    def test_conforming_variants_pass(self):
        for cid, cases in sorted(DEVIATIONS.items()):
            for scenario, verdict, _ in cases:
                if verdict != "pass":
                    continue
                with self.subTest(case=cid, scenario=scenario):
                    rc, case = run_case(SUITE, cid, scenario)
                    self.assertEqual(case["verdict"], "pass", case["reason"])

    def test_duplicate_keywords_are_noted_not_judged(self):
        rc, case = run_case(SUITE, "duplicate-keywords", keywords("SIZE 1000", "SIZE 2000"))
        self.assertEqual(case["verdict"], "pass", case["reason"])
        ehlo = case["exchanges"][1]
        self.assertIn("listed twice", ehlo["reason"] + " ".join(
            f["message"] for f in ehlo.get("findings", [])))
        rc, case = run_case(SUITE, "duplicate-keywords")
        self.assertEqual(case["exchanges"][1].get("findings", []), [])

    def test_every_case_is_tested(self):
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                               "suites", "ehlo.suite"), encoding="utf-8") as f:
            ids = {line.split()[1] for line in f if line.startswith("case ")}
        self.assertEqual(ids, set(DEVIATIONS))


if __name__ == "__main__":
    unittest.main()
