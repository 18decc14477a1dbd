#!/usr/bin/python3
"""gen_extract_check.py — compare extraction records with a generated archive's planted truth.

Usage: gen_extract_check.py DIR RECORDS.jsonl [--max-show N]

DIR is an archive written by bench/gen; RECORDS.jsonl holds one extraction record per document
(`protokoll extract --jsonl`), matched to the truth by the end of their "source" path.  Per section
it prints precision, recall and how many documents agree exactly, then the first differences.
Exit status 0 only when every section of every document agrees exactly.

What "agrees" means (the planted text is unambiguous, so the comparison is strict):
  meeting_date the date exactly (what trends are counted by)
  meeting      date, start, end exactly; body and place case-insensitively
  participants the same set of names; for each, organisation (or party), role, arrived_at, left_at
               (a planted role of null accepts null, "ledamot" or a justerare role from an election)
  agenda       the same sequence of (number, title)
  decisions    the same set of (item, text); texts compared with whitespace collapsed and a leading
               "Beslut:" or list dash removed
  follow_ups   the same set of (item, owners, due); the planted text must occur in the extracted one
  upcoming     the same set of (date, start, end)
  signatures   recorded_by, and approved_by as a set (a string counts as a one-name list)
"""
import json
import re
import sys

SECTIONS = ["meeting_date", "meeting", "participants", "agenda", "decisions", "follow_ups", "upcoming_meetings", "signatures"]


def norm(s):
    if s is None:
        return None
    s = re.sub(r"\s+", " ", str(s)).strip()
    s = re.sub(r"^(?:[-•*]\s*)?(?:Beslut\s*:\s*)?", "", s)
    return s


def low(s):
    return None if s is None else norm(s).casefold()


def as_list(v):
    if v is None:
        return []
    return [v] if isinstance(v, str) else list(v)


