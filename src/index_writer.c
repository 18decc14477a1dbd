/* index_writer.c — the in-memory segment (postings buffered per term up to a memory budget),
 * flushing it to disk, merging segments (the tiered policy), and folding shard indexes in. */
#include "index_int.h"

#include <stdlib.h>
#include "strtab.h"

/* ------------------------------------------------------------------------------------------------
 * The in-memory segment
 * ---------------------------------------------------------------------------------------------- */

/* Postings of one term: per document varint(doc - previous doc), varint(tf), then the positions
 * as varint(first) and varint(gap - 1).  The bytes live in a chain of slices from a pool of
 * 1 MiB blocks: slices grow from 16 to 4096 bytes, and the last 8 bytes of a full slice hold the
 * address of the next one.  No allocation per term, and a flush frees whole blocks. */
typedef struct tpost {
    uint64_t first;       /* address of the first slice */
    uint64_t wp;          /* address of the next byte to write */
    uint32_t left;        /* bytes left in the current slice before its link */
    uint32_t len;         /* bytes written */
    uint32_t next;        /* the previous posting's document + 1 */
    uint8_t  level;       /* size class of the current slice */
} tpost;

#define POOL_SHIFT 20
#define POOL_BLOCK ((size_t)1 << POOL_SHIFT)
#define SLICE_LINK 8
static const uint32_t slice_size[] = {16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
#define SLICE_LEVELS (sizeof slice_size / sizeof slice_size[0])

typedef struct pool {
    uint8_t **blk;
    size_t    nblk, capblk;
    size_t    used;       /* bytes used in the last block */
} pool;

static void pool_free(pool *p)
{
    for (size_t i = 0; i < p->nblk; i++) pk_free(p->blk[i]);
    pk_free(p->blk);
    memset(p, 0, sizeof *p);
}

static inline uint8_t *pool_at(const pool *p, uint64_t a)
{
    return p->blk[a >> POOL_SHIFT] + (a & (POOL_BLOCK - 1));
}

/* A fresh slice of n bytes; its address, or UINT64_MAX when memory ran out. */
static uint64_t pool_slice(pool *p, uint32_t n)
{
    if (p->nblk == 0 || p->used + n > POOL_BLOCK) {
        if (p->nblk == p->capblk) {
            size_t nc = p->capblk ? p->capblk * 2 : 64;
            uint8_t **nb = pk_reallocarray(p->blk, nc, sizeof *nb);
            if (!nb) return UINT64_MAX;
            p->blk = nb;
            p->capblk = nc;
        }
        uint8_t *b = pk_malloc(POOL_BLOCK);
        if (!b) return UINT64_MAX;
        p->blk[p->nblk++] = b;
        p->used = 0;
    }
    uint64_t a = (uint64_t)(p->nblk - 1) << POOL_SHIFT | p->used;
    p->used += n;
    return a;
}

/* Append bytes to a term's chain of slices. */
static int tp_write(pool *p, tpost *t, const uint8_t *src, size_t n)
{
    while (n) {
        if (t->left == 0) {
            uint8_t lv = t->first == UINT64_MAX ? 0 : (uint8_t)((size_t)t->level + 1 < SLICE_LEVELS ? t->level + 1 : t->level);
            uint64_t a = pool_slice(p, slice_size[lv]);
            if (a == UINT64_MAX) return -1;
            if (t->first == UINT64_MAX) t->first = a;
            else st_u64le(pool_at(p, t->wp), a);        /* the link of the full slice */
            t->wp = a;
            t->left = slice_size[lv] - SLICE_LINK;
            t->level = lv;
        }
        size_t k = n < t->left ? n : t->left;
        memcpy(pool_at(p, t->wp), src, k);
        t->wp += k;
        t->left -= (uint32_t)k;
        t->len += (uint32_t)k;
        src += k;
        n -= k;
    }
    return 0;
}

/* Reads a term's chain of slices back. */
typedef struct tp_reader {
    const pool *p;
    uint64_t    a;        /* next byte */
    uint32_t    left;     /* bytes left in the current slice */
    uint32_t    rest;     /* bytes left in the chain */
    uint8_t     level;
} tp_reader;

static void tp_read_start(tp_reader *r, const pool *p, const tpost *t)
{
    r->p = p;
    r->a = t->first;
    r->level = 0;
    r->left = slice_size[0] - SLICE_LINK;
    r->rest = t->len;
}

static int tp_getc(tp_reader *r)
{
    if (r->rest == 0) return -1;
    if (r->left == 0) {
        r->a = ld_u64le(pool_at(r->p, r->a));
        if ((size_t)r->level + 1 < SLICE_LEVELS) r->level++;
        r->left = slice_size[r->level] - SLICE_LINK;
    }
    int c = *pool_at(r->p, r->a);
    r->a++;
    r->left--;
    r->rest--;
    return c;
}

static int tp_varint(tp_reader *r, uint64_t *v)
{
    if (r->left >= 10 && r->rest >= 10) {
        /* the whole varint is in the current slice: decode it in place */
        const uint8_t *p = pool_at(r->p, r->a);
        uint64_t x = 0;
        for (unsigned i = 0; i < 10; i++) {
            x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
            if (!(p[i] & 0x80)) {
                r->a += i + 1;
                r->left -= i + 1;
                r->rest -= i + 1;
                *v = x;
                return 0;
            }
        }
        return -1;
    }
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        int c = tp_getc(r);
        if (c < 0) return -1;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) { *v = x; return 0; }
    }
    return -1;
}

