/* The owner's recorded name on posteriorgrams (src/postgram.c): a word one
 * voice said alone is found in a prompt where the same voice says it among
 * other words, and not in one where it does not, at the configured distance;
 * bad input is refused. The recordings are Debian's Asterisk prompts (make
 * deps installs them; they are not copied here). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "rostvakt/config.h"
#include "rostvakt/postgram.h"

#define ALLISON "/usr/share/asterisk/sounds/en_US_f_Allison/"

static rv_pcm load(const char *path)
{
    rv_pcm p;
    rv_error e;
    rv_audio_limits lim = {1 << 24, 60};
    cr_assert_eq(rv_audio_decode_file(path, rv_audio_hint_for_path(path), &lim, &p, &e), RV_OK, "%s: %s", path,
                 e.msg);
    return p;
}

/* The recorded name's fit in the greeting at path. */
static rv_err fit(rv_asr *asr, const rv_features *name, const char *path, double *dist, double *at_s, rv_error *e)
{
    rv_pcm g = load(path);
    cr_assert_eq(rv_asr_set_audio(asr, &g, e), RV_OK, "%s", e->msg);
    rv_err rc = rv_postgram_find(asr, name, 0.25, dist, at_s, e);
    rv_pcm_free(&g);
    return rc;
}

/* In the asr suite, as tests/unit/senone_test.c says why. */
Test(asr, a_recorded_word_is_found_where_the_same_voice_says_it) {
    rv_error e;
    rv_config cfg;
    rv_config_defaults(&cfg);
    rv_lexicon *lex;
    rv_asr *asr;
    cr_assert_eq(rv_lexicon_open_models("models", &lex, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_asr_open(NULL, "models/en-us-tel.mllr", lex, &asr, &e), RV_OK, "%s", e.msg);
    rv_pcm word = load(ALLISON "vm-password.wav"); /* "Password." */
    rv_features name;
    cr_assert_eq(rv_features_of(&word, &name, &e), RV_OK, "%s", e.msg);
    double max = cfg.name_template_max_posterior_distance, said, other, at, at_other;
    /* "Please enter your password followed by the pound key." */
    cr_assert_eq(fit(asr, &name, ALLISON "agent-pass.wav", &said, &at, &e), RV_OK, "%s", e.msg);
    cr_expect_leq(said, max, "said: a fit of %.2f, the threshold %.2f", said, max);
    cr_expect(at >= 0.25 + 0.4 && at <= 0.25 + 1.6, "found at %.2f s (the greeting starts at 0.25 s)", at);
    /* "All circuits are busy now." */
    cr_assert_eq(fit(asr, &name, ALLISON "all-circuits-busy-now.wav", &other, &at_other, &e), RV_OK, "%s", e.msg);
    cr_expect_gt(other, max, "not said: a fit of %.2f, the threshold %.2f", other, max);

    /* bad input: no recording, a greeting shorter than half the word, another
     * model's posteriors, a decoder without senone scores of its own */
    rv_features none = {0};
    cr_expect_eq(fit(asr, &none, ALLISON "agent-pass.wav", &other, &at, &e), RV_ERR_ARG);
    uint16_t id[3 * RV_POSTGRAM_TOPN] = {0};
    float p[3 * RV_POSTGRAM_TOPN] = {1};
    double t[3] = {0, 0.01, 0.02};
    rv_postgram three = {id, p, t, 3, 5126}, one = {id, p, t, 1, 5126}, other_model = {id, p, t, 3, 100};
    cr_expect_eq(rv_postgram_match(&three, &one, &other, &at, &e), RV_ERR_ARG, "a greeting shorter than half");
    cr_expect_eq(rv_postgram_match(&three, &other_model, &other, &at, &e), RV_ERR_ARG, "another model's");
    cr_expect_eq(rv_postgram_match(&one, &three, &other, &at, &e), RV_OK, "%s", e.msg);
    rv_postgram g;
    cr_assert_eq(rv_asr_use_pocketsphinx_scores(asr, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_asr_set_audio(asr, &word, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_postgram_of(asr, 0, -1, 0, &g, &e), RV_ERR_ARG, "PocketSphinx's own scores are not kept");
    cr_expect_eq(g.n, 0);
    rv_features_free(&name);
    rv_pcm_free(&word);
    rv_asr_free(asr);
    rv_lexicon_free(lex);
}
