/* Signal facts on synthetic signals whose content and times are known. */
#include <criterion/criterion.h>
#include <math.h>

#include "helpers.h"
#include "rostvakt/signal.h"

#define SIL (-60.0)

static rv_signal analyse(rv_pcm *p)
{
    rv_signal s;
    rv_error e;
    cr_assert_eq(rv_signal_analyze(p, SIL, &s, &e), RV_OK, "%s", e.msg);
    return s;
}

Test(signal, digital_silence_has_no_speech) {
    rv_pcm p = pcm_alloc(8000, 3);
    rv_signal s = analyse(&p);
    cr_expect_eq(s.n_speech, 0);
    cr_expect_float_eq(s.duration_s, 3.0, 1e-9);
    cr_expect_float_eq(s.silent_s, 3.0, 0.011);
    cr_expect_eq(s.peak_dbfs, -120);
    cr_expect(isnan(s.snr_db));
    cr_expect_float_eq(s.leading_silence_s, 3.0, 1e-9);
    rv_signal_free(&s);
    rv_pcm_free(&p);
}

Test(signal, levels_of_a_half_scale_sine) {
    rv_pcm p = pcm_alloc(8000, 2);
    add_sine(&p, 1000, 0.5, 0, 2);
    rv_signal s = analyse(&p);
    cr_expect(fabs(s.peak_dbfs + 6.02) < 0.05, "peak %.2f", s.peak_dbfs);
    cr_expect(fabs(s.rms_dbfs + 9.03) < 0.05, "rms %.2f", s.rms_dbfs);
    cr_expect_eq(s.clipping_ratio, 0);
    rv_signal_free(&s);
    rv_pcm_free(&p);
}

Test(signal, clipping_ratio_counts_full_scale_samples) {
    rv_pcm p = pcm_alloc(8000, 1);
    add_sine(&p, 500, 3.0, 0, 1);
    for (size_t i = 0; i < p.n; i++) p.samples[i] = fmaxf(-1, fminf(1, p.samples[i]));
    rv_signal s = analyse(&p);
    cr_expect(s.clipping_ratio > 0.6, "%.3f", s.clipping_ratio);
    rv_signal_free(&s);
    rv_pcm_free(&p);
}

Test(signal, beep_is_found_with_its_time_and_frequency) {
    rv_pcm p = pcm_alloc(8000, 3);
    add_sine(&p, 1000, 0.4, 1.0, 1.5);
    rv_signal s = analyse(&p);
    cr_assert_eq(s.n_tones, 1);
    cr_expect(fabs(s.tones[0].start_s - 1.0) < 0.05, "start %.3f", s.tones[0].start_s);
    cr_expect(fabs(s.tones[0].end_s - 1.5) < 0.05, "end %.3f", s.tones[0].end_s);
    cr_expect(fabs(s.tones[0].freq_hz - 1000) < 5, "freq %.1f", s.tones[0].freq_hz);
    cr_expect_eq(s.tones[0].kind, RV_TONE_BEEP);
    cr_expect_eq(s.n_speech, 0);
    rv_signal_free(&s);
    rv_pcm_free(&p);
}

Test(signal, swedish_busy_and_dial_tones) {
    rv_pcm busy = pcm_alloc(8000, 3);
    for (int k = 0; k < 6; k++) add_sine(&busy, 425, 0.3, k * 0.5, k * 0.5 + 0.25);
    rv_signal s = analyse(&busy);
    cr_assert_eq(s.n_tones, 6);
    for (size_t i = 0; i < s.n_tones; i++) {
        cr_expect_eq(s.tones[i].kind, RV_TONE_BUSY);
        cr_expect(fabs(s.tones[i].start_s - i * 0.5) < 0.05);
    }
    cr_expect_eq(s.n_speech, 0);
    rv_signal_free(&s);
    rv_pcm_free(&busy);

    rv_pcm dial = pcm_alloc(8000, 4);
    add_sine(&dial, 425, 0.3, 0, 4);
    s = analyse(&dial);
    cr_assert_eq(s.n_tones, 1);
    cr_expect_eq(s.tones[0].kind, RV_TONE_DIAL);
    cr_expect(s.tone_s > 3.9);
    rv_signal_free(&s);
    rv_pcm_free(&dial);
}

