/* Phrase verification on clean synthetic Swedish: the right phrase fits
 * where it was said and better than another directory entry. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <math.h>

#include "helpers.h"
#include "rostvakt/asr.h"

static rv_lexicon *lex;
static rv_asr *asr;

static void setup(void)
{
    rv_error e;
    cr_assert_eq(rv_lexicon_open_models("models", &lex, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_asr_open(NULL, "models/en-us-tel.mllr", lex, &asr, &e), RV_OK, "%s", e.msg);
    rv_audio_limits lim = {1 << 24, 60};
    rv_pcm p;
    cr_assert_eq(rv_audio_decode_file(fixture("asr-anna.wav"), RV_AUDIO_AUTO, &lim, &p, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_asr_set_audio(asr, &p, &e), RV_OK, "%s", e.msg);
    rv_pcm_free(&p);
}

static void teardown(void)
{
    rv_asr_free(asr);
    rv_lexicon_free(lex);
}

TestSuite(asr, .init = setup, .fini = teardown, .timeout = 60);

static rv_phrase_score verify(const char *phrase)
{
    rv_phrase_score s;
    rv_error e;
    cr_assert_eq(rv_asr_verify(asr, phrase, &s, &e), RV_OK, "%s: %s", phrase, e.msg);
    return s;
}

Test(asr, the_name_is_found_where_it_was_said) {
    rv_phrase_score s = verify("Anna Svensson");
    cr_assert(s.found);
    /* "Hej, du har kommit till" takes about 1.3 s. */
    cr_expect(s.start_s > 0.8 && s.start_s < 1.8, "start %.2f", s.start_s);
    cr_expect(s.end_s > 1.6 && s.end_s < 2.6, "end %.2f", s.end_s);
    cr_expect(s.phones >= 8);
}

Test(asr, the_right_entry_fits_better_than_another) {
    rv_phrase_score right = verify("Anna Svensson"), other = verify("Maria Lindqvist");
    cr_expect(right.llr > other.llr, "%.1f vs %.1f", right.llr, other.llr);
    rv_phrase_score unit = verify("ekonomienheten"), ounit = verify("socialförvaltningen");
    cr_expect(unit.llr > ounit.llr, "%.1f vs %.1f", unit.llr, ounit.llr);
    cr_expect(unit.start_s > right.start_s, "the unit comes after the name");
}

Test(asr, a_phrase_asked_twice_scores_the_same) {
    rv_phrase_score a = verify("Anna Svensson"), b = verify("Anna Svensson");
    cr_expect_eq(a.llr, b.llr);
}

Test(asr, no_audio_states_nothing) {
    rv_pcm none = {0};
    none.rate = 8000;
    rv_error e;
    cr_assert_eq(rv_asr_set_audio(asr, &none, &e), RV_OK);
    rv_phrase_score s = verify("Anna Svensson");
    cr_expect_not(s.found);
}

