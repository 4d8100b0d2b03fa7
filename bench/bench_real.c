/* make bench: phrase verification on real recorded Swedish (the clips of
 * bench/make-real-sets.sh). Each word said in a clip is scored as the
 * directory's names and units are (rv_asr_best_of_in with the directory
 * map, a word's other wording as an alternative), and so is each word of the
 * speaker's next clip, which is not said. Two kinds of trials, as the job
 * has them: in clips of single words, the words of four phones or more
 * (names and units are longer; letters and numbers of one to three phones
 * fit anywhere); in read sentences, the words of four letters or more,
 * against those of another sentence of the same speaker. Each kind through
 * mu-law, GSM and wideband (16 kHz): AUC with a bootstrap 95 % interval
 * (trials resampled within said and not said, 2000 times) and n, per
 * speaker and pooled, and the shipped three-way verdicts (confident right,
 * unsure). Then, over the words in clips, figures per speaker and for all:
 * AUC; the best TPR at FPR <= 0.05 and <= 0.10 on the speaker's own trials
 * (a threshold chosen on what it is measured on: an upper bound); the TPR
 * and FPR at a threshold chosen on the other speakers (leave-one-speaker-out,
 * FPR <= 0.10 there); and at the shipped unit threshold of the clip's codec.
 * Before those, the statistics a decision could rest on, side by side on
 * the same trials: the ratio per frame (shipped), the whole ratio, and each
 * less a line in the phrase's phone count fitted on the other speakers
 * (stat_table); and, as names are weighed against the directory, each
 * less its best competitor among the speaker's other words; and the whole
 * ratio spread over the pause-bounded stretch around the phrase.
 * With --cohort FILE (one word a line, up to RV_ASR_MAX_ALTS) each score is the word's
 * less 0.5 times the best of the cohort's (floor -15), as names are weighed
 * against the directory. RV_BENCH_HMM names another acoustic model directory
 * (bench/adapt-real.sh ... map). Another language (bench/bench-es.sh):
 * RV_BENCH_VOICE (espeak-ng's voice) with RV_BENCH_MAP and
 * RV_BENCH_DIRECTORY_MAP (its phone maps); RV_BENCH_LINE_FROM=SPEAKER fits
 * the length lines on that speaker (a tune half) for all, and
 * RV_BENCH_LINE_SLOPES="FRAME TOTAL" gives their slopes a phone instead.
 * The length line on the per-frame ratio is also compared paired with the
 * ratio and with the shipped margin (bench_auc_diff_interval: both on the
 * same resampled trials).
 * Name-length trials (KIND_PHRASE_NAME, KIND_PHRASE_UNIT): in read
 * sentences, two or three consecutive words of >= 8 phones (a first and a
 * last name's length; columns 9 and 10 of the manifest give the clip's and
 * the next clip's words in order, else a sentence's said words are taken
 * as in order) against a phrase of as many words of another sentence of
 * the speaker, scored as a name is (one phrase, weighed against the
 * speaker's other phrases) and as a unit is.
 * Three-way verdicts for real voices: bands of margins chosen on
 * RV_BENCH_LINE_FROM's speaker (choose_band) or given in RV_BENCH_BANDS,
 * beside the shipped verdicts; bench_real --margins FILE applies the given
 * bands to the synthetic splits' margins (bench_verify's RV_BENCH_MARGINS).
 * Usage: bench_real [--cohort FILE] SET_DIR [MODELS_DIR]
 *        RV_BENCH_BANDS="..." bench_real --margins FILE */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "rostvakt/asr.h"
#include "rostvakt/audio.h"
#include "rostvakt/calibrate.h"
#include "rostvakt/config.h"
#include "rostvakt/lexicon.h"
#include "rostvakt/postgram.h"
#include "rostvakt/template.h"
#include "rostvakt/verify.h"
#include "stats.h"

#define MAX_TRIALS 8192
#define MAX_SPEAKERS 16

typedef struct {
    int speaker;
    int said;
    double score;  /* llr per frame (with a cohort: less COHORT_WEIGHT times the cohort's best) */
    double raw;    /* llr per frame */
    double cohort; /* the cohort's best llr per frame, or -1e9 */
    double shipped; /* the shipped threshold for this word and codec */
    double word_min; /* the weakest word's ratio per frame */
    double per_phone; /* 10 ms frames per phone of the forced path */
    int has_tmpl;   /* a template of the word was matched */
    double tmpl;    /* its fit: minus the mean DTW frame distance */
    int kind;       /* KIND_WORDS, KIND_SENTENCE, KIND_PHRASE_NAME or KIND_PHRASE_UNIT */
    int channel;    /* CH_ULAW, CH_GSM or CH_WIDE */
    int verdict;    /* the shipped three-way verdict (rv_verdict) */
    double margin;  /* the decision's score less its shipped threshold (as verdict was reached) */
    double total;   /* the whole ratio over the word's frames */
    int frames, phones;
    double shipped_rel; /* the shipped threshold less its intercept (the part that grows with length) */
    double stretch; /* the pause-bounded stretch around it, in s */
    double dir_llr, dir_total; /* the best of the speaker's other words (a directory), per frame and whole */
    int clip, seq;  /* the clip's line in the manifest and the order scored in it: trials scored in
                     * parts are put back in order */
    double tmpl_self; /* RV_BENCH_TMPL_PG: the template's mean distance to itself, frame by frame */
    double tmpl_bg, tmpl_bg_sd; /* RV_BENCH_TMPL_PG: the mean and sd over the clip's end frames of the
                                 * best path's mean distance ending there (the fit's background) */
    int loop_phones;  /* phones the free loop puts in the word's frames */
    double loop_fpp;  /* the free loop's frames per phone over the clip */
} trial;

/* KIND_PHRASE_NAME: name-length phrases of read sentences, two or three
 * consecutive words of >= 8 phones (a first and last name's length), scored
 * as rv_verify_greeting scores a name: the phrase as one, its ratio less
 * 0.5 x the best of the speaker's other phrases (floor -15), at the name's
 * threshold and slope; KIND_PHRASE_UNIT: the same searches at a unit's
 * threshold (falling with the characters) and slope. */
enum { KIND_WORDS, KIND_SENTENCE, KIND_PHRASE_NAME, KIND_PHRASE_UNIT, N_KINDS };
enum { CH_ULAW, CH_GSM, CH_WIDE, N_CHANNELS };
static const char *const kind_names[N_KINDS] = {
    "words in clips, >= 4 phones", "read sentences, words >= 4 letters",
    "read sentences, phrases of 2-3 words >= 8 phones, as names (against the speaker's other phrases)",
    "read sentences, the same phrases as units"};
static const char *const channel_names[N_CHANNELS] = {"mu-law", "GSM", "wideband"};
/* What a trial must have to count (RV_BENCH_ALL_WORDS=1: every word, the
 * earlier design, for comparison). */
#define MIN_PHONES 4
#define MIN_LETTERS 4
#define MIN_PHRASE_PHONES 8
static int all_words;
/* The trials the figures are of: a kind and a channel (-1: any). */
static int f_kind = -1, f_chan = -1;
static int f_ph_lo = 0, f_ph_hi = 1 << 30; /* the trials' phone counts picked */

static trial trials[MAX_TRIALS];
/* An optional cohort of ordinary words, each trial's score normalised by the
 * best of them as a name is by the directory's other names. */
#define MAX_COHORT RV_ASR_MAX_ALTS
static const char *cohort[MAX_COHORT];
static size_t n_cohort;
static double cohort_weight = 0.5, cohort_floor = -15;
/* the phone map trials are pronounced with (RV_BENCH_VOCAB=fixed: the
 * hand-written one) */
static rv_vocab vocab = RV_VOCAB_DIRECTORY;
static size_t n_trials;
static char speakers[MAX_SPEAKERS][64];
static int n_speakers;

/* Each speaker's words of the kind's length (first wordings), as a
 * directory's other names are: each trial's word is weighed against the
 * nearest RV_COHORT_MAX of them (rv_cohort_pick), less the words said in
 * the clip, as a greeting seldom says a colleague's name. */
#define MAX_VOCAB 256
#define VOCAB_BYTES 128
static char vocab_words[MAX_SPEAKERS][N_KINDS][MAX_VOCAB][VOCAB_BYTES];
static const char *vocab_list[MAX_SPEAKERS][N_KINDS][MAX_VOCAB];
static size_t n_vocab[MAX_SPEAKERS][N_KINDS];

/* line's tab-separated fields into f[0..10), its newline dropped: the index
 * of the last field found (as many as there are, less one). */
#define N_FIELDS 10
static int split_fields(char *line, char *f[N_FIELDS])
{
    line[strcspn(line, "\n")] = '\0';
    int k = 0;
    for (char *p = line; k < N_FIELDS; k++) {
        f[k] = p;
        p = strchr(p, '\t');
        if (!p) break;
        *p++ = '\0';
    }
    return k;
}

static int speaker_index(const char *name)
{
    for (int i = 0; i < n_speakers; i++)
        if (strcmp(speakers[i], name) == 0) return i;
    if (n_speakers == MAX_SPEAKERS) return -1;
    snprintf(speakers[n_speakers], sizeof speakers[0], "%s", name);
    return n_speakers++;
}

