/* A directory entry's greeting through analysis, verification and policy. */
#include "rostvakt/greeting.h"

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
    if (rv_local_date(received_at, RV_CAL_SE, &day)) /* "till och med fredag" counts from here */
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

rv_err rv_greeting_template_of(const void *bytes, size_t len, const char *content_type, const rv_audio_limits *lim,
                               struct rv_features *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    rv_pcm pcm;
    rv_err rc = rv_audio_decode(bytes, len, rv_audio_hint_for_type(content_type), lim, &pcm, err);
    if (rc != RV_OK) return rc;
    rc = rv_features_of(&pcm, out, err);
    rv_pcm_free(&pcm);
    return rc;
}
