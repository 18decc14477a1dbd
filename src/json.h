/* json.h — the one place that decides how JSON is written: compact, UTF-8 kept, key order kept. */
#ifndef PK_JSON_H
#define PK_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util.h"

/* Serialise v as compact JSON (UTF-8 as is, keys in insertion order) into a pk_malloc'd string. */
char *json_dump_compact(const json_t *v);
/* The same with two-space indentation. */
char *json_dump_pretty(const json_t *v);

/* Setters that tolerate NULL values and allocation failure by returning -1 (never abort). */
int json_set_str(json_t *obj, const char *key, const char *s);            /* NULL -> null */
int json_set_strn(json_t *obj, const char *key, const char *s, size_t n); /* invalid UTF-8 is repaired */
int json_set_int(json_t *obj, const char *key, long long v);
int json_set_real(json_t *obj, const char *key, double v);
int json_set_date(json_t *obj, const char *key, int32_t days);            /* PK_NODATE -> null */
/* A JSON string from bytes that may hold invalid UTF-8 (each bad byte becomes U+FFFD). */
json_t *json_strn_lossy(const char *s, size_t n);

/* A streaming writer for large records (extraction), with the same policy as json_dump_compact:
 * compact, UTF-8 kept, keys in the order written, invalid UTF-8 and NUL as U+FFFD.  It writes into
 * a pk_buf without building a tree, which for a record is several times faster than jansson's
 * objects.  Allocation failure is sticky in the buffer (b->err). */
typedef struct json_w {
    struct pk_buf *b;
    unsigned depth;
    unsigned char comma[64];  /* per nesting level: a value was written, the next needs a comma */
} json_w;

void jw_init(json_w *w, struct pk_buf *b);
void jw_obj(json_w *w);
void jw_obj_end(json_w *w);
void jw_arr(json_w *w);
void jw_arr_end(json_w *w);
/* Room for n more bytes (and the NUL buf keeps); 0 when the buffer failed. */
static inline int jw_room(pk_buf *b, size_t n)
{
    if (b->err) return 0;
    if (b->n + n + 1 <= b->cap) return 1;
    return buf_reserve(b, n) == 0;
}

/* key: plain ASCII without quotes or escapes.  Inline, so that the length of a literal key is
 * known where it is written and the copy is a few moves. */
static inline void jw_keyn(json_w *w, const char *key, size_t n)
{
    pk_buf *b = w->b;
    if (!jw_room(b, n + 4)) return;
    if (w->comma[w->depth]) b->p[b->n++] = ',';
    b->p[b->n++] = '"';
    memcpy(b->p + b->n, key, n);
    b->n += n;
    b->p[b->n++] = '"';
    b->p[b->n++] = ':';
    w->comma[w->depth] = 0;   /* the value follows without a comma */
}
#define jw_key(w, key) jw_keyn((w), (key), strlen(key))
void jw_str(json_w *w, const char *s, size_t n);     /* a string value; s == NULL writes null */
void jw_str_utf8(json_w *w, const char *s, size_t n); /* the same for text known to be valid UTF-8 */
void jw_null(json_w *w);
void jw_int(json_w *w, long long v);

#endif
