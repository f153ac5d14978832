"""Every case of suites/transaction.suite against the fake SMTP server.

Each case runs (with --rcpt twice, since every case delivers):
- against the conforming fake server: it must pass, and the messages the
  fake server recorded (dot-unstuffed) must be exactly the messages the
  case meant to send, to the intended recipients;
- against a server that breaks the rule the case checks: the case must
  get the verdict of that rule's keyword (MUST fail, SHOULD warn, no
  keyword info) and cite the rule;
- against a server that refuses the case's control (a plain message, a
  recipient alone) for policy reasons: the case must be inconclusive
  (skip), never fail;
- against a server that refuses every message for policy reasons: a case
  without a control must not judge the refusal (the code table allows it).

Some deviations concern one message of several in a session (the control
accepted, the message under test refused), or the end of the message data.
The fake server's scenarios cannot express those, so TweakedServer below (a
FakeServer) can change the end-of-data reply per message, keep the
connection open after QUIT, or end the message data at the first line that
starts with a period (a server without the transparency procedure).

    /usr/bin/python3 -m unittest tests/suites/test_transaction.py
"""
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.environ.get("SRCDIR") or os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakesmtp"))
from fakesmtp import FakeServer  # noqa: E402
sys.path.insert(0, HERE)
from suitetest import reply, rule, rules  # noqa: E402

BINARY = os.path.abspath(os.environ.get("SMTPSPEC", "./smtpspec"))
SUITE = "transaction"
SUITE_FILE = os.path.join(ROOT, "suites", SUITE + ".suite")
RCPT1 = "rcpt1@fake.test"
RCPT2 = "rcpt2@fake.test"
MAIL_FROM = "smtpspec@smtpspec.invalid"
RUN_TIMEOUT = 60


class TweakedServer(FakeServer):
    """FakeServer with deviations its scenarios cannot express:
    refuse_from=N answers 554 to the end of data of the N-th message (and
    later ones) of each connection; no_close=True keeps the connection open
    after the 221 reply to QUIT; end_at_period=True ends the message data
    at the first line that starts with a period (the rest of the data is
    then read as commands)."""

    def __init__(self, scenario=None, refuse_from=None, no_close=False,
                 end_at_period=False, **kw):
        self.refuse_from = refuse_from
        self.no_close = no_close
        self.end_at_period = end_at_period
        super().__init__(scenario, session_hook=self._tweak, **kw)

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
        if self.end_at_period:
            def read_data():
                while True:
                    buf = session.buf
                    if buf.startswith(b"."):
                        end = buf.find(b"\r\n")
                        if end >= 0:
                            del buf[:end + 2]
                            return b""
                    else:
                        i = buf.find(b"\r\n.")
                        end = buf.find(b"\r\n", i + 2) if i >= 0 else -1
                        if end >= 0:
                            raw = bytes(buf[:i + 2])
                            del buf[:end + 2]
                            return raw
                    session.recv_more()
            session.read_data = read_data


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


def cited(case):
    """Every rule a finding of the case cites."""
    return {f.get("rule") for ex in case.get("exchanges", []) for f in ex.get("findings", [])}


# ---- the messages each case means to deliver (after dot-unstuffing) ---------

def headers(case, n, subject, to="<%s>" % RCPT1):
    return ("From: <%s>\r\nTo: %s\r\nSubject: smtpspec transaction.%s\r\n"
            "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
            "Message-ID: <transaction.%s.%d@smtpspec.invalid>\r\n"
            % (MAIL_FROM, to, subject, case, n)).encode()


SIGNATURE = b"This message was sent by smtpspec, an SMTP conformance tester.\r\n"


def plain(case, n, subject, extra=b""):
    return headers(case, n, subject) + b"\r\n" + SIGNATURE + extra


DOTTED = b".x\r\n.\r\n..\r\n. a period and a space\r\n...\r\n.\r\n"
DASHED = b"-x\r\n-\r\n-.\r\n- a period and a space\r\n-..\r\n-\r\n"

