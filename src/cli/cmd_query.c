/* cmd_query.c — the analyst's commands: trend, search, decisions, followups, show. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "render.h"

typedef struct qargs {
    const char  *index;
    int          json, csv;
    pk_query_opts o;
    const char **words;
    int          nwords;
} qargs;

static int parse_date_opt(const char *cmd, const char *opt, const char *v, int32_t *out, int end)
{
    if (pk_date_parse(v, strlen(v), out) != PK_OK)
        return cli_usage(cmd, "%s: '%s' is not a date (YYYY-MM-DD, YYYY-MM or YYYY)", opt, v);
    if (end) {
        /* --to 2021 means to the end of 2021 */
        size_t n = strlen(v);
        char b[32];
        if (n == 4) { snprintf(b, sizeof b, "%.4s-12-31", v); pk_date_parse(b, 10, out); }
        else if (n == 7) {
            int32_t next;
            int y = atoi(v), m = atoi(v + 5);
            snprintf(b, sizeof b, "%04d-%02d-01", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
            if (pk_date_parse(b, 10, &next) == PK_OK) *out = next - 1;
        }
    }
    return 0;
}

/* Options shared by the query commands; the rest are words of the query. */
static int parse_args(int argc, char **argv, qargs *a, int allow_csv, int allow_by, int allow_due)
{
    const char *cmd = argv[0];
    memset(a, 0, sizeof *a);
    pk_query_opts_init(&a->o);
    a->words = calloc((size_t)argc, sizeof *a->words);
    if (!a->words) { cli_error("memory", "out of memory"); return EXIT_FAIL; }
    int only_words = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        const char *arg = argv[i];
        if (only_words || arg[0] != '-' || arg[1] == 0 || (arg[1] != '-' && arg[1] != 'i' && arg[1] != 'n')) {
            /* "-fax" is a query word (NOT fax), not an option */
            a->words[a->nwords++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) { only_words = 1; continue; }
        if ((r = cli_opt_value(argc, argv, &i, "-i", &v)) || (r = cli_opt_value(argc, argv, &i, "--index", &v))) {
            if (r < 0) return cli_usage(cmd, "%s needs a folder", arg);
            a->index = v;
        } else if (strcmp(arg, "--json") == 0) {
            a->json = 1;
        } else if (allow_csv && strcmp(arg, "--csv") == 0) {
            a->csv = 1;
        } else if (allow_by && (r = cli_opt_value(argc, argv, &i, "--by", &v))) {
            if (r < 0) return cli_usage(cmd, "--by needs year, quarter or month");
            if (strcmp(v, "year") == 0) a->o.by = PK_BY_YEAR;
            else if (strcmp(v, "quarter") == 0) a->o.by = PK_BY_QUARTER;
            else if (strcmp(v, "month") == 0) a->o.by = PK_BY_MONTH;
            else return cli_usage(cmd, "--by: '%s' is not year, quarter or month", v);
        } else if ((r = cli_opt_value(argc, argv, &i, "--body", &v))) {
            if (r < 0) return cli_usage(cmd, "--body needs a text");
            a->o.body = v;
        } else if ((r = cli_opt_value(argc, argv, &i, "--from", &v))) {
            if (r < 0) return cli_usage(cmd, "--from needs a date");
            if ((r = parse_date_opt(cmd, "--from", v, &a->o.from, 0))) return r;
        } else if ((r = cli_opt_value(argc, argv, &i, "--to", &v))) {
            if (r < 0) return cli_usage(cmd, "--to needs a date");
            if ((r = parse_date_opt(cmd, "--to", v, &a->o.to, 1))) return r;
        } else if (allow_due && (r = cli_opt_value(argc, argv, &i, "--due-after", &v))) {
            if (r < 0) return cli_usage(cmd, "--due-after needs a date");
            if ((r = parse_date_opt(cmd, "--due-after", v, &a->o.due_after, 0))) return r;
        } else if ((r = cli_opt_value(argc, argv, &i, "-n", &v)) || (r = cli_opt_value(argc, argv, &i, "--limit", &v))) {
            char *end;
            long n = r > 0 ? strtol(v, &end, 10) : 0;
            if (r < 0 || *end || n <= 0 || n > 1000000) return cli_usage(cmd, "-n needs a positive number");
            a->o.limit = (size_t)n;
        } else {
            return cli_usage(cmd, "unknown option '%s'", arg);
        }
    }
    if (a->o.from != PK_NODATE && a->o.to != PK_NODATE && a->o.from > a->o.to)
        return cli_usage(cmd, "--from is after --to");
    return 0;
}

/* A query that does not parse: the message, the query and a caret under the column. */
static int check_query(const char *q)
{
    char *msg = NULL;
    size_t col = 0;
    if (pk_query_check(q, &msg, &col) == PK_OK) return 0;
    cli_errorf("query: %s", msg ? msg : "syntax error");
    fprintf(stderr, "  %s\n  ", q);
    for (size_t i = 1; i < col; i++) fputc(' ', stderr);
    fputs("^\n", stderr);
    pk_free(msg);
    return EXIT_USAGE;
}

