/* Decoding every supported format, the limits, and every kind of bad input. */
#include <criterion/criterion.h>
#include <math.h>

#include "helpers.h"
#include "rostvakt/audio.h"
#include "rostvakt/fileio.h"

static const rv_audio_limits lim = {20 * 1024 * 1024, 600};

static double rms_db(const rv_pcm *p)
{
    double s = 0;
    for (size_t i = 0; i < p->n; i++) s += (double)p->samples[i] * p->samples[i];
    return 10 * log10(s / p->n);
}

/* Zero crossings per second / 2 = frequency of a clean sine. */
static double sine_freq(const rv_pcm *p)
{
    size_t z = 0;
    for (size_t i = 1; i < p->n; i++)
        if ((p->samples[i - 1] < 0) != (p->samples[i] < 0)) z++;
    return z / 2.0 / ((double)p->n / p->rate);
}

static void expect_sine(const char *name, rv_audio_hint hint, int rate, double tol_db)
{
    rv_pcm p;
    rv_error e;
    rv_err rc = rv_audio_decode_file(fixture(name), hint, &lim, &p, &e);
    cr_assert_eq(rc, RV_OK, "%s: %s", name, e.msg);
    cr_expect_eq(p.rate, rate, "%s: rate %d", name, p.rate);
    cr_expect(fabs((double)p.n / p.rate - 2.0) < 0.03, "%s: %zu samples", name, p.n);
    /* A 0.5-amplitude sine has an RMS of -9.03 dBFS. */
    cr_expect(fabs(rms_db(&p) + 9.03) < tol_db, "%s: rms %.2f dB", name, rms_db(&p));
    cr_expect(fabs(sine_freq(&p) - 1000) < 15, "%s: %.1f Hz", name, sine_freq(&p));
    cr_expect(p.format[0] != '\0');
    rv_pcm_free(&p);
}

Test(audio, decodes_pcm_wavs) {
    expect_sine("sine.wav", RV_AUDIO_AUTO, 8000, 0.1);
    expect_sine("pcm8.wav", RV_AUDIO_AUTO, 8000, 0.3);
    expect_sine("pcm24.wav", RV_AUDIO_AUTO, 8000, 0.1);
    expect_sine("pcm32.wav", RV_AUDIO_AUTO, 8000, 0.1);
    expect_sine("float.wav", RV_AUDIO_AUTO, 8000, 0.1);
}

Test(audio, decodes_telephone_codecs) {
    expect_sine("ulaw.wav", RV_AUDIO_AUTO, 8000, 0.3);
    expect_sine("alaw.wav", RV_AUDIO_AUTO, 8000, 0.3);
    expect_sine("gsm.wav", RV_AUDIO_AUTO, 8000, 1.5);
    expect_sine("ima.wav", RV_AUDIO_AUTO, 8000, 1.0);
    expect_sine("msadpcm.wav", RV_AUDIO_AUTO, 8000, 1.0);
}

static rv_codec codec_of(const char *name, rv_audio_hint hint)
{
    rv_pcm p;
    rv_error e;
    cr_assert_eq(rv_audio_decode_file(fixture(name), hint, &lim, &p, &e), RV_OK, "%s: %s", name, e.msg);
    rv_codec c = p.codec;
    rv_pcm_free(&p);
    return c;
}

Test(audio, names_the_telephone_codec) {
    cr_expect_eq(codec_of("ulaw.wav", RV_AUDIO_AUTO), RV_CODEC_G711);
    cr_expect_eq(codec_of("alaw.wav", RV_AUDIO_AUTO), RV_CODEC_G711);
    cr_expect_eq(codec_of("sine.au", RV_AUDIO_AUTO), RV_CODEC_G711);
    cr_expect_eq(codec_of("sine.ul", RV_AUDIO_RAW_ULAW), RV_CODEC_G711);
    cr_expect_eq(codec_of("gsm.wav", RV_AUDIO_AUTO), RV_CODEC_GSM);
    cr_expect_eq(codec_of("sine.wav", RV_AUDIO_AUTO), RV_CODEC_OTHER);
    cr_expect_eq(codec_of("ima.wav", RV_AUDIO_AUTO), RV_CODEC_OTHER);
    cr_expect_eq(codec_of("sine16k.flac", RV_AUDIO_AUTO), RV_CODEC_OTHER);
}

