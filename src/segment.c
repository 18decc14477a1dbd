/* segment.c — writing and reading one immutable segment: dictionary, postings, positions, document
 * table, periods, forms and stored records (docs/FORMAT.md).  Every read is bounds-checked and
 * every page is checksum-verified before use. */
#include "segment.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zlib.h>
#include "codec.h"
#include "date.h"
#include "ixdoc.h"

/* ------------------------------------------------------------------------------------------------
 * Common
 * ---------------------------------------------------------------------------------------------- */

char *seg_path(const char *dir, uint64_t id, const char *ext)
{
    return pk_sprintf("%s/seg-%06llu.%s", dir, (unsigned long long)id, ext);
}

char *seg_del_path(const char *dir, uint64_t id, uint64_t gen)
{
    return pk_sprintf("%s/seg-%06llu-g%06llu.del", dir, (unsigned long long)id, (unsigned long long)gen);
}

int32_t seg_month(int32_t days)
{
    if (days == PK_NODATE) return SEG_NOMONTH;
    int y, m, d;
    date_ymd(days, &y, &m, &d);
    return y * 12 + m - 1;
}

static void *z_alloc(void *op, unsigned items, unsigned size)
{
    (void)op;
    return pk_calloc(items, size);
}

static void z_free(void *op, void *p)
{
    (void)op;
    pk_free(p);
}

static size_t common_prefix(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t n = an < bn ? an : bn, i = 0;
    while (i < n && a[i] == b[i]) i++;
    return i;
}

static int key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return an < bn ? -1 : an > bn;
}

/* ------------------------------------------------------------------------------------------------
 * Writing
 * ---------------------------------------------------------------------------------------------- */

typedef struct period { int32_t month; uint32_t docs; uint64_t tokens; } period;

struct segw {
    char     *dir;
    pk_msg   *msg;
    pk_status st;
    uint64_t  id;
    ixfw     *ix, *pos, *sto;
    struct libdeflate_compressor *zs;   /* stored blocks */
    /* stored */
    pk_buf    sblock, cbuf, bidx;
    uint32_t  sblock_docs, stored_docs;
    uint64_t  blks_off;
    /* compression of stored blocks in a thread of its own (segw_async) */
    int       async, cstarted, cstop, spend_full;
    pthread_t cth;
    pthread_mutex_t cmu;
    pthread_cond_t  ccv;
    pk_buf    spend;
    uint32_t  spend_docs, spend_first;
    pk_status cst;
    /* documents */
    pk_buf    docs, dgroup, dgrp, prev_path, prev_body;
    uint32_t  ndocs, group_docs, group_first;
    int       have_id;
    uint32_t  last_id;
    int32_t   group_date;
    z_stream  zd;                 /* document groups */
    int       zd_ok;
    period   *per;
    size_t    nper, capper;
    /* the open term */
    int       in_term;
    pk_buf    key, prev_key;
    int       have_prev_key;
    uint32_t  bdocs[CODEC_BLOCK], btfs[CODEC_BLOCK], bn;
    uint32_t *bpos;
    size_t    bposn, bposcap;
    pk_buf    tdocs, tpos, tskip;
    uint32_t  tdf, tnblocks, tlast, tprev_last;
    uint64_t  tcf;
    uint32_t *vals;
    size_t    valcap;
    /* dictionary and forms: blocks are built in dblk/fblk, then compressed into dict/form */
    pk_buf    dblk, fblk, dfirst, ffirst;
    z_stream  zk;
    int       zk_ok;
    pk_buf    dict, didx, dprev;
    uint32_t  dict_in_block;
    uint64_t  post_written, pos_written;
    pk_buf    form, fidx, fprev;
    uint32_t  form_in_block;
    int       have_prev_form;
    seg_info  info;
};

static void w_fail(segw *w, pk_status st, const char *what)
{
    if (w->st != PK_OK) return;
    w->st = st;
    msg_set(w->msg, "segment %06llu: %s", (unsigned long long)w->id, what);
}

static void w_oom(segw *w) { w_fail(w, PK_ENOMEM, "out of memory"); }

pk_status segw_open(const char *dir, uint64_t id, const char *identity, pk_msg *msg, segw **out)
{
    *out = NULL;
    segw *w = pk_calloc(1, sizeof *w);
    if (!w) return PK_ENOMEM;
    w->msg = msg;
    w->id = id;
    w->dir = pk_strdup(dir);
    if (!w->dir) { pk_free(w); return PK_ENOMEM; }
    pk_buf *bufs[] = {&w->sblock, &w->cbuf, &w->bidx, &w->docs, &w->dgroup, &w->dgrp, &w->prev_path,
                      &w->prev_body, &w->key, &w->prev_key, &w->tdocs, &w->tpos, &w->tskip,
                      &w->dict, &w->didx, &w->dprev, &w->form, &w->fidx, &w->fprev,
                      &w->dblk, &w->fblk, &w->dfirst, &w->ffirst};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) buf_init(bufs[i]);
    buf_init(&w->spend);
    w->info.first_date = w->info.last_date = PK_NODATE;
    w->zd.zalloc = w->zk.zalloc = z_alloc;
    w->zd.zfree = w->zk.zfree = z_free;
    util_install_deflate_alloc();
    w->zs = libdeflate_alloc_compressor(SEG_STORE_LEVEL);
    if (!w->zs) { pk_free(w->dir); pk_free(w); return PK_ENOMEM; }
    if (deflateInit(&w->zd, 9) != Z_OK) { libdeflate_free_compressor(w->zs); pk_free(w->dir); pk_free(w); return PK_ENOMEM; }
    w->zd_ok = 1;
    if (deflateInit(&w->zk, 9) != Z_OK) {
        libdeflate_free_compressor(w->zs);
        deflateEnd(&w->zd);
        pk_free(w->dir);
        pk_free(w);
        return PK_ENOMEM;
    }
    w->zk_ok = 1;
    char *pix = seg_path(dir, id, "ix"), *ppos = seg_path(dir, id, "pos"), *psto = seg_path(dir, id, "sto");
    pk_status st = PK_ENOMEM;
    if (pix && ppos && psto) {
        st = ixfw_create(pix, IXF_KIND_TERMS, id, identity, msg, &w->ix);
        if (!st) st = ixfw_create(ppos, IXF_KIND_POS, id, identity, msg, &w->pos);
        if (!st) st = ixfw_create(psto, IXF_KIND_STORE, id, identity, msg, &w->sto);
    }
    pk_free(pix);
    pk_free(ppos);
    pk_free(psto);
    if (st) { segw_abort(w); return st; }
    ixfw_begin(w->ix, SEC_POST);
    ixfw_begin(w->pos, SEC_POSI);
    ixfw_begin(w->sto, SEC_BLKS);
    *out = w;
    return PK_OK;
}

static void stop_compressor(segw *w);

void segw_abort(segw *w)
{
    if (!w) return;
    stop_compressor(w);
    buf_free(&w->spend);
    ixfw_abort(w->ix);
    ixfw_abort(w->pos);
    ixfw_abort(w->sto);
    libdeflate_free_compressor(w->zs);
    if (w->zd_ok) deflateEnd(&w->zd);
    if (w->zk_ok) deflateEnd(&w->zk);
    pk_buf *bufs[] = {&w->sblock, &w->cbuf, &w->bidx, &w->docs, &w->dgroup, &w->dgrp, &w->prev_path,
                      &w->prev_body, &w->key, &w->prev_key, &w->tdocs, &w->tpos, &w->tskip,
                      &w->dict, &w->didx, &w->dprev, &w->form, &w->fidx, &w->fprev,
                      &w->dblk, &w->fblk, &w->dfirst, &w->ffirst};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) buf_free(bufs[i]);
    pk_free(w->per);
    pk_free(w->bpos);
    pk_free(w->vals);
    pk_free(w->dir);
    pk_free(w);
}

static void unlink_segment(const char *dir, uint64_t id)
{
    const char *ext[3] = {"ix", "pos", "sto"};
    for (int i = 0; i < 3; i++) {
        char *p = seg_path(dir, id, ext[i]);
        if (p) unlink(p);
        pk_free(p);
    }
}

size_t segw_mem(const segw *w)
{
    return w->sblock.cap * 2 + (w->async ? SEG_STORE_BLOCK * 2 : w->cbuf.cap) + w->docs.cap + w->dgroup.cap + w->dgrp.cap +
           w->tdocs.cap + w->tpos.cap + w->tskip.cap + w->dict.cap + w->didx.cap + w->form.cap +
           w->fidx.cap + w->dblk.cap + w->fblk.cap + w->bposcap * 4 + w->valcap * 4 + w->capper * sizeof(period);
}

/* ---- stored ---- */

static pk_status put_bidx(segw *w, uint32_t first, uint32_t ndocs, uint64_t off, size_t clen, size_t ulen)
{
    if (clen > UINT32_MAX || ulen > UINT32_MAX) return PK_ELIMIT;
    buf_put_u32le(&w->bidx, first);
    buf_put_u32le(&w->bidx, ndocs);
    buf_put_u64le(&w->bidx, off);
    buf_put_u32le(&w->bidx, (uint32_t)clen);
    buf_put_u32le(&w->bidx, (uint32_t)ulen);
    return w->bidx.err ? PK_ENOMEM : PK_OK;
}

/* Compress one stored block and append it to the .sto file and its index. */
static pk_status compress_block(segw *w, const pk_buf *blk, uint32_t first, uint32_t ndocs)
{
    if (blk->err) return PK_ENOMEM;
    size_t bound = libdeflate_zlib_compress_bound(w->zs, blk->n);
    w->cbuf.n = 0;
    if (buf_reserve(&w->cbuf, bound)) return PK_ENOMEM;
    size_t clen = libdeflate_zlib_compress(w->zs, blk->p, blk->n, w->cbuf.p, bound);
    if (clen == 0) return PK_EIO;
    pk_status st = put_bidx(w, first, ndocs, w->blks_off, clen, blk->n);
    if (st) return st;
    ixfw_write(w->sto, w->cbuf.p, clen);
    w->blks_off += clen;
    return PK_OK;
}

static const char *store_error(pk_status st)
{
    return st == PK_ENOMEM ? "out of memory" : st == PK_ELIMIT ? "stored block over 4 GiB" : "compression failed";
}

static void *compressor_main(void *arg)
{
    segw *w = arg;
    pthread_mutex_lock(&w->cmu);
    for (;;) {
        while (!w->spend_full && !w->cstop) pthread_cond_wait(&w->ccv, &w->cmu);
        if (!w->spend_full) break;
        pthread_mutex_unlock(&w->cmu);
        pk_status st = w->cst ? PK_OK : compress_block(w, &w->spend, w->spend_first, w->spend_docs);
        pthread_mutex_lock(&w->cmu);
        if (st && !w->cst) w->cst = st;
        w->spend.n = 0;
        w->spend_full = 0;
        pthread_cond_broadcast(&w->ccv);
    }
    pthread_mutex_unlock(&w->cmu);
    return NULL;
}

static void stop_compressor(segw *w)
{
    if (!w->cstarted) return;
    pthread_mutex_lock(&w->cmu);
    w->cstop = 1;
    pthread_cond_broadcast(&w->ccv);
    pthread_mutex_unlock(&w->cmu);
    pthread_join(w->cth, NULL);
    pthread_cond_destroy(&w->ccv);
    pthread_mutex_destroy(&w->cmu);
    w->cstarted = 0;
    w->async = 0;
    if (w->cst) w_fail(w, w->cst, store_error(w->cst));
}

