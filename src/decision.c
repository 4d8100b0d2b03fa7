/* The officers' decisions and the rules they must follow. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "rostvakt/decision.h"
#include "rostvakt/strbuf.h"

static const char *const names[] = {
    [RV_DECISION_NONE] = "",
    [RV_DECISION_REGISTRERA] = "registrera",
    [RV_DECISION_HALLS_ORDNAD] = "halls_ordnad",
    [RV_DECISION_GALLRAS] = "gallras",
    [RV_DECISION_PRIVAT] = "privat",
};

const char *rv_decision_kind_name(rv_decision_kind k)
{
    return k >= RV_DECISION_NONE && k <= RV_DECISION_PRIVAT ? names[k] : "";
}

int rv_decision_kind_parse(const char *s, rv_decision_kind *out)
{
    if (!s) return 0;
    for (int k = RV_DECISION_REGISTRERA; k <= RV_DECISION_PRIVAT; k++)
        if (!strcmp(s, names[k])) {
            *out = (rv_decision_kind)k;
            return 1;
        }
    return 0;
}

int rv_decision_from_legacy(const char *old, rv_decision_kind *out)
{
    if (!old) return 0;
    if (rv_decision_kind_parse(old, out)) return 1;
    if (!strcmp(old, "registered")) *out = RV_DECISION_REGISTRERA;
    else if (!strcmp(old, "dispose")) *out = RV_DECISION_GALLRAS;
    else if (!strcmp(old, "not_public_record")) *out = RV_DECISION_HALLS_ORDNAD;
    else return 0;
    return 1;
}

int rv_ground_parse(const char *s, int *bit)
{
    if (!s) return 0;
    if (!strcmp(s, "tillfallig") || !strcmp(s, "tillfällig")) *bit = RV_GROUND_TILLFALLIG;
    else if (!strcmp(s, "ringa")) *bit = RV_GROUND_RINGA;
    else return 0;
    return 1;
}

int rv_ground_list_parse(const char *list, int *bits)
{
    *bits = 0;
    int ok = 1;
    for (const char *g = list ? list : ""; *g;) {
        size_t k = strcspn(g, ", ");
        if (k) {
            char one[16];
            int bit = 0;
            snprintf(one, sizeof one, "%.*s", (int)(k < 15 ? k : 15), g);
            if (k < 15 && rv_ground_parse(one, &bit)) *bits |= bit;
            else ok = 0;
        }
        g += k;
        while (*g == ',' || *g == ' ') g++;
    }
    return ok && *bits;
}

const char *rv_ground_name(int bit)
{
    return bit == RV_GROUND_TILLFALLIG ? "tillfallig" : bit == RV_GROUND_RINGA ? "ringa" : "";
}

static int is_space_at(const unsigned char *p, size_t *len)
{
    if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' || *p == '\f') return *len = 1, 1;
    if (p[0] == 0xc2 && p[1] == 0xa0) return *len = 2, 1;                  /* no-break space */
    if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xaf || (p[2] >= 0x80 && p[2] <= 0x8a)))
        return *len = 3, 1;                                                 /* the other Unicode spaces */
    if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) return *len = 3, 1; /* ideographic space */
    return 0;
}

int rv_decision_trim(const char *s, char *out, size_t cap)
{
    if (!cap) return 0;
    out[0] = 0;
    if (!s) return 1;
    const unsigned char *b = (const unsigned char *)s, *e = b + strlen(s);
    size_t n;
    while (b < e && is_space_at(b, &n)) b += n;
    /* from the end: find the last character that is not a space */
    const unsigned char *last = b;
    for (const unsigned char *p = b; p < e;) {
        if (is_space_at(p, &n)) p += n;
        else {
            p++;
            while (p < e && (*p & 0xc0) == 0x80) p++;
            last = p;
        }
    }
    size_t len = (size_t)(last - b);
    if (len + 1 > cap) return 0;
    memcpy(out, b, len);
    out[len] = 0;
    return 1;
}

