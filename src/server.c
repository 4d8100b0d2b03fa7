/* The HTTP service on libmicrohttpd: a thread pool with connection limits and
 * timeouts; JSON errors {"error": {"code", "message"}} with the right status. */
#include "rostvakt/server.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rostvakt/analyze.h"
#include "rostvakt/audio.h"
#include "rostvakt/calendar.h"
#include "rostvakt/classify.h"
#include "rostvakt/config.h"
#include "rostvakt/fileio.h"
#include "rostvakt/greeting.h"
#include "rostvakt/lexicon.h"
#include "rostvakt/policy.h"
#include "rostvakt/report.h"
#include "rostvakt/store.h"
#include "rostvakt/sweep.h"
#include "rostvakt/verify.h"
#include "rostvakt/token.h"

struct rv_server {
    struct MHD_Daemon *d;
    rv_store *store;
    pthread_mutex_t store_lock; /* one SQLite connection, one transaction at a time */
    rv_tokens *tokens;
    size_t max_json;
    size_t max_audio;
    double max_audio_s;
    long long max_queue;
    /* the analysis of queued voicemails */
    pthread_t *workers;
    unsigned n_workers;
    pthread_mutex_t q_lock;
    pthread_cond_t q_wake;
    pthread_cond_t stop_wake; /* broadcast when the service stops (q_lock) */
    int stopping;
    char data_dir[4096], models_dir[4096];
    rv_config cfg;
    rv_lexicon *lex;
    char (*case_words)[64];
    size_t n_case_words;
    /* greetings are analysed synchronously, on the request's thread, with a
     * decoder borrowed from this pool (created on demand, at most one per
     * thread of the HTTP pool) */
    rv_fpdb *prompts;
    rv_asr **idle;
    unsigned n_idle, n_decoders, max_decoders;
    pthread_mutex_t pool_lock;
    pthread_cond_t pool_free;
    char models_version[17];
    /* group commit of voicemail uploads: the committer thread takes every
     * upload queued since its last round and commits them in one
     * transaction; their connections wait suspended, so no HTTP thread
     * blocks on a sync */
    pthread_mutex_t gc_lock;
    pthread_cond_t gc_wake;
    struct pending *gc_head, **gc_tail;
    struct finished *fin_head, **fin_tail; /* analyses to record, also by the committer */
    long long claimed; /* analysis workers take queued voicemails above this id (q_lock) */
    _Atomic long long last_upload_ms; /* when the committer last committed uploads (monotonic) */
    int gc_stopping, have_committer;
    pthread_t committer;
    _Atomic long long queued; /* voicemails waiting for analysis */
    /* greeting uploads wait (suspended) for one of these threads, as many
     * as there may be decoders, so no HTTP thread is busy for the second a
     * greeting's analysis takes */
    pthread_t *greeters;
    unsigned n_greeters;
    pthread_mutex_t job_lock;
    pthread_cond_t job_wake;
    struct request *job_head, **job_tail;
    int jobs_stopping;
    pthread_mutex_t sweep_lock; /* one sweep at a time */
    pthread_t checkpointer;
    int have_checkpointer;
};

/* One upload waiting for its commit, its connection suspended meanwhile:
 * what the row needs, kept for as long as the request lives. */
typedef struct pending {
    rv_vm_new v;
    struct MHD_Connection *conn;
    rv_audio_blob blob;
    char ext[24], caller[40], when[32], actor[RV_TOKEN_NAME_MAX + 1], remote[64], now[32];
    int done; /* the committer has filled in v.id / v.rc */
    struct pending *next;
} pending;

/* An analysis for the committer to record (the workers run at a low
 * priority and must not hold a lock the committer waits for). */
typedef struct finished {
    rv_vm_done d;
    char *report;
    char now[32];
    struct finished *next;
} finished;

typedef struct request {
    char *body;
    size_t len, cap, limit;
    int too_large;
    struct timespec start;
    pending *up; /* a voicemail upload handed to the committer */
    /* a greeting upload analysed on a greeting thread (its connection
     * suspended meanwhile): the answer it left */
    struct request *next_job;
    struct MHD_Connection *conn;
    char ext[24];
    int job; /* 1 handed over, 2 answered */
    unsigned out_status;
    char *out_body;
} request;

/* Metrics: counters shared by every thread. */
static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define N_BUCKETS (sizeof buckets / sizeof buckets[0])
static _Atomic unsigned long long m_status[6];      /* 1xx .. 5xx, [0] other */
static _Atomic unsigned long long m_latency[N_BUCKETS + 1];
static _Atomic unsigned long long m_latency_us_sum, m_requests;
static _Atomic unsigned long long m_analyses, m_analysis_failures;
/* verdicts since start: voicemail classifications, greeting outcomes */
static _Atomic unsigned long long m_vm_class[3];            /* empty, ephemeral, possible_public_record */
static _Atomic unsigned long long m_greetings[4];           /* compliant, noncompliant, missing, unverified */
static const char *const greeting_outcomes[] = {"compliant", "noncompliant", "missing", "unverified"};

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
    unsigned k = status / 100;
    m_status[k >= 1 && k <= 5 ? k : 0]++;
    return MHD_queue_response(c, status, r);
}

/* Set on a greeting thread: answers are kept for the request's own HTTP
 * thread to send once the connection is resumed. */
static _Thread_local struct request *capturing;

/* Send body (JSON text, taken over and freed), with one more header when
 * header is set. */
static enum MHD_Result send_body(struct MHD_Connection *c, unsigned status, char *body, const char *header,
                                 const char *value)
{
    if (!body) return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) { free(body); return MHD_NO; }
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    if (header) MHD_add_response_header(r, header, value);
    enum MHD_Result ret = queue(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (capturing) {
        free(capturing->out_body);
        capturing->out_body = s;
        capturing->out_status = status;
        return s ? MHD_YES : MHD_NO;
    }
    return send_body(c, status, s, NULL, NULL);
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *code, const char *msg)
{
    return send_json(c, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg));
}

static json_t *mailbox_json(const rv_mailbox *m)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ext", m->ext, "first_name", m->first_name, "last_name",
                     m->last_name, "unit", m->unit, "org", m->org, "profile", m->profile, "mobile", m->mobile);
}

/* The token name of the last authorised request on this thread, for the audit. */
static _Thread_local char actor[RV_TOKEN_NAME_MAX + 1];

/* 0 and a response queued when the caller may not; 1 when role is allowed
 * (actor then names the token). */
static int authorise(rv_server *s, struct MHD_Connection *c, unsigned allowed, enum MHD_Result *ret)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    rv_role role;
    char *name = actor;
    actor[0] = '\0';
    if (!h || strncmp(h, "Bearer ", 7) != 0 || !rv_tokens_check(s->tokens, h + 7, &role, name, sizeof actor)) {
        *ret = send_error(c, MHD_HTTP_UNAUTHORIZED, "unauthorized", "a valid bearer token is needed");
        return 0;
    }
    if (!(allowed & (1u << role))) {
        *ret = send_error(c, MHD_HTTP_FORBIDDEN, "forbidden", "this token's role may not do that");
        return 0;
    }
    return 1;
}

/* The client's address, for the audit ("" when unknown). */
static void remote_of(struct MHD_Connection *c, char remote[64])
{
    remote[0] = '\0';
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr, remote, 64);
}

/* Write an audit entry for the authorised actor; call with store_lock held. */
static void audit(rv_server *s, struct MHD_Connection *c, const char *action, long long vm, const char *ext,
                  const char *detail)
{
    char remote[64], now[32];
    remote_of(c, remote);
    rv_utc_now(now);
    rv_error e;
    if (rv_store_audit(s->store, now, actor, remote, action, vm, ext, detail, &e) != RV_OK)
        fprintf(stderr, "rostvakt: audit: %s\n", e.msg);
}

