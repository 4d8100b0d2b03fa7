/* A directory entry's greeting through analysis, verification and policy. */
#include "rostvakt/greeting.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rostvakt/calendar.h"
#include "rostvakt/report.h"
#include "rostvakt/template.h"

rv_err rv_greeting_analyse(const rv_analyzer *an, rv_asr *asr, const rv_verify_thresholds *th,
                           const rv_mailbox *m, const rv_profile *p, const rv_pcm *pcm, const char *received_at,
                           const char *const *directory, const char *const *directory_units,
                           size_t n_directory, const struct rv_features *name_template, char **json,
                           rv_greeting_verdict *v, rv_error *err)
{
    *json = NULL;
    memset(v, 0, sizeof *v);
    char name[200];
    snprintf(name, sizeof name, "%s %s", m->first_name, m->last_name);
    rv_expect exp = {.name = name, .unit = m->unit, .org = m->org[0] ? m->org : NULL, .profile = p->name,
                   .cohort = directory, .cohort_units = directory_units,
                   .n_cohort = n_directory, .name_template = name_template};
    long day;
    rv_calendar cal; /* the profile's, or the organisation's the caller put in its place */
    if (!rv_calendar_parse(p->calendar, &cal)) cal = RV_CAL_SE;
    if (rv_local_date(received_at, cal, &day)) /* "till och med fredag" counts from here */
        rv_civil_from_days(day, &exp.rec_year, &exp.rec_month, &exp.rec_day);
    rv_report r;
    rv_err rc = rv_analyze_pcm(an, pcm, RV_KIND_GREETING, &r, err);
    if (rc != RV_OK) return rc;
    if (asr && (rc = rv_verify_greeting(asr, pcm, &exp, p, th, &r, err)) != RV_OK) {
        rv_report_free(&r);
        return rc;
    }
    for (int b = 0; b < RV_VIOL__COUNT; b++)
        if (r.violations & (1u << b))
            snprintf(v->violations + strlen(v->violations), sizeof v->violations - strlen(v->violations), "%s%s",
                     v->violations[0] ? "," : "", rv_violation_name((rv_violation)b));
    v->compliance = r.verified && r.profile[0] ? (r.violations         ? RV_COMPLIANCE_NO
                                                  : r.needs_review ? RV_COMPLIANCE_UNKNOWN
                                                                   : RV_COMPLIANCE_YES)
                    : r.missing                 ? RV_COMPLIANCE_NO
                                                : RV_COMPLIANCE_UNKNOWN;
    if (r.missing) snprintf(v->missing_reason, sizeof v->missing_reason, "%s", rv_missing_reason_name(r.reason));
    if (r.verified && r.absence.stated && r.absence_until[0])
        snprintf(v->absence_until, sizeof v->absence_until, "%s", r.absence_until);
    for (int e = 0; r.needs_review && !r.violations && e < RV_ELEM__COUNT; e++)
        if (r.unsure & (1u << e))
            snprintf(v->review + strlen(v->review), sizeof v->review - strlen(v->review), "%s%s",
                     v->review[0] ? "," : "", rv_element_name((rv_element)e));
    v->outcome = r.missing                                                 ? RV_OUTCOME_MISSING
                 : r.verified && r.profile[0] && !r.violations && r.needs_review ? RV_OUTCOME_UNSURE
                 : v->compliance == RV_COMPLIANCE_UNKNOWN                ? RV_OUTCOME_UNVERIFIED
                 : v->compliance == RV_COMPLIANCE_YES                    ? RV_OUTCOME_COMPLIANT
                                                                         : RV_OUTCOME_NONCOMPLIANT;
    *json = rv_report_to_json(&r, NULL, &exp);
    rv_report_free(&r);
    if (!*json) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    return RV_OK;
}

void rv_greeting_version(const char *models_version, const rv_profile *p, char out[40])
{
    char pv[17];
    rv_profile_version(p, pv);
    snprintf(out, 40, "%s/%s", models_version, pv);
}

const char *rv_greeting_outcome_name(rv_greeting_outcome o)
{
    static const char *const names[RV_OUTCOME__COUNT] = {"compliant", "noncompliant", "missing", "unverified",
                                                         "unsure"};
    return (unsigned)o < RV_OUTCOME__COUNT ? names[o] : "unverified";
}

