/* reader.c — documents out of files, folders, gzip and stdin: decoded, reduced to canonical text, dated. */
#include "reader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "date.h"
#include "decode.h"
#include "json.h"
#include "markup.h"

#define READ_CHUNK   65536
#define MAX_FOLDERS  128          /* folder nesting in a walk */

static size_t max_doc_bytes = PK_MAX_DOC_BYTES;

size_t reader_set_max_bytes(size_t n)
{
    size_t old = max_doc_bytes;
    max_doc_bytes = n ? n : PK_MAX_DOC_BYTES;
    return old;
}

/* ------------------------------------------------------------------------------------------------
 * Names
 * ---------------------------------------------------------------------------------------------- */

const char *pk_format_name(pk_format f)
{
    switch (f) {
    case PK_FMT_MARKDOWN: return "markdown";
    case PK_FMT_LATEX:    return "latex";
    case PK_FMT_TYPST:    return "typst";
    default:              return "text";
    }
}

const char *pk_date_source_name(pk_date_source s)
{
    switch (s) {
    case PK_DATE_TEXT:     return "text";
    case PK_DATE_FILENAME: return "filename";
    default:               return "none";
    }
}

const char *pk_repair_name(uint32_t flag)
{
    switch (flag) {
    case PK_REPAIR_BOM:      return "bom";
    case PK_REPAIR_LATIN1:   return "latin1";
    case PK_REPAIR_BADBYTES: return "bad_bytes";
    case PK_REPAIR_UTF16:    return "utf16";
    case PK_REPAIR_NEWLINES: return "newlines";
    case PK_REPAIR_NFC:      return "nfc";
    case PK_REPAIR_NUL:      return "control";
    case PK_REPAIR_GZIP:     return "gzip";
    default:                 return NULL;
    }
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int pk_reader_wants(const char *path)
{
    if (!path) return 0;
    const char *b = base_name(path);
    if (!*b || b[0] == '.') return 0;
    if (markup_format_of_name(b) >= 0) return 1;
    /* names without an extension (styrelsemote_210902): taken when their content is text, except
     * the files that software projects keep beside their sources */
    size_t n = strlen(b);
    if (n > 3 && util_memcasecmp_ascii(b + n - 3, ".gz", 3) == 0) n -= 3;
    if (memchr(b, '.', n)) return 0;
    static const char *project_files[] = {
        "readme", "license", "licence", "copying", "authors", "changelog", "changes", "news", "todo",
        "install", "notice", "contributing", "makefile", "gnumakefile", "dockerfile", "containerfile",
        "gemfile", "rakefile", "vagrantfile", "procfile", "jenkinsfile", "pipfile", "brewfile",
    };
    for (size_t i = 0; i < sizeof project_files / sizeof project_files[0]; i++)
        if (strlen(project_files[i]) == n && util_memcasecmp_ascii(b, project_files[i], n) == 0) return 0;
    return 1;
}

static int has_extension(const char *path)
{
    const char *b = base_name(path);
    size_t n = strlen(b);
    if (n > 3 && util_memcasecmp_ascii(b + n - 3, ".gz", 3) == 0) n -= 3;
    return memchr(b + 1, '.', n > 1 ? n - 1 : 0) != NULL;
}

/* ------------------------------------------------------------------------------------------------
 * gzip, streamed
 * ---------------------------------------------------------------------------------------------- */

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    size_t n;
    if (!pk_mul_ok(items, size, &n)) return Z_NULL;
    return pk_malloc(n);
}

static void z_free(voidpf opaque, voidpf p) { (void)opaque; pk_free(p); }

typedef struct gunz {
    z_stream zs;
    int      inited;
    int      ended;      /* the last member ended */
    int      trailing;   /* bytes after the last member are being ignored */
    size_t   in_total;
} gunz;

static pk_status gz_init(gunz *g, char *why, size_t wl)
{
    memset(g, 0, sizeof *g);
    g->zs.zalloc = z_alloc;
    g->zs.zfree = z_free;
    int rc = inflateInit2(&g->zs, 16 + MAX_WBITS);
    if (rc != Z_OK) {
        snprintf(why, wl, "gzip: %s", rc == Z_MEM_ERROR ? "out of memory" : "cannot start inflating");
        return rc == Z_MEM_ERROR ? PK_ENOMEM : PK_EIO;
    }
    g->inited = 1;
    return PK_OK;
}

