/* test_compound.c — the compound splitter: precision and recall on tests/data/compounds.tsv, the
 * seed's compounds and non-compounds, the lexicon loader on a small hunspell pair of its own,
 * the supplement's directives, allocation failures, and every word of the real corpus. */
#include <dirent.h>
#include <sys/stat.h>

#include "compound.h"
#include "harness.h"
#include "protokoll.h"
#include "tokenizer.h"
#include "util.h"

static lexicon *sys;   /* the shared default lexicon */

/* "a+b" of a word's split ("-" when whole), from the lexicon directly. */
static const char *split_str(const lexicon *lx, const char *word)
{
    static char out[256];
    uint8_t f[PK_MAX_TOKEN];
    int trunc;
    size_t n = tok_fold((const uint8_t *)word, strlen(word), f, sizeof f, &trunc);
    cpd_part p[PK_MAX_PARTS];
    int k = compound_split(lx, f, n, p, PK_MAX_PARTS);
    if (k == 0) return "-";
    out[0] = 0;
    for (int i = 0; i < k; i++) {
        size_t l = strlen(out);
        snprintf(out + l, sizeof out - l, "%s%.*s", i ? "+" : "", p[i].len, (const char *)f + p[i].start);
    }
    return out;
}

static int have_hunspell(void) { return strncmp(lexicon_source(sys), "hunspell:", 9) == 0; }

#define CHECK_SPLIT(lx, word, want) do { const char *got_ = split_str(lx, word); \
    CHECKF(strcmp(got_, want) == 0, "%s: got %s, want %s", word, got_, want); } while (0)

static void evaluation_list(void)
{
    if (!have_hunspell()) SKIP("hunspell-sv is not installed (make deps)");
    uint8_t *data = NULL;
    size_t n = 0;
    if (util_read_file("tests/data/compounds.tsv", &data, &n, NULL) != PK_OK) SKIP("tests/data/compounds.tsv missing");
    int words = 0, compounds = 0, made = 0, right = 0;
    char line[512];
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && data[j] != '\n') j++;
        size_t l = j - i < sizeof line - 1 ? j - i : sizeof line - 1;
        memcpy(line, data + i, l);
        line[l] = 0;
        i = j + 1;
        char *tab = strchr(line, '\t');
        if (line[0] == '#' || !tab) continue;
        *tab = 0;
        const char *want = tab + 1, *got = split_str(sys, line);
        words++;
        int is_compound = strcmp(want, "-") != 0, split = strcmp(got, "-") != 0;
        compounds += is_compound;
        made += split;
        if (split && strcmp(got, want) == 0) right++;
        if (strcmp(got, want) != 0) printf("  miss: %s: got %s, want %s\n", line, got, want);
    }
    pk_free(data);
    double precision = made ? (double)right / made : 0, recall = compounds ? (double)right / compounds : 0;
    printf("INFO compound splitter on %d words (%d compounds): precision %.3f (%d of %d splits right), "
           "recall %.3f (%d of %d compounds)\n", words, compounds, precision, right, made, recall, right, compounds);
    CHECK(words >= 150);
    CHECKF(precision >= 0.95, "precision %.3f below 0.95", precision);
    CHECKF(recall >= 0.95, "recall %.3f below 0.95", recall);
}

/* Parts of two or three letters: dictionary words split at a listed short part, lexicalised
 * words and accidents stay whole. */
static void short_parts(void)
{
    if (!have_hunspell()) SKIP("hunspell-sv is not installed (make deps)");
    CHECK_SPLIT(sys, "årsbudgeten", "år+budgeten");        /* linking -s- after a short part */
    CHECK_SPLIT(sys, "tidsplan", "tid+plan");
    CHECK_SPLIT(sys, "målgrupp", "mål+grupp");
    CHECK_SPLIT(sys, "valberedningen", "val+beredningen");
    CHECK_SPLIT(sys, "faxnummer", "fax+nummer");
    CHECK_SPLIT(sys, "telefax", "tele+fax");               /* a short last part */
    CHECK_SPLIT(sys, "kalenderår", "kalender+år");
    CHECK_SPLIT(sys, "elnätet", "el+nätet");                 /* two letters */
    CHECK_SPLIT(sys, "trycksår", "tryck+sår");             /* not tryck+s+år */
    CHECK_SPLIT(sys, "mötesordförande", "möte+ordförande"); /* fewest parts */
    const char *whole[] = {"ordförande", "ordföranden", "bokföring", "bokslut", "bokstaven", "deltagare",
                           "deltagarna", "budgeten", "måltid", "riksdagen", "telefon", "television",
                           "sjukdom", "klubben", "knappar", "elände", "eller", NULL};
    for (int i = 0; whole[i]; i++) CHECK_SPLIT(sys, whole[i], "-");
}