def compare(truth, got):
    """Per section: (true positives, planted, extracted, first difference or None)."""
    out = {}
    m, g = truth["meeting"], got.get("meeting") or {}
    ok = m["date"] == g.get("date")
    out["meeting_date"] = (int(ok), 1, 1, None if ok else "planted %s, extracted %s" % (m["date"], g.get("date")))
    keys = ["date", "start", "end", "body", "place"]
    tp = 0
    diff = None
    for k in keys:
        a, b = m.get(k), g.get(k)
        ok = (low(a) == low(b)) if k in ("body", "place") else (a == b)
        tp += ok
        if not ok and diff is None:
            diff = "%s: planted %r, extracted %r" % (k, a, b)
    out["meeting"] = (tp, len(keys), len(keys), diff)

    tp_by = {p["name"]: p for p in truth["participants"]}
    gp_by = {}
    for p in got.get("participants") or []:
        gp_by.setdefault(p.get("name"), p)
    tp = 0
    diff = None
    for name, p in tp_by.items():
        q = gp_by.get(name)
        if q is None:
            diff = diff or "missing participant %s" % name
            continue
        org_ok = p["organization"] in (q.get("organization"), q.get("party"))
        # roles compared as sets of parts; a justerare role from the meeting's election may be added
        qparts = {r.strip() for r in re.split(r"[;,]", low(q.get("role")) or "") if r.strip() and "juster" not in r}
        pparts = {r.strip() for r in re.split(r"[;,]", low(p["role"]) or "") if r.strip()}
        role_ok = qparts == pparts or (not pparts and qparts == {"ledamot"})
        times_ok = p["arrived_at"] == q.get("arrived_at") and p["left_at"] == q.get("left_at")
        if org_ok and role_ok and times_ok:
            tp += 1
        elif diff is None:
            diff = "%s: planted %s/%s/%s-%s, extracted %s/%s/%s-%s" % (
                name, p["organization"], p["role"], p["arrived_at"], p["left_at"],
                q.get("organization") or q.get("party"), q.get("role"), q.get("arrived_at"), q.get("left_at"))
    extra = [n for n in gp_by if n not in tp_by]
    if extra and diff is None:
        diff = "extra participant %s" % extra[0]
    out["participants"] = (tp, len(tp_by), len(gp_by), diff)

    ta = [(a["number"], norm(a["title"])) for a in truth["agenda"]]
    ga = [(a.get("number"), norm(a.get("title"))) for a in got.get("agenda") or []]
    tp = len(set(ta) & set(ga))
    diff = None
    if ta != ga:
        for i in range(max(len(ta), len(ga))):
            x = ta[i] if i < len(ta) else None
            y = ga[i] if i < len(ga) else None
            if x != y:
                diff = "item %d: planted %r, extracted %r" % (i + 1, x, y)
                break
    out["agenda"] = (tp if ta != ga else len(ta), len(ta), len(ga), diff)

    td = {(d["item"], norm(d["text"])) for d in truth["decisions"]}
    gd = {(d.get("item"), norm(d.get("text"))) for d in got.get("decisions") or []}
    diff = None
    if td != gd:
        miss = sorted(td - gd, key=str)
        more = sorted(gd - td, key=str)
        diff = "missing %r; extra %r" % (miss[:1], more[:1])
    out["decisions"] = (len(td & gd), len(td), len(gd), diff)

    def fkey(f):
        return (f.get("item"), tuple(sorted(f.get("owners") or [])), f.get("due"))
    gf = list(got.get("follow_ups") or [])
    tp = 0
    diff = None
    used = set()
    for f in truth["follow_ups"]:
        hit = None
        for i, h in enumerate(gf):
            if i not in used and fkey(h) == fkey(f) and norm(f["text"]) in norm(h.get("text") or "") + " " + norm(h.get("text") or "").rstrip("."):
                hit = i
                break
        if hit is None:
            diff = diff or "missing %r" % ((fkey(f), f["text"][:60]),)
        else:
            used.add(hit)
            tp += 1
    if diff is None and len(used) < len(gf):
        extra = [gf[i] for i in range(len(gf)) if i not in used]
        diff = "extra %r" % ((fkey(extra[0]), (extra[0].get("text") or "")[:60]),)
    out["follow_ups"] = (tp, len(truth["follow_ups"]), len(gf), diff)

    tu = {(u["date"], u["start"], u["end"]) for u in truth["upcoming_meetings"]}
    gu = {(u.get("date"), u.get("start"), u.get("end")) for u in got.get("upcoming_meetings") or []}
    diff = None if tu == gu else "missing %r; extra %r" % (sorted(tu - gu, key=str)[:1], sorted(gu - tu, key=str)[:1])
    out["upcoming_meetings"] = (len(tu & gu), len(tu), len(gu), diff)

    ts, gs = truth["signatures"], got.get("signatures") or {}
    ok1 = ts["recorded_by"] == gs.get("recorded_by")
    ok2 = set(as_list(ts["approved_by"])) == set(as_list(gs.get("approved_by")))
    diff = None
    if not (ok1 and ok2):
        diff = "planted %r / %r, extracted %r / %r" % (ts["recorded_by"], ts["approved_by"],
                                                        gs.get("recorded_by"), gs.get("approved_by"))
    out["signatures"] = (ok1 + ok2, 2, 2, diff)
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    max_show = 3
    if "--max-show" in sys.argv:
        max_show = int(sys.argv[sys.argv.index("--max-show") + 1])
        args = [a for a in args if a != str(max_show)]
    if len(args) != 2:
        print("usage: gen_extract_check.py DIR RECORDS.jsonl [--max-show N]", file=sys.stderr)
        return 2
    root, recs = args
    truth = {}
    with open(root + "/truth/meetings.jsonl", encoding="utf-8") as f:
        for line in f:
            m = json.loads(line)
            truth[m["source"]] = m
    got = {}
    with open(recs, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            src = r.get("source") or ""
            for k in truth:
                if src.endswith(k):
                    got[k] = r
                    break
    totals = {s: [0, 0, 0, 0] for s in SECTIONS}   # tp, planted, extracted, exact docs
    shown = {s: [] for s in SECTIONS}
    missing = [k for k in truth if k not in got]
    for src, t in truth.items():
        if src not in got:
            continue
        res = compare(t, got[src])
        for s in SECTIONS:
            tp, n_t, n_g, diff = res[s]
            tot = totals[s]
            tot[0] += tp
            tot[1] += n_t
            tot[2] += n_g
            tot[3] += diff is None
            if diff is not None and len(shown[s]) < max_show:
                shown[s].append("%s: %s" % (src, diff))
    ndoc = len(got)
    print("documents: %d planted, %d extracted, %d without a record" % (len(truth), ndoc, len(missing)))
    all_exact = not missing
    for s in SECTIONS:
        tp, n_t, n_g, exact = totals[s]
        p = tp / n_g if n_g else 1.0
        r = tp / n_t if n_t else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print("%-18s precision %.3f recall %.3f F1 %.3f  exact in %d of %d documents" % (s, p, r, f1, exact, ndoc))
        if exact != ndoc:
            all_exact = False
        for line in shown[s]:
            print("    " + line)
    return 0 if all_exact else 1


if __name__ == "__main__":
    sys.exit(main())
