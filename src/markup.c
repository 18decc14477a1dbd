/* markup.c — the canonical-text emitter, format detection, and the Markdown reducer. */
#include "markup.h"

#include "decode.h"

#include <ctype.h>

/* ------------------------------------------------------------------------------------------------
 * Emitter
 * ---------------------------------------------------------------------------------------------- */

void em_init(emitter *e, pk_buf *out)
{
    memset(e, 0, sizeof *e);
    e->out = out;
    buf_init(&e->prefix);
}

void em_free(emitter *e) { buf_free(&e->prefix); }

int markup_is_space(int c) { return c == ' ' || c == '\t'; }

size_t markup_utf8_len(const char *p, size_t n)
{
    unsigned char c = (unsigned char)p[0];
    size_t l = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    return l <= n ? l : 1;
}

static int ties_next(int kind) { return kind == EM_ITEM || kind == EM_ROW || kind == EM_KEY || kind == EM_VERB; }

/* Write the separator and the prefix of the line about to get its first text. */
static void open_line(emitter *e)
{
    if (e->out->n > 0) {
        int nl;
        if (e->last == EM_LABEL && e->cur != EM_HEAD) nl = 1;
        else if (e->par) nl = 2;
        else if (e->cur == EM_PARA && e->last == EM_PARA && e->brk) nl = 1;
        else if (e->cur == e->last && ties_next(e->cur)) nl = 1;
        else nl = 2;
        buf_put(e->out, "\n\n", (size_t)nl);
    }
    if (e->prefix.n) buf_put(e->out, e->prefix.p, e->prefix.n);
    e->cur_text = 1;
    e->par = e->brk = 0;
    e->space = 0;
}

void em_begin(emitter *e, int kind, const char *prefix, size_t plen)
{
    if (e->mute) return;
    if (e->flat) { em_space(e); return; }
    em_end(e);
    e->cur = kind;
    e->cur_text = 0;
    e->prefix.n = 0;
    if (plen) buf_put(&e->prefix, prefix, plen);
}

void em_end(emitter *e)
{
    if (e->mute || e->flat) return;
    if (e->cur != EM_NONE && e->cur_text) {
        if (e->cur == EM_ROW || e->cur == EM_ITEM) {
            for (int i = 0; i < e->tabs; i++) buf_putc(e->out, '\t');
        }
        e->last = e->cur;
    }
    e->cur = EM_NONE;
    e->cur_text = 0;
    e->space = 0;
    e->tabs = 0;
}

void em_par(emitter *e)
{
    if (e->mute) return;
    if (e->flat) { em_space(e); return; }
    em_end(e);
    e->par = 1;
    e->brk = 0;
}

void em_break(emitter *e)
{
    if (e->mute) return;
    if (e->flat || (e->cur != EM_PARA && e->cur != EM_NONE)) { em_space(e); return; }
    if (e->cur == EM_PARA && e->cur_text) {
        em_end(e);
        e->brk = 1;
    }
}

void em_space(emitter *e)
{
    if (e->mute) return;
    if (e->cur_text) e->space = 1;
}

void em_cell(emitter *e)
{
    if (e->mute) return;
    if (e->flat || (e->cur != EM_ROW && e->cur != EM_ITEM)) { em_space(e); return; }
    e->tabs++;
    e->space = 0;
}

static void put_run(emitter *e, const char *p, size_t n)
{
    if (!n) return;
    if (e->cur == EM_NONE) {
        e->cur = EM_PARA;
        e->cur_text = 0;
        e->prefix.n = 0;
    }
    if (!e->cur_text) open_line(e);
    if (e->tabs) {
        for (int i = 0; i < e->tabs; i++) buf_putc(e->out, '\t');
        e->tabs = 0;
        e->space = 0;
    }
    if (e->space) { buf_putc(e->out, ' '); e->space = 0; }
    buf_put(e->out, p, n);
}

void em_text(emitter *e, const char *p, size_t n)
{
    if (e->mute) return;
    size_t i = 0, start = 0;
    int keep_tab = e->cur == EM_PARA || e->cur == EM_NONE;
    if (e->flat) keep_tab = 0;
    while (i < n) {
        char c = p[i];
        if (c == ' ' || c == '\n' || c == '\r' || (c == '\t' && !keep_tab)) {
            put_run(e, p + start, i - start);
            em_space(e);
            start = ++i;
        } else if (c == '\t') {
            put_run(e, p + start, i - start);
            if (!e->cur_text) { start = ++i; continue; }   /* no tab at the start of a line */
            e->space = 0;
            buf_putc(e->out, '\t');
            start = ++i;
        } else {
            i++;
        }
    }
    put_run(e, p + start, i - start);
}

