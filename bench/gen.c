/* gen.c — a deterministic generator of Swedish meeting minutes with planted topics and recorded truth.
 *
 *   gen -o DIR (--mb N | --docs N) [--seed S] [--words PATH|none] [--from YEAR] [--to YEAR] [-q]
 *
 * Writes DIR/minutes/<body>/<year>/<date>_<body>_<n>.{txt,md} and the truth beside them:
 *   DIR/truth/summary.json   parameters, bodies, and every planted topic with its surface forms, the
 *                            class of each form and its Snowball Swedish stem (libstemmer)
 *   DIR/truth/topics.tsv     year, body, topic, class -> documents and occurrences
 *   DIR/truth/docs.tsv       year, body -> documents and bytes
 *   DIR/truth/meetings.jsonl per meeting: the planted meeting, participants, agenda, decisions,
 *                            follow-ups, upcoming meetings, signatures and topic counts; every text
 *                            field is a slice of the file, with its byte span
 *
 * Document n depends only on the seed, n and the word list, so a smaller archive is a prefix of a
 * larger one with the same seed, and the same arguments always give byte-identical files.
 * One megabyte is 1,000,000 bytes. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include <libstemmer.h>

/* ================================================================================================
 * Small utilities: fatal errors, a growable byte buffer, a random generator, dates.
 * ============================================================================================== */

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
    va_list ap;
    fputs("gen: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory (%zu bytes)", n);
    return p;
}

static void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) die("out of memory");
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) die("out of memory (%zu bytes)", n);
    return q;
}

typedef struct sbuf { char *p; size_t n, cap; } sbuf;

static void sb_reserve(sbuf *b, size_t extra)
{
    if (b->n + extra <= b->cap) return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + extra) cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

static void sb_put(sbuf *b, const char *s, size_t n)
{
    sb_reserve(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void sb_puts(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }
static void sb_putc(sbuf *b, char c) { sb_reserve(b, 1); b->p[b->n++] = c; }

static void sb_putu(sbuf *b, unsigned long v)
{
    char tmp[24];
    int i = 0;
    do { tmp[i++] = (char)('0' + v % 10); v /= 10; } while (v);
    sb_reserve(b, (size_t)i);
    while (i) b->p[b->n++] = tmp[--i];
}

static void sb_put0(sbuf *b, unsigned v, int width)   /* zero-padded decimal */
{
    char tmp[16];
    int i = 0;
    do { tmp[i++] = (char)('0' + v % 10); v /= 10; } while (v || i < width);
    sb_reserve(b, (size_t)i);
    while (i) b->p[b->n++] = tmp[--i];
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) die("formatting failed");
    sb_reserve(b, (size_t)k + 1);
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

/* JSON string (with quotes) of bytes that are valid UTF-8. */
static void sb_json(sbuf *b, const char *s, size_t n)
{
    sb_reserve(b, n + 2);
    b->p[b->n++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') { sb_putc(b, '\\'); sb_putc(b, (char)c); }
        else if (c == '\n') sb_puts(b, "\\n");
        else if (c == '\t') sb_puts(b, "\\t");
        else if (c < 0x20) sb_printf(b, "\\u%04x", c);
        else sb_putc(b, (char)c);
    }
    sb_putc(b, '"');
}

static void sb_jsonz(sbuf *b, const char *s)
{
    if (s) sb_json(b, s, strlen(s));
    else sb_puts(b, "null");
}

/* xoshiro256** seeded through splitmix64. */
typedef struct rng { uint64_t s[4]; } rng;

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t x = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull) * 0xc2b2ae3d27d4eb4full ^
                 (c + 1) * 0x165667b19e3779f9ull;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return out;
}

/* Uniform in [0, n). */
static inline uint32_t rbelow(rng *r, uint32_t n) { return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32); }
/* Uniform in [lo, hi]. */
static inline int rrange(rng *r, int lo, int hi) { return lo + (int)rbelow(r, (uint32_t)(hi - lo + 1)); }
static inline double runit(rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }
static inline int rchance(rng *r, double p) { return runit(r) < p; }

/* Poisson draw by inversion (small means only). */
static int rpoisson(rng *r, double mean)
{
    double l = exp(-mean), p = 1.0;
    int k = 0;
    do { k++; p *= runit(r); } while (p > l && k < 64);
    return k - 1;
}

#define PICK(r, arr) (arr[rbelow((r), (uint32_t)(sizeof(arr) / sizeof(arr[0])))])
#define COUNT(arr) ((int)(sizeof(arr) / sizeof(arr[0])))

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
static int32_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int32_t z, int *y, int *m, int *d)
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp + (mp < 10 ? 3 : -9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* 0 = Monday ... 6 = Sunday. */
static int weekday(int32_t days) { return (int)(((days % 7) + 7 + 3) % 7); }

static const char *const MONTHS[12] = {
    "januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
    "oktober", "november", "december"};
static const char *const WEEKDAYS_DEF[7] = {
    "måndagen", "tisdagen", "onsdagen", "torsdagen", "fredagen", "lördagen", "söndagen"};

static void sb_iso(sbuf *b, int32_t days)
{
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    sb_put0(b, (unsigned)y, 4); sb_putc(b, '-'); sb_put0(b, (unsigned)m, 2); sb_putc(b, '-');
    sb_put0(b, (unsigned)d, 2);
}

static void iso_str(char out[11], int32_t days)
{
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

/* Minutes after midnight as "HH:MM" (the truth's form). */
static void hhmm_str(char out[6], int min)
{
    unsigned h = (unsigned)(min / 60) % 100u, m = (unsigned)(min % 60);
    out[0] = (char)('0' + h / 10); out[1] = (char)('0' + h % 10); out[2] = ':';
    out[3] = (char)('0' + m / 10); out[4] = (char)('0' + m % 10); out[5] = 0;
}

/* ================================================================================================
 * UTF-8 helpers for the Latin-1 range that Swedish needs.
 * ============================================================================================== */

/* Uppercase the first letter at p (ASCII or a two-byte Latin-1 supplement letter) in place. */
static void cap_at(char *p, size_t avail)
{
    unsigned char c = (unsigned char)p[0];
    if (c >= 'a' && c <= 'z') p[0] = (char)(c - 32);
    else if (c == 0xC3 && avail > 1) {
        unsigned char c2 = (unsigned char)p[1];
        if (c2 >= 0xA0 && c2 <= 0xBE && c2 != 0xB7) p[1] = (char)(c2 - 0x20);
    }
}

/* Lowercase ASCII and Latin-1 supplement letters of a UTF-8 string into out (same length). */
static void lower_utf8(const char *s, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z') out[i] = (char)(c + 32);
        else if (c == 0xC3 && i + 1 < n) {
            unsigned char c2 = (unsigned char)s[i + 1];
            out[i] = (char)c;
            out[i + 1] = (char)((c2 >= 0x80 && c2 <= 0x9E && c2 != 0x97) ? c2 + 0x20 : c2);
            i++;
        } else out[i] = (char)c;
    }
}

/* Folder-safe ASCII slug: lowercase, å ä -> a, ö -> o, é -> e, anything else -> '-'. */
static void slugify(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    int dash = 0;
    for (size_t i = 0; s[i] && o + 2 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        char w = 0;
        if (c >= 'a' && c <= 'z') w = (char)c;
        else if (c >= 'A' && c <= 'Z') w = (char)(c + 32);
        else if (c >= '0' && c <= '9') w = (char)c;
        else if (c == 0xC3 && s[i + 1]) {
            unsigned char c2 = (unsigned char)s[++i];
            if (c2 == 0xA5 || c2 == 0xA4 || c2 == 0x85 || c2 == 0x84) w = 'a';
            else if (c2 == 0xB6 || c2 == 0x96) w = 'o';
            else if (c2 == 0xA9 || c2 == 0x89) w = 'e';
            else if (c2 == 0xBC || c2 == 0x9C) w = 'u';
        }
        if (w) { out[o++] = w; dash = 0; }
        else if (!dash && o) { out[o++] = '-'; dash = 1; }
    }
    while (o && out[o - 1] == '-') o--;
    out[o] = 0;
}

/* ================================================================================================
 * Planted topics.  Each has surface forms in four classes; the generator counts every form it
 * writes.  No other text it writes (templates, names, word list) contains a topic's marker.
 * ============================================================================================== */

enum { CL_WORD, CL_HEAD, CL_TAIL, CL_VERB, NCLASS };
static const char *const CLASS_NAMES[NCLASS] = {"word", "head", "tail", "verb"};

enum { SH_RISING, SH_FLAT, SH_FALLING, SH_EVERYWHERE, SH_PEAK };
static const char *const SHAPE_NAMES[] = {"rising", "flat", "falling", "everywhere", "peak"};

#define MAXFORMS 40

typedef struct topic {
    const char *name;       /* the topic query, e.g. "elektrifiering" */
    const char *marker;     /* substring that occurs in every form and nowhere else in the output */
    const char *prefix;     /* the prefix query's text, e.g. "elektrifier" for 'elektrifier*' */
    int         shape;
    double      p0, p1;     /* document probability parameters (see topic_prob) */
    double      k0, k1;     /* mean mentions per mentioning document parameters */
    const char *forms[NCLASS][12];
    /* filled at start-up */
    int         nform;
    const char *form[MAXFORMS];
    uint8_t     flen[MAXFORMS];
    uint8_t     fclass[MAXFORMS];
    uint8_t     fexact[MAXFORMS];   /* Snowball stem equals the stem of name */
    uint8_t     fprefix[MAXFORMS];  /* Snowball stem starts with prefix */
    char       *fstem[MAXFORMS];
    char       *stem;
    int         title_forms[MAXFORMS], ntitle;  /* word/head forms: usable as a first mention */
} topic;

static topic TOPICS[] = {
    {"elektrifiering", "elektrifi", "elektrifier", SH_RISING, 0.015, 0.55, 1.0, 7.0,
     {{"elektrifiering", "elektrifieringen", "elektrifieringar", "elektrifieringarna",
       "elektrifieringens"},
      {"elektrifieringsfrågan", "elektrifieringsfrågor", "elektrifieringsfrågorna",
       "elektrifieringslöftet", "elektrifieringslöften", "elektrifieringsplanen",
       "elektrifieringsarbetet", "elektrifieringsprojektet", "elektrifieringsstrategin",
       "elektrifieringstakten"},
      {"järnvägselektrifiering", "järnvägselektrifieringen", "fordonselektrifiering",
       "fordonselektrifieringen"},
      {"elektrifiera", "elektrifieras", "elektrifierade", "elektrifierad", "elektrifierat"}},
     0, {0}, {0}, {0}, {0}, {0}, {0}, NULL, {0}, 0},
    {"kollektivtrafik", "kollektivtrafik", "kollektivtrafik", SH_FLAT, 0.22, 0.0, 2.5, 0.0,
     {{"kollektivtrafik", "kollektivtrafiken", "kollektivtrafikens"},
      {"kollektivtrafikplan", "kollektivtrafikplanen", "kollektivtrafiknämnden",
       "kollektivtrafikförsörjningen", "kollektivtrafikresor"},
      {0}, {0}},
     0, {0}, {0}, {0}, {0}, {0}, {0}, NULL, {0}, 0},
    {"fax", "fax", "fax", SH_FALLING, 0.40, 0.0, 1.6, 0.0,
     {{"fax", "faxen", "faxar", "faxarna"},
      {"faxnummer", "faxnumret", "faxmeddelande", "faxmeddelanden"},
      {"telefax", "telefaxen"}, {0}},
     0, {0}, {0}, {0}, {0}, {0}, {0}, NULL, {0}, 0},
    {"budget", "budget", "budget", SH_EVERYWHERE, 0.90, 0.0, 3.5, 0.0,
     {{"budget", "budgeten", "budgetar", "budgetens", "budgetarna"},
      {"budgetuppföljning", "budgetuppföljningen", "budgetförslaget", "budgetramen",
       "budgetramarna", "budgetprocessen", "budgetåret", "budgetunderlaget"},
      {"investeringsbudget", "investeringsbudgeten", "driftbudget", "driftbudgeten", "årsbudget",
       "årsbudgeten"},
      {"budgetera", "budgeterade", "budgeterat"}},
     0, {0}, {0}, {0}, {0}, {0}, {0}, NULL, {0}, 0},
    {"bredband", "bredband", "bredband", SH_PEAK, 0.02, 0.30, 2.0, 0.0,
     {{"bredband", "bredbandet", "bredbanden"},
      {"bredbandsutbyggnad", "bredbandsutbyggnaden", "bredbandsstrategi", "bredbandsstrategin",
       "bredbandsnätet", "bredbandsanslutning"},
      {0}, {0}},
     0, {0}, {0}, {0}, {0}, {0}, {0}, NULL, {0}, 0},
};
#define NTOPIC COUNT(TOPICS)

/* Probability that a meeting of year y mentions topic t, before the body's factor. */
static double topic_prob(const topic *t, int y, int y0, int y1)
{
    double x = y1 > y0 ? (double)(y - y0) / (double)(y1 - y0) : 0.5;
    switch (t->shape) {
    case SH_RISING:     return t->p0 + t->p1 * x * x;
    case SH_FALLING:    return t->p0 * (1 - x) * (1 - x) * (1 - x);
    case SH_PEAK:       { double z = (y - (y0 + (y1 - y0) * 0.32)) / 4.0; return t->p0 + t->p1 * exp(-z * z); }
    default:            return t->p0;
    }
}

static double topic_mean(const topic *t, int y, int y0, int y1)
{
    double x = y1 > y0 ? (double)(y - y0) / (double)(y1 - y0) : 0.5;
    return t->shape == SH_RISING ? t->k0 + t->k1 * x : t->k0;
}

static char *stem_word(struct sb_stemmer *st, const char *w)
{
    const sb_symbol *s = sb_stemmer_stem(st, (const sb_symbol *)w, (int)strlen(w));
    if (!s) die("libstemmer failed on %s", w);
    int n = sb_stemmer_length(st);
    char *out = xmalloc((size_t)n + 1);
    memcpy(out, s, (size_t)n);
    out[n] = 0;
    return out;
}

static void topics_init(void)
{
    struct sb_stemmer *st = sb_stemmer_new("swedish", "UTF_8");
    if (!st) die("libstemmer has no Swedish stemmer");
    for (int t = 0; t < NTOPIC; t++) {
        topic *tp = &TOPICS[t];
        tp->stem = stem_word(st, tp->name);
        for (int c = 0; c < NCLASS; c++)
            for (int i = 0; i < 12 && tp->forms[c][i]; i++) {
                int k = tp->nform++;
                if (k >= MAXFORMS) die("too many forms");
                tp->form[k] = tp->forms[c][i];
                tp->flen[k] = (uint8_t)strlen(tp->form[k]);
                tp->fclass[k] = (uint8_t)c;
                tp->fstem[k] = stem_word(st, tp->form[k]);
                tp->fexact[k] = c == CL_WORD && strcmp(tp->fstem[k], tp->stem) == 0;
                tp->fprefix[k] = strncmp(tp->fstem[k], tp->prefix, strlen(tp->prefix)) == 0;
                if (!strstr(tp->form[k], tp->marker)) die("form %s lacks marker %s", tp->form[k], tp->marker);
                if (c == CL_WORD || c == CL_HEAD) tp->title_forms[tp->ntitle++] = k;
            }
    }
    sb_stemmer_delete(st);
}

/* Does s contain any topic's marker (case-insensitively for ASCII and Å Ä Ö)? */
static int has_marker(const char *s, size_t n)
{
    char low[256];
    if (n >= sizeof low) n = sizeof low - 1;
    lower_utf8(s, n, low);
    low[n] = 0;
    for (int t = 0; t < NTOPIC; t++)
        if (strstr(low, TOPICS[t].marker)) return 1;
    return 0;
}

/* ================================================================================================
 * Vocabulary: a Zipfian long tail of real Swedish word forms, grouped into inflection families.
 * ============================================================================================== */

typedef struct alias { uint32_t n; double *prob; uint32_t *alias; } alias;

static void alias_build(alias *a, const double *w, uint32_t n)
{
    a->n = n;
    a->prob = xmalloc(n * sizeof *a->prob);
    a->alias = xmalloc(n * sizeof *a->alias);
    double sum = 0;
    for (uint32_t i = 0; i < n; i++) sum += w[i];
    double *p = xmalloc(n * sizeof *p);
    uint32_t *small = xmalloc(n * sizeof *small), *large = xmalloc(n * sizeof *large), ns = 0, nl = 0;
    for (uint32_t i = 0; i < n; i++) {
        p[i] = w[i] * n / sum;
        if (p[i] < 1.0) small[ns++] = i; else large[nl++] = i;
    }
    while (ns && nl) {
        uint32_t s = small[--ns], l = large[--nl];
        a->prob[s] = p[s];
        a->alias[s] = l;
        p[l] = p[l] + p[s] - 1.0;
        if (p[l] < 1.0) small[ns++] = l; else large[nl++] = l;
    }
    while (nl) { uint32_t l = large[--nl]; a->prob[l] = 1.0; a->alias[l] = l; }
    while (ns) { uint32_t s = small[--ns]; a->prob[s] = 1.0; a->alias[s] = s; }
    free(p); free(small); free(large);
}

static inline uint32_t alias_draw(const alias *a, rng *r)
{
    uint32_t i = rbelow(r, a->n);
    return runit(r) < a->prob[i] ? i : a->alias[i];
}

typedef struct vocab {
    char     *pool;        /* UTF-8 forms, each NUL-terminated */
    uint32_t *off;         /* form i at pool + off[i] */
    uint8_t  *len;
    uint32_t  nform;
    uint32_t *lem_first;   /* family k: forms lem_first[k] .. + lem_n[k] - 1, base form first */
    uint8_t  *lem_n;
    uint32_t  nlem;
    alias     all;         /* Zipf over families */
    alias     nouns;       /* Zipf over noun-like families (indices into noun_lem) */
    uint32_t *noun_lem;
    uint32_t  nnoun;
    uint64_t  source_hash; /* FNV-1a of the word list file, 0 for the built-in list */
    const char *source;
} vocab;

/* A fallback list of domain nouns, each with its inflections, when no word list is available. */
static const char *const BUILTIN_WORDS[] = {
    "arbete arbetet arbeten arbetena", "fråga frågan frågor frågorna", "förslag förslaget förslagen",
    "plan planen planer planerna", "möte mötet möten mötena", "kommun kommunen kommuner kommunerna",
    "region regionen regioner regionerna", "projekt projektet projekten", "rapport rapporten rapporter",
    "beslut beslutet besluten", "underlag underlaget underlagen", "utredning utredningen utredningar",
    "ärende ärendet ärenden ärendena", "nätverk nätverket nätverken", "avtal avtalet avtalen",
    "uppdrag uppdraget uppdragen", "samverkan", "kostnad kostnaden kostnader kostnaderna",
    "ansökan ansökningar", "insats insatsen insatser insatserna", "behov behovet behoven",
    "skola skolan skolor skolorna", "väg vägen vägar vägarna", "bostad bostaden bostäder bostäderna",
    "miljö miljön miljöer", "trafik trafiken", "station stationen stationer", "hamn hamnen hamnar",
    "cykel cykeln cyklar cyklarna", "park parken parker", "bibliotek biblioteket biblioteken",
    "förening föreningen föreningar föreningarna", "medlem medlemmen medlemmar medlemmarna",
    "styrelse styrelsen styrelser", "lokal lokalen lokaler lokalerna", "hemsida hemsidan hemsidor",
    "tidplan tidplanen tidplaner", "resultat resultatet resultaten", "prognos prognosen prognoser",
    "tjänst tjänsten tjänster tjänsterna", "personal personalen", "anställd anställda",
    "dialog dialogen dialoger", "strategi strategin strategier strategierna", "mål målet målen",
    "uppföljning uppföljningen uppföljningar", "åtgärd åtgärden åtgärder åtgärderna",
    "investering investeringen investeringar investeringarna", "område området områden områdena",
    "byggnad byggnaden byggnader byggnaderna", "anläggning anläggningen anläggningar",
    "vatten vattnet", "avlopp avloppet", "energi energin", "klimat klimatet", "elever eleverna",
    "omsorg omsorgen", "brukare brukaren brukarna", "vård vården", "kultur kulturen",
    "idrott idrotten", "fritid fritiden", "näringsliv näringslivet", "företag företaget företagen",
    "stöd stödet", "bidrag bidraget bidragen", "avgift avgiften avgifter avgifterna",
    "taxa taxan taxor taxorna", "lag lagen lagar lagarna", "regel regeln regler reglerna",
    "riktlinje riktlinjen riktlinjer riktlinjerna", "policy policyn", "rutin rutinen rutiner",
    "kontroll kontrollen kontroller", "tillsyn tillsynen", "tillstånd tillståndet",
    "information informationen", "kommunikation kommunikationen", "enkät enkäten enkäter",
    "seminarium seminariet seminarier", "konferens konferensen konferenser konferenserna",
    "workshop workshopen workshoppar", "utbildning utbildningen utbildningar",
    "remiss remissen remisser remisserna", "yttrande yttrandet yttranden", "motion motionen motioner",
};

static int valid_word(const char *w, size_t n)
{
    if (n < 2 || n > 28) return 0;
    unsigned char c0 = (unsigned char)w[0];
    if (!((c0 >= 'a' && c0 <= 'z') || c0 == 0xC3)) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (c >= 'a' && c <= 'z') continue;
        if (c == 0xC3 && i + 1 < n) {
            unsigned char c2 = (unsigned char)w[i + 1];
            if (c2 < 0xA0 || c2 == 0xB7) return 0;   /* uppercase or not a letter */
            i++;
            continue;
        }
        return 0;
    }
    return !has_marker(w, n);
}

