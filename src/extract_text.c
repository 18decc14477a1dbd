/* extract_text.c — sentences: decisions (in Beslut blocks and in running text), proposals a decision
 * accepts, elections, follow-ups with owners and due dates, and planned meetings. */
#include <stdlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "date.h"
#include "extract.h"

/* Dates without a year: the meeting's year, or the next when that falls more than half a year
 * before the meeting (a few months back is a past reference, not next year's). */
#define BACK_DAYS 183

/* date_resolve, and 29 February in a common year: the leap year next to it that falls within
 * the same window (half a year back, half a year ahead). */
static int32_t resolve_date(const date_match *m, int32_t ref)
{
    int32_t r = date_resolve(m, ref, BACK_DAYS);
    if (r != PK_NODATE || m->y || ref == PK_NODATE || m->m != 2 || m->d != 29) return r;
    int y, mo, d;
    date_ymd(ref, &y, &mo, &d);
    for (int k = -1; k <= 1; k += 2) {
        int32_t c = date_days(y + k, 2, 29);
        if (c != PK_NODATE && c >= ref - BACK_DAYS && c <= ref + (365 - BACK_DAYS)) return c;
    }
    return PK_NODATE;
}

/* ---- sentences ---- */

/* Does a sentence start at i (an upper-case letter after ". ", "! ", "? ")? */
static int sentence_starts_at(pk_extractor *x, uint32_t i, uint32_t lo)
{
    const char *t = x->text;
    if (i <= lo) return 0;
    if (is_ascii_digit(t[i])) {
        /* a numbered point "4. Grundskolenämnden får ..." after a sentence or a colon */
        uint32_t d = i;
        while (d < x->len && d - i < 3 && is_ascii_digit(t[d])) d++;
        if (d + 1 >= x->len || (t[d] != '.' && t[d] != ')') || t[d + 1] != ' ') return 0;
        if (t[i - 1] != '\n') return 0;
        uint32_t j = i - 1;
        while (j > lo && (t[j - 1] == ' ' || t[j - 1] == '\t' || t[j - 1] == '\n')) j--;
        return j > lo && (t[j - 1] == '.' || t[j - 1] == ':' || t[j - 1] == ';' || t[j - 1] == '!' || t[j - 1] == '?');
    }
    if (!text_upper_at(t + i, t + x->len)) return 0;
    uint32_t j = i;
    int ws = 0;
    /* list dashes and opening quotes may stand before the sentence's first letter */
    while (j > lo && (t[j - 1] == '-' || t[j - 1] == '"' || t[j - 1] == '(' || t[j - 1] == '\'')) j--;
    while (j > lo && (t[j - 1] == ' ' || t[j - 1] == '\t' || t[j - 1] == '\n')) { j--; ws = 1; }
    if (!ws || j <= lo) return 0;
    while (j > lo && (t[j - 1] == '"' || t[j - 1] == ')' || t[j - 1] == '\'')) j--;
    if (j <= lo) return 0;
    char c = t[j - 1];
    if (c == '!' || c == '?') return 1;
    if (c != '.') return 0;
    /* "t.ex. Anna", "kl. Tio": the word before the period may be an abbreviation */
    uint32_t w = j - 1;
    while (w > lo && t[w - 1] != ' ' && t[w - 1] != '\t' && t[w - 1] != '\n' && t[w - 1] != '(') w--;
    if (j - 1 > w && j - w <= 12 && rules_first(&x->rs, RK_ABBREV, t + w, j - w, 0)) return 0;
    return 1;
}

/* The first byte in [i, e) that may end a sentence (. ! ? : ;), or e. */
static uint32_t next_end(const char *t, uint32_t i, uint32_t e)
{
#if defined(__SSE2__)
    const __m128i dot = _mm_set1_epi8('.'), ex = _mm_set1_epi8('!'), q = _mm_set1_epi8('?'),
                  colon = _mm_set1_epi8(':'), semi = _mm_set1_epi8(';');
    for (; e - i >= 16; i += 16) {
        __m128i c = _mm_loadu_si128((const __m128i *)(t + i));
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(c, dot), _mm_cmpeq_epi8(c, ex)),
                                 _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(c, q), _mm_cmpeq_epi8(c, colon)),
                                              _mm_cmpeq_epi8(c, semi)));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits) return i + (uint32_t)__builtin_ctz(bits);
    }
#endif
    for (; i < e; i++) {
        char c = t[i];
        if (c == '.' || c == '!' || c == '?' || c == ':' || c == ';') return i;
    }
    return e;
}

