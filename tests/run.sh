#!/bin/sh
# run.sh — run every test binary and shell test; the last line is "N passed, N failed".
# Usage: BUILD=build/release sh tests/run.sh [filter]
BUILD=${BUILD:-build/release}
export BUILD
filter=${1:-}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
for t in "$BUILD"/tests/test_* "$BUILD"/tests/replay_* tests/cli_*.sh; do
    [ -e "$t" ] || continue
    case "$t" in *.d|*.o) continue;; esac
    [ -n "$filter" ] && case "$t" in *"$filter"*) ;; *) continue;; esac
    case "$t" in
        *.sh) sh "$t" >"$out" 2>&1 ;;
        *)    "$t" >"$out" 2>&1 ;;
    esac
    rc=$?
    cat "$out"
    if [ $rc -ne 0 ] && ! grep -aq '^FAIL ' "$out"; then
        echo "FAIL $(basename "$t"): exited with status $rc"
        echo "FAIL $(basename "$t")" >>"$out.fails"
    fi
    grep -a '^PASS ' "$out" >>"$out.all"
    grep -a '^FAIL ' "$out" >>"$out.all"
    grep -a '^SKIP ' "$out" >>"$out.skips"
done
passed=$(grep -ac '^PASS ' "$out.all" 2>/dev/null || true)
failed=$(grep -ac '^FAIL ' "$out.all" 2>/dev/null || true)
crashed=$(cat "$out.fails" 2>/dev/null | wc -l)
skipped=$(cat "$out.skips" 2>/dev/null | wc -l)
rm -f "$out.all" "$out.fails" "$out.skips"
failed=$(( ${failed:-0} + crashed ))
[ "$skipped" -gt 0 ] && echo "($skipped skipped; see SKIP lines above)"
echo "${passed:-0} passed, $failed failed"
[ "$failed" -eq 0 ]
