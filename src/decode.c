/* decode.c — raw bytes to valid NFC UTF-8: BOM, UTF-16, Latin-1/CP1252 repair, line ends, controls. */
#include "decode.h"

#include <stdio.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <utf8proc.h>

/* Windows-1252 0x80-0x9F; 0 where the code page defines nothing. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

uint32_t decode_cp1252(uint8_t c)
{
    if (c < 0x80) return c;
    if (c < 0xA0) return cp1252_high[c - 0x80];
    return c;
}

size_t decode_utf8(const uint8_t *p, size_t n, uint32_t *cp)
{
    uint8_t c = p[0];
    if (c < 0x80) { *cp = c; return 1; }
    if (c < 0xC2 || c > 0xF4) return 0;
    if (c < 0xE0) {
        if (n < 2 || (p[1] & 0xC0) != 0x80) return 0;
        *cp = (uint32_t)(c & 0x1F) << 6 | (p[1] & 0x3F);
        return 2;
    }
    if (c < 0xF0) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && p[1] < 0xA0) return 0;            /* overlong */
        if (c == 0xED && p[1] >= 0xA0) return 0;           /* surrogate */
        *cp = (uint32_t)(c & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
        return 3;
    }
    if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;                /* overlong */
    if (c == 0xF4 && p[1] >= 0x90) return 0;               /* above U+10FFFF */
    *cp = (uint32_t)(c & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 | (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
    return 4;
}

size_t decode_valid_len(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
#if defined(__SSE2__)
        /* Sixteen bytes at a time while a block holds only ASCII, continuation bytes and two-byte
         * leads (C2-DF): then it is valid exactly when the continuation bytes are the bytes right
         * after the leads (the usual case in Swedish: å ä ö é).  A block with any other byte, or
         * whose bytes do not pair up, is checked sequence by sequence below. */
        const __m128i cont_hi = _mm_set1_epi8((char)0xC0), lead_lo = _mm_set1_epi8((char)0xC1),
                      lead_hi = _mm_set1_epi8((char)0xE0);
        unsigned carry = 0;   /* 1: the byte before i is a two-byte lead */
        while (n - i >= 16) {
            __m128i c = _mm_loadu_si128((const __m128i *)(p + i));
            unsigned high = (unsigned)_mm_movemask_epi8(c);
            if (!high && !carry) { i += 16; continue; }
            /* as signed bytes: continuations 0x80-0xBF are below (int8)0xC0, leads lie between
             * (int8)0xC1 and (int8)0xE0 */
            unsigned cont = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(c, cont_hi));
            unsigned lead = (unsigned)_mm_movemask_epi8(
                _mm_and_si128(_mm_cmpgt_epi8(c, lead_lo), _mm_cmplt_epi8(c, lead_hi)));
            if ((high & ~cont & ~lead) || cont != (((lead << 1) | carry) & 0xFFFF)) break;
            carry = lead >> 15;
            i += 16;
        }
        if (carry) i--;   /* back to the lead that the last block ended on */
#endif
        /* sequence by sequence, over one block (a sequence may end a few bytes past it) */
        size_t stop = n - i > 16 ? i + 16 : n;
        while (i < stop) {
            if (p[i] < 0x80) { i++; continue; }
            uint32_t cp;
            size_t l = decode_utf8(p + i, n - i, &cp);
            if (!l) return i;
            i += l;
        }
    }
    return n;
}

