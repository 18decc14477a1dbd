/* bench_analyzer.c — single-thread throughput of the analyzer (tokenize + casefold + stem + split)
 * next to a plain byte scan of the same text and to libstemmer without a cache.
 *
 * Usage: bench_analyzer [-n PASSES] [--raw] PATH...   (files, or folders read recursively).
 * The documents are read with the reader (pk_reader: decoded, markup reduced to text), as the
 * indexer sees them; --raw analyses the raw bytes of .txt .md .markdown .tex .typ files instead.
 * Each figure is the fastest of PASSES (100) single passes over all the text, with the median
 * for the analyzer.  Output: markdown table rows on stdout. */
#include <dirent.h>
#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "protokoll.h"
#include "tokenizer.h"

typedef struct doc { char *p; size_t n; } doc;

static doc   *docs;
static size_t ndocs, capdocs, total;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int wanted(const char *name)
{
    static const char *const ext[] = {".txt", ".md", ".markdown", ".tex", ".typ", NULL};
    size_t n = strlen(name);
    for (int i = 0; ext[i]; i++) {
        size_t e = strlen(ext[i]);
        if (n > e && strcmp(name + n - e, ext[i]) == 0) return 1;
    }
    return 0;
}

static void add_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return; }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0) { fclose(f); return; }
    char *p = malloc((size_t)n + 1);
    if (!p || fread(p, 1, (size_t)n, f) != (size_t)n) { free(p); fclose(f); return; }
    fclose(f);
    if (ndocs == capdocs) {
        capdocs = capdocs ? capdocs * 2 : 256;
        doc *nd = realloc(docs, capdocs * sizeof *docs);
        if (!nd) { free(p); return; }
        docs = nd;
    }
    docs[ndocs++] = (doc){p, (size_t)n};
    total += (size_t)n;
}

static void add_doc(const char *text, size_t n)
{
    char *p = malloc(n + 1);
    if (!p) return;
    memcpy(p, text, n);
    p[n] = 0;
    if (ndocs == capdocs) {
        capdocs = capdocs ? capdocs * 2 : 256;
        doc *nd = realloc(docs, capdocs * sizeof *docs);
        if (!nd) { free(p); return; }
        docs = nd;
    }
    docs[ndocs++] = (doc){p, n};
    total += n;
}

/* Read every path with the reader; returns the raw bytes read. */
static size_t read_with_reader(char **paths, int n)
{
    pk_reader *r = NULL;
    size_t raw = 0;
    if (pk_reader_new(&r) != PK_OK) return 0;
    for (int i = 0; i < n; i++) pk_reader_add(r, paths[i]);
    for (;;) {
        pk_doc *d = NULL;
        pk_status st = pk_reader_next(r, &d);
        if (st != PK_OK) { fprintf(stderr, "bench_analyzer: %s\n", pk_reader_errmsg(r)); continue; }
        if (!d) break;
        add_doc(d->text, d->len);
        raw += d->raw_len;
        pk_doc_free(d);
    }
    pk_reader_free(r);
    return raw;
}

static void add_path(const char *path, int top)
{
    struct stat st;
    if (stat(path, &st) != 0) { perror(path); return; }
    if (S_ISREG(st.st_mode)) {
        if (top || wanted(path)) add_file(path);
        return;
    }
    if (!S_ISDIR(st.st_mode)) return;
    DIR *d = opendir(path);
    if (!d) { perror(path); return; }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        add_path(sub, 0);
    }
    closedir(d);
}

/* ---- the measured loops ---- */

static volatile size_t sink;

static void scan_bytes(void)
{
    size_t high = 0, lines = 0;
    for (size_t d = 0; d < ndocs; d++) {
        const unsigned char *p = (const unsigned char *)docs[d].p;
        for (size_t i = 0; i < docs[d].n; i++) {
            high += p[i] > 0x7F;
            lines += p[i] == '\n';
        }
    }
    sink += high + lines;
}

static void tokenize_only(void)
{
    size_t k = 0;
    for (size_t d = 0; d < ndocs; d++) {
        tok_state ts;
        tok_span sp;
        tok_init(&ts, docs[d].p, docs[d].n);
        while (tok_next(&ts, &sp)) k += sp.end - sp.start;
    }
    sink += k;
}

static struct sb_stemmer *sb;

static void stem_uncached(void)
{
    size_t k = 0;
    for (size_t d = 0; d < ndocs; d++) {
        tok_state ts;
        tok_span sp;
        tok_init(&ts, docs[d].p, docs[d].n);
        while (tok_next(&ts, &sp)) {
            uint8_t norm[PK_MAX_TOKEN];
            int trunc;
            size_t nl = tok_norm(sp.kind, (const uint8_t *)docs[d].p + sp.start, sp.end - sp.start,
                                 norm, sizeof norm, &trunc);
            if (sp.kind == PK_TOK_WORD) {
                const sb_symbol *s = sb_stemmer_stem(sb, norm, (int)nl);
                if (s) k += (size_t)sb_stemmer_length(sb);
            } else {
                k += nl;
            }
        }
    }
    sink += k;
}

