/* analyzer.c — Swedish analysis: tokens, casefolding, stopwords, Snowball stems and compound parts,
 * memoised per form.
 *
 * Two caches make the hot path cheap.  The surface table maps the exact bytes of a token (and its
 * kind) to a form; the form table maps a normalised form to its stem, stopword flag and compound
 * parts.  A token whose surface was seen before costs one hash and one probe; a new surface is
 * casefolded once; a new form is stemmed and split once.  All strings live in an arena of
 * chunks that never move, so tokens can borrow them until the analyzer is freed or reset. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "analyzer_ids.h"
#include "compound.h"
#include "data.h"
#include "json.h"
#include "protokoll.h"
#include "stem.h"
#include "strtab.h"
#include "tokenizer.h"
#include "util.h"

#define TOK_RULES   1            /* version of the tokenizer rules, part of the identity */
#define SPLIT_RULES 1            /* version of the splitter, part of the identity */
#define SURF_MAX    (3 * PK_MAX_TOKEN)   /* longer surfaces are not cached (their norm is capped) */
#define CHUNK_SIZE  (64 * 1024)

typedef struct chunk {
    struct chunk *next;
    size_t        used, cap;
    uint8_t       data[];
} chunk;

typedef struct form {
    const char    *norm, *stem;
    uint32_t       norm_len, stem_len;
    const pk_part *parts;
    uint32_t       nparts;
    uint32_t       flags;        /* kind, PK_TOK_STOP, PK_TOK_CAPPED */
    uint32_t       stem_id, norm_id;   /* analyzer_ids */
    const uint32_t *part_ids;    /* nparts stem ids, then nparts norm ids */
    uint64_t       hash;
} form;

/* A slot of the surface table: one half cache line, with short keys inline so that a lookup
 * touches one line.  Keys longer than SURF_INLINE bytes live in the arena. */
#define SURF_INLINE 22
typedef struct surf {
    uint32_t hash;               /* 0: empty slot */
    uint32_t form;
    uint8_t  len;                /* bytes of the key (SURF_MAX fits) */
    uint8_t  kind;
    union {
        uint8_t        in[SURF_INLINE];
        const uint8_t *ptr;
    } key;
} surf;

typedef struct strset {
    pk_buf    text;              /* words separated by NUL */
    uint32_t *slot;              /* offset + 1 */
    size_t    cap, n;
} strset;

struct pk_analyzer {
    pk_msg    msg;
    lexicon  *lx;                /* NULL without compounds */
    stemmer  *st;
    strset    stop;
    chunk    *arena;
    surf     *surf;
    size_t    scap, sn;
    uint32_t *fslot;             /* form index + 1 */
    size_t    fcap;
    form     *forms;
    size_t    nforms, capforms;
    strtab    stem_ids, norm_ids;  /* analyzer_ids */
    char      identity[200];
};

/* ---- hashing ---- */

static inline uint64_t mix(uint64_t h)
{
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    h ^= h >> 32;
    return h;
}

/* A fast hash of short keys; never 0 in its low 32 bits. */
static inline uint64_t key_hash(const uint8_t *p, size_t n, uint32_t kind)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)n << 8) ^ kind;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ v) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    uint64_t v = 0;
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + n - 4, 4);
        v = (uint64_t)lo | (uint64_t)hi << 32;
    } else if (n > 0) {
        v = (uint64_t)p[0] | (uint64_t)p[n / 2] << 8 | (uint64_t)p[n - 1] << 16;
    }
    h = mix((h ^ v) * 0x94d049bb133111ebULL);
    return (uint32_t)h ? h : h | 1;
}

/* ---- arena ---- */

