/* Senone scores of a phonetically tied model, as PocketSphinx 0.8 computes
 * them for -compallsen yes (see include/rostvakt/senone.h). The arithmetic
 * is kept exactly: each density's distance is its log determinant less, one
 * dimension after another in order, (x - mean)^2 times the precomputed
 * inverse variance, all in single precision; it is only done for eight
 * densities side by side. The top-N bookkeeping (the previous frame's
 * codewords first, ties and all) follows PocketSphinx's, because which of two
 * equal codewords is kept changes a senone's mixture weight. */
#include "rostvakt/senone.h"

#include <bio.h>
#include <logmath.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SCORE_SHIFT 10   /* PocketSphinx's SENSCR_SHIFT */
#define MAX_NEG_ASCR 96  /* its clamp on a normalised codeword score */
#define WORST_SCORE ((int32_t)0xE0000000)
#define MAX_STREAMS 4
#define MAX_TOPN 8
#define LANES 8

typedef float vf __attribute__((vector_size(LANES * sizeof(float))));
#define SLANES 16 /* senones scored side by side */
typedef int16_t vh __attribute__((vector_size(SLANES * sizeof(int16_t))));
typedef uint8_t vb __attribute__((vector_size(SLANES)));

typedef struct {
    int32_t cw, score;
} topn_t;

struct rv_senone {
    int n_cb, n_feat, n_dens, n_pad, n_sen, topn;
    int veclen[MAX_STREAMS];
    size_t n_params;          /* floats in the mean (and the variance) file */
    float *mean0, *var0;      /* as read: [cb][feat][density][dim] */
    float *mean, *var;        /* while adapting: the transformed ones, same layout */
    float *mt, *it, *det;     /* precomputed and transposed: [cb][feat][dim][density], det [cb][feat][density] */
    size_t off[MAX_STREAMS];  /* a codebook's offset of stream f in mt/it */
    size_t cb_stride;         /* floats of one codebook in mt/it */
    uint8_t *mixw;            /* negated 8-bit log weights, codebook by codebook:
                               * [cb][feat][density][j], j the cb's senones in order */
    uint8_t *sen2cb;
    int *cb_first, *cb_count; /* where a codebook's senones start in cb_sens, how many */
    int *cb_pad;              /* how many, rounded up to a whole vector of senones */
    size_t *cb_off;           /* where a codebook's weights start in mixw */
    int16_t *vacc;            /* one codebook's senone scores being summed (at most 3 x 255) */
    uint8_t add[512];         /* the 8-bit log-addition table, zero past its end */
    int n_levels;             /* the table as steps: add[d] = #{i : d < thr[i]} */
    int16_t thr[16];
    int *cb_sens;             /* the senones, grouped by codebook */
    topn_t *top;              /* [cb][feat][topn], kept from frame to frame */
    float *dist;
    int16_t *scores;
    float varfloor;
    logmath_t *lmath, *lm8;
    char mdef[1024];
    double logbase;
};

static rv_err bad(rv_error *err, const char *path, const char *what)
{
    return rv_error_set(err, RV_ERR_CONFIG, "%s: %s", path, what);
}

