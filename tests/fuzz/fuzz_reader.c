/* fuzz_reader.c — pk_doc_from_memory over arbitrary bytes; the first byte picks the name's extension.
 *
 * Checks what the reader promises of every document: valid UTF-8, no NUL or control characters
 * other than TAB and LF, no CR, one trailing newline, no blank line at the start, never two. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "protokoll.h"
#include "reader.h"

static void check_text(const pk_doc *d)
{
    const uint8_t *p = (const uint8_t *)d->text;
    size_t n = d->len;
    if (strlen(d->text) != n) abort();
    if (n == 0) return;
    if (p[n - 1] != '\n' || p[0] == '\n') abort();
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t l = decode_utf8(p + i, n - i, &cp);
        if (!l) abort();
        if (cp < 0x20 && cp != '\t' && cp != '\n') abort();
        if (cp == 0x7f || cp == 0xFEFF) abort();
        if (cp == '\n' && i + 2 < n && p[i + 1] == '\n' && p[i + 2] == '\n') abort();
        i += l;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *names[] = {"fuzz.txt", "fuzz.md", "fuzz.tex", "fuzz.typ", "fuzz.gz", "fuzz"};
    static int limited;
    if (!limited) { reader_set_max_bytes((size_t)8 << 20); limited = 1; }
    if (size == 0) return 0;
    const char *name = names[data[0] % (sizeof names / sizeof names[0])];
    pk_doc *d = NULL;
    char *err = NULL;
    pk_status st = pk_doc_from_memory(name, data + 1, size - 1, &d, &err);
    if (st == PK_OK) {
        if (!d || err) abort();
        check_text(d);
        char *json = NULL;
        if (pk_doc_json(d, 1, &json) != PK_OK || !json) abort();
        pk_free(json);
    } else {
        if (d || !err) abort();
    }
    pk_doc_free(d);
    pk_free(err);
    return 0;
}
