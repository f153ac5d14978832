#!/usr/bin/python3
"""Integration test: every bundled suite against a real SMTP server.

    realserver.py SERVER [--starttls]     (SERVER: aiosmtpd, postfix or
                                           postfix-hardened)

Starts the server with tests/servers/SERVER.sh on 127.0.0.1, runs smtpspec
with all bundled suites (and --rcpt, since both private servers discard
mail; --cacert with the server's test certificate), validates the JSON
report against reports/report.schema.json and compares each case's verdict
with tests/integration/expected/SERVER/*.txt.

With --starttls every case runs over TLS.  The expected verdicts are then
those of SERVER/*.txt, overridden by the lines of SERVER-starttls.txt; a
case marked "needs plaintext" is expected to skip unless that file says
otherwise.

Every case that does not pass must be listed in the expected file as
"case-id verdict rule-id why": the verdict, the rule the verdict cites
("-" for skip and error) and why it is a real deviation (or why the case
is skipped); every listed case must earn exactly that verdict and rule.
The HTML report is checked in headless Chromium and the JUnit report by
two parsers (tests/reports/consumers.py); the reports and a screenshot
are kept in tests/artifacts/SERVER[-starttls].*.
postfix-hardened is Postfix with the security settings of VARIANTS below
(smtpd_forbid_bare_newline on, no relaying for 127.0.0.1, VRFY off); it
runs only the security suite.

Environment: SMTPSPEC (binary), SRCDIR (source tree).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import jsonschema

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reports"))
import consumers  # noqa: E402

SRC = os.environ.get("SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
BIN = os.environ.get("SMTPSPEC", "./smtpspec")

# Two recipients each, so that the case that needs two (--rcpt twice) runs.
RCPT = {
    "aiosmtpd": ("smtpspec@aiosmtpd.test", "smtpspec2@aiosmtpd.test"),
    "postfix": ("smtpspec@smtpspec-postfix.test", "smtpspec2@smtpspec-postfix.test"),
}

# A server started with other settings: (its tests/servers script, the
# environment it gets, the suites run).
VARIANTS = {
    "postfix-hardened": ("postfix", {"POSTFIX_MAIN_EXTRA": "\n".join([
        # SMTP smuggling (Postfix 3.7.9 and later); not excluded for any client
        "smtpd_forbid_bare_newline = yes",
        "smtpd_forbid_bare_newline_exclusions =",
        # 127.0.0.1 is not trusted to relay, and a refused relay gets 550
        # (RFC 5321 §3.6.2) rather than 454 or 554
        "mynetworks = 192.0.2.0/24",
        "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination",
        "relay_domains_reject_code = 550",
        "disable_vrfy_command = yes"])}, ["security"]),
}


def load_expected(server):
    """{case id: (verdict, rule)} from the 'id verdict rule note...' lines of
    tests/integration/expected/SERVER/*.txt (one file per suite)."""
    expected = {}
    folder = os.path.join(SRC, "tests", "integration", "expected", server)
    for name in sorted(os.listdir(folder)):
        if name.endswith(".txt"):
            read_expected(os.path.join(folder, name), expected)
    return expected


def read_expected(path, expected):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 3)
            if len(parts) < 4:
                sys.exit(f"{path}:{n}: expected 'case-id verdict rule-id|- why'")
            if parts[1] in ("fail", "warn", "info") and parts[2] == "-":
                sys.exit(f"{path}:{n}: a {parts[1]} names the rule it cites")
            expected[parts[0]] = (parts[1], None if parts[2] == "-" else parts[2])


# The login tests/servers/aiosmtpd_auth.py accepts (Postfix offers no AUTH).
AUTH = {"aiosmtpd": ("auth-tester", "auth-tester-pass")}


def plaintext_cases():
    """The ids of the bundled cases marked "needs plaintext"."""
    ids = set()
    folder = os.path.join(SRC, "suites")
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".suite"):
            continue
        suite = case = None
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            for line in f:
                words = line.split()
                if words[:1] == ["suite"]:
                    suite = words[1]
                elif words[:1] == ["case"]:
                    case = words[1]
                elif words == ["needs", "plaintext"] and case:
                    ids.add(f"{suite}.{case}")
    return ids


def run_probe(server, port, workdir, state, starttls):
    report = os.path.join(workdir, "report.json")
    junit = os.path.join(workdir, "report.xml")
    html = os.path.join(workdir, "report.html")
    script, _, suites = VARIANTS.get(server, (server, {}, []))
    first, second = RCPT[script]
    cmd = [BIN, "--suites-dir", os.path.join(SRC, "suites"), "--rcpt", first, "--rcpt", second,
           "--timeout", "10", "-j", "8", "--json", report, "--junit", junit, "--html", html,
           "--cacert", os.path.join(state, "tls", "cert.pem")]
    cmd += ["--starttls"] if starttls else []
    for suite in suites:
        cmd += ["--suite", suite]
    if server in AUTH:
        cmd += ["--auth-user", AUTH[server][0], "--auth-pass", AUTH[server][1]]
    cmd.append(f"smtp://127.0.0.1:{port}")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    print(proc.stdout)
    print(proc.stderr, file=sys.stderr)
    with open(report, encoding="utf-8") as f:
        return proc.returncode, json.load(f)


def main():
    server = sys.argv[1]
    starttls = sys.argv[2:] == ["--starttls"]
    expected = load_expected(server)
    if starttls:
        for cid in plaintext_cases():
            expected[cid] = ("skip", None)
        read_expected(os.path.join(SRC, "tests", "integration", "expected",
                                   server + "-starttls.txt"), expected)
    with open(os.path.join(SRC, "reports", "report.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    failures = []
    with tempfile.TemporaryDirectory(prefix="smtpspec-int-") as workdir:
        os.chmod(workdir, 0o755)
        state = os.path.join(workdir, "server")
        base, env, _ = VARIANTS.get(server, (server, {}, []))
        script = os.path.join(SRC, "tests", "servers", base + ".sh")
        start = subprocess.run([script, "start", state], capture_output=True, text=True,
                               env=dict(os.environ, **env))
        if start.returncode != 0:
            print(start.stderr, file=sys.stderr)
            print(f"Bail out! could not start {server}")
            return 1
        try:
            rc, report = run_probe(server, start.stdout.strip(), workdir, state, starttls)
        finally:
            subprocess.run([script, "stop", state])
        # the HTML report in a real browser, the JUnit through two parsers;
        # the reports and a screenshot are kept in tests/artifacts/.  Not
        # in the sanitizer round: the reports are the same bytes, and that
        # round is about smtpspec's memory, which writing them exercised.
        name = server + ("-starttls" if starttls else "")
        # (a variant writes its reports as the plain run does: not checked again)
        if not os.environ.get("SMTPSPEC_SANITIZED") and server not in VARIANTS:
            for ext in ("json", "html", "xml"):
                shutil.copy(os.path.join(workdir, "report." + ext),
                            consumers.artifact(name + "." + ext))
            failures += ["HTML report: " + p for p in consumers.check_html(
                consumers.artifact(name + ".json"), consumers.artifact(name + ".html"),
                consumers.artifact(name + ".png"))]
            failures += ["JUnit report: " + p for p in consumers.check_junit(
                consumers.artifact(name + ".xml"))[0]]
    try:
        jsonschema.validate(report, schema)
    except jsonschema.ValidationError as e:
        failures.append(f"report does not validate: {e.message}")
    if rc not in (0, 1, 3):
        failures.append(f"smtpspec exited {rc}")
    seen = set()
    for case in report["cases"]:
        cid, got = case["id"], case["verdict"]
        seen.add(cid)
        want, rule = expected.get(cid, ("pass", None))
        if got != want:
            failures.append(f"{cid}: expected {want}, got {got}: {case['reason']}")
        elif rule and case.get("rule") != rule:
            failures.append(f"{cid}: expected rule {rule}, got {case.get('rule')}: "
                            f"{case['reason']}")
    for cid in sorted(set(expected) - seen):
        failures.append(f"{cid}: listed in expected/{server}/ but not run")
    total = len(report["cases"])
    for f in failures:
        print(f"FAIL: {f}")
    passed = total + 1 - len(failures)
    print(f"# {server}{' --starttls' if starttls else ''}: {report['summary']}")
    behaviours = [f["verdict"] for f in report["findings"]]
    print("# findings (fail/warn/info): %d / %d / %d" % tuple(
        behaviours.count(v) for v in ("fail", "warn", "info")))
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