static pk_index *open_index(const char *opt)
{
    const char *dir = cli_index_dir(opt);
    pk_index *ix = NULL;
    char *err = NULL;
    pk_status st = pk_index_open(dir, PK_OPEN_READ, &ix, &err);
    if (st != PK_OK) {
        cli_error(dir, err ? err : pk_strerror(st));
        pk_free(err);
        return NULL;
    }
    return ix;
}

static int fail_query(pk_index *ix, pk_status st)
{
    const char *m = pk_index_errmsg(ix);
    cli_error(m && *m ? m : "query", m && *m ? NULL : pk_strerror(st));
    pk_index_close(ix);
    return st == PK_ESYNTAX ? EXIT_USAGE : EXIT_FAIL;
}

/* Join the words into one query (search, decisions, followups take one query in several words). */
static char *join_words(const qargs *a)
{
    size_t n = 1;
    for (int i = 0; i < a->nwords; i++) n += strlen(a->words[i]) + 1;
    char *q = malloc(n);
    if (!q) return NULL;
    q[0] = 0;
    for (int i = 0; i < a->nwords; i++) {
        if (i) strcat(q, " ");
        strcat(q, a->words[i]);
    }
    return q;
}

int cmd_trend(int argc, char **argv)
{
    qargs a;
    int rc = parse_args(argc, argv, &a, 1, 1, 0);
    if (rc) { free(a.words); return rc; }
    if (a.nwords == 0) { free(a.words); return cli_usage("trend", "a query is needed"); }
    for (int i = 0; i < a.nwords; i++)
        if ((rc = check_query(a.words[i]))) { free(a.words); return rc; }
    pk_index *ix = open_index(a.index);
    if (!ix) { free(a.words); return EXIT_FAIL; }
    char *json = NULL;
    pk_status st = pk_trend_json(ix, a.words, (size_t)a.nwords, &a.o, &json);
    free(a.words);
    if (st != PK_OK) return fail_query(ix, st);
    if (a.json) render_json(stdout, json);
    else render_trend(stdout, json, a.csv, cli_stdout_tty());
    pk_free(json);
    pk_index_close(ix);
    return cli_finish(EXIT_OK);
}

int cmd_search(int argc, char **argv)
{
    qargs a;
    int rc = parse_args(argc, argv, &a, 0, 0, 0);
    if (rc) { free(a.words); return rc; }
    if (a.nwords == 0) { free(a.words); return cli_usage("search", "a query is needed"); }
    char *q = join_words(&a);
    free(a.words);
    if (!q) { cli_error("memory", "out of memory"); return EXIT_FAIL; }
    if ((rc = check_query(q))) { free(q); return rc; }
    pk_index *ix = open_index(a.index);
    if (!ix) { free(q); return EXIT_FAIL; }
    char *json = NULL;
    pk_status st = pk_search_json(ix, q, &a.o, &json);
    free(q);
    if (st != PK_OK) return fail_query(ix, st);
    if (a.json) render_json(stdout, json);
    else render_search(stdout, json, cli_stdout_tty());
    pk_free(json);
    pk_index_close(ix);
    return cli_finish(EXIT_OK);
}

static int passages(int argc, char **argv, int followups)
{
    qargs a;
    int rc = parse_args(argc, argv, &a, 0, 0, followups);
    if (rc) { free(a.words); return rc; }
    char *q = a.nwords ? join_words(&a) : NULL;
    free(a.words);
    if (a.nwords && !q) { cli_error("memory", "out of memory"); return EXIT_FAIL; }
    if (q && (rc = check_query(q))) { free(q); return rc; }
    pk_index *ix = open_index(a.index);
    if (!ix) { free(q); return EXIT_FAIL; }
    char *json = NULL;
    pk_status st = followups ? pk_followups_json(ix, q, &a.o, &json) : pk_decisions_json(ix, q, &a.o, &json);
    free(q);
    if (st != PK_OK) return fail_query(ix, st);
    if (a.json) render_json(stdout, json);
    else render_passages(stdout, json, followups ? "follow_ups" : "decisions", cli_stdout_tty());
    pk_free(json);
    pk_index_close(ix);
    return cli_finish(EXIT_OK);
}

int cmd_decisions(int argc, char **argv) { return passages(argc, argv, 0); }
int cmd_followups(int argc, char **argv) { return passages(argc, argv, 1); }

int cmd_show(int argc, char **argv)
{
    qargs a;
    int rc = parse_args(argc, argv, &a, 0, 0, 0);
    if (rc) { free(a.words); return rc; }
    if (a.nwords != 1) { free(a.words); return cli_usage("show", "one document (an id or a source path) is needed"); }
    const char *doc = a.words[0];
    free(a.words);
    pk_index *ix = open_index(a.index);
    if (!ix) return EXIT_FAIL;
    char *json = NULL;
    pk_status st = pk_show_json(ix, doc, &json);
    if (st != PK_OK) return fail_query(ix, st);
    if (a.json) render_json(stdout, json);
    else render_show(stdout, json, cli_stdout_tty());
    pk_free(json);
    pk_index_close(ix);
    return cli_finish(EXIT_OK);
}