static enum MHD_Result mailbox(rv_server *s, struct MHD_Connection *c, const char *method, const char *ext,
                               request *rq)
{
    enum MHD_Result ret;
    rv_error e;
    rv_mailbox m;
    if (strcmp(method, "PUT") == 0) {
        if (!authorise(s, c, 1u << RV_ROLE_PBX | 1u << RV_ROLE_ADMIN, &ret)) return ret;
        if (rv_mailbox_parse(ext, rq->body, rq->len, &m, &e) != RV_OK)
            return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", e.msg);
        rv_profile prof;
        if (rv_profile_find(s->cfg.profile_dirs, m.profile, &prof, &e) != RV_OK)
            return send_error(c, MHD_HTTP_UNPROCESSABLE_CONTENT, "invalid_argument",
                              e.code == RV_ERR_NOT_FOUND || e.code == RV_ERR_ARG ? "profile: no such policy profile"
                                                                                 : e.msg);
        int created;
        char now[32];
        rv_utc_now(now);
        pthread_mutex_lock(&s->store_lock);
        rv_err rc = rv_store_put_mailbox(s->store, &m, now, &created, &e);
        if (rc == RV_OK) audit(s, c, created ? "mailbox_created" : "mailbox_updated", 0, m.ext, NULL);
        pthread_mutex_unlock(&s->store_lock);
        if (rc != RV_OK) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), e.msg);
        return send_json(c, created ? MHD_HTTP_CREATED : MHD_HTTP_OK, mailbox_json(&m));
    }
    if (strcmp(method, "GET") == 0) {
        if (!authorise(s, c, 1u << RV_ROLE_OFFICER | 1u << RV_ROLE_ADMIN, &ret)) return ret;
        if (!rv_ext_valid(ext)) return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", "ext must be 1 to 20 digits");
        rv_mb_query q = {.compliant = -1, .ext = ext, .limit = 1};
        json_t *items;
        int more;
        pthread_mutex_lock(&s->store_lock);
        rv_err rc = rv_store_list_mailboxes(s->store, &q, &items, &more, &e);
        pthread_mutex_unlock(&s->store_lock);
        if (rc != RV_OK) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), e.msg);
        json_t *one = json_incref(json_array_get(items, 0));
        json_decref(items);
        if (!one) return send_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such mailbox");
        return send_json(c, MHD_HTTP_OK, one);
    }
    return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "PUT or GET");
}

/* "/v1/mailboxes/{ext}/voicemails": *ext_out gets ext (up to 23 bytes). */
static int voicemail_url(const char *url, char *ext_out)
{
    const char *pre = "/v1/mailboxes/", *suf = "/voicemails";
    size_t pl = strlen(pre), sl = strlen(suf), ul = strlen(url);
    if (ul <= pl + sl || strncmp(url, pre, pl) != 0 || strcmp(url + ul - sl, suf) != 0) return 0;
    size_t el = ul - pl - sl;
    if (el > 23 || memchr(url + pl, '/', el)) return 0;
    if (ext_out) snprintf(ext_out, 24, "%.*s", (int)el, url + pl);
    return 1;
}

/* Requests whose body is audio (the audio size limit, not the JSON one). */
static int is_audio_upload(const char *url)
{
    size_t n = strlen(url), g = strlen("/greeting");
    return voicemail_url(url, NULL) ||
           (strncmp(url, "/v1/mailboxes/", 14) == 0 && n > 14 + g && strcmp(url + n - g, "/greeting") == 0);
}

/* RFC 3339: 2026-11-22T10:00:00Z, with optional fraction and ±hh:mm. With
 * utc, the same instant as "YYYY-MM-DDTHH:MM:SSZ" (so that text order is time
 * order in the archive). */

static int rfc3339_utc(const char *s, char utc[32])
{
    int y, mo, d, h, mi, sec, n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19) return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return 0;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') return 0;
        while (*p >= '0' && *p <= '9') p++;
    }
    int off = 0;
    if (*p == 'Z' || *p == 'z') {
        if (p[1] != '\0') return 0;
    } else {
        int oh, om, k = 0;
        if ((*p != '+' && *p != '-') || sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k) != 2 || k != 5) return 0;
        if (oh > 23 || om > 59 || p[6] != '\0') return 0;
        off = (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    }
    struct tm tm = {0};
    tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d, tm.tm_hour = h, tm.tm_min = mi;
    tm.tm_sec = sec > 59 ? 59 : sec;
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    if (back.tm_mday != d) return 0; /* 2026-02-30 */
    if (utc) {
        t -= off;
        gmtime_r(&t, &back);
        strftime(utc, 32, "%Y-%m-%dT%H:%M:%SZ", &back);
    }
    return 1;
}

static const char *const audio_types[] = {"audio/wav", "audio/x-wav", "audio/basic", "audio/flac",
                                          "application/octet-stream"};


/* The request's audio Content-Type as an index of audio_types; 0 and a 415
 * queued for any other. */
static int audio_type(struct MHD_Connection *c, size_t *k, enum MHD_Result *ret)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    char type[64] = "";
    if (ct) snprintf(type, sizeof type, "%.*s", (int)strcspn(ct, "; "), ct);
    for (*k = 0; *k < sizeof audio_types / sizeof *audio_types; ++*k)
        if (strcasecmp(type, audio_types[*k]) == 0) return 1;
    *ret = send_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_audio",
                      "Content-Type must be audio/wav, audio/x-wav, audio/basic, audio/flac or application/octet-stream");
    return 0;
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Analysis gives way to ingestion: while uploads keep arriving (one was
 * committed in the last UPLOAD_QUIET_MS) a worker rests three times as long
 * as its last analysis took (a quarter of its time analysing), unless the
 * queue is half full; so the PBX's answers seldom wait behind an analysis,
 * and the queue still drains, faster once the uploads pause. */
#define UPLOAD_QUIET_MS 100
#define BUSY_REST_FACTOR 3
static void give_way(rv_server *s, long long took_ms)
{
    if (now_ms() - s->last_upload_ms >= UPLOAD_QUIET_MS || s->queued >= s->max_queue / 2) return;
    long long rest = took_ms * BUSY_REST_FACTOR;
    if (rest > 2000) rest = 2000;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += rest / 1000;
    until.tv_nsec += (rest % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&s->q_lock);
    if (!s->stopping) pthread_cond_timedwait(&s->stop_wake, &s->q_lock, &until);
    pthread_mutex_unlock(&s->q_lock);
}

/* Record finished analyses in one transaction and free them. One that
 * cannot be recorded stays queued and is analysed again. */
static void record_analyses(rv_server *s, finished *f)
{
    size_t n = 0;
    for (finished *q = f; q; q = q->next) n++;
    rv_vm_done *d = n ? calloc(n, sizeof *d) : NULL;
    if (d) {
        size_t i = 0;
        for (finished *q = f; q; q = q->next) d[i++] = q->d;
        rv_error e;
        pthread_mutex_lock(&s->store_lock);
        rv_err rc = rv_store_finish_voicemails(s->store, d, n, &e);
        pthread_mutex_unlock(&s->store_lock);
        if (rc != RV_OK) fprintf(stderr, "rostvakt: cannot record %zu analyses: %s\n", n, e.msg);
        free(d);
    }
    for (finished *q = f, *next; q; q = next) {
        next = q->next;
        free(q->report);
        free(q);
    }
}

/* The committer: each round takes every upload queued so far, syncs their
 * audio and commits their rows and audit entries in one transaction, then
 * resumes their connections (after which a pending may be freed at any
 * time). Runs until the service stops and the queue is empty. */
static void *committer(void *arg)
{
    rv_server *s = arg;
    pthread_mutex_lock(&s->gc_lock);
    for (;;) {
        while (!s->gc_head && !s->fin_head && !s->gc_stopping) pthread_cond_wait(&s->gc_wake, &s->gc_lock);
        if (!s->gc_head && !s->fin_head) break; /* stopping, nothing left */
        pending *batch = s->gc_head;
        s->gc_head = NULL;
        s->gc_tail = &s->gc_head;
        finished *fin = s->fin_head;
        s->fin_head = NULL;
        s->fin_tail = &s->fin_head;
        pthread_mutex_unlock(&s->gc_lock);
        record_analyses(s, fin);
        if (!batch) {
            pthread_mutex_lock(&s->gc_lock);
            continue;
        }
        s->last_upload_ms = now_ms();
        size_t n = 0;
        for (pending *q = batch; q; q = q->next) n++;
        rv_vm_new *v = calloc(n, sizeof *v);
        rv_error e;
        if (v) {
            size_t i = 0;
            for (pending *q = batch; q; q = q->next) v[i++] = q->v;
            pthread_mutex_lock(&s->store_lock);
            rv_store_add_voicemails(s->store, v, n, &e);
            pthread_mutex_unlock(&s->store_lock);
        }
        size_t i = 0;
        for (pending *q = batch, *next; q; q = next) {
            next = q->next;
            if (v) q->v = v[i++];
            else q->v.rc = rv_error_set(&q->v.err, RV_ERR_NOMEM, "out of memory");
            struct MHD_Connection *c = q->conn;
            q->done = 1;
            MHD_resume_connection(c);
        }
        free(v);
        pthread_mutex_lock(&s->gc_lock);
    }
    pthread_mutex_unlock(&s->gc_lock);
    return NULL;
}

