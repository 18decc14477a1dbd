/* rules.c — parse rule files (named PCRE2 patterns, macros, flags) and compile them once with JIT. */
#include "rules.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static const char *const kind_names[] = {
    "skip", "key", "title.skip", "item.section", "item.numbered", "heading.skip",
    "block.decision", "block.proposal", "block.other", "present", "absent",
    "signature.recorded", "signature.approved", "signature.other", "signature.section",
    "opened", "closed",
    "cell.present", "cell.absent", "cell.role", "cell.arrived", "cell.left", "cell.range",
    "cell.party", "cell.noise", "name",
    "decision", "decision.ref", "followup", "owner", "upcoming.line", "upcoming", "meeting.word",
    "election", "body.title", "body.word", "title.trailer", "outline.heading",
    "title.continues", "abbrev", "template", "deadline",
};

static const char *const group_names[] = {
    "number", "title", "text", "owners", "due", "date", "when", "time", "place", "body",
    "name", "names", "role", "at", "from", "to", "n", "ord", "all", "verb", "rest", "party", "key",
};

/* How each kind is anchored: A = at the start of its subject (line, label, cell), W = the whole
 * subject; sentence kinds are searched anywhere.  Compiled into the pattern, so JIT applies. */
static const char kind_anchor[RK_COUNT] = {
    'A', 'A', 'A', 'A', 'A', 'W',          /* skip key title.skip item.section item.numbered heading.skip */
    'W', 'W', 'W', 'A', 'A',               /* block.* present absent */
    'A', 'A', 'A', 'W',                    /* signature.* */
    0, 0,                                  /* opened closed */
    'W', 'W', 'W', 0, 0, 0,                /* cell.present cell.absent cell.role cell.arrived cell.left cell.range */
    0, 'W', 'W',                           /* cell.party cell.noise name */
    0, 'A', 0, 'W', 'A', 0, 0,             /* decision decision.ref followup owner upcoming.line upcoming meeting.word */
    0, 'A', 'W', 0, 'A',                   /* election body.title body.word title.trailer outline.heading */
    0, 'W', 'W', 0,                        /* title.continues abbrev template deadline */
};
_Static_assert(sizeof kind_names / sizeof kind_names[0] == RK_COUNT, "one name per kind");

_Static_assert(sizeof group_names / sizeof group_names[0] == G_COUNT, "one name per group");

const char *rules_kind_name(rule_kind k) { return (unsigned)k < RK_COUNT ? kind_names[k] : "?"; }
const char *rules_group_name(rule_group g) { return (unsigned)g < G_COUNT ? group_names[g] : "?"; }

/* ---- PCRE2 allocation through the library's hook ---- */

static void *pc_malloc(size_t n, void *ud) { (void)ud; return pk_malloc(n); }
static void pc_free(void *p, void *ud) { (void)ud; pk_free(p); }

/* ---- macros ---- */

typedef struct macro { char *name; char *body; } macro;

typedef struct parse_state {
    ruleset    *rs;
    const char *file;
    pk_msg     *msg;
    macro      *macros;
    size_t      nmacros, capmacros;
    /* the rule being read: header fields and pattern text (continuations appended) */
    int         pending;        /* 0 none, 1 rule, 2 define */
    int         line;
    char        name[96];
    unsigned    flags;
    uint32_t    pcre_opts;
    pk_buf      pat;
} parse_state;

static const macro *find_macro(const parse_state *ps, const char *name, size_t n)
{
    for (size_t i = 0; i < ps->nmacros; i++)
        if (strlen(ps->macros[i].name) == n && memcmp(ps->macros[i].name, name, n) == 0) return &ps->macros[i];
    return NULL;
}

/* Expand @{name} references (macros may use earlier macros; bodies are already expanded). */
static pk_status expand(parse_state *ps, const char *p, size_t n, pk_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\' && i + 1 < n) {   /* keep escapes, so \@ stays literal */
            buf_put(out, p + i, 2);
            i++;
            continue;
        }
        if (p[i] == '@' && i + 1 < n && p[i + 1] == '{') {
            size_t j = i + 2;
            while (j < n && p[j] != '}') j++;
            if (j >= n) {
                msg_set(ps->msg, "%s:%d: %s: unterminated macro reference '@{'", ps->file, ps->line, ps->name);
                return PK_ESYNTAX;
            }
            const macro *m = find_macro(ps, p + i + 2, j - i - 2);
            if (!m) {
                msg_set(ps->msg, "%s:%d: %s: unknown macro '@{%.*s}' (define it above its first use)",
                        ps->file, ps->line, ps->name, (int)(j - i - 2), p + i + 2);
                return PK_ESYNTAX;
            }
            buf_puts(out, "(?:");
            buf_puts(out, m->body);
            buf_putc(out, ')');
            i = j;
            continue;
        }
        buf_putc(out, p[i]);
    }
    return out->err ? PK_ENOMEM : PK_OK;
}

/* ---- key literals: what the fast scan looks for ---- */

/* next4/mask4: folded bytes 4..7 of the literal (as many as it has), packed low byte first; the
 * scan compares them all at once before it walks the rest */
struct rule_lit { uint8_t *s; uint8_t *raw; uint32_t len; uint32_t rule; uint8_t word, wend, exact; uint32_t next4, mask4; };

/* 16-bit hashes of the first four (or, for three-byte literals, three) folded bytes, packed
 * big-endian into a word: the scan's first test. */
#define LIT_HASH(w) ((uint32_t)((uint32_t)(w) * 0x9E3779B1u) >> 16)
/* A second, independent hash: a position must pass both bit sets (a small Bloom filter). */
#define LIT_HASH2(w) ((uint32_t)(((uint32_t)(w) ^ ((uint32_t)(w) >> 13)) * 0x85EBCA6Bu) >> 16)
/* A hash of the first four folded bytes and the fifth: most words that share their first four
 * bytes with a literal ("för" and "förklarar") part at the fifth. */
#define LIT_HASH5(w, c) ((uint32_t)(((uint32_t)(w) ^ ((uint32_t)(c) * 0x01000193u)) * 0xC2B2AE35u) >> 16)

/* The fold of one byte: ASCII upper case to lower, white space to ' ', and the UTF-8 continuation
 * bytes of the Latin-1 capitals (0x80-0x9E after 0xC3) to those of the small letters.  Folding
 * continuation bytes without looking at the lead byte also maps some other characters together;
 * the scan only needs a superset of the real matches, which the rules then check. */
#define FOLD(c) (uint8_t)((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : (c) == '\n' || (c) == '\t' || (c) == '\r' ? ' ' \
                        : (c) >= 0x80 && (c) <= 0x9E && (c) != 0x97 ? (c) + 0x20 : (c))
#define FOLD4(c) FOLD(c), FOLD((c) + 1), FOLD((c) + 2), FOLD((c) + 3)
#define FOLD16(c) FOLD4(c), FOLD4((c) + 4), FOLD4((c) + 8), FOLD4((c) + 12)
#define FOLD64(c) FOLD16(c), FOLD16((c) + 16), FOLD16((c) + 32), FOLD16((c) + 48)
const uint8_t rules_fold_tab[256] = {FOLD64(0), FOLD64(64), FOLD64(128), FOLD64(192)};
#define fold_tab rules_fold_tab

void rules_fold(const char *src, size_t n, uint8_t *dst)
{
    const uint8_t *p = (const uint8_t *)src;
    for (size_t i = 0; i < n; i++) dst[i] = fold_tab[p[i]];
}

/* Where the group that opens at p[i] == '(' closes (the index of its ')'), or n.  When alt is not
 * NULL, *alt tells whether the group has an alternative ('|') at its top level. */
static size_t group_end(const char *p, size_t n, size_t i, int *alt)
{
    int depth = 0, cls = 0;
    if (alt) *alt = 0;
    for (; i < n; i++) {
        char c = p[i];
        if (c == '\\') { i++; continue; }
        if (cls) { if (c == ']') cls = 0; continue; }
        if (c == '[') { cls = 1; if (i + 1 < n && p[i + 1] == '^') i++; if (i + 1 < n && p[i + 1] == ']') i++; continue; }
        if (c == '(') depth++;
        else if (c == ')' && --depth == 0) return i;
        else if (c == '|' && depth == 1 && alt) *alt = 1;
    }
    return n;
}

/* Does a match start where the key group (opening at p[start]) does?  So when everything before it
 * opens groups (plain, named, non-capturing, option-setting) or is \b, and none of those groups
 * has another alternative or may be left out: "(?<owners>(?i:\b(?<key>kassör|ordförande)...". */
