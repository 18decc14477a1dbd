/* manifest.c — reading and atomically replacing the manifest of an index. */
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <libdeflate.h>
#include "ixfile.h"

void manifest_init(manifest *m) { memset(m, 0, sizeof *m); }

void manifest_free(manifest *m)
{
    pk_free(m->identity);
    pk_free(m->segs);
    manifest_init(m);
}

pk_status manifest_copy(manifest *dst, const manifest *src)
{
    manifest_init(dst);
    *dst = *src;
    dst->identity = NULL;
    dst->segs = NULL;
    dst->cap = 0;
    if (src->identity && !(dst->identity = pk_strdup(src->identity))) { manifest_free(dst); return PK_ENOMEM; }
    if (src->nsegs) {
        dst->segs = pk_reallocarray(NULL, src->nsegs, sizeof *dst->segs);
        if (!dst->segs) { manifest_free(dst); return PK_ENOMEM; }
        memcpy(dst->segs, src->segs, src->nsegs * sizeof *dst->segs);
        dst->cap = src->nsegs;
    }
    return PK_OK;
}

pk_status manifest_insert(manifest *m, size_t i, const man_seg *s)
{
    if (m->nsegs == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 16;
        man_seg *n = pk_reallocarray(m->segs, nc, sizeof *n);
        if (!n) return PK_ENOMEM;
        m->segs = n;
        m->cap = nc;
    }
    memmove(m->segs + i + 1, m->segs + i, (m->nsegs - i) * sizeof *m->segs);
    m->segs[i] = *s;
    m->nsegs++;
    return PK_OK;
}

void manifest_remove(manifest *m, size_t i, size_t count)
{
    memmove(m->segs + i, m->segs + i + count, (m->nsegs - i - count) * sizeof *m->segs);
    m->nsegs -= count;
}

char *manifest_text(const manifest *m)
{
    pk_buf b;
    buf_init(&b);
    buf_printf(&b, "protokoll-index %d\n", MANIFEST_VERSION);
    buf_printf(&b, "identity %s\n", m->identity ? m->identity : "-");
    buf_printf(&b, "generation %llu\n", (unsigned long long)m->generation);
    buf_printf(&b, "next-segment %llu\n", (unsigned long long)m->next_seg);
    buf_printf(&b, "next-doc %u\n", m->next_doc);
    buf_printf(&b, "segments %zu\n", m->nsegs);
    for (size_t i = 0; i < m->nsegs; i++) {
        const man_seg *s = &m->segs[i];
        buf_printf(&b, "segment %llu docs %u deleted %u ids %u-%u del %llu\n", (unsigned long long)s->id,
                   s->ndocs, s->ndeleted, s->first_id, s->last_id, (unsigned long long)s->del_gen);
    }
    uint32_t c = b.err ? 0 : libdeflate_crc32(0, b.p, b.n);
    buf_printf(&b, "crc32 %08x\n", c);
    return buf_detach(&b);
}

/* ---- parsing: one expected line at a time ---- */

typedef struct lines { const char *p, *end; size_t lineno; } lines;

static int next_line(lines *l, const char **s, size_t *n)
{
    if (l->p >= l->end) return 0;
    const char *nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
    if (!nl) return 0;
    *s = l->p;
    *n = (size_t)(nl - l->p);
    l->p = nl + 1;
    l->lineno++;
    return 1;
}

