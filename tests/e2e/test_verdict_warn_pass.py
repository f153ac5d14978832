"""warn: every rule at warn level (SHOULD) fires on a deviating server,
names its rule id and stays quiet on the conforming one: the code table
(5321-4.3.1-command-codes, 5321-4.2-listed-codes,
5321-4.2.4-unrecognized-500), the reply size and the SP after a bare code,
and the case's own steps (expect, expect-within).  pass: the conforming
server, including multiline replies and reply text that is UTF-8 or
arbitrary bytes."""
import unittest

from harness import BUNDLED_SUITES, E2ETestCase, case, decode_wire, exchange, finding, rules_of

NOOP_SET = [250, 421, 500, 501]
HELP_SET = [211, 214, 421, 500, 501, 502, 504]
D_LONG = "reply line longer than 512 octets"
D_CODE_ONLY = "last reply line is the code alone, without SP"
R_COMMAND_CODES = "5321-4.3.1-command-codes"
R_LISTED = "5321-4.2-listed-codes"
R_UNRECOGNIZED = "5321-4.2.4-unrecognized-500"
R_SIZE = "5321-4.5.3.1-size-limits"
R_SP = "5321-4.2.1-sp-after-code"
R_REFUSED_503 = "5321-3.1-refused-503"
R_NO_503_BEFORE_EHLO = "5321-4.1.4-no-503-before-ehlo"


def answer(verb, reply):
    return {"rules": [{"match": "^" + verb, "reply": reply}]}


class WarnRules(E2ETestCase):

    def one(self, verb, reply, case_id, table_command, *args):
        run = self.run_smtpspec(answer(verb, reply), case_id.split(".")[0],
                                "--case", case_id, *args)
        c = case(run.report, case_id)
        return run, c, exchange(c, table_command)

    def assertWarn(self, run, c, ex, rule, code):
        self.assertEqual(run.rc, 0, "warn alone does not fail the run")
        self.assertEqual(c["verdict"], "warn", c["reason"])
        self.assertEqual(c["rule"], rule, c["reason"])
        self.assertEqual(ex["verdict"], "warn")
        self.assertEqual(rules_of(ex), [("warn", rule)])
        self.assertEqual(ex["reply"]["code"], code)
        self.assertEqual(run.report["summary"]["warn"], 1)
        f = finding(run.report, rule)
        self.assertEqual((f["verdict"], f["command"], f["code"], f["cases"]),
                         ("warn", ex["table_command"], code, [c["id"]]))

    def test_help_answered_250_code_table(self):
        run, c, ex = self.one("HELP", "250 no help here\r\n", "replies.help", "HELP")
        self.assertWarn(run, c, ex, R_COMMAND_CODES, 250)
        self.assertEqual(ex["reply"]["defects"], [])
        self.assertEqual(ex["allowed"], HELP_SET)
        self.assertIn("not in its code set", ex["reason"])
        self.assertEqual(c["source"], "RFC 5321 §4.3.1")
        self.assertIn("These SHOULD be strictly adhered to.", c["quote"])

    def test_noop_answered_200_unlisted_code(self):
        run, c, ex = self.one("NOOP", "200 ok\r\n", "replies.noop", "NOOP")
        self.assertWarn(run, c, ex, R_LISTED, 200)
        self.assertEqual(ex["allowed"], NOOP_SET)
        self.assertIn("RFC 876", ex["reason"])

    def test_noop_answered_354_listed_code_of_another_command(self):
        # 354 is an RFC 5321 code, outside NOOP's list: §4.3.1 (SHOULD)
        run, c, ex = self.one("NOOP", "354 go ahead\r\n", "replies.noop", "NOOP")
        self.assertWarn(run, c, ex, R_COMMAND_CODES, 354)

    def test_mail_answered_221(self):
        run, c, ex = self.one("MAIL", "221 bye\r\n", "replies.mail", "MAIL")
        self.assertWarn(run, c, ex, R_COMMAND_CODES, 221)
        self.assertEqual(exchange(c, "EHLO")["verdict"], "pass")

    def test_unknown_command_answered_502(self):
        run, c, ex = self.one("XSMTPSPEC", "502 not implemented\r\n", "replies.unknown",
                              "UNKNOWN")
        self.assertWarn(run, c, ex, R_UNRECOGNIZED, 502)
        self.assertEqual(c["source"], "RFC 5321 §4.2.4")

    def test_reply_line_over_512_octets(self):
        reply = "250 " + "x" * 507 + "\r\n"             # 513 octets
        run, c, ex = self.one("NOOP", reply, "replies.noop", "NOOP")
        self.assertWarn(run, c, ex, R_SIZE, 250)
        self.assertEqual(ex["reply"]["defects"], [D_LONG])
        self.assertEqual(ex["allowed"], NOOP_SET)

    def test_reply_line_of_exactly_512_octets_is_quiet(self):
        reply = "250 " + "x" * 506 + "\r\n"             # 512 octets
        self.assertEqual(len(reply), 512)
        run, c, ex = self.one("NOOP", reply, "replies.noop", "NOOP")
        self.assertEqual(run.rc, 0)
        self.assertEqual(c["verdict"], "pass", c["reason"])
        self.assertEqual(ex["reply"]["defects"], [])
        self.assertEqual(len(ex["reply"]["lines"][0]), 510)

    def test_code_alone_without_sp(self):
        run, c, ex = self.one("NOOP", "250\r\n", "replies.noop", "NOOP")
        self.assertWarn(run, c, ex, R_SP, 250)
        self.assertEqual(ex["reply"]["defects"], [D_CODE_ONLY])
        self.assertIn("SHOULD send the <SP>", c["quote"])

    def test_should_expectation_not_met(self):
        # a server that refused service answers NOOP 250 (in NOOP's set):
        # only the case's own SHOULD step fires
        run = self.run_smtpspec({"greeting": "554 no service here\r\n"}, "expect",
                                "--case", "expect.should")
        c = self.assertCase(run, "expect.should", "warn", "NOOP answered 250, expected 503",
                            rule=R_REFUSED_503)
        self.assertEqual(rules_of(exchange(c, "NOOP")), [("warn", R_REFUSED_503)])
        self.assertEqual(run.rc, 0)
        conforming = self.run_smtpspec({"greeting": "554 no service here\r\n",
                                        "rules": [{"match": "^NOOP", "reply": "503 no\r\n"}]},
                                       "expect", "--case", "expect.should")
        self.assertCase(conforming, "expect.should", "pass")

    def test_expect_within_slow_reply_warns(self):
        run = self.run_smtpspec({"rules": [{"match": "^NOOP", "delay_ms": 900}]}, "expect",
                                "--case", "expect.within")
        c = self.assertCase(run, "expect.within", "warn", "more than 500 ms",
                            rule=R_NO_503_BEFORE_EHLO)
        ex = exchange(c, "NOOP")
        self.assertGreaterEqual(ex["elapsed_ms"], 800)
        self.assertEqual(rules_of(ex), [("warn", R_NO_503_BEFORE_EHLO)])
        quick = self.run_smtpspec(None, "expect", "--case", "expect.within")
        self.assertEqual(case(quick.report, "expect.within")["verdict"], "pass")

    def test_warn_rules_quiet_on_default_server(self):
        run = self.run_smtpspec(None, "replies", "--case", "replies.help",
                                "--case", "replies.noop", "--case", "replies.unknown",
                                "--case", "replies.mail")
        run2 = self.run_smtpspec(None, "expect", "--case", "expect.within")
        for r in (run, run2):
            self.assertEqual(r.rc, 0)
            self.assertEqual(r.report["findings"], [])
            for c in r.report["cases"]:
                self.assertEqual(c["verdict"], "pass", c["reason"])
        self.assertEqual(exchange(case(run.report, "replies.help"), "HELP")["reply"]["code"], 214)


