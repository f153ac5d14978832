"""Every case of suites/sequence.suite against the fake SMTP server.

Each case runs against a conforming scenario (it must pass; the
greeting-refuse cases must skip there and pass against a conforming
server that greets 554), and against scenarios that break exactly the
rule the case checks: the case must then earn the verdict of that rule's
keyword (MUST fail, SHOULD warn, MAY/none info) and cite the rule.  Every
control step has a scenario that breaks the control: the case must then
be inconclusive (skip), never judged.

    /usr/bin/python3 -m unittest tests/suites/test_sequence.py
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suitetest import assert_conforming, assert_deviations_caught, reply, rule, rules, run_cases  # noqa: E402

SUITE = "sequence"

# The default fake server answers DATA after MAIL without RCPT with 554 and
# a second MAIL with 503; both conform.  Two changes, also conforming, let
# every non-refuse case pass instead of skipping:
# - DATA without RCPT gets 503 (data-without-rcpt-keeps-transaction needs
#   a 503 to check that the transaction is still open);
# - a MAIL after an accepted RCPT gets 250 and starts a new transaction,
#   dropping the recipients (second-mail-clears-recipients checks that).
CONFORMING = rules(rule("^DATA$", 503, state="mail", text="need RCPT"),
                   rule("^MAIL", 250, state="rcpt", text="new transaction"))

GREETING_554 = reply(554, "fake.test no SMTP service here")
REFUSING = rules(rule("^(?!QUIT)", 503, text="bad sequence of commands"),
                 greeting=GREETING_554)


def refused(*rs):
    return rules(*rs, greeting=GREETING_554)


def first_then(match, state, code):
    """The first MATCH in STATE gets the default reply, later ones CODE."""
    return [{"match": match, "state": state, "times": 1}, rule(match, code, state=state)]


RCPT_WITHOUT_MAIL_OK = rule("^RCPT", 250, state=["init", "ready"])
RCPT_WITHOUT_MAIL_550 = rule("^RCPT", 550, state=["init", "ready"])
DATA_354 = {"match": "^DATA", "reply": reply(354, "go ahead")}
# DATA with no transaction, or with no recipient, answered 451 (in DATA's
# code set, so only the sequence rule judges it)
DATA_451 = rule("^DATA", 451)

# case -> [(scenario, expected verdict, rule id (fail/warn/info) or reason text (skip))]
DEVIATIONS = {
    "rcpt-before-mail": [
        (rules(RCPT_WITHOUT_MAIL_OK), "fail", "5321-3.3-rcpt-without-mail"),
        (rules(RCPT_WITHOUT_MAIL_550), "fail", "5321-3.3-rcpt-without-mail")],
    "rcpt-before-ehlo": [
        (rules(RCPT_WITHOUT_MAIL_OK), "fail", "5321-3.3-rcpt-without-mail")],
    "data-before-mail": [(rules(DATA_451), "info", "5321-3.3-data-out-of-sequence")],
    "data-before-ehlo": [(rules(DATA_451), "info", "5321-3.3-data-out-of-sequence")],
    "data-without-rcpt": [(rules(DATA_451), "info", "5321-3.3-data-out-of-sequence")],
    "data-without-rcpt-keeps-transaction": [
        (rules(rule("^DATA$", 503, state="mail"), rule("^RCPT", 503, state="mail")),
         "fail", "5321-4.1.4-out-of-order-503"),
        # the default 554 to DATA without RCPT: the precondition is not met
        (None, "skip", "precondition not met")],
    "data-after-rejected-rcpt": [(rules(DATA_451), "info", "5321-3.3-data-out-of-sequence")],
    "data-after-rejected-rcpt-param": [
        (rules(DATA_451), "info", "5321-3.3-data-out-of-sequence")],
    "second-mail": [
        (rules(rule("^MAIL", 501, state="mail")), "fail", "5321-4.1.4-out-of-order-503"),
        (rules(rule("^MAIL", 550, state="mail")), "fail", "5321-4.1.4-out-of-order-503")],
    "second-mail-keeps-transaction": [
        (rules(rule("^RCPT", 503, state="mail")), "fail", "5321-4.1.4-out-of-order-503")],
    "second-mail-clears-recipients": [
        # the second MAIL is taken with 250 but DATA still finds a recipient
        (rules({"match": "^DATA$", "state": "mail", "times": 1},
               rule("^MAIL", 250, state="rcpt"),
               dict(DATA_354, state="mail")),
         "info", "5321-4.1.1.2-mail-clears-buffers"),
        (rules(rule("^MAIL", 501, state="rcpt")), "fail", "5321-4.1.4-out-of-order-503"),
        # control: a server that takes DATA without recipients with 354
        (rules(dict(DATA_354, state="mail")), "skip", "inconclusive")],
    "mail-before-ehlo": [
        (rules(rule("^MAIL", 501, state="init")), "fail", "5321-4.1.4-out-of-order-503"),
        # the sender is refused after EHLO too: the post-hoc control voids
        # the verdict on the MAIL before EHLO
        (rules(rule("^MAIL", 553, state=["init", "ready"])), "skip", "inconclusive"),
        # EHLO itself refused: the control cannot run, inconclusive too
        (rules(rule("^MAIL", 501, state="init"), rule("^EHLO", 550)), "skip",
         "inconclusive")],
    "mail-before-ehlo-keeps-state": [
        (rules(RCPT_WITHOUT_MAIL_OK), "fail", "5321-4.1.4-out-of-order-503"),
        (rules(RCPT_WITHOUT_MAIL_550), "fail", "5321-3.3-rcpt-without-mail")],
    "ehlo-after-refused-mail": [
        (rules(rule("^MAIL", 503, state="ready")), "fail", "5321-4.1.4-out-of-order-503"),
        (rules(rule("^EHLO", 503, state="init")), "fail", "5321-4.1.4-out-of-order-503")],
    "rcpt-after-rset": [
        (rules(RCPT_WITHOUT_MAIL_OK), "fail", "5321-4.1.1.5-rset-discards"),
        (rules(RCPT_WITHOUT_MAIL_550), "fail", "5321-3.3-rcpt-without-mail")],
    "data-after-rset": [
        (rules(*first_then("^DATA", "ready", 354)), "fail", "5321-4.1.1.5-rset-discards"),
        (rules(dict(DATA_354, state="ready")), "skip", "inconclusive")],
    "mail-after-rset": [
        (rules(*first_then("^MAIL", "ready", 503)), "fail", "5321-4.1.1.5-rset-discards")],
    "rcpt-after-ehlo": [
        (rules(RCPT_WITHOUT_MAIL_OK), "fail", "5321-4.1.4-ehlo-resets"),
        (rules(RCPT_WITHOUT_MAIL_550), "fail", "5321-3.3-rcpt-without-mail")],
    "data-after-ehlo": [
        (rules(*first_then("^DATA", "ready", 354)), "fail", "5321-4.1.4-ehlo-resets"),
        (rules(dict(DATA_354, state="ready")), "skip", "inconclusive")],
    "mail-after-ehlo": [
        (rules(*first_then("^MAIL", "ready", 503)), "fail", "5321-4.1.4-ehlo-resets")],
    "rcpt-after-helo": [
        (rules(RCPT_WITHOUT_MAIL_OK), "info", "5321-4.1.1.1-hello-initial-state"),
        (rules(RCPT_WITHOUT_MAIL_550), "fail", "5321-3.3-rcpt-without-mail")],
    "rejected-mail-syntax-keeps-state": [
        (rules(RCPT_WITHOUT_MAIL_OK), "fail", "5321-4.1.4-refused-mail"),
        (rules(RCPT_WITHOUT_MAIL_550), "fail", "5321-3.3-rcpt-without-mail")],
    "rejected-mail-param-keeps-state": [
        (rules(RCPT_WITHOUT_MAIL_OK), "fail", "5321-4.1.4-refused-mail"),
        (rules(RCPT_WITHOUT_MAIL_550), "fail", "5321-3.3-rcpt-without-mail")],
    "rejected-mail-then-mail": [
        (rules(rule("^MAIL FROM:<[^@]", 503)), "fail", "5321-4.1.4-refused-mail")],
    # 503 is outside the code sets of NOOP, HELP, VRFY, EXPN and RSET: the
    # automatic code-table check warns as well (SHOULD); either rule may
    # decide the case, see CODE_TABLE_TOO.
    "noop-before-ehlo": [
        (rules(rule("^NOOP", 503, state="init")), "warn", "5321-4.1.4-no-503-before-ehlo")],
    "help-before-ehlo": [
        (rules(rule("^HELP", 503, state="init")), "warn", "5321-4.1.4-no-503-before-ehlo")],
    "vrfy-before-ehlo": [
        (rules(rule("^VRFY", 503, state="init")), "warn", "5321-4.1.4-no-503-before-ehlo")],
    "expn-before-ehlo": [
        (rules(rule("^EXPN", 503, state="init")), "warn", "5321-4.1.4-no-503-before-ehlo")],
    "rset-before-ehlo": [
        (rules(rule("^RSET", 503, state="init")), "warn", "5321-4.1.4-no-503-before-ehlo")],
    "noop-in-transaction": [
        (rules(rule("^NOOP", 503, state="mail")), "warn", "5321-4.1.4-any-time"),
        (rules(rule("^RCPT", 503, state="mail")), "info", "5321-4.1.1.9-noop-no-effect")],
    "help-in-transaction": [
        (rules(rule("^HELP", 503, state="mail")), "warn", "5321-4.1.4-any-time"),
        (rules(rule("^RCPT", 503, state="mail")), "info", "5321-4.1.1.8-help-expn-no-effect")],
    "vrfy-in-transaction": [
        (rules(rule("^VRFY", 503, state="mail")), "warn", "5321-4.1.4-any-time"),
        (rules(rule("^RCPT", 503, state="mail")), "info", "5321-4.1.1.6-vrfy-no-effect")],
    "expn-in-transaction": [
        (rules(rule("^EXPN", 503, state="mail")), "warn", "5321-4.1.4-any-time"),
        (rules(rule("^RCPT", 503, state="mail")), "info", "5321-4.1.1.8-help-expn-no-effect")],
    "vrfy-after-rcpt": [
        (rules(rule("^VRFY", 503, state="rcpt")), "warn", "5321-4.1.4-any-time"),
        (rules(rule("^RCPT", 503, state="rcpt")), "info", "5321-4.1.1.6-vrfy-no-effect")],
    "quit-in-transaction": [
        (rules(rule("^QUIT", 250, state="mail")), "fail", "5321-4.1.1.10-quit-221")],
    "quit-before-ehlo": [
        (rules(rule("^QUIT", 250, state="init")), "fail", "5321-4.1.1.10-quit-221")],
    # refusing servers: the fake's default state machine answers normally
    "refused-ehlo": [(refused(), "warn", "5321-3.1-refused-503")],
    "refused-helo": [(refused(), "warn", "5321-3.1-refused-503")],
    "refused-mail": [(refused(rule("^MAIL", 250)), "warn", "5321-3.1-refused-503")],
    "refused-rcpt": [(refused(rule("^RCPT", 550)), "warn", "5321-3.1-refused-503")],
    "refused-data": [(refused(rule("^DATA", 554)), "warn", "5321-3.1-refused-503")],
    "refused-noop": [
        (refused(), "warn", "5321-3.1-refused-503"),
        # closing instead of waiting for QUIT (§3.1 MUST; judged by §3.8)
        (refused({"match": "^NOOP", "action": "close"}), "fail", "5321-3.8-no-close")],
    "refused-rset": [(refused(), "warn", "5321-3.1-refused-503")],
    "refused-vrfy": [(refused(), "warn", "5321-3.1-refused-503")],
    "refused-quit": [(refused(rule("^QUIT", 250)), "fail", "5321-4.1.1.10-quit-221")],
    "refused-quit-after-commands": [
        (refused(rule("^QUIT", 250)), "fail", "5321-4.1.1.10-quit-221"),
        (refused({"match": "^EHLO", "action": "close"}), "fail", "5321-3.8-no-close")],
}

# Cases whose deviation also breaks the automatic code table (a 503 outside
# the command's code set): the case may cite that rule instead, at the same
# level.
CODE_TABLE_TOO = {"noop-before-ehlo", "help-before-ehlo", "vrfy-before-ehlo",
                  "expn-before-ehlo", "rset-before-ehlo", "noop-in-transaction",
                  "help-in-transaction", "vrfy-in-transaction", "expn-in-transaction",
                  "vrfy-after-rcpt"}


class SequenceSuite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rc, cls.cases = run_cases(SUITE, CONFORMING)
        cls.refusing_rc, cls.refusing = run_cases(SUITE, REFUSING)

    def test_every_case_has_a_deviation(self):
        self.assertEqual(sorted(self.cases), sorted(DEVIATIONS))

    def test_conforming_server_passes(self):
        refused = [cid for cid in self.cases if cid.startswith("refused-")]
        assert_conforming(self, self.rc, self.cases, skipped=refused)

    def test_conforming_refusing_server_passes_refuse_cases(self):
        for cid, case in self.refusing.items():
            with self.subTest(case=cid):
                want = "pass" if cid.startswith("refused-") else "skip"
                self.assertEqual(case["verdict"], want, case["reason"])
        self.assertEqual(self.refusing_rc, 0)

    def test_default_fake_server_never_fails(self):
        """The unmodified fake server (554 to DATA without RCPT, 503 to a
        second MAIL) conforms too: no case may fail or warn there."""
        rc, cases = run_cases(SUITE, None)
        for cid, case in cases.items():
            with self.subTest(case=cid):
                self.assertIn(case["verdict"], ("pass", "skip"), case["reason"])
        self.assertEqual(rc, 0)

    def test_deviating_server_is_caught(self):
        strict = {c: d for c, d in DEVIATIONS.items() if c not in CODE_TABLE_TOO}
        assert_deviations_caught(self, SUITE, strict)

    def test_deviating_server_is_caught_code_table_too(self):
        """A 503 outside the command's set is judged by the case's rule and
        by the code table, at the same level: either may decide the case,
        but the case's rule must be among the case's findings."""
        from suitetest import run_many
        jobs, want = [], []
        for cid in sorted(CODE_TABLE_TOO):
            for scenario, verdict, rule_id in DEVIATIONS[cid]:
                jobs.append((SUITE, cid, scenario))
                want.append((cid, verdict, rule_id))
        for (cid, verdict, rule_id), (rc, case) in zip(want, run_many(jobs)):
            with self.subTest(case=cid, want=verdict, rule=rule_id):
                self.assertEqual(case["verdict"], verdict, case["reason"])
                self.assertIn(case["rule"], (rule_id, "5321-4.3.1-command-codes"),
                              case["reason"])
                cited = {f.get("rule") for ex in case.get("exchanges", [])
                         for f in ex.get("findings", [])}
                self.assertIn(rule_id, cited, case["reason"])


if __name__ == "__main__":
    unittest.main()
