#!/bin/bash
# The man page (smtpspec.1) and --help come from doc/smtpspec.usage: the
# page lints clean (mandoc -T lint, groff -ww), renders with man -l, and
# says what --help says, option by option; every option that src/options.c
# and src/compare.c accept is in both; every exit status is in the page.
set -u
bin=${SMTPSPEC:-./smtpspec}
src=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${BUILDDIR:-$(dirname "$bin")}
page=$builddir/smtpspec.1
[ -f "$page" ] || page=$src/smtpspec.1
tmp=$(mktemp -d /tmp/smtpspec-man.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { echo "  pass: $1"; passed=$((passed + 1)); }
notok() { echo "  FAIL: $1"; failed=$((failed + 1)); }

[ -f "$page" ] && ok "smtpspec.1 is built ($page)" || { notok "no smtpspec.1"; echo "0 passed, 1 failed"; exit 1; }
mandoc -T lint -W warning "$page" >"$tmp/lint" 2>&1
[ ! -s "$tmp/lint" ] && ok "mandoc -T lint -W warning: nothing" || notok "mandoc: $(head -3 "$tmp/lint")"
groff -man -Tutf8 -ww -z "$page" >"$tmp/groff" 2>&1
[ ! -s "$tmp/groff" ] && ok "groff -ww: no warning" || notok "groff: $(head -3 "$tmp/groff")"
MANWIDTH=2000 man -l "$page" >"$tmp/man.txt" 2>"$tmp/man.err"
[ $? -eq 0 ] && [ ! -s "$tmp/man.err" ] && [ -s "$tmp/man.txt" ] && ok "man -l renders it" \
    || notok "man -l: $(head -3 "$tmp/man.err")"
"$bin" --help >"$tmp/help.txt" 2>&1 && ok "--help exits 0" || notok "--help failed"

# option by option: the names, then the description, as one line each
cat >"$tmp/cmp.py" <<'PY'
import re, sys
help_text = open(sys.argv[1], encoding="utf-8").read()
man = open(sys.argv[2], encoding="utf-8").read()
src = sys.argv[3]
def norm(s):
    s = s.replace("\u2010", "-").replace("\u2212", "-").replace("\u2011", "-")
    return re.sub(r"\s+", " ", s).strip()
man_n = norm(man)
entries, cur = [], None
for line in help_text.splitlines():
    m = re.match(r"^  (\S.*?)(?:\s{2,}|$)(.*)$", line)
    if m and not line.startswith("   "):
        cur = [m.group(1), m.group(2)]
        entries.append(cur)
    elif cur and line.startswith(" " * 24):
        cur[1] += " " + line.strip()
    else:
        cur = None
bad = 0
for names, desc in entries:
    # the installed data directory is this build's in --help, pkgdatadir/ in the page
    desc = re.sub(r"/\S*/share/smtpspec/(suites|rules)$", r"pkgdatadir/\1", desc)
    for part in (norm(names), norm(desc)):
        if part not in man_n:
            print("FAIL: in --help, not in the man page: %r" % part)
            bad += 1
print("entries %d" % len(entries))
# every option the code accepts is in --help
longopts = re.findall(r'\{ "([a-z-]+)", (?:no|required)_argument', open(src + "/src/options.c").read())
longopts += re.findall(r'strcmp\(a, "--([a-z-]+)"\)', open(src + "/src/compare.c").read())
for opt in longopts:
    if not re.search(r"(^|[\s,])--%s\b" % re.escape(opt), help_text, re.M):
        print("FAIL: --%s is accepted but not in --help" % opt)
        bad += 1
print("options %d" % len(longopts))
for status in ("0", "1", "2", "3", "130, 143"):
    if not re.search(r"EXIT STATUS.*\n\s+%s\s" % re.escape(status), man, re.S):
        print("FAIL: exit status %s not in the man page" % status)
        bad += 1
for section in ("SYNOPSIS", "OPTIONS", "EXIT STATUS", "FILES", "ENVIRONMENT", "EXAMPLES"):
    if not re.search(r"^%s$" % section, man, re.M):
        print("FAIL: no %s section" % section)
        bad += 1
print("bad %d" % bad)
PY
/usr/bin/python3 "$tmp/cmp.py" "$tmp/help.txt" "$tmp/man.txt" "$src" >"$tmp/compare"
n=$(sed -n 's/^entries //p' "$tmp/compare")
grep '^FAIL' "$tmp/compare" | sed 's/^/  /'
[ "$(sed -n 's/^bad //p' "$tmp/compare")" = 0 ] && [ "${n:-0}" -gt 40 ] &&
    ok "every one of the $n --help entries is in the man page, and every option the code accepts ($(sed -n 's/^options //p' "$tmp/compare")) is in --help" \
    || notok "--help and the man page differ (above)"

# the check can fail: one option worded differently in the page
sed 's/^accepted findings: only findings not in FILE fail$/accepted findings, worded otherwise/' \
    "$page" >"$tmp/drift.1"
MANWIDTH=2000 man -l "$tmp/drift.1" >"$tmp/drift.txt" 2>/dev/null
/usr/bin/python3 "$tmp/cmp.py" "$tmp/help.txt" "$tmp/drift.txt" "$src" >"$tmp/compare2"
[ "$(sed -n 's/^bad //p' "$tmp/compare2")" = 1 ] && ok "a page worded otherwise for one option is caught" \
    || notok "the drifted page was not caught: $(grep -c FAIL "$tmp/compare2") differences"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