typedef struct fxent { uint32_t stem_off, stem_len, flags; } fxent;

/* What the ids of one source (a pipeline worker, see ixdoc.src) stand for in this segment: term
 * and form ids + 1 by the source's lids, 0 where not known yet. */
typedef struct xlat {
    uint64_t  gen;
    int       used;
    uint32_t *t, *f;
    size_t    nt, nf;
} xlat;

struct ixbuf {
    segw    *w;
    uint64_t seg_id;
    uint32_t ndocs;
    uint32_t first_id, last_id;
    strtab   terms;
    tpost   *tp;
    size_t   tpcap;
    pool     pool;
    strtab   forms;
    fxent   *fx;
    size_t   fxcap;
    pk_buf   stems;
    xlat    *xl;
    size_t   nxl;
    pk_msg   msg;
};

void ixbuf_free(ixbuf *b)
{
    if (!b) return;
    segw_abort(b->w);
    pool_free(&b->pool);
    pk_free(b->tp);
    strtab_free(&b->terms);
    strtab_free(&b->forms);
    pk_free(b->fx);
    buf_free(&b->stems);
    for (size_t i = 0; i < b->nxl; i++) {
        pk_free(b->xl[i].t);
        pk_free(b->xl[i].f);
    }
    pk_free(b->xl);
    pk_free(b);
}

/* The memory that decides when the segment is flushed: what the same documents take whatever the
 * number of workers (so not the id translations, whose size depends on the workers' analyzers;
 * they are bounded by the analyzers' form caches), so that the index is the same byte for byte. */
static size_t ixbuf_mem(const ixbuf *b)
{
    return strtab_bytes(&b->terms) + b->tpcap * sizeof(tpost) + b->pool.nblk * POOL_BLOCK +
           strtab_bytes(&b->forms) + b->fxcap * sizeof(fxent) + b->stems.cap + segw_mem(b->w);
}

/* The translation of a source's ids for a document of generation gen; NULL when memory ran out
 * (the caller then looks keys up by their bytes). */
static xlat *xlat_for(ixbuf *b, uint32_t src, uint64_t gen)
{
    if (src == 0 || src > 4096) return NULL;
    if (src > b->nxl) {
        size_t nc = b->nxl ? b->nxl : 4;
        while (nc < src) nc *= 2;
        xlat *n = pk_reallocarray(b->xl, nc, sizeof *n);
        if (!n) return NULL;
        memset(n + b->nxl, 0, (nc - b->nxl) * sizeof *n);
        b->xl = n;
        b->nxl = nc;
    }
    xlat *x = &b->xl[src - 1];
    if (!x->used || x->gen != gen) {
        if (x->t) memset(x->t, 0, x->nt * sizeof *x->t);
        if (x->f) memset(x->f, 0, x->nf * sizeof *x->f);
        x->used = 1;
        x->gen = gen;
    }
    return x;
}

/* The slot for lid in a translation array that grows on demand; NULL when memory ran out. */
static uint32_t *xlat_slot(uint32_t **a, size_t *n, uint32_t lid)
{
    if (lid >= *n) {
        if (lid >= (1u << 28)) return NULL;
        size_t nc = *n ? *n : 4096;
        while (nc <= lid) nc *= 2;
        uint32_t *m = pk_reallocarray(*a, nc, sizeof *m);
        if (!m) return NULL;
        memset(m + *n, 0, (nc - *n) * sizeof *m);
        *a = m;
        *n = nc;
    }
    return &(*a)[lid];
}

/* Intern a term or form key, first through the worker's id translation (xa/xn, NULL for none) when
 * the key has an analyzer id: -1 out of memory, 0 already there, 1 new; *id its number. */
static int intern_by_lid(strtab *tab, uint32_t **xa, size_t *xn, uint32_t lid, const uint8_t *k,
                         uint32_t kn, uint32_t hash, uint32_t *id)
{
    uint32_t *slot = xa && lid != IXDOC_NONE ? xlat_slot(xa, xn, lid) : NULL;
    if (slot && *slot) {
        *id = *slot - 1;
        return strtab_touch(tab) ? -1 : 0;
    }
    int r = strtab_intern_h(tab, k, kn, lid != IXDOC_NONE ? strtab_hash(k, kn) : hash, id);
    if (r >= 0 && slot) *slot = *id + 1;
    return r;
}


static void put_varint(uint8_t **p, uint64_t v)
{
    while (v >= 0x80) { *(*p)++ = (uint8_t)(v | 0x80); v >>= 7; }
    *(*p)++ = (uint8_t)v;
}

static int tp_append(ixbuf *b, tpost *t, uint32_t doc, const uint32_t *pos, uint32_t npos)
{
    uint8_t tmp[256];
    uint8_t *p = tmp;
    put_varint(&p, doc - t->next);
    put_varint(&p, npos);
    for (uint32_t j = 0; j < npos; j++) {
        put_varint(&p, j ? pos[j] - pos[j - 1] - 1 : pos[0]);
        if (p - tmp > (ptrdiff_t)sizeof tmp - 10) {
            if (tp_write(&b->pool, t, tmp, (size_t)(p - tmp))) return -1;
            p = tmp;
        }
    }
    if (tp_write(&b->pool, t, tmp, (size_t)(p - tmp))) return -1;
    if (t->len > UINT32_MAX - 4096) return -1;
    t->next = doc + 1;
    return 0;
}