/* The sentence starts of unit u (after its own start), computed once per document. */
static const uint32_t *unit_sentences(pk_extractor *x, const unit *u, size_t *n)
{
    size_t ui = (size_t)(u - x->units.v);
    *n = 0;
    if (x->ucache.n != x->units.n) {
        /* one slot per unit, all "not yet" */
        if (x->ucache.cap < x->units.n) {
            uint64_t *nv = pk_reallocarray(x->ucache.v, x->units.n, sizeof *nv);
            if (!nv) { x->oom = 1; return NULL; }
            x->ucache.v = nv;
            x->ucache.cap = x->units.n;
        }
        memset(x->ucache.v, 0xFF, x->units.n * sizeof *x->ucache.v);
        x->ucache.n = x->units.n;
    }
    uint64_t c = x->ucache.v[ui];
    if (c == ~0ULL) {
        uint32_t first = (uint32_t)x->sbounds.n, cnt = 0;
        const char *t = x->text;
        for (uint32_t i = next_end(t, u->s, u->e); i < u->e; i = next_end(t, i + 1, u->e)) {
            /* a sentence starts after . ! ? (or : ; before a numbered point): look there only */
            uint32_t j = i + 1;
            while (j < u->e && (t[j] == '"' || t[j] == ')' || t[j] == '\'')) j++;
            if (j >= u->e || (t[j] != ' ' && t[j] != '\n' && t[j] != '\t')) continue;
            while (j < u->e && (t[j] == ' ' || t[j] == '\n' || t[j] == '\t')) j++;
            while (j < u->e && (t[j] == '-' || t[j] == '"' || t[j] == '(' || t[j] == '\'')) j++;
            if (j >= u->e || !sentence_starts_at(x, j, u->s)) continue;
            uint32_t *p = PUSH(x, x->sbounds);
            if (!p) return NULL;
            *p = j;
            cnt++;
            i = j - 1;
        }
        c = (uint64_t)first << 32 | cnt;
        x->ucache.v[ui] = c;
    }
    *n = (size_t)(c & 0xFFFFFFFF);
    return *n ? x->sbounds.v + (c >> 32) : NULL;
}

/* The sentence around [ms, me) inside unit u. */
static void sentence_of(pk_extractor *x, const unit *u, uint32_t ms, uint32_t me, uint32_t *ss, uint32_t *se)
{
    size_t n;
    const uint32_t *b = unit_sentences(x, u, &n);
    uint32_t a = u->s, e = u->e;
    if (b) {
        /* the last start at or before ms, the first start after the match */
        size_t lo = 0, hi = n;
        while (lo < hi) { size_t mid = (lo + hi) / 2; if (b[mid] <= ms) lo = mid + 1; else hi = mid; }
        if (lo > 0) a = b[lo - 1];
        uint32_t end = me > ms ? me : ms + 1;
        size_t k = lo;
        while (k < n && b[k] < end) k++;
        if (k < n) e = b[k];
    }
    while (e > a && (x->text[e - 1] == ' ' || x->text[e - 1] == '\n' || x->text[e - 1] == '\t')) e--;
    *ss = a;
    *se = e;
}

static const unit *unit_at(pk_extractor *x, uint32_t p, const line **lp)
{
    uint32_t li = extract_line_at(x, p);
    const line *L = &x->lines.v[li];
    if (lp) *lp = L;
    if (L->unit == UINT32_MAX || L->unit >= x->units.n) return NULL;
    const unit *u = &x->units.v[L->unit];
    if (p < u->s || p >= u->e) return NULL;
    return u;
}

static int overlaps(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return a < d && c < b; }

/* ---- scanning a sentence kind ---- */

/* How far before and after its key a keyed rule may match (bytes). */
#define KEY_BEFORE 72
#define KEY_AFTER 96

/* A rule matched at [ms, me) inside sentence [ss, se) of unit u on line L. */
typedef void (*hit_fn)(pk_extractor *x, const rule *r, const line *L, const unit *u,
                       uint32_t ms, uint32_t me, uint32_t ss, uint32_t se);

static void run_rule(pk_extractor *x, const rule *r, uint32_t from, uint32_t to, int in_sentence,
                     uint32_t ss0, uint32_t se0, hit_fn fn, uint32_t limit)
{
    size_t p = from;
    while (p < to && (limit ? rules_match_upto(&x->rs, r, x->text, to, p, limit) : rules_match(&x->rs, r, x->text, to, p, 0))) {
        size_t ms, me;
        rules_span(&x->rs, &ms, &me);
        p = me > ms ? me : ms + 1;
        const line *L;
        const unit *u = unit_at(x, (uint32_t)ms, &L);
        if (!u || me > u->e) continue;
        uint32_t ss = ss0, se = se0;
        if (!in_sentence) sentence_of(x, u, (uint32_t)ms, (uint32_t)me, &ss, &se);
        fn(x, r, L, u, (uint32_t)ms, (uint32_t)me, ss, se);
        if (x->oom) return;
    }
}

/* Every match of the rules of kind k.  A keyed rule runs only on the sentences where one of its key
 * literals occurs (once per sentence); a rule without usable key literals searches the whole text. */
static int allowed(const line *L, int for_decision);

/* place: where the kind's rules may fire (1 decisions, 0 follow-ups and meetings): a key in a
 * place where no match would count is passed over before any rule runs. */
static void scan_kind(pk_extractor *x, rule_kind k, hit_fn fn, int place)
{
    size_t nr;
    const rule *rl = rules_of(&x->rs, k, &nr);
    for (uint32_t h = x->khit_start[k]; h < x->khit_start[k + 1]; h++) {
        uint32_t ri = x->khits.v[h].rule;
        uint32_t pos = x->khits.v[h].pos;
        if (x->rule_last[ri] > pos) continue;   /* a window of this rule already covered it */
        const line *L;
        const unit *u = unit_at(x, pos, &L);
        if (!u || !allowed(L, place)) continue;
        uint32_t ss, se;
        sentence_of(x, u, pos, pos + 1, &ss, &se);
        /* the rule runs in a window around its key inside the sentence: what it says about the
         * key (owners before it, a date after it) is near, and long sentences cost no more */
        if (pos < ss || pos >= se) continue;
        uint32_t ws = x->rs.rules[ri].key_first ? pos : pos - ss > KEY_BEFORE ? pos - KEY_BEFORE : ss;
        uint32_t we = se - pos > KEY_AFTER ? pos + KEY_AFTER : se;
        /* on character boundaries: PCRE2 is told not to check UTF-8 */
        while (ws < pos && ((uint8_t)x->text[ws] & 0xC0) == 0x80) ws++;
        while (we < se && ((uint8_t)x->text[we] & 0xC0) == 0x80) we++;
        x->rule_last[ri] = we > pos + 16 ? we - 16 : pos + 1;
        /* a match holds the key, so it starts at the key or before */
        run_rule(x, &x->rs.rules[ri], ws, we, 1, ss, se, fn, pos);
        if (x->oom) return;
    }
    for (size_t i = 0; i < nr; i++) {
        if (rl[i].keyed) continue;
        run_rule(x, &rl[i], 0, (uint32_t)x->len, 0, 0, 0, fn, 0);
        if (x->oom) return;
    }
}

