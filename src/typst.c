/* typst.c — Typst markup reduced to canonical text: headings, lists, calls with content, #let keys. */
#include "markup.h"

#include "decode.h"

#include <ctype.h>

#define TYP_MAX_DEPTH 48
#define TYP_MAX_VARS  256

enum { V_NONE = 0, V_STR, V_CONTENT, V_TEXT, V_NUM, V_BOOL, V_CALL, V_OTHER };

typedef struct tval {
    int         kind;
    const char *p;      /* V_STR: inside the quotes (escapes kept); V_CONTENT: inside the brackets;
                           V_TEXT: ready text; V_CALL: the whole call; others: raw source */
    size_t      n;
    int         line;   /* source line where the value starts */
    char        tmp[16];/* short V_TEXT values (dates) live here, with p NULL */
} tval;

typedef struct typ_arg {
    const char *name;   /* named argument, or NULL */
    size_t      nl;
    tval        v;
} typ_arg;

typedef struct typ_call {
    const char *name;
    size_t      nl;
    typ_arg    *args;
    size_t      nargs, cap;
} typ_call;

typedef struct typ {
    emitter *e;
    const char *src;    /* the document, for line numbers */
    size_t      srcn;
    size_t     *nls;    /* offsets of its newlines */
    size_t      nnls;
    struct { char *name; char *val; } vars[TYP_MAX_VARS];
    int      nvars;
    int      depth;
    int      numbering;
    int      counters[8];
    pk_buf   keys;      /* key lines written so far, "key\tvalue\n" each */
    int      err;
} typ;

static void typ_markup(typ *Y, const char *p, size_t n);

static int is_ident_start(unsigned char c) { return isalpha(c) || c == '_' || c >= 0x80; }
static int is_ident_char(unsigned char c) { return isalnum(c) || c == '_' || c == '-' || c >= 0x80; }

static int line_of(typ *Y, const char *at)
{
    if (!Y->nls || at < Y->src || at > Y->src + Y->srcn) return -1;
    size_t off = (size_t)(at - Y->src), lo = 0, hi = Y->nnls;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (Y->nls[mid] < off) lo = mid + 1;
        else hi = mid;
    }
    return (int)(lo > INT32_MAX ? INT32_MAX : lo);
}

static int wordc(unsigned char c) { return isalnum(c) || c >= 0x80; }

/* ---- scanning in code ---- */

/* End of a string literal starting at p[i] == '"' (index after the closing quote). */
static size_t str_end(const char *p, size_t n, size_t i)
{
    for (size_t k = i + 1; k < n; k++) {
        if (p[k] == '\\') { k++; continue; }
        if (p[k] == '"') return k + 1;
        if (p[k] == '\n') return k;
    }
    return n;
}

/* End of a raw span starting with backticks at p[i]; *closed tells whether its closing run was found. */
static size_t raw_span(const char *p, size_t n, size_t i, int *closed)
{
    size_t k = 0;
    while (i + k < n && p[i + k] == '`') k++;
    *closed = 1;
    if (k == 2) return i + 2;    /* empty raw */
    const char *q = p + i + k;
    while ((size_t)(q - p) < n) {
        const char *b = memchr(q, '`', n - (size_t)(q - p));
        if (!b) break;
        size_t r = 0;
        while ((size_t)(b - p) + r < n && b[r] == '`') r++;
        if (r >= k) return (size_t)(b - p) + k;
        q = b + r;
    }
    *closed = 0;
    return n;
}

static size_t raw_end(const char *p, size_t n, size_t i)
{
    int closed;
    size_t e = raw_span(p, n, i, &closed);
    return closed ? e : i + 1;
}

static size_t comment_end(const char *p, size_t n, size_t i)
{
    if (p[i + 1] == '/') {
        const char *nl = memchr(p + i, '\n', n - i);
        return nl ? (size_t)(nl - p) : n;
    }
    int d = 0;
    for (size_t k = i; k + 1 < n; k++) {
        if (p[k] == '/' && p[k + 1] == '*') { d++; k++; }
        else if (p[k] == '*' && p[k + 1] == '/') { if (--d == 0) return k + 2; k++; }
    }
    return n;
}

static int comment_at(const char *p, size_t n, size_t i)
{
    if (i + 1 >= n || p[i] != '/' || (p[i + 1] != '/' && p[i + 1] != '*')) return 0;
    if (p[i + 1] == '/' && i > 0 && p[i - 1] == ':') return 0;   /* https:// */
    return 1;
}

static size_t content_end(const char *p, size_t n, size_t i);

/* For an opening bracket at p[i] in code ('(' or '{'), the index after its match; n when
 * unbalanced or nested deeper than the reader follows. */
static size_t code_end(const char *p, size_t n, size_t i)
{
    char stack[256];
    int d = 0;
    for (size_t k = i; k < n;) {
        char c = p[k];
        if (c == '"') { k = str_end(p, n, k); continue; }
        if (c == '[') { k = content_end(p, n, k); continue; }
        if (comment_at(p, n, k)) { k = comment_end(p, n, k); continue; }
        if (c == '(' || c == '{') {
            if (d == (int)sizeof stack) return n;
            stack[d++] = c == '(' ? ')' : '}';
        } else if ((c == ')' || c == '}') && d > 0 && stack[d - 1] == c) {
            if (--d == 0) return k + 1;
        }
        k++;
    }
    return n;
}

/* For '[' at p[i], the index after the matching ']' (markup: escapes, raw, comments). */
static size_t content_end(const char *p, size_t n, size_t i)
{
    int d = 0;
    for (size_t k = i; k < n;) {
        char c = p[k];
        if (c == '\\') { k += 2; continue; }
        if (c == '`') { k = raw_end(p, n, k); continue; }
        if (comment_at(p, n, k)) { k = comment_end(p, n, k); continue; }
        if (c == '[') d++;
        else if (c == ']' && --d == 0) return k + 1;
        k++;
    }
    return n;
}

static size_t skip_code_space(const char *p, size_t n, size_t i)
{
    while (i < n) {
        if (p[i] == ' ' || p[i] == '\t' || p[i] == '\n') i++;
        else if (comment_at(p, n, i)) i = comment_end(p, n, i);
        else break;
    }
    return i;
}

