/* compound.c — the compound lexicon (hunspell-sv + curated supplement) and the compound splitter.
 *
 * The lexicon is the system's hunspell-sv dictionary (sv_SE.dic with the suffix rules of
 * sv_SE.aff), read as data: every entry keeps its flags, and the splitter analyses a word form by
 * undoing one suffix rule (as hunspell does) instead of expanding all forms, so that loading takes
 * one pass over the files.  hunspell-sv marks words that may start (X), continue (U) or end (Y)
 * a compound, and has rules that make the linking forms (v: +s, y: a→e, x: a→o, w: a→u, z:
 * drop the final vowel, ...).  Those marks are the strong evidence for a split.  They are sparse
 * (beslut has no linking form, år may not end a compound), so a first part may also be any word
 * marked as a possible compound end — a noun or adjective — bare, with a linking -s-, or with
 * the vowel changes Swedish uses (fråga→fråge-, kyrka→kyrko-, gata→gatu-, arbete→arbets-), at a
 * cost.  The best split has the fewest parts, then the strongest evidence, then no tiny parts.
 *
 * A word the lexicon knows as a whole is only split on strong evidence into parts of four or
 * more letters that do not start with a particle (över-, under-, genom- ...): styrelsemöte and
 * ledningsgrupp split; ordförande, bokföring, föregående and överlämning do not.  A part of two
 * or three letters is allowed there only when the supplement lists it as a short first or last
 * part (tids+plan, mål+grupp, tele+fax); the lexicalised words such parts bring are listed
 * whole (ordförande, deltagare, bokslut).  Proper nouns stay whole.  Swedish writes a triple
 * consonant double at a joint (remiss+svar = remissvar); the splitter lets a part end on the
 * letter the next one starts with.
 * The supplement (rules/lexicon/sv.txt, compiled in) adds words, forces words whole, gives
 * explicit splits, and lists particles, surname endings (Eriksson, Bergström stay whole) and
 * the short parts. */
#include "compound.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "data.h"
#include "tokenizer.h"
#include "util.h"

#define LX_MAXW     64      /* bytes of a word the splitter considers (PK_MAX_TOKEN) */
#define RULE_MAXSTR 24
#define COND_MAX    8
#define SET_MAX     16
#define ALGO_SEED   0x73706c6974763132ULL   /* changes when the splitting algorithm changes */

const char *const lexicon_system_paths[] = {
    "/usr/share/hunspell/sv_SE",
    "/usr/share/myspell/sv_SE",
    "/usr/share/myspell/dicts/sv_SE",
    "/usr/share/hunspell/sv_FI",
    NULL
};

enum {
    E_BEGIN     = 1u << 0,   /* may start a compound */
    E_MIDDLE    = 1u << 1,   /* may be inside a compound */
    E_END       = 1u << 2,   /* may end a compound */
    E_ONLYCPD   = 1u << 3,   /* only inside compounds (a linking form) */
    E_NEEDAFFIX = 1u << 4,   /* not a word without a suffix */
    E_PROPER    = 1u << 5,   /* written with a capital letter */
    E_WHOLE     = 1u << 6,   /* the supplement says: never split */
    E_FORBIDDEN = 1u << 7    /* hunspell's forbidden word: ignored */
};

enum { CONT_BEGIN = 1, CONT_MIDDLE = 2, CONT_ONLYCPD = 4, CONT_PERMIT = 8, CONT_OTHER = 16 };

typedef struct entry {
    uint32_t key;        /* offset of the casefolded word in lx->text */
    uint32_t hash;
    uint64_t flags[2];   /* ASCII flag characters */
    uint16_t split;      /* 1 + index into lx->splits, or 0 */
    uint8_t  len;        /* bytes of the key */
    uint8_t  bits;       /* E_* */
} entry;

typedef struct cond_elem {
    uint8_t  any, neg, n;
    uint32_t cp[SET_MAX];
} cond_elem;

typedef struct rule {
    uint8_t   flag;
    uint8_t   strip_len, add_len, ncond;
    uint8_t   cont;
    char      strip[RULE_MAXSTR], add[RULE_MAXSTR];
    cond_elem cond[COND_MAX];
} rule;

typedef struct bform {   /* a first or middle part with strong evidence */
    uint32_t key, hash;
    uint8_t  len, part;  /* bytes of the form, bytes of its part text (without linking letters) */
} bform;

typedef struct split_def {
    uint8_t n;
    uint8_t len[PK_MAX_PARTS], link[PK_MAX_PARTS];
} split_def;

typedef struct add_slot { uint32_t hash, first, count; uint8_t len, used; } add_slot;

struct lexicon {
    int        refs;
    int        shared;
    pk_buf     text;
    entry     *e;
    size_t     ne, cape;
    uint64_t  *eslot;          /* hash << 32 | entry index + 1; open addressing */
    size_t     ecap;
    bform     *b;
    size_t     nb, capb;
    uint32_t  *bslot;
    size_t     bcap;
    rule      *r;
    size_t     nr, capr;
    uint32_t  *irule;          /* inflection rules sorted by their added suffix */
    size_t     nir;
    add_slot  *aslot;
    size_t     acap;
    uint8_t    max_add;
    split_def *splits;
    size_t     nsplits, capsplits;
    pk_buf     particles;      /* words separated by NUL */
    pk_buf     nameheads;
    pk_buf     shortfirst;     /* parts of two or three letters that may start a compound (keys) */
    pk_buf     shortlast;      /* ... that may end one */
    uint32_t   fl_begin, fl_middle, fl_end, fl_onlycpd, fl_permit, fl_forbidden, fl_needaffix;
    uint64_t   hash;
    char       source[300];
};

/* ---- small helpers ---- */

/* A fast hash of short keys (words of at most LX_MAXW bytes). */
static uint32_t h32(const void *key, size_t n)
{
    const uint8_t *p = key;
    uint64_t h = 0x6c6578696b6f6eULL ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ v) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    h = (h ^ v) * 0x94d049bb133111ebULL;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    return (uint32_t)(h ^ (h >> 32));
}

static const uint8_t *key_of(const lexicon *lx, const entry *e) { return lx->text.p + e->key; }

static int flag_has(const entry *e, uint8_t f) { return (int)((e->flags[f >> 6] >> (f & 63)) & 1u); }

static size_t chars_in(const uint8_t *p, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += (p[i] & 0xC0) != 0x80;
    return c;
}

static uint32_t first_cp(const char *s)
{
    uint32_t cp;
    size_t n = strlen(s);
    if (!n || !tok_utf8_decode((const uint8_t *)s, n, &cp)) return 0;
    return cp;
}

/* Split a line into whitespace-separated fields (modifies it). */
static int fields(char *s, char **f, int max)
{
    int k = 0;
    while (*s && k < max) {
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) break;
        f[k++] = s;
        while (*s && *s != ' ' && *s != '\t') s++;
        if (*s) *s++ = 0;
    }
    return k;
}

/* ---- entries and the root hash ---- */

static int text_add(lexicon *lx, const uint8_t *p, size_t n, uint32_t *off)
{
    if (lx->text.n > UINT32_MAX - n - 1) return -1;
    *off = (uint32_t)lx->text.n;
    buf_put(&lx->text, p, n);
    buf_putc(&lx->text, 0);
    return lx->text.err ? -1 : 0;
}

