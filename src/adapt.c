/* An installation's own channel adaptation: which greetings teach it, their
 * phrases aligned and cut, SphinxTrain run over them (bw, mllr_solve, and
 * with enough frames mllr_transform, bw again and map_adapt; the only file
 * that starts those programs), and the numbered adaptations in the data
 * directory with the link to the one in use. */
#include "rostvakt/adapt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <math.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rostvakt/config.h"
#include "rostvakt/fileio.h"

extern char **environ;

#define MODEL "/usr/share/pocketsphinx/model/en-us/en-us"
#define SPHINXTRAIN "/usr/lib/sphinxtrain"
#define MARGIN_S 0.2         /* kept either side of an aligned phrase */
#define MAX_UTTERANCES 100000
#define MAX_WORDS 20000      /* distinct words of the dictionary */
#define PAGE 64

/* ---- which greetings teach ---- */

typedef struct {
    long long id;
    signed char name, unit, org; /* 1 heard said, -1 heard not said, 0 not reviewed */
} review;

typedef struct {
    review *r;
    size_t n, cap;
    int oom;
} reviews;

static signed char label(const char *s) { return !s ? 0 : strcmp(s, "stated") == 0 ? 1 : -1; }

static void one_review(void *user, const rv_reviewed *v)
{
    reviews *x = user;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 64;
        review *r = realloc(x->r, cap * sizeof *r);
        if (!r) {
            x->oom = 1;
            return;
        }
        x->r = r, x->cap = cap;
    }
    x->r[x->n++] = (review){v->greeting_id, label(v->name), label(v->unit), label(v->org)};
}