static void *arena_alloc(pk_analyzer *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    chunk *c = a->arena;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK_SIZE / 4 ? n : CHUNK_SIZE;
        size_t total;
        if (!pk_add_ok(sizeof *c, cap, &total)) return NULL;
        chunk *nc = pk_malloc(total);
        if (!nc) return NULL;
        nc->used = 0;
        nc->cap = cap;
        if (c && n > CHUNK_SIZE / 4) {   /* a big block: keep filling the current chunk */
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            a->arena = nc;
        }
        c = nc;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

static char *arena_str(pk_analyzer *a, const uint8_t *p, size_t n)
{
    char *s = arena_alloc(a, n + 1);
    if (!s) return NULL;
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

static void arena_free(pk_analyzer *a)
{
    chunk *c = a->arena;
    while (c) {
        chunk *next = c->next;
        pk_free(c);
        c = next;
    }
    a->arena = NULL;
}

/* ---- a small set of strings (stopwords) ---- */

static int strset_has(const strset *s, const uint8_t *w, size_t n)
{
    if (!s->cap) return 0;
    uint64_t h = key_hash(w, n, 0);
    size_t i = h & (s->cap - 1);
    while (s->slot[i]) {
        const char *k = (const char *)s->text.p + s->slot[i] - 1;
        if (strlen(k) == n && memcmp(k, w, n) == 0) return 1;
        i = (i + 1) & (s->cap - 1);
    }
    return 0;
}

static int strset_add(strset *s, const uint8_t *w, size_t n)
{
    if (strset_has(s, w, n)) return 0;
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        uint32_t *slot = pk_calloc(cap, sizeof *slot);
        if (!slot) return -1;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slot[i]) continue;
            const char *k = (const char *)s->text.p + s->slot[i] - 1;
            size_t j = key_hash((const uint8_t *)k, strlen(k), 0) & (cap - 1);
            while (slot[j]) j = (j + 1) & (cap - 1);
            slot[j] = s->slot[i];
        }
        pk_free(s->slot);
        s->slot = slot;
        s->cap = cap;
    }
    if (s->text.n >= UINT32_MAX - n - 2) return -1;
    uint32_t off = (uint32_t)s->text.n;
    buf_put(&s->text, w, n);
    buf_putc(&s->text, 0);
    if (s->text.err) return -1;
    size_t j = key_hash(w, n, 0) & (s->cap - 1);
    while (s->slot[j]) j = (j + 1) & (s->cap - 1);
    s->slot[j] = off + 1;
    s->n++;
    return 0;
}

static void strset_free(strset *s)
{
    buf_free(&s->text);
    pk_free(s->slot);
    memset(s, 0, sizeof *s);
}

/* Read a stopword list: one word a line, "#" comments.  Returns the hash of the normalised list. */
static int load_stopwords(strset *s, const char *text, size_t n, uint64_t *hash)
{
    uint64_t h = 0x73746f70ULL;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && text[j] != '\n') j++;
        size_t e = j;
        const char *hashc = memchr(text + i, '#', e - i);
        if (hashc) e = (size_t)(hashc - text);
        size_t b = i;
        while (b < e && is_ascii_space((unsigned char)text[b])) b++;
        while (e > b && is_ascii_space((unsigned char)text[e - 1])) e--;
        if (e > b) {
            uint8_t w[PK_MAX_TOKEN];
            int trunc;
            size_t wl = tok_fold((const uint8_t *)text + b, e - b, w, sizeof w, &trunc);
            if (wl && !trunc && !strset_has(s, w, wl)) {
                if (strset_add(s, w, wl)) return -1;
                h = util_hash64(w, wl, h);
                h = util_hash64("\n", 1, h);
            }
        }
        i = j + 1;
    }
    *hash = h;
    return 0;
}

/* ---- forms ---- */

static int tables_init(pk_analyzer *a)
{
    a->scap = 1u << 12;
    a->surf = pk_calloc(a->scap, sizeof *a->surf);
    a->fcap = 1u << 12;
    a->fslot = pk_calloc(a->fcap, sizeof *a->fslot);
    a->capforms = 1u << 11;
    a->forms = pk_calloc(a->capforms, sizeof *a->forms);
    a->sn = a->nforms = 0;
    strtab_init(&a->stem_ids);
    strtab_init(&a->norm_ids);
    if (!a->surf || !a->fslot || !a->forms) return -1;
    return 0;
}