/* A Sphinx-3 parameter file (means or variances). New *out. */
static rv_err read_params(const char *path, int *n_cb, int *n_feat, int *n_dens, int *veclen, float **out,
                          size_t *n_out, rv_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return rv_error_set(err, RV_ERR_CONFIG, "cannot open %s", path);
    int32 swap = 0;
    rv_err rc = RV_OK;
    int chksum_present = 0;
    /* The header is read here, not by sphinxbase's bio_readhdr, which ends
     * the process on a malformed one: "s3", lines of "name value" up to
     * "endhdr", then a byte-order mark. */
    char line[256];
    int ended = 0;
    if (!fgets(line, sizeof line, f) || strcmp(line, "s3\n") != 0) {
        fclose(f);
        return bad(err, path, "not a Sphinx parameter file");
    }
    for (int i = 0; i < 64 && !ended && fgets(line, sizeof line, f); i++) {
        const char *l = line + strspn(line, " "); /* padded to align the data */
        if (strcmp(l, "endhdr\n") == 0) ended = 1;
        else if (strncmp(l, "chksum0 ", 8) == 0) chksum_present = 1;
    }
    uint32 magic = 0;
    if (!ended || fread(&magic, sizeof magic, 1, f) != 1 || (magic != 0x11223344 && magic != 0x44332211)) {
        fclose(f);
        return bad(err, path, "not a Sphinx parameter file");
    }
    swap = magic != 0x11223344;
    uint32 sum = 0;
    int32 hdr[3], n = 0;
    if (bio_fread(hdr, sizeof(int32), 3, f, swap, &sum) != 3 || hdr[0] < 1 || hdr[0] > 256 || hdr[1] < 1 ||
        hdr[1] > MAX_STREAMS || hdr[2] < 1 || hdr[2] > 4096) {
        rc = bad(err, path, "bad dimensions");
        goto done;
    }
    int32 len[MAX_STREAMS];
    size_t blk = 0;
    if (bio_fread(len, sizeof(int32), hdr[1], f, swap, &sum) != hdr[1]) {
        rc = bad(err, path, "truncated");
        goto done;
    }
    for (int i = 0; i < hdr[1]; i++) {
        if (len[i] < 1 || len[i] > 256) {
            rc = bad(err, path, "bad stream length");
            goto done;
        }
        blk += (size_t)len[i];
    }
    if (bio_fread(&n, sizeof(int32), 1, f, swap, &sum) != 1 || n < 0 ||
        (size_t)n != (size_t)hdr[0] * (size_t)hdr[2] * blk) {
        rc = bad(err, path, "size does not match its dimensions");
        goto done;
    }
    *out = malloc((size_t)n * sizeof **out);
    if (!*out) {
        rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (bio_fread(*out, sizeof(float), n, f, swap, &sum) != n) {
        rc = bad(err, path, "truncated");
        goto done;
    }
    if (chksum_present) {
        uint32 stored;
        if (fread(&stored, sizeof stored, 1, f) != 1) {
            rc = bad(err, path, "no checksum");
            goto done;
        }
        if (swap)
            stored = ((stored >> 24) & 0xff) | ((stored >> 8) & 0xff00) | ((stored << 8) & 0xff0000) |
                     (stored << 24);
        if (stored != sum) {
            rc = bad(err, path, "checksum mismatch");
            goto done;
        }
    }
    *n_cb = hdr[0], *n_feat = hdr[1], *n_dens = hdr[2], *n_out = (size_t)n;
    for (int i = 0; i < hdr[1]; i++) veclen[i] = len[i];
done:
    fclose(f);
    if (rc != RV_OK) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

/* Each senone's base phone (its codebook), from a binary model definition. */
static rv_err read_mdef(rv_senone *s, const char *path, int *n_ci, rv_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return rv_error_set(err, RV_ERR_CONFIG, "cannot open %s", path);
    rv_err rc = RV_OK;
    uint8_t *blob = NULL;
    int32_t h[3], v[10];
    if (fread(h, 4, 3, f) != 3 || h[0] != 0x46444d42 /* "BMDF" */ || h[2] < 0 ||
        fseek(f, h[2], SEEK_CUR) != 0 || fread(v, 4, 10, f) != 10) {
        fclose(f);
        return bad(err, path, "not a binary model definition of this byte order");
    }
    int32_t n_ciphone = v[0], n_phone = v[1], n_emit = v[2], n_sen = v[4], n_sseq = v[6], n_cd_tree = v[8];
    long pos = ftell(f);
    if (fseek(f, 0, SEEK_END) != 0) { rc = bad(err, path, "cannot seek"); goto done; }
    long end = ftell(f);
    if (pos < 0 || end <= pos || n_emit < 1 || n_ciphone < 1 || n_ciphone > 255 || n_phone < n_ciphone ||
        n_sen < 1 || n_sen > 32767 || n_sseq < 1 || n_cd_tree < 0) {
        rc = bad(err, path, "unsupported model definition (heterogeneous topology or too large)");
        goto done;
    }
    size_t size = (size_t)(end - pos);
    blob = malloc(size);
    if (!blob) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); goto done; }
    if (fseek(f, pos, SEEK_SET) != 0 || fread(blob, 1, size, f) != size) { rc = bad(err, path, "truncated"); goto done; }
    size_t at = 0;
    for (int i = 0; i < n_ciphone; i++) { /* names */
        const void *nul = at < size ? memchr(blob + at, 0, size - at) : NULL;
        if (!nul) { rc = bad(err, path, "truncated"); goto done; }
        at = (size_t)((const uint8_t *)nul - blob) + 1;
    }
    at = (at + 3) & ~(size_t)3;
    at += (size_t)n_cd_tree * 8;
    size_t phones = at;
    at += (size_t)n_phone * 12;
    int32_t sseq_size;
    if (at + 4 > size) { rc = bad(err, path, "truncated"); goto done; }
    memcpy(&sseq_size, blob + at, 4);
    at += 4;
    if (sseq_size != n_sseq * n_emit || at + (size_t)sseq_size * 2 > size) {
        rc = bad(err, path, "unsupported senone sequences");
        goto done;
    }
    s->sen2cb = malloc((size_t)n_sen);
    if (!s->sen2cb) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); goto done; }
    memset(s->sen2cb, 0xff, (size_t)n_sen);
    for (int32_t p = 0; p < n_phone; p++) {
        int32_t ssid;
        memcpy(&ssid, blob + phones + (size_t)p * 12, 4);
        int ci = p < n_ciphone ? p : blob[phones + (size_t)p * 12 + 9]; /* attr: wpos, base, left, right */
        if (ssid < 0 || ssid >= n_sseq || ci >= n_ciphone) { rc = bad(err, path, "bad phone"); goto done; }
        for (int j = 0; j < n_emit; j++) {
            int16_t sen;
            memcpy(&sen, blob + at + ((size_t)ssid * n_emit + j) * 2, 2);
            if (sen < 0 || sen >= n_sen) { rc = bad(err, path, "bad senone"); goto done; }
            if (s->sen2cb[sen] == 0xff) s->sen2cb[sen] = (uint8_t)ci; /* the first phone, as PocketSphinx */
        }
    }
    for (int i = 0; i < n_sen; i++)
        if (s->sen2cb[i] == 0xff) { rc = bad(err, path, "a senone of no phone"); goto done; }
    s->n_sen = n_sen;
    *n_ci = n_ciphone;
