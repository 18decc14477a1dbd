/* The strict JSON reader: what it accepts equals what jansson makes of it; what is not JSON is
 * PK_ECORRUPT; every failed allocation is PK_ENOMEM with nothing leaked. */
#include "harness.h"
#include "jsonread.h"
#include "util.h"

static const char *good[] = {
    "{}", "[]", "0", "-12", "3.5", "-1.25e3", "1E+2", "true", "false", "null", "\"\"",
    "{\"a\":1,\"b\":[true,false,null,\"x\"],\"c\":{\"d\":-0.5}}",
    "  [ 1 , [ 2 , [ 3 ] ] ]  ",
    "\"S\\u00f6dert\\u00f6rn \\\"LG\\\" \\\\ \\/ \\b\\f\\n\\r\\t \\ud83d\\ude00\"",
    "{\"m\xc3\xb6te\":\"\xc3\xa5r\",\"n\":9007199254740993}",
    "{\"a\":1,\"a\":2}",
};
static const char *bad[] = {
    "", " ", "{", "[1,]", "{\"a\"}", "{\"a\":}", "{a:1}", "[1 2]", "01", "1.", "-", ".5", "1e",
    "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\u0000\"",
    "\"a\x01\"", "\"\xc3\"", "\"\xed\xa0\x80\"", "\"\xc0\xaf\"", "[1]x", "-3e2555555555555555555555555555555555", "1e999", "123456789012345678901234567890",
};

static void agrees_with_jansson(void)
{
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        json_t *a = NULL;
        pk_status st = json_read(good[i], strlen(good[i]), 1, &a, NULL);
        json_t *b = json_loads(good[i], JSON_DECODE_ANY, NULL);
        CHECKF(st == PK_OK && a && b && json_equal(a, b), "%s: status %d", good[i], st);
        json_decref(a);
        json_decref(b);
    }
}

static void refuses_what_is_not_json(void)
{
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *a = NULL;
        pk_status st = json_read(bad[i], strlen(bad[i]), 1, &a, NULL);
        CHECKF(st == PK_ECORRUPT && !a, "%s: status %d", bad[i], st);
        json_decref(a);
    }
    /* depth is bounded: no stack exhaustion on deep nesting */
    char deep[20001];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = 0;
    json_t *a = NULL;
    CHECK(json_read(deep, strlen(deep), 1, &a, NULL) == PK_ECORRUPT && !a);
}

static void value_then_more(void)
{
    const char *t = "[1,{\"x\":\"]\"}] tail";
    json_t *a = NULL;
    size_t used = 0;
    CHECK(json_read(t, strlen(t), 0, &a, &used) == PK_OK && a);
    CHECK_INT(used, strchr(t, ' ') - t);
    CHECK(json_is_array(a) && json_array_size(a) == 2);
    json_decref(a);
    CHECK(json_read(t, strlen(t), 1, &a, NULL) == PK_ECORRUPT);
}

/* Allocation counting through the public hook; fail the n-th. */
static long nalloc, fail_at, live;
static void *counting(void *ud, void *p, size_t osize, size_t nsize)
{
    (void)ud; (void)osize;
    if (nsize == 0) { if (p) live--; free(p); return NULL; }
    if (++nalloc == fail_at) return NULL;
    void *q = realloc(p, nsize);
    if (q && !p) live++;
    return q;
}

static void every_allocation_failure(void)
{
    const char *t = "{\"meeting\":{\"body\":\"Styrelsen \\\"S\\\"\"},\"decisions\":[{\"text\":\"Beslutade att "
                    "\\u00e5terkomma\",\"span\":[1,2],\"score\":0.75}],\"x\":[[[\"a\\nb\"]]]}";
    json_t *want = json_loads(t, 0, NULL);
    long ok = 0, oom = 0;
    for (fail_at = 1; fail_at < 1000; fail_at++) {
        nalloc = 0;
        live = 0;
        pk_set_allocator(counting, NULL);
        json_t *a = NULL;
        pk_status st = json_read(t, strlen(t), 1, &a, NULL);
        int same = st == PK_OK && json_equal(a, want);
        json_decref(a);
        pk_set_allocator(NULL, NULL);
        CHECKF(st == PK_ENOMEM || same, "allocation %ld: status %d", fail_at, st);
        CHECKF(live == 0, "allocation %ld: %ld blocks leaked", fail_at, live);
        if (st == PK_OK) { ok++; break; }
        oom++;
    }
    CHECK(ok == 1 && oom > 10);
    json_decref(want);
}

int main(void)
{
    t_suite = "jsonread";
    RUN(agrees_with_jansson);
    RUN(refuses_what_is_not_json);
    RUN(value_then_more);
    RUN(every_allocation_failure);
    TEST_MAIN_END();
}