static int ehash_grow(lexicon *lx)
{
    size_t cap = lx->ecap ? lx->ecap * 2 : 1u << 16;
    uint64_t *slots = pk_calloc(cap, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < lx->ne; i++) {
        size_t s = lx->e[i].hash & (cap - 1);
        while (slots[s]) s = (s + 1) & (cap - 1);
        slots[s] = (uint64_t)lx->e[i].hash << 32 | ((uint64_t)i + 1);
    }
    pk_free(lx->eslot);
    lx->eslot = slots;
    lx->ecap = cap;
    return 0;
}

/* Add an entry for the (already casefolded) key; returns its index, -1 when out of memory, -2
 * for a key that is empty or too long. */
static long entry_add(lexicon *lx, const uint8_t *key, size_t n, uint8_t bits)
{
    if (n == 0 || n > LX_MAXW) return -2;
    if ((lx->ne + 1) * 2 > lx->ecap && ehash_grow(lx)) return -1;
    if (lx->ne == lx->cape) {
        size_t nc = lx->cape ? lx->cape * 2 : 4096;
        entry *ne = pk_reallocarray(lx->e, nc, sizeof *ne);
        if (!ne) return -1;
        lx->e = ne;
        lx->cape = nc;
    }
    entry *e = &lx->e[lx->ne];
    memset(e, 0, sizeof *e);
    if (text_add(lx, key, n, &e->key)) return -1;
    e->len = (uint8_t)n;
    e->hash = h32(key, n);
    e->bits = bits;
    size_t s = e->hash & (lx->ecap - 1);
    while (lx->eslot[s]) s = (s + 1) & (lx->ecap - 1);
    lx->eslot[s] = (uint64_t)e->hash << 32 | ((uint64_t)lx->ne + 1);
    return (long)lx->ne++;
}

static void entry_set_flags(lexicon *lx, entry *e, const char *fl, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp = (uint8_t)fl[i];
        if (cp < 0x80) {
            i++;
        } else {
            int l = tok_utf8_decode((const uint8_t *)fl + i, n - i, &cp);
            if (!l) { i++; continue; }
            i += (size_t)l;
            if (cp == lx->fl_needaffix) e->bits |= E_NEEDAFFIX;
            if (cp == lx->fl_forbidden) e->bits |= E_FORBIDDEN;
            continue;
        }
        e->flags[cp >> 6] |= 1ull << (cp & 63);
    }
    /* the compound flags, when they are ASCII (as in hunspell-sv) */
    static const struct { size_t off; uint8_t bit; } special[] = {
        {offsetof(lexicon, fl_begin), E_BEGIN},       {offsetof(lexicon, fl_middle), E_MIDDLE},
        {offsetof(lexicon, fl_end), E_END},           {offsetof(lexicon, fl_onlycpd), E_ONLYCPD},
        {offsetof(lexicon, fl_needaffix), E_NEEDAFFIX}, {offsetof(lexicon, fl_forbidden), E_FORBIDDEN},
    };
    for (size_t k = 0; k < sizeof special / sizeof special[0]; k++) {
        uint32_t f;
        memcpy(&f, (const char *)lx + special[k].off, sizeof f);
        if (f && f < 128 && (e->flags[f >> 6] >> (f & 63) & 1u)) e->bits |= special[k].bit;
    }
}

/* The entries whose key is w[0..n), at most max of them. */
static int entries_of(const lexicon *lx, const uint8_t *w, size_t n, const entry **out, int max)
{
    if (!lx->ecap || n == 0) return 0;
    uint32_t h = h32(w, n);
    size_t mask = lx->ecap - 1, s = h & mask;
    int k = 0;
    for (size_t probes = 0; probes <= mask; probes++) {
        uint64_t v = lx->eslot[s];
        if (!v) break;
        if ((uint32_t)(v >> 32) == h) {   /* the entry itself is read only on a hash match */
            const entry *e = &lx->e[(uint32_t)v - 1];
            if (e->len == n && memcmp(key_of(lx, e), w, n) == 0 && k < max) out[k++] = e;
        }
        s = (s + 1) & mask;
    }
    return k;
}

/* ---- suffix rules ---- */

static int parse_cond(const char *s, rule *r)
{
    r->ncond = 0;
    if (strcmp(s, ".") == 0) return 0;
    size_t n = strlen(s), i = 0;
    while (i < n) {
        if (r->ncond == COND_MAX) return -1;
        cond_elem *c = &r->cond[r->ncond++];
        memset(c, 0, sizeof *c);
        if (s[i] == '.') { c->any = 1; i++; continue; }
        if (s[i] == '[') {
            i++;
            if (i < n && s[i] == '^') { c->neg = 1; i++; }
            while (i < n && s[i] != ']') {
                uint32_t cp;
                int l = tok_utf8_decode((const uint8_t *)s + i, n - i, &cp);
                if (!l || c->n == SET_MAX) return -1;
                c->cp[c->n++] = cp;
                i += (size_t)l;
            }
            if (i >= n) return -1;
            i++;
            continue;
        }
        uint32_t cp;
        int l = tok_utf8_decode((const uint8_t *)s + i, n - i, &cp);
        if (!l) return -1;
        c->cp[c->n++] = cp;
        i += (size_t)l;
    }
    return 0;
}

/* Does the root w[0..n) end in what the rule's condition demands? */
static int cond_ok(const rule *r, const uint8_t *w, size_t n)
{
    size_t i = n;
    for (int k = r->ncond - 1; k >= 0; k--) {
        if (i == 0) return 0;
        size_t j = i - 1;
        while (j > 0 && (w[j] & 0xC0) == 0x80) j--;
        uint32_t cp;
        if (!tok_utf8_decode(w + j, i - j, &cp)) return 0;
        i = j;
        const cond_elem *c = &r->cond[k];
        if (c->any) continue;
        int in = 0;
        for (int m = 0; m < c->n; m++) if (c->cp[m] == cp) { in = 1; break; }
        if (in == c->neg) return 0;
    }
    return 1;
}

static uint8_t cont_bits(const lexicon *lx, const char *s)
{
    uint8_t b = 0;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int l = tok_utf8_decode((const uint8_t *)s + i, n - i, &cp);
        if (!l) { i++; continue; }
        i += (size_t)l;
        if (cp == lx->fl_begin) b |= CONT_BEGIN;
        else if (cp == lx->fl_middle) b |= CONT_MIDDLE;
        else if (cp == lx->fl_onlycpd) b |= CONT_ONLYCPD;
        else if (cp == lx->fl_permit) b |= CONT_PERMIT;
        else b |= CONT_OTHER;
    }
    return b;
}

