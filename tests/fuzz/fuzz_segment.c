/* fuzz_segment.c — reading an index whose files are arbitrary bytes: opening, reading every
 * document, term, posting, position, form and stored record, and verify, must fail cleanly or
 * succeed, never crash.  Input: byte 0 picks the file (.ix .pos .sto .del MANIFEST) of a small
 * valid index that the rest of the input replaces; with bit 7 of byte 0 set, the checksums of
 * the replacement are recomputed first, so that damage reaches the decoders behind them. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "index_int.h"
#include "ixread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *names[5] = {"seg-000001.ix", "seg-000001.pos", "seg-000001.sto", "seg-000001-g000002.del", "MANIFEST"};
static char dir[256];
static uint8_t *tmpl[5];
static size_t tmpl_n[5];

static void cleanup(void)
{
    for (int i = 0; i < 5; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    char p[512];
    snprintf(p, sizeof p, "%s/LOCK", dir);
    unlink(p);
    rmdir(dir);
}

/* A small index: 40 documents with words, compounds and forms, one deletion. */
static int make_template(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/pk-fuzzseg-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) return -1;
    atexit(cleanup);
    pk_index *ix;
    if (pk_index_open(dir, PK_OPEN_WRITE | PK_OPEN_CREATE, &ix, NULL)) return -1;
    ix_check_identity(ix, "fuzz-analyzer/1");
    ixdoc_builder *b;
    ixdoc_builder_new(&b);
    static const char *words[] = {"styrels", "möt", "beslut", "konferens", "elektrifiering", "budget", "2021",
                                  "protokoll", "järnväg", "fråg", "södertörn", "tvärförbindels"};
    for (int i = 0; i < 40; i++) {
        ixdoc *d = calloc(1, sizeof *d);
        char path[64];
        snprintf(path, sizeof path, "arkiv/%d/m%02d.txt", 2015 + i % 7, i);
        d->path = pk_strdup(path);
        d->date = i % 9 == 4 ? PK_NODATE : 16000 + i * 40;
        d->body = pk_strdup(i % 2 ? "Styrelsen" : "Ledningsgruppen");
        d->text = pk_sprintf("Protokoll %d: beslut om budget och elektrifiering.", i);
        d->text_len = strlen(d->text);
        d->record = pk_sprintf("{\"source\":\"%s\"}", path);
        d->record_len = strlen(d->record);
        d->raw_len = d->text_len;
        d->hash = (uint64_t)i * 7919;
        ixdoc_begin(b);
        uint32_t pos = 0;
        for (int k = 0; k < 30 + i * 5; k++) {
            const char *w = words[(unsigned)(k * 7 + i * 3) % 12];
            ixdoc_term(b, IX_WORD, w, strlen(w), pos);
            ixdoc_form(b, w, strlen(w), w, strlen(w), IX_FORM_WORD);
            if (k % 5 == 0) ixdoc_term(b, IX_PART, "fråg", strlen("fråg"), pos);
            pos += 1 + (unsigned)k % 2;
        }
        d->ntokens = pos;
        ixdoc_finish(b, d);
        ix_add_doc(ix, d);
        ixdoc_free(d);
    }
    ixdoc_builder_free(b);
    if (ix_finish_run(ix)) return -1;
    pk_index_delete(ix, "arkiv/2016/m01.txt");
    if (pk_index_commit(ix)) return -1;
    pk_index_close(ix);
    for (int i = 0; i < 5; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        if (util_read_file(p, &tmpl[i], &tmpl_n[i], NULL)) return -1;
    }
    /* PK_FUZZ_SEEDS=DIR writes the valid files as seed inputs (kind byte + file) */
    const char *seeds = getenv("PK_FUZZ_SEEDS");
    for (int i = 0; seeds && i < 5; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/valid-%d", seeds, i);
        FILE *f = fopen(p, "wb");
        if (!f) continue;
        fputc(i, f);
        fwrite(tmpl[i], 1, tmpl_n[i], f);
        fclose(f);
    }
    return 0;
}

static void put(int i, const uint8_t *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    while (n) {
        ssize_t r = write(fd, p, n);
        if (r <= 0) break;
        p += r;
        n -= (size_t)r;
    }
    close(fd);
}

