/* query_eval.c — compiling a parsed query against the index vocabulary, and evaluating it per
 * document over position lists or inside a passage of text. */
#include "query_eval.h"

#include <stdio.h>
#include <stdlib.h>

#include "util.h"

/* ---- term sets ---- */

static uint64_t term_hash(q_termkind kind, const char *t, size_t n)
{
    return util_hash64(t, n, 0x51a7u + (uint64_t)kind);
}

int termset_has(const q_termset *s, q_termkind kind, const char *t, size_t n)
{
    if (!s->nslots) return 0;
    size_t mask = s->nslots - 1;
    for (size_t i = term_hash(kind, t, n) & mask;; i = (i + 1) & mask) {
        uint32_t v = s->slots[i];
        if (!v) return 0;
        const q_term *q = &s->terms[v - 1];
        if (q->kind == kind && q->len == n && memcmp(q->text, t, n) == 0) return 1;
    }
}

static int rehash(q_termset *s, size_t nslots)
{
    uint32_t *slots = pk_calloc(nslots, sizeof *slots);
    if (!slots) return -1;
    for (size_t k = 0; k < s->n; k++) {
        size_t i = term_hash(s->terms[k].kind, s->terms[k].text, s->terms[k].len) & (nslots - 1);
        while (slots[i]) i = (i + 1) & (nslots - 1);
        slots[i] = (uint32_t)k + 1;
    }
    pk_free(s->slots);
    s->slots = slots;
    s->nslots = nslots;
    return 0;
}

int termset_add(q_termset *s, q_termkind kind, const char *t, size_t n)
{
    if (termset_has(s, kind, t, n)) return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        q_term *nt = pk_reallocarray(s->terms, cap, sizeof *nt);
        if (!nt) return -1;
        s->terms = nt;
        s->cap = cap;
    }
    char *copy = pk_strndup(t, n);
    if (!copy) return -1;
    s->terms[s->n++] = (q_term){kind, copy, (uint32_t)n};
    if ((s->n + 1) * 2 > s->nslots && rehash(s, s->nslots ? s->nslots * 2 : 16)) {
        pk_free(copy);
        s->n--;
        return -1;
    }
    if (s->nslots && s->n * 2 <= s->nslots) {
        /* insert the new term into the existing table */
        size_t mask = s->nslots - 1;
        size_t i = term_hash(kind, t, n) & mask;
        while (s->slots[i] && s->slots[i] != s->n) i = (i + 1) & mask;
        s->slots[i] = (uint32_t)s->n;
    }
    return 0;
}

void termset_free(q_termset *s)
{
    for (size_t i = 0; i < s->n; i++) pk_free(s->terms[i].text);
    pk_free(s->terms);
    pk_free(s->slots);
    memset(s, 0, sizeof *s);
}

/* ---- position vectors ---- */

void q_posvec_free(q_posvec *v)
{
    pk_free(v->p);
    v->p = NULL;
    v->n = v->cap = 0;
}

int q_posvec_push(q_posvec *v, uint32_t pos)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        uint32_t *np = pk_reallocarray(v->p, cap, sizeof *np);
        if (!np) return -1;
        v->p = np;
        v->cap = cap;
    }
    v->p[v->n++] = pos;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

void q_posvec_normalize(q_posvec *v)
{
    if (v->n < 2) return;
    int sorted = 1;
    for (size_t i = 1; i < v->n && sorted; i++) sorted = v->p[i - 1] < v->p[i];
    if (sorted) return;
    qsort(v->p, v->n, sizeof *v->p, cmp_u32);
    size_t w = 1;
    for (size_t i = 1; i < v->n; i++)
        if (v->p[i] != v->p[w - 1]) v->p[w++] = v->p[i];
    v->n = w;
}

/* ---- expansion ---- */

/* Swedish inflectional endings: a form base+ending is an inflection of base (nouns, adjectives,
 * verbs; genitive -s on each).  Derivations (-ning, -het, -lig) are not inflections. */
static const char *const endings[] = {
    "", "s", "n", "ns", "en", "ens", "et", "ets", "na", "nas", "r", "rs", "ar", "ars", "arna", "arnas",
    "er", "ers", "erna", "ernas", "or", "ors", "orna", "ornas", "an", "ans", "t", "ts", "e", "es", "a",
    "as", "ade", "ades", "at", "ad", "ande", "ende", "de", "te", "dd", "tt", "are", "ast", "aste",
};

