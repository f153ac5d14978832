"""smtpspec against hostile SMTP servers: bounded time, bounded memory,
a schema-valid report, and the right verdicts.

Every hostile mode of tests/fakesmtp runs with ALL bundled suites (no
--suite), at -j 1 and at -j 8, as

    /usr/bin/time -f %M smtpspec --suites-dir S --timeout 2 \\
        --connect-timeout 2 -j J --json R --no-color [mode options] URL

and each test asserts, per run:

  - the JSON report exists and validates against reports/report.schema.json;
  - peak RSS, measured from outside the process by /usr/bin/time (its
    last stderr line, in KiB), is below 32 MiB: skipped when
    SMTPSPEC_SANITIZED (an ASan build) or SMTPSPEC_VALGRIND is set;
  - the wall time is below the bound each mode documents (`Mode.bound`);
  - the verdicts and the exit status the mode calls for.

Then signals (SIGINT, SIGTERM, a second SIGINT, --max-time) and the
worst-case run time with --case-time.

Environment: SMTPSPEC (default: SRCDIR/smtpspec), SMTPSPEC_SUITES
(default SRCDIR/suites), SRCDIR (default: the source tree this file is in),
HOSTILE_MODES (comma-separated mode names: run only those; for debugging).
The mode runs go on in a thread pool (HOSTILE_WORKERS, default 4) while the
tests wait for their own runs.

Run: /usr/bin/python3 -m unittest -v tests/hostile/test_hostile.py
"""
import collections
import concurrent.futures
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.environ.get("SRCDIR") or os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "fakesmtp"))
from fakesmtp import FakeServer  # noqa: E402

BINARY = os.path.abspath(os.environ.get("SMTPSPEC") or os.path.join(SRCDIR, "smtpspec"))
SUITES = os.path.abspath(os.environ.get("SMTPSPEC_SUITES") or os.path.join(SRCDIR, "suites"))
SCHEMA_PATH = os.path.join(SRCDIR, "reports", "report.schema.json")
TIME = "/usr/bin/time"

TIMEOUT = 2.0                  # --timeout for the mode runs
CONNECT_TIMEOUT = 2.0          # --connect-timeout for the mode runs
JOBS = (1, 8)
MAX_RSS_KB = 32 * 1024
SKIP_RSS = bool(os.environ.get("SMTPSPEC_SANITIZED") or os.environ.get("SMTPSPEC_VALGRIND"))
WATCHDOG_GRACE = 30            # a run still going this long after its bound is killed
PER_CASE_SECONDS = 0.25        # budget per case and connection slot of a judged run
NOT_RUN = "not run:"
ONE_REPLY_RULE = "5321-4.2-one-reply"
# The rules that judge the syntax of a reply (rules/reply.rules, "reply
# syntax", and the greeting's ABNF): a reply that was cut off must never
# be judged by one of them.
SYNTAX_RULES = (
    "5321-4.3.2-three-digit-codes", "5321-4.2-reply-code-abnf", "5321-4.2-reply-line-abnf",
    "5321-4.2.1-multiline-same-code", "5321-2.3.8-crlf-only", "5321-4.2-textstring-abnf",
    "5321-4.2.1-sp-after-code", "5321-4.5.3.1-size-limits", "5321-4.2-greeting-abnf")

with open(SCHEMA_PATH, encoding="utf-8") as _f:
    VALIDATOR = jsonschema.Draft202012Validator(json.load(_f))


# ------------------------------------------------------------ running it

# mode, jobs; rc: exit status; report: the parsed JSON report or None;
# report_error: why it could not be read; report_size: bytes; maxrss_kb:
# from /usr/bin/time (None if it printed none); elapsed: wall seconds;
# connections: what the fake server accepted.
Run = collections.namedtuple(
    "Run", "mode jobs rc report report_error report_size stdout stderr maxrss_kb "
           "elapsed connections argv")


def smtpspec_argv(url, json_path, *args):
    return [BINARY, "--suites-dir", SUITES, "--json", json_path, "--no-color"] \
        + list(args) + [url]


def read_report(path):
    """(report, None) or (None, why not)."""
    if not os.path.exists(path):
        return None, "no JSON report was written"
    with open(path, "rb") as f:
        raw = f.read()
    try:
        return json.loads(raw.decode("utf-8")), None
    except (UnicodeDecodeError, ValueError) as exc:
        return None, "the JSON report does not parse: %s" % exc


