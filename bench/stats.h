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

/* The paired difference AUC(b) - AUC(a) of two statistics of the same
 * trials (pos_a[i] and pos_b[i] the same said trial, neg_a[j] and neg_b[j]
 * the same not-said one), and in *lo, *hi its bootstrap 95 % interval:
 * said and not-said trials each resampled with replacement 2 000 times from
 * the fixed seed, both statistics computed on the same resampled trials;
 * *below (below may be NULL) the share of resamples in which the
 * difference is 0 or less.
 * 0 when either side is empty. Ends the process with status 70 when memory
 * runs out. */
double bench_auc_diff_interval(const double *pos_a, const double *pos_b, size_t np, const double *neg_a,
                               const double *neg_b, size_t nn, double *lo, double *hi, double *below);

/* line split in place at tabs and its newline into fld[0..max), as
 * bench_real's dump and the sets' manifests are written; the number of
 * fields. */
int bench_fields(char *line, char **fld, int max);

#endif
