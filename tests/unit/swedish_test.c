/* Spoken Swedish dates and times, resolved against a reference date. */
#include <criterion/criterion.h>

#include "rostvakt/swedish.h"

static rv_when parse(const char *text, int y, int m, int d)
{
    rv_when w;
    rv_error e;
    cr_assert_eq(rv_sv_parse_until(text, y, m, d, &w, &e), RV_OK, "'%s': %s", text, e.msg);
    return w;
}

Test(swedish, the_example_from_the_issue) {
    rv_when w = parse("Jag är ledig till och med fredag den fjärde december klockan tolv", 2026, 11, 22);
    cr_expect_str_eq(w.iso, "2026-12-04T12:00");
}

Test(swedish, dates_without_a_year_are_the_next_one) {
    cr_expect_str_eq(parse("tillbaka den tjugoförsta januari", 2026, 11, 22).iso, "2027-01-21");
    cr_expect_str_eq(parse("åter den 3 december", 2026, 11, 22).iso, "2026-12-03");
    cr_expect_str_eq(parse("åter den 22 november", 2026, 11, 22).iso, "2026-11-22");
    cr_expect_str_eq(parse("ledig till den sjunde", 2026, 11, 22).iso, "2026-12-07");
    cr_expect_str_eq(parse("ledig till den 30:e", 2026, 11, 22).iso, "2026-11-30");
    cr_expect_str_eq(parse("tillbaka 4/1", 2026, 11, 22).iso, "2027-01-04");
    cr_expect_str_eq(parse("semester till den femte maj 2027", 2026, 11, 22).iso, "2027-05-05");
}

Test(swedish, weekdays_count_from_the_reference) {
    /* 2026-11-22 is a Sunday. */
    cr_expect_eq(rv_weekday(2026, 11, 22), 6);
    cr_expect_eq(rv_weekday(2024, 2, 29), 3);
    cr_expect_str_eq(parse("tillbaka på måndag", 2026, 11, 22).iso, "2026-11-23");
    cr_expect_str_eq(parse("åter söndag", 2026, 11, 22).iso, "2026-11-22");
    cr_expect_str_eq(parse("borta till och med fredag klockan 15", 2026, 11, 22).iso,
                     "2026-11-27T15:00");
    /* Across a month and a leap day. */
    cr_expect_str_eq(parse("tillbaka torsdag", 2024, 2, 27).iso, "2024-02-29");
    cr_expect_str_eq(parse("tillbaka fredag", 2024, 2, 27).iso, "2024-03-01");
}

Test(swedish, spoken_and_written_times) {
    cr_expect_str_eq(parse("den fjärde december klockan tretton", 2026, 11, 1).iso, "2026-12-04T13:00");
    cr_expect_str_eq(parse("den fjärde december kl 13.30", 2026, 11, 1).iso, "2026-12-04T13:30");
    cr_expect_str_eq(parse("den fjärde december klockan 8:15", 2026, 11, 1).iso, "2026-12-04T08:15");
    cr_expect_str_eq(parse("den fjärde december halv tre", 2026, 11, 1).iso, "2026-12-04T14:30",
                     "one to six o'clock in words is the afternoon");
    cr_expect_str_eq(parse("den fjärde december kvart över tio", 2026, 11, 1).iso, "2026-12-04T10:15");
    cr_expect_str_eq(parse("den fjärde december kvart i tolv", 2026, 11, 1).iso, "2026-12-04T11:45");
    cr_expect_str_eq(parse("den fjärde december klockan tolv och trettio", 2026, 11, 1).iso, "2026-12-04T12:30");
}

Test(swedish, date_without_time_and_time_without_date) {
    rv_when w = parse("Jag har semester till och med den tionde augusti.", 2026, 7, 1);
    cr_expect(w.has_date);
    cr_expect_not(w.has_time, "Lemland would call this an absence without an end time");
    cr_expect_str_eq(w.iso, "2026-08-10");
    w = parse("Jag är tillbaka klockan tre", 2026, 7, 1);
    cr_expect_not(w.has_date);
    cr_expect(w.has_time);
    cr_expect_eq(w.hour, 15);
    cr_expect_eq(parse("tillbaka klockan 3", 2026, 7, 1).hour, 3, "digits are taken as written");
    cr_expect_eq(parse("tillbaka klockan åtta", 2026, 7, 1).hour, 8);
}

Test(swedish, capitals_and_no_date) {
    cr_expect_str_eq(parse("ÅTER FREDAG DEN FJÄRDE DECEMBER", 2026, 11, 22).iso, "2026-12-04");
    rv_when w;
    rv_error e;
    cr_expect_eq(rv_sv_parse_until("Lämna ett meddelande så ringer jag upp", 2026, 11, 22, &w, &e), RV_ERR_NOT_FOUND);
    cr_expect_eq(rv_sv_parse_until("Ring mig på tolv", 2026, 11, 22, &w, &e), RV_ERR_NOT_FOUND,
                 "a bare number is not a time");
    cr_expect_eq(rv_sv_parse_until("den trettioförsta november", 2026, 11, 22, &w, &e), RV_ERR_NOT_FOUND);
    cr_expect_eq(rv_sv_parse_until("fredag", 2026, 2, 30, &w, &e), RV_ERR_ARG);
    cr_expect_eq(rv_sv_parse_until(NULL, 2026, 2, 3, &w, &e), RV_ERR_NOT_FOUND);
}

Test(swedish, absence_cues) {
    cr_expect(rv_sv_is_absence("Jag har semester till och med fredag"));
    cr_expect(rv_sv_is_absence("Jag är SJUKSKRIVEN"));
    cr_expect(rv_sv_is_absence("Jag är åter på måndag"));
    cr_expect_not(rv_sv_is_absence("Hej, du har kommit till Anna Svensson, lämna ett meddelande"));
}

Test(swedish, dates_and_hours_as_they_are_said) {
    char s[64];
    cr_assert_eq(rv_sv_say_date(2026, 11, 22, 12, s, sizeof s), 0);
    cr_expect_str_eq(s, "den fjärde december");
    cr_assert_eq(rv_sv_say_date(2026, 12, 30, 3, s, sizeof s), 0);
    cr_expect_str_eq(s, "den andra januari", "over the new year");
    cr_assert_eq(rv_sv_say_date(2028, 2, 28, 1, s, sizeof s), 0);
    cr_expect_str_eq(s, "den tjugonionde februari", "a leap day");
    cr_expect_eq(rv_sv_say_date(2026, 2, 30, 0, s, sizeof s), -1);
    cr_expect_eq(rv_sv_say_date(2026, 1, 1, -1, s, sizeof s), -1);
    cr_assert_eq(rv_sv_say_hour(13, s, sizeof s), 0);
    cr_expect_str_eq(s, "klockan tretton");
    cr_expect_eq(rv_sv_say_hour(0, s, sizeof s), -1);
    cr_expect_eq(rv_sv_say_hour(25, s, sizeof s), -1);
    /* what is said parses back to the same day */
    rv_when w;
    rv_error e;
    cr_assert_eq(rv_sv_say_date(2026, 11, 22, 40, s, sizeof s), 0);
    cr_assert_eq(rv_sv_parse_until(s, 2026, 11, 22, &w, &e), RV_OK);
    cr_expect_str_eq(w.iso, "2027-01-01");
}
