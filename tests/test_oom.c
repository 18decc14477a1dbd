/* test_oom.c — out of memory through the public API: the 1st, 2nd, ... allocation of indexing a
 * small corpus (pk_index_open + pk_index_add_paths + pk_index_close) and of querying it (trend,
 * search, decisions, follow-ups, show, stats) fails in turn, until a run needs no more.
 *
 * Every run must succeed or return PK_ENOMEM, leave no allocation behind (counted through the
 * pk_set_allocator hook: after close, as many blocks are live as before the run), and what it
 * did commit must be a sound index holding a committed generation.  Queries that succeed after a
 * failure on the same handle must answer exactly as without failures. */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "harness.h"
#include "protokoll.h"

/* ---- the allocation hook: counts blocks and calls, fails the chosen call ---- */

static atomic_long live, calls, fail_at = -1, failed;
static long stride = 1;   /* PK_OOM_STRIDE: visit every stride-th point only (for valgrind) */
static atomic_int fail_rest;   /* with fail_rest, every call from fail_at on fails */

static void *hook(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud; (void)osize;
    if (nsize == 0) {
        if (ptr) { atomic_fetch_sub(&live, 1); free(ptr); }
        return NULL;
    }
    long k = atomic_fetch_add(&calls, 1);
    long f = atomic_load(&fail_at);
    if (f >= 0 && (k == f || (fail_rest && k > f))) {
        atomic_fetch_add(&failed, 1);
        return NULL;
    }
    void *q = realloc(ptr, nsize);
    if (q && !ptr) atomic_fetch_add(&live, 1);
    return q;
}

static void arm(long n, int rest)
{
    atomic_store(&calls, 0);
    atomic_store(&failed, 0);
    fail_rest = rest;
    atomic_store(&fail_at, n);
}

static void disarm(void) { atomic_store(&fail_at, -1); }

/* ---- a small corpus: three meetings written to a temporary folder ---- */

static char tmp[256], base_ix[300], docs[3][300];

static const char *const texts[3] = {
    "# Protokoll styrelsemöte 2021-03-15\n\n"
    "Närvarande: Anna Lind (ordförande), Per Holm, Sara Ek\n\n"
    "## 1. Budget\n\nStyrelsen diskuterade budgeten för elektrifieringen av bussdepån.\n\n"
    "Beslut: styrelsen godkänner budgeten.\n\n"
    "## 2. Övrigt\n\nPer Holm ska återkomma med en offert senast 2021-04-01.\n",

    "Minnesanteckningar ledningsgrupp 2022-05-02\n\n"
    "Deltagare: Karin Berg, Olof Strand\n\n"
    "§ 4 Tvärförbindelse Södertörn\n"
    "Ledningsgruppen informerades om tvärförbindelsen. Elektrifiering av godsstråket diskuterades.\n"
    "Beslut: att ge Karin Berg i uppdrag att ta fram ett underlag till nästa möte.\n"
    "Nästa möte: 2022-06-07 kl. 13.00–15.00.\n",

    "\\documentclass{article}\n\\title{Årsmöte 2023}\n\\date{2023-02-20}\n\\begin{document}\n\\maketitle\n"
    "\\section{Val av ordförande}\nMötet valde Eva Nord till ordförande.\n"
    "\\section{Budget}\nBudgeten för 2023 fastställdes. Elektrifieringsfrågan bordlades.\n"
    "\\begin{itemize}\\item Sara Ek ansvarar för uppföljningen.\\end{itemize}\n\\end{document}\n",
};
static const char *const names[3] = {"2021-03-15_styrelse.md", "2022-05-02_ledningsgrupp.txt", "2023-02-20_arsmote.tex"};

static void t_rmrf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {}
}

