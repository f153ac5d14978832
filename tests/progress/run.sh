#!/bin/bash
# The progress line (src/progress.c), read off a real terminal: smtpspec
# runs in tmux against a slow fake server while capture-pane reads the
# screen.  The line shows cases done of all, the verdicts so far and the
# slowest running case, is redrawn in place and erased at the end; it is
# absent when stderr is not a terminal, with CI set, and with --quiet.
set -u
bin=${SMTPSPEC:-./smtpspec}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
src=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d /tmp/smtpspec-progress.XXXXXX)
sock=smtpspec-progress-$$
passed=0 failed=0
ok() { echo "  pass: $1"; passed=$((passed + 1)); }
notok() { echo "  FAIL: $1"; failed=$((failed + 1)); }
n=0
cleanup() {
    for i in $(seq 0 "$n"); do tmux -L "$sock-$i" kill-server 2>/dev/null; done
    [ -n "${srv:-}" ] && kill "$srv" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
command -v tmux >/dev/null || { notok "tmux is not installed"; echo "0 passed, 1 failed"; exit 1; }

# every reply 300 ms late: basic's 14 cases take a few seconds at -j 2
echo '{"reply_delay_ms": 300}' >"$tmp/slow.json"
/usr/bin/python3 "$src/tests/fakesmtp/fakesmtp.py" --scenario "$tmp/slow.json" \
    --port-file "$tmp/port" --max-seconds 120 >/dev/null 2>&1 &
srv=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
run="'$bin' --suites-dir '$src/suites' --suite basic -j 2 --timeout 5 --no-color 127.0.0.1:$port"

# start COMMAND in a fresh 150x40 terminal, on a tmux server of its own
# (a new server on a socket whose old server is still going away fails)
session() {
    tmux -L "$sock-$n" kill-server 2>/dev/null
    n=$((n + 1))
    tmux -L "$sock-$n" new-session -d -x 150 -y 40 "$1; echo EXIT=\$?; sleep 30"
}
screen() { tmux -L "$sock-$n" capture-pane -p -t 0 2>/dev/null; }
wait_exit() {
    for _ in $(seq 300); do screen | grep -q '^EXIT=' && return 0; sleep 0.1; done
    return 1
}

session "env -u CI $run"
sleep 2.5
screen >"$tmp/during"
line=$(grep -E '^\[[0-9]+/14\] so far [0-9]+ fail, [0-9]+ warn, [0-9]+ info' "$tmp/during")
[ -n "$line" ] && ok "during the run: \"$line\"" || notok "no progress line on the screen: $(cat "$tmp/during")"
echo "$line" | grep -qE '; slowest now: basic\.[a-z0-9.-]+ \([0-9]+\.[0-9] s\)' &&
    ok "it names the slowest running case and its time" || notok "no slowest case in \"$line\""
[ "$(grep -c 'so far' "$tmp/during")" -le 1 ] && ok "one line, redrawn in place (not scrolled)" \
    || notok "the progress line was printed $(grep -c 'so far' "$tmp/during") times"
n1=$(sed -nE 's/^\[([0-9]+)\/14\].*/\1/p' "$tmp/during")
for _ in $(seq 40); do      # the next case to end, within 4 s
    sleep 0.1
    n2=$(screen | sed -nE 's/^\[([0-9]+)\/14\].*/\1/p')
    [ -n "$n2" ] && [ "$n2" != "$n1" ] && break
done
[ -n "$n1" ] && [ -n "$n2" ] && [ "$n2" -gt "$n1" ] && ok "it updates ($n1, then $n2 cases done)" \
    || notok "no update: $n1 then $n2"
wait_exit || notok "the run did not end"
screen >"$tmp/after"
! grep -q 'so far' "$tmp/after" && grep -q '^14 cases: ' "$tmp/after" &&
    ok "at the end the line is erased and the summary printed" || notok "after: $(cat "$tmp/after")"

# off when stderr is not a terminal, with CI set, with --quiet
session "env -u CI $run 2>'$tmp/stderr'"
wait_exit || notok "the run with stderr to a file did not end"
[ ! -s "$tmp/stderr" ] && ok "stderr to a file: nothing written to it" \
    || notok "stderr to a file got: $(head -c 200 "$tmp/stderr" | od -c | head -3)"
session "env CI=true $run"
sleep 2.5
screen >"$tmp/ci"
! grep -q 'so far' "$tmp/ci" && ok "CI=true: no progress line" || notok "CI=true: $(grep 'so far' "$tmp/ci")"
wait_exit || notok "the run with CI=true did not end"
session "env -u CI $run --quiet"
sleep 2.5
screen >"$tmp/quiet"
wait_exit || notok "the run with --quiet did not end"
screen >"$tmp/quiet-after"
! grep -q 'so far' "$tmp/quiet" && [ "$(grep -cv '^$' "$tmp/quiet-after")" -eq 2 ] &&
    grep -q '^14 cases: ' "$tmp/quiet-after" && ok "--quiet: no progress line, only the totals" \
    || notok "--quiet: $(cat "$tmp/quiet" "$tmp/quiet-after")"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
