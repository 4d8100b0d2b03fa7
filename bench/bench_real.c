/* make bench: phrase verification on real recorded Swedish (the clips of
 * bench/make-real-sets.sh). Each word said in a clip is scored as the
 * directory's names and units are (rv_asr_best_of_in with the directory
 * map, a word's other wording as an alternative), and so is each word of the
 * speaker's next clip, which is not said. Figures per speaker and for all:
 * AUC; the best TPR at FPR <= 0.05 and <= 0.10 on the speaker's own trials
 * (a threshold chosen on what it is measured on: an upper bound); the TPR
 * and FPR at a threshold chosen on the other speakers (leave-one-speaker-out,
 * FPR <= 0.10 there); and at the shipped unit threshold of the clip's codec.
 * With --cohort FILE (one word a line, up to 64) each score is the word's
 * less 0.5 times the best of the cohort's (floor -15), as names are weighed
 * against the directory. Usage: bench_real [--cohort FILE] SET_DIR [MODELS_DIR] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rostvakt/asr.h"
#include "rostvakt/audio.h"
#include "rostvakt/config.h"
#include "rostvakt/lexicon.h"
#include "rostvakt/verify.h"

#define MAX_TRIALS 4096
#define MAX_SPEAKERS 16

typedef struct {
    int speaker;
    int said;
    double score;  /* llr per frame (with a cohort: less COHORT_WEIGHT times the cohort's best) */
    double raw;    /* llr per frame */
    double cohort; /* the cohort's best llr per frame, or -1e9 */
    double shipped; /* the shipped threshold for this word and codec */
} trial;

static trial trials[MAX_TRIALS];
/* An optional cohort of ordinary words, each trial's score normalised by the
 * best of them as a name is by the directory's other names. */
#define MAX_COHORT 64
static const char *cohort[MAX_COHORT];
static size_t n_cohort;
static double cohort_weight = 0.5, cohort_floor = -15;
/* the phone map trials are pronounced with (RV_BENCH_VOCAB=fixed: the
 * hand-written one) */
static rv_vocab vocab = RV_VOCAB_DIRECTORY;
static size_t n_trials;
static char speakers[MAX_SPEAKERS][64];
static int n_speakers;

static int speaker_index(const char *name)
{
    for (int i = 0; i < n_speakers; i++)
        if (strcmp(speakers[i], name) == 0) return i;
    if (n_speakers == MAX_SPEAKERS) return -1;
    snprintf(speakers[n_speakers], sizeof speakers[0], "%s", name);
    return n_speakers++;
}

/* Score every word of list ("a|b/b2|c") on the current clip. */
static void score_words(rv_asr *asr, const rv_verify_thresholds *th, char *list, int speaker, int said)
{
    for (char *w = strtok(list, "|"); w && n_trials < MAX_TRIALS; w = strtok(NULL, "|")) {
        char *alt = strchr(w, '/');
        const char *alts[2] = {w, NULL};
        size_t n = 1, best;
        if (alt) {
            *alt = '\0';
            alts[1] = alt + 1;
            n = 2;
        }
        rv_phrase_score sc;
        rv_error e;
        if (rv_asr_best_of_in(asr, vocab, alts, n, &best, &sc, &e) != RV_OK) {
            fprintf(stderr, "bench_real: '%s': %s\n", w, e.msg);
            continue;
        }
        double raw = sc.found ? sc.llr : -1e9, c = -1e9;
        if (n_cohort) {
            const char *others[MAX_COHORT];
            size_t k = 0;
            for (size_t i = 0; i < n_cohort; i++)
                if (strcmp(cohort[i], alts[0]) && (!alts[1] || strcmp(cohort[i], alts[1]))) others[k++] = cohort[i];
            rv_phrase_score cs;
            size_t cb;
            if (k && rv_asr_best_of_in(asr, vocab, others, k, &cb, &cs, &e) == RV_OK && cs.found)
                c = cs.llr;
        }
        double score = n_cohort ? raw - cohort_weight * (c > cohort_floor ? c : cohort_floor) : raw;
        trials[n_trials++] = (trial){speaker, said, score, raw, c, rv_phrase_threshold(th, alts[best])};
    }
}

