/* ixdoc.c — building an analyzed document: distinct terms with their positions, and word forms. */
#include "ixdoc.h"

#include <stdlib.h>
#include "strtab.h"
#include "util.h"

typedef struct occ { uint32_t term, pos; } occ;
typedef struct formx { uint32_t stem_off, stem_len, flags, lid; } formx;
typedef struct stamp { uint32_t doc, idx; } stamp;   /* a caller's id seen in document doc as idx */

enum { MODE_NONE, MODE_KEYS, MODE_IDS };          /* how a document's terms (forms) are told apart */
enum { ERR_NOMEM = 1, ERR_MIXED = 2 };

struct ixdoc_builder {
    strtab  terms;
    occ    *occ;
    size_t  nocc, capocc;
    strtab  forms;             /* key: the normalised form */
    formx  *fx;
    size_t  capfx;
    pk_buf  stems;
    pk_buf  key;               /* scratch for part keys */
    /* terms and forms added with the caller's ids */
    uint32_t docno;            /* documents begun, + 1 */
    stamp  *tst, *fst;         /* by term lid (sid * 2 + kind), by form lid */
    size_t  ntst, nfst;
    uint32_t *tlid;            /* per term of the document: its lid */
    size_t  captlid;
    int     tmode, fmode;
    int     err;
};

void ixdoc_free(ixdoc *d)
{
    if (!d) return;
    pk_free(d->path);
    pk_free(d->body);
    pk_free(d->text);
    pk_free(d->record);
    pk_free(d->keys);
    pk_free(d->terms);
    pk_free(d->pos);
    pk_free(d->forms);
    pk_free(d);
}

pk_status ixdoc_builder_new(ixdoc_builder **out)
{
    ixdoc_builder *b = pk_calloc(1, sizeof *b);
    *out = b;
    if (!b) return PK_ENOMEM;
    strtab_init(&b->terms);
    strtab_init(&b->forms);
    buf_init(&b->stems);
    buf_init(&b->key);
    return PK_OK;
}

void ixdoc_builder_free(ixdoc_builder *b)
{
    if (!b) return;
    strtab_free(&b->terms);
    strtab_free(&b->forms);
    pk_free(b->occ);
    pk_free(b->fx);
    buf_free(&b->stems);
    buf_free(&b->key);
    pk_free(b->tst);
    pk_free(b->fst);
    pk_free(b->tlid);
    pk_free(b);
}

void ixdoc_begin(ixdoc_builder *b)
{
    strtab_reset(&b->terms);
    strtab_reset(&b->forms);
    b->nocc = 0;
    b->stems.n = 0;
    b->stems.err = 0;
    b->err = 0;
    b->tmode = b->fmode = MODE_NONE;
    if (++b->docno == 0) {   /* wrapped: forget every stamp */
        if (b->tst) memset(b->tst, 0, b->ntst * sizeof *b->tst);
        if (b->fst) memset(b->fst, 0, b->nfst * sizeof *b->fst);
        b->docno = 1;
    }
}

/* The stamp of id in a table that grows on demand; NULL when memory ran out. */
static stamp *stamp_of(stamp **t, size_t *n, uint32_t id)
{
    if (id >= *n) {
        if (id >= (1u << 28)) return NULL;
        size_t nc = *n ? *n : 4096;
        while (nc <= id) nc *= 2;
        stamp *s = pk_reallocarray(*t, nc, sizeof *s);
        if (!s) return NULL;
        memset(s + *n, 0, (nc - *n) * sizeof *s);
        *t = s;
        *n = nc;
    }
    return &(*t)[id];
}

static int set_mode(ixdoc_builder *b, int *mode, int want)
{
    if (*mode != want && *mode != MODE_NONE) { b->err = ERR_MIXED; return -1; }
    *mode = want;
    return 0;
}

static void add_occ(ixdoc_builder *b, uint32_t id, uint32_t pos)
{
    if (b->nocc == b->capocc) {
        size_t nc = b->capocc ? b->capocc * 2 : 1024;
        occ *o = pk_reallocarray(b->occ, nc, sizeof *o);
        if (!o) { b->err = ERR_NOMEM; return; }
        b->occ = o;
        b->capocc = nc;
    }
    b->occ[b->nocc].term = id;
    b->occ[b->nocc].pos = pos;
    b->nocc++;
}