static pk_analyzer *an;
static size_t ntokens, ncompounds;

static int count_token(void *ud, const pk_token *t)
{
    (void)ud;
    ntokens++;
    ncompounds += t->nparts != 0;
    sink += t->form_id;
    return 0;
}

static void analyze_all(void)
{
    for (size_t d = 0; d < ndocs; d++)
        if (pk_analyze(an, docs[d].p, docs[d].n, count_token, NULL) != PK_OK) {
            fprintf(stderr, "bench_analyzer: %s\n", pk_analyzer_errmsg(an));
            exit(1);
        }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_mbs;

/* MB/s of the fastest of `passes` single passes over all the text (the machine may be shared:
 * the fastest pass is the one least disturbed); the median goes to median_mbs. */
static double measure(void (*fn)(void), int passes)
{
    double *t = malloc(sizeof *t * (size_t)passes);
    if (!t) return 0;
    for (int i = 0; i < passes; i++) {
        double t0 = now();
        fn();
        t[i] = now() - t0;
    }
    qsort(t, (size_t)passes, sizeof *t, cmp_double);
    double best = (double)total / t[0] / 1e6;
    median_mbs = (double)total / t[passes / 2] / 1e6;
    free(t);
    return best;
}

int main(int argc, char **argv)
{
    int passes = 100, raw = 0;
    int first = 1;
    for (;;) {
        if (argc > first + 1 && strcmp(argv[first], "-n") == 0) { passes = atoi(argv[first + 1]); first += 2; continue; }
        if (argc > first && strcmp(argv[first], "--raw") == 0) { raw = 1; first++; continue; }
        break;
    }
    if (passes < 1) passes = 1;
    static char *deflt[] = {"corpus"};
    char **paths = first < argc ? argv + first : deflt;
    int npaths = first < argc ? argc - first : 1;
    size_t raw_bytes = 0;
    if (raw) for (int i = 0; i < npaths; i++) add_path(paths[i], 1);
    else raw_bytes = read_with_reader(paths, npaths);
    if (!total) { fprintf(stderr, "bench_analyzer: no text to measure\n"); return 1; }

    printf("| metric | value | unit |\n|---|---|---|\n");
    if (raw) printf("| analyzer input (raw bytes) | %.2f | MB in %zu files |\n", (double)total / 1e6, ndocs);
    else printf("| analyzer input (reader's text of %.2f MB of files) | %.2f | MB in %zu documents |\n",
                (double)raw_bytes / 1e6, (double)total / 1e6, ndocs);
    printf("| byte scan (count bytes > 0x7F and newlines) | %.0f | MB/s |\n", measure(scan_bytes, passes));
    printf("| tokenize only | %.0f | MB/s |\n", measure(tokenize_only, passes));
    sb = sb_stemmer_new("swedish", "UTF_8");
    if (!sb) { fprintf(stderr, "bench_analyzer: no Swedish stemmer\n"); return 1; }
    printf("| tokenize + casefold + libstemmer, uncached | %.0f | MB/s |\n", measure(stem_uncached, passes));
    sb_stemmer_delete(sb);

    /* the first analyzer of the process also loads the shared compound lexicon */
    double t0 = now();
    char *err = NULL;
    if (pk_analyzer_create(NULL, &an, &err) != PK_OK) {
        fprintf(stderr, "bench_analyzer: %s\n", err ? err : "cannot make an analyzer");
        return 1;
    }
    printf("| analyzer start (stopwords, compound lexicon) | %.1f | ms |\n", (now() - t0) * 1e3);
    t0 = now();
    analyze_all();
    double cold = now() - t0;
    printf("| analyzer, first pass (each form stemmed and split once) | %.1f | MB/s |\n", (double)total / cold / 1e6);
    size_t forms = pk_analyzer_forms(an);
    ntokens = ncompounds = 0;
    analyze_all();
    size_t tokens_per_pass = ntokens, compounds_per_pass = ncompounds;
    printf("| analyzer, warm form cache (tokenize + casefold + stem + split) | %.0f | MB/s |\n",
           measure(analyze_all, passes));
    printf("| analyzer, warm form cache, median pass | %.0f | MB/s |\n", median_mbs);
    printf("| tokens per pass | %zu | tokens |\n", tokens_per_pass);
    printf("| distinct forms | %zu | forms |\n", forms);
    printf("| compound tokens | %.1f | %% of tokens |\n",
           tokens_per_pass ? 100.0 * (double)compounds_per_pass / (double)tokens_per_pass : 0.0);
    pk_analyzer_free(an);

    pk_analyzer_opts o = {NULL, NULL, 1};
    if (pk_analyzer_new(&o, &an) != PK_OK) return 1;
    analyze_all();
    printf("| analyzer without compounds, warm | %.0f | MB/s |\n", measure(analyze_all, passes));
    pk_analyzer_free(an);
    for (size_t d = 0; d < ndocs; d++) free(docs[d].p);
    free(docs);
    return 0;
}