/* ---- decisions ---- */

static decision *add_decision(pk_extractor *x, uint32_t idx, str text, uint32_t s, uint32_t e)
{
    if (text.off == STR_NULL || text.len == 0) return NULL;
    decision *d = PUSH(x, x->decisions);
    if (!d) return NULL;
    d->item = idx;
    d->text = text;
    d->s = s;
    d->e = e;
    return d;
}

/* "andra attsatsen bifalles": the proposal att-satser a decision accepts.  Returns how many it
 * took (0 when the text is no such reference or no proposal is found). */
static int resolve_ref(pk_extractor *x, uint32_t li, uint32_t s, uint32_t e)
{
    const char *t = x->text;
    size_t nr;
    const rule *rl = rules_of(&x->rs, RK_DECISION_REF, &nr);
    const rule *r = NULL;
    if (!rules_kind_may(&x->rs, RK_DECISION_REF, t + s, e - s)) return 0;
    for (size_t i = 0; i < nr; i++) {
        if (!rules_match(&x->rs, &rl[i], t + s, e - s, 0, 0)) continue;
        size_t ms, me;
        rules_span(&x->rs, &ms, &me);
        /* the reference must be the whole text, give or take a full stop */
        uint32_t rest = s + (uint32_t)me;
        while (rest < e && (t[rest] == '.' || t[rest] == ' ' || t[rest] == '!')) rest++;
        if (ms == 0 && rest == e) { r = &rl[i]; break; }
    }
    if (!r) return 0;
    const line *L = &x->lines.v[li];
    /* the nearest proposal above, in the same item */
    const proposal *p = NULL;
    for (size_t i = x->proposals.n; i-- > 0;) {
        const proposal *q = &x->proposals.v[i];
        if (q->first_line < li && q->item == L->item) { p = q; break; }
    }
    str reftext = pool_clean(x, s, e);
    if (!p || !p->nsats) {
        warn(x, "a decision refers to a proposal that was not found: \"%.80s\"", reftext.off != STR_NULL ? pool_at(x, reftext) : "");
        return 0;
    }
    size_t gs, ge;
    int which = -1;   /* -1: all */
    if (rules_group(&x->rs, r, G_N, &gs, &ge)) {
        which = 0;
        for (size_t i = gs; i < ge; i++) if (is_ascii_digit(t[s + i])) which = which * 10 + (t[s + i] - '0');
        which -= 1;
    } else if (rules_group(&x->rs, r, G_ORD, &gs, &ge)) {
        /* the ordinal words are listed in the rule, in order, as alternatives of a (?<ord>...) group:
         * their position is found by matching each alternative's text against the proposal count */
        static const char *const ords[] = {"första", "andra", "tredje", "fjärde", "femte", "sjätte", "sjunde", "åttonde", "nionde", "tionde"};
        for (int k = 0; k < 10; k++) {
            size_t l = strlen(ords[k]);
            if (ge - gs == l && util_memcasecmp_ascii(t + s + gs, ords[k], l) == 0) which = k;
        }
    } else if (!rules_group(&x->rs, r, G_ALL, &gs, &ge)) {
        which = p->nsats == 1 ? 0 : -1;   /* "attsatsen bifalles" */
    }
    if (which >= (int)p->nsats) {
        warn(x, "a decision accepts att-sats %d of a proposal with %u", which + 1, p->nsats);
        return 0;
    }
    int took = 0;
    for (uint32_t k = 0; k < p->nsats; k++) {
        if (which >= 0 && (int)k != which) continue;
        sat *st = &x->sats.v[p->sat0 + k];
        /* "andra attsatsen bifalles: <the att-sats>" */
        str body = pool_clean(x, st->s, st->e);
        if (body.off == STR_NULL || reftext.off == STR_NULL) return took;
        size_t l = reftext.len + 2 + body.len;
        char *tmp = pk_malloc(l + 1);
        if (!tmp) { x->oom = 1; return took; }
        memcpy(tmp, pool_at(x, reftext), reftext.len);
        while (reftext.len && tmp[reftext.len - 1] == '.') { reftext.len--; l--; }
        memcpy(tmp + reftext.len, ": ", 2);
        memcpy(tmp + reftext.len + 2, pool_at(x, body), body.len);
        decision *d = add_decision(x, L->item, pool_put(x, tmp, l), st->s, st->e);
        if (d) { d->is = s; d->ie = e; }
        pk_free(tmp);
        for (uint32_t m = st->line0; m < st->line1 && m < x->lines.n; m++) x->lines.v[m].flags |= LF_ACCEPTED;
        took++;
    }
    return took;
}

