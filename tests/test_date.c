/* test_date.c — date and time expressions of Swedish minutes. */
#include "harness.h"
#include "date.h"
#include "protokoll.h"

static int find_ymd(const char *s, unsigned flags, int *y, int *m, int *d)
{
    date_match dm;
    if (!date_find(s, strlen(s), 0, flags, &dm)) return 0;
    *y = dm.y; *m = dm.m; *d = dm.d;
    return 1;
}

#define CHECK_DATE(text, flags, yy, mm, dd) do { int y_, m_, d_; \
    CHECKF(find_ymd(text, flags, &y_, &m_, &d_) && y_ == (yy) && m_ == (mm) && d_ == (dd), \
           "%s", text); } while (0)
#define CHECK_NODATE(text, flags) do { int y_, m_, d_; \
    CHECKF(!find_ymd(text, flags, &y_, &m_, &d_), "found %d-%d-%d in %s", y_, m_, d_, text); } while (0)

static void days_roundtrip(void)
{
    CHECK_INT(date_days(1970, 1, 1), 0);
    CHECK_INT(date_days(2000, 3, 1), 11017);
    CHECK_INT(date_days(2021, 2, 29), PK_NODATE);
    CHECK(date_days(2024, 2, 29) != PK_NODATE);
    for (int32_t d = -700000; d < 800000; d += 97) {
        int y, m, dd;
        date_ymd(d, &y, &m, &dd);
        CHECK_INT(date_days(y, m, dd), d);
    }
    char buf[11];
    pk_date_format(date_days(2021, 8, 20), buf);
    CHECK_STR(buf, "2021-08-20");
    int32_t v;
    CHECK(pk_date_parse("2021-08-20", 10, &v) == PK_OK && v == date_days(2021, 8, 20));
    CHECK(pk_date_parse("2021", 4, &v) == PK_OK && v == date_days(2021, 1, 1));
    CHECK(pk_date_parse("2021-13-01", 10, &v) == PK_EINVAL);
    CHECK(pk_date_parse("21-01-01", 8, &v) == PK_EINVAL);
}

static void swedish_forms(void)
{
    CHECK_DATE("Tid\tFredagen den 20 augusti 2021 kl 8.30-10.15", 0, 2021, 8, 20);
    CHECK_DATE("onsdagen den 21 november 2018 kl. 08:30-14:00", 0, 2018, 11, 21);
    CHECK_DATE("Sammanträdesdatum: 2024-08-28", 0, 2024, 8, 28);
    CHECK_DATE("{\\Large 2020--11--24}", 0, 2020, 11, 24);
    CHECK_DATE("## 23 Augusti 2017", 0, 2017, 8, 23);
    CHECK_DATE("Äger rum 9:e Oktober.", 0, 0, 10, 9);
    CHECK_DATE("Ska vara i S22. 25e augusti.", 0, 0, 8, 25);
    CHECK_DATE("2 september: Södertörns samarbetskommitté", 0, 0, 9, 2);
    CHECK_DATE("Meeting on August 23, 2017", 0, 2017, 8, 23);
    CHECK_DATE("den 1 okt. 2019", 0, 2019, 10, 1);
    CHECK_DATE("20.08.2021", 0, 2021, 8, 20);
    CHECK_DATE("senaste den 4/12.", DATE_F_NUMERIC, 0, 12, 4);
    CHECK_DATE("fredag 13/12 2024", DATE_F_NUMERIC, 2024, 12, 13);
    CHECK_NODATE("senaste den 4/12.", 0);
    CHECK_NODATE("med 2/3/1 röster för/emot/blankt", DATE_F_NUMERIC);
    CHECK_NODATE("kl 8.30-10.15", DATE_F_NUMERIC);
    CHECK_NODATE("96,1 miljarder", DATE_F_NUMERIC);
    CHECK_NODATE("version 2021a", 0);
    CHECK_NODATE("30 februari 2021", 0);
}

static void file_names(void)
{
    CHECK_DATE("styrelsemote_210902", DATE_F_COMPACT, 2021, 9, 2);
    CHECK_DATE("KF_protokoll_20260129.txt", DATE_F_COMPACT, 2026, 1, 29);
    CHECK_DATE("2021-08-20_sodertorn.txt", DATE_F_COMPACT, 2021, 8, 20);
    CHECK_NODATE("styrelsemote_210902", 0);
    CHECK_NODATE("id_123456789", DATE_F_COMPACT);
}

static void times(void)
{
    const char *s = "Fredagen den 20 augusti 2021 kl 8.30-10.15";
    time_match t;
    CHECK(time_find(s, strlen(s), 0, &t) && t.h1 == 8 && t.m1 == 30 && t.h2 == 10 && t.m2 == 15);
    s = "kl. 13:00–15:30";
    CHECK(time_find(s, strlen(s), 0, &t) && t.h1 == 13 && t.m1 == 0 && t.h2 == 15 && t.m2 == 30);
    s = "Kalas sker 8:e september kl. 14-18 på distans.";
    CHECK(time_find(s, strlen(s), 0, &t) && t.h1 == 14 && t.h2 == 18);
    s = "Mötet öppnas 17:17.";
    CHECK(time_find(s, strlen(s), 0, &t) && t.h1 == 17 && t.m1 == 17 && t.h2 == -1);
    s = "Den totala nyttan uppgår till 96,1 miljarder och 8.30 procent";
    CHECK(!time_find(s, strlen(s), 0, &t));
    s = "Stefan Hollmark\tTyresö, t o m kl 10.00";
    CHECK(time_find(s, strlen(s), 0, &t) && t.h1 == 10 && t.m1 == 0 && t.h2 == -1);
    s = "7 oktober kl 15.00-16.00: Möte";
    CHECK(time_find(s, strlen(s), 0, &t) && t.h1 == 15 && t.h2 == 16);
}

static void resolve(void)
{
    int32_t ref = date_days(2021, 8, 20);
    date_match m = {0, 0, 0, 9, 2, 0};
    CHECK_INT(date_resolve(&m, ref, 60), date_days(2021, 9, 2));
    date_match j = {0, 0, 0, 1, 15, 0};
    CHECK_INT(date_resolve(&j, ref, 60), date_days(2022, 1, 15));
    date_match early = {0, 0, 0, 8, 1, 0};
    CHECK_INT(date_resolve(&early, ref, 60), date_days(2021, 8, 1));
}

int main(void)
{
    t_suite = "date";
    RUN(days_roundtrip);
    RUN(swedish_forms);
    RUN(file_names);
    RUN(times);
    RUN(resolve);
    TEST_MAIN_END();
}
