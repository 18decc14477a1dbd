/* index.c — the index handle: open a generation, the writer lock, commits, deletions, the path map,
 * and removal of files no generation names. */
#include "index_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ixfile.h"

const char *pk_index_errmsg(const pk_index *ix) { return ix ? ix->msg.text : "no index"; }

pk_status ix_require_write(pk_index *ix)
{
    if (ix->broken) {
        msg_set(&ix->msg, "%s: an earlier error left this index handle unusable; open the index again", ix->dir);
        return PK_EINVAL;
    }
    if (ix->flags & PK_OPEN_WRITE) return PK_OK;
    msg_set(&ix->msg, "%s: index is open read-only", ix->dir);
    return PK_EINVAL;
}

static void close_segs(segr **segs, size_t n)
{
    for (size_t i = 0; i < n; i++) segr_close(segs[i]);
    pk_free(segs);
}

static void free_pending(pk_index *ix)
{
    for (size_t i = 0; i < ix->npend; i++) pk_free(ix->pend[i].bits);
    ix->npend = 0;
}

void ix_drop_pending(pk_index *ix) { free_pending(ix); }

void pk_index_close(pk_index *ix)
{
    if (!ix) return;
    if (ix->qctx_free) ix->qctx_free(ix->qctx);
    ixbuf_free(ix->buf);
    free_pending(ix);
    pk_free(ix->pend);
    pk_free(ix->pm.e);
    close_segs(ix->segs, ix->nopen);
    manifest_free(&ix->man);
    if (ix->lock_fd >= 0) close(ix->lock_fd);   /* releases the flock */
    pk_free(ix->dir);
    pk_free(ix);
}

/* Open the segments named by ix->man, taking already open ones (same id and deletion generation)
 * out of olds. */
static pk_status load_from(pk_index *ix, segr **olds, size_t nolds)
{
    size_t n = ix->man.nsegs;
    segr **segs = pk_calloc(n ? n : 1, sizeof *segs);
    if (!segs) { msg_set(&ix->msg, "out of memory"); return PK_ENOMEM; }
    pk_status st = PK_OK;
    for (size_t i = 0; i < n && !st; i++) {
        const man_seg *g = &ix->man.segs[i];
        for (size_t j = 0; j < nolds; j++)
            if (olds[j] && segr_id(olds[j]) == g->id && segr_del_gen(olds[j]) == g->del_gen) {
                segs[i] = olds[j];
                olds[j] = NULL;
                break;
            }
        if (segs[i]) continue;
        st = segr_open(ix->dir, g->id, ix->man.identity, g->del_gen, &ix->msg, &segs[i]);
        if (st) break;
        /* readers keep decoded document entries for repeated queries; a writer does not */
        if (!(ix->flags & PK_OPEN_WRITE)) segr_keep_docs(segs[i], IX_KEEP_DOCS);
        const seg_info *in = segr_info(segs[i]);
        if (in->ndocs != g->ndocs || in->first_id != g->first_id || in->last_id != g->last_id ||
            segr_ndeleted(segs[i]) != g->ndeleted) {
            msg_set(&ix->msg, "%s/seg-%06llu.ix: segment disagrees with the manifest (documents or ids)",
                    ix->dir, (unsigned long long)g->id);
            st = PK_ECORRUPT;
        }
    }
    if (st) {
        close_segs(segs, n);
        return st;
    }
    ix->segs = segs;
    ix->nopen = n;
    return PK_OK;
}

pk_status ix_load(pk_index *ix, int retry)
{
    segr **olds = ix->segs;
    size_t nolds = ix->nopen;
    ix->segs = NULL;
    ix->nopen = 0;
    pk_status st = load_from(ix, olds, nolds);
    for (int attempt = 0; st == PK_ENOENT && retry && attempt < 20; attempt++) {
        /* a writer may have replaced the generation between our reading the manifest and
         * opening its files: read it again */
        manifest m;
        pk_msg tmp;
        if (manifest_read(ix->dir, &m, &tmp) != PK_OK) break;
        if (m.generation == ix->man.generation) { manifest_free(&m); break; }
        manifest_free(&ix->man);
        ix->man = m;
        st = load_from(ix, olds, nolds);
    }
    if (st == PK_ENOENT) {
        char keep[sizeof ix->msg.text];
        memcpy(keep, ix->msg.text, sizeof keep);
        msg_set(&ix->msg, "index damaged: a file the manifest names is missing: %.400s", keep);
        st = PK_ECORRUPT;
    }
    close_segs(olds, nolds);
    if (st) {
        /* an unusable handle shows no segments, and never writes (nor removes files) again */
        ix->man.nsegs = 0;
        ix->broken = 1;
    }
    return st;
}

