/* Landmark fingerprints in the spirit of Wang (2003): local maxima of an 8 kHz
 * log spectrogram are paired with a few later peaks; (f1, f2-f1, dt) is the
 * hash and a match is many hashes that agree on one time offset. */
#include "rostvakt/fingerprint.h"

#include <glob.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rostvakt/dsp.h"

#define FP_RATE 8000
#define FP_WIN 512
#define FP_HOP 128
#define FP_LO_HZ 300.0
#define FP_HI_HZ 3400.0
#define PEAK_DT 4         /* a peak is the maximum over +-4 frames (64 ms) */
#define PEAK_DF 8         /* and +-8 bins (125 Hz) */
#define PEAK_OVER_MEAN_DB 10.0
#define PEAK_FLOOR_DB -85.0
#define PAIR_MAX_DT 40    /* targets up to 0.64 s later */
#define PAIR_MAX_DF 60
#define FAN_OUT 5
#define BUCKET_MAX 256    /* a hash this common says nothing */
#define MAX_REFS 65535

typedef struct {
    uint32_t hash;
    uint16_t ref;
    uint16_t t;
} entry;

typedef struct {
    char name[128];
    size_t hashes;
    double seconds;
} ref_info;

struct rv_fpdb {
    entry *e;
    size_t n, cap;
    int sorted;
    ref_info *refs;
    size_t n_refs, cap_refs;
};

typedef struct {
    uint32_t hash;
    uint32_t t;
} qhash;

typedef struct {
    float *spec;   /* frames x nbins, dB */
    size_t frames, nbins, lo;
    size_t max_frames;
} spectro;

static int on_frame(const rv_stft_frame *fr, void *user)
{
    spectro *s = user;
    if (fr->index >= s->max_frames) return 1;
    float *row = s->spec + fr->index * s->nbins;
    for (size_t k = 0; k < s->nbins; k++) {
        double ms = 2.0 * fr->power[s->lo + k] / fr->norm;
        row[k] = (float)(10.0 * log10(ms + 1e-13));
    }
    s->frames = fr->index + 1;
    return 0;
}

/* Hashes of pcm (resampled to 8 kHz) into a new array *out (free()). */
static rv_err extract(const rv_pcm *pcm, double max_seconds, qhash **out, size_t *n_out,
                      rv_error *err)
{
    *out = NULL;
    *n_out = 0;
    rv_pcm rs = {0};
    const rv_pcm *src = pcm;
    spectro s = {0};
    uint8_t *is_peak = NULL;
    float *tmp = NULL;
    qhash *h = NULL;
    size_t nh = 0, cap = 0;
    rv_err rc = RV_OK;

    if (pcm->n == 0) return RV_OK;
    if (pcm->rate != FP_RATE) {
        rc = rv_audio_resample(pcm, FP_RATE, 1, &rs, err);
        if (rc != RV_OK) return rc;
        src = &rs;
    }
    size_t n = src->n;
    if (max_seconds > 0 && n > (size_t)(max_seconds * FP_RATE)) n = (size_t)(max_seconds * FP_RATE);

    rv_stft_opts o = {FP_WIN, FP_HOP, FP_WIN, 0, 0, 0};
    double bin_hz = (double)FP_RATE / FP_WIN;
    s.lo = (size_t)ceil(FP_LO_HZ / bin_hz);
    s.nbins = (size_t)floor(FP_HI_HZ / bin_hz) - s.lo + 1;
    s.max_frames = (n + FP_HOP - 1) / FP_HOP;
    s.spec = malloc(s.max_frames * s.nbins * sizeof(float));
    tmp = malloc(s.max_frames * s.nbins * sizeof(float));
    is_peak = calloc(s.max_frames * s.nbins, 1);
    if (!s.spec || !tmp || !is_peak) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); goto done; }
    rc = rv_stft_run(src->samples, n, FP_RATE, &o, on_frame, &s, err);
    if (rc != RV_OK) goto done;

    const size_t F = s.frames, B = s.nbins;
    /* Separable max filter: over frequency into tmp, then over time. */
    for (size_t t = 0; t < F; t++) {
        const float *row = s.spec + t * B;
        for (size_t k = 0; k < B; k++) {
            float m = row[k];
            size_t a = k >= PEAK_DF ? k - PEAK_DF : 0, b = k + PEAK_DF < B ? k + PEAK_DF : B - 1;
            for (size_t j = a; j <= b; j++) if (row[j] > m) m = row[j];
            tmp[t * B + k] = m;
        }
    }
    for (size_t t = 0; t < F; t++) {
        const float *row = s.spec + t * B;
        double mean = 0;
        for (size_t k = 0; k < B; k++) mean += row[k];
        mean /= (double)B;
        size_t a = t >= PEAK_DT ? t - PEAK_DT : 0, b = t + PEAK_DT < F ? t + PEAK_DT : F - 1;
        for (size_t k = 0; k < B; k++) {
            float v = row[k];
            if (v < PEAK_FLOOR_DB || v < mean + PEAK_OVER_MEAN_DB) continue;
            int ok = 1;
            for (size_t u = a; u <= b && ok; u++) if (tmp[u * B + k] > v) ok = 0;
            if (ok) is_peak[t * B + k] = 1;
        }
    }
    /* Pair each peak with the FAN_OUT nearest later peaks in its zone. */
    for (size_t t1 = 0; t1 < F; t1++) {
        for (size_t k1 = 0; k1 < B; k1++) {
            if (!is_peak[t1 * B + k1]) continue;
            int fan = 0;
            for (size_t t2 = t1 + 1; t2 < F && t2 <= t1 + PAIR_MAX_DT && fan < FAN_OUT; t2++) {
                size_t a = k1 >= PAIR_MAX_DF ? k1 - PAIR_MAX_DF : 0;
                size_t b = k1 + PAIR_MAX_DF < B ? k1 + PAIR_MAX_DF : B - 1;
                for (size_t k2 = a; k2 <= b && fan < FAN_OUT; k2++) {
                    if (!is_peak[t2 * B + k2]) continue;
                    uint32_t hash = ((uint32_t)k1 & 0xFFu) << 15 |
                                    ((uint32_t)((long)k2 - (long)k1 + 64) & 0x7Fu) << 8 |
                                    ((uint32_t)(t2 - t1) & 0xFFu);
                    if (nh == cap) {
                        size_t nc = cap ? cap * 2 : 1024;
                        qhash *nhp = realloc(h, nc * sizeof *nhp);
                        if (!nhp) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); goto done; }
                        h = nhp;
                        cap = nc;
                    }
                    h[nh].hash = hash;
                    h[nh].t = (uint32_t)t1;
                    nh++;
                    fan++;
                }
            }
        }
    }
    *out = h;
    *n_out = nh;
    h = NULL;
