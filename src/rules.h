/* rules.h — extraction rules as data: the rule-file parser and PCRE2 (JIT) compilation.
 *
 * A rule file holds named PCRE2 patterns (docs/RULES.md).  Each rule belongs to a kind that says
 * where the extractor applies it (to a line, a table cell, a sentence, the title) and which named
 * groups it reads.  Several rules may share a kind; they are tried in file order.  Everything is
 * compiled once per rule set with JIT; matching reuses one match-data block and never re-checks
 * the subject's UTF-8 (the caller validates it once). */
#ifndef PK_RULES_H
#define PK_RULES_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Rule kinds.  The names in rules.c's table are what a rule file writes before the first '.'
 * or '='; keep the two in the same order. */
typedef enum rule_kind {
    RK_SKIP = 0,          /* line: page headers and footers, dropped from the structure */
    RK_KEY,               /* line: meeting key lines (groups when, date, time, place, title, body) */
    RK_TITLE_SKIP,        /* line: lines at the top that are never the title (document type words) */
    RK_ITEM_SECTION,      /* line: "§ 12 ..." item starts (groups number, title) */
    RK_ITEM_NUMBERED,     /* line: "3. Title" item starts (groups number, title) */
    RK_HEADING_SKIP,      /* heading: headings that are neither agenda items nor blocks */
    RK_BLOCK_DECISION,    /* label: a decision block ("Beslut"); group rest */
    RK_BLOCK_PROPOSAL,    /* label: a proposal block ("Förslag till beslut"); group rest */
    RK_BLOCK_OTHER,       /* label: any other block of an item ("Beslutsunderlag"); group rest */
    RK_PRESENT,           /* label: a list of people present; groups rest, role */
    RK_ABSENT,            /* label: a list of people not present (Kallade, Frånvarande) */
    RK_SIG_RECORDED,      /* label: who kept the minutes; group name */
    RK_SIG_APPROVED,      /* label: who approves (justerar); group name */
    RK_SIG_OTHER,         /* label: other signing roles (Ordförande) that occupy a column */
    RK_SIG_SECTION,       /* label: start of a signature block (Underskrifter) */
    RK_OPENED,            /* sentence: the meeting was opened at (group time) */
    RK_CLOSED,            /* sentence: the meeting was closed at (group time) */
    RK_CELL_PRESENT,      /* cell: presence marks meaning "present" (Ja, x) */
    RK_CELL_ABSENT,       /* cell: presence marks meaning "not present" (Nej, Vakant) */
    RK_CELL_ROLE,         /* cell: a role (group role, else the whole match) */
    RK_CELL_ARRIVED,      /* cell: arrival (group at) */
    RK_CELL_LEFT,         /* cell: departure (group at) */
    RK_CELL_RANGE,        /* cell: present for items (groups from, to) */
    RK_CELL_PARTY,        /* cell: party abbreviation (group party) */
    RK_CELL_NOISE,        /* cell: words to drop from a cell before reading a name */
    RK_NAME,              /* cell: what a person's name looks like (whole cell) */
    RK_DECISION,          /* sentence: an explicit decision (group text) */
    RK_DECISION_REF,      /* sentence: a decision that refers to proposals (groups n, ord, all, verb) */
    RK_FOLLOWUP,          /* sentence: a follow-up (groups owners, text, due) */
    RK_OWNER,             /* cell: words that may own a follow-up although they are not names */
    RK_UPCOMING_LINE,     /* line: "2 september: Möte ..." (groups date, time, text) */
    RK_UPCOMING,          /* sentence: a planned meeting (groups date, time, text) */
    RK_MEETING_WORD,      /* sentence: words that make a dated sentence a meeting */
    RK_ELECTION,          /* sentence: "X väljs till Y" (groups names, role) */
    RK_BODY_TITLE,        /* title: the body inside the title (group body) */
    RK_BODY_WORD,         /* cell: a name of a body (kommunstyrelsen, styrelsen) */
    RK_TITLE_TRAILER,     /* title: trailing words to drop from a heading title */
    RK_OUTLINE_HEADING,   /* heading: a heading whose top-level bullets are agenda items */
    RK_TITLE_CONT,        /* line: a title line ending so that the title goes on ("... och") */
    RK_ABBREV,            /* word: an abbreviation whose period does not end a sentence */
    RK_TEMPLATE,          /* line: a template's own label ("attSatser:") that introduces content; dropped */
    RK_DEADLINE,          /* text before a date: the date is a deadline, not a meeting's */
    RK_COUNT
} rule_kind;

