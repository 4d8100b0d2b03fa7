/* Policy profiles as key = value files, and the greeting rules. */
#include "rostvakt/policy.h"

#include "rostvakt/decision.h"
#include "rostvakt/textfile.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *rv_violation_name(rv_violation v)
{
    static const char *const names[] = {
#define RV_VIOL_NAME(e, s) s,
        RV_VIOLATION_TABLE(RV_VIOL_NAME)
#undef RV_VIOL_NAME
    };
    return (unsigned)v < RV_VIOL__COUNT ? names[v] : "unknown";
}

uint32_t rv_policy_check(const rv_profile *p, const rv_greeting_facts *f)
{
    if (f->system_prompt) return 1u << RV_VIOL_SYSTEM_PROMPT;
    if (f->missing) return 1u << RV_VIOL_MISSING;
    uint32_t v = 0;
    int unit_ok = p->unit_satisfied_by == RV_UNIT_BY_UNIT ? f->unit_stated
                : p->unit_satisfied_by == RV_UNIT_BY_ORG  ? f->org_stated
                                                          : f->unit_stated || f->org_stated;
    if (p->require_name && !f->name_stated) v |= 1u << RV_VIOL_NAME_MISSING;
    if (!unit_ok) v |= 1u << RV_VIOL_UNIT_MISSING;
    if (p->order == RV_ORDER_UNIT_FIRST && f->name_stated && unit_ok) {
        /* The unit (or organisation) that satisfies the rule must come first. */
        double first = 1e300;
        if (f->unit_stated && p->unit_satisfied_by != RV_UNIT_BY_ORG) first = f->unit_at_s;
        if (f->org_stated && p->unit_satisfied_by != RV_UNIT_BY_UNIT && f->org_at_s < first)
            first = f->org_at_s;
        if (f->name_at_s < first) v |= 1u << RV_VIOL_WRONG_ORDER;
    }
    if (p->max_greeting_s > 0 && f->duration_s > p->max_greeting_s) v |= 1u << RV_VIOL_TOO_LONG;
    if (p->require_closing_prompt && !f->closing_prompt) v |= 1u << RV_VIOL_NO_CLOSING_PROMPT;
    if (p->absence_needs_end && f->absence && !f->absence_has_end)
        v |= 1u << RV_VIOL_ABSENCE_WITHOUT_END;
    return v;
}

static int parse_int(const char *v, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) return -1;
    *out = (int)x;
    return 0;
}

