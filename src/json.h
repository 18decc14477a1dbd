/* json.h — the one place that decides how JSON is written: compact, UTF-8 kept, key order kept. */
#ifndef PK_JSON_H
#define PK_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
