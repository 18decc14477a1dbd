/* test_index.c — the index over documents built directly: everything written is read back exactly
 * (through flushes, merges, reopening), deletions and replacements, periods, look-ups and skipping,
 * the writer lock, analyzer identity, shard merges, byte-identical rebuilds and damaged files. */
#include "harness.h"
#include "ixtest.h"

#include <fcntl.h>
#include "date.h"

#define NDOCS 240

static ixdoc *docs[NDOCS + 8];
static size_t ndocs;

/* ---- the model: what the dump of an index holding these documents must be ---- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *model_dump(ixdoc *const *ds, size_t n)
{
    char **lines = NULL;
    size_t nl = 0, cap = 0;
#define M_ADD(x) do { if (nl == cap) { cap = cap ? cap * 2 : 1024; lines = realloc(lines, cap * sizeof *lines); } lines[nl++] = (x); } while (0)
    for (size_t i = 0; i < n; i++) {
        const ixdoc *d = ds[i];
        if (!d) continue;
        M_ADD(pk_sprintf("D %s date=%d body=%s ntok=%u text=%u raw=%llu hash=%016llx rec=%016llx txt=%016llx",
                         d->path, d->date, d->body ? d->body : "", d->ntokens, (unsigned)d->text_len,
                         (unsigned long long)d->raw_len, (unsigned long long)d->hash,
                         (unsigned long long)pk_hash64(d->record, d->record_len),
                         (unsigned long long)pk_hash64(d->text, d->text_len)));
        for (uint32_t t = 0; t < d->nterms; t++) {
            const ixterm *it = &d->terms[t];
            pk_buf b;
            buf_init(&b);
            buf_puts(&b, "T ");
            for (uint32_t k = 0; k < it->key_len; k++) {
                uint8_t c = d->keys[it->key_off + k];
                if (c < 0x20) buf_printf(&b, "\\%02x", c); else buf_putc(&b, c);
            }
            buf_printf(&b, " %s tf=%u", d->path, it->npos);
            for (uint32_t j = 0; j < it->npos; j++) buf_printf(&b, " %u", d->pos[it->pos_off + j]);
            M_ADD(buf_detach(&b));
        }
    }
    qsort(lines, nl, sizeof *lines, cmp_str);
    pk_buf out;
    buf_init(&out);
    for (size_t i = 0; i < nl; i++) {
        if (i == 0 || strcmp(lines[i], lines[i - 1])) { buf_puts(&out, lines[i]); buf_putc(&out, '\n'); }
    }
    for (size_t i = 0; i < nl; i++) pk_free(lines[i]);
    free(lines);
    return buf_detach(&out);
#undef M_ADD
}

static char *model_forms(ixdoc *const *ds, size_t n)
{
    /* norm -> stem, flags OR-ed */
    char **lines = NULL;
    size_t nl = 0;
    for (size_t i = 0; i < n; i++) {
        const ixdoc *d = ds[i];
        if (!d) continue;
        for (uint32_t f = 0; f < d->nforms; f++) {
            const ixform *fm = &d->forms[f];
            lines = realloc(lines, (nl + 1) * sizeof *lines);
            lines[nl++] = pk_sprintf("%.*s\t%.*s\t%u", (int)fm->norm_len, (const char *)d->keys + fm->norm_off,
                                     (int)fm->stem_len, (const char *)d->keys + fm->stem_off, fm->flags);
        }
    }
    qsort(lines, nl, sizeof *lines, cmp_str);
    pk_buf out;
    buf_init(&out);
    for (size_t i = 0; i < nl;) {
        char *tab = strchr(lines[i], '\t');
        size_t kl = (size_t)(tab - lines[i]);
        char *tab2 = strchr(tab + 1, '\t');
        unsigned flags = 0;
        size_t j = i;
        while (j < nl && strncmp(lines[j], lines[i], kl + 1) == 0) { flags |= (unsigned)atoi(strrchr(lines[j], '\t') + 1); j++; }
        buf_printf(&out, "F %.*s %.*s %u\n", (int)kl, lines[i], (int)(tab2 - tab - 1), tab + 1, flags);
        for (size_t k = i; k < j; k++) pk_free(lines[k]);
        i = j;
    }
    free(lines);
    return buf_detach(&out);
}