done:
    rv_pcm_free(&rs);
    free(s.spec);
    free(tmp);
    free(is_peak);
    free(h);
    return rc;
}

rv_fpdb *rv_fpdb_new(void) { return calloc(1, sizeof(rv_fpdb)); }

void rv_fpdb_free(rv_fpdb *db)
{
    if (!db) return;
    free(db->e);
    free(db->refs);
    free(db);
}

size_t rv_fpdb_count(const rv_fpdb *db) { return db ? db->n_refs : 0; }

rv_err rv_fpdb_add(rv_fpdb *db, const char *name, const rv_pcm *pcm, rv_error *err)
{
    if (db->n_refs >= MAX_REFS) return rv_error_set(err, RV_ERR_TOO_LARGE, "too many reference prompts");
    double secs = pcm->rate > 0 ? (double)pcm->n / pcm->rate : 0;
    if (secs * FP_RATE / FP_HOP >= 65535)
        return rv_error_set(err, RV_ERR_TOO_LONG, "reference prompt %s is longer than 17 min", name);
    qhash *h = NULL;
    size_t nh = 0;
    rv_err rc = extract(pcm, 0, &h, &nh, err);
    if (rc != RV_OK) return rc;
    if (db->n_refs == db->cap_refs) {
        size_t nc = db->cap_refs ? db->cap_refs * 2 : 32;
        ref_info *nr = realloc(db->refs, nc * sizeof *nr);
        if (!nr) { free(h); return rv_error_set(err, RV_ERR_NOMEM, "out of memory"); }
        db->refs = nr;
        db->cap_refs = nc;
    }
    if (db->n + nh > db->cap) {
        size_t nc = db->cap ? db->cap : 4096;
        while (nc < db->n + nh) nc *= 2;
        entry *ne = realloc(db->e, nc * sizeof *ne);
        if (!ne) { free(h); return rv_error_set(err, RV_ERR_NOMEM, "out of memory"); }
        db->e = ne;
        db->cap = nc;
    }
    uint16_t id = (uint16_t)db->n_refs;
    for (size_t i = 0; i < nh; i++) db->e[db->n + i] = (entry){h[i].hash, id, (uint16_t)h[i].t};
    db->n += nh;
    ref_info *ri = &db->refs[db->n_refs++];
    snprintf(ri->name, sizeof ri->name, "%s", name);
    ri->hashes = nh;
    ri->seconds = secs;
    db->sorted = 0;
    free(h);
    return RV_OK;
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    if (x->ref != y->ref) return x->ref < y->ref ? -1 : 1;
    return (x->t > y->t) - (x->t < y->t);
}