static int setup(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/pk_oomXXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmp)) return -1;
    for (int i = 0; i < 3; i++) {
        snprintf(docs[i], sizeof docs[i], "%s/%s", tmp, names[i]);
        FILE *f = fopen(docs[i], "w");
        if (!f) return -1;
        fputs(texts[i], f);
        fclose(f);
    }
    snprintf(base_ix, sizeof base_ix, "%s/base", tmp);
    return 0;
}

/* ---- indexing ---- */

static pk_index_opts one_job = {.jobs = 1};

/* Index docs[from..to) into dir. */
static pk_status index_docs(const char *dir, int from, int to, char *msg, size_t msgn)
{
    pk_index *ix = NULL;
    char *err = NULL;
    pk_status st = pk_index_open(dir, PK_OPEN_WRITE | PK_OPEN_CREATE, &ix, &err);
    if (st) {
        snprintf(msg, msgn, "open: %s", err ? err : pk_strerror(st));
        pk_free(err);
        return st;
    }
    const char *paths[3];
    for (int i = from; i < to; i++) paths[i - from] = docs[i];
    pk_index_summary sum;
    st = pk_index_add_paths(ix, paths, (size_t)(to - from), &one_job, &sum);
    if (st == PK_OK && sum.docs_skipped) st = PK_EIO;   /* nothing here should be skipped */
    snprintf(msg, msgn, "add: %s", pk_index_errmsg(ix));
    pk_index_close(ix);
    return st;
}

/* Documents of the committed generation in dir (-1 when it does not open). */
static long committed_docs(const char *dir)
{
    pk_index *ix = NULL;
    if (pk_index_open(dir, PK_OPEN_READ, &ix, NULL) != PK_OK) return -1;
    char *js = NULL;
    long n = -1;
    if (pk_index_stats_json(ix, &js) == PK_OK && strncmp(js, "{\"documents\":", 13) == 0) n = atol(js + 13);
    pk_free(js);
    pk_index_close(ix);
    return n;
}

static void copy_index(const char *from, const char *to)
{
    char cmd[1000];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", to, from, to);
    if (system(cmd) != 0) {}
}

static long index_runs, index_failed, index_ok;
static char *want_stats;

/* The statistics of the index in dir (malloc'd), or NULL. */
static char *stats_of(const char *dir)
{
    pk_index *ix = NULL;
    if (pk_index_open(dir, PK_OPEN_READ, &ix, NULL) != PK_OK) return NULL;
    char *js = NULL, *copy = NULL;
    if (pk_index_stats_json(ix, &js) == PK_OK) copy = strdup(js);
    pk_free(js);
    pk_index_close(ix);
    return copy;
}

static void indexing_runs(int rest)
{
    char ix[320], msg[600];
    snprintf(ix, sizeof ix, "%s/run", tmp);
    long n;
    /* one document in the index before; the run adds the other two */
    copy_index(base_ix, ix);
    if (index_docs(ix, 1, 3, msg, sizeof msg) != PK_OK || !(want_stats = stats_of(ix))) {
        CHECKF(0, "indexing without failures: %s", msg);
        return;
    }
    long before = atomic_load(&live);
    for (n = 0; n < 1000000; n += rest ? 7 * stride : stride) {
        copy_index(base_ix, ix);
        arm(n, rest);
        pk_status st = index_docs(ix, 1, 3, msg, sizeof msg);
        disarm();
        long used = atomic_load(&calls), nfailed = atomic_load(&failed);
        index_runs++;
        CHECKF(st == PK_OK || st == PK_ENOMEM, "allocation %ld of indexing failed: status %s: %s", n, pk_strerror(st), msg);
        CHECKF(atomic_load(&live) == before, "allocation %ld of indexing failed: %ld blocks leaked", n,
               atomic_load(&live) - before);
        char *rep = NULL;
        pk_status vs = pk_index_verify(ix, &rep);
        CHECKF(vs == PK_OK, "allocation %ld of indexing failed: verify: %s", n, rep ? rep : "?");
        pk_free(rep);
        long d = committed_docs(ix);
        CHECKF(d >= 1 && d <= 3, "allocation %ld of indexing failed: %ld documents", n, d);
        if (st == PK_OK) {
            /* a run that got over its failure built the same index as a run without one */
            char *js = stats_of(ix);
            CHECKF(js && want_stats && strcmp(js, want_stats) == 0, "allocation %ld: indexing succeeded with another result:\n%.400s\n%.400s",
                   n, js ? js : "(null)", want_stats ? want_stats : "(null)");
            free(js);
        }
        if (st == PK_OK) index_ok++; else index_failed++;
        if (t_failed_now) break;
        if (nfailed == 0) break;   /* the run needed fewer allocations: all points visited */
        (void)used;
    }
    printf("  indexing (%s): %ld runs, %ld failed with PK_ENOMEM, %ld succeeded\n",
           rest ? "every allocation from the n-th on fails, n in steps of 7" : "the n-th allocation fails, for every n",
           index_runs, index_failed, index_ok);
    t_rmrf(ix);
    free(want_stats);
    want_stats = NULL;
}

