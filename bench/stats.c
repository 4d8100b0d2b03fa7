/* The statistics the real-speech benches share (bench/stats.h). */
#include "stats.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

double bench_auc_diff_interval(const double *pos_a, const double *pos_b, size_t np, const double *neg_a,
                               const double *neg_b, size_t nn, double *lo, double *hi, double *below)
{
    *lo = *hi = 0;
    if (below) *below = 0;
    if (!np || !nn) return 0;
    double *pa = malloc(np * sizeof *pa), *pb = malloc(np * sizeof *pb), *na = malloc(nn * sizeof *na),
           *nb = malloc(nn * sizeof *nb), *reps = malloc(BOOTSTRAP * sizeof *reps);
    if (!pa || !pb || !na || !nb || !reps) {
        fprintf(stderr, "bench: out of memory\n");
        exit(70);
    }
    uint64_t state = 0x9E3779B97F4A7C15ull;
    int not_above = 0;
    for (int b = 0; b < BOOTSTRAP; b++) {
        for (size_t i = 0; i < np; i++) {
            size_t k = draw(&state, np);
            pa[i] = pos_a[k], pb[i] = pos_b[k];
        }
        for (size_t j = 0; j < nn; j++) {
            size_t k = draw(&state, nn);
            na[j] = neg_a[k], nb[j] = neg_b[k];
        }
        reps[b] = bench_auc(pb, np, nb, nn) - bench_auc(pa, np, na, nn);
        not_above += reps[b] <= 0;
    }
    qsort(reps, BOOTSTRAP, sizeof *reps, by_value);
    *lo = reps[(int)(0.025 * BOOTSTRAP)];
    *hi = reps[(int)(0.975 * BOOTSTRAP) - 1];
    if (below) *below = (double)not_above / BOOTSTRAP;
    free(pa), free(pb), free(na), free(nb), free(reps);
    return bench_auc(pos_b, np, neg_b, nn) - bench_auc(pos_a, np, neg_a, nn);
}

int bench_fields(char *line, char **fld, int max)
{
    int k = 0;
    for (char *p = line, *s; k < max && (s = strsep(&p, "\t\n"));) fld[k++] = s;
    return k;
}
