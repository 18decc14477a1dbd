/* extract_struct.c — the structure of a document: lines, page headers, labels, the header, agenda
 * items, units (paragraphs, list items, rows, headings) and labelled blocks (Beslut, Förslag ...). */
#include <stdlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "date.h"
#include "extract.h"

/* ---- small text helpers ---- */

static int letter_at(const char *p, const char *end) { return text_upper_at(p, end) || text_lower_at(p, end); }

static const rule *match_span(pk_extractor *x, rule_kind k, uint32_t s, uint32_t e)
{
    if (e <= s) return NULL;
    return rules_first(&x->rs, k, x->text + s, e - s, 0);
}

/* ---- lines ---- */

/* Newlines and tabs of the text, sixty-four bytes at a time as bit masks: the lines are read off
 * the masks (one unpredictable branch per block rather than one per line). */
typedef struct line_cursor {
    const char *t;
    size_t n, base;        /* the block at base (a multiple of 64) */
    uint64_t nl, tab;      /* its newlines and tabs; bits past n are 0 */
} line_cursor;

static void lc_load(line_cursor *c, size_t base)
{
    const char *t = c->t;
    size_t n = c->n;
    uint64_t nl = 0, tab = 0;
    c->base = base;
#if defined(__SSE2__)
    if (n - base >= 64) {
        const __m128i vn = _mm_set1_epi8('\n'), vt = _mm_set1_epi8('\t');
        for (int k = 0; k < 4; k++) {
            __m128i v = _mm_loadu_si128((const __m128i *)(t + base + 16 * k));
            nl |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vn)) << (16 * k);
            tab |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vt)) << (16 * k);
        }
        c->nl = nl;
        c->tab = tab;
        return;
    }
#endif
    size_t end = n - base >= 64 ? base + 64 : n;
    for (size_t i = base; i < end; i++) {
        nl |= (uint64_t)(t[i] == '\n') << (i - base);
        tab |= (uint64_t)(t[i] == '\t') << (i - base);
    }
    c->nl = nl;
    c->tab = tab;
}

/* The end of the line that starts at i (its '\n', or n); *tab is set when the line holds a tab. */
static size_t lc_line_end(line_cursor *c, size_t i, int *tab)
{
    if (i >= c->base + 64) lc_load(c, i & ~(size_t)63);
    uint64_t from = ~0ULL << (i - c->base);
    uint64_t m = c->nl & from, tb = c->tab & from;
    int any = 0;   /* a tab in an earlier block of the line */
    while (!m) {
        any |= tb != 0;
        if (c->base + 64 >= c->n) { *tab = any; return c->n; }
        lc_load(c, c->base + 64);
        m = c->nl;
        tb = c->tab;
    }
    unsigned b = (unsigned)__builtin_ctzll(m);
    *tab = any || (tb & ((1ULL << b) - 1)) != 0;
    return c->base + b;
}

static void split_lines(pk_extractor *x)
{
    const char *t = x->text;
    size_t n = x->len, i = 0;
    line_cursor cur = {t, n, 0, 0, 0};
    if (n) lc_load(&cur, 0);
    while (i < n) {
        int tab;
        size_t e = lc_line_end(&cur, i, &tab);
        line *L = PUSH(x, x->lines);
        if (!L) return;
        L->s = (uint32_t)i;
        L->e = (uint32_t)e;
        while (L->e > L->s && (t[L->e - 1] == '\r' || t[L->e - 1] == ' ' || t[L->e - 1] == '\f' || t[L->e - 1] == '\v')) L->e--;
        size_t k = i;
        while (k < L->e && (t[k] == '\f' || t[k] == '\v')) k++;   /* page breaks from PDF text */
        if (k > i) L->s = (uint32_t)k;
        while (k < L->e && t[k] == ' ') k++;
        L->cs = (uint32_t)k;
        if (k == L->e) {
            L->type = LT_BLANK;
        } else if (t[k] == '#' && k == i) {
            size_t h = k;
            while (h < L->e && t[h] == '#') h++;
            if (h - k <= 6 && h < L->e && t[h] == ' ') {
                L->type = LT_HEADING;
                L->level = (uint8_t)(h - k);
                while (h < L->e && t[h] == ' ') h++;
                L->cs = (uint32_t)h;
            } else {
                L->type = LT_TEXT;
            }
        } else if ((t[k] == '-' || t[k] == '*') && k + 1 < L->e && t[k + 1] == ' ') {
            L->type = LT_LIST;
            L->level = (uint8_t)((k - i) / 2 > 20 ? 20 : (k - i) / 2);
            L->cs = (uint32_t)(k + 2);
        } else if (k + 3 < L->e && (unsigned char)t[k] == 0xE2 && (unsigned char)t[k + 1] == 0x80 &&
                   (unsigned char)t[k + 2] == 0xA2 && t[k + 3] == ' ') {
            L->type = LT_LIST;   /* "• " bullets from PDF text */
            L->level = 0;
            L->cs = (uint32_t)(k + 4);
        } else if (tab) {
            L->type = LT_ROW;
            L->cs = (uint32_t)i;   /* an empty first cell matters in rows */
        } else {
            L->type = LT_TEXT;
        }
        while (L->cs < L->e && t[L->cs] == ' ') L->cs++;
        if (L->type != LT_BLANK && L->cs >= L->e && L->type != LT_ROW) L->type = LT_BLANK;
        i = e + 1;
    }
}

