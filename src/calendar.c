/* Working days in Sweden and on Åland. */
#include "rostvakt/calendar.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int rv_calendar_parse(const char *s, rv_calendar *out)
{
    if (!s) return 0;
    if (strcasecmp(s, "SE") == 0) *out = RV_CAL_SE;
    else if (strcasecmp(s, "AX") == 0) *out = RV_CAL_AX;
    else return 0;
    return 1;
}

rv_calendar rv_calendar_or(const char *s, rv_calendar fallback)
{
    rv_calendar c;
    return s && rv_calendar_parse(s, &c) ? c : fallback;
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
long rv_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void rv_civil_from_days(long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int rv_parse_date(const char *s, long *days)
{
    int y, m, d, n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || s[10] != '\0') return 0;
    if (s[4] != '-' || s[7] != '-' || y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31) return 0;
    long z = rv_days_from_civil(y, m, d);
    int y2, m2, d2;
    rv_civil_from_days(z, &y2, &m2, &d2);
    if (m2 != m || d2 != d) return 0; /* 2026-02-30 */
    *days = z;
    return 1;
}

void rv_format_date(long days, char out[11])
{
    int y, m, d;
    rv_civil_from_days(days, &y, &m, &d);
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

int rv_day_of_week(long days)
{
    /* 1970-01-01 was a Thursday (3) */
    long w = (days + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

void rv_easter(int y, int *month, int *day)
{
    /* the anonymous Gregorian algorithm (Meeus/Jones/Butcher) */
    int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
    int h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
    int m = (a + 11 * h + 22 * l) / 451;
    *month = (h + l - 7 * m + 114) / 31;
    *day = (h + l - 7 * m + 114) % 31 + 1;
}

/* The day of weekday wd (0 Monday) in [first, first + 6]. */
static long weekday_from(long first, int wd)
{
    return first + (wd - rv_day_of_week(first) + 7) % 7;
}

const char *rv_holiday(rv_calendar cal, long days)
{
    int y, m, d;
    rv_civil_from_days(days, &y, &m, &d);
    int em, ed;
    rv_easter(y, &em, &ed);
    long easter = rv_days_from_civil(y, em, ed);
    long since = days - easter;
    if (since == -2) return "långfredagen";
    if (since == 0) return "påskdagen";
    if (since == 1) return "annandag påsk";
    if (since == 39) return "Kristi himmelsfärds dag";
    if (since == 49) return "pingstdagen";
    if (days == weekday_from(rv_days_from_civil(y, 6, 19), 4)) return "midsommarafton";
    if (days == weekday_from(rv_days_from_civil(y, 6, 20), 5)) return "midsommardagen";
    if (days == weekday_from(rv_days_from_civil(y, 10, 31), 5)) return "alla helgons dag";
    if (m == 1 && d == 1) return "nyårsdagen";
    if (m == 1 && d == 6) return "trettondedag jul";
    if (m == 5 && d == 1) return "första maj";
    if (m == 12 && d == 24) return "julafton";
    if (m == 12 && d == 25) return "juldagen";
    if (m == 12 && d == 26) return "annandag jul";
    if (cal == RV_CAL_SE) {
        if (m == 6 && d == 6) return "Sveriges nationaldag";
        if (m == 12 && d == 31) return "nyårsafton";
    } else {
        if (m == 6 && d == 9) return "Ålands självstyrelsedag";
        if (m == 12 && d == 6) return "självständighetsdagen";
    }
    return NULL;
}

int rv_is_workday(rv_calendar cal, long days)
{
    return rv_day_of_week(days) < 5 && !rv_holiday(cal, days);
}

long rv_add_workdays(rv_calendar cal, long from, int n)
{
    long d = from;
    for (int i = 0; i < n; i++) {
        d++;
        while (!rv_is_workday(cal, d)) d++;
    }
    return d;
}

/* The last Sunday of month m in year y. */
static long last_sunday(int y, int m)
{
    long first_next = m == 12 ? rv_days_from_civil(y + 1, 1, 1) : rv_days_from_civil(y, m + 1, 1);
    return weekday_from(first_next - 7, 6);
}

/* The offset from UTC, in minutes, of cal's zone at the UTC minute m. EU
 * summer time: from 01:00 UTC on the last Sunday of March to 01:00 UTC on
 * the last Sunday of October. */
static int offset_at(rv_calendar cal, long m)
{
    int y, mo, d;
    rv_civil_from_days(m >= 0 ? m / 1440 : (m - 1439) / 1440, &y, &mo, &d);
    long start = last_sunday(y, 3) * 1440 + 60, end = last_sunday(y, 10) * 1440 + 60;
    return ((cal == RV_CAL_SE ? 1 : 2) + (m >= start && m < end)) * 60;
}

void rv_local_day_start(rv_calendar cal, long days, char out[32])
{
    /* local midnight never falls on a change (those are at 01:00 UTC), so the
     * offset an hour either side of it is the offset at it */
    long guess = days * 1440 - (cal == RV_CAL_SE ? 60 : 120);
    long m = days * 1440 - offset_at(cal, guess);
    if (days * 1440 - offset_at(cal, m) != m) m = days * 1440 - offset_at(cal, m);
    long day = m >= 0 ? m / 1440 : (m - 1439) / 1440;
    int rest = (int)(m - day * 1440);
    rv_format_date(day, out);
    snprintf(out + 10, 22, "T%02d:%02d:00Z", rest / 60 % 24, rest % 60);
}

long rv_local_today(rv_calendar cal)
{
    char now[32];
    long day = 0;
    rv_utc_now(now);
    rv_local_date(now, cal, &day);
    return day;
}

static int local_minute(const char *utc_iso, rv_calendar cal, long *out);

int rv_local_date(const char *utc_iso, rv_calendar cal, long *days)
{
    long minute;
    if (!local_minute(utc_iso, cal, &minute)) return 0;
    *days = minute >= 0 ? minute / 1440 : (minute - 1439) / 1440;
    return 1;
}

/* The local minute (minutes since 1970-01-01 00:00 local time) of a UTC
 * instant; 0 when it is not one. */
static int local_minute(const char *utc_iso, rv_calendar cal, long *out)
{
    int y, mo, d, h, mi, n = 0;
    if (!utc_iso || sscanf(utc_iso, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5 || n != 16) return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59) return 0;
    long minute = rv_days_from_civil(y, mo, d) * 1440 + h * 60 + mi;
    *out = minute + offset_at(cal, minute);
    return 1;
}

void rv_local_time(const char *utc_iso, rv_calendar cal, char out[17])
{
    long m;
    if (!local_minute(utc_iso, cal, &m)) {
        snprintf(out, 17, "%.16s", utc_iso ? utc_iso : "");
        return;
    }
    long day = m >= 0 ? m / 1440 : (m - 1439) / 1440;
    unsigned rest = (unsigned)(m - day * 1440) % 1440;
    rv_format_date(day, out);
    snprintf(out + 10, 7, " %02u:%02u", rest / 60 % 24, rest % 60);
}

int rv_parse_instant(const char *s)
{
    static const char shape[] = "0000-00-00T00:00:00Z"; /* 0: a digit */
    if (!s || strlen(s) != sizeof shape - 1) return 0;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == '0' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i]) return 0;
    char date[11];
    long day;
    snprintf(date, sizeof date, "%.10s", s);
    int h = (s[11] - '0') * 10 + s[12] - '0', mi = (s[14] - '0') * 10 + s[15] - '0',
        sec = (s[17] - '0') * 10 + s[18] - '0';
    return rv_parse_date(date, &day) && h <= 23 && mi <= 59 && sec <= 59;
}

void rv_utc_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

long rv_callback_deadline(rv_calendar cal, long day, int n)
{
    if (n > 0) return rv_add_workdays(cal, day, n);
    return rv_is_workday(cal, day) ? day : rv_add_workdays(cal, day, 1);
}