Test(audio, decodes_other_containers) {
    expect_sine("sine.au", RV_AUDIO_AUTO, 8000, 0.3);
    expect_sine("sine16k.flac", RV_AUDIO_AUTO, 16000, 0.1);
    expect_sine("sine.ogg", RV_AUDIO_AUTO, 16000, 1.0);
}

Test(audio, decodes_headerless_g711_when_told) {
    expect_sine("sine.ul", RV_AUDIO_RAW_ULAW, 8000, 0.3);
    expect_sine("sine.al", RV_AUDIO_RAW_ALAW, 8000, 0.3);
    cr_expect_eq(rv_audio_hint_for_path("x/greeting.ul"), RV_AUDIO_RAW_ULAW);
    cr_expect_eq(rv_audio_hint_for_path("x/greeting.AL"), RV_AUDIO_RAW_ALAW);
    cr_expect_eq(rv_audio_hint_for_path("x/greeting.wav"), RV_AUDIO_AUTO);
    cr_expect_eq(rv_audio_hint_for_path("INBOX/msg0000.gsm"), RV_AUDIO_RAW_GSM);
    cr_expect_eq(rv_audio_hint_for_path("INBOX/msg0000.WAV"), RV_AUDIO_AUTO); /* wav49 has a header */
    cr_expect_eq(rv_audio_hint_for_path("noext"), RV_AUDIO_AUTO);
}

/* Asterisk's "gsm" format: bare GSM 06.10 frames, said by audio/x-gsm. */
Test(audio, decodes_headerless_gsm_when_told) {
    expect_sine("sine.gsm", RV_AUDIO_RAW_GSM, 8000, 1.5);
    cr_expect_eq(codec_of("sine.gsm", RV_AUDIO_RAW_GSM), RV_CODEC_GSM);
    cr_expect_eq(rv_audio_hint_for_type("audio/x-gsm"), RV_AUDIO_RAW_GSM);
    size_t len;
    unsigned char *b = slurp(fixture("sine.gsm"), &len);
    cr_assert(b);
    cr_expect_eq(rv_audio_is_quick(b, len, RV_AUDIO_RAW_GSM), 0, "every frame must be decoded to check it");
    rv_error e;
    cr_expect_eq(rv_audio_check(b, len, RV_AUDIO_RAW_GSM, &lim, &e), RV_OK, "%s", e.msg);
    free(b);
}

Test(audio, downmixes_stereo) {
    rv_pcm p;
    rv_error e;
    cr_assert_eq(rv_audio_decode_file(fixture("stereo.wav"), RV_AUDIO_AUTO, &lim, &p, &e), RV_OK);
    cr_expect_eq(p.channels, 2);
    cr_expect_eq(p.n, 16000);
    cr_expect(fabs(rms_db(&p) + 9.03) < 0.1);
    rv_pcm_free(&p);
}

Test(audio, memory_and_file_decoding_agree) {
    size_t len;
    unsigned char *b = slurp(fixture("gsm.wav"), &len);
    cr_assert_not_null(b);
    rv_pcm a, m;
    rv_error e;
    cr_assert_eq(rv_audio_decode_file(fixture("gsm.wav"), RV_AUDIO_AUTO, &lim, &a, &e), RV_OK);
    cr_assert_eq(rv_audio_decode(b, len, RV_AUDIO_AUTO, &lim, &m, &e), RV_OK);
    cr_assert_eq(a.n, m.n);
    cr_expect_eq(memcmp(a.samples, m.samples, a.n * sizeof(float)), 0);
    cr_expect_eq(m.bytes, len);
    rv_pcm_free(&a);
    rv_pcm_free(&m);
    free(b);
}

Test(audio, zero_bytes_is_an_empty_recording_not_an_error) {
    rv_pcm p;
    rv_error e;
    cr_assert_eq(rv_audio_decode("", 0, RV_AUDIO_AUTO, &lim, &p, &e), RV_OK);
    cr_expect_eq(p.n, 0);
    cr_expect_null(p.samples);
    rv_pcm_free(&p);
    cr_assert_eq(rv_audio_decode_file(fixture("empty.wav"), RV_AUDIO_AUTO, &lim, &p, &e), RV_OK);
    cr_expect_eq(p.n, 0);
}