static pk_status ixbuf_new(pk_index *ix, ixbuf **out)
{
    ixbuf *b = pk_calloc(1, sizeof *b);
    if (!b) return PK_ENOMEM;
    strtab_init(&b->terms);
    strtab_init(&b->forms);
    buf_init(&b->stems);
    b->seg_id = ix->man.next_seg;
    pk_status st = segw_open(ix->dir, b->seg_id, ix->man.identity, &ix->msg, &b->w);
    if (st) { ixbuf_free(b); return st; }
    if (ix->async_store) segw_async(b->w);
    ix->man.next_seg++;
    *out = b;
    return PK_OK;
}

pk_status ix_add_doc(pk_index *ix, const ixdoc *d)
{
    pk_status st = ix_require_write(ix);
    if (st) return st;
    if (!ix->man.identity) {
        msg_set(&ix->msg, "%s: the index has no analyzer identity yet", ix->dir);
        return PK_EINVAL;
    }
    if (ix->man.next_doc == UINT32_MAX) {
        msg_set(&ix->msg, "%s: document ids exhausted", ix->dir);
        return PK_ELIMIT;
    }
    if (d->action == IXDOC_REPLACE) {
        st = ix_delete_id(ix, d->old_id);
        if (st == PK_OK) ix->run_replaced++;
        else if (st == PK_ENOENT) ix->run_added++;
        else return st;
    } else {
        ix->run_added++;
    }
    if (!ix->buf && (st = ixbuf_new(ix, &ix->buf))) return st;
    ixbuf *b = ix->buf;
    uint32_t id = ix->man.next_doc++;
    uint32_t doc = b->ndocs;
    uint32_t ntok = d->ntokens;
    for (uint32_t t = 0; t < d->nterms; t++)
        if (d->terms[t].npos) {
            uint32_t last = d->pos[d->terms[t].pos_off + d->terms[t].npos - 1];
            if (last >= ntok) ntok = last + 1;
        }
    seg_docmeta m = {
        .id = id, .date = d->date, .ntokens = ntok, .text_len = (uint32_t)d->text_len,
        .raw_len = d->raw_len, .hash = d->hash,
        .path = d->path ? d->path : "", .path_len = d->path ? strlen(d->path) : 0,
        .body = d->body, .body_len = d->body ? strlen(d->body) : 0,
    };
    if (d->text_len > UINT32_MAX || m.path_len == 0) {
        msg_set(&ix->msg, "%s: %s", m.path_len ? d->path : "(no path)",
                m.path_len ? "document text over 4 GiB" : "document without a path");
        return PK_EINVAL;
    }
    segw_doc(b->w, &m, d->record ? d->record : "", d->record ? d->record_len : 0, d->text ? d->text : "",
             d->text_len);
    if (b->ndocs == 0) b->first_id = id;
    b->last_id = id;
    b->ndocs++;
    xlat *x = xlat_for(b, d->src, d->src_gen);
    for (uint32_t t = 0; t < d->nterms; t++) {
        const ixterm *it = &d->terms[t];
        if (it->npos == 0) continue;
        uint32_t tid;
        int r = intern_by_lid(&b->terms, x ? &x->t : NULL, x ? &x->nt : NULL, it->lid,
                              d->keys + it->key_off, it->key_len, it->hash, &tid);
        if (r < 0) goto oom;
        if (r == 1) {
            if (tid >= b->tpcap) {
                size_t nc = b->tpcap ? b->tpcap * 2 : 4096;
                tpost *np = pk_reallocarray(b->tp, nc, sizeof *np);
                if (!np) goto oom;
                b->tp = np;
                b->tpcap = nc;
            }
            memset(&b->tp[tid], 0, sizeof b->tp[tid]);
            b->tp[tid].first = UINT64_MAX;
        }
        if (tp_append(b, &b->tp[tid], doc, d->pos + it->pos_off, it->npos)) goto oom;
    }
    for (uint32_t f = 0; f < d->nforms; f++) {
        const ixform *fm = &d->forms[f];
        uint32_t fid;
        int r = intern_by_lid(&b->forms, x ? &x->f : NULL, x ? &x->nf : NULL, fm->lid,
                              d->keys + fm->norm_off, fm->norm_len, fm->hash, &fid);
        if (r < 0) goto oom;
        if (r == 0) { b->fx[fid].flags |= fm->flags; continue; }
        if (fid >= b->fxcap) {
            size_t nc = b->fxcap ? b->fxcap * 2 : 4096;
            fxent *nf = pk_reallocarray(b->fx, nc, sizeof *nf);
            if (!nf) goto oom;
            b->fx = nf;
            b->fxcap = nc;
        }
        b->fx[fid].stem_off = (uint32_t)b->stems.n;
        b->fx[fid].stem_len = fm->stem_len;
        b->fx[fid].flags = fm->flags;
        buf_put(&b->stems, d->keys + fm->stem_off, fm->stem_len);
        if (b->stems.err || b->stems.n > UINT32_MAX) goto oom;
    }
    if (ixbuf_mem(b) >= ix->mem_budget) {
        if ((st = ix_commit(ix))) return st;
        return ix_merge_policy(ix);
    }
    return PK_OK;
oom:
    /* the buffer holds part of this document: drop everything not yet committed (the buffered
     * documents, and the deletions of the versions they replace) rather than commit a half */
    msg_set(&ix->msg, "out of memory while buffering postings");
    ixbuf_free(ix->buf);
    ix->buf = NULL;
    ix_drop_pending(ix);
    ix->pm_ready = 0;
    return PK_ENOMEM;
}

