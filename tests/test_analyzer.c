/* test_analyzer.c — tokens, offsets, casefolding, stopwords, stems, the form cache, JSON, identity
 * and allocation failures of the Swedish analyzer. */
#include <jansson.h>

#include "data.h"
#include "harness.h"
#include "protokoll.h"
#include "util.h"

/* ---- collecting tokens ---- */

#define MAXT 256
typedef struct tok_copy {
    uint32_t start, end, pos, flags, form_id, nparts;
    char norm[80], stem[80], parts[200];
} tok_copy;

typedef struct run {
    tok_copy t[MAXT];
    int      n;
    int      stop_after;   /* stop the run after this many tokens (0: never) */
} run;

static int collect(void *ud, const pk_token *t)
{
    run *r = ud;
    if (r->n < MAXT) {
        tok_copy *c = &r->t[r->n];
        c->start = t->start;
        c->end = t->end;
        c->pos = t->pos;
        c->flags = t->flags;
        c->form_id = t->form_id;
        c->nparts = t->nparts;
        snprintf(c->norm, sizeof c->norm, "%.*s", (int)t->norm_len, t->norm);
        snprintf(c->stem, sizeof c->stem, "%.*s", (int)t->stem_len, t->stem);
        c->parts[0] = 0;
        for (uint32_t i = 0; i < t->nparts; i++) {
            size_t l = strlen(c->parts);
            snprintf(c->parts + l, sizeof c->parts - l, "%s%.*s", i ? "+" : "", (int)t->parts[i].text_len,
                     t->parts[i].text);
        }
    }
    r->n++;
    return r->stop_after && r->n >= r->stop_after;
}

static pk_analyzer *an;          /* shared by the tests: default options */

static run *analyze(const char *text)
{
    static run r;
    memset(&r, 0, sizeof r);
    if (pk_analyze(an, text, strlen(text), collect, &r) != PK_OK) r.n = -1;
    return &r;
}

/* The token whose surface text is s, or NULL. */
static const tok_copy *find(const run *r, const char *text, const char *s)
{
    for (int i = 0; i < r->n && i < MAXT; i++)
        if (r->t[i].end - r->t[i].start == strlen(s) && memcmp(text + r->t[i].start, s, strlen(s)) == 0)
            return &r->t[i];
    return NULL;
}

#define KIND(f) ((f) & PK_TOK_KINDS)

/* ---- tests ---- */

static void words_offsets_positions(void)
{
    const char *s = "Mötet öppnades, och Åsa Öberg hälsade välkommen.";
    run *r = analyze(s);
    CHECK_INT(r->n, 7);
    CHECK_STR(r->t[0].norm, "mötet");
    CHECK_INT(r->t[0].start, 0);
    CHECK_INT(r->t[0].end, strlen("Mötet"));
    CHECK_STR(r->t[3].norm, "åsa");
    CHECK_STR(r->t[4].norm, "öberg");
    for (int i = 0; i < r->n; i++) {
        CHECK_INT(r->t[i].pos, i);
        CHECK(r->t[i].start < r->t[i].end && r->t[i].end <= strlen(s));
        if (i) CHECK(r->t[i].start >= r->t[i - 1].end);
    }
    const tok_copy *och = find(r, s, "och");
    CHECK(och && (och->flags & PK_TOK_STOP) && och->pos == 2);
}

static void casefold_latin(void)
{
    const char *s = "ÅÄÖ Éva MÜLLER Straße İstanbul ÆØ Łódź";
    run *r = analyze(s);
    CHECK_INT(r->n, 7);
    CHECK_STR(r->t[0].norm, "åäö");
    CHECK_STR(r->t[1].norm, "éva");
    CHECK_STR(r->t[2].norm, "müller");
    CHECK_STR(r->t[3].norm, "strasse");
    CHECK_STR(r->t[5].norm, "æø");
    CHECK_STR(r->t[6].norm, "łódź");
    /* decomposed input (o + combining diaeresis) folds to the composed letter */
    const char *d = "Mo\xcc\x88tet";
    r = analyze(d);
    CHECK_INT(r->n, 1);
    CHECK_STR(r->t[0].norm, "mötet");
    CHECK_INT(r->t[0].end, strlen(d));
}

