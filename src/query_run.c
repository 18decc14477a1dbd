/* query_run.c — the analyst's queries over an index: trend buckets, BM25-ranked search with KWIC
 * snippets, decisions and follow-ups by topic, one meeting's record.  Results are JSON in the
 * shapes of DESIGN.md, built here and nowhere else. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "date.h"
#include "index_int.h"
#include "ixread.h"
#include "json.h"
#include "protokoll.h"
#include "query_eval.h"
#include "jsonread.h"
#include "util.h"

/* ---- per-index query context: the analyzer, created once per index handle ---- */

typedef struct qctx {
    pk_analyzer *a;
} qctx;

static void qctx_free(void *p)
{
    qctx *c = p;
    if (!c) return;
    pk_analyzer_free(c->a);
    pk_free(c);
}

static pk_status get_ctx(pk_index *ix, qctx **out)
{
    if (ix->qctx) { *out = ix->qctx; return PK_OK; }
    qctx *c = pk_calloc(1, sizeof *c);
    if (!c) return PK_ENOMEM;
    pk_status st = pk_analyzer_new(NULL, &c->a);
    if (st != PK_OK) {
        msg_set(&ix->msg, "query: cannot start the analyzer: %s", pk_strerror(st));
        pk_free(c);
        return st;
    }
    st = ixr_check_identity(ix, pk_analyzer_identity(c->a));
    if (st != PK_OK) { qctx_free(c); return st; }
    ix->qctx = c;
    ix->qctx_free = qctx_free;
    *out = c;
    return PK_OK;
}

/* ---- the vocabulary adapter ---- */

typedef struct vocab_ud { pk_index *ix; pk_status st; } vocab_ud;

typedef struct form_bridge { q_form_fn cb; void *cbud; } form_bridge;
static int bridge_form(void *ud, const char *norm, size_t nn, const char *stem, size_t sn, uint32_t flags)
{
    (void)flags;
    form_bridge *b = ud;
    return b->cb(b->cbud, norm, nn, stem, sn);
}

static int vocab_forms(void *ud, const char *prefix, size_t n, q_form_fn cb, void *cbud)
{
    vocab_ud *v = ud;
    form_bridge b = {cb, cbud};
    pk_status st = ixr_forms_prefix(v->ix, prefix, n, bridge_form, &b);
    if (st != PK_OK) { v->st = st; return -1; }
    return 0;
}

typedef struct term_bridge { q_term_fn cb; void *cbud; } term_bridge;
static int bridge_term(void *ud, const char *t, size_t n, uint64_t df)
{
    (void)df;
    term_bridge *b = ud;
    return b->cb(b->cbud, t, n);
}

static int vocab_terms(void *ud, q_termkind kind, const char *prefix, size_t n, q_term_fn cb, void *cbud)
{
    vocab_ud *v = ud;
    term_bridge b = {cb, cbud};
    pk_status st = ixr_terms_prefix(v->ix, kind == QT_PART ? IX_PART : IX_WORD, prefix, n, bridge_term, &b);
    if (st != PK_OK) { v->st = st; return -1; }
    return 0;
}

static pk_status compile(pk_index *ix, qctx *c, const char *query, q_compiled **qc)
{
    vocab_ud vu = {ix, PK_OK};
    q_vocab v = {&vu, vocab_forms, vocab_terms};
    char msg[300] = "";
    pk_status st = qc_compile(query, c->a, &v, qc, msg, sizeof msg);
    if (st == PK_ESYNTAX) msg_set(&ix->msg, "query: %s", msg);
    else if (st != PK_OK && vu.st != PK_OK) st = vu.st;   /* the index's message stands */
    else if (st != PK_OK) msg_set(&ix->msg, "query: %s", msg);
    return st;
}

/* ---- document filters ---- */

/* Lowercase ASCII and the Latin-1 capitals (Å Ä Ö É ...) of UTF-8 text into d (same length). */
static void fold_latin(char *d, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z') c += 32;
        else if (i > 0 && (unsigned char)s[i - 1] == 0xC3 && c >= 0x80 && c <= 0x9E && c != 0x97) c += 0x20;
        d[i] = (char)c;
    }
}

static int contains_folded(const char *hay, size_t hn, const char *needle_folded, size_t nn)
{
    if (nn == 0) return 1;
    if (hn < nn) return 0;
    char small[512];
    char *h = hn <= sizeof small ? small : pk_malloc(hn);
    if (!h) return 0;
    fold_latin(h, hay, hn);
    int found = 0;
    for (size_t i = 0; i + nn <= hn && !found; i++) found = memcmp(h + i, needle_folded, nn) == 0;
    if (h != small) pk_free(h);
    return found;
}

typedef struct dfilter {
    int32_t from, to;
    char   *body;     /* folded, or NULL */
    size_t  body_len;
} dfilter;

static pk_status make_filter(const pk_query_opts *o, const q_compiled *qc, dfilter *f)
{
    f->from = o ? o->from : PK_NODATE;
    f->to = o ? o->to : PK_NODATE;
    if (qc && qc->from != PK_NODATE && (f->from == PK_NODATE || qc->from > f->from)) f->from = qc->from;
    if (qc && qc->to != PK_NODATE && (f->to == PK_NODATE || qc->to < f->to)) f->to = qc->to;
    f->body = NULL;
    f->body_len = 0;
    const char *b = o && o->body ? o->body : (qc ? qc->body : NULL);
    if (b) {
        f->body_len = strlen(b);
        if (!(f->body = pk_malloc(f->body_len + 1))) return PK_ENOMEM;
        fold_latin(f->body, b, f->body_len);
        f->body[f->body_len] = 0;
    }
    return PK_OK;
}

