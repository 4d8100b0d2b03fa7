/* Phrase verification figures: name and unit likelihood ratios on a
 * labelled split (bench/make-asr-sets.sh), with the threshold chosen on the
 * tune split (highest TPR at FPR <= 5 %) and applied unchanged to the test
 * split. Also real-time factor and peak memory of one decoder. Prints.
 * RV_ASR_MLLR names the telephone MLLR ("none": the plain model),
 * RV_BENCH_HMM another acoustic model directory (an adapted one);
 * RV_BENCH_MARGINS=FILE writes each file's name and unit margin and verdict
 * there (write_margins). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rostvakt/asr.h"
#include "rostvakt/audio.h"
#include "rostvakt/lexicon.h"
#include "rostvakt/analyze.h"
#include "rostvakt/classify.h"
#include "rostvakt/config.h"
#include "rostvakt/textfile.h"
#include "rostvakt/verify.h"

typedef struct {
    char file[128], channel[8], name[96], unit[128];
    int name_said, unit_said, prompted; /* prompted: asks the caller to leave a message ... */
    double name_llr[2], unit_llr[1]; /* name_llr[1]: weighed against the directory */
    double closing_llr;              /* the best closing prompt's */
    double margin[2];                /* name (weighed), unit: the report's score less its threshold */
    int verdict[2];                  /* ... and its three-way verdict */
} item;

typedef struct {
    item *it;
    size_t n, cap;
    double audio_s, cpu_s, closing_cpu_s; /* cpu_s: the name's, its directory's and the unit's */
    int progress; /* show progress on stderr */
} split;

static rv_err row(char *line, int lineno, void *user, rv_error *err)
{
    split *s = user;
    if (lineno == 1) return RV_OK; /* header */
    char *f[8] = {0}, *r = line;
    for (int k = 0; k < 8 && r; k++) f[k] = strsep(&r, "\t");
    if (!f[7]) return rv_error_set(err, RV_ERR_CONFIG, "manifest line %d is short", lineno);
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
    it->prompted = atoi(f[7]);
    return RV_OK;
}


static FILE *dump;

/* bench/make-asr-sets.sh builds its greeting splits as directories of this
 * many consecutive mailboxes (files gN-...): N 1..20 the first, 21..40 the
 * second ... */
#define DIRECTORY_SIZE 20
static int directory_of(const item *it)
{
    return (atoi(it->file + 1) - 1) / DIRECTORY_SIZE;
}

/* The pause-bounded stretch around [start_s, end_s): the speech segments of
 * sig (gaps under 200 ms joined) that overlap it, with it; its length in s. */
static double stretch_s(const rv_signal *sig, double start_s, double end_s)
{
    double a = start_s, b = end_s;
    for (size_t i = 0; i < sig->n_speech; i++) {
        const rv_segment *g = &sig->speech[i];
        if (g->end_s <= start_s || g->start_s >= end_s) continue;
        if (g->start_s < a) a = g->start_s;
        if (g->end_s > b) b = g->end_s;
    }
    return b - a;
}

/* Each greeting the way rostvakt analyze --name --unit sees it (analysis,
 * then verification), but only the name, the unit and the closing prompt:
 * the absence search would make this part take a quarter of an hour; the
 * absence part below runs the full path and gives its real-time factor. */
