/* Swedish pronunciations: espeak-ng (the only user of libespeak-ng) turns a
 * word into IPA phonemes, the phone map turns those into ARPAbet phones with
 * alternatives, and a few variants are made by swapping one uncertain phone. */
#include "rostvakt/lexicon.h"

#include "rostvakt/swedish.h"
#include "rostvakt/textfile.h"

#include <ctype.h>
#include <espeak-ng/speak_lib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAP_MAX 128
#define ALT_MAX 4

typedef struct {
    char token[16];
    size_t n_alts;
    char alts[ALT_MAX][24]; /* "" means: dropped */
} map_entry;

typedef struct {
    map_entry map[MAP_MAX];
    size_t n_map;
} phone_map;

struct rv_lexicon {
    phone_map maps[2]; /* by rv_vocab */
    char voice[16];    /* espeak-ng's voice: "sv" */
};

static pthread_mutex_t espeak_lock = PTHREAD_MUTEX_INITIALIZER;
static int espeak_users;
static char espeak_voice[16]; /* the voice espeak-ng has now (under espeak_lock) */

typedef struct {
    phone_map *lex;
    const char *path;
} map_ctx;

static rv_err map_line(char *s, int lineno, void *user, rv_error *err)
{
    map_ctx *c = user;
    phone_map *lex = c->lex;
    char *sp = s;
    while (*sp && !isspace((unsigned char)*sp)) sp++;
    if (!*sp || lex->n_map == MAP_MAX || (size_t)(sp - s) >= sizeof lex->map[0].token)
        return rv_error_set(err, RV_ERR_CONFIG, "%s:%d: expected 'phoneme PHONES [| PHONES]'",
                            c->path, lineno);
    map_entry *m = &lex->map[lex->n_map];
    memset(m, 0, sizeof *m);
    memcpy(m->token, s, (size_t)(sp - s));
    char *save = NULL;
    for (char *alt = strtok_r(sp, "|", &save); alt; alt = strtok_r(NULL, "|", &save)) {
        alt = rv_trim(alt);
        if (m->n_alts == ALT_MAX || strlen(alt) >= sizeof m->alts[0] || !*alt)
            return rv_error_set(err, RV_ERR_CONFIG, "%s:%d: bad alternative for '%s'", c->path,
                                lineno, m->token);
        for (const char *p = alt; *p; p++)
            if (!isupper((unsigned char)*p) && *p != ' ' && strcmp(alt, "-") != 0)
                return rv_error_set(err, RV_ERR_CONFIG,
                                    "%s:%d: '%s' is not a list of ARPAbet phones", c->path,
                                    lineno, alt);
        snprintf(m->alts[m->n_alts++], sizeof m->alts[0], "%s", strcmp(alt, "-") ? alt : "");
    }
    lex->n_map++;
    return RV_OK;
}

static rv_err load_map(phone_map *lex, const char *path, rv_error *err)
{
    memset(lex, 0, sizeof *lex);
    map_ctx c = {lex, path};
    rv_err rc = rv_textfile_each(path, RV_ERR_IO, map_line, &c, err);
    if (rc == RV_OK && lex->n_map == 0) rc = rv_error_set(err, RV_ERR_CONFIG, "%s: no phonemes", path);
    return rc;
}

rv_err rv_lexicon_open(const char *map_path, rv_lexicon **out, rv_error *err)
{
    return rv_lexicon_open_voice(map_path, "sv", out, err);
}

rv_err rv_lexicon_open_voice(const char *map_path, const char *voice, rv_lexicon **out, rv_error *err)
{
    *out = NULL;
    if (strlen(voice) >= sizeof espeak_voice) return rv_error_set(err, RV_ERR_ARG, "no espeak-ng voice '%s'", voice);
    rv_lexicon *lex = calloc(1, sizeof *lex);
    if (!lex) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    rv_err rc = load_map(&lex->maps[RV_VOCAB_FIXED], map_path, err);
    if (rc != RV_OK) { free(lex); return rc; }
    lex->maps[RV_VOCAB_DIRECTORY] = lex->maps[RV_VOCAB_FIXED];
    snprintf(lex->voice, sizeof lex->voice, "%s", voice);
    pthread_mutex_lock(&espeak_lock);
    if (espeak_users == 0) {
        espeak_voice[0] = '\0';
        if (espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL, espeakINITIALIZE_DONT_EXIT) < 0)
            rc = rv_error_set(err, RV_ERR_INTERNAL, "espeak-ng could not be initialised");
    }
    if (rc == RV_OK && strcmp(espeak_voice, voice) != 0) {
        if (espeak_SetVoiceByName(voice) != EE_OK) {
            espeak_voice[0] = '\0'; /* whatever it holds now, the next use sets its own */
            rc = strcmp(voice, "sv") == 0 ? rv_error_set(err, RV_ERR_INTERNAL, "espeak-ng has no Swedish voice (sv)")
                                          : rv_error_set(err, RV_ERR_INTERNAL, "espeak-ng has no voice '%s'", voice);
        } else
            snprintf(espeak_voice, sizeof espeak_voice, "%s", voice);
    }
    if (rc == RV_OK) espeak_users++;
    else if (espeak_users == 0) espeak_Terminate();
    pthread_mutex_unlock(&espeak_lock);
    if (rc != RV_OK) { free(lex); return rc; }
    *out = lex;
    return RV_OK;
}

