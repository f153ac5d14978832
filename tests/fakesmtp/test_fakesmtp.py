"""Tests for the fake SMTP server itself (stdlib unittest, raw sockets).

Run: /usr/bin/python3 -m unittest discover -s tests/fakesmtp -v
"""

import json
import os
import re
import resource
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakesmtp import FakeServer, pad_reply, validate_scenario  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPLY_END = re.compile(rb"(?:^|\r\n)\d{3}(?: [^\r\n]*)?\r\n\Z")


class Client:
    """A minimal raw SMTP client for poking the server."""

    def __init__(self, port, timeout=2.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.pending = b""

    def send(self, data):
        self.sock.sendall(data)

    def reply(self):
        """One complete (possibly multiline) reply, as raw bytes."""
        while True:
            end = self._reply_end()
            if end is not None:
                reply, self.pending = self.pending[:end], self.pending[end:]
                return reply
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed; got %r" % self.pending)
            self.pending += data

    def _reply_end(self):
        pos = 0
        while True:
            nl = self.pending.find(b"\r\n", pos)
            if nl < 0:
                return None
            line = self.pending[pos:nl]
            if re.match(rb"\d{3}( |\Z)", line):
                return nl + 2
            pos = nl + 2

    def cmd(self, line):
        self.send(line + b"\r\n")
        return self.reply()

    def code(self, line):
        return int(self.cmd(line)[:3])

    def read_until_eof(self, limit=64 << 20):
        data = self.pending
        while len(data) < limit:
            chunk = self.sock.recv(65536)
            if not chunk:
                return data
            data += chunk
        raise AssertionError("no EOF after %d bytes" % len(data))

    def close(self):
        self.sock.close()


class ServerTestCase(unittest.TestCase):
    scenario = None

    def start(self, scenario=None, **kwargs):
        server = FakeServer(scenario if scenario is not None else self.scenario, **kwargs)
        server.start()
        self.addCleanup(server.stop)
        return server

    def connect(self, server, timeout=2.0, greeting=True):
        client = Client(server.port, timeout)
        self.addCleanup(client.close)
        if greeting:
            self.assertTrue(client.reply().startswith(b"220 "))
        return client

    def session(self, scenario=None):
        server = self.start(scenario)
        return server, self.connect(server)


class DefaultBehaviourTest(ServerTestCase):

    def test_greeting(self):
        server = self.start()
        client = self.connect(server, greeting=False)
        self.assertEqual(client.reply(), b"220 fake.test ESMTP fakesmtp\r\n")

    def test_ehlo_and_helo(self):
        _, c = self.session()
        self.assertEqual(c.cmd(b"EHLO client.test"),
                         b"250-fake.test greets client.test\r\n250-PIPELINING\r\n"
                         b"250-SIZE 10240000\r\n250-8BITMIME\r\n250 HELP\r\n")
        self.assertEqual(c.cmd(b"HELO client.test"), b"250 fake.test\r\n")
        self.assertEqual(c.code(b"EHLO"), 501)
        self.assertEqual(c.code(b"HELO"), 501)

    def test_sequence_errors(self):
        _, c = self.session()
        self.assertEqual(c.code(b"MAIL FROM:<a@b.test>"), 503)
        self.assertEqual(c.code(b"RCPT TO:<a@b.test>"), 503)
        self.assertEqual(c.code(b"DATA"), 503)
        self.assertEqual(c.code(b"EHLO c"), 250)
        self.assertEqual(c.code(b"RCPT TO:<a@b.test>"), 503)
        self.assertEqual(c.code(b"DATA"), 503)
        self.assertEqual(c.code(b"MAIL FROM:<a@b.test>"), 250)
        self.assertEqual(c.code(b"MAIL FROM:<a@b.test>"), 503)
        self.assertEqual(c.code(b"DATA"), 554)
        self.assertEqual(c.code(b"RCPT TO:<reject-me@b.test>"), 550)
        self.assertEqual(c.code(b"DATA"), 554)
        self.assertEqual(c.code(b"RSET"), 250)
        self.assertEqual(c.code(b"RCPT TO:<a@b.test>"), 503)

    def test_syntax_errors(self):
        _, c = self.session()
        c.cmd(b"EHLO c")
        cases = [
            (b"MAIL FROM <a@b.test>", 501), (b"MAIL FROM:a@b.test", 501),
            (b"MAIL FROM:<a@b.test> FOO=1", 555), (b"MAIL FROM:<a@b.test> SIZE=x", 501),
            (b"MAIL FROM:<a@b.test> SIZE=99999999999", 552), (b"MAIL FROM:<not an address>", 501),
            (b"DATA now", 501), (b"RSET x", 501), (b"QUIT now", 501), (b"FROB", 500),
            (b"", 500), (b"VRFY", 501), (b"X" * 600, 500), (b"\x00\xff\xfe", 500),
        ]
        for line, code in cases:
            with self.subTest(line=line[:40]):
                self.assertEqual(c.code(line), code)
        self.assertEqual(c.code(b"MAIL FROM:<a@b.test> SIZE=100 BODY=8BITMIME"), 250)
        self.assertEqual(c.code(b"RCPT TO:b@b.test"), 501)
        self.assertEqual(c.code(b"RCPT TO:<>"), 501)
        self.assertEqual(c.code(b"RCPT TO:<b@b.test> NOTIFY=NEVER"), 555)
        self.assertEqual(c.code(b"RCPT TO:<Postmaster>"), 250)

    def test_line_length_limit(self):
        _, c = self.session()
        self.assertEqual(c.code(b"NOOP " + b"x" * 505), 250)   # 512 octets with CRLF
        self.assertEqual(c.code(b"NOOP " + b"x" * 506), 500)   # 513
        self.assertEqual(c.code(b"NOOP " + b"x" * 1000000), 500)
        self.assertEqual(c.code(b"NOOP"), 250)

    def test_misc_commands_case_insensitive(self):
        _, c = self.session()
        for line, code in [(b"noop", 250), (b"NoOp whatever", 250), (b"help", 214),
                           (b"vrfy someone", 252), (b"EXPN list", 502), (b"rset", 250),
                           (b"ehlo c", 250), (b"mail from:<a@b.test>", 250),
                           (b"rcpt to:<c@d.test>", 250), (b"data", 354)]:
            with self.subTest(line=line):
                self.assertEqual(c.code(line), code)

    def test_transaction_with_dot_stuffing(self):
        server, c = self.session()
        c.cmd(b"EHLO c")
        c.cmd(b"MAIL FROM:<>")
        c.cmd(b"RCPT TO:<x@y.test>")
        self.assertEqual(c.code(b"DATA"), 354)
        # Only CRLF.CRLF ends the data: LF.LF, CR.CR, LF.CRLF and "..\r\n" do not.
        body = (b"Subject: t\r\n\r\n..leading dot\r\nmid\n.\nline\r\n"
                b"a\r.\rb\r\nc\n.\r\n...\r\n")
        c.send(body + b".\r\n")
        self.assertEqual(c.reply(), b"250 OK queued as fake1\r\n")
        expected = (b"Subject: t\r\n\r\n.leading dot\r\nmid\n.\nline\r\n"
                    b"a\r.\rb\r\nc\n.\r\n..\r\n")
        self.assertEqual(server.messages, [expected])
        delivery = server.deliveries[0]
        self.assertEqual((delivery.sender, delivery.recipients), ("", ["x@y.test"]))
        self.assertEqual(c.code(b"RCPT TO:<x@y.test>"), 503)   # transaction reset

    def test_empty_message_and_split_terminator(self):
        server, c = self.session()
        c.cmd(b"HELO c")
        c.cmd(b"MAIL FROM:<a@b.test>")
        c.cmd(b"RCPT TO:<x@y.test>")
        c.cmd(b"DATA")
        c.send(b".\r\n")
        self.assertEqual(c.reply()[:3], b"250")
        c.cmd(b"MAIL FROM:<a@b.test>")
        c.cmd(b"RCPT TO:<x@y.test>")
        c.cmd(b"DATA")
        for piece in (b"hello\r", b"\n.", b"\r", b"\n"):   # terminator in pieces
            c.send(piece)
            time.sleep(0.02)
        self.assertEqual(c.reply()[:3], b"250")
        self.assertEqual(server.messages, [b"", b"hello\r\n"])

    def test_pipelining_recording_and_quit(self):
        server, c = self.session()
        batch = (b"EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@y.test>\r\n"
                 b"RCPT TO:<rejected@y.test>\r\nDATA\r\n")
        c.send(batch)
        codes = [int(c.reply()[:3]) for _ in range(5)]
        self.assertEqual(codes, [250, 250, 250, 550, 354])
        c.send(b"body\r\n.\r\nQUIT\r\n")
        self.assertEqual(c.reply()[:3], b"250")
        self.assertEqual(c.reply(), b"221 fake.test closing connection\r\n")
        self.assertEqual(c.read_until_eof(), b"")
        c.close()
        self.assertTrue(server.wait_idle())
        self.assertEqual(server.received, [batch + b"body\r\n.\r\nQUIT\r\n"])
        self.assertEqual(server.commands[0][-1], "QUIT")
        self.assertEqual(server.connections, 1)
        self.assertIn("closed (FIN)", server.events[0])
        self.assertEqual(len(server.messages), 1)

    def test_bare_lf_modes(self):
        for mode, expected in (("accept", [250, 250]), ("reject", [500, 250])):
            with self.subTest(mode=mode):
                _, c = self.session({"bare_lf": mode})
                c.send(b"NOOP\nNOOP\r\n")
                self.assertEqual([int(c.reply()[:3]) for _ in expected], expected)
        _, c = self.session({"bare_lf": "ignore"})
        c.send(b"NOOP x\nFROB\r\n")        # one line "NOOP x\nFROB"
        self.assertEqual(c.reply()[:3], b"250")
        _, c = self.session({"bare_cr": "accept"})
        c.send(b"NOOP\rNOOP\r\n")
        self.assertEqual([c.reply()[:3], c.reply()[:3]], [b"250", b"250"])

    def test_concurrent_connections(self):
        server = self.start()
        clients = [self.connect(server, greeting=False) for _ in range(8)]
        for i, c in enumerate(clients):
            self.assertTrue(c.reply().startswith(b"220"))
            self.assertEqual(c.code(b"HELO c%d" % i), 250)
        self.assertEqual(server.connections, 8)
        self.assertEqual(sorted(cmds[0] for cmds in server.commands),
                         sorted("HELO c%d" % i for i in range(8)))

    def test_idle_timeout_sends_421(self):
        server = self.start(idle_timeout=0.2)
        c = self.connect(server)
        self.assertEqual(c.reply()[:3], b"421")
        self.assertEqual(c.read_until_eof(), b"")


class OverrideTest(ServerTestCase):

    def test_rule_sends_arbitrary_bytes(self):
        _, c = self.session({"rules": [
            {"match": r"^EHLO", "reply": "250-\u0000\u00ff\r\n250 \u00e9t\u00e9\r\n"},
            {"match": r"^NOOP", "reply": "2"}]})
        self.assertEqual(c.cmd(b"EHLO c"), b"250-\x00\xff\r\n250 \xe9t\xe9\r\n")
        c.send(b"NOOP\r\n")
        self.assertEqual(c.sock.recv(10), b"2")

    def test_rule_state_filter_times_and_default_reply(self):
        _, c = self.session({"rules": [
            {"match": r"^RCPT", "state": "mail", "times": 1, "reply": "451 later\r\n"},
            {"match": r"^NOOP", "delay_ms": 1}]})    # no reply: default reply
        self.assertEqual(c.code(b"RCPT TO:<a@b.test>"), 503)   # state init: no match
        c.cmd(b"EHLO c")
        c.cmd(b"MAIL FROM:<a@b.test>")
        self.assertEqual(c.code(b"RCPT TO:<a@b.test>"), 451)
        self.assertEqual(c.code(b"RCPT TO:<a@b.test>"), 250)   # times exhausted
        self.assertEqual(c.cmd(b"NOOP"), b"250 OK\r\n")

    def test_positive_rule_reply_drives_state_machine(self):
        server, c = self.session({"rules": [{"match": r"^MAIL", "reply": "250 sure\r\n"}]})
        self.assertEqual(c.code(b"MAIL FROM:<a@b.test>"), 250)   # no EHLO, but accepted
        self.assertEqual(c.code(b"RCPT TO:<x@y.test>"), 250)
        self.assertEqual(c.code(b"DATA"), 354)
        c.send(b"x\r\n.\r\n")
        self.assertEqual(c.reply()[:3], b"250")
        self.assertEqual(len(server.messages), 1)

    def test_close_is_fin(self):
        server, c = self.session({"rules": [{"match": r"^NOOP", "action": "close"}]})
        c.send(b"NOOP\r\n")
        self.assertEqual(c.sock.recv(100), b"")
        c.close()
        self.assertTrue(server.wait_idle())
        self.assertIn("closed (FIN)", server.events[0])

    def test_reset_is_rst(self):
        _, c = self.session({"rules": [{"match": r"^NOOP", "action": "reset"}]})
        c.send(b"NOOP\r\n")
        with self.assertRaises(ConnectionResetError):
            c.sock.recv(100)

    def test_then_close_after_reply(self):
        _, c = self.session({"rules": [{"match": r"^EHLO", "reply": "421 bye\r\n",
                                        "then_close": True}]})
        self.assertEqual(c.cmd(b"EHLO c"), b"421 bye\r\n")
        self.assertEqual(c.read_until_eof(), b"")

    def test_silence_keeps_reading(self):
        server, c = self.session({"rules": [{"match": r"^NOOP", "action": "silence"}]})
        c.sock.settimeout(0.3)
        c.send(b"NOOP\r\n")
        with self.assertRaises(socket.timeout):
            c.sock.recv(100)
        c.send(b"QUIT\r\n")
        with self.assertRaises(socket.timeout):
            c.sock.recv(100)
        c.close()
        self.assertTrue(server.wait_idle(2))
        self.assertEqual(server.received, [b"NOOP\r\nQUIT\r\n"])
        self.assertEqual(server.commands, [["NOOP"]])

    def test_hang_stops_reading(self):
        server, c = self.session({"rules": [{"match": r"^NOOP", "action": "hang"}]})
        c.sock.settimeout(0.3)
        c.send(b"NOOP\r\n")
        with self.assertRaises(socket.timeout):
            c.sock.recv(100)
        c.send(b"QUIT\r\n")
        time.sleep(0.1)
        self.assertEqual(server.received, [b"NOOP\r\n"])   # QUIT never read
        c.close()
        self.assertTrue(server.wait_idle(2))

    def test_flood_is_bounded(self):
        n = 3 * 1024 * 1024
        _, c = self.session({"rules": [{"match": r"^EHLO", "action": "flood",
                                        "flood_bytes": n, "then_close": True}]})
        c.send(b"EHLO c\r\n")
        data = c.read_until_eof()
        self.assertEqual(len(data), n)
        self.assertTrue(data.startswith(b"250-xxx"))
        self.assertEqual(set(data.split(b"\r\n")[0]), set(b"250-x"))

    def test_flood_line_is_one_megabyte_line(self):
        _, c = self.session({"rules": [{"match": r"^NOOP", "action": "flood",
                                        "reply": "250 ", "flood_line": "ab",
                                        "flood_bytes": 1 << 20, "flood_end": "\r\n"}]})
        c.send(b"NOOP\r\n")
        reply = c.reply()
        self.assertEqual(len(reply), 4 + (1 << 20) + 2)
        self.assertEqual(reply.count(b"\n"), 1)
        self.assertEqual(c.code(b"NOOP"), 250)     # the session goes on

    def test_endless_flood_ends_when_client_leaves(self):
        server, c = self.session({"rules": [{"match": r"^EHLO", "action": "flood"}]})
        c.send(b"EHLO c\r\n")
        got = 0
        while got < 2 << 20:
            got += len(c.sock.recv(65536))
        c.close()
        self.assertTrue(server.wait_idle(3))

    def test_slow_reply_byte_by_byte(self):
        _, c = self.session({"rules": [{"match": r"^NOOP", "action": "slow",
                                        "delay_ms": 30}]})
        start = time.monotonic()
        self.assertEqual(c.cmd(b"NOOP"), b"250 OK\r\n")
        self.assertGreaterEqual(time.monotonic() - start, 8 * 0.03 * 0.9)

    def test_greeting_bytes_and_delay(self):
        server = self.start({"greeting": "220\u0000\u00ff\r\n", "greeting_delay_ms": 200})
        c = self.connect(server, greeting=False)
        start = time.monotonic()
        self.assertEqual(c.sock.recv(100), b"220\x00\xff\r\n")
        self.assertGreaterEqual(time.monotonic() - start, 0.15)

    def test_on_connect_actions(self):
        server = self.start({"on_connect": "close"})
        self.assertEqual(self.connect(server, greeting=False).read_until_eof(), b"")
        server = self.start({"on_connect": "reset"})
        c = self.connect(server, greeting=False)
        with self.assertRaises(ConnectionResetError):
            c.read_until_eof()
        server = self.start({"on_connect": "silence"})
        c = self.connect(server, timeout=0.3, greeting=False)
        with self.assertRaises(socket.timeout):
            c.reply()
        server = self.start({"on_connect": {"action": "slow", "delay_ms": 1}})
        self.assertEqual(self.connect(server, greeting=False).reply(),
                         b"220 fake.test ESMTP fakesmtp\r\n")

    def test_per_connection_scenarios(self):
        server = self.start({
            "hostname": "base.test",
            "connections": [{"greeting": "220 first\r\n"}, None,
                            {"on_connect": "close"}],
            "default": {"greeting": "554 go away\r\n"}})
        replies = []
        for _ in range(4):
            c = self.connect(server, greeting=False)
            try:
                replies.append(c.reply())
            except EOFError:
                replies.append(None)
            c.close()
        self.assertEqual(replies, [b"220 first\r\n", b"554 go away\r\n", None,
                                   b"554 go away\r\n"])

    def test_data_replies(self):
        server, c = self.session({"data_end_reply": "554 spam\r\n"})
        for line in (b"EHLO c", b"MAIL FROM:<a@b.test>", b"RCPT TO:<x@y.test>", b"DATA"):
            c.cmd(line)
        c.send(b"hi\r\n.\r\n")
        self.assertEqual(c.reply(), b"554 spam\r\n")
        self.assertEqual(server.messages, [])           # rejected: not delivered
        server, c = self.session({"data_reply": "451 not now\r\n"})
        for line in (b"EHLO c", b"MAIL FROM:<a@b.test>", b"RCPT TO:<x@y.test>"):
            c.cmd(line)
        self.assertEqual(c.cmd(b"DATA"), b"451 not now\r\n")
        self.assertEqual(c.code(b"NOOP"), 250)          # still in command mode

    def test_ehlo_overrides(self):
        _, c = self.session({"ehlo_keywords": ["SMTPUTF8"]})
        self.assertEqual(c.cmd(b"EHLO c"), b"250-fake.test greets c\r\n250 SMTPUTF8\r\n")
        self.assertEqual(c.code(b"MAIL FROM:<a@b.test> SMTPUTF8"), 250)
        _, c = self.session({"ehlo_keywords": []})
        self.assertEqual(c.cmd(b"EHLO c"), b"250 fake.test greets c\r\n")
        self.assertEqual(c.code(b"MAIL FROM:<a@b.test> SIZE=10"), 555)
        _, c = self.session({"ehlo_reply": "250-a\r\n250 b\r\n"})
        self.assertEqual(c.cmd(b"EHLO c"), b"250-a\r\n250 b\r\n")

    def test_invalid_scenarios_rejected(self):
        for bad in ({"greting": "x"}, {"rules": [{"reply": "x"}]},
                    {"rules": [{"match": "(", "reply": "x"}]},
                    {"rules": [{"match": "x", "action": "explode"}]},
                    {"greeting": "\u20ac"}, {"bare_lf": "maybe"},
                    {"rules": [{"match": "x", "state": "nowhere"}]},
                    {"connections": [{"connections": []}]}):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                validate_scenario(bad)

    def test_max_seconds_stops_server(self):
        server = self.start(max_seconds=0.3)
        self.assertTrue(server.wait(3))
        time.sleep(0.1)
        with self.assertRaises(ConnectionRefusedError):
            Client(server.port, timeout=1).close()


class HostileKeysTest(ServerTestCase):
    """The scenario keys behind tests/hostile: padded, repeated, unasked
    and delayed replies, per-connection cycles and random bytes."""

    def test_pad_replies_keeps_a_conforming_reply(self):
        """pad_replies: every reply, the greeting included, becomes a
        multiline reply of at least N octets, lines < 512, same code,
        first line first and last line last."""
        server = self.start({"pad_replies": 240 * 1024})
        c = self.connect(server, greeting=False)
        for reply, first, last in (
                (c.reply(), b"220-fake.test ESMTP fakesmtp", b"220 fake.test ESMTP fakesmtp"),
                (c.cmd(b"EHLO c"), b"250-fake.test greets c", b"250 HELP"),
                (c.cmd(b"NOOP"), b"250-OK", b"250 OK")):
            with self.subTest(first=first):
                self.assertGreaterEqual(len(reply), 240 * 1024)
                self.assertLess(len(reply), 240 * 1024 + 500)
                lines = reply[:-2].split(b"\r\n")
                self.assertEqual((lines[0], lines[-1]), (first, last))
                self.assertLess(max(len(line) + 2 for line in lines), 512)
                self.assertEqual({line[:4] for line in lines[:-1]}, {last[:3] + b"-"})
        self.assertEqual(c.code(b"MAIL FROM:<a@b.test>"), 250)   # state machine still runs

    def test_pad_reply_leaves_non_replies_alone(self):
        """Only a reply with a code that ends in CRLF is padded, and only
        when it is shorter than the size asked for."""
        for raw in (b"hello there\r\n", b"250 no end", b"2x0 odd\r\n"):
            self.assertEqual(pad_reply(raw, 5000), raw)
        self.assertEqual(pad_reply(b"250 OK\r\n", 0), b"250 OK\r\n")
        self.assertEqual(pad_reply(b"250 OK\r\n", 8), b"250 OK\r\n")
        self.assertEqual(pad_reply(b"250 OK\r\n", 17),
                         b"250-OK\r\n250-XPADDING " + b"x" * 485 + b"\r\n250 OK\r\n")

    def test_repeat_replies_answers_twice(self):
        """repeat_replies 2: every command reply comes twice; not the greeting."""
        server = self.start({"repeat_replies": 2})
        c = self.connect(server, greeting=False)
        self.assertEqual(c.reply(), b"220 fake.test ESMTP fakesmtp\r\n")
        c.send(b"NOOP\r\n")
        self.assertEqual([c.reply(), c.reply()], [b"250 OK\r\n"] * 2)
        c.send(b"QUIT\r\n")
        self.assertEqual(c.read_until_eof(), b"221 fake.test closing connection\r\n" * 2)

    def test_after_greeting_and_after_reply_are_unasked(self):
        """after_greeting follows the greeting at once; after_reply follows
        every command reply; neither waits for the client."""
        server = self.start({"after_greeting": "250 ok\r\n", "after_reply": "250 more\r\n"})
        c = self.connect(server, greeting=False)
        self.assertEqual(c.reply(), b"220 fake.test ESMTP fakesmtp\r\n")
        self.assertEqual(c.reply(), b"250 ok\r\n")          # nothing sent yet
        c.send(b"NOOP\r\n")
        self.assertEqual([c.reply(), c.reply()], [b"250 OK\r\n", b"250 more\r\n"])

    def test_reply_delay_ms(self):
        """reply_delay_ms delays every command reply, not the greeting."""
        server = self.start({"reply_delay_ms": 300})
        start = time.monotonic()
        c = self.connect(server)
        self.assertLess(time.monotonic() - start, 0.25)
        start = time.monotonic()
        self.assertEqual(c.code(b"NOOP"), 250)
        self.assertGreaterEqual(time.monotonic() - start, 0.28)

    def test_cycle_by_connection_index(self):
        """cycle: connection i takes cycle[i % len]; connections wins over
        it, null falls through to default."""
        bye = {"greeting": {"reply": "421 fake.test too many connections\r\n",
                            "then_close": True}}
        server = self.start({"connections": [{"greeting": "220 first\r\n"}],
                             "cycle": [None, None, bye],
                             "default": {"greeting": "220 default\r\n"}})
        replies = []
        for _ in range(9):
            c = self.connect(server, greeting=False)
            replies.append(c.reply())
            c.close()
        self.assertEqual(replies[0], b"220 first\r\n")
        for i in range(1, 9):
            want = (b"421 fake.test too many connections\r\n" if i % 3 == 2
                    else b"220 default\r\n")
            self.assertEqual(replies[i], want, i)

    def test_random_bytes_instead_of_a_greeting(self):
        """random_bytes: N pseudo-random octets, the same on every run."""
        scenario = {"on_connect": {"action": "close", "random_bytes": 100000}}
        got = []
        for _ in range(2):
            server = self.start(scenario)
            got.append(self.connect(server, greeting=False).read_until_eof())
        self.assertEqual(len(got[0]), 100000)
        self.assertEqual(got[0], got[1])
        self.assertGreater(len(set(got[0])), 200)

    def test_100_mb_line_is_lazy_and_stops_when_the_client_leaves(self):
        """A 100 MB flood is made in 64 KiB pieces (the process never holds
        it) and ends as soon as the client closes."""
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        server = self.start({"on_connect": {"action": "flood", "reply": "220 ",
                                            "flood_line": "x", "flood_bytes": 100 << 20,
                                            "flood_end": "\r\n"}})
        c = self.connect(server, greeting=False)
        got = 0
        while got < 1 << 20:
            got += len(c.sock.recv(65536))
        c.close()
        self.assertTrue(server.wait_idle(5))
        self.assertLess(len(server.sent[0]), 100 << 20)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.assertLess(after - before, 32 * 1024, "KiB of peak RSS grown")

    def test_drip_greeting_ends_when_the_client_leaves(self):
        """slow with delay_ms 1000 drips one byte a second; closing the
        client ends the session within a few bytes."""
        server = self.start({"on_connect": {"action": "slow", "delay_ms": 200}})
        c = self.connect(server, greeting=False)
        self.assertEqual(c.sock.recv(1), b"2")
        c.close()
        self.assertTrue(server.wait_idle(3))

    def test_readme_examples_are_valid(self):
        """Every JSON example in README.md is a valid scenario."""
        with open(os.path.join(HERE, "README.md"), encoding="utf-8") as fh:
            blocks = re.findall(r"```json\n(.*?)```", fh.read(), re.S)
        self.assertGreaterEqual(len(blocks), 4)
        for block in blocks:
            validate_scenario(json.loads(block))

    def test_invalid_hostile_keys_rejected(self):
        for bad in ({"pad_replies": -1}, {"pad_replies": "big"}, {"repeat_replies": 0},
                    {"repeat_replies": 1.5}, {"after_greeting": 5},
                    {"after_reply": "\u20ac"}, {"reply_delay_ms": -3},
                    {"cycle": []}, {"cycle": {}}, {"cycle": [{"cycle": [{}]}]},
                    {"cycle": [{"bogus": 1}]}, {"connections": [{"cycle": [{}]}]},
                    {"on_connect": {"action": "close", "random_bytes": -1}},
                    {"rules": [{"match": "x", "random_bytes": "many"}]}):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                validate_scenario(bad)
        validate_scenario({"cycle": [None, {}, {"greeting": "421 x\r\n"}],
                           "pad_replies": 0, "repeat_replies": 1, "after_reply": "",
                           "reply_delay_ms": 1.5})


class SecurityKeysTest(ServerTestCase):
    """The vulnerable and fixed forms of the security suite's probes."""

    def transaction(self, scenario, rcpt=b"x@fake.test"):
        server, c = self.session(scenario)
        for line in (b"EHLO c", b"MAIL FROM:<a@b.test>", b"RCPT TO:<" + rcpt + b">"):
            self.assertEqual(c.code(line), 250)
        self.assertEqual(c.code(b"DATA"), 354)
        return server, c

    def test_data_ends_takes_an_odd_end_of_data(self):
        server, c = self.transaction({"data_ends": ["\n.\n"]})
        c.send(b"Subject: s\r\n\r\nhi\n.\n")
        self.assertTrue(c.reply().startswith(b"250 "))
        self.assertEqual(server.messages, [b"Subject: s\r\n\r\nhi\r\n"])
        self.assertEqual(c.code(b"NOOP"), 250)          # command mode again

    def test_default_keeps_bare_lf_in_the_message(self):
        server, c = self.transaction({})
        c.send(b"hi\n.\nmore\r\n.\r\n")
        self.assertTrue(c.reply().startswith(b"250 "))
        self.assertEqual(server.messages, [b"hi\n.\nmore\r\n"])

    def test_bare_in_data_reject_and_refuse(self):
        server, c = self.transaction({"bare_in_data": "reject"})
        c.send(b"hi\r.\r\n.\r\n")
        self.assertTrue(c.reply().startswith(b"550 5.6.0"))
        self.assertEqual(server.messages, [])
        server, c = self.transaction({"bare_in_data": "refuse"})
        c.send(b"hi\n.\n")
        self.assertTrue(c.reply().startswith(b"521 5.5.2"))
        self.assertEqual(c.read_until_eof(), b"")         # and closed
        self.assertEqual(server.messages, [])

    def test_nul_in_data_strip(self):
        server, c = self.transaction({"nul_in_data": "strip"})
        c.send(b"hi\r\n\x00.\r\n")
        self.assertTrue(c.reply().startswith(b"250 "))
        self.assertEqual(server.messages, [b"hi\r\n"])

    def test_relay_forms(self):
        forms = {"plain": b"u@example.net", "percent-hack": b"u%example.net@fake.test",
                 "quoted": b'"u@example.net"@fake.test', "source-route": b"@fake.test:u@example.net",
                 "bang-path": b"example.net!u@fake.test", "address-literal": b"u@[192.0.2.1]",
                 "postmaster-literal": b"postmaster@[192.0.2.1]"}
        _, c = self.session({"relay": {}})
        c.cmd(b"EHLO c")
        c.cmd(b"MAIL FROM:<a@b.test>")
        self.assertEqual(c.code(b"RCPT TO:<u@fake.test>"), 250)
        self.assertEqual(c.code(b"RCPT TO:<u@[127.0.0.1]>"), 250)
        for form, rcpt in forms.items():
            with self.subTest(form=form):
                self.assertEqual(c.code(b"RCPT TO:<" + rcpt + b">"), 550)
                _, open_c = self.session({"relay": {"open": [form]}})
                open_c.cmd(b"EHLO c")
                open_c.cmd(b"MAIL FROM:<a@b.test>")
                self.assertEqual(open_c.code(b"RCPT TO:<" + rcpt + b">"), 250)

    def test_mailboxes_tell_users_apart(self):
        _, c = self.session({"mailboxes": ["alice"]})
        c.cmd(b"EHLO c")
        self.assertEqual(c.code(b"VRFY alice"), 250)
        self.assertEqual(c.code(b"VRFY postmaster"), 250)
        self.assertEqual(c.code(b"VRFY bob"), 550)
        self.assertEqual(c.code(b"EXPN bob"), 550)
        c.cmd(b"MAIL FROM:<a@b.test>")
        self.assertEqual(c.code(b"RCPT TO:<alice@fake.test>"), 250)
        self.assertEqual(c.code(b"RCPT TO:<bob@fake.test>"), 550)
        _, c = self.session({})
        c.cmd(b"EHLO c")
        self.assertEqual(c.code(b"VRFY bob"), 252)
        self.assertEqual(c.code(b"EXPN bob"), 502)

    def test_invalid_security_keys_rejected(self):
        for bad in ({"data_ends": "\n.\n"}, {"data_ends": [""]}, {"bare_in_data": "drop"},
                    {"nul_in_data": "eat"}, {"relay": {"open": ["everything"]}},
                    {"relay": {"local": [1]}}, {"relay": []}, {"mailboxes": "alice"}):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                validate_scenario(bad)


class CertsTestCase(ServerTestCase):
    """Test certificates from tests/certs/mkcerts.sh, made once per class."""

    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.mkdtemp(prefix="fakesmtp-certs-")
        subprocess.run(["bash", os.path.join(HERE, "..", "certs", "mkcerts.sh"), cls.certs],
                       check=True)

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["rm", "-rf", cls.certs], check=True)

    def conf(self, kind="valid", **flags):
        return dict(cert=os.path.join(self.certs, kind + ".pem"),
                    key=os.path.join(self.certs, kind + ".key"), **flags)

    def verifying(self):
        return ssl.create_default_context(cafile=os.path.join(self.certs, "ca.pem"))

    @staticmethod
    def trusting():
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def upgrade(self, client, ctx=None, hostname="fake.test"):
        self.assertEqual(client.pending, b"")       # nothing plaintext left unread
        ctx = ctx or self.verifying()
        client.sock = ctx.wrap_socket(client.sock, server_hostname=hostname)
        return client.sock


