/* fts5_bench.c — SQLite FTS5 as a peer: index every file of a folder as one row (path, date, body,
 * text) with the Swedish tokenizer of fts5_swedish.so, then time a topic trend by year.
 *
 *   fts5_bench --ext PATH/fts5_swedish.so --db FILE.db [--query TEXT] [--runs N] DIR
 *
 * The date is the first YYYY-MM-DD in the file name; the body is the name of the folder two levels
 * up (the generator's minutes/<body>/<year>/ layout), else of the parent folder.  The trend query
 * counts, per year, the matching rows and the matched instances (hits()), like `protokoll trend`.
 * Results are markdown rows "| metric | value | unit |"; the trend itself as "| trend YEAR | docs
 * | hits |" rows so that it can be compared with the truth. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

static void die(const char *what, const char *why)
{
    fprintf(stderr, "fts5_bench: error: %s: %s\n", what, why ? why : "");
    exit(1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct paths { char **v; size_t n, cap; } paths;

static void paths_add(paths *p, const char *s)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 1024;
        p->v = realloc(p->v, p->cap * sizeof *p->v);
        if (!p->v) die("memory", "out of memory");
    }
    p->v[p->n] = strdup(s);
    if (!p->v[p->n]) die("memory", "out of memory");
    p->n++;
}

static int wanted(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (!strcmp(dot, ".txt") || !strcmp(dot, ".md") || !strcmp(dot, ".tex") || !strcmp(dot, ".typ"));
}

static void walk(paths *p, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) die(dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *full;
        if (asprintf(&full, "%s/%s", dir, e->d_name) < 0) die("memory", "out of memory");
        struct stat st;
        if (stat(full, &st) == 0) {
            if (S_ISDIR(st.st_mode)) walk(p, full);
            else if (S_ISREG(st.st_mode) && wanted(e->d_name)) paths_add(p, full);
        }
        free(full);
    }
    closedir(d);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) die(path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    if (!buf) die("memory", "out of memory");
    if (len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len) die(path, "short read");
    fclose(f);
    buf[len] = 0;
    *n = (size_t)len;
    return buf;
}

/* First YYYY-MM-DD in the file name, or "". */
static void date_of(const char *path, char out[11])
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    out[0] = 0;
    for (const char *s = base; s[0]; s++) {
        int ok = 1;
        for (int i = 0; i < 10 && ok; i++) {
            char c = s[i];
            if (!c) { ok = 0; break; }
            ok = (i == 4 || i == 7) ? c == '-' : (c >= '0' && c <= '9');
        }
        if (ok) { memcpy(out, s, 10); out[10] = 0; return; }
    }
}

static void body_of(const char *path, char *out, size_t cap)
{
    /* .../<body>/<year>/<file> when the parent is a year, else .../<body>/<file> */
    const char *end = strrchr(path, '/');
    out[0] = 0;
    if (!end) return;
    const char *p1 = end;
    const char *s = p1;
    while (s > path && s[-1] != '/') s--;
    size_t len = (size_t)(p1 - s);
    if (len == 4 && s[0] >= '0' && s[0] <= '9' && s > path) {
        p1 = s - 1;
        s = p1;
        while (s > path && s[-1] != '/') s--;
        len = (size_t)(p1 - s);
    }
    if (len >= cap) len = cap - 1;
    memcpy(out, s, len);
    out[len] = 0;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) die(sql, err);
}

static long long file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

