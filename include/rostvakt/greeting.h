/* A directory entry's greeting, analysed: what the service does on PUT
 * …/greeting and what the nightly sweep does again when models or the
 * profile changed. Between verify (the analysis) and store (the row). */
#ifndef RV_GREETING_H
#define RV_GREETING_H

#include "rostvakt/analyze.h"
#include "rostvakt/asr.h"
#include "rostvakt/policy.h"
#include "rostvakt/store.h"
#include "rostvakt/verify.h"

/* What became of an analysed greeting, as the service counts them. */
typedef enum {
    RV_OUTCOME_COMPLIANT,
    RV_OUTCOME_NONCOMPLIANT,
    RV_OUTCOME_MISSING,
    RV_OUTCOME_UNVERIFIED,
    RV_OUTCOME_UNSURE,        /* no confident violation, but a person should listen */
    RV_OUTCOME__COUNT
} rv_greeting_outcome;

/* "compliant", "noncompliant", "missing", "unverified", "unsure". */
const char *rv_greeting_outcome_name(rv_greeting_outcome o);

/* The verdict columns of a greeting row. */
typedef struct {
    rv_compliance compliance;  /* RV_COMPLIANCE_UNKNOWN when it could not be verified, or needs review */
    char violations[256];      /* "name_missing,too_long" */
    char missing_reason[32];   /* "" unless missing by analysis */
    char absence_until[20];    /* "" unless an absence greeting gave its end */
    char review[64];           /* "name,closing": unsure elements a person should listen for, or "" */
    rv_greeting_outcome outcome;
} rv_greeting_verdict;

/* Analyse pcm as mailbox m's greeting under profile p: what
 * `rostvakt analyze --kind greeting` does with the entry's name ("first
 * last"), unit, org and profile, the recording date being the day of
 * received_at (UTC, "YYYY-MM-DDTHH:MM:SSZ") in p's calendar (the caller puts
 * the mailbox's organisation's in its place), the name weighed against the
 * directory's other names and their units (rv_store_directory_names; may
 * be none) and, when name_template is set, the owner's recorded name
 * matched in the greeting. asr NULL:
 * signal analysis only (compliance unknown unless missing). *json gets the report
 * (free()). */
RV_MUST_USE rv_err rv_greeting_analyse(const rv_analyzer *an, rv_asr *asr, const rv_verify_thresholds *th,
                                       const rv_mailbox *m, const rv_profile *p, const rv_pcm *pcm,
                                       const char *received_at,
                                       const char *const *directory, const char *const *directory_units,
                                       size_t n_directory, const struct rv_features *name_template,
                                       char **json, rv_greeting_verdict *v, rv_error *err);

/* What a person can be asked about in a verified greeting's analysis
 * (report, the JSON rv_greeting_analyse made): "name,unit,org,closing", the
 * elements the recogniser sought (found or not; not those the lexicon
 * cannot say), into out; "" when there is none or report is not such an
 * analysis. */
void rv_greeting_checked(const char *report, char out[64]);

/* The texts a greeting's analysis (report) sought for the name, unit and
 * organisation (its "expected"), into out[0..2], "" for one not sought;
 * 0 (all "") when report is not such an analysis. */
#define RV_SOUGHT_MAX 256
int rv_greeting_sought(const char *report, char out[3][RV_SOUGHT_MAX]);

/* 1 when heard (name, unit, org, closing: "stated", "not_stated" or NULL)
 * answers every element rv_greeting_checked finds in report. */
int rv_greeting_answers_all(const char *report, const char *const heard[4]);

/* A greeting's verdict once a person has listened: report is its
 * analysis (the JSON rv_greeting_analyse made), heard what the person
 * heard of name, unit, org and closing ("stated", "not_stated", or NULL:
 * not said either way). What was heard replaces the recogniser's verdict
 * of that element; the profile p's rules are applied again as verification
 * applies them (an element still unsure: compliant unless it would break
 * the policy were it not said, then still unknown). v->compliance and
 * v->violations are set, the rest of *v zeroed. RV_ERR_ARG when report is
 * not a verified greeting's analysis. */
RV_MUST_USE rv_err rv_greeting_reviewed(const rv_profile *p, const char *report, const char *const heard[4],
                                        rv_greeting_verdict *v, rv_error *err);

/* A new analysis (report) of the recording sha256 of mailbox ext, with
 * what a person heard in that recording: the texts report sought into
 * sought (*known 0: report does not say), and where the recording has a
 * review, each element's latest answer about those texts
 * (rv_store_latest_review) in place of the recogniser's verdict, v's
 * compliance, violations and outcome made again under p
 * (rv_greeting_reviewed); else v is left as it is. Errors are the store's. */
RV_MUST_USE rv_err rv_greeting_heard_before(rv_store *s, const char *ext, const char *sha256, const rv_profile *p,
                                            const char *report, char sought[3][RV_SOUGHT_MAX], int *known,
                                            rv_greeting_verdict *v, rv_error *err);

/* The features of mailbox ext's recorded name (rv_store_set_name_recording)
 * into out (rv_features_free): RV_ERR_NOT_FOUND when it has none; decoding
 * and feature errors as rv_audio_decode and rv_features_of give them. */
RV_MUST_USE rv_err rv_greeting_name_template(rv_store *s, const char *ext, const rv_audio_limits *lim,
                                             struct rv_features *out, rv_error *err);

/* 1 when rc, from fetching or analysing a mailbox's recorded name, leaves
 * the greeting to be analysed without it: there is none (RV_ERR_NOT_FOUND),
 * or it cannot be used (not audio, corrupt, too large or long, silent). 0
 * for any other error (I/O, memory, a busy archive): the analysis fails. */
int rv_greeting_template_unusable(rv_err rc);

/* The same from the recording's bytes and Content-Type. Test hook, inert
 * unless set: RV_TEST_FAULT naming "name_template_io" makes it fail as a
 * read of the archive would (RV_ERR_IO). */
RV_MUST_USE rv_err rv_greeting_template_of(const void *bytes, size_t len, const char *content_type,
                                           const rv_audio_limits *lim,
                                           struct rv_features *out, rv_error *err);

/* "models/profile": what rv_greeting_row.models_version records. */
void rv_greeting_version(const char *models_version, const rv_profile *p, char out[40]);

#endif
