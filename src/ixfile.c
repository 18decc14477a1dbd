/* ixfile.c — checked index files: header, paged CRC-32 body, footer; mapped reading, buffered writing. */
#include "ixfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>

#define HDR_FIXED   28    /* magic 8, version 4, kind 4, segid 8, identity length 4 */
#define TRAILER     16    /* footer crc 4, footer length 8, tail magic 4 */
#define MAX_IDENTITY 4096

static uint32_t crc(uint32_t c, const uint8_t *p, size_t n) { return libdeflate_crc32(c, p, n); }

static void kind_name(uint32_t k, char out[5])
{
    for (int i = 0; i < 4; i++) {
        char c = (char)(k >> (8 * i));
        out[i] = c >= 32 && c < 127 ? c : '?';
    }
    out[4] = 0;
}

pk_status ixf_corrupt(ixf *f, const uint8_t *at, const char *what)
{
    size_t off = at && at >= f->map && at <= f->map + f->size ? (size_t)(at - f->map) : f->size;
    msg_set(f->msg, "%s: at byte %zu: %s", f->path, off, what);
    return PK_ECORRUPT;
}

void ixf_close(ixf *f)
{
    if (!f) return;
    if (f->map) munmap((void *)f->map, f->size);
    pk_free(f->verified);
    pk_free(f->identity);
    pk_free(f->path);
    pk_free(f);
}

static pk_status parse(ixf *f, uint32_t kind, const char *identity)
{
    const uint8_t *m = f->map;
    size_t size = f->size;
    if (size < 8 || memcmp(m, IXF_MAGIC, 8) != 0) {
        msg_set(f->msg, "%s: not a protokoll index file (bad magic)", f->path);
        return PK_ECORRUPT;
    }
    if (size < HDR_FIXED + 4 + TRAILER) return ixf_corrupt(f, m + size, "file is truncated (shorter than a header)");
    uint32_t version = ld_u32le(m + 8);
    if (version != IXF_VERSION) {
        msg_set(f->msg, "%s: index format version %u; this build reads version %u", f->path,
                version, IXF_VERSION);
        return PK_EVERSION;
    }
    uint32_t idlen = ld_u32le(m + 24);
    if (idlen > MAX_IDENTITY || HDR_FIXED + (size_t)idlen + 4 + TRAILER > size)
        return ixf_corrupt(f, m + 24, "bad analyzer identity length in header");
    size_t hlen = HDR_FIXED + idlen + 4;
    if (crc(0, m, hlen - 4) != ld_u32le(m + hlen - 4)) return ixf_corrupt(f, m, "header checksum mismatch");
    f->kind = ld_u32le(m + 12);
    f->segid = ld_u64le(m + 16);
    if (f->kind != kind) {
        char a[5], b[5];
        kind_name(f->kind, a);
        kind_name(kind, b);
        msg_set(f->msg, "%s: at byte 12: file kind '%s', expected '%s'", f->path, a, b);
        return PK_ECORRUPT;
    }
    f->identity = pk_strndup((const char *)m + HDR_FIXED, idlen);
    if (!f->identity) return PK_ENOMEM;
    if (identity && strcmp(identity, f->identity) != 0) {
        msg_set(f->msg, "%s: built with analyzer \"%s\", expected \"%s\"", f->path, f->identity, identity);
        return PK_EVERSION;
    }

    /* trailer and footer */
    const uint8_t *t = m + size - TRAILER;
    if (ld_u32le(t + 12) != IXF_TAIL) return ixf_corrupt(f, m + size, "file is truncated or its end is damaged (no trailer)");
    uint64_t flen = ld_u64le(t + 4);
    if (flen < TRAILER + 4 + 4 + 16 + 8 || flen > size - hlen)
        return ixf_corrupt(f, t + 4, "bad footer length");
    const uint8_t *fs = m + size - flen, *fe = t;
    if (crc(0, fs, (size_t)(fe - fs)) != ld_u32le(t)) return ixf_corrupt(f, fs, "footer checksum mismatch");
    const uint8_t *p = fs;
    uint32_t nsec = ld_u32le(p);
    p += 4;
    if (nsec > IXF_MAXSEC || (size_t)(fe - p) < (size_t)nsec * 24 + 4 + 16 + 8)
        return ixf_corrupt(f, fs, "bad section count in footer");
    f->body_start = hlen;
    f->body_end = size - flen;
    f->nsec = nsec;
    for (uint32_t i = 0; i < nsec; i++, p += 24) {
        f->sec[i].tag = ld_u32le(p);
        f->sec[i].off = ld_u64le(p + 8);
        f->sec[i].len = ld_u64le(p + 16);
        if (f->sec[i].off < f->body_start || f->sec[i].off > f->body_end ||
            f->sec[i].len > f->body_end - f->sec[i].off)
            return ixf_corrupt(f, p, "section outside the file body");
    }
    uint32_t page = ld_u32le(p);
    uint64_t bs = ld_u64le(p + 4), be = ld_u64le(p + 12), np = ld_u64le(p + 20);
    p += 28;
    if (page != IXF_PAGE) return ixf_corrupt(f, p - 28, "unexpected page size");
    if (bs != f->body_start || be != f->body_end) return ixf_corrupt(f, p - 24, "body bounds disagree with the file size");
    uint64_t want = (be - bs + IXF_PAGE - 1) / IXF_PAGE;
    if (np != want || (uint64_t)(fe - p) != np * 4) return ixf_corrupt(f, p - 8, "page count disagrees with the body size");
    f->npages = np;
    f->crcs = p;
    f->verified = pk_calloc((size_t)(np / 8 + 1), 1);
    if (!f->verified) return PK_ENOMEM;
    return PK_OK;
}

