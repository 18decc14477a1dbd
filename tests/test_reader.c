/* test_reader.c — decoding, repairs, gzip, folders, dates and the real corpus through the reader. */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <utf8proc.h>
#include <zlib.h>

#include "date.h"
#include "decode.h"
#include "protokoll.h"
#include "reader.h"
#include "util.h"

/* ---- helpers ---- */

static pk_doc *mem_doc(const char *name, const void *p, size_t n, pk_status *st)
{
    pk_doc *d = NULL;
    char *err = NULL;
    *st = pk_doc_from_memory(name, p, n, &d, &err);
    pk_free(err);
    return d;
}

static pk_doc *str_doc(const char *name, const char *s)
{
    pk_status st;
    return mem_doc(name, s, strlen(s), &st);
}

/* gzip-compress p[0..n) into a fresh malloc'd buffer. */
static unsigned char *gzip_bytes(const void *p, size_t n, size_t *outn)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) return NULL;
    size_t cap = deflateBound(&zs, (uLong)n) + 64;
    unsigned char *out = malloc(cap);
    zs.next_in = (Bytef *)(uintptr_t)p;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    int rc = deflate(&zs, Z_FINISH);
    *outn = cap - zs.avail_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) { free(out); return NULL; }
    return out;
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(p, 1, n, f);
    fclose(f);
}

static void write_str(const char *path, const char *s) { write_file(path, s, strlen(s)); }

static int contains(const char *hay, const char *needle) { return hay && strstr(hay, needle) != NULL; }

/* ---- encodings ---- */

static void latin1_swedish(void)
{
    pk_doc *d = str_doc("a.txt", "M\xf6tet \xf6ppnas av ordf\xf6rande \xc5sa kl 9.\n");
    CHECK(d);
    if (!d) return;
    CHECK_STR(d->text, "Mötet öppnas av ordförande Åsa kl 9.\n");
    CHECK(d->repairs & PK_REPAIR_LATIN1);
    CHECK(!(d->repairs & PK_REPAIR_BADBYTES));
    pk_doc_free(d);
}

static void cp1252_specials(void)
{
    pk_doc *d = str_doc("a.txt", "\x93" "Budget\x94 \x96 100 \x80\x85 it\x92s \x97 klart\n");
    CHECK(d);
    if (!d) return;
    CHECK_STR(d->text, "\xe2\x80\x9c" "Budget" "\xe2\x80\x9d" " \xe2\x80\x93 100 \xe2\x82\xac\xe2\x80\xa6 it\xe2\x80\x99s \xe2\x80\x94 klart\n");
    CHECK(d->repairs & PK_REPAIR_LATIN1);
    pk_doc_free(d);
    /* C1 controls written as UTF-8 (a Latin-1 conversion of Windows-1252 text) */
    d = str_doc("b.txt", "it\xc2\x92s \xc2\x96 ok\n");
    CHECK(d && strcmp(d->text, "it\xe2\x80\x99s \xe2\x80\x93 ok\n") == 0);
    pk_doc_free(d);
}

static void mixed_stray_bytes(void)
{
    /* valid UTF-8 everywhere except two Latin-1 bytes; the valid ones must survive untouched */
    pk_doc *d = str_doc("a.txt", "Mötet i \xe5r: budgeten \xe4r klar – ”bra”.\n");
    CHECK(d);
    if (!d) return;
    CHECK_STR(d->text, "Mötet i år: budgeten är klar – ”bra”.\n");
    CHECK(d->repairs & PK_REPAIR_BADBYTES);
    CHECK(!(d->repairs & PK_REPAIR_LATIN1));
    pk_doc_free(d);
    /* a truncated sequence at the very end, and an overlong encoding */
    d = str_doc("b.txt", "slut \xc0\xaf och \xe2\x82");
    CHECK(d && d->text && strncmp(d->text, "slut ", 5) == 0);
    if (d) {
        uint32_t cp;
        size_t i = 0;
        int valid = 1;
        while (i < d->len) {
            size_t l = decode_utf8((const uint8_t *)d->text + i, d->len - i, &cp);
            if (!l) { valid = 0; break; }
            i += l;
        }
        CHECK(valid);
    }
    pk_doc_free(d);
}

/* decode_valid_len (blocks of sixteen) against a sequence-by-sequence reference, on random mixes
 * of ASCII, two-, three- and four-byte characters and stray bytes, at every alignment */
static size_t valid_len_ref(const uint8_t *p, size_t n)
{
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        size_t l = decode_utf8(p + i, n - i, &cp);
        if (!l) return i;
        i += l;
    }
    return n;
}

