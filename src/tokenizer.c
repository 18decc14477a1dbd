/* tokenizer.c — token boundaries and normalised forms of Swedish text in UTF-8.
 *
 * Rules (docs/ANALYZER.md has the reasoning):
 *   word     letters of any script (Unicode L*), continued by marks (M*), digits, soft hyphens, an
 *            inner apostrophe (' or U+2019) before a letter, and for abbreviations and numbers a
 *            colon suffix of one to three lowercase letters ("EU:s", "SVT:n", "1:a"), which the
 *            normalised form drops.  Hyphens split words: "sats-åtgärderna" is two tokens, so that
 *            each half is found on its own, as in the search engines' standard tokenizers.
 *   number   digits with a decimal comma or point ("96,1", "1.5"), dotted numbers ("3.2.1") and
 *            thousands groups ("30.000", "30 000" with a no-break or thin space), normalised
 *            without the grouping ("30000").
 *   date     ISO "2021-08-20" with a valid month and day.
 *   time     "08:30", "8:30"; "8.30" only right after "kl"/"klockan", after a time and a dash
 *            ("kl 8.30-10.15"), before a dash and a time ("13.00-15.00"), or with a leading zero
 *            ("08.30"); normalised to "08:30".
 *   section  "§ 12", "§12", "§§ 12": one token "§12".
 * Everything else, and every byte that is not valid UTF-8, separates tokens. */
#include "tokenizer.h"

#include <string.h>
#include <utf8proc.h>

#include "protokoll.h"

/* ordered so that "letter or digit" is one comparison: cls >= C_ALPHA */
enum { C_SEP = 0, C_HIGH, C_ALPHA, C_DIGIT };

