/* verify.c — a full check of an index: the manifest, then every segment file's pages, lengths,
 * orderings, postings and stored blocks. */
#include <stdio.h>
#include "index_int.h"

pk_status pk_index_verify(const char *dir, char **report)
{
    if (report) *report = NULL;
    pk_index *ix = NULL;
    char *err = NULL;
    pk_status st = pk_index_open(dir, PK_OPEN_READ, &ix, &err);
    if (st) {
        if (report) *report = err; else pk_free(err);
        return st;
    }
    uint64_t docs = 0, deleted = 0, terms = 0, bytes = 0;
    for (size_t i = 0; i < ix->man.nsegs && !st; i++) {
        segr *s = ix->segs[i];
        st = segr_verify(s);
        if (st) {
            ix->msg = *segr_msg(s);
            break;
        }
        const seg_info *in = segr_info(s);
        docs += in->ndocs;
        deleted += segr_ndeleted(s);
        terms += in->nterms;
        bytes += in->ix_size + in->pos_size + in->sto_size;
    }
    if (report) {
        if (st) *report = pk_strdup(ix->msg.text);
        else
            *report = pk_sprintf("%s: sound: generation %llu, %zu segment%s, %llu document%s (%llu deleted), "
                                 "%llu segment terms, %llu bytes checked",
                                 ix->dir, (unsigned long long)ix->man.generation, ix->man.nsegs,
                                 ix->man.nsegs == 1 ? "" : "s", (unsigned long long)(docs - deleted),
                                 docs - deleted == 1 ? "" : "s", (unsigned long long)deleted,
                                 (unsigned long long)terms, (unsigned long long)bytes);
    }
    pk_index_close(ix);
    return st;
}
