#!/usr/bin/python3
"""tests/servers/probe_answers.py - record what real SMTP servers answer.

Sends a fixed list of probes (valid, invalid and odd commands) to the
aiosmtpd and Postfix test instances and prints a Markdown table of the
replies (code + full text), for writing tests against measured behaviour.

    /usr/bin/python3 tests/servers/probe_answers.py            # starts both
    /usr/bin/python3 tests/servers/probe_answers.py --aiosmtpd-port N --postfix-port M
    /usr/bin/python3 tests/servers/probe_answers.py --only aiosmtpd

Without a port, the server is started with tests/servers/<name>.sh in a
temporary state dir and stopped afterwards (postfix needs root).
Stdlib only; raw sockets; every read has a timeout, so a server that waits
for more input shows up as "(no reply in N s)" instead of hanging.
Each probe uses a fresh connection: setup commands are sent first (their
replies are not shown unless they are unexpected), then the probe.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPLY_TIMEOUT = 5.0     # max seconds to wait for a reply
QUIET_TIMEOUT = 0.3     # wait after a reply for unexpected extra output
EHLO = b"EHLO smtpspec.invalid\r\n"
MAIL = b"MAIL FROM:<smtpspec@smtpspec.invalid>\r\n"

# Recipient the server accepts (filled in per server).
RCPT = {"aiosmtpd": b"RCPT TO:<x@example.org>\r\n",
        "postfix": b"RCPT TO:<x@smtpspec-postfix.test>\r\n"}


def noop_line(total):
    """A NOOP command padded so the whole line incl. CRLF is `total` octets."""
    return b"NOOP " + b"x" * (total - len(b"NOOP ") - 2) + b"\r\n"


# (label, setup, probe, special)
#   setup: list of commands sent before the probe ("RCPT" = server's RCPT)
#   special: None | "no-greeting-read" | "data354" | "close-check"
PROBES = [
    ("greeting", [], None, None),
    ("EHLO smtpspec.invalid", [], EHLO, None),
    ("HELO smtpspec.invalid", [], b"HELO smtpspec.invalid\r\n", None),
    ("HELO (no argument)", [], b"HELO\r\n", None),
    ("EHLO (no argument)", [], b"EHLO\r\n", None),
    ("MAIL FROM:<smtpspec@smtpspec.invalid>", [EHLO], MAIL, None),
    ("second MAIL inside a transaction", [EHLO, MAIL], MAIL, None),
    ("RCPT TO:<x@smtpspec-postfix.test> (postfix) / <x@example.org> (aiosmtpd)",
     [EHLO, MAIL], "RCPT", None),
    ("RCPT TO:<x@example.org> (postfix: outside domain, relay from 127.0.0.1)",
     [EHLO, MAIL], b"RCPT TO:<x@example.org>\r\n", None),
    ("RCPT before MAIL", [EHLO], b"RCPT TO:<x@example.org>\r\n", None),
    ("DATA before MAIL", [EHLO], b"DATA\r\n", "data354"),
    ("DATA after MAIL, no RCPT", [EHLO, MAIL], b"DATA\r\n", "data354"),
    ("RCPT TO:<>", [EHLO, MAIL], b"RCPT TO:<>\r\n", None),
    ("MAIL FROM <a@b.example> (no colon)", [EHLO],
     b"MAIL FROM <a@b.example>\r\n", None),
    ("MAIL FROM:user@x (no brackets)", [EHLO], b"MAIL FROM:user@x\r\n", None),
    ("MAIL FROM:<user@x (no closing bracket)", [EHLO],
     b"MAIL FROM:<user@x\r\n", None),
    ("MAIL FROM:<> FOO=BAR (unknown parameter)", [EHLO],
     b"MAIL FROM:<> FOO=BAR\r\n", None),
    ("MAIL FROM:<> FOO=BAR after HELO (not EHLO)",
     [b"HELO smtpspec.invalid\r\n"], b"MAIL FROM:<> FOO=BAR\r\n", None),
    ("RSET", [EHLO, MAIL], b"RSET\r\n", None),
    ("RSET with argument (RSET x)", [EHLO], b"RSET x\r\n", None),
    ("VRFY postmaster", [EHLO], b"VRFY postmaster\r\n", None),
    ("VRFY (no argument)", [EHLO], b"VRFY\r\n", None),
    ("EXPN postmaster", [EHLO], b"EXPN postmaster\r\n", None),
    ("HELP", [EHLO], b"HELP\r\n", None),
    ("HELP MAIL", [EHLO], b"HELP MAIL\r\n", None),
    ("NOOP", [EHLO], b"NOOP\r\n", None),
    ("NOOP with argument (NOOP hello)", [EHLO], b"NOOP hello\r\n", None),
    ("QUIT with argument (QUIT now); closed after?", [EHLO], b"QUIT now\r\n",
     "close-check"),
    ("DATA with argument (DATA x) after MAIL+RCPT", [EHLO, MAIL, "RCPT"],
     b"DATA x\r\n", "data354"),
    ("DATA after MAIL+RCPT (reference)", [EHLO, MAIL, "RCPT"], b"DATA\r\n",
     "data354"),
    ("unknown verb XYZZY", [EHLO], b"XYZZY\r\n", None),
    ("SEND FROM:<a@b.example>", [EHLO], b"SEND FROM:<a@b.example>\r\n", None),
    ("SOML FROM:<a@b.example>", [EHLO], b"SOML FROM:<a@b.example>\r\n", None),
    ("SAML FROM:<a@b.example>", [EHLO], b"SAML FROM:<a@b.example>\r\n", None),
    ("TURN", [EHLO], b"TURN\r\n", None),
    ("lowercase mail from:<a@b.example>", [EHLO], b"mail from:<a@b.example>\r\n",
     None),
    ("NOOP line of 512 octets incl. CRLF", [EHLO], noop_line(512), None),
    ("NOOP line of 513 octets incl. CRLF", [EHLO], noop_line(513), None),
    ("NOOP line of 514 octets incl. CRLF", [EHLO], noop_line(514), None),
    ("NOOP line of 515 octets incl. CRLF", [EHLO], noop_line(515), None),
    ("NOOP line of 1000 octets incl. CRLF", [EHLO], noop_line(1000), None),
    ("NOOP line of 4096 octets incl. CRLF", [EHLO], noop_line(4096), None),
    ("NOOP line of 65536 octets incl. CRLF", [EHLO], noop_line(65536), None),
    ("NOOP ended with bare LF (NOOP\\n)", [EHLO], b"NOOP\n", None),
    ("NOOP ended with bare CR (NOOP\\r), nothing after", [EHLO], b"NOOP\r", None),
    ("NUL inside the verb (NO\\0OP)", [EHLO], b"NO\x00OP\r\n", None),
    ("NUL in an argument (NOOP a\\0b)", [EHLO], b"NOOP a\x00b\r\n", None),
    ("8-bit octet in an argument (NOOP \\xe9)", [EHLO], b"NOOP \xe9\r\n", None),
    ("empty line (just CRLF)", [EHLO], b"\r\n", None),
    ("MAIL before EHLO (fresh connection)", [], MAIL, None),
    ("NOOP before EHLO", [], b"NOOP\r\n", None),
    ("VRFY postmaster before EHLO", [], b"VRFY postmaster\r\n", None),
    ("HELP before EHLO", [], b"HELP\r\n", None),
    ("RSET before EHLO", [], b"RSET\r\n", None),
    ("EXPN postmaster before EHLO", [], b"EXPN postmaster\r\n", None),
    ("QUIT; closed after?", [EHLO], b"QUIT\r\n", "close-check"),
]


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=REPLY_TIMEOUT)
        self.buf = b""
        self.eof = False

    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except OSError:
            self.eof = True
            return False
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def send(self, data):
        try:
            self.sock.sendall(data)
            return None
        except OSError as e:
            return "(send failed: %s)" % e.__class__.__name__

    def reply(self, timeout=REPLY_TIMEOUT):
        """Read one (possibly multiline) reply. Returns (lines, note) where
        note is None, "timeout" or "closed" (partial data is kept)."""
        lines = []
        deadline = time.monotonic() + timeout
        while True:
            idx = self.buf.find(b"\n")
            if idx < 0:
                partial = [self.buf.decode("latin-1")] if self.buf else []
                if self.eof:
                    self.buf = b""
                    return lines + partial, "closed"
                left = deadline - time.monotonic()
                if left <= 0:
                    self.buf = b""
                    return lines + partial, "timeout"
                self._fill(left)
                continue
            line, self.buf = self.buf[:idx], self.buf[idx + 1:]
            line = line.rstrip(b"\r").decode("latin-1")
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return lines, None

    def extra(self):
        """Anything else the server sends within QUIET_TIMEOUT, or EOF."""
        out = []
        while True:
            lines, note = self.reply(QUIET_TIMEOUT)
            out += lines
            if note == "timeout":
                return out, False
            if note == "closed":
                return out, True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def run_probe(server, port, setup, probe, special):
    """Return dict(lines, note, ms, closed, extra, setup_trouble)."""
    c = Conn(port)
    res = {"setup": []}
    try:
        lines, note = c.reply()                       # greeting
        if probe is None:
            res.update(lines=lines, note=note, ms=None)
            return res
        for cmd in setup:
            if cmd == "RCPT":
                cmd = RCPT[server]
            c.send(cmd)
            sl, sn = c.reply()
            if sn or not sl or sl[-1][:1] not in ("2", "3"):
                res["setup"].append("%s -> %s%s" % (
                    cmd.decode().strip(), " / ".join(sl), " (%s)" % sn if sn else ""))
        if probe == "RCPT":
            probe = RCPT[server]
        t0 = time.monotonic()
        err = c.send(probe)
        lines, note = c.reply()
        ms = (time.monotonic() - t0) * 1000
        if err and not lines:
            note = err
        res.update(lines=lines, note=note, ms=ms)
        if special == "data354" and lines and lines[-1].startswith("354"):
            note2 = "354 received: closed without sending the '.'"
            res["note"] = note2
            return res
        if note is None:
            extra, closed = c.extra()
            res["extra"] = extra
            res["closed"] = closed
        elif note == "closed":
            res["closed"] = True
        return res
    finally:
        c.close()


def repeat_probe(port, cmd, n):
    """Send `cmd` n times on one connection (after EHLO); report when the
    reply changes or the server closes."""
    c = Conn(port)
    try:
        c.reply()
        c.send(EHLO)
        c.reply()
        first = None
        t_start = time.monotonic()
        for i in range(1, n + 1):
            if c.send(cmd):
                return "send failed at command %d" % i
            lines, note = c.reply()
            text = " / ".join(lines)
            if first is None:
                first = text
            elif text != first or note:
                closed = note == "closed" or (note is None and c.extra()[1])
                return ("1..%d: `%s`; #%d: `%s`%s (%.1f s in all)"
                        % (i - 1, first, i, text or "(nothing)",
                           ", then connection closed" if closed else "",
                           time.monotonic() - t_start))
        return "%d x `%s`, connection still open (%.1f s in all)" % (
            n, first, time.monotonic() - t_start)
    finally:
        c.close()


REPEATS = [("XYZZY (unknown verb) repeated", b"XYZZY\r\n", 30),
           ("RCPT before MAIL (an error reply) repeated", b"RCPT TO:<x@example.org>\r\n", 30),
           ("NOOP repeated", b"NOOP\r\n", 150)]


def md(text):
    """Plain table text: escape what Markdown/HTML would eat."""
    return (text.replace("&", "&amp;").replace("|", "\\|").replace("<", "&lt;")
            .replace(">", "&gt;").replace("\x00", "\\0"))


def code(text):
    """A code span in a table cell (only | needs escaping there)."""
    text = text.replace("|", "\\|").replace("\x00", "\\0").replace("\r", "\\r")
    return "`%s`" % text if text else "`(empty line)`"


def cell(res):
    if res is None:
        return "-"
    parts = []
    if res["setup"]:
        parts.append("*setup:* " + "; ".join(code(x) for x in res["setup"]))
    lines = res.get("lines") or []
    if lines:
        parts.append("<br>".join(code(l) for l in lines))
    note = res.get("note")
    if note == "timeout":
        parts.append("*(no reply in %g s)*" % REPLY_TIMEOUT)
    elif note == "closed":
        parts.append("*(connection closed)*")
    elif note:
        parts.append("*(%s)*" % md(note))
    if res.get("extra"):
        parts.append("*then:* " + "<br>".join(code(l) for l in res["extra"]))
    if res.get("closed") and note != "closed":
        parts.append("*then closed*")
    if res.get("ms") is not None and res["ms"] >= 300:
        parts.append("*(%.1f s)*" % (res["ms"] / 1000))
    return "<br>".join(parts)


def start_server(name, statedir):
    out = subprocess.run([os.path.join(HERE, name + ".sh"), "start", statedir],
                         stdout=subprocess.PIPE, check=True)
    return int(out.stdout.decode().strip())


def stop_server(name, statedir):
    subprocess.run([os.path.join(HERE, name + ".sh"), "stop", statedir])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--aiosmtpd-port", type=int)
    ap.add_argument("--postfix-port", type=int)
    ap.add_argument("--only", choices=["aiosmtpd", "postfix"])
    args = ap.parse_args()

    servers = ["aiosmtpd", "postfix"] if not args.only else [args.only]
    ports = {"aiosmtpd": args.aiosmtpd_port, "postfix": args.postfix_port}
    tmp = tempfile.mkdtemp(prefix="smtpspec-probe.")
    os.chmod(tmp, 0o755)
    started = []
    try:
        for s in servers:
            if not ports[s]:
                sd = os.path.join(tmp, s)
                ports[s] = start_server(s, sd)
                started.append((s, sd))

        results = {s: [] for s in servers}
        for s in servers:
            for label, setup, probe, special in PROBES:
                try:
                    results[s].append(run_probe(s, ports[s], setup, probe, special))
                except OSError as e:
                    results[s].append({"setup": [], "lines": [], "note": repr(e)})
        repeats = {s: [repeat_probe(ports[s], cmd, n) for _, cmd, n in REPEATS]
                   for s in servers}

        print("| # | probe (setup before it) | " + " | ".join(servers) + " |")
        print("|---|---|" + "---|" * len(servers))
        for i, (label, setup, probe, special) in enumerate(PROBES):
            pre = []
            for cmd in setup:
                pre.append("RCPT" if cmd == "RCPT" else cmd.decode().split()[0])
            where = (" (after %s)" % ", ".join(pre)) if pre else ""
            print("| %d | %s%s | %s |" % (
                i + 1, md(label), md(where),
                " | ".join(cell(results[s][i]) for s in servers)))
        print()
        print("Repeated commands on one connection (after EHLO):")
        print()
        print("| repeated command | " + " | ".join(servers) + " |")
        print("|---|" + "---|" * len(servers))
        for j, (label, cmd, n) in enumerate(REPEATS):
            print("| %s (up to %d times) | %s |" % (
                md(label), n, " | ".join(repeats[s][j].replace("|", "\\|")
                                         for s in servers)))
    finally:
        for s, sd in started:
            stop_server(s, sd)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