void em_str(emitter *e, const char *s) { em_text(e, s, strlen(s)); }

void em_key(emitter *e, const char *key, const char *v, size_t vn)
{
    if (e->mute || e->flat) return;
    pk_buf pre;
    buf_init(&pre);
    buf_puts(&pre, key);
    buf_putc(&pre, '\t');
    if (pre.err) e->out->err = 1;   /* the output is incomplete: reported as out of memory */
    em_begin(e, EM_KEY, pre.err ? "" : (const char *)pre.p, pre.err ? 0 : pre.n);
    buf_free(&pre);
    em_text(e, v, vn);
    em_end(e);
}

void em_label(emitter *e, const char *name, size_t n)
{
    if (e->mute || e->flat) return;
    em_begin(e, EM_LABEL, NULL, 0);
    em_text(e, name, n);
    if (e->cur_text) buf_putc(e->out, ':');
    em_end(e);
}

void em_verb(emitter *e, const char *p, size_t n)
{
    if (e->mute) return;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    if (!n) return;
    if (e->flat) { em_text(e, p, n); return; }
    em_begin(e, EM_VERB, NULL, 0);
    open_line(e);
    buf_put(e->out, p, n);
    em_end(e);
}

void em_block(emitter *e, const char *p, size_t n, int last_kind)
{
    if (e->mute) return;
    while (n && p[n - 1] == '\n') n--;
    while (n && p[0] == '\n') { p++; n--; }
    if (!n) return;
    if (e->flat) { em_text(e, p, n); return; }
    em_begin(e, EM_PARA, NULL, 0);
    open_line(e);
    buf_put(e->out, p, n);
    e->cur_text = 1;
    e->cur = last_kind ? last_kind : EM_PARA;
    em_end(e);
}

void em_finish(emitter *e)
{
    e->mute = 0;
    e->flat = 0;
    em_end(e);
    if (e->out->n) buf_putc(e->out, '\n');
}

/* ------------------------------------------------------------------------------------------------
 * Formats
 * ---------------------------------------------------------------------------------------------- */

static int ext_is(const char *ext, size_t n, const char *want)
{
    return strlen(want) == n && util_memcasecmp_ascii(ext, want, n) == 0;
}

int markup_format_of_name(const char *name)
{
    if (!name) return -1;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    size_t n = strlen(base);
    if (n > 3 && util_memcasecmp_ascii(base + n - 3, ".gz", 3) == 0) n -= 3;
    const char *dot = NULL;
    for (size_t i = n; i > 0; i--)
        if (base[i - 1] == '.') { dot = base + i - 1; break; }
    if (!dot || dot == base) return -1;
    const char *ext = dot + 1;
    size_t el = (size_t)(base + n - ext);
    if (ext_is(ext, el, "md") || ext_is(ext, el, "markdown") || ext_is(ext, el, "mdown") || ext_is(ext, el, "mkd"))
        return PK_FMT_MARKDOWN;
    if (ext_is(ext, el, "tex") || ext_is(ext, el, "latex") || ext_is(ext, el, "ltx")) return PK_FMT_LATEX;
    if (ext_is(ext, el, "typ")) return PK_FMT_TYPST;
    if (ext_is(ext, el, "txt") || ext_is(ext, el, "text")) return PK_FMT_TEXT;
    return -1;
}

static int line_starts(const char *l, size_t n, const char *w)
{
    size_t k = strlen(w);
    return n >= k && memcmp(l, w, k) == 0;
}