/* A decision with its introduction ("Kommunstyrelsen föreslår ... besluta" + "1. att ..."). */
static void add_with_intro(pk_extractor *x, uint32_t idx, uint32_t is, uint32_t ie, uint32_t s, uint32_t e)
{
    if (ie <= is) { add_decision(x, idx, pool_clean(x, s, e), s, e); return; }
    str a = pool_clean(x, is, ie), b = pool_clean(x, s, e);
    if (a.off == STR_NULL || b.off == STR_NULL) return;
    char *tmp = pk_malloc((size_t)a.len + b.len + 2);
    if (!tmp) { x->oom = 1; return; }
    memcpy(tmp, pool_at(x, a), a.len);
    tmp[a.len] = ' ';
    memcpy(tmp + a.len + 1, pool_at(x, b), b.len);
    decision *d = add_decision(x, idx, pool_put(x, tmp, (size_t)a.len + 1 + b.len), s, e);
    if (d) { d->is = is; d->ie = ie; }
    pk_free(tmp);
}

/* A paragraph of numbered points (two or more): one decision per point, each with the lines
 * before the first point (or the intro paragraph above) as its introduction.  Returns 1 when the
 * unit was taken so. */
static int text_points(pk_extractor *x, const unit *U, uint32_t li, uint32_t s, uint32_t *intro_s, uint32_t *intro_e)
{
    const line *v = x->lines.v;
    uint32_t npoints = 0;
    for (uint32_t k = U->l0; k < U->l1; k++)
        if (!(v[k].flags & LF_SKIP) && line_point(x->text, v[k].cs, v[k].e)) npoints++;
    if (npoints < 2) return 0;
    uint32_t is = *intro_s, ie = *intro_e;
    uint32_t k = U->l0;
    /* lines before the first point introduce the points */
    while (k < U->l1 && ((v[k].flags & LF_SKIP) || !line_point(x->text, v[k].cs, v[k].e))) k++;
    if (k > U->l0) { is = s; ie = v[k - 1].e; }
    while (k < U->l1) {
        uint32_t ps = v[k].cs, pe = v[k].e;
        uint32_t j = k + 1;
        while (j < U->l1 && ((v[j].flags & LF_SKIP) || !line_point(x->text, v[j].cs, v[j].e))) {
            if (!(v[j].flags & LF_SKIP)) pe = v[j].e;
            j++;
        }
        add_with_intro(x, v[li].item, is, ie, ps, pe);
        if (x->oom) return 1;
        k = j;
    }
    *intro_s = *intro_e = 0;
    return 1;
}

static void block_decisions(pk_extractor *x)
{
    line *v = x->lines.v;
    for (uint32_t li = x->header_end; li < x->lines.n; li++) {
        line *L = &v[li];
        if (L->label != LB_DECISION || !(L->flags & LF_DECISION) || L->unit == UINT32_MAX) continue;
        uint32_t u = L->rest ? L->unit : L->unit + 1;
        uint32_t intro_s = 0, intro_e = 0;
        for (; u < x->units.n; u++) {
            const unit *U = &x->units.v[u];
            const line *F = &v[U->l0];
            if (u != L->unit && (!(F->flags & LF_DECISION) || F->label || F->type == LT_HEADING)) break;
            uint32_t s = u == L->unit ? L->rest : U->s, e = U->e;
            e = extract_trim(x->text, &s, e);
            if (e <= s) continue;
            if (F->type == LT_ROW) {
                /* a template's arguments on one line: each cell is a decision of its own */
                uint32_t a = s;
                for (uint32_t c = s; c <= e; c++) {
                    if (c < e && x->text[c] != '\t') continue;
                    uint32_t cs = a, ce = c;
                    ce = extract_trim(x->text, &cs, ce);
                    a = c + 1;
                    if (ce <= cs) continue;
                    if (!resolve_ref(x, li, cs, ce) && !x->oom) add_decision(x, L->item, pool_clean(x, cs, ce), cs, ce);
                    if (x->oom) return;
                }
                continue;
            }
            if (resolve_ref(x, li, s, e)) continue;
            if (x->oom) return;
            if (F->type == LT_TEXT && text_points(x, U, li, s, &intro_s, &intro_e)) continue;
            if (x->oom) return;
            uint32_t end = e;
            while (end > s && x->text[end - 1] == ' ') end--;
            if (F->type != LT_LIST && x->text[end - 1] == ':') {
                /* "Kommunstyrelsen föreslår att kommunfullmäktige beslutar:" — said before each point */
                uint32_t nu = u + 1;
                const line *N = nu < x->units.n ? &v[x->units.v[nu].l0] : NULL;
                if (N && (N->flags & LF_DECISION) && (N->type == LT_LIST || line_point(x->text, N->cs, N->e))) {
                    intro_s = s;
                    intro_e = e;
                    continue;
                }
            }
            if (F->type == LT_LIST && intro_e > intro_s) {
                add_with_intro(x, L->item, intro_s, intro_e, s, e);
                continue;
            }
            intro_s = intro_e = 0;
            add_decision(x, L->item, pool_clean(x, s, e), s, e);
        }
    }
}

/* Where running-text rules may fire.  Decisions: not in labelled blocks or the header.
 * Follow-ups and planned meetings: also in decision blocks and accepted att-satser. */
