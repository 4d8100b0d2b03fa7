/* PocketSphinx: one decoder, a phone-loop grammar, and a forced grammar in
 * which an expected phrase (or one of its alternatives) must occur inside the
 * free phone loop; both built as finite-state graphs. A phrase is scored by
 * its words on the best forced path against the free loop's path over the
 * same frames, acoustic scores only. Each distinct word is added to the
 * decoder's dictionary once per slot, as "s<slot>w<N>", with the lexicon's
 * pronunciations as alternates. */
#include "rostvakt/asr.h"

#include "rostvakt/senone.h"

#include <bio.h>
#include <ckd_alloc.h>
#include <err.h>
#include <fe.h>
#include <feat.h>
#include <fsg_model.h>
#include <pthread.h>
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <pocketsphinx.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_HMM "/usr/share/pocketsphinx/model/en-us/en-us"
#define MAX_VARIANTS 4
#define MAX_WORDS 8192
#define WORDS_PER_UTTERANCE 2048
#define MAX_PHRASE_WORDS 16
#define MAX_ALTS RV_ASR_MAX_ALTS
#define MAX_SEGS 8192
/* Telephone audio upsampled to 16 kHz is empty above 4 kHz, where the model
 * was trained on wideband speech; a faint high-pass noise this far below the
 * utterance's level fills that band (chosen on the tune split; the channel
 * adaptation is estimated on the same filled signal; docs/verification.md). */
#define BAND_FILL_DB 35.0

static const char *const phones[] = {
    "AA", "AE", "AH", "AO", "AW", "AY", "B",  "CH", "D",  "DH", "EH", "ER", "EY",
    "F",  "G",  "HH", "IH", "IY", "JH", "K",  "L",  "M",  "N",  "NG", "OW", "OY",
    "P",  "R",  "S",  "SH", "T",  "TH", "UH", "UW", "V",  "W",  "Y",  "Z",  "ZH"};
#define N_PHONES (sizeof phones / sizeof phones[0])

typedef struct {
    char *text;
    int slot;
    char token[24];
    int phones;
} word_entry;

struct rv_asr {
    ps_decoder_t *ps;
    cmd_ln_t *cfg;
    char hmm[1024];
    rv_lexicon *lex;
    char dict_path[64];
    int16_t *audio;
    size_t n_audio;
    /* The current audio's cepstra as the decoder's front end makes them, and
     * where each came from: the front end's voice activity detection
     * (-remove_silence) drops frames it calls silence, so frame f of a
     * search is frame_at[f] of the audio (frame_s seconds each). */
    mfcc_t **cep;
    int n_cep;
    int *frame_at;
    double frame_s;
    int have_loop;
    double *loop_cum; /* loop_cum[f]: the phone loop's acoustic score before frame f */
    int *loop_nph;    /* loop_nph[f]: the loop's phones begun before frame f */
    double loop_fpp;  /* the loop path's frames per phone, silence left out */
    int n_frames;
    word_entry *words;
    size_t n_words;
    double cpu;
    ps_mllr_t *tel, *plain; /* the channel adaptation and its identity */
    int tel_on;
    /* The installation's MAP model beside its MLLR (rv_asr_telephone_model),
     * used for telephone-band audio in place of the MLLR; base: the model
     * for the rest. hmm is the one loaded (tel_model_on -1: none, it failed). */
    char base_hmm[1024], tel_hmm[1024];
    int tel_model_on;
    /* Senone scores of the current utterance, computed once (by the phone
     * loop's pass) and read back by every later pass: the acoustic model's
     * cost is paid once per utterance, not once per phrase. PocketSphinx
     * logs each utterance's scores to a file in sen_dir (-senlogdir); the
     * loop's is kept there as "loop.sen" (about 1 MB a second of audio, in
     * the page cache rather than in this process), the others are removed
     * at once. */
    char sen_dir[64];
    int have_sen;
    /* The senone scores computed by rostvakt itself (src/senone.c), the same
     * as PocketSphinx's but in about a fifth of the time; NULL when the model
     * is not one it can score (then PocketSphinx scores and logs them). */
    rv_senone *scorer;
    int no_scorer;
    char mllr_path[1024];
};

/* Utterances up to this many 10 ms frames (30 s, the longest greeting most
 * policies allow) reuse their senone scores; longer ones are scored in every
 * pass. PocketSphinx 0.8 overruns its frame-position table when it grows its
 * feature buffer while reading scores back (valgrind), so the buffer is made
 * large enough from the start with -pl_window, which the grammar search does
 * not otherwise use; it costs about 5 KB a frame of top-N history in the
 * acoustic model (16 MB for 3100). */
#define SEN_MAX_FRAMES 3000
#define SEN_PL_WINDOW "3100"

typedef struct {
    const char *toks[MAX_PHRASE_WORDS];
    int phones[MAX_PHRASE_WORDS];
    size_t n;
} chain;

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* one decoder, one thread */
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Around a phrase the forced search needs only a filler that absorbs the rest
 * of the greeting: the ratio is taken against the full phone loop's own pass.
 * Sixteen broad phones do that as well as all 39 at a third of the search's
 * cost (docs/verification.md). */
static const char *const filler_phones[] = {"AA", "AE", "AH", "EH", "IH", "IY", "OW", "UW",
                                            "S",  "N",  "M",  "L",  "R",  "T",  "K",  "F"};

/* A self-loop on state over every phone, or with coarse over the filler's. */
static int add_phone_loop(fsg_model_t *fsg, int state, int32 lp, int coarse)
{
    const char *const *set = coarse ? filler_phones : phones;
    size_t n = coarse ? sizeof filler_phones / sizeof *filler_phones : N_PHONES;
    for (size_t i = 0; i < n; i++) {
        char w[16];
        snprintf(w, sizeof w, "ph_%s", set[i]);
        fsg_model_trans_add(fsg, state, state, lp, fsg_model_word_add(fsg, w));
    }
    return 0;
}

/* The loop grammar (n_slots 0): "phone*". Otherwise states are the subsets
 * of slots already passed: every state loops over the phones, and from each
 * subset S an alternative of a slot not in S leads, word by word, to
 * S + {slot}. Start: the empty set; final: all slots. */
