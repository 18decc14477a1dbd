/* util.c — allocation hook, growable buffers, varints, hashing and handle messages. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void *default_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud; (void)osize;
    if (nsize == 0) { free(ptr); return NULL; }
    return realloc(ptr, nsize);
}

static pk_alloc_fn alloc_fn = default_alloc;
static void *alloc_ud;

/* jansson's hooks have malloc's signature and do not pass sizes.  jansson's setters report a
 * failed allocation only through return values that are easy to miss, so failures are also
 * counted here, per thread (a handle is used by one thread at a time). */
static _Thread_local unsigned long json_failures;

void *util_plain_malloc(size_t n)
{
    void *p = pk_malloc(n ? n : 1);
    if (!p) json_failures++;
    return p;
}

unsigned long util_json_failures(void) { return json_failures; }
void util_plain_free(void *p) { pk_free(p); }

void util_install_json_alloc(void)
{
    json_set_alloc_funcs(util_plain_malloc, util_plain_free);
}

void util_install_deflate_alloc(void)
{
    libdeflate_set_memory_allocator(util_plain_malloc, util_plain_free);
}

void pk_set_allocator(pk_alloc_fn fn, void *ud)
{
    alloc_fn = fn ? fn : default_alloc;
    alloc_ud = fn ? ud : NULL;
    util_install_json_alloc();
    util_install_deflate_alloc();
}

void *pk_malloc(size_t n) { return alloc_fn(alloc_ud, NULL, 0, n ? n : 1); }

void *pk_realloc(void *p, size_t n)
{
    if (n == 0) n = 1;
    return alloc_fn(alloc_ud, p, 0, n);
}

void pk_free(void *p)
{
    if (p) alloc_fn(alloc_ud, p, 0, 0);
}

void *pk_calloc(size_t count, size_t size)
{
    size_t n;
    if (!pk_mul_ok(count, size, &n)) return NULL;
    void *p = pk_malloc(n);
    if (p) memset(p, 0, n);
    return p;
}

void *pk_reallocarray(void *p, size_t count, size_t size)
{
    size_t n;
    if (!pk_mul_ok(count, size, &n)) return NULL;
    return pk_realloc(p, n);
}

char *pk_strndup(const char *s, size_t n)
{
    char *d = pk_malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *pk_strdup(const char *s) { return pk_strndup(s, strlen(s)); }

char *pk_vsprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return NULL;
    char *s = pk_malloc((size_t)n + 1);
    if (s) vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *pk_sprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = pk_vsprintf(fmt, ap);
    va_end(ap);
    return s;
}

const char *pk_strerror(pk_status st)
{
    switch (st) {
    case PK_OK:       return "ok";
    case PK_ENOMEM:   return "out of memory";
    case PK_EIO:      return "input/output error";
    case PK_ECORRUPT: return "corrupt data";
    case PK_EVERSION: return "unknown format version or analyzer";
    case PK_EINVAL:   return "invalid argument";
    case PK_ENOENT:   return "not found";
    case PK_EBUSY:    return "index is locked by another writer";
    case PK_EDECODE:  return "cannot decode text";
    case PK_ESYNTAX:  return "syntax error";
    case PK_ELIMIT:   return "limit exceeded";
    default:          return "unknown status";
    }
}

/* ---- buffers ---- */

void buf_init(pk_buf *b) { b->p = NULL; b->n = b->cap = 0; b->err = 0; }

void buf_free(pk_buf *b) { pk_free(b->p); buf_init(b); }

int buf_reserve(pk_buf *b, size_t extra)
{
    size_t need;
    if (b->err) return -1;
    if (!pk_add_ok(b->n, extra, &need) || !pk_add_ok(need, 1, &need)) { b->err = 1; return -1; }
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) { cap = need; break; }
        cap *= 2;
    }
    uint8_t *p = pk_realloc(b->p, cap);
    if (!p) { b->err = 1; return -1; }
    b->p = p;
    b->cap = cap;
    return 0;
}

void buf_put(pk_buf *b, const void *p, size_t n)
{
    if (n == 0 || buf_reserve(b, n)) return;
    memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = 0;
}

void buf_putc(pk_buf *b, int c)
{
    if (buf_reserve(b, 1)) return;
    b->p[b->n++] = (uint8_t)c;
    b->p[b->n] = 0;
}

