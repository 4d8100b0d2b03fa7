/* The synthetic template's fit beside the shipped score (bench/tts-template.sh):
 * reads bench_real trial dumps (RV_BENCH_DUMP=1 with RV_BENCH_TMPL_PG=1:
 * column 4 the template's posteriorgram distance, -1 for none) and, for
 * each speaker (a half) and channel of the read-sentence word trials that
 * have a template, reports the AUC with its bootstrap 95 % interval and n
 * of: the shipped score (the ratio per frame); the template alone (lower
 * distance: said); the rank sum of the two within the group (no weight
 * learned); the sum of z-scores, each statistic scaled by its mean and
 * standard deviation on the tune speaker's trials of the same channel, with
 * weight 1 and with the template's weight that does best on the tune
 * speaker (a grid 0..3 in steps of 0.05); and each one's paired difference
 * from the shipped score (bench_auc_diff_interval: the same trials
 * resampled together). Also the shipped AUC over every word trial of the
 * group, with or without a template (clips of 30 s or more keep no senone
 * scores).
 * TMPL_STAT=bg: the template's distance less its background (the mean,
 * over the clip's frames, of the best path's mean distance ending there;
 * bench_real's dump columns 15 and 16); TMPL_STAT=z: that over their sd;
 * TMPL_STAT=self: less the template's distance to itself (column 17).
 * Usage: tmpl_fuse TUNE_SPEAKER DUMP [DUMP ...] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

#define MAX_ROWS 16384
#define FLOOR (-60.0) /* a score of a phrase not found (-1e9) counts as this in the z-scores */

typedef struct {
    char speaker[48], channel[16], kind[16];
    int said, has;
    double s, d;
} row;

static row rows[MAX_ROWS];
static size_t n_rows;

static void load(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "tmpl_fuse: cannot read %s\n", path);
        exit(66);
    }
    char line[2048];
    while (fgets(line, sizeof line, f) && n_rows < MAX_ROWS) {
        char *fld[20];
        int k = bench_fields(line, fld, 20);
        if (k < 13 || (strcmp(fld[6], "sentence") && strcmp(fld[6], "words"))) continue;
        row *r = &rows[n_rows++];
        snprintf(r->kind, sizeof r->kind, "%s", fld[6]);
        snprintf(r->speaker, sizeof r->speaker, "%s", fld[0]);
        snprintf(r->channel, sizeof r->channel, "%s", fld[7]);
        r->said = atoi(fld[1]);
        r->s = atof(fld[2]);
        r->d = atof(fld[3]);
        r->has = r->d >= 0;
        /* TMPL_STAT=bg: less the mean over the clip's end frames (columns 15, 16 of the dump);
         * z: that over their sd */
        const char *st = getenv("TMPL_STAT");
        if (st && strcmp(st, "min") && (k < 16 || atof(fld[14]) < 0)) r->has = 0;
        else if (st && !strcmp(st, "bg")) r->d -= atof(fld[14]);
        else if (st && !strcmp(st, "z")) r->d = (r->d - atof(fld[14])) / atof(fld[15]);
        else if (st && !strcmp(st, "self")) r->d -= k > 16 ? atof(fld[16]) : 0;
    }
    fclose(f);
}

static double clampf(double s) { return s < FLOOR ? FLOOR : s; }

/* mean and sd of the shipped score and the distance over the trials with a template of sp, ch */
static int moments(const char *sp, const char *ch, double m[2], double sd[2])
{
    double s1[2] = {0}, s2[2] = {0};
    size_t n = 0;
    for (size_t i = 0; i < n_rows; i++) {
        const row *r = &rows[i];
        if (!r->has || strcmp(r->speaker, sp) || strcmp(r->channel, ch) || strcmp(r->kind, "sentence")) continue;
        double v[2] = {clampf(r->s), -r->d};
        for (int k = 0; k < 2; k++) s1[k] += v[k], s2[k] += v[k] * v[k];
        n++;
    }
    if (n < 2) return 0;
    for (int k = 0; k < 2; k++) {
        m[k] = s1[k] / (double)n;
        sd[k] = sqrt(s2[k] / (double)n - m[k] * m[k]);
    }
    return 1;
}

enum { ST_SHIPPED, ST_TMPL, ST_RANK, ST_Z1, ST_ZW, N_ST };
static const char *const st_names[N_ST] = {"shipped score", "template alone", "rank-sum fusion", "z-fusion, w=1",
                                           "z-fusion, w tuned"};