static const review *review_of(const reviews *x, long long id)
{
    size_t lo = 0, hi = x->n; /* in greeting order */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (x->r[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < x->n && x->r[lo].id == id ? &x->r[lo] : NULL;
}

/* 1 when a check of the report was stated with a confident verdict. */
static int stated(const json_t *check)
{
    const char *v = json_string_value(json_object_get(check, "verdict"));
    return v && strcmp(v, "stated") == 0;
}

/* ---- what is written for SphinxTrain ---- */

typedef struct {
    const char *work;
    FILE *ctl, *lsn;
    char (*words)[RV_WORD_MAX];
    char (*prons)[RV_PRON_MAX];
    size_t n_words;
    rv_adapt_counts *c;
} sink;

static long word_id(sink *k, const rv_word_pron *w)
{
    for (size_t i = 0; i < k->n_words; i++)
        if (strcmp(k->words[i], w->word) == 0) return (long)i;
    if (k->n_words == MAX_WORDS) return -1;
    snprintf(k->words[k->n_words], RV_WORD_MAX, "%s", w->word);
    snprintf(k->prons[k->n_words], RV_PRON_MAX, "%s", w->prons[0]);
    return (long)k->n_words++;
}

static rv_err write_raw(const char *path, const int16_t *s, size_t n, rv_error *err)
{
    FILE *f = fopen(path, "wb");
    int ok = f != NULL;
    for (size_t i = 0; ok && i < n; i++) { /* little-endian, as sphinx_fe is told */
        unsigned char b[2] = {(unsigned char)((uint16_t)s[i] & 0xff), (unsigned char)((uint16_t)s[i] >> 8)};
        ok = fwrite(b, 1, 2, f) == 2;
    }
    if (f && fclose(f) != 0) ok = 0;
    return ok ? RV_OK : rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", path, strerror(errno));
}

/* Align text on the decoder's current audio and write the stretch it fits
 * (sig: the prepared signal) as one utterance. 0 when written, 1 when not
 * found or not pronounceable. */
static int add_phrase(sink *k, rv_asr *asr, rv_lexicon *lex, const char *text, const int16_t *sig, size_t n,
                      rv_err *rc, rv_error *err)
{
    int say = 0;
    if (!text || !*text) return 1;
    if ((*rc = rv_asr_sayable(asr, RV_VOCAB_DIRECTORY, text, &say, err)) != RV_OK || !say) return 1;
    rv_word_pron w[16];
    size_t nw = 0;
    if (rv_lexicon_pronounce_in(lex, RV_VOCAB_DIRECTORY, text, 1, w, 16, &nw, err) != RV_OK || !nw) return 1;
    size_t best;
    rv_phrase_score sc;
    if ((*rc = rv_asr_best_of_in(asr, RV_VOCAB_DIRECTORY, &text, 1, &best, &sc, err)) != RV_OK) return 1;
    if (!sc.found || sc.start_s < 0 || sc.end_s <= sc.start_s) return 1;
    double a = sc.start_s - MARGIN_S, b = sc.end_s + MARGIN_S;
    size_t from = a > 0 ? (size_t)(a * 16000) : 0, to = (size_t)(b * 16000);
    if (to > n) to = n;
    if (from >= to) return 1;
    if (k->c->utterances == MAX_UTTERANCES) return 1;
    char line[2048];
    size_t len = (size_t)snprintf(line, sizeof line, "<s>");
    for (size_t i = 0; i < nw; i++) {
        long id = w[i].n_prons && w[i].prons[0][0] ? word_id(k, &w[i]) : -1;
        if (id < 0) return 1;
        len += (size_t)snprintf(line + len, sizeof line - len, " w%05ld", id);
    }
    char name[32], path[4200];
    snprintf(name, sizeof name, "u%06ld", k->c->utterances + 1);
    snprintf(path, sizeof path, "%s/raw/%s.raw", k->work, name);
    if ((*rc = write_raw(path, sig + from, to - from, err)) != RV_OK) return 1;
    fprintf(k->ctl, "%s\n", name);
    fprintf(k->lsn, "%s </s> (%s)\n", line, name);
    k->c->utterances++;
    k->c->frames += (long)((to - from) / 160);
    return 0;
}

/* One current greeting: 1 when used. */
static int one_greeting(sink *k, rv_store *s, rv_asr *asr, rv_lexicon *lex, const rv_current_greeting *g,
                        const reviews *rv, long long max_bytes, int wideband, rv_err *rc, rv_error *err)
{
    if (!g->sha256[0]) return 0;
    rv_greeting_summary row;
    rv_error e2;
    if (rv_store_get_greeting(s, g->m.ext, g->id, &row, &e2) != RV_OK) {
        k->c->not_found++;
        return 0;
    }
    json_t *rep = row.report ? json_loads(row.report, 0, NULL) : NULL;
    rv_greeting_summary_free(&row);
    const json_t *name = json_object_get(rep, "name"), *unit = json_object_get(rep, "unit"),
                 *org = json_object_get(rep, "org");
    const review *r = review_of(rv, g->id);
    int used = 0;
    if (r && (r->name < 0 || r->unit < 0 || r->org < 0)) {
        k->c->refuted++;
        goto done;
    }
    int name_ok = r && r->name ? r->name > 0 : stated(name), unit_ok = r && r->unit ? r->unit > 0 : stated(unit);
    int org_ok = json_is_object(org) && (r && r->org ? r->org > 0 : stated(org));
    if (!name_ok || !unit_ok || !json_is_object(name) || !json_is_object(unit)) {
        k->c->unconfirmed++;
        goto done;
    }
    unsigned char *bytes = NULL;
    size_t len = 0;
    rv_pcm pcm = {0};
    rv_audio_limits lim = {max_bytes, 3600};
    if (rv_store_read_audio(s, g->sha256, (size_t)max_bytes, &bytes, &len, &e2) != RV_OK ||
        rv_audio_decode(bytes, len, rv_audio_hint_for_type(g->content_type), &lim, &pcm, &e2) != RV_OK) {
        free(bytes);
        k->c->not_found++;
        goto done;
    }
    free(bytes);
    if (rv_asr_telephone_band(&pcm) == wideband) { /* the other band's */
        rv_pcm_free(&pcm);
        if (wideband) k->c->telephone++;
        else k->c->wideband++;
        goto done;
    }
    int16_t *sig = NULL;
    size_t n = 0;
    if ((*rc = rv_asr_prepare(&pcm, &sig, &n, err)) != RV_OK || (*rc = rv_asr_set_audio(asr, &pcm, err)) != RV_OK) {
        free(sig);
        rv_pcm_free(&pcm);
        goto done;
    }
    rv_pcm_free(&pcm);
    const char *texts[3] = {json_string_value(json_object_get(name, "expected")),
                            json_string_value(json_object_get(unit, "expected")),
                            org_ok ? json_string_value(json_object_get(org, "expected")) : NULL};
    int found = 0;
    for (int i = 0; i < 3 && *rc == RV_OK; i++)
        if (texts[i]) found += add_phrase(k, asr, lex, texts[i], sig, n, rc, err) == 0;
    free(sig);
    if (found) used = 1, k->c->used++;
    else k->c->not_found++;
done:
    json_decref(rep);
    return used;
}

rv_err rv_adapt_collect(rv_store *s, rv_asr *asr, rv_lexicon *lex, const char *work, long long max_audio_bytes,
                        int wideband, rv_adapt_counts *c, rv_error *err)
{
    memset(c, 0, sizeof *c);
    reviews rv = {0};
    sink k = {.work = work, .c = c};
    rv_current_greeting *page = NULL;
    char path[4200];
    rv_err rc = rv_store_each_reviewed(s, one_review, &rv, err);
    if (rc == RV_OK && rv.oom) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    if (rc != RV_OK) goto done;
    page = malloc(PAGE * sizeof *page);
    k.words = malloc(MAX_WORDS * sizeof *k.words);
    k.prons = malloc(MAX_WORDS * sizeof *k.prons);
    if (!page || !k.words || !k.prons) {
        rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        goto done;
    }
    const char *names[2] = {"ctl", "lsn"};
    FILE **fs[2] = {&k.ctl, &k.lsn};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", work, names[i]);
        if (!(*fs[i] = fopen(path, "w"))) {
            rc = rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", path, strerror(errno));
            goto done;
        }
    }
    char after[sizeof page->m.ext] = "";
    for (;;) {
        size_t n = 0;
        if ((rc = rv_store_current_greetings(s, after, page, PAGE, &n, err)) != RV_OK) goto done;
        for (size_t i = 0; i < n && rc == RV_OK; i++) {
            c->greetings++;
            one_greeting(&k, s, asr, lex, &page[i], &rv, max_audio_bytes, wideband != 0, &rc, err);
        }
        if (rc != RV_OK || n < PAGE) break;
        snprintf(after, sizeof after, "%s", page[n - 1].m.ext);
    }
    if (rc != RV_OK) goto done;
    snprintf(path, sizeof path, "%s/dict", work);
    FILE *d = fopen(path, "w");
    for (size_t i = 0; d && i < k.n_words; i++) fprintf(d, "w%05zu %s\n", i, k.prons[i]);
    if (!d || fclose(d) != 0) rc = rv_error_set(err, RV_ERR_IO, "cannot write %s", path);
done:
    for (int i = 0; i < 2; i++) {
        FILE **f = i ? &k.lsn : &k.ctl;
        if (*f && fclose(*f) != 0 && rc == RV_OK) rc = rv_error_set(err, RV_ERR_IO, "cannot write in %s", work);
    }
    free(rv.r);
    free(page);
    free(k.words);
    free(k.prons);
    return rc;
}

/* ---- SphinxTrain ---- */

/* Run argv (argv[0] a path, or a name looked up in PATH) with its output
 * appended to log. */
static rv_err run(char *const *argv, const char *log, rv_error *err)
{
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addclose(&fa, 0);
    pid_t pid;
    int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e != 0)
        return rv_error_set(err, RV_ERR_CONFIG, "cannot run %s: %s (Debian's sphinxtrain, sphinxbase-utils and "
                            "pocketsphinx packages provide it)", argv[0], strerror(e));
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return rv_error_set(err, RV_ERR_INTERNAL, "waiting for %s: %s", argv[0], strerror(errno));
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        return rv_error_set(err, RV_ERR_CONFIG, "cannot run %s (see %s)", argv[0], log);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return rv_error_set(err, RV_ERR_INTERNAL, "%s failed (see %s)", argv[0], log);
    return RV_OK;
}