pk_format markup_sniff(const char *p, size_t n)
{
    if (n > 65536) n = 65536;
    int tex = 0, typ = 0, md = 0;
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - p) : n;
        const char *l = p + i;
        size_t ln = e - i;
        while (ln && markup_is_space(*l)) { l++; ln--; }
        if (line_starts(l, ln, "\\documentclass") || line_starts(l, ln, "\\begin{document}")) tex += 10;
        else if (line_starts(l, ln, "\\section") || line_starts(l, ln, "\\subsection") ||
                 line_starts(l, ln, "\\begin{") || line_starts(l, ln, "\\item") || line_starts(l, ln, "\\usepackage"))
            tex += 2;
        if (line_starts(l, ln, "#import ") || line_starts(l, ln, "#let ") || line_starts(l, ln, "#set ") ||
            line_starts(l, ln, "#show"))
            typ += 5;
        else if (ln >= 2 && l[0] == '=' && (l[1] == ' ' || (l[1] == '=' && ln >= 3 && (l[2] == ' ' || l[2] == '='))))
            typ += 2;
        else if (ln >= 2 && l[0] == '#' && isalpha((unsigned char)l[1]) && memchr(l, '(', ln) && l[ln - 1] == ')')
            typ += 1;
        if (ln >= 2 && l[0] == '#' && (l[1] == ' ' || l[1] == '#')) md += 2;
        else if (ln >= 2 && l[0] == '#' && !memchr(l, '(', ln)) md += 1;
        else if (ln >= 2 && (l[0] == '-' || l[0] == '*' || l[0] == '+') && l[1] == ' ') md += 1;
        else if (ln >= 4 && (unsigned char)l[0] == 0xE2 && (unsigned char)l[1] == 0x80 && (unsigned char)l[2] == 0x93 &&
                 markup_is_space(l[3]))
            md += 1;
        if (ln >= 3 && (memmem(l, ln, "](", 2) || memmem(l, ln, "**", 2))) md += 1;
        i = e + 1;
    }
    if (tex >= 4 && tex >= typ && tex >= md) return PK_FMT_LATEX;
    if (typ >= 5 && typ > md) return PK_FMT_TYPST;
    if (md >= 2) return PK_FMT_MARKDOWN;
    return PK_FMT_TEXT;
}

pk_status markup_reduce(pk_format f, const char *p, size_t n, pk_buf *out, int *needs_nfc)
{
    emitter e;
    em_init(&e, out);
    pk_status st;
    switch (f) {
    case PK_FMT_MARKDOWN: st = markdown_reduce(&e, p, n); break;
    case PK_FMT_LATEX:    st = latex_reduce(&e, p, n, needs_nfc); break;
    case PK_FMT_TYPST:    st = typst_reduce(&e, p, n); break;
    default:              st = PK_EINVAL; break;
    }
    if (st == PK_OK) em_finish(&e);
    if (st == PK_OK && (out->err || e.prefix.err)) st = PK_ENOMEM;
    em_free(&e);
    return st;
}

/* ------------------------------------------------------------------------------------------------
 * Markdown
 * ---------------------------------------------------------------------------------------------- */

typedef struct md_delim {
    size_t pos;     /* offset of the run in the line buffer */
    uint8_t ch, len, open, close, used;
} md_delim;

typedef struct md {
    emitter *e;
    pk_buf   line;          /* inline output of the current line */
    md_delim *delims;
    size_t   ndelims, capdelims;
    int      in_comment;    /* inside a multi-line HTML comment */
    int      list_col[16];  /* marker columns of the open lists */
    int      list_depth;    /* number of open lists */
    int      item_open;     /* the last line was a list item (or its continuation) */
    int      item_content;  /* content column of the open item */
    int      err;
    size_t   scan_left;     /* bytes the look-aheads of this line may still scan (see md_inline) */
} md;

static const struct { const char *name; const char *utf8; } md_entities[] = {
    {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}, {"nbsp", " "},
    {"ndash", "\xe2\x80\x93"}, {"mdash", "\xe2\x80\x94"}, {"hellip", "\xe2\x80\xa6"},
    {"auml", "\xc3\xa4"}, {"ouml", "\xc3\xb6"}, {"aring", "\xc3\xa5"}, {"Auml", "\xc3\x84"},
    {"Ouml", "\xc3\x96"}, {"Aring", "\xc3\x85"}, {"eacute", "\xc3\xa9"}, {"Eacute", "\xc3\x89"},
    {"uuml", "\xc3\xbc"}, {"Uuml", "\xc3\x9c"}, {"sect", "\xc2\xa7"}, {"euro", "\xe2\x82\xac"},
    {"rsquo", "\xe2\x80\x99"}, {"lsquo", "\xe2\x80\x98"}, {"rdquo", "\xe2\x80\x9d"}, {"ldquo", "\xe2\x80\x9c"},
    {"copy", "\xc2\xa9"}, {"shy", ""}, {"zwj", ""}, {"times", "\xc3\x97"},
};

