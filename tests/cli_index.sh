#!/bin/sh
# cli_index.sh — `protokoll index`, `verify`, `stats`, `merge`: summaries and exit codes, indexing
# again, a changed file, --delete, skipped inputs, the writer lock, and damage of every file kind.
. tests/lib.sh

IX=$TMP/idx
quiet() { "$@" >/dev/null 2>&1; }

# ---- the seed: one meeting ----
"$PK" index -i "$IX" corpus/seed >"$TMP/out" 2>"$TMP/err"
rc=$?
check seed_exit_0 [ "$rc" -eq 0 ]
check seed_summary grep -q "^indexed $IX: 1 added, 0 replaced, 0 unchanged, 0 skipped, 0 deleted; 1 segment" "$TMP/out"
check seed_verify quiet "$PK" verify -i "$IX"
"$PK" stats -i "$IX" --json >"$TMP/stats" 2>"$TMP/err"
check stats_json_shape grep -q '^{"documents":1,"text_bytes":[0-9]*,"terms":[0-9]*,"segments":1,"first_date":"2021-08-20","last_date":"2021-08-20","bytes":{"dictionary":[0-9]*,"postings":[0-9]*,"positions":[0-9]*,"documents":[0-9]*,"stored":[0-9]*,"total":[0-9]*}' "$TMP/stats"
"$PK" stats -i "$IX" >"$TMP/human" 2>&1
check stats_human grep -q '^documents   1, 2021-08-20 to 2021-08-20' "$TMP/human"
PROTOKOLL_INDEX=$IX "$PK" verify >/dev/null 2>&1
check index_from_env [ $? -eq 0 ]

# ---- again: nothing added, nothing rewritten ----
cp "$IX/MANIFEST" "$TMP/manifest.before"
"$PK" index -i "$IX" corpus/seed >"$TMP/out" 2>"$TMP/err"
check again_exit_0 [ $? -eq 0 ]
check again_summary grep -q ": 0 added, 0 replaced, 1 unchanged, 0 skipped" "$TMP/out"
check again_same_generation cmp -s "$IX/MANIFEST" "$TMP/manifest.before"

# ---- a folder of several meetings; one changes, one is deleted ----
mkdir -p "$TMP/arkiv/2021" "$TMP/arkiv/2022"
i=0
for d in 2021-02-03 2021-05-06 2021-09-10 2022-01-12 2022-04-05; do
    y=${d%%-*}
    sed "s/2021-08-20/$d/; s/fredagen den 20 augusti 2021/$d/" corpus/seed/2021-08-20_sodertorn_ledningsgrupp.txt \
        >"$TMP/arkiv/$y/${d}_mote.txt"
    printf '\nÖvrigt: punkt %s om elektrifiering.\n' "$i" >>"$TMP/arkiv/$y/${d}_mote.txt"
    i=$((i + 1))
done
A=$TMP/arkividx
"$PK" index -i "$A" --jobs 2 "$TMP/arkiv" >"$TMP/out" 2>"$TMP/err"
check folder_added grep -q ": 5 added, 0 replaced, 0 unchanged, 0 skipped" "$TMP/out"
printf 'Tillägg: budgeten för tvärförbindelsen diskuterades.\n' >>"$TMP/arkiv/2022/2022-01-12_mote.txt"
"$PK" index -i "$A" "$TMP/arkiv" >"$TMP/out" 2>"$TMP/err"
check changed_replaced grep -q ": 0 added, 1 replaced, 4 unchanged, 0 skipped" "$TMP/out"
docs=$("$PK" stats -i "$A" --json | sed 's/^{"documents":\([0-9]*\),.*/\1/')
check changed_same_count [ "$docs" = 5 ]
"$PK" index -i "$A" --delete "$TMP/arkiv/2021/2021-05-06_mote.txt" >"$TMP/out" 2>"$TMP/err"
check delete_summary grep -q ": 0 added, 0 replaced, 0 unchanged, 0 skipped, 1 deleted" "$TMP/out"
docs=$("$PK" stats -i "$A" --json | sed 's/^{"documents":\([0-9]*\),.*/\1/')
check delete_count [ "$docs" = 4 ]
check delete_verify quiet "$PK" verify -i "$A"
"$PK" index -i "$A" --delete "$TMP/arkiv/none.txt" >"$TMP/out" 2>"$TMP/err"
rc=$?
check delete_missing_exit_1 [ "$rc" -eq 1 ]
check delete_missing_message grep -q "^protokoll: error: --delete $TMP/arkiv/none.txt: .*not in the index" "$TMP/err"
# the deleted file comes back when indexed again
"$PK" index -i "$A" "$TMP/arkiv" >"$TMP/out" 2>"$TMP/err"
check readd_summary grep -q ": 1 added, 0 replaced, 4 unchanged, 0 skipped" "$TMP/out"

