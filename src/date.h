/* date.h — Swedish (and English) date and time expressions as they occur in minutes. */
#ifndef PK_DATE_H
#define PK_DATE_H

#include <stddef.h>
#include <stdint.h>

/* Days since 1970-01-01 for a valid y-m-d, else PK_NODATE. */
int32_t date_days(int y, int m, int d);
void    date_ymd(int32_t days, int *y, int *m, int *d);
int     date_valid(int y, int m, int d);

/* Month number (1-12) of a Swedish or English month name or abbreviation, ASCII case-insensitive;
 * 0 when p[0..n) is not one. */
int date_month_name(const char *p, size_t n);

enum {
    DATE_F_COMPACT = 1,   /* also accept YYYYMMDD and YYMMDD digit runs (file names) */
    DATE_F_NUMERIC = 2    /* also accept D/M without a year ("13/12") */
};

typedef struct date_match {
    size_t start, end;    /* byte span of the expression */
    int    y, m, d;       /* y == 0 when the text gives no year */
    int    full;          /* 1 when written with a month name or as ISO (a confident date) */
} date_match;

/* Find the first date expression starting at or after byte `from`.  Returns 1 and fills *m, or 0. */
int date_find(const char *p, size_t n, size_t from, unsigned flags, date_match *m);

/* Parse a date expression starting exactly at byte i; returns 1 and fills *m, or 0. */
int date_parse_at(const char *p, size_t n, size_t i, unsigned flags, date_match *m);

typedef struct time_match {
    size_t start, end;
    int    h1, m1;        /* start time */
    int    h2, m2;        /* end time, h2 == -1 when the text gives none */
} time_match;

/* Find the first time or time range ("kl 8.30-10.15", "08:30–14:00", "kl. 14-18", "12:03")
 * starting at or after `from`.  Bare "8.30" counts only after "kl"; bare "12:03" always. */
int time_find(const char *p, size_t n, size_t from, time_match *t);
int time_parse_at(const char *p, size_t n, size_t i, time_match *t);

/* Resolve a date without a year against a reference date (the meeting's): the reference's year,
 * or the next year when that would fall more than `back_days` days before the reference. */
int32_t date_resolve(const date_match *m, int32_t ref, int back_days);

#endif
