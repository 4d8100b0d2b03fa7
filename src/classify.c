/* The voicemail flag and the case-word list. */
#include "rostvakt/classify.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
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

rv_err rv_case_words_load(const char *path, char (**out)[64], size_t *n, rv_error *err)
{
    *out = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f) return rv_error_set(err, RV_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    char (*words)[64] = NULL;
    size_t cnt = 0, cap = 0;
    char line[256];
    int lineno = 0;
    rv_err rc = RV_OK;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *s = line;
        while (isspace((unsigned char)*s)) s++;
        size_t len = strlen(s);
        while (len && isspace((unsigned char)s[len - 1])) s[--len] = '\0';
        if (!len) continue;
        if (len >= 64) { rc = rv_error_set(err, RV_ERR_CONFIG, "%s:%d: longer than 63 bytes", path, lineno); break; }
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char (*nw)[64] = realloc(words, nc * sizeof *nw);
            if (!nw) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); break; }
            words = nw;
            cap = nc;
        }
        memcpy(words[cnt++], s, len + 1);
    }
    fclose(f);
    if (rc == RV_OK && cnt == 0) rc = rv_error_set(err, RV_ERR_CONFIG, "%s: no words", path);
    if (rc != RV_OK) { free(words); return rc; }
    *out = words;
    *n = cnt;
    return RV_OK;
}
