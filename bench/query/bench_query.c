/* bench_query.c — query latency in one process over an open index: median and p99, warm.
 *
 *   bench_query -i INDEX [-n RUNS] [-d OUTDIR] LABEL:KIND:QUERY...
 *
 * KIND is trend, search, decisions or followups (those this build has: bench/run.sh compiles this
 * file with -DPK_HAVE_<KIND>=1 for each query function the library defines).  Each query runs
 * 10 times unmeasured, then RUNS times measured.  With -d, the first result of each query is
 * written to OUTDIR/LABEL.json.  Results are markdown rows "| LABEL median | 0.123 | ms |". */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
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

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static pk_status run_one(pk_index *ix, const char *kind, const char *query, char **json)
{
    pk_query_opts o;
    pk_query_opts_init(&o);
    *json = NULL;
#if PK_HAVE_TREND
    if (!strcmp(kind, "trend")) {
        const char *qs[1] = {query};
        return pk_trend_json(ix, qs, 1, &o, json);
    }
#endif
#if PK_HAVE_SEARCH
    if (!strcmp(kind, "search")) { o.limit = 10; return pk_search_json(ix, query, &o, json); }
#endif
#if PK_HAVE_DECISIONS
    if (!strcmp(kind, "decisions")) { o.limit = 10; return pk_decisions_json(ix, query, &o, json); }
#endif
#if PK_HAVE_FOLLOWUPS
    if (!strcmp(kind, "followups")) { o.limit = 10; return pk_followups_json(ix, query, &o, json); }
#endif
    (void)ix; (void)query;
    return PK_EINVAL;
}

int main(int argc, char **argv)
{
    const char *index = NULL, *outdir = NULL;
    int runs = 200, first = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-i") && i + 1 < argc) index = argv[++i];
        else if (!strcmp(argv[i], "-n") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-d") && i + 1 < argc) outdir = argv[++i];
        else { first = i; break; }
    }
    if (!index || !first || runs < 1) {
        fprintf(stderr, "usage: bench_query -i INDEX [-n RUNS] [-d OUTDIR] LABEL:KIND:QUERY...\n");
        return 2;
    }
    pk_index *ix = NULL;
    char *err = NULL;
    double t0 = now();
    pk_status st = pk_index_open(index, PK_OPEN_READ, &ix, &err);
    double t1 = now();
    if (st != PK_OK) {
        fprintf(stderr, "bench_query: error: %s: %s\n", index, err ? err : pk_strerror(st));
        return 1;
    }
    printf("| index open | %.3f | ms |\n", (t1 - t0) * 1000);
    double *lat = malloc(sizeof(double) * (size_t)runs);
    int status = 0;
    for (int a = first; a < argc; a++) {
        char *spec = strdup(argv[a]);
        char *c1 = spec ? strchr(spec, ':') : NULL, *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c1 || !c2 || !lat) { fprintf(stderr, "bench_query: bad spec %s\n", argv[a]); return 2; }
        *c1 = 0; *c2 = 0;
        const char *label = spec, *kind = c1 + 1, *query = c2 + 1;
        char *json = NULL;
        int ok = 1;
        for (int r = -10; r < runs && ok; r++) {
            double x = now();
            st = run_one(ix, kind, query, &json);
            double y = now();
            if (st != PK_OK) {
                printf("| %s | failed: %s %s | error |\n", label, pk_strerror(st), pk_index_errmsg(ix));
                ok = 0;
                status = 1;
                break;
            }
            if (r == -10 && outdir) {
                char path[4096];
                snprintf(path, sizeof path, "%s/%s.json", outdir, label);
                FILE *f = fopen(path, "w");
                if (f) { fputs(json ? json : "", f); fclose(f); }
            }
            pk_free(json);
            json = NULL;
            if (r >= 0) lat[r] = (y - x) * 1000.0;
        }
        if (ok) {
            qsort(lat, (size_t)runs, sizeof *lat, cmp_dbl);
            printf("| %s median | %.4f | ms |\n", label, lat[runs / 2]);
            printf("| %s p99 | %.4f | ms |\n", label, lat[(size_t)((runs - 1) * 0.99)]);
        }
        free(spec);
    }
    free(lat);
    pk_index_close(ix);
    return status;
}
