/* Does the greeting say who and where? Verifies the directory's name, unit
 * and organisation (and any extra phrases) with rv_asr, looks for a closing
 * prompt, and applies the policy profile. Sits between asr and policy. */
#ifndef RV_VERIFY_H
#define RV_VERIFY_H

#include "rostvakt/analyze.h"
#include "rostvakt/asr.h"
#include "rostvakt/policy.h"

typedef struct {
    double name_min_score;    /* per-phone ratio a name must reach */
    double phrase_min_score;  /* the same for units, organisations, phrases */
} rv_verify_thresholds;

/* Verify exp on pcm with asr (a decoder of this thread) and fill r's
 * verification fields; with prof, also r->violations. A greeting already
 * missing is not searched (nothing to verify); its violation is "missing" or
 * "system_prompt". The absence rule is not evaluated yet (absence unknown).
 * On error r's verification fields are left unset (r->verified == 0). */
rv_err rv_verify_greeting(rv_asr *asr, const rv_pcm *pcm, const rv_expect *exp,
                          const rv_profile *prof, const rv_verify_thresholds *th,
                          rv_report *r, rv_error *err);

#endif