/* Named groups the extractor reads. */
typedef enum rule_group {
    G_NUMBER = 0, G_TITLE, G_TEXT, G_OWNERS, G_DUE, G_DATE, G_WHEN, G_TIME, G_PLACE, G_BODY,
    G_NAME, G_NAMES, G_ROLE, G_AT, G_FROM, G_TO, G_N, G_ORD, G_ALL, G_VERB, G_REST, G_PARTY, G_KEY,
    G_COUNT
} rule_group;

typedef struct rule {
    char        *name;        /* as written: "decision" or "decision.valjs" */
    rule_kind    kind;
    unsigned     flags;       /* RF_* */
    pcre2_code  *code;
    int          jit;         /* 1 when JIT-compiled */
    const char  *file;        /* borrowed from the rule set's file list */
    int          line;
    int16_t      grp[G_COUNT];/* group number per rule_group, -1 when the pattern lacks it */
    int          keyed;       /* 1: its (?<key>...) group gave literal prefixes (see rules_scan) */
    int          key_first;   /* the pattern starts with its key: a match starts where the key does */
    char        *pattern;     /* the pattern as compiled (macros expanded) */
    uint32_t     popts;       /* its PCRE2 options without the kind's anchoring */
    uint32_t     minlen;      /* shortest subject it can match */
    int          req;         /* a byte every match holds (PCRE2's last literal), or -1 */
    int          endc;        /* whole-subject rules: the byte a match must end with, or -1 */
    int          has_first;   /* anchored rules: first[] holds the bytes a match can start with */
    uint8_t      first[32];
    int          lead_ok;     /* anchored rules that start with literals: hashes of their leads */
    uint64_t     lead2[64], lead3[64], lead4[64];
} rule;

enum {
    RF_ANYWHERE = 1u << 0     /* a key rule that also counts after the header (page headers) */
};

typedef struct ruleset {
    rule     *rules;
    size_t    n, cap;
    uint32_t  kind_start[RK_COUNT + 1];   /* rules sorted stably by kind: [kind_start[k], kind_start[k+1]) */
    char    **files;
    size_t    nfiles;
    pcre2_general_context *gctx;
    pcre2_compile_context *cctx;
    pcre2_match_context   *mctx;
    pcre2_match_data      *md;
    pcre2_match_context   *mctx_lim;   /* the same limits, plus an offset limit per call */
    pcre2_jit_stack       *jstack;
    /* the literal prefixes of the sentence rules' keys, case-folded, sorted by their first two bytes */
    struct rule_lit       *lits;
    size_t                 nlits;
    struct lit_slot { uint32_t key, first, count; } *lit_slots;   /* by the first four folded bytes */
    uint32_t              *lit_list;          /* literal numbers, listed by the slots */
    uint32_t               lit_cap;           /* slots (a power of two) */
    uint64_t               lit_quad[1024];    /* bit set of a hash of their first four bytes */
    uint64_t               lit_quad2[1024];   /* the same with a second hash */
    uint64_t               lit_tri[1024];     /* the same of three bytes, for three-byte literals */
    int                    lit_use_tri;       /* some three-byte literal may end in a letter */
    uint64_t               lit_quad_mid[1024]; /* lit_quad of the literals that may start inside a word */
    uint64_t               lit_quint[1024];   /* bit set of a hash of the first five bytes (LIT_HASH5) */
    uint64_t               lit_short[1024];   /* lit_quad of the literals of four bytes or fewer */
    uint64_t               lit_or20[1024];    /* lit_quad of the raw bytes or 0x20 (the vector scan's first test) */
    uint64_t               lit_or20_mid[1024]; /* the same for the literals that may start inside a word */
    /* the vector scan (SSE2): usable when every word-initial literal starts with a letter and
     * the others are few; their first two folded bytes (each or 0x20: a superset) */
    int                    lit_simd;
    int                    lit_nmid;
    uint8_t                lit_mid[8][2];
    uint8_t   kind_first[RK_COUNT][32];       /* anchored kinds: bytes any of their rules can start with */
    uint8_t   kind_has_first[RK_COUNT];
    uint64_t  kind_lead2[RK_COUNT][64], kind_lead3[RK_COUNT][64], kind_lead4[RK_COUNT][64];   /* folded leads, hashed */
    uint8_t   kind_has_lead[RK_COUNT];
    uint64_t  byte_kinds[256];   /* per first byte: bit k when kind k has rules and one may start so */
    /* anchored kinds: all rules of the kind as one alternation (one call instead of one per rule);
     * NULL when the kind has one rule or its rules cannot be joined */
    rule     *combined[RK_COUNT];
    uint64_t  limit_hits;     /* matches abandoned at the match limit */
} ruleset;