static void make_docs(void)
{
    ixdoc_builder *b;
    ixdoc_builder_new(&b);
    static const char *bodies[] = {"Styrelsen", "Ledningsgruppen", "Kommunstyrelsen", NULL};
    for (size_t i = 0; i < NDOCS; i++) {
        char path[64];
        snprintf(path, sizeof path, "corpus/%04zu/moete-%03zu.txt", 2010 + i % 9, i);
        int32_t date = i % 13 == 5 ? PK_NODATE : date_days(2010 + (int)(i % 9), 1 + (int)(i % 12), 1 + (int)(i % 28));
        size_t nw = i % 40 == 0 ? 3000 : 40 + t_rand() % 400;
        char *text = t_text(nw);
        docs[i] = t_doc(b, path, date, bodies[i % 4], text);
        pk_free(text);
    }
    ndocs = NDOCS;
    ixdoc_builder_free(b);
}

static pk_index *open_w(const char *dir)
{
    pk_index *ix = NULL;
    char *err = NULL;
    pk_status st = pk_index_open(dir, PK_OPEN_WRITE | PK_OPEN_CREATE, &ix, &err);
    if (st) { printf("# open %s: %s\n", dir, err ? err : "?"); pk_free(err); return NULL; }
    if (ix_check_identity(ix, T_IDENTITY)) { pk_index_close(ix); return NULL; }
    return ix;
}

static pk_index *open_r(const char *dir)
{
    pk_index *ix = NULL;
    char *err = NULL;
    if (pk_index_open(dir, PK_OPEN_READ, &ix, &err)) { printf("# open %s: %s\n", dir, err ? err : "?"); pk_free(err); return NULL; }
    return ix;
}

/* Build an index of docs[from..to) (step) with a postings budget of budget bytes. */
static int build(const char *dir, size_t from, size_t to, size_t step, size_t budget)
{
    pk_index *ix = open_w(dir);
    if (!ix) return -1;
    ix->mem_budget = budget;
    for (size_t i = from; i < to; i += step)
        if (ix_add_doc(ix, docs[i])) { printf("# add: %s\n", pk_index_errmsg(ix)); pk_index_close(ix); return -1; }
    pk_status st = ix_finish_run(ix);
    if (st) printf("# finish: %s\n", pk_index_errmsg(ix));
    pk_index_close(ix);
    return st ? -1 : 0;
}

static int dump_equals(pk_index *ix, ixdoc *const *ds, size_t n)
{
    char *got = t_dump(ix, 0), *want = model_dump(ds, n);
    int ok = got && want && strcmp(got, want) == 0;
    if (!ok && got && want) {
        /* show the first difference */
        size_t i = 0;
        while (got[i] && got[i] == want[i]) i++;
        size_t ls = i;
        while (ls > 0 && got[ls - 1] != '\n') ls--;
        printf("# dump differs at byte %zu:\n#  got:  %.120s\n#  want: %.120s\n", i, got + ls, want + ls);
    } else if (!got) {
        printf("# dump failed: %s\n", pk_index_errmsg(ix));
    }
    pk_free(got);
    pk_free(want);
    return ok;
}

static char *verify_msg(const char *dir, pk_status *st)
{
    char *rep = NULL;
    *st = pk_index_verify(dir, &rep);
    return rep;
}

/* ---- tests ---- */

static void build_and_read_back(void)
{
    char *dir = t_tmpdir("build");
    /* a small budget forces many flushes and merges */
    CHECK(build(dir, 0, ndocs, 1, 48 * 1024) == 0);
    pk_index *ix = open_r(dir);
    CHECK(ix != NULL);
    if (!ix) goto out;
    CHECK(ixr_nsegs(ix) >= 1 && ixr_nsegs(ix) < 3 * IX_MERGE_FACTOR);
    CHECK_INT(ixr_live_docs(ix), ndocs);
    CHECK(dump_equals(ix, docs, ndocs));
    char *f = t_forms(ix), *mf = model_forms(docs, ndocs);
    CHECK(f && mf && strcmp(f, mf) == 0);
    pk_free(f);
    pk_free(mf);
    /* ids are 1..n in the order added */
    for (uint32_t id = 1; id <= ndocs; id++) {
        size_t s;
        uint32_t d;
        seg_doc sd;
        CHECK(ixr_find_id(ix, id, &s, &d) == PK_OK && ixr_doc(ix, s, d, &sd) == PK_OK &&
              strcmp(sd.path, docs[id - 1]->path) == 0);
    }
    pk_index_close(ix);
    pk_status st;
    char *rep = verify_msg(dir, &st);
    CHECKF(st == PK_OK, "%s", rep ? rep : "");
    pk_free(rep);
out:
    t_rmrf(dir);
    free(dir);
}

static int files_equal(const char *a, const char *b)
{
    uint8_t *x, *y;
    size_t xn, yn;
    if (util_read_file(a, &x, &xn, NULL)) return 0;
    if (util_read_file(b, &y, &yn, NULL)) { pk_free(x); return 0; }
    int eq = xn == yn && memcmp(x, y, xn) == 0;
    pk_free(x);
    pk_free(y);
    return eq;
}

