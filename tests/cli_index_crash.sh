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

# ---- exact kill points: SIGKILL just before, half-way through (a write of half its bytes) or just
# after the n-th write, fsync or rename of a run, by the LD_PRELOAD shim of tests/iofault.c, in four
# scenarios: indexing from nothing (--mem 1: a segment flushed and committed after every document,
# and tiered merges), indexing changed and deleted documents into an index (deletion files),
# folding shards in (merge), and compacting an index (merge without shards).  A clean run's trace
# tells each call's file and phase; the states right after each manifest switch are the committed
# generations.  After every kill the index must be one of them exactly (same manifest, same
# statistics, verify clean), or not exist yet; running again must complete the work and leave no
# orphan files.  Every call of the smaller phases is visited, the rest sampled evenly. ----
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
    for part in 1 2 3; do "$PK" index -i "$TMP/kshard$part" "$TMP/kpart$part" >/dev/null 2>&1; done
    "$PK" index -i "$TMP/kbase" "$TMP/kpart1" >/dev/null 2>&1
    # the replace scenario's documents: three of them changed, one gone
    cp -r "$TMP/k/minutes" "$TMP/kr"
    "$PK" index -i "$TMP/krbase" --mem 1 --jobs 1 "$TMP/kr" >/dev/null 2>&1
    set -- $(find "$TMP/kr" -type f | sort)
    for f in "$2" "$5" "$9"; do printf '\n§ 9 Övriga frågor\nNytt beslut om elektrifiering av bussdepån.\n' >>"$f"; done
    gone=${11}; rm -f "$gone"
    # the compact scenario's index: the replace scenario's result, several segments and deletions
    cp -r "$TMP/krbase" "$TMP/kcbase"
    "$PK" index -i "$TMP/kcbase" --mem 1 --jobs 1 --delete "$gone" "$TMP/kr" >/dev/null 2>&1
    KX=$TMP/kill-index       # the only folder the shim touches
    STATES=$TMP/states
    all_points=0 all_survived=0
    : >"$TMP/visited"
    for scenario in index replace merge compact; do
        rm -rf "$STATES"; mkdir -p "$STATES"
        case $scenario in
        index)
            start() { rm -rf "$KX"; }
            work() { "$PK" index -i "$KX" --mem 1 --jobs 1 "$TMP/k/minutes"; }
            final=12 per=60;;
        replace)
            start() { rm -rf "$KX"; cp -r "$TMP/krbase" "$KX"; }
            work() { "$PK" index -i "$KX" --mem 1 --jobs 1 --delete "$gone" "$TMP/kr"; }
            final=11 per=45;;
        merge)
            start() { rm -rf "$KX"; cp -r "$TMP/kbase" "$KX"; }
            work() { "$PK" merge -i "$KX" "$TMP/kshard2" "$TMP/kshard3"; }
            final=12 per=40;;
        compact)
            start() { rm -rf "$KX"; cp -r "$TMP/kcbase" "$KX"; }
            work() { "$PK" merge -i "$KX"; }
            final=11 per=40;;
        esac
        # a clean run under the shim: every matching call in order
        start; rm -f "$TMP/trace"
        PK_FAULT_PATH=$KX PK_FAULT_TRACE=$TMP/trace LD_PRELOAD=$SHIM work >/dev/null 2>&1
        nr=$(grep -c '^rename ' "$TMP/trace" 2>/dev/null)
        if [ "${nr:-0}" -lt 1 ]; then fail "${scenario}_exact_points" "the clean run made no manifest switch"; continue; fi
        # the committed generations: the start, and the state right after each manifest switch
        start
        [ -e "$KX/MANIFEST" ] && { cp "$KX/MANIFEST" "$STATES/m0"; "$PK" stats -i "$KX" --json >"$STATES/s0"; }
        k=1
        while [ $k -le "$nr" ]; do
            start
            PK_FAULT_PATH=$KX PK_FAULT_OP=rename PK_FAULT_AT=$k PK_FAULT_KILL=after LD_PRELOAD=$SHIM work >/dev/null 2>&1
            cp "$KX/MANIFEST" "$STATES/m$k"; "$PK" stats -i "$KX" --json >"$STATES/s$k" 2>&1
            k=$((k + 1))
        done
        # switches that drop segments are merges; the others add a segment (a flush, or the shards
        # folded in) or deletions
        k=1; : >"$TMP/merges"
        while [ $k -le "$nr" ]; do
            if [ -e "$STATES/m$((k - 1))" ]; then
                awk '/^segment /{print $2}' "$STATES/m$((k - 1))" | sort >"$TMP/before"
                awk '/^segment /{print $2}' "$STATES/m$k" | sort >"$TMP/after"
                [ -n "$(comm -23 "$TMP/before" "$TMP/after")" ] && echo "$k" >>"$TMP/merges"
            fi
            k=$((k + 1))
        done
        # the points: "op k when phase/kind", all of phases with few calls, the rest sampled
        awk -v scen=$scenario -v per=$per -v mfile="$TMP/merges" '
            BEGIN { while ((getline l < mfile) > 0) merge[l] = 1 }
            { op[NR] = $1; k[NR] = $2; path[NR] = $3 }
            END {
                sw = 0
                for (i = 1; i <= NR; i++) {
                    p = path[i]
                    t = sw + 1          # the switch this call leads to
                    if (op[i] == "rename" || p ~ /MANIFEST/) kind = "manifest-switch"
                    else if (p ~ /\.del$/) kind = "deletions"
                    else if (p ~ /\.(ix|pos|sto)$/) kind = "segment"
                    else if (i > 1 && op[i - 1] == "rename") { kind = "manifest-switch"; t = sw }
                    else kind = "folder"
                    phase = (t in merge) ? "merge" : (scen == "merge" ? "fold" : "commit")
                    if (op[i] == "rename") sw++
                    whens = op[i] == "write" ? "before during after" : "before after"
                    nw = split(whens, w, " ")
                    for (j = 1; j <= nw; j++) {
                        c = phase "/" kind
                        cand[++n] = op[i] " " k[i] " " w[j] " " c
                        seen[c " " op[i] " " w[j]]++
                        cat[n] = c " " op[i] " " w[j]
                    }
                }
                step = n > per ? n / per : 1
                next_pick = 1
                for (i = 1; i <= n; i++) {
                    pick = 0
                    if (!(cat[i] in taken)) pick = 1          # every kind of point at least once
                    if (i >= next_pick) { pick = 1; next_pick += step }
                    if (cand[i] ~ /^rename /) pick = 1         # every manifest switch
                    if (pick) { taken[cat[i]] = 1; print cand[i] }
                }
            }' "$TMP/trace" >"$TMP/points"
        points=0 survived=0
        while read -r op k when cat; do
            start
            PK_FAULT_PATH=$KX PK_FAULT_OP=$op PK_FAULT_AT=$k PK_FAULT_KILL=$when LD_PRELOAD=$SHIM work >/dev/null 2>&1 </dev/null
            rc=$?
            points=$((points + 1))
            name="${scenario}_kill_${when}_${op}_${k}_$(echo "$cat" | tr / _)"
            why=""
            if [ $rc -ne 137 ]; then why="not killed (exit $rc)"
            elif [ ! -e "$KX/MANIFEST" ]; then
                [ ! -e "$STATES/m0" ] || why="the manifest is gone"
            elif ! "$PK" verify -i "$KX" >/dev/null 2>"$TMP/verr" </dev/null; then why="verify: $(head -c 200 "$TMP/verr")"
            else
                "$PK" stats -i "$KX" --json >"$TMP/snow" 2>&1 </dev/null
                match=""
                for m in "$STATES"/m*; do
                    s=$STATES/s${m##*/m}
                    if cmp -s "$m" "$KX/MANIFEST" && cmp -s "$s" "$TMP/snow"; then match=$m; break; fi
                done
                [ -n "$match" ] || why="not a committed generation: $(grep '^generation' "$KX/MANIFEST")"
            fi
            # running again (without faults) completes the work and removes what the kill left
            if [ -z "$why" ]; then
                work >/dev/null 2>"$TMP/werr" </dev/null
                docs=$("$PK" stats -i "$KX" --json 2>/dev/null </dev/null | sed 's/^{"documents":\([0-9]*\),.*/\1/')
                if [ "$docs" != "$final" ] || ! "$PK" verify -i "$KX" >/dev/null 2>&1 </dev/null; then
                    why="run again: $docs documents, want $final: $(head -c 200 "$TMP/werr")"
                else
                    orphans=$(ls "$KX" | awk -v man="$KX/MANIFEST" '
                        BEGIN { while ((getline l < man) > 0) if (l ~ /^segment /) { split(l, f, " "); seg[f[2] + 0] = f[10] + 0 } }
                        $0 == "LOCK" || $0 == "MANIFEST" { next }
                        /^seg-[0-9]+\.(ix|pos|sto)$/ { id = substr($0, 5, 6) + 0; if (id in seg) next }
                        /^seg-[0-9]+-g[0-9]+\.del$/ { id = substr($0, 5, 6) + 0; g = substr($0, 13, 6) + 0
                                                     if ((id in seg) && seg[id] == g) next }
                        { printf "%s ", $0 }')
                    [ -z "$orphans" ] || why="left behind after running again: $orphans"
                fi
            fi
            if [ -z "$why" ]; then survived=$((survived + 1)); pass "$name"; else fail "$name" "$why"; fi
            echo "$scenario $cat $when" >>"$TMP/visited"
        done <"$TMP/points"
        set -- $(awk '{print $1}' "$TMP/trace" | sort | uniq -c | awk '{printf "%s %s ", $1, $2}')
        echo "crash: $scenario: $points kill points, $survived survived (clean run: $*, $nr manifest switches)" >&2
        all_points=$((all_points + points)) all_survived=$((all_survived + survived))
    done
    # what was covered: before, during and after segment writes of commits and merges, deletion
    # files, shards folded in, and the manifest switch
    for want in "index commit/segment before" "index commit/segment during" "index commit/segment after" \
                "index merge/segment before" "index merge/segment during" "index merge/segment after" \
                "index commit/manifest-switch before" "index commit/manifest-switch after" \
                "index merge/manifest-switch after" "replace commit/deletions during" \
                "merge fold/segment during" "merge fold/manifest-switch after" \
                "compact merge/segment during" "compact merge/manifest-switch after"; do
        check "covered_$(echo "$want" | tr ' /' '__')" grep -qx "$want" "$TMP/visited"
    done
    echo "crash: by phase and file:" >&2
    sort "$TMP/visited" | uniq -c | sed 's/^/crash:   /' >&2
    echo "crash: $all_points kill points, $all_survived survived" >&2
    check all_kill_points_survived [ "$all_points" -gt 0 -a "$all_points" = "$all_survived" ]
}
exact_points
