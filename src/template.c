/* Mel cepstra and subsequence DTW for matching a recorded name inside a
 * greeting (template.h). */
#include "rostvakt/template.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rostvakt/dsp.h"

#define RATE 8000
#define N_MEL 24
#define LO_HZ 300.0
#define HI_HZ 3400.0
#define KEEP_DB 30.0

typedef struct {
    float *logmel; /* frames * N_MEL */
    double *energy_db;
    size_t n, cap;
    int oom;
} mel_acc;

static double mel(double hz) { return 2595.0 * log10(1.0 + hz / 700.0); }

static int on_frame(const rv_stft_frame *f, void *user)
{
    mel_acc *a = user;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 512;
        float *m = realloc(a->logmel, cap * N_MEL * sizeof *m);
        if (m) a->logmel = m;
        double *e = m ? realloc(a->energy_db, cap * sizeof *e) : NULL;
        if (e) a->energy_db = e;
        if (!m || !e) {
            a->oom = 1;
            return 1;
        }
        a->cap = cap;
    }
    /* triangular filters evenly spaced on the mel scale over the band */
    double lo = mel(LO_HZ), hi = mel(HI_HZ), total = 0;
    float *out = &a->logmel[a->n * N_MEL];
    for (int b = 0; b < N_MEL; b++) {
        double m0 = lo + (hi - lo) * b / (N_MEL + 1), m1 = lo + (hi - lo) * (b + 1) / (N_MEL + 1),
               m2 = lo + (hi - lo) * (b + 2) / (N_MEL + 1);
        double sum = 0;
        for (size_t k = 0; k < f->nbins; k++) {
            double m = mel((double)k * f->bin_hz);
            double w = m <= m0 || m >= m2 ? 0 : m < m1 ? (m - m0) / (m1 - m0) : (m2 - m) / (m2 - m1);
            sum += w * f->power[k];
        }
        total += sum;
        out[b] = (float)log(sum + 1e-10);
    }
    a->energy_db[a->n] = 10 * log10(2 * total / (f->norm > 0 ? f->norm : 1) + 1e-12); /* dBFS, in the band */
    a->n++;
    return 0;
}

rv_err rv_features_of(const rv_pcm *pcm, rv_features *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    rv_pcm at8 = {0};
    const rv_pcm *x = pcm;
    if (pcm->rate != RATE) {
        rv_err rc = rv_audio_resample(pcm, RATE, 0, &at8, err);
        if (rc != RV_OK) return rc;
        x = &at8;
    }
    rv_stft_opts o = rv_stft_speech_opts(RATE);
    o.voicing = 0;
    o.win = RATE / 40; /* 25 ms */
    o.nfft = 256;
    mel_acc a = {0};
    rv_err rc = rv_stft_run(x->samples, x->n, RATE, &o, on_frame, &a, err);
    if (x == &at8) rv_pcm_free(&at8);
    if (rc == RV_OK && a.oom) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    double peak = -DBL_MAX;
    for (size_t i = 0; rc == RV_OK && i < a.n; i++)
        if (a.energy_db[i] > peak) peak = a.energy_db[i];
    size_t first = a.n, last = 0;
    for (size_t i = 0; rc == RV_OK && i < a.n; i++)
        if (a.energy_db[i] >= peak - KEEP_DB) {
            if (first == a.n) first = i;
            last = i;
        }
    if (rc == RV_OK && (a.n == 0 || first == a.n || peak < -50)) /* quieter than this: nothing said */
        rc = rv_error_set(err, RV_ERR_ARG, "no sound to match");
    if (rc == RV_OK) {
        size_t n = last - first + 1;
        out->v = rv_test_fault("template_nomem") ? NULL : malloc(n * RV_TEMPLATE_DIM * sizeof *out->v);
        if (!out->v) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        else {
            /* cepstra 1..DIM of the log mel spectrum (DCT-II), then the
             * mean of each over the stretch taken off: the line's and the
             * voice's steady colour cancel */
            double mean[RV_TEMPLATE_DIM] = {0};
            for (size_t i = 0; i < n; i++)
                for (int c = 0; c < RV_TEMPLATE_DIM; c++) {
                    double s = 0;
                    for (int b = 0; b < N_MEL; b++)
                        s += a.logmel[(first + i) * N_MEL + b] * cos(M_PI * (c + 1) * (b + 0.5) / N_MEL);
                    out->v[i * RV_TEMPLATE_DIM + c] = (float)s;
                    mean[c] += s / (double)n;
                }
            for (size_t i = 0; i < n; i++)
                for (int c = 0; c < RV_TEMPLATE_DIM; c++) out->v[i * RV_TEMPLATE_DIM + c] -= (float)mean[c];
            out->n = n;
            out->first = first;
            /* the recording, for the decoder (postgram.h) */
            out->rec = *pcm;
            out->rec.samples = malloc((pcm->n ? pcm->n : 1) * sizeof *pcm->samples);
            if (!out->rec.samples) {
                rv_features_free(out);
                rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
            } else memcpy(out->rec.samples, pcm->samples, pcm->n * sizeof *pcm->samples);
        }
    }
    free(a.logmel);
    free(a.energy_db);
    return rc;
}