/* The answer to an upload the committer has dealt with. */
static enum MHD_Result upload_answer(rv_server *s, struct MHD_Connection *c, const pending *p)
{
    rv_err rc = p->v.rc;
    if (rc == RV_ERR_NOT_FOUND || rc == RV_ERR_ARG)
        return send_error(c, rc == RV_ERR_ARG ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_NOT_FOUND, rv_err_slug(rc),
                          p->v.err.msg);
    if (rc != RV_OK) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), p->v.err.msg);
    s->queued++;
    /* wake an idle analysis worker; one that holds the lock is busy and
     * looks at the queue again anyway (and a waiting one within a second) */
    if (pthread_mutex_trylock(&s->q_lock) == 0) {
        pthread_cond_signal(&s->q_wake);
        pthread_mutex_unlock(&s->q_lock);
    }
    char loc[64];
    snprintf(loc, sizeof loc, "/v1/voicemails/%lld", p->v.id);
    json_t *j = json_pack("{s:I,s:s}", "id", (json_int_t)p->v.id, "audio_sha256", p->blob.sha256);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return send_body(c, MHD_HTTP_CREATED, body, "Location", loc);
}

/* 503 with Retry-After. */
static enum MHD_Result unavailable(struct MHD_Connection *c, const char *code, const char *msg)
{
    json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return send_body(c, MHD_HTTP_SERVICE_UNAVAILABLE, body, "Retry-After", "30");
}

/* POST /v1/mailboxes/{ext}/voicemails: 201 only once the audio and its row
 * are on disk. */
static enum MHD_Result post_voicemail(rv_server *s, struct MHD_Connection *c, const char *ext, request *rq)
{
    enum MHD_Result ret;
    if (rq->up) return rq->up->done ? upload_answer(s, c, rq->up) : MHD_YES; /* resumed */
    if (!authorise(s, c, 1u << RV_ROLE_PBX, &ret)) return ret;
    size_t k;
    if (!audio_type(c, &k, &ret)) return ret;
    const char *caller = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Caller-Number");
    if (caller && (strlen(caller) > 32 || strspn(caller, "+0123456789") != strlen(caller)))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", "X-Caller-Number must be up to 32 of + and digits");
    const char *at = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Received-At");
    char when[32];
    if (at && !rfc3339_utc(at, when))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", "X-Received-At must be an RFC 3339 date and time");
    if (!at) rv_utc_now(when);
    rv_error e;
    rv_audio_limits lim = {(int64_t)s->max_audio, s->max_audio_s};
    rv_err rc = rv_audio_check(rq->body ? rq->body : "", rq->len,
                               rv_audio_hint_for_type(audio_types[k]),
                               &lim, &e);
    if (rc != RV_OK) return send_error(c, (unsigned)rv_err_http_status(rc), rv_err_slug(rc), e.msg);
    if (s->queued >= s->max_queue) return unavailable(c, "queue_full", "the analysis queue is full; try again later");
    pending *p = calloc(1, sizeof *p);
    if (!p) return MHD_NO;
    /* appended without the store lock; the committer syncs the batch's
     * segment before it commits the rows that point to the audio */
    rc = rv_store_append_audio(s->store, rq->body ? rq->body : "", rq->len, &p->blob, &e);
    if (rc != RV_OK) {
        free(p);
        return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), e.msg);
    }
    snprintf(p->ext, sizeof p->ext, "%s", ext);
    snprintf(p->caller, sizeof p->caller, "%s", caller ? caller : "");
    snprintf(p->when, sizeof p->when, "%s", when);
    snprintf(p->actor, sizeof p->actor, "%s", actor);
    remote_of(c, p->remote);
    rv_utc_now(p->now);
    p->conn = c;
    p->v = (rv_vm_new){.ext = p->ext, .sha256 = p->blob.sha256, .blob = &p->blob, .content_type = audio_types[k],
                       .bytes = rq->len, .caller = p->caller, .received_at = p->when, .actor = p->actor,
                       .remote = p->remote, .now = p->now};
    pthread_mutex_lock(&s->gc_lock);
    int stopping = s->gc_stopping; /* the committer runs from start to stop */
    if (!stopping) {
        rq->up = p;
        MHD_suspend_connection(c); /* before the committer can resume it */
        *s->gc_tail = p;
        s->gc_tail = &p->next;
        pthread_cond_signal(&s->gc_wake);
    }
    pthread_mutex_unlock(&s->gc_lock);
    if (stopping) {
        free(p); /* the appended bytes are nobody's; start-up reclaims them */
        return unavailable(c, "stopping", "the service is stopping; try again later");
    }
    return MHD_YES;
}


/* A decoder for this request's greeting: an idle one, a new one while fewer
 * than max_decoders exist, else wait for one. NULL (err set) when none can
 * be made. */
static rv_asr *decoder_take(rv_server *s, rv_error *err)
{
    pthread_mutex_lock(&s->pool_lock);
    while (s->n_idle == 0 && s->n_decoders >= s->max_decoders) pthread_cond_wait(&s->pool_free, &s->pool_lock);
    if (s->n_idle) {
        rv_asr *a = s->idle[--s->n_idle];
        pthread_mutex_unlock(&s->pool_lock);
        return a;
    }
    s->n_decoders++;
    pthread_mutex_unlock(&s->pool_lock);
    rv_asr *a = NULL;
    if (rv_asr_open(NULL, strcmp(s->cfg.asr_adaptation, "none") == 0 ? NULL : s->cfg.asr_adaptation, s->lex, &a,
                    err) != RV_OK) {
        pthread_mutex_lock(&s->pool_lock);
        s->n_decoders--;
        pthread_cond_signal(&s->pool_free);
        pthread_mutex_unlock(&s->pool_lock);
        return NULL;
    }
    return a;
}

static void decoder_give(rv_server *s, rv_asr *a)
{
    pthread_mutex_lock(&s->pool_lock);
    s->idle[s->n_idle++] = a;
    pthread_cond_signal(&s->pool_free);
    pthread_mutex_unlock(&s->pool_lock);
}

/* PUT /v1/mailboxes/{ext}/greeting (pbx): analysed now, every version kept;
 * DELETE records that the greeting was removed; GET (officer, admin) gives
 * the current one with its analysis. */
static enum MHD_Result greeting(rv_server *s, struct MHD_Connection *c, const char *method, const char *ext,
                                request *rq)
{
    enum MHD_Result ret;
    rv_error e;
    int put = strcmp(method, "PUT") == 0, del = strcmp(method, "DELETE") == 0;
    if (!put && !del && strcmp(method, "GET") != 0)
        return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "PUT, DELETE or GET");
    if (!authorise(s, c, put || del ? 1u << RV_ROLE_PBX : 1u << RV_ROLE_OFFICER | 1u << RV_ROLE_ADMIN, &ret))
        return ret;
    if (!rv_ext_valid(ext)) return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", "ext must be 1 to 20 digits");
    size_t k = 0;
    if (put && !audio_type(c, &k, &ret)) return ret;
    rv_mailbox m;
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_get_mailbox(s->store, ext, &m, &e);
    pthread_mutex_unlock(&s->store_lock);
    if (rc == RV_ERR_NOT_FOUND) return send_error(c, MHD_HTTP_NOT_FOUND, "not_found", e.msg);
    if (rc != RV_OK) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), e.msg);
    char now[32];
    rv_utc_now(now);
    if (!put && !del) { /* GET: the current version */
        json_t *g = NULL;
        pthread_mutex_lock(&s->store_lock);
        rc = rv_store_get_greeting(s->store, ext, 0, &g, &e);
        if (rc == RV_OK) audit(s, c, "greeting_read", 0, ext, NULL);
        pthread_mutex_unlock(&s->store_lock);
        if (rc == RV_ERR_NOT_FOUND) return send_error(c, MHD_HTTP_NOT_FOUND, "not_found", e.msg);
        if (rc != RV_OK) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), e.msg);
        return send_json(c, MHD_HTTP_OK, g);
    }
    rv_profile prof;
    if (rv_profile_find(s->cfg.profile_dirs, m.profile, &prof, &e) != RV_OK)
        return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "config", e.msg);
    char version[40];
    rv_greeting_version(s->models_version, &prof, version);
    rv_greeting_row row = {.ext = ext, .received_at = now, .removed = del, .compliant = 0, .profile = prof.name,
                           .models_version = version};
    rv_audio_blob blob;
    char *json = NULL;
    rv_greeting_verdict v = {.outcome = 2};
    if (put) {
        rv_pcm pcm;
        rv_audio_limits lim = {(int64_t)s->max_audio, s->max_audio_s};
        rc = rv_audio_decode(rq->body ? rq->body : "", rq->len,
                             rv_audio_hint_for_type(audio_types[k]), &lim,
                             &pcm, &e);
        if (rc != RV_OK) return send_error(c, (unsigned)rv_err_http_status(rc), rv_err_slug(rc), e.msg);
        rv_analyzer an = {&s->cfg, s->prompts};
        rv_verify_thresholds th = rv_verify_thresholds_of(&s->cfg);
        char **names = NULL, **units = NULL; /* the other mailboxes: the name is weighed against theirs */
        size_t n_names = 0;
        if (s->lex) {
            pthread_mutex_lock(&s->store_lock);
            rc = rv_store_directory_names(s->store, ext, &names, &units, &n_names, &e);
            pthread_mutex_unlock(&s->store_lock);
            if (rc != RV_OK) {
                rv_pcm_free(&pcm);
                return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), e.msg);
            }
        }
        rv_asr *a = s->lex ? decoder_take(s, &e) : NULL;
        rc = s->lex && !a ? e.code
                          : rv_greeting_analyse(&an, a, &th, &m, &prof, &pcm, now, (const char *const *)names,
                                                (const char *const *)units, n_names, &json, &v, &e);
        if (a) decoder_give(s, a);
        rv_store_names_free(names, n_names);
        rv_store_names_free(units, n_names);
        rv_pcm_free(&pcm);
        if (rc != RV_OK) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), e.msg);
        row.report = json;
        row.violations = v.violations;
        row.compliant = v.compliant;
        row.missing_reason = v.missing_reason[0] ? v.missing_reason : NULL;
        row.absence_until = v.absence_until[0] ? v.absence_until : NULL;
        row.content_type = audio_types[k];
        row.bytes = rq->len;
        rc = rv_store_stage_audio(s->store, rq->body ? rq->body : "", rq->len, &blob, &e);
        row.sha256 = blob.sha256;
        row.blob = &blob;
    }
    long long id = 0;
    if (rc == RV_OK) {
        pthread_mutex_lock(&s->store_lock);
        rc = rv_store_add_greeting(s->store, &row, &id, &e);
        if (rc == RV_OK) audit(s, c, put ? "greeting_received" : "greeting_removed", 0, ext, NULL);
        pthread_mutex_unlock(&s->store_lock);
    }
    if (rc != RV_OK) {
        free(json);
        return send_error(c, rc == RV_ERR_NOT_FOUND ? MHD_HTTP_NOT_FOUND : MHD_HTTP_INTERNAL_SERVER_ERROR,
                          rv_err_slug(rc), e.msg);
    }
    if (del) return send_json(c, MHD_HTTP_OK, json_pack("{s:s,s:I,s:b,s:s}", "ext", ext, "greeting_id",
                                                        (json_int_t)id, "removed", 1, "received_at", now));
    m_greetings[v.outcome]++;
    json_t *j = json_loads(json, 0, NULL);
    free(json);
    if (j) {
        json_object_set_new(j, "greeting_id", json_integer(id));
        json_object_set_new(j, "ext", json_string(ext));
    }
    return send_json(c, MHD_HTTP_OK, j);
}

