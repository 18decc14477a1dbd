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

# ---- exact kill points: SIGKILL just before or just after the n-th write, fsync or rename of an
# indexing run (--mem 1: a commit after every document, and merges) and of a merge of shards, by
# the LD_PRELOAD shim of tests/iofault.c.  The states right after each manifest switch are the
# committed generations; after every kill the index must be one of them exactly (same manifest,
# same statistics, verify clean), or not exist yet; and indexing again must complete it. ----
exact_points() {
    SHIM=$TMP/iofault.so
    if ! ${CC:-cc} -shared -fPIC -O1 -o "$SHIM" tests/iofault.c -ldl 2>/dev/null; then
        skip exact_points "cannot build the LD_PRELOAD shim (tests/iofault.c) with ${CC:-cc}"; return
    fi
    case "$PK" in *valgrind*) skip exact_points "not under valgrind (LD_PRELOAD would apply to valgrind itself)"; return;; esac
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
    "$GEN" -o "$TMP/k" --docs 12 --seed 11 -q >/dev/null 2>&1 || { fail exact_points "gen failed"; return; }
    for part in 1 2 3; do mkdir -p "$TMP/kpart$part"; done
    i=0
    for f in $(find "$TMP/k/minutes" -type f | sort); do
        i=$((i + 1)); cp "$f" "$TMP/kpart$(( i % 3 + 1 ))/"
    done
    KX=$TMP/kill-index       # the only folder the shim touches
    STATES=$TMP/states
    for scenario in index merge; do
        rm -rf "$STATES"; mkdir -p "$STATES"
        if [ $scenario = index ]; then
            start() { rm -rf "$KX"; }
            work() { "$PK" index -i "$KX" --mem 1 --jobs 1 "$TMP/k/minutes"; }
            final=12
        else
            for part in 1 2 3; do rm -rf "$TMP/kshard$part"; "$PK" index -i "$TMP/kshard$part" "$TMP/kpart$part" >/dev/null 2>&1; done
            rm -rf "$TMP/kbase"; "$PK" index -i "$TMP/kbase" "$TMP/kpart1" >/dev/null 2>&1
            start() { rm -rf "$KX"; cp -r "$TMP/kbase" "$KX"; }
            work() { "$PK" merge -i "$KX" "$TMP/kshard2" "$TMP/kshard3"; }
            final=12
        fi
        # a clean run under the shim: how many of each call
        start; rm -f "$TMP/klog"
        PK_FAULT_PATH=$KX PK_FAULT_LOG=$TMP/klog LD_PRELOAD=$SHIM work >/dev/null 2>&1
        set -- $(cat "$TMP/klog" 2>/dev/null)
        nw=${2:-0} nf=${4:-0} nr=${6:-0}
        if [ "$nr" -lt 1 ]; then fail "${scenario}_exact_points" "the clean run made no manifest switch"; continue; fi
        # the committed generations: the state right after each manifest switch (and the start)
        start
        [ -e "$KX/MANIFEST" ] && { cp "$KX/MANIFEST" "$STATES/m0"; "$PK" stats -i "$KX" --json >"$STATES/s0"; }
        k=1
        while [ $k -le "$nr" ]; do
            start
            PK_FAULT_PATH=$KX PK_FAULT_OP=rename PK_FAULT_AT=$k PK_FAULT_KILL=after LD_PRELOAD=$SHIM work >/dev/null 2>&1
            cp "$KX/MANIFEST" "$STATES/m$k"; "$PK" stats -i "$KX" --json >"$STATES/s$k" 2>&1
            k=$((k + 1))
        done
        points=0 survived=0
        for op in rename write fsync; do
            case $op in rename) total=$nr step=1;; write) total=$nw step=$(( nw / 24 + 1 ));; fsync) total=$nf step=$(( nf / 24 + 1 ));; esac
            for when in before after; do
                k=1
                while [ $k -le "$total" ]; do
                    start
                    PK_FAULT_PATH=$KX PK_FAULT_OP=$op PK_FAULT_AT=$k PK_FAULT_KILL=$when LD_PRELOAD=$SHIM work >/dev/null 2>&1
                    rc=$?
                    points=$((points + 1))
                    name="${scenario}_kill_${when}_${op}_${k}_of_${total}"
                    why=""
                    if [ $rc -ne 137 ]; then why="not killed (exit $rc)"
                    elif [ ! -e "$KX/MANIFEST" ]; then
                        [ ! -e "$STATES/m0" ] || why="the manifest is gone"
                    elif ! "$PK" verify -i "$KX" >/dev/null 2>"$TMP/verr"; then why="verify: $(head -c 200 "$TMP/verr")"
                    else
                        "$PK" stats -i "$KX" --json >"$TMP/snow" 2>&1
                        match=""
                        for m in "$STATES"/m*; do
                            s=$STATES/s${m##*/m}
                            if cmp -s "$m" "$KX/MANIFEST" && cmp -s "$s" "$TMP/snow"; then match=$m; break; fi
                        done
                        [ -n "$match" ] || why="not a committed generation: $(grep '^generation' "$KX/MANIFEST")"
                    fi
                    # and indexing again (without faults) completes the work
                    if [ -z "$why" ]; then
                        work >/dev/null 2>"$TMP/werr"
                        docs=$("$PK" stats -i "$KX" --json 2>/dev/null | sed 's/^{"documents":\([0-9]*\),.*/\1/')
                        [ "$docs" = "$final" ] && "$PK" verify -i "$KX" >/dev/null 2>&1 ||
                            why="run again: $docs documents, want $final: $(head -c 200 "$TMP/werr")"
                    fi
                    if [ -z "$why" ]; then survived=$((survived + 1)); pass "$name"; else fail "$name" "$why"; fi
                    k=$((k + step))
                done
            done
        done
        echo "crash: $scenario: $points kill points, $survived survived ($nw writes, $nf fsyncs, $nr manifest switches in a clean run)" >&2
    done
}
exact_points
