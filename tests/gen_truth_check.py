#!/usr/bin/python3
"""gen_truth_check.py — recount a generated archive independently and compare it with its truth.

Usage: gen_truth_check.py DIR

Reads DIR/truth/{summary.json,topics.tsv,docs.tsv,meetings.jsonl} written by bench/gen and the files
under DIR/minutes, tokenizes every file on its own (Python's Unicode \\w+ words, lowercased), and
checks that:
  - the files on disk are exactly the meetings listed, with the listed sizes, dates and years;
  - every token that contains a topic's marker is one of that topic's listed forms (no leaks);
  - per meeting, per year and body: documents and occurrences of every class agree with the truth;
  - the Snowball stems recorded for the forms are right (when python3-snowballstemmer is there);
  - every recorded text (title, decisions, follow-ups, upcoming meetings) is the slice of the file
    at its span, participants and owners occur in the file, and dates are plausible.
Prints one "ok ..." or "MISMATCH ..." line per check group; exits 1 on any mismatch.
"""
import collections
import json
import os
import re
import sys

WORD = re.compile(r"\w+")


def main():
    if len(sys.argv) != 2:
        print("usage: gen_truth_check.py DIR", file=sys.stderr)
        return 2
    root = sys.argv[1]
    problems = collections.Counter()
    first_problem = {}

    def bad(group, what):
        problems[group] += 1
        first_problem.setdefault(group, what)

    with open(os.path.join(root, "truth", "summary.json"), encoding="utf-8") as f:
        summary = json.load(f)
    topics = summary["topics"]
    form_info = {}          # topic -> form -> entry
    for t in topics:
        form_info[t["name"]] = {e["form"]: e for e in t["forms"]}

    # Stems: an independent Snowball implementation, when installed.
    try:
        import snowballstemmer
        stemmer = snowballstemmer.stemmer("swedish")
    except ImportError:
        stemmer = None
    if stemmer:
        for t in topics:
            if stemmer.stemWord(t["name"]) != t["stem"]:
                bad("stems", "topic %s" % t["name"])
            for e in t["forms"]:
                st = stemmer.stemWord(e["form"])
                if st != e["stem"]:
                    bad("stems", "%s: %s != %s" % (e["form"], st, e["stem"]))
                if e["exact"] != (e["class"] == "word" and st == t["stem"]):
                    bad("stems", "exact flag of %s" % e["form"])
                if e["prefix"] != st.startswith(t["prefix"]):
                    bad("stems", "prefix flag of %s" % e["form"])

    def classes_of(t, form):
        e = form_info[t][form]
        c = e["class"]
        out = [c, "topic+verb"]
        if c != "verb":
            out.append("topic")
        if e["exact"]:
            out.append("exact")
        if e["prefix"]:
            out.append("prefix")
        if e["prefix"] or c in ("tail", "head"):
            out.append("prefix+parts")
        return out

    cells = collections.defaultdict(lambda: [0, 0])     # (year, body, topic, class) -> [docs, hits]
    ydocs = collections.defaultdict(lambda: [0, 0])     # (year, body) -> [docs, bytes]
    listed = set()
    ndocs = 0
    with open(os.path.join(root, "truth", "meetings.jsonl"), encoding="utf-8") as f:
        for line in f:
            m = json.loads(line)
            ndocs += 1
            src = m["source"]
            listed.add(src)
            path = os.path.join(root, src)
            with open(path, "rb") as g:
                raw = g.read()
            if len(raw) != m["bytes"]:
                bad("files", "%s: %d bytes, truth says %d" % (src, len(raw), m["bytes"]))
            text = raw.decode("utf-8")
            date = m["meeting"]["date"]
            year = date[:4]
            parts = src.split("/")
            if parts[1] != m["body_id"] or parts[2] != year or not parts[3].startswith(date + "_"):
                bad("files", "%s: path does not match body %s and date %s" % (src, m["body_id"], date))
            ydocs[(year, m["body_id"])][0] += 1
            ydocs[(year, m["body_id"])][1] += len(raw)

            # recount topic forms
            counts = collections.Counter()
            for tok in WORD.findall(text.lower()):
                for t in topics:
                    if t["marker"] in tok:
                        if tok not in form_info[t["name"]]:
                            bad("leaks", "%s: token %r contains %r" % (src, tok, t["marker"]))
                        else:
                            counts[(t["name"], tok)] += 1
            per = collections.defaultdict(collections.Counter)
            for (tn, form), n in counts.items():
                for c in classes_of(tn, form):
                    per[tn][c] += n
            for tn, cc in per.items():
                for c, n in cc.items():
                    cell = cells[(year, m["body_id"], tn, c)]
                    cell[0] += 1
                    cell[1] += n
            want = {tn: {c: v for c, v in d.items() if v} for tn, d in m["topics"].items()}
            got = {tn: {c: cc[c] for c in ("word", "head", "tail", "verb") if cc[c]} for tn, cc in per.items()}
            if want != got:
                bad("meetings", "%s: topics %s, recounted %s" % (src, want, got))
            # invariant: a tail or verb form never stands alone in a document
            for tn, cc in per.items():
                if (cc["tail"] or cc["verb"]) and not (cc["word"] or cc["head"]):
                    bad("meetings", "%s: %s has only tail/verb forms" % (src, tn))

            # every recorded text is the slice at its span
            b = raw
            def check_span(obj, key="text"):
                s, e = obj["span"]
                if not (0 <= s <= e <= len(b)) or b[s:e].decode("utf-8", "replace") != obj[key]:
                    bad("spans", "%s: %r not at %s" % (src, obj[key][:40], obj["span"]))
            for it in m["agenda"]:
                check_span(it, "title")
            for it in m["decisions"]:
                check_span(it)
            for it in m["follow_ups"]:
                check_span(it)
                for o in it["owners"]:
                    if o not in it["text"]:
                        bad("records", "%s: owner %s not in %r" % (src, o, it["text"][:50]))
                if it["due"] is not None and it["due"] <= date:
                    bad("records", "%s: due %s not after %s" % (src, it["due"], date))
            for it in m["upcoming_meetings"]:
                check_span(it)
                if it["date"] <= date:
                    bad("records", "%s: upcoming %s not after %s" % (src, it["date"], date))
            if m["meeting"]["title"] not in text:
                bad("records", "%s: title not in text" % src)
            for p in m["participants"]:
                if p["name"] not in text:
                    bad("records", "%s: participant %s not in text" % (src, p["name"]))
            if not m["participants"] or not m["agenda"]:
                bad("records", "%s: no participants or no agenda" % src)

    # no file on disk that the truth does not list
    on_disk = set()
    for dirpath, _, files in os.walk(os.path.join(root, "minutes")):
        for fn in files:
            on_disk.add(os.path.relpath(os.path.join(dirpath, fn), root))
    if on_disk != listed:
        bad("files", "%d files on disk not in the truth, %d listed but missing" %
            (len(on_disk - listed), len(listed - on_disk)))
    if summary["documents"] != ndocs:
        bad("files", "summary says %d documents, meetings.jsonl has %d" % (summary["documents"], ndocs))

    # aggregates
    truth_cells = {}
    with open(os.path.join(root, "truth", "topics.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            y, body, t, c, d, h = line.rstrip("\n").split("\t")
            truth_cells[(y, body, t, c)] = [int(d), int(h)]
    mine = {k: v for k, v in cells.items() if v[0]}
    if mine != truth_cells:
        diff = [k for k in set(mine) | set(truth_cells) if mine.get(k) != truth_cells.get(k)]
        bad("topics.tsv", "%d cells differ, e.g. %s: recount %s, truth %s" %
            (len(diff), diff[0], mine.get(diff[0]), truth_cells.get(diff[0])))
    truth_docs = {}
    with open(os.path.join(root, "truth", "docs.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            y, body, d, nb = line.rstrip("\n").split("\t")
            truth_docs[(y, body)] = [int(d), int(nb)]
    if truth_docs != dict(ydocs):
        bad("docs.tsv", "per-year documents or bytes differ")

    # the planted rise: elektrifiering's topic documents per year (printed for the reader)
    per_year = collections.Counter()
    for (y, _, t, c), (d, _) in mine.items():
        if t == summary["topics"][0]["name"] and c == "topic":
            per_year[y] += d
    print("info %s documents per year: %s" % (summary["topics"][0]["name"],
          " ".join("%s:%d" % (y, per_year[y]) for y in sorted(per_year))))

    groups = ["files", "leaks", "meetings", "spans", "records", "topics.tsv", "docs.tsv", "stems"]
    for gname in groups:
        if gname == "stems" and not stemmer:
            print("skip stems: python3-snowballstemmer is not installed")
            continue
        if problems[gname]:
            print("MISMATCH %s: %d problems; first: %s" % (gname, problems[gname], first_problem[gname]))
        else:
            print("ok %s" % gname)
    return 1 if sum(problems.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
