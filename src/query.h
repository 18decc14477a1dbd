/* query.h — the query language: parse a query into a tree; errors carry the column. */
#ifndef PK_QUERY_H
#define PK_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include "protokoll.h"

typedef enum q_kind {
    Q_TOPIC,     /* word: inflections and compounds */
    Q_EXACT,     /* =word: the Snowball stem only */
    Q_PREFIX,    /* word*: every term starting with the word */
    Q_PHRASE,    /* "a b c" */
    Q_AND,
    Q_OR,
    Q_NOT,
    Q_BODY,      /* body:TEXT */
    Q_DATES,     /* year:, from:, to: (a date range) */
    Q_IN         /* in:decisions, in:follow_ups */
} q_kind;

enum { Q_IN_DECISIONS = 1, Q_IN_FOLLOWUPS = 2 };

typedef struct q_node q_node;
struct q_node {
    q_kind   kind;
    uint32_t at;          /* byte offset in the query where the node starts */
    char    *text;        /* TOPIC/EXACT/PREFIX: the word; PHRASE: the words; BODY: the text */
    size_t   len;
    q_node **kids;        /* AND/OR: nkids >= 2; NOT: 1 */
    size_t   nkids;
    int32_t  from, to;    /* Q_DATES: inclusive day range, PK_NODATE for open ends */
    int      in;          /* Q_IN: Q_IN_DECISIONS or Q_IN_FOLLOWUPS */
};

/* Parse a query.  On PK_ESYNTAX (or PK_ENOMEM) *root is NULL, msg receives "col N: what" and *col the
 * 1-based column (in characters) of the error. */
pk_status query_parse(const char *q, size_t n, q_node **root, char *msg, size_t msgcap, size_t *col);
void      query_free(q_node *node);

/* Render a tree back as a normalised query string (for messages and tests); caller frees. */
char *query_to_string(const q_node *node);

#endif