# case -> list of (recipients, data) in the order they are sent
EXPECTED_MESSAGES = {
    "helo-transaction": [
        ([RCPT1], headers("helo-transaction", 1, "helo-transaction") + b"\r\n"
         b"This message was sent by smtpspec, an SMTP conformance tester, after HELO.\r\n")],
    "dot-stuffing": [
        ([RCPT1], plain("dot-stuffing", 1, "dot-stuffing (control)", DASHED)),
        ([RCPT1], plain("dot-stuffing", 2, "dot-stuffing (dot-stuffed lines)", DOTTED))],
    "long-lines": [
        ([RCPT1], plain("long-lines", 1, "long-lines (control)", b"x" * 76 + b"\r\nEnd.\r\n")),
        ([RCPT1], plain("long-lines", 2, "long-lines (998 octets)",
                        b"x" * 998 + b"\r\nEnd.\r\n")),
        ([RCPT1], plain("long-lines", 3, "long-lines (998 octets, leading period)",
                        b"." + b"x" * 997 + b"\r\nEnd.\r\n"))],
    "empty-data": [([RCPT1], b"")],
    "headers-only": [
        ([RCPT1], plain("headers-only", 1, "headers-only (control)")),
        ([RCPT1], headers("headers-only", 2, "headers-only (no body)"))],
    "two-recipients": [
        ([RCPT1, RCPT2], headers("two-recipients", 1, "two-recipients",
                                 to="<%s>, <%s>" % (RCPT1, RCPT2)) + b"\r\n"
         b"This message was sent by smtpspec, an SMTP conformance tester, to two recipients.\r\n")],
    "two-transactions": [
        ([RCPT1], plain("two-transactions", 1, "two-transactions (message 1)")),
        ([RCPT1], plain("two-transactions", 2, "two-transactions (message 2)"))],
    "rset-after-data": [([RCPT1], plain("rset-after-data", 1, "rset-after-data"))],
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

def nth(match, code, n, **kw):
    """The n-th command matching `match` (1-based) gets `code`, the
    earlier ones the default reply."""
    first = [{"match": match, "times": n - 1}] if n > 1 else []
    return first + [rule(match, code, **kw)]


REFUSE_ALL = {"scenario": rules(data_end_reply=reply(554, "policy refusal"))}
REFUSE_SECOND = {"refuse_from": 2}
NO_CLOSE = {"no_close": True}
END_AT_PERIOD = {"end_at_period": True}
INCONCLUSIVE = "inconclusive: the control END-OF-DATA was answered 554"

# Rules
F3 = "5321-app-f.3-helo"
DATA354 = "5321-3.3-data-two-points"
EOD_CLEARS = "5321-4.1.1.4-eod-clears-buffers"
EOD = "5321-4.1.1.4-end-of-data"
ONE_REPLY = "5321-4.2-one-reply"

# case -> [(server keywords, verdict, what, rule a finding must cite or None)]
# what: the rule the case's verdict cites (fail/warn/info), else a text of
# its reason (skip/error/pass: "" for pass).
DEVIATIONS = {
    "helo-transaction": [
        ({"scenario": rules(rule("^MAIL", 503, state="ready"))}, "fail", F3, None),
        # DATA refused after an accepted RCPT: info, and the case stops
        ({"scenario": rules(rule("^DATA", 451))}, "skip", "DATA answered 451", DATA354),
        # a policy refusal of the message is not judged (no control)
        (REFUSE_ALL, "pass", "", None)],
    "dot-stuffing": [
        (REFUSE_SECOND, "info", "5321-4.5.2-transparency", None),
        # (a server that ends the data at "..x": test_early_end_of_data)
        ({"scenario": rules(*nth("^MAIL", 503, 2))}, "skip", "MAIL answered 503", EOD_CLEARS),
        ({"scenario": rules(*nth("^DATA", 451, 2))}, "skip", "DATA answered 451", DATA354),
        ({"scenario": rules(rule("^NOOP", 503))}, "warn", "5321-4.3.1-command-codes", EOD),
        (REFUSE_ALL, "skip", INCONCLUSIVE, None)],
    "long-lines": [
        (REFUSE_SECOND, "fail", "5321-4.5.3.1-minimum-sizes", None),
        ({"refuse_from": 3}, "fail", "5321-4.5.3.1-minimum-sizes", None),
        ({"scenario": rules(*nth("^DATA", 451, 3))}, "skip", "DATA answered 451", DATA354),
        ({"scenario": rules(*nth("^MAIL", 503, 3))}, "skip", "MAIL answered 503", EOD_CLEARS),
        (REFUSE_ALL, "skip", INCONCLUSIVE, None)],
    "empty-data": [
        ({"scenario": rules(rule("^NOOP", 503))}, "warn", "5321-4.3.1-command-codes", EOD),
        ({"scenario": rules(rule("^DATA", 503))}, "skip", "DATA answered 503", DATA354),
        # accepting or refusing the empty message are both right
        (REFUSE_ALL, "pass", "", None)],
    "headers-only": [
        (REFUSE_SECOND, "warn", "5321-3.3-no-reject-defects", None),
        ({"scenario": rules(rule("^NOOP", 503))}, "warn", "5321-4.3.1-command-codes", EOD),
        (REFUSE_ALL, "skip", INCONCLUSIVE, None)],
    "two-recipients": [
        ({"scenario": rules(rule("^RCPT", 452, state="rcpt"))}, "fail",
         "5321-4.5.3.1.8-100-recipients", None),
        ({"scenario": rules(rule("^RCPT", 552, state="rcpt"))}, "fail",
         "5321-4.5.3.1.8-100-recipients", None),
        # the control: the second recipient alone is refused
        ({"scenario": rules(rule("^RCPT", 550, times=1))}, "skip",
         "inconclusive: the control RCPT was answered 550", None),
        ({"scenario": rules(rule("^RCPT", 550, state="rcpt"))}, "skip",
         "RCPT answered 550", None),
        (REFUSE_ALL, "pass", "", None)],
    "two-transactions": [
        ({"scenario": rules(*nth("^MAIL", 503, 2))}, "skip", "MAIL answered 503", EOD_CLEARS),
        (REFUSE_SECOND, "info", "5321-4.1.4-transactions-per-session", None),
        (REFUSE_ALL, "skip", INCONCLUSIVE, None)],
    "rset-after-data": [
        ({"scenario": rules(rule("^RSET", 500))}, "fail", "5321-4.1.1.5-rset-250", None),
        ({"scenario": rules(*nth("^MAIL", 503, 2))}, "fail", "5321-4.1.1.5-rset-discards", None),
        (REFUSE_ALL, "skip", "refused the message", None)],
    "rcpt-after-data": [
        ({"scenario": rules(rule("^RCPT", 250, state="ready"))}, "fail",
         "5321-3.3-rcpt-without-mail", None),
        (REFUSE_ALL, "skip", "refused the message", None)],
    "quit-after-data": [
        ({"scenario": rules(rule("^QUIT", 250))}, "fail", "5321-4.1.1.10-quit-221", None),
        (NO_CLOSE, "fail", "5321-4.1.1.10-quit-221", None),
        (REFUSE_ALL, "skip", "refused the message", None)],
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
                self.assertEqual(case["verdict"], "pass", case.get("reason"))
                self.assertEqual(cited(case), set(), case.get("reason"))
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
        for line in (b".x", b".", b"..", b". a period and a space", b"..."):
            self.assertIn(line, lines)
        self.assertTrue(dotted[0].endswith(b"...\r\n.\r\n"))

    def test_controls_differ_only_in_the_property(self):
        msgs = dict((cid, [m for _, m in ms]) for cid, ms in EXPECTED_MESSAGES.items())
        ctl, probe = msgs["dot-stuffing"]
        self.assertEqual(ctl.replace(b"\r\n-", b"\r\n.").split(b"\r\n")[5:],
                         probe.split(b"\r\n")[5:])
        ctl, probe, probe2 = msgs["long-lines"]
        ctl, probe, probe2 = (m.split(b"\r\n") for m in (ctl, probe, probe2))
        # header fields (Subject, Message-ID) aside, only line 7 differs
        self.assertEqual(ctl[5:7] + ctl[8:], probe[5:7] + probe[8:])
        self.assertEqual(probe[5:7] + probe[8:], probe2[5:7] + probe2[8:])
        self.assertEqual((len(ctl[7]), len(probe[7]) + 2), (76, 1000))
        self.assertEqual(probe2[7], b"." + probe[7][1:])
        ctl, probe = msgs["headers-only"]
        self.assertEqual(ctl.split(b"\r\n")[5:], [b"", SIGNATURE.strip(), b""])
        self.assertEqual(probe.split(b"\r\n")[5:], [b""])

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

    def test_early_end_of_data_is_caught(self):
        # A server that ends the data at the first line starting with a
        # period answers the rest of the message as commands: the NOOP
        # after the end of data gets the first of those replies (500),
        # always; the later ones are judged 5321-4.2-one-reply when they
        # reach smtpspec before its QUIT, which depends on timing.
        rc, cases, deliveries = run(["dot-stuffing"], jobs=1, **END_AT_PERIOD)
        case = cases["dot-stuffing"]
        self.assertIn(EOD, cited(case), case.get("reason"))
        self.assertIn((case["verdict"], case["rule"]), (("info", EOD), ("fail", ONE_REPLY)))
        self.assertEqual(rc, 0 if case["verdict"] == "info" else 1)

    def test_deviating_server_is_caught(self):
        jobs = [(cid, kw, verdict, what, finding)
                for cid, devs in sorted(DEVIATIONS.items())
                for kw, verdict, what, finding in devs]
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            futures = [pool.submit(run, [cid], jobs=1, **kw) for cid, kw, _, _, _ in jobs]
            results = [f.result() for f in futures]
        for (cid, kw, verdict, what, finding), (rc, cases, _) in zip(jobs, results):
            with self.subTest(case=cid, server=kw, want=verdict, what=what):
                case = cases[cid]
                self.assertEqual(case["verdict"], verdict, case.get("reason"))
                if verdict in ("fail", "warn", "info"):
                    self.assertEqual(case["rule"], what, case.get("reason"))
                else:
                    self.assertIn(what, case.get("reason") or "")
                if finding:
                    self.assertIn(finding, cited(case), case.get("reason"))


if __name__ == "__main__":
    unittest.main()
