/* cmd_ixadmin.c — index health and scale: verify, stats, merge. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

int cmd_verify(int argc, char **argv)
{
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        int r = cli_opt_value(argc, argv, &i, "-i", &dir);
        if (r < 0) return cli_usage("verify", "-i needs a folder");
        if (r) continue;
        r = cli_opt_value(argc, argv, &i, "--index", &dir);
        if (r < 0) return cli_usage("verify", "--index needs a folder");
        if (r) continue;
        return cli_usage("verify", "unexpected argument '%s'", argv[i]);
    }
    dir = cli_index_dir(dir);
    char *report = NULL;
    pk_status st = pk_index_verify(dir, &report);
    if (st) {
        cli_error("verify", report ? report : pk_strerror(st));
        pk_free(report);
        cli_finish(EXIT_FAIL);
        return EXIT_FAIL;
    }
    cli_puts(report ? report : "ok");
    pk_free(report);
    return cli_finish(EXIT_OK);
}

/* ---- stats ---- */

static long long jint(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

static const char *human_bytes(long long n, char buf[32])
{
    if (n >= 10LL << 30) snprintf(buf, 32, "%.1f GB", (double)n / (1 << 30));
    else if (n >= 10LL << 20) snprintf(buf, 32, "%.1f MB", (double)n / (1 << 20));
    else if (n >= 10LL << 10) snprintf(buf, 32, "%.1f kB", (double)n / 1024);
    else snprintf(buf, 32, "%lld B", n);
    return buf;
}

static void print_stats(const char *dir, json_t *o)
{
    char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32];
    json_t *bytes = json_object_get(o, "bytes"), *rel = json_object_get(o, "percent_of_raw");
    const char *fd = json_string_value(json_object_get(o, "first_date"));
    const char *ld = json_string_value(json_object_get(o, "last_date"));
    printf("index       %s (generation %lld, %lld segment%s)\n", dir, jint(o, "generation"), jint(o, "segments"),
           jint(o, "segments") == 1 ? "" : "s");
    printf("documents   %lld", jint(o, "documents"));
    if (fd && ld) printf(", %s to %s", fd, ld);
    if (jint(o, "deleted_documents")) printf(" (%lld deleted, purged at the next merge)", jint(o, "deleted_documents"));
    printf("\n");
    printf("text        %s analysed from %s read, %lld tokens\n", human_bytes(jint(o, "text_bytes"), b1),
           human_bytes(jint(o, "raw_bytes"), b2), jint(o, "tokens"));
    printf("terms       %lld (%lld whole words, %lld compound parts)\n", jint(o, "terms"), jint(o, "word_terms"),
           jint(o, "part_terms"));
    json_t *bodies = json_object_get(o, "bodies");
    if (json_array_size(bodies)) {
        printf("bodies     ");
        size_t i;
        json_t *b;
        json_array_foreach(bodies, i, b) {
            if (i == 8) { printf(" and %zu more", json_array_size(bodies) - 8); break; }
            const char *name = json_string_value(json_object_get(b, "body"));
            printf("%s %s %lld", i ? "," : "", name ? name : "(no body)", jint(b, "docs"));
        }
        printf("\n");
    }
    json_t *per = json_object_get(o, "periods");
    if (json_array_size(per)) {
        printf("years      ");
        size_t i;
        json_t *p;
        json_array_foreach(per, i, p)
            printf("%s %s: %lld", i ? "," : "", json_string_value(json_object_get(p, "period")), jint(p, "docs"));
        printf("\n");
    }
    printf("index size  %s = %.1f %% of the raw text (dictionary %s, postings %s, positions %s, documents %s)\n",
           human_bytes(jint(bytes, "dictionary") + jint(bytes, "postings") + jint(bytes, "positions") + jint(bytes, "documents"), b1),
           json_real_value(json_object_get(rel, "index")), human_bytes(jint(bytes, "dictionary"), b2),
           human_bytes(jint(bytes, "postings"), b3), human_bytes(jint(bytes, "positions"), b4),
           human_bytes(jint(bytes, "documents"), b5));
    printf("stored      %s = %.1f %% of the raw text (records and texts, zlib)\n", human_bytes(jint(bytes, "stored"), b6),
           json_real_value(json_object_get(rel, "stored")));
    printf("on disk     %s in total\n", human_bytes(jint(bytes, "total"), b1));
    printf("coding      %.2f bits per posting (document and frequency), %.2f bits per position\n",
           json_real_value(json_object_get(o, "bits_per_posting")), json_real_value(json_object_get(o, "bits_per_position")));
}

