/* fuzz_json.c — the strict JSON reader that reads records back: any bytes either parse or fail with
 * PK_ECORRUPT, never crash; what parses equals jansson's reading of the same text, and survives a
 * round trip through jansson's writer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "jsonread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *a = NULL;
    pk_status st = json_read((const char *)data, size, 1, &a, NULL);
    if (st != PK_OK) {
        if (st != PK_ECORRUPT || a) __builtin_trap();
        return 0;
    }
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