static void indexing_one_failure(void) { index_runs = index_failed = index_ok = 0; indexing_runs(0); }
static void indexing_all_after(void) { index_runs = index_failed = index_ok = 0; indexing_runs(1); }

/* ---- queries ---- */

enum { Q_TREND, Q_SEARCH, Q_DECISIONS, Q_FOLLOWUPS, Q_SHOW_ID, Q_SHOW_PATH, Q_STATS, NQ };
static const char *const qnames[NQ] = {"trend", "search", "decisions", "followups", "show id", "show path", "stats"};
static char *want[NQ];

static pk_status one_query(pk_index *ix, int q, char **out)
{
    pk_query_opts o;
    pk_query_opts_init(&o);
    static const char *const tq[] = {"elektrifiering", "budget OR \"tvärförbindelse södertörn\"", "=styrelsen"};
    switch (q) {
    case Q_TREND: o.by = PK_BY_QUARTER; return pk_trend_json(ix, tq, 3, &o, out);
    case Q_SEARCH: return pk_search_json(ix, "elektrifiering OR budget", &o, out);
    case Q_DECISIONS: return pk_decisions_json(ix, NULL, &o, out);
    case Q_FOLLOWUPS: return pk_followups_json(ix, "elektrifi*", &o, out);
    case Q_SHOW_ID: return pk_show_json(ix, "2", out);
    case Q_SHOW_PATH: return pk_show_json(ix, docs[2], out);
    default: return pk_index_stats_json(ix, out);
    }
}

static long query_runs, query_failures;

static void querying_runs(int rest)
{
    /* the answers without failures */
    pk_index *ix = NULL;
    CHECK(pk_index_open(base_ix, PK_OPEN_READ, &ix, NULL) == PK_OK);
    if (!ix) return;
    for (int q = 0; q < NQ; q++) {
        CHECKF(one_query(ix, q, &want[q]) == PK_OK, "%s: %s", qnames[q], pk_index_errmsg(ix));
        if (!want[q]) return;
    }
    pk_index_close(ix);
    long before = atomic_load(&live);
    for (long n = 0; n < 1000000; n += rest ? 3 * stride : stride) {
        arm(n, rest);
        char *err = NULL;
        pk_status st = pk_index_open(base_ix, PK_OPEN_READ, &ix, &err);
        CHECKF(st == PK_OK || st == PK_ENOMEM, "allocation %ld: open: %s", n, err ? err : pk_strerror(st));
        pk_free(err);
        for (int q = 0; q < NQ && ix; q++) {
            char *js = NULL;
            st = one_query(ix, q, &js);
            CHECKF(st == PK_OK || st == PK_ENOMEM, "allocation %ld: %s: status %s: %s", n, qnames[q], pk_strerror(st),
                   pk_index_errmsg(ix));
            if (st == PK_OK)   /* a result is always the whole result */
                CHECKF(js && strcmp(js, want[q]) == 0, "allocation %ld: %s answers differently after a failure:\n%.300s\n%.300s",
                       n, qnames[q], js ? js : "(null)", want[q]);
            else
                CHECKF(js == NULL, "allocation %ld: %s failed but returned a result", n, qnames[q]);
            if (st) query_failures++;
            pk_free(js);
        }
        pk_index_close(ix);
        ix = NULL;
        disarm();
        query_runs++;
        CHECKF(atomic_load(&live) == before, "allocation %ld of querying failed: %ld blocks leaked", n,
               atomic_load(&live) - before);
        if (t_failed_now || atomic_load(&failed) == 0) break;
    }
    for (int q = 0; q < NQ; q++) { pk_free(want[q]); want[q] = NULL; }
    printf("  querying (%s): %ld runs of open, trend, search, decisions, followups, show, stats; %ld calls returned PK_ENOMEM\n",
           rest ? "every allocation from the n-th on fails" : "the n-th allocation fails", query_runs, query_failures);
}

