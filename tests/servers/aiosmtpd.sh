#!/bin/bash
# tests/servers/aiosmtpd.sh - start/stop a private aiosmtpd instance for tests.
#
#   aiosmtpd.sh start STATEDIR   -> prints the port on stdout
#   aiosmtpd.sh stop  STATEDIR   -> idempotent, silent if not running
#
# The server listens on 127.0.0.1 only, on a free port picked at start, and
# uses the aiosmtpd.handlers.Sink handler: every message is accepted and
# thrown away.  STATEDIR receives: port (the number), pid, log.
# Uses Debian's /usr/bin/python3 (package python3-aiosmtpd, 1.4.x).
# Note: the banner/EHLO host name is the machine's FQDN (socket.getfqdn()).
# STARTTLS is on (not required), with a self-signed certificate made at
# start: STATEDIR/tls/cert.pem (aiosmtpd.test and 127.0.0.1).  AUTH is on
# through aiosmtpd_auth.py (aiosmtpd's command line plus an authenticator
# for auth-tester / auth-tester-pass), and advertised over TLS only (aiosmtpd's
# default).
# Extra aiosmtpd CLI options can be passed in $AIOSMTPD_ARGS (word-split),
# e.g. AIOSMTPD_ARGS="-s 33554432 -u" to advertise SIZE and SMTPUTF8.

set -u

PY=/usr/bin/python3
START_TIMEOUT=10        # seconds to wait for the 220 greeting
STOP_TIMEOUT=5          # seconds to wait after SIGTERM before SIGKILL

die() { echo "aiosmtpd.sh: $*" >&2; exit 1; }

usage() { echo "usage: $0 start|stop STATEDIR" >&2; exit 2; }

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

# Succeed if $1 is a live aiosmtpd process (guards against recycled pids).
is_our_server() {
    [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] &&
        tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'aiosmtpd'
}

do_start() {
    sd=$1
    mkdir -p "$sd" || die "cannot create $sd"
    sd=$(cd "$sd" && pwd) || die "cannot enter $sd"
    lock_statedir "$sd"

    if [ -f "$sd/pid" ] && is_our_server "$(cat "$sd/pid")"; then
        die "already running in $sd (pid $(cat "$sd/pid"), port $(cat "$sd/port" 2>/dev/null))"
    fi
    [ -x "$PY" ] || die "$PY not found"
    "$PY" -I -c 'import aiosmtpd.handlers' 2>/dev/null ||
        die "aiosmtpd not importable by $PY (apt-get install python3-aiosmtpd)"

    make_test_cert "$sd" aiosmtpd.test
    # A port picked by free_port can be grabbed by someone else before we
    # bind it; retry a few times with a fresh port in that case.
    for _ in 1 2 3; do
        port=$(free_port) || die "cannot find a free port"
        rm -f "$sd/port" "$sd/pid"
        : >"$sd/log"
        # shellcheck disable=SC2086
        "$PY" -I "$HERE/aiosmtpd_auth.py" -n -c aiosmtpd.handlers.Sink \
            -l "127.0.0.1:$port" --tlscert "$sd/tls/cert.pem" --tlskey "$sd/tls/key.pem" \
            --no-requiretls ${AIOSMTPD_ARGS:-} </dev/null >>"$sd/log" 2>&1 9>&- &
        pid=$!
        echo "$pid" >"$sd/pid"
        echo "$port" >"$sd/port"

        # Wait for the greeting (poll every 0.1 s).
        deadline=$((SECONDS + START_TIMEOUT))
        while [ "$SECONDS" -lt "$deadline" ]; do
            if ! kill -0 "$pid" 2>/dev/null; then
                break
            fi
            if greets_220 "$port"; then
                echo "$port"
                return 0
            fi
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
            rm -f "$sd/pid" "$sd/port"
            die "no 220 greeting on 127.0.0.1:$port within ${START_TIMEOUT}s (log: $sd/log)"
        fi
        wait "$pid" 2>/dev/null
        # Died: retry only if the port was taken, otherwise give up.
        grep -qi 'address already in use' "$sd/log" || break
    done
    rm -f "$sd/pid" "$sd/port"
    echo "aiosmtpd.sh: aiosmtpd failed to start; last lines of $sd/log:" >&2
    tail -n 20 "$sd/log" >&2
    exit 1
}

do_stop() {
    sd=$1
    [ -f "$sd/pid" ] || return 0
    lock_statedir "$sd"
    pid=$(cat "$sd/pid")
    if is_our_server "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        deadline=$((SECONDS + STOP_TIMEOUT))
        while is_our_server "$pid" && [ "$SECONDS" -lt "$deadline" ]; do
            sleep 0.1
        done
        if is_our_server "$pid"; then
            kill -KILL "$pid" 2>/dev/null
            sleep 0.2
        fi
        is_our_server "$pid" && die "could not stop pid $pid"
    fi
    rm -f "$sd/pid"
    return 0
}

[ $# -eq 2 ] || usage
case $1 in
    start) do_start "$2" ;;
    stop)  do_stop "$2" ;;
    *)     usage ;;
esac
