/* test_extract.c — the extractor: rule files and their errors, key literals, records of small
 * documents, spans, dates, invalid input, allocation failure at every step. */
#include <stdint.h>

#include "extract.h"
#include "harness.h"
#include "json.h"
#include "protokoll.h"
#include "rules.h"

/* ---- helpers ---- */

static pk_doc *mkdoc(const char *path, const char *text)
{
    pk_doc *d = calloc(1, sizeof *d);
    d->path = path ? strdup(path) : NULL;
    d->len = strlen(text);
    d->text = malloc(d->len + 1);
    memcpy(d->text, text, d->len + 1);
    d->date = PK_NODATE;
    return d;
}

static void rmdoc(pk_doc *d)
{
    if (!d) return;
    free(d->path);
    free(d->text);
    free(d);
}

/* Extract text with the built-in rules; the record parsed by jansson (NULL on failure). */
static json_t *record_of(pk_extractor *x, const char *path, const char *text, pk_status *st)
{
    pk_doc *d = mkdoc(path, text);
    char *js = NULL;
    *st = pk_extract_json(x, d, &js);
    json_t *v = NULL;
    if (*st == PK_OK) {
        json_error_t err;
        v = json_loads(js, 0, &err);
    }
    pk_free(js);
    rmdoc(d);
    return v;
}

static const char *jstr_at(json_t *v, const char *path)
{
    /* "a.b.0.c" */
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = v;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, ".")) {
        if (json_is_array(cur)) cur = json_array_get(cur, (size_t)atoi(tok));
        else cur = json_object_get(cur, tok);
    }
    return json_is_string(cur) ? json_string_value(cur) : NULL;
}

static size_t jlen_at(json_t *v, const char *key)
{
    return json_array_size(json_object_get(v, key));
}

static pk_status load_rules(ruleset *rs, const char *text, pk_msg *msg)
{
    memset(rs, 0, sizeof *rs);
    pk_status st = rules_load_text(rs, "test.rules", text, strlen(text), msg);
    if (st == PK_OK) st = rules_finish(rs, msg);
    if (st) rules_free(rs);
    return st;
}

/* ---- rule files ---- */

static void builtin_rules(void)
{
    pk_extractor *x = NULL;
    CHECK_INT(pk_extractor_new(NULL, &x), PK_OK);
    CHECK(x != NULL);
    CHECK(x->rs.n > 50);
    /* every sentence rule of the default set has a key the fast scan can find */
    for (size_t i = 0; i < x->rs.n; i++) {
        const rule *r = &x->rs.rules[i];
        if (r->kind == RK_DECISION || r->kind == RK_FOLLOWUP || r->kind == RK_UPCOMING ||
            r->kind == RK_MEETING_WORD || r->kind == RK_OPENED || r->kind == RK_CLOSED)
            CHECKF(r->keyed, "%s has no usable key", r->name);
    }
    pk_extractor_free(x);
    pk_extractor_free(NULL);
}

#define CHECK_RULE_ERROR(src, want_status, want_msg) do { \
    ruleset rs_; pk_msg m_; \
    pk_status st_ = load_rules(&rs_, src, &m_); \
    CHECKF(st_ == (want_status), "status %s for %s", pk_strerror(st_), src); \
    CHECKF(strstr(m_.text, want_msg) != NULL, "message \"%s\", want \"%s\"", m_.text, want_msg); \
} while (0)

static void rule_errors(void)
{
    CHECK_RULE_ERROR("# c\nskip = a\nskip.x = (b\n", PK_ESYNTAX, "test.rules:3: skip.x: missing closing parenthesis at offset 2");
    CHECK_RULE_ERROR("decsion = a\n", PK_ESYNTAX, "test.rules:1: unknown rule kind 'decsion'");
    CHECK_RULE_ERROR("followup = (?<ownr>x)\n", PK_ESYNTAX, "test.rules:1: followup: unknown group name 'ownr'");
    CHECK_RULE_ERROR("skip = @{nope}\n", PK_ESYNTAX, "unknown macro '@{nope}'");
    CHECK_RULE_ERROR("skip = @{open\n", PK_ESYNTAX, "unterminated macro reference");
    CHECK_RULE_ERROR("skip [q] = a\n", PK_ESYNTAX, "unknown flag 'q'");
    CHECK_RULE_ERROR("  a\n", PK_ESYNTAX, "test.rules:1: indented line continues no rule");
    CHECK_RULE_ERROR("skip =\n", PK_ESYNTAX, "test.rules:1: skip: empty pattern");
    CHECK_RULE_ERROR("skip a\n", PK_ESYNTAX, "expected '=' after the rule name");
    CHECK_RULE_ERROR("define d [i] = a\n", PK_ESYNTAX, "a definition takes no flags");
    CHECK_RULE_ERROR("skip [i = a\n", PK_ESYNTAX, "missing ']'");
    /* an error inside a macro is reported on the rule that uses it, after expansion */
    CHECK_RULE_ERROR("define d = (x\nskip = @{d}\n", PK_ESYNTAX, "(after macro expansion)");
}

