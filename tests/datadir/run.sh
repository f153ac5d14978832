#!/bin/bash
# Where the binary finds its suites and rules (src/datadir.c): the built
# binary from anywhere, a copy with nothing beside it (the error names
# every place looked at), SMTPSPEC_SUITES_DIR and --suites-dir, a copy
# with suites/ beside it, and an install staged with make install DESTDIR.
set -u
bin=${SMTPSPEC:-./smtpspec}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
builddir=${BUILDDIR:-$(dirname "$bin")}
src=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d /tmp/smtpspec-datadir.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { echo "  pass: $1"; passed=$((passed + 1)); }
notok() { echo "  FAIL: $1"; failed=$((failed + 1)); }
cases() { sed -n 's/^\([0-9][0-9]*\) cases$/\1/p' "$1"; }
all=$(ls "$src"/suites/*.suite | xargs grep -c '^case ' | awk -F: '{n += $2} END {print n}')

# the built binary, run from elsewhere, with no option and no variable
(cd "$tmp" && env -u SMTPSPEC_SUITES_DIR -u SMTPSPEC_RULES_DIR "$bin" --list) >"$tmp/a" 2>&1
[ "$(cases "$tmp/a")" = "$all" ] && ok "build tree: all $all cases found from another directory" \
    || notok "build tree: $(tail -1 "$tmp/a")"
(cd "$tmp" && env -u SMTPSPEC_RULES_DIR "$bin" --list-rules) >"$tmp/r" 2>&1
[ "$(wc -l <"$tmp/r")" -gt 50 ] && ok "build tree: the rule catalog is found" \
    || notok "build tree rules: $(head -1 "$tmp/r")"

# a copy with nothing beside it: exit 2, every place named
mkdir "$tmp/lone" && cp "$bin" "$tmp/lone/smtpspec"
(cd "$tmp" && env -u SMTPSPEC_SUITES_DIR "$tmp/lone/smtpspec" --list) >"$tmp/b" 2>&1
rc=$?
[ $rc -eq 2 ] && ok "no suites anywhere: exit 2" || notok "no suites: exit $rc"
grep -q "cannot find the suites directory: looked in $tmp/lone/suites, $tmp/lone/../share/smtpspec/suites, " "$tmp/b" &&
    grep -q "SMTPSPEC_SUITES_DIR" "$tmp/b" && ok "the error names every place and the variable" \
    || notok "error: $(cat "$tmp/b")"

# the variable, then the option over it (the copy gets the rules beside it)
cp -r "$src/rules" "$tmp/lone/rules"
mkdir "$tmp/one" && cp "$src/suites/basic.suite" "$tmp/one/"
SMTPSPEC_SUITES_DIR=$tmp/one "$tmp/lone/smtpspec" --list >"$tmp/c" 2>&1
[ "$(cases "$tmp/c")" = 14 ] && ok "SMTPSPEC_SUITES_DIR is used" || notok "variable: $(tail -1 "$tmp/c")"
SMTPSPEC_SUITES_DIR=$tmp/one "$bin" --suites-dir "$src/suites" --list >"$tmp/d" 2>&1
[ "$(cases "$tmp/d")" = "$all" ] && ok "--suites-dir comes before the variable" \
    || notok "option: $(tail -1 "$tmp/d")"
SMTPSPEC_SUITES_DIR=$tmp/nothing "$bin" --list >"$tmp/e" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q 'SMTPSPEC_SUITES_DIR: ".*nothing" is not a readable directory' "$tmp/e" &&
    ok "a variable naming no directory is an error, not passed over" || notok "bad variable: rc $rc"

# a copy with suites/ beside it
cp -r "$tmp/one" "$tmp/lone/suites"
(cd / && env -u SMTPSPEC_SUITES_DIR "$tmp/lone/smtpspec" --list) >"$tmp/f" 2>&1
[ "$(cases "$tmp/f")" = 14 ] && ok "suites/ beside the binary" || notok "beside: $(tail -1 "$tmp/f")"

# make install DESTDIR=...: found at ../share/smtpspec beside the binary
if make -C "$builddir" install DESTDIR="$tmp/stage" >"$tmp/install.log" 2>&1; then
    inst=$(find "$tmp/stage" -type f -name smtpspec -perm -u+x | head -1)
    (cd / && env -u SMTPSPEC_SUITES_DIR -u SMTPSPEC_RULES_DIR "$inst" --list) >"$tmp/g" 2>&1
    [ "$(cases "$tmp/g")" = "$all" ] && ok "installed with DESTDIR: the staged suites are found" \
        || notok "installed: $(tail -1 "$tmp/g")"
    (cd / && env -u SMTPSPEC_RULES_DIR "$inst" --list-rules) >"$tmp/h" 2>&1
    [ "$(wc -l <"$tmp/h")" -gt 50 ] && ok "installed with DESTDIR: the staged rules are found" \
        || notok "installed rules: $(head -1 "$tmp/h")"
    page=$(find "$tmp/stage" -path '*/man/man1/smtpspec.1' | head -1)
    [ -n "$page" ] && MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q -- '--baseline FILE' &&
        ok "installed with DESTDIR: the man page, man1/smtpspec.1" || notok "no installed man page"
else
    notok "make install DESTDIR failed: $(tail -3 "$tmp/install.log")"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