static void seed_compounds_and_non_compounds(void)
{
    if (!have_hunspell()) SKIP("hunspell-sv is not installed (make deps)");
    CHECK_SPLIT(sys, "elektrifieringsfrågan", "elektrifiering+frågan");
    CHECK_SPLIT(sys, "Elektrifieringslöftet", "elektrifiering+löftet");
    CHECK_SPLIT(sys, "planeringskonferensen", "planering+konferensen");
    CHECK_SPLIT(sys, "Södertörnskonferensen", "södertörn+konferensen");
    CHECK_SPLIT(sys, "järnvägselektrifiering", "järnväg+elektrifiering");
    const char *whole[] = {"beslutet", "protokollet", "konferensen", "ordförande", "sekreterare",
                           "elektrifiering", "budgeten", "styrelsen", "Södertörn", NULL};
    for (int i = 0; whole[i]; i++) CHECK_SPLIT(sys, whole[i], "-");
}

static void linking_forms(void)
{
    if (!have_hunspell()) SKIP("hunspell-sv is not installed (make deps)");
    CHECK_SPLIT(sys, "arbetsgruppen", "arbet+gruppen");          /* arbete -> arbets- */
    CHECK_SPLIT(sys, "stämmohandlingarna", "stämm+handlingarna"); /* stämma -> stämmo- */
    CHECK_SPLIT(sys, "frågesport", "fråg+sport");                 /* fråga -> fråge- */
    CHECK_SPLIT(sys, "remissvaret", "remiss+svaret");             /* remiss+svar: sss -> ss */
    CHECK_SPLIT(sys, "klubbsport", "klubb+sport");                /* not klubbs+port */
    CHECK_SPLIT(sys, "Eriksson", "-");                            /* a surname */
    CHECK_SPLIT(sys, "Bergström", "-");
    CHECK_SPLIT(sys, "föregående", "-");                          /* före+gående: a particle verb */
    CHECK_SPLIT(sys, "kort", "-");
}

static void shared_and_deterministic(void)
{
    lexicon *b = NULL;
    CHECK(lexicon_acquire(NULL, &b, NULL) == PK_OK);
    CHECK(b == sys);
    lexicon_release(b);
    if (!have_hunspell()) SKIP("hunspell-sv is not installed (make deps)");
    CHECK(lexicon_entries(sys) > 100000);
    /* a lexicon of one's own gives the same splits and hash */
    lexicon *own = NULL;
    char *err = NULL;
    CHECK(lexicon_load(NULL, NULL, &own, &err) == PK_OK);
    CHECK(own && lexicon_hash32(own) == lexicon_hash32(sys));
    const char *words[] = {"elektrifieringsfrågan", "ledningsgruppsmötet", "verksamhetsberättelse", NULL};
    for (int i = 0; own && words[i]; i++) {
        char a[256];
        snprintf(a, sizeof a, "%s", split_str(sys, words[i]));
        CHECK_STR(split_str(own, words[i]), a);
    }
    lexicon_release(own);
    pk_free(err);
}

/* ---- a small hunspell pair of our own ---- */

static char dir[64];

static void write_file(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) { fputs(text, f); fclose(f); }
}

