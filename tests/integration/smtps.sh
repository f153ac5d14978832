#!/bin/bash
# Integration test: implicit TLS (smtps://) against aiosmtpd with a
# self-signed certificate made here.  Certificate checks are on by default
# (every case is an error, exit 3, the reason names --insecure); with
# --insecure the basic suite runs over TLS as it does in plain text.
set -u
bin=${SMTPSPEC:-./smtpspec}
src=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d /tmp/smtpspec-smtps.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { echo "  pass: $1"; passed=$((passed + 1)); }
notok() { echo "  FAIL: $1"; failed=$((failed + 1)); }

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
    -days 2 -subj /CN=localhost >/dev/null 2>&1 || { echo "Bail out! openssl failed"; exit 1; }
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Sink \
    --smtpscert "$tmp/cert.pem" --smtpskey "$tmp/key.pem" >"$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 50); do
    /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
    sleep 0.2
done

"$bin" --suites-dir "$src/suites" --suite basic --timeout 5 --json "$tmp/v.json" \
    "smtps://127.0.0.1:$port" >"$tmp/v.out" 2>&1
rc=$?
[ $rc -eq 3 ] && ok "certificate verified by default: exit 3" || notok "verify: exit $rc, want 3"
grep -q -- "--insecure" "$tmp/v.out" && ok "reason names --insecure" || notok "no --insecure hint"

"$bin" --suites-dir "$src/suites" --suite basic --insecure --timeout 5 --json "$tmp/i.json" \
    "smtps://127.0.0.1:$port" >"$tmp/i.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "--insecure: exit 0" || notok "--insecure: exit $rc, want 0"
/usr/bin/python3 - "$tmp/i.json" <<'PY' && ok "TLS report: tls true, greeting over TLS, no error" || notok "TLS report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["target"]["tls"] is True, r["target"]
assert r["server"]["greeting"]["code"] == 220
assert r["summary"]["error"] == 0 and r["summary"]["fail"] == 0, r["summary"]
assert r["summary"]["pass"] >= 10, r["summary"]
PY
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
