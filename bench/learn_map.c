/* Learns the phone map for directory entries: which US English phones the
 * acoustic model hears for each Swedish phoneme. In every greeting of a
 * labelled split (bench/make-asr-sets.sh; make learn-map uses its learn/
 * split) that states its name or unit, that name or unit is aligned as a phone
 * network in which each vowel may be any English vowel, an r one of R, D, L,
 * ER or nothing, a sj-, tj- or rs-sound one of six hushing phones, and every
 * other phoneme one of its alternatives in the hand-written base map
 * (models/sv-arpabet.map); the phones on the best paths are counted. The map
 * written (models/sv-arpabet-directory.map, for the directory's names, units
 * and organisations) keeps the base map's lines but gives each phoneme seen at
 * least MIN_SEEN times its most frequent phone first and the next one as the
 * alternative (when seen at least a fifth as often).
 *
 * The learn/ split has the tune split's voices and wordings but its own 40
 * names and 40 units, so the tune split, which chooses the thresholds, also
 * measures the map on words it never learned from. Measured there (TPR at
 * FPR <= 5 %, AUC): names weighed against the directory 0.89/0.918 with the
 * hand-written map -> 0.88/0.967, units 0.88/0.931 -> 0.91/0.956. Learned from
 * the tune split's own 20 names it fitted those and did worse on others.
 *
 * Consonants keep the base map's phones: with each allowed to become a near
 * one (b/p/v, d/t, s/z/sh/th, l/n/r ...) the alignment heard s as TH and f as
 * HH through the telephone band, and both names and units did worse.
 *
 * usage: learn_map [--base MAP] [--kind unit|name|both] [--half odd|even]
 *                  SPLIT_DIR [OUT]
 *        learn_map [--base MAP] [--voice V] [--r-like "T ..."] --real
 *                  [--without SPEAKER] REAL_DIR [OUT]
 * --half odd|even learns from half the mailboxes (which have their own
 * voices), for cross-validation. --real learns from the clips of real
 * recorded Swedish of bench/make-real-sets.sh instead (each word said in a
 * clip aligned, its first wording), --without leaving one speaker out
 * (bench/real-map.sh). --voice names another of espeak-ng's voices (the base
 * map must be for it) and --r-like the tokens learned as r is, for another
 * language's map (bench/make-es-sets.sh's learn/ sets: espeak-ng speaking
 * Spanish or French). Prints the counts; writes the map to OUT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rostvakt/analyze.h"
#include "rostvakt/asr.h"
#include "rostvakt/audio.h"
#include "rostvakt/fileio.h"
#include "rostvakt/config.h"
#include "rostvakt/lexicon.h"
#include "rostvakt/textfile.h"
#include "rostvakt/verify.h"

#define MIN_SEEN 6
#define MAX_TOK 128

static const char *const vowels[] = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER",
                                     "EY", "IH", "IY", "OW", "OY", "UH", "UW"};
static const char *const rs[] = {"R", "", "D", "L", "ER"};
static const char *const hush[] = {"SH", "HH", "S", "CH", "F", "ZH"};

typedef struct {
    char token[16];
    const char *cands[24];
    size_t n;
    int count[24];
    int ord[24]; /* candidates by count, most first */
    int seen;
} tally;

static tally tallies[MAX_TOK];
static size_t n_tallies;

static int is_vowel(const char *ph)
{
    for (size_t i = 0; i < sizeof vowels / sizeof *vowels; i++)
        if (strcmp(ph, vowels[i]) == 0) return 1;
    return 0;
}

/* Other tokens learned as r is (--r-like: another language's tap or uvular r). */
static const char *r_like_tokens;
static int r_like(const char *tok)
{
    if (!r_like_tokens) return 0;
    size_t n = strlen(tok);
    for (const char *p = r_like_tokens; *p;) {
        size_t l = strcspn(p, " ");
        if (l == n && strncmp(p, tok, n) == 0) return 1;
        p += l;
        p += *p == ' ';
    }
    return 0;
}

static tally *tally_of(const rv_phoneme *p)
{
    for (size_t i = 0; i < n_tallies; i++)
        if (strcmp(tallies[i].token, p->token) == 0) return &tallies[i];
    if (n_tallies == MAX_TOK) return NULL;
    tally *t = &tallies[n_tallies++];
    snprintf(t->token, sizeof t->token, "%s", p->token);
    const char *const *set = NULL;
    size_t n = 0;
    if (is_vowel(p->alts[0])) set = vowels, n = sizeof vowels / sizeof *vowels;
    else if (strcmp(p->token, "r") == 0 || r_like(p->token)) set = rs, n = sizeof rs / sizeof *rs;
    else if (!strcmp(p->alts[0], "SH")) set = hush, n = sizeof hush / sizeof *hush;
    if (set)
        for (size_t i = 0; i < n; i++) t->cands[t->n++] = set[i];
    else
        for (size_t i = 0; i < p->n_alts; i++) t->cands[t->n++] = strdup(p->alts[i]); /* kept to exit */
    return t;
}

