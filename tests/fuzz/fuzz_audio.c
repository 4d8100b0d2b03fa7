/* libFuzzer harness: decoding a recording from memory, as uploads are. The
 * first byte picks the hint (auto, raw mu-law, raw A-law); the rest is the
 * recording. Limits as the service's, smaller so that runs stay fast. */
#include <stdint.h>
#include <stdlib.h>

#include "rostvakt/audio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    rv_audio_hint hints[] = {RV_AUDIO_AUTO, RV_AUDIO_RAW_ULAW, RV_AUDIO_RAW_ALAW};
    rv_audio_hint hint = hints[data[0] % 3];
    rv_audio_limits lim = {1 << 20, 30};
    rv_pcm pcm;
    rv_error e;
    (void)rv_audio_is_quick(data + 1, size - 1, hint);
    if (rv_audio_check(data + 1, size - 1, hint, &lim, &e) == RV_OK &&
        rv_audio_decode(data + 1, size - 1, hint, &lim, &pcm, &e) == RV_OK)
        rv_pcm_free(&pcm);
    return 0;
}
