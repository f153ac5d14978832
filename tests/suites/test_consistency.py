"""One behaviour, one finding, across ALL bundled suites (issue 6, §2).

Runs every bundled suite (suites/*.suite, with --rcpt x@fake.test) against
fake servers that each deviate in one common way, and asserts that the same
exchange in the same state gets the same verdict in every case:

  key    (the (sent bytes, reply code) of every earlier exchange of the
          connection, greeting included; this exchange's sent bytes)
  value  the set of (verdict, rule id) of the exchange's rule-citing
          findings

A case "judges" an exchange when a judging step follows its send/read
(expect, expect-close, expect-keyword, expect-within, check); a case that
only requires it (require, control) or sends it on the way to something else
leaves only the automatic findings (syntax, code table, closes, extra
replies).  The spec lets a case require a prefix that another case judges
(spec.md §3: "or not judge the prefix at all"), so by default:

  - every case that judges the exchange must get the same value;
  - every case that does not must get the same value, and it must be
    contained in the judging cases' value (the automatic findings are the
    same whoever sends the command).

With CONSISTENCY_STRICT=1 every case must get the same value, judging or
not (a require on a prefix that another case judges is then a conflict).

Each conflict is printed with its suite, cases and command.  Run:
  SMTPSPEC=./smtpspec SRCDIR=. /usr/bin/python3 -m unittest tests/suites/test_consistency.py
"""
import collections
import concurrent.futures
import glob
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.environ.get("SRCDIR") or os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakesmtp"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from fakesmtp import FakeServer  # noqa: E402

BINARY = os.path.abspath(os.environ.get("SMTPSPEC", "./smtpspec"))
SUITES_DIR = os.path.join(ROOT, "suites")
STRICT = os.environ.get("CONSISTENCY_STRICT") == "1"
RUN_TIMEOUT = 300
RCPT = "x@fake.test"

KNOWN_VERBS = "EHLO|HELO|MAIL|RCPT|DATA|RSET|NOOP|QUIT|VRFY|EXPN|HELP"

# Servers that each deviate in one way a real MTA does, and a conforming
# one (the fake server, with bare LF an ordinary byte as RFC 5321 §2.3.8
# wants), whose judgements must be consistent too.
SCENARIOS = collections.OrderedDict([
    ("conforming", {"bare_lf": "ignore"}),
    ("help-250", {"rules": [{"match": r"^HELP\b", "reply": "250 no help here\r\n"}]}),
    ("second-ehlo-503", {"rules": [{"match": r"^EHLO\b", "state": ["ready", "mail", "rcpt"],
                                    "reply": "503 5.5.1 Error: duplicate EHLO\r\n"}]}),
    ("noop-arg-501", {"rules": [{"match": r"^NOOP\s", "reply": "501 5.5.4 Syntax: NOOP\r\n"}]}),
    ("rcpt-550", {"rules": [{"match": r"^RCPT\b",
                             "reply": "550 5.1.1 Recipient address rejected\r\n"}]}),
    ("unknown-502", {"rules": [{"match": r"^(?!(%s)\b)" % KNOWN_VERBS,
                                "reply": "502 5.5.2 Error: command not recognized\r\n"}]}),
    ("quit-250", {"rules": [{"match": r"^QUIT\b", "reply": "250 bye\r\n"}]}),
    ("bare-lf-tolerant", {"bare_lf": "accept"}),
    ("bare-cr-tolerant", {"bare_lf": "ignore", "bare_cr": "accept"}),
])

EXCHANGE_STEPS = ("send", "sendraw", "read")
JUDGING_STEPS = ("expect", "expect-close", "expect-keyword", "expect-within", "check")


def parse_suites(paths):
    """{case id: {"file": path, "judged": [bool per exchange, the greeting
    first]}} from the suite files: which exchanges each case judges."""
    out = {}
    for path in paths:
        suite_id, cur = None, None
        with open(path, encoding="utf-8") as f:
            for line in f:
                s = line.strip()
                if not s or s.startswith("#"):
                    continue
                word = s.split(None, 1)[0]
                if word == "suite":
                    suite_id = s.split()[1]
                elif word == "case":
                    cur = out["%s.%s" % (suite_id, s.split()[1])] = {
                        "file": path, "judged": [False]}
                elif cur is None:
                    continue
                elif word in EXCHANGE_STEPS:
                    cur["judged"].append(False)
                elif word in JUDGING_STEPS:
                    cur["judged"][-1] = True
    return out


