#!/bin/sh
# cli_query.sh — trend, search, decisions, followups and show on an index of the seed, the query
# language's errors, and =WORD counts on the real corpus against an independent Snowball count.
. tests/lib.sh
has() { "$PK" 2>&1 | grep -qE "^  $1( |\$)"; }
if ! has index || ! has trend; then
    skip all "protokoll index and trend are not both available yet"
    exit 0
fi
IX=$TMP/seed.idx
if ! "$PK" index -i "$IX" corpus/seed >"$TMP/ix.log" 2>&1; then
    fail index_seed "$(tail -n 2 "$TMP/ix.log")"
    exit 0
fi
pass index_seed

# period_hits JSON QUERY-INDEX PERIOD -> hits
jq_hits() { /usr/bin/python3 -c '
import json,sys
d=json.load(open(sys.argv[1])); r=d["results"][int(sys.argv[2])]
s=[e for e in r["series"] if e["period"]==sys.argv[3]]
print(s[0][sys.argv[4]] if s else -1)' "$@"; }

"$PK" trend -i "$IX" --json elektrifiering =elektrifiering konferens =konferens '"tvärförbindelse södertörn"' >"$TMP/t.json"
check trend_json_exit test $? -eq 0
h=$(jq_hits "$TMP/t.json" 0 2021 hits); check "topic_elektrifiering_9_or_10 ($h)" test "$h" -ge 9 -a "$h" -le 10
h=$(jq_hits "$TMP/t.json" 1 2021 hits); check "exact_elektrifiering_1 ($h)" test "$h" -eq 1
h=$(jq_hits "$TMP/t.json" 2 2021 hits); check "topic_konferens_19_or_20 ($h)" test "$h" -ge 19 -a "$h" -le 20
h=$(jq_hits "$TMP/t.json" 3 2021 hits); check "exact_konferens_6 ($h)" test "$h" -eq 6
h=$(jq_hits "$TMP/t.json" 4 2021 hits); check "phrase_tvarforbindelse_sodertorn_5 ($h)" test "$h" -eq 5
d=$(jq_hits "$TMP/t.json" 0 2021 docs); check "topic_docs_1 ($d)" test "$d" -eq 1
t=$(jq_hits "$TMP/t.json" 0 2021 total_tokens); check "total_tokens_positive ($t)" test "$t" -gt 1000
/usr/bin/python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
assert d["by"]=="year"
r=d["results"][0]
assert r["query"]=="elektrifiering"
assert "elektrifiering" in r["matched_terms"] and "+elektrifiering" in r["matched_terms"], r["matched_terms"]
assert set(r["series"][0]) >= {"period","docs","hits","total_docs","total_tokens"}
assert d["results"][1]["matched_terms"]==["elektrifiering"], d["results"][1]["matched_terms"]
' "$TMP/t.json" 2>"$TMP/err"
check "trend_json_shape $(head -c 200 "$TMP/err")" test ! -s "$TMP/err"

# months: every month from the first to the last indexed date, zeros included (one meeting: one month)
"$PK" trend -i "$IX" --by month --json budget >"$TMP/m.json"
n=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["results"][0]["series"]))' "$TMP/m.json")
check "by_month_one_period ($n)" test "$n" -eq 1
"$PK" trend -i "$IX" --csv elektrifiering >"$TMP/t.csv"
check csv_header grep -q '^period,query,docs,hits,total_docs,total_tokens' "$TMP/t.csv"
check csv_row grep -q '^2021,elektrifiering,1,' "$TMP/t.csv"
"$PK" trend -i "$IX" elektrifiering >"$TMP/t.txt"
check table_has_bar grep -q '█' "$TMP/t.txt"
"$PK" trend -i "$IX" elektrifiering konferens >"$TMP/t2.txt"
check side_by_side_header grep -q '\[1\] hits.*\[2\] hits' "$TMP/t2.txt"
check side_by_side_row grep -qE '^2021 +1 +9 .* 20 ' "$TMP/t2.txt"

"$PK" search -i "$IX" --json elektrifiering >"$TMP/s.json"
/usr/bin/python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
assert d["total"]==1, d["total"]
h=d["hits"][0]
assert h["date"]=="2021-08-20" and h["source"].endswith("2021-08-20_sodertorn_ledningsgrupp.txt")
assert h["score"]>0
assert any("**" in s and "lektrifiering" in s.lower() for s in h["snippets"]), h["snippets"]
' "$TMP/s.json" 2>"$TMP/err"
check "search_snippet $(head -c 300 "$TMP/err")" test ! -s "$TMP/err"