static void rule_syntax(void)
{
    ruleset rs;
    pk_msg m;
    /* macros, continuation lines, flags, comments, several rules of one kind in file order */
    const char *text =
        "# a comment\n"
        "define word = [a-zå]+\n"
        "  # an indented comment\n"
        "skip.one [i] = SIDA\\s+@{word}\n"
        "skip.two = (?:\n"
        "    x|\n"
        "    y)$\n"
        "key.when [anywhere] = tid\\t(?<when>.+)\n";
    CHECK_INT(load_rules(&rs, text, &m), PK_OK);
    size_t n;
    const rule *r = rules_of(&rs, RK_SKIP, &n);
    CHECK_INT(n, 2);
    CHECK_STR(r[0].name, "skip.one");
    CHECK(rules_first(&rs, RK_SKIP, "sida gå", 7, 0) != NULL);
    CHECK(rules_first(&rs, RK_SKIP, "y", 1, 0) != NULL);
    CHECK(rules_first(&rs, RK_SKIP, "z", 1, 0) == NULL);
    r = rules_of(&rs, RK_KEY, &n);
    CHECK_INT(n, 1);
    CHECK(r[0].flags & RF_ANYWHERE);
    size_t s, e;
    CHECK(rules_match(&rs, &r[0], "tid\t12:00", 9, 0, 0));
    CHECK(rules_group(&rs, &r[0], G_WHEN, &s, &e) && s == 4 && e == 9);
    rules_free(&rs);
}

/* Sentence rules run only where their key literal occurs; the scan must find every occurrence. */
static int count_hits;
static int on_hit(void *ud, rule_hit h) { (void)ud; (void)h; count_hits++; return 1; }