Test(signal, dtmf_digits_in_order_with_times) {
    static const double row[] = {697, 770, 852, 941}, col[] = {1209, 1336, 1477};
    /* 1, 5, 9, # : (row, col) = (0,0) (1,1) (2,2) (3,2) */
    static const int rc[4][2] = {{0, 0}, {1, 1}, {2, 2}, {3, 2}};
    rv_pcm p = pcm_alloc(8000, 2);
    for (int k = 0; k < 4; k++) {
        double t0 = 0.2 + k * 0.4;
        add_sine(&p, row[rc[k][0]], 0.25, t0, t0 + 0.15);
        add_sine(&p, col[rc[k][1]], 0.25, t0, t0 + 0.15);
    }
    rv_signal s = analyse(&p);
    cr_assert_eq(s.n_dtmf, 4);
    const char want[] = "159#";
    for (int k = 0; k < 4; k++) {
        cr_expect_eq(s.dtmf[k].digit, want[k], "digit %d: %c", k, s.dtmf[k].digit);
        cr_expect(fabs(s.dtmf[k].start_s - (0.2 + k * 0.4)) < 0.04, "start %.3f", s.dtmf[k].start_s);
    }
    cr_expect_eq(s.n_speech, 0);
    cr_expect_eq(s.n_tones, 0);
    rv_signal_free(&s);
    rv_pcm_free(&p);
}

Test(signal, voice_segments_with_their_times) {
    rv_pcm p = pcm_alloc(8000, 5);
    add_voice(&p, 0.5, 1.7, 0.3);
    add_voice(&p, 2.5, 4.0, 0.3);
    add_noise(&p, 0.002, 7);
    rv_signal s = analyse(&p);
    cr_assert_eq(s.n_speech, 2, "%zu segments", s.n_speech);
    cr_expect(fabs(s.speech[0].start_s - 0.5) < 0.1, "%.2f", s.speech[0].start_s);
    cr_expect(fabs(s.speech[0].end_s - 1.7) < 0.1, "%.2f", s.speech[0].end_s);
    cr_expect(fabs(s.speech[1].start_s - 2.5) < 0.1, "%.2f", s.speech[1].start_s);
    cr_expect(fabs(s.speech[1].end_s - 4.0) < 0.1, "%.2f", s.speech[1].end_s);
    cr_expect(fabs(s.speech_s - 2.7) < 0.2, "%.2f", s.speech_s);
    cr_expect(fabs(s.leading_silence_s - 0.5) < 0.1);
    cr_expect(fabs(s.trailing_silence_s - 1.0) < 0.1);
    cr_expect(s.snr_db > 30, "snr %.1f", s.snr_db);
    cr_expect(s.noise_floor_dbfs < -50, "floor %.1f", s.noise_floor_dbfs);
    rv_signal_free(&s);
    rv_pcm_free(&p);
}

Test(signal, voice_at_16k_gives_the_same_segments) {
    rv_pcm p = pcm_alloc(16000, 3);
    add_voice(&p, 1.0, 2.0, 0.3);
    rv_signal s = analyse(&p);
    cr_assert_eq(s.n_speech, 1);
    cr_expect(fabs(s.speech[0].start_s - 1.0) < 0.1);
    cr_expect(fabs(s.speech[0].end_s - 2.0) < 0.1);
    rv_signal_free(&s);
    rv_pcm_free(&p);
}

Test(signal, white_noise_is_not_speech) {
    rv_pcm p = pcm_alloc(8000, 5);
    add_noise(&p, 0.3, 42);
    rv_signal s = analyse(&p);
    cr_expect_eq(s.n_speech, 0);
    cr_expect(s.other_s > 4.9, "%.2f", s.other_s);
    cr_expect(s.flatness > 0.5, "flatness %.2f", s.flatness);
    rv_signal_free(&s);
    rv_pcm_free(&p);
}

Test(signal, voice_over_noise_is_still_speech) {
    rv_pcm p = pcm_alloc(8000, 4);
    add_noise(&p, 0.02, 3);
    add_voice(&p, 1.0, 3.0, 0.3);
    rv_signal s = analyse(&p);
    cr_expect(s.speech_s > 1.6, "%.2f", s.speech_s);
    cr_expect(s.snr_db > 10, "snr %.1f", s.snr_db);
    rv_signal_free(&s);
    rv_pcm_free(&p);
}

Test(signal, a_beep_after_speech_is_a_tone_not_speech) {
    rv_pcm p = pcm_alloc(8000, 4);
    add_voice(&p, 0.5, 2.5, 0.3);
    add_sine(&p, 1000, 0.4, 2.8, 3.2);
    rv_signal s = analyse(&p);
    cr_assert_eq(s.n_tones, 1);
    cr_expect(fabs(s.tones[0].start_s - 2.8) < 0.05);
    cr_assert_eq(s.n_speech, 1);
    cr_expect(s.speech[0].end_s < 2.75, "speech ends %.2f", s.speech[0].end_s);
    rv_signal_free(&s);
    rv_pcm_free(&p);
}

Test(signal, empty_pcm_is_all_zero) {
    rv_pcm p = {0};
    p.rate = 8000;
    rv_signal s;
    rv_error e;
    cr_assert_eq(rv_signal_analyze(&p, SIL, &s, &e), RV_OK);
    cr_expect_eq(s.duration_s, 0);
    cr_expect_eq(s.n_speech + s.n_tones + s.n_dtmf, 0);
    rv_signal_free(&s);
    rv_signal_free(NULL);
}
