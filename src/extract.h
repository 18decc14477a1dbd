/* extract.h — the record model of one document and the extraction passes over its canonical text.
 *
 * The passes work on lines (the reader's canonical text is line-oriented: headings "# X", list
 * items "- x", TAB-separated rows), then on units (a paragraph, a list item, a row, a heading) and
 * sentences inside units.  Everything found is kept as byte spans into the text plus strings in a
 * per-document pool; the JSON record is built at the end.  Scratch memory lives in the extractor
 * and is reused from one document to the next. */
#ifndef PK_EXTRACT_H
#define PK_EXTRACT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "protokoll.h"
#include "rules.h"
#include "util.h"

/* A string in the document's pool: off == STR_NULL means null. */
typedef struct str { uint32_t off, len; } str;
#define STR_NULL UINT32_MAX

enum line_type { LT_BLANK = 0, LT_TEXT, LT_HEADING, LT_LIST, LT_ROW };

/* Line flags set by the passes. */
enum {
    LF_SKIP      = 1u << 0,   /* page header/footer (or blank next to one) */
    LF_HEADER    = 1u << 1,   /* before the first agenda item */
    LF_ITEM      = 1u << 2,   /* starts an agenda item (or continues its title) */
    LF_LABEL     = 1u << 3,   /* a block or list label */
    LF_PEOPLE    = 1u << 4,   /* inside a participants (or absent) list */
    LF_SIG       = 1u << 5,   /* inside the signature block */
    LF_DECISION  = 1u << 6,   /* inside a decision block */
    LF_PROPOSAL  = 1u << 7,   /* inside a proposal block */
    LF_OTHER     = 1u << 8,   /* inside another labelled block (Beslutsunderlag, Yrkanden ...) */
    LF_ACCEPTED  = 1u << 9,   /* a proposal att-sats that a decision accepted */
    LF_TITLE     = 1u << 10,  /* the document title */
    LF_KEY       = 1u << 11,  /* a meeting key line (Tid, Plats ...) */
    LF_META      = 1u << 12   /* another header line (body name, date line) */
};

/* What a label line introduces. */
enum label {
    LB_NONE = 0, LB_DECISION, LB_PROPOSAL, LB_OTHER, LB_PRESENT, LB_ABSENT,
    LB_SIG_SECTION, LB_SIG_RECORDED, LB_SIG_APPROVED, LB_SIG_OTHER
};

typedef struct line {
    uint32_t s, e;        /* the line without its "\n" */
    uint32_t cs;          /* content start: after indentation and "#"/"-" markers */
    uint32_t flags;       /* LF_* */
    uint32_t item;        /* agenda item index + 1, 0 before the first item */
    uint32_t unit;        /* unit index */
    uint32_t rest;        /* a label's own content ("Beslut: ...") starts here; 0 = none */
    uint8_t  type;        /* line_type */
    uint8_t  level;       /* heading level, or list depth (0 = top) */
    uint8_t  label;       /* enum label */
} line;

/* A list of people (present or not) under a label: lines [l0, l1). */
typedef struct people_block {
    uint32_t label_line, l0, l1;
    int      present;
    str      role;        /* a role the label gives everyone ("Tjänstgörande ersättare") */
} people_block;

/* A unit: one paragraph of text lines, or one list item, row or heading. */
typedef struct unit {
    uint32_t s, e;        /* content span */
    uint32_t l0, l1;      /* lines [l0, l1) */
} unit;

typedef struct item {
    str      number, title;
    uint32_t s, e;        /* span of the item's heading/title */
    uint32_t line;        /* line that starts it */
    uint32_t end_line;    /* first line after its body */
    int      level;       /* heading level or numbering depth */
} item;

typedef struct person {
    str      name, org, role, arrived, left, party;
    uint32_t s, e;
} person;

typedef struct decision {
    uint32_t item;        /* item index + 1, 0 = none */
    str      text;
    uint32_t s, e;
    uint32_t is, ie;      /* where the rest of text comes from (an introduction, a reference); ie = 0: none */
} decision;