/* Load rules from a file, or from every .rules file of a folder (in sorted order), or (path NULL)
 * from the built-in default rules.  On failure the message names file, line and PCRE2's message
 * with its offset; the set is left empty.  PK_ESYNTAX for a bad rule, PK_ENOENT/PK_EIO for files,
 * PK_ENOMEM. */
pk_status rules_load(ruleset *rs, const char *path, pk_msg *msg);

/* Parse and compile one rule text (used by rules_load and tests).  name names it in messages. */
pk_status rules_load_text(ruleset *rs, const char *name, const char *text, size_t n, pk_msg *msg);

/* Sort by kind, create the match data.  Called by rules_load; call after rules_load_text. */
pk_status rules_finish(ruleset *rs, pk_msg *msg);

void rules_free(ruleset *rs);

/* Case-fold text for rules_scan: ASCII and the Latin-1 range of UTF-8 to lower case, white space
 * to ' '; dst has n bytes and keeps every offset. */
void rules_fold(const char *src, size_t n, uint8_t *dst);

/* One place where a rule's key literal occurs. */
typedef struct rule_hit { uint32_t pos; uint32_t rule; } rule_hit;

/* Find every key literal of the keyed sentence rules in the text (folded as it goes), in text order; hits are
 * appended through push (which returns 0 on allocation failure).  A hit is a necessary condition
 * for the rule to match in the sentence around it. */
int rules_scan(const ruleset *rs, const uint8_t *folded, size_t n, int (*push)(void *ud, rule_hit h), void *ud);

/* The rules of a kind. */
static inline const rule *rules_of(const ruleset *rs, rule_kind k, size_t *n)
{
    *n = rs->kind_start[k + 1] - rs->kind_start[k];
    return rs->rules + rs->kind_start[k];
}

/* Match r against subj[0..len) starting at `start`; opts are PCRE2 match options
 * (PCRE2_ANCHORED ...).  Returns 1 on a match (ovector in rs->md), 0 otherwise.  The subject must
 * be valid UTF-8; it is not re-checked. */
int rules_match(ruleset *rs, const rule *r, const char *subj, size_t len, size_t start, uint32_t opts);

/* Like rules_match, but a match must start at or before byte `limit` (sentence kinds only: they
 * are compiled to allow it).  Lets a rule search a window around its key without trying starts
 * after the key. */
int rules_match_upto(ruleset *rs, const rule *r, const char *subj, size_t len, size_t start, size_t limit);

/* After a match: the span of group g (1 when set, with byte offsets in s and e), or 0 when unset/absent. */
int rules_group(const ruleset *rs, const rule *r, rule_group g, size_t *s, size_t *e);
/* The span of the whole match. */
void rules_span(const ruleset *rs, size_t *s, size_t *e);

