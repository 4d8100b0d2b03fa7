/* Shared helpers for the unit tests: fixture paths, file reading and
 * synthetic signals with known content. */
#ifndef RV_TEST_HELPERS_H
#define RV_TEST_HELPERS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rostvakt/audio.h"
#include "rostvakt/fileio.h"

static inline const char *fixture(const char *name)
{
    static char buf[4][1024];
    static int slot;
    const char *dir = getenv("RV_FIXTURES");
    char *b = buf[slot++ & 3];
    snprintf(b, 1024, "%s/%s", dir ? dir : "build/fixtures", name);
    return b;
}

/* The profile directories of tests that dispose of recordings: the shipped
 * profiles with a gallringsbeslut named (made by the Makefile). */
static inline const char *test_profile_dirs(void)
{
    const char *d = getenv("RV_TEST_PROFILES");
    return d && *d ? d : "models/profiles:build/test-profiles";
}

/* Whole file into a new buffer; *len gets its size. NULL if unreadable. */
static inline unsigned char *slurp(const char *path, size_t *len)
{
    unsigned char *b;
    rv_error e;
    return rv_file_read(path, 0, &b, len, &e) == RV_OK ? b : NULL;
}

static inline rv_pcm pcm_alloc(int rate, double seconds)
{
    rv_pcm p = {0};
    p.rate = rate;
    p.channels = 1;
    p.n = (size_t)(seconds * rate);
    p.samples = calloc(p.n ? p.n : 1, sizeof(float));
    return p;
}

static inline void add_sine(rv_pcm *p, double f, double amp, double t0, double t1)
{
    for (size_t i = (size_t)(t0 * p->rate); i < p->n && i < (size_t)(t1 * p->rate); i++)
        p->samples[i] += (float)(amp * sin(2 * M_PI * f * i / p->rate));
}

/* Deterministic white noise in [-amp, amp]. */
static inline void add_noise(rv_pcm *p, double amp, unsigned seed)
{
    for (size_t i = 0; i < p->n; i++) {
        seed = seed * 1103515245u + 12345u;
        p->samples[i] += (float)(amp * (((seed >> 8) & 0xFFFF) / 32768.0 - 1.0));
    }
}

/* A crude voiced "utterance" from t0 to t1: a glottal-like harmonic series
 * whose pitch glides 110 -> 150 -> 110 Hz, shaped by two formant peaks and
 * a 4 Hz syllable envelope. */
static inline void add_voice(rv_pcm *p, double t0, double t1, double amp)
{
    double phase = 0;
    for (size_t i = (size_t)(t0 * p->rate); i < p->n && i < (size_t)(t1 * p->rate); i++) {
        double t = (double)i / p->rate - t0, span = t1 - t0;
        double f0 = 110 + 40 * sin(M_PI * t / span);
        phase += 2 * M_PI * f0 / p->rate;
        double s = 0;
        for (int h = 1; h * f0 < 3400; h++) {
            double fh = h * f0;
            double g = 1.0 / (1 + pow((fh - 600) / 200, 2)) + 0.5 / (1 + pow((fh - 1700) / 300, 2));
            s += g * sin(h * phase);
        }
        double env = 0.6 + 0.4 * sin(2 * M_PI * 4 * t);
        p->samples[i] += (float)(amp * env * s / 3);
    }
}

#endif