/* Score every word of list ("a|b/b2|c") on the current clip. */
/* The template file's features (cached by name), or NULL. */
static const rv_features *template_of(const char *dir, const char *name)
{
    static struct {
        char name[128];
        rv_features f;
    } cache[512];
    static size_t n;
    if (!name || strcmp(name, "-") == 0) return NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(cache[i].name, name) == 0) return cache[i].f.v ? &cache[i].f : NULL;
    if (n == sizeof cache / sizeof *cache) return NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    rv_pcm pcm;
    rv_error e;
    rv_audio_limits lim = {1 << 26, 600};
    snprintf(cache[n].name, sizeof cache[n].name, "%s", name);
    if (rv_audio_decode_file(path, rv_audio_hint_for_path(path), &lim, &pcm, &e) == RV_OK) {
        if (rv_features_of(&pcm, &cache[n].f, &e) != RV_OK) fprintf(stderr, "bench_real: %s: %s\n", name, e.msg);
        rv_pcm_free(&pcm);
    }
    n++;
    return cache[n - 1].f.v ? &cache[n - 1].f : NULL;
}

static const char *set_dir;

/* RV_BENCH_TMPL_PG=1: the templates are matched on senone posteriorgrams
 * (postgram.h), as the service matches an owner's recorded name, not on mel
 * cepstra: each template's posteriorgram (the stretch its mel features
 * keep, as rv_postgram_find takes it) from a second decoder, so that the
 * clips' decoder sees the same audio in the same order as without
 * templates; the clip's of every frame. Clips of 30 s or more keep no
 * senone scores: their trials have no template. */
static int tmpl_pg;
static rv_asr *tmpl_asr;
static rv_postgram clip_pg;
static int have_clip_pg;
static double tmpl_cpu, match_cpu, clip_pg_cpu; /* CPU seconds: templates' posteriorgrams, matching, clips' */
static size_t n_tmpl_made, n_matched;

static double cpu_s(void) { return (double)clock() / CLOCKS_PER_SEC; }

/* postgram.c's frame distance (-log of the smoothed inner product) */
static double pg_cost_b(void *ctx, size_t t, size_t u)
{
    const rv_postgram *const *pp = ctx;
    const rv_postgram *a = pp[0], *b = pp[1];
    const uint16_t *ia = &a->id[t * RV_POSTGRAM_TOPN], *ib = &b->id[u * RV_POSTGRAM_TOPN];
    const float *pa = &a->p[t * RV_POSTGRAM_TOPN], *pb = &b->p[u * RV_POSTGRAM_TOPN];
    double s = 0, sm = 0.01;
    for (int x = 0; x < RV_POSTGRAM_TOPN; x++)
        for (int y = 0; y < RV_POSTGRAM_TOPN; y++)
            if (ia[x] == ib[y]) s += (double)pa[x] * pb[y];
    return -log((1 - sm) * (1 - sm) * s + sm * (2 - sm) / (double)a->n_sen);
}

/* rv_sdtw's recursion (template.c), keeping for every utterance frame u the
 * mean cost of the best path of the whole template ending there: the
 * least of them is rv_postgram_match's distance; their mean and sd over u
 * into *bg, *bg_sd. 0 when no path. */
static int sdtw_background(const rv_postgram *tm, const rv_postgram *ut, double *best_out, double *bg, double *bg_sd)
{
    size_t T = tm->n, U = ut->n;
    if (!T || !U || T > 2 * U) return 0;
    const rv_postgram *pp[2] = {tm, ut};
    double *D = malloc(2 * T * sizeof *D);
    size_t *L = malloc(2 * T * sizeof *L);
    if (!D || !L) {
        free(D), free(L);
        return 0;
    }
    double *pd = D, *cd = D + T, best_all = DBL_MAX, s1 = 0, s2 = 0;
    size_t *pl = L, *cl = L + T, n = 0;
    for (size_t u = 0; u < U; u++) {
        for (size_t t = 0; t < T; t++) {
            double c = pg_cost_b(pp, t, u);
            if (t == 0) {
                cd[0] = c, cl[0] = 1;
                continue;
            }
            double best = DBL_MAX;
            size_t bl = 0;
            if (u > 0 && pd[t - 1] < DBL_MAX && (pd[t - 1] + c) / (double)(pl[t - 1] + 1) < best)
                best = (pd[t - 1] + c) / (double)(pl[t - 1] + 1), bl = pl[t - 1] + 1;
            if (cd[t - 1] < DBL_MAX && (cd[t - 1] + c) / (double)(cl[t - 1] + 1) < best)
                best = (cd[t - 1] + c) / (double)(cl[t - 1] + 1), bl = cl[t - 1] + 1;
            if (u > 0 && pd[t] < DBL_MAX && (pd[t] + c) / (double)(pl[t] + 1) < best)
                best = (pd[t] + c) / (double)(pl[t] + 1), bl = pl[t] + 1;
            if (best == DBL_MAX) cd[t] = DBL_MAX, cl[t] = 0;
            else cd[t] = best * (double)bl, cl[t] = bl;
        }
        if (cd[T - 1] < DBL_MAX) {
            double v = cd[T - 1] / (double)cl[T - 1];
            if (v < best_all) best_all = v;
            s1 += v, s2 += v * v, n++;
        }
        double *td = pd;
        pd = cd, cd = td;
        size_t *tl = pl;
        pl = cl, cl = tl;
    }
    free(D), free(L);
    if (!n) return 0;
    *best_out = best_all;
    *bg = s1 / (double)n;
    *bg_sd = sqrt(s2 / (double)n - *bg * *bg);
    return 1;
}

static const rv_postgram *template_pg_of(const char *dir, const char *name)
{
    static struct {
        char name[128];
        rv_postgram g;
    } cache[2048];
    static size_t n;
    if (!name || strcmp(name, "-") == 0 || !tmpl_asr) return NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(cache[i].name, name) == 0) return cache[i].g.n ? &cache[i].g : NULL;
    if (n == sizeof cache / sizeof *cache) return NULL;
    double t0 = cpu_s();
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    rv_pcm pcm;
    rv_features f = {0};
    rv_error e;
    rv_audio_limits lim = {1 << 26, 600};
    snprintf(cache[n].name, sizeof cache[n].name, "%s", name);
    memset(&cache[n].g, 0, sizeof cache[n].g);
    if (rv_audio_decode_file(path, rv_audio_hint_for_path(path), &lim, &pcm, &e) == RV_OK) {
        if (rv_features_of(&pcm, &f, &e) != RV_OK || rv_asr_set_audio(tmpl_asr, &pcm, &e) != RV_OK ||
            rv_postgram_of(tmpl_asr, ((double)f.first - 0.5) * 0.01, ((double)(f.first + f.n) + 0.5) * 0.01, 0,
                           &cache[n].g, &e) != RV_OK)
            fprintf(stderr, "bench_real: template %s: %s\n", name, e.msg);
        rv_features_free(&f);
        rv_pcm_free(&pcm);
    } else
        fprintf(stderr, "bench_real: template %s: %s\n", name, e.msg);
    n_tmpl_made++;
    tmpl_cpu += cpu_s() - t0;
    n++;
    return cache[n - 1].g.n ? &cache[n - 1].g : NULL;
}
static rv_features clip_features;
static rv_signal clip_signal; /* the clip's speech segments */

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

static rv_lexicon *lexicon;

/* Phones of word's first pronunciation with the trials' map; 0 when it has none. */
static int phones_of(const char *word)
{
    rv_word_pron w[4];
    size_t n = 0;
    rv_error e;
    if (rv_lexicon_pronounce_in(lexicon, vocab, word, 1, w, 4, &n, &e) != RV_OK) return 0;
    int ph = 0;
    for (size_t i = 0; i < n; i++) {
        if (!w[i].n_prons || !w[i].prons[0][0]) continue;
        ph++;
        for (const char *c = w[i].prons[0]; *c; c++) ph += *c == ' ';
    }
    return ph;
}

static int letters_of(const char *word)
{
    int n = 0;
    for (const unsigned char *c = (const unsigned char *)word; *c; c++) n += (*c & 0xC0) != 0x80;
    return n;
}

/* Whether word (with its other wording after '/') is one of list's. */
static int in_list(const char *word, const char *list)
{
    size_t len = strcspn(word, "/");
    for (const char *p = list; p && *p;) {
        size_t l = strcspn(p, "|/");
        if (l == len && strncmp(p, word, len) == 0) return 1;
        p += strcspn(p, "|");
        if (*p) p++;
    }
    return 0;
}

/* A token of a transcript that can be part of a phrase: letters, with an
 * apostrophe or hyphen inside. */
static int letter_word(const char *w)
{
    if (!*w) return 0;
    for (const unsigned char *c = (const unsigned char *)w; *c; c++)
        if (!(*c >= 0x80 || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              ((*c == '\'' || *c == '-') && c != (const unsigned char *)w && c[1])))
            return 0;
    return 1;
}

static rv_asr *the_asr;
/* RV_BENCH_QUICK=1: the shipped score only (no directory searches, no
 * name-length phrases): for the template's figures, which need no more */
static int quick;

/* A name-length phrase of the transcript seq ("w1|w2|..." in the order said):
 * nw consecutive letter words (nw 0: two, or three where no two will do)
 * with >= MIN_PHRASE_PHONES phones that the lexicon can say; of those, the
 * one whose text hashes lowest (the same on every run and channel). With
 * avoid (the clip's own transcript, for a phrase not said in it): the
 * phrase does not occur in avoid and none of its words of four letters or
 * more is said there. Into out; returns its words, 0 for none. */