/* Inflectional endings that keep a form in the family of the form before it. */
static int is_ending(const char *s, size_t n)
{
    static const char *const E[] = {
        "", "n", "en", "et", "t", "s", "ns", "ens", "ets", "ts", "er", "ar", "or", "r", "rs", "ers",
        "ars", "ors", "erna", "arna", "orna", "na", "nas", "ernas", "arnas", "ornas", "a", "as", "e",
        "es", "ade", "ades", "at", "ats", "ad", "de", "des", "te", "tes", "ande", "ende", "aste",
        "are", "ares", "ast", "ena", "enas", "ns", "ren", "rna", "ne", "en", "an", "ans", "ad",
        "ta", "da", "dd", "tt", "ts"};
    for (int i = 0; i < COUNT(E); i++)
        if (strlen(E[i]) == n && memcmp(E[i], s, n) == 0) return 1;
    return 0;
}

static int looks_noun(const char *base, const vocab *v, uint32_t first, uint32_t n)
{
    size_t bl = strlen(base);
    static const char *const SUF[] = {"ning", "het", "tion", "else", "skap", "ism", "itet", "ment",
                                      "eri", "ium", "ande", "ende", "ör", "are", "ist", "tur"};
    for (int i = 0; i < COUNT(SUF); i++) {
        size_t sl = strlen(SUF[i]);
        if (bl > sl + 2 && memcmp(base + bl - sl, SUF[i], sl) == 0) return 1;
    }
    for (uint32_t i = 1; i < n; i++) {   /* a definite singular form in the family */
        const char *f = v->pool + v->off[first + i];
        size_t fl = v->len[first + i];
        if (fl == bl + 2 && (memcmp(f + bl, "en", 2) == 0 || memcmp(f + bl, "et", 2) == 0)) return 1;
        if (fl == bl + 1 && base[bl - 1] == 'e' && f[bl] == 'n') return 1;
    }
    return 0;
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 0x100000001b3ull; }
    return h;
}

static int utf8_valid(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c < 0x80) { i++; continue; }
        size_t k = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : 0;
        if (!k || c > 0xF4 || i + k >= n) return 0;
        for (size_t j = 1; j <= k; j++) if ((p[i + j] & 0xC0) != 0x80) return 0;
        i += k + 1;
    }
    return 1;
}

static void vocab_add(vocab *v, sbuf *pool, uint32_t *cap, const char *w, size_t n)
{
    if (v->nform == *cap) {
        *cap = *cap ? *cap * 2 : 4096;
        v->off = xrealloc(v->off, *cap * sizeof *v->off);
        v->len = xrealloc(v->len, *cap);
    }
    v->off[v->nform] = (uint32_t)pool->n;
    v->len[v->nform] = (uint8_t)n;
    v->nform++;
    sb_put(pool, w, n);
    sb_putc(pool, 0);
}

static void vocab_load(vocab *v, const char *path, uint64_t seed)
{
    sbuf pool = {0};
    uint32_t cap = 0;
    memset(v, 0, sizeof *v);
    unsigned char *raw = NULL;
    size_t rawn = 0;
    if (path && strcmp(path, "none") != 0) {
        FILE *f = fopen(path, "rb");
        if (f) {
            size_t rcap = 1 << 20;
            raw = xmalloc(rcap);
            size_t k;
            while ((k = fread(raw + rawn, 1, rcap - rawn, f)) > 0) {
                rawn += k;
                if (rawn == rcap) { rcap *= 2; raw = xrealloc(raw, rcap); }
            }
            fclose(f);
            v->source = path;
            v->source_hash = fnv1a(raw, rawn);
        }
    }
    if (raw) {
        int latin1 = !utf8_valid(raw, rawn);
        char w[128];
        size_t i = 0;
        while (i < rawn) {
            size_t j = i;
            while (j < rawn && raw[j] != '\n') j++;
            size_t o = 0, e = j;
            if (e > i && raw[e - 1] == '\r') e--;
            for (size_t k = i; k < e && o + 2 < sizeof w; k++) {
                unsigned char c = raw[k];
                if (latin1 && c >= 0x80) { w[o++] = (char)(0xC0 | (c >> 6)); w[o++] = (char)(0x80 | (c & 0x3F)); }
                else w[o++] = (char)c;
            }
            if (valid_word(w, o)) vocab_add(v, &pool, &cap, w, o);
            i = j + 1;
        }
        free(raw);
    } else {
        v->source = "built-in";
        for (int i = 0; i < COUNT(BUILTIN_WORDS); i++) {
            const char *s = BUILTIN_WORDS[i];
            while (*s) {
                const char *e = strchr(s, ' ');
                size_t n = e ? (size_t)(e - s) : strlen(s);
                if (valid_word(s, n)) vocab_add(v, &pool, &cap, s, n);
                s += n + (e ? 1 : 0);
            }
        }
    }
    if (v->nform < 10) die("word list %s has too few usable words", path ? path : "(none)");
    v->pool = pool.p;

    /* Families: a form joins the current family when it is the family's base plus an ending. */
    v->lem_first = xmalloc(v->nform * sizeof *v->lem_first);
    v->lem_n = xmalloc(v->nform);
    for (uint32_t i = 0; i < v->nform; i++) {
        if (v->nlem) {
            uint32_t k = v->nlem - 1;
            const char *base = v->pool + v->off[v->lem_first[k]];
            size_t bl = v->len[v->lem_first[k]], fl = v->len[i];
            const char *f = v->pool + v->off[i];
            if (v->lem_n[k] < 12 && fl >= bl && memcmp(f, base, bl) == 0 && is_ending(f + bl, fl - bl)) {
                v->lem_n[k]++;
                continue;
            }
        }
        v->lem_first[v->nlem] = i;
        v->lem_n[v->nlem] = 1;
        v->nlem++;
    }

    /* Ranks: shorter base forms tend to be more frequent (with noise); Zipf-Mandelbrot weights. */
    rng r;
    rng_seed(&r, seed, 0x766f636162ull, 0);
    double *key = xmalloc(v->nlem * sizeof *key);
    uint32_t *order = xmalloc(v->nlem * sizeof *order);
    for (uint32_t k = 0; k < v->nlem; k++) {
        key[k] = 0.4 * (double)v->len[v->lem_first[k]] + 8.0 * runit(&r);
        order[k] = k;
    }
    /* sort order[] by key (heap sort: deterministic, no recursion) */
    for (uint32_t n = v->nlem, i = n / 2; i-- > 0;) {
        for (uint32_t root = i;;) {
            uint32_t c = 2 * root + 1;
            if (c >= n) break;
            if (c + 1 < n && key[order[c + 1]] > key[order[c]]) c++;
            if (key[order[root]] >= key[order[c]]) break;
            uint32_t t = order[root]; order[root] = order[c]; order[c] = t; root = c;
        }
    }
    for (uint32_t n = v->nlem; n > 1; n--) {
        uint32_t t = order[0]; order[0] = order[n - 1]; order[n - 1] = t;
        for (uint32_t root = 0, m = n - 1;;) {
            uint32_t c = 2 * root + 1;
            if (c >= m) break;
            if (c + 1 < m && key[order[c + 1]] > key[order[c]]) c++;
            if (key[order[root]] >= key[order[c]]) break;
            uint32_t t2 = order[root]; order[root] = order[c]; order[c] = t2; root = c;
        }
    }
    double *w = xmalloc(v->nlem * sizeof *w);
    for (uint32_t rank = 0; rank < v->nlem; rank++) w[order[rank]] = 1.0 / pow(rank + 2.7, 1.07);
    alias_build(&v->all, w, v->nlem);

    v->noun_lem = xmalloc(v->nlem * sizeof *v->noun_lem);
    double *wn = xmalloc(v->nlem * sizeof *wn);
    for (uint32_t k = 0; k < v->nlem; k++)
        if (looks_noun(v->pool + v->off[v->lem_first[k]], v, v->lem_first[k], v->lem_n[k])) {
            wn[v->nnoun] = w[k];
            v->noun_lem[v->nnoun++] = k;
        }
    if (v->nnoun == 0) { v->noun_lem[0] = 0; wn[0] = 1; v->nnoun = 1; }
    alias_build(&v->nouns, wn, v->nnoun);
    free(key); free(order); free(w); free(wn);
}

/* A form of family k: the base form half of the time, else another form of the family. */
static inline uint32_t vocab_form(const vocab *v, rng *r, uint32_t k)
{
    uint32_t n = v->lem_n[k];
    if (n == 1 || rchance(r, 0.5)) return v->lem_first[k];
    return v->lem_first[k] + 1 + rbelow(r, n - 1);
}

/* ================================================================================================
 * The world: regions and their municipalities, bodies, people.
 * ============================================================================================== */

typedef struct region {
    const char *name;          /* "Södertörn" */
    const char *office;        /* the shared office's name, an organisation in participant lists */
    const char *munis[8];
    int         nmuni;
} region;

static const region REGIONS[] = {
    {"Södertörn", "Södertörnskommunerna",
     {"Botkyrka", "Haninge", "Huddinge", "Nykvarn", "Nynäshamn", "Salem", "Södertälje", "Tyresö"}, 8},
    {"Göteborgsregionen", "Göteborgsregionens kansli",
     {"Mölndal", "Partille", "Lerum", "Alingsås", "Kungsbacka", "Härryda", "Öckerö", "Stenungsund"}, 8},
    {"Sundsvallsregionen", "Sundsvallsregionens kansli",
     {"Sundsvall", "Timrå", "Härnösand", "Kramfors", "Sollefteå", "Ånge", "Örnsköldsvik"}, 7},
    {"Dalarna", "Dalarnas kommunförbund",
     {"Falun", "Borlänge", "Ludvika", "Mora", "Leksand", "Rättvik", "Smedjebacken", "Gagnef"}, 8},
    {"Mälardalen", "Mälardalsrådet",
     {"Västerås", "Eskilstuna", "Enköping", "Köping", "Strängnäs", "Arboga", "Sala"}, 7},
};

enum { ST_PLAIN, ST_MARKDOWN, ST_MUNICIPAL, NSTYLE };
static const char *const STYLE_NAMES[NSTYLE] = {"plain", "markdown", "municipal"};

enum { K_LEDNING, K_SAMARBETE, K_NAMND, K_FORENING };
static const char *const KIND_NAMES[] = {"ledningsgrupp", "samarbetskommitté", "nämnd", "förening"};

typedef struct body {
    char        name[96];      /* as the minutes name it: "Södertörns samarbetskommitté", "Kommunstyrelsen" */
    char        subject[48];   /* as subject of a sentence: "Ledningsgruppen", "Kommunstyrelsen" */
    char        org[64];       /* the municipality or association ("Haninge kommun"), "" when none */
    char        id[96];        /* folder-safe unique id */
    int         style, kind, region, muni;   /* muni: index in the region, -1 if none */
    int         first_year;
    int         transport;     /* transport-heavy agenda: more elektrifiering and kollektivtrafik */
    int         dnr_style;
} body;

static const struct { const char *name, *subject; int kind, region, transport; } GROUPS[] = {
    {"Södertörnskommunernas ledningsgrupp", "Ledningsgruppen", K_LEDNING, 0, 1},
    {"Södertörns samarbetskommitté", "Samarbetskommittén", K_SAMARBETE, 0, 1},
    {"Göteborgsregionens ledningsgrupp för infrastruktur", "Ledningsgruppen", K_LEDNING, 1, 1},
    {"Sundsvallsregionens samarbetskommitté", "Samarbetskommittén", K_SAMARBETE, 2, 0},
    {"Dalarnas kommuners ledningsgrupp", "Ledningsgruppen", K_LEDNING, 3, 0},
    {"Mälardalens samarbetskommitté för infrastruktur", "Samarbetskommittén", K_SAMARBETE, 4, 1},
    {"Ledningsgruppen för Mittstråket", "Ledningsgruppen", K_LEDNING, 2, 1},
};

static const struct { const char *name; int region, muni; } COUNCILS[] = {
    {"Haninge", 0, 1}, {"Tyresö", 0, 7}, {"Mölndal", 1, 0}, {"Lerum", 1, 2},
    {"Sundsvall", 2, 0}, {"Borlänge", 3, 1}, {"Falun", 3, 0}, {"Västerås", 4, 0},
};

static const struct { const char *name; int transport; } NAMNDER[] = {
    {"Kommunstyrelsen", 1}, {"Kommunfullmäktige", 0}, {"Tekniska nämnden", 1},
    {"Miljö- och byggnadsnämnden", 0}, {"Barn- och utbildningsnämnden", 0}, {"Socialnämnden", 0},
    {"Kultur- och fritidsnämnden", 0},
};

