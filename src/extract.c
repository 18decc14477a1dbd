/* extract.c — the extractor handle, the per-document pool, and the JSON record it produces. */
#include "extract.h"

#include <stdarg.h>
#include <stdio.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "date.h"
#include "decode.h"
#include "json.h"
#include "jsonread.h"

/* ---- scratch vectors and the string pool ---- */

void *extract_vec_push(pk_extractor *x, void *vec, size_t elem)
{
    struct { uint8_t *v; size_t n, cap; } *g = vec;
    if (x->oom) return NULL;
    if (g->n == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 16;
        void *nv = pk_reallocarray(g->v, nc, elem);
        if (!nv) { x->oom = 1; return NULL; }
        g->v = nv;
        g->cap = nc;
    }
    uint8_t *p = g->v + g->n * elem;
    memset(p, 0, elem);
    g->n++;
    return p;
}

str pool_put(pk_extractor *x, const char *s, size_t n)
{
    str r = {STR_NULL, 0};
    if (x->pool.n > UINT32_MAX - n - 2) { x->oom = 1; return r; }
    uint32_t off = (uint32_t)x->pool.n;
    /* the text may lie in the pool itself: growing the pool would move it */
    const uint8_t *base = x->pool.p;
    int inside = base && (const uint8_t *)s >= base && (const uint8_t *)s < base + x->pool.n;
    size_t from = inside ? (size_t)((const uint8_t *)s - base) : 0;
    if (buf_reserve(&x->pool, n + 1)) { x->oom = 1; return r; }
    if (inside) s = (const char *)x->pool.p + from;
    buf_put(&x->pool, s, n);
    buf_putc(&x->pool, 0);
    if (x->pool.err) { x->oom = 1; return r; }
    r.off = off;
    r.len = (uint32_t)n;
    return r;
}

/* The text of [s, e) as one line: lines marked as page headers are left out, list and heading
 * markers of continuation lines dropped, runs of white space made one space, ends trimmed. */
/* the white space pool_clean collapses */
static const uint8_t ws_tab[256] = {[' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1};

/* The end of the run of text from j: the first white space in [j, b) that is not one blank
 * between two words (b when none). */
static uint32_t run_end(const char *t, uint32_t j, uint32_t b)
{
#if defined(__SSE2__)
    /* sixteen at a time: a tab, CR or newline, or a blank before white space */
    const __m128i sp = _mm_set1_epi8(' '), ht = _mm_set1_epi8('\t'), cr = _mm_set1_epi8('\r'),
                  nl = _mm_set1_epi8('\n');
    while (j + 17 <= b) {
        __m128i c = _mm_loadu_si128((const __m128i *)(t + j)), d = _mm_loadu_si128((const __m128i *)(t + j + 1));
        __m128i other = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(c, ht), _mm_cmpeq_epi8(c, cr)), _mm_cmpeq_epi8(c, nl));
        __m128i dws = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(d, sp), _mm_cmpeq_epi8(d, ht)),
                                   _mm_or_si128(_mm_cmpeq_epi8(d, cr), _mm_cmpeq_epi8(d, nl)));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(other, _mm_and_si128(_mm_cmpeq_epi8(c, sp), dws)));
        if (m) return j + (uint32_t)__builtin_ctz(m);
        j += 16;
    }
#endif
    for (;;) {
        while (j < b && !ws_tab[(unsigned char)t[j]]) j++;
        if (j + 1 < b && t[j] == ' ' && !ws_tab[(unsigned char)t[j + 1]]) { j += 2; continue; }
        return j;
    }
}

str pool_clean(pk_extractor *x, uint32_t s, uint32_t e)
{
    str r = {STR_NULL, 0};
    if (e <= s) return pool_put(x, "", 0);
    if (x->pool.n > UINT32_MAX - (e - s) - 2) { x->oom = 1; return r; }
    uint32_t off = (uint32_t)x->pool.n;
    if (buf_reserve(&x->pool, e - s + 1)) { x->oom = 1; return r; }
    uint32_t li = extract_line_at(x, s);
    int space = 0, any = 0;
    for (; li < x->lines.n; li++) {
        const line *L = &x->lines.v[li];
        if (L->s >= e) break;
        if (L->flags & LF_SKIP) continue;
        uint32_t a = L->s > s ? L->cs : s;
        if (a < L->s) a = L->s;
        uint32_t b = L->e < e ? L->e : e;
        for (uint32_t i = a; i < b;) {
            unsigned char c = (unsigned char)x->text[i];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') { space = any; i++; continue; }
            if (space) { x->pool.p[x->pool.n++] = ' '; space = 0; }
            /* a run of characters up to white space other than one blank between words, in one copy */
            uint32_t j = run_end(x->text, i + 1, b);
            memcpy(x->pool.p + x->pool.n, x->text + i, j - i);
            x->pool.n += j - i;
            i = j;
            any = 1;
        }
        space = any;
    }
    x->pool.p[x->pool.n++] = 0;
    r.off = off;
    r.len = (uint32_t)(x->pool.n - off - 1);
    return r;
}

