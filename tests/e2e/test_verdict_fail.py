"""fail: every rule at fail level (MUST, MUST NOT, ABNF, "in violation",
RFC 821's "must") fires on a deviating server and names its rule id -- the
automatic checks (reply syntax, one reply per command, closes, the RFC 821
code table) and the case's own steps (expect, expect-close) -- and the same
cases stay quiet on the conforming default server."""
import unittest

from harness import E2ETestCase, case, exchange, finding, rules_of

NOOP_SET = [250, 421, 500, 501]          # RFC 5321 §4.3.2 + "any command"

D_NOT_DIGITS = "reply line does not start with a three-digit code"
D_FIRST = "reply code's first digit is outside 2..5"
D_SECOND = "reply code's second digit is outside 0..5"
D_NO_SEP = "reply code is followed by neither SP nor \"-\""
D_MISMATCH = "lines of a multiline reply carry different codes"
D_BARE_LF = "reply line ended by a bare LF"
D_BARE_CR = "bare CR in a reply line"

R_THREE_DIGITS = "5321-4.3.2-three-digit-codes"
R_CODE_ABNF = "5321-4.2-reply-code-abnf"
R_LINE_ABNF = "5321-4.2-reply-line-abnf"
R_SAME_CODE = "5321-4.2.1-multiline-same-code"
R_CRLF = "5321-2.3.8-crlf-only"
R_LISTED = "5321-4.2-listed-codes"
R_ONE_REPLY = "5321-4.2-one-reply"
R_NO_CLOSE = "5321-3.8-no-close"
R_CLOSE_ON_UNKNOWN = "5321-3.8-close-on-unknown"
R_QUIT = "5321-4.1.1.10-quit-221"
R_RCPT = "5321-3.3-rcpt-without-mail"


def answer(verb, reply, **spec):
    """Scenario: the first command matching ^verb gets reply (raw bytes)."""
    rule = {"match": "^" + verb, "reply": reply}
    rule.update(spec)
    return {"rules": [rule]}


