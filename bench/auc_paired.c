/* Two or more scorings of the same trials compared (bench/adapt-es.sh):
 * each file is bench_real's trial dump (RV_BENCH_DUMP=1, its standard
 * error), the trials in the same order in every file. For each kind and
 * channel of trial: every scoring's AUC with its bootstrap 95 % interval
 * and n, and each scoring's difference from every one before it with its
 * paired bootstrap interval (bench_auc_diff_interval: the same trials
 * resampled together), so that a gain is judged on the trials that share it.
 * Usage: auc_paired LABEL=DUMP LABEL=DUMP [LABEL=DUMP ...] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

#define MAX_RUNS 8
#define MAX_TRIALS 8192

typedef struct {
    char key[96]; /* speaker, said, kind, channel, phones: what makes it the same trial */
    char group[48]; /* kind and channel */
    int said;
    double score;
} row;

static row rows[MAX_RUNS][MAX_TRIALS];
static size_t n_rows[MAX_RUNS];

static int load(const char *path, row *r, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "auc_paired: cannot read %s\n", path);
        return -1;
    }
    char line[2048];
    *n = 0;
    while (fgets(line, sizeof line, f)) {
        char *fld[16];
        int k = bench_fields(line, fld, 16);
        if (k < 13) continue; /* another line of the bench's */
        if (*n == MAX_TRIALS) {
            fprintf(stderr, "auc_paired: %s: more than %d trials\n", path, MAX_TRIALS);
            fclose(f);
            return -1;
        }
        row *o = &r[(*n)++];
        o->said = atoi(fld[1]);
        o->score = atof(fld[2]);
        snprintf(o->key, sizeof o->key, "%s/%s/%s/%s/%s", fld[0], fld[1], fld[6], fld[7], fld[10]);
        snprintf(o->group, sizeof o->group, "%s, %s", fld[6], fld[7]);
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    int runs = argc - 1;
    if (runs < 2 || runs > MAX_RUNS) {
        fprintf(stderr, "usage: auc_paired LABEL=DUMP LABEL=DUMP [LABEL=DUMP ...] (at most %d)\n", MAX_RUNS);
        return 64;
    }
    const char *label[MAX_RUNS];
    for (int r = 0; r < runs; r++) {
        char *eq = strchr(argv[r + 1], '=');
        if (!eq) {
            fprintf(stderr, "auc_paired: %s: LABEL=DUMP\n", argv[r + 1]);
            return 64;
        }
        *eq = '\0';
        label[r] = argv[r + 1];
        if (load(eq + 1, rows[r], &n_rows[r]) != 0) return 66;
        if (n_rows[r] != n_rows[0]) {
            fprintf(stderr, "auc_paired: %s has %zu trials, %s %zu: not the same trials\n", label[r], n_rows[r],
                    label[0], n_rows[0]);
            return 65;
        }
        for (size_t i = 0; i < n_rows[r]; i++)
            if (strcmp(rows[r][i].key, rows[0][i].key) != 0) {
                fprintf(stderr, "auc_paired: trial %zu differs: %s in %s, %s in %s\n", i + 1, rows[r][i].key,
                        label[r], rows[0][i].key, label[0]);
                return 65;
            }
    }
    size_t n = n_rows[0];
    double *pos[MAX_RUNS], *neg[MAX_RUNS];
    for (int r = 0; r < runs; r++) {
        pos[r] = malloc((n + 1) * sizeof **pos);
        neg[r] = malloc((n + 1) * sizeof **neg);
        if (!pos[r] || !neg[r]) return 70;
    }
    int *done = calloc(n + 1, sizeof *done);
    if (!done) return 70;
    for (size_t g = 0; g < n; g++) {
        if (done[g]) continue;
        size_t np = 0, nn = 0;
        for (size_t i = g; i < n; i++) {
            if (strcmp(rows[0][i].group, rows[0][g].group) != 0) continue;
            done[i] = 1;
            for (int r = 0; r < runs; r++) {
                if (rows[0][i].said) pos[r][np] = rows[r][i].score;
                else neg[r][nn] = rows[r][i].score;
            }
            if (rows[0][i].said) np++;
            else nn++;
        }
        printf("  %s: %zu+ %zu-\n", rows[0][g].group, np, nn);
        for (int r = 0; r < runs; r++) {
            double lo, hi, a = bench_auc_interval(pos[r], np, neg[r], nn, &lo, &hi);
            printf("    %-44s AUC %.3f [%.3f, %.3f]\n", label[r], a, lo, hi);
        }
        for (int r = 1; r < runs; r++)
            for (int q = 0; q < r; q++) {
                double dlo, dhi, d = bench_auc_diff_interval(pos[q], pos[r], np, neg[q], neg[r], nn, &dlo, &dhi, NULL);
                printf("    %s less %s: %+.3f [%+.3f, %+.3f] paired\n", label[r], label[q], d, dlo, dhi);
            }
    }
    for (int r = 0; r < runs; r++) free(pos[r]), free(neg[r]);
    free(done);
    return 0;
}