static void align(rv_asr *asr, rv_lexicon *lex, const char *text)
{
    rv_phoneme ph[96];
    size_t n;
    rv_error e;
    if (rv_lexicon_phonemes(lex, text, ph, 96, &n, &e) != RV_OK) { fprintf(stderr, "%s: %s\n", text, e.msg); return; }
    const char *const *cands[96];
    size_t nc[96];
    tally *t[96];
    for (size_t i = 0; i < n; i++) {
        t[i] = tally_of(&ph[i]);
        if (!t[i]) { fprintf(stderr, "too many phonemes\n"); exit(1); }
        cands[i] = t[i]->cands;
        nc[i] = t[i]->n;
    }
    int choice[96];
    if (rv_asr_align(asr, cands, nc, n, choice, &e) != RV_OK) { fprintf(stderr, "%s: %s\n", text, e.msg); exit(1); }
    for (size_t i = 0; i < n; i++)
        if (choice[i] >= 0) t[i]->count[choice[i]]++, t[i]->seen++;
}

typedef struct {
    rv_asr *asr;
    rv_lexicon *lex;
    const rv_analyzer *an;
    const char *dir, *half, *without;
    int names, units, files, real;
} learn_ctx;

/* One manifest line (file channel name unit name_said unit_said text prompted):
 * its stated name and unit aligned and counted. */
