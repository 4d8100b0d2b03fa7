/* An installation's thresholds from its reviewed greetings: each review
 * joined with the report of the greeting it heard, scores compared with the
 * base configuration's thresholds, a band of three-way verdicts chosen per
 * class of phrase. */
#include "rostvakt/calibrate.h"

#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rostvakt/verify.h"

typedef struct {
    double *m; /* margins: score less the base threshold */
    double *w; /* how many greetings each review stands for (rv_review.weight) */
    int *said;
    size_t n, cap;
} samples;

typedef struct {
    rv_verify_thresholds th;
    samples s[RV_CAL__COUNT];
    int oom;
} collect_ctx;

const char *rv_cal_class_name(rv_cal_class c)
{
    static const char *const names[RV_CAL__COUNT] = {"name", "unit", "closing"};
    return (unsigned)c < RV_CAL__COUNT ? names[c] : "";
}

static void add(collect_ctx *x, rv_cal_class c, double margin, const char *label, int weight)
{
    if (!label) return;
    samples *s = &x->s[c];
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        double *m = realloc(s->m, cap * sizeof *m);
        if (m) s->m = m;
        double *w = m ? realloc(s->w, cap * sizeof *w) : NULL;
        if (w) s->w = w;
        int *y = w ? realloc(s->said, cap * sizeof *y) : NULL;
        if (y) s->said = y;
        if (!m || !w || !y) {
            x->oom = 1;
            return;
        }
        s->cap = cap;
    }
    s->m[s->n] = margin;
    s->w[s->n] = weight > 1 ? weight : 1;
    s->said[s->n] = strcmp(label, "stated") == 0;
    s->n++;
}

/* The score of a report's check, or -1e9 when it was found nowhere. */
static double score_of(const json_t *check)
{
    const json_t *v = json_object_get(check, "score");
    return json_is_number(v) ? json_number_value(v) : -1e9;
}

/* 1 when a check's verdict did not come from its score: never sought (the
 * lexicon cannot say it: always unsure), or a name the owner's own
 * recording confirmed. Such reviews say nothing about the thresholds. */
static int decided_otherwise(const json_t *check, const rv_verify_thresholds *th)
{
    if (json_is_true(json_object_get(check, "unpronounceable"))) return 1;
    const json_t *t = json_object_get(check, "template");
    const json_t *d = json_object_get(t, "distance");
    if (!json_is_number(d)) return 0;
    const char *features = json_string_value(json_object_get(t, "features"));
    double max = features && strcmp(features, "posteriorgram") == 0 ? th->template_max_posterior_distance
                                                                      : th->template_max_distance;
    return json_number_value(d) <= max;
}

static void one_review(void *user, const rv_reviewed *r)
{
    collect_ctx *x = user;
    json_t *rep = json_loads(r->report, 0, NULL);
    if (!rep) return;
    const char *codec = json_string_value(json_object_get(json_object_get(rep, "audio"), "codec"));
    rv_codec cd = codec && strcmp(codec, "g711") == 0 ? RV_CODEC_G711
                  : codec && strcmp(codec, "gsm") == 0 ? RV_CODEC_GSM
                                                       : RV_CODEC_OTHER;
    rv_verify_thresholds th = rv_verify_thresholds_for(&x->th, cd);
    json_t *name = json_object_get(rep, "name");
    if (json_is_object(name) && !decided_otherwise(name, &th)) {
        double t = json_object_get(name, "cohort") ? th.name_cohort_min_score : th.name_min_score;
        add(x, RV_CAL_NAME, score_of(name) - t, r->name, r->weight);
    }
    const char *keys[] = {"unit", "org"}, *labels[] = {r->unit, r->org};
    for (int k = 0; k < 2; k++) {
        json_t *c = json_object_get(rep, keys[k]);
        const char *text = json_string_value(json_object_get(c, "expected"));
        if (json_is_object(c) && text && !decided_otherwise(c, &th))
            add(x, RV_CAL_UNIT, score_of(c) - rv_phrase_threshold(&th, text), labels[k], r->weight);
    }
    json_t *closing = json_object_get(rep, "closing_prompt");
    if (json_is_object(closing) && !decided_otherwise(closing, &th))
        add(x, RV_CAL_CLOSING, score_of(closing) - th.closing_min_score, r->closing, r->weight);
    json_decref(rep);
}