static int filter_pass(const dfilter *f, const seg_doc *d)
{
    if (f->from != PK_NODATE && (d->date == PK_NODATE || d->date < f->from)) return 0;
    if (f->to != PK_NODATE && (d->date == PK_NODATE || d->date > f->to)) return 0;
    if (f->body && !(d->body_len && contains_folded(d->body, d->body_len, f->body, f->body_len))) return 0;
    return 1;
}

/* ---- matching documents, segment by segment ---- */

typedef struct word_iters {
    seg_post *its;
    size_t    n;
} word_iters;

/* One match: where, how many hits in total and per leaf. */
typedef struct qmatch {
    uint32_t seg, doc, id;
    int32_t  date;
    uint32_t ntokens;
    uint64_t hits;
    uint32_t *leaf_hits;   /* nleaves entries (search only) */
} qmatch;

typedef int (*match_fn)(void *ud, size_t seg, uint32_t doc, const seg_doc *d, uint64_t hits,
                        const q_posvec *leaf_lists);

typedef struct runner {
    pk_index         *ix;
    qctx             *c;
    const q_compiled *qc;
    const dfilter    *f;
    q_posvec         *words;     /* one per leaf word */
    q_posvec         *lists;     /* one per leaf */
    size_t            nwords;
} runner;

static void close_iters(word_iters *w, size_t nwords)
{
    for (size_t k = 0; k < nwords; k++) {
        for (size_t i = 0; i < w[k].n; i++) segr_post_close(&w[k].its[i]);
        pk_free(w[k].its);
        w[k].its = NULL;
        w[k].n = 0;
    }
}

/* The array under a top-level key of a stored record, parsed alone: records are compact JSON
 * written by the extractor, where a key in quotes followed by ':' cannot occur inside a string
 * (quotes there are escaped), so the array can be found without parsing the whole record.
 * NULL when the record has no such array. */
static pk_status record_array(const char *rec, size_t rl, const char *key, json_t **out)
{
    *out = NULL;
    char pat[40];
    int pn = snprintf(pat, sizeof pat, "\"%s\":[", key);
    if (pn <= 0 || (size_t)pn >= sizeof pat) return PK_OK;
    const char *at = memmem(rec, rl, pat, (size_t)pn);
    if (!at) return PK_OK;   /* a document without a record (or without the list) has no passages */
    const char *arr = at + pn - 1;
    return json_read(arr, rl - (size_t)(arr - rec), 0, out, NULL);
}

/* Passages (decisions or follow-ups) of a record, for in: queries: hits inside them only. */
static pk_status hits_in_passages(runner *r, size_t seg, uint32_t doc, uint64_t *hits, int *match)
{
    const char *rec, *text;
    size_t rl, tl;
    *hits = 0;
    *match = 0;
    pk_status st = ixr_stored(r->ix, seg, doc, &rec, &rl, &text, &tl);
    if (st != PK_OK) return st;
    json_t *list;
    if ((st = record_array(rec, rl, r->qc->in == Q_IN_DECISIONS ? "decisions" : "follow_ups", &list)) != PK_OK || !list)
        return st;
    for (size_t i = 0; i < json_array_size(list) && st == PK_OK; i++) {
        const char *t = json_string_value(json_object_get(json_array_get(list, i), "text"));
        if (!t) continue;
        st = qc_match_text(r->qc, r->c->a, t, strlen(t), r->lists, NULL);
        uint64_t h;
        int m = st == PK_OK ? qc_eval_doc(r->qc, r->lists, &h) : 0;
        if (m < 0) st = PK_ENOMEM;
        else if (m) { *match = 1; *hits += h; }
    }
    json_decref(list);
    return st;
}

/* Why a postings iterator stopped: damage, or a shortage of memory. */
static pk_status post_status(const seg_post *p) { return p->st != PK_OK ? p->st : PK_ECORRUPT; }