pk_status pk_index_open(const char *dir, unsigned flags, pk_index **out, char **err)
{
    *out = NULL;
    if (err) *err = NULL;
    pk_index *ix = pk_calloc(1, sizeof *ix);
    if (!ix) return PK_ENOMEM;
    ix->lock_fd = -1;
    ix->flags = flags;
    manifest_init(&ix->man);
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/') dl--;
    ix->dir = pk_strndup(dir, dl);
    pk_status st = PK_ENOMEM;
    if (!ix->dir) goto fail;
    struct stat sb;
    if (stat(ix->dir, &sb) != 0) {
        if (errno == ENOENT && (flags & PK_OPEN_CREATE) && (flags & PK_OPEN_WRITE)) {
            if (mkdir(ix->dir, 0755) != 0) {
                msg_set(&ix->msg, "%s: cannot create the index folder: %s", ix->dir, strerror(errno));
                st = PK_EIO;
                goto fail;
            }
        } else {
            msg_set(&ix->msg, "%s: no index here (build one with: protokoll index -i %s PATH...)", ix->dir, ix->dir);
            st = PK_ENOENT;
            goto fail;
        }
    } else if (!S_ISDIR(sb.st_mode)) {
        msg_set(&ix->msg, "%s: not a folder", ix->dir);
        st = PK_EINVAL;
        goto fail;
    }
    if (flags & PK_OPEN_WRITE) {
        char *lp = pk_sprintf("%s/%s", ix->dir, IX_LOCK_NAME);
        if (!lp) goto fail;
        ix->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        int e = errno;
        pk_free(lp);
        if (ix->lock_fd < 0) {
            msg_set(&ix->msg, "%s: cannot open the lock file: %s", ix->dir, strerror(e));
            st = PK_EIO;
            goto fail;
        }
        if (flock(ix->lock_fd, LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK) {
                msg_set(&ix->msg, "%s: another writer holds the index lock; try again when it has finished", ix->dir);
                st = PK_EBUSY;
            } else {
                msg_set(&ix->msg, "%s: cannot lock the index: %s", ix->dir, strerror(errno));
                st = PK_EIO;
            }
            goto fail;
        }
    }
    st = manifest_read(ix->dir, &ix->man, &ix->msg);
    if (st == PK_ENOENT) {
        if (!(flags & PK_OPEN_WRITE)) {
            msg_set(&ix->msg, "%s: no index here (no %s; build one with: protokoll index -i %s PATH...)",
                    ix->dir, MANIFEST_NAME, ix->dir);
            goto fail;
        }
        manifest_init(&ix->man);
        ix->man.next_seg = 1;
        ix->man.next_doc = IX_FIRST_ID;
        st = PK_OK;
    }
    if (st) goto fail;
    if (flags & PK_OPEN_WRITE) ix_remove_orphans(ix);
    st = ix_load(ix, !(flags & PK_OPEN_WRITE));
    if (st) goto fail;
    ix->mem_budget = (size_t)256 << 20;
    *out = ix;
    return PK_OK;
fail:
    if (err) *err = pk_strdup(ix->msg.text[0] ? ix->msg.text : pk_strerror(st));
    pk_index_close(ix);
    return st;
}

/* ---- orphans ---- */

static int seg_named(const pk_index *ix, uint64_t id, uint64_t *del_gen)
{
    for (size_t i = 0; i < ix->man.nsegs; i++)
        if (ix->man.segs[i].id == id) {
            *del_gen = ix->man.segs[i].del_gen;
            return 1;
        }
    return 0;
}

void ix_remove_orphans(pk_index *ix)
{
    if (!(ix->flags & PK_OPEN_WRITE) || ix->broken) return;
    DIR *d = opendir(ix->dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        unsigned long long id, gen;
        char ext[8];
        int used = 0, drop = 0;
        uint64_t dg;
        if (strcmp(n, MANIFEST_TMP) == 0) {
            drop = 1;
        } else if (sscanf(n, "seg-%6llu-g%6llu.del%n", &id, &gen, &used) == 2 && (size_t)used == strlen(n)) {
            drop = !seg_named(ix, id, &dg) || dg != gen;
        } else if (sscanf(n, "seg-%6llu.%3[a-z]%n", &id, ext, &used) == 2 && (size_t)used == strlen(n) &&
                   (strcmp(ext, "ix") == 0 || strcmp(ext, "pos") == 0 || strcmp(ext, "sto") == 0)) {
            drop = !seg_named(ix, id, &dg);
        }
        if (drop) {
            char *p = pk_sprintf("%s/%s", ix->dir, n);
            if (p) unlink(p);
            pk_free(p);
        }
    }
    closedir(d);
}

/* ---- identity ---- */