static void key_literals(void)
{
    ruleset rs;
    pk_msg m;
    const char *text =
        "decision.a [i] = \\b(?<key>beslutar|godkänner)\\b\n"
        "decision.b = (?<key>\\bDen\\b)\\s+[0-9]\n"
        "decision.c = (?<key>\\w+)x\n"              /* no literal: searched over the whole text */
        "followup.d = (?<key>\\bska\\b)\n";
    CHECK_INT(load_rules(&rs, text, &m), PK_OK);
    size_t n;
    const rule *r = rules_of(&rs, RK_DECISION, &n);
    CHECK_INT(n, 3);
    CHECK(r[0].keyed && r[1].keyed && !r[2].keyed);
    const char *t = "Mötet BESLUTAR. Styrelsen Godkänner. den 3 maj, Den 4 maj. ska, skall, svenska ska.";
    count_hits = 0;
    CHECK(rules_scan(&rs, (const uint8_t *)t, strlen(t), on_hit, NULL));
    /* BESLUTAR, Godkänner (caseless), Den (exact case only), ska twice (whole words) */
    CHECK_INT(count_hits, 5);
    /* a literal at the very end of the text */
    count_hits = 0;
    CHECK(rules_scan(&rs, (const uint8_t *)"ska", 3, on_hit, NULL));
    CHECK_INT(count_hits, 1);
    rules_free(&rs);

    /* keys inside words, a key ended by \s after its group, long texts (the vector scan) */
    text =
        "meeting.word [i] = (?<key>möte[n]?\\b|(?<=\\p{L})mötet\\b|stämm(?:a|an)\\b)\n"
        "followup.e [i] = \\b(?<key>ger|gav)\\s+\\p{Lu}\n";
    CHECK_INT(load_rules(&rs, text, &m), PK_OK);
    r = rules_of(&rs, RK_FOLLOWUP, &n);
    CHECK(n == 1 && r[0].keyed);
    t = "Vid styrelsemötet i maj (MÖTEN, årsstämman) ger Anna och gav Bo; regeringen ger- ska, "
        "ingen Möte. Mötet ger\n";
    size_t hits_simd;
    count_hits = 0;
    CHECK(rules_scan(&rs, (const uint8_t *)t, strlen(t), on_hit, NULL));
    hits_simd = (size_t)count_hits;
    /* möte and mötet (in styrelsemötet), MÖTEN, stämm (in årsstämman), ger, gav, ger (before
     * '-'), Möte, Möte and Mötet, ger at the end; not the ger of "regeringen" */
    CHECK_INT(count_hits, 11);
    rs.lit_simd = 0;   /* byte by byte: the same */
    count_hits = 0;
    CHECK(rules_scan(&rs, (const uint8_t *)t, strlen(t), on_hit, NULL));
    CHECK_INT((size_t)count_hits, hits_simd);
    rules_free(&rs);

    /* a whole-line rule that ends in a fixed mark is turned away by its last byte */
    CHECK_INT(load_rules(&rs, "template = [a-z]+:\nabbrev [i] = (?:kl|ca)\\.\n", &m), PK_OK);
    CHECK_INT(rules_of(&rs, RK_TEMPLATE, &n)[0].endc, ':');
    CHECK_INT(rules_of(&rs, RK_ABBREV, &n)[0].endc, '.');
    CHECK(rules_first(&rs, RK_TEMPLATE, "deltagare:", 10, 0) != NULL);
    CHECK(rules_first(&rs, RK_TEMPLATE, "deltagare: x", 12, 0) == NULL);
    CHECK(rules_first(&rs, RK_ABBREV, "Kl.", 3, 0) != NULL);
    CHECK(rules_first(&rs, RK_ABBREV, "kl", 2, 0) == NULL);
    rules_free(&rs);
}

/* ---- records ---- */

static void seed_record(void)
{
    pk_extractor *x;
    CHECK_INT(pk_extractor_new(NULL, &x), PK_OK);
    pk_doc *d = NULL;
    char *err = NULL;
    if (pk_doc_read_file("corpus/seed/2021-08-20_sodertorn_ledningsgrupp.txt", &d, &err) != PK_OK) {
        pk_free(err);
        pk_extractor_free(x);
        SKIP("corpus/seed is missing");
    }
    d->date = PK_NODATE;
    char *js = NULL;
    CHECK_INT(pk_extract_json(x, d, &js), PK_OK);
    json_error_t je;
    json_t *v = json_loads(js, 0, &je);
    CHECK(v != NULL);
    CHECK_STR(jstr_at(v, "meeting.date"), "2021-08-20");
    CHECK_STR(jstr_at(v, "meeting.start"), "08:30");
    CHECK_STR(jstr_at(v, "meeting.end"), "10:15");
    CHECK_STR(jstr_at(v, "meeting.place"), "Digitalt via Teams");
    CHECK_STR(jstr_at(v, "meeting.body"), "Södertörns kommunernas ledningsgrupp");
    CHECK_INT(jlen_at(v, "participants"), 10);
    CHECK_STR(jstr_at(v, "participants.1.role"), "ordförande");
    CHECK_STR(jstr_at(v, "participants.7.left_at"), "10:00");
    CHECK_INT(jlen_at(v, "agenda"), 11);
    CHECK_STR(jstr_at(v, "agenda.10.number"), "11");
    CHECK_INT(jlen_at(v, "decisions"), 3);
    CHECK_STR(jstr_at(v, "decisions.2.item"), "8");
    CHECK_STR(jstr_at(v, "signatures.recorded_by"), "Anna Söderström");
    CHECK_STR(jstr_at(v, "signatures.approved_by"), "Helene Olofsson");
    /* the meeting date reached the document */
    char b[11];
    pk_date_format(d->date, b);
    CHECK_STR(b, "2021-08-20");
    CHECK_INT(d->date_from, PK_DATE_TEXT);
    /* every span lies inside the text, and an item's span quotes its title */
    static const char *const sections[] = {"participants", "agenda", "decisions", "follow_ups", "upcoming_meetings"};
    for (size_t k = 0; k < 5; k++) {
        json_t *a = json_object_get(v, sections[k]);
        for (size_t i = 0; i < json_array_size(a); i++) {
            json_t *sp = json_object_get(json_array_get(a, i), "span");
            json_int_t s = json_integer_value(json_array_get(sp, 0)), e = json_integer_value(json_array_get(sp, 1));
            CHECKF(s >= 0 && s <= e && (size_t)e <= d->len, "%s %zu: span %lld-%lld", sections[k], i, (long long)s, (long long)e);
        }
    }
    json_t *sp = json_object_get(json_array_get(json_object_get(v, "agenda"), 6), "span");
    size_t s = (size_t)json_integer_value(json_array_get(sp, 0)), e = (size_t)json_integer_value(json_array_get(sp, 1));
    const char *title = "Elektrifieringsfrågor";
    CHECK(e - s >= strlen(title) && memcmp(d->text + e - strlen(title), title, strlen(title)) == 0);
    json_decref(v);
    pk_free(js);
    pk_doc_free(d);
    pk_extractor_free(x);
}

