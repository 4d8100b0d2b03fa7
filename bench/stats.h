/* The statistics the real-speech benches share: the AUC of said trials'
 * scores over not-said ones, its bootstrap 95 % interval, and the paired
 * interval of the difference between two scorings of the same trials. */
#ifndef RV_BENCH_STATS_H
#define RV_BENCH_STATS_H

#include <stddef.h>

/* The share of (said, not-said) pairs in which the said trial scores
 * higher, ties counting half; 0 when either side is empty. */
double bench_auc(const double *pos, size_t np, const double *neg, size_t nn);

/* bench_auc, and in *lo, *hi its bootstrap 95 % interval: said and
 * not-said trials each resampled with replacement 2 000 times from a fixed
 * seed, so that a run's intervals are the same every time (percentiles 2.5
 * and 97.5); 0 and 0 when either side is empty. Ends the process with
 * status 70 when memory runs out. */
double bench_auc_interval(const double *pos, size_t np, const double *neg, size_t nn, double *lo, double *hi);

/* The AUC of scoring b less that of scoring a, on the same trials
 * (pos_a[i] and pos_b[i] one said trial scored two ways, neg_a[j] and
 * neg_b[j] one not-said trial), and in *lo, *hi its bootstrap 95 %
 * interval: the trials resampled as bench_auc_interval resamples them, each
 * draw taking the trial's two scores together (a paired bootstrap), 2 000
 * times from the same fixed seed. 0 and 0 when either side is empty; status
 * 70 when memory runs out. */
double bench_auc_paired_interval(const double *pos_a, const double *pos_b, size_t np, const double *neg_a,
                                 const double *neg_b, size_t nn, double *lo, double *hi);

#endif
