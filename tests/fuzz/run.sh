#!/bin/bash
# tests/fuzz/run.sh - runs each libFuzzer target for SECONDS (default 45)
# on a scratch copy of its seed corpus (the tree's corpus is never
# written), printing one line per target on stderr:
#   fuzz_reply: N executions in S s, 0 crashes (exit 0)
# and "PASSED FAILED" (targets) on stdout, for make check-all's counts.
# Exits 1 when a target crashed, leaked or hung (the file is named).
#   run.sh BUILD_DIR SRC_DIR [SECONDS]
set -u
build=$1 src=$2 seconds=${3:-45}
status=0 passed=0 failed=0
for t in reply suite rules report; do
    bin="$build/tests/fuzz/fuzz_$t"
    work="$build/tests/fuzz/work-$t"
    mkdir -p "$work/corpus" "$work/crashes"
    cp -n "$src/tests/fuzz/corpus/$t/"* "$work/corpus/" 2>/dev/null
    log="$work/fuzz.log"
    FUZZ_RULES_DIR="$src/rules" "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 \
        -timeout=10 -print_final_stats=1 -dict="$src/tests/fuzz/$t.dict" \
        -artifact_prefix="$work/crashes/" "$work/corpus" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    crashes=$(find "$work/crashes" -type f | wc -l)
    echo "fuzz_$t: ${runs:-?} executions in ${seconds} s, $crashes crashes (exit $rc)" >&2
    if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        status=1 failed=$((failed + 1))
        find "$work/crashes" -type f -printf '  crash: %p\n' >&2
        tail -30 "$log" >&2
    else
        passed=$((passed + 1))
    fi
done
echo "$passed $failed"
exit $status