static void gz_end(gunz *g)
{
    if (g->inited) inflateEnd(&g->zs);
    g->inited = 0;
}

/* Inflate in[0..n) into out, refusing output beyond max. */
static pk_status gz_feed(gunz *g, const uint8_t *in, size_t n, pk_buf *out, size_t max, char *why, size_t wl)
{
    size_t off = 0;
    while (off < n && !g->trailing) {
        if (g->ended) {
            /* another member follows, or trailing bytes that gzip(1) also ignores */
            if (n - off >= 2 && in[off] == 0x1f && in[off + 1] == 0x8b) {
                inflateReset(&g->zs);
                g->ended = 0;
            } else {
                g->trailing = 1;
                break;
            }
        }
        size_t chunk = n - off > (1u << 30) ? (1u << 30) : n - off;
        g->zs.next_in = (Bytef *)(uintptr_t)(in + off);
        g->zs.avail_in = (uInt)chunk;
        for (;;) {
            if (buf_reserve(out, READ_CHUNK)) { snprintf(why, wl, "out of memory"); return PK_ENOMEM; }
            size_t room = out->cap - out->n - 1;
            if (room > (1u << 30)) room = 1u << 30;
            g->zs.next_out = out->p + out->n;
            g->zs.avail_out = (uInt)room;
            int rc = inflate(&g->zs, Z_NO_FLUSH);
            out->n += room - g->zs.avail_out;
            if (out->n > max) {
                snprintf(why, wl, "gzip data expands beyond %zu MiB (refused as a possible gzip bomb)", max >> 20);
                return PK_ELIMIT;
            }
            if (rc == Z_STREAM_END) { g->ended = 1; break; }
            if (rc == Z_MEM_ERROR) { snprintf(why, wl, "gzip: out of memory"); return PK_ENOMEM; }
            if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR) {
                snprintf(why, wl, "corrupt gzip data at compressed byte %zu: %s",
                         g->in_total + (chunk - g->zs.avail_in), g->zs.msg ? g->zs.msg : "invalid data");
                return PK_EDECODE;
            }
            if (g->zs.avail_in == 0 && g->zs.avail_out != 0) break;   /* needs more input */
            if (rc == Z_BUF_ERROR && g->zs.avail_out != 0) break;
        }
        size_t used = chunk - g->zs.avail_in;
        g->in_total += used;
        off += used;
        if (used == 0 && !g->ended) break;
    }
    return PK_OK;
}

static pk_status gz_finish(gunz *g, char *why, size_t wl)
{
    if (!g->ended) {
        snprintf(why, wl, "truncated gzip data (the stream ends early, after %zu compressed bytes)", g->in_total);
        return PK_EDECODE;
    }
    return PK_OK;
}

static int is_gzip(const uint8_t *p, size_t n) { return n >= 2 && p[0] == 0x1f && p[1] == 0x8b; }

/* ------------------------------------------------------------------------------------------------
 * Canonical text and dates
 * ---------------------------------------------------------------------------------------------- */

size_t reader_tidy_text(char *p, size_t n)
{
    size_t w = 0, i = 0;
    int blank_pending = 0;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - p) : n;
        size_t le = e;
        while (le > i && p[le - 1] == ' ') le--;
        int blank = 1;
        for (size_t k = i; k < le; k++) if (p[k] != ' ' && p[k] != '\t') { blank = 0; break; }
        if (blank) {
            if (w > 0) blank_pending = 1;
        } else {
            if (blank_pending) { p[w++] = '\n'; blank_pending = 0; }
            if (w != i) memmove(p + w, p + i, le - i);
            w += le - i;
            p[w++] = '\n';
        }
        i = e + 1;
    }
    if (w < n) p[w] = 0;
    return w;
}

static int has_word(const char *l, size_t n, const char *w)
{
    size_t k = strlen(w);
    unsigned char w0 = (unsigned char)w[0];   /* lower case or not a letter */
    for (size_t i = 0; i + k <= n; i++) {
        unsigned char c = (unsigned char)l[i];
        if (c >= 'A' && c <= 'Z') c += 32;
        if (c == w0 && util_memcasecmp_ascii(l + i + 1, w + 1, k - 1) == 0) return 1;
    }
    return 0;
}