static void tables_free(pk_analyzer *a)
{
    pk_free(a->surf);
    pk_free(a->fslot);
    pk_free(a->forms);
    a->surf = NULL;
    a->fslot = NULL;
    a->forms = NULL;
    a->scap = a->fcap = a->capforms = a->sn = a->nforms = 0;
    strtab_free(&a->stem_ids);
    strtab_free(&a->norm_ids);
    arena_free(a);
}

static int letters_only(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z'))) return 0;
            i++;
            continue;
        }
        uint32_t cp;
        int l = tok_utf8_decode(p + i, n - i, &cp);
        if (!l || !tok_is_letter(cp)) return 0;
        i += (size_t)l;
    }
    return 1;
}

/* Stem and split a new word form into f (strings in the arena). */
static int fill_word(pk_analyzer *a, form *f, const uint8_t *norm, size_t nl)
{
    const uint8_t *s;
    size_t sl = stem_word(a->st, norm, nl, &s);
    f->stem = arena_str(a, s, sl);
    if (!f->stem) return -1;
    f->stem_len = (uint32_t)sl;
    f->parts = NULL;
    f->nparts = 0;
    if (!a->lx || (f->flags & (PK_TOK_STOP | PK_TOK_CAPPED)) || !letters_only(norm, nl)) return 0;
    cpd_part cp[PK_MAX_PARTS];
    int k = compound_split(a->lx, norm, nl, cp, PK_MAX_PARTS);
    if (k < 2) return 0;
    pk_part *parts = arena_alloc(a, sizeof *parts * (size_t)k);
    if (!parts) return -1;
    for (int i = 0; i < k; i++) {
        const uint8_t *pt = f->norm ? (const uint8_t *)f->norm + cp[i].start : norm + cp[i].start;
        parts[i].text = arena_str(a, pt, cp[i].len);
        if (!parts[i].text) return -1;
        parts[i].text_len = cp[i].len;
        sl = stem_word(a->st, pt, cp[i].len, &s);
        parts[i].stem = arena_str(a, s, sl);
        if (!parts[i].stem) return -1;
        parts[i].stem_len = (uint32_t)sl;
    }
    uint32_t *ids = arena_alloc(a, sizeof *ids * 2 * (size_t)k);
    if (!ids) return -1;
    for (int i = 0; i < k; i++) {
        if (strtab_intern(&a->stem_ids, parts[i].stem, parts[i].stem_len, &ids[i]) < 0 ||
            strtab_intern(&a->norm_ids, parts[i].text, parts[i].text_len, &ids[k + i]) < 0)
            return -1;
    }
    f->parts = parts;
    f->part_ids = ids;
    f->nparts = (uint32_t)k;
    return 0;
}

static int forms_grow(pk_analyzer *a)
{
    size_t cap = a->fcap * 2;
    uint32_t *slot = pk_calloc(cap, sizeof *slot);
    if (!slot) return -1;
    for (size_t i = 0; i < a->nforms; i++) {
        size_t j = a->forms[i].hash & (cap - 1);
        while (slot[j]) j = (j + 1) & (cap - 1);
        slot[j] = (uint32_t)i + 1;
    }
    pk_free(a->fslot);
    a->fslot = slot;
    a->fcap = cap;
    return 0;
}