static void numbers_dates_times_sections(void)
{
    const char *s = "Budget 96,1 mnkr, 30.000 kr och 30\xc2\xa0" "000 kr, version 1.5 och 3.2.1; "
                    "den 2021-08-20 kl 8.30-10.15 samt 13:00. Se § 12 och §4, 8.30 utan kl.";
    run *r = analyze(s);
    const tok_copy *t;
    CHECK((t = find(r, s, "96,1")) && KIND(t->flags) == PK_TOK_NUMBER && strcmp(t->norm, "96,1") == 0);
    CHECK((t = find(r, s, "30.000")) && KIND(t->flags) == PK_TOK_NUMBER && strcmp(t->norm, "30000") == 0);
    CHECK((t = find(r, s, "30\xc2\xa0" "000")) && strcmp(t->norm, "30000") == 0);
    CHECK((t = find(r, s, "1.5")) && strcmp(t->norm, "1.5") == 0);
    CHECK((t = find(r, s, "3.2.1")) && KIND(t->flags) == PK_TOK_NUMBER);
    CHECK((t = find(r, s, "2021-08-20")) && KIND(t->flags) == PK_TOK_DATE && strcmp(t->norm, "2021-08-20") == 0);
    CHECK((t = find(r, s, "8.30")) && KIND(t->flags) == PK_TOK_TIME && strcmp(t->norm, "08:30") == 0);
    CHECK((t = find(r, s, "10.15")) && KIND(t->flags) == PK_TOK_TIME && strcmp(t->norm, "10:15") == 0);
    CHECK((t = find(r, s, "13:00")) && KIND(t->flags) == PK_TOK_TIME);
    CHECK((t = find(r, s, "§ 12")) && KIND(t->flags) == PK_TOK_SECTION && strcmp(t->norm, "§12") == 0);
    CHECK((t = find(r, s, "§4")) && KIND(t->flags) == PK_TOK_SECTION && strcmp(t->norm, "§4") == 0);
    /* "8.30" without "kl" before it is a number */
    int last_830 = -1;
    for (int i = 0; i < r->n; i++)
        if (r->t[i].end - r->t[i].start == 4 && memcmp(s + r->t[i].start, "8.30", 4) == 0) last_830 = i;
    CHECK(last_830 >= 0 && KIND(r->t[last_830].flags) == PK_TOK_NUMBER);
    /* a time range and a leading zero make times without "kl"; prices stay numbers */
    const char *tr = "Tid 13.00-15.00, 08.30, 1.50 kr, 9.30 \xe2\x80\x93 10.00";
    r = analyze(tr);
    CHECK((t = find(r, tr, "13.00")) && KIND(t->flags) == PK_TOK_TIME && strcmp(t->norm, "13:00") == 0);
    CHECK((t = find(r, tr, "15.00")) && KIND(t->flags) == PK_TOK_TIME);
    CHECK((t = find(r, tr, "08.30")) && KIND(t->flags) == PK_TOK_TIME);
    CHECK((t = find(r, tr, "1.50")) && KIND(t->flags) == PK_TOK_NUMBER);
    CHECK((t = find(r, tr, "9.30")) && KIND(t->flags) == PK_TOK_TIME);
    CHECK((t = find(r, tr, "10.00")) && KIND(t->flags) == PK_TOK_TIME);
    /* invalid dates are not dates */
    const char *bad = "2021-13-45";
    r = analyze(bad);
    CHECK(r->n >= 1 && KIND(r->t[0].flags) == PK_TOK_NUMBER);
}

