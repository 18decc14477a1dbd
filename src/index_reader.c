/* index_reader.c — the query side's view of an index (ixread.h): terms across segments, word
 * forms, postings, documents, stored records and period totals. */
#include "ixread.h"

#include <stdio.h>
#include "date.h"
#include "index_int.h"

size_t ixr_nsegs(const pk_index *ix) { return ix->man.nsegs; }
segr *ixr_seg(pk_index *ix, size_t i) { return i < ix->man.nsegs ? ix->segs[i] : NULL; }
const char *ixr_identity(const pk_index *ix) { return ix->man.identity; }
uint64_t ixr_generation(const pk_index *ix) { return ix->man.generation; }

uint64_t ixr_live_docs(const pk_index *ix)
{
    uint64_t n = 0;
    for (size_t i = 0; i < ix->man.nsegs; i++) n += ix->man.segs[i].ndocs - ix->man.segs[i].ndeleted;
    return n;
}

pk_status ixr_check_identity(pk_index *ix, const char *identity)
{
    if (!ix->man.identity || ix->man.nsegs == 0 || strcmp(ix->man.identity, identity) == 0) return PK_OK;
    msg_set(&ix->msg, "%s: index built with analyzer \"%s\", but this analyzer is \"%s\"; rebuild the index",
            ix->dir, ix->man.identity, identity);
    return PK_EVERSION;
}

pk_status ixr_seg_error(pk_index *ix, size_t seg, pk_status st)
{
    if (seg < ix->man.nsegs) ix->msg = *segr_msg(ix->segs[seg]);
    return st;
}

size_t ixr_key(int kind, const char *term, size_t n, uint8_t key[IX_MAX_KEY + 1])
{
    if (n == 0) return 0;
    if (kind == IX_PART) {
        if (n + 1 > IX_MAX_KEY) return 0;
        key[0] = IX_PART_MARK;
        memcpy(key + 1, term, n);
        return n + 1;
    }
    if (n > IX_MAX_KEY || (uint8_t)term[0] < 0x20) return 0;
    memcpy(key, term, n);
    return n;
}

pk_status ixr_lookup(pk_index *ix, size_t seg, int kind, const char *term, size_t n, seg_term *t, int *found)
{
    *found = 0;
    uint8_t key[IX_MAX_KEY + 1];
    size_t kn = ixr_key(kind, term, n, key);
    if (!kn || seg >= ix->man.nsegs) return PK_OK;
    pk_status st = segr_lookup(ix->segs[seg], key, kn, t, found);
    return st ? ixr_seg_error(ix, seg, st) : PK_OK;
}

pk_status ixr_post_open(pk_index *ix, size_t seg, int kind, const char *term, size_t n, seg_post *p, int *found)
{
    seg_term t;
    pk_status st = ixr_lookup(ix, seg, kind, term, n, &t, found);
    if (st || !*found) return st;
    st = segr_post_open(ix->segs[seg], &t, 1, p);
    if (st) { *found = 0; return ixr_seg_error(ix, seg, st); }
    return PK_OK;
}

static int starts_with(const uint8_t *k, size_t kn, const uint8_t *p, size_t pn)
{
    return kn >= pn && memcmp(k, p, pn) == 0;
}

static int key_less(const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;
    return c < 0 || (c == 0 && an < bn);
}

pk_status ixr_terms_prefix(pk_index *ix, int kind, const char *prefix, size_t n, ixr_term_fn cb, void *ud)
{
    uint8_t pre[IX_MAX_KEY + 2];
    size_t pn;
    if (kind == IX_PART) {
        if (n + 1 > IX_MAX_KEY) return PK_OK;
        pre[0] = IX_PART_MARK;
        memcpy(pre + 1, prefix, n);
        pn = n + 1;
    } else {
        if (n > IX_MAX_KEY) return PK_OK;
        if (n) memcpy(pre, prefix, n);
        pn = n;
    }
    /* whole words sort after every part term: start past them */
    const uint8_t *start = pre;
    size_t sn = pn;
    static const uint8_t after_parts[1] = {IX_PART_MARK + 1};
    if (kind != IX_PART && n == 0) { start = after_parts; sn = 1; }
    size_t ns = ix->man.nsegs;
    seg_titer *it = pk_calloc(ns ? ns : 1, sizeof *it);
    int *have = pk_calloc(ns ? ns : 1, sizeof *have);
    pk_status st = PK_OK;
    if (!it || !have) { st = PK_ENOMEM; msg_set(&ix->msg, "out of memory"); goto done; }
    for (size_t i = 0; i < ns; i++) {
        if ((st = segr_terms_from(ix->segs[i], start, sn, &it[i]))) { ixr_seg_error(ix, i, st); goto done; }
        int r = segr_terms_next(&it[i]);
        if (r < 0) { st = ixr_seg_error(ix, i, it[i].err); goto done; }
        have[i] = r && starts_with(it[i].t.key, it[i].t.key_len, pre, pn);
    }
    for (;;) {
        size_t m = ns;
        for (size_t i = 0; i < ns; i++)
            if (have[i] && (m == ns || key_less(it[i].t.key, it[i].t.key_len, it[m].t.key, it[m].t.key_len))) m = i;
        if (m == ns) break;
        uint8_t key[256];
        uint32_t kn = it[m].t.key_len;
        memcpy(key, it[m].t.key, kn);
        uint64_t df = 0;
        for (size_t i = m; i < ns; i++) {
            if (!have[i] || it[i].t.key_len != kn || memcmp(it[i].t.key, key, kn) != 0) continue;
            df += it[i].t.df;
            int r = segr_terms_next(&it[i]);
            if (r < 0) { st = ixr_seg_error(ix, i, it[i].err); goto done; }
            have[i] = r && starts_with(it[i].t.key, it[i].t.key_len, pre, pn);
        }
        size_t skip = kind == IX_PART ? 1 : 0;
        if (kind != IX_PART && key[0] == IX_PART_MARK) continue;
        if (cb(ud, (const char *)key + skip, kn - skip, df)) break;
    }
done:
    pk_free(it);
    pk_free(have);
    return st;
}

