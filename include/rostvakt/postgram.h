/* The owner's recorded name found again in a greeting on posteriorgrams:
 * each 10 ms frame's posteriors over the acoustic model's senones, from the
 * senone scores the decoder computed (src/senone.c), matched by subsequence
 * dynamic time warping of the whole recording against the best-fitting
 * stretch of the greeting; two frames' distance is -log of the inner product
 * of their posteriors. On real same-speaker repeats (bench/bench_template.c)
 * this separates a word said from one not said far better than the mel
 * cepstra of template.h (docs/verification.md). Built on asr.h and
 * template.h; not thread-safe beyond its decoder. */
#ifndef RV_POSTGRAM_H
#define RV_POSTGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "rostvakt/asr.h"
#include "rostvakt/err.h"
#include "rostvakt/template.h"

/* Senones kept a frame (the best ones), and the acoustic scale that makes
 * their likelihoods posteriors (chosen on English and Spanish repeats). */
#define RV_POSTGRAM_TOPN 20
#define RV_POSTGRAM_SCALE 0.05

typedef struct rv_postgram {
    uint16_t *id;  /* n * RV_POSTGRAM_TOPN senones, the most likely first */
    float *p;      /* their posteriors, summing to 1 a frame */
    double *at_s;  /* n: where each frame lies, in seconds */
    size_t n;
    int n_sen;     /* senones in the model */
} rv_postgram;

/* The posteriorgram of the decoder's current utterance: the frames whose
 * time lies in [from_s, to_s) (to_s < 0: to the end), each frame's time
 * with offset_s added. New *out (rv_postgram_free). RV_ERR_ARG when the
 * decoder has no senone scores of its own or no frame lies there. */
RV_MUST_USE rv_err rv_postgram_of(const rv_asr *asr, double from_s, double to_s, double offset_s, rv_postgram *out,
                                  rv_error *err);
void rv_postgram_free(rv_postgram *g);

/* The template's best fit inside utt, as rv_template_match gives it: the
 * mean frame distance along the best warping path of all of tmpl against
 * any stretch of utt (lower: more alike) and where that stretch starts
 * (utt's time). RV_ERR_ARG when either is empty or tmpl is more than twice
 * as long as utt. */
RV_MUST_USE rv_err rv_postgram_match(const rv_postgram *tmpl, const rv_postgram *utt, double *dist, double *at_s,
                                     rv_error *err);

/* The owner's recorded name (name->rec, of rv_features_of) in the decoder's
 * current utterance, whose audio starts offset_s into the greeting: the
 * utterance's posteriorgram is taken, then the decoder is given the
 * recording (it stays the current utterance) and the stretch name keeps is
 * matched. Errors of rv_asr_set_audio, rv_postgram_of and
 * rv_postgram_match. */
RV_MUST_USE rv_err rv_postgram_find(rv_asr *asr, const rv_features *name, double offset_s, double *dist, double *at_s,
                                    rv_error *err);

#endif
