/* segment.h — one immutable segment: writing it (from the in-memory buffer or a merge) and reading
 * it (dictionary, postings with skipping, positions, document table, stored records, forms).
 * The byte layout is in docs/FORMAT.md. */
#ifndef PK_SEGMENT_H
#define PK_SEGMENT_H

#include <stddef.h>
#include <stdint.h>
#include "ixfile.h"
#include "util.h"

/* section tags */
#define SEC_POST IXF_TAG('P', 'O', 'S', 'T')
#define SEC_DICT IXF_TAG('D', 'I', 'C', 'T')
#define SEC_DIDX IXF_TAG('D', 'I', 'D', 'X')
#define SEC_FORM IXF_TAG('F', 'O', 'R', 'M')
#define SEC_FIDX IXF_TAG('F', 'I', 'D', 'X')
#define SEC_DOCS IXF_TAG('D', 'O', 'C', 'S')
#define SEC_DGRP IXF_TAG('D', 'G', 'R', 'P')
#define SEC_PERI IXF_TAG('P', 'E', 'R', 'I')
#define SEC_META IXF_TAG('M', 'E', 'T', 'A')
#define SEC_POSI IXF_TAG('P', 'O', 'S', 'I')
#define SEC_BLKS IXF_TAG('B', 'L', 'K', 'S')
#define SEC_BIDX IXF_TAG('B', 'I', 'D', 'X')
#define SEC_DBIT IXF_TAG('D', 'B', 'I', 'T')

#define SEG_DICT_BLOCK   512        /* terms per dictionary block (compressed) */
#define SEG_FORM_BLOCK   512        /* forms per forms block (compressed) */
#define SEG_DOC_GROUP    128        /* documents per compressed group of document entries */
#define SEG_DGRP_REC     24         /* bytes per document group index record */
#define SEG_PERIOD_REC   16         /* bytes per period record */
#define SEG_BIDX_REC     24         /* bytes per stored-block index record */
#define SEG_STORE_BLOCK  (64 * 1024) /* uncompressed bytes that close a stored block */
#define SEG_STORE_LEVEL  1          /* libdeflate level of stored blocks */
#define SEG_META_SIZE    96         /* bytes of the META section (version 1) */
#define SEG_NOMONTH      INT32_MIN  /* period key of undated documents */

/* Segment file names inside the index folder. */
char *seg_path(const char *dir, uint64_t id, const char *ext);         /* seg-000001.ix */
char *seg_del_path(const char *dir, uint64_t id, uint64_t gen);        /* seg-000001-g000007.del */

/* Month key of a date: year * 12 + month - 1, or SEG_NOMONTH. */
int32_t seg_month(int32_t days);

/* Counts and sizes of a segment (its META section, plus file sizes). */
typedef struct seg_info {
    uint32_t ndocs;
    uint32_t first_id, last_id;   /* global ids of the first and last document */
    uint64_t nterms, nparts;      /* terms, of which compound-part terms */
    uint64_t nforms;
    uint64_t npostings;           /* (term, document) pairs */
    uint64_t npositions;
    uint64_t ntokens;             /* token positions of all documents */
    uint64_t text_bytes, raw_bytes;
    uint32_t dict_blocks, form_blocks;
    uint32_t nperiods, nstore_blocks;
    int32_t  first_date, last_date;
    /* bytes by component */
    uint64_t b_dict, b_post, b_pos, b_docs, b_stored;
    uint64_t ix_size, pos_size, sto_size;
} seg_info;

/* ------------------------------------------------------------------------------------------------
 * Writing
 * ---------------------------------------------------------------------------------------------- */

typedef struct segw segw;

typedef struct seg_docmeta {
    uint32_t    id;               /* global document id (increasing within a segment) */
    int32_t     date;
    uint32_t    ntokens;
    uint32_t    text_len;
    uint64_t    raw_len;
    uint64_t    hash;
    const char *path;  size_t path_len;
    const char *body;  size_t body_len;     /* NULL or empty: no body */
} seg_docmeta;

/* Start writing segment `id` (three files) in dir; errors go to msg. */
pk_status segw_open(const char *dir, uint64_t id, const char *identity, pk_msg *msg, segw **out);
/* Compress stored blocks in a thread of its own from now on (before the first document). */
void      segw_async(segw *w);
/* Add the next document: its table entry and its stored record and text. */
void      segw_doc(segw *w, const seg_docmeta *m, const char *rec, size_t rec_len,
                   const char *text, size_t text_len);