/* The Wilson interval of k of n at z (z = 0: k / n at both ends). */
static void wilson_at(double k, double n, double z, double *p, double *lo, double *hi)
{
    if (n <= 0) {
        *p = *lo = *hi = 0;
        return;
    }
    double ph = k / n, d = 1 + z * z / n, c = (ph + z * z / (2 * n)) / d;
    double h = z * sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / d;
    *p = ph;
    *lo = c - h < 0 ? 0 : c - h;
    *hi = c + h > 1 ? 1 : c + h;
}

typedef struct {
    double m, w;
    int said;
} scored;

static int by_margin(const void *x, const void *y)
{
    const scored *a = x, *b = y;
    return (a->m > b->m) - (a->m < b->m);
}

/* The three-way verdicts of the band (lo, hi) of margins, counted by
 * weight (NULL: 1 each): all, confident, confident squared, right. */
typedef struct {
    double all, conf, conf2, right;
} tally;

static tally tally_of(const double *margin, const int *said, const double *weight, size_t n, double lo, double hi)
{
    tally t = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        double m = margin[i] > -1e8 && margin[i] < 1e300 ? margin[i] : -1e9, w = weight ? weight[i] : 1;
        t.all += w;
        if (m > -1e8 && m > lo && m < hi) continue;
        t.conf += w, t.conf2 += w * w;
        if ((m > -1e8 && m >= hi) == (said[i] != 0)) t.right += w;
    }
    return t;
}

/* The Wilson interval at z of a weight of k right of conf confident
 * verdicts (squared weights conf2), on Kish's effective count, (sum w)^2 /
 * sum w^2, which is conf itself unweighted. conf > 0. */
static void share_at(double k, double conf, double conf2, double z, double *lo, double *hi)
{
    double p, eff = conf * conf / conf2;
    wilson_at(k / conf * eff, eff, z, &p, lo, hi);
}

/* The share k of n by weight (squared weights n2) with its interval. */
static void weighted_share(double k, double n, double n2, double *p, double *lo, double *hi)
{
    *p = *lo = *hi = 0;
    if (!(n > 0)) return;
    *p = k / n;
    share_at(k, n, n2, RV_CAL_Z, lo, hi);
}

/* Rates of s at cut c into slot i of r, each review counted by what it
 * stands for, as the band is chosen. */
static void rates_at(const samples *s, double c, rv_cal_result *r, int i)
{
    double k[2] = {0, 0}, n[2] = {0, 0}, n2[2] = {0, 0}; /* [1]: heard said */
    for (size_t j = 0; j < s->n; j++) {
        int said = s->said[j] != 0;
        n[said] += s->w[j], n2[said] += s->w[j] * s->w[j];
        if (s->m[j] >= c) k[said] += s->w[j];
    }
    weighted_share(k[1], n[1], n2[1], &r->tpr[i], &r->tpr_lo[i], &r->tpr_hi[i]);
    weighted_share(k[0], n[0], n2[0], &r->fpr[i], &r->fpr_lo[i], &r->fpr_hi[i]);
}

/* Whether a weight of k right of conf confident verdicts (squared weights
 * conf2) among a weight of n pass the rule, at the lower end of the share. */
static int rule_holds(double k, double conf, double conf2, double n, double min_right, double z)
{
    if (!(conf > 0) || conf * 10 < n) return 0;
    double lo, hi;
    share_at(k, conf, conf2, z, &lo, &hi);
    return lo >= min_right;
}

/* Whether t's confident verdicts are right less than min_right at the
 * upper end of the share; none confident shows nothing. */
static int tally_wrong(const tally *t, double min_right, double z)
{
    if (!(t->conf > 0)) return 0;
    double lo, hi;
    share_at(t->right, t->conf, t->conf2, z, &lo, &hi);
    return hi < min_right;
}