# ---- skipped inputs: reported, the rest committed, exit 1 ----
B=$TMP/skipidx
printf '\211PNG\r\n\032\n\0\0\0\rIHDR' >"$TMP/bild.txt"
"$PK" index -i "$B" "$TMP/nosuch.txt" corpus/seed "$TMP/bild.txt" >"$TMP/out" 2>"$TMP/err"
rc=$?
check skipped_exit_1 [ "$rc" -eq 1 ]
check skipped_summary grep -q ": 1 added, 0 replaced, 0 unchanged, 2 skipped" "$TMP/out"
check skipped_named grep -q "^protokoll: error: skipped $TMP/nosuch.txt: " "$TMP/err"
check skipped_binary grep -q "^protokoll: error: skipped $TMP/bild.txt: " "$TMP/err"
check skipped_rest_committed quiet "$PK" verify -i "$B"

# ---- usage ----
"$PK" index -i "$B" >/dev/null 2>&1
check usage_no_paths [ $? -eq 2 ]
"$PK" index -i "$B" --jobs 0 corpus/seed >/dev/null 2>&1
check usage_bad_jobs [ $? -eq 2 ]
"$PK" index -i "$B" --mem x corpus/seed >/dev/null 2>&1
check usage_bad_mem [ $? -eq 2 ]

# ---- a second writer is refused while the first holds the lock ----
if command -v flock >/dev/null 2>&1; then
    flock "$A/LOCK" sh -c "touch '$TMP/locked'; sleep 30" &
    holder=$!
    n=0
    while [ ! -e "$TMP/locked" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
    "$PK" index -i "$A" corpus/seed >"$TMP/out" 2>"$TMP/err"
    rc=$?
    kill "$holder" 2>/dev/null
    wait "$holder" 2>/dev/null
    check busy_exit_1 [ "$rc" -eq 1 ]
    check busy_message grep -q "another writer holds the index lock" "$TMP/err"
    check busy_readers_ok quiet "$PK" verify -i "$A"
else
    skip busy "flock(1) is not installed"
fi

# ---- merge: shards folded in equal one index of everything ----
S1=$TMP/s1; S2=$TMP/s2; M=$TMP/merged; ONE=$TMP/one
"$PK" index -i "$S1" "$TMP/arkiv/2021" >/dev/null 2>&1
"$PK" index -i "$S2" "$TMP/arkiv/2022" >/dev/null 2>&1
"$PK" index -i "$ONE" "$TMP/arkiv/2021" "$TMP/arkiv/2022" >/dev/null 2>&1
"$PK" merge -i "$M" "$S1" "$S2" >"$TMP/out" 2>"$TMP/err"
check merge_exit_0 [ $? -eq 0 ]
check merge_summary grep -q "merged 2 shards into $M: 5 documents added" "$TMP/err"
strip() { sed 's/"generation":[0-9]*,//; s/"bytes":{[^}]*},//; s/"bits_per_[a-z]*":[0-9.e+-]*,//g; s/"percent_of_raw":{[^}]*},//' "$1"; }
"$PK" stats -i "$M" --json >"$TMP/sm" && "$PK" stats -i "$ONE" --json >"$TMP/so"
strip "$TMP/sm" >"$TMP/sm2"; strip "$TMP/so" >"$TMP/so2"
check merge_stats_equal cmp -s "$TMP/sm2" "$TMP/so2"
check merge_verify quiet "$PK" verify -i "$M"
"$PK" merge -i "$M" "$TMP/nosuch" >/dev/null 2>"$TMP/err"
check merge_missing_shard [ $? -eq 1 ]

# ---- damage: every file kind, flipped or cut, is named by verify; nothing crashes ----
D=$TMP/dmg
"$PK" index -i "$D" "$TMP/arkiv" >/dev/null 2>&1
"$PK" index -i "$D" --delete "$TMP/arkiv/2021/2021-02-03_mote.txt" >/dev/null 2>&1
flip() {  # flip FILE FRACTION: change one byte
    size=$(wc -c <"$1")
    at=$(awk -v s="$size" -v f="$2" 'BEGIN { printf "%d", s * f }')
    b=$(dd if="$1" bs=1 skip="$at" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
    printf "$(printf '\\%03o' $(( (b + 1) % 256 )))" | dd of="$1" bs=1 seek="$at" conv=notrunc 2>/dev/null
}
for kind in ix pos sto del MANIFEST; do
    for how in head middle tail cut; do
        rm -rf "$TMP/d2"; cp -r "$D" "$TMP/d2"
        f=$(ls "$TMP/d2" | grep -E "(\\.$kind|^$kind)\$" | head -n 1)
        case $how in
            head) flip "$TMP/d2/$f" 0.01 ;;
            middle) flip "$TMP/d2/$f" 0.5 ;;
            tail) flip "$TMP/d2/$f" 0.995 ;;
            cut) size=$(wc -c <"$TMP/d2/$f"); truncate -s $((size / 2)) "$TMP/d2/$f" ;;
        esac
        "$PK" verify -i "$TMP/d2" >"$TMP/out" 2>"$TMP/err"
        rc=$?
        check "damage_${kind}_${how}_exit_1" [ "$rc" -eq 1 ]
        check "damage_${kind}_${how}_named" grep -q "^protokoll: error: verify: .*$f" "$TMP/err"
        "$PK" stats -i "$TMP/d2" >/dev/null 2>&1
        rc=$?
        check "damage_${kind}_${how}_no_crash" [ "$rc" -le 1 ]
    done
done
