#!/bin/sh
# cli_index_crash.sh — kill -9 during indexing and merging, at several points: the last committed
# generation stays readable and verify clean, and indexing again completes the index.
. tests/lib.sh

GEN=$BUILD/bench/gen
if [ ! -x "$GEN" ]; then
    skip all "the archive generator ($GEN) is not built"
    exit 0
fi
"$GEN" -o "$TMP/g" --mb 6 --seed 7 -q >/dev/null 2>&1 || { fail generate "gen failed"; exit 0; }
files=$(find "$TMP/g/minutes" -type f | wc -l)

sound() {  # sound IDX: verify is clean, or nothing was committed yet
    if [ -e "$1/MANIFEST" ]; then
        "$PK" verify -i "$1" >/dev/null 2>"$TMP/verr" && "$PK" stats -i "$1" --json >/dev/null 2>&1
    else
        ! ls "$1" 2>/dev/null | grep -q '^seg-.*\.ix$' || true
    fi
}

IX=$TMP/idx
k=0
for t in 0.05 0.2 0.4 0.7 1.0 1.5 2.0; do
    # small budgets: many flushes, commits and merges to be interrupted
    "$PK" index -i "$IX" --mem 1 --jobs 2 "$TMP/g/minutes" >/dev/null 2>&1 &
    pid=$!
    sleep "$t"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    k=$((k + 1))
    check "killed_${k}_sound" sound "$IX"
done
"$PK" index -i "$IX" --mem 1 "$TMP/g/minutes" >"$TMP/out" 2>&1
rc=$?; [ $rc -eq 0 ] || cat "$TMP/out" >&2
check complete_exit_0 [ $rc -eq 0 ]
docs=$("$PK" stats -i "$IX" --json | sed 's/^{"documents":\([0-9]*\),.*/\1/')
check complete_all_documents [ "$docs" = "$files" ]
check complete_verify sound "$IX"
check no_orphans sh -c "! ls '$IX' | grep -q 'MANIFEST.tmp'"

# merge: shards folded into a target, killed along the way
for d in "$TMP"/g/minutes/*/; do
    b=$(basename "$d")
    "$PK" index -i "$TMP/shard-$b" "$d" >/dev/null 2>&1
done
M=$TMP/merged
"$PK" index -i "$M" "$TMP/g/minutes/$(ls "$TMP/g/minutes" | head -n 1)" >/dev/null 2>&1
for t in 0.05 0.3 0.8; do
    "$PK" merge -i "$M" "$TMP"/shard-* >/dev/null 2>&1 &
    pid=$!
    sleep "$t"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    check "merge_killed_${t}_sound" sound "$M"
done
"$PK" merge -i "$M" "$TMP"/shard-* >"$TMP/out" 2>&1
rc=$?; [ $rc -eq 0 ] || cat "$TMP/out" >&2
check merge_complete_exit_0 [ $rc -eq 0 ]
docs=$("$PK" stats -i "$M" --json | sed 's/^{"documents":\([0-9]*\),.*/\1/')
check merge_all_documents [ "$docs" = "$files" ]
check merge_verify sound "$M"
