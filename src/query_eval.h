/* query_eval.h — compiled queries: term expansion against the index's vocabulary, matching of a
 * query inside a passage of text, and the boolean combination of per-document position lists. */
#ifndef PK_QUERY_EVAL_H
#define PK_QUERY_EVAL_H

#include <stddef.h>
#include <stdint.h>
#include "protokoll.h"
#include "query.h"

/* An index term: a whole word's stem, or the stem of a compound part (kept apart in the index). */
typedef enum q_termkind { QT_WHOLE = 0, QT_PART = 1 } q_termkind;

typedef struct q_term {
    q_termkind kind;
    char      *text;     /* the stem, NUL-terminated */
    uint32_t   len;
} q_term;

/* A set of index terms with fast membership tests. */
typedef struct q_termset {
    q_term   *terms;
    size_t    n, cap;
    uint32_t *slots;     /* open addressing: index + 1, 0 = empty */
    size_t    nslots;
} q_termset;

/* What expansion needs from the index's vocabulary.  Each enumerator calls cb for every entry with
 * the given prefix (sorted order) and stops early when cb returns non-zero; returns 0, or -1 on an
 * error (which the adapter records itself). */
typedef int (*q_form_fn)(void *cbud, const char *form, size_t fl, const char *stem, size_t sl);
typedef int (*q_term_fn)(void *cbud, const char *term, size_t tl);
typedef struct q_vocab {
    void *ud;
    int (*forms_prefix)(void *ud, const char *prefix, size_t n, q_form_fn cb, void *cbud);
    int (*terms_prefix)(void *ud, q_termkind kind, const char *prefix, size_t n, q_term_fn cb, void *cbud);
} q_vocab;

/* A leaf of the query tree, compiled. */
typedef struct q_leaf {
    const q_node *node;     /* TOPIC, EXACT, PREFIX or PHRASE */
    size_t        nwords;   /* 1, or the phrase's words that are not stopwords */
    q_termset    *sets;     /* one per word */
    uint32_t     *offsets;  /* position of each word relative to the first (stopwords count) */
} q_leaf;

typedef struct q_compiled {
    q_node   *root;
    q_leaf   *leaves;
    size_t    nleaves;
    int       in;           /* Q_IN_* when the query restricts matches to extracted passages */
    char     *body;         /* body: filter (lowercase), or NULL */
    int32_t   from, to;     /* date filters, PK_NODATE when open */
    int       has_positive; /* some leaf can contribute hits */
} q_compiled;

/* Compile a query: parse, analyze each word with a, expand against vocab.  PK_ESYNTAX with
 * "col N: ..." in msg on a bad query. */
pk_status qc_compile(const char *query, pk_analyzer *a, const q_vocab *vocab, q_compiled **out,
                     char *msg, size_t msgcap);
void      qc_free(q_compiled *qc);

/* The distinct index terms of all leaves, as strings for "matched_terms" (a part term is shown with a
 * leading '+', e.g. "+elektrifiering": found inside compounds).  Caller frees with pk_free each and the
 * array. */
pk_status qc_matched_terms(const q_compiled *qc, char ***out, size_t *n);

int  termset_has(const q_termset *s, q_termkind kind, const char *t, size_t n);
int  termset_add(q_termset *s, q_termkind kind, const char *t, size_t n);   /* 0 ok, -1 no memory */
void termset_free(q_termset *s);

/* ---- per-document evaluation over sorted position lists ---- */

typedef struct q_posvec {
    uint32_t *p;
    size_t    n, cap;
} q_posvec;

void q_posvec_free(q_posvec *v);
int  q_posvec_push(q_posvec *v, uint32_t pos);
/* Sort and remove duplicates. */
void q_posvec_normalize(q_posvec *v);

/* The positions at which each leaf matches in one document (leaf i -> lists[i]; a phrase's list holds
 * the positions where the phrase starts).  eval_doc combines them by the tree: returns 1 when the
 * document matches and sets *hits to the number of distinct matching positions of positive leaves;
 * -1 when out of memory (*hits is then 0). */
int qc_eval_doc(const q_compiled *qc, const q_posvec *lists, uint64_t *hits);

/* A leaf's positions in one document from its words' positions (one list per word, normalised here):
 * the word's positions, or where a phrase starts.  0, or -1 when out of memory. */
int qc_leaf_positions(const q_leaf *l, q_posvec *words, q_posvec *out);

/* Match the compiled query inside a passage of text (a decision, a follow-up, a snippet window):
 * analyze it and fill lists (one per leaf, caller-allocated, cleared first) with token positions;
 * also returns, when spans is not NULL, the byte spans [start,end) of matching tokens (pairs). */
pk_status qc_match_text(const q_compiled *qc, pk_analyzer *a, const char *text, size_t len,
                        q_posvec *lists, q_posvec *spans);

#endif