static int is_ending(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof endings / sizeof endings[0]; i++)
        if (strlen(endings[i]) == n && memcmp(endings[i], s, n) == 0) return 1;
    return 0;
}

typedef struct expand_ctx {
    q_termset *set;
    size_t     baselen;
    int        any_suffix;   /* prefix query: every form counts */
    int        failed;
} expand_ctx;

static int on_form(void *ud, const char *form, size_t fl, const char *stem, size_t sl)
{
    expand_ctx *c = ud;
    if (fl < c->baselen) return 0;
    if (!c->any_suffix && !is_ending(form + c->baselen, fl - c->baselen)) return 0;
    if (termset_add(c->set, QT_WHOLE, stem, sl)) { c->failed = 1; return 1; }
    return 0;
}

typedef struct term_ctx {
    q_termset *set;
    q_termkind kind;
    const char *exact;   /* when set, only this term */
    size_t      exact_len;
    int         found, failed;
} term_ctx;

static int on_term(void *ud, const char *t, size_t tl)
{
    term_ctx *c = ud;
    if (c->exact) {
        if (tl == c->exact_len && memcmp(t, c->exact, tl) == 0) c->found = 1;
        return 1;   /* sorted: the first entry with the prefix decides */
    }
    if (termset_add(c->set, c->kind, t, tl)) { c->failed = 1; return 1; }
    return 0;
}

static int vocab_has(const q_vocab *v, q_termkind kind, const char *t, size_t n)
{
    term_ctx c = {NULL, kind, t, n, 0, 0};
    if (v->terms_prefix(v->ud, kind, t, n, on_term, &c) < 0) return -1;
    return c.found;
}

/* Topic: the stems of the word's inflected forms found in the index, as whole words and, unless
 * whole_only, as compound parts. */
static int expand_topic(const q_vocab *v, const pk_token *tok, int whole_only, q_termset *set)
{
    q_termset stems = {0};
    if (termset_add(&stems, QT_WHOLE, tok->stem, tok->stem_len)) { termset_free(&stems); return -1; }
    const char *w = tok->norm;
    size_t n = tok->norm_len;
    size_t bases[2] = {n, 0};
    int nb = 1;
    /* fråga -> frågor, frågan: the base without its final vowel */
    if (n >= 4 && (w[n - 1] == 'a' || w[n - 1] == 'e' || w[n - 1] == 'o')) bases[nb++] = n - 1;
    for (int b = 0; b < nb; b++) {
        expand_ctx c = {&stems, bases[b], 0, 0};
        if (v->forms_prefix(v->ud, w, bases[b], on_form, &c) < 0 || c.failed) { termset_free(&stems); return -1; }
    }
    int rc = 0;
    for (size_t i = 0; i < stems.n && rc == 0; i++) {
        const q_term *t = &stems.terms[i];
        for (int kind = QT_WHOLE; kind <= (whole_only ? QT_WHOLE : QT_PART); kind++) {
            int has = vocab_has(v, (q_termkind)kind, t->text, t->len);
            if (has < 0) { rc = -1; break; }
            if (has && termset_add(set, (q_termkind)kind, t->text, t->len)) { rc = -1; break; }
        }
    }
    termset_free(&stems);
    return rc;
}

static int expand_prefix(const q_vocab *v, const char *p, size_t n, q_termset *set)
{
    for (int kind = QT_WHOLE; kind <= QT_PART; kind++) {
        term_ctx c = {set, (q_termkind)kind, NULL, 0, 0, 0};
        if (v->terms_prefix(v->ud, (q_termkind)kind, p, n, on_term, &c) < 0 || c.failed) return -1;
    }
    expand_ctx c = {set, n, 1, 0};
    if (v->forms_prefix(v->ud, p, n, on_form, &c) < 0 || c.failed) return -1;
    return 0;
}

typedef struct phrase_ctx {
    pk_analyzer *a;
    const q_vocab *v;
    q_leaf *leaf;
    uint32_t first;
    int failed;
} phrase_ctx;