static void hyphens_apostrophes_colons(void)
{
    const char *s = "sats-åtgärderna, e-post, EU:s och SVT:s beslut, don't, S:t Eriksgatan, 1:a";
    run *r = analyze(s);
    const tok_copy *t;
    CHECK((t = find(r, s, "sats")) && t->pos == 0);
    CHECK((t = find(r, s, "åtgärderna")) && t->pos == 1);
    CHECK((t = find(r, s, "EU:s")) && strcmp(t->norm, "eu") == 0);
    CHECK((t = find(r, s, "SVT:s")) && strcmp(t->norm, "svt") == 0);
    CHECK((t = find(r, s, "don't")) && strcmp(t->norm, "don't") == 0);
    CHECK((t = find(r, s, "S:t")) && strcmp(t->norm, "s") == 0);
    CHECK((t = find(r, s, "1:a")) && KIND(t->flags) == PK_TOK_NUMBER && strcmp(t->norm, "1") == 0);
    /* a lowercase word keeps its colon as a separator */
    const char *k = "beslut:ja";
    r = analyze(k);
    CHECK_INT(r->n, 2);
    /* the typographic apostrophe is normalised */
    const char *q = "don\xe2\x80\x99t";
    r = analyze(q);
    CHECK(r->n == 1 && strcmp(r->t[0].norm, "don't") == 0);
}

static void invalid_utf8_and_controls(void)
{
    const char s[] = "M\xf6tet \xff\xfe beslut\x80" "ade \xc3 ok \xed\xa0\x80 slut";
    run *r = analyze(s);
    CHECK(r->n >= 5);
    for (int i = 0; i < r->n; i++) {
        CHECK(r->t[i].end <= sizeof s - 1);
        /* every token's norm is valid UTF-8 of letters */
        CHECK(r->t[i].norm[0] != 0);
    }
    CHECK(find(r, s, "M") != NULL);      /* the Latin-1 ö is a separator */
    CHECK(find(r, s, "tet") != NULL);
    CHECK(find(r, s, "beslut") != NULL);
    CHECK(find(r, s, "slut") != NULL);
    /* NUL bytes inside the text are separators too */
    const char z[] = "ett\0tv\xc3\xa5";
    run rr;
    memset(&rr, 0, sizeof rr);
    CHECK(pk_analyze(an, z, sizeof z - 1, collect, &rr) == PK_OK);
    CHECK_INT(rr.n, 2);
    CHECK_STR(rr.t[1].norm, "två");
}

static void capped_tokens(void)
{
    char s[400];
    memset(s, 'a', 300);
    s[300] = 0;
    strcat(s, " kort");
    run *r = analyze(s);
    CHECK_INT(r->n, 2);
    CHECK(r->t[0].flags & PK_TOK_CAPPED);
    CHECK_INT(strlen(r->t[0].norm), PK_MAX_TOKEN);
    CHECK_INT(r->t[0].end, 300);
    CHECK_INT(r->t[0].nparts, 0);
    CHECK(!(r->t[1].flags & PK_TOK_CAPPED));
    /* a capped norm never splits a multi-byte character */
    char u[400] = "";
    for (int i = 0; i < 100; i++) strcat(u, "\xc3\xa5");
    r = analyze(u);
    CHECK(r->n == 1 && (r->t[0].flags & PK_TOK_CAPPED) && strlen(r->t[0].norm) == PK_MAX_TOKEN);
}

static void stopwords_and_content_words(void)
{
    const char *s = "och att det är inte beslut senast nästa föregående ansvarig sitta sitt";
    run *r = analyze(s);
    const char *stops[] = {"och", "att", "det", "är", "inte", "sitt"};
    const char *content[] = {"beslut", "senast", "nästa", "föregående", "ansvarig", "sitta"};
    for (size_t i = 0; i < 6; i++) {
        const tok_copy *t = find(r, s, stops[i]);
        CHECKF(t && (t->flags & PK_TOK_STOP), "%s should be a stopword", stops[i]);
        t = find(r, s, content[i]);
        CHECKF(t && !(t->flags & PK_TOK_STOP), "%s should not be a stopword", content[i]);
    }
}

