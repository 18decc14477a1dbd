/* fuzz_analyzer.c — analyze arbitrary bytes: offsets in range and increasing, positions dense,
 * norms non-empty and at most PK_MAX_TOKEN bytes, compound parts non-empty, pieces of the norm,
 * and pk_analyze_word agreeing with the token's form.  The analyzer (and its compound lexicon) is
 * made once per process. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protokoll.h"

static pk_analyzer *an;

static void release(void) { pk_analyzer_free(an); an = NULL; }   /* no leak report at exit */

typedef struct state {
    size_t   len;
    uint32_t last_end, next_pos;
    const char *text;
} state;

static int check(void *ud, const pk_token *t)
{
    state *s = ud;
    if (t->start >= t->end || t->end > s->len || t->start < s->last_end) abort();
    if (t->pos != s->next_pos) abort();
    if (t->norm_len == 0 || t->norm_len > PK_MAX_TOKEN || strlen(t->norm) != t->norm_len) abort();
    if (!t->stem || strlen(t->stem) != t->stem_len) abort();
    if (t->form_id >= pk_analyzer_forms(an)) abort();
    uint32_t kinds = t->flags & PK_TOK_KINDS;
    if (kinds == 0 || (kinds & (kinds - 1)) != 0) abort();
    if (t->nparts == 1 || t->nparts > PK_MAX_PARTS) abort();
    for (uint32_t i = 0; i < t->nparts; i++) {
        const pk_part *p = &t->parts[i];
        if (p->text_len == 0 || strlen(p->text) != p->text_len) abort();
        if (p->stem_len == 0 || strlen(p->stem) != p->stem_len) abort();
        if (!memmem(t->norm, t->norm_len, p->text, p->text_len)) abort();
    }
    /* the word alone analyses to the same form */
    pk_token w;
    if (pk_analyze_word(an, s->text + t->start, t->end - t->start, &w) != PK_OK) abort();
    if (w.form_id != t->form_id && (t->flags & PK_TOK_WORD) && !(t->flags & PK_TOK_CAPPED)) {
        /* a token read in context (a time after "kl") may differ; words never do */
        abort();
    }
    s->last_end = t->end;
    s->next_pos++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!an) {
        if (pk_analyzer_new(NULL, &an) != PK_OK) abort();
        atexit(release);
    }
    state s = {size, 0, 0, (const char *)data};
    if (pk_analyze(an, (const char *)data, size, check, &s) != PK_OK) abort();
    char *json = NULL;
    if (size < 4096) {
        if (pk_analyze_json(an, (const char *)data, size, &json) != PK_OK || !json) abort();
        pk_free(json);
    }
    if (pk_analyzer_forms(an) > 200000) pk_analyzer_reset(an);
    return 0;
}