def run_all(scenario, jobs=8, timeout=2, suites_dir=SUITES_DIR):
    """One smtpspec run of every bundled suite against a fake server;
    returns (exit status, report, stderr)."""
    with tempfile.TemporaryDirectory(prefix="consistency-") as tmp:
        report = os.path.join(tmp, "report.json")
        with FakeServer(scenario, max_seconds=RUN_TIMEOUT) as srv:
            cmd = [BINARY, "--suites-dir", suites_dir, "--rcpt", RCPT, "--timeout", str(timeout),
                   "-j", str(jobs), "--no-color", "--json", report,
                   "smtp://127.0.0.1:%d" % srv.port]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        if not os.path.exists(report):
            raise AssertionError("smtpspec exited %d without a report:\n%s%s"
                                 % (proc.returncode, proc.stdout, proc.stderr))
        with open(report, encoding="utf-8") as f:
            return proc.returncode, json.load(f), proc.stderr


def value(exchange):
    return tuple(sorted({(f["verdict"], f["rule"]) for f in exchange["findings"] if f["rule"]}))


def observations(report, suites):
    """{key: [(case id, judged, value, exchange)]} for every exchange."""
    seen = collections.defaultdict(list)
    for c in report["cases"]:
        judged = suites.get(c["id"], {}).get("judged", [])
        prior = []
        for i, e in enumerate(c["exchanges"]):
            key = (tuple(prior), e["sent"])
            seen[key].append((c["id"], i < len(judged) and judged[i], value(e), e))
            prior.append((e["sent"], e["reply"]["code"] if e["reply"] else None))
    return seen


def conflicts(seen, strict=STRICT):
    """[(key, [(value, [(case id, judged)])])] for every key whose cases
    disagree."""
    out = []
    for key, obs in seen.items():
        by_value = collections.OrderedDict()
        for cid, judged, val, _ in obs:
            by_value.setdefault(val, []).append((cid, judged))
        if len(by_value) < 2:
            continue
        if not strict:
            judging = {val for _, judged, val, _ in obs if judged}
            others = {val for _, judged, val, _ in obs if not judged}
            if (len(judging) <= 1 and len(others) <= 1 and
                    all(set(o) <= set(j) for o in others for j in judging)):
                continue
        out.append((key, list(by_value.items())))
    return out


def describe(key, groups, cases_by_id):
    """A conflict, for people: the command, where it was sent, who says what."""
    prior, sent = key
    command = sent.split("\\r\\n")[0] if sent else "(greeting)"
    path = " > ".join("%s(%s)" % ((s.split("\\r\\n")[0] or "greeting")[:40], code)
                      for s, code in prior)
    files = sorted({os.path.basename(cases_by_id.get(cid, {}).get("file", "?"))
                    for _, members in groups for cid, _ in members})
    lines = ["%s  after  %s   [%s]" % (command[:60], path or "-", ", ".join(files))]
    for val, members in groups:
        verdicts = ", ".join("%s %s" % vr for vr in val) or "no rule-citing finding"
        ids = ", ".join("%s%s" % (cid, "" if judged else " (not judged)")
                        for cid, judged in members)
        lines.append("      {%s}: %s" % (verdicts, ids))
    return "\n".join(lines)


def suite_paths():
    return sorted(glob.glob(os.path.join(SUITES_DIR, "*.suite")))


