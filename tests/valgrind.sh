#!/bin/bash
# tests/valgrind.sh - memcheck over the unit tests, two real probes
# (every bundled suite, -j 4, against a private aiosmtpd: run through, and
# stopped by SIGINT; both write every report, HTML included) and
# smtpspec compare on their reports.
#   valgrind.sh UNIT_TEST_PROGRAM...
# Prints "PASSED FAILED" (one run per program plus the probe) on stdout;
# exits non-zero when valgrind finds an error or a definite leak.
set -u
src=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${SMTPSPEC:-./smtpspec}
vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)
passed=0 failed=0

run() {
    if "${vg[@]}" "$@" >/tmp/smtpspec-vg.out 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "valgrind: FAILED: $*" >&2
        tail -40 /tmp/smtpspec-vg.out >&2
    fi
}

for t in "$@"; do
    run "$t"
done

state=$(mktemp -d /tmp/smtpspec-vg.XXXXXX)
trap '"$src/tests/servers/aiosmtpd.sh" stop "$state"; rm -rf "$state"' EXIT
port=$("$src/tests/servers/aiosmtpd.sh" start "$state") || exit 1
# smtpspec's own exit status (0/1/3) is not the point here; valgrind's is.
if "${vg[@]}" "$bin" --suites-dir "$src/suites" --rcpt vg@smtpspec.test -j 4 \
        --json "$state/r.json" --junit "$state/r.xml" --html "$state/r.html" \
        "smtp://127.0.0.1:$port" >/tmp/smtpspec-vg.out 2>&1 || [ $? -ne 99 ]; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "valgrind: FAILED: smtpspec probe" >&2
    tail -40 /tmp/smtpspec-vg.out >&2
fi
# The same probe stopped by SIGINT after 3 s: the cases in flight end, the
# reports are written from retired cases, and nothing leaks on that path.
"${vg[@]}" "$bin" --suites-dir "$src/suites" --rcpt vg@smtpspec.test -j 4 \
    --json "$state/i.json" --junit "$state/i.xml" --html "$state/i.html" \
    "smtp://127.0.0.1:$port" >/tmp/smtpspec-vg.out 2>&1 &
vgpid=$!
sleep 3
kill -INT "$vgpid"
wait "$vgpid"
status=$?
if [ "$status" -eq 130 ] && grep -q '"stopped_by": "SIGINT"' "$state/i.json" &&
    [ -s "$state/i.html" ]; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "valgrind: FAILED: smtpspec probe interrupted by SIGINT (exit $status)" >&2
    tail -40 /tmp/smtpspec-vg.out >&2
fi
# the matrix of the two reports, on the terminal and in HTML
run "$bin" compare --cases --html "$state/m.html" "$state/r.json" "$state/i.json"
echo "$passed $failed"
echo "valgrind: $passed passed, $failed failed" >&2
[ "$failed" -eq 0 ]