static void valid_len_blocks(void)
{
    static const char *const pieces[] = {"a", "Mötet ", "ä", "å", "Ö", "é", "–", "”", "✓", "\xf0\x9f\x98\x80",
                                         "                ", "\xc3", "\xa4", "\xe2\x80", "\xc0\xaf", "\xed\xa0\x80",
                                         "\xf4\x90\x80\x80", "\xff", "0123456789abcdef"};
    const size_t np = sizeof pieces / sizeof pieces[0];
    uint8_t buf[512];
    uint32_t seed = 12345;
    int bad = 0;
    for (int round = 0; round < 20000 && !bad; round++) {
        size_t n = 0;
        /* mostly valid pieces; a stray byte now and then */
        while (n < 400) {
            seed = seed * 1103515245u + 12345u;
            size_t k = (seed >> 16) % np;
            if (k >= 11 && k <= 17 && ((seed >> 8) & 7)) continue;
            size_t l = strlen(pieces[k]);
            memcpy(buf + n, pieces[k], l);
            n += l;
        }
        for (size_t off = 0; off < 17 && !bad; off++) {
            size_t want = valid_len_ref(buf + off, n - off), got = decode_valid_len(buf + off, n - off);
            if (want != got) {
                bad = 1;
                CHECKF(want == got, "round %d offset %zu: got %zu, want %zu", round, off, got, want);
            }
        }
    }
    /* all valid: the whole length */
    const char *s = "Protokoll fört vid sammanträde med Kommunstyrelsen – §§ 1–12 ✓ åäö ÅÄÖ é ü 😀 slut";
    CHECK_INT(decode_valid_len((const uint8_t *)s, strlen(s)), strlen(s));
    CHECK_INT(decode_valid_len((const uint8_t *)"", 0), 0);
}

static void utf16_with_bom(void)
{
    const char *s = "Möte 2021-08-20\r\nÅtgärd ✓\n";
    /* build UTF-16LE and BE from the UTF-8 source */
    unsigned char le[128], be[128];
    size_t n = 0;
    le[n] = 0xFF; be[n] = 0xFE; n++;
    le[n] = 0xFE; be[n] = 0xFF; n++;
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0, len = strlen(s);
    while (i < len) {
        uint32_t cp;
        size_t l = decode_utf8(p + i, len - i, &cp);
        i += l;
        le[n] = (unsigned char)(cp & 0xFF); le[n + 1] = (unsigned char)(cp >> 8);
        be[n] = (unsigned char)(cp >> 8); be[n + 1] = (unsigned char)(cp & 0xFF);
        n += 2;
    }
    pk_status st;
    pk_doc *d = mem_doc("le.txt", le, n, &st);
    CHECK(d && strcmp(d->text, "Möte 2021-08-20\nÅtgärd ✓\n") == 0);
    CHECK(d && (d->repairs & PK_REPAIR_UTF16) && (d->repairs & PK_REPAIR_NEWLINES));
    pk_doc_free(d);
    d = mem_doc("be.txt", be, n, &st);
    CHECK(d && strcmp(d->text, "Möte 2021-08-20\nÅtgärd ✓\n") == 0);
    pk_doc_free(d);
    /* without the mark, recognised by its zero bytes */
    d = mem_doc("nobom.txt", le + 2, n - 2, &st);
    CHECK(d && strcmp(d->text, "Möte 2021-08-20\nÅtgärd ✓\n") == 0);
    pk_doc_free(d);
    /* a surrogate pair (U+1F600) and an unpaired half */
    unsigned char sp[] = {0xFF, 0xFE, 'a', 0, 0x3D, 0xD8, 0x00, 0xDE, 'b', 0, 0x00, 0xD8, 'c', 0};
    d = mem_doc("sp.txt", sp, sizeof sp, &st);
    CHECK(d && strcmp(d->text, "a\xf0\x9f\x98\x80" "b\xef\xbf\xbd" "c\n") == 0);
    pk_doc_free(d);
}

static void bom_and_newlines(void)
{
    pk_doc *d = str_doc("a.txt", "\xef\xbb\xbfRad ett\r\nRad två\rRad tre\n");
    CHECK(d && strcmp(d->text, "Rad ett\nRad två\nRad tre\n") == 0);
    CHECK(d && (d->repairs & PK_REPAIR_BOM) && (d->repairs & PK_REPAIR_NEWLINES));
    pk_doc_free(d);
    d = str_doc("b.txt", "plain\nlines\n");
    CHECK(d && d->repairs == 0);
    pk_doc_free(d);
}

static void nfc_composition(void)
{
    /* "å" and "ö" as letter + combining mark, as PDF converters write them; the Ångström sign */
    pk_doc *d = str_doc("a.txt", "Sa\xcc\x8a go\xcc\x88r vi. \xe2\x84\xab\n");
    CHECK(d && strcmp(d->text, "Så gör vi. Å\n") == 0);
    CHECK(d && (d->repairs & PK_REPAIR_NFC));
    pk_doc_free(d);
    /* ligatures from PDF text */
    d = str_doc("b.txt", "Kristo\xef\xac\x80" "er \xef\xac\x81nns\n");
    CHECK(d && strcmp(d->text, "Kristoffer finns\n") == 0);
    pk_doc_free(d);
    /* the line-wise NFC agrees with utf8proc's on mixed lines */
    const char *samples[] = {
        "e\xcc\x81t\xc3\xa9 a\xcc\x8a\nrent\nA\xcc\x8a" "ke \xe1\x84\x80\xe1\x85\xa1 ok\n",
        "\xcc\x88" "start med ett tecken som kombinerar\n",
        "o\xcc\x88\xcc\xa3 och \xe2\x84\xa6\n",
    };
    for (size_t k = 0; k < sizeof samples / sizeof samples[0]; k++) {
        pk_buf b;
        buf_init(&b);
        buf_puts(&b, samples[k]);
        int changed;
        CHECK(decode_nfc(&b, &changed) == PK_OK);
        utf8proc_uint8_t *ref = utf8proc_NFC((const utf8proc_uint8_t *)samples[k]);
        CHECKF(ref && b.p && strcmp((const char *)ref, (const char *)b.p) == 0, "sample %zu", k);
        free(ref);
        buf_free(&b);
    }
}