size_t decode_encode_cp(uint8_t d[4], uint32_t cp)
{
    if (cp < 0x80) { d[0] = (uint8_t)cp; return 1; }
    if (cp < 0x800) { d[0] = (uint8_t)(0xC0 | cp >> 6); d[1] = (uint8_t)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        d[0] = (uint8_t)(0xE0 | cp >> 12); d[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        d[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (uint8_t)(0xF0 | cp >> 18); d[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    d[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F)); d[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

void decode_put_cp(pk_buf *b, uint32_t cp)
{
    uint8_t t[4];
    buf_put(b, t, decode_encode_cp(t, cp));
}

int decode_nfc_unsafe(uint32_t cp)
{
    if (cp < 0x300) return 0;
    if (cp >= 0x1100 && cp <= 0x11FF) return 1;            /* Hangul jamo compose algorithmically */
    const utf8proc_property_t *pr = utf8proc_get_property((utf8proc_int32_t)cp);
    if (pr->combining_class) return 1;
    if (pr->comb_index != UINT16_MAX && (pr->comb_index & 0x8000)) return 1;   /* composes with the one before */
    if (pr->decomp_seqindex != UINT16_MAX && pr->decomp_type == 0) return 1;   /* canonical decomposition */
    return 0;
}

/* ---- binary data ---- */

static int starts(const uint8_t *p, size_t n, const char *magic, size_t m)
{
    return n >= m && memcmp(p, magic, m) == 0;
}

/* A name for well-known binary formats, or NULL. */
static const char *binary_kind(const uint8_t *p, size_t n)
{
    if (starts(p, n, "\x89PNG\r\n\x1a\n", 8)) return "binary data (PNG image)";
    if (starts(p, n, "\x7f" "ELF", 4)) return "binary data (ELF executable)";
    if (starts(p, n, "%PDF-", 5)) return "PDF document (extract its text first, e.g. with pdftotext)";
    if (starts(p, n, "PK\x03\x04", 4)) return "zip archive or office document (save it as text first)";
    if (starts(p, n, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8)) return "binary office document (save it as text first)";
    if (starts(p, n, "{\\rtf", 5)) return "RTF document (save it as plain text first)";
    if (starts(p, n, "GIF87a", 6) || starts(p, n, "GIF89a", 6)) return "binary data (GIF image)";
    if (starts(p, n, "\xff\xd8\xff", 3)) return "binary data (JPEG image)";
    if (starts(p, n, "\xfd" "7zXZ\x00", 6)) return "xz-compressed data (decompress it first)";
    if (starts(p, n, "\x28\xb5\x2f\xfd", 4)) return "zstd-compressed data (decompress it first)";
    if (starts(p, n, "BZh", 3) && n >= 10 && memcmp(p + 4, "1AY&SY", 6) == 0) return "bzip2-compressed data (decompress it first)";
    if (starts(p, n, "7z\xbc\xaf\x27\x1c", 6)) return "7-zip archive";
    if (starts(p, n, "Rar!\x1a\x07", 6)) return "RAR archive";
    if (starts(p, n, "\x00" "asm", 4)) return "binary data (WebAssembly)";
    return NULL;
}

/* Bytes that never occur in text: C0 controls other than TAB, LF, VT, FF, CR and ESC, and DEL. */
static int is_bad_control(uint8_t c)
{
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r' && c != 0x1b) || c == 0x7f;
}

#define SNIFF_BYTES 65536

/* Binary when more than 1 in 16 of the first 64 KiB are control bytes (at least 8 of them, so
 * that a short note with a stray NUL or two stays text), or more than 1 in 4. */
static int binary_verdict(size_t n, size_t bad)
{
    size_t m = n < SNIFF_BYTES ? n : SNIFF_BYTES;
    return (bad >= 8 && bad * 16 > m) || bad * 4 > m;
}

static int looks_binary(const uint8_t *p, size_t n)
{
    size_t m = n < SNIFF_BYTES ? n : SNIFF_BYTES, bad = 0;
    for (size_t i = 0; i < m; i++) bad += is_bad_control(p[i]);
    return binary_verdict(n, bad);
}

/* UTF-16 without a byte order mark: ASCII-heavy text has a zero in every other byte.
 * Returns 1 for little-endian, 2 for big-endian, 0 when it does not look like UTF-16. */
static int sniff_utf16(const uint8_t *p, size_t n)
{
    size_t m = (n < 4096 ? n : 4096) & ~(size_t)1;
    if (m < 8) return 0;
    size_t z_even = 0, z_odd = 0, pairs = m / 2;
    for (size_t i = 0; i < m; i += 2) {
        z_even += p[i] == 0;
        z_odd += p[i + 1] == 0;
    }
    if (z_odd * 10 >= pairs * 6 && z_even * 20 <= pairs) return 1;
    if (z_even * 10 >= pairs * 6 && z_odd * 20 <= pairs) return 2;
    return 0;
}

/* UTF-16 to UTF-8; unpaired surrogates and a dangling odd byte become U+FFFD. */
static void utf16_to_utf8(const uint8_t *p, size_t n, int be, pk_buf *out, uint32_t *repairs)
{
    size_t i = 0;
    while (i + 1 < n) {
        uint32_t u = be ? (uint32_t)p[i] << 8 | p[i + 1] : (uint32_t)p[i + 1] << 8 | p[i];
        i += 2;
        if (u >= 0xD800 && u <= 0xDBFF && i + 1 < n) {
            uint32_t v = be ? (uint32_t)p[i] << 8 | p[i + 1] : (uint32_t)p[i + 1] << 8 | p[i];
            if (v >= 0xDC00 && v <= 0xDFFF) {
                i += 2;
                decode_put_cp(out, 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00));
                continue;
            }
        }
        if (u >= 0xD800 && u <= 0xDFFF) { u = 0xFFFD; *repairs |= PK_REPAIR_BADBYTES; }
        decode_put_cp(out, u);
    }
    if (i < n) { decode_put_cp(out, 0xFFFD); *repairs |= PK_REPAIR_BADBYTES; }
}

/* ---- the main pass over (possibly broken) UTF-8 ---- */

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Non-zero when some byte of x is >= 0x80, < 0x20 or == 0x7F. */
static inline uint64_t not_plain_ascii(uint64_t x)
{
    uint64_t lt20 = (x - ONES * 0x20) & ~x;
    uint64_t y = x ^ (ONES * 0x7F);
    uint64_t is7f = (y - ONES) & ~y;
    return (x | lt20 | is7f) & HIGHS;
}

#define CHUNK 8192

/* Decode p[0..n) into out.  *bad_ctl gets the number of control bytes among the first SNIFF_BYTES
 * that never occur in text (what looks_binary counts), so that one pass does both. */
static pk_status decode_utf8_stream(const uint8_t *p, size_t n, pk_buf *out, uint32_t *repairs, int *needs_nfc,
                                    size_t *bad_ctl)
{
    size_t invalid = 0, multi = 0, bad = 0;
    size_t i = 0;
    while (i < n) {
        /* one chunk of input at a time: it writes at most three bytes per byte read (a
         * Windows-1252 byte becomes up to three), plus one sequence past the chunk's end */
        size_t lim = n - i > CHUNK ? i + CHUNK : n;
        if (buf_reserve(out, 3 * (lim - i) + 16)) return PK_ENOMEM;
        uint8_t *d = out->p + out->n;
        while (i < lim) {
            /* fast path: runs of printable ASCII, eight bytes at a time */
            while (i + 8 <= lim) {
                uint64_t x;
                memcpy(&x, p + i, 8);
                if (not_plain_ascii(x)) break;
                memcpy(d, &x, 8);
                d += 8;
                i += 8;
            }
            if (i >= lim) break;
            uint8_t c = p[i];
            if (c >= 0xC3 && c < 0xCC && i + 1 < n && (p[i + 1] & 0xC0) == 0x80) {
                /* U+00C0-U+02FF (å ä ö é ü ...): never controls, never touched by NFC */
                d[0] = c;
                d[1] = p[i + 1];
                d += 2;
                i += 2;
                multi++;
                continue;
            }
            if (c < 0x80) {
                if (c >= 0x20 && c != 0x7f) *d++ = c;
                else if (c == '\n' || c == '\t') *d++ = c;
                else if (c == '\r') {
                    *d++ = '\n';
                    if (i + 1 < n && p[i + 1] == '\n') i++;
                    *repairs |= PK_REPAIR_NEWLINES;
                } else if (c == '\f' || c == '\v') *d++ = '\n';
                else {
                    *repairs |= PK_REPAIR_NUL;
                    if (c != 0x1b && i < SNIFF_BYTES) bad++;
                }
                i++;
                continue;
            }
            uint32_t cp;
            size_t len = decode_utf8(p + i, n - i, &cp);
            if (len) {
                multi++;
                if (cp < 0xA0) {
                    /* C1 controls: text that went through a Latin-1 conversion of Windows-1252 */
                    uint32_t m = cp1252_high[cp - 0x80];
                    if (m) { d += decode_encode_cp(d, m); *repairs |= PK_REPAIR_LATIN1; }
                    else *repairs |= PK_REPAIR_NUL;
                } else if (cp == 0xFEFF) {
                    *repairs |= PK_REPAIR_BOM;
                } else if (cp >= 0xFB00 && cp <= 0xFB06) {
                    /* typographic ligatures from PDF converters: "Kristo(ff)er" is "Kristoffer" */
                    static const char *lig[] = {"ff", "fi", "fl", "ffi", "ffl", "st", "st"};
                    size_t l = strlen(lig[cp - 0xFB00]);
                    memcpy(d, lig[cp - 0xFB00], l);
                    d += l;
                    *repairs |= PK_REPAIR_NFC;
                } else {
                    memcpy(d, p + i, len);
                    d += len;
                    if (!*needs_nfc && cp >= 0x300 && decode_nfc_unsafe(cp)) *needs_nfc = 1;
                }
                i += len;
                continue;
            }
            /* a byte that starts no valid sequence: read it as Windows-1252 (Latin-1 above 0x9F) */
            invalid++;
            uint32_t m = decode_cp1252(c);
            if (m) d += decode_encode_cp(d, m);
            i++;
        }
        out->n = (size_t)(d - out->p);
    }
    if (invalid) *repairs |= multi ? PK_REPAIR_BADBYTES : PK_REPAIR_LATIN1;
    *bad_ctl = bad;
    if (buf_reserve(out, 0)) return PK_ENOMEM;
    out->p[out->n] = 0;
    return PK_OK;
}

pk_status decode_text(const uint8_t *p, size_t n, pk_buf *out, uint32_t *repairs, int *needs_nfc,
                      char *why, size_t whylen)
{
    *needs_nfc = 0;
    if (why && whylen) why[0] = 0;
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
        *repairs |= PK_REPAIR_BOM;
        p += 3;
        n -= 3;
    }
    int utf16 = 0;
    if (n >= 2 && p[0] == 0xFF && p[1] == 0xFE) utf16 = 1;
    else if (n >= 2 && p[0] == 0xFE && p[1] == 0xFF) utf16 = 2;
    if (utf16) {
        p += 2;
        n -= 2;
    } else {
        const char *kind = binary_kind(p, n);
        if (!kind) utf16 = sniff_utf16(p, n);   /* control bytes are counted while decoding */
        if (kind) {
            if (why) snprintf(why, whylen, "%s", kind);
            return PK_EDECODE;
        }
    }
    if (utf16) {
        pk_buf tmp;
        buf_init(&tmp);
        if (buf_reserve(&tmp, n + n / 2)) return PK_ENOMEM;
        utf16_to_utf8(p, n, utf16 == 2, &tmp, repairs);
        if (tmp.err) { buf_free(&tmp); return PK_ENOMEM; }
        *repairs |= PK_REPAIR_UTF16;
        if (looks_binary(tmp.p, tmp.n)) {
            buf_free(&tmp);
            if (why) snprintf(why, whylen, "binary data (control characters in UTF-16)");
            return PK_EDECODE;
        }
        size_t bad;
        pk_status st = decode_utf8_stream(tmp.p, tmp.n, out, repairs, needs_nfc, &bad);
        buf_free(&tmp);
        return st;
    }
    size_t want = n + 16, bad = 0;
    if (want < n || buf_reserve(out, want)) return PK_ENOMEM;
    uint32_t rep = *repairs;
    pk_status st = decode_utf8_stream(p, n, out, &rep, needs_nfc, &bad);
    if (st == PK_OK && binary_verdict(n, bad)) {
        out->n = 0;
        *needs_nfc = 0;
        if (why) snprintf(why, whylen, "binary data (control bytes)");
        return PK_EDECODE;
    }
    *repairs = rep;
    return st;
}

long decode_enforce_utf8(pk_buf *b)
{
    size_t i = decode_valid_len(b->p, b->n);
    uint32_t cp;
    if (i == b->n) return 0;
    pk_buf o;
    buf_init(&o);
    if (buf_reserve(&o, b->n + 16)) return -1;
    buf_put(&o, b->p, i);
    long bad = 0;
    while (i < b->n) {
        size_t l = decode_utf8(b->p + i, b->n - i, &cp);
        if (l) { buf_put(&o, b->p + i, l); i += l; }
        else { buf_put(&o, "\xef\xbf\xbd", 3); i++; bad++; }
    }
    if (o.err) { buf_free(&o); return -1; }
    buf_free(b);
    *b = o;
    return bad;
}

/* ---- NFC, line by line where needed ---- */

static int line_unsafe(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) { i++; continue; }
        uint32_t cp;
        size_t len = decode_utf8(p + i, n - i, &cp);
        if (!len) return 0;   /* cannot happen on decoded text; leave the line alone */
        if (decode_nfc_unsafe(cp)) return 1;
        i += len;
    }
    return 0;
}

pk_status decode_nfc(pk_buf *b, int *changed)
{
    *changed = 0;
    pk_buf out;
    buf_init(&out);
    utf8proc_int32_t *cps = NULL;
    size_t cps_cap = 0;
    size_t i = 0, copied = 0;
    const utf8proc_option_t opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
    while (i < b->n) {
        const uint8_t *nl = memchr(b->p + i, '\n', b->n - i);
        size_t end = nl ? (size_t)(nl - b->p) : b->n;
        if (line_unsafe(b->p + i, end - i)) {
            utf8proc_ssize_t m = utf8proc_decompose(b->p + i, (utf8proc_ssize_t)(end - i), NULL, 0, opts);
            if (m < 0) { i = end + 1; continue; }
            size_t need = (size_t)m + 1;
            if (need > cps_cap) {
                utf8proc_int32_t *np = pk_reallocarray(cps, need, sizeof *cps);
                if (!np) goto nomem;
                cps = np;
                cps_cap = need;
            }
            m = utf8proc_decompose(b->p + i, (utf8proc_ssize_t)(end - i), cps, m, opts);
            if (m < 0) { i = end + 1; continue; }
            utf8proc_ssize_t bytes = utf8proc_reencode(cps, m, opts);
            if (bytes < 0) { i = end + 1; continue; }
            if ((size_t)bytes != end - i || memcmp(cps, b->p + i, (size_t)bytes) != 0) {
                buf_put(&out, b->p + copied, i - copied);
                buf_put(&out, cps, (size_t)bytes);
                copied = end;
                *changed = 1;
            }
        }
        i = end + 1;
    }
    pk_free(cps);
    cps = NULL;
    if (!*changed) { buf_free(&out); return PK_OK; }
    buf_put(&out, b->p + copied, b->n - copied);
    if (out.err || buf_reserve(&out, 0)) goto nomem;
    out.p[out.n] = 0;
    buf_free(b);
    *b = out;
    return PK_OK;
nomem:
    pk_free(cps);
    buf_free(&out);
    *changed = 0;
    return PK_ENOMEM;
}