/* Words that say a date on the line is not the meeting's own. */
static int other_event(const char *l, size_t n)
{
    static const char *words[] = {
        "justera", "justering", "anslag", "publicer", "bilaga", "senast", "n\xc3\xa4sta", "f\xc3\xb6reg\xc3\xa5""ende",
        "inkom", "skickades", "utskick", "deadline", "f\xc3\xb6""dd", "giltig", "upph\xc3\xa4v", "reviderad",
        "uppdaterad", "sista", "tidigare", "kallades", "kallade", "kallelse", "bordl", "utl\xc3\xa5tande",
        "skrivelse", "remiss", "yttrande", "beslut den", "beslutade den", "daterad", "handling", "protokollsutdrag",
        "ans\xc3\xb6kan", "inl\xc3\xa4mn",
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) if (has_word(l, n, words[i])) return 1;
    return 0;
}

static int meeting_cue(const char *l, size_t n)
{
    static const char *words[] = {
        "datum", "date", "tid", "sammantr", "m\xc3\xb6te", "protokoll", "minnesanteckning", "meeting", "minutes",
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) if (has_word(l, n, words[i])) return 1;
    return 0;
}

/* A line that labels the meeting's date ("Sammanträdesdatum: 2024-08-28", "Mötesdatum 3/5 2021",
 * "Datum: ..."), as page headers of municipal protocols repeat it far down the text. */
static int date_label(const char *l, size_t n)
{
    static const char *labels[] = {
        "sammantr\xc3\xa4""desdatum", "sammantr\xc3\xa4""desdag", "m\xc3\xb6tesdatum", "datum", "date", "meeting date",
    };
    unsigned char c0 = (unsigned char)(l[0] | 0x20);
    if (c0 != 's' && c0 != 'm' && c0 != 'd') return 0;
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        size_t k = strlen(labels[i]);
        if (n > k && util_memcasecmp_ascii(l, labels[i], k) == 0 &&
            (l[k] == ':' || l[k] == ' ' || l[k] == '\t'))
            return 1;
    }
    return 0;
}

#define DATE_TOP_BYTES   3000
#define DATE_SCAN_BYTES  (256u << 10)
#define DATE_MAX_CANDS   48

int32_t reader_doc_date(const char *text, size_t n, const char *name, pk_date_source *from)
{
    int32_t cand[DATE_MAX_CANDS];
    int score[DATE_MAX_CANDS], strong[DATE_MAX_CANDS];
    int nc = 0;
    int32_t keyed = PK_NODATE;
    size_t i = 0;
    int line = 0;
    while (i < n && i < DATE_SCAN_BYTES) {
        const char *nl = memchr(text + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - text) : n;
        const char *l = text + i;
        size_t ln = e - i;
        size_t sl = ln < 1000 ? ln : 1000;      /* a line of a megabyte is not a header */
        date_match m;
        if (keyed == PK_NODATE && ln > 5 && memcmp(l, "date\t", 5) == 0) {
            if (date_find(l, sl, 5, 0, &m) && m.y) keyed = date_days(m.y, m.m, m.d);
        }
        int labelled = sl > 4 && date_label(l, sl);
        if (i < DATE_TOP_BYTES || labelled) {
            size_t from_off = 0;
            int cues = -1;
            while (nc < DATE_MAX_CANDS && from_off < sl && date_find(l, sl, from_off, DATE_F_NUMERIC, &m)) {
                from_off = m.end > from_off ? m.end : from_off + 1;
                if (!m.y) continue;
                int32_t d = date_days(m.y, m.m, m.d);
                if (d == PK_NODATE) continue;
                if (cues < 0) cues = (meeting_cue(l, sl) ? 1 : 0) | (other_event(l, sl) ? 2 : 0);
                int s = i < DATE_TOP_BYTES ? 60 - line : 0;
                if (s < 5) s = 5;
                if (sl && l[0] == '#') s += 25;
                if (cues & 1) s += 15;
                if (labelled) s += 40;
                if (!m.full) s -= 10;
                if (cues & 2) s -= 80;
                cand[nc] = d;
                score[nc] = s;
                strong[nc] = !(cues & 2) && ((sl && l[0] == '#') || labelled || line < 5);
                nc++;
            }
        }
        i = e + 1;
        line++;
    }
    if (keyed != PK_NODATE) { *from = PK_DATE_TEXT; return keyed; }
    /* the file name's date, when the text confirms it */
    int32_t named = PK_NODATE;
    if (name && *name && strcmp(name, "-") != 0) {
        const char *b = base_name(name);
        date_match m;
        if (date_find(b, strlen(b), 0, DATE_F_COMPACT, &m)) named = date_days(m.y, m.m, m.d);
        if (named == PK_NODATE && b > name) {
            /* the folder's name: ".../2021-08-20/protokoll.txt" */
            const char *dend = b - 1, *dst = dend;
            while (dst > name && dst[-1] != '/') dst--;
            if (date_find(dst, (size_t)(dend - dst), 0, DATE_F_COMPACT, &m)) named = date_days(m.y, m.m, m.d);
        }
    }
    int best = -1;
    for (int k = 0; k < nc; k++) {
        if (named != PK_NODATE && cand[k] == named && score[k] > -40) { *from = PK_DATE_TEXT; return named; }
        if (score[k] > 0 && (named == PK_NODATE || strong[k]) && (best < 0 || score[k] > score[best])) best = k;
    }
    if (best >= 0) { *from = PK_DATE_TEXT; return cand[best]; }
    if (named != PK_NODATE) { *from = PK_DATE_FILENAME; return named; }
    *from = PK_DATE_NONE;
    return PK_NODATE;
}

