"""Every case of suites/sequence.suite against the fake SMTP server.

Each case runs twice: against a conforming scenario (it must pass; the
greeting-refuse cases must skip there and pass against a conforming
server that greets 554), and against a scenario that breaks exactly the
rule the case checks (a MUST case must fail, a SHOULD case must warn, and
the reason must name the code the server sent).

    /usr/bin/python3 -m unittest tests/suites/test_sequence.py
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suitetest import assert_deviations_caught, reply, rule, rules, run_cases, run_many  # noqa: E402

SUITE = "sequence"




# The default fake server answers DATA after MAIL without RCPT with 554;
# that is conforming, but data-without-rcpt-keeps-transaction then skips.
# With 503 (also conforming) every non-refuse case passes.
CONFORMING = rules(rule("^DATA$", 503, state="mail", text="need RCPT"))

GREETING_554 = reply(554, "fake.test no SMTP service here")
REFUSING = rules(rule("^(?!QUIT)", 503, text="bad sequence of commands"),
                 greeting=GREETING_554)


def refused(*rs):
    return rules(*rs, greeting=GREETING_554)


# A second MAIL in state "ready" gets 503: the first MAIL passes (times 1,
# default reply), the second one is refused as if the reset never happened.
SECOND_MAIL_503 = [{"match": "^MAIL", "state": "ready", "times": 1},
                   rule("^MAIL", 503, state="ready", text="nested MAIL")]
RCPT_WITHOUT_MAIL_OK = rule("^RCPT", 250, state=["init", "ready"])
DATA_354 = {"match": "^DATA", "reply": reply(354, "go ahead")}

# case -> [(deviating scenario, expected verdict, text the reason must contain)]
DEVIATIONS = {
    "rcpt-before-mail": [(rules(RCPT_WITHOUT_MAIL_OK), "fail", "got 250")],
    "rcpt-before-ehlo": [(rules(RCPT_WITHOUT_MAIL_OK), "fail", "got 250")],
    "data-before-mail": [(rules(DATA_354), "fail", "got 354")],
    "data-before-ehlo": [(rules(DATA_354), "fail", "got 354")],
    "data-without-rcpt": [(rules(DATA_354), "warn", "got 354")],
    "data-without-rcpt-keeps-transaction": [
        (rules(rule("^DATA$", 503, state="mail"), rule("^RCPT", 503, state="mail")),
         "fail", "got 503")],
    "data-after-rejected-rcpt": [(rules(DATA_354), "warn", "got 354")],
    "data-after-rejected-rcpt-param": [(rules(DATA_354), "warn", "got 354")],
    "second-mail": [(rules(rule("^MAIL", 501, state="mail")), "fail", "got 501")],
    "second-mail-keeps-transaction": [
        (rules(rule("^RCPT", 503, state="mail")), "fail", "got 503")],
    "mail-before-ehlo": [(rules(rule("^MAIL", 550, state="init")), "warn", "got 550")],
    "mail-before-ehlo-keeps-state": [(rules(RCPT_WITHOUT_MAIL_OK), "fail", "got 250")],
    "ehlo-after-refused-mail": [
        (rules(rule("^MAIL", 503, state="ready")), "fail", "got 503"),
        (rules(rule("^EHLO", 503, state="init")), "fail", "got 503")],
    "rcpt-after-rset": [(rules(RCPT_WITHOUT_MAIL_OK), "fail", "got 250")],
    "data-after-rset": [(rules(dict(DATA_354, state="ready")), "fail", "got 354")],
    "mail-after-rset": [(rules(*SECOND_MAIL_503), "fail", "got 503")],
    "rcpt-after-ehlo": [(rules(RCPT_WITHOUT_MAIL_OK), "fail", "got 250")],
    "data-after-ehlo": [(rules(dict(DATA_354, state="ready")), "fail", "got 354")],
    "mail-after-ehlo": [(rules(*SECOND_MAIL_503), "fail", "got 503")],
    "rcpt-after-helo": [(rules(RCPT_WITHOUT_MAIL_OK), "warn", "got 250")],
    "rejected-mail-syntax-keeps-state": [
        (rules(RCPT_WITHOUT_MAIL_OK), "fail", "got 250"),
        (rules(rule("^MAIL FROM <", 555)), "fail", "got 555")],
    "rejected-mail-param-keeps-state": [(rules(RCPT_WITHOUT_MAIL_OK), "fail", "got 250")],
    "rejected-mail-then-mail": [(rules(rule("^MAIL FROM:<[^@]", 503)), "fail", "got 503")],
    "noop-before-ehlo": [(rules(rule("^NOOP", 503, state="init")), "warn", "got 503")],
    "help-before-ehlo": [(rules(rule("^HELP", 503, state="init")), "warn", "got 503")],
    "vrfy-before-ehlo": [(rules(rule("^VRFY", 503, state="init")), "warn", "got 503")],
    "expn-before-ehlo": [(rules(rule("^EXPN", 503, state="init")), "warn", "got 503")],
    "rset-before-ehlo": [(rules(rule("^RSET", 503, state="init")), "warn", "got 503")],
    "noop-in-transaction": [
        (rules(rule("^NOOP", 503, state="mail")), "warn", "got 503"),
        (rules(rule("^RCPT", 503, state="mail")), "fail", "got 503")],
    "help-in-transaction": [
        (rules(rule("^HELP", 503, state="mail")), "warn", "got 503"),
        (rules(rule("^RCPT", 503, state="mail")), "fail", "got 503")],
    "vrfy-in-transaction": [
        (rules(rule("^VRFY", 503, state="mail")), "warn", "got 503"),
        (rules(rule("^RCPT", 503, state="mail")), "fail", "got 503")],
    "expn-in-transaction": [
        (rules(rule("^EXPN", 503, state="mail")), "warn", "got 503"),
        (rules(rule("^RCPT", 503, state="mail")), "fail", "got 503")],
    "vrfy-after-rcpt": [
        (rules(rule("^VRFY", 503, state="rcpt")), "warn", "got 503"),
        (rules(rule("^RCPT", 503, state="rcpt")), "fail", "got 503")],
    "quit-in-transaction": [(rules(rule("^QUIT", 250, state="mail")), "fail", "got 250")],
    "quit-before-ehlo": [(rules(rule("^QUIT", 250, state="init")), "fail", "got 250")],
    # refusing servers: the fake's default state machine answers normally
    "refused-ehlo": [(refused(), "warn", "got 250")],
    "refused-helo": [(refused(), "warn", "got 250")],
    "refused-mail": [(refused(rule("^MAIL", 250)), "warn", "got 250")],
    "refused-rcpt": [(refused(rule("^RCPT", 554)), "fail", "got 554")],
    "refused-data": [(refused(rule("^DATA", 554)), "warn", "got 554"),
                     (refused(DATA_354), "fail", "got 354")],
    "refused-noop": [(refused(), "warn", "got 250"),
                     # closing instead of waiting for QUIT (§3.1 MUST)
                     (refused({"match": "^NOOP", "action": "close"}), "fail",
                      "closed the connection before QUIT")],
    "refused-rset": [(refused(), "warn", "got 250")],
    "refused-vrfy": [(refused(), "warn", "got 252")],
    "refused-quit": [(refused(rule("^QUIT", 554)), "fail", "got 554")],
    "refused-quit-after-commands": [(refused(rule("^QUIT", 554)), "fail", "got 554")],
}


class SequenceSuite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rc, cls.cases = run_cases(SUITE, CONFORMING)
        cls.refusing_rc, cls.refusing = run_cases(SUITE, REFUSING)

    def test_every_case_has_a_deviation(self):
        self.assertEqual(sorted(self.cases), sorted(DEVIATIONS))

    def test_conforming_server_passes(self):
        for cid, case in self.cases.items():
            with self.subTest(case=cid):
                want = "skip" if cid.startswith("refused-") else "pass"
                self.assertEqual(case["verdict"], want, case["reason"])
        self.assertEqual(self.rc, 0)

    def test_conforming_refusing_server_passes_refuse_cases(self):
        for cid, case in self.refusing.items():
            with self.subTest(case=cid):
                want = "pass" if cid.startswith("refused-") else "skip"
                self.assertEqual(case["verdict"], want, case["reason"])
        self.assertEqual(self.refusing_rc, 0)

    def test_deviating_server_is_caught(self):
        assert_deviations_caught(self, SUITE, DEVIATIONS)


if __name__ == "__main__":
    unittest.main()