void warn(pk_extractor *x, const char *fmt, ...)
{
    char tmp[300];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof tmp) {
        /* cut: drop a character the cut left incomplete (pool strings must be valid UTF-8) */
        size_t k = sizeof tmp - 1, cont = 0;
        while (k && cont < 3 && ((unsigned char)tmp[k - 1] & 0xC0) == 0x80) { k--; cont++; }
        unsigned char c = k ? (unsigned char)tmp[k - 1] : 0;
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        n = (int)(k && cont + 1 < need ? k - 1 : sizeof tmp - 1);
    }
    for (size_t i = 0; i < x->warnings.n; i++)   /* the same warning once per document */
        if (x->warnings.v[i].len == (uint32_t)n && memcmp(pool_at(x, x->warnings.v[i]), tmp, (size_t)n) == 0) return;
    str s = pool_put(x, tmp, (size_t)n);
    str *w = PUSH(x, x->warnings);
    if (w) *w = s;
}

uint32_t extract_line_at(pk_extractor *x, uint32_t p)
{
    const line *v = x->lines.v;
    size_t n = x->lines.n, lo = 0, hi = n;
    uint32_t li = x->line_hint;
    if (li < n && v[li].s <= p) {
        /* on from the last answer: callers mostly go through the text in order */
        for (int k = 0; k < 8; k++, li++)
            if (li + 1 >= n || v[li + 1].s > p) { x->line_hint = li; return li; }
        lo = li;
    } else if (li < n) {
        hi = li;
    }
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (v[mid].s <= p) lo = mid; else hi = mid;
    }
    x->line_hint = (uint32_t)lo;
    return (uint32_t)lo;
}

uint32_t extract_trim(const char *t, uint32_t *s, uint32_t e)
{
    while (*s < e && (t[*s] == ' ' || t[*s] == '\t')) (*s)++;
    while (e > *s && (t[e - 1] == ' ' || t[e - 1] == '\t')) e--;
    return e;
}

size_t extract_split_names(const char *p, size_t n, name_part *out, size_t max)
{
    static const char *const seps[] = {" och ", " samt ", " & ", ", ", " and ", ","};
    size_t k = 0, a = 0;
    for (size_t i = 0; i <= n && k < max;) {
        size_t sl = 0;
        /* every separator starts with a blank or a comma */
        if (i < n && (p[i] == ' ' || p[i] == ','))
            for (size_t s = 0; s < sizeof seps / sizeof seps[0]; s++) {
                size_t l = strlen(seps[s]);
                if (i + l <= n && memcmp(p + i, seps[s], l) == 0) { sl = l; break; }
            }
        if (i == n || sl) {
            size_t b = a, e = i;
            while (b < e && (p[b] == ' ' || p[b] == ',' || p[b] == '\t')) b++;
            while (e > b && (p[e - 1] == ' ' || p[e - 1] == ',' || p[e - 1] == '.' || p[e - 1] == '\t')) e--;
            if (e > b) { out[k].p = p + b; out[k].n = e - b; k++; }
            if (i == n) break;
            i += sl;
            a = i;
            continue;
        }
        i++;
    }
    return k;
}

/* ---- the handle ---- */

/* The message of the last failed pk_extractor_new in this thread (pk_extractor_errmsg(NULL)). */
static _Thread_local pk_msg new_failure;

pk_status pk_extractor_new(const char *rules_path, pk_extractor **out)
{
    *out = NULL;
    msg_clear(&new_failure);
    pk_extractor *x = pk_calloc(1, sizeof *x);
    if (!x) {
        msg_set(&new_failure, "extractor: out of memory");
        return PK_ENOMEM;
    }
    buf_init(&x->pool);
    pk_status st = rules_load(&x->rs, rules_path, &x->msg);
    if (st) {
        new_failure = x->msg;
        pk_free(x);
        return st;
    }
    static const rule_kind label_kinds[] = {RK_BLOCK_DECISION, RK_BLOCK_PROPOSAL, RK_BLOCK_OTHER, RK_PRESENT,
                                            RK_ABSENT, RK_SIG_SECTION, RK_SIG_RECORDED, RK_SIG_APPROVED};
    rules_lead_union(&x->rs, label_kinds, sizeof label_kinds / sizeof label_kinds[0], &x->label_leads);
    static const rule_kind key_kinds[] = {RK_KEY};
    rules_lead_union(&x->rs, key_kinds, 1, &x->key_leads);
    x->rule_last = pk_calloc(x->rs.n ? x->rs.n : 1, sizeof *x->rule_last);
    if (!x->rule_last) {
        msg_set(&new_failure, "extractor: out of memory");
        pk_extractor_free(x);
        return PK_ENOMEM;
    }
    *out = x;
    return PK_OK;
}

