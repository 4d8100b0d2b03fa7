/* Swedish pronunciations mapped onto the US English phone set. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "rostvakt/lexicon.h"

static rv_lexicon *lex;

/* The hand-written map (rostvakt's own phrases, and the base the directory
 * map is learned from): what the phone-mapping rules below pin down. The
 * learned directory map is tested further down. */
static void open_lex(void)
{
    rv_error e;
    cr_assert_eq(rv_lexicon_open("models/sv-arpabet.map", &lex, &e), RV_OK, "%s", e.msg);
}

static void close_lex(void) { rv_lexicon_free(lex); }

TestSuite(lexicon, .init = open_lex, .fini = close_lex);

/* The first pronunciation of the single word in text. */
static rv_word_pron one(const char *text)
{
    rv_word_pron w[4];
    size_t n;
    rv_error e;
    cr_assert_eq(rv_lexicon_pronounce(lex, text, 4, w, 4, &n, &e), RV_OK, "%s: %s", text, e.msg);
    cr_assert_eq(n, 1, "%s: %zu words", text, n);
    cr_assert(w[0].n_prons >= 1);
    return w[0];
}

static int has_pron(const rv_word_pron *w, const char *p)
{
    for (size_t i = 0; i < w->n_prons; i++)
        if (strcmp(w->prons[i], p) == 0) return 1;
    return 0;
}

Test(lexicon, swedish_vowels_a_ring_a_umlaut_o_umlaut) {
    cr_expect_str_eq(one("kål").prons[0], "K OW L");
    rv_word_pron w = one("Öberg");
    cr_expect(strncmp(w.prons[0], "ER", 2) == 0, "ö: %s", w.prons[0]);
    cr_expect(has_pron(&w, "EH B AH R Y"), "ö has an EH variant");
    w = one("mäta");
    cr_expect(strstr(w.prons[0], "EH") != NULL, "ä: %s", w.prons[0]);
}

Test(lexicon, sj_tj_and_rs_sounds) {
    rv_word_pron w = one("Sjöberg");
    cr_expect(strncmp(w.prons[0], "SH ", 3) == 0, "sj-: %s", w.prons[0]);
    cr_expect(has_pron(&w, "HH ER B AH R Y"), "sj- has an HH variant");
    w = one("Tjernberg");
    cr_expect(strncmp(w.prons[0], "SH ", 3) == 0, "tj-: %s", w.prons[0]);
    cr_expect(has_pron(&w, "CH EH R N B AH R Y"));
    cr_expect_str_eq(one("kjol").prons[0], "SH UW L");
    w = one("Lars");
    cr_expect_str_eq(w.prons[0], "L AA SH", "rs is retroflex: %s", w.prons[0]);
    cr_expect(has_pron(&w, "L AA S"));
}

Test(lexicon, compounds_and_hyphenated_names_are_one_word) {
    rv_word_pron w = one("utbildningsförvaltningen");
    cr_expect(strstr(w.prons[0], "F ER R V AA L T N IH NG AH N") != NULL, "%s", w.prons[0]);
    w = one("Anna-Karin");
    cr_expect_str_eq(w.prons[0], "AA N AA K AA R IY N");
    w = one("Lind-Öberg");
    cr_expect(strncmp(w.prons[0], "L IH N D ER B", 13) == 0, "%s", w.prons[0]);
}

