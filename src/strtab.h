/* strtab.h — interned byte strings: an arena of keys, dense ids in insertion order, open-addressed
 * hash look-up.  Used for terms and forms of a document and of the in-memory segment. */
#ifndef PK_STRTAB_H
#define PK_STRTAB_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

typedef struct strtab_ent { uint32_t off, len, hash; } strtab_ent;

typedef struct strtab {
    pk_buf      arena;       /* key bytes, back to back */
    strtab_ent *ent;         /* n entries, ids 0..n-1 */
    uint32_t   *slot;        /* nslot (a power of two) slots holding id+1, 0 = empty */
    size_t      n, cap, nslot;
} strtab;

void strtab_init(strtab *t);
void strtab_free(strtab *t);
/* Forget every key but keep the memory. */
void strtab_reset(strtab *t);
/* Intern a key: 1 when new, 0 when it was there, -1 when memory ran out (or the arena passed
 * 4 GiB).  *id receives the key's id. */
int  strtab_intern(strtab *t, const void *key, size_t n, uint32_t *id);
/* The same with the key's hash given (strtab_hash of the key), computed elsewhere. */
int  strtab_intern_h(strtab *t, const void *key, size_t n, uint32_t hash, uint32_t *id);
/* Append a key the caller knows to be new, without looking it up or making it findable (for
 * callers that tell keys apart by their own ids): 0, or -1 when memory ran out. */
int  strtab_append(strtab *t, const void *key, size_t n, uint32_t hash, uint32_t *id);
/* What strtab_intern does to the table before it looks a key up (it grows the slots ahead of the
 * next insertion): a caller that knows a key's id without looking it up calls this instead, so
 * that the table's memory follows the same calls either way.  0, or -1 when memory ran out. */
int  strtab_touch(strtab *t);
/* The hash strtab uses for a key. */
uint32_t strtab_hash(const void *key, size_t n);
/* 1 and *id when the key is present, else 0. */
int  strtab_find(const strtab *t, const void *key, size_t n, uint32_t *id);
static inline const uint8_t *strtab_key(const strtab *t, uint32_t id, uint32_t *len)
{
    *len = t->ent[id].len;
    return t->arena.p + t->ent[id].off;
}
/* Bytes of memory the table holds. */
size_t strtab_bytes(const strtab *t);

#endif
