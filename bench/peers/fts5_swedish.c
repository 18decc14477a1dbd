/* fts5_swedish.c — an SQLite FTS5 tokenizer for Swedish: Unicode-aware lowercasing (utf8proc),
 * the Snowball Swedish stopword list, and Snowball Swedish stems (libstemmer), so that FTS5 is
 * measured with the same stemming as protokoll.  Also an auxiliary function hits(tbl) that returns
 * the number of matching phrase instances in the current row (for occurrence counts per period).
 *
 * Build:  cc -O2 -shared -fPIC -o fts5_swedish.so fts5_swedish.c -lstemmer -lutf8proc
 * Use:    .load ./fts5_swedish sqlite3_fts5swedish_init
 *         CREATE VIRTUAL TABLE t USING fts5(text, tokenize = 'swedish');
 *         SELECT hits(t) FROM t WHERE t MATCH 'elektrifier*';
 *
 * Tokens are maximal runs of letters and digits (Unicode categories L, M and N); a token longer
 * than 64 bytes is cut.  Prefix tokens of a query (FTS5_TOKENIZE_PREFIX) are lowercased but not
 * stemmed, so 'elektrifier*' means "a stem that starts with elektrifier". */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>
#include <utf8proc.h>

#define MAX_TOKEN 64

/* The Snowball project's Swedish stopword list (also Lucene's SwedishAnalyzer default set). */
static const char *const STOPWORDS[] = {
    "och", "det", "att", "i", "en", "jag", "hon", "som", "han", "på", "den", "med", "var", "sig",
    "för", "så", "till", "är", "men", "ett", "om", "hade", "de", "av", "icke", "mig", "du", "henne",
    "då", "sin", "nu", "har", "inte", "hans", "honom", "skulle", "hennes", "där", "min", "man", "ej",
    "vid", "kunde", "något", "från", "ut", "när", "efter", "upp", "vi", "dem", "vara", "vad", "över",
    "än", "dig", "kan", "sina", "här", "ha", "mot", "alla", "under", "någon", "eller", "allt",
    "mycket", "sedan", "ju", "denna", "själv", "detta", "åt", "utan", "varit", "hur", "ingen",
    "mitt", "ni", "bli", "blev", "oss", "din", "dessa", "några", "deras", "blir", "mina", "samma",
    "vilken", "er", "sådan", "vår", "blivit", "dess", "inom", "mellan", "sådant", "varför", "varje",
    "vilka", "ditt", "vem", "vilket", "sitta", "sådana", "vart", "dina", "vars", "vårt", "våra",
    "ert", "era", "vilkas"};
#define NSTOP (sizeof STOPWORDS / sizeof STOPWORDS[0])

typedef struct sv_tokenizer {
    struct sb_stemmer *stemmer;
    int                use_stopwords;
} sv_tokenizer;

static int is_stopword(const char *w, int n)
{
    for (size_t i = 0; i < NSTOP; i++)
        if ((int)strlen(STOPWORDS[i]) == n && memcmp(STOPWORDS[i], w, (size_t)n) == 0) return 1;
    return 0;
}

static int is_word_char(utf8proc_int32_t c)
{
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return 1;
    default:
        return 0;
    }
}

/* xCreate: arguments "nostop" turns the stopword list off. */
static int sv_create(void *ctx, const char **argv, int argc, Fts5Tokenizer **out)
{
    (void)ctx;
    sv_tokenizer *t = sqlite3_malloc(sizeof *t);
    if (!t) return SQLITE_NOMEM;
    t->use_stopwords = 1;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "nostop") == 0) t->use_stopwords = 0;
        else { sqlite3_free(t); return SQLITE_ERROR; }
    t->stemmer = sb_stemmer_new("swedish", "UTF_8");
    if (!t->stemmer) { sqlite3_free(t); return SQLITE_ERROR; }
    *out = (Fts5Tokenizer *)t;
    return SQLITE_OK;
}

static void sv_delete(Fts5Tokenizer *p)
{
    sv_tokenizer *t = (sv_tokenizer *)p;
    if (!t) return;
    sb_stemmer_delete(t->stemmer);
    sqlite3_free(t);
}

static int sv_tokenize(Fts5Tokenizer *p, void *ctx, int flags, const char *text, int ntext,
                       int (*emit)(void *, int, const char *, int, int, int))
{
    sv_tokenizer *t = (sv_tokenizer *)p;
    const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)text;
    utf8proc_ssize_t n = ntext, i = 0;
    char buf[MAX_TOKEN + 8];
    while (i < n) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate(s + i, n - i, &c);
        if (k <= 0) { i++; continue; }          /* an invalid byte separates tokens */
        if (!is_word_char(c)) { i += k; continue; }
        int start = (int)i, len = 0;
        while (i < n) {
            k = utf8proc_iterate(s + i, n - i, &c);
            if (k <= 0 || !is_word_char(c)) break;
            utf8proc_uint8_t enc[4];
            utf8proc_ssize_t e = utf8proc_encode_char(utf8proc_tolower(c), enc);
            if (len + e <= MAX_TOKEN) { memcpy(buf + len, enc, (size_t)e); len += (int)e; }
            i += k;
        }
        if (t->use_stopwords && !(flags & FTS5_TOKENIZE_PREFIX) && is_stopword(buf, len)) continue;
        const char *tok = buf;
        int toklen = len;
        if (!(flags & FTS5_TOKENIZE_PREFIX)) {
            const sb_symbol *st = sb_stemmer_stem(t->stemmer, (const sb_symbol *)buf, len);
            if (!st) return SQLITE_NOMEM;
            tok = (const char *)st;
            toklen = sb_stemmer_length(t->stemmer);
        }
        int rc = emit(ctx, 0, tok, toklen, start, (int)i);
        if (rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
}

/* hits(tbl): number of phrase instances matched in this row. */
static void sv_hits(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nval,
                    sqlite3_value **vals)
{
    (void)nval; (void)vals;
    int n = 0;
    int rc = api->xInstCount(fts, &n);
    if (rc != SQLITE_OK) { sqlite3_result_error_code(ctx, rc); return; }
    sqlite3_result_int(ctx, n);
}

static fts5_api *fts5_api_of(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
        sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return api;
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_fts5swedish_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *routines);

int sqlite3_fts5swedish_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *routines)
{
    SQLITE_EXTENSION_INIT2(routines);
    fts5_api *api = fts5_api_of(db);
    if (!api || api->iVersion < 2) {
        if (errmsg) *errmsg = sqlite3_mprintf("fts5_swedish: this SQLite has no FTS5 (version 2)");
        return SQLITE_ERROR;
    }
    fts5_tokenizer tok = {sv_create, sv_delete, sv_tokenize};
    int rc = api->xCreateTokenizer(api, "swedish", NULL, &tok, NULL);
    if (rc == SQLITE_OK) rc = api->xCreateFunction(api, "hits", NULL, sv_hits, NULL);
    return rc;
}