class ReplySyntax(E2ETestCase):
    """Each syntax defect of a reply cites the rule reply.rules gives it."""

    def noop(self, reply, case_id="replies.noop", scenario=None):
        run = self.run_smtpspec(scenario or answer("NOOP", reply), "replies", "--case", case_id)
        c = case(run.report, case_id)
        return run, c, exchange(c, "NOOP", 0)

    def assertSyntaxFail(self, reply, defects, code, rule, others=(), allowed=()):
        """others: the (verdict, rule) findings expected after rule's."""
        run, c, ex = self.noop(reply)
        self.assertEqual(run.rc, 1, run.stdout)
        self.assertEqual(c["verdict"], "fail")
        self.assertEqual(c["rule"], rule, c["reason"])
        self.assertEqual(ex["verdict"], "fail")
        self.assertEqual(ex["rule"], rule)
        self.assertEqual(ex["reply"]["code"], code)
        self.assertEqual(ex["reply"]["defects"], defects)
        self.assertEqual(rules_of(ex), [("fail", rule)] * len(defects) + list(others))
        self.assertTrue(c["reason"].startswith("NOOP: "), c["reason"])
        self.assertIn("[%s]" % rule, c["reason"])
        self.assertEqual(ex["allowed"], list(allowed))
        self.assertIn(rule, [f["rule"] for f in run.report["findings"]])
        return run, c, ex

    def test_reply_without_three_digits(self):
        self.assertSyntaxFail("hello\r\n", [D_NOT_DIGITS], None, R_THREE_DIGITS)

    def test_first_digit_1(self):
        self.assertSyntaxFail("150 ok\r\n", [D_FIRST], 150, R_THREE_DIGITS)

    def test_first_digit_6(self):
        self.assertSyntaxFail("650 ok\r\n", [D_FIRST], 650, R_THREE_DIGITS)

    def test_second_digit_6_to_9(self):
        # 260 is a code of class 2 that RFC 5321 does not list: a warn on top
        run, c, ex = self.assertSyntaxFail("260 ok\r\n", [D_SECOND], 260, R_CODE_ABNF,
                                           others=[("warn", R_LISTED)], allowed=NOOP_SET)
        self.assertEqual(ex["quote"], "Reply-code = %x32-35 %x30-35 %x30-39")

    def test_missing_separator(self):
        self.assertSyntaxFail("250ok\r\n", [D_NO_SEP], 250, R_LINE_ABNF, allowed=NOOP_SET)

    def test_multiline_code_mismatch(self):
        run, c, ex = self.assertSyntaxFail("250-a\r\n251 b\r\n", [D_MISMATCH], 250,
                                           R_SAME_CODE, allowed=NOOP_SET)
        self.assertEqual(ex["reply"]["lines"], ["250-a", "251 b"])

    def test_bare_lf_terminator(self):
        run, c, ex = self.assertSyntaxFail("250 ok\n", [D_BARE_LF], 250, R_CRLF,
                                           allowed=NOOP_SET)
        self.assertEqual(ex["received"], "250 ok\\n")

    def test_bare_cr_inside(self):
        run, c, ex = self.assertSyntaxFail("250 o\rk\r\n", [D_BARE_CR], 250,
                                           "5321-4.2-textstring-abnf", allowed=NOOP_SET)
        self.assertEqual(ex["reply"]["lines"], ["250 o\\rk"])

    def test_exchange_and_finding_cite_source_and_quote(self):
        run, c, ex = self.noop("250ok\r\n")
        f = ex["findings"][0]
        self.assertEqual((f["verdict"], f["rule"], f["source"]),
                         ("fail", R_LINE_ABNF, "RFC 5321 §4.2"))
        self.assertTrue(f["quote"].startswith("Reply-line = "), f["quote"])
        self.assertEqual(f["message"], D_NO_SEP)
        for obj in (ex, c):
            self.assertEqual((obj["rule"], obj["source"], obj["quote"]),
                             (f["rule"], f["source"], f["quote"]))
        self.assertEqual(c["reason"], "NOOP: %s [%s]" % (D_NO_SEP, R_LINE_ABNF))


class OneReplyPerCommand(E2ETestCase):

    def check(self, case_id):
        run = self.run_smtpspec(answer("NOOP", "250 ok\r\n250 again\r\n"), "replies",
                                "--case", case_id)
        c = case(run.report, case_id)
        ex = exchange(c, "NOOP")
        self.assertEqual(run.rc, 1)
        self.assertEqual(c["verdict"], "fail", c["reason"])
        self.assertEqual(c["rule"], R_ONE_REPLY)
        self.assertEqual(rules_of(ex), [("fail", R_ONE_REPLY)])
        self.assertEqual(ex["reply"]["code"], 250)
        self.assertEqual(ex["reply"]["lines"], ["250 ok"])
        self.assertEqual(ex["received"], "250 ok\\r\\n250 again\\r\\n")
        return c

    def test_unsolicited_second_reply(self):
        c = self.check("replies.noop-rset")
        self.assertEqual(exchange(c, "RSET")["verdict"], "pass")

    def test_unsolicited_second_reply_to_last_command(self):
        self.check("replies.noop")