/* "key value" with value a decimal number. */
static int line_num(lines *l, const char *key, uint64_t max, uint64_t *v)
{
    const char *s;
    size_t n, k = strlen(key);
    if (!next_line(l, &s, &n) || n <= k + 1 || memcmp(s, key, k) != 0 || s[k] != ' ') return -1;
    uint64_t x = 0;
    for (size_t i = k + 1; i < n; i++) {
        if (!is_ascii_digit(s[i]) || x > (UINT64_MAX - 9) / 10) return -1;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    if (x > max) return -1;
    *v = x;
    return 0;
}

static int parse_seg(const char *s, size_t n, man_seg *g)
{
    char tmp[256];
    if (n >= sizeof tmp) return -1;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    unsigned long long id, del;
    unsigned nd, ndel, a, b;
    int used = 0;
    if (sscanf(tmp, "segment %llu docs %u deleted %u ids %u-%u del %llu%n", &id, &nd, &ndel, &a, &b, &del, &used) != 6 ||
        (size_t)used != n)
        return -1;
    if (nd == 0 || ndel > nd || b < a || b - a < nd - 1) return -1;
    g->id = id;
    g->ndocs = nd;
    g->ndeleted = ndel;
    g->first_id = a;
    g->last_id = b;
    g->del_gen = del;
    return 0;
}

pk_status manifest_read(const char *dir, manifest *m, pk_msg *msg)
{
    manifest_init(m);
    char *path = pk_sprintf("%s/%s", dir, MANIFEST_NAME);
    if (!path) return PK_ENOMEM;
    uint8_t *data;
    size_t size;
    char *err = NULL;
    pk_status st = util_read_file(path, &data, &size, &err);
    if (st) {
        msg_set(msg, "%s", err ? err : "cannot read the manifest");
        pk_free(err);
        pk_free(path);
        return st;
    }
    const char *txt = (const char *)data;
    lines l = {txt, txt + size, 0};
    const char *s;
    size_t n;
    uint64_t v;
    st = PK_ECORRUPT;
    /* version first, so that a newer layout is reported as such */
    if (!next_line(&l, &s, &n) || n < 17 || memcmp(s, "protokoll-index ", 16) != 0) {
        msg_set(msg, "%s: at byte 0: not a protokoll manifest", path);
        goto done;
    }
    if (n != 17 || s[16] != '0' + MANIFEST_VERSION) {
        msg_set(msg, "%s: manifest version %.*s; this build reads version %d", path, (int)(n - 16), s + 16,
                MANIFEST_VERSION);
        st = PK_EVERSION;
        goto done;
    }
    /* the checksum covers everything before the last line */
    const char *last = txt + size;
    if (size < 2 || last[-1] != '\n') { msg_set(msg, "%s: at byte %zu: manifest is truncated", path, size); goto done; }
    const char *cl = last - 1;
    while (cl > txt && cl[-1] != '\n') cl--;
    unsigned c = 0;
    int used = 0;
    char tail[32];
    size_t tl = (size_t)(last - cl);
    if (tl >= sizeof tail || (memcpy(tail, cl, tl), tail[tl] = 0, sscanf(tail, "crc32 %8x\n%n", &c, &used) != 1) ||
        (size_t)used != tl) {
        msg_set(msg, "%s: at byte %zu: manifest is truncated (no checksum line)", path, (size_t)(cl - txt));
        goto done;
    }
    if (libdeflate_crc32(0, data, (size_t)(cl - txt)) != c) {
        msg_set(msg, "%s: at byte 0: manifest checksum mismatch", path);
        goto done;
    }
    l.end = cl;
    if (!next_line(&l, &s, &n) || n < 10 || memcmp(s, "identity ", 9) != 0) goto bad_line;
    if (!(n == 10 && s[9] == '-')) {
        m->identity = pk_strndup(s + 9, n - 9);
        if (!m->identity) { st = PK_ENOMEM; goto done; }
    }
    if (line_num(&l, "generation", UINT64_MAX, &m->generation)) goto bad_line;
    if (line_num(&l, "next-segment", UINT64_MAX, &m->next_seg)) goto bad_line;
    if (line_num(&l, "next-doc", UINT32_MAX, &v)) goto bad_line;
    m->next_doc = (uint32_t)v;
    if (line_num(&l, "segments", 1u << 24, &v)) goto bad_line;
    for (uint64_t i = 0; i < v; i++) {
        man_seg g;
        if (!next_line(&l, &s, &n) || parse_seg(s, n, &g)) goto bad_line;
        if (g.id >= m->next_seg || g.last_id >= m->next_doc || g.del_gen > m->generation ||
            (m->nsegs && (g.id == m->segs[m->nsegs - 1].id || g.first_id <= m->segs[m->nsegs - 1].last_id)))
            goto bad_line;
        if ((st = manifest_insert(m, m->nsegs, &g))) goto done;
        st = PK_ECORRUPT;
    }
    if (l.p != l.end) goto bad_line;
    st = PK_OK;
    goto done;
bad_line:
    msg_set(msg, "%s: at byte %zu: bad manifest line %zu", path, (size_t)(l.p - txt), l.lineno);
done:
    if (st) manifest_free(m);
    pk_free(data);
    pk_free(path);
    return st;
}

pk_status manifest_write(const char *dir, const manifest *m, pk_msg *msg, int *switched)
{
    if (switched) *switched = 0;
    if (m->identity && strchr(m->identity, '\n')) {
        msg_set(msg, "analyzer identity contains a line break");
        return PK_EINVAL;
    }
    char *txt = manifest_text(m);
    char *tmp = pk_sprintf("%s/%s", dir, MANIFEST_TMP), *fin = pk_sprintf("%s/%s", dir, MANIFEST_NAME);
    pk_status st = PK_ENOMEM;
    int fd = -1;
    if (!txt || !tmp || !fin) goto done;
    st = PK_EIO;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) { msg_set(msg, "%s: cannot create: %s", tmp, strerror(errno)); goto done; }
    size_t len = strlen(txt), done = 0;
    while (done < len) {
        ssize_t r = write(fd, txt + done, len - done);
        if (r < 0) {
            if (errno == EINTR) continue;
            msg_set(msg, "%s: write failed: %s", tmp, strerror(errno));
            goto done;
        }
        done += (size_t)r;
    }
    if (fsync(fd) != 0) { msg_set(msg, "%s: fsync failed: %s", tmp, strerror(errno)); goto done; }
    if (close(fd) != 0) { fd = -1; msg_set(msg, "%s: close failed: %s", tmp, strerror(errno)); goto done; }
    fd = -1;
    if (rename(tmp, fin) != 0) { msg_set(msg, "%s: rename failed: %s", fin, strerror(errno)); unlink(tmp); goto done; }
    if (switched) *switched = 1;
    st = ixf_sync_dir(dir, msg);
done:
    if (fd >= 0) { close(fd); unlink(tmp); }
    pk_free(txt);
    pk_free(tmp);
    pk_free(fin);
    return st;
}
