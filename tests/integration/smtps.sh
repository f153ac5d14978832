#!/bin/bash
# Integration test: implicit TLS (smtps://) against aiosmtpd with a
# self-signed certificate made here.  Verification is on by default: the
# cases run over TLS all the same, and tls.certificate fails by RFC 8314
# §4.4 with OpenSSL's reason (exit 1).  With --cacert naming the
# certificate it verifies (exit 0); --insecure turns verification off.
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
    -days 2 -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    >/dev/null 2>&1 || { echo "Bail out! openssl failed"; exit 1; }
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Sink \
    --smtpscert "$tmp/cert.pem" --smtpskey "$tmp/key.pem" >"$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 50); do
    /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
    sleep 0.2
done

run() { "$bin" --suites-dir "$src/suites" --suite basic --suite tls --timeout 5 "$@" \
    "smtps://127.0.0.1:$port"; }

run --json "$tmp/v.json" >"$tmp/v.out" 2>&1
rc=$?
[ $rc -eq 1 ] && ok "verification on by default: exit 1" || notok "verify: exit $rc, want 1"
/usr/bin/python3 - "$tmp/v.json" <<'PY' && ok "tls.certificate fails by RFC 8314 §4.4 naming OpenSSL's reason; the rest passes" || notok "default verification report"
import json, sys
r = json.load(open(sys.argv[1]))
cases = {c["id"]: c for c in r["cases"]}
cert = cases["tls.certificate"]
assert cert["verdict"] == "fail" and cert["rule"] == "8314-4.4-valid-certificates", cert
assert "self-signed certificate" in cert["reason"], cert["reason"]
v = r["server"]["tls"]["session"]["verification"]
assert v == {"ok": False, "code": 18, "reason": "self-signed certificate"}, v
others = [c for c in r["cases"] if c["id"] != "tls.certificate"]
assert all(c["verdict"] in ("pass", "skip", "warn") for c in others), others
PY
grep -q "did not verify: self-signed certificate" "$tmp/v.out" && ok "summary names the reason" || notok "summary lacks the reason"

run --cacert "$tmp/cert.pem" --json "$tmp/c.json" >"$tmp/c.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "--cacert: exit 0" || notok "--cacert: exit $rc, want 0"

run --insecure --json "$tmp/i.json" >"$tmp/i.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "--insecure: exit 0" || notok "--insecure: exit $rc, want 0"
/usr/bin/python3 - "$tmp/i.json" "$tmp/c.json" <<'PY' && ok "TLS report: facts recorded, verified with --cacert, not verified with --insecure" || notok "TLS report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["target"]["tls"] is True, r["target"]
assert r["server"]["greeting"]["code"] == 220
assert r["summary"]["error"] == 0 and r["summary"]["fail"] == 0, r["summary"]
assert r["summary"]["pass"] >= 10, r["summary"]
s = r["server"]["tls"]
assert s["mode"] == "implicit" and s["session"]["verification"] is None, s
cert = s["session"]["certificate"]
assert cert["subject"] == "CN=localhost" and "IP:127.0.0.1" in cert["sans"], cert
assert cert["key_type"] == "RSA" and cert["key_bits"] == 2048 and cert["chain_length"] == 1
assert s["session"]["version"].startswith("TLSv1."), s
assert s["session"]["sni"] is None, s      # an IP target sends no SNI
assert r["cases"][0]["tls"]["cipher"] == s["session"]["cipher"]
c = json.load(open(sys.argv[2]))
assert c["server"]["tls"]["session"]["verification"]["ok"] is True, c["server"]["tls"]
PY
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
