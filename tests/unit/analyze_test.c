/* The missing-greeting verdict and its JSON form. */
#include <criterion/criterion.h>
#include <jansson.h>

#include "helpers.h"
#include "rostvakt/analyze.h"
#include "rostvakt/report.h"

static rv_config cfg;
static rv_analyzer an;

static void setup(void)
{
    rv_config_defaults(&cfg);
    an.cfg = &cfg;
    an.prompts = NULL;
}

TestSuite(analyze, .init = setup);

static rv_report run(rv_pcm *p, rv_kind kind)
{
    rv_report r;
    rv_error e;
    cr_assert_eq(rv_analyze_pcm(&an, p, kind, &r, &e), RV_OK, "%s", e.msg);
    return r;
}

Test(analyze, zero_bytes_is_missing_not_an_error) {
    rv_report r;
    rv_error e;
    cr_assert_eq(rv_analyze_bytes(&an, "", 0, RV_AUDIO_AUTO, RV_KIND_GREETING, &r, &e), RV_OK);
    cr_expect(r.missing);
    cr_expect_str_eq(rv_missing_reason_name(r.reason), "empty_recording");
    rv_report_free(&r);
}

Test(analyze, undecodable_bytes_are_an_error) {
    rv_report r;
    rv_error e;
    cr_expect_eq(rv_analyze_bytes(&an, "hello world, this is text\n", 26, RV_AUDIO_AUTO,
                                  RV_KIND_GREETING, &r, &e),
                 RV_ERR_AUDIO_FORMAT);
}

Test(analyze, each_missing_shape_gets_its_reason) {
    rv_pcm sil = pcm_alloc(8000, 3);
    rv_report r = run(&sil, RV_KIND_GREETING);
    cr_expect(r.missing);
    cr_expect_eq(r.reason, RV_MISSING_SILENCE);
    rv_report_free(&r);

    rv_pcm noise = pcm_alloc(8000, 3);
    add_noise(&noise, 0.2, 9);
    r = run(&noise, RV_KIND_GREETING);
    cr_expect_eq(r.reason, RV_MISSING_NOISE);
    rv_report_free(&r);

    rv_pcm faint = pcm_alloc(8000, 3);
    add_noise(&faint, 0.003, 9);
    r = run(&faint, RV_KIND_GREETING);
    cr_expect_eq(r.reason, RV_MISSING_SILENCE, "a faint line is silence, not noise");
    rv_report_free(&r);

    rv_pcm tone = pcm_alloc(8000, 3);
    add_sine(&tone, 425, 0.3, 0, 3);
    r = run(&tone, RV_KIND_GREETING);
    cr_expect_eq(r.reason, RV_MISSING_TONE);
    rv_report_free(&r);

    rv_pcm dtmf = pcm_alloc(8000, 2);
    for (int k = 0; k < 4; k++) {
        add_sine(&dtmf, 770, 0.25, 0.2 + k * 0.4, 0.35 + k * 0.4);
        add_sine(&dtmf, 1336, 0.25, 0.2 + k * 0.4, 0.35 + k * 0.4);
    }
    r = run(&dtmf, RV_KIND_GREETING);
    cr_expect_eq(r.reason, RV_MISSING_DTMF);
    rv_report_free(&r);

    rv_pcm brief = pcm_alloc(8000, 3);
    add_voice(&brief, 1.0, 1.5, 0.3);
    r = run(&brief, RV_KIND_GREETING);
    cr_expect(r.missing);
    cr_expect_eq(r.reason, RV_MISSING_TOO_LITTLE_SPEECH);
    rv_report_free(&r);
    /* The same half second is enough for a voicemail: someone spoke. */
    r = run(&brief, RV_KIND_VOICEMAIL);
    cr_expect_not(r.missing);
    rv_report_free(&r);

    rv_pcm_free(&sil);
    rv_pcm_free(&noise);
    rv_pcm_free(&faint);
    rv_pcm_free(&tone);
    rv_pcm_free(&dtmf);
    rv_pcm_free(&brief);
}

Test(analyze, enough_speech_is_a_greeting) {
    rv_pcm p = pcm_alloc(8000, 5);
    add_voice(&p, 0.5, 2.0, 0.3);
    add_voice(&p, 2.4, 4.5, 0.3);
    rv_report r = run(&p, RV_KIND_GREETING);
    cr_expect_not(r.missing);
    cr_expect_eq(r.reason, RV_MISSING_NONE);
    cr_expect_null(rv_missing_reason_name(r.reason));
    rv_report_free(&r);
    rv_pcm_free(&p);
}

Test(analyze, minimum_speech_is_configuration) {
    rv_pcm p = pcm_alloc(8000, 5);
    add_voice(&p, 0.5, 2.5, 0.3);
    rv_report r = run(&p, RV_KIND_GREETING);
    cr_expect_not(r.missing);
    rv_report_free(&r);
    rv_error e;
    cr_assert_eq(rv_config_set(&cfg, "greeting_min_speech_s", "3", &e), RV_OK);
    r = run(&p, RV_KIND_GREETING);
    cr_expect(r.missing);
    cr_expect_eq(r.reason, RV_MISSING_TOO_LITTLE_SPEECH);
    rv_report_free(&r);
    rv_pcm_free(&p);
}

