/* bench_extract.c — single-thread throughput of extraction (pk_extract_json: structure, rules,
 * record as JSON) over the canonical text of the documents given.
 *
 * Usage: bench_extract [-n PASSES] [--rules PATH] PATH...   (files, or folders read recursively by
 * the reader, as `protokoll index` reads them).  The documents are read once; then every figure is
 * the best of five samples of PASSES passes over all of them (wall clock, one thread).
 * Output: markdown table rows "| metric | value | unit |" on stdout, extraction throughput first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protokoll.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    int passes = 0;
    const char *rules = NULL;
    pk_reader *r;
    if (pk_reader_new(&r) != PK_OK) return 1;
    int npaths = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) { passes = atoi(argv[++i]); continue; }
        if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc) { rules = argv[++i]; continue; }
        if (pk_reader_add(r, argv[i]) != PK_OK) { fprintf(stderr, "%s\n", pk_reader_errmsg(r)); return 1; }
        npaths++;
    }
    if (!npaths) {
        fprintf(stderr, "usage: bench_extract [-n PASSES] [--rules PATH] PATH...\n");
        return 2;
    }
    pk_doc **docs = NULL;
    size_t ndocs = 0, cap = 0, bytes = 0;
    for (;;) {
        pk_doc *d;
        pk_status st = pk_reader_next(r, &d);
        if (st != PK_OK) { fprintf(stderr, "skipped: %s\n", pk_reader_errmsg(r)); continue; }
        if (!d) break;
        if (ndocs == cap) {
            cap = cap ? cap * 2 : 256;
            pk_doc **nd = realloc(docs, cap * sizeof *docs);
            if (!nd) return 1;
            docs = nd;
        }
        docs[ndocs++] = d;
        bytes += d->len;
    }
    pk_reader_free(r);
    if (!ndocs || !bytes) {
        fprintf(stderr, "bench_extract: no documents\n");
        return 1;
    }

    double t0 = now();
    pk_extractor *x;
    if (pk_extractor_new(rules, &x) != PK_OK) {
        fprintf(stderr, "bench_extract: %s\n", pk_extractor_errmsg(NULL));
        return 1;
    }
    double t_rules = now() - t0;
    /* enough passes for a sample of about a quarter of a second */
    if (passes <= 0) {
        double a = now();
        for (size_t i = 0; i < ndocs; i++) {
            char *js;
            if (pk_extract_json(x, docs[i], &js) == PK_OK) pk_free(js);
        }
        double t = now() - a;
        passes = t > 0 ? (int)(0.25 / t) + 1 : 1;
        if (passes > 1000) passes = 1000;
    }
    double best = 1e30, best_cpu = 1e30;
    size_t out_bytes = 0, failed = 0;
    for (int sample = 0; sample < 5; sample++) {
        double a = now(), ac = cpu_now();
        for (int p = 0; p < passes; p++)
            for (size_t i = 0; i < ndocs; i++) {
                char *js;
                if (pk_extract_json(x, docs[i], &js) == PK_OK) {
                    if (sample == 0 && p == 0) out_bytes += strlen(js);
                    pk_free(js);
                } else if (sample == 0 && p == 0) {
                    failed++;
                }
            }
        double t = now() - a, tc = cpu_now() - ac;
        if (t < best) best = t;
        if (tc < best_cpu) best_cpu = tc;
    }
    double mb = (double)bytes * passes / 1e6;
    printf("| extract throughput | %.1f | MB/s |\n", mb / best);
    printf("| extract throughput (CPU time) | %.1f | MB/s |\n", mb / best_cpu);
    printf("| extract documents | %.0f | docs/s |\n", (double)ndocs * passes / best);
    printf("| extract input | %.2f | MB |\n", (double)bytes / 1e6);
    printf("| extract documents read | %zu | docs |\n", ndocs);
    printf("| extract records | %.2f | MB |\n", (double)out_bytes / 1e6);
    printf("| extract failures | %zu | docs |\n", failed);
    printf("| extract rules load (compile + JIT) | %.1f | ms |\n", t_rules * 1e3);
    pk_extractor_free(x);
    for (size_t i = 0; i < ndocs; i++) pk_doc_free(docs[i]);
    free(docs);
    return failed ? 1 : 0;
}
