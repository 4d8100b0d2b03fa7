/* Spoken Swedish dates and times. The vocabulary is small and closed, so a
 * table-driven scan over lower-cased words is enough; no grammar library. */
#include "rostvakt/swedish.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rostvakt/calendar.h"

#define MAX_TOKENS 128

static const char *const months[] = {"januari", "februari", "mars", "april", "maj", "juni", "juli",
                                     "augusti", "september", "oktober", "november", "december"};
static const char *const weekdays[] = {"måndag", "tisdag", "onsdag", "torsdag", "fredag",
                                       "lördag", "söndag"};
static const char *const ordinals[] = {
    "första", "andra", "tredje", "fjärde", "femte", "sjätte", "sjunde", "åttonde", "nionde",
    "tionde", "elfte", "tolfte", "trettonde", "fjortonde", "femtonde", "sextonde", "sjuttonde",
    "artonde", "nittonde", "tjugonde", "tjugoförsta", "tjugoandra", "tjugotredje",
    "tjugofjärde", "tjugofemte", "tjugosjätte", "tjugosjunde", "tjugoåttonde", "tjugonionde",
    "trettionde", "trettioförsta"};
static const char *const cardinals[] = {
    "noll", "ett", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio", "tio", "elva",
    "tolv", "tretton", "fjorton", "femton", "sexton", "sjutton", "arton", "nitton", "tjugo",
    "tjugoett", "tjugotvå", "tjugotre", "tjugofyra"};

/* Days in month m of year y, through the calendar's day numbers. */
static int days_in(int y, int m)
{
    return (int)((m == 12 ? rv_days_from_civil(y + 1, 1, 1) : rv_days_from_civil(y, m + 1, 1)) -
                 rv_days_from_civil(y, m, 1));
}

int rv_weekday(int y, int m, int d)
{
    return rv_day_of_week(rv_days_from_civil(y, m, d));
}

static void add_days(int *y, int *m, int *d, int n)
{
    rv_civil_from_days(rv_days_from_civil(*y, *m, *d) + n, y, m, d);
}

static int find(const char *const *list, int n, const char *w)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], w) == 0) return i;
    return -1;
}

void rv_sv_lower(const char *in, size_t len, char *out, size_t cap)
{
    static const char *const caps[][2] = {{"Å", "å"}, {"Ä", "ä"}, {"Ö", "ö"}, {"É", "é"},
                                          {"Ü", "ü"}};
    size_t o = 0;
    if (cap == 0) return;
    for (size_t i = 0; i < len && o + 3 < cap;) {
        int done = 0;
        for (size_t k = 0; k < sizeof caps / sizeof caps[0] && !done; k++)
            if (i + 1 < len && memcmp(in + i, caps[k][0], 2) == 0) {
                memcpy(out + o, caps[k][1], 2);
                o += 2;
                i += 2;
                done = 1;
            }
        if (!done) out[o++] = (char)tolower((unsigned char)in[i++]);
    }
    out[o] = '\0';
}

/* Lower-cased words of text in buf; ':' and '.' and '/' stay inside digit
 * groups ("13.30", "4/12", "4:e"), other punctuation separates. */
static int tokenize(const char *text, char *buf, size_t cap, char **tok, int max)
{
    rv_sv_lower(text, strlen(text), buf, cap);
    for (size_t i = 0; buf[i]; i++) {
        unsigned char c = (unsigned char)buf[i];
        int keep = c >= 0x80 || isalnum(c) ||
                   ((c == ':' || c == '.' || c == '/') && i > 0 &&
                    isdigit((unsigned char)buf[i - 1]) && isalnum((unsigned char)buf[i + 1]));
        if (!keep) buf[i] = ' ';
    }
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t && n < max; t = strtok_r(NULL, " ", &save))
        tok[n++] = t;
    return n;
}

/* An hour from a cardinal word ("tolv", "en") or digits ("12"); -1 if not.
 * Said in words, one to six o'clock is office time: the afternoon. */
static int hour_word(const char *w)
{
    if (strcmp(w, "en") == 0) return 13;
    int c = find(cardinals, 25, w);
    if (c >= 1 && c <= 6) return c + 12;
    if (c >= 0) return c;
    if (isdigit((unsigned char)w[0])) {
        char *end;
        long h = strtol(w, &end, 10);
        if ((*end == '\0' || *end == '.' || *end == ':') && h >= 0 && h <= 24) return (int)h;
    }
    return -1;
}

/* A time starting at tok[i]: "klockan tolv", "kl 13.30", "halv tre",
 * "kvart över tio", "tolv och trettio". Returns words used, 0 if none. */
static int parse_time(char **tok, int n, int i, int *hh, int *mm)
{
    int start = i;
    int cue = 0;
    if (i < n && (!strcmp(tok[i], "klockan") || !strcmp(tok[i], "kl"))) { i++; cue = 1; }
    if (i >= n) return 0;
    int h, m = 0;
    if (!strcmp(tok[i], "halv") && i + 1 < n && (h = hour_word(tok[i + 1])) > 0) {
        *hh = h - 1;
        *mm = 30;
        return i + 2 - start;
    }
    if (!strcmp(tok[i], "kvart") && i + 2 < n && (h = hour_word(tok[i + 2])) >= 0) {
        if (!strcmp(tok[i + 1], "över")) { *hh = h; *mm = 15; return i + 3 - start; }
        if (!strcmp(tok[i + 1], "i") && h > 0) { *hh = h - 1; *mm = 45; return i + 3 - start; }
    }
    if (!cue) return 0; /* a bare number is a time only after "klockan" */
    if ((h = hour_word(tok[i])) < 0) return 0;
    const char *sep = strpbrk(tok[i], ".:");
    if (sep) {
        m = atoi(sep + 1);
        if (m < 0 || m > 59) return 0;
    }
    i++;
    if (!sep && i + 1 < n && !strcmp(tok[i], "och")) {
        int mw = find(cardinals, 25, tok[i + 1]);
        if (!strcmp(tok[i + 1], "trettio")) mw = 30;
        else if (!strcmp(tok[i + 1], "fyrtiofem")) mw = 45;
        if (mw >= 0) { m = mw; i += 2; }
    }
    if (h == 24) h = 0;
    *hh = h;
    *mm = m;
    return i - start;
}

