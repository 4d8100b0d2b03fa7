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
    double llr;       /* acoustic log-likelihood ratio per 10 ms frame of the
                       * phrase: its words on the best forced path against the
                       * free phone loop over the same frames, in PocketSphinx
                       * units (log base 1.0001); near 0: fits as well as anything */
    double word_min;  /* the same per frame of each word; the lowest of them */
    double start_s;   /* where the phrase fits best, in seconds from the start
                       * of the audio given (frames the decoder dropped as
                       * silence counted); -1 when not found */
    double end_s;
    double total;     /* the whole ratio over the phrase */
    int frames;       /* 10 ms frames the phrase's words span */
    int phones;       /* phones in its words' first pronunciations */
    int loop_phones;  /* phones the free loop's path puts in those frames */
    double loop_fpp;  /* frames per phone on the free loop's path over the
                       * whole utterance, silence left out: its speaking rate */
    int found;        /* the forced search found a path at all */
} rv_phrase_score;

/* A decoder on the acoustic model in hmm_dir (NULL: Debian's en-us model),
 * its means transformed by the MLLR matrix at mllr_path (NULL: none; see
 * tools/adapt-model.sh), pronouncing with lex (borrowed; must outlive the
 * decoder). New *out (rv_asr_free). Errors: RV_ERR_CONFIG when the model or
 * the matrix cannot be loaded. */
RV_MUST_USE rv_err rv_asr_open(const char *hmm_dir, const char *mllr_path, rv_lexicon *lex, rv_asr **out,
                               rv_error *err);

/* The MAP model that goes with the MLLR matrix at mllr_path (links
 * followed): a model directory of the same name with ".map" for ".mllr"
 * beside the file it names (rostvakt adapt writes adapt-N.map beside
 * adapt-N.mllr), holding mdef, means, variances, sendump and feat.params.
 * 1 and its path in out (cap bytes), or 0 and out empty. An rv_asr opened
 * with such a matrix scores telephone-band audio with that model and no
 * MLLR on top (the model's means are the MLLR's, moved further by MAP), and
 * wideband audio with hmm_dir's model, unadapted. */
int rv_asr_telephone_model(const char *mllr_path, char *out, size_t cap);
void rv_asr_free(rv_asr *asr);

/* Take an utterance (any rate; resampled to 16 kHz) and score the phone loop
 * on it once. Replaces the previous utterance. */
RV_MUST_USE rv_err rv_asr_set_audio(rv_asr *asr, const rv_pcm *pcm, rv_error *err);

/* The 16-bit 16 kHz signal the decoder hears for pcm (resampled, the band
 * above a telephone line filled with faint noise): for model adaptation,
 * which must see the same signal. New *out (free). */
RV_MUST_USE rv_err rv_asr_prepare(const rv_pcm *pcm, int16_t **out, size_t *n, rv_error *err);

/* 1 when pcm carries only the telephone band (8 kHz or less, or nothing
 * above 4.4 kHz): the recordings the channel adaptation is applied to. */
int rv_asr_telephone_band(const rv_pcm *pcm);

/* Score phrase (Swedish text) on the current utterance. */
RV_MUST_USE rv_err rv_asr_verify(rv_asr *asr, const char *phrase, rv_phrase_score *out, rv_error *err);

/* The most alternatives one search takes (rv_asr_best_of). */
#define RV_ASR_MAX_ALTS 64

/* Find the best of n phrases (1..RV_ASR_MAX_ALTS; alternatives of one
 * another) in one pass: *best gets its index, out its score as rv_asr_verify
 * would give it. RV_ERR_ARG for any other n. */
RV_MUST_USE rv_err rv_asr_best_of(rv_asr *asr, const char *const *phrases, size_t n, size_t *best,
                                  rv_phrase_score *out, rv_error *err);

/* rv_asr_best_of with the lexicon's map for vocab: RV_VOCAB_DIRECTORY for
 * the directory's names, units and organisations and a profile's phrases;
 * rv_asr_verify and rv_asr_best_of use RV_VOCAB_FIXED (rostvakt's own
 * phrases). */
RV_MUST_USE rv_err rv_asr_best_of_in(rv_asr *asr, rv_vocab vocab, const char *const *phrases, size_t n, size_t *best,
                                     rv_phrase_score *out, rv_error *err);

/* *sayable 1 when the lexicon can pronounce phrase with vocab's map (every
 * word has a pronunciation; rv_asr_best_of_in fails for a phrase it cannot
 * say), 0 when it cannot (no mapping for a phoneme, too many words, a word
 * too long). Errors: RV_ERR_NOMEM. */
RV_MUST_USE rv_err rv_asr_sayable(rv_asr *asr, rv_vocab vocab, const char *phrase, int *sayable, rv_error *err);

/* Align a phone network on the current utterance: n_pos positions in order
 * (1..96), position i one of the n_cands[i] ARPAbet phones cands[i] ("" lets
 * it be dropped), free phones before and after. choice[i] gets the index of
 * the candidate on the best path, -1 when none was found. For learning the
 * phone map (bench/learn_map.c). */
RV_MUST_USE rv_err rv_asr_align(rv_asr *asr, const char *const *const *cands, const size_t *n_cands, size_t n_pos,
                                int *choice, rv_error *err);

/* Let PocketSphinx compute the senone scores itself, as it did before
 * src/senone.c (restarts the decoder): for comparing the two. */
RV_MUST_USE rv_err rv_asr_use_pocketsphinx_scores(rv_asr *asr, rv_error *err);

/* Whether the decoder's senone scores are rostvakt's own (src/senone.c). */
int rv_asr_own_scores(const rv_asr *asr);

/* The senone scores of the current utterance (the log every pass reads):
 * *n_frames frames of *n_sen scores, new *out (free). RV_ERR_ARG when there
 * is none (no audio, or an utterance too long to keep its scores). */
RV_MUST_USE rv_err rv_asr_loop_scores(const rv_asr *asr, int16_t **out, size_t *n_frames, int *n_sen, rv_error *err);

/* Each senone's base phone (0..*n_phones-1; *n_sen entries, borrowed from
 * the decoder): for pooling the senone scores into phone posteriors.
 * RV_ERR_ARG when the scores are PocketSphinx's own (no model read here). */
RV_MUST_USE rv_err rv_asr_senone_phones(const rv_asr *asr, const unsigned char **out, int *n_sen, int *n_phones,
                                        rv_error *err);

/* Where frame f of the current utterance's senone scores lies, in seconds
 * from the start of its audio (the frames the front end dropped as silence
 * counted). */
double rv_asr_frame_time(const rv_asr *asr, int f);

/* CPU seconds spent decoding since the decoder was opened (for benchmarks). */
double rv_asr_cpu_seconds(const rv_asr *asr);

#endif
