/* Template matching of a spoken phrase: is the owner's own recording of
 * their name (as a PBX keeps it) said again inside a greeting? Same voice,
 * same line, no pronunciation rules: mean-normalised mel cepstra of both,
 * and subsequence dynamic time warping of the whole template against the
 * best-fitting stretch of the greeting. Built on dsp.h; thread-safe. */
#ifndef RV_TEMPLATE_H
#define RV_TEMPLATE_H

#include <stddef.h>

#include "rostvakt/audio.h"
#include "rostvakt/err.h"

#define RV_TEMPLATE_DIM 12

/* Cepstral features, one vector of RV_TEMPLATE_DIM a 10 ms frame, of the
 * stretch from the first to the last frame within 30 dB of the loudest. */
typedef struct rv_features {
    float *v;        /* n * RV_TEMPLATE_DIM, owned */
    size_t n;
    size_t first;    /* the first kept frame's index in the recording */
    rv_pcm rec;      /* the recording itself, owned: for postgram.h */
} rv_features;

/* Features of pcm (any rate; analysed at 8 kHz, the telephone band), and a
 * copy of pcm in out->rec. New out->v and out->rec (rv_features_free);
 * RV_ERR_ARG for a recording whose loudest frame
 * is below -50 dBFS in the band: nothing said. */
RV_MUST_USE rv_err rv_features_of(const rv_pcm *pcm, rv_features *out, rv_error *err);
void rv_features_free(rv_features *f);

/* The template's best fit inside utt: the mean frame distance along the
 * best warping path of all of tmpl against any stretch of utt (lower: more
 * alike), and where that stretch starts in utt (seconds from the start of
 * its recording). RV_ERR_ARG when either is empty or tmpl is more than
 * twice as long as utt. */
RV_MUST_USE rv_err rv_template_match(const rv_features *tmpl, const rv_features *utt, double *dist, double *at_s,
                                     rv_error *err);

/* The subsequence DTW under rv_template_match, for any features: T template
 * frames against U utterance frames, cost(ctx, t, u) the distance of two
 * frames. *dist: the least mean cost of a path (DBL_MAX when none), *start:
 * the utterance frame it entered at. RV_ERR_ARG when T or U is 0 or T > 2 U;
 * RV_ERR_NOMEM. */
RV_MUST_USE rv_err rv_sdtw(size_t T, size_t U, double (*cost)(void *ctx, size_t t, size_t u), void *ctx, double *dist,
                           size_t *start, rv_error *err);

#endif