uint32_t ixdoc_term_id(ixdoc_builder *b, int kind, const char *s, size_t n, uint32_t pos)
{
    if (b->err || n == 0 || set_mode(b, &b->tmode, MODE_KEYS)) return IXDOC_NONE;
    const void *key = s;
    size_t kn = n;
    if (kind == IX_PART) {
        if (n + 1 > IX_MAX_KEY) return IXDOC_NONE;
        b->key.n = 0;
        buf_putc(&b->key, IX_PART_MARK);
        buf_put(&b->key, s, n);
        if (b->key.err) { b->err = ERR_NOMEM; return IXDOC_NONE; }
        key = b->key.p;
        kn = n + 1;
    } else if (n > IX_MAX_KEY || (uint8_t)s[0] < 0x20) {
        return IXDOC_NONE;
    }
    uint32_t id;
    if (strtab_intern(&b->terms, key, kn, &id) < 0) { b->err = ERR_NOMEM; return IXDOC_NONE; }
    add_occ(b, id, pos);
    return id;
}

uint32_t ixdoc_term_sid(ixdoc_builder *b, int kind, const char *s, size_t n, uint32_t sid, uint32_t pos)
{
    if (b->err || n == 0 || set_mode(b, &b->tmode, MODE_IDS)) return IXDOC_NONE;
    if (kind == IX_PART ? n + 1 > IX_MAX_KEY : (n > IX_MAX_KEY || (uint8_t)s[0] < 0x20)) return IXDOC_NONE;
    stamp *st = sid < (1u << 27) ? stamp_of(&b->tst, &b->ntst, sid * 2 + (kind == IX_PART)) : NULL;
    if (!st) { b->err = ERR_NOMEM; return IXDOC_NONE; }
    if (st->doc == b->docno) {
        add_occ(b, st->idx, pos);
        return st->idx;
    }
    uint32_t id;
    int r;
    if (kind == IX_PART) {
        uint8_t k[IX_MAX_KEY + 1];
        k[0] = IX_PART_MARK;
        memcpy(k + 1, s, n);
        r = strtab_append(&b->terms, k, n + 1, 0, &id);
    } else {
        r = strtab_append(&b->terms, s, n, 0, &id);
    }
    if (r < 0) { b->err = ERR_NOMEM; return IXDOC_NONE; }
    if (id >= b->captlid) {
        size_t nc = b->captlid ? b->captlid * 2 : 1024;
        uint32_t *t = pk_reallocarray(b->tlid, nc, sizeof *t);
        if (!t) { b->err = ERR_NOMEM; return IXDOC_NONE; }
        b->tlid = t;
        b->captlid = nc;
    }
    b->tlid[id] = sid * 2 + (kind == IX_PART);
    st->doc = b->docno;
    st->idx = id;
    add_occ(b, id, pos);
    return id;
}

void ixdoc_term(ixdoc_builder *b, int kind, const char *s, size_t n, uint32_t pos)
{
    ixdoc_term_id(b, kind, s, n, pos);
}

void ixdoc_term_again(ixdoc_builder *b, uint32_t id, uint32_t pos)
{
    if (b->err || id == IXDOC_NONE || id >= b->terms.n) return;
    add_occ(b, id, pos);
}

/* A new form of the document with id `id`: its stem and flags. */
static void form_new(ixdoc_builder *b, uint32_t id, const char *stem, size_t sn, uint32_t flags, uint32_t lid)
{
    if (id >= b->capfx) {
        size_t nc = b->capfx ? b->capfx * 2 : 256;
        formx *f = pk_reallocarray(b->fx, nc, sizeof *f);
        if (!f) { b->err = ERR_NOMEM; return; }
        b->fx = f;
        b->capfx = nc;
    }
    b->fx[id].stem_off = (uint32_t)b->stems.n;
    b->fx[id].stem_len = (uint32_t)sn;
    b->fx[id].flags = flags;
    b->fx[id].lid = lid;
    buf_put(&b->stems, stem, sn);
    if (b->stems.err) b->err = ERR_NOMEM;
}

void ixdoc_form(ixdoc_builder *b, const char *norm, size_t nn, const char *stem, size_t sn,
                uint32_t flags)
{
    if (b->err || nn == 0 || nn > IX_MAX_KEY || sn > IX_MAX_KEY || set_mode(b, &b->fmode, MODE_KEYS)) return;
    uint32_t id;
    int r = strtab_intern(&b->forms, norm, nn, &id);
    if (r < 0) { b->err = ERR_NOMEM; return; }
    if (r == 0) { b->fx[id].flags |= flags; return; }
    form_new(b, id, stem, sn, flags, IXDOC_NONE);
}