done:
    free(blob);
    fclose(f);
    return rc;
}

/* The mixture weights of a sendump file (8-bit, not clustered). */
static rv_err read_sendump(rv_senone *s, const char *path, rv_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return rv_error_set(err, RV_ERR_CONFIG, "cannot open %s", path);
    rv_err rc = RV_OK;
    char line[1024];
    int32_t n;
    int clusters = 0;
    for (int k = 0;; k++) { /* title, header, then strings until an empty one */
        if (fread(&n, 4, 1, f) != 1 || n < 0 || n >= (int32_t)sizeof line) { rc = bad(err, path, "bad header"); goto done; }
        if (n == 0 && k >= 2) break;
        if (fread(line, 1, (size_t)n, f) != (size_t)n) { rc = bad(err, path, "truncated"); goto done; }
        line[n] = '\0';
        if (strncmp(line, "cluster_count ", 14) == 0 && atoi(line + 14) != 0) clusters = 1;
    }
    int32_t rc2[2];
    if (clusters) { rc = bad(err, path, "clustered mixture weights are not supported"); goto done; }
    if (fread(rc2, 4, 2, f) != 2 || rc2[0] != s->n_dens || rc2[1] != s->n_sen) {
        rc = bad(err, path, "mixture weights do not match the model");
        goto done;
    }
    size_t total = (size_t)s->n_feat * s->n_dens * s->n_sen, padded = 0;
    for (int cb = 0; cb < s->n_cb; cb++) {
        s->cb_off[cb] = padded;
        padded += (size_t)s->n_feat * s->n_dens * s->cb_pad[cb];
    }
    uint8_t *file = malloc(total);
    s->mixw = calloc(padded, 1);
    if (!file || !s->mixw) { free(file); rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); goto done; }
    if (fread(file, 1, total, f) != total) rc = bad(err, path, "truncated");
    /* regroup [feat][density][senone] by codebook, so that a codebook's
     * senones read each codeword's weights from one run of bytes */
    for (int cb = 0; rc == RV_OK && cb < s->n_cb; cb++) {
        int first = s->cb_first[cb], count = s->cb_count[cb], pad = s->cb_pad[cb];
        uint8_t *out = s->mixw + s->cb_off[cb];
        for (int fs = 0; fs < s->n_feat; fs++)
            for (int d = 0; d < s->n_dens; d++)
                for (int j = 0; j < count; j++)
                    out[((size_t)fs * s->n_dens + d) * pad + j] =
                        file[((size_t)fs * s->n_dens + d) * s->n_sen + s->cb_sens[first + j]];
    }
    free(file);