static void score(rv_asr *asr, const char *dir, split *s)
{
    rv_audio_limits lim = {20 << 20, 600};
    rv_config cfg;
    rv_config_defaults(&cfg);
    rv_analyzer an = {&cfg, NULL};
    rv_verify_thresholds th = rv_verify_thresholds_of(&cfg);
    th.phrases_only = 1;
    /* a directory is DIRECTORY_SIZE consecutive mailboxes of the split: each
     * name is weighed against the others of its own (rv_cohort_pick), as the
     * service does with its mailboxes */
    const char **names = calloc(s->n ? s->n : 1, sizeof *names), **units = calloc(s->n ? s->n : 1, sizeof *units);
    if (!names || !units) exit(1);
    for (size_t i = 0; i < s->n; i++) {
        item *it = &s->it[i];
        size_t nd = 0;
        for (size_t j = 0; j < s->n; j++)
            if (directory_of(&s->it[j]) == directory_of(it)) names[nd] = s->it[j].name, units[nd++] = s->it[j].unit;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, it->file);
        rv_pcm p;
        rv_error e;
        rv_report r;
        rv_expect x = {.name = it->name, .unit = it->unit, .rec_year = 2026, .rec_month = 11, .rec_day = 22,
                       .cohort = names, .cohort_units = units, .n_cohort = nd};
        if (rv_audio_decode_file(path, RV_AUDIO_AUTO, &lim, &p, &e) != RV_OK ||
            rv_analyze_pcm(&an, &p, RV_KIND_GREETING, &r, &e) != RV_OK) {
            fprintf(stderr, "%s: %s\n", path, e.msg);
            exit(1);
        }
        if (rv_verify_greeting(asr, &p, &x, NULL, &th, &r, &e) != RV_OK) {
            fprintf(stderr, "%s: %s\n", path, e.msg);
            exit(1);
        }
        s->audio_s += (double)p.n / p.rate;
        rv_pcm_free(&p);
        it->name_llr[0] = r.name.n_cohort ? r.name.raw_score : r.name.score;
        it->name_llr[1] = r.name.score;
        /* the closing prompt on the same utterance, its time apart */
        double cpu0 = rv_asr_cpu_seconds(asr);
        rv_phrase_check cl = {.score = -1e9};
        if (!r.missing && rv_verify_closing(asr, &th, &cl, &e) != RV_OK) {
            fprintf(stderr, "%s: %s\n", path, e.msg);
            exit(1);
        }
        s->closing_cpu_s += rv_asr_cpu_seconds(asr) - cpu0;
        it->closing_llr = cl.score;
        /* a unit's threshold grows with its length (asr_phrase_min_score_per_char): its
         * statistic is the score less that part, the intercept is what the tune split chooses */
        it->unit_llr[0] = r.unit.score - (rv_phrase_threshold(&th, it->unit) - th.phrase_min_score);
        it->margin[0] = r.name.score - r.name.threshold, it->verdict[0] = (int)r.name.verdict;
        it->margin[1] = r.unit.score - r.unit.threshold, it->verdict[1] = (int)r.unit.verdict;
        if (dump) {
            /* name rows: then the ratio before the directory, and its best competitor's */
            /* then the whole ratios, frames and phones (the name's, its competitor's) */
            /* ... and the pause-bounded stretch around it, in s */
            fprintf(dump, "%s\t%s\tname\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.1f\t%d\t%d\t%.1f\t%.2f\n", it->file,
                    it->channel, it->name_said, r.name.score, r.name.at_s, it->name_llr[0],
                    r.name.n_cohort ? r.name.cohort_score : -1e9, r.name.total, r.name.frames, r.name.phones,
                    r.name.n_cohort ? r.name.cohort_total : -1e9,
                    stretch_s(&r.signal, r.name.at_s, r.name.at_s + r.name.frames / 100.0));
            fprintf(dump, "%s\t%s\tunit\t%d\t%.2f\t%.2f\t%s\t%.1f\t%d\t%d\t%.2f\n", it->file, it->channel,
                    it->unit_said, r.unit.score, r.unit.at_s, it->unit, r.unit.total, r.unit.frames, r.unit.phones,
                    stretch_s(&r.signal, r.unit.at_s, r.unit.at_s + r.unit.frames / 100.0));
            fprintf(dump, "%s\t%s\tclosing\t%d\t%.2f\t%.2f\t%s\n", it->file, it->channel, it->prompted, cl.score,
                    cl.at_s, cl.expected);
        }
        rv_report_free(&r);
        if (s->progress) fprintf(stderr, "\r  %s %zu/%zu\033[K", dir, i + 1, s->n);
    }
    if (s->progress) fprintf(stderr, "\r\033[K");
    free(names);
    free(units);
    s->cpu_s = rv_asr_cpu_seconds(asr) - s->closing_cpu_s;
}

typedef struct {
    rv_lexicon *lex;
    const char *mllr, *dir;
    split *s;
    int ok;
} job;

/* One decoder a split, the two splits on two threads. */
static void *run_split(void *arg)
{
    job *j = arg;
    rv_asr *asr;
    rv_error e;
    if (rv_asr_open(getenv("RV_BENCH_HMM"), j->mllr, j->lex, &asr, &e) != RV_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return NULL;
    }
    score(asr, j->dir, j->s);
    rv_asr_free(asr);
    j->ok = 1;
    return NULL;
}

/* The same files through pocketsphinx_continuous (its default US English
 * language model and dictionary), as a reference for speed and memory. */
static void reference(const char *dir, const split *s, size_t max_files)
{
    rv_audio_limits lim = {20 << 20, 600};
    double audio = 0, cpu = 0;
    long rss = 0;
    size_t done = 0;
    for (size_t i = 0; i < s->n && done < max_files; i++) {
        char path[512], raw[] = "/tmp/rostvakt-ref-XXXXXX";
        snprintf(path, sizeof path, "%s/%s", dir, s->it[i].file);
        rv_pcm p;
        rv_error e;
        int16_t *pcm;
        size_t n;
        if (rv_audio_decode_file(path, RV_AUDIO_AUTO, &lim, &p, &e) != RV_OK) continue;
        rv_err rc = rv_asr_prepare(&p, &pcm, &n, &e);
        rv_pcm_free(&p);
        if (rc != RV_OK) continue;
        int fd = mkstemp(raw);
        if (fd < 0) { free(pcm); continue; }
        ssize_t w = write(fd, pcm, n * sizeof *pcm);
        close(fd);
        free(pcm);
        if (w != (ssize_t)(n * sizeof *pcm)) { unlink(raw); continue; }
        pid_t pid = fork();
        if (pid == 0) {
            int nul = open("/dev/null", O_WRONLY);
            if (nul >= 0) { dup2(nul, 1); dup2(nul, 2); }
            execlp("pocketsphinx_continuous", "pocketsphinx_continuous", "-infile", raw,
                   "-hmm", "/usr/share/pocketsphinx/model/en-us/en-us",
                   "-lm", "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin",
                   "-dict", "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict",
                   "-logfn", "/dev/null", (char *)NULL);
            _exit(127);
        }
        int st;
        struct rusage ru;
        if (pid > 0 && wait4(pid, &st, 0, &ru) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            audio += (double)n / 16000;
            cpu += ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
            if (ru.ru_maxrss > rss) rss = ru.ru_maxrss;
            done++;
        }
        unlink(raw);
    }
    if (!done) {
        printf("  reference: pocketsphinx_continuous did not run (package pocketsphinx)\n");
        return;
    }
    printf("  reference: pocketsphinx_continuous (en-us language model) on %zu of the test files:\n"
           "             real-time factor %.3f, peak resident memory %.1f MB\n",
           done, cpu / audio, rss / 1024.0);
}

