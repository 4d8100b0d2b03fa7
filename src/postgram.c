/* Posteriorgrams of the decoder's senone scores and subsequence DTW on
 * them (postgram.h). */
#include "rostvakt/postgram.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A senone score is a cost in PocketSphinx's units: log base 1.0001 (the
 * model's -logbase), shifted right by 10 bits; the frame's best is 0. */
#define SCORE_NATS (1024.0 * 0.000099995)
/* Each frame's posteriors keep this share spread evenly over every
 * senone, so that two frames sharing no senone are far, not infinitely. */
#define SMOOTH 0.01

void rv_postgram_free(rv_postgram *g)
{
    if (!g) return;
    free(g->id);
    free(g->p);
    free(g->at_s);
    memset(g, 0, sizeof *g);
}

rv_err rv_postgram_of(const rv_asr *asr, double from_s, double to_s, double offset_s, rv_postgram *out,
                      rv_error *err)
{
    memset(out, 0, sizeof *out);
    if (!rv_asr_own_scores(asr)) return rv_error_set(err, RV_ERR_ARG, "the decoder keeps no senone scores");
    int16_t *sc = NULL;
    size_t nfr = 0;
    int ns = 0;
    rv_err rc = rv_asr_loop_scores(asr, &sc, &nfr, &ns, err);
    if (rc != RV_OK) return rc;
    size_t keep = 0;
    for (size_t i = 0; i < nfr; i++) {
        double t = rv_asr_frame_time(asr, (int)i);
        keep += t >= from_s && (to_s < 0 || t < to_s);
    }
    if (!keep || ns < RV_POSTGRAM_TOPN) {
        free(sc);
        return rv_error_set(err, RV_ERR_ARG, "no frames to match");
    }
    out->id = malloc(keep * RV_POSTGRAM_TOPN * sizeof *out->id);
    out->p = malloc(keep * RV_POSTGRAM_TOPN * sizeof *out->p);
    out->at_s = malloc(keep * sizeof *out->at_s);
    if (!out->id || !out->p || !out->at_s || rv_test_fault("postgram_nomem")) {
        free(sc);
        rv_postgram_free(out);
        return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    out->n_sen = ns;
    size_t o = 0;
    for (size_t i = 0; i < nfr; i++) {
        double t = rv_asr_frame_time(asr, (int)i);
        if (!(t >= from_s && (to_s < 0 || t < to_s))) continue;
        const int16_t *s = &sc[i * (size_t)ns];
        /* the RV_POSTGRAM_TOPN least costs, by insertion (ties: the first) */
        int top[RV_POSTGRAM_TOPN], nt = 0;
        for (int j = 0; j < ns; j++) {
            if (nt == RV_POSTGRAM_TOPN && s[j] >= s[top[RV_POSTGRAM_TOPN - 1]]) continue;
            int at = nt < RV_POSTGRAM_TOPN ? nt++ : RV_POSTGRAM_TOPN - 1;
            while (at > 0 && s[top[at - 1]] > s[j]) {
                top[at] = top[at - 1];
                at--;
            }
            top[at] = j;
        }
        double z = 0, w[RV_POSTGRAM_TOPN];
        for (int j = 0; j < RV_POSTGRAM_TOPN; j++) {
            w[j] = exp(-RV_POSTGRAM_SCALE * SCORE_NATS * (double)(s[top[j]] - s[top[0]]));
            z += w[j];
        }
        for (int j = 0; j < RV_POSTGRAM_TOPN; j++) {
            out->id[o * RV_POSTGRAM_TOPN + (size_t)j] = (uint16_t)top[j];
            out->p[o * RV_POSTGRAM_TOPN + (size_t)j] = (float)(w[j] / z);
        }
        out->at_s[o] = t + offset_s;
        o++;
    }
    out->n = keep;
    free(sc);
    return RV_OK;
}

typedef struct {
    const rv_postgram *a, *b;
} pg_pair;

/* -log of the inner product of two frames' posteriors, each smoothed with
 * SMOOTH of a flat distribution over the model's senones */
static double pg_cost(void *ctx, size_t t, size_t u)
{
    const pg_pair *pp = ctx;
    const uint16_t *ia = &pp->a->id[t * RV_POSTGRAM_TOPN], *ib = &pp->b->id[u * RV_POSTGRAM_TOPN];
    const float *pa = &pp->a->p[t * RV_POSTGRAM_TOPN], *pb = &pp->b->p[u * RV_POSTGRAM_TOPN];
    double s = 0;
    for (int x = 0; x < RV_POSTGRAM_TOPN; x++)
        for (int y = 0; y < RV_POSTGRAM_TOPN; y++)
            if (ia[x] == ib[y]) s += (double)pa[x] * pb[y];
    return -log((1 - SMOOTH) * (1 - SMOOTH) * s + SMOOTH * (2 - SMOOTH) / (double)pp->a->n_sen);
}

rv_err rv_postgram_match(const rv_postgram *tmpl, const rv_postgram *utt, double *dist, double *at_s,
                         rv_error *err)
{
    *at_s = -1;
    *dist = DBL_MAX;
    if (tmpl->n && utt->n && tmpl->n_sen != utt->n_sen)
        return rv_error_set(err, RV_ERR_ARG, "posteriorgrams of different models");
    pg_pair p = {tmpl, utt};
    size_t start;
    rv_err rc = rv_sdtw(tmpl->n, utt->n, pg_cost, &p, dist, &start, err);
    if (rc == RV_OK && *dist < DBL_MAX) *at_s = utt->at_s[start];
    return rc;
}

rv_err rv_postgram_find(rv_asr *asr, const rv_features *name, double offset_s, double *dist, double *at_s,
                        rv_error *err)
{
    *dist = DBL_MAX;
    *at_s = -1;
    if (!name->rec.samples || !name->n) return rv_error_set(err, RV_ERR_ARG, "no recorded name to match");
    rv_postgram utt, tmpl;
    rv_err rc = rv_postgram_of(asr, 0, -1, offset_s, &utt, err);
    if (rc != RV_OK) return rc;
    rc = rv_asr_set_audio(asr, &name->rec, err);
    /* the stretch of the recording its features keep, half a frame either side */
    if (rc == RV_OK)
        rc = rv_postgram_of(asr, ((double)name->first - 0.5) * 0.01, ((double)(name->first + name->n) + 0.5) * 0.01,
                            0, &tmpl, err);
    if (rc == RV_OK) {
        rc = rv_postgram_match(&tmpl, &utt, dist, at_s, err);
        rv_postgram_free(&tmpl);
    }
    rv_postgram_free(&utt);
    return rc;
}