static rv_err set_grammar(rv_asr *a, const char *name, chain *const *alts, const size_t *n_alts,
                          size_t n_slots, rv_error *err)
{
    size_t n_sets = (size_t)1 << n_slots;
    int n_states = n_slots ? (int)n_sets : 2;
    for (size_t set = 0; set < n_sets && n_slots; set++)
        for (size_t s = 0; s < n_slots; s++)
            if (!(set & ((size_t)1 << s)))
                for (size_t k = 0; k < n_alts[s]; k++) n_states += (int)alts[s][k].n - 1;
    logmath_t *lmath = ps_get_logmath(a->ps);
    fsg_model_t *fsg = fsg_model_init(name, lmath, 1.0f, n_states);
    if (!fsg) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    int32 lp = logmath_log(lmath, 1.0 / (N_PHONES + 1));
    fsg->start_state = 0;
    if (!n_slots) {
        fsg->final_state = 1;
        add_phone_loop(fsg, 0, lp, 0);
        fsg_model_null_trans_add(fsg, 0, 1, 0);
    } else {
        fsg->final_state = (int)n_sets - 1;
        int next = (int)n_sets;
        for (size_t set = 0; set < n_sets; set++) {
            add_phone_loop(fsg, (int)set, lp, 1);
            for (size_t s = 0; s < n_slots; s++) {
                if (set & ((size_t)1 << s)) continue;
                int to_set = (int)(set | ((size_t)1 << s));
                /* alternatives that begin alike share those words' states
                 * (a prefix tree: "den fjärde december", "den fjärde
                 * januari" ...); every full path scores as before */
                int after[MAX_ALTS][MAX_PHRASE_WORDS];
                for (size_t k = 0; k < n_alts[s]; k++) {
                    const chain *c = &alts[s][k];
                    int from = (int)set;
                    for (size_t w = 0; w < c->n; w++) {
                        int last = w + 1 == c->n, to = -1;
                        for (size_t j = 0; !last && j < k && to < 0; j++) {
                            const chain *o = &alts[s][j];
                            size_t same = 0;
                            while (same <= w && same + 1 < o->n && o->toks[same] == c->toks[same]) same++;
                            if (same > w) to = after[j][w];
                        }
                        if (to < 0) {
                            to = last ? to_set : next++;
                            fsg_model_trans_add(fsg, from, to, w == 0 ? lp : 0,
                                                fsg_model_word_add(fsg, c->toks[w]));
                        }
                        if (!last) after[k][w] = to;
                        from = to;
                    }
                }
            }
        }
    }
    int rc = ps_set_fsg(a->ps, name, fsg);
    fsg_model_free(fsg);
    return rc == 0 ? RV_OK : rv_error_set(err, RV_ERR_INTERNAL, "cannot set the %s grammar", name);
}

/* An MLLR transform that changes nothing (3 streams of 13), to undo the
 * channel adaptation for wideband audio. */
static ps_mllr_t *identity_mllr(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/rostvakt-mllr-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "w");
    if (!f) { close(fd); unlink(path); return NULL; }
    fprintf(f, "1\n3\n");
    for (int s = 0; s < 3; s++) {
        fprintf(f, "13\n");
        for (int r = 0; r < 13; r++)
            for (int c = 0; c < 13; c++) fprintf(f, "%s%c", r == c ? "1.0" : "0.0", c == 12 ? '\n' : ' ');
        for (int c = 0; c < 13; c++) fprintf(f, "0.0%c", c == 12 ? '\n' : ' ');
        for (int c = 0; c < 13; c++) fprintf(f, "1.0%c", c == 12 ? '\n' : ' ');
    }
    fclose(f);
    ps_mllr_t *m = ps_mllr_read(path);
    unlink(path);
    return m;
}

/* sphinxbase keeps one process-wide log file, and ps_init with -logfn closes
 * and reopens it: two decoders opened at once on two threads shared a FILE
 * one of them had closed (seen as a deadlock in glibc's stdio). So logging is
 * switched off once for the process, and decoders are created and freed one
 * at a time. */
/* Remove the senone score files PocketSphinx wrote to sen_dir, all but the
 * loop's; with keep, the (one) new file becomes the loop's. */
static void take_senlog(rv_asr *a, int keep)
{
    DIR *d = opendir(a->sen_dir);
    if (!d) return;
    struct dirent *e;
    char path[128], loop[128];
    snprintf(loop, sizeof loop, "%s/loop.sen", a->sen_dir);
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "loop.sen") == 0) continue;
        snprintf(path, sizeof path, "%s/%.60s", a->sen_dir, e->d_name);
        if (keep && !a->have_sen && rename(path, loop) == 0) a->have_sen = 1;
        else unlink(path);
    }
    closedir(d);
}

/* Forget the loop's scores (a new utterance). */
static void drop_senlog(rv_asr *a)
{
    char loop[128];
    snprintf(loop, sizeof loop, "%s/loop.sen", a->sen_dir);
    unlink(loop);
    a->have_sen = 0;
}

/* Beams for the next grammar set (a search reads them when it is made). */
#define WIDE_BEAM 1e-200
#define NARROW_BEAM 1e-100
#define FIXED_BEAM 1e-80
#define MANY_ALTS 8
static void set_beams(rv_asr *a, double beam)
{
    cmd_ln_set_float_r(a->cfg, "-beam", beam);
    cmd_ln_set_float_r(a->cfg, "-pbeam", beam);
    cmd_ln_set_float_r(a->cfg, "-wbeam", beam);
}

static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static void quiet_logs(void) { err_set_logfp(NULL); }

/* A fresh PocketSphinx decoder on a->hmm whose dictionary holds only the
 * phones (the phone loop), and the loop's grammar. RV_ERR_CONFIG when the
 * model cannot be loaded. */