static const char *mini_aff =
    "SET UTF-8\n"
    "COMPOUNDBEGIN X\nCOMPOUNDMIDDLE U\nCOMPOUNDEND Y\nONLYINCOMPOUND Z\nCOMPOUNDPERMITFLAG W\n"
    "FORBIDDENWORD %\n"
    "SFX A Y 1\nSFX A 0 s .\n"
    "SFX D Y 2\nSFX D 0 en [^a]\nSFX D 0 ens [^a]\n"
    "SFX E Y 2\nSFX E 0 n [^m]\nSFX E 0 ns [^m]\n"
    "SFX G Y 2\nSFX G a or a\nSFX G a orna a\n"
    "SFX v N 2\nSFX v a s/WXZ a\nSFX v 0 s/WXZ [^a]\n"
    "SFX x N 1\nSFX x a o/WXZ a\n";

static const char *mini_dic =
    "11\n"
    "bil/ADXY\n"
    "fabrik/ADvY\n"
    "dörr/ADXY\n"
    "handtag/ADY\n"
    "kyrka/AEGxY\n"
    "gård/ADY\n"
    "arbets/XZ\n"
    "arbete/AEY\n"
    "Ekholm/A\n"
    "bilfabrik/%\n"
    "ad hoc\n";

static void mini_lexicon(void)
{
    snprintf(dir, sizeof dir, "/tmp/pk_lexXXXXXX");
    if (!mkdtemp(dir)) SKIP("cannot make a temporary folder");
    write_file("mini.aff", mini_aff);
    write_file("mini.dic", mini_dic);
    write_file("extra.txt",
               "# extra words\n"
               "split: dörrhandtagsfabrik = dörrhandtag(s)+fabrik\n"
               "whole: bilkyrka\n");
    char base[128];
    snprintf(base, sizeof base, "%s/mini", dir);
    lexicon *lx = NULL;
    char *err = NULL;
    CHECK(lexicon_load(base, NULL, &lx, &err) == PK_OK);
    if (!lx) { pk_free(err); return; }
    CHECK(strstr(lexicon_source(lx), "mini") != NULL);
    CHECK_SPLIT(lx, "bilfabriken", "bil+fabriken");
    CHECK_SPLIT(lx, "fabriksbil", "fabrik+bil");
    CHECK_SPLIT(lx, "dörrhandtagen", "dörr+handtagen");
    CHECK_SPLIT(lx, "kyrkogården", "kyrk+gården");
    CHECK_SPLIT(lx, "arbetsbilen", "arbet+bilen");
    CHECK_SPLIT(lx, "bilen", "-");
    CHECK_SPLIT(lx, "handtag", "-");
    CHECK(lexicon_knows(lx, (const uint8_t *)"fabrikens", 9));
    CHECK(!lexicon_knows(lx, (const uint8_t *)"arbets", 6));   /* only in compounds */
    uint32_t h = lexicon_hash32(lx);
    lexicon_release(lx);

    /* a bad supplement line names the file and line */
    write_file("bad.txt", "ok\nsplit: bilfabrik = bil+fabrikk\n");
    char extra[128];
    snprintf(extra, sizeof extra, "%s/bad.txt", dir);
    err = NULL;
    lx = (lexicon *)1;
    CHECK(lexicon_load(base, extra, &lx, &err) == PK_ESYNTAX);
    CHECK(lx == NULL);
    CHECKF(err && strstr(err, "bad.txt: line 2"), "%s", err ? err : "(no message)");
    pk_free(err);
    write_file("bad2.txt", "whole: ok\nnosuch: directive here\n");
    snprintf(extra, sizeof extra, "%s/bad2.txt", dir);
    err = NULL;
    CHECK(lexicon_load(base, extra, &lx, &err) == PK_ESYNTAX);
    CHECK(err && strstr(err, "line 2") && strstr(err, "nosuch"));
    pk_free(err);
    /* a missing extra file or hunspell pair */
    err = NULL;
    CHECK(lexicon_load(base, "/nonexistent/extra.txt", &lx, &err) == PK_ENOENT);
    CHECK(err && strstr(err, "/nonexistent/extra.txt"));
    pk_free(err);
    err = NULL;
    CHECK(lexicon_load("/nonexistent/sv", NULL, &lx, &err) == PK_ENOENT);
    pk_free(err);

    /* directives of an extra file: an explicit split applies to inflections; the hash changes */
    write_file("dic2.dic", "2\ndörrhandtag/ADY\nfabrik/ADvY\n");
    write_file("dic2.aff", mini_aff);
    write_file("extra2.txt",
               "split: dörrhandtagsfabrik/ADY = dörrhandtag(s)+fabrik\n"
               "whole: fabriksfabrik\n"
               "namehead: fabrik\n");
    snprintf(base, sizeof base, "%s/dic2", dir);
    snprintf(extra, sizeof extra, "%s/extra2.txt", dir);
    err = NULL;
    CHECK(lexicon_load(base, extra, &lx, &err) == PK_OK);
    if (lx) {
        CHECK(lexicon_hash32(lx) != h);
        CHECK_SPLIT(lx, "dörrhandtagsfabriken", "dörrhandtag+fabriken");
        CHECK_SPLIT(lx, "fabriksfabrik", "-");
        lexicon_release(lx);
    }
    pk_free(err);
    /* short parts of a known word only when listed */
    write_file("dic3.dic", "4\nek/ADXY\nfabrik/ADvXY\nekfabrik/ADY\nfabriksek/ADY\n");
    write_file("dic3.aff", mini_aff);
    write_file("short.txt", "shortfirst: ek\nshortlast: ek\n");
    write_file("bad3.txt", "shortlast: ek\nshortfirst: fabrik\n");
    snprintf(base, sizeof base, "%s/dic3", dir);
    err = NULL;
    CHECK(lexicon_load(base, NULL, &lx, &err) == PK_OK);
    if (lx) {
        CHECK_SPLIT(lx, "ekfabriken", "-");
        CHECK_SPLIT(lx, "fabriksek", "-");
        CHECK_SPLIT(lx, "fabrikek", "-");
        lexicon_release(lx);
    }
    pk_free(err);
    snprintf(extra, sizeof extra, "%s/short.txt", dir);
    err = NULL;
    CHECK(lexicon_load(base, extra, &lx, &err) == PK_OK);
    if (lx) {
        CHECK_SPLIT(lx, "ekfabriken", "ek+fabriken");
        CHECK_SPLIT(lx, "fabriksek", "fabrik+ek");
        CHECK_SPLIT(lx, "fabrikek", "fabrik+ek");
        lexicon_release(lx);
    }
    pk_free(err);
    snprintf(extra, sizeof extra, "%s/bad3.txt", dir);
    err = NULL;
    CHECK(lexicon_load(base, extra, &lx, &err) == PK_ESYNTAX);
    CHECKF(err && strstr(err, "bad3.txt: line 2") && strstr(err, "fabrik"), "%s", err ? err : "(no message)");
    pk_free(err);
    /* the supplement alone */
    err = NULL;
    CHECK(lexicon_load("", NULL, &lx, &err) == PK_OK);
    if (lx) {
        CHECK_STR(lexicon_source(lx), "none");
        lexicon_release(lx);
    }
    pk_free(err);
}

