#!/bin/sh
# cli_gold.sh — extraction scored against the gold files of ../shared/gold (tests/gold_score.py):
# precision, recall and F1 per section and file, and the targets of the extraction issue.
. tests/lib.sh

if [ -z "$SHARED" ] || [ ! -d "$SHARED/gold" ]; then
    skip gold "../shared/gold is not beside the project (set PK_SHARED to score the gold files)"
    exit 0
fi
# Debian's python3 (standard library only); another python3 first on PATH may be a different build
PY=/usr/bin/python3
if [ ! -x "$PY" ]; then
    skip gold "/usr/bin/python3 is not installed (apt-get install python3)"
    exit 0
fi
SUITE=gold "$PY" tests/gold_score.py --targets "$SHARED/gold" "$SHARED" -- "$PK" extract --jsonl