void rv_lexicon_free(rv_lexicon *lex)
{
    if (!lex) return;
    pthread_mutex_lock(&espeak_lock);
    if (--espeak_users == 0) espeak_Terminate();
    pthread_mutex_unlock(&espeak_lock);
    free(lex);
}

rv_err rv_lexicon_load_directory_map(rv_lexicon *lex, const char *path, rv_error *err)
{
    phone_map *m = malloc(sizeof *m);
    if (!m) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    rv_err rc = load_map(m, path, err);
    if (rc == RV_OK) lex->maps[RV_VOCAB_DIRECTORY] = *m;
    free(m);
    return rc;
}

rv_err rv_lexicon_open_models(const char *models_dir, rv_lexicon **out, rv_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" RV_FIXED_MAP, models_dir);
    rv_err rc = rv_lexicon_open(path, out, err);
    if (rc != RV_OK) return rc;
    snprintf(path, sizeof path, "%s/" RV_DIRECTORY_MAP, models_dir);
    rc = rv_lexicon_load_directory_map(*out, path, err);
    if (rc != RV_OK) {
        rv_lexicon_free(*out);
        *out = NULL;
    }
    return rc;
}

static const map_entry *lookup(const phone_map *lex, const char *tok)
{
    for (size_t i = 0; i < lex->n_map; i++)
        if (strcmp(lex->map[i].token, tok) == 0) return &lex->map[i];
    return NULL;
}

/* espeak-ng's phonemes for one word in voice, tokens separated by '_'. */
static void phonemes(const char *voice, const char *word, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    pthread_mutex_lock(&espeak_lock);
    /* another lexicon may have another voice (opened with it, so it exists) */
    if (strcmp(espeak_voice, voice) != 0 && espeak_SetVoiceByName(voice) == EE_OK)
        snprintf(espeak_voice, sizeof espeak_voice, "%s", voice);
    const void *t = word;
    while (t && o + 1 < cap) {
        const char *p = espeak_TextToPhonemes(&t, espeakCHARS_UTF8, 0x02 | ('_' << 8));
        if (!p) break;
        for (; *p && o + 1 < cap; p++) out[o++] = *p == ' ' ? '_' : *p;
        if (o + 1 < cap) out[o++] = '_';
    }
    out[o] = '\0';
    pthread_mutex_unlock(&espeak_lock);
}

static int append(char *dst, size_t cap, const char *phones)
{
    if (!*phones) return 1;
    size_t n = strlen(dst);
    int w = snprintf(dst + n, cap - n, "%s%s", n ? " " : "", phones);
    return w >= 0 && (size_t)w < cap - n;
}

/* The map entries of a word's espeak-ng phonemes (ipa), in order. */
static rv_err map_tokens(const phone_map *lex, const char *word, const char *ipa, const map_entry **toks,
                         size_t max, size_t *n, rv_error *err)
{
    char buf[RV_PRON_MAX];
    snprintf(buf, sizeof buf, "%s", ipa);
    size_t nt = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, "_", &save); tok; tok = strtok_r(NULL, "_", &save)) {
        /* Stress marks (ˈ ˌ, two bytes each) lead a token. */
        while (strncmp(tok, "ˈ", 2) == 0 || strncmp(tok, "ˌ", 2) == 0) tok += 2;
        /* "(en)" and "(sv)" mark espeak-ng's switch to another language for a
         * loan word; the phonemes themselves follow. */
        if (!*tok || tok[0] == '(') continue;
        const map_entry *m = lookup(lex, tok);
        if (!m) {
            /* A long consonant (kː): the plain one. */
            char base[32];
            snprintf(base, sizeof base, "%s", tok);
            char *len_mark = strstr(base, "ː");
            if (len_mark) *len_mark = '\0';
            m = lookup(lex, base);
        }
        if (!m) {
            return rv_error_set(err, RV_ERR_INTERNAL,
                                "no phone mapping for espeak-ng phoneme '%s' in '%s'", tok, word);
        }
        if (nt == max) return rv_error_set(err, RV_ERR_TOO_LARGE, "word '%s' is too long", word);
        toks[nt++] = m;
    }
    *n = nt;
    return RV_OK;
}

