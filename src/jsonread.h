/* A strict JSON reader building jansson values, safe under failing allocations (see jsonread.c). */
#ifndef PK_JSONREAD_H
#define PK_JSONREAD_H

#include <jansson.h>
#include <stddef.h>

#include "protokoll.h"

/* Parse one JSON value from text[0..n): *out on PK_OK (the caller decrefs).  With whole, only
 * white space may follow the value; otherwise *used (when not NULL) says where it ended.
 * PK_ECORRUPT for text that is not JSON, PK_ENOMEM when an allocation failed. */
pk_status json_read(const char *text, size_t n, int whole, json_t **out, size_t *used);

/* The string at a path of object keys (e.g. {"meeting", "body"}) in the JSON text, found without
 * building values: *out (the caller frees it) or NULL when a key is absent or the value is not a
 * string.  Keys are compared as written (unescaped).  PK_ECORRUPT when the text is not an object
 * where a key is looked for, PK_ENOMEM. */
pk_status json_string_at(const char *text, size_t n, const char *const *path, size_t depth, char **out);

#endif