/* GET /v1/mailboxes/{ext}/greetings (officer, admin): every version, newest
 * first, with its verdict. */
static enum MHD_Result greeting_versions(rv_server *s, struct MHD_Connection *c, const char *method, const char *ext)
{
    enum MHD_Result ret;
    if (strcmp(method, "GET") != 0) return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "GET");
    if (!authorise(s, c, 1u << RV_ROLE_OFFICER | 1u << RV_ROLE_ADMIN, &ret)) return ret;
    if (!rv_ext_valid(ext)) return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", "ext must be 1 to 20 digits");
    json_t *items;
    rv_error e;
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_list_greetings(s->store, ext, &items, &e);
    pthread_mutex_unlock(&s->store_lock);
    if (rc == RV_ERR_NOT_FOUND) return send_error(c, MHD_HTTP_NOT_FOUND, "not_found", e.msg);
    if (rc != RV_OK) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), e.msg);
    return send_json(c, MHD_HTTP_OK, json_pack("{s:o}", "items", items));
}

/* GET /v1/mailboxes?compliant=&unit=&limit=&after= (officer, admin) */
static enum MHD_Result list_mailboxes(rv_server *s, struct MHD_Connection *c, const char *method)
{
    enum MHD_Result ret;
    if (strcmp(method, "GET") != 0) return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "GET");
    if (!authorise(s, c, 1u << RV_ROLE_OFFICER | 1u << RV_ROLE_ADMIN, &ret)) return ret;
    rv_mb_query q = {.compliant = -1, .limit = 50};
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "compliant");
    if (v) {
        if (strcmp(v, "true") == 0) q.compliant = 1;
        else if (strcmp(v, "false") == 0) q.compliant = 0;
        else return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", "compliant must be true or false");
    }
    q.unit = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "unit");
    q.after_ext = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
    if (q.after_ext && !rv_ext_valid(q.after_ext))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", "after must be the next cursor of a page");
    v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
    if (v) {
        char *end;
        long l = strtol(v, &end, 10);
        if (*end || end == v || l < 1 || l > 500)
            return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", "limit must be 1..500");
        q.limit = (int)l;
    }
    json_t *items;
    int more;
    rv_error e;
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_list_mailboxes(s->store, &q, &items, &more, &e);
    pthread_mutex_unlock(&s->store_lock);
    if (rc != RV_OK) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), e.msg);
    size_t n = json_array_size(items);
    json_t *next = more && n ? json_incref(json_object_get(json_array_get(items, n - 1), "ext")) : json_null();
    return send_json(c, MHD_HTTP_OK, json_pack("{s:o,s:o}", "items", items, "next", next));
}

static enum MHD_Result get_voicemail(rv_server *s, struct MHD_Connection *c, const char *method,
                                     const char *idtext)
{
    enum MHD_Result ret;
    if (strcmp(method, "GET") != 0) return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "GET");
    if (!authorise(s, c, 1u << RV_ROLE_OFFICER | 1u << RV_ROLE_ADMIN, &ret)) return ret;
    char *end;
    long long id = strtoll(idtext, &end, 10);
    if (!*idtext || *end || id < 1) return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", "the id must be a positive number");
    json_t *j;
    rv_error e;
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_get_voicemail(s->store, id, &j, &e);
    if (rc == RV_OK) audit(s, c, "voicemail_read", id, NULL, NULL);
    pthread_mutex_unlock(&s->store_lock);
    if (rc == RV_ERR_NOT_FOUND) return send_error(c, MHD_HTTP_NOT_FOUND, "not_found", e.msg);
    if (rc != RV_OK) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), e.msg);
    return send_json(c, MHD_HTTP_OK, j);
}

static long long parse_id(const char *t, size_t len)
{
    if (len == 0 || len > 18) return 0;
    long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (t[i] < '0' || t[i] > '9') return 0;
        v = v * 10 + (t[i] - '0');
    }
    return v;
}

/* POST /v1/voicemails/{id}/callback (pbx) and /decision (officer). */
static enum MHD_Result voicemail_action(rv_server *s, struct MHD_Connection *c, const char *method,
                                        long long id, const char *what, request *rq)
{
    enum MHD_Result ret;
    if (strcmp(method, "POST") != 0) return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "POST");
    rv_error e;
    char now[32];
    rv_utc_now(now);
    if (strcmp(what, "callback") == 0) {
        if (!authorise(s, c, 1u << RV_ROLE_PBX, &ret)) return ret;
        pthread_mutex_lock(&s->store_lock);
        rv_err rc = rv_store_set_callback(s->store, id, now, &e);
        if (rc == RV_OK) audit(s, c, "callback", id, NULL, NULL);
        pthread_mutex_unlock(&s->store_lock);
        if (rc == RV_ERR_NOT_FOUND) return send_error(c, MHD_HTTP_NOT_FOUND, "not_found", e.msg);
        if (rc != RV_OK) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), e.msg);
        return send_json(c, MHD_HTTP_OK, json_pack("{s:I,s:s}", "id", (json_int_t)id, "callback_at", now));
    }
    if (!authorise(s, c, 1u << RV_ROLE_OFFICER, &ret)) return ret;
    json_error_t je;
    json_t *b = json_loadb(rq->body ? rq->body : "", rq->len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(b)) {
        json_decref(b);
        return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", "body must be a JSON object");
    }
    const char *key, *v[3] = {NULL, NULL, NULL}, *names[3] = {"decision", "diarienummer", "note"};
    json_t *val;
    char msg[160] = "";
    json_object_foreach(b, key, val) {
        int k = 0;
        while (k < 3 && strcmp(key, names[k])) k++;
        if (k == 3) { snprintf(msg, sizeof msg, "unknown field \"%.60s\"", key); break; }
        if (!json_is_string(val) || json_string_length(val) > 500) { snprintf(msg, sizeof msg, "%s must be a string", key); break; }
        v[k] = json_string_value(val);
    }
    if (!msg[0] && !v[0]) snprintf(msg, sizeof msg, "decision is missing");
    if (msg[0]) {
        json_decref(b);
        return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", msg);
    }
    long long did = 0;
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_add_decision(s->store, id, v[0], v[1], v[2], actor, now, &did, &e);
    if (rc == RV_OK) audit(s, c, "decision", id, NULL, v[0]);
    pthread_mutex_unlock(&s->store_lock);
    json_t *out = rc == RV_OK ? json_pack("{s:I,s:I,s:s,s:s,s:s}", "id", (json_int_t)did, "voicemail",
                                          (json_int_t)id, "decision", v[0], "actor", actor, "decided_at", now)
                              : NULL;
    json_decref(b);
    if (rc == RV_ERR_ARG) return send_error(c, MHD_HTTP_UNPROCESSABLE_CONTENT, "invalid_argument", e.msg);
    if (rc == RV_ERR_NOT_FOUND) return send_error(c, MHD_HTTP_NOT_FOUND, "not_found", e.msg);
    if (rc != RV_OK) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), e.msg);
    return send_json(c, MHD_HTTP_CREATED, out);
}