static pk_status run_segment(runner *r, size_t seg, match_fn cb, void *ud)
{
    const q_compiled *qc = r->qc;
    word_iters *wi = pk_calloc(r->nwords ? r->nwords : 1, sizeof *wi);
    if (!wi) return PK_ENOMEM;
    pk_status st = PK_OK;
    /* open every term's postings in this segment */
    size_t w = 0;
    for (size_t l = 0; l < qc->nleaves && st == PK_OK; l++) {
        for (size_t k = 0; k < qc->leaves[l].nwords && st == PK_OK; k++, w++) {
            const q_termset *s = &qc->leaves[l].sets[k];
            wi[w].its = pk_calloc(s->n ? s->n : 1, sizeof *wi[w].its);
            if (!wi[w].its) { st = PK_ENOMEM; break; }
            for (size_t t = 0; t < s->n && st == PK_OK; t++) {
                int found = 0;
                st = ixr_post_open(r->ix, seg, s->terms[t].kind == QT_PART ? IX_PART : IX_WORD, s->terms[t].text,
                                   s->terms[t].len, &wi[w].its[wi[w].n], &found);
                if (st == PK_OK && found) {
                    int rc = segr_post_next(&wi[w].its[wi[w].n]);
                    wi[w].n++;
                    if (rc < 0) st = ixr_seg_error(r->ix, seg, post_status(&wi[w].its[wi[w].n - 1]));
                    else if (rc == 0) { segr_post_close(&wi[w].its[wi[w].n - 1]); wi[w].n--; }
                }
            }
        }
    }
    segr *sr = ixr_seg(r->ix, seg);
    uint32_t ndocs = segr_ndocs(sr);
    uint32_t doc = 0;
    while (st == PK_OK) {
        /* next candidate: the smallest current posting of any positive word, or every document
         * when the query has nothing positive to look up */
        uint32_t next = UINT32_MAX;
        if (qc->has_positive) {
            for (size_t k = 0; k < r->nwords; k++)
                for (size_t i = 0; i < wi[k].n; i++)
                    if (wi[k].its[i].doc < next) next = wi[k].its[i].doc;
            if (next == UINT32_MAX) break;
        } else {
            while (doc < ndocs && ixr_deleted(r->ix, seg, doc)) doc++;
            if (doc >= ndocs) break;
            next = doc++;
        }
        /* gather positions of each word at this document and step past it */
        for (size_t k = 0; k < r->nwords; k++) {
            r->words[k].n = 0;
            for (size_t i = 0; i < wi[k].n; i++) {
                seg_post *p = &wi[k].its[i];
                if (p->doc != next) continue;
                const uint32_t *pos = segr_post_positions(p);
                if (!pos) { st = ixr_seg_error(r->ix, seg, post_status(p)); break; }
                for (uint32_t j = 0; j < p->tf; j++)
                    if (q_posvec_push(&r->words[k], pos[j])) { st = PK_ENOMEM; break; }
                int rc = segr_post_next(p);
                if (rc < 0) { st = ixr_seg_error(r->ix, seg, post_status(p)); break; }
                if (rc == 0) {
                    segr_post_close(p);
                    wi[k].its[i] = wi[k].its[wi[k].n - 1];
                    wi[k].n--;
                    i--;
                }
            }
        }
        if (st != PK_OK) break;
        w = 0;
        for (size_t l = 0; l < qc->nleaves; l++) {
            if (qc_leaf_positions(&qc->leaves[l], &r->words[w], &r->lists[l])) { st = PK_ENOMEM; break; }
            w += qc->leaves[l].nwords;
        }
        if (st != PK_OK) break;
        uint64_t hits;
        int m = qc_eval_doc(qc, r->lists, &hits);
        if (m < 0) { st = PK_ENOMEM; break; }
        if (!m) continue;
        seg_doc d;
        st = ixr_doc(r->ix, seg, next, &d);
        if (st != PK_OK) break;
        if (!filter_pass(r->f, &d)) continue;
        if (qc->in) {
            int inside;
            st = hits_in_passages(r, seg, next, &hits, &inside);
            if (st != PK_OK || !inside) continue;
            st = ixr_doc(r->ix, seg, next, &d);   /* the stored fetch may reuse the borrowed strings */
            if (st != PK_OK) break;
        }
        if (cb(ud, seg, next, &d, hits, r->lists)) break;
    }
    close_iters(wi, r->nwords);
    pk_free(wi);
    return st;
}

static pk_status run_query(pk_index *ix, qctx *c, const q_compiled *qc, const dfilter *f, match_fn cb, void *ud)
{
    runner r = {ix, c, qc, f, NULL, NULL, 0};
    for (size_t l = 0; l < qc->nleaves; l++) r.nwords += qc->leaves[l].nwords;
    r.words = pk_calloc(r.nwords ? r.nwords : 1, sizeof *r.words);
    r.lists = pk_calloc(qc->nleaves ? qc->nleaves : 1, sizeof *r.lists);
    pk_status st = r.words && r.lists ? PK_OK : PK_ENOMEM;
    for (size_t s = 0; s < ixr_nsegs(ix) && st == PK_OK; s++) st = run_segment(&r, s, cb, ud);
    for (size_t k = 0; r.words && k < r.nwords; k++) q_posvec_free(&r.words[k]);
    for (size_t l = 0; r.lists && l < qc->nleaves; l++) q_posvec_free(&r.lists[l]);
    pk_free(r.words);
    pk_free(r.lists);
    if (st == PK_ENOMEM) msg_set(&ix->msg, "query: out of memory");
    return st;
}

void pk_query_opts_init(pk_query_opts *o)
{
    memset(o, 0, sizeof *o);
    o->by = PK_BY_YEAR;
    o->from = o->to = o->due_after = PK_NODATE;
}

static json_t *terms_json(const q_compiled *qc)
{
    char **terms;
    size_t n;
    if (qc_matched_terms(qc, &terms, &n) != PK_OK) return NULL;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        if (arr && json_array_append_new(arr, json_string(terms[i]))) { json_decref(arr); arr = NULL; }
        pk_free(terms[i]);
    }
    pk_free(terms);
    return arr;
}

/* Serialise the result; jf is util_json_failures() from before it was built: when any of
 * jansson's allocations failed meanwhile, some setter lost its value, so the whole result fails. */
