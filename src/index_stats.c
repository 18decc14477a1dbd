/* index_stats.c — statistics of an index as the stats --json object (DESIGN.md) plus periods,
 * bodies, sizes relative to the raw text and bits per posting. */
#include <stdio.h>
#include "index_int.h"
#include "ixread.h"
#include "json.h"

/* Distinct keys over all segments (a k-way merge of the dictionaries). */
static pk_status count_terms(pk_index *ix, uint64_t *words, uint64_t *parts)
{
    *words = *parts = 0;
    size_t n = ix->man.nsegs;
    if (n == 1) {
        const seg_info *in = segr_info(ix->segs[0]);
        *parts = in->nparts;
        *words = in->nterms - in->nparts;
        return PK_OK;
    }
    seg_titer *it = pk_calloc(n ? n : 1, sizeof *it);
    int *have = pk_calloc(n ? n : 1, sizeof *have);
    pk_status st = PK_OK;
    if (!it || !have) { st = PK_ENOMEM; goto done; }
    for (size_t i = 0; i < n; i++) {
        if ((st = segr_terms_from(ix->segs[i], NULL, 0, &it[i]))) { ixr_seg_error(ix, i, st); goto done; }
        int r = segr_terms_next(&it[i]);
        if (r < 0) { st = ixr_seg_error(ix, i, it[i].err); goto done; }
        have[i] = r;
    }
    for (;;) {
        size_t m = n;
        for (size_t i = 0; i < n; i++) {
            if (!have[i]) continue;
            if (m == n) { m = i; continue; }
            uint32_t a = it[i].t.key_len, b = it[m].t.key_len, k = a < b ? a : b;
            int c = memcmp(it[i].t.key, it[m].t.key, k);
            if (c < 0 || (c == 0 && a < b)) m = i;
        }
        if (m == n) break;
        uint8_t key[256];
        uint32_t kn = it[m].t.key_len;
        memcpy(key, it[m].t.key, kn);
        if (key[0] == IX_PART_MARK) (*parts)++; else (*words)++;
        for (size_t i = m; i < n; i++) {
            if (!have[i] || it[i].t.key_len != kn || memcmp(it[i].t.key, key, kn)) continue;
            int r = segr_terms_next(&it[i]);
            if (r < 0) { st = ixr_seg_error(ix, i, it[i].err); goto done; }
            have[i] = r;
        }
    }
done:
    if (st == PK_ENOMEM) msg_set(&ix->msg, "out of memory");
    pk_free(it);
    pk_free(have);
    return st;
}

typedef struct bodycount { char *body; uint64_t docs; } bodycount;

static int cmp_body(const void *a, const void *b)
{
    const bodycount *x = a, *y = b;
    if (x->docs != y->docs) return x->docs > y->docs ? -1 : 1;
    return strcmp(x->body, y->body);
}

/* Add the size of dir/name to *total; -1 when out of memory. */
static double pct(uint64_t a, uint64_t b) { return b ? 100.0 * (double)a / (double)b : 0.0; }
static double round2(double x) { return (double)(long long)(x * 100.0 + 0.5) / 100.0; }