static const struct { const char *name; int region; int transport; } ASSOCIATIONS[] = {
    {"Villaägarföreningen Tallbacken", 0, 0}, {"Hyresgästföreningen Björkhagen", 0, 0},
    {"Bostadsrättsföreningen Eken", 1, 0}, {"Hembygdsföreningen i Rättvik", 3, 0},
    {"Båtklubben Nynäshamn", 0, 0}, {"Naturskyddsföreningen i Lerum", 1, 0},
    {"Pensionärsföreningen Solstrålen", 2, 0}, {"Föreningen Tåg i Tid", 4, 1},
    {"Cyklistföreningen Falun", 3, 1}, {"Idrottsföreningen Kamraterna Mora", 3, 0},
};

static const char *const FIRST_NAMES[] = {
    "Anna", "Eva", "Maria", "Karin", "Sara", "Lena", "Kerstin", "Emma", "Ingrid", "Malin", "Helena",
    "Johanna", "Linnea", "Camilla", "Elin", "Sofia", "Ida", "Frida", "Hanna", "Ulrika", "Åsa",
    "Birgitta", "Marie", "Annika", "Helene", "Carolina", "Jenny", "Therese", "Louise", "Matilda",
    "Agneta", "Cecilia", "Gunilla", "Margareta", "Petra", "Ylva", "Erik", "Lars", "Karl", "Anders",
    "Johan", "Per", "Mikael", "Magnus", "Jan", "Hans", "Peter", "Olof", "Fredrik", "Daniel", "Mats",
    "Stefan", "Leif", "Björn", "Henrik", "Jonas", "Niklas", "Ola", "Gustav", "Oskar", "Viktor",
    "Axel", "Emil", "Göran", "Bengt", "Åke", "Tomas", "Ulf", "Kjell", "Patrik", "Rickard", "Sven"};

static const char *const LAST_NAMES[] = {
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
    "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson", "Bengtsson", "Jönsson",
    "Lindberg", "Jakobsson", "Magnusson", "Lindström", "Olofsson", "Lindqvist", "Lindgren", "Berg",
    "Axelsson", "Bergström", "Lundberg", "Lind", "Lundgren", "Lundqvist", "Mattsson", "Berglund",
    "Fredriksson", "Sandberg", "Henriksson", "Forsberg", "Sjöberg", "Wallin", "Engström", "Eklund",
    "Danielsson", "Lundin", "Håkansson", "Björk", "Bergman", "Gunnarsson", "Holm", "Wikström",
    "Samuelsson", "Isaksson", "Fransson", "Bergqvist", "Nyström", "Holmberg", "Arvidsson",
    "Löfgren", "Söderberg", "Nyberg", "Blomqvist", "Claesson", "Nordström", "Mårtensson",
    "Lundström", "Viklund", "Björklund", "Eliasson", "Pålsson", "Berggren", "Sandström", "Nordin",
    "Ström", "Åberg", "Hermansson", "Ekström", "Holmgren", "Sundberg", "Hedlund", "Dahlberg",
    "Hellström", "Sjögren", "Abrahamsson", "Öberg", "Andreasson", "Blom", "Månsson", "Strand",
    "Holmqvist", "Norberg", "Söderström", "Gyllestad", "Hollmark", "Lagneholm", "Uudelepp"};

static const char *const PARTIES[] = {"S", "M", "C", "L", "KD", "V", "MP", "SD"};
static const double PARTY_W[] = {0.30, 0.22, 0.09, 0.07, 0.07, 0.08, 0.06, 0.11};

static const char *const OFFICIALS[] = {"kommundirektör", "förvaltningschef", "ekonomichef",
                                        "kanslichef", "planeringschef", "utredare", "controller"};

typedef struct person {
    char name[64];
    char org[64];      /* "" = none */
    char role[40];     /* "" = none */
    int  group;        /* municipal: 0 beslutande, 1 ersättare, 2 övriga närvarande */
} person;

#define MAXROSTER 40
typedef struct roster {
    person p[MAXROSTER];
    int    n;
    int    chair, secretary;
} roster;

static void person_name(rng *r, roster *ro, char *out, size_t cap)
{
    for (int tries = 0;; tries++) {
        snprintf(out, cap, "%s %s", PICK(r, FIRST_NAMES), PICK(r, LAST_NAMES));
        int dup = 0;
        for (int i = 0; i < ro->n; i++) if (strcmp(ro->p[i].name, out) == 0) dup = 1;
        if (!dup || tries > 50) return;
    }
}

static person *roster_add(rng *r, roster *ro, const char *org, const char *role, int group)
{
    if (ro->n >= MAXROSTER) die("roster overflow");
    person *p = &ro->p[ro->n];
    person_name(r, ro, p->name, sizeof p->name);
    snprintf(p->org, sizeof p->org, "%s", org ? org : "");
    snprintf(p->role, sizeof p->role, "%s", role ? role : "");
    p->group = group;
    ro->n++;
    return p;
}

static const char *draw_party(rng *r)
{
    double u = runit(r), acc = 0;
    for (int i = 0; i < COUNT(PARTIES); i++) { acc += PARTY_W[i]; if (u < acc) return PARTIES[i]; }
    return PARTIES[0];
}

/* The members of a body in one term of office (four years, from 2002, 2006, ...). */
static void roster_make(roster *ro, const body *b, int term, uint64_t seed, int bi)
{
    rng r;
    rng_seed(&r, seed, 0x726f73746572ull + (uint64_t)bi, (uint64_t)term);
    memset(ro, 0, sizeof *ro);
    const region *rg = &REGIONS[b->region];
    if (b->style == ST_PLAIN) {
        int nm = rrange(&r, rg->nmuni - 2, rg->nmuni);
        int start = (int)rbelow(&r, (uint32_t)rg->nmuni);
        for (int i = 0; i < nm; i++) roster_add(&r, ro, rg->munis[(start + i) % rg->nmuni], NULL, 0);
        ro->chair = (int)rbelow(&r, (uint32_t)nm);
        strcpy(ro->p[ro->chair].role, "ordförande");
        if (b->kind == K_SAMARBETE && nm > 2) {
            int v = (ro->chair + 1) % nm;
            strcpy(ro->p[v].role, "vice ordförande");
        }
        roster_add(&r, ro, rg->office, NULL, 0);
        ro->secretary = ro->n;
        roster_add(&r, ro, rg->office, "sekreterare", 0);
    } else if (b->style == ST_MARKDOWN) {
        static const char *const ROLES[] = {"ordförande", "vice ordförande", "kassör", "sekreterare"};
        int nm = rrange(&r, 5, 9);
        for (int i = 0; i < nm; i++)
            roster_add(&r, ro, NULL, i < 4 ? ROLES[i] : (i >= nm - 1 && nm > 6 ? "suppleant" : "ledamot"), 0);
        ro->chair = 0;
        ro->secretary = 3;
    } else {
        int nm = b->kind == K_NAMND && strcmp(b->name, "Kommunfullmäktige") == 0 ? rrange(&r, 21, 27)
                                                                                 : rrange(&r, 9, 15);
        for (int i = 0; i < nm; i++)
            roster_add(&r, ro, draw_party(&r), i == 0 ? "ordförande" : i == 1 ? "vice ordförande" : "ledamot", 0);
        int ne = rrange(&r, 3, 6);
        for (int i = 0; i < ne; i++) roster_add(&r, ro, draw_party(&r), "ersättare", 1);
        int no = rrange(&r, 1, 3);
        for (int i = 0; i < no; i++) roster_add(&r, ro, NULL, OFFICIALS[i], 2);
        ro->chair = 0;
        ro->secretary = ro->n;
        roster_add(&r, ro, NULL, "sekreterare", 2);
    }
}

/* ================================================================================================
 * Curated domain vocabulary with explicit inflections: indefinite, definite, plural, definite plural.
 * ============================================================================================== */

typedef struct dnoun { const char *f[4]; } dnoun;

static const dnoun DNOUNS[] = {
    {{"detaljplan", "detaljplanen", "detaljplaner", "detaljplanerna"}},
    {{"översiktsplan", "översiktsplanen", "översiktsplaner", "översiktsplanerna"}},
    {{"verksamhetsplan", "verksamhetsplanen", "verksamhetsplaner", "verksamhetsplanerna"}},
    {{"planeringskonferens", "planeringskonferensen", "planeringskonferenser", "planeringskonferenserna"}},
    {{"remiss", "remissen", "remisser", "remisserna"}},
    {{"yttrande", "yttrandet", "yttranden", "yttrandena"}},
    {{"delårsrapport", "delårsrapporten", "delårsrapporter", "delårsrapporterna"}},
    {{"årsredovisning", "årsredovisningen", "årsredovisningar", "årsredovisningarna"}},
    {{"handlingsplan", "handlingsplanen", "handlingsplaner", "handlingsplanerna"}},
    {{"upphandling", "upphandlingen", "upphandlingar", "upphandlingarna"}},
    {{"medborgardialog", "medborgardialogen", "medborgardialoger", "medborgardialogerna"}},
    {{"trafiksäkerhetsplan", "trafiksäkerhetsplanen", "trafiksäkerhetsplaner", "trafiksäkerhetsplanerna"}},
    {{"cykelväg", "cykelvägen", "cykelvägar", "cykelvägarna"}},
    {{"tvärförbindelse", "tvärförbindelsen", "tvärförbindelser", "tvärförbindelserna"}},
    {{"infrastrukturplanering", "infrastrukturplaneringen", "infrastrukturplaneringar", "infrastrukturplaneringarna"}},
    {{"bostadsförsörjning", "bostadsförsörjningen", NULL, NULL}},
    {{"skolskjuts", "skolskjutsen", "skolskjutsar", "skolskjutsarna"}},
    {{"förskola", "förskolan", "förskolor", "förskolorna"}},
    {{"äldreomsorg", "äldreomsorgen", NULL, NULL}},
    {{"klimatstrategi", "klimatstrategin", "klimatstrategier", "klimatstrategierna"}},
    {{"energieffektivisering", "energieffektiviseringen", "energieffektiviseringar", "energieffektiviseringarna"}},
    {{"laddinfrastruktur", "laddinfrastrukturen", NULL, NULL}},
    {{"vattenförsörjning", "vattenförsörjningen", NULL, NULL}},
    {{"avfallsplan", "avfallsplanen", "avfallsplaner", "avfallsplanerna"}},
    {{"lokalförsörjning", "lokalförsörjningen", NULL, NULL}},
    {{"ledningsgruppsmöte", "ledningsgruppsmötet", "ledningsgruppsmöten", "ledningsgruppsmötena"}},
    {{"arbetsgrupp", "arbetsgruppen", "arbetsgrupper", "arbetsgrupperna"}},
    {{"styrgrupp", "styrgruppen", "styrgrupper", "styrgrupperna"}},
    {{"nätverksträff", "nätverksträffen", "nätverksträffar", "nätverksträffarna"}},
    {{"halvårsuppföljning", "halvårsuppföljningen", "halvårsuppföljningar", "halvårsuppföljningarna"}},
    {{"internkontroll", "internkontrollen", NULL, NULL}},
    {{"medlemsavgift", "medlemsavgiften", "medlemsavgifter", "medlemsavgifterna"}},
    {{"verksamhetsberättelse", "verksamhetsberättelsen", "verksamhetsberättelser", "verksamhetsberättelserna"}},
    {{"regionplan", "regionplanen", "regionplaner", "regionplanerna"}},
    {{"länsplan", "länsplanen", "länsplaner", "länsplanerna"}},
    {{"pendeltågstrafik", "pendeltågstrafiken", NULL, NULL}},
    {{"busslinje", "busslinjen", "busslinjer", "busslinjerna"}},
    {{"tågförbindelse", "tågförbindelsen", "tågförbindelser", "tågförbindelserna"}},
    {{"kompetensförsörjning", "kompetensförsörjningen", NULL, NULL}},
    {{"näringslivsstrategi", "näringslivsstrategin", "näringslivsstrategier", "näringslivsstrategierna"}},
    {{"digitalisering", "digitaliseringen", NULL, NULL}},
    {{"arbetsmiljö", "arbetsmiljön", "arbetsmiljöer", "arbetsmiljöerna"}},
    {{"sjukfrånvaro", "sjukfrånvaron", NULL, NULL}},
    {{"lönerevision", "lönerevisionen", "lönerevisioner", "lönerevisionerna"}},
    {{"investeringsplan", "investeringsplanen", "investeringsplaner", "investeringsplanerna"}},
    {{"motion", "motionen", "motioner", "motionerna"}},
    {{"medborgarförslag", "medborgarförslaget", "medborgarförslag", "medborgarförslagen"}},
    {{"ombyggnad", "ombyggnaden", "ombyggnader", "ombyggnaderna"}},
    {{"tjänsteskrivelse", "tjänsteskrivelsen", "tjänsteskrivelser", "tjänsteskrivelserna"}},
    {{"kommunikationsplan", "kommunikationsplanen", "kommunikationsplaner", "kommunikationsplanerna"}},
    {{"webbinarium", "webbinariet", "webbinarier", "webbinarierna"}},
    {{"enkät", "enkäten", "enkäter", "enkäterna"}},
    {{"utredning", "utredningen", "utredningar", "utredningarna"}},
    {{"förstudie", "förstudien", "förstudier", "förstudierna"}},
    {{"lägesrapport", "lägesrapporten", "lägesrapporter", "lägesrapporterna"}},
    {{"samrådshandling", "samrådshandlingen", "samrådshandlingar", "samrådshandlingarna"}},
    {{"järnvägsstation", "järnvägsstationen", "järnvägsstationer", "järnvägsstationerna"}},
    {{"godstrafik", "godstrafiken", NULL, NULL}},
    {{"pendelparkering", "pendelparkeringen", "pendelparkeringar", "pendelparkeringarna"}},
    {{"laddstolpe", "laddstolpen", "laddstolpar", "laddstolparna"}},
    {{"solcellsanläggning", "solcellsanläggningen", "solcellsanläggningar", "solcellsanläggningarna"}},
    {{"vindkraftspark", "vindkraftsparken", "vindkraftsparker", "vindkraftsparkerna"}},
    {{"kapacitetsbrist", "kapacitetsbristen", NULL, NULL}},
    {{"eleffekt", "eleffekten", NULL, NULL}},
    {{"elnät", "elnätet", "elnät", "elnäten"}},
    {{"samhällsplanering", "samhällsplaneringen", NULL, NULL}},
    {{"brottsförebyggande arbete", "brottsförebyggande arbetet", NULL, NULL}},
    {{"Södertörnskonferens", "Södertörnskonferensen", "Södertörnskonferenser", "Södertörnskonferenserna"}},
    {{"konferens", "konferensen", "konferenser", "konferenserna"}},
    {{"lokalhyra", "lokalhyran", "lokalhyror", "lokalhyrorna"}},
    {{"medlemsträff", "medlemsträffen", "medlemsträffar", "medlemsträffarna"}},
    {{"städdag", "städdagen", "städdagar", "städdagarna"}},
    {{"styrelseutbildning", "styrelseutbildningen", "styrelseutbildningar", "styrelseutbildningarna"}},
    {{"hemsida", "hemsidan", "hemsidor", "hemsidorna"}},
    {{"bygglov", "bygglovet", "bygglov", "bygglovet"}},
    {{"taxa", "taxan", "taxor", "taxorna"}},
    {{"riktlinje", "riktlinjen", "riktlinjer", "riktlinjerna"}},
};

static const char *const EXTERNAL_ORGS[] = {
    "Trafikverket", "Region Stockholm", "Länsstyrelsen", "Sveriges Kommuner och Regioner",
    "Energimyndigheten", "Boverket", "Naturvårdsverket", "Vattenfall", "Ellevio", "Almi",
    "Arbetsförmedlingen", "Polisen", "Västtrafik", "SL", "Mälardalsrådet", "Migrationsverket"};

static const char *const AREAS[] = {
    "Vega", "Skogås", "Brandbergen", "Kvarnholmen", "Norra centrum", "Stationsområdet", "Hamnen",
    "Björkdalen", "Östra Ängen", "Södra Näs", "Lillskogen", "Kvarnbacken", "Strandängen",
    "Ekbacken", "Västra Hagen", "Torget"};

static const char *const PLACES_PLAIN[] = {
    "Kommunhuset i %s", "%s stadshus, sammanträdesrum Ljuset", "Stadshuset i %s",
    "Konferenscenter i %s", "Kommunhuset i %s, sal 2"};

/* ================================================================================================
 * Sentence templates.  {P} a present participant, {Q} another one, {B} the body as subject,
 * {b} the same in lowercase, {O} an outside organisation, {m} a municipality of the region,
 * {c} {C} {p} {q} a domain noun (indefinite, definite, plural, definite plural), {n} a noun of the
 * long tail, {w} any word of the long tail, {T} the next planted topic form, {d} a due date,
 * {y} the meeting's year, {Y} the next year, {k} a small number, {s} a season, {a} an area name.
 * ============================================================================================== */

