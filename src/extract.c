/* extract.c — the extractor handle, the per-document pool, and the JSON record it produces. */
#include "extract.h"

#include <stdarg.h>
#include <stdio.h>

#include "date.h"
#include "json.h"

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
    buf_put(&x->pool, s, n);
    buf_putc(&x->pool, 0);
    if (x->pool.err) { x->oom = 1; return r; }
    r.off = off;
    r.len = (uint32_t)n;
    return r;
}

/* The text of [s, e) as one line: lines marked as page headers are left out, list and heading
 * markers of continuation lines dropped, runs of white space made one space, ends trimmed. */
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
        for (uint32_t i = a; i < b; i++) {
            unsigned char c = (unsigned char)x->text[i];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') { space = any; continue; }
            if (space) { x->pool.p[x->pool.n++] = ' '; space = 0; }
            x->pool.p[x->pool.n++] = c;
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
    if ((size_t)n >= sizeof tmp) n = sizeof tmp - 1;
    for (size_t i = 0; i < x->warnings.n; i++)   /* the same warning once per document */
        if (x->warnings.v[i].len == (uint32_t)n && memcmp(pool_at(x, x->warnings.v[i]), tmp, (size_t)n) == 0) return;
    str s = pool_put(x, tmp, (size_t)n);
    str *w = PUSH(x, x->warnings);
    if (w) *w = s;
}

uint32_t extract_line_at(const pk_extractor *x, uint32_t p)
{
    size_t lo = 0, hi = x->lines.n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (x->lines.v[mid].s <= p) lo = mid; else hi = mid;
    }
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
        if (i < n)
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

/* ---- UTF-8: validated once per document, so that PCRE2 can skip its own check ---- */

static size_t utf8_invalid_at(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        /* ASCII runs eight bytes at a time */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ULL) break;
            i += 8;
        }
        if (i >= n) break;
        uint8_t c = p[i];
        if (c < 0x80) { i++; continue; }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
        else return i;
        if (n - i < len) return i;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80) return i;
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += len;
    }
    return n;
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
    rule_hit *p = PUSH(x, x->hits);
    if (!p) return 0;
    *p = h;
    return 1;
}

void extract_keys(pk_extractor *x)
{
    x->folded.n = 0;
    if (buf_reserve(&x->folded, x->len + 1)) { x->oom = 1; return; }
    rules_fold(x->text, x->len, x->folded.p);
    if (!rules_scan(&x->rs, x->folded.p, x->len, push_hit, x)) x->oom = 1;
    memset(x->rule_last, 0, x->rs.n * sizeof *x->rule_last);   /* rule_last: end of the last window */
    x->last_dated = 0;
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
    pk_free(x->sbounds.v);
    pk_free(x->ucache.v);
    buf_free(&x->folded);
    pk_free(x->rule_last);
    pk_free(x);
}

const char *pk_extractor_errmsg(const pk_extractor *x)
{
    return x ? x->msg.text : new_failure.text;
}

/* ---- JSON ---- */

static json_t *jstr(const pk_extractor *x, str s)
{
    if (s.off == STR_NULL) return json_null();
    return json_strn_lossy(pool_at(x, s), s.len);
}

static int jset(json_t *o, const char *k, json_t *v)
{
    if (!v) return -1;
    return json_object_set_new(o, k, v);
}