pk_status ix_check_identity(pk_index *ix, const char *identity)
{
    if (!ix->man.identity) {
        if (strchr(identity, '\n')) {
            msg_set(&ix->msg, "analyzer identity contains a line break");
            return PK_EINVAL;
        }
        ix->man.identity = pk_strdup(identity);
        ix->dirty = 1;
        return ix->man.identity ? PK_OK : PK_ENOMEM;
    }
    if (strcmp(ix->man.identity, identity) == 0) return PK_OK;
    msg_set(&ix->msg, "%s: index built with analyzer \"%s\", but this analyzer is \"%s\"; build a new index",
            ix->dir, ix->man.identity, identity);
    return PK_EVERSION;
}

/* ---- ids and deletions ---- */

static pending_del *find_pending(pk_index *ix, uint64_t seg)
{
    for (size_t i = 0; i < ix->npend; i++)
        if (ix->pend[i].seg == seg) return &ix->pend[i];
    return NULL;
}

pk_status ix_find_id(pk_index *ix, uint32_t id, size_t *seg, uint32_t *doc)
{
    size_t lo = 0, hi = ix->man.nsegs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ix->man.segs[mid].last_id < id) lo = mid + 1; else hi = mid;
    }
    if (lo == ix->man.nsegs || ix->man.segs[lo].first_id > id) return PK_ENOENT;
    uint32_t d;
    pk_status st = segr_find_id(ix->segs[lo], id, &d);
    if (st) {
        if (st != PK_ENOENT) ix->msg = *segr_msg(ix->segs[lo]);
        return st;
    }
    if (segr_deleted(ix->segs[lo], d)) return PK_ENOENT;
    pending_del *p = find_pending(ix, ix->man.segs[lo].id);
    if (p && (p->bits[d / 8] >> (d % 8) & 1)) return PK_ENOENT;
    *seg = lo;
    *doc = d;
    return PK_OK;
}

pk_status ix_delete_id(pk_index *ix, uint32_t id)
{
    size_t s;
    uint32_t d;
    pk_status st = ix_find_id(ix, id, &s, &d);
    if (st) return st;
    uint64_t sid = ix->man.segs[s].id;
    pending_del *p = find_pending(ix, sid);
    if (!p) {
        if (ix->npend == ix->cappend) {
            size_t nc = ix->cappend ? ix->cappend * 2 : 8;
            pending_del *np = pk_reallocarray(ix->pend, nc, sizeof *np);
            if (!np) return PK_ENOMEM;
            ix->pend = np;
            ix->cappend = nc;
        }
        size_t nb = ((size_t)segr_ndocs(ix->segs[s]) + 7) / 8;
        uint8_t *bits = pk_calloc(nb, 1);
        if (!bits) return PK_ENOMEM;
        const uint8_t *cur = segr_delmap(ix->segs[s]);
        if (cur) memcpy(bits, cur, nb);
        p = &ix->pend[ix->npend++];
        p->seg = sid;
        p->bits = bits;
        p->ndeleted = segr_ndeleted(ix->segs[s]);
    }
    p->bits[d / 8] |= (uint8_t)(1u << (d % 8));
    p->ndeleted++;
    return PK_OK;
}

/* ---- commit ---- */

pk_status ix_commit(pk_index *ix)
{
    pk_status st = ix_require_write(ix);
    if (st) return st;
    manifest saved;
    if ((st = manifest_copy(&saved, &ix->man))) return st;
    st = ix_flush(ix);
    if (st || (!ix->dirty && ix->npend == 0)) goto done;
    uint64_t gen = ix->man.generation + 1;
    for (size_t i = 0; i < ix->npend && !st; i++) {
        pending_del *p = &ix->pend[i];
        size_t k;
        for (k = 0; k < ix->man.nsegs && ix->man.segs[k].id != p->seg; k++) {}
        if (k == ix->man.nsegs) continue;
        man_seg *g = &ix->man.segs[k];
        if (p->ndeleted >= g->ndocs) {
            manifest_remove(&ix->man, k, 1);
            continue;
        }
        st = del_write(ix->dir, g->id, gen, ix->man.identity, p->bits, g->ndocs, p->ndeleted, &ix->msg);
        g->del_gen = gen;
        g->ndeleted = p->ndeleted;
    }
    if (st) goto done;
    ix->man.generation = gen;
    if ((st = ixf_sync_dir(ix->dir, &ix->msg))) goto done;
    int switched = 0;
    if ((st = manifest_write(ix->dir, &ix->man, &ix->msg, &switched))) {
        if (switched) {
            /* the new manifest is in place but not durable: readers see the new generation, this
             * handle keeps the old one in memory, so it must never write or remove files again */
            char keep[sizeof ix->msg.text];
            memcpy(keep, ix->msg.text, sizeof keep);
            msg_set(&ix->msg, "%.400s (generation %llu is in place but may not survive a power loss)", keep,
                    (unsigned long long)gen);
            ix->broken = 1;
        }
        goto done;
    }
    free_pending(ix);
    ix->dirty = 0;
    manifest_free(&saved);
    /* the new generation is durable: open it, then drop what it no longer names */
    st = ix_load(ix, 0);
    if (!st) ix_remove_orphans(ix);
    return st;
done:
    if (st) {
        /* back to the last committed state; files written meanwhile are orphans */
        manifest_free(&ix->man);
        ix->man = saved;
        free_pending(ix);
        ix->dirty = 0;
        ix->pm_ready = 0;
        char keep[sizeof ix->msg.text];
        memcpy(keep, ix->msg.text, sizeof keep);
        ix_load(ix, 0);
        memcpy(ix->msg.text, keep, sizeof keep);
        return st;
    }
    manifest_free(&saved);
    return PK_OK;
}

