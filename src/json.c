/* json.c — JSON serialisation policy and small safe setters over jansson. */
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "json.h"

#include "protokoll.h"
#include "util.h"

static char *dump(const json_t *v, size_t flags)
{
    util_install_json_alloc();
    unsigned long jf = util_json_failures();
    char *s = json_dumps(v, flags | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY | JSON_REAL_PRECISION(8));
    /* jansson ignores a failed append while writing an object's key and goes on, so a text it
     * returns after any failed allocation may lack pieces */
    if (s && util_json_failures() != jf) {
        pk_free(s);
        s = NULL;
    }
    return s;   /* allocated through the hook, so pk_free releases it */
}

char *json_dump_compact(const json_t *v) { return dump(v, JSON_COMPACT); }
char *json_dump_pretty(const json_t *v) { return dump(v, JSON_INDENT(2)); }

static int set_new(json_t *obj, const char *key, json_t *v)
{
    if (!v) return -1;
    return json_object_set_new(obj, key, v);
}

int json_set_str(json_t *obj, const char *key, const char *s)
{
    return set_new(obj, key, s ? json_strn_lossy(s, strlen(s)) : json_null());
}

int json_set_strn(json_t *obj, const char *key, const char *s, size_t n)
{
    return set_new(obj, key, s ? json_strn_lossy(s, n) : json_null());
}

int json_set_int(json_t *obj, const char *key, long long v) { return set_new(obj, key, json_integer(v)); }
int json_set_real(json_t *obj, const char *key, double v) { return set_new(obj, key, json_real(v)); }

