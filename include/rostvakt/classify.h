/* Voicemail flags for the records officer: empty, ephemeral or possible
 * public record, with the reasons and the evidence. rostvakt flags; a person
 * decides. */
#ifndef RV_CLASSIFY_H
#define RV_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "rostvakt/err.h"

typedef enum { RV_VM_EMPTY, RV_VM_EPHEMERAL, RV_VM_POSSIBLE_PUBLIC_RECORD } rv_vm_class;

typedef enum {
    RV_VMR_NO_SPEECH,      /* a hang-up: silence, tones, noise */
    RV_VMR_CASE_WORDS,     /* a case word was found */
    RV_VMR_LONG_MESSAGE,   /* more speech than a call-back request needs */
    RV_VMR_SHORT_MESSAGE   /* short, and no case word */
} rv_vm_reason;

typedef struct {
    char word[64];
    double at_s;
    double score;
} rv_keyword_hit;

/* The case-word list: one word or phrase a line, '#' comments. New *out
 * (free()), *n entries of 64 bytes. RV_ERR_IO or RV_ERR_CONFIG (empty list,
 * a line too long). */
RV_MUST_USE rv_err rv_case_words_load(const char *path, char (**out)[64], size_t *n, rv_error *err);

/* Classify: no speech is empty; a case word or more than long_speech_s of
 * speech is a possible public record; anything else is ephemeral. *reasons
 * gets the bit set (1u << rv_vm_reason). Pure function. */
rv_vm_class rv_classify_voicemail(int has_speech, double speech_s, size_t n_hits,
                                  double long_speech_s, uint32_t *reasons);

const char *rv_vm_class_name(rv_vm_class c);
const char *rv_vm_reason_name(rv_vm_reason r);

#endif
