/* ixtest.h — helpers for index tests: analyzed documents built directly (no analyzer needed), a
 * model of what an index must contain, and a canonical text dump of an index for comparisons. */
#ifndef PK_IXTEST_H
#define PK_IXTEST_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "index_int.h"
#include "ixdoc.h"
#include "ixread.h"
#include "protokoll.h"
#include "util.h"

#define T_IDENTITY "test-analyzer/1 stop:00000000 lex:00000000"

static uint64_t t_rng = 88172645463325252ULL;
static inline uint32_t t_rand(void)
{
    t_rng ^= t_rng << 13; t_rng ^= t_rng >> 7; t_rng ^= t_rng << 17;
    return (uint32_t)(t_rng >> 11);
}

/* A made-up stem: the word without a final "en", "er", "na" or "ar" (only to build test data). */
static inline size_t t_stem(const char *w, size_t n)
{
    if (n > 4) {
        const char *e = w + n - 2;
        if (!memcmp(e, "en", 2) || !memcmp(e, "er", 2) || !memcmp(e, "na", 2) || !memcmp(e, "ar", 2)) return n - 2;
    }
    return n;
}

/* Build an analyzed document from space-separated words.  Words in UPPER-case-free form; a word
 * with '+' is a compound: its parts ("elektrifiering+frågan") are posted as part terms at the
 * word's position and the word itself (without '+') as a whole term.  "-" is a stopword slot. */
static inline ixdoc *t_doc(ixdoc_builder *b, const char *path, int32_t date, const char *body, const char *text)
{
    ixdoc *d = pk_calloc(1, sizeof *d);
    d->path = pk_strdup(path);
    d->date = date;
    d->body = body ? pk_strdup(body) : NULL;
    d->text = pk_strdup(text);
    d->text_len = strlen(text);
    d->record = pk_sprintf("{\"source\":\"%s\",\"n\":%zu}", path, strlen(text));
    d->record_len = strlen(d->record);
    d->raw_len = d->text_len + 3;
    d->hash = pk_hash64(text, strlen(text));
    ixdoc_begin(b);
    uint32_t pos = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\n') p++;
        if (!*p) break;
        const char *s = p;
        while (*p && *p != ' ' && *p != '\n') p++;
        size_t n = (size_t)(p - s);
        if (!(n == 1 && *s == '-')) {
            char whole[256];
            size_t wn = 0;
            const char *q = s;
            int compound = 0;
            for (size_t i = 0; i < n && wn < 255; i++) {
                if (s[i] == '+') {
                    compound = 1;
                    size_t pn = (size_t)(s + i - q);
                    ixdoc_term(b, IX_PART, q, t_stem(q, pn), pos);
                    ixdoc_form(b, q, pn, q, t_stem(q, pn), IX_FORM_PART);
                    q = s + i + 1;
                    continue;
                }
                whole[wn++] = s[i];
            }
            if (compound) {
                size_t pn = (size_t)(s + n - q);
                ixdoc_term(b, IX_PART, q, t_stem(q, pn), pos);
                ixdoc_form(b, q, pn, q, t_stem(q, pn), IX_FORM_PART);
            }
            size_t sn = t_stem(whole, wn);
            ixdoc_term(b, IX_WORD, whole, sn, pos);
            ixdoc_form(b, whole, wn, whole, sn, IX_FORM_WORD);
        }
        pos++;
    }
    d->ntokens = pos;
    if (ixdoc_finish(b, d) != PK_OK) { ixdoc_free(d); return NULL; }
    return d;
}

/* Random text over a Zipf-like vocabulary, with compounds and stopword slots. */
static const char *t_syl[] = {"ka", "la", "mo", "ne", "ri", "sto", "var", "el", "for", "tra", "bi", "sund", "hem", "gr"};
static inline void t_word(char *out, size_t cap, uint32_t r)
{
    size_t n = 0;
    uint32_t k = 2 + r % 3;
    for (uint32_t i = 0; i < k && n + 4 < cap; i++) {
        const char *s = t_syl[(r / (i + 1) + i * 7) % (sizeof t_syl / sizeof t_syl[0])];
        size_t l = strlen(s);
        memcpy(out + n, s, l);
        n += l;
    }
    static const char *suf[] = {"", "", "en", "er", "na", ""};
    const char *sf = suf[(r >> 8) % 6];
    size_t sl = strlen(sf);
    if (n + sl < cap) { memcpy(out + n, sf, sl); n += sl; }
    out[n] = 0;
}

static inline char *t_text(size_t nwords)
{
    pk_buf b;
    buf_init(&b);
    for (size_t i = 0; i < nwords; i++) {
        uint32_t r = t_rand();
        if (r % 5 == 0) { buf_puts(&b, "- "); continue; }
        uint32_t rank = (uint32_t)(1.0 + 2000.0 / (1.0 + (double)(t_rand() % 4000)));   /* skewed */
        rank = rank * 37 + (t_rand() % 3 == 0 ? t_rand() % 5000 : 0);
        char w[64];
        t_word(w, sizeof w, rank);
        buf_puts(&b, w);
        if (r % 11 == 0) {
            char w2[64];
            t_word(w2, sizeof w2, rank * 13 + 5);
            buf_putc(&b, '+');
            buf_puts(&b, w2);
        }
        buf_putc(&b, i % 17 == 16 ? '\n' : ' ');
    }
    return buf_detach(&b);
}