static int rule_add(lexicon *lx, char **f, int nf)
{
    if (nf < 5 || strlen(f[1]) != 1 || (unsigned char)f[1][0] >= 128) return 0;   /* ignored */
    rule r;
    memset(&r, 0, sizeof r);
    r.flag = (uint8_t)f[1][0];
    const char *strip = strcmp(f[2], "0") == 0 ? "" : f[2];
    char add[64];
    snprintf(add, sizeof add, "%s", f[3]);
    char *slash = strchr(add, '/');
    const char *cont = "";
    if (slash) { *slash = 0; cont = slash + 1; }
    const char *a = strcmp(add, "0") == 0 ? "" : add;
    if (strlen(strip) >= RULE_MAXSTR || strlen(a) >= RULE_MAXSTR) return 0;
    memcpy(r.strip, strip, strlen(strip));
    r.strip_len = (uint8_t)strlen(strip);
    memcpy(r.add, a, strlen(a));
    r.add_len = (uint8_t)strlen(a);
    r.cont = cont_bits(lx, cont);
    if (parse_cond(f[4], &r)) return 0;
    if (lx->nr == lx->capr) {
        size_t nc = lx->capr ? lx->capr * 2 : 256;
        rule *nr = pk_reallocarray(lx->r, nc, sizeof *nr);
        if (!nr) return -1;
        lx->r = nr;
        lx->capr = nc;
    }
    lx->r[lx->nr++] = r;
    return 0;
}

static int is_begin_rule(const rule *r) { return (r->cont & (CONT_BEGIN | CONT_MIDDLE)) != 0; }
static int is_inflection(const rule *r) { return (r->cont & (CONT_BEGIN | CONT_MIDDLE | CONT_ONLYCPD)) == 0; }

