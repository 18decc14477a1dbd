/* strtab.c — interned byte strings with open addressing (linear probing). */
#include "strtab.h"

uint32_t strtab_hash(const void *k, size_t n) { return (uint32_t)util_hash64(k, n, 0x7374727461626c65ULL); }
#define key_hash strtab_hash

void strtab_init(strtab *t)
{
    buf_init(&t->arena);
    t->ent = NULL;
    t->slot = NULL;
    t->n = t->cap = t->nslot = 0;
}

void strtab_free(strtab *t)
{
    buf_free(&t->arena);
    pk_free(t->ent);
    pk_free(t->slot);
    strtab_init(t);
}

void strtab_reset(strtab *t)
{
    t->arena.n = 0;
    t->arena.err = 0;
    t->n = 0;
    if (t->slot) memset(t->slot, 0, t->nslot * sizeof *t->slot);
}

size_t strtab_bytes(const strtab *t)
{
    return t->arena.cap + t->cap * sizeof *t->ent + t->nslot * sizeof *t->slot;
}

static int lookup(const strtab *t, const void *key, size_t n, uint32_t h, size_t *where)
{
    size_t mask = t->nslot - 1, i = h & mask;
    for (;;) {
        uint32_t s = t->slot[i];
        if (!s) { *where = i; return 0; }
        const strtab_ent *e = &t->ent[s - 1];
        if (e->hash == h && e->len == n && memcmp(t->arena.p + e->off, key, n) == 0) {
            *where = i;
            return 1;
        }
        i = (i + 1) & mask;
    }
}

static int grow_slots(strtab *t)
{
    size_t ns = t->nslot ? t->nslot * 2 : 64;
    uint32_t *s = pk_calloc(ns, sizeof *s);
    if (!s) return -1;
    for (size_t id = 0; id < t->n; id++) {
        size_t i = t->ent[id].hash & (ns - 1);
        while (s[i]) i = (i + 1) & (ns - 1);
        s[i] = (uint32_t)id + 1;
    }
    pk_free(t->slot);
    t->slot = s;
    t->nslot = ns;
    return 0;
}

int strtab_find(const strtab *t, const void *key, size_t n, uint32_t *id)
{
    if (!t->nslot) return 0;
    size_t w;
    if (!lookup(t, key, n, key_hash(key, n), &w)) return 0;
    *id = t->slot[w] - 1;
    return 1;
}

int strtab_intern(strtab *t, const void *key, size_t n, uint32_t *id)
{
    return strtab_intern_h(t, key, n, key_hash(key, n), id);
}

static int add_entry(strtab *t, const void *key, size_t n, uint32_t h, uint32_t *id)
{
    if (t->n >= UINT32_MAX - 1 || t->arena.n + n > UINT32_MAX) return -1;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        strtab_ent *e = pk_reallocarray(t->ent, nc, sizeof *e);
        if (!e) return -1;
        t->ent = e;
        t->cap = nc;
    }
    size_t off = t->arena.n;
    if (n) {
        buf_put(&t->arena, key, n);
    } else if (buf_reserve(&t->arena, 0)) {
        return -1;
    }
    if (t->arena.err) return -1;
    t->ent[t->n].off = (uint32_t)off;
    t->ent[t->n].len = (uint32_t)n;
    t->ent[t->n].hash = h;
    *id = (uint32_t)t->n++;
    return 0;
}

int strtab_append(strtab *t, const void *key, size_t n, uint32_t hash, uint32_t *id)
{
    if (n > UINT32_MAX) return -1;
    return add_entry(t, key, n, hash, id);
}

int strtab_touch(strtab *t)
{
    return (t->n + 1) * 4 > t->nslot * 3 && grow_slots(t) ? -1 : 0;
}

int strtab_intern_h(strtab *t, const void *key, size_t n, uint32_t h, uint32_t *id)
{
    if (n > UINT32_MAX) return -1;
    if (strtab_touch(t)) return -1;
    size_t w;
    if (lookup(t, key, n, h, &w)) {
        *id = t->slot[w] - 1;
        return 0;
    }
    if (add_entry(t, key, n, h, id)) return -1;
    t->slot[w] = *id + 1;
    return 1;
}