static void rebuild_is_byte_identical(void)
{
    char *a = t_tmpdir("detA"), *b = t_tmpdir("detB");
    CHECK(build(a, 0, ndocs, 1, 64 * 1024) == 0);
    CHECK(build(b, 0, ndocs, 1, 64 * 1024) == 0);
    DIR *d = opendir(a);
    struct dirent *e;
    int files = 0;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "LOCK") == 0) continue;
        char pa[512], pb[512];
        snprintf(pa, sizeof pa, "%s/%s", a, e->d_name);
        snprintf(pb, sizeof pb, "%s/%s", b, e->d_name);
        CHECKF(files_equal(pa, pb), "%s", e->d_name);
        files++;
    }
    if (d) closedir(d);
    CHECK(files >= 4);
    t_rmrf(a);
    t_rmrf(b);
    free(a);
    free(b);
}

static void deletes_and_replacements(void)
{
    char *dir = t_tmpdir("del");
    CHECK(build(dir, 0, 100, 1, 32 * 1024) == 0);
    pk_index *ix = open_w(dir);
    CHECK(ix != NULL);
    if (!ix) goto out;
    ixdoc *model[100];
    memcpy(model, docs, sizeof model);
    int del[] = {0, 7, 33, 99};
    for (size_t i = 0; i < 4; i++) {
        CHECK(pk_index_delete(ix, docs[del[i]]->path) == PK_OK);
        model[del[i]] = NULL;
    }
    CHECK(pk_index_delete(ix, docs[7]->path) == PK_ENOENT);
    CHECK(pk_index_delete(ix, "no/such/file.txt") == PK_ENOENT);
    CHECK(pk_index_commit(ix) == PK_OK);
    CHECK(dump_equals(ix, model, 100));
    /* replace doc 50 with doc 150's content under 50's path */
    size_t s;
    uint32_t d;
    CHECK(ixr_find_path(ix, docs[50]->path, &s, &d) == PK_OK);
    seg_doc sd;
    CHECK(ixr_doc(ix, s, d, &sd) == PK_OK);
    uint32_t old_id = sd.id;
    ixdoc_builder *b;
    ixdoc_builder_new(&b);
    ixdoc *nd = t_doc(b, docs[50]->path, date_days(2024, 5, 5), "Styrelsen", docs[150]->text);
    ixdoc_builder_free(b);
    nd->action = IXDOC_REPLACE;
    nd->old_id = old_id;
    CHECK(ix_add_doc(ix, nd) == PK_OK);
    CHECK(ix_finish_run(ix) == PK_OK);
    model[50] = nd;
    CHECK(dump_equals(ix, model, 100));
    CHECK(ixr_find_id(ix, old_id, &s, &d) == PK_ENOENT);
    CHECK(ixr_find_path(ix, docs[50]->path, &s, &d) == PK_OK && ixr_doc(ix, s, d, &sd) == PK_OK &&
          sd.id > old_id && sd.date == date_days(2024, 5, 5));
    /* other ids are unchanged */
    CHECK(ixr_find_id(ix, 2, &s, &d) == PK_OK && ixr_doc(ix, s, d, &sd) == PK_OK && strcmp(sd.path, docs[1]->path) == 0);
    pk_index_close(ix);
    /* the read-only view agrees, and verify is clean */
    ix = open_r(dir);
    CHECK(ix && dump_equals(ix, model, 100));
    pk_index_close(ix);
    pk_status st;
    char *rep = verify_msg(dir, &st);
    CHECKF(st == PK_OK, "%s", rep ? rep : "");
    pk_free(rep);
    /* a forced merge purges deletions and keeps everything else */
    ix = open_w(dir);
    CHECK(ix && pk_index_merge(ix, NULL, 0, NULL, NULL) == PK_OK);
    if (ix) {
        CHECK_INT(ixr_nsegs(ix), 1);
        CHECK_INT(segr_ndeleted(ixr_seg(ix, 0)), 0);
        CHECK(dump_equals(ix, model, 100));
    }
    pk_index_close(ix);
    ixdoc_free(nd);
out:
    t_rmrf(dir);
    free(dir);
}