static int allowed(const line *L, int for_decision)
{
    if (!L->item || (L->flags & (LF_HEADER | LF_SKIP | LF_PEOPLE | LF_SIG | LF_OTHER | LF_KEY))) return 0;
    /* a label line counts only for the text after the label ("Beslut: X får i uppdrag att ...") */
    if (L->label && !(L->rest && !for_decision && (L->flags & LF_DECISION))) return 0;
    if (for_decision) return !(L->flags & (LF_DECISION | LF_PROPOSAL | LF_ITEM));
    if ((L->flags & LF_PROPOSAL) && !(L->flags & LF_ACCEPTED)) return 0;
    return 1;
}

static void on_decision(pk_extractor *x, const rule *r, const line *L, const unit *u,
                        uint32_t ms, uint32_t me, uint32_t ss, uint32_t se)
{
    (void)u; (void)ms; (void)me;
    if (!allowed(L, 1)) return;
    size_t gs = 0, ge = 0;
    int has_text = rules_group(&x->rs, r, G_TEXT, &gs, &ge) && ge > gs;
    for (size_t i = 0; i < x->decisions.n; i++)
        if (overlaps(ss, se, x->decisions.v[i].s, x->decisions.v[i].e)) return;
    if (has_text) add_decision(x, L->item, pool_clean(x, (uint32_t)gs, (uint32_t)ge), ss, se);
    else add_decision(x, L->item, pool_clean(x, ss, se), ss, se);
}

static void sort_decisions(pk_extractor *x)
{
    for (size_t i = 1; i < x->decisions.n; i++) {
        decision d = x->decisions.v[i];
        size_t j = i;
        while (j > 0 && x->decisions.v[j - 1].s > d.s) { x->decisions.v[j] = x->decisions.v[j - 1]; j--; }
        x->decisions.v[j] = d;
    }
}

static void sentence_decisions(pk_extractor *x)
{
    scan_kind(x, RK_DECISION, on_decision, 1);
    sort_decisions(x);
}

/* ---- names ---- */

/* Is this text an acceptable owner: a participant (full or first name), a full name, or a word the
 * owner rules allow (roles, groups)? */
static int owner_ok(pk_extractor *x, const char *p, size_t n)
{
    if (!n) return 0;
    if (extract_person_lookup(x, p, n)) return 1;
    if (memchr(p, ' ', n) && extract_is_name(x, p, n)) return 1;
    size_t k;
    const rule *r = rules_of(&x->rs, RK_OWNER, &k);
    for (size_t i = 0; i < k; i++)
        if (rules_match(&x->rs, &r[i], p, n, 0, 0)) return 1;
    return 0;
}

/* ---- elections ---- */

/* Does a key literal of rule ri occur in [s, e)?  (The hits are in text order.) */
static int key_in(const pk_extractor *x, uint32_t ri, uint32_t s, uint32_t e)
{
    size_t lo = 0, hi = x->hits.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (x->hits.v[mid].pos < s) lo = mid + 1; else hi = mid;
    }
    for (; lo < x->hits.n && x->hits.v[lo].pos < e; lo++)
        if (x->hits.v[lo].rule == ri) return 1;
    return 0;
}

static void elections(pk_extractor *x)
{
    size_t nr;
    const rule *rl = rules_of(&x->rs, RK_ELECTION, &nr);
    if (!nr) return;
    uint32_t first = (uint32_t)(rl - x->rs.rules);
    for (size_t d = 0; d < x->decisions.n; d++) {
        const decision *D = &x->decisions.v[d];
        str dt = D->text;
        for (size_t k = 0; k < nr; k++) {
            /* a keyed rule matches only text that holds its key: the decision's text comes from
             * its spans (lines joined by a space, so no word is made across them) */
            if (rl[k].keyed && !key_in(x, first + (uint32_t)k, D->s, D->e) &&
                !(D->ie > D->is && key_in(x, first + (uint32_t)k, D->is, D->ie)))
                continue;
            const char *t = pool_at(x, dt);
            if (!rules_match(&x->rs, &rl[k], t, dt.len, 0, 0)) continue;
            size_t ns, ne, rs_, re_;
            if (!rules_group(&x->rs, &rl[k], G_NAMES, &ns, &ne) || !rules_group(&x->rs, &rl[k], G_ROLE, &rs_, &re_)) continue;
            char names[256], role[96];
            size_t nl = ne - ns < sizeof names ? ne - ns : sizeof names - 1;
            size_t rl_ = re_ - rs_ < sizeof role ? re_ - rs_ : sizeof role - 1;
            while (nl < ne - ns && nl && ((unsigned char)t[ns + nl] & 0xC0) == 0x80) nl--;   /* whole characters */
            while (rl_ < re_ - rs_ && rl_ && ((unsigned char)t[rs_ + rl_] & 0xC0) == 0x80) rl_--;
            memcpy(names, t + ns, nl);
            memcpy(role, t + rs_, rl_);
            names[nl] = role[rl_] = 0;
            /* the signing roles: the same label rules that find signature tables */
            int what = 0;
            if (rules_first(&x->rs, RK_SIG_RECORDED, role, rl_, 0)) what = 1;
            else if (rules_first(&x->rs, RK_SIG_APPROVED, role, rl_, 0)) what = 2;
            name_part pp[8];
            size_t np = extract_split_names(names, nl, pp, 8);
            for (size_t i = 0; i < np; i++) {
                person *who = extract_person_lookup(x, pp[i].p, pp[i].n);
                if (who) extract_add_role(x, who, role, rl_);
                if (what) {
                    /* a signature from the election only when the minutes have no signature table */
                    const char *full = who ? pool_at(x, who->name) : pp[i].p;
                    size_t fl = who ? who->name.len : pp[i].n;
                    extract_add_signer_text(x, what, full, fl, 1);
                }
                if (x->oom) return;
            }
            break;
        }
    }
}