/* unit: 0 the name alone, 1 the unit, 2 the name weighed against the
 * directory, 3 the closing prompt */
static double val(const item *it, int unit)
{
    return unit == 3 ? it->closing_llr : unit == 1 ? it->unit_llr[0] : it->name_llr[unit == 2];
}
static int said(const item *it, int unit)
{
    return unit == 3 ? it->prompted : unit == 1 ? it->unit_said : it->name_said;
}

/* Highest TPR with FPR <= 5 % on s (on its files of channel, or all): the
 * threshold. */
static double choose(const split *s, int unit, const char *channel)
{
    double best_t = -1e300, best_tpr = -1; /* none keeps FPR that low: above every score */
    for (size_t i = 0; i < s->n; i++)
        if (val(&s->it[i], unit) + 1 > best_t) best_t = val(&s->it[i], unit) + 1;
    for (size_t i = 0; i < s->n; i++) {
        if (channel && strcmp(s->it[i].channel, channel)) continue;
        double t = val(&s->it[i], unit);
        size_t tp = 0, p = 0, fp = 0, ng = 0;
        for (size_t j = 0; j < s->n; j++) {
            if (channel && strcmp(s->it[j].channel, channel)) continue;
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
    rv_config cd;
    rv_config_defaults(&cd);
    char per[48] = "";
    if (unit == 1) snprintf(per, sizeof per, " %+.1f a character", cd.asr_phrase_min_score_per_char);
    printf("  %-5s %-8s %-5s TPR %.2f  FPR %.2f  AUC %.2f  (%zu+ %zu-, threshold %.1f%s)\n", label,
           unit == 3 ? "closing" : unit == 1 ? "unit" : unit ? "name+dir" : "name", channel ? channel : "all",
           p ? (double)tp / p : 0,
           ng ? (double)fp / ng : 0, pairs ? (double)wins / pairs : 0, p, ng, t, per);
}

/* Three-way verdicts. For a kind of phrase, each file's margin is its score
 * less its codec's threshold (chosen on tune; the closing prompt's is the
 * shipped one). The band of unsure margins is the narrowest |margin| < w
 * with which the verdicts outside it are right at least 95 % of the time on
 * tune; the confidence slope that gives that band at
 * verdict_min_confidence 0.95 is ln(19) / w. */
typedef struct {
    double t[3]; /* the threshold of ulaw, gsm, other (linear PCM, FLAC: the shipped plain one) */
} thresholds2;

static int channel_index(const item *it)
{
    return strcmp(it->channel, "gsm") == 0 ? 1 : strcmp(it->channel, "other") == 0 ? 2 : 0;
}

static double margin(const item *it, int unit, const thresholds2 *th)
{
    return val(it, unit) - th->t[channel_index(it)];
}

/* The thresholds of a kind of phrase: each codec's chosen on tune, the
 * shipped plain one for other recordings, the shipped one for the closing. */
static thresholds2 thresholds_of(const split *tune, int unit)
{
    rv_config cd;
    rv_config_defaults(&cd);
    thresholds2 th = {{cd.asr_closing_min_score, cd.asr_closing_min_score, cd.asr_closing_min_score}};
    if (unit != 3) {
        th.t[0] = choose(tune, unit, "ulaw");
        th.t[1] = choose(tune, unit, "gsm");
        th.t[2] = unit == 2 ? cd.asr_name_cohort_min_score : cd.asr_phrase_min_score;
    }
    return th;
}

static double band_of(const split *s, int unit, const thresholds2 *th, double target)
{
    double best = 1e9;
    for (size_t i = 0; i < s->n; i++) {
        double w = margin(&s->it[i], unit, th);
        w = w < 0 ? -w : w;
        if (w >= best) continue;
        size_t right = 0, n = 0;
        for (size_t j = 0; j < s->n; j++) {
            double m = margin(&s->it[j], unit, th);
            if (m > -w && m < w) continue;
            n++;
            right += (m >= 0) == (said(&s->it[j], unit) != 0);
        }
        if (n * 10 >= s->n && right >= target * (double)n) best = w; /* at least a tenth confident */
    }
    return best;
}

static void band_report(const char *label, const split *s, int unit, const thresholds2 *th, double w)
{
    size_t n = 0, unsure = 0, right = 0, cp = 0, ctp = 0, cn = 0, cfp = 0;
    for (size_t j = 0; j < s->n; j++) {
        const item *it = &s->it[j];
        double m = margin(it, unit, th);
        int pos = said(it, unit) != 0;
        n++;
        if (m > -w && m < w) {
            unsure++;
            continue;
        }
        right += (m >= 0) == pos;
        if (pos) cp++, ctp += m >= 0;
        else cn++, cfp += m >= 0;
    }
    size_t conf = n - unsure;
    printf("  %-5s %-8s unsure %.2f; confident verdicts right %.2f, TPR %.2f FPR %.2f  (%zu files, %zu+ %zu- confident)\n",
           label, unit == 3 ? "closing" : unit == 1 ? "unit" : "name+dir", n ? (double)unsure / n : 0,
           conf ? (double)right / conf : 0, cp ? (double)ctp / cp : 0, cn ? (double)cfp / cn : 0, n, cp, cn);
}

/* RV_BENCH_MARGINS=FILE: every file's name (weighed against the directory)
 * and unit margin over the shipped threshold of its codec, with the shipped
 * verdict, for bench_real --margins (the three-way verdicts of bands chosen
 * on real voices). Lines: split, channel, name|unit, said, margin, verdict. */
static void write_margins(const split *tune, const split *test, const split *broad)
{
    const char *path = getenv("RV_BENCH_MARGINS");
    if (!path || !*path) return;
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bench_verify: cannot write %s\n", path);
        exit(1);
    }
    const split *splits[3] = {tune, test, broad};
    const char *labels[3] = {"tune", "test", "broad"};
    for (int sp = 0; sp < 3; sp++)
        for (size_t j = 0; splits[sp] && j < splits[sp]->n; j++) {
            const item *it = &splits[sp]->it[j];
            for (int k = 0; k < 2; k++)
                fprintf(f, "%s\t%s\t%s\t%d\t%.4f\t%d\n", labels[sp], it->channel, k ? "unit" : "name", said(it, k ? 1 : 2),
                        it->margin[k], it->verdict[k]);
        }
    if (fclose(f) != 0) {
        fprintf(stderr, "bench_verify: cannot write %s\n", path);
        exit(1);
    }
}

static void bands(const split *tune, const split *test, const split *broad)
{
    rv_config cd;
    rv_config_defaults(&cd);
    printf("  three-way verdicts (the unsure band chosen on tune: the narrowest with confident verdicts\n"
           "  right >= 95 %%; its slope at verdict_min_confidence 0.95 is ln(19) / half-width):\n");
    const int units[] = {2, 1, 3};
    for (int k = 0; k < 3; k++) {
        int unit = units[k];
        thresholds2 th = thresholds_of(tune, unit);
        /* the closing prompt may not reach 95 %: then the best it reaches */
        double target = 0.95, w = band_of(tune, unit, &th, target);
        while (w >= 1e9 && target > 0.6) target -= 0.05, w = band_of(tune, unit, &th, target);
        printf("  %-8s half-width %.2f, slope %.3f (confident verdicts right >= %.2f on tune)\n",
               unit == 3 ? "closing" : unit == 1 ? "unit" : "name+dir", w, w > 0 && w < 1e9 ? 2.944439 / w : 0,
               target);
        band_report("tune", tune, unit, &th, w);
        band_report("test", test, unit, &th, w);
        if (broad) band_report("broad", broad, unit, &th, w);
    }
}

/* The broad split (bench/make-broad-set.sh) at the tune split's thresholds:
 * each codec its own, other recordings the shipped plain ones. */
static void broad_report(const split *tune, const split *broad)
{
    printf("  broad split (every other voice variant, rates, pitches, levels -2..-25 dBFS, noises,\n"
           "  mu-law, A-law, GSM, PCM, 16 kHz FLAC, impostors in and outside the directory):\n");
    const int units[] = {2, 1};
    for (int k = 0; k < 2; k++) {
        thresholds2 th = thresholds_of(tune, units[k]);
        report("broad", broad, units[k], th.t[0], "ulaw");
        report("broad", broad, units[k], th.t[1], "gsm");
        report("broad", broad, units[k], th.t[2], "other");
    }
}

/* Labelled files of the voicemail and absence sets: file, channel, label
 * ("-": none), text. */
typedef struct {
    char file[64], label[64];
    double score;     /* the best case word's, or the absence phrase's */
    int flag;         /* absence: judged an absence greeting */
    char found[64];   /* the case word, or the end date found */
} lab_item;

typedef struct {
    lab_item *it;
    size_t n, cap;
    const char *dir;
    rv_lexicon *lex;
    const char *mllr;
    int ok;
    double audio_s, cpu_s, closing_cpu_s; /* cpu_s: the name's, its directory's and the unit's */
} lab_split;

static rv_err lab_row(char *line, int lineno, void *user, rv_error *err)
{
    lab_split *s = user;
    if (lineno == 1) return RV_OK;
    char *f[4] = {0}, *r = line;
    for (int k = 0; k < 4 && r; k++) f[k] = strsep(&r, "\t");
    if (!f[2]) return rv_error_set(err, RV_ERR_CONFIG, "%s/manifest.tsv line %d is short", s->dir, lineno);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->it = realloc(s->it, s->cap * sizeof *s->it);
    }
    lab_item *it = &s->it[s->n++];
    memset(it, 0, sizeof *it);
    snprintf(it->file, sizeof it->file, "%s", f[0]);
    snprintf(it->label, sizeof it->label, "%s", strcmp(f[2], "-") ? f[2] : "");
    return RV_OK;
}