/* Recompute header, page and footer CRCs of a checked file, as far as its layout parses. */
static void fix_checked(uint8_t *b, size_t n)
{
    if (n < 48 || memcmp(b, "PKINDEX", 7) != 0) return;
    uint32_t idlen = ld_u32le(b + 24);
    if (idlen > 4096 || 32 + (size_t)idlen + 16 > n) return;
    size_t hlen = 28 + idlen + 4;
    st_u32le(b + hlen - 4, (uint32_t)crc32(0, b, (uInt)(hlen - 4)));
    uint64_t flen = ld_u64le(b + n - 12);
    if (flen < 48 || flen > n - hlen) return;
    size_t fs = n - (size_t)flen;
    uint32_t nsec = ld_u32le(b + fs);
    if (nsec > 16 || fs + 4 + (size_t)nsec * 24 + 28 > n - 16) return;
    size_t pt = fs + 4 + (size_t)nsec * 24 + 28;
    uint64_t np = ld_u64le(b + pt - 8);
    for (uint64_t i = 0; i < np && pt + 4 * (i + 1) <= n - 16; i++) {
        size_t a = hlen + (size_t)i * 4096;
        if (a >= fs) break;
        size_t len = fs - a < 4096 ? fs - a : 4096;
        st_u32le(b + pt + 4 * i, (uint32_t)crc32(0, b + a, (uInt)len));
    }
    st_u32le(b + n - 16, (uint32_t)crc32(0, b + fs, (uInt)(n - 16 - fs)));
}

/* Recompute the crc32 line of a manifest. */
static uint8_t *fix_manifest(const uint8_t *b, size_t n, size_t *out_n)
{
    size_t end = n;
    while (end > 0 && b[end - 1] != '\n') end--;
    size_t body = end;
    if (body > 0) {
        body--;
        while (body > 0 && b[body - 1] != '\n') body--;
    }
    uint8_t *r = malloc(body + 32);
    if (!r) return NULL;
    memcpy(r, b, body);
    int k = snprintf((char *)r + body, 32, "crc32 %08x\n", (unsigned)crc32(0, b, (uInt)body));
    *out_n = body + (size_t)k;
    return r;
}

static void read_everything(pk_index *ix)
{
    for (size_t s = 0; s < ixr_nsegs(ix); s++) {
        segr *sg = ixr_seg(ix, s);
        for (uint32_t d = 0; d < segr_ndocs(sg); d++) {
            seg_doc sd;
            const char *rec, *text;
            size_t rl, tl;
            if (ixr_doc(ix, s, d, &sd) == PK_OK && sd.path_len && sd.path[sd.path_len] != 0) __builtin_trap();
            ixr_stored(ix, s, d, &rec, &rl, &text, &tl);
        }
        seg_titer it;
        if (segr_terms_from(sg, NULL, 0, &it) != PK_OK) continue;
        while (segr_terms_next(&it) == 1) {
            seg_post p;
            if (segr_post_open(sg, &it.t, 1, &p) != PK_OK) break;
            int r;
            while ((r = segr_post_next(&p)) == 1) {
                if (p.doc >= segr_ndocs(sg)) __builtin_trap();
                segr_post_positions(&p);
                segr_post_advance(&p, p.doc + 3);
            }
            segr_post_close(&p);
        }
    }
    ixr_period *per;
    size_t np;
    if (ixr_periods(ix, PK_BY_MONTH, &per, &np) == PK_OK) pk_free(per);
    char *json;
    if (pk_index_stats_json(ix, &json) == PK_OK) pk_free(json);
}

static int nop_term(void *ud, const char *t, size_t n, uint64_t df) { (void)ud; (void)t; (void)n; (void)df; return 0; }
static int nop_form(void *ud, const char *a, size_t an, const char *b, size_t bn, uint32_t f)
{
    (void)ud; (void)a; (void)an; (void)b; (void)bn; (void)f;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready = 0;
    if (!ready) {
        if (make_template()) return 0;
        ready = 1;
    }
    if (size < 1) return 0;
    int which = (data[0] & 0x7f) % 5;
    for (int i = 0; i < 5; i++)
        if (i != which) put(i, tmpl[i], tmpl_n[i]);
    if (data[0] & 0x80) {
        size_t n = size - 1;
        uint8_t *b = NULL;
        if (which == 4) {
            b = fix_manifest(data + 1, n, &n);
        } else if ((b = malloc(n ? n : 1))) {
            memcpy(b, data + 1, n);
            fix_checked(b, n);
        }
        if (b) put(which, b, n);
        free(b);
    } else {
        put(which, data + 1, size - 1);
    }
    pk_index *ix = NULL;
    char *err = NULL;
    if (pk_index_open(dir, PK_OPEN_READ, &ix, &err) == PK_OK) {
        read_everything(ix);
        ixr_terms_prefix(ix, IX_WORD, "", 0, nop_term, NULL);
        ixr_terms_prefix(ix, IX_PART, "fr", 2, nop_term, NULL);
        ixr_forms_prefix(ix, "", 0, nop_form, NULL);
        pk_index_close(ix);
    }
    pk_free(err);
    char *rep = NULL;
    pk_index_verify(dir, &rep);
    pk_free(rep);
    return 0;
}
