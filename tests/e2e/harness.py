"""Shared helper for smtpspec's end-to-end tests.

run_smtpspec(scenario, suite, *args) starts a fake SMTP server with the
scenario (None = conforming), runs the smtpspec binary against it with
--json and --junit, validates the JSON report against
reports/report.schema.json, and returns a Run.

Environment: SMTPSPEC (binary, default ./smtpspec) and SMTPSPEC_SUITES
(bundled suites, default ./suites), both relative to the current
directory (run the tests from the repository root).
"""
import collections
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import xml.etree.ElementTree as ET

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakesmtp"))
from fakesmtp import FakeServer  # noqa: E402

BINARY = os.path.abspath(os.environ.get("SMTPSPEC", "./smtpspec"))
BUNDLED_SUITES = os.path.abspath(os.environ.get("SMTPSPEC_SUITES", "./suites"))
E2E_SUITES = os.path.join(HERE, "suites")
SCHEMA_PATH = os.path.join(ROOT, "reports", "report.schema.json")
WATCHDOG_SECONDS = 30

with open(SCHEMA_PATH, encoding="utf-8") as _f:
    SCHEMA = json.load(_f)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

# rc: exit status; report: the JSON report (dict) or None; stdout/stderr:
# text; server: the stopped FakeServer (or None); maxrss_kb: the child's
# peak resident set; junit: the parsed JUnit XML root or None; workdir:
# where the reports were written (removed at the end of the test).
Run = collections.namedtuple(
    "Run", "rc report stdout stderr server maxrss_kb junit workdir elapsed")


def suite_path(suite, workdir):
    """A suite given as a name in tests/e2e/suites, a path, or inline text."""
    if "\n" in suite:
        path = os.path.join(workdir, "inline.suite")
        with open(path, "w", encoding="utf-8") as f:
            f.write(suite)
        return path
    if os.sep in suite:
        return suite
    return os.path.join(E2E_SUITES, suite + ".suite")


def validate_report(report):
    """Schema validation plus what a schema cannot say."""
    VALIDATOR.validate(report)
    summary, cases = report["summary"], report["cases"]
    assert summary["total"] == len(cases), summary
    for verdict in ("pass", "skip", "warn", "error", "fail"):
        n = sum(1 for c in cases if c["verdict"] == verdict)
        assert summary[verdict] == n, (verdict, summary)
    for c in cases:
        assert c["id"].startswith(c["suite"] + "."), c["id"]


def _defaults(args):
    args = list(args)
    if "--timeout" not in args:
        args += ["--timeout", "1"]
    if "--connect-timeout" not in args:
        args += ["--connect-timeout", "2"]
    return args + ["--no-color"]


def run_binary(argv, timeout=WATCHDOG_SECONDS):
    """Runs the binary; returns (rc, stdout, stderr, maxrss_kb, seconds)."""
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    start = time.monotonic()
    proc = subprocess.Popen([BINARY] + argv, stdout=out, stderr=err,
                            stdin=subprocess.DEVNULL)
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        watchdog.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - start
    with out, err:
        out.seek(0)
        err.seek(0)
        return (proc.returncode, out.read().decode("utf-8", "replace"),
                err.read().decode("utf-8", "replace"), usage.ru_maxrss, elapsed)


def run_smtpspec(scenario, suite, *args, target=None, server=True, reports=True,
                 cleanup=None):
    """Runs smtpspec with the suite against a fake server with scenario.

    target overrides the address (e.g. a closed port); server=False runs
    no fake server.  cleanup: a TestCase, whose addCleanup removes the
    work directory.  The JSON report, when written, is schema-validated.
    """
    workdir = tempfile.mkdtemp(prefix="smtpspec-e2e-")
    if cleanup is not None:
        cleanup.addCleanup(shutil.rmtree, workdir, True)
    json_path = os.path.join(workdir, "report.json")
    junit_path = os.path.join(workdir, "report.xml")
    argv = ["--suite", suite_path(suite, workdir)] if suite else []
    argv += _defaults(args)
    if reports:
        argv += ["--json", json_path, "--junit", junit_path]
    srv = FakeServer(scenario, max_seconds=WATCHDOG_SECONDS, idle_timeout=10,
                     io_timeout=5) if server else None
    if srv:
        srv.start()
    try:
        if target is None and srv is not None:
            target = "127.0.0.1:%d" % srv.port
        if target is not None:
            argv.append(target)
        rc, stdout, stderr, maxrss, elapsed = run_binary(argv)
        if srv:
            srv.wait_idle(5)
    finally:
        if srv:
            srv.stop()
    report = junit = None
    if reports and os.path.exists(json_path):
        with open(json_path, encoding="utf-8") as f:
            report = json.load(f)
        validate_report(report)
    if reports and os.path.exists(junit_path):
        junit = ET.parse(junit_path).getroot()
    leftovers = [n for n in os.listdir(workdir) if ".tmp." in n]
    assert not leftovers, "temporary report files left behind: %r" % leftovers
    return Run(rc, report, stdout, stderr, srv, maxrss, junit, workdir, elapsed)


def free_port():
    """A local TCP port with nothing listening on it (connection refused)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def decode_wire(s):
    """Inverse of smtpspec's wire escaping: wire string -> bytes."""
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            nxt = s[i + 1]
            if nxt == "x":
                out.append(int(s[i + 2:i + 4], 16))
                i += 4
                continue
            out += {"\\": b"\\", "r": b"\r", "n": b"\n", "t": b"\t"}[nxt]
            i += 2
            continue
        out += c.encode("utf-8")
        i += 1
    return bytes(out)


def case(report, case_id):
    for c in report["cases"]:
        if c["id"] == case_id:
            return c
    raise AssertionError("no case %s in the report: %s"
                         % (case_id, [c["id"] for c in report["cases"]]))


def exchange(case_result, table_command, index=-1):
    """The exchange for table_command (the last one by default)."""
    found = [e for e in case_result["exchanges"] if e["table_command"] == table_command]
    if not found:
        raise AssertionError("no %s exchange in %s: %s" % (
            table_command, case_result["id"],
            [e["table_command"] for e in case_result["exchanges"]]))
    return found[index]


def verdicts(report):
    return {c["id"]: c["verdict"] for c in report["cases"]}


class E2ETestCase(unittest.TestCase):
    """Base class: self.run_smtpspec cleans up after itself."""

    maxDiff = None

    def run_smtpspec(self, scenario, suite, *args, **kw):
        return run_smtpspec(scenario, suite, *args, cleanup=self, **kw)

    def assertCase(self, run, case_id, verdict, reason_has=()):
        c = case(run.report, case_id)
        self.assertEqual(c["verdict"], verdict, "%s: %s" % (case_id, c["reason"]))
        for text in ([reason_has] if isinstance(reason_has, str) else reason_has):
            self.assertIn(text, c["reason"])
        return c
