"""Shared helper for smtpspec's end-to-end tests.

run_smtpspec(scenario, suite, *args) starts a fake SMTP server with the
scenario (None = conforming), runs the smtpspec binary against it with
--json and --junit, validates the JSON report against
reports/report.schema.json and against the rule catalog (validate_report:
every verdict names a rule that --list-rules prints, with its source, quote
and level; the top-level findings group the exchanges' findings), and
returns a Run.

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


VERDICTS = ("pass", "info", "skip", "warn", "error", "fail")     # best to worst
JUDGED = ("fail", "warn", "info")        # the verdicts that cite a rule
Rule = collections.namedtuple("Rule", "id verdict keyword binds source quote")
_catalogs = {}


def list_rules(rules_dir=None):
    """The catalog as smtpspec --list-rules prints it: {id: Rule}, in order.

    One rule a line, tab-separated: id, verdict, keyword, binds, source,
    quote.  Cached per rules directory."""
    if rules_dir not in _catalogs:
        argv = ["--list-rules"] + (["--rules-dir", rules_dir] if rules_dir else [])
        rc, out, err, _, _ = run_binary(argv)
        assert rc == 0, "smtpspec --list-rules exited %d: %s" % (rc, err)
        rules = collections.OrderedDict()
        for line in out.splitlines():
            fields = line.split("\t")
            assert len(fields) == 6, "--list-rules: not six fields: %r" % line
            rule = Rule(*fields)
            assert rule.id not in rules, "--list-rules: %s twice" % rule.id
            rules[rule.id] = rule
        _catalogs[rules_dir] = rules
    return _catalogs[rules_dir]


def _check_cites(what, obj, catalog):
    """obj (a case, exchange or finding) cites a rule exactly when its
    verdict is fail, warn or info, and then a server rule of the catalog,
    with the catalog's source and quote, at the rule's level."""
    v, rule = obj["verdict"], obj["rule"]
    if v not in JUDGED:
        assert rule is None and obj["source"] is None and obj["quote"] is None, \
            "%s: verdict %s cites rule %s" % (what, v, rule)
        return
    assert rule in catalog, "%s: verdict %s cites rule %r, not in --list-rules" % (what, v, rule)
    r = catalog[rule]
    assert r.binds == "server", "%s: cites %s, a rule that binds %s" % (what, rule, r.binds)
    assert obj["source"] == r.source, (what, obj["source"], r.source)
    assert obj["quote"] == r.quote, (what, obj["quote"], r.quote)


def behaviours(cases):
    """The top-level findings smtpspec should write, recomputed from the
    exchanges: one per (rule, table command, reply code, advisory), with
    the cases that saw it in report order; security findings (of cases
    with an advisory) first, then worst verdict first, then by rule id,
    command and code."""
    groups = collections.OrderedDict()
    for c in cases:
        for e in c["exchanges"]:
            code = e["reply"]["code"] if e["reply"] else None
            for f in e["findings"]:
                if f["rule"] is None:
                    continue
                key = (f["rule"], e["table_command"], code, c.get("advisory"))
                g = groups.get(key)
                if g is None:
                    g = groups[key] = {"verdict": f["verdict"], "command": e["table_command"],
                                       "code": code, "cases": [],
                                       "example": {"case": c["id"], "command": e["command"],
                                                   "received": e["received"],
                                                   "message": f["message"]},
                                       "rule": f["rule"], "source": f["source"],
                                       "quote": f["quote"], "security": c["security"]}
                    if c["security"]:
                        g["advisory"], g["fix"] = c["advisory"], c["fix"]
                if c["id"] not in g["cases"]:
                    g["cases"].append(c["id"])
    return sorted(groups.values(), key=lambda g: (not g["security"], -VERDICTS.index(g["verdict"]),
                                                   g["rule"], g["command"],
                                                   g["code"] if g["code"] is not None else -1,
                                                   g.get("advisory", "")))


def validate_report(report, rules_dir=None):
    """Schema validation plus what a schema cannot say."""
    VALIDATOR.validate(report)
    summary, cases = report["summary"], report["cases"]
    assert summary["total"] == len(cases), summary
    for verdict in VERDICTS:
        n = sum(1 for c in cases if c["verdict"] == verdict)
        assert summary[verdict] == n, (verdict, summary)
    catalog = list_rules(rules_dir)
    for c in cases:
        assert c["id"].startswith(c["suite"] + "."), c["id"]
        _check_cites(c["id"], c, catalog)
        for i, e in enumerate(c["exchanges"]):
            where = "%s exchange %d (%s)" % (c["id"], i, e["table_command"])
            _check_cites(where, e, catalog)
            for f in e["findings"]:
                _check_cites(where + " finding", f, catalog)
                if f["rule"] is not None:
                    assert f["verdict"] == catalog[f["rule"]].verdict, (where, f)
                    assert "[%s]" % f["rule"] in e["reason"], (where, e["reason"])
            worst = max([f["verdict"] for f in e["findings"]] + ["pass"], key=VERDICTS.index)
            assert e["verdict"] == worst, (where, e["verdict"], worst)
        if c["rule"] is not None:
            assert "[%s]" % c["rule"] in c["reason"], (c["id"], c["reason"])
    # A finding's example is written at the end, from a case already
    # written out and cut to 512 bytes: its command and received bytes are
    # the start of the exchange's (the cut may split a UTF-8 sequence,
    # hence the margin).
    got = json.loads(json.dumps(report["findings"]))
    want = behaviours(cases)
    for g in got:   # --baseline marks each finding; without it, none is marked
        mark = g.pop("baseline", None)
        assert (mark in ("new", "known")) == (report["baseline"] is not None), (mark, g)
    for g, w in zip(got, want):
        for key in ("command", "received"):
            cut, full = g["example"][key], w["example"][key]
            assert full.startswith(cut[:-16]) and len(cut) <= len(full) + 16, (key, cut, full)
            g["example"][key] = w["example"][key] = None
        assert g["example"].pop("received_truncated") == (len(cut) < len(full)), g
    assert got == want, \
        "top-level findings differ from the exchanges' findings:\n%s\n%s" % (
            json.dumps(got, indent=1), json.dumps(want, indent=1))


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
                 cleanup=None, target_host="127.0.0.1"):
    """Runs smtpspec with the suite against a fake server with scenario.

    suite: see suite_path; None runs the bundled suites (or none, with
    --list-rules).  target overrides the address (e.g. a closed port);
    target_host is the fake server's host as given to smtpspec (e.g.
    "localhost"); server=False runs no fake server.  cleanup: a TestCase, whose addCleanup removes the
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
            target = "%s:%d" % (target_host, srv.port)
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
        rules_dir = args[args.index("--rules-dir") + 1] if "--rules-dir" in args else None
        validate_report(report, rules_dir)
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