/* ---- page headers and footers ---- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void mark_skips(pk_extractor *x)
{
    const char *t = x->text;
    for (size_t i = 0; i < x->lines.n; i++) {
        line *L = &x->lines.v[i];
        if (L->type != LT_TEXT && L->type != LT_ROW) continue;
        if (L->e - L->cs > 200) continue;
        if (match_span(x, RK_SKIP, L->cs, L->e)) L->flags |= LF_SKIP;
    }
    /* a short line that repeats on every page and names a body is a page header */
    x->scratch.n = 0;
    size_t last_skip = SIZE_MAX, next_skip = 0;   /* the skip lines nearest before and after i */
    for (size_t i = 0; i < x->lines.n; i++) {
        line *L = &x->lines.v[i];
        if (L->flags & LF_SKIP) last_skip = i;
        if (L->type != LT_TEXT || (L->flags & LF_SKIP) || L->e - L->cs > 60 || L->e - L->cs < 3) continue;
        /* only lines near a page number or other page-header line (five lines either way) can be one */
        if (next_skip <= i) next_skip = i + 1;
        while (next_skip < x->lines.n && next_skip <= i + 5 && !(x->lines.v[next_skip].flags & LF_SKIP)) next_skip++;
        int near = (last_skip != SIZE_MAX && i - last_skip <= 5) ||
                   (next_skip < x->lines.n && next_skip <= i + 5 && (x->lines.v[next_skip].flags & LF_SKIP));
        if (!near || !match_span(x, RK_BODY_WORD, L->cs, L->e)) continue;
        uint64_t *h = PUSH(x, x->scratch);
        if (!h) return;
        /* hash in the high bits, line index in the low 24 */
        *h = (util_hash64(t + L->cs, L->e - L->cs, 7) & ~0xFFFFFFULL) | (i & 0xFFFFFF);
    }
    if (x->scratch.n >= 2 && x->lines.n < 0xFFFFFF) {
        qsort(x->scratch.v, x->scratch.n, sizeof *x->scratch.v, cmp_u64);
        /* the most repeated such line (a document has one body); every candidate already stands
         * next to a page-header line, so twice is enough */
        size_t best_a = 0, best_n = 0;
        for (size_t a = 0; a < x->scratch.n;) {
            size_t b = a + 1;
            while (b < x->scratch.n && (x->scratch.v[b] >> 24) == (x->scratch.v[a] >> 24)) b++;
            if (b - a >= 2 && b - a > best_n) { best_a = a; best_n = b - a; }
            a = b;
        }
        if (best_n) {
            line *L = &x->lines.v[x->scratch.v[best_a] & 0xFFFFFF];
            x->page_body = pool_put(x, t + L->cs, L->e - L->cs);
            for (size_t k = best_a; k < best_a + best_n; k++) x->lines.v[x->scratch.v[k] & 0xFFFFFF].flags |= LF_SKIP;
        }
    }
    /* blank lines around page headers belong to them: a paragraph broken by a page goes on */
    for (size_t i = 0; i < x->lines.n;) {
        if (x->lines.v[i].type != LT_BLANK && !(x->lines.v[i].flags & LF_SKIP)) { i++; continue; }
        size_t j = i;
        int any = 0;
        while (j < x->lines.n && (x->lines.v[j].type == LT_BLANK || (x->lines.v[j].flags & LF_SKIP))) {
            any |= (x->lines.v[j].flags & LF_SKIP) != 0;
            j++;
        }
        if (any)
            for (size_t k = i; k < j; k++) x->lines.v[k].flags |= LF_SKIP;
        i = j;
    }
}

/* ---- labels ---- */