/* An entity at p[0..n) starting with '&': writes its text and returns its length, or 0. */
static size_t md_entity(pk_buf *b, const char *p, size_t n)
{
    size_t i = 1;
    if (i < n && p[i] == '#') {
        i++;
        int hex = i < n && (p[i] == 'x' || p[i] == 'X');
        if (hex) i++;
        uint32_t v = 0;
        size_t st = i;
        while (i < n && i - st < 7 && (hex ? isxdigit((unsigned char)p[i]) : isdigit((unsigned char)p[i]))) {
            int d = isdigit((unsigned char)p[i]) ? p[i] - '0' : (tolower((unsigned char)p[i]) - 'a' + 10);
            v = v * (hex ? 16 : 10) + (uint32_t)d;
            i++;
        }
        if (i == st || i >= n || p[i] != ';') return 0;
        if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || v < 0x20) v = 0xFFFD;
        decode_put_cp(b, v);
        return i + 1;
    }
    size_t st = i;
    while (i < n && i - st < 10 && isalnum((unsigned char)p[i])) i++;
    if (i >= n || p[i] != ';' || i == st) return 0;
    for (size_t k = 0; k < sizeof md_entities / sizeof md_entities[0]; k++) {
        if (strlen(md_entities[k].name) == i - st && memcmp(md_entities[k].name, p + st, i - st) == 0) {
            buf_puts(b, md_entities[k].utf8);
            return i + 1;
        }
    }
    return 0;
}

/* An HTML tag or comment at p[0..n) starting with '<': its length, or 0 when it is not one.
 * *br is set for <br>.  An unterminated comment returns n and sets *open_comment. */
static size_t md_tag(const char *p, size_t n, int *br, int *open_comment)
{
    *br = 0;
    if (n >= 4 && memcmp(p, "<!--", 4) == 0) {
        const char *end = memmem(p + 4, n - 4, "-->", 3);
        if (!end) { *open_comment = 1; return n; }
        return (size_t)(end - p) + 3;
    }
    size_t i = 1;
    if (i < n && p[i] == '/') i++;
    if (i >= n || !isalpha((unsigned char)p[i])) return 0;
    size_t ns = i;
    while (i < n && (isalnum((unsigned char)p[i]) || p[i] == '-')) i++;
    size_t nl = i - ns;
    if (i < n && !(p[i] == '>' || p[i] == ' ' || p[i] == '/' || p[i] == '\t')) return 0;
    char q = 0;
    while (i < n) {
        if (q) { if (p[i] == q) q = 0; }
        else if (p[i] == '"' || p[i] == '\'') q = p[i];
        else if (p[i] == '>') break;
        else if (p[i] == '<') return 0;
        i++;
    }
    if (i >= n) return 0;
    if (nl == 2 && util_memcasecmp_ascii(p + ns, "br", 2) == 0) *br = 1;
    return i + 1;
}

static int is_punct(unsigned char c) { return c < 0x80 && ispunct(c); }
static int is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == 0; }

static void md_add_delim(md *m, size_t pos, uint8_t ch, uint8_t len, int open, int close)
{
    if (m->ndelims == m->capdelims) {
        size_t nc = m->capdelims ? m->capdelims * 2 : 16;
        md_delim *nd = pk_reallocarray(m->delims, nc, sizeof *nd);
        if (!nd) { m->err = 1; return; }
        m->delims = nd;
        m->capdelims = nc;
    }
    md_delim *d = &m->delims[m->ndelims++];
    d->pos = pos; d->ch = ch; d->len = len; d->open = (uint8_t)open; d->close = (uint8_t)close; d->used = 0;
}

static void md_inline_into(md *m, const char *p, size_t n, int depth);

/* Bytes that may start inline markup. */
static const uint8_t md_special[256] = {
    ['\\'] = 1, ['`'] = 1, ['!'] = 1, ['['] = 1, ['<'] = 1, ['&'] = 1, ['*'] = 1, ['_'] = 1, ['~'] = 1,
};

/* Charge a look-ahead of k bytes to the line's budget; 0 when the budget is spent. */
static int md_scan(md *m, size_t k)
{
    if (m->scan_left < k) { m->scan_left = 0; return 0; }
    m->scan_left -= k;
    return 1;
}

/* Matching ']' for the '[' at p[0], or 0. */
static size_t md_close_bracket(md *m, const char *p, size_t n)
{
    int d = 0;
    for (size_t i = 0; i < n; i++) {
        if (!md_scan(m, 1)) return 0;
        if (p[i] == '\\') { i++; continue; }
        if (p[i] == '`') {
            const char *e = memchr(p + i + 1, '`', n - i - 1);
            if (e) { i = (size_t)(e - p); continue; }
        }
        if (p[i] == '[') d++;
        else if (p[i] == ']' && --d == 0) return i;
    }
    return 0;
}