/* ------------------------------------------------------------------------------------------------
 * Documents
 * ---------------------------------------------------------------------------------------------- */

void pk_doc_free(pk_doc *doc)
{
    if (!doc) return;
    pk_free(doc->path);
    pk_free(doc->text);
    pk_free(doc);
}

static char *errf(const char *name, const char *why)
{
    return pk_sprintf("%s: %s", name && *name ? name : "(memory)", why);
}

/* Raw bytes (gunzipped already) to a document. */
static pk_status doc_build(const char *name, const uint8_t *raw, size_t n, uint32_t repairs, int64_t mtime,
                           pk_doc **out, char *why, size_t wl)
{
    pk_buf dec;
    buf_init(&dec);
    int needs_nfc = 0, markup_nfc = 0;
    pk_status st = decode_text(raw, n, &dec, &repairs, &needs_nfc, why, wl);
    if (st != PK_OK) {
        if (st == PK_ENOMEM) snprintf(why, wl, "out of memory");
        buf_free(&dec);
        return st;
    }
    if (buf_reserve(&dec, 0)) { buf_free(&dec); snprintf(why, wl, "out of memory"); return PK_ENOMEM; }
    int f = markup_format_of_name(name);
    if (f < 0) f = (int)markup_sniff((const char *)dec.p, dec.n);
    pk_buf text;
    buf_init(&text);
    if (f == PK_FMT_TEXT) {
        dec.n = reader_tidy_text((char *)dec.p, dec.n);
        dec.p[dec.n] = 0;
        text = dec;
        buf_init(&dec);
    } else {
        if (buf_reserve(&text, dec.n / 2 + 64)) st = PK_ENOMEM;
        else st = markup_reduce((pk_format)f, (const char *)dec.p, dec.n, &text, &markup_nfc);
        buf_free(&dec);
        /* the reducers cut only at ASCII bytes; a last check keeps that promise whatever happens */
        if (st == PK_OK) {
            long bad = decode_enforce_utf8(&text);
            if (bad < 0) st = PK_ENOMEM;
#ifdef PK_FUZZ_STRICT
            if (bad > 0) abort();   /* fuzzing: a reducer cut a character in two */
#endif
        }
        if (st != PK_OK) { buf_free(&text); snprintf(why, wl, "out of memory"); return st; }
    }
    /* markup may write characters of its own (LaTeX accents, entities, \u{...} escapes) */
    if (needs_nfc || markup_nfc || f != PK_FMT_TEXT) {
        int changed = 0;
        if (decode_nfc(&text, &changed) != PK_OK) { buf_free(&text); snprintf(why, wl, "out of memory"); return PK_ENOMEM; }
        if (changed && needs_nfc) repairs |= PK_REPAIR_NFC;
    }
    if (buf_reserve(&text, 0)) { buf_free(&text); snprintf(why, wl, "out of memory"); return PK_ENOMEM; }
    text.p[text.n] = 0;
    pk_doc *d = pk_calloc(1, sizeof *d);
    char *path = pk_strdup(name ? name : "");
    if (!d || !path) {
        pk_free(d);
        pk_free(path);
        buf_free(&text);
        snprintf(why, wl, "out of memory");
        return PK_ENOMEM;
    }
    d->path = path;
    d->len = text.n;
    d->text = (char *)text.p;
    d->raw_len = n;
    d->hash = pk_hash64(raw, n);
    d->mtime = mtime;
    d->format = (pk_format)f;
    d->repairs = repairs;
    d->date = reader_doc_date(d->text, d->len, name, &d->date_from);
    *out = d;
    return PK_OK;
}

