/* A strict JSON reader that builds jansson values.
 *
 * jansson's own parser keeps the text of the token it is reading in a buffer whose growth may fail
 * unnoticed; when an allocation fails in the middle of a string with an escape, it later meets a
 * truncated escape and stops the process on an assertion (load.c, lex_scan_string, jansson 2.14).
 * The library reads its own records under a caller's allocator that may fail at any point, so it
 * reads them here: every allocation is checked and reported as PK_ENOMEM, malformed text as
 * PK_ECORRUPT, and nothing is ever asserted. */
#include "jsonread.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define JR_MAX_DEPTH 512

typedef struct {
    const char *p, *e;
    pk_status   st;
    pk_buf      s;      /* a string's decoded bytes, reused */
} jr;

static void ws(jr *r)
{
    while (r->p < r->e && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) r->p++;
}

static json_t *fail(jr *r, pk_status st)
{
    if (r->st == PK_OK) r->st = st;
    return NULL;
}

static int hex4(const char *p, const char *e, uint32_t *v)
{
    if (e - p < 4) return -1;
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        *v = *v << 4 | (uint32_t)d;
    }
    return 0;
}

static void put_utf8(pk_buf *b, uint32_t c)
{
    uint8_t u[4];
    size_t n;
    if (c < 0x80) { u[0] = (uint8_t)c; n = 1; }
    else if (c < 0x800) { u[0] = (uint8_t)(0xc0 | c >> 6); u[1] = (uint8_t)(0x80 | (c & 63)); n = 2; }
    else if (c < 0x10000) { u[0] = (uint8_t)(0xe0 | c >> 12); u[1] = (uint8_t)(0x80 | (c >> 6 & 63)); u[2] = (uint8_t)(0x80 | (c & 63)); n = 3; }
    else { u[0] = (uint8_t)(0xf0 | c >> 18); u[1] = (uint8_t)(0x80 | (c >> 12 & 63)); u[2] = (uint8_t)(0x80 | (c >> 6 & 63)); u[3] = (uint8_t)(0x80 | (c & 63)); n = 4; }
    buf_put(b, u, n);
}

/* Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF)? */
static int utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) { i++; continue; }
        size_t k;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) { k = 1; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { k = 2; cp = c & 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { k = 3; cp = c & 0x07; }
        else return 0;
        if (n - i <= k) return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* The string at r->p (its opening quote) decoded into r->s; -1 with r->st set on failure. */
static int string_into(jr *r)
{
    r->s.n = 0;
    r->s.err = 0;
    const char *p = r->p + 1, *e = r->e;
    while (p < e && *p != '"') {
        const char *q = p;
        while (q < e && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20) q++;
        if (q > p) buf_put(&r->s, p, (size_t)(q - p));
        p = q;
        if (p >= e || *p == '"') break;
        if ((unsigned char)*p < 0x20) { fail(r, PK_ECORRUPT); return -1; }
        if (++p >= e) break;
        uint32_t c, lo;
        switch (*p++) {
        case '"': buf_putc(&r->s, '"'); break;
        case '\\': buf_putc(&r->s, '\\'); break;
        case '/': buf_putc(&r->s, '/'); break;
        case 'b': buf_putc(&r->s, '\b'); break;
        case 'f': buf_putc(&r->s, '\f'); break;
        case 'n': buf_putc(&r->s, '\n'); break;
        case 'r': buf_putc(&r->s, '\r'); break;
        case 't': buf_putc(&r->s, '\t'); break;
        case 'u':
            if (hex4(p, e, &c)) { fail(r, PK_ECORRUPT); return -1; }
            p += 4;
            if (c >= 0xd800 && c < 0xdc00) {
                if (e - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, e, &lo) || lo < 0xdc00 || lo >= 0xe000) {
                    fail(r, PK_ECORRUPT);
                    return -1;
                }
                p += 6;
                c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
            } else if (c >= 0xdc00 && c < 0xe000 && c != 0) {
                fail(r, PK_ECORRUPT);
                return -1;
            }
            if (c == 0) { fail(r, PK_ECORRUPT); return -1; }   /* jansson refuses NUL in keys; keep it simple */
            put_utf8(&r->s, c);
            break;
        default: fail(r, PK_ECORRUPT); return -1;
        }
    }
    if (p >= e) { fail(r, PK_ECORRUPT); return -1; }
    buf_putc(&r->s, 0);
    if (r->s.err) { fail(r, PK_ENOMEM); return -1; }
    r->s.n--;
    r->p = p + 1;
    if (!utf8_ok((const uint8_t *)(const char *)r->s.p, r->s.n)) { fail(r, PK_ECORRUPT); return -1; }
    return 0;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void) { c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

static json_t *number(jr *r)
{
    const char *p = r->p, *e = r->e, *s = p;
    int real = 0;
    if (p < e && *p == '-') p++;
    if (p >= e || *p < '0' || *p > '9') return fail(r, PK_ECORRUPT);
    if (*p == '0') p++;
    else while (p < e && *p >= '0' && *p <= '9') p++;
    if (p < e && *p == '.') {
        real = 1;
        if (++p >= e || *p < '0' || *p > '9') return fail(r, PK_ECORRUPT);
        while (p < e && *p >= '0' && *p <= '9') p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        real = 1;
        if (++p < e && (*p == '+' || *p == '-')) p++;
        if (p >= e || *p < '0' || *p > '9') return fail(r, PK_ECORRUPT);
        while (p < e && *p >= '0' && *p <= '9') p++;
    }
    char tmp[64];
    size_t n = (size_t)(p - s);
    if (n >= sizeof tmp) return fail(r, PK_ECORRUPT);
    memcpy(tmp, s, n);
    tmp[n] = 0;
    r->p = p;
    json_t *v;
    if (!real) {
        char *end;
        errno = 0;
        long long x = strtoll(tmp, &end, 10);
        if (errno == ERANGE) return fail(r, PK_ECORRUPT);
        v = json_integer(x);
    } else {
        pthread_once(&c_locale_once, c_locale_init);
        if (c_locale == (locale_t)0) return fail(r, PK_ENOMEM);
        double d = strtod_l(tmp, NULL, c_locale);
        if (!isfinite(d)) return fail(r, PK_ECORRUPT);   /* past a double's range, as jansson says */
        v = json_real(d);
    }
    return v ? v : fail(r, PK_ENOMEM);
}

static int word(jr *r, const char *w, size_t n)
{
    if ((size_t)(r->e - r->p) < n || memcmp(r->p, w, n) != 0) return 0;
    r->p += n;
    return 1;
}

static json_t *value(jr *r, int depth)
{
    ws(r);
    if (r->p >= r->e) return fail(r, PK_ECORRUPT);
    if (depth > JR_MAX_DEPTH) return fail(r, PK_ECORRUPT);
    json_t *v;
    switch (*r->p) {
    case '{':
        r->p++;
        if (!(v = json_object())) return fail(r, PK_ENOMEM);
        ws(r);
        if (r->p < r->e && *r->p == '}') { r->p++; return v; }
        for (;;) {
            ws(r);
            if (r->p >= r->e || *r->p != '"') goto bad;
            if (string_into(r)) goto out;
            char *key = pk_strdup((const char *)r->s.p);
            if (!key) { fail(r, PK_ENOMEM); goto out; }
            ws(r);
            if (r->p >= r->e || *r->p != ':') { pk_free(key); goto bad; }
            r->p++;
            json_t *m = value(r, depth + 1);
            if (!m) { pk_free(key); goto out; }
            int rc = json_object_set_new_nocheck(v, key, m);
            pk_free(key);
            if (rc) { fail(r, PK_ENOMEM); goto out; }
            ws(r);
            if (r->p < r->e && *r->p == ',') { r->p++; continue; }
            if (r->p < r->e && *r->p == '}') { r->p++; return v; }
            goto bad;
        }
    case '[':
        r->p++;
        if (!(v = json_array())) return fail(r, PK_ENOMEM);
        ws(r);
        if (r->p < r->e && *r->p == ']') { r->p++; return v; }
        for (;;) {
            json_t *m = value(r, depth + 1);
            if (!m) goto out;
            if (json_array_append_new(v, m)) { fail(r, PK_ENOMEM); goto out; }
            ws(r);
            if (r->p < r->e && *r->p == ',') { r->p++; continue; }
            if (r->p < r->e && *r->p == ']') { r->p++; return v; }
            goto bad;
        }
    case '"':
        if (string_into(r)) return NULL;
        v = json_stringn_nocheck((const char *)r->s.p, r->s.n);
        return v ? v : fail(r, PK_ENOMEM);
    case 't': if (word(r, "true", 4)) return json_true(); return fail(r, PK_ECORRUPT);
    case 'f': if (word(r, "false", 5)) return json_false(); return fail(r, PK_ECORRUPT);
    case 'n': if (word(r, "null", 4)) return json_null(); return fail(r, PK_ECORRUPT);
    default: return number(r);
    }
bad:
    fail(r, PK_ECORRUPT);
out:
    json_decref(v);
    return NULL;
}

pk_status json_read(const char *text, size_t n, int whole, json_t **out, size_t *used)
{
    *out = NULL;
    jr r = {text, text + n, PK_OK, {0}};
    buf_init(&r.s);
    util_install_json_alloc();
    json_t *v = value(&r, 0);
    buf_free(&r.s);
    if (!v) return r.st != PK_OK ? r.st : PK_ECORRUPT;
    if (used) *used = (size_t)(r.p - text);
    ws(&r);
    if (whole && r.p != r.e) {
        json_decref(v);
        return PK_ECORRUPT;
    }
    *out = v;
    return PK_OK;
}

/* ---- a string found by its key path, without building values ---- */

/* Past the value at r->p: strings, scalars and nesting, without checking all of JSON's rules. */
static int skip(jr *r)
{
    int depth = 0;
    for (;;) {
        ws(r);
        if (r->p >= r->e) return -1;
        char c = *r->p;
        if (c == '"') {
            for (r->p++; r->p < r->e && *r->p != '"'; r->p++)
                if (*r->p == '\\') r->p++;
            if (r->p >= r->e) return -1;
            r->p++;
        } else if (c == '{' || c == '[') {
            if (++depth > JR_MAX_DEPTH) return -1;
            r->p++;
            continue;
        } else if (c == '}' || c == ']') {
            if (--depth < 0) return -1;
            r->p++;
        } else if (c == ',' || c == ':') {
            if (depth == 0) return -1;
            r->p++;
            continue;
        } else {
            const char *q = r->p;
            while (r->p < r->e && ((*r->p >= '0' && *r->p <= '9') || (*r->p >= 'a' && *r->p <= 'z') ||
                                   *r->p == '-' || *r->p == '+' || *r->p == '.' || *r->p == 'E'))
                r->p++;
            if (r->p == q) return -1;
        }
        if (depth == 0) return 0;
    }
}

/* In the object at r->p, move to the value of key: 1 found, 0 absent, -1 not an object. */
static int member(jr *r, const char *key)
{
    size_t kn = strlen(key);
    ws(r);
    if (r->p >= r->e || *r->p != '{') return -1;
    r->p++;
    for (;;) {
        ws(r);
        if (r->p < r->e && *r->p == '}') return 0;
        if (r->p >= r->e || *r->p != '"') return -1;
        const char *k = r->p + 1;
        if (skip(r)) return -1;
        int hit = (size_t)(r->p - 1 - k) == kn && memcmp(k, key, kn) == 0;
        ws(r);
        if (r->p >= r->e || *r->p != ':') return -1;
        r->p++;
        ws(r);
        if (hit) return 1;
        if (skip(r)) return -1;
        ws(r);
        if (r->p < r->e && *r->p == ',') r->p++;
        else if (r->p < r->e && *r->p == '}') return 0;
        else return -1;
    }
}

pk_status json_string_at(const char *text, size_t n, const char *const *path, size_t depth, char **out)
{
    *out = NULL;
    jr r = {text, text + n, PK_OK, {0}};
    for (size_t i = 0; i < depth; i++) {
        int m = member(&r, path[i]);
        if (m < 0) return PK_ECORRUPT;
        if (m == 0) return PK_OK;
    }
    ws(&r);
    if (r.p >= r.e || *r.p != '"') return PK_OK;
    buf_init(&r.s);
    if (string_into(&r) == 0) {
        *out = pk_strndup((const char *)r.s.p, r.s.n);
        if (!*out) r.st = PK_ENOMEM;
    }
    buf_free(&r.s);
    return r.st;
}