/* Load the manifests of two splits and run fn on each, on two threads. */
static int run_two(void *(*fn)(void *), lab_split sp[2], const char *const dirs[2], rv_lexicon *lex,
                   const char *mllr)
{
    rv_error e;
    for (int k = 0; k < 2; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/manifest.tsv", dirs[k]);
        sp[k].dir = dirs[k];
        sp[k].lex = lex;
        sp[k].mllr = mllr;
        if (rv_textfile_each(path, RV_ERR_IO, lab_row, &sp[k], &e) != RV_OK) {
            fprintf(stderr, "%s\n", e.msg);
            return 0;
        }
    }
    pthread_t th;
    int threaded = pthread_create(&th, NULL, fn, &sp[0]) == 0;
    if (!threaded) fn(&sp[0]);
    fn(&sp[1]);
    if (threaded) pthread_join(th, NULL);
    return sp[0].ok && sp[1].ok;
}

/* Decode and analyse every file of s as kind, then hand it to one() with
 * this thread's decoder. */
typedef rv_err (*lab_fn)(rv_asr *asr, const rv_pcm *p, rv_report *r, lab_item *it, rv_error *e);

static void run_lab(lab_split *s, rv_kind kind, lab_fn one)
{
    rv_config cfg;
    rv_config_defaults(&cfg);
    rv_analyzer an = {&cfg, NULL};
    rv_asr *asr;
    rv_error e;
    rv_audio_limits lim = {20 << 20, 600};
    if (rv_asr_open(NULL, s->mllr, s->lex, &asr, &e) != RV_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return;
    }
    for (size_t i = 0; i < s->n; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", s->dir, s->it[i].file);
        rv_pcm p;
        rv_report r;
        if (rv_audio_decode_file(path, RV_AUDIO_AUTO, &lim, &p, &e) != RV_OK ||
            rv_analyze_pcm(&an, &p, kind, &r, &e) != RV_OK) {
            fprintf(stderr, "%s: %s\n", path, e.msg);
            break;
        }
        rv_err rc = one(asr, &p, &r, &s->it[i], &e);
        s->audio_s += (double)p.n / p.rate;
        rv_pcm_free(&p);
        rv_report_free(&r);
        if (rc != RV_OK) {
            fprintf(stderr, "%s: %s\n", path, e.msg);
            break;
        }
        if (i + 1 == s->n) s->ok = 1;
    }
    s->cpu_s = rv_asr_cpu_seconds(asr);
    rv_asr_free(asr);
}