pk_status pk_doc_from_memory(const char *name, const uint8_t *p, size_t n, pk_doc **out, char **err)
{
    *out = NULL;
    if (err) *err = NULL;
    char why[256] = "";
    pk_status st;
    static const uint8_t empty[1] = {0};
    if (!p) { p = empty; n = 0; }
    if (is_gzip(p, n)) {
        pk_buf raw;
        buf_init(&raw);
        gunz g;
        st = gz_init(&g, why, sizeof why);
        if (st == PK_OK) st = gz_feed(&g, p, n, &raw, max_doc_bytes, why, sizeof why);
        if (st == PK_OK) st = gz_finish(&g, why, sizeof why);
        gz_end(&g);
        if (st == PK_OK)
            st = doc_build(name, raw.p ? raw.p : empty, raw.n, PK_REPAIR_GZIP, 0, out, why, sizeof why);
        buf_free(&raw);
    } else if (n > max_doc_bytes) {
        snprintf(why, sizeof why, "larger than %zu MiB", max_doc_bytes >> 20);
        st = PK_ELIMIT;
    } else {
        st = doc_build(name, p, n, 0, 0, out, why, sizeof why);
    }
    if (st != PK_OK && err) *err = errf(name, why);
    return st;
}

/* Read into b->p[b->n..) up to want bytes (fewer at the end of the file); -1 with errno on error. */
static ssize_t read_into(int fd, pk_buf *b, size_t want)
{
    size_t got = 0;
    while (got < want) {
        ssize_t r = read(fd, b->p + b->n + got, want - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    b->n += got;
    return (ssize_t)got;
}

/* Read a file descriptor to its end: plain bytes, or gunzipped when it starts with the gzip magic.
 * size_hint is the file's size when known (0 otherwise): a plain file is then read straight into
 * raw, without a copy. */
static pk_status read_fd(int fd, size_t size_hint, pk_buf *raw, int *gz, char *why, size_t wl)
{
    *gz = 0;
    if (size_hint > 0 && size_hint <= max_doc_bytes) {
        /* the whole file and one byte more (which also tells that it did not grow) */
        if (buf_reserve(raw, size_hint + 1)) { snprintf(why, wl, "out of memory"); return PK_ENOMEM; }
        ssize_t r = read_into(fd, raw, size_hint + 1);
        if (r < 0) { snprintf(why, wl, "%s", strerror(errno)); return PK_EIO; }
        if (raw->n >= 2 && is_gzip(raw->p, raw->n)) {
            /* inflate what was read, then stream the rest */
            pk_buf in = *raw;
            buf_init(raw);
            gunz g;
            pk_status st = gz_init(&g, why, wl);
            if (st == PK_OK) st = gz_feed(&g, in.p, in.n, raw, max_doc_bytes, why, wl);
            while (st == PK_OK && (size_t)r == size_hint + 1) {
                in.n = 0;
                r = read_into(fd, &in, in.cap - 1 < READ_CHUNK ? in.cap - 1 : READ_CHUNK);
                if (r < 0) { snprintf(why, wl, "%s", strerror(errno)); st = PK_EIO; break; }
                if (r == 0) break;
                st = gz_feed(&g, in.p, in.n, raw, max_doc_bytes, why, wl);
            }
            if (st == PK_OK) st = gz_finish(&g, why, wl);
            if (g.inited) gz_end(&g);
            buf_free(&in);
            *gz = 1;
            return st;
        }
        if ((size_t)r <= size_hint) return PK_OK;
        /* the file grew while being read: go on in chunks */
    }
    uint8_t *chunk = pk_malloc(READ_CHUNK);
    if (!chunk) { snprintf(why, wl, "out of memory"); return PK_ENOMEM; }
    gunz g;
    int ginit = 0, first = raw->n == 0;
    pk_status st = PK_OK;
    for (;;) {
        ssize_t r = read(fd, chunk, READ_CHUNK);
        if (r < 0) {
            if (errno == EINTR) continue;
            snprintf(why, wl, "%s", strerror(errno));
            st = PK_EIO;
            break;
        }
        if (first) {
            first = 0;
            if (r >= 2 && is_gzip(chunk, (size_t)r)) {
                *gz = 1;
                st = gz_init(&g, why, wl);
                if (st != PK_OK) break;
                ginit = 1;
            }
        }
        if (r == 0) break;
        if (*gz) {
            st = gz_feed(&g, chunk, (size_t)r, raw, max_doc_bytes, why, wl);
            if (st != PK_OK) break;
        } else {
            if (raw->n + (size_t)r > max_doc_bytes) {
                snprintf(why, wl, "larger than %zu MiB", max_doc_bytes >> 20);
                st = PK_ELIMIT;
                break;
            }
            buf_put(raw, chunk, (size_t)r);
            if (raw->err) { snprintf(why, wl, "out of memory"); st = PK_ENOMEM; break; }
        }
    }
    if (st == PK_OK && *gz) st = gz_finish(&g, why, wl);
    if (ginit) gz_end(&g);
    pk_free(chunk);
    return st;
}

static pk_status status_of_errno(int e)
{
    if (e == ENOENT || e == ENOTDIR) return PK_ENOENT;
    if (e == ENOMEM) return PK_ENOMEM;
    if (e == ELOOP) return PK_ELIMIT;
    return PK_EIO;
}

#define SCRATCH_KEEP (4u << 20)   /* a reader keeps a read buffer up to this size between files */

/* Read one path (a file or "-") into a document; why gets the reason on failure.  scratch, when
 * not NULL, is a buffer to read into that the caller keeps between calls. */
static pk_status read_one(const char *path, pk_buf *scratch, pk_doc **out, char *why, size_t wl)
{
    int fd;
    int64_t mtime = 0;
    size_t size_hint = 0;
    if (strcmp(path, "-") == 0) {
        fd = 0;
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            snprintf(why, wl, "%s", e == ELOOP ? "symbolic link loop" : strerror(e));
            return status_of_errno(e);
        }
        struct stat st;
        if (fstat(fd, &st) == 0) {
            if (S_ISDIR(st.st_mode)) { close(fd); snprintf(why, wl, "is a folder"); return PK_EINVAL; }
            mtime = (int64_t)st.st_mtime;
            if (S_ISREG(st.st_mode) && st.st_size > 0) size_hint = (size_t)st.st_size;
            if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > (uint64_t)max_doc_bytes && st.st_size > 2) {
                /* a plain file beyond the limit is refused unread; gzip is judged by what it inflates to */
                uint8_t m[2];
                if (pread(fd, m, 2, 0) != 2 || !is_gzip(m, 2)) {
                    close(fd);
                    snprintf(why, wl, "larger than %zu MiB", max_doc_bytes >> 20);
                    return PK_ELIMIT;
                }
            }
        }
    }
    pk_buf local, *raw = scratch ? scratch : &local;
    if (scratch) {
        scratch->n = 0;
        scratch->err = 0;
    } else {
        buf_init(&local);
    }
    int gz = 0;
    pk_status st = read_fd(fd, size_hint, raw, &gz, why, wl);
    if (fd != 0) close(fd);
    if (st == PK_OK) {
        static const uint8_t empty[1] = {0};
        st = doc_build(path, raw->p ? raw->p : empty, raw->n, gz ? PK_REPAIR_GZIP : 0, mtime, out, why, wl);
    }
    if (!scratch || raw->cap > SCRATCH_KEEP) buf_free(raw);
    return st;
}

