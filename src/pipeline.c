/* pipeline.c — indexing paths: a feeder reads documents and decides add / replace / unchanged,
 * worker threads analyze and extract each document into an ixdoc, and the writer (the calling
 * thread) adds them to the index strictly in input order, so the index is the same byte for byte
 * whatever the number of threads. */
#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "analyzer_ids.h"
#include "index_int.h"
#include "json.h"
#include "jsonread.h"

/* ------------------------------------------------------------------------------------------------
 * Analysis of one document (in a worker)
 * ---------------------------------------------------------------------------------------------- */

/* The terms a form gave in the current document, by the analyzer's form id: a token seen before
 * in the document adds its occurrences without hashing anything again. */
typedef struct form_memo {
    uint32_t doc;                 /* the document (worker's count) the entry belongs to */
    uint32_t word;                /* builder id of the whole-word term, or IXDOC_NONE */
    uint32_t part[PK_MAX_PARTS];
} form_memo;

typedef struct worker_ctx {
    pk_analyzer   *an;
    pk_extractor  *ex;
    ixdoc_builder *b;
    uint32_t       ntokens;
    size_t         max_forms;     /* forget the analyzer's form cache beyond this many forms */
    form_memo     *memo;
    size_t         nmemo;
    uint32_t       docno;         /* documents analyzed, + 1 */
    uint32_t       src;           /* this worker's number, from 1 (ixdoc.src) */
    uint64_t       gen;           /* analyzer resets so far (ixdoc.src_gen) */
    int            lost;          /* a token's form was not found (cannot happen) */
} worker_ctx;

static form_memo *memo_of(worker_ctx *w, uint32_t form_id)
{
    if (form_id >= w->nmemo) {
        if (form_id >= (1u << 24)) return NULL;
        size_t nc = w->nmemo ? w->nmemo : 4096;
        while (nc <= form_id) nc *= 2;
        form_memo *m = pk_reallocarray(w->memo, nc, sizeof *m);
        if (!m) return NULL;
        memset(m + w->nmemo, 0, (nc - w->nmemo) * sizeof *m);
        w->memo = m;
        w->nmemo = nc;
    }
    return &w->memo[form_id];
}

static int on_token(void *ud, const pk_token *t)
{
    worker_ctx *w = ud;
    if (t->pos + 1 > w->ntokens) w->ntokens = t->pos + 1;
    if (t->flags & PK_TOK_STOP) return 0;
    form_memo *m = memo_of(w, t->form_id);
    uint32_t np = t->nparts < PK_MAX_PARTS ? t->nparts : PK_MAX_PARTS;
    if (m && m->doc == w->docno) {
        ixdoc_term_again(w->b, m->word, t->pos);
        if (t->flags & PK_TOK_WORD)
            for (uint32_t i = 0; i < np; i++) ixdoc_term_again(w->b, m->part[i], t->pos);
        return 0;
    }
    /* the first occurrence in this document: terms and forms by the analyzer's ids */
    analyzer_ids ids;
    if (analyzer_form_ids(w->an, t->form_id, &ids) != 0) { w->lost = 1; return 1; }
    uint32_t word = ixdoc_term_sid(w->b, IX_WORD, t->stem, t->stem_len, ids.stem, t->pos);
    if (m) { m->doc = w->docno; m->word = word; }
    if (t->flags & PK_TOK_WORD) {
        ixdoc_form_id(w->b, t->norm, t->norm_len, t->stem, t->stem_len, IX_FORM_WORD, ids.norm);
        for (uint32_t i = 0; i < np; i++) {
            const pk_part *p = &t->parts[i];
            uint32_t id = ixdoc_term_sid(w->b, IX_PART, p->stem, p->stem_len, ids.part_stem[i], t->pos);
            if (m) m->part[i] = id;
            ixdoc_form_id(w->b, p->text, p->text_len, p->stem, p->stem_len, IX_FORM_PART, ids.part_norm[i]);
        }
    }
    return 0;
}