static int pick_phrase(const char *seq, int nw, const char *avoid, char *out, size_t cap)
{
    char buf[8192], abuf[8192];
    char *tok[256], *atok[256];
    int n = 0, na = 0;
    snprintf(buf, sizeof buf, "%s", seq ? seq : "");
    for (char *sv = NULL, *w = strtok_r(buf, "|", &sv); w && n < 256; w = strtok_r(NULL, "|", &sv)) tok[n++] = w;
    snprintf(abuf, sizeof abuf, "%s", avoid ? avoid : "");
    for (char *sv = NULL, *w = strtok_r(abuf, "|", &sv); w && na < 256; w = strtok_r(NULL, "|", &sv)) atok[na++] = w;
    out[0] = '\0';
    for (int want = nw ? nw : 2; want <= (nw ? nw : 3); want++) {
        uint32_t best = UINT32_MAX;
        for (int i = 0; i + want <= n; i++) {
            char ph[VOCAB_BYTES];
            size_t len = 0;
            int ok = 1;
            for (int k = 0; k < want && ok; k++) {
                const char *w = tok[i + k];
                ok = letter_word(w) && strlen(w) + len + 2 < sizeof ph;
                if (ok) len += (size_t)snprintf(ph + len, sizeof ph - len, "%s%s", k ? " " : "", w);
            }
            if (!ok) continue;
            if (avoid) { /* not said in the clip: no word of it >= 4 letters, nor the sequence */
                for (int k = 0; k < want && ok; k++)
                    for (int j = 0; j < na && ok; j++)
                        if (letters_of(tok[i + k]) >= MIN_LETTERS && strcmp(tok[i + k], atok[j]) == 0) ok = 0;
                for (int j = 0; j + want <= na && ok; j++) {
                    int same = 1;
                    for (int k = 0; k < want && same; k++) same = strcmp(tok[i + k], atok[j + k]) == 0;
                    if (same) ok = 0;
                }
            }
            if (!ok) continue;
            uint32_t h = 2166136261u; /* FNV-1a */
            for (const unsigned char *c = (const unsigned char *)ph; *c; c++) h = (h ^ *c) * 16777619u;
            if (h >= best || phones_of(ph) < MIN_PHRASE_PHONES) continue;
            int say = 0;
            rv_error e;
            if (rv_asr_sayable(the_asr, vocab, ph, &say, &e) != RV_OK) {
                fprintf(stderr, "bench_real: '%s': %s\n", ph, e.msg);
                exit(70);
            }
            if (!say) continue;
            best = h;
            snprintf(out, cap, "%s", ph);
        }
        if (out[0]) return want;
    }
    return 0;
}

/* Score a name-length phrase as rv_verify_greeting scores a name (check_name:
 * the phrase as one; its ratio less the weight times the best of the
 * speaker's other phrases, the nearest RV_COHORT_MAX by spelling less the
 * clip's own, floor RV_COHORT_FLOOR; the name's threshold and slope of the
 * codec) and as a unit (the ratio at the unit's threshold for its length):
 * two trials from the same searches. */
static void score_phrase(rv_asr *asr, const rv_verify_thresholds *th, const char *phrase, int speaker, int said,
                         int channel, const char *own)
{
    if (n_trials + 2 > MAX_TRIALS) return;
    rv_phrase_score sc, ds = {0};
    rv_error e;
    size_t best, db;
    if (rv_asr_best_of_in(asr, vocab, &phrase, 1, &best, &sc, &e) != RV_OK) {
        fprintf(stderr, "bench_real: '%s': %s\n", phrase, e.msg);
        exit(70);
    }
    const char *pick[RV_COHORT_MAX], *dir[RV_COHORT_MAX];
    size_t nv = rv_cohort_pick(phrase, NULL, vocab_list[speaker][KIND_PHRASE_NAME], NULL,
                               n_vocab[speaker][KIND_PHRASE_NAME], pick, RV_COHORT_MAX), nd = 0;
    for (size_t i = 0; i < nv; i++)
        if (!own || strcmp(pick[i], own)) dir[nd++] = pick[i];
    double raw = sc.found ? sc.llr : -1e9;
    if (sc.found && nd && rv_asr_best_of_in(asr, vocab, dir, nd, &db, &ds, &e) != RV_OK) {
        fprintf(stderr, "bench_real: the speaker's phrases against '%s': %s\n", phrase, e.msg);
        exit(70);
    }
    double c = nd && ds.found ? ds.llr : -1e9;
    for (int as_name = 1; as_name >= 0; as_name--) {
        trial tr = {0};
        tr.speaker = speaker, tr.said = said, tr.raw = raw, tr.cohort = c;
        tr.kind = as_name ? KIND_PHRASE_NAME : KIND_PHRASE_UNIT;
        tr.channel = channel;
        tr.score = as_name && nd && sc.found ? raw - th->name_cohort_weight * (c > RV_COHORT_FLOOR ? c : RV_COHORT_FLOOR)
                                             : raw;
        tr.shipped = as_name ? (nd ? th->name_cohort_min_score : th->name_min_score) : rv_phrase_threshold(th, phrase);
        tr.word_min = sc.found ? sc.word_min : -1e9;
        tr.per_phone = sc.found && sc.phones ? (double)sc.frames / sc.phones : 0;
        tr.loop_phones = sc.loop_phones;
        tr.loop_fpp = sc.loop_fpp;
        tr.total = sc.found ? sc.total : -1e9;
        tr.frames = sc.frames;
        tr.phones = phones_of(phrase);
        tr.shipped_rel = tr.shipped - (as_name ? tr.shipped : th->phrase_min_score);
        tr.stretch = sc.found ? stretch_s(&clip_signal, sc.start_s, sc.end_s) : 0;
        tr.dir_llr = c;
        tr.dir_total = nd && ds.found ? ds.total : -1e9;
        rv_phrase_check chk = {0};
        chk.score = tr.score;
        chk.threshold = tr.shipped;
        rv_verdict_decide(&chk, as_name ? th->name_slope : th->phrase_slope, th->min_confidence);
        tr.verdict = (int)chk.verdict;
        tr.margin = tr.score < -1e8 ? -1e9 : tr.score - tr.shipped;
        trials[n_trials++] = tr;
    }
}

static void score_words(rv_asr *asr, const rv_verify_thresholds *th, char *list, char *templates, int speaker,
                        int said, int kind, int channel, const char *said_list)
{
    char *tsave = NULL, *tnext = templates ? strtok_r(templates, "|", &tsave) : NULL;
    char *wsave = NULL;
    for (char *w = strtok_r(list, "|", &wsave); w && n_trials < MAX_TRIALS;
         w = strtok_r(NULL, "|", &wsave), tnext = tnext ? strtok_r(NULL, "|", &tsave) : NULL) {
        if (!said && in_list(w, said_list)) continue; /* said in this clip too */
        char *alt = strchr(w, '/');
        const char *alts[2] = {w, NULL};
        size_t n = 1, best;
        if (alt) {
            *alt = '\0';
            alts[1] = alt + 1;
            n = 2;
        }
        if (!all_words && (kind == KIND_WORDS ? phones_of(alts[0]) < MIN_PHONES : letters_of(alts[0]) < MIN_LETTERS))
            continue;
        rv_phrase_score sc;
        rv_error e;
        if (rv_asr_best_of_in(asr, vocab, alts, n, &best, &sc, &e) != RV_OK) {
            fprintf(stderr, "bench_real: '%s': %s\n", w, e.msg);
            exit(70); /* a trial left out would bias every figure */
        }
        double raw = sc.found ? sc.llr : -1e9, c = -1e9;
        if (n_cohort) {
            const char *others[MAX_COHORT];
            size_t k = 0;
            for (size_t i = 0; i < n_cohort; i++)
                if (strcmp(cohort[i], alts[0]) && (!alts[1] || strcmp(cohort[i], alts[1]))) others[k++] = cohort[i];
            rv_phrase_score cs;
            size_t cb;
            if (k && rv_asr_best_of_in(asr, vocab, others, k, &cb, &cs, &e) != RV_OK) {
                fprintf(stderr, "bench_real: the cohort against '%s': %s\n", w, e.msg);
                exit(70); /* not a score shifted by the floor */
            }
            if (k && cs.found) c = cs.llr;
        }
        /* the speaker's other words, less those said in the clip */
        const char *vocab_pick[RV_COHORT_MAX], *dir[RV_COHORT_MAX];
        size_t nv = rv_cohort_pick(alts[0], NULL, vocab_list[speaker][kind], NULL, n_vocab[speaker][kind], vocab_pick,
                                   RV_COHORT_MAX), nd = 0;
        for (size_t i = 0; i < nv; i++)
            if ((!alts[1] || strcmp(vocab_pick[i], alts[1])) && !in_list(vocab_pick[i], said_list))
                dir[nd++] = vocab_pick[i];
        rv_phrase_score ds = {0};
        size_t db;
        if (quick) nd = 0; /* RV_BENCH_QUICK: no directory search */
        if (nd && rv_asr_best_of_in(asr, vocab, dir, nd, &db, &ds, &e) != RV_OK) {
            fprintf(stderr, "bench_real: the speaker's words against '%s': %s\n", w, e.msg);
            exit(70);
        }
        double score = n_cohort ? raw - cohort_weight * (c > cohort_floor ? c : cohort_floor) : raw;
        trial tr = {speaker, said, score, raw, c, rv_phrase_threshold(th, alts[best]),
                    sc.found ? sc.word_min : -1e9, sc.found && sc.phones ? (double)sc.frames / sc.phones : 0, 0, 0,
                    kind, channel, RV_VERDICT_UNSURE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        tr.total = sc.found ? sc.total : -1e9;
        tr.frames = sc.frames;
        tr.loop_phones = sc.loop_phones;
        tr.loop_fpp = sc.loop_fpp;
        tr.phones = phones_of(alts[best]);
        tr.shipped_rel = tr.shipped - th->phrase_min_score;
        tr.stretch = sc.found ? stretch_s(&clip_signal, sc.start_s, sc.end_s) : 0;
        tr.dir_llr = nd && ds.found ? ds.llr : -1e9;
        tr.dir_total = nd && ds.found ? ds.total : -1e9;
        rv_phrase_check chk = {0};
        chk.score = raw;
        chk.threshold = tr.shipped;
        rv_verdict_decide(&chk, th->phrase_slope, th->min_confidence);
        tr.verdict = (int)chk.verdict;
        tr.margin = raw < -1e8 ? -1e9 : raw - tr.shipped;
        double dist, at;
        if (tmpl_pg) {
            /* "a+b+...": several renderings of the word, the best fit of them */
            char names[1024];
            snprintf(names, sizeof names, "%s", tnext ? tnext : "-");
            for (char *nsv = NULL, *nm = strtok_r(names, "+", &nsv); nm; nm = strtok_r(NULL, "+", &nsv)) {
                const rv_postgram *tp = template_pg_of(set_dir, nm);
                double t0 = cpu_s();
                double bd, bg, bsd;
                if (tp && have_clip_pg && sdtw_background(tp, &clip_pg, &bd, &bg, &bsd) &&
                    (!tr.has_tmpl || -bd > tr.tmpl)) {
                    if (!tr.has_tmpl) n_matched++;
                    tr.has_tmpl = 1, tr.tmpl = -bd, tr.tmpl_bg = bg, tr.tmpl_bg_sd = bsd;
                    const rv_postgram *self[2] = {tp, tp};
                    double sum = 0;
                    for (size_t f = 0; f < tp->n; f++) sum += pg_cost_b(self, f, f);
                    tr.tmpl_self = sum / (double)tp->n;
                }
                match_cpu += cpu_s() - t0;
            }
            (void)at;
        } else {
            const rv_features *tf = template_of(set_dir, tnext);
            if (tf && clip_features.v && rv_template_match(tf, &clip_features, &dist, &at, &e) == RV_OK)
                tr.has_tmpl = 1, tr.tmpl = -dist;
        }
        trials[n_trials++] = tr;
    }
}

/* Which figure the rates and AUC are of: the recogniser's score, or the
 * template's fit (then only trials with a template count), or (stat) one of
 * the statistics compared in stat_table. */
static int use_tmpl;
enum { STAT_SHIPPED, STAT_FRAME, STAT_TOTAL, STAT_FRAME_LEN, STAT_TOTAL_LEN, STAT_DIR_FRAME, STAT_DIR_TOTAL, STAT_STRETCH,
       STAT_MARGIN, N_STATS };
static int stat = STAT_SHIPPED;
static double adjusted[N_STATS][MAX_TRIALS]; /* each trial's value of each statistic */
static double V(const trial *t)
{
    if (use_tmpl) return t->tmpl;
    return stat == STAT_SHIPPED ? t->score : adjusted[stat][t - trials];
}

/* Trials of speaker sp (-1: all; with not, all but sp). */
static int picked(const trial *t, int sp, int not)
{
    if (use_tmpl && !t->has_tmpl) return 0;
    if ((f_kind >= 0 && t->kind != f_kind) || (f_chan >= 0 && t->channel != f_chan)) return 0;
    if (t->phones < f_ph_lo || t->phones > f_ph_hi) return 0;
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
            wins += V(&trials[i]) > V(&trials[j]) ? 1 : V(&trials[i]) == V(&trials[j]) ? 0.5 : 0;
            pairs++;
        }
    }
    return pairs ? wins / (double)pairs : 0;
}

