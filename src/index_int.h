/* index_int.h — the insides of a pk_index, shared by the files of the index stage (index.c,
 * index_writer.c, pipeline.c, verify.c, index_reader.c).  Not for the CLI or the query engine,
 * which use protokoll.h and ixread.h. */
#ifndef PK_INDEX_INT_H
#define PK_INDEX_INT_H

#include <stddef.h>
#include <stdint.h>
#include "ixdoc.h"
#include "manifest.h"
#include "protokoll.h"
#include "segment.h"
#include "util.h"

#define IX_LOCK_NAME   "LOCK"
#define IX_MERGE_FACTOR 6                 /* segments of one size level that trigger a merge */
#define IX_LEVEL_BASE  (2u << 20)         /* bytes of the smallest size level */
#define IX_FIRST_ID    1                  /* global id of the first document ever added */
#define IX_KEEP_DOCS   (16u << 20)        /* decoded document entries a reader keeps per segment */

/* Path of a document -> its id and content hash, for incremental indexing. */
typedef struct pathent {
    uint64_t phash;       /* hash of the path; 0 marks an empty slot */
    uint64_t chash;       /* content hash */
    uint32_t id;          /* global id, or PATH_THIS_RUN for a path taken in the current run */
} pathent;
#define PATH_THIS_RUN UINT32_MAX

typedef struct pathmap {
    pathent *e;
    size_t   cap, n;
} pathmap;

/* Deletions not yet committed, per segment id. */
typedef struct pending_del {
    uint64_t seg;
    uint8_t *bits;        /* full bitmap: committed deletions plus new ones */
    uint32_t ndeleted;
} pending_del;

typedef struct ixbuf ixbuf;   /* the in-memory segment (index_writer.c) */

struct pk_index {
    char        *dir;
    void        *qctx;         /* the query engine's per-handle state (query_run.c) */
    void       (*qctx_free)(void *);
    unsigned     flags;
    int          lock_fd;
    pk_msg       msg;
    manifest     man;          /* the generation this handle sees */
    segr       **segs;         /* open segments, parallel to man.segs */
    size_t       nopen;        /* entries of segs (== man.nsegs once loaded) */
    /* writing */
    ixbuf       *buf;
    pending_del *pend;
    size_t       npend, cappend;
    pathmap      pm;
    int          pm_ready;
    size_t       mem_budget;   /* bytes of postings buffered before a flush */
    int          dirty;        /* man differs from the committed manifest */
    int          async_store;  /* new segments compress stored blocks in a thread of their own */
    int          broken;       /* a load failed, or a commit ended in doubt: never write again */
    uint64_t     run_added, run_replaced, run_deleted;
};

/* ---- index.c ---- */
/* Open the segments of ix->man (closing those no longer named).  With retry, a segment file
 * missing because a writer replaced the generation meanwhile makes it re-read the manifest. */
pk_status ix_load(pk_index *ix, int retry);
/* Write new deletion files and the manifest for the state in ix (after flushing the buffer). */
pk_status ix_commit(pk_index *ix);
/* Segment index and local number of a global id; PK_ENOENT when no live document has it. */
pk_status ix_find_id(pk_index *ix, uint32_t id, size_t *seg, uint32_t *doc);
/* Forget deletions not yet committed. */
void      ix_drop_pending(pk_index *ix);
/* Mark a global id deleted (pending until the next commit). */
pk_status ix_delete_id(pk_index *ix, uint32_t id);
/* Path map: built from all live documents on first use. */
pk_status ix_pathmap_ready(pk_index *ix);
pathent  *ix_pathmap_find(pk_index *ix, const char *path, size_t n);
pk_status ix_pathmap_put(pk_index *ix, const char *path, size_t n, uint64_t chash, uint32_t id);
uint64_t  ix_path_hash(const char *path, size_t n);
/* Set the analyzer identity of an index that has none; PK_EVERSION when it has another. */
pk_status ix_check_identity(pk_index *ix, const char *identity);
/* Remove files no generation names (after a crash or a commit). */
void      ix_remove_orphans(pk_index *ix);
pk_status ix_require_write(pk_index *ix);

/* ---- pipeline.c ---- */
/* The meeting body (meeting.body) of an extraction record, or NULL; caller frees. */
pk_status ix_record_body(const char *rec, size_t n, char **body);

/* ---- index_writer.c ---- */
/* Add one analyzed document (ADD, or REPLACE of d->old_id); flushes and commits when the buffer
 * passes its budget.  Takes nothing from d (the caller frees it). */
pk_status ix_add_doc(pk_index *ix, const ixdoc *d);
/* Flush the buffer (when it holds documents) into a new segment of ix->man (not committed). */
pk_status ix_flush(pk_index *ix);
void      ixbuf_free(ixbuf *b);
/* Merge segments [first, first + count) of the current generation into one and commit. */
pk_status ix_merge_range(pk_index *ix, size_t first, size_t count);
/* Apply the merge policy until it has nothing to do (commits after each merge). */
pk_status ix_merge_policy(pk_index *ix);
/* End of a run: flush, commit, merge policy.  The pathmap is forgotten. */
pk_status ix_finish_run(pk_index *ix);

#endif