/* Find or make the form of (kind, norm); returns its id or -1 when out of memory. */
static long form_get(pk_analyzer *a, uint32_t kind, const uint8_t *norm, size_t nl, int capped)
{
    uint64_t h = key_hash(norm, nl, kind | 0x100u);
    size_t mask = a->fcap - 1, j = h & mask;
    while (a->fslot[j]) {
        const form *f = &a->forms[a->fslot[j] - 1];
        if (f->hash == h && f->norm_len == nl && (f->flags & PK_TOK_KINDS) == kind &&
            memcmp(f->norm, norm, nl) == 0)
            return (long)a->fslot[j] - 1;
        j = (j + 1) & mask;
    }
    if (a->nforms >= UINT32_MAX - 1) return -1;
    if ((a->nforms + 1) * 2 > a->fcap) {
        if (forms_grow(a)) return -1;
        mask = a->fcap - 1;
        j = h & mask;
        while (a->fslot[j]) j = (j + 1) & mask;
    }
    if (a->nforms == a->capforms) {
        form *nf = pk_reallocarray(a->forms, a->capforms * 2, sizeof *nf);
        if (!nf) return -1;
        a->forms = nf;
        a->capforms *= 2;
    }
    form f;
    memset(&f, 0, sizeof f);
    f.hash = h;
    f.flags = kind | (capped ? PK_TOK_CAPPED : 0);
    f.norm = arena_str(a, norm, nl);
    if (!f.norm) return -1;
    f.norm_len = (uint32_t)nl;
    f.norm_id = UINT32_MAX;
    if (kind == PK_TOK_WORD) {
        if (!capped && strset_has(&a->stop, norm, nl)) f.flags |= PK_TOK_STOP;
        if (fill_word(a, &f, (const uint8_t *)f.norm, nl)) return -1;
        if (strtab_intern(&a->norm_ids, f.norm, nl, &f.norm_id) < 0) return -1;
    } else {
        f.stem = f.norm;
        f.stem_len = f.norm_len;
    }
    if (strtab_intern(&a->stem_ids, f.stem, f.stem_len, &f.stem_id) < 0) return -1;
    a->forms[a->nforms] = f;
    a->fslot[j] = (uint32_t)++a->nforms;
    return (long)a->nforms - 1;
}

static int surf_grow(pk_analyzer *a)
{
    size_t cap = a->scap * 2;
    surf *t = pk_calloc(cap, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < a->scap; i++) {
        if (!a->surf[i].hash) continue;
        size_t j = a->surf[i].hash & (cap - 1);
        while (t[j].hash) j = (j + 1) & (cap - 1);
        t[j] = a->surf[i];
    }
    pk_free(a->surf);
    a->surf = t;
    a->scap = cap;
    return 0;
}

/* a[0..n) == b[0..n) for short keys, without a call; reads stay inside both. */
static inline int key_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
    if (n >= 8) {
        while (n > 8) {
            uint64_t x, y;
            memcpy(&x, a, 8);
            memcpy(&y, b, 8);
            if (x != y) return 0;
            a += 8;
            b += 8;
            n -= 8;
        }
        uint64_t x, y;
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t x, y, x2, y2;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        memcpy(&x2, a + n - 4, 4);
        memcpy(&y2, b + n - 4, 4);
        return x == y && x2 == y2;
    }
    for (size_t i = 0; i < n; i++) if (a[i] != b[i]) return 0;
    return 1;
}

static inline const uint8_t *surf_key(const surf *s)
{
    return s->len <= SURF_INLINE ? s->key.in : s->key.ptr;
}

/* The surface hash of a span, and a prefetch of its slot (the lookup comes a token later). */
static inline uint32_t span_hash(const pk_analyzer *a, uint32_t kind, const uint8_t *p, size_t n)
{
    if (n > SURF_MAX) return 0;
    uint32_t h = (uint32_t)key_hash(p, n, kind);
    __builtin_prefetch(&a->surf[h & (a->scap - 1)]);
    return h;
}

/* The form of a token span with surface hash h (span_hash): cached by surface bytes; -1 when
 * out of memory. */
static long form_of_span_h(pk_analyzer *a, uint32_t kind, const uint8_t *p, size_t n, uint32_t h)
{
    uint8_t norm[PK_MAX_TOKEN];
    int trunc;
    if (n > SURF_MAX) {
        size_t nl = tok_norm(kind, p, n, norm, sizeof norm, &trunc);
        return form_get(a, kind, norm, nl, trunc);
    }
    size_t mask = a->scap - 1, j = h & mask;
    for (;;) {
        const surf *s = &a->surf[j];
        if (!s->hash) break;
        if (s->hash == h && s->len == n && s->kind == kind && key_eq(surf_key(s), p, n))
            return s->form;
        j = (j + 1) & mask;
    }
    size_t nl = tok_norm(kind, p, n, norm, sizeof norm, &trunc);
    long fid = form_get(a, kind, norm, nl, trunc);
    if (fid < 0) return -1;
    /* the table stays at most 3/4 full */
    if ((a->sn + 1) * 4 > a->scap * 3) {
        if (surf_grow(a)) return -1;
        mask = a->scap - 1;
        j = h & mask;
        while (a->surf[j].hash) j = (j + 1) & mask;
    }
    surf *s = &a->surf[j];
    memset(s, 0, sizeof *s);
    if (n <= SURF_INLINE) {
        memcpy(s->key.in, p, n);
    } else {
        /* a long surface usually equals its norm: share the bytes */
        const form *f = &a->forms[fid];
        if (f->norm_len == n && memcmp(f->norm, p, n) == 0) s->key.ptr = (const uint8_t *)f->norm;
        else if (!(s->key.ptr = (const uint8_t *)arena_str(a, p, n))) return -1;
    }
    s->hash = h;
    s->form = (uint32_t)fid;
    s->len = (uint8_t)n;
    s->kind = (uint8_t)kind;
    a->sn++;
    return fid;
}