def run_mode(mode, jobs, scenario=None, args=()):
    """Runs smtpspec under /usr/bin/time against a fake server; a Run."""
    scenario = mode.scenario if scenario is None else scenario
    watchdog = mode.bound(jobs, HostileTestCase.case_count()) + WATCHDOG_GRACE
    workdir = tempfile.mkdtemp(prefix="smtpspec-hostile-")
    try:
        json_path = os.path.join(workdir, "report.json")
        with FakeServer(scenario, max_seconds=watchdog + 30, idle_timeout=30,
                        io_timeout=5) as server:
            url = "%s://127.0.0.1:%d" % ("smtps" if mode.tls else "smtp", server.port)
            argv = [TIME, "-f", "%M"] + smtpspec_argv(
                url, json_path, "--timeout", "%g" % TIMEOUT,
                "--connect-timeout", "%g" % CONNECT_TIMEOUT, "-j", str(jobs),
                *(tuple(mode.args) + tuple(args)))
            with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
                start = time.monotonic()
                proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
                try:
                    proc.wait(watchdog)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                elapsed = time.monotonic() - start
                out.seek(0)
                err.seek(0)
                stdout = out.read().decode("utf-8", "replace")
                stderr = err.read().decode("utf-8", "replace")
            server.wait_idle(3)
            connections = server.connections
        report, why = read_report(json_path)
        size = os.path.getsize(json_path) if os.path.exists(json_path) else 0
    finally:
        shutil.rmtree(workdir, True)
    lines = stderr.strip().splitlines()
    maxrss = int(lines[-1]) if lines and lines[-1].strip().isdigit() else None
    return Run(mode.name, jobs, proc.returncode, report, why, size, stdout, stderr,
               maxrss, elapsed, connections, argv)


def list_case_ids(*args):
    """The ids --list prints for the selection (all bundled suites by default)."""
    out = subprocess.run([BINARY, "--suites-dir", SUITES, "--list"] + list(args),
                         capture_output=True, text=True, timeout=30, check=True).stdout
    return re.findall(r"^  ([A-Za-z0-9][A-Za-z0-9_-]*\.[A-Za-z0-9][A-Za-z0-9_-]*) ", out, re.M)


# ----------------------------------------------------------------- modes

class Mode:
    """A hostile server: its scenario, extra options, the URL scheme, and
    the wall-time bound `bound(jobs, cases)` in seconds."""

    def __init__(self, name, doc, scenario, bound, args=(), tls=False):
        self.name, self.doc, self.scenario = name, doc, scenario
        self.bound, self.args, self.tls = bound, tuple(args), tls


def not_run_bound(jobs, cases):
    """Discovery gets no complete greeting within one --timeout (or the
    TLS handshake fails within --connect-timeout): no case connects.  The
    connect, the greeting wait and writing the report fit in twice the
    larger timeout plus 5 s, whatever the number of cases."""
    return 2 * max(TIMEOUT, CONNECT_TIMEOUT) + 5


def judged_bound(jobs, cases):
    """Cases run, and every reply comes at once (or is cut off by a limit,
    at once): each slot of -j runs ceil(cases / jobs) cases at
    PER_CASE_SECONDS each (a conforming server takes about 0.04 s a case),
    plus 10 s for discovery and the report.  A mode that made every case
    wait one --timeout would need 2 s a case, far more."""
    return 10 + PER_CASE_SECONDS * math.ceil(cases / jobs)


RETRY_DELAY = 0.2


def retry_bound(jobs, cases):
    """Like judged_bound, plus the retries: a third of the connections
    get a 421, and each of those cases waits --retry-delay (doubling for a
    second retry) before its next attempt, at concurrency that may fall
    to 1."""
    return judged_bound(jobs, cases) + math.ceil(cases / 3) * RETRY_DELAY * 3


GREETING_421 = {"greeting": {"reply": "421 fake.test too many connections\r\n",
                             "then_close": True}}
EHLO = r"^EHLO\b"
FLOOD_UNIT = "250-" + "x" * 70 + "\r\n"