pk_status pk_doc_read_file(const char *path, pk_doc **out, char **err)
{
    *out = NULL;
    if (err) *err = NULL;
    char why[256] = "";
    if (!path) {
        if (err) *err = pk_strdup("(null): no path");
        return PK_EINVAL;
    }
    pk_status st = read_one(path, NULL, out, why, sizeof why);
    if (st != PK_OK && err) *err = errf(path, why);
    return st;
}

/* ------------------------------------------------------------------------------------------------
 * The reader: a queue of paths and a stack of open folders
 * ---------------------------------------------------------------------------------------------- */

typedef struct folder {
    char   *path;
    char  **names;
    size_t  n, pos;
    dev_t   dev;
    ino_t   ino;
} folder;

struct pk_reader {
    char   **queue;
    size_t   nq, capq, qpos;
    folder   stack[MAX_FOLDERS];
    int      depth;
    pk_buf   scratch;     /* read buffer kept between files */
    pk_msg   msg;
};

pk_status pk_reader_new(pk_reader **out)
{
    *out = pk_calloc(1, sizeof **out);
    return *out ? PK_OK : PK_ENOMEM;
}

static void folder_free(folder *f)
{
    for (size_t i = 0; i < f->n; i++) pk_free(f->names[i]);
    pk_free(f->names);
    pk_free(f->path);
    memset(f, 0, sizeof *f);
}

