/* Organisation ids, organisationsnummer and slugs (organisation.h). */
#include "rostvakt/organisation.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int rv_org_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n < 1 || n > RV_ORG_ID_MAX) return 0;
    return strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

int rv_orgnr_valid(const char *s)
{
    if (!s || strlen(s) != 11 || s[6] != '-') return 0;
    int d[10], k = 0;
    for (int i = 0; i < 11; i++) {
        if (i == 6) continue;
        if (s[i] < '0' || s[i] > '9') return 0;
        d[k++] = s[i] - '0';
    }
    int sum = 0;
    for (int i = 0; i < 9; i++) {
        int v = d[i] * (i % 2 == 0 ? 2 : 1);
        sum += v > 9 ? v - 9 : v;
    }
    return (10 - sum % 10) % 10 == d[9];
}

void rv_org_slug(const char *name, char out[RV_ORG_ID_MAX + 1])
{
    size_t n = 0;
    int dash = 0;
    for (const unsigned char *p = (const unsigned char *)(name ? name : ""); *p && n < RV_ORG_ID_MAX; p++) {
        char c = 0;
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')) c = (char)*p;
        else if (*p >= 'A' && *p <= 'Z') c = (char)(*p - 'A' + 'a');
        else if (p[0] == 0xc3 && p[1]) { /* Latin-1 letters in UTF-8 */
            unsigned char b = p[1] | 0x20;  /* upper to lower */
            c = b == 0xa5 || b == 0xa4 || b == 0xa0 || b == 0xa1 || b == 0xa2 ? 'a'
                : b == 0xb6 || b == 0xb8 || b == 0xb3 || b == 0xb4                ? 'o'
                : b == 0xa9 || b == 0xa8 || b == 0xaa || b == 0xab                ? 'e'
                : b == 0xbc || b == 0xba || b == 0xb9                             ? 'u'
                                                                                   : 0;
            p++;
        }
        if (c) {
            if (dash && n && n < RV_ORG_ID_MAX - 1) out[n++] = '-';
            dash = 0;
            out[n++] = c;
        } else dash = 1;
    }
    out[n] = '\0';
    if (!n) snprintf(out, RV_ORG_ID_MAX + 1, "org");
}

int rv_orgs_norm(const char *list, char out[RV_ORGS_TEXT_MAX])
{
    out[0] = '\0';
    if (!list || !*list) return 0;
    if (strcmp(list, "*") == 0) return 1;
    size_t n = 0;
    out[n++] = ',';
    for (const char *p = list; *p;) {
        size_t k = strcspn(p, ",");
        char id[RV_ORG_ID_MAX + 1];
        if (k == 0 || k > RV_ORG_ID_MAX || n + k + 2 > RV_ORGS_TEXT_MAX) return out[0] = '\0', 0;
        memcpy(id, p, k);
        id[k] = '\0';
        if (!rv_org_id_valid(id)) return out[0] = '\0', 0;
        memcpy(out + n, id, k);
        n += k;
        out[n++] = ',';
        p += k;
        if (*p == ',' && !*++p) return out[0] = '\0', 0;
    }
    out[n] = '\0';
    return 1;
}

int rv_orgs_has(const char *orgs, const char *org)
{
    if (!orgs || !*orgs) return 1;
    if (!org || !*org) return 0;
    char k[RV_ORG_ID_MAX + 3];
    snprintf(k, sizeof k, ",%s,", org);
    return strstr(orgs, k) != NULL;
}

/* [p, p+n) without the spaces around it: its start, its length in *len. */
static const char *trimmed(const char *p, size_t n, size_t *len)
{
    while (n && (*p == ' ' || *p == '\t')) p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    *len = n;
    return p;
}

/* 1 when the group g (n bytes) is among groups ("a,b;c"). */
static int group_among(const char *g, size_t n, const char *groups)
{
    for (const char *p = groups; *p;) {
        size_t k = strcspn(p, ",;"), len;
        const char *t = trimmed(p, k, &len);
        if (len == n && strncasecmp(t, g, n) == 0) return 1;
        p += k;
        if (*p) p++;
    }
    return 0;
}

int rv_group_map_each(const char *map, const char *groups, void (*each)(const char *target, void *user), void *user)
{
    for (const char *p = map ? map : ""; *p;) {
        size_t k = strcspn(p, ";"), gl, tl;
        const char *eq = memchr(p, '=', k);
        const char *g = eq ? trimmed(p, (size_t)(eq - p), &gl) : NULL;
        const char *t = eq ? trimmed(eq + 1, k - (size_t)(eq + 1 - p), &tl) : NULL;
        if (!eq) { /* only an empty entry may lack its '=' */
            size_t len;
            (void)trimmed(p, k, &len);
            if (len) return 0;
        } else if (!gl || !tl || tl >= 256) {
            return 0;
        } else if (!groups || group_among(g, gl, groups)) {
            char target[256];
            memcpy(target, t, tl);
            target[tl] = '\0';
            each(target, user);
        }
        p += k;
        if (*p) p++;
    }
    return 1;
}
