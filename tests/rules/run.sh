#!/bin/sh
# The rule catalog: quotes verbatim in their RFC sections, keywords in
# their quotes, mutated copies caught, smtpspec --list-rules agreeing with
# rulecheck, every rule used (tests/rules/test_catalog.py).
cd "${SRCDIR:-$(dirname "$0")/../..}" || exit 1
SMTPSPEC="${SMTPSPEC:-$(pwd)/smtpspec}"
export SMTPSPEC
/usr/bin/python3 tests/rules/rulecheck.py >&2
/usr/bin/python3 -m unittest -v tests/rules/test_catalog.py 2>&1 | tee /dev/stderr | awk '
    /^Ran [0-9]+ test/ { ran = $2 }
    /^FAILED/ { split($0, a, /[=,)]/); for (i in a) if (a[i] ~ /^[0-9]+$/) bad += a[i] }
    END { printf "%d passed, %d failed\n", ran - bad, bad; exit bad > 0 || ran == 0 }'