static long form_of_span(pk_analyzer *a, uint32_t kind, const uint8_t *p, size_t n)
{
    return form_of_span_h(a, kind, p, n, (uint32_t)key_hash(p, n, kind));
}

static void fill_token(const pk_analyzer *a, uint32_t fid, pk_token *t)
{
    const form *f = &a->forms[fid];
    t->flags = f->flags;
    t->form_id = fid;
    t->norm = f->norm;
    t->norm_len = f->norm_len;
    t->stem = f->stem;
    t->stem_len = f->stem_len;
    t->nparts = f->nparts;
    t->parts = f->parts;
}

/* ---- public API ---- */

pk_status pk_analyzer_create(const pk_analyzer_opts *opts, pk_analyzer **out, char **err)
{
    static const pk_analyzer_opts none;
    if (err) *err = NULL;
    if (!out) return PK_EINVAL;
    *out = NULL;
    if (!opts) opts = &none;
    pk_analyzer *a = pk_calloc(1, sizeof *a);
    if (!a) return PK_ENOMEM;
    buf_init(&a->stop.text);
    pk_status st = PK_ENOMEM;
    uint64_t stop_hash = 0;
    if (opts->stopwords_path) {
        uint8_t *t = NULL;
        size_t n = 0;
        char *e = NULL;
        st = util_read_file(opts->stopwords_path, &t, &n, &e);
        if (st != PK_OK) {
            if (err) *err = pk_sprintf("stopwords: %s", e ? e : opts->stopwords_path);
            pk_free(e);
            goto fail;
        }
        int rc = load_stopwords(&a->stop, (const char *)t, n, &stop_hash);
        pk_free(t);
        if (rc) { st = PK_ENOMEM; goto fail; }
    } else if (load_stopwords(&a->stop, data_stopwords_sv, strlen(data_stopwords_sv), &stop_hash)) {
        st = PK_ENOMEM;
        goto fail;
    }
    a->st = stem_new();
    if (!a->st) {
        st = PK_ENOMEM;
        if (err) *err = pk_strdup("stemmer: libstemmer has no Swedish UTF-8 stemmer");
        goto fail;
    }
    if (!opts->no_compounds) {
        char *e = NULL;
        st = lexicon_acquire(opts->lexicon_path, &a->lx, &e);
        if (st != PK_OK) {
            if (err) *err = pk_sprintf("compound lexicon: %s", e ? e : pk_strerror(st));
            pk_free(e);
            goto fail;
        }
    }
    if (tables_init(a)) { st = PK_ENOMEM; goto fail; }
    if (a->lx)
        snprintf(a->identity, sizeof a->identity, "%s tok:%d stop:%08x lex:%08x split:%d",
                 stem_version(), TOK_RULES, (unsigned)(stop_hash ^ (stop_hash >> 32)),
                 (unsigned)lexicon_hash32(a->lx), SPLIT_RULES);
    else
        snprintf(a->identity, sizeof a->identity, "%s tok:%d stop:%08x lex:- split:0",
                 stem_version(), TOK_RULES, (unsigned)(stop_hash ^ (stop_hash >> 32)));
    *out = a;
    return PK_OK;
fail:
    if (err && !*err) *err = pk_sprintf("analyzer: %s", pk_strerror(st));
    pk_analyzer_free(a);
    return st;
}

