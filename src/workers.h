/* The service's work off the HTTP threads: jobs an HTTP thread hands over
 * while its connection waits (greetings, recorded names, voicemails to
 * decode, sweeps, packages), the threads that analyse queued voicemails,
 * and the WAL checkpointer. Not installed. */
#ifndef RV_WORKERS_H
#define RV_WORKERS_H

#include <stddef.h>

#include "decoders.h"
#include "ingest.h"
#include "metrics.h"
#include "service_store.h"
#include "rostvakt/config.h"
#include "rostvakt/fingerprint.h"
#include "rostvakt/sweep.h"

/* RV_JOB_CHECK: a voicemail whose format must be decoded to be checked;
 * RV_JOB_PACKAGE: a voicemail's submission package for the e-archive;
 * RV_JOB_HANDOVER: a voicemail handed to a person by mail */
typedef enum { RV_JOB_GREETING, RV_JOB_SWEEP, RV_JOB_NAME, RV_JOB_CHECK, RV_JOB_PACKAGE, RV_JOB_HANDOVER } rv_job_kind;

/* A job: work an HTTP thread hands over while its connection waits. */
typedef struct rv_job {
    rv_job_kind kind;
    rv_waiter waiter;                         /* told when it is taken and when it is done */
    char actor[RV_TOKEN_NAME_MAX + 1], remote[64];
    /* a greeting upload, PUT /v1/mailboxes/{ext}/greeting, or a recorded
     * name, PUT /v1/mailboxes/{ext}/name-recording */
    char ext[24];
    const char *body;                         /* the request's, alive while the job is */
    size_t len;
    const char *content_type;                 /* one of the accepted audio types */
    /* a sweep: POST /v1/sweeps */
    long date;
    char at[32];                              /* the run's instant, or "": date for every organisation */
    int dry_run;
    int ahead;                                /* of a day to come (allow_future): said in its audit row */
    rv_sweep_format format;
    /* a package: POST /v1/voicemails/{id}/package; a hand-over: .../handover */
    long long voicemail;
    char to[256];                             /* a hand-over: the address */
    char note[2048];                          /* and the note ("" none) */
    /* the answer: an error from the table (code, msg) or status and body */
    rv_err code;
    rv_error err;
    unsigned status;
    char *out;                                /* malloc()ed, or NULL */
    size_t out_len;
    const char *out_type;                     /* the body's Content-Type */
    char out_disposition[128];                /* its Content-Disposition, or "" */
    struct rv_job *next;
} rv_job;

typedef struct rv_workers rv_workers;

/* What the workers are given, borrowed while they live. */
typedef struct {
    const rv_config *cfg;
    rv_service_store *db;
    rv_metrics *metrics;
    rv_decoders *decoders;
    rv_lexicon *lex;                          /* NULL: nothing verified */
    const char (*case_words)[64];
    size_t n_case_words;
    rv_fpdb *prompts;
    const char *models_version;
    long long queued;                         /* voicemails waiting for analysis at start */
} rv_workers_opts;

/* The workers' state, no thread yet; new *out (rv_workers_free). */
RV_MUST_USE rv_err rv_workers_new(const rv_workers_opts *o, rv_workers **out, rv_error *err);
/* Start the threads, handing analyses to g. */
RV_MUST_USE rv_err rv_workers_start(rv_workers *w, rv_ingest *g, rv_error *err);
/* Stop the job threads (waiting jobs are answered "stopping"), then the
 * analysis workers (they hand what they hold to the committer first). */
void rv_workers_stop_jobs(rv_workers *w);
void rv_workers_stop_analysis(rv_workers *w);
/* Free (after both stops; joins the checkpointer). NULL is fine. */
void rv_workers_free(rv_workers *w);

/* Queue j (its waiter held); 0 when the service is stopping. */
int rv_job_submit(rv_workers *w, rv_job *j);
/* Voicemails waiting for analysis. */
long long rv_workers_queued(const rv_workers *w);
/* One more voicemail waits: count it and wake an idle worker. */
void rv_workers_uploaded(rv_workers *w);
/* A voicemail whose analysis was not recorded: analysed again (an
 * rv_unrecorded for ingest.c). */
void rv_workers_unrecorded(void *w, long long id);
/* 1 when no sweep ran and now one does (the caller's); 0 while one runs. */
int rv_workers_sweep_claim(rv_workers *w);
/* The claimed sweep was not handed over after all. */
void rv_workers_sweep_release(rv_workers *w);
/* 1 while a sweep asked for over HTTP waits or runs. */
int rv_workers_sweep_running(const rv_workers *w);

#endif