static int push_hit(void *ud, rule_hit h)
{
    pk_extractor *x = ud;
    if (x->hits.n < x->hits.cap) { x->hits.v[x->hits.n++] = h; return 1; }
    rule_hit *p = PUSH(x, x->hits);
    if (!p) return 0;
    *p = h;
    return 1;
}

void extract_keys(pk_extractor *x)
{
    if (!rules_scan(&x->rs, (const uint8_t *)x->text, x->len, push_hit, x)) x->oom = 1;
    memset(x->rule_last, 0, x->rs.n * sizeof *x->rule_last);   /* rule_last: end of the last window */
    x->last_dated = 0;
    /* the hits again, by the kind of their rule (in text order within a kind): each sentence kind
     * then walks its own hits only */
    memset(x->khit_start, 0, sizeof x->khit_start);
    if (x->oom || !x->hits.n) return;
    if (x->khits.cap < x->hits.n) {
        rule_hit *nv = pk_reallocarray(x->khits.v, x->hits.n, sizeof *nv);
        if (!nv) { x->oom = 1; return; }
        x->khits.v = nv;
        x->khits.cap = x->hits.n;
    }
    uint32_t count[RK_COUNT + 1] = {0};
    for (size_t h = 0; h < x->hits.n; h++) count[x->rs.rules[x->hits.v[h].rule].kind + 1]++;
    for (int k = 0; k < RK_COUNT; k++) count[k + 1] += count[k];
    memcpy(x->khit_start, count, sizeof x->khit_start);
    for (size_t h = 0; h < x->hits.n; h++) x->khits.v[count[x->rs.rules[x->hits.v[h].rule].kind]++] = x->hits.v[h];
    x->khits.n = x->hits.n;
}

void pk_extractor_free(pk_extractor *x)
{
    if (!x) return;
    rules_free(&x->rs);
    buf_free(&x->pool);
    pk_free(x->lines.v);
    pk_free(x->units.v);
    pk_free(x->items.v);
    pk_free(x->people.v);
    pk_free(x->decisions.v);
    pk_free(x->followups.v);
    pk_free(x->upcoming.v);
    pk_free(x->proposals.v);
    pk_free(x->sats.v);
    pk_free(x->warnings.v);
    pk_free(x->pblocks.v);
    pk_free(x->scratch.v);
    pk_free(x->hits.v);
    pk_free(x->khits.v);
    pk_free(x->sbounds.v);
    pk_free(x->ucache.v);
    pk_free(x->rule_last);
    pk_free(x);
}

const char *pk_extractor_errmsg(const pk_extractor *x)
{
    return x ? x->msg.text : new_failure.text;
}

pk_status pk_extract_pretty(const char *json, char **out)
{
    *out = NULL;
    if (!json) return PK_EINVAL;
    json_t *v;
    pk_status st = json_read(json, strlen(json), 1, &v, NULL);
    if (st != PK_OK) return st == PK_ENOMEM ? PK_ENOMEM : PK_EINVAL;
    *out = json_dump_pretty(v);
    json_decref(v);
    return *out ? PK_OK : PK_ENOMEM;
}

/* ---- JSON: the record, written in one pass (json.h's streaming writer) ---- */

static void w_str(json_w *w, const pk_extractor *x, str s)
{
    /* pool strings are pieces of the validated text */
    if (s.off == STR_NULL) jw_null(w);
    else jw_str_utf8(w, pool_at(x, s), s.len);
}

static void w_span(json_w *w, uint32_t s, uint32_t e)
{
    jw_key(w, "span");
    jw_arr(w);
    jw_int(w, s);
    jw_int(w, e);
    jw_arr_end(w);
}

static void w_time(json_w *w, int h, int m)
{
    if (h < 0 || h > 24 || m < 0 || m > 59) { jw_null(w); return; }
    char b[5] = {(char)('0' + h / 10), (char)('0' + h % 10), ':', (char)('0' + m / 10), (char)('0' + m % 10)};
    jw_str(w, b, 5);
}

