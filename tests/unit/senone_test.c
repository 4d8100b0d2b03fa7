/* rostvakt's senone scorer (src/senone.c) against PocketSphinx's own: the
 * same scores, integer for integer, on the shipped samples in a row
 * (telephone and wideband, so the channel adaptation goes on and off), and
 * clear errors for model files it cannot use. */
#include <criterion/criterion.h>
#include <unistd.h>

#include "helpers.h"
#include "rostvakt/asr.h"
#include "rostvakt/senone.h"

#define HMM "/usr/share/pocketsphinx/model/en-us/en-us"

static const char *const recordings[] = {
    "samples/g01-anna-svensson.wav", "samples/g07-lena-ek.wav", NULL /* the wideband fixture */,
    "samples/g04-sjoberg.wav",       "samples/g09-nystrom-noisy.wav", "samples/m10-just-hej.wav",
    "samples/g08-bergstrom-beep.wav",
};

/* These tests belong to the asr suite (tests/unit/asr_test.c; its set-up
 * opens a decoder they do not use) and take its timeout: in a suite of their
 * own with a timeout, or with a .timeout of their own, Criterion 2.4's runner
 * leaked 48 bytes under make asan (in every run; without, in none of three). */

Test(asr, senone_scores_equal_pocketsphinxs_own) {
    rv_error e;
    rv_lexicon *lex;
    rv_asr *own, *ps;
    cr_assert_eq(rv_lexicon_open_models("models", &lex, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_asr_open(NULL, "models/en-us-tel.mllr", lex, &own, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_asr_open(NULL, "models/en-us-tel.mllr", lex, &ps, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_asr_use_pocketsphinx_scores(ps, &e), RV_OK, "%s", e.msg);
    cr_assert(rv_asr_own_scores(own), "Debian's en-us model is phonetically tied: rostvakt scores it");
    cr_assert_not(rv_asr_own_scores(ps));
    rv_audio_limits lim = {1 << 24, 60};
    size_t n_rec = sizeof recordings / sizeof *recordings;
    for (size_t r = 0; r < n_rec; r++) {
        const char *path = recordings[r] ? recordings[r] : fixture("asr-anna.wav");
        rv_pcm p;
        cr_assert_eq(rv_audio_decode_file(path, RV_AUDIO_AUTO, &lim, &p, &e), RV_OK, "%s: %s", path, e.msg);
        cr_assert_eq(rv_asr_set_audio(own, &p, &e), RV_OK, "%s", e.msg);
        cr_assert_eq(rv_asr_set_audio(ps, &p, &e), RV_OK, "%s", e.msg);
        int16_t *a, *b;
        size_t na, nb;
        int ka, kb;
        cr_assert_eq(rv_asr_loop_scores(own, &a, &na, &ka, &e), RV_OK, "%s: %s", path, e.msg);
        cr_assert_eq(rv_asr_loop_scores(ps, &b, &nb, &kb, &e), RV_OK, "%s: %s", path, e.msg);
        cr_assert_eq(na, nb, "%s: %zu frames against %zu", path, na, nb);
        cr_assert_eq(ka, kb);
        cr_assert_gt(na, 50, "%s: %zu frames", path, na);
        size_t differ = 0;
        for (size_t i = 0; i < na * (size_t)ka; i++) differ += a[i] != b[i];
        cr_expect_eq(differ, 0, "%s (rate %d): %zu of %zu scores differ", path, p.rate, differ, na * (size_t)ka);
        rv_phrase_score x, y;
        cr_assert_eq(rv_asr_verify(own, "du har kommit till", &x, &e), RV_OK, "%s", e.msg);
        cr_assert_eq(rv_asr_verify(ps, "du har kommit till", &y, &e), RV_OK, "%s", e.msg);
        cr_expect_eq(x.llr, y.llr, "%s: %.3f against %.3f", path, x.llr, y.llr);
        cr_expect_eq(x.start_s, y.start_s);
        free(a);
        free(b);
        rv_pcm_free(&p);
    }
    rv_asr_free(own);
    rv_asr_free(ps);
    rv_lexicon_free(lex);
}

Test(asr, senone_refuses_model_files_it_cannot_use) {
    rv_error e;
    rv_senone *s = NULL;
    rv_senone_model m = {HMM "/mdef", HMM "/means", HMM "/variances", HMM "/sendump", 0.0001, 1.0001, 4};
    cr_assert_eq(rv_senone_open(&m, &s, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_senone_count(s), 5126);
    cr_expect_eq(rv_senone_adapt(s, "no/such.mllr", &e), RV_ERR_CONFIG);
    char junk[] = "/tmp/rostvakt-senone-XXXXXX";
    int fd = mkstemp(junk);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, "2\n3\n13\n1 2 3\n", 13), 13);
    close(fd);
    cr_expect_eq(rv_senone_adapt(s, junk, &e), RV_ERR_CONFIG, "two classes are refused");
    cr_expect(strstr(e.msg, junk) != NULL, "%s", e.msg);
    cr_expect_eq(rv_senone_adapt(s, "models/en-us-tel.mllr", &e), RV_OK, "%s", e.msg);
    rv_senone_free(s);

    rv_senone_model swapped = m;
    swapped.mean = HMM "/sendump"; /* not a parameter file */
    cr_expect_eq(rv_senone_open(&swapped, &s, &e), RV_ERR_CONFIG);
    cr_expect_null(s);
    swapped = m;
    swapped.mdef = junk; /* not a model definition */
    cr_expect_eq(rv_senone_open(&swapped, &s, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, junk) != NULL, "%s", e.msg);
    swapped = m;
    swapped.sendump = NULL; /* a continuous model has none */
    cr_expect_eq(rv_senone_open(&swapped, &s, &e), RV_ERR_CONFIG);
    swapped = m;
    swapped.topn = 0;
    cr_expect_eq(rv_senone_open(&swapped, &s, &e), RV_ERR_CONFIG);
    /* a truncated sendump */
    FILE *in = fopen(HMM "/sendump", "rb"), *out = fopen(junk, "wb");
    cr_assert(in && out);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, in);
    fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
    swapped = m;
    swapped.sendump = junk;
    cr_expect_eq(rv_senone_open(&swapped, &s, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "truncated") != NULL, "%s", e.msg);
    unlink(junk);
}