static pk_status finish_json(pk_index *ix, json_t *root, unsigned long jf, char **out)
{
    if (root && util_json_failures() != jf) { json_decref(root); root = NULL; }
    if (!root) { msg_set(&ix->msg, "query: out of memory"); return PK_ENOMEM; }
    *out = json_dump_compact(root);
    json_decref(root);
    if (!*out) { msg_set(&ix->msg, "query: out of memory"); return PK_ENOMEM; }
    return PK_OK;
}

/* ---- trend ---- */

typedef struct bucket { int32_t key; uint64_t docs, hits, total_docs, total_tokens; } bucket;

typedef struct trend_acc {
    pk_period by;
    bucket   *b;
    size_t    n, cap;
    int       failed;    /* a bucket could not be made */
} trend_acc;

static bucket *bucket_get(trend_acc *t, int32_t key)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->b[mid].key < key) lo = mid + 1; else hi = mid;
    }
    if (lo < t->n && t->b[lo].key == key) return &t->b[lo];
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        bucket *nb = pk_reallocarray(t->b, cap, sizeof *nb);
        if (!nb) return NULL;
        t->b = nb;
        t->cap = cap;
    }
    memmove(&t->b[lo + 1], &t->b[lo], (t->n - lo) * sizeof *t->b);
    memset(&t->b[lo], 0, sizeof *t->b);
    t->b[lo].key = key;
    t->n++;
    return &t->b[lo];
}

static int on_trend_match(void *ud, size_t seg, uint32_t doc, const seg_doc *d, uint64_t hits, const q_posvec *l)
{
    (void)seg; (void)doc; (void)l;
    trend_acc *t = ud;
    bucket *b = bucket_get(t, ixr_period_of(t->by, d->date));
    if (!b) { t->failed = 1; return 1; }
    b->docs++;
    b->hits += hits;
    return 0;
}

/* Totals per period: from the index's period table when nothing restricts documents, else by a
 * pass over the document table. */
static pk_status period_totals(pk_index *ix, pk_period by, const dfilter *f, trend_acc *tot)
{
    if (!f->body && f->from == PK_NODATE && f->to == PK_NODATE) {
        ixr_period *ps;
        size_t n;
        pk_status st = ixr_periods(ix, by, &ps, &n);
        if (st != PK_OK) return st;
        for (size_t i = 0; i < n; i++) {
            bucket *b = bucket_get(tot, ps[i].key);
            if (!b) { pk_free(ps); return PK_ENOMEM; }
            b->total_docs = ps[i].docs;
            b->total_tokens = ps[i].tokens;
        }
        pk_free(ps);
        return PK_OK;
    }
    for (size_t s = 0; s < ixr_nsegs(ix); s++) {
        uint32_t nd = segr_ndocs(ixr_seg(ix, s));
        for (uint32_t d = 0; d < nd; d++) {
            if (ixr_deleted(ix, s, d)) continue;
            seg_doc sd;
            pk_status st = ixr_doc(ix, s, d, &sd);
            if (st != PK_OK) return st;
            if (!filter_pass(f, &sd)) continue;
            bucket *b = bucket_get(tot, ixr_period_of(by, sd.date));
            if (!b) return PK_ENOMEM;
            b->total_docs++;
            b->total_tokens += sd.ntokens;
        }
    }
    return PK_OK;
}

static const char *period_name(pk_period by)
{
    return by == PK_BY_MONTH ? "month" : by == PK_BY_QUARTER ? "quarter" : "year";
}