static const char *const FILLER[] = {
    "{P} redogör för {C}.",
    "{P} informerar om läget i arbetet med {C}.",
    "{P} presenterar {C} och svarar på frågor.",
    "Diskussion om {C} och {q}.",
    "{P} lyfter frågan om {C} i {m}.",
    "{P} påpekar att {C} behöver förankras hos {O}.",
    "Underlaget har skickats ut före mötet och innehåller bland annat {c}, {c} och {n}.",
    "Arbetet med {C} fortsätter {s}.",
    "Förvaltningen har tagit fram ett förslag som rör {C} samt {n}.",
    "Flera ledamöter efterfrågar mer information om {n} och {w}.",
    "{P} berättar att {O} har genomfört {c} med fokus på {n}.",
    "Det framkom att {w} och {n} har betydelse för {C}.",
    "Synpunkter framförs om {n}, {w} och {C}.",
    "{P} och {Q} har deltagit i {c} om {n}.",
    "{O} har lämnat ett yttrande om {C} där {n} och {w} lyfts fram.",
    "Kostnaden för {C} beräknas till {k} miljoner kronor.",
    "Enligt {C} ska {n} vara klar {s}.",
    "Frågan om {n} tas upp igen vid ett senare tillfälle.",
    "En arbetsgrupp med representanter från {m} och {m} har bildats för att se över {C}.",
    "Det konstateras att {n} och {n} påverkar {C}.",
    "{P} understryker vikten av {n} i det fortsatta arbetet.",
    "{P} föreslår att {C} kompletteras med {n}.",
    "Bland övriga frågor nämndes {w}, {w}, {n} och {w}.",
    "Vidare diskuterades {n} samt {w} {w}.",
    "{P} menar att {n} bör prioriteras före {n}.",
    "{Q} instämmer och tillägger att {w} {w} också behöver belysas.",
    "Enligt {O} kommer {n} att påverka {C} i {m} under {Y}.",
    "Mötet diskuterar hur {q} kan samordnas med {n}.",
    "{P} har varit i kontakt med {O} angående {n}.",
    "Det finns ett stort intresse för {n} bland {w}.",
    "Ett utkast till {c} har tagits fram och skickats på remiss till {m}.",
    "Nästa steg är att sammanställa {n} och {w} inför {C}.",
    "{P} konstaterar att {n} hittills har fungerat väl.",
    "Frågan väcktes om {n} kan kombineras med {w}.",
    "{O} har aviserat förändringar som berör {C} och {n}.",
    "Inom ramen för {C} pågår nu {n} och {n}.",
};
static const char *const FILLER_SHORT[] = {
    "Ordet lämnas fritt.", "Inga kommentarer.", "Diskussion.", "{P} tackar för informationen.",
    "Informationen noteras.", "Inga frågor.",
};

/* Templates with topic slots: the first needs one {T}, the second list two. */
static const char *const TOPIC1[] = {
    "{P} redogör för läget i {T}.",
    "Diskussion om {T}.",
    "{O} har presenterat en ny plan för {T}.",
    "{B} ser positivt på {T} men efterlyser {n}.",
    "Frågan om {T} tas upp igen vid nästa möte.",
    "{P} lyfter {T} som en prioriterad fråga för {m}.",
    "Arbetet med {T} har fått stöd från {O}.",
    "Underlaget om {T} skickas ut till ledamöterna.",
    "{P} berättar att {O} har bjudit in till ett seminarium om {T}.",
    "Enligt {C} ska {T} följas upp {s}.",
    "{P} efterfrågar en tydligare tidplan för {T}.",
    "Det konstateras att {T} berör flera av kommunerna.",
};
static const char *const TOPIC2[] = {
    "Det finns fortfarande frågetecken kring {T} och {T}.",
    "{P} påminner om att {T} och {T} hänger ihop med {C}.",
    "{O} har sammanställt erfarenheter av {T}, bland annat när det gäller {T}.",
};
/* Topic-specific sentences, indexed like TOPICS (one slot each). */
static const char *const TOPIC_OWN[][3] = {
    {"Trafikverket har inlett arbetet med {T} på sträckan mellan {m} och {m}.",
     "{P} redovisar hur {T} påverkar behovet av {c}.",
     "{Q} framhåller att {T} kräver mer eleffekt i regionen."},
    {"{O} redovisar förändringar i {T} i {m}.",
     "{P} tar upp tillgängligheten i {T} för boende i {a}.",
     "Resandet i {T} har ökat enligt {O}."},
    {"Handlingarna kan beställas per {T} från kansliet.",
     "Kallelsen skickas även per {T} till ledamöter som saknar e-post.",
     "{P} påminner om att svar kan lämnas via {T}."},
    {"{P} redovisar utfallet mot {T} för perioden.",
     "Prognosen visar ett överskott jämfört med {T}.",
     "{P} föreslår att {T} ses över inför {Y}."},
    {"Utbyggnaden av {T} i {a} fortsätter {s}.",
     "{P} redogör för {T} på landsbygden i {m}.",
     "{O} har beviljat stöd till {T} i {m}."},
};

static const char *const DECISION_CLAUSES[] = {
    "godkänna {C}", "anta förslaget till {c}", "lägga {C} till handlingarna",
    "ge förvaltningen i uppdrag att ta fram {c}", "avslå motionen om {c}",
    "bifalla förslaget om {c}", "tillstyrka remissen om {c}", "återremittera ärendet om {c}",
    "fastställa {C} för {Y}", "hålla fast vid föreslagen tidplan för {C}",
    "prioritera {C} i nästa verksamhetsplan", "avsätta {k} miljoner kronor till {C}",
    "skicka yttrandet om {C} till {O}", "anta {C} med de ändringar som framkom vid mötet",
    "godkänna redovisningen av {C}", "uppdra åt arbetsgruppen att samordna {q}",
};
static const char *const DECISION_TOPIC[] = {
    "prioritera arbetet med {T} i nästa verksamhetsplan", "anta riktlinjerna för {T}",
    "ge förvaltningen i uppdrag att utreda {T}", "godkänna redovisningen om {T}",
};
static const char *const TASKS[] = {
    "återkomma med ett förslag om {c}", "ta fram ett underlag om {C}",
    "sammanställa synpunkterna på {C}", "kontakta {O} om {C}", "boka ett möte med {O}",
    "uppdatera {C}", "skicka ut {C} till ledamöterna", "undersöka kostnaden för {C}",
    "bjuda in {O} till ett kommande möte", "ta fram en tidplan för {C}",
};

static const char *const DOMAIN_TITLES[] = {
    "Detaljplan för {a}", "Yttrande över remiss om {c}", "Motion om {c}", "Medborgarförslag om {c}",
    "Upphandling av {c}", "Information om {C}", "Revidering av {C}", "Uppföljning av {C}",
    "Aktuella remisser", "Rapporter från nätverken", "Ekonomisk rapport", "Verksamhetsplan {Y}",
    "Information från förvaltningen", "Delårsrapport {y}", "Lägesrapport om {C}",
    "Handlingsplan för {c}", "Riktlinjer för {c}", "Remiss: {C}", "Aktuella frågor från nätverken",
};
static const char *const ASSOC_TITLES[] = {
    "Ekonomi", "Medlemsfrågor", "Kommande aktiviteter", "Årsmötet", "Hemsidan", "Lokalfrågor",
    "Information från ordföranden", "Rapport från kassören", "Styrelseutbildning", "Städdagen",
    "Försäkringsfrågor", "Skrivelse till kommunen om {c}", "Samarbete med {O}",
};

static const char *const SEASONS[] = {"under hösten", "under våren", "före sommaren",
                                      "efter årsskiftet", "under nästa år", "under året"};

static int count_slots(const char *tpl, char c)
{
    int n = 0;
    for (const char *s = tpl; (s = strchr(s, '{')); s++) if (s[1] == c) n++;
    return n;
}

/* Check that no fixed text can produce a topic marker by accident. */
static void check_marker_free(void)
{
#define CHECK_LIST(arr) for (int i_ = 0; i_ < COUNT(arr); i_++) \
        if (has_marker(arr[i_], strlen(arr[i_]))) die("template contains a topic marker: %s", arr[i_]);
    CHECK_LIST(FILLER) CHECK_LIST(FILLER_SHORT) CHECK_LIST(TOPIC1) CHECK_LIST(TOPIC2)
    CHECK_LIST(DECISION_CLAUSES) CHECK_LIST(DECISION_TOPIC) CHECK_LIST(TASKS)
    CHECK_LIST(DOMAIN_TITLES) CHECK_LIST(ASSOC_TITLES) CHECK_LIST(SEASONS) CHECK_LIST(EXTERNAL_ORGS)
    CHECK_LIST(AREAS) CHECK_LIST(FIRST_NAMES) CHECK_LIST(LAST_NAMES) CHECK_LIST(OFFICIALS)
    CHECK_LIST(PLACES_PLAIN)
#undef CHECK_LIST
    for (int i = 0; i < COUNT(DNOUNS); i++)
        for (int k = 0; k < 4; k++)
            if (DNOUNS[i].f[k] && has_marker(DNOUNS[i].f[k], strlen(DNOUNS[i].f[k])))
                die("domain noun contains a topic marker: %s", DNOUNS[i].f[k]);
    for (int t = 0; t < NTOPIC; t++)
        for (int i = 0; i < 3; i++) {
            for (int u = 0; u < NTOPIC; u++)
                if (strstr(TOPIC_OWN[t][i], TOPICS[u].marker)) die("template contains a marker");
            if (count_slots(TOPIC_OWN[t][i], 'T') != 1) die("topic template needs one slot");
        }
    for (int i = 0; i < COUNT(TOPIC1); i++) if (count_slots(TOPIC1[i], 'T') != 1) die("TOPIC1 slot count");
    for (int i = 0; i < COUNT(TOPIC2); i++) if (count_slots(TOPIC2[i], 'T') != 2) die("TOPIC2 slot count");
    for (int i = 0; i < COUNT(DECISION_TOPIC); i++)
        if (count_slots(DECISION_TOPIC[i], 'T') != 1) die("DECISION_TOPIC slot count");
    for (int i = 0; i < COUNT(FILLER); i++) if (count_slots(FILLER[i], 'T')) die("FILLER has a topic slot");
    for (int i = 0; i < COUNT(REGIONS); i++) {
        if (has_marker(REGIONS[i].office, strlen(REGIONS[i].office))) die("marker in office name");
        for (int k = 0; k < REGIONS[i].nmuni; k++)
            if (has_marker(REGIONS[i].munis[k], strlen(REGIONS[i].munis[k]))) die("marker in a name");
    }
}

/* ================================================================================================
 * One document: its text, and the truth recorded while writing it.
 * ============================================================================================== */

typedef struct span { uint32_t s, e; } span;

typedef struct item_truth { char number[16]; span title; } item_truth;
typedef struct dec_truth { int item; span text; } dec_truth;
typedef struct fu_truth { int item; span text; int owners[4], nowners; int32_t due; } fu_truth;
typedef struct up_truth { int32_t date; int start, end; span text; } up_truth;
typedef struct part_truth { int who; int arrived, left; } part_truth;

#define MAXITEMS 64
#define MAXREC 128

typedef struct gen gen;

typedef struct doc {
    gen       *g;
    rng        r;
    sbuf       t;                 /* the document's text */
    const body *b;
    int         bi;
    const roster *ro;
    int32_t     date;
    int         year, month, day;
    int         start, end;       /* minutes after midnight */
    char        place[96];
    span        title;
    int         present[MAXROSTER], npresent;
    part_truth  parts[MAXROSTER];
    int         nparts;
    int         adjuster;
    item_truth  items[MAXITEMS];
    int         nitems, cur_item;
    dec_truth   decs[MAXREC];
    int         ndecs;
    fu_truth    fus[MAXREC];
    int         nfus;
    up_truth    ups[16];
    int         nups;
    int         last_p, last_q;
    int32_t     last_due;
    /* topics: planned forms still to place, and counts of forms written */
    int         cur_topic;
    int         queue[NTOPIC][64];
    int         qhead[NTOPIC], qlen[NTOPIC];
    int         item_need[MAXITEMS][NTOPIC];
    uint32_t    written[NTOPIC][MAXFORMS];
} doc;

/* Per year and body: documents and bytes, and per topic and class: documents and occurrences. */
enum { TC_WORD, TC_HEAD, TC_TAIL, TC_VERB, TC_TOPIC, TC_TOPIC_VERB, TC_EXACT, TC_PREFIX,
       TC_PREFIX_PARTS, NTC };
static const char *const TC_NAMES[NTC] = {"word", "head", "tail", "verb", "topic", "topic+verb",
                                          "exact", "prefix", "prefix+parts"};

typedef struct cell { uint64_t docs, hits; } cell;

struct gen {
    const char *out;
    uint64_t    seed;
    int         y0, y1;
    vocab       v;
    body       *bodies;
    int         nbodies;
    roster    **rosters;          /* [body][term], built on demand */
    int         nterms;
    unsigned char *dir_made;      /* [body][year] */
    uint64_t    ndocs, nbytes;
    uint64_t   *year_docs;        /* [year][body] */
    uint64_t   *year_bytes;
    cell       *cells;            /* [year][body][topic][NTC] */
    FILE       *meetings;
    sbuf        line;
    int         style_count[NSTYLE];
};

static cell *cell_at(gen *g, int y, int b, int t, int c)
{
    size_t i = (((size_t)(y - g->y0) * (size_t)g->nbodies + (size_t)b) * NTOPIC + (size_t)t) * NTC + (size_t)c;
    return &g->cells[i];
}

static const roster *get_roster(gen *g, int bi, int year)
{
    int term = year < 2002 ? 0 : (year - 2002) / 4 + 1;
    if (term >= g->nterms) term = g->nterms - 1;
    roster **slot = &g->rosters[(size_t)bi * (size_t)g->nterms + (size_t)term];
    if (!*slot) {
        *slot = xmalloc(sizeof **slot);
        roster_make(*slot, &g->bodies[bi], term, g->seed, bi);
    }
    return *slot;
}

/* ---- writing primitives ---- */

static void put(doc *d, const char *s) { sb_puts(&d->t, s); }
static void putn(doc *d, const char *s, size_t n) { sb_put(&d->t, s, n); }
static void nl(doc *d) { sb_putc(&d->t, '\n'); }

static int present_person(doc *d, int avoid)
{
    if (d->npresent == 1) return d->present[0];
    for (int tries = 0; tries < 8; tries++) {
        int p = d->present[rbelow(&d->r, (uint32_t)d->npresent)];
        if (p != avoid) return p;
    }
    return d->present[0] != avoid ? d->present[0] : d->present[1];
}

static const char *pick_muni(doc *d)
{
    const region *rg = &REGIONS[d->b->region];
    return rg->munis[rbelow(&d->r, (uint32_t)rg->nmuni)];
}

static void put_dnoun(doc *d, int form)
{
    const dnoun *n = &DNOUNS[rbelow(&d->r, (uint32_t)COUNT(DNOUNS))];
    const char *s = n->f[form];
    if (!s) s = n->f[form & 1];
    put(d, s);
}

static void put_long_tail(doc *d, int noun)
{
    const vocab *v = &d->g->v;
    uint32_t k = noun ? v->noun_lem[alias_draw(&v->nouns, &d->r)] : alias_draw(&v->all, &d->r);
    uint32_t f = vocab_form(v, &d->r, k);
    putn(d, v->pool + v->off[f], v->len[f]);
}

/* Write the next planned form of the current topic and count it. */
static void put_topic_form(doc *d)
{
    int t = d->cur_topic;
    if (t < 0 || d->qhead[t] >= d->qlen[t]) die("internal: topic queue empty");
    int f = d->queue[t][d->qhead[t]++];
    const topic *tp = &TOPICS[t];
    putn(d, tp->form[f], tp->flen[f]);
    d->written[t][f]++;
}

static void put_due(doc *d, int with_year)
{
    int32_t due = d->date + rrange(&d->r, 7, 80);
    int y, m, dd;
    civil_from_days(due, &y, &m, &dd);
    d->last_due = due;
    put(d, "den ");
    sb_putu(&d->t, (unsigned)dd);
    putn(d, " ", 1);
    put(d, MONTHS[m - 1]);
    if (with_year) { putn(d, " ", 1); sb_putu(&d->t, (unsigned)y); }
}