static const lexicon *sort_lx;
static int cmp_rule_add(const void *a, const void *b)
{
    const rule *x = &sort_lx->r[*(const uint32_t *)a], *y = &sort_lx->r[*(const uint32_t *)b];
    if (x->add_len != y->add_len) return x->add_len < y->add_len ? -1 : 1;
    int c = memcmp(x->add, y->add, x->add_len);
    if (c) return c;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static pthread_mutex_t sort_mu = PTHREAD_MUTEX_INITIALIZER;

static int rules_index(lexicon *lx)
{
    lx->irule = pk_calloc(lx->nr ? lx->nr : 1, sizeof *lx->irule);
    if (!lx->irule) return -1;
    lx->nir = 0;
    for (size_t i = 0; i < lx->nr; i++)
        if (is_inflection(&lx->r[i])) lx->irule[lx->nir++] = (uint32_t)i;
    pthread_mutex_lock(&sort_mu);
    sort_lx = lx;
    qsort(lx->irule, lx->nir, sizeof *lx->irule, cmp_rule_add);
    sort_lx = NULL;
    pthread_mutex_unlock(&sort_mu);
    size_t cap = 64;
    while (cap < lx->nir * 2 + 1) cap *= 2;
    lx->aslot = pk_calloc(cap, sizeof *lx->aslot);
    if (!lx->aslot) return -1;
    lx->acap = cap;
    for (size_t i = 0; i < lx->nir;) {
        const rule *r = &lx->r[lx->irule[i]];
        size_t j = i + 1;
        while (j < lx->nir && lx->r[lx->irule[j]].add_len == r->add_len &&
               memcmp(lx->r[lx->irule[j]].add, r->add, r->add_len) == 0) j++;
        uint32_t h = h32(r->add, r->add_len);
        size_t s = h & (cap - 1);
        while (lx->aslot[s].used) s = (s + 1) & (cap - 1);
        lx->aslot[s] = (add_slot){h, (uint32_t)i, (uint32_t)(j - i), r->add_len, 1};
        if (r->add_len > lx->max_add) lx->max_add = r->add_len;
        i = j;
    }
    return 0;
}

static const add_slot *rules_for_add(const lexicon *lx, const uint8_t *s, size_t n)
{
    uint32_t h = h32(s, n);
    size_t mask = lx->acap - 1, i = h & mask;
    while (lx->aslot[i].used) {
        const add_slot *a = &lx->aslot[i];
        if (a->hash == h && a->len == n && memcmp(lx->r[lx->irule[a->first]].add, s, n) == 0) return a;
        i = (i + 1) & mask;
    }
    return NULL;
}

/* ---- word analysis: is w a known form, may it end a compound ---- */

typedef struct winfo {
    int known;          /* a standalone word form */
    int common;         /* ... of an entry that is not a proper noun */
    int head;           /* ... of an entry that may end a compound */
    int plain;          /* ... of an entry that is not marked as a compound end */
    int whole;          /* ... of an entry the supplement keeps whole */
    const entry *split; /* an entry with an explicit split */
} winfo;

static void consider(const lexicon *lx, const entry *e, winfo *wi)
{
    (void)lx;
    wi->known = 1;
    if (!(e->bits & E_PROPER)) wi->common = 1;
    if (!(e->bits & E_PROPER)) {
        if (e->bits & E_END) wi->head = 1;
        else wi->plain = 1;
    }
    if (e->bits & E_WHOLE) wi->whole = 1;
    if (e->split && !wi->split) wi->split = e;
}

static void analyse(const lexicon *lx, const uint8_t *w, size_t n, winfo *wi)
{
    memset(wi, 0, sizeof *wi);
    if (n == 0 || n > LX_MAXW) return;
    const entry *m[16];
    int k = entries_of(lx, w, n, m, 16);
    for (int i = 0; i < k; i++) {
        if (m[i]->bits & (E_ONLYCPD | E_NEEDAFFIX | E_FORBIDDEN)) continue;
        consider(lx, m[i], wi);
    }
    if (!lx->acap) return;
    uint8_t root[LX_MAXW + RULE_MAXSTR];
    for (size_t a = 0; a <= lx->max_add && a < n; a++) {
        const add_slot *as = rules_for_add(lx, w + n - a, a);
        if (!as) continue;
        for (uint32_t q = 0; q < as->count; q++) {
            const rule *r = &lx->r[lx->irule[as->first + q]];
            size_t rl = n - a;
            if (rl + r->strip_len == 0 || rl + r->strip_len > LX_MAXW) continue;
            memcpy(root, w, rl);
            memcpy(root + rl, r->strip, r->strip_len);
            rl += r->strip_len;
            if (!cond_ok(r, root, rl)) continue;
            k = entries_of(lx, root, rl, m, 16);
            for (int i = 0; i < k; i++) {
                if (m[i]->bits & (E_ONLYCPD | E_FORBIDDEN)) continue;
                if (!flag_has(m[i], r->flag)) continue;
                consider(lx, m[i], wi);
            }
        }
    }
}

int lexicon_knows(const lexicon *lx, const uint8_t *w, size_t n)
{
    winfo wi;
    analyse(lx, w, n, &wi);
    return wi.known;
}

/* ---- first parts ---- */

static int bform_add(lexicon *lx, const uint8_t *w, size_t n, size_t part)
{
    if (n == 0 || n > LX_MAXW || part == 0) return 0;
    uint32_t h = h32(w, n);
    size_t mask = lx->bcap - 1, s = h & mask;
    while (lx->bslot[s]) {
        bform *b = &lx->b[lx->bslot[s] - 1];
        if (b->hash == h && b->len == n && memcmp(lx->text.p + b->key, w, n) == 0) {
            if (part > b->part) b->part = (uint8_t)part;
            return 0;
        }
        s = (s + 1) & mask;
    }
    if (lx->nb * 2 + 2 > lx->bcap) {
        /* grow and rehash */
        size_t nc = lx->bcap * 2;
        uint32_t *ns = pk_calloc(nc, sizeof *ns);
        if (!ns) return -1;
        for (size_t i = 0; i < lx->nb; i++) {
            size_t t = lx->b[i].hash & (nc - 1);
            while (ns[t]) t = (t + 1) & (nc - 1);
            ns[t] = (uint32_t)i + 1;
        }
        pk_free(lx->bslot);
        lx->bslot = ns;
        lx->bcap = nc;
        mask = nc - 1;
        s = h & mask;
        while (lx->bslot[s]) s = (s + 1) & mask;
    }
    if (lx->nb == lx->capb) {
        size_t nc = lx->capb ? lx->capb * 2 : 4096;
        bform *nb = pk_reallocarray(lx->b, nc, sizeof *nb);
        if (!nb) return -1;
        lx->b = nb;
        lx->capb = nc;
    }
    bform *b = &lx->b[lx->nb];
    if (text_add(lx, w, n, &b->key)) return -1;
    b->hash = h;
    b->len = (uint8_t)n;
    b->part = (uint8_t)part;
    lx->bslot[s] = (uint32_t)++lx->nb;
    return 0;
}

static const bform *bform_find(const lexicon *lx, const uint8_t *w, size_t n)
{
    if (!lx->bcap) return NULL;
    uint32_t h = h32(w, n);
    size_t mask = lx->bcap - 1, s = h & mask;
    while (lx->bslot[s]) {
        const bform *b = &lx->b[lx->bslot[s] - 1];
        if (b->hash == h && b->len == n && memcmp(lx->text.p + b->key, w, n) == 0) return b;
        s = (s + 1) & mask;
    }
    return NULL;
}

/* Is w[0..n) a standalone word of its own (not a proper noun)?  2 when some such entry may end
 * a compound (mostly nouns and adjectives), 1 when it exists but is not so marked, 0 when none. */
static int root_kind(const lexicon *lx, const uint8_t *w, size_t n)
{
    const entry *m[16];
    int k = entries_of(lx, w, n, m, 16), kind = 0;
    for (int i = 0; i < k; i++) {
        if (m[i]->bits & (E_ONLYCPD | E_NEEDAFFIX | E_FORBIDDEN | E_PROPER)) continue;
        if (m[i]->bits & E_END) return 2;
        kind = 1;
    }
    return kind;
}

/* Is w[0..n) a word form of its own (an entry or an inflection, not a proper noun)? */
static int knows_common(const lexicon *lx, const uint8_t *w, size_t n)
{
    winfo wi;
    analyse(lx, w, n, &wi);
    return wi.common;
}

/* The part text of a linking form listed as an entry of its own ("arbets", "kyrko", "fråge",
 * "läns", "samverkans"): drop a final s or vowel when the word without it (or with -a/-e
 * instead) is a word of its own. */
static size_t linking_part(const lexicon *lx, const uint8_t *w, size_t n)
{
    if (n < 3) return n;
    uint8_t t[LX_MAXW + 2];
    uint8_t last = w[n - 1];
    if (last == 's') {
        if (knows_common(lx, w, n - 1)) return n - 1;
        memcpy(t, w, n - 1);
        t[n - 1] = 'e';
        if (knows_common(lx, t, n)) return n - 1;
        return n;
    }
    if (last == 'a' || last == 'e' || last == 'o' || last == 'u') {
        if (knows_common(lx, w, n - 1)) return n - 1;   /* detaljplan+e */
        memcpy(t, w, n - 1);
        static const uint8_t ends[2] = {'a', 'e'};
        for (int k = 0; k < 2; k++) {
            if (ends[k] == last) continue;
            t[n - 1] = ends[k];
            if (knows_common(lx, t, n)) return n - 1;
        }
    }
    return n;
}

/* Common prefix of two keys, at a character boundary. */
static size_t common_prefix(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    size_t i = 0;
    while (i < na && i < nb && a[i] == b[i]) i++;
    while (i > 0 && i < na && (a[i] & 0xC0) == 0x80) i--;
    return i;
}

static int bforms_build(lexicon *lx)
{
    lx->bcap = 1u << 15;
    lx->bslot = pk_calloc(lx->bcap, sizeof *lx->bslot);
    if (!lx->bslot) return -1;
    /* the rules that make linking forms, by flag */
    uint32_t by_flag[128][16];
    uint8_t nby[128];
    uint64_t begin_flags[2] = {0, 0};
    memset(nby, 0, sizeof nby);
    for (size_t q = 0; q < lx->nr; q++) {
        const rule *r = &lx->r[q];
        if (!is_begin_rule(r) || r->flag >= 128 || nby[r->flag] == 16) continue;
        by_flag[r->flag][nby[r->flag]++] = (uint32_t)q;
        begin_flags[r->flag >> 6] |= 1ull << (r->flag & 63);
    }
    uint8_t form[LX_MAXW + RULE_MAXSTR];
    for (size_t i = 0; i < lx->ne; i++) {
        entry e = lx->e[i];   /* a copy: the text buffer may move while forms are added */
        if (e.bits & E_FORBIDDEN) continue;
        int begins = (e.bits & (E_BEGIN | E_MIDDLE)) && !(e.bits & E_NEEDAFFIX);
        if (!begins && !(e.flags[0] & begin_flags[0]) && !(e.flags[1] & begin_flags[1])) continue;
        uint8_t k[LX_MAXW + 1];
        memcpy(k, key_of(lx, &e), e.len);
        if (begins) {
            /* a linking form of its own: only in compounds, or not a compound end itself */
            int linking = (e.bits & E_ONLYCPD) || !(e.bits & E_END);
            size_t part = linking ? linking_part(lx, k, e.len) : e.len;
            if (bform_add(lx, k, e.len, part)) return -1;
        }
        for (int f = 0; f < 128; f++) {
            if (!nby[f] || !flag_has(&e, (uint8_t)f)) continue;
            for (int q = 0; q < nby[f]; q++) {
                const rule *r = &lx->r[by_flag[f][q]];
                if (r->strip_len > e.len) continue;
                if (r->strip_len && memcmp(k + e.len - r->strip_len, r->strip, r->strip_len) != 0) continue;
                if (!cond_ok(r, k, e.len)) continue;
                size_t fl = e.len - r->strip_len;
                if (fl + r->add_len > LX_MAXW || fl + r->add_len == 0) continue;
                memcpy(form, k, fl);
                memcpy(form + fl, r->add, r->add_len);
                fl += r->add_len;
                /* forms ending in a hyphen belong to hyphenated compounds, which the tokenizer splits */
                if (form[fl - 1] == '-') continue;
                size_t part = common_prefix(k, e.len, form, fl);
                if (part == 0) continue;
                if (bform_add(lx, form, fl, part)) return -1;
            }
        }
    }
    return 0;
}

/* ---- loading ---- */

/* Set *err (when wanted and not yet set) and return st. */
static int fail_with(char **err, pk_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_with(char **err, pk_status st, const char *fmt, ...)
{
    if (err && !*err) {
        va_list ap;
        va_start(ap, fmt);
        *err = pk_vsprintf(fmt, ap);
        va_end(ap);
    }
    return (int)st;
}

#define set_msg(err, ...) fail_with(err, PK_ESYNTAX, __VA_ARGS__)
#define nomem(err, path) fail_with(err, PK_ENOMEM, "%s: out of memory", path)

/* Parse the .aff text: the compound flags first, then the suffix rules. */
static int load_aff(lexicon *lx, const char *path, char *t, size_t n, char **err)
{
    (void)n;
    for (int pass = 0; pass < 2; pass++) {
        char *s = t;
        while (s && *s) {
            char *nl = strchr(s, '\n');
            size_t ll = nl ? (size_t)(nl - s) : strlen(s);
            char line[512];
            if (ll >= sizeof line) ll = sizeof line - 1;
            memcpy(line, s, ll);
            line[ll] = 0;
            if (ll && line[ll - 1] == '\r') line[ll - 1] = 0;
            s = nl ? nl + 1 : NULL;
            char *f[8];
            int nf = fields(line, f, 8);
            if (nf < 2 || f[0][0] == '#') continue;
            if (pass == 0) {
                if (strcmp(f[0], "FLAG") == 0 && strcmp(f[1], "UTF-8") != 0)
                    return set_msg(err, "%s: FLAG %s is not supported", path, f[1]);
                if (strcmp(f[0], "COMPOUNDBEGIN") == 0) lx->fl_begin = first_cp(f[1]);
                else if (strcmp(f[0], "COMPOUNDMIDDLE") == 0) lx->fl_middle = first_cp(f[1]);
                else if (strcmp(f[0], "COMPOUNDEND") == 0) lx->fl_end = first_cp(f[1]);
                else if (strcmp(f[0], "ONLYINCOMPOUND") == 0) lx->fl_onlycpd = first_cp(f[1]);
                else if (strcmp(f[0], "COMPOUNDPERMITFLAG") == 0) lx->fl_permit = first_cp(f[1]);
                else if (strcmp(f[0], "FORBIDDENWORD") == 0) lx->fl_forbidden = first_cp(f[1]);
                else if (strcmp(f[0], "NEEDAFFIX") == 0) lx->fl_needaffix = first_cp(f[1]);
                continue;
            }
            if (strcmp(f[0], "SFX") != 0) continue;
            if (nf == 4 && (strcmp(f[2], "Y") == 0 || strcmp(f[2], "N") == 0)) continue;   /* header */
            if (rule_add(lx, f, nf)) return nomem(err, path);
        }
    }
    return 0;
}

/* Casefold a dictionary word that must consist of letters only; 0 when it does not. */
static size_t fold_word(const uint8_t *w, size_t n, uint8_t *out, int *proper)
{
    if (n == 0 || n > LX_MAXW) return 0;
    /* the common case: ASCII letters and Latin-1 letters (U+00C0..U+00FF but for × and ÷) */
    size_t i = 0;
    *proper = (w[0] >= 'A' && w[0] <= 'Z') || (n > 1 && w[0] == 0xC3 && w[1] >= 0x80 && w[1] <= 0x9E);
    while (i < n) {
        uint8_t c = w[i];
        if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') { out[i] = (uint8_t)(c | 0x20); i++; continue; }
        if (c == 0xC3 && i + 1 < n && w[i + 1] >= 0x80 && w[i + 1] <= 0xBF && w[i + 1] != 0x97 &&
            w[i + 1] != 0xB7) {
            uint8_t b = w[i + 1];
            out[i] = c;
            out[i + 1] = (b <= 0x9E && b != 0x9F) ? (uint8_t)(b + 0x20) : b;
            if (b == 0x9F) break;   /* ß folds to "ss": the general path */
            i += 2;
            continue;
        }
        break;
    }
    if (i == n) return n;
    for (i = 0; i < n;) {
        uint32_t cp;
        int l = tok_utf8_decode(w + i, n - i, &cp);
        if (!l || !tok_is_letter(cp)) return 0;
        if (i == 0) {
            utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
            *proper = c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LT;
        }
        i += (size_t)l;
    }
    int trunc;
    size_t o = tok_fold(w, n, out, LX_MAXW, &trunc);
    return trunc ? 0 : o;
}

static int load_dic(lexicon *lx, const char *path, const char *t, size_t n, char **err)
{
    size_t i = 0;
    int first = 1;
    while (i < n) {
        /* one pass over the line: its end, the first slash after the first byte, any blank */
        size_t j = i, slash_at = 0;
        int blank = 0;
        for (; j < n && t[j] != '\n'; j++) {
            char c = t[j];
            if (c == '/' && !slash_at && j > i) slash_at = j;
            else if (c == ' ' || c == '\t') blank = 1;
        }
        size_t e = j;
        if (e > i && t[e - 1] == '\r') e--;
        const char *line = t + i;
        size_t ll = e - i;
        const char *slash = slash_at && slash_at < e ? t + slash_at : NULL;
        i = j + 1;
        if (first) {
            first = 0;
            size_t d = 0;
            while (d < ll && is_ascii_digit((unsigned char)line[d])) d++;
            if (d == ll && d > 0) continue;   /* the count line */
        }
        if (ll == 0 || blank) continue;
        size_t wl = slash ? (size_t)(slash - line) : ll;
        if (wl && line[wl - 1] == '\\') continue;
        uint8_t key[LX_MAXW];
        int proper = 0;
        size_t kl = fold_word((const uint8_t *)line, wl, key, &proper);
        if (!kl) continue;
        long ix = entry_add(lx, key, kl, proper ? E_PROPER : 0);
        if (ix == -1) return nomem(err, path);
        if (ix < 0) continue;
        if (slash) entry_set_flags(lx, &lx->e[ix], slash + 1, ll - wl - 1);
    }
    return 0;
}

static int word_list_add(pk_buf *b, const uint8_t *w, size_t n)
{
    buf_put(b, w, n);
    buf_putc(b, 0);
    return b->err ? -1 : 0;
}

/* Short parts are kept as 64-bit keys, the bytes of the part padded with zeros (a part of three
 * letters has at most eight bytes in the scripts the lexicon holds), so that the splitter's
 * probes, which come for every short chunk of a word, compare integers. */
static int short_key(const uint8_t *w, size_t n, uint64_t *k)
{
    if (n == 0 || n > 8) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)w[i] << (8 * i);
    *k = v;
    return 1;
}

static int is_short(const pk_buf *b, const uint8_t *w, size_t n)
{
    uint64_t k, v;
    if (!short_key(w, n, &k)) return 0;
    for (size_t i = 0; i + sizeof v <= b->n; i += sizeof v) {
        memcpy(&v, b->p + i, sizeof v);
        if (v == k) return 1;
    }
    return 0;
}

static int in_word_list(const pk_buf *b, const uint8_t *w, size_t n)
{
    for (size_t i = 0; i < b->n;) {
        size_t l = strlen((const char *)b->p + i);
        if (l == n && memcmp(b->p + i, w, n) == 0) return 1;
        i += l + 1;
    }
    return 0;
}

/* Entries with this key, creating a plain one when there is none; returns 0 or -1. */
static int ensure_entry(lexicon *lx, const uint8_t *key, size_t kl, int proper)
{
    const entry *m[1];
    if (entries_of(lx, key, kl, m, 1)) return 0;
    return entry_add(lx, key, kl, proper ? E_PROPER : 0) == -1 ? -1 : 0;
}

/* Set bits or a split on every entry with this key. */
static void mark_entries(lexicon *lx, const uint8_t *key, size_t kl, uint8_t bits, uint16_t split)
{
    const entry *m[16];
    int k = entries_of(lx, key, kl, m, 16);
    for (int i = 0; i < k; i++) {
        entry *e = &lx->e[m[i] - lx->e];
        e->bits |= bits;
        if (split) e->split = split;
    }
}

/* Parse "a+b(s)+c" against the word; fills sd. */
static int parse_split(const char *spec, const uint8_t *word, size_t wl, split_def *sd)
{
    memset(sd, 0, sizeof *sd);
    uint8_t cat[LX_MAXW * 2];
    size_t cl = 0;
    const char *s = spec;
    while (*s) {
        while (*s == ' ') s++;
        const char *p = s;
        while (*s && *s != '+' && *s != '(' && *s != ' ') s++;
        size_t pl = (size_t)(s - p);
        uint8_t part[LX_MAXW];
        int proper = 0;
        size_t fl = fold_word((const uint8_t *)p, pl, part, &proper);
        if (!fl || sd->n == PK_MAX_PARTS || cl + fl > sizeof cat) return -1;
        memcpy(cat + cl, part, fl);
        cl += fl;
        sd->len[sd->n] = (uint8_t)fl;
        if (*s == '(') {
            const char *q = ++s;
            while (*s && *s != ')') s++;
            if (*s != ')') return -1;
            size_t ql = (size_t)(s - q);
            if (ql == 0 || ql > 4 || cl + ql > sizeof cat) return -1;
            memcpy(cat + cl, q, ql);
            cl += ql;
            sd->link[sd->n] = (uint8_t)ql;
            s++;
        }
        sd->n++;
        while (*s == ' ') s++;
        if (*s == '+') s++;
        else if (*s) return -1;
    }
    if (cl != wl || memcmp(cat, word, wl) != 0) return -1;
    return sd->n >= 1 ? 0 : -1;
}

static int load_supplement(lexicon *lx, const char *path, const char *t, size_t n, char **err)
{
    size_t i = 0;
    int lineno = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && t[j] != '\n') j++;
        char line[1024];
        size_t ll = j - i;
        lineno++;
        if (ll >= sizeof line) return set_msg(err, "%s: line %d: too long", path, lineno);
        memcpy(line, t + i, ll);
        line[ll] = 0;
        if (ll && line[ll - 1] == '\r') line[--ll] = 0;
        i = j + 1;
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) continue;
        char *colon = strchr(s, ':');
        char *eq = strchr(s, '=');
        if (colon && (!eq || colon < eq) && strchr(s, ' ') && strchr(s, ' ') > colon) {
            *colon = 0;
            char *kw = s, *rest = colon + 1;
            pk_buf *list = strcmp(kw, "particle") == 0   ? &lx->particles
                           : strcmp(kw, "namehead") == 0   ? &lx->nameheads
                           : strcmp(kw, "shortfirst") == 0 ? &lx->shortfirst
                           : strcmp(kw, "shortlast") == 0  ? &lx->shortlast
                                                           : NULL;
            if (list || strcmp(kw, "whole") == 0) {
                char *f[64];
                int nf = fields(rest, f, 64);
                for (int k = 0; k < nf; k++) {
                    uint8_t key[LX_MAXW];
                    int proper = 0;
                    size_t kl = fold_word((const uint8_t *)f[k], strlen(f[k]), key, &proper);
                    if (!kl) return set_msg(err, "%s: line %d: not a word: %s", path, lineno, f[k]);
                    if (!list) {
                        if (ensure_entry(lx, key, kl, proper)) return nomem(err, path);
                        mark_entries(lx, key, kl, E_WHOLE, 0);
                    } else if (list == &lx->shortfirst || list == &lx->shortlast) {
                        uint64_t sk;
                        if (chars_in(key, kl) > 3 || !short_key(key, kl, &sk))
                            return set_msg(err, "%s: line %d: %s: parts of two or three letters only: %s",
                                           path, lineno, kw, f[k]);
                        buf_put(list, &sk, sizeof sk);
                        if (list->err) return nomem(err, path);
                    } else if (word_list_add(list, key, kl)) {
                        return nomem(err, path);
                    }
                }
                continue;
            }
            if (strcmp(kw, "split") == 0) {
                char *e2 = strchr(rest, '=');
                if (!e2) return set_msg(err, "%s: line %d: split needs 'word = a+b'", path, lineno);
                *e2 = 0;
                char *f[2];
                if (fields(rest, f, 2) != 1) return set_msg(err, "%s: line %d: split needs one word", path, lineno);
                char *slash = strchr(f[0], '/');
                if (slash) *slash = 0;
                uint8_t key[LX_MAXW];
                int proper = 0;
                size_t kl = fold_word((const uint8_t *)f[0], strlen(f[0]), key, &proper);
                if (!kl) return set_msg(err, "%s: line %d: not a word: %s", path, lineno, f[0]);
                split_def sd;
                if (parse_split(e2 + 1, key, kl, &sd))
                    return set_msg(err, "%s: line %d: the parts do not spell %s", path, lineno, f[0]);
                if (lx->nsplits == lx->capsplits) {
                    size_t nc = lx->capsplits ? lx->capsplits * 2 : 64;
                    split_def *ns = pk_reallocarray(lx->splits, nc, sizeof *ns);
                    if (!ns) return nomem(err, path);
                    lx->splits = ns;
                    lx->capsplits = nc;
                }
                lx->splits[lx->nsplits++] = sd;
                if (slash) {
                    long ix = entry_add(lx, key, kl, proper ? E_PROPER : 0);
                    if (ix == -1) return nomem(err, path);
                    if (ix >= 0) entry_set_flags(lx, &lx->e[ix], slash + 1, strlen(slash + 1));
                } else if (ensure_entry(lx, key, kl, proper)) {
                    return nomem(err, path);
                }
                if (lx->nsplits > UINT16_MAX) return set_msg(err, "%s: too many splits", path);
                mark_entries(lx, key, kl, 0, (uint16_t)lx->nsplits);
                continue;
            }
            return set_msg(err, "%s: line %d: unknown directive '%s'", path, lineno, kw);
        }
        /* word[/FLAGS] */
        char *f[2];
        if (fields(s, f, 2) != 1) return set_msg(err, "%s: line %d: expected one word", path, lineno);
        char *slash = strchr(f[0] + 1, '/');
        size_t wl = slash ? (size_t)(slash - f[0]) : strlen(f[0]);
        uint8_t key[LX_MAXW];
        int proper = 0;
        size_t kl = fold_word((const uint8_t *)f[0], wl, key, &proper);
        if (!kl) return set_msg(err, "%s: line %d: not a word: %.*s", path, lineno, (int)wl, f[0]);
        long ix = entry_add(lx, key, kl, proper ? E_PROPER : 0);
        if (ix == -1) return nomem(err, path);
        if (ix >= 0 && slash) entry_set_flags(lx, &lx->e[ix], slash + 1, strlen(slash + 1));
    }
    return 0;
}

