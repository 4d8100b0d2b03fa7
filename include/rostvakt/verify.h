/* Does the greeting say who and where? Verifies the directory's name, unit
 * and organisation (and any extra phrases) with rv_asr, looks for a closing
 * prompt, and applies the policy profile. Sits between asr and policy. */
#ifndef RV_VERIFY_H
#define RV_VERIFY_H

#include "rostvakt/analyze.h"
#include "rostvakt/asr.h"
#include "rostvakt/policy.h"

typedef struct {
    double name_min_score;    /* ratio per frame a name must reach */
    double name_cohort_weight; /* with a cohort: score less this times the cohort's best */
    double name_cohort_min_score; /* ... and this threshold */
    double phrase_min_score;  /* the same for units, organisations, phrases ... */
    double phrase_per_char;   /* ... plus this for each of their characters */
    /* name_min_score, name_cohort_min_score and phrase_min_score for G.711
     * and GSM recordings (rv_pcm.codec; other recordings use the three above,
     * and [RV_CODEC_OTHER] is unused):
     * G.711 and GSM shift the scores differently, and one threshold for both
     * gave GSM more false positives than mu-law on the tune split.
     * rv_verify_greeting uses its recording's. */
    struct { double name, name_cohort, phrase; } by_codec[RV_CODECS];
    double closing_min_score; /* the best closing prompt */
    double absence_min_score; /* an absence phrase ("är på semester") */
    double date_min_score;    /* an absence's end date, and its hour */
    /* The confidence of a verdict: 1 / (1 + exp(-slope * (score - threshold)))
     * that the phrase was said, per kind of phrase (calibrated on the tune
     * split); a verdict is stated or not_stated only when its confidence
     * reaches min_confidence, else unsure. */
    double name_slope, phrase_slope, closing_slope;
    double min_confidence;
    double template_max_distance; /* a name whose recording fits this well is stated: mel cepstra ... */
    double template_max_posterior_distance; /* ... and posteriorgrams, used where the decoder has them */
    int phrases_only;         /* benchmarks: only the expected phrases, no
                               * closing prompt or absence (those stay unset) */
} rv_verify_thresholds;

/* The thresholds of cfg. */
rv_verify_thresholds rv_verify_thresholds_of(const rv_config *cfg);

/* th with name_min_score, name_cohort_min_score and phrase_min_score those of
 * codec (th->by_codec). */
rv_verify_thresholds rv_verify_thresholds_for(const rv_verify_thresholds *th, rv_codec codec);

/* Set c->verdict and c->confidence from its score and threshold under
 * slope and min_confidence (rv_verify_thresholds). A phrase that fits
 * nowhere is not stated. */
void rv_verdict_decide(rv_phrase_check *c, double slope, double min_confidence);

/* The threshold of a unit, organisation or phrase text under th. */
double rv_phrase_threshold(const rv_verify_thresholds *th, const char *text);

/* The competitors a name is weighed against: of the n names in all (their
 * units in units, which may be NULL), name itself and repeats left out, up to
 * max (at most RV_COHORT_MAX), first those of the same unit as unit, then the
 * most alike in spelling (edit distance, ASCII case folded; ties in order).
 * Pointers into all, in out; returns how many. A greeting that says another
 * person's name is most likely a colleague's: same unit, or a name that
 * sounds alike. */
#define RV_COHORT_MAX 32
/* A name's score with a cohort is its ratio less name_cohort_weight times
 * max(the best competitor's ratio, RV_COHORT_FLOOR): a competitor that fits
 * worse than the floor earns the name no more credit. */
#define RV_COHORT_FLOOR (-15.0)
size_t rv_cohort_pick(const char *name, const char *unit, const char *const *all, const char *const *units,
                      size_t n, const char **out, size_t max);

/* Give asr the stretch of pcm from its first speech to its last (sig, from
 * rv_analyze_pcm), with a margin, as verification does; *offset_s gets where
 * that stretch starts. */
RV_MUST_USE rv_err rv_verify_set_speech(rv_asr *asr, const rv_pcm *pcm, const rv_signal *sig, double *offset_s,
                                        rv_error *err);

/* The best of rostvakt's closing prompts ("lämna ett meddelande" ...) on
 * asr's current utterance into out, stated at th->closing_min_score; out->at_s
 * counts from that utterance's start (rv_verify_set_speech's offset is not
 * added). rv_verify_greeting uses it; benchmarks call it alone. */
RV_MUST_USE rv_err rv_verify_closing(rv_asr *asr, const rv_verify_thresholds *th, rv_phrase_check *out, rv_error *err);

/* Verify exp on pcm with asr (a decoder of this thread) and fill r's
 * verification fields; with prof, also r->violations. A greeting already
 * missing is not searched (nothing to verify); its violation is "missing" or
 * "system_prompt". An absence greeting is sought too (r->absence), and its
 * end (r->absence_until) within 62 days of exp's recording date (0: today).
 * On error r's verification fields are left unset (r->verified == 0). */
RV_MUST_USE rv_err rv_verify_greeting(rv_asr *asr, const rv_pcm *pcm, const rv_expect *exp,
                                      const rv_profile *prof, const rv_verify_thresholds *th,
                                      rv_report *r, rv_error *err);

/* Look for the case words (words[n_words], e.g. from rv_case_words_load) in
 * a voicemail r of pcm with asr, pronounced with the directory map
 * (RV_VOCAB_DIRECTORY): in groups of up to 16 alternatives, the best
 * of each group that reaches min_score is a hit (so at most one hit a group).
 * Fills r->keywords and classifies r again with the hits (long_speech_s as in
 * rv_classify_voicemail). A voicemail without speech is not searched. */
RV_MUST_USE rv_err rv_spot_keywords(rv_asr *asr, const rv_pcm *pcm, const char (*words)[64], size_t n_words,
                                    double min_score, double long_speech_s, rv_report *r, rv_error *err);

/* A fingerprint (16 hex digits) of the models and settings a greeting's
 * verdict depends on: the analysis revision and the settings the table marks
 * (rv_config_fingerprint; cfg resolved). With rv_profile_version it tells
 * which stored analyses are out of date. */
void rv_models_version(const rv_config *cfg, char out[17]);

#endif
