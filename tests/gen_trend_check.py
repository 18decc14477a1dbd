#!/usr/bin/python3
"""gen_trend_check.py — compare `protokoll trend --json` over a generated archive with its planted truth.

Usage: gen_trend_check.py DIR TREND.json [BODY_ID]

DIR is an archive written by bench/gen and indexed alone; TREND.json the output of
`protokoll trend --json --by year QUERY...` over it (with --body when BODY_ID is given, which then
restricts the truth to that body).  Queries are recognised by form:
  PREFIX*   per-year documents must equal the truth's "prefix" class exactly (documents with a
            word whose Snowball stem starts with PREFIX); occurrences must equal "prefix" (whole-word
            terms) or "prefix+parts" (compound parts too)
  =WORD     documents and occurrences equal the "exact" class (forms stemming to WORD's stem)
  WORD      the topic: documents equal "topic" (inflections and compounds at either end);
            occurrences equal "topic", or "topic+verb" when the engine also counts the verb forms
Also: every year from the first to the last indexed one is present, and (without BODY_ID)
total_docs per year equals the number of meetings generated for that year.
Prints "ok NAME" or "MISMATCH NAME: ..." per check and exits 1 on any mismatch.
"""
import collections
import json
import sys


def main():
    if len(sys.argv) not in (3, 4):
        print("usage: gen_trend_check.py DIR TREND.json [BODY_ID]", file=sys.stderr)
        return 2
    root, trend_path = sys.argv[1], sys.argv[2]
    body = sys.argv[3] if len(sys.argv) == 4 else None
    summary = json.load(open(root + "/truth/summary.json", encoding="utf-8"))
    by_prefix = {t["prefix"]: t["name"] for t in summary["topics"]}
    truth = collections.defaultdict(lambda: [0, 0])        # (topic, class, year) -> [docs, hits]
    with open(root + "/truth/topics.tsv", encoding="utf-8") as f:
        next(f)
        for line in f:
            y, b, t, c, d, h = line.rstrip("\n").split("\t")
            if body and b != body:
                continue
            truth[(t, c, y)][0] += int(d)
            truth[(t, c, y)][1] += int(h)
    year_docs = collections.Counter()
    with open(root + "/truth/docs.tsv", encoding="utf-8") as f:
        next(f)
        for line in f:
            y, b, d, _ = line.rstrip("\n").split("\t")
            if body and b != body:
                continue
            year_docs[y] += int(d)

    res = json.load(open(trend_path, encoding="utf-8"))
    bad = 0

    def report(name, problems):
        nonlocal bad
        if problems:
            bad += 1
            print("MISMATCH %s: %s" % (name, "; ".join(problems[:4])))
        else:
            print("ok %s" % name)

    if res.get("by") not in (None, "year"):
        report("by year", ["by is %r" % res.get("by")])
    for r in res["results"]:
        q = r["query"]
        series = {p["period"]: p for p in r["series"]}
        years = sorted(p for p in series if p.isdigit())
        if q.endswith("*"):
            topic, doc_cls, hit_cls = by_prefix.get(q[:-1]), "prefix", ("prefix", "prefix+parts")
        elif q.startswith("="):
            topic, doc_cls, hit_cls = q[1:], "exact", ("exact",)
        else:
            topic, doc_cls, hit_cls = q, "topic", ("topic", "topic+verb")
        if topic is None or topic not in {t["name"] for t in summary["topics"]}:
            report("query %s" % q, ["not a planted topic"])
            continue
        probs = []
        for y in sorted(set(years) | {k[2] for k in truth if k[0] == topic and k[1] == doc_cls}):
            got = series.get(y, {"docs": 0})["docs"]
            want = truth[(topic, doc_cls, y)][0]
            if got != want:
                probs.append("%s: %d documents, planted %d" % (y, got, want))
        report("%s documents per year = planted %s" % (q, doc_cls), probs)
        matched = None
        for hc in hit_cls:
            if all(series.get(y, {"hits": 0})["hits"] == truth[(topic, hc, y)][1]
                   for y in set(years) | {k[2] for k in truth if k[0] == topic and k[1] == hc}):
                matched = hc
                break
        if matched:
            report("%s occurrences per year = planted %s" % (q, matched), [])
        else:
            y0 = next((y for y in years if series[y]["hits"] != truth[(topic, hit_cls[0], y)][1]), None)
            report("%s occurrences per year = planted %s" % (q, " or ".join(hit_cls)),
                   ["%s: %d occurrences, planted %s" % (y0, series[y0]["hits"] if y0 in series else 0,
                    "/".join(str(truth[(topic, hc, y0)][1]) for hc in hit_cls))] if y0 else ["differs"])
        # every year between the first and the last indexed, zeros included
        if years:
            missing = [str(y) for y in range(int(years[0]), int(years[-1]) + 1) if str(y) not in series]
            report("%s every year present" % q, ["missing %s" % ", ".join(missing)] if missing else [])
        if not body:
            probs = ["%s: total_docs %s, generated %d" % (y, series[y].get("total_docs"), year_docs[y])
                     for y in years if series[y].get("total_docs") != year_docs[y]]
            report("%s total_docs per year = meetings generated" % q, probs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
