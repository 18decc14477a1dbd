/* test_codec.c — integer blocks round-trip for every shape of data, and damaged bytes fail cleanly. */
#include "harness.h"
#include "codec.h"
#include "protokoll.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(void)
{
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* Values of one of several shapes: zeros, small, geometric, wide, extremes, mixed outliers. */
static void fill(uint32_t *v, size_t n, int shape)
{
    for (size_t i = 0; i < n; i++) {
        switch (shape) {
        case 0: v[i] = 0; break;
        case 1: v[i] = rnd() % 4; break;
        case 2: { uint32_t x = 0; while (rnd() % 8) x++; v[i] = x; break; }
        case 3: v[i] = rnd(); break;
        case 4: v[i] = (uint32_t)rnd() << 1 | (rnd() & 1); break;
        case 5: v[i] = i % 17 ? rnd() % 40 : rnd() % 100000; break;
        case 6: v[i] = UINT32_MAX - rnd() % 3; break;
        default: v[i] = rnd() % (1u << (rnd() % 32)); break;
        }
    }
}

static int roundtrip(const uint32_t *v, size_t n)
{
    pk_buf b;
    buf_init(&b);
    codec_put_seq(&b, v, n);
    if (b.err) return 0;
    uint32_t *out = malloc((n ? n : 1) * sizeof *out);
    const uint8_t *p = b.p ? b.p : (const uint8_t *)"", *e = p + b.n;
    int ok = codec_get_seq(&p, e, out, n) == 0 && p == e && (n == 0 || memcmp(out, v, n * sizeof *v) == 0);
    const uint8_t *q = b.p ? b.p : (const uint8_t *)"";
    ok = ok && codec_skip_seq(&q, e, n) == 0 && q == e;
    free(out);
    buf_free(&b);
    return ok;
}

static void blocks_roundtrip(void)
{
    uint32_t v[1000];
    size_t sizes[] = {0, 1, 2, 3, 7, 127, 128, 129, 255, 256, 257, 1000};
    for (int shape = 0; shape < 8; shape++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            for (int rep = 0; rep < 5; rep++) {
                fill(v, sizes[s], shape);
                CHECKF(roundtrip(v, sizes[s]), "shape %d size %zu", shape, sizes[s]);
            }
}

static void single_values(void)
{
    uint32_t edge[] = {0, 1, 127, 128, 255, 256, 65535, 65536, 0x7fffffff, 0x80000000u, UINT32_MAX};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        CHECKF(roundtrip(&edge[i], 1), "value %u", edge[i]);
        uint32_t two[2] = {edge[i], edge[(i + 3) % 11]};
        CHECKF(roundtrip(two, 2), "pair %u %u", two[0], two[1]);
    }
}

static void compact_for_small_gaps(void)
{
    /* 128 gaps around 5 cost well under a byte each; all-zero blocks cost one header byte */
    uint32_t v[128];
    for (int i = 0; i < 128; i++) v[i] = (uint32_t)(3 + i % 5);
    CHECK(codec_block_bytes(v, 128) <= 1 + 128 * 4 / 8);
    memset(v, 0, sizeof v);
    CHECK_INT(codec_block_bytes(v, 128), 1);
}

static void damage_fails_cleanly(void)
{
    uint32_t v[300], out[300];
    for (int round = 0; round < 2000; round++) {
        fill(v, 300, round % 8);
        pk_buf b;
        buf_init(&b);
        codec_put_seq(&b, v, 300);
        /* truncations fail */
        size_t cut = b.n ? rnd() % b.n : 0;
        const uint8_t *p = b.p, *e = b.p + cut;
        CHECK(codec_get_seq(&p, e, out, 300) != 0 || p <= e);
        /* flipped bytes either fail or decode within bounds */
        b.p[rnd() % b.n] ^= (uint8_t)(1u << (rnd() % 8));
        p = b.p;
        e = b.p + b.n;
        if (codec_get_seq(&p, e, out, 300) == 0) CHECK(p <= e);
        buf_free(&b);
    }
    /* a header with an unknown mode */
    uint8_t bad[4] = {0xff, 0, 0, 0};
    const uint8_t *p = bad;
    CHECK(codec_get_block(&p, bad + 4, out, 5) != 0);
    /* a fixed width above 32 */
    bad[0] = 33;
    p = bad;
    CHECK(codec_get_block(&p, bad + 4, out, 2) != 0);
}

int main(void)
{
    t_suite = "codec";
    RUN(blocks_roundtrip);
    RUN(single_values);
    RUN(compact_for_small_gaps);
    RUN(damage_fails_cleanly);
    TEST_MAIN_END();
}