class ExtensionKeysTest(CertsTestCase):
    """STARTTLS and implicit TLS in short, enhanced status codes, BDAT and
    the scenario checks of these keys."""

    def test_starttls_conforming(self):
        server, c = self.session({"tls": self.conf()})
        self.assertRegex(c.cmd(b"EHLO x"), rb"250[- ]STARTTLS\r\n")
        self.assertEqual(c.code(b"STARTTLS now"), 501)
        self.assertTrue(c.cmd(b"STARTTLS").startswith(b"220 "))
        self.upgrade(c)
        self.assertEqual(c.code(b"MAIL FROM:<a@b.example>"), 503)   # state was reset
        self.assertNotIn(b"STARTTLS", c.cmd(b"EHLO x"))
        self.assertEqual(c.code(b"STARTTLS"), 503)
        self.assertEqual(c.code(b"QUIT"), 221)
        server.wait_idle()
        self.assertTrue(any(e.startswith("tls established") for e in server.events[0]))

    def test_starttls_discards_pipelined_plaintext(self):
        server, c = self.session({"tls": self.conf()})
        c.cmd(b"EHLO x")
        c.send(b"STARTTLS\r\nNOOP\r\n")
        self.assertTrue(c.reply().startswith(b"220 "))
        self.upgrade(c)
        self.assertEqual(c.code(b"NOOP"), 250)      # the first reply over TLS is ours
        c.close()
        server.wait_idle()
        self.assertIn("discarded 6 plaintext bytes after STARTTLS", server.events[0])

    def test_starttls_deviations(self):
        server, c = self.session({"tls": self.conf(advertise_after_tls=True, keep_state=True,
                                                  accept_second=True)})
        c.cmd(b"EHLO x")
        c.cmd(b"STARTTLS")
        self.upgrade(c)
        self.assertEqual(c.code(b"MAIL FROM:<a@b.example>"), 250)   # kept the EHLO
        self.assertIn(b"STARTTLS", c.cmd(b"RSET") + c.cmd(b"EHLO x"))
        self.assertEqual(c.code(b"STARTTLS"), 220)
        server, c = self.session({"tls": self.conf(inject_response=True, accept_argument=True)})
        c.cmd(b"EHLO x")
        self.assertTrue(c.cmd(b"STARTTLS x").startswith(b"220 "))
        self.assertEqual(c.reply(), b"250 injected\r\n")

    def test_fail_handshake_and_process_pipelined(self):
        server, c = self.session({"tls": self.conf(fail_handshake=True)})
        c.cmd(b"EHLO x")
        c.cmd(b"STARTTLS")
        with self.assertRaises(ssl.SSLError):
            self.upgrade(c)
        server, c = self.session({"tls": self.conf(process_pipelined=True)})
        c.cmd(b"EHLO x")
        c.send(b"STARTTLS\r\nNOOP\r\n")
        c.reply()
        self.upgrade(c)
        self.assertEqual(c.reply(), b"250 OK\r\n")    # the injected NOOP, answered over TLS

    def test_implicit_tls(self):
        conf = self.conf()
        server = self.start({"implicit_tls": {"cert": conf["cert"], "key": conf["key"]}})
        c = self.connect(server, greeting=False)
        self.upgrade(c)
        self.assertTrue(c.reply().startswith(b"220 "))
        self.assertNotIn(b"STARTTLS", c.cmd(b"EHLO x"))

    def test_bad_tls_scenarios_are_refused(self):
        for bad in ({"tls": {"cert": "x"}}, {"tls": {"cert": "x", "key": "y", "nope": True}},
                    {"tls": {"cert": "x", "key": "y", "keep_state": 1}},
                    {"chunking": {"nope": True}}, {"enhanced_codes": "yes"}):
            with self.subTest(scenario=bad):
                with self.assertRaises(ValueError):
                    validate_scenario(bad)

    def test_enhanced_codes(self):
        server, c = self.session({"enhanced_codes": True})
        self.assertIn(b"250-ENHANCEDSTATUSCODES", c.cmd(b"EHLO x").replace(b"250 ENH", b"250-ENH"))
        self.assertEqual(c.cmd(b"NOOP"), b"250 2.0.0 OK\r\n")
        self.assertEqual(c.cmd(b"RCPT TO:<a@b.example>")[:10], b"503 5.0.0 ")

    def test_bdat(self):
        server, c = self.session({"chunking": {}})
        self.assertIn(b"CHUNKING", c.cmd(b"EHLO x"))
        def bdat(line):     # a BDAT line and its chunk, no CRLF added
            c.send(line)
            return int(c.reply()[:3])
        self.assertEqual(bdat(b"BDAT 12\r\nNOOP\r\nNOOP\r\n"), 503)   # data read, refused
        c.cmd(b"MAIL FROM:<a@b.example>")
        c.cmd(b"RCPT TO:<c@d.example>")
        self.assertEqual(bdat(b"BDAT 6\r\na\r\n.\r\n"), 250)
        self.assertEqual(c.code(b"DATA"), 503)
        self.assertEqual(bdat(b"BDAT 3 LAST\r\nb\r\n"), 250)
        self.assertEqual(bdat(b"BDAT 1\r\nx"), 503)
        c.close()
        server.wait_idle()
        self.assertEqual(server.messages, [b"a\r\n.\r\nb\r\n"])     # dots kept