/* Skip an expression until a top-level stop character (one of stops) or, when line is set, the
 * end of the line.  Returns the index of the stop (not consumed). */
static size_t skip_expr(const char *p, size_t n, size_t i, const char *stops, int line)
{
    while (i < n) {
        char c = p[i];
        if (strchr(stops, c) && c) return i;
        if (line && c == '\n') return i;
        if (c == '"') { i = str_end(p, n, i); continue; }
        if (c == '[') { i = content_end(p, n, i); continue; }
        if (c == '(' || c == '{') { i = code_end(p, n, i); continue; }
        if (comment_at(p, n, i)) { i = comment_end(p, n, i); continue; }
        i++;
    }
    return n;
}

/* ---- variables and key lines ---- */

static const char *var_get(typ *Y, const char *name, size_t nl)
{
    for (int i = Y->nvars; i-- > 0;)
        if (strlen(Y->vars[i].name) == nl && memcmp(Y->vars[i].name, name, nl) == 0) return Y->vars[i].val;
    return NULL;
}

static void var_set(typ *Y, const char *name, size_t nl, const char *v, size_t vn)
{
    for (int i = 0; i < Y->nvars; i++) {
        if (strlen(Y->vars[i].name) == nl && memcmp(Y->vars[i].name, name, nl) == 0) {
            char *nv = pk_strndup(v, vn);
            if (!nv) { Y->err = 1; return; }
            pk_free(Y->vars[i].val);
            Y->vars[i].val = nv;
            return;
        }
    }
    if (Y->nvars == TYP_MAX_VARS) return;
    char *nn = pk_strndup(name, nl), *nv = pk_strndup(v, vn);
    if (!nn || !nv) { pk_free(nn); pk_free(nv); Y->err = 1; return; }
    Y->vars[Y->nvars].name = nn;
    Y->vars[Y->nvars].val = nv;
    Y->nvars++;
}

/* A key line, once per key and value. */
static void typ_key(typ *Y, const char *key, size_t kl, const char *v, size_t vn)
{
    while (vn && (*v == ' ' || *v == '\n')) { v++; vn--; }
    while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\n')) vn--;
    if (!vn || !kl) return;
    pk_buf line;
    buf_init(&line);
    buf_putc(&line, '\n');
    buf_put(&line, key, kl);
    buf_putc(&line, '\t');
    buf_put(&line, v, vn);
    buf_putc(&line, '\n');
    if (line.err) { Y->err = 1; buf_free(&line); return; }
    if (Y->keys.n && memmem(Y->keys.p, Y->keys.n, line.p, line.n)) { buf_free(&line); return; }
    if (Y->keys.n) Y->keys.n--;     /* the entries share their newlines */
    buf_put(&Y->keys, line.p, line.n);
    buf_free(&line);
    char *k = pk_strndup(key, kl);
    if (!k) { Y->err = 1; return; }
    em_key(Y->e, k, v, vn);
    pk_free(k);
}

/* ---- values ---- */

static void unescape_str(const char *p, size_t n, pk_buf *b)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\\' || i + 1 >= n) { buf_putc(b, p[i]); continue; }
        char c = p[++i];
        if (c == 'n') buf_putc(b, '\n');
        else if (c == 't') buf_putc(b, '\t');
        else if (c == 'u' && i + 1 < n && p[i + 1] == '{') {
            uint32_t v = 0;
            size_t k = i + 2;
            while (k < n && isxdigit((unsigned char)p[k]) && k - i < 9) {
                v = v * 16 + (uint32_t)(isdigit((unsigned char)p[k]) ? p[k] - '0' : (tolower((unsigned char)p[k]) - 'a' + 10));
                k++;
            }
            if (k < n && p[k] == '}' && v && v <= 0x10FFFF && !(v >= 0xD800 && v <= 0xDFFF) && v >= 0x20) {
                decode_put_cp(b, v);
                i = k;
            }
        } else {
            buf_putc(b, c);
        }
    }
}

static void call_free(typ_call *c) { pk_free(c->args); c->args = NULL; c->nargs = c->cap = 0; }

static size_t parse_call_at(typ *Y, const char *p, size_t n, size_t i, typ_call *c);

