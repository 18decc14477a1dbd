/* ixdoc.h — an analyzed document: what the index writer needs from one document (terms with
 * positions, word forms, metadata, the record and the text), built by the pipeline's workers or
 * directly by tests, and consumed by the writer in document order. */
#ifndef PK_IXDOC_H
#define PK_IXDOC_H

#include <stddef.h>
#include <stdint.h>
#include "protokoll.h"

/* Term keys in the dictionary.  A whole-word term is the stem itself; a compound-part term is
 * IX_PART_MARK followed by the part's stem, so the two never mix and part terms sort first. */
#define IX_PART_MARK 0x01
#define IX_MAX_KEY   255      /* longest key in bytes; longer terms are not indexed */

enum { IX_WORD = 0, IX_PART = 1 };

/* Form flags: where a normalised form was seen. */
enum { IX_FORM_WORD = 1, IX_FORM_PART = 2 };

typedef struct ixterm {
    uint32_t key_off, key_len;    /* key bytes in ixdoc.keys */
    uint32_t pos_off, npos;       /* strictly increasing positions in ixdoc.pos */
    uint32_t hash;                /* strtab_hash of the key (saves the writer the work); 0 with a lid */
    uint32_t lid;                 /* the source's id of the term (see ixdoc.src), or IXDOC_NONE */
} ixterm;

typedef struct ixform {
    uint32_t norm_off, norm_len;  /* the normalised form, in ixdoc.keys */
    uint32_t stem_off, stem_len;  /* its stem, in ixdoc.keys */
    uint32_t flags;               /* IX_FORM_* */
    uint32_t hash;                /* strtab_hash of the form; 0 with a lid */
    uint32_t lid;                 /* the source's id of the form, or IXDOC_NONE */
} ixform;

/* What the writer does with a document. */
enum { IXDOC_ADD = 0, IXDOC_REPLACE = 1 };

typedef struct ixdoc {
    char     *path;               /* NUL-terminated */
    uint64_t  hash;               /* content hash of the raw bytes */
    uint64_t  raw_len;            /* bytes read */
    int32_t   date;               /* meeting date in days, or PK_NODATE */
    char     *body;               /* meeting body ("Styrelsen"), or NULL */
    uint32_t  ntokens;            /* positions used: every token, stopwords included */
    char     *text;   size_t text_len;     /* canonical text */
    char     *record; size_t record_len;   /* extraction JSON */
    uint8_t  *keys;   size_t keys_len;
    ixterm   *terms;  uint32_t nterms;     /* distinct terms, in first-seen order */
    uint32_t *pos;    uint32_t npos;
    ixform   *forms;  uint32_t nforms;     /* distinct forms, in first-seen order */
    /* pipeline bookkeeping */
    uint32_t  src;                /* 0, or the source (a worker, counted from 1) whose ids the lids are */
    uint64_t  src_gen;            /* generation of those ids: a source starts its ids over with a new one */
    uint64_t  seq;                /* order of the document in the run */
    int       action;             /* IXDOC_ADD or IXDOC_REPLACE */
    uint32_t  old_id;             /* IXDOC_REPLACE: the id of the version it replaces */
} ixdoc;

/* Free everything a document owns, and the document itself.  NULL is a no-op. */
void ixdoc_free(ixdoc *d);

/* Collects the terms and forms of one document; reusable across documents (one per thread). */
typedef struct ixdoc_builder ixdoc_builder;

pk_status ixdoc_builder_new(ixdoc_builder **out);
void      ixdoc_builder_free(ixdoc_builder *b);
/* Start a new document (forgets what was collected). */
void      ixdoc_begin(ixdoc_builder *b);
/* One occurrence of a term (kind IX_WORD or IX_PART) at a token position.  Empty or over-long
 * terms are ignored, as is a whole-word term starting with a byte below 0x20. */
void      ixdoc_term(ixdoc_builder *b, int kind, const char *s, size_t n, uint32_t pos);
/* The same, returning the term's id in this document (IXDOC_NONE when the term was ignored), so
 * that later occurrences can be added by id with ixdoc_term_again. */
#define IXDOC_NONE UINT32_MAX
uint32_t  ixdoc_term_id(ixdoc_builder *b, int kind, const char *s, size_t n, uint32_t pos);
/* The same for a term the caller has a dense id for (sid: the id of the stem s, the same for the
 * same bytes until the caller starts its ids over): terms are then told apart by id, without
 * hashing, and the id travels to the writer (ixterm.lid).  A document uses either this or
 * ixdoc_term/ixdoc_term_id, never both (the builder fails the document with PK_EINVAL). */
uint32_t  ixdoc_term_sid(ixdoc_builder *b, int kind, const char *s, size_t n, uint32_t sid, uint32_t pos);
void      ixdoc_term_again(ixdoc_builder *b, uint32_t id, uint32_t pos);
/* A word form and its stem (flags IX_FORM_*). */
void      ixdoc_form(ixdoc_builder *b, const char *norm, size_t nn, const char *stem, size_t sn,
                     uint32_t flags);
/* The same with the caller's dense id of the form (see ixdoc_term_sid; forms and terms are
 * separate id spaces, and one document uses one way for forms too). */
void      ixdoc_form_id(ixdoc_builder *b, const char *norm, size_t nn, const char *stem, size_t sn,
                        uint32_t flags, uint32_t nid);
/* Move what was collected into d (keys, terms, pos, forms; other fields untouched).
 * PK_ENOMEM when memory ran out at any point since ixdoc_begin, PK_EINVAL when the document
 * mixed the two ways of adding terms or forms. */
pk_status ixdoc_finish(ixdoc_builder *b, ixdoc *d);

#endif