class TlsTest(CertsTestCase):
    """STARTTLS (RFC 3207) and implicit TLS (RFC 8314): the conforming
    form, each deviation flag, the time bounds, and every certificate that
    tests/certs/mkcerts.sh makes, checked with Python's ssl client."""

    def starttls(self, scenario=None, flags=None, kind="valid", **server_args):
        """A server with STARTTLS, and a client that said EHLO, STARTTLS
        and got 220 (no handshake yet)."""
        server = self.start(dict(scenario or {}, tls=self.conf(kind, **(flags or {}))),
                            **server_args)
        c = self.connect(server)
        self.assertRegex(c.cmd(b"EHLO x"), rb"\r\n250[- ]STARTTLS\r\n")
        self.assertEqual(c.cmd(b"STARTTLS"), b"220 Ready to start TLS\r\n")
        return server, c

    def tls_events(self, server, index=0):
        return [e for e in server.events[index] if "tls" in e.lower()]

    # ---- the conforming form

    def test_conforming_flow(self):
        server, c = self.starttls()
        tls = self.upgrade(c)
        self.assertIn(tls.version(), ("TLSv1.2", "TLSv1.3"))
        self.assertEqual(c.code(b"MAIL FROM:<a@b.test>"), 503)     # back to the start
        ehlo = c.cmd(b"EHLO x")
        self.assertTrue(ehlo.startswith(b"250-fake.test greets x\r\n"))
        self.assertNotIn(b"STARTTLS", ehlo)
        for line, code in ((b"MAIL FROM:<a@b.test>", 250), (b"RCPT TO:<c@d.test>", 250),
                           (b"DATA", 354)):
            self.assertEqual(c.code(line), code)
        c.send(b"secret\r\n.\r\n")
        self.assertEqual(c.reply()[:4], b"250 ")
        self.assertEqual(c.code(b"QUIT"), 221)
        self.assertEqual(c.read_until_eof(), b"")
        c.close()
        self.assertTrue(server.wait_idle())
        self.assertEqual(server.messages, [b"secret\r\n"])
        # received/sent are the plaintext on both sides of the upgrade
        self.assertEqual(server.received[0],
                         b"EHLO x\r\nSTARTTLS\r\nMAIL FROM:<a@b.test>\r\nEHLO x\r\n"
                         b"MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n"
                         b"secret\r\n.\r\nQUIT\r\n")
        self.assertIn(b"220 Ready to start TLS\r\n503 ", server.sent[0])
        self.assertTrue(server.sent[0].endswith(b"221 fake.test closing connection\r\n"))
        self.assertRegex(self.tls_events(server)[0], r"^tls established: TLSv1\.[23] \S+$")

    def test_verifies_for_each_name(self):
        for hostname in ("fake.test", "localhost", "127.0.0.1"):
            with self.subTest(hostname=hostname):
                _, c = self.starttls()
                self.upgrade(c, hostname=hostname)
                self.assertEqual(c.code(b"NOOP"), 250)

    def test_quit_over_tls_sends_close_notify(self):
        _, c = self.starttls()
        ctx = self.verifying()
        self.assertEqual(c.pending, b"")
        c.sock = ctx.wrap_socket(c.sock, server_hostname="fake.test",
                                 suppress_ragged_eofs=False)   # a bare FIN would raise
        self.assertEqual(c.code(b"QUIT"), 221)
        self.assertEqual(c.sock.recv(100), b"")

    def test_starttls_refusals(self):
        _, c = self.session()                       # no "tls": not offered, 502
        self.assertNotIn(b"STARTTLS", c.cmd(b"EHLO x"))
        self.assertEqual(c.code(b"STARTTLS"), 502)
        server = self.start({"tls": self.conf()})
        c = self.connect(server)
        c.cmd(b"EHLO x")
        self.assertEqual(c.code(b"STARTTLS now"), 501)
        self.assertEqual(c.code(b"NOOP"), 250)         # still plaintext
        self.assertEqual(c.cmd(b"STARTTLS"), b"220 Ready to start TLS\r\n")
        self.upgrade(c)
        self.assertEqual(c.code(b"STARTTLS"), 503)
        self.assertEqual(c.code(b"STARTTLS x"), 501)
        self.assertEqual(c.code(b"NOOP"), 250)         # the session goes on over TLS

    def test_starttls_in_a_transaction_resets_it(self):
        server = self.start({"tls": self.conf()})
        c = self.connect(server)
        c.cmd(b"EHLO x")
        self.assertEqual(c.code(b"MAIL FROM:<a@b.test>"), 250)
        self.assertEqual(c.code(b"STARTTLS"), 220)
        self.upgrade(c)
        c.cmd(b"EHLO x")
        self.assertEqual(c.code(b"RCPT TO:<c@d.test>"), 503)      # transaction gone
        self.assertEqual(c.code(b"MAIL FROM:<a@b.test>"), 250)

    def test_pipelined_plaintext_is_discarded(self):
        server = self.start({"tls": self.conf()})
        c = self.connect(server)
        c.cmd(b"EHLO x")
        c.send(b"STARTTLS\r\nMAIL FROM:<evil@b.test>\r\n")
        self.assertEqual(c.reply(), b"220 Ready to start TLS\r\n")
        self.upgrade(c)
        self.assertEqual(c.cmd(b"NOOP"), b"250 OK\r\n")            # the first reply over TLS
        c.close()
        self.assertTrue(server.wait_idle())
        self.assertIn("discarded 25 plaintext bytes after STARTTLS", server.events[0])
        self.assertEqual(server.commands[0], ["EHLO x", "STARTTLS", "NOOP"])

    def test_rules_and_reply_keys_work_over_tls(self):
        server, c = self.starttls({"rules": [
            {"match": "^NOOP", "state": "init", "reply": "250 rule\r\n"},
            {"match": "^RSET", "action": "slow", "delay_ms": 1},
            {"match": "^QUIT", "reply": "221 bye\r\n", "then_close": True}]})
        self.upgrade(c)
        self.assertEqual(c.cmd(b"NOOP"), b"250 rule\r\n")     # a rule, in state init again
        self.assertEqual(c.cmd(b"RSET"), b"250 OK\r\n")       # byte by byte, over TLS
        self.assertEqual(c.cmd(b"QUIT"), b"221 bye\r\n")
        self.assertEqual(c.read_until_eof(), b"")

    # ---- handshake failures and time bounds

    def test_handshake_failures_end_the_session(self):
        server, c = self.starttls()
        c.close()                                   # the client leaves instead
        self.assertTrue(server.wait_idle())
        server2, c2 = self.starttls()
        c2.send(b"EHLO x\r\n")                      # plaintext where a ClientHello belongs
        try:
            c2.read_until_eof()
        except ConnectionResetError:
            pass
        self.assertTrue(server2.wait_idle())
        for srv in (server, server2):
            self.assertTrue(srv.events[0][-1].startswith("tls handshake failed: "),
                            srv.events[0])

    def test_silent_or_dripping_client_is_bounded_by_idle_timeout(self):
        for drip in (False, True):
            with self.subTest(drip=drip):
                server, c = self.starttls(idle_timeout=0.5)
                start = time.monotonic()
                hello = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40
                try:
                    for i in range(len(hello) if drip else 0):
                        c.send(hello[i:i + 1])
                        time.sleep(0.1)
                except OSError:
                    pass
                self.assertTrue(server.wait_idle(3))
                self.assertLess(time.monotonic() - start, 1.5)
                self.assertEqual(server.events[0][-1],
                                 "tls handshake failed: not finished within 0.5s")

    def test_verification_failure_is_a_handshake_failure(self):
        server, c = self.starttls(kind="selfsigned")
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.upgrade(c)
        c.close()
        self.assertTrue(server.wait_idle())
        self.assertRegex(server.events[0][-1], r"^tls handshake failed: .*(?i:alert)")

    # ---- implicit TLS

    def test_implicit_tls(self):
        conf = self.conf()
        server = self.start({"implicit_tls": {"cert": conf["cert"], "key": conf["key"]}})
        c = self.connect(server, greeting=False)
        self.upgrade(c, hostname="127.0.0.1")
        self.assertEqual(c.reply(), b"220 fake.test ESMTP fakesmtp\r\n")   # over TLS
        self.assertNotIn(b"STARTTLS", c.cmd(b"EHLO x"))
        self.assertEqual(c.code(b"STARTTLS"), 502)      # no "tls" key
        self.assertEqual(c.code(b"QUIT"), 221)
        c.close()
        self.assertTrue(server.wait_idle())
        self.assertTrue(server.events[0][0].startswith("tls established: "))
        self.assertEqual(server.received[0], b"EHLO x\r\nSTARTTLS\r\nQUIT\r\n")
        both = self.start({"implicit_tls": {"cert": conf["cert"], "key": conf["key"]},
                           "tls": conf})
        c = self.connect(both, greeting=False)
        self.upgrade(c)
        c.reply()
        self.assertNotIn(b"STARTTLS", c.cmd(b"EHLO x"))
        self.assertEqual(c.code(b"STARTTLS"), 503)      # TLS is already up

    def test_implicit_tls_handshake_failure(self):
        conf = self.conf()
        server = self.start({"implicit_tls": {"cert": conf["cert"], "key": conf["key"]}},
                            idle_timeout=0.5)
        c = self.connect(server, greeting=False)
        c.send(b"EHLO x\r\n")                   # a plaintext client on the smtps port
        try:
            data = c.read_until_eof()
        except ConnectionResetError:
            data = b""
        self.assertNotIn(b"220", data)
        silent = self.connect(server, greeting=False)   # says nothing at all
        self.assertTrue(server.wait_for_connections(2))
        self.assertTrue(server.wait_idle(3))
        silent.close()
        self.assertTrue(server.events[0][-1].startswith("tls handshake failed: "))
        self.assertEqual(server.events[1][-1], "tls handshake failed: not finished within 0.5s")

    # ---- the deviations, one flag at a time

    def test_advertise_after_tls(self):
        _, c = self.starttls(flags={"advertise_after_tls": True})
        self.upgrade(c)
        self.assertRegex(c.cmd(b"EHLO x"), rb"\r\n250[- ]STARTTLS\r\n")
        self.assertEqual(c.code(b"STARTTLS"), 503)      # listed, yet refused

    def test_keep_state(self):
        server = self.start({"tls": self.conf(keep_state=True)})
        c = self.connect(server)
        c.cmd(b"EHLO x")
        c.cmd(b"MAIL FROM:<a@b.test>")
        self.assertEqual(c.code(b"STARTTLS"), 220)
        self.upgrade(c)
        self.assertEqual(c.code(b"RCPT TO:<c@d.test>"), 250)      # the transaction survived
        self.assertEqual(c.code(b"RSET"), 250)
        self.assertEqual(c.code(b"MAIL FROM:<a@b.test>"), 250)    # no EHLO over TLS

    def test_accept_second(self):
        server, c = self.starttls(flags={"accept_second": True})
        self.upgrade(c)
        self.assertEqual(c.cmd(b"STARTTLS"), b"220 Ready to start TLS (again)\r\n")
        self.assertEqual(c.code(b"NOOP"), 250)          # no second handshake: same TLS
        c.close()
        self.assertTrue(server.wait_idle())
        self.assertEqual(len(self.tls_events(server)), 1)

    def test_accept_argument(self):
        server = self.start({"tls": self.conf(accept_argument=True)})
        c = self.connect(server)
        c.cmd(b"EHLO x")
        self.assertEqual(c.cmd(b"STARTTLS foo"), b"220 Ready to start TLS\r\n")
        self.upgrade(c)
        self.assertEqual(c.code(b"NOOP"), 250)

    def test_inject_response(self):
        server, c = self.starttls(flags={"inject_response": True})
        self.assertEqual(c.reply(), b"250 injected\r\n")   # plaintext, unasked
        self.upgrade(c)                                    # then a good handshake
        self.assertEqual(c.code(b"NOOP"), 250)
        c.close()
        self.assertTrue(server.wait_idle())
        self.assertIn(b"220 Ready to start TLS\r\n250 injected\r\n250 OK\r\n", server.sent[0])

    def test_process_pipelined(self):
        server = self.start({"tls": self.conf(process_pipelined=True)})
        c = self.connect(server)
        c.cmd(b"EHLO x")
        c.send(b"STARTTLS\r\nNOOP injected\r\nEHLO evil\r\n")
        self.assertEqual(c.reply(), b"220 Ready to start TLS\r\n")
        self.upgrade(c)
        self.assertEqual(c.reply(), b"250 OK\r\n")             # answered over TLS
        self.assertTrue(c.reply().startswith(b"250-fake.test greets evil\r\n"))
        c.close()
        self.assertTrue(server.wait_idle())
        self.assertEqual(server.commands[0][2:], ["NOOP injected", "EHLO evil"])
        self.assertFalse([e for e in server.events[0] if e.startswith("discarded")])

    def test_fail_handshake(self):
        server, c = self.starttls(flags={"fail_handshake": True})
        c.send(b"\x16\x03\x01\x00\x04fake")             # a ClientHello-like record
        self.assertEqual(c.read_until_eof(), b"\x15\x03\x03\x00\x02\x02\x28")
        server, c = self.starttls(flags={"fail_handshake": True})
        with self.assertRaisesRegex(ssl.SSLError, "(?i)handshake.failure"):
            self.upgrade(c)
        c.close()
        self.assertTrue(server.wait_idle())
        self.assertIn("tls handshake refused (handshake_failure alert sent)",
                      server.events[0])

    def test_never_finish(self):
        server, c = self.starttls(flags={"never_finish": True}, idle_timeout=0.5)
        c.sock.settimeout(5)
        start = time.monotonic()
        with self.assertRaises((ssl.SSLError, OSError)):   # EOF instead of ServerHello
            self.upgrade(c)
        self.assertLess(time.monotonic() - start, 3)
        self.assertTrue(server.wait_idle(3))
        self.assertEqual(server.events[0][-1],
                         "tls handshake never finished: closed after idle timeout")
        hello = server.received[0][len(b"EHLO x\r\nSTARTTLS\r\n"):]
        self.assertEqual(hello[:2], b"\x16\x03")          # the unanswered ClientHello, raw

    # ---- the certificates

    def test_certificates(self):
        """Each certificate loads and serves a handshake when the client
        does not verify; verifying against ca.pem fails with OpenSSL's
        reason.  weak (RSA 1024): the server loads it at SECLEVEL=0; on
        this Debian OpenSSL 3.0 (client default security level 2) the
        client refuses it, "EE certificate key too weak" (66); at level
        1 or below it would verify."""
        expected = {"valid": None, "expired": 10, "selfsigned": 18, "wrongname": 62,
                    "weak": (None, 66)}
        for kind, code in expected.items():
            with self.subTest(kind=kind):
                _, c = self.starttls(kind=kind)
                self.upgrade(c, self.trusting())
                self.assertEqual(c.code(b"NOOP"), 250)
                _, c = self.starttls(kind=kind)
                try:
                    self.upgrade(c)
                    got = None
                except ssl.SSLCertVerificationError as exc:
                    got = exc.verify_code
                if isinstance(code, tuple):
                    self.assertIn(got, code)
                else:
                    self.assertEqual(got, code)

    def test_tls_keys_validated(self):
        conf = self.conf()
        validate_scenario({"tls": dict(conf, never_finish=True)})
        for bad in ({"tls": dict(conf, never_finish="yes")},
                    {"implicit_tls": dict(conf, keep_state=True)},
                    {"implicit_tls": {"cert": conf["cert"]}}, {"tls": "yes"},
                    {"connections": [{"tls": {"key": "k"}}]}):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                validate_scenario(bad)