static long fail_at, alloc_count;
static void *failing_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud; (void)osize;
    if (nsize == 0) { free(ptr); return NULL; }
    if (++alloc_count == fail_at) return NULL;
    return realloc(ptr, nsize);
}

static void loader_allocation_failures(void)
{
    if (!dir[0]) SKIP("no temporary lexicon");
    char base[128], extra[128];
    snprintf(base, sizeof base, "%s/mini", dir);
    snprintf(extra, sizeof extra, "%s/extra.txt", dir);
    int done = 0;
    for (fail_at = 1; fail_at < 10000 && !done; fail_at++) {
        alloc_count = 0;
        pk_set_allocator(failing_alloc, NULL);
        lexicon *lx = NULL;
        char *err = NULL;
        pk_status st = lexicon_load(base, extra, &lx, &err);
        int reached = alloc_count >= fail_at;
        const char *s = lx ? split_str(lx, "bilfabriken") : NULL;
        int ok = s && strcmp(s, "bil+fabriken") == 0;
        s = lx ? split_str(lx, "dörrhandtagsfabrik") : NULL;
        ok = ok && s && strcmp(s, "dörrhandtag+fabrik") == 0;
        s = lx ? split_str(lx, "bilkyrka") : NULL;
        ok = ok && s && strcmp(s, "-") == 0;
        lexicon_release(lx);
        pk_free(err);
        pk_set_allocator(NULL, NULL);
        CHECKF(st == PK_OK || st == PK_ENOMEM, "status %d at allocation %ld", st, fail_at);
        if (st != PK_OK) CHECK(lx == NULL);
        if (!reached) { CHECK(st == PK_OK && ok); done = 1; }
    }
    CHECK(done);
}