void pk_reader_free(pk_reader *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nq; i++) pk_free(r->queue[i]);
    pk_free(r->queue);
    while (r->depth > 0) folder_free(&r->stack[--r->depth]);
    buf_free(&r->scratch);
    pk_free(r);
}

pk_status pk_reader_add(pk_reader *r, const char *path)
{
    if (!path || !*path) { msg_set(&r->msg, "empty path"); return PK_EINVAL; }
    if (r->nq == r->capq) {
        size_t nc = r->capq ? r->capq * 2 : 8;
        char **nq = pk_reallocarray(r->queue, nc, sizeof *nq);
        if (!nq) { msg_set(&r->msg, "out of memory"); return PK_ENOMEM; }
        r->queue = nq;
        r->capq = nc;
    }
    char *s = pk_strdup(path);
    if (!s) { msg_set(&r->msg, "out of memory"); return PK_ENOMEM; }
    r->queue[r->nq++] = s;
    return PK_OK;
}

const char *pk_reader_errmsg(const pk_reader *r) { return r ? r->msg.text : "no reader"; }

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *join_path(const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/') dl--;
    if (dl == 1 && dir[0] == '/') return pk_sprintf("/%s", name);
    return pk_sprintf("%.*s/%s", (int)dl, dir, name);
}

/* Open a folder onto the stack.  PK_OK, or a status with the message set. */
static pk_status push_folder(pk_reader *r, const char *path, const struct stat *st)
{
    for (int i = 0; i < r->depth; i++) {
        if (r->stack[i].dev == st->st_dev && r->stack[i].ino == st->st_ino) {
            msg_set(&r->msg, "%s: symbolic link loop (leads back to %s)", path, r->stack[i].path);
            return PK_ELIMIT;
        }
    }
    if (r->depth >= MAX_FOLDERS) {
        msg_set(&r->msg, "%s: folders nested deeper than %d levels", path, MAX_FOLDERS);
        return PK_ELIMIT;
    }
    DIR *d = opendir(path);
    if (!d) {
        int e = errno;
        msg_set(&r->msg, "%s: %s", path, strerror(e));
        return status_of_errno(e);
    }
    folder f;
    memset(&f, 0, sizeof f);
    f.dev = st->st_dev;
    f.ino = st->st_ino;
    f.path = pk_strdup(path);
    size_t cap = 0;
    struct dirent *de;
    pk_status rc = f.path ? PK_OK : PK_ENOMEM;
    while (rc == PK_OK && (errno = 0, de = readdir(d))) {
        if (de->d_name[0] == '.') continue;    /* hidden entries, "." and ".." */
        if (f.n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            char **nn = pk_reallocarray(f.names, nc, sizeof *nn);
            if (!nn) { rc = PK_ENOMEM; break; }
            f.names = nn;
            cap = nc;
        }
        f.names[f.n] = pk_strdup(de->d_name);
        if (!f.names[f.n]) { rc = PK_ENOMEM; break; }
        f.n++;
    }
    closedir(d);
    if (rc != PK_OK) {
        folder_free(&f);
        msg_set(&r->msg, "%s: out of memory", path);
        return rc;
    }
    if (f.n) qsort(f.names, f.n, sizeof *f.names, cmp_names);
    r->stack[r->depth++] = f;
    return PK_OK;
}

static pk_status fail_path(pk_reader *r, const char *path, pk_status st, const char *why)
{
    msg_set(&r->msg, "%s: %s", path, why);
    return st;
}

