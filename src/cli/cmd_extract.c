/* cmd_extract.c — `protokoll extract [--jsonl] [--rules PATH] PATH...`: the extraction record of each
 * document, indented JSON by default, one compact object per line with --jsonl. */
#include "cli.h"

#include <string.h>

int cmd_extract(int argc, char **argv)
{
    int jsonl = 0, npaths = 0, only_paths = 0;
    const char *rules = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_paths && strcmp(a, "--") == 0) { only_paths = 1; continue; }
        if (!only_paths && strcmp(a, "--jsonl") == 0) { jsonl = 1; continue; }
        if (!only_paths) {
            int r = cli_opt_value(argc, argv, &i, "--rules", &rules);
            if (r < 0) return cli_usage("extract", "--rules needs a file or folder");
            if (r > 0) continue;
        }
        if (!only_paths && a[0] == '-' && a[1] != 0) return cli_usage("extract", "unknown option '%s'", a);
        npaths++;
    }
    if (npaths == 0) return cli_usage("extract", "no PATH given (use - for stdin)");

    pk_extractor *x;
    pk_status st = pk_extractor_new(rules, &x);
    if (st != PK_OK) {
        cli_error("loading rules", pk_extractor_errmsg(NULL));
        return EXIT_FAIL;
    }
    pk_reader *r;
    if (pk_reader_new(&r) != PK_OK) {
        pk_extractor_free(x);
        cli_error("extract", pk_strerror(PK_ENOMEM));
        return EXIT_FAIL;
    }
    only_paths = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_paths && strcmp(a, "--") == 0) { only_paths = 1; continue; }
        if (!only_paths && strcmp(a, "--jsonl") == 0) continue;
        if (!only_paths && strcmp(a, "--rules") == 0) { i++; continue; }
        if (!only_paths && strncmp(a, "--rules=", 8) == 0) continue;
        if (pk_reader_add(r, a) != PK_OK) {
            cli_error("extract", pk_reader_errmsg(r));
            pk_reader_free(r);
            pk_extractor_free(x);
            return EXIT_FAIL;
        }
    }

    int skipped = 0;
    for (;;) {
        pk_doc *d;
        st = pk_reader_next(r, &d);
        if (st != PK_OK) {
            /* the file and the reason; the others go on */
            cli_errorf("%s", pk_reader_errmsg(r));
            skipped++;
            if (st == PK_ENOMEM) break;
            continue;
        }
        if (!d) break;
        char *json = NULL;
        st = pk_extract_json(x, d, &json);
        if (st != PK_OK) {
            cli_errorf("%s", pk_extractor_errmsg(x));
            skipped++;
        } else if (jsonl) {
            cli_puts(json);
        } else {
            char *pretty = NULL;
            if (pk_extract_pretty(json, &pretty) == PK_OK) cli_puts(pretty);
            else cli_puts(json);
            pk_free(pretty);
        }
        pk_free(json);
        pk_doc_free(d);
        if (ferror(stdout)) break;
    }
    pk_reader_free(r);
    pk_extractor_free(x);
    return cli_finish(skipped ? EXIT_FAIL : EXIT_OK);
}