pk_status pk_trend_json(pk_index *ix, const char *const *queries, size_t nq, const pk_query_opts *o, char **json)
{
    unsigned long jf = util_json_failures();
    *json = NULL;
    pk_query_opts dflt;
    if (!o) { pk_query_opts_init(&dflt); o = &dflt; }
    qctx *c;
    pk_status st = get_ctx(ix, &c);
    if (st != PK_OK) return st;
    if (nq == 0) { msg_set(&ix->msg, "trend: no query given"); return PK_EINVAL; }
    /* compile every query first, so a bad one fails before any work */
    q_compiled **qcs = pk_calloc(nq, sizeof *qcs);
    if (!qcs) return PK_ENOMEM;
    for (size_t i = 0; i < nq && st == PK_OK; i++) st = compile(ix, c, queries[i], &qcs[i]);
    /* the period range: every period between the first and last indexed (and filtered) date */
    dfilter base = {0};
    trend_acc tot = {o->by, NULL, 0, 0, 0};
    if (st == PK_OK) st = make_filter(o, NULL, &base);
    if (st == PK_OK) st = period_totals(ix, o->by, &base, &tot);
    json_t *root = st == PK_OK ? json_object() : NULL;
    json_t *results = root ? json_array() : NULL;
    if (st == PK_OK && (!root || !results)) st = PK_ENOMEM;
    if (st == PK_OK) {
        json_set_str(root, "by", period_name(o->by));
        /* a failed set frees results, which is filled below: stop then */
        if (json_object_set_new(root, "results", results)) { results = NULL; st = PK_ENOMEM; }
    }
    int32_t first = INT32_MAX, last = INT32_MIN;
    int undated = 0;
    for (size_t i = 0; i < tot.n; i++) {
        if (tot.b[i].key == IXR_UNDATED) { undated = 1; continue; }
        if (tot.b[i].key < first) first = tot.b[i].key;
        if (tot.b[i].key > last) last = tot.b[i].key;
    }
    if (st == PK_OK && o->from != PK_NODATE) first = ixr_period_of(o->by, o->from);
    if (st == PK_OK && o->to != PK_NODATE) last = ixr_period_of(o->by, o->to);
    if (o->from != PK_NODATE || o->to != PK_NODATE) undated = 0;
    for (size_t q = 0; q < nq && st == PK_OK; q++) {
        dfilter f;
        st = make_filter(o, qcs[q], &f);
        if (st != PK_OK) break;
        trend_acc acc = {o->by, NULL, 0, 0, 0};
        st = run_query(ix, c, qcs[q], &f, on_trend_match, &acc);
        if (st == PK_OK && acc.failed) st = PK_ENOMEM;
        pk_free(f.body);
        json_t *r = json_object(), *series = json_array();
        if (st == PK_OK && (!r || !series)) st = PK_ENOMEM;
        if (st == PK_OK) {
            json_set_str(r, "query", queries[q]);
            json_t *terms = terms_json(qcs[q]);
            if (!terms) st = PK_ENOMEM;
            json_object_set_new(r, "matched_terms", terms);
            json_object_set_new(r, "series", series);
            series = NULL;
            json_t *ser = json_object_get(r, "series");
            uint64_t all_docs = 0, all_hits = 0;
            for (int32_t k = first; first <= last && st == PK_OK; k++) {
                bucket *t = bucket_get(&tot, k), *m = bucket_get(&acc, k);
                if (!t || !m) { st = PK_ENOMEM; break; }
                char label[24];
                ixr_period_label(o->by, k, label);
                json_t *e = json_object();
                if (!e) { st = PK_ENOMEM; break; }
                json_set_str(e, "period", label);
                json_set_int(e, "docs", (long long)m->docs);
                json_set_int(e, "hits", (long long)m->hits);
                json_set_int(e, "total_docs", (long long)t->total_docs);
                json_set_int(e, "total_tokens", (long long)t->total_tokens);
                json_array_append_new(ser, e);
                all_docs += m->docs;
                all_hits += m->hits;
                if (k == last) break;
            }
            if (undated && st == PK_OK) {
                bucket *t = bucket_get(&tot, IXR_UNDATED), *m = bucket_get(&acc, IXR_UNDATED);
                json_t *e = t && m ? json_object() : NULL;
                if (!e) st = PK_ENOMEM;
                else {
                    json_set_str(e, "period", "undated");
                    json_set_int(e, "docs", (long long)m->docs);
                    json_set_int(e, "hits", (long long)m->hits);
                    json_set_int(e, "total_docs", (long long)t->total_docs);
                    json_set_int(e, "total_tokens", (long long)t->total_tokens);
                    json_array_append_new(ser, e);
                    all_docs += m->docs;
                    all_hits += m->hits;
                }
            }
            json_set_int(r, "docs", (long long)all_docs);
            json_set_int(r, "hits", (long long)all_hits);
            json_array_append_new(results, r);
            r = NULL;
        }
        json_decref(r);
        json_decref(series);
        pk_free(acc.b);
    }
    pk_free(tot.b);
    pk_free(base.body);
    for (size_t i = 0; i < nq; i++) qc_free(qcs[i]);
    pk_free(qcs);
    if (st != PK_OK) { json_decref(root); return st; }
    return finish_json(ix, root, jf, json);
}

/* ---- search ---- */

typedef struct search_acc {
    qmatch  *m;
    size_t   n, cap;
    size_t   nleaves;
    uint64_t *leaf_df;
    int      failed;
} search_acc;

static int on_search_match(void *ud, size_t seg, uint32_t doc, const seg_doc *d, uint64_t hits, const q_posvec *l)
{
    search_acc *s = ud;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        qmatch *nm = pk_reallocarray(s->m, cap, sizeof *nm);
        if (!nm) { s->failed = 1; return 1; }
        s->m = nm;
        s->cap = cap;
    }
    qmatch *m = &s->m[s->n];
    m->leaf_hits = pk_calloc(s->nleaves ? s->nleaves : 1, sizeof *m->leaf_hits);
    if (!m->leaf_hits) { s->failed = 1; return 1; }
    m->seg = (uint32_t)seg;
    m->doc = doc;
    m->id = d->id;
    m->date = d->date;
    m->ntokens = d->ntokens;
    m->hits = hits;
    for (size_t i = 0; i < s->nleaves; i++) {
        m->leaf_hits[i] = (uint32_t)l[i].n;
        if (l[i].n) s->leaf_df[i]++;
    }
    s->n++;
    return 0;
}

typedef struct scored { double score; size_t i; } scored;

