/* render.h — human views (tables, bars, snippets) and CSV of the library's query JSON. */
#ifndef PK_RENDER_H
#define PK_RENDER_H

#include <stdio.h>

/* Each takes the JSON text returned by the library.  Returns 0, or -1 when the JSON is not the
 * expected shape (a bug, reported by the caller). */
int render_trend(FILE *out, const char *json, int csv, int color);
int render_search(FILE *out, const char *json, int color);
int render_passages(FILE *out, const char *json, const char *listkey, int color);
int render_show(FILE *out, const char *json, int color);
int render_stats(FILE *out, const char *json);

/* Print JSON text as is, with a newline. */
void render_json(FILE *out, const char *json);

#endif
