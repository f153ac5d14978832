#!/usr/bin/python3
"""fakesmtp - a controllable fake SMTP server for smtpspec end-to-end tests.

By default it behaves like a small, conforming RFC 5321 server.  A
*scenario* (a JSON-serialisable dict, see README.md) overrides any reply
with arbitrary bytes or with hostile behaviour: clean close, TCP reset,
silence, hanging, flooding, slow byte-by-byte replies, random bytes;
replies padded to any size, repeated, delayed or unasked; another
behaviour every Nth connection (`cycle`).

Module use::

    from fakesmtp import FakeServer
    with FakeServer({"rules": [{"match": "^EHLO", "reply": "500 no\\r\\n"}]}) as srv:
        ... connect to 127.0.0.1:srv.port ...
        srv.wait_idle()
        srv.received[0]      # raw bytes the client sent on connection 0
        srv.messages         # delivered message bodies (dot-unstuffed)

CLI use::

    /usr/bin/python3 fakesmtp.py --scenario S.json --port-file PORT \\
        [--max-seconds N] [--record OUT.json]

Strings in scenarios stand for bytes: each character is one octet
(latin-1), so "\\u0000" is NUL and "\\u00ff" is 0xFF.  Python callers may
pass bytes instead.
"""

import argparse
import base64
import binascii
import json
import os
import random
import re
import select
import signal
import socket
import ssl
import struct
import sys
import threading
import time
from collections import namedtuple

__all__ = ["FakeServer", "Delivery", "load_scenario", "validate_scenario"]

DEFAULT_HOSTNAME = "fake.test"
DEFAULT_EHLO_KEYWORDS = ("PIPELINING", "SIZE 10240000", "8BITMIME", "HELP")
DEFAULT_MAX_LINE = 512                 # octets, including CRLF (RFC 5321 4.5.3.1.4)
DEFAULT_FLOOD_PATTERN = "250-" + "x" * 70 + "\r\n"
DEFAULT_SLOW_DELAY_MS = 20
CLOSE_DRAIN_SECONDS = 2.0              # how long a clean close waits for the peer's FIN
POLL_SECONDS = 0.05
RECORD_SENT_CAP = 1 << 20              # keep at most 1 MiB of sent bytes per connection
RECORD_RECEIVED_CAP = 64 << 20
PAD_LINE_OCTETS = 500                  # padding lines (pad_replies), CRLF included
RANDOM_SEED = 5321                     # random_bytes are the same on every run
STREAM_CHUNK = 65536                   # floods and random bytes go out in such pieces

ACTIONS = ("reply", "close", "reset", "silence", "hang", "flood", "slow")
TERMINAL_ACTIONS = ("close", "reset", "silence", "hang")
STATES = ("init", "ready", "mail", "rcpt")
LINE_MODES = ("accept", "reject", "ignore")

SPEC_KEYS = {"reply", "action", "delay_ms", "then_close", "random_bytes",
             "flood_bytes", "flood_line", "flood_pattern", "flood_end", "later",
             "later_delay_ms"}
RULE_KEYS = SPEC_KEYS | {"match", "state", "times"}
SCENARIO_KEYS = {"hostname", "greeting", "greeting_delay_ms", "on_connect",
                 "rules", "ehlo_keywords", "ehlo_reply", "data_reply",
                 "data_end_reply", "bare_lf", "bare_cr", "max_line",
                 "reply_delay_ms", "pad_replies", "repeat_replies",
                 "after_greeting", "after_reply",
                 "tls", "implicit_tls", "enhanced_codes", "chunking", "auth",
                 "data_ends", "bare_in_data", "nul_in_data", "relay", "mailboxes",
                 "connections", "cycle", "default"}
# Message data (the security suite's smuggling probes): what a bare CR or
# LF in the data does, and whether NULs are dropped before the end is found.
BARE_IN_DATA = ("keep", "reject", "refuse")
NUL_IN_DATA = ("keep", "strip")
# Open relay: the forms of an outside recipient a server may let through.
RELAY_FORMS = ("plain", "percent-hack", "quoted", "source-route", "bang-path",
               "address-literal", "postmaster-literal")
# STARTTLS: the certificate, and the deviations a test may switch on.
TLS_FLAGS = {"advertise_after_tls", "keep_state", "accept_second", "accept_argument",
             "inject_response", "process_pipelined", "fail_handshake", "never_finish",
             "require_tls"}
TLS_KEYS = {"cert", "key"} | TLS_FLAGS
# CHUNKING (BDAT): the deviations a test may switch on.
CHUNKING_FLAGS = {"lines_are_commands", "early_reply", "dot_ends_chunk", "data_after_bdat",
                  "bdat_after_last"}
# AUTH (PLAIN, LOGIN): the credentials, and the deviations a test may switch on.
AUTH_FLAGS = {"accept_second", "cancel_accepted", "lenient_base64", "in_transaction",
              "wrong_code", "tls_only"}
AUTH_KEYS = {"user", "pass"} | AUTH_FLAGS
HANDSHAKE_ALERT = b"\x15\x03\x03\x00\x02\x02\x28"   # TLS alert: handshake_failure
TOP_LEVEL_ONLY = {"connections", "cycle", "default"}

Delivery = namedtuple("Delivery", "connection sender recipients data")


# ---------------------------------------------------------------- helpers

def to_bytes(value):
    """Scenario string -> bytes: one character per octet (latin-1)."""
    if value is None:
        return b""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return value.encode("latin-1")


def as_spec(value, bare_string_key="reply"):
    """A response spec is a dict; a bare string is shorthand for one key."""
    if value is None:
        return None
    if isinstance(value, (str, bytes, bytearray)):
        return {bare_string_key: value}
    return dict(value)


def reply_bytes(spec, default_reply):
    """The reply a spec sends: its "reply", else (for the plain "reply"
    and "slow" actions) the server's default reply."""
    if "reply" in spec or spec.get("action", "reply") not in ("reply", "slow"):
        return to_bytes(spec.get("reply"))
    return to_bytes(default_reply)


def reply_line(code, text):
    return "%d %s\r\n" % (code, text)


def multiline_reply(code, lines):
    last = len(lines) - 1
    return "".join("%d%s%s\r\n" % (code, " " if i == last else "-", line)
                   for i, line in enumerate(lines))