static void lexicon_destroy(lexicon *lx)
{
    if (!lx) return;
    buf_free(&lx->text);
    buf_free(&lx->particles);
    buf_free(&lx->nameheads);
    buf_free(&lx->shortfirst);
    buf_free(&lx->shortlast);
    pk_free(lx->e);
    pk_free(lx->eslot);
    pk_free(lx->b);
    pk_free(lx->bslot);
    pk_free(lx->r);
    pk_free(lx->irule);
    pk_free(lx->aslot);
    pk_free(lx->splits);
    pk_free(lx);
}

pk_status lexicon_load(const char *hunspell_base, const char *extra_path, lexicon **out, char **err)
{
    *out = NULL;
    lexicon *lx = pk_calloc(1, sizeof *lx);
    if (!lx) return PK_ENOMEM;
    buf_init(&lx->text);
    buf_init(&lx->particles);
    buf_init(&lx->nameheads);
    buf_init(&lx->shortfirst);
    buf_init(&lx->shortlast);
    lx->refs = 1;
    lx->fl_forbidden = lx->fl_needaffix = 0xFFFFFFFFu;
    lx->hash = ALGO_SEED;
    snprintf(lx->source, sizeof lx->source, "none");
    pk_status st = PK_OK;

    const char *one[2] = {hunspell_base, NULL};
    const char *const *bases = hunspell_base ? one : lexicon_system_paths;
    for (int k = 0; bases[k] && bases[k][0]; k++) {
        char dic[512], aff[512];
        snprintf(dic, sizeof dic, "%s.dic", bases[k]);
        snprintf(aff, sizeof aff, "%s.aff", bases[k]);
        uint8_t *ad = NULL, *dd = NULL;
        size_t an = 0, dn = 0;
        /* a missing pair is skipped (unless named), but never a failure to read one that exists */
        st = util_read_file(aff, &ad, &an, hunspell_base ? err : NULL);
        if (st == PK_OK) {
            st = util_read_file(dic, &dd, &dn, hunspell_base ? err : NULL);
            if (st != PK_OK) pk_free(ad);
        }
        if (st != PK_OK) {
            if (st == PK_ENOMEM || hunspell_base) goto fail;
            st = PK_OK;
            continue;
        }
        int rc = load_aff(lx, aff, (char *)ad, an, err);
        if (!rc) rc = load_dic(lx, dic, (const char *)dd, dn, err);
        lx->hash = util_hash64(ad, an, lx->hash);
        lx->hash = util_hash64(dd, dn, lx->hash);
        pk_free(ad);
        pk_free(dd);
        if (rc) { st = (pk_status)rc; goto fail; }
        snprintf(lx->source, sizeof lx->source, "hunspell:%s", bases[k]);
        break;
    }
    if (lx->fl_forbidden == 0xFFFFFFFFu) lx->fl_forbidden = 0;
    if (lx->fl_needaffix == 0xFFFFFFFFu) lx->fl_needaffix = 0;

    size_t sn = strlen(data_lexicon_sv);
    int src = load_supplement(lx, "rules/lexicon/sv.txt", data_lexicon_sv, sn, err);
    if (src) { st = (pk_status)src; goto fail; }
    lx->hash = util_hash64(data_lexicon_sv, sn, lx->hash);
    if (extra_path) {
        uint8_t *xd = NULL;
        size_t xn = 0;
        st = util_read_file(extra_path, &xd, &xn, err);
        if (st != PK_OK) goto fail;
        int rc = load_supplement(lx, extra_path, (const char *)xd, xn, err);
        lx->hash = util_hash64(xd, xn, lx->hash);
        pk_free(xd);
        if (rc) { st = (pk_status)rc; goto fail; }
    }
    if (rules_index(lx) || bforms_build(lx)) {
        nomem(err, "compound lexicon");
        st = PK_ENOMEM;
        goto fail;
    }
    if (lx->text.err) { st = PK_ENOMEM; goto fail; }
    *out = lx;
    return PK_OK;
fail:
    if (st == PK_OK) st = PK_ENOMEM;
    lexicon_destroy(lx);
    return st;
}