static void empty_and_tiny(void)
{
    pk_extractor *x;
    CHECK_INT(pk_extractor_new(NULL, &x), PK_OK);
    pk_status st;
    json_t *v = record_of(x, "empty.txt", "", &st);
    CHECK_INT(st, PK_OK);
    CHECK(v && json_is_null(json_object_get(json_object_get(v, "meeting"), "date")));
    CHECK_INT(jlen_at(v, "agenda"), 0);
    CHECK(jlen_at(v, "warnings") >= 1);
    json_decref(v);
    static const char *const tiny[] = {"\n", "§", "§ 1", "Beslut", "Beslut:", "- ", "#", "# ", "\t", "1.", "Den 3",
                                       "Närvarande:", "Justeras\n", "Vid protokollet\n\n", "Mötet avslutas kl"};
    for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++) {
        v = record_of(x, NULL, tiny[i], &st);
        CHECKF(st == PK_OK && v, "\"%s\"", tiny[i]);
        json_decref(v);
    }
    pk_extractor_free(x);
}

static void invalid_input(void)
{
    pk_extractor *x;
    CHECK_INT(pk_extractor_new(NULL, &x), PK_OK);
    pk_status st;
    json_t *v = record_of(x, "bad.txt", "Protokoll\nM\xf6tet\n", &st);
    CHECK_INT(st, PK_EDECODE);
    CHECK(v == NULL);
    CHECKF(strstr(pk_extractor_errmsg(x), "bad.txt: extract: invalid UTF-8 at byte 11") != NULL, "%s", pk_extractor_errmsg(x));
    char *js = (char *)1;
    CHECK_INT(pk_extract_json(x, NULL, &js), PK_EINVAL);
    CHECK(js == NULL);
    /* the handle goes on working after a failure */
    v = record_of(x, "ok.txt", "Protokoll\n", &st);
    CHECK_INT(st, PK_OK);
    json_decref(v);
    pk_extractor_free(x);
    /* a missing rule file: no handle, the message for this thread */
    x = (pk_extractor *)1;
    CHECK_INT(pk_extractor_new("tests/does-not-exist.rules", &x), PK_ENOENT);
    CHECK(x == NULL);
    CHECK(strstr(pk_extractor_errmsg(NULL), "does-not-exist.rules") != NULL);
}

/* The same document gives the same record, whatever came before it on the handle. */
static void reuse(void)
{
    pk_extractor *x;
    CHECK_INT(pk_extractor_new(NULL, &x), PK_OK);
    const char *a = "Protokoll styrelsemöte\n\nDatum: 2024-03-05\n\n§ 1 Öppnande\n\nBeslut\n\nStyrelsen beslutar att öppna mötet.\n\n"
                    "§ 2 Val av justerare\n\nBeslut\n\nAnna Ek väljs till justerare.\n";
    const char *b = "# Möte\n\n## Närvarande\n\n- Bo Ek\n- Cia Al\n\n## Punkt\n\nBo ska ringa senast den 4 april 2024.\n";
    char *r1 = NULL, *r2 = NULL, *r3 = NULL;
    pk_doc *d = mkdoc("a.txt", a);
    CHECK_INT(pk_extract_json(x, d, &r1), PK_OK);
    rmdoc(d);
    d = mkdoc("b.md", b);
    CHECK_INT(pk_extract_json(x, d, &r2), PK_OK);
    rmdoc(d);
    d = mkdoc("a.txt", a);
    CHECK_INT(pk_extract_json(x, d, &r3), PK_OK);
    rmdoc(d);
    CHECK(r1 && r3 && strcmp(r1, r3) == 0);
    CHECK(r2 && strstr(r2, "\"owners\":[\"Bo\"],\"due\":\"2024-04-04\"") != NULL);
    pk_free(r1);
    pk_free(r2);
    pk_free(r3);
    pk_extractor_free(x);
}