done:
    fclose(f);
    return rc;
}

/* Floor the variances, take the log determinants and inverse variances in
 * the decoder's log base (as PocketSphinx's gauden does), and lay them out
 * density-minor. */
static void precompute(rv_senone *s)
{
    size_t i = 0;
    for (int cb = 0; cb < s->n_cb; cb++)
        for (int f = 0; f < s->n_feat; f++) {
            int len = s->veclen[f];
            float *mt = s->mt + (size_t)cb * s->cb_stride + s->off[f];
            float *it = s->it + (size_t)cb * s->cb_stride + s->off[f];
            float *det = s->det + ((size_t)cb * s->n_feat + f) * s->n_pad;
            for (int d = 0; d < s->n_dens; d++, i += (size_t)len) {
                float acc = 0;
                for (int k = 0; k < len; k++) {
                    float v = s->var[i + k];
                    if (v < s->varfloor) v = s->varfloor;
                    acc += (float)logmath_log(s->lmath, 1.0 / sqrt(v * 2.0 * M_PI));
                    mt[(size_t)k * s->n_pad + d] = s->mean[i + k];
                    it[(size_t)k * s->n_pad + d] = (float)logmath_ln_to_log(s->lmath, 1.0 / (v * 2.0));
                }
                det[d] = acc;
            }
            for (int d = s->n_dens; d < s->n_pad; d++) { /* padding: never chosen */
                det[d] = -INFINITY;
                for (int k = 0; k < len; k++) mt[(size_t)k * s->n_pad + d] = it[(size_t)k * s->n_pad + d] = 0;
            }
        }
}