/* Add the next documents as one already-compressed stored block (a merge copying a block whose
 * documents all survive); the table entries follow with segw_doc_meta. */
void      segw_store_block(segw *w, const uint8_t *c, size_t clen, uint32_t ulen, uint32_t ndocs);
void      segw_doc_meta(segw *w, const seg_docmeta *m);
/* Terms in strictly increasing byte order; postings in increasing document order. */
void      segw_term_begin(segw *w, const uint8_t *key, size_t n);
void      segw_posting(segw *w, uint32_t doc, const uint32_t *pos, uint32_t tf);
void      segw_term_end(segw *w);           /* a term without postings is dropped */
/* Forms in strictly increasing order of the normalised form. */
void      segw_form(segw *w, const uint8_t *norm, size_t nn, const uint8_t *stem, size_t sn,
                    uint32_t flags);
/* Memory held by the writer (buffers of the dictionary and document table). */
size_t    segw_mem(const segw *w);
/* Finish and sync all files; info (optional) receives the counts.  Frees w; on failure the
 * files are removed. */
pk_status segw_finish(segw *w, seg_info *info);
void      segw_abort(segw *w);

/* ------------------------------------------------------------------------------------------------
 * Reading
 * ---------------------------------------------------------------------------------------------- */

typedef struct segr segr;

/* Open segment `id` of dir.  identity must match (PK_EVERSION otherwise).  del_gen names the
 * deletion file (0 = none).  Errors name the file and byte offset in msg. */
pk_status segr_open(const char *dir, uint64_t id, const char *identity, uint64_t del_gen,
                    pk_msg *msg, segr **out);
void      segr_close(segr *s);

const seg_info *segr_info(const segr *s);
uint64_t  segr_id(const segr *s);
uint64_t  segr_del_gen(const segr *s);     /* generation of the deletion file it was opened with */
uint64_t  segr_del_size(const segr *s);    /* bytes of that deletion file; 0 without one */
uint32_t  segr_ndocs(const segr *s);
uint32_t  segr_ndeleted(const segr *s);
int       segr_deleted(const segr *s, uint32_t doc);
/* The deletion bitmap ((ndocs + 7) / 8 bytes), or NULL when nothing is deleted (borrowed). */
const uint8_t *segr_delmap(const segr *s);
/* Replace the deletion bitmap (the segment takes a copy); used by the writer before a commit. */
pk_status segr_set_deleted(segr *s, const uint8_t *bits, uint32_t ndeleted);
/* Keep decoded document groups in memory, up to bytes (0: keep only the last one, the default);
 * repeated scans of the document table (trends, filters) then decode each group once. */
void      segr_keep_docs(segr *s, size_t bytes);
/* Hand mapped pages back to the kernel (long merges). */
void      segr_release(segr *s);
pk_msg   *segr_msg(segr *s);

/* A document's table entry.  Strings are borrowed until the next call on the segment. */
typedef struct seg_doc {
    uint32_t id;
    int32_t  date;
    uint32_t ntokens;
    uint32_t text_len;
    uint64_t raw_len;
    uint64_t hash;
    const char *path;  size_t path_len;
    const char *body;  size_t body_len;      /* body_len 0: none */
} seg_doc;
pk_status segr_doc(segr *s, uint32_t doc, seg_doc *out);
/* Only the fixed fields (no strings): cheaper, for scans. */
pk_status segr_doc_fixed(segr *s, uint32_t doc, seg_doc *out);
/* Local number of the document with global id `id`; PK_ENOENT when the segment has none. */
pk_status segr_find_id(segr *s, uint32_t id, uint32_t *doc);

/* Stored record and text, borrowed until the next call on the segment. */
pk_status segr_stored(segr *s, uint32_t doc, const char **rec, size_t *rec_len,
                      const char **text, size_t *text_len);
/* The compressed stored blocks, for merges: block b's documents, bytes and sizes. */
uint32_t  segr_store_nblocks(const segr *s);
pk_status segr_store_block(segr *s, uint32_t b, uint32_t *first_doc, uint32_t *ndocs,
                           const uint8_t **c, size_t *clen, uint32_t *ulen);

/* Per-month totals of the segment, deleted documents included: month key, docs, tokens. */
pk_status segr_period(segr *s, uint32_t i, int32_t *month, uint32_t *docs, uint64_t *tokens);