static int on_phrase_token(void *ud, const pk_token *tok)
{
    phrase_ctx *c = ud;
    if (tok->flags & PK_TOK_STOP) return 0;
    q_leaf *l = c->leaf;
    q_termset *sets = pk_reallocarray(l->sets, l->nwords + 1, sizeof *sets);
    if (!sets) { c->failed = 1; return 1; }
    l->sets = sets;
    uint32_t *offs = pk_reallocarray(l->offsets, l->nwords + 1, sizeof *offs);
    if (!offs) { c->failed = 1; return 1; }
    l->offsets = offs;
    if (l->nwords == 0) c->first = tok->pos;
    memset(&l->sets[l->nwords], 0, sizeof l->sets[0]);
    l->offsets[l->nwords] = tok->pos - c->first;
    l->nwords++;
    if (expand_topic(c->v, tok, 1, &l->sets[l->nwords - 1])) { c->failed = 1; return 1; }
    return 0;
}

static void lower_ascii_copy(char *d, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) d[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    d[n] = 0;
}

static pk_status compile_leaf(q_compiled *qc, const q_node *nd, pk_analyzer *a, const q_vocab *v)
{
    q_leaf *leaves = pk_reallocarray(qc->leaves, qc->nleaves + 1, sizeof *leaves);
    if (!leaves) return PK_ENOMEM;
    qc->leaves = leaves;
    q_leaf *l = &qc->leaves[qc->nleaves++];
    memset(l, 0, sizeof *l);
    l->node = nd;
    if (nd->kind == Q_PHRASE) {
        phrase_ctx c = {a, v, l, 0, 0};
        pk_status st = pk_analyze(a, nd->text, nd->len, on_phrase_token, &c);
        if (st != PK_OK) return st;
        return c.failed ? PK_ENOMEM : PK_OK;
    }
    l->sets = pk_calloc(1, sizeof *l->sets);
    l->offsets = pk_calloc(1, sizeof *l->offsets);
    if (!l->sets || !l->offsets) return PK_ENOMEM;
    l->nwords = 1;
    pk_token tok;
    pk_status st = pk_analyze_word(a, nd->text, nd->len, &tok);
    if (st != PK_OK) return st;
    switch (nd->kind) {
    case Q_EXACT: {
        int has = vocab_has(v, QT_WHOLE, tok.stem, tok.stem_len);
        if (has < 0) return PK_EIO;
        if (has && termset_add(&l->sets[0], QT_WHOLE, tok.stem, tok.stem_len)) return PK_ENOMEM;
        return PK_OK;
    }
    case Q_PREFIX:
        return expand_prefix(v, tok.norm, tok.norm_len, &l->sets[0]) ? PK_ENOMEM : PK_OK;
    default:
        if (tok.flags & PK_TOK_STOP) return PK_OK;   /* stopwords are not indexed: matches nothing */
        return expand_topic(v, &tok, 0, &l->sets[0]) ? PK_ENOMEM : PK_OK;
    }
}

static pk_status compile_node(q_compiled *qc, const q_node *nd, pk_analyzer *a, const q_vocab *v, int top)
{
    switch (nd->kind) {
    case Q_TOPIC: case Q_EXACT: case Q_PREFIX: case Q_PHRASE:
        return compile_leaf(qc, nd, a, v);
    case Q_IN:
        qc->in = nd->in;
        return PK_OK;
    case Q_BODY:
        if (top && !qc->body) {
            if (!(qc->body = pk_malloc(nd->len + 1))) return PK_ENOMEM;
            lower_ascii_copy(qc->body, nd->text, nd->len);
        }
        return PK_OK;
    case Q_DATES:
        if (top) {
            if (nd->from != PK_NODATE && (qc->from == PK_NODATE || nd->from > qc->from)) qc->from = nd->from;
            if (nd->to != PK_NODATE && (qc->to == PK_NODATE || nd->to < qc->to)) qc->to = nd->to;
        }
        return PK_OK;
    default:
        for (size_t i = 0; i < nd->nkids; i++) {
            pk_status st = compile_node(qc, nd->kids[i], a, v, top && nd->kind == Q_AND);
            if (st != PK_OK) return st;
        }
        return PK_OK;
    }
}

