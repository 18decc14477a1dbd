/* fuzz_extract.c — extraction over arbitrary bytes: the first byte picks the format, the rest is
 * read by pk_doc_from_memory and extracted with the built-in rules.
 *
 * Checks what the extractor promises of every record: it is one line of JSON that parses, and
 * every span lies inside the text. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protokoll.h"

static void check_spans(json_t *arr, size_t len)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *sp = json_object_get(json_array_get(arr, i), "span");
        if (!json_is_array(sp) || json_array_size(sp) != 2) abort();
        json_int_t s = json_integer_value(json_array_get(sp, 0)), e = json_integer_value(json_array_get(sp, 1));
        if (s < 0 || s > e || (size_t)e > len) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *names[] = {"fuzz.txt", "fuzz.md", "fuzz.tex", "fuzz.typ"};
    static pk_extractor *x;
    if (!x && pk_extractor_new(NULL, &x) != PK_OK) abort();
    if (size == 0 || size > (1u << 20)) return 0;
    const char *name = names[data[0] % (sizeof names / sizeof names[0])];
    pk_doc *d = NULL;
    char *err = NULL;
    if (pk_doc_from_memory(name, data + 1, size - 1, &d, &err) != PK_OK) {
        free(err);
        return 0;
    }
    char *js = NULL;
    pk_status st = pk_extract_json(x, d, &js);
    if (st != PK_OK && st != PK_ENOMEM) abort();
    if (st == PK_OK) {
        if (strchr(js, '\n')) abort();
        json_error_t je;
        json_t *v = json_loads(js, 0, &je);
        if (!v) abort();
        static const char *const sections[] = {"participants", "agenda", "decisions", "follow_ups", "upcoming_meetings"};
        for (size_t k = 0; k < sizeof sections / sizeof sections[0]; k++) check_spans(json_object_get(v, sections[k]), d->len);
        json_decref(v);
        pk_free(js);
    }
    pk_doc_free(d);
    return 0;
}
