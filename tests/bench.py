#!/usr/bin/python3
"""Benchmark: how fast smtpspec runs the bundled suites and how much memory
it takes, also against hostile servers.  Not a test: it measures.

    make bench        (or: SMTPSPEC=./smtpspec SRCDIR=. tests/bench.py [ROUNDS])

1. Every bundled suite against a private aiosmtpd, with -j 1 and -j 8:
   wall time, cases per second, peak RSS.
2. Peak RSS and time against the fake server flooding an endless line, an
   endless multiline reply, and a 16 MiB line (--max-reply bounds memory).
3. Reading is linear: CPU time to read a 16 MiB line with --max-line and
   --max-reply raised so that it is read whole (before the framing was
   made incremental this took seconds: every chunk rescanned the buffer).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

SRC = os.environ.get("SRCDIR") or os.path.join(os.path.dirname(__file__), "..")
BIN = os.environ.get("SMTPSPEC") or os.path.join(SRC, "smtpspec")
sys.path.insert(0, os.path.join(SRC, "tests", "fakesmtp"))
from fakesmtp import FakeServer  # noqa: E402


def measure(args, cpu=None):
    """Runs smtpspec under /usr/bin/time; returns (seconds, peak RSS in
    MiB, report); the CPU seconds it used go to cpu (a list) when given.
    RSS is measured by time(1), not by wait4() here: Linux carries a
    process's high-water mark across exec, so a child forked from this
    Python would show Python's RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "r.json")
        start = time.monotonic()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", BIN, "--json", report] + args,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        elapsed = time.monotonic() - start
        kib, user, system = proc.stderr.strip().splitlines()[-1].split()
        if cpu is not None:
            cpu.append(float(user) + float(system))
        with open(report, encoding="utf-8") as f:
            return elapsed, int(kib) / 1024, json.load(f)


def suites_against_aiosmtpd(rounds):
    state = tempfile.mkdtemp(prefix="smtpspec-bench-")
    script = os.path.join(SRC, "tests", "servers", "aiosmtpd.sh")
    port = subprocess.run([script, "start", state], capture_output=True, text=True,
                          check=True).stdout.strip()
    try:
        for jobs in (1, 8):
            times, rss, cases = [], 0.0, 0
            for _ in range(rounds):
                t, m, r = measure(["--suites-dir", os.path.join(SRC, "suites"),
                                   "--rcpt", "bench@smtpspec.test", "--timeout", "10",
                                   "-j", str(jobs), f"smtp://127.0.0.1:{port}"])
                times.append(t)
                rss = max(rss, m)
                cases = len(r["cases"])
            best = min(times)
            print(f"aiosmtpd, all suites, -j {jobs}: {cases} cases, best {best:.2f} s "
                  f"of {rounds} ({cases / best:.0f} cases/s), peak RSS {rss:.1f} MiB")
    finally:
        subprocess.run([script, "stop", state])


def hostile():
    suite = os.path.join(SRC, "suites", "basic.suite")
    floods = {
        "endless line": {"flood_line": "250 ", "action": "flood"},
        "endless multiline reply": {"action": "flood"},
        "16 MiB line": {"flood_line": "250 ", "action": "flood", "flood_bytes": 16 << 20},
    }
    for name, rule in floods.items():
        scenario = {"rules": [dict(rule, match="^NOOP")]}
        with FakeServer(scenario, max_seconds=60) as srv:
            t, m, r = measure(["--suite", suite, "--case", "basic.noop", "--timeout", "5",
                               f"smtp://127.0.0.1:{srv.port}"])
        print(f"flood, {name}: {t:.2f} s, peak RSS {m:.1f} MiB, verdict "
              f"{r['cases'][0]['verdict']}")


def linear_reading():
    suite = os.path.join(SRC, "suites", "basic.suite")
    rule = {"match": "^NOOP", "action": "flood", "flood_line": "250 ",
            "flood_bytes": 16 << 20, "flood_end": "\r\n"}
    with FakeServer({"rules": [rule]}, max_seconds=60) as srv:
        cpu = []
        t, m, r = measure(["--suite", suite, "--case", "basic.noop", "--timeout", "10",
                           "--max-line", str(16 << 20), "--max-reply", str(64 << 20),
                           f"smtp://127.0.0.1:{srv.port}"], cpu)
    print(f"16 MiB line read whole (limits raised): {t:.2f} s, CPU {cpu[0]:.2f} s, "
          f"peak RSS {m:.1f} MiB, verdict {r['cases'][0]['verdict']}")


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    suites_against_aiosmtpd(rounds)
    hostile()
    linear_reading()
    return 0


if __name__ == "__main__":
    sys.exit(main())
