"""Every case of suites/syntax.suite against the fake SMTP server.

Each case runs twice: against a conforming scenario (it must pass, or skip
where that is the design), and against a scenario that breaks exactly the
rule the case checks (a MUST case must fail, a SHOULD case must warn, and
the reason must name the code the server sent or the rule it broke).

    /usr/bin/python3 -m unittest tests/suites/test_syntax.py
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suitetest import assert_deviations_caught, reply, rules, run_cases, run_many  # noqa: E402

SUITE = "syntax"


def rule(match, code, state=None, text="x", **extra):
    r = {"match": match, "reply": reply(code, text)}
    if state is not None:
        r["state"] = state
    r.update(extra)
    return r



# The default fake server is conforming except for three leniencies that
# these cases report: it ends command lines at a bare LF (bare_lf
# "accept"), it takes 8-bit octets in a MAIL address, and it does not
# tolerate a trailing TAB.  It also takes a space after "FROM:" (lenient,
# not a violation: mail-space-after-colon then skips); the strict rule
# below makes that case run to the end.
CONFORMING = rules(
    rule("[\x80-\xff]", 500, text="invalid character"),
    rule("^NOOP\t$", 250, text="OK"),
    rule("^MAIL FROM: ", 501, text="no space after the colon"),
    bare_lf="ignore")

RCPT_WITHOUT_MAIL_OK = rule("^RCPT", 250, state=["init", "ready"])
TWO_REPLIES = {"reply": reply(500, "one") + reply(500, "two")}
# MAIL cases whose refusal must leave no transaction open
MAIL_REFUSED_KEEPS_STATE = [(rules(RCPT_WITHOUT_MAIL_OK), "fail", "got 250")]
RCPT_WRONG_CODE = [(rules(rule("^RCPT", 452, state="mail")), "fail", "got 452")]

# case -> [(deviating scenario, expected verdict, text the reason must contain)]
DEVIATIONS = {
    "unknown-verb": [(rules(rule("^XYZZY", 502)), "warn", "got 502"),
                     (rules(rule("^XYZZY", 500, then_close=True)), "fail",
                      "closed the connection before QUIT")],
    "unknown-verb-before-ehlo": [(rules(rule("^XYZZY", 502)), "warn", "got 502")],
    "unknown-private-verb": [(rules(rule("^XSMTPSPEC", 502)), "warn", "got 502")],
    "unknown-verb-with-colon": [(rules(rule("^MAILFROM", 503)), "warn", "got 503"),
                                (rules(rule("^MAILFROM", 221)), "fail", "221")],
    "mail-no-colon": MAIL_REFUSED_KEEPS_STATE,
    "mail-no-brackets": MAIL_REFUSED_KEEPS_STATE,
    "mail-no-closing-bracket": MAIL_REFUSED_KEEPS_STATE,
    "mail-no-opening-bracket": MAIL_REFUSED_KEEPS_STATE,
    "mail-double-brackets": MAIL_REFUSED_KEEPS_STATE
    + [(rules(rule("^MAIL FROM:<<", 455)), "fail", "got 455")],
    "mail-space-after-colon": [(rules(rule("^MAIL FROM: ", 501), RCPT_WITHOUT_MAIL_OK),
                                "fail", "got 250")],
    "mail-space-before-colon": MAIL_REFUSED_KEEPS_STATE,
    "mail-empty-argument": MAIL_REFUSED_KEEPS_STATE,
    "mail-invalid-path": MAIL_REFUSED_KEEPS_STATE,
    "mail-no-argument": [(rules(rule("^MAIL$", 503)), "fail", "got 503")],
    "mail-domain-underscore": [(rules(rule("^MAIL.*_", 250)), "fail", "got 250")],
    "mail-nul-in-domain": [(rules(rule("^MAIL.*\x00", 250)), "fail", "got 250")],
    "mail-8bit": [({}, "warn", "got 250")],
    "rcpt-no-colon": RCPT_WRONG_CODE,
    "rcpt-no-brackets": RCPT_WRONG_CODE,
    "rcpt-no-closing-bracket": RCPT_WRONG_CODE,
    "rcpt-double-brackets": RCPT_WRONG_CODE,
    "rcpt-null-path": RCPT_WRONG_CODE,
    "rcpt-invalid-path": RCPT_WRONG_CODE,
    "rcpt-no-argument": [(rules(rule("^RCPT$", 503)), "fail", "got 503")],
    "rcpt-domain-underscore": [(rules(rule("^RCPT.*_", 250)), "fail", "got 250")],
    "rcpt-refused-keeps-transaction": [
        (rules(rule("^RCPT TO:<p", 503, state="mail")), "warn", "got 503")],
    "mail-local-part-64": [(rules(rule("a{64}", 501, text="Path too long")), "fail", "got 501")],
    "mail-local-part-65": [(rules(rule("a{65}", 354)), "fail", "354")],
    "rcpt-local-part-64": [(rules(rule("a{64}", 500, text="too long")), "fail", "got 500")],
    "rcpt-local-part-65": [(rules(rule("a{65}", 354)), "fail", "354")],
    "ehlo-domain-255": [(rules(rule("^EHLO a{63}", 501)), "fail", "got 501")],
    "ehlo-domain-256": [(rules(rule("^EHLO a{63}", 354)), "fail", "354")],
    "mail-path-256": [(rules(rule("^MAIL FROM:<x@a{63}", 501)), "fail", "got 501")],
    "rcpt-path-256": [(rules(rule("^RCPT TO:<x@a{63}", 501)), "fail", "got 501")],
    "rcpt-path-257": [(rules(rule("^RCPT TO:<x@a{63}", 354)), "fail", "354")],
    "mail-unknown-param": [(rules(rule("XSMTPSPEC", 250)), "fail", "got 250")],
    "rcpt-unknown-param": [(rules(rule("XSMTPSPEC", 250)), "fail", "got 250")],
    "mail-param-bad-keyword": [(rules(rule("-X=1", 250)), "fail", "got 250")],
    "mail-param-after-helo": [(rules(rule("XSMTPSPEC", 553)), "fail", "got 553")],
    "mail-size-bad-value": [(rules(rule("SIZE=abc", 250)), "warn", "got 250")],
    "mail-size-empty-value": [(rules(rule("SIZE=$", 250)), "warn", "got 250")],
    "mail-body-bad-value": [(rules(rule("BODY=", 250)), "warn", "got 250")],
    "helo-no-domain": [(rules(rule("^HELO$", 250)), "warn", "got 250")],
    "ehlo-no-domain": [(rules(rule("^EHLO$", 250)), "warn", "got 250")],
    "data-with-arg": [(rules(rule("^DATA ", 354)), "warn", "got 354")],
    "rset-with-arg": [(rules(rule("^RSET ", 250)), "warn", "got 250")],
    "quit-with-arg": [(rules(rule("^QUIT ", 221, then_close=True)), "warn", "got 221")],
    "noop-with-arg": [(rules(rule("^NOOP ", 501)), "warn", "got 501")],
    "vrfy-no-arg": [(rules(rule("^VRFY$", 252)), "warn", "got 252")],
    "line-512": [({"max_line": 511}, "fail", "got 500")],
    "line-513": [(rules(dict(TWO_REPLIES, match="^NOOP x")), "fail", "exactly one reply")],
    "line-1000": [(rules(dict(TWO_REPLIES, match="^NOOP x")), "fail", "exactly one reply")],
    "line-4096": [(rules(dict(TWO_REPLIES, match="^NOOP x")), "fail", "exactly one reply")],
    "line-65536": [(rules(dict(TWO_REPLIES, match="^NOOP x")), "fail", "exactly one reply"),
                   ({"max_line": 100000}, "pass", "")],
    "lowercase-helo": [(rules(rule("(?-i:^helo)", 500)), "fail", "got 500")],
    "lowercase-mail": [(rules(rule("(?-i:^mail)", 500)), "fail", "got 500")],
    "lowercase-rcpt": [(rules(rule("(?-i:^rcpt)", 502)), "fail", "got 502")],
    "mixedcase-mail-rcpt": [(rules(rule("(?-i:^MaIl)", 500)), "fail", "got 500"),
                            (rules(rule("(?-i:^RcPt)", 500)), "fail", "got 500")],
    "mixedcase-data": [(rules(rule("(?-i:^dAtA)", 500)), "fail", "got 500")],
    "lowercase-noop": [(rules(rule("(?-i:^noop)", 500)), "fail", "got 500")],
    "lowercase-rset": [(rules(rule("(?-i:^rset)", 500)), "fail", "got 500")],
    "lowercase-vrfy": [(rules(rule("(?-i:^vrfy)", 500)), "fail", "got 500")],
    "lowercase-quit": [(rules(rule("(?-i:^quit)", 500)), "fail", "got 500")],
    "nul-in-verb": [(rules(dict(TWO_REPLIES, match="\x00")), "fail", "exactly one reply")],
    "nul-in-argument": [(rules(dict(TWO_REPLIES, match="\x00")), "fail", "exactly one reply")],
    "bare-lf": [({}, "warn", "got 500"), ({"bare_lf": "reject"}, "warn", "got 500")],
    "bare-cr": [({"bare_cr": "accept"}, "fail", "got 500")],
    "empty-line": [(rules(rule("^$", 354)), "fail", "354")],
    "leading-space": [(rules(rule("^ NOOP", 354)), "fail", "354")],
    "trailing-space-noop": [(rules(rule("^NOOP $", 501)), "warn", "got 501")],
    "trailing-tab-noop": [({}, "warn", "got 500")],
    "trailing-space-rset": [(rules(rule("^RSET $", 501)), "warn", "got 501")],
    "trailing-space-mail": [(rules(rule("^MAIL .*> $", 501)), "warn", "got 501")],
}


class SyntaxSuite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rc, cls.cases = run_cases(SUITE, CONFORMING)

    def test_every_case_has_a_deviation(self):
        self.assertEqual(sorted(self.cases), sorted(DEVIATIONS))

    def test_conforming_server_passes(self):
        for cid, case in self.cases.items():
            with self.subTest(case=cid):
                self.assertEqual(case["verdict"], "pass", case["reason"])
        self.assertEqual(self.rc, 0)

    def test_lenient_server_skips_state_checks(self):
        # The default fake server takes "MAIL FROM: <addr>" leniently: the
        # case must skip (not judge) its follow-up.
        rc, cases = run_cases(SUITE, {}, cases=["mail-space-after-colon"])
        self.assertEqual(cases["mail-space-after-colon"]["verdict"], "skip")

    def test_deviating_server_is_caught(self):
        assert_deviations_caught(self, SUITE, DEVIATIONS)


if __name__ == "__main__":
    unittest.main()