static rv_err learn_line(char *line, int lineno, void *user, rv_error *err)
{
    learn_ctx *c = user;
    if (lineno == 1) return RV_OK; /* header */
    char *f[7] = {0}, *r = line;
    for (int k = 0; k < 7 && r; k++) f[k] = strsep(&r, "\t");
    if (!f[c->real ? 3 : 5]) return rv_error_set(err, RV_ERR_CONFIG, "%s/manifest.tsv:%d is short", c->dir, lineno);
    int name = 0, unit = 0;
    if (c->real) { /* file speaker channel said(a|b/b2|c) ... */
        if (c->without && strcmp(f[1], c->without) == 0) return RV_OK;
    } else {
        name = c->names && atoi(f[4]), unit = c->units && atoi(f[5]);
        int box = atoi(f[0] + 1); /* gN-... */
        if ((!name && !unit) || (c->half && (box % 2 == 1) != (strcmp(c->half, "odd") == 0))) return RV_OK;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", c->dir, f[0]);
    rv_audio_limits lim = {20 << 20, 600};
    rv_pcm p;
    rv_report rep;
    double offset; /* the speech, as verification sees it */
    rv_err rc = rv_audio_decode_file(path, RV_AUDIO_AUTO, &lim, &p, err);
    if (rc != RV_OK) return rc;
    rc = rv_analyze_pcm(c->an, &p, RV_KIND_GREETING, &rep, err);
    if (rc == RV_OK) {
        rc = rv_verify_set_speech(c->asr, &p, &rep.signal, &offset, err);
        if (rc == RV_OK && name) align(c->asr, c->lex, f[2]);
        if (rc == RV_OK && unit) align(c->asr, c->lex, f[3]);
        for (char *w, *said = c->real ? f[3] : NULL; rc == RV_OK && said && (w = strsep(&said, "|"));) {
            char *alt = strchr(w, '/');
            if (alt) *alt = 0;
            if (*w) align(c->asr, c->lex, w);
        }
        rv_report_free(&rep);
    }
    rv_pcm_free(&p);
    if (isatty(2)) fprintf(stderr, "\r  %d files\033[K", ++c->files);
    return rc;
}

static int by_count(const void *x, const void *y, void *t)
{
    const int *c = ((tally *)t)->count, a = *(const int *)x, b = *(const int *)y;
    return c[a] != c[b] ? c[b] - c[a] : a - b; /* ties in the candidates' order */
}

static const char *phone_name(const char *ph) { return *ph ? ph : "-"; }

/* The base map's lines into out, each learned phoneme's phones replaced. */
static int write_map(const char *base, const char *out_path, const char *dir, const char *kind, const char *half)
{
    FILE *in = fopen(base, "r");
    if (!in) { perror(base); return 1; }
    rv_out o;
    rv_error e;
    if (rv_out_open(&o, out_path, 0644, &e) != RV_OK) { fprintf(stderr, "%s\n", e.msg); fclose(in); return 1; }
    FILE *out = o.f;
    fprintf(out, "# GENERATED by bench/learn_map (make learn-map) from %s and the %s of\n"
                 "# %s%s%s; edit the base map, not this file. For the directory's names, units and\n"
                 "# organisations. Phonemes the split showed at least %d times have the phones the\n"
                 "# acoustic model heard for them, most often first.\n#\n",
            base, strcmp(kind, "real") == 0 ? "words said in the clips" : strcmp(kind, "both") == 0 ? "names and units" : strcmp(kind, "unit") == 0 ? "units" : "names", dir,
            half ? ", mailboxes " : "", half ? half : "", MIN_SEEN);
    char line[512];
    while (fgets(line, sizeof line, in)) {
        char tok[32] = "";
        tally *t = NULL;
        if (line[0] != '#' && sscanf(line, "%31s", tok) == 1)
            for (size_t i = 0; i < n_tallies && !t; i++)
                if (strcmp(tallies[i].token, tok) == 0 && tallies[i].seen >= MIN_SEEN) t = &tallies[i];
        if (!t) { fputs(line, out); continue; }
        int top = t->count[t->ord[0]];
        int cols = 0; /* characters, not bytes: the tokens are IPA */
        for (const char *c = tok; *c; c++) cols += ((unsigned char)*c & 0xC0) != 0x80;
        fprintf(out, "%s%*s%s", tok, cols < 6 ? 6 - cols : 1, "", phone_name(t->cands[t->ord[0]]));
        if (t->n > 1 && t->count[t->ord[1]] && t->count[t->ord[1]] * 5 >= top)
            fprintf(out, " | %s", phone_name(t->cands[t->ord[1]]));
        fprintf(out, "\n");
    }
    fclose(in);
    if (rv_out_commit(&o, &e) != RV_OK) { fprintf(stderr, "%s\n", e.msg); return 1; }
    fprintf(stderr, "wrote %s\n", out_path);
    return 0;
}

int main(int argc, char **argv)
{
    const char *base = "models/sv-arpabet.map", *kind = "both", *half = NULL, *dir = NULL, *out_path = NULL;
    const char *without = NULL, *voice = "sv";
    int real = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--real") == 0) { real = 1; continue; }
        if (i + 1 < argc && strcmp(argv[i], "--without") == 0) { without = argv[++i]; continue; }
        if (i + 1 < argc && strcmp(argv[i], "--voice") == 0) { voice = argv[++i]; continue; }
        if (i + 1 < argc && strcmp(argv[i], "--r-like") == 0) { r_like_tokens = argv[++i]; continue; }
        if (i + 1 < argc && strcmp(argv[i], "--base") == 0) base = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--kind") == 0) kind = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--half") == 0) half = argv[++i];
        else if (argv[i][0] == '-') dir = NULL, i = argc;
        else if (!dir) dir = argv[i];
        else if (!out_path) out_path = argv[i];
        else dir = NULL, i = argc;
    }
    int learn_names = strcmp(kind, "name") == 0 || strcmp(kind, "both") == 0;
    int learn_units = strcmp(kind, "unit") == 0 || strcmp(kind, "both") == 0;
    if (!dir || (!learn_names && !learn_units) || (half && strcmp(half, "odd") && strcmp(half, "even"))) {
        fprintf(stderr, "usage: learn_map [--base MAP] [--kind unit|name|both] [--half odd|even] SPLIT_DIR [OUT]\n"
                        "       learn_map [--base MAP] [--voice V] [--r-like 'T ...'] --real [--without SPEAKER] "
                        "REAL_DIR [OUT]\n");
        return 64;
    }
    rv_lexicon *lex;
    rv_asr *asr;
    rv_error e;
    if (rv_lexicon_open_voice(base, voice, &lex, &e) != RV_OK ||
        rv_asr_open(NULL, "models/en-us-tel.mllr", lex, &asr, &e) != RV_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    rv_config cfg;
    rv_config_defaults(&cfg);
    rv_analyzer an = {&cfg, NULL};
    learn_ctx c = {asr, lex, &an, dir, half, without, learn_names, learn_units, 0, real};
    char mp[512];
    snprintf(mp, sizeof mp, "%s/manifest.tsv", dir);
    if (rv_textfile_each(mp, RV_ERR_IO, learn_line, &c, &e) != RV_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    if (isatty(2)) fprintf(stderr, "\n");
    for (size_t i = 0; i < n_tallies; i++) {
        tally *t = &tallies[i];
        for (size_t k = 0; k < t->n; k++) t->ord[k] = (int)k;
        qsort_r(t->ord, t->n, sizeof *t->ord, by_count, t);
        printf("%-6s %4d:", t->token, t->seen);
        for (size_t k = 0; k < t->n && t->count[t->ord[k]]; k++)
            printf(" %s %d", *t->cands[t->ord[k]] ? t->cands[t->ord[k]] : "-", t->count[t->ord[k]]);
        printf("\n");
    }
    int rc = out_path ? write_map(base, out_path, dir, real ? "real" : kind, real ? NULL : half) : 0;
    rv_asr_free(asr);
    rv_lexicon_free(lex);
    return rc;
}
