"""skip: each skip condition fires when it applies and the case runs when
it does not: needs, the greeting, require (precondition not met) and a
refused control (inconclusive).  A skip cites no rule."""
import unittest

from harness import E2ETestCase, exchange


class SkipRules(E2ETestCase):

    def test_needs_rcpt_without_rcpt(self):
        run = self.run_smtpspec(None, "skips", "--case", "skips.needs-rcpt")
        c = self.assertCase(run, "skips.needs-rcpt", "skip", "--rcpt")
        self.assertEqual(c["exchanges"], [])
        self.assertEqual(run.rc, 0)
        self.assertEqual(run.server.connections, 1, "only the discovery connection")
        self.assertFalse(run.report["options"]["rcpt_given"])

    def test_needs_rcpt_with_rcpt_runs(self):
        run = self.run_smtpspec(None, "skips", "--case", "skips.needs-rcpt",
                                "--rcpt", "user@example.com")
        c = self.assertCase(run, "skips.needs-rcpt", "pass")
        self.assertEqual(exchange(c, "NOOP")["reply"]["code"], 250)
        self.assertTrue(run.report["options"]["rcpt_given"])

    def test_needs_ext_not_advertised(self):
        run = self.run_smtpspec(None, "skips", "--case", "skips.needs-ext")
        c = self.assertCase(run, "skips.needs-ext", "skip", "FOO")
        self.assertIn("EHLO", c["reason"])
        self.assertEqual(c["exchanges"], [])

    def test_needs_ext_advertised_runs(self):
        run = self.run_smtpspec({"ehlo_keywords": ["PIPELINING", "FOO"]}, "skips",
                                "--case", "skips.needs-ext")
        self.assertCase(run, "skips.needs-ext", "pass")
        self.assertEqual(run.report["server"]["keywords"], ["PIPELINING", "FOO"])

    def test_require_not_met(self):
        scenario = {"rules": [{"match": "^NOOP", "reply": "500 no\r\n"}]}
        run = self.run_smtpspec(scenario, "skips", "--case", "skips.require")
        c = self.assertCase(run, "skips.require", "skip",
                            ["precondition not met", "NOOP answered 500",
                             "NOOP was not accepted"])
        self.assertEqual([e["table_command"] for e in c["exchanges"]], ["GREETING", "NOOP"])
        self.assertEqual(exchange(c, "NOOP")["verdict"], "pass")
        self.assertNotIn("RSET", run.server.commands[1], "the case stopped at require")
        self.assertEqual(run.rc, 0)

    def test_require_met_runs(self):
        run = self.run_smtpspec(None, "skips", "--case", "skips.require")
        c = self.assertCase(run, "skips.require", "pass")
        self.assertEqual(exchange(c, "RSET")["reply"]["code"], 250)

    def test_control_refused_is_inconclusive(self):
        scenario = {"rules": [{"match": "^EHLO", "reply": "502 no EHLO here\r\n"}]}
        run = self.run_smtpspec(scenario, "skips", "--case", "skips.control")
        c = self.assertCase(run, "skips.control", "skip",
                            ["inconclusive: the control EHLO was answered 502, not 250",
                             "EHLO was not accepted, so a refused RCPT"])
        self.assertIsNone(c["rule"])
        self.assertEqual([e["table_command"] for e in c["exchanges"]], ["GREETING", "EHLO"])
        self.assertNotIn("RCPT", " ".join(run.server.commands[1]), "the case stopped")
        self.assertEqual(run.report["findings"], [])
        self.assertEqual(run.rc, 0)
        junit = {tc.get("name"): tc for tc in run.junit.iter("testcase")}
        self.assertIn("inconclusive", junit["control"].find("skipped").get("message"))

    def test_control_accepted_runs_the_probe(self):
        run = self.run_smtpspec(None, "skips", "--case", "skips.control")
        self.assertCase(run, "skips.control", "pass")
        deviating = self.run_smtpspec({"rules": [{"match": "^RCPT", "reply": "250 ok\r\n"}]},
                                      "skips", "--case", "skips.control")
        self.assertCase(deviating, "skips.control", "fail", "RCPT answered 250",
                        rule="5321-3.3-rcpt-without-mail")

    def test_control_refused_with_an_earlier_warn_keeps_the_warn(self):
        # a control refused with a code outside EHLO's list (a 4yz: §4.1.4's
        # MUST names only 5yz refusals): the code table's warn is still
        # reported (it outranks the skip), the probe is not run
        scenario = {"rules": [{"match": "^EHLO", "reply": "451 no\r\n"}]}
        run = self.run_smtpspec(scenario, "skips", "--case", "skips.control")
        c = self.assertCase(run, "skips.control", "warn", rule="5321-4.3.1-command-codes")
        self.assertNotIn("RCPT", [e["table_command"] for e in c["exchanges"]])

    def check_refusing_greeting(self, code, extra_ref):
        greeting = "%d no SMTP service here\r\n" % code
        run = self.run_smtpspec({"greeting": greeting}, "skips",
                                "--case", "skips.plain", "--case", "skips.refuse")
        plain = self.assertCase(run, "skips.plain", "skip", ["RFC 5321 §3.1", str(code)])
        if extra_ref:
            self.assertIn(extra_ref, plain["reason"])
        greet = exchange(plain, "GREETING")
        self.assertEqual(greet["reply"]["code"], code)
        self.assertEqual(greet["verdict"], "pass")
        self.assertNotIn("NOOP", [e["table_command"] for e in plain["exchanges"]])
        refuse = self.assertCase(run, "skips.refuse", "pass")
        self.assertEqual(exchange(refuse, "QUIT")["reply"]["code"], 221)
        self.assertEqual(run.report["server"]["greeting"]["code"], code)
        self.assertEqual(run.rc, 0)

    def test_greeting_554_skips_ordinary_runs_refuse(self):
        self.check_refusing_greeting(554, None)

    def test_greeting_521_skips_ordinary_runs_refuse(self):
        self.check_refusing_greeting(521, "RFC 7504")

    def test_greeting_refuse_case_skipped_on_220(self):
        run = self.run_smtpspec(None, "skips", "--case", "skips.plain",
                                "--case", "skips.refuse")
        self.assertCase(run, "skips.plain", "pass")
        c = self.assertCase(run, "skips.refuse", "skip", ["RFC 5321 §3.1", "554", "220"])
        self.assertEqual([e["table_command"] for e in c["exchanges"]], ["GREETING"])

    def test_needs_profile_rfc821_under_default(self):
        run = self.run_smtpspec(None, "skips", "--case", "skips.rfc821")
        c = self.assertCase(run, "skips.rfc821", "skip", ["rfc821", "--profile"])
        self.assertEqual(c["exchanges"], [])
        self.assertEqual(run.report["profile"], "rfc5321")

    def test_needs_profile_rfc821_under_rfc821_runs(self):
        run = self.run_smtpspec(None, "skips", "--case", "skips.rfc821",
                                "--profile", "rfc821")
        self.assertCase(run, "skips.rfc821", "pass")
        self.assertEqual(run.report["profile"], "rfc821")


if __name__ == "__main__":
    unittest.main()