static void ensure_sorted(rv_fpdb *db)
{
    if (!db->sorted) {
        if (db->n) qsort(db->e, db->n, sizeof *db->e, cmp_entry);
        db->sorted = 1;
    }
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void load_one(rv_fpdb *db, const char *path, const rv_audio_limits *lim,
                     double min_seconds, rv_fp_load_report *rep)
{
    rv_pcm pcm;
    rv_error e;
    rv_error_clear(&e);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return;
    rv_err rc = rv_audio_decode_file(path, rv_audio_hint_for_path(path), lim, &pcm, &e);
    if (rc == RV_OK && pcm.rate > 0 && (double)pcm.n / pcm.rate < min_seconds) {
        rv_pcm_free(&pcm);
        return; /* short words ("and", "for") are not greetings */
    }
    if (rc == RV_OK) rc = rv_fpdb_add(db, base_name(path), &pcm, &e);
    rv_pcm_free(&pcm);
    if (rc == RV_OK) {
        rep->loaded++;
    } else {
        if (rep->skipped++ == 0)
            snprintf(rep->first_problem, sizeof rep->first_problem, "%s: %s", path, e.msg);
    }
}

rv_err rv_fpdb_load(rv_fpdb *db, const char *spec, const rv_audio_limits *lim,
                    double min_seconds, rv_fp_load_report *rep, rv_error *err)
{
    memset(rep, 0, sizeof *rep);
    char *copy = strdup(spec ? spec : "");
    if (!copy) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    char *save = NULL;
    for (char *item = strtok_r(copy, ":", &save); item; item = strtok_r(NULL, ":", &save)) {
        if (!*item) continue;
        struct stat st;
        char pattern[4096];
        if (stat(item, &st) == 0 && S_ISDIR(st.st_mode))
            snprintf(pattern, sizeof pattern, "%s/*", item);
        else
            snprintf(pattern, sizeof pattern, "%s", item);
        glob_t g;
        if (glob(pattern, 0, NULL, &g) == 0) {
            for (size_t i = 0; i < g.gl_pathc; i++) load_one(db, g.gl_pathv[i], lim, min_seconds, rep);
        }
        globfree(&g);
    }
    free(copy);
    ensure_sorted(db);
    return RV_OK;
}

typedef struct {
    uint32_t ref;
    int32_t off;
} vote;

static int cmp_vote(const void *a, const void *b)
{
    const vote *x = a, *y = b;
    if (x->ref != y->ref) return x->ref < y->ref ? -1 : 1;
    return (x->off > y->off) - (x->off < y->off);
}

rv_err rv_fpdb_match(const rv_fpdb *db, const rv_pcm *pcm, double max_seconds,
                     double min_score, size_t min_hashes, rv_fp_match *best, rv_error *err)
{
    memset(best, 0, sizeof *best);
    if (!db || db->n_refs == 0 || pcm->n == 0) return RV_OK;
    if (!db->sorted) return rv_error_set(err, RV_ERR_ARG, "fingerprint database not finalised");
    qhash *q = NULL;
    size_t nq = 0;
    vote *v = NULL;
    size_t nv = 0, cap = 0;
    rv_err rc = extract(pcm, max_seconds, &q, &nq, err);
    if (rc != RV_OK) return rc;

    for (size_t i = 0; i < nq; i++) {
        /* lower bound of q[i].hash */
        size_t lo = 0, hi = db->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (db->e[mid].hash < q[i].hash) lo = mid + 1; else hi = mid;
        }
        size_t end = lo;
        while (end < db->n && db->e[end].hash == q[i].hash) end++;
        if (end - lo > BUCKET_MAX) continue;
        for (size_t j = lo; j < end; j++) {
            if (nv == cap) {
                size_t nc = cap ? cap * 2 : 4096;
                vote *nvp = realloc(v, nc * sizeof *nvp);
                if (!nvp) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); goto done; }
                v = nvp;
                cap = nc;
            }
            v[nv].ref = db->e[j].ref;
            v[nv].off = (int32_t)q[i].t - (int32_t)db->e[j].t;
            nv++;
        }
    }
    if (nv) qsort(v, nv, sizeof *v, cmp_vote);
    /* For each reference, the densest window of offsets 3 frames wide. The
     * winner is the best-scoring reference that has min_hashes votes; when
     * none has, the best score is still reported, without a name. */
    int best_ok = 0;
    for (size_t i = 0; i < nv;) {
        size_t j = i;
        while (j < nv && v[j].ref == v[i].ref) j++;
        size_t a = i, bestc = 0;
        int32_t best_off = 0;
        for (size_t b = i; b < j; b++) {
            while (v[b].off - v[a].off > 2) a++;
            if (b - a + 1 > bestc) { bestc = b - a + 1; best_off = v[a].off; }
        }
        const ref_info *ri = &db->refs[v[i].ref];
        double score = ri->hashes ? (double)bestc / (double)ri->hashes : 0;
        int ok = bestc >= min_hashes;
        if (ok > best_ok || (ok == best_ok && score > best->score)) {
            best_ok = ok;
            snprintf(best->name, sizeof best->name, "%s", ri->name);
            best->score = score;
            best->matched = bestc;
            best->ref_hashes = ri->hashes;
            best->at_s = fmax(0, (double)best_off * FP_HOP / FP_RATE);
            best->ref_seconds = ri->seconds;
        }
        i = j;
    }
    if (best->score < min_score || best->matched < min_hashes) best->name[0] = '\0';
done:
    free(q);
    free(v);
    return rc;
}
