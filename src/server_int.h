/* What the files of the service share: the server's state, the jobs that
 * HTTP threads hand to other threads, and the calls between the parts.
 * Not installed. http.c alone speaks libmicrohttpd; the others see a
 * connection as an opaque pointer that http.c suspends and resumes. */
#ifndef RV_SERVER_INT_H
#define RV_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

#include "rostvakt/analyze.h"
#include "rostvakt/asr.h"
#include "rostvakt/config.h"
#include "rostvakt/err.h"
#include "rostvakt/fingerprint.h"
#include "rostvakt/greeting.h"
#include "rostvakt/lexicon.h"
#include "rostvakt/server.h"
#include "rostvakt/store.h"
#include "rostvakt/session.h"
#include "rostvakt/sweep.h"
#include "rostvakt/token.h"
#include "route.h"
#include "identity.h"
#include "service_store.h"

/* ---- metrics (metrics.c): counters since start, shared by every thread ---- */

#define RV_LATENCY_BUCKETS 11

typedef struct {
    _Atomic unsigned long long status[6]; /* 1xx .. 5xx, [0] other */
    _Atomic unsigned long long latency[RV_LATENCY_BUCKETS + 1];
    _Atomic unsigned long long latency_us_sum, requests;
    _Atomic unsigned long long analyses, analysis_failures;
    _Atomic unsigned long long vm_class[3];                 /* rv_vm_class */
    _Atomic unsigned long long greetings[RV_OUTCOME__COUNT]; /* rv_greeting_outcome */
} rv_metrics;

void rv_metrics_status(rv_metrics *m, unsigned status);
void rv_metrics_latency(rv_metrics *m, double seconds);
/* The Prometheus text exposition, with queued as the queue's depth. */
void rv_metrics_write(const rv_metrics *m, long long queued, FILE *f);

/* ---- a job: work an HTTP thread hands over while its connection waits ---- */

/* How the one who handed work over learns of it: hold(arg) when the work
 * is taken, before any other thread can finish it (the HTTP layer suspends
 * the connection), done(arg) once it is finished (the connection resumes;
 * the work may be freed from then on). Called by the part that took it. */
typedef struct {
    void (*hold)(void *arg);
    void (*done)(void *arg);
    void *arg;
} rv_waiter;

/* RV_JOB_CHECK: a voicemail whose format must be decoded to be checked;
 * RV_JOB_PACKAGE: a voicemail's submission package for the e-archive */
typedef enum { RV_JOB_GREETING, RV_JOB_SWEEP, RV_JOB_NAME, RV_JOB_CHECK, RV_JOB_PACKAGE } rv_job_kind;

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
    int dry_run;
    rv_sweep_format format;
    /* a package: POST /v1/voicemails/{id}/package */
    long long voicemail;
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

/* A queue of jobs and the threads that take them. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    rv_job *head, **tail;
    int stopping;
    pthread_t *threads;
    unsigned n_threads;
} rv_job_queue;

/* ---- an upload waiting for the group commit (ingest.c) ---- */

#define RV_IDEM_KEY_MAX 200

typedef struct rv_pending {
    rv_vm_new v;
    rv_waiter waiter;                         /* told when it is taken and when it is committed */
    rv_audio_blob blob;
    char ext[24], caller[40], when[32], actor[RV_TOKEN_NAME_MAX + 1], remote[64], now[32];
    char idem[RV_IDEM_KEY_MAX + 1];           /* the Idempotency-Key, or "" */
    int done;                                 /* the committer filled in v.id / v.rc */
    struct rv_pending *next;
} rv_pending;

/* An analysis for the committer to record. */
typedef struct rv_finished {
    rv_vm_done d;
    int vm_class;                             /* rv_vm_class when analysed, else -1 */
    char *report;
    char now[32];
    struct rv_finished *next;
} rv_finished;

struct rv_server {
    rv_config cfg;
    struct MHD_Daemon *d;
    const rv_route *routes;           /* the API's (api_routes.c) */
    size_t n_routes;
    rv_identity *id;                          /* tokens, users, sessions */
    /* connections and their deadlines (http.c): a reaper thread shuts down
     * those too slow to send their headers or body */
    pthread_mutex_t conn_lock;
    pthread_cond_t conn_wake;
    struct rv_conn *conns;
    unsigned n_waiting;                       /* connections waiting for headers */
    _Atomic long long bodies_held;            /* bytes of request bodies held, at most cfg.http_body_budget */
    int reaper_stop, have_reaper;
    pthread_t reaper;
    rv_metrics metrics;
    char models_version[17];
    rv_service_store db;                      /* the request connection, the audit */
    /* analysis */
    rv_lexicon *lex;                          /* NULL: no phone map, nothing verified */
    char (*case_words)[64];
    size_t n_case_words;
    rv_fpdb *prompts;
    /* the decoder pool (workers.c): at most one decoder a greeting thread */
    rv_asr **idle;
    unsigned n_idle, n_decoders, max_decoders;
    pthread_mutex_t pool_lock;
    pthread_cond_t pool_free;
    /* voicemail analysis workers (workers.c) */
    pthread_t *workers;
    unsigned n_workers;
    pthread_mutex_t q_lock;
    pthread_cond_t q_wake;
    pthread_cond_t stop_wake;                 /* broadcast when the service stops (q_lock) */
    int stopping;
    long long claimed;                        /* workers take queued voicemails above this id (q_lock) */
    _Atomic long long queued;                 /* voicemails waiting for analysis */
    /* the group commit (ingest.c) */
    pthread_mutex_t gc_lock;
    pthread_cond_t gc_wake;
    rv_pending *gc_head, **gc_tail;
    rv_finished *fin_head, **fin_tail;
    _Atomic long long last_upload_ms;         /* when the committer last committed uploads (monotonic) */
    int gc_stopping, have_committer;
    pthread_t committer;
    /* greeting uploads, sweeps and packages, off the HTTP threads (workers.c) */
    rv_job_queue greetings, sweeps, packages;
    _Atomic int sweep_busy;                   /* one sweep at a time */
    pthread_t checkpointer;
    int have_checkpointer;
};

/* ---- http.c ---- */
rv_err rv_http_start(rv_server *s, unsigned *port, rv_error *err);
void rv_http_stop(rv_server *s);

/* ---- ingest.c ---- */
rv_err rv_ingest_start(rv_server *s, rv_error *err);
/* Stop after committing what was handed over. */
void rv_ingest_stop(rv_server *s);
/* Hand p to the committer (its waiter held); 0 when the service is
 * stopping (nothing held, p still the caller's). */
int rv_ingest_submit(rv_server *s, rv_pending *p);
/* Hand a finished analysis to the committer (taken over). */
void rv_ingest_finished(rv_server *s, rv_finished *f);

/* ---- server.c ---- */

/* ---- workers.c ---- */
rv_err rv_workers_start(rv_server *s, rv_error *err);
/* Stop the job threads (waiting jobs are answered "stopping"), then the
 * analysis workers. */
void rv_workers_stop_jobs(rv_server *s);
void rv_workers_stop_analysis(rv_server *s);
void rv_workers_free(rv_server *s);
/* Queue j (its waiter held); 0 when the service is stopping. */
int rv_job_submit(rv_server *s, rv_job *j);
/* Wake an idle analysis worker after an upload. */
void rv_workers_wake(rv_server *s);

#endif