static char (*vm_words)[64]; /* the case words, loaded once before the threads */
static size_t vm_n_words;

static rv_err vm_one(rv_asr *asr, const rv_pcm *p, rv_report *r, lab_item *it, rv_error *e)
{
    /* every group's winner, whatever its score */
    rv_err rc = rv_spot_keywords(asr, p, (const char (*)[64])vm_words, vm_n_words, -1e9, 1e9, r, e);
    it->score = -1e9;
    for (size_t k = 0; rc == RV_OK && k < r->n_keywords; k++)
        if (r->keywords[k].score > it->score) {
            it->score = r->keywords[k].score;
            snprintf(it->found, sizeof it->found, "%s", r->keywords[k].word);
        }
    return rc;
}

static void *run_vm(void *arg)
{
    run_lab(arg, RV_KIND_VOICEMAIL, vm_one);
    return NULL;
}

static void vm_report(const char *label, const lab_split *s, double t)
{
    size_t p = 0, tp = 0, right = 0, n = 0, fp = 0;
    for (size_t i = 0; i < s->n; i++) {
        const lab_item *it = &s->it[i];
        int yes = it->score >= t;
        if (getenv("RV_BENCH_VERBOSE"))
            fprintf(stderr, "%s %s %-16s %-16s %.2f\n", label, it->file, it->label[0] ? it->label : "-", it->found,
                    it->score);
        if (it->label[0]) {
            p++;
            tp += yes;
            right += yes && strcmp(it->found, it->label) == 0;
        } else {
            n++;
            fp += yes;
        }
    }
    printf("  %-5s case word found TPR %.2f (the right word %.2f)  FPR %.2f  (%zu+ %zu-, threshold %.1f)\n",
           label, p ? (double)tp / p : 0, p ? (double)right / p : 0, n ? (double)fp / n : 0, p, n, t);
}

