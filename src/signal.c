/* Frame features (level, flatness, dominant peak, voicing, DTMF pair) from
 * the STFT, then decisions over runs of frames: tones, DTMF digits and
 * speech segments. All thresholds are here, named, with their reasons. */
#include "rostvakt/signal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rostvakt/dsp.h"

/* Band where telephone speech and signalling tones live. */
#define BAND_LO_HZ 250.0
#define BAND_HI_HZ 3600.0
/* A pure tone keeps nearly all band energy in its main lobe; speech rarely
 * puts 3/4 of it in one harmonic, and not for 100 ms at one frequency. */
#define TONE_PEAK_RATIO 0.75
#define TONE_MIN_FRAMES 15
/* A signalling tone holds its frequency to a fraction of a hertz; a vowel's
 * harmonic glides. Frame-to-frame step and spread over the whole run: */
#define TONE_MAX_STEP_HZ 8.0
#define TONE_MAX_SPREAD_HZ 6.0
#define TONE_MAX_SPREAD_REL 0.01
/* Frames this close to a tone or digit belong to its on/off ramp. */
#define TONE_EDGE_FRAMES 3
/* DTMF: the row+column pair holds most energy, the runners-up are 14 dB
 * down, twist within +-10 dB, and the digit holds for 40 ms (ITU Q.24). */
#define DTMF_PAIR_RATIO 0.65
#define DTMF_RUNNER_UP 0.04
#define DTMF_MIN_FRAMES 4
/* Speech: above the noise floor, voiced (autocorrelation peak), with a
 * continuous pitch track; gaps shorter than 200 ms stay inside a segment. */
#define SPEECH_OVER_FLOOR_DB 6.0
#define VOICED_MIN 0.5
#define SEG_MAX_GAP_FRAMES 20
#define SEG_MIN_FRAMES 12
#define SEG_MIN_VOICED 5
#define SEG_MIN_PITCH_PAIRS 3
#define CLIP_LEVEL 0.97f

typedef struct {
    float e_db, flat, peak_ratio, peak_hz, voicing, f0;
    char dtmf;
    unsigned char tone, speech;
} feat;

typedef struct {
    feat *f;
    size_t n;
    double lo, hi;
} collector;

static const double dtmf_row[4] = {697, 770, 852, 941};
static const double dtmf_col[4] = {1209, 1336, 1477, 1633};
static const char dtmf_keys[4][5] = {"123A", "456B", "789C", "*0#D"};

static double band_sum(const float *p, size_t nb, double bin_hz, double f, int half)
{
    long c = lround(f / bin_hz);
    double s = 0;
    for (long k = c - half; k <= c + half; k++)
        if (k >= 0 && (size_t)k < nb) s += p[k];
    return s;
}

static void best_two(const double e[4], int *best, double *second)
{
    *best = 0;
    for (int i = 1; i < 4; i++)
        if (e[i] > e[*best]) *best = i;
    *second = 0;
    for (int i = 0; i < 4; i++)
        if (i != *best && e[i] > *second) *second = e[i];
}