static int has_positive(const q_node *nd)
{
    switch (nd->kind) {
    case Q_TOPIC: case Q_EXACT: case Q_PREFIX: case Q_PHRASE: return 1;
    case Q_NOT: return 0;
    default:
        for (size_t i = 0; i < nd->nkids; i++)
            if (has_positive(nd->kids[i])) return 1;
        return 0;
    }
}

pk_status qc_compile(const char *query, pk_analyzer *a, const q_vocab *v, q_compiled **out, char *msg, size_t msgcap)
{
    *out = NULL;
    q_compiled *qc = pk_calloc(1, sizeof *qc);
    if (!qc) {
        if (msg && msgcap) snprintf(msg, msgcap, "%s", pk_strerror(PK_ENOMEM));
        return PK_ENOMEM;
    }
    qc->from = qc->to = PK_NODATE;
    size_t col;
    pk_status st = query_parse(query, strlen(query), &qc->root, msg, msgcap, &col);
    if (st == PK_OK) st = compile_node(qc, qc->root, a, v, 1);
    if (st != PK_OK) {
        if (st != PK_ESYNTAX && msg && msgcap) snprintf(msg, msgcap, "%s", pk_strerror(st));
        qc_free(qc);
        return st;
    }
    qc->has_positive = has_positive(qc->root);
    *out = qc;
    return PK_OK;
}

void qc_free(q_compiled *qc)
{
    if (!qc) return;
    for (size_t i = 0; i < qc->nleaves; i++) {
        for (size_t w = 0; w < qc->leaves[i].nwords; w++) termset_free(&qc->leaves[i].sets[w]);
        pk_free(qc->leaves[i].sets);
        pk_free(qc->leaves[i].offsets);
    }
    pk_free(qc->leaves);
    pk_free(qc->body);
    query_free(qc->root);
    pk_free(qc);
}

pk_status qc_matched_terms(const q_compiled *qc, char ***out, size_t *n)
{
    q_termset all = {0};
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < qc->nleaves; i++)
        for (size_t w = 0; w < qc->leaves[i].nwords; w++)
            for (size_t k = 0; k < qc->leaves[i].sets[w].n; k++) {
                const q_term *t = &qc->leaves[i].sets[w].terms[k];
                if (termset_add(&all, t->kind, t->text, t->len)) { termset_free(&all); return PK_ENOMEM; }
            }
    char **list = pk_calloc(all.n ? all.n : 1, sizeof *list);
    if (!list) { termset_free(&all); return PK_ENOMEM; }
    for (size_t k = 0; k < all.n; k++) {
        list[k] = all.terms[k].kind == QT_PART ? pk_sprintf("+%s", all.terms[k].text) : pk_strdup(all.terms[k].text);
        if (!list[k]) {
            for (size_t j = 0; j < k; j++) pk_free(list[j]);
            pk_free(list);
            termset_free(&all);
            return PK_ENOMEM;
        }
    }
    *out = list;
    *n = all.n;
    termset_free(&all);
    return PK_OK;
}

/* ---- evaluation ---- */

typedef struct eval_ctx {
    const q_compiled *qc;
    const q_posvec   *lists;
    size_t            leaf;     /* next leaf index, in tree order */
    q_posvec          acc;      /* union of positive positions */
    int               failed;
} eval_ctx;

/* Returns 1 when nd matches; appends nd's positive positions to *pos when pos is not NULL. */
static int eval(eval_ctx *c, const q_node *nd, q_posvec *pos)
{
    switch (nd->kind) {
    case Q_TOPIC: case Q_EXACT: case Q_PREFIX: case Q_PHRASE: {
        const q_posvec *l = &c->lists[c->leaf++];
        if (pos)
            for (size_t i = 0; i < l->n; i++)
                if (q_posvec_push(pos, l->p[i])) c->failed = 1;
        return l->n > 0;
    }
    case Q_NOT: {
        int m = eval(c, nd->kids[0], NULL);
        return !m;
    }
    case Q_AND: {
        int all = 1;
        size_t mark = pos ? pos->n : 0;
        for (size_t i = 0; i < nd->nkids; i++)
            if (!eval(c, nd->kids[i], pos)) all = 0;
        if (!all && pos) pos->n = mark;
        return all;
    }
    case Q_OR: {
        int any = 0;
        for (size_t i = 0; i < nd->nkids; i++) {
            size_t mark = pos ? pos->n : 0;
            if (eval(c, nd->kids[i], pos)) any = 1;
            else if (pos) pos->n = mark;
        }
        return any;
    }
    default:
        return 1;   /* filters are applied by the caller against the document table */
    }
}

