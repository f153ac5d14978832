"""Every case of suites/session.suite against the fake SMTP server.

Each case runs against the conforming fake server (it must pass), and
against scenarios that break exactly the rule the case checks: the case
must then earn the verdict of that rule's keyword (MUST fail, SHOULD warn,
MAY/none info) and cite the rule.  Every control step has a scenario that
breaks the control: the case must then be inconclusive (skip), never
judged.  A second conforming server (HELP, VRFY and EXPN answered 502, as
a site that disabled them) must pass too.

Two cases need --rcpt (vrfy-mailbox, rcpt-postmaster), so every run here
passes --rcpt; no case of the suite sends DATA, so nothing is delivered.

    /usr/bin/python3 -m unittest tests/suites/test_session.py
"""
import concurrent.futures
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suitetest import (assert_conforming, assert_deviations_caught,  # noqa: E402
                       keep_open_after_quit, rule, rules, run_case, run_cases)

SUITE = "session"
RCPT = ("--rcpt", "smtpspec@fake.test")

QUIT_221 = "5321-4.1.1.10-quit-221"
REQUIRED = "5321-4.5.1-required-commands"


def run_no_close(case_id):
    return run_case(SUITE, case_id, extra_args=RCPT, session_hook=keep_open_after_quit)[1]


def close_on(match, state=None):
    r = {"match": match, "action": "close"}
    if state is not None:
        r["state"] = state
    return r


# Conforming servers that disable optional commands (RFC 5321 §3.5.2,
# §7.3: VRFY and EXPN may be disabled; HELP is a SHOULD, judged in basic).
NOT_IMPLEMENTED = rules(rule("^HELP", 502), rule("^VRFY", 502), rule("^EXPN", 502))

# case -> [(scenario, expected verdict, rule id (fail/warn/info) or reason text (skip))]
DEVIATIONS = {
    "quit-after-helo": [(rules(rule("^QUIT", 250)), "fail", QUIT_221)],
    "quit-after-rcpt": [(rules(rule("^QUIT", 503, state="rcpt")), "fail", QUIT_221),
                        # RCPT TO:<Postmaster> refused: the precondition fails
                        (rules(rule("^RCPT", 550)), "skip", "precondition not met")],
    "quit-after-errors": [
        # a close after the unknown verb, and after a known command
        (rules(close_on("^XSMTPSPEC")), "fail", "5321-3.8-close-on-unknown"),
        (rules(close_on("^RCPT")), "fail", "5321-3.8-no-close"),
        (rules(rule("^QUIT", 500)), "fail", QUIT_221)],
    "noop-argument": [
        (rules(rule("^NOOP ", 501)), "warn", "5321-4.1.1.9-noop-ignore-param"),
        # NOOP refused with and without a parameter: the control fails
        (rules(rule("^NOOP", 500)), "skip", "inconclusive")],
    "noop-repeated": [
        (rules({"match": "^NOOP", "times": 3}, rule("^NOOP", 500)), "fail", REQUIRED),
        (rules(rule("^NOOP", 502)), "fail", REQUIRED)],
    "vrfy-mailbox": [
        (rules(rule("^VRFY \\S+@", 501)), "warn", "5321-3.5.1-domain-form-user-names"),
        # a bare local part is a syntax error too: the control fails
        (rules(rule("^VRFY", 501)), "skip", "inconclusive")],
    "rset-twice": [
        # the second RSET (no transaction left) is refused
        (rules(rule("^RSET", 503, state="ready")), "fail", "5321-4.1.1.5-rset-250"),
        (rules(rule("^RSET", 500, state="mail")), "fail", "5321-4.1.1.5-rset-250"),
        (rules(close_on("^RSET", state="ready")), "fail", "5321-3.8-no-close")],
    "helo-after-ehlo": [
        (rules(rule("^MAIL", 503)), "info", "5321-4.1.1.1-hello-initial-state"),
        # HELO after EHLO refused (allowed, §4.1.4): the precondition fails
        (rules(rule("^HELO", 550, state="ready")), "skip", "precondition not met")],
    "rcpt-postmaster": [
        (rules(rule("^RCPT TO:<Postmaster>", 550)), "fail", "5321-4.5.1-postmaster"),
        (rules(rule("^RCPT TO:<Postmaster>", 501)), "fail", "5321-4.5.1-postmaster"),
        (rules(rule("^RCPT TO:<Postmaster>", 450)), "skip", "temporary"),
        # every recipient refused (a client or relay policy): the control fails
        (rules(rule("^RCPT", 550)), "skip", "inconclusive")],
}


class SessionSuite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rc, cls.cases = run_cases(SUITE, extra_args=RCPT)
        cls.ni_rc, cls.ni_cases = run_cases(SUITE, NOT_IMPLEMENTED, extra_args=RCPT)
        cls.no_rcpt_rc, cls.no_rcpt = run_cases(SUITE)

    def test_every_case_has_a_deviation(self):
        self.assertEqual(sorted(self.cases), sorted(DEVIATIONS))

    def test_conforming_server_passes(self):
        assert_conforming(self, self.rc, self.cases)

    def test_disabled_vrfy_expn_help_pass(self):
        for cid, case in self.ni_cases.items():
            with self.subTest(case=cid):
                self.assertEqual(case["verdict"], "pass", case["reason"])
        self.assertEqual(self.ni_rc, 0)

    def test_without_rcpt_only_the_rcpt_cases_skip(self):
        for cid, case in self.no_rcpt.items():
            with self.subTest(case=cid):
                want = "skip" if cid in ("vrfy-mailbox", "rcpt-postmaster") else "pass"
                self.assertEqual(case["verdict"], want, case["reason"])
                if want == "skip":
                    self.assertEqual(case["exchanges"], [])

    def test_quit_without_close_fails(self):
        ids = ("quit-after-helo", "quit-after-rcpt", "quit-after-errors")
        with concurrent.futures.ThreadPoolExecutor(len(ids)) as pool:
            cases = list(pool.map(run_no_close, ids))
        for cid, case in zip(ids, cases):
            with self.subTest(case=cid):
                self.assertEqual(case["verdict"], "fail", case["reason"])
                self.assertEqual(case["rule"], QUIT_221, case["reason"])
                self.assertIn("did not close", case["reason"])

    def test_deviating_server_is_caught(self):
        assert_deviations_caught(self, SUITE, DEVIATIONS, RCPT)


if __name__ == "__main__":
    unittest.main()
