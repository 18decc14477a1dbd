/* fuzz_codec.c — the integer codec: arbitrary bytes decode or fail cleanly, and any values
 * round-trip exactly.  Input: byte 0 picks the mode, byte 1 the count, the rest is data. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const uint32_t *v, size_t n)
{
    pk_buf b;
    buf_init(&b);
    codec_put_seq(&b, v, n);
    if (b.err) { buf_free(&b); return; }
    uint32_t *out = malloc((n ? n : 1) * sizeof *out);
    if (!out) { buf_free(&b); return; }
    const uint8_t *p = b.p ? b.p : (const uint8_t *)"", *e = p + b.n;
    if (codec_get_seq(&p, e, out, n) != 0 || p != e || (n && memcmp(out, v, n * sizeof *v) != 0)) __builtin_trap();
    free(out);
    buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    uint8_t mode = data[0];
    size_t n = data[1] * 3u + 1;
    const uint8_t *p = data + 2, *e = data + size;
    if (mode & 1) {
        /* decode arbitrary bytes; what decodes must re-encode to the same values */
        uint32_t v[768];
        if (codec_get_seq(&p, e, v, n) == 0) {
            if (p > e) __builtin_trap();
            roundtrip(v, n);
        }
        p = data + 2;
        codec_skip_seq(&p, e, n);
        if (p > e) __builtin_trap();
    } else {
        /* the data as values of a width chosen by the mode */
        size_t k = (size_t)(e - p);
        uint32_t *v = malloc((k ? k : 1) * sizeof *v);
        if (!v) return 0;
        size_t m = 0;
        unsigned width = (mode >> 1) % 4;   /* 1, 2, 3 or 4 bytes per value */
        for (size_t i = 0; i + width < k; i += width + 1) {
            uint32_t x = 0;
            for (unsigned j = 0; j <= width; j++) x |= (uint32_t)p[i + j] << (8 * j);
            v[m++] = x;
        }
        roundtrip(v, m);
        free(v);
    }
    return 0;
}
