#!/bin/sh
# cli_trend_truth.sh — the trend over a small generated archive reproduces the planted per-year counts
# exactly: 'elektrifier*' documents, the topic elektrifiering with its compounds, =elektrifiering, a
# falling, a flat, an everywhere and a peaking topic, and one body on its own.
. tests/lib.sh
GEN=$BUILD/bench/gen
PY=/usr/bin/python3
has() { "$PK" 2>&1 | grep -qE "^  $1( |\$)"; }

if ! has index || ! has trend; then
    skip planted_trend "protokoll index and trend are not both available yet"
    exit 0
fi
if [ ! -x "$GEN" ]; then skip planted_trend "$GEN is not built"; exit 0; fi
if [ ! -x "$PY" ]; then skip planted_trend "$PY (Debian's python3) is not installed"; exit 0; fi

"$GEN" -o "$TMP/g" --docs 300 --seed 5 -q
if ! "$PK" index -i "$TMP/idx" "$TMP/g/minutes" >"$TMP/index.log" 2>&1; then
    fail index "protokoll index failed: $(tail -n 1 "$TMP/index.log")"
    exit 0
fi
pass index

# run_check NAME JSON [BODY_ID]: one PASS/FAIL line per check of gen_trend_check.py
run_check() {
    name=$1; shift
    "$PY" tests/gen_trend_check.py "$TMP/g" "$@" >"$TMP/check.out" 2>&1
    if ! grep -qE '^(ok|MISMATCH) ' "$TMP/check.out"; then
        fail "$name" "$(head -n 1 "$TMP/check.out")"
        return
    fi
    while IFS= read -r line; do
        case "$line" in
            "ok "*) pass "$name: ${line#ok }" ;;
            "MISMATCH "*) rest=${line#MISMATCH }; fail "$name: ${rest%%: *}" "${rest#*: }" ;;
        esac
    done <"$TMP/check.out"
}

if "$PK" trend -i "$TMP/idx" --by year --json 'elektrifier*' elektrifiering '=elektrifiering' \
        fax kollektivtrafik budget bredband >"$TMP/trend.json" 2>"$TMP/trend.err"; then
    run_check all "$TMP/trend.json"
else
    fail trend "protokoll trend failed: $(tail -n 1 "$TMP/trend.err")"
fi

if "$PK" trend -i "$TMP/idx" --by year --body "Södertörns samarbetskommitté" --json elektrifiering 'elektrifier*' \
        >"$TMP/body.json" 2>"$TMP/body.err"; then
    run_check body "$TMP/body.json" sodertorns-samarbetskommitte
else
    fail body "protokoll trend --body failed: $(tail -n 1 "$TMP/body.err")"
fi