/* Parse one value at p[i] (code mode).  Returns the index after it. */
static size_t parse_value(typ *Y, const char *p, size_t n, size_t i, tval *v)
{
    memset(v, 0, sizeof *v);
    i = skip_code_space(p, n, i);
    v->line = line_of(Y, p + i);
    v->p = p + i;
    if (i >= n) return n;
    char c = p[i];
    if (c == '"') {
        size_t e = str_end(p, n, i);
        v->kind = V_STR;
        v->p = p + i + 1;
        v->n = e > i + 1 ? e - i - 2 : 0;
        if (e <= n && e > i + 1 && p[e - 1] != '"') v->n = e - i - 1;
        return e;
    }
    if (c == '[') {
        size_t e = content_end(p, n, i);
        v->kind = V_CONTENT;
        v->p = p + i + 1;
        v->n = e > i + 1 ? e - i - 2 : 0;
        if (e == n && (e == i + 1 || p[e - 1] != ']')) v->n = n - i - 1;
        return e;
    }
    if (c == '(' || c == '{') {
        size_t e = code_end(p, n, i);
        v->kind = V_OTHER;
        v->n = e - i;
        return e;
    }
    if (isdigit((unsigned char)c) || c == '-' || c == '.') {
        size_t k = i + 1;
        while (k < n && (isalnum((unsigned char)p[k]) || p[k] == '.' || p[k] == '%')) k++;
        v->kind = V_NUM;
        v->n = k - i;
        return k;
    }
    if (is_ident_start((unsigned char)c)) {
        size_t k = i;
        while (k < n && (is_ident_char((unsigned char)p[k]) || (p[k] == '.' && k + 1 < n && is_ident_start((unsigned char)p[k + 1])))) k++;
        size_t nl = k - i;
        if ((nl == 4 && memcmp(p + i, "true", 4) == 0) || (nl == 5 && memcmp(p + i, "false", 5) == 0)) {
            v->kind = V_BOOL; v->n = nl; return k;
        }
        if ((nl == 4 && memcmp(p + i, "none", 4) == 0) || (nl == 4 && memcmp(p + i, "auto", 4) == 0)) {
            v->kind = V_NONE; v->n = nl; return k;
        }
        if (k < n && (p[k] == '(' || p[k] == '[')) {
            if (Y->depth >= TYP_MAX_DEPTH) {      /* nested deeper than we follow: skip it */
                size_t e = p[k] == '(' ? code_end(p, n, k) : content_end(p, n, k);
                v->kind = V_OTHER;
                v->n = e - i;
                return e;
            }
            typ_call sub;
            memset(&sub, 0, sizeof sub);
            Y->depth++;
            size_t e = parse_call_at(Y, p, n, i, &sub);
            Y->depth--;
            v->kind = V_CALL;
            v->n = e - i;
            /* datetime(year: Y, month: M, day: D) is a date */
            if (sub.nl == 8 && memcmp(sub.name, "datetime", 8) == 0) {
                long y = 0, m = 0, d = 0;
                for (size_t a = 0; a < sub.nargs; a++) {
                    typ_arg *ar = &sub.args[a];
                    if (!ar->name || ar->v.kind != V_NUM || ar->v.n > 6) continue;
                    long x = 0;
                    for (size_t q = 0; q < ar->v.n && isdigit((unsigned char)ar->v.p[q]); q++) x = x * 10 + (ar->v.p[q] - '0');
                    if (ar->nl == 4 && memcmp(ar->name, "year", 4) == 0) y = x;
                    else if (ar->nl == 5 && memcmp(ar->name, "month", 5) == 0) m = x;
                    else if (ar->nl == 3 && memcmp(ar->name, "day", 3) == 0) d = x;
                }
                if (y >= 1000 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= 31) {
                    snprintf(v->tmp, sizeof v->tmp, "%04ld-%02ld-%02ld", y, m, d);
                    v->kind = V_TEXT;
                    v->p = NULL;      /* the text is in tmp, which moves with the value */
                    v->n = 10;
                }
            }
            call_free(&sub);
            return e;
        }
        const char *val = var_get(Y, p + i, nl);
        if (val) { v->kind = V_TEXT; v->p = val; v->n = strlen(val); }
        else { v->kind = V_OTHER; v->n = nl; }
        return k;
    }
    size_t e = skip_expr(p, n, i, ",)]", 0);
    v->kind = V_OTHER;
    v->n = e - i;
    return e;
}

static int push_arg(typ *Y, typ_call *c, const char *name, size_t nl, const tval *v)
{
    if (c->nargs == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 8;
        if (nc > 4096) return -1;
        typ_arg *na = pk_reallocarray(c->args, nc, sizeof *na);
        if (!na) { Y->err = 1; return -1; }
        c->args = na;
        c->cap = nc;
    }
    typ_arg *a = &c->args[c->nargs++];
    a->name = name;
    a->nl = nl;
    a->v = *v;
    return 0;
}

/* A call at p[i] (the name): name, (args), [content]... Returns the index after it. */
static size_t parse_call_at(typ *Y, const char *p, size_t n, size_t i, typ_call *c)
{
    size_t k = i;
    while (k < n && (is_ident_char((unsigned char)p[k]) || (p[k] == '.' && k + 1 < n && is_ident_start((unsigned char)p[k + 1])))) k++;
    c->name = p + i;
    c->nl = k - i;
    int guard = 0;
    while (k < n && (p[k] == '(' || p[k] == '[') && guard++ < 64) {
        if (p[k] == '[') {
            tval v;
            k = parse_value(Y, p, n, k, &v);
            push_arg(Y, c, NULL, 0, &v);
            continue;
        }
        size_t end = code_end(p, n, k);
        size_t j = k + 1;
        size_t lim = end > 0 && end <= n && p[end - 1] == ')' ? end - 1 : end;
        while (j < lim) {
            j = skip_code_space(p, lim, j);
            if (j >= lim) break;
            if (p[j] == ',') { j++; continue; }
            const char *name = NULL;
            size_t nl = 0;
            if (p[j] == '.' && j + 1 < lim && p[j + 1] == '.') {   /* spread */
                j = skip_expr(p, lim, j, ",", 0);
                continue;
            }
            if (is_ident_start((unsigned char)p[j])) {
                size_t q = j;
                while (q < lim && is_ident_char((unsigned char)p[q])) q++;
                size_t r = q;
                while (r < lim && (p[r] == ' ' || p[r] == '\t')) r++;
                if (r < lim && p[r] == ':') { name = p + j; nl = q - j; j = r + 1; }
            }
            tval v;
            size_t after = parse_value(Y, p, lim, j, &v);
            size_t q = skip_code_space(p, lim, after);
            if (q < lim && p[q] != ',') {
                /* an operator or a method call follows: the value is something we do not evaluate */
                q = skip_expr(p, lim, q, ",", 0);
                v.kind = V_OTHER;
            }
            if (push_arg(Y, c, name, nl, &v)) { j = lim; break; }
            j = q;
        }
        k = end;
        /* a method call on the result (setupDocument.with(...).foo()) is taken as part of the name */
        if (k + 1 < n && p[k] == '.' && is_ident_start((unsigned char)p[k + 1])) {
            size_t q = k + 1;
            while (q < n && is_ident_char((unsigned char)p[q])) q++;
            k = q;
        }
    }
    return k;
}

/* ---- rendering ---- */

/* Render markup into dst through a sub-emitter; *inline_only tells whether it is one plain line. */
static void render_content(typ *Y, const char *p, size_t n, pk_buf *dst, int flat, int *inline_only, int *last)
{
    emitter sub;
    em_init(&sub, dst);
    sub.flat = flat;
    emitter *save = Y->e;
    Y->e = &sub;
    if (Y->depth < TYP_MAX_DEPTH) {
        Y->depth++;
        typ_markup(Y, p, n);
        Y->depth--;
    }
    em_end(&sub);
    Y->e = save;
    if (sub.prefix.err) dst->err = 1;
    if (dst->err) Y->err = 1;
    if (inline_only) *inline_only = (sub.last == EM_PARA || sub.last == EM_NONE) && !memchr(dst->p ? (const char *)dst->p : "", '\n', dst->n);
    if (last) *last = sub.last;
    em_free(&sub);
}