def finding(report, rule, command=None, code=None):
    """The top-level finding (behaviour) for rule (and command, code)."""
    found = [f for f in report["findings"] if f["rule"] == rule and
             (command is None or f["command"] == command) and
             (code is None or f["code"] == code)]
    if len(found) != 1:
        raise AssertionError("%d findings for %s %s %s: %s" % (
            len(found), rule, command, code,
            [(f["rule"], f["command"], f["code"]) for f in report["findings"]]))
    return found[0]


def rules_of(exchange_result):
    """The (verdict, rule) pairs of an exchange's rule-citing findings."""
    return [(f["verdict"], f["rule"]) for f in exchange_result["findings"] if f["rule"]]


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

    def assertCase(self, run, case_id, verdict, reason_has=(), rule=None):
        """The case has verdict; its reason contains reason_has; it cites
        rule (for fail, warn and info, rule is required)."""
        c = case(run.report, case_id)
        self.assertEqual(c["verdict"], verdict, "%s: %s" % (case_id, c["reason"]))
        for text in ([reason_has] if isinstance(reason_has, str) else reason_has):
            self.assertIn(text, c["reason"])
        if verdict in JUDGED:
            self.assertIsNotNone(rule, "assertCase: say which rule %s cites" % verdict)
        if rule is not None or verdict not in JUDGED:
            self.assertEqual(c["rule"], rule, c["reason"])
        return c