Test(asr, best_of_a_directory_picks_the_spoken_name) {
    const char *names[] = {"Maria Lindqvist", "Anna Svensson", "Per Oskarsson", "Göran Sjöberg"};
    size_t best = 99;
    rv_phrase_score s;
    rv_error e;
    cr_assert_eq(rv_asr_best_of(asr, names, 4, &best, &s, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(best, 1, "picked %s", best < 4 ? names[best] : "?");
    cr_expect(s.found);
    cr_expect_eq(rv_asr_best_of(asr, names, 0, &best, &s, &e), RV_ERR_ARG);
}

Test(asr, best_of_scores_the_winner_as_verify_does) {
    const char *c[] = {"ring växeln", "så ringer jag upp", "lämna ett meddelande"};
    size_t best;
    rv_phrase_score s, alone;
    rv_error e;
    cr_assert_eq(rv_asr_best_of(asr, c, 3, &best, &s, &e), RV_OK);
    cr_assert_eq(rv_asr_verify(asr, c[best], &alone, &e), RV_OK);
    cr_expect_eq(s.llr, alone.llr, "regression: alternatives changed the winner's score");
    cr_expect_eq(s.phones, alone.phones);
}

/* Alternatives share their grammar's words at both ends ("... Svensson"),
 * and one may begin another: the spoken one still wins, scored as alone. */
Test(asr, alternatives_that_end_or_begin_alike_keep_their_scores) {
    const char *names[] = {"Maria Svensson", "Anna Svensson", "Per Svensson", "Anna Lindqvist"};
    size_t best = 99;
    rv_phrase_score s, alone;
    rv_error e;
    cr_assert_eq(rv_asr_best_of(asr, names, 4, &best, &s, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(best, 1, "picked %s", best < 4 ? names[best] : "?");
    cr_assert_eq(rv_asr_verify(asr, names[1], &alone, &e), RV_OK);
    cr_expect_eq(s.llr, alone.llr, "the shared last name changed the winner's score");
    const char *nested[] = {"Anna", "Anna Svensson", "Anna Svensson på"};
    cr_assert_eq(rv_asr_best_of(asr, nested, 3, &best, &s, &e), RV_OK, "%s", e.msg);
    cr_assert(best < 3 && s.found);
    cr_assert_eq(rv_asr_verify(asr, nested[best], &alone, &e), RV_OK);
    cr_expect_eq(s.llr, alone.llr, "%s: scored %.3f among the others, %.3f alone", nested[best], s.llr, alone.llr);
}

/* PocketSphinx cannot forget a word: a decoder that has been asked about more
 * distinct words than its dictionary holds (a service or a sweep that has
 * seen thousands of names) must start afresh instead of failing, and score
 * as a new one does. */
Test(asr, a_decoder_that_has_seen_thousands_of_words_keeps_verifying) {
    rv_phrase_score before = verify("Anna Svensson");
    rv_audio_limits lim = {1 << 24, 60};
    rv_pcm p;
    rv_error e;
    cr_assert_eq(rv_audio_decode_file(fixture("asr-anna.wav"), RV_AUDIO_AUTO, &lim, &p, &e), RV_OK, "%s", e.msg);
    static const char *const syl[] = {"ba", "de", "fi", "go", "hu", "ka", "le", "mi", "no", "pu",
                                      "ra", "se", "ti", "vo", "lu", "sa", "ne", "ri", "to", "ku"};
    static char text[64][128];
    const char *phrases[64];
    unsigned next = 0;
    for (int round = 0; round < 20; round++) { /* 20 x 64 x 8 = 10 240 new words */
        for (int k = 0; k < 64; k++) {
            size_t at = 0;
            for (int w = 0; w < 8; w++, next++)
                at += (size_t)snprintf(text[k] + at, sizeof text[k] - at, "%s%s%s%s%s", w ? " " : "",
                                       syl[next % 20], syl[next / 20 % 20], syl[next / 400 % 20],
                                       syl[next / 8000 % 20]);
            phrases[k] = text[k];
        }
        cr_assert_eq(rv_asr_set_audio(asr, &p, &e), RV_OK, "round %d: %s", round, e.msg);
        size_t best;
        rv_phrase_score s;
        cr_assert_eq(rv_asr_best_of(asr, phrases, 64, &best, &s, &e), RV_OK, "round %d: %s", round, e.msg);
    }
    rv_pcm_free(&p);
    rv_phrase_score after = verify("Anna Svensson");
    cr_expect(after.found);
    /* not to the last digit: the decoder's state after other utterances
     * moves scores a little (also without any restart) */
    cr_expect(fabs(after.llr - before.llr) < 0.1 * fabs(before.llr) + 0.5, "scores alike: %.3f vs %.3f", after.llr,
              before.llr);
}

Test(asr, an_alignment_chooses_the_spoken_phones) {
    /* "Anna Svensson": each position may be the phone said or one far from
     * it; the alignment must pick the spoken one nearly everywhere. */
    static const char *const a_or_s[] = {"AA", "S"}, *const n_or_k[] = {"N", "K"}, *const s_or_aa[] = {"S", "AA"},
                             *const v_or_drop[] = {"V", ""}, *const eh_or_uw[] = {"EH", "UW"};
    const char *const *cands[] = {a_or_s, n_or_k, a_or_s, s_or_aa, v_or_drop, eh_or_uw, n_or_k, s_or_aa};
    size_t n_cands[] = {2, 2, 2, 2, 2, 2, 2, 2};
    int choice[8];
    rv_error e;
    cr_assert_eq(rv_asr_align(asr, cands, n_cands, 8, choice, &e), RV_OK, "%s", e.msg);
    int first = 0;
    for (int i = 0; i < 8; i++) first += choice[i] == 0;
    cr_expect(first >= 7, "%d of 8 positions took the spoken phone", first);
    cr_expect_eq(rv_asr_align(asr, cands, n_cands, 0, choice, &e), RV_ERR_ARG);
}

/* The decoder drops the frames its voice activity detection calls silence;
 * positions must still count from the start of the audio it was given. */
Test(asr, positions_of_a_word_in_a_clip_with_leading_silence_within_0_1_s) {
    rv_audio_limits lim = {1 << 24, 60};
    rv_pcm p;
    rv_error e;
    cr_assert_eq(rv_audio_decode_file(fixture("asr-anna.wav"), RV_AUDIO_AUTO, &lim, &p, &e), RV_OK, "%s", e.msg);
    rv_phrase_score plain = verify("Anna Svensson");
    cr_assert(plain.found);
    const double lead_s = 2.0;
    size_t lead = (size_t)(lead_s * p.rate);
    rv_pcm q = p;
    q.n = lead + p.n;
    q.samples = calloc(q.n, sizeof *q.samples);
    cr_assert(q.samples);
    unsigned seed = 7; /* a quiet line, not digital zero */
    for (size_t i = 0; i < lead; i++) {
        seed = seed * 1103515245u + 12345u;
        q.samples[i] = (float)(((seed >> 8) & 0xFFFF) / 32768.0 - 1.0) * 1e-4f;
    }
    memcpy(q.samples + lead, p.samples, p.n * sizeof *p.samples);
    cr_assert_eq(rv_asr_set_audio(asr, &q, &e), RV_OK, "%s", e.msg);
    rv_phrase_score s = verify("Anna Svensson");
    cr_assert(s.found);
    cr_expect(fabs(s.start_s - (plain.start_s + lead_s)) < 0.1, "start %.2f, expected %.2f", s.start_s,
              plain.start_s + lead_s);
    cr_expect(fabs(s.end_s - (plain.end_s + lead_s)) < 0.1, "end %.2f, expected %.2f", s.end_s,
              plain.end_s + lead_s);
    free(q.samples);
    rv_pcm_free(&p);
}

/* A telephone call stored at 16 kHz (Asterisk's wav16 of a G.711 line) has
 * nothing above 4 kHz: it must be heard as the telephone recording it is
 * (with the channel adaptation), not as a wideband one. */
Test(asr, a_telephone_recording_stored_at_16_khz_scores_as_telephone) {
    rv_audio_limits lim = {1 << 24, 60};
    rv_pcm w, p, up;
    rv_error e;
    cr_assert_eq(rv_audio_decode_file(fixture("asr-anna.wav"), RV_AUDIO_AUTO, &lim, &w, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_audio_resample(&w, 8000, 0, &p, &e), RV_OK, "%s", e.msg);
    rv_pcm_free(&w);
    cr_assert_eq(rv_asr_set_audio(asr, &p, &e), RV_OK, "%s", e.msg);
    rv_phrase_score tel = verify("Anna Svensson");
    cr_assert_eq(rv_audio_resample(&p, 16000, 0, &up, &e), RV_OK, "%s", e.msg);
    up.codec = RV_CODEC_OTHER;
    cr_assert_eq(rv_asr_set_audio(asr, &up, &e), RV_OK, "%s", e.msg);
    rv_phrase_score wide = verify("Anna Svensson");
    cr_assert(tel.found && wide.found);
    cr_expect(fabs(wide.llr - tel.llr) < 0.15 * fabs(tel.llr) + 0.5, "8 kHz %.2f, the same at 16 kHz %.2f", tel.llr,
              wide.llr);
    rv_pcm_free(&up);
    rv_pcm_free(&p);
}

/* A search that fails inside PocketSphinx is an error, never a phrase the
 * greeting did not say (RV_TEST_FAULT makes the searches after the phone
 * loop's fail). */
Test(asr, a_failed_search_is_an_error_not_a_phrase_unsaid) {
    setenv("RV_TEST_FAULT", "asr_decode", 1);
    rv_phrase_score s;
    rv_error e;
    cr_expect_eq(rv_asr_verify(asr, "Anna Svensson", &s, &e), RV_ERR_INTERNAL, "found %d", s.found);
    static const char *const a_or_s[] = {"AA", "S"};
    const char *const *cands[] = {a_or_s};
    size_t n_cands[] = {2};
    int choice[1];
    cr_expect_eq(rv_asr_align(asr, cands, n_cands, 1, choice, &e), RV_ERR_INTERNAL);
    unsetenv("RV_TEST_FAULT");
    cr_expect_eq(rv_asr_verify(asr, "Anna Svensson", &s, &e), RV_OK, "%s", e.msg);
    cr_expect(s.found);
}

/* Whether a phrase can be said is the lexicon's answer; running out of
 * memory on the way is an error, not an unsayable phrase. */
Test(asr, out_of_memory_is_not_an_unsayable_phrase) {
    int ok = -1;
    rv_error e;
    cr_assert_eq(rv_asr_sayable(asr, RV_VOCAB_DIRECTORY, "Anna Svensson", &ok, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(ok, 1);
    cr_assert_eq(rv_asr_sayable(asr, RV_VOCAB_DIRECTORY, "a=b", &ok, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(ok, 0);
    setenv("RV_TEST_FAULT", "asr_pronounce_nomem", 1);
    cr_expect_eq(rv_asr_sayable(asr, RV_VOCAB_DIRECTORY, "Anna Svensson", &ok, &e), RV_ERR_NOMEM);
    unsetenv("RV_TEST_FAULT");
}

/* A path longer than the buffer it is read into is an error, never a
 * shorter path (RV_TEST_FAULT makes the buffer four segments). */
Test(asr, a_path_longer_than_its_buffer_is_an_error) {
    rv_audio_limits lim = {1 << 24, 60};
    rv_pcm p;
    rv_error e;
    cr_assert_eq(rv_audio_decode_file(fixture("asr-anna.wav"), RV_AUDIO_AUTO, &lim, &p, &e), RV_OK, "%s", e.msg);
    setenv("RV_TEST_FAULT", "asr_few_segments", 1);
    cr_expect_eq(rv_asr_set_audio(asr, &p, &e), RV_ERR_TOO_LARGE, "%s", e.msg);
    unsetenv("RV_TEST_FAULT");
    cr_expect_eq(rv_asr_set_audio(asr, &p, &e), RV_OK, "%s", e.msg);
    rv_pcm_free(&p);
}

/* A MAP model beside the MLLR file (adapt-N.map beside adapt-N.mllr, as
 * rostvakt adapt writes them) is what telephone-band audio is scored with,
 * with no MLLR on top; wideband audio keeps the base model. Here the "MAP
 * model" is Debian's model unchanged, so telephone scores equal an
 * unadapted decoder's and differ from the MLLR's, also after a wideband
 * recording in between. (A decoder's noise and cepstral mean estimates
 * carry over from one recording to the next, and the model is loaded
 * afresh when the band changes: so each is compared with a fresh decoder's
 * score of the same recording.) */
Test(asr, a_map_model_beside_the_mllr_scores_telephone_lines) {
    char dir[] = "/tmp/rostvakt-asr-map-XXXXXX", cmd[512], mllr[128], map[128], found[4096];
    cr_assert(mkdtemp(dir));
    snprintf(mllr, sizeof mllr, "%s/adapt-1.mllr", dir);
    snprintf(map, sizeof map, "%s/adapt-1.map", dir);
    snprintf(cmd, sizeof cmd, "cp models/en-us-tel.mllr %s && cp -r /usr/share/pocketsphinx/model/en-us/en-us %s",
             mllr, map);
    cr_assert_eq(system(cmd), 0);
    cr_expect_eq(rv_asr_telephone_model("models/en-us-tel.mllr", found, sizeof found), 0, "the shipped one has none");
    cr_assert_eq(rv_asr_telephone_model(mllr, found, sizeof found), 1);
    cr_expect_str_eq(found, map);
    rv_error e;
    rv_audio_limits lim = {1 << 24, 60};
    rv_pcm w, p;
    cr_assert_eq(rv_audio_decode_file(fixture("asr-anna.wav"), RV_AUDIO_AUTO, &lim, &w, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_audio_resample(&w, 8000, 0, &p, &e), RV_OK, "%s", e.msg);
    /* fresh decoders' scores: unadapted on each recording, the MLLR's on the telephone one */
    double fresh[3];
    const rv_pcm *of[3] = {&p, &w, &p};
    for (int i = 0; i < 3; i++) {
        rv_asr *a = NULL;
        rv_phrase_score s;
        cr_assert_eq(rv_asr_open(NULL, i == 2 ? "models/en-us-tel.mllr" : NULL, lex, &a, &e), RV_OK, "%s", e.msg);
        cr_assert_eq(rv_asr_set_audio(a, of[i], &e), RV_OK, "%s", e.msg);
        cr_assert_eq(rv_asr_verify(a, "Anna Svensson", &s, &e), RV_OK, "%s", e.msg);
        fresh[i] = s.llr;
        rv_asr_free(a);
    }
    cr_expect_neq(fresh[0], fresh[2], "the MLLR changes the telephone score");
    rv_asr *with_map = NULL;
    cr_assert_eq(rv_asr_open(NULL, mllr, lex, &with_map, &e), RV_OK, "%s", e.msg);
    const rv_pcm *seq[4] = {&p, &w, &p, &w};
    for (int i = 0; i < 4; i++) {
        rv_phrase_score s;
        cr_assert_eq(rv_asr_set_audio(with_map, seq[i], &e), RV_OK, "%s", e.msg);
        cr_assert_eq(rv_asr_verify(with_map, "Anna Svensson", &s, &e), RV_OK, "%s", e.msg);
        cr_expect_eq(s.llr, fresh[i % 2], "recording %d (%s): %.3f, a fresh unadapted decoder %.3f", i,
                     i % 2 ? "wideband" : "telephone", s.llr, fresh[i % 2]);
    }
    rv_pcm_free(&w);
    rv_pcm_free(&p);
    rv_asr_free(with_map);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}