static int on_frame(const rv_stft_frame *fr, void *user)
{
    collector *c = user;
    feat *ft = &c->f[fr->index];
    size_t lo = (size_t)ceil(c->lo / fr->bin_hz), hi = (size_t)floor(c->hi / fr->bin_hz);
    if (hi >= fr->nbins) hi = fr->nbins - 1;
    double sum = 0, logsum = 0, pmax = -1;
    size_t kmax = lo;
    const double eps = 1e-14 * fr->norm;
    for (size_t k = lo; k <= hi; k++) {
        double p = fr->power[k];
        sum += p;
        logsum += log(p + eps);
        if (p > pmax) { pmax = p; kmax = k; }
    }
    size_t nb = hi - lo + 1;
    double ms = 2.0 * sum / fr->norm;
    ft->e_db = (float)(10.0 * log10(ms + 1e-14));
    double am = sum / nb + eps;
    ft->flat = (float)(exp(logsum / nb) / am);
    /* Hann main lobe: +-2 bins of the window length, in FFT bins. */
    int half = (int)(2 * 2 * (fr->nbins - 1) / fr->win) + 1;
    double lobe = band_sum(fr->power, fr->nbins, fr->bin_hz, kmax * fr->bin_hz, half);
    ft->peak_ratio = sum > 0 ? (float)(lobe / sum) : 0;
    /* Parabolic interpolation of the peak on log power. */
    double delta = 0;
    if (kmax > lo && kmax < hi) {
        double a = log(fr->power[kmax - 1] + eps), b = log(pmax + eps),
               g = log(fr->power[kmax + 1] + eps);
        double den = a - 2 * b + g;
        if (den < 0) delta = 0.5 * (a - g) / den;
    }
    ft->peak_hz = (float)((kmax + delta) * fr->bin_hz);
    ft->voicing = fr->voicing;
    ft->f0 = fr->f0_hz;

    ft->dtmf = 0;
    if (sum > 0) {
        double er[4], ec[4], r2, c2;
        int r, col;
        for (int i = 0; i < 4; i++) {
            er[i] = band_sum(fr->power, fr->nbins, fr->bin_hz, dtmf_row[i], 2);
            ec[i] = band_sum(fr->power, fr->nbins, fr->bin_hz, dtmf_col[i], 2);
        }
        best_two(er, &r, &r2);
        best_two(ec, &col, &c2);
        double pair = er[r] + ec[col];
        if (pair >= DTMF_PAIR_RATIO * sum && r2 < DTMF_RUNNER_UP * er[r] &&
            c2 < DTMF_RUNNER_UP * ec[col] && ec[col] > 0.1 * er[r] && ec[col] < 10 * er[r])
            ft->dtmf = dtmf_keys[r][col];
    }
    return 0;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

const char *rv_tone_kind_name(rv_tone_kind k)
{
    switch (k) {
    case RV_TONE_BUSY: return "busy";
    case RV_TONE_DIAL: return "dial";
    case RV_TONE_BEEP: break;
    }
    return "beep";
}

void rv_signal_free(rv_signal *s)
{
    if (!s) return;
    free(s->speech);
    free(s->tones);
    free(s->dtmf);
    s->speech = NULL;
    s->tones = NULL;
    s->dtmf = NULL;
    s->n_speech = s->n_tones = s->n_dtmf = 0;
}

/* Append to a growing array; returns 0 on allocation failure. */
static int push(void **arr, size_t *n, size_t *cap, size_t size, const void *item)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        void *na = realloc(*arr, nc * size);
        if (!na) return 0;
        *arr = na;
        *cap = nc;
    }
    memcpy((char *)*arr + *n * size, item, size);
    (*n)++;
    return 1;
}

static int pitch_continuous(const feat *a, const feat *b)
{
    if (a->voicing < VOICED_MIN || b->voicing < VOICED_MIN || a->f0 <= 0 || b->f0 <= 0)
        return 0;
    return fabsf(a->f0 - b->f0) <= 0.12f * a->f0;
}