/* the statistics of the group's trials with a template, into val[st][i] (i over idx) */
static const char *g_kind = "sentence";
static size_t group(const char *sp, const char *ch, size_t *idx, double *val[N_ST], const double m[2],
                    const double sd[2], double w)
{
    size_t n = 0;
    for (size_t i = 0; i < n_rows; i++)
        if (rows[i].has && !strcmp(rows[i].speaker, sp) && !strcmp(rows[i].channel, ch) && !strcmp(rows[i].kind, g_kind))
            idx[n++] = i;
    for (size_t a = 0; a < n; a++) {
        const row *r = &rows[idx[a]];
        double rs = 0, rt = 0;
        for (size_t b = 0; b < n; b++) {
            const row *q = &rows[idx[b]];
            rs += q->s < r->s ? 1 : q->s == r->s ? 0.5 : 0;
            rt += q->d > r->d ? 1 : q->d == r->d ? 0.5 : 0;
        }
        double zs = (clampf(r->s) - m[0]) / sd[0], zt = (-r->d - m[1]) / sd[1];
        val[ST_SHIPPED][a] = r->s;
        val[ST_TMPL][a] = -r->d;
        val[ST_RANK][a] = rs + rt;
        val[ST_Z1][a] = zs + zt;
        val[ST_ZW][a] = zs + w * zt;
    }
    return n;
}

static size_t split(const size_t *idx, size_t n, const double *v, double *pos, double *neg, size_t *nn)
{
    size_t np = 0;
    *nn = 0;
    for (size_t a = 0; a < n; a++) {
        if (rows[idx[a]].said) pos[np++] = v[a];
        else neg[(*nn)++] = v[a];
    }
    return np;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: tmpl_fuse TUNE_SPEAKER DUMP [DUMP ...]\n");
        return 64;
    }
    const char *tune = argv[1];
    for (int i = 2; i < argc; i++) load(argv[i]);
    static size_t idx[MAX_ROWS];
    static double buf[N_ST][MAX_ROWS], pa[MAX_ROWS], na[MAX_ROWS], pb[MAX_ROWS], nb[MAX_ROWS];
    double *val[N_ST];
    for (int k = 0; k < N_ST; k++) val[k] = buf[k];
    /* the groups, in order of appearance */
    char seen[64][96];
    int n_seen = 0;
    for (size_t i = 0; i < n_rows && n_seen < 64; i++) {
        char key[96];
        snprintf(key, sizeof key, "%.47s\t%.15s\t%.15s", rows[i].speaker, rows[i].channel, rows[i].kind);
        int j = 0;
        while (j < n_seen && strcmp(seen[j], key)) j++;
        if (j == n_seen) memcpy(seen[n_seen++], key, sizeof key);
    }
    for (int g = 0; g < n_seen; g++) {
        char sp[48], ch[16], kd[16];
        sscanf(seen[g], "%47[^\t]\t%15[^\t]\t%15s", sp, ch, kd);
        double m[2], sd[2];
        int have_z = moments(tune, ch, m, sd);
        if (!have_z) m[0] = m[1] = 0, sd[0] = sd[1] = 1;
        /* the template's weight, chosen on the tune speaker's trials of the channel */
        double best_w = 1, best_auc = -1;
        g_kind = "sentence";
        for (int k = 0; have_z && k <= 60; k++) {
            double w = 0.05 * k;
            size_t n = group(tune, ch, idx, val, m, sd, w), nn;
            size_t np = split(idx, n, val[ST_ZW], pa, na, &nn);
            double a = bench_auc(pa, np, na, nn);
            if (a > best_auc + 1e-12) best_auc = a, best_w = w;
        }
        /* the shipped score over every trial of the group */
        size_t np_all = 0, nn_all = 0;
        for (size_t i = 0; i < n_rows; i++)
            if (!strcmp(rows[i].speaker, sp) && !strcmp(rows[i].channel, ch) && !strcmp(rows[i].kind, kd)) {
                if (rows[i].said) pa[np_all++] = rows[i].s;
                else na[nn_all++] = rows[i].s;
            }
        double lo, hi;
        double a_all = bench_auc_interval(pa, np_all, na, nn_all, &lo, &hi);
        g_kind = kd;
        printf("%s, %s, %s: shipped score over every word trial %.3f [%.3f, %.3f] (%zu+ %zu-); with a template:\n", sp,
               kd, ch, a_all, lo, hi, np_all, nn_all);
        size_t n = group(sp, ch, idx, val, m, sd, best_w), nn, nn2;
        for (int k = 0; k < (have_z ? N_ST : ST_Z1); k++) {
            size_t np = split(idx, n, val[k], pa, na, &nn);
            double a = bench_auc_interval(pa, np, na, nn, &lo, &hi);
            printf("  %-18s AUC %.3f [%.3f, %.3f] (%zu+ %zu-)", st_names[k], a, lo, hi, np, nn);
            if (k == ST_ZW) printf(" w=%.2f (on %s)", best_w, tune);
            if (k != ST_SHIPPED) {
                split(idx, n, val[ST_SHIPPED], pb, nb, &nn2);
                double below, dlo, dhi;
                double d = bench_auc_diff_interval(pb, pa, np, nb, na, nn, &dlo, &dhi, &below);
                printf("  - shipped: %+.3f [%+.3f, %+.3f] (resamples <= 0: %.3f)", d, dlo, dhi, below);
            }
            printf("\n");
        }
        if (have_z) printf("  z-scales (%s, %s): score %.2f +- %.2f, -distance %.3f +- %.3f\n", tune, ch, m[0], sd[0], m[1], sd[1]);
    }
    return 0;
}