static void w_date(json_w *w, int32_t d)
{
    char b[11];
    pk_date_format(d, b);
    if (d == PK_NODATE || !b[0]) jw_null(w);
    else jw_str(w, b, 10);
}

static void w_item(json_w *w, const pk_extractor *x, uint32_t idx)
{
    if (!idx || idx > x->items.n) { jw_null(w); return; }
    const item *it = &x->items.v[idx - 1];
    w_str(w, x, it->number.off != STR_NULL ? it->number : it->title);
}

/* Names joined by '\n' as an array. */
static void w_list(json_w *w, const pk_extractor *x, str s)
{
    jw_arr(w);
    if (s.off != STR_NULL) {
        const char *p = pool_at(x, s), *end = p + s.len;
        while (p < end) {
            const char *q = memchr(p, '\n', (size_t)(end - p));
            if (!q) q = end;
            if (q > p) jw_str_utf8(w, p, (size_t)(q - p));
            p = q + 1;
        }
    }
    jw_arr_end(w);
}

static size_t list_count(const pk_extractor *x, str s)
{
    if (s.off == STR_NULL || !s.len) return 0;
    size_t n = 1;
    const char *p = pool_at(x, s);
    for (uint32_t i = 0; i < s.len; i++) n += p[i] == '\n';
    return n;
}

static void write_record(pk_extractor *x, const pk_doc *doc, pk_buf *out)
{
    json_w jw, *w = &jw;
    jw_init(w, out);
    const record *r = &x->rec;
    jw_obj(w);
    jw_key(w, "source");
    jw_str(w, doc->path ? doc->path : "", doc->path ? strlen(doc->path) : 0);

    jw_key(w, "meeting");
    jw_obj(w);
    jw_key(w, "title"); w_str(w, x, r->title);
    jw_key(w, "body"); w_str(w, x, r->body);
    jw_key(w, "date"); w_date(w, r->date);
    jw_key(w, "start"); w_time(w, r->h1, r->m1);
    jw_key(w, "end"); w_time(w, r->h2, r->m2);
    jw_key(w, "place"); w_str(w, x, r->place);
    jw_key(w, "date_source");
    if (r->date == PK_NODATE) jw_null(w);
    else if (r->date_src == DATE_SRC_TEXT) jw_str(w, "text", 4);
    else if (r->date_src == DATE_SRC_FILENAME) jw_str(w, "filename", 8);
    else jw_str(w, "reader", 6);
    jw_obj_end(w);

    jw_key(w, "participants");
    jw_arr(w);
    for (size_t i = 0; i < x->people.n; i++) {
        const person *p = &x->people.v[i];
        jw_obj(w);
        jw_key(w, "name"); w_str(w, x, p->name);
        jw_key(w, "organization"); w_str(w, x, p->org);
        jw_key(w, "role"); w_str(w, x, p->role);
        jw_key(w, "arrived_at"); w_str(w, x, p->arrived);
        jw_key(w, "left_at"); w_str(w, x, p->left);
        jw_key(w, "party"); w_str(w, x, p->party);
        w_span(w, p->s, p->e);
        jw_obj_end(w);
    }
    jw_arr_end(w);

    jw_key(w, "agenda");
    jw_arr(w);
    for (size_t i = 0; i < x->items.n; i++) {
        const item *it = &x->items.v[i];
        jw_obj(w);
        jw_key(w, "number"); w_str(w, x, it->number);
        jw_key(w, "title"); w_str(w, x, it->title);
        w_span(w, it->s, it->e);
        jw_obj_end(w);
    }
    jw_arr_end(w);

    jw_key(w, "decisions");
    jw_arr(w);
    for (size_t i = 0; i < x->decisions.n; i++) {
        const decision *d = &x->decisions.v[i];
        jw_obj(w);
        jw_key(w, "item"); w_item(w, x, d->item);
        jw_key(w, "text"); w_str(w, x, d->text);
        w_span(w, d->s, d->e);
        jw_obj_end(w);
    }
    jw_arr_end(w);

    jw_key(w, "follow_ups");
    jw_arr(w);
    for (size_t i = 0; i < x->followups.n; i++) {
        const followup *f = &x->followups.v[i];
        jw_obj(w);
        jw_key(w, "item"); w_item(w, x, f->item);
        jw_key(w, "text"); w_str(w, x, f->text);
        jw_key(w, "owners"); w_list(w, x, f->owners);
        jw_key(w, "due"); w_date(w, f->due);
        w_span(w, f->s, f->e);
        jw_obj_end(w);
    }
    jw_arr_end(w);

    jw_key(w, "upcoming_meetings");
    jw_arr(w);
    for (size_t i = 0; i < x->upcoming.n; i++) {
        const meeting_ref *u = &x->upcoming.v[i];
        jw_obj(w);
        jw_key(w, "date"); w_date(w, u->date);
        jw_key(w, "start"); w_time(w, u->h1, u->m1);
        jw_key(w, "end"); w_time(w, u->h2, u->m2);
        jw_key(w, "text"); w_str(w, x, u->text);
        w_span(w, u->s, u->e);
        jw_obj_end(w);
    }
    jw_arr_end(w);

    jw_key(w, "signatures");
    jw_obj(w);
    jw_key(w, "recorded_by"); w_str(w, x, r->recorded_by);
    /* one approver as a string (the DESIGN shape), several as a list; "approvers" is always a list */
    jw_key(w, "approved_by");
    size_t na = list_count(x, r->approved);
    if (na == 0) jw_null(w);
    else if (na == 1) w_str(w, x, r->approved);
    else w_list(w, x, r->approved);
    jw_key(w, "approvers"); w_list(w, x, r->approved);
    jw_obj_end(w);

    jw_key(w, "warnings");
    jw_arr(w);
    for (size_t i = 0; i < x->warnings.n; i++) w_str(w, x, x->warnings.v[i]);
    jw_arr_end(w);
    jw_obj_end(w);
}