/* First rule of kind k that matches subj anchored at 0 (and, with whole, ends at len).
 * Returns the rule (for an anchored kind possibly the kind's combined rule, whose groups read the
 * same way) or NULL. */
/* Inline: most subjects are turned away by the quick test, without a call. */
static inline const rule *rules_first(ruleset *rs, rule_kind k, const char *subj, size_t len, int whole);

/* The fold of the key scan and the leads (ASCII upper to lower case, white space to ' ', the
 * Latin-1 capitals' continuation bytes to the small letters'). */
extern const uint8_t rules_fold_tab[256];

/* Do the first two, three or four folded bytes of u start one of the leads (hashed bit sets)? */
static inline int rules_lead_test(const uint64_t *l2, const uint64_t *l3, const uint64_t *l4, const uint8_t *u, size_t len)
{
#define RULES_LEAD_HASH(w) (((uint32_t)((uint32_t)(w) * 0x9E3779B1u) >> 16) & 4095)
    uint32_t w = (uint32_t)rules_fold_tab[u[0]] << 8 | rules_fold_tab[u[1]];
    uint32_t h = RULES_LEAD_HASH(w);
    if ((l2[h >> 6] >> (h & 63)) & 1) return 1;
    if (len < 3) return 0;
    w = w << 8 | rules_fold_tab[u[2]];
    h = RULES_LEAD_HASH(w);
    if ((l3[h >> 6] >> (h & 63)) & 1) return 1;
    if (len < 4) return 0;
    w = w << 8 | rules_fold_tab[u[3]];
    h = RULES_LEAD_HASH(w);
    return (l4[h >> 6] >> (h & 63)) & 1;
#undef RULES_LEAD_HASH
}

/* The quick test of rules_first alone: 0 when no rule of the anchored kind k can match subj at 0
 * (by first byte and lead), 1 when one might. */
static inline int rules_kind_may(const ruleset *rs, rule_kind k, const char *subj, size_t len)
{
    if (!len || !((rs->byte_kinds[(uint8_t)subj[0]] >> k) & 1)) return 0;
    if (rs->kind_has_lead[k] && len >= 2 &&
        !rules_lead_test(rs->kind_lead2[k], rs->kind_lead3[k], rs->kind_lead4[k], (const uint8_t *)subj, len))
        return 0;
    return 1;
}

/* rules_first past the quick test. */
const rule *rules_first_run(ruleset *rs, rule_kind k, const char *subj, size_t len, int whole);

static inline const rule *rules_first(ruleset *rs, rule_kind k, const char *subj, size_t len, int whole)
{
    return rules_kind_may(rs, k, subj, len) ? rules_first_run(rs, k, subj, len, whole) : NULL;
}

/* A quick test for several anchored kinds at once: 0 when no rule of any of them can match a
 * subject that starts like subj (by first byte and lead); 1 when one might. */
typedef struct rules_lead_set {
    uint8_t  first[32];
    uint64_t lead2[64], lead3[64], lead4[64];
    int      has_first, has_lead;
} rules_lead_set;
void rules_lead_union(const ruleset *rs, const rule_kind *kinds, size_t n, rules_lead_set *out);

static inline int rules_lead_may(const rules_lead_set *ls, const char *subj, size_t len)
{
    if (!len) return 0;
    const uint8_t *u = (const uint8_t *)subj;
    if (ls->has_first && !(ls->first[u[0] >> 3] & (1u << (u[0] & 7)))) return 0;
    if (ls->has_lead && len >= 2) return rules_lead_test(ls->lead2, ls->lead3, ls->lead4, u, len);
    return 1;
}

/* Name of a kind and of a group (for messages and docs). */
const char *rules_kind_name(rule_kind k);
const char *rules_group_name(rule_group g);

/* The built-in rules (src/rules_sv.c, generated from rules/sv.rules by rules/embed.sh). */
extern const char rules_sv_text[];
extern const size_t rules_sv_len;

#endif