pk_status ixr_forms_prefix(pk_index *ix, const char *prefix, size_t n, ixr_form_fn cb, void *ud)
{
    size_t ns = ix->man.nsegs;
    seg_fiter *it = pk_calloc(ns ? ns : 1, sizeof *it);
    int *have = pk_calloc(ns ? ns : 1, sizeof *have);
    pk_status st = PK_OK;
    const uint8_t *pre = (const uint8_t *)prefix;
    if (!it || !have) { st = PK_ENOMEM; msg_set(&ix->msg, "out of memory"); goto done; }
    for (size_t i = 0; i < ns; i++) {
        if ((st = segr_forms_from(ix->segs[i], pre, n, &it[i]))) { ixr_seg_error(ix, i, st); goto done; }
        int r = segr_forms_next(&it[i]);
        if (r < 0) { st = ixr_seg_error(ix, i, it[i].err); goto done; }
        have[i] = r && starts_with(it[i].f.norm, it[i].f.norm_len, pre, n);
    }
    for (;;) {
        size_t m = ns;
        for (size_t i = 0; i < ns; i++)
            if (have[i] && (m == ns || key_less(it[i].f.norm, it[i].f.norm_len, it[m].f.norm, it[m].f.norm_len))) m = i;
        if (m == ns) break;
        seg_form f = it[m].f;
        for (size_t i = m; i < ns; i++) {
            if (!have[i] || it[i].f.norm_len != f.norm_len || memcmp(it[i].f.norm, f.norm, f.norm_len) != 0) continue;
            f.flags |= it[i].f.flags;
            int r = segr_forms_next(&it[i]);
            if (r < 0) { st = ixr_seg_error(ix, i, it[i].err); goto done; }
            have[i] = r && starts_with(it[i].f.norm, it[i].f.norm_len, pre, n);
        }
        f.norm[f.norm_len] = 0;
        f.stem[f.stem_len] = 0;
        if (cb(ud, (const char *)f.norm, f.norm_len, (const char *)f.stem, f.stem_len, f.flags)) break;
    }
done:
    pk_free(it);
    pk_free(have);
    return st;
}

/* ---- documents ---- */

pk_status ixr_doc(pk_index *ix, size_t seg, uint32_t doc, seg_doc *out)
{
    if (seg >= ix->man.nsegs) return PK_ENOENT;
    pk_status st = segr_doc(ix->segs[seg], doc, out);
    return st ? ixr_seg_error(ix, seg, st) : PK_OK;
}

int ixr_deleted(pk_index *ix, size_t seg, uint32_t doc)
{
    return seg >= ix->man.nsegs || segr_deleted(ix->segs[seg], doc);
}

pk_status ixr_find_id(pk_index *ix, uint32_t id, size_t *seg, uint32_t *doc)
{
    pk_status st = ix_find_id(ix, id, seg, doc);
    if (st == PK_ENOENT) msg_set(&ix->msg, "no document %u in the index", id);
    return st;
}

pk_status ixr_find_path(pk_index *ix, const char *path, size_t *seg, uint32_t *doc)
{
    size_t n = strlen(path);
    /* newest first: a path has at most one live document, but scanning from the end finds
     * recently added ones sooner */
    for (size_t i = ix->man.nsegs; i-- > 0;) {
        segr *s = ix->segs[i];
        for (uint32_t d = 0; d < segr_ndocs(s); d++) {
            if (segr_deleted(s, d)) continue;
            seg_doc sd;
            pk_status st = segr_doc(s, d, &sd);
            if (st) return ixr_seg_error(ix, i, st);
            if (sd.path_len == n && memcmp(sd.path, path, n) == 0) {
                *seg = i;
                *doc = d;
                return PK_OK;
            }
        }
    }
    msg_set(&ix->msg, "%s: not in the index", path);
    return PK_ENOENT;
}