void rv_features_free(rv_features *f)
{
    if (!f) return;
    free(f->v);
    free(f->rec.samples);
    memset(f, 0, sizeof *f);
}

static double frame_dist(const float *a, const float *b)
{
    double s = 0;
    for (int c = 0; c < RV_TEMPLATE_DIM; c++) {
        double d = (double)a[c] - b[c];
        s += d * d;
    }
    return sqrt(s);
}

rv_err rv_sdtw(size_t T, size_t U, double (*cost)(void *ctx, size_t t, size_t u), void *ctx, double *dist,
               size_t *start, rv_error *err)
{
    *dist = DBL_MAX;
    *start = 0;
    if (!T || !U) return rv_error_set(err, RV_ERR_ARG, "nothing to match");
    if (T > 2 * U) return rv_error_set(err, RV_ERR_ARG, "the template is longer than twice the utterance");
    /* column by column over the utterance; D: accumulated cost, L: path
     * length, S: where the path entered the utterance. Steps (1,1), (1,0),
     * (0,1); the template is matched whole, the utterance from anywhere. */
    double *D = malloc(2 * T * sizeof *D);
    size_t *L = malloc(2 * T * sizeof *L), *S = malloc(2 * T * sizeof *S);
    if (!D || !L || !S) {
        free(D), free(L), free(S);
        return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    double *pd = D, *cd = D + T;
    size_t *pl = L, *cl = L + T, *ps = S, *cs = S + T;
    for (size_t u = 0; u < U; u++) {
        for (size_t t = 0; t < T; t++) {
            double c = cost(ctx, t, u);
            if (t == 0) { /* a path may start at any frame of the utterance */
                cd[0] = c, cl[0] = 1, cs[0] = u;
                continue;
            }
            double best = DBL_MAX;
            size_t bl = 0, bs = 0;
            /* (t-1, u-1), (t-1, u), (t, u-1): compared by mean cost */
            if (u > 0 && pd[t - 1] < DBL_MAX && (pd[t - 1] + c) / (double)(pl[t - 1] + 1) < best)
                best = (pd[t - 1] + c) / (double)(pl[t - 1] + 1), bl = pl[t - 1] + 1, bs = ps[t - 1];
            if (cd[t - 1] < DBL_MAX && (cd[t - 1] + c) / (double)(cl[t - 1] + 1) < best)
                best = (cd[t - 1] + c) / (double)(cl[t - 1] + 1), bl = cl[t - 1] + 1, bs = cs[t - 1];
            if (u > 0 && pd[t] < DBL_MAX && (pd[t] + c) / (double)(pl[t] + 1) < best)
                best = (pd[t] + c) / (double)(pl[t] + 1), bl = pl[t] + 1, bs = ps[t];
            if (best == DBL_MAX) cd[t] = DBL_MAX, cl[t] = 0, cs[t] = 0;
            else cd[t] = best * (double)bl, cl[t] = bl, cs[t] = bs;
        }
        if (cd[T - 1] < DBL_MAX && cd[T - 1] / (double)cl[T - 1] < *dist) {
            *dist = cd[T - 1] / (double)cl[T - 1];
            *start = cs[T - 1];
        }
        double *td = pd;
        pd = cd, cd = td;
        size_t *tl = pl;
        pl = cl, cl = tl;
        size_t *ts = ps;
        ps = cs, cs = ts;
    }
    free(D), free(L), free(S);
    return RV_OK;
}

typedef struct {
    const rv_features *a, *b;
} mel_pair;

static double mel_cost(void *ctx, size_t t, size_t u)
{
    const mel_pair *p = ctx;
    return frame_dist(&p->a->v[t * RV_TEMPLATE_DIM], &p->b->v[u * RV_TEMPLATE_DIM]);
}

rv_err rv_template_match(const rv_features *tmpl, const rv_features *utt, double *dist, double *at_s, rv_error *err)
{
    *at_s = -1;
    mel_pair p = {tmpl, utt};
    size_t start;
    rv_err rc = rv_sdtw(tmpl->n, utt->n, mel_cost, &p, dist, &start, err);
    if (rc == RV_OK && *dist < DBL_MAX) *at_s = (double)(utt->first + start) * 0.01;
    return rc;
}