static const struct { rule_kind kind; uint8_t label; } label_kinds[] = {
    {RK_BLOCK_DECISION, LB_DECISION}, {RK_BLOCK_PROPOSAL, LB_PROPOSAL}, {RK_BLOCK_OTHER, LB_OTHER},
    {RK_PRESENT, LB_PRESENT}, {RK_ABSENT, LB_ABSENT}, {RK_SIG_SECTION, LB_SIG_SECTION},
    {RK_SIG_RECORDED, LB_SIG_RECORDED}, {RK_SIG_APPROVED, LB_SIG_APPROVED},
};

/* Labels are short: "Protokollsutdrag skickas till", "Närvarande övriga medlemmar:". */
#define LABEL_MAX 64

/* The label subject of a line: a heading's text, a short text line, a row's first cell. */
static int label_subject(const pk_extractor *x, const line *L, uint32_t *s, uint32_t *e)
{
    const char *t = x->text;
    if (L->flags & LF_SKIP) return 0;
    *s = L->cs;
    if (L->type == LT_HEADING || L->type == LT_TEXT) {
        *e = L->e;
    } else if (L->type == LT_ROW) {
        const char *tab = memchr(t + L->cs, '\t', L->e - L->cs);
        *e = tab ? (uint32_t)(tab - t) : L->e;
    } else {
        return 0;
    }
    *e = extract_trim(t, s, *e);
    if (*e <= *s || !letter_at(t + *s, t + *e)) return 0;
    if (*e - *s > LABEL_MAX) {
        /* a long line is a label only as "Label: its content" */
        const char *c = memchr(t + *s, ':', LABEL_MAX);
        if (!c) return 0;
        *e = (uint32_t)(c - t) + 1;
    }
    return 1;
}

static void mark_labels(pk_extractor *x)
{
    const char *t = x->text;
    for (size_t i = 0; i < x->lines.n; i++) {
        line *L = &x->lines.v[i];
        uint32_t s, e;
        if (!label_subject(x, L, &s, &e)) continue;
        int maybe = rules_lead_may(&x->label_leads, t + s, e - s);
        for (size_t k = 0; maybe && k < sizeof label_kinds / sizeof label_kinds[0]; k++) {
            /* signature labels are cells of rows and lines, not headings ("== Ordförande" is a report) */
            if (label_kinds[k].label >= LB_SIG_SECTION && L->type == LT_HEADING) continue;
            const rule *r = rules_first(&x->rs, label_kinds[k].kind, t + s, e - s, 0);
            if (!r) continue;
            size_t ms, me, rs_, re_;
            rules_span(&x->rs, &ms, &me);
            int has_rest = rules_group(&x->rs, r, G_REST, &rs_, &re_) && re_ > rs_;
            /* a label must be all of its subject, or leave the rest to a 'rest' group; a heading
             * with more words ("Beslut om ansvarsfrihet") is a title, not a label */
            if (s + me != e && !has_rest) continue;
            if (has_rest && L->type == LT_HEADING) continue;
            L->label = label_kinds[k].label;
            if (has_rest) L->rest = s + (uint32_t)rs_;
            else if (L->type == LT_ROW && e < L->e) L->rest = e + 1;   /* the row's other cells */
            else if (L->type == LT_TEXT && e < L->e) {                  /* "Label:" cut from a long line */
                uint32_t q = e;
                while (q < L->e && (x->text[q] == ' ' || x->text[q] == '\t')) q++;
                if (q < L->e) L->rest = q;
            }
            break;
        }
        /* "attSatser:", "deltagere:" — a template's name for what follows, no content of its own */
        if (!L->label && L->type == LT_TEXT && L->e - L->cs <= LABEL_MAX &&
            rules_first(&x->rs, RK_TEMPLATE, t + L->cs, L->e - L->cs, 0))
            L->flags |= LF_SKIP;
    }
}

/* The lines of a people list under the label at li: [li+1 .. end) or, for rows, [li .. end). */
static void people_extent(pk_extractor *x, uint32_t li, uint32_t *l0, uint32_t *l1)
{
    const line *v = x->lines.v;
    size_t n = x->lines.n;
    const line *L = &v[li];
    uint32_t j = li + 1;
    if (L->type == LT_HEADING) {
        while (j < n && v[j].type != LT_HEADING) j++;
        *l0 = li + 1;
        *l1 = j;
        return;
    }
    if (L->type == LT_ROW && L->rest) {
        /* "Deltagare<TAB>A<TAB>Org" then rows whose first cell is empty */
        while (j < n && v[j].type == LT_ROW && x->text[v[j].s] == '\t' && !v[j].label) j++;
        *l0 = li;
        *l1 = j;
        return;
    }
    int content = L->rest != 0;
    *l0 = L->rest ? li : li + 1;
    while (j < n) {
        const line *M = &v[j];
        if (M->type == LT_BLANK || (M->flags & LF_SKIP)) {
            if (content) break;
            j++;
            continue;
        }
        /* a role in a list ("Sekreterare<TAB>Anna") is no signature label there */
        if ((M->label && M->label < LB_SIG_SECTION) || M->type == LT_HEADING) break;
        content = 1;
        j++;
    }
    *l1 = j;
}