void buf_puts(pk_buf *b, const char *s) { buf_put(b, s, strlen(s)); }

void buf_printf(pk_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap2);
    va_end(ap2);
    if (n < 0) { b->err = 1; va_end(ap); return; }
    if ((size_t)n < sizeof tmp) {
        buf_put(b, tmp, (size_t)n);
    } else if (!buf_reserve(b, (size_t)n)) {
        vsnprintf((char *)b->p + b->n, (size_t)n + 1, fmt, ap);
        b->n += (size_t)n;
    }
    va_end(ap);
}

void buf_put_u32le(pk_buf *b, uint32_t v)
{
    uint8_t t[4];
    st_u32le(t, v);
    buf_put(b, t, 4);
}

void buf_put_u64le(pk_buf *b, uint64_t v)
{
    uint8_t t[8];
    st_u64le(t, v);
    buf_put(b, t, 8);
}

void buf_put_varint(pk_buf *b, uint64_t v)
{
    uint8_t t[10];
    size_t n = 0;
    while (v >= 0x80) { t[n++] = (uint8_t)(v | 0x80); v >>= 7; }
    t[n++] = (uint8_t)v;
    buf_put(b, t, n);
}

char *buf_detach(pk_buf *b)
{
    if (b->err) { buf_free(b); return NULL; }
    if (!b->p && buf_reserve(b, 0)) return NULL;
    b->p[b->n] = 0;
    char *s = (char *)b->p;
    buf_init(b);
    return s;
}

int get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    const uint8_t *p = *pp;
    uint64_t r = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (p >= end) return -1;
        uint8_t c = *p++;
        if (shift == 63 && c > 1) return -1;
        r |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) { *pp = p; *v = r; return 0; }
    }
    return -1;
}

/* ---- hashing: a 64-bit multiply-mix over 8-byte words, finished with a strong avalanche ---- */

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 32; x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32; x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

uint64_t util_hash64(const void *data, size_t n, uint64_t seed)
{
    const uint8_t *p = data;
    const uint64_t k = 0x9e3779b97f4a7c15ULL;
    uint64_t h = seed ^ (n * k);
    while (n >= 8) {
        h = (h ^ mix64(ld_u64le(p) + k)) * 0xff51afd7ed558ccdULL;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++) t |= (uint64_t)p[i] << (8 * i);
    h = (h ^ mix64(t + k + n)) * 0xc4ceb9fe1a85ec53ULL;
    return mix64(h);
}

uint64_t pk_hash64(const void *p, size_t n) { return util_hash64(p, n, 0x70726f746f6b6f6cULL); }

/* ---- messages ---- */

void msg_set(pk_msg *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->text, sizeof m->text, fmt, ap);
    va_end(ap);
}

void msg_clear(pk_msg *m) { m->text[0] = 0; }

/* ---- files ---- */

pk_status util_read_file(const char *path, uint8_t **out, size_t *n, char **err)
{
    *out = NULL;
    *n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (err) *err = pk_sprintf("%s: %s", path, strerror(e));
        return e == ENOENT ? PK_ENOENT : PK_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        if (err) *err = pk_sprintf("%s: is a directory", path);
        return PK_EINVAL;
    }
    pk_buf b;
    buf_init(&b);
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        buf_reserve(&b, (size_t)st.st_size);
    for (;;) {
        if (buf_reserve(&b, 65536)) {
            close(fd);
            buf_free(&b);
            if (err) *err = pk_sprintf("%s: out of memory", path);
            return PK_ENOMEM;
        }
        ssize_t r = read(fd, b.p + b.n, b.cap - b.n - 1);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            buf_free(&b);
            if (err) *err = pk_sprintf("%s: %s", path, strerror(e));
            return PK_EIO;
        }
        if (r == 0) break;
        b.n += (size_t)r;
    }
    close(fd);
    if (!b.p && buf_reserve(&b, 0)) {
        if (err) *err = pk_sprintf("%s: out of memory", path);
        return PK_ENOMEM;
    }
    b.p[b.n] = 0;
    *out = b.p;
    *n = b.n;
    return PK_OK;
}

int util_memcasecmp_ascii(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        int c = x[i], d = y[i];
        if (c >= 'A' && c <= 'Z') c += 32;
        if (d >= 'A' && d <= 'Z') d += 32;
        if (c != d) return c - d;
    }
    return 0;
}
