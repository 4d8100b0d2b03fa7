/* SphinxTrain's inputs from an archive's greetings, as rostvakt adapt
 * collects them (rv_adapt_collect, under the shipped telephone MLLR), kept
 * for measurements the command does not make: MAP after the installation's
 * MLLR, and a wideband adaptation (bench/adapt-curve.sh). Prints the counts.
 * Usage: adapt_collect DATA_DIR WORK [--wideband] (from the source tree;
 * WORK must not exist) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rostvakt/adapt.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: adapt_collect DATA_DIR WORK [--wideband]\n");
        return 64;
    }
    int wideband = argc > 3 && strcmp(argv[3], "--wideband") == 0;
    char raw[4200];
    snprintf(raw, sizeof raw, "%s/raw", argv[2]);
    if (mkdir(argv[2], 0700) != 0 || mkdir(raw, 0700) != 0) {
        fprintf(stderr, "adapt_collect: cannot make %s: %s\n", raw, strerror(errno));
        return 1;
    }
    rv_error e;
    rv_store *st = NULL;
    rv_lexicon *lex = NULL;
    rv_asr *asr = NULL;
    rv_adapt_counts c;
    int rc = 1;
    if (rv_store_connect("", 0, argv[1], &st, &e) != RV_OK || rv_lexicon_open_models("models", &lex, &e) != RV_OK ||
        rv_asr_open(NULL, "models/en-us-tel.mllr", lex, &asr, &e) != RV_OK ||
        rv_adapt_collect(st, asr, lex, argv[2], 20 << 20, wideband, &c, &e) != RV_OK)
        fprintf(stderr, "adapt_collect: %s\n", e.msg);
    else {
        printf("%ld current greetings: %ld used (%ld phrases, %ld frames); %ld unconfirmed, %ld refuted, %ld of "
               "the other band, %ld not aligned\n",
               c.greetings, c.used, c.utterances, c.frames, c.unconfirmed, c.refuted,
               wideband ? c.telephone : c.wideband, c.not_found);
        rc = 0;
    }
    rv_asr_free(asr);
    rv_lexicon_free(lex);
    rv_store_close(st);
    return rc;
}