static void keywords(rv_lexicon *lex, const char *mllr, const char *tune_dir, const char *test_dir)
{
    lab_split sp[2] = {{0}};
    const char *const dirs[2] = {tune_dir, test_dir};
    rv_error e;
    char (*words)[64];
    size_t n_words;
    if (rv_case_words_load("models/case-words.sv", &words, &n_words, &e) != RV_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return;
    }
    vm_words = words;
    vm_n_words = n_words;
    if (run_two(run_vm, sp, dirs, lex, mllr)) {
        /* threshold: highest TPR at FPR <= 5 % on the tune voicemails; when
         * none keeps FPR that low, one above every score (nothing is found) */
        double best_t = -1e300, best_tpr = -1;
        for (size_t i = 0; i < sp[0].n; i++)
            if (sp[0].it[i].score + 1 > best_t) best_t = sp[0].it[i].score + 1;
        for (size_t i = 0; i < sp[0].n; i++) {
            double t = sp[0].it[i].score;
            size_t p = 0, tp = 0, n = 0, fp = 0;
            for (size_t j = 0; j < sp[0].n; j++) {
                int yes = sp[0].it[j].score >= t;
                if (sp[0].it[j].label[0]) { p++; tp += yes; } else { n++; fp += yes; }
            }
            double tpr = p ? (double)tp / p : 0;
            if (n && (double)fp / n <= 0.05 && tpr > best_tpr) { best_tpr = tpr; best_t = t; }
        }
        vm_report("tune", &sp[0], best_t);
        vm_report("test", &sp[1], best_t);
        rv_config cd;
        rv_config_defaults(&cd);
        printf("  (a voicemail counts as found when its best case word reaches the threshold;\n"
               "   the default asr_keyword_min_score is %.1f)\n", cd.asr_keyword_min_score);
    }
    free(sp[0].it);
    free(sp[1].it);
    free(words);
}

/* Absence greetings and their end (make-asr-sets.sh abs-tune, abs-test), at
 * the product's thresholds, the way rostvakt analyze --date 2026-11-22 sees them. */
static rv_err abs_one(rv_asr *asr, const rv_pcm *p, rv_report *r, lab_item *it, rv_error *e)
{
    rv_expect exp = {0};
    exp.rec_year = 2026, exp.rec_month = 11, exp.rec_day = 22;
    exp.name = "Anna Svensson", exp.unit = "ekonomienheten"; /* the full path: name and unit too */
    /* the defaults of src/config.c; RV_ABS_MIN, RV_DATE_MIN to study others */
    rv_config cd;
    rv_config_defaults(&cd);
    rv_verify_thresholds th = rv_verify_thresholds_of(&cd);
    if (getenv("RV_ABS_MIN")) th.absence_min_score = atof(getenv("RV_ABS_MIN"));
    if (getenv("RV_DATE_MIN")) th.date_min_score = atof(getenv("RV_DATE_MIN"));
    rv_err rc = rv_verify_greeting(asr, p, &exp, NULL, &th, r, e);
    if (rc != RV_OK) return rc;
    it->score = r->absence.score;
    if (getenv("RV_BENCH_VERBOSE")) fprintf(stderr, "%s date score %.1f\n", it->file, r->until_score);
    it->flag = r->absence.stated;
    snprintf(it->found, sizeof it->found, "%s", r->absence_until);
    return RV_OK;
}

static void *run_abs(void *arg)
{
    run_lab(arg, RV_KIND_GREETING, abs_one);
    return NULL;
}

static void absences(rv_lexicon *lex, const char *mllr, const char *tune_dir, const char *test_dir)
{
    lab_split sp[2] = {{0}};
    const char *const dirs[2] = {tune_dir, test_dir};
    int ok = run_two(run_abs, sp, dirs, lex, mllr);
    for (int k = 0; k < 2 && ok; k++) {
        size_t p = 0, tp = 0, n = 0, fp = 0, exact = 0, day = 0, pairs = 0, wins = 0;
        for (size_t i = 0; i < sp[k].n; i++) {
            const lab_item *a = &sp[k].it[i];
            if (!a->label[0]) { n++; fp += a->flag; continue; }
            p++;
            tp += a->flag;
            exact += strcmp(a->found, a->label) == 0;
            day += strncmp(a->found, a->label, 10) == 0;
            for (size_t j = 0; j < sp[k].n; j++)
                if (!sp[k].it[j].label[0]) { pairs++; wins += a->score > sp[k].it[j].score; }
        }
        if (getenv("RV_BENCH_VERBOSE"))
            for (size_t i = 0; i < sp[k].n; i++)
                fprintf(stderr, "%s %s score %.1f until %s found %s\n", sp[k].dir, sp[k].it[i].file,
                        sp[k].it[i].score, sp[k].it[i].label, sp[k].it[i].found);
        printf("  %-5s absence TPR %.2f  FPR %.2f  (phrase AUC %.2f); end date right %.2f, date and hour right %.2f  (%zu+ %zu-)\n",
               k ? "test" : "tune", p ? (double)tp / p : 0, n ? (double)fp / n : 0,
               pairs ? (double)wins / pairs : 0, p ? (double)day / p : 0, p ? (double)exact / p : 0, p, n);
    }
    if (ok)
        printf("  real-time factor %.3f of the full greeting path (name, unit, closing prompt, absence and\n"
               "                   its end) on these greetings; target <= 0.1\n",
               (sp[0].cpu_s + sp[1].cpu_s) / (sp[0].audio_s + sp[1].audio_s));
    free(sp[0].it);
    free(sp[1].it);
}