static void expect_error(const char *name, rv_err want, const char *needle)
{
    rv_pcm p;
    rv_error e;
    rv_error_clear(&e);
    rv_err rc = rv_audio_decode_file(fixture(name), RV_AUDIO_AUTO, &lim, &p, &e);
    cr_expect_eq(rc, want, "%s: got %s (%s)", name, rv_err_slug(rc), e.msg);
    cr_expect_null(p.samples, "%s: out not zeroed", name);
    cr_expect_eq(p.n, 0);
    if (needle) cr_expect(strstr(e.msg, needle) != NULL, "%s: message '%s'", name, e.msg);
}

Test(audio, bad_input_gets_a_clear_error) {
    expect_error("truncated.wav", RV_ERR_AUDIO_TRUNCATED, "only 19956 are present");
    expect_error("header-only.wav", RV_ERR_AUDIO_TRUNCATED, "declares 32000 bytes");
    expect_error("liar.wav", RV_ERR_AUDIO_TRUNCATED, "declares 2147483647 bytes");
    expect_error("cut-header.wav", RV_ERR_AUDIO_TRUNCATED, "fmt");
    expect_error("truncated.au", RV_ERR_AUDIO_TRUNCATED, "AU header");
    expect_error("truncated.flac", RV_ERR_AUDIO_TRUNCATED, "promises 32000 samples");
    expect_error("rate192k.flac", RV_ERR_AUDIO_FORMAT, "above 48000 Hz");
    expect_error("random.bin", RV_ERR_AUDIO_FORMAT, "not a recognised audio format");
    expect_error("text.wav", RV_ERR_AUDIO_FORMAT, "look like text");
    expect_error("html.wav", RV_ERR_AUDIO_FORMAT, "look like text");
    expect_error("badrate.wav", RV_ERR_AUDIO_CORRUPT, "damaged WAV header");
}

Test(audio, missing_file_is_an_io_error) {
    rv_pcm p;
    rv_error e;
    cr_expect_eq(rv_audio_decode_file(fixture("no-such-file.wav"), RV_AUDIO_AUTO, &lim, &p, &e),
                 RV_ERR_IO);
    cr_expect(strstr(e.msg, "No such file") != NULL, "%s", e.msg);
    cr_expect_eq(rv_audio_decode_file(fixture("refs"), RV_AUDIO_AUTO, &lim, &p, &e), RV_ERR_IO);
}

Test(audio, byte_limit_is_checked_before_decoding) {
    rv_audio_limits small = {1000, 600};
    rv_pcm p;
    rv_error e;
    cr_expect_eq(rv_audio_decode_file(fixture("sine.wav"), RV_AUDIO_AUTO, &small, &p, &e),
                 RV_ERR_TOO_LARGE);
    cr_expect(strstr(e.msg, "limit is 1000 bytes") != NULL, "%s", e.msg);
    /* A buffer larger than the limit is refused without being read. */
    cr_expect_eq(rv_audio_decode((const void *)"x", (size_t)1 << 40, RV_AUDIO_AUTO, &small, &p, &e),
                 RV_ERR_TOO_LARGE);
}

Test(audio, duration_limit) {
    rv_audio_limits short_lim = {20 * 1024 * 1024, 10};
    rv_pcm p;
    rv_error e;
    cr_expect_eq(rv_audio_decode_file(fixture("long.wav"), RV_AUDIO_AUTO, &short_lim, &p, &e),
                 RV_ERR_TOO_LONG);
    cr_expect(strstr(e.msg, "limit is 10 s") != NULL, "%s", e.msg);
    /* Headerless audio has no length in a header: the limit holds as it is read. */
    rv_audio_limits tiny = {20 * 1024 * 1024, 1};
    cr_expect_eq(rv_audio_decode_file(fixture("sine.ul"), RV_AUDIO_RAW_ULAW, &tiny, &p, &e),
                 RV_ERR_TOO_LONG);
}

Test(audio, resamples_to_16k_for_recognition) {
    rv_pcm in, out;
    rv_error e;
    cr_assert_eq(rv_audio_decode_file(fixture("ulaw.wav"), RV_AUDIO_AUTO, &lim, &in, &e), RV_OK);
    cr_assert_eq(rv_audio_resample(&in, 16000, 0, &out, &e), RV_OK);
    cr_expect_eq(out.rate, 16000);
    cr_expect(labs((long)out.n - 32000) <= 2, "%zu", out.n);
    cr_expect(fabs(sine_freq(&out) - 1000) < 10, "%.1f", sine_freq(&out));
    cr_expect(fabs(rms_db(&out) - rms_db(&in)) < 0.3);
    rv_pcm_free(&out);
    cr_expect_eq(rv_audio_resample(&in, 100, 0, &out, &e), RV_ERR_ARG);
    rv_pcm_free(&in);
}

