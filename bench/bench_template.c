/* make bench: the owner's recorded name found again in what the same voice
 * says, on real same-speaker repeats (bench/make-template-sets.sh: a word
 * the Asterisk prompts' voice says alone, searched in other prompts of that
 * voice that say it among other words and in prompts that do not, all
 * through mu-law). Two kinds of features side by side on the same trials,
 * each matched by subsequence DTW (the whole template against the best
 * stretch of the prompt, the mean frame distance along the path):
 *  - mel: the shipped src/template.c (mean-normalised mel cepstra,
 *    Euclidean distance);
 *  - posteriorgrams from the decoder's own senone scores (src/senone.c,
 *    with the channel MLLR, as the service hears audio): each frame's
 *    senone likelihoods at an acoustic scale k made posteriors, either pooled
 *    into the model's base phones ("phone") or kept as the top N senones
 *    ("senone"), smoothed with 1 % of a flat distribution; the distance of
 *    two frames is -log of the inner product of their posteriors.
 * Both keep only the frames src/template.c keeps (within 30 dB of the
 * loudest), the posteriorgram those of the decoder's frames (silence it
 * dropped is dropped) that lie in that stretch. A last column is the
 * service's own (src/postgram.c, its top N and scale the grid's choice):
 * the prompt searched keeps every frame the decoder kept, as a greeting
 * does in rv_verify_greeting.
 * Every choice (the form, k, the combination's scaling, the thresholds)
 * is made on English and Spanish together; French is the independent check.
 * For each language and for en+es: AUC with a bootstrap 95 % interval (said
 * and not-said trials resampled separately, 2000 times) and n; the best TPR
 * at FPR <= 0.05 on the language's own trials (an upper bound); and the TPR
 * and FPR at the threshold chosen on en+es (the largest with FPR <= 0.05
 * there). For the mel cepstra and the service's column also the threshold
 * with FPR <= 0.01 on en+es (the service's one-way override) and the
 * shipped name_template_max_distance / name_template_max_posterior_distance.
 * Usage: bench_template SET_DIR [MODELS_DIR] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rostvakt/asr.h"
#include "rostvakt/audio.h"
#include "rostvakt/config.h"
#include "rostvakt/lexicon.h"
#include "rostvakt/postgram.h"
#include "rostvakt/template.h"
#include "stats.h"

#define MAX_TRIALS 8192
#define MAX_FILES 4096
#define N_LANG 3
#define N_SCALE 3
#define TOPN 20
#define SMOOTH 0.01
/* PocketSphinx's senone scores: log base 1.0001, shifted right by 10 bits */
#define SCORE_NATS (1024.0 * 0.000099995)

static const char *const langs[N_LANG] = {"en", "es", "fr"};
static const double scales[N_SCALE] = {0.05, 0.2, 1.0};

typedef struct {
    char *path;
    int lang;
    rv_features mel;
    int ok;
    size_t nf;                 /* posteriorgram frames kept */
    float *phone[N_SCALE];     /* nf * n_phones */
    uint16_t *sen_id;          /* nf * TOPN, the same for every scale */
    float *sen_p[N_SCALE];     /* nf * TOPN */
    rv_postgram as_name;       /* the service's (postgram.h): the stretch the mel features keep */
    rv_postgram as_greeting;   /* ... and every frame the decoder kept */
} file_t;

typedef struct {
    int lang, said, t, c;
    char word[64];
} trial_t;

/* The statistics compared, one a column. */
enum { S_MEL, S_PHONE0, S_SEN0 = S_PHONE0 + N_SCALE, S_COMB = S_SEN0 + N_SCALE, S_LIB, N_STAT };
static const char *stat_name(int s, char *buf, size_t cap)
{
    if (s == S_MEL) snprintf(buf, cap, "mel cepstra (shipped)");
    else if (s < S_SEN0) snprintf(buf, cap, "phone posteriors, k=%.2f", scales[s - S_PHONE0]);
    else if (s < S_COMB) snprintf(buf, cap, "senone top-%d posteriors, k=%.2f", TOPN, scales[s - S_SEN0]);
    else if (s == S_COMB) snprintf(buf, cap, "mel + best posteriorgram (z-scores summed)");
    else snprintf(buf, cap, "as the service matches (postgram.h: senone top-%d, k=%.2f, the prompt's every frame)",
                  RV_POSTGRAM_TOPN, RV_POSTGRAM_SCALE);
    return buf;
}