typedef struct followup {
    uint32_t item;
    str      text;
    str      owners;      /* owner names joined by '\n', STR_NULL when none */
    int32_t  due;
    uint32_t s, e;
} followup;

typedef struct meeting_ref {
    int32_t  date;
    int      h1, m1, h2, m2;   /* -1 when unknown */
    str      text;
    uint32_t s, e;
} meeting_ref;

/* A proposal block's att-satser, for decisions that accept some of them. */
typedef struct proposal {
    uint32_t item;
    uint32_t first_line;       /* the proposal's label line */
    uint32_t nsats;
    uint32_t sat0;             /* index into the x->sats array */
} proposal;

typedef struct sat { uint32_t s, e, line0, line1; } sat;

#define VEC(T) struct { T *v; size_t n, cap; }

enum { DATE_SRC_NONE = 0, DATE_SRC_TEXT, DATE_SRC_FILENAME, DATE_SRC_READER };

typedef struct record {
    str      title, body, place, date_text;
    int32_t  date;
    int      date_src;            /* DATE_SRC_*: where the meeting date came from */
    int      h1, m1, h2, m2;      /* start and end, -1 when unknown */
    int      start_prio, end_prio;/* which source set start/end (opened beats the Tid line) */
    str      recorded_by;
    str      approved;            /* names joined by '\n' */
    int      recorded_from_election, approved_from_election;
} record;

struct pk_extractor {
    ruleset   rs;
    pk_msg    msg;
    /* per-document scratch, reused */
    const char *text;
    size_t      len;
    pk_buf      pool;
    VEC(line)        lines;
    VEC(unit)        units;
    VEC(item)        items;
    VEC(person)      people;
    VEC(decision)    decisions;
    VEC(followup)    followups;
    VEC(meeting_ref) upcoming;
    VEC(proposal)    proposals;
    VEC(sat)         sats;
    VEC(str)         warnings;
    VEC(people_block) pblocks;
    VEC(uint64_t)    scratch;      /* hashes of short lines (page header detection) */
    VEC(rule_hit)    hits;         /* key literals found in the text (rules_scan) */
    VEC(rule_hit)    khits;        /* the same by the kind of their rule, */
    uint32_t         khit_start[RK_COUNT + 1];   /* kind k's at [khit_start[k], khit_start[k + 1]) */
    VEC(uint32_t)    sbounds;      /* sentence starts inside units, computed on first use */
    VEC(uint64_t)    ucache;       /* per unit: (first index in sbounds << 32 | count), ~0 = not yet */
    uint32_t        *rule_last;    /* per rule: where its last window ended */
    uint32_t         last_dated;   /* the last sentence searched for meeting dates (+1) */
    rules_lead_set   label_leads;  /* all label kinds at once, to pass over most lines quickly */
    rules_lead_set   key_leads;    /* the same for the key rules */
    str              page_body;    /* a body name repeated in the page headers */
    record           rec;
    uint32_t         header_end;   /* first line after the header */
    uint32_t         line_hint;    /* extract_line_at's last answer */
    int              oom;          /* sticky: an allocation failed */
    uint64_t         limit_hits0;
};

/* Grow a VEC by one element; returns a pointer to the new (zeroed) element or NULL (x->oom set). */
void *extract_vec_push(pk_extractor *x, void *vec, size_t elem);
/* the common case inline (room left, no failure so far); vec is evaluated more than once */
#define PUSH(x, vec) ((vec).n < (vec).cap && !(x)->oom \
                      ? (memset(&(vec).v[(vec).n], 0, sizeof *(vec).v), &(vec).v[(vec).n++]) \
                      : (__typeof__((vec).v))extract_vec_push((x), &(vec), sizeof *(vec).v))

/* Pool strings. */
str  pool_put(pk_extractor *x, const char *s, size_t n);        /* as is */
str  pool_clean(pk_extractor *x, uint32_t s, uint32_t e);       /* text span, skip lines dropped,
                                                                  whitespace collapsed, trimmed */