/* Expand a template into the document, capitalising its first letter when cap.  Returns the span. */
static span expand_x(doc *d, const char *tpl, int cap)
{
    span sp = {(uint32_t)d->t.n, 0};
    const char *s = tpl;
    while (*s) {
        const char *brace = strchr(s, '{');
        if (!brace) { put(d, s); break; }
        putn(d, s, (size_t)(brace - s));
        char c = brace[1];
        s = brace + 3;
        switch (c) {
        case 'P': d->last_p = present_person(d, -1); put(d, d->ro->p[d->last_p].name); break;
        case 'Q': d->last_q = present_person(d, d->last_p); put(d, d->ro->p[d->last_q].name); break;
        case 'B': put(d, d->b->subject); break;
        case 'b': {
            size_t at = d->t.n;
            put(d, d->b->subject);
            lower_utf8(d->t.p + at, d->t.n - at, d->t.p + at);
            break;
        }
        case 'O': put(d, PICK(&d->r, EXTERNAL_ORGS)); break;
        case 'm': put(d, pick_muni(d)); break;
        case 'a': put(d, PICK(&d->r, AREAS)); break;
        case 'c': put_dnoun(d, 0); break;
        case 'C': put_dnoun(d, 1); break;
        case 'p': put_dnoun(d, 2); break;
        case 'q': put_dnoun(d, 3); break;
        case 'n': put_long_tail(d, 1); break;
        case 'w': put_long_tail(d, 0); break;
        case 'T': put_topic_form(d); break;
        case 'd': put_due(d, d->b->style == ST_MUNICIPAL); break;
        case 'y': sb_putu(&d->t, (unsigned)d->year); break;
        case 'Y': sb_putu(&d->t, (unsigned)d->year + 1); break;
        case 'k': sb_putu(&d->t, (unsigned)rrange(&d->r, 2, 40)); break;
        case 's': put(d, PICK(&d->r, SEASONS)); break;
        default: die("bad template slot {%c} in %s", c, tpl);
        }
    }
    sp.e = (uint32_t)d->t.n;
    if (cap && sp.e > sp.s) cap_at(d->t.p + sp.s, sp.e - sp.s);
    return sp;
}

/* A clause inside a sentence, and a sentence or title of its own. */
static span expand(doc *d, const char *tpl) { return expand_x(d, tpl, 0); }
static span sentence(doc *d, const char *tpl) { return expand_x(d, tpl, 1); }


/* A topic sentence for topic t using one, or when allowed two, of its planned forms. */
static void topic_sentence(doc *d, int t, int allowed)
{
    int left = d->qlen[t] - d->qhead[t];
    d->cur_topic = t;
    if (left >= 2 && allowed >= 2 && rchance(&d->r, 0.2)) sentence(d, PICK(&d->r, TOPIC2));
    else if (rchance(&d->r, 0.35)) sentence(d, TOPIC_OWN[t][rbelow(&d->r, 3)]);
    else sentence(d, PICK(&d->r, TOPIC1));
    d->cur_topic = -1;
}

/* Sentences of the current item: fillers, and the topic mentions assigned to this item. */
static void paragraph(doc *d, int nsent)
{
    int it = d->cur_item;
    for (int i = 0; i < nsent; i++) {
        if (i) putn(d, " ", 1);
        int placed = 0;
        for (int t = 0; t < NTOPIC && !placed; t++)
            if (it >= 0 && d->item_need[it][t] > 0 && rchance(&d->r, 0.6)) {
                int before = d->qhead[t];
                topic_sentence(d, t, d->item_need[it][t]);
                d->item_need[it][t] -= d->qhead[t] - before;
                placed = 1;
            }
        if (!placed) {
            if (rchance(&d->r, 0.12)) sentence(d, PICK(&d->r, FILLER_SHORT));
            else sentence(d, PICK(&d->r, FILLER));
        }
    }
    nl(d);
}

/* Place the mentions of this item that paragraphs did not take. */
static void flush_item_topics(doc *d)
{
    int it = d->cur_item;
    if (it < 0) return;
    for (int t = 0; t < NTOPIC; t++) {
        if (d->item_need[it][t] <= 0) continue;
        nl(d);
        int first = 1;
        while (d->item_need[it][t] > 0) {
            if (!first) putn(d, " ", 1);
            first = 0;
            int before = d->qhead[t];
            topic_sentence(d, t, d->item_need[it][t]);
            d->item_need[it][t] -= d->qhead[t] - before;
        }
        nl(d);
    }
}

/* Body of an item: a few paragraphs separated by empty lines. */
static void discussion(doc *d, int paras, int maxsent)
{
    for (int i = 0; i < paras; i++) {
        nl(d);
        paragraph(d, rrange(&d->r, 1, maxsent));
    }
}

static int add_item(doc *d, const char *number)
{
    if (d->nitems >= MAXITEMS) die("too many items");
    item_truth *it = &d->items[d->nitems];
    snprintf(it->number, sizeof it->number, "%s", number ? number : "");
    d->cur_item = d->nitems;
    return d->nitems++;
}

static void add_decision(doc *d, span sp)
{
    if (d->ndecs < MAXREC) d->decs[d->ndecs++] = (dec_truth){d->cur_item, sp};
}

/* A decision clause, sometimes about a topic assigned to this item. */
static void decision_clause(doc *d)
{
    int it = d->cur_item;
    for (int t = 0; t < NTOPIC; t++)
        if (it >= 0 && d->item_need[it][t] > 0 && rchance(&d->r, 0.5)) {
            d->cur_topic = t;
            int before = d->qhead[t];
            expand(d, PICK(&d->r, DECISION_TOPIC));
            d->item_need[it][t] -= d->qhead[t] - before;
            d->cur_topic = -1;
            return;
        }
    expand(d, PICK(&d->r, DECISION_CLAUSES));
}

/* A follow-up sentence: owners, a task and maybe a due date.  Records the truth.
 * FU_DECISION: a task given by the meeting ("X får i uppdrag att ..."), written inside a decision;
 * FU_FREE: a task taken on without a decision ("X ska ...", "X ansvarar för att ...", "X återkommer
 * med ..."); FU_MUNICIPAL: the board tasks an official ("Nämnden uppdrar åt ... att ..."). */
enum { FU_DECISION, FU_FREE, FU_MUNICIPAL };

static void follow_up(doc *d, int kind)
{
    fu_truth fu = {d->cur_item, {0, 0}, {0}, 0, INT32_MIN};
    uint32_t s0 = (uint32_t)d->t.n;
    d->last_due = INT32_MIN;
    if (kind == FU_MUNICIPAL) {
        /* an official of the meeting gets the task */
        int who = -1;
        for (int i = 0; i < d->npresent; i++)
            if (d->ro->p[d->present[i]].group == 2 && d->present[i] != d->ro->secretary) { who = d->present[i]; break; }
        if (who < 0) who = d->ro->secretary;
        put(d, d->b->subject);
        put(d, " uppdrar åt ");
        put(d, d->ro->p[who].role);
        putn(d, " ", 1);
        put(d, d->ro->p[who].name);
        put(d, " att ");
        expand(d, PICK(&d->r, TASKS));
        if (rchance(&d->r, 0.5)) { put(d, " senast "); put_due(d, 1); }
        put(d, ".");
        fu.owners[fu.nowners++] = who;
    } else {
        int a = present_person(d, -1);
        fu.owners[fu.nowners++] = a;
        if (kind == FU_DECISION && rchance(&d->r, 0.35)) {
            int b = present_person(d, a);
            if (b != a) fu.owners[fu.nowners++] = b;
        }
        put(d, d->ro->p[a].name);
        if (fu.nowners == 2) { put(d, " och "); put(d, d->ro->p[fu.owners[1]].name); }
        if (kind == FU_DECISION) {
            put(d, " får i uppdrag att ");
            expand(d, PICK(&d->r, TASKS));
            if (rchance(&d->r, 0.75)) { put(d, " till "); put_due(d, 0); }
        } else {
            switch (rbelow(&d->r, 4)) {
            case 0:
                put(d, " ska ");
                expand(d, PICK(&d->r, TASKS));
                put(d, " senast ");
                put_due(d, 0);
                break;
            case 1:
                put(d, " ska ");
                expand(d, PICK(&d->r, TASKS));
                put(d, " till nästa möte");
                break;
            case 2:
                put(d, " ansvarar för att ");
                expand(d, PICK(&d->r, TASKS));
                break;
            default:
                put(d, " återkommer med ");
                expand(d, rchance(&d->r, 0.5) ? "ett förslag om {c}" : "ett underlag om {C}");
                if (rchance(&d->r, 0.5)) { put(d, " senast "); put_due(d, 0); }
                else put(d, " till nästa möte");
                break;
            }
        }
        put(d, ".");
    }
    fu.text = (span){s0, (uint32_t)d->t.n};
    fu.due = d->last_due;
    if (d->nfus < MAXREC) d->fus[d->nfus++] = fu;
}

static void put_time_dot(doc *d, int min, int pad)
{
    if (pad) sb_put0(&d->t, (unsigned)(min / 60), 2); else sb_putu(&d->t, (unsigned)(min / 60));
    putn(d, ".", 1);
    sb_put0(&d->t, (unsigned)(min % 60), 2);
}

static void put_day_month(doc *d, int32_t days)
{
    int y, m, dd;
    civil_from_days(days, &y, &m, &dd);
    sb_putu(&d->t, (unsigned)dd);
    putn(d, " ", 1);
    put(d, MONTHS[m - 1]);
}

/* A planned meeting some weeks ahead, on a weekday. */
static int32_t future_weekday(doc *d, int lo, int hi)
{
    int32_t x = d->date + rrange(&d->r, lo, hi);
    while (weekday(x) >= 5) x++;
    return x;
}

/* The title of a topic item: the first planned form of the topic, capitalised. */
static span topic_title(doc *d, int t)
{
    span sp = {(uint32_t)d->t.n, 0};
    d->cur_topic = t;
    put_topic_form(d);
    d->cur_topic = -1;
    sp.e = (uint32_t)d->t.n;
    cap_at(d->t.p + sp.s, sp.e - sp.s);
    return sp;
}

/* ---- planning a meeting: which topics, how many mentions, in which items ---- */

static void plan_topics(doc *d, int *dedicated, int nitems_domain)
{
    gen *g = d->g;
    for (int t = 0; t < NTOPIC; t++) {
        const topic *tp = &TOPICS[t];
        d->qhead[t] = d->qlen[t] = 0;
        dedicated[t] = -1;
        double factor = 1.0;
        if (t == 0 || t == 1) factor = d->b->transport ? 1.6 : (d->b->style == ST_MARKDOWN ? 0.3 : 0.7);
        if (t == 2 && d->b->style == ST_MARKDOWN) factor = 0.6;
        double p = topic_prob(tp, d->year, g->y0, g->y1) * factor;
        if (p > 0.97) p = 0.97;
        if (!rchance(&d->r, p)) continue;
        double mean = topic_mean(tp, d->year, g->y0, g->y1) * (factor > 1 ? 1.3 : 1.0);
        int k = 1 + rpoisson(&d->r, mean > 1 ? mean - 1 : 0);
        if (k > 40) k = 40;
        /* the first mention is an inflection or a compound with the topic first, so that every
         * document with any form also has one that a prefix query over whole words finds */
        d->queue[t][d->qlen[t]++] = tp->title_forms[rbelow(&d->r, (uint32_t)tp->ntitle)];
        for (int i = 1; i < k; i++) {
            int f;
            double u = runit(&d->r);
            int cls = u < 0.45 ? CL_WORD : u < 0.75 ? CL_HEAD : u < 0.9 ? CL_TAIL : CL_VERB;
            int tries = 0;
            do { f = (int)rbelow(&d->r, (uint32_t)tp->nform); } while (tp->fclass[f] != cls && ++tries < 40);
            if (tp->fclass[f] != cls) f = tp->title_forms[rbelow(&d->r, (uint32_t)tp->ntitle)];
            d->queue[t][d->qlen[t]++] = f;
        }
        if (k >= 3) dedicated[t] = 1;
    }
    (void)nitems_domain;
}

/* Distribute the mentions not used by a topic item's title among items [first, last). */
static void spread_mentions(doc *d, int t, int first, int last, int dedicated_item)
{
    int left = d->qlen[t] - d->qhead[t];
    for (int i = 0; i < left; i++) {
        int it = dedicated_item >= 0 && rchance(&d->r, 0.8) ? dedicated_item
                                                             : first + (int)rbelow(&d->r, (uint32_t)(last - first));
        d->item_need[it][t]++;
    }
}

/* ---- participants ---- */

static void choose_present(doc *d)
{
    const roster *ro = d->ro;
    d->npresent = 0;
    int absent_members = 0;
    for (int i = 0; i < ro->n; i++) {
        const person *p = &ro->p[i];
        int here;
        if (i == ro->chair || i == ro->secretary) here = 1;
        else if (p->group == 1) {                                /* ersättare step in for the absent */
            here = absent_members > 0;
            if (here) absent_members--;
        }
        else here = rchance(&d->r, 0.87);
        if (!here && p->group == 0) absent_members++;
        if (here) d->present[d->npresent++] = i;
    }
    d->adjuster = -1;
    for (int tries = 0; tries < 20 && d->adjuster < 0; tries++) {
        int p = d->present[rbelow(&d->r, (uint32_t)d->npresent)];
        if (p != ro->chair && p != ro->secretary && ro->p[p].group != 2) d->adjuster = p;
    }
    if (d->adjuster < 0) d->adjuster = d->present[d->npresent > 1 ? 1 : 0];
}

/* ================================================================================================
 * The three styles.
 * ============================================================================================== */

static void gen_plain(doc *d)
{
    const roster *ro = d->ro;
    int dedicated[NTOPIC];
    int ndomain = rrange(&d->r, 3, 7);
    plan_topics(d, dedicated, ndomain);

    nl(d);
    nl(d);
    if (rchance(&d->r, 0.7)) put(d, "Minnesanteckningar från möte med ");
    else put(d, "Minnesanteckningar från ");
    uint32_t body_at = (uint32_t)d->t.n;
    (void)body_at;
    {
        /* the title line: everything up to the end */
        size_t line_start = d->t.n;
        while (line_start > 0 && d->t.p[line_start - 1] != '\n') line_start--;
        put(d, d->b->name);
        d->title = (span){(uint32_t)line_start, (uint32_t)d->t.n};
    }
    nl(d);
    nl(d);
    put(d, "Tid\t");
    {
        size_t at = d->t.n;
        put(d, WEEKDAYS_DEF[weekday(d->date)]);
        cap_at(d->t.p + at, d->t.n - at);
    }
    put(d, " den ");
    sb_putu(&d->t, (unsigned)d->day);
    putn(d, " ", 1);
    put(d, MONTHS[d->month - 1]);
    putn(d, " ", 1);
    sb_putu(&d->t, (unsigned)d->year);
    put(d, " kl ");
    put_time_dot(d, d->start, 0);
    putn(d, "-", 1);
    put_time_dot(d, d->end, 0);
    put(d, "\t\nPlats\t");
    put(d, d->place);
    put(d, "\t\n");
    for (int i = 0; i < d->npresent; i++) {
        int w = d->present[i];
        const person *p = &ro->p[w];
        part_truth pt = {w, -1, -1};
        put(d, i == 0 ? "Deltagare\t" : "\t");
        put(d, p->name);
        putn(d, "\t", 1);
        put(d, p->org);
        if (p->role[0]) { put(d, ", "); put(d, p->role); }
        if (w != ro->chair && w != ro->secretary && d->end - d->start >= 60 && rchance(&d->r, 0.06)) {
            int at = d->start + 15 * rrange(&d->r, 1, (d->end - d->start) / 15 - 1);
            if (rchance(&d->r, 0.5)) { put(d, ", t o m kl "); pt.left = at; }
            else { put(d, ", fr o m kl "); pt.arrived = at; }
            put_time_dot(d, at, 0);
        }
        nl(d);
        d->parts[d->nparts++] = pt;
    }

    /* items */
    int num = 0;
    char numbuf[16];
#define ITEM_HEAD() do { snprintf(numbuf, sizeof numbuf, "%d", ++num); add_item(d, numbuf); \
        nl(d); put(d, numbuf); put(d, ". "); } while (0)
