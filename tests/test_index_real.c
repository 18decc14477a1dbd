/* test_index_real.c — indexing real minutes end to end (reader, analyzer, extractor, pipeline):
 * shards by year merged equal one run, any number of jobs gives the same bytes, indexing again
 * adds nothing, and the seed's terms and forms are where queries expect them. */
#include "harness.h"
#include "ixtest.h"

#include <errno.h>

static char *shared_real(void)
{
    const char *sh = t_shared();
    if (!sh) return NULL;
    char *p = pk_sprintf("%s/corpus/real", sh);
    if (access(p, R_OK) != 0) { pk_free(p); return NULL; }
    return p;
}

typedef struct flist { char **v; size_t n; } flist;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Files under dir the way the reader takes them from a folder, in sorted order. */
static void walk(const char *dir, flist *out)
{
    DIR *d = opendir(dir);
    if (!d) return;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char *p = pk_sprintf("%s/%s", dir, names[i]);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            walk(p, out);
            pk_free(p);
        } else if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && pk_reader_wants(p)) {
            out->v = realloc(out->v, (out->n + 1) * sizeof *out->v);
            out->v[out->n++] = p;
        } else {
            pk_free(p);
        }
        free(names[i]);
    }
    free(names);
}

/* Year of a file from its folders (/2021/) or its name (styrelsemote_210902); 0 when none. */
static int year_of(const char *path)
{
    for (const char *p = path; *p; p++) {
        if (p[0] == '/' && p[1] == '2' && p[2] == '0' && is_ascii_digit(p[3]) && is_ascii_digit(p[4]) && p[5] == '/')
            return 2000 + (p[3] - '0') * 10 + (p[4] - '0');
    }
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *u = strchr(b, '_');
    if (u && is_ascii_digit(u[1]) && is_ascii_digit(u[2]) && is_ascii_digit(u[3]) && is_ascii_digit(u[4]))
        return 2000 + (u[1] - '0') * 10 + (u[2] - '0');
    return 0;
}

static pk_status index_paths(const char *dir, const char *const *paths, size_t n, int jobs, size_t mem_mb,
                             pk_index_summary *sum)
{
    pk_index *ix = NULL;
    char *err = NULL;
    pk_status st = pk_index_open(dir, PK_OPEN_WRITE | PK_OPEN_CREATE, &ix, &err);
    if (st) { printf("# %s\n", err ? err : "?"); pk_free(err); return st; }
    pk_index_opts o = {.mem_mb = mem_mb, .jobs = jobs};
    st = pk_index_add_paths(ix, paths, n, &o, sum);
    if (st) printf("# index %s: %s\n", dir, pk_index_errmsg(ix));
    pk_index_close(ix);
    return st;
}

static char *dump_of(const char *dir, int forms)
{
    pk_index *ix = NULL;
    if (pk_index_open(dir, PK_OPEN_READ, &ix, NULL)) return NULL;
    char *d = forms ? t_forms(ix) : t_dump(ix, 0);
    pk_index_close(ix);
    return d;
}

static int same_files(const char *a, const char *b)
{
    DIR *d = opendir(a);
    struct dirent *e;
    int n = 0, ok = 1;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "LOCK") == 0) continue;
        char pa[1024], pb[1024];
        snprintf(pa, sizeof pa, "%s/%s", a, e->d_name);
        snprintf(pb, sizeof pb, "%s/%s", b, e->d_name);
        uint8_t *x = NULL, *y = NULL;
        size_t xn = 0, yn = 0;
        if (util_read_file(pa, &x, &xn, NULL) || util_read_file(pb, &y, &yn, NULL) || xn != yn || memcmp(x, y, xn)) {
            printf("# %s differs\n", e->d_name);
            ok = 0;
        }
        pk_free(x);
        pk_free(y);
        n++;
    }
    if (d) closedir(d);
    return ok && n >= 4;
}

static void shards_by_year_equal_one_run(void)
{
    char *real = shared_real();
    if (!real) SKIP("../shared/corpus/real is not beside the project");
    flist files = {0};
    walk(real, &files);
    CHECK(files.n > 100);
    char *one = t_tmpdir("real-one"), *merged = t_tmpdir("real-merged");
    const char *root[1] = {real};
    pk_index_summary sum;
    CHECK(index_paths(one, root, 1, 2, 0, &sum) == PK_OK);
    CHECK_INT(sum.docs_added, files.n);
    CHECK_INT(sum.docs_skipped, 0);
    /* shards: one per year (and one for files without a year), small budgets force flushes */
    int years[64];
    size_t ny = 0;
    for (size_t i = 0; i < files.n; i++) {
        int y = year_of(files.v[i]), seen = 0;
        for (size_t k = 0; k < ny; k++) seen |= years[k] == y;
        if (!seen && ny < 64) years[ny++] = y;
    }
    CHECK(ny >= 8);
    char **shards = calloc(ny, sizeof *shards);
    for (size_t k = 0; k < ny; k++) {
        const char **sel = calloc(files.n, sizeof *sel);
        size_t ns = 0;
        for (size_t i = 0; i < files.n; i++)
            if (year_of(files.v[i]) == years[k]) sel[ns++] = files.v[i];
        shards[k] = t_tmpdir("real-shard");
        CHECK(index_paths(shards[k], sel, ns, 1, 1, &sum) == PK_OK);
        CHECK_INT(sum.docs_added, ns);
        free(sel);
    }
    pk_index *m = NULL;
    CHECK(pk_index_open(merged, PK_OPEN_WRITE | PK_OPEN_CREATE, &m, NULL) == PK_OK);
    if (m) {
        CHECK(pk_index_merge(m, (const char *const *)shards, ny, NULL, &sum) == PK_OK);
        CHECK_INT(sum.docs_added, files.n);
        pk_index_close(m);
    }
    char *a = dump_of(one, 0), *b = dump_of(merged, 0);
    CHECK(a && b && strlen(a) > 100000);
    CHECKF(a && b && strcmp(a, b) == 0, "documents, terms or postings differ");
    pk_free(a);
    pk_free(b);
    a = dump_of(one, 1);
    b = dump_of(merged, 1);
    CHECKF(a && b && strlen(a) > 1000 && strcmp(a, b) == 0, "forms differ");
    pk_free(a);
    pk_free(b);
    char *rep = NULL;
    CHECKF(pk_index_verify(merged, &rep) == PK_OK, "%s", rep ? rep : "");
    pk_free(rep);
    for (size_t k = 0; k < ny; k++) { t_rmrf(shards[k]); free(shards[k]); }
    free(shards);
    t_rmrf(one);
    t_rmrf(merged);
    free(one);
    free(merged);
    for (size_t i = 0; i < files.n; i++) pk_free(files.v[i]);
    free(files.v);
    pk_free(real);
}