static int cmp_ids(const void *a, const void *b, void *ud)
{
    const strtab *t = ud;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b, xn, yn;
    const uint8_t *xk = strtab_key(t, x, &xn), *yk = strtab_key(t, y, &yn);
    size_t n = xn < yn ? xn : yn;
    int c = n ? memcmp(xk, yk, n) : 0;
    if (c) return c;
    return xn < yn ? -1 : xn > yn;
}

/* A key's first eight bytes, big-endian, zero-padded: keys whose prefixes differ sort as their
 * prefixes do (a shorter key pads with the lowest byte), so only equal prefixes need the keys. */
typedef struct pfx_id { uint64_t pfx; uint32_t id; } pfx_id;

static int cmp_pfx(const void *a, const void *b, void *ud)
{
    const pfx_id *x = a, *y = b;
    if (x->pfx != y->pfx) return x->pfx < y->pfx ? -1 : 1;
    return cmp_ids(&x->id, &y->id, ud);
}

/* The ids of a table's keys in byte order of the keys. */
static uint32_t *sorted_ids(const strtab *t)
{
    uint32_t *ids = pk_reallocarray(NULL, t->n ? t->n : 1, sizeof *ids);
    if (!ids) return NULL;
    pfx_id *v = pk_reallocarray(NULL, t->n ? t->n : 1, sizeof *v);
    if (!v) {
        /* no room for the prefixes: the plain sort gives the same order */
        for (size_t i = 0; i < t->n; i++) ids[i] = (uint32_t)i;
        qsort_r(ids, t->n, sizeof *ids, cmp_ids, (void *)t);
        return ids;
    }
    for (size_t i = 0; i < t->n; i++) {
        uint32_t kn;
        const uint8_t *k = strtab_key(t, (uint32_t)i, &kn);
        uint64_t p = 0;
        for (uint32_t j = 0; j < 8; j++) p = p << 8 | (j < kn ? k[j] : 0);
        v[i].pfx = p;
        v[i].id = (uint32_t)i;
    }
    pfx_id *tmp = pk_reallocarray(NULL, t->n ? t->n : 1, sizeof *tmp);
    if (!tmp) {
        qsort_r(v, t->n, sizeof *v, cmp_pfx, (void *)t);
    } else {
        /* least significant byte first, one stable counting pass per prefix byte that varies */
        pfx_id *a = v, *b = tmp;
        for (unsigned shift = 0; shift < 64; shift += 8) {
            size_t cnt[256] = {0};
            for (size_t i = 0; i < t->n; i++) cnt[(a[i].pfx >> shift) & 0xFF]++;
            if (t->n && cnt[(a[0].pfx >> shift) & 0xFF] == t->n) continue;
            size_t sum = 0;
            for (unsigned d = 0; d < 256; d++) { size_t c = cnt[d]; cnt[d] = sum; sum += c; }
            for (size_t i = 0; i < t->n; i++) b[cnt[(a[i].pfx >> shift) & 0xFF]++] = a[i];
            pfx_id *sw = a; a = b; b = sw;
        }
        /* keys that share their first eight bytes: by the whole key */
        for (size_t i = 0; i < t->n;) {
            size_t j = i + 1;
            while (j < t->n && a[j].pfx == a[i].pfx) j++;
            if (j - i > 1) qsort_r(a + i, j - i, sizeof *a, cmp_pfx, (void *)t);
            i = j;
        }
        if (a != v) memcpy(v, a, t->n * sizeof *v);
        pk_free(tmp);
    }
    for (size_t i = 0; i < t->n; i++) ids[i] = v[i].id;
    pk_free(v);
    return ids;
}

/* Is the stem indexed, as a whole word or as a compound part? */
static int stem_indexed(const strtab *terms, const uint8_t *stem, size_t n)
{
    uint32_t id;
    if (n == 0) return 0;
    if (strtab_find(terms, stem, n, &id)) return 1;
    uint8_t k[IX_MAX_KEY + 1];
    if (n + 1 > sizeof k) return 0;
    k[0] = IX_PART_MARK;
    memcpy(k + 1, stem, n);
    return strtab_find(terms, k, n + 1, &id);
}