static inline const char *pool_at(const pk_extractor *x, str s) { return (const char *)x->pool.p + s.off; }
static inline str str_null(void) { str s = {STR_NULL, 0}; return s; }
void warn(pk_extractor *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Line index of byte offset p (the line containing it). */
uint32_t extract_line_at(pk_extractor *x, uint32_t p);

/* The passes (extract.c calls them in this order).  extract_keys finds the key literals of the
 * sentence rules once; the meeting and sentence passes use them. */
void extract_keys(pk_extractor *x);
void extract_structure(pk_extractor *x, const pk_doc *doc);   /* lines, skips, header, items, labels */
void extract_people(pk_extractor *x);                          /* participants and signatures */
void extract_meeting(pk_extractor *x, const pk_doc *doc);     /* title, body, date, times, place */
void extract_sentences(pk_extractor *x);                       /* decisions, follow-ups, upcoming */

/* Is the character at p an uppercase / lowercase letter (ASCII or the Latin-1 range in UTF-8)? */
static inline int text_upper_at(const char *p, const char *end)
{
    unsigned char c = (unsigned char)p[0];
    if (c >= 'A' && c <= 'Z') return 1;
    if (c == 0xC3 && p + 1 < end) { unsigned char d = (unsigned char)p[1]; return d >= 0x80 && d <= 0x9E && d != 0x97; }
    return 0;
}
static inline int text_lower_at(const char *p, const char *end)
{
    unsigned char c = (unsigned char)p[0];
    if (c >= 'a' && c <= 'z') return 1;
    if (c == 0xC3 && p + 1 < end) { unsigned char d = (unsigned char)p[1]; return d >= 0x9F && d <= 0xBF && d != 0xB7; }
    return 0;
}

/* Does [p, p+n) hold an ASCII digit?  Every date and time does: most lines are turned away here. */
static inline int text_has_digit(const char *p, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i bias = _mm_set1_epi8((char)(128 - '0')), lim = _mm_set1_epi8((char)(-128 + 10));
    for (; n - i >= 16; i += 16)
        if (_mm_movemask_epi8(_mm_cmplt_epi8(_mm_add_epi8(_mm_loadu_si128((const __m128i *)(p + i)), bias), lim)))
            return 1;
#endif
    for (; i < n; i++) if ((unsigned)(p[i] - '0') < 10) return 1;
    return 0;
}

/* Does the line start a numbered point ("2. att taxan ...", "3) ...")?  Returns the content start
 * after the marker, or 0. */
static inline uint32_t line_point(const char *t, uint32_t s, uint32_t e)
{
    uint32_t i = s;
    while (i < e && i - s < 3 && t[i] >= '0' && t[i] <= '9') i++;
    if (i == s || i + 1 >= e || (t[i] != '.' && t[i] != ')') || t[i + 1] != ' ') return 0;
    return i + 2;
}

/* Helpers shared by the passes. */
typedef struct name_part { const char *p; size_t n; } name_part;
/* Split "A, B och C" / "A samt B" into trimmed parts; returns how many. */
size_t extract_split_names(const char *p, size_t n, name_part *out, size_t max);
person *extract_person_lookup(pk_extractor *x, const char *name, size_t n);
void extract_add_role(pk_extractor *x, person *p, const char *role, size_t n);
void extract_add_signer_text(pk_extractor *x, int what, const char *name, size_t n, int from_election);
int  extract_parse_clock(const char *p, size_t n, int *h, int *m);
int  extract_names(pk_extractor *x, uint32_t s, uint32_t e, str *out);  /* split "A, B och C" */
int  extract_is_name(pk_extractor *x, const char *p, size_t n);
int  extract_first_date(pk_extractor *x, uint32_t s, uint32_t e, int32_t *days, int need_future);
uint32_t extract_trim(const char *t, uint32_t *s, uint32_t e);

#endif