static int key_is_first(const char *p, size_t plen, size_t start)
{
    size_t i = 0;
    while (i < start) {
        if (p[i] == '\\' && i + 1 < start && p[i + 1] == 'b') { i += 2; continue; }
        if (p[i] != '(') return 0;
        size_t g = i, j = i + 1;
        if (j < start && p[j] == '?') {
            j++;
            if (j + 1 < start && p[j] == '<' && p[j + 1] != '=' && p[j + 1] != '!') {
                while (j < start && p[j] != '>') j++;   /* (?<name> */
                if (j >= start) return 0;
                j++;
            } else {
                while (j < start && (p[j] == 'i' || p[j] == 's' || p[j] == '-')) j++;
                if (j < start && p[j] == ')') { i = j + 1; continue; }   /* (?i): no group */
                if (j >= start || p[j] != ':') return 0;
                j++;
            }
        }
        int alt;
        size_t e = group_end(p, plen, g, &alt);
        if (e >= plen || alt) return 0;
        char q = e + 1 < plen ? p[e + 1] : 0;
        if (q == '?' || q == '*' || (q == '{' && e + 2 < plen && p[e + 2] == '0')) return 0;
        i = j;
    }
    return 1;
}

/* key_end: the key group is followed by \b or \s, so a literal that runs to the end of one of
 * its top-level alternatives also ends a word */
typedef struct litset { struct rule_lit *v; size_t n, cap; int fail; size_t minlen; int key_end; } litset;

static void lit_add(litset *ls, const char *s, size_t n, int word, int wend, int exact)
{
    if (ls->fail) return;
    if (n < (ls->minlen ? ls->minlen : 3)) { ls->fail = 1; return; }   /* too short to find quickly */
    if (ls->n == ls->cap) {
        size_t nc = ls->cap ? ls->cap * 2 : 16;
        struct rule_lit *nv = pk_reallocarray(ls->v, nc, sizeof *nv);
        if (!nv) { ls->fail = 2; return; }
        ls->v = nv;
        ls->cap = nc;
    }
    uint8_t *c = pk_malloc(2 * n);
    if (!c) { ls->fail = 2; return; }
    rules_fold(s, n, c);
    memcpy(c + n, s, n);   /* as written: a case-sensitive key must match exactly */
    ls->v[ls->n].s = c;
    ls->v[ls->n].raw = c + n;
    ls->v[ls->n].exact = (uint8_t)exact;
    ls->v[ls->n].len = (uint32_t)n;
    ls->v[ls->n].rule = 0;
    ls->v[ls->n].word = (uint8_t)word;
    ls->v[ls->n].wend = (uint8_t)wend;
    ls->n++;
}

static void lit_alts(litset *ls, const char *p, size_t n, int depth, int exact, int word);

/* The literal start of one alternative: letters, digits, spaces and escaped punctuation up to
 * the first construct that is not a fixed character.  A leading group gives its alternatives. */
static void lit_prefix(litset *ls, const char *p, size_t n, int depth, int exact, int word)
{
    char buf[128];
    size_t bl = 0, i = 0;
    while (i < n && !ls->fail) {
        char c = p[i];
        if (bl == 0 && c == '\\' && i + 1 < n && p[i + 1] == 'b') { word = 1; i += 2; continue; }
        if (bl == 0 && c == '^') { i++; continue; }
        if (c == '(' && bl == 0) {
            size_t e = group_end(p, n, i, NULL);
            if (e >= n) { ls->fail = 1; return; }
            /* a look-around at the start takes no text: the literal follows it */
            if (i + 2 < n && p[i + 1] == '?' && (p[i + 2] == '=' || p[i + 2] == '!' ||
                (p[i + 2] == '<' && i + 3 < n && (p[i + 3] == '=' || p[i + 3] == '!')))) {
                i = e + 1;
                continue;
            }
            size_t a = i + 1;
            if (a < n && p[a] == '?') {
                /* (?: (?i: (?-i: (?<name> — lookarounds and the rest are not literals */
                a++;
                if (a < n && p[a] == '<' && a + 1 < n && p[a + 1] != '=' && p[a + 1] != '!') {
                    while (a < n && p[a] != '>') a++;
                    a++;
                } else {
                    int neg = 0;
                    while (a < e && (p[a] == 'i' || p[a] == 'x' || p[a] == 's' || p[a] == '-')) {
                        if (p[a] == '-') neg = 1;
                        else if (p[a] == 'i') exact = neg;   /* (?i: is caseless, (?-i: is not */
                        a++;
                    }
                    if (a >= e || p[a] != ':') { ls->fail = 1; return; }
                    a++;
                }
            }
            char q = e + 1 < n ? p[e + 1] : 0;
            if (q == '?' || q == '*' || (q == '{' && e + 2 < n && p[e + 2] == '0')) { ls->fail = 1; return; }
            if (depth > 8) { ls->fail = 1; return; }
            lit_alts(ls, p + a, e - a, depth + 1, exact, word);
            return;
        }
        if (c == '\\' && i + 1 < n && p[i + 1] == 'b' && bl > 0) {   /* "\bska\b": the word ends here */
            lit_add(ls, buf, bl, word, 1, exact);
            return;
        }
        if (c == '\\' && i + 1 < n && p[i + 1] == 's' && bl > 0) {
            /* "tar\s+fram": one white space character is certain (the text is folded to ' ') */
            if (bl + 1 < sizeof buf) buf[bl++] = ' ';
            break;
        }
        int lit = 0;
        char out = 0;
        size_t adv = 1;
        if ((unsigned char)c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == ' ' || c == '\'' || c == '-' || c == ',' || c == ':' || c == '/' || c == '"' || c == '!' || c == '=' ||
            c == '@' || c == '#' || c == '%' || c == '&' || c == ';' || c == '<' || c == '>' || c == '_' || c == '~') {
            lit = 1;
            out = c;
        } else if (c == '\\' && i + 1 < n && !((p[i + 1] >= 'a' && p[i + 1] <= 'z') || (p[i + 1] >= 'A' && p[i + 1] <= 'Z') ||
                                                  (p[i + 1] >= '0' && p[i + 1] <= '9'))) {
            lit = 1;
            out = p[i + 1];
            adv = 2;
        }
        if (!lit) break;
        /* a UTF-8 character is one unit for the quantifier test below */
        size_t clen = adv;
        if ((unsigned char)c >= 0xC0) while (i + clen < n && ((unsigned char)p[i + clen] & 0xC0) == 0x80) clen++;
        char q = i + clen < n ? p[i + clen] : 0;
        if (q == '?' || q == '*' || (q == '{' && i + clen + 1 < n && p[i + clen + 1] == '0')) break;
        if (bl + clen >= sizeof buf) break;
        if (adv == 2) buf[bl++] = out;
        else { memcpy(buf + bl, p + i, clen); bl += clen; }
        i += clen;
        if (q == '+' || q == '{') break;   /* one is certain, the rest is not fixed */
    }
    lit_add(ls, buf, bl, word, i >= n && depth == 0 && ls->key_end, exact);
}

static void lit_alts(litset *ls, const char *p, size_t n, int depth, int exact, int word)
{
    size_t a = 0;
    int d = 0, cls = 0;
    for (size_t i = 0; i <= n && !ls->fail; i++) {
        char c = i < n ? p[i] : '|';
        if (i < n && c == '\\') { i++; continue; }
        if (cls) { if (c == ']') cls = 0; continue; }
        if (c == '[') { cls = 1; if (i + 1 < n && p[i + 1] == '^') i++; if (i + 1 < n && p[i + 1] == ']') i++; continue; }
        if (c == '(') d++;
        else if (c == ')') d--;
        else if (c == '|' && d == 0) {
            lit_prefix(ls, p + a, i - a, depth, exact, word);
            a = i + 1;
        }
    }
}

/* Collect the literal prefixes of a rule's (?<key>...) group (macros expanded) into the rule set.
 * A key whose alternatives do not all start with three fixed characters leaves the rule unkeyed:
 * it is then searched over the whole text, which is correct but slower. */
static pk_status key_literals(parse_state *ps, rule *r, const char *pattern, size_t plen, int caseless)
{
    /* the scan compares folded text (a superset of both cases); keys of case-sensitive rules are
     * then also compared as written, unless they turn caseless inside (?i) */
    const char *kp = NULL;
    for (size_t i = 0; i + 7 <= plen; i++) {
        if (pattern[i] == '\\') { i++; continue; }
        if (memcmp(pattern + i, "(?<key>", 7) == 0) { kp = pattern + i; break; }
    }
    if (!kp) return PK_OK;
    size_t start = (size_t)(kp - pattern);
    size_t e = group_end(pattern, plen, start, NULL);
    if (e >= plen) return PK_OK;
    litset ls = {0};
    /* a bare (?i) before the key turns the rest of its group caseless: then no exact check */
    int exact = !caseless;
    for (size_t i = 0; i + 3 < start && exact; i++)
        if (pattern[i] == '(' && pattern[i + 1] == '?') {
            size_t j = i + 2;
            while (j < start && (pattern[j] == 'i' || pattern[j] == 'x' || pattern[j] == 's' || pattern[j] == '-')) j++;
            if (j < start && pattern[j] == ')' && memchr(pattern + i + 2, 'i', j - i - 2)) exact = 0;
        }
    /* "\b(?<key>...)": every literal of the key starts a word */
    int word = start >= 2 && pattern[start - 2] == '\\' && pattern[start - 1] == 'b';
    /* "(?<key>ger|gav)\s+" or "(?<key>...)\b": the key ends a word */
    ls.key_end = e + 2 < plen && pattern[e + 1] == '\\' && (pattern[e + 2] == 'b' || pattern[e + 2] == 's');
    lit_alts(&ls, pattern + start + 7, e - start - 7, 0, exact, word);
    if (ls.fail == 2) {
        for (size_t i = 0; i < ls.n; i++) pk_free(ls.v[i].s);
        pk_free(ls.v);
        return PK_ENOMEM;
    }
    ruleset *rs = ps->rs;
    if (ls.fail || !ls.n) {
        for (size_t i = 0; i < ls.n; i++) pk_free(ls.v[i].s);
        pk_free(ls.v);
        return PK_OK;
    }
    struct rule_lit *nv = pk_reallocarray(rs->lits, rs->nlits + ls.n, sizeof *nv);
    if (!nv) {
        for (size_t i = 0; i < ls.n; i++) pk_free(ls.v[i].s);
        pk_free(ls.v);
        return PK_ENOMEM;
    }
    rs->lits = nv;
    for (size_t i = 0; i < ls.n; i++) {
        ls.v[i].rule = (uint32_t)rs->n;   /* the index this rule is about to get */
        rs->lits[rs->nlits++] = ls.v[i];
    }
    pk_free(ls.v);
    r->keyed = 1;
    /* a pattern that opens with its key matches from the key on */
    r->key_first = key_is_first(pattern, plen, start);
    return PK_OK;
}