rv_err rv_senone_open(const rv_senone_model *m, rv_senone **out, rv_error *err)
{
    *out = NULL;
    if (!m->mdef || !m->mean || !m->var || !m->sendump)
        return rv_error_set(err, RV_ERR_CONFIG, "the acoustic model has no sendump (not phonetically tied)");
    if (m->topn < 1 || m->topn > MAX_TOPN)
        return rv_error_set(err, RV_ERR_CONFIG, "top-N %d is not supported", m->topn);
    rv_senone *s = calloc(1, sizeof *s);
    if (!s) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    int vl2[MAX_STREAMS], c2, f2, d2, n_ci = 0;
    size_t n2;
    rv_err rc = read_params(m->mean, &s->n_cb, &s->n_feat, &s->n_dens, s->veclen, &s->mean0, &s->n_params, err);
    if (rc == RV_OK) rc = read_params(m->var, &c2, &f2, &d2, vl2, &s->var0, &n2, err);
    if (rc == RV_OK && (c2 != s->n_cb || f2 != s->n_feat || d2 != s->n_dens || n2 != s->n_params))
        rc = bad(err, m->var, "variances do not match the means");
    if (rc == RV_OK) rc = read_mdef(s, m->mdef, &n_ci, err);
    if (rc == RV_OK && n_ci != s->n_cb) rc = bad(err, m->mean, "not one codebook per base phone (not PTM)");
    if (rc == RV_OK) {
        s->cb_first = calloc((size_t)s->n_cb, sizeof *s->cb_first);
        s->cb_count = calloc((size_t)s->n_cb, sizeof *s->cb_count);
        s->cb_sens = malloc((size_t)s->n_sen * sizeof *s->cb_sens);
        s->cb_pad = calloc((size_t)s->n_cb, sizeof *s->cb_pad);
        s->cb_off = calloc((size_t)s->n_cb, sizeof *s->cb_off);
        s->vacc = aligned_alloc(sizeof(vh), ((size_t)s->n_sen / SLANES + 1) * sizeof(vh)); /* the largest cb_pad */
        if (!s->cb_first || !s->cb_count || !s->cb_sens || !s->cb_pad || !s->cb_off || !s->vacc)
            rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    if (rc == RV_OK) {
        for (int i = 0; i < s->n_sen; i++) s->cb_count[s->sen2cb[i]]++;
        for (int cb = 1; cb < s->n_cb; cb++) s->cb_first[cb] = s->cb_first[cb - 1] + s->cb_count[cb - 1];
        for (int cb = 0; cb < s->n_cb; cb++) s->cb_pad[cb] = (s->cb_count[cb] + SLANES - 1) / SLANES * SLANES;
        int *fill = calloc((size_t)s->n_cb, sizeof *fill);
        if (!fill) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        for (int i = 0; fill && i < s->n_sen; i++) {
            int cb = s->sen2cb[i];
            s->cb_sens[s->cb_first[cb] + fill[cb]++] = i;
        }
        free(fill);
    }
    if (rc == RV_OK) rc = read_sendump(s, m->sendump, err);
    if (rc != RV_OK) {
        rv_senone_free(s);
        return rc;
    }
    s->topn = m->topn;
    s->varfloor = (float)m->varfloor;
    s->logbase = m->logbase;
    snprintf(s->mdef, sizeof s->mdef, "%s", m->mdef);
    s->n_pad = (s->n_dens + LANES - 1) / LANES * LANES;
    for (int f = 0; f < s->n_feat; f++) {
        s->off[f] = s->cb_stride;
        s->cb_stride += (size_t)s->veclen[f] * s->n_pad;
    }
    size_t nt = (size_t)s->n_cb * s->cb_stride;
    size_t nd = (size_t)s->n_cb * s->n_feat * s->n_pad;
    s->mt = aligned_alloc(sizeof(vf), nt * sizeof(float));
    s->it = aligned_alloc(sizeof(vf), nt * sizeof(float));
    s->det = aligned_alloc(sizeof(vf), nd * sizeof(float));
    s->dist = aligned_alloc(sizeof(vf), (size_t)s->n_pad * sizeof(float));
    s->top = calloc((size_t)s->n_cb * s->n_feat * s->topn, sizeof *s->top);
    s->scores = malloc((size_t)s->n_sen * sizeof *s->scores);
    s->lmath = logmath_init(m->logbase, 0, FALSE);
    s->lm8 = logmath_init(m->logbase, SCORE_SHIFT, TRUE);
    if (!s->mt || !s->it || !s->det || !s->dist || !s->top || !s->scores || !s->lmath ||
        !s->lm8) {
        rv_senone_free(s);
        return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    if (LOGMATH_TABLE(s->lm8)->width != 1 || LOGMATH_TABLE(s->lm8)->table_size < 256) {
        rv_senone_free(s);
        return rv_error_set(err, RV_ERR_CONFIG, "log base %g needs a wider addition table", m->logbase);
    }
    /* PocketSphinx indexes its 256-entry table with differences that can
     * pass its end by a few; past the end the true value is 0 */
    const uint8_t *table = LOGMATH_TABLE(s->lm8)->table;
    memcpy(s->add, table, 256);
    /* as steps, for the vector path: a table that falls by at most one at a
     * time from add[0] to 0 (this base's: 7 6 6 5 5 5 4 ... 1 0 from 29 on) */
    int steps = s->add[0] <= 16 && s->add[255] == 0;
    for (int d = 1; d < 256 && steps; d++) steps = s->add[d] <= s->add[d - 1] && s->add[d - 1] - s->add[d] <= 1;
    if (steps) {
        s->n_levels = s->add[0];
        for (int level = 1; level <= s->n_levels; level++) {
            int d = 0;
            while (s->add[d] >= level) d++;
            s->thr[level - 1] = (int16_t)d;
        }
    }
    rc = rv_senone_adapt(s, NULL, err);
    if (rc != RV_OK) {
        rv_senone_free(s);
        return rc;
    }
    *out = s;
    return RV_OK;
}

void rv_senone_free(rv_senone *s)
{
    if (!s) return;
    free(s->mean0);
    free(s->var0);
    free(s->mt);
    free(s->it);
    free(s->det);
    free(s->dist);
    free(s->mixw);
    free(s->sen2cb);
    free(s->cb_first);
    free(s->cb_count);
    free(s->cb_sens);
    free(s->cb_pad);
    free(s->cb_off);
    free(s->vacc);
    free(s->top);
    free(s->scores);
    if (s->lmath) logmath_free(s->lmath);
    if (s->lm8) logmath_free(s->lm8);
    free(s);
}

int rv_senone_count(const rv_senone *s) { return s ? s->n_sen : 0; }

const unsigned char *rv_senone_phones(const rv_senone *s, int *n_phones)
{
    *n_phones = s->n_cb;
    return s->sen2cb;
}

/* Back to the model's own means and variances after a failed adaptation
 * (freeing the copies being transformed); returns rc. */
static rv_err own_model(rv_senone *s, rv_err rc)
{
    if (s->mean != s->mean0) free(s->mean);
    if (s->var != s->var0) free(s->var);
    s->mean = s->mean0;
    s->var = s->var0;
    precompute(s);
    s->mean = s->var = NULL;
    return rc;
}

/* An MLLR file as ps_mllr_read reads it: classes, streams, then per stream
 * its length and per class A (len x len), b and h. Only one class. */
rv_err rv_senone_adapt(rv_senone *s, const char *path, rv_error *err)
{
    s->mean = s->mean0;
    s->var = s->var0;
    if (path) { /* transformed copies, kept only until precomputed */
        s->mean = malloc(s->n_params * sizeof *s->mean);
        s->var = malloc(s->n_params * sizeof *s->var);
        if (!s->mean || !s->var) return own_model(s, rv_error_set(err, RV_ERR_NOMEM, "out of memory"));
        memcpy(s->mean, s->mean0, s->n_params * sizeof *s->mean);
        memcpy(s->var, s->var0, s->n_params * sizeof *s->var);
        FILE *f = fopen(path, "r");
        if (!f) return own_model(s, rv_error_set(err, RV_ERR_CONFIG, "cannot open %s", path));
        int n_class = 0, n_feat = 0;
        rv_err rc = RV_OK;
        float *a = NULL, b[256], h[256];
        double tmp[256];
        if (fscanf(f, "%d %d", &n_class, &n_feat) != 2 || n_class != 1 || n_feat != s->n_feat)
            rc = bad(err, path, "not a one-class MLLR matrix for this model");
        size_t stream_base = 0; /* offset of stream f within a density's vector */
        for (int fs = 0; rc == RV_OK && fs < n_feat; fs++) {
            int len = 0;
            if (fscanf(f, "%d", &len) != 1 || len != s->veclen[fs]) { rc = bad(err, path, "wrong stream length"); break; }
            free(a);
            a = malloc((size_t)len * len * sizeof *a);
            if (!a) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); break; }
            for (int k = 0; rc == RV_OK && k < len * len; k++)
                if (fscanf(f, "%f", &a[k]) != 1) rc = bad(err, path, "truncated");
            for (int k = 0; rc == RV_OK && k < len; k++)
                if (fscanf(f, "%f", &b[k]) != 1) rc = bad(err, path, "truncated");
            for (int k = 0; rc == RV_OK && k < len; k++)
                if (fscanf(f, "%f", &h[k]) != 1) rc = bad(err, path, "truncated");
            if (rc != RV_OK) break;
            /* every density of every codebook: mean <- A mean + b, var <- var h */
            size_t blk = 0;
            for (int k = 0; k < s->n_feat; k++) blk += (size_t)s->veclen[k];
            for (int cb = 0; cb < s->n_cb; cb++)
                for (int d = 0; d < s->n_dens; d++) {
                    /* layout [cb][feat][density][dim]: stream fs of codebook cb starts after the
                     * earlier streams' n_dens vectors */
                    size_t base = (size_t)cb * s->n_dens * blk + stream_base * s->n_dens + (size_t)d * len;
                    float *mean = s->mean + base, *var = s->var + base;
                    for (int l = 0; l < len; l++) {
                        tmp[l] = 0.0;
                        for (int k = 0; k < len; k++) tmp[l] += a[l * len + k] * mean[k];
                        tmp[l] += b[l];
                    }
                    for (int l = 0; l < len; l++) {
                        mean[l] = (float)tmp[l];
                        var[l] *= h[l];
                    }
                }
            stream_base += (size_t)len;
        }
        free(a);
        fclose(f);
        if (rc != RV_OK) return own_model(s, rc);
    }
    precompute(s);
    if (s->mean != s->mean0) free(s->mean);
    if (s->var != s->var0) free(s->var);
    s->mean = s->var = NULL;
    return RV_OK;
}

