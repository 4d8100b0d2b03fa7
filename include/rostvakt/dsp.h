/* Framewise spectral analysis. Owns FFTW: plans are created once per size,
 * under a lock, and shared by every thread for the life of the process. */
#ifndef RV_DSP_H
#define RV_DSP_H

#include <stddef.h>

#include "rostvakt/err.h"

typedef struct {
    size_t win;      /* Hann window length in samples */
    size_t hop;      /* frame advance in samples */
    size_t nfft;     /* FFT size, >= win (2*win when voicing is wanted) */
    int voicing;     /* also compute the autocorrelation pitch measure */
    double f0_min;   /* pitch range searched for voicing, Hz */
    double f0_max;
} rv_stft_opts;

/* One analysis frame; pointers are valid only during the callback. */
typedef struct {
    size_t index;        /* frame i stands for samples [i*hop, (i+1)*hop) */
    const float *power;  /* |X(k)|^2 for k = 0 .. nbins-1 */
    size_t nbins;        /* nfft/2 + 1 */
    size_t win;          /* window length, samples */
    double bin_hz;       /* rate / nfft */
    double norm;         /* divide 2*sum(power) by this to get mean square */
    float voicing;       /* 0..1 normalised autocorrelation peak (or 0) */
    float f0_hz;         /* its pitch, Hz (or 0) */
} rv_stft_frame;

/* Return non-zero to stop the analysis early. */
typedef int (*rv_stft_cb)(const rv_stft_frame *frame, void *user);

/* Defaults for speech analysis at rate: 40 ms Hann window, 10 ms hop,
 * nfft 2*win, voicing on for 70..400 Hz. */
rv_stft_opts rv_stft_speech_opts(int rate);

/* Run a short-time Fourier analysis over x and call cb for each of the
 * ceil(n/hop) frames in order. Errors: RV_ERR_ARG for a bad option,
 * RV_ERR_NOMEM. Thread-safe. */
RV_MUST_USE rv_err rv_stft_run(const float *x, size_t n, int rate, const rv_stft_opts *opts,
                               rv_stft_cb cb, void *user, rv_error *err);

/* Destroy the cached plans; call only when no analysis is running. */
void rv_dsp_cleanup(void);

#endif