static int is_letter(const uint8_t *t, size_t n, size_t i)
{
    uint8_t c = t[i];
    return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= 0x80 && i < n);
}

/* The raw text bytes that fold to the key's four bytes, each or 0x20 (a coarser fold that needs no
 * table: one load of four bytes and an or), into the bit set by LIT_HASH. */
static void or20_add(uint64_t *set, uint32_t key)
{
    uint8_t v[4][8];
    int nv[4] = {0};
    for (int j = 0; j < 4; j++) {
        uint8_t c = (uint8_t)(key >> (24 - 8 * j));
        for (unsigned x = 0; x < 256; x++) {
            if (fold_tab[x] != c) continue;
            uint8_t o = (uint8_t)(x | 0x20);
            int k = 0;
            while (k < nv[j] && v[j][k] != o) k++;
            if (k == nv[j] && nv[j] < 8) v[j][nv[j]++] = o;
        }
    }
    for (int a = 0; a < nv[0]; a++)
        for (int b = 0; b < nv[1]; b++)
            for (int c = 0; c < nv[2]; c++)
                for (int d = 0; d < nv[3]; d++) {
                    uint32_t w = (uint32_t)v[0][a] << 24 | (uint32_t)v[1][b] << 16 | (uint32_t)v[2][c] << 8 | v[3][d];
                    uint32_t h = LIT_HASH(w);
                    set[h >> 6] |= 1ULL << (h & 63);
                }
}

/* The literal index: every literal under the exact key of its first four folded bytes (a three-
 * byte literal that ends a word under each byte that may follow it; other three-byte literals
 * under their three bytes, top byte zero), in an open-addressing table of slots that list
 * literal numbers.  A bit set of key hashes turns most text positions away first. */
#define LIT_SLOT(key, cap) (((uint32_t)(key) * 0x85EBCA6Bu) >> 7 & ((cap) - 1))

typedef struct lit_pair { uint32_t key, lit; } lit_pair;

static int cmp_pair(const void *a, const void *b)
{
    const lit_pair *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->lit < y->lit ? -1 : x->lit > y->lit;
}

static pk_status build_lit_index(ruleset *rs)
{
    pk_free(rs->lit_slots);
    pk_free(rs->lit_list);
    rs->lit_slots = NULL;
    rs->lit_list = NULL;
    rs->lit_cap = 0;
    memset(rs->lit_quad, 0, sizeof rs->lit_quad);
    memset(rs->lit_tri, 0, sizeof rs->lit_tri);
    memset(rs->lit_quad_mid, 0, sizeof rs->lit_quad_mid);
    memset(rs->lit_quad2, 0, sizeof rs->lit_quad2);
    memset(rs->lit_quint, 0, sizeof rs->lit_quint);
    memset(rs->lit_short, 0, sizeof rs->lit_short);
    memset(rs->lit_or20, 0, sizeof rs->lit_or20);
    memset(rs->lit_or20_mid, 0, sizeof rs->lit_or20_mid);
    rs->lit_use_tri = 0;
    if (!rs->nlits) return PK_OK;
    size_t np = 0, cap = rs->nlits * 80 + 16;
    lit_pair *pairs = pk_reallocarray(NULL, cap, sizeof *pairs);
    if (!pairs) return PK_ENOMEM;
    for (size_t i = 0; i < rs->nlits; i++) {
        const uint8_t *ls = rs->lits[i].s;
        uint32_t w3 = (uint32_t)ls[0] << 24 | (uint32_t)ls[1] << 16 | (uint32_t)ls[2] << 8;
        if (rs->lits[i].len >= 4) {
            pairs[np++] = (lit_pair){w3 | ls[3], (uint32_t)i};
        } else if (rs->lits[i].wend) {
            /* "ska" ending a word: every folded byte that is no letter may follow (0 = the end) */
            for (unsigned c = 0; c < 128; c++) {
                if (fold_tab[c] != c || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) continue;
                pairs[np++] = (lit_pair){w3 | c, (uint32_t)i};
            }
        } else {
            pairs[np++] = (lit_pair){w3 >> 8, (uint32_t)i};
            rs->lit_use_tri = 1;
        }
    }
    qsort(pairs, np, sizeof *pairs, cmp_pair);
    size_t slots = 64;
    while (slots < np * 4) slots *= 2;   /* a quarter full: short probes */
    rs->lit_slots = pk_calloc(slots, sizeof *rs->lit_slots);
    rs->lit_list = pk_reallocarray(NULL, np, sizeof *rs->lit_list);
    if (!rs->lit_slots || !rs->lit_list) { pk_free(pairs); return PK_ENOMEM; }
    rs->lit_cap = (uint32_t)slots;
    for (size_t a = 0; a < np;) {
        size_t b = a;
        while (b < np && pairs[b].key == pairs[a].key) { rs->lit_list[b] = pairs[b].lit; b++; }
        uint32_t key = pairs[a].key, h = LIT_SLOT(key, slots);
        while (rs->lit_slots[h].count) h = (h + 1) & (uint32_t)(slots - 1);
        rs->lit_slots[h].key = key;
        rs->lit_slots[h].first = (uint32_t)a;
        rs->lit_slots[h].count = (uint32_t)(b - a);
        uint32_t hb = LIT_HASH(key), hb2 = LIT_HASH2(key);
        if (key >> 24) {
            rs->lit_quad[hb >> 6] |= 1ULL << (hb & 63);
            rs->lit_quad2[hb2 >> 6] |= 1ULL << (hb2 & 63);
            or20_add(rs->lit_or20, key);
        } else {
            rs->lit_tri[hb >> 6] |= 1ULL << (hb & 63);
        }
        for (size_t k = a; k < b; k++) {
            const struct rule_lit *l = &rs->lits[pairs[k].lit];
            if (!l->word && (key >> 24)) {
                rs->lit_quad_mid[hb >> 6] |= 1ULL << (hb & 63);
                or20_add(rs->lit_or20_mid, key);
            }
            if (l->len >= 5) {
                uint32_t h5 = LIT_HASH5(key, l->s[4]);
                rs->lit_quint[h5 >> 6] |= 1ULL << (h5 & 63);
            } else {
                rs->lit_short[hb >> 6] |= 1ULL << (hb & 63);
            }
        }
        a = b;
    }
    pk_free(pairs);
    for (size_t i = 0; i < rs->nlits; i++) {
        struct rule_lit *l = &rs->lits[i];
        l->next4 = l->mask4 = 0;
        for (uint32_t b = 0; b < 4 && 4 + b < l->len; b++) {
            l->next4 |= (uint32_t)l->s[4 + b] << (8 * b);
            l->mask4 |= 0xFFu << (8 * b);
        }
    }
    /* the vector scan's conditions */
    rs->lit_simd = !rs->lit_use_tri;
    rs->lit_nmid = 0;
    for (size_t i = 0; i < rs->nlits && rs->lit_simd; i++) {
        const struct rule_lit *l = &rs->lits[i];
        if (l->word) {
            uint8_t c = l->s[0];
            if (!(c >= 0x80 || (c >= 'a' && c <= 'z'))) rs->lit_simd = 0;
            continue;
        }
        if (l->len < 2 || l->s[0] == ' ' || l->s[1] == ' ') { rs->lit_simd = 0; break; }
        uint8_t a = l->s[0] | 0x20, b = l->s[1] | 0x20;
        int k = 0;
        while (k < rs->lit_nmid && (rs->lit_mid[k][0] != a || rs->lit_mid[k][1] != b)) k++;
        if (k < rs->lit_nmid) continue;
        if (rs->lit_nmid == 8) { rs->lit_simd = 0; break; }
        rs->lit_mid[k][0] = a;
        rs->lit_mid[k][1] = b;
        rs->lit_nmid++;
    }
    return PK_OK;
}