static void mark_people_blocks(pk_extractor *x)
{
    for (uint32_t i = 0; i < x->lines.n; i++) {
        line *L = &x->lines.v[i];
        if (L->label != LB_PRESENT && L->label != LB_ABSENT) continue;
        uint32_t l0, l1;
        people_extent(x, i, &l0, &l1);
        people_block *b = PUSH(x, x->pblocks);
        if (!b) return;
        b->label_line = i;
        b->l0 = l0;
        b->l1 = l1;
        b->present = L->label == LB_PRESENT;
        b->role = str_null();
        uint32_t s, e;
        if (label_subject(x, L, &s, &e)) {
            const rule *r = rules_first(&x->rs, L->label == LB_PRESENT ? RK_PRESENT : RK_ABSENT, x->text + s, e - s, 0);
            size_t rs_, re_;
            if (r && rules_group(&x->rs, r, G_ROLE, &rs_, &re_) && re_ > rs_)
                b->role = pool_put(x, x->text + s + rs_, re_ - rs_);
        }
        L->flags |= LF_PEOPLE;
        for (uint32_t k = l0; k < l1; k++) x->lines.v[k].flags |= LF_PEOPLE;
    }
}

/* ---- agenda items ---- */

typedef struct cand { uint32_t line; str number, title; uint32_t ts, te; int top, sub; } cand;

/* Parse "12", "2.3" into top and sub numbers (sub -1 when none). */
static int parse_number(const char *p, size_t n, int *top, int *sub)
{
    size_t i = 0;
    int a = 0, b = -1;
    while (i < n && !is_ascii_digit(p[i])) i++;
    if (i == n) return 0;
    while (i < n && is_ascii_digit(p[i]) && a < 100000) a = a * 10 + (p[i++] - '0');
    if (i + 1 < n && p[i] == '.' && is_ascii_digit(p[i + 1])) {
        b = 0;
        i++;
        while (i < n && is_ascii_digit(p[i]) && b < 100000) b = b * 10 + (p[i++] - '0');
    }
    *top = a;
    *sub = b;
    return 1;
}

/* Try an item rule on [s, e): fills number/title spans (relative to the text). */
static int item_rule(pk_extractor *x, rule_kind k, uint32_t s, uint32_t e, uint32_t *ns, uint32_t *ne,
                     uint32_t *ts, uint32_t *te)
{
    const rule *r = match_span(x, k, s, e);
    if (!r) return 0;
    size_t a, b;
    *ns = *ne = *ts = *te = 0;
    if (rules_group(&x->rs, r, G_NUMBER, &a, &b)) { *ns = s + (uint32_t)a; *ne = s + (uint32_t)b; }
    if (rules_group(&x->rs, r, G_TITLE, &a, &b)) { *ts = s + (uint32_t)a; *te = s + (uint32_t)b; }
    *te = extract_trim(x->text, ts, *te);
    return 1;
}

static item *add_item(pk_extractor *x, uint32_t li, uint32_t ns, uint32_t ne, uint32_t ts, uint32_t te, int level)
{
    item *it = PUSH(x, x->items);
    if (!it) return NULL;
    it->line = li;
    it->level = level;
    it->number = ne > ns ? pool_put(x, x->text + ns, ne - ns) : str_null();
    it->title = te > ts ? pool_clean(x, ts, te) : str_null();
    it->s = x->lines.v[li].cs;
    it->e = te > ts ? te : x->lines.v[li].e;
    x->lines.v[li].flags |= LF_ITEM;
    return it;
}

/* A title that runs over several lines after "§ 12 Ärendenummer ...": pdftotext wraps long titles.
 * The next line continues the title when it starts in lower case, when this line ends so that
 * the title must go on (title.continues), or when this line was long enough to have been wrapped. */
