"""The ehlo suite, case by case, against the fake server: each case passes
(or skips, where it is designed to) on a conforming server and earns its
verdict on a server with the deviation it is written for."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SRC = os.environ.get("SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
BIN = os.environ.get("SMTPSPEC") or os.path.join(SRC, "smtpspec")
SUITE = os.path.join(SRC, "suites", "ehlo.suite")
sys.path.insert(0, os.path.join(SRC, "tests", "fakesmtp"))
from fakesmtp import FakeServer  # noqa: E402

DEFAULT_KEYWORDS = ["PIPELINING", "SIZE 10240000", "8BITMIME", "HELP"]


def run_case(case, scenario=None):
    """Runs ehlo.CASE against a fake server; returns the case's report."""
    with tempfile.TemporaryDirectory() as tmp, FakeServer(scenario, max_seconds=30) as srv:
        report = os.path.join(tmp, "r.json")
        proc = subprocess.run([BIN, "--suite", SUITE, "--case", "ehlo." + case,
                               "--timeout", "2", "--json", report,
                               f"smtp://127.0.0.1:{srv.port}"],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode in (0, 1, 3), proc.stderr
        with open(report, encoding="utf-8") as f:
            return json.load(f)["cases"][0]


def keywords(*kw):
    return {"ehlo_keywords": list(kw)}


def answer(verb_regex, reply, **more):
    rule = {"match": verb_regex, "reply": reply}
    rule.update(more)
    return {"rules": [rule]}


class EhloSuite(unittest.TestCase):
    def verdict(self, case, scenario, want, reason_has=None):
        c = run_case(case, scenario)
        self.assertEqual(c["verdict"], want, c["reason"])
        if reason_has:
            self.assertIn(reason_has, c["reason"])
        return c

    def test_reply_syntax(self):
        self.verdict("reply-syntax", None, "pass")
        self.verdict("reply-syntax", {"ehlo_reply": "250-***\r\n250 8BITMIME\r\n"}, "fail",
                     "§4.1.1.1")

    def test_keyword_syntax(self):
        self.verdict("keyword-syntax", None, "pass")
        self.verdict("keyword-syntax", keywords("PIPE_LINING"), "fail", "ehlo-keyword")
        self.verdict("keyword-syntax", keywords("AUTH=LOGIN PLAIN"), "warn", "AUTH=")

    def test_keywords_registered(self):
        self.verdict("keywords-registered", keywords("XSHADOW", "8BITMIME"), "pass")
        self.verdict("keywords-registered", keywords("FOOBAR"), "fail", "§2.2.2")

    def test_duplicate_keywords_are_noted_not_judged(self):
        c = self.verdict("duplicate-keywords", keywords("SIZE 1000", "SIZE 2000"), "pass")
        self.assertIn("listed twice", c["exchanges"][1]["reason"])
        c = self.verdict("duplicate-keywords", None, "pass")
        self.assertEqual(c["exchanges"][1]["reason"], "")

    def test_params(self):
        self.verdict("params", keywords("SIZE", "AUTH PLAIN LOGIN", "PIPELINING"), "pass")
        self.verdict("params", keywords("SIZE ten"), "fail", "RFC 1870")
        self.verdict("params", keywords("AUTH login"), "warn", "RFC 4422")
        self.verdict("params", keywords("PIPELINING yes"), "warn", "RFC 2920")

    def test_lowercase(self):
        self.verdict("lowercase", None, "pass")
        self.verdict("lowercase", answer("(?-i:^ehlo )", "500 what\r\n"), "fail", "§2.4")

    def test_address_literal(self):
        self.verdict("address-literal", None, "pass")
        self.verdict("address-literal", answer(r"^EHLO \[", "550 no literals\r\n"), "warn")

    def test_twice(self):
        self.verdict("twice", None, "pass")
        self.verdict("twice", answer("^EHLO", "503 once is enough\r\n", state="ready"), "fail",
                     "§4.1.4")

    def test_helo_fallback(self):
        self.verdict("helo-fallback", None, "pass")
        self.verdict("helo-fallback", answer("^HELO", "250-fake.test\r\n250 PIPELINING\r\n"),
                     "fail", "§3.2")

    def test_helo_after_ehlo(self):
        self.verdict("helo-after-ehlo", None, "pass")
        self.verdict("helo-after-ehlo", answer("^HELO", "503 no\r\n", state="ready"), "fail")

    def test_help_advertised(self):
        self.verdict("help-advertised", None, "pass")
        self.verdict("help-advertised", keywords("8BITMIME"), "skip")
        self.verdict("help-advertised", answer("^HELP", "502 not here\r\n"), "fail", "§4.2.4")

    def test_vrfy_advertised(self):
        self.verdict("vrfy-advertised", None, "skip")
        self.verdict("vrfy-advertised", keywords("VRFY"), "pass")
        self.verdict("vrfy-advertised",
                     dict(keywords("VRFY"), **answer("^VRFY", "502 no\r\n")), "fail")

    def test_expn_advertised(self):
        self.verdict("expn-advertised",
                     dict(keywords("EXPN"), **answer("^EXPN", "252 maybe\r\n")), "pass")
        self.verdict("expn-advertised", keywords("EXPN"), "fail", "§4.2.4")  # default 502

    def test_help_implemented_is_advertised(self):
        self.verdict("help-implemented-is-advertised", None, "pass")
        self.verdict("help-implemented-is-advertised", keywords("8BITMIME"), "fail",
                     "§4.1.1.1")
        self.verdict("help-implemented-is-advertised",
                     dict(keywords("8BITMIME"), **answer("^HELP", "502 no\r\n")), "skip")

    def test_expn_implemented_is_advertised(self):
        self.verdict("expn-implemented-is-advertised", None, "skip")  # default EXPN 502
        self.verdict("expn-implemented-is-advertised",
                     dict(keywords("EXPN"), **answer("^EXPN", "250 <postmaster@fake.test>\r\n")),
                     "pass")
        self.verdict("expn-implemented-is-advertised",
                     answer("^EXPN", "250 <postmaster@fake.test>\r\n"), "fail", "EXPN")

    def test_ehlo_no_domain(self):
        self.verdict("ehlo-no-domain", None, "pass")
        self.verdict("ehlo-no-domain", answer("^EHLO$", "250 fine\r\n"), "fail", "§4.1.4")
        self.verdict("ehlo-no-domain", answer("^EHLO$", "550 no\r\n"), "warn", "501")


if __name__ == "__main__":
    unittest.main()
