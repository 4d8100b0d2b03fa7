/* Short-time Fourier analysis on FFTW. Plan creation is not thread-safe in
 * FFTW, so plans are cached per size behind a mutex; executing a plan on new
 * arrays (fftwf_execute_dft_r2c) is, so analyses run in parallel. */
#include "rostvakt/dsp.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PLANS 16

typedef struct {
    size_t n;
    fftwf_plan fwd; /* real -> complex */
    fftwf_plan inv; /* complex -> real */
} plan_pair;

static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;
static plan_pair plans[MAX_PLANS];
static size_t n_plans;

static const plan_pair *get_plans(size_t n)
{
    const plan_pair *found = NULL;
    pthread_mutex_lock(&plan_lock);
    for (size_t i = 0; i < n_plans; i++)
        if (plans[i].n == n) { found = &plans[i]; goto done; }
    if (n_plans == MAX_PLANS) goto done;
    float *r = fftwf_malloc(sizeof(float) * n);
    fftwf_complex *c = fftwf_malloc(sizeof(fftwf_complex) * (n / 2 + 1));
    if (r && c) {
        plan_pair *p = &plans[n_plans];
        p->fwd = fftwf_plan_dft_r2c_1d((int)n, r, c, FFTW_ESTIMATE);
        p->inv = fftwf_plan_dft_c2r_1d((int)n, c, r, FFTW_ESTIMATE);
        if (p->fwd && p->inv) {
            p->n = n;
            found = p;
            n_plans++;
        } else {
            if (p->fwd) fftwf_destroy_plan(p->fwd);
            if (p->inv) fftwf_destroy_plan(p->inv);
        }
    }
    fftwf_free(r);
    fftwf_free(c);
done:
    pthread_mutex_unlock(&plan_lock);
    return found;
}

void rv_dsp_cleanup(void)
{
    pthread_mutex_lock(&plan_lock);
    for (size_t i = 0; i < n_plans; i++) {
        fftwf_destroy_plan(plans[i].fwd);
        fftwf_destroy_plan(plans[i].inv);
    }
    n_plans = 0;
    fftwf_cleanup();
    pthread_mutex_unlock(&plan_lock);
}

rv_stft_opts rv_stft_speech_opts(int rate)
{
    rv_stft_opts o;
    o.win = (size_t)lround(0.040 * rate);
    o.hop = (size_t)lround(0.010 * rate);
    if (o.hop == 0) o.hop = 1;
    o.nfft = 2 * o.win;
    o.voicing = 1;
    o.f0_min = 70;
    o.f0_max = 400;
    return o;
}

rv_err rv_stft_run(const float *x, size_t n, int rate, const rv_stft_opts *o,
                   rv_stft_cb cb, void *user, rv_error *err)
{
    if (!o || o->win < 16 || o->hop == 0 || o->nfft < o->win || o->nfft > (1u << 20) ||
        rate <= 0 || (o->voicing && o->nfft < 2 * o->win))
        return rv_error_set(err, RV_ERR_ARG, "invalid STFT options");
    if (n == 0) return RV_OK;

    const plan_pair *pp = get_plans(o->nfft);
    if (!pp) return rv_error_set(err, RV_ERR_NOMEM, "cannot create FFT plan of size %zu", o->nfft);

    size_t nb = o->nfft / 2 + 1;
    float *win = malloc(sizeof(float) * o->win);
    float *in = fftwf_malloc(sizeof(float) * o->nfft);
    fftwf_complex *spec = fftwf_malloc(sizeof(fftwf_complex) * nb);
    float *power = malloc(sizeof(float) * nb);
    float *wacf = NULL;
    rv_err rc = RV_OK;
    if (!win || !in || !spec || !power) {
        rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        goto done;
    }
    double sum_w2 = 0;
    for (size_t i = 0; i < o->win; i++) {
        win[i] = (float)(0.5 - 0.5 * cos(2 * M_PI * (i + 0.5) / o->win));
        sum_w2 += (double)win[i] * win[i];
    }

    size_t lag_lo = 0, lag_hi = 0;
    if (o->voicing) {
        lag_lo = (size_t)floor(rate / o->f0_max);
        lag_hi = (size_t)ceil(rate / o->f0_min);
        if (lag_hi > o->win / 2) lag_hi = o->win / 2;
        if (lag_lo < 2) lag_lo = 2;
        /* The window's own autocorrelation, to undo its taper (Boersma 1993). */
        wacf = malloc(sizeof(float) * (lag_hi + 1));
        if (!wacf) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); goto done; }
        for (size_t l = 0; l <= lag_hi; l++) {
            double s = 0;
            for (size_t i = 0; i + l < o->win; i++) s += (double)win[i] * win[i + l];
            wacf[l] = (float)(s / sum_w2);
        }
    }

    size_t frames = (n + o->hop - 1) / o->hop;
    rv_stft_frame fr = {.nbins = nb, .win = o->win, .bin_hz = (double)rate / o->nfft,
                        .norm = (double)o->nfft * sum_w2, .power = power};
    for (size_t f = 0; f < frames; f++) {
        /* Centre the window on the middle of hop block f. */
        long start = (long)(f * o->hop + o->hop / 2) - (long)(o->win / 2);
        memset(in, 0, sizeof(float) * o->nfft);
        for (size_t i = 0; i < o->win; i++) {
            long j = start + (long)i;
            if (j >= 0 && (size_t)j < n) in[i] = x[j] * win[i];
        }
        fftwf_execute_dft_r2c(pp->fwd, in, spec);
        for (size_t k = 0; k < nb; k++) {
            power[k] = spec[k][0] * spec[k][0] + spec[k][1] * spec[k][1];
        }
        fr.index = f;
        fr.voicing = 0;
        fr.f0_hz = 0;
        if (o->voicing) {
            for (size_t k = 0; k < nb; k++) {
                spec[k][0] = power[k];
                spec[k][1] = 0;
            }
            fftwf_execute_dft_c2r(pp->inv, spec, in); /* autocorrelation */
            float r0 = in[0];
            if (r0 > 1e-12f) {
                float best = 0;
                size_t best_l = 0;
                for (size_t l = lag_lo; l <= lag_hi; l++) {
                    float v = in[l] / r0 / wacf[l];
                    if (v > best && in[l] >= in[l - 1] && in[l] >= in[l + 1]) best = v;
                }
                /* The shortest lag close to the best avoids octave errors:
                 * a period repeats at every multiple. */
                for (size_t l = lag_lo; l <= lag_hi && best > 0; l++) {
                    float v = in[l] / r0 / wacf[l];
                    if (v >= 0.9f * best && in[l] >= in[l - 1] && in[l] >= in[l + 1]) {
                        best_l = l;
                        break;
                    }
                }
                fr.voicing = best > 1.0f ? 1.0f : best;
                fr.f0_hz = best_l ? (float)rate / (float)best_l : 0;
            }
        }
        if (cb(&fr, user)) break;
    }
done:
    free(win);
    fftwf_free(in);
    fftwf_free(spec);
    free(power);
    free(wacf);
    return rc;
}