static void stop_decoder(rv_asr *a);
static rv_err start_decoder(rv_asr *a, rv_error *err)
{
    rv_err rc = RV_OK;
    snprintf(a->dict_path, sizeof a->dict_path, "/tmp/rostvakt-phones-XXXXXX");
    int fd = mkstemp(a->dict_path);
    if (fd < 0) {
        a->dict_path[0] = '\0';
        return rv_error_set(err, RV_ERR_IO, "cannot create a temporary dictionary");
    }
    FILE *f = fdopen(fd, "w");
    if (!f) { close(fd); rc = rv_error_set(err, RV_ERR_IO, "cannot write a temporary dictionary"); goto done; }
    for (size_t i = 0; i < N_PHONES; i++) fprintf(f, "ph_%s %s\n", phones[i], phones[i]);
    fclose(f);
    /* Wide beams: the forced path must survive through an unlikely phrase
     * (narrower ones lost true units; docs/verification.md). Every senone
     * is scored in every frame: acoustic scores are normalised per frame by
     * the best one computed, so only then are the scores of different searches
     * (loop, phrase, alternatives) comparable. */
    a->cfg = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", a->hmm,
                         "-dict", a->dict_path, "-beam", "1e-200",
                         "-wbeam", "1e-200", "-pbeam", "1e-200", "-compallsen", "yes",
                         "-senlogdir", a->sen_dir, "-pl_window", SEN_PL_WINDOW, NULL);
    if (!a->cfg) { rc = rv_error_set(err, RV_ERR_CONFIG, "bad PocketSphinx configuration"); goto done; }
    char mdef[1100], mean[1100], var[1100], sendump[1100];
    snprintf(mdef, sizeof mdef, "%s/mdef", a->hmm);
    snprintf(mean, sizeof mean, "%s/means", a->hmm);
    snprintf(var, sizeof var, "%s/variances", a->hmm);
    snprintf(sendump, sizeof sendump, "%s/sendump", a->hmm);
    if (!a->scorer && !a->no_scorer && cmd_ln_int32_r(a->cfg, "-ds") == 1) {
        rv_senone_model m = {mdef, mean, var, sendump, cmd_ln_float32_r(a->cfg, "-varfloor"),
                             (double)cmd_ln_float32_r(a->cfg, "-logbase"), (int)cmd_ln_int32_r(a->cfg, "-topn")};
        rv_error serr;
        if (rv_senone_open(&m, &a->scorer, &serr) != RV_OK) a->no_scorer = 1; /* PocketSphinx scores */
    }
    if (a->scorer) cmd_ln_set_str_r(a->cfg, "-senlogdir", NULL); /* nothing to log */
    pthread_mutex_lock(&init_lock);
    a->ps = ps_init(a->cfg);
    pthread_mutex_unlock(&init_lock);
    if (!a->ps) { rc = rv_error_set(err, RV_ERR_CONFIG, "cannot load the acoustic model"); goto done; }
    a->tel_on = 0;
    if (a->scorer) {
        /* PocketSphinx scores such a model (one codebook per base phone,
         * a sendump) with its PTM code, from these same files, at the top-N
         * and frame rate of this configuration: which rv_senone_open checked */
        rc = rv_senone_adapt(a->scorer, NULL, err); /* as the new decoder: no adaptation yet */
        if (rc != RV_OK) goto done;
    }
    rc = set_grammar(a, "loop", NULL, NULL, 0, err);
done:
    unlink(a->dict_path);
    a->dict_path[0] = '\0';
    return rc;
}

static void stop_decoder(rv_asr *a)
{
    pthread_mutex_lock(&init_lock);
    if (a->ps) ps_free(a->ps);         /* ps_init took its own reference ... */
    if (a->cfg) cmd_ln_free_r(a->cfg); /* ... so ours is released too */
    pthread_mutex_unlock(&init_lock);
    a->ps = NULL;
    a->cfg = NULL;
    for (size_t i = 0; a->words && i < a->n_words; i++) free(a->words[i].text);
    a->n_words = 0;
}

rv_err rv_asr_open(const char *hmm_dir, const char *mllr_path, rv_lexicon *lex, rv_asr **out,
                   rv_error *err)
{
    pthread_once(&log_once, quiet_logs);
    *out = NULL;
    rv_asr *a = calloc(1, sizeof *a);
    if (!a) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    a->lex = lex;
    a->frame_s = 0.01;
    a->words = calloc(MAX_WORDS, sizeof *a->words);
    rv_err rc = RV_OK;
    if (!a->words) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); goto done; }
    if (mllr_path && access(mllr_path, R_OK) != 0) {
        rc = rv_error_set(err, RV_ERR_CONFIG, "cannot read the channel adaptation %s (make builds it)",
                          mllr_path);
        goto done;
    }
    snprintf(a->sen_dir, sizeof a->sen_dir, "/tmp/rostvakt-sen-XXXXXX");
    if (!mkdtemp(a->sen_dir)) {
        a->sen_dir[0] = '\0';
        rc = rv_error_set(err, RV_ERR_IO, "cannot create a temporary directory");
        goto done;
    }
    snprintf(a->hmm, sizeof a->hmm, "%s", hmm_dir ? hmm_dir : DEFAULT_HMM);
    snprintf(a->base_hmm, sizeof a->base_hmm, "%s", a->hmm);
    if (mllr_path) snprintf(a->mllr_path, sizeof a->mllr_path, "%s", mllr_path);
    if (mllr_path) rv_asr_telephone_model(mllr_path, a->tel_hmm, sizeof a->tel_hmm);
    if (mllr_path) {
        a->tel = ps_mllr_read(mllr_path);
        a->plain = identity_mllr();
        if (!a->tel || !a->plain) {
            rc = rv_error_set(err, RV_ERR_CONFIG, "%s is not an MLLR matrix", mllr_path);
            goto done;
        }
    }
    rc = start_decoder(a, err);
    if (rc == RV_ERR_CONFIG) /* say which model */
        rc = rv_error_set(err, RV_ERR_CONFIG, "cannot load the acoustic model in %s%s%s", a->hmm,
                          mllr_path ? " with " : "", mllr_path ? mllr_path : "");
done:
    if (rc != RV_OK) {
        rv_asr_free(a);
        return rc;
    }
    *out = a;
    return RV_OK;
}

void rv_asr_free(rv_asr *a)
{
    if (!a) return;
    if (a->tel) ps_mllr_free(a->tel);
    if (a->plain) ps_mllr_free(a->plain);
    stop_decoder(a);
    rv_senone_free(a->scorer);
    free(a->words);
    free(a->loop_cum);
    free(a->loop_nph);
    free(a->audio);
    if (a->cep) ckd_free_2d((void **)a->cep);
    free(a->frame_at);
    if (a->sen_dir[0]) {
        take_senlog(a, 0);
        drop_senlog(a);
        rmdir(a->sen_dir);
    }
    free(a);
}

int rv_asr_telephone_model(const char *mllr_path, char *out, size_t cap)
{
    char real[PATH_MAX], file[PATH_MAX + 16];
    if (cap) out[0] = '\0';
    if (!mllr_path || !realpath(mllr_path, real)) return 0;
    size_t n = strlen(real);
    if (n < 5 || strcmp(real + n - 5, ".mllr") != 0) return 0;
    memcpy(real + n - 5, ".map", 5);
    static const char *const need[] = {"mdef", "means", "variances", "sendump", "feat.params"};
    for (size_t i = 0; i < sizeof need / sizeof *need; i++) {
        snprintf(file, sizeof file, "%s/%s", real, need[i]);
        if (access(file, R_OK) != 0) return 0;
    }
    if (strlen(real) >= cap) return 0;
    snprintf(out, cap, "%s", real);
    return 1;
}

rv_err rv_asr_use_pocketsphinx_scores(rv_asr *a, rv_error *err)
{
    if (!a->scorer) return RV_OK;
    drop_senlog(a);
    a->have_loop = 0;
    stop_decoder(a);
    rv_senone_free(a->scorer);
    a->scorer = NULL;
    a->no_scorer = 1;
    return start_decoder(a, err);
}

int rv_asr_own_scores(const rv_asr *a) { return a && a->scorer; }