static pthread_mutex_t shared_mu = PTHREAD_MUTEX_INITIALIZER;
static lexicon *shared_lx;

pk_status lexicon_acquire(const char *extra_path, lexicon **out, char **err)
{
    if (extra_path) return lexicon_load(NULL, extra_path, out, err);
    pthread_mutex_lock(&shared_mu);
    if (shared_lx) {
        shared_lx->refs++;
        *out = shared_lx;
        pthread_mutex_unlock(&shared_mu);
        return PK_OK;
    }
    pk_status st = lexicon_load(NULL, NULL, out, err);
    if (st == PK_OK) {
        (*out)->shared = 1;
        shared_lx = *out;
    }
    pthread_mutex_unlock(&shared_mu);
    return st;
}

void lexicon_release(lexicon *lx)
{
    if (!lx) return;
    if (!lx->shared) {
        if (--lx->refs == 0) lexicon_destroy(lx);
        return;
    }
    pthread_mutex_lock(&shared_mu);
    if (--lx->refs == 0) {
        if (shared_lx == lx) shared_lx = NULL;
        lexicon_destroy(lx);
    }
    pthread_mutex_unlock(&shared_mu);
}

uint32_t lexicon_hash32(const lexicon *lx) { return (uint32_t)(lx->hash ^ (lx->hash >> 32)); }
const char *lexicon_source(const lexicon *lx) { return lx->source; }
size_t lexicon_entries(const lexicon *lx) { return lx->ne; }