/* The literals filed under key, checked at text position i. */
static int scan_key(const ruleset *rs, uint32_t key, const uint8_t *t, size_t n, size_t i,
                    int (*push)(void *ud, rule_hit h), void *ud)
{
    uint32_t h = LIT_SLOT(key, rs->lit_cap);
    while (rs->lit_slots[h].count && rs->lit_slots[h].key != key) h = (h + 1) & (rs->lit_cap - 1);
    const struct lit_slot *sl = &rs->lit_slots[h];
    uint32_t tn = 0;   /* the text's folded bytes 4..7 (0 past the end) */
    if (i + 8 <= n)
        tn = (uint32_t)fold_tab[t[i + 4]] | (uint32_t)fold_tab[t[i + 5]] << 8 | (uint32_t)fold_tab[t[i + 6]] << 16 |
             (uint32_t)fold_tab[t[i + 7]] << 24;
    else
        for (uint32_t b = 0; b < 4 && i + 4 + b < n; b++) tn |= (uint32_t)fold_tab[t[i + 4 + b]] << (8 * b);
    for (uint32_t k = 0; k < sl->count; k++) {
        const struct rule_lit *l = &rs->lits[rs->lit_list[sl->first + k]];
        if ((tn & l->mask4) != l->next4 || l->len > n - i) continue;
        /* a four-byte key and next4 have compared the first eight bytes */
        size_t j = key >> 24 ? 8 : 3;
        if (j > l->len) j = l->len;
        while (j < l->len && fold_tab[t[i + j]] == l->s[j]) j++;
        if (j < l->len) continue;
        if (l->exact) {
            uint32_t q = 0;
            while (q < l->len && t[i + q] == l->raw[q]) q++;
            if (q < l->len) continue;
        }
        if (l->word && i > 0 && is_letter(t, n, i - 1)) continue;
        if (l->wend && i + l->len < n && is_letter(t, n, i + l->len)) continue;
        rule_hit hit = {(uint32_t)i, l->rule};
        if (!push(ud, hit)) return 0;
    }
    return 1;
}

/* May a literal filed under the four bytes w (hash hq) start at i, by its fifth byte?  Literals of
 * four bytes or fewer pass on their key alone. */
static inline int quint_may(const ruleset *rs, uint32_t w, uint32_t hq, const uint8_t *t, size_t n, size_t i)
{
    if (rs->lit_short[hq >> 6] & (1ULL << (hq & 63))) return 1;
    if (i + 4 >= n) return 0;
    uint32_t h5 = LIT_HASH5(w, fold_tab[t[i + 4]]);
    return (rs->lit_quint[h5 >> 6] >> (h5 & 63)) & 1;
}

/* Letters for the scan's word test: ASCII letters and every byte of a multi-byte character. */
#define L8(c) ((((c) | 0x20) >= 'a' && ((c) | 0x20) <= 'z') || (c) >= 0x80)
#define L4(c) L8(c), L8((c) + 1), L8((c) + 2), L8((c) + 3)
#define L16(c) L4(c), L4((c) + 4), L4((c) + 8), L4((c) + 12)
#define L64(c) L16(c), L16((c) + 16), L16((c) + 32), L16((c) + 48)
static const uint8_t letter_tab[256] = {L64(0), L64(64), L64(128), L64(192)};

int rules_scan(const ruleset *rs, const uint8_t *t, size_t n, int (*push)(void *ud, rule_hit h), void *ud)
{
    if (!rs->nlits || n < 3) return 1;
    const uint64_t *quad = rs->lit_quad, *tri = rs->lit_tri;
    /* w holds the folded bytes t[i .. i+3], first byte highest (0 past the end) */
    uint32_t w = (uint32_t)fold_tab[t[0]] << 16 | (uint32_t)fold_tab[t[1]] << 8 | fold_tab[t[2]];
    size_t i = 0;
#if defined(__SSE2__)
    if (rs->lit_simd && n >= 20) {
        /* sixteen bytes at a time: the word starts (a letter after a non-letter; every
         * word-initial literal starts with a letter) and the places where a literal that may
         * start inside a word has its first two bytes are the only candidates */
        const __m128i x20 = _mm_set1_epi8(0x20), bias = _mm_set1_epi8((char)(128 - 'a')),
                      lim = _mm_set1_epi8((char)(-128 + 26));
        __m128i ma[8], mb[8];
        int nm = rs->lit_nmid;
        for (int k = 0; k < nm; k++) {
            ma[k] = _mm_set1_epi8((char)rs->lit_mid[k][0]);
            mb[k] = _mm_set1_epi8((char)rs->lit_mid[k][1]);
        }
        unsigned prev = 0;
        for (; i + 19 <= n; i += 16) {
            __m128i c = _mm_loadu_si128((const __m128i *)(t + i));
            __m128i lo = _mm_or_si128(c, x20);
            unsigned letters = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(_mm_add_epi8(lo, bias), lim)) |
                               (unsigned)_mm_movemask_epi8(c);
            unsigned starts = letters & ~(letters << 1 | prev);
            prev = letters >> 15 & 1;
            unsigned cand = starts;
            if (nm) {
                __m128i lo1 = _mm_or_si128(_mm_loadu_si128((const __m128i *)(t + i + 1)), x20);
                __m128i m = _mm_setzero_si128();
                for (int k = 0; k < nm; k++)
                    m = _mm_or_si128(m, _mm_and_si128(_mm_cmpeq_epi8(lo, ma[k]), _mm_cmpeq_epi8(lo1, mb[k])));
                cand |= (unsigned)_mm_movemask_epi8(m);
            }
            while (cand) {
                unsigned b = (unsigned)__builtin_ctz(cand);
                cand &= cand - 1;
                size_t p = i + b;
                int at_start = starts >> b & 1;
                /* first the coarse fold of one four-byte load; most words end here */
                uint32_t r;
                memcpy(&r, t + p, 4);
                uint32_t h0 = LIT_HASH(__builtin_bswap32(r) | 0x20202020u);
                if (!(((at_start ? rs->lit_or20 : rs->lit_or20_mid)[h0 >> 6] >> (h0 & 63)) & 1)) continue;
                uint32_t w4 = (uint32_t)fold_tab[t[p]] << 24 | (uint32_t)fold_tab[t[p + 1]] << 16 |
                              (uint32_t)fold_tab[t[p + 2]] << 8 | fold_tab[t[p + 3]];
                const uint64_t *q = at_start ? quad : rs->lit_quad_mid;
                uint32_t hq = LIT_HASH(w4);
                if (!(q[hq >> 6] & (1ULL << (hq & 63)))) continue;
                uint32_t h2 = LIT_HASH2(w4);
                if (!(rs->lit_quad2[h2 >> 6] & (1ULL << (h2 & 63)))) continue;
                if (!quint_may(rs, w4, hq, t, n, p)) continue;
                if (!scan_key(rs, w4, t, n, p, push, ud)) return 0;
            }
        }
        /* the rest byte by byte, from i */
        w = (uint32_t)fold_tab[t[i]] << 16 | (uint32_t)fold_tab[t[i + 1]] << 8 | fold_tab[t[i + 2]];
    }
#endif
    if (!rs->lit_use_tri) {
        /* inside a word only the literals that may start inside words are looked for: their
         * own bit set, chosen without a branch */
        const uint64_t *sets[2] = {quad, rs->lit_quad_mid};
        unsigned inside = i ? letter_tab[t[i - 1]] : 0;
        for (; i + 3 < n; i++) {
            w = w << 8 | fold_tab[t[i + 3]];
            const uint64_t *q = sets[inside];
            inside = letter_tab[t[i]];
            uint32_t hq = LIT_HASH(w);
            if (!(q[hq >> 6] & (1ULL << (hq & 63)))) continue;
            uint32_t h2 = LIT_HASH2(w);
            if (!(rs->lit_quad2[h2 >> 6] & (1ULL << (h2 & 63)))) continue;
            if (!quint_may(rs, w, hq, t, n, i)) continue;
            if (!scan_key(rs, w, t, n, i, push, ud)) return 0;
        }
    }
    for (; i + 2 < n; i++) {
        w = w << 8 | (i + 3 < n ? fold_tab[t[i + 3]] : 0);
        uint32_t hq = LIT_HASH(w), ht = LIT_HASH(w >> 8);
        if ((quad[hq >> 6] & (1ULL << (hq & 63))) && !scan_key(rs, w, t, n, i, push, ud)) return 0;
        if (rs->lit_use_tri && (tri[ht >> 6] & (1ULL << (ht & 63))) && !scan_key(rs, w >> 8, t, n, i, push, ud)) return 0;
    }
    return 1;
}

/* ---- compiling one rule ---- */

static int group_index(const char *name)
{
    for (int g = 0; g < G_COUNT; g++)
        if (strcmp(group_names[g], name) == 0) return g;
    return -1;
}

