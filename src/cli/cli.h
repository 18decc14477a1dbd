/* cli.h — shared pieces of the command-line tool: commands, errors, output, option parsing. */
#ifndef PK_CLI_H
#define PK_CLI_H

#include <stdio.h>
#include "protokoll.h"

/* Exit codes by class. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Each command: argv[0] is the command name. Returns the exit code. */
int cmd_read(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_trend(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_decisions(int argc, char **argv);
int cmd_followups(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_merge(int argc, char **argv);

/* "protokoll: error: <what>: <why>" on stderr. */
void cli_error(const char *what, const char *why);
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage error: message and the command's usage line; returns EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Index folder: -i DIR, else $PROTOKOLL_INDEX, else ./protokoll.idx. */
const char *cli_index_dir(const char *opt);

/* Write s and a newline to stdout. */
void cli_puts(const char *s);

/* Flush and close stdout, reporting a failed write (full disk, closed pipe). Returns exit code. */
int cli_finish(int code);

/* Option helpers: returns 1 when argv[*i] is `name` and takes a value (stored in *val,
 * *i advanced); accepts "--name=value" too.  A missing value is a usage error (returns -1). */
int cli_opt_value(int argc, char **argv, int *i, const char *name, const char **val);

/* Is stdout/stderr a terminal? */
int cli_stdout_tty(void);
int cli_stderr_tty(void);

#endif
