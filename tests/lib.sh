# lib.sh — helpers for shell tests: pass/fail/skip lines in the harness format, and paths.
BUILD=${BUILD:-build/release}
PK=${PK:-$BUILD/protokoll}
SUITE=${SUITE:-$(basename "$0" .sh)}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
SHARED=${PK_SHARED:-../shared}
[ -d "$SHARED/corpus" ] || SHARED=
pass() { echo "PASS $SUITE.$1"; }
fail() { echo "FAIL $SUITE.$1: $2"; }
skip() { echo "SKIP $SUITE.$1: $2"; }
# check NAME CONDITION-COMMAND...: pass when the command succeeds
check() { n=$1; shift; if "$@"; then pass "$n"; else fail "$n" "$*"; fi; }