static void value_text(typ *Y, const tval *v, pk_buf *out)
{
    switch (v->kind) {
    case V_STR: unescape_str(v->p, v->n, out); break;
    case V_TEXT: case V_NUM: case V_BOOL: buf_put(out, v->p ? v->p : v->tmp, v->n); break;
    case V_CONTENT: render_content(Y, v->p, v->n, out, 1, NULL, NULL); break;
    default: break;
    }
}

static int has_text(const tval *v)
{
    return v->kind == V_STR || v->kind == V_CONTENT || v->kind == V_TEXT;
}

static int name_is(const typ_call *c, const char *s)
{
    size_t l = strlen(s);
    return c->nl == l && memcmp(c->name, s, l) == 0;
}

static int name_starts(const typ_call *c, const char *s)
{
    size_t l = strlen(s);
    return c->nl >= l && memcmp(c->name, s, l) == 0;
}

static void emit_value_inline(typ *Y, const tval *v);
static void render_call(typ *Y, typ_call *c);

static void do_heading_line(typ *Y, int level, int numbered, const char *p, size_t n, int is_content)
{
    if (level < 1) level = 1;
    if (level > 6) level = 6;
    char pre[80];
    size_t pl = 0;
    for (int k = 0; k < level; k++) pre[pl++] = '#';
    pre[pl++] = ' ';
    Y->counters[level - 1]++;
    for (int k = level; k < 8; k++) Y->counters[k] = 0;
    if (Y->numbering && numbered) {
        for (int k = 0; k < level && pl + 12 < sizeof pre; k++)
            pl += (size_t)snprintf(pre + pl, sizeof pre - pl, k == level - 1 ? "%d " : "%d.", Y->counters[k]);
    }
    pk_buf t;
    buf_init(&t);
    if (is_content) render_content(Y, p, n, &t, 1, NULL, NULL);
    else unescape_str(p, n, &t);
    em_par(Y->e);
    em_begin(Y->e, EM_HEAD, pre, pl);
    if (t.n) em_text(Y->e, (const char *)t.p, t.n);
    em_par(Y->e);
    if (t.err) Y->err = 1;
    buf_free(&t);
}

/* A value written where the call stood (layout functions: align, box, strong, ...). */
static void emit_value_inline(typ *Y, const tval *v)
{
    if (v->kind == V_CONTENT) {
        if (Y->depth < TYP_MAX_DEPTH) {
            Y->depth++;
            typ_markup(Y, v->p, v->n);
            Y->depth--;
        }
    } else if (v->kind == V_STR || v->kind == V_TEXT) {
        pk_buf b;
        buf_init(&b);
        value_text(Y, v, &b);
        if (b.n) em_text(Y->e, (const char *)b.p, b.n);
        if (b.err) Y->err = 1;
        buf_free(&b);
    } else if (v->kind == V_CALL && Y->depth < TYP_MAX_DEPTH) {
        typ_call sub;
        memset(&sub, 0, sizeof sub);
        Y->depth++;
        parse_call_at(Y, v->p, v->n, 0, &sub);
        render_call(Y, &sub);
        Y->depth--;
        call_free(&sub);
    }
}

/* Functions that only shape their content. */
static int is_layout(const typ_call *c)
{
    static const char *names[] = {
        "align", "box", "block", "pad", "place", "scale", "rotate", "move", "underline", "overline",
        "strike", "highlight", "strong", "emph", "text", "smallcaps", "sub", "super", "upper", "lower",
        "columns", "stack", "figure", "par", "set", "context", "repeat", "layout", "colbreak", "skew",
        "text.with", "box.with", "block.with", "quote", "footnote", "cite",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) if (name_is(c, names[i])) return 1;
    return 0;
}

/* Functions whose output is not text. */
static int is_silent(const typ_call *c)
{
    static const char *names[] = {
        "image", "outline", "bibliography", "counter", "state", "numbering", "line", "rect", "square",
        "circle", "ellipse", "polygon", "path", "curve", "lorem", "hide", "metadata", "label", "ref",
        "locate", "query", "measure", "here", "datetime", "calc", "range", "read", "json", "csv", "yaml",
        "toml", "xml", "plugin", "version", "selector", "panic", "assert", "eval", "type", "repr",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) if (name_is(c, names[i])) return 1;
    return name_starts(c, "emoji.") || name_starts(c, "sym.") || name_starts(c, "calc.") || name_starts(c, "image.");
}

static const tval *named(const typ_call *c, const char *name)
{
    size_t l = strlen(name);
    for (size_t i = 0; i < c->nargs; i++)
        if (c->args[i].name && c->args[i].nl == l && memcmp(c->args[i].name, name, l) == 0) return &c->args[i].v;
    return NULL;
}

static void render_table(typ *Y, typ_call *c)
{
    long cols = 1;
    const tval *cv = named(c, "columns");
    if (cv && cv->kind == V_NUM) {
        cols = 0;
        for (size_t q = 0; q < cv->n && isdigit((unsigned char)cv->p[q]) && cols < 1000; q++) cols = cols * 10 + (cv->p[q] - '0');
    } else if (cv && cv->kind == V_OTHER && cv->n >= 2 && cv->p[0] == '(') {
        cols = 1;
        size_t q = 1;
        while (q < cv->n) {
            q = skip_expr(cv->p, cv->n - 1, q, ",", 0);
            if (q < cv->n - 1 && cv->p[q] == ',') { q++; if (skip_code_space(cv->p, cv->n - 1, q) < cv->n - 1) cols++; }
            else break;
        }
    }
    if (cols < 1) cols = 1;
    em_par(Y->e);
    long k = 0;
    for (size_t i = 0; i < c->nargs; i++) {
        typ_arg *a = &c->args[i];
        if (a->name) continue;
        if (k % cols == 0) em_begin(Y->e, EM_ROW, NULL, 0);
        else em_cell(Y->e);
        pk_buf b;
        buf_init(&b);
        if (a->v.kind == V_CALL) {
            /* table.cell(...)[x], table.header([a], [b]) */
            typ_call sub;
            memset(&sub, 0, sizeof sub);
            parse_call_at(Y, a->v.p, a->v.n, 0, &sub);
            int first = 1;
            for (size_t s = 0; s < sub.nargs; s++) {
                if (sub.args[s].name || !has_text(&sub.args[s].v)) continue;
                if (!first) {
                    k++;
                    if (k % cols == 0) { em_end(Y->e); em_begin(Y->e, EM_ROW, NULL, 0); }
                    else em_cell(Y->e);
                }
                first = 0;
                b.n = 0;
                value_text(Y, &sub.args[s].v, &b);
                if (b.n) em_text(Y->e, (const char *)b.p, b.n);
            }
            call_free(&sub);
        } else {
            value_text(Y, &a->v, &b);
            if (b.n) em_text(Y->e, (const char *)b.p, b.n);
        }
        if (b.err) Y->err = 1;
        buf_free(&b);
        k++;
        if (k % cols == 0) em_end(Y->e);
    }
    em_end(Y->e);
    em_par(Y->e);
}