rv_err rv_asr_loop_scores(const rv_asr *a, int16_t **out, size_t *n_frames, int *n_sen, rv_error *err)
{
    *out = NULL;
    *n_frames = 0;
    *n_sen = 0;
    if (!a->have_sen) return rv_error_set(err, RV_ERR_ARG, "no senone scores kept for this utterance");
    char path[128];
    snprintf(path, sizeof path, "%s/loop.sen", a->sen_dir);
    FILE *f = fopen(path, "rb");
    if (!f) return rv_error_set(err, RV_ERR_IO, "cannot open %s", path);
    char **name = NULL, **val = NULL;
    int32 swap = 0;
    int ns = 0;
    if (bio_readhdr(f, &name, &val, &swap) >= 0) {
        for (int i = 0; name[i]; i++)
            if (strcmp(name[i], "n_sen") == 0) ns = atoi(val[i]);
        bio_hdrarg_free(name, val);
    }
    rv_err rc = ns > 0 && !swap ? RV_OK : rv_error_set(err, RV_ERR_IO, "%s: bad header", path);
    size_t cap = 0, n = 0;
    int16_t *buf = NULL, count;
    while (rc == RV_OK && fread(&count, sizeof count, 1, f) == 1) {
        if (count != ns) { rc = rv_error_set(err, RV_ERR_IO, "%s: a frame of %d scores", path, count); break; }
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            int16_t *nb = realloc(buf, cap * (size_t)ns * sizeof *nb);
            if (!nb) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); break; }
            buf = nb;
        }
        if (fread(buf + n * (size_t)ns, sizeof *buf, (size_t)ns, f) != (size_t)ns) {
            rc = rv_error_set(err, RV_ERR_IO, "%s: truncated", path);
            break;
        }
        n++;
    }
    fclose(f);
    if (rc != RV_OK) { free(buf); return rc; }
    *out = buf;
    *n_frames = n;
    *n_sen = ns;
    return RV_OK;
}

rv_err rv_asr_senone_phones(const rv_asr *a, const unsigned char **out, int *n_sen, int *n_phones, rv_error *err)
{
    *out = NULL;
    *n_sen = *n_phones = 0;
    if (!a->scorer) return rv_error_set(err, RV_ERR_ARG, "the senone scores are PocketSphinx's own");
    *out = rv_senone_phones(a->scorer, n_phones);
    *n_sen = rv_senone_count(a->scorer);
    return RV_OK;
}

double rv_asr_cpu_seconds(const rv_asr *a) { return a ? a->cpu : 0; }

typedef struct {
    char token[24]; /* without the "(2)" of an alternate pronunciation */
    int sf, ef;
    int32 ascr;
} seg_info;

static mfcc_t **copy_cep(const rv_asr *a);

/* Decode the current audio with search; the best path's segments (phones,
 * fillers and words) in segs, *n_segs of them, and *found 1. A search that
 * ends without any path leaves *found 0 and is no error; a search that
 * fails (out of memory, PocketSphinx refusing the search or the frames),
 * or a path of more than cap segments, is. */
static rv_err decode(rv_asr *a, const char *search, seg_info *segs, size_t cap, size_t *n_segs, int *found,
                     rv_error *err)
{
    double t0 = cpu_now();
    *n_segs = 0;
    *found = 0;
    int32 score;
    int ok = 0, loop = strcmp(search, "loop") == 0;
    if (!loop && rv_test_fault("asr_decode")) return rv_error_set(err, RV_ERR_INTERNAL, "the %s search failed", search);
    if (a->have_sen) { /* the scores the loop's pass (or rostvakt's scorer) computed */
        char path[128];
        snprintf(path, sizeof path, "%s/loop.sen", a->sen_dir);
        FILE *f = fopen(path, "rb");
        ok = f && ps_set_search(a->ps, search) == 0 && ps_decode_senscr(a->ps, f) >= 0;
        if (f) fclose(f);
        take_senlog(a, 0);
        if (!ok) drop_senlog(a); /* unreadable: score this and later passes afresh */
    }
    if (!ok) {
        if (loop) drop_senlog(a);
        /* the same cepstra as every other pass (the search normalises
         * them in place: a copy) */
        mfcc_t **cep = copy_cep(a);
        if (!cep) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        ok = ps_set_search(a->ps, search) == 0 && ps_start_utt(a->ps) == 0 &&
             ps_process_cep(a->ps, cep, a->n_cep, FALSE, TRUE) >= 0 && ps_end_utt(a->ps) == 0;
        ckd_free_2d((void **)cep);
        take_senlog(a, ok && loop && a->n_audio / 160 < SEN_MAX_FRAMES);
        if (!ok) {
            a->cpu += cpu_now() - t0;
            return rv_error_set(err, RV_ERR_INTERNAL, "the %s search failed", search);
        }
    }
    const char *hyp = ps_get_hyp(a->ps, &score);
    rv_err rc = RV_OK;
    if (rv_test_fault("asr_few_segments") && cap > 4) cap = 4; /* a path outgrows its buffer */
    for (ps_seg_t *s = hyp ? ps_seg_iter(a->ps) : NULL; s; s = ps_seg_next(s)) {
        if (*n_segs == cap) {
            ps_seg_free(s);
            rc = rv_error_set(err, RV_ERR_TOO_LARGE, "the %s search's path has more than %zu segments", search, cap);
            break;
        }
        seg_info *g = &segs[(*n_segs)++];
        const char *w = ps_seg_word(s);
        size_t len = strcspn(w, "(");
        snprintf(g->token, sizeof g->token, "%.*s", (int)(len < sizeof g->token ? len : sizeof g->token - 1), w);
        ps_seg_frames(s, &g->sf, &g->ef);
        int32 lscr, lback;
        ps_seg_prob(s, &g->ascr, &lscr, &lback);
    }
    a->cpu += cpu_now() - t0;
    *found = hyp != NULL && rc == RV_OK;
    return rc;
}

/* The phone loop's acoustic score over frames [sf, ef]; a loop segment that
 * straddles the range counts in proportion. */
static double loop_score(const rv_asr *a, int sf, int ef)
{
    if (sf < 0) sf = 0;
    if (ef >= a->n_frames) ef = a->n_frames - 1;
    return ef < sf ? 0 : a->loop_cum[ef + 1] - a->loop_cum[sf];
}