static void reset(pk_extractor *x)
{
    x->pool.n = 0;
    x->pool.err = 0;
    x->lines.n = x->units.n = x->items.n = x->people.n = 0;
    x->decisions.n = x->followups.n = x->upcoming.n = x->proposals.n = x->sats.n = x->warnings.n = 0;
    x->pblocks.n = x->scratch.n = x->hits.n = x->sbounds.n = x->ucache.n = 0;
    x->line_hint = 0;
    x->page_body = str_null();
    memset(&x->rec, 0, sizeof x->rec);
    x->rec.title = x->rec.body = x->rec.place = x->rec.date_text = str_null();
    x->rec.recorded_by = x->rec.approved = str_null();
    x->rec.date = PK_NODATE;
    x->rec.h1 = x->rec.m1 = x->rec.h2 = x->rec.m2 = -1;
    x->header_end = 0;
    x->oom = 0;
    x->limit_hits0 = x->rs.limit_hits;
    /* keep the pool from being NULL so that str offsets always point somewhere */
    buf_reserve(&x->pool, 256);
}

pk_status pk_extract_json(pk_extractor *x, pk_doc *doc, char **json)
{
    *json = NULL;
    if (!x || !doc || (!doc->text && doc->len)) return PK_EINVAL;
    msg_clear(&x->msg);
    const char *name = doc->path ? doc->path : "(document)";
    if (doc->len >= UINT32_MAX - 16) {
        msg_set(&x->msg, "%s: extract: text of %zu bytes exceeds the 4 GB limit", name, doc->len);
        return PK_ELIMIT;
    }
    /* validated once per document, so that PCRE2 can skip its own check */
    size_t bad = decode_valid_len((const uint8_t *)doc->text, doc->len);
    if (bad != doc->len) {
        msg_set(&x->msg, "%s: extract: invalid UTF-8 at byte %zu", name, bad);
        return PK_EDECODE;
    }
    reset(x);
    if (x->pool.err) { msg_set(&x->msg, "%s: extract: out of memory", name); return PK_ENOMEM; }
    x->text = doc->text ? doc->text : "";
    x->len = doc->len;

    extract_structure(x, doc);
    if (!x->oom) extract_keys(x);
    if (!x->oom) extract_people(x);
    if (!x->oom) extract_meeting(x, doc);
    if (!x->oom) extract_sentences(x);
    if (!x->oom && x->rs.limit_hits != x->limit_hits0)
        warn(x, "%llu rule matches were abandoned at the match limit",
             (unsigned long long)(x->rs.limit_hits - x->limit_hits0));
    if (x->oom) {
        msg_set(&x->msg, "%s: extract: out of memory", name);
        return PK_ENOMEM;
    }

    pk_buf out;
    buf_init(&out);
    /* records are about a third of the text: reserve once */
    buf_reserve(&out, x->len / 2 + 1024);
    write_record(x, doc, &out);
    char *s = buf_detach(&out);
    if (!s) { msg_set(&x->msg, "%s: extract: out of memory", name); return PK_ENOMEM; }
    if (x->rec.date != PK_NODATE && x->rec.date_src == DATE_SRC_TEXT) {
        doc->date = x->rec.date;
        doc->date_from = PK_DATE_TEXT;
    }
    *json = s;
    return PK_OK;
}