#define ITEM_TITLE_END(sp) do { d->items[d->cur_item].title = (sp); nl(d); } while (0)

    /* which items exist, to spread topic mentions before writing */
    int has_prev = rchance(&d->r, 0.6), has_upcoming = rchance(&d->r, 0.5);
    int ntopic_items = 0;
    for (int t = 0; t < NTOPIC; t++) if (dedicated[t] >= 0) ntopic_items++;
    int first_domain = 1 + has_prev + has_upcoming;
    int total = first_domain + ntopic_items + ndomain + 2;
    if (total > MAXITEMS) die("too many items");
    memset(d->item_need, 0, sizeof d->item_need);
    {
        int ti = first_domain;
        for (int t = 0; t < NTOPIC; t++) {
            if (dedicated[t] >= 0) { dedicated[t] = ti++; d->qhead[t] = 1; }
            spread_mentions(d, t, first_domain, first_domain + ntopic_items + ndomain, dedicated[t]);
            d->qhead[t] = 0;
        }
    }

    ITEM_HEAD();
    ITEM_TITLE_END(sentence(d, "Välkommen"));
    nl(d);
    put(d, ro->p[ro->chair].name);
    put(d, " hälsar välkommen");
    put(d, rchance(&d->r, 0.5) ? " till dagens möte.\n" : ".\n");

    if (has_prev) {
        ITEM_HEAD();
        ITEM_TITLE_END(sentence(d, rchance(&d->r, 0.5) ? "Föregående minnesanteckningar"
                                                     : "Utestående ärenden och föregående möten"));
        discussion(d, 1, 3);
        nl(d);
        put(d, "Inga kommentarer.\n");
    }
    if (has_upcoming) {
        ITEM_HEAD();
        ITEM_TITLE_END(sentence(d, "Kommande möten"));
        nl(d);
        put(d, ro->p[ro->secretary].name);
        put(d, " redogör för kommande möten.\n");
        int nu = rrange(&d->r, 2, 5);
        int32_t x = d->date;
        for (int i = 0; i < nu && d->nups < 16; i++) {
            x = x + rrange(&d->r, 5, 30);
            while (weekday(x) >= 5) x++;
            up_truth up = {x, -1, -1, {0, 0}};
            nl(d);
            up.text.s = (uint32_t)d->t.n;
            put_day_month(d, x);
            if (rchance(&d->r, 0.4)) {
                up.start = 60 * rrange(&d->r, 8, 15);
                up.end = up.start + 60;
                put(d, " kl ");
                put_time_dot(d, up.start, 0);
                putn(d, "-", 1);
                put_time_dot(d, up.end, 0);
            }
            put(d, ": ");
            expand(d, rchance(&d->r, 0.5) ? "{B}s möte i {m}." : "Möte med {O}, digitalt möte.");
            up.text.e = (uint32_t)d->t.n;
            nl(d);
            d->ups[d->nups++] = up;
        }
    }
    for (int t = 0; t < NTOPIC; t++) {
        if (dedicated[t] < 0) continue;
        ITEM_HEAD();
        span sp = topic_title(d, t);
        ITEM_TITLE_END(sp);
        nl(d);
        sentence(d, "{P} redogör för läget.");
        nl(d);
        discussion(d, rrange(&d->r, 1, 3), 4);
        flush_item_topics(d);
        if (rchance(&d->r, 0.5)) {
            nl(d);
            put(d, "Beslut\n\n");
            uint32_t s0 = (uint32_t)d->t.n;
            put(d, d->b->subject);
            put(d, rchance(&d->r, 0.5) ? " är överens om att " : " beslutar att ");
            decision_clause(d);
            put(d, ".");
            add_decision(d, (span){s0, (uint32_t)d->t.n});
            nl(d);
        }
    }
    for (int i = 0; i < ndomain; i++) {
        ITEM_HEAD();
        ITEM_TITLE_END(sentence(d, PICK(&d->r, DOMAIN_TITLES)));
        nl(d);
        sentence(d, "{P} redogör för ärendet.");
        nl(d);
        discussion(d, rrange(&d->r, 1, 4), 4);
        if (rchance(&d->r, 0.5)) { nl(d); put(d, "Ordet lämnas fritt.\n"); discussion(d, 1, 3); }
        flush_item_topics(d);
        double u = runit(&d->r);
        if (u < 0.35) {
            nl(d);
            put(d, "Beslut\n\n");
            uint32_t s0 = (uint32_t)d->t.n;
            if (rchance(&d->r, 0.3)) {
                follow_up(d, FU_DECISION);
            } else {
                put(d, d->b->subject);
                put(d, rchance(&d->r, 0.5) ? " är överens om att " : " beslutar att ");
                decision_clause(d);
                put(d, ".");
            }
            add_decision(d, (span){s0, (uint32_t)d->t.n});
            nl(d);
        } else if (u < 0.6) {
            nl(d);
            follow_up(d, FU_FREE);
            nl(d);
        }
    }
    ITEM_HEAD();
    ITEM_TITLE_END(sentence(d, "Övriga frågor"));
    if (rchance(&d->r, 0.5)) { nl(d); put(d, "Inga övriga frågor.\n"); }
    else discussion(d, 1, 2);

    ITEM_HEAD();
    ITEM_TITLE_END(sentence(d, "Nästa möte"));
    nl(d);
    {
        int32_t x = future_weekday(d, 20, 60);
        up_truth up = {x, 60 * rrange(&d->r, 8, 14) + (rchance(&d->r, 0.5) ? 30 : 0), -1, {0, 0}};
        up.end = up.start + 60 * rrange(&d->r, 1, 3);
        up.text.s = (uint32_t)d->t.n;
        put(d, "Nästa möte hålls ");
        put(d, WEEKDAYS_DEF[weekday(x)]);
        putn(d, " ", 1);
        put(d, "den ");
        put_day_month(d, x);
        put(d, " kl ");
        put_time_dot(d, up.start, 0);
        putn(d, "-", 1);
        put_time_dot(d, up.end, 0);
        put(d, " i ");
        put(d, d->place);
        put(d, ".");
        up.text.e = (uint32_t)d->t.n;
        nl(d);
        if (d->nups < 16) d->ups[d->nups++] = up;
    }
    nl(d);
    put(d, ro->p[ro->chair].name);
    put(d, " tackar för visat intresse och avslutar mötet.\n\n");
    put(d, "Vid anteckningarna\tJusteras\n");
    put(d, ro->p[ro->secretary].name);
    putn(d, "\t", 1);
    put(d, ro->p[d->adjuster].name);
    nl(d);
#undef ITEM_HEAD
#undef ITEM_TITLE_END
}

static void gen_markdown(doc *d)
{
    const roster *ro = d->ro;
    int dedicated[NTOPIC];
    int ndomain = rrange(&d->r, 2, 5);
    plan_topics(d, dedicated, ndomain);
    int numbered = rchance(&d->r, 0.6);

    put(d, "# ");
    d->title.s = (uint32_t)d->t.n;
    switch (rbelow(&d->r, 3)) {
    case 0: put(d, "Protokoll fört vid styrelsemöte i "); break;
    case 1: put(d, "Styrelsemöte "); break;
    default: put(d, "Mötesprotokoll "); break;
    }
    put(d, d->b->name);
    d->title.e = (uint32_t)d->t.n;
    put(d, "\n\n");
    if (rchance(&d->r, 0.5)) {
        put(d, "## ");
        sb_putu(&d->t, (unsigned)d->day);
        putn(d, " ", 1);
        put(d, MONTHS[d->month - 1]);
        putn(d, " ", 1);
        sb_putu(&d->t, (unsigned)d->year);
        put(d, "\n\n");
    } else {
        put(d, "Datum: ");
        sb_iso(&d->t, d->date);
        put(d, "\n\n");
    }
    put(d, "Tid: ");
    put_time_dot(d, d->start, 1);
    put(d, "–");
    put_time_dot(d, d->end, 1);
    put(d, "\n\nPlats: ");
    put(d, d->place);
    put(d, "\n\n");
    if (rchance(&d->r, 0.3)) {
        put(d, "## Kallade\n\n");
        for (int i = 0; i < ro->n; i++) { put(d, "- "); put(d, ro->p[i].name); nl(d); }
        nl(d);
    }
    put(d, "## Närvarande\n\n");
    for (int i = 0; i < d->npresent; i++) {
        int w = d->present[i];
        const person *p = &ro->p[w];
        part_truth pt = {w, -1, -1};
        put(d, "- ");
        put(d, p->name);
        if (p->role[0] && strcmp(p->role, "ledamot") != 0) { put(d, ", "); put(d, p->role); }
        if (w != ro->chair && w != ro->secretary && rchance(&d->r, 0.06)) {
            int at = d->start + 5 * rrange(&d->r, 2, 10);
            if (rchance(&d->r, 0.5) && at < d->end) { put(d, " (anslöt kl. "); pt.arrived = at; }
            else { at = d->end - 5 * rrange(&d->r, 2, 6); put(d, " (lämnade mötet kl. "); pt.left = at; }
            put_time_dot(d, at, 1);
            put(d, ")");
        }
        nl(d);
        d->parts[d->nparts++] = pt;
    }

    int num = 0;
    char numbuf[16];
    int ntopic_items = 0;
    for (int t = 0; t < NTOPIC; t++) if (dedicated[t] >= 0) ntopic_items++;
    int first_domain = 3;
    memset(d->item_need, 0, sizeof d->item_need);
    {
        int ti = first_domain;
        for (int t = 0; t < NTOPIC; t++) {
            if (dedicated[t] >= 0) { dedicated[t] = ti++; d->qhead[t] = 1; }
            spread_mentions(d, t, first_domain, first_domain + ntopic_items + ndomain, dedicated[t]);
            d->qhead[t] = 0;
        }
    }
#define MD_ITEM() do { nl(d); put(d, "## "); if (numbered) { snprintf(numbuf, sizeof numbuf, "%d", ++num); \
        put(d, numbuf); put(d, ". "); add_item(d, numbuf); } else add_item(d, NULL); } while (0)
#define MD_TITLE_END(sp) do { d->items[d->cur_item].title = (sp); nl(d); } while (0)

    MD_ITEM();
    MD_TITLE_END(sentence(d, "Mötets öppnande"));
    nl(d);
    put(d, "Ordförande ");
    put(d, ro->p[ro->chair].name);
    put(d, " förklarade mötet öppnat kl. ");
    put_time_dot(d, d->start, 1);
    put(d, ".\n");

    MD_ITEM();
    MD_TITLE_END(sentence(d, "Val av justerare"));
    nl(d);
    {
        uint32_t s0 = (uint32_t)d->t.n;
        put(d, ro->p[d->adjuster].name);
        put(d, rchance(&d->r, 0.5) ? " valdes att jämte ordföranden justera protokollet." : " valdes till justerare.");
        add_decision(d, (span){s0, (uint32_t)d->t.n});
        nl(d);
    }
    MD_ITEM();
    MD_TITLE_END(sentence(d, "Godkännande av dagordningen"));
    nl(d);
    {
        uint32_t s0 = (uint32_t)d->t.n;
        put(d, "Mötet godkände dagordningen.");
        add_decision(d, (span){s0, (uint32_t)d->t.n});
        nl(d);
    }
    for (int t = 0; t < NTOPIC; t++) {
        if (dedicated[t] < 0) continue;
        MD_ITEM();
        MD_TITLE_END(topic_title(d, t));
        discussion(d, rrange(&d->r, 1, 2), 3);
        flush_item_topics(d);
        if (rchance(&d->r, 0.5)) {
            nl(d);
            put(d, "- ");
            uint32_t s0 = (uint32_t)d->t.n;
            put(d, "Styrelsen beslutar att ");
            decision_clause(d);
            put(d, ".");
            add_decision(d, (span){s0, (uint32_t)d->t.n});
            nl(d);
        }
    }
    for (int i = 0; i < ndomain; i++) {
        MD_ITEM();
        MD_TITLE_END(sentence(d, PICK(&d->r, ASSOC_TITLES)));
        nl(d);
        int nb = rrange(&d->r, 1, 4);
        for (int k = 0; k < nb; k++) { put(d, "- "); paragraph(d, rrange(&d->r, 1, 2)); }
        flush_item_topics(d);
        double u = runit(&d->r);
        if (u < 0.4) {
            nl(d);
            uint32_t s0;
            if (rchance(&d->r, 0.25)) {
                put(d, "Beslut: ");
                s0 = (uint32_t)d->t.n;
                follow_up(d, FU_DECISION);
            } else {
                if (rchance(&d->r, 0.5)) {
                    put(d, "Beslut: ");
                    s0 = (uint32_t)d->t.n;
                    put(d, "Styrelsen beslutar att ");
                } else {
                    put(d, "- ");
                    s0 = (uint32_t)d->t.n;
                    put(d, "Mötet beslutade att ");
                }
                decision_clause(d);
                put(d, ".");
            }
            add_decision(d, (span){s0, (uint32_t)d->t.n});
            nl(d);
        }
        if (rchance(&d->r, 0.35)) {
            nl(d);
            put(d, "- ");
            follow_up(d, FU_FREE);
            nl(d);
        }
    }
    MD_ITEM();
    MD_TITLE_END(sentence(d, "Övriga frågor"));
    nl(d);
    if (rchance(&d->r, 0.5)) put(d, "Inga övriga frågor.\n");
    else { put(d, "- "); paragraph(d, rrange(&d->r, 1, 2)); }

    MD_ITEM();
    MD_TITLE_END(sentence(d, "Nästa möte"));
    nl(d);
    {
        int32_t x = d->date + rrange(&d->r, 14, 45);
        up_truth up = {x, 60 * rrange(&d->r, 17, 19), -1, {0, 0}};
        up.text.s = (uint32_t)d->t.n;
        put(d, "Nästa möte hålls ");
        put(d, WEEKDAYS_DEF[weekday(x)]);
        put(d, " den ");
        put_day_month(d, x);
        put(d, " kl. ");
        put_time_dot(d, up.start, 1);
        put(d, ".");
        up.text.e = (uint32_t)d->t.n;
        nl(d);
        if (d->nups < 16) d->ups[d->nups++] = up;
    }
    MD_ITEM();
    MD_TITLE_END(sentence(d, "Mötets avslutande"));
    nl(d);
    put(d, "Ordförande förklarade mötet avslutat kl. ");
    put_time_dot(d, d->end, 1);
    put(d, ".\n\n");
    put(d, "Vid protokollet: ");
    put(d, ro->p[ro->secretary].name);
    put(d, "\n\nJusteras: ");
    put(d, ro->p[ro->chair].name);
    put(d, ", ");
    put(d, ro->p[d->adjuster].name);
    nl(d);
#undef MD_ITEM
#undef MD_TITLE_END
}

static void page_break(doc *d, int *page)
{
    (*page)++;
    put(d, "\nJusterandes signatur\tUtdragsbestyrkande\n\n");
    put(d, d->b->org);
    put(d, "\tProtokoll\tSida ");
    sb_putu(&d->t, (unsigned)*page);
    nl(d);
    put(d, d->b->name);
    put(d, "\tSammanträdesdatum ");
    sb_iso(&d->t, d->date);
    nl(d);
}

static void gen_municipal(doc *d)
{
    const roster *ro = d->ro;
    int dedicated[NTOPIC];
    int ndomain = rrange(&d->r, 5, 22);
    plan_topics(d, dedicated, ndomain);
    int ntopic_items = 0;
    for (int t = 0; t < NTOPIC; t++) if (dedicated[t] >= 0) ntopic_items++;
    int nsec = 2 + ntopic_items + ndomain;
    int first_par = 1 + (int)((d->date - days_from_civil(d->year, 1, 1)) * 160 / 366);

    put(d, d->b->org);
    put(d, "\nProtokoll\n");
    d->title.s = (uint32_t)d->t.n;
    put(d, d->b->name);
    d->title.e = (uint32_t)d->t.n;
    put(d, "\nSammanträdesdatum ");
    sb_iso(&d->t, d->date);
    put(d, "\n\nPlats och tid\t");
    put(d, d->place);
    put(d, ", kl. ");
    put_time_dot(d, d->start, 1);
    put(d, "–");
    put_time_dot(d, d->end, 1);
    nl(d);
    /* Beslutande, Tjänstgörande ersättare, Övriga närvarande */
    static const char *const GROUP_LABEL[3] = {"Beslutande", "Tjänstgörande ersättare", "Övriga närvarande"};
    for (int gi = 0; gi < 3; gi++) {
        int first = 1;
        for (int i = 0; i < d->npresent; i++) {
            int w = d->present[i];
            const person *p = &ro->p[w];
            if (p->group != gi) continue;
            if (first) { nl(d); put(d, GROUP_LABEL[gi]); putn(d, "\t", 1); first = 0; }
            else putn(d, "\t", 1);
            put(d, p->name);
            if (p->org[0]) { put(d, " ("); put(d, p->org); put(d, ")"); }
            if (gi == 2 || (p->role[0] && strcmp(p->role, "ledamot") != 0 && gi == 0)) {
                put(d, ", ");
                put(d, p->role);
            }
            nl(d);
            d->parts[d->nparts++] = (part_truth){w, -1, -1};
        }
    }
    put(d, "\nUtses att justera\t");
    put(d, ro->p[d->adjuster].name);
    put(d, "\nJusteringens plats och tid\t");
    put(d, rchance(&d->r, 0.5) ? "Kommunkansliet, " : "Digital justering, ");
    sb_iso(&d->t, d->date + rrange(&d->r, 3, 10));
    put(d, "\nParagrafer\t§§ ");
    sb_putu(&d->t, (unsigned)first_par);
    put(d, "–");
    sb_putu(&d->t, (unsigned)(first_par + nsec - 1));
    put(d, "\n\nUnderskrifter\nSekreterare\t");
    put(d, ro->p[ro->secretary].name);
    put(d, "\nOrdförande\t");
    put(d, ro->p[ro->chair].name);
    put(d, "\nJusterande\t");
    put(d, ro->p[d->adjuster].name);
    nl(d);

    memset(d->item_need, 0, sizeof d->item_need);
    {
        int ti = 2;
        for (int t = 0; t < NTOPIC; t++) {
            if (dedicated[t] >= 0) { dedicated[t] = ti++; d->qhead[t] = 1; }
            spread_mentions(d, t, 2, nsec, dedicated[t]);
            d->qhead[t] = 0;
        }
    }
    int page = 1;
    char numbuf[16];
    int topic_order[NTOPIC], nto = 0;
    for (int t = 0; t < NTOPIC; t++) if (dedicated[t] >= 0) topic_order[nto++] = t;
    for (int s = 0; s < nsec; s++) {
        if (s && s % 3 == 0) page_break(d, &page);
        int par = first_par + s;
        snprintf(numbuf, sizeof numbuf, "%d", par);
        add_item(d, numbuf);
        nl(d);
        put(d, "§ ");
        put(d, numbuf);
        switch (d->b->dnr_style) {
        case 0: put(d, " Dnr "); put(d, "KS "); sb_putu(&d->t, (unsigned)d->year); putn(d, "/", 1);
                sb_put0(&d->t, (unsigned)rrange(&d->r, 1, 999), 4); break;
        case 1: put(d, " Ärendenummer "); sb_putu(&d->t, (unsigned)d->year); putn(d, "-", 1);
                sb_put0(&d->t, (unsigned)rrange(&d->r, 1, 9999), 5); break;
        default: put(d, " Diarienummer "); sb_putu(&d->t, (unsigned)rrange(&d->r, 10000, 199999)); break;
        }
        nl(d);
        int topic_sec = s >= 2 && s - 2 < nto ? topic_order[s - 2] : -1;
        span title;
        if (s == 0) title = sentence(d, "Val av justerare");
        else if (s == 1) title = sentence(d, "Godkännande av dagordning");
        else if (topic_sec >= 0) {
            title = topic_title(d, topic_sec);
        } else title = sentence(d, PICK(&d->r, DOMAIN_TITLES));
        d->items[d->cur_item].title = title;
        put(d, "\nBeslut\n");
        uint32_t s0 = (uint32_t)d->t.n;
        if (s == 0) {
            put(d, d->b->subject);
            put(d, " beslutar att utse ");
            put(d, ro->p[d->adjuster].name);
            put(d, " att jämte ordföranden justera dagens protokoll.");
        } else if (s == 1) {
            put(d, "Dagordningen godkänns.");
        } else {
            put(d, d->b->subject);
            put(d, " beslutar att ");
            decision_clause(d);
            put(d, ".");
            if (rchance(&d->r, 0.2)) { putn(d, " ", 1); follow_up(d, FU_MUNICIPAL); }
        }
        add_decision(d, (span){s0, (uint32_t)d->t.n});
        nl(d);
        if (s >= 2) {
            put(d, "\nSammanfattning\n");
            int np = rrange(&d->r, 1, 4);
            for (int k = 0; k < np; k++) {
                if (k) nl(d);
                paragraph(d, rrange(&d->r, 2, 5));
            }
            flush_item_topics(d);
            put(d, "\nBeslutsunderlag\n");
            put(d, "Tjänsteskrivelse daterad ");
            sb_iso(&d->t, d->date - rrange(&d->r, 10, 40));
            put(d, ".\n");
            if (rchance(&d->r, 0.3)) {
                put(d, "\nYrkanden\n");
                int who = d->present[rbelow(&d->r, (uint32_t)d->npresent)];
                put(d, ro->p[who].name);
                if (ro->p[who].org[0]) { put(d, " ("); put(d, ro->p[who].org); put(d, ")"); }
                put(d, " yrkar bifall till förvaltningens förslag.\n");
                put(d, "\nBeslutsgång\nOrdföranden frågar om ");
                expand(d, "{b}");
                put(d, " kan besluta enligt förvaltningens förslag och finner att så sker.\n");
            }
            if (rchance(&d->r, 0.5)) {
                put(d, "\nExpedieras till\n");
                sentence(d, rchance(&d->r, 0.5) ? "{O}\n" : "Förvaltningen\n");
            }
        }
    }
}