static int cmp_scored(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

/* KWIC windows around matching tokens, matches marked **like this**; at most max snippets. */
static json_t *make_snippets(const char *text, size_t len, const q_posvec *spans, size_t max)
{
    json_t *arr = json_array();
    if (!arr) return NULL;
    const size_t ctx = 70, span_max = 260;
    size_t i = 0;
    while (i + 1 < spans->n && json_array_size(arr) < max) {
        size_t s0 = spans->p[i], e = spans->p[i + 1];
        size_t j = i + 2;
        while (j + 1 < spans->n && spans->p[j + 1] - s0 <= span_max) { e = spans->p[j + 1]; j += 2; }
        size_t ws = s0 > ctx ? s0 - ctx : 0, we = e + ctx < len ? e + ctx : len;
        while (ws > 0 && is_cont((unsigned char)text[ws])) ws--;
        while (we < len && is_cont((unsigned char)text[we])) we++;
        /* start and end at whitespace when one is near */
        for (size_t k = ws, lim = ws + 20; k < s0 && k < lim; k++)
            if (text[k] == ' ' || text[k] == '\n') { ws = k + 1; break; }
        for (size_t k = we, lim = we > 20 ? we - 20 : 0; k > e && k > lim; k--)
            if (text[k - 1] == ' ' || text[k - 1] == '\n') { we = k - 1; break; }
        pk_buf b;
        buf_init(&b);
        size_t at = ws;
        for (size_t k = i; k < j; k += 2) {
            size_t ms = spans->p[k], me = spans->p[k + 1];
            if (ms < at) continue;
            buf_put(&b, text + at, ms - at);
            buf_puts(&b, "**");
            buf_put(&b, text + ms, me - ms);
            buf_puts(&b, "**");
            at = me;
        }
        if (at < we) buf_put(&b, text + at, we - at);
        /* one line: newlines and tabs become spaces, runs collapse */
        size_t w = 0;
        for (size_t k = 0; k < b.n; k++) {
            char ch = (char)b.p[k];
            if (ch == '\n' || ch == '\t' || ch == '\r') ch = ' ';
            if (ch == ' ' && w > 0 && b.p[w - 1] == ' ') continue;
            b.p[w++] = (uint8_t)ch;
        }
        b.n = w;
        if (b.err) {   /* out of memory: no snippets rather than fewer */
            buf_free(&b);
            json_decref(arr);
            return NULL;
        }
        json_array_append_new(arr, json_strn_lossy((const char *)b.p, b.n));
        buf_free(&b);
        i = j;
    }
    return arr;
}

static json_t *doc_head(pk_index *ix, size_t seg, uint32_t doc, pk_status *st)
{
    seg_doc d;
    *st = ixr_doc(ix, seg, doc, &d);
    if (*st != PK_OK) return NULL;
    json_t *o = json_object();
    if (!o) { *st = PK_ENOMEM; return NULL; }
    json_set_int(o, "doc", d.id);
    json_set_strn(o, "source", d.path, d.path_len);
    json_set_date(o, "date", d.date);
    if (d.body_len) json_set_strn(o, "body", d.body, d.body_len);
    else json_object_set_new(o, "body", json_null());
    return o;
}

pk_status pk_search_json(pk_index *ix, const char *query, const pk_query_opts *o, char **json)
{
    unsigned long jf = util_json_failures();
    *json = NULL;
    pk_query_opts dflt;
    if (!o) { pk_query_opts_init(&dflt); o = &dflt; }
    qctx *c;
    pk_status st = get_ctx(ix, &c);
    if (st != PK_OK) return st;
    q_compiled *qc;
    st = compile(ix, c, query, &qc);
    if (st != PK_OK) return st;
    dfilter f;
    st = make_filter(o, qc, &f);
    search_acc acc = {0};
    acc.nleaves = qc->nleaves;
    acc.leaf_df = pk_calloc(qc->nleaves ? qc->nleaves : 1, sizeof *acc.leaf_df);
    if (st == PK_OK && !acc.leaf_df) st = PK_ENOMEM;
    if (st == PK_OK) st = run_query(ix, c, qc, &f, on_search_match, &acc);
    if (st == PK_OK && acc.failed) st = PK_ENOMEM;
    /* BM25 over leaves: a leaf (a topic with all its expansions, a phrase) is one query term */
    double N = (double)ixr_live_docs(ix), total_tokens = 0;
    scored *sc = st == PK_OK ? pk_calloc(acc.n ? acc.n : 1, sizeof *sc) : NULL;
    if (st == PK_OK && !sc) st = PK_ENOMEM;
    if (st == PK_OK) {
        ixr_period *ps;
        size_t np;
        st = ixr_periods(ix, PK_BY_YEAR, &ps, &np);
        if (st == PK_OK) {
            for (size_t i = 0; i < np; i++) total_tokens += (double)ps[i].tokens;
            pk_free(ps);
        }
    }
    double avgdl = N > 0 ? total_tokens / N : 1;
    if (avgdl <= 0) avgdl = 1;
    const double k1 = 1.2, b = 0.75;
    for (size_t i = 0; st == PK_OK && i < acc.n; i++) {
        double s = 0;
        for (size_t l = 0; l < qc->nleaves; l++) {
            double tf = acc.m[i].leaf_hits[l];
            if (tf <= 0) continue;
            double df = (double)acc.leaf_df[l];
            double idf = log(1 + (N - df + 0.5) / (df + 0.5));
            s += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * acc.m[i].ntokens / avgdl));
        }
        sc[i].score = s;
        sc[i].i = i;
    }
    if (st == PK_OK) qsort(sc, acc.n, sizeof *sc, cmp_scored);
    size_t limit = o->limit ? o->limit : 10;
    json_t *root = st == PK_OK ? json_object() : NULL;
    json_t *hits = root ? json_array() : NULL;
    if (st == PK_OK && (!root || !hits)) st = PK_ENOMEM;
    if (st == PK_OK) {
        json_set_str(root, "query", query);
        json_set_int(root, "total", (long long)acc.n);
        json_t *terms = terms_json(qc);
        if (!terms) st = PK_ENOMEM;
        json_object_set_new(root, "matched_terms", terms);
        if (json_object_set_new(root, "hits", hits)) { hits = NULL; st = PK_ENOMEM; }   /* freed on failure */
    }
    q_posvec spans = {0};
    q_posvec *lists = pk_calloc(qc->nleaves ? qc->nleaves : 1, sizeof *lists);
    if (st == PK_OK && !lists) st = PK_ENOMEM;
    for (size_t r = 0; st == PK_OK && r < acc.n && r < limit; r++) {
        const qmatch *m = &acc.m[sc[r].i];
        json_t *h = doc_head(ix, m->seg, m->doc, &st);
        if (!h) break;
        json_set_real(h, "score", round(sc[r].score * 10000) / 10000);
        json_set_int(h, "hits", (long long)m->hits);
        const char *rec, *text;
        size_t rl, tl;
        st = ixr_stored(ix, m->seg, m->doc, &rec, &rl, &text, &tl);
        if (st == PK_OK) st = qc_match_text(qc, c->a, text, tl, lists, &spans);
        json_t *sn = st == PK_OK ? make_snippets(text, tl, &spans, 3) : NULL;
        if (st == PK_OK && !sn) st = PK_ENOMEM;
        if (sn) json_object_set_new(h, "snippets", sn);
        json_array_append_new(hits, h);
    }
    q_posvec_free(&spans);
    for (size_t l = 0; lists && l < qc->nleaves; l++) q_posvec_free(&lists[l]);
    pk_free(lists);
    for (size_t i = 0; i < acc.n; i++) pk_free(acc.m[i].leaf_hits);
    pk_free(acc.m);
    pk_free(acc.leaf_df);
    pk_free(sc);
    pk_free(f.body);
    qc_free(qc);
    if (st != PK_OK) { json_decref(root); return st; }
    return finish_json(ix, root, jf, json);
}