pk_status ix_flush(pk_index *ix)
{
    ixbuf *b = ix->buf;
    if (!b) return PK_OK;
    if (b->ndocs == 0) { ixbuf_free(b); ix->buf = NULL; return PK_OK; }
    pk_status st = PK_OK;
    uint32_t *ids = sorted_ids(&b->terms);
    uint32_t *fids = sorted_ids(&b->forms);
    uint32_t *pos = NULL;
    size_t poscap = 0;
    if (!ids || !fids) { st = PK_ENOMEM; goto fail; }
    for (size_t i = 0; i < b->terms.n; i++) {
        uint32_t kn;
        const uint8_t *key = strtab_key(&b->terms, ids[i], &kn);
        tpost *t = &b->tp[ids[i]];
        segw_term_begin(b->w, key, kn);
        tp_reader rd;
        tp_read_start(&rd, &b->pool, t);
        uint64_t doc = 0;
        while (rd.rest) {
            uint64_t dd, tf, v;
            if (tp_varint(&rd, &dd) || tp_varint(&rd, &tf) || tf == 0) { st = PK_EINVAL; goto fail; }
            doc += dd;
            if (tf > poscap) {
                size_t nc = poscap ? poscap : 256;
                while (nc < tf) nc *= 2;
                uint32_t *np = pk_reallocarray(pos, nc, sizeof *np);
                if (!np) { st = PK_ENOMEM; goto fail; }
                pos = np;
                poscap = nc;
            }
            for (uint64_t j = 0; j < tf; j++) {
                if (tp_varint(&rd, &v)) { st = PK_EINVAL; goto fail; }
                pos[j] = (uint32_t)(j ? pos[j - 1] + v + 1 : v);
            }
            segw_posting(b->w, (uint32_t)doc, pos, (uint32_t)tf);
            doc++;
        }
        segw_term_end(b->w);
    }
    for (size_t i = 0; i < b->forms.n; i++) {
        uint32_t nn;
        const uint8_t *norm = strtab_key(&b->forms, fids[i], &nn);
        const fxent *f = &b->fx[fids[i]];
        const uint8_t *stem = b->stems.p + f->stem_off;
        if (stem_indexed(&b->terms, stem, f->stem_len)) segw_form(b->w, norm, nn, stem, f->stem_len, f->flags);
    }
    pk_free(ids);
    pk_free(fids);
    pk_free(pos);
    ids = fids = pos = NULL;
    seg_info info;
    segw *w = b->w;
    b->w = NULL;
    st = segw_finish(w, &info);
    if (st) goto fail;
    man_seg g = {.id = b->seg_id, .ndocs = info.ndocs, .ndeleted = 0, .first_id = b->first_id,
                 .last_id = b->last_id, .del_gen = 0};
    st = manifest_insert(&ix->man, ix->man.nsegs, &g);
    if (st) goto fail;
    ix->dirty = 1;
    ixbuf_free(b);
    ix->buf = NULL;
    return PK_OK;
fail:
    if (st == PK_ENOMEM) msg_set(&ix->msg, "out of memory while writing a segment");
    else if (st == PK_EINVAL && !ix->msg.text[0]) msg_set(&ix->msg, "internal postings buffer damaged");
    pk_free(ids);
    pk_free(fids);
    pk_free(pos);
    ixbuf_free(b);
    ix->buf = NULL;
    return st;
}

/* ------------------------------------------------------------------------------------------------
 * Merging segments
 * ---------------------------------------------------------------------------------------------- */

/* A set of 64-bit key hashes (0 is never stored). */
typedef struct hset { uint64_t *e; size_t cap, n; } hset;

static uint64_t key_hash(const uint8_t *k, size_t n)
{
    uint64_t h = util_hash64(k, n, 0x6b657973ULL);
    return h ? h : 1;
}

static int hset_add(hset *s, uint64_t h)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 4096;
        uint64_t *ne = pk_calloc(nc, sizeof *ne);
        if (!ne) return -1;
        for (size_t i = 0; i < s->cap; i++)
            if (s->e[i]) {
                size_t j = (size_t)s->e[i] & (nc - 1);
                while (ne[j]) j = (j + 1) & (nc - 1);
                ne[j] = s->e[i];
            }
        pk_free(s->e);
        s->e = ne;
        s->cap = nc;
    }
    size_t j = (size_t)h & (s->cap - 1);
    while (s->e[j] && s->e[j] != h) j = (j + 1) & (s->cap - 1);
    if (!s->e[j]) { s->e[j] = h; s->n++; }
    return 0;
}

static int hset_has(const hset *s, uint64_t h)
{
    if (!s->cap) return 0;
    size_t j = (size_t)h & (s->cap - 1);
    while (s->e[j]) {
        if (s->e[j] == h) return 1;
        j = (j + 1) & (s->cap - 1);
    }
    return 0;
}

static int key_less(const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;
    return c < 0 || (c == 0 && an < bn);
}

#define RELEASE_EVERY (8u << 20)   /* positions between giving mapped pages back */
#define RELEASE_BYTES (16u << 20)  /* stored bytes between giving mapped pages back */

/* Write the live documents of in[0..n) into segment seg_id.  Ids are kept, or renumbered from
 * *next_id when renumber is set.  *written is 0 when no document survived (no files then). */