static int present(const char *s)
{
    char t[8];
    /* present when something other than space is there; too long still counts */
    if (!s) return 0;
    if (rv_decision_trim(s, t, sizeof t)) return t[0] != 0;
    return 1;
}

/* field must be non-blank and at most max bytes after trimming */
static rv_err need(const char *field, const char *v, size_t max, char *out, size_t cap, rv_error *err)
{
    if (!present(v)) return rv_error_set(err, RV_ERR_ARG, "%s: needed, and not blank", field);
    if (!rv_decision_trim(v, out, cap) || strlen(out) > max)
        return rv_error_set(err, RV_ERR_ARG, "%s: at most %zu bytes", field, max);
    return RV_OK;
}

static rv_err refuse_field(const char *field, const char *v, rv_decision_kind k, rv_error *err)
{
    if (present(v))
        return rv_error_set(err, RV_ERR_ARG, "%s: belongs to another decision than %s", field, rv_decision_kind_name(k));
    return RV_OK;
}

rv_err rv_decision_pattern_check(const char *pattern, rv_error *err)
{
    GError *ge = NULL;
    GRegex *re = g_regex_new(pattern, 0, 0, &ge);
    if (re) {
        g_regex_unref(re);
        return RV_OK;
    }
    rv_err rc = rv_error_set(err, RV_ERR_CONFIG, "not a regular expression: %s", ge ? ge->message : "?");
    if (ge) g_error_free(ge);
    return rc;
}

static int matches(const char *pattern, const char *s, rv_error *err, rv_err *rc)
{
    GError *ge = NULL;
    GRegex *re = g_regex_new(pattern, G_REGEX_OPTIMIZE, 0, &ge);
    if (!re) {
        *rc = rv_error_set(err, RV_ERR_CONFIG, "diarienummer_pattern: not a regular expression: %s",
                           ge ? ge->message : "?");
        if (ge) g_error_free(ge);
        return 0;
    }
    int ok = g_regex_match(re, s, 0, NULL);
    g_regex_unref(re);
    return ok;
}

/* "OSL 21 kap. 1 §", "OSL 26 kap. 1 § första stycket", "offentlighets- och
 * sekretesslagen 39 kap. 1 §": the chapter and the paragraph must be named. */
static int has_osl_reference(const char *s)
{
    const char *k = strstr(s, "kap.");
    if (!k || !strstr(k, "§")) return 0;
    int digit_before = 0;
    for (const char *p = s; p < k; p++) digit_before |= *p >= '0' && *p <= '9';
    int digit_after = 0;
    for (const char *p = k; *p; p++) digit_after |= *p >= '0' && *p <= '9';
    return digit_before && digit_after && (strstr(s, "OSL") || strstr(s, "sekretesslag"));
}