def pad_reply(reply, size):
    """A well-formed reply grown to at least `size` octets (less than
    size + PAD_LINE_OCTETS) by continuation lines with the same code, each
    PAD_LINE_OCTETS long ("250-XPADDING xxx...").  The first line stays
    first and the last line last; a one-line reply "250 OK" becomes
    "250-OK", the padding, and "250 OK" again.  Anything that is not a
    reply ending in CRLF is returned unchanged, as is a reply already
    that long."""
    m = re.match(rb"([2-5][0-9][0-9])[ -]", reply)
    if not size or len(reply) >= size or not m or not reply.endswith(b"\r\n"):
        return reply
    code = m.group(1)
    lines = reply[:-2].split(b"\r\n")
    if len(lines) == 1:
        head, tail = [code + b"-" + lines[0][4:]], lines
    else:
        head, tail = lines[:1], lines[1:]
    text = code + b"-XPADDING "
    filler = text + b"x" * (PAD_LINE_OCTETS - 2 - len(text))
    body_len = sum(len(line) + 2 for line in head + tail)
    count = -(-(size - body_len) // PAD_LINE_OCTETS)
    return b"".join(line + b"\r\n" for line in head + [filler] * count + tail)


def random_chunks(count, seed=RANDOM_SEED):
    """`count` pseudo-random octets (the same ones every run), generated
    lazily in STREAM_CHUNK pieces."""
    rng = random.Random(seed)
    while count > 0:
        n = min(count, STREAM_CHUNK)
        yield rng.randbytes(n)
        count -= n


def unstuff(raw):
    """Remove SMTP dot-stuffing (RFC 5321 4.5.2) from message data."""
    return (b"\r\n" + raw).replace(b"\r\n.", b"\r\n")[2:]


_TERMINATOR_RE = re.compile(rb"\r\n|\n|\r(?!\n)")
_TERMINATOR_KIND = {b"\r\n": "crlf", b"\n": "lf", b"\r": "cr"}


def find_terminator(buf, bare_lf, bare_cr):
    """Locate the first line terminator honoured by the bare LF/CR modes.

    Returns (start, end, kind, mode) or None if no complete line yet.
    "ignore" terminators are treated as ordinary line content.
    """
    pos = 0
    while True:
        m = _TERMINATOR_RE.search(buf, pos)
        if m is None:
            return None
        term = m.group()
        if term == b"\r" and m.end() == len(buf):
            return None                    # CR at the end: LF may follow
        kind = _TERMINATOR_KIND[term]
        mode = {"lf": bare_lf, "cr": bare_cr}.get(kind, "accept")
        if mode != "ignore":
            return m.start(), m.end(), kind, mode
        pos = m.end()


# ------------------------------------------------------------- validation

def _fail(where, message):
    raise ValueError("fakesmtp scenario: %s: %s" % (where, message))


def _check_bytes(where, value):
    if not isinstance(value, (str, bytes, bytearray)):
        _fail(where, "must be a string")
    try:
        to_bytes(value)
    except UnicodeEncodeError:
        _fail(where, "characters above U+00FF cannot stand for bytes")


def _check_number(where, value, integer=False):
    types = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, types) or value < 0:
        _fail(where, "must be a non-negative number")


def _check_spec(where, spec, allowed_keys=SPEC_KEYS):
    if not isinstance(spec, dict):
        _fail(where, "must be a string or an object")
    unknown = set(spec) - allowed_keys
    if unknown:
        _fail(where, "unknown keys %s" % sorted(unknown))
    if spec.get("action", "reply") not in ACTIONS:
        _fail(where, "action must be one of %s" % (ACTIONS,))
    for key in ("reply", "flood_pattern", "flood_end", "flood_line"):
        if key in spec:
            _check_bytes("%s.%s" % (where, key), spec[key])
    if "flood_line" in spec and re.search("[\r\n]", str(spec["flood_line"])):
        _fail(where, "flood_line must not contain CR or LF")
    for key in ("flood_line", "flood_pattern"):
        if key in spec and not spec[key]:
            _fail(where, "%s must not be empty" % key)
    if "delay_ms" in spec:
        _check_number(where + ".delay_ms", spec["delay_ms"])
    if spec.get("flood_bytes") is not None:
        _check_number(where + ".flood_bytes", spec["flood_bytes"], integer=True)
    if "random_bytes" in spec:
        _check_number(where + ".random_bytes", spec["random_bytes"], integer=True)
    if not isinstance(spec.get("then_close", False), bool):
        _fail(where, "then_close must be true or false")
    if "later" in spec:
        _check_bytes(where + ".later", spec["later"])
    if "later_delay_ms" in spec:
        _check_number(where + ".later_delay_ms", spec["later_delay_ms"])


def _check_rule(where, rule):
    _check_spec(where, rule, RULE_KEYS)
    if not isinstance(rule.get("match"), str):
        _fail(where, "'match' (a regular expression) is required")
    try:
        re.compile(rule["match"])
    except re.error as exc:
        _fail(where, "bad regex: %s" % exc)
    states = rule.get("state", [])
    states = [states] if isinstance(states, str) else states
    if not isinstance(states, list) or set(states) - set(STATES):
        _fail(where, "state must be one of %s (or a list)" % (STATES,))
    if "times" in rule:
        _check_number(where + ".times", rule["times"], integer=True)


def _check_tls(where, scenario):
    for key, allowed in (("tls", TLS_KEYS), ("implicit_tls", {"cert", "key"})):
        conf = scenario.get(key)
        if conf is None:
            continue
        if not isinstance(conf, dict) or set(conf) - allowed:
            _fail(where, "%s must be an object with keys %s" % (key, sorted(allowed)))
        if not isinstance(conf.get("cert"), str) or not isinstance(conf.get("key"), str):
            _fail(where, "%s needs cert and key (PEM file paths)" % key)
        for flag in set(conf) & TLS_FLAGS:
            if not isinstance(conf[flag], bool):
                _fail(where, "%s.%s must be true or false" % (key, flag))


def _check_security(where, scenario):
    ends = scenario.get("data_ends", [])
    if not isinstance(ends, list) or not all(isinstance(e, (str, bytes)) and e for e in ends):
        _fail(where, "data_ends must be a list of non-empty strings")
    if scenario.get("bare_in_data", "keep") not in BARE_IN_DATA:
        _fail(where, "bare_in_data must be one of %s" % (BARE_IN_DATA,))
    if scenario.get("nul_in_data", "keep") not in NUL_IN_DATA:
        _fail(where, "nul_in_data must be one of %s" % (NUL_IN_DATA,))
    relay = scenario.get("relay")
    if relay is not None and (not isinstance(relay, dict) or set(relay) - {"open", "local"} or
                              set(relay.get("open", [])) - set(RELAY_FORMS) or
                              not all(isinstance(d, str) for d in relay.get("local", []))):
        _fail(where, "relay must be {open: forms of %s, local: [domains]}" % (RELAY_FORMS,))
    boxes = scenario.get("mailboxes")
    if boxes is not None and (not isinstance(boxes, list) or
                              not all(isinstance(b, str) for b in boxes)):
        _fail(where, "mailboxes must be a list of local parts")


_BARE_RE = re.compile(rb"(?<!\r)\n|\r(?!\n)")


def has_bare_cr_lf(data):
    """A CR not followed by LF, or an LF not after a CR (a CR at the very
    end may still get its LF)."""
    return _BARE_RE.search(data[:-1] if data.endswith(b"\r") else data) is not None


def relay_form(path, local_domains):
    """The open-relay form of a recipient path, or None when it is local."""
    if path.startswith("@"):
        return "source-route"
    local, _, domain = path.rpartition("@")
    if domain.lower() not in local_domains:
        if domain.startswith("["):
            return "postmaster-literal" if local.lower() == "postmaster" else "address-literal"
        return "plain"
    if local.startswith('"') and "@" in local:
        return "quoted"
    if "%" in local:
        return "percent-hack"
    if "!" in local:
        return "bang-path"
    return None


