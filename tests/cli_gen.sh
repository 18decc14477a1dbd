#!/bin/sh
# cli_gen.sh — the archive generator: deterministic, a smaller archive is a prefix of a larger one,
# and its truth agrees with an independent recount of the files it wrote.
. tests/lib.sh
GEN=$BUILD/bench/gen
PY=/usr/bin/python3

if [ ! -x "$GEN" ]; then
    skip build "$GEN is not built"
    exit 0
fi

"$GEN" -o "$TMP/a" --docs 240 --seed 7 -q && "$GEN" -o "$TMP/b" --docs 240 --seed 7 -q
check runs test -s "$TMP/a/truth/meetings.jsonl"
check deterministic diff -r "$TMP/a" "$TMP/b"

"$GEN" -o "$TMP/c" --docs 240 --seed 8 -q
if diff -rq "$TMP/a/minutes" "$TMP/c/minutes" >/dev/null 2>&1; then fail seed_matters "seeds 7 and 8 gave the same files"; else pass seed_matters; fi

# document n depends only on the seed and n: the first 100 documents are the same files
"$GEN" -o "$TMP/p" --docs 100 --seed 7 -q
prefix_ok=1
for f in $(cd "$TMP/p" && find minutes -type f); do
    cmp -s "$TMP/p/$f" "$TMP/a/$f" || { prefix_ok=0; echo "# differs: $f"; break; }
done
[ "$(cd "$TMP/p" && find minutes -type f | wc -l)" -eq 100 ] || prefix_ok=0
check prefix test "$prefix_ok" -eq 1

# --mb: at least the size asked for, and not much more
"$GEN" -o "$TMP/m" --mb 1 --seed 7 -q
bytes=$(sed -n 's/^  "bytes": \([0-9]*\),$/\1/p' "$TMP/m/truth/summary.json")
check mb_size test "${bytes:-0}" -ge 1000000 -a "${bytes:-0}" -lt 1100000

# refuses to mix a new archive into an old one
if "$GEN" -o "$TMP/a" --docs 5 -q 2>/dev/null; then fail refuses_existing "wrote into an existing archive"; else pass refuses_existing; fi

if [ ! -x "$PY" ]; then
    skip truth "$PY (Debian's python3) is not installed"
    exit 0
fi
out=$("$PY" tests/gen_truth_check.py "$TMP/a" 2>&1)
echo "$out" | sed 's/^/# /'
if echo "$out" | grep -q '^MISMATCH' || ! echo "$out" | grep -q '^ok topics.tsv'; then
    fail truth "$(echo "$out" | grep -m1 -E '^MISMATCH|Error')"
else
    pass truth
fi

# the built-in word list (no /usr/share/dict/swedish) gives a consistent archive too
"$GEN" -o "$TMP/w" --docs 60 --seed 2 --words none -q
out=$("$PY" tests/gen_truth_check.py "$TMP/w" 2>&1)
if echo "$out" | grep -q '^MISMATCH' || ! echo "$out" | grep -q '^ok topics.tsv'; then
    fail truth_builtin_words "$(echo "$out" | grep -m1 -E '^MISMATCH|Error')"
else
    pass truth_builtin_words
fi

# the planted rise: more elektrifiering documents per meeting in the last five years than the first five
rise=$("$PY" - "$TMP/c" <<'PYEOF'
import sys, collections
root = sys.argv[1]
docs = collections.Counter(); hit = collections.Counter()
for line in open(root + "/truth/docs.tsv", encoding="utf-8").readlines()[1:]:
    y, b, d, _ = line.split("\t"); docs[int(y)] += int(d)
for line in open(root + "/truth/topics.tsv", encoding="utf-8").readlines()[1:]:
    y, b, t, c, d, h = line.rstrip("\n").split("\t")
    if t == "elektrifiering" and c == "topic": hit[int(y)] += int(d)
early = sum(hit[y] for y in range(2000, 2005)) / max(1, sum(docs[y] for y in range(2000, 2005)))
late = sum(hit[y] for y in range(2021, 2026)) / max(1, sum(docs[y] for y in range(2021, 2026)))
print("ok" if late > 3 * early and late > 0.2 else "no %.3f %.3f" % (early, late))
PYEOF
)
check planted_rise test "$rise" = ok
