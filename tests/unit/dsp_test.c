/* The STFT: bins, energy normalisation, voicing, and plans shared by threads. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>

#include "helpers.h"
#include "rostvakt/dsp.h"

typedef struct {
    size_t frames, peak_bin_sum;
    double ms_sum, voicing_sum, f0_sum;
} stats;

static int collect(const rv_stft_frame *f, void *user)
{
    stats *s = user;
    size_t kmax = 0;
    double sum = 0;
    for (size_t k = 0; k < f->nbins; k++) {
        sum += f->power[k];
        if (f->power[k] > f->power[kmax]) kmax = k;
    }
    s->frames++;
    s->peak_bin_sum += kmax;
    s->ms_sum += 2 * sum / f->norm;
    s->voicing_sum += f->voicing;
    s->f0_sum += f->f0_hz;
    return 0;
}

Test(dsp, sine_peaks_in_its_bin_with_its_energy) {
    rv_pcm p = pcm_alloc(8000, 1);
    add_sine(&p, 1000, 0.5, 0, 1);
    rv_stft_opts o = rv_stft_speech_opts(8000);
    stats s = {0};
    rv_error e;
    cr_assert_eq(rv_stft_run(p.samples, p.n, 8000, &o, collect, &s, &e), RV_OK);
    cr_expect_eq(s.frames, 100);
    /* nfft 640 at 8 kHz: 12.5 Hz a bin, 1000 Hz is bin 80 (edges excluded by averaging). */
    cr_expect(fabs((double)s.peak_bin_sum / s.frames - 80) < 0.5);
    /* Mean square of a 0.5 sine is 0.125 (first and last frames are half empty). */
    cr_expect(fabs(s.ms_sum / s.frames - 0.125) < 0.01, "%.4f", s.ms_sum / s.frames);
    rv_pcm_free(&p);
}

Test(dsp, periodic_pulses_are_voiced_and_noise_is_not) {
    rv_pcm p = pcm_alloc(8000, 1);
    for (size_t i = 0; i < p.n; i += 50) p.samples[i] = 0.8f; /* 160 Hz */
    rv_stft_opts o = rv_stft_speech_opts(8000);
    stats s = {0};
    rv_error e;
    cr_assert_eq(rv_stft_run(p.samples, p.n, 8000, &o, collect, &s, &e), RV_OK);
    cr_expect(s.voicing_sum / s.frames > 0.8, "%.2f", s.voicing_sum / s.frames);
    cr_expect(fabs(s.f0_sum / s.frames - 160) < 8, "%.1f", s.f0_sum / s.frames);
    rv_pcm_free(&p);

    rv_pcm n = pcm_alloc(8000, 1);
    add_noise(&n, 0.3, 1);
    stats t = {0};
    cr_assert_eq(rv_stft_run(n.samples, n.n, 8000, &o, collect, &t, &e), RV_OK);
    cr_expect(t.voicing_sum / t.frames < 0.35, "%.2f", t.voicing_sum / t.frames);
    rv_pcm_free(&n);
}

Test(dsp, rejects_bad_options) {
    rv_stft_opts o = rv_stft_speech_opts(8000);
    o.hop = 0;
    float x[64] = {0};
    stats s = {0};
    rv_error e;
    cr_expect_eq(rv_stft_run(x, 64, 8000, &o, collect, &s, &e), RV_ERR_ARG);
    o = rv_stft_speech_opts(8000);
    o.nfft = o.win; /* voicing needs 2*win */
    cr_expect_eq(rv_stft_run(x, 64, 8000, &o, collect, &s, &e), RV_ERR_ARG);
}

typedef struct {
    rv_pcm *p;
    stats s;
    int rc; /* the runs' errors, or'ed */
} job;

static void *worker(void *arg)
{
    job *j = arg;
    rv_stft_opts o = rv_stft_speech_opts(j->p->rate);
    rv_error e;
    for (int r = 0; r < 5; r++) {
        memset(&j->s, 0, sizeof j->s);
        j->rc |= rv_stft_run(j->p->samples, j->p->n, j->p->rate, &o, collect, &j->s, &e);
    }
    return NULL;
}

Test(dsp, threads_share_plans_and_agree) {
    rv_pcm p = pcm_alloc(16000, 2);
    add_voice(&p, 0.2, 1.8, 0.3);
    job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i].p = &p;
        jobs[i].rc = RV_OK;
        pthread_create(&th[i], NULL, worker, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) cr_expect_eq(jobs[i].rc, RV_OK);
    for (int i = 1; i < 4; i++) {
        cr_expect_eq(jobs[i].s.frames, jobs[0].s.frames);
        cr_expect_eq(jobs[i].s.ms_sum, jobs[0].s.ms_sum);
        cr_expect_eq(jobs[i].s.voicing_sum, jobs[0].s.voicing_sum);
    }
    rv_pcm_free(&p);
}