pk_status ixf_open(const char *path, uint32_t kind, const char *identity, pk_msg *msg, ixf **out)
{
    *out = NULL;
    ixf *f = pk_calloc(1, sizeof *f);
    if (!f) return PK_ENOMEM;
    f->msg = msg;
    f->path = pk_strdup(path);
    if (!f->path) { pk_free(f); return PK_ENOMEM; }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        msg_set(msg, "%s: %s", path, strerror(e));
        ixf_close(f);
        return e == ENOENT ? PK_ENOENT : PK_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        msg_set(msg, "%s: not a regular file", path);
        close(fd);
        ixf_close(f);
        return PK_EIO;
    }
    if (st.st_size == 0) {
        close(fd);
        msg_set(msg, "%s: at byte 0: file is empty", path);
        ixf_close(f);
        return PK_ECORRUPT;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (m == MAP_FAILED) {
        msg_set(msg, "%s: cannot map: %s", path, strerror(e));
        ixf_close(f);
        return PK_EIO;
    }
    f->map = m;
    f->size = (size_t)st.st_size;
    pk_status st2 = parse(f, kind, identity);
    if (st2 != PK_OK) {
        if (st2 == PK_ENOMEM) msg_set(msg, "%s: out of memory", path);
        ixf_close(f);
        return st2;
    }
    *out = f;
    return PK_OK;
}

pk_status ixf_section_get(ixf *f, uint32_t tag, const uint8_t **p, size_t *n)
{
    for (uint32_t i = 0; i < f->nsec; i++)
        if (f->sec[i].tag == tag) {
            *p = f->map + f->sec[i].off;
            *n = (size_t)f->sec[i].len;
            return PK_OK;
        }
    char k[5];
    kind_name(tag, k);
    msg_set(f->msg, "%s: missing section '%s'", f->path, k);
    return PK_ECORRUPT;
}

static pk_status check_page(ixf *f, uint64_t pg)
{
    if (f->verified[pg / 8] & (1u << (pg % 8))) return PK_OK;
    uint64_t off = f->body_start + pg * IXF_PAGE;
    uint64_t len = f->body_end - off < IXF_PAGE ? f->body_end - off : IXF_PAGE;
    if (crc(0, f->map + off, (size_t)len) != ld_u32le(f->crcs + pg * 4)) {
        msg_set(f->msg, "%s: at byte %llu: checksum mismatch in the page of %llu bytes that starts there",
                f->path, (unsigned long long)off, (unsigned long long)len);
        return PK_ECORRUPT;
    }
    f->verified[pg / 8] |= (uint8_t)(1u << (pg % 8));
    return PK_OK;
}