static int valid_name(const char *n)
{
    if (!*n || strlen(n) >= 64) return 0;
    for (const char *p = n; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-')) return 0;
    return 1;
}

typedef struct {
    rv_profile *p;
    const char *path;
    int seen;
} profile_ctx;

static rv_err profile_line(char *line, int lineno, void *user, rv_error *err)
{
    profile_ctx *c = user;
    char *k, *v;
    if (rv_split_kv(line, &k, &v) != 0)
        return rv_error_set(err, RV_ERR_CONFIG, "%s:%d: expected 'key = value'", c->path, lineno);
    int bad = 0;
    if (!strcmp(k, "title")) snprintf(c->p->title, sizeof c->p->title, "%s", v);
    else if (!strcmp(k, "require_name")) bad = rv_parse_bool(v, &c->p->require_name);
    else if (!strcmp(k, "require_closing_prompt")) bad = rv_parse_bool(v, &c->p->require_closing_prompt);
    else if (!strcmp(k, "absence_needs_end")) bad = rv_parse_bool(v, &c->p->absence_needs_end);
    else if (!strcmp(k, "unit_satisfied_by")) {
        if (!strcmp(v, "either")) c->p->unit_satisfied_by = RV_UNIT_BY_EITHER;
        else if (!strcmp(v, "unit")) c->p->unit_satisfied_by = RV_UNIT_BY_UNIT;
        else if (!strcmp(v, "org")) c->p->unit_satisfied_by = RV_UNIT_BY_ORG;
        else bad = 1;
    } else if (!strcmp(k, "order")) {
        if (!strcmp(v, "any")) c->p->order = RV_ORDER_ANY;
        else if (!strcmp(v, "unit_first")) c->p->order = RV_ORDER_UNIT_FIRST;
        else bad = 1;
    } else if (!strcmp(k, "max_greeting_s")) {
        int x;
        bad = parse_int(v, 0, 3600, &x);
        c->p->max_greeting_s = x;
    } else if (!strcmp(k, "callback_working_days")) bad = parse_int(v, 0, 60, &c->p->callback_working_days);
    else if (!strcmp(k, "calendar")) {
        if (!strcmp(v, "SE") || !strcmp(v, "AX")) snprintf(c->p->calendar, sizeof c->p->calendar, "%s", v);
        else bad = 1;
    } else if (!strcmp(k, "retention_empty_days")) bad = parse_int(v, 1, 36500, &c->p->retention_empty_days);
    else if (!strcmp(k, "retention_ephemeral_days")) bad = parse_int(v, 1, 36500, &c->p->retention_ephemeral_days);
    else if (!strcmp(k, "retention_not_public_days")) bad = parse_int(v, 1, 36500, &c->p->retention_not_public_days);
    else if (!strcmp(k, "retention_archived_days")) bad = parse_int(v, 0, 36500, &c->p->retention_archived_days);
    else if (!strcmp(k, "diarienummer_pattern")) {
        rv_error pe = {0};
        if (strlen(v) >= sizeof c->p->diarienummer_pattern || rv_decision_pattern_check(v, &pe) != RV_OK)
            return rv_error_set(err, RV_ERR_CONFIG, "%s:%d: diarienummer_pattern: %s", c->path, lineno,
                                pe.msg[0] ? pe.msg : "too long");
        snprintf(c->p->diarienummer_pattern, sizeof c->p->diarienummer_pattern, "%s", v);
    } else if (!strcmp(k, "gallringsbeslut")) {
        if (strlen(v) >= sizeof c->p->gallringsbeslut) bad = 1;
        else snprintf(c->p->gallringsbeslut, sizeof c->p->gallringsbeslut, "%s", v);
    } else if (!strcmp(k, "gallring_covers")) {
        /* "tillfallig", "ringa" or both, separated by commas or spaces */
        bad = !rv_ground_list_parse(v, &c->p->gallring_covers);
    } else if (!strcmp(k, "gallra_automatiskt")) {
        /* which of the classifier's flags the gallringsbeslut lets go without a person's decision */
        c->p->gallra_empty = c->p->gallra_ephemeral = 0;
        char *save = NULL;
        for (char *t = strtok_r(v, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
            if (!strcmp(t, "empty")) c->p->gallra_empty = 1;
            else if (!strcmp(t, "ephemeral")) c->p->gallra_ephemeral = 1;
            else if (strcmp(t, "none")) bad = 1;
        }
    } else return rv_error_set(err, RV_ERR_CONFIG, "%s:%d: unknown key '%s'", c->path, lineno, k);
    if (bad) return rv_error_set(err, RV_ERR_CONFIG, "%s:%d: bad value '%s' for %s", c->path, lineno, v, k);
    c->seen++;
    return RV_OK;
}

rv_err rv_profile_load(const char *path, rv_profile *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t bl = strlen(base);
    if (bl > 5 && strcmp(base + bl - 5, ".conf") == 0) bl -= 5;
    if (bl >= sizeof out->name) bl = sizeof out->name - 1;
    memcpy(out->name, base, bl);
    out->name[bl] = '\0';
    snprintf(out->calendar, sizeof out->calendar, "SE");
    out->retention_archived_days = 30;
    profile_ctx c = {out, path, 0};
    rv_err rc = rv_textfile_each(path, RV_ERR_IO, profile_line, &c, err);
    if (rc == RV_OK && c.seen == 0) rc = rv_error_set(err, RV_ERR_CONFIG, "%s: empty profile", path);
    if (rc == RV_OK && (!out->retention_empty_days || !out->retention_ephemeral_days ||
                        !out->retention_not_public_days))
        rc = rv_error_set(err, RV_ERR_CONFIG, "%s: retention_*_days must all be set", path);
    if (rc == RV_OK && out->gallring_covers && !out->gallringsbeslut[0])
        rc = rv_error_set(err, RV_ERR_CONFIG, "%s: gallring_covers without the gallringsbeslut it comes from", path);
    if (rc == RV_OK && (out->gallra_empty || out->gallra_ephemeral) && !out->gallringsbeslut[0])
        rc = rv_error_set(err, RV_ERR_CONFIG, "%s: gallra_automatiskt without the gallringsbeslut that allows it", path);
    if (rc == RV_OK && out->gallringsbeslut[0] && !out->gallring_covers)
        out->gallring_covers = RV_GROUND_TILLFALLIG | RV_GROUND_RINGA;
    if (rc != RV_OK) memset(out, 0, sizeof *out);
    return rc;
}

rv_err rv_profile_find(const char *dirs, const char *name, rv_profile *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    if (!valid_name(name))
        return rv_error_set(err, RV_ERR_ARG, "profile name '%s' is not [a-z0-9-]", name);
    char *copy = strdup(dirs ? dirs : "");
    if (!copy) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    rv_err rc = RV_ERR_NOT_FOUND;
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.conf", d, name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        fclose(f);
        rc = rv_profile_load(path, out, err);
        if (rc != RV_OK) break;
    }
    free(copy);
    if (rc == RV_ERR_NOT_FOUND)
        rv_error_set(err, RV_ERR_NOT_FOUND, "no profile '%s' in %s", name, dirs ? dirs : "");
    return rc;
}

static int cmp_profile(const void *a, const void *b)
{
    return strcmp(((const rv_profile *)a)->name, ((const rv_profile *)b)->name);
}

rv_err rv_profile_list(const char *dirs, rv_profile **out, size_t *n, rv_error *err)
{
    *out = NULL;
    *n = 0;
    char *copy = strdup(dirs ? dirs : "");
    if (!copy) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    rv_profile *arr = NULL;
    size_t cnt = 0, cap = 0;
    rv_err rc = RV_OK;
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d && rc == RV_OK; d = strtok_r(NULL, ":", &save)) {
        DIR *dir = opendir(d);
        if (!dir) continue;
        struct dirent *de;
        while ((de = readdir(dir)) && rc == RV_OK) {
            size_t l = strlen(de->d_name);
            if (l <= 5 || strcmp(de->d_name + l - 5, ".conf")) continue;
            char name[64];
            if (l - 5 >= sizeof name) continue;
            memcpy(name, de->d_name, l - 5);
            name[l - 5] = '\0';
            if (!valid_name(name)) continue;
            rv_profile p;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", d, de->d_name);
            rc = rv_profile_load(path, &p, err);
            if (rc != RV_OK) break;
            size_t i;
            for (i = 0; i < cnt; i++)
                if (!strcmp(arr[i].name, p.name)) break; /* later directory wins */
            if (i == cnt) {
                if (cnt == cap) {
                    size_t nc = cap ? cap * 2 : 8;
                    rv_profile *na = realloc(arr, nc * sizeof *na);
                    if (!na) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); break; }
                    arr = na;
                    cap = nc;
                }
                cnt++;
            }
            arr[i] = p;
        }
        closedir(dir);
    }
    free(copy);
    if (rc != RV_OK) { free(arr); return rc; }
    if (cnt) qsort(arr, cnt, sizeof *arr, cmp_profile);
    *out = arr;
    *n = cnt;
    return RV_OK;
}