/* Matching ')' for the '(' at p[0], or 0. */
static size_t md_close_paren(md *m, const char *p, size_t n)
{
    int d = 0;
    for (size_t i = 0; i < n; i++) {
        if (!md_scan(m, 1)) return 0;
        if (p[i] == '\\') { i++; continue; }
        if (p[i] == '(') d++;
        else if (p[i] == ')' && --d == 0) return i;
        else if (p[i] == ' ' && d == 1) {
            /* a title: "url "title"" — allow it, the closing paren still ends the link */
        }
    }
    return 0;
}

/* Inline Markdown of one line into m->line; emphasis runs are recorded for pairing. */
static void md_inline_into(md *m, const char *p, size_t n, int depth)
{
    pk_buf *b = &m->line;
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)p[i];
        if (m->in_comment) {
            const char *end = memmem(p + i, n - i, "-->", 3);
            if (!end) return;
            m->in_comment = 0;
            i = (size_t)(end - p) + 3;
            continue;
        }
        if (c == '\\' && i + 1 < n && is_punct((unsigned char)p[i + 1])) {
            buf_putc(b, p[i + 1]);
            i += 2;
            continue;
        }
        if (c == '`') {
            size_t k = 0;
            while (i + k < n && p[i + k] == '`') k++;
            size_t j = i + k;
            size_t close = 0;
            while (j < n) {
                if (p[j] == '`') {
                    size_t r = 0;
                    while (j + r < n && p[j + r] == '`') r++;
                    if (r == k) { close = j; break; }
                    j += r;
                } else {
                    j++;
                }
            }
            if (!md_scan(m, j - i)) close = 0;
            if (!close) { buf_put(b, p + i, k); i += k; continue; }
            const char *s = p + i + k;
            size_t sl = close - (i + k);
            if (sl >= 2 && s[0] == ' ' && s[sl - 1] == ' ') { s++; sl -= 2; }
            buf_put(b, s, sl);
            i = close + k;
            continue;
        }
        if (c == '!' && i + 1 < n && p[i + 1] == '[') { i++; continue; }   /* image: keep its alt text */
        if (c == '[' && depth < 8) {
            size_t cb = md_close_bracket(m, p + i, n - i);
            if (cb) {
                size_t after = i + cb + 1;
                if (after < n && p[after] == '(') {
                    size_t cp = md_close_paren(m, p + after, n - after);
                    if (cp) {
                        md_inline_into(m, p + i + 1, cb - 1, depth + 1);
                        i = after + cp + 1;
                        continue;
                    }
                } else if (after < n && p[after] == '[') {
                    size_t cb2 = md_close_bracket(m, p + after, n - after);
                    if (cb2) {
                        md_inline_into(m, p + i + 1, cb - 1, depth + 1);
                        i = after + cb2 + 1;
                        continue;
                    }
                }
            }
            buf_putc(b, '[');
            i++;
            continue;
        }
        if (c == '<') {
            /* autolink */
            const char *gt = memchr(p + i + 1, '>', n - i - 1);
            if (gt && !md_scan(m, (size_t)(gt - (p + i)))) gt = NULL;
            if (gt) {
                size_t l = (size_t)(gt - (p + i + 1));
                const char *s = p + i + 1;
                if (l > 3 && !memchr(s, ' ', l) &&
                    (memmem(s, l, "://", 3) || (memchr(s, '@', l) && !memchr(s, '<', l)))) {
                    buf_put(b, s, l);
                    i = (size_t)(gt - p) + 1;
                    continue;
                }
            }
            int br = 0;
            size_t tl = m->scan_left ? md_tag(p + i, n - i, &br, &m->in_comment) : 0;
            if (tl && !md_scan(m, tl)) tl = 0;
            if (tl) {
                if (br) buf_putc(b, ' ');
                i += tl;
                continue;
            }
            buf_putc(b, '<');
            i++;
            continue;
        }
        if (c == '&') {
            size_t el = md_entity(b, p + i, n - i);
            if (el) { i += el; continue; }
            buf_putc(b, '&');
            i++;
            continue;
        }
        if (c == '*' || c == '_' || c == '~') {
            size_t k = 0;
            while (i + k < n && p[i + k] == (char)c) k++;
            if (c == '~' && k != 2) { buf_put(b, p + i, k); i += k; continue; }
            unsigned char before = i ? (unsigned char)p[i - 1] : 0;
            unsigned char after = i + k < n ? (unsigned char)p[i + k] : 0;
            int left = !is_ws(after) && (!is_punct(after) || is_ws(before) || is_punct(before));
            int right = !is_ws(before) && (!is_punct(before) || is_ws(after) || is_punct(after));
            if (c == '_') {
                /* no intraword emphasis with underscores (närvarande_medlemmar) */
                int lw = left && (!right || is_punct(before));
                int rw = right && (!left || is_punct(after));
                left = lw;
                right = rw;
            }
            if ((left || right) && k <= 3) md_add_delim(m, b->n, c, (uint8_t)k, left, right);
            buf_put(b, p + i, k);
            i += k;
            continue;
        }
        size_t k = i + 1;
        while (k < n && !md_special[(unsigned char)p[k]]) k++;
        buf_put(b, p + i, k - i);
        i = k;
    }
}