static void jobs_give_the_same_bytes_and_reindex_adds_nothing(void)
{
    char *real = shared_real();
    if (!real) SKIP("../shared/corpus/real is not beside the project");
    char *a = t_tmpdir("real-j1"), *b = t_tmpdir("real-j3");
    const char *root[1] = {real};
    pk_index_summary sa, sb;
    CHECK(index_paths(a, root, 1, 1, 1, &sa) == PK_OK);
    CHECK(index_paths(b, root, 1, 3, 1, &sb) == PK_OK);
    CHECK(sa.docs_added > 100 && sa.docs_added == sb.docs_added);
    CHECK(sa.segments >= 1);
    CHECK(same_files(a, b));
    /* again: nothing new */
    pk_index_summary again;
    CHECK(index_paths(a, root, 1, 2, 0, &again) == PK_OK);
    CHECK_INT(again.docs_added, 0);
    CHECK_INT(again.docs_replaced, 0);
    CHECK_INT(again.docs_unchanged, sa.docs_added);
    t_rmrf(a);
    t_rmrf(b);
    free(a);
    free(b);
    pk_free(real);
}

typedef struct hits { int n; char seen[2048]; } hits;
static int collect(void *ud, const char *norm, size_t nn, const char *stem, size_t sn, uint32_t flags)
{
    hits *h = ud;
    (void)flags;
    size_t l = strlen(h->seen);
    snprintf(h->seen + l, sizeof h->seen - l, "%.*s>%.*s ", (int)nn, norm, (int)sn, stem);
    h->n++;
    return 0;
}

static void seed_terms_forms_and_parts(void)
{
    const char *seed = "corpus/seed";
    if (access(seed, R_OK) != 0) SKIP("corpus/seed missing");
    char *dir = t_tmpdir("seed");
    const char *root[1] = {seed};
    pk_index_summary sum;
    CHECK(index_paths(dir, root, 1, 1, 0, &sum) == PK_OK);
    CHECK_INT(sum.docs_added, 1);
    pk_index *ix = NULL;
    CHECK(pk_index_open(dir, PK_OPEN_READ, &ix, NULL) == PK_OK);
    if (!ix) goto out;
    pk_analyzer *an = NULL;
    CHECK(pk_analyzer_new(NULL, &an) == PK_OK);
    CHECK(ixr_check_identity(ix, pk_analyzer_identity(an)) == PK_OK);
    /* the forms of konferens: several stems (Snowball splits the inflections) */
    hits h = {0};
    CHECK(ixr_forms_prefix(ix, "konferens", 9, collect, &h) == PK_OK);
    CHECKF(h.n >= 2 && strstr(h.seen, "konferensen>"), "%s", h.seen);
    /* elektrifiering occurs as a whole word and as a compound part */
    seg_term t;
    int found = 0;
    pk_token tok;
    CHECK(pk_analyze_word(an, "elektrifiering", 14, &tok) == PK_OK);
    CHECK(ixr_lookup(ix, 0, IX_WORD, tok.stem, tok.stem_len, &t, &found) == PK_OK && found);
    CHECK(ixr_lookup(ix, 0, IX_PART, tok.stem, tok.stem_len, &t, &found) == PK_OK && found && t.cf >= 3);
    /* the document's record and text are stored, and the text is the reader's canonical text */
    const char *rec, *text;
    size_t rl, tl;
    CHECK(ixr_stored(ix, 0, 0, &rec, &rl, &text, &tl) == PK_OK && rl > 100 && rec[0] == '{' && tl > 1000);
    seg_doc sd;
    CHECK(ixr_doc(ix, 0, 0, &sd) == PK_OK && sd.body && sd.date != PK_NODATE && sd.ntokens > 1000);
    pk_analyzer_free(an);
    pk_index_close(ix);
out:
    t_rmrf(dir);
    free(dir);
}

int main(void)
{
    t_suite = "index_real";
    RUN(seed_terms_forms_and_parts);
    RUN(jobs_give_the_same_bytes_and_reindex_adds_nothing);
    RUN(shards_by_year_equal_one_run);
    TEST_MAIN_END();
}
