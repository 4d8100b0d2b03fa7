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
RV_MUST_USE rv_err rv_lexicon_open(const char *map_path, rv_lexicon **out, rv_error *err);
/* The same with another of espeak-ng's voices ("es-419", "fr"; rv_lexicon_open
 * is "sv") and a phone map for it: what the bench measures the method with
 * in other languages. Errors as rv_lexicon_open's (no such voice: RV_ERR_INTERNAL). */
RV_MUST_USE rv_err rv_lexicon_open_voice(const char *map_path, const char *voice, rv_lexicon **out, rv_error *err);
void rv_lexicon_free(rv_lexicon *lex);

/* Which map pronounces a phrase. Fixed: rostvakt's own phrases (closing
 * prompts, absence cues, dates), through the hand-written map, with which
 * their thresholds were chosen. Directory: the names, units and
 * organisations of the directory, a profile's phrases and the case words of
 * voicemails, through the map learned for directory entries
 * (models/sv-arpabet-directory.map, bench/learn_map). */
typedef enum { RV_VOCAB_FIXED = 0, RV_VOCAB_DIRECTORY = 1 } rv_vocab;

/* Pronounce directory entries with the map at path instead of the one
 * rv_lexicon_open loaded (which both use until then). Call before the
 * lexicon is shared. Errors as rv_lexicon_open's. */
RV_MUST_USE rv_err rv_lexicon_load_directory_map(rv_lexicon *lex, const char *path, rv_error *err);

/* The two maps of a models directory, as the service, analyze and the sweep
 * use them: RV_FIXED_MAP, and RV_DIRECTORY_MAP for directory entries. */
#define RV_FIXED_MAP "sv-arpabet.map"
#define RV_DIRECTORY_MAP "sv-arpabet-directory.map"
RV_MUST_USE rv_err rv_lexicon_open_models(const char *models_dir, rv_lexicon **out, rv_error *err);

/* Pronounce text (UTF-8, any case, spaces between words; hyphenated names and
 * compounds are single words) into up to max_words entries of out, each with up
 * to max_variants (1..8) pronunciations. *n_words gets the count. Errors:
 * RV_ERR_ARG (empty or too long text), RV_ERR_TOO_LARGE (more words than
 * max_words). Thread-safe (espeak-ng calls are serialised). */
RV_MUST_USE rv_err rv_lexicon_pronounce(rv_lexicon *lex, const char *text, size_t max_variants,
                                        rv_word_pron *out, size_t max_words, size_t *n_words,
                                        rv_error *err);

/* The same with the map of vocab (rv_lexicon_pronounce: RV_VOCAB_FIXED). */
RV_MUST_USE rv_err rv_lexicon_pronounce_in(rv_lexicon *lex, rv_vocab vocab, const char *text, size_t max_variants,
                                           rv_word_pron *out, size_t max_words, size_t *n_words, rv_error *err);

/* One phoneme of a phrase: espeak-ng's token as the phone map names it, the
 * word of the phrase it belongs to, and the map's phones for it ("" means
 * dropped), most likely first. */
typedef struct {
    char token[16];
    int word;
    size_t n_alts;
    char alts[4][24];
} rv_phoneme;

/* The phonemes of text, in order, into up to max entries of out (*n of
 * them), with the fixed map's phones: what a phone map is applied to
 * (bench/learn_map). */
RV_MUST_USE rv_err rv_lexicon_phonemes(rv_lexicon *lex, const char *text, rv_phoneme *out, size_t max, size_t *n,
                                       rv_error *err);

#endif