/* The meeting body from an extraction record into *body (NULL when it has none or is empty).
 * PK_ENOMEM is the only failure: a record that is not JSON has no body. */
pk_status ix_record_body(const char *rec, size_t n, char **body)
{
    static const char *const path[] = {"meeting", "body"};
    pk_status st = json_string_at(rec, n, path, 2, body);
    if (st == PK_OK && *body && !**body) { pk_free(*body); *body = NULL; }
    return st == PK_ENOMEM ? PK_ENOMEM : PK_OK;
}

/* Turn a document into an analyzed document (takes the document's text); *err on failure. */
static pk_status analyze_doc(worker_ctx *w, pk_doc *doc, ixdoc **out, char **err)
{
    *out = NULL;
    char *rec = NULL;
    pk_status st = pk_extract_json(w->ex, doc, &rec);
    if (st) {
        *err = pk_sprintf("%s: extraction failed: %s", doc->path, pk_extractor_errmsg(w->ex));
        return st;
    }
    ixdoc_begin(w->b);
    w->ntokens = 0;
    if (++w->docno == 0) {   /* wrapped: forget every memo */
        memset(w->memo, 0, w->nmemo * sizeof *w->memo);
        w->docno = 1;
    }
    w->lost = 0;
    st = pk_analyze(w->an, doc->text, doc->len, on_token, w);
    if (!st && w->lost) st = PK_EINVAL;
    if (st) {
        *err = pk_sprintf("%s: analysis failed: %s", doc->path,
                          w->lost ? "a token without its form" : pk_analyzer_errmsg(w->an));
        pk_free(rec);
        return st;
    }
    ixdoc *d = pk_calloc(1, sizeof *d);
    if (!d || ixdoc_finish(w->b, d) != PK_OK) {
        pk_free(d);
        pk_free(rec);
        *err = pk_sprintf("%s: out of memory", doc->path);
        return PK_ENOMEM;
    }
    d->path = doc->path;
    doc->path = NULL;
    d->text = doc->text;
    d->text_len = doc->len;
    doc->text = NULL;
    d->hash = doc->hash;
    d->src = w->src;
    d->src_gen = w->gen;
    d->raw_len = doc->raw_len;
    d->date = doc->date;
    d->ntokens = w->ntokens;
    d->record = rec;
    d->record_len = strlen(rec);
    if (ix_record_body(rec, d->record_len, &d->body) != PK_OK) {
        *err = pk_sprintf("%s: out of memory", d->path);
        ixdoc_free(d);
        return PK_ENOMEM;
    }
    *out = d;
    return PK_OK;
}

/* ------------------------------------------------------------------------------------------------
 * Jobs
 * ---------------------------------------------------------------------------------------------- */

enum { JOB_DOC, JOB_UNCHANGED, JOB_FAILED };

typedef struct job {
    int       kind;
    uint64_t  seq;
    pk_doc   *doc;        /* JOB_DOC before analysis */
    ixdoc    *out;        /* JOB_DOC after analysis */
    char     *path;       /* JOB_UNCHANGED: the path */
    char     *error;      /* JOB_FAILED, or a failed analysis: "path: reason" */
    pk_status status;     /* JOB_FAILED: why */
    uint64_t  bytes;
    int       action;
    uint32_t  old_id;
    int       ready;
} job;

static void job_clear(job *j)
{
    pk_doc_free(j->doc);
    ixdoc_free(j->out);
    pk_free(j->path);
    pk_free(j->error);
    memset(j, 0, sizeof *j);
}

