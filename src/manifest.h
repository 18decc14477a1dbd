/* manifest.h — the small text file that names the live segments of one generation of an index;
 * replaced atomically (temporary file, fsync, rename, fsync of the folder) on every commit. */
#ifndef PK_MANIFEST_H
#define PK_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

#define MANIFEST_NAME    "MANIFEST"
#define MANIFEST_TMP     "MANIFEST.tmp"
#define MANIFEST_VERSION 1

typedef struct man_seg {
    uint64_t id;
    uint32_t ndocs, ndeleted;
    uint32_t first_id, last_id;   /* global ids of its first and last document */
    uint64_t del_gen;             /* generation of its deletion file, 0 = none */
} man_seg;

typedef struct manifest {
    uint64_t generation;          /* 0 for an index never committed */
    uint64_t next_seg;            /* id of the next segment to write */
    uint32_t next_doc;            /* global id of the next document added */
    char    *identity;            /* analyzer identity, NULL until the first document */
    man_seg *segs;                /* in id order; their document id ranges increase */
    size_t   nsegs, cap;
} manifest;

void      manifest_init(manifest *m);
void      manifest_free(manifest *m);
pk_status manifest_copy(manifest *dst, const manifest *src);
/* Insert a segment at position i. */
pk_status manifest_insert(manifest *m, size_t i, const man_seg *s);
void      manifest_remove(manifest *m, size_t i, size_t count);

/* Read dir/MANIFEST.  PK_ENOENT when there is none; PK_ECORRUPT / PK_EVERSION with the reason. */
pk_status manifest_read(const char *dir, manifest *m, pk_msg *msg);
/* Write atomically and durably: MANIFEST.tmp, fsync, rename over MANIFEST, fsync of the folder.
 * *switched (may be NULL) is set to 1 once the rename has happened: a failure after that (the
 * folder's fsync) leaves the new manifest in place, readers see it, but it may not survive a power
 * loss. */
pk_status manifest_write(const char *dir, const manifest *m, pk_msg *msg, int *switched);
/* The manifest as text (for verify's report and tests); caller frees. */
char     *manifest_text(const manifest *m);

#endif
