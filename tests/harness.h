/* harness.h — the tiny in-house test harness: TEST functions, CHECK macros, one line per result.
 *
 * Each test prints "PASS suite.name" or "FAIL suite.name: file:line: what"; tests/run.sh counts them.
 * A test that cannot run (missing ../shared) prints "SKIP suite.name: why" and counts as neither. */
#ifndef PK_HARNESS_H
#define PK_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *t_suite = "test";
static const char *t_name;
static int t_failed_now, t_skipped_now, t_pass, t_fail;

#define CHECK(cond) do { if (!(cond)) { \
    if (!t_failed_now) printf("FAIL %s.%s: %s:%d: %s\n", t_suite, t_name, __FILE__, __LINE__, #cond); \
    t_failed_now = 1; } } while (0)

#define CHECKF(cond, ...) do { if (!(cond)) { \
    if (!t_failed_now) { printf("FAIL %s.%s: %s:%d: %s: ", t_suite, t_name, __FILE__, __LINE__, #cond); \
    printf(__VA_ARGS__); printf("\n"); } t_failed_now = 1; } } while (0)

#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
    CHECKF(a_ && b_ && strcmp(a_, b_) == 0, "got \"%s\", want \"%s\"", a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)

#define CHECK_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
    CHECKF(a_ == b_, "got %lld, want %lld", a_, b_); } while (0)

#define SKIP(why) do { printf("SKIP %s.%s: %s\n", t_suite, t_name, why); t_skipped_now = 1; return; } while (0)

#define RUN(fn) do { t_name = #fn; t_failed_now = 0; t_skipped_now = 0; fflush(stdout); fn(); \
    if (t_skipped_now) {} else if (t_failed_now) t_fail++; else { t_pass++; printf("PASS %s.%s\n", t_suite, t_name); } \
    fflush(stdout); } while (0)

#define TEST_MAIN_END() return t_fail ? 1 : 0

/* Path of ../shared when it is beside the project (or $PK_SHARED), else NULL. */
static inline const char *t_shared(void)
{
    const char *e = getenv("PK_SHARED");
    if (e && *e) return access(e, R_OK) == 0 ? e : NULL;
    return access("../shared/corpus", R_OK) == 0 ? "../shared" : NULL;
}

#endif