pk_status pk_analyzer_new(const pk_analyzer_opts *opts, pk_analyzer **out)
{
    return pk_analyzer_create(opts, out, NULL);
}

void pk_analyzer_free(pk_analyzer *a)
{
    if (!a) return;
    tables_free(a);
    strset_free(&a->stop);
    stem_free(a->st);
    lexicon_release(a->lx);
    pk_free(a);
}

const char *pk_analyzer_errmsg(const pk_analyzer *a) { return a ? a->msg.text : ""; }
const char *pk_analyzer_identity(const pk_analyzer *a) { return a ? a->identity : ""; }
size_t pk_analyzer_forms(const pk_analyzer *a) { return a ? a->nforms : 0; }

int analyzer_form_ids(const pk_analyzer *a, uint32_t form_id, analyzer_ids *out)
{
    if (!a || form_id >= a->nforms) return -1;
    const form *f = &a->forms[form_id];
    out->stem = f->stem_id;
    out->norm = f->norm_id;
    out->part_stem = f->part_ids;
    out->part_norm = f->part_ids ? f->part_ids + f->nparts : NULL;
    return 0;
}

void pk_analyzer_reset(pk_analyzer *a)
{
    if (!a) return;
    tables_free(a);
    if (tables_init(a)) tables_free(a);   /* the next analysis reports PK_ENOMEM */
}

static pk_status ready(pk_analyzer *a)
{
    if (a->surf) return PK_OK;
    if (tables_init(a)) {
        tables_free(a);
        msg_set(&a->msg, "analyzer: out of memory for the form cache");
        return PK_ENOMEM;
    }
    return PK_OK;
}

pk_status pk_analyze(pk_analyzer *a, const char *text, size_t len, pk_token_fn cb, void *ud)
{
    if (!a || (!text && len) || !cb) return PK_EINVAL;
    if (len >= UINT32_MAX) {
        msg_set(&a->msg, "analyzer: text of %zu bytes exceeds the 4 GiB limit", len);
        return PK_ELIMIT;
    }
    pk_status st = ready(a);
    if (st != PK_OK) return st;
    msg_clear(&a->msg);
    /* A pipeline of three tokens hides the memory latency of the two cache tables: token k+2 is
     * scanned and its surface slot prefetched, token k+1 is looked up and its form prefetched,
     * and token k is handed to the callback. */
    const uint8_t *p = (const uint8_t *)text;
    tok_state ts;
    tok_span next, ready, cur;
    uint32_t next_h = 0;
    long ready_fid = -1, cur_fid = -1;
    int have_next, have_ready, have_cur = 0;
    pk_token t;
    uint32_t pos = 0;
    tok_init(&ts, text, len);
    have_next = tok_next(&ts, &next);
    if (have_next) next_h = span_hash(a, next.kind, p + next.start, next.end - next.start);
    for (;;) {
        have_ready = 0;
        if (have_next) {
            ready = next;
            ready_fid = form_of_span_h(a, ready.kind, p + ready.start, ready.end - ready.start, next_h);
            if (ready_fid < 0) {
                msg_set(&a->msg, "analyzer: out of memory at byte %zu (%zu forms cached)", ready.start, a->nforms);
                return PK_ENOMEM;
            }
            __builtin_prefetch(&a->forms[ready_fid]);
            have_ready = 1;
            have_next = tok_next(&ts, &next);
            if (have_next) next_h = span_hash(a, next.kind, p + next.start, next.end - next.start);
        }
        if (have_cur) {
            fill_token(a, (uint32_t)cur_fid, &t);
            t.start = (uint32_t)cur.start;
            t.end = (uint32_t)cur.end;
            t.pos = pos++;
            if (cb(ud, &t)) break;
        }
        if (!have_ready) break;
        cur = ready;
        cur_fid = ready_fid;
        have_cur = 1;
    }
    return PK_OK;
}