static void periods_add_up(void)
{
    char *dir = t_tmpdir("per");
    CHECK(build(dir, 0, ndocs, 1, 1 << 20) == 0);
    pk_index *ix = open_w(dir);
    CHECK(ix != NULL);
    if (!ix) goto out;
    CHECK(pk_index_delete(ix, docs[3]->path) == PK_OK);
    CHECK(pk_index_commit(ix) == PK_OK);
    pk_period bys[3] = {PK_BY_YEAR, PK_BY_QUARTER, PK_BY_MONTH};
    for (int k = 0; k < 3; k++) {
        ixr_period *p;
        size_t n;
        CHECK(ixr_periods(ix, bys[k], &p, &n) == PK_OK);
        uint64_t docs_total = 0;
        for (size_t i = 0; i < n; i++) {
            uint32_t dc = 0;
            uint64_t tk = 0;
            for (size_t j = 0; j < ndocs; j++) {
                if (j == 3 || ixr_period_of(bys[k], docs[j]->date) != p[i].key) continue;
                dc++;
                tk += docs[j]->ntokens;
            }
            char lab[24];
            ixr_period_label(bys[k], p[i].key, lab);
            CHECKF(p[i].docs == dc && p[i].tokens == tk, "%s: %u/%llu want %u/%llu", lab, p[i].docs,
                   (unsigned long long)p[i].tokens, dc, (unsigned long long)tk);
            if (i > 0) CHECK(p[i].key == IXR_UNDATED || p[i].key > p[i - 1].key);
            docs_total += p[i].docs;
        }
        CHECK_INT(docs_total, ndocs - 1);
        CHECK(n > 0 && p[n - 1].key == IXR_UNDATED);
        pk_free(p);
    }
    char lab[24];
    ixr_period_label(PK_BY_QUARTER, ixr_period_of(PK_BY_QUARTER, date_days(2021, 8, 20)), lab);
    CHECK_STR(lab, "2021-Q3");
    ixr_period_label(PK_BY_MONTH, ixr_period_of(PK_BY_MONTH, date_days(2021, 8, 20)), lab);
    CHECK_STR(lab, "2021-08");
    CHECK(ixr_period_start(PK_BY_QUARTER, ixr_period_of(PK_BY_QUARTER, date_days(2021, 8, 20))) == date_days(2021, 7, 1));
    pk_index_close(ix);
out:
    t_rmrf(dir);
    free(dir);
}

typedef struct collect { char **v; size_t n; } collect;
static int collect_term(void *ud, const char *t, size_t n, uint64_t df)
{
    collect *c = ud;
    (void)df;
    c->v = realloc(c->v, (c->n + 1) * sizeof *c->v);
    c->v[c->n++] = pk_strndup(t, n);
    return 0;
}

static void lookups_and_skipping(void)
{
    char *dir = t_tmpdir("look");
    CHECK(build(dir, 0, ndocs, 1, 40 * 1024) == 0);
    pk_index *ix = open_r(dir);
    CHECK(ix != NULL);
    if (!ix) goto out;
    /* every whole term with prefix "ka" and every part term with prefix "ka", from the model */
    const char *pre = "ka";
    collect w = {0}, p = {0};
    CHECK(ixr_terms_prefix(ix, IX_WORD, pre, 2, collect_term, &w) == PK_OK);
    CHECK(ixr_terms_prefix(ix, IX_PART, pre, 2, collect_term, &p) == PK_OK);
    size_t want_w = 0, want_p = 0;
    char *seen = NULL;
    size_t seen_n = 0;
    for (size_t i = 0; i < ndocs; i++)
        for (uint32_t t = 0; t < docs[i]->nterms; t++) {
            const uint8_t *k = docs[i]->keys + docs[i]->terms[t].key_off;
            uint32_t kl = docs[i]->terms[t].key_len;
            int part = k[0] == IX_PART_MARK;
            const uint8_t *txt = k + part;
            size_t tl = kl - part;
            if (tl < 2 || memcmp(txt, pre, 2) != 0) continue;
            char line[300];
            snprintf(line, sizeof line, "\n%d%.*s\n", part, (int)tl, (const char *)txt);
            if (seen && strstr(seen, line)) continue;
            seen = realloc(seen, seen_n + strlen(line) + 1);
            strcpy(seen + seen_n, line);
            seen_n += strlen(line);
            if (part) want_p++; else want_w++;
        }
    free(seen);
    CHECK_INT(w.n, want_w);
    CHECK_INT(p.n, want_p);
    CHECK(w.n > 3 && p.n > 0);
    for (size_t i = 1; i < w.n; i++) CHECK(strcmp(w.v[i - 1], w.v[i]) < 0);
    for (size_t i = 0; i < w.n; i++) CHECK(strncmp(w.v[i], pre, 2) == 0);
    /* all whole terms: none is a part term */
    collect all = {0};
    CHECK(ixr_terms_prefix(ix, IX_WORD, "", 0, collect_term, &all) == PK_OK);
    for (size_t i = 0; i < all.n; i++) CHECK((uint8_t)all.v[i][0] >= 0x20);
    /* advance(target) agrees with a linear scan, for the most frequent term of the first segment */
    for (size_t s = 0; s < ixr_nsegs(ix); s++) {
        segr *sg = ixr_seg(ix, s);
        seg_titer it;
        seg_term best = {0};
        CHECK(segr_terms_from(sg, NULL, 0, &it) == PK_OK);
        while (segr_terms_next(&it) == 1)
            if (it.t.df > best.df) best = it.t;
        CHECK(best.df > 0);
        uint32_t *all_docs = malloc(best.df * sizeof *all_docs);
        uint32_t nd = 0;
        seg_post pp;
        CHECK(segr_post_open(sg, &best, 1, &pp) == PK_OK);
        while (segr_post_next(&pp) == 1) all_docs[nd++] = pp.doc;
        segr_post_close(&pp);
        for (uint32_t target = 0; target < segr_ndocs(sg) + 2; target += 1 + t_rand() % 7) {
            CHECK(segr_post_open(sg, &best, 1, &pp) == PK_OK);
            uint32_t t2 = target / 2;
            int r1 = segr_post_advance(&pp, t2);
            int r = segr_post_advance(&pp, target);
            (void)r1;
            uint32_t want = UINT32_MAX;
            for (uint32_t i = 0; i < nd; i++) if (all_docs[i] >= target) { want = all_docs[i]; break; }
            if (want == UINT32_MAX) CHECK(r == 0);
            else CHECKF(r == 1 && pp.doc == want, "target %u: got %d/%u want %u", target, r, pp.doc, want);
            if (r == 1) CHECK(segr_post_positions(&pp) != NULL);
            segr_post_close(&pp);
        }
        free(all_docs);
    }
    for (size_t i = 0; i < w.n; i++) pk_free(w.v[i]);
    for (size_t i = 0; i < p.n; i++) pk_free(p.v[i]);
    for (size_t i = 0; i < all.n; i++) pk_free(all.v[i]);
    free(w.v);
    free(p.v);
    free(all.v);
    pk_index_close(ix);
out:
    t_rmrf(dir);
    free(dir);
}