rv_err rv_adapt_mixture_weights(const char *sendump, int n_sen_arg, const char *out_path, rv_error *err)
{
    FILE *f = fopen(sendump, "rb"), *out = NULL;
    uint8_t *q = NULL;
    float *w = NULL;
    rv_err rc = RV_OK;
    if (!f) return rv_error_set(err, RV_ERR_CONFIG, "cannot read %s: %s", sendump, strerror(errno));
    int32_t n, n_feat = 0, n_cw = 0, n_sen = n_sen_arg, n_clust = 0, bits = 8;
    char line[1000];
    /* title, header, then "key value" strings until a zero length */
    for (int k = 0;; k++) {
        if (fread(&n, 4, 1, f) != 1 || n < 0 || n >= (int32_t)sizeof line ||
            (!(n == 0 && k >= 2) && fread(line, 1, (size_t)n, f) != (size_t)n)) {
            rc = rv_error_set(err, RV_ERR_CONFIG, "%s: a bad header", sendump);
            goto done;
        }
        if (n == 0 && k >= 2) break;
        line[n] = '\0';
        if (!strncmp(line, "feature_count ", 14)) n_feat = atoi(line + 14);
        if (!strncmp(line, "mixture_count ", 14)) n_cw = atoi(line + 14);
        if (!strncmp(line, "model_count ", 12)) n_sen = atoi(line + 12);
        if (!strncmp(line, "cluster_count ", 14)) n_clust = atoi(line + 14);
        if (!strncmp(line, "cluster_bits ", 13)) bits = atoi(line + 13);
    }
    int32_t rows = n_cw, cols = n_sen;
    if (n_clust == 0 && (fread(&rows, 4, 1, f) != 1 || fread(&cols, 4, 1, f) != 1)) {
        rc = rv_error_set(err, RV_ERR_CONFIG, "%s: no dimensions", sendump);
        goto done;
    }
    if (n_feat <= 0) n_feat = 3;
    if (n_cw <= 0) n_cw = rows;
    if (n_clust != 0 || bits != 8 || cols != n_sen || rows != n_cw || n_sen <= 0 || n_cw <= 0 || n_feat > 8 ||
        n_cw > 4096 || n_sen > 1000000) {
        rc = rv_error_set(err, RV_ERR_CONFIG, "%s: unsupported (%d clusters, %d bits, %dx%d)", sendump, n_clust, bits,
                          rows, cols);
        goto done;
    }
    size_t total = (size_t)n_feat * (size_t)n_cw * (size_t)n_sen;
    q = malloc(total);
    w = malloc(total * sizeof *w);
    if (!q || !w) {
        rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (fread(q, 1, total, f) != total) {
        rc = rv_error_set(err, RV_ERR_CONFIG, "%s: short data", sendump);
        goto done;
    }
    /* q stands for the weight 1.0001^-(q << 10) (8-bit log table, shift 10);
     * the layout is [feature][codeword][senone], bw's [senone][feature][codeword] */
    for (int32_t s = 0; s < n_sen; s++)
        for (int32_t ft = 0; ft < n_feat; ft++) {
            double sum = 0;
            float *o = &w[((size_t)s * n_feat + ft) * n_cw];
            for (int32_t c = 0; c < n_cw; c++) {
                o[c] = (float)pow(1.0001, -(double)q[((size_t)ft * n_cw + c) * n_sen + s] * 1024.0);
                sum += o[c];
            }
            for (int32_t c = 0; c < n_cw; c++) o[c] = sum > 0 ? (float)(o[c] / sum) : 1.0f / n_cw;
        }
    out = fopen(out_path, "wb");
    uint32_t magic = 0x11223344;
    int32_t hdr[4] = {n_sen, n_feat, n_cw, (int32_t)total};
    int ok = out && fprintf(out, "s3\nversion 1.0\nendhdr\n") > 0 && fwrite(&magic, 4, 1, out) == 1 &&
             fwrite(hdr, 4, 4, out) == 4 && fwrite(w, sizeof *w, total, out) == total;
    if (out && fclose(out) != 0) ok = 0;
    if (!ok) rc = rv_error_set(err, RV_ERR_IO, "cannot write %s", out_path);
done:
    fclose(f);
    free(q);
    free(w);
    return rc;
}

/* Copy the file from to to (replaced whole, never seen half-written). */
static rv_err copy_file(const char *from, const char *to, rv_error *err)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    rv_out o;
    rv_err rc = rv_file_read(from, 64 << 20, &bytes, &len, err);
    if (rc == RV_OK && (rc = rv_out_open(&o, to, 0644, err)) == RV_OK) {
        if (fwrite(bytes, 1, len, o.f) != len) {
            rv_out_abort(&o);
            rc = rv_error_set(err, RV_ERR_IO, "cannot write %s", to);
        } else rc = rv_out_commit(&o, err);
    }
    free(bytes);
    return rc;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The MLLR file at path has only finite numbers, and some. */
static int finite_matrix(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char tok[64];
    long n = 0;
    int ok = 1;
    while (ok && fscanf(f, "%63s", tok) == 1) {
        char *end;
        double v = strtod(tok, &end);
        ok = *end == '\0' && isfinite(v);
        n++;
    }
    fclose(f);
    return ok && n > 3;
}

rv_err rv_adapt_estimate(const char *work, const char *base_mllr, const char *out, rv_error *err)
{
    char p[8][4200];
#define P(i, ...) (snprintf(p[i], sizeof p[i], __VA_ARGS__), p[i])
    char *fe[] = {"sphinx_fe", "-argfile", MODEL "/feat.params", "-samprate", "16000", "-c", P(0, "%s/ctl", work),
                  "-di", P(1, "%s/raw", work), "-do", P(2, "%s/mfc", work), "-ei", "raw", "-eo", "mfc", "-raw", "yes",
                  "-input_endian", "little", NULL};
    if (mkdir(p[2], 0700) != 0 && errno != EEXIST)
        return rv_error_set(err, RV_ERR_IO, "cannot make %s: %s", p[2], strerror(errno));
    mkdir(P(3, "%s/acc", work), 0700);
    rv_err rc = run(fe, P(4, "%s/fe.log", work), err);
    if (rc != RV_OK) return rc;
    char *conv[] = {"pocketsphinx_mdef_convert", "-text", MODEL "/mdef", P(5, "%s/mdef.txt", work), NULL};
    if ((rc = run(conv, P(4, "%s/mdef.log", work), err)) != RV_OK) return rc;
    FILE *f = fopen(p[5], "r");
    int n_sen = 0;
    char line[256], key[64];
    while (f && !n_sen && fgets(line, sizeof line, f)) {
        int v;
        if (sscanf(line, "%d %63s", &v, key) == 2 && strcmp(key, "n_tied_state") == 0) n_sen = v;
    }
    if (f) fclose(f);
    if (n_sen <= 0) return rv_error_set(err, RV_ERR_CONFIG, "%s names no tied states", p[5]);
    if ((rc = rv_adapt_mixture_weights(MODEL "/sendump", n_sen, P(6, "%s/mixture_weights", work), err)) != RV_OK)
        return rc;
    char dict[4200], lsn[4200], ctl[4200];
    snprintf(dict, sizeof dict, "%s/dict", work);
    snprintf(lsn, sizeof lsn, "%s/lsn", work);
    snprintf(ctl, sizeof ctl, "%s/ctl", work);
    char *bw[40] = {SPHINXTRAIN "/bw", "-hmmdir", MODEL, "-moddeffn", p[5], "-mixwfn", p[6], "-ts2cbfn", ".ptm.",
                    "-feat", "1s_c_d_dd", "-svspec", "0-12/13-25/26-38", "-cmn", "batch", "-agc", "none",
                    "-dictfn", dict, "-fdictfn", MODEL "/noisedict", "-ctlfn", ctl, "-lsnfn", lsn, "-cepdir", p[2],
                    "-accumdir", p[3], "-timing", "no"};
    size_t nb = 31;
    if (base_mllr) bw[nb++] = "-mllrmat", bw[nb++] = (char *)base_mllr;
    bw[nb] = NULL;
    if ((rc = run(bw, P(4, "%s/bw.log", work), err)) != RV_OK) return rc;
    char *solve[] = {SPHINXTRAIN "/mllr_solve", "-meanfn", MODEL "/means", "-varfn", MODEL "/variances",
                     "-outmllrfn", P(7, "%s/mllr", work), "-accumdir", p[3], NULL};
    if ((rc = run(solve, P(4, "%s/mllr.log", work), err)) != RV_OK) return rc;
#undef P
    if (!finite_matrix(p[7]))
        return rv_error_set(err, RV_ERR_INTERNAL, "mllr_solve gave no usable matrix (too few frames?): %s", p[7]);
    return copy_file(p[7], out, err);
}

/* The files of Debian's model a MAP model shares with it unchanged. */
static const char *const model_files[] = {"mdef", "feat.params", "noisedict", "sendump", "transition_matrices"};
#define N_MODEL_FILES (sizeof model_files / sizeof *model_files)

rv_err rv_adapt_estimate_map(const char *work, const char *mllr, const char *out_dir, rv_error *err)
{
    char p[10][4200];
#define P(i, ...) (snprintf(p[i], sizeof p[i], __VA_ARGS__), p[i])
    rv_err rc = RV_OK;
    /* Debian's model with its means moved by the MLLR: bw aligns on it, and
     * its means are MAP's prior */
    P(0, "%.4000s/mllr-model", work);
    if (mkdir(p[0], 0700) != 0 && errno != EEXIST)
        return rv_error_set(err, RV_ERR_IO, "cannot make %s: %s", p[0], strerror(errno));
    static const char *const linked[] = {"variances", "transition_matrices", "mdef", "feat.params", "noisedict"};
    for (size_t i = 0; i < sizeof linked / sizeof *linked; i++) {
        snprintf(p[1], sizeof p[1], "%s/%.40s", MODEL, linked[i]);
        snprintf(p[2], sizeof p[2], "%.4000s/%.40s", p[0], linked[i]);
        unlink(p[2]);
        if (symlink(p[1], p[2]) != 0) return rv_error_set(err, RV_ERR_IO, "cannot link %s: %s", p[2], strerror(errno));
    }
    char *transform[] = {SPHINXTRAIN "/mllr_transform", "-inmeanfn", MODEL "/means", "-outmeanfn",
                         P(3, "%.4000s/means", p[0]), "-mllrmat", (char *)mllr, NULL};
    if ((rc = run(transform, P(4, "%.4000s/transform.log", work), err)) != RV_OK) return rc;
    P(5, "%.4000s/acc-map", work);
    if (mkdir(p[5], 0700) != 0 && errno != EEXIST)
        return rv_error_set(err, RV_ERR_IO, "cannot make %s: %s", p[5], strerror(errno));
    char dict[4200], lsn[4200], ctl[4200], mdef[4200], mixw[4200], mfc[4200];
    snprintf(dict, sizeof dict, "%.4000s/dict", work);
    snprintf(lsn, sizeof lsn, "%.4000s/lsn", work);
    snprintf(ctl, sizeof ctl, "%.4000s/ctl", work);
    snprintf(mdef, sizeof mdef, "%.4000s/mdef.txt", work); /* rv_adapt_estimate's */
    snprintf(mixw, sizeof mixw, "%.4000s/mixture_weights", work);
    snprintf(mfc, sizeof mfc, "%.4000s/mfc", work);
    char *bw[] = {SPHINXTRAIN "/bw", "-hmmdir", p[0], "-moddeffn", mdef, "-mixwfn", mixw, "-ts2cbfn", ".ptm.",
                  "-feat", "1s_c_d_dd", "-svspec", "0-12/13-25/26-38", "-cmn", "batch", "-agc", "none",
                  "-dictfn", dict, "-fdictfn", MODEL "/noisedict", "-ctlfn", ctl, "-lsnfn", lsn, "-cepdir", mfc,
                  "-accumdir", p[5], "-timing", "no", NULL};
    if ((rc = run(bw, P(4, "%.4000s/bw-map.log", work), err)) != RV_OK) return rc;
    P(6, "%.4000s.tmp", out_dir);
    rv_adapt_remove_work(p[6]);
    if (mkdir(p[6], 0755) != 0) return rv_error_set(err, RV_ERR_IO, "cannot make %s: %s", p[6], strerror(errno));
    char *map[] = {SPHINXTRAIN "/map_adapt", "-moddeffn", mdef, "-ts2cbfn", ".ptm.", "-meanfn", p[3],
                   "-varfn", MODEL "/variances", "-mixwfn", mixw, "-tmatfn", MODEL "/transition_matrices",
                   "-accumdir", p[5], "-mapmeanfn", P(7, "%.4000s/means", p[6]), "-mapvarfn", P(8, "%.4000s/variances", p[6]),
                   NULL};
    if ((rc = run(map, P(4, "%.4000s/map.log", work), err)) != RV_OK) return rc;
    /* the same shapes as the model's, or the decoder would refuse them */
    if (file_size(p[7]) != file_size(MODEL "/means") || file_size(p[8]) != file_size(MODEL "/variances"))
        return rv_error_set(err, RV_ERR_INTERNAL, "map_adapt gave means or variances of another shape (see %s)", p[4]);
    for (size_t i = 0; i < N_MODEL_FILES; i++) {
        snprintf(p[1], sizeof p[1], "%s/%.40s", MODEL, model_files[i]);
        snprintf(p[2], sizeof p[2], "%.4000s/%.40s", p[6], model_files[i]);
        if ((rc = copy_file(p[1], p[2], err)) != RV_OK) return rc;
    }
#undef P
    if (rv_sync_folder(p[6]) != 0) return rv_error_set(err, RV_ERR_IO, "cannot sync %s: %s", p[6], strerror(errno));
    rv_adapt_remove_work(out_dir);
    if (rename(p[6], out_dir) != 0)
        return rv_error_set(err, RV_ERR_IO, "cannot rename %s: %s", p[6], strerror(errno));
    return RV_OK;
}

/* ---- the data directory's adaptations ---- */

int rv_adapt_current(const char *data_dir)
{
    char path[4200], target[256];
    snprintf(path, sizeof path, "%s/" RV_ADAPTATION_FILE, data_dir);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n <= 0) return 0;
    target[n] = '\0';
    int k = 0;
    char tail[8] = "";
    return sscanf(target, "adapt-%d.mll%1s", &k, tail) == 2 && k > 0 ? k : 0;
}