static void stopword_file_is_compiled_in(void)
{
    uint8_t *p = NULL;
    size_t n = 0;
    if (util_read_file("stopwords/sv.txt", &p, &n, NULL) != PK_OK) SKIP("stopwords/sv.txt not found");
    CHECKF(n == strlen(data_stopwords_sv) && memcmp(p, data_stopwords_sv, n) == 0,
           "src/data_sv.c is out of date: run sh tools/embed.sh > src/data_sv.c");
    pk_free(p);
    /* 114 words, as the Snowball list */
    int words = 0;
    for (const char *l = data_stopwords_sv; *l;) {
        const char *e = strchr(l, '\n');
        if (!e) break;
        if (*l != '#' && e > l) words++;
        l = e + 1;
    }
    CHECK_INT(words, 114);
}

static void lexicon_file_is_compiled_in(void)
{
    uint8_t *p = NULL;
    size_t n = 0;
    if (util_read_file("rules/lexicon/sv.txt", &p, &n, NULL) != PK_OK) SKIP("rules/lexicon/sv.txt not found");
    CHECKF(n == strlen(data_lexicon_sv) && memcmp(p, data_lexicon_sv, n) == 0,
           "src/data_sv.c is out of date: run sh tools/embed.sh > src/data_sv.c");
    pk_free(p);
}

static void custom_stopwords(void)
{
    char path[] = "/tmp/pk_stopXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *list = "# mina\nBESLUT\n  möte  # trailing comment\n\n";
    CHECK(write(fd, list, strlen(list)) == (ssize_t)strlen(list));
    close(fd);
    pk_analyzer_opts o = {path, NULL, 1};
    pk_analyzer *a = NULL;
    CHECK(pk_analyzer_new(&o, &a) == PK_OK);
    run r;
    memset(&r, 0, sizeof r);
    const char *s = "och beslut möte";
    CHECK(pk_analyze(a, s, strlen(s), collect, &r) == PK_OK);
    CHECK(r.n == 3 && !(r.t[0].flags & PK_TOK_STOP) && (r.t[1].flags & PK_TOK_STOP) && (r.t[2].flags & PK_TOK_STOP));
    CHECK(strcmp(pk_analyzer_identity(a), pk_analyzer_identity(an)) != 0);
    pk_analyzer_free(a);
    unlink(path);
    /* a missing file is reported with its name */
    pk_analyzer_opts m = {"/nonexistent/stop.txt", NULL, 1};
    char *err = NULL;
    a = (pk_analyzer *)1;
    CHECK(pk_analyzer_create(&m, &a, &err) == PK_ENOENT);
    CHECK(a == NULL);
    CHECK(err && strstr(err, "/nonexistent/stop.txt"));
    pk_free(err);
}

static void snowball_stems(void)
{
    const char *s = "konferensen konferenser beslutade budgeten styrelsen åtgärderna 2021";
    run *r = analyze(s);
    CHECK_STR(find(r, s, "konferensen")->stem, "konferens");
    CHECK_STR(find(r, s, "konferenser")->stem, "konferens");
    CHECK_STR(find(r, s, "budgeten")->stem, "budget");
    CHECK_STR(find(r, s, "åtgärderna")->stem, "åtgärd");
    CHECK_STR(find(r, s, "2021")->stem, "2021");
}