static const uint8_t cls[256] = {
    ['0'] = C_DIGIT, ['1'] = C_DIGIT, ['2'] = C_DIGIT, ['3'] = C_DIGIT, ['4'] = C_DIGIT,
    ['5'] = C_DIGIT, ['6'] = C_DIGIT, ['7'] = C_DIGIT, ['8'] = C_DIGIT, ['9'] = C_DIGIT,
    ['A'] = C_ALPHA, ['B'] = C_ALPHA, ['C'] = C_ALPHA, ['D'] = C_ALPHA, ['E'] = C_ALPHA,
    ['F'] = C_ALPHA, ['G'] = C_ALPHA, ['H'] = C_ALPHA, ['I'] = C_ALPHA, ['J'] = C_ALPHA,
    ['K'] = C_ALPHA, ['L'] = C_ALPHA, ['M'] = C_ALPHA, ['N'] = C_ALPHA, ['O'] = C_ALPHA,
    ['P'] = C_ALPHA, ['Q'] = C_ALPHA, ['R'] = C_ALPHA, ['S'] = C_ALPHA, ['T'] = C_ALPHA,
    ['U'] = C_ALPHA, ['V'] = C_ALPHA, ['W'] = C_ALPHA, ['X'] = C_ALPHA, ['Y'] = C_ALPHA,
    ['Z'] = C_ALPHA,
    ['a'] = C_ALPHA, ['b'] = C_ALPHA, ['c'] = C_ALPHA, ['d'] = C_ALPHA, ['e'] = C_ALPHA,
    ['f'] = C_ALPHA, ['g'] = C_ALPHA, ['h'] = C_ALPHA, ['i'] = C_ALPHA, ['j'] = C_ALPHA,
    ['k'] = C_ALPHA, ['l'] = C_ALPHA, ['m'] = C_ALPHA, ['n'] = C_ALPHA, ['o'] = C_ALPHA,
    ['p'] = C_ALPHA, ['q'] = C_ALPHA, ['r'] = C_ALPHA, ['s'] = C_ALPHA, ['t'] = C_ALPHA,
    ['u'] = C_ALPHA, ['v'] = C_ALPHA, ['w'] = C_ALPHA, ['x'] = C_ALPHA, ['y'] = C_ALPHA,
    ['z'] = C_ALPHA,
    [0x80] = C_HIGH, [0x81] = C_HIGH, [0x82] = C_HIGH, [0x83] = C_HIGH, [0x84] = C_HIGH,
    [0x85] = C_HIGH, [0x86] = C_HIGH, [0x87] = C_HIGH, [0x88] = C_HIGH, [0x89] = C_HIGH,
    [0x8a] = C_HIGH, [0x8b] = C_HIGH, [0x8c] = C_HIGH, [0x8d] = C_HIGH, [0x8e] = C_HIGH,
    [0x8f] = C_HIGH, [0x90] = C_HIGH, [0x91] = C_HIGH, [0x92] = C_HIGH, [0x93] = C_HIGH,
    [0x94] = C_HIGH, [0x95] = C_HIGH, [0x96] = C_HIGH, [0x97] = C_HIGH, [0x98] = C_HIGH,
    [0x99] = C_HIGH, [0x9a] = C_HIGH, [0x9b] = C_HIGH, [0x9c] = C_HIGH, [0x9d] = C_HIGH,
    [0x9e] = C_HIGH, [0x9f] = C_HIGH, [0xa0] = C_HIGH, [0xa1] = C_HIGH, [0xa2] = C_HIGH,
    [0xa3] = C_HIGH, [0xa4] = C_HIGH, [0xa5] = C_HIGH, [0xa6] = C_HIGH, [0xa7] = C_HIGH,
    [0xa8] = C_HIGH, [0xa9] = C_HIGH, [0xaa] = C_HIGH, [0xab] = C_HIGH, [0xac] = C_HIGH,
    [0xad] = C_HIGH, [0xae] = C_HIGH, [0xaf] = C_HIGH, [0xb0] = C_HIGH, [0xb1] = C_HIGH,
    [0xb2] = C_HIGH, [0xb3] = C_HIGH, [0xb4] = C_HIGH, [0xb5] = C_HIGH, [0xb6] = C_HIGH,
    [0xb7] = C_HIGH, [0xb8] = C_HIGH, [0xb9] = C_HIGH, [0xba] = C_HIGH, [0xbb] = C_HIGH,
    [0xbc] = C_HIGH, [0xbd] = C_HIGH, [0xbe] = C_HIGH, [0xbf] = C_HIGH, [0xc0] = C_HIGH,
    [0xc1] = C_HIGH, [0xc2] = C_HIGH, [0xc3] = C_HIGH, [0xc4] = C_HIGH, [0xc5] = C_HIGH,
    [0xc6] = C_HIGH, [0xc7] = C_HIGH, [0xc8] = C_HIGH, [0xc9] = C_HIGH, [0xca] = C_HIGH,
    [0xcb] = C_HIGH, [0xcc] = C_HIGH, [0xcd] = C_HIGH, [0xce] = C_HIGH, [0xcf] = C_HIGH,
    [0xd0] = C_HIGH, [0xd1] = C_HIGH, [0xd2] = C_HIGH, [0xd3] = C_HIGH, [0xd4] = C_HIGH,
    [0xd5] = C_HIGH, [0xd6] = C_HIGH, [0xd7] = C_HIGH, [0xd8] = C_HIGH, [0xd9] = C_HIGH,
    [0xda] = C_HIGH, [0xdb] = C_HIGH, [0xdc] = C_HIGH, [0xdd] = C_HIGH, [0xde] = C_HIGH,
    [0xdf] = C_HIGH, [0xe0] = C_HIGH, [0xe1] = C_HIGH, [0xe2] = C_HIGH, [0xe3] = C_HIGH,
    [0xe4] = C_HIGH, [0xe5] = C_HIGH, [0xe6] = C_HIGH, [0xe7] = C_HIGH, [0xe8] = C_HIGH,
    [0xe9] = C_HIGH, [0xea] = C_HIGH, [0xeb] = C_HIGH, [0xec] = C_HIGH, [0xed] = C_HIGH,
    [0xee] = C_HIGH, [0xef] = C_HIGH, [0xf0] = C_HIGH, [0xf1] = C_HIGH, [0xf2] = C_HIGH,
    [0xf3] = C_HIGH, [0xf4] = C_HIGH, [0xf5] = C_HIGH, [0xf6] = C_HIGH, [0xf7] = C_HIGH,
    [0xf8] = C_HIGH, [0xf9] = C_HIGH, [0xfa] = C_HIGH, [0xfb] = C_HIGH, [0xfc] = C_HIGH,
    [0xfd] = C_HIGH, [0xfe] = C_HIGH, [0xff] = C_HIGH,
};

