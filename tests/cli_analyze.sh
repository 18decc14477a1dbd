#!/bin/sh
# cli_analyze.sh — `protokoll analyze` on the seed minutes: compounds split, non-compounds whole,
# JSON and table output, stdin, usage and error exits.
. tests/lib.sh

SEED=corpus/seed/2021-08-20_sodertorn_ledningsgrupp.txt
"$PK" analyze --json - <"$SEED" >"$TMP/seed.json" 2>"$TMP/err"
check seed_json_ok test $? -eq 0 -a -s "$TMP/seed.json"

# The compound parts of a token in a JSON file, as text: ["elektrifiering","frågan"].
JSON=$TMP/seed.json
parts_of() {
    grep -o "\"text\":\"$1\"[^}]*\"parts\":\[[^]]*\]" "$JSON" | head -n 1 | sed 's/.*"parts"://'
}
has_parts() { [ "$(parts_of "$1")" = "$2" ]; }
if [ -f /usr/share/hunspell/sv_SE.dic ]; then
    check seed_elektrifieringsfragan has_parts elektrifieringsfrågan '["elektrifiering","frågan"]'
    check seed_elektrifieringslöftet has_parts Elektrifieringslöftet '["elektrifiering","löftet"]'
    check seed_planeringskonferensen has_parts planeringskonferensen '["planering","konferensen"]'
    check seed_sodertornskonferensen has_parts Södertörnskonferensen '["södertörn","konferensen"]'
    whole_ok=1
    for w in beslutet konferensen ordförande sekreterare budgeten Södertörn Ledningsgruppen; do
        p=$(parts_of "$w")
        case "$w" in
            Ledningsgruppen) [ "$p" = '["ledning","gruppen"]' ] || { echo "  $w: $p"; whole_ok=0; } ;;
            *) [ "$p" = '[]' ] || { echo "  $w: $p"; whole_ok=0; } ;;
        esac
    done
    check seed_non_compounds_whole test $whole_ok -eq 1
    # words that occur only outside the seed, given on the command line
    "$PK" analyze --json protokollet elektrifiering styrelsen järnvägselektrifiering >"$TMP/w.json"
    JSON=$TMP/w.json
    check words_whole sh -c "[ \"\$(grep -o '\"parts\":\[\]' '$TMP/w.json' | wc -l)\" -eq 3 ]"
    check words_jarnvag has_parts järnvägselektrifiering '["järnväg","elektrifiering"]'
else
    skip seed_compounds "hunspell-sv is not installed (make deps)"
fi

# offsets are bytes of the text given
"$PK" analyze --json "  Möte § 12 kl 8.30 den 2021-08-20" >"$TMP/o.json"
check offsets grep -q '"text":"Möte","start":2,"end":7' "$TMP/o.json"
check section grep -q '"text":"§ 12","start":8,"end":13,"pos":1,"type":"section","norm":"§12"' "$TMP/o.json"
check time grep -q '"text":"8.30"[^}]*"type":"time","norm":"08:30"' "$TMP/o.json"
check date grep -q '"type":"date","norm":"2021-08-20"' "$TMP/o.json"

# the table
"$PK" analyze "Elektrifieringsfrågan och beslutet" >"$TMP/t.txt"
check table_header grep -q '^pos  *bytes  *type  *text  *norm  *stem  *stop  *parts' "$TMP/t.txt"
check table_rows sh -c "[ \$(wc -l <'$TMP/t.txt') -eq 4 ]"
check table_stop grep -q '^1 .* och .* stop' "$TMP/t.txt"

# usage and errors
"$PK" analyze >/dev/null 2>"$TMP/err"; rc=$?
check usage_no_text test $rc -eq 2
check usage_message grep -q '^protokoll: error: ' "$TMP/err"
"$PK" analyze --bogus x >/dev/null 2>&1; rc=$?
check usage_bad_option test $rc -eq 2
"$PK" analyze --stopwords /nonexistent/stop.txt x >/dev/null 2>"$TMP/err"; rc=$?
check missing_stopwords test $rc -eq 1
check missing_stopwords_message grep -q '^protokoll: error: analyzer: stopwords: /nonexistent/stop.txt' "$TMP/err"
printf 'beslut\n' >"$TMP/stop.txt"
"$PK" analyze --json --stopwords "$TMP/stop.txt" --no-compounds "beslut och" >"$TMP/s.json"
check custom_stopwords grep -q '"text":"beslut"[^}]*"stopword":true' "$TMP/s.json"
check custom_stopwords_och grep -q '"text":"och"[^}]*"stopword":false' "$TMP/s.json"
# TEXT is analysed as given: invalid bytes separate tokens
"$PK" analyze --json "$(printf '\377\376 ok')" >"$TMP/b.json"; rc=$?
check invalid_bytes test $rc -eq 0
check invalid_bytes_token grep -q '"text":"ok","start":3,"end":5' "$TMP/b.json"
# stdin is read as a document: a Latin-1 file is decoded
printf 'M\366tet beslutade\n' | "$PK" analyze --json - >"$TMP/l.json"; rc=$?
check stdin_latin1 test $rc -eq 0
check stdin_latin1_word grep -q '"text":"Mötet","start":0,"end":6' "$TMP/l.json"
