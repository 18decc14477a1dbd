/* util.h — internal helpers shared by every stage: allocation, growable buffers, hashing, messages. */
#ifndef PK_UTIL_H
#define PK_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "protokoll.h"

/* ---- allocation: everything goes through the hook of pk_set_allocator ---- */
void *pk_malloc(size_t n);
void *pk_calloc(size_t count, size_t size);            /* overflow-checked, zeroed */
void *pk_realloc(void *p, size_t n);                   /* NULL on failure, p untouched */
void *pk_reallocarray(void *p, size_t count, size_t size);
char *pk_strndup(const char *s, size_t n);
char *pk_strdup(const char *s);
char *pk_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *pk_vsprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* (Re)install the hook in jansson; called by pk_set_allocator and by the JSON module. */
void util_install_json_alloc(void);
/* The same for libdeflate (the writer's compressor of stored blocks). */
void util_install_deflate_alloc(void);
/* Allocation functions with the C library's signatures for libraries that want them. */
void *util_plain_malloc(size_t n);
void  util_plain_free(void *p);
/* How many of jansson's allocations have failed on this thread so far: a result built with
 * jansson is complete only when this did not change while it was built. */
unsigned long util_json_failures(void);

/* a + b and a * b without overflow; return 0 on overflow. */
static inline int pk_add_ok(size_t a, size_t b, size_t *r) { return !__builtin_add_overflow(a, b, r); }
static inline int pk_mul_ok(size_t a, size_t b, size_t *r) { return !__builtin_mul_overflow(a, b, r); }

/* ---- growable byte buffer; a failed growth sets err and later appends are no-ops ---- */
typedef struct pk_buf {
    uint8_t *p;
    size_t   n, cap;
    int      err;     /* sticky: 1 after a failed allocation */
} pk_buf;

void buf_init(pk_buf *b);
void buf_free(pk_buf *b);
int  buf_reserve(pk_buf *b, size_t extra);   /* 0 ok, -1 on failure (sets err) */
void buf_put(pk_buf *b, const void *p, size_t n);
void buf_putc(pk_buf *b, int c);
void buf_puts(pk_buf *b, const char *s);
void buf_printf(pk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_put_u32le(pk_buf *b, uint32_t v);
void buf_put_u64le(pk_buf *b, uint64_t v);
void buf_put_varint(pk_buf *b, uint64_t v);
/* Take the contents as a NUL-terminated string (the buffer is left empty); NULL on err. */
char *buf_detach(pk_buf *b);

/* ---- little-endian loads and stores ---- */
static inline uint32_t ld_u32le(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t ld_u64le(const uint8_t *p) {
    return (uint64_t)ld_u32le(p) | (uint64_t)ld_u32le(p + 4) << 32;
}
static inline void st_u32le(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void st_u64le(uint8_t *p, uint64_t v) { st_u32le(p, (uint32_t)v); st_u32le(p + 4, (uint32_t)(v >> 32)); }

/* Decode a LEB128 varint from [*pp, end).  Returns 0 and advances *pp, or -1 when truncated or
 * longer than 10 bytes. */
int get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v);

/* ---- hashing ---- */
uint64_t util_hash64(const void *p, size_t n, uint64_t seed);

/* ---- messages kept by handles ---- */
typedef struct pk_msg { char text[512]; } pk_msg;
void msg_set(pk_msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void msg_clear(pk_msg *m);

/* ---- files ---- */
/* Read a whole file (not stdin) into a fresh buffer; *err gets "path: reason" on failure. */
pk_status util_read_file(const char *path, uint8_t **out, size_t *n, char **err);

/* ---- small ASCII helpers ---- */
static inline int is_ascii_digit(int c) { return c >= '0' && c <= '9'; }
static inline int is_ascii_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
int util_memcasecmp_ascii(const void *a, const void *b, size_t n);

#endif