static void form_cache(void)
{
    const char *s = "Beslut beslut BESLUT besluten beslut";
    run *r = analyze(s);
    CHECK_INT(r->n, 5);
    CHECK(r->t[0].form_id == r->t[1].form_id && r->t[1].form_id == r->t[2].form_id);
    CHECK(r->t[3].form_id != r->t[0].form_id);
    CHECK(r->t[4].form_id == r->t[0].form_id);
    CHECK(r->t[0].form_id < pk_analyzer_forms(an));
    /* strings stay valid across later runs */
    pk_token t1, t2;
    CHECK(pk_analyze_word(an, "Styrelsemötet", strlen("Styrelsemötet"), &t1) == PK_OK);
    analyze("många andra ord som fyller cachen med nya former och ännu fler ord");
    CHECK(pk_analyze_word(an, "styrelsemötet", strlen("styrelsemötet"), &t2) == PK_OK);
    CHECK(t1.form_id == t2.form_id && t1.norm == t2.norm);
    CHECK_STR(t1.norm, "styrelsemötet");
    /* reset forgets the forms */
    pk_analyzer_opts o = {NULL, NULL, 1};
    pk_analyzer *a = NULL;
    CHECK(pk_analyzer_new(&o, &a) == PK_OK);
    CHECK(pk_analyze_word(a, "ett", 3, &t1) == PK_OK && t1.form_id == 0);
    CHECK(pk_analyze_word(a, "två", 4, &t1) == PK_OK && t1.form_id == 1);
    pk_analyzer_reset(a);
    CHECK_INT(pk_analyzer_forms(a), 0);
    CHECK(pk_analyze_word(a, "två", 4, &t1) == PK_OK && t1.form_id == 0);
    pk_analyzer_free(a);
}

static void many_forms_grow_the_cache(void)
{
    pk_analyzer_opts o = {NULL, NULL, 1};
    pk_analyzer *a = NULL;
    CHECK(pk_analyzer_new(&o, &a) == PK_OK);
    pk_buf b;
    buf_init(&b);
    for (int i = 0; i < 20000; i++) buf_printf(&b, "ord%dx ", i);
    run *r = calloc(1, sizeof *r);
    r->stop_after = 0;
    CHECK(pk_analyze(a, (const char *)b.p, b.n, collect, r) == PK_OK);
    CHECK_INT(r->n, 20000);
    CHECK_INT(pk_analyzer_forms(a), 20000);
    pk_token t;
    CHECK(pk_analyze_word(a, "ord123x", 7, &t) == PK_OK && t.form_id == 123);
    free(r);
    buf_free(&b);
    pk_analyzer_free(a);
}

static void callback_stops_the_run(void)
{
    run r;
    memset(&r, 0, sizeof r);
    r.stop_after = 2;
    const char *s = "ett två tre fyra";
    CHECK(pk_analyze(an, s, strlen(s), collect, &r) == PK_OK);
    CHECK_INT(r.n, 2);
}

static void analyze_word_kinds(void)
{
    pk_token t;
    CHECK(pk_analyze_word(an, "2021-08-20", 10, &t) == PK_OK && KIND(t.flags) == PK_TOK_DATE);
    CHECK(pk_analyze_word(an, "§12", 4, &t) == PK_OK && KIND(t.flags) == PK_TOK_SECTION);
    CHECK(pk_analyze_word(an, "Konferensen", 11, &t) == PK_OK && KIND(t.flags) == PK_TOK_WORD);
    CHECK_STR(t.stem, "konferens");
    CHECK(t.start == 0 && t.end == 11 && t.pos == 0);
    /* text that is not one token is one word */
    CHECK(pk_analyze_word(an, "a b", 3, &t) == PK_OK && KIND(t.flags) == PK_TOK_WORD);
    CHECK_STR(t.norm, "a b");
    CHECK(pk_analyze_word(an, "", 0, &t) == PK_OK);
    CHECK(pk_analyze_word(NULL, "x", 1, &t) == PK_EINVAL);
}

