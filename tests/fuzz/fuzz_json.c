/* fuzz_json.c — the strict JSON reader that reads records back: any bytes either parse or fail with
 * PK_ECORRUPT, never crash; what parses equals jansson's reading of the same text, and survives a
 * round trip through jansson's writer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "jsonread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Does the key occur more than once in the text? */
static int twice(const uint8_t *data, size_t size, const char *key)
{
    size_t kn = strlen(key);
    const uint8_t *k = memmem(data, size, key, kn);
    return k && memmem(k + kn, size - (size_t)(k + kn - data), key, kn) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const path[] = {"meeting", "body"};
    char *found = NULL;
    pk_status fs = json_string_at((const char *)data, size, path, 2, &found);
    if (fs != PK_OK && fs != PK_ECORRUPT) __builtin_trap();
    json_t *a = NULL;
    pk_status st = json_read((const char *)data, size, 1, &a, NULL);
    if (st != PK_OK) {
        free(found);
        if (st != PK_ECORRUPT || a) __builtin_trap();
        return 0;
    }
    /* on JSON text the scan finds what the tree holds (keys written without escapes, and not
     * repeated: the tree keeps a repeated key's last value, the scan its first) */
    const char *want = json_string_value(json_object_get(json_object_get(a, "meeting"), "body"));
    if (fs == PK_OK && want && !memchr(data, '\\', size) && twice(data, size, "\"meeting\"") == 0 &&
        twice(data, size, "\"body\"") == 0 && (!found || strcmp(found, want) != 0))
        __builtin_trap();
    free(found);
    /* jansson agrees where the text has no NUL byte (its loader stops there) */
    if (!memchr(data, 0, size)) {
        json_t *b = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
        if (b && !json_equal(a, b)) __builtin_trap();
        json_decref(b);
    }
    char *s = json_dumps(a, JSON_ENCODE_ANY | JSON_COMPACT);
    if (s) {
        json_t *c = NULL;
        if (json_read(s, strlen(s), 1, &c, NULL) != PK_OK || !json_equal(a, c)) __builtin_trap();
        json_decref(c);
        free(s);
    }
    json_decref(a);
    return 0;
}