/* Pair emphasis runs and write the line without them. */
static void md_flush_line(md *m)
{
    pk_buf *b = &m->line;
    if (b->err || m->err) {   /* out of memory (reported at the end): the line is incomplete */
        b->n = 0;
        m->ndelims = 0;
        return;
    }
    for (size_t k = 0; k < m->ndelims; k++) {
        md_delim *cl = &m->delims[k];
        if (!cl->close || cl->used) continue;
        for (size_t j = k; j-- > 0;) {
            md_delim *op = &m->delims[j];
            if (op->used || !op->open || op->ch != cl->ch || op->len != cl->len) continue;
            op->used = cl->used = 1;
            /* runs between them can no longer pair across */
            for (size_t t = j + 1; t < k; t++)
                if (!m->delims[t].used) m->delims[t].open = m->delims[t].close = 0;
            break;
        }
    }
    size_t from = 0;
    for (size_t k = 0; k < m->ndelims; k++) {
        md_delim *d = &m->delims[k];
        if (!d->used) continue;
        em_text(m->e, (const char *)b->p + from, d->pos - from);
        from = d->pos + d->len;
    }
    if (b->n > from) em_text(m->e, (const char *)b->p + from, b->n - from);
    b->n = 0;
    m->ndelims = 0;
}

/* Inline Markdown of one line.  Links, tags and code spans look ahead for their closing marks; on
 * hostile lines ("[[[[..." or "![a![a..." over megabytes) those look-aheads would add up to time
 * quadratic in the line, so a line may scan ahead 32 times its length (real lines use a fraction
 * of that); after that its remaining marks are taken as text. */
static void md_inline(md *m, const char *p, size_t n)
{
    m->scan_left = n < SIZE_MAX / 32 - 4096 ? 32 * n + 4096 : SIZE_MAX;
    m->line.n = 0;
    m->ndelims = 0;
    md_inline_into(m, p, n, 0);
    md_flush_line(m);
}

/* Column of the first non-blank character (tabs to multiples of 4) and its byte offset. */
static int md_indent(const char *l, size_t n, size_t *off)
{
    int col = 0;
    size_t i = 0;
    while (i < n && markup_is_space(l[i])) {
        col = l[i] == '\t' ? (col / 4 + 1) * 4 : col + 1;
        i++;
    }
    *off = i;
    return col;
}

static int md_blank(const char *l, size_t n)
{
    for (size_t i = 0; i < n; i++) if (!markup_is_space(l[i])) return 0;
    return 1;
}

/* A thematic break or setext underline made of ch (3+ for breaks; any count for '='). */
static int md_rule(const char *l, size_t n, char ch, int min)
{
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        if (l[i] == ch) k++;
        else if (!markup_is_space(l[i])) return 0;
    }
    return k >= min;
}

static int md_any_rule(const char *l, size_t n)
{
    return md_rule(l, n, '-', 3) || md_rule(l, n, '*', 3) || md_rule(l, n, '_', 3);
}

/* A list marker at l[0..n) (after indentation): its length including the following blank, the
 * number of an ordered item in *num (-1 for bullets). */
static size_t md_marker(const char *l, size_t n, long *num)
{
    *num = -1;
    size_t k = 0;
    if (n >= 1 && (l[0] == '-' || l[0] == '*' || l[0] == '+')) k = 1;
    else if (n >= 3 && (unsigned char)l[0] == 0xE2 && (unsigned char)l[1] == 0x80 &&
             ((unsigned char)l[2] == 0x93 || (unsigned char)l[2] == 0xA2))
        k = 3;   /* en dash, bullet */
    else {
        long v = 0;
        while (k < n && k < 9 && isdigit((unsigned char)l[k])) v = v * 10 + (l[k++] - '0');
        if (k == 0 || k >= n || (l[k] != '.' && l[k] != ')')) return 0;
        k++;
        *num = v;
    }
    if (k == n) return *num < 0 ? k : 0;        /* an empty bullet item */
    if (!markup_is_space(l[k])) return 0;
    while (k < n && markup_is_space(l[k])) k++;
    return k;
}