/* GET /v1/voicemails/{id}/audio (officer, admin): the original bytes with
 * their Content-Type; one "bytes=a-b" / "a-" / "-n" range gives 206. */
static enum MHD_Result get_audio(rv_server *s, struct MHD_Connection *c, const char *method, long long id)
{
    enum MHD_Result ret;
    if (strcmp(method, "GET") != 0) return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "GET");
    if (!authorise(s, c, 1u << RV_ROLE_OFFICER | 1u << RV_ROLE_ADMIN, &ret)) return ret;
    char sha[RV_SHA256_HEX + 1], ct[64];
    int disposed = 0;
    rv_error e;
    rv_audio_loc loc;
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_voicemail_audio(s->store, id, sha, ct, sizeof ct, &disposed, &e);
    rv_err lrc = rc == RV_OK && !disposed ? rv_store_locate_audio(s->store, sha, &loc, &e) : RV_OK;
    if (rc == RV_OK && lrc == RV_OK && !disposed) audit(s, c, "audio_read", id, NULL, NULL);
    pthread_mutex_unlock(&s->store_lock);
    if (rc == RV_ERR_NOT_FOUND) return send_error(c, MHD_HTTP_NOT_FOUND, "not_found", e.msg);
    if (rc != RV_OK) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), e.msg);
    if (disposed) return send_error(c, MHD_HTTP_GONE, "disposed", "the audio was disposed of");
    if (lrc != RV_OK) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "io_error", e.msg);
    /* read outside the lock; the bytes are checked against their hash */
    unsigned char *all = NULL;
    size_t all_len = 0;
    rc = rv_store_load_audio(s->store, sha, &loc, (size_t)-1, &all, &all_len, &e);
    if (rc != RV_OK) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "io_error", e.msg);
    long size = (long)all_len;
    unsigned long long from = 0, to = size > 0 ? (unsigned long long)size - 1 : 0;
    int partial = 0;
    const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
    if (range && size > 0) {
        unsigned long long a = 0, b = 0;
        int n = 0;
        if (sscanf(range, "bytes=%llu-%llu%n", &a, &b, &n) == 2 && range[n] == '\0' && a <= b) {
            from = a, to = b < (unsigned long long)size ? b : (unsigned long long)size - 1;
            partial = 1;
        } else if (sscanf(range, "bytes=%llu-%n", &a, &n) == 1 && range[n] == '\0') {
            from = a, partial = 1;
        } else if (sscanf(range, "bytes=-%llu%n", &b, &n) == 1 && range[n] == '\0' && b > 0) {
            from = b >= (unsigned long long)size ? 0 : (unsigned long long)size - b, partial = 1;
        }
        if (!partial || from >= (unsigned long long)size) {
            free(all);
            struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
            if (!r) return MHD_NO;
            char cr[64];
            snprintf(cr, sizeof cr, "bytes */%ld", size);
            MHD_add_response_header(r, "Content-Range", cr);
            ret = queue(c, MHD_HTTP_RANGE_NOT_SATISFIABLE, r);
            MHD_destroy_response(r);
            return ret;
        }
    }
    size_t len = size > 0 ? (size_t)(to - from + 1) : 0;
    char *buf = (char *)all;
    if (from > 0) memmove(buf, buf + from, len);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    if (!r) { free(buf); return MHD_NO; }
    MHD_add_response_header(r, "Content-Type", ct);
    MHD_add_response_header(r, "Accept-Ranges", "bytes");
    if (partial) {
        char cr[96];
        snprintf(cr, sizeof cr, "bytes %llu-%llu/%ld", from, to, size);
        MHD_add_response_header(r, "Content-Range", cr);
    }
    ret = queue(c, partial ? MHD_HTTP_PARTIAL_CONTENT : MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* GET /v1/voicemails?classification=&decision=&ext=&unit=&from=&to=&limit=&after=
 * (officer, admin): {"items": [...], "next": cursor or null}, newest first.
 * The cursor is the id of the page's last item (keyset: its received_at, id). */
static enum MHD_Result list_voicemails(rv_server *s, struct MHD_Connection *c, const char *method)
{
    enum MHD_Result ret;
    if (strcmp(method, "GET") != 0) return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "GET");
    if (!authorise(s, c, 1u << RV_ROLE_OFFICER | 1u << RV_ROLE_ADMIN, &ret)) return ret;
    rv_vm_query q = {0};
    q.classification = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "classification");
    q.decision = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "decision");
    q.ext = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "ext");
    q.unit = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "unit");
    q.from = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from");
    q.to = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "to");
    const char *lim = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
    const char *after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
    if (q.classification && strcmp(q.classification, "empty") && strcmp(q.classification, "ephemeral") &&
        strcmp(q.classification, "possible_public_record"))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument",
                          "classification must be empty, ephemeral or possible_public_record");
    if (q.decision && strcmp(q.decision, "registered") && strcmp(q.decision, "not_public_record") &&
        strcmp(q.decision, "dispose"))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument",
                          "decision must be registered, not_public_record or dispose");
    char from_utc[32], to_utc[32];
    if ((q.from && !rfc3339_utc(q.from, from_utc)) || (q.to && !rfc3339_utc(q.to, to_utc)))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", "from and to must be RFC 3339 dates and times");
    if (q.from) q.from = from_utc;
    if (q.to) q.to = to_utc;
    q.limit = 50;
    if (lim) {
        long long l = parse_id(lim, strlen(lim));
        if (l < 1 || l > 500) return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", "limit must be 1..500");
        q.limit = (int)l;
    }
    if (after && !(q.after_id = parse_id(after, strlen(after))))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", "after must be a cursor from \"next\"");
    json_t *items;
    int more;
    rv_error e;
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_list_voicemails(s->store, &q, &items, &more, &e);
    pthread_mutex_unlock(&s->store_lock);
    if (rc != RV_OK) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), e.msg);
    json_t *next = json_null();
    size_t n = json_array_size(items);
    if (more && n) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(json_object_get(json_array_get(items, n - 1), "id")));
        json_decref(next);
        next = json_string(buf);
    }
    return send_json(c, MHD_HTTP_OK, json_pack("{s:o,s:o}", "items", items, "next", next));
}


/* POST /v1/sweeps?date=&dry_run=&format= (admin): the nightly sweep now, on
 * its own database connection; 200 with its report. 409 while one runs. */