static void writer_lock(void)
{
    char *dir = t_tmpdir("lock");
    pk_index *a = open_w(dir), *b = NULL;
    CHECK(a != NULL);
    char *err = NULL;
    CHECK(pk_index_open(dir, PK_OPEN_WRITE, &b, &err) == PK_EBUSY);
    CHECK(err && strstr(err, "another writer"));
    pk_free(err);
    /* readers are not blocked */
    pk_index *r = NULL;
    err = NULL;
    CHECK(pk_index_open(dir, PK_OPEN_READ, &r, &err) == PK_ENOENT);   /* nothing committed yet */
    pk_free(err);
    ix_add_doc(a, docs[0]);
    CHECK(ix_finish_run(a) == PK_OK);
    CHECK(pk_index_open(dir, PK_OPEN_READ, &r, NULL) == PK_OK);
    pk_index_close(r);
    pk_index_close(a);
    CHECK(pk_index_open(dir, PK_OPEN_WRITE, &b, NULL) == PK_OK);
    pk_index_close(b);
    t_rmrf(dir);
    free(dir);
}

static void analyzer_identity(void)
{
    char *dir = t_tmpdir("ident");
    CHECK(build(dir, 0, 5, 1, 1 << 20) == 0);
    pk_index *ix = NULL;
    CHECK(pk_index_open(dir, PK_OPEN_WRITE, &ix, NULL) == PK_OK);
    if (ix) {
        CHECK(ix_check_identity(ix, "snowball-swedish/9.9 stop:ffffffff") == PK_EVERSION);
        CHECK(strstr(pk_index_errmsg(ix), "analyzer"));
        CHECK(ixr_check_identity(ix, "other") == PK_EVERSION);
        CHECK(ixr_check_identity(ix, T_IDENTITY) == PK_OK);
        pk_msg m;
        segr *s = NULL;
        CHECK(segr_open(dir, ix->man.segs[0].id, "other analyzer", 0, &m, &s) == PK_EVERSION);
        CHECK(strstr(m.text, "analyzer"));
    }
    pk_index_close(ix);
    t_rmrf(dir);
    free(dir);
}