/* The codewords an utterance's first frame starts from: PocketSphinx's
 * initial ones, since its frame -1 is a slot of its history that an
 * utterance shorter than its -pl_window never writes. */
static void reset_top(rv_senone *s)
{
    for (size_t i = 0; i < (size_t)s->n_cb * s->n_feat; i++)
        for (int k = 0; k < s->topn; k++) s->top[i * s->topn + k] = (topn_t){k, INT32_MIN};
}

/* Distances of z to every density of codebook cb, stream f, into s->dist.
 * Built twice, for AVX2 (eight densities in one instruction) and for any
 * x86-64; the loader picks. Neither fuses a multiply into an add (C11 mode
 * does not contract, and AVX2 alone brings no FMA), so both round as
 * PocketSphinx does. */
__attribute__((target_clones("avx2", "default")))
static void distances(rv_senone *s, int cb, int f, const float *z)
{
    const float *mt = s->mt + (size_t)cb * s->cb_stride + s->off[f];
    const float *it = s->it + (size_t)cb * s->cb_stride + s->off[f];
    const float *det = s->det + ((size_t)cb * s->n_feat + f) * s->n_pad;
    int len = s->veclen[f], n = s->n_pad;
    for (int d = 0; d < n; d += LANES) {
        vf acc, m, v;
        memcpy(&acc, det + d, sizeof acc);
        for (int k = 0; k < len; k++) {
            memcpy(&m, mt + (size_t)k * n + d, sizeof m);
            memcpy(&v, it + (size_t)k * n + d, sizeof v);
            vf diff = z[k] - m;
            vf sq = diff * diff;
            vf c = sq * v;
            acc = acc - c;
        }
        memcpy(s->dist + d, &acc, sizeof acc);
    }
}