class Consistency(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.suites = parse_suites(suite_paths())
        with concurrent.futures.ThreadPoolExecutor(len(SCENARIOS)) as pool:
            futures = {name: pool.submit(run_all, sc) for name, sc in SCENARIOS.items()}
            cls.runs = {name: f.result() for name, f in futures.items()}

    def test_every_suite_and_case_ran(self):
        for name, (rc, report, stderr) in self.runs.items():
            with self.subTest(scenario=name):
                self.assertIn(rc, (0, 1, 3), stderr)
                ids = {c["id"] for c in report["cases"]}
                self.assertEqual(ids, set(self.suites), "the suite parser and smtpspec disagree")

    def test_same_exchange_same_state_same_verdict(self):
        report_lines = []
        for name, (rc, report, stderr) in self.runs.items():
            found = conflicts(observations(report, self.suites))
            if found:
                report_lines.append("== %s: %d conflict%s" % (name, len(found),
                                                               "" if len(found) == 1 else "s"))
                report_lines += [describe(k, g, self.suites) for k, g in found]
        if report_lines:
            print("\n" + "\n".join(report_lines), file=sys.stderr)
        self.assertEqual(report_lines, [], "\n".join(report_lines))

    def test_reports_validate(self):
        """Every report validates against the schema, and every verdict
        names a rule that --list-rules prints (tests/e2e/harness.py)."""
        try:
            import harness
        except ImportError as exc:      # python3-jsonschema missing
            self.skipTest("tests/e2e/harness.py: %s" % exc)
        for name, (rc, report, stderr) in self.runs.items():
            with self.subTest(scenario=name):
                harness.validate_report(report)


class ConflictDetection(unittest.TestCase):
    """The checker itself: it finds a disagreement and lets a require pass."""

    def obs(self, *entries):
        ex = lambda: {"sent": "HELP\\r\\n", "reply": {"code": 250}, "findings": []}
        seen = collections.defaultdict(list)
        for cid, judged, val in entries:
            seen[((("", 220),), "HELP\\r\\n")].append((cid, judged, val, ex()))
        return seen

    W = (("warn", "5321-4.3.1-command-codes"),)
    F = (("fail", "some-rule"), ("warn", "5321-4.3.1-command-codes"))

    def test_two_judging_cases_that_disagree(self):
        self.assertEqual(len(conflicts(self.obs(("a.x", True, self.W), ("b.y", True, self.F)),
                                       strict=False)), 1)

    def test_a_judging_case_and_a_passing_one(self):
        self.assertEqual(len(conflicts(self.obs(("a.x", True, ()), ("b.y", True, self.W)),
                                       strict=False)), 1)

    def test_a_require_on_a_judged_prefix(self):
        seen = self.obs(("a.x", False, self.W), ("b.y", True, self.F))
        self.assertEqual(conflicts(seen, strict=False), [])
        self.assertEqual(len(conflicts(seen, strict=True)), 1)

    def test_automatic_findings_that_differ(self):
        seen = self.obs(("a.x", False, self.F), ("b.y", True, self.W))
        self.assertEqual(len(conflicts(seen, strict=False)), 1)

    def test_end_to_end(self):
        # two suites that judge the same HELP differently, and one that
        # only requires it: against a server answering HELP 250, one conflict
        tmp = tempfile.mkdtemp(prefix="consistency-suites-")
        self.addCleanup(__import__("shutil").rmtree, tmp, True)
        texts = {
            "a": "suite a\ntitle A\n\ncase x\ntitle X\nsend HELP\n"
                 "expect 211,214 5321-4.1.4-any-time\n",
            "b": "suite b\ntitle B\n\ncase y\ntitle Y\nsend HELP\n"
                 "expect 2xx 5321-4.1.4-any-time\n\ncase z\ntitle Z\nsend HELP\n"
                 "require 2xx \"HELP was refused\"\nsend NOOP\n",
        }
        for name, text in texts.items():
            with open(os.path.join(tmp, name + ".suite"), "w", encoding="utf-8") as f:
                f.write(text)
        suites = parse_suites(sorted(glob.glob(os.path.join(tmp, "*.suite"))))
        scenario = SCENARIOS["help-250"]
        rc, report, _ = run_all(scenario, suites_dir=tmp)
        found = conflicts(observations(report, suites), strict=False)
        self.assertEqual(len(found), 1, found)
        key, groups = found[0]
        self.assertEqual(key[1], "HELP\\r\\n")
        self.assertEqual(sorted(cid for _, members in groups for cid, _ in members),
                         ["a.x", "b.y", "b.z"])
        self.assertIn("HELP  after  greeting(220)", describe(key, groups, suites))
        rc, report, _ = run_all(None, suites_dir=tmp)
        self.assertEqual(conflicts(observations(report, suites), strict=True), [])

    def test_suite_parser(self):
        with tempfile.NamedTemporaryFile("w", suffix=".suite", delete=False) as f:
            f.write("suite s\ntitle T\n# comment\ncase a\ntitle A\nsend EHLO x\n"
                    "require 250 \"why\"\nwrite \"x\"\nread END-OF-DATA\nexpect 250 r\n"
                    "  check greeting\n")
        self.addCleanup(os.unlink, f.name)
        self.assertEqual(parse_suites([f.name])["s.a"]["judged"], [False, False, True])


if __name__ == "__main__":
    unittest.main()