static void shards_merge_like_one_run(void)
{
    char *one = t_tmpdir("one"), *s1 = t_tmpdir("s1"), *s2 = t_tmpdir("s2"), *s3 = t_tmpdir("s3"), *m = t_tmpdir("m");
    CHECK(build(one, 0, ndocs, 1, 64 * 1024) == 0);
    CHECK(build(s1, 0, ndocs, 3, 16 * 1024) == 0);
    CHECK(build(s2, 1, ndocs, 3, 1 << 20) == 0);
    CHECK(build(s3, 2, ndocs, 3, 20 * 1024) == 0);
    pk_index *ix = open_w(m);
    const char *shards[3] = {s1, s2, s3};
    pk_index_summary sum;
    CHECK(ix && pk_index_merge(ix, shards, 3, NULL, &sum) == PK_OK);
    CHECK_INT(sum.docs_added, ndocs);
    pk_index *o = open_r(one);
    if (ix && o) {
        char *a = t_dump(ix, 0), *b = t_dump(o, 0);
        CHECK(a && b && strcmp(a, b) == 0);
        pk_free(a);
        pk_free(b);
        a = t_forms(ix);
        b = t_forms(o);
        CHECK(a && b && strcmp(a, b) == 0);
        pk_free(a);
        pk_free(b);
    }
    /* merging the same shards again adds nothing */
    CHECK(ix && pk_index_merge(ix, shards, 3, NULL, &sum) == PK_OK);
    CHECK_INT(sum.docs_added, 0);
    CHECK_INT(sum.docs_unchanged, ndocs);
    CHECK(ix && dump_equals(ix, docs, ndocs));
    pk_index_close(ix);
    pk_index_close(o);
    pk_status st;
    char *rep = verify_msg(m, &st);
    CHECKF(st == PK_OK, "%s", rep ? rep : "");
    pk_free(rep);
    const char *all[5] = {one, s1, s2, s3, m};
    for (int i = 0; i < 5; i++) { t_rmrf(all[i]); free((void *)all[i]); }
}

static void reader_keeps_its_generation(void)
{
    char *dir = t_tmpdir("gen");
    CHECK(build(dir, 0, 30, 1, 64 << 20) == 0);
    CHECK(build(dir, 30, 60, 1, 64 << 20) == 0);
    pk_index *r = open_r(dir);
    CHECK(r && ixr_nsegs(r) == 2);
    /* a writer deletes, adds and merges everything into one segment; the old files go */
    pk_index *w = open_w(dir);
    CHECK(w && pk_index_delete(w, docs[5]->path) == PK_OK);
    for (size_t i = 60; i < 90 && w; i++) CHECK(ix_add_doc(w, docs[i]) == PK_OK);
    CHECK(w && ix_finish_run(w) == PK_OK);
    CHECK(w && pk_index_merge(w, NULL, 0, NULL, NULL) == PK_OK);
    char first[1024];
    snprintf(first, sizeof first, "%s/seg-000001.ix", dir);
    CHECK(access(first, F_OK) != 0);
    pk_index_close(w);
    /* the reader still sees exactly its generation */
    CHECK(r && dump_equals(r, docs, 60));
    pk_index_close(r);
    /* a new reader sees the new one */
    ixdoc *model[90];
    memcpy(model, docs, sizeof model);
    model[5] = NULL;
    r = open_r(dir);
    CHECK(r && ixr_nsegs(r) == 1 && dump_equals(r, model, 90));
    pk_index_close(r);
    t_rmrf(dir);
    free(dir);
}

/* ---- damage ---- */

static int file_with(const char *dir, const char *suffix, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;
    while (d && (e = readdir(d))) {
        size_t n = strlen(e->d_name), k = strlen(suffix);
        if (n >= k && strcmp(e->d_name + n - k, suffix) == 0) {
            snprintf(out, cap, "%s/%s", dir, e->d_name);
            found = 1;
            break;
        }
    }
    if (d) closedir(d);
    return found;
}

/* Read everything through the query API; returns the first failure status (never crashes). */
static pk_status read_all(const char *dir, char **msg)
{
    pk_index *ix = NULL;
    pk_status st = pk_index_open(dir, PK_OPEN_READ, &ix, msg);
    if (st) return st;
    char *d = t_dump(ix, 1);
    char *f = d ? t_forms(ix) : NULL;
    st = d && f ? PK_OK : PK_ECORRUPT;
    if (st) *msg = pk_strdup(pk_index_errmsg(ix));
    pk_free(d);
    pk_free(f);
    pk_index_close(ix);
    return st;
}

static int read_file_all(const char *path, uint8_t **out, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 1 << 16, len = 0;
    uint8_t *p = malloc(cap);
    size_t r;
    while (p && (r = fread(p + len, 1, cap - len, f)) > 0) {
        len += r;
        if (len == cap) { uint8_t *q = realloc(p, cap *= 2); if (!q) { free(p); p = NULL; } else p = q; }
    }
    fclose(f);
    if (!p) return -1;
    *out = p;
    *n = len;
    return 0;
}

static int write_file_all(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* Offsets to damage in a file of n bytes: every byte of the header and of the last 48 (footer and
 * trailer), and about 100 more spread evenly over the rest; every byte of a short file. */
static size_t damage_offsets(size_t n, size_t *at, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < cap; i++) {
        size_t stride = n / 100 + 1;
        if (n <= 400 || i < 64 || i + 48 >= n || i % stride == stride / 2) at[k++] = i;
    }
    return k;
}