/* ================================================================================================
 * Scheduling one document and recording its truth.
 * ============================================================================================== */

static void build_bodies(gen *g)
{
    int cap = COUNT(GROUPS) + COUNT(COUNCILS) * COUNT(NAMNDER) + COUNT(ASSOCIATIONS);
    g->bodies = xcalloc((size_t)cap, sizeof *g->bodies);
    rng r;
    rng_seed(&r, g->seed, 0x626f64696573ull, 0);
    for (int i = 0; i < COUNT(GROUPS); i++) {
        body *b = &g->bodies[g->nbodies++];
        snprintf(b->name, sizeof b->name, "%s", GROUPS[i].name);
        snprintf(b->subject, sizeof b->subject, "%s", GROUPS[i].subject);
        b->org[0] = 0;
        b->style = ST_PLAIN; b->kind = GROUPS[i].kind; b->region = GROUPS[i].region; b->muni = -1;
        b->transport = GROUPS[i].transport;
        b->first_year = g->y0 + (int)rbelow(&r, 6);
    }
    for (int i = 0; i < COUNT(COUNCILS); i++)
        for (int k = 0; k < COUNT(NAMNDER); k++) {
            body *b = &g->bodies[g->nbodies++];
            snprintf(b->name, sizeof b->name, "%s", NAMNDER[k].name);
            snprintf(b->subject, sizeof b->subject, "%s", NAMNDER[k].name);
            snprintf(b->org, sizeof b->org, "%s kommun", COUNCILS[i].name);
            b->style = ST_MUNICIPAL; b->kind = K_NAMND; b->region = COUNCILS[i].region;
            b->muni = COUNCILS[i].muni; b->transport = NAMNDER[k].transport;
            b->first_year = g->y0;
            b->dnr_style = i % 3;
        }
    for (int i = 0; i < COUNT(ASSOCIATIONS); i++) {
        body *b = &g->bodies[g->nbodies++];
        snprintf(b->name, sizeof b->name, "%s", ASSOCIATIONS[i].name);
        snprintf(b->subject, sizeof b->subject, "Styrelsen");
        b->org[0] = 0;
        b->style = ST_MARKDOWN; b->kind = K_FORENING; b->region = ASSOCIATIONS[i].region; b->muni = -1;
        b->transport = ASSOCIATIONS[i].transport;
        b->first_year = g->y0 + (int)rbelow(&r, 12);
    }
    for (int i = 0; i < g->nbodies; i++) {
        body *b = &g->bodies[i];
        char full[200], slug[96];
        if (b->org[0]) snprintf(full, sizeof full, "%s %s", b->org, b->name);
        else snprintf(full, sizeof full, "%s", b->name);
        slugify(full, slug, sizeof slug);
        /* "haninge-kommun-kommunstyrelsen" -> drop the "-kommun" part for brevity */
        char *k = strstr(slug, "-kommun-");
        if (k) memmove(k, k + 7, strlen(k + 7) + 1);
        snprintf(b->id, sizeof b->id, "%s", slug);
        if (b->first_year > g->y1) b->first_year = g->y1;
    }
}

/* Pick year, body, date and times of document n. */
static void schedule(gen *g, doc *d)
{
    rng *r = &d->r;
    double tw = 0, w[64];
    int ny = g->y1 - g->y0 + 1;
    for (int i = 0; i < ny; i++) { w[i] = 1.0 + 0.05 * i; tw += w[i]; }
    double u = runit(r) * tw;
    int yi = 0;
    while (yi < ny - 1 && u >= w[yi]) { u -= w[yi]; yi++; }
    d->year = g->y0 + yi;

    double su = runit(r);
    int style = su < 0.45 ? ST_MUNICIPAL : su < 0.75 ? ST_PLAIN : ST_MARKDOWN;
    int cand[256], nc = 0;
    for (int i = 0; i < g->nbodies && nc < 256; i++)
        if (g->bodies[i].style == style && g->bodies[i].first_year <= d->year) cand[nc++] = i;
    if (nc == 0)
        for (int i = 0; i < g->nbodies && nc < 256; i++)
            if (g->bodies[i].first_year <= d->year) cand[nc++] = i;
    d->bi = cand[rbelow(r, (uint32_t)nc)];
    d->b = &g->bodies[d->bi];

    int32_t jan1 = days_from_civil(d->year, 1, 1), next = days_from_civil(d->year + 1, 1, 1);
    int32_t x;
    for (;;) {
        x = jan1 + (int32_t)rbelow(r, (uint32_t)(next - jan1));
        civil_from_days(x, &d->year, &d->month, &d->day);
        if (d->b->style != ST_MARKDOWN && weekday(x) >= 5) continue;   /* boards meet on weekdays */
        if (d->b->style == ST_MUNICIPAL && d->month == 7) continue;     /* and not in July */
        break;
    }
    d->date = x;

    switch (d->b->style) {
    case ST_PLAIN:
        d->start = 60 * rrange(r, 8, 14) + 15 * rrange(r, 0, 3);
        d->end = d->start + 15 * rrange(r, 5, 12);
        break;
    case ST_MARKDOWN:
        d->start = 60 * rrange(r, 17, 19) + 15 * rrange(r, 0, 3);
        d->end = d->start + 5 * rrange(r, 9, 30);
        break;
    default:
        d->start = 60 * rrange(r, 8, 13) + 30 * rrange(r, 0, 1);
        d->end = d->start + 15 * rrange(r, 8, 24);
        break;
    }
    const region *rg = &REGIONS[d->b->region];
    if (d->b->style == ST_PLAIN) {
        if (d->year >= 2020 && rchance(r, 0.5)) snprintf(d->place, sizeof d->place, "Digitalt via Teams");
        else {
            const char *fmt = PICK(r, PLACES_PLAIN);
            const char *m = rg->munis[rbelow(r, (uint32_t)rg->nmuni)];
            /* the formats hold exactly one %s */
            const char *pct = strstr(fmt, "%s");
            snprintf(d->place, sizeof d->place, "%.*s%s%s", (int)(pct - fmt), fmt, m, pct + 2);
        }
    } else if (d->b->style == ST_MARKDOWN) {
        static const char *const P[] = {"Föreningslokalen", "Klubbstugan", "Biblioteket, studierummet",
                                        "Medborgarhuset"};
        if (d->year >= 2020 && rchance(r, 0.4)) snprintf(d->place, sizeof d->place, "Digitalt via Zoom");
        else snprintf(d->place, sizeof d->place, "%s", PICK(r, P));
    } else {
        static const char *const P[] = {"Kommunhuset, sessionssalen", "Stadshuset, KS-salen",
                                        "Kommunhuset, sammanträdesrum Ekoxen", "Rådhuset, stora salen"};
        snprintf(d->place, sizeof d->place, "%s", PICK(r, P));
    }
}

static void put_span_json(sbuf *b, const doc *d, span sp)
{
    sb_json(b, d->t.p + sp.s, sp.e - sp.s);
}

/* The item a decision or follow-up belongs to: its number, or its title when items are unnumbered. */
static void put_item_ref(sbuf *b, const doc *d, int item)
{
    if (item < 0) sb_puts(b, "null");
    else if (d->items[item].number[0]) sb_jsonz(b, d->items[item].number);
    else put_span_json(b, d, d->items[item].title);
}

static void write_truth(gen *g, doc *d, const char *relpath)
{
    sbuf *b = &g->line;
    const roster *ro = d->ro;
    char iso[11], hm[6];
    b->n = 0;
    sb_puts(b, "{\"source\":");
    sb_jsonz(b, relpath);
    sb_printf(b, ",\"doc\":%llu,\"style\":\"%s\",\"body_id\":", (unsigned long long)g->ndocs,
              STYLE_NAMES[d->b->style]);
    sb_jsonz(b, d->b->id);
    sb_puts(b, ",\"organization\":");
    sb_jsonz(b, d->b->org[0] ? d->b->org : NULL);
    sb_printf(b, ",\"bytes\":%zu,\"meeting\":{\"title\":", d->t.n);
    put_span_json(b, d, d->title);
    sb_puts(b, ",\"body\":");
    sb_jsonz(b, d->b->name);
    iso_str(iso, d->date);
    sb_printf(b, ",\"date\":\"%s\"", iso);
    hhmm_str(hm, d->start);
    sb_printf(b, ",\"start\":\"%s\"", hm);
    hhmm_str(hm, d->end);
    sb_printf(b, ",\"end\":\"%s\",\"place\":", hm);
    sb_jsonz(b, d->place);
    sb_puts(b, "},\"participants\":[");
    for (int i = 0; i < d->nparts; i++) {
        const part_truth *pt = &d->parts[i];
        const person *p = &ro->p[pt->who];
        if (i) sb_putc(b, ',');
        sb_puts(b, "{\"name\":");
        sb_jsonz(b, p->name);
        sb_puts(b, ",\"organization\":");
        sb_jsonz(b, p->org[0] ? p->org : NULL);
        sb_puts(b, ",\"role\":");
        sb_jsonz(b, p->role[0] && strcmp(p->role, "ledamot") != 0 ? p->role : NULL);
        if (pt->arrived >= 0) { hhmm_str(hm, pt->arrived); sb_printf(b, ",\"arrived_at\":\"%s\"", hm); }
        else sb_puts(b, ",\"arrived_at\":null");
        if (pt->left >= 0) { hhmm_str(hm, pt->left); sb_printf(b, ",\"left_at\":\"%s\"}", hm); }
        else sb_puts(b, ",\"left_at\":null}");
    }
    sb_puts(b, "],\"agenda\":[");
    for (int i = 0; i < d->nitems; i++) {
        if (i) sb_putc(b, ',');
        sb_puts(b, "{\"number\":");
        sb_jsonz(b, d->items[i].number[0] ? d->items[i].number : NULL);
        sb_puts(b, ",\"title\":");
        put_span_json(b, d, d->items[i].title);
        sb_printf(b, ",\"span\":[%u,%u]}", d->items[i].title.s, d->items[i].title.e);
    }
    sb_puts(b, "],\"decisions\":[");
    for (int i = 0; i < d->ndecs; i++) {
        if (i) sb_putc(b, ',');
        sb_puts(b, "{\"item\":");
        put_item_ref(b, d, d->decs[i].item);
        sb_puts(b, ",\"text\":");
        put_span_json(b, d, d->decs[i].text);
        sb_printf(b, ",\"span\":[%u,%u]}", d->decs[i].text.s, d->decs[i].text.e);
    }
    sb_puts(b, "],\"follow_ups\":[");
    for (int i = 0; i < d->nfus; i++) {
        const fu_truth *f = &d->fus[i];
        if (i) sb_putc(b, ',');
        sb_puts(b, "{\"item\":");
        put_item_ref(b, d, f->item);
        sb_puts(b, ",\"text\":");
        put_span_json(b, d, f->text);
        sb_puts(b, ",\"owners\":[");
        for (int k = 0; k < f->nowners; k++) {
            if (k) sb_putc(b, ',');
            sb_jsonz(b, ro->p[f->owners[k]].name);
        }
        sb_puts(b, "],\"due\":");
        if (f->due != INT32_MIN) { iso_str(iso, f->due); sb_printf(b, "\"%s\"", iso); }
        else sb_puts(b, "null");
        sb_printf(b, ",\"span\":[%u,%u]}", f->text.s, f->text.e);
    }
    sb_puts(b, "],\"upcoming_meetings\":[");
    for (int i = 0; i < d->nups; i++) {
        const up_truth *u = &d->ups[i];
        if (i) sb_putc(b, ',');
        iso_str(iso, u->date);
        sb_printf(b, "{\"date\":\"%s\",\"start\":", iso);
        if (u->start >= 0) { hhmm_str(hm, u->start); sb_printf(b, "\"%s\"", hm); } else sb_puts(b, "null");
        sb_puts(b, ",\"end\":");
        if (u->end >= 0) { hhmm_str(hm, u->end); sb_printf(b, "\"%s\"", hm); } else sb_puts(b, "null");
        sb_puts(b, ",\"text\":");
        put_span_json(b, d, u->text);
        sb_printf(b, ",\"span\":[%u,%u]}", u->text.s, u->text.e);
    }
    sb_puts(b, "],\"signatures\":{\"recorded_by\":");
    sb_jsonz(b, ro->p[ro->secretary].name);
    sb_puts(b, ",\"approved_by\":[");
    if (d->b->style == ST_MARKDOWN) { sb_jsonz(b, ro->p[ro->chair].name); sb_putc(b, ','); }
    sb_jsonz(b, ro->p[d->adjuster].name);
    sb_puts(b, "]},\"topics\":{");
    int first = 1;
    for (int t = 0; t < NTOPIC; t++) {
        uint32_t byc[NCLASS] = {0};
        uint32_t any = 0;
        for (int f = 0; f < TOPICS[t].nform; f++) { byc[TOPICS[t].fclass[f]] += d->written[t][f]; any += d->written[t][f]; }
        if (!any) continue;
        if (!first) sb_putc(b, ',');
        first = 0;
        sb_printf(b, "\"%s\":{\"word\":%u,\"head\":%u,\"tail\":%u,\"verb\":%u}", TOPICS[t].name,
                  byc[CL_WORD], byc[CL_HEAD], byc[CL_TAIL], byc[CL_VERB]);
    }
    sb_puts(b, "}}\n");
    if (fwrite(b->p, 1, b->n, g->meetings) != b->n) die("writing meetings.jsonl: %s", strerror(errno));
}

static void count_topics(gen *g, doc *d)
{
    for (int t = 0; t < NTOPIC; t++) {
        const topic *tp = &TOPICS[t];
        uint64_t h[NTC] = {0};
        for (int f = 0; f < tp->nform; f++) {
            uint32_t n = d->written[t][f];
            if (!n) continue;
            int c = tp->fclass[f];
            h[c] += n;
            if (c != CL_VERB) h[TC_TOPIC] += n;
            h[TC_TOPIC_VERB] += n;
            if (tp->fexact[f]) h[TC_EXACT] += n;
            if (tp->fprefix[f]) h[TC_PREFIX] += n;
            if (tp->fprefix[f] || c == CL_TAIL || c == CL_HEAD) h[TC_PREFIX_PARTS] += n;
        }
        for (int c = 0; c < NTC; c++) {
            if (!h[c]) continue;
            cell *ce = cell_at(g, d->year, d->bi, t, c);
            ce->docs++;
            ce->hits += h[c];
        }
    }
}