rv_err rv_greeting_name_template(rv_store *s, const char *ext, const rv_audio_limits *lim, struct rv_features *out,
                                 rv_error *err)
{
    memset(out, 0, sizeof *out);
    char sha[RV_SHA256_HEX + 1], ct[64];
    rv_err rc = rv_store_name_recording(s, ext, sha, ct, sizeof ct, err);
    if (rc != RV_OK) return rc;
    unsigned char *bytes = NULL;
    size_t len = 0;
    rc = rv_store_read_audio(s, sha, (size_t)lim->max_bytes, &bytes, &len, err);
    if (rc != RV_OK) return rc;
    rc = rv_greeting_template_of(bytes, len, ct, lim, out, err);
    free(bytes);
    return rc;
}

int rv_greeting_template_unusable(rv_err rc)
{
    return rc == RV_ERR_NOT_FOUND || rc == RV_ERR_ARG || rc == RV_ERR_TOO_LARGE || rc == RV_ERR_TOO_LONG ||
           rc == RV_ERR_AUDIO_FORMAT || rc == RV_ERR_AUDIO_CORRUPT || rc == RV_ERR_AUDIO_TRUNCATED;
}

rv_err rv_greeting_template_of(const void *bytes, size_t len, const char *content_type, const rv_audio_limits *lim,
                               struct rv_features *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    if (rv_test_fault("name_template_io")) return rv_error_set(err, RV_ERR_IO, "cannot read the recorded name");
    rv_pcm pcm;
    rv_err rc = rv_audio_decode(bytes, len, rv_audio_hint_for_type(content_type), lim, &pcm, err);
    if (rc != RV_OK) return rc;
    rc = rv_features_of(&pcm, out, err);
    rv_pcm_free(&pcm);
    return rc;
}

/* ---- what a person heard ---- */

/* An element's verdict in the report (a name, unit or org object, or the
 * closing prompt), unless a person heard it: RV_VERDICT_*. An element the
 * report has none of is not stated. */
static rv_verdict element_verdict(json_t *o, const char *heard, double *at_s)
{
    *at_s = -1;
    if (!json_is_object(o)) return RV_VERDICT_NOT_STATED;
    json_t *at = json_object_get(o, "at_s");
    if (json_is_number(at)) *at_s = json_number_value(at);
    const char *v = heard ? heard : json_string_value(json_object_get(o, "verdict"));
    if (v && !strcmp(v, "stated")) return RV_VERDICT_STATED;
    if (v && !strcmp(v, "not_stated")) return RV_VERDICT_NOT_STATED;
    return RV_VERDICT_UNSURE;
}

void rv_greeting_checked(const char *report, char out[64])
{
    out[0] = '\0';
    json_t *r = report ? json_loads(report, 0, NULL) : NULL;
    static const char *const keys[RV_ELEM__COUNT] = {"name", "unit", "org", "closing_prompt"};
    for (int e = 0; json_is_object(r) && e < RV_ELEM__COUNT; e++) {
        json_t *c = json_object_get(r, keys[e]);
        /* a null score is a phrase found nowhere: a sure "not said", asked too */
        if (!json_is_object(c) || json_is_true(json_object_get(c, "unpronounceable"))) continue;
        size_t len = strlen(out);
        snprintf(out + len, 64 - len, "%s%s", len ? "," : "", rv_element_name((rv_element)e));
    }
    json_decref(r);
}

int rv_greeting_sought(const char *report, char out[3][RV_SOUGHT_MAX])
{
    json_t *r = report ? json_loads(report, 0, NULL) : NULL, *exp = json_object_get(r, "expected");
    static const char *const keys[3] = {"name", "unit", "org"};
    for (int i = 0; i < 3; i++) {
        const char *t = json_string_value(json_object_get(exp, keys[i]));
        snprintf(out[i], RV_SOUGHT_MAX, "%s", t ? t : "");
    }
    int known = json_is_object(exp);
    json_decref(r);
    return known;
}

int rv_greeting_answers_all(const char *report, const char *const heard[4])
{
    char checked[64], *save = NULL;
    rv_greeting_checked(report, checked);
    for (char *t = strtok_r(checked, ",", &save); t; t = strtok_r(NULL, ",", &save))
        for (int e = 0; e < RV_ELEM__COUNT; e++)
            if (strcmp(t, rv_element_name((rv_element)e)) == 0 && !heard[e]) return 0;
    return 1;
}

