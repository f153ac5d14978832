"""Every case of suites/transaction.suite against the fake SMTP server.

Each case runs (with --rcpt twice, since every case delivers):
- against the conforming fake server: it must pass, and the messages the
  fake server recorded (dot-unstuffed) must be exactly the messages the
  case meant to send, to the intended recipients;
- against a server that breaks the rule the case checks: a MUST case must
  fail, a SHOULD case must warn, and the reason must name the code the
  server sent;
- where the case starts with a plain message (a baseline), against a
  conforming server that refuses every message for policy reasons: the
  case must skip, never fail.

Some deviations concern one message of several in a session (the plain
message accepted, the dot-stuffed one refused).  The fake server's
scenarios cannot vary the end-of-data reply per message, so TweakedServer
below (a FakeServer) changes it per message, and can also keep the
connection open after QUIT.

    /usr/bin/python3 -m unittest tests/suites/test_transaction.py
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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.environ.get("SRCDIR") or os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakesmtp"))
import fakesmtp  # noqa: E402
from fakesmtp import FakeServer  # noqa: E402
sys.path.insert(0, HERE)
from suitetest import rules  # noqa: E402

BINARY = os.path.abspath(os.environ.get("SMTPSPEC", "./smtpspec"))
SUITE = "transaction"
SUITE_FILE = os.path.join(ROOT, "suites", SUITE + ".suite")
RCPT1 = "rcpt1@fake.test"
RCPT2 = "rcpt2@fake.test"
MAIL_FROM = "smtpspec@smtpspec.invalid"
RUN_TIMEOUT = 60


class TweakedServer(FakeServer):
    """FakeServer with two deviations its scenarios cannot express:
    refuse_from=N answers 554 to the end of data of the N-th message (and
    later ones) of each connection; no_close=True keeps the connection open
    after the 221 reply to QUIT."""

    def __init__(self, scenario=None, refuse_from=None, no_close=False, **kw):
        self.refuse_from = refuse_from
        self.no_close = no_close
        super().__init__(scenario, **kw)

    def _spawn(self, sock):
        # FakeServer._spawn, with the session patched before its thread
        # starts (patching afterwards would race with the client).
        sock.settimeout(self.io_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            record = fakesmtp._Record(len(self._records))
            self._records.append(record)
            session = fakesmtp._Session(self, sock, record, fakesmtp.scenario_for_connection(
                self.scenario, record.index))
            self._tweak(session)
            self._sessions.append(session)
            thread = threading.Thread(target=session.run, daemon=True,
                                      name="fakesmtp-conn-%d" % record.index)
            self._threads.append(thread)
        thread.start()

    def _tweak(self, session):
        if self.no_close:
            session.quit = lambda: None
        if self.refuse_from:
            receive, count = session.receive_message, [0]

            def receive_message():
                count[0] += 1
                if count[0] >= self.refuse_from:
                    session.sc["data_end_reply"] = "554 5.6.0 refused by the test\r\n"
                receive()
            session.receive_message = receive_message


def run(cases, scenario=None, jobs=8, **server_kw):
    """Runs the cases (short ids; None = all) in one smtpspec run against a
    fresh server; returns (exit status, {short id: case}, deliveries)."""
    with tempfile.TemporaryDirectory(prefix="test-transaction-") as tmp:
        report = os.path.join(tmp, "report.json")
        with TweakedServer(scenario, max_seconds=RUN_TIMEOUT, **server_kw) as srv:
            cmd = [BINARY, "--suite", SUITE_FILE, "--timeout", "2", "-j", str(jobs),
                   "--rcpt", RCPT1, "--rcpt", RCPT2, "--json", report]
            for c in cases or []:
                cmd += ["--case", "%s.%s" % (SUITE, c)]
            cmd.append("smtp://127.0.0.1:%d" % srv.port)
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT)
            srv.wait_idle()
            deliveries = srv.deliveries
        if not os.path.exists(report):
            raise AssertionError("smtpspec exited %d without a report:\n%s%s"
                                 % (proc.returncode, proc.stdout, proc.stderr))
        with open(report, encoding="utf-8") as f:
            cases_out = {c["id"].split(".", 1)[1]: c for c in json.load(f)["cases"]}
        return proc.returncode, cases_out, deliveries


# ---- the messages each case means to deliver (after dot-unstuffing) ---------

def headers(case, n, subject, to="<%s>" % RCPT1):
    return ("From: <%s>\r\nTo: %s\r\nSubject: smtpspec transaction.%s\r\n"
            "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
            "Message-ID: <transaction.%s.%d@smtpspec.invalid>\r\n"
            % (MAIL_FROM, to, subject, case, n)).encode()


SIGNATURE = b"This message was sent by smtpspec, an SMTP conformance tester.\r\n"


def plain(case, n, subject, extra=b""):
    return headers(case, n, subject) + b"\r\n" + SIGNATURE + extra


DOTTED_BODY = (b"Each of the next lines starts with a period; smtpspec sent it with one more.\r\n"
               b".x\r\n.\r\n..\r\n. a period and a space\r\n...\r\n"
               b"The last line of this message is a single period.\r\n.\r\n")

# case -> list of (recipients, data) in the order they are sent
EXPECTED_MESSAGES = {
    "helo-transaction": [
        ([RCPT1], headers("helo-transaction", 1, "helo-transaction") + b"\r\n"
         b"This message was sent by smtpspec, an SMTP conformance tester, after HELO.\r\n")],
    "dot-stuffing": [
        ([RCPT1], plain("dot-stuffing", 1, "dot-stuffing (plain message)",
                        b"A second message with dot-stuffed lines follows.\r\n")),
        ([RCPT1], headers("dot-stuffing", 2, "dot-stuffing (dot-stuffed lines)") + b"\r\n"
         + DOTTED_BODY)],
    "long-lines": [
        ([RCPT1], plain("long-lines", 1, "long-lines (plain message)",
                        b"Two messages with long lines follow.\r\n")),
        ([RCPT1], headers("long-lines", 2, "long-lines (998 octets)") + b"\r\n"
         b"The next line is 998 octets long, 1000 with its CRLF.\r\n" + b"x" * 998
         + b"\r\nEnd.\r\n"),
        ([RCPT1], headers("long-lines", 3, "long-lines (998 octets, leading period)") + b"\r\n"
         b"The next line is 998 octets long and starts with a period: 1001 octets on the"
         b" wire.\r\n." + b"x" * 997 + b"\r\nEnd.\r\n")],
    "empty-data": [([RCPT1], b"")],
    "headers-only": [([RCPT1], headers("headers-only", 1, "headers-only (no body)"))],
    "two-recipients": [
        ([RCPT1, RCPT2], headers("two-recipients", 1, "two-recipients",
                                 to="<%s>, <%s>" % (RCPT1, RCPT2)) + b"\r\n"
         b"This message was sent by smtpspec, an SMTP conformance tester, to two recipients.\r\n")],
    "two-transactions": [
        ([RCPT1], plain("two-transactions", 1, "two-transactions (message 1)")),
        ([RCPT1], headers("two-transactions", 2, "two-transactions (message 2)") + b"\r\n"
         b"This is the second message of the session.\r\n")],
    "rset-after-data": [
        ([RCPT1], plain("rset-after-data", 1, "rset-after-data (message 1)")),
        ([RCPT1], headers("rset-after-data", 2, "rset-after-data (message 2)") + b"\r\n"
         b"This is the second message of the session, sent after a RSET.\r\n")],
    "rcpt-after-data": [([RCPT1], plain("rcpt-after-data", 1, "rcpt-after-data"))],
    "quit-after-data": [([RCPT1], plain("quit-after-data", 1, "quit-after-data"))],
}


def case_of(data):
    """The case a delivered message belongs to, from its Message-ID."""
    if data == b"":
        return "empty-data"
    for line in data.split(b"\r\n"):
        if line.startswith(b"Message-ID: <transaction."):
            return line[len(b"Message-ID: <transaction."):].split(b".")[0].decode()
    return None


# ---- deviations ----------------------------------------------------------------

def reply(code, text="x"):
    return "%d %s\r\n" % (code, text)


def rule(match, code, state=None, times=None):
    r = {"match": match, "reply": reply(code)}
    if state is not None:
        r["state"] = state
    if times is not None:
        r["times"] = times
    return r



def nth(match, code, n):
    """The n-th command matching `match` (1-based) gets `code`, the
    earlier ones the default reply."""
    return [{"match": match, "times": n - 1}, rule(match, code)] if n > 1 else [rule(match, code)]


REFUSE_ALL = {"scenario": rules(data_end_reply=reply(554, "policy refusal"))}
REFUSE_SECOND = {"refuse_from": 2}
NOOP_500 = {"scenario": rules(rule("^NOOP", 500))}     # a leftover reply to message lines
NO_CLOSE = {"no_close": True}

# case -> [(server keywords, expected verdict, text the reason must contain)]
DEVIATIONS = {
    "helo-transaction": [
        ({"scenario": rules(rule("^MAIL", 503, state="ready"))}, "fail", "got 503"),
        ({"scenario": rules(rule("^DATA", 451))}, "fail", "got 451"),
        (REFUSE_ALL, "warn", "got 554")],
    "dot-stuffing": [
        (REFUSE_SECOND, "fail", "got 554"),
        ({"scenario": rules(*nth("^DATA", 451, 2))}, "fail", "got 451"),
        ({"scenario": rules(*nth("^MAIL", 503, 2))}, "fail", "got 503"),
        (NOOP_500, "fail", "got 500"),
        (REFUSE_ALL, "skip", "refused a plain message")],
    "long-lines": [
        (REFUSE_SECOND, "fail", "got 554"),
        ({"refuse_from": 3}, "fail", "got 554"),
        ({"scenario": rules(*nth("^DATA", 451, 3))}, "fail", "got 451"),
        (NOOP_500, "fail", "got 500"),
        (REFUSE_ALL, "skip", "refused a plain message")],
    "empty-data": [
        (NOOP_500, "fail", "got 500"),
        ({"scenario": rules(rule("^DATA", 503))}, "fail", "got 503")],
    "headers-only": [
        (REFUSE_ALL, "warn", "got 554"),
        (NOOP_500, "fail", "got 500")],
    "two-recipients": [
        ({"scenario": rules(rule("^RCPT", 452, state="rcpt"))}, "fail", "got 452"),
        (REFUSE_ALL, "warn", "got 554")],
    "two-transactions": [
        ({"scenario": rules(*nth("^MAIL", 503, 2))}, "fail", "got 503"),
        ({"scenario": rules(*nth("^RCPT", 503, 2))}, "fail", "got 503"),
        (REFUSE_SECOND, "warn", "got 554"),
        (REFUSE_ALL, "skip", "refused a plain message")],
    "rset-after-data": [
        ({"scenario": rules(rule("^RSET", 500))}, "fail", "got 500"),
        ({"scenario": rules(*nth("^MAIL", 503, 2))}, "fail", "got 503"),
        (REFUSE_SECOND, "warn", "got 554"),
        (REFUSE_ALL, "skip", "refused a plain message")],
    "rcpt-after-data": [
        ({"scenario": rules(rule("^RCPT", 250, state="ready"))}, "fail", "got 250"),
        (REFUSE_ALL, "skip", "refused a plain message")],
    "quit-after-data": [
        ({"scenario": rules(rule("^QUIT", 250))}, "fail", "got 250"),
        (NO_CLOSE, "fail", "did not close"),
        (REFUSE_ALL, "skip", "refused a plain message")],
}


class TransactionSuite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rc, cls.cases, cls.deliveries = run(None)

    def test_every_case_is_covered(self):
        self.assertEqual(sorted(self.cases), sorted(DEVIATIONS))
        self.assertEqual(sorted(self.cases), sorted(EXPECTED_MESSAGES))

    def test_conforming_server_passes(self):
        for cid, case in self.cases.items():
            with self.subTest(case=cid):
                self.assertEqual(case["verdict"], "pass", case["reason"])
        self.assertEqual(self.rc, 0)

    def test_delivered_messages_are_what_the_cases_sent(self):
        got = {}
        for d in self.deliveries:
            self.assertEqual(d.sender, MAIL_FROM)
            got.setdefault(case_of(d.data), []).append((d.recipients, d.data))
        self.assertEqual(sorted(got), sorted(EXPECTED_MESSAGES))
        for cid, want in EXPECTED_MESSAGES.items():
            with self.subTest(case=cid):
                self.assertEqual(got[cid], want)

    def test_dot_stuffed_lines_arrive_unstuffed(self):
        dotted = [d.data for d in self.deliveries
                  if b"transaction.dot-stuffing.2@" in d.data]
        self.assertEqual(len(dotted), 1)
        lines = dotted[0].split(b"\r\n")
        for line in (b".x", b".", b"..", b"...", b". a period and a space"):
            self.assertIn(line, lines)
        self.assertTrue(dotted[0].endswith(b"single period.\r\n.\r\n"))

    def test_long_lines_arrive_whole(self):
        lines = [line for d in self.deliveries for line in d.data.split(b"\r\n")]
        self.assertIn(b"x" * 998, lines)
        self.assertIn(b"." + b"x" * 997, lines)

    def test_without_rcpt_nothing_runs(self):
        with tempfile.TemporaryDirectory(prefix="test-transaction-") as tmp:
            report = os.path.join(tmp, "r.json")
            with FakeServer(None, max_seconds=RUN_TIMEOUT) as srv:
                subprocess.run([BINARY, "--suite", SUITE_FILE, "--timeout", "2", "-j", "8",
                                "--json", report, "smtp://127.0.0.1:%d" % srv.port],
                               capture_output=True, timeout=RUN_TIMEOUT)
                srv.wait_idle()
                self.assertEqual(srv.deliveries, [])
            with open(report, encoding="utf-8") as f:
                verdicts = {c["verdict"] for c in json.load(f)["cases"]}
        self.assertEqual(verdicts, {"skip"})

    def test_deviating_server_is_caught(self):
        jobs = [(cid, kw, verdict, text)
                for cid, devs in sorted(DEVIATIONS.items()) for kw, verdict, text in devs]
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            futures = [pool.submit(run, [cid], jobs=1, **kw) for cid, kw, _, _ in jobs]
            results = [f.result() for f in futures]
        for (cid, kw, verdict, text), (rc, cases, _) in zip(jobs, results):
            with self.subTest(case=cid, server=kw, want=verdict):
                case = cases[cid]
                self.assertEqual(case["verdict"], verdict, case["reason"])
                self.assertIn(text, case["reason"])


if __name__ == "__main__":
    unittest.main()
