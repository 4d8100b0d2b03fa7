/* The statistics the real-speech benches share (bench/stats.h). */
#include "stats.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

double bench_auc(const double *pos, size_t np, const double *neg, size_t nn)
{
    double wins = 0;
    for (size_t i = 0; i < np; i++)
        for (size_t j = 0; j < nn; j++) wins += pos[i] > neg[j] ? 1 : pos[i] == neg[j] ? 0.5 : 0;
    return np && nn ? wins / ((double)np * (double)nn) : 0;
}

/* xorshift64*: the same draws from the same seed */
static size_t draw(uint64_t *state, size_t n)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (size_t)((*state * 0x2545F4914F6CDD1Dull) >> 33) % n;
}

static int by_value(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

#define BOOTSTRAP 2000

double bench_auc_interval(const double *pos, size_t np, const double *neg, size_t nn, double *lo, double *hi)
{
    *lo = *hi = 0;
    if (!np || !nn) return 0;
    double *bp = malloc(np * sizeof *bp), *bn = malloc(nn * sizeof *bn), *reps = malloc(BOOTSTRAP * sizeof *reps);
    if (!bp || !bn || !reps) {
        fprintf(stderr, "bench: out of memory\n");
        exit(70);
    }
    uint64_t state = 0x9E3779B97F4A7C15ull;
    for (int b = 0; b < BOOTSTRAP; b++) {
        for (size_t i = 0; i < np; i++) bp[i] = pos[draw(&state, np)];
        for (size_t j = 0; j < nn; j++) bn[j] = neg[draw(&state, nn)];
        reps[b] = bench_auc(bp, np, bn, nn);
    }
    qsort(reps, BOOTSTRAP, sizeof *reps, by_value);
    *lo = reps[(int)(0.025 * BOOTSTRAP)];
    *hi = reps[(int)(0.975 * BOOTSTRAP) - 1];
    free(bp), free(bn), free(reps);
    return bench_auc(pos, np, neg, nn);
}