int rv_cal_choose_band_weighted(const double *margin, const int *said, const double *weight, size_t n,
                                double min_right, double z, double *lo, double *hi)
{
    if (n == 0) return 0;
    scored *t = malloc(n * sizeof *t);
    double *neg_below = calloc(n + 1, sizeof *neg_below), *pos_from = calloc(n + 1, sizeof *pos_from);
    double *w_below = calloc(n + 1, sizeof *w_below), *w2_below = calloc(n + 1, sizeof *w2_below);
    if (!t || !neg_below || !pos_from || !w_below || !w2_below) {
        free(t), free(neg_below), free(pos_from), free(w_below), free(w2_below);
        return -1;
    }
    for (size_t i = 0; i < n; i++) /* found nowhere, or no number at all: -1e9 */
        t[i] = (scored){margin[i] > -1e8 && margin[i] < 1e300 ? margin[i] : -1e9, weight ? weight[i] : 1,
                        said[i] != 0};
    qsort(t, n, sizeof *t, by_margin);
    /* neg_below[i]: not said among the i lowest; pos_from[j]: said from j
     * up; w_below, w2_below: the weights and squared weights below i */
    for (size_t i = 0; i < n; i++) {
        neg_below[i + 1] = neg_below[i] + (!t[i].said ? t[i].w : 0);
        w_below[i + 1] = w_below[i] + t[i].w;
        w2_below[i + 1] = w2_below[i] + t[i].w * t[i].w;
    }
    for (size_t j = n; j-- > 0;) pos_from[j] = pos_from[j + 1] + (t[j].said ? t[j].w : 0);
    double total = w_below[n], total2 = w2_below[n];
    size_t k = 0; /* found nowhere: always confidently not said, below every edge */
    while (k < n && !(t[k].m > -1e8)) k++;
    double best_u = 0, best_right = 0, best_lo = 0, best_hi = 0;
    int found = 0;
    /* the lower edge between t[i - 1] and t[i], the upper between t[j - 1]
     * and t[j]: both inside the scores, never between equal ones */
    for (size_t i = k + 1; i < n; i++) {
        if (t[i - 1].m == t[i].m) continue;
        for (size_t j = i; j < n; j++) {
            if (j > i && t[j - 1].m == t[j].m) continue;
            double u = w_below[j] - w_below[i], conf = total - u;
            double conf2 = total2 - (w2_below[j] - w2_below[i]), right = neg_below[i] + pos_from[j];
            if (!rule_holds(right, conf, conf2, total, min_right, z)) continue;
            double l = (t[i - 1].m + t[i].m) / 2, h = (t[j - 1].m + t[j].m) / 2;
            /* equally good bands: the one that moves the threshold least
             * (its middle nearest the shipped threshold, margin 0), then the
             * lower */
            if (!found || u < best_u ||
                (u == best_u &&
                 (right > best_right ||
                  (right == best_right && (h - l < best_hi - best_lo ||
                                           (h - l == best_hi - best_lo &&
                                            fabs(l + h) < fabs(best_lo + best_hi))))))) {
                found = 1, best_u = u, best_right = right, best_lo = l, best_hi = h;
            }
            break; /* a wider band from the same lower edge has more unsure */
        }
    }
    free(t), free(neg_below), free(pos_from), free(w_below), free(w2_below);
    if (found) *lo = best_lo, *hi = best_hi;
    return found;
}

int rv_cal_shown_wrong(const double *margin, const int *said, const double *weight, size_t n, double half_width,
                       double min_right, double z)
{
    tally t = tally_of(margin, said, weight, n, -half_width, half_width);
    return tally_wrong(&t, min_right, z);
}

int rv_cal_band_allowed(const double *margin, const int *said, const double *weight, size_t n, double lo, double hi,
                        double half_width, double min_right, double z)
{
    tally band = tally_of(margin, said, weight, n, lo, hi);
    tally shipped = tally_of(margin, said, weight, n, -half_width, half_width);
    /* more listening than the shipped band asks for evidence, as less does */
    return band.all - band.conf <= shipped.all - shipped.conf || tally_wrong(&shipped, min_right, z);
}

