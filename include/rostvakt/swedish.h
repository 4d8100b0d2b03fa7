/* Swedish words as people say them in greetings: spoken dates and times
 * ("till och med fredag den fjärde december klockan tolv") and the cue words
 * of an absence greeting. Text in, facts out; no audio here. */
#ifndef RV_SWEDISH_H
#define RV_SWEDISH_H

#include <stddef.h>

#include "rostvakt/err.h"

typedef struct {
    int has_date, has_time;
    int year, month, day;   /* valid when has_date */
    int hour, minute;       /* valid when has_time */
    char iso[20];           /* "2026-12-04T12:00", "2026-12-04", or "" */
} rv_when;

/* Find the end of an absence in text: the first date (weekday, "den fjärde
 * december", "4/12", "den 4:e") and the time after it ("klockan tolv", "kl
 * 13.30", "halv tre"), resolved against the reference date ref_* (the day the
 * greeting was recorded): a weekday or a date without a year is the next one
 * on or after the reference. RV_ERR_NOT_FOUND when text names no date or time;
 * RV_ERR_ARG for an impossible reference date. Pure and thread-safe. */
RV_MUST_USE rv_err rv_sv_parse_until(const char *text, int ref_year, int ref_month, int ref_day,
                                     rv_when *out, rv_error *err);

/* 1 if text sounds like an absence greeting (semester, ledig, sjuk,
 * tjänsteresa, tillbaka, åter, ...). */
int rv_sv_is_absence(const char *text);

/* Lower-case len bytes of UTF-8 text into out (at most cap-1 bytes, always
 * terminated): ASCII and the capitals Å Ä Ö É Ü; other bytes are copied. */
void rv_sv_lower(const char *in, size_t len, char *out, size_t cap);

/* How a date is said: "den fjärde december" for the day n_days after
 * year-month-day (n_days >= 0). 0, or -1 for an impossible date. */
int rv_sv_say_date(int year, int month, int day, int n_days, char *out, size_t cap);

/* How an hour is said: "klockan tolv" for 12, "klockan tretton" for 13
 * (1..24). 0, or -1 outside that range. */
int rv_sv_say_hour(int hour, char *out, size_t cap);

/* Day of the week, 0 = Monday. */
int rv_weekday(int year, int month, int day);

#endif