/* The AUC of the trials picked by sp (-1: all) and its bootstrap 95 %
 * interval (bench_auc_interval). *np, *nn: the counts. */
static double auc_interval(int sp, double *lo, double *hi, int *np, int *nn)
{
    double *pos = malloc(n_trials * sizeof *pos), *neg = malloc(n_trials * sizeof *neg);
    size_t p = 0, n = 0;
    if (!pos || !neg) {
        fprintf(stderr, "bench_real: out of memory\n");
        exit(70);
    }
    for (size_t i = 0; i < n_trials; i++) {
        if (!picked(&trials[i], sp, 0)) continue;
        if (trials[i].said) pos[p++] = V(&trials[i]);
        else neg[n++] = V(&trials[i]);
    }
    *np = (int)p, *nn = (int)n;
    double a = bench_auc_interval(pos, p, neg, n, lo, hi);
    free(pos), free(neg);
    return a;
}

/* The shipped three-way verdicts of the picked trials: the share unsure,
 * and of the confident ones the share right. */
static void verdicts(int sp, double *unsure, double *right, int *n_conf)
{
    int n = 0, u = 0, ok = 0;
    for (size_t i = 0; i < n_trials; i++) {
        if (!picked(&trials[i], sp, 0)) continue;
        n++;
        if (trials[i].verdict == RV_VERDICT_UNSURE) u++;
        else ok += (trials[i].verdict == RV_VERDICT_STATED) == trials[i].said;
    }
    *n_conf = n - u;
    *unsure = n ? (double)u / n : 0;
    *right = n - u ? (double)ok / (n - u) : 0;
}

/* Three-way verdicts for real voices: per way of scoring (BAND_UNIT: words
 * and phrases at a unit's threshold; BAND_NAME: phrases as names) and
 * telephone codec, a band of margins (score less the shipped threshold):
 * stated at or above hi, not stated at or below lo, unsure between. Chosen
 * on one speaker (RV_BENCH_LINE_FROM, a tune half) by a rule stated in
 * choose_band, or given (RV_BENCH_BANDS, eight figures: lo and hi of unit
 * mu-law, unit GSM, name mu-law, name GSM). In the product's terms the
 * threshold moves by (lo + hi) / 2 and the slope is ln 19 / ((hi - lo) / 2). */
enum { BAND_UNIT, BAND_NAME, N_BANDS };
static double band_lo[N_BANDS][N_CHANNELS], band_hi[N_BANDS][N_CHANNELS];
static int has_band[N_BANDS][N_CHANNELS];

static int band_of_kind(int kind)
{
    return kind == KIND_PHRASE_NAME ? BAND_NAME : BAND_UNIT;
}

/* The band on speaker sp's trials of kind through channel ch, by the rule
 * `rostvakt calibrate` applies to an installation's reviews
 * (rv_cal_choose_band): the fewest unsure verdicts whose confident verdicts
 * are right >= band_right (RV_BENCH_BAND_RIGHT, default 0.90; with
 * RV_BENCH_BAND_Z at the lower end of their Wilson interval at that z, as
 * calibrate does at 1.96), at least a tenth of the trials confident. 0 when there are no trials or none
 * qualifies. */
static double band_right = 0.90, band_z = 0; /* RV_BENCH_BAND_Z: 1.96 is rostvakt calibrate's */

static int choose_band(int sp, int kind, int ch, double *lo, double *hi)
{
    double *m = malloc((n_trials + 1) * sizeof *m);
    int *said = malloc((n_trials + 1) * sizeof *said);
    size_t n = 0;
    if (!m || !said) {
        fprintf(stderr, "bench_real: out of memory\n");
        exit(70);
    }
    for (size_t i = 0; i < n_trials; i++)
        if (trials[i].speaker == sp && trials[i].kind == kind && trials[i].channel == ch)
            m[n] = trials[i].margin, said[n++] = trials[i].said;
    int found = rv_cal_choose_band(m, said, n, band_right, band_z, lo, hi);
    free(m), free(said);
    if (found < 0) {
        fprintf(stderr, "bench_real: out of memory\n");
        exit(70);
    }
    return found;
}

/* The bands: given (RV_BENCH_BANDS) or chosen on RV_BENCH_LINE_FROM's
 * speaker (unit: its read sentences' words; name: its phrases as names). */
