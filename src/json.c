/* json.c — JSON serialisation policy and small safe setters over jansson. */
#include "json.h"

#include "protokoll.h"
#include "util.h"

static char *dump(const json_t *v, size_t flags)
{
    util_install_json_alloc();
    char *s = json_dumps(v, flags | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
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
