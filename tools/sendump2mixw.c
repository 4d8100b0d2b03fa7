/* sendump2mixw SENDUMP N_SEN OUT: writes the mixture weights of a PocketSphinx
 * PTM model, which Debian ships only quantised in `sendump`, as the float
 * `mixture_weights` file SphinxTrain's bw needs (rv_adapt_mixture_weights). */
#include <stdio.h>
#include <stdlib.h>

#include "rostvakt/adapt.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: sendump2mixw SENDUMP N_SENONES OUT\n");
        return 64;
    }
    rv_error e;
    if (rv_adapt_mixture_weights(argv[1], atoi(argv[2]), argv[3], &e) != RV_OK) {
        fprintf(stderr, "sendump2mixw: %s\n", e.msg);
        return 1;
    }
    return 0;
}