static pk_status merge_into(pk_index *ix, segr **in, size_t n, int renumber, uint32_t *next_id,
                            uint64_t seg_id, seg_info *info, int *written)
{
    *written = 0;
    pk_status st = PK_OK;
    uint32_t **map = pk_calloc(n ? n : 1, sizeof *map);
    seg_titer *ti = pk_calloc(n ? n : 1, sizeof *ti);
    seg_fiter *fi = pk_calloc(n ? n : 1, sizeof *fi);
    int *have = pk_calloc(n ? n : 1, sizeof *have);
    seg_post post;
    hset keys = {0};
    segw *w = NULL;
    memset(&post, 0, sizeof post);
    if (!map || !ti || !fi || !have) { st = PK_ENOMEM; goto done; }
    uint64_t live = 0;
    for (size_t i = 0; i < n; i++) live += segr_ndocs(in[i]) - segr_ndeleted(in[i]);
    if (live == 0) goto done;
    if (renumber && live > (uint64_t)UINT32_MAX - *next_id) {
        msg_set(&ix->msg, "%s: document ids exhausted", ix->dir);
        st = PK_ELIMIT;
        goto done;
    }
    if ((st = segw_open(ix->dir, seg_id, ix->man.identity, &ix->msg, &w))) goto done;

    /* documents and stored blocks */
    uint32_t out = 0;
    uint64_t copied = 0;
    for (size_t i = 0; i < n && !st; i++) {
        segr *s = in[i];
        uint32_t nd = segr_ndocs(s);
        map[i] = pk_malloc((size_t)nd * sizeof **map);
        if (!map[i]) { st = PK_ENOMEM; break; }
        for (uint32_t b = 0; b < segr_store_nblocks(s) && !st; b++) {
            uint32_t first, cnt, ulen;
            const uint8_t *c;
            size_t clen;
            if ((st = segr_store_block(s, b, &first, &cnt, &c, &clen, &ulen))) break;
            /* mapped pages read so far go back to the kernel now and then, so that a merge of
             * large segments does not hold them all in memory */
            copied += clen;
            if (copied > RELEASE_BYTES) {
                segr_release(s);
                copied = 0;
            }
            int all = 1;
            for (uint32_t d = first; d < first + cnt && all; d++) all = !segr_deleted(s, d);
            if (all) segw_store_block(w, c, clen, ulen, cnt);
            for (uint32_t d = first; d < first + cnt && !st; d++) {
                if (segr_deleted(s, d)) { map[i][d] = UINT32_MAX; continue; }
                seg_doc doc;
                if ((st = segr_doc(s, d, &doc))) break;
                seg_docmeta m = {.id = renumber ? (*next_id)++ : doc.id, .date = doc.date,
                                 .ntokens = doc.ntokens, .text_len = doc.text_len, .raw_len = doc.raw_len,
                                 .hash = doc.hash, .path = doc.path, .path_len = doc.path_len,
                                 .body = doc.body, .body_len = doc.body_len};
                if (all) {
                    segw_doc_meta(w, &m);
                } else {
                    const char *rec, *text;
                    size_t rl, tl;
                    if ((st = segr_stored(s, d, &rec, &rl, &text, &tl))) break;
                    segw_doc(w, &m, rec, rl, text, tl);
                }
                map[i][d] = out++;
            }
        }
        if (st) ix->msg = *segr_msg(s);
        segr_release(s);
    }
    if (st) goto done;

    /* terms: a k-way merge of the dictionaries */
    for (size_t i = 0; i < n && !st; i++) {
        if ((st = segr_terms_from(in[i], NULL, 0, &ti[i]))) { ix->msg = *segr_msg(in[i]); break; }
        int r = segr_terms_next(&ti[i]);
        if (r < 0) { st = ti[i].err; ix->msg = *segr_msg(in[i]); break; }
        have[i] = r;
    }
    uint64_t since_release = 0;
    while (!st) {
        size_t m = n;
        for (size_t i = 0; i < n; i++)
            if (have[i] && (m == n || key_less(ti[i].t.key, ti[i].t.key_len, ti[m].t.key, ti[m].t.key_len))) m = i;
        if (m == n) break;
        uint8_t key[256];
        uint32_t kn = ti[m].t.key_len;
        memcpy(key, ti[m].t.key, kn);
        segw_term_begin(w, key, kn);
        int any = 0;
        for (size_t i = m; i < n && !st; i++) {
            if (!have[i] || ti[i].t.key_len != kn || memcmp(ti[i].t.key, key, kn) != 0) continue;
            if ((st = segr_post_open(in[i], &ti[i].t, 1, &post))) { ix->msg = *segr_msg(in[i]); break; }
            int r;
            while ((r = segr_post_next(&post)) == 1) {
                const uint32_t *pos = segr_post_positions(&post);
                if (!pos) { r = -1; break; }
                segw_posting(w, map[i][post.doc], pos, post.tf);
                since_release += post.tf;
                any = 1;
            }
            if (r < 0) { st = post.st ? post.st : PK_ECORRUPT; ix->msg = *segr_msg(in[i]); }
            segr_post_close(&post);
            if (st) break;
            r = segr_terms_next(&ti[i]);
            if (r < 0) { st = ti[i].err; ix->msg = *segr_msg(in[i]); break; }
            have[i] = r;
        }
        segw_term_end(w);
        if (any && hset_add(&keys, key_hash(key, kn))) st = PK_ENOMEM;
        if (since_release > RELEASE_EVERY) {
            for (size_t i = 0; i < n; i++) segr_release(in[i]);
            since_release = 0;
        }
    }
    if (st) goto done;

    /* forms whose stem is still indexed */
    for (size_t i = 0; i < n && !st; i++) {
        if ((st = segr_forms_from(in[i], NULL, 0, &fi[i]))) { ix->msg = *segr_msg(in[i]); break; }
        int r = segr_forms_next(&fi[i]);
        if (r < 0) { st = fi[i].err; ix->msg = *segr_msg(in[i]); break; }
        have[i] = r;
    }
    while (!st) {
        size_t m = n;
        for (size_t i = 0; i < n; i++)
            if (have[i] && (m == n || key_less(fi[i].f.norm, fi[i].f.norm_len, fi[m].f.norm, fi[m].f.norm_len))) m = i;
        if (m == n) break;
        seg_form f = fi[m].f;
        for (size_t i = m; i < n; i++) {
            if (!have[i] || fi[i].f.norm_len != f.norm_len || memcmp(fi[i].f.norm, f.norm, f.norm_len) != 0) continue;
            f.flags |= fi[i].f.flags;
            int r = segr_forms_next(&fi[i]);
            if (r < 0) { st = fi[i].err; ix->msg = *segr_msg(in[i]); break; }
            have[i] = r;
        }
        uint8_t pk[IX_MAX_KEY + 1];
        int keep = f.stem_len && hset_has(&keys, key_hash(f.stem, f.stem_len));
        if (!keep && f.stem_len && f.stem_len < sizeof pk) {
            pk[0] = IX_PART_MARK;
            memcpy(pk + 1, f.stem, f.stem_len);
            keep = hset_has(&keys, key_hash(pk, f.stem_len + 1));
        }
        if (keep) segw_form(w, f.norm, f.norm_len, f.stem, f.stem_len, f.flags);
    }
    if (st) goto done;
    st = segw_finish(w, info);
    w = NULL;
    if (!st) *written = 1;
done:
    if (st == PK_ENOMEM) msg_set(&ix->msg, "out of memory while merging segments");
    segw_abort(w);
    for (size_t i = 0; map && i < n; i++) pk_free(map[i]);
    pk_free(map);
    pk_free(ti);
    pk_free(fi);
    pk_free(have);
    pk_free(keys.e);
    for (size_t i = 0; i < n; i++) segr_release(in[i]);
    return st;
}