/* Every kind of index file (.ix, .pos, .sto, .del, MANIFEST), one byte changed at many offsets or
 * the file cut at many lengths: verify reports damage naming the file, and reading everything
 * through the API fails with PK_ECORRUPT (or PK_EVERSION for a changed version or identity)
 * naming the file.  Nothing is read outside a buffer (the sanitizer build runs this too). */
static void damage_is_detected(void)
{
    char *dir = t_tmpdir("dmg");
    CHECK(build(dir, 0, 60, 1, 1 << 20) == 0);
    pk_index *ix = open_w(dir);
    CHECK(ix != NULL);
    if (!ix) { t_rmrf(dir); free(dir); return; }
    pk_index_delete(ix, docs[4]->path);
    pk_index_commit(ix);
    pk_index_close(ix);
    const char *kinds[] = {".ix", ".pos", ".sto", ".del", "MANIFEST"};
    long tried = 0, by_verify = 0, by_reading = 0;
    static size_t at[8192];
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        char path[1024];
        CHECKF(file_with(dir, kinds[k], path, sizeof path), "no %s file", kinds[k]);
        uint8_t *orig = NULL;
        size_t n = 0;
        if (read_file_all(path, &orig, &n)) { CHECKF(0, "cannot read %s", path); continue; }
        const char *base = strrchr(path, '/') + 1;
        size_t nat = damage_offsets(n, at, sizeof at / sizeof at[0]);
        size_t cuts[] = {0, 1, 8, 27, n / 4, n / 2, n - 48, n - 20, n - 12, n - 4, n - 1};
        size_t ntrial = nat + sizeof cuts / sizeof cuts[0];
        for (size_t t = 0; t < ntrial; t++) {
            char what[64];
            int ok;
            if (t < nat) {
                uint8_t c = orig[at[t]];
                orig[at[t]] ^= t % 2 ? 0x01 : 0x5a;   /* one bit, or several */
                ok = write_file_all(path, orig, n) == 0;
                orig[at[t]] = c;
                snprintf(what, sizeof what, "byte %zu changed", at[t]);
            } else {
                size_t len = cuts[t - nat];
                if (len >= n) continue;
                ok = truncate(path, (off_t)len) == 0;
                snprintf(what, sizeof what, "cut to %zu bytes", len);
            }
            CHECK(ok);
            tried++;
            pk_status st;
            char *rep = verify_msg(dir, &st);
            int v = st != PK_OK && rep && strstr(rep, base);
            by_verify += v;
            CHECKF(v, "%s %s: verify says %s", base, what, rep ? rep : "ok");
            pk_free(rep);
            char *msg = NULL;
            st = read_all(dir, &msg);
            int r = (st == PK_ECORRUPT || st == PK_EVERSION) && msg && strstr(msg, base);
            by_reading += r;
            CHECKF(r, "%s %s: reading gave %d: %s", base, what, st, msg ? msg : "");
            pk_free(msg);
            CHECK(write_file_all(path, orig, n) == 0);
        }
        free(orig);
    }
    pk_status st;
    char *rep = verify_msg(dir, &st);
    CHECKF(st == PK_OK, "the restored index: %s", rep ? rep : "?");
    pk_free(rep);
    printf("# corruptions: %ld tried, %ld detected by verify, %ld by reading\n", tried, by_verify, by_reading);
    t_rmrf(dir);
    free(dir);
}

/* ---- allocation failures: every allocation of a small build, commit, merge and read fails in
 * turn; each must end in a clean error (or success), and what was committed stays sound ---- */

static long fail_at = -1, alloc_count = 0;

static void *failing_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud; (void)osize;
    if (nsize == 0) { free(ptr); return NULL; }
    if (fail_at >= 0 && alloc_count++ == fail_at) return NULL;
    return realloc(ptr, nsize);
}

static char small_msg[600];

static pk_status small_run(const char *dir)
{
    pk_index *ix = NULL;
    pk_status st = pk_index_open(dir, PK_OPEN_WRITE | PK_OPEN_CREATE, &ix, NULL);
    if (st) return st;
    st = ix_check_identity(ix, T_IDENTITY);
    ix->mem_budget = 1;   /* a flush and a commit after every document */
    for (size_t i = 0; i < 8 && !st; i++) st = ix_add_doc(ix, docs[i]);
    if (!st) st = pk_index_delete(ix, docs[2]->path);
    if (!st) st = ix_finish_run(ix);
    if (!st) st = pk_index_merge(ix, NULL, 0, NULL, NULL);
    if (!st) {
        char *d = t_dump(ix, 1), *js = NULL;
        if (!d) st = PK_ENOMEM;
        else if ((st = pk_index_stats_json(ix, &js)) == PK_OK) pk_free(js);
        pk_free(d);
    }
    snprintf(small_msg, sizeof small_msg, "%s", pk_index_errmsg(ix));
    pk_index_close(ix);
    return st;
}