rv_err rv_signal_analyze(const rv_pcm *pcm, double silence_dbfs, rv_signal *out,
                         rv_error *err)
{
    memset(out, 0, sizeof *out);
    out->snr_db = NAN;
    out->peak_dbfs = out->rms_dbfs = out->noise_floor_dbfs = out->loud_dbfs = -120;
    if (pcm->n == 0 || pcm->rate <= 0) return RV_OK;

    const int rate = pcm->rate;
    rv_stft_opts o = rv_stft_speech_opts(rate);
    const double hop_s = (double)o.hop / rate;
    const double dur = (double)pcm->n / rate;
    size_t nf = (pcm->n + o.hop - 1) / o.hop;
    collector c = {calloc(nf, sizeof(feat)), nf, BAND_LO_HZ,
                   fmin(BAND_HI_HZ, 0.45 * rate)};
    float *levels = malloc(nf * sizeof(float));
    size_t cap_sp = 0, cap_t = 0, cap_d = 0;
    rv_err rc = RV_OK;
    if (!c.f || !levels) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); goto done; }

    rc = rv_stft_run(pcm->samples, pcm->n, rate, &o, on_frame, &c, err);
    if (rc != RV_OK) goto done;

    /* Levels over samples. */
    double peak = 0, sq = 0;
    size_t clipped = 0;
    for (size_t i = 0; i < pcm->n; i++) {
        float a = fabsf(pcm->samples[i]);
        if (a > peak) peak = a;
        sq += (double)a * a;
        if (a >= CLIP_LEVEL) clipped++;
    }
    out->duration_s = dur;
    out->peak_dbfs = peak > 1e-6 ? 20 * log10(peak) : -120;
    out->rms_dbfs = sq > 0 ? fmax(-120, 10 * log10(sq / pcm->n)) : -120;
    out->clipping_ratio = (double)clipped / pcm->n;

    /* Noise floor: 10th percentile of the frames that are not digital zero. */
    size_t nl = 0;
    for (size_t i = 0; i < nf; i++)
        if (c.f[i].e_db > -100) levels[nl++] = c.f[i].e_db;
    double floor_db = -120;
    if (nl) {
        qsort(levels, nl, sizeof *levels, cmp_float);
        floor_db = levels[nl / 10];
        out->loud_dbfs = levels[nl * 95 / 100];
    }
    out->noise_floor_dbfs = floor_db;

    /* Tones: runs of frames dominated by one spectral peak that does not move. */
    for (size_t i = 0; i < nf;) {
        feat *a = &c.f[i];
        if (a->peak_ratio < TONE_PEAK_RATIO || a->e_db < silence_dbfs) { i++; continue; }
        size_t j = i + 1;
        while (j < nf && c.f[j].peak_ratio >= TONE_PEAK_RATIO && c.f[j].e_db >= silence_dbfs &&
               fabsf(c.f[j].peak_hz - c.f[j - 1].peak_hz) <= TONE_MAX_STEP_HZ) {
            j++;
        }
        /* Steady: most frames sit at the run's median frequency (its ramps
         * may not). */
        size_t len = j - i, steady = 0;
        double med = a->peak_hz;
        if (len >= TONE_MIN_FRAMES) {
            for (size_t k = 0; k < len; k++) levels[k] = c.f[i + k].peak_hz;
            qsort(levels, len, sizeof *levels, cmp_float);
            med = levels[len / 2];
            double tol = fmax(TONE_MAX_SPREAD_HZ, TONE_MAX_SPREAD_REL * med);
            for (size_t k = i; k < j; k++)
                if (fabs(c.f[k].peak_hz - med) <= tol) steady++;
        }
        if (len >= TONE_MIN_FRAMES && steady * 10 >= len * 8) {
            for (size_t k = i; k < j; k++) c.f[k].tone = 1;
            rv_tone t = {i * hop_s, fmin(dur, j * hop_s), med, RV_TONE_BEEP};
            if (!push((void **)&out->tones, &out->n_tones, &cap_t, sizeof t, &t)) {
                rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
                goto done;
            }
        }
        i = j;
    }
    /* 425 Hz is the Swedish (CEPT) busy and dial tone: a cadence of short
     * bursts is busy, one long stretch is dial tone. */
    size_t n425 = 0;
    for (size_t i = 0; i < out->n_tones; i++)
        if (fabs(out->tones[i].freq_hz - 425) <= 25) n425++;
    for (size_t i = 0; i < out->n_tones; i++) {
        rv_tone *t = &out->tones[i];
        if (fabs(t->freq_hz - 425) > 25) continue;
        double len = t->end_s - t->start_s;
        if (n425 >= 2 && len <= 0.8) t->kind = RV_TONE_BUSY;
        else if (len >= 1.0) t->kind = RV_TONE_DIAL;
    }

    /* DTMF: a digit held for DTMF_MIN_FRAMES frames. */
    for (size_t i = 0; i < nf;) {
        char d = c.f[i].dtmf;
        if (!d || c.f[i].e_db < silence_dbfs) { i++; continue; }
        size_t j = i + 1;
        while (j < nf && c.f[j].dtmf == d) j++;
        if (j - i >= DTMF_MIN_FRAMES) {
            rv_dtmf e = {i * hop_s, fmin(dur, j * hop_s), d};
            for (size_t k = i; k < j; k++) c.f[k].tone = 2;
            if (!push((void **)&out->dtmf, &out->n_dtmf, &cap_d, sizeof e, &e)) {
                rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
                goto done;
            }
        }
        i = j;
    }

    /* On/off ramps of tones and digits are not speech. */
    for (size_t i = 0; i < nf; i++) {
        if (c.f[i].tone != 1 && c.f[i].tone != 2) continue;
        for (size_t k = i > TONE_EDGE_FRAMES ? i - TONE_EDGE_FRAMES : 0;
             k < nf && k <= i + TONE_EDGE_FRAMES; k++)
            if (!c.f[k].tone) c.f[k].tone = 3;
    }

    /* Speech segments: they end at a tone. */
    double sp_energy = 0;
    size_t sp_frames = 0;
    for (size_t i = 0; i < nf;) {
#define CAND(k) (c.f[k].e_db >= silence_dbfs && c.f[k].e_db >= floor_db + SPEECH_OVER_FLOOR_DB && \
                 !c.f[k].tone)
        if (!CAND(i)) { i++; continue; }
        size_t last = i, j = i + 1, voiced = 0, cand = 0, pairs = 0;
        for (size_t k = i; k < nf && k <= last + SEG_MAX_GAP_FRAMES && !c.f[k].tone; k++) {
            if (!CAND(k)) continue;
            last = k;
            cand++;
            if (c.f[k].voicing >= VOICED_MIN) voiced++;
            if (k > i && pitch_continuous(&c.f[k - 1], &c.f[k])) pairs++;
        }