void segw_async(segw *w)
{
    if (w->cstarted || w->stored_docs) return;
    if (pthread_mutex_init(&w->cmu, NULL) != 0) return;
    if (pthread_cond_init(&w->ccv, NULL) != 0) { pthread_mutex_destroy(&w->cmu); return; }
    if (pthread_create(&w->cth, NULL, compressor_main, w) != 0) {
        pthread_cond_destroy(&w->ccv);
        pthread_mutex_destroy(&w->cmu);
        return;
    }
    w->cstarted = 1;
    w->async = 1;
}

static void flush_sblock(segw *w)
{
    if (w->sblock_docs == 0 || w->st) return;
    uint32_t first = w->stored_docs - w->sblock_docs;
    if (!w->async) {
        pk_status st = compress_block(w, &w->sblock, first, w->sblock_docs);
        if (st) { w_fail(w, st, store_error(st)); return; }
    } else {
        /* hand the block to the compressor and keep filling the other buffer */
        pthread_mutex_lock(&w->cmu);
        while (w->spend_full) pthread_cond_wait(&w->ccv, &w->cmu);
        pk_buf t = w->spend;
        w->spend = w->sblock;
        w->sblock = t;
        w->spend_first = first;
        w->spend_docs = w->sblock_docs;
        w->spend_full = 1;
        pthread_cond_broadcast(&w->ccv);
        pthread_mutex_unlock(&w->cmu);
    }
    w->sblock.n = 0;
    w->sblock.err = 0;
    w->sblock_docs = 0;
}

static void store_doc(segw *w, const char *rec, size_t rec_len, const char *text, size_t text_len)
{
    if (w->st) return;
    if ((uint64_t)rec_len + text_len > UINT32_MAX - 64) { w_fail(w, PK_ELIMIT, "document over 4 GiB"); return; }
    if (w->sblock.n && w->sblock.n + rec_len + text_len > (size_t)UINT32_MAX - 64) flush_sblock(w);
    buf_put_varint(&w->sblock, rec_len);
    buf_put(&w->sblock, rec, rec_len);
    buf_put_varint(&w->sblock, text_len);
    buf_put(&w->sblock, text, text_len);
    w->sblock_docs++;
    w->stored_docs++;
    if (w->sblock.n >= SEG_STORE_BLOCK) flush_sblock(w);
}

void segw_store_block(segw *w, const uint8_t *c, size_t clen, uint32_t ulen, uint32_t ndocs)
{
    if (w->st) return;
    flush_sblock(w);
    stop_compressor(w);
    pk_status st = put_bidx(w, w->stored_docs, ndocs, w->blks_off, clen, ulen);
    if (st) { w_fail(w, st, store_error(st)); return; }
    ixfw_write(w->sto, c, clen);
    w->blks_off += clen;
    w->stored_docs += ndocs;
}

/* ---- documents ---- */

static void add_period(segw *w, int32_t month, uint32_t ntokens)
{
    size_t lo = 0, hi = w->nper;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (w->per[mid].month < month) lo = mid + 1; else hi = mid;
    }
    if (lo < w->nper && w->per[lo].month == month) {
        w->per[lo].docs++;
        w->per[lo].tokens += ntokens;
        return;
    }
    if (w->nper == w->capper) {
        size_t nc = w->capper ? w->capper * 2 : 64;
        period *p = pk_reallocarray(w->per, nc, sizeof *p);
        if (!p) { w_oom(w); return; }
        w->per = p;
        w->capper = nc;
    }
    memmove(w->per + lo + 1, w->per + lo, (w->nper - lo) * sizeof *w->per);
    w->per[lo].month = month;
    w->per[lo].docs = 1;
    w->per[lo].tokens = ntokens;
    w->nper++;
}

static void put_front(pk_buf *out, pk_buf *prev, const char *s, size_t n)
{
    size_t sh = common_prefix(prev->p ? prev->p : (const uint8_t *)"", prev->n, (const uint8_t *)s, n);
    buf_put_varint(out, sh);
    buf_put_varint(out, n - sh);
    buf_put(out, s + sh, n - sh);
    prev->n = 0;
    buf_put(prev, s, n);
}

/* Compress the open group of document entries into DOCS and index it in DGRP. */
static void flush_dgroup(segw *w)
{
    if (w->group_docs == 0 || w->st) return;
    if (w->dgroup.err) { w_oom(w); return; }
    uLong bound = deflateBound(&w->zd, (uLong)w->dgroup.n);
    if (buf_reserve(&w->docs, bound)) { w_oom(w); return; }
    deflateReset(&w->zd);
    w->zd.next_in = w->dgroup.p;
    w->zd.avail_in = (uInt)w->dgroup.n;
    w->zd.next_out = w->docs.p + w->docs.n;
    w->zd.avail_out = (uInt)bound;
    if (deflate(&w->zd, Z_FINISH) != Z_STREAM_END) { w_fail(w, PK_EIO, "compression failed"); return; }
    size_t clen = bound - w->zd.avail_out;
    buf_put_u32le(&w->dgrp, w->group_first);
    buf_put_u32le(&w->dgrp, w->group_docs);
    buf_put_u64le(&w->dgrp, w->docs.n);
    buf_put_u32le(&w->dgrp, (uint32_t)clen);
    buf_put_u32le(&w->dgrp, (uint32_t)w->dgroup.n);
    w->docs.n += clen;
    if (w->dgrp.err) w_oom(w);
    w->dgroup.n = 0;
    w->group_docs = 0;
}

static uint64_t zigzag(int64_t v) { return v < 0 ? ((uint64_t)(-(v + 1)) << 1) | 1 : (uint64_t)v << 1; }

void segw_doc_meta(segw *w, const seg_docmeta *m)
{
    if (w->st) return;
    if (w->ndocs == UINT32_MAX) { w_fail(w, PK_ELIMIT, "too many documents"); return; }
    if (w->have_id && m->id <= w->last_id) { w_fail(w, PK_EINVAL, "document ids out of order"); return; }
    if (w->group_docs == 0) {
        w->group_first = m->id;
        w->group_date = 0;
        w->prev_path.n = 0;
        w->prev_body.n = 0;
    }
    pk_buf *g = &w->dgroup;
    buf_put_varint(g, w->group_docs ? m->id - w->last_id - 1 : 0);
    if (m->date == PK_NODATE) {
        buf_put_varint(g, 0);
    } else {
        buf_put_varint(g, zigzag((int64_t)m->date - w->group_date) + 1);
        w->group_date = m->date;
    }
    buf_put_varint(g, m->ntokens);
    buf_put_varint(g, m->text_len);
    buf_put_varint(g, m->raw_len);
    buf_put_u64le(g, m->hash);
    const char *body = m->body ? m->body : "";
    put_front(g, &w->prev_path, m->path ? m->path : "", m->path ? m->path_len : 0);
    put_front(g, &w->prev_body, body, m->body ? m->body_len : 0);
    if (g->err || w->prev_path.err || w->prev_body.err) { w_oom(w); return; }
    add_period(w, seg_month(m->date), m->ntokens);
    if (!w->have_id) w->info.first_id = m->id;
    w->info.last_id = m->id;
    w->have_id = 1;
    w->last_id = m->id;
    w->ndocs++;
    w->info.ntokens += m->ntokens;
    w->info.text_bytes += m->text_len;
    w->info.raw_bytes += m->raw_len;
    if (m->date != PK_NODATE) {
        if (w->info.first_date == PK_NODATE || m->date < w->info.first_date) w->info.first_date = m->date;
        if (w->info.last_date == PK_NODATE || m->date > w->info.last_date) w->info.last_date = m->date;
    }
    if (++w->group_docs == SEG_DOC_GROUP) flush_dgroup(w);
}

void segw_doc(segw *w, const seg_docmeta *m, const char *rec, size_t rec_len, const char *text,
              size_t text_len)
{
    store_doc(w, rec, rec_len, text, text_len);
    segw_doc_meta(w, m);
}

/* ---- terms and postings ---- */

static uint32_t *vals_need(segw *w, size_t n)
{
    if (n <= w->valcap) return w->vals;
    size_t nc = w->valcap ? w->valcap : 1024;
    while (nc < n) nc *= 2;
    uint32_t *v = pk_reallocarray(w->vals, nc, sizeof *v);
    if (!v) { w_oom(w); return NULL; }
    w->vals = v;
    w->valcap = nc;
    return v;
}

/* Compress the open dictionary or forms block into out and index it: first key, offset, size. */
static void close_kblock(segw *w, pk_buf *blk, pk_buf *out, pk_buf *idx, const pk_buf *first)
{
    if (blk->n == 0 || w->st) return;
    if (blk->err) { w_oom(w); return; }
    uLong bound = deflateBound(&w->zk, (uLong)blk->n);
    if (buf_reserve(out, bound)) { w_oom(w); return; }
    deflateReset(&w->zk);
    w->zk.next_in = blk->p;
    w->zk.avail_in = (uInt)blk->n;
    w->zk.next_out = out->p + out->n;
    w->zk.avail_out = (uInt)bound;
    if (deflate(&w->zk, Z_FINISH) != Z_STREAM_END) { w_fail(w, PK_EIO, "compression failed"); return; }
    buf_put_varint(idx, first->n);
    buf_put(idx, first->p, first->n);
    buf_put_varint(idx, out->n);
    buf_put_varint(idx, blk->n);
    out->n += bound - w->zk.avail_out;
    if (idx->err) w_oom(w);
    blk->n = 0;
}

void segw_term_begin(segw *w, const uint8_t *key, size_t n)
{
    if (w->st) return;
    if (w->in_term || n == 0 || n > IX_MAX_KEY) { w_fail(w, PK_EINVAL, "bad term"); return; }
    if (w->have_prev_key && key_cmp(key, n, w->prev_key.p, w->prev_key.n) <= 0) {
        w_fail(w, PK_EINVAL, "terms out of order");
        return;
    }
    w->key.n = 0;
    buf_put(&w->key, key, n);
    if (w->key.err) { w_oom(w); return; }
    w->in_term = 1;
    w->tdf = 0;
    w->tcf = 0;
    w->tnblocks = 0;
    w->tprev_last = 0;
    w->bn = 0;
    w->bposn = 0;
    w->tdocs.n = w->tpos.n = w->tskip.n = 0;
}

/* Encode the buffered block; `last` when no posting follows (and so no skip entry is due). */
static void encode_block(segw *w, int last)
{
    if (w->bn == 0 || w->st) return;
    uint32_t *v = vals_need(w, w->bposn > CODEC_BLOCK ? w->bposn : CODEC_BLOCK);
    if (!v) return;
    size_t d0 = w->tdocs.n, p0 = w->tpos.n;
    uint32_t base = w->tnblocks ? w->tprev_last + 1 : 0;
    for (uint32_t i = 0; i < w->bn; i++) {
        v[i] = w->bdocs[i] - base;
        base = w->bdocs[i] + 1;
    }
    codec_put_block(&w->tdocs, v, w->bn);
    int single = last && w->tnblocks == 0;
    if (!(single && w->tcf == w->tdf)) {
        for (uint32_t i = 0; i < w->bn; i++) v[i] = w->btfs[i] - 1;
        codec_put_block(&w->tdocs, v, w->bn);
    }
    /* first positions (one per document), then the gaps of the later ones: two codes */
    size_t k = 0, g = w->bn;
    for (uint32_t i = 0; i < w->bn; i++) {
        v[i] = w->bpos[k];
        for (uint32_t j = 1; j < w->btfs[i]; j++) v[g++] = w->bpos[k + j] - w->bpos[k + j - 1] - 1;
        k += w->btfs[i];
    }
    codec_put_block(&w->tpos, v, w->bn);
    codec_put_seq(&w->tpos, v + w->bn, g - w->bn);
    uint32_t lastdoc = w->bdocs[w->bn - 1];
    if (!last) {
        buf_put_varint(&w->tskip, w->tnblocks ? lastdoc - w->tprev_last : lastdoc);
        buf_put_varint(&w->tskip, w->tdocs.n - d0);
        buf_put_varint(&w->tskip, w->tpos.n - p0);
    }
    if (w->tdocs.err || w->tpos.err || w->tskip.err) w_oom(w);
    w->tprev_last = lastdoc;
    w->tnblocks++;
    w->bn = 0;
    w->bposn = 0;
}

