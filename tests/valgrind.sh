#!/bin/sh
# valgrind.sh — the test suite under valgrind memcheck (make valgrind): every C test binary, every
# fuzz replay and every CLI test, with protokoll itself run through valgrind.  Any memory error and
# any leak (definite, indirect or possible) fails the run.  Tests that preload an I/O shim skip
# themselves (the shim would apply to valgrind); the 50 MB one-line input of cli_badinput.sh
# shrinks to 4 MB, and the out-of-memory tests visit every 25th allocation (PK_OOM_STRIDE).
# Usage: BUILD=build/release sh tests/valgrind.sh [filter]
BUILD=${BUILD:-build/release}
if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind: not installed (apt-get install valgrind)"
    exit 1
fi
VG=build/valgrind
rm -rf "$VG"
mkdir -p "$VG/tests" "$VG/bench" "$VG/logs"
real=$(cd "$BUILD" && pwd)
logs=$(cd "$VG/logs" && pwd)
OPTS="-q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible"
OPTS="$OPTS --errors-for-leak-kinds=definite,indirect,possible --num-callers=30"
OPTS="$OPTS --suppressions=$(pwd)/tests/valgrind.supp"

wrap() {  # wrap PATH BINARY: PATH runs BINARY under memcheck, one log per process
    printf '#!/bin/sh\nexec valgrind %s --log-file=%s/%%p.log "%s" "$@"\n' "$OPTS" "$logs" "$2" >"$1"
    chmod +x "$1"
}
wrap "$VG/protokoll" "$real/protokoll"
for t in "$real"/tests/test_* "$real"/tests/replay_*; do
    [ -x "$t" ] && case "$t" in *.d|*.o) ;; *) wrap "$VG/tests/$(basename "$t")" "$t" ;; esac
done
for b in "$real"/bench/*; do
    [ -x "$b" ] && ln -s "$b" "$VG/bench/$(basename "$b")"   # test data generators: not checked
done

start=$(date +%s)
BUILD=$VG PK_TEST_BIG_MB=4 PK_OOM_STRIDE=${PK_OOM_STRIDE:-25} sh tests/run.sh "$@"
status=$?
secs=$(( $(date +%s) - start ))

procs=$(ls "$logs" | wc -l)
bad=0
for l in "$logs"/*.log; do
    [ -s "$l" ] || continue
    bad=$((bad + 1))
    [ $bad -le 5 ] && { echo "---- $l"; head -n 40 "$l"; }
done
echo "valgrind: $procs processes and forks checked, $bad with memcheck errors or leaks; $secs s"
[ $status -eq 0 ] && [ $bad -eq 0 ]