static enum MHD_Result post_sweep(rv_server *s, struct MHD_Connection *c, const char *method)
{
    enum MHD_Result ret;
    if (strcmp(method, "POST") != 0) return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "POST");
    if (!authorise(s, c, 1u << RV_ROLE_ADMIN, &ret)) return ret;
    const char *date_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "date");
    const char *dry_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "dry_run");
    const char *fmt_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
    long date;
    if (date_s && !rv_parse_date(date_s, &date))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", "date must be YYYY-MM-DD");
    if (dry_s && strcmp(dry_s, "true") != 0 && strcmp(dry_s, "false") != 0)
        return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", "dry_run must be true or false");
    int fmt = fmt_s ? rv_sweep_format_parse(fmt_s) : RV_SWEEP_JSON;
    if (fmt < 0) return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", "format must be json, csv or html");
    char now[32];
    rv_utc_now(now);
    if (!date_s) rv_local_date(now, RV_CAL_SE, &date);
    if (pthread_mutex_trylock(&s->sweep_lock) != 0)
        return send_error(c, MHD_HTTP_CONFLICT, "sweep_running", "a sweep is running; try again when it is done");
    rv_store *db = NULL;
    rv_error e;
    rv_err rc = rv_store_open(s->data_dir, &db, &e);
    char *out = NULL;
    size_t len = 0;
    FILE *f = rc == RV_OK ? open_memstream(&out, &len) : NULL;
    if (rc == RV_OK && !f) rc = rv_error_set(&e, RV_ERR_NOMEM, "out of memory");
    rv_sweep_counts counts;
    int dry = dry_s && strcmp(dry_s, "true") == 0;
    char who[RV_TOKEN_NAME_MAX + 1];
    snprintf(who, sizeof who, "%s", actor);
    if (rc == RV_OK) {
        rv_asr *a = s->lex && !dry ? decoder_take(s, &e) : NULL;
        rv_analyzer an = {&s->cfg, s->prompts};
        rv_verify_thresholds th = rv_verify_thresholds_of(&s->cfg);
        rv_audio_limits lim = {s->cfg.max_audio_bytes, s->cfg.max_audio_seconds};
        rv_sweep_opts o = {.date = date, .dry_run = dry, .profile_dirs = s->cfg.profile_dirs,
                           .models_version = s->models_version, .an = &an, .asr = a, .th = &th, .lim = &lim,
                           .actor = who};
        rv_sweep_output one = {(rv_sweep_format)fmt, f};
        rc = rv_sweep_run(db, &o, &one, 1, &counts, &e);
        if (a) decoder_give(s, a);
    }
    if (f) fclose(f);
    rv_store_close(db);
    pthread_mutex_unlock(&s->sweep_lock);
    if (rc != RV_OK) {
        free(out);
        return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), e.msg);
    }
    char detail[160];
    snprintf(detail, sizeof detail, "%s%ld missing, %ld not compliant, %ld overdue, %ld disposed", dry ? "dry run: " : "",
             counts.missing, counts.noncompliant, counts.overdue, counts.disposed);
    pthread_mutex_lock(&s->store_lock);
    audit(s, c, "sweep_run", 0, NULL, detail);
    pthread_mutex_unlock(&s->store_lock);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, out, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(out);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", fmt == RV_SWEEP_JSON  ? "application/json; charset=utf-8"
                                               : fmt == RV_SWEEP_CSV ? "text/csv; charset=utf-8"
                                                                     : "text/html; charset=utf-8");
    ret = queue(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* GET /metrics: Prometheus text format (no token, like /healthz). */
static enum MHD_Result get_metrics(rv_server *s, struct MHD_Connection *c)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f) return MHD_NO;
    pthread_mutex_lock(&s->store_lock);
    long long queued = rv_store_count_queued(s->store);
    pthread_mutex_unlock(&s->store_lock);
    fprintf(f, "# HELP rostvakt_requests_total HTTP requests answered, by status class.\n"
               "# TYPE rostvakt_requests_total counter\n");
    const char *cls[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
    for (int i = 0; i < 6; i++) fprintf(f, "rostvakt_requests_total{code=\"%s\"} %llu\n", cls[i], (unsigned long long)m_status[i]);
    fprintf(f, "# HELP rostvakt_request_seconds Time from the request's headers to its end.\n"
               "# TYPE rostvakt_request_seconds histogram\n");
    unsigned long long cum = 0;
    for (size_t b = 0; b < N_BUCKETS; b++) {
        cum += m_latency[b];
        fprintf(f, "rostvakt_request_seconds_bucket{le=\"%g\"} %llu\n", buckets[b], cum);
    }
    cum += m_latency[N_BUCKETS];
    fprintf(f, "rostvakt_request_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
    fprintf(f, "rostvakt_request_seconds_sum %.6f\nrostvakt_request_seconds_count %llu\n",
            (double)m_latency_us_sum / 1e6, (unsigned long long)m_requests);
    fprintf(f, "# HELP rostvakt_queue_depth Voicemails waiting for analysis.\n# TYPE rostvakt_queue_depth gauge\n"
               "rostvakt_queue_depth %lld\n", queued);
    fprintf(f, "# HELP rostvakt_analyses_total Voicemails analysed, and those that failed.\n"
               "# TYPE rostvakt_analyses_total counter\n"
               "rostvakt_analyses_total{result=\"analysed\"} %llu\nrostvakt_analyses_total{result=\"failed\"} %llu\n",
            (unsigned long long)m_analyses, (unsigned long long)m_analysis_failures);
    fprintf(f, "# HELP rostvakt_voicemails_classified_total Voicemails analysed since start, by classification.\n"
               "# TYPE rostvakt_voicemails_classified_total counter\n");
    for (int i = 0; i < 3; i++)
        fprintf(f, "rostvakt_voicemails_classified_total{classification=\"%s\"} %llu\n",
                rv_vm_class_name((rv_vm_class)i), (unsigned long long)m_vm_class[i]);
    fprintf(f, "# HELP rostvakt_greetings_analysed_total Greetings analysed since start, by verdict.\n"
               "# TYPE rostvakt_greetings_analysed_total counter\n");
    for (int i = 0; i < 4; i++)
        fprintf(f, "rostvakt_greetings_analysed_total{verdict=\"%s\"} %llu\n", greeting_outcomes[i],
                (unsigned long long)m_greetings[i]);
    fclose(f);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, out, MHD_RESPMEM_MUST_FREE);
    if (!r) { free(out); return MHD_NO; }
    MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
    enum MHD_Result ret = queue(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* GET /v1/audit?voicemail=&actor=&from=&to= (admin) */
static enum MHD_Result get_audit(rv_server *s, struct MHD_Connection *c, const char *method)
{
    enum MHD_Result ret;
    if (strcmp(method, "GET") != 0) return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "GET");
    if (!authorise(s, c, 1u << RV_ROLE_ADMIN, &ret)) return ret;
    const char *vm = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "voicemail");
    const char *who = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "actor");
    const char *from = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from");
    const char *to = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "to");
    long long vid = vm ? parse_id(vm, strlen(vm)) : 0;
    if (vm && !vid) return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", "voicemail must be an id");
    char from_utc[32], to_utc[32];
    if ((from && !rfc3339_utc(from, from_utc)) || (to && !rfc3339_utc(to, to_utc)))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_argument", "from and to must be RFC 3339 dates and times");
    if (from) from = from_utc;
    if (to) to = to_utc;
    json_t *items;
    rv_error e;
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_list_audit(s->store, vid, who, from, to, 1000, &items, &e);
    pthread_mutex_unlock(&s->store_lock);
    if (rc != RV_OK) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), e.msg);
    return send_json(c, MHD_HTTP_OK, json_pack("{s:o}", "items", items));
}

/* PUT …/greeting: hand the request to a greeting thread and suspend its
 * connection; once resumed, send the answer that thread left. */
static enum MHD_Result defer_greeting(rv_server *s, struct MHD_Connection *c, const char *ext, request *rq)
{
    if (rq->job == 2) {
        char *b = rq->out_body;
        rq->out_body = NULL;
        int later = rq->out_status == MHD_HTTP_SERVICE_UNAVAILABLE;
        return send_body(c, rq->out_status, b, later ? "Retry-After" : NULL, later ? "30" : NULL);
    }
    if (rq->job == 1) return MHD_YES; /* not answered yet */
    snprintf(rq->ext, sizeof rq->ext, "%s", ext);
    rq->conn = c;
    pthread_mutex_lock(&s->job_lock);
    int stopping = s->jobs_stopping;
    if (!stopping) {
        rq->job = 1;
        MHD_suspend_connection(c);
        *s->job_tail = rq;
        s->job_tail = &rq->next_job;
        pthread_cond_signal(&s->job_wake);
    }
    pthread_mutex_unlock(&s->job_lock);
    if (stopping) return unavailable(c, "stopping", "the service is stopping; try again later");
    return MHD_YES;
}

/* A greeting thread: analyses handed-over greeting uploads in turn. When
 * the service stops, what is still waiting is answered 503. */
