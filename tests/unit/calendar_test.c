/* Working-day calendars: Easter, the moving Swedish and Åland holidays, and
 * adding working days across them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "rostvakt/calendar.h"

static long day(const char *s)
{
    long d;
    cr_assert(rv_parse_date(s, &d), "%s", s);
    return d;
}

static void expect_date(long got, const char *want)
{
    char buf[11];
    rv_format_date(got, buf);
    cr_expect_str_eq(buf, want);
}

Test(calendar, easter_2020_to_2035) {
    /* the published dates of Easter Sunday */
    const char *want[] = {"2020-04-12", "2021-04-04", "2022-04-17", "2023-04-09", "2024-03-31", "2025-04-20",
                          "2026-04-05", "2027-03-28", "2028-04-16", "2029-04-01", "2030-04-21", "2031-04-13",
                          "2032-03-28", "2033-04-17", "2034-04-09", "2035-03-25"};
    for (int y = 2020; y <= 2035; y++) {
        int m, d;
        rv_easter(y, &m, &d);
        char got[40];
        snprintf(got, sizeof got, "%04d-%02d-%02d", y, m, d);
        cr_expect_str_eq(got, want[y - 2020]);
        long e = day(want[y - 2020]);
        cr_expect_eq(rv_day_of_week(e), 6, "a Sunday");
        cr_expect_str_eq(rv_holiday(RV_CAL_SE, e - 2), "långfredagen");
        cr_expect_str_eq(rv_holiday(RV_CAL_SE, e + 1), "annandag påsk");
        cr_expect_str_eq(rv_holiday(RV_CAL_AX, e + 39), "Kristi himmelsfärds dag");
        cr_expect(!rv_is_workday(RV_CAL_SE, e - 2) && !rv_is_workday(RV_CAL_AX, e + 1));
        cr_expect(rv_is_workday(RV_CAL_SE, e - 3), "skärtorsdagen is a working day");
    }
}

Test(calendar, midsommar_and_alla_helgon) {
    /* midsommarafton: the Friday of 19-25 June; alla helgons dag: the Saturday of 31 Oct - 6 Nov */
    const char *afton[] = {"2024-06-21", "2025-06-20", "2026-06-19", "2027-06-25", "2028-06-23"};
    const char *helgon[] = {"2024-11-02", "2025-11-01", "2026-10-31", "2027-11-06", "2028-11-04"};
    for (int i = 0; i < 5; i++) {
        long a = day(afton[i]);
        cr_expect_str_eq(rv_holiday(RV_CAL_SE, a), "midsommarafton");
        cr_expect_str_eq(rv_holiday(RV_CAL_AX, a), "midsommarafton");
        cr_expect_str_eq(rv_holiday(RV_CAL_SE, a + 1), "midsommardagen");
        cr_expect_null(rv_holiday(RV_CAL_SE, a - 7), "a week before is an ordinary Friday");
        cr_expect_str_eq(rv_holiday(RV_CAL_SE, day(helgon[i])), "alla helgons dag");
        cr_expect_null(rv_holiday(RV_CAL_SE, day(helgon[i]) - 1));
    }
}

Test(calendar, fixed_days_differ_between_se_and_ax) {
    cr_expect_str_eq(rv_holiday(RV_CAL_SE, day("2026-06-06")), "Sveriges nationaldag");
    cr_expect_null(rv_holiday(RV_CAL_AX, day("2026-06-06")));
    cr_expect_str_eq(rv_holiday(RV_CAL_AX, day("2026-06-09")), "Ålands självstyrelsedag");
    cr_expect_null(rv_holiday(RV_CAL_SE, day("2026-06-09")));
    cr_expect_str_eq(rv_holiday(RV_CAL_AX, day("2027-12-06")), "självständighetsdagen");
    cr_expect(rv_is_workday(RV_CAL_SE, day("2027-12-06")));
    cr_expect_str_eq(rv_holiday(RV_CAL_SE, day("2026-12-31")), "nyårsafton");
    cr_expect(rv_is_workday(RV_CAL_AX, day("2026-12-31")), "nyårsafton is a working day in Finland");
    cr_expect_str_eq(rv_holiday(RV_CAL_AX, day("2026-12-24")), "julafton");
    cr_expect_str_eq(rv_holiday(RV_CAL_SE, day("2027-01-06")), "trettondedag jul");
    cr_expect_str_eq(rv_holiday(RV_CAL_AX, day("2027-05-01")), "första maj");
}

