#!/bin/sh
# The reports read by real consumers: the HTML report in headless Chromium,
# the JUnit report through junitparser and junit2json, and the comparison
# matrix (test_consumers.py).  Screenshots stay in tests/artifacts/.
cd "${SRCDIR:-$(dirname "$0")/../..}" || exit 1
/usr/bin/python3 -m unittest discover -s tests/reports -p 'test_*.py' -v 2>&1 | tee /dev/stderr | awk '
    /^Ran [0-9]+ test/ { ran = $2 }
    /^FAILED/ { split($0, a, /[=,)]/); for (i in a) if (a[i] ~ /^[0-9]+$/) bad += a[i] }
    END { printf "%d passed, %d failed\n", ran - bad, bad; exit bad > 0 || ran == 0 }'