/* Trials of speaker sp (-1: all; with not, all but sp). */
static int picked(const trial *t, int sp, int not)
{
    return sp < 0 || (not ? t->speaker != sp : t->speaker == sp);
}

static double auc(int sp)
{
    double wins = 0;
    long pairs = 0;
    for (size_t i = 0; i < n_trials; i++) {
        if (!picked(&trials[i], sp, 0) || !trials[i].said) continue;
        for (size_t j = 0; j < n_trials; j++) {
            if (!picked(&trials[j], sp, 0) || trials[j].said) continue;
            wins += trials[i].score > trials[j].score ? 1 : trials[i].score == trials[j].score ? 0.5 : 0;
            pairs++;
        }
    }
    return pairs ? wins / (double)pairs : 0;
}

/* TPR and FPR of the trials picked by (sp, not) accepted at score >= t. */
static void rates(int sp, int not, double t, double *tpr, double *fpr, int *npos, int *nneg)
{
    int tp = 0, fp = 0;
    *npos = *nneg = 0;
    for (size_t i = 0; i < n_trials; i++) {
        if (!picked(&trials[i], sp, not)) continue;
        if (trials[i].said) {
            (*npos)++;
            tp += trials[i].score >= t;
        } else {
            (*nneg)++;
            fp += trials[i].score >= t;
        }
    }
    *tpr = *npos ? (double)tp / *npos : 0;
    *fpr = *nneg ? (double)fp / *nneg : 0;
}

/* The threshold among the picked trials' scores with the highest TPR at
 * FPR <= max_fpr (ties: the higher threshold). */
static double choose(int sp, int not, double max_fpr, double *best_tpr)
{
    double best_t = 1e9;
    *best_tpr = 0;
    for (size_t i = 0; i < n_trials; i++) {
        if (!picked(&trials[i], sp, not)) continue;
        double tpr, fpr;
        int np, nn;
        rates(sp, not, trials[i].score, &tpr, &fpr, &np, &nn);
        if (fpr <= max_fpr && (tpr > *best_tpr || (tpr == *best_tpr && trials[i].score > best_t))) {
            *best_tpr = tpr;
            best_t = trials[i].score;
        }
    }
    return best_t;
}

/* At the shipped thresholds (each trial its own). */
static void shipped_rates(int sp, double *tpr, double *fpr)
{
    int tp = 0, fp = 0, np = 0, nn = 0;
    for (size_t i = 0; i < n_trials; i++) {
        if (!picked(&trials[i], sp, 0)) continue;
        int yes = trials[i].raw >= trials[i].shipped;
        if (trials[i].said) np++, tp += yes;
        else nn++, fp += yes;
    }
    *tpr = np ? (double)tp / np : 0;
    *fpr = nn ? (double)fp / nn : 0;
}

static void report(int sp)
{
    double tpr, fpr, t05, t10;
    int np, nn;
    rates(sp, 0, -1e18, &tpr, &fpr, &np, &nn);
    choose(sp, 0, 0.05, &t05);
    choose(sp, 0, 0.10, &t10);
    printf("  %-14s AUC %.2f  best TPR %.2f at FPR <= 0.05, %.2f at <= 0.10  (%d+ %d-)\n",
           sp < 0 ? "all" : speakers[sp], auc(sp), t05, t10, np, nn);
    if (sp >= 0 && n_speakers > 1) {
        double other;
        double t = choose(sp, 1, 0.10, &other);
        rates(sp, 0, t, &tpr, &fpr, &np, &nn);
        printf("  %-14s leave-one-speaker-out (threshold %.1f from the others): TPR %.2f FPR %.2f\n", "", t, tpr,
               fpr);
    }
    shipped_rates(sp, &tpr, &fpr);
    printf("  %-14s at the shipped unit thresholds: TPR %.2f FPR %.2f\n", "", tpr, fpr);
}