Test(calendar, adding_working_days) {
    expect_date(rv_add_workdays(RV_CAL_SE, day("2026-11-20"), 2), "2026-11-24"); /* Friday + 2 */
    expect_date(rv_add_workdays(RV_CAL_SE, day("2026-12-23"), 1), "2026-12-28"); /* jul */
    expect_date(rv_add_workdays(RV_CAL_SE, day("2026-12-30"), 1), "2027-01-04"); /* nyår */
    expect_date(rv_add_workdays(RV_CAL_AX, day("2026-12-30"), 1), "2026-12-31");
    expect_date(rv_add_workdays(RV_CAL_AX, day("2026-06-08"), 1), "2026-06-10"); /* självstyrelsedagen */
    expect_date(rv_add_workdays(RV_CAL_SE, day("2026-06-08"), 1), "2026-06-09");
    expect_date(rv_add_workdays(RV_CAL_SE, day("2025-06-05"), 1), "2025-06-09"); /* nationaldagen, a Friday */
    expect_date(rv_add_workdays(RV_CAL_AX, day("2025-06-05"), 1), "2025-06-06");
    expect_date(rv_add_workdays(RV_CAL_SE, day("2026-04-01"), 2), "2026-04-07"); /* påsk */
    expect_date(rv_add_workdays(RV_CAL_SE, day("2026-11-21"), 0), "2026-11-21"); /* 0: the day itself */
    expect_date(rv_add_workdays(RV_CAL_SE, day("2026-11-21"), 1), "2026-11-23"); /* from a Saturday */
}

Test(calendar, dates_are_parsed_strictly) {
    long d;
    cr_expect(!rv_parse_date("2026-02-30", &d));
    cr_expect(!rv_parse_date("2026-2-3", &d));
    cr_expect(!rv_parse_date("2026-02-03x", &d));
    cr_expect(!rv_parse_date("", &d));
    cr_expect(rv_parse_date("2028-02-29", &d));
    cr_expect(!rv_parse_date("2027-02-29", &d));
    expect_date(day("1969-12-31"), "1969-12-31");
    cr_expect_eq(rv_day_of_week(day("2026-11-23")), 0, "a Monday");
    rv_calendar c;
    cr_expect(rv_calendar_parse("ax", &c) && c == RV_CAL_AX);
    cr_expect(!rv_calendar_parse("FI", &c));
}

Test(calendar, instants_are_parsed_strictly) {
    cr_expect(rv_parse_instant("2026-11-30T22:30:00Z"));
    cr_expect(rv_parse_instant("2028-02-29T23:59:59Z"));
    cr_expect(!rv_parse_instant("2027-02-29T12:00:00Z"), "no such day");
    cr_expect(!rv_parse_instant("2026-11-30T24:00:00Z"));
    cr_expect(!rv_parse_instant("2026-11-30T22:60:00Z"));
    cr_expect(!rv_parse_instant("2026-11-30T22:30:00"), "UTC, with its Z");
    cr_expect(!rv_parse_instant("2026-11-30T22:30:00+01:00"));
    cr_expect(!rv_parse_instant("2026-11-30T-1:30:00Z"));
    cr_expect(!rv_parse_instant("2026-11-30"));
    cr_expect(!rv_parse_instant(""));
    cr_expect(!rv_parse_instant(NULL));
}

Test(calendar, local_dates_follow_summer_time) {
    long d;
    cr_assert(rv_local_date("2026-11-22T23:30:00Z", RV_CAL_SE, &d));
    expect_date(d, "2026-11-23"); /* CET, +1 */
    cr_assert(rv_local_date("2026-11-22T22:30:00Z", RV_CAL_SE, &d));
    expect_date(d, "2026-11-22");
    cr_assert(rv_local_date("2026-11-22T22:30:00Z", RV_CAL_AX, &d));
    expect_date(d, "2026-11-23"); /* EET, +2 */
    cr_assert(rv_local_date("2026-07-01T22:30:00Z", RV_CAL_SE, &d));
    expect_date(d, "2026-07-02"); /* CEST, +2 */
    cr_assert(rv_local_date("2026-07-01T21:30:00Z", RV_CAL_SE, &d));
    expect_date(d, "2026-07-01");
    cr_assert(rv_local_date("2026-10-24T22:30:00Z", RV_CAL_SE, &d)); /* the day before summer time ends */
    expect_date(d, "2026-10-25");
    cr_assert(rv_local_date("2026-10-25T23:30:00Z", RV_CAL_SE, &d)); /* after: +1 */
    expect_date(d, "2026-10-26");
    cr_assert(rv_local_date("2026-10-25T22:30:00Z", RV_CAL_SE, &d));
    expect_date(d, "2026-10-25");
    cr_expect(!rv_local_date("yesterday", RV_CAL_SE, &d));
}