static file_t files[MAX_FILES];
static size_t n_files;
static trial_t trials[MAX_TRIALS];
static size_t n_trials;
static double dist[MAX_TRIALS][N_STAT]; /* lower: more alike; NAN: not matched */
static int n_phones;
static const unsigned char *sen_phone;

static int file_of(const char *path, int lang)
{
    for (size_t i = 0; i < n_files; i++)
        if (strcmp(files[i].path, path) == 0) return (int)i;
    if (n_files == MAX_FILES) {
        fprintf(stderr, "bench_template: too many files\n");
        exit(65);
    }
    files[n_files].path = strdup(path);
    files[n_files].lang = lang;
    if (!files[n_files].path) exit(70);
    return (int)n_files++;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "bench_template: out of memory\n");
        exit(70);
    }
    return p;
}

/* The posteriorgrams of the decoder's current utterance, frames whose
 * time lies in [from_s, to_s). */
static void posteriorgrams(rv_asr *asr, file_t *f, double from_s, double to_s)
{
    int16_t *sc = NULL;
    size_t nfr = 0;
    int ns = 0;
    rv_error e;
    if (rv_asr_loop_scores(asr, &sc, &nfr, &ns, &e) != RV_OK) {
        fprintf(stderr, "bench_template: %s: %s\n", f->path, e.msg);
        return;
    }
    size_t keep = 0;
    for (size_t i = 0; i < nfr; i++) {
        double t = rv_asr_frame_time(asr, (int)i);
        if (t >= from_s && t < to_s) keep++;
    }
    for (int k = 0; k < N_SCALE; k++) {
        f->phone[k] = xmalloc(keep * (size_t)n_phones * sizeof(float));
        f->sen_p[k] = xmalloc(keep * TOPN * sizeof(float));
    }
    f->sen_id = xmalloc(keep * TOPN * sizeof(uint16_t));
    double *ll = xmalloc((size_t)ns * sizeof *ll);
    size_t o = 0;
    for (size_t i = 0; i < nfr; i++) {
        double t = rv_asr_frame_time(asr, (int)i);
        if (!(t >= from_s && t < to_s)) continue;
        const int16_t *s = &sc[i * (size_t)ns];
        int best = 0;
        for (int j = 0; j < ns; j++) {
            ll[j] = -(double)s[j] * SCORE_NATS; /* the scores are costs: the best frame's is 0 */
            if (ll[j] > ll[best]) best = j;
        }
        /* the top N senones, by insertion */
        int top[TOPN];
        int nt = 0;
        for (int j = 0; j < ns; j++) {
            if (nt == TOPN && ll[j] <= ll[top[TOPN - 1]]) continue;
            int at = nt < TOPN ? nt++ : TOPN - 1;
            while (at > 0 && ll[top[at - 1]] < ll[j]) {
                top[at] = top[at - 1];
                at--;
            }
            top[at] = j;
        }
        for (int j = 0; j < TOPN; j++) f->sen_id[o * TOPN + (size_t)j] = (uint16_t)top[j];
        for (int k = 0; k < N_SCALE; k++) {
            float *ph = &f->phone[k][o * (size_t)n_phones];
            double z = 0, zt = 0;
            for (int c = 0; c < n_phones; c++) ph[c] = 0;
            for (int j = 0; j < ns; j++) {
                double p = exp(scales[k] * (ll[j] - ll[best]));
                z += p;
                ph[sen_phone[j]] += (float)p;
            }
            for (int c = 0; c < n_phones; c++)
                ph[c] = (float)((1 - SMOOTH) * ph[c] / z + SMOOTH / n_phones);
            for (int j = 0; j < TOPN; j++) zt += exp(scales[k] * (ll[top[j]] - ll[best]));
            for (int j = 0; j < TOPN; j++)
                f->sen_p[k][o * TOPN + (size_t)j] = (float)(exp(scales[k] * (ll[top[j]] - ll[best])) / zt);
        }
        o++;
    }
    f->nf = keep;
    free(ll);
    free(sc);
}

typedef double (*frame_dist_fn)(const file_t *a, size_t i, const file_t *b, size_t j, int k);

static double phone_dist(const file_t *a, size_t i, const file_t *b, size_t j, int k)
{
    const float *p = &a->phone[k][i * (size_t)n_phones], *q = &b->phone[k][j * (size_t)n_phones];
    double s = 0;
    for (int c = 0; c < n_phones; c++) s += (double)p[c] * q[c];
    return -log(s);
}

