/* PocketSphinx: one decoder, a phone-loop grammar, and one forced grammar per
 * phrase, both built as finite-state graphs. Words are added to the decoder's dictionary as "p<N>" with the
 * lexicon's pronunciations as alternates, once per distinct phrase. */
#include "rostvakt/asr.h"

#include <fsg_model.h>
#include <math.h>
#include <pocketsphinx.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_HMM "/usr/share/pocketsphinx/model/en-us/en-us"
#define MAX_VARIANTS 6
#define MAX_PHRASES 4096
/* Telephone audio upsampled to 16 kHz is empty above 4 kHz, where the model
 * was trained on wideband speech; a faint high-pass noise this far below the
 * utterance's level fills that band. Chosen on the tune split of
 * bench/make-asr-sets.sh (25 and 35 dB tried; 35 best there). */
#define BAND_FILL_DB 35.0

static const char *const phones[] = {
    "AA", "AE", "AH", "AO", "AW", "AY", "B",  "CH", "D",  "DH", "EH", "ER", "EY",
    "F",  "G",  "HH", "IH", "IY", "JH", "K",  "L",  "M",  "N",  "NG", "OW", "OY",
    "P",  "R",  "S",  "SH", "T",  "TH", "UH", "UW", "V",  "W",  "Y",  "Z",  "ZH"};
#define N_PHONES (sizeof phones / sizeof phones[0])

typedef struct {
    char *text;
    char token[16];
    int phones;
} phrase_entry;

struct rv_asr {
    ps_decoder_t *ps;
    cmd_ln_t *cfg;
    rv_lexicon *lex;
    char dict_path[64];
    int16_t *audio;
    size_t n_audio;
    int32 loop_score;
    int have_loop;
    phrase_entry *phrases;
    size_t n_phrases;
    double cpu;
};

/* The grammar "phone* [(tok1 | tok2 ...) phone*]" as a finite-state graph,
 * built directly (no JSGF parsing), every arc equally likely. No tokens: the
 * free phone loop. */
static rv_err set_grammar(rv_asr *a, const char *name, const char *const *toks, size_t n_toks,
                          rv_error *err)
{
    logmath_t *lmath = ps_get_logmath(a->ps);
    fsg_model_t *fsg = fsg_model_init(name, lmath, 1.0f, 2);
    if (!fsg) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    fsg->start_state = 0;
    fsg->final_state = 1;
    int32 lp = logmath_log(lmath, 1.0 / (N_PHONES + 1));
    for (size_t i = 0; i < N_PHONES; i++) {
        char w[16];
        snprintf(w, sizeof w, "ph_%s", phones[i]);
        int wid = fsg_model_word_add(fsg, w);
        fsg_model_trans_add(fsg, 0, 0, lp, wid);
        if (n_toks) fsg_model_trans_add(fsg, 1, 1, lp, wid);
    }
    for (size_t i = 0; i < n_toks; i++)
        fsg_model_trans_add(fsg, 0, 1, lp, fsg_model_word_add(fsg, toks[i]));
    if (!n_toks) fsg_model_null_trans_add(fsg, 0, 1, 0);
    int rc = ps_set_fsg(a->ps, name, fsg);
    fsg_model_free(fsg);
    return rc == 0 ? RV_OK : rv_error_set(err, RV_ERR_INTERNAL, "cannot set the %s grammar", name);
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

rv_err rv_asr_open(const char *hmm_dir, rv_lexicon *lex, rv_asr **out, rv_error *err)
{
    *out = NULL;
    rv_asr *a = calloc(1, sizeof *a);
    if (!a) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    a->lex = lex;
    a->phrases = calloc(MAX_PHRASES, sizeof *a->phrases);
    rv_err rc = RV_OK;
    if (!a->phrases) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); goto done; }
    /* The dictionary starts with one word a phone: the phone loop. */
    snprintf(a->dict_path, sizeof a->dict_path, "/tmp/rostvakt-phones-XXXXXX");
    int fd = mkstemp(a->dict_path);
    if (fd < 0) { rc = rv_error_set(err, RV_ERR_IO, "cannot create a temporary dictionary"); goto done; }
    FILE *f = fdopen(fd, "w");
    if (!f) { rc = rv_error_set(err, RV_ERR_IO, "cannot write a temporary dictionary"); goto done; }
    for (size_t i = 0; i < N_PHONES; i++) fprintf(f, "ph_%s %s\n", phones[i], phones[i]);
    fclose(f);
    /* Wide beams: the forced path must survive through an unlikely phrase. */
    a->cfg = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm_dir ? hmm_dir : DEFAULT_HMM,
                         "-dict", a->dict_path, "-logfn", "/dev/null", "-beam", "1e-200",
                         "-wbeam", "1e-200", "-pbeam", "1e-200", NULL);
    if (!a->cfg) { rc = rv_error_set(err, RV_ERR_CONFIG, "bad PocketSphinx configuration"); goto done; }
    if (getenv("RV_ASR_MLLR")) cmd_ln_set_str_r(a->cfg, "-mllr", getenv("RV_ASR_MLLR"));
    a->ps = ps_init(a->cfg);
    if (!a->ps) {
        rc = rv_error_set(err, RV_ERR_CONFIG, "cannot load the acoustic model in %s",
                          hmm_dir ? hmm_dir : DEFAULT_HMM);
        goto done;
    }
    rc = set_grammar(a, "loop", NULL, 0, err);