MODES = collections.OrderedDict((m.name, m) for m in [
    Mode("never-greets", "accepts the connection and never says a word",
         {"on_connect": "silence"}, not_run_bound),
    Mode("garbage-greeting", "greets with a line that has no code",
         {"greeting": "hello there\r\n"}, judged_bound),
    Mode("closes-at-once", "closes (FIN) as soon as it accepts",
         {"on_connect": "close"}, not_run_bound),
    Mode("reset-mid-reply", "greets, then resets (RST) half-way through the EHLO reply",
         {"rules": [{"match": EHLO, "reply": "250-fake.test\r\n250-PIPEL",
                     "action": "reset"}]}, judged_bound),
    Mode("endless-multiline", "answers EHLO with 250-xxx lines forever",
         {"rules": [{"match": EHLO, "action": "flood"}]}, judged_bound),
    Mode("line-100mb-ehlo", "answers EHLO with one 100 MB line",
         {"rules": [{"match": EHLO, "action": "flood", "reply": "250 ", "flood_line": "x",
                     "flood_bytes": 100 << 20, "flood_end": "\r\n"}]}, judged_bound),
    Mode("line-100mb-greeting", "greets with one 100 MB line",
         {"on_connect": {"action": "flood", "reply": "220 ", "flood_line": "x",
                         "flood_bytes": 100 << 20, "flood_end": "\r\n"}}, not_run_bound),
    Mode("drip", "sends the greeting one byte a second",
         {"on_connect": {"action": "slow", "delay_ms": 1000}}, not_run_bound),
    Mode("lines-10000", "answers EHLO with 10,000 continuation lines, then a last line",
         {"rules": [{"match": EHLO, "action": "flood", "reply": "250-fake.test\r\n",
                     "flood_pattern": FLOOD_UNIT, "flood_bytes": 10000 * len(FLOOD_UNIT),
                     "flood_end": "250 HELP\r\n"}]}, judged_bound),
    Mode("replies-240k", "makes every reply, the greeting included, a conforming "
         "multiline reply of 240 KiB (lines < 512 octets)",
         {"pad_replies": 240 * 1024}, judged_bound),
    Mode("answers-twice", "answers every command twice",
         {"repeat_replies": 2}, judged_bound),
    Mode("answers-before-command", "sends \"250 ok\" right after the greeting, unasked",
         {"after_greeting": "250 ok\r\n"}, judged_bound),
    Mode("answers-after-reply", "follows every reply with \"250 ok\", unasked",
         {"after_reply": "250 ok\r\n"}, judged_bound),
    Mode("nul-invalid-utf8", "puts NUL, 0xFF 0xFE and invalid UTF-8 in its replies",
         {"greeting": "220 fake\x00.test \xff\xfe hi\r\n",
          "ehlo_keywords": ["PIPELINING", "XBAD \xc3\x28", "SIZE 10240000", "HELP"]},
         judged_bound),
    Mode("421-every-third", "greets every third connection (2, 5, 8, ...) with 421 and "
         "closes; otherwise conforming",
         {"cycle": [None, None, GREETING_421]}, retry_bound,
         args=("--retry-delay", "%g" % RETRY_DELAY)),
    Mode("tls-random-bytes", "smtps://: 4 KiB of random bytes instead of a TLS handshake",
         {"on_connect": {"action": "silence", "random_bytes": 4096}}, not_run_bound, tls=True),
    Mode("tls-plaintext", "smtps://: a plain-text \"220 hi\" instead of a TLS handshake",
         {"greeting": "220 hi\r\n"}, not_run_bound, tls=True),
])
# The conforming fake server, to compare the 421 mode with.
BASELINE = Mode("baseline", "the conforming fake server", {}, judged_bound,
                args=MODES["421-every-third"].args)

_pool = None
_futures = {}
EXTRA_ROWS = []                # lines for the table: signal and worst-case runs
_pool_lock = threading.Lock()


def selected_modes():
    only = [m for m in os.environ.get("HOSTILE_MODES", "").split(",") if m]
    return [MODES[m] for m in only] if only else list(MODES.values())


