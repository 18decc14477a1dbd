#!/bin/sh
# cli_extract.sh — `protokoll extract`: records of the documents in tests/extract/ against their
# expected JSON (tests/extract/NAME.json, the indented output), --jsonl, stdin, skipped inputs and
# exit codes.  UPDATE=1 sh tests/cli_extract.sh rewrites the expected files (review the diff).
. tests/lib.sh

for f in tests/extract/*.txt tests/extract/*.md tests/extract/*.tex tests/extract/*.typ; do
    [ -e "$f" ] || continue
    name=$(basename "$f")
    want="tests/extract/$name.json"
    "$PK" extract "$f" >"$TMP/got" 2>"$TMP/err"
    rc=$?
    if [ "${UPDATE:-}" = 1 ]; then cp "$TMP/got" "$want"; fi
    if [ $rc -ne 0 ]; then
        fail "golden_$name" "exit $rc: $(cat "$TMP/err")"
    elif [ ! -f "$want" ]; then
        fail "golden_$name" "no $want (UPDATE=1 writes it)"
    elif cmp -s "$TMP/got" "$want"; then
        pass "golden_$name"
    else
        fail "golden_$name" "differs from $want: $(diff "$want" "$TMP/got" | head -n 6 | tr '\n' ' ')"
    fi
done

# --jsonl: one compact object per document and line, in the order given
"$PK" extract --jsonl tests/extract/forening.md corpus/seed >"$TMP/jsonl" 2>"$TMP/err"
rc=$?
check jsonl_exit_0 [ "$rc" -eq 0 ]
check jsonl_lines [ "$(wc -l <"$TMP/jsonl")" -eq 2 ]
check jsonl_first grep -q '^{"source":"tests/extract/forening.md","meeting":{"title":"Protokoll styrelsemöte Föreningen Ljusglimten"' "$TMP/jsonl"
check jsonl_second grep -q '^{"source":"corpus/seed/2021-08-20_sodertorn_ledningsgrupp.txt",' "$TMP/jsonl"
if [ -x /usr/bin/python3 ]; then
    check jsonl_parses /usr/bin/python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/jsonl"
fi

# standard input
out=$(printf 'Protokoll\n\nDatum: 2024-01-09\n\n1. Öppnande\n\n2. Avslutning\n' | "$PK" extract --jsonl -)
check stdin echo "$out" | grep -q '"source":"-","meeting":{"title":"Protokoll","body":null,"date":"2024-01-09"'

# a missing file: reported with its name and reason, the others still extracted, exit 1
"$PK" extract --jsonl "$TMP/saknas.txt" tests/extract/forening.md >"$TMP/out" 2>"$TMP/err"
rc=$?
check skipped_exit_1 [ "$rc" -eq 1 ]
check skipped_message grep -q "^protokoll: error: $TMP/saknas.txt: " "$TMP/err"
check skipped_others [ "$(wc -l <"$TMP/out")" -eq 1 ]

# usage errors exit 2
"$PK" extract >/dev/null 2>"$TMP/err"
check usage_no_path [ $? -eq 2 ]
"$PK" extract --bogus x >/dev/null 2>"$TMP/err"
check usage_option [ $? -eq 2 ]
"$PK" extract --rules >/dev/null 2>"$TMP/err"
check usage_rules_value [ $? -eq 2 ]