static pk_status compile_rule(parse_state *ps, rule_kind kind, const char *pattern, size_t plen)
{
    ruleset *rs = ps->rs;
    int errcode;
    PCRE2_SIZE erroff;
    uint32_t opts = ps->pcre_opts;
    if (kind_anchor[kind]) opts |= PCRE2_ANCHORED;
    if (kind == RK_DECISION || kind == RK_FOLLOWUP || kind == RK_UPCOMING || kind == RK_MEETING_WORD ||
        kind == RK_OPENED || kind == RK_CLOSED)
        opts |= PCRE2_USE_OFFSET_LIMIT;
    if (kind_anchor[kind] == 'W') opts |= PCRE2_ENDANCHORED;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, plen, opts, &errcode, &erroff, rs->cctx);
    if (!code) {
        if (errcode == PCRE2_ERROR_HEAP_FAILED) {
            msg_set(ps->msg, "%s:%d: %s: out of memory compiling the pattern", ps->file, ps->line, ps->name);
            return PK_ENOMEM;
        }
        PCRE2_UCHAR text[160];
        pcre2_get_error_message(errcode, text, sizeof text);
        msg_set(ps->msg, "%s:%d: %s: %s at offset %zu of the pattern%s", ps->file, ps->line, ps->name,
                (const char *)text, (size_t)erroff,
                memchr(ps->pat.p ? (const char *)ps->pat.p : "", '@', ps->pat.n) ? " (after macro expansion)" : "");
        return PK_ESYNTAX;
    }
    rule r;
    memset(&r, 0, sizeof r);
    for (int g = 0; g < G_COUNT; g++) r.grp[g] = -1;
    /* every named group must be one the extractor reads: a misspelt name would silently do nothing */
    uint32_t namecount = 0, entrysize = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &namecount);
    pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entrysize);
    pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; i < namecount; i++) {
        PCRE2_SPTR e = table + (size_t)i * entrysize;
        int num = (e[0] << 8) | e[1];
        const char *gname = (const char *)(e + 2);
        int g = group_index(gname);
        if (g < 0) {
            msg_set(ps->msg, "%s:%d: %s: unknown group name '%s' (the extractor reads: number title text "
                    "owners due date when time place body name names role at from to n ord all verb rest party key)",
                    ps->file, ps->line, ps->name, gname);
            pcre2_code_free(code);
            return PK_ESYNTAX;
        }
        if (r.grp[g] < 0) r.grp[g] = (int16_t)num;   /* duplicates are resolved at match time */
    }
    /* the key: literal prefixes of its (?<key>...) alternatives, for the fast scan */
    pk_status kst = key_literals(ps, &r, pattern, plen, (opts & PCRE2_CASELESS) != 0);
    if (kst) { pcre2_code_free(code); return kst; }
    /* anchored kinds: the first two or three folded bytes every match starts with, when the
     * pattern starts with literals (a finer test than the first byte) */
    if (kind_anchor[kind]) {
        litset ls = {0};
        ls.minlen = 2;
        lit_alts(&ls, pattern, plen, 0, 0, 0);
        if (ls.fail == 2) {
            for (size_t i = 0; i < ls.n; i++) pk_free(ls.v[i].s);
            pk_free(ls.v);
            pcre2_code_free(code);
            return PK_ENOMEM;
        }
        if (!ls.fail && ls.n) {
            r.lead_ok = 1;
            for (size_t i = 0; i < ls.n && i < 256; i++) {
                const uint8_t *q = ls.v[i].s;
                if (ls.v[i].len >= 4) {
                    uint32_t h = LIT_HASH((uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3]) & 4095;
                    r.lead4[h >> 6] |= 1ULL << (h & 63);
                } else if (ls.v[i].len == 3) {
                    uint32_t h = LIT_HASH((uint32_t)q[0] << 16 | (uint32_t)q[1] << 8 | q[2]) & 4095;
                    r.lead3[h >> 6] |= 1ULL << (h & 63);
                } else {
                    uint32_t h = LIT_HASH((uint32_t)q[0] << 8 | q[1]) & 4095;
                    r.lead2[h >> 6] |= 1ULL << (h & 63);
                }
            }
        }
        for (size_t i = 0; i < ls.n; i++) pk_free(ls.v[i].s);
        pk_free(ls.v);
    }
    pcre2_pattern_info(code, PCRE2_INFO_MINLENGTH, &r.minlen);
    {
        /* a byte every match must hold: short subjects without it are turned away by memchr */
        uint32_t lt = 0, lu = 0;
        pcre2_pattern_info(code, PCRE2_INFO_LASTCODETYPE, &lt);
        pcre2_pattern_info(code, PCRE2_INFO_LASTCODEUNIT, &lu);
        r.req = -1;
        /* letters may be caseless through an inline (?i), which PCRE2 does not report here */
        int letter = ((lu | 0x20) >= 'a' && (lu | 0x20) <= 'z') || lu >= 0x80;
        if (lt == 1 && lu < 256 && !letter) r.req = (int)lu;
    }
    {
        /* a whole-subject rule that ends in a fixed punctuation mark ("...:"): the subject's
         * last byte, tested before PCRE2 is called */
        uint32_t all = 0;
        pcre2_pattern_info(code, PCRE2_INFO_ALLOPTIONS, &all);
        r.endc = -1;
        if (kind_anchor[kind] == 'W' && plen >= 2 && !(all & PCRE2_EXTENDED)) {
            unsigned char c = (unsigned char)pattern[plen - 1];
            size_t bs = 0;
            while (bs + 1 < plen && pattern[plen - 2 - bs] == '\\') bs++;
            int punct = c < 0x80 && c > ' ' && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && !(c >= '0' && c <= '9');
            if (punct && (bs & 1 ? c != '\\' : !strchr("$)]*+?}|.^\\{[(", c))) r.endc = c;
        }
    }
    if (kind_anchor[kind]) {
        /* the bytes a match can start with, so that most lines are turned away before PCRE2 is
         * called.  PCRE2 computes a start bitmap only for unanchored patterns: ask a copy. */
        pcre2_code *probe = pcre2_compile((PCRE2_SPTR)pattern, plen, ps->pcre_opts, &errcode, &erroff, rs->cctx);
        if (probe) {
            uint32_t type = 0;
            const uint8_t *bm = NULL;
            pcre2_pattern_info(probe, PCRE2_INFO_FIRSTCODETYPE, &type);
            pcre2_pattern_info(probe, PCRE2_INFO_FIRSTBITMAP, &bm);
            memset(r.first, 0, sizeof r.first);
            if (bm) {
                memcpy(r.first, bm, sizeof r.first);
                r.has_first = 1;
            } else if (type == 1) {
                uint32_t cu = 0;
                pcre2_pattern_info(probe, PCRE2_INFO_FIRSTCODEUNIT, &cu);
                int letter = ((cu | 0x20) >= 'a' && (cu | 0x20) <= 'z');
                if (cu < 128 || !(opts & PCRE2_CASELESS)) {
                    r.first[(cu & 0xFF) >> 3] |= (uint8_t)(1u << (cu & 7));
                    /* a caseless letter may come in either case */
                    if (letter && (opts & PCRE2_CASELESS)) r.first[((cu ^ 0x20) & 0xFF) >> 3] |= (uint8_t)(1u << ((cu ^ 0x20) & 7));
                    r.has_first = cu < 256;
                }
            }
            pcre2_code_free(probe);
        }
    }
    r.pattern = pk_strndup(pattern, plen);
    if (!r.pattern) { pcre2_code_free(code); return PK_ENOMEM; }
    r.popts = ps->pcre_opts;
    r.code = code;
    r.kind = kind;
    r.flags = ps->flags;
    r.file = ps->file;
    r.line = ps->line;
    r.name = pk_strdup(ps->name);
    if (!r.name) { pk_free(r.pattern); pcre2_code_free(code); return PK_ENOMEM; }
    int jrc = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    if (jrc == PCRE2_ERROR_NOMEMORY) { pk_free(r.name); pk_free(r.pattern); pcre2_code_free(code); return PK_ENOMEM; }
    r.jit = jrc == 0;   /* without JIT support the interpreter still gives the same answers */
    if (rs->n == rs->cap) {
        size_t nc = rs->cap ? rs->cap * 2 : 64;
        rule *nr = pk_reallocarray(rs->rules, nc, sizeof *nr);
        if (!nr) { pk_free(r.name); pk_free(r.pattern); pcre2_code_free(code); return PK_ENOMEM; }
        rs->rules = nr;
        rs->cap = nc;
    }
    /* the literals were collected with the rule's future index */
    rs->rules[rs->n++] = r;
    return PK_OK;
}

