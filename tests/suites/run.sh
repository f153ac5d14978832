#!/bin/sh
# Each bundled suite, case by case, against the fake server in a
# conforming and a deviating form (tests/suites/test_*.py).
cd "${SRCDIR:-$(dirname "$0")/../..}" || exit 1
/usr/bin/python3 -m unittest discover -s tests/suites -v 2>&1 | tee /dev/stderr | awk '
    /^Ran [0-9]+ test/ { ran = $2 }
    /^FAILED/ { split($0, a, /[=,)]/); for (i in a) if (a[i] ~ /^[0-9]+$/) bad += a[i] }
    END { printf "%d passed, %d failed\n", ran - bad, bad; exit bad > 0 || ran == 0 }'