typedef struct run {
    pk_index            *ix;
    const pk_index_opts *opts;
    pk_index_summary    *sum;
    pk_reader           *rd;
    /* threads */
    pthread_mutex_t      mu;
    pthread_cond_t       cv_work, cv_done, cv_space;
    job                 *ring;        /* window slots, indexed by seq % window */
    size_t               window;
    uint64_t             fed, written;
    uint64_t            *wq;          /* documents waiting for a worker: their seq, FIFO */
    uint64_t             wq_head, wq_tail;
    int                  feeding_done, stop;
    worker_ctx          *ctx;
    int                  njobs;
    pk_status            fatal;
    /* progress */
    pk_progress          prog;
    struct timespec      t0;
} run;

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Decide what to do with a document read from the inputs (feeder side). */
static void classify(run *r, pk_doc *doc, job *j)
{
    pk_index *ix = r->ix;
    size_t n = strlen(doc->path);
    j->bytes = doc->raw_len;
    pathent *e = ix_pathmap_find(ix, doc->path, n);
    if (e && (e->id == PATH_THIS_RUN || e->chash == doc->hash)) {
        j->kind = JOB_UNCHANGED;
        j->path = doc->path;
        doc->path = NULL;
        pk_doc_free(doc);
        return;
    }
    j->kind = JOB_DOC;
    j->doc = doc;
    j->action = e ? IXDOC_REPLACE : IXDOC_ADD;
    j->old_id = e ? e->id : 0;
    /* later occurrences of the path in this run are duplicates */
    if (ix_pathmap_put(ix, doc->path, n, doc->hash, PATH_THIS_RUN) != PK_OK) {
        j->kind = JOB_FAILED;
        j->status = PK_ENOMEM;
        j->error = pk_sprintf("%s: out of memory", doc->path);
        j->doc = NULL;
        pk_doc_free(doc);
    }
}

/* Read the next input into j; 0 when there are no more. */
static int feed_one(run *r, job *j)
{
    pk_doc *doc = NULL;
    pk_status st = pk_reader_next(r->rd, &doc);
    if (st != PK_OK) {
        j->kind = JOB_FAILED;
        j->status = st;
        j->error = pk_strdup(pk_reader_errmsg(r->rd));
        return 1;
    }
    if (!doc) return 0;
    classify(r, doc, j);
    return 1;
}

static void work_one(worker_ctx *w, job *j)
{
    if (j->kind != JOB_DOC) return;
    pk_status st = analyze_doc(w, j->doc, &j->out, &j->error);
    if (st) {
        j->kind = JOB_FAILED;
        j->status = st;
    }
    /* the analyzer memoises every form it meets; bound that memory (the document holds copies
     * of what it needs, so nothing refers to the cache any more) */
    if (pk_analyzer_forms(w->an) > w->max_forms) {
        pk_analyzer_reset(w->an);
        w->gen++;
    }
    pk_doc_free(j->doc);
    j->doc = NULL;
}

static void report(run *r, const char *path, const char *error)
{
    r->prog.seconds = since(&r->t0);
    r->prog.path = path;
    r->prog.error = error;
    if (r->opts && r->opts->progress) r->opts->progress(r->opts->progress_ud, &r->prog);
}

/* The writer's part for one finished job. */
static pk_status write_one(run *r, job *j)
{
    pk_status st = PK_OK;
    r->prog.docs_done++;
    r->prog.bytes_done += j->bytes;
    switch (j->kind) {
    case JOB_UNCHANGED:
        r->prog.docs_unchanged++;
        r->sum->docs_unchanged++;
        report(r, j->path, NULL);
        break;
    case JOB_FAILED:
        if (j->status == PK_ENOMEM) {
            /* not the input's fault: the run stops (what was added before is committed) */
            msg_set(&r->ix->msg, "%s", j->error ? j->error : "out of memory");
            st = PK_ENOMEM;
            break;
        }
        r->prog.docs_skipped++;
        r->sum->docs_skipped++;
        report(r, NULL, j->error ? j->error : "unknown error");
        break;
    default:
        j->out->action = j->action;
        j->out->old_id = j->old_id;
        st = ix_add_doc(r->ix, j->out);
        if (st) break;
        r->sum->bytes_read += j->bytes;
        r->prog.docs_added++;
        report(r, j->out->path, NULL);
        break;
    }
    return st;
}

