/* Senone scores of a PocketSphinx phonetically tied (PTM) acoustic model,
 * computed here rather than by PocketSphinx, and written as PocketSphinx's
 * own senone log (-senlogdir), which its searches read back with
 * ps_decode_senscr. The scores are PocketSphinx 0.8's, integer for integer
 * (tests/unit/senone_test.c compares them on the samples): the same
 * Gaussians, top-N codewords, normalisations and 8-bit log additions. Only
 * the order of work differs: every density of a codebook is measured at once
 * over a vector of densities, where PocketSphinx measures them one by one
 * and stops early. PocketSphinx's own scoring was about half of a greeting's
 * CPU time (docs/verification.md).
 *
 * One rv_senone belongs to one decoder (it keeps the previous frame's
 * top-N codewords); it is not thread-safe. */
#ifndef RV_SENONE_H
#define RV_SENONE_H

#include <stdio.h>

#include "rostvakt/err.h"

typedef struct rv_senone rv_senone;

/* The model files of a decoder: what PocketSphinx's configuration holds
 * after ps_init (-mdef, -mean, -var, -sendump, -varfloor, -topn, -logbase). */
typedef struct {
    const char *mdef, *mean, *var, *sendump;
    double varfloor, logbase;
    int topn;
} rv_senone_model;

/* Load m. Errors: RV_ERR_CONFIG when a file is missing or malformed, or the
 * model is not phonetically tied (one codebook per base phone, a sendump),
 * which is the only kind this scores; RV_ERR_NOMEM. New *out. */
RV_MUST_USE rv_err rv_senone_open(const rv_senone_model *m, rv_senone **out, rv_error *err);
void rv_senone_free(rv_senone *s);

/* Transform the means and variances by the MLLR matrix at path, as
 * ps_update_mllr does; NULL restores the model's own. RV_ERR_CONFIG when
 * the file is not such a matrix. */
RV_MUST_USE rv_err rv_senone_adapt(rv_senone *s, const char *path, rv_error *err);

/* Number of senones (for the log's frames). */
int rv_senone_count(const rv_senone *s);

/* Each senone's base phone (its codebook), rv_senone_count entries of
 * 0..*n_phones-1; borrowed from s. */
const unsigned char *rv_senone_phones(const rv_senone *s, int *n_phones);

/* Begin an utterance's log in out (its header), then score n_frames feature
 * frames, feat[t][stream] as sphinxbase's feat_s2mfc2feat_live makes them,
 * appending one frame of scores each. RV_ERR_IO on a write error. */
RV_MUST_USE rv_err rv_senone_write(rv_senone *s, float ***feat, int n_frames, FILE *out, rv_error *err);

#endif