void segw_posting(segw *w, uint32_t doc, const uint32_t *pos, uint32_t tf)
{
    if (w->st) return;
    if (!w->in_term || tf == 0 || doc >= w->ndocs ||
        (w->tdf && doc <= (w->bn ? w->bdocs[w->bn - 1] : w->tprev_last))) {
        w_fail(w, PK_EINVAL, "bad posting");
        return;
    }
    for (uint32_t j = 1; j < tf; j++)
        if (pos[j] <= pos[j - 1]) { w_fail(w, PK_EINVAL, "positions out of order"); return; }
    if (w->bn == CODEC_BLOCK) encode_block(w, 0);
    if (w->bposn + tf > w->bposcap) {
        size_t nc = w->bposcap ? w->bposcap : 1024;
        while (nc < w->bposn + tf) nc *= 2;
        uint32_t *p = pk_reallocarray(w->bpos, nc, sizeof *p);
        if (!p) { w_oom(w); return; }
        w->bpos = p;
        w->bposcap = nc;
    }
    memcpy(w->bpos + w->bposn, pos, (size_t)tf * sizeof *pos);
    w->bposn += tf;
    w->bdocs[w->bn] = doc;
    w->btfs[w->bn] = tf;
    w->bn++;
    w->tdf++;
    w->tcf += tf;
}

void segw_term_end(segw *w)
{
    if (w->st || !w->in_term) return;
    w->in_term = 0;
    if (w->tdf == 0) return;
    encode_block(w, 1);
    if (w->st) return;
    uint64_t post_len = w->tdocs.n;
    if (w->tnblocks > 1) {
        uint8_t t[10];
        size_t n = 0;
        uint64_t x = w->tskip.n;
        while (x >= 0x80) { t[n++] = (uint8_t)(x | 0x80); x >>= 7; }
        t[n++] = (uint8_t)x;
        ixfw_write(w->ix, t, n);
        ixfw_write(w->ix, w->tskip.p, w->tskip.n);
        post_len += n + w->tskip.n;
    }
    ixfw_write(w->ix, w->tdocs.p, w->tdocs.n);
    ixfw_write(w->pos, w->tpos.p, w->tpos.n);

    /* dictionary entry */
    const uint8_t *key = w->key.p;
    size_t kn = w->key.n;
    pk_buf *db = &w->dblk;
    if (w->dict_in_block == 0) {
        w->dfirst.n = 0;
        buf_put(&w->dfirst, key, kn);
        buf_put_varint(db, w->post_written);
        buf_put_varint(db, w->pos_written);
        w->dprev.n = 0;
        w->info.dict_blocks++;
    }
    size_t sh = common_prefix(w->dprev.p ? w->dprev.p : key, w->dprev.n, key, kn);
    buf_put_varint(db, sh);
    buf_put_varint(db, kn - sh);
    buf_put(db, key + sh, kn - sh);
    buf_put_varint(db, (uint64_t)(w->tdf - 1) << 1 | (w->tcf != w->tdf));
    if (w->tcf != w->tdf) buf_put_varint(db, w->tcf - w->tdf - 1);
    buf_put_varint(db, post_len);
    buf_put_varint(db, w->tpos.n);
    w->dprev.n = 0;
    buf_put(&w->dprev, key, kn);
    w->prev_key.n = 0;
    buf_put(&w->prev_key, key, kn);
    w->have_prev_key = 1;
    if (db->err || w->dfirst.err || w->dprev.err || w->prev_key.err) { w_oom(w); return; }
    if (++w->dict_in_block == SEG_DICT_BLOCK) {
        w->dict_in_block = 0;
        close_kblock(w, db, &w->dict, &w->didx, &w->dfirst);
    }
    w->post_written += post_len;
    w->pos_written += w->tpos.n;
    w->info.nterms++;
    if (key[0] == IX_PART_MARK) w->info.nparts++;
    w->info.npostings += w->tdf;
    w->info.npositions += w->tcf;
}

void segw_form(segw *w, const uint8_t *norm, size_t nn, const uint8_t *stem, size_t sn, uint32_t flags)
{
    if (w->st) return;
    if (nn == 0 || nn > IX_MAX_KEY || sn > IX_MAX_KEY ||
        (w->have_prev_form && key_cmp(norm, nn, w->fprev.p, w->fprev.n) <= 0)) {
        w_fail(w, PK_EINVAL, "forms out of order");
        return;
    }
    pk_buf *fb = &w->fblk;
    if (w->form_in_block == 0) {
        w->ffirst.n = 0;
        buf_put(&w->ffirst, norm, nn);
        w->fprev.n = 0;
        w->info.form_blocks++;
    }
    size_t sh = common_prefix(w->fprev.p ? w->fprev.p : norm, w->fprev.n, norm, nn);
    buf_put_varint(fb, sh);
    buf_put_varint(fb, nn - sh);
    buf_put(fb, norm + sh, nn - sh);
    size_t ss = common_prefix(norm, nn, stem, sn);
    buf_put_varint(fb, (uint64_t)(nn - ss) << 3 | (uint64_t)(sn > ss) << 2 | (flags & 3));
    if (sn > ss) {
        buf_put_varint(fb, sn - ss);
        buf_put(fb, stem + ss, sn - ss);
    }
    w->fprev.n = 0;
    buf_put(&w->fprev, norm, nn);
    w->have_prev_form = 1;
    if (fb->err || w->ffirst.err || w->fprev.err) { w_oom(w); return; }
    if (++w->form_in_block == SEG_FORM_BLOCK) {
        w->form_in_block = 0;
        close_kblock(w, fb, &w->form, &w->fidx, &w->ffirst);
    }
    w->info.nforms++;
}

static void write_section(ixfw *f, uint32_t tag, const pk_buf *b)
{
    ixfw_begin(f, tag);
    ixfw_write(f, b->p, b->n);
    ixfw_end(f);
}

pk_status segw_finish(segw *w, seg_info *info)
{
    if (w->in_term) w_fail(w, PK_EINVAL, "term left open");
    flush_sblock(w);
    stop_compressor(w);
    flush_dgroup(w);
    close_kblock(w, &w->dblk, &w->dict, &w->didx, &w->dfirst);
    close_kblock(w, &w->fblk, &w->form, &w->fidx, &w->ffirst);
    if (w->st == PK_OK && w->stored_docs != w->ndocs) w_fail(w, PK_EINVAL, "stored documents and table disagree");
    if (w->st == PK_OK && w->ndocs == 0) w_fail(w, PK_EINVAL, "empty segment");
    if (w->st) { pk_status st = w->st; segw_abort(w); return st; }

    seg_info *in = &w->info;
    in->ndocs = w->ndocs;
    in->nperiods = (uint32_t)w->nper;
    in->nstore_blocks = (uint32_t)(w->bidx.n / SEG_BIDX_REC);

    /* .sto */
    ixfw_end(w->sto);
    in->b_stored = w->blks_off + w->bidx.n;
    write_section(w->sto, SEC_BIDX, &w->bidx);
    /* .pos */
    ixfw_end(w->pos);
    in->b_pos = w->pos_written;
    /* .ix */
    ixfw_end(w->ix);
    in->b_post = w->post_written;
    write_section(w->ix, SEC_DICT, &w->dict);
    write_section(w->ix, SEC_DIDX, &w->didx);
    write_section(w->ix, SEC_FORM, &w->form);
    write_section(w->ix, SEC_FIDX, &w->fidx);
    in->b_dict = w->dict.n + w->didx.n + w->form.n + w->fidx.n;
    write_section(w->ix, SEC_DOCS, &w->docs);
    write_section(w->ix, SEC_DGRP, &w->dgrp);
    pk_buf pb;
    buf_init(&pb);
    for (size_t i = 0; i < w->nper; i++) {
        buf_put_u32le(&pb, (uint32_t)w->per[i].month);
        buf_put_u32le(&pb, w->per[i].docs);
        buf_put_u64le(&pb, w->per[i].tokens);
    }
    write_section(w->ix, SEC_PERI, &pb);
    uint8_t m[SEG_META_SIZE];
    memset(m, 0, sizeof m);
    st_u32le(m, 1);
    st_u32le(m + 4, in->ndocs);
    st_u32le(m + 8, in->first_id);
    st_u32le(m + 12, in->last_id);
    st_u64le(m + 16, in->nterms);
    st_u64le(m + 24, in->nparts);
    st_u64le(m + 32, in->nforms);
    st_u64le(m + 40, in->npostings);
    st_u64le(m + 48, in->npositions);
    st_u64le(m + 56, in->ntokens);
    st_u64le(m + 64, in->text_bytes);
    st_u64le(m + 72, in->raw_bytes);
    st_u32le(m + 80, in->dict_blocks);
    st_u32le(m + 84, in->form_blocks);
    st_u32le(m + 88, (uint32_t)in->first_date);
    st_u32le(m + 92, (uint32_t)in->last_date);
    ixfw_begin(w->ix, SEC_META);
    ixfw_write(w->ix, m, sizeof m);
    ixfw_end(w->ix);
    in->b_docs = w->docs.n + w->dgrp.n + pb.n + sizeof m;
    int oom = pb.err;
    buf_free(&pb);
    if (oom) { w_oom(w); pk_status st = w->st; segw_abort(w); return st; }

    ixfw *fs[3] = {w->sto, w->pos, w->ix};
    uint64_t *sizes[3] = {&in->sto_size, &in->pos_size, &in->ix_size};
    pk_status st = PK_OK;
    for (int i = 0; i < 3; i++) {
        pk_status s2 = st ? (ixfw_abort(fs[i]), st) : ixfw_finish(fs[i], sizes[i]);
        if (s2 && !st) st = s2;
    }
    w->sto = w->pos = w->ix = NULL;
    if (st) {
        unlink_segment(w->dir, w->id);
        segw_abort(w);
        return st;
    }
    if (info) *info = *in;
    segw_abort(w);
    return PK_OK;
}

/* ------------------------------------------------------------------------------------------------
 * Reading
 * ---------------------------------------------------------------------------------------------- */

typedef struct span { const uint8_t *p; size_t n; } span;

/* A decoded document entry (strings at offsets in the group's string bytes). */
typedef struct gent {
    uint32_t id;
    int32_t  date;
    uint32_t ntokens, text_len;
    uint64_t raw_len, hash;
    size_t   path_off, path_len, body_off, body_len;
} gent;

/* A decoded group kept in memory: its entries, then its strings, in one allocation. */
typedef struct gdec { gent *e; const uint8_t *str; size_t bytes; } gdec;

struct segr {
    uint64_t  id, del_gen;
    pk_msg    msg;
    ixf      *ix, *pos, *sto, *del;
    seg_info  info;
    span      post, dict, didx, form, fidx, docs, dgrp, peri, meta, posi, blks, bidx;
    uint32_t  ngroups;
    /* the last decoded group of document entries */
    uint32_t  gcache;
    int       gcache_valid;
    gent      gent[SEG_DOC_GROUP];  /* the scratch group */
    pk_buf    gbuf, gstr;
    const gent    *cur_e;          /* the current group's entries and strings: the scratch or a kept one */
    const uint8_t *cur_str;
    gdec     *kept;                /* decoded groups kept for later (ngroups entries, or NULL) */
    size_t    kept_bytes, kept_cap;
    uint64_t *dblk_off, *fblk_off;
    const uint8_t **dblk_key, **fblk_key;
    uint32_t *dblk_klen, *fblk_klen, *dblk_ulen, *fblk_ulen;
    /* the last inflated dictionary and forms blocks */
    pk_buf    dcache, fcache;
    uint32_t  dcache_b, fcache_b;
    int       dcache_ok, fcache_ok;
    uint8_t  *delmap;
    uint32_t  ndeleted;
    pk_buf    path, body;
    uint32_t  cache_blk;
    int       cache_valid;
    pk_buf    cache;
    struct libdeflate_decompressor *dz;   /* for every compressed block, made on first use */
};