static double senone_dist(const file_t *a, size_t i, const file_t *b, size_t j, int k)
{
    const uint16_t *ia = &a->sen_id[i * TOPN], *ib = &b->sen_id[j * TOPN];
    const float *pa = &a->sen_p[k][i * TOPN], *pb = &b->sen_p[k][j * TOPN];
    double s = 0;
    for (int x = 0; x < TOPN; x++)
        for (int y = 0; y < TOPN; y++)
            if (ia[x] == ib[y]) s += (double)pa[x] * pb[y];
    /* smoothed as the phone posteriors: 1 % spread flat over the senones */
    return -log((1 - SMOOTH) * (1 - SMOOTH) * s + SMOOTH * (2 - SMOOTH) / 5126.0);
}

/* Subsequence DTW of all of t against the best stretch of u (steps (1,1),
 * (1,0), (0,1), chosen by mean cost), as rv_template_match does: the mean
 * frame distance of the best path; NAN when t is more than twice u. */
static double sdtw(const file_t *t, const file_t *u, frame_dist_fn fd, int k)
{
    size_t T = t->nf, U = u->nf;
    if (!T || !U || T > 2 * U) return NAN;
    double *pd = xmalloc(T * sizeof *pd), *cd = xmalloc(T * sizeof *cd);
    size_t *pl = xmalloc(T * sizeof *pl), *cl = xmalloc(T * sizeof *cl);
    double best_all = INFINITY;
    for (size_t j = 0; j < U; j++) {
        for (size_t i = 0; i < T; i++) {
            double c = fd(t, i, u, j, k);
            if (i == 0) {
                cd[0] = c, cl[0] = 1;
                continue;
            }
            double best = INFINITY;
            size_t bl = 0;
            if (j > 0 && (pd[i - 1] + c) / (double)(pl[i - 1] + 1) < best)
                best = (pd[i - 1] + c) / (double)(pl[i - 1] + 1), bl = pl[i - 1] + 1;
            if ((cd[i - 1] + c) / (double)(cl[i - 1] + 1) < best)
                best = (cd[i - 1] + c) / (double)(cl[i - 1] + 1), bl = cl[i - 1] + 1;
            if (j > 0 && (pd[i] + c) / (double)(pl[i] + 1) < best)
                best = (pd[i] + c) / (double)(pl[i] + 1), bl = pl[i] + 1;
            cd[i] = best * (double)bl, cl[i] = bl;
        }
        if (cd[T - 1] / (double)cl[T - 1] < best_all) best_all = cd[T - 1] / (double)cl[T - 1];
        double *td = pd;
        pd = cd, cd = td;
        size_t *tl = pl;
        pl = cl, cl = tl;
    }
    free(pd), free(cd), free(pl), free(cl);
    return best_all;
}

/* ---- statistics ---- */