int qc_eval_doc(const q_compiled *qc, const q_posvec *lists, uint64_t *hits)
{
    eval_ctx c = {qc, lists, 0, {0}, 0};
    int m = eval(&c, qc->root, &c.acc);
    q_posvec_normalize(&c.acc);
    *hits = m && !c.failed ? c.acc.n : 0;
    q_posvec_free(&c.acc);
    return c.failed ? -1 : m;
}

typedef struct text_ctx {
    const q_compiled *qc;
    q_posvec *words;      /* one list per leaf word, flattened */
    q_posvec *spans;
    int failed;
} text_ctx;

static int on_text_token(void *ud, const pk_token *tok)
{
    text_ctx *c = ud;
    if (tok->flags & PK_TOK_STOP) return 0;
    size_t w = 0;
    int hit_any = 0;
    for (size_t i = 0; i < c->qc->nleaves; i++) {
        const q_leaf *l = &c->qc->leaves[i];
        for (size_t k = 0; k < l->nwords; k++, w++) {
            const q_termset *s = &l->sets[k];
            int hit = termset_has(s, QT_WHOLE, tok->stem, tok->stem_len);
            for (uint32_t p = 0; !hit && p < tok->nparts; p++)
                hit = termset_has(s, QT_PART, tok->parts[p].stem, tok->parts[p].stem_len);
            if (hit) {
                hit_any = 1;
                if (q_posvec_push(&c->words[w], tok->pos)) { c->failed = 1; return 1; }
            }
        }
    }
    if (hit_any && c->spans && (q_posvec_push(c->spans, tok->start) || q_posvec_push(c->spans, tok->end))) {
        c->failed = 1;
        return 1;
    }
    return 0;
}

/* Positions where all words of a phrase occur at their offsets. */
static int phrase_starts(const q_leaf *l, const q_posvec *words, q_posvec *out)
{
    const q_posvec *first = &words[0];
    for (size_t i = 0; i < first->n; i++) {
        uint32_t p = first->p[i];
        int ok = 1;
        for (size_t k = 1; k < l->nwords && ok; k++) {
            uint32_t want = p + l->offsets[k];
            const q_posvec *v = &words[k];
            /* binary search */
            size_t lo = 0, hi = v->n;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (v->p[mid] < want) lo = mid + 1; else hi = mid;
            }
            ok = lo < v->n && v->p[lo] == want;
        }
        if (ok && q_posvec_push(out, p)) return -1;
    }
    return 0;
}

int qc_leaf_positions(const q_leaf *l, q_posvec *words, q_posvec *out)
{
    out->n = 0;
    if (l->nwords == 0) return 0;
    for (size_t k = 0; k < l->nwords; k++) q_posvec_normalize(&words[k]);
    if (l->nwords == 1) {
        for (size_t i = 0; i < words[0].n; i++)
            if (q_posvec_push(out, words[0].p[i])) return -1;
        return 0;
    }
    return phrase_starts(l, words, out);
}

pk_status qc_match_text(const q_compiled *qc, pk_analyzer *a, const char *text, size_t len, q_posvec *lists,
                        q_posvec *spans)
{
    size_t nw = 0;
    for (size_t i = 0; i < qc->nleaves; i++) nw += qc->leaves[i].nwords;
    q_posvec *words = pk_calloc(nw ? nw : 1, sizeof *words);
    if (!words) return PK_ENOMEM;
    text_ctx c = {qc, words, spans, 0};
    if (spans) spans->n = 0;
    pk_status st = pk_analyze(a, text, len, on_text_token, &c);
    if (st == PK_OK && c.failed) st = PK_ENOMEM;
    size_t w = 0;
    for (size_t i = 0; i < qc->nleaves && st == PK_OK; i++) {
        if (qc_leaf_positions(&qc->leaves[i], &words[w], &lists[i])) st = PK_ENOMEM;
        w += qc->leaves[i].nwords;
    }
    for (size_t k = 0; k < nw; k++) q_posvec_free(&words[k]);
    pk_free(words);
    return st;
}