static pk_status bad(segr *s, ixf *f, const uint8_t *at, const char *what) { (void)s; return ixf_corrupt(f, at, what); }

/* Can a zlib stream of clen bytes hold ulen bytes?  DEFLATE packs at most 258 bytes into two bits
 * of a block (1032:1), so a recorded size beyond that is damage, refused before any buffer of that
 * size is asked for. */
static int size_possible(size_t clen, uint64_t ulen) { return ulen <= (uint64_t)clen * 1032 + 64; }

/* Decompress the zlib stream c[0..clen) into exactly ulen bytes at out, all of the input used:
 * PK_OK, PK_ENOMEM, or PK_ECORRUPT (with no message; the caller names the block). */
static pk_status unzlib(segr *s, const uint8_t *c, size_t clen, uint8_t *out, size_t ulen)
{
    if (!s->dz && !(s->dz = libdeflate_alloc_decompressor())) { msg_set(&s->msg, "out of memory"); return PK_ENOMEM; }
    size_t in = 0, got = 0;
    enum libdeflate_result r = libdeflate_zlib_decompress_ex(s->dz, c, clen, out, ulen, &in, &got);
    return r == LIBDEFLATE_SUCCESS && got == ulen && in == clen ? PK_OK : PK_ECORRUPT;
}

const seg_info *segr_info(const segr *s) { return &s->info; }
uint64_t segr_id(const segr *s) { return s->id; }
uint64_t segr_del_gen(const segr *s) { return s->del_gen; }
uint64_t segr_del_size(const segr *s) { return s->del ? (uint64_t)s->del->size : 0; }
uint32_t segr_ndocs(const segr *s) { return s->info.ndocs; }
uint32_t segr_ndeleted(const segr *s) { return s->ndeleted; }
const uint8_t *segr_delmap(const segr *s) { return s->ndeleted ? s->delmap : NULL; }
pk_msg *segr_msg(segr *s) { return &s->msg; }

int segr_deleted(const segr *s, uint32_t doc)
{
    return s->delmap && doc < s->info.ndocs && (s->delmap[doc / 8] >> (doc % 8) & 1);
}

void segr_release(segr *s)
{
    ixf_release(s->ix);
    ixf_release(s->pos);
    ixf_release(s->sto);
}

void segr_close(segr *s)
{
    if (!s) return;
    ixf_close(s->ix);
    ixf_close(s->pos);
    ixf_close(s->sto);
    ixf_close(s->del);
    pk_free(s->dblk_off);
    pk_free(s->fblk_off);
    pk_free(s->dblk_key);
    pk_free(s->fblk_key);
    pk_free(s->dblk_klen);
    pk_free(s->fblk_klen);
    pk_free(s->dblk_ulen);
    pk_free(s->fblk_ulen);
    buf_free(&s->dcache);
    buf_free(&s->fcache);
    pk_free(s->delmap);
    buf_free(&s->path);
    buf_free(&s->body);
    buf_free(&s->cache);
    if (s->dz) libdeflate_free_decompressor(s->dz);
    buf_free(&s->gbuf);
    buf_free(&s->gstr);
    for (uint32_t g = 0; s->kept && g < s->ngroups; g++) pk_free(s->kept[g].e);
    pk_free(s->kept);
    pk_free(s);
}

static pk_status get_sec(segr *s, ixf *f, uint32_t tag, span *sp)
{
    return ixf_section_get(f, tag, &sp->p, &sp->n);
}

#define KBLOCK_MAX (1u << 20)   /* largest uncompressed dictionary or forms block accepted */

/* Load a sparse block index (DIDX or FIDX): per block the first key, the offset of the compressed
 * block in data and its uncompressed size. */
static pk_status load_index(segr *s, span idx, span data, uint32_t nblk, uint64_t **off,
                            const uint8_t ***key, uint32_t **klen, uint32_t **ulen)
{
    pk_status st = ixf_need(s->ix, idx.p, idx.n);
    if (st) return st;
    *off = pk_calloc(nblk ? nblk : 1, sizeof **off);
    *key = pk_calloc(nblk ? nblk : 1, sizeof **key);
    *klen = pk_calloc(nblk ? nblk : 1, sizeof **klen);
    *ulen = pk_calloc(nblk ? nblk : 1, sizeof **ulen);
    if (!*off || !*key || !*klen || !*ulen) { msg_set(&s->msg, "out of memory"); return PK_ENOMEM; }
    const uint8_t *p = idx.p, *e = idx.p + idx.n;
    for (uint32_t b = 0; b < nblk; b++) {
        uint64_t kn, o, u;
        if (get_varint(&p, e, &kn) || kn == 0 || kn > IX_MAX_KEY || kn > (uint64_t)(e - p))
            return bad(s, s->ix, p, "bad key in a block index");
        (*key)[b] = p;
        (*klen)[b] = (uint32_t)kn;
        p += kn;
        if (get_varint(&p, e, &o) || o >= data.n || (b == 0 && o != 0) || (b > 0 && o <= (*off)[b - 1]))
            return bad(s, s->ix, p, "bad block offset in a block index");
        if (get_varint(&p, e, &u) || u == 0 || u > KBLOCK_MAX) return bad(s, s->ix, p, "bad block size in a block index");
        if (b > 0 && key_cmp((*key)[b - 1], (*klen)[b - 1], (*key)[b], (*klen)[b]) >= 0)
            return bad(s, s->ix, (*key)[b], "block index keys out of order");
        (*off)[b] = o;
        (*ulen)[b] = (uint32_t)u;
    }
    if (p != e) return bad(s, s->ix, p, "trailing bytes in a block index");
    if (nblk == 0 && data.n != 0) return bad(s, s->ix, data.p, "blocks without an index");
    return PK_OK;
}

/* Inflate block b of a dictionary-like section into cache (unless it is there already). */
static pk_status kblock_get(segr *s, span data, const uint64_t *off, const uint32_t *ulen, uint32_t nblk,
                            uint32_t b, pk_buf *cache, uint32_t *cache_b, int *cache_ok,
                            const uint8_t **p, const uint8_t **e)
{
    uint64_t a = off[b], z = b + 1 < nblk ? off[b + 1] : data.n;
    const uint8_t *c = data.p + a;
    if (!(*cache_ok && *cache_b == b)) {
        *cache_ok = 0;
        pk_status st = ixf_need(s->ix, c, (size_t)(z - a));
        if (st) return st;
        cache->n = 0;
        if (buf_reserve(cache, ulen[b])) { msg_set(&s->msg, "out of memory"); return PK_ENOMEM; }
        if ((st = unzlib(s, c, (size_t)(z - a), cache->p, ulen[b])) == PK_ENOMEM) return st;
        if (st) return bad(s, s->ix, c, "block does not decompress to its recorded size");
        cache->n = ulen[b];
        *cache_b = b;
        *cache_ok = 1;
    }
    *p = cache->p;
    *e = cache->p + cache->n;
    return PK_OK;
}

static pk_status load_meta(segr *s)
{
    pk_status st = ixf_need(s->ix, s->meta.p, s->meta.n);
    if (st) return st;
    const uint8_t *m = s->meta.p;
    if (s->meta.n < SEG_META_SIZE) return bad(s, s->ix, m, "META section too short");
    if (ld_u32le(m) != 1) return bad(s, s->ix, m, "unknown META layout");
    seg_info *in = &s->info;
    in->ndocs = ld_u32le(m + 4);
    in->first_id = ld_u32le(m + 8);
    in->last_id = ld_u32le(m + 12);
    in->nterms = ld_u64le(m + 16);
    in->nparts = ld_u64le(m + 24);
    in->nforms = ld_u64le(m + 32);
    in->npostings = ld_u64le(m + 40);
    in->npositions = ld_u64le(m + 48);
    in->ntokens = ld_u64le(m + 56);
    in->text_bytes = ld_u64le(m + 64);
    in->raw_bytes = ld_u64le(m + 72);
    in->dict_blocks = ld_u32le(m + 80);
    in->form_blocks = ld_u32le(m + 84);
    in->first_date = (int32_t)ld_u32le(m + 88);
    in->last_date = (int32_t)ld_u32le(m + 92);
    if (in->ndocs == 0 || in->last_id < in->first_id || in->last_id - in->first_id < in->ndocs - 1)
        return bad(s, s->ix, m + 4, "bad document count or id range");
    if (in->nparts > in->nterms ||
        in->dict_blocks != (in->nterms + SEG_DICT_BLOCK - 1) / SEG_DICT_BLOCK ||
        in->form_blocks != (in->nforms + SEG_FORM_BLOCK - 1) / SEG_FORM_BLOCK)
        return bad(s, s->ix, m + 16, "term or form counts disagree with block counts");
    s->ngroups = (in->ndocs + SEG_DOC_GROUP - 1) / SEG_DOC_GROUP;
    if (s->dgrp.n != (uint64_t)s->ngroups * SEG_DGRP_REC)
        return bad(s, s->ix, s->dgrp.p, "DGRP size disagrees with the document count");
    if (s->peri.n % SEG_PERIOD_REC) return bad(s, s->ix, s->peri.p, "PERI size is not whole records");
    if (s->bidx.n % SEG_BIDX_REC || s->bidx.n == 0) return bad(s, s->sto, s->bidx.p, "BIDX size is not whole records");
    in->nperiods = (uint32_t)(s->peri.n / SEG_PERIOD_REC);
    in->nstore_blocks = (uint32_t)(s->bidx.n / SEG_BIDX_REC);
    in->b_dict = s->dict.n + s->didx.n + s->form.n + s->fidx.n;
    in->b_post = s->post.n;
    in->b_pos = s->posi.n;
    in->b_docs = s->docs.n + s->dgrp.n + s->peri.n + s->meta.n;
    in->b_stored = s->blks.n + s->bidx.n;
    in->ix_size = s->ix->size;
    in->pos_size = s->pos->size;
    in->sto_size = s->sto->size;

    /* periods: increasing months, totals add up */
    if ((st = ixf_need(s->ix, s->peri.p, s->peri.n))) return st;
    uint64_t docs = 0;
    for (uint32_t i = 0; i < in->nperiods; i++) {
        const uint8_t *r = s->peri.p + (size_t)i * SEG_PERIOD_REC;
        if (i && (int32_t)ld_u32le(r) <= (int32_t)ld_u32le(r - SEG_PERIOD_REC))
            return bad(s, s->ix, r, "periods out of order");
        docs += ld_u32le(r + 4);
    }
    if (docs != in->ndocs) return bad(s, s->ix, s->peri.p, "period totals disagree with the document count");

    /* document groups: 64 documents each (the last: the rest), contiguous bytes, increasing ids */
    if ((st = ixf_need(s->ix, s->dgrp.p, s->dgrp.n))) return st;
    uint64_t go = 0;
    for (uint32_t g = 0; g < s->ngroups; g++) {
        const uint8_t *r = s->dgrp.p + (size_t)g * SEG_DGRP_REC;
        uint32_t want = g + 1 < s->ngroups ? SEG_DOC_GROUP : in->ndocs - g * SEG_DOC_GROUP;
        if (ld_u32le(r + 4) != want || ld_u64le(r + 8) != go || (g == 0 && ld_u32le(r) != in->first_id) ||
            (g > 0 && ld_u32le(r) <= ld_u32le(r - SEG_DGRP_REC)) || ld_u32le(r) > in->last_id)
            return bad(s, s->ix, r, "document group index is not contiguous");
        go += ld_u32le(r + 16);
    }
    if (go != s->docs.n) return bad(s, s->ix, s->dgrp.p, "document groups disagree with the DOCS size");

    /* stored blocks: contiguous documents and bytes */
    if ((st = ixf_need(s->sto, s->bidx.p, s->bidx.n))) return st;
    uint64_t d = 0, o = 0;
    for (uint32_t b = 0; b < in->nstore_blocks; b++) {
        const uint8_t *r = s->bidx.p + (size_t)b * SEG_BIDX_REC;
        if (ld_u32le(r) != d || ld_u32le(r + 4) == 0 || ld_u64le(r + 8) != o)
            return bad(s, s->sto, r, "stored block index is not contiguous");
        d += ld_u32le(r + 4);
        o += ld_u32le(r + 16);
    }
    if (d != in->ndocs || o != s->blks.n) return bad(s, s->sto, s->bidx.p, "stored blocks disagree with the document count");
    return PK_OK;
}