/* Point the current link at adaptation number (0: remove it), in one rename. */
static rv_err link_current(const char *data_dir, int number, rv_error *err)
{
    char path[4200], tmp[4300], target[64];
    snprintf(path, sizeof path, "%s/" RV_ADAPTATION_FILE, data_dir);
    if (number == 0) {
        if (unlink(path) != 0 && errno != ENOENT)
            return rv_error_set(err, RV_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
    } else {
        snprintf(tmp, sizeof tmp, "%s.new", path);
        snprintf(target, sizeof target, "adapt-%d.mllr", number);
        unlink(tmp);
        if (symlink(target, tmp) != 0 || rename(tmp, path) != 0) {
            rv_error_set(err, RV_ERR_IO, "cannot link %s: %s", path, strerror(errno));
            unlink(tmp);
            return err->code;
        }
    }
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/models", data_dir);
    if (rv_sync_folder(dir) != 0) /* in place, but not yet durable */
        return rv_error_set(err, RV_ERR_IO, "cannot sync %s: %s", dir, strerror(errno));
    return RV_OK;
}

/* Copy the model directory from (rv_adapt_estimate_map's) to to, whole
 * or not at all. */
static rv_err copy_model(const char *from, const char *to, rv_error *err)
{
    char tmp[4300], a[4400], b[4400];
    snprintf(tmp, sizeof tmp, "%.4200s.tmp", to);
    rv_adapt_remove_work(tmp);
    if (mkdir(tmp, 0755) != 0) return rv_error_set(err, RV_ERR_IO, "cannot make %s: %s", tmp, strerror(errno));
    rv_err rc = RV_OK;
    static const char *const files[] = {"means", "variances"};
    for (size_t i = 0; rc == RV_OK && i < 2 + N_MODEL_FILES; i++) {
        const char *f = i < 2 ? files[i] : model_files[i - 2];
        snprintf(a, sizeof a, "%.4200s/%.40s", from, f);
        snprintf(b, sizeof b, "%.4300s/%.40s", tmp, f);
        rc = copy_file(a, b, err);
    }
    if (rc == RV_OK && rv_sync_folder(tmp) != 0)
        rc = rv_error_set(err, RV_ERR_IO, "cannot sync %s: %s", tmp, strerror(errno));
    if (rc == RV_OK && rename(tmp, to) != 0) rc = rv_error_set(err, RV_ERR_IO, "cannot rename %s: %s", tmp, strerror(errno));
    if (rc != RV_OK) rv_adapt_remove_work(tmp);
    return rc;
}

rv_err rv_adapt_install(const char *data_dir, const char *path, const char *map_dir, const rv_adapt_counts *c,
                        const char *now_iso, int *number, rv_error *err)
{
    *number = 0;
    char dir[4200], dst[4300], man[4300];
    snprintf(dir, sizeof dir, "%s/models", data_dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return rv_error_set(err, RV_ERR_IO, "cannot make %s: %s", dir, strerror(errno));
    int next = 1;
    DIR *d = opendir(dir);
    if (!d) return rv_error_set(err, RV_ERR_IO, "cannot read %s: %s", dir, strerror(errno));
    for (struct dirent *e; (e = readdir(d));) {
        int k;
        if (sscanf(e->d_name, "adapt-%d.", &k) == 1 && k >= next) next = k + 1;
    }
    closedir(d);
    snprintf(dst, sizeof dst, "%s/adapt-%d.mllr", dir, next);
    snprintf(man, sizeof man, "%s/adapt-%d.txt", dir, next);
    char map[4300];
    snprintf(map, sizeof map, "%s/adapt-%d.map", dir, next);
    rv_out o;
    /* the MAP model first: the matrix's name is what makes the number taken */
    rv_err rc = map_dir ? copy_model(map_dir, map, err) : RV_OK;
    if (rc == RV_OK) rc = copy_file(path, dst, err);
    if (rc == RV_OK && (rc = rv_out_open(&o, man, 0644, err)) == RV_OK) {
        fprintf(o.f,
                "# rostvakt adapt: the telephone line's MLLR learned from this installation's greetings%s\n"
                "adaptation %d\nmade %s\nprevious %d\ngreetings %ld\nutterances %ld\nframes %ld\nmap %s\n",
                map_dir ? ", and the MAP model after it (adapt-N.map)" : "", next, now_iso, rv_adapt_current(data_dir),
                c->used, c->utterances, c->frames, map_dir ? "yes" : "no");
        rc = rv_out_commit(&o, err);
    }
    if (rc == RV_OK) rc = link_current(data_dir, next, err);
    if (rc == RV_OK) *number = next;
    return rc;
}

rv_err rv_adapt_rollback(const char *data_dir, int *number, rv_error *err)
{
    *number = 0;
    int cur = rv_adapt_current(data_dir);
    if (!cur) return rv_error_set(err, RV_ERR_NOT_FOUND, "no adaptation of this installation is in use");
    char man[4300], line[256];
    snprintf(man, sizeof man, "%s/models/adapt-%d.txt", data_dir, cur);
    FILE *f = fopen(man, "r");
    int prev = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "previous %d", &prev) == 1) break;
    if (f) fclose(f);
    if (prev < 0) return rv_error_set(err, RV_ERR_CONFIG, "%s does not say what was in use before", man);
    if (prev) {
        char m[4300];
        snprintf(m, sizeof m, "%s/models/adapt-%d.mllr", data_dir, prev);
        if (access(m, R_OK) != 0) return rv_error_set(err, RV_ERR_CONFIG, "the previous adaptation %s is gone", m);
    }
    rv_err rc = link_current(data_dir, prev, err);
    if (rc == RV_OK) *number = prev;
    return rc;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

void rv_adapt_remove_work(const char *work)
{
    nftw(work, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