static void bands(void)
{
    const char *given = getenv("RV_BENCH_BANDS"), *from_name = getenv("RV_BENCH_LINE_FROM");
    static const int chans[2] = {CH_ULAW, CH_GSM};
    if (given) { /* eight figures, a pair "none none" where no band was found */
        double v[8];
        int none[8];
        const char *p = given;
        for (int k = 0; k < 8; k++) {
            char *end;
            while (*p == ' ') p++;
            none[k] = strncmp(p, "none", 4) == 0;
            v[k] = none[k] ? 0 : strtod(p, &end);
            if (!none[k] && end == p) {
                fprintf(stderr, "bench_real: RV_BENCH_BANDS needs eight figures (or none none)\n");
                exit(64);
            }
            p = none[k] ? p + 4 : end;
        }
        for (int b = 0; b < N_BANDS; b++)
            for (int c = 0; c < 2; c++) {
                int k = 4 * b + 2 * c;
                if (none[k] != none[k + 1]) {
                    fprintf(stderr, "bench_real: RV_BENCH_BANDS: a band is two figures or none none\n");
                    exit(64);
                }
                band_lo[b][chans[c]] = v[k], band_hi[b][chans[c]] = v[k + 1];
                has_band[b][chans[c]] = !none[k];
            }
        printf("  real-voice bands given (RV_BENCH_BANDS), chosen elsewhere\n");
    } else {
        int from = -1;
        for (int i = 0; from_name && i < n_speakers; i++)
            if (strcmp(speakers[i], from_name) == 0) from = i;
        if (from < 0) return;
        const char *r = getenv("RV_BENCH_BAND_RIGHT"), *z = getenv("RV_BENCH_BAND_Z");
        char *end;
        if (r && (band_right = strtod(r, &end), *end || !(band_right >= 0.5 && band_right < 1))) {
            fprintf(stderr, "bench_real: RV_BENCH_BAND_RIGHT needs a number 0.5..1\n");
            exit(64);
        }
        if (z && (band_z = strtod(z, &end), *end || !(band_z >= 0 && band_z <= 4))) {
            fprintf(stderr, "bench_real: RV_BENCH_BAND_Z needs a number 0..4\n");
            exit(64);
        }
        for (int b = 0; b < N_BANDS; b++)
            for (int c = 0; c < 2; c++)
                has_band[b][chans[c]] = choose_band(from, b == BAND_NAME ? KIND_PHRASE_NAME : KIND_SENTENCE, chans[c],
                                                    &band_lo[b][chans[c]], &band_hi[b][chans[c]]);
        printf("  real-voice bands chosen on %s (the fewest unsure verdicts with confident verdicts right >= %.2f%s,\n"
               "  at least a tenth confident; unit: its sentences' words, name: its phrases as names):\n",
               from_name, band_right, band_z > 0 ? " at the lower end of their Wilson interval" : "");
        char out[512];
        size_t len = 0;
        for (int b = 0; b < N_BANDS; b++)
            for (int c = 0; c < 2; c++) {
                double lo = band_lo[b][chans[c]], hi = band_hi[b][chans[c]];
                if (!has_band[b][chans[c]]) {
                    len += (size_t)snprintf(out + len, sizeof out - len, "%snone none", len ? " " : "");
                    continue;
                }
                len += (size_t)snprintf(out + len, sizeof out - len, "%s%.3f %.3f", len ? " " : "", lo, hi);
                double half = (hi - lo) / 2;
                printf("    %-4s %-7s margins (%.2f, %.2f): the threshold %+.2f, half-width %.2f, slope %.3f\n",
                       b == BAND_NAME ? "name" : "unit", channel_names[chans[c]], lo, hi, (lo + hi) / 2, half,
                       half > 0 ? 2.944439 / half : 0);
            }
        printf("  RV_BENCH_BANDS=\"%s\"\n", out);
    }
}

/* --margins FILE (bench_verify's RV_BENCH_MARGINS: the synthetic splits'
 * name and unit margins and shipped verdicts): the shipped three-way
 * verdicts beside those of the bands given in RV_BENCH_BANDS, per split,
 * kind and codec. */
static int margins_report(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("  no synthetic margins (%s): run bench_verify with RV_BENCH_MARGINS\n", path);
        return 0;
    }
    bands();
    static const char *const splits[] = {"tune", "test", "broad"}, *const kinds[] = {"unit", "name"},
                             *const chans[] = {"ulaw", "gsm"};
    /* counts [split][kind][chan]: files; shipped unsure, right; band unsure, right */
    size_t c[3][2][2][5] = {{{{0}}}};
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char sp[16], ch[16], kd[16];
        int said, verdict;
        double m;
        if (sscanf(line, "%15s %15s %15s %d %lf %d", sp, ch, kd, &said, &m, &verdict) != 6) continue;
        int a = -1, b = -1, d = -1;
        for (int i = 0; i < 3; i++) a = strcmp(sp, splits[i]) ? a : i;
        for (int i = 0; i < 2; i++) b = strcmp(kd, kinds[i]) ? b : i, d = strcmp(ch, chans[i]) ? d : i;
        if (a < 0 || b < 0 || d < 0) continue;
        int chan = d ? CH_GSM : CH_ULAW, band = b ? BAND_NAME : BAND_UNIT;
        if (!has_band[band][chan]) continue;
        size_t *k = c[a][b][d];
        k[0]++;
        if (verdict == RV_VERDICT_UNSURE) k[1]++;
        else k[2] += (verdict == RV_VERDICT_STATED) == (said != 0);
        int stated = m >= band_hi[band][chan];
        if (m > -1e8 && !stated && m > band_lo[band][chan]) k[3]++;
        else k[4] += stated == (said != 0);
    }
    fclose(f);
    printf("  synthetic splits (bench_verify's margins): shipped three-way verdicts, then the real-voice band's;\n"
           "  unsure, confident right (n confident)\n");
    for (int b = 0; b < 2; b++)
        for (int a = 0; a < 3; a++)
            for (int d = 0; d < 2; d++) {
                const size_t *k = c[a][b][d];
                if (!k[0]) continue;
                printf("    %-5s %-4s %-7s shipped: unsure %.2f, right %.2f (%zu); real-voice band: unsure %.2f, right "
                       "%.2f (%zu)  (%zu files)\n",
                       splits[a], kinds[b], channel_names[d ? CH_GSM : CH_ULAW], (double)k[1] / k[0],
                       k[0] - k[1] ? (double)k[2] / (k[0] - k[1]) : 0, k[0] - k[1], (double)k[3] / k[0],
                       k[0] - k[3] ? (double)k[4] / (k[0] - k[3]) : 0, k[0] - k[3], k[0]);
            }
    return 0;
}

/* The real-voice band's verdicts of the picked trials (as verdicts). */
static void band_verdicts(int sp, double *unsure, double *right, int *n_conf, int *n_all)
{
    int n = 0, u = 0, ok = 0;
    for (size_t i = 0; i < n_trials; i++) {
        const trial *t = &trials[i];
        int b = band_of_kind(t->kind);
        if (!picked(t, sp, 0) || !has_band[b][t->channel]) continue;
        n++;
        double m = t->margin;
        int stated = m >= band_hi[b][t->channel];
        if (m > -1e8 && !stated && m > band_lo[b][t->channel]) {
            u++;
            continue;
        }
        ok += stated == t->said;
    }
    *n_all = n;
    *n_conf = n - u;
    *unsure = n ? (double)u / n : 0;
    *right = n - u ? (double)ok / (n - u) : 0;
}

/* Trials in the manifest's order (clip, then the order scored). */
static int by_clip(const void *x, const void *y)
{
    const trial *a = x, *b = y;
    if (a->clip != b->clip) return (a->clip > b->clip) - (a->clip < b->clip);
    return (a->seq > b->seq) - (a->seq < b->seq);
}

