/* date.c — finding and parsing dates and times in Swedish minutes; days-since-epoch arithmetic. */
#include "date.h"

#include "protokoll.h"
#include "util.h"

int date_valid(int y, int m, int d)
{
    static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

/* Civil-from-days and days-from-civil after the well-known era-based algorithm. */
int32_t date_days(int y, int m, int d)
{
    if (!date_valid(y, m, d)) return PK_NODATE;
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

void date_ymd(int32_t days, int *y, int *m, int *d)
{
    int z = days + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int yy = yoe + era * 400;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

pk_status pk_date_parse(const char *s, size_t n, int32_t *days)
{
    int v[3] = {0, 1, 1}, k = 0;
    size_t i = 0;
    while (k < 3) {
        size_t st = i;
        int x = 0;
        while (i < n && is_ascii_digit(s[i]) && i - st < 4) x = x * 10 + (s[i++] - '0');
        size_t len = i - st;
        if (len == 0 || (k == 0 && len != 4) || (k > 0 && len > 2)) return PK_EINVAL;
        v[k++] = x;
        if (i == n) break;
        if (s[i] != '-') return PK_EINVAL;
        i++;
    }
    if (i != n) return PK_EINVAL;
    int32_t r = date_days(v[0], v[1], v[2]);
    if (r == PK_NODATE) return PK_EINVAL;
    *days = r;
    return PK_OK;
}

void pk_date_format(int32_t days, char buf[11])
{
    if (days == PK_NODATE) { buf[0] = 0; return; }
    int y, m, d;
    date_ymd(days, &y, &m, &d);
    if (y < 0 || y > 9999) { buf[0] = 0; return; }
    buf[0] = (char)('0' + y / 1000); buf[1] = (char)('0' + y / 100 % 10);
    buf[2] = (char)('0' + y / 10 % 10); buf[3] = (char)('0' + y % 10);
    buf[4] = '-';
    buf[5] = (char)('0' + m / 10); buf[6] = (char)('0' + m % 10);
    buf[7] = '-';
    buf[8] = (char)('0' + d / 10); buf[9] = (char)('0' + d % 10);
    buf[10] = 0;
}

static const struct { const char *name; unsigned char len, month, minlen; } months[] = {
    {"januari", 7, 1, 3}, {"january", 7, 1, 3}, {"februari", 8, 2, 3}, {"february", 8, 2, 3},
    {"mars", 4, 3, 3}, {"march", 5, 3, 3}, {"april", 5, 4, 3}, {"maj", 3, 5, 3}, {"may", 3, 5, 3},
    {"juni", 4, 6, 3}, {"june", 4, 6, 3}, {"juli", 4, 7, 3}, {"july", 4, 7, 3},
    {"augusti", 7, 8, 3}, {"august", 6, 8, 3}, {"september", 9, 9, 3}, {"sept", 4, 9, 4},
    {"oktober", 7, 10, 3}, {"october", 7, 10, 3}, {"november", 8, 11, 3}, {"december", 8, 12, 3},
};

int date_month_name(const char *p, size_t n)
{
    if (n < 3 || n > 9) return 0;
    /* most words start with a letter no month name starts with */
    switch (p[0] | 0x20) {
    case 'j': case 'f': case 'm': case 'a': case 's': case 'o': case 'n': case 'd': break;
    default: return 0;
    }
    for (size_t i = 0; i < sizeof months / sizeof months[0]; i++) {
        /* the full name, or a 3-letter abbreviation (the "okt"/"oct" spellings included) */
        if ((n == months[i].len || n == months[i].minlen) && util_memcasecmp_ascii(p, months[i].name, n) == 0)
            return months[i].month;
    }
    return 0;
}

static int is_alnum_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static int is_letter_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0xC0;
}

/* Digits at p[i..]: count (up to max) and value. */
static size_t digits(const char *p, size_t n, size_t i, size_t max, int *val)
{
    size_t k = 0;
    int v = 0;
    while (i + k < n && k < max && is_ascii_digit(p[i + k])) v = v * 10 + (p[i + k++] - '0');
    *val = v;
    return k;
}

/* A dash: '-', "--", en dash, em dash.  Returns its length or 0. */
static size_t dash_at(const char *p, size_t n, size_t i)
{
    if (i < n && p[i] == '-') return (i + 1 < n && p[i + 1] == '-') ? 2 : 1;
    if (i + 2 < n && (unsigned char)p[i] == 0xE2 && (unsigned char)p[i + 1] == 0x80 &&
        ((unsigned char)p[i + 2] == 0x93 || (unsigned char)p[i + 2] == 0x94))
        return 3;
    return 0;
}

static size_t skip_spaces(const char *p, size_t n, size_t i)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    /* no-break space */
    while (i + 1 < n && (unsigned char)p[i] == 0xC2 && (unsigned char)p[i + 1] == 0xA0) {
        i += 2;
        while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    }
    return i;
}

/* The word at p[i..] (ASCII letters), returns its length. */
static size_t word_len(const char *p, size_t n, size_t i)
{
    size_t k = 0;
    while (i + k < n && ((p[i + k] >= 'a' && p[i + k] <= 'z') || (p[i + k] >= 'A' && p[i + k] <= 'Z'))) k++;
    return k;
}

static int year_ok(int y) { return y >= 1900 && y <= 2099; }

/* An optional year after a day-month: " 2021", ", 2021", "-2021", " -21"? (only 4-digit years). */
static size_t year_after(const char *p, size_t n, size_t i, int *y)
{
    size_t j = i;
    if (j < n && p[j] == ',') j++;
    size_t dl = dash_at(p, n, j);
    if (dl) j += dl; else if (j < n && p[j] == '/') j++;
    j = skip_spaces(p, n, j);
    int v;
    size_t k = digits(p, n, j, 5, &v);
    if (k == 4 && year_ok(v) && (j + k >= n || !is_alnum_byte((unsigned char)p[j + k]))) {
        *y = v;
        return j + k;
    }
    return 0;
}

int date_parse_at(const char *p, size_t n, size_t i, unsigned flags, date_match *m)
{
    if (i >= n) return 0;
    if (i > 0 && is_alnum_byte((unsigned char)p[i - 1])) return 0;
    m->start = i;
    m->full = 0;
    int a;
    size_t k = digits(p, n, i, 9, &a);
    if (k == 4 && year_ok(a)) {
        /* ISO-like: YYYY-MM-DD, YYYY--MM--DD (LaTeX), YYYY/MM/DD, YYYY.MM.DD */
        size_t j = i + 4;
        size_t sl = dash_at(p, n, j);
        if (!sl && j < n && (p[j] == '/' || p[j] == '.')) sl = 1;
        if (!sl) return 0;
        int mo, d;
        size_t k2 = digits(p, n, j + sl, 3, &mo);
        if (k2 < 1 || k2 > 2) return 0;
        size_t j2 = j + sl + k2;
        size_t sl2 = dash_at(p, n, j2);
        if (!sl2 && j2 < n && (p[j2] == '/' || p[j2] == '.')) sl2 = 1;
        if (!sl2) return 0;
        size_t k3 = digits(p, n, j2 + sl2, 3, &d);
        if (k3 < 1 || k3 > 2) return 0;
        size_t e = j2 + sl2 + k3;
        if (e < n && is_ascii_digit(p[e])) return 0;
        if (!date_valid(a, mo, d)) return 0;
        m->y = a; m->m = mo; m->d = d; m->end = e; m->full = 1;
        return 1;
    }
    if ((k == 8 || k == 6) && (flags & DATE_F_COMPACT)) {
        int y, mo, d;
        if (k == 8) { y = a / 10000; mo = a / 100 % 100; d = a % 100; }
        else { y = 2000 + a / 10000; mo = a / 100 % 100; d = a % 100; if (y > 2069) y -= 100; }
        if (!year_ok(y) || !date_valid(y, mo, d)) return 0;
        m->y = y; m->m = mo; m->d = d; m->end = i + k; m->full = 1;
        return 1;
    }
    if (k >= 1 && k <= 2 && a >= 1 && a <= 31) {
        size_t j = i + k;
        /* ordinal suffixes: "9:e", "25e", "1:a", "2:a" */
        if (j + 1 < n && p[j] == ':' && (p[j + 1] == 'e' || p[j + 1] == 'a') &&
            (j + 2 >= n || !is_letter_byte((unsigned char)p[j + 2])))
            j += 2;
        else if (j < n && (p[j] == 'e' || p[j] == 'a') && (j + 1 >= n || !is_letter_byte((unsigned char)p[j + 1])))
            j += 1;
        else if (j < n && p[j] == '.' && j + 1 < n && p[j + 1] == ' ')
            j += 1;   /* "20. August" */
        size_t s = skip_spaces(p, n, j);
        size_t wl = word_len(p, n, s);
        int mo = wl ? date_month_name(p + s, wl) : 0;
        if (mo && s > j && (s + wl >= n || !is_letter_byte((unsigned char)p[s + wl]))) {
            size_t e = s + wl;
            if (e < n && p[e] == '.' && wl < 5) e++;   /* "aug." */
            int y = 0;
            size_t ye = year_after(p, n, e, &y);
            if (ye) e = ye;
            if (!date_valid(y ? y : 2000, mo, a)) return 0;
            m->y = y; m->m = mo; m->d = a; m->end = e; m->full = 1;
            return 1;
        }
        /* D/M[/YYYY] and D.M.YYYY */
        size_t j0 = i + k;
        if (j0 < n && (p[j0] == '/' || p[j0] == '.')) {
            char sep = p[j0];
            int mon;
            size_t k2 = digits(p, n, j0 + 1, 3, &mon);
            if (k2 < 1 || k2 > 2 || mon < 1 || mon > 12) return 0;
            size_t e = j0 + 1 + k2;
            int y = 0;
            if (e < n && p[e] == sep) {
                int yy;
                size_t k3 = digits(p, n, e + 1, 5, &yy);
                if (k3 == 4 && year_ok(yy)) { y = yy; e = e + 1 + k3; }
                else if (k3 == 2 && sep == '/') { y = 2000 + yy; e = e + 1 + k3; }
                else return 0;   /* "2/3/1 röster" */
                if (e < n && is_ascii_digit(p[e])) return 0;
            } else {
                if (sep == '.') return 0;               /* "8.30" is a time, not a date */
                if (!(flags & DATE_F_NUMERIC)) return 0;
                if (e < n && (is_ascii_digit(p[e]) || p[e] == '/')) return 0;
                size_t ye = year_after(p, n, e, &y);
                if (ye && (p[e] == ' ' || p[e] == '-')) e = ye; else y = 0;
            }
            if (e < n && is_letter_byte((unsigned char)p[e])) return 0;
            if (!date_valid(y ? y : 2000, mon, a)) return 0;
            m->y = y; m->m = mon; m->d = a; m->end = e; m->full = y != 0 && sep == '.';
            return 1;
        }
        return 0;
    }
    if (k == 0) {
        /* English: "August 23, 2017", "Aug 23 2017" */
        size_t wl = word_len(p, n, i);
        int mo = wl ? date_month_name(p + i, wl) : 0;
        if (!mo || (i + wl < n && is_letter_byte((unsigned char)p[i + wl]))) return 0;
        size_t s = skip_spaces(p, n, i + wl);
        if (s == i + wl) return 0;
        int d;
        size_t kd = digits(p, n, s, 3, &d);
        if (kd < 1 || kd > 2) return 0;
        size_t e = s + kd;
        if (e + 1 < n && (p[e] == 's' || p[e] == 'n' || p[e] == 'r' || p[e] == 't')) {
            size_t wl2 = word_len(p, n, e);
            if (wl2 == 2) e += 2;   /* 1st 2nd 3rd 4th */
        }
        if (e < n && is_alnum_byte((unsigned char)p[e])) return 0;
        int y = 0;
        size_t ye = year_after(p, n, e, &y);
        if (!ye) return 0;   /* English month-day needs a year to be trusted */
        if (!date_valid(y, mo, d)) return 0;
        m->y = y; m->m = mo; m->d = d; m->end = ye; m->full = 1;
        return 1;
    }
    return 0;
}

int date_find(const char *p, size_t n, size_t from, unsigned flags, date_match *m)
{
    /* letters that start a month name (a..z) */
    static const unsigned char initial[26] = {['a' - 'a'] = 1, ['d' - 'a'] = 1, ['f' - 'a'] = 1, ['j' - 'a'] = 1,
                                              ['m' - 'a'] = 1, ['n' - 'a'] = 1, ['o' - 'a'] = 1, ['s' - 'a'] = 1};
    size_t i = from;
    while (i < n) {
        unsigned char c = (unsigned char)p[i];
        if (!is_alnum_byte(c)) { i++; continue; }
        /* a run of letters, digits and non-ASCII bytes: only its first byte may start a date, and
         * only after a byte that is neither alphanumeric nor '/' ("2/3/1") */
        int cand = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z' && initial[c - 'a']) ||
                   (c >= 'A' && c <= 'Z' && initial[c - 'A']);
        if (cand && i > 0) {
            unsigned char b = (unsigned char)p[i - 1];
            cand = !is_alnum_byte(b) && b != '/';
        }
        if (cand && date_parse_at(p, n, i, flags, m)) return 1;
        for (i++; i < n && is_alnum_byte((unsigned char)p[i]); i++) {}
    }
    return 0;
}

/* H[.:]MM or (allow_bare) H; returns end or 0. */
static size_t clock_at(const char *p, size_t n, size_t i, int allow_dot, int allow_bare, int *h, int *mi)
{
    int hh, mm;
    size_t k = digits(p, n, i, 3, &hh);
    if (k < 1 || k > 2 || hh > 24) return 0;
    size_t j = i + k;
    if (j + 2 < n && (p[j] == ':' || (allow_dot && p[j] == '.'))) {
        size_t k2 = digits(p, n, j + 1, 3, &mm);
        if (k2 == 2 && mm < 60 && (j + 3 >= n || !is_ascii_digit(p[j + 3]))) {
            *h = hh; *mi = mm;
            return j + 3;
        }
    }
    if (allow_bare && (j >= n || !is_alnum_byte((unsigned char)p[j]) || p[j] == '-')) {
        if (j < n && (p[j] == '.' || p[j] == ':') && j + 1 < n && is_ascii_digit(p[j + 1])) return 0;
        *h = hh; *mi = 0;
        return j;
    }
    return 0;
}

int time_parse_at(const char *p, size_t n, size_t i, time_match *t)
{
    if (i > 0 && is_alnum_byte((unsigned char)p[i - 1])) return 0;
    size_t j = i;
    int kl = 0;
    size_t wl = word_len(p, n, j);
    if ((wl == 2 && util_memcasecmp_ascii(p + j, "kl", 2) == 0) ||
        (wl == 7 && util_memcasecmp_ascii(p + j, "klockan", 7) == 0)) {
        kl = 1;
        j += wl;
        if (j < n && p[j] == '.') j++;
        j = skip_spaces(p, n, j);
    } else if (wl) {
        return 0;
    }
    int h1, m1;
    size_t e = clock_at(p, n, j, kl, kl, &h1, &m1);
    if (!e) return 0;
    /* a bare number without kl and without ':' is not a time */
    t->start = i;
    t->h1 = h1; t->m1 = m1; t->h2 = -1; t->m2 = -1;
    t->end = e;
    size_t s = skip_spaces(p, n, e);
    size_t dl = dash_at(p, n, s);
    size_t after = 0;
    if (dl) after = s + dl;
    else if (s + 4 < n && util_memcasecmp_ascii(p + s, "till", 4) == 0 && (p[s + 4] == ' ')) after = s + 4;
    if (after) {
        after = skip_spaces(p, n, after);
        size_t w2 = word_len(p, n, after);
        if (w2 == 2 && util_memcasecmp_ascii(p + after, "kl", 2) == 0) {
            after += 2;
            if (after < n && p[after] == '.') after++;
            after = skip_spaces(p, n, after);
        }
        int h2, m2;
        size_t e2 = clock_at(p, n, after, kl || p[e - 3] == ':' || p[e - 3] == '.', kl, &h2, &m2);
        if (e2 && (h2 > h1 || (h2 == h1 && m2 > m1))) {
            t->h2 = h2; t->m2 = m2; t->end = e2;
        }
    }
    if (t->h1 == 24 && t->m1 > 0) return 0;
    return 1;
}

int time_find(const char *p, size_t n, size_t from, time_match *t)
{
    for (size_t i = from; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!((c >= '0' && c <= '9') || c == 'k' || c == 'K')) continue;
        if (i > 0 && is_alnum_byte((unsigned char)p[i - 1])) continue;
        if (time_parse_at(p, n, i, t)) return 1;
    }
    return 0;
}

int32_t date_resolve(const date_match *m, int32_t ref, int back_days)
{
    if (m->y) return date_days(m->y, m->m, m->d);
    if (ref == PK_NODATE) return PK_NODATE;
    int y, mo, d;
    date_ymd(ref, &y, &mo, &d);
    int32_t r = date_days(y, m->m, m->d);
    if (r == PK_NODATE) return PK_NODATE;   /* 29 February in a common year */
    if (r < ref - back_days) {
        int32_t r2 = date_days(y + 1, m->m, m->d);
        if (r2 != PK_NODATE) r = r2;
    }
    return r;
}