rv_err rv_decision_check(const rv_decision_request *d, const rv_decision_rules *r, const rv_decision_state *s,
                         rv_error *err)
{
    /* each text is stored, audited and written into the e-archive's XML
     * as given: a control character is refused rather than changed there */
    const struct {
        const char *name, *v;
        int lines;
    } texts[] = {{"diarienummer", d->diarienummer, 0}, {"arendemening", d->arendemening, 1},
                 {"sekretess", d->sekretess, 0},       {"ground", d->ground, 0},
                 {"reason", d->reason, 1},             {"note", d->note, 1}};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        if (rv_text_has_control(texts[i].v, texts[i].lines))
            return rv_error_set(err, RV_ERR_ARG, "%s: no control characters%s", texts[i].name,
                                texts[i].lines ? " but line breaks and tabs" : "");
    static const rv_decision_rules none = {0};
    static const rv_decision_state fresh = {0};
    if (!r) r = &none;
    if (!s) s = &fresh;
    char buf[RV_ARENDEMENING_MAX + 8];
    rv_err rc = RV_OK;
    if (d->kind < RV_DECISION_REGISTRERA || d->kind > RV_DECISION_PRIVAT)
        return rv_error_set(err, RV_ERR_ARG, "decision: must be registrera, halls_ordnad, gallras or privat");
    if (s->disposed) return rv_error_set(err, RV_ERR_CONFLICT, "decision: the recording was disposed of");
    if (s->current != RV_DECISION_NONE && !present(d->reason))
        return rv_error_set(err, RV_ERR_ARG, "reason: a changed decision (%s to %s) needs a reason",
                            rv_decision_kind_name(s->current), rv_decision_kind_name(d->kind));
    if (present(d->reason) && (!rv_decision_trim(d->reason, buf, sizeof buf) || strlen(buf) > RV_REASON_MAX))
        return rv_error_set(err, RV_ERR_ARG, "reason: at most %d bytes", RV_REASON_MAX);
    if (d->kind != RV_DECISION_REGISTRERA) {
        if ((rc = refuse_field("diarienummer", d->diarienummer, d->kind, err)) != RV_OK ||
            (rc = refuse_field("arendemening", d->arendemening, d->kind, err)) != RV_OK ||
            (rc = refuse_field("sekretess", d->sekretess, d->kind, err)) != RV_OK)
            return rc;
    }
    if (d->kind != RV_DECISION_GALLRAS && (rc = refuse_field("ground", d->ground, d->kind, err)) != RV_OK) return rc;
    switch (d->kind) {
    case RV_DECISION_REGISTRERA:
        if ((rc = need("diarienummer", d->diarienummer, RV_DIARIENUMMER_MAX, buf, sizeof buf, err)) != RV_OK)
            return rc;
        if (r->diarienummer_pattern && *r->diarienummer_pattern) {
            int ok = matches(r->diarienummer_pattern, buf, err, &rc);
            if (rc != RV_OK) return rc;
            if (!ok)
                return rv_error_set(err, RV_ERR_UNPROCESSABLE, "diarienummer: '%s' is not of the form %s", buf,
                                    r->diarienummer_pattern);
        }
        if ((rc = need("arendemening", d->arendemening, RV_ARENDEMENING_MAX, buf, sizeof buf, err)) != RV_OK)
            return rc;
        if (present(d->sekretess)) {
            if (!rv_decision_trim(d->sekretess, buf, sizeof buf) || strlen(buf) > RV_SEKRETESS_MAX)
                return rv_error_set(err, RV_ERR_ARG, "sekretess: at most %d bytes", RV_SEKRETESS_MAX);
            if (!has_osl_reference(buf))
                return rv_error_set(err, RV_ERR_UNPROCESSABLE,
                                    "sekretess: name the OSL chapter and paragraph, e.g. \"OSL 26 kap. 1 §\"");
        }
        return RV_OK;
    case RV_DECISION_GALLRAS: {
        if (s->handed_over)
            return rv_error_set(err, RV_ERR_CONFLICT,
                                "decision: handed over to the e-archive, so it cannot be gallras");
        if (!r->gallringsbeslut || !*r->gallringsbeslut)
            return rv_error_set(err, RV_ERR_UNPROCESSABLE,
                                "decision: no gallringsbeslut covers this voicemail (neither its organisation nor its "
                                "profile names one), so it cannot be gallras");
        int bit = 0;
        if (!present(d->ground)) return rv_error_set(err, RV_ERR_ARG, "ground: needed: tillfallig or ringa");
        if (!rv_ground_parse(d->ground, &bit))
            return rv_error_set(err, RV_ERR_ARG, "ground: must be tillfallig or ringa");
        if (!(r->gallring_covers & bit))
            return rv_error_set(err, RV_ERR_UNPROCESSABLE, "ground: the gallringsbeslut %s does not cover %s",
                                r->gallringsbeslut, rv_ground_name(bit));
        return RV_OK;
    }
    default:
        return RV_OK;
    }
}