/* ---- decisions and follow-ups ---- */

typedef struct passage {
    int32_t  date;
    uint32_t id;
    json_t  *obj;
} passage;

typedef struct passage_acc {
    pk_index         *ix;
    qctx             *c;
    const q_compiled *qc;       /* NULL: every passage */
    const char       *key;      /* "decisions" or "follow_ups" */
    int32_t           due_after;
    passage          *p;
    size_t            n, cap;
    q_posvec         *lists;
    pk_status         st;
} passage_acc;

static int on_passage_doc(void *ud, size_t seg, uint32_t doc, const seg_doc *d0, uint64_t hits, const q_posvec *l)
{
    (void)hits; (void)l; (void)d0;
    passage_acc *a = ud;
    const char *rec, *text;
    size_t rl, tl;
    a->st = ixr_stored(a->ix, seg, doc, &rec, &rl, &text, &tl);
    if (a->st != PK_OK) return 1;
    json_t *list;
    a->st = record_array(rec, rl, a->key, &list);
    if (a->st != PK_OK) return 1;
    if (!list) return 0;
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *it = json_array_get(list, i);
        const char *t = json_string_value(json_object_get(it, "text"));
        if (!t) continue;
        uint64_t h = 0;
        if (a->qc) {
            a->st = qc_match_text(a->qc, a->c->a, t, strlen(t), a->lists, NULL);
            if (a->st != PK_OK) break;
            int m = qc_eval_doc(a->qc, a->lists, &h);
            if (m < 0) { a->st = PK_ENOMEM; break; }
            if (!m) continue;
        }
        if (a->due_after != PK_NODATE) {
            const char *due = json_string_value(json_object_get(it, "due"));
            int32_t dd;
            if (!due || pk_date_parse(due, strlen(due), &dd) != PK_OK || dd <= a->due_after) continue;
        }
        if (a->n == a->cap) {
            size_t cap = a->cap ? a->cap * 2 : 64;
            passage *np = pk_reallocarray(a->p, cap, sizeof *np);
            if (!np) { a->st = PK_ENOMEM; break; }
            a->p = np;
            a->cap = cap;
        }
        pk_status st;
        json_t *o = doc_head(a->ix, seg, doc, &st);
        if (!o) { a->st = st; break; }
        json_t *item = json_object_get(it, "item");
        json_object_set(o, "item", item ? item : json_null());
        json_object_set(o, "text", json_object_get(it, "text"));
        if (strcmp(a->key, "follow_ups") == 0) {
            json_t *ow = json_object_get(it, "owners"), *due = json_object_get(it, "due");
            json_object_set_new(o, "owners", ow ? json_incref(ow) : json_array());
            json_object_set(o, "due", due ? due : json_null());
        }
        json_t *span = json_object_get(it, "span");
        if (span) json_object_set(o, "span", span);
        if (a->qc) json_set_int(o, "hits", (long long)h);
        seg_doc d;
        a->st = ixr_doc(a->ix, seg, doc, &d);
        if (a->st != PK_OK) { json_decref(o); break; }
        a->p[a->n++] = (passage){d.date, d.id, o};
    }
    json_decref(list);
    return a->st != PK_OK;
}

static int cmp_passage(const void *x, const void *y)
{
    const passage *a = x, *b = y;
    /* newest first; undated last; then by document id, newest first, keeping passage order */
    if (a->date != b->date) {
        if (a->date == PK_NODATE) return 1;
        if (b->date == PK_NODATE) return -1;
        return a->date < b->date ? 1 : -1;
    }
    if (a->id != b->id) return a->id < b->id ? 1 : -1;
    return a < b ? -1 : a > b;
}

