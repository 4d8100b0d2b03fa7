/* make bench: phrase verification on real recorded Swedish (the clips of
 * bench/make-real-sets.sh). Each word said in a clip is scored as the
 * directory's names and units are (rv_asr_best_of_in with the directory
 * map, a word's other wording as an alternative), and so is each word of the
 * speaker's next clip, which is not said. Figures per speaker and for all:
 * AUC; the best TPR at FPR <= 0.05 and <= 0.10 on the speaker's own trials
 * (a threshold chosen on what it is measured on: an upper bound); the TPR
 * and FPR at a threshold chosen on the other speakers (leave-one-speaker-out,
 * FPR <= 0.10 there); and at the shipped unit threshold of the clip's codec.
 * Usage: bench_real SET_DIR [MODELS_DIR] */
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
    double score;  /* llr per frame */
    double shipped; /* the shipped threshold for this word and codec */
} trial;

static trial trials[MAX_TRIALS];
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
        if (rv_asr_best_of_in(asr, RV_VOCAB_DIRECTORY, alts, n, &best, &sc, &e) != RV_OK) {
            fprintf(stderr, "bench_real: '%s': %s\n", w, e.msg);
            continue;
        }
        trials[n_trials++] = (trial){speaker, said, sc.found ? sc.llr : -1e9, rv_phrase_threshold(th, alts[best])};
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
        int yes = trials[i].score >= trials[i].shipped;
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
    if (argc < 2) {
        fprintf(stderr, "usage: bench_real SET_DIR [MODELS_DIR]\n");
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
    if (rv_config_set(&cfg, "models_dir", models, &e) != RV_OK) return 78;
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
    printf("  %d clips (%.0f s) of %d speakers through mu-law and GSM; %zu trials\n", clips, audio_s, n_speakers,
           n_trials);
    for (int sp = 0; sp < n_speakers; sp++) report(sp);
    report(-1);
    rv_asr_free(asr);
    rv_lexicon_free(lex);
    return 0;
}
