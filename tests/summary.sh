#!/bin/sh
# tests/summary.sh - test totals for "make check-all".
#   summary.sh count   prints "PASSED FAILED" summed over the test logs of
#                      the last "make check" (tests/**/*.log): TAP lines
#                      "ok"/"not ok", and "N passed, N failed" lines.
#   summary.sh total   sums such pairs from stdin and prints the closing
#                      line "N passed, N failed".
set -u
case ${1:-} in
count)
    find tests -name '*.log' ! -name 'test-suite.log' -exec cat {} + 2>/dev/null | awk '
        /^ok / { p++ }
        /^not ok / { f++ }
        /^[0-9]+ passed, [0-9]+ failed/ { p += $1; f += $3 }
        END { printf "%d %d\n", p, f }'
    ;;
total)
    awk '{ p += $1; f += $2 } END { printf "%d passed, %d failed\n", p, f }'
    ;;
*)
    echo "usage: $0 count|total" >&2
    exit 2
    ;;
esac
