/* System-prompt fingerprints: real Asterisk prompts found through coding,
 * level change, noise and embedding; other speech from the same voice not. */
#include <criterion/criterion.h>
#include <glob.h>

#include "helpers.h"
#include "rostvakt/fingerprint.h"

static const rv_audio_limits lim = {20 * 1024 * 1024, 600};
static rv_fpdb *db;

static void load(void)
{
    db = rv_fpdb_new();
    cr_assert_not_null(db);
    rv_fp_load_report rep;
    rv_error e;
    char spec[2048];
    /* A directory (every file in it) and a glob that matches nothing. */
    snprintf(spec, sizeof spec, "%s:%s", fixture("refs"), fixture("nothing-*.wav"));
    cr_assert_eq(rv_fpdb_load(db, spec, &lim, 0.5, &rep, &e), RV_OK);
    cr_assert_eq(rep.loaded, 3, "loaded %zu", rep.loaded);
    /* refs/broken.wav is zero bytes: too short, so silently not a reference. */
    cr_expect_eq(rep.skipped, 0);
    cr_expect_eq(rv_fpdb_count(db), 3);
}

static void unload(void) { rv_fpdb_free(db); }

static rv_fp_match query(const char *name)
{
    rv_pcm p;
    rv_error e;
    cr_assert_eq(rv_audio_decode_file(fixture(name), RV_AUDIO_AUTO, &lim, &p, &e), RV_OK, "%s", e.msg);
    rv_fp_match m;
    cr_assert_eq(rv_fpdb_match(db, &p, 120, 0.12, 12, &m, &e), RV_OK);
    rv_pcm_free(&p);
    return m;
}

TestSuite(fingerprint, .init = load, .fini = unload);

Test(fingerprint, finds_a_prompt_through_coding_level_and_noise) {
    const char *q[] = {"fp-ulaw.wav", "fp-gsm.wav", "fp-quiet.wav", "fp-noisy.wav"};
    for (size_t i = 0; i < 4; i++) {
        rv_fp_match m = query(q[i]);
        cr_expect_str_eq(m.name, "vm-intro.wav", "%s matched '%s' (%.3f)", q[i], m.name, m.score);
        cr_expect(m.score > 0.2, "%s: %.3f", q[i], m.score);
        cr_expect(m.at_s < 0.1, "%s at %.2f", q[i], m.at_s);
    }
}

Test(fingerprint, finds_a_prompt_inside_a_longer_recording) {
    rv_fp_match m = query("fp-contains.wav");
    cr_assert(m.name[0] != '\0');
    /* vm-theperson starts after 2 s of padding. */
    cr_expect_str_eq(m.name, "vm-theperson.wav");
    cr_expect(fabs(m.at_s - 2.0) < 0.05, "at %.2f", m.at_s);
}

Test(fingerprint, other_speech_of_the_same_voice_is_not_a_prompt) {
    rv_fp_match m = query("fp-other.wav");
    cr_expect_str_eq(m.name, "");
    cr_expect(m.score < 0.06, "%.3f", m.score);
    m = query("fpnoise.wav");
    cr_expect_str_eq(m.name, "");
    m = query("sine.wav");
    cr_expect_str_eq(m.name, "");
}

Test(fingerprint, thresholds_decide) {
    rv_pcm p;
    rv_error e;
    cr_assert_eq(rv_audio_decode_file(fixture("fp-ulaw.wav"), RV_AUDIO_AUTO, &lim, &p, &e), RV_OK);
    rv_fp_match m;
    cr_assert_eq(rv_fpdb_match(db, &p, 120, 1.01, 12, &m, &e), RV_OK);
    cr_expect_str_eq(m.name, "", "a score above 1 can never be reached");
    cr_expect(m.score > 0.2, "the best score is still reported");
    /* Searching only the first 0.5 s finds too little. */
    cr_assert_eq(rv_fpdb_match(db, &p, 0.5, 0.12, 12, &m, &e), RV_OK);
    cr_expect_str_eq(m.name, "");
    rv_pcm_free(&p);
}

Test(fingerprint, empty_database_and_empty_audio) {
    rv_fpdb *empty = rv_fpdb_new();
    rv_pcm p = pcm_alloc(8000, 1);
    rv_fp_match m;
    rv_error e;
    cr_expect_eq(rv_fpdb_match(empty, &p, 120, 0.12, 12, &m, &e), RV_OK);
    cr_expect_str_eq(m.name, "");
    rv_pcm none = {0};
    cr_expect_eq(rv_fpdb_match(db, &none, 120, 0.12, 12, &m, &e), RV_OK);
    cr_expect_str_eq(m.name, "");
    rv_fpdb_free(empty);
    rv_fpdb_free(NULL);
    rv_pcm_free(&p);
}

Test(fingerprint, undecodable_reference_is_counted_not_fatal) {
    rv_fpdb *d = rv_fpdb_new();
    rv_fp_load_report rep;
    rv_error e;
    char spec[2048];
    snprintf(spec, sizeof spec, "%s:%s", fixture("random.bin"), fixture("sine.wav"));
    cr_assert_eq(rv_fpdb_load(d, spec, &lim, 0.5, &rep, &e), RV_OK);
    cr_expect_eq(rep.loaded, 1);
    cr_expect_eq(rep.skipped, 1);
    cr_expect(strstr(rep.first_problem, "random.bin") != NULL, "%s", rep.first_problem);
    rv_fpdb_free(d);
}