rv_err rv_greeting_reviewed(const rv_profile *p, const char *report, const char *const heard[4],
                            rv_greeting_verdict *v, rv_error *err)
{
    memset(v, 0, sizeof *v);
    json_t *r = report ? json_loads(report, 0, NULL) : NULL;
    if (!json_is_object(r) || !json_is_object(json_object_get(r, "closing_prompt"))) {
        json_decref(r);
        return rv_error_set(err, RV_ERR_ARG, "not a verified greeting's analysis");
    }
    rv_greeting_facts f = {0};
    f.duration_s = json_number_value(json_object_get(r, "duration_s"));
    const char *reason = json_string_value(json_object_get(r, "missing_reason"));
    int missing = json_is_true(json_object_get(r, "missing"));
    f.system_prompt = missing && reason && !strcmp(reason, "system_prompt");
    f.missing = missing && !f.system_prompt;
    static const char *const keys[4] = {"name", "unit", "org", "closing_prompt"};
    rv_verdict e[4];
    double at[4];
    for (int k = 0; k < 4; k++) e[k] = element_verdict(json_object_get(r, keys[k]), heard[k], &at[k]);
    f.name_at_s = at[0];
    f.unit_at_s = at[1];
    f.org_at_s = at[2];
    f.closing_prompt = e[3] != RV_VERDICT_NOT_STATED;
    json_t *abs = json_object_get(r, "absence");
    f.absence = json_is_true(json_object_get(abs, "absent"));
    const char *until = json_string_value(json_object_get(abs, "until"));
    f.absence_has_end = until && strchr(until, 'T') != NULL;
    json_decref(r);
    uint32_t viol = 0, pessimist = 0;
    for (int pass = 0; pass < 2; pass++) { /* an unsure element said, then not said */
        f.name_stated = e[0] == RV_VERDICT_STATED || (!pass && e[0] == RV_VERDICT_UNSURE);
        f.unit_stated = e[1] == RV_VERDICT_STATED || (!pass && e[1] == RV_VERDICT_UNSURE);
        f.org_stated = e[2] == RV_VERDICT_STATED || (!pass && e[2] == RV_VERDICT_UNSURE);
        if (pass) pessimist = rv_policy_check(p, &f);
        else viol = rv_policy_check(p, &f);
    }
    for (int b = 0; b < RV_VIOL__COUNT; b++)
        if (viol & (1u << b))
            snprintf(v->violations + strlen(v->violations), sizeof v->violations - strlen(v->violations), "%s%s",
                     v->violations[0] ? "," : "", rv_violation_name((rv_violation)b));
    v->compliance = viol ? RV_COMPLIANCE_NO : pessimist ? RV_COMPLIANCE_UNKNOWN : RV_COMPLIANCE_YES;
    v->outcome = viol ? RV_OUTCOME_NONCOMPLIANT : pessimist ? RV_OUTCOME_UNSURE : RV_OUTCOME_COMPLIANT;
    return RV_OK;
}

rv_err rv_greeting_heard_before(rv_store *s, const char *ext, const char *sha256, const rv_profile *p,
                                const char *report, char sought[3][RV_SOUGHT_MAX], int *known, rv_greeting_verdict *v,
                                rv_error *err)
{
    *known = rv_greeting_sought(report, sought);
    rv_heard h;
    int reviewed = 0;
    rv_err rc = rv_store_latest_review(s, ext, sha256, (const char *const[3]){sought[0], sought[1], sought[2]}, &h,
                                       &reviewed, err);
    if (rc != RV_OK || !reviewed) return rc;
    const char *heard[4] = {h.name[0] ? h.name : NULL, h.unit[0] ? h.unit : NULL, h.org[0] ? h.org : NULL,
                            h.closing[0] ? h.closing : NULL};
    rv_greeting_verdict rv;
    if (rv_greeting_reviewed(p, report, heard, &rv, &(rv_error){0}) == RV_OK) {
        v->compliance = rv.compliance;
        v->outcome = rv.outcome;
        memcpy(v->violations, rv.violations, sizeof v->violations);
    }
    return RV_OK;
}
