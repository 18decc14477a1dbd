/* render.c — turns query JSON into what a person reads in a terminal, or CSV for a spreadsheet. */
#include "render.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : dflt;
}

static long long int_or(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

void render_json(FILE *out, const char *json)
{
    fputs(json, out);
    fputc('\n', out);
}

/* Display width of UTF-8 text: one column per code point (minutes are Latin script). */
static int width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) w++;
    return w;
}

static void pad(FILE *out, const char *s, int w, int right)
{
    int n = width(s);
    if (right) for (int i = n; i < w; i++) fputc(' ', out);
    fputs(s, out);
    if (!right) for (int i = n; i < w; i++) fputc(' ', out);
}

static void bar(FILE *out, double frac, int cells)
{
    /* eighth blocks give a smooth bar */
    static const char *const eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
    if (frac < 0) frac = 0;
    if (frac > 1) frac = 1;
    int units = (int)lround(frac * cells * 8);
    int drawn = 0;
    for (; units >= 8; units -= 8, drawn++) fputs("█", out);
    if (units > 0) fputs(eighths[units], out);
    (void)drawn;   /* the bar is the last column: no padding after it */
}

static void csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) { fputs(s, out); return; }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* Several queries side by side: per period the meetings, then for each query its hits, rate per
 * 10,000 words and a short bar scaled to that query's highest rate. */
static void render_side_by_side(FILE *out, json_t *results, int color)
{
    const char *bold = color ? "\033[1m" : "", *dim = color ? "\033[2m" : "", *reset = color ? "\033[0m" : "";
    size_t nq = json_array_size(results);
    for (size_t q = 0; q < nq; q++) {
        json_t *r = json_array_get(results, q);
        json_t *terms = json_object_get(r, "matched_terms");
        fprintf(out, "%s[%zu] %s%s  %s%zu term%s:", bold, q + 1, str_or(r, "query", ""), reset, dim,
                json_array_size(terms), json_array_size(terms) == 1 ? "" : "s");
        size_t i;
        for (i = 0; i < json_array_size(terms) && i < 8; i++) {
            const char *t = json_string_value(json_array_get(terms, i));
            fprintf(out, " %s", t ? t : "");
        }
        if (json_array_size(terms) > i) fprintf(out, " … (+%zu)", json_array_size(terms) - i);
        fprintf(out, "%s\n", reset);
    }
    double *maxrate = calloc(nq, sizeof *maxrate);
    if (!maxrate) return;
    json_t *first = json_object_get(json_array_get(results, 0), "series");
    size_t np = json_array_size(first);
    for (size_t q = 0; q < nq; q++) {
        json_t *series = json_object_get(json_array_get(results, q), "series");
        for (size_t i = 0; i < json_array_size(series); i++) {
            json_t *e = json_array_get(series, i);
            long long tok = int_or(e, "total_tokens");
            double rate = tok ? int_or(e, "hits") * 10000.0 / (double)tok : 0;
            if (rate > maxrate[q]) maxrate[q] = rate;
        }
    }
    fprintf(out, "\n%s%-9s %8s", dim, "period", "meetings");
    for (size_t q = 0; q < nq; q++) {
        char h[48];
        snprintf(h, sizeof h, "[%zu] hits", q + 1);
        fprintf(out, "   %8s %8s%s", h, "per 10k", q + 1 < nq ? "         " : "");
    }
    fprintf(out, "%s\n", reset);
    for (size_t i = 0; i < np; i++) {
        json_t *e0 = json_array_get(first, i);
        pad(out, str_or(e0, "period", ""), 9, 0);
        fprintf(out, " %8lld", int_or(e0, "total_docs"));
        for (size_t q = 0; q < nq; q++) {
            json_t *e = json_array_get(json_object_get(json_array_get(results, q), "series"), i);
            long long tok = int_or(e, "total_tokens"), hits = int_or(e, "hits");
            double rate = tok ? hits * 10000.0 / (double)tok : 0;
            fprintf(out, "   %8lld %8.1f", hits, rate);
            if (q + 1 < nq || rate > 0) fputc(' ', out);
            if (q + 1 < nq || rate > 0) {
                int cells = 8;
                /* a fixed-width bar keeps the columns aligned */
                double frac = maxrate[q] > 0 ? rate / maxrate[q] : 0;
                int units = (int)lround(frac * cells * 8), drawn = 0;
                static const char *const eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
                for (; units >= 8; units -= 8, drawn++) fputs("█", out);
                if (units > 0) { fputs(eighths[units], out); drawn++; }
                if (q + 1 < nq) for (; drawn < cells; drawn++) fputc(' ', out);
            }
        }
        fputc('\n', out);
    }
    free(maxrate);
}