pk_status pk_analyze_word(pk_analyzer *a, const char *w, size_t n, pk_token *tok)
{
    if (!a || (!w && n) || !tok) return PK_EINVAL;
    if (n >= UINT32_MAX) return PK_ELIMIT;
    pk_status st = ready(a);
    if (st != PK_OK) return st;
    tok_state ts;
    tok_span sp;
    tok_init(&ts, w, n);
    long fid;
    if (tok_next(&ts, &sp) && sp.start == 0 && sp.end == n) {
        fid = form_of_span(a, sp.kind, (const uint8_t *)w, n);
    } else {
        uint8_t norm[PK_MAX_TOKEN];
        int trunc;
        size_t nl = tok_fold((const uint8_t *)w, n, norm, sizeof norm, &trunc);
        fid = form_get(a, PK_TOK_WORD, norm, nl, trunc);
    }
    if (fid < 0) {
        msg_set(&a->msg, "analyzer: out of memory");
        return PK_ENOMEM;
    }
    fill_token(a, (uint32_t)fid, tok);
    tok->start = 0;
    tok->end = (uint32_t)n;
    tok->pos = 0;
    return PK_OK;
}

static const char *kind_name(uint32_t flags)
{
    switch (flags & PK_TOK_KINDS) {
    case PK_TOK_WORD:    return "word";
    case PK_TOK_NUMBER:  return "number";
    case PK_TOK_DATE:    return "date";
    case PK_TOK_TIME:    return "time";
    case PK_TOK_SECTION: return "section";
    default:             return "other";
    }
}

typedef struct json_ctx {
    const char *text;
    json_t     *tokens;
    int         failed;
} json_ctx;

static int json_token(void *ud, const pk_token *t)
{
    json_ctx *c = ud;
    json_t *o = json_object();
    json_t *parts = json_array(), *stems = json_array();
    int bad = !o || !parts || !stems;
    if (!bad) {
        bad |= json_set_strn(o, "text", c->text + t->start, t->end - t->start);
        bad |= json_set_int(o, "start", t->start);
        bad |= json_set_int(o, "end", t->end);
        bad |= json_set_int(o, "pos", t->pos);
        bad |= json_set_str(o, "type", kind_name(t->flags));
        bad |= json_set_strn(o, "norm", t->norm, t->norm_len);
        bad |= json_set_strn(o, "stem", t->stem, t->stem_len);
        bad |= json_object_set_new(o, "stopword", json_boolean(t->flags & PK_TOK_STOP));
        if (t->flags & PK_TOK_CAPPED) bad |= json_object_set_new(o, "capped", json_true());
        for (uint32_t i = 0; i < t->nparts && !bad; i++) {
            bad |= json_array_append_new(parts, json_strn_lossy(t->parts[i].text, t->parts[i].text_len));
            bad |= json_array_append_new(stems, json_strn_lossy(t->parts[i].stem, t->parts[i].stem_len));
        }
    }
    if (!bad) {
        bad |= json_object_set_new(o, "parts", parts);
        parts = NULL;
        bad |= json_object_set_new(o, "part_stems", stems);
        stems = NULL;
    }
    json_decref(parts);
    json_decref(stems);
    if (bad || json_array_append_new(c->tokens, o)) {
        if (bad) json_decref(o);
        c->failed = 1;
        return 1;
    }
    return 0;
}

pk_status pk_analyze_json(pk_analyzer *a, const char *text, size_t len, char **json)
{
    if (!json) return PK_EINVAL;
    *json = NULL;
    if (!a || (!text && len)) return PK_EINVAL;
    util_install_json_alloc();
    json_t *root = json_object();
    json_ctx c = {text, json_array(), 0};
    if (!root || !c.tokens) {
        json_decref(root);
        json_decref(c.tokens);
        return PK_ENOMEM;
    }
    pk_status st = pk_analyze(a, text, len, json_token, &c);
    if (st == PK_OK && c.failed) st = PK_ENOMEM;
    if (st == PK_OK && json_object_set_new(root, "tokens", c.tokens)) st = PK_ENOMEM;
    else if (st != PK_OK) json_decref(c.tokens);
    if (st == PK_OK) {
        *json = json_dump_compact(root);
        if (!*json) st = PK_ENOMEM;
    }
    json_decref(root);
    return st;
}