static void section_title(pk_extractor *x, uint32_t li, uint32_t *ts, uint32_t *te)
{
    const line *v = x->lines.v;
    size_t n = x->lines.n;
    uint32_t j = li + 1;
    while (j < n && (v[j].type == LT_BLANK || (v[j].flags & LF_SKIP))) j++;
    if (j >= n || v[j].type != LT_TEXT || v[j].label || (v[j].flags & LF_ITEM)) return;
    *ts = v[j].cs;
    *te = v[j].e;
    x->lines.v[j].flags |= LF_ITEM;
    for (int k = 1; k < 5; k++) {
        uint32_t c = j;
        uint32_t nx = j + 1;
        if (nx >= n || v[nx].type != LT_TEXT || v[nx].label || (v[nx].flags & (LF_ITEM | LF_SKIP))) break;
        const char *t = x->text;
        int go = text_lower_at(t + v[nx].cs, t + v[nx].e);
        if (!go && match_span(x, RK_TITLE_CONT, v[c].cs, v[c].e)) go = 1;
        if (!go && v[c].e - v[c].cs >= 50) go = 1;
        if (!go) break;
        /* a wrapped title never ends in a full stop */
        if (t[v[c].e - 1] == '.') break;
        j = nx;
        *te = v[j].e;
        x->lines.v[j].flags |= LF_ITEM;
    }
}

/* Drop trailing times, dates and weekdays from a heading title ("Nästa möte Onsdag 12:15 2021-11-24"). */
static uint32_t trim_trailer(pk_extractor *x, uint32_t s, uint32_t e)
{
    /* trailers are times and dates: a title without a digit has none */
    if (!text_has_digit(x->text + s, e - s)) return e;
    size_t n;
    const rule *r = rules_of(&x->rs, RK_TITLE_TRAILER, &n);
    for (size_t i = 0; i < n; i++) {
        if (!rules_match(&x->rs, &r[i], x->text + s, e - s, 0, 0)) continue;
        size_t ms, me;
        rules_span(&x->rs, &ms, &me);
        if (ms > 0 && s + me == e) e = s + (uint32_t)ms;
    }
    return extract_trim(x->text, &s, e);
}

/* Is the heading at li only a date ("## 23 Augusti 2017")? */
static int date_only(pk_extractor *x, const line *L)
{
    date_match dm;
    if (!text_has_digit(x->text + L->cs, L->e - L->cs) || !date_find(x->text + L->cs, L->e - L->cs, 0, DATE_F_NUMERIC, &dm)) return 0;
    uint32_t s = L->cs, e = L->e;
    /* allow a weekday before it and nothing after */
    return dm.end == e - s && dm.start <= 16;
}

static uint32_t next_content(const pk_extractor *x, uint32_t i)
{
    while (i < x->lines.n && (x->lines.v[i].type == LT_BLANK || (x->lines.v[i].flags & LF_SKIP))) i++;
    return i;
}