/* AUC of positives pos[np] over negatives neg[nn] (ties count half). */
static double auc_of(const double *pos, size_t np, const double *neg, size_t nn)
{
    double w = 0;
    for (size_t i = 0; i < np; i++)
        for (size_t j = 0; j < nn; j++) w += pos[i] > neg[j] ? 1 : pos[i] == neg[j] ? 0.5 : 0;
    return np && nn ? w / ((double)np * (double)nn) : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A bootstrap 95 % interval of the AUC: positives and negatives each
 * resampled, 2000 times, a fixed seed. */
static void auc_interval(const double *pos, size_t np, const double *neg, size_t nn, double *lo, double *hi)
{
    enum { B = 2000 };
    double *a = malloc(B * sizeof *a), *p = malloc((np + 1) * sizeof *p), *q = malloc((nn + 1) * sizeof *q);
    if (!a || !p || !q || !np || !nn) {
        *lo = *hi = 0;
        free(a), free(p), free(q);
        return;
    }
    unsigned long long x = 88172645463325252ULL;
    for (int b = 0; b < B; b++) {
        for (size_t i = 0; i < np; i++) x ^= x << 13, x ^= x >> 7, x ^= x << 17, p[i] = pos[x % np];
        for (size_t j = 0; j < nn; j++) x ^= x << 13, x ^= x >> 7, x ^= x << 17, q[j] = neg[x % nn];
        a[b] = auc_of(p, np, q, nn);
    }
    qsort(a, B, sizeof *a, cmp_double);
    *lo = a[(int)(0.025 * B)], *hi = a[(int)(0.975 * B) - 1];
    free(a), free(p), free(q);
}

/* One installation's held-out greetings (bench/adapt-curve.sh) as the
 * service decides them: each file's score less the threshold its report was
 * held to (the shipped ones of its codec), names weighed against their
 * directory, and the three-way verdicts. AUC of those margins with a
 * bootstrap 95 % interval. */
static void installation_report(const split *s)
{
    static const char *const chans[] = {"ulaw", "gsm", "other", NULL};
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < 4; c++) {
            double *pos = malloc((s->n + 1) * sizeof *pos), *neg = malloc((s->n + 1) * sizeof *neg);
            if (!pos || !neg) exit(1);
            size_t np = 0, nn = 0, tp = 0, fp = 0, unsure = 0, right = 0;
            for (size_t i = 0; i < s->n; i++) {
                const item *it = &s->it[i];
                if (chans[c] && strcmp(it->channel, chans[c])) continue;
                int said_it = k ? it->unit_said : it->name_said;
                double m = it->margin[k];
                if (said_it) pos[np++] = m, tp += m >= 0;
                else neg[nn++] = m, fp += m >= 0;
                if (it->verdict[k] == RV_VERDICT_UNSURE) unsure++;
                else right += (it->verdict[k] == RV_VERDICT_STATED) == (said_it != 0);
            }
            if (np + nn == 0) {
                free(pos), free(neg);
                continue;
            }
            double lo, hi, a = auc_of(pos, np, neg, nn);
            auc_interval(pos, np, neg, nn, &lo, &hi);
            size_t conf = np + nn - unsure;
            char auc[48] = "AUC -";
            if (np && nn) snprintf(auc, sizeof auc, "AUC %.2f [%.2f, %.2f]", a, lo, hi);
            printf("  %-8s %-5s TPR %.2f  FPR %.2f  %s  (%zu+ %zu-); unsure %.2f, confident right %.2f (%zu)\n",
                   k ? "unit" : "name+dir", chans[c] ? chans[c] : "all", np ? (double)tp / np : 0,
                   nn ? (double)fp / nn : 0, auc, np, nn, (double)unsure / (double)(np + nn),
                   conf ? (double)right / conf : 0, conf);
            free(pos), free(neg);
        }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_verify TUNE_DIR TEST_DIR [VM_TUNE_DIR VM_TEST_DIR [ABS_TUNE_DIR ABS_TEST_DIR "
                        "[BROAD_DIR]]]\n"
                        "       bench_verify --installation DIR (RV_ASR_MLLR, RV_BENCH_HMM: the model)\n");
        return 64;
    }
    rv_error e;
    rv_lexicon *lex;
    /* The channel adaptation make builds; RV_ASR_MLLR=none for the plain model. */
    const char *mllr = getenv("RV_ASR_MLLR") ? getenv("RV_ASR_MLLR") : "models/en-us-tel.mllr";
    if (strcmp(mllr, "none") == 0) mllr = NULL;
    if (rv_lexicon_open_models("models", &lex, &e) != RV_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    if (strcmp(argv[1], "--absence") == 0) { /* the absence part alone */
        absences(lex, mllr, argv[2], argv[3]);
        rv_lexicon_free(lex);
        return 0;
    }
    if (strcmp(argv[1], "--keywords") == 0) { /* the voicemail part alone */
        keywords(lex, mllr, argv[2], argv[3]);
        rv_lexicon_free(lex);
        return 0;
    }
    if (strcmp(argv[1], "--installation") == 0) { /* one installation's held-out greetings */
        split d = {0};
        char mp[512];
        snprintf(mp, sizeof mp, "%s/manifest.tsv", argv[2]);
        if (rv_textfile_each(mp, RV_ERR_IO, row, &d, &e) != RV_OK) { fprintf(stderr, "%s\n", e.msg); return 1; }
        d.progress = isatty(STDERR_FILENO);
        job j = {lex, mllr, argv[2], &d, 0};
        run_split(&j);
        if (j.ok) installation_report(&d);
        free(d.it);
        rv_lexicon_free(lex);
        return j.ok ? 0 : 1;
    }
    if (strcmp(argv[1], "--dump") == 0) { /* per-file figures of one split, for study */
        split d = {0};
        char mp[512];
        snprintf(mp, sizeof mp, "%s/manifest.tsv", argv[2]);
        if (rv_textfile_each(mp, RV_ERR_IO, row, &d, &e) != RV_OK) { fprintf(stderr, "%s\n", e.msg); return 1; }
        dump = stdout;
        job j = {lex, mllr, argv[2], &d, 0};
        run_split(&j);
        free(d.it);
        rv_lexicon_free(lex);
        return j.ok ? 0 : 1;
    }
    split tune = {0}, test = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/manifest.tsv", argv[1]);
    if (rv_textfile_each(path, RV_ERR_IO, row, &tune, &e) != RV_OK) { fprintf(stderr, "%s\n", e.msg); return 1; }
    snprintf(path, sizeof path, "%s/manifest.tsv", argv[2]);
    if (rv_textfile_each(path, RV_ERR_IO, row, &test, &e) != RV_OK) { fprintf(stderr, "%s\n", e.msg); return 1; }
    tune.progress = isatty(STDERR_FILENO);
    job jt = {lex, mllr, argv[1], &tune, 0}, js = {lex, mllr, argv[2], &test, 0};
    pthread_t th;
    if (pthread_create(&th, NULL, run_split, &jt) != 0) return 1;
    run_split(&js);
    pthread_join(th, NULL);
    if (!jt.ok || !js.ok) return 1;
    rv_config cdf;
    rv_config_defaults(&cdf);
    printf("  statistic: acoustic likelihood ratio per frame of the phrase (the one the report uses);\n"
           "  name+dir: the name's less %.1f times the best of up to %d other names of the directory\n"
           "  (what the service does with its mailboxes; here directories of 20 names, so all 19 others)\n",
           cdf.asr_name_cohort_weight, RV_COHORT_MAX);
    /* each codec its threshold, as rostvakt has (asr_*_g711, asr_*_gsm) */
    for (int unit = 0; unit < 3; unit++)
        for (int c = 0; c < 2; c++) {
            const char *ch = c ? "gsm" : "ulaw";
            double t = choose(&tune, unit, ch);
            report("tune", &tune, unit, t, ch);
            report("test", &test, unit, t, ch);
        }
    /* Labelled by what the greeting does, not by rostvakt's list of phrases:
     * test's "lämna gärna ett meddelande" and "lämna namn och nummer" count. */
    printf("  closing prompt (asks the caller to leave a message or refers them on, in whatever words;\n"
           "  the default asr_closing_min_score %.1f, and the threshold the tune split would choose):\n",
           cdf.asr_closing_min_score);
    report("tune", &tune, 3, cdf.asr_closing_min_score, NULL);
    report("test", &test, 3, cdf.asr_closing_min_score, "ulaw");
    report("test", &test, 3, cdf.asr_closing_min_score, "gsm");
    double tc = choose(&tune, 3, NULL);
    report("tune", &tune, 3, tc, NULL);
    report("test", &test, 3, tc, "ulaw");
    report("test", &test, 3, tc, "gsm");
    split broad = {0};
    int have_broad = argc >= 8;
    if (have_broad) {
        snprintf(path, sizeof path, "%s/manifest.tsv", argv[7]);
        if (rv_textfile_each(path, RV_ERR_IO, row, &broad, &e) != RV_OK) { fprintf(stderr, "%s\n", e.msg); return 1; }
        job jb = {lex, mllr, argv[7], &broad, 0};
        run_split(&jb);
        if (!jb.ok) return 1;
        broad_report(&tune, &broad);
    }
    bands(&tune, &test, have_broad ? &broad : NULL);
    write_margins(&tune, &test, have_broad ? &broad : NULL);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  real-time factor %.3f (name, its directory and unit only: CPU time of one decoder per second of audio)\n",
           (tune.cpu_s + test.cpu_s) / (tune.audio_s + test.audio_s));
    printf("  peak resident memory %.1f MB for the process with two decoders (target <= 100 MB a worker)\n",
           ru.ru_maxrss / 1024.0);
    if (argc >= 5) {
        printf("  keyword spotting on voicemails (16 case words per split, other words and voices in test):\n");
        keywords(lex, mllr, argv[3], argv[4]);
    }
    if (argc >= 7) {
        printf("  absence greetings and their end, at the default thresholds (chosen on abs-tune; recorded 2026-11-22):\n");
        absences(lex, mllr, argv[5], argv[6]);
    }
    reference(argv[2], &test, 20);
    rv_lexicon_free(lex);
    free(tune.it);
    free(test.it);
    free(broad.it);
    return 0;
}
