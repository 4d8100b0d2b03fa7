/* Working-day calendars of the policies: SE (Sweden) and AX (Åland). Dates
 * are whole days counted from 1970-01-01 (negative before it), so that
 * arithmetic is plain integer arithmetic. Pure functions, thread-safe. */
#ifndef RV_CALENDAR_H
#define RV_CALENDAR_H

typedef enum { RV_CAL_SE, RV_CAL_AX } rv_calendar;

/* "SE" or "AX" (case-insensitive); 0 for anything else. */
int rv_calendar_parse(const char *s, rv_calendar *out);
/* The calendar s names, else fallback: an organisation's calendar before
 * its mailbox's profile's ("" or NULL: the profile's). */
rv_calendar rv_calendar_or(const char *s, rv_calendar fallback);

/* Proleptic Gregorian day numbers. */
long rv_days_from_civil(int y, int m, int d);
void rv_civil_from_days(long days, int *y, int *m, int *d);

/* Strict "YYYY-MM-DD" (a real date, years 1900..9999); 0 when not. */
int rv_parse_date(const char *s, long *days);
void rv_format_date(long days, char out[11]);

/* 0 Monday .. 6 Sunday. */
int rv_day_of_week(long days);

/* Easter Sunday of year y (Gregorian computus). */
void rv_easter(int y, int *month, int *day);

/* The holiday that makes days a non-working day in cal, by its Swedish name
 * ("långfredagen", "midsommarafton", ...), or NULL. Weekends are not
 * holidays by name; see rv_is_workday. SE: the Swedish public holidays plus
 * julafton, midsommarafton and nyårsafton (which count as Sundays). AX: the
 * Finnish public holidays plus Ålands självstyrelsedag (9 June),
 * midsommarafton and julafton. */
const char *rv_holiday(rv_calendar cal, long days);

/* Monday to Friday and not a holiday of cal. */
int rv_is_workday(rv_calendar cal, long days);

/* The date n working days after from (n >= 0; n == 0 gives from itself):
 * each step moves to the next working day. */
long rv_add_workdays(rv_calendar cal, long from, int n);
/* The last day a call-back is owed for a voicemail received on day, within
 * n working days (0: the same day, or the next working day when day is
 * not one). */
long rv_callback_deadline(rv_calendar cal, long day, int n);

/* 1 when s is an instant in UTC as the archive stores them,
 * "YYYY-MM-DDTHH:MM:SSZ" (a real date and time), else 0. */
int rv_parse_instant(const char *s);

/* Now, in UTC, as the archive stores instants: "YYYY-MM-DDTHH:MM:SSZ". */
void rv_utc_now(char out[32]);

/* The civil date, in the calendar's own time zone (SE: Europe/Stockholm,
 * AX: Europe/Mariehamn, with EU summer time), of a UTC instant written
 * "YYYY-MM-DDTHH:MM:SS..." (as the archive stores them). 0 when it is not
 * one. Independent of the process's TZ. */
int rv_local_date(const char *utc_iso, rv_calendar cal, long *days);

/* The UTC instant ("YYYY-MM-DDTHH:MM:00Z") at which the civil date days
 * begins in cal's time zone: the first instant of that local day, so that a
 * local day is [start(d), start(d + 1)), 23, 24 or 25 hours long. */
void rv_local_day_start(rv_calendar cal, long days, char out[32]);

/* The local time "YYYY-MM-DD HH:MM" in cal's time zone of a UTC instant
 * written as rv_local_date reads them; the instant's first 16 characters
 * when it is not one. */
void rv_local_time(const char *utc_iso, rv_calendar cal, char out[17]);

/* Today's civil date in cal's time zone. */
long rv_local_today(rv_calendar cal);

#endif
