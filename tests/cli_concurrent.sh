#!/bin/sh
# cli_concurrent.sh — queries in a loop, in two processes (one of them on a slow disk), while another process indexes (a commit
# after every document: --mem 1), replaces and deletes documents, folds a shard in and compacts the
# index.  Right after each of the writer's commits, the LD_PRELOAD shim of tests/iofault.c
# (PK_FAULT_ONCOMMIT) copies the index folder: exactly that generation.  Every answer the readers
# got must be the answer of one of those copies, byte for byte; no query may fail.
. tests/lib.sh

GEN=$BUILD/bench/gen
if [ ! -x "$GEN" ]; then
    skip all "the archive generator ($GEN) is not built"
    exit 0
fi
case "$PK" in *valgrind*) skip all "not under valgrind (the writer runs with an LD_PRELOAD shim)"; exit 0;; esac
SHIM=$TMP/iofault.so
if ! ${CC:-cc} -shared -fPIC -O1 -o "$SHIM" tests/iofault.c -ldl 2>/dev/null; then
    skip all "cannot build the LD_PRELOAD shim (tests/iofault.c) with ${CC:-cc}"
    exit 0
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

"$GEN" -o "$TMP/g" --docs 60 --seed 23 -q >/dev/null 2>&1 || { fail generate "gen failed"; exit 0; }
mkdir -p "$TMP/a" "$TMP/b" "$TMP/c" "$TMP/d"
i=0
for f in $(find "$TMP/g/minutes" -type f | sort); do
    i=$((i + 1))
    if [ $i -le 10 ]; then cp "$f" "$TMP/a/"; elif [ $i -le 28 ]; then cp "$f" "$TMP/b/"
    elif [ $i -le 46 ]; then cp "$f" "$TMP/c/"; else cp "$f" "$TMP/d/"; fi
done
IX=$TMP/ix
export PK IX TMP
"$PK" index -i "$IX" "$TMP/a" >/dev/null 2>&1
"$PK" index -i "$TMP/shard" "$TMP/d" >/dev/null 2>&1

# the queries, one a line; an answer is recorded as "QUERY-NUMBER CHECKSUM SIZE"
cat >"$TMP/queries" <<'EOF'
trend --json budget
trend --json --by quarter elektrifiering
search --json -n 5 beslut
decisions --json budget
stats --json
EOF
# a copy of the index folder right after each commit (the old generation's files are still there
# then); the queries run on the copies afterwards
cat >"$TMP/snap.sh" <<'EOF'
n=$(ls "$TMP/snapshots" | wc -l | awk '{ printf "%04d", $1 }')
cp -r "$IX" "$TMP/snap-$$" && mv "$TMP/snap-$$" "$TMP/snapshots/$n"
# then let the readers answer two more queries (a wait of at most 3 s) before the writer goes on
if [ -e "$TMP/readers.started" ]; then
    want=$(( $(cat "$TMP"/answers? 2>/dev/null | wc -l) + 2 )) i=0
    while [ $i -lt 300 ] && [ "$(cat "$TMP"/answers? 2>/dev/null | wc -l)" -lt $want ]; do sleep 0.01; i=$((i + 1)); done
fi
EOF
mkdir -p "$TMP/snapshots"
sh "$TMP/snap.sh"    # the generation the readers start from

reader() {  # reader ID SLOW: the queries in a loop until the writer is done (at most 1000 rounds);
            # SLOW > 0: every open of an index file waits that many microseconds (a slow disk)
    round=0
    while [ $round -lt 1000 ]; do
        round=$((round + 1))
        n=0
        while read -r q; do
            n=$((n + 1))
            # shellcheck disable=SC2086
            if [ "$2" -gt 0 ]; then
                PK_FAULT_PATH=$IX PK_FAULT_SLOW=$2 LD_PRELOAD=$SHIM "$PK" $q -i "$IX" >"$TMP/r$1.out" 2>"$TMP/r$1.err"
            else
                "$PK" $q -i "$IX" >"$TMP/r$1.out" 2>"$TMP/r$1.err"
            fi
            rc=$?
            echo "$n $rc $(cksum <"$TMP/r$1.out")" >>"$TMP/answers$1"
            [ $rc -eq 0 ] || { echo "$q: exit $rc: $(head -c 300 "$TMP/r$1.err")" >>"$TMP/failed"; }
        done <"$TMP/queries"
        [ -e "$TMP/writer.done" ] && break
    done
}

