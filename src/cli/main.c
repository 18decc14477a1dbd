/* main.c — the protokoll command: dispatch to one command per file, exit 0 ok, 1 failure, 2 usage. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmd_version(int argc, char **argv)
{
    (void)argc; (void)argv;
    printf("protokoll %s\n", PK_VERSION);
    return cli_finish(EXIT_OK);
}

static const struct command {
    const char *name;
    int (*fn)(int, char **);
    const char *usage;
    const char *help;
} commands[] = {
    {"version",   cmd_version,   "version", "print the version"},
    {"read",      cmd_read,      "read [--json] PATH...", "print documents as the reader sees them (canonical text)"},
    {"analyze",   cmd_analyze,   "analyze [--json] [--no-compounds] [--stopwords F] [--lexicon F] TEXT|-", "show tokens, stems, stopwords and compound parts"},
    {"extract",   cmd_extract,   "extract [--jsonl] [--rules PATH] PATH...", "meetings, participants, agenda, decisions, follow-ups as JSON"},
    {"index",     cmd_index,     "index [-i DIR] [--mem MB] [--jobs N] [--delete PATH] PATH...", "add files, folders, .gz or - to the index"},
    {"trend",     cmd_trend,     "trend [-i DIR] [--by year|quarter|month] [--body TEXT] [--from DATE] [--to DATE] [--json|--csv] QUERY...", "matching meetings and occurrences per period, per query"},
    {"search",    cmd_search,    "search [-i DIR] [-n N] [--json] QUERY", "meetings ranked by BM25, with snippets"},
    {"decisions", cmd_decisions, "decisions [-i DIR] [--json] [-n N] [QUERY]", "extracted decisions that match, newest first"},
    {"followups", cmd_followups, "followups [-i DIR] [--json] [--due-after DATE] [QUERY]", "extracted follow-ups that match, newest first"},
    {"show",      cmd_show,      "show [-i DIR] [--json] DOC", "one meeting's record and text (DOC: id or source path)"},
    {"stats",     cmd_stats,     "stats [-i DIR] [--json]", "documents, periods, bodies, terms, sizes of the index"},
    {"verify",    cmd_verify,    "verify [-i DIR]", "check every checksum, length and ordering of the index"},
    {"merge",     cmd_merge,     "merge [-i DIR] [SHARD_DIR...]", "fold shard indexes in (none: merge the index's segments)"},
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: protokoll COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-46s %s\n", commands[i].usage, commands[i].help);
    fprintf(f, "\nThe index is -i DIR, else $PROTOKOLL_INDEX, else ./protokoll.idx.\n"
               "Exit status: 0 ok, 1 failure, 2 usage error.\n");
}

void cli_error(const char *what, const char *why)
{
    fflush(stdout);
    if (why && *why) fprintf(stderr, "protokoll: error: %s: %s\n", what, why);
    else fprintf(stderr, "protokoll: error: %s\n", what);
}

void cli_errorf(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("protokoll: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("protokoll: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    const struct command *c = cmd ? find_command(cmd) : NULL;
    if (c) fprintf(stderr, "usage: protokoll %s\n", c->usage);
    return EXIT_USAGE;
}

const char *cli_index_dir(const char *opt)
{
    if (opt && *opt) return opt;
    const char *e = getenv("PROTOKOLL_INDEX");
    if (e && *e) return e;
    return "protokoll.idx";
}

void cli_puts(const char *s)
{
    fputs(s, stdout);
    fputc('\n', stdout);
}

int cli_finish(int code)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        if (e != EPIPE) cli_error("writing output", strerror(e));
        return EXIT_FAIL;
    }
    if (fclose(stdout) != 0) {
        if (errno != EPIPE) cli_error("writing output", strerror(errno));
        return EXIT_FAIL;
    }
    return code;
}

int cli_opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return 0;
    if (a[n] == '=' && name[0] == '-' && name[1] == '-') { *val = a + n + 1; return 1; }
    if (a[n] != 0) return 0;
    if (*i + 1 >= argc) return -1;
    *val = argv[++*i];
    return 1;
}

int cli_stdout_tty(void) { return isatty(1); }
int cli_stderr_tty(void) { return isatty(2); }

int main(int argc, char **argv)
{
    if (argc < 2) { usage(stderr); return EXIT_USAGE; }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return cli_finish(EXIT_OK);
    }
    if (strcmp(name, "--version") == 0) name = "version";
    const struct command *c = find_command(name);
    if (!c) {
        cli_errorf("unknown command '%s'", name);
        usage(stderr);
        return EXIT_USAGE;
    }
    return c->fn(argc - 1, argv + 1);
}