int main(int argc, char **argv)
{
    static char words[MAX_COHORT][64];
    if (getenv("RV_BENCH_VOCAB") && strcmp(getenv("RV_BENCH_VOCAB"), "fixed") == 0) vocab = RV_VOCAB_FIXED;
    if (argc > 2 && strcmp(argv[1], "--cohort") == 0) {
        FILE *cf = fopen(argv[2], "r");
        if (!cf) {
            fprintf(stderr, "bench_real: cannot read %s\n", argv[2]);
            return 66;
        }
        while (n_cohort < MAX_COHORT && fgets(words[n_cohort], sizeof words[0], cf)) {
            words[n_cohort][strcspn(words[n_cohort], "\n")] = '\0';
            if (words[n_cohort][0] && words[n_cohort][0] != '#') cohort[n_cohort] = words[n_cohort], n_cohort++;
        }
        fclose(cf);
        argc -= 2, argv += 2;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: bench_real [--cohort FILE] SET_DIR [MODELS_DIR]\n");
        return 64;
    }
    const char *dir = argv[1], *models = argc > 2 ? argv[2] : "models";
    char path[4096], line[8192];
    snprintf(path, sizeof path, "%s/manifest.tsv", dir);
    FILE *m = fopen(path, "r");
    if (!m) {
        printf("  no real speech (%s): see ../shared/speech-sv\n", path);
        return 0;
    }
    rv_config cfg;
    rv_config_defaults(&cfg);
    rv_error e;
    /* RV_* settings apply (RV_ASR_ADAPTATION=none: the plain model) */
    if (rv_config_load(&cfg, NULL, &e) != RV_OK || rv_config_set(&cfg, "models_dir", models, &e) != RV_OK) {
        fprintf(stderr, "bench_real: %s\n", e.msg);
        return 78;
    }
    rv_config_resolve(&cfg);
    rv_lexicon *lex = NULL;
    rv_asr *asr = NULL;
    if (rv_lexicon_open_models(cfg.models_dir, &lex, &e) != RV_OK ||
        rv_asr_open(NULL, rv_config_mllr(&cfg), lex, &asr, &e) != RV_OK) {
        fprintf(stderr, "bench_real: %s\n", e.msg);
        rv_lexicon_free(lex);
        fclose(m);
        return 78;
    }
    rv_verify_thresholds th = rv_verify_thresholds_of(&cfg);
    rv_audio_limits lim = {cfg.max_audio_bytes, cfg.max_audio_seconds};
    int clips = 0;
    double audio_s = 0;
    while (fgets(line, sizeof line, m)) {
        line[strcspn(line, "\n")] = '\0';
        char *f[5] = {0};
        int k = 0;
        for (char *p = line; k < 5; k++) {
            f[k] = p;
            p = strchr(p, '\t');
            if (!p) break;
            *p++ = '\0';
        }
        if (k < 4 || strcmp(f[0], "file") == 0) continue;
        int sp = speaker_index(f[1]);
        if (sp < 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, f[0]);
        rv_pcm pcm;
        if (rv_audio_decode_file(path, rv_audio_hint_for_path(path), &lim, &pcm, &e) != RV_OK) {
            fprintf(stderr, "bench_real: %s: %s\n", path, e.msg);
            continue;
        }
        rv_verify_thresholds t = rv_verify_thresholds_for(&th, pcm.codec);
        if (rv_asr_set_audio(asr, &pcm, &e) == RV_OK) {
            score_words(asr, &t, f[3], sp, 1);
            if (f[4]) score_words(asr, &t, f[4], sp, 0);
            clips++;
            audio_s += (double)pcm.n / pcm.rate;
        } else fprintf(stderr, "bench_real: %s: %s\n", path, e.msg);
        rv_pcm_free(&pcm);
    }
    fclose(m);
    printf("  %d clips (%.0f s) of %d speakers through mu-law and GSM; %zu trials%s\n", clips, audio_s, n_speakers,
           n_trials, n_cohort ? "; scores weighed against a cohort of ordinary words" : "");
    for (int sp = 0; sp < n_speakers; sp++) report(sp);
    report(-1);
    rv_asr_free(asr);
    rv_lexicon_free(lex);
    return 0;
}