static rv_err pronounce_word(const phone_map *lex, rv_word_pron *wp, size_t max_variants,
                             rv_error *err)
{
    const map_entry *toks[96];
    size_t nt = 0;
    rv_err rc = map_tokens(lex, wp->word, wp->ipa, toks, sizeof toks / sizeof toks[0], &nt, err);
    if (rc != RV_OK) return rc;
    if (nt == 0) return rv_error_set(err, RV_ERR_ARG, "'%s' has no pronunciation", wp->word);
    /* Variant 0: every first alternative; then one uncertain phoneme at a time. */
    wp->n_prons = 0;
    for (long swap = -1; swap < (long)nt && wp->n_prons < max_variants; swap++) {
        if (swap >= 0 && toks[swap]->n_alts < 2) continue;
        char p[RV_PRON_MAX] = "";
        int ok = 1;
        for (size_t i = 0; i < nt && ok; i++)
            ok = append(p, sizeof p, toks[i]->alts[(long)i == swap ? 1 : 0]);
        if (!ok) return rv_error_set(err, RV_ERR_TOO_LARGE, "word '%s' is too long", wp->word);
        if (!*p) continue;
        int dup = 0;
        for (size_t k = 0; k < wp->n_prons; k++) dup |= strcmp(wp->prons[k], p) == 0;
        if (!dup) memcpy(wp->prons[wp->n_prons++], p, sizeof p);
    }
    return RV_OK;
}

rv_err rv_lexicon_pronounce(rv_lexicon *lex, const char *text, size_t max_variants,
                            rv_word_pron *out, size_t max_words, size_t *n_words,
                            rv_error *err)
{
    return rv_lexicon_pronounce_in(lex, RV_VOCAB_FIXED, text, max_variants, out, max_words, n_words, err);
}

rv_err rv_lexicon_pronounce_in(rv_lexicon *lex, rv_vocab vocab, const char *text, size_t max_variants,
                               rv_word_pron *out, size_t max_words, size_t *n_words, rv_error *err)
{
    const phone_map *map = &lex->maps[vocab == RV_VOCAB_DIRECTORY];
    *n_words = 0;
    if (max_variants < 1) max_variants = 1;
    if (max_variants > 8) max_variants = 8;
    if (!text || strlen(text) > 1024) return rv_error_set(err, RV_ERR_ARG, "phrase missing or too long");
    const char *p = text;
    while (*p) {
        while (*p && (isspace((unsigned char)*p) || strchr(",.;:!?\"()", *p))) p++;
        const char *s = p;
        while (*p && !isspace((unsigned char)*p) && !strchr(",.;:!?\"()", *p)) p++;
        if (p == s) continue;
        /* A trailing hyphen ("barn- och ...") is a written ellipsis. */
        size_t len = (size_t)(p - s);
        while (len && s[len - 1] == '-') len--;
        if (len == 0) continue;
        if (len >= RV_WORD_MAX) return rv_error_set(err, RV_ERR_ARG, "a word is longer than %d bytes", RV_WORD_MAX - 1);
        if (*n_words == max_words)
            return rv_error_set(err, RV_ERR_TOO_LARGE, "phrase has more than %zu words", max_words);
        rv_word_pron *wp = &out[*n_words];
        memset(wp, 0, sizeof *wp);
        rv_sv_lower(s, len, wp->word, sizeof wp->word);
        phonemes(lex->voice, wp->word, wp->ipa, sizeof wp->ipa);
        rv_err rc = pronounce_word(map, wp, max_variants, err);
        if (rc != RV_OK) return rc;
        (*n_words)++;
    }
    if (*n_words == 0) return rv_error_set(err, RV_ERR_ARG, "phrase has no words");
    return RV_OK;
}

rv_err rv_lexicon_phonemes(rv_lexicon *lex, const char *text, rv_phoneme *out, size_t max, size_t *n,
                           rv_error *err)
{
    *n = 0;
    rv_word_pron w[16];
    size_t nw;
    rv_err rc = rv_lexicon_pronounce(lex, text, 1, w, 16, &nw, err);
    for (size_t i = 0; rc == RV_OK && i < nw; i++) {
        const map_entry *toks[96];
        size_t nt;
        rc = map_tokens(&lex->maps[RV_VOCAB_FIXED], w[i].word, w[i].ipa, toks, 96, &nt, err);
        for (size_t k = 0; rc == RV_OK && k < nt; k++) {
            if (*n == max) return rv_error_set(err, RV_ERR_TOO_LARGE, "'%s' has too many phonemes", text);
            rv_phoneme *p = &out[(*n)++];
            memset(p, 0, sizeof *p);
            snprintf(p->token, sizeof p->token, "%s", toks[k]->token);
            p->word = (int)i;
            p->n_alts = toks[k]->n_alts;
            for (size_t j = 0; j < toks[k]->n_alts; j++) snprintf(p->alts[j], sizeof p->alts[j], "%s", toks[k]->alts[j]);
        }
    }
    return rc;
}
