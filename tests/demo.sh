#!/bin/bash
# tests/demo.sh - "make demo": every bundled suite against a private
# aiosmtpd on 127.0.0.1 (accepts and discards mail), reports in reports/.
#
# Environment: SMTPSPEC (the binary), SRCDIR (the source tree).
# Exit 0 when the probe ran (whatever aiosmtpd earned: that is the output),
# non-zero when it could not run or was used wrongly (exit 2, a crash).
set -u
src=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${SMTPSPEC:-./smtpspec}
state=$(mktemp -d /tmp/smtpspec-demo.XXXXXX)
trap '"$src/tests/servers/aiosmtpd.sh" stop "$state"; rm -rf "$state"' EXIT

port=$("$src/tests/servers/aiosmtpd.sh" start "$state") || exit 1
mkdir -p reports
# aiosmtpd discards every message, so the delivery cases may run: --rcpt.
# Its STARTTLS certificate is the test one made at start (--cacert).
"$bin" --suites-dir "$src/suites" --rcpt demo@smtpspec.test \
    --cacert "$state/tls/cert.pem" \
    --json reports/demo.json --junit reports/demo.xml --html reports/demo.html "smtp://127.0.0.1:$port"
rc=$?
echo "demo: smtpspec exited $rc; reports: reports/demo.json reports/demo.xml reports/demo.html"
case $rc in
0|1|3) exit 0 ;;
*) exit "$rc" ;;
esac