static int md_is_table_delim(const char *l, size_t n)
{
    int dashes = 0, pipes = 0;
    for (size_t i = 0; i < n; i++) {
        char c = l[i];
        if (c == '-') dashes++;
        else if (c == '|') pipes++;
        else if (c != ':' && !markup_is_space(c)) return 0;
    }
    return dashes >= 1 && pipes >= 1;
}

static void md_table_row(md *m, const char *l, size_t n)
{
    while (n && markup_is_space(*l)) { l++; n--; }
    while (n && markup_is_space(l[n - 1])) n--;
    if (n && *l == '|') { l++; n--; }
    if (n && l[n - 1] == '|' && !(n >= 2 && l[n - 2] == '\\')) n--;
    em_begin(m->e, EM_ROW, NULL, 0);
    size_t st = 0;
    int first = 1;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && l[i] == '\\') { i++; continue; }
        if (i < n && l[i] == '`') {
            const char *e = memchr(l + i + 1, '`', n - i - 1);
            if (e) { i = (size_t)(e - l); continue; }
        }
        if (i == n || l[i] == '|') {
            if (!first) em_cell(m->e);
            first = 0;
            md_inline(m, l + st, i - st);
            st = i + 1;
        }
    }
    em_end(m->e);
}

static void next_line(const char *p, size_t n, size_t *i, const char **l, size_t *ln)
{
    const char *nl = memchr(p + *i, '\n', n - *i);
    size_t e = nl ? (size_t)(nl - p) : n;
    *l = p + *i;
    *ln = e - *i;
    *i = nl ? e + 1 : n;
}

static void md_close_lists(md *m)
{
    m->list_depth = 0;
    m->item_open = 0;
}