/* Finish the pending rule or definition. */
static pk_status flush_pending(parse_state *ps)
{
    if (!ps->pending) return PK_OK;
    int what = ps->pending;
    ps->pending = 0;
    pk_buf ex;
    buf_init(&ex);
    pk_status st = expand(ps, ps->pat.p ? (const char *)ps->pat.p : "", ps->pat.n, &ex);
    if (st == PK_OK && ex.n == 0) {
        msg_set(ps->msg, "%s:%d: %s: empty pattern", ps->file, ps->line, ps->name);
        st = PK_ESYNTAX;
    }
    if (st == PK_OK && what == 2) {
        if (ps->nmacros == ps->capmacros) {
            size_t nc = ps->capmacros ? ps->capmacros * 2 : 16;
            macro *nm = pk_reallocarray(ps->macros, nc, sizeof *nm);
            if (!nm) st = PK_ENOMEM;
            else { ps->macros = nm; ps->capmacros = nc; }
        }
        if (st == PK_OK) {
            char *nm = pk_strdup(ps->name), *body = buf_detach(&ex);
            if (!nm || !body) { pk_free(nm); pk_free(body); st = PK_ENOMEM; }
            else {
                ps->macros[ps->nmacros].name = nm;
                ps->macros[ps->nmacros].body = body;
                ps->nmacros++;
            }
        }
    } else if (st == PK_OK) {
        /* the kind is the longest known kind name that the rule name starts with (then '.' or end) */
        int kind = -1;
        size_t best = 0;
        for (int k = 0; k < RK_COUNT; k++) {
            size_t kl = strlen(kind_names[k]);
            if (strncmp(ps->name, kind_names[k], kl) == 0 && (ps->name[kl] == 0 || ps->name[kl] == '.') && kl > best) {
                kind = k;
                best = kl;
            }
        }
        if (kind < 0) {
            msg_set(ps->msg, "%s:%d: unknown rule kind '%s' (docs/RULES.md lists the kinds)", ps->file, ps->line, ps->name);
            st = PK_ESYNTAX;
        } else {
            st = compile_rule(ps, (rule_kind)kind, (const char *)ex.p, ex.n);
        }
    }
    buf_free(&ex);
    ps->pat.n = 0;
    if (st == PK_ENOMEM && !ps->msg->text[0]) msg_set(ps->msg, "%s:%d: out of memory", ps->file, ps->line);
    return st;
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Parse "[flags]" at p; returns PK_OK and sets flags/options. */
static pk_status parse_flags(parse_state *ps, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (p[i] == ' ' || p[i] == ',' || p[i] == '\t')) i++;
        size_t s = i;
        while (i < n && p[i] != ' ' && p[i] != ',' && p[i] != '\t') i++;
        size_t l = i - s;
        if (!l) continue;
        if (l == 1 && p[s] == 'i') ps->pcre_opts |= PCRE2_CASELESS;
        else if (l == 1 && p[s] == 'x') ps->pcre_opts |= PCRE2_EXTENDED;
        else if (l == 1 && p[s] == 's') ps->pcre_opts |= PCRE2_DOTALL;
        else if (l == 8 && memcmp(p + s, "anywhere", 8) == 0) ps->flags |= RF_ANYWHERE;
        else {
            msg_set(ps->msg, "%s:%d: %s: unknown flag '%.*s' (flags: i x s anywhere)", ps->file, ps->line,
                    ps->name, (int)l, p + s);
            return PK_ESYNTAX;
        }
    }
    return PK_OK;
}

static pk_status parse_line(parse_state *ps, const char *p, size_t n, int lineno)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    if (i == n || p[i] == '#') return PK_OK;          /* blank or comment */
    if (i > 0) {                                        /* continuation of the pending pattern */
        if (!ps->pending) {
            msg_set(ps->msg, "%s:%d: indented line continues no rule", ps->file, lineno);
            return PK_ESYNTAX;
        }
        size_t e = n;
        while (e > i && (p[e - 1] == ' ' || p[e - 1] == '\t' || p[e - 1] == '\r')) e--;
        buf_put(&ps->pat, p + i, e - i);
        return ps->pat.err ? PK_ENOMEM : PK_OK;
    }
    pk_status st = flush_pending(ps);
    if (st) return st;
    ps->line = lineno;
    ps->flags = 0;
    ps->pcre_opts = PCRE2_UTF | PCRE2_UCP | PCRE2_DUPNAMES;
    int is_define = 0;
    if (n > 7 && memcmp(p, "define", 6) == 0 && (p[6] == ' ' || p[6] == '\t')) {
        is_define = 1;
        i = 6;
        while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    }
    size_t ns = i;
    while (i < n && is_name_char(p[i])) i++;
    size_t nl = i - ns;
    if (nl == 0 || nl >= sizeof ps->name) {
        msg_set(ps->msg, "%s:%d: expected 'kind[.label] [flags] = pattern' or 'define name = pattern'", ps->file, lineno);
        return PK_ESYNTAX;
    }
    memcpy(ps->name, p + ns, nl);
    ps->name[nl] = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    if (i < n && p[i] == '[') {
        size_t fs = ++i;
        while (i < n && p[i] != ']') i++;
        if (i >= n) {
            msg_set(ps->msg, "%s:%d: %s: missing ']' after the flags", ps->file, lineno, ps->name);
            return PK_ESYNTAX;
        }
        if (is_define) {
            msg_set(ps->msg, "%s:%d: %s: a definition takes no flags", ps->file, lineno, ps->name);
            return PK_ESYNTAX;
        }
        st = parse_flags(ps, p + fs, i - fs);
        if (st) return st;
        i++;
        while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    }
    if (i >= n || p[i] != '=') {
        msg_set(ps->msg, "%s:%d: %s: expected '=' after the rule name", ps->file, lineno, ps->name);
        return PK_ESYNTAX;
    }
    i++;
    while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    size_t e = n;
    while (e > i && (p[e - 1] == ' ' || p[e - 1] == '\t' || p[e - 1] == '\r')) e--;
    ps->pat.n = 0;
    buf_put(&ps->pat, p + i, e - i);
    if (ps->pat.err) return PK_ENOMEM;
    ps->pending = is_define ? 2 : 1;
    return PK_OK;
}

static pk_status ensure_contexts(ruleset *rs)
{
    if (rs->gctx) return PK_OK;
    rs->gctx = pcre2_general_context_create(pc_malloc, pc_free, NULL);
    if (!rs->gctx) return PK_ENOMEM;
    rs->cctx = pcre2_compile_context_create(rs->gctx);
    rs->mctx = pcre2_match_context_create(rs->gctx);
    rs->mctx_lim = pcre2_match_context_create(rs->gctx);
    if (!rs->cctx || !rs->mctx || !rs->mctx_lim) return PK_ENOMEM;
    /* a careless rule must not hang on a hostile document */
    pcre2_set_match_limit(rs->mctx, 2000000);
    pcre2_set_depth_limit(rs->mctx, 10000);
    pcre2_set_match_limit(rs->mctx_lim, 2000000);
    pcre2_set_depth_limit(rs->mctx_lim, 10000);
    return PK_OK;
}

pk_status rules_load_text(ruleset *rs, const char *name, const char *text, size_t n, pk_msg *msg)
{
    msg_clear(msg);
    pk_status st = ensure_contexts(rs);
    if (st) { msg_set(msg, "%s: out of memory", name); return st; }
    /* the rule set keeps the file names that rules point at */
    char **nf = pk_reallocarray(rs->files, rs->nfiles + 1, sizeof *nf);
    if (!nf) { msg_set(msg, "%s: out of memory", name); return PK_ENOMEM; }
    rs->files = nf;
    char *fname = pk_strdup(name);
    if (!fname) { msg_set(msg, "%s: out of memory", name); return PK_ENOMEM; }
    rs->files[rs->nfiles++] = fname;

    parse_state ps;
    memset(&ps, 0, sizeof ps);
    ps.rs = rs;
    ps.file = fname;
    ps.msg = msg;
    buf_init(&ps.pat);
    size_t i = 0;
    int lineno = 0;
    while (st == PK_OK && i < n) {
        const char *nl = memchr(text + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - text) : n;
        lineno++;
        if (memchr(text + i, 0, e - i)) {
            msg_set(msg, "%s:%d: NUL byte in the rule file", name, lineno);
            st = PK_ESYNTAX;
            break;
        }
        st = parse_line(&ps, text + i, e - i, lineno);
        i = e + 1;
    }
    if (st == PK_OK) st = flush_pending(&ps);
    if (st == PK_ENOMEM && !msg->text[0]) msg_set(msg, "%s: out of memory", name);
    for (size_t k = 0; k < ps.nmacros; k++) { pk_free(ps.macros[k].name); pk_free(ps.macros[k].body); }
    pk_free(ps.macros);
    buf_free(&ps.pat);
    return st;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static pk_status load_path(ruleset *rs, const char *path, pk_msg *msg)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        int e = errno;
        msg_set(msg, "%s: %s", path, strerror(e));
        return e == ENOENT ? PK_ENOENT : PK_EIO;
    }
    if (!S_ISDIR(sb.st_mode)) {
        uint8_t *data;
        size_t n;
        char *err = NULL;
        pk_status st = util_read_file(path, &data, &n, &err);
        if (st) {
            msg_set(msg, "%s", err ? err : path);
            pk_free(err);
            return st;
        }
        st = rules_load_text(rs, path, (const char *)data, n, msg);
        pk_free(data);
        return st;
    }
    DIR *d = opendir(path);
    if (!d) {
        int e = errno;
        msg_set(msg, "%s: %s", path, strerror(e));
        return PK_EIO;
    }
    char **names = NULL;
    size_t nn = 0;
    pk_status st = PK_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l < 7 || strcmp(de->d_name + l - 6, ".rules") != 0) continue;
        char **nv = pk_reallocarray(names, nn + 1, sizeof *nv);
        if (!nv) { st = PK_ENOMEM; break; }
        names = nv;
        names[nn] = pk_sprintf("%s/%s", path, de->d_name);
        if (!names[nn]) { st = PK_ENOMEM; break; }
        nn++;
    }
    closedir(d);
    if (st == PK_OK && nn == 0) {
        msg_set(msg, "%s: no .rules files in the folder", path);
        st = PK_ENOENT;
    }
    if (st == PK_OK) qsort(names, nn, sizeof *names, cmp_str);
    for (size_t i = 0; st == PK_OK && i < nn; i++) st = load_path(rs, names[i], msg);
    for (size_t i = 0; i < nn; i++) pk_free(names[i]);
    pk_free(names);
    if (st == PK_ENOMEM && !msg->text[0]) msg_set(msg, "%s: out of memory", path);
    return st;
}