Test(lexicon, phrases_split_into_words_case_and_punctuation_ignored) {
    rv_word_pron w[8];
    size_t n;
    rv_error e;
    cr_assert_eq(rv_lexicon_pronounce(lex, "Barn- och UTBILDNINGSFÖRVALTNINGEN, Åsa!", 4, w, 8, &n, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(n, 4);
    cr_expect_str_eq(w[0].word, "barn");
    cr_expect_str_eq(w[1].word, "och");
    cr_expect_str_eq(w[2].word, "utbildningsförvaltningen");
    cr_expect_str_eq(w[3].word, "åsa");
    cr_expect_str_eq(w[3].prons[0], "OW S AA");
}

Test(lexicon, variants_are_distinct_and_capped) {
    rv_word_pron w[2];
    size_t n;
    rv_error e;
    cr_assert_eq(rv_lexicon_pronounce(lex, "Göran", 2, w, 2, &n, &e), RV_OK);
    cr_expect_eq(w[0].n_prons, 2);
    cr_expect(strcmp(w[0].prons[0], w[0].prons[1]) != 0);
}

Test(lexicon, bad_input) {
    rv_word_pron w[2];
    size_t n;
    rv_error e;
    cr_expect_eq(rv_lexicon_pronounce(lex, "  , . ", 4, w, 2, &n, &e), RV_ERR_ARG);
    cr_expect_eq(rv_lexicon_pronounce(lex, "en två tre", 4, w, 2, &n, &e), RV_ERR_TOO_LARGE);
    rv_lexicon *l2;
    cr_expect_eq(rv_lexicon_open("/nonexistent.map", &l2, &e), RV_ERR_IO);
}

Test(lexicon, every_word_of_the_evaluation_directories_has_a_pronunciation) {
    /* Regressions: espeak-ng writes g as U+0261, short u as U+0275 and marks
     * loan words with "(en)". */
    const char *words[] = {"bygglovsenheten", "kultur- och fritidsförvaltningen", "name",
                           "räddningstjänsten", "Kjellberg", "Hägglund", "överförmyndarenheten"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        rv_word_pron w[4];
        size_t n;
        rv_error e;
        cr_expect_eq(rv_lexicon_pronounce(lex, words[i], 4, w, 4, &n, &e), RV_OK, "%s: %s", words[i], e.msg);
    }
    cr_expect(strstr(one("bygglovsenheten").prons[0], "G") != NULL);
}

/* The phonemes (first field) of a map file's lines, in order, one string. */
static void tokens_of(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    cr_assert(f, "%s", path);
    char line[256], tok[32];
    size_t o = 0;
    out[0] = '\0';
    while (fgets(line, sizeof line, f))
        if (line[0] != '#' && sscanf(line, "%31s", tok) == 1 && o + strlen(tok) + 2 < cap)
            o += (size_t)sprintf(out + o, "%s ", tok);
    fclose(f);
}

Test(lexicon, the_directory_map_has_every_phoneme_of_the_base_in_its_order) {
    static char base[4096], learned[4096];
    tokens_of("models/sv-arpabet.map", base, sizeof base);
    tokens_of("models/sv-arpabet-directory.map", learned, sizeof learned);
    cr_expect(strlen(base) > 100);
    cr_expect_str_eq(learned, base);
}

Test(lexicon, the_directory_map_pronounces_the_evaluation_words) {
    rv_lexicon *l;
    rv_error e;
    cr_assert_eq(rv_lexicon_open("models/sv-arpabet-directory.map", &l, &e), RV_OK, "%s", e.msg);
    const char *words[] = {"bygglovsenheten", "kultur- och fritidsförvaltningen", "Sjöberg", "Tjernberg",
                           "Lars", "räddningstjänsten", "Anna-Karin", "överförmyndarenheten", "name"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        rv_word_pron w[4];
        size_t n;
        cr_expect_eq(rv_lexicon_pronounce(l, words[i], 4, w, 4, &n, &e), RV_OK, "%s: %s", words[i], e.msg);
    }
    rv_word_pron w[1];
    size_t n;
    cr_assert_eq(rv_lexicon_pronounce(l, "Lars", 4, w, 1, &n, &e), RV_OK);
    cr_expect(strstr(w[0].prons[0], "SH") != NULL, "rs stays retroflex: %s", w[0].prons[0]);
    cr_assert_eq(rv_lexicon_pronounce(l, "kål", 4, w, 1, &n, &e), RV_OK);
    size_t len = strlen(w[0].prons[0]);
    cr_expect(strncmp(w[0].prons[0], "K ", 2) == 0 && len > 4 && strcmp(w[0].prons[0] + len - 2, " L") == 0,
              "consonants as in the base map (only vowels, r and sj-sounds are learned): %s", w[0].prons[0]);
    rv_lexicon_free(l);
}

Test(lexicon, phonemes_of_a_phrase_with_their_words_and_alternatives) {
    rv_phoneme p[32];
    size_t n;
    rv_error e;
    cr_assert_eq(rv_lexicon_phonemes(lex, "Per Ek", p, 32, &n, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(n, 5, "p ɛː r | eː k: %zu", n);
    cr_expect_str_eq(p[0].token, "p");
    cr_expect_eq(p[0].word, 0);
    cr_expect_str_eq(p[2].token, "r");
    cr_expect_eq(p[2].n_alts, 2);
    cr_expect_str_eq(p[2].alts[1], "", "r may be dropped");
    cr_expect_eq(p[4].word, 1);
    cr_expect_eq(rv_lexicon_phonemes(lex, "Per Ek", p, 3, &n, &e), RV_ERR_TOO_LARGE);
    cr_expect_eq(rv_lexicon_phonemes(lex, " , ", p, 32, &n, &e), RV_ERR_ARG);
}

Test(lexicon, a_models_directory_gives_each_vocabulary_its_map) {
    rv_lexicon *l;
    rv_error e;
    cr_assert_eq(rv_lexicon_open_models("models", &l, &e), RV_OK, "%s", e.msg);
    rv_word_pron fixed[1], entry[1], base[1];
    size_t n;
    cr_assert_eq(rv_lexicon_pronounce_in(l, RV_VOCAB_FIXED, "Persson", 4, fixed, 1, &n, &e), RV_OK);
    cr_assert_eq(rv_lexicon_pronounce_in(l, RV_VOCAB_DIRECTORY, "Persson", 4, entry, 1, &n, &e), RV_OK);
    cr_assert_eq(rv_lexicon_pronounce(lex, "Persson", 4, base, 1, &n, &e), RV_OK);
    cr_expect_str_eq(fixed[0].prons[0], base[0].prons[0], "fixed phrases: the hand-written map");
    cr_expect_str_neq(entry[0].prons[0], fixed[0].prons[0], "directory entries: the learned map");
    rv_lexicon_free(l);
    cr_expect_eq(rv_lexicon_open_models("/nonexistent", &l, &e), RV_ERR_IO);
    cr_expect_null(l);
}

/* Another of espeak-ng's voices (the bench's Spanish and French) beside the
 * Swedish one in the same process: each lexicon keeps its own voice, so the
 * Swedish pronunciations are the same before and after. */
Test(lexicon, another_voice_leaves_the_swedish_one_alone) {
    rv_word_pron before = one("Sjöberg");
    rv_lexicon *es;
    rv_error e;
    cr_assert_eq(rv_lexicon_open_voice("bench/lang/es-arpabet.map", "es-419", &es, &e), RV_OK, "%s", e.msg);
    rv_word_pron w[1];
    size_t n;
    cr_assert_eq(rv_lexicon_pronounce(es, "hola", 1, w, 1, &n, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(w[0].prons[0], "OW L AA", "Spanish h is silent: %s", w[0].prons[0]);
    rv_word_pron after = one("Sjöberg");
    cr_expect_str_eq(after.prons[0], before.prons[0]);
    cr_assert_eq(rv_lexicon_pronounce(es, "gracias", 1, w, 1, &n, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(w[0].prons[0], "G D AA S Y AA S", "%s", w[0].prons[0]);
    rv_lexicon_free(es);
    cr_expect_str_eq(one("Sjöberg").prons[0], before.prons[0], "the Swedish voice after the other is closed");
    rv_lexicon *none = NULL;
    cr_expect_eq(rv_lexicon_open_voice("bench/lang/es-arpabet.map", "no-such-voice", &none, &e), RV_ERR_INTERNAL);
    cr_expect_null(none);
}
