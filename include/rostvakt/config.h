/* rostvakt configuration: one table of settings with defaults, read from a
 * config file, then RV_* environment variables, then command-line flags;
 * resolved (paths that default to the installed models) and validated once,
 * then treated as immutable. The table also says which settings change a
 * greeting's verdict: they make up the models version. */
#ifndef RV_CONFIG_H
#define RV_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "rostvakt/err.h"

#define RV_CONFIG_STR_MAX 1024

typedef struct rv_config_s {
    char listen[RV_CONFIG_STR_MAX];   /* serve: "127.0.0.1:8440" */
    char data_dir[RV_CONFIG_STR_MAX]; /* the archive */
    char store[RV_CONFIG_STR_MAX];    /* "sqlite" or a PostgreSQL URI / connection string */
    int64_t store_allow_async_commit; /* 1: PostgreSQL's synchronous_commit may be off */
    char tokens[RV_CONFIG_STR_MAX];   /* serve: the tokens file */
    int64_t http_workers;           /* serve: HTTP threads */
    int64_t greeting_workers;       /* serve: greeting analyses at once (0: a CPU core each) */
    int64_t analysis_workers;       /* serve: voicemail analysis threads (0: none) */
    int64_t analysis_lease;         /* serve: seconds a claimed analysis is a worker's */
    int64_t max_json_bytes;         /* serve: larger JSON bodies get 413 */
    int64_t http_header_timeout;    /* serve: seconds to send the headers */
    int64_t http_body_timeout;      /* serve: seconds to send the body */
    int64_t http_body_budget;       /* serve: bytes of bodies held at once */
    char web_dir[RV_CONFIG_STR_MAX];  /* serve: the web app's files */
    int64_t session_idle_timeout;   /* serve: seconds a session lasts idle */
    int64_t session_max_age;        /* serve: seconds a session lasts at most */
    int64_t session_cookie_secure;  /* serve: 1: the cookie is Secure */
    char trusted_proxy[RV_CONFIG_STR_MAX]; /* serve: whose user header counts */
    char trusted_user_header[RV_CONFIG_STR_MAX];
    char users_file[RV_CONFIG_STR_MAX]; /* serve: proxy users' roles */
    char proxy_groups_header[RV_CONFIG_STR_MAX]; /* serve: the header of the proxy user's groups ("": none) */
    char proxy_group_orgs[RV_CONFIG_STR_MAX];    /* serve: "group=org,org; ..." */
    char proxy_group_units[RV_CONFIG_STR_MAX];   /* serve: "group=Unit[@org]; ..." */
    char metrics_access[RV_CONFIG_STR_MAX]; /* serve: "loopback", "token" or "open" */
    char mail_smtp_url[RV_CONFIG_STR_MAX];  /* sweep --mail: smtp://HOST:PORT or smtps://... ("": no mail) */
    char mail_from[RV_CONFIG_STR_MAX];      /* sweep --mail: the sender's address */
    char mail_auth_file[RV_CONFIG_STR_MAX]; /* sweep --mail: user and password lines, mode 0600 ("": none) */
    char mail_ca_file[RV_CONFIG_STR_MAX];   /* sweep --mail: CA certificates for the mail server ("": the system's) */
    char mail_officers[RV_CONFIG_STR_MAX];  /* sweep --mail: the records officers' addresses, comma-separated */
    char public_url[RV_CONFIG_STR_MAX];     /* the web app's address as people reach it, for links in mail */
    int64_t mail_when_nothing;      /* sweep --mail: 1: mail a unit's managers even when nothing is to be done */
    int64_t max_audio_bytes;        /* largest accepted recording, bytes */
    double max_audio_seconds;       /* longest accepted recording */
    double greeting_max_seconds;    /* serve: longest accepted greeting */
    int64_t max_queue;              /* serve: waiting analyses before 503 */
    int64_t review_sample_every;    /* serve: one in this many sure verdicts offered for review (0: none) */
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
    double asr_name_confidence_slope, asr_phrase_confidence_slope, asr_closing_confidence_slope;
    double verdict_min_confidence;  /* below: unsure */
    double name_template_max_distance; /* the owner's recorded name fits: stated (mel cepstra) */
    double name_template_max_posterior_distance; /* the same on posteriorgrams (postgram.h) */
    char case_words[RV_CONFIG_STR_MAX]; /* "" : models_dir/case-words.sv */
    char models_dir[RV_CONFIG_STR_MAX];  /* "" : next to the binary */
    char profile_dirs[RV_CONFIG_STR_MAX]; /* "" : models_dir/profiles */
    char asr_adaptation[RV_CONFIG_STR_MAX]; /* "" : models_dir/en-us-tel.mllr; "none" */
} rv_config;

/* Fill cfg with the built-in defaults. Never fails. */
void rv_config_defaults(rv_config *cfg);

/* Apply a "name = value" file (NULL: none), then RV_<NAME> environment
 * variables, over what cfg holds. Errors name the file, line and setting. */
RV_MUST_USE rv_err rv_config_load(rv_config *cfg, const char *path, rv_error *err);

/* Apply a "name = value" file alone (no environment): an installation's
 * calibration (RV_CALIBRATION_FILE in the data directory). */
#define RV_CALIBRATION_FILE "calibration.conf"
/* The installation's own channel adaptation in the data directory (rostvakt
 * adapt: a link to the adaptation in use), used when asr_adaptation is empty. */
#define RV_ADAPTATION_FILE "models/current.mllr"
RV_MUST_USE rv_err rv_config_load_file(rv_config *cfg, const char *path, rv_error *err);

/* Set one setting by name from its text form (as a flag would). */
RV_MUST_USE rv_err rv_config_set(rv_config *cfg, const char *name, const char *value,
                                 rv_error *err);

/* Check ranges and relations; call once after the last rv_config_set. */
RV_MUST_USE rv_err rv_config_validate(const rv_config *cfg, rv_error *err);

/* Write every setting as "name = value  # help" lines; settings that change
 * a greeting's verdict are marked "[verdicts]". */
void rv_config_print(const rv_config *cfg, FILE *out);

/* The settings table as a Markdown table of name, default, whether it
 * changes verdicts, and help: the README's configuration section. */
void rv_config_print_markdown(FILE *out);

/* Fill what defaults to the installed models: models_dir (models/ beside
 * the source tree the binary was built in, else the share directory),
 * profile_dirs, asr_adaptation and case_words under it. Call once after the
 * last rv_config_set and before rv_config_validate. */
void rv_config_resolve(rv_config *cfg);

/* The channel adaptation's path, or NULL for "none". */
const char *rv_config_mllr(const rv_config *cfg);

/* A fingerprint (16 hex digits) of revision and every setting that changes
 * a greeting's verdict: values, and for files the contents (the phone maps
 * in models_dir, the adaptation matrix). cfg resolved. */
void rv_config_fingerprint(const rv_config *cfg, const char *revision, char out[17]);

/* The settings table, for documentation and tests. */
typedef enum { RV_SETTING_INT, RV_SETTING_DOUBLE, RV_SETTING_STRING } rv_setting_type;
typedef struct {
    const char *name, *def, *help;
    rv_setting_type type;
    double min, max;
    int affects_verdicts; /* part of rv_config_fingerprint */
    int names_file;       /* ... by the contents of the file it names */
    int names_models;     /* ... by the phone maps in the directory it names */
} rv_setting_info;
size_t rv_config_count(void);
/* 1 and *out filled for i < rv_config_count(), else 0. */
int rv_config_info(size_t i, rv_setting_info *out);

#endif