class PassOnConformingServer(E2ETestCase):

    def test_bundled_basic_suite(self):
        run = self.run_smtpspec(None, BUNDLED_SUITES + "/basic.suite", "-j", "4")
        self.assertEqual(run.rc, 0, run.stdout)
        bad = {c["id"]: c["reason"] for c in run.report["cases"]
               if c["verdict"] not in ("pass", "skip")}
        self.assertEqual(bad, {})
        data = case(run.report, "basic.data")
        self.assertEqual(data["verdict"], "skip")
        self.assertIn("--rcpt", data["reason"])
        self.assertEqual(data["exchanges"], [])
        self.assertEqual(run.report["summary"]["skip"], 1)
        self.assertEqual(run.server.deliveries, [])

    def test_multiline_ehlo_reply(self):
        run = self.run_smtpspec(None, "replies", "--case", "replies.ehlo")
        c = case(run.report, "replies.ehlo")
        ex = exchange(c, "EHLO")
        self.assertEqual(c["verdict"], "pass")
        self.assertEqual(ex["reply"]["code"], 250)
        self.assertEqual(ex["reply"]["defects"], [])
        self.assertEqual(len(ex["reply"]["lines"]), 5)
        self.assertEqual(ex["reply"]["lines"][-1], "250 HELP")
        self.assertEqual(run.report["server"]["keywords"],
                         ["PIPELINING", "SIZE", "8BITMIME", "HELP"])
        self.assertEqual(run.report["server"]["ehlo"]["lines"], ex["reply"]["lines"])

    def raw_reply_case(self, reply_bytes):
        scenario = answer("NOOP", reply_bytes.decode("latin-1"))
        run = self.run_smtpspec(scenario, "replies", "--case", "replies.noop")
        c = case(run.report, "replies.noop")
        ex = exchange(c, "NOOP")
        self.assertEqual(run.rc, 0)
        self.assertEqual(c["verdict"], "pass", c["reason"])
        self.assertEqual(ex["reply"]["code"], 250)
        self.assertEqual(ex["reply"]["defects"], [])
        # lossless: the wire string decodes to exactly the bytes sent
        self.assertEqual(decode_wire(ex["received"]), reply_bytes)
        self.assertIn(reply_bytes, bytes(run.server.sent[1]))
        self.assertEqual(decode_wire(ex["reply"]["lines"][0]), reply_bytes[:-2])
        return ex

    def test_utf8_reply_text(self):
        raw = "250 caf\u00e9 \u20ac ok \U0001F600\r\n".encode("utf-8")
        ex = self.raw_reply_case(raw)
        self.assertEqual(ex["reply"]["lines"], ["250 caf\u00e9 \u20ac ok \U0001F600"])

    def test_nul_and_ff_bytes_in_reply_text(self):
        raw = b"250 a\x00b\xffc\\d\x7f\xc3(\r\n"
        ex = self.raw_reply_case(raw)
        self.assertEqual(ex["received"], "250 a\\x00b\\xFFc\\\\d\\x7F\\xC3(\\r\\n")


if __name__ == "__main__":
    unittest.main()