pk_status ix_merge_range(pk_index *ix, size_t first, size_t count)
{
    pk_status st = ix_require_write(ix);
    if (st) return st;
    if (ix->buf || ix->npend) {
        if ((st = ix_commit(ix))) return st;
    }
    if (count == 0 || first + count > ix->man.nsegs) return PK_OK;
    manifest saved;
    if ((st = manifest_copy(&saved, &ix->man))) return st;
    uint64_t id = ix->man.next_seg++;
    seg_info info;
    int written;
    uint32_t unused = 0;
    st = merge_into(ix, ix->segs + first, count, 0, &unused, id, &info, &written);
    if (!st) {
        man_seg g = {.id = id, .ndocs = info.ndocs, .ndeleted = 0, .first_id = info.first_id,
                     .last_id = info.last_id, .del_gen = 0};
        manifest_remove(&ix->man, first, count);
        if (written) st = manifest_insert(&ix->man, first, &g);
        ix->dirty = 1;
    }
    if (!st) st = ix_commit(ix);
    if (st) {
        char keep[sizeof ix->msg.text];
        memcpy(keep, ix->msg.text, sizeof keep);
        manifest_free(&ix->man);
        ix->man = saved;
        ix->dirty = 0;
        ix_load(ix, 0);
        memcpy(ix->msg.text, keep, sizeof keep);
        return st;
    }
    manifest_free(&saved);
    return PK_OK;
}

static unsigned seg_level(segr *s)
{
    const seg_info *in = segr_info(s);
    uint64_t size = in->ix_size + in->pos_size;
    if (in->ndocs) size = size / in->ndocs * (in->ndocs - segr_ndeleted(s));
    unsigned level = 0;
    for (uint64_t lim = IX_LEVEL_BASE; size >= lim && level < 40; lim *= IX_MERGE_FACTOR) level++;
    return level;
}

pk_status ix_merge_policy(pk_index *ix)
{
    pk_status st = PK_OK;
    for (int round = 0; round < 256 && !st; round++) {
        size_t n = ix->man.nsegs, run = 0, pick = n, cnt = 0;
        unsigned prev = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned l = seg_level(ix->segs[i]);
            run = i > 0 && l == prev ? run + 1 : 1;
            prev = l;
            if (run == IX_MERGE_FACTOR) { pick = i + 1 - run; cnt = run; break; }
        }
        if (pick == n) {
            for (size_t i = 0; i < n; i++)
                if ((uint64_t)segr_ndeleted(ix->segs[i]) * 2 > segr_ndocs(ix->segs[i])) { pick = i; cnt = 1; break; }
        }
        if (pick == n) break;
        st = ix_merge_range(ix, pick, cnt);
    }
    return st;
}

pk_status ix_finish_run(pk_index *ix)
{
    pk_status st = ix_commit(ix);
    if (!st) st = ix_merge_policy(ix);
    ix->pm_ready = 0;
    return st;
}

/* ------------------------------------------------------------------------------------------------
 * Folding shards in
 * ---------------------------------------------------------------------------------------------- */

/* Where the last version of a path among the shards lives. */
typedef struct winner { uint64_t phash; uint32_t shard, seg, doc; } winner;

static winner *win_slot(winner *t, size_t cap, uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);
    while (t[i].phash && t[i].phash != h) i = (i + 1) & (cap - 1);
    return &t[i];
}