static pk_status load_del(segr *s, const char *dir, const char *identity, uint64_t gen)
{
    char *p = seg_del_path(dir, s->id, gen);
    if (!p) return PK_ENOMEM;
    pk_status st = ixf_open(p, IXF_KIND_DEL, identity, &s->msg, &s->del);
    pk_free(p);
    if (st) return st;
    span bits, meta;
    if ((st = get_sec(s, s->del, SEC_DBIT, &bits)) || (st = get_sec(s, s->del, SEC_META, &meta))) return st;
    if ((st = ixf_need(s->del, meta.p, meta.n)) || (st = ixf_need(s->del, bits.p, bits.n))) return st;
    if (s->del->segid != s->id) return bad(s, s->del, s->del->map + 16, "deletions belong to another segment");
    if (meta.n < 8 || ld_u32le(meta.p) != s->info.ndocs) return bad(s, s->del, meta.p, "deletions for a different document count");
    if (bits.n != ((size_t)s->info.ndocs + 7) / 8) return bad(s, s->del, bits.p, "deletion bitmap has the wrong size");
    uint32_t cnt = 0;
    for (size_t i = 0; i < bits.n; i++) cnt += (uint32_t)__builtin_popcount(bits.p[i]);
    if (s->info.ndocs % 8 && bits.p[bits.n - 1] >> (s->info.ndocs % 8))
        return bad(s, s->del, bits.p + bits.n - 1, "deletion bits past the last document");
    if (cnt != ld_u32le(meta.p + 4)) return bad(s, s->del, meta.p + 4, "deletion count disagrees with the bitmap");
    s->delmap = pk_malloc(bits.n);
    if (!s->delmap) return PK_ENOMEM;
    memcpy(s->delmap, bits.p, bits.n);
    s->ndeleted = cnt;
    return PK_OK;
}

pk_status segr_open(const char *dir, uint64_t id, const char *identity, uint64_t del_gen,
                    pk_msg *msg, segr **out)
{
    *out = NULL;
    segr *s = pk_calloc(1, sizeof *s);
    if (!s) { msg_set(msg, "out of memory"); return PK_ENOMEM; }
    s->id = id;
    buf_init(&s->path);
    buf_init(&s->body);
    buf_init(&s->cache);
    buf_init(&s->gbuf);
    buf_init(&s->gstr);
    buf_init(&s->dcache);
    buf_init(&s->fcache);
    char *pix = seg_path(dir, id, "ix"), *ppos = seg_path(dir, id, "pos"), *psto = seg_path(dir, id, "sto");
    pk_status st = PK_ENOMEM;
    if (pix && ppos && psto) {
        st = ixf_open(pix, IXF_KIND_TERMS, identity, &s->msg, &s->ix);
        if (!st) st = ixf_open(ppos, IXF_KIND_POS, identity, &s->msg, &s->pos);
        if (!st) st = ixf_open(psto, IXF_KIND_STORE, identity, &s->msg, &s->sto);
    }
    pk_free(pix);
    pk_free(ppos);
    pk_free(psto);
    if (!st && (s->ix->segid != id || s->pos->segid != id || s->sto->segid != id)) {
        ixf *f = s->ix->segid != id ? s->ix : s->pos->segid != id ? s->pos : s->sto;
        st = bad(s, f, f->map + 16, "file belongs to another segment");
    }
    if (!st) {
        struct { uint32_t tag; ixf *f; span *sp; } secs[] = {
            {SEC_POST, s->ix, &s->post}, {SEC_DICT, s->ix, &s->dict}, {SEC_DIDX, s->ix, &s->didx},
            {SEC_FORM, s->ix, &s->form}, {SEC_FIDX, s->ix, &s->fidx}, {SEC_DOCS, s->ix, &s->docs},
            {SEC_DGRP, s->ix, &s->dgrp}, {SEC_PERI, s->ix, &s->peri},
            {SEC_META, s->ix, &s->meta}, {SEC_POSI, s->pos, &s->posi}, {SEC_BLKS, s->sto, &s->blks},
            {SEC_BIDX, s->sto, &s->bidx}};
        for (size_t i = 0; i < sizeof secs / sizeof secs[0] && !st; i++)
            st = get_sec(s, secs[i].f, secs[i].tag, secs[i].sp);
    }
    if (!st) st = load_meta(s);
    if (!st) st = load_index(s, s->didx, s->dict, s->info.dict_blocks, &s->dblk_off, &s->dblk_key, &s->dblk_klen, &s->dblk_ulen);
    if (!st) st = load_index(s, s->fidx, s->form, s->info.form_blocks, &s->fblk_off, &s->fblk_key, &s->fblk_klen, &s->fblk_ulen);
    if (!st && del_gen) st = load_del(s, dir, identity, del_gen);
    s->del_gen = del_gen;
    if (st) {
        if (st == PK_ENOMEM && !s->msg.text[0]) msg_set(&s->msg, "out of memory");
        *msg = s->msg;
        segr_close(s);
        return st;
    }
    *out = s;
    return PK_OK;
}

pk_status segr_set_deleted(segr *s, const uint8_t *bits, uint32_t ndeleted)
{
    size_t n = ((size_t)s->info.ndocs + 7) / 8;
    uint8_t *m = pk_malloc(n);
    if (!m) return PK_ENOMEM;
    memcpy(m, bits, n);
    pk_free(s->delmap);
    s->delmap = m;
    s->ndeleted = ndeleted;
    return PK_OK;
}

/* ---- documents ---- */

static int get_front(const uint8_t **p, const uint8_t *e, pk_buf *b)
{
    uint64_t sh, sn;
    if (get_varint(p, e, &sh) || sh > b->n || get_varint(p, e, &sn) || sn > (uint64_t)(e - *p)) return -1;
    b->n = (size_t)sh;
    buf_put(b, *p, (size_t)sn);
    if (buf_reserve(b, 0)) return -1;
    b->p[b->n] = 0;
    *p += sn;
    return 0;
}

static int64_t unzigzag(uint64_t v) { return v & 1 ? -(int64_t)(v >> 1) - 1 : (int64_t)(v >> 1); }

/* Decode group g of document entries into the cache. */
static pk_status load_group(segr *s, uint32_t g)
{
    if (s->gcache_valid && s->gcache == g) return PK_OK;
    s->gcache_valid = 0;
    if (s->kept && s->kept[g].e) {
        s->cur_e = s->kept[g].e;
        s->cur_str = s->kept[g].str;
        s->gcache = g;
        s->gcache_valid = 1;
        return PK_OK;
    }
    const uint8_t *r = s->dgrp.p + (size_t)g * SEG_DGRP_REC;
    uint32_t first = ld_u32le(r), nd = ld_u32le(r + 4), clen = ld_u32le(r + 16), ulen = ld_u32le(r + 20);
    const uint8_t *c = s->docs.p + ld_u64le(r + 8);
    pk_status st = ixf_need(s->ix, c, clen);
    if (st) return st;
    s->gbuf.n = 0;
    if (!size_possible(clen, ulen)) return bad(s, s->ix, c, "document group records an impossible uncompressed size");
    if (buf_reserve(&s->gbuf, ulen)) { msg_set(&s->msg, "out of memory"); return PK_ENOMEM; }
    if ((st = unzlib(s, c, clen, s->gbuf.p, ulen)) == PK_ENOMEM) return st;
    if (st) return bad(s, s->ix, c, "document group does not decompress to its recorded size");
    const uint8_t *p = s->gbuf.p, *e = p + ulen;
    s->gstr.n = 0;
    s->path.n = s->body.n = 0;
    int64_t date = 0;
    uint64_t id = first;
    for (uint32_t i = 0; i < nd; i++) {
        gent *ge = &s->gent[i];
        uint64_t dd, dc, nt, tl, rl;
        if (get_varint(&p, e, &dd) || get_varint(&p, e, &dc) || get_varint(&p, e, &nt) ||
            get_varint(&p, e, &tl) || get_varint(&p, e, &rl) || e - p < 8)
            return bad(s, s->ix, c, "bad document entry in a group");
        id = i ? id + dd + 1 : id + dd;
        if ((i == 0 && dd != 0) || id > s->info.last_id || nt > UINT32_MAX || tl > UINT32_MAX)
            return bad(s, s->ix, c, "document entry out of range in a group");
        if (dc) {
            date += unzigzag(dc - 1);
            if (date <= INT32_MIN || date > INT32_MAX) return bad(s, s->ix, c, "document date out of range");
        }
        ge->id = (uint32_t)id;
        ge->date = dc ? (int32_t)date : PK_NODATE;
        ge->ntokens = (uint32_t)nt;
        ge->text_len = (uint32_t)tl;
        ge->raw_len = rl;
        ge->hash = ld_u64le(p);
        p += 8;
        if (get_front(&p, e, &s->path) || get_front(&p, e, &s->body)) {
            if (s->path.err || s->body.err) { msg_set(&s->msg, "out of memory"); return PK_ENOMEM; }
            return bad(s, s->ix, c, "bad document strings in a group");
        }
        ge->path_off = s->gstr.n;
        ge->path_len = s->path.n;
        buf_put(&s->gstr, s->path.p, s->path.n);
        buf_putc(&s->gstr, 0);
        ge->body_off = s->gstr.n;
        ge->body_len = s->body.n;
        buf_put(&s->gstr, s->body.p, s->body.n);
        buf_putc(&s->gstr, 0);
        if (s->gstr.err) { msg_set(&s->msg, "out of memory"); return PK_ENOMEM; }
    }
    if (p != e) return bad(s, s->ix, c, "trailing bytes in a document group");
    if (g + 1 == s->ngroups && id != s->info.last_id) return bad(s, s->ix, c, "last document id disagrees with META");
    if (g + 1 < s->ngroups && id >= ld_u32le(r + SEG_DGRP_REC)) return bad(s, s->ix, c, "document ids overlap the next group");
    s->cur_e = s->gent;
    s->cur_str = s->gstr.p;
    /* keep the decoded group when the segment's allowance has room */
    size_t ebytes = (size_t)nd * sizeof(gent), need = ebytes + s->gstr.n;
    if (s->kept_cap && s->kept_bytes + need <= s->kept_cap) {
        if (!s->kept) s->kept = pk_calloc(s->ngroups, sizeof *s->kept);
        uint8_t *m = s->kept ? pk_malloc(need) : NULL;
        if (m) {
            memcpy(m, s->gent, ebytes);
            memcpy(m + ebytes, s->gstr.p, s->gstr.n);
            s->kept[g].e = (gent *)(void *)m;
            s->kept[g].str = m + ebytes;
            s->kept[g].bytes = need;
            s->kept_bytes += need;
            s->cur_e = s->kept[g].e;
            s->cur_str = s->kept[g].str;
        }
    }
    s->gcache = g;
    s->gcache_valid = 1;
    return PK_OK;
}

