#!/usr/bin/python3
# snowball_count.py — an independent count of Snowball Swedish stems in the reader's text, to check
# `protokoll trend =WORD` against.  Reads `protokoll read --json` lines on stdin; prints, for the
# N most frequent stems of content words, "WORD STEM DOCS HITS" (WORD: the stem's commonest form).
import collections, json, re, sys

import snowballstemmer

n = int(sys.argv[1]) if len(sys.argv) > 1 else 12
stopwords = set()
with open(sys.argv[2] if len(sys.argv) > 2 else "stopwords/sv.txt", encoding="utf-8") as f:
    for line in f:
        w = line.split("#", 1)[0].strip()
        if w:
            stopwords.add(w)

stem = snowballstemmer.stemmer("swedish").stemWord
word_re = re.compile(r"[^\W\d_]+")
docs = collections.Counter()
hits = collections.Counter()
forms = collections.defaultdict(collections.Counter)
cache = {}
for line in sys.stdin:
    doc = json.loads(line)
    seen = set()
    for w in word_re.findall(doc["text"].lower()):
        if w in stopwords or len(w) < 4:
            continue
        s = cache.get(w)
        if s is None:
            s = cache[w] = stem(w)
        hits[s] += 1
        forms[s][w] += 1
        seen.add(s)
    for s in seen:
        docs[s] += 1

for s, h in hits.most_common(n):
    word = forms[s].most_common(1)[0][0]
    print(word, s, docs[s], h)