pk_status ixr_stored(pk_index *ix, size_t seg, uint32_t doc, const char **rec, size_t *rec_len,
                     const char **text, size_t *text_len)
{
    if (seg >= ix->man.nsegs) return PK_ENOENT;
    pk_status st = segr_stored(ix->segs[seg], doc, rec, rec_len, text, text_len);
    return st ? ixr_seg_error(ix, seg, st) : PK_OK;
}

/* ---- periods ---- */

static int32_t floor_div(int32_t a, int32_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

static int32_t month_to(pk_period by, int32_t month)
{
    if (month == SEG_NOMONTH) return IXR_UNDATED;
    int32_t y = floor_div(month, 12), m = month - y * 12;
    switch (by) {
    case PK_BY_MONTH:   return month;
    case PK_BY_QUARTER: return y * 4 + m / 3;
    default:            return y;
    }
}

int32_t ixr_period_of(pk_period by, int32_t days) { return month_to(by, seg_month(days)); }

void ixr_period_label(pk_period by, int32_t key, char buf[24])
{
    if (key == IXR_UNDATED) { snprintf(buf, 24, "undated"); return; }
    switch (by) {
    case PK_BY_MONTH: {
        int32_t y = floor_div(key, 12);
        snprintf(buf, 24, "%04d-%02d", (int)y, (int)(key - y * 12 + 1));
        break;
    }
    case PK_BY_QUARTER: {
        int32_t y = floor_div(key, 4);
        snprintf(buf, 24, "%04d-Q%d", (int)y, (int)(key - y * 4 + 1));
        break;
    }
    default:
        snprintf(buf, 24, "%04d", (int)key);
        break;
    }
}

int32_t ixr_period_start(pk_period by, int32_t key)
{
    if (key == IXR_UNDATED) return PK_NODATE;
    switch (by) {
    case PK_BY_MONTH: {
        int32_t y = floor_div(key, 12);
        return date_days(y, key - y * 12 + 1, 1);
    }
    case PK_BY_QUARTER: {
        int32_t y = floor_div(key, 4);
        return date_days(y, (key - y * 4) * 3 + 1, 1);
    }
    default:
        return date_days(key, 1, 1);
    }
}

typedef struct pertab { ixr_period *p; size_t n, cap; } pertab;

static ixr_period *per_get(pertab *t, int32_t key)
{
    size_t lo = 0, hi = t->n;
    /* undated sorts last */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int32_t k = t->p[mid].key;
        int less = key == IXR_UNDATED ? k != IXR_UNDATED : (k != IXR_UNDATED && k < key);
        if (less) lo = mid + 1; else hi = mid;
    }
    if (lo < t->n && t->p[lo].key == key) return &t->p[lo];
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        ixr_period *np = pk_reallocarray(t->p, nc, sizeof *np);
        if (!np) return NULL;
        t->p = np;
        t->cap = nc;
    }
    memmove(t->p + lo + 1, t->p + lo, (t->n - lo) * sizeof *t->p);
    t->p[lo].key = key;
    t->p[lo].docs = 0;
    t->p[lo].tokens = 0;
    t->n++;
    return &t->p[lo];
}

pk_status ixr_periods(pk_index *ix, pk_period by, ixr_period **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    pertab t = {0};
    for (size_t i = 0; i < ix->man.nsegs; i++) {
        segr *s = ix->segs[i];
        for (uint32_t k = 0; k < segr_info(s)->nperiods; k++) {
            int32_t month;
            uint32_t docs;
            uint64_t tokens;
            segr_period(s, k, &month, &docs, &tokens);
            ixr_period *p = per_get(&t, month_to(by, month));
            if (!p) goto oom;
            p->docs += docs;
            p->tokens += tokens;
        }
        const uint8_t *dm = segr_delmap(s);
        for (uint32_t d = 0; dm && d < segr_ndocs(s); d++) {
            if (!(dm[d / 8] >> (d % 8) & 1)) continue;
            seg_doc sd;
            pk_status st = segr_doc_fixed(s, d, &sd);
            if (st) { pk_free(t.p); return ixr_seg_error(ix, i, st); }
            ixr_period *p = per_get(&t, ixr_period_of(by, sd.date));
            if (!p) goto oom;
            p->docs--;
            p->tokens -= sd.ntokens;
        }
    }
    /* drop periods emptied by deletions */
    size_t w = 0;
    for (size_t i = 0; i < t.n; i++)
        if (t.p[i].docs) t.p[w++] = t.p[i];
    *out = t.p;
    *n = w;
    return PK_OK;
oom:
    pk_free(t.p);
    msg_set(&ix->msg, "out of memory");
    return PK_ENOMEM;
}
