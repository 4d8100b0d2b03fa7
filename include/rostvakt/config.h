/* rostvakt configuration: one table of settings with defaults, read from a
 * config file, then RV_* environment variables, then command-line flags.
 * Validated once; treat the struct as immutable after start-up. */
#ifndef RV_CONFIG_H
#define RV_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "rostvakt/err.h"

#define RV_CONFIG_STR_MAX 1024

typedef struct rv_config_s {
    int64_t max_audio_bytes;        /* largest accepted recording, bytes */
    double max_audio_seconds;       /* longest accepted recording */
    int64_t max_queue;              /* serve: waiting analyses before 503 */
    double silence_dbfs;            /* frames quieter than this are silent */
    double quiet_dbfs;              /* no speech and no louder: silence */
    double greeting_min_speech_s;   /* less speech than this: missing */
    double voicemail_min_speech_s;  /* less speech than this: a hang-up */
    double voicemail_long_speech_s; /* more: a possible public record */
    char prompt_refs[RV_CONFIG_STR_MAX]; /* ':'-separated dirs or globs */
    double prompt_min_ref_seconds;  /* shorter references are ignored */
    double prompt_max_seconds;      /* prompts are sought in this prefix */
    double prompt_min_score;        /* fraction of reference hashes */
    int64_t prompt_min_hashes;      /* and at least this many */
    double asr_name_min_score;      /* per-phone ratio for a stated name */
    double asr_name_cohort_weight;  /* with other names known: less this times their best */
    double asr_name_cohort_min_score; /* ... and then this threshold */
    double asr_phrase_min_score;    /* ... for a unit, organisation, phrase: this */
    double asr_phrase_min_score_per_char; /* plus this for each of its characters */
    double asr_name_min_score_g711, asr_name_min_score_gsm; /* the three above for */
    double asr_name_cohort_min_score_g711, asr_name_cohort_min_score_gsm; /* G.711 and */
    double asr_phrase_min_score_g711, asr_phrase_min_score_gsm; /* GSM recordings */
    double asr_closing_min_score;   /* ... for a closing prompt */
    double asr_keyword_min_score;   /* ... for a voicemail's case word */
    double asr_absence_min_score;   /* ... for an absence phrase */
    double asr_date_min_score;      /* ... for an absence's end date and hour */
    char case_words[RV_CONFIG_STR_MAX]; /* "" : models_dir/case-words.sv */
    char models_dir[RV_CONFIG_STR_MAX];  /* "" : next to the binary */
    char profile_dirs[RV_CONFIG_STR_MAX]; /* "" : models_dir/profiles */
    char asr_adaptation[RV_CONFIG_STR_MAX]; /* "" : models_dir/en-us-tel.mllr; "none" */
} rv_config;

/* Fill cfg with the built-in defaults. Never fails. */
void rv_config_defaults(rv_config *cfg);

/* Apply a "name = value" file (NULL: none), then RV_<NAME> environment
 * variables, over what cfg holds. Errors name the file, line and setting. */
rv_err rv_config_load(rv_config *cfg, const char *path, rv_error *err);

/* Set one setting by name from its text form (as a flag would). */
rv_err rv_config_set(rv_config *cfg, const char *name, const char *value,
                     rv_error *err);

/* Check ranges and relations; call once after the last rv_config_set. */
rv_err rv_config_validate(const rv_config *cfg, rv_error *err);

/* Write every setting as "name = value  # help" lines. */
void rv_config_print(const rv_config *cfg, FILE *out);

#endif
