#!/bin/sh
# cli_index_jobs.sh — indexing a generated archive gives the same index, byte for byte, with one,
# two or three workers, also when a small memory budget makes the writer flush segments and the
# workers' analyzers start their form caches over; the index verifies and answers alike.
. tests/lib.sh
GEN=$BUILD/bench/gen

if [ ! -x "$GEN" ]; then
    skip build "$GEN is not built"
    exit 0
fi
"$GEN" -o "$TMP/g" --mb 6 --seed 11 -q || { fail gen "the generator failed"; exit 0; }

for j in 1 2 3; do
    "$PK" index -i "$TMP/j$j" --jobs "$j" --mem 4 "$TMP/g/minutes" >"$TMP/out$j" 2>&1
    check "index_jobs_$j" [ $? -eq 0 ]
done
nseg=$(ls "$TMP/j1" | grep -c '\.ix$')
check several_segments [ "$nseg" -ge 2 ]
same=1
for f in $(cd "$TMP/j1" && ls); do
    [ "$f" = LOCK ] && continue
    for j in 2 3; do cmp -s "$TMP/j1/$f" "$TMP/j$j/$f" || { same=0; echo "# $f differs with --jobs $j"; }; done
done
[ "$(ls "$TMP/j1" | wc -l)" -eq "$(ls "$TMP/j2" | wc -l)" ] || same=0
check same_bytes [ "$same" -eq 1 ]
check verifies "$PK" verify -i "$TMP/j2"

# the same terms and forms as an index built in one segment
"$PK" index -i "$TMP/big" --jobs 2 "$TMP/g/minutes" >/dev/null 2>&1
for q in "elektrifier*" "beslut" "järnväg*"; do
    "$PK" trend -i "$TMP/j3" --json "$q" >"$TMP/t3" 2>&1
    "$PK" trend -i "$TMP/big" --json "$q" >"$TMP/tb" 2>&1
    check "trend_same_$q" cmp -s "$TMP/t3" "$TMP/tb"
done
"$PK" search -i "$TMP/j3" --json "elektrifiering kollektivtrafik" >"$TMP/s3" 2>&1
"$PK" search -i "$TMP/big" --json "elektrifiering kollektivtrafik" >"$TMP/sb" 2>&1
check search_same cmp -s "$TMP/s3" "$TMP/sb"
check search_found grep -q '"doc"' "$TMP/s3"