static pk_status passages_json(pk_index *ix, const char *query, const pk_query_opts *o, const char *key, char **json)
{
    unsigned long jf = util_json_failures();
    *json = NULL;
    pk_query_opts dflt;
    if (!o) { pk_query_opts_init(&dflt); o = &dflt; }
    qctx *c;
    pk_status st = get_ctx(ix, &c);
    if (st != PK_OK) return st;
    q_compiled *qc = NULL;
    int have_query = query && *query;
    if (have_query) {
        st = compile(ix, c, query, &qc);
        if (st != PK_OK) return st;
    }
    passage_acc acc = {ix, c, have_query ? qc : NULL, key, o->due_after, NULL, 0, 0, NULL, PK_OK};
    dfilter f;
    st = make_filter(o, have_query ? qc : NULL, &f);
    if (st == PK_OK && have_query) {
        acc.lists = pk_calloc(qc->nleaves ? qc->nleaves : 1, sizeof *acc.lists);
        if (!acc.lists) st = PK_ENOMEM;
        if (st == PK_OK) st = run_query(ix, c, qc, &f, on_passage_doc, &acc);
    } else if (st == PK_OK) {
        for (size_t s = 0; s < ixr_nsegs(ix) && st == PK_OK && acc.st == PK_OK; s++) {
            uint32_t nd = segr_ndocs(ixr_seg(ix, s));
            for (uint32_t d = 0; d < nd && st == PK_OK && acc.st == PK_OK; d++) {
                if (ixr_deleted(ix, s, d)) continue;
                seg_doc sd;
                st = ixr_doc(ix, s, d, &sd);
                if (st == PK_OK && filter_pass(&f, &sd)) on_passage_doc(&acc, s, d, &sd, 0, NULL);
            }
        }
    }
    if (st == PK_OK) st = acc.st;
    if (acc.n) qsort(acc.p, acc.n, sizeof *acc.p, cmp_passage);
    json_t *root = st == PK_OK ? json_object() : NULL;
    json_t *list = root ? json_array() : NULL;
    if (st == PK_OK && (!root || !list)) st = PK_ENOMEM;
    size_t limit = o->limit ? o->limit : acc.n;
    if (st == PK_OK) {
        json_set_str(root, "query", have_query ? query : NULL);
        json_set_int(root, "total", (long long)acc.n);
        if (have_query) {
            json_t *terms = terms_json(qc);
            if (!terms) st = PK_ENOMEM;
            json_object_set_new(root, "matched_terms", terms);
        }
        for (size_t i = 0; i < acc.n && i < limit; i++) {
            json_array_append(list, acc.p[i].obj);
        }
        json_object_set_new(root, key, list);
    }
    for (size_t i = 0; i < acc.n; i++) json_decref(acc.p[i].obj);
    pk_free(acc.p);
    for (size_t l = 0; acc.lists && l < qc->nleaves; l++) q_posvec_free(&acc.lists[l]);
    pk_free(acc.lists);
    pk_free(f.body);
    qc_free(qc);
    if (st != PK_OK) { json_decref(root); return st; }
    return finish_json(ix, root, jf, json);
}

pk_status pk_decisions_json(pk_index *ix, const char *query, const pk_query_opts *o, char **json)
{
    return passages_json(ix, query, o, "decisions", json);
}

pk_status pk_followups_json(pk_index *ix, const char *query, const pk_query_opts *o, char **json)
{
    return passages_json(ix, query, o, "follow_ups", json);
}

/* ---- show ---- */

pk_status pk_show_json(pk_index *ix, const char *docarg, char **json)
{
    unsigned long jf = util_json_failures();
    *json = NULL;
    size_t seg;
    uint32_t doc;
    pk_status st;
    char *end;
    unsigned long id = strtoul(docarg, &end, 10);
    if (*docarg && *end == 0 && id > 0 && id <= UINT32_MAX) st = ixr_find_id(ix, (uint32_t)id, &seg, &doc);
    else st = PK_ENOENT;
    if (st == PK_ENOENT) st = ixr_find_path(ix, docarg, &seg, &doc);
    if (st == PK_ENOENT) { msg_set(&ix->msg, "show: no document '%s' in the index", docarg); return st; }
    if (st != PK_OK) return st;
    json_t *o = doc_head(ix, seg, doc, &st);
    if (!o) return st;
    seg_doc d;
    st = ixr_doc(ix, seg, doc, &d);
    if (st == PK_OK) {
        json_set_int(o, "tokens", d.ntokens);
        json_set_int(o, "bytes", (long long)d.raw_len);
        char h[17];
        snprintf(h, sizeof h, "%016llx", (unsigned long long)d.hash);
        json_set_str(o, "hash", h);
    }
    const char *rec, *text;
    size_t rl, tl;
    if (st == PK_OK) st = ixr_stored(ix, seg, doc, &rec, &rl, &text, &tl);
    if (st == PK_OK) {
        json_t *r = NULL;
        if (rl) st = json_read(rec, rl, 1, &r, NULL);
        if (st == PK_ECORRUPT) st = PK_OK;   /* a record that is not JSON shows as null */
        if (st == PK_OK) json_object_set_new(o, "record", r ? r : json_null());
        json_set_strn(o, "text", text, tl);
    }
    if (st != PK_OK) { json_decref(o); return st; }
    return finish_json(ix, o, jf, json);
}