int rv_cal_choose_band(const double *margin, const int *said, size_t n, double min_right, double z, double *lo,
                       double *hi)
{
    return rv_cal_choose_band_weighted(margin, said, NULL, n, min_right, z, lo, hi);
}

/* Whether the band (lo, hi) keeps the rule on s counted by weight. */
static int band_holds(const samples *s, double lo, double hi, double min_right, double z)
{
    tally t = tally_of(s->m, s->said, s->w, s->n, lo, hi);
    return rule_holds(t.right, t.conf, t.conf2, t.all, min_right, z);
}

/* Three-way verdicts of s with the band (lo, hi) of margins into slot i of
 * r: the shares by weight, as the band is chosen; the number of reviews
 * confident. The figures calibrate prints. */
static void verdicts_in(const samples *s, double lo, double hi, rv_cal_result *r, int i)
{
    tally t = tally_of(s->m, s->said, s->w, s->n, lo, hi);
    r->unsure[i] = s->n ? (t.all - t.conf) / t.all : 0;
    r->confident[i] = (int)tally_of(s->m, s->said, NULL, s->n, lo, hi).conf;
    r->right[i] = t.conf > 0 ? t.right / t.conf : 0;
}

int rv_cal_wants_sure_reviews(const rv_cal_result *r)
{
    return (r->no_band || r->not_shown_wrong) && r->unsure[0] > 0.5;
}

/* This installation's figures (slot 1) are the shipped ones (slot 0). */
static void keep_shipped(rv_cal_result *r)
{
    r->tpr[1] = r->tpr[0], r->tpr_lo[1] = r->tpr_lo[0], r->tpr_hi[1] = r->tpr_hi[0];
    r->fpr[1] = r->fpr[0], r->fpr_lo[1] = r->fpr_lo[0], r->fpr_hi[1] = r->fpr_hi[0];
    r->unsure[1] = r->unsure[0], r->right[1] = r->right[0], r->confident[1] = r->confident[0];
}

/* logit(c) / half-width, inside the setting's limits */
static double slope_for(double min_confidence, double half_width)
{
    double l = log(min_confidence / (1 - min_confidence));
    double slope = half_width > 0 ? l / half_width : RV_CAL_MAX_SLOPE;
    return slope > RV_CAL_MAX_SLOPE ? RV_CAL_MAX_SLOPE : slope < 0.01 ? 0.01 : slope;
}

rv_err rv_calibrate(rv_store *s, const rv_config *base, const rv_config *probe, int min_per_class, double min_right,
                    rv_calibration *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    out->min_per_class = min_per_class;
    out->min_right = min_right;
    const double shipped_slope[RV_CAL__COUNT] = {base->asr_name_confidence_slope, base->asr_phrase_confidence_slope,
                                                 base->asr_closing_confidence_slope};
    const double logit = log(base->verdict_min_confidence / (1 - base->verdict_min_confidence));
    collect_ctx x = {.th = rv_verify_thresholds_of(base)};
    rv_err rc = rv_store_each_reviewed(s, one_review, &x, err);
    if (rc == RV_OK && x.oom) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    for (int c = 0; rc == RV_OK && c < RV_CAL__COUNT; c++) {
        const samples *sm = &x.s[c];
        rv_cal_result *r = &out->c[c];
        for (size_t j = 0; j < sm->n; j++) {
            r->stated += sm->said[j], r->not_stated += !sm->said[j];
            if (sm->w[j] > 1) { /* -1: drawn one in different numbers (the setting changed) */
                r->sample_weight = r->sampled && r->sample_weight != (int)sm->w[j] ? -1 : (int)sm->w[j];
                r->sampled++;
            }
        }
        rates_at(sm, 0, r, 0);
        double w = logit / shipped_slope[c];
        verdicts_in(sm, -w, w, r, 0);
        r->slope = shipped_slope[c];
        r->calibrated = r->stated >= min_per_class && r->not_stated >= min_per_class;
        r->overridden = probe ? rv_calibration_overridden(base, probe, (rv_cal_class)c) : NULL;
        if (r->overridden) r->calibrated = 0;
        if (!r->calibrated) {
            keep_shipped(r);
            continue;
        }
        double lo, hi;
        int b = rv_cal_choose_band_weighted(sm->m, sm->said, sm->w, sm->n, min_right, RV_CAL_Z, &lo, &hi);
        if (b < 0) {
            rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
            break;
        }
        if (b > 0) { /* the band's middle the threshold, its half-width the slope's */
            double shift = (lo + hi) / 2, slope = slope_for(base->verdict_min_confidence, (hi - lo) / 2);
            double pw = logit / slope; /* the band the product will leave unsure, after the slope's limits */
            if (!rv_cal_band_allowed(sm->m, sm->said, sm->w, sm->n, shift - pw, shift + pw, w, min_right,
                                     RV_CAL_Z)) {
                r->calibrated = 0, r->not_shown_wrong = 1;
                keep_shipped(r);
                continue;
            }
            verdicts_in(sm, shift - pw, shift + pw, r, 1);
            if (band_holds(sm, shift - pw, shift + pw, min_right, RV_CAL_Z)) {
                r->shift = shift, r->slope = slope;
                rates_at(sm, r->shift, r, 1);
                continue;
            }
        }
        /* no band keeps the rule: the shipped thresholds and slope stay (a
         * cut of its own under the shipped slope made confident verdicts
         * on real words wrong a third of the time; docs/verification.md) */
        r->calibrated = 0, r->no_band = 1;
        keep_shipped(r);
    }
    for (int c = 0; c < RV_CAL__COUNT; c++) {
        free(x.s[c].m);
        free(x.s[c].w);
        free(x.s[c].said);
    }
    return rc;
}