int render_trend(FILE *out, const char *json, int csv, int color)
{
    json_error_t err;
    json_t *root = json_loads(json, 0, &err);
    json_t *results = json_object_get(root, "results");
    if (!json_is_array(results)) { json_decref(root); return -1; }
    size_t nq = json_array_size(results);
    if (csv) {
        fputs("period,query,docs,hits,total_docs,total_tokens,hits_per_10k_words\n", out);
        for (size_t q = 0; q < nq; q++) {
            json_t *r = json_array_get(results, q);
            json_t *series = json_object_get(r, "series");
            for (size_t i = 0; i < json_array_size(series); i++) {
                json_t *s = json_array_get(series, i);
                long long tok = int_or(s, "total_tokens"), hits = int_or(s, "hits");
                csv_field(out, str_or(s, "period", ""));
                fputc(',', out);
                csv_field(out, str_or(r, "query", ""));
                fprintf(out, ",%lld,%lld,%lld,%lld,%.3f\n", int_or(s, "docs"), hits, int_or(s, "total_docs"), tok,
                        tok ? hits * 10000.0 / (double)tok : 0.0);
            }
        }
        json_decref(root);
        return 0;
    }
    const char *bold = color ? "\033[1m" : "", *dim = color ? "\033[2m" : "", *reset = color ? "\033[0m" : "";
    if (nq > 1) {
        render_side_by_side(out, results, color);
        json_decref(root);
        return 0;
    }
    /* one query: the expansion, then a row per period with a bar */
    for (size_t q = 0; q < nq; q++) {
        json_t *r = json_array_get(results, q);
        json_t *series = json_object_get(r, "series");
        json_t *terms = json_object_get(r, "matched_terms");
        if (q) fputc('\n', out);
        fprintf(out, "%s%s%s", bold, str_or(r, "query", ""), reset);
        fprintf(out, "  %smatched %zu term%s:", dim, json_array_size(terms), json_array_size(terms) == 1 ? "" : "s");
        size_t shown = 0, cols = 0;
        for (size_t i = 0; i < json_array_size(terms) && shown < 12; i++, shown++) {
            const char *t = json_string_value(json_array_get(terms, i));
            cols += strlen(t) + 1;
            fprintf(out, " %s", t ? t : "");
        }
        if (json_array_size(terms) > shown) fprintf(out, " … (+%zu)", json_array_size(terms) - shown);
        fprintf(out, "%s\n", reset);
        double maxrate = 0;
        long long tdocs = 0, thits = 0, alltok = 0, alldocs = 0;
        for (size_t i = 0; i < json_array_size(series); i++) {
            json_t *s = json_array_get(series, i);
            long long tok = int_or(s, "total_tokens");
            double rate = tok ? int_or(s, "hits") * 10000.0 / (double)tok : 0;
            if (rate > maxrate) maxrate = rate;
        }
        fprintf(out, "%s%-9s %6s %6s %9s %9s%s\n", dim, "period", "docs", "hits", "of docs", "per 10k", reset);
        for (size_t i = 0; i < json_array_size(series); i++) {
            json_t *s = json_array_get(series, i);
            long long docs = int_or(s, "docs"), hits = int_or(s, "hits"), td = int_or(s, "total_docs"),
                      tok = int_or(s, "total_tokens");
            double rate = tok ? hits * 10000.0 / (double)tok : 0;
            tdocs += docs; thits += hits; alltok += tok; alldocs += td;
            pad(out, str_or(s, "period", ""), 9, 0);
            fprintf(out, " %6lld %6lld %9lld %9.1f", docs, hits, td, rate);
            if (rate > 0) { fputs("  ", out); bar(out, rate / maxrate, 30); }
            fputc('\n', out);
        }
        fprintf(out, "%s%-9s %6lld %6lld %9lld %9.1f%s\n", dim, "all", tdocs, thits, alldocs,
                alltok ? thits * 10000.0 / (double)alltok : 0.0, reset);
        (void)cols;
    }
    json_decref(root);
    return 0;
}

/* Snippets mark matches as **word**; show them bold on a terminal, as is otherwise. */
static void snippet(FILE *out, const char *s, int color)
{
    int in = 0;
    for (const char *p = s; *p; p++) {
        if (p[0] == '*' && p[1] == '*') {
            in = !in;
            if (color) fputs(in ? "\033[1;33m" : "\033[0m", out);
            else fputs("**", out);
            p++;
            continue;
        }
        fputc(*p == '\n' ? ' ' : *p, out);
    }
    if (in && color) fputs("\033[0m", out);
}