static void json_shape(void)
{
    char *js = NULL;
    const char *s = "Elektrifieringsfrågan och 96,1";
    CHECK(pk_analyze_json(an, s, strlen(s), &js) == PK_OK && js);
    json_error_t e;
    json_t *v = js ? json_loads(js, 0, &e) : NULL;
    CHECK(v != NULL);
    json_t *toks = json_object_get(v, "tokens");
    CHECK(json_is_array(toks) && json_array_size(toks) == 3);
    json_t *t0 = json_array_get(toks, 0);
    CHECK_STR(json_string_value(json_object_get(t0, "text")), "Elektrifieringsfrågan");
    CHECK_INT(json_integer_value(json_object_get(t0, "start")), 0);
    CHECK_INT(json_integer_value(json_object_get(t0, "end")), strlen("Elektrifieringsfrågan"));
    CHECK_STR(json_string_value(json_object_get(t0, "norm")), "elektrifieringsfrågan");
    CHECK(json_is_string(json_object_get(t0, "stem")));
    CHECK(json_is_false(json_object_get(t0, "stopword")));
    CHECK(json_is_array(json_object_get(t0, "parts")));
    CHECK(json_is_true(json_object_get(json_array_get(toks, 1), "stopword")));
    CHECK_STR(json_string_value(json_object_get(json_array_get(toks, 2), "type")), "number");
    CHECK_INT(json_array_size(json_object_get(json_array_get(toks, 2), "parts")), 0);
    json_decref(v);
    pk_free(js);
    /* invalid bytes never make invalid JSON */
    const char bad[] = "ok \xff\xfe";
    CHECK(pk_analyze_json(an, bad, sizeof bad - 1, &js) == PK_OK && js);
    v = js ? json_loads(js, 0, &e) : NULL;
    CHECK(v != NULL);
    json_decref(v);
    pk_free(js);
}

static void identity_string(void)
{
    const char *id = pk_analyzer_identity(an);
    CHECK(strncmp(id, "snowball-swedish/", 17) == 0);
    CHECK(strstr(id, " tok:") && strstr(id, " stop:") && strstr(id, " lex:") && strstr(id, " split:1"));
    /* Debian 12 ships Snowball 2.2: the 2.x algorithm */
    CHECK(strncmp(id, "snowball-swedish/2.x:", 21) == 0 || strncmp(id, "snowball-swedish/3.x:", 21) == 0);
    pk_analyzer *b = NULL;
    CHECK(pk_analyzer_new(NULL, &b) == PK_OK);
    CHECK_STR(pk_analyzer_identity(b), id);
    pk_analyzer_free(b);
    pk_analyzer_opts o = {NULL, NULL, 1};
    CHECK(pk_analyzer_new(&o, &b) == PK_OK);
    CHECK(strstr(pk_analyzer_identity(b), "lex:- split:0") != NULL);
    pk_analyzer_free(b);
}

static void bad_arguments(void)
{
    run r;
    memset(&r, 0, sizeof r);
    CHECK(pk_analyze(NULL, "x", 1, collect, &r) == PK_EINVAL);
    CHECK(pk_analyze(an, NULL, 1, collect, &r) == PK_EINVAL);
    CHECK(pk_analyze(an, NULL, 0, collect, &r) == PK_OK && r.n == 0);
    CHECK(pk_analyze(an, "x", 1, NULL, &r) == PK_EINVAL);
    CHECK(pk_analyzer_new(NULL, NULL) == PK_EINVAL);
    pk_analyzer_free(NULL);
    CHECK(pk_analyzer_identity(NULL)[0] == 0);
}

/* ---- threads: one analyzer each, sharing the compound lexicon ---- */

#include <pthread.h>

static const char *thread_text =
    "Elektrifieringsfrågan diskuterades på planeringskonferensen. Ledningsgruppsmötet beslutade "
    "att Södertörnskommunerna ska ta fram en kommunikationsplan senast 2021-09-08 kl 15.00.";

static int sum_cb(void *ud, const pk_token *t)
{
    uint64_t *h = ud;
    *h = util_hash64(t->norm, t->norm_len, *h);
    *h = util_hash64(t->stem, t->stem_len, *h);
    for (uint32_t i = 0; i < t->nparts; i++) *h = util_hash64(t->parts[i].text, t->parts[i].text_len, *h);
    return 0;
}