def start_runs():
    """Submits every (mode, jobs) run, and the baselines, to the pool."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            return
        _pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=int(os.environ.get("HOSTILE_WORKERS", "4")))
        modes = selected_modes()
        # the slowest first, so that the pool ends sooner
        slow = {"421-every-third": 0, "replies-240k": 1}
        order = sorted(((m, j) for m in modes + [BASELINE] for j in JOBS),
                       key=lambda mj: (slow.get(mj[0].name, 9), mj[1]))
        for mode, jobs in order:
            if mode is BASELINE and MODES["421-every-third"] not in modes:
                continue
            _futures[mode.name, jobs] = _pool.submit(run_mode, mode, jobs)


def get_run(name, jobs):
    start_runs()
    if (name, jobs) not in _futures:
        raise unittest.SkipTest("mode %s not selected (HOSTILE_MODES)" % name)
    return _futures[name, jobs].result()


def wait_for_all_runs():
    start_runs()
    for future in list(_futures.values()):
        future.exception()


def setUpModule():
    start_runs()


def tearDownModule():
    if _pool is not None:
        _pool.shutdown(wait=True)
    print_table()


def print_table():
    """One line per run on stderr: what the tests measured."""
    rows = []
    for (name, jobs), future in _futures.items():
        if future.done() and future.exception() is None:
            run = future.result()
            bound = (MODES.get(name) or BASELINE).bound(jobs, HostileTestCase.case_count())
            rows.append("%-24s -j %d  exit %-4s %6.1f s (bound %5.1f)  %7s KiB  %4d conn"
                        % (name, jobs, run.rc, run.elapsed, bound, run.maxrss_kb,
                           run.connections))
    rows += EXTRA_ROWS
    if rows:
        print("\nmode                     jobs  status  wall time               peak RSS"
              "   fake server", file=sys.stderr)
        print("\n".join(sorted(rows)), file=sys.stderr)


# ------------------------------------------------------------ assertions

def describe(run):
    return "%s -j %d: exit %s, %.1f s, %s KiB, %d connections" % (
        run.mode, run.jobs, run.rc, run.elapsed, run.maxrss_kb, run.connections)


class HostileTestCase(unittest.TestCase):
    maxDiff = None
    _cases = None

    @classmethod
    def case_count(cls):
        if HostileTestCase._cases is None:
            HostileTestCase._cases = len(list_case_ids())
        return HostileTestCase._cases

    def run_of(self, name, jobs):
        """The mode's run at -j jobs; it must have written a report (the
        Bounds tests say more when it did not)."""
        run = get_run(name, jobs)
        self.assertIsNotNone(run.report, "%s: %s" % (describe(run), run.report_error))
        return run

    def assertValid(self, report, what=""):
        errors = sorted(VALIDATOR.iter_errors(report), key=lambda e: list(e.absolute_path))
        if errors:
            self.fail("%s: the report does not validate against the schema (%d errors), "
                      "first: %s at %s" % (what, len(errors), errors[0].message[:300],
                                           "/".join(map(str, errors[0].absolute_path))))
        summary = report["summary"]
        self.assertEqual(summary["total"], len(report["cases"]), what)

    def assertNotRun(self, run):
        """No complete greeting on the discovery connection: every case is
        error, "not run: ...", one connection at most, exit 3."""
        what = describe(run)
        wrong = collections.Counter(
            (c["verdict"], c["reason"][:70]) for c in run.report["cases"]
            if c["verdict"] != "error" or not c["reason"].startswith(NOT_RUN))
        self.assertEqual(dict(wrong), {}, "%s: %d cases are not error \"not run:\" "
                         "(verdict, reason): count" % (what, sum(wrong.values())))
        self.assertLessEqual(run.connections, 1, what)
        self.assertEqual(run.rc, 3, what)

    def assertCutOff(self, run, command="EHLO"):
        """Every exchange of `command` has an error finding and no fail or
        warn from a reply-syntax rule (a cut-off reply is never judged as
        a reply); the exit status is 3 (1 when another rule failed)."""
        what = describe(run)
        seen, wrong = 0, collections.Counter()
        for c in run.report["cases"]:
            for e in c["exchanges"]:
                if e["table_command"] != command:
                    continue
                seen += 1
                if "error" not in [f["verdict"] for f in e["findings"]]:
                    wrong["no error finding: " + e["reason"][:100]] += 1
                for f in e["findings"]:
                    if f["verdict"] in ("fail", "warn") and f["rule"] in SYNTAX_RULES:
                        wrong["judged by %s" % f["rule"]] += 1
        self.assertGreater(seen, 0, "%s: no %s exchange at all" % (what, command))
        self.assertEqual(dict(wrong), {}, "%s: %s exchanges (of %d) that are wrong: count"
                         % (what, command, seen))
        self.assertGreater(run.report["summary"]["error"], 0, what)
        self.assertIn(run.rc, (1, 3), what)


def for_each_jobs(cls):
    """Class decorator: every test_x(self, jobs) becomes test_x_j1 and
    test_x_j8, one test per -j value (so that counts are exact)."""
    for name, func in list(vars(cls).items()):
        if name.startswith("test_") and func.__code__.co_argcount == 2:
            delattr(cls, name)
            for jobs in JOBS:
                def test(self, func=func, jobs=jobs):
                    func(self, jobs)
                test.__doc__ = "-j %d: %s" % (jobs, func.__doc__.strip())
                test.__name__ = "%s_j%d" % (name, jobs)
                setattr(cls, test.__name__, test)
    return cls


# ----------------------------------------------------------------- tests

class Bounds(HostileTestCase):
    """Each mode, at -j 1 and -j 8: a report, bounded memory, bounded time.
    The tests are made below, three per run."""


def _add_bounds_tests(mode, jobs):
    slug = "%s_j%d" % (mode.name.replace("-", "_"), jobs)

    def test_report(self):
        run = get_run(mode.name, jobs)
        what = describe(run)
        self.assertNotEqual(run.rc, 2, "%s: usage error\n%s" % (what, run.stdout[-2000:]))
        self.assertIsNotNone(run.report, "%s: %s" % (what, run.report_error))
        self.assertValid(run.report, what)
        self.assertEqual(len(run.report["cases"]), self.case_count(),
                         "%s: the report holds every case" % what)

    def test_memory(self):
        if SKIP_RSS:
            self.skipTest("SMTPSPEC_SANITIZED or SMTPSPEC_VALGRIND: RSS is not smtpspec's")
        run = get_run(mode.name, jobs)
        self.assertIsNotNone(run.maxrss_kb, "%s: /usr/bin/time printed no RSS: %r"
                             % (describe(run), run.stderr[-300:]))
        self.assertLess(run.maxrss_kb, MAX_RSS_KB, "%s: peak RSS in KiB" % describe(run))

    def test_time(self):
        run = get_run(mode.name, jobs)
        bound = mode.bound(jobs, self.case_count())
        self.assertLess(run.elapsed, bound, "%s: wall time over the bound %.1f s (%s)"
                        % (describe(run), bound, mode.bound.__name__))

    for kind, test, doc in (
            ("report", test_report, "the JSON report exists, holds every case and "
                                    "validates against the schema"),
            ("memory", test_memory, "peak RSS (/usr/bin/time) is under 32 MiB"),
            ("time", test_time, "the run ends within %s" % mode.bound.__name__)):
        test.__name__ = "test_%s_%s" % (slug, kind)
        test.__doc__ = "%s -j %d (%s): %s." % (mode.name, jobs, mode.doc, doc)
        setattr(Bounds, test.__name__, test)


for _mode in MODES.values():
    for _jobs in JOBS:
        _add_bounds_tests(_mode, _jobs)


@for_each_jobs
class NoGreeting(HostileTestCase):
    """The discovery connection gets no complete greeting (or no TLS
    session): the run costs one timeout, not one per case."""

    def check(self, name, jobs):
        self.assertNotRun(self.run_of(name, jobs))

    def test_never_greets(self, jobs):
        """A server that accepts and stays silent: every case "not run"."""
        self.check("never-greets", jobs)

    def test_closes_at_once(self, jobs):
        """A server that closes at once: every case "not run", one connection."""
        self.check("closes-at-once", jobs)

    def test_drip(self, jobs):
        """A greeting at one byte a second is not complete within --timeout:
        the trickle does not keep smtpspec waiting."""
        self.check("drip", jobs)

    def test_line_100mb_greeting(self, jobs):
        """A 100 MB greeting line hits --max-line: no complete greeting."""
        self.check("line-100mb-greeting", jobs)

    def test_tls_random_bytes(self, jobs):
        """smtps:// to a server sending random bytes: the handshake fails,
        no case connects."""
        self.check("tls-random-bytes", jobs)

    def test_tls_plaintext(self, jobs):
        """smtps:// to a plain-text server: the handshake fails."""
        self.check("tls-plaintext", jobs)