pk_status pk_index_commit(pk_index *ix)
{
    pk_status st = ix_commit(ix);
    if (st) return st;
    return ix_merge_policy(ix);
}

/* ---- path map ---- */

uint64_t ix_path_hash(const char *path, size_t n)
{
    uint64_t h = util_hash64(path, n, 0x70617468ULL);
    return h ? h : 1;
}

static pathent *pm_slot(pathmap *pm, uint64_t h)
{
    size_t mask = pm->cap - 1, i = (size_t)h & mask;
    while (pm->e[i].phash && pm->e[i].phash != h) i = (i + 1) & mask;
    return &pm->e[i];
}

static int pm_grow(pathmap *pm)
{
    size_t nc = pm->cap ? pm->cap * 2 : 1024;
    pathent *ne = pk_calloc(nc, sizeof *ne);
    if (!ne) return -1;
    pathmap n2 = {ne, nc, 0};
    for (size_t i = 0; i < pm->cap; i++)
        if (pm->e[i].phash) {
            *pm_slot(&n2, pm->e[i].phash) = pm->e[i];
            n2.n++;
        }
    pk_free(pm->e);
    *pm = n2;
    return 0;
}

pk_status ix_pathmap_put(pk_index *ix, const char *path, size_t n, uint64_t chash, uint32_t id)
{
    pathmap *pm = &ix->pm;
    if ((pm->n + 1) * 2 > pm->cap && pm_grow(pm)) return PK_ENOMEM;
    uint64_t h = ix_path_hash(path, n);
    pathent *e = pm_slot(pm, h);
    if (!e->phash) pm->n++;
    e->phash = h;
    e->chash = chash;
    e->id = id;
    return PK_OK;
}

pathent *ix_pathmap_find(pk_index *ix, const char *path, size_t n)
{
    if (!ix->pm.cap) return NULL;
    pathent *e = pm_slot(&ix->pm, ix_path_hash(path, n));
    return e->phash && e->id != 0 ? e : NULL;
}

pk_status ix_pathmap_ready(pk_index *ix)
{
    if (ix->pm_ready) return PK_OK;
    ix->pm.n = 0;
    if (ix->pm.e) memset(ix->pm.e, 0, ix->pm.cap * sizeof *ix->pm.e);
    for (size_t i = 0; i < ix->man.nsegs; i++) {
        segr *s = ix->segs[i];
        pending_del *p = find_pending(ix, ix->man.segs[i].id);
        for (uint32_t d = 0; d < segr_ndocs(s); d++) {
            if (segr_deleted(s, d) || (p && (p->bits[d / 8] >> (d % 8) & 1))) continue;
            seg_doc doc;
            pk_status st = segr_doc(s, d, &doc);
            if (st) { ix->msg = *segr_msg(s); return st; }
            if ((st = ix_pathmap_put(ix, doc.path, doc.path_len, doc.hash, doc.id))) {
                msg_set(&ix->msg, "out of memory");
                return st;
            }
        }
    }
    ix->pm_ready = 1;
    return PK_OK;
}

pk_status pk_index_delete(pk_index *ix, const char *path)
{
    pk_status st = ix_require_write(ix);
    if (st) return st;
    if ((st = ix_pathmap_ready(ix))) return st;
    size_t n = strlen(path);
    pathent *e = ix_pathmap_find(ix, path, n);
    if (!e || e->id == PATH_THIS_RUN) {
        msg_set(&ix->msg, "%s: not in the index", path);
        return PK_ENOENT;
    }
    st = ix_delete_id(ix, e->id);
    if (st == PK_ENOENT) msg_set(&ix->msg, "%s: not in the index", path);
    if (st) return st;
    e->id = 0;
    ix->run_deleted++;
    return PK_OK;
}
