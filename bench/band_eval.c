/* Three-way bands chosen on one speaker's trials and applied to the
 * others', from bench_real's trial dump (RV_BENCH_DUMP=1, its standard
 * error; the margin is its 14th column), by rostvakt calibrate's own rule
 * (rv_cal_choose_band) at a given share right and z, without scoring
 * anything again: so that the rule calibrate applies to an installation's
 * reviews can be measured on trials already scored. Bands per kind of
 * trial (sentence words: a unit's; phrases scored as names: a name's; the
 * same phrases scored as units: a unit's) and channel. For each speaker: the shipped three-way verdicts (the margin
 * within ln(c / (1 - c)) / slope of nought is unsure, with the shipped
 * slopes and verdict_min_confidence) and the chosen band's: unsure, and
 * confident verdicts right (n).
 * BAND_EVAL_REVIEWS=unsure takes as reviews only FROM_SPEAKER's trials the
 * shipped verdicts left unsure, as an installation whose officers review
 * only the unsure list would have them; unsure:K adds every K-th of the
 * confident ones (a sample of them reviewed as well); with
 * BAND_EVAL_WEIGHTED=1 each of those counts K times, as calibrate counts a
 * review of the review list's sample (rv_cal_choose_band_weighted), and
 * BAND_EVAL_PHASE=P takes the confident trials P, P + K, ... instead of
 * 0, K, ... (another draw of the same share). A band wider than the
 * shipped one is kept only where the reviews show the shipped one wrong,
 * as calibrate keeps it (BAND_EVAL_WIDEN=always: any band that qualifies).
 * Usage: band_eval DUMP FROM_SPEAKER [MIN_RIGHT [Z]]  (default calibrate's,
 * RV_CAL_MIN_RIGHT at RV_CAL_Z; 0.90 0 is bench_real's real-voice band) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rostvakt/calibrate.h"
#include "rostvakt/config.h"
#include "stats.h"

#define MAX_TRIALS 16384

typedef struct {
    char speaker[48], kind[16], channel[12];
    int said;
    double margin;
} trial;

static trial t[MAX_TRIALS];
static size_t n;

static void verdicts(const char *speaker, const char *kind, const char *channel, double lo, double hi, int *all,
                     int *unsure, int *conf, int *right)
{
    *all = *unsure = *conf = *right = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].speaker, speaker) || strcmp(t[i].kind, kind) || strcmp(t[i].channel, channel)) continue;
        double m = t[i].margin;
        ++*all;
        if (m > -1e8 && m > lo && m < hi) {
            ++*unsure;
            continue;
        }
        ++*conf;
        if ((m > -1e8 && m >= hi) == (t[i].said != 0)) ++*right;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: band_eval DUMP FROM_SPEAKER [MIN_RIGHT [Z]]\n");
        return 64;
    }
    double min_right = argc > 3 ? atof(argv[3]) : RV_CAL_MIN_RIGHT, z = argc > 4 ? atof(argv[4]) : RV_CAL_Z;
    if (!(min_right >= 0.5 && min_right < 1) || !(z >= 0 && z <= 4)) {
        fprintf(stderr, "band_eval: MIN_RIGHT 0.5..1, Z 0..4\n");
        return 64;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        fprintf(stderr, "band_eval: cannot read %s\n", argv[1]);
        return 66;
    }
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        char *fld[16];
        int k = bench_fields(line, fld, 16);
        if (k < 14 || !*fld[13]) continue; /* another line, or a dump without margins */
        if (n == MAX_TRIALS) {
            fprintf(stderr, "band_eval: more than %d trials\n", MAX_TRIALS);
            return 65;
        }
        trial *o = &t[n++];
        snprintf(o->speaker, sizeof o->speaker, "%s", fld[0]);
        snprintf(o->kind, sizeof o->kind, "%s", fld[6]);
        snprintf(o->channel, sizeof o->channel, "%s", fld[7]);
        o->said = atoi(fld[1]);
        o->margin = atof(fld[13]);
    }
    fclose(f);
    if (!n) {
        fprintf(stderr, "band_eval: %s holds no trials with margins (bench_real's RV_BENCH_DUMP)\n", argv[1]);
        return 65;
    }
    rv_config cfg;
    rv_config_defaults(&cfg);
    double logit = log(cfg.verdict_min_confidence / (1 - cfg.verdict_min_confidence));
    static const char *const kinds[3] = {"sentence", "phrase-name", "phrase-unit"},
                             *const labels[3] = {"unit", "name", "unit phrase"},
                             *const chans[3] = {"mu-law", "GSM", "wideband"};
    const double slopes[3] = {cfg.asr_phrase_confidence_slope, cfg.asr_name_confidence_slope,
                              cfg.asr_phrase_confidence_slope};
    const char *rev = getenv("BAND_EVAL_REVIEWS");
    /* BAND_EVAL_WEIGHTED=1: each sampled confident review counts every times */
    int weighted = getenv("BAND_EVAL_WEIGHTED") && !strcmp(getenv("BAND_EVAL_WEIGHTED"), "1");
    /* BAND_EVAL_PHASE=P (0..K-1): the sample is the confident trials P, P + K, ...,
     * so that K draws of one share can be compared */
    /* a band wider than the shipped one only where the shipped one is shown
     * wrong (rv_cal_shown_wrong), as calibrate; BAND_EVAL_WIDEN=always: the
     * rule before it, any band that qualifies */
    int widen_on_evidence = !(getenv("BAND_EVAL_WIDEN") && !strcmp(getenv("BAND_EVAL_WIDEN"), "always"));
    const char *ph = getenv("BAND_EVAL_PHASE");
    long phase = 0;
    if (ph && *ph) {
        char *end;
        phase = strtol(ph, &end, 10);
        if (*end || phase < 0) {
            fprintf(stderr, "band_eval: BAND_EVAL_PHASE is 0 to K - 1\n");
            return 64;
        }
    }
    int unsure_only = 0, every = 0; /* every: each such confident trial kept as well (0: none) */
    if (rev && strncmp(rev, "unsure", 6) == 0 && rev[6] == '\0')
        unsure_only = 1;
    else if (rev && strncmp(rev, "unsure:", 7) == 0) {
        char *end;
        long k = strtol(rev + 7, &end, 10);
        if (end == rev + 7 || *end || k < 1 || k > 1000000) {
            fprintf(stderr, "band_eval: BAND_EVAL_REVIEWS is all, unsure or unsure:K (K > 0)\n");
            return 64;
        }
        unsure_only = 1, every = (int)k;
        if (phase >= every) {
            fprintf(stderr, "band_eval: BAND_EVAL_PHASE is 0 to K - 1\n");
            return 64;
        }
    } else if (rev && *rev && strcmp(rev, "all") != 0) {
        fprintf(stderr, "band_eval: BAND_EVAL_REVIEWS is all, unsure or unsure:K (K > 0)\n");
        return 64;
    }
    printf("bands chosen on %s%s: the fewest unsure with confident verdicts right >= %.2f%s, a tenth confident\n",
           argv[2],
           !unsure_only ? ""
           : every      ? "'s trials the shipped verdicts left unsure and a sample of the confident ones"
                        : "'s trials the shipped verdicts left unsure",
           min_right, z > 0 ? " at the lower end of their Wilson interval" : "");
    if (every) printf("(one confident trial in %d)\n", every);
    for (int kd = 0; kd < 3; kd++)
        for (int c = 0; c < 3; c++) {
            double *m = malloc(n * sizeof *m), *wt = malloc(n * sizeof *wt);
            int *said = malloc(n * sizeof *said);
            size_t k = 0;
            if (!m || !said || !wt) return 70;
            for (size_t i = 0; i < n; i++)
                if (!strcmp(t[i].speaker, argv[2]) && !strcmp(t[i].kind, kinds[kd]) && !strcmp(t[i].channel, chans[c]))
                    m[k] = t[i].margin, said[k++] = t[i].said;
            double lo = 0, hi = 0, w = logit / slopes[kd];
            if (unsure_only) { /* keep the reviews inside the shipped band (and every every-th outside) */
                size_t j = 0, out = 0;
                for (size_t i = 0; i < k; i++)
                    if (m[i] > -1e8 && m[i] > -w && m[i] < w)
                        wt[j] = 1, m[j] = m[i], said[j++] = said[i];
                    else if (every && out++ % (size_t)every == (size_t)phase)
                        wt[j] = weighted ? every : 1, m[j] = m[i], said[j++] = said[i];
                k = j;
            }
            int found = k ? rv_cal_choose_band_weighted(m, said, unsure_only ? wt : NULL, k, min_right, z, &lo, &hi) : 0;
            /* as calibrate: wider than the shipped band only where the
             * reviews show the shipped one wrong */
            if (found > 0 && widen_on_evidence &&
                !rv_cal_band_allowed(m, said, unsure_only ? wt : NULL, k, lo, hi, w, min_right, z))
                found = 0;
            free(m), free(said), free(wt);
            if (!k) continue;
            printf("  %-11s %-8s (%zu trials): ", labels[kd], chans[c], k);
            if (found > 0) {
                printf("band (%.3f, %.3f)\n", lo, hi);
            } else { /* as calibrate: the shipped thresholds and slope stay */
                lo = -w, hi = w;
                printf("no band qualifies: the shipped thresholds stay\n");
            }
            const char *seen[64];
            size_t ns = 0;
            for (size_t i = 0; i < n; i++) {
                size_t j = 0;
                while (j < ns && strcmp(seen[j], t[i].speaker)) j++;
                if (j < ns || ns == 64) continue;
                seen[ns++] = t[i].speaker;
                int all, un, conf, right, all2, un2, conf2, right2;
                verdicts(t[i].speaker, kinds[kd], chans[c], -w, w, &all, &un, &conf, &right);
                verdicts(t[i].speaker, kinds[kd], chans[c], lo, hi, &all2, &un2, &conf2, &right2);
                if (!all) continue;
                printf("    %-12s %4d trials: shipped unsure %.2f, right %.2f (%d); calibrate's unsure %.2f, right %.2f (%d)\n",
                       t[i].speaker, all, (double)un / all, conf ? (double)right / conf : 0, conf, (double)un2 / all,
                       conf2 ? (double)right2 / conf2 : 0, conf2);
            }
        }
    return 0;
}