rv_err rv_sv_parse_until(const char *text, int ry, int rm, int rd, rv_when *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    if (rm < 1 || rm > 12 || rd < 1 || ry < 1900 || ry > 9999 || rd > days_in(ry, rm))
        return rv_error_set(err, RV_ERR_ARG, "impossible reference date %04d-%02d-%02d", ry, rm, rd);
    char buf[2048];
    char *tok[MAX_TOKENS];
    int n = tokenize(text ? text : "", buf, sizeof buf, tok, MAX_TOKENS);
    int y = ry, m = 0, d = 0, wd = -1, wd_at = -1, date_end = -1;

    /* Scan for a day of the month; a weekday ends the scan unless a date
     * follows within three words ("fredag den fjärde december"). */
    for (int i = 0; i < n && d == 0 && (wd_at < 0 || i <= wd_at + 3); i++) {
        int k;
        if (wd < 0 && (k = find(weekdays, 7, tok[i])) >= 0) {
            wd = k;
            wd_at = i;
            date_end = i + 1;
            continue;
        }
        int day = -1;
        int j = i;
        if (j < n && !strcmp(tok[j], "den")) j++;
        if (j < n) {
            if ((k = find(ordinals, 31, tok[j])) >= 0) day = k + 1;
            else if (isdigit((unsigned char)tok[j][0])) {
                char *end;
                long v = strtol(tok[j], &end, 10);
                if (*end == '/' ) { /* 4/12 */
                    long mo = strtol(end + 1, NULL, 10);
                    if (v >= 1 && v <= 31 && mo >= 1 && mo <= 12) { d = (int)v; m = (int)mo; date_end = j + 1; continue; }
                }
                if ((!strcmp(end, ":e") || !strcmp(end, ":a") || *end == '\0') && v >= 1 && v <= 31 &&
                    (j > i || (j + 1 < n && find(months, 12, tok[j + 1]) >= 0)))
                    day = (int)v;
            }
        }
        if (day > 0) {
            d = day;
            date_end = j + 1;
            if (j + 1 < n && (k = find(months, 12, tok[j + 1])) >= 0) {
                m = k + 1;
                date_end = j + 2;
                if (j + 2 < n && strlen(tok[j + 2]) == 4 && isdigit((unsigned char)tok[j + 2][0])) {
                    y = atoi(tok[j + 2]);
                    date_end = j + 3;
                }
            }
        }
    }

    if (date_end >= 0) {
        if (d > 0) {
            if (m == 0) { /* "den fjärde": this month, or the next if passed */
                m = rm;
                if (d < rd) { if (++m > 12) { m = 1; y++; } }
            } else if (y == ry && (m < rm || (m == rm && d < rd))) {
                y++;
            }
            if (d > days_in(y, m)) return rv_error_set(err, RV_ERR_NOT_FOUND, "no such date");
        } else { /* a weekday alone: the next one on or after the reference */
            y = ry; m = rm; d = rd;
            add_days(&y, &m, &d, (wd - rv_weekday(ry, rm, rd) + 7) % 7);
        }
        out->has_date = 1;
        out->year = y;
        out->month = m;
        out->day = d;
    }
    for (int i = date_end >= 0 ? date_end : 0; i < n; i++) {
        int hh, mm;
        if (parse_time(tok, n, i, &hh, &mm) > 0) {
            out->has_time = 1;
            out->hour = hh;
            out->minute = mm;
            break;
        }
    }
    if (!out->has_date && !out->has_time)
        return rv_error_set(err, RV_ERR_NOT_FOUND, "no date or time named");
    if (out->has_date && out->has_time)
        snprintf(out->iso, sizeof out->iso, "%04d-%02d-%02dT%02d:%02d", out->year, out->month,
                 out->day, out->hour, out->minute);
    else if (out->has_date)
        snprintf(out->iso, sizeof out->iso, "%04d-%02d-%02d", out->year, out->month, out->day);
    return RV_OK;
}

int rv_sv_say_date(int year, int month, int day, int n_days, char *out, size_t cap)
{
    if (month < 1 || month > 12 || day < 1 || day > days_in(year, month) || n_days < 0) return -1;
    add_days(&year, &month, &day, n_days);
    snprintf(out, cap, "den %s %s", ordinals[day - 1], months[month - 1]);
    return 0;
}

int rv_sv_say_hour(int hour, char *out, size_t cap)
{
    if (hour < 1 || hour > 24) return -1;
    snprintf(out, cap, "klockan %s", cardinals[hour]);
    return 0;
}

int rv_sv_is_absence(const char *text)
{
    static const char *const cues[] = {
        "semester", "ledig", "tjänstledig", "föräldraledig", "sjuk", "sjukskriven",
        "frånvarande", "tjänsteresa", "tillbaka", "åter", "bortrest", "borta", "kurs",
        "konferens", "permission", "vabbar", "ledighet"};
    char buf[2048];
    char *tok[MAX_TOKENS];
    int n = tokenize(text ? text : "", buf, sizeof buf, tok, MAX_TOKENS);
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof cues / sizeof cues[0]; k++)
            if (strcmp(tok[i], cues[k]) == 0) return 1;
    return 0;
}