static void find_items(pk_extractor *x)
{
    line *v = x->lines.v;
    size_t n = x->lines.n;
    const char *t = x->text;

    /* § items: the longest run of growing numbers, so that a reference such as "§ 541." wrapped to
     * the start of a line is no item.  Candidates go to scratch as (number << 32 | line). */
    x->scratch.n = 0;
    for (uint32_t i = 0; i < n; i++) {
        line *L = &v[i];
        if (L->type != LT_TEXT || (L->flags & (LF_SKIP | LF_PEOPLE)) || L->label) continue;
        uint32_t ns, ne, ts, te;
        if (!item_rule(x, RK_ITEM_SECTION, L->cs, L->e, &ns, &ne, &ts, &te)) continue;
        int top, sub;
        if (!parse_number(t + ns, ne - ns, &top, &sub)) continue;
        uint64_t *c = PUSH(x, x->scratch);
        if (!c) return;
        *c = (uint64_t)(uint32_t)top << 32 | i;
    }
    size_t nc = x->scratch.n;
    if (nc) {
        /* longest strictly increasing subsequence (patience sorting with back links) */
        uint32_t *tail = pk_calloc(nc, sizeof *tail), *prev = pk_calloc(nc, sizeof *prev);
        if (!tail || !prev) { pk_free(tail); pk_free(prev); x->oom = 1; return; }
        size_t len = 0;
        for (size_t k = 0; k < nc; k++) {
            uint32_t num = (uint32_t)(x->scratch.v[k] >> 32);
            size_t lo = 0, hi = len;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if ((uint32_t)(x->scratch.v[tail[mid]] >> 32) < num) lo = mid + 1; else hi = mid;
            }
            prev[k] = lo ? tail[lo - 1] : UINT32_MAX;
            tail[lo] = (uint32_t)k;
            if (lo == len) len++;
        }
        /* mark the chosen candidates, then add them in order */
        for (uint32_t k = tail[len - 1]; k != UINT32_MAX; k = prev[k]) x->scratch.v[k] |= 1ULL << 31;
        pk_free(tail);
        pk_free(prev);
        for (size_t k = 0; k < nc; k++) {
            if (!(x->scratch.v[k] & (1ULL << 31))) continue;
            uint32_t i = (uint32_t)(x->scratch.v[k] & 0x7FFFFFFF);
            line *L = &v[i];
            uint32_t ns, ne, ts, te;
            item_rule(x, RK_ITEM_SECTION, L->cs, L->e, &ns, &ne, &ts, &te);
            if (te <= ts) section_title(x, i, &ts, &te);
            if (!add_item(x, i, ns, ne, ts, te, 1)) return;
        }
    }
    if (x->items.n) { x->header_end = x->items.v[0].line; return; }

    /* numbered items "1. Välkommen": the longest run 1, 2, 3 ... (with 2.1, 2.2 inside) */
    size_t first_cand = x->items.n;
    int want = 1, cur = 0, subs = 0;
    for (uint32_t i = 0; i < n; i++) {
        line *L = &v[i];
        if (L->type != LT_TEXT || (L->flags & (LF_SKIP | LF_PEOPLE)) || L->label || L->e - L->cs > 200) continue;
        uint32_t ns, ne, ts, te;
        if (!item_rule(x, RK_ITEM_NUMBERED, L->cs, L->e, &ns, &ne, &ts, &te) || te <= ts) continue;
        int top, sub;
        if (!parse_number(t + ns, ne - ns, &top, &sub)) continue;
        if (sub < 0 && top == want) { cur = top; want = top + 1; subs = 0; }
        else if (sub > 0 && top == cur && sub == subs + 1) subs = sub;
        else if (sub < 0 && top == 1 && x->items.n - first_cand == 1) { /* a lone "1." earlier was noise */
            x->items.n = first_cand; cur = 1; want = 2; subs = 0;
        } else continue;
        add_item(x, i, ns, ne, ts, te, sub < 0 ? 1 : 2);
    }
    if (x->items.n - first_cand >= 2) { x->header_end = x->items.v[first_cand].line; return; }
    for (size_t k = first_cand; k < x->items.n; k++) x->lines.v[x->items.v[k].line].flags &= ~LF_ITEM;
    x->items.n = first_cand;

    /* heading items.  First the header: the title heading, date headings, people lists, and
     * (before any people list) empty headings such as the body's name. */
    uint32_t i = next_content(x, 0);
    int min_level = 7, n_at_min = 0;
    for (uint32_t k = 0; k < n; k++)
        if (v[k].type == LT_HEADING && !(v[k].flags & LF_SKIP)) {
            if (v[k].level < min_level) { min_level = v[k].level; n_at_min = 0; }
            if (v[k].level == min_level) n_at_min++;
        }
    if (i < n && v[i].type == LT_HEADING && !v[i].label && v[i].level == min_level) {
        uint32_t nx = next_content(x, i + 1);
        if (n_at_min == 1 || nx >= n || v[nx].type == LT_HEADING) { v[i].flags |= LF_TITLE; i = nx; }
    }
    int seen_people = 0;
    uint32_t hend = (uint32_t)n;
    for (; i < n; i++) {
        line *L = &v[i];
        if (L->type == LT_BLANK || (L->flags & LF_SKIP)) continue;
        if (L->flags & LF_PEOPLE) { seen_people = 1; continue; }
        if (L->type != LT_HEADING) continue;
        if (L->label == LB_PRESENT || L->label == LB_ABSENT) { seen_people = 1; continue; }
        if (date_only(x, L)) { L->flags |= LF_META; continue; }
        uint32_t nx = next_content(x, i + 1);
        if (!seen_people && (nx >= n || v[nx].type == LT_HEADING) && L->e - L->cs <= 60 &&
            !match_span(x, RK_OUTLINE_HEADING, L->cs, L->e)) {
            L->flags |= LF_META;
            continue;
        }
        hend = i;
        break;
    }
    x->header_end = hend;
    int base = 7;
    for (uint32_t k = hend; k < n; k++)
        if (v[k].type == LT_HEADING && !v[k].label && !(v[k].flags & LF_SKIP) && v[k].level < base) base = v[k].level;
    for (uint32_t k = hend; k < n; k++) {
        line *L = &v[k];
        if (L->type != LT_HEADING || L->label || (L->flags & LF_SKIP) || L->level > base + 1) continue;
        if (match_span(x, RK_HEADING_SKIP, L->cs, L->e)) continue;
        uint32_t ns = 0, ne = 0, ts = L->cs, te = L->e;
        uint32_t a, b, c, d;
        if (item_rule(x, RK_ITEM_SECTION, L->cs, L->e, &a, &b, &c, &d) ||
            item_rule(x, RK_ITEM_NUMBERED, L->cs, L->e, &a, &b, &c, &d)) {
            if (d > c) { ns = a; ne = b; ts = c; te = d; }
        }
        te = trim_trailer(x, ts, te);
        if (te <= ts) { ts = L->cs; te = L->e; }
        if (!add_item(x, k, ns, ne, ts, te, L->level - base + 1)) return;
        /* an outline heading ("Mötets öppnande") lists the meeting's topics as its top-level bullets */
        if (match_span(x, RK_OUTLINE_HEADING, L->cs, L->e)) {
            for (uint32_t j = k + 1; j < n && v[j].type != LT_HEADING; j++) {
                if (v[j].type != LT_LIST || v[j].level != 0 || (v[j].flags & LF_SKIP)) continue;
                uint32_t s2 = v[j].cs, e2 = v[j].e;
                e2 = extract_trim(t, &s2, e2);
                if (e2 > s2 && !add_item(x, j, 0, 0, s2, e2, L->level - base + 2)) return;
            }
        }
    }
    if (x->items.n) x->header_end = x->items.v[0].line < hend ? x->items.v[0].line : hend;
}

