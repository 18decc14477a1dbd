/* ixfile.h — checked index files: a header (magic, format version, kind, segment, analyzer
 * identity, CRC), a body of tagged sections covered by one CRC-32 per 4 KiB page, and a footer
 * (section directory, page CRCs, its own CRC).  Layout in docs/FORMAT.md, "Files". */
#ifndef PK_IXFILE_H
#define PK_IXFILE_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

#define IXF_VERSION   1
#define IXF_PAGE      4096
#define IXF_MAGIC     "PKINDEX\0"
#define IXF_TAIL      0x4c4c4f4bu      /* "KOLL" little-endian */
#define IXF_MAXSEC    16

#define IXF_TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

/* File kinds. */
#define IXF_KIND_TERMS  IXF_TAG('S', 'E', 'G', 'X')   /* .ix: documents, dictionary, postings, forms */
#define IXF_KIND_POS    IXF_TAG('S', 'E', 'G', 'P')   /* .pos: positions */
#define IXF_KIND_STORE  IXF_TAG('S', 'E', 'G', 'S')   /* .sto: stored records and texts */
#define IXF_KIND_DEL    IXF_TAG('D', 'E', 'L', 'S')   /* .del: deleted documents of a segment */

typedef struct ixf_section {
    uint32_t tag;
    uint64_t off, len;        /* absolute file offset and length */
} ixf_section;

/* ---- reading: the file is mapped; pages are verified on first use ---- */

typedef struct ixf {
    char          *path;
    const uint8_t *map;
    size_t         size;
    uint32_t       kind;
    uint64_t       segid;
    char          *identity;
    uint64_t       body_start, body_end;
    uint32_t       nsec;
    ixf_section    sec[IXF_MAXSEC];
    uint64_t       npages;
    const uint8_t *crcs;       /* npages little-endian CRC-32s inside the map */
    uint8_t       *verified;   /* one bit per page */
    pk_msg        *msg;        /* where errors go (borrowed from the owner) */
} ixf;

/* Open and map path, checking header, footer and section directory (not the pages yet).
 * kind must match; when identity is not NULL the file's analyzer identity must equal it
 * (PK_EVERSION otherwise).  Errors name the file and the offset. */
pk_status ixf_open(const char *path, uint32_t kind, const char *identity, pk_msg *msg, ixf **out);
void      ixf_close(ixf *f);

/* The section with this tag: pointer and length inside the map (pages not yet verified).
 * PK_ECORRUPT (with a message) when the file has no such section. */
pk_status ixf_section_get(ixf *f, uint32_t tag, const uint8_t **p, size_t *n);

/* Verify the pages covering [p, p+n), which must lie inside the map. */
pk_status ixf_need(ixf *f, const uint8_t *p, size_t n);
/* Verify every page (for verify); the message names the first bad page's offset. */
pk_status ixf_verify_all(ixf *f);

/* Give the mapped pages back to the kernel (they are re-read on the next touch); for long merges. */
void ixf_release(ixf *f);

/* Set "path: at byte N: what" in f->msg and return PK_ECORRUPT. */
pk_status ixf_corrupt(ixf *f, const uint8_t *at, const char *what);

/* ---- writing ---- */

typedef struct ixfw ixfw;

pk_status ixfw_create(const char *path, uint32_t kind, uint64_t segid, const char *identity,
                      pk_msg *msg, ixfw **out);
void      ixfw_begin(ixfw *w, uint32_t tag);
void      ixfw_write(ixfw *w, const void *p, size_t n);
void      ixfw_end(ixfw *w);
uint64_t  ixfw_section_size(const ixfw *w);   /* bytes written to the open section so far */
uint64_t  ixfw_size(const ixfw *w);           /* bytes written to the file so far */
/* Footer, fsync, close.  Returns the sticky status of all writes.  Frees w. */
pk_status ixfw_finish(ixfw *w, uint64_t *file_size);
/* Close and remove the file.  Frees w.  NULL is a no-op. */
void      ixfw_abort(ixfw *w);

/* fsync a folder (after a rename or new files). */
pk_status ixf_sync_dir(const char *dir, pk_msg *msg);

#endif