static void make_dir(const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST) die("cannot create %s: %s", path, strerror(errno));
}

static void write_file(const char *path, const char *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0) die("cannot create %s: %s", path, strerror(errno));
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) { if (errno == EINTR) continue; die("writing %s: %s", path, strerror(errno)); }
        p += k;
        n -= (size_t)k;
    }
    if (close(fd) != 0) die("closing %s: %s", path, strerror(errno));
}

/* Files are created by a writer thread while the next document is generated: on this kind of
 * machine creating a file costs about as much as generating it. */
#define QN 64
typedef struct wslot { char path[1024]; sbuf buf; } wslot;
typedef struct wqueue {
    wslot           slots[QN];
    int             head, tail, count, done;
    pthread_mutex_t mu;
    pthread_cond_t  nonempty, nonfull;
} wqueue;

static void *writer_main(void *arg)
{
    wqueue *q = arg;
    for (;;) {
        pthread_mutex_lock(&q->mu);
        while (q->count == 0 && !q->done) pthread_cond_wait(&q->nonempty, &q->mu);
        if (q->count == 0) { pthread_mutex_unlock(&q->mu); return NULL; }
        wslot *sl = &q->slots[q->head];
        pthread_mutex_unlock(&q->mu);
        write_file(sl->path, sl->buf.p, sl->buf.n);
        pthread_mutex_lock(&q->mu);
        q->head = (q->head + 1) % QN;
        if (q->count-- == QN) pthread_cond_signal(&q->nonfull);
        pthread_mutex_unlock(&q->mu);
    }
}

static wslot *queue_reserve(wqueue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == QN) pthread_cond_wait(&q->nonfull, &q->mu);
    wslot *sl = &q->slots[q->tail];
    pthread_mutex_unlock(&q->mu);
    return sl;
}

static void queue_push(wqueue *q)
{
    pthread_mutex_lock(&q->mu);
    q->tail = (q->tail + 1) % QN;
    if (q->count++ == 0) pthread_cond_signal(&q->nonempty);
    pthread_mutex_unlock(&q->mu);
}

static void gen_doc(gen *g, doc *d, uint64_t n, wqueue *q)
{
    sbuf keep = d->t;
    memset(d, 0, sizeof *d);
    d->t = keep;
    d->t.n = 0;
    d->g = g;
    d->cur_topic = -1;
    d->cur_item = -1;
    d->last_due = INT32_MIN;
    rng_seed(&d->r, g->seed, n, 0x6d696e75746573ull);
    schedule(g, d);
    d->ro = get_roster(g, d->bi, d->year);
    choose_present(d);
    switch (d->b->style) {
    case ST_PLAIN: gen_plain(d); break;
    case ST_MARKDOWN: gen_markdown(d); break;
    default: gen_municipal(d); break;
    }
    for (int t = 0; t < NTOPIC; t++)
        if (d->qhead[t] != d->qlen[t]) die("internal: doc %llu placed %d of %d mentions of %s",
                                           (unsigned long long)n, d->qhead[t], d->qlen[t], TOPICS[t].name);

    char rel[320], path[1024];
    int yi = d->year - g->y0;
    size_t di = (size_t)d->bi * (size_t)(g->y1 - g->y0 + 1) + (size_t)yi;
    if (!g->dir_made[di]) {
        snprintf(path, sizeof path, "%s/minutes/%s", g->out, d->b->id);
        make_dir(path);
        snprintf(path, sizeof path, "%s/minutes/%s/%d", g->out, d->b->id, d->year);
        make_dir(path);
        g->dir_made[di] = 1;
    }
    char iso[11];
    iso_str(iso, d->date);
    snprintf(rel, sizeof rel, "minutes/%s/%d/%s_%s_%06llu.%s", d->b->id, d->year, iso, d->b->id,
             (unsigned long long)n, d->b->style == ST_MARKDOWN ? "md" : "txt");
    write_truth(g, d, rel);
    wslot *sl = queue_reserve(q);
    snprintf(sl->path, sizeof sl->path, "%s/%s", g->out, rel);
    sbuf tmp = sl->buf;
    sl->buf = d->t;
    d->t = tmp;
    count_topics(g, d);
    size_t yb = (size_t)yi * (size_t)g->nbodies + (size_t)d->bi;
    g->year_docs[yb]++;
    g->year_bytes[yb] += sl->buf.n;
    g->ndocs++;
    g->nbytes += sl->buf.n;
    g->style_count[d->b->style]++;
    queue_push(q);
}

/* ================================================================================================
 * Truth files and main.
 * ============================================================================================== */

static FILE *open_out(gen *g, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/truth/%s", g->out, name);
    FILE *f = fopen(path, "wb");
    if (!f) die("cannot create %s: %s", path, strerror(errno));
    return f;
}

static void close_out(FILE *f, const char *name)
{
    if (ferror(f) || fclose(f) != 0) die("writing %s failed", name);
}

static void write_tables(gen *g)
{
    FILE *f = open_out(g, "topics.tsv");
    fprintf(f, "year\tbody_id\ttopic\tclass\tdocs\thits\n");
    for (int y = g->y0; y <= g->y1; y++)
        for (int b = 0; b < g->nbodies; b++)
            for (int t = 0; t < NTOPIC; t++)
                for (int c = 0; c < NTC; c++) {
                    cell *ce = cell_at(g, y, b, t, c);
                    if (ce->docs)
                        fprintf(f, "%d\t%s\t%s\t%s\t%llu\t%llu\n", y, g->bodies[b].id, TOPICS[t].name,
                                TC_NAMES[c], (unsigned long long)ce->docs, (unsigned long long)ce->hits);
                }
    close_out(f, "topics.tsv");

    f = open_out(g, "docs.tsv");
    fprintf(f, "year\tbody_id\tdocs\tbytes\n");
    for (int y = g->y0; y <= g->y1; y++)
        for (int b = 0; b < g->nbodies; b++) {
            size_t i = (size_t)(y - g->y0) * (size_t)g->nbodies + (size_t)b;
            if (g->year_docs[i])
                fprintf(f, "%d\t%s\t%llu\t%llu\n", y, g->bodies[b].id, (unsigned long long)g->year_docs[i],
                        (unsigned long long)g->year_bytes[i]);
        }
    close_out(f, "docs.tsv");

    sbuf s = {0};
    sb_printf(&s, "{\n  \"generator\": \"protokoll bench/gen\",\n  \"seed\": %llu,\n  \"documents\": %llu,\n"
                  "  \"bytes\": %llu,\n  \"from_year\": %d,\n  \"to_year\": %d,\n",
              (unsigned long long)g->seed, (unsigned long long)g->ndocs, (unsigned long long)g->nbytes,
              g->y0, g->y1);
    sb_puts(&s, "  \"word_list\": ");
    sb_jsonz(&s, g->v.source);
    sb_printf(&s, ",\n  \"word_list_fnv1a64\": \"%016llx\",\n  \"word_forms\": %u,\n  \"word_families\": %u,\n",
              (unsigned long long)g->v.source_hash, g->v.nform, g->v.nlem);
    sb_printf(&s, "  \"styles\": {\"plain\": %d, \"markdown\": %d, \"municipal\": %d},\n",
              g->style_count[0], g->style_count[1], g->style_count[2]);
    sb_puts(&s, "  \"files\": {\"minutes\": \"minutes/<body_id>/<year>/<date>_<body_id>_<n>.(txt|md)\", "
                "\"topics\": \"truth/topics.tsv\", \"docs\": \"truth/docs.tsv\", "
                "\"meetings\": \"truth/meetings.jsonl\"},\n");
    sb_puts(&s, "  \"classes\": {\n"
                "    \"word\": \"inflections of the topic word (whole words)\",\n"
                "    \"head\": \"compounds with the topic as first part (elektrifieringsfrågan)\",\n"
                "    \"tail\": \"compounds with the topic as last part (järnvägselektrifiering)\",\n"
                "    \"verb\": \"related verb forms (elektrifiera); not part of the topic\",\n"
                "    \"topic\": \"word + head + tail: what the topic query counts\",\n"
                "    \"topic+verb\": \"topic + verb\",\n"
                "    \"exact\": \"word forms whose Snowball stem equals the topic's stem: what =TOPIC counts\",\n"
                "    \"prefix\": \"forms whose Snowball stem (of the whole word) starts with the prefix: what PREFIX* counts over whole-word terms\",\n"
                "    \"prefix+parts\": \"prefix + tail compounds: PREFIX* over whole-word and compound-part terms\"\n"
                "  },\n");
    sb_puts(&s, "  \"counting\": \"occurrences are tokens; a document counts once per year, body, topic and class when it has at least one occurrence of that class. Every document with a tail or verb form also has a word or head form. No other token of the archive contains a topic's marker (case-insensitively).\",\n");
    sb_puts(&s, "  \"topics\": [\n");
    for (int t = 0; t < NTOPIC; t++) {
        const topic *tp = &TOPICS[t];
        sb_puts(&s, "    {\"name\": ");
        sb_jsonz(&s, tp->name);
        sb_puts(&s, ", \"stem\": ");
        sb_jsonz(&s, tp->stem);
        sb_puts(&s, ", \"prefix\": ");
        sb_jsonz(&s, tp->prefix);
        sb_puts(&s, ", \"marker\": ");
        sb_jsonz(&s, tp->marker);
        sb_printf(&s, ", \"shape\": \"%s\",\n     \"forms\": [", SHAPE_NAMES[tp->shape]);
        for (int k = 0; k < tp->nform; k++) {
            if (k) sb_puts(&s, ",");
            sb_puts(&s, "\n       {\"form\": ");
            sb_jsonz(&s, tp->form[k]);
            sb_printf(&s, ", \"class\": \"%s\", \"stem\": ", CLASS_NAMES[tp->fclass[k]]);
            sb_jsonz(&s, tp->fstem[k]);
            sb_printf(&s, ", \"exact\": %s, \"prefix\": %s}", tp->fexact[k] ? "true" : "false",
                      tp->fprefix[k] ? "true" : "false");
        }
        sb_printf(&s, "],\n     \"planned_probability\": {");
        for (int y = g->y0; y <= g->y1; y++)
            sb_printf(&s, "%s\"%d\": %.4f", y == g->y0 ? "" : ", ", y, topic_prob(tp, y, g->y0, g->y1));
        sb_printf(&s, "}}%s\n", t + 1 < NTOPIC ? "," : "");
    }
    sb_puts(&s, "  ],\n  \"bodies\": [\n");
    for (int b = 0; b < g->nbodies; b++) {
        const body *bd = &g->bodies[b];
        sb_puts(&s, "    {\"id\": ");
        sb_jsonz(&s, bd->id);
        sb_puts(&s, ", \"name\": ");
        sb_jsonz(&s, bd->name);
        sb_puts(&s, ", \"organization\": ");
        sb_jsonz(&s, bd->org[0] ? bd->org : NULL);
        sb_printf(&s, ", \"kind\": \"%s\", \"style\": \"%s\", \"region\": ", KIND_NAMES[bd->kind], STYLE_NAMES[bd->style]);
        sb_jsonz(&s, REGIONS[bd->region].name);
        sb_printf(&s, ", \"first_year\": %d}%s\n", bd->first_year, b + 1 < g->nbodies ? "," : "");
    }
    sb_puts(&s, "  ]\n}\n");
    f = open_out(g, "summary.json");
    fwrite(s.p, 1, s.n, f);
    close_out(f, "summary.json");
    free(s.p);
}

static void vocab_free(vocab *v)
{
    free(v->pool); free(v->off); free(v->len); free(v->lem_first); free(v->lem_n); free(v->noun_lem);
    free(v->all.prob); free(v->all.alias); free(v->nouns.prob); free(v->nouns.alias);
}

static void gen_free(gen *g)
{
    vocab_free(&g->v);
    for (size_t i = 0; i < (size_t)g->nbodies * (size_t)g->nterms; i++) free(g->rosters[i]);
    free(g->rosters); free(g->bodies); free(g->dir_made); free(g->year_docs); free(g->year_bytes);
    free(g->cells); free(g->line.p);
    for (int t = 0; t < NTOPIC; t++) {
        free(TOPICS[t].stem);
        for (int k = 0; k < TOPICS[t].nform; k++) free(TOPICS[t].fstem[k]);
    }
}

static void usage(void)
{
    fprintf(stderr,
            "usage: gen -o DIR (--mb N | --docs N) [--seed S] [--words PATH|none] [--from YEAR] [--to YEAR] [-q]\n"
            "Writes DIR/minutes/... and DIR/truth/...; DIR/minutes must not exist yet.\n");
    exit(2);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    gen g;
    memset(&g, 0, sizeof g);
    g.seed = 1;
    g.y0 = 2000;
    g.y1 = 2025;
    double mb = 0;
    long long ndocs = -1;
    const char *words = "/usr/share/dict/swedish";
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-o") && val) { g.out = val; i++; }
        else if (!strcmp(a, "--mb") && val) { mb = atof(val); i++; }
        else if (!strcmp(a, "--docs") && val) { ndocs = atoll(val); i++; }
        else if (!strcmp(a, "--seed") && val) { g.seed = strtoull(val, NULL, 10); i++; }
        else if (!strcmp(a, "--words") && val) { words = val; i++; }
        else if (!strcmp(a, "--from") && val) { g.y0 = atoi(val); i++; }
        else if (!strcmp(a, "--to") && val) { g.y1 = atoi(val); i++; }
        else if (!strcmp(a, "-q")) quiet = 1;
        else usage();
    }
    if (!g.out || (mb <= 0 && ndocs < 0)) usage();
    if (g.y0 < 1900 || g.y1 > 2100 || g.y1 < g.y0 || g.y1 - g.y0 >= 64) die("years must span 1..64 years within 1900..2100");

    double t0 = now_seconds();
    check_marker_free();
    topics_init();
    vocab_load(&g.v, words, g.seed);
    build_bodies(&g);
    g.nterms = (g.y1 - 2002) / 4 + 2;
    if (g.nterms < 1) g.nterms = 1;
    g.rosters = xcalloc((size_t)g.nbodies * (size_t)g.nterms, sizeof *g.rosters);
    int ny = g.y1 - g.y0 + 1;
    g.dir_made = xcalloc((size_t)g.nbodies * (size_t)ny, 1);
    g.year_docs = xcalloc((size_t)g.nbodies * (size_t)ny, sizeof *g.year_docs);
    g.year_bytes = xcalloc((size_t)g.nbodies * (size_t)ny, sizeof *g.year_bytes);
    g.cells = xcalloc((size_t)ny * (size_t)g.nbodies * NTOPIC * NTC, sizeof *g.cells);

    char path[1024];
    make_dir(g.out);
    snprintf(path, sizeof path, "%s/minutes", g.out);
    if (mkdir(path, 0777) != 0) {
        if (errno == EEXIST) die("%s already exists; remove it first (the truth must match the files)", path);
        die("cannot create %s: %s", path, strerror(errno));
    }
    snprintf(path, sizeof path, "%s/truth", g.out);
    make_dir(path);
    g.meetings = open_out(&g, "meetings.jsonl");

    uint64_t target = mb > 0 ? (uint64_t)(mb * 1e6) : 0;
    doc *d = xcalloc(1, sizeof *d);
    wqueue *q = xcalloc(1, sizeof *q);
    pthread_t writer;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->nonempty, NULL);
    pthread_cond_init(&q->nonfull, NULL);
    if (pthread_create(&writer, NULL, writer_main, q) != 0) die("cannot start the writer thread");
    double t1 = now_seconds();
    for (uint64_t n = 0;; n++) {
        if (ndocs >= 0 ? n >= (uint64_t)ndocs : g.nbytes >= target) break;
        gen_doc(&g, d, n, q);
    }
    pthread_mutex_lock(&q->mu);
    q->done = 1;
    pthread_cond_signal(&q->nonempty);
    pthread_mutex_unlock(&q->mu);
    pthread_join(writer, NULL);
    for (int i = 0; i < QN; i++) free(q->slots[i].buf.p);
    free(q);
    close_out(g.meetings, "meetings.jsonl");
    write_tables(&g);
    double t2 = now_seconds();
    if (!quiet) {
        double secs = t2 - t1;
        printf("| gen documents | %llu | docs |\n", (unsigned long long)g.ndocs);
        printf("| gen bytes | %llu | bytes |\n", (unsigned long long)g.nbytes);
        printf("| gen time | %.3f | s |\n", t2 - t0);
        printf("| gen throughput | %.1f | MB/s |\n", secs > 0 ? g.nbytes / 1e6 / secs : 0.0);
        printf("| gen word list | %u forms in %u families (%s) | words |\n", g.v.nform, g.v.nlem, g.v.source);
    }
    free(d->t.p);
    free(d);
    gen_free(&g);
    return 0;
}