static json_t *jspan(uint32_t s, uint32_t e)
{
    json_t *a = json_array();
    if (!a) return NULL;
    if (json_array_append_new(a, json_integer(s)) || json_array_append_new(a, json_integer(e))) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static json_t *jtime(int h, int m)
{
    if (h < 0 || h > 24 || m < 0 || m > 59) return json_null();
    char b[6] = {(char)('0' + h / 10), (char)('0' + h % 10), ':', (char)('0' + m / 10), (char)('0' + m % 10), 0};
    return json_string(b);
}

static json_t *jdate(int32_t d)
{
    if (d == PK_NODATE) return json_null();
    char b[11];
    pk_date_format(d, b);
    return b[0] ? json_string(b) : json_null();
}

static json_t *jitem(const pk_extractor *x, uint32_t idx)
{
    if (!idx || idx > x->items.n) return json_null();
    const item *it = &x->items.v[idx - 1];
    return jstr(x, it->number.off != STR_NULL ? it->number : it->title);
}

/* Names joined by '\n' as an array. */
static json_t *jlist(const pk_extractor *x, str s)
{
    json_t *a = json_array();
    if (!a || s.off == STR_NULL || s.len == 0) return a;
    const char *p = pool_at(x, s), *end = p + s.len;
    while (p < end) {
        const char *q = memchr(p, '\n', (size_t)(end - p));
        if (!q) q = end;
        if (q > p && json_array_append_new(a, json_strn_lossy(p, (size_t)(q - p)))) { json_decref(a); return NULL; }
        p = q + 1;
    }
    return a;
}

static json_t *build_json(pk_extractor *x, const pk_doc *doc)
{
    int bad = 0;
    json_t *root = json_object();
    if (!root) return NULL;
    bad |= jset(root, "source", json_strn_lossy(doc->path ? doc->path : "", doc->path ? strlen(doc->path) : 0));

    const record *r = &x->rec;
    json_t *m = json_object();
    bad |= jset(root, "meeting", m);
    if (m) {
        bad |= jset(m, "title", jstr(x, r->title));
        bad |= jset(m, "body", jstr(x, r->body));
        bad |= jset(m, "date", jdate(r->date));
        bad |= jset(m, "start", jtime(r->h1, r->m1));
        bad |= jset(m, "end", jtime(r->h2, r->m2));
        bad |= jset(m, "place", jstr(x, r->place));
        bad |= jset(m, "date_source", r->date == PK_NODATE ? json_null()
                                      : json_string(r->date_from_text ? "text" : "filename"));
    }

    json_t *a = json_array();
    bad |= jset(root, "participants", a);
    for (size_t i = 0; a && i < x->people.n; i++) {
        const person *p = &x->people.v[i];
        json_t *o = json_object();
        if (!o || json_array_append_new(a, o)) { bad = 1; break; }
        bad |= jset(o, "name", jstr(x, p->name));
        bad |= jset(o, "organization", jstr(x, p->org));
        bad |= jset(o, "role", jstr(x, p->role));
        bad |= jset(o, "arrived_at", jstr(x, p->arrived));
        bad |= jset(o, "left_at", jstr(x, p->left));
        bad |= jset(o, "party", jstr(x, p->party));
        bad |= jset(o, "span", jspan(p->s, p->e));
    }

    a = json_array();
    bad |= jset(root, "agenda", a);
    for (size_t i = 0; a && i < x->items.n; i++) {
        const item *it = &x->items.v[i];
        json_t *o = json_object();
        if (!o || json_array_append_new(a, o)) { bad = 1; break; }
        bad |= jset(o, "number", jstr(x, it->number));
        bad |= jset(o, "title", jstr(x, it->title));
        bad |= jset(o, "span", jspan(it->s, it->e));
    }

    a = json_array();
    bad |= jset(root, "decisions", a);
    for (size_t i = 0; a && i < x->decisions.n; i++) {
        const decision *d = &x->decisions.v[i];
        json_t *o = json_object();
        if (!o || json_array_append_new(a, o)) { bad = 1; break; }
        bad |= jset(o, "item", jitem(x, d->item));
        bad |= jset(o, "text", jstr(x, d->text));
        bad |= jset(o, "span", jspan(d->s, d->e));
    }

    a = json_array();
    bad |= jset(root, "follow_ups", a);
    for (size_t i = 0; a && i < x->followups.n; i++) {
        const followup *f = &x->followups.v[i];
        json_t *o = json_object();
        if (!o || json_array_append_new(a, o)) { bad = 1; break; }
        bad |= jset(o, "item", jitem(x, f->item));
        bad |= jset(o, "text", jstr(x, f->text));
        bad |= jset(o, "owners", jlist(x, f->owners));
        bad |= jset(o, "due", jdate(f->due));
        bad |= jset(o, "span", jspan(f->s, f->e));
    }

    a = json_array();
    bad |= jset(root, "upcoming_meetings", a);
    for (size_t i = 0; a && i < x->upcoming.n; i++) {
        const meeting_ref *u = &x->upcoming.v[i];
        json_t *o = json_object();
        if (!o || json_array_append_new(a, o)) { bad = 1; break; }
        bad |= jset(o, "date", jdate(u->date));
        bad |= jset(o, "start", jtime(u->h1, u->m1));
        bad |= jset(o, "end", jtime(u->h2, u->m2));
        bad |= jset(o, "text", jstr(x, u->text));
        bad |= jset(o, "span", jspan(u->s, u->e));
    }

    json_t *sg = json_object();
    bad |= jset(root, "signatures", sg);
    if (sg) {
        bad |= jset(sg, "recorded_by", jstr(x, r->recorded_by));
        /* one approver as a string (the DESIGN shape), several as a list; "approvers" is always a list */
        json_t *ap = jlist(x, r->approved);
        if (!ap) bad = 1;
        else if (json_array_size(ap) == 0) bad |= jset(sg, "approved_by", json_null());
        else if (json_array_size(ap) == 1) bad |= jset(sg, "approved_by", json_incref(json_array_get(ap, 0)));
        else bad |= jset(sg, "approved_by", json_incref(ap));
        if (ap) bad |= jset(sg, "approvers", ap);
    }

    a = json_array();
    bad |= jset(root, "warnings", a);
    for (size_t i = 0; a && i < x->warnings.n; i++)
        if (json_array_append_new(a, jstr(x, x->warnings.v[i]))) { bad = 1; break; }

    if (bad) { json_decref(root); return NULL; }
    return root;
}

static void reset(pk_extractor *x)
{
    x->pool.n = 0;
    x->pool.err = 0;
    x->lines.n = x->units.n = x->items.n = x->people.n = 0;
    x->decisions.n = x->followups.n = x->upcoming.n = x->proposals.n = x->sats.n = x->warnings.n = 0;
    x->pblocks.n = x->scratch.n = x->hits.n = x->sbounds.n = x->ucache.n = 0;
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
    size_t bad = utf8_invalid_at((const uint8_t *)doc->text, doc->len);
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

    json_t *root = build_json(x, doc);
    if (!root) { msg_set(&x->msg, "%s: extract: out of memory", name); return PK_ENOMEM; }
    char *s = json_dump_compact(root);
    json_decref(root);
    if (!s) { msg_set(&x->msg, "%s: extract: out of memory", name); return PK_ENOMEM; }
    if (x->rec.date != PK_NODATE && x->rec.date_from_text) {
        doc->date = x->rec.date;
        doc->date_from = PK_DATE_TEXT;
    }
    *json = s;
    return PK_OK;
}