/* Join the rules of an anchored kind into one alternation, so that a line costs one call per
 * kind.  Alternatives are tried in order at the start of the subject, as the rules would be.
 * Kinds whose rules differ in flags, or use numbered back references or recursion (numbers
 * shift when joined), stay as they are.  Only allocation failure is an error. */
static pk_status combine_kind(ruleset *rs, rule_kind k)
{
    uint32_t a = rs->kind_start[k], b = rs->kind_start[k + 1];
    if (!kind_anchor[k] || b - a < 2) return PK_OK;
    for (uint32_t i = a; i < b; i++) {
        const char *p = rs->rules[i].pattern;
        if (rs->rules[i].flags != rs->rules[a].flags) return PK_OK;
        for (size_t j = 0; p[j]; j++) {
            if (p[j] == '\\' && p[j + 1]) {
                char c = p[j + 1];
                if ((c >= '1' && c <= '9') || c == 'g') return PK_OK;
                j++;
                continue;
            }
            if (p[j] == '(' && p[j + 1] == '?' && p[j + 2] &&
                ((p[j + 2] >= '0' && p[j + 2] <= '9') || p[j + 2] == 'R' || p[j + 2] == '+' || p[j + 2] == '-' ||
                 p[j + 2] == '|' || p[j + 2] == '&' || p[j + 2] == 'P'))
                if (!(p[j + 2] == '-' && p[j + 3] && !(p[j + 3] >= '0' && p[j + 3] <= '9'))) return PK_OK;
        }
    }
    pk_buf pb;
    buf_init(&pb);
    for (uint32_t i = a; i < b; i++) {
        uint32_t o = rs->rules[i].popts;
        if (i > a) buf_putc(&pb, '|');
        buf_printf(&pb, "(?%s%s%s:", (o & PCRE2_CASELESS) ? "i" : "-i", (o & PCRE2_EXTENDED) ? "x" : "", (o & PCRE2_DOTALL) ? "s" : "");
        buf_puts(&pb, rs->rules[i].pattern);
        buf_putc(&pb, ')');
    }
    if (pb.err) { buf_free(&pb); return PK_ENOMEM; }
    uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_DUPNAMES | PCRE2_ANCHORED;
    if (kind_anchor[k] == 'W') opts |= PCRE2_ENDANCHORED;
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *code = pcre2_compile(pb.p, pb.n, opts, &errcode, &erroff, rs->cctx);
    buf_free(&pb);
    if (!code) return errcode == PCRE2_ERROR_HEAP_FAILED ? PK_ENOMEM : PK_OK;
    rule *c = pk_calloc(1, sizeof *c);
    if (!c) { pcre2_code_free(code); return PK_ENOMEM; }
    c->code = code;
    c->kind = k;
    c->flags = rs->rules[a].flags;
    c->name = rs->rules[a].name;   /* borrowed, for messages */
    c->file = rs->rules[a].file;
    c->line = rs->rules[a].line;
    for (int g = 0; g < G_COUNT; g++) {
        int num = pcre2_substring_number_from_name(code, (PCRE2_SPTR)group_names[g]);
        if (num == PCRE2_ERROR_NOUNIQUESUBSTRING) {
            PCRE2_SPTR first, last;
            int esz = pcre2_substring_nametable_scan(code, (PCRE2_SPTR)group_names[g], &first, &last);
            num = esz > 0 ? ((first[0] << 8) | first[1]) : -1;
        }
        c->grp[g] = (int16_t)(num > 0 ? num : -1);
    }
    c->minlen = UINT32_MAX;
    c->req = -1;
    c->endc = -1;
    c->has_first = 1;
    for (uint32_t i = a; i < b; i++) {
        if (rs->rules[i].minlen < c->minlen) c->minlen = rs->rules[i].minlen;
        if (!rs->rules[i].has_first) c->has_first = 0;
        for (int j = 0; j < 32; j++) c->first[j] |= rs->rules[i].first[j];
    }
    int jrc = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    if (jrc == PCRE2_ERROR_NOMEMORY) { pcre2_code_free(code); pk_free(c); return PK_ENOMEM; }
    c->jit = jrc == 0;
    uint32_t cap = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &cap);
    if (rs->md && pcre2_get_ovector_count(rs->md) < cap + 1) {
        pcre2_match_data *md = pcre2_match_data_create(cap + 1, rs->gctx);
        if (!md) { pcre2_code_free(code); pk_free(c); return PK_ENOMEM; }
        pcre2_match_data_free(rs->md);
        rs->md = md;
    }
    rs->combined[k] = c;
    return PK_OK;
}

pk_status rules_finish(ruleset *rs, pk_msg *msg)
{
    /* stable counting sort by kind, so that rules of one kind keep their file order */
    rule *sorted = pk_reallocarray(NULL, rs->n ? rs->n : 1, sizeof *sorted);
    if (!sorted) { msg_set(msg, "rules: out of memory"); return PK_ENOMEM; }
    uint32_t count[RK_COUNT] = {0};
    for (size_t i = 0; i < rs->n; i++) count[rs->rules[i].kind]++;
    uint32_t pos = 0;
    for (int k = 0; k < RK_COUNT; k++) { rs->kind_start[k] = pos; pos += count[k]; }
    rs->kind_start[RK_COUNT] = pos;
    uint32_t fill[RK_COUNT];
    memcpy(fill, rs->kind_start, sizeof fill);
    uint32_t *newpos = pk_calloc(rs->n ? rs->n : 1, sizeof *newpos);
    if (!newpos) { pk_free(sorted); msg_set(msg, "rules: out of memory"); return PK_ENOMEM; }
    for (size_t i = 0; i < rs->n; i++) {
        newpos[i] = fill[rs->rules[i].kind];
        sorted[fill[rs->rules[i].kind]++] = rs->rules[i];
    }
    if (rs->n) memcpy(rs->rules, sorted, rs->n * sizeof *sorted);
    pk_free(sorted);
    uint32_t maxcap = 1;
    for (size_t i = 0; i < rs->n; i++) {
        uint32_t c = 0;
        pcre2_pattern_info(rs->rules[i].code, PCRE2_INFO_CAPTURECOUNT, &c);
        if (c + 1 > maxcap) maxcap = c + 1;
    }
    if (rs->md) pcre2_match_data_free(rs->md);
    if (!rs->gctx && ensure_contexts(rs)) { pk_free(newpos); msg_set(msg, "rules: out of memory"); return PK_ENOMEM; }
    rs->md = pcre2_match_data_create(maxcap, rs->gctx);
    if (!rs->md) { pk_free(newpos); msg_set(msg, "rules: out of memory"); return PK_ENOMEM; }
    if (!rs->jstack) {
        rs->jstack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, rs->gctx);
        if (rs->jstack) pcre2_jit_stack_assign(rs->mctx, NULL, rs->jstack);
        if (rs->jstack) pcre2_jit_stack_assign(rs->mctx_lim, NULL, rs->jstack);
    }
    /* per kind: the union of the rules' first bytes and leads, to turn a subject away at once */
    for (int k = 0; k < RK_COUNT; k++) {
        memset(rs->kind_first[k], 0, 32);
        memset(rs->kind_lead2[k], 0, sizeof rs->kind_lead2[k]);
        memset(rs->kind_lead3[k], 0, sizeof rs->kind_lead3[k]);
        memset(rs->kind_lead4[k], 0, sizeof rs->kind_lead4[k]);
        rs->kind_has_first[k] = 1;
        rs->kind_has_lead[k] = kind_anchor[k] != 0;
        for (uint32_t i = rs->kind_start[k]; i < rs->kind_start[k + 1]; i++) {
            if (!rs->rules[i].has_first) rs->kind_has_first[k] = 0;
            for (int b = 0; b < 32; b++) rs->kind_first[k][b] |= rs->rules[i].first[b];
            if (!rs->rules[i].lead_ok) rs->kind_has_lead[k] = 0;
            for (int b = 0; b < 64; b++) {
                rs->kind_lead2[k][b] |= rs->rules[i].lead2[b];
                rs->kind_lead3[k][b] |= rs->rules[i].lead3[b];
                rs->kind_lead4[k][b] |= rs->rules[i].lead4[b];
            }
        }
        if (rs->kind_start[k] == rs->kind_start[k + 1]) rs->kind_has_lead[k] = 0;
    }
    _Static_assert(RK_COUNT <= 64, "byte_kinds holds one bit per kind");
    for (int c = 0; c < 256; c++) {
        uint64_t m = 0;
        for (int k = 0; k < RK_COUNT; k++)
            if (rs->kind_start[k] != rs->kind_start[k + 1] &&
                (!rs->kind_has_first[k] || (rs->kind_first[k][c >> 3] & (1u << (c & 7)))))
                m |= 1ULL << k;
        rs->byte_kinds[c] = m;
    }
    /* per anchored kind: its rules joined into one alternation */
    for (int k = 0; k < RK_COUNT; k++) {
        pk_status cst = combine_kind(rs, (rule_kind)k);
        if (cst) { pk_free(newpos); msg_set(msg, "rules: out of memory"); return cst; }
    }
    /* the literals point at rules by index: map them through the sort */
    for (size_t i = 0; i < rs->nlits; i++) rs->lits[i].rule = newpos[rs->lits[i].rule];
    pk_status lst = build_lit_index(rs);
    if (lst) { pk_free(newpos); msg_set(msg, "rules: out of memory"); return lst; }
    pk_free(newpos);
    return PK_OK;
}

