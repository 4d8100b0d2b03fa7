/* Swedish pronunciations for any word, at run time: espeak-ng's Swedish voice
 * gives the phonemes, models/sv-arpabet.map maps them onto the US English
 * phone set of the acoustic model, with variants. Owns libespeak-ng. */
#ifndef RV_LEXICON_H
#define RV_LEXICON_H

#include <stddef.h>

#include "rostvakt/err.h"

#define RV_PRON_MAX 160     /* bytes of one pronunciation, "AA N AH" */
#define RV_WORD_MAX 64      /* bytes of one normalised word */

typedef struct rv_lexicon rv_lexicon;

/* One word of a phrase and its pronunciations, most likely first. */
typedef struct {
    char word[RV_WORD_MAX];            /* lower-case, as written */
    char ipa[RV_PRON_MAX];             /* espeak-ng's phonemes, '_'-separated */
    size_t n_prons;
    char prons[8][RV_PRON_MAX];        /* space-separated ARPAbet phones */
} rv_word_pron;

/* Load the phone map at map_path. espeak-ng is initialised once per process.
 * New *out (rv_lexicon_free). Errors: RV_ERR_CONFIG naming the line of a bad
 * map, RV_ERR_IO, RV_ERR_INTERNAL when espeak-ng has no Swedish voice. */
rv_err rv_lexicon_open(const char *map_path, rv_lexicon **out, rv_error *err);
void rv_lexicon_free(rv_lexicon *lex);

/* Pronounce text (UTF-8, any case, spaces between words; hyphenated names and
 * compounds are single words) into up to max_words entries of out, each with up
 * to max_variants (1..8) pronunciations. *n_words gets the count. Errors:
 * RV_ERR_ARG (empty or too long text), RV_ERR_TOO_LARGE (more words than
 * max_words). Thread-safe (espeak-ng calls are serialised). */
rv_err rv_lexicon_pronounce(rv_lexicon *lex, const char *text, size_t max_variants,
                            rv_word_pron *out, size_t max_words, size_t *n_words,
                            rv_error *err);

#endif
