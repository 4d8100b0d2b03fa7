/* Phrase verification figures: name and unit likelihood ratios on a
 * labelled split (bench/make-asr-sets.sh), with the threshold chosen on the
 * tune split (highest TPR at FPR <= 5 %) and applied unchanged to the test
 * split. Also real-time factor and peak memory of one decoder. Prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "rostvakt/asr.h"
#include "rostvakt/audio.h"
#include "rostvakt/lexicon.h"
#include "rostvakt/textfile.h"

typedef struct {
    char file[128], channel[8], name[96], unit[128];
    int name_said, unit_said;
    double name_llr[4], unit_llr[4];
} item;

typedef struct {
    item *it;
    size_t n, cap;
} split;

static rv_err row(char *line, int lineno, void *user, rv_error *err)
{
    split *s = user;
    if (lineno == 1) return RV_OK; /* header */
    char *f[7] = {0}, *r = line;
    for (int k = 0; k < 7 && r; k++) f[k] = strsep(&r, "\t");
    if (!f[5]) return rv_error_set(err, RV_ERR_CONFIG, "manifest line %d is short", lineno);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->it = realloc(s->it, s->cap * sizeof *s->it);
    }
    item *it = &s->it[s->n++];
    memset(it, 0, sizeof *it);
    snprintf(it->file, sizeof it->file, "%s", f[0]);
    snprintf(it->channel, sizeof it->channel, "%s", f[1]);
    snprintf(it->name, sizeof it->name, "%s", f[2]);
    snprintf(it->unit, sizeof it->unit, "%s", f[3]);
    it->name_said = atoi(f[4]);
    it->unit_said = atoi(f[5]);
    return RV_OK;
}

static double audio_s;

static int with_competitors;
static FILE *dump;

/* The other entries of the split's directory for slot unit, as competitors. */
static size_t competitors(const split *s, const item *it, int unit, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n && n < 16; i++) {
        const char *c = unit ? s->it[i].unit : s->it[i].name;
        if (strcmp(c, unit ? it->unit : it->name) == 0) continue;
        int dup = 0;
        for (size_t k = 0; k < n; k++) dup |= strcmp(out[k], c) == 0;
        if (!dup) out[n++] = c;
    }
    return n;
}

static void score(rv_asr *asr, const char *dir, split *s)
{
    rv_audio_limits lim = {20 << 20, 600};
    for (size_t i = 0; i < s->n; i++) {
        item *it = &s->it[i];
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, it->file);
        rv_pcm p;
        rv_error e;
        if (rv_audio_decode_file(path, RV_AUDIO_AUTO, &lim, &p, &e) != RV_OK ||
            rv_asr_set_audio(asr, &p, &e) != RV_OK) {
            fprintf(stderr, "%s: %s\n", path, e.msg);
            exit(1);
        }
        audio_s += (double)p.n / p.rate;
        rv_pcm_free(&p);
        rv_phrase_score sc[2];
        if (rv_asr_verify(asr, it->name, &sc[0], &e) != RV_OK ||
            rv_asr_verify(asr, it->unit, &sc[1], &e) != RV_OK) {
            fprintf(stderr, "%s: %s\n", path, e.msg);
            exit(1);
        }
        for (int u = 0; u < 2; u++) {
            double *v = u ? it->unit_llr : it->name_llr;
            const rv_phrase_score *q = &sc[u];
            v[0] = q->found ? q->llr : -1e9;      /* per frame */
            v[1] = q->found ? q->word_min : -1e9; /* weakest word, per frame */
            if (dump)
                fprintf(dump, "%s\t%s\t%s\t%d\t%d\t%.1f\t%d\t%d\t%.2f\t%.2f\t%.2f\n", it->file,
                        it->channel, u ? "unit" : "name", u ? it->unit_said : it->name_said, q->found,
                        q->total, q->frames, q->phones, q->start_s, q->end_s, q->word_min);
            if (with_competitors) {
                const char *comp[16];
                size_t nc = competitors(s, it, u, comp), cb;
                rv_phrase_score cs;
                int cok = rv_asr_best_of(asr, comp, nc, &cb, &cs, &e) == RV_OK && cs.found;
                v[2] = q->found ? q->llr - (cok ? cs.llr : -1e3) : -1e9;
                v[3] = q->found ? q->llr - 0.25 * (cok ? cs.llr : -1e3) : -1e9;
            }
        }
        if (isatty(STDERR_FILENO)) fprintf(stderr, "\r  %s %zu/%zu\033[K", dir, i + 1, s->n);
    }
    if (isatty(STDERR_FILENO)) fprintf(stderr, "\r\033[K");
}

static int stat_kind;
static double val(const item *it, int unit) { return unit ? it->unit_llr[stat_kind] : it->name_llr[stat_kind]; }
static int said(const item *it, int unit) { return unit ? it->unit_said : it->name_said; }