int main(int argc, char **argv)
{
    const char *ext = NULL, *dbpath = NULL, *dir = NULL, *query = "elektrifier*";
    int runs = 200;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--ext") && i + 1 < argc) ext = argv[++i];
        else if (!strcmp(argv[i], "--db") && i + 1 < argc) dbpath = argv[++i];
        else if (!strcmp(argv[i], "--query") && i + 1 < argc) query = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (argv[i][0] != '-' && !dir) dir = argv[i];
        else { fprintf(stderr, "usage: fts5_bench --ext SO --db FILE [--query Q] [--runs N] DIR\n"); return 2; }
    }
    if (!ext || !dbpath || !dir || runs < 1) { fprintf(stderr, "usage: fts5_bench --ext SO --db FILE [--query Q] [--runs N] DIR\n"); return 2; }

    paths ps = {0};
    walk(&ps, dir);
    qsort(ps.v, ps.n, sizeof *ps.v, cmp_str);
    if (ps.n == 0) die(dir, "no .txt/.md/.tex/.typ files");

    unlink(dbpath);
    sqlite3 *db;
    if (sqlite3_open(dbpath, &db) != SQLITE_OK) die(dbpath, sqlite3_errmsg(db));
    sqlite3_enable_load_extension(db, 1);
    char *err = NULL;
    if (sqlite3_load_extension(db, ext, "sqlite3_fts5swedish_init", &err) != SQLITE_OK) die(ext, err);

    double t0 = now();
    exec(db, "CREATE VIRTUAL TABLE docs USING fts5(path UNINDEXED, date UNINDEXED, body UNINDEXED, text, tokenize = 'swedish')");
    exec(db, "BEGIN");
    sqlite3_stmt *ins;
    if (sqlite3_prepare_v2(db, "INSERT INTO docs(path, date, body, text) VALUES (?1, ?2, ?3, ?4)", -1, &ins, NULL) != SQLITE_OK)
        die("prepare", sqlite3_errmsg(db));
    unsigned long long text_bytes = 0;
    for (size_t i = 0; i < ps.n; i++) {
        size_t n;
        char *text = read_all(ps.v[i], &n);
        char date[11], body[256];
        date_of(ps.v[i], date);
        body_of(ps.v[i], body, sizeof body);
        sqlite3_bind_text(ins, 1, ps.v[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, date, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, body, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 4, text, (int)n, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE) die(ps.v[i], sqlite3_errmsg(db));
        sqlite3_reset(ins);
        free(text);
        text_bytes += n;
    }
    sqlite3_finalize(ins);
    exec(db, "COMMIT");
    double t1 = now();
    exec(db, "INSERT INTO docs(docs) VALUES ('optimize')");
    exec(db, "VACUUM");
    double t2 = now();

    /* size by component (dbstat): the index proper vs the stored text */
    long long idx = 0, content = 0, other = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT name, sum(pgsize) FROM dbstat GROUP BY name", -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(st, 0);
            long long sz = sqlite3_column_int64(st, 1);
            if (!strcmp(name, "docs_data") || !strcmp(name, "docs_idx")) idx += sz;
            else if (!strcmp(name, "docs_content")) content += sz;
            else other += sz;
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    long long dbsize = file_size(dbpath);

    /* the trend, on a fresh connection, warm */
    if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) die(dbpath, sqlite3_errmsg(db));
    sqlite3_enable_load_extension(db, 1);
    if (sqlite3_load_extension(db, ext, "sqlite3_fts5swedish_init", &err) != SQLITE_OK) die(ext, err);
    /* auxiliary functions cannot run inside an aggregate: count per row in a subquery that is
     * materialised (the LIMIT keeps SQLite from flattening it) */
    const char *sql = "SELECT y, count(*), sum(h) FROM (SELECT substr(date, 1, 4) AS y, hits(docs) AS h "
                      "FROM docs WHERE docs MATCH ?1 LIMIT -1) GROUP BY y ORDER BY y";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) die("prepare", sqlite3_errmsg(db));
    char match[512];
    snprintf(match, sizeof match, "text : %s", query);
    double *lat = malloc(sizeof(double) * (size_t)runs);
    char result[8192];
    size_t rl = 0;
    long long total_docs = 0, total_hits = 0;
    for (int r = -10; r < runs; r++) {
        double a = now();
        sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
        rl = 0;
        total_docs = total_hits = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *y = (const char *)sqlite3_column_text(st, 0);
            long long dcount = sqlite3_column_int64(st, 1), hcount = sqlite3_column_int64(st, 2);
            total_docs += dcount;
            total_hits += hcount;
            if (rl + 64 < sizeof result)
                rl += (size_t)snprintf(result + rl, sizeof result - rl, "| trend %s | %lld | %lld |\n",
                                       y ? y : "undated", dcount, hcount);
        }
        if (rc != SQLITE_DONE) die("query", sqlite3_errmsg(db));
        sqlite3_reset(st);
        double b = now();
        if (r >= 0) lat[r] = (b - a) * 1000.0;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    qsort(lat, (size_t)runs, sizeof *lat, cmp_dbl);
    double med = lat[runs / 2], p99 = lat[(size_t)((runs - 1) * 0.99)];

    double mb = text_bytes / 1e6;
    printf("| fts5 documents | %zu | docs |\n", ps.n);
    printf("| fts5 text | %.1f | MB |\n", mb);
    printf("| fts5 indexing (read, insert, commit) | %.2f | s |\n", t1 - t0);
    printf("| fts5 indexing throughput | %.2f | MB/s |\n", mb / (t1 - t0));
    printf("| fts5 indexing throughput | %.0f | docs/s |\n", ps.n / (t1 - t0));
    printf("| fts5 optimize + vacuum | %.2f | s |\n", t2 - t1);
    printf("| fts5 database size | %lld | bytes |\n", dbsize);
    printf("| fts5 database size / text | %.3f | ratio |\n", dbsize / (double)text_bytes);
    printf("| fts5 index (docs_data + docs_idx) / text | %.3f | ratio |\n", idx / (double)text_bytes);
    printf("| fts5 stored text (docs_content) / text | %.3f | ratio |\n", content / (double)text_bytes);
    printf("| fts5 other tables / text | %.3f | ratio |\n", other / (double)text_bytes);
    printf("| fts5 trend query | %s | query |\n", query);
    printf("| fts5 trend matching docs | %lld | docs |\n", total_docs);
    printf("| fts5 trend matching hits | %lld | hits |\n", total_hits);
    printf("| fts5 trend latency median | %.3f | ms |\n", med);
    printf("| fts5 trend latency p99 | %.3f | ms |\n", p99);
    printf("| fts5 trend runs | %d | runs |\n", runs);
    fputs(result, stdout);
    free(lat);
    for (size_t i = 0; i < ps.n; i++) free(ps.v[i]);
    free(ps.v);
    return 0;
}
