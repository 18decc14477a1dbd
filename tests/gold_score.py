#!/usr/bin/python3
"""gold_score.py — score extraction records against the gold files: precision, recall and F1 per
section per file and in total, and the targets of the extraction issue.

Usage: gold_score.py [--targets] [--quiet] GOLD_DIR SHARED_DIR -- COMMAND...
COMMAND is run once with every gold document's path appended and must print one JSON record per
line (`protokoll extract --jsonl`).  The matching rules are written down in docs/RULES.md:
  - text is matched loosely: lowercase words; two texts match when the shared words make up at
    least 60 % of the shorter text (and at least two words unless the shorter has one);
  - names and dates exactly (white space normalised); owners as a set of names;
  - every gold item is matched at most once; an extracted item that matches a 'may' item is
    neither a hit nor a false positive; a gold section that is missing is not scored;
  - agenda items match by title; a number the extractor gives must equal the gold number, and a
    null number (the text does not write it: Typst templates number headings) is reported
    separately; decisions and follow-ups name their item by number, or by title when the item
    has no number in the text.
With --targets, prints PASS/FAIL lines for the issue's targets (harness format) and exits 1 on a
failure."""
import json
import os
import re
import subprocess
import sys

WORD = re.compile(r"\w+", re.UNICODE)


def words(s):
    return set(WORD.findall((s or "").lower()))


def loose(a, b):
    A, B = words(a), words(b)
    small = min(len(A), len(B))
    if small == 0:
        return False
    inter = len(A & B)
    return inter / small >= 0.6 and inter >= min(2, small)


def norm(s):
    return " ".join(str(s).split()) if s is not None else None


def same_item(gold_item, ext_item, titles=None):
    """An item is named by its number, or by its title when it has none.  When the text leaves the
    numbers unwritten (a Typst template numbers the headings) the extractor names the item by its
    title; that names the same item as the gold number whose gold title it matches."""
    if gold_item is None:
        return True
    if ext_item is None:
        return False
    g, e = norm(gold_item), norm(ext_item)
    if re.fullmatch(r"[\d.]+", g):
        if g == e:
            return True
        return not re.fullmatch(r"[\d.]+", e) and titles is not None and g in titles and loose(titles[g], e)
    return g.lower() == e.lower() or loose(g, e)


def prf(tp, fp, n_gold):
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / n_gold if n_gold else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def split_gold(sec):
    """A gold section is a list (all must) or {"must": [...], "may": [...]}."""
    if sec is None:
        return None, None
    if isinstance(sec, dict):
        return sec.get("must") or [], sec.get("may") or []
    return sec, []


def score_participants(gold, ext):
    gnames = [norm(p["name"]) for p in gold]
    used = set()
    tp = fp = 0
    fields = {"organization": [0, 0], "role": [0, 0], "arrived_at": [0, 0], "left_at": [0, 0]}
    pairs = []
    for e in ext:
        n = norm(e.get("name"))
        hit = next((i for i, g in enumerate(gnames) if g == n and i not in used), None)
        if hit is None:
            fp += 1
            continue
        used.add(hit)
        tp += 1
        pairs.append((gold[hit], e))
        for k in fields:
            if k in gold[hit]:
                fields[k][1] += 1
                if norm(gold[hit][k]) == norm(e.get(k)):
                    fields[k][0] += 1
    return tp, fp, len(gold), fields, pairs


def score_agenda(gold, ext):
    """Items match by title; a number the extractor gives must be the gold number (a null number,
    where the text does not write it, is not counted wrong here but in `numbered`)."""
    used = set()
    tp = 0
    numbered = 0
    for g in gold:
        for i, e in enumerate(ext):
            if i in used or not loose(g.get("title"), e.get("title")):
                continue
            if g.get("number") is not None and e.get("number") is not None and norm(g["number"]) != norm(e.get("number")):
                continue
            used.add(i)
            tp += 1
            numbered += g.get("number") is not None and norm(g["number"]) == norm(e.get("number"))
            break
    return tp, len(ext) - tp, len(gold), numbered


def score_items(must, may, ext, titles=None):
    """Decisions and follow-ups: one-to-one against must, may items are neutral."""
    used = set()
    tp = fp = 0
    matched = []
    for e in ext:
        hit = None
        for i, g in enumerate(must):
            if i in used:
                continue
            if same_item(g.get("item"), e.get("item"), titles) and loose(g.get("text"), e.get("text")):
                hit = i
                break
        if hit is not None:
            used.add(hit)
            tp += 1
            matched.append((must[hit], e))
            continue
        if any(same_item(g.get("item"), e.get("item"), titles) and loose(g.get("text"), e.get("text")) for g in may):
            continue
        fp += 1
    return tp, fp, len(must), matched


