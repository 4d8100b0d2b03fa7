/* Verification of expected phrases with PocketSphinx (0.8, US English
 * acoustic model). Owns PocketSphinx and sphinxbase. A phrase is scored as a
 * likelihood ratio: the best path forced through the phrase (with a free
 * phone loop around it) against the free phone loop alone, per frame of the
 * phrase. One rv_asr is one decoder: not thread-safe; use one per thread. */
#ifndef RV_ASR_H
#define RV_ASR_H

#include <stddef.h>
#include <stdint.h>

#include "rostvakt/audio.h"
#include "rostvakt/err.h"
#include "rostvakt/lexicon.h"

typedef struct rv_asr rv_asr;

typedef struct {
    double llr;       /* log-likelihood ratio per 10 ms frame of the phrase, in
                       * PocketSphinx units (log base 1.0001); near 0: fits well */
    double start_s;   /* where the phrase fits best */
    double end_s;
    double total;     /* the whole ratio: forced path minus phone loop */
    int frames;       /* 10 ms frames the phrase spans */
    int phones;       /* phones in its first pronunciation */
    int found;        /* the forced search found a path at all */
} rv_phrase_score;

/* A decoder on the acoustic model in hmm_dir (NULL: Debian's en-us model),
 * pronouncing with lex (borrowed; must outlive the decoder). New *out
 * (rv_asr_free). Errors: RV_ERR_CONFIG when the model cannot be loaded. */
rv_err rv_asr_open(const char *hmm_dir, rv_lexicon *lex, rv_asr **out, rv_error *err);
void rv_asr_free(rv_asr *asr);

/* Take an utterance (any rate; resampled to 16 kHz) and score the phone loop
 * on it once. Replaces the previous utterance. */
rv_err rv_asr_set_audio(rv_asr *asr, const rv_pcm *pcm, rv_error *err);

/* The 16-bit 16 kHz signal the decoder hears for pcm (resampled, the band
 * above a telephone line filled with faint noise): for model adaptation,
 * which must see the same signal. New *out (free). */
rv_err rv_asr_prepare(const rv_pcm *pcm, int16_t **out, size_t *n, rv_error *err);

/* Score phrase (Swedish text) on the current utterance. */
rv_err rv_asr_verify(rv_asr *asr, const char *phrase, rv_phrase_score *out, rv_error *err);

/* Find the best of n phrases in one pass (a grammar with all of them as
 * alternatives): *best gets its index, out its score as rv_asr_verify would
 * give it (a second pass). With the other entries
 * of the same directory as the phrases, this is the competitor a verified
 * phrase must beat. n must be 1..64. */
rv_err rv_asr_best_of(rv_asr *asr, const char *const *phrases, size_t n, size_t *best,
                      rv_phrase_score *out, rv_error *err);

/* CPU seconds spent decoding since the decoder was opened (for benchmarks). */
double rv_asr_cpu_seconds(const rv_asr *asr);

#endif