/* A dictionary entry. */
typedef struct seg_term {
    uint8_t  key[256];
    uint32_t key_len;
    uint32_t df;                  /* documents, deleted ones included */
    uint64_t cf;                  /* occurrences, deleted documents included */
    uint64_t post_off, post_len;  /* in the POST section */
    uint64_t pos_off, pos_len;    /* in the POSI section */
} seg_term;

/* Exact look-up of a key: PK_OK and *found = 1/0. */
pk_status segr_lookup(segr *s, const uint8_t *key, size_t n, seg_term *t, int *found);

/* Iterate dictionary keys in order from the first key >= start (all keys when n == 0). */
typedef struct seg_titer {
    segr          *s;
    uint32_t       blk, idx, in_blk;  /* block, entries read from it, entries it holds */
    uint32_t       off;               /* next entry's offset in the inflated block */
    uint64_t       post_next, pos_next;
    seg_term       t;
    int            done, pending;
    pk_status      err;               /* why a step returned -1 (PK_ECORRUPT, PK_ENOMEM) */
} seg_titer;
pk_status segr_terms_from(segr *s, const uint8_t *start, size_t n, seg_titer *it);
/* 1 with it->t filled, 0 at the end, -1 on damage or memory shortage (it->err tells; the
 * message is in the segment's msg). */
int       segr_terms_next(seg_titer *it);

/* Forms. */
typedef struct seg_form {
    uint8_t  norm[256]; uint32_t norm_len;
    uint8_t  stem[256]; uint32_t stem_len;
    uint32_t flags;
} seg_form;
typedef struct seg_fiter {
    segr          *s;
    uint32_t       blk, idx, in_blk;
    uint32_t       off;
    seg_form       f;
    int            done, pending;
    pk_status      err;
} seg_fiter;
pk_status segr_forms_from(segr *s, const uint8_t *start, size_t n, seg_fiter *it);
int       segr_forms_next(seg_fiter *it);

/* Postings of one term: documents in increasing order with frequency and positions. */
typedef struct seg_post {
    segr          *s;
    seg_term       t;
    int            live_only;     /* skip deleted documents */
    int            has_tf;        /* frequencies are coded (else all are 1) */
    pk_status      st;            /* sticky: set by damage or memory shortage */
    uint32_t       nblocks, next; /* blocks of 128 documents; the next one to load */
    const uint8_t *skip, *skip_end;
    const uint8_t *blocks_end;
    const uint8_t *nbdoc;         /* document bytes of the next block */
    const uint8_t *pos;           /* the term's positions */
    uint64_t       nbpos;         /* offset of the next block's positions */
    int            have_entry;    /* the skip entry of block `next` has been read */
    uint32_t       e_last;
    uint64_t       e_doc_len, e_pos_len;
    int            have_prev;
    uint32_t       prev_last;     /* last document of block next - 1 */
    /* the loaded block */
    uint32_t       n, i;          /* documents in it; i - 1 is the current one */
    uint64_t       cbpos, cbpos_len;
    int            cur;           /* a current posting exists */
    int            pos_ready, pos_checked;
    uint32_t       docs[128], tfs[128], poff[129], firsts[128];
    uint32_t      *pbuf;
    size_t         pcap;
    uint32_t       doc, tf;       /* the current posting */
} seg_post;

/* Start iterating a term's postings (live_only: hide deleted documents). */
pk_status segr_post_open(segr *s, const seg_term *t, int live_only, seg_post *p);
void      segr_post_close(seg_post *p);
/* Next posting: 1 (p->doc, p->tf set), 0 at the end, -1 on damage. */
int       segr_post_next(seg_post *p);
/* First posting with doc >= target (from the current one on): 1, 0 or -1 as above. */
int       segr_post_advance(seg_post *p, uint32_t target);
/* Positions of the current posting (p->tf of them, increasing), borrowed; NULL on damage. */
const uint32_t *segr_post_positions(seg_post *p);

/* Deletion files. */
pk_status del_write(const char *dir, uint64_t seg, uint64_t gen, const char *identity,
                    const uint8_t *bits, uint32_t ndocs, uint32_t ndeleted, pk_msg *msg);

/* Full structural check of a segment (and its deletion file): every page, every length, key
 * order, document order, every posting and position decodes and adds up.  PK_ECORRUPT with the
 * file and offset in the segment's message. */
pk_status segr_verify(segr *s);

#endif