static void nul_and_controls(void)
{
    static const char s[] = "Beslut\0 fattades\x01 i\x7f dag\fSida 2\n";
    pk_status st;
    pk_doc *d = mem_doc("a.txt", s, sizeof s - 1, &st);
    CHECK(st == PK_OK && d && strcmp(d->text, "Beslut fattades i dag\nSida 2\n") == 0);
    CHECK(d && (d->repairs & PK_REPAIR_NUL));
    pk_doc_free(d);
}

static void binary_refused(void)
{
    unsigned char png[64] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    pk_doc *d = NULL;
    char *err = NULL;
    CHECK(pk_doc_from_memory("bild.txt", png, sizeof png, &d, &err) == PK_EDECODE);
    CHECK(!d);
    CHECK(contains(err, "bild.txt: ") && contains(err, "PNG"));
    pk_free(err);
    unsigned char elf[256];
    memset(elf, 0, sizeof elf);
    memcpy(elf, "\x7f" "ELF\x02\x01\x01", 7);
    CHECK(pk_doc_from_memory("prog", elf, sizeof elf, &d, &err) == PK_EDECODE && contains(err, "ELF"));
    pk_free(err);
    /* no signature, but mostly control bytes */
    unsigned char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)((i * 7919u) % 31u);
    CHECK(pk_doc_from_memory("junk.md", junk, sizeof junk, &d, &err) == PK_EDECODE && contains(err, "binary"));
    pk_free(err);
    CHECK(pk_doc_from_memory("x.txt", (const uint8_t *)"%PDF-1.7\n", 9, &d, &err) == PK_EDECODE && contains(err, "PDF"));
    pk_free(err);
}

/* Only the first 64 KiB decide whether a file is binary; ESC bytes (terminal colours in logs) and
 * the line-end controls never count. */
static void binary_sniff_window(void)
{
    size_t n = 80000;
    char *t = malloc(n);
    CHECK(t != NULL);
    if (!t) return;
    for (size_t i = 0; i < n; i++) t[i] = (i % 40 == 39) ? '\n' : "Styrelsen beslutade "[i % 20];
    for (size_t i = 70000; i < n; i += 4) t[i] = 0x01;          /* junk after the window: text */
    pk_doc *d = NULL;
    char *err = NULL;
    CHECK(pk_doc_from_memory("lang.txt", (const uint8_t *)t, n, &d, &err) == PK_OK && d);
    CHECK(d && (d->repairs & PK_REPAIR_NUL) && !memchr(d->text, 0x01, d->len));
    pk_doc_free(d);
    d = NULL;
    for (size_t i = 1000; i < 60000; i += 4) t[i] = 0x1b;       /* ESC inside the window: text */
    CHECK(pk_doc_from_memory("lang.txt", (const uint8_t *)t, n, &d, &err) == PK_OK && d);
    pk_doc_free(d);
    d = NULL;
    for (size_t i = 1000; i < 60000; i += 8) t[i] = 0x02;       /* 1 in 8 in the window: binary */
    CHECK(pk_doc_from_memory("lang.txt", (const uint8_t *)t, n, &d, &err) == PK_EDECODE && !d);
    CHECK(contains(err, "lang.txt: binary data (control bytes)"));
    pk_free(err);
    free(t);
}

static void empty_file(void)
{
    pk_status st;
    pk_doc *d = mem_doc("tom.md", "", 0, &st);
    CHECK(st == PK_OK && d && d->len == 0 && d->text && d->text[0] == 0);
    CHECK(d && d->date == PK_NODATE && d->date_from == PK_DATE_NONE);
    pk_doc_free(d);
    d = mem_doc(NULL, NULL, 0, &st);
    CHECK(st == PK_OK && d && d->len == 0);
    pk_doc_free(d);
    d = mem_doc("blank.txt", "\n\n  \n", 5, &st);
    CHECK(st == PK_OK && d && d->len == 0);
    pk_doc_free(d);
}

static void plain_text_tidy(void)
{
    pk_doc *d = str_doc("a.txt", "\n\nTid\t8.30\t\nPlats   \n\n\n\nDeltagare\tA\n\tB\n   \nslut");
    CHECK_STR(d ? d->text : NULL, "Tid\t8.30\t\nPlats\n\nDeltagare\tA\n\tB\n\nslut\n");
    pk_doc_free(d);
}