"$PK" decisions -i "$IX" --json elektrifiering >"$TMP/d.json"
/usr/bin/python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
assert d["total"]>=1 and all("lektrifiering" in x["text"].lower() for x in d["decisions"]), d
assert d["decisions"][0]["date"]=="2021-08-20"
' "$TMP/d.json" 2>"$TMP/err"
check "decisions_by_topic $(head -c 300 "$TMP/err")" test ! -s "$TMP/err"
"$PK" followups -i "$IX" --json --due-after 2021-09-01 >"$TMP/f.json"
/usr/bin/python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
assert d["total"]>=1 and all(x["due"]>"2021-09-01" for x in d["follow_ups"]), d
' "$TMP/f.json" 2>"$TMP/err"
check "followups_due_after $(head -c 300 "$TMP/err")" test ! -s "$TMP/err"

"$PK" show -i "$IX" --json 1 >"$TMP/show.json"
/usr/bin/python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
assert d["doc"]==1 and d["record"]["meeting"]["date"]=="2021-08-20" and "Elektrifieringsfrågor" in d["text"]
' "$TMP/show.json" 2>"$TMP/err"
check "show_by_id $(head -c 300 "$TMP/err")" test ! -s "$TMP/err"
"$PK" show -i "$IX" corpus/seed/2021-08-20_sodertorn_ledningsgrupp.txt >/dev/null
check show_by_path test $? -eq 0
"$PK" show -i "$IX" 999 >/dev/null 2>"$TMP/err"
rc=$?; check "show_missing_exit_1 ($rc)" test $rc -eq 1
check show_missing_message grep -q 'no document' "$TMP/err"

# errors: exit 2 with the column, never a crash
for q in '(elektrifiering' 'a OR' '"open' 'year:20x1' 'foo:bar' '=' 'el*ek' ')'; do
    "$PK" trend -i "$IX" "$q" >/dev/null 2>"$TMP/err"
    rc=$?
    check "bad_query_exit_2 [$q] ($rc)" test $rc -eq 2
    check "bad_query_has_column [$q]" grep -q 'col [0-9]' "$TMP/err"
done
"$PK" trend -i "$IX" --by decade x >/dev/null 2>&1; rc=$?; check "bad_option_exit_2 ($rc)" test $rc -eq 2
"$PK" trend -i "$TMP/nothing-here" x >/dev/null 2>"$TMP/err"; rc=$?
check "missing_index_exit_1 ($rc)" test $rc -eq 1

# =WORD on the real corpus against an independent Snowball count of the same text (within 3%)
if [ -z "$SHARED" ]; then skip snowball_agreement "../shared is not beside the project"; exit 0; fi
if ! /usr/bin/python3 -c 'import snowballstemmer' 2>/dev/null; then
    skip snowball_agreement "python3-snowballstemmer is not installed"; exit 0
fi
R=$TMP/real.idx
"$PK" index -i "$R" "$SHARED/corpus/real" >"$TMP/rix.log" 2>&1
"$PK" read --json "$SHARED/corpus/real" 2>/dev/null | /usr/bin/python3 tests/snowball_count.py 12 >"$TMP/top.txt"
n=$(wc -l <"$TMP/top.txt"); check "snowball_words_12 ($n)" test "$n" -eq 12
while read -r word stem docs hits; do
    "$PK" trend -i "$R" --json "=$word" >"$TMP/w.json" 2>"$TMP/err"
    /usr/bin/python3 -c '
import json,sys
d=json.load(open(sys.argv[1])); r=d["results"][0]
docs=sum(e["docs"] for e in r["series"]); hits=sum(e["hits"] for e in r["series"])
want_docs,want_hits=int(sys.argv[2]),int(sys.argv[3])
ok=abs(docs-want_docs)<=0.03*want_docs and abs(hits-want_hits)<=0.03*want_hits
print("docs %d/%d hits %d/%d terms %s" % (docs,want_docs,hits,want_hits,r["matched_terms"]))
sys.exit(0 if ok else 1)' "$TMP/w.json" "$docs" "$hits" >"$TMP/cmp.txt" 2>&1
    rc=$?
    check "snowball_agreement =$word ($(cat "$TMP/cmp.txt"))" test $rc -eq 0
done <"$TMP/top.txt"