@for_each_jobs
class GarbageGreeting(HostileTestCase):

    def test_garbage_greeting(self, jobs):
        """"hello there" is a complete but malformed greeting: the cases
        run, and it fails a reply-syntax rule; exit 1."""
        run = self.run_of("garbage-greeting", jobs)
        what = describe(run)
        rules = {f["rule"] for c in run.report["cases"] for e in c["exchanges"]
                 if e["table_command"] == "GREETING"
                 for f in e["findings"] if f["verdict"] == "fail"}
        syntax = rules & set(SYNTAX_RULES)
        self.assertTrue(syntax, "%s: the greeting fails %s, none a syntax rule" % (what, rules))
        for rule in syntax:
            self.assertTrue(rule.startswith(("5321-4.2", "5321-2.3", "5321-4.3.2")), rule)
        not_run = [c["id"] for c in run.report["cases"] if c["reason"].startswith(NOT_RUN)]
        self.assertEqual(not_run, [], "%s: the cases run" % what)
        self.assertEqual(run.rc, 1, what)


@for_each_jobs
class CutOff(HostileTestCase):
    """A reply cut off (reset, a limit) is an error, never judged."""

    def test_reset_mid_reply(self, jobs):
        """An RST half-way through the EHLO reply: error on EHLO."""
        self.assertCutOff(self.run_of("reset-mid-reply", jobs))

    def test_endless_multiline(self, jobs):
        """An endless multiline EHLO reply hits --max-reply or the line
        count limit: error on EHLO."""
        self.assertCutOff(self.run_of("endless-multiline", jobs))

    def test_line_100mb_ehlo(self, jobs):
        """A 100 MB EHLO reply line hits --max-line: error on EHLO."""
        self.assertCutOff(self.run_of("line-100mb-ehlo", jobs))

    def test_lines_10000(self, jobs):
        """10,000 continuation lines exceed the 1000-line limit: error,
        although a last line comes in the end."""
        self.assertCutOff(self.run_of("lines-10000", jobs))