done:
    if (a->dict_path[0]) unlink(a->dict_path);
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
    if (a->ps) ps_free(a->ps);     /* ps_init took its own reference ... */
    if (a->cfg) cmd_ln_free_r(a->cfg); /* ... so ours is released too */
    for (size_t i = 0; a->phrases && i < a->n_phrases; i++) free(a->phrases[i].text);
    free(a->phrases);
    free(a->audio);
    free(a);
}

double rv_asr_cpu_seconds(const rv_asr *a) { return a ? a->cpu : 0; }

/* Decode the current audio with search; *score, and the frames and index of
 * whichever of toks the best path went through. */
static int decode(rv_asr *a, const char *search, const char *const *toks, size_t n_toks,
                  int32 *score, int *sf, int *ef, size_t *which)
{
    double t0 = cpu_now();
    *sf = *ef = -1;
    int ok = ps_set_search(a->ps, search) == 0 && ps_start_utt(a->ps) == 0 &&
             ps_process_raw(a->ps, a->audio, a->n_audio, FALSE, TRUE) >= 0 &&
             ps_end_utt(a->ps) == 0;
    const char *hyp = ok ? ps_get_hyp(a->ps, score) : NULL;
    for (ps_seg_t *s = hyp && n_toks ? ps_seg_iter(a->ps) : NULL; s; s = ps_seg_next(s)) {
        const char *w = ps_seg_word(s);
        for (size_t i = 0; i < n_toks; i++) {
            size_t tl = strlen(toks[i]);
            if (strncmp(w, toks[i], tl) == 0 && (w[tl] == '\0' || w[tl] == '(')) {
                ps_seg_frames(s, sf, ef);
                *which = i;
            }
        }
    }
    a->cpu += cpu_now() - t0;
    return hyp != NULL;
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

rv_err rv_asr_set_audio(rv_asr *a, const rv_pcm *pcm, rv_error *err)
{
    int16_t *buf;
    size_t n;
    rv_err rc = rv_asr_prepare(pcm, &buf, &n, err);
    if (rc != RV_OK) return rc;
    free(a->audio);
    a->audio = buf;
    a->n_audio = n;
    int sf, ef;
    size_t which;
    a->have_loop = a->n_audio > 0 && decode(a, "loop", NULL, 0, &a->loop_score, &sf, &ef, &which);
    if (!a->have_loop && a->n_audio > 0)
        return rv_error_set(err, RV_ERR_INTERNAL, "the phone loop found no path");
    return RV_OK;
}

/* The dictionary token for phrase, adding its pronunciations the first time. */
static rv_err token_for(rv_asr *a, const char *phrase, const phrase_entry **tok, rv_error *err)
{
    for (size_t i = 0; i < a->n_phrases; i++)
        if (strcmp(a->phrases[i].text, phrase) == 0) { *tok = &a->phrases[i]; return RV_OK; }
    if (a->n_phrases == MAX_PHRASES)
        return rv_error_set(err, RV_ERR_TOO_LARGE, "more than %d distinct phrases", MAX_PHRASES);
    rv_word_pron w[16];
    size_t n;
    rv_err rc = rv_lexicon_pronounce(a->lex, phrase, 4, w, 16, &n, err);
    if (rc != RV_OK) return rc;
    phrase_entry *e = &a->phrases[a->n_phrases];
    snprintf(e->token, sizeof e->token, "p%zu", a->n_phrases);
    /* Variant 0: every word's first pronunciation; then one word at a time
     * takes its alternatives. */
    int v = 0;
    for (size_t wi = 0; wi <= n && v < MAX_VARIANTS; wi++) {
        size_t from = wi == 0 ? 0 : 1, to = wi == 0 ? 1 : w[wi - 1].n_prons;
        for (size_t j = from; j < to && v < MAX_VARIANTS; j++) {
            char pr[1200] = "", name[32];
            size_t o = 0;
            for (size_t k = 0; k < n; k++)
                o += (size_t)snprintf(pr + o, sizeof pr - o, "%s%s", k ? " " : "",
                                      wi > 0 && k == wi - 1 ? w[k].prons[j] : w[k].prons[0]);
            if (o >= sizeof pr) return rv_error_set(err, RV_ERR_TOO_LARGE, "phrase too long");
            if (v == 0) {
                snprintf(name, sizeof name, "%s", e->token);
                e->phones = 1;
                for (const char *c = pr; *c; c++) e->phones += *c == ' ';
            }
            else snprintf(name, sizeof name, "%s(%d)", e->token, v + 1);
            if (ps_add_word(a->ps, name, pr, 0) < 0)
                return rv_error_set(err, RV_ERR_INTERNAL, "cannot add '%s' to the dictionary", phrase);
            v++;
        }
    }
    e->text = strdup(phrase);
    if (!e->text) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    a->n_phrases++;
    *tok = e;
    return RV_OK;
}

rv_err rv_asr_best_of(rv_asr *a, const char *const *phrases, size_t n, size_t *best,
                      rv_phrase_score *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    out->llr = -1e9;
    *best = 0;
    if (n < 1 || n > 64) return rv_error_set(err, RV_ERR_ARG, "1 to 64 phrases at a time, not %zu", n);
    if (!a->have_loop) return RV_OK; /* no audio: nothing can be stated */
    const phrase_entry *pe[64];
    const char *toks[64];
    for (size_t i = 0; i < n; i++) {
        rv_err rc = token_for(a, phrases[i], &pe[i], err);
        if (rc != RV_OK) return rc;
        toks[i] = pe[i]->token;
    }
    rv_err rc = set_grammar(a, "forced", toks, n, err);
    if (rc != RV_OK) return rc;
    int32 score;
    int sf, ef;
    size_t which = 0;
    if (decode(a, "forced", toks, n, &score, &sf, &ef, &which) && ef >= sf && sf >= 0) {
        out->found = 1;
        out->phones = pe[which]->phones;
        out->total = (double)(score - a->loop_score);
        out->frames = ef - sf + 1;
        out->llr = out->total / out->frames;
        out->start_s = sf / 100.0;
        out->end_s = (ef + 1) / 100.0;
        *best = which;
    }
    ps_unset_search(a->ps, "forced");
    /* With alternatives the path score is lower than the same path through
     * the winner alone (measured: the more alternatives the lower), so the
     * winner is scored again alone, to be comparable with rv_asr_verify. */
    if (out->found && n > 1) {
        size_t one;
        return rv_asr_best_of(a, &phrases[which], 1, &one, out, err);
    }
    return RV_OK;
}

rv_err rv_asr_verify(rv_asr *a, const char *phrase, rv_phrase_score *out, rv_error *err)
{
    size_t best;
    return rv_asr_best_of(a, &phrase, 1, &best, out, err);
}