static void querying_one_failure(void) { query_runs = query_failures = 0; querying_runs(0); }
static void querying_all_after(void) { query_runs = query_failures = 0; querying_runs(1); }

/* ---- making an analyzer: the compound lexicon is loaded (no other analyzer holds it) ---- */

static void analyzer_creation(void)
{
    long before = atomic_load(&live), runs = 0, failures = 0;
    for (long n = 0; n < 1000000; n += stride) {
        pk_analyzer *a = NULL;
        char *err = NULL;
        arm(n, 0);
        pk_status st = pk_analyzer_create(NULL, &a, &err);
        disarm();
        runs++;
        CHECKF(st == PK_OK || st == PK_ENOMEM, "allocation %ld: %s", n, err ? err : pk_strerror(st));
        CHECKF((st == PK_OK) == (a != NULL), "allocation %ld: status and analyzer disagree", n);
        if (st) failures++;
        pk_analyzer_free(a);
        pk_free(err);
        CHECKF(atomic_load(&live) == before, "allocation %ld: %ld blocks leaked", n, atomic_load(&live) - before);
        if (t_failed_now || atomic_load(&failed) == 0) break;
    }
    printf("  analyzer creation: %ld runs, %ld failed with PK_ENOMEM\n", runs, failures);
}

int main(void)
{
    t_suite = "oom";
    const char *sv = getenv("PK_OOM_STRIDE");
    if (sv && atol(sv) > 1) stride = atol(sv);
    if (setup() != 0) { printf("FAIL oom.setup: cannot write the corpus\n"); return 1; }
    pk_set_allocator(hook, NULL);
    RUN(analyzer_creation);
    /* an analyzer held for the whole test keeps the shared compound lexicon loaded (as in a
     * process that indexes many times), so that each run below does not load it again */
    pk_analyzer *held = NULL;
    if (pk_analyzer_new(NULL, &held) != PK_OK) { printf("FAIL oom.setup: no analyzer\n"); return 1; }
    /* the base index, and a first full run that loads what a process loads once, so that later
     * runs start from the same live blocks */
    char msg[600];
    if (index_docs(base_ix, 0, 1, msg, sizeof msg) != PK_OK) { printf("FAIL oom.setup: %s\n", msg); return 1; }
    char warm[320];
    snprintf(warm, sizeof warm, "%s/warm", tmp);
    if (index_docs(warm, 0, 3, msg, sizeof msg) != PK_OK) { printf("FAIL oom.setup: %s\n", msg); return 1; }
    RUN(indexing_one_failure);
    RUN(indexing_all_after);
    t_rmrf(base_ix);
    if (index_docs(base_ix, 0, 3, msg, sizeof msg) != PK_OK) { printf("FAIL oom.setup: %s\n", msg); return 1; }
    RUN(querying_one_failure);
    RUN(querying_all_after);
    pk_analyzer_free(held);
    pk_set_allocator(NULL, NULL);
    t_rmrf(tmp);
    TEST_MAIN_END();
}
