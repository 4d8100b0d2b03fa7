/* The voicemail flag and the case-word list. */
#include "rostvakt/classify.h"

#include "rostvakt/textfile.h"

#include <stdlib.h>
#include <string.h>

const char *rv_vm_class_name(rv_vm_class c)
{
    switch (c) {
    case RV_VM_EMPTY: return "empty";
    case RV_VM_EPHEMERAL: return "ephemeral";
    case RV_VM_POSSIBLE_PUBLIC_RECORD: return "possible_public_record";
    }
    return "unknown";
}

const char *rv_vm_reason_name(rv_vm_reason r)
{
    switch (r) {
    case RV_VMR_NO_SPEECH: return "no_speech";
    case RV_VMR_CASE_WORDS: return "case_words";
    case RV_VMR_LONG_MESSAGE: return "long_message";
    case RV_VMR_SHORT_MESSAGE: return "short_message";
    }
    return "unknown";
}

rv_vm_class rv_classify_voicemail(int has_speech, double speech_s, size_t n_hits,
                                  double long_speech_s, uint32_t *reasons)
{
    *reasons = 0;
    if (!has_speech) {
        *reasons = 1u << RV_VMR_NO_SPEECH;
        return RV_VM_EMPTY;
    }
    if (n_hits) *reasons |= 1u << RV_VMR_CASE_WORDS;
    if (speech_s > long_speech_s) *reasons |= 1u << RV_VMR_LONG_MESSAGE;
    if (*reasons) return RV_VM_POSSIBLE_PUBLIC_RECORD;
    *reasons = 1u << RV_VMR_SHORT_MESSAGE;
    return RV_VM_EPHEMERAL;
}

typedef struct {
    const char *path;
    char (*words)[64];
    size_t n, cap;
} words_ctx;

static rv_err word_line(char *s, int lineno, void *user, rv_error *err)
{
    words_ctx *c = user;
    size_t len = strlen(s);
    if (len >= 64) return rv_error_set(err, RV_ERR_CONFIG, "%s:%d: longer than 63 bytes", c->path, lineno);
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        char (*nw)[64] = realloc(c->words, nc * sizeof *nw);
        if (!nw) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        c->words = nw;
        c->cap = nc;
    }
    memcpy(c->words[c->n++], s, len + 1);
    return RV_OK;
}

rv_err rv_case_words_load(const char *path, char (**out)[64], size_t *n, rv_error *err)
{
    *out = NULL;
    *n = 0;
    words_ctx c = {path, NULL, 0, 0};
    rv_err rc = rv_textfile_each(path, RV_ERR_IO, word_line, &c, err);
    if (rc == RV_OK && c.n == 0) rc = rv_error_set(err, RV_ERR_CONFIG, "%s: no words", path);
    if (rc != RV_OK) {
        free(c.words);
        return rc;
    }
    *out = c.words;
    *n = c.n;
    return RV_OK;
}
