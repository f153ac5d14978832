#!/bin/bash
# tests/servers/selftest.sh - check the aiosmtpd.sh and postfix.sh launchers.
#
#   selftest.sh [aiosmtpd|postfix ...]     (default: both; postfix needs root)
#
# For each server: start, send one message (EHLO/MAIL/RCPT/DATA/QUIT),
# check it was accepted and (postfix) discarded with an empty queue, stop,
# check the port is closed and no process is left; twice in a row; then two
# instances at once in different state dirs.  Prints timings; exit 0 = pass.

set -u
here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
tmp=$(mktemp -d /tmp/smtpspec-selftest.XXXXXX)
chmod 755 "$tmp"
fail=0
trap '"$here/aiosmtpd.sh" stop "$tmp/a1"; "$here/aiosmtpd.sh" stop "$tmp/a2";
      "$here/postfix.sh" stop "$tmp/p1" 2>/dev/null; "$here/postfix.sh" stop "$tmp/p2" 2>/dev/null;
      rm -rf "$tmp"' EXIT

ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fail=1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fs", b - a }'; }

# send_one PORT RCPT -> prints the final DATA reply, exit 0 if all 2xx/3xx
send_one() {
    "$PY" -I - "$1" "$2" <<'EOF'
import smtplib, sys
port, rcpt = int(sys.argv[1]), sys.argv[2]
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
code, _ = s.ehlo("smtpspec.invalid"); assert code == 250, code
code, _ = s.mail("a@b.example");     assert code == 250, code
code, _ = s.rcpt(rcpt);              assert code == 250, code
code, msg = s.data(b"Subject: smtpspec selftest\r\n\r\nhello\r\n")
assert code == 250, (code, msg)
print(code, msg.decode())
s.quit()
EOF
}

port_closed() {
    "$PY" -I -c 'import socket,sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
except OSError:
    sys.exit(0)
sys.exit(1)' "$1"
}

# cycle KIND STATEDIR RCPT : start, send, check, stop, check
cycle() {
    kind=$1 sd=$2 rcpt=$3
    t0=$(now)
    port=$("$here/$kind.sh" start "$sd") || { bad "$kind start $sd"; return; }
    t1=$(now)
    ok "$kind start $sd -> port $port ($(elapsed "$t0" "$t1"))"
    reply=$(send_one "$port" "$rcpt") && ok "$kind message accepted: $reply" ||
        bad "$kind message: $reply"
    if [ "$kind" = postfix ]; then
        # wait (max 5 s) for the discard(8) delivery to be logged
        qid=$(echo "$reply" | sed -n 's/.*queued as \([0-9A-F]*\).*/\1/p')
        for _ in $(seq 50); do
            grep -q "$qid: removed" "$sd/maillog" && break
            sleep 0.1
        done
        line=$(grep "$qid: to=" "$sd/maillog")
        case $line in
            *"postfix/discard"*"status=sent"*) ok "postfix discarded: ${line#*: }" ;;
            *) bad "postfix delivery line for $qid: '$line'" ;;
        esac
        n=$(find "$sd/spool/incoming" "$sd/spool/active" "$sd/spool/deferred" \
                 "$sd/spool/hold" "$sd/spool/maildrop" -type f | wc -l)
        [ "$n" = 0 ] && ok "postfix queue empty" || bad "postfix queue has $n files"
    fi
    t0=$(now)
    "$here/$kind.sh" stop "$sd" || bad "$kind stop $sd"
    t1=$(now)
    ok "$kind stop ($(elapsed "$t0" "$t1"))"
    port_closed "$port" && ok "port $port closed" || bad "port $port still open"
    "$here/$kind.sh" stop "$sd" && ok "$kind second stop is a no-op" || bad "$kind second stop"
    if [ "$kind" = postfix ]; then
        # every daemon of the instance inherits MAIL_CONFIG=$sd/etc
        left=$(for e in /proc/[0-9]*/environ; do
                   { tr '\0' '\n' <"$e"; } 2>/dev/null | grep -qx "MAIL_CONFIG=$sd/etc" &&
                       ! grep -q '^State:.*zombie' "${e%environ}status" 2>/dev/null &&
                       echo "${e%/environ}"
               done)
        live=$(ps -eo stat=,args= | awk '$1 !~ /Z/ && / -n 127\.0\.0\.1:'"$port"' /')
    else
        live=$(ps -eo stat=,args= | awk '$1 !~ /Z/ && /aiosmtpd/ && /127\.0\.0\.1:'"$port"'/')
        left=
    fi
    [ -z "$left$live" ] && ok "no $kind process left" || bad "processes left: $left$live"
}

kinds=${*:-aiosmtpd postfix}
for kind in $kinds; do
    case $kind in
        aiosmtpd) rcpt=x@example.org; s1=$tmp/a1; s2=$tmp/a2 ;;
        postfix)  rcpt=x@smtpspec-postfix.test; s1=$tmp/p1; s2=$tmp/p2 ;;
        *) echo "unknown server $kind" >&2; exit 2 ;;
    esac
    echo "# $kind: two cycles in a row"
    cycle "$kind" "$s1" "$rcpt"
    cycle "$kind" "$s1" "$rcpt"
    echo "# $kind: two instances at once"
    pa=$("$here/$kind.sh" start "$s1") && pb=$("$here/$kind.sh" start "$s2") &&
        [ "$pa" != "$pb" ] && ok "$kind instances on ports $pa and $pb" ||
        bad "$kind two instances"
    "$here/$kind.sh" start "$s1" >/dev/null 2>&1 &&
        bad "$kind second start in same dir should fail" ||
        ok "$kind refuses a second start in the same dir"
    send_one "$pa" "$rcpt" >/dev/null && send_one "$pb" "$rcpt" >/dev/null &&
        ok "$kind both instances accept mail" || bad "$kind parallel mail"
    "$here/$kind.sh" stop "$s1" && "$here/$kind.sh" stop "$s2" &&
        port_closed "$pa" && port_closed "$pb" && ok "$kind both stopped" ||
        bad "$kind parallel stop"
done
[ $fail = 0 ] && echo "PASS" || echo "FAILED"
exit $fail