/* ---- gzip ---- */

static void gzip_memory_and_file(void)
{
    const char *md = "# Styrelsemöte 2021-09-02\n\n- Punkt ett\n";
    size_t gn;
    unsigned char *gz = gzip_bytes(md, strlen(md), &gn);
    CHECK(gz);
    if (!gz) return;
    pk_status st;
    pk_doc *d = mem_doc("protokoll.md.gz", gz, gn, &st);
    CHECK(st == PK_OK && d);
    if (d) {
        CHECK_STR(d->text, "# Styrelsemöte 2021-09-02\n\n- Punkt ett\n");
        CHECK(d->format == PK_FMT_MARKDOWN);
        CHECK(d->repairs & PK_REPAIR_GZIP);
        CHECK(d->raw_len == strlen(md));
        CHECK(d->hash == pk_hash64(md, strlen(md)));
        CHECK_INT(d->date, date_days(2021, 9, 2));
    }
    pk_doc_free(d);
    /* by magic bytes, under a name that says nothing */
    char dir[] = "/tmp/pk_gzXXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/minutes.md", dir);
    write_file(path, gz, gn);
    char *err = NULL;
    CHECK(pk_doc_read_file(path, &d, &err) == PK_OK && d && (d->repairs & PK_REPAIR_GZIP) && d->mtime > 0);
    CHECK(d && strcmp(d->text, "# Styrelsemöte 2021-09-02\n\n- Punkt ett\n") == 0);
    pk_doc_free(d);
    /* two members concatenated */
    unsigned char *two = malloc(2 * gn);
    memcpy(two, gz, gn);
    memcpy(two + gn, gz, gn);
    d = mem_doc("two.md.gz", two, 2 * gn, &st);
    CHECK(st == PK_OK && d && d->raw_len == 2 * strlen(md));
    pk_doc_free(d);
    free(two);
    unlink(path);
    rmdir(dir);
    free(gz);
}

static void gzip_truncated_and_corrupt(void)
{
    char text[4000];
    for (size_t i = 0; i < sizeof text; i++) text[i] = "Beslut om budget. "[i % 18];
    size_t gn;
    unsigned char *gz = gzip_bytes(text, sizeof text, &gn);
    CHECK(gz && gn > 20);
    if (!gz) return;
    pk_doc *d = NULL;
    char *err = NULL;
    CHECK(pk_doc_from_memory("kort.txt.gz", gz, gn / 2, &d, &err) == PK_EDECODE);
    CHECK(!d && contains(err, "kort.txt.gz: truncated gzip"));
    pk_free(err);
    /* the last bytes (CRC and length) missing */
    CHECK(pk_doc_from_memory("utan-crc.txt.gz", gz, gn - 4, &d, &err) == PK_EDECODE && contains(err, "truncated"));
    pk_free(err);
    gz[gn / 2] ^= 0x55;
    gz[gn / 2 + 1] ^= 0xAA;
    pk_status st = pk_doc_from_memory("trasig.txt.gz", gz, gn, &d, &err);
    CHECK(st == PK_EDECODE && contains(err, "trasig.txt.gz: "));
    pk_free(err);
    free(gz);
}

static void gzip_bomb(void)
{
    size_t old = reader_set_max_bytes((size_t)1 << 20);
    size_t n = (size_t)3 << 20;
    char *zeros = calloc(1, n);
    memset(zeros, 'a', n);
    size_t gn;
    unsigned char *gz = gzip_bytes(zeros, n, &gn);
    free(zeros);
    CHECK(gz && gn < n / 100);
    pk_doc *d = NULL;
    char *err = NULL;
    CHECK(pk_doc_from_memory("bomb.txt.gz", gz, gn, &d, &err) == PK_ELIMIT);
    CHECK(!d && contains(err, "gzip bomb"));
    pk_free(err);
    /* the same through a file, streamed */
    char dir[] = "/tmp/pk_bombXXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/bomb.gz", dir);
    write_file(path, gz, gn);
    CHECK(pk_doc_read_file(path, &d, &err) == PK_ELIMIT && contains(err, "bomb.gz: gzip data expands"));
    pk_free(err);
    unlink(path);
    rmdir(dir);
    free(gz);
    reader_set_max_bytes(old);
}

static void size_limit(void)
{
    size_t old = reader_set_max_bytes((size_t)1 << 20);
    size_t n = ((size_t)1 << 20) + 10;
    char *big = malloc(n);
    memset(big, 'x', n);
    pk_doc *d = NULL;
    char *err = NULL;
    CHECK(pk_doc_from_memory("stor.txt", (const uint8_t *)big, n, &d, &err) == PK_ELIMIT && !d);
    CHECK(contains(err, "stor.txt: larger than 1 MiB"));
    pk_free(err);
    char dir[] = "/tmp/pk_bigXXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/stor.txt", dir);
    write_file(path, big, n);
    CHECK(pk_doc_read_file(path, &d, &err) == PK_ELIMIT && contains(err, "larger than 1 MiB"));
    pk_free(err);
    /* exactly at the limit is fine */
    CHECK(pk_doc_from_memory("lagom.txt", (const uint8_t *)big, (size_t)1 << 20, &d, &err) == PK_OK && d);
    pk_doc_free(d);
    unlink(path);
    rmdir(dir);
    free(big);
    reader_set_max_bytes(old);
}

