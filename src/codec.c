/* codec.c — bit-packed integer blocks: fixed width, Rice or Exp-Golomb, chosen per block by size. */
#include "codec.h"

/* ---- bit writer: least significant bit first ---- */

/* Writes into room reserved beforehand (the exact size plus BW_SLACK bytes): whole 32-bit words
 * as they fill, the last partial bytes at the end. */
typedef struct bitw {
    uint8_t *p;
    uint64_t acc;         /* fewer than 32 bits pending */
    unsigned n;
} bitw;

#define BW_SLACK 8

static inline void bw_put(bitw *w, uint32_t v, unsigned k)
{
    uint64_t x = k == 32 ? v : (v & ((UINT64_C(1) << k) - 1));
    w->acc |= x << w->n;
    w->n += k;
    if (w->n >= 32) {
        uint32_t lo = (uint32_t)w->acc;
        w->p[0] = (uint8_t)lo;
        w->p[1] = (uint8_t)(lo >> 8);
        w->p[2] = (uint8_t)(lo >> 16);
        w->p[3] = (uint8_t)(lo >> 24);
        w->p += 4;
        w->acc >>= 32;
        w->n -= 32;
    }
}

/* q zero bits, then a one bit. */
static inline void bw_unary(bitw *w, uint64_t q)
{
    while (q >= 32) { bw_put(w, 0, 32); q -= 32; }
    bw_put(w, 1u << q, (unsigned)q + 1);
}

static void bw_flush(bitw *w)
{
    while (w->n > 0) {
        *w->p++ = (uint8_t)w->acc;
        w->acc >>= 8;
        w->n = w->n > 8 ? w->n - 8 : 0;
    }
}

/* ---- bit reader ---- */

typedef struct bitr {
    const uint8_t *p, *end;
    uint64_t acc;
    unsigned n;
} bitr;

static inline void br_fill(bitr *r)
{
    while (r->n <= 56 && r->p < r->end) {
        r->acc |= (uint64_t)*r->p++ << r->n;
        r->n += 8;
    }
}

static inline int br_get(bitr *r, unsigned k, uint32_t *out)
{
    if (k == 0) { *out = 0; return 0; }
    if (r->n < k) {
        br_fill(r);
        if (r->n < k) return -1;
    }
    *out = (uint32_t)(r->acc & ((UINT64_C(1) << k) - 1));
    r->acc >>= k;
    r->n -= k;
    return 0;
}

/* Count zero bits up to the next one bit (consumed); fail past `limit` zeros. */
static inline int br_unary(bitr *r, uint64_t limit, uint64_t *q)
{
    uint64_t z = 0;
    for (;;) {
        if (r->n == 0) {
            br_fill(r);
            if (r->n == 0) return -1;
        }
        if (r->acc == 0) {
            z += r->n;
            r->n = 0;
            if (z > limit) return -1;
            continue;
        }
        unsigned t = (unsigned)__builtin_ctzll(r->acc);
        z += t;
        if (z > limit) return -1;
        r->acc >>= t;
        r->acc >>= 1;
        r->n -= t + 1;
        *q = z;
        return 0;
    }
}

/* ---- costs ---- */

static unsigned bits_of(uint64_t v) { return v ? 64u - (unsigned)__builtin_clzll(v) : 0; }

/* The costs in bits of v[0..k) in each code, or a number >= limit as soon as the sum reaches it
 * (a code that cannot beat the best so far is not costed to the end). */
#define COST_STEP 32

static uint64_t cost_rice(const uint32_t *v, size_t k, unsigned p, uint64_t limit)
{
    uint64_t c = (uint64_t)k * (1 + p);
    for (size_t i = 0; i < k && c < limit; i += COST_STEP) {
        size_t e = k - i < COST_STEP ? k : i + COST_STEP;
        uint64_t s = 0;
        for (size_t j = i; j < e; j++) s += v[j] >> p;
        c += s;
    }
    return c;
}

static uint64_t cost_expg(const uint32_t *v, size_t k, unsigned p, uint64_t limit)
{
    uint64_t c = 0;
    for (size_t i = 0; i < k && c < limit; i += COST_STEP) {
        size_t e = k - i < COST_STEP ? k : i + COST_STEP;
        for (size_t j = i; j < e; j++) {
            unsigned nb = bits_of((uint64_t)v[j] + (UINT64_C(1) << p)) - 1;
            c += 2u * nb - p + 1;
        }
    }
    return c;
}

/* Pick the cheapest code for v[0..k); returns the header byte and stores the bit count. */
static uint8_t choose(const uint32_t *v, size_t k, uint64_t *bits)
{
    uint32_t max = 0;
    uint64_t sum = 0;
    for (size_t i = 0; i < k; i++) {
        if (v[i] > max) max = v[i];
        sum += v[i];
    }
    unsigned fb = bits_of(max);
    uint64_t best = (uint64_t)fb * k;
    uint8_t hdr = (uint8_t)(CODEC_FIXED << 6 | fb);
    if (fb <= 1) { *bits = best; return hdr; }
    unsigned lm = bits_of(sum / k);              /* about log2 of the mean, plus one */
    unsigned lo = lm > 3 ? lm - 3 : 0, hi = lm + 1 < 31 ? lm + 1 : 31;
    for (unsigned p = lo; p <= hi; p++) {
        uint64_t c = cost_rice(v, k, p, best);
        if (c < best) { best = c; hdr = (uint8_t)(CODEC_RICE << 6 | p); }
    }
    for (unsigned p = lo; p <= hi; p++) {
        uint64_t c = cost_expg(v, k, p, best);
        if (c < best) { best = c; hdr = (uint8_t)(CODEC_EXPG << 6 | p); }
    }
    *bits = best;
    return hdr;
}