/* ---- the splitter ---- */

#define INF 0x3fffffff

/* Weak evidence that chunk w[0..n) is a first part: a word of its own as it is, with a linking
 * -s-, or with a linking vowel; cheaper when the word is marked as a possible compound end
 * (nouns and adjectives).  Returns the penalty (0 = no evidence) and sets *part. */
static int weak_first(const lexicon *lx, const uint8_t *w, size_t n, size_t *part)
{
    uint8_t t[LX_MAXW + 2];
    /* words not marked as compound ends (verbs, adverbs, some nouns) only with four letters */
    int k = root_kind(lx, w, n);
    if (k == 2 || (k == 1 && chars_in(w, n) >= 4)) { *part = n; return k == 2 ? 10 : 16; }
    uint8_t last = w[n - 1];
    if (last == 's' && n > 3) {
        k = w[n - 2] != 's' ? root_kind(lx, w, n - 1) : 0;
        if (k == 2 || (k == 1 && chars_in(w, n - 1) >= 4)) {
            *part = n - 1;
            return k == 2 ? 12 : 18;
        }
        memcpy(t, w, n - 1);
        t[n - 1] = 'e';
        if (root_kind(lx, t, n) == 2) { *part = n - 1; return 15; }
    }
    if ((last == 'e' || last == 'o' || last == 'u') && n > 3) {
        memcpy(t, w, n - 1);
        t[n - 1] = 'a';
        if (root_kind(lx, t, n) == 2) { *part = n - 1; return last == 'e' ? 15 : 18; }
    }
    if (n + 1 <= LX_MAXW) {
        memcpy(t, w, n);
        t[n] = 'a';
        if (root_kind(lx, t, n + 1) == 2) { *part = n; return 20; }
        t[n] = 'e';
        if (root_kind(lx, t, n + 1) == 2) { *part = n; return 20; }
    }
    return 0;
}