pk_status ixf_need(ixf *f, const uint8_t *p, size_t n)
{
    if (p < f->map + f->body_start || p > f->map + f->body_end || n > (size_t)(f->map + f->body_end - p))
        return ixf_corrupt(f, p, "reference outside the file body");
    if (n == 0) return PK_OK;
    uint64_t a = (uint64_t)(p - f->map) - f->body_start, b = a + n - 1;
    for (uint64_t pg = a / IXF_PAGE; pg <= b / IXF_PAGE; pg++) {
        pk_status st = check_page(f, pg);
        if (st) return st;
    }
    return PK_OK;
}

pk_status ixf_verify_all(ixf *f)
{
    for (uint64_t pg = 0; pg < f->npages; pg++) {
        pk_status st = check_page(f, pg);
        if (st) return st;
    }
    return PK_OK;
}

void ixf_release(ixf *f)
{
    if (f && f->map) madvise((void *)f->map, f->size, MADV_DONTNEED);
}

/* ---- writing ---- */

#define WBUF (1u << 16)

struct ixfw {
    int       fd;
    char     *path;
    pk_msg   *msg;
    pk_status st;
    uint64_t  off;               /* bytes written to the file (buffered included) */
    uint64_t  body_start;
    uint8_t  *wb;
    size_t    wn;
    uint32_t  page_crc;
    size_t    page_fill;
    pk_buf    crcs;
    uint32_t  nsec;
    ixf_section sec[IXF_MAXSEC];
    int       open_sec;
};

static void wflush(ixfw *w)
{
    size_t done = 0;
    while (w->st == PK_OK && done < w->wn) {
        ssize_t r = write(w->fd, w->wb + done, w->wn - done);
        if (r < 0) {
            if (errno == EINTR) continue;
            msg_set(w->msg, "%s: write failed: %s", w->path, strerror(errno));
            w->st = PK_EIO;
            break;
        }
        done += (size_t)r;
    }
    w->wn = 0;
}

static void raw_write(ixfw *w, const uint8_t *p, size_t n)
{
    while (n && w->st == PK_OK) {
        size_t k = WBUF - w->wn < n ? WBUF - w->wn : n;
        memcpy(w->wb + w->wn, p, k);
        w->wn += k;
        w->off += k;
        p += k;
        n -= k;
        if (w->wn == WBUF) wflush(w);
    }
}

/* Body bytes: written and folded into the page CRCs. */
static void body_write(ixfw *w, const uint8_t *p, size_t n)
{
    raw_write(w, p, n);
    while (n) {
        size_t k = IXF_PAGE - w->page_fill < n ? IXF_PAGE - w->page_fill : n;
        w->page_crc = crc(w->page_crc, p, k);
        w->page_fill += k;
        p += k;
        n -= k;
        if (w->page_fill == IXF_PAGE) {
            buf_put_u32le(&w->crcs, w->page_crc);
            w->page_crc = 0;
            w->page_fill = 0;
        }
    }
}

pk_status ixfw_create(const char *path, uint32_t kind, uint64_t segid, const char *identity,
                      pk_msg *msg, ixfw **out)
{
    *out = NULL;
    size_t idlen = identity ? strlen(identity) : 0;
    if (idlen > MAX_IDENTITY) {
        msg_set(msg, "analyzer identity longer than %d bytes", MAX_IDENTITY);
        return PK_EINVAL;
    }
    ixfw *w = pk_calloc(1, sizeof *w);
    if (!w) return PK_ENOMEM;
    w->path = pk_strdup(path);
    w->wb = pk_malloc(WBUF);
    buf_init(&w->crcs);
    w->msg = msg;
    w->open_sec = -1;
    if (!w->path || !w->wb) {
        pk_free(w->path);
        pk_free(w->wb);
        pk_free(w);
        return PK_ENOMEM;
    }
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        msg_set(msg, "%s: cannot create: %s", path, strerror(errno));
        pk_free(w->path);
        pk_free(w->wb);
        pk_free(w);
        return PK_EIO;
    }
    uint8_t h[HDR_FIXED];
    memcpy(h, IXF_MAGIC, 8);
    st_u32le(h + 8, IXF_VERSION);
    st_u32le(h + 12, kind);
    st_u64le(h + 16, segid);
    st_u32le(h + 24, (uint32_t)idlen);
    uint32_t c = crc(0, h, sizeof h);
    c = crc(c, (const uint8_t *)identity, idlen);
    raw_write(w, h, sizeof h);
    raw_write(w, (const uint8_t *)identity, idlen);
    uint8_t cb[4];
    st_u32le(cb, c);
    raw_write(w, cb, 4);
    w->body_start = w->off;
    *out = w;
    return PK_OK;
}