int render_search(FILE *out, const char *json, int color)
{
    json_error_t err;
    json_t *root = json_loads(json, 0, &err);
    json_t *hits = json_object_get(root, "hits");
    if (!json_is_array(hits)) { json_decref(root); return -1; }
    const char *bold = color ? "\033[1m" : "", *dim = color ? "\033[2m" : "", *reset = color ? "\033[0m" : "";
    fprintf(out, "%s%lld meeting%s match%s %s%s\n", dim, int_or(root, "total"), int_or(root, "total") == 1 ? "" : "s",
            int_or(root, "total") == 1 ? "es" : "", str_or(root, "query", ""), reset);
    for (size_t i = 0; i < json_array_size(hits); i++) {
        json_t *h = json_array_get(hits, i);
        fprintf(out, "\n%s%2zu. %s  %s%s  %sscore %.2f  doc %lld%s\n", bold, i + 1, str_or(h, "date", "undated"),
                str_or(h, "body", "(body unknown)"), reset, dim,
                json_real_value(json_object_get(h, "score")), int_or(h, "doc"), reset);
        fprintf(out, "    %s%s%s\n", dim, str_or(h, "source", ""), reset);
        json_t *sn = json_object_get(h, "snippets");
        for (size_t k = 0; k < json_array_size(sn); k++) {
            fputs("    … ", out);
            snippet(out, json_string_value(json_array_get(sn, k)) ? json_string_value(json_array_get(sn, k)) : "", color);
            fputs(" …\n", out);
        }
    }
    json_decref(root);
    return 0;
}

int render_passages(FILE *out, const char *json, const char *listkey, int color)
{
    json_error_t err;
    json_t *root = json_loads(json, 0, &err);
    json_t *list = json_object_get(root, listkey);
    if (!json_is_array(list)) { json_decref(root); return -1; }
    const char *bold = color ? "\033[1m" : "", *dim = color ? "\033[2m" : "", *reset = color ? "\033[0m" : "";
    size_t n = json_array_size(list);
    fprintf(out, "%s%zu %s%s\n", dim, n, strcmp(listkey, "decisions") == 0 ? (n == 1 ? "decision" : "decisions")
                                                                        : (n == 1 ? "follow-up" : "follow-ups"), reset);
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_array_get(list, i);
        fprintf(out, "\n%s%s  %s%s", bold, str_or(d, "date", "undated"), str_or(d, "body", "(body unknown)"), reset);
        const char *item = str_or(d, "item", NULL);
        if (item) fprintf(out, "  %s§/punkt %s%s", dim, item, reset);
        fputc('\n', out);
        json_t *owners = json_object_get(d, "owners");
        if (json_array_size(owners)) {
            fputs("    owners: ", out);
            for (size_t k = 0; k < json_array_size(owners); k++)
                fprintf(out, "%s%s", k ? ", " : "", json_string_value(json_array_get(owners, k)) ? json_string_value(json_array_get(owners, k)) : "");
            const char *due = str_or(d, "due", NULL);
            if (due) fprintf(out, "   due: %s", due);
            fputc('\n', out);
        } else if (str_or(d, "due", NULL)) {
            fprintf(out, "    due: %s\n", str_or(d, "due", ""));
        }
        fputs("    ", out);
        snippet(out, str_or(d, "text", ""), color);
        fprintf(out, "\n    %s%s (doc %lld)%s\n", dim, str_or(d, "source", ""), int_or(d, "doc"), reset);
    }
    json_decref(root);
    return 0;
}