Test(analyze, report_json_has_the_documented_fields) {
    rv_pcm p = pcm_alloc(8000, 3);
    add_sine(&p, 1000, 0.4, 1.0, 1.5);
    rv_report r = run(&p, RV_KIND_GREETING);
    const char *phr[] = {"lämna ett meddelande"};
    rv_expect ex = {.name = "Åsa Öberg", .unit = "Miljö", .phrases = phr, .n_phrases = 1};
    char *s = rv_report_to_json(&r, "greet\xff.wav", &ex);
    cr_assert_not_null(s);
    json_error_t je;
    json_t *j = json_loads(s, 0, &je);
    cr_assert_not_null(j, "%s: %s", je.text, s);
    cr_expect_str_eq(json_string_value(json_object_get(j, "kind")), "greeting");
    cr_expect(json_is_true(json_object_get(j, "missing")));
    cr_expect_str_eq(json_string_value(json_object_get(j, "missing_reason")), "tone");
    cr_expect(json_is_number(json_object_get(j, "duration_s")));
    cr_expect(json_is_number(json_object_get(j, "speech_s")));
    cr_expect_str_eq(json_string_value(json_object_get(j, "file")), "greet\xEF\xBF\xBD.wav");
    json_t *sig = json_object_get(j, "signal");
    cr_assert(json_is_object(sig));
    json_t *tones = json_object_get(sig, "tones");
    cr_assert_eq(json_array_size(tones), 1);
    cr_expect(fabs(json_number_value(json_object_get(json_array_get(tones, 0), "start_s")) - 1.0) < 0.05);
    cr_expect(json_is_null(json_object_get(sig, "snr_db")));
    json_t *x = json_object_get(j, "expected");
    cr_expect_str_eq(json_string_value(json_object_get(x, "name")), "Åsa Öberg");
    cr_expect_str_eq(json_string_value(json_array_get(json_object_get(x, "phrases"), 0)),
                     "lämna ett meddelande");
    cr_expect(strstr(s, "Åsa") != NULL, "UTF-8 is kept, not escaped");
    json_decref(j);
    free(s);
    rv_report_free(&r);
    rv_pcm_free(&p);
}

Test(analyze, error_json) {
    rv_error e;
    rv_error_set(&e, RV_ERR_AUDIO_TRUNCATED, "WAV header declares %d bytes", 10);
    char *s = rv_error_to_json("a.wav", &e);
    cr_assert_not_null(s);
    cr_expect_str_eq(s, "{\"file\":\"a.wav\",\"error\":{\"code\":\"truncated_audio\","
                        "\"message\":\"WAV header declares 10 bytes\"}}");
    free(s);
}

Test(analyze, voicemail_flags) {
    uint32_t why;
    cr_expect_eq(rv_classify_voicemail(0, 0, 0, 6, &why), RV_VM_EMPTY);
    cr_expect_eq(why, 1u << RV_VMR_NO_SPEECH);
    cr_expect_eq(rv_classify_voicemail(1, 2.0, 0, 6, &why), RV_VM_EPHEMERAL);
    cr_expect_eq(why, 1u << RV_VMR_SHORT_MESSAGE);
    cr_expect_eq(rv_classify_voicemail(1, 2.0, 1, 6, &why), RV_VM_POSSIBLE_PUBLIC_RECORD,
                 "a case word makes even a short message a possible record");
    cr_expect_eq(why, 1u << RV_VMR_CASE_WORDS);
    cr_expect_eq(rv_classify_voicemail(1, 30, 2, 6, &why), RV_VM_POSSIBLE_PUBLIC_RECORD);
    cr_expect_eq(why, (1u << RV_VMR_CASE_WORDS) | (1u << RV_VMR_LONG_MESSAGE));
    cr_expect_str_eq(rv_vm_class_name(RV_VM_POSSIBLE_PUBLIC_RECORD), "possible_public_record");
}

Test(analyze, hang_up_voicemail_is_empty_in_the_report) {
    rv_pcm p = pcm_alloc(8000, 2);
    rv_report r = run(&p, RV_KIND_VOICEMAIL);
    cr_expect_eq(r.vm_class, RV_VM_EMPTY);
    char *s = rv_report_to_json(&r, NULL, NULL);
    cr_expect(strstr(s, "\"classification\":\"empty\"") && strstr(s, "\"reasons\":[\"no_speech\"]"), "%s", s);
    free(s);
    rv_report_free(&r);
    rv_pcm_free(&p);
}

Test(analyze, case_word_list_loads) {
    char (*w)[64];
    size_t n;
    rv_error e;
    cr_assert_eq(rv_case_words_load("models/case-words.sv", &w, &n, &e), RV_OK, "%s", e.msg);
    int found = 0;
    for (size_t i = 0; i < n; i++) found |= strcmp(w[i], "bygglov") == 0;
    cr_expect(found);
    cr_expect(n >= 10);
    free(w);
    cr_expect_eq(rv_case_words_load("/nonexistent", &w, &n, &e), RV_ERR_IO);
}