size_t codec_block_bytes(const uint32_t *v, size_t k)
{
    if (k == 0) return 0;
    if (k == 1) {
        size_t n = 1;
        for (uint32_t x = v[0]; x >= 0x80; x >>= 7) n++;
        return n;
    }
    uint64_t bits;
    choose(v, k, &bits);
    return 1 + (size_t)((bits + 7) / 8);
}

void codec_put_block(pk_buf *b, const uint32_t *v, size_t k)
{
    if (k == 0) return;
    if (k == 1) { buf_put_varint(b, v[0]); return; }
    uint64_t bits;
    uint8_t hdr = choose(v, k, &bits);
    unsigned mode = hdr >> 6, p = hdr & 63;
    size_t bytes = (size_t)((bits + 7) / 8);
    if (buf_reserve(b, 1 + bytes + BW_SLACK)) return;
    b->p[b->n++] = hdr;
    bitw w = {b->p + b->n, 0, 0};
    switch (mode) {
    case CODEC_FIXED:
        if (p) for (size_t i = 0; i < k; i++) bw_put(&w, v[i], p);
        break;
    case CODEC_RICE:
        for (size_t i = 0; i < k; i++) {
            bw_unary(&w, v[i] >> p);
            bw_put(&w, v[i], p);
        }
        break;
    default: /* CODEC_EXPG */
        for (size_t i = 0; i < k; i++) {
            uint64_t x = (uint64_t)v[i] + (UINT64_C(1) << p);
            unsigned nb = bits_of(x) - 1;
            bw_unary(&w, nb - p);
            /* the low nb bits of x, at most 32 */
            if (nb == 32) bw_put(&w, (uint32_t)x, 32);
            else bw_put(&w, (uint32_t)(x & ((UINT64_C(1) << nb) - 1)), nb);
        }
        break;
    }
    bw_flush(&w);
    b->n = (size_t)(w.p - b->p);
}

int codec_get_block(const uint8_t **pp, const uint8_t *end, uint32_t *v, size_t k)
{
    if (k == 0) return 0;
    if (k == 1) {
        uint64_t x;
        if (get_varint(pp, end, &x) || x > UINT32_MAX) return -1;
        v[0] = (uint32_t)x;
        return 0;
    }
    if (*pp >= end) return -1;
    uint8_t hdr = *(*pp)++;
    unsigned mode = hdr >> 6, p = hdr & 63;
    bitr r = {*pp, end, 0, 0};
    switch (mode) {
    case CODEC_FIXED:
        if (p > 32) return -1;
        for (size_t i = 0; i < k; i++)
            if (br_get(&r, p, &v[i])) return -1;
        break;
    case CODEC_RICE: {
        if (p > 31) return -1;
        uint64_t qmax = UINT32_MAX >> p;
        for (size_t i = 0; i < k; i++) {
            uint64_t q;
            uint32_t lo;
            if (br_unary(&r, qmax, &q) || br_get(&r, p, &lo)) return -1;
            v[i] = (uint32_t)(q << p) | lo;
        }
        break;
    }
    case CODEC_EXPG: {
        if (p > 31) return -1;
        for (size_t i = 0; i < k; i++) {
            uint64_t q;
            uint32_t lo;
            if (br_unary(&r, 32 - p, &q)) return -1;
            unsigned nb = (unsigned)q + p;
            if (br_get(&r, nb, &lo)) return -1;
            uint64_t x = (UINT64_C(1) << nb | lo) - (UINT64_C(1) << p);
            if (x > UINT32_MAX) return -1;
            v[i] = (uint32_t)x;
        }
        break;
    }
    default:
        return -1;
    }
    /* Whole bytes consumed: the bits read, rounded up. */
    size_t used = (size_t)(r.p - *pp) - r.n / 8;
    *pp += used;
    return 0;
}

void codec_put_seq(pk_buf *b, const uint32_t *v, size_t n)
{
    for (size_t i = 0; i < n; i += CODEC_BLOCK)
        codec_put_block(b, v + i, n - i < CODEC_BLOCK ? n - i : CODEC_BLOCK);
}

int codec_get_seq(const uint8_t **pp, const uint8_t *end, uint32_t *v, size_t n)
{
    for (size_t i = 0; i < n; i += CODEC_BLOCK)
        if (codec_get_block(pp, end, v + i, n - i < CODEC_BLOCK ? n - i : CODEC_BLOCK)) return -1;
    return 0;
}

int codec_skip_seq(const uint8_t **pp, const uint8_t *end, size_t n)
{
    uint32_t tmp[CODEC_BLOCK];
    for (size_t i = 0; i < n; i += CODEC_BLOCK)
        if (codec_get_block(pp, end, tmp, n - i < CODEC_BLOCK ? n - i : CODEC_BLOCK)) return -1;
    return 0;
}
