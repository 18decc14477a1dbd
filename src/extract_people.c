/* extract_people.c — participants (who was present, from which organisation, in which role, for
 * how long), signatures (who kept and who approves the minutes) and the meeting's own fields. */
#include <stdio.h>
#include <stdlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "date.h"
#include "extract.h"

/* ---- pieces of a person's line or row ---- */

typedef struct piece { uint32_t s, e; } piece;

#define MAX_PIECES 24

/* The first TAB (with commas: TAB, comma or semicolon) in [i, e), or e. */
static uint32_t next_cut(const char *t, uint32_t i, uint32_t e, int commas)
{
#if defined(__SSE2__)
    const __m128i tab = _mm_set1_epi8('\t'), comma = _mm_set1_epi8(commas ? ',' : '\t'),
                  semi = _mm_set1_epi8(commas ? ';' : '\t');
    for (; e - i >= 16; i += 16) {
        __m128i c = _mm_loadu_si128((const __m128i *)(t + i));
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(c, tab), _mm_or_si128(_mm_cmpeq_epi8(c, comma), _mm_cmpeq_epi8(c, semi)));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits) return i + (uint32_t)__builtin_ctz(bits);
    }
#endif
    for (; i < e; i++)
        if (t[i] == '\t' || (commas && (t[i] == ',' || t[i] == ';'))) return i;
    return e;
}

/* Split [s, e) into cells at TABs and, inside cells, at commas and semicolons. */
static size_t split_pieces(const pk_extractor *x, uint32_t s, uint32_t e, int commas, piece *out, size_t max)
{
    const char *t = x->text;
    size_t n = 0;
    uint32_t a = s;
    for (uint32_t i = s; i <= e && n < max; i++) {
        i = next_cut(t, i, e, commas);
        /* "96,1" and "2,5" are numbers, not lists */
        if (i < e && t[i] == ',' && i > s && is_ascii_digit(t[i - 1]) && i + 1 < e && is_ascii_digit(t[i + 1])) continue;
        uint32_t ps = a, pe = i;
        pe = extract_trim(t, &ps, pe);
        /* a trailing full stop ends the list, it is not part of the last piece */
        while (pe > ps && t[pe - 1] == '.' && !(pe - ps >= 2 && t[pe - 2] == ' ')) { pe--; break; }
        out[n].s = ps;
        out[n].e = pe;
        if (t[i] == '\t' || pe > ps || i == e) n++;
        a = i + 1;
    }
    return n;
}

/* The rule of kind k that matches piece p (its match stays readable until the next match), with
 * group g (or the whole match) in gs, ge; NULL when none. */
static const rule *piece_rule(pk_extractor *x, rule_kind k, piece p, size_t *gs, size_t *ge, rule_group g)
{
    if (p.e <= p.s) return NULL;
    const rule *r = rules_first(&x->rs, k, x->text + p.s, p.e - p.s, 0);
    if (!r) return NULL;
    if (gs && !rules_group(&x->rs, r, g, gs, ge)) rules_span(&x->rs, gs, ge);
    return r;
}

int extract_is_name(pk_extractor *x, const char *p, size_t n)
{
    return n && rules_first(&x->rs, RK_NAME, p, n, 0) != NULL;
}

static int words_in(const char *p, size_t n)
{
    int w = 0, in = 0;
    for (size_t i = 0; i < n; i++) {
        int sp = p[i] == ' ' || p[i] == '\t';
        if (!sp && !in) w++;
        in = !sp;
    }
    return w;
}

/* Lowercase ASCII and the Latin-1 range of UTF-8 (Å Ä Ö É ...) in place. */
static void lower_inplace(char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 'A' && c <= 'Z') p[i] = (char)(c + 32);
        else if (c == 0xC3 && i + 1 < n) {
            unsigned char d = (unsigned char)p[i + 1];
            if (d >= 0x80 && d <= 0x9E && d != 0x97) p[i + 1] = (char)(d + 0x20);
            i++;
        }
    }
}

static str put_lower(pk_extractor *x, const char *p, size_t n)
{
    str s = pool_put(x, p, n);
    if (s.off != STR_NULL) lower_inplace((char *)x->pool.p + s.off, n);
    return s;
}

/* Append "; role" to a person's role unless it is there already. */
void extract_add_role(pk_extractor *x, person *pp, const char *r, size_t n)
{
    if (!n) return;
    if (pp->role.off == STR_NULL) { pp->role = put_lower(x, r, n); return; }
    char low[128];
    if (n >= sizeof low) {
        n = sizeof low - 1;
        while (n && ((unsigned char)r[n] & 0xC0) == 0x80) n--;   /* not inside a character */
    }
    memcpy(low, r, n);
    lower_inplace(low, n);
    const char *cur = pool_at(x, pp->role);
    for (const char *q = cur; (q = strstr(q, "")) && *q;) {
        const char *sep = strstr(q, "; ");
        size_t l = sep ? (size_t)(sep - q) : strlen(q);
        if (l == n && memcmp(q, low, n) == 0) return;
        if (!sep) break;
        q = sep + 2;
    }
    size_t ol = pp->role.len;
    char *tmp = pk_malloc(ol + n + 3);
    if (!tmp) { x->oom = 1; return; }
    memcpy(tmp, cur, ol);
    memcpy(tmp + ol, "; ", 2);
    memcpy(tmp + ol + 2, low, n);
    pp->role = pool_put(x, tmp, ol + 2 + n);
    pk_free(tmp);
}