void segr_keep_docs(segr *s, size_t bytes)
{
    s->kept_cap = bytes;
}

pk_status segr_doc_fixed(segr *s, uint32_t doc, seg_doc *out)
{
    if (doc >= s->info.ndocs) { msg_set(&s->msg, "document %u out of range", doc); return PK_ENOENT; }
    pk_status st = load_group(s, doc / SEG_DOC_GROUP);
    if (st) return st;
    const gent *ge = &s->cur_e[doc % SEG_DOC_GROUP];
    out->id = ge->id;
    out->date = ge->date;
    out->ntokens = ge->ntokens;
    out->text_len = ge->text_len;
    out->raw_len = ge->raw_len;
    out->hash = ge->hash;
    out->path = (const char *)s->cur_str + ge->path_off;
    out->path_len = ge->path_len;
    out->body = ge->body_len ? (const char *)s->cur_str + ge->body_off : NULL;
    out->body_len = ge->body_len;
    return PK_OK;
}

pk_status segr_doc(segr *s, uint32_t doc, seg_doc *out) { return segr_doc_fixed(s, doc, out); }

pk_status segr_find_id(segr *s, uint32_t id, uint32_t *doc)
{
    if (id < s->info.first_id || id > s->info.last_id) return PK_ENOENT;
    uint32_t lo = 0, hi = s->ngroups;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ld_u32le(s->dgrp.p + (size_t)mid * SEG_DGRP_REC) <= id) lo = mid; else hi = mid;
    }
    pk_status st = load_group(s, lo);
    if (st) return st;
    uint32_t nd = ld_u32le(s->dgrp.p + (size_t)lo * SEG_DGRP_REC + 4);
    for (uint32_t i = 0; i < nd; i++)
        if (s->cur_e[i].id == id) {
            *doc = lo * SEG_DOC_GROUP + i;
            return PK_OK;
        }
    return PK_ENOENT;
}

pk_status segr_period(segr *s, uint32_t i, int32_t *month, uint32_t *docs, uint64_t *tokens)
{
    if (i >= s->info.nperiods) return PK_ENOENT;
    const uint8_t *r = s->peri.p + (size_t)i * SEG_PERIOD_REC;
    *month = (int32_t)ld_u32le(r);
    *docs = ld_u32le(r + 4);
    *tokens = ld_u64le(r + 8);
    return PK_OK;
}

/* ---- stored ---- */

uint32_t segr_store_nblocks(const segr *s) { return s->info.nstore_blocks; }

pk_status segr_store_block(segr *s, uint32_t b, uint32_t *first_doc, uint32_t *ndocs,
                           const uint8_t **c, size_t *clen, uint32_t *ulen)
{
    if (b >= s->info.nstore_blocks) return PK_ENOENT;
    const uint8_t *r = s->bidx.p + (size_t)b * SEG_BIDX_REC;
    *first_doc = ld_u32le(r);
    *ndocs = ld_u32le(r + 4);
    uint64_t off = ld_u64le(r + 8);
    *clen = ld_u32le(r + 16);
    *ulen = ld_u32le(r + 20);
    *c = s->blks.p + off;
    return ixf_need(s->sto, *c, *clen);
}

static pk_status inflate_block(segr *s, uint32_t b)
{
    if (s->cache_valid && s->cache_blk == b) return PK_OK;
    uint32_t first, nd, ulen;
    const uint8_t *c;
    size_t clen;
    pk_status st = segr_store_block(s, b, &first, &nd, &c, &clen, &ulen);
    if (st) return st;
    s->cache_valid = 0;
    s->cache.n = 0;
    if (!size_possible(clen, ulen)) return bad(s, s->sto, c, "stored block records an impossible uncompressed size");
    if (buf_reserve(&s->cache, ulen)) { msg_set(&s->msg, "out of memory"); return PK_ENOMEM; }
    if ((st = unzlib(s, c, clen, s->cache.p, ulen)) == PK_ENOMEM) return st;
    if (st) return bad(s, s->sto, c, "stored block does not decompress to its recorded size");
    s->cache.n = ulen;
    s->cache_blk = b;
    s->cache_valid = 1;
    return PK_OK;
}

pk_status segr_stored(segr *s, uint32_t doc, const char **rec, size_t *rec_len,
                      const char **text, size_t *text_len)
{
    if (doc >= s->info.ndocs) return PK_ENOENT;
    uint32_t lo = 0, hi = s->info.nstore_blocks;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ld_u32le(s->bidx.p + (size_t)mid * SEG_BIDX_REC) <= doc) lo = mid; else hi = mid;
    }
    pk_status st = inflate_block(s, lo);
    if (st) return st;
    uint32_t first = ld_u32le(s->bidx.p + (size_t)lo * SEG_BIDX_REC);
    const uint8_t *p = s->cache.p, *e = s->cache.p + s->cache.n;
    for (uint32_t d = first;; d++) {
        uint64_t rn, tn;
        if (get_varint(&p, e, &rn) || rn > (uint64_t)(e - p)) goto corrupt;
        const uint8_t *r = p;
        p += rn;
        if (get_varint(&p, e, &tn) || tn > (uint64_t)(e - p)) goto corrupt;
        if (d == doc) {
            *rec = (const char *)r;
            *rec_len = (size_t)rn;
            *text = (const char *)p;
            *text_len = (size_t)tn;
            return PK_OK;
        }
        p += tn;
    }
corrupt:
    s->cache_valid = 0;
    msg_set(&s->msg, "%s: stored block %u: bad document lengths", s->sto->path, lo);
    return PK_ECORRUPT;
}

/* ---- dictionary ---- */

static pk_status dblock_get(segr *s, uint32_t b, const uint8_t **p, const uint8_t **e)
{
    return kblock_get(s, s->dict, s->dblk_off, s->dblk_ulen, s->info.dict_blocks, b, &s->dcache, &s->dcache_b,
                      &s->dcache_ok, p, e);
}

/* Decode the next dictionary entry into *t (t->key holds the previous key on entry); at names the
 * block in the file for messages. */
static pk_status dentry(segr *s, const uint8_t **pp, const uint8_t *e, int first, seg_term *t,
                        uint64_t *post_next, uint64_t *pos_next, const uint8_t *at)
{
    const uint8_t *p = *pp;
    uint64_t sh, sn, a, cx = 0, pl, ql;
    if (get_varint(&p, e, &sh) || get_varint(&p, e, &sn) || (first && sh != 0) || sh > t->key_len ||
        sh + sn > IX_MAX_KEY || sh + sn == 0 || sn > (uint64_t)(e - p))
        return bad(s, s->ix, at, "bad dictionary entry key");
    memcpy(t->key + sh, p, (size_t)sn);
    t->key_len = (uint32_t)(sh + sn);
    p += sn;
    if (get_varint(&p, e, &a) || ((a & 1) && get_varint(&p, e, &cx)) || get_varint(&p, e, &pl) ||
        get_varint(&p, e, &ql) || (a >> 1) >= s->info.ndocs || cx > UINT64_MAX / 2)
        return bad(s, s->ix, at, "bad dictionary entry counts");
    t->df = (uint32_t)(a >> 1) + 1;
    t->cf = t->df + ((a & 1) ? cx + 1 : 0);
    t->post_off = *post_next;
    t->post_len = pl;
    t->pos_off = *pos_next;
    t->pos_len = ql;
    if (t->post_off > s->post.n || pl > s->post.n - t->post_off || t->pos_off > s->posi.n ||
        ql > s->posi.n - t->pos_off)
        return bad(s, s->ix, at, "dictionary entry points outside the postings");
    *post_next += pl;
    *pos_next += ql;
    *pp = p;
    return PK_OK;
}

static uint32_t dblock_terms(const segr *s, uint32_t b)
{
    uint64_t left = s->info.nterms - (uint64_t)b * SEG_DICT_BLOCK;
    return left < SEG_DICT_BLOCK ? (uint32_t)left : SEG_DICT_BLOCK;
}

/* Last block whose first key is <= key (0 when key sorts before every block). */
static uint32_t find_block(const uint8_t *const *keys, const uint32_t *klen, uint32_t nblk,
                           const uint8_t *key, size_t n)
{
    uint32_t lo = 0, hi = nblk;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (key_cmp(keys[mid], klen[mid], key, n) <= 0) lo = mid; else hi = mid;
    }
    return lo;
}

/* Position the iterator at the start of block b. */
static int titer_block(seg_titer *it, uint32_t b)
{
    segr *s = it->s;
    const uint8_t *p = NULL, *e = NULL;   /* set by dblock_get */
    pk_status st = dblock_get(s, b, &p, &e);
    if (st) return it->err = st, -1;
    const uint8_t *q = p;
    if (get_varint(&q, e, &it->post_next) || get_varint(&q, e, &it->pos_next))
        return it->err = bad(s, s->ix, s->dict.p + s->dblk_off[b], "bad dictionary block header"), -1;
    it->blk = b;
    it->idx = 0;
    it->in_blk = dblock_terms(s, b);
    it->off = (uint32_t)(q - p);
    return 0;
}

static int titer_step(seg_titer *it)
{
    segr *s = it->s;
    if (it->done) return 0;
    if (it->idx == it->in_blk) {
        if (it->blk + 1 >= s->info.dict_blocks) { it->done = 1; return 0; }
        if (titer_block(it, it->blk + 1)) return -1;
    }
    const uint8_t *p = NULL, *e = NULL;   /* set by dblock_get */
    pk_status st = dblock_get(s, it->blk, &p, &e);
    if (st) return it->err = st, -1;
    const uint8_t *q = p + it->off, *at = s->dict.p + s->dblk_off[it->blk];
    if ((st = dentry(s, &q, e, it->idx == 0, &it->t, &it->post_next, &it->pos_next, at))) return it->err = st, -1;
    it->off = (uint32_t)(q - p);
    it->idx++;
    if (it->idx == it->in_blk && q != e) return it->err = bad(s, s->ix, at, "trailing bytes in a dictionary block"), -1;
    return 1;
}

pk_status segr_terms_from(segr *s, const uint8_t *start, size_t n, seg_titer *it)
{
    memset(it, 0, sizeof *it);
    it->s = s;
    if (s->info.dict_blocks == 0) { it->done = 1; return PK_OK; }
    uint32_t b = n ? find_block(s->dblk_key, s->dblk_klen, s->info.dict_blocks, start, n) : 0;
    if (titer_block(it, b)) return it->err;
    for (;;) {
        int r = titer_step(it);
        if (r < 0) return it->err;
        if (r == 0) return PK_OK;
        if (key_cmp(it->t.key, it->t.key_len, start, n) >= 0) { it->pending = 1; return PK_OK; }
    }
}

int segr_terms_next(seg_titer *it)
{
    if (it->pending) { it->pending = 0; return 1; }
    return titer_step(it);
}

pk_status segr_lookup(segr *s, const uint8_t *key, size_t n, seg_term *t, int *found)
{
    *found = 0;
    seg_titer it;
    pk_status st = segr_terms_from(s, key, n, &it);
    if (st) return st;
    if (it.pending && it.t.key_len == n && memcmp(it.t.key, key, n) == 0) {
        *t = it.t;
        *found = 1;
    }
    return PK_OK;
}

/* ---- forms ---- */