static void *greeter(void *arg)
{
    rv_server *s = arg;
    pthread_mutex_lock(&s->job_lock);
    for (;;) {
        while (!s->job_head && !s->jobs_stopping) pthread_cond_wait(&s->job_wake, &s->job_lock);
        request *rq = s->job_head;
        if (!rq) break;
        s->job_head = rq->next_job;
        if (!s->job_head) s->job_tail = &s->job_head;
        int stopping = s->jobs_stopping;
        pthread_mutex_unlock(&s->job_lock);
        struct MHD_Connection *c = rq->conn;
        capturing = rq;
        if (stopping)
            send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "stopping", "the service is stopping; try again later");
        else greeting(s, c, "PUT", rq->ext, rq);
        capturing = NULL;
        rq->job = 2;
        MHD_resume_connection(c); /* rq may be gone from here on */
        pthread_mutex_lock(&s->job_lock);
    }
    pthread_mutex_unlock(&s->job_lock);
    return NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    rv_server *s = cls;
    request *rq = *con_cls;
    if (!rq) { /* first call: headers only */
        rq = calloc(1, sizeof *rq);
        if (!rq) return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &rq->start);
        *con_cls = rq;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        rq->limit = is_audio_upload(url) ? s->max_audio : s->max_json;
        unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
        if (declared > rq->limit) /* refused before the body is read */
            return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", "request body too large");
        if (declared) { /* one buffer of the declared size: no copying as it arrives */
            rq->body = malloc((size_t)declared + 1);
            if (!rq->body) return MHD_NO;
            rq->cap = (size_t)declared + 1;
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rq->too_large && rq->len + *upload_size <= rq->limit) {
            if (rq->len + *upload_size + 1 > rq->cap) {
                size_t cap = (rq->len + *upload_size + 1) * 2;
                char *nb = realloc(rq->body, cap);
                if (!nb) return MHD_NO;
                rq->body = nb;
                rq->cap = cap;
            }
            memcpy(rq->body + rq->len, upload, *upload_size);
            rq->len += *upload_size;
            rq->body[rq->len] = '\0';
        } else rq->too_large = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->too_large) return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", "request body too large");
    if (strcmp(url, "/healthz") == 0) {
        if (strcmp(method, "GET") != 0) return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "GET");
        return send_json(c, MHD_HTTP_OK, json_pack("{s:s}", "status", "ok"));
    }
    if (strcmp(url, "/v1/audit") == 0) return get_audit(s, c, method);
    if (strcmp(url, "/v1/sweeps") == 0) return post_sweep(s, c, method);
    if (strcmp(url, "/metrics") == 0) {
        if (strcmp(method, "GET") != 0) return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "GET");
        return get_metrics(s, c);
    }
    if (strcmp(url, "/v1/voicemails") == 0) return list_voicemails(s, c, method);
    const char *vpre = "/v1/voicemails/";
    if (strncmp(url, vpre, strlen(vpre)) == 0) {
        const char *rest = url + strlen(vpre), *slash = strchr(rest, '/');
        if (!slash) return get_voicemail(s, c, method, rest);
        long long id = parse_id(rest, (size_t)(slash - rest));
        if (id && (strcmp(slash, "/callback") == 0 || strcmp(slash, "/decision") == 0))
            return voicemail_action(s, c, method, id, slash + 1, rq);
        if (id && strcmp(slash, "/audio") == 0) return get_audio(s, c, method, id);
    }
    char ext[24];
    if (voicemail_url(url, ext)) {
        if (strcmp(method, "POST") != 0) return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "POST");
        return post_voicemail(s, c, ext, rq);
    }
    if (strcmp(url, "/v1/mailboxes") == 0) return list_mailboxes(s, c, method);
    const char *pre = "/v1/mailboxes/";
    if (strncmp(url, pre, strlen(pre)) == 0) {
        const char *rest = url + strlen(pre), *slash = strchr(rest, '/');
        if (!slash) return mailbox(s, c, method, rest, rq);
        char mb[24];
        if (slash - rest < (long)sizeof mb) {
            snprintf(mb, sizeof mb, "%.*s", (int)(slash - rest), rest);
            if (strcmp(slash, "/greeting") == 0) {
                if (strcmp(method, "PUT") == 0) return defer_greeting(s, c, mb, rq);
                return greeting(s, c, method, mb, rq);
            }
            if (strcmp(slash, "/greetings") == 0) return greeting_versions(s, c, method, mb);
        }
    }
    return send_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such resource");
}

static void done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)cls, (void)c, (void)t;
    request *rq = *con_cls;
    if (rq) {
        struct timespec end;
        clock_gettime(CLOCK_MONOTONIC, &end);
        double d = (double)(end.tv_sec - rq->start.tv_sec) + (end.tv_nsec - rq->start.tv_nsec) / 1e9;
        size_t b = 0;
        while (b < N_BUCKETS && d > buckets[b]) b++;
        m_latency[b]++;
        m_latency_us_sum += (unsigned long long)(d * 1e6);
        m_requests++;
        free(rq->body);
        free(rq->up);
        free(rq->out_body);
    }
    free(rq);
    *con_cls = NULL;
}

/* One analysis worker: its own database connection and decoder; takes the
 * oldest queued voicemail, analyses it as rostvakt analyze --kind voicemail
 * does, records the report. What was queued before a restart is simply
 * still queued. */
static void *analysis_worker(void *arg)
{
    rv_server *s = arg;
    rv_store *db = NULL;
    rv_asr *asr = NULL;
    rv_error e;
    /* analysis is background work: it yields the CPU to answering the PBX
     * (nice 19; not SCHED_IDLE, under which it could starve while holding a
     * lock the committer waits for) */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) != 0)
        fprintf(stderr, "rostvakt: analysis worker: cannot lower its priority\n");
    if (rv_store_open(s->data_dir, &db, &e) != RV_OK) {
        fprintf(stderr, "rostvakt: analysis worker: %s\n", e.msg);
        return NULL;
    }
    if (s->have_checkpointer) rv_store_autocheckpoint(db, 0);
    if (s->lex) {
        char mllr[4200];
        snprintf(mllr, sizeof mllr, "%s/en-us-tel.mllr", s->models_dir);
        if (rv_asr_open(NULL, mllr, s->lex, &asr, &e) != RV_OK)
            fprintf(stderr, "rostvakt: analysis worker: no keyword spotting: %s\n", e.msg);
    }
    rv_analyzer an = {&s->cfg, NULL};
    rv_audio_limits lim = {s->cfg.max_audio_bytes, s->cfg.max_audio_seconds};
    for (;;) {
        pthread_mutex_lock(&s->q_lock);
        int stop = s->stopping;
        pthread_mutex_unlock(&s->q_lock);
        if (stop) break;
        long long id;
        char sha[RV_SHA256_HEX + 1], ct[64];
        /* workers take turns at the head of the queue and claim in memory:
         * they only read, and the committer records what they found */
        pthread_mutex_lock(&s->q_lock);
        rv_err rc = rv_store_next_queued(db, s->claimed, &id, sha, ct, sizeof ct, &e);
        if (rc == RV_OK) s->claimed = id;
        if (rc == RV_ERR_NOT_FOUND) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            if (!s->stopping) pthread_cond_timedwait(&s->q_wake, &s->q_lock, &until);
            pthread_mutex_unlock(&s->q_lock);
            continue;
        }
        pthread_mutex_unlock(&s->q_lock);
        if (rc != RV_OK) {
            fprintf(stderr, "rostvakt: analysis worker: %s\n", e.msg);
            break;
        }
        long long started = now_ms();
        unsigned char *bytes = NULL;
        size_t len = 0;
        rv_report rep;
        int have = 0;
        rc = rv_store_read_audio(db, sha, (size_t)lim.max_bytes, &bytes, &len, &e);
        if (rc == RV_OK) {
            rv_pcm pcm;
            rc = rv_audio_decode(bytes, len, rv_audio_hint_for_type(ct),
                                 &lim, &pcm, &e);
            if (rc == RV_OK) {
                rc = rv_analyze_pcm(&an, &pcm, RV_KIND_VOICEMAIL, &rep, &e);
                have = rc == RV_OK;
                if (have && asr)
                    rc = rv_spot_keywords(asr, &pcm, (const char (*)[64])s->case_words, s->n_case_words,
                                          s->cfg.asr_keyword_min_score, s->cfg.voicemail_long_speech_s, &rep, &e);
                rv_pcm_free(&pcm);
            }
        }
        free(bytes);
        char *json = have && rc == RV_OK ? rv_report_to_json(&rep, NULL, NULL) : NULL;
        finished *f = calloc(1, sizeof *f);
        if (f) {
            rv_utc_now(f->now);
            f->report = json;
            f->d = (rv_vm_done){.id = id, .state = json ? "analysed" : "failed",
                                .classification = json ? rv_vm_class_name(rep.vm_class) : NULL,
                                .report = json, .now_iso = f->now};
            pthread_mutex_lock(&s->gc_lock);
            *s->fin_tail = f;
            s->fin_tail = &f->next;
            pthread_cond_signal(&s->gc_wake);
            pthread_mutex_unlock(&s->gc_lock);
        } else {
            free(json);
            fprintf(stderr, "rostvakt: analysis worker: voicemail %lld: out of memory\n", id);
        }
        s->queued--;
        if (json) {
            m_analyses++;
            if ((unsigned)rep.vm_class < 3) m_vm_class[rep.vm_class]++;
        }
        else m_analysis_failures++;
        if (have) rv_report_free(&rep);
        give_way(s, now_ms() - started);
    }
    rv_asr_free(asr);
    rv_store_close(db);
    return NULL;
}

/* Checkpoints the write-ahead log once a second, on its own connection, so
 * that the commits of uploads never do it themselves. */
