/* An installation's own channel adaptation, learned from its greetings
 * (lightly supervised): the directory's text of each greeting whose name and
 * unit were stated confidently or confirmed by a review, aligned on its
 * audio, and one MLLR mean transform estimated on those stretches with
 * SphinxTrain's bw and mllr_solve (run as programs); with enough frames a
 * MAP model after it (map_adapt). Kept under the data
 * directory's models/ folder, numbered, with the one in use linked as
 * RV_ADAPTATION_FILE (config.h), so that an earlier one can be restored. */
#ifndef RV_ADAPT_H
#define RV_ADAPT_H

#include "rostvakt/asr.h"
#include "rostvakt/err.h"
#include "rostvakt/lexicon.h"
#include "rostvakt/store.h"

/* The aligned 10 ms frames before rostvakt adapt learns a MAP model after
 * its MLLR (its --map-min-frames; docs/verification.md says why this many). */
#define RV_ADAPT_MAP_MIN_FRAMES 16000

typedef struct {
    long greetings;      /* current greetings looked at */
    long used;           /* of them, aligned and used */
    long unconfirmed;    /* name or unit neither stated confidently nor confirmed */
    long refuted;        /* a review said the name, unit or organisation was not said */
    long wideband;       /* wideband recordings: not used (the adaptation is the telephone line's) */
    long telephone;      /* collecting wideband ones: the telephone-band recordings left out */
    long not_found;      /* the phrase found no path, or the audio could not be read */
    long utterances;     /* aligned stretches (one a phrase) */
    long frames;         /* their 10 ms frames */
} rv_adapt_counts;

/* Align the telephone-band current greetings of s that qualify (name and
 * unit stated confidently, or heard said by the latest review; none a review
 * said was not said) with asr, which must be open on the shipped model (it
 * is used, its audio replaced) and lex (the directory's map), and write
 * SphinxTrain's inputs into the existing folder work: ctl, lsn, dict and
 * raw/<id>.raw (the 16 kHz signal the decoder hears, cut to each phrase with
 * 0.2 s either side). max_audio_bytes caps each recording read. With
 * wideband set, the wideband greetings instead (for measuring a wideband
 * adaptation: bench/adapt-curve.sh). */
RV_MUST_USE rv_err rv_adapt_collect(rv_store *s, rv_asr *asr, rv_lexicon *lex, const char *work,
                                    long long max_audio_bytes,
                                    int wideband, rv_adapt_counts *c, rv_error *err);

/* Estimate the MLLR transform on work's inputs (rv_adapt_collect): features
 * (sphinx_fe), counts (bw, aligning under base_mllr, or the plain model when
 * NULL) and the matrix (mllr_solve), written to out (replaced whole, only
 * when complete and every number is finite). Logs stay in work. RV_ERR_CONFIG
 * when a program is missing (the sphinxtrain, sphinxbase-utils and
 * pocketsphinx packages), RV_ERR_INTERNAL when one fails (err names its log). */
RV_MUST_USE rv_err rv_adapt_estimate(const char *work, const char *base_mllr, const char *out, rv_error *err);

/* MAP after the MLLR (run rv_adapt_estimate on work first; its features,
 * model definition and mixture weights are used again): Debian's model with
 * its means moved by the matrix at mllr (mllr_transform), bw aligning work's
 * utterances on it, and map_adapt re-estimating means and variances with
 * those moved means as the prior. Writes a whole model directory out_dir
 * (Debian's model with means and variances replaced; replaced whole, only
 * when complete). Errors as rv_adapt_estimate's. */
RV_MUST_USE rv_err rv_adapt_estimate_map(const char *work, const char *mllr, const char *out_dir, rv_error *err);

/* Put the matrix at path in use as data_dir's adaptation number *number
 * (the next free one): copied to models/adapt-N.mllr with a manifest
 * models/adapt-N.txt (what it was learned from: c, and what was in use
 * before), and map_dir (NULL: none; rv_adapt_estimate_map's) copied to
 * models/adapt-N.map beside it (rv_asr_telephone_model), then linked as the
 * current one: the link names the matrix, and the MAP model goes with it,
 * so a rollback restores both. */
RV_MUST_USE rv_err rv_adapt_install(const char *data_dir, const char *path, const char *map_dir,
                                    const rv_adapt_counts *c,
                                    const char *now_iso, int *number, rv_error *err);

/* Restore what was in use before the current adaptation: the previous one,
 * or none (*number 0: the shipped adaptation applies again).
 * RV_ERR_NOT_FOUND when there is no adaptation in use. */
RV_MUST_USE rv_err rv_adapt_rollback(const char *data_dir, int *number, rv_error *err);

/* The number of the adaptation in use in data_dir, 0 when none. */
int rv_adapt_current(const char *data_dir);

/* Remove the folder work (made by the caller for rv_adapt_collect) and all
 * it holds. */
void rv_adapt_remove_work(const char *work);

/* Write the float mixture weights SphinxTrain's bw needs (SphinxTrain's
 * binary "s3" format) from a PocketSphinx PTM model's quantised `sendump`
 * of n_sen senones. RV_ERR_CONFIG for a sendump it cannot read. */
RV_MUST_USE rv_err rv_adapt_mixture_weights(const char *sendump, int n_sen, const char *out, rv_error *err);

#endif