@for_each_jobs
class BigReplies(HostileTestCase):

    def test_replies_240k(self, jobs):
        """Conforming replies of 240 KiB are within --max-reply and 1000
        lines: judged normally.  The report stays small: each exchange
        keeps at most 8 KiB of what it received (a wire string, at most 4
        characters a byte), with the total in received_bytes and
        received_truncated true."""
        run = self.run_of("replies-240k", jobs)
        what = describe(run)
        errors = collections.Counter(c["reason"][:100] for c in run.report["cases"]
                                     if c["verdict"] == "error")
        self.assertEqual(dict(errors), {}, "%s: error cases (reason: count)" % what)
        self.assertLess(run.report_size, 16 << 20, what)
        replies = [(c["id"], e) for c in run.report["cases"] for e in c["exchanges"]
                   if e["reply"] is not None]
        self.assertTrue(replies, what)
        for case_id, e in replies:
            where = "%s: %s %s" % (what, case_id, e["table_command"])
            self.assertGreaterEqual(e.get("received_bytes", -1), 240 * 1024, where)
            self.assertIs(e.get("received_truncated"), True, where)
            self.assertLessEqual(len(e["received"]), 4 * 8192, where)


@for_each_jobs
class ExtraReplies(HostileTestCase):
    """A reply nobody asked for breaks "exactly one reply" (MUST): fail."""

    def check(self, name, jobs):
        run = self.run_of(name, jobs)
        what = describe(run)
        fails = [f for c in run.report["cases"] for e in c["exchanges"] for f in e["findings"]
                 if f["verdict"] == "fail" and f["rule"] == ONE_REPLY_RULE]
        self.assertTrue(fails, "%s: no fail citing %s" % (what, ONE_REPLY_RULE))
        self.assertEqual(run.rc, 1, what)

    def test_answers_twice(self, jobs):
        """Every command answered twice."""
        self.check("answers-twice", jobs)

    def test_answers_before_command(self, jobs):
        """"250 ok" right after the greeting, before any command."""
        self.check("answers-before-command", jobs)

    def test_answers_after_reply(self, jobs):
        """Every reply followed at once by a further "250 ok"."""
        self.check("answers-after-reply", jobs)


@for_each_jobs
class Encoding(HostileTestCase):

    def test_nul_and_invalid_utf8(self, jobs):
        """NUL, 0xFF 0xFE and C3 28 (invalid UTF-8) in replies: the
        report is valid UTF-8 JSON and keeps those bytes as the escapes
        \\x00, \\xFF and \\xC3."""
        run = self.run_of("nul-invalid-utf8", jobs)      # read as strict UTF-8
        what = describe(run)
        greetings = [e["received"] for c in run.report["cases"]
                     for e in c["exchanges"] if e["table_command"] == "GREETING"]
        self.assertTrue(greetings, what)
        for received in greetings:
            self.assertIn("\\x00", received, what)
            self.assertIn("\\xFF", received, what)
        ehlo = [e["received"] for c in run.report["cases"]
                for e in c["exchanges"] if e["table_command"] == "EHLO"]
        self.assertTrue([r for r in ehlo if "\\xC3(" in r],
                        "%s: \\xC3\\x28 kept as \\xC3(" % what)
        self.assertNotEqual(run.rc, 2, what)


