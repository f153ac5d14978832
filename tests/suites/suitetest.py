"""suitetest - run cases of a bundled suite against the fake SMTP server.

Shared helper for tests/suites/test_*.py.  Stdlib only (plus the fake
server in tests/fakesmtp).

    from suitetest import run_case, run_cases, run_many, suite_file, reply

    rc, case = run_case("sequence", "rcpt-before-mail", scenario)
    rc, cases = run_cases("sequence", scenario)          # {short id: case}
    results = run_many([("sequence", "rcpt-before-mail", scen1), ...])

run_case(suite, case_id, scenario=None, timeout=2, extra_args=(), session_hook=None,
         scheme="smtp")
    Starts FakeServer(scenario, session_hook=session_hook) (None = its default, conforming server),
    runs smtpspec --suite <path> --case <suite>.<case_id> --timeout 2
    --json <tmp> against it and returns (exit status, the case's dict from
    the JSON report: id, verdict, reason, exchanges, ...).
run_cases(suite, scenario=None, cases=None, jobs=8, timeout=2, extra_args=())
    One smtpspec run (-j jobs) for many cases (default: all of the suite);
    returns (exit status, {short case id: case dict}).
run_many(jobs)
    Runs run_case for each (suite, case_id, scenario) tuple concurrently
    (threads, each with its own fake server); returns the (rc, case) pairs
    in order.
suite_file(suite)
    The path of SRCDIR/suites/<suite>.suite (a path is returned as is).
reply(code, text="x")
    "CODE text\\r\\n", for scenario rules.

Environment: SMTPSPEC (the binary, default ./smtpspec) and SRCDIR (the
source tree, default this repository's root).  Relative paths are taken
from the current directory.
"""
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.environ.get("SRCDIR") or os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakesmtp"))
from fakesmtp import FakeServer  # noqa: E402

BINARY = os.path.abspath(os.environ.get("SMTPSPEC", "./smtpspec"))
RUN_TIMEOUT = 60        # seconds for one smtpspec run
PARALLEL = 16           # threads in run_many

__all__ = ["run_case", "run_cases", "run_many", "suite_file", "reply", "rule", "rules",
           "make_certs", "remove_certs",
           "assert_deviations_caught", "assert_conforming", "keep_open_after_quit", "FakeServer"]


def make_certs():
    """A fresh directory of test certificates (tests/certs/mkcerts.sh): ca.pem,
    valid, expired, selfsigned, wrongname and weak .pem/.key."""
    path = tempfile.mkdtemp(prefix="smtpspec-certs-")
    subprocess.run(["bash", os.path.join(ROOT, "tests", "certs", "mkcerts.sh"), path],
                   check=True)
    return path


def remove_certs(path):
    shutil.rmtree(path, ignore_errors=True)


def suite_file(suite):
    if os.sep in suite or suite.endswith(".suite"):
        return suite
    return os.path.join(ROOT, "suites", suite + ".suite")


def reply(code, text="x"):
    return "%d %s\r\n" % (code, text)


def _suite_id(suite):
    return os.path.basename(suite_file(suite))[:-len(".suite")]


def keep_open_after_quit(session):
    """A FakeServer session_hook: QUIT gets 221 but the connection stays
    open (a scenario cannot express this: a 2xx to QUIT always closes)."""
    session.quit = lambda: None


def _run(suite, scenario, patterns, jobs, timeout, extra_args, session_hook=None,
         scheme="smtp"):
    with tempfile.TemporaryDirectory(prefix="suitetest-") as tmp:
        report = os.path.join(tmp, "report.json")
        with FakeServer(scenario, max_seconds=RUN_TIMEOUT, session_hook=session_hook) as srv:
            cmd = [BINARY, "--suite", suite_file(suite), "--timeout", str(timeout),
                   "-j", str(jobs), "--json", report]
            for p in patterns:
                cmd += ["--case", p]
            cmd += list(extra_args) + ["%s://127.0.0.1:%d" % (scheme, srv.port)]
            proc = subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=RUN_TIMEOUT)
        if not os.path.exists(report):
            raise AssertionError("smtpspec exited %d without a report:\n%s%s"
                                 % (proc.returncode, proc.stdout, proc.stderr))
        with open(report, encoding="utf-8") as f:
            return proc.returncode, json.load(f)


def run_case(suite, case_id, scenario=None, timeout=2, extra_args=(), session_hook=None,
             scheme="smtp"):
    full = "%s.%s" % (_suite_id(suite), case_id)
    rc, report = _run(suite, scenario, [full], 1, timeout, extra_args, session_hook, scheme)
    for case in report["cases"]:
        if case["id"] == full:
            return rc, case
    raise AssertionError("case %s not in the report" % full)


def run_cases(suite, scenario=None, cases=None, jobs=8, timeout=2, extra_args=()):
    sid = _suite_id(suite)
    patterns = ["%s.%s" % (sid, c) for c in cases] if cases else []
    rc, report = _run(suite, scenario, patterns, jobs, timeout, extra_args)
    return rc, {c["id"].split(".", 1)[1]: c for c in report["cases"]}


def run_many(jobs, extra_args=(), session_hook=None):
    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
        futures = [pool.submit(run_case, s, c, sc, extra_args=extra_args,
                               session_hook=session_hook) for s, c, sc in jobs]
        return [f.result() for f in futures]


def rule(match, code, state=None, times=None, text="x", **extra):
    """A scenario rule: lines matching match get "CODE text"."""
    r = {"match": match, "reply": reply(code, text)}
    if state is not None:
        r["state"] = state
    if times is not None:
        r["times"] = times
    r.update(extra)
    return r


def rules(*rs, **top):
    """A scenario: the rules in order, plus top-level keys (greeting, ...)."""
    return dict(top, rules=list(rs))


def assert_conforming(test, rc, cases, skipped=()):
    """Every case of a run against a conforming server passes (those in
    skipped skip), and smtpspec exits 0."""
    for cid, case in cases.items():
        with test.subTest(case=cid):
            want = "skip" if cid in skipped else "pass"
            test.assertEqual(case["verdict"], want, case["reason"])
    test.assertEqual(rc, 0)


def assert_deviations_caught(test, suite, deviations, extra_args=()):
    """Runs every (scenario, verdict, what) of deviations ({case id:
    [...]}) and asserts the case earns that verdict.  For fail, warn and
    info, what is the rule id the case's verdict must cite; for skip and
    error, a text its reason must contain; for pass, nothing (None).  One subTest each; extra_args
    go to every smtpspec run (e.g. --rcpt)."""
    jobs, want = [], []
    for cid, cases in sorted(deviations.items()):
        for scenario, verdict, what in cases:
            jobs.append((suite, cid, scenario))
            want.append((cid, verdict, what))
    for (cid, verdict, what), (rc, case) in zip(want, run_many(jobs, extra_args)):
        with test.subTest(case=cid, want=verdict, what=what):
            test.assertEqual(case["verdict"], verdict, case["reason"])
            if verdict in ("fail", "warn", "info"):
                test.assertEqual(case["rule"], what, case["reason"])
            elif verdict != "pass":
                test.assertIn(what, case["reason"])