/* The top-N codewords of one codebook and stream, PocketSphinx's way: the
 * previous frame's codewords re-scored and sorted, then every density that
 * reaches the worst of them taken in, in density order. */
static void top_n(rv_senone *s, topn_t *top)
{
    int n = s->topn;
    for (int i = 0; i < n; i++) {
        topn_t t = {top[i].cw, (int32_t)s->dist[top[i].cw]};
        int j = i - 1;
        for (; j >= 0 && t.score > top[j].score; j--) top[j + 1] = top[j];
        top[j + 1] = t;
    }
    for (int d = 0; d < s->n_dens; d++) {
        float dd = s->dist[d];
        if (!(dd >= (float)top[n - 1].score)) continue;
        int here = 0;
        for (int i = 0; i < n && !here; i++) here = top[i].cw == d;
        if (here) continue;
        int32_t sc = (int32_t)dd;
        int j = n - 2;
        for (; j >= 0 && sc >= top[j].score; j--) top[j + 1] = top[j];
        top[j + 1] = (topn_t){d, sc};
    }
}

/* Each senone's score from its codebook's top-N codewords: per stream the
 * mixture weight plus the codeword's score, the N log-added in order with
 * PocketSphinx's 8-bit table, the streams summed. Into s->scores; returns the
 * best (lowest). This is the plain version ... */
static int senones_scalar(rv_senone *s)
{
    int n = s->topn, best = 0x7fffffff;
    for (int cb = 0; cb < s->n_cb; cb++) {
        int count = s->cb_count[cb], pad = s->cb_pad[cb];
        int16_t *acc = s->vacc;
        const uint8_t *base = s->mixw + s->cb_off[cb];
        for (int j = 0; j < count; j++) acc[j] = 0;
        for (int f = 0; f < s->n_feat; f++) {
            const topn_t *t = s->top + ((size_t)cb * s->n_feat + f) * n;
            for (int j = 0; j < count; j++) {
                int fden = base[((size_t)f * s->n_dens + t[0].cw) * pad + j] + t[0].score;
                for (int k = 1; k < n; k++) {
                    int x = base[((size_t)f * s->n_dens + t[k].cw) * pad + j] + t[k].score;
                    int lo = fden < x ? fden : x, d = fden < x ? x - fden : fden - x;
                    fden = lo - s->add[d < 512 ? d : 511]; /* PocketSphinx's fast 8-bit log addition */
                }
                acc[j] = (int16_t)(acc[j] + fden);
            }
        }
        for (int j = 0; j < count; j++) {
            if (acc[j] < best) best = acc[j];
            s->scores[s->cb_sens[s->cb_first[cb] + j]] = acc[j];
        }
    }
    return best;
}

/* ... and this the same sixteen senones at a time, the table lookup as a
 * count of the steps below the difference (exact for a table of steps). All
 * values stay within 16 bits: a weight plus a codeword score is at most 255,
 * three streams at most 765. */