/* Highest TPR with FPR <= 5 % on s: the threshold. */
static double choose(const split *s, int unit)
{
    double best_t = 0, best_tpr = -1;
    for (size_t i = 0; i < s->n; i++) {
        double t = val(&s->it[i], unit);
        size_t tp = 0, p = 0, fp = 0, ng = 0;
        for (size_t j = 0; j < s->n; j++) {
            int pos = said(&s->it[j], unit);
            int yes = val(&s->it[j], unit) >= t;
            p += pos; ng += !pos; tp += pos && yes; fp += !pos && yes;
        }
        double tpr = p ? (double)tp / p : 0, fpr = ng ? (double)fp / ng : 0;
        if (fpr <= 0.05 && tpr > best_tpr) { best_tpr = tpr; best_t = t; }
    }
    return best_t;
}

static void report(const char *label, const split *s, int unit, double t, const char *channel)
{
    size_t tp = 0, p = 0, fp = 0, ng = 0, pairs = 0, wins = 0;
    for (size_t j = 0; j < s->n; j++) {
        const item *a = &s->it[j];
        if (channel && strcmp(a->channel, channel)) continue;
        int pos = said(a, unit), yes = val(a, unit) >= t;
        p += pos; ng += !pos; tp += pos && yes; fp += !pos && yes;
        if (!pos) continue;
        for (size_t k = 0; k < s->n; k++) {
            const item *b = &s->it[k];
            if (said(b, unit) || (channel && strcmp(b->channel, channel))) continue;
            pairs++;
            wins += val(a, unit) > val(b, unit);
        }
    }
    printf("  %-5s %-5s %-5s TPR %.2f  FPR %.2f  AUC %.2f  (%zu+ %zu-, threshold %.1f)\n", label,
           unit ? "unit" : "name", channel ? channel : "all", p ? (double)tp / p : 0,
           ng ? (double)fp / ng : 0, pairs ? (double)wins / pairs : 0, p, ng, t);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_verify TUNE_DIR TEST_DIR\n");
        return 64;
    }
    rv_error e;
    rv_lexicon *lex;
    rv_asr *asr;
    /* The channel adaptation make builds; RV_ASR_MLLR=none for the plain model. */
    const char *mllr = getenv("RV_ASR_MLLR") ? getenv("RV_ASR_MLLR") : "models/en-us-tel.mllr";
    if (strcmp(mllr, "none") == 0) mllr = NULL;
    if (rv_lexicon_open("models/sv-arpabet.map", &lex, &e) != RV_OK ||
        rv_asr_open(NULL, mllr, lex, &asr, &e) != RV_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    with_competitors = getenv("RV_BENCH_COMPETITORS") != NULL;
    if (strcmp(argv[1], "--dump") == 0) { /* per-file figures of one split, for study */
        split d = {0};
        char mp[512];
        snprintf(mp, sizeof mp, "%s/manifest.tsv", argv[2]);
        if (rv_textfile_each(mp, RV_ERR_IO, row, &d, &e) != RV_OK) { fprintf(stderr, "%s\n", e.msg); return 1; }
        dump = stdout;
        score(asr, argv[2], &d);
        free(d.it);
        rv_asr_free(asr);
        rv_lexicon_free(lex);
        return 0;
    }
    split tune = {0}, test = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/manifest.tsv", argv[1]);
    if (rv_textfile_each(path, RV_ERR_IO, row, &tune, &e) != RV_OK) { fprintf(stderr, "%s\n", e.msg); return 1; }
    snprintf(path, sizeof path, "%s/manifest.tsv", argv[2]);
    if (rv_textfile_each(path, RV_ERR_IO, row, &test, &e) != RV_OK) { fprintf(stderr, "%s\n", e.msg); return 1; }
    score(asr, argv[1], &tune);
    score(asr, argv[2], &test);
    /* RV_BENCH_COMPETITORS=1 adds the ratio minus the best competing
     * directory entry's (two more passes a slot). */
    static const char *const stat_names[] = {"per frame", "per frame of the weakest word",
                                             "per frame minus the best competitor's",
                                             "per frame minus a quarter of the best competitor's"};
    int only = getenv("RV_BENCH_STAT") ? atoi(getenv("RV_BENCH_STAT")) : -1;
    for (stat_kind = 0; stat_kind < (with_competitors ? 4 : 2); stat_kind++) {
        if (only >= 0 && stat_kind != only) continue;
        printf("  statistic: likelihood ratio %s\n", stat_names[stat_kind]);
        for (int unit = 0; unit < 2; unit++) {
            double t = choose(&tune, unit);
            report("tune", &tune, unit, t, NULL);
            report("test", &test, unit, t, "ulaw");
            report("test", &test, unit, t, "gsm");
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  real-time factor %.3f (phone loop + name + unit%s; target <= 0.1)\n",
           rv_asr_cpu_seconds(asr) / audio_s, with_competitors ? " + competitors" : "");
    printf("  peak resident memory %.1f MB, one decoder (target <= 100 MB)\n", ru.ru_maxrss / 1024.0);
    rv_asr_free(asr);
    rv_lexicon_free(lex);
    free(tune.it);
    free(test.it);
    return 0;
}