pk_status pk_index_merge(pk_index *ix, const char *const *shards, size_t nshards,
                         const pk_index_opts *opts, pk_index_summary *summary)
{
    (void)opts;
    pk_status st = ix_require_write(ix);
    if (st) return st;
    if (summary) memset(summary, 0, sizeof *summary);
    if (nshards == 0) {
        /* fold the index's own segments into one */
        if ((st = ix_commit(ix))) return st;
        int dels = 0;
        for (size_t i = 0; i < ix->man.nsegs; i++) dels |= segr_ndeleted(ix->segs[i]) > 0;
        if (ix->man.nsegs > 1 || dels) st = ix_merge_range(ix, 0, ix->man.nsegs);
        if (summary) summary->segments = (uint32_t)ix->man.nsegs;
        return st;
    }
    pk_index **sh = pk_calloc(nshards, sizeof *sh);
    if (!sh) return PK_ENOMEM;
    segr **all = NULL;
    winner *win = NULL;
    size_t nall = 0, wcap = 0;
    uint64_t unchanged = 0, replaced = 0;
    for (size_t i = 0; i < nshards && !st; i++) {
        char *err = NULL;
        st = pk_index_open(shards[i], PK_OPEN_READ, &sh[i], &err);
        if (st) {
            msg_set(&ix->msg, "shard %s", err ? err : shards[i]);
            pk_free(err);
            break;
        }
        if (sh[i]->man.nsegs == 0) continue;
        for (size_t j = 0; j < sh[i]->man.nsegs; j++) segr_keep_docs(sh[i]->segs[j], 0);   /* read once */
        if (!ix->man.identity) {
            if ((st = ix_check_identity(ix, sh[i]->man.identity))) break;
        } else if (strcmp(ix->man.identity, sh[i]->man.identity) != 0) {
            msg_set(&ix->msg, "%s: shard built with analyzer \"%s\", but the index uses \"%s\"", shards[i],
                    sh[i]->man.identity, ix->man.identity);
            st = PK_EVERSION;
            break;
        }
        nall += sh[i]->man.nsegs;
    }
    if (!st && ix->buf) st = ix_commit(ix);
    if (!st) st = ix_pathmap_ready(ix);
    if (st) goto done;
    all = pk_calloc(nall ? nall : 1, sizeof *all);
    if (!all) { st = PK_ENOMEM; goto done; }
    /* the last version of each path among the shards wins */
    uint64_t total = 0;
    for (size_t i = 0; i < nshards; i++)
        for (size_t j = 0; j < sh[i]->man.nsegs; j++) total += segr_ndocs(sh[i]->segs[j]);
    wcap = 1024;
    while (wcap < total * 2 + 2) wcap *= 2;
    win = pk_calloc(wcap, sizeof *win);
    if (!win) { st = PK_ENOMEM; goto done; }
    for (size_t i = 0; i < nshards && !st; i++)
        for (size_t j = 0; j < sh[i]->man.nsegs && !st; j++) {
            segr *s = sh[i]->segs[j];
            for (uint32_t d = 0; d < segr_ndocs(s); d++) {
                if (segr_deleted(s, d)) continue;
                seg_doc doc;
                if ((st = segr_doc(s, d, &doc))) { ix->msg = *segr_msg(s); break; }
                winner *w = win_slot(win, wcap, ix_path_hash(doc.path, doc.path_len));
                w->phash = ix_path_hash(doc.path, doc.path_len);
                w->shard = (uint32_t)i;
                w->seg = (uint32_t)j;
                w->doc = d;
            }
        }
    /* exclude losers and documents the index already has; replace changed ones */
    for (size_t i = 0; i < nshards && !st; i++)
        for (size_t j = 0; j < sh[i]->man.nsegs && !st; j++) {
            segr *s = sh[i]->segs[j];
            uint32_t nd = segr_ndocs(s), nex = 0;
            uint8_t *ex = pk_calloc(((size_t)nd + 7) / 8, 1);
            if (!ex) { st = PK_ENOMEM; break; }
            for (uint32_t d = 0; d < nd && !st; d++) {
                int drop = segr_deleted(s, d);
                if (!drop) {
                    seg_doc doc;
                    if ((st = segr_doc(s, d, &doc))) { ix->msg = *segr_msg(s); break; }
                    winner *w = win_slot(win, wcap, ix_path_hash(doc.path, doc.path_len));
                    drop = w->shard != i || w->seg != j || w->doc != d;
                    pathent *e = drop ? NULL : ix_pathmap_find(ix, doc.path, doc.path_len);
                    if (e && e->id != PATH_THIS_RUN) {
                        if (e->chash == doc.hash) {
                            drop = 1;
                            unchanged++;
                        } else if ((st = ix_delete_id(ix, e->id)) == PK_OK) {
                            replaced++;
                            e->id = 0;
                        } else if (st == PK_ENOENT) {
                            st = PK_OK;
                        }
                    }
                }
                if (drop) { ex[d / 8] |= (uint8_t)(1u << (d % 8)); nex++; }
            }
            if (!st) st = segr_set_deleted(s, ex, nex);
            pk_free(ex);
        }
    if (st) goto done;
    size_t k = 0;
    for (size_t i = 0; i < nshards; i++)
        for (size_t j = 0; j < sh[i]->man.nsegs; j++) all[k++] = sh[i]->segs[j];
    uint64_t id = ix->man.next_seg;
    seg_info info;
    int written = 0;
    uint32_t next_id = ix->man.next_doc;
    manifest saved;
    if ((st = manifest_copy(&saved, &ix->man))) goto done;
    ix->man.next_seg++;
    st = merge_into(ix, all, k, 1, &next_id, id, &info, &written);
    if (!st && written) {
        man_seg g = {.id = id, .ndocs = info.ndocs, .ndeleted = 0, .first_id = info.first_id,
                     .last_id = info.last_id, .del_gen = 0};
        ix->man.next_doc = next_id;
        st = manifest_insert(&ix->man, ix->man.nsegs, &g);
    }
    ix->dirty = 1;
    if (!st) st = ix_commit(ix);
    if (st) {
        char keep[sizeof ix->msg.text];
        memcpy(keep, ix->msg.text, sizeof keep);
        manifest_free(&ix->man);
        ix->man = saved;
        ix->dirty = 0;
        ix_load(ix, 0);
        memcpy(ix->msg.text, keep, sizeof keep);
        goto done;
    }
    manifest_free(&saved);
    if (summary) {
        summary->docs_added = written ? info.ndocs - replaced : 0;
        summary->docs_replaced = replaced;
        summary->docs_unchanged = unchanged;
        summary->bytes_read = written ? info.raw_bytes : 0;
    }
    st = ix_merge_policy(ix);
done:
    if (st) ix_drop_pending(ix);
    ix->pm_ready = 0;
    for (size_t i = 0; i < nshards; i++) pk_index_close(sh[i]);
    pk_free(sh);
    pk_free(all);
    pk_free(win);
    if (summary) summary->segments = (uint32_t)ix->man.nsegs;
    return st;
}
