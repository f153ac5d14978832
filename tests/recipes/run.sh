#!/bin/bash
# The CI recipes of doc/ci: both parse, have the structure their CI needs
# (the server under test as a service named mta, the reports uploaded
# even when the job fails), and their smtpspec command line, run as
# written against fake servers, gives the exit status CI relies on:
# 0 with a baseline, 1 for a finding not in it, 0 once it is accepted.
set -u
bin=${SMTPSPEC:-./smtpspec}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
src=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
py=/usr/bin/python3
tmp=$(mktemp -d /tmp/smtpspec-recipes.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
passed=0 failed=0
ok() { echo "  pass: $1"; passed=$((passed + 1)); }
notok() { echo "  FAIL: $1"; failed=$((failed + 1)); }

expected='smtpspec/smtpspec --baseline smtpspec.baseline --json smtpspec.json --junit smtpspec.xml --html smtpspec.html "$SMTP_TARGET"'

# --- structure: the checks print "pass|FAIL<TAB>message"; the smtpspec
# command lines of each recipe go to $tmp/NAME.cmd
EXPECTED=$expected "$py" - "$src/doc/ci" "$tmp" >"$tmp/structure" 2>&1 <<'PY'
import os, sys
import yaml

ci, out = sys.argv[1], sys.argv[2]
expected = os.environ["EXPECTED"]

def check(cond, msg):
    print("%s\t%s" % ("pass" if cond else "FAIL", msg))
    return cond

def smtpspec_lines(scripts):
    """The lines that invoke smtpspec/smtpspec, from run: or script: text."""
    lines = []
    for s in scripts:
        for line in str(s).splitlines():
            if line.strip().split(" ", 1)[0] == "smtpspec/smtpspec":
                lines.append(line.strip())
    return lines

def load(name):
    path = os.path.join(ci, name)
    try:
        with open(path) as f:
            text = f.read()
        doc = yaml.safe_load(text)
    except Exception as e:
        check(False, "%s: %s" % (name, e))
        return None, ""
    check(isinstance(doc, dict), "%s is a YAML mapping" % name)
    return (doc if isinstance(doc, dict) else None), text

def recipe_common(name, text, cmds, target):
    check("# your server's image" in text and "registry.example.org/mail/staging-mta:latest" in text,
          "%s: the placeholder image is marked \"your server's image\"" % name)
    check(target == "smtp://mta:25", "%s: SMTP_TARGET is smtp://mta:25 (got %r)" % (name, target))
    check(len(cmds) == 1, "%s: exactly one smtpspec command line (found %d)" % (name, len(cmds)))
    check(cmds[:1] == [expected], "%s: the command line is the documented one: %s" % (name, cmds[:1]))
    check("--write-baseline smtpspec.baseline" in text,
          "%s: a comment says how smtpspec.baseline is made (--write-baseline)" % name)
    with open(os.path.join(out, name.split("-")[0] + ".cmd"), "w") as f:
        f.write("\n".join(cmds) + "\n")

# GitHub Actions
gh, text = load("github-actions.yml")
if gh is not None:
    check(gh.get("on", gh.get(True)) is not None, "github: the workflow has triggers (on:)")
    jobs = [j for j in (gh.get("jobs") or {}).values() if isinstance(j, dict) and j.get("services")]
    if check(len(jobs) == 1, "github: one job has services (found %d)" % len(jobs)):
        job = jobs[0]
        svc = job["services"]
        check(isinstance(svc.get("mta"), dict) and bool(svc["mta"].get("image")),
              "github: the service mta has an image")
        check(bool(job.get("container")),
              "github: the job runs in a container, so the service is reachable as mta:25")
        steps = [s for s in job.get("steps") or [] if isinstance(s, dict)]
        cmds = smtpspec_lines(s["run"] for s in steps if "run" in s)
        check(any("./bootstrap && ./configure && make" in str(s.get("run", "")) for s in steps),
              "github: a step builds smtpspec (./bootstrap && ./configure && make)")
        up = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
        if check(len(up) == 1, "github: one step uses actions/upload-artifact"):
            check(str(up[0].get("if", "")).replace("${{", "").replace("}}", "").strip() == "always()",
                  "github: the upload step has if: always()")
            paths = str((up[0].get("with") or {}).get("path", "")).split()
            check({"smtpspec.xml", "smtpspec.html", "smtpspec.json"} <= set(paths),
                  "github: the upload path names smtpspec.xml, smtpspec.html and smtpspec.json (%s)" % paths)
        env = dict(gh.get("env") or {}, **(job.get("env") or {}))
        recipe_common("github-actions", text, cmds, env.get("SMTP_TARGET"))

# GitLab CI
gl, text = load("gitlab-ci.yml")
if gl is not None:
    reserved = {"default", "include", "stages", "variables", "workflow", "image", "services",
                "cache", "before_script", "after_script"}
    jobs = [j for k, j in gl.items()
            if k not in reserved and not str(k).startswith(".") and isinstance(j, dict)
            and j.get("services")]
    if check(len(jobs) == 1, "gitlab: one job has services (found %d)" % len(jobs)):
        job = jobs[0]
        svc = [s for s in job["services"] if isinstance(s, dict) and s.get("alias") == "mta"]
        check(len(svc) == 1 and bool(svc[0].get("name")), "gitlab: a service with alias mta and an image")
        check(bool(job.get("image")), "gitlab: the job has a build image")
        scripts = [s for k in ("before_script", "script") for s in job.get(k) or []]
        check(any("./bootstrap && ./configure && make" in str(s) for s in scripts),
              "gitlab: the script builds smtpspec (./bootstrap && ./configure && make)")
        art = job.get("artifacts") or {}
        check(art.get("when") == "always", "gitlab: artifacts.when is always")
        check((art.get("reports") or {}).get("junit") == "smtpspec.xml",
              "gitlab: artifacts.reports.junit is smtpspec.xml")
        check({"smtpspec.html", "smtpspec.json"} <= set(art.get("paths") or []),
              "gitlab: artifacts.paths has smtpspec.html and smtpspec.json")
        env = dict(gl.get("variables") or {}, **(job.get("variables") or {}))
        recipe_common("gitlab-ci", text, smtpspec_lines(scripts), env.get("SMTP_TARGET"))
PY
[ $? -eq 0 ] || notok "the structure check did not run: $(tail -1 "$tmp/structure")"
while IFS=$'\t' read -r verdict msg; do
    case $verdict in
        pass) ok "$msg" ;;
        FAIL) notok "$msg" ;;
        *) notok "structure check: $verdict $msg" ;;
    esac
