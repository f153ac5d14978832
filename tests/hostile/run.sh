#!/bin/sh
# Hostile servers: smtpspec against every hostile mode of the fake SMTP
# server (all bundled suites, -j 1 and -j 8), signals and worst-case time.
cd "${SRCDIR:-$(dirname "$0")/../..}" || exit 1
/usr/bin/python3 -m unittest discover -s tests/hostile -v 2>&1 | tee /dev/stderr | awk '
    /^Ran [0-9]+ test/ { ran = $2 }
    /^FAILED/ { split($0, a, /[=,)]/); for (i in a) if (a[i] ~ /^[0-9]+$/) bad += a[i] }
    END { printf "%d passed, %d failed\n", ran - bad, bad; exit bad > 0 || ran == 0 }'