class Closes(E2ETestCase):
    """A close before QUIT and without a 421 is judged on the exchange where
    it was seen: 5321-3.8-close-on-unknown after a command the server did
    not recognise, 5321-3.8-no-close otherwise."""

    def one(self, scenario, case_id, table_command, rule):
        run = self.run_smtpspec(scenario, "replies", "--case", case_id)
        c = case(run.report, case_id)
        ex = exchange(c, table_command)
        self.assertEqual(run.rc, 1, run.stdout)
        self.assertEqual(c["verdict"], "fail", c["reason"])
        self.assertEqual(c["rule"], rule, c["reason"])
        self.assertEqual(ex["verdict"], "fail")
        self.assertEqual(ex["rule"], rule)
        self.assertIn(("fail", rule), rules_of(ex))
        return run, c, ex

    def test_reply_then_close(self):
        run, c, ex = self.one(answer("NOOP", "250 ok\r\n", then_close=True),
                              "replies.noop", "NOOP", R_NO_CLOSE)
        self.assertEqual(ex["reply"]["code"], 250)
        self.assertIn("after its reply to NOOP", ex["reason"])
        self.assertEqual(finding(run.report, R_NO_CLOSE)["code"], 250)

    def test_close_without_reply(self):
        run, c, ex = self.one(answer("NOOP", "", action="close"), "replies.noop", "NOOP",
                              R_NO_CLOSE)
        self.assertIsNone(ex["reply"])
        self.assertEqual(ex["closed"], "clean")
        self.assertIn("without a reply to NOOP", ex["reason"])
        f = finding(run.report, R_NO_CLOSE)
        self.assertEqual((f["command"], f["code"]), ("NOOP", None))

    def test_reset_without_reply(self):
        run, c, ex = self.one(answer("NOOP", "", action="reset"), "replies.noop", "NOOP",
                              R_NO_CLOSE)
        self.assertIsNone(ex["reply"])
        self.assertEqual(ex["closed"], "reset")

    def test_close_after_unknown_command_without_reply(self):
        run, c, ex = self.one(answer("XSMTPSPEC", "", action="close"), "replies.unknown",
                              "UNKNOWN", R_CLOSE_ON_UNKNOWN)
        self.assertIsNone(ex["reply"])
        self.assertEqual(c["source"], "RFC 5321 §3.8")
        self.assertIn("in violation of this specification", c["quote"])

    def test_close_after_reply_to_unknown_command(self):
        run, c, ex = self.one(answer("XSMTPSPEC", "500 what?\r\n", then_close=True),
                              "replies.unknown", "UNKNOWN", R_CLOSE_ON_UNKNOWN)
        self.assertEqual(ex["reply"]["code"], 500)
        self.assertEqual(rules_of(ex), [("fail", R_CLOSE_ON_UNKNOWN)])

    def test_close_after_reply_is_judged_on_that_exchange_when_a_command_follows(self):
        # BUG (race): a close right after a reply must be judged on the
        # exchange that got the reply.  When the case sends another command,
        # check_unsolicited() (runner.c) drains with a zero timeout; if the
        # FIN has not arrived yet, the next command is sent and the close is
        # judged on it as "closed without a reply to NOOP" -- with
        # 5321-3.8-no-close instead of 5321-3.8-close-on-unknown.  About one
        # run in two goes wrong; four runs make a false pass unlikely.
        scenario = answer("XSMTPSPEC", "500 what?\r\n", then_close=True)
        for attempt in range(4):
            with self.subTest(attempt=attempt):
                run = self.run_smtpspec(scenario, "replies", "--case", "replies.unknown-noop")
                c = case(run.report, "replies.unknown-noop")
                self.assertEqual(c["rule"], R_CLOSE_ON_UNKNOWN, c["reason"])
                self.assertEqual(rules_of(exchange(c, "UNKNOWN")),
                                 [("fail", R_CLOSE_ON_UNKNOWN)])

    def test_reply_then_close_is_judged_on_that_exchange_when_a_command_follows(self):
        # BUG (race): the same behaviour (NOOP answered 250, then a close)
        # must be one finding, (5321-3.8-no-close, NOOP, 250).  When the
        # case sends another command, check_unsolicited() (runner.c) drains
        # with a zero timeout; if the FIN has not arrived yet, RSET is sent
        # and the close is judged on it: (5321-3.8-no-close, RSET, no code),
        # "closed the connection without a reply to RSET".  closed_at() only
        # hands the close back to the previous exchange after a 221 or an
        # unknown command.  About one run in two goes wrong; eight runs make
        # a false pass unlikely.
        scenario = answer("NOOP", "250 ok\r\n", then_close=True)
        for attempt in range(8):
            with self.subTest(attempt=attempt):
                run = self.run_smtpspec(scenario, "replies", "--case", "replies.noop-rset")
                c = case(run.report, "replies.noop-rset")
                self.assertEqual(rules_of(exchange(c, "NOOP")), [("fail", R_NO_CLOSE)],
                                 c["reason"])
                self.assertEqual([(f["command"], f["code"]) for f in run.report["findings"]],
                                 [("NOOP", 250)])

    def test_close_after_quit_is_quiet(self):
        run = self.run_smtpspec(None, "expect", "--case", "expect.quit-close")
        c = self.assertCase(run, "expect.quit-close", "pass")
        self.assertEqual(exchange(c, "QUIT")["closed"], "clean")
        self.assertEqual(run.report["findings"], [])