static void allocation_failures(void)
{
    int ok_runs = 0, failed_runs = 0;
    long stride = 1;   /* PK_OOM_STRIDE: visit every stride-th point only (for valgrind) */
    const char *sv = getenv("PK_OOM_STRIDE");
    if (sv && atol(sv) > 1) stride = atol(sv);
    for (long n = 0; n < 20000; n += (n < 400 ? 1 : 7) * stride) {
        char *dir = t_tmpdir("oom");
        alloc_count = 0;
        fail_at = n;
        pk_set_allocator(failing_alloc, NULL);
        pk_status st = small_run(dir);
        pk_set_allocator(NULL, NULL);
        fail_at = -1;
        if (st == PK_OK) ok_runs++;
        else failed_runs++;
        CHECKF(st == PK_OK || st == PK_ENOMEM, "failing allocation %ld: status %d: %s", n, st, small_msg);
        /* what is on disk is a sound index, or no index at all */
        char *rep = NULL;
        pk_status vs = pk_index_verify(dir, &rep);
        CHECKF(vs == PK_OK || vs == PK_ENOENT, "failing allocation %ld: verify: %s", n, rep ? rep : "?");
        pk_free(rep);
        t_rmrf(dir);
        free(dir);
        if (alloc_count <= n) break;   /* the whole run needed fewer allocations: done */
    }
    CHECK(ok_runs >= 1 && failed_runs > 100 / stride);
}

static int body_is(const char *json, const char *want)
{
    char *b = NULL;
    if (ix_record_body(json, strlen(json), &b) != PK_OK) return 0;
    int ok = want ? b && strcmp(b, want) == 0 : b == NULL;
    if (!ok) printf("# %s -> %s\n", json, b ? b : "(null)");
    pk_free(b);
    return ok;
}

static void record_bodies(void)
{
    CHECK(body_is("{\"source\":\"x\",\"meeting\":{\"title\":\"T\",\"body\":\"Styrelsen\",\"date\":null}}", "Styrelsen"));
    CHECK(body_is("{\"meeting\":{\"body\":null}}", NULL));
    CHECK(body_is("{\"meeting\":{\"body\":\"\"}}", NULL));
    CHECK(body_is("{\"source\":\"x\"}", NULL));
    CHECK(body_is("{\"participants\":[{\"body\":\"no\"}],\"meeting\":{\"x\":{\"body\":\"no\"},\"body\":\"yes\"}}", "yes"));
    CHECK(body_is("{\"meeting\":{\"body\":\"S\\u00f6dert\\u00f6rn \\\"LG\\\" \\\\ \\ud83d\\ude00\"}}",
                  "S\xc3\xb6" "dert\xc3\xb6" "rn \"LG\" \\ \xf0\x9f\x98\x80"));
    CHECK(body_is(" { \"meeting\" : { \"body\" : \"Kommun\\/styrelsen\" } } ", "Kommun/styrelsen"));
    CHECK(body_is("{\"meeting\":{\"body\":\"unterminated", NULL));
    CHECK(body_is("not json", NULL));
    CHECK(body_is("{\"a\":\"}\\\"{\",\"meeting\":{\"body\":\"B\"}}", "B"));
}

static void empty_and_missing(void)
{
    pk_index *ix = NULL;
    char *err = NULL;
    CHECK(pk_index_open("/nonexistent/pk-index", PK_OPEN_READ, &ix, &err) == PK_ENOENT);
    CHECK(err && strstr(err, "no index"));
    pk_free(err);
    pk_status st;
    char *rep = verify_msg("/nonexistent/pk-index", &st);
    CHECK(st == PK_ENOENT);
    pk_free(rep);
}

int main(void)
{
    t_suite = "index";
    make_docs();
    RUN(build_and_read_back);
    RUN(rebuild_is_byte_identical);
    RUN(deletes_and_replacements);
    RUN(periods_add_up);
    RUN(lookups_and_skipping);
    RUN(writer_lock);
    RUN(analyzer_identity);
    RUN(shards_merge_like_one_run);
    RUN(reader_keeps_its_generation);
    RUN(damage_is_detected);
    RUN(empty_and_missing);
    RUN(record_bodies);
    RUN(allocation_failures);
    for (size_t i = 0; i < ndocs; i++) ixdoc_free(docs[i]);
    TEST_MAIN_END();
}
