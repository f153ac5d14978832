"""Every case of suites/syntax.suite against the fake SMTP server.

Each case runs against a conforming scenario (it must pass) and against
scenarios that each break exactly the rule the case judges: the case must
earn the verdict of that rule's keyword (fail for MUST, warn for SHOULD,
info for MAY or no keyword) and cite that rule.  Every control has a test
too: a server that refuses the control makes the case inconclusive (skip).

    /usr/bin/python3 -m unittest tests/suites/test_syntax.py
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suitetest import assert_conforming, assert_deviations_caught, reply, rule, rules, run_cases  # noqa: E402

SUITE = "syntax"

# The default fake server is conforming except for three things these
# cases report: it ends command lines at a bare LF (bare_lf "accept"), it
# takes 8-bit octets in a MAIL address, and it does not tolerate a
# trailing TAB.  It also takes a space after "FROM:" (lenient: info in
# mail-space-after-colon).  CONFORMING fixes all four.
CONFORMING = rules(
    rule("[\x80-\xff]", 500, text="invalid character"),
    rule("^NOOP\t$", 250, text="OK"),
    rule("^MAIL FROM: ", 501, text="no space after the colon"),
    bare_lf="ignore")

TWO_REPLIES = {"reply": reply(500, "one") + reply(500, "two")}
INCONCLUSIVE = "inconclusive"

# Rules the verdicts cite
RIGID = "5321-2.4-rigid-syntax"
PARAM_555 = "5321-4.1.1.11-unknown-param-555"
INVALID_CHARS = "5321-4.1.2-invalid-chars-501"
SIZES = "5321-4.5.3.1-minimum-sizes"
VERBS = "5321-2.4-verbs-any-case"
KEYWORDS = "5321-2.4-not-case-sensitive"
TRAILING = "5321-4.1.1-trailing-white-space"
NO_ARG = "5321-4.3.2-no-arg-501"
ONE_REPLY = "5321-4.2-one-reply"
CRLF = "5321-2.3.8-crlf-only"
CODES = "5321-4.3.1-command-codes"
UNKNOWN = "5321-4.2.4-unrecognized-500"
CLOSE_ON_UNKNOWN = "5321-3.8-close-on-unknown"


def accepted(match, state=None):
    """A scenario whose server takes lines matching match with 250."""
    return rules(rule(match, 250, state=state, text="OK"))


def lenient(match, state=None, rule_id=RIGID):
    return [(accepted(match, state), "info", rule_id)]


def refused_control(match, code=550):
    """The control (lines matching match) is refused: inconclusive."""
    return (rules(rule(match, code, text="refused")), "skip", INCONCLUSIVE)


# case -> [(deviating scenario, expected verdict, rule id or reason text)]
DEVIATIONS = {
    # unknown verbs: the code table and the close check judge them
    "unknown-verb": [(rules(rule("^XYZZY", 502)), "warn", UNKNOWN),
                     (rules(rule("^NOOP", 252)), "warn", CODES)],
    "unknown-verb-before-ehlo": [(rules(rule("^XYZZY", 502)), "warn", UNKNOWN),
                                 (rules(rule("^XYZZY", 500, then_close=True)),
                                  "fail", CLOSE_ON_UNKNOWN)],
    "unknown-private-verb": [(rules(rule("^XSMTPSPEC", 502)), "warn", UNKNOWN)],
    # a header-like line may be taken for an attack (§7.8): the close is
    # not judged, the 221 (not 500) is
    "unknown-verb-with-colon": [(rules(rule("^MAILFROM", 221, then_close=True)),
                                 "warn", UNKNOWN),
                                (rules(rule("^MAILFROM", 503)), "warn", UNKNOWN)],
    # MAIL syntax: taking it is info
    "mail-no-colon": lenient("^MAIL FROM <"),
    "mail-no-brackets": lenient("^MAIL FROM:smtpspec"),
    "mail-no-closing-bracket": lenient("^MAIL FROM:<[^>]*$"),
    "mail-no-opening-bracket": lenient("^MAIL FROM:smtpspec.*>$"),
    "mail-double-brackets": lenient("^MAIL FROM:<<"),
    "mail-space-after-colon": [({}, "info", RIGID)],
    "mail-space-before-colon": lenient("^MAIL FROM :"),
    "mail-empty-argument": lenient("^MAIL FROM:$"),
    "mail-invalid-path": lenient("^MAIL FROM:<@>"),
    "mail-no-argument": lenient("^MAIL$"),
    # characters
    "mail-domain-underscore": [(accepted("^MAIL.*_"), "fail", INVALID_CHARS)],
    "mail-nul-in-domain": [(accepted("^MAIL.*\x00"), "fail", INVALID_CHARS)],
    "mail-8bit": [({}, "warn", "5321-2.4-8bit-envelope")],
    "rcpt-domain-underscore": [(accepted("^RCPT.*_", state=["mail", "rcpt"]), "fail",
                                INVALID_CHARS),
                               refused_control("^RCPT TO:<postmaster@smtpspec")],
    # RCPT syntax: taking it is info
    "rcpt-no-colon": lenient("^RCPT TO <", state="mail"),
    "rcpt-no-brackets": lenient("^RCPT TO:Postmaster", state="mail"),
    "rcpt-no-closing-bracket": lenient("^RCPT TO:<Postmaster$", state="mail"),
    "rcpt-double-brackets": lenient("^RCPT TO:<<", state="mail"),
    "rcpt-null-path": lenient("^RCPT TO:<>", state="mail"),
    "rcpt-invalid-path": lenient("^RCPT TO:<@>", state="mail"),
    "rcpt-no-argument": lenient("^RCPT$", state="mail"),
    "rcpt-refused-keeps-transaction": [
        (rules(rule("^RCPT TO:<P", 503, state="mail")), "info", "5321-3.3-rcpt-repeatable")],
    # size minimums
    "mail-local-part-64": [(rules(rule("a{64}@", 501, text="Path too long")), "fail", SIZES),
                           refused_control("^MAIL FROM:<a@")],
    "mail-local-part-65": [(rules(rule("a{65}@", 252)), "warn", CODES)],
    "rcpt-local-part-64": [(rules(rule("^RCPT TO:<a{64}@", 550, text="too long")),
                            "fail", SIZES),
                           refused_control("^RCPT TO:<a@")],
    "rcpt-local-part-65": [(rules(rule("a{65}@", 252)), "warn", CODES)],
    # the control comes after the probe: it voids a refusal only when it
    # is refused too, and a probe that passed stays a pass
    "ehlo-domain-253": [(rules(rule("^EHLO a{63}", 501)), "fail", SIZES),
                        refused_control("^EHLO a", 550),
                        (rules(rule("^EHLO a\\.b", 550)), "pass", None)],
    "ehlo-domain-255": [(rules(rule("^EHLO a{63}", 501)), "info",
                         "5321-4.5.3.1.2-domain-255"),
                        refused_control("^EHLO a", 550),
                        (rules(rule("^EHLO a\\.b", 550)), "pass", None)],
    "ehlo-domain-256": [(rules(rule("^EHLO a{63}", 252)), "warn", CODES)],
    "mail-path-256": [(rules(rule("^MAIL FROM:<x@a{63}", 501)), "fail", SIZES),
                      refused_control("^MAIL FROM:<x@a\\.b")],
    "rcpt-path-256": [(rules(rule("^RCPT TO:<x@a{63}", 501)), "fail", SIZES),
                      refused_control("^RCPT TO:<x@a\\.b")],
    "rcpt-path-257": [(rules(rule("^RCPT TO:<x@a{63}", 252)), "warn", CODES)],
    # parameters
    "mail-unknown-param": lenient("XSMTPSPEC", rule_id=PARAM_555),
    "rcpt-unknown-param": lenient("XSMTPSPEC", rule_id=PARAM_555)
    + [refused_control("^RCPT TO:<Postmaster>$")],
    "mail-param-bad-keyword": lenient("-X=1", rule_id=PARAM_555),
    "mail-param-after-helo": [(rules(rule("XSMTPSPEC", 553)), "info", PARAM_555)],
    "mail-size-bad-value": lenient("SIZE=abc"),
    "mail-size-empty-value": lenient("SIZE=$"),
    "mail-body-bad-value": lenient("BODY=", rule_id=PARAM_555),
    # arguments
    "helo-no-domain": lenient("^HELO$"),
    "ehlo-no-domain": lenient("^EHLO$"),
    "data-with-arg": [(rules(rule("^DATA ", 354)), "warn", NO_ARG)],
    "rset-with-arg": [(accepted("^RSET "), "warn", NO_ARG)],
    "quit-with-arg": [(rules(rule("^QUIT ", 221, then_close=True)), "warn", NO_ARG)],
    "vrfy-no-arg": [(rules(rule("^VRFY$", 252)), "info", RIGID)],
    # command line length
    "line-512": [({"max_line": 511}, "fail", SIZES),
                 refused_control("^NOOP x", 501)],
    "line-513": [(rules(dict(TWO_REPLIES, match="^NOOP x")), "fail", ONE_REPLY)],
    "line-1000": [(rules(dict(TWO_REPLIES, match="^NOOP x")), "fail", ONE_REPLY)],
    "line-4096": [(rules(dict(TWO_REPLIES, match="^NOOP x")), "fail", ONE_REPLY)],
    "line-65536": [(rules(dict(TWO_REPLIES, match="^NOOP x")), "fail", ONE_REPLY),
                   ({"max_line": 100000}, "pass", "")],
    # case of verbs and keywords
    "lowercase-helo": [(rules(rule("(?-i:^helo)", 500)), "fail", VERBS),
                       # HELO refused in any case: the control (after the
                       # probe) voids the probe's verdict
                       refused_control("^HELO", 502),
                       # the probe accepted: the control after it is moot
                       (rules(rule("(?-i:^HELO)", 502)), "pass", None)],
    "lowercase-mail": [(rules(rule("(?-i:^mail)", 500)), "fail", VERBS),
                       refused_control("(?-i:^MAIL)")],
    "lowercase-rcpt": [(rules(rule("(?-i:^rcpt)", 502)), "fail", VERBS),
                       refused_control("(?-i:^RCPT)")],
    "lowercase-from": [(rules(rule("(?-i:^MAIL from)", 501)), "info", KEYWORDS),
                       refused_control("(?-i:^MAIL FROM)")],
    "lowercase-to": [(rules(rule("(?-i:^RCPT to)", 501)), "info", KEYWORDS),
                     refused_control("(?-i:^RCPT TO)")],
    "mixedcase-data": [(rules(rule("(?-i:^dAtA)", 500)), "fail", VERBS),
                       refused_control("(?-i:^DATA)", 500)],
    "lowercase-noop": [(rules(rule("(?-i:^noop)", 500)), "fail", VERBS),
                       refused_control("(?-i:^NOOP)", 500)],
    "lowercase-rset": [(rules(rule("(?-i:^rset)", 500)), "fail", VERBS),
                       refused_control("(?-i:^RSET)", 500)],
    "lowercase-vrfy": [(rules(rule("(?-i:^vrfy)", 500)), "fail", VERBS),
                       refused_control("(?-i:^VRFY)", 502)],
    "lowercase-quit": [(rules(rule("(?-i:^quit)", 500)), "fail", VERBS)],
    # odd octets and line terminators
    "nul-in-verb": [(rules(dict(TWO_REPLIES, match="\x00")), "fail", ONE_REPLY)],
    "nul-in-argument": [(rules(dict(TWO_REPLIES, match="\x00")), "fail", ONE_REPLY)],
    "bare-lf": [({}, "fail", CRLF), ({"bare_lf": "reject"}, "fail", CRLF)],
    "bare-cr": [({"bare_cr": "accept"}, "fail", CRLF)],
    "empty-line": [(rules(rule("^$", 252)), "warn", CODES)],
    # white space
    "leading-space": [(rules(rule("^ NOOP", 252)), "warn", CODES)],
    "trailing-space-noop": [(rules(rule("^NOOP $", 501)), "warn", TRAILING),
                            refused_control("^NOOP$", 500)],
    "trailing-tab-noop": [({}, "warn", TRAILING),
                          refused_control("^NOOP$", 500)],
    "trailing-space-rset": [(rules(rule("^RSET $", 501)), "warn", TRAILING),
                            refused_control("^RSET$", 500)],
    "trailing-space-mail": [(rules(rule("^MAIL .*> $", 501)), "warn", TRAILING),
                            refused_control("^MAIL FROM:<[^>]*>$")],
}


class SyntaxSuite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rc, cls.cases = run_cases(SUITE, CONFORMING)

    def test_every_case_has_a_deviation(self):
        self.assertEqual(sorted(self.cases), sorted(DEVIATIONS))

    def test_conforming_server_passes(self):
        assert_conforming(self, self.rc, self.cases)

    def test_lenient_server_is_info_not_skip(self):
        # The default fake server takes "MAIL FROM: <addr>": info (no rule
        # requires the refusal), and info does not change the exit status.
        rc, cases = run_cases(SUITE, {}, cases=["mail-space-after-colon"])
        case = cases["mail-space-after-colon"]
        self.assertEqual(case["verdict"], "info", case["reason"])
        self.assertEqual(case["rule"], RIGID)
        self.assertEqual(rc, 0)

    def test_deviating_server_is_caught(self):
        assert_deviations_caught(self, SUITE, DEVIATIONS)


if __name__ == "__main__":
    unittest.main()