def server_context(conf):
    """An ssl context serving conf's certificate.  The system's security
    level is kept; only a certificate it refuses to load (the RSA 1024
    "weak" test certificate: EE_KEY_TOO_SMALL at Debian's level 2) is
    served at SECLEVEL=0."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        ctx.load_cert_chain(conf["cert"], conf["key"])
    except ssl.SSLError:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.load_cert_chain(conf["cert"], conf["key"])
    return ctx


def add_status_codes(reply):
    """Puts an enhanced status code (class.0.0) after the code of every
    line of a 2yz/4yz/5yz reply (RFC 2034)."""
    lines = reply.split(b"\r\n")
    out = []
    for line in lines:
        if len(line) >= 4 and line[:3].isdigit() and line[:1] in b"245" and line[3:4] in b" -":
            line = line[:4] + line[:1] + b".0.0 " + line[4:]
        out.append(line)
    return b"\r\n".join(out)


def validate_scenario(scenario, where="scenario", nested=False):
    """Check a scenario; raise ValueError on mistakes.  Returns it."""
    if not isinstance(scenario, dict):
        _fail(where, "must be an object")
    allowed = SCENARIO_KEYS - (TOP_LEVEL_ONLY if nested else set())
    unknown = set(scenario) - allowed
    if unknown:
        _fail(where, "unknown keys %s" % sorted(unknown))
    for key in ("greeting", "ehlo_reply", "data_reply", "data_end_reply"):
        if key in scenario:
            _check_spec("%s.%s" % (where, key), as_spec(scenario[key]))
    if "on_connect" in scenario:
        _check_spec(where + ".on_connect", as_spec(scenario["on_connect"], "action"))
    for key in ("greeting_delay_ms", "reply_delay_ms"):
        if key in scenario:
            _check_number("%s.%s" % (where, key), scenario[key])
    if "pad_replies" in scenario:
        _check_number(where + ".pad_replies", scenario["pad_replies"], integer=True)
    if "repeat_replies" in scenario:
        repeat = scenario["repeat_replies"]
        _check_number(where + ".repeat_replies", repeat, integer=True)
        if repeat < 1:
            _fail(where, "repeat_replies must be at least 1")
    for key in ("after_greeting", "after_reply"):
        if key in scenario:
            _check_bytes("%s.%s" % (where, key), scenario[key])
    if not isinstance(scenario.get("rules", []), list):
        _fail(where, "rules must be a list")
    for i, rule in enumerate(scenario.get("rules", [])):
        _check_rule("%s.rules[%d]" % (where, i), rule)
    keywords = scenario.get("ehlo_keywords", [])
    if not isinstance(keywords, (list, tuple)):
        _fail(where, "ehlo_keywords must be a list")
    for kw in keywords:
        _check_bytes(where + ".ehlo_keywords", kw)
    for key in ("bare_lf", "bare_cr"):
        if scenario.get(key, "accept") not in LINE_MODES:
            _fail(where, "%s must be one of %s" % (key, LINE_MODES))
    if "max_line" in scenario:
        _check_number(where + ".max_line", scenario["max_line"], integer=True)
    if "hostname" in scenario:
        _check_bytes(where + ".hostname", scenario["hostname"])
    _check_tls(where, scenario)
    auth = scenario.get("auth")
    if auth is not None and (not isinstance(auth, dict) or set(auth) - AUTH_KEYS or
                             not isinstance(auth.get("user"), str) or
                             not isinstance(auth.get("pass"), str) or
                             not all(isinstance(auth[f], bool) for f in set(auth) & AUTH_FLAGS)):
        _fail(where, "auth must be {user, pass} plus flags %s" % sorted(AUTH_FLAGS))
    _check_security(where, scenario)
    if not isinstance(scenario.get("enhanced_codes", False), bool):
        _fail(where, "enhanced_codes must be true or false")
    chunking = scenario.get("chunking", {})
    if not isinstance(chunking, dict) or set(chunking) - CHUNKING_FLAGS or \
            not all(isinstance(v, bool) for v in chunking.values()):
        _fail(where, "chunking must be an object of flags %s" % sorted(CHUNKING_FLAGS))
    if not nested:
        conns = scenario.get("connections", [])
        if not isinstance(conns, list):
            _fail(where, "connections must be a list")
        for i, sub in enumerate(conns):
            if sub is not None:
                validate_scenario(sub, "%s.connections[%d]" % (where, i), True)
        cycle = scenario.get("cycle", [None])
        if not isinstance(cycle, list) or not cycle:
            _fail(where, "cycle must be a non-empty list")
        for i, sub in enumerate(cycle):
            if sub is not None:
                validate_scenario(sub, "%s.cycle[%d]" % (where, i), True)
        if "default" in scenario:
            validate_scenario(scenario["default"], where + ".default", True)
    return scenario


def scenario_for_connection(scenario, index):
    """Top-level keys, overlaid with connections[index], else with
    cycle[index % len(cycle)], else with "default" (null entries fall
    through)."""
    base = {k: v for k, v in scenario.items() if k not in TOP_LEVEL_ONLY}
    conns = scenario.get("connections") or []
    chosen = conns[index] if index < len(conns) else None
    cycle = scenario.get("cycle")
    if chosen is None and cycle:
        chosen = cycle[index % len(cycle)]
    if chosen is None:
        chosen = scenario.get("default") or {}
    return dict(base, **chosen)


def load_scenario(path):
    with open(path, encoding="utf-8") as fh:
        return validate_scenario(json.load(fh))


# ------------------------------------------------------- per-connection

class _EndSession(Exception):
    """Unwinds a session: the connection is over (reason in args[0])."""


class _Rule:
    def __init__(self, rule):
        self.regex = re.compile(rule["match"], re.IGNORECASE | re.DOTALL)
        states = rule.get("state", [])
        self.states = [states] if isinstance(states, str) else list(states)
        self.times = rule.get("times")
        self.spec = {k: v for k, v in rule.items() if k in SPEC_KEYS}
        self.fired = 0

    def matches(self, text, state):
        if self.times is not None and self.fired >= self.times:
            return False
        if self.states and state not in self.states:
            return False
        return self.regex.search(text) is not None


class _Record:
    """What one connection saw; shared with the server under its lock."""

    def __init__(self, index):
        self.index = index
        self.received = bytearray()
        self.sent = bytearray()
        self.commands = []
        self.events = []


# Response of the default state machine to one command.  `reply` is a
# string or a spec; `apply` is the state transition a positive reply
# implies (it runs if the reply actually sent starts with `ok_class`,
# even when a rule supplied that reply).
Response = namedtuple("Response", "reply apply ok_class", defaults=(None, "2"))

_MAIL_RE = re.compile(r"FROM:[ \t]*<([^<>]*)>(.*)\Z", re.IGNORECASE | re.DOTALL)
_RCPT_RE = re.compile(r"TO:[ \t]*<([^<>]*)>(.*)\Z", re.IGNORECASE | re.DOTALL)
_MAILBOX_RE = re.compile(
    r'(?:"(?:[^"\\\r\n]|\\.)*"|[^\s"@<>()\[\],;:\\]+)'
    r'@(?:[A-Za-z0-9\x80-\xff][A-Za-z0-9\x80-\xff.-]*|\[[^\[\]\s]+\])\Z')
# RFC 3461 §4: xtext = *( xchar / hexchar ); "+" only as "+HH" (upper case)
_XTEXT_RE = re.compile(r"(?:[\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2})+\Z")
_PARAM_RE = re.compile(r"([A-Za-z0-9][A-Za-z0-9-]*)(?:=([\x21-\x3c\x3e-\x7e]+))?\Z")


class _Session:
    """One client connection: reads commands, answers them, records all."""

    def __init__(self, server, sock, record, scenario):
        self.server = server
        self.sock = sock
        self.record = record
        self.sc = scenario
        self.stopping = server._stop_event
        self.hostname = scenario.get("hostname", DEFAULT_HOSTNAME)
        self.keywords = [str(k) for k in scenario.get("ehlo_keywords", DEFAULT_EHLO_KEYWORDS)]
        self.bare_lf = scenario.get("bare_lf", "accept")
        self.bare_cr = scenario.get("bare_cr", "ignore")
        self.max_line = scenario.get("max_line", DEFAULT_MAX_LINE)
        self.rules = [_Rule(r) for r in scenario.get("rules", [])]
        self.reply_delay = scenario.get("reply_delay_ms", 0) / 1000.0
        self.pad_to = scenario.get("pad_replies", 0)
        self.repeat = scenario.get("repeat_replies", 1)
        self.after_greeting = to_bytes(scenario.get("after_greeting"))
        self.after_reply = to_bytes(scenario.get("after_reply"))
        self.buf = bytearray()
        self.state = "init"
        self.sender = None
        self.recipients = []
        self.closed = False
        self.tls = scenario.get("tls")              # STARTTLS offered
        self.tls_active = False
        self.tls_closed = False                     # close_notify both ways: raw from here
        self.enhanced = scenario.get("enhanced_codes", False)
        self.chunking = scenario.get("chunking")    # CHUNKING offered (flags)
        self.chunks = None                          # BDAT data of this transaction
        self.auth = scenario.get("auth")            # AUTH offered (credentials, flags)
        self.authenticated = False

    # ---- lifecycle

    def run(self):
        try:
            if self.sc.get("implicit_tls"):
                self.handshake(self.sc["implicit_tls"])
            self.pause(self.sc.get("greeting_delay_ms", 0) / 1000.0)
            self.perform(self.connect_spec(), self.default_greeting(), command=False)
            while True:
                self.handle_line(*self.read_line())
        except _EndSession as end:
            self.event(end.args[0] if end.args else "end")
        except Exception as exc:   # a bug here must not kill the test process
            self.event("internal error: %r" % (exc,))
        finally:
            self.close_socket()
            self.server._session_finished(self)

    def event(self, text):
        with self.server._lock:
            self.record.events.append(text)

    def close_socket(self):
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    # ---- low-level I/O

    def pause(self, seconds):
        if seconds > 0 and self.stopping.wait(seconds):
            raise _EndSession("server stopped")

    def send(self, data):
        if not data:
            return
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise _EndSession("send failed: %s" % (exc,))
        with self.server._lock:
            room = RECORD_SENT_CAP - len(self.record.sent)
            if room > 0:
                self.record.sent += data[:room]

    def recv(self, timeout):
        """Bytes received (b"" on EOF) or None when `timeout` expires."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.stopping.is_set():
                raise _EndSession("server stopped")
            wait = POLL_SECONDS
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    return None
            try:
                pending = self.tls_active and self.sock.pending()
                readable = pending or select.select([self.sock], [], [], wait)[0]
                if not readable:
                    continue
                data = self.sock.recv(65536)
            except (OSError, ValueError) as exc:
                raise _EndSession("receive failed: %s" % (exc,))
            with self.server._lock:
                if len(self.record.received) < RECORD_RECEIVED_CAP and not self.tls_closed:
                    self.record.received += data
            return data

    def recv_more(self):
        """Receive for the command/data loop; ends the session on EOF/idle."""
        data = self.recv(self.server.idle_timeout)
        if data is None:
            self.send(to_bytes(reply_line(421, "%s idle timeout" % self.hostname)))
            self.close_cleanly()
        if not data:
            raise _EndSession("peer closed")
        self.buf += data

    # ---- actions

    def perform(self, spec, default_reply="", command=True):
        """Execute a response spec.  Terminal actions raise _EndSession.

        command: a reply to a command (or to the end of data), which
        reply_delay_ms, repeat_replies and after_reply apply to; False
        for the greeting, which gets after_greeting.  pad_replies applies
        to both.  Returns the bytes actually sent as the reply (once).
        """
        action = spec.get("action", "reply")
        reply = pad_reply(reply_bytes(spec, default_reply), self.pad_to)
        if command:
            self.pause(self.reply_delay)
            extra = reply * (self.repeat - 1) + self.after_reply
        else:
            extra = self.after_greeting
        if action == "slow":
            delay = spec.get("delay_ms", DEFAULT_SLOW_DELAY_MS) / 1000.0
            self.send_slowly(reply, delay)
        else:
            self.pause(spec.get("delay_ms", 0) / 1000.0)
            self.send(reply)
        if spec.get("random_bytes"):
            self.send_random(spec["random_bytes"])
        if action == "flood":
            self.flood(spec)
        self.send(extra)
        if spec.get("later"):
            self.pause(spec.get("later_delay_ms", 200) / 1000.0)
            self.send(to_bytes(spec["later"]))
        terminal = {"close": self.close_cleanly, "reset": self.reset,
                    "silence": self.silence, "hang": self.hang}
        if action in terminal:
            terminal[action]()
        if spec.get("then_close"):
            self.close_cleanly()
        return reply

    def send_slowly(self, data, delay):
        for i in range(len(data)):
            self.pause(delay)
            self.send(data[i:i + 1])

    def send_random(self, count):
        """Pseudo-random octets (e.g. garbage where a TLS handshake belongs),
        generated lazily; ends the session if the peer goes away."""
        for chunk in random_chunks(count):
            if self.stopping.is_set():
                raise _EndSession("server stopped")
            self.send(chunk)
        self.event("random bytes sent (%d)" % count)

    def flood(self, spec):
        if "flood_line" in spec:
            unit = to_bytes(spec["flood_line"])
        else:
            unit = to_bytes(spec.get("flood_pattern", DEFAULT_FLOOD_PATTERN))
        chunk = unit * max(1, STREAM_CHUNK // len(unit))
        limit = spec.get("flood_bytes")
        sent = 0
        self.event("flood start")
        while limit is None or sent < limit:
            if self.stopping.is_set():
                raise _EndSession("server stopped")
            piece = chunk if limit is None else chunk[:limit - sent]
            self.send(piece)
            sent += len(piece)
        self.send(to_bytes(spec.get("flood_end")))
        self.event("flood end (%d bytes)" % sent)

    def close_cleanly(self):
        """FIN: stop sending, read (and record) until the peer closes.
        Over TLS, a close_notify alert goes first, and the reads stay
        decrypted (the raw socket's shutdown keeps the TLS layer)."""
        if self.tls_active:
            self.send_close_notify()
        try:
            socket.socket.shutdown(self.sock, socket.SHUT_WR)
        except OSError:
            pass
        deadline = time.monotonic() + CLOSE_DRAIN_SECONDS
        try:
            while True:
                data = self.recv(max(0.0, deadline - time.monotonic()))
                if not data:
                    break
        except _EndSession:
            pass
        raise _EndSession("closed (FIN)")

    def send_close_notify(self):
        """Sends TLS close_notify without waiting for the peer's."""
        try:
            self.sock.setblocking(False)
            self.sock.unwrap()          # the peer's close_notify had come too
            self.tls_closed = True
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            pass                        # ours is sent; the peer's is not here yet
        except (OSError, ValueError, AttributeError):
            pass
        try:
            self.sock.settimeout(self.server.io_timeout)
        except OSError:
            pass

    def reset(self):
        """RST: SO_LINGER with zero timeout, then close."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_socket()
        raise _EndSession("reset (RST)")

    def silence(self):
        """Keep reading and recording, never answer again."""
        self.event("silence")
        while self.recv(None):
            pass
        raise _EndSession("peer closed during silence")

    def hang(self):
        """Stop reading too; wait until the peer goes away or server stops."""
        self.event("hang")
        while not self.stopping.wait(POLL_SECONDS):
            if not self.peer_connected():
                raise _EndSession("peer closed during hang")
        raise _EndSession("server stopped")

    def peer_connected(self):
        try:   # Linux: first byte of struct tcp_info is the TCP state
            info = self.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
        except (OSError, AttributeError):
            return True
        return info[0] == 1    # TCP_ESTABLISHED

    # ---- reading lines and message data

    def read_line(self):
        """Next command line: (line bytes, terminator kind, mode, too_long)."""
        head = None              # kept start of an over-long line
        while True:
            found = find_terminator(self.buf, self.bare_lf, self.bare_cr)
            if found:
                start, end, kind, mode = found
                line = bytes(self.buf[:start])
                del self.buf[:end]
                too_long = head is not None or start + 2 > self.max_line
                return (head if head is not None else line), kind, mode, too_long
            if len(self.buf) > self.max_line:
                if head is None:
                    head = bytes(self.buf[:self.max_line])
                keep = 1 if self.buf.endswith(b"\r") else 0
                del self.buf[:len(self.buf) - keep]
            self.recv_more()

    def read_data(self):
        """Raw message data up to (excluding) the CRLF.CRLF terminator, or
        an earlier one of the scenario's data_ends (a smuggling-vulnerable
        server).  nul_in_data "strip" drops NULs first; bare_in_data
        "refuse" answers a bare CR or LF at once, with 521, and closes."""
        ends = [b"\r\n.\r\n"] + [to_bytes(e) for e in self.sc.get("data_ends", [])]
        scan_from = 0
        while True:
            if self.sc.get("nul_in_data") == "strip" and b"\0" in self.buf:
                self.buf[:] = self.buf.replace(b"\0", b"")
            if self.buf.startswith(b".\r\n"):
                del self.buf[:3]
                return b""
            # the earliest end; at the same place, the longest (a real
            # <CRLF>.<CRLF> is not cut short by a "<CRLF>.<CR>" end)
            hits = [(i, -len(e)) for e in ends for i in [self.buf.find(e, scan_from)] if i >= 0]
            upto = min(hits)[0] + 2 if hits else len(self.buf)
            if self.sc.get("bare_in_data") == "refuse" and has_bare_cr_lf(bytes(self.buf[:upto])):
                self.send(reply_line(521, "5.5.2 %s: bare <CR> or <LF> received"
                                     % self.hostname).encode())
                self.close_cleanly()
            if hits:
                i, n = min(hits)
                n = -n
                raw = bytes(self.buf[:i]) + b"\r\n"
                del self.buf[:i + n]
                return raw
            scan_from = max(0, len(self.buf) - max(len(e) for e in ends))
            self.recv_more()

    # ---- command handling

    def handle_line(self, line, kind, mode, too_long):
        text = line.decode("latin-1")
        with self.server._lock:
            self.record.commands.append(text)
        response = self.default_response(text, kind, mode, too_long)
        verb = text.split(" ", 1)[0].upper()
        if self.enhanced and verb not in ("EHLO", "HELO") and not too_long:
            response = response._replace(reply=add_status_codes(to_bytes(response.reply)))
        default_spec = as_spec(response.reply)
        rule = self.match_rule(text)
        spec = rule.spec if rule else default_spec
        sent = self.perform(spec, default_spec.get("reply", ""))
        if response.apply and sent.startswith(response.ok_class.encode()):
            response.apply()

    def match_rule(self, text):
        for rule in self.rules:
            if rule.matches(text, self.state):
                rule.fired += 1
                return rule
        return None

    def default_response(self, text, kind, mode, too_long):
        if too_long:
            return Response(reply_line(500, "Line too long"))
        if mode == "reject":
            return Response(reply_line(500, "Bare %s not allowed as line terminator"
                                       % kind.upper()))
        verb, _, arg = text.partition(" ")
        handler = {
            "EHLO": self.cmd_ehlo, "HELO": self.cmd_helo, "MAIL": self.cmd_mail,
            "RCPT": self.cmd_rcpt, "DATA": self.cmd_data, "RSET": self.cmd_rset,
            "NOOP": self.cmd_noop, "HELP": self.cmd_help, "VRFY": self.cmd_vrfy,
            "EXPN": self.cmd_expn, "QUIT": self.cmd_quit, "STARTTLS": self.cmd_starttls,
            "BDAT": self.cmd_bdat, "AUTH": self.cmd_auth,
        }.get(verb.upper())
        if handler is None:
            return Response(reply_line(500, "Command not recognized"))
        return handler(arg.strip(" "))

    # ---- state transitions

    def reset_transaction(self):
        self.sender = None
        self.recipients = []
        self.chunks = None
        if self.state != "init":
            self.state = "ready"

    def greeted(self):
        self.state = "ready"
        self.reset_transaction()

    def start_transaction(self, sender):
        self.sender = sender
        self.recipients = []
        self.chunks = None
        self.state = "mail"

    def add_recipient(self, recipient):
        self.recipients.append(recipient)
        self.state = "rcpt"

    def quit(self):
        self.close_cleanly()

    def receive_message(self):
        raw = self.read_data()
        data = unstuff(raw)
        n = len(self.server.messages) + 1
        default = reply_line(250, "OK queued as fake%d" % n)
        if self.enhanced:
            default = add_status_codes(to_bytes(default))
        spec = as_spec(self.sc.get("data_end_reply")) or {}
        if self.sc.get("bare_in_data") == "reject" and has_bare_cr_lf(raw):
            spec = {"reply": reply_line(550, "5.6.0 bare <CR> or <LF> in message data")}
        if reply_bytes(spec, default).startswith(b"2"):
            self.server._deliver(Delivery(self.record.index, self.sender,
                                          list(self.recipients), data))
        self.event("message received (%d bytes)" % len(data))
        self.reset_transaction()
        self.perform(spec, default)

    # ---- commands

    def cmd_ehlo(self, arg):
        if not arg:
            return Response(reply_line(501, "Syntax: EHLO hostname"))
        reply = self.sc.get("ehlo_reply")
        if reply is None:
            reply = multiline_reply(250, ["%s greets %s" % (self.hostname, arg)]
                                    + self.offered())
        return Response(reply, self.greeted)

    def cmd_helo(self, arg):
        if not arg:
            return Response(reply_line(501, "Syntax: HELO hostname"))
        return Response(reply_line(250, self.hostname), self.greeted)

    def cmd_mail(self, arg):
        m = _MAIL_RE.match(arg)
        apply = (lambda: self.start_transaction(m.group(1))) if m else None
        if self.state == "init":
            return Response(reply_line(503, "Error: send HELO/EHLO first"), apply)
        if self.tls and self.tls.get("require_tls") and not self.tls_active:
            return Response(reply_line(530, "5.7.0 Must issue a STARTTLS command first"))
        if self.state in ("mail", "rcpt"):
            return Response(reply_line(503, "Error: nested MAIL command"), apply)
        if not m:
            return Response(reply_line(501, "Syntax: MAIL FROM:<address>"))
        error = (self.check_path(m.group(1), allow_null=True)
                 or self.check_params(m.group(2), self.mail_params()))
        return Response(error or reply_line(250, "OK"), apply)

    def cmd_rcpt(self, arg):
        m = _RCPT_RE.match(arg)
        apply = (lambda: self.add_recipient(m.group(1))) if m else None
        if self.state not in ("mail", "rcpt"):
            return Response(reply_line(503, "Error: need MAIL command"), apply)
        if not m:
            return Response(reply_line(501, "Syntax: RCPT TO:<address>"))
        path = m.group(1)
        error = (self.check_path(path, allow_null=False)
                 or self.check_params(m.group(2), self.rcpt_params()))
        if error:
            return Response(error, apply)
        if path.rsplit("@", 1)[0].lstrip('"').lower().startswith("reject"):
            return Response(reply_line(550, "No such user here"), apply)
        relay = self.sc.get("relay")
        form = relay_form(path, self.local_domains()) if relay is not None else None
        if form and form not in relay.get("open", []):
            return Response(reply_line(550, "5.7.1 <%s>: Relay access denied" % path), apply)
        if not form and not self.known_mailbox(path):
            return Response(reply_line(550, "5.1.1 <%s>: No such user here" % path), apply)
        return Response(reply_line(250, "OK"), apply)

    def local_domains(self):
        relay = self.sc.get("relay") or {}
        return {d.lower() for d in [self.hostname, "localhost", "[127.0.0.1]"]
                + relay.get("local", [])}

    def known_mailbox(self, address):
        """With "mailboxes", only those local parts (and postmaster) exist."""
        boxes = self.sc.get("mailboxes")
        local = address.strip("<>").rsplit("@", 1)[0].lower()
        return boxes is None or local == "postmaster" or local in [b.lower() for b in boxes]

    def cmd_data(self, arg):
        apply, ok = self.receive_message, "3"
        if arg:
            return Response(reply_line(501, "Syntax: DATA (no parameters)"), apply, ok)
        if self.state in ("init", "ready"):
            return Response(reply_line(503, "Error: need MAIL command"), apply, ok)
        if self.state == "mail":
            return Response(reply_line(554, "No valid recipients"), apply, ok)
        if self.chunks and not (self.chunking or {}).get("data_after_bdat"):
            return Response(reply_line(503, "Error: BDAT in progress"), apply, ok)
        reply = self.sc.get("data_reply",
                            reply_line(354, "End data with <CR><LF>.<CR><LF>"))
        return Response(reply, apply, ok)

    def cmd_rset(self, arg):
        if arg:
            return Response(reply_line(501, "Syntax: RSET (no parameters)"))
        return Response(reply_line(250, "OK"), self.reset_transaction)

    def cmd_noop(self, arg):
        return Response(reply_line(250, "OK"))

    def cmd_help(self, arg):
        return Response(reply_line(214, "fakesmtp: see RFC 5321"))

    def cmd_vrfy(self, arg):
        if not arg:
            return Response(reply_line(501, "Syntax: VRFY address"))
        if self.sc.get("mailboxes") is not None:    # tells mailboxes apart
            return self.verify(arg)
        return Response(reply_line(252, "Cannot VRFY user, but will accept message"))

    def cmd_expn(self, arg):
        if arg and self.sc.get("mailboxes") is not None:
            return self.verify(arg)
        return Response(reply_line(502, "EXPN not implemented"))

    def verify(self, arg):
        if self.known_mailbox(arg):
            return Response(reply_line(250, "<%s@%s>" % (arg.strip("<>"), self.hostname)))
        return Response(reply_line(550, "5.1.1 <%s>: No such user here" % arg))

    def cmd_quit(self, arg):
        if arg:
            return Response(reply_line(501, "Syntax: QUIT (no parameters)"))
        return Response(reply_line(221, "%s closing connection" % self.hostname), self.quit)

    def offered(self):
        """The EHLO keywords: the scenario's, and the extensions it enables."""
        keywords = list(self.keywords)
        if self.tls and (not self.tls_active or self.tls.get("advertise_after_tls")):
            keywords.append("STARTTLS")
        if self.enhanced:
            keywords.append("ENHANCEDSTATUSCODES")
        if self.chunking is not None:
            keywords.append("CHUNKING")
        if self.auth and (self.tls_active or not self.auth.get("tls_only")):
            keywords.append("AUTH PLAIN LOGIN")
        return keywords

    # ---- AUTH (RFC 4954, PLAIN: RFC 4616)

    def cmd_auth(self, arg):
        conf = self.auth
        if not conf:
            return Response(reply_line(502, "AUTH not implemented"))
        if conf.get("tls_only") and not self.tls_active:
            return Response(reply_line(538, "5.7.11 Encryption required for requested "
                                       "authentication mechanism"))
        if self.authenticated and not conf.get("accept_second"):
            return Response(reply_line(503, "Already authenticated"))
        if self.state in ("mail", "rcpt") and not conf.get("in_transaction"):
            return Response(reply_line(503, "AUTH not allowed in a transaction"))
        mech, _, initial = arg.partition(" ")
        mech = mech.upper()
        if mech not in ("PLAIN", "LOGIN"):
            return Response(reply_line(504, "Unrecognized authentication mechanism"))
        if mech == "PLAIN":
            answer = initial or self.challenge(b"")
            if isinstance(answer, Response):
                return answer
            raw = self.decode(answer)
            if isinstance(raw, Response):
                return raw
            parts = raw.split(b"\0")
            user, password = (parts[1], parts[2]) if len(parts) == 3 else (b"", b"")
        else:
            answers = []
            for prompt in (b"Username:", b"Password:"):
                answer = self.challenge(base64.b64encode(prompt))
                if isinstance(answer, Response):
                    return answer
                raw = self.decode(answer)
                if isinstance(raw, Response):
                    return raw
                answers.append(raw)
            user, password = answers
        if (user.decode("latin-1"), password.decode("latin-1")) != (conf["user"], conf["pass"]):
            return Response(reply_line(conf.get("wrong_code") and 550 or 535,
                                       "Authentication credentials invalid"))
        self.authenticated = True
        return Response(reply_line(235, "Authentication succeeded"))

    def challenge(self, data):
        """Sends "334 data" and returns the client's answer (text), or the
        Response that ends the exchange (a "*" cancels it)."""
        self.send(b"334 " + data + b"\r\n")
        line = self.read_line()[0].decode("latin-1")
        if line == "*":
            return Response(reply_line(235 if self.auth.get("cancel_accepted") else 501,
                                       "Authentication cancelled"))
        return line

    def decode(self, text):
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            if self.auth.get("lenient_base64"):
                return Response(reply_line(535, "Authentication credentials invalid"))
            return Response(reply_line(501, "Cannot decode the response"))

    # ---- STARTTLS (RFC 3207)

    def cmd_starttls(self, arg):
        conf = self.tls
        if not conf:
            return Response(reply_line(502, "STARTTLS not implemented"))
        if arg and not conf.get("accept_argument"):
            return Response(reply_line(501, "Syntax: STARTTLS (no parameters)"))
        if self.tls_active:
            if conf.get("accept_second"):
                return Response(reply_line(220, "Ready to start TLS (again)"))
            return Response(reply_line(503, "TLS already active"))
        return Response(reply_line(220, "Ready to start TLS"), self.start_tls)

    def start_tls(self):
        conf = self.tls
        if self.buf and not conf.get("process_pipelined"):
            self.event("discarded %d plaintext bytes after STARTTLS" % len(self.buf))
            del self.buf[:]
        if conf.get("inject_response"):
            self.send(b"250 injected\r\n")
        if conf.get("fail_handshake"):    # answer the ClientHello with an alert
            self.recv(self.server.idle_timeout)
            self.send(HANDSHAKE_ALERT)
            self.event("tls handshake refused (handshake_failure alert sent)")
            self.close_cleanly()
        if conf.get("never_finish"):
            self.never_finish()
        self.handshake(conf)
        if not conf.get("keep_state"):
            self.state = "init"
            self.reset_transaction()

    def never_finish(self):
        """The handshake never starts on the server's side: what comes (the
        ClientHello) is read and recorded, unanswered, until idle_timeout
        passes without a byte; then the connection closes (no 421: it
        could not be read)."""
        while True:
            data = self.recv(self.server.idle_timeout)
            if data is None:
                self.close_socket()
                raise _EndSession("tls handshake never finished: closed after idle timeout")
            if not data:
                raise _EndSession("peer closed during the unfinished tls handshake")

    def handshake(self, conf):
        """Server side of a TLS handshake on the connection; ends the
        session when it fails or has not finished within idle_timeout
        (however slowly the client drips its bytes), or the server stops."""
        limit = self.server.idle_timeout
        deadline = time.monotonic() + limit
        try:
            ctx = server_context(conf)
            self.sock.setblocking(False)
            self.sock = ctx.wrap_socket(self.sock, server_side=True,
                                        do_handshake_on_connect=False)
        except (OSError, ValueError) as exc:
            raise _EndSession("tls handshake failed: %s" % (exc,))
        while True:
            if self.stopping.is_set():
                raise _EndSession("server stopped")
            try:
                self.sock.do_handshake()
                break
            except ssl.SSLWantReadError:
                want = ([self.sock], [])
            except ssl.SSLWantWriteError:
                want = ([], [self.sock])
            except (OSError, ValueError, AttributeError) as exc:
                raise _EndSession("tls handshake failed: %s" % (exc,))
            left = deadline - time.monotonic()
            if left <= 0:
                raise _EndSession("tls handshake failed: not finished within %gs" % limit)
            try:
                select.select(want[0], want[1], [], min(POLL_SECONDS, left))
            except (OSError, ValueError) as exc:
                raise _EndSession("tls handshake failed: %s" % (exc,))
        self.sock.settimeout(self.server.io_timeout)
        self.tls_active = True
        self.event("tls established: %s %s" % (self.sock.version(), self.sock.cipher()[0]))

    # ---- CHUNKING (RFC 3030)

    def cmd_bdat(self, arg):
        flags = self.chunking
        if flags is None:
            return Response(reply_line(502, "BDAT not implemented"))
        m = re.match(r"(\d+)( LAST)?\Z", arg, re.IGNORECASE)
        if not m:
            return Response(reply_line(501, "Syntax: BDAT size [LAST]"))
        size, last = int(m.group(1)), bool(m.group(2))
        if flags.get("lines_are_commands"):
            return Response(reply_line(250, "OK"))
        if flags.get("early_reply"):    # a guess, before the chunk; and a reply after it
            self.perform({}, reply_line(250, "%d octets (not waited for)" % size))
        chunk = self.read_chunk(size, flags.get("dot_ends_chunk"))
        if self.state != "rcpt" and not (flags.get("bdat_after_last") and self.chunks == []):
            return Response(reply_line(503, "Error: need MAIL and RCPT first"))
        self.chunks = (self.chunks or []) + [chunk]
        if not last:
            return Response(reply_line(250, "%d octets received" % size))
        data = b"".join(self.chunks)
        self.server._deliver(Delivery(self.record.index, self.sender,
                                      list(self.recipients), data))
        self.event("message received by BDAT (%d bytes)" % len(data))
        self.reset_transaction()
        self.chunks = []    # a completed BDAT LAST (for bdat_after_last)
        return Response(reply_line(250, "Message accepted (%d octets)" % len(data)))

    def read_chunk(self, size, dot_ends):
        """The next size octets (or, wrongly, up to a "." line)."""
        while True:
            if dot_ends:
                i = self.buf.find(b"\r\n.\r\n")
                if i >= 0 and i + 5 <= size:
                    chunk = bytes(self.buf[:i + 2])
                    del self.buf[:i + 5]
                    return chunk
            if len(self.buf) >= size:
                chunk = bytes(self.buf[:size])
                del self.buf[:size]
                return chunk
            self.recv_more()

    # ---- address and parameter syntax

    def check_path(self, path, allow_null):
        if path == "":
            return None if allow_null else reply_line(501, "Null recipient not allowed")
        if not allow_null and path.lower() == "postmaster":
            return None
        mailbox = re.sub(r"\A@[^:]*:", "", path)       # drop a source route
        if not _MAILBOX_RE.match(mailbox):
            return reply_line(501, "Bad address syntax")
        return None

    def advertised(self):
        return {kw.split(" ")[0].upper(): kw for kw in self.keywords}

    def mail_params(self):
        adv = self.advertised()
        params = {}
        if "SIZE" in adv:
            parts = adv["SIZE"].split()
            limit = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
            params["SIZE"] = lambda v: self.check_size(v, limit)
        if "8BITMIME" in adv:
            bodies = ("7BIT", "8BITMIME") + (("BINARYMIME",) if "BINARYMIME" in adv else ())
            params["BODY"] = lambda v: None if v and v.upper() in bodies else "bad"
        if "SMTPUTF8" in adv:
            params["SMTPUTF8"] = lambda v: None if v is None else "bad"
        if "DSN" in adv:
            params["RET"] = lambda v: None if v and v.upper() in ("FULL", "HDRS") else "bad"
            params["ENVID"] = lambda v: None if v and _XTEXT_RE.match(v) else "bad"
        if "AUTH" in adv:
            params["AUTH"] = lambda v: None if v else "bad"
        return params

    def rcpt_params(self):
        if "DSN" not in self.advertised():
            return {}
        notify = re.compile(r"(?:NEVER|(SUCCESS|FAILURE|DELAY)(,(SUCCESS|FAILURE|DELAY))*)\Z",
                            re.IGNORECASE)
        return {"NOTIFY": lambda v: None if v and notify.match(v) else "bad",
                "ORCPT": lambda v: None if v and ";" in v else "bad"}

    @staticmethod
    def check_size(value, limit):
        if not value or not value.isdigit():
            return "bad"
        if limit and int(value) > limit:
            return reply_line(552, "Message size exceeds fixed maximum message size")
        return None

    @staticmethod
    def check_params(text, allowed):
        if not text:
            return None
        if not text.startswith(" "):
            return reply_line(501, "Syntax error in parameters")
        seen = set()
        for item in text.split(" "):
            if not item:
                continue
            m = _PARAM_RE.match(item)
            if not m:
                return reply_line(501, "Syntax error in parameter %s" % item)
            key, value = m.group(1).upper(), m.group(2)
            if key in seen:
                return reply_line(501, "Parameter %s given twice" % key)
            seen.add(key)
            if key not in allowed:
                return reply_line(555, "Unsupported parameter %s" % key)
            error = allowed[key](value)
            if error == "bad":
                return reply_line(501, "Bad value for parameter %s" % key)
            if error:
                return error
        return None

    def connect_spec(self):
        spec = as_spec(self.sc.get("on_connect"), "action")
        if spec is None:
            spec = as_spec(self.sc.get("greeting")) or {}
        return spec

    def default_greeting(self):
        return reply_line(220, "%s ESMTP fakesmtp" % self.hostname)


