/* asr_prep IN OUT.raw ...: writes, for each audio file, the 16 kHz 16-bit
 * little-endian signal rostvakt's decoder hears (rv_asr_prepare), so that the
 * channel adaptation in tools/adapt-model.sh sees exactly the same signal. */
#include <stdio.h>
#include <stdlib.h>

#include "rostvakt/asr.h"
#include "rostvakt/audio.h"

int main(int argc, char **argv)
{
    if (argc < 3 || argc % 2 == 0) {
        fprintf(stderr, "usage: asr_prep IN OUT.raw [IN OUT.raw ...]\n");
        return 64;
    }
    rv_audio_limits lim = {64 << 20, 3600};
    for (int i = 1; i + 1 < argc; i += 2) {
        rv_pcm p;
        rv_error e;
        int16_t *s;
        size_t n;
        if (rv_audio_decode_file(argv[i], RV_AUDIO_AUTO, &lim, &p, &e) != RV_OK ||
            rv_asr_prepare(&p, &s, &n, &e) != RV_OK) {
            fprintf(stderr, "%s: %s\n", argv[i], e.msg);
            return 1;
        }
        rv_pcm_free(&p);
        FILE *f = fopen(argv[i + 1], "wb");
        if (!f || fwrite(s, sizeof *s, n, f) != n || fclose(f) != 0) {
            perror(argv[i + 1]);
            return 1;
        }
        free(s);
    }
    return 0;
}