static uint32_t fblock_forms(const segr *s, uint32_t b)
{
    uint64_t left = s->info.nforms - (uint64_t)b * SEG_FORM_BLOCK;
    return left < SEG_FORM_BLOCK ? (uint32_t)left : SEG_FORM_BLOCK;
}

static pk_status fblock_get(segr *s, uint32_t b, const uint8_t **p, const uint8_t **e)
{
    return kblock_get(s, s->form, s->fblk_off, s->fblk_ulen, s->info.form_blocks, b, &s->fcache, &s->fcache_b,
                      &s->fcache_ok, p, e);
}

static int fiter_step(seg_fiter *it)
{
    segr *s = it->s;
    if (it->done) return 0;
    if (it->idx == it->in_blk) {
        if (it->blk + 1 >= s->info.form_blocks) { it->done = 1; return 0; }
        it->blk++;
        it->idx = 0;
        it->off = 0;
        it->in_blk = fblock_forms(s, it->blk);
    }
    const uint8_t *base = NULL, *e = NULL;   /* set by fblock_get */
    pk_status st = fblock_get(s, it->blk, &base, &e);
    if (st) return it->err = st, -1;
    const uint8_t *p = base + it->off, *at = s->form.p + s->fblk_off[it->blk];
    int first = it->idx == 0;
    seg_form *f = &it->f;
    uint64_t sh, sn, x, sx = 0;
    if (get_varint(&p, e, &sh) || get_varint(&p, e, &sn) || (first && sh) || sh > f->norm_len ||
        sh + sn > IX_MAX_KEY || sh + sn == 0 || sn > (uint64_t)(e - p))
        return it->err = bad(s, s->ix, at, "bad form entry"), -1;
    memcpy(f->norm + sh, p, (size_t)sn);
    f->norm_len = (uint32_t)(sh + sn);
    p += sn;
    if (get_varint(&p, e, &x) || (x >> 3) > f->norm_len || ((x & 4) && (get_varint(&p, e, &sx) || sx == 0)))
        return it->err = bad(s, s->ix, at, "bad form entry"), -1;
    uint64_t ss = f->norm_len - (x >> 3);
    if (ss + sx > IX_MAX_KEY || sx > (uint64_t)(e - p)) return it->err = bad(s, s->ix, at, "bad form entry"), -1;
    f->flags = (uint32_t)(x & 3);
    memcpy(f->stem, f->norm, (size_t)ss);
    memcpy(f->stem + ss, p, (size_t)sx);
    f->stem_len = (uint32_t)(ss + sx);
    p += sx;
    it->off = (uint32_t)(p - base);
    it->idx++;
    if (it->idx == it->in_blk && p != e) return it->err = bad(s, s->ix, at, "trailing bytes in a forms block"), -1;
    return 1;
}

pk_status segr_forms_from(segr *s, const uint8_t *start, size_t n, seg_fiter *it)
{
    memset(it, 0, sizeof *it);
    it->s = s;
    if (s->info.form_blocks == 0) { it->done = 1; return PK_OK; }
    uint32_t b = n ? find_block(s->fblk_key, s->fblk_klen, s->info.form_blocks, start, n) : 0;
    it->blk = b;
    it->in_blk = fblock_forms(s, b);
    for (;;) {
        int r = fiter_step(it);
        if (r < 0) return it->err;
        if (r == 0) return PK_OK;
        if (key_cmp(it->f.norm, it->f.norm_len, start, n) >= 0) { it->pending = 1; return PK_OK; }
    }
}

int segr_forms_next(seg_fiter *it)
{
    if (it->pending) { it->pending = 0; return 1; }
    return fiter_step(it);
}

/* ---- postings ---- */

static int post_bad(seg_post *p, const uint8_t *at, const char *what)
{
    bad(p->s, p->s->ix, at, what);
    p->cur = 0;
    p->n = p->i = 0;
    p->next = p->nblocks;
    p->st = PK_ECORRUPT;
    return -1;
}

pk_status segr_post_open(segr *s, const seg_term *t, int live_only, seg_post *p)
{
    memset(p, 0, sizeof *p);
    p->s = s;
    p->t = *t;
    p->live_only = live_only && s->ndeleted;
    if (t->post_off > s->post.n || t->post_len > s->post.n - t->post_off || t->pos_off > s->posi.n ||
        t->pos_len > s->posi.n - t->pos_off || t->df == 0 || t->cf < t->df) {
        post_bad(p, s->dict.p, "term points outside the postings");
        return PK_ECORRUPT;
    }
    const uint8_t *b = s->post.p + t->post_off, *e = b + t->post_len;
    pk_status st = ixf_need(s->ix, b, (size_t)t->post_len);
    if (st) { p->st = st; return st; }
    p->nblocks = (t->df + CODEC_BLOCK - 1) / CODEC_BLOCK;
    p->has_tf = !(p->nblocks == 1 && t->cf == t->df);
    if (p->nblocks > 1) {
        uint64_t sl;
        if (get_varint(&b, e, &sl) || sl > (uint64_t)(e - b)) {
            post_bad(p, b, "bad skip table length");
            return PK_ECORRUPT;
        }
        p->skip = b;
        p->skip_end = b + sl;
        b += sl;
    }
    p->nbdoc = b;
    p->blocks_end = e;
    p->pos = s->posi.p + t->pos_off;
    return PK_OK;
}

void segr_post_close(seg_post *p)
{
    pk_free(p->pbuf);
    p->pbuf = NULL;
    p->pcap = 0;
}

static int read_entry(seg_post *p)
{
    if (p->have_entry) return 0;
    uint64_t d, dl, pl;
    const uint8_t *at = p->skip;
    if (get_varint(&p->skip, p->skip_end, &d) || get_varint(&p->skip, p->skip_end, &dl) ||
        get_varint(&p->skip, p->skip_end, &pl))
        return post_bad(p, at, "bad skip entry");
    uint64_t last = p->have_prev ? (uint64_t)p->prev_last + d : d;
    if (last >= p->s->info.ndocs || (p->have_prev && d == 0))
        return post_bad(p, at, "skip entry names a document out of range");
    p->e_last = (uint32_t)last;
    p->e_doc_len = dl;
    p->e_pos_len = pl;
    p->have_entry = 1;
    return 0;
}

static int load_next(seg_post *p)
{
    uint32_t b = p->next;
    uint32_t k = b + 1 == p->nblocks ? p->t.df - b * CODEC_BLOCK : CODEC_BLOCK;
    uint64_t dl, pl;
    if (b + 1 < p->nblocks) {
        if (read_entry(p)) return -1;
        dl = p->e_doc_len;
        pl = p->e_pos_len;
    } else {
        if (p->skip != p->skip_end) return post_bad(p, p->skip, "skip table longer than its blocks");
        dl = (uint64_t)(p->blocks_end - p->nbdoc);
        pl = p->t.pos_len - p->nbpos;
    }
    if (dl > (uint64_t)(p->blocks_end - p->nbdoc) || pl > p->t.pos_len - p->nbpos)
        return post_bad(p, p->nbdoc, "block longer than the term's postings");
    const uint8_t *q = p->nbdoc, *qe = q + dl;
    if (codec_get_block(&q, qe, p->docs, k)) return post_bad(p, p->nbdoc, "document block does not decode");
    if (p->has_tf) {
        if (codec_get_block(&q, qe, p->tfs, k)) return post_bad(p, p->nbdoc, "frequency block does not decode");
        for (uint32_t i = 0; i < k; i++) {
            if (p->tfs[i] == UINT32_MAX) return post_bad(p, p->nbdoc, "frequency out of range");
            p->tfs[i]++;
        }
    } else {
        for (uint32_t i = 0; i < k; i++) p->tfs[i] = 1;
    }
    if (q != qe) return post_bad(p, q, "document block length mismatch");
    uint64_t base = p->have_prev ? (uint64_t)p->prev_last + 1 : 0;
    uint64_t tot = 0;
    p->poff[0] = 0;
    for (uint32_t i = 0; i < k; i++) {
        uint64_t d = base + p->docs[i];
        if (d >= p->s->info.ndocs) return post_bad(p, p->nbdoc, "posting names a document out of range");
        p->docs[i] = (uint32_t)d;
        base = d + 1;
        tot += p->tfs[i];
        if (tot > UINT32_MAX / 2) return post_bad(p, p->nbdoc, "frequencies out of range");
        p->poff[i + 1] = (uint32_t)tot;
    }
    if (b + 1 < p->nblocks && p->docs[k - 1] != p->e_last) return post_bad(p, p->nbdoc, "skip entry disagrees with its block");
    p->cbpos = p->nbpos;
    p->cbpos_len = pl;
    p->nbdoc = qe;
    p->nbpos += pl;
    p->prev_last = p->docs[k - 1];
    p->have_prev = 1;
    p->have_entry = 0;
    p->next++;
    p->n = k;
    p->i = 0;
    p->pos_ready = 0;
    return 0;
}

static int skip_next(seg_post *p)
{
    if (read_entry(p)) return -1;
    if (p->e_doc_len > (uint64_t)(p->blocks_end - p->nbdoc) || p->e_pos_len > p->t.pos_len - p->nbpos)
        return post_bad(p, p->nbdoc, "skip entry longer than the term's postings");
    p->nbdoc += p->e_doc_len;
    p->nbpos += p->e_pos_len;
    p->prev_last = p->e_last;
    p->have_prev = 1;
    p->have_entry = 0;
    p->next++;
    p->n = p->i = 0;
    return 0;
}

int segr_post_next(seg_post *p)
{
    for (;;) {
        if (p->st) return -1;
        if (p->i < p->n) {
            uint32_t d = p->docs[p->i];
            p->tf = p->tfs[p->i];
            p->i++;
            if (p->live_only && segr_deleted(p->s, d)) continue;
            p->doc = d;
            p->cur = 1;
            return 1;
        }
        p->cur = 0;
        if (p->next >= p->nblocks) return 0;
        if (load_next(p)) return -1;
    }
}

int segr_post_advance(seg_post *p, uint32_t target)
{
    if (p->st) return -1;
    if (p->cur && p->doc >= target) return 1;
    if (p->i < p->n && p->docs[p->n - 1] >= target) {
        while (p->docs[p->i] < target) p->i++;
        return segr_post_next(p);
    }
    p->i = p->n;
    while (p->next + 1 < p->nblocks) {
        if (read_entry(p)) return -1;
        if (p->e_last >= target) break;
        if (skip_next(p)) return -1;
    }
    if (p->next >= p->nblocks) { p->cur = 0; return 0; }
    if (load_next(p)) return -1;
    while (p->i < p->n && p->docs[p->i] < target) p->i++;
    return segr_post_next(p);
}

const uint32_t *segr_post_positions(seg_post *p)
{
    if (p->st || !p->cur) return NULL;
    if (!p->pos_ready) {
        if (!p->pos_checked) {
            pk_status st = ixf_need(p->s->pos, p->pos, (size_t)p->t.pos_len);
            if (st) { p->st = st; return NULL; }
            p->pos_checked = 1;
        }
        uint32_t tot = p->poff[p->n];
        if ((size_t)tot * 2 > p->pcap) {
            size_t nc = p->pcap ? p->pcap : 256;
            while (nc < (size_t)tot * 2) nc *= 2;
            uint32_t *nb = pk_reallocarray(p->pbuf, nc, sizeof *nb);
            if (!nb) { p->st = PK_ENOMEM; msg_set(&p->s->msg, "out of memory"); return NULL; }
            p->pbuf = nb;
            p->pcap = nc;
        }
        const uint8_t *q = p->pos + p->cbpos, *qe = q + p->cbpos_len;
        uint32_t *gaps = p->pbuf + tot;
        if (codec_get_block(&q, qe, p->firsts, p->n) || codec_get_seq(&q, qe, gaps, tot - p->n) || q != qe) {
            bad(p->s, p->s->pos, p->pos + p->cbpos, "positions do not decode");
            p->st = PK_ECORRUPT;
            return NULL;
        }
        for (uint32_t i = 0; i < p->n; i++) {
            uint64_t prev = 0;
            for (uint32_t j = p->poff[i]; j < p->poff[i + 1]; j++) {
                uint64_t v = j == p->poff[i] ? p->firsts[i] : prev + *gaps++ + 1;
                if (v > UINT32_MAX) {
                    bad(p->s, p->s->pos, p->pos + p->cbpos, "position out of range");
                    p->st = PK_ECORRUPT;
                    return NULL;
                }
                p->pbuf[j] = (uint32_t)v;
                prev = v;
            }
        }
        p->pos_ready = 1;
    }
    return p->pbuf + p->poff[p->i - 1];
}