/* ---- units ---- */

static void build_units(pk_extractor *x)
{
    line *v = x->lines.v;
    size_t n = x->lines.n;
    for (uint32_t i = 0; i < n;) {
        line *L = &v[i];
        if (L->type == LT_BLANK || (L->flags & LF_SKIP)) { L->unit = UINT32_MAX; i++; continue; }
        unit *u = PUSH(x, x->units);
        if (!u) return;
        uint32_t id = (uint32_t)(x->units.n - 1);
        u->s = L->cs;
        u->l0 = i;
        uint32_t j = i + 1;
        if (L->type == LT_TEXT && !L->label && !(L->flags & LF_ITEM)) {
            /* a paragraph: text lines until a blank line (page headers inside are transparent) */
            for (;;) {
                uint32_t k = j;
                while (k < n && (v[k].flags & LF_SKIP)) k++;
                if (k >= n || v[k].type != LT_TEXT || v[k].label || (v[k].flags & LF_ITEM)) break;
                /* a blank line (not part of a page header) ends the paragraph */
                int blank = 0;
                for (uint32_t m = j; m < k; m++) if (v[m].type == LT_BLANK && !(v[m].flags & LF_SKIP)) blank = 1;
                if (blank) break;
                j = k + 1;
            }
        }
        u->l1 = j;
        u->e = v[j - 1].e;
        for (uint32_t k = i; k < j; k++) v[k].unit = (v[k].flags & LF_SKIP) ? UINT32_MAX : id;
        i = j;
    }
}

/* ---- labelled blocks inside items ---- */

static int unit_ends_colon(const pk_extractor *x, const unit *u)
{
    uint32_t e = u->e;
    while (e > u->s && (x->text[e - 1] == ' ' || x->text[e - 1] == '\t')) e--;
    return e > u->s && x->text[e - 1] == ':';
}

/* The units of the block under the label at li: [u0, u1). */
static void block_units(pk_extractor *x, uint32_t li, uint32_t *u0, uint32_t *u1)
{
    const line *v = x->lines.v;
    const line *L = &v[li];
    uint32_t lu = L->unit;
    *u0 = *u1 = lu + 1;
    if (lu == UINT32_MAX) return;
    if (L->rest) *u0 = lu;   /* "Beslut: text" — the label's own unit holds the text */
    uint32_t k = lu + 1;
    int heading = L->type == LT_HEADING;
    /* "Beslut: text" is complete on its line, unless it ends with a colon */
    if (L->rest && !heading && !unit_ends_colon(x, &x->units.v[lu])) { *u1 = lu + 1; return; }
    while (k < x->units.n) {
        const unit *u = &x->units.v[k];
        const line *F = &v[u->l0];
        if (F->label || F->type == LT_HEADING || (F->flags & LF_ITEM)) break;
        if (!heading && k > lu + 1) {
            /* under a plain label: the first unit, then lists and what a colon announces */
            const unit *prev = &x->units.v[k - 1];
            if (F->type != LT_LIST && !unit_ends_colon(x, prev)) break;
        }
        if (!heading && k == lu + 1 && L->rest && F->type != LT_LIST && !unit_ends_colon(x, &x->units.v[lu])) break;
        k++;
    }
    *u1 = k;
}