static void *checkpointer(void *arg)
{
    rv_server *s = arg;
    rv_store *db = NULL;
    rv_error e;
    if (rv_store_open(s->data_dir, &db, &e) != RV_OK) {
        fprintf(stderr, "rostvakt: checkpointer: %s\n", e.msg);
        return NULL;
    }
    pthread_mutex_lock(&s->q_lock);
    while (!s->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&s->q_wake, &s->q_lock, &until);
        pthread_mutex_unlock(&s->q_lock);
        if (rv_store_checkpoint(db, &e) != RV_OK) fprintf(stderr, "rostvakt: checkpointer: %s\n", e.msg);
        pthread_mutex_lock(&s->q_lock);
    }
    pthread_mutex_unlock(&s->q_lock);
    rv_store_checkpoint(db, &e);
    rv_store_close(db);
    return NULL;
}

rv_err rv_server_start(const rv_server_opts *o, rv_server **out, unsigned *port, rv_error *err)
{
    *out = NULL;
    char host[64] = "127.0.0.1";
    unsigned p = 8440;
    const char *colon = o->listen ? strrchr(o->listen, ':') : NULL;
    if (o->listen) {
        if (!colon || colon == o->listen || (size_t)(colon - o->listen) >= sizeof host ||
            sscanf(colon + 1, "%u", &p) != 1 || p > 65535)
            return rv_error_set(err, RV_ERR_ARG, "--listen must be ADDRESS:PORT, not '%s'", o->listen);
        snprintf(host, sizeof host, "%.*s", (int)(colon - o->listen), o->listen);
    }
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)p);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return rv_error_set(err, RV_ERR_ARG, "'%s' is not an IPv4 address", host);
    rv_server *s = calloc(1, sizeof *s);
    if (!s) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&s->store_lock, NULL);
    s->max_json = o->max_json_bytes ? o->max_json_bytes : 64 * 1024;
    s->max_audio = o->max_audio_bytes ? o->max_audio_bytes : 20u << 20;
    s->max_audio_s = o->max_audio_seconds > 0 ? o->max_audio_seconds : 600;
    s->max_queue = o->max_queue > 0 ? o->max_queue : 10000;
    pthread_mutex_init(&s->q_lock, NULL);
    pthread_cond_init(&s->q_wake, NULL);
    pthread_cond_init(&s->stop_wake, NULL);
    if (o->cfg) s->cfg = *o->cfg;
    else rv_config_defaults(&s->cfg);
    snprintf(s->data_dir, sizeof s->data_dir, "%s", o->data_dir ? o->data_dir : "");
    if (o->models_dir) {
        char path[4200];
        rv_error le;
        snprintf(s->models_dir, sizeof s->models_dir, "%s", o->models_dir);
        if (rv_lexicon_open_models(o->models_dir, &s->lex, &le) == RV_OK) {
            snprintf(path, sizeof path, "%s/case-words.sv", o->models_dir);
            if (rv_case_words_load(path, &s->case_words, &s->n_case_words, &le) != RV_OK) {
                rv_lexicon_free(s->lex);
                s->lex = NULL;
            }
        }
        if (!s->lex) fprintf(stderr, "rostvakt: no keyword spotting: %s\n", le.msg);
    }
    pthread_mutex_init(&s->sweep_lock, NULL);
    pthread_mutex_init(&s->gc_lock, NULL);
    pthread_cond_init(&s->gc_wake, NULL);
    s->gc_tail = &s->gc_head;
    s->fin_tail = &s->fin_head;
    pthread_mutex_init(&s->pool_lock, NULL);
    pthread_cond_init(&s->pool_free, NULL);
    s->max_decoders = o->workers ? o->workers : 4;
    s->idle = calloc(s->max_decoders, sizeof *s->idle);
    pthread_mutex_init(&s->job_lock, NULL);
    pthread_cond_init(&s->job_wake, NULL);
    s->job_tail = &s->job_head;
    s->prompts = rv_prompts_load(&s->cfg, stderr);
    rv_models_version(&s->cfg, s->models_version);
    /* without the phone map nothing is verified: such an analysis is out of
     * date for any sweep that has the models */
    if (!s->lex) snprintf(s->models_version, sizeof s->models_version, "unverified");
    if (!s->idle || !s->prompts) {
        rv_server_stop(s);
        return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    rv_err rc = rv_tokens_load(o->tokens, &s->tokens, err);
    if (rc == RV_OK) rc = rv_store_open(o->data_dir, &s->store, err);
    if (rc == RV_OK) rc = rv_store_requeue_interrupted(s->store, err);
    if (rc == RV_OK) rv_store_remove_leftovers(s->store); /* before anyone can upload */
    if (rc == RV_OK) s->queued = rv_store_count_queued(s->store);
    if (rc == RV_OK) {
        rv_store_autocheckpoint(s->store, 0);
        s->have_checkpointer = pthread_create(&s->checkpointer, NULL, checkpointer, s) == 0;
        if (!s->have_checkpointer) rv_store_autocheckpoint(s->store, 1);
    }
    if (rc != RV_OK) { rv_server_stop(s); return rc; }
    s->greeters = calloc(s->max_decoders, sizeof *s->greeters);
    for (unsigned i = 0; s->greeters && i < s->max_decoders; i++)
        if (pthread_create(&s->greeters[s->n_greeters], NULL, greeter, s) == 0) s->n_greeters++;
    s->have_committer = pthread_create(&s->committer, NULL, committer, s) == 0;
    if (!s->have_committer || s->n_greeters < s->max_decoders) {
        rv_server_stop(s);
        return rv_error_set(err, RV_ERR_INTERNAL, "cannot start the committer and greeting threads");
    }
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                                MHD_USE_ERROR_LOG,
                            0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->workers ? o->workers : 4),
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                            (unsigned)128, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
                            MHD_OPTION_NOTIFY_COMPLETED, done, s, MHD_OPTION_END);
    if (!s->d) {
        rv_server_stop(s);
        return rv_error_set(err, RV_ERR_IO, "cannot listen on %s:%u", host, p);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    *port = di ? di->port : p;
    if (o->analysis_workers) {
        s->workers = calloc(o->analysis_workers, sizeof *s->workers);
        for (unsigned i = 0; s->workers && i < o->analysis_workers; i++)
            if (pthread_create(&s->workers[s->n_workers], NULL, analysis_worker, s) == 0) s->n_workers++;
    }
    *out = s;
    return RV_OK;
}

void rv_server_stop(rv_server *s)
{
    if (!s) return;
    /* no connection may be suspended when the daemon stops: greetings being
     * analysed finish, those still waiting are answered 503, and uploads
     * already handed over are committed and answered */
    pthread_mutex_lock(&s->job_lock);
    s->jobs_stopping = 1;
    pthread_cond_broadcast(&s->job_wake);
    pthread_mutex_unlock(&s->job_lock);
    for (unsigned i = 0; i < s->n_greeters; i++) pthread_join(s->greeters[i], NULL);
    free(s->greeters);
    /* analysis workers finish what they hold and hand it to the committer */
    pthread_mutex_lock(&s->q_lock);
    s->stopping = 1;
    pthread_cond_broadcast(&s->q_wake);
    pthread_cond_broadcast(&s->stop_wake);
    pthread_mutex_unlock(&s->q_lock);
    for (unsigned i = 0; i < s->n_workers; i++) pthread_join(s->workers[i], NULL);
    s->n_workers = 0;
    if (s->have_committer) {
        pthread_mutex_lock(&s->gc_lock);
        s->gc_stopping = 1;
        pthread_cond_signal(&s->gc_wake);
        pthread_mutex_unlock(&s->gc_lock);
        pthread_join(s->committer, NULL);
    }
    if (s->d) MHD_stop_daemon(s->d);
    if (s->have_checkpointer) pthread_join(s->checkpointer, NULL);
    free(s->workers);
    for (unsigned i = 0; i < s->n_idle; i++) rv_asr_free(s->idle[i]);
    free(s->idle);
    rv_fpdb_free(s->prompts);
    rv_lexicon_free(s->lex);
    free(s->case_words);
    rv_store_close(s->store);
    rv_tokens_free(s->tokens);
    pthread_mutex_destroy(&s->store_lock);
    pthread_mutex_destroy(&s->q_lock);
    pthread_cond_destroy(&s->q_wake);
    pthread_cond_destroy(&s->stop_wake);
    pthread_mutex_destroy(&s->pool_lock);
    pthread_mutex_destroy(&s->gc_lock);
    pthread_mutex_destroy(&s->sweep_lock);
    pthread_cond_destroy(&s->gc_wake);
    pthread_mutex_destroy(&s->job_lock);
    pthread_cond_destroy(&s->job_wake);
    pthread_cond_destroy(&s->pool_free);
    free(s);
}