/* A worker's analyzer, extractor and builder, and the run it serves. */
typedef struct ctx_slot { worker_ctx ctx; run *r; int ready; struct ctx_slot *first; } ctx_slot;

static pk_status ctx_init(const pk_index_opts *opts, worker_ctx *c, uint32_t src, pk_msg *msg);

static void *worker_main(void *arg)
{
    ctx_slot *slot = arg;
    worker_ctx *w = &slot->ctx;
    run *r = slot->r;
    if (!slot->ready) {
        /* analyzers and extractors load their data in parallel, one per thread */
        pk_msg m;
        if (ctx_init(r->opts, w, (uint32_t)(slot - slot->first) + 1, &m) != PK_OK) return NULL;   /* the other workers carry on */
        slot->ready = 1;
    }
    pthread_mutex_lock(&r->mu);
    for (;;) {
        /* only documents to analyze are queued: a job that is ready from the start (unchanged,
         * failed) may be written and its slot reused before any worker would look at it */
        while (!r->stop && r->wq_head == r->wq_tail && !r->feeding_done) pthread_cond_wait(&r->cv_work, &r->mu);
        if (r->stop || (r->wq_head == r->wq_tail && r->feeding_done)) break;
        job *j = &r->ring[r->wq[r->wq_head % r->window] % r->window];
        r->wq_head++;
        pthread_mutex_unlock(&r->mu);
        work_one(w, j);
        pthread_mutex_lock(&r->mu);
        j->ready = 1;
        pthread_cond_broadcast(&r->cv_done);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

static void *feeder_main(void *arg)
{
    run *r = arg;
    pthread_mutex_lock(&r->mu);
    while (!r->stop) {
        while (!r->stop && r->fed - r->written >= r->window) pthread_cond_wait(&r->cv_space, &r->mu);
        if (r->stop) break;
        job *j = &r->ring[r->fed % r->window];
        pthread_mutex_unlock(&r->mu);
        memset(j, 0, sizeof *j);
        int more = feed_one(r, j);
        pthread_mutex_lock(&r->mu);
        if (!more) break;
        j->seq = r->fed;
        if (j->kind != JOB_DOC) j->ready = 1;
        else r->wq[r->wq_tail++ % r->window] = r->fed;
        r->fed++;
        pthread_cond_broadcast(&r->cv_work);
        pthread_cond_broadcast(&r->cv_done);
    }
    r->feeding_done = 1;
    pthread_cond_broadcast(&r->cv_work);
    pthread_cond_broadcast(&r->cv_done);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* ------------------------------------------------------------------------------------------------
 * The run
 * ---------------------------------------------------------------------------------------------- */

static int cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* Sum the sizes of the inputs (for progress); folders are walked the way the reader walks them:
 * not into a folder that is already open higher up (a symbolic link loop), and at most
 * WALK_DEPTH levels deep. */
#define WALK_DEPTH 128
typedef struct walk_dir { dev_t dev; ino_t ino; } walk_dir;

static uint64_t input_bytes(const char *path, walk_dir *up, int depth)
{
    struct stat st;
    if (depth >= WALK_DEPTH || stat(path, &st) != 0) return 0;
    if (S_ISREG(st.st_mode)) return (uint64_t)st.st_size;
    if (!S_ISDIR(st.st_mode)) return 0;
    for (int i = 0; i < depth; i++)
        if (up[i].dev == st.st_dev && up[i].ino == st.st_ino) return 0;
    up[depth].dev = st.st_dev;
    up[depth].ino = st.st_ino;
    DIR *d = opendir(path);
    if (!d) return 0;
    uint64_t total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *p = pk_sprintf("%s/%s", path, e->d_name);
        if (!p) break;
        struct stat s2;
        if (stat(p, &s2) == 0) {
            if (S_ISDIR(s2.st_mode)) total += input_bytes(p, up, depth + 1);
            else if (S_ISREG(s2.st_mode) && pk_reader_wants(p)) total += (uint64_t)s2.st_size;
        }
        pk_free(p);
    }
    closedir(d);
    return total;
}

static void ctx_free(worker_ctx *c)
{
    pk_free(c->memo);
    pk_analyzer_free(c->an);
    pk_extractor_free(c->ex);
    ixdoc_builder_free(c->b);
}

static pk_status ctx_init(const pk_index_opts *opts, worker_ctx *c, uint32_t src, pk_msg *msg)
{
    memset(c, 0, sizeof *c);
    c->src = src;
    pk_status st = pk_analyzer_new(NULL, &c->an);
    if (st) { msg_set(msg, "cannot create the analyzer: %s", pk_strerror(st)); return st; }
    st = pk_extractor_new(opts ? opts->rules_path : NULL, &c->ex);
    if (st) {
        msg_set(msg, "cannot load the extraction rules: %s", pk_extractor_errmsg(c->ex));
        return st;
    }
    st = ixdoc_builder_new(&c->b);
    if (st) msg_set(msg, "out of memory");
    /* about 500 forms per MB of postings budget, within [16 Ki, 512 Ki] */
    size_t mb = opts && opts->mem_mb ? opts->mem_mb : 256;
    c->max_forms = mb < 32 ? 16384 : mb > 1024 ? 1u << 19 : mb * 512;
    return st;
}

pk_status pk_index_add_paths(pk_index *ix, const char *const *paths, size_t npaths,
                             const pk_index_opts *opts, pk_index_summary *summary)
{
    pk_index_summary local;
    pk_index_summary *sum = summary ? summary : &local;
    memset(sum, 0, sizeof *sum);
    pk_status st = ix_require_write(ix);
    if (st) return st;
    run r;
    memset(&r, 0, sizeof r);
    r.ix = ix;
    r.opts = opts;
    r.sum = sum;
    clock_gettime(CLOCK_MONOTONIC, &r.t0);
    int njobs = opts && opts->jobs > 0 ? opts->jobs : cores();
    if (njobs > 64) njobs = 64;
    size_t mem_mb = opts && opts->mem_mb ? opts->mem_mb : 256;
    ix->mem_budget = mem_mb > SIZE_MAX / (1u << 20) ? SIZE_MAX : mem_mb << 20;
    ix->run_added = ix->run_replaced = 0;
    ix->async_store = njobs > 1;

    ctx_slot *slots = pk_calloc((size_t)njobs, sizeof *slots);
    if (!slots) return PK_ENOMEM;
    if (npaths == 0) goto commit;   /* deletions only */
    for (int i = 0; i < njobs; i++) {
        slots[i].r = &r;
        slots[i].first = slots;
    }
    st = ctx_init(opts, &slots[0].ctx, 1, &ix->msg);
    slots[0].ready = !st;
    if (!st) st = ix_check_identity(ix, pk_analyzer_identity(slots[0].ctx.an));
    if (!st) st = ix_pathmap_ready(ix);
    if (!st && (st = pk_reader_new(&r.rd))) msg_set(&ix->msg, "out of memory");
    for (size_t i = 0; i < npaths && !st; i++)
        if ((st = pk_reader_add(r.rd, paths[i]))) msg_set(&ix->msg, "%s: %s", paths[i], pk_reader_errmsg(r.rd));
    if (st) goto done;
    if (opts && opts->progress) {
        walk_dir walk[WALK_DEPTH];
        for (size_t i = 0; i < npaths; i++)
            if (strcmp(paths[i], "-") != 0) r.prog.bytes_total += input_bytes(paths[i], walk, 0);
    }

    if (njobs == 1) {
        /* one thread does everything, in order */
        job j;
        memset(&j, 0, sizeof j);
        while (!st && feed_one(&r, &j)) {
            work_one(&slots[0].ctx, &j);
            st = write_one(&r, &j);
            job_clear(&j);
        }
        job_clear(&j);
    } else {
        r.window = (size_t)njobs * 4 + 4;
        r.ring = pk_calloc(r.window, sizeof *r.ring);
        r.wq = pk_calloc(r.window, sizeof *r.wq);
        if (!r.ring || !r.wq) { st = PK_ENOMEM; goto done; }
        pthread_mutex_init(&r.mu, NULL);
        pthread_cond_init(&r.cv_work, NULL);
        pthread_cond_init(&r.cv_done, NULL);
        pthread_cond_init(&r.cv_space, NULL);
        pthread_t feeder, *workers = pk_calloc((size_t)njobs, sizeof *workers);
        int nstarted = 0, feeder_started = 0;
        if (!workers) st = PK_ENOMEM;
        for (int i = 0; i < njobs && !st; i++) {
            if (pthread_create(&workers[i], NULL, worker_main, &slots[i]) != 0) break;
            nstarted++;
        }
        if (!st && nstarted > 0 && pthread_create(&feeder, NULL, feeder_main, &r) == 0) feeder_started = 1;
        if (!st && (!feeder_started || nstarted == 0)) {
            msg_set(&ix->msg, "cannot start threads");
            st = PK_ENOMEM;
        }
        /* the writer: take finished jobs in order */
        pthread_mutex_lock(&r.mu);
        if (st) r.stop = 1;
        while (!st) {
            while (r.written == r.fed && !r.feeding_done) pthread_cond_wait(&r.cv_done, &r.mu);
            if (r.written == r.fed && r.feeding_done) break;
            job *j = &r.ring[r.written % r.window];
            while (!j->ready) pthread_cond_wait(&r.cv_done, &r.mu);
            pthread_mutex_unlock(&r.mu);
            st = write_one(&r, j);
            job_clear(j);
            pthread_mutex_lock(&r.mu);
            r.written++;
            pthread_cond_broadcast(&r.cv_space);
        }
        r.stop = 1;
        pthread_cond_broadcast(&r.cv_work);
        pthread_cond_broadcast(&r.cv_space);
        pthread_mutex_unlock(&r.mu);
        if (feeder_started) pthread_join(feeder, NULL);
        for (int i = 0; i < nstarted; i++) pthread_join(workers[i], NULL);
        for (size_t i = 0; i < r.window; i++) job_clear(&r.ring[i]);
        pk_free(workers);
        pthread_cond_destroy(&r.cv_work);
        pthread_cond_destroy(&r.cv_done);
        pthread_cond_destroy(&r.cv_space);
        pthread_mutex_destroy(&r.mu);
    }
    /* commit what was added, even after a failure of one document */
commit:
    {
        char keep[sizeof ix->msg.text];
        memcpy(keep, ix->msg.text, sizeof keep);
        pk_status cst = ix_finish_run(ix);
        if (!st) st = cst;
        else memcpy(ix->msg.text, keep, sizeof keep);
    }
done:
    ix->pm_ready = 0;
    ix->async_store = 0;
    pk_reader_free(r.rd);
    pk_free(r.ring);
    pk_free(r.wq);
    for (int i = 0; i < njobs; i++) ctx_free(&slots[i].ctx);
    pk_free(slots);
    sum->docs_added = ix->run_added;
    sum->docs_replaced = ix->run_replaced;
    sum->docs_deleted = ix->run_deleted;
    ix->run_deleted = 0;
    sum->segments = (uint32_t)ix->man.nsegs;
    for (size_t i = 0; i < ix->man.nsegs; i++) {
        const seg_info *in = segr_info(ix->segs[i]);
        sum->index_bytes += in->ix_size + in->pos_size + in->sto_size;
    }
    sum->seconds = since(&r.t0);
    return st;
}