static void *thread_main(void *arg)
{
    uint64_t *h = arg;
    pk_analyzer *a = NULL;
    if (pk_analyzer_new(NULL, &a) != PK_OK) return NULL;
    for (int i = 0; i < 50; i++) {
        uint64_t one = 0;
        if (pk_analyze(a, thread_text, strlen(thread_text), sum_cb, &one) != PK_OK) break;
        if (i == 0) *h = one;
        else if (one != *h) { *h = 0; break; }
    }
    pk_analyzer_free(a);
    return NULL;
}

static void threads_share_the_lexicon(void)
{
    uint64_t want = 0, got[4] = {0, 0, 0, 0};
    CHECK(pk_analyze(an, thread_text, strlen(thread_text), sum_cb, &want) == PK_OK);
    pthread_t th[4];
    for (int i = 0; i < 4; i++) CHECK(pthread_create(&th[i], NULL, thread_main, &got[i]) == 0);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) CHECK(got[i] == want && want != 0);
}

/* ---- allocation failures: fail the Nth allocation, for every N, and demand a clean error ---- */

static long fail_at, alloc_count;
static void *failing_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud; (void)osize;
    if (nsize == 0) { free(ptr); return NULL; }
    if (++alloc_count == fail_at) return NULL;
    return realloc(ptr, nsize);
}

static int count_cb(void *ud, const pk_token *t) { (void)t; (*(int *)ud)++; return 0; }

static void oom_every_allocation(void)
{
    const char *text = "Elektrifieringsfrågan diskuterades på planeringskonferensen den 2021-08-20 kl 8.30; "
                       "beslutet om 96,1 mnkr enligt § 12. Ledningsgruppsmötet i Södertörnskommunerna.";
    int want = 0;
    CHECK(pk_analyze(an, text, strlen(text), count_cb, &want) == PK_OK && want > 10);
    int ok_runs = 0;
    /* the shared compound lexicon stays loaded (an holds it); its loader has its own test */
    for (int compounds = 0; compounds < 2; compounds++) {
        for (fail_at = 1; fail_at < 100000; fail_at++) {
            alloc_count = 0;
            pk_set_allocator(failing_alloc, NULL);
            pk_analyzer_opts o = {NULL, NULL, !compounds};
            pk_analyzer *a = NULL;
            pk_status st = pk_analyzer_new(&o, &a);
            int n = 0;
            char *js = NULL;
            if (st == PK_OK) {
                st = pk_analyze(a, text, strlen(text), count_cb, &n);
                if (st == PK_OK) st = pk_analyze_json(a, text, strlen(text), &js);
            } else {
                CHECK(a == NULL);
            }
            int reached = alloc_count >= fail_at;
            pk_free(js);
            pk_analyzer_free(a);
            pk_set_allocator(NULL, NULL);
            CHECKF(st == PK_OK || st == PK_ENOMEM, "status %d at allocation %ld", st, fail_at);
            if (!reached) {   /* the failure point is past every allocation: all succeeded */
                CHECK(st == PK_OK && n == want);
                ok_runs++;
                break;
            }
        }
    }
    CHECK_INT(ok_runs, 2);
}

int main(void)
{
    t_suite = "analyzer";
    if (pk_analyzer_new(NULL, &an) != PK_OK) {
        printf("FAIL analyzer.setup: cannot make an analyzer\n");
        return 1;
    }
    RUN(words_offsets_positions);
    RUN(casefold_latin);
    RUN(numbers_dates_times_sections);
    RUN(hyphens_apostrophes_colons);
    RUN(invalid_utf8_and_controls);
    RUN(capped_tokens);
    RUN(stopwords_and_content_words);
    RUN(stopword_file_is_compiled_in);
    RUN(lexicon_file_is_compiled_in);
    RUN(custom_stopwords);
    RUN(snowball_stems);
    RUN(form_cache);
    RUN(many_forms_grow_the_cache);
    RUN(callback_stops_the_run);
    RUN(analyze_word_kinds);
    RUN(json_shape);
    RUN(identity_string);
    RUN(bad_arguments);
    RUN(threads_share_the_lexicon);
    RUN(oom_every_allocation);
    pk_analyzer_free(an);
    TEST_MAIN_END();
}