/* ---- the JSON writer ---- */

static void json_writer(void)
{
    pk_buf b;
    buf_init(&b);
    json_w w;
    jw_init(&w, &b);
    jw_obj(&w);
    jw_key(&w, "s");
    jw_str(&w, "a\"b\\c\n\t\x01 å \xff end\0", 18);   /* with a NUL */
    jw_key(&w, "n");
    jw_null(&w);
    jw_key(&w, "a");
    jw_arr(&w);
    jw_int(&w, -42);
    jw_int(&w, 0);
    jw_str(&w, NULL, 0);
    jw_arr_end(&w);
    jw_obj_end(&w);
    char *s = buf_detach(&b);
    CHECK_STR(s, "{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001 å \xef\xbf\xbd end\xef\xbf\xbd\",\"n\":null,\"a\":[-42,0,null]}");
    json_error_t err;
    json_t *v = json_loads(s, 0, &err);
    CHECK(v != NULL);
    json_decref(v);
    pk_free(s);
}

/* ---- allocation failure everywhere ---- */

static long alloc_budget;
static void *failing_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud; (void)osize;
    if (nsize == 0) { free(ptr); return NULL; }
    if (alloc_budget-- <= 0) return NULL;
    return realloc(ptr, nsize);
}

static void allocation_failure(void)
{
    const char *text = "Minnesanteckningar från möte med styrelsen\n\nTid\tTisdagen den 5 mars 2024 kl 18.00-20.00\n"
                       "Deltagare\tAnna Ek\tOrdförande\n\tBo Al\tSekreterare\n\n1. Öppnande\n\nBeslut\n\nStyrelsen beslutar att "
                       "Anna Ek får i uppdrag att ringa senast den 9 mars.\n\n2. Nästa möte\n\n12 april: Styrelsemöte.\n";
    int new_ok = 0, extract_ok = 0;
    for (long budget = 0; budget < 100000 && !(new_ok && extract_ok); budget += budget < 400 ? 1 : 7) {
        alloc_budget = budget;
        pk_set_allocator(failing_alloc, NULL);
        pk_extractor *x = NULL;
        pk_status st = pk_extractor_new(NULL, &x);
        if (st != PK_OK) {
            pk_set_allocator(NULL, NULL);
            CHECKF(st == PK_ENOMEM && x == NULL, "budget %ld: %s", budget, pk_strerror(st));
            continue;
        }
        new_ok = 1;
        pk_doc *d = mkdoc("a.txt", text);
        char *js = NULL;
        st = pk_extract_json(x, d, &js);
        pk_set_allocator(NULL, NULL);
        CHECKF(st == PK_OK || st == PK_ENOMEM, "budget %ld: %s", budget, pk_strerror(st));
        if (st == PK_OK) {
            extract_ok = 1;
            CHECK(js && strstr(js, "\"due\":\"2024-03-09\"") != NULL);
        } else {
            CHECK(js == NULL && strstr(pk_extractor_errmsg(x), "out of memory") != NULL);
        }
        pk_free(js);
        rmdoc(d);
        pk_extractor_free(x);
    }
    pk_set_allocator(NULL, NULL);
    CHECK(new_ok && extract_ok);
}

int main(void)
{
    t_suite = "extract";
    RUN(builtin_rules);
    RUN(rule_errors);
    RUN(rule_syntax);
    RUN(key_literals);
    RUN(seed_record);
    RUN(empty_and_tiny);
    RUN(invalid_input);
    RUN(reuse);
    RUN(json_writer);
    RUN(allocation_failure);
    TEST_MAIN_END();
}