int render_show(FILE *out, const char *json, int color)
{
    json_error_t err;
    json_t *root = json_loads(json, 0, &err);
    if (!json_is_object(root)) { json_decref(root); return -1; }
    const char *bold = color ? "\033[1m" : "", *dim = color ? "\033[2m" : "", *reset = color ? "\033[0m" : "";
    json_t *rec = json_object_get(root, "record");
    json_t *m = json_object_get(rec, "meeting");
    fprintf(out, "%s%s%s\n", bold, str_or(m, "title", str_or(root, "source", "")), reset);
    fprintf(out, "%sdoc %lld  %s%s\n", dim, int_or(root, "doc"), str_or(root, "source", ""), reset);
    fprintf(out, "body:  %s\ndate:  %s", str_or(m, "body", "-"), str_or(m, "date", str_or(root, "date", "-")));
    if (str_or(m, "start", NULL)) fprintf(out, "  %s", str_or(m, "start", ""));
    if (str_or(m, "end", NULL)) fprintf(out, "–%s", str_or(m, "end", ""));
    fprintf(out, "\nplace: %s\n", str_or(m, "place", "-"));
    json_t *ps = json_object_get(rec, "participants");
    if (json_array_size(ps)) {
        fprintf(out, "\n%sparticipants%s\n", bold, reset);
        for (size_t i = 0; i < json_array_size(ps); i++) {
            json_t *p = json_array_get(ps, i);
            fprintf(out, "  %s", str_or(p, "name", "?"));
            if (str_or(p, "organization", NULL)) fprintf(out, ", %s", str_or(p, "organization", ""));
            if (str_or(p, "role", NULL)) fprintf(out, " (%s)", str_or(p, "role", ""));
            if (str_or(p, "arrived_at", NULL)) fprintf(out, " from %s", str_or(p, "arrived_at", ""));
            if (str_or(p, "left_at", NULL)) fprintf(out, " until %s", str_or(p, "left_at", ""));
            fputc('\n', out);
        }
    }
    json_t *ag = json_object_get(rec, "agenda");
    if (json_array_size(ag)) {
        fprintf(out, "\n%sagenda%s\n", bold, reset);
        for (size_t i = 0; i < json_array_size(ag); i++) {
            json_t *a = json_array_get(ag, i);
            fprintf(out, "  %5s  %s\n", str_or(a, "number", ""), str_or(a, "title", ""));
        }
    }
    const char *lists[] = {"decisions", "follow_ups"};
    for (int l = 0; l < 2; l++) {
        json_t *ds = json_object_get(rec, lists[l]);
        if (!json_array_size(ds)) continue;
        fprintf(out, "\n%s%s%s\n", bold, l ? "follow-ups" : "decisions", reset);
        for (size_t i = 0; i < json_array_size(ds); i++) {
            json_t *d = json_array_get(ds, i);
            fprintf(out, "  [%s] %s", str_or(d, "item", "-"), str_or(d, "text", ""));
            json_t *ow = json_object_get(d, "owners");
            for (size_t k = 0; k < json_array_size(ow); k++)
                fprintf(out, "%s%s", k ? ", " : "  — ", json_string_value(json_array_get(ow, k)) ? json_string_value(json_array_get(ow, k)) : "");
            if (str_or(d, "due", NULL)) fprintf(out, " (due %s)", str_or(d, "due", ""));
            fputc('\n', out);
        }
    }
    const char *text = str_or(root, "text", NULL);
    if (text) fprintf(out, "\n%stext%s\n%s\n", bold, reset, text);
    json_decref(root);
    return 0;
}

static void human_bytes(char *b, size_t cap, long long v)
{
    if (v >= 10LL * 1024 * 1024) snprintf(b, cap, "%.1f MB", v / (1024.0 * 1024));
    else if (v >= 10 * 1024) snprintf(b, cap, "%.1f kB", v / 1024.0);
    else snprintf(b, cap, "%lld B", v);
}

int render_stats(FILE *out, const char *json)
{
    json_error_t err;
    json_t *root = json_loads(json, 0, &err);
    if (!json_is_object(root)) { json_decref(root); return -1; }
    char b[32];
    fprintf(out, "documents   %lld\n", int_or(root, "documents"));
    human_bytes(b, sizeof b, int_or(root, "text_bytes"));
    fprintf(out, "text        %s\n", b);
    fprintf(out, "terms       %lld\n", int_or(root, "terms"));
    fprintf(out, "segments    %lld\n", int_or(root, "segments"));
    fprintf(out, "dates       %s … %s\n", str_or(root, "first_date", "-"), str_or(root, "last_date", "-"));
    json_t *by = json_object_get(root, "bytes");
    long long text = int_or(root, "text_bytes");
    const char *key;
    json_t *v;
    json_object_foreach(by, key, v) {
        human_bytes(b, sizeof b, json_integer_value(v));
        fprintf(out, "  %-12s %10s", key, b);
        if (text > 0) fprintf(out, "  %5.1f%% of text", 100.0 * (double)json_integer_value(v) / (double)text);
        fputc('\n', out);
    }
    json_t *bpp = json_object_get(root, "bits_per_posting");
    if (json_is_number(bpp)) fprintf(out, "bits/posting %.2f\n", json_number_value(bpp));
    json_decref(root);
    return 0;
}
