/* What the HTTP layer decides from text alone (route.h). */
#include "route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The n digits at p as a number, or -1 when one of them is not a digit
 * (sscanf's %d would take a sign or a space). */
static int digits_at(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* RFC 3339: 2026-11-22T10:00:00Z, with optional fraction and ±hh:mm. With
 * utc, the same instant as "YYYY-MM-DDTHH:MM:SSZ" (so that text order is time
 * order in the archive). */
int rv_rfc3339_utc(const char *s, char utc[32])
{
    if (!s || strnlen(s, 19) != 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return 0;
    int y = digits_at(s, 4), mo = digits_at(s + 5, 2), d = digits_at(s + 8, 2), h = digits_at(s + 11, 2),
        mi = digits_at(s + 14, 2), sec = digits_at(s + 17, 2);
    if (y < 0 || h < 0 || mi < 0 || sec < 0) return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return 0;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') return 0;
        while (*p >= '0' && *p <= '9') p++;
    }
    int off = 0;
    if (*p == 'Z' || *p == 'z') {
        if (p[1] != '\0') return 0;
    } else {
        if ((*p != '+' && *p != '-') || strnlen(p, 6) != 6 || p[3] != ':') return 0;
        int oh = digits_at(p + 1, 2), om = digits_at(p + 4, 2);
        if (oh < 0 || om < 0 || oh > 23 || om > 59 || p[6] != '\0') return 0;
        off = (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    }
    struct tm tm = {0};
    tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d, tm.tm_hour = h, tm.tm_min = mi;
    tm.tm_sec = sec > 59 ? 59 : sec;
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    if (back.tm_mday != d) return 0; /* 2026-02-30 */
    if (utc) {
        t -= off;
        gmtime_r(&t, &back);
        strftime(utc, 32, "%Y-%m-%dT%H:%M:%SZ", &back);
    }
    return 1;
}

/* A voicemail's receipt time (UTC, as rfc3339_utc writes it) that the
 * archive can order and dispose of: from 2000-01-01 to a day from now. */
int rv_plausible_received_at(const char *utc)
{
    time_t later = time(NULL) + 86400;
    struct tm tm;
    char limit[32];
    gmtime_r(&later, &tm);
    strftime(limit, sizeof limit, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return strlen(utc) == 20 && strcmp(utc, "2000-01-01T00:00:00Z") >= 0 && strcmp(utc, limit) <= 0;
}

long long rv_parse_id(const char *t, size_t len)
{
    if (len == 0 || len > 18) return 0;
    long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (t[i] < '0' || t[i] > '9') return 0;
        v = v * 10 + (t[i] - '0');
    }
    return v;
}

/* The one byte range h asks for, per RFC 9110: 1 with [*from, *to]; 0 when
 * there is none or the header is to be ignored (not "bytes=", a syntax
 * error, several ranges): the whole body; -1 when it cannot be satisfied. */
int rv_byte_range(const char *h, unsigned long long size, unsigned long long *from, unsigned long long *to)
{
    if (!h || strncasecmp(h, "bytes=", 6) != 0) return 0;
    const char *spec = h + 6, *dash = strchr(spec, '-');
    if (!dash || strchr(spec, ',')) return 0;
    size_t la = (size_t)(dash - spec), lb = strlen(dash + 1);
    if (la > 18 || lb > 18 || strspn(spec, "0123456789") != la || strspn(dash + 1, "0123456789") != lb) return 0;
    if (!la && !lb) return 0;
    unsigned long long a = la ? strtoull(spec, NULL, 10) : 0, b = lb ? strtoull(dash + 1, NULL, 10) : 0;
    if (!la) { /* the last b bytes */
        if (b == 0 || size == 0) return -1;
        *from = b >= size ? 0 : size - b, *to = size - 1;
        return 1;
    }
    if (lb && a > b) return 0; /* invalid: ignored */
    if (a >= size) return -1;
    *from = a, *to = lb && b < size ? b : size - 1;
    return 1;
}

/* The web app's files: "/" is index.html, otherwise one name of letters,
 * digits and '-' with a known extension, from web_dir. No authentication:
 * the files hold no data; the app asks the API, which checks. */
int rv_web_path(const char *url, const char **type)
{
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".svg", "image/svg+xml"}, {".png", "image/png"}};
    if (url[0] != '/') return 0;
    const char *dot = strrchr(url, '.');
    if (!dot || dot == url + 1) return 0;
    for (const char *p = url + 1; p < dot; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) return 0;
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (strcmp(dot, types[i].ext) == 0) {
            *type = types[i].type;
            return 1;
        }
    return 0;
}

/* Pattern and path side by side, segment by segment: literal text must be
 * equal; {ext} takes one segment (empty too), {id} one non-empty segment
 * (its value when it is a positive id, else 0), {name} the rest. */
int rv_path_match(const char *pattern, const char *url, rv_path *p)
{
    memset(p, 0, sizeof *p);
    const char *a = pattern, *u = url;
    while (*a) {
        if (*a != '{') {
            if (*a != *u) return 0;
            a++, u++;
            continue;
        }
        const char *close = strchr(a, '}');
        if (!close) return 0;
        size_t kl = (size_t)(close - a + 1);
        if (kl == 6 && strncmp(a, "{name}", 6) == 0) {
            p->name = u;
            return close[1] == '\0';
        }
        size_t sl = strcspn(u, "/");
        if (kl == 5 && strncmp(a, "{ext}", 5) == 0)
            snprintf(p->ext, sizeof p->ext, "%.*s", (int)(sl < sizeof p->ext ? sl : sizeof p->ext - 1), u);
        else if (kl == 4 && strncmp(a, "{id}", 4) == 0) {
            if (!sl) return 0;
            p->id = rv_parse_id(u, sl);
        } else return 0;
        a = close + 1, u += sl;
    }
    return *u == '\0';
}

const rv_route *rv_route_find(const rv_route *t, size_t n, const char *method, const char *url, rv_path *p,
                              char allow[64])
{
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    const rv_route *found = NULL;
    allow[0] = '\0';
    rv_path q;
    for (size_t i = 0; i < n; i++) {
        if (!rv_path_match(t[i].path, url, &q)) continue;
        if (!found && strcmp(t[i].method, m) == 0) {
            found = &t[i];
            *p = q;
        }
        size_t l = strlen(allow);
        if (!strstr(allow, t[i].method))
            snprintf(allow + l, 64 - l, "%s%s", l ? ", " : "", t[i].method);
        if (strcmp(t[i].method, "GET") == 0 && !strstr(allow, "HEAD")) {
            l = strlen(allow);
            snprintf(allow + l, 64 - l, ", HEAD");
        }
    }
    return found;
}

/* Strict UTF-8, as jansson checks it: no overlong forms, no surrogates,
 * nothing above U+10FFFF. */
int rv_utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (p && *p) {
        unsigned c = *p;
        size_t n = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xF0 && c <= 0xF4 ? 3 : 9;
        if (n == 9) return 0;
        unsigned v = n == 0 ? c : c & (0x3Fu >> n);
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80) return 0; /* also the string's end */
            v = (v << 6) | (p[i] & 0x3Fu);
        }
        if ((n == 2 && v < 0x800) || (n == 3 && (v < 0x10000 || v > 0x10FFFF)) || (v >= 0xD800 && v <= 0xDFFF))
            return 0;
        p += n + 1;
    }
    return 1;
}

size_t rv_utf8_cut(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = len;
    while (n > 0 && (p[n - 1] & 0xC0) == 0x80 && len - n < 3) n--; /* continuation bytes */
    if (n > 0 && p[n - 1] >= 0xC0) { /* a lead byte: whole when its continuations all fit */
        size_t need = p[n - 1] >= 0xF0 ? 4 : p[n - 1] >= 0xE0 ? 3 : 2;
        return len - (n - 1) >= need ? len : n - 1;
    }
    return len;
}