int cmd_stats(int argc, char **argv)
{
    const char *dir = NULL;
    int as_json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) { as_json = 1; continue; }
        int r = cli_opt_value(argc, argv, &i, "-i", &dir);
        if (r < 0) return cli_usage("stats", "-i needs a folder");
        if (r) continue;
        r = cli_opt_value(argc, argv, &i, "--index", &dir);
        if (r < 0) return cli_usage("stats", "--index needs a folder");
        if (r) continue;
        return cli_usage("stats", "unexpected argument '%s'", argv[i]);
    }
    dir = cli_index_dir(dir);
    pk_index *ix = NULL;
    char *err = NULL;
    pk_status st = pk_index_open(dir, PK_OPEN_READ, &ix, &err);
    if (st) {
        cli_error("stats", err ? err : pk_strerror(st));
        pk_free(err);
        return EXIT_FAIL;
    }
    char *json = NULL;
    st = pk_index_stats_json(ix, &json);
    if (st) {
        cli_error("stats", pk_index_errmsg(ix));
        pk_index_close(ix);
        return EXIT_FAIL;
    }
    if (as_json) {
        cli_puts(json);
    } else {
        json_t *o = json_loads(json, 0, NULL);
        if (o) print_stats(dir, o);
        json_decref(o);
    }
    pk_free(json);
    pk_index_close(ix);
    return cli_finish(EXIT_OK);
}

/* ---- merge ---- */

int cmd_merge(int argc, char **argv)
{
    const char *dir = NULL;
    const char **shards = calloc((size_t)argc, sizeof *shards);
    size_t n = 0;
    if (!shards) { cli_error("merge", "out of memory"); return EXIT_FAIL; }
    for (int i = 1; i < argc; i++) {
        int r = cli_opt_value(argc, argv, &i, "-i", &dir);
        if (r == 0) r = cli_opt_value(argc, argv, &i, "--index", &dir);
        if (r < 0) { free(shards); return cli_usage("merge", "-i needs a folder"); }
        if (r) continue;
        if (argv[i][0] == '-' && argv[i][1]) { free(shards); return cli_usage("merge", "unknown option '%s'", argv[i]); }
        shards[n++] = argv[i];
    }
    dir = cli_index_dir(dir);
    pk_index *ix = NULL;
    char *err = NULL;
    pk_status st = pk_index_open(dir, PK_OPEN_WRITE | PK_OPEN_CREATE, &ix, &err);
    if (st) {
        cli_error("merge", err ? err : pk_strerror(st));
        pk_free(err);
        free(shards);
        return EXIT_FAIL;
    }
    pk_index_summary sum;
    st = pk_index_merge(ix, shards, n, NULL, &sum);
    if (st) {
        cli_error("merge", pk_index_errmsg(ix));
        pk_index_close(ix);
        free(shards);
        return EXIT_FAIL;
    }
    if (n)
        fprintf(stderr, "protokoll: merged %zu shard%s into %s: %llu documents added, %llu replaced, %llu unchanged; %u segment%s\n",
                n, n == 1 ? "" : "s", dir, (unsigned long long)sum.docs_added, (unsigned long long)sum.docs_replaced,
                (unsigned long long)sum.docs_unchanged, sum.segments, sum.segments == 1 ? "" : "s");
    else
        fprintf(stderr, "protokoll: merged the segments of %s: %u segment%s\n", dir, sum.segments,
                sum.segments == 1 ? "" : "s");
    pk_index_close(ix);
    free(shards);
    return cli_finish(EXIT_OK);
}