/* ---- follow-ups ---- */

/* First date in [s, e) resolved against the meeting; PK_NODATE when none or when it lies before
 * the meeting (need_future). */
int extract_first_date(pk_extractor *x, uint32_t s, uint32_t e, int32_t *days, int need_future)
{
    date_match dm;
    *days = PK_NODATE;
    if (!text_has_digit(x->text + s, e - s)) return 0;
    size_t from = 0;
    while (date_find(x->text + s, e - s, from, DATE_F_NUMERIC, &dm)) {
        from = dm.end;
        int32_t d = resolve_date(&dm, x->rec.date);
        if (d == PK_NODATE) continue;
        if (need_future && x->rec.date != PK_NODATE && d < x->rec.date) continue;
        *days = d;
        return 1;
    }
    *days = PK_NODATE;
    return 0;
}

static int words_of(const pk_extractor *x, uint32_t s, uint32_t e)
{
    int w = 0, in = 0;
    for (uint32_t i = s; i < e; i++) {
        int sp = x->text[i] == ' ' || x->text[i] == '\n' || x->text[i] == '\t';
        if (!sp && !in) w++;
        in = !sp;
    }
    return w;
}

static void on_followup(pk_extractor *x, const rule *r, const line *L, const unit *u,
                        uint32_t ms, uint32_t me, uint32_t ss, uint32_t se)
{
    (void)ms; (void)me;
    if (!allowed(L, 0) || (L->flags & LF_ITEM)) return;
    /* read the groups before any other match reuses the match data */
    size_t os = 0, oe = 0, ds = 0, de = 0;
    int has_owner_group = rules_group(&x->rs, r, G_OWNERS, &os, &oe) && oe > os;
    int has_due_group = rules_group(&x->rs, r, G_DUE, &ds, &de);
    if (has_due_group && de <= ds) has_due_group = 0;
    int due_rule = r->grp[G_DUE] >= 0;
    for (size_t i = 0; i < x->followups.n; i++)
        if (overlaps(ss, se, x->followups.v[i].s, x->followups.v[i].e)) return;
    /* owners: every part must be acceptable, else the match is no assignment */
    char buf[512];
    size_t bl = 0;
    if (has_owner_group) {
        name_part pp[8];
        size_t np = extract_split_names(x->text + os, oe - os, pp, 8);
        if (!np) return;
        for (size_t i = 0; i < np; i++) {
            if (!owner_ok(x, pp[i].p, pp[i].n)) return;
            if (bl + pp[i].n + 1 < sizeof buf) {
                if (bl) buf[bl++] = '\n';
                memcpy(buf + bl, pp[i].p, pp[i].n);
                bl += pp[i].n;
            }
        }
    }
    int32_t due = PK_NODATE;
    if (has_due_group) extract_first_date(x, (uint32_t)ds, (uint32_t)de, &due, 1);
    else extract_first_date(x, ss, se, &due, 1);
    /* a rule that is about a deadline needs one */
    if (!has_owner_group && due_rule && due == PK_NODATE) return;
    followup *f = PUSH(x, x->followups);
    if (!f) return;
    f->item = L->item;
    f->due = due;
    f->owners = bl ? pool_put(x, buf, bl) : str_null();
    f->s = ss;
    f->e = se;
    f->text = str_null();
    /* "Ordförande fixar!" under a bullet: the bullet says what is to be fixed */
    const line *v = x->lines.v;
    const line *F = &v[u->l0];
    if (F->type == LT_LIST && F->level > 0 && ss == u->s && words_of(x, ss, se) <= 3) {
        for (uint32_t j = u->l0; j-- > 0;) {
            const line *P = &v[j];
            if (P->type != LT_LIST || (P->flags & LF_SKIP)) break;
            if (P->level >= F->level) continue;
            str a = pool_clean(x, P->cs, P->e), b = pool_clean(x, ss, se);
            if (a.off == STR_NULL || b.off == STR_NULL) return;
            char *tmp = pk_malloc((size_t)a.len + b.len + 2);
            if (!tmp) { x->oom = 1; return; }
            memcpy(tmp, pool_at(x, a), a.len);
            tmp[a.len] = ' ';
            memcpy(tmp + a.len + 1, pool_at(x, b), b.len);
            f = &x->followups.v[x->followups.n - 1];
            f->text = pool_put(x, tmp, (size_t)a.len + 1 + b.len);
            f->s = P->cs;
            pk_free(tmp);
            break;
        }
    }
    f = &x->followups.v[x->followups.n - 1];
    if (f->text.off == STR_NULL) f->text = pool_clean(x, ss, se);
}

static void followups(pk_extractor *x)
{
    scan_kind(x, RK_FOLLOWUP, on_followup, 0);
    for (size_t i = 1; i < x->followups.n; i++) {
        followup f = x->followups.v[i];
        size_t j = i;
        while (j > 0 && x->followups.v[j - 1].s > f.s) { x->followups.v[j] = x->followups.v[j - 1]; j--; }
        x->followups.v[j] = f;
    }
}

/* ---- planned meetings ---- */

