/* bench_index.c — the index's own figures on a folder of minutes: sizes by component against the
 * raw text, bits per posting and per position, and reading speed (dictionary look-ups, postings
 * and positions decoded per second).  Prints markdown rows "| metric | value | unit |".
 *
 *   bench_index FOLDER [-i INDEX]      index FOLDER (two jobs) into a temporary folder, or read
 *                                      INDEX when given, then measure */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "codec.h"
#include "ixread.h"
#include "protokoll.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void row(const char *metric, double v, const char *unit, int decimals)
{
    printf("| %s | %.*f | %s |\n", metric, decimals, v, unit);
}

static void rmrf(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static long long jint(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

typedef struct keys { char **v; int *part; size_t n, cap; } keys;

static int count_term(void *ud, const char *t, size_t n, uint64_t df)
{
    (void)t; (void)n; (void)df;
    (*(size_t *)ud)++;
    return 0;
}

static int take_term(void *ud, const char *t, size_t n, uint64_t df)
{
    keys *k = ud;
    (void)df;
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 4096;
        k->v = realloc(k->v, k->cap * sizeof *k->v);
        k->part = realloc(k->part, k->cap * sizeof *k->part);
    }
    k->v[k->n] = strndup(t, n);
    k->part[k->n++] = 0;
    return 0;
}

int main(int argc, char **argv)
{
    const char *folder = NULL, *index = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-i") == 0 && i + 1 < argc) index = argv[++i];
        else folder = argv[i];
    }
    if (!folder && !index) {
        fprintf(stderr, "usage: bench_index FOLDER [-i INDEX]\n");
        return 2;
    }
    char tmp[256] = "";
    pk_index *ix = NULL;
    char *err = NULL;
    if (!index) {
        const char *base = getenv("TMPDIR");
        snprintf(tmp, sizeof tmp, "%s/pk-bench-index-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmp)) { perror("mkdtemp"); return 1; }
        index = tmp;
        if (pk_index_open(index, PK_OPEN_WRITE | PK_OPEN_CREATE, &ix, &err)) {
            fprintf(stderr, "bench_index: %s\n", err);
            return 1;
        }
        pk_index_opts o = {.jobs = 2};
        pk_index_summary sum;
        const char *paths[1] = {folder};
        double t0 = now();
        pk_status st = pk_index_add_paths(ix, paths, 1, &o, &sum);
        double dt = now() - t0;
        if (st) {
            fprintf(stderr, "bench_index: %s\n", pk_index_errmsg(ix));
            return 1;
        }
        row("index build (2 jobs, in process) throughput", (double)sum.bytes_read / 1e6 / dt, "MB/s", 2);
        pk_index_close(ix);
        ix = NULL;
    }
    if (pk_index_open(index, PK_OPEN_READ, &ix, &err)) {
        fprintf(stderr, "bench_index: %s\n", err);
        return 1;
    }

    /* sizes */
    char *js = NULL;
    if (pk_index_stats_json(ix, &js) == PK_OK) {
        json_t *o = json_loads(js, 0, NULL), *b = json_object_get(o, "bytes");
        double raw = (double)jint(o, "raw_bytes");
        if (raw > 0) {
            const char *comp[] = {"dictionary", "postings", "positions", "documents", "stored"};
            double core = 0;
            for (int i = 0; i < 5; i++) {
                char m[96];
                snprintf(m, sizeof m, "index %s, percent of raw text", comp[i]);
                row(m, 100.0 * (double)jint(b, comp[i]) / raw, "%", 2);
                if (i < 4) core += (double)jint(b, comp[i]);
            }
            row("index dictionary + postings + positions + documents, percent of raw text", 100.0 * core / raw, "%", 2);
        }
        row("index bits per posting (document and frequency)", json_real_value(json_object_get(o, "bits_per_posting")), "bits", 2);
        row("index bits per position", json_real_value(json_object_get(o, "bits_per_position")), "bits", 2);
        json_decref(o);
        pk_free(js);
    }

    /* every term's postings and positions decoded */
    uint64_t npost = 0, npos = 0;
    double t0 = now();
    for (size_t s = 0; s < ixr_nsegs(ix); s++) {
        segr *sg = ixr_seg(ix, s);
        seg_titer it;
        if (segr_terms_from(sg, NULL, 0, &it)) break;
        while (segr_terms_next(&it) == 1) {
            seg_post p;
            if (segr_post_open(sg, &it.t, 1, &p)) break;
            while (segr_post_next(&p) == 1) npost++;
            segr_post_close(&p);
        }
    }
    double dt = now() - t0;
    row("index postings decoded (documents and frequencies)", (double)npost / 1e6 / dt, "M/s", 1);
    t0 = now();
    uint64_t sum = 0;
    for (size_t s = 0; s < ixr_nsegs(ix); s++) {
        segr *sg = ixr_seg(ix, s);
        seg_titer it;
        if (segr_terms_from(sg, NULL, 0, &it)) break;
        while (segr_terms_next(&it) == 1) {
            seg_post p;
            if (segr_post_open(sg, &it.t, 1, &p)) break;
            while (segr_post_next(&p) == 1) {
                const uint32_t *pos = segr_post_positions(&p);
                if (!pos) break;
                sum += pos[0];
                npos += p.tf;
            }
            segr_post_close(&p);
        }
    }
    dt = now() - t0;
    row("index positions decoded (with their postings)", (double)npos / 1e6 / dt, "M/s", 1);

    /* exact look-ups of every term (whole words), in random order */
    keys k = {0};
    ixr_terms_prefix(ix, IX_WORD, "", 0, take_term, &k);
    if (k.n) {
        srand(1);
        for (size_t i = k.n - 1; i > 0; i--) {
            size_t j = (size_t)rand() % (i + 1);
            char *t = k.v[i];
            k.v[i] = k.v[j];
            k.v[j] = t;
        }
        size_t runs = k.n < 200000 ? k.n : 200000, found = 0;
        t0 = now();
        for (size_t i = 0; i < runs; i++)
            for (size_t s = 0; s < ixr_nsegs(ix); s++) {
                seg_term t;
                int f = 0;
                ixr_lookup(ix, s, IX_WORD, k.v[i], strlen(k.v[i]), &t, &f);
                found += (size_t)f;
            }
        dt = now() - t0;
        row("index exact term look-up (all segments)", dt / (double)runs * 1e6, "µs", 2);
        if (!found) fprintf(stderr, "bench_index: no term found\n");
        for (size_t i = 0; i < k.n; i++) free(k.v[i]);
        free(k.v);
        free(k.part);
    }
    /* forms by prefix, as a topic expansion does */
    static const char *topics[] = {"elektrifiering", "konferens", "budget", "tvärförbindelse", "beslut"};
    t0 = now();
    int reps = 0;
    size_t parts = 0;
    for (int r = 0; r < 200; r++)
        for (int i = 0; i < 5; i++, reps++) ixr_terms_prefix(ix, IX_PART, topics[i], strlen(topics[i]), count_term, &parts);
    dt = now() - t0;
    row("index part-term prefix enumeration", dt / reps * 1e6, "µs", 1);

    /* the codec alone */
    uint32_t *v = malloc(1 << 22), *out = malloc(1 << 22);
    size_t nv = (1 << 22) / 4;
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < nv; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        uint32_t g = 0;
        while ((x >> (g % 64)) & 1 && g < 20) g++;
        v[i] = (uint32_t)(x % (1u << (3 + g % 8)));
    }
    pk_buf b;
    buf_init(&b);
    t0 = now();
    codec_put_seq(&b, v, nv);
    dt = now() - t0;
    row("codec encode", (double)nv / 1e6 / dt, "M values/s", 1);
    t0 = now();
    for (int r = 0; r < 5; r++) {
        const uint8_t *p = b.p;
        codec_get_seq(&p, b.p + b.n, out, nv);
    }
    dt = (now() - t0) / 5;
    row("codec decode", (double)nv / 1e6 / dt, "M values/s", 1);
    row("codec bits per value (geometric-like test data)", 8.0 * (double)b.n / (double)nv, "bits", 2);
    buf_free(&b);
    free(v);
    free(out);
    if (sum == 42 && parts == 42) fprintf(stderr, " ");
    pk_index_close(ix);
    if (tmp[0]) rmrf(tmp);
    return 0;
}