__attribute__((target_clones("avx2", "default")))
static int senones_vector(rv_senone *s)
{
    int n = s->topn, best = 0x7fffffff;
    for (int cb = 0; cb < s->n_cb; cb++) {
        int count = s->cb_count[cb], pad = s->cb_pad[cb], nv = pad / SLANES;
        const uint8_t *base = s->mixw + s->cb_off[cb];
        vh *acc = (vh *)s->vacc;
        for (int v = 0; v < nv; v++) acc[v] = (vh){0};
        for (int f = 0; f < s->n_feat; f++) {
            const topn_t *t = s->top + ((size_t)cb * s->n_feat + f) * n;
            const uint8_t *row[MAX_TOPN];
            for (int k = 0; k < n; k++) row[k] = base + ((size_t)f * s->n_dens + t[k].cw) * pad;
            for (int v = 0; v < nv; v++) {
                vb w;
                memcpy(&w, row[0] + v * SLANES, sizeof w);
                vh fden = __builtin_convertvector(w, vh) + (int16_t)t[0].score;
                for (int k = 1; k < n; k++) {
                    memcpy(&w, row[k] + v * SLANES, sizeof w);
                    vh x = __builtin_convertvector(w, vh) + (int16_t)t[k].score;
                    vh lt = fden < x;
                    vh lo = (fden & lt) | (x & ~lt);
                    vh diff = fden - x;
                    vh neg = diff < 0;
                    vh d = (diff ^ neg) - neg;
                    vh add = {0};
                    for (int i = 0; i < s->n_levels; i++) add -= d < s->thr[i];
                    fden = lo - add;
                }
                acc[v] += fden;
            }
        }
        const int16_t *a = s->vacc;
        for (int j = 0; j < count; j++) {
            if (a[j] < best) best = a[j];
            s->scores[s->cb_sens[s->cb_first[cb] + j]] = a[j];
        }
    }
    return best;
}

static void score_frame(rv_senone *s, float **z)
{
    int n = s->topn;
    for (int cb = 0; cb < s->n_cb; cb++)
        for (int f = 0; f < s->n_feat; f++) {
            distances(s, cb, f, z[f]);
            top_n(s, s->top + ((size_t)cb * s->n_feat + f) * n);
        }
    /* normalise each stream by its best codeword over all codebooks */
    for (int f = 0; f < s->n_feat; f++) {
        int32_t norm = WORST_SCORE;
        for (int cb = 0; cb < s->n_cb; cb++) {
            int32_t b = s->top[((size_t)cb * s->n_feat + f) * n].score >> SCORE_SHIFT;
            if (norm < b) norm = b;
        }
        for (int cb = 0; cb < s->n_cb; cb++) {
            topn_t *t = s->top + ((size_t)cb * s->n_feat + f) * n;
            for (int k = 0; k < n; k++) {
                int32_t v = -((t[k].score >> SCORE_SHIFT) - norm);
                t[k].score = v > MAX_NEG_ASCR ? MAX_NEG_ASCR : v;
            }
        }
    }
    int best = s->n_levels ? senones_vector(s) : senones_scalar(s);
    for (int sen = 0; sen < s->n_sen; sen++) s->scores[sen] = (int16_t)(s->scores[sen] - best);
    /* the codebooks' normalised scores stay in s->top: PocketSphinx too
     * starts the next frame from them (it re-scores their codewords) */
}

rv_err rv_senone_write(rv_senone *s, float ***feat, int n_frames, FILE *out, rv_error *err)
{
    char nsen[32], base[64];
    snprintf(nsen, sizeof nsen, "%d", s->n_sen);
    snprintf(base, sizeof base, "%f", s->logbase);
    if (bio_writehdr(out, "version", "0.1", "mdef_file", s->mdef, "n_sen", nsen, "logbase", base, NULL) < 0)
        return rv_error_set(err, RV_ERR_IO, "cannot write the senone scores");
    int16_t count = (int16_t)s->n_sen;
    reset_top(s);
    for (int t = 0; t < n_frames; t++) {
        score_frame(s, feat[t]);
        if (fwrite(&count, sizeof count, 1, out) != 1 ||
            fwrite(s->scores, sizeof *s->scores, (size_t)s->n_sen, out) != (size_t)s->n_sen)
            return rv_error_set(err, RV_ERR_IO, "cannot write the senone scores");
    }
    return RV_OK;
}