@for_each_jobs
class Backoff(HostileTestCase):

    def test_421_every_third_connection(self, jobs):
        """A 421 greeting is overload, not a verdict: the case is tried
        again (--retries), the report counts the 421s and retries, and
        the verdicts and exit status are those of the same server without
        the 421s."""
        run = self.run_of("421-every-third", jobs)
        what = describe(run)
        base = get_run("baseline", jobs)
        self.assertIsNotNone(base.report, "baseline: %s" % base.report_error)
        mentions = [(c["id"], c["reason"]) for c in run.report["cases"]
                    if c["verdict"] == "error" and "421" in c["reason"]]
        self.assertEqual(mentions, [], "%s: 421 errors" % what)
        backoff = run.report.get("backoff") or {}
        self.assertGreaterEqual(backoff.get("greetings_421", 0), 1,
                                "%s: backoff %r" % (what, backoff))
        self.assertGreaterEqual(backoff.get("retries", 0), 1, "%s: backoff %r" % (what, backoff))
        ran = [c for c in run.report["cases"] if c["exchanges"]]
        self.assertTrue(ran, what)
        for c in ran:
            self.assertGreaterEqual(c.get("attempts", 0), 1, "%s: %s" % (what, c["id"]))
        verdicts = {c["id"]: c["verdict"] for c in run.report["cases"]}
        base_verdicts = {c["id"]: c["verdict"] for c in base.report["cases"]}
        differ = {k: (base_verdicts.get(k), v) for k, v in verdicts.items()
                  if base_verdicts.get(k) != v}
        self.assertEqual(differ, {}, "%s: verdicts differ from the baseline "
                         "(baseline, with 421s)" % what)
        self.assertEqual(run.rc, base.rc, what)


# ------------------------------------------------------- signals, time

SIGNAL_SCENARIO = {"reply_delay_ms": 1500}     # every command reply after 1.5 s