class CommandLineTest(unittest.TestCase):

    def test_cli_runs_scenario_and_records(self):
        with tempfile.TemporaryDirectory() as tmp:
            scenario = os.path.join(tmp, "s.json")
            port_file = os.path.join(tmp, "port")
            record = os.path.join(tmp, "record.json")
            with open(scenario, "w") as fh:
                json.dump({"rules": [{"match": "^NOOP", "reply": "250 \u00ff\r\n"}]}, fh)
            proc = subprocess.Popen(
                [sys.executable, os.path.join(HERE, "fakesmtp.py"), "--scenario", scenario,
                 "--port-file", port_file, "--record", record, "--max-seconds", "20"],
                stdout=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 5
                while not os.path.exists(port_file) and time.monotonic() < deadline:
                    time.sleep(0.02)
                with open(port_file) as fh:
                    port = int(fh.read())
                c = Client(port)
                self.assertEqual(c.reply()[:4], b"220 ")
                self.assertEqual(c.cmd(b"NOOP"), b"250 \xff\r\n")
                self.assertEqual(c.cmd(b"QUIT")[:3], b"221")
                c.close()
            finally:
                proc.terminate()
                self.assertEqual(proc.wait(5), 0)
            with open(record) as fh:
                data = json.load(fh)
            self.assertEqual(data["connections"], 1)
            self.assertEqual(data["received"], ["NOOP\r\nQUIT\r\n"])
            self.assertEqual(data["messages"], [])


if __name__ == "__main__":
    unittest.main()
