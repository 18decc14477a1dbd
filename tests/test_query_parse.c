/* test_query_parse.c — the query language: trees for good queries, positioned errors for bad ones. */
#include "harness.h"
#include "query.h"

static char *roundtrip(const char *q)
{
    q_node *r;
    char msg[200];
    size_t col;
    if (query_parse(q, strlen(q), &r, msg, sizeof msg, &col) != PK_OK) return NULL;
    char *s = query_to_string(r);
    query_free(r);
    return s;
}

#define CHECK_RT(q, want) do { char *s_ = roundtrip(q); CHECK_STR(s_, want); pk_free(s_); } while (0)

static size_t error_col(const char *q, char *msg, size_t cap)
{
    q_node *r = NULL;
    size_t col = 0;
    pk_status st = query_parse(q, strlen(q), &r, msg, cap, &col);
    if (st == PK_OK) { query_free(r); return 0; }
    return col;
}

#define CHECK_ERR(q, wantcol) do { char m_[200]; size_t c_ = error_col(q, m_, sizeof m_); \
    CHECKF(c_ == (wantcol), "%s -> col %zu (%s)", q, c_, m_); } while (0)

static void good_queries(void)
{
    CHECK_RT("elektrifiering", "elektrifiering");
    CHECK_RT("=elektrifiering", "=elektrifiering");
    CHECK_RT("elektrifi*", "elektrifi*");
    CHECK_RT("\"tvärförbindelse södertörn\"", "\"tvärförbindelse södertörn\"");
    CHECK_RT("\"budget\"", "budget");
    CHECK_RT("a b OR c", "a b OR c");
    CHECK_RT("a (b OR c)", "a (b OR c)");
    CHECK_RT("a AND -b", "a -b");
    CHECK_RT("NOT fax", "-fax");
    CHECK_RT("budget year:2021", "budget from:2021-01-01 to:2021-12-31");
    CHECK_RT("budget year:2019-2021", "budget from:2019-01-01 to:2021-12-31");
    CHECK_RT("x from:2020-03-01 to:2020-06", "x from:2020-03-01 to:2020-06-30");
    CHECK_RT("x to:2020", "x to:2020-12-31");
    CHECK_RT("body:\"Södertörns kommunernas\" budget", "body:\"Södertörns kommunernas\" budget");
    CHECK_RT("in:decisions elektrifiering", "in:decisions elektrifiering");
    CHECK_RT("in:followups x", "in:follow_ups x");
    CHECK_RT("((a))", "a");
    CHECK_RT("  spaced   out  ", "spaced out");
    CHECK_RT("kl 10:00", "kl 10:00");
}

static void bad_queries(void)
{
    CHECK_ERR("", 1);
    CHECK_ERR("   ", 1);
    CHECK_ERR("(elektrifiering", 16);
    CHECK_ERR("elektrifiering)", 15);
    CHECK_ERR("\"tvär södertörn", 1);
    CHECK_ERR("a OR", 3);
    CHECK_ERR("OR a", 1);
    CHECK_ERR("a -", 4);
    CHECK_ERR("=", 1);
    CHECK_ERR("*", 1);
    CHECK_ERR("el*ek", 3);
    CHECK_ERR("=el*", 1);
    CHECK_ERR("year:21", 6);
    CHECK_ERR("year:99999999999", 6);   /* no overflow on the way to the error */
    CHECK_ERR("from:igår", 6);
    CHECK_ERR("foo:bar", 1);
    CHECK_ERR("in:minutes", 4);
    CHECK_ERR("a OR in:decisions", 6);
    CHECK_ERR("()", 2);
    CHECK_ERR("\"\"", 1);
    CHECK_ERR("åäö (", 6);   /* columns count characters, not bytes */
    char msg[200];
    error_col("(elektrifiering", msg, sizeof msg);
    CHECK(strstr(msg, "col 16") && strstr(msg, "')'"));
}

static void deep_nesting(void)
{
    char q[4096];
    size_t n = 0;
    for (int i = 0; i < 1000; i++) q[n++] = '(';
    q[n++] = 'a';
    for (int i = 0; i < 1000; i++) q[n++] = ')';
    q[n] = 0;
    char msg[200];
    CHECK(error_col(q, msg, sizeof msg) > 0);
    n = 0;
    for (int i = 0; i < 2000; i++) q[n++] = '-';
    q[n++] = 'a';
    q[n] = 0;
    CHECK(error_col(q, msg, sizeof msg) > 0);
}

int main(void)
{
    t_suite = "query_parse";
    RUN(good_queries);
    RUN(bad_queries);
    RUN(deep_nesting);
    TEST_MAIN_END();
}
