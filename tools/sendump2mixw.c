/* sendump2mixw SENDUMP N_SEN OUT: writes the mixture weights of a PocketSphinx
 * PTM model, which Debian ships only quantised in `sendump`, as the float
 * `mixture_weights` file SphinxTrain's bw needs. A sendump value q stands for
 * the weight base^-(q << 10) with base 1.0001 (8-bit log table, shift 10);
 * the layout after the header strings is [feature][codeword][senone]. The
 * output is SphinxTrain's binary "s3" format: [senone][feature][codeword]. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rd32(FILE *f, int32_t *v) { return fread(v, 4, 1, f) == 1; }

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: sendump2mixw SENDUMP N_SENONES OUT\n");
        return 64;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    int32_t n, n_feat = 0, n_cw = 0, n_sen = atoi(argv[2]), n_clust = 0, bits = 8;
    char line[1000];
    /* title, header, then "key value" strings until a zero length */
    for (int k = 0;; k++) {
        if (!rd32(f, &n) || n < 0 || n >= (int32_t)sizeof line) { fprintf(stderr, "bad header\n"); return 1; }
        if (n == 0 && k >= 2) break;
        if (fread(line, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "short header\n"); return 1; }
        line[n] = '\0';
        if (!strncmp(line, "feature_count ", 14)) n_feat = atoi(line + 14);
        if (!strncmp(line, "mixture_count ", 14)) n_cw = atoi(line + 14);
        if (!strncmp(line, "model_count ", 12)) n_sen = atoi(line + 12);
        if (!strncmp(line, "cluster_count ", 14)) n_clust = atoi(line + 14);
        if (!strncmp(line, "cluster_bits ", 13)) bits = atoi(line + 13);
    }
    int32_t rows = n_cw, cols = n_sen;
    if (n_clust == 0 && (!rd32(f, &rows) || !rd32(f, &cols))) { fprintf(stderr, "no dimensions\n"); return 1; }
    if (n_feat <= 0) n_feat = 3;
    if (n_cw <= 0) n_cw = rows;
    if (n_clust != 0 || bits != 8 || cols != n_sen || rows != n_cw || n_sen <= 0 || n_cw <= 0) {
        fprintf(stderr, "unsupported sendump: %d clusters, %d bits, %dx%d\n", n_clust, bits, rows, cols);
        return 1;
    }
    size_t total = (size_t)n_feat * n_cw * n_sen;
    uint8_t *q = malloc(total);
    float *w = malloc(total * sizeof *w);
    if (!q || !w || fread(q, 1, total, f) != total) { fprintf(stderr, "short data\n"); return 1; }
    fclose(f);
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
    FILE *out = fopen(argv[3], "wb");
    if (!out) { perror(argv[3]); return 1; }
    fprintf(out, "s3\nversion 1.0\nendhdr\n");
    uint32_t magic = 0x11223344;
    int32_t hdr[4] = {n_sen, n_feat, n_cw, (int32_t)total};
    int ok = fwrite(&magic, 4, 1, out) == 1 && fwrite(hdr, 4, 4, out) == 4 &&
             fwrite(w, sizeof *w, total, out) == total;
    if (fclose(out) != 0 || !ok) { perror(argv[3]); return 1; }
    free(q);
    free(w);
    fprintf(stderr, "sendump2mixw: %d senones x %d streams x %d codewords\n", n_sen, n_feat, n_cw);
    return 0;
}