static void expect_start(rv_calendar cal, const char *date, const char *want)
{
    char got[32];
    rv_local_day_start(cal, day(date), got);
    cr_expect_str_eq(got, want, "%s begins at %s, not %s", date, want, got);
}

Test(calendar, a_local_day_begins_at_local_midnight_in_utc) {
    expect_start(RV_CAL_SE, "2026-12-06", "2026-12-05T23:00:00Z");
    expect_start(RV_CAL_SE, "2026-07-01", "2026-06-30T22:00:00Z");
    /* the days of the changes: 23 and 25 hours long */
    expect_start(RV_CAL_SE, "2026-03-29", "2026-03-28T23:00:00Z");
    expect_start(RV_CAL_SE, "2026-03-30", "2026-03-29T22:00:00Z");
    expect_start(RV_CAL_SE, "2026-10-25", "2026-10-24T22:00:00Z");
    expect_start(RV_CAL_SE, "2026-10-26", "2026-10-25T23:00:00Z");
    expect_start(RV_CAL_AX, "2026-12-06", "2026-12-05T22:00:00Z");
    expect_start(RV_CAL_AX, "2026-07-01", "2026-06-30T21:00:00Z");
    expect_start(RV_CAL_SE, "2027-01-01", "2026-12-31T23:00:00Z");
}

Test(calendar, every_instant_falls_in_the_local_day_that_rv_local_date_names) {
    /* a minute on either side of each day's start, over two years */
    for (long d = day("2026-01-01"); d < day("2028-01-01"); d++) {
        for (int c = 0; c < 2; c++) {
            rv_calendar cal = c ? RV_CAL_AX : RV_CAL_SE;
            char start[32], before[64];
            rv_local_day_start(cal, d, start);
            long got;
            cr_assert(rv_local_date(start, cal, &got));
            cr_expect_eq(got, d, "%s", start);
            /* one minute earlier is the day before */
            int y, mo, dd, h, mi;
            sscanf(start, "%d-%d-%dT%d:%d", &y, &mo, &dd, &h, &mi);
            long m = rv_days_from_civil(y, mo, dd) * 1440 + h * 60 + mi - 1;
            long bd = m / 1440;
            int by, bmo, bdd;
            rv_civil_from_days(bd, &by, &bmo, &bdd);
            snprintf(before, sizeof before, "%04d-%02d-%02dT%02ld:%02ld:00Z", by, bmo, bdd, (m - bd * 1440) / 60,
                     (m - bd * 1440) % 60);
            cr_assert(rv_local_date(before, cal, &got));
            cr_expect_eq(got, d - 1, "%s", before);
        }
    }
}

Test(calendar, half_past_midnight_swedish_time_is_that_day) {
    long d;
    cr_assert(rv_local_date("2026-12-05T23:30:00Z", RV_CAL_SE, &d));
    expect_date(d, "2026-12-06");
}

Test(calendar, local_time_is_the_zones_own_clock) {
    char t[17];
    rv_local_time("2026-11-30T22:30:00Z", RV_CAL_SE, t);
    cr_expect_str_eq(t, "2026-11-30 23:30");
    rv_local_time("2026-11-30T22:30:00Z", RV_CAL_AX, t);
    cr_expect_str_eq(t, "2026-12-01 00:30", "Åland is an hour ahead");
    rv_local_time("2026-06-30T21:59:59Z", RV_CAL_SE, t);
    cr_expect_str_eq(t, "2026-06-30 23:59", "summer time");
    rv_local_time("2026-06-30T21:59:59Z", RV_CAL_AX, t);
    cr_expect_str_eq(t, "2026-07-01 00:59");
    rv_local_time("not a time", RV_CAL_SE, t);
    cr_expect_str_eq(t, "not a time");
}

Test(calendar, an_organisations_calendar_comes_before_the_fallback) {
    cr_expect_eq(rv_calendar_or("AX", RV_CAL_SE), RV_CAL_AX);
    cr_expect_eq(rv_calendar_or("SE", RV_CAL_AX), RV_CAL_SE);
    cr_expect_eq(rv_calendar_or("", RV_CAL_AX), RV_CAL_AX);
    cr_expect_eq(rv_calendar_or(NULL, RV_CAL_AX), RV_CAL_AX);
}
