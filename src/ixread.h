/* ixread.h — reading an index for queries: one generation's segments, term look-ups (exact,
 * prefix, compound part, word forms by prefix), postings with skipping and positions, the document
 * table, stored records and texts, and per-period totals.
 *
 * Model.  A pk_index opened with pk_index_open shows one committed generation: a list of
 * segments, each an immutable set of documents numbered locally 0..n-1.  Queries are evaluated
 * segment by segment over local numbers (postings iterate in increasing local order, and
 * ixr_post_advance skips forward); results name documents by their global id (ixr_doc().id).
 *
 * Document ids.  Every document gets a global id (1, 2, 3, ...) when it is added; the id stays
 * with the document through segment merges for as long as it is in the index, so `show ID`
 * keeps working across commits and merges.  A changed file that is re-indexed is a new document
 * with a new id (the old id disappears); `merge` of shard indexes gives the shards' documents new
 * ids in the target index.  Within one segment, local order is global id order, and segments are
 * listed in global id order.
 *
 * Deleted documents are hidden everywhere below (postings, ixr_docs_next, periods, lookups by id
 * or path), except for the df/cf counts of dictionary entries, which count what was written.
 *
 * Terms.  Whole-word terms are Snowball stems (numbers, dates and § tokens as normalised);
 * compound-part terms are the stems of compound parts, kept apart from whole words (a query for
 * the whole word "konferens" never sees the part "konferens" unless it asks for parts).  Word
 * forms map every normalised form seen (and every compound part's surface text) to its stem,
 * so a topic can expand "konferens" to the stems of konferens, konferensen, konferenser ...
 *
 * Errors.  Functions return pk_status; on damage (PK_ECORRUPT) or memory shortage the message,
 * naming the file and byte offset, is in pk_index_errmsg(ix).
 *
 * Borrowing.  Strings returned in ixr_doc and by ixr_stored are borrowed from the segment until
 * the next call on that segment.
 *
 * Speed.  A handle opened for reading keeps decoded document entries (up to 16 MB per segment),
 * so repeated scans of the document table (trend totals, body filters) cost a decode only the
 * first time; dictionary look-ups inflate one block of 512 terms (a segment keeps the last). */
#ifndef PK_IXREAD_H
#define PK_IXREAD_H

#include <stddef.h>
#include <stdint.h>
#include "ixdoc.h"
#include "protokoll.h"
#include "segment.h"

/* ---- the generation ---- */

size_t      ixr_nsegs(const pk_index *ix);
segr       *ixr_seg(pk_index *ix, size_t i);
/* The analyzer identity the index was built with; NULL for an index without documents.
 * A query engine compares it with pk_analyzer_identity() and refuses a mismatch (PK_EVERSION). */
const char *ixr_identity(const pk_index *ix);
/* PK_OK when identity matches the index (or the index is empty), else PK_EVERSION with a message. */
pk_status   ixr_check_identity(pk_index *ix, const char *identity);
uint64_t    ixr_live_docs(const pk_index *ix);
uint64_t    ixr_generation(const pk_index *ix);

/* ---- terms ---- */

/* The dictionary key of a term of kind IX_WORD or IX_PART; returns its length, 0 when the term
 * is empty or longer than IX_MAX_KEY. */
size_t ixr_key(int kind, const char *term, size_t n, uint8_t key[IX_MAX_KEY + 1]);

/* Exact look-up in one segment.  *found = 0 when the segment does not have the term. */
pk_status ixr_lookup(pk_index *ix, size_t seg, int kind, const char *term, size_t n, seg_term *t,
                     int *found);

/* Every distinct term of a kind that starts with prefix (n == 0: every term of the kind), in
 * byte order, across all segments.  cb gets the term text (without the part mark) and the sum
 * of its df over segments; a non-zero return stops the walk. */
typedef int (*ixr_term_fn)(void *ud, const char *term, size_t n, uint64_t df);
pk_status ixr_terms_prefix(pk_index *ix, int kind, const char *prefix, size_t n, ixr_term_fn cb,
                           void *ud);

/* Every distinct word form that starts with prefix, with its stem and IX_FORM_* flags (the
 * union over segments), in byte order.  A non-zero return from cb stops the walk. */
typedef int (*ixr_form_fn)(void *ud, const char *norm, size_t nn, const char *stem, size_t sn,
                           uint32_t flags);
pk_status ixr_forms_prefix(pk_index *ix, const char *prefix, size_t n, ixr_form_fn cb, void *ud);

/* ---- postings (one segment) ---- */

/* Open the postings of a term in segment seg; *found = 0 (and nothing to close) when absent.
 * Iterate with segr_post_next / segr_post_advance / segr_post_positions (segment.h): p->doc is
 * the local number, p->tf the frequency; deleted documents are skipped.  Close with
 * segr_post_close.  A -1 from the iterator means damage: the message is in the segment
 * (ixr_seg_error copies it into the index's). */
pk_status ixr_post_open(pk_index *ix, size_t seg, int kind, const char *term, size_t n,
                        seg_post *p, int *found);
/* Copy segment seg's last error message into the index's and return its status (or st). */
pk_status ixr_seg_error(pk_index *ix, size_t seg, pk_status st);

/* ---- documents ---- */

/* A document's table entry (deleted ones too: check ixr_deleted). */
pk_status ixr_doc(pk_index *ix, size_t seg, uint32_t doc, seg_doc *out);
int       ixr_deleted(pk_index *ix, size_t seg, uint32_t doc);
/* Live document by global id or by source path: PK_ENOENT when there is none. */
pk_status ixr_find_id(pk_index *ix, uint32_t id, size_t *seg, uint32_t *doc);
pk_status ixr_find_path(pk_index *ix, const char *path, size_t *seg, uint32_t *doc);
/* The stored extraction record (JSON) and canonical text of a document. */
pk_status ixr_stored(pk_index *ix, size_t seg, uint32_t doc, const char **rec, size_t *rec_len,
                     const char **text, size_t *text_len);

/* ---- periods ---- */

#define IXR_UNDATED INT32_MIN   /* period key of undated documents */

/* Key of the period containing a date: the year (2021), year * 4 + quarter - 1, or
 * year * 12 + month - 1; IXR_UNDATED for PK_NODATE. */
int32_t ixr_period_of(pk_period by, int32_t days);
/* "2021", "2021-Q3", "2021-08", or "undated". */
void    ixr_period_label(pk_period by, int32_t key, char buf[24]);
/* The first day of a period (for ranges); PK_NODATE for IXR_UNDATED. */
int32_t ixr_period_start(pk_period by, int32_t key);

typedef struct ixr_period { int32_t key; uint32_t docs; uint64_t tokens; } ixr_period;
/* Live documents and tokens per period, from the segments' month tables (deleted documents
 * subtracted), sorted by key with the undated period (if any) last; only periods that have
 * documents.  Caller frees *out with pk_free. */
pk_status ixr_periods(pk_index *ix, pk_period by, ixr_period **out, size_t *n);

#endif