/* A call of a function we do not know (a template's own): its text arguments become rows, one per
 * source line of arguments, introduced by a label with the function's name; rows of one cell are
 * list items.  Named text arguments become key lines; content with structure becomes blocks. */
static void render_generic(typ *Y, typ_call *c)
{
    int any = 0, multi = 0, prev_line = -1, cells = 0;
    for (size_t i = 0; i < c->nargs; i++) {
        typ_arg *a = &c->args[i];
        if (!has_text(&a->v) && a->v.kind != V_CALL) continue;
        any = 1;
        if (a->name) continue;
        if (a->v.line != prev_line) { if (cells > 1) multi = 1; cells = 0; prev_line = a->v.line; }
        cells++;
    }
    if (cells > 1) multi = 1;
    if (!any) return;
    /* render every text argument first: inline ones become cells, the rest blocks */
    em_par(Y->e);
    int label_done = 0;
    int row_open = 0, row_line = -1, row_cells = 0;
    for (size_t i = 0; i < c->nargs; i++) {
        typ_arg *a = &c->args[i];
        if (a->v.kind == V_CALL && !a->name) {
            if (row_open) { em_end(Y->e); row_open = 0; }
            emit_value_inline(Y, &a->v);
            continue;
        }
        if (!has_text(&a->v)) continue;
        pk_buf b;
        buf_init(&b);
        int inl = 1, last = EM_PARA;
        if (a->v.kind == V_CONTENT) render_content(Y, a->v.p, a->v.n, &b, 0, &inl, &last);
        else value_text(Y, &a->v, &b);
        if (b.err) Y->err = 1;
        if (!b.n) { buf_free(&b); continue; }
        if (!label_done) {
            em_label(Y->e, c->name, c->nl);
            label_done = 1;
        }
        if (a->name) {
            if (row_open) { em_end(Y->e); row_open = 0; }
            if (inl) {
                char *k = pk_strndup(a->name, a->nl);
                if (k) { em_key(Y->e, k, (const char *)b.p, b.n); pk_free(k); }
                else Y->err = 1;
            } else {
                em_block(Y->e, (const char *)b.p, b.n, last);
            }
        } else if (!inl) {
            if (row_open) { em_end(Y->e); row_open = 0; }
            em_block(Y->e, (const char *)b.p, b.n, last);
        } else {
            if (!row_open || a->v.line != row_line) {
                if (row_open) em_end(Y->e);
                if (multi) em_begin(Y->e, EM_ROW, NULL, 0);
                else em_begin(Y->e, EM_ITEM, "- ", 2);
                row_open = 1;
                row_line = a->v.line;
                row_cells = 0;
            }
            if (row_cells++) em_cell(Y->e);
            em_text(Y->e, (const char *)b.p, b.n);
        }
        buf_free(&b);
    }
    if (row_open) em_end(Y->e);
    em_par(Y->e);
}

static void render_call(typ *Y, typ_call *c)
{
    emitter *e = Y->e;
    if (name_is(c, "linebreak")) { em_break(e); return; }
    if (name_is(c, "pagebreak") || name_is(c, "parbreak") || name_is(c, "colbreak") || name_is(c, "v")) { em_par(e); return; }
    if (name_is(c, "h")) { em_space(e); return; }
    if (is_silent(c)) return;
    if (name_is(c, "heading")) {
        const tval *lv = named(c, "level");
        int level = 1;
        if (lv && lv->kind == V_NUM && lv->n && isdigit((unsigned char)lv->p[0])) level = lv->p[0] - '0';
        const tval *nb = named(c, "numbering");
        int numbered = !(nb && nb->kind == V_NONE);
        for (size_t i = 0; i < c->nargs; i++) {
            typ_arg *a = &c->args[i];
            if (a->name && !(a->nl == 4 && memcmp(a->name, "body", 4) == 0)) continue;
            if (a->v.kind == V_STR || a->v.kind == V_CONTENT) {
                do_heading_line(Y, level, numbered, a->v.p, a->v.n, a->v.kind == V_CONTENT);
                break;
            }
        }
        return;
    }
    if (name_is(c, "link")) {
        const tval *content = NULL, *url = NULL;
        for (size_t i = 0; i < c->nargs; i++) {
            if (c->args[i].name) continue;
            if (c->args[i].v.kind == V_CONTENT) content = &c->args[i].v;
            else if (c->args[i].v.kind == V_STR && !url) url = &c->args[i].v;
        }
        if (content) emit_value_inline(Y, content);
        else if (url) emit_value_inline(Y, url);
        return;
    }
    if (name_is(c, "raw")) {
        for (size_t i = 0; i < c->nargs; i++)
            if (!c->args[i].name && c->args[i].v.kind == V_STR) { emit_value_inline(Y, &c->args[i].v); break; }
        return;
    }
    if (name_is(c, "table") || name_is(c, "grid")) { render_table(Y, c); return; }
    if (name_is(c, "list") || name_is(c, "enum")) {
        em_par(e);
        int k = 0;
        for (size_t i = 0; i < c->nargs; i++) {
            typ_arg *a = &c->args[i];
            if (a->name || !has_text(&a->v)) continue;
            char pre[24];
            size_t pl = name_is(c, "enum") ? (size_t)snprintf(pre, sizeof pre, "%d. ", ++k) : (size_t)snprintf(pre, sizeof pre, "- ");
            em_begin(e, EM_ITEM, pre, pl);
            pk_buf b;
            buf_init(&b);
            value_text(Y, &a->v, &b);
            if (b.n) em_text(e, (const char *)b.p, b.n);
            if (b.err) Y->err = 1;
            buf_free(&b);
            em_end(e);
        }
        em_par(e);
        return;
    }
    if (is_layout(c)) {
        int block = name_is(c, "block") || name_is(c, "quote") || name_is(c, "figure") || name_is(c, "align") ||
                    name_is(c, "place") || name_is(c, "columns") || name_is(c, "par");
        int note = name_is(c, "footnote");
        if (block) em_par(e);
        if (note) { em_space(e); em_text(e, "(", 1); }
        for (size_t i = 0; i < c->nargs; i++) {
            typ_arg *a = &c->args[i];
            if (a->name && !(a->nl == 4 && memcmp(a->name, "body", 4) == 0) &&
                !(a->nl == 7 && memcmp(a->name, "caption", 7) == 0))
                continue;
            if (a->v.kind == V_CONTENT || a->v.kind == V_CALL ||
                (a->v.kind == V_STR && (name_is(c, "text") || name_is(c, "strong") || name_is(c, "emph") ||
                                        name_is(c, "upper") || name_is(c, "lower") || name_is(c, "smallcaps"))))
                emit_value_inline(Y, &a->v);
        }
        if (note) em_text(e, ")", 1);
        if (block) em_par(e);
        return;
    }
    render_generic(Y, c);
}