rv_err rv_asr_prepare(const rv_pcm *pcm, int16_t **out, size_t *n_out, rv_error *err)
{
    *out = NULL;
    *n_out = 0;
    rv_pcm p16 = {0};
    rv_err rc = rv_audio_resample(pcm, 16000, 0, &p16, err);
    if (rc != RV_OK) return rc;
    int16_t *buf = malloc((p16.n ? p16.n : 1) * sizeof *buf);
    if (!buf) { rv_pcm_free(&p16); return rv_error_set(err, RV_ERR_NOMEM, "out of memory"); }
    double rms = 0;
    for (size_t i = 0; i < p16.n; i++) rms += (double)p16.samples[i] * p16.samples[i];
    rms = p16.n ? sqrt(rms / p16.n) : 0;
    double fill = rms * pow(10, -BAND_FILL_DB / 20);
    unsigned seed = 1;
    float prev = 0;
    for (size_t i = 0; i < p16.n; i++) {
        seed = seed * 1103515245u + 12345u;
        float nz = (float)(((seed >> 8) & 0xFFFF) / 32768.0 - 1.0);
        float hp = nz - prev; /* first difference: a gentle high-pass */
        prev = nz;
        float v = (p16.samples[i] + (float)fill * hp) * 32767.0f;
        buf[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
    }
    *out = buf;
    *n_out = p16.n;
    rv_pcm_free(&p16);
    return RV_OK;
}

/* The current audio through the decoder's front end into a->cep, as
 * PocketSphinx makes a whole utterance's (acmod: start, process, end), but
 * fed one frame's samples at a time so that each cepstrum's frame in the
 * audio is known (a->frame_at): the front end keeps the frames it
 * calls speech, and when speech begins it returns the frames it held back
 * before it, so the frames a call returns are always the latest ones. */
static rv_err front_end(rv_asr *a, rv_error *err)
{
    if (a->cep) ckd_free_2d((void **)a->cep);
    free(a->frame_at);
    a->cep = NULL;
    a->frame_at = NULL;
    a->n_cep = 0;
    fe_t *fe = ps_get_fe(a->ps);
    int shift = 0, size = 0;
    fe_get_input_size(fe, &shift, &size);
    if (shift < 1 || size < shift) return rv_error_set(err, RV_ERR_INTERNAL, "the front end has no frame size");
    a->frame_s = (double)shift / 16000;
    size_t cap = a->n_audio / (size_t)shift + 2;
    if (cap > INT32_MAX / 2) return rv_error_set(err, RV_ERR_TOO_LARGE, "an utterance too long for the front end");
    a->cep = (mfcc_t **)ckd_calloc_2d(cap, fe_get_output_size(fe), sizeof(mfcc_t));
    a->frame_at = malloc(cap * sizeof *a->frame_at);
    if (!a->cep || !a->frame_at) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    fe_start_utt(fe);
    const int16 *p = a->audio;
    size_t fed = 0, out = 0;
    while (fed < a->n_audio) {
        size_t chunk = fed == 0 ? (size_t)size : (size_t)shift;
        if (chunk > a->n_audio - fed) chunk = a->n_audio - fed;
        size_t left = chunk;
        int32 nfr = (int32)(cap - 1 - out);
        if (fe_process_frames(fe, &p, &left, a->cep + out, &nfr, NULL) < 0 || left != 0 || nfr < 0 ||
            (size_t)nfr > cap - 1 - out)
            return rv_error_set(err, RV_ERR_INTERNAL, "the front end failed");
        fed += chunk;
        int made = fed >= (size_t)size ? 1 + (int)((fed - (size_t)size) / (size_t)shift) : 0;
        if (nfr > made) return rv_error_set(err, RV_ERR_INTERNAL, "the front end returned frames it did not make");
        for (int32 j = 0; j < nfr; j++) a->frame_at[out + (size_t)j] = made - nfr + j;
        out += (size_t)nfr;
    }
    int made = a->n_audio >= (size_t)size ? 1 + (int)((a->n_audio - (size_t)size) / (size_t)shift) : 0;
    int32 tail = 0;
    fe_end_utt(fe, a->cep[out], &tail);
    if (tail > 0) a->frame_at[out++] = made; /* the last samples, padded */
    a->n_cep = (int)out;
    return RV_OK;
}

/* A copy of a->cep (the search normalises its cepstra in place); NULL when
 * out of memory. */
static mfcc_t **copy_cep(const rv_asr *a)
{
    int dim = fe_get_output_size(ps_get_fe(a->ps));
    mfcc_t **c = (mfcc_t **)ckd_calloc_2d((size_t)a->n_cep + 1, dim, sizeof(mfcc_t));
    if (c && a->n_cep) memcpy(c[0], a->cep[0], (size_t)a->n_cep * dim * sizeof(mfcc_t));
    return c;
}

/* The current audio's features, made from a->cep the way PocketSphinx
 * makes them for a whole utterance (dynamic features with batch CMN; its
 * end of utterance), scored by a->scorer into the loop's senone log, which
 * every pass then reads. */
static rv_err own_scores(rv_asr *a, rv_error *err)
{
    double t0 = cpu_now();
    fe_t *fe = ps_get_fe(a->ps);
    feat_t *fcb = ps_get_feat(a->ps);
    int32 nfr = a->n_cep;
    mfcc_t **cep = copy_cep(a);
    if (!cep) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    mfcc_t ***feat = nfr < 1 ? NULL : feat_array_alloc(fcb, nfr);
    int nf = feat ? feat_s2mfc2feat_live(fcb, cep, &nfr, TRUE, TRUE, feat) : 0;
    int32 none = 0;
    fe_end_utt(fe, cep[0], &none); /* as acmod_end_utt */
    feat_update_stats(fcb);
    ckd_free_2d((void **)cep);
    rv_err rc = RV_OK;
    char path[128];
    snprintf(path, sizeof path, "%s/loop.sen", a->sen_dir);
    FILE *f = nf > 0 ? fopen(path, "wb") : NULL;
    if (f) {
        rc = rv_senone_write(a->scorer, feat, nf, f, err);
        if (fclose(f) != 0 && rc == RV_OK) rc = rv_error_set(err, RV_ERR_IO, "cannot write %s", path);
        if (rc == RV_OK) a->have_sen = 1;
        else unlink(path);
    }
    if (feat) feat_array_free(feat);
    a->cpu += cpu_now() - t0;
    return rc;
}

/* Whether pcm carries only the telephone band: 8 kHz or less, or a higher
 * rate with nothing above 4.4 kHz (a call stored at 16 kHz, as Asterisk's
 * wav16 of a G.711 line). A 101-tap windowed-sinc high-pass, every fourth
 * output sample: such recordings hold about -68 dB above the band, wideband
 * speech (real and synthetic, quiet and loud) -12 to -33 dB. */
#define HIGH_TAPS 101
#define NARROW_BAND_DB (-50.0)
static int telephone_band(const rv_pcm *pcm)
{
    if (pcm->rate <= 8000) return 1;
    if (pcm->n <= HIGH_TAPS) return 0;
    double h[HIGH_TAPS], fc = 4400.0 / pcm->rate, pi = acos(-1.0);
    int m = HIGH_TAPS / 2;
    for (int k = 0; k < HIGH_TAPS; k++) {
        int n = k - m;
        double lp = n ? sin(2 * pi * fc * n) / (pi * n) : 2 * fc;
        h[k] = (n == 0) - lp * (0.54 - 0.46 * cos(2 * pi * k / (HIGH_TAPS - 1)));
    }
    double high = 0, all = 0;
    for (size_t i = HIGH_TAPS; i < pcm->n; i += 4) {
        double y = 0;
        for (int k = 0; k < HIGH_TAPS; k++) y += h[k] * pcm->samples[i - (size_t)k];
        double x = pcm->samples[i - (size_t)m];
        high += y * y;
        all += x * x;
    }
    return all > 0 && high < all * pow(10, NARROW_BAND_DB / 10);
}

int rv_asr_telephone_band(const rv_pcm *pcm) { return telephone_band(pcm); }

rv_err rv_asr_set_audio(rv_asr *a, const rv_pcm *pcm, rv_error *err)
{
    int16_t *buf;
    size_t n;
    rv_err rc = rv_asr_prepare(pcm, &buf, &n, err);
    if (rc != RV_OK) return rc;
    /* PocketSphinx cannot forget a word: a decoder that has seen many
     * distinct names (a long-running service, a sweep, a large batch) starts
     * afresh before its dictionary is full. One utterance needs far fewer
     * than WORDS_PER_UTTERANCE. */
    if (a->n_words > MAX_WORDS - WORDS_PER_UTTERANCE) {
        drop_senlog(a);
        stop_decoder(a);
        rc = start_decoder(a, err);
        if (rc != RV_OK) {
            free(buf);
            return rc;
        }
    }
    /* The adaptation was estimated on 8 kHz lines: on for telephone-band
     * audio (whatever rate it is stored at), off for wideband (the model's
     * own conditions). A MAP model beside the MLLR is that adaptation whole
     * (its means already moved by the MLLR): loaded for telephone-band audio
     * with no MLLR on top, the base model again for wideband. */
    int band = a->tel && telephone_band(pcm);
    if (a->tel_hmm[0] && band != a->tel_model_on) {
        drop_senlog(a);
        stop_decoder(a);
        rv_senone_free(a->scorer);
        a->scorer = NULL;
        snprintf(a->hmm, sizeof a->hmm, "%s", band ? a->tel_hmm : a->base_hmm);
        a->tel_model_on = band;
        if ((rc = start_decoder(a, err)) != RV_OK) {
            a->tel_model_on = -1; /* no model loaded: the next recording tries again */
            free(buf);
            return rc == RV_ERR_CONFIG ? rv_error_set(err, rc, "cannot load the acoustic model in %s", a->hmm) : rc;
        }
    }
    int tel = band && !a->tel_model_on;
    if (a->tel && tel != a->tel_on) {
        ps_mllr_t *m = ps_mllr_retain(tel ? a->tel : a->plain);
        if (!ps_update_mllr(a->ps, m)) {
            free(buf);
            return rv_error_set(err, RV_ERR_INTERNAL, "cannot apply the channel adaptation");
        }
        if (a->scorer && (rc = rv_senone_adapt(a->scorer, tel ? a->mllr_path : NULL, err)) != RV_OK) {
            free(buf);
            return rc;
        }
        a->tel_on = tel;
    }
    free(a->audio);
    a->audio = buf;
    a->n_audio = n;
    drop_senlog(a); /* the scores were the previous utterance's */
    a->have_loop = 0;
    a->n_frames = 0;
    if (!n) return RV_OK;
    seg_info *segs = malloc(MAX_SEGS * sizeof *segs);
    if (!segs) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    size_t ns = 0;
    double t0 = cpu_now();
    rc = front_end(a, err);
    a->cpu += cpu_now() - t0;
    if (rc != RV_OK) { free(segs); return rc; }
    if (a->scorer && n / 160 < SEN_MAX_FRAMES) {
        rc = own_scores(a, err);
        if (rc != RV_OK) { free(segs); return rc; }
    }
    int ok = 0;
    rc = decode(a, "loop", segs, MAX_SEGS, &ns, &ok, err);
    if (rc != RV_OK) { free(segs); return rc; }
    int frames = 0;
    for (size_t i = 0; i < ns; i++) frames = segs[i].ef + 1 > frames ? segs[i].ef + 1 : frames;
    double *cum = realloc(a->loop_cum, (size_t)(frames + 1) * sizeof *cum);
    if (!cum) { free(segs); return rv_error_set(err, RV_ERR_NOMEM, "out of memory"); }
    a->loop_cum = cum;
    a->n_frames = frames;
    for (int f = 0; f <= frames; f++) cum[f] = 0;
    for (size_t i = 0; i < ns; i++) { /* each frame's share first, then the running sum */
        int len = segs[i].ef - segs[i].sf + 1;
        for (int f = segs[i].sf; len > 0 && f >= 0 && f <= segs[i].ef; f++)
            cum[f + 1] = (double)segs[i].ascr / len;
    }
    for (int f = 0; f < frames; f++) cum[f + 1] += cum[f];
    int *nph = realloc(a->loop_nph, (size_t)(frames + 1) * sizeof *nph);
    if (!nph) { free(segs); return rv_error_set(err, RV_ERR_NOMEM, "out of memory"); }
    a->loop_nph = nph;
    for (int f = 0; f <= frames; f++) nph[f] = 0;
    int ph_n = 0, ph_frames = 0;
    for (size_t i = 0; i < ns; i++)
        if (!strncmp(segs[i].token, "ph_", 3) && segs[i].sf >= 0 && segs[i].sf < frames) {
            nph[segs[i].sf + 1]++;
            ph_n++;
            ph_frames += segs[i].ef - segs[i].sf + 1;
        }
    for (int f = 0; f < frames; f++) nph[f + 1] += nph[f];
    a->loop_fpp = ph_n ? (double)ph_frames / ph_n : 0;
    free(segs);
    if (!ok) return rv_error_set(err, RV_ERR_INTERNAL, "the phone loop found no path");
    a->have_loop = 1;
    return RV_OK;
}

/* The dictionary entry of text in slot, added the first time with its
 * n_prons pronunciations (the first under token, "s<slot>w<N>" when token is
 * NULL; the others as its alternates "token(2)" ...). */
static rv_err entry_of(rv_asr *a, const char *text, int slot, const char *token, const char *const *prons,
                       size_t n_prons, const word_entry **out, rv_error *err)
{
    for (size_t i = 0; i < a->n_words; i++)
        if (a->words[i].slot == slot && strcmp(a->words[i].text, text) == 0) {
            *out = &a->words[i];
            return RV_OK;
        }
    if (a->n_words == MAX_WORDS)
        return rv_error_set(err, RV_ERR_TOO_LARGE, "more than %d distinct words", MAX_WORDS);
    word_entry *e = &a->words[a->n_words];
    if (token) snprintf(e->token, sizeof e->token, "%s", token);
    else snprintf(e->token, sizeof e->token, "s%dw%zu", slot, a->n_words);
    for (size_t j = 0; j < n_prons; j++) {
        char name[sizeof a->words[0].token + 24]; /* "token(N)" */
        if (j == 0) snprintf(name, sizeof name, "%s", e->token);
        else snprintf(name, sizeof name, "%s(%zu)", e->token, j + 1);
        if (ps_add_word(a->ps, name, prons[j], 0) < 0)
            return rv_error_set(err, RV_ERR_INTERNAL, "cannot add '%s' to the dictionary", text);
    }
    e->phones = 1;
    for (const char *c = prons[0]; *c; c++) e->phones += *c == ' ';
    e->slot = slot;
    e->text = strdup(text);
    if (!e->text) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    a->n_words++;
    *out = e;
    return RV_OK;
}

/* The dictionary token of one word in one slot, added the first time. */
static rv_err word_token(rv_asr *a, const rv_word_pron *w, int slot, const word_entry **tok,
                         rv_error *err)
{
    const char *prons[MAX_VARIANTS];
    size_t n = 0;
    for (; n < w->n_prons && n < MAX_VARIANTS; n++) prons[n] = w->prons[n];
    return entry_of(a, w->word, slot, NULL, prons, n, tok, err);
}

/* Slot s of a pass pronounced with vocab's map: its words are cached apart
 * from the other map's, under the tag s + vocab * MAX_SLOTS. */
#define MAX_SLOTS 4
static rv_err make_chain(rv_asr *a, const char *phrase, int slot, rv_vocab vocab, chain *c, rv_error *err)
{
    rv_word_pron w[MAX_PHRASE_WORDS];
    size_t n;
    rv_err rc = rv_lexicon_pronounce_in(a->lex, vocab, phrase, MAX_VARIANTS, w, MAX_PHRASE_WORDS, &n, err);
    if (rc != RV_OK) return rc;
    slot += vocab == RV_VOCAB_DIRECTORY ? MAX_SLOTS : 0;
    c->n = n;
    for (size_t i = 0; i < n; i++) {
        const word_entry *e = NULL;
        rc = word_token(a, &w[i], slot, &e, err);
        if (rc != RV_OK) return rc;
        c->toks[i] = e->token;
        c->phones[i] = e->phones;
    }
    return RV_OK;
}

/* Does the path at segs[i..] go through chain c? The number of segments it
 * spans (words and the fillers between them), else 0. */
static size_t match_chain(const seg_info *segs, size_t ns, size_t i, const chain *c)
{
    size_t m = 0, j = i;
    for (; j < ns && m < c->n; j++) {
        if (strcmp(segs[j].token, c->toks[m]) == 0) m++;
        else if (segs[j].token[0] == 's' || j == i) return 0; /* another word */
    }
    return m == c->n ? j - i : 0;
}

/* Where frame f of a search begins in the audio, in seconds. */
static double frame_time(const rv_asr *a, int f)
{
    if (f < 0 || !a->frame_at || !a->n_cep) return f * a->frame_s;
    return (f < a->n_cep ? a->frame_at[f] : a->frame_at[a->n_cep - 1] + (f - a->n_cep + 1)) * a->frame_s;
}

double rv_asr_frame_time(const rv_asr *a, int f) { return frame_time(a, f); }

static void score_chain(const rv_asr *a, const seg_info *segs, size_t i, size_t span, const chain *c,
                        rv_phrase_score *out)
{
    double sum = 0, wmin = 1e9;
    int frames = 0, sf = -1, ef = -1;
    size_t m = 0;
    for (size_t j = i; j < i + span; j++) {
        if (segs[j].token[0] != 's') continue; /* silence between the words */
        int len = segs[j].ef - segs[j].sf + 1;
        double lr = segs[j].ascr - loop_score(a, segs[j].sf, segs[j].ef);
        sum += lr;
        frames += len;
        if (len > 0 && lr / len < wmin) wmin = lr / len;
        if (sf < 0) sf = segs[j].sf;
        ef = segs[j].ef;
        out->phones += c->phones[m++];
    }
    out->found = frames > 0;
    out->total = sum;
    out->frames = frames;
    out->llr = frames ? sum / frames : -1e9;
    out->word_min = frames ? wmin : -1e9;
    out->start_s = frame_time(a, sf);
    out->end_s = frame_time(a, ef) + a->frame_s;
    if (sf >= 0 && ef < a->n_frames) out->loop_phones = a->loop_nph[ef + 1] - a->loop_nph[sf];
    out->loop_fpp = a->loop_fpp;
}

/* One expected phrase and its alternatives. */
typedef struct {
    const char *const *alts;
    size_t n_alts;
    rv_vocab vocab;
} slot_spec;

/* Score n_slots slots in one pass of the subset grammar. With more than one
 * slot it separates worse than a pass per slot, and is slower (the search,
 * not the acoustic scores, is most of the cost; docs/verification.md), so
 * callers pass one. */
static rv_err verify_slots(rv_asr *a, const slot_spec *slots, size_t n_slots, size_t *best,
                           rv_phrase_score *out, rv_error *err)
{
    if (n_slots < 1 || n_slots > MAX_SLOTS)
        return rv_error_set(err, RV_ERR_ARG, "1 to %d phrases at a time, not %zu", MAX_SLOTS, n_slots);
    for (size_t s = 0; s < n_slots; s++) {
        if (slots[s].n_alts < 1 || slots[s].n_alts > MAX_ALTS)
            return rv_error_set(err, RV_ERR_ARG, "1 to %d alternatives a phrase, not %zu", MAX_ALTS,
                                slots[s].n_alts);
        memset(&out[s], 0, sizeof out[s]);
        out[s].llr = out[s].word_min = -1e9;
        out[s].start_s = out[s].end_s = -1;
        best[s] = 0;
    }
    if (!a->have_loop) return RV_OK; /* no audio: nothing can be stated */
    chain *alts[MAX_SLOTS] = {0};
    size_t n_alts[MAX_SLOTS] = {0};
    seg_info *segs = malloc(MAX_SEGS * sizeof *segs);
    rv_err rc = segs ? RV_OK : rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    for (size_t s = 0; rc == RV_OK && s < n_slots; s++) {
        n_alts[s] = slots[s].n_alts;
        alts[s] = calloc(n_alts[s], sizeof *alts[s]);
        if (!alts[s]) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        for (size_t k = 0; rc == RV_OK && k < n_alts[s]; k++)
            rc = make_chain(a, slots[s].alts[k], (int)s, slots[s].vocab, &alts[s][k], err);
    }
    /* A choice among many (closing prompts, absence phrases, 62 dates, 24
     * hours, case words) is searched with narrower beams: the search grows
     * with the alternatives, and these passes were most of a greeting's cost.
     * rostvakt's own phrases (closings, absence cues, dates, hours) take
     * 1e-80, the directory's names and case words 1e-100, a single phrase
     * the wide beams: the narrowest each could take without losing paths on
     * the tune split (docs/verification.md). */
    size_t total_alts = 0;
    int fixed = 1;
    for (size_t s = 0; s < n_slots; s++) {
        total_alts += n_alts[s];
        fixed = fixed && slots[s].vocab == RV_VOCAB_FIXED;
    }
    int narrow = total_alts >= MANY_ALTS;
    if (narrow) set_beams(a, fixed ? FIXED_BEAM : NARROW_BEAM);
    if (rc == RV_OK) rc = set_grammar(a, "forced", alts, n_alts, n_slots, err);
    if (narrow) set_beams(a, WIDE_BEAM);
    size_t ns = 0;
    int found = 0;
    if (rc == RV_OK) rc = decode(a, "forced", segs, MAX_SEGS, &ns, &found, err);
    if (rc == RV_OK && found) {
        for (size_t i = 0; i < ns; i++) {
            if (segs[i].token[0] != 's') continue;
            int s = atoi(segs[i].token + 1) % MAX_SLOTS; /* the tag's slot */
            if (s < 0 || (size_t)s >= n_slots || out[s].found) continue;
            for (size_t k = 0; k < n_alts[s]; k++) {
                size_t span = match_chain(segs, ns, i, &alts[s][k]);
                if (!span) continue;
                best[s] = k;
                score_chain(a, segs, i, span, &alts[s][k], &out[s]);
                i += span - 1;
                break;
            }
        }
    }
    ps_unset_search(a->ps, "forced"); /* none after a failure in set_grammar: no harm */
    for (size_t s = 0; s < n_slots; s++) free(alts[s]);
    free(segs);
    return rc;
}

rv_err rv_asr_best_of_in(rv_asr *a, rv_vocab vocab, const char *const *phrases, size_t n, size_t *best,
                         rv_phrase_score *out, rv_error *err)
{
    slot_spec slot = {phrases, n, vocab};
    return verify_slots(a, &slot, 1, best, out, err);
}

rv_err rv_asr_sayable(rv_asr *a, rv_vocab vocab, const char *phrase, int *sayable, rv_error *err)
{
    *sayable = 0;
    rv_word_pron *w = rv_test_fault("asr_pronounce_nomem") ? NULL : malloc(MAX_PHRASE_WORDS * sizeof *w);
    if (!w) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    size_t n;
    rv_error e;
    *sayable = rv_lexicon_pronounce_in(a->lex, vocab, phrase, MAX_VARIANTS, w, MAX_PHRASE_WORDS, &n, &e) == RV_OK;
    free(w);
    return RV_OK;
}

rv_err rv_asr_best_of(rv_asr *a, const char *const *phrases, size_t n, size_t *best,
                      rv_phrase_score *out, rv_error *err)
{
    return rv_asr_best_of_in(a, RV_VOCAB_FIXED, phrases, n, best, out, err);
}

rv_err rv_asr_verify(rv_asr *a, const char *phrase, rv_phrase_score *out, rv_error *err)
{
    size_t best;
    return rv_asr_best_of_in(a, RV_VOCAB_FIXED, &phrase, 1, &best, out, err);
}

/* The dictionary token for phone ph at position pos of an alignment (slot
 * -1, apart from the phrases' words). */
static rv_err align_token(rv_asr *a, int pos, const char *ph, char *tok, size_t cap, rv_error *err)
{
    snprintf(tok, cap, "q%d_%s", pos, ph);
    const word_entry *e;
    return entry_of(a, tok, -1, tok, &ph, 1, &e, err);
}

rv_err rv_asr_align(rv_asr *a, const char *const *const *cands, const size_t *n_cands, size_t n_pos,
                    int *choice, rv_error *err)
{
    if (n_pos < 1 || n_pos > 96) return rv_error_set(err, RV_ERR_ARG, "1 to 96 positions, not %zu", n_pos);
    for (size_t i = 0; i < n_pos; i++) choice[i] = -1;
    if (!a->have_loop) return RV_OK;
    logmath_t *lmath = ps_get_logmath(a->ps);
    int final = (int)n_pos + 1;
    fsg_model_t *fsg = fsg_model_init("align", lmath, 1.0f, final + 1);
    if (!fsg) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    int32 lp = logmath_log(lmath, 1.0 / (N_PHONES + 1));
    fsg->start_state = 0;
    fsg->final_state = final;
    add_phone_loop(fsg, 0, lp, 1);
    add_phone_loop(fsg, final, lp, 1);
    fsg_model_null_trans_add(fsg, 0, 1, 0);
    rv_err rc = RV_OK;
    for (size_t i = 0; i < n_pos && rc == RV_OK; i++)
        for (size_t k = 0; k < n_cands[i] && rc == RV_OK; k++) {
            if (!*cands[i][k]) { fsg_model_null_trans_add(fsg, (int)i + 1, (int)i + 2, 0); continue; }
            char tok[24];
            rc = align_token(a, (int)i, cands[i][k], tok, sizeof tok, err);
            if (rc == RV_OK) fsg_model_trans_add(fsg, (int)i + 1, (int)i + 2, 0, fsg_model_word_add(fsg, tok));
        }
    if (rc == RV_OK && ps_set_fsg(a->ps, "align", fsg) != 0)
        rc = rv_error_set(err, RV_ERR_INTERNAL, "cannot set the alignment grammar");
    fsg_model_free(fsg);
    if (rc != RV_OK) return rc;
    seg_info *segs = malloc(MAX_SEGS * sizeof *segs);
    if (!segs) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    size_t ns = 0;
    int found = 0;
    rc = decode(a, "align", segs, MAX_SEGS, &ns, &found, err);
    if (rc != RV_OK) {
        ps_unset_search(a->ps, "align");
        free(segs);
        return rc;
    }
    if (found)
        for (size_t s = 0; s < ns; s++) {
            int pos;
            char ph[8];
            if (sscanf(segs[s].token, "q%d_%7s", &pos, ph) != 2 || pos < 0 || (size_t)pos >= n_pos) continue;
            for (size_t k = 0; k < n_cands[pos]; k++)
                if (strcmp(cands[pos][k], ph) == 0) choice[pos] = (int)k;
        }
    for (size_t i = 0; i < n_pos; i++) /* not on the path: dropped, if it could be */
        for (size_t k = 0; choice[i] < 0 && k < n_cands[i]; k++)
            if (!*cands[i][k]) choice[i] = (int)k;
    ps_unset_search(a->ps, "align");
    free(segs);
    return RV_OK;
}