void rv_profile_summary(const rv_profile *p, char *buf, size_t cap)
{
    char len[32], cb[32];
    if (p->max_greeting_s > 0) snprintf(len, sizeof len, "max %.0f s", p->max_greeting_s);
    else snprintf(len, sizeof len, "any length");
    if (p->callback_working_days == 0) snprintf(cb, sizeof cb, "same day");
    else snprintf(cb, sizeof cb, "%d working day%s", p->callback_working_days,
                  p->callback_working_days == 1 ? "" : "s");
    /* retention: the days each kind is kept, and what the gallringsbeslut
     * lets go without a person */
    char keep[160];
    snprintf(keep, sizeof keep, "kept: empty %d, ephemeral %d, not public %d, archived %d days; %s%s%s%s",
             p->retention_empty_days, p->retention_ephemeral_days, p->retention_not_public_days,
             p->retention_archived_days, p->gallringsbeslut[0] ? "auto-disposal: " : "no gallringsbeslut",
             p->gallringsbeslut[0] && !p->gallra_empty && !p->gallra_ephemeral ? "none" : "",
             p->gallringsbeslut[0] && p->gallra_empty ? (p->gallra_ephemeral ? "empty, " : "empty") : "",
             p->gallringsbeslut[0] && p->gallra_ephemeral ? "ephemeral" : "");
    snprintf(buf, cap, "%-18s %s  name%s+%s, %s, %s%s%s, call back %s; %s  (%s)", p->name,
             p->calendar, p->require_name ? "" : "?",
             p->unit_satisfied_by == RV_UNIT_BY_UNIT ? "unit"
             : p->unit_satisfied_by == RV_UNIT_BY_ORG ? "org" : "unit/org",
             p->order == RV_ORDER_UNIT_FIRST ? "unit first" : "any order", len,
             p->require_closing_prompt ? ", closing prompt" : "",
             p->absence_needs_end ? ", absence end date+time" : "", cb, keep, p->title);
}

void rv_profile_version(const rv_profile *p, char out[17])
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "%s|%d|%d|%d|%.3f|%d|%d|%d|%s|%d|%d|%d", p->name, p->require_name,
                     (int)p->unit_satisfied_by, (int)p->order, p->max_greeting_s, p->require_closing_prompt,
                     p->absence_needs_end, p->callback_working_days, p->calendar, p->retention_empty_days,
                     p->retention_ephemeral_days, p->retention_not_public_days);
    uint64_t h = 14695981039346656037ull; /* FNV-1a: a fingerprint, not a secret */
    for (int i = 0; i < n && i < (int)sizeof buf; i++) h = (h ^ (unsigned char)buf[i]) * 1099511628211ull;
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}