/* The settings a class writes, and where a configuration holds them. */
static const struct {
    rv_cal_class c;
    const char *name;
    size_t off;
    int slope; /* the band's slope, else a threshold moved by the band's middle */
} settings[] = {
#define S(c, f, slope) {c, #f, offsetof(rv_config, f), slope}
    S(RV_CAL_NAME, asr_name_min_score, 0),
    S(RV_CAL_NAME, asr_name_min_score_g711, 0),
    S(RV_CAL_NAME, asr_name_min_score_gsm, 0),
    S(RV_CAL_NAME, asr_name_cohort_min_score, 0),
    S(RV_CAL_NAME, asr_name_cohort_min_score_g711, 0),
    S(RV_CAL_NAME, asr_name_cohort_min_score_gsm, 0),
    S(RV_CAL_NAME, asr_name_confidence_slope, 1),
    S(RV_CAL_UNIT, asr_phrase_min_score, 0),
    S(RV_CAL_UNIT, asr_phrase_min_score_g711, 0),
    S(RV_CAL_UNIT, asr_phrase_min_score_gsm, 0),
    S(RV_CAL_UNIT, asr_phrase_confidence_slope, 1),
    S(RV_CAL_CLOSING, asr_closing_min_score, 0),
    S(RV_CAL_CLOSING, asr_closing_confidence_slope, 1),
#undef S
};
#define N_SETTINGS (sizeof settings / sizeof *settings)
#define PROBE 0.0009765625 /* 2^-10: exact, and not a value anyone types */

static double value_of(const rv_config *cfg, size_t i)
{
    return *(const double *)(const void *)((const char *)cfg + settings[i].off);
}

int rv_calibration_write(const rv_calibration *cal, const rv_config *base, FILE *f)
{
    int n = 0;
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const rv_cal_result *r = &cal->c[settings[i].c];
        if (!r->calibrated) continue;
        fprintf(f, "%s = %.17g\n", settings[i].name, settings[i].slope ? r->slope : value_of(base, i) + r->shift);
        n++;
    }
    return n;
}

void rv_calibration_write_probe(const rv_config *base, FILE *f)
{
    for (size_t i = 0; i < N_SETTINGS; i++) fprintf(f, "%s = %.17g\n", settings[i].name, value_of(base, i) + PROBE);
}

const char *rv_calibration_overridden(const rv_config *base, const rv_config *probe, rv_cal_class c)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (settings[i].c == c && value_of(probe, i) != value_of(base, i) + PROBE) return settings[i].name;
    return NULL;
}