static int by_value(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* mask: which languages (bit l). Said and not-said distances of stat s. */
static void split(int s, unsigned mask, double *pos, size_t *np, double *neg, size_t *nn)
{
    *np = *nn = 0;
    for (size_t i = 0; i < n_trials; i++) {
        if (!(mask >> trials[i].lang & 1) || isnan(dist[i][S_MEL])) continue;
        int skip = 0;
        for (int x = 0; x < N_STAT; x++) skip |= isnan(dist[i][x]);
        if (skip) continue; /* the same trials in every column */
        if (trials[i].said) pos[(*np)++] = dist[i][s];
        else neg[(*nn)++] = dist[i][s];
    }
}

/* The AUC of stat s on the languages of mask (a smaller distance counts
 * as said) and its bootstrap 95 % interval (bench_auc_interval). */
static double auc_interval(int s, unsigned mask, double *lo, double *hi, size_t *np, size_t *nn)
{
    double *pos = xmalloc(n_trials * sizeof *pos), *neg = xmalloc(n_trials * sizeof *neg);
    split(s, mask, pos, np, neg, nn);
    for (size_t i = 0; i < *np; i++) pos[i] = -pos[i];
    for (size_t j = 0; j < *nn; j++) neg[j] = -neg[j];
    double a = bench_auc_interval(pos, *np, neg, *nn, lo, hi);
    free(pos), free(neg);
    return a;
}

/* TPR and FPR of "distance <= thr". */
static void rates(int s, unsigned mask, double thr, double *tpr, double *fpr)
{
    double *pos = xmalloc(n_trials * sizeof *pos), *neg = xmalloc(n_trials * sizeof *neg);
    size_t np, nn, tp = 0, fp = 0;
    split(s, mask, pos, &np, neg, &nn);
    for (size_t i = 0; i < np; i++) tp += pos[i] <= thr;
    for (size_t j = 0; j < nn; j++) fp += neg[j] <= thr;
    *tpr = np ? (double)tp / (double)np : 0;
    *fpr = nn ? (double)fp / (double)nn : 0;
    free(pos), free(neg);
}

/* The largest threshold (a distance said by a trial) with FPR <= max_fpr. */
static double threshold_at(int s, unsigned mask, double max_fpr)
{
    double *pos = xmalloc(n_trials * sizeof *pos), *neg = xmalloc(n_trials * sizeof *neg);
    size_t np, nn;
    split(s, mask, pos, &np, neg, &nn);
    qsort(neg, nn, sizeof *neg, by_value);
    size_t allowed = (size_t)floor(max_fpr * (double)nn + 1e-9);
    /* below the (allowed+1)-th smallest not-said distance */
    double thr = allowed < nn ? nextafter(neg[allowed], -INFINITY) : INFINITY;
    if (allowed < nn && allowed > 0 && neg[allowed] == neg[allowed - 1]) thr = nextafter(neg[allowed - 1], -INFINITY);
    free(pos), free(neg);
    return thr;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_template SET_DIR [MODELS_DIR]\n");
        return 64;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/trials.tsv", argv[1]);
    FILE *m = fopen(path, "r");
    if (!m) {
        printf("  no trials at %s (the Asterisk packages could not be had): skipped\n", path);
        return 0;
    }
    char line[8192];
    while (fgets(line, sizeof line, m)) {
        char *f[5], *save = NULL;
        int nf = 0;
        for (char *tok = strtok_r(line, "\t\n", &save); tok && nf < 5; tok = strtok_r(NULL, "\t\n", &save))
            f[nf++] = tok;
        if (nf < 5 || n_trials == MAX_TRIALS) continue;
        int lang = -1;
        for (int l = 0; l < N_LANG; l++)
            if (strcmp(f[0], langs[l]) == 0) lang = l;
        if (lang < 0) continue;
        trial_t *t = &trials[n_trials++];
        t->lang = lang;
        t->t = file_of(f[1], lang);
        t->c = file_of(f[2], lang);
        t->said = atoi(f[3]);
        snprintf(t->word, sizeof t->word, "%s", f[4]);
    }
    fclose(m);

    rv_config cfg;
    rv_error e;
    rv_config_defaults(&cfg);
    if (rv_config_load(&cfg, NULL, &e) != RV_OK ||
        rv_config_set(&cfg, "models_dir", argc > 2 ? argv[2] : "models", &e) != RV_OK) {
        fprintf(stderr, "bench_template: %s\n", e.msg);
        return 78;
    }
    rv_config_resolve(&cfg);
    rv_lexicon *lex = NULL;
    rv_asr *asr = NULL;
    int n_sen = 0;
    if (rv_lexicon_open_models(cfg.models_dir, &lex, &e) != RV_OK ||
        rv_asr_open(NULL, rv_config_mllr(&cfg), lex, &asr, &e) != RV_OK ||
        rv_asr_senone_phones(asr, &sen_phone, &n_sen, &n_phones, &e) != RV_OK) {
        fprintf(stderr, "bench_template: %s\n", e.msg);
        return 78;
    }
    rv_audio_limits lim = {cfg.max_audio_bytes, cfg.max_audio_seconds};
    double audio_s = 0;
    clock_t c0 = clock();
    double pg_cpu = 0;
    for (size_t i = 0; i < n_files; i++) {
        file_t *f = &files[i];
        rv_pcm pcm;
        if (rv_audio_decode_file(f->path, rv_audio_hint_for_path(f->path), &lim, &pcm, &e) != RV_OK) {
            fprintf(stderr, "bench_template: %s: %s\n", f->path, e.msg);
            continue;
        }
        audio_s += (double)pcm.n / pcm.rate;
        if (rv_features_of(&pcm, &f->mel, &e) != RV_OK) {
            fprintf(stderr, "bench_template: %s: %s\n", f->path, e.msg);
            rv_pcm_free(&pcm);
            continue;
        }
        clock_t p0 = clock();
        if (rv_asr_set_audio(asr, &pcm, &e) != RV_OK) {
            fprintf(stderr, "bench_template: %s: %s\n", f->path, e.msg);
            rv_pcm_free(&pcm);
            continue;
        }
        /* the frames the mel features keep, with half a frame either side */
        posteriorgrams(asr, f, ((double)f->mel.first - 0.5) * 0.01, ((double)(f->mel.first + f->mel.n) + 0.5) * 0.01);
        f->ok = f->nf > 0 &&
                rv_postgram_of(asr, ((double)f->mel.first - 0.5) * 0.01,
                               ((double)(f->mel.first + f->mel.n) + 0.5) * 0.01, 0, &f->as_name, &e) == RV_OK &&
                rv_postgram_of(asr, 0, -1, 0, &f->as_greeting, &e) == RV_OK;
        pg_cpu += (double)(clock() - p0) / CLOCKS_PER_SEC;
        if (!f->ok) fprintf(stderr, "bench_template: %s: no posteriorgram\n", f->path);
        rv_pcm_free(&pcm);
    }
    double feat_cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;

    clock_t d0 = clock();
    double dtw_cpu[N_STAT] = {0};
    size_t skipped = 0;
    for (size_t i = 0; i < n_trials; i++) {
        const file_t *t = &files[trials[i].t], *c = &files[trials[i].c];
        for (int s = 0; s < N_STAT; s++) dist[i][s] = NAN;
        if (!t->ok || !c->ok) {
            skipped++;
            continue;
        }
        double d, at;
        clock_t s0 = clock();
        if (rv_template_match(&t->mel, &c->mel, &d, &at, &e) == RV_OK) dist[i][S_MEL] = d;
        dtw_cpu[S_MEL] += (double)(clock() - s0) / CLOCKS_PER_SEC;
        for (int k = 0; k < N_SCALE; k++) {
            s0 = clock();
            dist[i][S_PHONE0 + k] = sdtw(t, c, phone_dist, k);
            dtw_cpu[S_PHONE0 + k] += (double)(clock() - s0) / CLOCKS_PER_SEC;
            s0 = clock();
            dist[i][S_SEN0 + k] = sdtw(t, c, senone_dist, k);
            dtw_cpu[S_SEN0 + k] += (double)(clock() - s0) / CLOCKS_PER_SEC;
        }
        s0 = clock();
        if (rv_postgram_match(&t->as_name, &c->as_greeting, &d, &at, &e) == RV_OK) dist[i][S_LIB] = d;
        dtw_cpu[S_LIB] += (double)(clock() - s0) / CLOCKS_PER_SEC;
        int bad = 0;
        for (int s = 0; s < N_STAT; s++) bad |= s != S_COMB && isnan(dist[i][s]);
        if (bad) {
            skipped++;
            dist[i][S_MEL] = NAN;
        }
    }
    double match_cpu = (double)(clock() - d0) / CLOCKS_PER_SEC;

    /* choose the posteriorgram on en+es: the highest AUC there */
    const unsigned TUNE = 1u << 0 | 1u << 1;
    int best_pg = S_PHONE0;
    double best_auc = -1;
    for (size_t i = 0; i < n_trials; i++) dist[i][S_COMB] = isnan(dist[i][S_MEL]) ? NAN : 0; /* not yet */
    for (int s = S_PHONE0; s < S_COMB; s++) { /* the grid, not the service's own column */
        double lo, hi;
        size_t np, nn;
        double a = auc_interval(s, TUNE, &lo, &hi, &np, &nn);
        if (a > best_auc) best_auc = a, best_pg = s;
    }
    /* the combination: each distance as a z-score over the en+es trials, summed */
    double mu[2] = {0}, sd[2] = {0};
    int cols[2] = {S_MEL, best_pg};
    for (int x = 0; x < 2; x++) {
        double s1 = 0, s2 = 0;
        size_t n = 0;
        for (size_t i = 0; i < n_trials; i++) {
            if (!(TUNE >> trials[i].lang & 1) || isnan(dist[i][S_MEL])) continue;
            s1 += dist[i][cols[x]], s2 += dist[i][cols[x]] * dist[i][cols[x]], n++;
        }
        mu[x] = n ? s1 / (double)n : 0;
        sd[x] = n > 1 ? sqrt((s2 - s1 * s1 / (double)n) / (double)(n - 1)) : 1;
        if (!(sd[x] > 0)) sd[x] = 1;
    }
    for (size_t i = 0; i < n_trials; i++)
        dist[i][S_COMB] = isnan(dist[i][S_MEL]) ? NAN
                                                : (dist[i][S_MEL] - mu[0]) / sd[0] + (dist[i][best_pg] - mu[1]) / sd[1];

    size_t np_all = 0, nn_all = 0;
    for (size_t i = 0; i < n_trials; i++) {
        if (trials[i].said) np_all++;
        else nn_all++;
    }
    printf("  %zu trials (%zu said, %zu not said) over %zu prompts (%.0f s of audio), %zu not matched "
           "(no sound, or the word longer than twice the prompt)\n",
           n_trials, np_all, nn_all, n_files, audio_s, skipped);
    printf("  CPU: features %.1f s (posteriorgrams: the decoder's pass %.1f s, %.3f s a second of audio); "
           "matching %.1f s (mel %.1f s, %s %.1f s)\n",
           feat_cpu, pg_cpu, audio_s > 0 ? pg_cpu / audio_s : 0, match_cpu, dtw_cpu[S_MEL],
           best_pg < S_SEN0 ? "phone posteriors" : "senone posteriors", dtw_cpu[best_pg]);
    printf("  posteriorgram chosen on en+es (highest AUC): %s\n", stat_name(best_pg, line, sizeof line));
    printf("  AUC [bootstrap 95 %%] (said+ not-said-); best TPR at FPR <= 0.05 on its own trials; TPR / FPR at\n"
           "  the threshold chosen on en+es (FPR <= 0.05 there)\n");
    unsigned masks[] = {1u << 0, 1u << 1, TUNE, 1u << 2};
    const char *mask_names[] = {"en", "es", "en+es", "fr (untouched)"};
    for (int s = 0; s < N_STAT; s++) {
        printf("  %s\n", stat_name(s, line, sizeof line));
        double thr = threshold_at(s, TUNE, 0.05);
        for (int x = 0; x < 4; x++) {
            double lo, hi, tpr, fpr, own;
            size_t np, nn;
            double a = auc_interval(s, masks[x], &lo, &hi, &np, &nn);
            double own_thr = threshold_at(s, masks[x], 0.05);
            rates(s, masks[x], own_thr, &own, &fpr);
            rates(s, masks[x], thr, &tpr, &fpr);
            printf("    %-15s AUC %.3f [%.3f, %.3f] (%zu+ %zu-); TPR@5%% %.2f; at %.3g: TPR %.2f FPR %.2f\n",
                   mask_names[x], a, lo, hi, np, nn, own, thr, tpr, fpr);
        }
        if (s == S_LIB || s == S_MEL) { /* a stricter threshold: the service's one-way override */
            double thr1 = threshold_at(s, TUNE, 0.01);
            for (int x = 2; x < 4; x++) {
                double tpr, fpr;
                rates(s, masks[x], thr1, &tpr, &fpr);
                printf("    %-15s at %.4f (FPR <= 0.01 on en+es): TPR %.2f FPR %.3f\n", mask_names[x], thr1, tpr, fpr);
            }
        }
        if (s == S_LIB) {
            double tpr, fpr, tpr2, fpr2;
            rates(s, TUNE, cfg.name_template_max_posterior_distance, &tpr2, &fpr2);
            rates(s, 1u << 2, cfg.name_template_max_posterior_distance, &tpr, &fpr);
            printf("    shipped name_template_max_posterior_distance %.3g: en+es TPR %.2f FPR %.3f; fr TPR %.2f FPR %.3f\n",
                   cfg.name_template_max_posterior_distance, tpr2, fpr2, tpr, fpr);
        }
        if (s == S_MEL) {
            double tpr, fpr;
            rates(s, 1u << 2, cfg.name_template_max_distance, &tpr, &fpr);
            double tpr2, fpr2;
            rates(s, TUNE, cfg.name_template_max_distance, &tpr2, &fpr2);
            printf("    shipped name_template_max_distance %.3g: en+es TPR %.2f FPR %.2f; fr TPR %.2f FPR %.2f\n",
                   cfg.name_template_max_distance, tpr2, fpr2, tpr, fpr);
        }
    }
    for (size_t i = 0; i < n_files; i++) {
        rv_features_free(&files[i].mel);
        for (int k = 0; k < N_SCALE; k++) free(files[i].phone[k]), free(files[i].sen_p[k]);
        free(files[i].sen_id);
        rv_postgram_free(&files[i].as_name);
        rv_postgram_free(&files[i].as_greeting);
        free(files[i].path);
    }
    rv_asr_free(asr);
    rv_lexicon_free(lex);
    return 0;
}
