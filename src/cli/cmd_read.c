/* cmd_read.c — `protokoll read [--json] PATH...`: the canonical text (or JSON) of each document. */
#include "cli.h"

#include <string.h>
#include <sys/stat.h>

int cmd_read(int argc, char **argv)
{
    int json = 0, npaths = 0, only_dashdash = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_dashdash && strcmp(a, "--") == 0) { only_dashdash = 1; continue; }
        if (!only_dashdash && strcmp(a, "--json") == 0) { json = 1; continue; }
        if (!only_dashdash && a[0] == '-' && a[1] != 0) return cli_usage("read", "unknown option '%s'", a);
        npaths++;
    }
    if (npaths == 0) return cli_usage("read", "no PATH given (use - for stdin)");

    pk_reader *r;
    if (pk_reader_new(&r) != PK_OK) { cli_error("read", pk_strerror(PK_ENOMEM)); return EXIT_FAIL; }
    /* headers between documents unless the only input is one file */
    int headers = npaths > 1;
    only_dashdash = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_dashdash && strcmp(a, "--") == 0) { only_dashdash = 1; continue; }
        if (!only_dashdash && strcmp(a, "--json") == 0) continue;
        struct stat st;
        if (strcmp(a, "-") != 0 && stat(a, &st) == 0 && S_ISDIR(st.st_mode)) headers = 1;
        if (pk_reader_add(r, a) != PK_OK) {
            cli_error("read", pk_reader_errmsg(r));
            pk_reader_free(r);
            return EXIT_FAIL;
        }
    }

    int skipped = 0, first = 1;
    for (;;) {
        pk_doc *d;
        pk_status st = pk_reader_next(r, &d);
        if (st != PK_OK) {
            cli_errorf("%s", pk_reader_errmsg(r));
            skipped++;
            if (st == PK_ENOMEM) break;
            continue;
        }
        if (!d) break;
        if (json) {
            char *s;
            if (pk_doc_json(d, 1, &s) != PK_OK) {
                cli_errorf("%s: %s", d->path, pk_strerror(PK_ENOMEM));
                skipped++;
            } else {
                cli_puts(s);
                pk_free(s);
            }
        } else {
            if (headers) printf("%s==> %s <==\n", first ? "" : "\n", d->path);
            fwrite(d->text, 1, d->len, stdout);
        }
        first = 0;
        pk_doc_free(d);
        if (ferror(stdout)) break;
    }
    pk_reader_free(r);
    return cli_finish(skipped ? EXIT_FAIL : EXIT_OK);
}
