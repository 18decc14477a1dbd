#!/bin/sh
# run.sh — `make bench`: measure speed and size on the real corpus (../shared/corpus/real) when
# it is beside the project, else on corpus/.  Prints markdown table rows.
BUILD=${BUILD:-build/release}
SHARED=${PK_SHARED:-../shared}
if [ -d "$SHARED/corpus/real" ]; then DATA="$SHARED/corpus/real"; else DATA=corpus; fi
echo "## Analyzer (single thread) on $DATA"
echo
"$BUILD/bench/bench_analyzer" "$DATA" || exit 1