# ------------------------------------------------------------------ server

class FakeServer:
    """A fake SMTP server running in background threads.

    FakeServer(scenario=None, host="127.0.0.1", port=0, max_seconds=60,
               idle_timeout=30, io_timeout=5, record_path=None,
               session_hook=None)

    scenario      dict (see README.md); None = conforming server
    max_seconds   the server stops itself after this long (None: never)
    idle_timeout  a connection waiting for a command this long gets 421
    io_timeout    bound on each blocking send
    record_path   if set, a JSON record is (re)written there as
                  connections end and at stop()
    session_hook  if set, called with each connection's session before its
                  thread starts: a test patches behaviour no scenario can
                  express (e.g. session.quit = lambda: None keeps the
                  connection open after 221)
    """

    def __init__(self, scenario=None, host="127.0.0.1", port=0, max_seconds=60.0,
                 idle_timeout=30.0, io_timeout=5.0, record_path=None, session_hook=None):
        self.scenario = validate_scenario(dict(scenario or {}))
        self.session_hook = session_hook
        self.host = host
        self.port = port
        self.max_seconds = max_seconds
        self.idle_timeout = idle_timeout
        self.io_timeout = io_timeout
        self.record_path = record_path
        self._lock = threading.RLock()
        self._stop_event = threading.Event()
        self._records = []
        self._deliveries = []
        self._sessions = []
        self._threads = []
        self._listener = None
        self._accept_thread = None

    # ---- lifecycle

    def start(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(64)
        listener.settimeout(POLL_SECONDS)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name="fakesmtp-accept", daemon=True)
        self._accept_thread.start()
        return self

    def stop(self):
        self._stop_event.set()
        if self._accept_thread is not None:
            self._accept_thread.join(2.0)
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            sessions = list(self._sessions)
        for session in sessions:      # unblock sends to a non-reading peer
            try:
                session.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in list(self._threads):
            thread.join(1.0)
        self.write_record()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def stopped(self):
        return self._stop_event.is_set()

    def wait(self, timeout=None):
        """Block until the server stops (max_seconds or stop()); bool."""
        return self._stop_event.wait(timeout)

    def _accept_loop(self):
        deadline = None if not self.max_seconds else time.monotonic() + self.max_seconds
        while not self._stop_event.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                self._stop_event.set()
                break
            try:
                sock, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            self._spawn(sock)
        self._listener.close()      # refuse new connections from now on

    def _spawn(self, sock):
        sock.settimeout(self.io_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            record = _Record(len(self._records))
            self._records.append(record)
            session = _Session(self, sock, record,
                               scenario_for_connection(self.scenario, record.index))
            if self.session_hook:
                self.session_hook(session)
            self._sessions.append(session)
            thread = threading.Thread(target=session.run, daemon=True,
                                      name="fakesmtp-conn-%d" % record.index)
            # started under the lock: whoever sees the connection counted
            # can join its thread (wait_idle right after wait_for_connections)
            thread.start()
            self._threads.append(thread)

    def _session_finished(self, session):
        with self._lock:
            if session in self._sessions:
                self._sessions.remove(session)
        self.write_record()

    def _deliver(self, delivery):
        with self._lock:
            self._deliveries.append(delivery)
        self.write_record()

    # ---- inspection

    @property
    def connections(self):
        """Number of connections accepted so far."""
        with self._lock:
            return len(self._records)

    @property
    def received(self):
        """Per connection: all raw bytes received from the client."""
        with self._lock:
            return [bytes(r.received) for r in self._records]

    @property
    def sent(self):
        """Per connection: bytes sent (first 1 MiB)."""
        with self._lock:
            return [bytes(r.sent) for r in self._records]

    @property
    def commands(self):
        """Per connection: command lines (latin-1 text, no terminator)."""
        with self._lock:
            return [list(r.commands) for r in self._records]

    @property
    def events(self):
        """Per connection: how it went (e.g. "peer closed", "reset (RST)")."""
        with self._lock:
            return [list(r.events) for r in self._records]

    @property
    def deliveries(self):
        with self._lock:
            return list(self._deliveries)

    @property
    def messages(self):
        """Delivered messages (dot-unstuffed data, ending with CRLF)."""
        with self._lock:
            return [d.data for d in self._deliveries]

    def wait_for_connections(self, count, timeout=5.0):
        deadline = time.monotonic() + timeout
        while self.connections < count:
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS / 5)
        return True

    def wait_idle(self, timeout=5.0):
        """Wait until every connection handler has finished; bool."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                return False
        return True

    def as_record(self):
        text = lambda b: b.decode("latin-1")
        with self._lock:
            return {
                "port": self.port,
                "connections": len(self._records),
                "received": [text(bytes(r.received)) for r in self._records],
                "sent": [text(bytes(r.sent)) for r in self._records],
                "commands": [list(r.commands) for r in self._records],
                "events": [list(r.events) for r in self._records],
                "messages": [text(d.data) for d in self._deliveries],
                "deliveries": [{"connection": d.connection, "sender": d.sender,
                                "recipients": d.recipients, "data": text(d.data)}
                               for d in self._deliveries],
            }

    def write_record(self):
        if not self.record_path:
            return
        with self._lock:
            tmp = "%s.tmp.%d" % (self.record_path, os.getpid())
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(self.as_record(), fh, indent=1)
            os.replace(tmp, self.record_path)


# --------------------------------------------------------------------- CLI

def _write_atomically(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Controllable fake SMTP server.")
    parser.add_argument("--scenario", help="scenario JSON file (default: conforming server)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = ephemeral (default)")
    parser.add_argument("--port-file", help="write the listening port here once ready")
    parser.add_argument("--max-seconds", type=float, default=0,
                        help="exit after this many seconds (default: run until killed)")
    parser.add_argument("--idle-timeout", type=float, default=30.0)
    parser.add_argument("--record", help="write received/sent/messages JSON here")
    args = parser.parse_args(argv)

    try:
        scenario = load_scenario(args.scenario) if args.scenario else {}
    except (OSError, ValueError) as exc:
        print("fakesmtp: %s" % exc, file=sys.stderr)
        return 2
    server = FakeServer(scenario, host=args.host, port=args.port,
                        max_seconds=args.max_seconds or None,
                        idle_timeout=args.idle_timeout, record_path=args.record)
    stop_requested = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop_requested.append(True))
    server.start()
    try:
        if args.port_file:
            _write_atomically(args.port_file, "%d\n" % server.port)
        print(server.port, flush=True)
        while not stop_requested and not server.wait(0.1):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