/* ---- folders ---- */

static const char *tmp_root;

static void mk(const char *rel, const char *content)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmp_root, rel);
    write_str(p, content);
}

static void rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700);
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                char c[1024];
                snprintf(c, sizeof c, "%s/%s", path, e->d_name);
                rm_tree(c);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void folder_walk(void)
{
    char root[] = "/tmp/pk_walkXXXXXX";
    if (!mkdtemp(root)) { CHECK(0); return; }
    tmp_root = root;
    char p[512], q[512];
    snprintf(p, sizeof p, "%s/sub", root); mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/sub/deeper", root); mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/.git", root); mkdir(p, 0755);
    mk("b.txt", "B\n");
    mk("a.md", "# A\n");
    mk("C.TEX", "\\section{C}\n");
    mk("sub/deeper/d.typ", "= D\n");
    mk("sub/e_210902", "# E\n");                         /* no extension: taken */
    mk(".hidden.md", "# hidden\n");
    mk(".git/config.txt", "no\n");
    mk("notes.pdf", "%PDF-1.4\n");                       /* not a wanted extension */
    mk("data.tsv", "a\tb\n");
    unsigned char bin[512] = {0x7f, 'E', 'L', 'F'};
    snprintf(p, sizeof p, "%s/sub/program", root);
    write_file(p, bin, sizeof bin);                      /* no extension and binary: passed over */
    snprintf(p, sizeof p, "%s/sub/broken.md", root);
    write_file(p, bin, sizeof bin);                      /* wanted, binary: reported */
    snprintf(p, sizeof p, "%s/sub/deeper/loop", root);
    snprintf(q, sizeof q, "%s/sub", root);
    CHECK(symlink(q, p) == 0);                           /* leads back to sub: a loop */
    snprintf(p, sizeof p, "%s/sub/dangling.md", root);
    CHECK(symlink("/nonexistent/x.md", p) == 0);
    /* an unreadable file: permissions when we can, else a file whose read fails */
    snprintf(p, sizeof p, "%s/sub/locked.txt", root);
    if (getuid() != 0) { write_str(p, "secret\n"); chmod(p, 0); }
    else if (access("/proc/self/mem", R_OK) == 0) CHECK(symlink("/proc/self/mem", p) == 0);

    pk_reader *r;
    CHECK(pk_reader_new(&r) == PK_OK);
    CHECK(pk_reader_add(r, root) == PK_OK);
    snprintf(p, sizeof p, "%s/missing.md", root);
    CHECK(pk_reader_add(r, p) == PK_OK);
    snprintf(p, sizeof p, "%s/data.tsv", root);
    CHECK(pk_reader_add(r, p) == PK_OK);                 /* named explicitly: read */
    char seen[2048] = "";
    char errors[4096] = "";
    int nerr = 0, guard = 0;
    for (;;) {
        pk_doc *d;
        pk_status st = pk_reader_next(r, &d);
        if (++guard > 100) { CHECK(0); break; }
        if (st != PK_OK) {
            nerr++;
            const char *m = pk_reader_errmsg(r);
            CHECKF(strncmp(m, root, strlen(root)) == 0, "message %s", m);
            strncat(errors, m, sizeof errors - strlen(errors) - 2);
            strcat(errors, "\n");
            continue;
        }
        if (!d) break;
        const char *rel = d->path + strlen(root) + 1;
        strncat(seen, rel, sizeof seen - strlen(seen) - 2);
        strcat(seen, " ");
        pk_doc_free(d);
    }
    pk_reader_free(r);
    CHECK_STR(seen, "C.TEX a.md b.txt sub/deeper/d.typ sub/e_210902 data.tsv ");
    CHECKF(contains(errors, "sub/broken.md: binary data (ELF"), "%s", errors);
    CHECKF(contains(errors, "sub/dangling.md: dangling symbolic link"), "%s", errors);
    CHECKF(contains(errors, "sub/deeper/loop: symbolic link loop"), "%s", errors);
    CHECKF(contains(errors, "missing.md: No such file"), "%s", errors);
    snprintf(p, sizeof p, "%s/sub/locked.txt", root);
    struct stat lst;
    if (lstat(p, &lst) == 0) CHECKF(contains(errors, "sub/locked.txt: "), "%s", errors);
    CHECK(nerr >= 4);
    rm_tree(root);
}