pk_status rules_load(ruleset *rs, const char *path, pk_msg *msg)
{
    memset(rs, 0, sizeof *rs);
    msg_clear(msg);
    pk_status st = path ? load_path(rs, path, msg)
                        : rules_load_text(rs, "rules/sv.rules (built-in)", rules_sv_text, rules_sv_len, msg);
    if (st == PK_OK) st = rules_finish(rs, msg);
    if (st) rules_free(rs);
    return st;
}

void rules_free(ruleset *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        pcre2_code_free(rs->rules[i].code);
        pk_free(rs->rules[i].name);
        pk_free(rs->rules[i].pattern);
    }
    for (int k = 0; k < RK_COUNT; k++) {
        if (!rs->combined[k]) continue;
        pcre2_code_free(rs->combined[k]->code);
        pk_free(rs->combined[k]);
    }
    for (size_t i = 0; i < rs->nlits; i++) pk_free(rs->lits[i].s);
    pk_free(rs->lits);
    pk_free(rs->lit_slots);
    pk_free(rs->lit_list);
    if (rs->jstack) pcre2_jit_stack_free(rs->jstack);
    pk_free(rs->rules);
    for (size_t i = 0; i < rs->nfiles; i++) pk_free(rs->files[i]);
    pk_free(rs->files);
    if (rs->md) pcre2_match_data_free(rs->md);
    if (rs->mctx) pcre2_match_context_free(rs->mctx);
    if (rs->mctx_lim) pcre2_match_context_free(rs->mctx_lim);
    if (rs->cctx) pcre2_compile_context_free(rs->cctx);
    if (rs->gctx) pcre2_general_context_free(rs->gctx);
    memset(rs, 0, sizeof *rs);
}

#ifdef PK_RULE_PROFILE
#include <stdio.h>
#include <x86intrin.h>
static unsigned long long prof_t[4096];
static unsigned long prof_n[4096], prof_hit[4096];
static const char *prof_name[4096];
static void prof_dump(void) __attribute__((destructor));
static void prof_dump(void)
{
    for (int i = 0; i < 4096; i++)
        if (prof_n[i]) fprintf(stderr, "%12llu kcyc %10lu calls %8lu hits  %s\n", prof_t[i] / 1000, prof_n[i], prof_hit[i], prof_name[i]);
}
#endif

int rules_match(ruleset *rs, const rule *r, const char *subj, size_t len, size_t start, uint32_t opts)
{
    if (len - start < r->minlen || start > len) return 0;
    if (r->has_first) {
        if (start >= len) return 0;
        uint8_t c = (uint8_t)subj[start];
        if (!(r->first[c >> 3] & (1u << (c & 7)))) return 0;
    }
    if (r->req >= 0 && len - start <= 512 && !memchr(subj + start, r->req, len - start)) return 0;
    if (r->endc >= 0 && (len == start || (uint8_t)subj[len - 1] != r->endc)) return 0;
#ifdef PK_RULE_PROFILE
    unsigned long long t0 = __rdtsc();
#endif
    int rc = r->jit && !opts ? pcre2_jit_match(r->code, (PCRE2_SPTR)subj, len, start, 0, rs->md, rs->mctx)
                             : pcre2_match(r->code, (PCRE2_SPTR)subj, len, start, opts | PCRE2_NO_UTF_CHECK, rs->md, rs->mctx);
#ifdef PK_RULE_PROFILE
    size_t idx = (size_t)(r - rs->rules) & 4095;
    prof_t[idx] += __rdtsc() - t0;
    prof_n[idx]++;
    prof_hit[idx] += rc > 0;
    if (!prof_name[idx]) prof_name[idx] = strdup(r->name);
#endif
    if (rc > 0) return 1;
    if (rc != PCRE2_ERROR_NOMATCH && rc != PCRE2_ERROR_PARTIAL) rs->limit_hits++;
    return 0;
}

int rules_match_upto(ruleset *rs, const rule *r, const char *subj, size_t len, size_t start, size_t limit)
{
    if (start > len || len - start < r->minlen || start > limit) return 0;
    pcre2_set_offset_limit(rs->mctx_lim, limit);
#ifdef PK_RULE_PROFILE
    unsigned long long t0 = __rdtsc();
#endif
    int rc = r->jit ? pcre2_jit_match(r->code, (PCRE2_SPTR)subj, len, start, 0, rs->md, rs->mctx_lim)
                    : pcre2_match(r->code, (PCRE2_SPTR)subj, len, start, PCRE2_NO_UTF_CHECK, rs->md, rs->mctx_lim);
#ifdef PK_RULE_PROFILE
    size_t idx = (size_t)(r - rs->rules) & 4095;
    prof_t[idx] += __rdtsc() - t0;
    prof_n[idx]++;
    prof_hit[idx] += rc > 0;
    if (!prof_name[idx]) prof_name[idx] = strdup(r->name);
#endif
    if (rc > 0) return 1;
    if (rc != PCRE2_ERROR_NOMATCH && rc != PCRE2_ERROR_PARTIAL) rs->limit_hits++;
    return 0;
}

int rules_group(const ruleset *rs, const rule *r, rule_group g, size_t *s, size_t *e)
{
    int num = r->grp[g];
    if (num < 0) return 0;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rs->md);
    uint32_t pairs = pcre2_get_ovector_count(rs->md);
    if ((uint32_t)num < pairs && ov[2 * num] != PCRE2_UNSET) {
        *s = ov[2 * num];
        *e = ov[2 * num + 1];
        return 1;
    }
    /* a duplicated name: the first of its groups that is set */
    PCRE2_SPTR first, last;
    int esz = pcre2_substring_nametable_scan(r->code, (PCRE2_SPTR)group_names[g], &first, &last);
    if (esz <= 0) return 0;
    for (PCRE2_SPTR p = first; p <= last; p += esz) {
        int n2 = (p[0] << 8) | p[1];
        if ((uint32_t)n2 < pairs && ov[2 * n2] != PCRE2_UNSET) {
            *s = ov[2 * n2];
            *e = ov[2 * n2 + 1];
            return 1;
        }
    }
    return 0;
}

void rules_span(const ruleset *rs, size_t *s, size_t *e)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rs->md);
    *s = ov[0];
    *e = ov[1];
}

void rules_lead_union(const ruleset *rs, const rule_kind *kinds, size_t n, rules_lead_set *out)
{
    memset(out, 0, sizeof *out);
    out->has_first = out->has_lead = 1;
    for (size_t i = 0; i < n; i++) {
        rule_kind k = kinds[i];
        if (rs->kind_start[k] == rs->kind_start[k + 1]) continue;
        if (!rs->kind_has_first[k]) out->has_first = 0;
        if (!rs->kind_has_lead[k]) out->has_lead = 0;
        for (int b = 0; b < 32; b++) out->first[b] |= rs->kind_first[k][b];
        for (int b = 0; b < 64; b++) {
            out->lead2[b] |= rs->kind_lead2[k][b];
            out->lead3[b] |= rs->kind_lead3[k][b];
            out->lead4[b] |= rs->kind_lead4[k][b];
        }
    }
}


const rule *rules_first_run(ruleset *rs, rule_kind k, const char *subj, size_t len, int whole)
{
    size_t n;
    const rule *r = rules_of(rs, k, &n);
    if (rs->combined[k] && !whole) return rules_match(rs, rs->combined[k], subj, len, 0, 0) ? rs->combined[k] : NULL;
    for (size_t i = 0; i < n; i++) {
        if (!rules_match(rs, &r[i], subj, len, 0, 0)) continue;
        if (whole) {
            size_t s, e;
            rules_span(rs, &s, &e);
            if (e != len) continue;
        }
        return &r[i];
    }
    return NULL;
}