#undef CAND
        j = last + 1;
        if (j - i >= SEG_MIN_FRAMES && voiced >= SEG_MIN_VOICED && voiced * 5 >= cand &&
            pairs >= SEG_MIN_PITCH_PAIRS) {
            rv_segment s = {i * hop_s, fmin(dur, j * hop_s)};
            if (!push((void **)&out->speech, &out->n_speech, &cap_sp, sizeof s, &s)) {
                rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
                goto done;
            }
            for (size_t k = i; k < j; k++) {
                c.f[k].speech = 1;
                if (!c.f[k].tone && c.f[k].e_db >= floor_db + SPEECH_OVER_FLOOR_DB) {
                    sp_energy += pow(10, c.f[k].e_db / 10);
                    sp_frames++;
                }
            }
            out->speech_s += s.end_s - s.start_s;
        }
        i = j;
    }

    /* Where the time went. */
    double flat_sum = 0;
    size_t audible = 0;
    for (size_t i = 0; i < nf; i++) {
        const feat *f = &c.f[i];
        double len = fmin(hop_s, dur - i * hop_s);
        if (f->e_db < silence_dbfs) { out->silent_s += len; continue; }
        audible++;
        flat_sum += f->flat;
        if (f->tone == 1) out->tone_s += len;
        else if (f->tone == 2) out->dtmf_s += len;
        else if (f->tone == 3) continue; /* ramps: counted with nothing */
        else if (!f->speech) out->other_s += len;
    }
    out->flatness = audible ? flat_sum / audible : 0;
    if (out->n_speech) {
        out->leading_silence_s = out->speech[0].start_s;
        out->trailing_silence_s = dur - out->speech[out->n_speech - 1].end_s;
        if (sp_frames) out->snr_db = 10 * log10(sp_energy / sp_frames) - floor_db;
    } else {
        out->leading_silence_s = dur;
        out->trailing_silence_s = dur;
    }

done:
    free(c.f);
    free(levels);
    if (rc != RV_OK) {
        rv_signal_free(out);
        memset(out, 0, sizeof *out);
    }
    return rc;
}
