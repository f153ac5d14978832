"""Every case of suites/session.suite against the fake SMTP server.

Each case runs twice or more: against the conforming fake server (it must
pass), and against servers that break exactly the rule the case checks (a
MUST case must fail, a SHOULD case must warn, and the reason must name the
code the server sent, or the close).  Two other conforming servers (HELP
and VRFY/EXPN not implemented, answered 502) must pass too: the RFC lets a
server disable them.

    /usr/bin/python3 -m unittest tests/suites/test_session.py
"""
import concurrent.futures
import json
import os
import subprocess
import sys
import socket
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suitetest import BINARY, FakeServer, assert_deviations_caught, reply, rule, rules, run_cases, run_many, suite_file  # noqa: E402
import fakesmtp  # noqa: E402  (on sys.path through suitetest)

SUITE = "session"




class NoCloseServer(FakeServer):
    """Answers QUIT with 221 but keeps the connection open (scenarios can
    not express this: a 2xx reply to QUIT always closes).  This is
    FakeServer._spawn with the session patched before its thread starts."""

    def _spawn(self, sock):
        sock.settimeout(self.io_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            record = fakesmtp._Record(len(self._records))
            self._records.append(record)
            session = fakesmtp._Session(self, sock, record, fakesmtp.scenario_for_connection(
                self.scenario, record.index))
            session.quit = lambda: None
            self._sessions.append(session)
            thread = threading.Thread(target=session.run, daemon=True,
                                      name="fakesmtp-conn-%d" % record.index)
            self._threads.append(thread)
        thread.start()


def run_no_close(case_id):
    with tempfile.TemporaryDirectory(prefix="test-session-") as tmp:
        report = os.path.join(tmp, "report.json")
        with NoCloseServer(None, max_seconds=60) as srv:
            subprocess.run([BINARY, "--suite", suite_file(SUITE), "--case",
                            "%s.%s" % (SUITE, case_id), "--timeout", "2", "--json", report,
                            "smtp://127.0.0.1:%d" % srv.port],
                           capture_output=True, timeout=60)
        with open(report, encoding="utf-8") as f:
            return json.load(f)["cases"][0]


# Conforming servers that disable optional commands (RFC 5321 §3.5.2,
# §7.3: VRFY and EXPN may be disabled; HELP is a SHOULD, so only the help
# case may warn there).
NOT_IMPLEMENTED = rules(rule("^HELP", 502), rule("^VRFY", 502), rule("^EXPN", 502))

CASE_SENSITIVE = "(?-i:%s)"     # the fake matches case-insensitively by default

# case -> [(deviating scenario, expected verdict, text the reason must contain)]
DEVIATIONS = {
    "quit-after-helo": [(rules(rule("^QUIT", 250)), "fail", "got 250")],
    "quit-lowercase": [(rules(rule("^" + CASE_SENSITIVE % "quit" + "$", 500)),
                        "fail", "got 500")],
    "quit-after-rcpt": [(rules(rule("^QUIT", 503, state="rcpt")), "fail", "got 503")],
    "quit-after-errors": [
        (rules({"match": "^XSMTPSPEC", "action": "close"}), "fail",
         "closed the connection before QUIT"),
        (rules(rule("^NOOP", 503)), "fail", "got 503")],
    "noop-argument": [(rules(rule("^NOOP ", 501)), "warn", "got 501")],
    "noop-repeated": [(rules({"match": "^NOOP", "times": 3}, rule("^NOOP", 500)),
                       "fail", "got 500")],
    "noop-mixed-case": [(rules(rule("^" + CASE_SENSITIVE % "nOoP", 500)), "fail", "got 500")],
    "help": [(rules(rule("^HELP", 502)), "warn", "got 502"),
             (rules(rule("^HELP", 250)), "warn", "got 250")],
    "help-topic": [(rules(rule("^HELP ", 501)), "warn", "got 501")],
    "vrfy-local-part": [(rules(rule("^VRFY postmaster$", 501)), "fail", "got 501")],
    "vrfy-mailbox": [(rules(rule("^VRFY postmaster@", 501)), "warn", "got 501")],
    "expn-local-part": [(rules(rule("^EXPN", 501)), "warn", "got 501")],
    "rset-twice": [
        (rules(rule("^RSET", 503, state="ready")), "fail", "got 503"),
        (rules({"match": "^RSET", "state": "ready", "action": "close"}), "fail",
         "closed the connection before QUIT"),
        (rules({"match": "^MAIL", "times": 1}, rule("^MAIL", 503)), "fail", "got 503")],
    "ehlo-twice": [
        (rules(rule("^EHLO", 503, state="ready")), "fail", "got 503"),
        (rules({"match": "^MAIL", "reply": reply(503, "nested MAIL")}), "fail", "got 503")],
    "helo-after-ehlo": [
        (rules(rule("^HELO", 503, state="ready")), "fail", "got 503"),
        (rules(rule("^MAIL", 503)), "fail", "got 503"),
        (rules({"match": "^HELO", "reply": "250-fake.test\r\n250 PIPELINING\r\n"}),
         "fail", "MUST NOT return the extended EHLO-style response")],
    "ehlo-after-helo": [(rules(rule("^EHLO", 502, state="ready")), "fail", "got 502")],
    "greeting-syntax": [(rules(greeting="220 ***** service ready\r\n"), "fail", "§4.2"),
                        (rules(greeting="554\r\n"), "warn", "§3.1")],
}

# response-times judges replies slower than the RFC 5321 §4.5.3.2 figures
# (minutes); no test waits that long.  expect-within itself is tested in
# tests/e2e/test_verdict_warn_pass.py with a short limit.
NO_DEVIATION = {"response-times"}


class SessionSuite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rc, cls.cases = run_cases(SUITE)
        cls.ni_rc, cls.ni_cases = run_cases(SUITE, NOT_IMPLEMENTED)

    def test_every_case_has_a_deviation(self):
        self.assertEqual(sorted(self.cases), sorted(set(DEVIATIONS) | NO_DEVIATION))

    def test_conforming_server_passes(self):
        for cid, case in self.cases.items():
            with self.subTest(case=cid):
                self.assertEqual(case["verdict"], "pass", case["reason"])
        self.assertEqual(self.rc, 0)

    def test_disabled_vrfy_expn_help_are_not_failed(self):
        for cid, case in self.ni_cases.items():
            with self.subTest(case=cid):
                want = "warn" if cid == "help" else "pass"
                self.assertEqual(case["verdict"], want, case["reason"])
        self.assertEqual(self.ni_rc, 0)

    def test_quit_without_close_fails(self):
        ids = ("quit-after-helo", "quit-lowercase", "quit-after-rcpt", "quit-after-errors")
        with concurrent.futures.ThreadPoolExecutor(len(ids)) as pool:
            cases = list(pool.map(run_no_close, ids))
        for cid, case in zip(ids, cases):
            with self.subTest(case=cid):
                self.assertEqual(case["verdict"], "fail", case["reason"])
                self.assertIn("did not close", case["reason"])

    def test_deviating_server_is_caught(self):
        assert_deviations_caught(self, SUITE, DEVIATIONS)


if __name__ == "__main__":
    unittest.main()