/* Do two texts share a capitalised word of six bytes or more (the same meeting named twice)? */
static int share_word(const pk_extractor *x, uint32_t as, uint32_t ae, uint32_t bs, uint32_t be)
{
    const char *t = x->text;
    for (uint32_t i = as; i < ae;) {
        while (i < ae && !text_lower_at(t + i, t + ae) && !text_upper_at(t + i, t + ae)) i++;
        uint32_t j = i;
        while (j < ae && t[j] != ' ' && t[j] != ',' && t[j] != '.' && t[j] != ':' && t[j] != '\n' && t[j] != '\t') j++;
        /* a name ("Länsstyrelsen"); dates and the words for meetings name the day and the kind,
         * and lower-case words ("digitalt") the manner, not the meeting */
        if (j - i >= 6 && text_upper_at(t + i, t + ae) && !date_month_name(t + i, j - i) &&
            !rules_first((ruleset *)&x->rs, RK_MEETING_WORD, t + i, j - i, 0)) {
            for (uint32_t k = bs; k + (j - i) <= be; k++)
                if (util_memcasecmp_ascii(t + k, t + i, j - i) == 0) return 1;
        }
        i = j + 1;
    }
    return 0;
}

static void add_upcoming(pk_extractor *x, int32_t date, const time_match *tm, uint32_t s, uint32_t e, uint32_t ts, uint32_t te)
{
    if (date == PK_NODATE || x->rec.date == PK_NODATE || date <= x->rec.date) return;
    for (size_t i = 0; i < x->upcoming.n; i++) {
        meeting_ref *u = &x->upcoming.v[i];
        if (u->date != date) continue;
        /* the same day named twice: one meeting when the two say the same, with a time now given */
        if (tm && u->h1 >= 0 && (u->h1 != tm->h1 || u->m1 != tm->m1)) continue;
        if (tm && u->h1 < 0 && !share_word(x, u->s, u->e, ts, te)) continue;
        if (tm && u->h1 < 0) { u->h1 = tm->h1; u->m1 = tm->m1; u->h2 = tm->h2; u->m2 = tm->h2 >= 0 ? tm->m2 : -1; }
        return;
    }
    meeting_ref *u = PUSH(x, x->upcoming);
    if (!u) return;
    u->date = date;
    u->h1 = u->m1 = u->h2 = u->m2 = -1;
    if (tm) { u->h1 = tm->h1; u->m1 = tm->m1; u->h2 = tm->h2; u->m2 = tm->h2 >= 0 ? tm->m2 : -1; }
    u->text = pool_clean(x, ts, te);
    u->s = s;
    u->e = e;
}

static int has_meeting_word(pk_extractor *x, const char *p, size_t n)
{
    size_t k;
    const rule *r = rules_of(&x->rs, RK_MEETING_WORD, &k);
    for (size_t i = 0; i < k; i++)
        if (rules_match(&x->rs, &r[i], p, n, 0, 0)) return 1;
    return 0;
}

/* Is a meeting named by the word right before byte p ("sammanträdet den 6 december")? */
static int meeting_before(pk_extractor *x, uint32_t ss, uint32_t p)
{
    const char *t = x->text;
    uint32_t q = p;
    while (q > ss && t[q - 1] == ' ') q--;
    static const char *const glue[] = { "den", "på", "i", "om" };
    for (size_t g = 0; g < sizeof glue / sizeof *glue; g++) {
        size_t k = strlen(glue[g]);
        if (q - ss >= k + 1 && t[q - k - 1] == ' ' && util_memcasecmp_ascii(t + q - k, glue[g], k) == 0) {
            q -= (uint32_t)k;
            while (q > ss && t[q - 1] == ' ') q--;
            break;
        }
    }
    uint32_t w = q;
    while (w > ss && t[w - 1] != ' ' && t[w - 1] != '\n' && t[w - 1] != '\t' && t[w - 1] != '(') w--;
    if (w == q) return 0;
    size_t n;
    const rule *r = rules_of(&x->rs, RK_MEETING_WORD, &n);
    for (size_t i = 0; i < n; i++)
        if (rules_match(&x->rs, &r[i], t + w, q - w, 0, 0)) return 1;
    return 0;
}

/* Every date in a sentence that speaks of a meeting, with the time nearest after it. */
static void dated_sentence(pk_extractor *x, uint32_t ss, uint32_t se, int assignment)
{
    const char *t = x->text + ss;
    size_t n = se - ss, from = 0;
    date_match dm;
    if (!text_has_digit(t, n)) return;
    while (date_find(t, n, from, DATE_F_NUMERIC, &dm)) {
        from = dm.end;
        /* "senast den 17 maj": a deadline, not when a meeting is */
        size_t b = dm.start > 32 ? dm.start - 32 : 0;
        while (b < dm.start && ((uint8_t)t[b] & 0xC0) == 0x80) b++;
        if (rules_first(&x->rs, RK_DEADLINE, t + b, dm.start - b, 0)) continue;
        if (assignment && !meeting_before(x, ss, ss + (uint32_t)dm.start)) continue;
        int32_t d = resolve_date(&dm, x->rec.date);
        /* its time: the next one, unless another date comes first; else one just before it */
        date_match nx;
        size_t next_date = date_find(t, n, dm.end, DATE_F_NUMERIC, &nx) ? nx.start : n;
        time_match tm;
        int have = time_find(t, n, dm.end, &tm) && tm.start < next_date;
        if (!have) have = time_find(t, n, 0, &tm) && tm.end <= dm.start;
        add_upcoming(x, d, have ? &tm : NULL, ss, se, ss, se);
    }
}