static void reader_wants(void)
{
    CHECK(pk_reader_wants("a/b.md"));
    CHECK(pk_reader_wants("b.MARKDOWN"));
    CHECK(pk_reader_wants("x.tex.gz"));
    CHECK(pk_reader_wants("x.typ"));
    CHECK(pk_reader_wants("x.TXT"));
    CHECK(pk_reader_wants("lithekod/styrelsemote_210902"));
    CHECK(!pk_reader_wants("x.pdf"));
    CHECK(!pk_reader_wants("x.tsv"));
    CHECK(!pk_reader_wants("x.pdf.gz"));
    CHECK(!pk_reader_wants(".hidden"));
    CHECK(!pk_reader_wants(NULL));
    CHECK(!pk_reader_wants("repo/LICENSE"));
    CHECK(!pk_reader_wants("repo/Makefile"));
    CHECK(pk_reader_wants("repo/README.md"));
}

/* ---- dates ---- */

static void doc_dates(void)
{
    pk_doc *d = str_doc("x.tex", "\\begin{document}\\date{2022-04-07}\\section{A}Nästa möte 2022-05-01.\\end{document}");
    CHECK(d && d->date == date_days(2022, 4, 7) && d->date_from == PK_DATE_TEXT);
    pk_doc_free(d);
    d = str_doc("protokoll.md", "# Styrelsemöte\n\nJusterat 2021-09-30.\n\n## Datum: 2 september 2021\n");
    CHECK(d && d->date == date_days(2021, 9, 2) && d->date_from == PK_DATE_TEXT);
    pk_doc_free(d);
    d = str_doc("styrelsemote_210929", "Start: 12:15\nNCPC 09/10 och inte 08/10.\n");
    CHECK(d && d->date == date_days(2021, 9, 29) && d->date_from == PK_DATE_FILENAME);
    pk_doc_free(d);
    d = str_doc("arkiv/2020-11-24/protokoll.txt", "Mötet öppnas.\n");
    CHECK(d && d->date == date_days(2020, 11, 24) && d->date_from == PK_DATE_FILENAME);
    pk_doc_free(d);
    d = str_doc("utkast.md", "# Möte {DATUM}\n");
    CHECK(d && d->date == PK_NODATE && d->date_from == PK_DATE_NONE);
    pk_doc_free(d);
    /* a page header far down labels the meeting's date; other dates near the top are decisions
     * of other bodies, postponements and references */
    char big[8000];
    size_t bl = (size_t)snprintf(big, sizeof big, "§ 600 Anmälan av jäv\nÄrendet bordläggs till sammanträdet den 11 september 2024.\n"
                                 "Stadsledningskontorets tjänsteutlåtande den 5 juni 2024.\n");
    while (bl < 4000) bl += (size_t)snprintf(big + bl, sizeof big - bl, "Kommunstyrelsen tillstyrker förslaget.\n");
    snprintf(big + bl, sizeof big - bl, "Sammanträdesdatum: 2024-08-28\n");
    d = str_doc("ks.txt", big);
    CHECK(d && d->date == date_days(2024, 8, 28) && d->date_from == PK_DATE_TEXT);
    pk_doc_free(d);
    /* a date in running text does not override the file name's */
    d = str_doc("20260930_protokoll_ks.txt", "§ 261 Meddelanden\nBeslut\nAnteckning\n\nText\n\nfrån styrelsemötet den 29 september 2026\n");
    CHECK(d && d->date == date_days(2026, 9, 30) && d->date_from == PK_DATE_FILENAME);
    pk_doc_free(d);
    /* a heading does */
    d = str_doc("styrelsemote_180807.md", "# Mötesprotokoll\n\n## 06 Augusti 2018\n");
    CHECK(d && d->date == date_days(2018, 8, 6) && d->date_from == PK_DATE_TEXT);
    pk_doc_free(d);
    /* the file name confirms one of several dates */
    d = str_doc("2021-08-20_ledningsgrupp.txt", "Minnesanteckningar\nFöregående möte 2021-05-07\nTid\tFredagen den 20 augusti 2021\n");
    CHECK(d && d->date == date_days(2021, 8, 20) && d->date_from == PK_DATE_TEXT);
    pk_doc_free(d);
}

/* ---- the real corpus ---- */

static int tsv_field(const char *line, int k, char *out, size_t cap)
{
    const char *s = line;
    for (int i = 0; i < k; i++) {
        s = strchr(s, '\t');
        if (!s) return 0;
        s++;
    }
    size_t n = strcspn(s, "\t\n");
    if (n >= cap) n = cap - 1;
    memcpy(out, s, n);
    out[n] = 0;
    return 1;
}

static int has_macro(const char *t)
{
    for (const char *p = t; (p = strchr(p, '\\')); p++) {
        unsigned char c = (unsigned char)p[1];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0xC0) return 1;
    }
    return 0;
}