/* ---- statements after '#' ---- */

static int kw(const char *p, size_t n, size_t i, const char *w)
{
    size_t l = strlen(w);
    return i + l <= n && memcmp(p + i, w, l) == 0 && (i + l == n || !is_ident_char((unsigned char)p[i + l]));
}

/* '#' at p[i-1]; i at the expression.  Returns the index after it. */
static size_t do_hash(typ *Y, const char *p, size_t n, size_t i)
{
    if (i >= n) return n;
    if (kw(p, n, i, "import") || kw(p, n, i, "include")) return skip_expr(p, n, i, ";", 1);
    if (kw(p, n, i, "let")) {
        size_t k = skip_code_space(p, n, i + 3);
        size_t ns = k;
        while (k < n && is_ident_char((unsigned char)p[k])) k++;
        size_t nl = k - ns;
        if (k < n && p[k] == '(') {        /* a function definition */
            k = code_end(p, n, k);
            k = skip_code_space(p, n, k);
            if (k < n && p[k] == '=') k = skip_code_space(p, n, k + 1);
            tval v;
            return parse_value(Y, p, n, k, &v);
        }
        size_t q = k;
        while (q < n && (p[q] == ' ' || p[q] == '\t')) q++;
        if (q >= n || p[q] != '=' || !nl) return skip_expr(p, n, k, ";", 1);
        tval v;
        size_t e = parse_value(Y, p, n, q + 1, &v);
        size_t after = skip_expr(p, n, e, ";", 1);
        if (after != e) v.kind = V_OTHER;     /* an expression, not a plain value */
        if (v.kind == V_STR || v.kind == V_CONTENT || v.kind == V_TEXT || v.kind == V_NUM) {
            pk_buf b;
            buf_init(&b);
            value_text(Y, &v, &b);
            if (!b.err) {
                var_set(Y, p + ns, nl, b.n ? (const char *)b.p : "", b.n);
                if (v.kind != V_NUM) typ_key(Y, p + ns, nl, (const char *)b.p, b.n);
            } else {
                Y->err = 1;
            }
            buf_free(&b);
        }
        return after;
    }
    if (kw(p, n, i, "set")) {
        size_t k = skip_code_space(p, n, i + 3);
        if (kw(p, n, k, "heading")) {
            typ_call c;
            memset(&c, 0, sizeof c);
            size_t e = parse_call_at(Y, p, n, k, &c);
            const tval *nb = named(&c, "numbering");
            if (nb) Y->numbering = nb->kind == V_STR || nb->kind == V_TEXT;
            call_free(&c);
            return skip_expr(p, n, e, ";", 1);
        }
        return skip_expr(p, n, k, ";", 1);
    }
    if (kw(p, n, i, "show")) {
        size_t k = skip_code_space(p, n, i + 4);
        if (k < n && p[k] == ':') {
            /* #show: template.with(key: value, ...) — the template's settings become key lines */
            k = skip_code_space(p, n, k + 1);
            if (k < n && is_ident_start((unsigned char)p[k])) {
                typ_call c;
                memset(&c, 0, sizeof c);
                size_t e = parse_call_at(Y, p, n, k, &c);
                for (size_t a = 0; a < c.nargs; a++) {
                    typ_arg *ar = &c.args[a];
                    if (!ar->name) continue;
                    if (ar->v.kind == V_STR || ar->v.kind == V_TEXT || ar->v.kind == V_CONTENT ||
                        ar->v.kind == V_NUM || ar->v.kind == V_BOOL) {
                        pk_buf b;
                        buf_init(&b);
                        value_text(Y, &ar->v, &b);
                        if (b.err) Y->err = 1;
                        else typ_key(Y, ar->name, ar->nl, (const char *)b.p, b.n);
                        buf_free(&b);
                    }
                }
                call_free(&c);
                return skip_expr(p, n, e, ";", 1);
            }
        }
        /* #show selector: rule — the rule may be a block spanning lines */
        size_t e = skip_expr(p, n, k, ":", 1);
        if (e < n && p[e] == ':') {
            e = skip_code_space(p, n, e + 1);
            tval v;
            e = parse_value(Y, p, n, e, &v);
        }
        return e;
    }
    if (kw(p, n, i, "if") || kw(p, n, i, "for") || kw(p, n, i, "while")) {
        size_t k = i;
        for (int guard = 0; guard < 64 && k < n; guard++) {
            while (k < n && p[k] != '[' && p[k] != '{' && p[k] != '\n') {
                if (p[k] == '"') k = str_end(p, n, k);
                else if (p[k] == '(') k = code_end(p, n, k);
                else k++;
            }
            if (k >= n || p[k] == '\n') return k;
            k = p[k] == '[' ? content_end(p, n, k) : code_end(p, n, k);
            size_t q = skip_code_space(p, n, k);
            if (kw(p, n, q, "else")) { k = q + 4; continue; }
            return k;
        }
        return k;
    }
    if (kw(p, n, i, "context")) return do_hash(Y, p, n, skip_code_space(p, n, i + 7));
    if (p[i] == '{' || p[i] == '(') return code_end(p, n, i);
    if (p[i] == '[') {
        size_t e = content_end(p, n, i);
        if (Y->depth < TYP_MAX_DEPTH) {
            Y->depth++;
            size_t inner = e > i + 1 && p[e - 1] == ']' ? e - i - 2 : e - i - 1;
            typ_markup(Y, p + i + 1, inner);
            Y->depth--;
        }
        return e;
    }
    if (p[i] == '"') {
        tval v;
        size_t e = parse_value(Y, p, n, i, &v);
        emit_value_inline(Y, &v);
        return e;
    }
    if (!is_ident_start((unsigned char)p[i])) {
        em_text(Y->e, "#", 1);
        return i;
    }
    if (kw(p, n, i, "none") || kw(p, n, i, "auto") || kw(p, n, i, "true") || kw(p, n, i, "false"))
        return i + (p[i] == 'f' ? 5 : 4);
    /* identifier path: a variable, or a call */
    size_t k = i;
    while (k < n && (is_ident_char((unsigned char)p[k]) || (p[k] == '.' && k + 1 < n && is_ident_start((unsigned char)p[k + 1])))) k++;
    /* an identifier in markup ends before a trailing '-' (#time-) */
    while (k > i + 1 && p[k - 1] == '-') k--;
    if (k < n && (p[k] == '(' || p[k] == '[')) {
        typ_call c;
        memset(&c, 0, sizeof c);
        size_t e = parse_call_at(Y, p, n, i, &c);
        if (Y->depth < TYP_MAX_DEPTH) {
            Y->depth++;
            render_call(Y, &c);
            Y->depth--;
        }
        call_free(&c);
        return e;
    }
    const char *v = var_get(Y, p + i, k - i);
    if (v) em_text(Y->e, v, strlen(v));
    return k;
}