class CaseSteps(E2ETestCase):

    def test_must_expectation_not_met(self):
        # 250 is in RCPT's code set: only the case's own step fires
        run = self.run_smtpspec(answer("RCPT", "250 ok\r\n"), "expect", "--case", "expect.must")
        c = self.assertCase(run, "expect.must", "fail", "RCPT answered 250, expected 503",
                            rule=R_RCPT)
        ex = exchange(c, "RCPT")
        self.assertEqual(run.rc, 1)
        self.assertEqual(rules_of(ex), [("fail", R_RCPT)])
        self.assertEqual(ex["reply"]["defects"], [])
        self.assertIn(250, ex["allowed"])
        self.assertEqual(c["source"], "RFC 5321 §3.3")
        self.assertIn("MUST return a 503", c["quote"])
        f = finding(run.report, R_RCPT)
        self.assertEqual((f["verdict"], f["command"], f["code"], f["cases"]),
                         ("fail", "RCPT", 250, ["expect.must"]))
        self.assertEqual(f["example"]["command"], "RCPT TO:<Postmaster>")

    def test_no_close_after_quit(self):
        scenario = answer("QUIT", "221 bye\r\n", action="silence")
        run = self.run_smtpspec(scenario, "expect", "--case", "expect.quit-close")
        c = self.assertCase(run, "expect.quit-close", "fail", rule=R_QUIT)
        ex = exchange(c, "QUIT")
        self.assertEqual(run.rc, 1)
        self.assertEqual(rules_of(ex), [("fail", R_QUIT)])
        self.assertEqual(ex["reply"]["code"], 221)
        self.assertIsNone(ex["closed"])
        self.assertIn("did not close the connection", ex["reason"])

    def test_rfc821_code_table_is_a_must(self):
        run = self.run_smtpspec(answer("HELP", "250 ok\r\n"), "rfc821", "--case",
                                "rfc821.help", "--profile", "rfc821")
        c = self.assertCase(run, "rfc821.help", "fail", rule="821-4.3-command-codes")
        self.assertEqual(c["source"], "RFC 821 §4.3")
        self.assertEqual(run.rc, 1)


class FailRulesQuietOnConformingServer(E2ETestCase):

    def test_same_cases_pass_on_default_server(self):
        for suite in ("replies", "expect"):
            run = self.run_smtpspec(None, suite)
            self.assertEqual(run.rc, 0, run.stdout)
            self.assertEqual(run.report["findings"], [])
            for c in run.report["cases"]:
                if c["id"] == "expect.should":      # needs a 554 greeting
                    self.assertEqual(c["verdict"], "skip")
                    continue
                self.assertEqual(c["verdict"], "pass", c["reason"])
                self.assertEqual(c["reason"], "")
                self.assertIsNone(c["rule"])
                for ex in c["exchanges"]:
                    self.assertEqual(ex["verdict"], "pass", ex["reason"])
                    self.assertEqual(ex["findings"], [])
                    self.assertIsNone(ex["rule"])
                    self.assertEqual(ex["reply"]["defects"], [])
                    self.assertIn(ex["reply"]["code"], ex["allowed"])
        quit_ex = exchange(case(run.report, "expect.quit-close"), "QUIT")
        self.assertEqual(quit_ex["closed"], "clean")


if __name__ == "__main__":
    unittest.main()