static void real_corpus(void)
{
    const char *sh = t_shared();
    if (!sh) SKIP("../shared is not beside the project (set PK_SHARED)");
    char root[512], man[600];
    snprintf(root, sizeof root, "%s/corpus/real", sh);
    snprintf(man, sizeof man, "%s/MANIFEST.tsv", root);
    FILE *mf = fopen(man, "r");
    if (!mf) SKIP("corpus/real/MANIFEST.tsv is missing");
    /* path -> date from the manifest */
    static char paths[512][1024], dates[512][16];
    int nm = 0;
    char line[2048];
    while (fgets(line, sizeof line, mf) && nm < 512) {
        char src[128], rel[256], date[16];
        if (!tsv_field(line, 0, src, sizeof src) || !tsv_field(line, 1, rel, sizeof rel) ||
            !tsv_field(line, 3, date, sizeof date) || strcmp(src, "source") == 0)
            continue;
        snprintf(paths[nm], sizeof paths[nm], "%s/%s/%s", root, src, rel);
        snprintf(dates[nm], sizeof dates[nm], "%s", date);
        nm++;
    }
    fclose(mf);
    CHECK(nm > 200);

    pk_reader *r;
    CHECK(pk_reader_new(&r) == PK_OK);
    CHECK(pk_reader_add(r, root) == PK_OK);
    int ndocs = 0, nerr = 0, nfmt[4] = {0}, matched = 0, dated = 0, with_manifest_date = 0;
    for (;;) {
        pk_doc *d;
        pk_status st = pk_reader_next(r, &d);
        if (st != PK_OK) { nerr++; CHECKF(0, "%s", pk_reader_errmsg(r)); continue; }
        if (!d) break;
        ndocs++;
        nfmt[d->format]++;
        const char *rel = d->path + strlen(root) + 1;
        CHECKF(d->len > 0, "%s is empty", rel);
        if (d->format == PK_FMT_LATEX) CHECKF(!has_macro(d->text), "%s keeps a LaTeX command", rel);
        if (d->format == PK_FMT_TYPST) {
            CHECKF(!strstr(d->text, "#let") && !strstr(d->text, "#import") && !strstr(d->text, "#show") &&
                   !strstr(d->text, "#set"), "%s keeps Typst code", rel);
            CHECKF(!has_macro(d->text), "%s keeps a backslash", rel);
        }
        if (d->format != PK_FMT_TEXT)
            CHECKF(d->text[0] == '#' || strstr(d->text, "\n# ") || strstr(d->text, "\n## "), "%s has no heading", rel);
        CHECKF(!strstr(d->text, "\n\n\n") && d->text[d->len - 1] == '\n', "%s is not tidy", rel);
        for (int k = 0; k < nm; k++) {
            if (strcmp(paths[k], d->path) != 0) continue;
            matched++;
            if (!dates[k][0]) break;
            with_manifest_date++;
            int32_t want;
            CHECK(pk_date_parse(dates[k], strlen(dates[k]), &want) == PK_OK);
            CHECKF(d->date != PK_NODATE, "%s has no date (file name says %s)", rel, dates[k]);
            if (d->date_from == PK_DATE_FILENAME) CHECKF(d->date == want, "%s", rel);
            /* the text may name a date other than the file name's, but never a distant one */
            if (d->date != PK_NODATE) {
                int32_t diff = d->date - want;
                CHECKF(diff > -60 && diff < 60, "%s: date %d days from the file name's", rel, (int)diff);
                if (diff == 0) dated++;
            }
            break;
        }
        pk_doc_free(d);
    }
    pk_reader_free(r);
    CHECK_INT(nerr, 0);
    CHECK_INT(matched, nm);                /* every file of the manifest was read */
    CHECK(ndocs >= nm);
    CHECK(nfmt[PK_FMT_LATEX] >= 30 && nfmt[PK_FMT_TYPST] >= 20 && nfmt[PK_FMT_MARKDOWN] >= 150);
    CHECKF(dated * 100 >= with_manifest_date * 95, "%d of %d dates agree with the file names", dated, with_manifest_date);
}