/* One kind of trials: per speaker and pooled, per channel and all. */
static void kind_table(int kind)
{
    f_kind = kind;
    printf("  %s (AUC [bootstrap 95 %%], said+ not-said-; shipped verdicts: unsure, confident right (n confident))\n",
           kind_names[kind]);
    for (int sp = -1; sp < n_speakers; sp++)
        for (int ch = -1; ch < N_CHANNELS; ch++) {
            f_chan = ch;
            double lo, hi, un, right;
            int np, nn, nc;
            double a = auc_interval(sp, &lo, &hi, &np, &nn);
            if (!np || !nn) continue;
            verdicts(sp, &un, &right, &nc);
            printf("    %-14s %-9s AUC %.2f [%.2f, %.2f]  %3d+ %3d-  unsure %.2f, confident right %.2f (%d)",
                   sp < 0 ? "pooled" : speakers[sp], ch < 0 ? "all" : channel_names[ch], a, lo, hi, np, nn, un,
                   right, nc);
            int nb;
            if (ch >= 0 && has_band[band_of_kind(kind)][ch]) {
                band_verdicts(sp, &un, &right, &nc, &nb);
                printf("; real-voice band: unsure %.2f, confident right %.2f (%d)", un, right, nc);
            }
            printf("\n");
        }
    if (kind == KIND_SENTENCE) { /* "four letters" is a different length in each spelling */
        static const int band[][2] = {{1, 3}, {4, 5}, {6, 1 << 30}, {4, 1 << 30}};
        printf("  %s by the word's phones (AUC [95 %%] said+ not-said-): 1-3, 4-5, 6 or more; 4 or more\n",
               kind_names[kind]);
        for (int sp = -1; sp < n_speakers; sp++)
            for (int ch = -1; ch < N_CHANNELS; ch++) {
                f_chan = ch;
                char line[512];
                int len = 0, any = 0;
                for (size_t b = 0; b < sizeof band / sizeof *band; b++) {
                    f_ph_lo = band[b][0], f_ph_hi = band[b][1];
                    double lo, hi;
                    int np, nn;
                    double a = auc_interval(sp, &lo, &hi, &np, &nn);
                    if (np && nn) any = 1;
                    len += snprintf(line + len, sizeof line - (size_t)len, "%s", b == 3 ? ";" : b ? "," : "");
                    if (np && nn)
                        len += snprintf(line + len, sizeof line - (size_t)len, " %.2f [%.2f, %.2f] %d+ %d-", a, lo,
                                        hi, np, nn);
                    else
                        len += snprintf(line + len, sizeof line - (size_t)len, " - %d+ %d-", np, nn);
                }
                f_ph_lo = 0, f_ph_hi = 1 << 30;
                if (any)
                    printf("    %-14s %-9s%s\n", sp < 0 ? "pooled" : speakers[sp], ch < 0 ? "all" : channel_names[ch],
                           line);
            }
    }
    f_kind = f_chan = -1;
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
            tp += V(&trials[i]) >= t;
        } else {
            (*nneg)++;
            fp += V(&trials[i]) >= t;
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
        rates(sp, not, V(&trials[i]), &tpr, &fpr, &np, &nn);
        if (fpr <= max_fpr && (tpr > *best_tpr || (tpr == *best_tpr && V(&trials[i]) > best_t))) {
            *best_tpr = tpr;
            best_t = V(&trials[i]);
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

/* AUC of the template fit, and of the rank sum of the fit and the score
 * (no weight learned), over the trials of sp (-1: all) that have a template. */
static void template_report(int sp)
{
    size_t n = 0;
    double *rs = calloc(n_trials, sizeof *rs), *rt = calloc(n_trials, sizeof *rt);
    if (!rs || !rt) {
        free(rs), free(rt);
        return;
    }
    for (size_t i = 0; i < n_trials; i++) {
        if (!trials[i].has_tmpl) continue;
        n++;
        for (size_t j = 0; j < n_trials; j++) {
            if (!trials[j].has_tmpl) continue;
            rs[i] += trials[j].score < trials[i].score ? 1 : trials[j].score == trials[i].score ? 0.5 : 0;
            rt[i] += trials[j].tmpl < trials[i].tmpl ? 1 : trials[j].tmpl == trials[i].tmpl ? 0.5 : 0;
        }
    }
    double w_t = 0, w_c = 0;
    long pairs = 0;
    int np = 0, nn = 0;
    for (size_t i = 0; i < n_trials; i++) {
        if (!trials[i].has_tmpl || !picked(&trials[i], sp, 0)) continue;
        if (!trials[i].said) {
            nn++;
            continue;
        }
        np++;
        for (size_t j = 0; j < n_trials; j++) {
            if (!trials[j].has_tmpl || !picked(&trials[j], sp, 0) || trials[j].said) continue;
            pairs++;
            w_t += trials[i].tmpl > trials[j].tmpl ? 1 : trials[i].tmpl == trials[j].tmpl ? 0.5 : 0;
            double ci = rs[i] + rt[i], cj = rs[j] + rt[j];
            w_c += ci > cj ? 1 : ci == cj ? 0.5 : 0;
        }
    }
    if (pairs)
        printf("  %-14s the word's own recording as a template: AUC %.2f; with the score (rank sum) %.2f  (%d+ %d-)\n",
               "", w_t / (double)pairs, w_c / (double)pairs, np, nn);
    free(rs);
    free(rt);
}

/* The raw value of statistic st (before any length line is taken off). */
static double raw_value(const trial *t, int st)
{
    return st == STAT_FRAME || st == STAT_FRAME_LEN ? t->raw : t->total;
}

/* Length-aware statistics, leave one speaker out: for each speaker, a line
 * in the phone count fitted (least squares) on the other speakers' trials of
 * the same kind, said and not said apart, and the line half-way between the
 * two taken off that speaker's values, as a threshold that falls with the
 * phrase's phone count would be chosen on tune and applied to test. */
static void fit_lengths(void)
{
    for (size_t i = 0; i < n_trials; i++) {
        const trial *t = &trials[i];
        adjusted[STAT_FRAME][i] = t->raw;
        adjusted[STAT_TOTAL][i] = t->total;
        /* as names are weighed (check_name): per frame, less the weight
         * times the best competitor above the floor; and the whole ratio
         * against the best competitor's, both over the whole clip */
        adjusted[STAT_DIR_FRAME][i] =
            t->raw < -1e8 ? -1e9 : t->raw - cohort_weight * (t->dir_llr > cohort_floor ? t->dir_llr : cohort_floor);
        adjusted[STAT_DIR_TOTAL][i] = t->total < -1e8 ? -1e9 : t->dir_total < -1e8 ? t->total : t->total - t->dir_total;
        /* the whole ratio spread over the pause-bounded stretch around the
         * phrase (its 10 ms frames), as if the stretch were the phrase */
        adjusted[STAT_STRETCH][i] = t->total < -1e8 ? -1e9 : t->total / (t->stretch > 0.01 ? t->stretch * 100 : 1);
        /* what the shipped verdict decides on: the score less its threshold
         * (a unit's falls 0.6 a character) */
        adjusted[STAT_MARGIN][i] = t->margin;
    }
    /* RV_BENCH_LINE_FROM=SPEAKER: every speaker's line fitted on that
     * speaker's trials (a tune half's, bench/make-es-sets.sh), its own
     * included; RV_BENCH_LINE_SLOPES="FRAME TOTAL": lines of those slopes a
     * phone (fitted on another set: only the slope moves an AUC) */
    const char *from_name = getenv("RV_BENCH_LINE_FROM"), *slopes = getenv("RV_BENCH_LINE_SLOPES");
    int from = -1;
    for (int i = 0; from_name && i < n_speakers; i++)
        if (strcmp(speakers[i], from_name) == 0) from = i;
    double given[2] = {0, 0};
    int n_given = slopes ? sscanf(slopes, "%lf %lf", &given[0], &given[1]) : 0;
    if (n_given == 2)
        printf("  length lines given (RV_BENCH_LINE_SLOPES): %+.3f a phone a frame, %+.3f whole; not fitted here\n",
               given[0], given[1]);
    for (int st = STAT_FRAME_LEN; st <= STAT_TOTAL_LEN; st++)
        for (int kind = 0; kind < N_KINDS; kind++)
            for (int sp = 0; sp < n_speakers; sp++) {
                double a[2] = {0}, b[2] = {0};
                int ok = 1, same = 0; /* the other speakers' trials of this kind; none: of any kind */
                for (size_t i = 0; i < n_trials; i++)
                    same += trials[i].kind == kind && (from >= 0 ? trials[i].speaker == from : trials[i].speaker != sp);
                for (int said = 0; said < 2; said++) {
                    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
                    for (size_t i = 0; i < n_trials; i++) {
                        const trial *t = &trials[i];
                        if ((same && t->kind != kind) || (from >= 0 ? t->speaker != from : t->speaker == sp) ||
                            t->said != said || raw_value(t, st) < -1e8)
                            continue;
                        double x = t->phones, y = raw_value(t, st);
                        n++, sx += x, sy += y, sxx += x * x, sxy += x * y;
                    }
                    double d = n * sxx - sx * sx;
                    if (n < 2) ok = 0;
                    b[said] = n >= 2 && d > 0 ? (n * sxy - sx * sy) / d : 0;
                    a[said] = n ? (sy - b[said] * sx) / n : 0;
                }
                if (n_given == 2) { /* the line given: its slope, said and not said alike */
                    ok = 1;
                    a[0] = a[1] = 0;
                    b[0] = b[1] = given[st == STAT_TOTAL_LEN];
                }
                if (ok && from >= 0 && sp == from && same)
                    printf("  length line (%s) fitted on %s's %s: %.2f %+.3f a phone\n",
                           st == STAT_FRAME_LEN ? "a frame" : "total", speakers[from], kind_names[kind],
                           (a[0] + a[1]) / 2, (b[0] + b[1]) / 2);
                for (size_t i = 0; i < n_trials; i++) {
                    const trial *t = &trials[i];
                    if (t->kind != kind || t->speaker != sp) continue;
                    double line = ok ? (a[0] + a[1]) / 2 + (b[0] + b[1]) / 2 * t->phones : 0;
                    adjusted[st][i] = raw_value(t, st) - line;
                }
            }
}

/* The paired difference in AUC of statistic b over a on the picked trials
 * of speaker sp (bench_auc_diff_interval): both on the same resampled
 * trials. */
static double paired_diff(int sp, int a, int b, double *lo, double *hi, double *below, int *np, int *nn)
{
    double *pa = malloc(n_trials * sizeof *pa), *pb = malloc(n_trials * sizeof *pb),
           *na = malloc(n_trials * sizeof *na), *nb = malloc(n_trials * sizeof *nb);
    size_t p = 0, n = 0;
    if (!pa || !pb || !na || !nb) {
        fprintf(stderr, "bench_real: out of memory\n");
        exit(70);
    }
    for (size_t i = 0; i < n_trials; i++) {
        if (!picked(&trials[i], sp, 0)) continue;
        if (trials[i].said) pa[p] = adjusted[a][i], pb[p++] = adjusted[b][i];
        else na[n] = adjusted[a][i], nb[n++] = adjusted[b][i];
    }
    *np = (int)p, *nn = (int)n;
    double d = bench_auc_diff_interval(pa, pb, p, na, nb, n, lo, hi, below);
    free(pa), free(pb), free(na), free(nb);
    return d;
}

/* The candidate for a length-aware decision against the per-frame ratio
 * and against what the shipped verdict decides on, paired. */
static void paired_table(void)
{
    static const struct {
        int a, b;
        const char *what;
    } pairs[] = {{STAT_FRAME, STAT_FRAME_LEN, "a frame less a length line, over the ratio a frame"},
                 {STAT_MARGIN, STAT_FRAME_LEN, "a frame less a length line, over the shipped margin"}};
    printf("    paired: AUC difference [bootstrap 95 %%, the same resampled trials for both], share of resamples <= 0\n");
    for (size_t q = 0; q < sizeof pairs / sizeof *pairs; q++) {
        printf("    %s\n", pairs[q].what);
        for (int sp = -1; sp < n_speakers; sp++)
            for (int ch = -1; ch < N_CHANNELS; ch++) {
                f_chan = ch;
                double lo, hi, below;
                int np, nn;
                double d = paired_diff(sp, pairs[q].a, pairs[q].b, &lo, &hi, &below, &np, &nn);
                if (!np || !nn) continue;
                printf("      %-14s %-9s %+.3f [%+.3f, %+.3f]  <= 0: %.3f  %3d+ %3d-\n", sp < 0 ? "pooled" : speakers[sp],
                       ch < 0 ? "all" : channel_names[ch], d, lo, hi, below, np, nn);
            }
    }
    f_chan = -1;
}

/* Each statistic's AUC on each kind of trials, per channel, pooled and per
 * speaker. */
static void stat_table(void)
{
    static const char *const names[N_STATS] = {"shipped", "ratio a frame", "total ratio",
                                               "a frame, less a length line (LOSO)",
                                               "total, less a length line (LOSO)",
                                               "a frame, less 0.5 x the speaker's best other word (floor -15)",
                                               "total, less the speaker's best other word's total",
                                               "total over the pause-bounded stretch's frames",
                                               "the shipped margin (score less its threshold; units' -0.6 a character)"};
    fit_lengths();
    printf("  statistics compared (AUC [bootstrap 95 %%], said+ not-said-; length lines fitted on the other "
           "speakers,\n  on their trials of the same kind, or of any kind when they have none; the speaker's "
           "other words:\n  the nearest %d of the same kind, less those said in the clip)\n", RV_COHORT_MAX);
    for (int kind = 0; kind < N_KINDS; kind++) {
        f_kind = kind;
        printf("   %s\n", kind_names[kind]);
        for (int st = STAT_FRAME; st < N_STATS; st++) {
            stat = st;
            printf("    %s\n", names[st]);
            for (int sp = -1; sp < n_speakers; sp++)
                for (int ch = -1; ch < N_CHANNELS; ch++) {
                    f_chan = ch;
                    double lo, hi;
                    int np, nn;
                    double a = auc_interval(sp, &lo, &hi, &np, &nn);
                    if (!np || !nn) continue;
                    printf("      %-14s %-9s AUC %.2f [%.2f, %.2f]  %3d+ %3d-\n", sp < 0 ? "pooled" : speakers[sp],
                           ch < 0 ? "all" : channel_names[ch], a, lo, hi, np, nn);
                }
        }
        paired_table();
    }
    stat = STAT_SHIPPED;
    f_kind = f_chan = -1;
}

static void report(int sp)
{
    double tpr, fpr, t05, t10;
    int np, nn;
    rates(sp, 0, -1e18, &tpr, &fpr, &np, &nn);
    if (!np || !nn) return; /* none of this kind */
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
    template_report(sp);
    use_tmpl = 1;
    rates(sp, 0, -1e18, &tpr, &fpr, &np, &nn);
    if (np) {
        choose(sp, 0, 0.05, &t05);
        choose(sp, 0, 0.10, &t10);
        printf("  %-14s template alone: best TPR %.2f at FPR <= 0.05, %.2f at <= 0.10\n", "", t05, t10);
        if (sp >= 0 && n_speakers > 1) {
            double other, t = choose(sp, 1, 0.10, &other);
            rates(sp, 0, t, &tpr, &fpr, &np, &nn);
            if (other > 0)
                printf("  %-14s template, leave-one-speaker-out (threshold %.2f from the others): TPR %.2f FPR %.2f\n",
                       "", t, tpr, fpr);
        }
    }
    use_tmpl = 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--dict") == 0) { /* words on stdin: their pronunciations, for SphinxTrain */
        rv_lexicon *lx = NULL;
        rv_error le;
        const char *dv = getenv("RV_BENCH_VOICE"), *dm = getenv("RV_BENCH_MAP"), *dd = getenv("RV_BENCH_DIRECTORY_MAP");
        rv_err dr = dv && dm ? rv_lexicon_open_voice(dm, dv, &lx, &le)
                             : rv_lexicon_open_models(argc > 2 ? argv[2] : "models", &lx, &le);
        if (dr == RV_OK && dv && dm && dd && rv_lexicon_load_directory_map(lx, dd, &le) != RV_OK) {
            rv_lexicon_free(lx);
            dr = RV_ERR_CONFIG;
        }
        if (dr != RV_OK) {
            fprintf(stderr, "bench_real: %s\n", le.msg);
            return 78;
        }
        char w[256];
        while (fgets(w, sizeof w, stdin)) {
            w[strcspn(w, "\n")] = '\0';
            rv_word_pron pr[4];
            size_t nw = 0;
            if (!w[0] || rv_lexicon_pronounce_in(lx, RV_VOCAB_DIRECTORY, w, 1, pr, 4, &nw, &le) != RV_OK || nw != 1 ||
                !pr[0].n_prons || !pr[0].prons[0][0])
                continue;
            printf("%s %s\n", w, pr[0].prons[0]);
        }
        rv_lexicon_free(lx);
        return 0;
    }
    if (argc > 2 && strcmp(argv[1], "--margins") == 0) return margins_report(argv[2]);
    static char words[MAX_COHORT + 1][64];
    if (getenv("RV_BENCH_VOCAB") && strcmp(getenv("RV_BENCH_VOCAB"), "fixed") == 0) vocab = RV_VOCAB_FIXED;
    if (argc > 2 && strcmp(argv[1], "--cohort") == 0) {
        FILE *cf = fopen(argv[2], "r");
        if (!cf) {
            fprintf(stderr, "bench_real: cannot read %s\n", argv[2]);
            return 66;
        }
        size_t listed = 0;
        char wl[256];
        while (fgets(wl, sizeof wl, cf)) {
            wl[strcspn(wl, "\n")] = '\0';
            if (!wl[0] || wl[0] == '#') continue;
            if (listed < MAX_COHORT) {
                snprintf(words[listed], sizeof words[0], "%.63s", wl);
                cohort[listed] = words[listed];
            }
            listed++;
        }
        fclose(cf);
        if (listed > MAX_COHORT) { /* one search takes no more: refuse, not truncate or ignore */
            fprintf(stderr, "bench_real: %s: %zu cohort words, at most %d\n", argv[2], listed, MAX_COHORT);
            return 64;
        }
        n_cohort = listed;
        argc -= 2, argv += 2;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: bench_real [--cohort FILE] SET_DIR [MODELS_DIR]\n");
        return 64;
    }
    const char *dir = argv[1], *models = argc > 2 ? argv[2] : "models";
    set_dir = dir;
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
    all_words = getenv("RV_BENCH_ALL_WORDS") && strcmp(getenv("RV_BENCH_ALL_WORDS"), "1") == 0;
    /* another language (bench/make-es-sets.sh): espeak-ng's voice and the
     * phone maps for it, both vocabularies the directory's */
    const char *voice = getenv("RV_BENCH_VOICE"), *vmap = getenv("RV_BENCH_MAP"),
               *dmap = getenv("RV_BENCH_DIRECTORY_MAP");
    rv_err lrc = voice && vmap ? rv_lexicon_open_voice(vmap, voice, &lex, &e)
                               : rv_lexicon_open_models(cfg.models_dir, &lex, &e);
    if (lrc == RV_OK && voice && vmap && dmap && rv_lexicon_load_directory_map(lex, dmap, &e) != RV_OK) lrc = RV_ERR_CONFIG;
    if (lrc != RV_OK ||
        rv_asr_open(getenv("RV_BENCH_HMM"), rv_config_mllr(&cfg), lex, &asr, &e) != RV_OK) {
        fprintf(stderr, "bench_real: %s\n", e.msg);
        rv_lexicon_free(lex);
        fclose(m);
        return 78;
    }
    lexicon = lex;
    the_asr = asr;
    quick = getenv("RV_BENCH_QUICK") && strcmp(getenv("RV_BENCH_QUICK"), "1") == 0;
    tmpl_pg = getenv("RV_BENCH_TMPL_PG") && strcmp(getenv("RV_BENCH_TMPL_PG"), "1") == 0;
    if (tmpl_pg && rv_asr_open(getenv("RV_BENCH_HMM"), rv_config_mllr(&cfg), lex, &tmpl_asr, &e) != RV_OK) {
        fprintf(stderr, "bench_real: the templates' decoder: %s\n", e.msg);
        return 78;
    }
    rv_verify_thresholds th = rv_verify_thresholds_of(&cfg);
    rv_audio_limits lim = {cfg.max_audio_bytes, cfg.max_audio_seconds};
    /* first pass: each speaker's vocabulary (words said, of the kind's length) */
    while (fgets(line, sizeof line, m)) {
        char *f[N_FIELDS] = {0};
        int k = split_fields(line, f);
        if (k < 4 || strcmp(f[0], "file") == 0) continue;
        int sp = speaker_index(f[1]);
        if (sp < 0) continue;
        int kind = f[7] && strcmp(f[7], "sentence") == 0 ? KIND_SENTENCE : KIND_WORDS;
        if (kind == KIND_SENTENCE) { /* the speaker's phrases, the directory of the phrase trials */
            char ph[VOCAB_BYTES];
            size_t *nv = &n_vocab[sp][KIND_PHRASE_NAME], i = 0;
            if (pick_phrase(k >= 8 && f[8][0] ? f[8] : f[3], 0, NULL, ph, sizeof ph)) {
                while (i < *nv && strcmp(vocab_words[sp][KIND_PHRASE_NAME][i], ph)) i++;
                if (i == *nv && *nv < MAX_VOCAB) {
                    snprintf(vocab_words[sp][KIND_PHRASE_NAME][*nv], VOCAB_BYTES, "%s", ph);
                    vocab_list[sp][KIND_PHRASE_NAME][*nv] = vocab_words[sp][KIND_PHRASE_NAME][*nv];
                    (*nv)++;
                }
            }
        }
        char *save = NULL;
        for (char *w = strtok_r(f[3], "|", &save); w; w = strtok_r(NULL, "|", &save)) {
            w[strcspn(w, "/")] = '\0';
            if (!all_words && (kind == KIND_WORDS ? phones_of(w) < MIN_PHONES : letters_of(w) < MIN_LETTERS)) continue;
            size_t *nv = &n_vocab[sp][kind], i = 0;
            while (i < *nv && strcmp(vocab_words[sp][kind][i], w)) i++;
            if (i < *nv || *nv == MAX_VOCAB) continue;
            snprintf(vocab_words[sp][kind][*nv], sizeof vocab_words[0][0][0], "%s", w);
            vocab_list[sp][kind][*nv] = vocab_words[sp][kind][*nv];
            (*nv)++;
        }
    }
    rewind(m);
    int clips = 0, lineno = 0;
    double audio_s = 0;
    /* RV_BENCH_PART="K N": score only every Nth clip from the Kth (0-based)
     * and write the trials to RV_BENCH_SAVE; RV_BENCH_LOAD="FILE ...": score
     * nothing, take the trials those parts wrote (bench/bench-es.sh runs
     * the parts side by side). The trials are put back in the manifest's
     * order; a clip's scores can differ by a few tenths from one process
     * scoring all (PocketSphinx's noise estimate follows the clip before). */
    const char *part = getenv("RV_BENCH_PART"), *save = getenv("RV_BENCH_SAVE"), *load = getenv("RV_BENCH_LOAD");
    int part_k = 0, part_n = 1;
    if (part && (sscanf(part, "%d %d", &part_k, &part_n) != 2 || part_n < 1 || part_k < 0 || part_k >= part_n)) {
        fprintf(stderr, "bench_real: RV_BENCH_PART needs K N with 0 <= K < N\n");
        return 64;
    }
    if (load && *load) {
        char files[4096];
        snprintf(files, sizeof files, "%s", load);
        for (char *sv = NULL, *fn = strtok_r(files, " ", &sv); fn; fn = strtok_r(NULL, " ", &sv)) {
            FILE *tf = fopen(fn, "rb");
            int c_n = 0;
            double c_s = 0;
            if (!tf || fread(&c_n, sizeof c_n, 1, tf) != 1 || fread(&c_s, sizeof c_s, 1, tf) != 1) {
                fprintf(stderr, "bench_real: cannot read the trials of %s\n", fn);
                return 66;
            }
            clips += c_n, audio_s += c_s;
            while (n_trials < MAX_TRIALS && fread(&trials[n_trials], sizeof trials[0], 1, tf) == 1) n_trials++;
            fclose(tf);
        }
        qsort(trials, n_trials, sizeof trials[0], by_clip);
        fseek(m, 0, SEEK_END); /* nothing more to score */
    }
    while (fgets(line, sizeof line, m)) {
        char *f[N_FIELDS] = {0};
        int k = split_fields(line, f);
        if (k < 4 || strcmp(f[0], "file") == 0) continue;
        if (lineno++ % part_n != part_k) continue;
        if (getenv("RV_BENCH_SPEAKER") && strcmp(getenv("RV_BENCH_SPEAKER"), f[1]) != 0) continue;
        int sp = speaker_index(f[1]);
        if (sp < 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, f[0]);
        rv_pcm pcm;
        if (rv_audio_decode_file(path, rv_audio_hint_for_path(path), &lim, &pcm, &e) != RV_OK) {
            fprintf(stderr, "bench_real: %s: %s\n", path, e.msg);
            return 70; /* a clip left out would bias every figure */
        }
        int kind = f[7] && strcmp(f[7], "sentence") == 0 ? KIND_SENTENCE : KIND_WORDS;
        int chan = strcmp(f[2], "gsm") == 0 ? CH_GSM : strcmp(f[2], "wide") == 0 ? CH_WIDE : CH_ULAW;
        rv_verify_thresholds t = rv_verify_thresholds_for(&th, pcm.codec);
        rv_signal_free(&clip_signal);
        rv_report rep;
        rv_analyzer an = {&cfg, NULL};
        if (rv_analyze_pcm(&an, &pcm, RV_KIND_GREETING, &rep, &e) != RV_OK) {
            fprintf(stderr, "bench_real: %s: %s\n", path, e.msg);
            return 70;
        }
        clip_signal = rep.signal; /* kept: the report's other parts freed */
        memset(&rep.signal, 0, sizeof rep.signal);
        rv_report_free(&rep);
        rv_features_free(&clip_features);
        if (rv_features_of(&pcm, &clip_features, &e) != RV_OK) fprintf(stderr, "bench_real: %s: %s\n", path, e.msg);
        if (rv_asr_set_audio(asr, &pcm, &e) == RV_OK) {
            if (tmpl_pg) {
                double t0 = cpu_s();
                rv_postgram_free(&clip_pg);
                rv_error pe;
                have_clip_pg = rv_postgram_of(asr, 0, -1, 0, &clip_pg, &pe) == RV_OK;
                clip_pg_cpu += cpu_s() - t0;
            }
            static char said_list[8192], seq[8192], next_seq[8192];
            snprintf(said_list, sizeof said_list, "%s", f[3]);
            /* the clip's transcript and the next one's, in the order said
             * (columns 9 and 10; a Swedish sentence's said words are in order) */
            snprintf(seq, sizeof seq, "%s", k >= 8 && f[8][0] ? f[8] : f[3]);
            snprintf(next_seq, sizeof next_seq, "%s", k >= 9 && f[9][0] ? f[9] : f[4] ? f[4] : "");
            size_t first = n_trials;
            score_words(asr, &t, f[3], f[5], sp, 1, kind, chan, said_list);
            if (f[4]) score_words(asr, &t, f[4], f[6], sp, 0, kind, chan, said_list);
            char ph[VOCAB_BYTES], other[VOCAB_BYTES];
            /* not on clips over 30 s: PocketSphinx scores every senone in
             * every search of those, and the phrases' directory searches on
             * the 72-87 s prompts ran for over 25 minutes on a loaded machine */
            int nw = !quick && kind == KIND_SENTENCE && (double)pcm.n / pcm.rate <= 30 ? pick_phrase(seq, 0, NULL, ph, sizeof ph) : 0;
            if (nw) {
                score_phrase(asr, &t, ph, sp, 1, chan, ph);
                if (pick_phrase(next_seq, nw, seq, other, sizeof other)) score_phrase(asr, &t, other, sp, 0, chan, ph);
            }
            for (size_t i = first; i < n_trials; i++) trials[i].clip = lineno, trials[i].seq = (int)(i - first);
            clips++;
            audio_s += (double)pcm.n / pcm.rate;
        } else {
            fprintf(stderr, "bench_real: %s: %s\n", path, e.msg);
            return 70;
        }
        rv_pcm_free(&pcm);
    }
    fclose(m);
    if (save && *save) {
        FILE *tf = fopen(save, "wb");
        if (!tf || fwrite(&clips, sizeof clips, 1, tf) != 1 || fwrite(&audio_s, sizeof audio_s, 1, tf) != 1 ||
            (n_trials && fwrite(trials, sizeof trials[0], n_trials, tf) != n_trials) || fclose(tf) != 0) {
            fprintf(stderr, "bench_real: cannot write the trials to %s\n", save);
            return 73;
        }
        printf("  %d clips scored (part %d of %d), %zu trials written to %s\n", clips, part_k, part_n, n_trials, save);
        return 0;
    }
    if (tmpl_pg)
        printf("  posteriorgram templates: %zu made (%.2f s CPU, %.3f s each), %zu trials matched (%.2f s CPU, %.4f s "
               "each), clips' posteriorgrams %.2f s CPU; decoder %.1f s CPU in all\n",
               n_tmpl_made, tmpl_cpu, n_tmpl_made ? tmpl_cpu / (double)n_tmpl_made : 0, n_matched, match_cpu,
               n_matched ? match_cpu / (double)n_matched : 0, clip_pg_cpu, rv_asr_cpu_seconds(asr));
    if (getenv("RV_BENCH_DUMP")) /* every trial, for study */
        for (size_t i = 0; i < n_trials; i++)
            fprintf(stderr, "%s\t%d\t%.3f\t%.3f\t%.3f\t%.2f\t%s\t%s\t%.1f\t%d\t%d\t%.2f\t%.2f\t%.3f\t%.4f\t%.4f\t%.4f\t%zu\t%d\t%.3f\n",
                    speakers[trials[i].speaker], trials[i].said, trials[i].score,
                    trials[i].has_tmpl ? -trials[i].tmpl : -1, trials[i].word_min, trials[i].per_phone,
                    trials[i].kind == KIND_SENTENCE      ? "sentence"
                    : trials[i].kind == KIND_PHRASE_NAME ? "phrase-name"
                    : trials[i].kind == KIND_PHRASE_UNIT ? "phrase-unit"
                                                         : "words", channel_names[trials[i].channel],
                    trials[i].total, trials[i].frames, trials[i].phones, trials[i].shipped_rel, trials[i].stretch,
                    trials[i].margin, trials[i].has_tmpl ? trials[i].tmpl_bg : -1,
                    trials[i].has_tmpl ? trials[i].tmpl_bg_sd : -1, trials[i].has_tmpl ? trials[i].tmpl_self : -1,
                    (size_t)trials[i].clip, trials[i].loop_phones, trials[i].loop_fpp);
    printf("  %d clips (%.0f s) of %d speakers through mu-law, GSM and (where recorded at 16 kHz or more) "
           "wideband; %zu trials%s%s\n",
           clips, audio_s, n_speakers, n_trials, n_cohort ? "; scores weighed against a cohort of ordinary words" : "",
           all_words ? "; every word (RV_BENCH_ALL_WORDS)" : "");
    bands();
    for (int k = 0; k < N_KINDS; k++) kind_table(k);
    stat_table();
    printf("  words in clips, all channels:\n");
    f_kind = KIND_WORDS;
    for (int sp = 0; sp < n_speakers; sp++) report(sp);
    report(-1);
    f_kind = -1;
    rv_features_free(&clip_features);
    rv_signal_free(&clip_signal);
    rv_asr_free(asr);
    rv_asr_free(tmpl_asr);
    rv_postgram_free(&clip_pg);
    rv_lexicon_free(lex);
    return 0;
}
