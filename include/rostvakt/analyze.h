/* One recording in, one verdict out: decode, signal facts, system-prompt
 * search, and whether a greeting (or a voicemail's speech) is missing. */
#ifndef RV_ANALYZE_H
#define RV_ANALYZE_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "rostvakt/audio.h"
#include "rostvakt/classify.h"
#include "rostvakt/config.h"
#include "rostvakt/err.h"
#include "rostvakt/fingerprint.h"
#include "rostvakt/signal.h"

typedef enum { RV_KIND_GREETING, RV_KIND_VOICEMAIL } rv_kind;

typedef enum {
    RV_MISSING_NONE,
    RV_MISSING_EMPTY,          /* zero bytes or zero samples */
    RV_MISSING_SILENCE,
    RV_MISSING_NOISE,
    RV_MISSING_TONE,
    RV_MISSING_DTMF,
    RV_MISSING_SYSTEM_PROMPT,
    RV_MISSING_TOO_LITTLE_SPEECH
} rv_missing_reason;

/* What the directory says should be in a greeting (verified by a later
 * module; carried through the report now). All pointers borrowed. */
typedef struct {
    const char *name, *unit, *org, *profile;
    const char *const *phrases;
    size_t n_phrases;
    int rec_year, rec_month, rec_day; /* the day the greeting was recorded, for
                                       * "till och med fredag" (0: today) */
    const char *const *cohort;        /* other names of the same directory that the
                                       * name is weighed against (rv_cohort_pick) */
    const char *const *cohort_units;  /* their units (may be NULL) */
    size_t n_cohort;
    const struct rv_features *name_template; /* the owner's own recording of the name
                                              * (template.h), or NULL */
} rv_expect;

/* Shared, read-only analysis context; both pointers borrowed for its life. */
typedef struct {
    const rv_config *cfg;
    const rv_fpdb *prompts; /* may be NULL: no system-prompt search */
} rv_analyzer;

/* What a person may take from a phrase's score: said, not said, or not sure
 * enough either way (a person should listen). */
typedef enum { RV_VERDICT_NOT_STATED, RV_VERDICT_STATED, RV_VERDICT_UNSURE } rv_verdict;

/* "not_stated", "stated", "unsure". */
const char *rv_verdict_name(rv_verdict v);

/* The elements of a greeting a policy asks for, as bits of rv_report.unsure. */
typedef enum { RV_ELEM_NAME, RV_ELEM_UNIT, RV_ELEM_ORG, RV_ELEM_CLOSING, RV_ELEM__COUNT } rv_element;

/* "name", "unit", "org", "closing". */
const char *rv_element_name(rv_element e);

/* One expected phrase and what verification found. */
typedef struct {
    char expected[192];
    int stated;       /* score reached the threshold */
    double threshold; /* the threshold it was held to */
    rv_verdict verdict; /* stated or not_stated only with confidence >= the setting verdict_min_confidence */
    double confidence;  /* the probability that the verdict is right (calibrated on the tune split) */
    double score;     /* acoustic log-likelihood ratio per frame (rv_asr); very low if not found */
    double at_s;      /* where it fits best, -1 if nowhere */
    int n_cohort;     /* names only: competitors weighed against (0: none) */
    double raw_score; /* with competitors: the ratio before they were weighed in */
    double cohort_score; /* ... and the best competitor's ratio */
    char cohort_best[192]; /* ... which one that was */
    int has_template;      /* names only: matched against the owner's recording */
    double template_distance; /* ... its fit (lower: more alike) */
    int template_posteriors;  /* ... measured on posteriorgrams (postgram.h), else mel cepstra */
    double template_at_s;  /* ... and where */
    int unpronounceable;   /* the lexicon cannot say it: not sought, unsure (a person listens) */
    double total;     /* the whole ratio over the phrase's frames (names: before the cohort) */
    int frames, phones; /* ... its 10 ms frames, and phones of its first pronunciation */
    double cohort_total; /* names with competitors: the best one's whole ratio */
} rv_phrase_check;

typedef struct {
    rv_kind kind;
    size_t bytes;
    int rate, channels;
    char format[96];
    rv_codec codec;           /* the recording's codec: it picks the phrase thresholds */
    rv_signal signal;         /* owned */
    int prompt_found;
    rv_fp_match prompt;       /* best match, even below the threshold */
    int missing;
    rv_missing_reason reason;
    rv_vm_class vm_class;     /* voicemails only */
    uint32_t vm_reasons;      /* bits of rv_vm_reason */
    int keywords_searched;    /* rv_spot_keywords ran */
    rv_keyword_hit *keywords; /* owned; case words found, in time order */
    size_t n_keywords;
    /* Filled by rv_verify_greeting (verify.h); verified == 0 means not run. */
    int verified;
    int has_name, has_unit, has_org;
    rv_phrase_check name, unit, org;
    rv_phrase_check *phrases;  /* owned */
    size_t n_phrases;
    rv_phrase_check closing;   /* the best-fitting closing phrase */
    rv_phrase_check absence;   /* the best-fitting absence phrase ("är på semester") */
    char absence_until[20];    /* "2026-12-04T12:00", "2026-12-04" or "" */
    double until_score;        /* the date's score, -1e9 when none was sought */
    char profile[64];
    uint32_t violations;       /* bits of rv_violation under profile, from confident verdicts only */
    uint32_t unsure;           /* bits of rv_element whose verdict is unsure */
    int needs_review;          /* no confident violation, but an unsure element could make one */
} rv_report;

/* Analyse a recording held in memory. Decoding errors are returned (the
 * recording could not be read); an empty or silent recording is not an
 * error but a report with missing set. On RV_OK the caller owns out
 * (rv_report_free); on error *out is zeroed. Thread-safe. */
RV_MUST_USE rv_err rv_analyze_bytes(const rv_analyzer *a, const void *bytes, size_t len,
                                    rv_audio_hint hint, rv_kind kind, rv_report *out,
                                    rv_error *err);

/* The same for decoded audio; pcm stays the caller's. */
RV_MUST_USE rv_err rv_analyze_pcm(const rv_analyzer *a, const rv_pcm *pcm, rv_kind kind,
                                  rv_report *out, rv_error *err);

void rv_report_free(rv_report *r);

/* The reference prompts of cfg->prompt_refs, loaded once per process (a new
 * database, rv_fpdb_free; NULL only when out of memory). Problems (none
 * found, some unreadable) are warnings on warn (NULL: quiet): system-prompt
 * detection is then off or partial, and analysis goes on. */
rv_fpdb *rv_prompts_load(const rv_config *cfg, FILE *warn);

/* "empty_recording", "silence", ...; NULL for RV_MISSING_NONE. */
const char *rv_missing_reason_name(rv_missing_reason r);
const char *rv_kind_name(rv_kind k);
/* Parse "greeting"/"voicemail"; returns -1 for anything else. */
int rv_kind_parse(const char *s);

#endif