class SignalRun:
    """smtpspec with all suites against the slow server, started directly
    (not under /usr/bin/time) so that signals reach it."""

    def __init__(self, test, *args, scenario=SIGNAL_SCENARIO):
        self.workdir = tempfile.mkdtemp(prefix="smtpspec-hostile-sig-")
        test.addCleanup(shutil.rmtree, self.workdir, True)
        self.json_path = os.path.join(self.workdir, "report.json")
        self.server = FakeServer(scenario, max_seconds=120).start()
        test.addCleanup(self.server.stop)
        url = "smtp://127.0.0.1:%d" % self.server.port
        self.out = tempfile.TemporaryFile()
        test.addCleanup(self.out.close)
        self.start = time.monotonic()
        self.proc = subprocess.Popen(smtpspec_argv(url, self.json_path, *args),
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        test.addCleanup(self.kill)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def wait(self, seconds):
        """Exit status, or None if still running after `seconds`."""
        try:
            return self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            return None

    def stdout(self):
        self.out.seek(0)
        return self.out.read().decode("utf-8", "replace")

    def report(self):
        return read_report(self.json_path)


class Signals(HostileTestCase):
    """SIGINT/SIGTERM stop a run promptly with a usable report; a second
    SIGINT stops it at once; --max-time bounds the run."""

    @classmethod
    def setUpClass(cls):
        wait_for_all_runs()        # keep the timing away from the busy pool

    def stop_with(self, signum, status, name):
        run = SignalRun(self, "--timeout", "3")
        time.sleep(4)
        self.assertIsNone(run.proc.poll(), "smtpspec ended before the signal")
        sent = time.monotonic()
        run.proc.send_signal(signum)
        rc = run.wait(5)
        took = time.monotonic() - sent
        EXTRA_ROWS.append("%-24s       exit %-4s %6.1f s after the signal (bound 5.0)"
                          % (name, rc, took))
        self.assertIsNotNone(rc, "%s: still running 5 s after the signal" % name)
        self.assertEqual(rc, status, "%s: exit status (after %.1f s)" % (name, took))
        report, why = run.report()
        self.assertIsNotNone(report, why)
        self.assertValid(report, name)
        self.assertIs(report["complete"], False)
        self.assertEqual(report.get("stopped_by"), name)
        self.assertEqual(len(report["cases"]), self.case_count(), "every case is listed")
        not_started = [c for c in report["cases"] if not c["exchanges"]]
        self.assertTrue(not_started, "some cases were never started")
        for c in not_started:
            if c["verdict"] == "skip":       # skipped before connecting (needs ...)
                continue
            self.assertEqual(c["verdict"], "error", c["id"])
            self.assertTrue(c["reason"].startswith(NOT_RUN), (c["id"], c["reason"]))
        self.assertRegex(run.stdout(), r"\n%d cases: " % self.case_count(),
                         "the summary is printed")

    def test_sigint(self):
        """SIGINT: exit 130 within 5 s, report incomplete, stopped_by SIGINT."""
        self.stop_with(signal.SIGINT, 130, "SIGINT")

    def test_sigterm(self):
        """SIGTERM: exit 143 within 5 s, report incomplete, stopped_by SIGTERM."""
        self.stop_with(signal.SIGTERM, 143, "SIGTERM")

    def test_second_sigint_exits_at_once(self):
        """A second SIGINT 0.2 s after the first ends smtpspec within 1 s,
        status 130 (no report needed)."""
        run = SignalRun(self, "--timeout", "3")
        time.sleep(4)
        self.assertIsNone(run.proc.poll(), "smtpspec ended before the signal")
        run.proc.send_signal(signal.SIGINT)
        time.sleep(0.2)
        if run.proc.poll() is not None:       # the first one was enough
            EXTRA_ROWS.append("%-24s       exit %-4s  ended within 0.2 s of the first"
                              % ("SIGINT twice", run.proc.returncode))
            self.assertEqual(run.proc.returncode, 130, "exited before the second SIGINT")
            return
        run.proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        rc = run.wait(1.0)
        EXTRA_ROWS.append("%-24s       exit %-4s %6.1f s after the 2nd (bound 1.0)"
                          % ("SIGINT twice", rc, time.monotonic() - sent))
        self.assertIsNotNone(rc, "still running 1 s after the second SIGINT")
        self.assertEqual(rc, 130, "after %.2f s" % (time.monotonic() - sent))

    def test_max_time(self):
        """--max-time 5: exit 3 within 5 + 3 s, incomplete, stopped_by max-time."""
        run = SignalRun(self, "--timeout", "3", "--max-time", "5")
        rc = run.wait(5 + 3)
        took = time.monotonic() - run.start
        EXTRA_ROWS.append("%-24s       exit %-4s %6.1f s (bound 8.0)" % ("--max-time 5", rc, took))
        self.assertIsNotNone(rc, "still running after 8 s")
        self.assertEqual(rc, 3, "after %.1f s" % took)
        report, why = run.report()
        self.assertIsNotNone(report, why)
        self.assertValid(report, "max-time")
        self.assertIs(report["complete"], False)
        self.assertEqual(report.get("stopped_by"), "max-time")


class WorstCaseTime(HostileTestCase):
    """A run takes at most (1 + ceil(N / j)) x C, C = --case-time:
    discovery plus each -j slot's share of the N cases, each cut at C."""

    CASE_TIME = 3
    JOBS = 2
    TIMEOUT = 1

    @classmethod
    def setUpClass(cls):
        wait_for_all_runs()

    def check(self, name, scenario):
        selection = ["--case", "basic.*"]
        n = len(list_case_ids(*selection))
        self.assertGreater(n, 0)
        bound = (1 + math.ceil(n / self.JOBS)) * self.CASE_TIME + 2
        run = SignalRun(self, "--timeout", str(self.TIMEOUT), "--case-time",
                        str(self.CASE_TIME), "-j", str(self.JOBS),
                        "--max-connect-failures", "0", *selection, scenario=scenario)
        rc = run.wait(bound)
        took = time.monotonic() - run.start
        EXTRA_ROWS.append("%-24s  -j %d exit %-4s %6.1f s (bound %5.1f, N = %d)"
                          % ("worst case " + name, self.JOBS, rc, took, bound, n))
        self.assertIsNotNone(rc, "still running after the bound %.0f s (N = %d)" % (bound, n))
        self.assertNotEqual(rc, 2, run.stdout()[-2000:])
        report, why = run.report()
        self.assertIsNotNone(report, why)
        self.assertValid(report, "worst case")
        self.assertEqual(len(report["cases"]), n)
        return took, bound

    def test_never_greets(self):
        """A silent server: one discovery timeout, then nothing."""
        self.check("silent", {"on_connect": "silence"})

    def test_every_reply_just_in_time(self):
        """Every reply, the greeting included, comes 0.5 s before the
        --timeout of 1 s: no read times out, --case-time must cut cases."""
        delay = (self.TIMEOUT - 0.5) * 1000
        self.check("slow", {"greeting_delay_ms": delay, "reply_delay_ms": delay})


if __name__ == "__main__":
    unittest.main()