/* ---- every word of the real corpus: parts are in order, inside the word, non-empty ---- */

static long corpus_words, corpus_split;

static void split_file(const char *path)
{
    uint8_t *p = NULL;
    size_t n = 0;
    if (util_read_file(path, &p, &n, NULL) != PK_OK) return;
    tok_state ts;
    tok_span sp;
    tok_init(&ts, (const char *)p, n);
    while (tok_next(&ts, &sp)) {
        if (sp.kind != PK_TOK_WORD) continue;
        uint8_t f[PK_MAX_TOKEN];
        int trunc;
        size_t fl = tok_norm(sp.kind, p + sp.start, sp.end - sp.start, f, sizeof f, &trunc);
        cpd_part parts[PK_MAX_PARTS], again[PK_MAX_PARTS];
        int k = compound_split(sys, f, fl, parts, PK_MAX_PARTS);
        corpus_words++;
        if (!k) continue;
        corpus_split++;
        CHECK(k >= 2 && k <= PK_MAX_PARTS);
        CHECK(parts[0].start == 0);
        CHECK(parts[k - 1].start + parts[k - 1].len == fl);
        for (int i = 0; i < k; i++) {
            CHECK(parts[i].len > 0 && parts[i].start + parts[i].len <= fl);
            if (i) CHECK(parts[i].start > parts[i - 1].start && parts[i].start <= parts[i - 1].start + parts[i - 1].len + 4);
        }
        CHECK(compound_split(sys, f, fl, again, PK_MAX_PARTS) == k && memcmp(again, parts, sizeof parts[0] * (size_t)k) == 0);
    }
    pk_free(p);
}

static void walk(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return;
    if (S_ISREG(st.st_mode)) { split_file(path); return; }
    if (!S_ISDIR(st.st_mode)) return;
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        walk(sub);
    }
    closedir(d);
}

static void real_corpus_words(void)
{
    const char *shared = t_shared();
    if (!shared) SKIP("../shared is not beside the project (the real corpus)");
    if (!have_hunspell()) SKIP("hunspell-sv is not installed (make deps)");
    char path[512];
    snprintf(path, sizeof path, "%s/corpus/real", shared);
    walk(path);
    printf("INFO real corpus: %ld words, %ld split into parts\n", corpus_words, corpus_split);
    CHECK(corpus_words > 50000);
    CHECK(corpus_split > corpus_words / 100);
}

int main(void)
{
    t_suite = "compound";
    char *err = NULL;
    if (lexicon_acquire(NULL, &sys, &err) != PK_OK) {
        printf("FAIL compound.setup: %s\n", err ? err : "cannot load the lexicon");
        return 1;
    }
    RUN(evaluation_list);
    RUN(short_parts);
    RUN(seed_compounds_and_non_compounds);
    RUN(linking_forms);
    RUN(shared_and_deterministic);
    RUN(mini_lexicon);
    RUN(loader_allocation_failures);
    RUN(real_corpus_words);
    lexicon_release(sys);
    if (dir[0]) {
        const char *names[] = {"mini.aff", "mini.dic", "extra.txt", "bad.txt", "bad2.txt", "dic2.dic",
                               "dic2.aff", "extra2.txt", "dic3.dic", "dic3.aff", "short.txt", "bad3.txt", NULL};
        for (int i = 0; names[i]; i++) {
            char p[128];
            snprintf(p, sizeof p, "%s/%s", dir, names[i]);
            unlink(p);
        }
        rmdir(dir);
    }
    TEST_MAIN_END();
}
