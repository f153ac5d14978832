"""Every case of suites/basic.suite against the fake SMTP server.

Each case runs against the conforming fake server (it must pass; without
--rcpt the data case skips and sends nothing), and against scenarios that
break exactly the rule the case checks: the case must then earn the
verdict of that rule's keyword (MUST fail, SHOULD warn, MAY/none info) and
cite the rule.  Cases that no sentence decides beyond the code table (mail,
rcpt, the end of data) are caught by the table's rule.  A second
conforming server (HELP, VRFY and EXPN answered 502, as a site that
disabled them) gets only the findings those answers deserve: HELP not
supported (SHOULD, warn) and VRFY not implemented (no keyword, info).

Every run passes --rcpt (smtpspec@fake.test): the fake server discards
the one message of the data case.

    /usr/bin/python3 -m unittest tests/suites/test_basic.py
"""
import concurrent.futures
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suitetest import (assert_conforming, assert_deviations_caught,  # noqa: E402
                       keep_open_after_quit, rule, rules, run_case, run_cases)

SUITE = "basic"
RCPT = ("--rcpt", "smtpspec@fake.test")

QUIT_221 = "5321-4.1.1.10-quit-221"
REQUIRED = "5321-4.5.1-required-commands"
TABLE = "5321-4.3.1-command-codes"
RSET_250 = "5321-4.1.1.5-rset-250"
USER_NAMES = "5321-3.5.1-local-mailbox-user-names"


def run_no_close(case_id):
    return run_case(SUITE, case_id, extra_args=RCPT, session_hook=keep_open_after_quit)[1]


NOT_IMPLEMENTED = rules(rule("^HELP", 502), rule("^VRFY", 502), rule("^EXPN", 502))

# case -> [(scenario, expected verdict, rule id (fail/warn/info) or reason text (skip))]
DEVIATIONS = {
    "greeting": [
        (rules(greeting="220 ***** service ready\r\n"), "fail", "5321-4.2-greeting-abnf"),
        (rules(greeting="554 \r\n"), "warn", "5321-3.1-554-text")],
    "ehlo": [(rules(rule("^EHLO", 500)), "fail", REQUIRED),
             (rules(rule("^EHLO", 502)), "fail", REQUIRED)],
    "helo": [(rules(rule("^HELO", 502)), "fail", REQUIRED),
             (rules(rule("^HELO", 500)), "fail", REQUIRED)],
    "operational-sequence": [
        (rules(rule("^RSET", 503, state="rcpt")), "fail", RSET_250),
        (rules(rule("^QUIT", 250)), "fail", QUIT_221),
        (rules(rule("^RCPT", 550)), "skip", "precondition not met")],
    "mail": [(rules(rule("^MAIL", 354)), "warn", TABLE)],
    "mail-null": [(rules(rule("^MAIL FROM:<>", 550)), "info",
                   "5321-4.1.1.2-null-reverse-path")],
    "rcpt": [(rules(rule("^RCPT", 354)), "warn", TABLE)],
    "rset": [(rules(rule("^RSET", 500)), "fail", RSET_250),
             (rules(rule("^RSET", 503)), "fail", RSET_250),
             (rules({"match": "^RSET", "action": "close"}), "fail", "5321-3.8-no-close")],
    "vrfy": [(rules(rule("^VRFY", 501)), "fail", USER_NAMES),
             (rules(rule("^VRFY", 502)), "info", "5321-3.5.3-vrfy-500-502"),
             (rules(rule("^VRFY", 500)), "info", "5321-3.5.3-vrfy-500-502")],
    "expn": [(rules(rule("^EXPN", 501)), "fail", USER_NAMES)],
    "help": [(rules(rule("^HELP", 502)), "warn", "5321-4.1.1.8-help-support"),
             (rules(rule("^HELP", 500)), "warn", "5321-4.1.1.8-help-support"),
             # a code outside HELP's list is the code table's finding only
             (rules(rule("^HELP", 250)), "warn", TABLE)],
    "noop": [(rules(rule("^NOOP", 502)), "fail", REQUIRED),
             (rules(rule("^NOOP", 500)), "fail", REQUIRED),
             (rules(rule("^NOOP", 503)), "warn", TABLE)],
    "quit": [(rules(rule("^QUIT", 250)), "fail", QUIT_221),
             (rules(rule("^QUIT", 500)), "fail", QUIT_221)],
    "data": [
        # DATA refused after an accepted MAIL and RCPT (451 is in its list):
        # info on the DATA exchange (test_data_refused_is_info), and the
        # case stops there (skip outranks info)
        (rules(data_reply="451 try later\r\n"), "skip", "DATA was not accepted"),
        # an end-of-data reply outside its list
        (rules(data_end_reply="220 queued\r\n"), "warn", TABLE),
        (rules(rule("^RCPT", 550)), "skip", "precondition not met")],
}


class BasicSuite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rc, cls.cases = run_cases(SUITE, extra_args=RCPT)
        cls.ni_rc, cls.ni_cases = run_cases(SUITE, NOT_IMPLEMENTED, extra_args=RCPT)
        cls.no_rcpt_rc, cls.no_rcpt = run_cases(SUITE)

    def test_every_case_has_a_deviation(self):
        self.assertEqual(sorted(self.cases), sorted(DEVIATIONS))

    def test_conforming_server_passes(self):
        assert_conforming(self, self.rc, self.cases)

    def test_without_rcpt_only_data_skips(self):
        for cid, case in self.no_rcpt.items():
            with self.subTest(case=cid):
                want = "skip" if cid == "data" else "pass"
                self.assertEqual(case["verdict"], want, case["reason"])
        self.assertEqual(self.no_rcpt["data"]["exchanges"], [])
        self.assertEqual(self.no_rcpt_rc, 0)

    def test_disabled_vrfy_expn_help(self):
        want = {"help": ("warn", "5321-4.1.1.8-help-support"),
                "vrfy": ("info", "5321-3.5.3-vrfy-500-502")}
        for cid, case in self.ni_cases.items():
            with self.subTest(case=cid):
                verdict, rule_id = want.get(cid, ("pass", None))
                self.assertEqual(case["verdict"], verdict, case["reason"])
                if rule_id:
                    self.assertEqual(case["rule"], rule_id, case["reason"])

    def test_greeting_554_with_text_passes(self):
        rc, case = run_case(SUITE, "greeting", rules(greeting="554 fake.test no service\r\n"))
        self.assertEqual(case["verdict"], "pass", case["reason"])

    def test_data_refused_is_info(self):
        rc, case = run_case(SUITE, "data", rules(data_reply="451 try later\r\n"),
                            extra_args=RCPT)
        data = [e for e in case["exchanges"] if e["sent"].startswith("DATA")]
        self.assertEqual(len(data), 1)
        self.assertEqual([(f["verdict"], f["rule"]) for f in data[0]["findings"]],
                         [("info", "5321-3.3-data-two-points")])
        self.assertEqual(rc, 0)

    def test_quit_without_close_fails(self):
        ids = ("quit", "operational-sequence")
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
