/* Damaged input of every kind must give RV_OK or a clear audio error, never a
 * crash, a hang or a leak (make asan runs this under ASan and UBSan). */
#include <criterion/criterion.h>

#include "helpers.h"
#include "rostvakt/analyze.h"

static int acceptable(rv_err rc)
{
    return rc == RV_OK || rc == RV_ERR_AUDIO_FORMAT || rc == RV_ERR_AUDIO_CORRUPT ||
           rc == RV_ERR_AUDIO_TRUNCATED || rc == RV_ERR_TOO_LONG;
}

static void torture(const char *name)
{
    rv_config cfg;
    rv_config_defaults(&cfg);
    cfg.max_audio_seconds = 60;
    rv_analyzer an = {&cfg, NULL};
    size_t len = 0;
    unsigned char *orig = slurp(fixture(name), &len);
    cr_assert_not_null(orig, "%s", name);
    unsigned char *b = malloc(len);
    unsigned seed = 12345;
    /* Every truncation point in the header, then coarser steps. */
    for (size_t cut = 0; cut < len; cut += cut < 128 ? 1 : len / 40 + 1) {
        rv_report r;
        rv_error e;
        rv_err rc = rv_analyze_bytes(&an, orig, cut, RV_AUDIO_AUTO, RV_KIND_GREETING, &r, &e);
        cr_expect(acceptable(rc), "%s cut at %zu: %s %s", name, cut, rv_err_slug(rc), e.msg);
        if (rc == RV_OK) rv_report_free(&r);
    }
    /* Random byte corruption, in the header and anywhere. */
    for (int round = 0; round < 60; round++) {
        memcpy(b, orig, len);
        for (int k = 0; k < 1 + round % 8; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = round % 2 ? (seed >> 4) % (len < 64 ? len : 64) : (seed >> 4) % len;
            b[pos] = (unsigned char)(seed >> 20);
        }
        rv_report r;
        rv_error e;
        rv_err rc = rv_analyze_bytes(&an, b, len, RV_AUDIO_AUTO, RV_KIND_GREETING, &r, &e);
        cr_expect(acceptable(rc), "%s round %d: %s %s", name, round, rv_err_slug(rc), e.msg);
        if (rc == RV_OK) rv_report_free(&r);
    }
    free(b);
    free(orig);
}

Test(robustness, damaged_wav_pcm) { torture("sine.wav"); }
Test(robustness, damaged_wav_ulaw) { torture("ulaw.wav"); }
Test(robustness, damaged_wav_gsm) { torture("gsm.wav"); }
Test(robustness, damaged_wav_adpcm) { torture("ima.wav"); torture("msadpcm.wav"); }
Test(robustness, damaged_flac) { torture("sine16k.flac"); }
Test(robustness, damaged_ogg) { torture("sine.ogg"); }
Test(robustness, damaged_au) { torture("sine.au"); }
