"""info: a rule with MAY, OPTIONAL or no keyword that the server did not
follow.  The verdict exists in the report, the summary, JUnit (a passed
testcase with a note) and the terminal summary; it cites its rule; it
never changes the exit status, not even with --strict."""
import unittest

from harness import E2ETestCase, exchange, finding, rules_of

R_MAY = "5321-3.3-data-out-of-sequence"
DATA_354 = {"rules": [{"match": "^DATA", "reply": "354 go ahead\r\n"}]}


class Info(E2ETestCase):

    def test_may_rule_not_followed_is_info(self):
        run = self.run_smtpspec(DATA_354, "expect", "--case", "expect.may")
        c = self.assertCase(run, "expect.may", "info", "DATA answered 354, expected 503,554",
                            rule=R_MAY)
        ex = exchange(c, "DATA")
        self.assertEqual(ex["verdict"], "info")
        self.assertEqual(rules_of(ex), [("info", R_MAY)])
        self.assertEqual(c["source"], "RFC 5321 §3.3")
        self.assertIn("the server MAY return", c["quote"])
        self.assertEqual(run.report["summary"]["info"], 1)
        self.assertEqual(run.report["summary"]["pass"], 0)
        f = finding(run.report, R_MAY)
        self.assertEqual((f["verdict"], f["command"], f["code"], f["cases"]),
                         ("info", "DATA", 354, ["expect.may"]))
        self.assertEqual(run.server.messages, [], "nothing is sent after the 354")

    def test_info_does_not_change_the_exit_status(self):
        plain = self.run_smtpspec(DATA_354, "expect", "--case", "expect.may")
        strict = self.run_smtpspec(DATA_354, "expect", "--case", "expect.may", "--strict")
        self.assertEqual(plain.rc, 0)
        self.assertEqual(strict.rc, 0, "--strict makes warn a failure, not info")
        junit = {tc.get("name"): tc for tc in strict.junit.iter("testcase")}
        self.assertIsNone(junit["may"].find("failure"))
        self.assertEqual(strict.junit.get("failures"), "0")

    def test_info_with_a_failure_exits_1_and_with_an_error_3(self):
        scenario = {"rules": DATA_354["rules"] + [{"match": "^RCPT", "reply": "250 ok\r\n"}]}
        run = self.run_smtpspec(scenario, "expect", "--case", "expect.may",
                                "--case", "expect.must")
        self.assertEqual(run.rc, 1)
        self.assertEqual((run.report["summary"]["info"], run.report["summary"]["fail"]), (1, 1))
        scenario = {"rules": DATA_354["rules"] + [{"match": "^NOOP", "action": "silence"}]}
        run = self.run_smtpspec(scenario, "expect", "--case", "expect.may",
                                "--case", "expect.within")
        self.assertEqual((run.report["summary"]["info"], run.report["summary"]["error"]), (1, 1))
        self.assertEqual(run.rc, 3)

    def test_junit_info_is_a_passed_testcase_with_a_note(self):
        run = self.run_smtpspec(DATA_354, "expect", "--case", "expect.may")
        tc = next(run.junit.iter("testcase"))
        self.assertEqual([child.tag for child in tc], ["system-out"])
        out = tc.find("system-out").text
        self.assertIn("INFO: DATA: DATA answered 354, expected 503,554 [%s]" % R_MAY, out)
        self.assertIn("rule: %s (RFC 5321 §3.3): If there was no MAIL" % R_MAY, out)
        self.assertEqual(run.junit.get("failures"), "0")
        self.assertEqual(run.junit.get("errors"), "0")
        self.assertEqual(run.junit.get("skipped"), "0")

    def test_terminal_summary_shows_info(self):
        run = self.run_smtpspec(DATA_354, "expect", "--case", "expect.may")
        self.assertIn("info  %s (RFC 5321 §3.3): DATA answered 354" % R_MAY, run.stdout)
        self.assertIn("seen in 1 case: expect.may", run.stdout)
        self.assertIn("1 cases: 0 pass, 1 info, 0 skip, 0 warn, 0 error, 0 fail", run.stdout)

    def test_quiet_on_conforming_server(self):
        run = self.run_smtpspec(None, "expect", "--case", "expect.may")
        c = self.assertCase(run, "expect.may", "pass")
        self.assertEqual(exchange(c, "DATA")["reply"]["code"], 503)
        self.assertEqual(run.report["summary"]["info"], 0)


if __name__ == "__main__":
    unittest.main()