static void mark_blocks(pk_extractor *x)
{
    line *v = x->lines.v;
    for (uint32_t i = x->header_end; i < x->lines.n; i++) {
        line *L = &v[i];
        if (L->label != LB_DECISION && L->label != LB_PROPOSAL && L->label != LB_OTHER) continue;
        if (L->flags & LF_PEOPLE) continue;
        uint32_t u0, u1;
        block_units(x, i, &u0, &u1);
        uint32_t flag = L->label == LB_DECISION ? LF_DECISION : L->label == LB_PROPOSAL ? LF_PROPOSAL : LF_OTHER;
        L->flags |= LF_LABEL | flag;
        for (uint32_t u = u0; u < u1; u++)
            for (uint32_t k = x->units.v[u].l0; k < x->units.v[u].l1; k++) v[k].flags |= flag;
        if (L->label != LB_PROPOSAL) continue;
        /* a proposal's att-satser: its list items, else its paragraphs */
        proposal *p = PUSH(x, x->proposals);
        if (!p) return;
        p->item = L->item;
        p->first_line = i;
        p->sat0 = (uint32_t)x->sats.n;
        int lists = 0;
        for (uint32_t u = u0; u < u1; u++) if (v[x->units.v[u].l0].type == LT_LIST) lists = 1;
        for (uint32_t u = u0; u < u1; u++) {
            const unit *U = &x->units.v[u];
            const line *F = &v[U->l0];
            if (lists && (F->type != LT_LIST || F->level != v[x->units.v[u0].l0].level)) {
                /* deeper list levels belong to the att-sats above them */
                if (lists && F->type == LT_LIST && p->nsats) x->sats.v[x->sats.n - 1].e = U->e, x->sats.v[x->sats.n - 1].line1 = U->l1;
                continue;
            }
            if (F->type == LT_ROW) {
                /* "attsats 1<TAB>attsats 2": a template's arguments on one line, one att-sats each */
                uint32_t a = U->s;
                for (uint32_t c = U->s; c <= U->e; c++) {
                    if (c < U->e && x->text[c] != '\t') continue;
                    uint32_t cs = a, ce = c;
                    ce = extract_trim(x->text, &cs, ce);
                    a = c + 1;
                    if (ce <= cs) continue;
                    sat *s = PUSH(x, x->sats);
                    if (!s) return;
                    s->s = cs;
                    s->e = ce;
                    s->line0 = U->l0;
                    s->line1 = U->l1;
                    p->nsats++;
                }
                continue;
            }
            sat *s = PUSH(x, x->sats);
            if (!s) return;
            s->s = u == L->unit ? L->rest : U->s;
            s->e = U->e;
            s->line0 = U->l0;
            s->line1 = U->l1;
            p->nsats++;
        }
    }
}

void extract_structure(pk_extractor *x, const pk_doc *doc)
{
    (void)doc;
    split_lines(x);
    if (x->oom) return;
    mark_skips(x);
    mark_labels(x);
    mark_people_blocks(x);
    if (x->oom) return;
    find_items(x);
    if (x->oom) return;
    /* which item each line belongs to, and where each item's body ends */
    for (size_t k = 0; k < x->items.n; k++) {
        uint32_t from = x->items.v[k].line;
        uint32_t to = k + 1 < x->items.n ? x->items.v[k + 1].line : (uint32_t)x->lines.n;
        x->items.v[k].end_line = to;
        for (uint32_t i = from; i < to; i++) x->lines.v[i].item = (uint32_t)k + 1;
    }
    for (uint32_t i = 0; i < x->header_end && i < x->lines.n; i++) x->lines.v[i].flags |= LF_HEADER;
    /* people lists count only in the header: "Ersättare" inside an item is a voting table */
    size_t keep = 0;
    for (size_t i = 0; i < x->pblocks.n; i++) {
        people_block *b = &x->pblocks.v[i];
        if (b->label_line < x->header_end) { x->pblocks.v[keep++] = *b; continue; }
        x->lines.v[b->label_line].flags &= ~LF_PEOPLE;
        for (uint32_t k = b->l0; k < b->l1; k++) x->lines.v[k].flags &= ~LF_PEOPLE;
    }
    x->pblocks.n = keep;
    build_units(x);
    if (x->oom) return;
    mark_blocks(x);
}
