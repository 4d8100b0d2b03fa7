/* The decoder pool: PocketSphinx decoders (about 50 MB each) shared by the
 * greeting, sweep and analysis threads, at most a set number at once,
 * made when first needed. Not installed; any thread. */
#ifndef RV_DECODERS_H
#define RV_DECODERS_H

#include "rostvakt/asr.h"
#include "rostvakt/err.h"
#include "rostvakt/lexicon.h"

typedef struct rv_decoders rv_decoders;

/* A pool of at most max decoders with the adaptation at mllr (copied; NULL
 * for none) and lex (borrowed while the pool lives); new *out
 * (rv_decoders_free). */
RV_MUST_USE rv_err rv_decoders_new(unsigned max, const char *mllr, rv_lexicon *lex, rv_decoders **out, rv_error *err);
/* Free the pool and its idle decoders (every one taken must be given back
 * first). NULL is fine. */
void rv_decoders_free(rv_decoders *p);
/* How many decoders there may be at once. */
unsigned rv_decoders_max(const rv_decoders *p);
/* An idle decoder, a new one while fewer than max exist, else wait for
 * one. NULL (err set) when none can be made. Give it back. */
rv_asr *rv_decoders_take(rv_decoders *p, rv_error *err);
void rv_decoders_give(rv_decoders *p, rv_asr *a);

#endif