static inline void t_rmrf(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[4096];
        if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= sizeof p) continue;
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) t_rmrf(p);
        else unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static inline char *t_tmpdir(const char *tag)
{
    char tmpl[256];
    const char *base = getenv("TMPDIR");
    snprintf(tmpl, sizeof tmpl, "%s/pk-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

/* ---- canonical dump: documents by path, terms with postings by path, forms ---- */

typedef struct t_line { char *s; } t_line;
static inline int t_cmp_line(const void *a, const void *b) { return strcmp(((const t_line *)a)->s, ((const t_line *)b)->s); }

/* Append one line per document and per (term, document) posting, independent of ids and segment
 * layout, sorted; with_ids adds the global ids.  Returns NULL on an error (message in ix). */
static inline char *t_dump(pk_index *ix, int with_ids)
{
    t_line *lines = NULL;
    size_t n = 0, cap = 0;
#define T_ADD(str) do { char *s_ = (str); if (!s_) goto fail; \
                        if (n == cap) { cap = cap ? cap * 2 : 1024; lines = realloc(lines, cap * sizeof *lines); } \
                        lines[n++].s = s_; } while (0)
    size_t cur = 0;
    for (size_t s = 0; s < ixr_nsegs(ix); s++) {
        cur = s;
        segr *sg = ixr_seg(ix, s);
        for (uint32_t d = 0; d < segr_ndocs(sg); d++) {
            if (ixr_deleted(ix, s, d)) continue;
            seg_doc sd;
            if (ixr_doc(ix, s, d, &sd)) goto fail;
            char *head = pk_sprintf("D %s date=%d body=%s ntok=%u text=%u raw=%llu hash=%016llx",
                                    sd.path, sd.date, sd.body ? sd.body : "", sd.ntokens, sd.text_len,
                                    (unsigned long long)sd.raw_len, (unsigned long long)sd.hash);
            char *ids = with_ids ? pk_sprintf(" id=%u", sd.id) : pk_strdup("");
            const char *rec, *text;
            size_t rl, tl;
            if (!head || !ids || ixr_stored(ix, s, d, &rec, &rl, &text, &tl)) { pk_free(head); pk_free(ids); goto fail; }
            char *full = pk_sprintf("%s%s rec=%016llx txt=%016llx", head, ids,
                                    (unsigned long long)pk_hash64(rec, rl), (unsigned long long)pk_hash64(text, tl));
            pk_free(head);
            pk_free(ids);
            T_ADD(full);
        }
        seg_titer it;
        if (segr_terms_from(sg, NULL, 0, &it)) goto fail;
        int r;
        while ((r = segr_terms_next(&it)) == 1) {
            seg_post p;
            if (segr_post_open(sg, &it.t, 1, &p)) goto fail;
            char key[300];
            size_t kn = 0;
            for (uint32_t i = 0; i < it.t.key_len; i++) {
                uint8_t c = it.t.key[i];
                if (c < 0x20) kn += (size_t)snprintf(key + kn, sizeof key - kn, "\\%02x", c);
                else key[kn++] = (char)c;
            }
            key[kn] = 0;
            while ((r = segr_post_next(&p)) == 1) {
                const uint32_t *pos = segr_post_positions(&p);
                if (!pos) { segr_post_close(&p); goto fail; }
                seg_doc sd;
                if (segr_doc(sg, p.doc, &sd)) { segr_post_close(&p); goto fail; }
                pk_buf b;
                buf_init(&b);
                buf_printf(&b, "T %s %s tf=%u", key, sd.path, p.tf);
                for (uint32_t j = 0; j < p.tf; j++) buf_printf(&b, " %u", pos[j]);
                char *line = buf_detach(&b);
                if (!line) { segr_post_close(&p); goto fail; }
                T_ADD(line);
            }
            segr_post_close(&p);
            if (r < 0) goto fail;
        }
        if (r < 0) goto fail;
    }
    qsort(lines, n, sizeof *lines, t_cmp_line);
    pk_buf out;
    buf_init(&out);
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(lines[i].s, lines[i - 1].s) != 0) {
            buf_puts(&out, lines[i].s);
            buf_putc(&out, '\n');
        }
    }
    for (size_t i = 0; i < n; i++) pk_free(lines[i].s);
    free(lines);
    return buf_detach(&out);
fail:
    ixr_seg_error(ix, cur, PK_ECORRUPT);
    for (size_t i = 0; i < n; i++) pk_free(lines[i].s);
    free(lines);
    return NULL;
#undef T_ADD
}

static inline int t_form_line(void *ud, const char *norm, size_t nn, const char *stem, size_t sn, uint32_t flags)
{
    pk_buf *b = ud;
    buf_printf(b, "F %.*s %.*s %u\n", (int)nn, norm, (int)sn, stem, flags);
    return 0;
}

/* The forms lexicon as text. */
static inline char *t_forms(pk_index *ix)
{
    pk_buf b;
    buf_init(&b);
    if (ixr_forms_prefix(ix, "", 0, t_form_line, &b)) { buf_free(&b); return NULL; }
    return buf_detach(&b);
}

#endif