def owners_ok(g, e):
    go = sorted(norm(o).lower() for o in (g.get("owners") or []))
    eo = sorted(norm(o).lower() for o in (e.get("owners") or []))
    return go == eo


def score_upcoming(gold, ext):
    used = set()
    tp = 0
    times = [0, 0]
    for e in ext:
        hit = next((i for i, g in enumerate(gold) if i not in used and g.get("date") == e.get("date")), None)
        if hit is None:
            continue
        used.add(hit)
        tp += 1
        for k in ("start", "end"):
            if k in gold[hit]:
                times[1] += 1
                times[0] += gold[hit][k] == e.get(k)
    return tp, len(ext) - tp, len(gold), times


def approvers(v):
    if v is None:
        return []
    if isinstance(v, list):
        return sorted(norm(x) for x in v)
    return [norm(v)]


class Report:
    def __init__(self, quiet):
        self.quiet = quiet
        self.rows = []
        self.totals = {}
        self.fails = 0
        self.checks = []

    def section(self, fname, sec, tp, fp, n):
        p, r, f = prf(tp, fp, n)
        self.rows.append((fname, sec, tp, fp, n, p, r, f))
        t = self.totals.setdefault(sec, [0, 0, 0])
        t[0] += tp
        t[1] += fp
        t[2] += n
        return f

    def check(self, name, ok, detail=""):
        self.checks.append((name, ok, detail))
        if not ok:
            self.fails += 1

    def print(self):
        print("| file | section | hits | false | gold | precision | recall | F1 |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for fname, sec, tp, fp, n, p, r, f in self.rows:
            print(f"| {fname[:48]} | {sec} | {tp} | {fp} | {n} | {p:.2f} | {r:.2f} | {f:.2f} |")
        for sec, (tp, fp, n) in sorted(self.totals.items()):
            p, r, f = prf(tp, fp, n)
            print(f"| TOTAL | {sec} | {tp} | {fp} | {n} | {p:.2f} | {r:.2f} | {f:.2f} |")


def main():
    args = sys.argv[1:]
    targets = "--targets" in args
    quiet = "--quiet" in args
    args = [a for a in args if a not in ("--targets", "--quiet")]
    if "--" not in args or args.index("--") != 2:
        print(__doc__, file=sys.stderr)
        return 2
    gold_dir, shared = args[0], args[1]
    cmd = args[3:]
    golds = sorted(f for f in os.listdir(gold_dir) if f.endswith(".json"))
    docs = []
    for f in golds:
        with open(os.path.join(gold_dir, f), encoding="utf-8") as fh:
            g = json.load(fh)
        docs.append((f, g, os.path.join(shared, g["source"])))
    out = subprocess.run(cmd + [d[2] for d in docs], stdout=subprocess.PIPE, check=False)
    recs = {}
    for line in out.stdout.decode("utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            recs[r["source"]] = r
    rep = Report(quiet)
    for fname, g, path in docs:
        short = fname.replace(".json", "")
        e = recs.get(path)
        if e is None:
            rep.check(f"{short}.extracted", False, "no record for " + path)
            continue
        kind = "seed" if "seed" in g["source"] else "municipal" if "municipal" in g["source"] else "minutes"
        # meeting fields
        gm = g.get("meeting") or {}
        em = e.get("meeting") or {}
        mfails = []
        for k, v in gm.items():
            if k in ("date", "start", "end"):
                if v != em.get(k):
                    mfails.append(f"{k}={em.get(k)!r} want {v!r}")
            elif v is None:
                if em.get(k) is not None:
                    mfails.append(f"{k}={em.get(k)!r} want null")
            elif not (em.get(k) and (loose(v, em.get(k)) or norm(v).lower() == norm(em.get(k)).lower())):
                mfails.append(f"{k}={em.get(k)!r} want {v!r}")
        rep.rows.append((short, "meeting", len(gm) - len(mfails), len(mfails), len(gm),
                         *prf(len(gm) - len(mfails), len(mfails), len(gm))))
        if not quiet and mfails:
            print(f"# {short}: meeting: " + "; ".join(mfails))
        # participants
        fpart = None
        if "participants" in g:
            tp, fp, n, fields, pairs = score_participants(g["participants"], e.get("participants") or [])
            fpart = rep.section(short, "participants", tp, fp, n)
            if not quiet:
                bad = [f"{k} {a}/{b}" for k, (a, b) in fields.items() if b and a != b]
                if bad:
                    print(f"# {short}: participant fields right: " + ", ".join(bad))
            if kind == "seed":
                full = all(norm(gp.get("organization")) == norm(ep.get("organization")) and
                           norm(gp.get("role")) == norm(ep.get("role")) and
                           norm(gp.get("left_at")) == norm(ep.get("left_at")) for gp, ep in pairs)
                rep.check(f"{short}.participants", tp == n and fp == 0 and full,
                          f"{tp}/{n} found, {fp} invented, fields {'right' if full else 'wrong'}")
        # agenda
        fag = None
        titles = {norm(a["number"]): a.get("title") for a in g.get("agenda") or [] if a.get("number") is not None}
        if "agenda" in g:
            tp, fp, n, numbered = score_agenda(g["agenda"], e.get("agenda") or [])
            fag = rep.section(short, "agenda", tp, fp, n)
            with_num = sum(1 for a in g["agenda"] if a.get("number") is not None)
            if not quiet and numbered < with_num:
                print(f"# {short}: agenda numbers given for {numbered}/{with_num} numbered items")
            if kind in ("seed", "municipal"):
                rep.check(f"{short}.agenda", tp == n and numbered == with_num, f"{tp}/{n} items, {numbered}/{with_num} with their number")
        # decisions
        fdec = None
        must, may = split_gold(g.get("decisions"))
        if must is not None:
            tp, fp, n, _ = score_items(must, may, e.get("decisions") or [], titles)
            fdec = rep.section(short, "decisions", tp, fp, n)
            if kind == "seed":
                rep.check(f"{short}.decisions", tp == n and fp == 0, f"{tp}/{n} found, {fp} invented")
            if kind == "municipal":
                rep.check(f"{short}.decisions", tp == n, f"{tp}/{n} found")
        # follow-ups
        ffu = None
        must, may = split_gold(g.get("follow_ups"))
        if must is not None:
            tp, fp, n, matched = score_items(must, may, e.get("follow_ups") or [], titles)
            ffu = rep.section(short, "follow_ups", tp, fp, n)
            if kind == "seed":
                full = sum(1 for gg, ee in matched if owners_ok(gg, ee) and gg.get("due") == ee.get("due"))
                rep.check(f"{short}.follow_ups", full >= 3, f"{full}/{n} with owners and due date")
        # upcoming meetings
        if "upcoming_meetings" in g:
            tp, fp, n, times = score_upcoming(g["upcoming_meetings"], e.get("upcoming_meetings") or [])
            rep.section(short, "upcoming", tp, fp, n)
            if kind == "seed":
                rep.check(f"{short}.upcoming", tp >= 7 and times[0] == times[1], f"{tp}/{n} dates, times {times[0]}/{times[1]}")
        # signatures
        if "signatures" in g:
            gs, es = g["signatures"], e.get("signatures") or {}
            ok = norm(gs.get("recorded_by")) == norm(es.get("recorded_by"))
            ok2 = approvers(gs.get("approved_by")) == approvers(es.get("approved_by"))
            rep.rows.append((short, "signatures", ok + ok2, 2 - ok - ok2, 2, *prf(ok + ok2, 2 - ok - ok2, 2)))
            if not quiet and not (ok and ok2):
                print(f"# {short}: signatures {es.get('recorded_by')!r} / {es.get('approved_by')!r}")
        if kind == "seed":
            want = {k: gm.get(k) for k in ("date", "start", "end", "place")}
            got = {k: em.get(k) for k in want}
            rep.check(f"{short}.meeting", want == got, f"{got}")
        if kind == "minutes":
            for sec, f, lim in (("participants", fpart, 0.9), ("decisions", fdec, 0.8), ("agenda", fag, 0.8),
                                ("follow_ups", ffu, 0.7)):
                if f is not None:
                    rep.check(f"{short}.{sec}_f1", f >= lim, f"F1 {f:.2f} (target {lim})")
    rep.print()
    if targets:
        for name, ok, detail in rep.checks:
            print(f"{'PASS' if ok else 'FAIL'} gold.{name}{'' if ok else ': ' + detail}" + (f" ({detail})" if ok and detail else ""))
    return 1 if targets and rep.fails else 0


if __name__ == "__main__":
    sys.exit(main())