done <"$tmp/structure"

# --- the command lines, run as written
# Two fake servers: a conforming one, and one that answers NOOP 502
# (basic.noop fails: NOOP MUST be supported). One small suite keeps it fast.
start_fake() { # NAME [SCENARIO]
    local args=(--port-file "$tmp/$1.port" --max-seconds 120)
    [ $# -gt 1 ] && args+=(--scenario "$2")
    "$py" "$src/tests/fakesmtp/fakesmtp.py" "${args[@]}" >"$tmp/$1.log" 2>&1 &
    pids+=($!)
}
printf '%s\n' '{"rules": [{"match": "^NOOP", "reply": "502 not implemented\r\n"}]}' >"$tmp/deviating.json"
start_fake good
start_fake bad "$tmp/deviating.json"
for _ in $(seq 100); do
    [ -s "$tmp/good.port" ] && [ -s "$tmp/bad.port" ] && break
    sleep 0.1
done
[ -s "$tmp/good.port" ] && [ -s "$tmp/bad.port" ] && ok "the fake servers are listening" \
    || notok "the fake servers did not start: $(cat "$tmp/good.log" "$tmp/bad.log")"
good=smtp://127.0.0.1:$(cat "$tmp/good.port" 2>/dev/null)
bad=smtp://127.0.0.1:$(cat "$tmp/bad.port" 2>/dev/null)
mkdir "$tmp/suites" && cp "$src/suites/basic.suite" "$tmp/suites/"
export SMTPSPEC_SUITES_DIR=$tmp/suites

# baselines as a team makes them: one from each server
"$bin" --write-baseline "$tmp/good.baseline" "$good" >"$tmp/wb.log" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "baseline written from the conforming server" \
    || notok "--write-baseline (conforming server): exit $rc: $(tail -1 "$tmp/wb.log")"
"$bin" --write-baseline "$tmp/bad.baseline" "$bad" >"$tmp/wb.log" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q '^5321-4.5.1-required-commands NOOP 502 ' "$tmp/bad.baseline" &&
    ok "baseline written from the deviating server holds its finding (NOOP 502)" \
    || notok "--write-baseline (deviating server): exit $rc: $(tail -1 "$tmp/wb.log")"

html=yes
"$bin" --help 2>&1 | grep -q -- '--html' || html=no
[ $html = yes ] && ok "the binary has --html" || notok "the binary has no --html option yet"

# run NAME SERVER BASELINE: the recipe's command line in a fresh directory
# where smtpspec/smtpspec is the binary under test; sets rc and $ws
run() {
    ws=$tmp/ws-$1
    rm -rf "$ws" && mkdir -p "$ws/smtpspec"
    ln -s "$bin" "$ws/smtpspec/smtpspec"
    cp "$3" "$ws/smtpspec.baseline"
    (cd "$ws" && SMTP_TARGET=$2 bash -e "$tmp/$recipe.cmd") >"$ws/stdout" 2>"$ws/stderr"
    rc=$?
}

# why NAME: a reason for a failed run, with smtpspec's first error line
why() {
    local r="exit $rc"
    [ -s "$ws/stderr" ] && r="$r: $(head -1 "$ws/stderr")"
    [ $html = no ] && r="$r (expected until --html exists)"
    echo "$r"
}

# reports NAME NEW_FAIL: the JSON's baseline object, the JUnit and the HTML
reports() {
    local msg
    msg=$("$py" - "$ws" "$2" <<'PY' 2>&1
import json, os, sys
import xml.etree.ElementTree as ET
ws, new_fail = sys.argv[1], int(sys.argv[2])
r = json.load(open(os.path.join(ws, "smtpspec.json")))
b = r.get("baseline")
assert isinstance(b, dict), "no baseline object: %r" % (b,)
assert b.get("new_fail") == new_fail, "baseline.new_fail is %r, not %d" % (b.get("new_fail"), new_fail)
assert b.get("new_warn") == 0 and b.get("fixed") == [], "baseline: %r" % b
assert r.get("complete") is True, "complete: %r" % r.get("complete")
marks = [f.get("baseline") for f in r.get("findings", [])]
want = "new" if new_fail else "known"
assert all(m == want for m in marks), "findings marked %r, not %s" % (marks, want)
root = ET.parse(os.path.join(ws, "smtpspec.xml")).getroot()
cases = {c.get("name"): c for c in root.iter("testcase")}
assert "noop" in cases or "basic.noop" in cases, "no testcase noop in the JUnit: %s" % sorted(cases)
noop = cases.get("noop", cases.get("basic.noop"))
if new_fail:
    assert noop.find("failure") is not None, "the JUnit testcase noop has no <failure>"
PY
)
    [ $? -eq 0 ] && ok "$recipe, $1: the JSON's baseline object agrees (new_fail $2) and the JUnit parses" \
        || notok "$recipe, $1: $msg"
    # self-contained: nothing fetched from elsewhere (links to RFCs are fine)
    if [ -s "$ws/smtpspec.html" ] && grep -qi '<html' "$ws/smtpspec.html" &&
        ! grep -qiE '<link|<(script|img|iframe)[^>]* src=' "$ws/smtpspec.html"; then
        ok "$recipe, $1: smtpspec.html written, self-contained"
    else
        notok "$recipe, $1: no smtpspec.html$([ $html = no ] && echo ' (expected until --html exists)')"
    fi
}

for recipe in github gitlab; do
    if [ ! -s "$tmp/$recipe.cmd" ]; then
        notok "$recipe: no smtpspec command line to run"
        continue
    fi
    # (a) the server as it was when the baseline was made: CI passes
    run a "$good" "$tmp/good.baseline"
    if [ $rc -eq 0 ] && [ -s "$ws/smtpspec.xml" ] && [ -s "$ws/smtpspec.json" ]; then
        ok "$recipe, (a) same server, its baseline: exit 0, smtpspec.xml and smtpspec.json written"
        reports "(a)" 0
    else
        notok "$recipe, (a) same server, its baseline: $(why)"
    fi
    # (b) the server now deviates; the old baseline does not list it: CI fails
    run b "$bad" "$tmp/good.baseline"
    if [ $rc -eq 1 ] && grep -q '^NEW  *fail  *5321-4.5.1-required-commands' "$ws/stdout"; then
        ok "$recipe, (b) a new finding: exit 1, the summary marks it NEW"
        reports "(b)" 1
    else
        notok "$recipe, (b) a new finding: $(why)"
    fi
    # (c) the finding accepted into the baseline: CI passes again
    run c "$bad" "$tmp/bad.baseline"
    if [ $rc -eq 0 ] && [ -s "$ws/smtpspec.json" ]; then
        ok "$recipe, (c) a known finding: exit 0"
        reports "(c)" 0
    else
        notok "$recipe, (c) a known finding: $(why)"
    fi
done

# the README shows both recipes whole, as they are in doc/ci
for f in github-actions.yml gitlab-ci.yml; do
    /usr/bin/python3 - "$src/README.md" "$src/doc/ci/$f" <<'PY' && ok "README shows doc/ci/$f as it is" || notok "README's copy of doc/ci/$f differs"
import re, sys
readme = open(sys.argv[1], encoding="utf-8").read()
recipe = open(sys.argv[2], encoding="utf-8").read().rstrip("\n")
blocks = re.findall(r"```yaml\n(.*?)\n```", readme, re.S)
sys.exit(0 if recipe in blocks else 1)
PY
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