#define CP_SHY     0x00ADu   /* soft hyphen */
#define CP_NBSP    0x00A0u
#define CP_SECTION 0x00A7u
#define CP_RSQUO   0x2019u   /* right single quotation mark, the typographic apostrophe */
#define CP_THINSP  0x2009u
#define CP_NNBSP   0x202Fu
#define CP_ENDASH  0x2013u
#define CP_EMDASH  0x2014u

int tok_utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
    uint8_t c = p[0];
    if (c < 0x80) { *cp = c; return 1; }
    if (c < 0xC2) return 0;
    if (c < 0xE0) {
        if (n < 2 || (p[1] & 0xC0) != 0x80) return 0;
        *cp = ((uint32_t)(c & 0x1F) << 6) | (p[1] & 0x3F);
        return 2;
    }
    if (c < 0xF0) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        uint32_t v = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        if (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF)) return 0;
        *cp = v;
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        uint32_t v = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
                     ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
        if (v < 0x10000 || v > 0x10FFFF) return 0;
        *cp = v;
        return 4;
    }
    return 0;
}

int tok_utf8_encode(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) { out[0] = (uint8_t)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

int tok_is_letter(uint32_t cp)
{
    if (cp < 0x80) return cls[cp] == C_ALPHA;
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
}

int tok_is_wordchar(uint32_t cp)
{
    if (cp < 0x80) return cls[cp] == C_ALPHA || cls[cp] == C_DIGIT;
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_ND;
}

static int is_mark(uint32_t cp)
{
    if (cp < 0x300) return 0;
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME;
}

/* Code point at p[i], or 0 (with *len 0) at the end or on an invalid byte. */
static uint32_t peek(const uint8_t *p, size_t n, size_t i, int *len)
{
    if (i >= n) { *len = 0; return 0; }
    if (p[i] < 0x80) { *len = 1; return p[i]; }
    uint32_t cp;
    int l = tok_utf8_decode(p + i, n - i, &cp);
    *len = l;
    return l ? cp : 0;
}

static int letter_at(const uint8_t *p, size_t n, size_t i)
{
    int l;
    uint32_t cp = peek(p, n, i, &l);
    return l && tok_is_letter(cp);
}

static int wordchar_at(const uint8_t *p, size_t n, size_t i)
{
    int l;
    uint32_t cp = peek(p, n, i, &l);
    return l && (tok_is_wordchar(cp) || cp == '\'' || cp == CP_RSQUO);
}

static int lower_suffix_letter(uint32_t cp)
{
    return (cp >= 'a' && cp <= 'z') || cp == 0xE5 || cp == 0xE4 || cp == 0xF6 || cp == 0xE9;
}

/* A colon suffix at p[j] == ':': one to three lowercase letters, then no word character.
 * Returns the index after it, or 0. */
static size_t colon_suffix(const uint8_t *p, size_t n, size_t j)
{
    size_t k = j + 1;
    int count = 0;
    while (count < 4) {
        int l;
        uint32_t cp = peek(p, n, k, &l);
        if (!l || !lower_suffix_letter(cp)) break;
        k += (size_t)l;
        count++;
    }
    if (count < 1 || count > 3) return 0;
    if (wordchar_at(p, n, k)) return 0;
    return k;
}

/* Are p[a..b) uppercase letters or digits only (an abbreviation or a number)? */
static int abbreviation(const uint8_t *p, size_t a, size_t b)
{
    int letters = 0;
    for (size_t i = a; i < b;) {
        int l;
        uint32_t cp = peek(p, b, i, &l);
        if (!l) return 0;
        if (cp >= '0' && cp <= '9') { i++; continue; }
        utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
        if (c != UTF8PROC_CATEGORY_LU) return 0;
        letters++;
        i += (size_t)l;
    }
    return letters > 0;
}

/* U+00C0..U+00FF (lead byte 0xC3) are letters except × and ÷: å ä ö é ü without a table. */
static inline int latin1_letter(const uint8_t *p, size_t n, size_t j)
{
    if (j + 1 >= n || p[j] != 0xC3) return 0;
    uint8_t b = p[j + 1];
    return b >= 0x80 && b <= 0xBF && b != 0x97 && b != 0xB7;
}

static size_t scan_word(const uint8_t *p, size_t n, size_t i)
{
    size_t j = i;
    while (j < n) {
        /* the common case first: a run of ASCII letters and digits */
        const uint8_t *q = p + j, *end = p + n;
        while (q < end && cls[*q] >= C_ALPHA) q++;
        j = (size_t)(q - p);
        if (j >= n) break;
        uint8_t c = p[j];
        if (c == 0xC3 && latin1_letter(p, n, j)) { j += 2; continue; }
        if (c < 0x80) {
            uint8_t k = cls[c];
            if (k == C_ALPHA) { j++; continue; }
            if (k == C_DIGIT) { j++; continue; }
            if (c == '\'' && letter_at(p, n, j + 1)) { j++; continue; }
            if (c == ':' && abbreviation(p, i, j)) {
                size_t e = colon_suffix(p, n, j);
                if (e) j = e;
            }
            break;
        }
        uint32_t cp;
        int l = tok_utf8_decode(p + j, n - j, &cp);
        if (!l) break;
        if (cp == CP_RSQUO) {
            if (!letter_at(p, n, j + (size_t)l)) break;
            j += (size_t)l;
            continue;
        }
        if (cp == CP_SHY) { j += (size_t)l; continue; }
        if (!tok_is_wordchar(cp)) break;
        j += (size_t)l;
    }
    return j;
}

static int digit_at(const uint8_t *p, size_t n, size_t i) { return i < n && cls[p[i]] == C_DIGIT; }

static size_t digits_from(const uint8_t *p, size_t n, size_t i)
{
    while (i < n && cls[p[i]] == C_DIGIT) i++;
    return i;
}

static int two(const uint8_t *p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

/* The length of a no-break, narrow no-break or thin space at p[i], else 0. */
static int group_space(const uint8_t *p, size_t n, size_t i)
{
    int l;
    uint32_t cp = peek(p, n, i, &l);
    return (l && (cp == CP_NBSP || cp == CP_NNBSP || cp == CP_THINSP)) ? l : 0;
}

/* "HH:MM" (sep ':') or "H.MM" (sep '.') at i with d leading digits; returns the end or 0. */
static size_t time_at(const uint8_t *p, size_t n, size_t i, size_t d, uint8_t sep)
{
    size_t j = i + d;
    if (d < 1 || d > 2 || j + 3 > n || p[j] != sep || !digit_at(p, n, j + 1) || !digit_at(p, n, j + 2))
        return 0;
    size_t e = j + 3;
    if (digit_at(p, n, e)) return 0;
    /* "8.30.1" is a dotted number, not a time; "12:03:45" is a time whose token ends at the minutes */
    if (sep == '.' && e + 1 < n && (p[e] == '.' || p[e] == ',') && digit_at(p, n, e + 1)) return 0;
    int h = d == 1 ? p[i] - '0' : two(p + i);
    int m = two(p + j + 1);
    if (h > 24 || m > 59 || (h == 24 && m != 0)) return 0;
    if (letter_at(p, n, e)) return 0;
    return e;
}

static size_t date_at(const uint8_t *p, size_t n, size_t i)
{
    if (i + 10 > n) return 0;
    const uint8_t *q = p + i;
    for (int k = 0; k < 10; k++) {
        if (k == 4 || k == 7) { if (q[k] != '-') return 0; }
        else if (cls[q[k]] != C_DIGIT) return 0;
    }
    int m = two(q + 5), d = two(q + 8);
    if (m < 1 || m > 12 || d < 1 || d > 31) return 0;
    if (i + 10 < n && (wordchar_at(p, n, i + 10) || (p[i + 10] == '-' && digit_at(p, n, i + 11))))
        return 0;
    return i + 10;
}

static size_t scan_number(const uint8_t *p, size_t n, size_t i)
{
    size_t j = digits_from(p, n, i);
    int decimal = 0;
    for (;;) {
        if (j + 1 < n && p[j] == ',' && !decimal && digit_at(p, n, j + 1)) {
            j = digits_from(p, n, j + 1);
            decimal = 1;
            continue;
        }
        if (j + 1 < n && p[j] == '.' && !decimal && digit_at(p, n, j + 1)) {
            j = digits_from(p, n, j + 1);
            continue;
        }
        int g = group_space(p, n, j);
        if (g && !decimal) {
            size_t e = digits_from(p, n, j + (size_t)g);
            if (e == j + (size_t)g + 3) { j = e; continue; }
        }
        break;
    }
    if (j < n && p[j] == ':') {
        size_t e = colon_suffix(p, n, j);
        if (e) j = e;
    }
    return j;
}

/* "§ 12", "§12", "§§ 12", "§ 4.2", "§ 12a"; sets *end and returns 1, or 0 without a number. */
static int section_at(const uint8_t *p, size_t n, size_t i, size_t *end)
{
    size_t j = i + 2;   /* past U+00A7 */
    if (j + 1 < n && p[j] == 0xC2 && p[j + 1] == 0xA7) j += 2;
    for (int k = 0; k < 3 && j < n; k++) {
        if (p[j] == ' ' || p[j] == '\t') { j++; continue; }
        int g = group_space(p, n, j);
        if (g) { j += (size_t)g; continue; }
        break;
    }
    if (!digit_at(p, n, j)) return 0;
    j = digits_from(p, n, j);
    while (j + 1 < n && p[j] == '.' && digit_at(p, n, j + 1)) j = digits_from(p, n, j + 1);
    if (j < n && p[j] >= 'a' && p[j] <= 'z' && !wordchar_at(p, n, j + 1)) j++;
    *end = j;
    return 1;
}

void tok_init(tok_state *s, const char *text, size_t len)
{
    s->p = (const uint8_t *)text;
    s->n = len;
    s->i = 0;
    s->expect_time = 0;
}

/* After a time: does a dash follow (spaces allowed), so that the next "H.MM" is a time too? */
static int dash_follows(const uint8_t *p, size_t n, size_t i)
{
    while (i < n && p[i] == ' ') i++;
    if (i < n && p[i] == '-') return 1;
    int l;
    uint32_t cp = peek(p, n, i, &l);
    return l && (cp == CP_ENDASH || cp == CP_EMDASH);
}

/* At i (after a time): a dash, then "H.MM" or "HH:MM"? */
static int time_range_follows(const uint8_t *p, size_t n, size_t i)
{
    if (!dash_follows(p, n, i)) return 0;
    while (i < n && p[i] == ' ') i++;
    if (i < n && p[i] == '-') i++;
    else i += 3;   /* an en or em dash */
    while (i < n && p[i] == ' ') i++;
    size_t d = digits_from(p, n, i) - i;
    return d && (time_at(p, n, i, d, '.') || time_at(p, n, i, d, ':'));
}

static int is_kl(const uint8_t *p, size_t a, size_t b)
{
    size_t n = b - a;
    if (n == 2) return (p[a] | 0x20) == 'k' && (p[a + 1] | 0x20) == 'l';
    if (n == 7) {
        static const char kl[] = "klockan";
        for (size_t k = 0; k < 7; k++) if ((p[a + k] | 0x20) != (uint8_t)kl[k]) return 0;
        return 1;
    }
    return 0;
}

int tok_next(tok_state *s, tok_span *t)
{
    const uint8_t *p = s->p;
    size_t n = s->n, i = s->i;
    while (i < n) {
        if (cls[p[i]] == C_SEP) {
            i++;
            while (i < n && cls[p[i]] == C_SEP) i++;
            if (i >= n) break;
        }
        uint8_t c = p[i];
        uint8_t k = cls[c];
        t->start = i;
        if (k == C_ALPHA) {
            t->kind = PK_TOK_WORD;
            t->end = scan_word(p, n, i);
            s->expect_time = is_kl(p, i, t->end);
            s->i = t->end;
            return 1;
        }
        if (k == C_DIGIT) {
            size_t e = date_at(p, n, i);
            if (e) {
                t->kind = PK_TOK_DATE;
            } else {
                size_t d = digits_from(p, n, i) - i;
                e = time_at(p, n, i, d, ':');
                if (!e) {
                    /* "8.30" is a time after "kl", with a leading zero ("08.30"), or before a
                     * dash and another such time ("13.00-15.00"); otherwise a number */
                    size_t t1 = time_at(p, n, i, d, '.');
                    if (t1 && (s->expect_time || (d == 2 && p[i] == '0') || time_range_follows(p, n, t1)))
                        e = t1;
                }
                if (e) {
                    t->kind = PK_TOK_TIME;
                } else if (letter_at(p, n, i + d)) {
                    t->kind = PK_TOK_WORD;
                    e = scan_word(p, n, i);
                } else {
                    t->kind = PK_TOK_NUMBER;
                    e = scan_number(p, n, i);
                }
            }
            t->end = e;
            s->expect_time = t->kind == PK_TOK_TIME && dash_follows(p, n, e);
            s->i = e;
            return 1;
        }
        /* a byte >= 0x80 */
        if (c == 0xC3 && latin1_letter(p, n, i)) {
            t->kind = PK_TOK_WORD;
            t->end = scan_word(p, n, i);
            s->expect_time = 0;
            s->i = t->end;
            return 1;
        }
        uint32_t cp;
        int l = tok_utf8_decode(p + i, n - i, &cp);
        if (!l) { i++; continue; }
        if (cp == CP_SECTION) {
            size_t e;
            if (section_at(p, n, i, &e)) {
                t->kind = PK_TOK_SECTION;
                t->end = e;
                s->expect_time = 0;
                s->i = e;
                return 1;
            }
            i += (size_t)l;
            continue;
        }
        if (tok_is_letter(cp)) {
            t->kind = PK_TOK_WORD;
            t->end = scan_word(p, n, i);
            s->expect_time = 0;
            s->i = t->end;
            return 1;
        }
        i += (size_t)l;
    }
    s->i = n;
    return 0;
}

/* ---- normalisation ---- */

/* Append bytes to out if they fit; returns 0 when they do not. */
static int put(uint8_t *out, size_t cap, size_t *o, const uint8_t *b, size_t l)
{
    if (*o + l > cap) return 0;
    memcpy(out + *o, b, l);
    *o += l;
    return 1;
}

/* Compose a folded buffer to NFC in place (only called when it holds combining marks). */
static size_t compose_nfc(uint8_t *buf, size_t len, size_t cap)
{
    utf8proc_int32_t tmp[512];
    utf8proc_ssize_t r = utf8proc_decompose(buf, (utf8proc_ssize_t)len, tmp, 512,
                                            (utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    if (r < 0 || r > 512) return len;
    r = utf8proc_normalize_utf32(tmp, r, (utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    if (r < 0) return len;
    size_t o = 0;
    for (utf8proc_ssize_t k = 0; k < r; k++) {
        uint8_t e[4];
        int l = tok_utf8_encode((uint32_t)tmp[k], e);
        if (o + (size_t)l > cap) break;
        memcpy(buf + o, e, (size_t)l);
        o += (size_t)l;
    }
    return o;
}

size_t tok_fold(const uint8_t *p, size_t n, uint8_t *out, size_t cap, int *truncated)
{
    size_t o = 0;
    int marks = 0;
    *truncated = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        if (c < 0x80) {
            if (o >= cap) { *truncated = 1; break; }
            out[o++] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
            i++;
            continue;
        }
        uint32_t cp;
        int l = tok_utf8_decode(p + i, n - i, &cp);
        if (!l) {
            static const uint8_t repl[3] = {0xEF, 0xBF, 0xBD};
            if (!put(out, cap, &o, repl, 3)) { *truncated = 1; break; }
            i++;
            continue;
        }
        i += (size_t)l;
        if (cp == CP_SHY) continue;
        if (cp == CP_RSQUO) {
            if (o >= cap) { *truncated = 1; break; }
            out[o++] = '\'';
            continue;
        }
        utf8proc_int32_t seq[8];
        int last = 0;
        utf8proc_ssize_t r = utf8proc_decompose_char((utf8proc_int32_t)cp, seq, 8,
                                                     UTF8PROC_CASEFOLD, &last);
        if (r < 1 || r > 8) { seq[0] = (utf8proc_int32_t)cp; r = 1; }
        uint8_t enc[32];
        size_t el = 0;
        for (utf8proc_ssize_t k = 0; k < r; k++) {
            if (is_mark((uint32_t)seq[k])) marks = 1;
            el += (size_t)tok_utf8_encode((uint32_t)seq[k], enc + el);
        }
        if (!put(out, cap, &o, enc, el)) { *truncated = 1; break; }
    }
    if (marks) o = compose_nfc(out, o, cap);
    return o;
}

/* Numbers: drop thousands grouping ("30.000", "30 000" with a no-break space) and a colon suffix. */
static size_t norm_number(const uint8_t *p, size_t n, uint8_t *out, size_t cap, int *truncated)
{
    size_t end = n;
    for (size_t i = 0; i < n; i++) if (p[i] == ':') { end = i; break; }
    /* Decide whether the dots are thousands separators: first group 1-3 digits, then groups of
     * exactly three digits, no comma before the last group. */
    int dots = 0, thousands = 1, comma = 0;
    size_t glen = 0, first = 0;
    for (size_t i = 0; i < end; i++) {
        if (cls[p[i]] == C_DIGIT) { glen++; continue; }
        if (p[i] == '.') {
            if (dots == 0) first = glen;
            else if (glen != 3) thousands = 0;
            if (comma) thousands = 0;
            dots++;
            glen = 0;
            continue;
        }
        if (p[i] == ',') {
            if (dots && glen != 3) thousands = 0;
            comma = 1;
            glen = 0;
            continue;
        }
        /* a group space: skip its bytes */
    }
    if (dots && !comma && glen != 3) thousands = 0;
    if (dots && (first < 1 || first > 3)) thousands = 0;
    size_t o = 0;
    *truncated = 0;
    for (size_t i = 0; i < end; i++) {
        uint8_t c = p[i];
        if (c >= 0x80) continue;                      /* group space bytes */
        if (c == '.' && dots && thousands) continue;
        if (o >= cap) { *truncated = 1; break; }
        out[o++] = c;
    }
    return o;
}

size_t tok_norm(uint32_t kind, const uint8_t *p, size_t n, uint8_t *out, size_t cap, int *truncated)
{
    *truncated = 0;
    switch (kind) {
    case PK_TOK_WORD: {
        size_t end = n;
        /* a colon suffix ("EU:s") is the only colon a word span holds */
        for (size_t i = 0; i < n; i++) if (p[i] == ':') { end = i; break; }
        return tok_fold(p, end, out, cap, truncated);
    }
    case PK_TOK_NUMBER:
        return norm_number(p, n, out, cap, truncated);
    case PK_TOK_TIME: {
        if (cap < 5) { *truncated = 1; return 0; }
        size_t d = 0;
        while (d < n && cls[p[d]] == C_DIGIT) d++;
        if (d == 1) { out[0] = '0'; out[1] = p[0]; }
        else { out[0] = p[0]; out[1] = p[1]; }
        out[2] = ':';
        out[3] = d + 1 < n ? p[d + 1] : '0';
        out[4] = d + 2 < n ? p[d + 2] : '0';
        return 5;
    }
    case PK_TOK_SECTION: {
        size_t o = 0;
        if (cap < 2) { *truncated = 1; return 0; }
        out[o++] = 0xC2;
        out[o++] = 0xA7;
        size_t i = 2;
        while (i < n && !(p[i] >= '0' && p[i] <= '9')) i++;
        for (; i < n; i++) {
            if (o >= cap) { *truncated = 1; break; }
            out[o++] = p[i];
        }
        return o;
    }
    default: {
        size_t l = n < cap ? n : cap;
        if (l < n) *truncated = 1;
        memcpy(out, p, l);
        return l;
    }
    }
}
