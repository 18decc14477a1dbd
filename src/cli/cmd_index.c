/* cmd_index.c — protokoll index: add files, folders, .gz and stdin to the index; --delete. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"

typedef struct progress_state {
    int    tty;
    double last;
    int    shown;         /* a progress line is on the terminal */
} progress_state;

static void clear_line(progress_state *ps)
{
    if (ps->shown) {
        fputs("\r\033[K", stderr);
        ps->shown = 0;
    }
}

static void on_progress(void *ud, const pk_progress *p)
{
    progress_state *ps = ud;
    if (p->error) {
        clear_line(ps);
        fprintf(stderr, "protokoll: error: skipped %s\n", p->error);
        return;
    }
    if (!ps->tty || p->seconds - ps->last < 0.1) return;
    ps->last = p->seconds;
    double mb = (double)p->bytes_done / (1 << 20);
    double rate = p->seconds > 0 ? mb / p->seconds : 0;
    char eta[32] = "";
    if (p->bytes_total > p->bytes_done && rate > 0) {
        double left = ((double)(p->bytes_total - p->bytes_done) / (1 << 20)) / rate;
        snprintf(eta, sizeof eta, "  ETA %d:%02d", (int)(left / 60), (int)left % 60);
    }
    char total[32] = "";
    if (p->bytes_total) snprintf(total, sizeof total, "/%.1f", (double)p->bytes_total / (1 << 20));
    fprintf(stderr, "\r\033[K%llu documents (%llu added, %llu unchanged, %llu skipped)  %.1f%s MB  %.1f MB/s%s",
            (unsigned long long)p->docs_done, (unsigned long long)p->docs_added,
            (unsigned long long)p->docs_unchanged, (unsigned long long)p->docs_skipped, mb, total, rate, eta);
    fflush(stderr);
    ps->shown = 1;
}

static int parse_count(const char *s, long max, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 1 || v > max) return -1;
    *out = v;
    return 0;
}

static const char *mb_text(uint64_t n, char buf[32])
{
    if (n >= 10u << 20) snprintf(buf, 32, "%.1f MB", (double)n / (1 << 20));
    else snprintf(buf, 32, "%.1f kB", (double)n / 1024);
    return buf;
}

int cmd_index(int argc, char **argv)
{
    const char *dir = NULL, *rules = NULL, *val;
    const char **paths = calloc((size_t)argc, sizeof *paths), **dels = calloc((size_t)argc, sizeof *dels);
    size_t np = 0, nd = 0;
    long mem = 0, jobs = 0;
    int rc = EXIT_OK;
    if (!paths || !dels) { cli_error("index", "out of memory"); free(paths); free(dels); return EXIT_FAIL; }
    for (int i = 1; i < argc; i++) {
        int r;
        const char *opt = argv[i];
        if ((r = cli_opt_value(argc, argv, &i, "-i", &val)) || (r = cli_opt_value(argc, argv, &i, "--index", &val))) {
            if (r < 0) { rc = cli_usage("index", "%s needs a folder", opt); goto out; }
            dir = val;
        } else if ((r = cli_opt_value(argc, argv, &i, "--mem", &val))) {
            if (r < 0 || parse_count(val, 1L << 20, &mem)) { rc = cli_usage("index", "--mem needs a size in MB (1 or more)"); goto out; }
        } else if ((r = cli_opt_value(argc, argv, &i, "--jobs", &val)) || (r = cli_opt_value(argc, argv, &i, "-j", &val))) {
            if (r < 0 || parse_count(val, 64, &jobs)) { rc = cli_usage("index", "--jobs needs a number from 1 to 64"); goto out; }
        } else if ((r = cli_opt_value(argc, argv, &i, "--delete", &val))) {
            if (r < 0) { rc = cli_usage("index", "--delete needs the path of an indexed file"); goto out; }
            dels[nd++] = val;
        } else if ((r = cli_opt_value(argc, argv, &i, "--rules", &val))) {
            if (r < 0) { rc = cli_usage("index", "--rules needs a file or folder"); goto out; }
            rules = val;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            rc = cli_usage("index", "unknown option '%s'", argv[i]);
            goto out;
        } else {
            paths[np++] = argv[i];
        }
    }
    if (np == 0 && nd == 0) { rc = cli_usage("index", "nothing to index: give files, folders or -"); goto out; }
    dir = cli_index_dir(dir);

    pk_index *ix = NULL;
    char *err = NULL;
    pk_status st = pk_index_open(dir, PK_OPEN_WRITE | PK_OPEN_CREATE, &ix, &err);
    if (st) {
        cli_error(dir, err ? err : pk_strerror(st));
        pk_free(err);
        rc = EXIT_FAIL;
        goto out;
    }
    for (size_t i = 0; i < nd; i++)
        if (pk_index_delete(ix, dels[i]) != PK_OK) {
            cli_errorf("--delete %s: %s", dels[i], pk_index_errmsg(ix));
            rc = EXIT_FAIL;
        }
    pk_index_summary sum;
    memset(&sum, 0, sizeof sum);
    progress_state ps = {cli_stderr_tty(), 0, 0};
    pk_index_opts o = {.mem_mb = (size_t)mem, .jobs = (int)jobs, .rules_path = rules,
                       .progress = on_progress, .progress_ud = &ps};
    st = pk_index_add_paths(ix, paths, np, &o, &sum);
    clear_line(&ps);
    if (st) {
        cli_error("index", pk_index_errmsg(ix));
        rc = EXIT_FAIL;
    }
    char b1[32], b2[32];
    double rate = sum.seconds > 0 ? (double)sum.bytes_read / (1 << 20) / sum.seconds : 0;
    printf("indexed %s: %llu added, %llu replaced, %llu unchanged, %llu skipped, %llu deleted; "
           "%u segment%s, %s; %s read in %.1f s (%.1f MB/s)\n",
           dir, (unsigned long long)sum.docs_added, (unsigned long long)sum.docs_replaced,
           (unsigned long long)sum.docs_unchanged, (unsigned long long)sum.docs_skipped,
           (unsigned long long)sum.docs_deleted, sum.segments, sum.segments == 1 ? "" : "s",
           mb_text(sum.index_bytes, b1), mb_text(sum.bytes_read, b2), sum.seconds, rate);
    if (sum.docs_skipped) rc = EXIT_FAIL;
    pk_index_close(ix);
    free(paths);
    free(dels);
    return cli_finish(rc);
out:
    free(paths);
    free(dels);
    return rc;
}