pk_status pk_index_stats_json(pk_index *ix, char **json)
{
    *json = NULL;
    unsigned long jf = util_json_failures();
    uint64_t docs = 0, deleted = 0, text = 0, raw = 0, tokens = 0, postings = 0, positions = 0;
    uint64_t b_dict = 0, b_post = 0, b_pos = 0, b_docs = 0, b_stored = 0, total = 0;
    int32_t first = PK_NODATE, last = PK_NODATE;
    bodycount *bodies = NULL;
    size_t nb = 0, capb = 0;
    pk_status st = PK_OK;
    json_t *o = NULL;
    for (size_t i = 0; i < ix->man.nsegs && !st; i++) {
        segr *s = ix->segs[i];
        const seg_info *in = segr_info(s);
        docs += in->ndocs;
        deleted += segr_ndeleted(s);
        text += in->text_bytes;
        raw += in->raw_bytes;
        tokens += in->ntokens;
        postings += in->npostings;
        positions += in->npositions;
        b_dict += in->b_dict;
        b_post += in->b_post;
        b_pos += in->b_pos;
        b_docs += in->b_docs;
        b_stored += in->b_stored;
        total += in->ix_size + in->pos_size + in->sto_size;
        /* sizes of the files this generation names, as opened: a writer may have replaced them
         * on disk since */
        total += segr_del_size(s);
        /* live documents: dates, bodies, and what deleted ones take away */
        for (uint32_t d = 0; d < in->ndocs; d++) {
            seg_doc sd;
            if ((st = segr_doc(s, d, &sd))) { ixr_seg_error(ix, i, st); break; }
            if (segr_deleted(s, d)) {
                text -= sd.text_len;
                raw -= sd.raw_len;
                tokens -= sd.ntokens;
                continue;
            }
            if (sd.date != PK_NODATE) {
                if (first == PK_NODATE || sd.date < first) first = sd.date;
                if (last == PK_NODATE || sd.date > last) last = sd.date;
            }
            const char *body = sd.body ? sd.body : "";
            size_t k;
            for (k = 0; k < nb && strcmp(bodies[k].body, body) != 0; k++) {}
            if (k == nb) {
                if (nb == capb) {
                    capb = capb ? capb * 2 : 16;
                    bodycount *nbp = pk_reallocarray(bodies, capb, sizeof *nbp);
                    if (!nbp) { st = PK_ENOMEM; break; }
                    bodies = nbp;
                }
                bodies[nb].body = pk_strdup(body);
                bodies[nb].docs = 0;
                if (!bodies[nb].body) { st = PK_ENOMEM; break; }
                nb++;
            }
            bodies[k].docs++;
        }
    }
    if (!st) {
        char *mt = manifest_text(&ix->man);   /* the bytes of this generation's manifest */
        if (mt) total += strlen(mt);
        else st = PK_ENOMEM;
        pk_free(mt);
    }
    uint64_t words = 0, parts = 0;
    if (!st) st = count_terms(ix, &words, &parts);
    ixr_period *per = NULL;
    size_t nper = 0;
    if (!st) st = ixr_periods(ix, PK_BY_YEAR, &per, &nper);
    if (st) goto done;
    if (nb) qsort(bodies, nb, sizeof *bodies, cmp_body);

    o = json_object();
    json_t *bytes = json_object(), *jper = json_array(), *jb = json_array(), *rel = json_object();
    if (!o || !bytes || !jper || !jb || !rel) {
        json_decref(bytes); json_decref(jper); json_decref(jb); json_decref(rel);
        st = PK_ENOMEM;
        goto done;
    }
    uint64_t live = docs - deleted;
    json_set_int(o, "documents", (long long)live);
    json_set_int(o, "text_bytes", (long long)text);
    json_set_int(o, "terms", (long long)(words + parts));
    json_set_int(o, "segments", (long long)ix->man.nsegs);
    json_set_date(o, "first_date", first);
    json_set_date(o, "last_date", last);
    json_set_int(bytes, "dictionary", (long long)b_dict);
    json_set_int(bytes, "postings", (long long)b_post);
    json_set_int(bytes, "positions", (long long)b_pos);
    json_set_int(bytes, "documents", (long long)b_docs);
    json_set_int(bytes, "stored", (long long)b_stored);
    json_set_int(bytes, "total", (long long)total);
    json_object_set_new(o, "bytes", bytes);
    json_set_int(o, "word_terms", (long long)words);
    json_set_int(o, "part_terms", (long long)parts);
    json_set_int(o, "raw_bytes", (long long)raw);
    json_set_int(o, "tokens", (long long)tokens);
    json_set_int(o, "deleted_documents", (long long)deleted);
    json_set_int(o, "postings", (long long)postings);
    json_set_int(o, "positions", (long long)positions);
    json_set_real(o, "bits_per_posting", round2(postings ? 8.0 * (double)b_post / (double)postings : 0));
    json_set_real(o, "bits_per_position", round2(positions ? 8.0 * (double)b_pos / (double)positions : 0));
    uint64_t index_part = b_dict + b_post + b_pos + b_docs;
    json_set_real(rel, "index", round2(pct(index_part, raw)));
    json_set_real(rel, "stored", round2(pct(b_stored, raw)));
    json_set_real(rel, "total", round2(pct(total, raw)));
    json_object_set_new(o, "percent_of_raw", rel);
    for (size_t i = 0; i < nper; i++) {
        json_t *p = json_object();
        char lab[24];
        ixr_period_label(PK_BY_YEAR, per[i].key, lab);
        json_set_str(p, "period", lab);
        json_set_int(p, "docs", per[i].docs);
        json_set_int(p, "tokens", (long long)per[i].tokens);
        json_array_append_new(jper, p);
    }
    json_object_set_new(o, "periods", jper);
    for (size_t i = 0; i < nb; i++) {
        json_t *b = json_object();
        json_set_str(b, "body", bodies[i].body[0] ? bodies[i].body : NULL);
        json_set_int(b, "docs", (long long)bodies[i].docs);
        json_array_append_new(jb, b);
    }
    json_object_set_new(o, "bodies", jb);
    json_set_int(o, "generation", (long long)ix->man.generation);
    json_set_str(o, "analyzer", ix->man.identity);
    if (util_json_failures() != jf) { st = PK_ENOMEM; goto done; }   /* a setter lost its value */
    *json = json_dump_compact(o);
    if (!*json) st = PK_ENOMEM;
done:
    if (st == PK_ENOMEM) msg_set(&ix->msg, "out of memory");
    json_decref(o);
    pk_free(per);
    for (size_t i = 0; i < nb; i++) pk_free(bodies[i].body);
    pk_free(bodies);
    return st;
}
