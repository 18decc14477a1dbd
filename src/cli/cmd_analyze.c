/* cmd_analyze.c — `protokoll analyze [--json] TEXT|-`: the tokens of a text with offsets, norms,
 * stems, stopword flags and compound parts, so that a user can see why a query matched.  TEXT is
 * analysed as given (the arguments joined by spaces); "-" reads a document from stdin through
 * the reader (encodings repaired, NFC, markup reduced), so offsets are into the reader's text. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct row_ctx {
    const char *text;
    int         failed;
} row_ctx;

/* Print s[0..n) and pad to width columns (counting UTF-8 characters). */
static void cell(const char *s, size_t n, int width)
{
    int cols = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n' || c == '\t' || c == '\r') { fputc(' ', stdout); cols++; continue; }
        fputc(c, stdout);
        if ((c & 0xC0) != 0x80) cols++;
    }
    for (; cols < width; cols++) fputc(' ', stdout);
    fputc(' ', stdout);
}

static const char *type_name(uint32_t flags)
{
    if (flags & PK_TOK_WORD) return "word";
    if (flags & PK_TOK_NUMBER) return "number";
    if (flags & PK_TOK_DATE) return "date";
    if (flags & PK_TOK_TIME) return "time";
    if (flags & PK_TOK_SECTION) return "section";
    return "?";
}

static int row(void *ud, const pk_token *t)
{
    row_ctx *c = ud;
    char num[32];
    snprintf(num, sizeof num, "%u", t->pos);
    cell(num, strlen(num), 4);
    snprintf(num, sizeof num, "%u-%u", t->start, t->end);
    cell(num, strlen(num), 11);
    cell(type_name(t->flags), strlen(type_name(t->flags)), 7);
    cell(c->text + t->start, t->end - t->start, 24);
    cell(t->norm, t->norm_len, 24);
    cell(t->stem, t->stem_len, 20);
    const char *stop = (t->flags & PK_TOK_STOP) ? "stop" : (t->flags & PK_TOK_CAPPED) ? "capped" : "";
    if (t->nparts) cell(stop, strlen(stop), 4);
    else fputs(stop, stdout);
    for (uint32_t i = 0; i < t->nparts; i++) {
        if (i) fputc('+', stdout);
        fwrite(t->parts[i].text, 1, t->parts[i].text_len, stdout);
    }
    if (t->nparts) {
        fputs("  (", stdout);
        for (uint32_t i = 0; i < t->nparts; i++) {
            if (i) fputc('+', stdout);
            fwrite(t->parts[i].stem, 1, t->parts[i].stem_len, stdout);
        }
        fputc(')', stdout);
    }
    fputc('\n', stdout);
    if (ferror(stdout)) { c->failed = 1; return 1; }
    return 0;
}

static char *read_stdin(size_t *n)
{
    size_t cap = 1 << 16, len = 0;
    char *b = malloc(cap);
    if (!b) return NULL;
    for (;;) {
        if (len == cap) {
            if (cap > ((size_t)1 << 40)) { free(b); errno = EFBIG; return NULL; }
            char *nb = realloc(b, cap * 2);
            if (!nb) { free(b); return NULL; }
            b = nb;
            cap *= 2;
        }
        size_t r = fread(b + len, 1, cap - len, stdin);
        len += r;
        if (r == 0) break;
    }
    if (ferror(stdin)) { free(b); return NULL; }
    *n = len;
    return b;
}

int cmd_analyze(int argc, char **argv)
{
    int json = 0;
    pk_analyzer_opts opts;
    memset(&opts, 0, sizeof opts);
    const char *args[256];
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (strcmp(argv[i], "--json") == 0) { json = 1; continue; }
        if (strcmp(argv[i], "--no-compounds") == 0) { opts.no_compounds = 1; continue; }
        if ((r = cli_opt_value(argc, argv, &i, "--stopwords", &v)) != 0) {
            if (r < 0) return cli_usage("analyze", "--stopwords needs a file");
            opts.stopwords_path = v;
            continue;
        }
        if ((r = cli_opt_value(argc, argv, &i, "--lexicon", &v)) != 0) {
            if (r < 0) return cli_usage("analyze", "--lexicon needs a file");
            opts.lexicon_path = v;
            continue;
        }
        if (strcmp(argv[i], "--") == 0) {
            for (i++; i < argc && nargs < 256; i++) args[nargs++] = argv[i];
            break;
        }
        if (argv[i][0] == '-' && argv[i][1] != 0) return cli_usage("analyze", "unknown option '%s'", argv[i]);
        if (nargs == 256) return cli_usage("analyze", "too many arguments");
        args[nargs++] = argv[i];
    }
    if (nargs == 0) return cli_usage("analyze", "give a TEXT to analyze, or - for stdin");

    char *text = NULL;
    size_t len = 0;
    if (nargs == 1 && strcmp(args[0], "-") == 0) {
        /* stdin is a document: decoded and normalised by the reader, as the indexer sees it */
        size_t raw_len = 0;
        char *raw = read_stdin(&raw_len);
        if (!raw) {
            cli_error("reading stdin", strerror(errno ? errno : EIO));
            return EXIT_FAIL;
        }
        pk_doc *doc = NULL;
        char *err = NULL;
        pk_status st = pk_doc_from_memory("-", (const uint8_t *)raw, raw_len, &doc, &err);
        free(raw);
        if (st != PK_OK) {
            cli_error("stdin", err ? err : pk_strerror(st));
            pk_free(err);
            return EXIT_FAIL;
        }
        len = doc->len;
        text = malloc(len + 1);
        if (text) memcpy(text, doc->text, len + 1);
        pk_doc_free(doc);
        if (!text) { cli_error("analyze", strerror(ENOMEM)); return EXIT_FAIL; }
    } else {
        for (int i = 0; i < nargs; i++) len += strlen(args[i]) + 1;
        text = malloc(len + 1);
        if (!text) { cli_error("analyze", strerror(ENOMEM)); return EXIT_FAIL; }
        len = 0;
        for (int i = 0; i < nargs; i++) {
            if (i) text[len++] = ' ';
            size_t l = strlen(args[i]);
            memcpy(text + len, args[i], l);
            len += l;
        }
        text[len] = 0;
    }

    pk_analyzer *a = NULL;
    char *err = NULL;
    pk_status st = pk_analyzer_create(&opts, &a, &err);
    if (st != PK_OK) {
        cli_error("analyzer", err ? err : pk_strerror(st));
        pk_free(err);
        free(text);
        return EXIT_FAIL;
    }
    int code = EXIT_OK;
    if (json) {
        char *out = NULL;
        st = pk_analyze_json(a, text, len, &out);
        if (st == PK_OK) cli_puts(out);
        else { cli_error("analyze", pk_analyzer_errmsg(a)[0] ? pk_analyzer_errmsg(a) : pk_strerror(st)); code = EXIT_FAIL; }
        pk_free(out);
    } else {
        printf("%-4s %-11s %-7s %-24s %-24s %-20s %-4s %s\n", "pos", "bytes", "type", "text", "norm",
               "stem", "stop", "parts  (part stems)");
        row_ctx c = {text, 0};
        st = pk_analyze(a, text, len, row, &c);
        if (st != PK_OK) {
            cli_error("analyze", pk_analyzer_errmsg(a)[0] ? pk_analyzer_errmsg(a) : pk_strerror(st));
            code = EXIT_FAIL;
        }
    }
    pk_analyzer_free(a);
    free(text);
    return cli_finish(code);
}
