#!/bin/sh
# cli_read.sh — `protokoll read`: text and JSON output, stdin, folders, skipped inputs, exit codes.
. tests/lib.sh

mkdir -p "$TMP/arkiv/2021" "$TMP/arkiv/.git"
printf '# Styrelsemöte\n\n##Närvarande\n– Anna\n– Bo\n' > "$TMP/arkiv/2021/2021-09-02.md"
printf 'M\366tet \366ppnas 2021-08-20\r\n' > "$TMP/arkiv/latin1.txt"
printf '\211PNG\r\n\032\n\0\0\0\rIHDR' > "$TMP/arkiv/bild.md"
printf 'ignored\n' > "$TMP/arkiv/.git/x.md"

# one file: its canonical text, nothing else
out=$("$PK" read "$TMP/arkiv/2021/2021-09-02.md")
check text_output [ "$out" = "$(printf '# Styrelsemöte\n\n## Närvarande\n\n- Anna\n- Bo')" ]

# stdin
out=$(printf 'Hej\r\nv\344rlden\n' | "$PK" read -)
check stdin [ "$out" = "$(printf 'Hej\nvärlden')" ]

# a folder: sorted, hidden entries skipped, a binary file reported, exit 1
"$PK" read "$TMP/arkiv" >"$TMP/out" 2>"$TMP/err"
rc=$?
check folder_exit_1 [ "$rc" -eq 1 ]
check folder_headers grep -q "==> $TMP/arkiv/2021/2021-09-02.md <==" "$TMP/out"
check folder_order [ "$(grep -c '^==>' "$TMP/out")" -eq 2 ]
check folder_latin1 grep -q '^Mötet öppnas 2021-08-20$' "$TMP/out"
check skip_message grep -q "^protokoll: error: $TMP/arkiv/bild.md: binary data (PNG image)\$" "$TMP/err"
check hidden_skipped sh -c "! grep -q ignored '$TMP/out'"

# JSON: one object per document and line
"$PK" read --json "$TMP/arkiv/latin1.txt" "$TMP/arkiv/2021/2021-09-02.md" >"$TMP/json" 2>"$TMP/err"
rc=$?
check json_exit_0 [ "$rc" -eq 0 ]
check json_lines [ "$(wc -l <"$TMP/json")" -eq 2 ]
check json_fields grep -q '^{"path":".*latin1.txt","format":"text","date":"2021-08-20","date_from":"text","repairs":\["latin1","newlines"\],"bytes":25,' "$TMP/json"
check json_text grep -q '"text":"# Styrelsemöte\\n\\n## Närvarande\\n\\n- Anna\\n- Bo\\n"' "$TMP/json"
if [ -x /usr/bin/python3 ]; then
    check json_parses /usr/bin/python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/json"
fi

# a missing path and a usage error
"$PK" read "$TMP/nope.md" >/dev/null 2>"$TMP/err"
rc=$?
check missing_exit_1 [ "$rc" -eq 1 ]
check missing_message grep -q "^protokoll: error: $TMP/nope.md: No such file or directory\$" "$TMP/err"
"$PK" read >/dev/null 2>&1
check usage_exit_2 [ $? -eq 2 ]
"$PK" read --bogus x >/dev/null 2>&1
check bad_option_exit_2 [ $? -eq 2 ]

# gzip by magic bytes, truncated gzip reported
printf '# Rubrik\n\nText om budget.\n' | gzip -c > "$TMP/min.md.gz"
out=$("$PK" read "$TMP/min.md.gz")
check gzip [ "$out" = "$(printf '# Rubrik\n\nText om budget.')" ]
head -c 20 "$TMP/min.md.gz" > "$TMP/kort.md.gz"
"$PK" read "$TMP/kort.md.gz" >/dev/null 2>"$TMP/err"
check gzip_truncated grep -q "kort.md.gz: truncated gzip data" "$TMP/err"

# the seed reads as dated text
if [ -f corpus/seed/2021-08-20_sodertorn_ledningsgrupp.txt ]; then
    "$PK" read --json corpus/seed/2021-08-20_sodertorn_ledningsgrupp.txt >"$TMP/seed"
    check seed_date grep -q '"date":"2021-08-20","date_from":"text"' "$TMP/seed"
fi
