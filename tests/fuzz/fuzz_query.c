/* fuzz_query.c — the query parser and compiler over arbitrary text.
 *
 * A query that parses must print back as a query that parses to the same text (the printer and the
 * parser agree); compiling it against a small vocabulary must succeed or fail cleanly; evaluating
 * it over made-up position lists must not read out of bounds.  Errors must carry a column inside
 * the query. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protokoll.h"
#include "query.h"
#include "query_eval.h"
#include "util.h"

static const char *const forms[][2] = {
    {"budget", "budget"}, {"budgeten", "budget"}, {"elektrifiering", "elektrifiering"},
    {"elektrifieringen", "elektrifiering"}, {"konferens", "konfer"}, {"konferensen", "konferens"},
    {"konferenser", "konferens"}, {"södertörn", "södertörn"}, {"tvärförbindelse", "tvärförbind"},
};
static const char *const terms[] = {"budget", "elektrifiering", "konfer", "konferens", "södertörn", "tvärförbind"};

static int v_forms(void *ud, const char *p, size_t n, q_form_fn cb, void *cbud)
{
    (void)ud;
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
        if (strlen(forms[i][0]) >= n && memcmp(forms[i][0], p, n) == 0 &&
            cb(cbud, forms[i][0], strlen(forms[i][0]), forms[i][1], strlen(forms[i][1])))
            break;
    return 0;
}

static int v_terms(void *ud, q_termkind k, const char *p, size_t n, q_term_fn cb, void *cbud)
{
    (void)ud; (void)k;
    for (size_t i = 0; i < sizeof terms / sizeof terms[0]; i++)
        if (strlen(terms[i]) >= n && memcmp(terms[i], p, n) == 0 && cb(cbud, terms[i], strlen(terms[i])))
            break;
    return 0;
}

static pk_analyzer *held;

static void release(void) { pk_analyzer_free(held); held = NULL; }   /* no leak report at exit */

static pk_analyzer *analyzer(void)
{
    if (!held) {
        if (pk_analyzer_new(NULL, &held) != PK_OK) abort();
        atexit(release);
    }
    return held;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *q = malloc(size + 1);
    if (!q) return 0;
    memcpy(q, data, size);
    q[size] = 0;
    size_t n = strlen(q);   /* the CLI hands NUL-terminated arguments */
    q_node *root;
    char msg[300];
    size_t col;
    pk_status st = query_parse(q, n, &root, msg, sizeof msg, &col);
    if (st == PK_ESYNTAX) {
        if (col < 1 || col > n + 1) abort();
    } else if (st == PK_OK) {
        char *s = query_to_string(root);
        if (!s) abort();
        q_node *again;
        if (query_parse(s, strlen(s), &again, msg, sizeof msg, &col) != PK_OK) abort();
        char *s2 = query_to_string(again);
        if (!s2 || strcmp(s, s2) != 0) abort();
        pk_free(s2);
        pk_free(s);
        query_free(again);
        query_free(root);
        q_vocab v = {NULL, v_forms, v_terms};
        q_compiled *qc;
        if (qc_compile(q, analyzer(), &v, &qc, msg, sizeof msg) == PK_OK) {
            q_posvec *lists = calloc(qc->nleaves + 1, sizeof *lists);
            if (!lists) abort();
            for (size_t i = 0; i < qc->nleaves; i++)
                for (uint32_t p = 0; p < (uint32_t)(size % 5); p++) q_posvec_push(&lists[i], p * 3 + (uint32_t)i);
            uint64_t hits;
            qc_eval_doc(qc, lists, &hits);
            qc_match_text(qc, analyzer(), q, n, lists, NULL);
            for (size_t i = 0; i < qc->nleaves; i++) q_posvec_free(&lists[i]);
            free(lists);
            qc_free(qc);
        }
    } else if (st != PK_ENOMEM) {
        abort();
    }
    free(q);
    return 0;
}