void ixdoc_form_id(ixdoc_builder *b, const char *norm, size_t nn, const char *stem, size_t sn,
                   uint32_t flags, uint32_t nid)
{
    if (b->err || nn == 0 || nn > IX_MAX_KEY || sn > IX_MAX_KEY || set_mode(b, &b->fmode, MODE_IDS)) return;
    stamp *st = stamp_of(&b->fst, &b->nfst, nid);
    if (!st) { b->err = ERR_NOMEM; return; }
    if (st->doc == b->docno) { b->fx[st->idx].flags |= flags; return; }
    uint32_t id;
    if (strtab_append(&b->forms, norm, nn, 0, &id) < 0) { b->err = ERR_NOMEM; return; }
    form_new(b, id, stem, sn, flags, nid);
    st->doc = b->docno;
    st->idx = id;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

pk_status ixdoc_finish(ixdoc_builder *b, ixdoc *d)
{
    pk_status st = b->err == ERR_MIXED ? PK_EINVAL : PK_ENOMEM;
    size_t nt = b->terms.n, nf = b->forms.n;
    size_t tk = b->terms.arena.n, fk = b->forms.arena.n, sk = b->stems.n, klen;
    ixterm *terms = NULL;
    uint32_t *pos = NULL;
    ixform *forms = NULL;
    uint8_t *keys = NULL;
    if (b->err || b->nocc > UINT32_MAX || !pk_add_ok(tk, fk, &klen) || !pk_add_ok(klen, sk, &klen))
        goto done;
    terms = pk_calloc(nt ? nt : 1, sizeof *terms);
    pos = pk_malloc((b->nocc ? b->nocc : 1) * sizeof *pos);
    forms = pk_calloc(nf ? nf : 1, sizeof *forms);
    keys = pk_malloc(klen ? klen : 1);
    if (!terms || !pos || !forms || !keys) goto done;

    /* positions grouped by term, in the order given */
    for (size_t i = 0; i < b->nocc; i++) terms[b->occ[i].term].npos++;
    uint32_t off = 0;
    for (size_t t = 0; t < nt; t++) {
        terms[t].pos_off = off;
        off += terms[t].npos;
        terms[t].npos = 0;
    }
    for (size_t i = 0; i < b->nocc; i++) {
        ixterm *t = &terms[b->occ[i].term];
        pos[t->pos_off + t->npos++] = b->occ[i].pos;
    }
    /* sort where needed, drop repeats, close the gaps */
    uint32_t w = 0;
    for (size_t t = 0; t < nt; t++) {
        uint32_t *p = pos + terms[t].pos_off, n = terms[t].npos;
        int sorted = 1;
        for (uint32_t i = 1; i < n && sorted; i++) sorted = p[i - 1] <= p[i];
        if (!sorted) qsort(p, n, sizeof *p, cmp_u32);
        uint32_t start = w;
        for (uint32_t i = 0; i < n; i++)
            if (i == 0 || p[i] != p[i - 1]) pos[w++] = p[i];
        terms[t].pos_off = start;
        terms[t].npos = w - start;
        terms[t].key_off = b->terms.ent[t].off;
        terms[t].key_len = b->terms.ent[t].len;
        terms[t].hash = b->terms.ent[t].hash;
        terms[t].lid = b->tmode == MODE_IDS ? b->tlid[t] : IXDOC_NONE;
    }
    if (tk) memcpy(keys, b->terms.arena.p, tk);
    if (fk) memcpy(keys + tk, b->forms.arena.p, fk);
    if (sk) memcpy(keys + tk + fk, b->stems.p, sk);
    for (size_t f = 0; f < nf; f++) {
        forms[f].norm_off = (uint32_t)(tk + b->forms.ent[f].off);
        forms[f].norm_len = b->forms.ent[f].len;
        forms[f].stem_off = (uint32_t)(tk + fk + b->fx[f].stem_off);
        forms[f].stem_len = b->fx[f].stem_len;
        forms[f].flags = b->fx[f].flags;
        forms[f].hash = b->forms.ent[f].hash;
        forms[f].lid = b->fmode == MODE_IDS ? b->fx[f].lid : IXDOC_NONE;
    }
    if (klen > UINT32_MAX) goto done;
    d->keys = keys;     d->keys_len = klen;
    d->terms = terms;   d->nterms = (uint32_t)nt;
    d->pos = pos;       d->npos = w;
    d->forms = forms;   d->nforms = (uint32_t)nf;
    keys = NULL; terms = NULL; pos = NULL; forms = NULL;
    st = PK_OK;
done:
    pk_free(terms);
    pk_free(pos);
    pk_free(forms);
    pk_free(keys);
    ixdoc_begin(b);
    return st;
}