writer() {
    w() {
        PK_FAULT_PATH=$IX PK_FAULT_ONCOMMIT="sh $TMP/snap.sh" LD_PRELOAD=$SHIM "$PK" "$@" >/dev/null 2>>"$TMP/writer.err" ||
            echo "$*: exit $?" >>"$TMP/writer.failed"
    }
    w index -i "$IX" --mem 1 --jobs 1 "$TMP/b"
    w index -i "$IX" --mem 1 --jobs 2 "$TMP/c"
    for f in $(ls "$TMP/a" | sed -n '2p;4p'); do
        printf '\n§ 14 Övriga frågor\nNämnden beslutar att budget för elektrifiering ska tas fram.\n' >>"$TMP/a/$f"
    done
    w index -i "$IX" --mem 1 --jobs 1 --delete "$TMP/b/$(ls "$TMP/b" | head -n 1)" "$TMP/a"
    w merge -i "$IX" "$TMP/shard"
    w merge -i "$IX"
    touch "$TMP/writer.done"
}

touch "$TMP/readers.started"
reader 1 0 &
r1=$!
reader 2 20000 &
r2=$!
writer
wait $r1 $r2

check writer_succeeded [ ! -e "$TMP/writer.failed" ]
[ -e "$TMP/writer.failed" ] && cat "$TMP/writer.failed" "$TMP/writer.err" >&2
# the answers of every committed generation
commits=-1
for snap in "$TMP"/snapshots/*; do
    commits=$((commits + 1))
    n=0
    while read -r q; do
        n=$((n + 1))
        # shellcheck disable=SC2086
        "$PK" $q -i "$snap" >"$TMP/probe.out" 2>&1 || echo "$q on $snap failed" >>"$TMP/probe.err"
        echo "$n $(cksum <"$TMP/probe.out")" >>"$TMP/committed"
    done <"$TMP/queries"
done
check snapshots_answer [ ! -e "$TMP/probe.err" ]
docs=$("$PK" stats -i "$IX" --json | sed 's/^{"documents":\([0-9]*\),.*/\1/')
check final_documents [ "$docs" = 59 ]
check several_commits [ "$commits" -ge 30 ]
cat "$TMP/answers1" "$TMP/answers2" >"$TMP/answers"
queries=$(wc -l <"$TMP/answers")
failed=$(awk '$2 != 0' "$TMP/answers" | wc -l)
check no_failed_query [ "$failed" -eq 0 ]
[ "$failed" -eq 0 ] || head -n 5 "$TMP/failed" >&2
# every answer is that of a committed generation
awk 'NR == FNR { ok[$1 " " $2 " " $3] = 1; next } $2 == 0 && !(($1 " " $3 " " $4) in ok)' \
    "$TMP/committed" "$TMP/answers" >"$TMP/foreign"
check answers_of_committed_generations [ ! -s "$TMP/foreign" ]
[ -s "$TMP/foreign" ] && head -n 5 "$TMP/foreign" >&2
# the readers did run across the commits: they saw several generations (stats names it)
seen=$(awk '$1 == 5 && $2 == 0 { print $3 }' "$TMP/answers" | sort -u | wc -l)
check readers_saw_several_generations [ "$seen" -ge 2 ]
echo "concurrent: $queries queries during $commits commits, $failed failed, $(wc -l <"$TMP/foreign") not of a committed generation; $seen generations seen" >&2