pk_status pk_reader_next(pk_reader *r, pk_doc **doc)
{
    *doc = NULL;
    msg_clear(&r->msg);
    char why[256];
    for (;;) {
        if (r->depth > 0) {
            folder *f = &r->stack[r->depth - 1];
            if (f->pos == f->n) {
                folder_free(f);
                r->depth--;
                continue;
            }
            const char *name = f->names[f->pos++];
            char *path = join_path(f->path, name);
            if (!path) { msg_set(&r->msg, "%s: out of memory", f->path); return PK_ENOMEM; }
            struct stat st;
            if (stat(path, &st) != 0) {
                int e = errno;
                struct stat lst;
                pk_status rc;
                if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
                    rc = fail_path(r, path, e == ELOOP ? PK_ELIMIT : PK_ENOENT,
                                   e == ELOOP ? "symbolic link loop" : "dangling symbolic link");
                else
                    rc = fail_path(r, path, status_of_errno(e), strerror(e));
                pk_free(path);
                return rc;
            }
            if (S_ISDIR(st.st_mode)) {
                pk_status rc = push_folder(r, path, &st);
                pk_free(path);
                if (rc != PK_OK) return rc;
                continue;
            }
            if (!S_ISREG(st.st_mode) || !pk_reader_wants(path)) { pk_free(path); continue; }
            why[0] = 0;
            pk_status rc = read_one(path, &r->scratch, doc, why, sizeof why);
            if (rc == PK_EDECODE && !has_extension(path)) {
                /* a name without an extension was a guess: binary files are passed over quietly */
                pk_free(path);
                continue;
            }
            if (rc != PK_OK) fail_path(r, path, rc, why);
            pk_free(path);
            return rc;
        }
        if (r->qpos >= r->nq) return PK_OK;
        const char *path = r->queue[r->qpos++];
        if (strcmp(path, "-") != 0) {
            struct stat st;
            if (stat(path, &st) != 0) {
                int e = errno;
                struct stat lst;
                if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
                    return fail_path(r, path, e == ELOOP ? PK_ELIMIT : PK_ENOENT,
                                     e == ELOOP ? "symbolic link loop" : "dangling symbolic link");
                return fail_path(r, path, status_of_errno(e), strerror(e));
            }
            if (S_ISDIR(st.st_mode)) {
                pk_status rc = push_folder(r, path, &st);
                if (rc != PK_OK) return rc;
                continue;
            }
        }
        why[0] = 0;
        pk_status rc = read_one(path, &r->scratch, doc, why, sizeof why);
        if (rc != PK_OK) fail_path(r, path, rc, why);
        return rc;
    }
}

/* ------------------------------------------------------------------------------------------------
 * JSON
 * ---------------------------------------------------------------------------------------------- */

pk_status pk_doc_json(const pk_doc *doc, int with_text, char **json)
{
    *json = NULL;
    util_install_json_alloc();
    json_t *o = json_object();
    json_t *rep = json_array();
    int bad = !o || !rep;
    if (!bad) {
        bad |= json_set_str(o, "path", doc->path);
        bad |= json_set_str(o, "format", pk_format_name(doc->format));
        bad |= json_set_date(o, "date", doc->date);
        bad |= json_set_str(o, "date_from", pk_date_source_name(doc->date_from));
        for (uint32_t f = 1; f && f <= PK_REPAIR_GZIP; f <<= 1) {
            if (!(doc->repairs & f)) continue;
            json_t *s = json_string(pk_repair_name(f));
            if (!s || json_array_append_new(rep, s)) { bad = 1; break; }
        }
        bad |= json_object_set_new(o, "repairs", rep);
        rep = NULL;
        bad |= json_set_int(o, "bytes", (long long)doc->raw_len);
        bad |= json_set_int(o, "text_bytes", (long long)doc->len);
        char h[17];
        snprintf(h, sizeof h, "%016llx", (unsigned long long)doc->hash);
        bad |= json_set_str(o, "hash", h);
        bad |= json_set_int(o, "mtime", (long long)doc->mtime);
        if (with_text) bad |= json_set_strn(o, "text", doc->text, doc->len);
    }
    if (!bad) {
        *json = json_dump_compact(o);
        bad = *json == NULL;
    }
    json_decref(rep);
    json_decref(o);
    return bad ? PK_ENOMEM : PK_OK;
}