void ixfw_begin(ixfw *w, uint32_t tag)
{
    if (w->nsec >= IXF_MAXSEC || w->open_sec >= 0) {
        if (w->st == PK_OK) {
            msg_set(w->msg, "%s: too many sections", w->path);
            w->st = PK_EINVAL;
        }
        return;
    }
    w->sec[w->nsec].tag = tag;
    w->sec[w->nsec].off = w->off;
    w->sec[w->nsec].len = 0;
    w->open_sec = (int)w->nsec++;
}

void ixfw_write(ixfw *w, const void *p, size_t n)
{
    if (w->st != PK_OK || n == 0) return;
    body_write(w, p, n);
}

void ixfw_end(ixfw *w)
{
    if (w->open_sec < 0) return;
    w->sec[w->open_sec].len = w->off - w->sec[w->open_sec].off;
    w->open_sec = -1;
}

uint64_t ixfw_section_size(const ixfw *w)
{
    return w->open_sec < 0 ? 0 : w->off - w->sec[w->open_sec].off;
}

uint64_t ixfw_size(const ixfw *w) { return w->off; }

void ixfw_abort(ixfw *w)
{
    if (!w) return;
    close(w->fd);
    unlink(w->path);
    buf_free(&w->crcs);
    pk_free(w->wb);
    pk_free(w->path);
    pk_free(w);
}

pk_status ixfw_finish(ixfw *w, uint64_t *file_size)
{
    ixfw_end(w);
    if (w->page_fill) {
        buf_put_u32le(&w->crcs, w->page_crc);
        w->page_fill = 0;
    }
    uint64_t body_end = w->off;
    pk_buf f;
    buf_init(&f);
    buf_put_u32le(&f, w->nsec);
    for (uint32_t i = 0; i < w->nsec; i++) {
        buf_put_u32le(&f, w->sec[i].tag);
        buf_put_u32le(&f, 0);
        buf_put_u64le(&f, w->sec[i].off);
        buf_put_u64le(&f, w->sec[i].len);
    }
    buf_put_u32le(&f, IXF_PAGE);
    buf_put_u64le(&f, w->body_start);
    buf_put_u64le(&f, body_end);
    buf_put_u64le(&f, (uint64_t)(w->crcs.n / 4));
    buf_put(&f, w->crcs.p, w->crcs.n);
    uint32_t c = f.err || w->crcs.err ? 0 : crc(0, f.p, f.n);
    buf_put_u32le(&f, c);
    buf_put_u64le(&f, (uint64_t)f.n + 12);
    buf_put_u32le(&f, IXF_TAIL);
    if ((f.err || w->crcs.err) && w->st == PK_OK) {
        msg_set(w->msg, "%s: out of memory", w->path);
        w->st = PK_ENOMEM;
    }
    if (w->st == PK_OK) raw_write(w, f.p, f.n);
    buf_free(&f);
    if (w->st == PK_OK) wflush(w);
    if (w->st == PK_OK && fsync(w->fd) != 0) {
        msg_set(w->msg, "%s: fsync failed: %s", w->path, strerror(errno));
        w->st = PK_EIO;
    }
    pk_status st = w->st;
    if (file_size) *file_size = w->off;
    if (st != PK_OK) {
        ixfw_abort(w);
        return st;
    }
    if (close(w->fd) != 0) {
        msg_set(w->msg, "%s: close failed: %s", w->path, strerror(errno));
        st = PK_EIO;
        unlink(w->path);
    }
    buf_free(&w->crcs);
    pk_free(w->wb);
    pk_free(w->path);
    pk_free(w);
    return st;
}

pk_status ixf_sync_dir(const char *dir, pk_msg *msg)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        msg_set(msg, "%s: cannot open folder: %s", dir, strerror(errno));
        return PK_EIO;
    }
    int r = fsync(fd);
    int e = errno;
    close(fd);
    if (r != 0 && e != EINVAL) {
        msg_set(msg, "%s: fsync of the folder failed: %s", dir, strerror(e));
        return PK_EIO;
    }
    return PK_OK;
}