/* ------------------------------------------------------------------------------------------------
 * Deletion files
 * ---------------------------------------------------------------------------------------------- */

pk_status del_write(const char *dir, uint64_t seg, uint64_t gen, const char *identity,
                    const uint8_t *bits, uint32_t ndocs, uint32_t ndeleted, pk_msg *msg)
{
    char *path = seg_del_path(dir, seg, gen);
    if (!path) return PK_ENOMEM;
    ixfw *w;
    pk_status st = ixfw_create(path, IXF_KIND_DEL, seg, identity, msg, &w);
    pk_free(path);
    if (st) return st;
    ixfw_begin(w, SEC_DBIT);
    ixfw_write(w, bits, ((size_t)ndocs + 7) / 8);
    ixfw_end(w);
    uint8_t m[8];
    st_u32le(m, ndocs);
    st_u32le(m + 4, ndeleted);
    ixfw_begin(w, SEC_META);
    ixfw_write(w, m, sizeof m);
    ixfw_end(w);
    return ixfw_finish(w, NULL);
}

/* ------------------------------------------------------------------------------------------------
 * Verification
 * ---------------------------------------------------------------------------------------------- */

static pk_status verify_docs(segr *s, uint32_t *ntok)
{
    seg_info *in = &s->info;
    uint64_t tokens = 0, text = 0, raw = 0;
    int32_t first = PK_NODATE, last = PK_NODATE;
    uint32_t np = in->nperiods;
    uint32_t prev_id = 0;
    /* recount the period table from the documents */
    uint32_t *pd = pk_calloc(np ? np : 1, sizeof *pd);
    uint64_t *pt = pk_calloc(np ? np : 1, sizeof *pt);
    if (!pd || !pt) { pk_free(pd); pk_free(pt); return PK_ENOMEM; }
    pk_status st = PK_OK;
    for (uint32_t d = 0; d < in->ndocs && !st; d++) {
        seg_doc doc;
        if ((st = segr_doc(s, d, &doc))) break;
        const uint8_t *grec = s->dgrp.p + (size_t)(d / SEG_DOC_GROUP) * SEG_DGRP_REC;
        if (doc.path_len == 0) { st = bad(s, s->ix, grec, "document without a path"); break; }
        if (d > 0 && doc.id <= prev_id) { st = bad(s, s->ix, grec, "document ids out of order"); break; }
        prev_id = doc.id;
        ntok[d] = doc.ntokens;
        tokens += doc.ntokens;
        text += doc.text_len;
        raw += doc.raw_len;
        if (doc.date != PK_NODATE) {
            if (first == PK_NODATE || doc.date < first) first = doc.date;
            if (last == PK_NODATE || doc.date > last) last = doc.date;
        }
        int32_t m = seg_month(doc.date);
        uint32_t lo = 0, hi = np;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if ((int32_t)ld_u32le(s->peri.p + (size_t)mid * SEG_PERIOD_REC) < m) lo = mid + 1; else hi = mid;
        }
        if (lo == np || (int32_t)ld_u32le(s->peri.p + (size_t)lo * SEG_PERIOD_REC) != m) {
            st = bad(s, s->ix, grec, "document's month missing from the period table");
            break;
        }
        pd[lo]++;
        pt[lo] += doc.ntokens;
    }
    for (uint32_t i = 0; i < np && !st; i++) {
        const uint8_t *r = s->peri.p + (size_t)i * SEG_PERIOD_REC;
        if (pd[i] != ld_u32le(r + 4) || pt[i] != ld_u64le(r + 8)) st = bad(s, s->ix, r, "period totals disagree with the documents");
    }
    pk_free(pd);
    pk_free(pt);
    if (st) return st;
    if (tokens != in->ntokens || text != in->text_bytes || raw != in->raw_bytes)
        return bad(s, s->ix, s->meta.p + 56, "META totals disagree with the documents");
    if (first != in->first_date || last != in->last_date)
        return bad(s, s->ix, s->meta.p + 88, "META dates disagree with the documents");
    return PK_OK;
}

static pk_status verify_terms(segr *s, const uint32_t *ntok)
{
    seg_info *in = &s->info;
    seg_titer it;
    pk_status st = segr_terms_from(s, NULL, 0, &it);
    if (st) return st;
    uint8_t prev[256];
    uint32_t prev_len = 0;
    uint64_t count = 0, parts = 0, postings = 0, positions = 0, post_run = 0, pos_run = 0;
    seg_post p;
    memset(&p, 0, sizeof p);
    for (;;) {
        int r = segr_terms_next(&it);
        if (r < 0) { st = it.err; break; }
        if (r == 0) break;
        const seg_term *t = &it.t;
        if (count % SEG_DICT_BLOCK == 0) {
            uint32_t b = (uint32_t)(count / SEG_DICT_BLOCK);
            const uint8_t *hp = NULL, *he = NULL;   /* set by dblock_get */
            uint64_t po, qo;
            if ((st = dblock_get(s, b, &hp, &he))) break;
            if (get_varint(&hp, he, &po) || get_varint(&hp, he, &qo) || po != post_run || qo != pos_run) {
                st = bad(s, s->ix, s->dict.p + s->dblk_off[b], "dictionary block offsets disagree with the postings");
                break;
            }
            if (s->dblk_klen[b] != t->key_len || memcmp(s->dblk_key[b], t->key, t->key_len) != 0) {
                st = bad(s, s->ix, s->dblk_key[b], "block index key disagrees with its block");
                break;
            }
        }
        if (count && key_cmp(prev, prev_len, t->key, t->key_len) >= 0) {
            st = bad(s, s->ix, s->dict.p + s->dblk_off[it.blk], "dictionary terms out of order");
            break;
        }
        memcpy(prev, t->key, t->key_len);
        prev_len = t->key_len;
        count++;
        if (t->key[0] == IX_PART_MARK) {
            if (t->key_len < 2) { st = bad(s, s->ix, s->dict.p + s->dblk_off[it.blk], "empty part term"); break; }
            parts++;
        }
        post_run += t->post_len;
        pos_run += t->pos_len;
        if ((st = segr_post_open(s, t, 0, &p))) break;
        uint32_t df = 0;
        uint64_t cf = 0;
        int rr;
        while ((rr = segr_post_next(&p)) == 1) {
            const uint32_t *pos = segr_post_positions(&p);
            if (!pos) { rr = -1; break; }
            if (pos[p.tf - 1] >= ntok[p.doc]) {
                bad(s, s->pos, p.pos + p.cbpos, "position beyond the document's token count");
                p.st = PK_ECORRUPT;
                rr = -1;
                break;
            }
            df++;
            cf += p.tf;
        }
        pk_status pst = p.st;
        segr_post_close(&p);
        if (rr < 0) { st = pst ? pst : PK_ECORRUPT; break; }
        if (df != t->df || cf != t->cf) {
            st = bad(s, s->ix, s->post.p + t->post_off, "postings disagree with the term's counts");
            break;
        }
        postings += df;
        positions += cf;
    }
    if (st) return st;
    if (count != in->nterms || parts != in->nparts || postings != in->npostings || positions != in->npositions)
        return bad(s, s->ix, s->meta.p + 16, "META term counts disagree with the dictionary");
    if (post_run != s->post.n) return bad(s, s->ix, s->post.p + post_run, "postings section longer than its terms");
    if (pos_run != s->posi.n) return bad(s, s->pos, s->posi.p + pos_run, "positions section longer than its terms");
    return PK_OK;
}

static pk_status verify_forms(segr *s)
{
    seg_fiter it;
    pk_status st = segr_forms_from(s, NULL, 0, &it);
    if (st) return st;
    uint8_t prev[256];
    uint32_t prev_len = 0;
    uint64_t count = 0;
    for (;;) {
        int r = segr_forms_next(&it);
        if (r < 0) return it.err;
        if (r == 0) break;
        if (count % SEG_FORM_BLOCK == 0) {
            uint32_t b = (uint32_t)(count / SEG_FORM_BLOCK);
            if (s->fblk_klen[b] != it.f.norm_len || memcmp(s->fblk_key[b], it.f.norm, it.f.norm_len) != 0)
                return bad(s, s->ix, s->fblk_key[b], "forms index key disagrees with its block");
        }
        if (count && key_cmp(prev, prev_len, it.f.norm, it.f.norm_len) >= 0)
            return bad(s, s->ix, s->form.p + s->fblk_off[it.blk], "forms out of order");
        memcpy(prev, it.f.norm, it.f.norm_len);
        prev_len = it.f.norm_len;
        count++;
    }
    if (count != s->info.nforms) return bad(s, s->ix, s->meta.p + 32, "META form count disagrees with the forms");
    return PK_OK;
}

static pk_status verify_stored(segr *s)
{
    for (uint32_t b = 0; b < s->info.nstore_blocks; b++) {
        pk_status st = inflate_block(s, b);
        if (st) return st;
        const uint8_t *r = s->bidx.p + (size_t)b * SEG_BIDX_REC;
        uint32_t first = ld_u32le(r), nd = ld_u32le(r + 4);
        const uint8_t *p = s->cache.p, *e = s->cache.p + s->cache.n;
        for (uint32_t d = first; d < first + nd; d++) {
            uint64_t rn, tn;
            if (get_varint(&p, e, &rn) || rn > (uint64_t)(e - p)) return bad(s, s->sto, s->blks.p + ld_u64le(r + 8), "stored block: bad record length");
            p += rn;
            if (get_varint(&p, e, &tn) || tn > (uint64_t)(e - p)) return bad(s, s->sto, s->blks.p + ld_u64le(r + 8), "stored block: bad text length");
            p += tn;
            seg_doc doc;
            if ((st = segr_doc_fixed(s, d, &doc))) return st;
            if (tn != doc.text_len) return bad(s, s->sto, s->blks.p + ld_u64le(r + 8), "stored text length disagrees with the document table");
        }
        if (p != e) return bad(s, s->sto, s->blks.p + ld_u64le(r + 8), "stored block: trailing bytes");
    }
    return PK_OK;
}

pk_status segr_verify(segr *s)
{
    ixf *fs[4] = {s->ix, s->pos, s->sto, s->del};
    for (int i = 0; i < 4; i++)
        if (fs[i]) {
            pk_status st = ixf_verify_all(fs[i]);
            if (st) return st;
        }
    uint32_t *ntok = pk_calloc(s->info.ndocs, sizeof *ntok);
    if (!ntok) { msg_set(&s->msg, "out of memory"); return PK_ENOMEM; }
    pk_status st = verify_docs(s, ntok);
    if (!st) st = verify_terms(s, ntok);
    pk_free(ntok);
    if (!st) st = verify_forms(s);
    if (!st) st = verify_stored(s);
    if (st == PK_ENOMEM) msg_set(&s->msg, "out of memory");
    return st;
}
