/* Template matching: a stretch of a recording is found where it was said,
 * and fits there better than a stretch of another voice's recording. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "rostvakt/template.h"

static rv_pcm load(const char *path)
{
    rv_pcm p;
    rv_error e;
    rv_audio_limits lim = {1 << 26, 600};
    cr_assert_eq(rv_audio_decode_file(path, rv_audio_hint_for_path(path), &lim, &p, &e), RV_OK, "%s", e.msg);
    return p;
}

/* Seconds [from, to) of p as a recording of its own. */
static rv_pcm cut(const rv_pcm *p, double from, double to)
{
    rv_pcm c = *p;
    size_t a = (size_t)(from * p->rate), b = (size_t)(to * p->rate);
    c.n = b - a;
    c.samples = malloc(c.n * sizeof *c.samples);
    cr_assert_not_null(c.samples);
    memcpy(c.samples, p->samples + a, c.n * sizeof *c.samples);
    return c;
}

Test(template, a_stretch_is_found_where_it_was_said) {
    rv_pcm anna = load("samples/g01-anna-svensson.wav"), per = load("samples/g02-per-oskarsson.wav");
    rv_pcm said = cut(&anna, 1.2, 2.4), other = cut(&per, 1.2, 2.4);
    rv_features fa, fs, fo;
    rv_error e;
    cr_assert_eq(rv_features_of(&anna, &fa, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_features_of(&said, &fs, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_features_of(&other, &fo, &e), RV_OK, "%s", e.msg);
    double d_said, at_said, d_other, at_other;
    cr_assert_eq(rv_template_match(&fs, &fa, &d_said, &at_said, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_template_match(&fo, &fa, &d_other, &at_other, &e), RV_OK, "%s", e.msg);
    cr_expect(at_said > 1.0 && at_said < 1.6, "found at %.2f s, cut at 1.2 s", at_said);
    cr_expect_lt(d_said, d_other, "its own stretch fits better (%.2f) than another voice's (%.2f)", d_said, d_other);
    /* bad input: nothing to match, and a template longer than twice the greeting */
    rv_pcm silence = anna;
    silence.n = 800;
    silence.samples = calloc(silence.n, sizeof *silence.samples);
    rv_features fz;
    cr_expect_eq(rv_features_of(&silence, &fz, &e), RV_ERR_ARG, "digital silence has nothing to match");
    cr_expect_eq(rv_template_match(&fa, &fs, &d_said, &at_said, &e), RV_ERR_ARG);
    free(silence.samples);
    rv_features_free(&fa);
    rv_features_free(&fs);
    rv_features_free(&fo);
    rv_pcm_free(&anna);
    rv_pcm_free(&per);
    rv_pcm_free(&said);
    rv_pcm_free(&other);
}