/* rv_audio_check (the service's upload check) agrees with rv_audio_decode on
 * every defect, without decoding G.711 and PCM. */
Test(audio, check_agrees_with_decode) {
    const char *names[] = {"truncated.wav", "header-only.wav", "liar.wav", "cut-header.wav", "truncated.au",
                           "truncated.flac", "random.bin", "text.wav", "badrate.wav", "ulaw.wav", "sine.wav",
                           "alaw.wav", "float.wav", "gsm.wav", "sine.au", "sine16k.flac"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        unsigned char *b = NULL;
        size_t n = 0;
        rv_error e, e2;
        cr_assert_eq(rv_file_read(fixture(names[i]), 1 << 24, &b, &n, &e), RV_OK, "%s", e.msg);
        rv_pcm p;
        rv_err want = rv_audio_decode(b, n, RV_AUDIO_AUTO, &lim, &p, &e);
        rv_pcm_free(&p);
        rv_err got = rv_audio_check(b, n, RV_AUDIO_AUTO, &lim, &e2);
        cr_expect_eq(got, want, "%s: check %s, decode %s", names[i], rv_err_slug(got), rv_err_slug(want));
        if (n > 200 && want == RV_OK) { /* cut the data short: both see it */
            want = rv_audio_decode(b, n - 100, RV_AUDIO_AUTO, &lim, &p, &e);
            rv_pcm_free(&p);
            got = rv_audio_check(b, n - 100, RV_AUDIO_AUTO, &lim, &e2);
            cr_expect_eq(got, want, "%s cut: check %s, decode %s", names[i], rv_err_slug(got), rv_err_slug(want));
            cr_expect_neq(got, RV_OK, "%s cut short", names[i]);
        }
        free(b);
    }
}

/* Whether a check decodes: G.711 and PCM with a length are checked from
 * their headers, compressed formats must be decoded (off the HTTP threads). */
Test(audio, which_checks_need_decoding) {
    const char *quick[] = {"sine.wav", "ulaw.wav", "alaw.wav", "float.wav", "sine.au", "truncated.wav", "random.bin"};
    const char *slow[] = {"sine16k.flac", "sine.ogg", "gsm.wav", "ima.wav"};
    for (int k = 0; k < 2; k++) {
        const char **names = k ? slow : quick;
        size_t n = k ? sizeof slow / sizeof *slow : sizeof quick / sizeof *quick;
        for (size_t i = 0; i < n; i++) {
            FILE *f = fopen(fixture(names[i]), "rb");
            cr_assert(f, "%s", names[i]);
            static char buf[1 << 20];
            size_t len = fread(buf, 1, sizeof buf, f);
            fclose(f);
            cr_expect_eq(rv_audio_is_quick(buf, len, RV_AUDIO_AUTO), !k, "%s", names[i]);
        }
    }
    cr_expect(rv_audio_is_quick("", 0, RV_AUDIO_AUTO));
    cr_expect(rv_audio_is_quick("\x7f\x7f", 2, RV_AUDIO_RAW_ULAW));
}

/* Above 16 kHz a recording is resampled to 16 kHz as it is decoded, so that
 * what is kept is bounded whatever its own rate; the report keeps that rate. */
Test(audio, high_rates_are_resampled_while_decoding) {
    expect_sine("rate48k.flac", RV_AUDIO_AUTO, 16000, 0.2);
    rv_pcm p;
    rv_error e;
    cr_assert_eq(rv_audio_decode_file(fixture("rate48k.flac"), RV_AUDIO_AUTO, &lim, &p, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(p.source_rate, 48000);
    rv_pcm_free(&p);
    cr_assert_eq(rv_audio_decode_file(fixture("sine.wav"), RV_AUDIO_AUTO, &lim, &p, &e), RV_OK);
    cr_expect_eq(p.rate, 8000, "lower rates as they are");
    rv_pcm_free(&p);
}
