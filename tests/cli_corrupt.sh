#!/bin/sh
# cli_corrupt.sh — every file of an index (MANIFEST, .ix, .pos, .sto, .del of several segments)
# with one byte changed at several offsets (header, body pages, footer, trailer) or cut short:
# verify exits 1 naming the file; trend, search, show, decisions, followups and stats either give
# exactly the undamaged answer (the damage lies in pages they do not read) or exit 1 with one
# "protokoll: error:" line naming the file; never a crash or a sanitizer report.
. tests/lib.sh

GEN=$BUILD/bench/gen
if [ ! -x "$GEN" ]; then
    skip all "the archive generator ($GEN) is not built"
    exit 0
fi
"$GEN" -o "$TMP/g" --docs 24 --seed 5 -q >/dev/null 2>&1 || { fail generate "gen failed"; exit 0; }
set -- $(find "$TMP/g/minutes" -type f | sort)
mkdir -p "$TMP/a" "$TMP/b"
i=0
for f in "$@"; do
    i=$((i + 1))
    if [ $i -le 14 ]; then cp "$f" "$TMP/a/"; else cp "$f" "$TMP/b/"; fi
done
IX=$TMP/ix
quiet() { "$@" >/dev/null 2>&1; }
# two runs (two segments), then a changed document and a deleted one (deletion files)
"$PK" index -i "$IX" "$TMP/a" >/dev/null 2>&1
"$PK" index -i "$IX" "$TMP/b" >/dev/null 2>&1
changed=$(ls "$TMP/a" | sed -n 3p); gone=$(ls "$TMP/a" | sed -n 5p)
printf '\n§ 12 Övriga frågor\nNämnden beslutar att elektrifiera bussdepån.\n' >>"$TMP/a/$changed"
"$PK" index -i "$IX" "$TMP/a/$changed" >/dev/null 2>&1
"$PK" index -i "$IX" --delete "$TMP/a/$gone" >/dev/null 2>&1
check setup_verify quiet "$PK" verify -i "$IX"
check setup_has_deletions sh -c "ls '$IX' | grep -q '\\.del\$'"
check setup_segments sh -c "[ \$(ls '$IX' | grep -c '\\.ix\$') -ge 2 ]"

QUERIES="trend elektrifiering|trend --by month budget|search budget|search -n 50 beslut|show 1|show 21|decisions|followups elektrifiering|stats --json"
n=0
echo "$QUERIES" | tr '|' '\n' >"$TMP/queries"
while read -r q; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    "$PK" $q -i "$IX" >"$TMP/want$n" 2>&1 || fail "reference_$n" "$q failed on the sound index"
done <"$TMP/queries"

flip() {  # flip FILE OFFSET: change one byte
    b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $(( b ^ 90 )))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

tried=0 detected=0 answered=0 refused=0
for f in $(ls "$IX" | grep -v '^LOCK$'); do
    size=$(wc -c <"$IX/$f")
    # header (magic, version, kind, segment, identity), body pages, footer, trailer; and cuts
    trials=""
    for at in 0 9 13 30 $((size / 5)) $((size * 2 / 5)) $((size * 3 / 5)) $((size * 4 / 5)) $((size - 30)) $((size - 2)); do
        [ "$at" -ge 0 ] && [ "$at" -lt "$size" ] && trials="$trials flip:$at"
    done
    trials="$trials cut:0 cut:$((size / 2)) cut:$((size - 1))"
    for t in $trials; do
        rm -rf "$TMP/d"; cp -r "$IX" "$TMP/d"
        how=${t%%:*} at=${t#*:}
        if [ "$how" = flip ]; then flip "$TMP/d/$f" "$at"; else truncate -s "$at" "$TMP/d/$f"; fi
        tried=$((tried + 1))
        name="${f}_${how}_$at"
        "$PK" verify -i "$TMP/d" >/dev/null 2>"$TMP/err"
        rc=$?
        if [ $rc -eq 1 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "^protokoll: error: verify: .*$f" "$TMP/err"; then
            detected=$((detected + 1)); pass "${name}_verify"
        else
            fail "${name}_verify" "exit $rc: $(head -c 300 "$TMP/err")"
        fi
        n=0
        while read -r q; do
            n=$((n + 1))
            # shellcheck disable=SC2086
            "$PK" $q -i "$TMP/d" >"$TMP/out" 2>"$TMP/err"
            rc=$?
            if [ $rc -eq 0 ] && [ ! -s "$TMP/err" ] && cmp -s "$TMP/out" "$TMP/want$n"; then
                answered=$((answered + 1))
            elif [ $rc -eq 1 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "^protokoll: error: .*$f" "$TMP/err"; then
                refused=$((refused + 1))
            else
                fail "${name}_query_$n" "$q: exit $rc, $(head -c 300 "$TMP/err")"
            fi
        done <"$TMP/queries"
    done
done
echo "corruptions: $tried tried, $detected detected (verify); queries: $refused refused naming the file, $answered answered exactly as before" >&2
check all_detected [ "$tried" -gt 0 -a "$tried" = "$detected" ]
check some_queries_refused [ "$refused" -gt 0 ]