pk_status markdown_reduce(emitter *e, const char *p, size_t n)
{
    md m;
    memset(&m, 0, sizeof m);
    m.e = e;
    buf_init(&m.line);
    size_t i = 0;
    char fence = 0;
    size_t fence_len = 0;
    int in_para = 0;
    while (i < n) {
        const char *l;
        size_t ln;
        next_line(p, n, &i, &l, &ln);
        size_t off;
        int col = md_indent(l, ln, &off);
        const char *t = l + off;
        size_t tn = ln - off;

        if (fence) {
            size_t k = 0;
            while (k < tn && t[k] == fence) k++;
            if (k >= fence_len && md_blank(t + k, tn - k)) { fence = 0; em_par(e); continue; }
            em_verb(e, l, ln);
            continue;
        }
        if (m.in_comment) {
            const char *end = memmem(l, ln, "-->", 3);
            if (!end) continue;
            m.in_comment = 0;
            size_t skip = (size_t)(end - l) + 3;
            l += skip;
            ln -= skip;
            col = md_indent(l, ln, &off);
            t = l + off;
            tn = ln - off;
        }
        if (md_blank(t, tn)) {
            em_par(e);
            in_para = 0;
            if (m.item_open) m.item_open = 2;   /* a blank line inside a list */
            continue;
        }
        /* block quotes: drop the markers */
        while (col < 4 && tn && *t == '>') {
            t++; tn--;
            if (tn && markup_is_space(*t)) { t++; tn--; }
            size_t o2;
            md_indent(t, tn, &o2);
            t += o2;
            tn -= o2;
        }
        if (!tn) { em_par(e); in_para = 0; continue; }
        if (col < 4 && tn >= 3 && (t[0] == '`' || t[0] == '~')) {
            size_t k = 0;
            while (k < tn && t[k] == t[0]) k++;
            if (k >= 3 && !(t[0] == '`' && memchr(t + k, '`', tn - k))) {
                fence = t[0];
                fence_len = k;
                em_par(e);
                md_close_lists(&m);
                in_para = 0;
                continue;
            }
        }
        if (col < 4 && tn && t[0] == '#') {
            size_t h = 0;
            while (h < tn && t[h] == '#') h++;
            if (h <= 6) {
                size_t s = h;
                while (s < tn && markup_is_space(t[s])) s++;
                size_t en = tn;
                while (en > s && markup_is_space(t[en - 1])) en--;
                size_t en2 = en;
                while (en2 > s && t[en2 - 1] == '#') en2--;
                if (en2 < en && (en2 == s || markup_is_space(t[en2 - 1]))) en = en2;
                while (en > s && markup_is_space(t[en - 1])) en--;
                char pre[8];
                memset(pre, '#', h);
                pre[h] = ' ';
                em_begin(e, EM_HEAD, pre, h + 1);
                md_inline(&m, t + s, en - s);
                em_par(e);
                md_close_lists(&m);
                in_para = 0;
                continue;
            }
        }
        if (col < 4 && md_any_rule(t, tn)) {
            em_par(e);
            md_close_lists(&m);
            in_para = 0;
            continue;
        }
        if (col < 4 && tn >= 5 && t[0] == '[') {
            /* link reference definition */
            m.scan_left = tn;
            size_t cb = md_close_bracket(&m, t, tn);
            if (cb && cb + 1 < tn && t[cb + 1] == ':') continue;
        }
        /* tables: a row with pipes followed by a delimiter row */
        if (memchr(t, '|', tn)) {
            size_t save = i;
            const char *l2;
            size_t ln2;
            if (i < n) {
                next_line(p, n, &i, &l2, &ln2);
                if (md_is_table_delim(l2, ln2)) {
                    em_par(e);
                    md_close_lists(&m);
                    md_table_row(&m, t, tn);
                    while (i < n) {
                        size_t s2 = i;
                        next_line(p, n, &i, &l2, &ln2);
                        if (md_blank(l2, ln2) || !memchr(l2, '|', ln2)) { i = s2; break; }
                        md_table_row(&m, l2, ln2);
                    }
                    em_par(e);
                    in_para = 0;
                    continue;
                }
                i = save;
            }
        }
        long num;
        size_t mk = md_marker(t, tn, &num);
        if (mk && !(in_para && !m.item_open && num > 1)) {
            /* a list item: find its depth from the marker columns of the open lists */
            if (!m.item_open) m.list_depth = 0;
            while (m.list_depth > 0 && m.list_col[m.list_depth - 1] > col) m.list_depth--;
            if (m.list_depth == 0 || m.list_col[m.list_depth - 1] < col) {
                if (m.list_depth < (int)(sizeof m.list_col / sizeof m.list_col[0])) m.list_col[m.list_depth++] = col;
            }
            int depth = m.list_depth - 1;
            char pre[64];
            size_t pl = 0;
            for (int d = 0; d < depth && pl + 2 < 40; d++) { pre[pl++] = ' '; pre[pl++] = ' '; }
            if (num >= 0) pl += (size_t)snprintf(pre + pl, sizeof pre - pl, "%ld. ", num);
            else { pre[pl++] = '-'; pre[pl++] = ' '; }
            em_begin(e, EM_ITEM, pre, pl);
            md_inline(&m, t + mk, tn - mk);
            m.item_open = 1;
            m.item_content = col + (int)mk;
            in_para = 0;
            continue;
        }
        if (m.item_open && col > 0 && (m.item_open == 1 || col >= m.item_content)) {
            /* an indented line continues the open item */
            if (e->cur == EM_ITEM) {
                em_space(e);
                md_inline(&m, t, tn);
                continue;
            }
        }
        if (m.item_open && col == 0) md_close_lists(&m);
        /* setext heading: this line underlined by === or --- */
        if (i < n) {
            size_t save = i;
            const char *l2;
            size_t ln2;
            next_line(p, n, &i, &l2, &ln2);
            size_t o2;
            int c2 = md_indent(l2, ln2, &o2);
            if (c2 < 4 && ln2 > o2 && (md_rule(l2 + o2, ln2 - o2, '=', 2) || md_rule(l2 + o2, ln2 - o2, '-', 2)) &&
                !md_blank(l2, ln2)) {
                int lvl = l2[o2] == '=' ? 1 : 2;
                em_begin(e, EM_HEAD, lvl == 1 ? "# " : "## ", (size_t)lvl + 1);
                md_inline(&m, t, tn);
                em_par(e);
                in_para = 0;
                continue;
            }
            i = save;
        }
        /* a paragraph line; lines of a paragraph stay lines */
        if (in_para) em_break(e);
        else em_par(e);
        md_inline(&m, t, tn);
        in_para = 1;
    }
    em_end(e);
    int err = m.err || m.line.err;
    buf_free(&m.line);
    pk_free(m.delims);
    return err ? PK_ENOMEM : PK_OK;
}