/* Parts of two or three letters are often spurious; four-letter parts only on weak evidence. */
static int short_penalty(size_t chars, int weak)
{
    return chars <= 2 ? 40 : chars == 3 ? 20 : (chars == 4 && weak) ? 5 : 0;
}

static int double_consonant(const uint8_t *w, size_t j)
{
    uint8_t c = w[j - 1];
    if (c != w[j - 2] || c >= 0x80 || !(c >= 'b' && c <= 'z')) return 0;
    return c != 'e' && c != 'i' && c != 'o' && c != 'u' && c != 'y';
}

int compound_split(const lexicon *lx, const uint8_t *w, size_t n, cpd_part *parts, int max)
{
    if (!lx || n < 6 || n > LX_MAXW || max < 2) return 0;
    if (max > PK_MAX_PARTS) max = PK_MAX_PARTS;
    winfo wi;
    analyse(lx, w, n, &wi);
    if (wi.whole) return 0;
    if (wi.split) {
        const split_def *sd = &lx->splits[wi.split->split - 1];
        if (sd->n < 2 || sd->n > max) return 0;
        const uint8_t *lemma = key_of(lx, wi.split);
        size_t pos = 0;
        for (int k = 0; k + 1 < sd->n; k++) {
            parts[k].start = (uint16_t)pos;
            parts[k].len = sd->len[k];
            pos += (size_t)sd->len[k] + sd->link[k];
        }
        if (pos >= n || pos > wi.split->len || memcmp(w, lemma, pos) != 0) return 0;
        parts[sd->n - 1].start = (uint16_t)pos;
        parts[sd->n - 1].len = (uint16_t)(n - pos);
        return sd->n;
    }
    int strict = wi.known;
    if (strict && !wi.common) return 0;   /* proper nouns stay whole */

    int best[LX_MAXW + 1], back[LX_MAXW + 1], np[LX_MAXW + 1], ev[LX_MAXW + 1];
    uint8_t plen[LX_MAXW + 1];
    size_t cpos[LX_MAXW + 1];     /* character index of each byte position */
    size_t c = 0;
    for (size_t i = 0; i <= n; i++) {
        best[i] = INF;
        cpos[i] = c;
        if (i < n && (w[i] & 0xC0) != 0x80) c++;
    }
    best[0] = 0;
    np[0] = 0;
    ev[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (best[i] >= INF || (i < n && (w[i] & 0xC0) == 0x80)) continue;
        if (np[i] >= max - 1) continue;
        for (size_t j = i + 1; j < n; j++) {
            if ((w[j] & 0xC0) == 0x80) continue;
            size_t chunk_chars = cpos[j] - cpos[i];
            if (chunk_chars < 2) continue;
            if (chunk_chars == 2 && !is_short(&lx->shortfirst, w + i, j - i)) continue;
            if (cpos[n] - cpos[j] < 2) break;
            size_t part;
            int pen;
            const bform *b = bform_find(lx, w + i, j - i);
            if (b) { part = b->part; pen = 0; }
            else if (strict) continue;
            else if (!(pen = weak_first(lx, w + i, j - i, &part))) continue;
            size_t pc = chars_in(w + i, part);
            /* a short part of a known word only when Swedish uses it so (tids+plan, mål+grupp) */
            int listed = pc < 4 && is_short(&lx->shortfirst, w + i, part);
            if (pc < 2 || (strict && pc < 4 && !listed)) continue;
            if (i == 0 && in_word_list(&lx->particles, w, part)) {
                if (strict) continue;
                pen += 30;
            }
            /* a linking vowel loses a tie: detalj+planering, not detaljplan+e+ring */
            int vowel_link = part < j - i && strchr("aeou", w[j - 1]) != NULL;
            int cost = best[i] + 100 + pen + (listed ? 2 : short_penalty(pc, pen != 0)) + (vowel_link ? 3 : 0);
            if (cost < best[j]) {
                best[j] = cost;
                back[j] = (int)i;
                plen[j] = (uint8_t)part;
                np[j] = np[i] + 1;
                ev[j] = ev[i] + pen;
            }
            /* a triple consonant is written double: remiss+svar = remissvar, process+stöd =
             * processtöd; the next part then starts on the last letter of this one */
            if (part == j - i && j - i >= 3 && double_consonant(w, j) && w[j] != w[j - 1] &&
                cost + 30 < best[j - 1]) {
                best[j - 1] = cost + 30;
                back[j - 1] = (int)i;
                plen[j - 1] = (uint8_t)part;
                np[j - 1] = np[i] + 1;
                ev[j - 1] = ev[i] + pen;
            }
        }
    }
    int total = INF;
    size_t hi = 0;
    for (size_t i = 1; i < n; i++) {
        if (best[i] >= INF) continue;
        size_t hc = cpos[n] - cpos[i];
        /* heads of two letters only after a linking -s- (verksamhets+år) */
        int linked = plen[i] + (size_t)back[i] < i && w[i - 1] == 's';
        int listed = hc < 4 && is_short(&lx->shortlast, w + i, n - i);
        if (hc < (strict ? 4u : 3u) && !listed && !(hc == 2 && linked && !strict)) continue;
        winfo hw;
        analyse(lx, w + i, n - i, &hw);
        int pen;
        if (hw.head) pen = 0;
        else if (hw.plain && !strict && hc >= 4) pen = 15;
        else continue;
        /* weak evidence must not pile up: at most 20 per joint */
        if (ev[i] + pen > 20 * np[i]) continue;
        /* on a tie the longer first part wins: Swedish compounds branch to the left */
        int t = best[i] + 100 + pen + (listed ? 2 : short_penalty(hc, pen != 0));
        /* but an s that may start the head is not a linking s: klubb+sport, not klubbs+port */
        if (linked) {
            winfo sw;
            analyse(lx, w + i - 1, n - i + 1, &sw);
            if (sw.head) t += 1;
        }
        if (t <= total) { total = t; hi = i; }
    }
    if (total >= INF) return 0;
    int k = np[hi] + 1;
    if (k < 2 || k > max) return 0;
    if (!strict && (in_word_list(&lx->nameheads, w + hi, n - hi) ||
                    (w[n - 1] == 's' && in_word_list(&lx->nameheads, w + hi, n - hi - 1))))
        return 0;   /* a surname: Eriksson, Bergströms */
    parts[k - 1].start = (uint16_t)hi;
    parts[k - 1].len = (uint16_t)(n - hi);
    size_t j = hi;
    for (int q = k - 2; q >= 0; q--) {
        size_t i = (size_t)back[j];
        parts[q].start = (uint16_t)i;
        parts[q].len = plen[j];
        j = i;
    }
    return k;
}