/* ---- markup ---- */

/* Bytes that end a run of plain markup text. */
static const uint8_t typ_special[256] = {
    ['\n'] = 1, [' '] = 1, ['\t'] = 1, ['\\'] = 1, ['/'] = 1, ['#'] = 1, ['`'] = 1, ['*'] = 1,
    ['_'] = 1, ['~'] = 1, ['-'] = 1, ['$'] = 1, ['<'] = 1, ['@'] = 1,
};

typedef struct typ_lists {
    int col[16];
    int num[16];
    int depth;
} typ_lists;

static void typ_markup(typ *Y, const char *p, size_t n)
{
    emitter *e = Y->e;
    typ_lists L;
    memset(&L, 0, sizeof L);
    int item_col = -1;        /* content column of the open list item, -1 when none */
    int line_start = 1;
    size_t i = 0;
    while (i < n && !Y->err) {
        if (line_start) {
            line_start = 0;
            size_t k = i;
            int col = 0;
            while (k < n && (p[k] == ' ' || p[k] == '\t')) { col += p[k] == '\t' ? 4 : 1; k++; }
            if (k < n && p[k] == '\n') { i = k; continue; }
            /* headings */
            if (k < n && p[k] == '=') {
                size_t h = 0;
                while (k + h < n && p[k + h] == '=') h++;
                if (k + h < n && (p[k + h] == ' ' || p[k + h] == '\t')) {
                    const char *nl = memchr(p + k, '\n', n - k);
                    size_t end = nl ? (size_t)(nl - p) : n;
                    do_heading_line(Y, (int)h, 1, p + k + h + 1, end - k - h - 1, 1);
                    item_col = -1;
                    L.depth = 0;
                    i = end;
                    continue;
                }
            }
            /* list items */
            size_t mk = 0;
            int num = -1, term = 0;
            if (k + 1 < n && (p[k] == '-' || p[k] == '+' || p[k] == '*') && (p[k + 1] == ' ' || p[k + 1] == '\t')) {
                /* "* " is strong text in Typst, but people write it as a Markdown bullet */
                mk = 2;
                num = p[k] == '+' ? 0 : -1;
            } else if (k + 1 < n && p[k] == '/' && p[k + 1] == ' ') {
                mk = 2;
                term = 1;
            } else if (k < n && isdigit((unsigned char)p[k])) {
                size_t d = k;
                int v = 0;
                while (d < n && isdigit((unsigned char)p[d]) && d - k < 6) v = v * 10 + (p[d++] - '0');
                if (d + 1 < n && p[d] == '.' && (p[d + 1] == ' ' || p[d + 1] == '\t')) { mk = d - k + 2; num = v; }
            }
            if (mk) {
                while (L.depth > 0 && L.col[L.depth - 1] > col) L.depth--;
                if (L.depth == 0 || L.col[L.depth - 1] < col) {
                    if (L.depth < 16) { L.col[L.depth] = col; L.num[L.depth] = 0; L.depth++; }
                }
                int d = L.depth - 1;
                if (num == 0) num = ++L.num[d];
                else if (num > 0) L.num[d] = num;
                char pre[64];
                size_t pl = 0;
                for (int q = 0; q < d && pl + 2 < 40; q++) { pre[pl++] = ' '; pre[pl++] = ' '; }
                if (num > 0) pl += (size_t)snprintf(pre + pl, sizeof pre - pl, "%d. ", num);
                else { pre[pl++] = '-'; pre[pl++] = ' '; }
                if (e->cur != EM_ITEM && !e->flat) em_par(e);
                em_begin(e, EM_ITEM, pre, pl);
                i = k + mk;
                item_col = col + (int)mk;
                if (term) {
                    /* "/ Term: description" */
                    const char *nl = memchr(p + i, '\n', n - i);
                    size_t end = nl ? (size_t)(nl - p) : n;
                    const char *colon = memchr(p + i, ':', end - i);
                    if (colon) {
                        size_t ce = (size_t)(colon - p);
                        pk_buf t;
                        buf_init(&t);
                        render_content(Y, p + i, ce - i, &t, 1, NULL, NULL);
                        if (t.n) em_text(e, (const char *)t.p, t.n);
                        buf_free(&t);
                        em_cell(e);
                        i = ce + 1;
                    }
                }
                continue;
            }
            if (item_col >= 0 && col >= item_col && e->cur == EM_ITEM) {
                em_space(e);         /* continuation of the item */
            } else if (item_col >= 0) {
                item_col = -1;
                L.depth = 0;
                em_par(e);
            }
            i = k;
            continue;
        }
        unsigned char c = (unsigned char)p[i];
        switch (c) {
        case '\n': {
            size_t k = i, nls = 0;
            while (k < n && (p[k] == '\n' || p[k] == ' ' || p[k] == '\t')) nls += p[k++] == '\n';
            if (nls >= 2) { em_par(e); item_col = -1; L.depth = 0; }
            else em_space(e);
            /* stand at the start of the last line so that its indentation is seen */
            size_t ls = k;
            while (ls > i && p[ls - 1] != '\n') ls--;
            i = ls;
            line_start = 1;
            break;
        }
        case ' ': case '\t':
            em_space(e);
            while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
            break;
        case '\\':
            if (i + 1 >= n || p[i + 1] == ' ' || p[i + 1] == '\t' || p[i + 1] == '\n') {
                em_break(e);
                i++;
            } else if (p[i + 1] == 'u' && i + 2 < n && p[i + 2] == '{') {
                const char *cb = memchr(p + i, '}', n - i);
                pk_buf b;
                buf_init(&b);
                size_t end = cb ? (size_t)(cb - p) + 1 : i + 2;
                unescape_str(p + i, end - i, &b);
                if (b.n) em_text(e, (const char *)b.p, b.n);
                buf_free(&b);
                i = end;
            } else {
                size_t l = markup_utf8_len(p + i + 1, n - i - 1);
                em_text(e, p + i + 1, l);
                i += 1 + l;
            }
            break;
        case '/':
            if (comment_at(p, n, i)) { i = comment_end(p, n, i); break; }
            em_text(e, "/", 1);
            i++;
            break;
        case '#':
            i = do_hash(Y, p, n, i + 1);
            break;
        case '`': {
            size_t k = 0;
            while (i + k < n && p[i + k] == '`') k++;
            int closed;
            size_t end = raw_span(p, n, i, &closed);
            if (!closed) {                 /* a lone backtick is text */
                em_text(e, p + i, k);
                i += k;
                break;
            }
            if (k >= 3) {
                /* a raw block: the language tag and the lines as verbatim */
                size_t s = i + k;
                while (s < end && p[s] != '\n' && p[s] != ' ') s++;
                size_t ce = end - k;
                if (ce < s) ce = s;
                em_par(e);
                size_t q = s;
                while (q < ce) {
                    const char *nl = memchr(p + q, '\n', ce - q);
                    size_t le = nl ? (size_t)(nl - p) : ce;
                    em_verb(e, p + q, le - q);
                    q = le + 1;
                }
                em_par(e);
            } else if (end > i + 2 * k) {
                em_text(e, p + i + k, end - i - 2 * k);
            }
            i = end;
            break;
        }
        case '*': case '_': {
            unsigned char b = i ? (unsigned char)p[i - 1] : ' ';
            unsigned char a = i + 1 < n ? (unsigned char)p[i + 1] : ' ';
            if (wordc(b) && wordc(a)) em_text(e, p + i, 1);    /* inside a word */
            i++;
            break;
        }
        case '~':
            em_space(e);
            i++;
            break;
        case '-':
            if (i + 2 < n && p[i + 1] == '-' && p[i + 2] == '-') { em_text(e, "\xe2\x80\x94", 3); i += 3; }
            else if (i + 1 < n && p[i + 1] == '-') { em_text(e, "\xe2\x80\x93", 3); i += 2; }
            else if (i + 1 < n && p[i + 1] == '?') i += 2;
            else { em_text(e, "-", 1); i++; }
            break;
        case '$': {
            const char *end = memchr(p + i + 1, '$', n - i - 1);
            size_t e2 = end ? (size_t)(end - p) : n;
            for (size_t q = i + 1; q < e2;) {
                if (p[q] == '"') {
                    size_t se = str_end(p, e2, q);
                    size_t sl = se > q + 1 && p[se - 1] == '"' ? se - q - 2 : se - q - 1;
                    if (sl) em_text(e, p + q + 1, sl);
                    q = se;
                } else if (p[q] == '\n') { em_space(e); q++; }
                else if (p[q] == '^' || p[q] == '_' || p[q] == '\\') q++;
                else { em_text(e, p + q, 1); q++; }
            }
            i = end ? e2 + 1 : n;
            break;
        }
        case '<': {
            size_t k = i + 1;
            while (k < n && (isalnum((unsigned char)p[k]) || p[k] == '-' || p[k] == '_' || p[k] == ':' || p[k] == '.')) k++;
            if (k < n && p[k] == '>' && k > i + 1) { i = k + 1; break; }   /* a label */
            em_text(e, "<", 1);
            i++;
            break;
        }
        case '@':
            if (i + 1 < n && is_ident_start((unsigned char)p[i + 1]) && (i == 0 || !isalnum((unsigned char)p[i - 1]))) {
                i++;   /* a reference: keep its name */
                break;
            }
            em_text(e, "@", 1);
            i++;
            break;
        default: {
            size_t k = i + 1;
            while (k < n && !typ_special[(unsigned char)p[k]]) k++;
            em_text(e, p + i, k - i);
            i = k;
            break;
        }
        }
    }
}

pk_status typst_reduce(emitter *e, const char *p, size_t n)
{
    typ Y;
    memset(&Y, 0, sizeof Y);
    Y.e = e;
    Y.src = p;
    Y.srcn = n;
    buf_init(&Y.keys);
    size_t cnt = 0;
    for (const char *q = p; (q = memchr(q, '\n', n - (size_t)(q - p))); q++) cnt++;
    Y.nls = pk_reallocarray(NULL, cnt + 1, sizeof *Y.nls);
    if (!Y.nls) { buf_free(&Y.keys); return PK_ENOMEM; }
    for (const char *q = p; (q = memchr(q, '\n', n - (size_t)(q - p))); q++) Y.nls[Y.nnls++] = (size_t)(q - p);
    typ_markup(&Y, p, n);
    em_end(e);
    for (int i = 0; i < Y.nvars; i++) { pk_free(Y.vars[i].name); pk_free(Y.vars[i].val); }
    int err = Y.err || Y.keys.err;
    buf_free(&Y.keys);
    pk_free(Y.nls);
    return err ? PK_ENOMEM : PK_OK;
}