int json_set_date(json_t *obj, const char *key, int32_t days)
{
    if (days == PK_NODATE) return set_new(obj, key, json_null());
    char b[11];
    pk_date_format(days, b);
    return set_new(obj, key, b[0] ? json_string(b) : json_null());
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when invalid. */
static size_t utf8_valid_len(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    if (c < 0x80) return c ? 1 : 0;
    size_t len;
    uint32_t min;
    if ((c & 0xE0) == 0xC0) { len = 2; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; min = 0x800; }
    else if ((c & 0xF8) == 0xF0 && c <= 0xF4) { len = 4; min = 0x10000; }
    else return 0;
    if (n < len) return 0;
    uint32_t cp = c & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

json_t *json_strn_lossy(const char *s, size_t n)
{
    util_install_json_alloc();
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;
    while (i < n) {
        size_t l = utf8_valid_len(p + i, n - i);
        if (!l) break;
        i += l;
    }
    if (i == n) return json_stringn(s, n);
    pk_buf b;
    buf_init(&b);
    buf_put(&b, s, i);
    while (i < n) {
        size_t l = utf8_valid_len(p + i, n - i);
        if (l) { buf_put(&b, p + i, l); i += l; }
        else { buf_put(&b, "\xEF\xBF\xBD", 3); i++; }
    }
    if (b.err) { buf_free(&b); return NULL; }
    json_t *v = json_stringn((const char *)b.p, b.n);
    buf_free(&b);
    return v;
}

/* ---- the streaming writer ---- */


void jw_init(json_w *w, pk_buf *b)
{
    w->b = b;
    w->depth = 0;
    w->comma[0] = 0;
}

static inline void jw_sep(json_w *w)
{
    if (w->comma[w->depth]) {
        if (jw_room(w->b, 1)) w->b->p[w->b->n++] = ',';
    }
    w->comma[w->depth] = 1;
}

static void jw_open(json_w *w, char c)
{
    jw_sep(w);
    if (jw_room(w->b, 1)) w->b->p[w->b->n++] = (uint8_t)c;
    if (w->depth + 1 < sizeof w->comma) w->depth++;
    else w->b->err = 1;   /* deeper than any record goes */
    w->comma[w->depth] = 0;
}

static void jw_close(json_w *w, char c)
{
    if (jw_room(w->b, 1)) w->b->p[w->b->n++] = (uint8_t)c;
    if (w->depth) w->depth--;
}

void jw_obj(json_w *w) { jw_open(w, '{'); }
void jw_obj_end(json_w *w) { jw_close(w, '}'); }
void jw_arr(json_w *w) { jw_open(w, '['); }
void jw_arr_end(json_w *w) { jw_close(w, ']'); }


void jw_null(json_w *w)
{
    jw_sep(w);
    pk_buf *b = w->b;
    if (!jw_room(b, 4)) return;
    memcpy(b->p + b->n, "null", 4);
    b->n += 4;
}

void jw_int(json_w *w, long long v)
{
    char tmp[24];
    int i = (int)sizeof tmp;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do { tmp[--i] = (char)('0' + u % 10); u /= 10; } while (u);
    if (v < 0) tmp[--i] = '-';
    jw_sep(w);
    pk_buf *b = w->b;
    size_t n = sizeof tmp - (size_t)i;
    if (!jw_room(b, n)) return;
    memcpy(b->p + b->n, tmp + i, n);
    b->n += n;
}

void jw_str(json_w *w, const char *s, size_t n)
{
    if (!s) { jw_null(w); return; }
    jw_sep(w);
    pk_buf *b = w->b;
    /* the common case, plain text: one copy; escapes and repairs take at most 6 bytes each */
    if (!jw_room(b, n + 2)) return;
    b->p[b->n++] = '"';
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0, run = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') { i++; continue; }
        if (c >= 0x80) {
            size_t l = utf8_valid_len(p + i, n - i);
            if (l) { i += l; continue; }
        }
        /* flush the plain run before this byte */
        if (i > run) { if (!jw_room(b, i - run)) return; memcpy(b->p + b->n, p + run, i - run); b->n += i - run; }
        if (!jw_room(b, 8)) return;
        if (c >= 0x80 || c == 0) {
            memcpy(b->p + b->n, "\xEF\xBF\xBD", 3);   /* U+FFFD for a byte that is no UTF-8, and NUL */
            b->n += 3;
        } else {
            char esc[6];
            size_t el = 2;
            esc[0] = '\\';
            switch (c) {
            case '"': esc[1] = '"'; break;
            case '\\': esc[1] = '\\'; break;
            case '\b': esc[1] = 'b'; break;
            case '\f': esc[1] = 'f'; break;
            case '\n': esc[1] = 'n'; break;
            case '\r': esc[1] = 'r'; break;
            case '\t': esc[1] = 't'; break;
            default:
                esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
                esc[4] = "0123456789abcdef"[c >> 4]; esc[5] = "0123456789abcdef"[c & 15];
                el = 6;
            }
            memcpy(b->p + b->n, esc, el);
            b->n += el;
        }
        i++;
        run = i;
    }
    size_t tail = i - run + 1;
    if (!jw_room(b, tail)) return;
    memcpy(b->p + b->n, p + run, i - run);
    b->n += i - run;
    b->p[b->n++] = '"';
}

/* Bytes that need escaping in a JSON string (control characters, quote, backslash; NUL too). */
static const uint8_t jw_special[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

void jw_str_utf8(json_w *w, const char *s, size_t n)
{
    if (!s) { jw_null(w); return; }
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;
#if defined(__SSE2__)
    /* sixteen bytes at a time: control bytes, '"' and '\\' */
    const __m128i c1f = _mm_set1_epi8(0x1F), quote = _mm_set1_epi8('"'), bsl = _mm_set1_epi8('\\');
    for (; n - i >= 16; i += 16) {
        __m128i c = _mm_loadu_si128((const __m128i *)(p + i));
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(c, c1f), c1f),
                                 _mm_or_si128(_mm_cmpeq_epi8(c, quote), _mm_cmpeq_epi8(c, bsl)));
        if (_mm_movemask_epi8(m)) break;
    }
#endif
    while (i < n && !jw_special[p[i]]) i++;
    if (i < n) { jw_str(w, s, n); return; }   /* something to escape: the careful way */
    jw_sep(w);
    pk_buf *b = w->b;
    if (!jw_room(b, n + 2)) return;
    b->p[b->n++] = '"';
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n++] = '"';
}