static person *find_person(pk_extractor *x, const char *name, size_t n)
{
    for (size_t i = 0; i < x->people.n; i++) {
        str s = x->people.v[i].name;
        if (s.len == n && memcmp(pool_at(x, s), name, n) == 0) return &x->people.v[i];
    }
    return NULL;
}

/* A person by full name, or by a first name that only one participant has. */
person *extract_person_lookup(pk_extractor *x, const char *name, size_t n)
{
    person *p = find_person(x, name, n);
    if (p || memchr(name, ' ', n)) return p;
    person *hit = NULL;
    for (size_t i = 0; i < x->people.n; i++) {
        const char *pn = pool_at(x, x->people.v[i].name);
        size_t l = x->people.v[i].name.len;
        if (l > n && pn[n] == ' ' && memcmp(pn, name, n) == 0) {
            if (hit) return NULL;
            hit = &x->people.v[i];
        }
    }
    return hit;
}

/* Normalise a departure/arrival value: a clock time becomes "HH:MM", anything else stays as written. */
static str at_value(pk_extractor *x, const char *p, size_t n)
{
    while (n && (p[n - 1] == '.' || p[n - 1] == ')' || p[n - 1] == ' ')) n--;
    while (n && (*p == ' ' || *p == '(')) { p++; n--; }
    int h = 0, m = 0;
    size_t i = 0, k = 0;
    while (i < n && is_ascii_digit(p[i]) && k < 2) { h = h * 10 + (p[i++] - '0'); k++; }
    if (k >= 1 && i + 2 < n + 1 && i < n && (p[i] == '.' || p[i] == ':') && i + 3 == n &&
        is_ascii_digit(p[i + 1]) && is_ascii_digit(p[i + 2])) {
        m = (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
        /* "4.4" (an item) has one digit after the dot and is kept as written */
        if (h < 24 && m < 60) {
            char b[8] = {(char)('0' + h / 10), (char)('0' + h % 10), ':', (char)('0' + m / 10), (char)('0' + m % 10), 0};
            return pool_put(x, b, 5);
        }
    }
    return pool_put(x, p, n);
}

/* Read one person from pieces[0..np).  Returns 1 when a present person was added or merged. */
static int read_person(pk_extractor *x, const piece *pc, size_t np, str block_role, int need_mark, int *has_mark)
{
    const char *t = x->text;
    piece name = {0, 0};
    piece org = {0, 0};
    str arrived = str_null(), left = str_null(), party = str_null();
    const char *roles[6];
    size_t rolel[6];
    size_t nroles = 0;
    int present = 0, absent = 0;
    for (size_t i = 0; i < np; i++) {
        piece p = pc[i];
        if (p.e <= p.s) continue;
        size_t gs, ge;
        if (piece_rule(x, RK_CELL_ABSENT, p, NULL, NULL, G_AT)) { absent = 1; continue; }
        if (piece_rule(x, RK_CELL_PRESENT, p, NULL, NULL, G_AT)) { present = 1; continue; }
        /* the common piece, a plain name ("Ordförande" looks like one but is a role) */
        if (!name.e && extract_is_name(x, t + p.s, p.e - p.s)) {
            if (piece_rule(x, RK_CELL_ROLE, p, &gs, &ge, G_ROLE)) {
                if (nroles < 6) { roles[nroles] = t + p.s + gs; rolel[nroles++] = ge - gs; }
            } else {
                name = p;
            }
            continue;
        }
        const rule *r;
        if ((r = piece_rule(x, RK_CELL_RANGE, p, &gs, &ge, G_FROM))) {
            /* present for items "§ 45–48": from § 45 to § 48 */
            size_t s2, e2;
            char tmp[40];
            snprintf(tmp, sizeof tmp, "§ %.*s", (int)(ge - gs < 30 ? ge - gs : 30), t + p.s + gs);
            arrived = pool_put(x, tmp, strlen(tmp));
            /* the match of piece_rule is still the last one */
            if (rules_group(&x->rs, r, G_TO, &s2, &e2)) {
                snprintf(tmp, sizeof tmp, "§ %.*s", (int)(e2 - s2 < 30 ? e2 - s2 : 30), t + p.s + s2);
                left = pool_put(x, tmp, strlen(tmp));
            }
            {
                size_t ms, me;
                rules_span(&x->rs, &ms, &me);
                if (ms == 0 && me == p.e - p.s) continue;
                if (me == p.e - p.s) p.e = p.s + (uint32_t)ms;
            }
        }
        if (piece_rule(x, RK_CELL_LEFT, p, &gs, &ge, G_AT)) {
            size_t ms = 0, me = 0;
            rules_span(&x->rs, &ms, &me);
            left = at_value(x, t + p.s + gs, ge - gs);
            if (ms == 0) continue;                 /* the whole piece was the departure */
            p.e = p.s + (uint32_t)ms;               /* "Alva Johansson lämnade vid ..." */
        }
        if (piece_rule(x, RK_CELL_ARRIVED, p, &gs, &ge, G_AT)) {
            size_t ms = 0, me = 0;
            rules_span(&x->rs, &ms, &me);
            arrived = at_value(x, t + p.s + gs, ge - gs);
            if (ms == 0) continue;
            p.e = p.s + (uint32_t)ms;
        }
        if (piece_rule(x, RK_CELL_PARTY, p, &gs, &ge, G_PARTY)) {
            size_t ms = 0, me = 0;
            rules_span(&x->rs, &ms, &me);
            party = pool_put(x, t + p.s + gs, ge - gs);
            /* "Anna Andersson (S)": what comes before the party is the name */
            if (ms > 0) {
                piece rest = {p.s + (uint32_t)me, p.e};
                p.e = p.s + (uint32_t)ms;
                rest.e = extract_trim(t, &rest.s, rest.e);
                p.e = extract_trim(t, &p.s, p.e);
                if (!name.e && extract_is_name(x, t + p.s, p.e - p.s)) {
                    name = p;
                    if (rest.e > rest.s && piece_rule(x, RK_CELL_ROLE, rest, &gs, &ge, G_ROLE) && nroles < 6) {
                        roles[nroles] = t + rest.s + gs;
                        rolel[nroles++] = ge - gs;
                    }
                    continue;
                }
            } else {
                continue;
            }
        }
        p.e = extract_trim(t, &p.s, p.e);
        if (p.e <= p.s) continue;
        if (piece_rule(x, RK_CELL_ROLE, p, &gs, &ge, G_ROLE)) {
            if (nroles < 6) { roles[nroles] = t + p.s + gs; rolel[nroles++] = ge - gs; }
            continue;
        }
        if (!name.e) {
            if (extract_is_name(x, t + p.s, p.e - p.s)) { name = p; continue; }
            if (piece_rule(x, RK_CELL_NOISE, p, NULL, NULL, G_AT)) continue;
            continue;   /* a leading cell that is neither a role nor a name (a number, a label) */
        }
        if (piece_rule(x, RK_CELL_NOISE, p, NULL, NULL, G_AT)) continue;
        /* after the name: a capitalised piece is the organisation, anything else a title */
        if (!text_upper_at(t + p.s, t + p.e)) {
            if (nroles < 6 && words_in(t + p.s, p.e - p.s) <= 4) { roles[nroles] = t + p.s; rolel[nroles++] = p.e - p.s; }
        } else if (!org.e) {
            org = p;
        }
    }
    if (has_mark) *has_mark = present || absent;
    if (absent || !name.e || (need_mark && !present)) return 0;
    person *pp = find_person(x, t + name.s, name.e - name.s);
    if (!pp) {
        pp = PUSH(x, x->people);
        if (!pp) return 0;
        pp->name = pool_clean(x, name.s, name.e);
        pp->org = pp->role = pp->arrived = pp->left = pp->party = str_null();
        pp->s = pc[0].s;
        pp->e = pc[np - 1].e;
    }
    if (org.e && pp->org.off == STR_NULL) pp->org = pool_clean(x, org.s, org.e);
    for (size_t i = 0; i < nroles; i++) extract_add_role(x, pp, roles[i], rolel[i]);
    if (!nroles && block_role.off != STR_NULL && pp->role.off == STR_NULL)
        extract_add_role(x, pp, pool_at(x, block_role), block_role.len);
    if (arrived.off != STR_NULL) pp->arrived = arrived;
    if (left.off != STR_NULL) pp->left = left;
    if (party.off != STR_NULL) pp->party = party;
    return 1;
}

/* Several people on one line ("A, B, C"): every piece is a name (a party or a note may follow). */
static int all_names(pk_extractor *x, const piece *pc, size_t np)
{
    if (np < 2) return 0;
    for (size_t i = 0; i < np; i++) {
        piece p = pc[i];
        size_t gs, ge;
        const rule *r = rules_first(&x->rs, RK_CELL_PARTY, x->text + p.s, p.e - p.s, 0);
        (void)gs; (void)ge;
        if (r) {
            size_t ms, me;
            rules_span(&x->rs, &ms, &me);
            if (ms > 0) p.e = p.s + (uint32_t)ms;
        }
        p.e = extract_trim(x->text, &p.s, p.e);
        if (!extract_is_name(x, x->text + p.s, p.e - p.s)) return 0;
    }
    return 1;
}

/* Does a row carry a presence mark ("Ja", "Nej", "Vakant")? */
static int row_has_mark(pk_extractor *x, const piece *pc, size_t np)
{
    for (size_t i = 0; i < np; i++)
        if (piece_rule(x, RK_CELL_PRESENT, pc[i], NULL, NULL, G_AT) || piece_rule(x, RK_CELL_ABSENT, pc[i], NULL, NULL, G_AT))
            return 1;
    return 0;
}

/* The cells of a row, with commas inside cells separating attributes. */
static size_t row_pieces(pk_extractor *x, uint32_t s, uint32_t e, piece *out)
{
    piece cells[MAX_PIECES];
    size_t nc = split_pieces(x, s, e, 0, cells, MAX_PIECES), n = 0;
    for (size_t k = 0; k < nc && n < MAX_PIECES; k++) {
        piece inner[MAX_PIECES];
        size_t ni = split_pieces(x, cells[k].s, cells[k].e, 1, inner, MAX_PIECES);
        for (size_t m = 0; m < ni && n < MAX_PIECES; m++) out[n++] = inner[m];
    }
    return n;
}

static void read_block(pk_extractor *x, const people_block *b)
{
    const line *v = x->lines.v;
    piece pc[MAX_PIECES];
    /* a presence column: when some rows say "Ja", rows without a "Ja" are not present */
    int marks = 0;
    for (uint32_t i = b->l0; i < b->l1 && !marks; i++) {
        const line *L = &v[i];
        if (L->type != LT_ROW || (L->flags & LF_SKIP)) continue;
        uint32_t s = i == b->label_line ? L->rest : L->cs;
        if (!s) continue;
        size_t np = row_pieces(x, s, L->e, pc);
        marks = row_has_mark(x, pc, np);
    }
    for (uint32_t i = b->l0; i < b->l1; i++) {
        const line *L = &v[i];
        if (L->type == LT_BLANK || L->type == LT_HEADING || (L->flags & LF_SKIP)) continue;
        uint32_t s = L->cs;
        if (i == b->label_line) {
            if (!L->rest) continue;
            s = L->rest;
        }
        if (L->type == LT_ROW) {
            /* a row is one person */
            size_t np = row_pieces(x, s, L->e, pc);
            read_person(x, pc, np, b->role, marks, NULL);
        } else {
            size_t np = split_pieces(x, s, L->e, 1, pc, MAX_PIECES);
            if (all_names(x, pc, np)) {
                for (size_t k = 0; k < np; k++) read_person(x, &pc[k], 1, b->role, 0, NULL);
            } else {
                read_person(x, pc, np, b->role, 0, NULL);
            }
        }
        if (x->oom) return;
    }
}

static void find_participants(pk_extractor *x)
{
    int any = 0;
    for (size_t i = 0; i < x->pblocks.n; i++) {
        if (!x->pblocks.v[i].present) continue;
        read_block(x, &x->pblocks.v[i]);
        any = 1;
    }
    if (any) return;
    /* no labelled list: a table of names with a presence column at the top ("Anna<TAB>Ja") */
    piece pc[MAX_PIECES];
    size_t n0 = x->people.n;
    int rows = 0;
    for (uint32_t i = 0; i < x->header_end && i < x->lines.n; i++) {
        const line *L = &x->lines.v[i];
        if (L->type != LT_ROW || (L->flags & (LF_SKIP | LF_PEOPLE))) continue;
        size_t np = row_pieces(x, L->cs, L->e, pc);
        if (!row_has_mark(x, pc, np)) continue;
        size_t before = x->people.n;
        read_person(x, pc, np, str_null(), 1, NULL);
        if (x->people.n > before) rows++;
        rows += 0;
    }
    if (rows < 2) x->people.n = n0;
}

/* ---- signatures ---- */

static int sig_label(pk_extractor *x, piece p, int *what, size_t *ns, size_t *ne)
{
    static const rule_kind kinds[3] = {RK_SIG_RECORDED, RK_SIG_APPROVED, RK_SIG_OTHER};
    if (p.e <= p.s || p.e - p.s > 80) return 0;
    /* one test of the first byte for all three kinds */
    uint64_t want = 1ULL << RK_SIG_RECORDED | 1ULL << RK_SIG_APPROVED | 1ULL << RK_SIG_OTHER;
    if (!(x->rs.byte_kinds[(uint8_t)x->text[p.s]] & want)) return 0;
    for (int k = 0; k < 3; k++) {
        const rule *r = rules_first(&x->rs, kinds[k], x->text + p.s, p.e - p.s, 0);
        if (!r) continue;
        size_t ms, me;
        rules_span(&x->rs, &ms, &me);
        *ns = *ne = 0;
        if (rules_group(&x->rs, r, G_NAME, ns, ne) && *ne > *ns) { *what = k + 1; return 2; }
        if (me != p.e - p.s) continue;
        *what = k + 1;
        return 1;
    }
    return 0;
}

/* Add a signer: what 1 = recorded_by, 2 = an approver.  Names from elections count only when no
 * signature table gave that field. */
void extract_add_signer_text(pk_extractor *x, int what, const char *p, size_t n, int from_election)
{
    record *r = &x->rec;
    if (!n || n > 200) return;
    char nm[201];
    memcpy(nm, p, n);   /* p may point into the pool, which grows below */
    if (what == 1) {
        if (r->recorded_by.off != STR_NULL && (from_election || !r->recorded_from_election)) return;
        r->recorded_by = pool_put(x, nm, n);
        r->recorded_from_election = from_election;
        return;
    }
    if (what != 2) return;
    if (r->approved.off != STR_NULL && from_election && !r->approved_from_election) return;
    if (r->approved.off != STR_NULL && !from_election && r->approved_from_election) r->approved = str_null();
    r->approved_from_election = from_election;
    if (r->approved.off == STR_NULL) { r->approved = pool_put(x, nm, n); return; }
    /* add to the '\n'-joined list unless present */
    const char *cur = pool_at(x, r->approved);
    for (const char *q = cur; *q;) {
        const char *sep = strchr(q, '\n');
        size_t l = sep ? (size_t)(sep - q) : strlen(q);
        if (l == n && memcmp(q, nm, l) == 0) return;
        if (!sep) break;
        q = sep + 1;
    }
    size_t ol = r->approved.len;
    char *tmp = pk_malloc(ol + n + 2);
    if (!tmp) { x->oom = 1; return; }
    memcpy(tmp, cur, ol);
    tmp[ol] = '\n';
    memcpy(tmp + ol + 1, nm, n);
    r->approved = pool_put(x, tmp, ol + 1 + n);
    pk_free(tmp);
}

static void add_signer(pk_extractor *x, int what, uint32_t s, uint32_t e)
{
    e = extract_trim(x->text, &s, e);
    if (e <= s || !extract_is_name(x, x->text + s, e - s)) return;
    if (rules_first(&x->rs, RK_CELL_ABSENT, x->text + s, e - s, 0)) return;   /* "Vakant" */
    str nm = pool_clean(x, s, e);
    if (nm.off == STR_NULL) return;
    extract_add_signer_text(x, what, pool_at(x, nm), nm.len, 0);
}

static int is_rule_line(const pk_extractor *x, const line *L)
{
    /* "______" or "..........": a place to sign */
    for (uint32_t i = L->cs; i < L->e; i++) {
        char c = x->text[i];
        if (c != '_' && c != '.' && c != ' ' && c != '\t' && c != '-') return 0;
    }
    return 1;
}

static void find_signatures(pk_extractor *x)
{
    piece pc[MAX_PIECES], nx[MAX_PIECES];
    line *v = x->lines.v;
    for (uint32_t i = 0; i < x->lines.n; i++) {
        line *L = &v[i];
        if ((L->type != LT_ROW && L->type != LT_TEXT) || (L->flags & (LF_SKIP | LF_PEOPLE)) || L->e - L->cs > 300) continue;
        /* a text line is a signature label only when short; a row's cells are tested one by one */
        if (L->type == LT_TEXT && L->e - L->cs > 60 && !memchr(x->text + L->cs, ':', L->e - L->cs < 40 ? L->e - L->cs : 40)) continue;
        size_t np = split_pieces(x, L->cs, L->e, 0, pc, MAX_PIECES);
        int whats[MAX_PIECES] = {0};
        int labels = 0, wanted = 0;
        for (size_t k = 0; k < np; k++) {
            size_t ns, ne;
            int w = 0;
            int kind = sig_label(x, pc[k], &w, &ns, &ne);
            if (!kind) continue;
            if (kind == 2) {   /* "Vid protokollet: Anna Andersson", "Justeras: A och B" */
                name_part np2[8];
                size_t nparts = extract_split_names(x->text + pc[k].s + ns, ne - ns, np2, 8);
                for (size_t m = 0; m < nparts; m++)
                    add_signer(x, w, (uint32_t)(np2[m].p - x->text), (uint32_t)(np2[m].p - x->text + np2[m].n));
                L->flags |= LF_SIG;
                continue;
            }
            whats[k] = w;
            labels++;
            if (w != 3) wanted++;
        }
        if (!wanted) continue;
        L->flags |= LF_SIG;
        /* "Sekreterare<TAB>Lars Lund": the value in the next cell of the same row */
        int inrow = 0;
        for (size_t k = 0; k + 1 < np; k++) {
            if (!whats[k] || whats[k + 1]) continue;
            if (extract_is_name(x, x->text + pc[k + 1].s, pc[k + 1].e - pc[k + 1].s)) {
                if (whats[k] != 3) add_signer(x, whats[k], pc[k + 1].s, pc[k + 1].e);
                inrow = 1;
            }
        }
        if (inrow) continue;
        /* a row of labels: the names stand below, column by column */
        uint32_t j = i + 1;
        int tries = 0;
        while (j < x->lines.n && tries < 4) {
            const line *M = &v[j];
            if (M->type == LT_BLANK || (M->flags & LF_SKIP) || is_rule_line(x, M)) { j++; tries++; continue; }
            break;
        }
        if (j >= x->lines.n) continue;
        const line *M = &v[j];
        if (M->type != LT_ROW && M->type != LT_TEXT) continue;
        size_t nn = split_pieces(x, M->cs, M->e, 0, nx, MAX_PIECES);
        if (np == 1 && nn >= 1) {
            /* one label over one name (or a list "A, B") */
            piece sub[MAX_PIECES];
            size_t ns = split_pieces(x, nx[0].s, nx[0].e, 1, sub, MAX_PIECES);
            for (size_t k = 0; k < ns; k++) add_signer(x, whats[0], sub[k].s, sub[k].e);
        } else {
            for (size_t k = 0; k < np && k < nn; k++)
                if (whats[k] && whats[k] != 3) add_signer(x, whats[k], nx[k].s, nx[k].e);
        }
        v[j].flags |= LF_SIG;
    }
}

void extract_people(pk_extractor *x)
{
    find_participants(x);
    if (x->oom) return;
    find_signatures(x);
}

/* ---- the meeting: title, body, date, times, place ---- */

/* "17.18", "17:18", "kl 8" -> hours and minutes. */
int extract_parse_clock(const char *p, size_t n, int *h, int *m)
{
    size_t i = 0;
    int a = 0, b = 0, k = 0;
    while (i < n && !is_ascii_digit(p[i])) i++;
    while (i < n && is_ascii_digit(p[i]) && k < 3) { a = a * 10 + (p[i++] - '0'); k++; }
    if (k == 0 || k > 2 || a > 24) return 0;
    if (i + 2 < n && (p[i] == '.' || p[i] == ':') && is_ascii_digit(p[i + 1]) && is_ascii_digit(p[i + 2])) {
        b = (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
        if (b >= 60) return 0;
    } else if (i + 2 == n && (p[i] == '.' || p[i] == ':')) {
        return 0;
    }
    *h = a;
    *m = b;
    return 1;
}

/* Date and times from a "when" text ("Fredagen den 20 augusti 2021 kl 8.30-10.15"). */
static void read_when(pk_extractor *x, uint32_t s, uint32_t e, int prio)
{
    record *r = &x->rec;
    const char *t = x->text + s;
    size_t n = e - s;
    date_match dm;
    if (r->date == PK_NODATE && date_find(t, n, 0, DATE_F_NUMERIC, &dm) && dm.y) {
        r->date = date_days(dm.y, dm.m, dm.d);
        r->date_src = DATE_SRC_TEXT;
    }
    time_match tm;
    size_t from = 0;
    while (time_find(t, n, from, &tm)) {
        /* a date such as 2021-08-20 is no time; time_find only takes bare H:MM or kl H.MM */
        if (prio > r->start_prio) { r->h1 = tm.h1; r->m1 = tm.m1; r->start_prio = prio; }
        if (tm.h2 >= 0 && prio > r->end_prio) { r->h2 = tm.h2; r->m2 = tm.m2; r->end_prio = prio; }
        break;
    }
}

static void set_body_from_title(pk_extractor *x)
{
    record *r = &x->rec;
    if (r->body.off != STR_NULL || r->title.off == STR_NULL) return;
    const char *t = pool_at(x, r->title);
    size_t n;
    const rule *rl = rules_of(&x->rs, RK_BODY_TITLE, &n);
    for (size_t i = 0; i < n; i++) {
        if (!rules_match(&x->rs, &rl[i], t, r->title.len, 0, 0)) continue;
        size_t s, e;
        if (!rules_group(&x->rs, &rl[i], G_BODY, &s, &e) || e <= s) continue;
        /* copy first: the pool may move while we add to it */
        char tmp[256];
        size_t l = e - s < sizeof tmp ? e - s : sizeof tmp - 1;
        while (l < e - s && l && ((unsigned char)t[s + l] & 0xC0) == 0x80) l--;   /* whole characters */
        memcpy(tmp, t + s, l);
        while (l && (tmp[l - 1] == ' ' || tmp[l - 1] == ',' || tmp[l - 1] == ':')) l--;
        if (l) r->body = pool_put(x, tmp, l);
        return;
    }
}

void extract_meeting(pk_extractor *x, const pk_doc *doc)
{
    record *r = &x->rec;
    line *v = x->lines.v;
    const char *t = x->text;
    size_t nkey;
    const rule *keys = rules_of(&x->rs, RK_KEY, &nkey);
    int any_anywhere = 0;
    for (size_t k = 0; k < nkey; k++) any_anywhere |= (keys[k].flags & RF_ANYWHERE) != 0;
    /* the header as far as meeting data goes: the lines before the first item, at most 120 */
    uint32_t hlim = x->header_end < 120 ? x->header_end : 120;
    /* key lines: in the header, and page headers anywhere for rules marked so */
    for (uint32_t i = 0; i < x->lines.n; i++) {
        line *L = &v[i];
        int header = i < hlim;
        if (!header && !any_anywhere) break;
        if (L->type == LT_BLANK || L->type == LT_LIST || L->e - L->cs > 300) continue;
        if (!header && L->type == LT_HEADING) continue;
        if (!rules_lead_may(&x->key_leads, t + L->cs, L->e - L->cs)) continue;
        for (size_t k = 0; k < nkey; k++) {
            if (!header && !(keys[k].flags & RF_ANYWHERE)) continue;
            if (!rules_match(&x->rs, &keys[k], t + L->cs, L->e - L->cs, 0, 0)) continue;
            size_t s, e;
            uint32_t b = L->cs;
            if (!(L->flags & LF_SKIP)) L->flags |= LF_KEY;
            if (rules_group(&x->rs, &keys[k], G_TITLE, &s, &e) && e > s && r->title.off == STR_NULL)
                r->title = pool_clean(x, b + (uint32_t)s, b + (uint32_t)e);
            if (rules_group(&x->rs, &keys[k], G_BODY, &s, &e) && e > s && r->body.off == STR_NULL)
                r->body = pool_clean(x, b + (uint32_t)s, b + (uint32_t)e);
            if (rules_group(&x->rs, &keys[k], G_PLACE, &s, &e) && e > s && r->place.off == STR_NULL) {
                uint32_t ps = b + (uint32_t)s, pe = b + (uint32_t)e;
                while (pe > ps && (t[pe - 1] == ',' || t[pe - 1] == ' ' || t[pe - 1] == '\t')) pe--;
                if (pe > ps) r->place = pool_clean(x, ps, pe);
            }
            if (rules_group(&x->rs, &keys[k], G_WHEN, &s, &e) && e > s) read_when(x, b + (uint32_t)s, b + (uint32_t)e, 1);
            if (rules_group(&x->rs, &keys[k], G_DATE, &s, &e) && e > s) read_when(x, b + (uint32_t)s, b + (uint32_t)e, 1);
            if (rules_group(&x->rs, &keys[k], G_TIME, &s, &e) && e > s) {
                int h, m;
                if (extract_parse_clock(t + b + s, e - s, &h, &m) && r->start_prio < 1) { r->h1 = h; r->m1 = m; r->start_prio = 1; }
            }
            break;
        }
    }
    /* the title: a title heading, else the first line if it reads like one */
    if (r->title.off == STR_NULL) {
        for (uint32_t i = 0; i < x->lines.n; i++) {
            line *L = &v[i];
            if (L->type == LT_BLANK || (L->flags & LF_SKIP)) continue;
            if (L->flags & LF_TITLE) { r->title = pool_clean(x, L->cs, L->e); break; }
            if ((i >= x->header_end && x->header_end > 0) || i >= 120) break;
            if (L->type == LT_HEADING && !L->label && !(L->flags & LF_META)) { L->flags |= LF_TITLE; r->title = pool_clean(x, L->cs, L->e); break; }
            if (L->type == LT_TEXT && !L->label && !(L->flags & (LF_KEY | LF_ITEM | LF_PEOPLE)) && L->e - L->cs <= 150 &&
                t[L->e - 1] != '.' && !rules_first(&x->rs, RK_TITLE_SKIP, t + L->cs, L->e - L->cs, 0)) {
                L->flags |= LF_TITLE;
                r->title = pool_clean(x, L->cs, L->e);
            }
            break;
        }
    }
    set_body_from_title(x);
    /* a title that is only a body's name ("Kommunstyrelsen") */
    if (r->body.off == STR_NULL && r->title.off != STR_NULL &&
        rules_first(&x->rs, RK_BODY_WORD, pool_at(x, r->title), r->title.len, 0))
        r->body = r->title;
    /* header lines that are only a date, then a body line such as "## LiTHe kod" */
    for (uint32_t i = 0; i < hlim && i < x->lines.n; i++) {
        line *L = &v[i];
        if (L->type == LT_BLANK || (L->flags & (LF_SKIP | LF_TITLE | LF_KEY | LF_PEOPLE | LF_SIG)) || L->label) continue;
        if (L->type != LT_HEADING && L->type != LT_TEXT) continue;
        date_match dm;
        if (text_has_digit(t + L->cs, L->e - L->cs) && date_find(t + L->cs, L->e - L->cs, 0, DATE_F_NUMERIC, &dm) && dm.y) {
            if (r->date == PK_NODATE && dm.end == L->e - L->cs) {
                r->date = date_days(dm.y, dm.m, dm.d);
                r->date_src = DATE_SRC_TEXT;
            }
            continue;
        }
        if (L->type == LT_HEADING && (L->flags & LF_META) && r->body.off == STR_NULL && L->e - L->cs <= 60)
            r->body = pool_clean(x, L->cs, L->e);
        /* a header line that is a body's name ("Tekniska nämnden") */
        if (L->type == LT_TEXT && r->body.off == STR_NULL && L->e - L->cs <= 60 &&
            rules_first(&x->rs, RK_BODY_WORD, t + L->cs, L->e - L->cs, 0))
            r->body = pool_clean(x, L->cs, L->e);
    }
    if (r->date == PK_NODATE) {
        /* a confident date anywhere in the header */
        for (uint32_t i = 0; i < hlim && i < x->lines.n && r->date == PK_NODATE; i++) {
            const line *L = &v[i];
            if (L->type == LT_BLANK || (L->flags & (LF_PEOPLE | LF_SIG))) continue;
            date_match dm;
            if (text_has_digit(t + L->cs, L->e - L->cs) && date_find(t + L->cs, L->e - L->cs, 0, 0, &dm) && dm.y && dm.full) {
                r->date = date_days(dm.y, dm.m, dm.d);
                r->date_src = DATE_SRC_TEXT;
            }
        }
    }
    if (r->date == PK_NODATE && doc->path) {
        /* a date in the file name (2026-09-30, 20260930) */
        const char *base = strrchr(doc->path, '/');
        base = base ? base + 1 : doc->path;
        date_match dm;
        size_t bl = strlen(base), from = 0;
        while (r->date == PK_NODATE && date_find(base, bl, from, DATE_F_COMPACT, &dm)) {
            from = dm.end;
            if (dm.y && dm.full) { r->date = date_days(dm.y, dm.m, dm.d); r->date_src = DATE_SRC_FILENAME; }
        }
    }
    if (r->date == PK_NODATE && doc->date != PK_NODATE) {
        /* the reader's own choice from the text or the folder's name */
        r->date = doc->date;
        r->date_src = DATE_SRC_READER;
    }
    if (r->date == PK_NODATE) warn(x, "no meeting date found");
    if (r->body.off == STR_NULL && x->page_body.off != STR_NULL) r->body = x->page_body;

    /* when the meeting was opened and closed, as the minutes record it */
    /* keyed rules try only where their key occurs (the time may follow on the next line) */
    static const rule_kind oc[2] = {RK_OPENED, RK_CLOSED};
    for (int k = 0; k < 2; k++) {
        size_t n;
        const rule *rl = rules_of(&x->rs, oc[k], &n);
        uint32_t first = (uint32_t)(rl - x->rs.rules);
        int done = 0;
        for (size_t hi = 0; hi < x->hits.n && !done; hi++) {
            uint32_t ri = x->hits.v[hi].rule;
            if (ri < first || ri >= first + n) continue;
            uint32_t p0 = x->lines.v[extract_line_at(x, x->hits.v[hi].pos)].s;
            if (x->hits.v[hi].pos - p0 > 48) p0 = x->hits.v[hi].pos - 48;
            size_t lim = (size_t)x->hits.v[hi].pos + 80 < x->len ? (size_t)x->hits.v[hi].pos + 80 : x->len;
            /* on character boundaries: PCRE2 is told not to check UTF-8 */
            while (p0 < x->hits.v[hi].pos && ((uint8_t)t[p0] & 0xC0) == 0x80) p0++;
            while (lim < x->len && ((uint8_t)t[lim] & 0xC0) == 0x80) lim++;
            const rule *rr = &x->rs.rules[ri];
            if (!rules_match_upto(&x->rs, rr, t, lim, p0, x->hits.v[hi].pos)) continue;
            size_t s, e;
            int h, m;
            if (!rules_group(&x->rs, rr, G_TIME, &s, &e) || !extract_parse_clock(t + s, e - s, &h, &m)) continue;
            if (k == 0 && r->start_prio < 2) { r->h1 = h; r->m1 = m; r->start_prio = 2; }
            if (k == 1 && r->end_prio < 2) { r->h2 = h; r->m2 = m; r->end_prio = 2; }
            done = 1;
        }
        for (size_t i = 0; i < n && !done; i++) {
            if (rl[i].keyed || !rules_match(&x->rs, &rl[i], t, x->len, 0, 0)) continue;
            size_t s, e;
            int h, m;
            if (!rules_group(&x->rs, &rl[i], G_TIME, &s, &e) || !extract_parse_clock(t + s, e - s, &h, &m)) continue;
            if (k == 0 && r->start_prio < 2) { r->h1 = h; r->m1 = m; r->start_prio = 2; }
            if (k == 1 && r->end_prio < 2) { r->h2 = h; r->m2 = m; r->end_prio = 2; }
            done = 1;
        }
    }
}