/* The participant rows and key lines extraction relies on, in real minutes of each kind. */
static void real_corpus_structure(void)
{
    const char *sh = t_shared();
    if (!sh) SKIP("../shared is not beside the project (set PK_SHARED)");
    char p[600];
    char *err = NULL;
    pk_doc *d;
    snprintf(p, sizeof p, "%s/corpus/real/Datavetenskapsdivisionen__dokument/Protokoll/Styrelsen/2024/2024-11-15.typ", sh);
    if (pk_doc_read_file(p, &d, &err) != PK_OK) { pk_free(err); SKIP("2024-11-15.typ is not in the corpus"); }
    CHECK(contains(d->text, "time\t12:00\ndate\t2024-11-15\n"));
    CHECK(contains(d->text, "\ndeltagere:\nSamuel Hammersberg\tJa\n"));
    CHECK(contains(d->text, "\n# Öppnande av möte\n"));
    CHECK(contains(d->text, "\n=== ") == 0 && contains(d->text, "\n### Beslut\n\nattSatser:\n- bifalles\n"));
    CHECK(d->date == date_days(2024, 11, 15));
    pk_doc_free(d);
    snprintf(p, sizeof p, "%s/corpus/real/Datavetenskapsdivisionen__dokument/Protokoll/Divisionsstämman/2022/2022-11-24.tex", sh);
    if (pk_doc_read_file(p, &d, &err) != PK_OK) { pk_free(err); SKIP("2022-11-24.tex is not in the corpus"); }
    CHECK(contains(d->text, "title\tDivisionsstämmans möte 2\n"));
    CHECK(contains(d->text, "\n# 1 Öppnande av möte\n"));
    CHECK(contains(d->text, "\n## 2.1 Divisionsstämmans beslutbarhet\n"));
    CHECK(contains(d->text, "\n## 4.9 Inval till styrelsen"));
    CHECK(contains(d->text, "\n## Samlad plats för divisionens information\n"));
    CHECK(contains(d->text, "närvarande_förtroendevalda:\nOrdförande\tSamuel Hammersberg\t"));
    pk_doc_free(d);
    snprintf(p, sizeof p, "%s/corpus/real/lithekod__protocols/stormote_201124.tex", sh);
    if (pk_doc_read_file(p, &d, &err) != PK_OK) { pk_free(err); SKIP("stormote_201124.tex is not in the corpus"); }
    CHECK(contains(d->text, "\n# Val av mötesordförande\n"));     /* \titleformat hides the numbers */
    CHECK(contains(d->text, "inofficiell \"mötesguide\"."));
    CHECK(contains(d->text, "\nMötesordförande\tMötessekreterare\nEdvard Thörnros\tGustav Sörnäs\n"));
    CHECK(d->date == date_days(2020, 11, 24));
    pk_doc_free(d);
}

/* ---- allocation failures: every allocation in turn ---- */

static long alloc_countdown;
static void *failing_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud; (void)osize;
    if (nsize == 0) { free(ptr); return NULL; }
    if (alloc_countdown >= 0 && alloc_countdown-- == 0) return NULL;
    return realloc(ptr, nsize);
}

static void allocation_failures(void)
{
    const char *docs[][2] = {
        {"x.tex", "\\documentclass{article}\\def\\ordf{Anna}\\title{Möte}\\begin{document}\\section{A}\n"
                  "\\begin{närvarande}\\medlem[Ordf]{\\ordf}{Ja}\\end{närvarande}\n\\begin{tabular}{ll}a&b\\\\\\end{tabular}"
                  "\\begin{itemize}\\item \\\"o\\end{itemize}\\end{document}"},
        {"x.typ", "#let time = \"12:00\"\n#show: s.with(date: datetime(year: 2024, month: 1, day: 2))\n= Rubrik\n"
                  "#deltagere([A], [Ja],\n [B], [Nej])\n#attSatser([x], [y])\n- punkt\n"},
        {"x.md", "# Rubrik\n\n- **a** [länk](u)\n  - b\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nText a\xcc\x8a\n"},
        {"x.txt", "M\xf6te\r\n"},
    };
    for (size_t k = 0; k < sizeof docs / sizeof docs[0]; k++) {
        size_t gn;
        unsigned char *gz = gzip_bytes(docs[k][1], strlen(docs[k][1]), &gn);
        for (int z = 0; z < 2; z++) {
            const void *in = z ? (const void *)gz : (const void *)docs[k][1];
            size_t n = z ? gn : strlen(docs[k][1]);
            int ok_seen = 0;
            for (long fail = 0; fail < 2000 && !ok_seen; fail++) {
                alloc_countdown = fail;
                pk_set_allocator(failing_alloc, NULL);
                pk_doc *d = NULL;
                char *err = NULL;
                pk_status st = pk_doc_from_memory(docs[k][0], in, n, &d, &err);
                alloc_countdown = -1;
                pk_set_allocator(NULL, NULL);
                CHECKF(st == PK_OK || st == PK_ENOMEM, "%s: status %d at allocation %ld", docs[k][0], (int)st, fail);
                CHECK((st == PK_OK) == (d != NULL));
                if (st == PK_OK) ok_seen = 1;
                pk_doc_free(d);
                pk_free(err);
            }
            CHECKF(ok_seen, "%s never succeeded", docs[k][0]);
        }
        free(gz);
    }
}

int main(void)
{
    t_suite = "reader";
    RUN(latin1_swedish);
    RUN(cp1252_specials);
    RUN(mixed_stray_bytes);
    RUN(valid_len_blocks);
    RUN(utf16_with_bom);
    RUN(bom_and_newlines);
    RUN(nfc_composition);
    RUN(nul_and_controls);
    RUN(binary_refused);
    RUN(binary_sniff_window);
    RUN(empty_file);
    RUN(plain_text_tidy);
    RUN(gzip_memory_and_file);
    RUN(gzip_truncated_and_corrupt);
    RUN(gzip_bomb);
    RUN(size_limit);
    RUN(folder_walk);
    RUN(reader_wants);
    RUN(doc_dates);
    RUN(real_corpus);
    RUN(real_corpus_structure);
    RUN(allocation_failures);
    TEST_MAIN_END();
}