static void on_meeting_sentence(pk_extractor *x, const rule *r, const line *L, const unit *u,
                                uint32_t ms, uint32_t me, uint32_t ss, uint32_t se)
{
    (void)r; (void)u; (void)ms; (void)me;
    if (!allowed(L, 0) || ss + 1 == x->last_dated) return;   /* one look at each sentence */
    x->last_dated = ss + 1;
    /* the dates of an assignment are its deadlines ("får i uppdrag att ... till den 25 januari"),
     * unless a meeting is named right before the date ("till sammanträdet den 6 december") */
    int assignment = 0;
    for (size_t i = 0; i < x->followups.n && !assignment; i++)
        if (x->followups.v[i].s <= ss && x->followups.v[i].e >= se) assignment = 1;
    dated_sentence(x, ss, se, assignment);
}

static void upcoming(pk_extractor *x)
{
    const line *v = x->lines.v;
    const char *t = x->text;
    /* "2 september: Södertörns samarbetskommitté i Salem." under an item about meetings */
    size_t nl;
    const rule *lr = rules_of(&x->rs, RK_UPCOMING_LINE, &nl);
    for (uint32_t i = x->header_end; nl && i < x->lines.n; i++) {
        const line *L = &v[i];
        if ((L->type != LT_TEXT && L->type != LT_LIST) || !allowed(L, 0) || (L->flags & LF_ITEM)) continue;
        for (size_t k = 0; k < nl; k++) {
            if (!rules_match(&x->rs, &lr[k], t + L->cs, L->e - L->cs, 0, 0)) continue;
            size_t ds, de, ts_, te_;
            if (!rules_group(&x->rs, &lr[k], G_DATE, &ds, &de)) continue;
            const item *it = L->item ? &x->items.v[L->item - 1] : NULL;
            uint32_t xs = L->cs, xe = L->e;
            if (rules_group(&x->rs, &lr[k], G_TEXT, &ts_, &te_) && te_ > ts_) { xs = L->cs + (uint32_t)ts_; xe = L->cs + (uint32_t)te_; }
            /* the text up to its first sentence end */
            const unit *u = unit_at(x, xs, NULL);
            if (u) {
                uint32_t a, b;
                sentence_of(x, u, xs, xs + 1, &a, &b);
                if (b < xe) xe = b;
                while (xe > xs && (t[xe - 1] == '.' || t[xe - 1] == ' ')) xe--;
            }
            int meetingish = has_meeting_word(x, t + xs, xe - xs) ||
                             (it && it->title.off != STR_NULL && has_meeting_word(x, pool_at(x, it->title), it->title.len));
            if (!meetingish) continue;
            date_match dm;
            if (!date_parse_at(t + L->cs, L->e - L->cs, ds, DATE_F_NUMERIC, &dm)) continue;
            int32_t d = resolve_date(&dm, x->rec.date);
            time_match tm;
            int have = rules_group(&x->rs, &lr[k], G_TIME, &ts_, &te_) && time_find(t + L->cs, te_, ts_, &tm);
            add_upcoming(x, d, have ? &tm : NULL, L->cs, L->e, xs, xe);
            break;
        }
        if (x->oom) return;
    }
    /* sentences that name a meeting and give a date */
    scan_kind(x, RK_UPCOMING, on_meeting_sentence, 0);
    scan_kind(x, RK_MEETING_WORD, on_meeting_sentence, 0);
    /* in date order */
    for (size_t i = 1; i < x->upcoming.n; i++) {
        meeting_ref m = x->upcoming.v[i];
        size_t j = i;
        while (j > 0 && x->upcoming.v[j - 1].date > m.date) { x->upcoming.v[j] = x->upcoming.v[j - 1]; j--; }
        x->upcoming.v[j] = m;
    }
}

/* ---- the body from decisions: "Kommunstyrelsen beslutar ..." ---- */

static void body_from_decisions(pk_extractor *x)
{
    if (x->rec.body.off != STR_NULL) return;
    size_t best = 0, bestn = 0;
    for (size_t i = 0; i < x->decisions.n; i++) {
        str d = x->decisions.v[i].text;
        const char *p = pool_at(x, d);
        size_t w = 0;
        while (w < d.len && p[w] != ' ') w++;
        if (!w || !rules_first(&x->rs, RK_BODY_WORD, p, w, 0)) continue;
        size_t cnt = 0;
        for (size_t j = 0; j < x->decisions.n; j++) {
            str e = x->decisions.v[j].text;
            if (e.len > w && pool_at(x, e)[w] == ' ' && memcmp(pool_at(x, e), p, w) == 0) cnt++;
        }
        if (cnt > bestn) { bestn = cnt; best = i + 1; }
    }
    if (!best || bestn * 2 < x->decisions.n) return;
    str d = x->decisions.v[best - 1].text;
    size_t w = 0;
    while (w < d.len && pool_at(x, d)[w] != ' ') w++;
    char tmp[128];
    if (w >= sizeof tmp) return;
    memcpy(tmp, pool_at(x, d), w);
    x->rec.body = pool_put(x, tmp, w);
}

void extract_sentences(pk_extractor *x)
{
    block_decisions(x);
    if (x->oom) return;
    sentence_decisions(x);
    if (x->oom) return;
    elections(x);
    if (x->oom) return;
    followups(x);
    if (x->oom) return;
    upcoming(x);
    if (x->oom) return;
    body_from_decisions(x);
    if (!x->items.n) warn(x, "no agenda items found");
}
