/* query_parse.c — recursive-descent parser for the query language of docs/QUERY.md.
 *
 *   query   := or EOF
 *   or      := and ( "OR" and )*
 *   and     := unary ( ["AND"] unary )*          juxtaposition is AND
 *   unary   := ( "-" | "NOT" ) unary | primary
 *   primary := "(" or ")" | '"' words '"' | filter | "=" word | word "*" | word
 *   filter  := ( body | year | from | to | in ) ":" ( word | '"' text '"' )
 */
#include "query.h"

#include <stdarg.h>
#include <stdio.h>

#include "date.h"
#include "util.h"

typedef struct parser {
    const char *q;
    size_t      n, i;
    char       *msg;
    size_t      msgcap;
    size_t      col;
    pk_status   st;
    int         depth;
} parser;

#define MAX_DEPTH 64

static size_t column_of(const char *q, size_t at)
{
    size_t col = 1;
    for (size_t i = 0; i < at; i++)
        if (((unsigned char)q[i] & 0xC0) != 0x80) col++;
    return col;
}

static void *fail(parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void *fail(parser *p, size_t at, const char *fmt, ...)
{
    if (p->st != PK_OK) return NULL;
    p->st = PK_ESYNTAX;
    p->col = column_of(p->q, at > p->n ? p->n : at);
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(p->msg, p->msgcap, "col %zu: %s", p->col, what);
    return NULL;
}

static void *oom(parser *p)
{
    if (p->st == PK_OK) {
        p->st = PK_ENOMEM;
        snprintf(p->msg, p->msgcap, "out of memory");
    }
    return NULL;
}

static q_node *node_new(parser *p, q_kind kind, size_t at)
{
    q_node *nd = pk_calloc(1, sizeof *nd);
    if (!nd) return oom(p);
    nd->kind = kind;
    nd->at = (uint32_t)at;
    nd->from = nd->to = PK_NODATE;
    return nd;
}

void query_free(q_node *nd)
{
    if (!nd) return;
    for (size_t i = 0; i < nd->nkids; i++) query_free(nd->kids[i]);
    pk_free(nd->kids);
    pk_free(nd->text);
    pk_free(nd);
}

static int add_kid(parser *p, q_node *parent, q_node *kid)
{
    q_node **k = pk_reallocarray(parent->kids, parent->nkids + 1, sizeof *k);
    if (!k) { oom(p); return -1; }
    parent->kids = k;
    parent->kids[parent->nkids++] = kid;
    return 0;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int is_special(char c) { return c == '(' || c == ')' || c == '"' || is_space(c); }

static void skip_ws(parser *p) { while (p->i < p->n && is_space(p->q[p->i])) p->i++; }

/* A bare word at p->i: up to whitespace or a special character.  Returns its length. */
static size_t word_at(parser *p, size_t i)
{
    size_t k = i;
    while (k < p->n && !is_special(p->q[k])) k++;
    return k - i;
}

static int keyword_at(parser *p, const char *kw)
{
    size_t l = strlen(kw);
    return p->i + l <= p->n && memcmp(p->q + p->i, kw, l) == 0 &&
           (p->i + l == p->n || is_special(p->q[p->i + l]));
}

static q_node *parse_or(parser *p);

/* "…" starting at p->i (the quote).  Returns the inner text (trimmed) in *s, *len. */
static int quoted(parser *p, size_t *s, size_t *len)
{
    size_t open = p->i++;
    size_t st = p->i;
    while (p->i < p->n && p->q[p->i] != '"') p->i++;
    if (p->i >= p->n) { fail(p, open, "unterminated quote"); return -1; }
    *s = st;
    *len = p->i - st;
    p->i++;
    return 0;
}

static int parse_date_value(const char *s, size_t n, int end, int32_t *out)
{
    int32_t d;
    if (pk_date_parse(s, n, &d) != PK_OK) return -1;
    if (end) {
        /* to:2021 means to the end of 2021; to:2021-06 to the end of June */
        int y, m, dd;
        date_ymd(d, &y, &m, &dd);
        if (n == 4) d = date_days(y, 12, 31);
        else if (n == 7) { d = date_days(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1; }
    }
    *out = d;
    return 0;
}

static q_node *parse_filter(parser *p, size_t at, const char *name, size_t nlen)
{
    size_t vs, vl;
    if (p->i < p->n && p->q[p->i] == '"') {
        if (quoted(p, &vs, &vl)) return NULL;
    } else {
        vs = p->i;
        vl = word_at(p, p->i);
        p->i += vl;
    }
    if (vl == 0) return fail(p, vs, "a value is expected after '%s:'", name);
    const char *v = p->q + vs;
    q_node *nd;
    if (nlen == 4 && memcmp(name, "body", 4) == 0) {
        nd = node_new(p, Q_BODY, at);
        if (nd && !(nd->text = pk_strndup(v, vl))) { query_free(nd); return oom(p); }
        if (nd) nd->len = vl;
        return nd;
    }
    if (nlen == 2 && memcmp(name, "in", 2) == 0) {
        int which = 0;
        if ((vl == 9 && memcmp(v, "decisions", 9) == 0) || (vl == 6 && memcmp(v, "beslut", 6) == 0))
            which = Q_IN_DECISIONS;
        else if ((vl == 10 && memcmp(v, "follow_ups", 10) == 0) || (vl == 9 && memcmp(v, "followups", 9) == 0) ||
                 (vl == 10 && memcmp(v, "follow-ups", 10) == 0))
            which = Q_IN_FOLLOWUPS;
        if (!which) return fail(p, vs, "in: takes decisions or follow_ups");
        nd = node_new(p, Q_IN, at);
        if (nd) nd->in = which;
        return nd;
    }
    nd = node_new(p, Q_DATES, at);
    if (!nd) return NULL;
    if (nlen == 4 && memcmp(name, "year", 4) == 0) {
        /* year:2021 or year:2019-2021 */
        int y1 = 0, y2 = 0;
        size_t k = 0;
        for (; k < vl && is_ascii_digit(v[k]); k++)
            if (k < 5) y1 = y1 * 10 + (v[k] - '0');   /* only four digits are a year: no overflow */
        if (k == 4 && k == vl) y2 = y1;
        else if (k == 4 && vl == 9 && v[4] == '-') {
            for (size_t j = 5; j < 9; j++) {
                if (!is_ascii_digit(v[j])) { y2 = -1; break; }
                y2 = y2 * 10 + (v[j] - '0');
            }
        } else y2 = -1;
        if (y2 < y1 || y1 < 1000) { query_free(nd); return fail(p, vs, "year: takes YYYY or YYYY-YYYY"); }
        nd->from = date_days(y1, 1, 1);
        nd->to = date_days(y2, 12, 31);
        return nd;
    }
    int32_t d;
    int is_to = nlen == 2 && memcmp(name, "to", 2) == 0;
    if (parse_date_value(v, vl, is_to, &d)) {
        query_free(nd);
        return fail(p, vs, "%s: takes a date YYYY-MM-DD (or YYYY-MM, YYYY)", is_to ? "to" : "from");
    }
    if (is_to) nd->to = d; else nd->from = d;
    return nd;
}

static q_node *parse_primary(parser *p)
{
    skip_ws(p);
    size_t at = p->i;
    if (p->i >= p->n) return fail(p, at, "a word, phrase or '(' is expected here");
    char c = p->q[p->i];
    if (c == '(') {
        if (++p->depth > MAX_DEPTH) return fail(p, at, "parentheses nested too deep");
        p->i++;
        skip_ws(p);
        if (p->i < p->n && p->q[p->i] == ')') return fail(p, p->i, "empty parentheses");
        q_node *inner = parse_or(p);
        if (!inner) return NULL;
        skip_ws(p);
        if (p->i >= p->n || p->q[p->i] != ')') {
            query_free(inner);
            char open[24];
            snprintf(open, sizeof open, "%zu", column_of(p->q, at));
            return fail(p, p->i, "expected ')' to close the '(' at col %s", open);
        }
        p->i++;
        p->depth--;
        return inner;
    }
    if (c == ')') return fail(p, at, "unexpected ')'");
    if (c == '"') {
        size_t s, l;
        if (quoted(p, &s, &l)) return NULL;
        while (l && is_space(p->q[s])) { s++; l--; }
        while (l && is_space(p->q[s + l - 1])) l--;
        if (l == 0) return fail(p, at, "empty phrase");
        q_node *nd = node_new(p, Q_PHRASE, at);
        if (!nd) return NULL;
        if (!(nd->text = pk_strndup(p->q + s, l))) { query_free(nd); return oom(p); }
        nd->len = l;
        /* a phrase of one word is that word's topic */
        int spaced = 0;
        for (size_t k = 0; k < l; k++) spaced |= is_space(nd->text[k]);
        if (!spaced) nd->kind = Q_TOPIC;
        return nd;
    }
    size_t wl = word_at(p, p->i);
    const char *w = p->q + p->i;
    /* filters: name ':' value */
    const char *colon = memchr(w, ':', wl);
    if (colon && colon > w) {
        size_t nl = (size_t)(colon - w);
        static const char *const names[] = {"body", "year", "from", "to", "in"};
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
            if (strlen(names[k]) == nl && memcmp(w, names[k], nl) == 0) {
                char name[8];
                memcpy(name, w, nl);
                name[nl] = 0;
                p->i += nl + 1;
                return parse_filter(p, at, name, nl);
            }
        }
        /* a time such as 10:00 or a word with a colon is searched as a word */
        if (!is_ascii_digit(w[0])) {
            char name[64];
            size_t cl = nl < sizeof name - 1 ? nl : sizeof name - 1;
            memcpy(name, w, cl);
            name[cl] = 0;
            return fail(p, at, "unknown filter '%s:' (body:, year:, from:, to:, in:)", name);
        }
    }
    q_kind kind = Q_TOPIC;
    if (w[0] == '=') {
        kind = Q_EXACT;
        w++;
        wl--;
        p->i++;
        if (wl == 0) return fail(p, at, "a word is expected after '='");
    }
    if (wl && w[wl - 1] == '*') {
        if (kind == Q_EXACT) return fail(p, at, "'=' and '*' cannot be combined");
        kind = Q_PREFIX;
        if (wl == 1) return fail(p, at, "a prefix is expected before '*'");
        if (memchr(w, '*', wl - 1)) return fail(p, at, "'*' is only allowed at the end of a word");
        p->i += wl;
        wl--;
    } else {
        if (memchr(w, '*', wl)) return fail(p, (size_t)((const char *)memchr(w, '*', wl) - p->q), "'*' is only allowed at the end of a word");
        p->i += wl;
    }
    q_node *nd = node_new(p, kind, at);
    if (!nd) return NULL;
    if (!(nd->text = pk_strndup(w, wl))) { query_free(nd); return oom(p); }
    nd->len = wl;
    return nd;
}

static q_node *parse_unary(parser *p)
{
    skip_ws(p);
    size_t at = p->i;
    int neg = 0;
    if (p->i < p->n && p->q[p->i] == '-') { neg = 1; p->i++; }
    else if (keyword_at(p, "NOT")) { neg = 1; p->i += 3; }
    if (!neg) return parse_primary(p);
    if (++p->depth > MAX_DEPTH) return fail(p, at, "negations nested too deep");
    skip_ws(p);
    if (p->i >= p->n || p->q[p->i] == ')') return fail(p, p->i, "something to exclude is expected after '-'");
    q_node *kid = parse_unary(p);
    p->depth--;
    if (!kid) return NULL;
    q_node *nd = node_new(p, Q_NOT, at);
    if (!nd || add_kid(p, nd, kid)) { query_free(kid); query_free(nd); return NULL; }
    return nd;
}

static int at_and_end(parser *p)
{
    skip_ws(p);
    return p->i >= p->n || p->q[p->i] == ')' || keyword_at(p, "OR");
}

static q_node *parse_and(parser *p)
{
    size_t at = p->i;
    q_node *first = parse_unary(p);
    if (!first) return NULL;
    if (at_and_end(p)) return first;
    q_node *nd = node_new(p, Q_AND, at);
    if (!nd || add_kid(p, nd, first)) { query_free(first); query_free(nd); return NULL; }
    while (!at_and_end(p)) {
        if (keyword_at(p, "AND")) {
            size_t kw = p->i;
            p->i += 3;
            if (at_and_end(p)) { query_free(nd); return fail(p, kw, "AND needs something on both sides"); }
        }
        q_node *k = parse_unary(p);
        if (!k || add_kid(p, nd, k)) { query_free(k); query_free(nd); return NULL; }
    }
    return nd;
}

static q_node *parse_or(parser *p)
{
    skip_ws(p);
    size_t at = p->i;
    if (keyword_at(p, "OR")) return fail(p, at, "OR needs something on both sides");
    q_node *first = parse_and(p);
    if (!first) return NULL;
    skip_ws(p);
    if (!keyword_at(p, "OR")) return first;
    q_node *nd = node_new(p, Q_OR, at);
    if (!nd || add_kid(p, nd, first)) { query_free(first); query_free(nd); return NULL; }
    while (keyword_at(p, "OR")) {
        size_t kw = p->i;
        p->i += 2;
        skip_ws(p);
        if (p->i >= p->n || p->q[p->i] == ')' || keyword_at(p, "OR")) {
            query_free(nd);
            return fail(p, kw, "OR needs something on both sides");
        }
        q_node *k = parse_and(p);
        if (!k || add_kid(p, nd, k)) { query_free(k); query_free(nd); return NULL; }
        skip_ws(p);
    }
    return nd;
}

/* Positive content somewhere (a query of only NOTs and filters matches by metadata alone). */
static int check_in_placement(parser *p, const q_node *nd, int top)
{
    if (nd->kind == Q_IN && !top) { fail(p, nd->at, "in: applies to the whole query; use it outside OR, - and ()"); return -1; }
    for (size_t i = 0; i < nd->nkids; i++)
        if (check_in_placement(p, nd->kids[i], top && nd->kind == Q_AND)) return -1;
    return 0;
}

pk_status query_parse(const char *q, size_t n, q_node **root, char *msg, size_t msgcap, size_t *col)
{
    static char dummy[8];
    parser p = {q, n, 0, msg ? msg : dummy, msg ? msgcap : sizeof dummy, 0, PK_OK, 0};
    *root = NULL;
    if (p.msgcap) p.msg[0] = 0;
    if (col) *col = 0;
    skip_ws(&p);
    if (p.i >= n) {
        fail(&p, 0, "empty query");
    } else if (memchr(q, 0, n)) {
        fail(&p, (size_t)((const char *)memchr(q, 0, n) - q), "NUL byte in the query");
    } else {
        q_node *r = parse_or(&p);
        if (r) {
            skip_ws(&p);
            if (p.i < n) {
                if (q[p.i] == ')') fail(&p, p.i, "unexpected ')' without a matching '('");
                else fail(&p, p.i, "unexpected text");
                query_free(r);
                r = NULL;
            } else if (check_in_placement(&p, r, 1)) {
                query_free(r);
                r = NULL;
            }
        }
        *root = r;
    }
    if (col) *col = p.col;
    return p.st;
}

static void to_string(pk_buf *b, const q_node *nd, int parent_prec)
{
    switch (nd->kind) {
    case Q_TOPIC: {
        /* a word that came quoted and would read back as something else is quoted again */
        const char *colon = strchr(nd->text, ':');
        if ((colon && colon > nd->text && !is_ascii_digit(nd->text[0])) || strpbrk(nd->text, "*=-()") ||
            strcmp(nd->text, "OR") == 0 || strcmp(nd->text, "AND") == 0 || strcmp(nd->text, "NOT") == 0) {
            buf_putc(b, '"'); buf_put(b, nd->text, nd->len); buf_putc(b, '"');
        } else {
            buf_put(b, nd->text, nd->len);
        }
        break;
    }
    case Q_EXACT: buf_putc(b, '='); buf_put(b, nd->text, nd->len); break;
    case Q_PREFIX: buf_put(b, nd->text, nd->len); buf_putc(b, '*'); break;
    case Q_PHRASE: buf_putc(b, '"'); buf_put(b, nd->text, nd->len); buf_putc(b, '"'); break;
    case Q_BODY: buf_puts(b, "body:\""); buf_put(b, nd->text, nd->len); buf_putc(b, '"'); break;
    case Q_IN: buf_puts(b, nd->in == Q_IN_DECISIONS ? "in:decisions" : "in:follow_ups"); break;
    case Q_DATES: {
        char f[11], t[11];
        pk_date_format(nd->from, f);
        pk_date_format(nd->to, t);
        if (f[0]) buf_printf(b, "from:%s", f);
        if (f[0] && t[0]) buf_putc(b, ' ');
        if (t[0]) buf_printf(b, "to:%s", t);
        break;
    }
    case Q_NOT: buf_putc(b, '-'); to_string(b, nd->kids[0], 3); break;
    case Q_AND:
    case Q_OR: {
        int prec = nd->kind == Q_OR ? 1 : 2;
        if (prec < parent_prec) buf_putc(b, '(');
        for (size_t i = 0; i < nd->nkids; i++) {
            if (i) buf_puts(b, nd->kind == Q_OR ? " OR " : " ");
            to_string(b, nd->kids[i], prec);
        }
        if (prec < parent_prec) buf_putc(b, ')');
        break;
    }
    }
}

char *query_to_string(const q_node *nd)
{
    pk_buf b;
    buf_init(&b);
    to_string(&b, nd, 0);
    return buf_detach(&b);
}

pk_status pk_query_check(const char *query, char **msg, size_t *col)
{
    char m[300];
    q_node *r;
    size_t c = 0;
    if (msg) *msg = NULL;
    pk_status st = query_parse(query, strlen(query), &r, m, sizeof m, &c);
    query_free(r);
    if (col) *col = c;
    if (st != PK_OK && msg) *msg = pk_strdup(m);
    return st;
}
