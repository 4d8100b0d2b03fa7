/* The HTTP layer on libmicrohttpd, and the only file that speaks it: the
 * daemon, each request's life, routing, authentication (bearer tokens, the
 * web app's session cookies with their CSRF tokens, a trusted proxy's user
 * header), the web app's files, and answers (JSON errors {"error": {"code",
 * "message"}} from the error table).
 * Work that takes long goes to ingest.c and workers.c while the connection
 * waits suspended. */
#include "server_int.h"
#include "route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rostvakt/archive.h"
#include "rostvakt/audio.h"
#include "rostvakt/mail.h"
#include "rostvakt/calendar.h"
#include "rostvakt/policy.h"
#include "rostvakt/requests.h"
#include "rostvakt/textfile.h"

#include <openssl/crypto.h>

/* One request, born on the first callback and freed in done(). */
typedef struct {
    char *body;
    size_t len, cap, limit;
    size_t held;     /* bytes of the body budget this request holds */
    int too_large;
    int over_budget; /* a body without a length outgrew the budget */
    struct timespec start;
    rv_pending *up;  /* a voicemail upload handed to the committer */
    rv_job job;      /* a greeting upload, sweep or package handed to a job thread */
    int job_state;   /* 0 none, 1 handed over */
    int answering;   /* the whole request is in */
} request;

/* Who made the request, once authorised. */
typedef struct {
    char name[RV_TOKEN_NAME_MAX + 1];
    char remote[64];
    rv_role role;
    const char *via;                   /* "token", "proxy" or "session" */
    const char *sid;                   /* the session's id (via "session") */
    char csrf[RV_SESSION_ID_LEN + 1];  /* a browser's CSRF token ("" for a token) */
} caller;

#define READERS (ROLE(RV_ROLE_OFFICER) | ROLE(RV_ROLE_ADMIN))
/* greetings, mailboxes and reports: managers too */
#define VIEWERS (READERS | ROLE(RV_ROLE_MANAGER))

/* The method of the request this thread is answering (set in handle()):
 * a state-changing request by a signed-in browser must carry its CSRF
 * token. */
static _Thread_local const char *current_method;

/* A connection waits while other threads work for it. */
static void conn_hold(void *conn) { MHD_suspend_connection(conn); }
static void conn_done(void *conn) { MHD_resume_connection(conn); }

/* ---- answers ---- */

static void rv_csv_field(FILE *f, const char *v);

static enum MHD_Result queue(rv_server *s, struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
    rv_metrics_status(&s->metrics, status);
    return MHD_queue_response(c, status, r);
}

/* Send len bytes of body (taken over and freed) as type. */
static enum MHD_Result send_bytes(rv_server *s, struct MHD_Connection *c, unsigned status, char *body, size_t len,
                                  const char *type, const char *header, const char *value)
{
    if (!body) return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    if (header) MHD_add_response_header(r, header, value);
    enum MHD_Result ret = queue(s, c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Send j (consumed) as JSON, with one more header when header is set. */
static enum MHD_Result send_json_h(rv_server *s, struct MHD_Connection *c, unsigned status, json_t *j,
                                   const char *header, const char *value)
{
    char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return send_bytes(s, c, status, t, t ? strlen(t) : 0, "application/json; charset=utf-8", header, value);
}

static enum MHD_Result send_json(rv_server *s, struct MHD_Connection *c, unsigned status, json_t *j)
{
    return send_json_h(s, c, status, j, NULL, NULL);
}

/* An error from the table: its status and slug, msg or the table's text;
 * a 503 says when to try again. */
static enum MHD_Result send_error(rv_server *s, struct MHD_Connection *c, rv_err code, const char *msg)
{
    if (code == RV_OK) code = RV_ERR_INTERNAL;
    unsigned status = (unsigned)rv_err_http_status(code);
    json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", rv_err_slug(code), "message",
                          msg && *msg ? msg : rv_err_text(code));
    int later = status == MHD_HTTP_SERVICE_UNAVAILABLE || status == MHD_HTTP_INSUFFICIENT_STORAGE;
    return send_json_h(s, c, status, j, later ? "Retry-After" : NULL, "30");
}

static enum MHD_Result send_rv_error(rv_server *s, struct MHD_Connection *c, const rv_error *e)
{
    return send_error(s, c, e->code, e->msg);
}

static enum MHD_Result wrong_method(rv_server *s, struct MHD_Connection *c, const char *allowed)
{
    return send_error(s, c, RV_ERR_METHOD, allowed);
}

static const char *arg(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* ---- authentication ---- */

/* The client's address, for the audit ("" when unknown). */
static void remote_of(struct MHD_Connection *c, char remote[64])
{
    remote[0] = '\0';
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr, remote, 64);
}

static int reads_only(void)
{
    return current_method && (strcmp(current_method, "GET") == 0 || strcmp(current_method, "HEAD") == 0);
}

/* The user a trusted proxy names in its header: 1 with name and role;
 * 0 when the request does not come from the proxy or names nobody. */
static int proxy_user(rv_server *s, struct MHD_Connection *c, const char *remote, char *name, size_t cap,
                      rv_role *role, int *unknown)
{
    *unknown = 0;
    if (!s->cfg.trusted_proxy[0] || strcmp(remote, s->cfg.trusted_proxy) != 0) return 0;
    const char *u = header(c, s->cfg.trusted_user_header);
    if (!u || !*u) return 0;
    pthread_rwlock_rdlock(&s->id_lock);
    int known = strlen(u) < cap && rv_users_role(s->users, u, role);
    pthread_rwlock_unlock(&s->id_lock);
    if (!known) {
        *unknown = 1;
        return 0;
    }
    snprintf(name, cap, "%s", u);
    return 1;
}

/* 1 when the caller's role is among allowed (who filled in); else 0 and a
 * 401 or 403 queued. The caller is a bearer token's, the trusted proxy's
 * user, or the web app's session (cookie); a state-changing request by the
 * latter two must carry the session's CSRF token in X-CSRF-Token. */
static int authorise(rv_server *s, struct MHD_Connection *c, unsigned allowed, caller *who, enum MHD_Result *ret)
{
    const char *h = header(c, "Authorization");
    memset(who, 0, sizeof *who);
    remote_of(c, who->remote);
    rv_role *role = &who->role;
    char *csrf = who->csrf;
    int unknown = 0;
    rv_server_tokens_fresh(s, 0);
    if (h) {
        int bearer = strncasecmp(h, "Bearer ", 7) == 0, known = 0;
        for (int again = 0; bearer && !known && again < 2; again++) { /* unknown: made just now? */
            if (again) rv_server_tokens_fresh(s, 1);
            pthread_rwlock_rdlock(&s->id_lock);
            known = rv_tokens_check(s->tokens, h + 7, role, who->name, sizeof who->name);
            pthread_rwlock_unlock(&s->id_lock);
        }
        if (!known) {
            *ret = send_error(s, c, RV_ERR_UNAUTHORIZED, "a valid bearer token is needed");
            return 0;
        }
        who->via = "token";
    } else if (proxy_user(s, c, who->remote, who->name, sizeof who->name, role, &unknown)) {
        rv_sessions_proxy_csrf(s->sessions, who->name, csrf);
        who->via = "proxy";
    } else if (unknown) {
        *ret = send_error(s, c, RV_ERR_FORBIDDEN, "this user has no role in rostvakt");
        return 0;
    } else {
        const char *sid = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "rv_session");
        unsigned char key[RV_TOKEN_KEY_LEN];
        int found = sid && rv_session_find(s->sessions, sid, key, csrf);
        if (found) { /* who and which role: the session's token's now, while it is in the file */
            pthread_rwlock_rdlock(&s->id_lock);
            found = rv_tokens_by_key(s->tokens, key, role, who->name, sizeof who->name);
            pthread_rwlock_unlock(&s->id_lock);
            if (!found) rv_session_end(s->sessions, sid);
        }
        if (!found) {
            *ret = send_error(s, c, RV_ERR_UNAUTHORIZED,
                              sid ? "the session has ended; sign in again" : "a valid bearer token is needed");
            return 0;
        }
        who->via = "session";
        who->sid = sid;
    }
    if (csrf[0] && !reads_only()) {
        const char *t = header(c, "X-CSRF-Token");
        if (!t || strlen(t) != RV_SESSION_ID_LEN || CRYPTO_memcmp(t, csrf, RV_SESSION_ID_LEN) != 0) {
            *ret = send_error(s, c, RV_ERR_FORBIDDEN, "the request lacks the session's CSRF token (X-CSRF-Token)");
            return 0;
        }
    }
    if (!(allowed & ROLE(*role))) {
        *ret = send_error(s, c, RV_ERR_FORBIDDEN, "this role may not do that");
        return 0;
    }
    return 1;
}

/* ---- parsing ---- */


/* A positive decimal id of up to 18 digits; 0 for anything else. */
/* The query of a list request, for its audit row ("" when none): which
 * filters someone looked through. */
static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    char *q = cls;
    size_t n = strlen(q);
    snprintf(q + n, 200 - n, "%s%s=%s", n ? "&" : "", key, value ? value : "");
    return MHD_YES;
}

static const char *listed_query(struct MHD_Connection *c)
{
    static _Thread_local char q[200];
    q[0] = '\0';
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, q);
    q[rv_utf8_cut(q, strlen(q))] = '\0'; /* cut short: never inside a character */
    return q;
}



/* A list's page size from ?limit= (1..500) into *limit, which keeps its
 * default when there is none; 0 and a 400 queued for anything else. */
static int page_limit(rv_server *s, struct MHD_Connection *c, int *limit, enum MHD_Result *ret)
{
    const char *v = arg(c, "limit");
    if (!v) return 1;
    long long l = rv_parse_id(v, strlen(v));
    if (l < 1 || l > 500) {
        *ret = send_error(s, c, RV_ERR_ARG, "limit must be 1..500");
        return 0;
    }
    *limit = (int)l;
    return 1;
}

static const char *const audio_types[] = {"audio/wav",  "audio/x-wav", "audio/basic", "audio/flac",
                                          "audio/ogg",  "audio/mpeg",  "audio/x-gsm", "application/octet-stream"};

/* The request's audio Content-Type; NULL and a 415 queued for any other. */
static const char *audio_type(rv_server *s, struct MHD_Connection *c, enum MHD_Result *ret)
{
    const char *ct = header(c, "Content-Type");
    char type[64] = "";
    if (ct) snprintf(type, sizeof type, "%.*s", (int)strcspn(ct, "; "), ct);
    for (size_t k = 0; k < sizeof audio_types / sizeof *audio_types; k++)
        if (strcasecmp(type, audio_types[k]) == 0) return audio_types[k];
    *ret = send_error(s, c, RV_ERR_AUDIO_FORMAT,
                      "Content-Type must be audio/wav, audio/x-wav, audio/basic, audio/flac, audio/ogg, audio/mpeg, "
                      "audio/x-gsm or application/octet-stream");
    return NULL;
}

/* ---- work handed to another thread while the connection waits ---- */

/* The answer a job thread left, once the connection is resumed. */
static enum MHD_Result job_answer(rv_server *s, struct MHD_Connection *c, request *rq)
{
    rv_job *j = &rq->job;
    if (j->code != RV_OK) return send_rv_error(s, c, &j->err);
    char *out = j->out;
    j->out = NULL;
    return send_bytes(s, c, j->status, out, j->out_len, j->out_type, j->out_disposition[0] ? "Content-Disposition" : NULL,
                      j->out_disposition);
}

/* Hand rq->job (its kind and inputs set) over for who, suspending c;
 * "stopping" when the service is. */
static enum MHD_Result job_hand_over(rv_server *s, struct MHD_Connection *c, request *rq, const caller *who)
{
    rv_job *j = &rq->job;
    j->waiter = (rv_waiter){conn_hold, conn_done, c};
    snprintf(j->actor, sizeof j->actor, "%s", who->name);
    snprintf(j->remote, sizeof j->remote, "%s", who->remote);
    if (!rv_job_submit(s, j)) return send_error(s, c, RV_ERR_STOPPING, "the service is stopping; try again later");
    rq->job_state = 1;
    return MHD_YES;
}

/* ---- mailboxes ---- */

static json_t *mailbox_json(const rv_mailbox *m)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ext", m->ext, "first_name", m->first_name, "last_name",
                     m->last_name, "unit", m->unit, "org", m->org, "profile", m->profile, "mobile", m->mobile, "email",
                     m->email);
}

/* A mailbox's creation or change and its audit row in one transaction
 * (store_lock held). */
static rv_err mailbox_txn(rv_server *s, const rv_mailbox *m, const char *now, const caller *who, int *created,
                          rv_error *e)
{
    rv_err rc = rv_store_begin(s->store, e);
    if (rc != RV_OK) return rc;
    rc = rv_store_put_mailbox(s->store, m, now, created, e);
    if (rc == RV_OK)
        rc = rv_store_audit(s->store, now, who->name, who->remote, *created ? "mailbox_created" : "mailbox_updated", 0,
                            m->ext, NULL, e);
    return rv_store_end(s->store, rc, e);
}

/* PUT /v1/mailboxes/{ext} (pbx, admin); GET (officer, admin) */
static enum MHD_Result mailbox(rv_server *s, struct MHD_Connection *c, const char *method, const char *ext,
                               request *rq)
{
    enum MHD_Result ret;
    rv_error e;
    caller who;
    if (strcmp(method, "PUT") == 0) {
        if (!authorise(s, c, ROLE(RV_ROLE_PBX) | ROLE(RV_ROLE_ADMIN), &who, &ret)) return ret;
        rv_mailbox m;
        if (rv_mailbox_parse(ext, rq->body, rq->len, &m, &e) != RV_OK) return send_rv_error(s, c, &e);
        rv_profile prof;
        if (rv_profile_find(s->cfg.profile_dirs, m.profile, &prof, &e) != RV_OK)
            return e.code == RV_ERR_NOT_FOUND || e.code == RV_ERR_ARG
                       ? send_error(s, c, RV_ERR_UNPROCESSABLE, "profile: no such policy profile")
                       : send_rv_error(s, c, &e);
        int created;
        char now[32];
        rv_utc_now(now);
        rv_err rc;
        RV_STORE_RETRY(s, rc, RV_BUSY_TRIES, mailbox_txn(s, &m, now, &who, &created, &e));
        if (rc != RV_OK) return send_rv_error(s, c, &e);
        return send_json(s, c, created ? MHD_HTTP_CREATED : MHD_HTTP_OK, mailbox_json(&m));
    }
    if (strcmp(method, "GET") != 0) return wrong_method(s, c, "PUT or GET");
    if (!authorise(s, c, VIEWERS, &who, &ret)) return ret;
    if (!rv_ext_valid(ext)) return send_error(s, c, RV_ERR_ARG, "ext must be 1 to 20 digits");
    rv_mb_query q = {.compliant = RV_MB_ANY, .ext = ext, .limit = 1};
    json_t *items;
    int more;
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_list_mailboxes(s->store, &q, &items, &more, &e);
    pthread_mutex_unlock(&s->store_lock);
    if (rc != RV_OK) return send_rv_error(s, c, &e);
    json_t *one = json_incref(json_array_get(items, 0));
    json_decref(items);
    if (!one) return send_error(s, c, RV_ERR_NOT_FOUND, "no such mailbox");
    if (rv_audit(s, who.name, who.remote, "mailbox_read", 0, ext, NULL, &e) != RV_OK) {
        json_decref(one);
        return send_rv_error(s, c, &e);
    }
    return send_json(s, c, MHD_HTTP_OK, one);
}

/* GET /v1/mailboxes?compliant=&unit=&email=&limit=&after= (officer, admin,
 * manager; pbx with email=, to find the mailbox an e-mail was sent to) */
static enum MHD_Result list_mailboxes(rv_server *s, struct MHD_Connection *c, const char *method)
{
    enum MHD_Result ret;
    caller who;
    if (strcmp(method, "GET") != 0) return wrong_method(s, c, "GET");
    if (!authorise(s, c, VIEWERS | ROLE(RV_ROLE_PBX), &who, &ret)) return ret;
    rv_mb_query q = {.compliant = RV_MB_ANY, .limit = 50};
    q.email = arg(c, "email");
    if (who.role == RV_ROLE_PBX && (!q.email || !*q.email))
        return send_error(s, c, RV_ERR_FORBIDDEN, "a pbx token may only look a mailbox up by its email");
    const char *v = arg(c, "compliant");
    int yes;
    if (v) {
        if (rv_parse_bool(v, &yes) != 0) return send_error(s, c, RV_ERR_ARG, "compliant must be true or false");
        q.compliant = yes ? RV_MB_COMPLIANT : RV_MB_NOT_COMPLIANT;
    }
    q.unit = arg(c, "unit");
    q.after_ext = arg(c, "after");
    if (q.after_ext && !rv_ext_valid(q.after_ext))
        return send_error(s, c, RV_ERR_ARG, "after must be the next cursor of a page");
    if (!page_limit(s, c, &q.limit, &ret)) return ret;
    json_t *items;
    int more;
    rv_error e;
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_list_mailboxes(s->store, &q, &items, &more, &e);
    pthread_mutex_unlock(&s->store_lock);
    if (rc != RV_OK) return send_rv_error(s, c, &e);
    size_t n = json_array_size(items);
    /* who looked at whose numbers and names: lists are audited too */
    if (rv_audit(s, who.name, who.remote, "mailboxes_listed", 0, NULL, listed_query(c), &e) != RV_OK) {
        json_decref(items);
        return send_rv_error(s, c, &e);
    }
    json_t *next = more && n ? json_incref(json_object_get(json_array_get(items, n - 1), "ext")) : json_null();
    return send_json(s, c, MHD_HTTP_OK, json_pack("{s:o,s:o}", "items", items, "next", next));
}

/* ---- greetings ---- */

/* PUT /v1/mailboxes/{ext}/greeting (pbx): analysed on a greeting thread
 * while the connection waits; DELETE (pbx) records that the greeting was
 * removed; GET (officer, admin) gives the current one with its analysis. */
static enum MHD_Result greeting(rv_server *s, struct MHD_Connection *c, const char *method, const char *ext,
                                request *rq)
{
    enum MHD_Result ret;
    rv_error e;
    caller who;
    int put = strcmp(method, "PUT") == 0, del = strcmp(method, "DELETE") == 0;
    if (put && rq->job_state == 1) return job_answer(s, c, rq); /* resumed: the greeting thread answered */
    if (!put && !del && strcmp(method, "GET") != 0) return wrong_method(s, c, "PUT, DELETE or GET");
    if (!authorise(s, c, put || del ? ROLE(RV_ROLE_PBX) : VIEWERS, &who, &ret)) return ret;
    if (!rv_ext_valid(ext)) return send_error(s, c, RV_ERR_ARG, "ext must be 1 to 20 digits");
    if (put) {
        const char *type = audio_type(s, c, &ret);
        if (!type) return ret;
        rq->job = (rv_job){.kind = RV_JOB_GREETING, .body = rq->body, .len = rq->len, .content_type = type};
        snprintf(rq->job.ext, sizeof rq->job.ext, "%s", ext);
        return job_hand_over(s, c, rq, &who);
    }
    char now[32];
    rv_utc_now(now);
    if (!del) { /* GET: the current version */
        json_t *g = NULL;
        pthread_mutex_lock(&s->store_lock);
        rv_err rc = rv_store_get_greeting(s->store, ext, 0, &g, &e);
        pthread_mutex_unlock(&s->store_lock);
        if (rc != RV_OK) return send_rv_error(s, c, &e);
        if (rv_audit(s, who.name, who.remote, "greeting_read", 0, ext, NULL, &e) != RV_OK) { /* no read unaudited */
            json_decref(g);
            return send_rv_error(s, c, &e);
        }
        return send_json(s, c, MHD_HTTP_OK, g);
    }
    rv_mailbox m;
    rv_profile prof;
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_get_mailbox(s->store, ext, &m, &e);
    pthread_mutex_unlock(&s->store_lock);
    if (rc != RV_OK) return send_rv_error(s, c, &e);
    if (rv_profile_find(s->cfg.profile_dirs, m.profile, &prof, &e) != RV_OK) return send_error(s, c, RV_ERR_CONFIG, e.msg);
    char version[40];
    rv_greeting_version(s->models_version, &prof, version);
    rv_greeting_row row = {.ext = ext, .received_at = now, .removed = 1, .compliance = RV_COMPLIANCE_NO,
                           .profile = prof.name, .models_version = version, .actor = who.name,
                           .remote = who.remote};
    long long id = 0;
    RV_STORE_RETRY(s, rc, RV_BUSY_TRIES, rv_store_add_greeting(s->store, &row, &id, &e)); /* audited with it */
    if (rc != RV_OK) return send_rv_error(s, c, &e);
    return send_json(s, c, MHD_HTTP_OK,
                     json_pack("{s:s,s:I,s:b,s:s}", "ext", ext, "greeting_id", (json_int_t)id, "removed", 1,
                               "received_at", now));
}

/* PUT /v1/mailboxes/{ext}/name-recording (pbx): the owner's own recording
 * of their name, as the PBX keeps it; checked and stored on a greeting
 * thread while the connection waits. */
static enum MHD_Result name_recording(rv_server *s, struct MHD_Connection *c, const char *method, const char *ext,
                                      request *rq)
{
    enum MHD_Result ret;
    caller who;
    if (rq->job_state == 1) return job_answer(s, c, rq); /* resumed: answered */
    if (strcmp(method, "PUT") != 0) return wrong_method(s, c, "PUT");
    if (!authorise(s, c, ROLE(RV_ROLE_PBX), &who, &ret)) return ret;
    if (!rv_ext_valid(ext)) return send_error(s, c, RV_ERR_ARG, "ext must be 1 to 20 digits");
    const char *type = audio_type(s, c, &ret);
    if (!type) return ret;
    rq->job = (rv_job){.kind = RV_JOB_NAME, .body = rq->body, .len = rq->len, .content_type = type};
    snprintf(rq->job.ext, sizeof rq->job.ext, "%s", ext);
    return job_hand_over(s, c, rq, &who);
}

/* GET /v1/mailboxes/{ext}/greetings (officer, admin): every version, newest
 * first, with its verdict. */
static enum MHD_Result greeting_versions(rv_server *s, struct MHD_Connection *c, const char *method, const char *ext)
{
    enum MHD_Result ret;
    caller who;
    if (strcmp(method, "GET") != 0) return wrong_method(s, c, "GET");
    if (!authorise(s, c, VIEWERS, &who, &ret)) return ret;
    if (!rv_ext_valid(ext)) return send_error(s, c, RV_ERR_ARG, "ext must be 1 to 20 digits");
    json_t *items;
    rv_error e;
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_list_greetings(s->store, ext, &items, &e);
    pthread_mutex_unlock(&s->store_lock);
    if (rc != RV_OK) return send_rv_error(s, c, &e);
    /* who looked at whose numbers and names: lists are audited too */
    if (rv_audit(s, who.name, who.remote, "greetings_listed", 0, ext, listed_query(c), &e) != RV_OK) {
        json_decref(items);
        return send_rv_error(s, c, &e);
    }
    return send_json(s, c, MHD_HTTP_OK, json_pack("{s:o}", "items", items));
}

/* POST /v1/mailboxes/{ext}/greetings/{id}/review (officer): what a person
 * heard in that version; kept as history, audited. */
static enum MHD_Result review_greeting(rv_server *s, struct MHD_Connection *c, const char *method, const char *ext,
                                       long long id, request *rq)
{
    enum MHD_Result ret;
    caller who;
    if (strcmp(method, "POST") != 0) return wrong_method(s, c, "POST");
    if (!authorise(s, c, ROLE(RV_ROLE_OFFICER), &who, &ret)) return ret;
    if (!rv_ext_valid(ext)) return send_error(s, c, RV_ERR_ARG, "ext must be 1 to 20 digits");
    rv_error e;
    char now[32];
    rv_utc_now(now);
    rv_review r = {.ext = ext, .greeting_id = id, .actor = who.name, .remote = who.remote, .now = now};
    if (rv_review_parse(rq->body, rq->len, &r, &e) != RV_OK) return send_rv_error(s, c, &e);
    long long rid;
    rv_err rc;
    RV_STORE_RETRY(s, rc, RV_BUSY_TRIES, rv_store_add_review(s->store, &r, &rid, &e));
    if (rc != RV_OK) return send_rv_error(s, c, &e);
    json_t *out = json_pack("{s:I,s:s,s:I,s:s,s:s}", "id", (json_int_t)rid, "ext", ext, "greeting_id", (json_int_t)id,
                            "actor", who.name, "reviewed_at", now);
    const char *keys[] = {"name", "unit", "org", "closing"}, *vals[] = {r.name, r.unit, r.org, r.closing};
    for (int i = 0; out && i < 4; i++) json_object_set_new(out, keys[i], vals[i] ? json_string(vals[i]) : json_null());
    return send_json(s, c, MHD_HTTP_CREATED, out);
}

/* GET /v1/review?limit=&after= (officer, admin): greetings a person should
 * listen to. */
static enum MHD_Result list_review(rv_server *s, struct MHD_Connection *c, const char *method)
{
    enum MHD_Result ret;
    caller who;
    if (strcmp(method, "GET") != 0) return wrong_method(s, c, "GET");
    if (!authorise(s, c, VIEWERS, &who, &ret)) return ret;
    int limit = 50;
    if (!page_limit(s, c, &limit, &ret)) return ret;
    const char *after = arg(c, "after");
    if (after && !rv_ext_valid(after)) return send_error(s, c, RV_ERR_ARG, "after must be the next cursor of a page");
    json_t *items;
    int more;
    rv_error e;
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_list_review(s->store, after, limit, &items, &more, &e);
    pthread_mutex_unlock(&s->store_lock);
    if (rc != RV_OK) return send_rv_error(s, c, &e);
    size_t n = json_array_size(items);
    /* who looked at whose numbers and names: lists are audited too */
    if (rv_audit(s, who.name, who.remote, "review_listed", 0, NULL, listed_query(c), &e) != RV_OK) {
        json_decref(items);
        return send_rv_error(s, c, &e);
    }
    json_t *next = more && n ? json_incref(json_object_get(json_array_get(items, n - 1), "ext")) : json_null();
    return send_json(s, c, MHD_HTTP_OK, json_pack("{s:o,s:o}", "items", items, "next", next));
}

/* ---- voicemails ---- */

/* POST /v1/mailboxes/{ext}/voicemails (pbx): 201 only once the audio and
 * its row are on disk (the committer's group commit). */
static int printable(const char *t)
{
    for (; *t; t++)
        if ((unsigned char)*t < 0x21 || (unsigned char)*t > 0x7e) return 0;
    return 1;
}

static enum MHD_Result post_voicemail(rv_server *s, struct MHD_Connection *c, const char *ext, request *rq)
{
    enum MHD_Result ret;
    char loc[64];
    if (rq->up) { /* resumed: the committer has dealt with it */
        const rv_pending *p = rq->up;
        if (p->v.rc != RV_OK) return send_rv_error(s, c, &p->v.err);
        if (!p->v.duplicate) {
            s->queued++;
            rv_workers_wake(s);
        }
        snprintf(loc, sizeof loc, "/v1/voicemails/%lld", p->v.id);
        return send_json_h(s, c, p->v.duplicate ? MHD_HTTP_OK : MHD_HTTP_CREATED,
                           json_pack("{s:I,s:s,s:b}", "id", (json_int_t)p->v.id, "audio_sha256", p->blob.sha256,
                                     "duplicate", p->v.duplicate),
                           "Location", loc);
    }
    caller who;
    if (!authorise(s, c, ROLE(RV_ROLE_PBX), &who, &ret)) return ret;
    const char *type = audio_type(s, c, &ret);
    if (!type) return ret;
    const char *number = header(c, "X-Caller-Number");
    if (number && (strlen(number) > 32 || strspn(number, "+0123456789") != strlen(number)))
        return send_error(s, c, RV_ERR_ARG, "X-Caller-Number must be up to 32 of + and digits");
    const char *at = header(c, "X-Received-At");
    char when[32];
    if (at && !rv_rfc3339_utc(at, when))
        return send_error(s, c, RV_ERR_ARG, "X-Received-At must be an RFC 3339 date and time");
    if (at && !rv_plausible_received_at(when))
        return send_error(s, c, RV_ERR_ARG, "X-Received-At must lie between 2000-01-01 and a day from now");
    if (!at) rv_utc_now(when);
    rv_error e;
    /* the sender's key: the same upload again from the same sender is the
     * voicemail already stored; other audio with it is a conflict */
    const char *key = header(c, "Idempotency-Key");
    if (key && (!*key || strlen(key) > RV_IDEM_KEY_MAX || !printable(key)))
        return send_error(s, c, RV_ERR_ARG, "Idempotency-Key must be 1 to 200 printable characters");
    if (key && rv_ext_valid(ext)) {
        long long old_id = 0;
        char sha[RV_SHA256_HEX + 1];
        rv_err kr;
        RV_STORE_RETRY(s, kr, RV_BUSY_TRIES,
                       rv_store_voicemail_by_key(s->store, ext, who.name, key, rq->body ? rq->body : "", rq->len,
                                                 &old_id, sha, &e));
        if (kr == RV_OK) {
            snprintf(loc, sizeof loc, "/v1/voicemails/%lld", old_id);
            return send_json_h(s, c, MHD_HTTP_OK,
                               json_pack("{s:I,s:s,s:b}", "id", (json_int_t)old_id, "audio_sha256", sha, "duplicate", 1),
                               "Location", loc);
        }
        if (kr != RV_ERR_NOT_FOUND) return send_rv_error(s, c, &e);
    }
    rv_audio_limits lim = {s->cfg.max_audio_bytes, s->cfg.max_audio_seconds};
    const char *bytes = rq->body ? rq->body : "";
    if (rq->job_state == 1) { /* resumed: a job thread has decoded it */
        if (rq->job.code != RV_OK) return send_rv_error(s, c, &rq->job.err);
    } else if (!rv_audio_is_quick(bytes, rq->len, rv_audio_hint_for_type(type))) {
        /* decoding takes time: never on an HTTP thread */
        rq->job = (rv_job){.kind = RV_JOB_CHECK, .body = bytes, .len = rq->len, .content_type = type};
        return job_hand_over(s, c, rq, &who);
    } else if (rv_audio_check(bytes, rq->len, rv_audio_hint_for_type(type), &lim, &e) != RV_OK)
        return send_rv_error(s, c, &e);
    if (s->queued >= s->cfg.max_queue)
        return send_error(s, c, RV_ERR_QUEUE_FULL, "the analysis queue is full; try again later");
    rv_pending *p = calloc(1, sizeof *p);
    if (!p) return MHD_NO;
    /* appended without the store lock; the committer syncs the batch's
     * segment before it commits the rows that point to the audio */
    if (rv_store_append_audio(s->store, rq->body ? rq->body : "", rq->len, &p->blob, &e) != RV_OK) {
        free(p);
        return send_rv_error(s, c, &e);
    }
    snprintf(p->ext, sizeof p->ext, "%s", ext);
    snprintf(p->caller, sizeof p->caller, "%s", number ? number : "");
    snprintf(p->when, sizeof p->when, "%s", when);
    snprintf(p->actor, sizeof p->actor, "%s", who.name);
    snprintf(p->remote, sizeof p->remote, "%s", who.remote);
    snprintf(p->idem, sizeof p->idem, "%s", key ? key : "");
    rv_utc_now(p->now);
    p->waiter = (rv_waiter){conn_hold, conn_done, c};
    p->v = (rv_vm_new){.ext = p->ext, .sha256 = p->blob.sha256, .blob = &p->blob, .content_type = type,
                       .bytes = rq->len, .caller = p->caller, .received_at = p->when, .actor = p->actor,
                       .remote = p->remote, .now = p->now, .idem_key = p->idem[0] ? p->idem : NULL};
    if (!rv_ingest_submit(s, p)) {
        free(p); /* the appended bytes are nobody's; start-up reclaims them */
        return send_error(s, c, RV_ERR_STOPPING, "the service is stopping; try again later");
    }
    rq->up = p;
    return MHD_YES;
}

/* GET /v1/voicemails/{id} (officer, admin) */
static enum MHD_Result get_voicemail(rv_server *s, struct MHD_Connection *c, const char *method, const char *idtext)
{
    enum MHD_Result ret;
    caller who;
    if (strcmp(method, "GET") != 0) return wrong_method(s, c, "GET");
    if (!authorise(s, c, READERS, &who, &ret)) return ret;
    long long id = rv_parse_id(idtext, strlen(idtext));
    if (!id) return send_error(s, c, RV_ERR_ARG, "the id must be a positive number");
    json_t *j;
    rv_error e;
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_get_voicemail(s->store, id, &j, &e);
    pthread_mutex_unlock(&s->store_lock);
    if (rc != RV_OK) return send_rv_error(s, c, &e);
    if (rv_audit(s, who.name, who.remote, "voicemail_read", id, NULL, NULL, &e) != RV_OK) { /* no read unaudited */
        json_decref(j);
        return send_rv_error(s, c, &e);
    }
    /* the call-back deadline under the mailbox's profile */
    rv_profile prof;
    rv_calendar cal;
    long day;
    const char *pname = json_string_value(json_object_get(json_object_get(j, "owner"), "profile"));
    const char *at = json_string_value(json_object_get(j, "received_at"));
    if (pname && at && rv_profile_find(s->cfg.profile_dirs, pname, &prof, &e) == RV_OK &&
        rv_calendar_parse(prof.calendar, &cal) && rv_local_date(at, cal, &day)) {
        char dl[11];
        rv_format_date(rv_callback_deadline(cal, day, prof.callback_working_days), dl);
        json_object_set_new(j, "callback_deadline", json_string(dl));
    } else json_object_set_new(j, "callback_deadline", json_null());
    return send_json(s, c, MHD_HTTP_OK, j);
}

/* A call-back and its audit row in one transaction (store_lock held). */
static rv_err callback_txn(rv_server *s, long long id, const char *now, const caller *who, rv_error *e)
{
    rv_err rc = rv_store_begin(s->store, e);
    if (rc != RV_OK) return rc;
    rc = rv_store_set_callback(s->store, id, now, e);
    if (rc == RV_OK) rc = rv_store_audit(s->store, now, who->name, who->remote, "callback", id, NULL, NULL, e);
    return rv_store_end(s->store, rc, e);
}

/* A decision and its audit row in one transaction (store_lock held). */
static rv_err decision_txn(rv_server *s, long long id, const rv_decision_req *d, const char *now, const caller *who,
                           long long *did, rv_error *e)
{
    rv_err rc = rv_store_begin(s->store, e);
    if (rc != RV_OK) return rc;
    rc = rv_store_add_decision(s->store, id, d->decision, d->diarienummer, d->note, who->name, now, did, e);
    if (rc == RV_OK) rc = rv_store_audit(s->store, now, who->name, who->remote, "decision", id, NULL, d->decision, e);
    return rv_store_end(s->store, rc, e);
}

/* POST /v1/voicemails/{id}/callback (pbx) and /decision (officer). */
static enum MHD_Result voicemail_action(rv_server *s, struct MHD_Connection *c, const char *method, long long id,
                                        const char *what, request *rq)
{
    enum MHD_Result ret;
    caller who;
    if (strcmp(method, "POST") != 0) return wrong_method(s, c, "POST");
    rv_error e;
    char now[32];
    rv_utc_now(now);
    if (strcmp(what, "callback") == 0) {
        if (!authorise(s, c, ROLE(RV_ROLE_PBX), &who, &ret)) return ret;
        rv_err rc;
        RV_STORE_RETRY(s, rc, RV_BUSY_TRIES, callback_txn(s, id, now, &who, &e));
        if (rc != RV_OK) return send_rv_error(s, c, &e);
        return send_json(s, c, MHD_HTTP_OK, json_pack("{s:I,s:s}", "id", (json_int_t)id, "callback_at", now));
    }
    if (!authorise(s, c, ROLE(RV_ROLE_OFFICER), &who, &ret)) return ret;
    rv_decision_req d;
    if (rv_decision_parse(rq->body, rq->len, &d, &e) != RV_OK) return send_rv_error(s, c, &e);
    long long did = 0;
    rv_err rc;
    RV_STORE_RETRY(s, rc, RV_BUSY_TRIES, decision_txn(s, id, &d, now, &who, &did, &e));
    json_t *out = rc == RV_OK ? json_pack("{s:I,s:I,s:s,s:s,s:s}", "id", (json_int_t)did, "voicemail",
                                          (json_int_t)id, "decision", d.decision, "actor", who.name, "decided_at", now)
                              : NULL;
    rv_decision_free(&d);
    if (rc == RV_ERR_ARG) return send_error(s, c, RV_ERR_UNPROCESSABLE, e.msg); /* a value the archive refuses */
    if (rc != RV_OK) return send_rv_error(s, c, &e);
    return send_json(s, c, MHD_HTTP_CREATED, out);
}


/* The recording sha (located at loc) as ct, whole or the range asked for;
 * HEAD gets the headers. A GET that is answered is audited first as action
 * (vm, ext, detail) for who, and refused when it cannot be (no read
 * unaudited); a 416 and a HEAD read nothing and are not audited. */
static enum MHD_Result send_audio(rv_server *s, struct MHD_Connection *c, const char *method, const char *sha,
                                  const rv_audio_loc *loc, const char *ct, const caller *who, const char *action,
                                  long long vm, const char *ext, const char *detail)
{
    enum MHD_Result ret;
    rv_error e;
    /* read outside the lock; the bytes are checked against their hash */
    unsigned char *all = NULL;
    size_t all_len = 0;
    if (rv_store_load_audio(s->store, sha, loc, (size_t)-1, &all, &all_len, &e) != RV_OK)
        return send_error(s, c, RV_ERR_IO, e.msg);
    unsigned long long size = all_len, from = 0, to = size ? size - 1 : 0;
    int partial = rv_byte_range(header(c, "Range"), size, &from, &to);
    if (partial < 0) {
        free(all);
        struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (!r) return MHD_NO;
        char cr[64];
        snprintf(cr, sizeof cr, "bytes */%llu", size);
        MHD_add_response_header(r, "Content-Range", cr);
        ret = queue(s, c, MHD_HTTP_RANGE_NOT_SATISFIABLE, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (strcmp(method, "GET") == 0 && rv_audit(s, who->name, who->remote, action, vm, ext, detail, &e) != RV_OK) {
        free(all);
        return send_rv_error(s, c, &e);
    }
    size_t len = size ? (size_t)(to - from + 1) : 0;
    char *buf = (char *)all;
    if (from > 0) memmove(buf, buf + from, len);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(buf);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", ct);
    MHD_add_response_header(r, "Accept-Ranges", "bytes");
    if (partial) {
        char cr[96];
        snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", from, to, size);
        MHD_add_response_header(r, "Content-Range", cr);
    }
    ret = queue(s, c, partial ? MHD_HTTP_PARTIAL_CONTENT : MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}


static enum MHD_Result get_audio(rv_server *s, struct MHD_Connection *c, const char *method, long long id)
{
    enum MHD_Result ret;
    caller who;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) return wrong_method(s, c, "GET or HEAD");
    if (!authorise(s, c, READERS, &who, &ret)) return ret;
    char sha[RV_SHA256_HEX + 1], ct[64];
    int disposed = 0;
    rv_error e;
    rv_audio_loc loc;
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_voicemail_audio(s->store, id, sha, ct, sizeof ct, &disposed, &e);
    rv_err lrc = rc == RV_OK && !disposed ? rv_store_locate_audio(s->store, sha, &loc, &e) : RV_OK;
    pthread_mutex_unlock(&s->store_lock);
    if (rc != RV_OK) return send_rv_error(s, c, &e);
    if (disposed) return send_error(s, c, RV_ERR_DISPOSED, "the audio was disposed of");
    if (lrc != RV_OK) return send_error(s, c, RV_ERR_IO, e.msg);
    return send_audio(s, c, method, sha, &loc, ct, &who, "audio_read", id, NULL, NULL);
}

/* POST /v1/voicemails/{id}/package (officer): the registered voicemail's
 * submission package for the e-archive as a tar, made on the package
 * thread while the connection waits (workers.c), recorded as an event and
 * audited before it is answered. A POST, not a GET: it changes the
 * voicemail's history, so a browser must send its CSRF token. */
static enum MHD_Result post_package(rv_server *s, struct MHD_Connection *c, const char *method, long long id,
                                    request *rq)
{
    enum MHD_Result ret;
    caller who;
    if (rq->job_state == 1) return job_answer(s, c, rq); /* resumed: the package thread answered */
    if (strcmp(method, "POST") != 0) return wrong_method(s, c, "POST");
    if (!authorise(s, c, ROLE(RV_ROLE_OFFICER), &who, &ret)) return ret;
    rq->job = (rv_job){.kind = RV_JOB_PACKAGE, .voicemail = id};
    return job_hand_over(s, c, rq, &who);
}

/* POST /v1/voicemails/{id}/archived (officer) {"reference": "..."}: the
 * e-archive confirmed it took the package. */
static enum MHD_Result post_archived(rv_server *s, struct MHD_Connection *c, const char *method, long long id,
                                     request *rq)
{
    enum MHD_Result ret;
    caller who;
    if (strcmp(method, "POST") != 0) return wrong_method(s, c, "POST");
    if (!authorise(s, c, ROLE(RV_ROLE_OFFICER), &who, &ret)) return ret;
    json_error_t je;
    json_t *j = rq->body ? json_loadb(rq->body, rq->len, 0, &je) : NULL;
    const char *ref = json_string_value(json_object_get(j, "reference"));
    if (!json_is_object(j) || !ref || !*ref || strlen(ref) > 200) {
        json_decref(j);
        return send_error(s, c, RV_ERR_ARG, "the body must be {\"reference\": \"the e-archive's reference\"} "
                                            "(1 to 200 characters)");
    }
    for (const char *q = ref; *q; q++)
        if ((unsigned char)*q < 0x20) {
            json_decref(j);
            return send_error(s, c, RV_ERR_ARG, "reference: no control characters");
        }
    char now[32], reference[256];
    rv_utc_now(now);
    snprintf(reference, sizeof reference, "%s", ref);
    json_decref(j);
    rv_error e;
    rv_err rc;
    RV_STORE_RETRY(s, rc, RV_BUSY_TRIES, rv_store_mark_archived(s->store, id, reference, now, who.name, who.remote, &e));
    if (rc != RV_OK) return send_rv_error(s, c, &e);
    return send_json(s, c, MHD_HTTP_CREATED, json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)id, "archive_ref",
                                                      reference, "archived_at", now, "actor", who.name));
}

/* A unit's managers and their audit row in one transaction (store_lock held). */
static rv_err unit_txn(rv_server *s, const char *name, const char *list, const char *now, const caller *who,
                       int *created, rv_error *e)
{
    rv_err rc = rv_store_begin(s->store, e);
    if (rc != RV_OK) return rc;
    rc = rv_store_put_unit(s->store, name, list, now, created, e);
    if (rc == RV_OK)
        rc = rv_store_audit(s->store, now, who->name, who->remote, *created ? "unit_created" : "unit_updated", 0, NULL,
                            name, e);
    return rv_store_end(s->store, rc, e);
}

/* PUT /v1/units/{name} (admin) {"managers": ["a@x", ...]}: who gets the
 * unit's part of the nightly report by e-mail (so not a PBX's to say). */
static enum MHD_Result put_unit(rv_server *s, struct MHD_Connection *c, const char *method, const char *name,
                                request *rq)
{
    enum MHD_Result ret;
    caller who;
    if (strcmp(method, "PUT") != 0) return wrong_method(s, c, "PUT");
    if (!authorise(s, c, ROLE(RV_ROLE_ADMIN), &who, &ret)) return ret;
    size_t nl = strlen(name);
    if (nl == 0 || nl > 190 || strchr(name, '/'))
        return send_error(s, c, RV_ERR_ARG, "the unit's name: 1 to 190 bytes, no '/'");
    char list[RV_UNIT_LIST_MAX];
    rv_error e;
    if (rv_unit_parse(rq->body, rq->len, list, sizeof list, &e) != RV_OK) return send_rv_error(s, c, &e);
    char now[32];
    rv_utc_now(now);
    int created = 0;
    rv_err rc;
    long mailboxes = 0; /* 0: a name no mailbox has (a typo, say) */
    RV_STORE_RETRY(s, rc, RV_BUSY_TRIES, unit_txn(s, name, list, now, &who, &created, &e));
    if (rc == RV_OK) RV_STORE_RETRY(s, rc, RV_BUSY_TRIES, rv_store_unit_mailboxes(s->store, name, &mailboxes, &e));
    if (rc != RV_OK) return send_rv_error(s, c, &e);
    json_t *out = json_pack("{s:s,s:[],s:I}", "name", name, "managers", "mailboxes", (json_int_t)mailboxes);
    for (const char *p = list; *p;) {
        size_t k = strcspn(p, ",");
        json_array_append_new(json_object_get(out, "managers"), json_stringn(p, k));
        p += k + (p[k] == ',');
    }
    return send_json(s, c, created ? MHD_HTTP_CREATED : MHD_HTTP_OK, out);
}

static void unit_json(void *user, const char *name, const char *managers)
{
    json_t *a = json_array(), *arr = user;
    for (const char *p = managers; *p;) {
        size_t k = strcspn(p, ",");
        json_array_append_new(a, json_stringn(p, k));
        p += k + (p[k] == ',');
    }
    json_array_append_new(arr, json_pack("{s:s,s:o}", "name", name, "managers", a));
}

/* GET /v1/units (admin, officer, manager): units with their managers. */
static enum MHD_Result list_units(rv_server *s, struct MHD_Connection *c, const char *method)
{
    enum MHD_Result ret;
    caller who;
    if (strcmp(method, "GET") != 0) return wrong_method(s, c, "GET");
    if (!authorise(s, c, VIEWERS, &who, &ret)) return ret;
    json_t *arr = json_array();
    rv_error e;
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_units(s->store, unit_json, arr, &e);
    pthread_mutex_unlock(&s->store_lock);
    /* the managers' addresses: read as any list is, audited or not answered */
    if (rc == RV_OK) rc = rv_audit(s, who.name, who.remote, "units_listed", 0, NULL, NULL, &e);
    if (rc != RV_OK) {
        json_decref(arr);
        return send_rv_error(s, c, &e);
    }
    return send_json(s, c, MHD_HTTP_OK, json_pack("{s:o}", "items", arr));
}

/* GET /v1/mailboxes/{ext}/greetings/{id}/audio (officer, admin, manager):
 * a greeting's recording, audited as a voicemail's is. */
static enum MHD_Result greeting_audio(rv_server *s, struct MHD_Connection *c, const char *method, const char *ext,
                                      long long id)
{
    enum MHD_Result ret;
    caller who;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) return wrong_method(s, c, "GET or HEAD");
    if (!authorise(s, c, VIEWERS, &who, &ret)) return ret;
    if (!rv_ext_valid(ext)) return send_error(s, c, RV_ERR_ARG, "ext must be 1 to 20 digits");
    json_t *g = NULL;
    rv_error e;
    rv_audio_loc loc;
    char sha[RV_SHA256_HEX + 1] = "", ct[64] = "";
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_get_greeting(s->store, ext, id, &g, &e);
    if (rc == RV_OK) {
        const char *h = json_string_value(json_object_get(g, "audio_sha256"));
        const char *t = json_string_value(json_object_get(g, "content_type"));
        if (h && t) {
            snprintf(sha, sizeof sha, "%s", h);
            snprintf(ct, sizeof ct, "%s", t);
        }
    }
    json_decref(g);
    rv_err lrc = rc == RV_OK && sha[0] ? rv_store_locate_audio(s->store, sha, &loc, &e) : RV_OK;
    pthread_mutex_unlock(&s->store_lock);
    if (rc != RV_OK) return send_rv_error(s, c, &e);
    if (!sha[0]) return send_error(s, c, RV_ERR_NOT_FOUND, "that greeting version has no recording (removed)");
    if (lrc != RV_OK) return send_error(s, c, RV_ERR_IO, e.msg);
    char detail[48];
    snprintf(detail, sizeof detail, "greeting %lld", id);
    return send_audio(s, c, method, sha, &loc, ct, &who, "greeting_audio_read", 0, ext, detail);
}

/* GET /v1/voicemails?classification=&decision=&ext=&unit=&from=&to=&limit=&after=
 * (officer, admin): {"items": [...], "next": cursor or null}, newest first.
 * The cursor is the id of the page's last item (keyset: its received_at, id). */
static enum MHD_Result list_voicemails(rv_server *s, struct MHD_Connection *c, const char *method)
{
    enum MHD_Result ret;
    caller who;
    if (strcmp(method, "GET") != 0) return wrong_method(s, c, "GET");
    if (!authorise(s, c, READERS, &who, &ret)) return ret;
    rv_vm_query q = {.classification = arg(c, "classification"), .decision = arg(c, "decision"),
                     .ext = arg(c, "ext"), .unit = arg(c, "unit"), .from = arg(c, "from"), .to = arg(c, "to"),
                     .limit = 50};
    const char *after = arg(c, "after");
    if (q.classification && strcmp(q.classification, "empty") && strcmp(q.classification, "ephemeral") &&
        strcmp(q.classification, "possible_public_record"))
        return send_error(s, c, RV_ERR_ARG, "classification must be empty, ephemeral or possible_public_record");
    if (q.decision && strcmp(q.decision, "registered") && strcmp(q.decision, "not_public_record") &&
        strcmp(q.decision, "dispose") && strcmp(q.decision, "none") && strcmp(q.decision, "any"))
        return send_error(s, c, RV_ERR_ARG,
                          "decision must be registered, not_public_record, dispose, none (undecided) or any");
    char from_utc[32], to_utc[32];
    if ((q.from && !rv_rfc3339_utc(q.from, from_utc)) || (q.to && !rv_rfc3339_utc(q.to, to_utc)))
        return send_error(s, c, RV_ERR_ARG, "from and to must be RFC 3339 dates and times");
    if (q.from) q.from = from_utc;
    if (q.to) q.to = to_utc;
    if (!page_limit(s, c, &q.limit, &ret)) return ret;
    if (after && !(q.after_id = rv_parse_id(after, strlen(after))))
        return send_error(s, c, RV_ERR_ARG, "after must be a cursor from \"next\"");
    json_t *items;
    int more;
    rv_error e;
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_list_voicemails(s->store, &q, &items, &more, &e);
    pthread_mutex_unlock(&s->store_lock);
    if (rc != RV_OK) return send_rv_error(s, c, &e);
    /* who looked at whose numbers and names: lists are audited too */
    if (rv_audit(s, who.name, who.remote, "voicemails_listed", 0, NULL, listed_query(c), &e) != RV_OK) {
        json_decref(items);
        return send_rv_error(s, c, &e);
    }
    json_t *next = json_null();
    size_t n = json_array_size(items);
    if (more && n) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld",
                 (long long)json_integer_value(json_object_get(json_array_get(items, n - 1), "id")));
        json_decref(next);
        next = json_string(buf);
    }
    return send_json(s, c, MHD_HTTP_OK, json_pack("{s:o,s:o}", "items", items, "next", next));
}

/* ---- administration ---- */

/* POST /v1/sweeps?date=&dry_run=&format= (admin): the nightly sweep now, on
 * the sweep thread while the connection waits; 200 with its report, 409
 * while one runs. */
static enum MHD_Result post_sweep(rv_server *s, struct MHD_Connection *c, const char *method, request *rq)
{
    enum MHD_Result ret;
    caller who;
    if (rq->job_state == 1) return job_answer(s, c, rq); /* resumed: the sweep is done */
    if (strcmp(method, "POST") != 0) return wrong_method(s, c, "POST");
    if (!authorise(s, c, ROLE(RV_ROLE_ADMIN), &who, &ret)) return ret;
    const char *date_s = arg(c, "date"), *dry_s = arg(c, "dry_run"), *fmt_s = arg(c, "format");
    long date;
    if (date_s && !rv_parse_date(date_s, &date)) return send_error(s, c, RV_ERR_ARG, "date must be YYYY-MM-DD");
    int dry_run = 0;
    if (dry_s && rv_parse_bool(dry_s, &dry_run) != 0)
        return send_error(s, c, RV_ERR_ARG, "dry_run must be true or false (or 1/0, yes/no)");
    int fmt = fmt_s ? rv_sweep_format_parse(fmt_s) : RV_SWEEP_JSON;
    if (fmt < 0) return send_error(s, c, RV_ERR_ARG, "format must be json, csv or html");
    if (!date_s) { /* today, in Sweden */
        char now[32];
        rv_utc_now(now);
        rv_local_date(now, RV_CAL_SE, &date);
    }
    int idle = 0;
    if (!atomic_compare_exchange_strong(&s->sweep_busy, &idle, 1))
        return send_error(s, c, RV_ERR_SWEEP_RUNNING, "a sweep is running; try again when it is done");
    rq->job = (rv_job){.kind = RV_JOB_SWEEP, .date = date, .dry_run = dry_run,
                       .format = (rv_sweep_format)fmt};
    ret = job_hand_over(s, c, rq, &who);
    if (!rq->job_state) s->sweep_busy = 0; /* not handed over */
    return ret;
}

/* GET /v1/audit?voicemail=&actor=&from=&to= (admin) */
static enum MHD_Result get_audit(rv_server *s, struct MHD_Connection *c, const char *method)
{
    enum MHD_Result ret;
    caller who;
    if (strcmp(method, "GET") != 0) return wrong_method(s, c, "GET");
    if (!authorise(s, c, ROLE(RV_ROLE_ADMIN), &who, &ret)) return ret;
    const char *vm = arg(c, "voicemail"), *actor = arg(c, "actor"), *from = arg(c, "from"), *to = arg(c, "to");
    long long vid = vm ? rv_parse_id(vm, strlen(vm)) : 0;
    if (vm && !vid) return send_error(s, c, RV_ERR_ARG, "voicemail must be an id");
    char from_utc[32], to_utc[32];
    if ((from && !rv_rfc3339_utc(from, from_utc)) || (to && !rv_rfc3339_utc(to, to_utc)))
        return send_error(s, c, RV_ERR_ARG, "from and to must be RFC 3339 dates and times");
    if (from) from = from_utc;
    if (to) to = to_utc;
    json_t *items;
    rv_error e;
    const char *fmt = arg(c, "format");
    if (fmt && strcmp(fmt, "json") != 0 && strcmp(fmt, "csv") != 0)
        return send_error(s, c, RV_ERR_ARG, "format must be json or csv");
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_list_audit(s->store, vid, actor, from, to, 1000, &items, &e);
    pthread_mutex_unlock(&s->store_lock);
    if (rc != RV_OK) return send_rv_error(s, c, &e);
    if (!fmt || strcmp(fmt, "json") == 0) return send_json(s, c, MHD_HTTP_OK, json_pack("{s:o}", "items", items));
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f) {
        json_decref(items);
        return MHD_NO;
    }
    fputs("id,at,actor,remote,action,voicemail,ext,detail\r\n", f);
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        fprintf(f, "%lld", (long long)json_integer_value(json_object_get(it, "id")));
        const char *keys[] = {"at", "actor", "remote", "action", "voicemail", "ext", "detail"};
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
            json_t *v = json_object_get(it, keys[k]);
            fputc(',', f);
            if (json_is_integer(v)) fprintf(f, "%lld", (long long)json_integer_value(v));
            else if (json_is_string(v)) rv_csv_field(f, json_string_value(v));
        }
        fputs("\r\n", f);
    }
    fclose(f);
    json_decref(items);
    return send_bytes(s, c, MHD_HTTP_OK, out, len, "text/csv; charset=utf-8", "Content-Disposition",
                      "attachment; filename=\"rostvakt-logg.csv\"");
}

/* CSV field: quoted when it holds a comma, quote or line break; a leading
 * =, +, - or @ is escaped so that a spreadsheet does not run it. */
static void rv_csv_field(FILE *f, const char *v)
{
    int quote = strpbrk(v, ",\"\r\n") != NULL || strchr("=+-@", v[0]) != NULL;
    if (!quote) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    if (v[0] && strchr("=+-@", v[0])) fputc('\'', f);
    for (const char *p = v; *p; p++) {
        if (*p == '"') fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

/* A request from this machine that no proxy forwarded (metrics_access
 * loopback): a proxy on this machine forwards anyone's. */
static int from_loopback(rv_server *s, struct MHD_Connection *c)
{
    char remote[64];
    remote_of(c, remote);
    return strncmp(remote, "127.", 4) == 0 && !(s->cfg.trusted_proxy[0] && strcmp(remote, s->cfg.trusted_proxy) == 0) &&
           !header(c, "X-Forwarded-For") && !header(c, "Forwarded") && !header(c, "X-Real-IP");
}

/* GET /metrics: Prometheus text format, to whom metrics_access lets: anyone
 * (open), anyone signed in (token), or those and this machine (loopback). */
static enum MHD_Result get_metrics(rv_server *s, struct MHD_Connection *c, const char *method)
{
    if (strcmp(method, "GET") != 0) return wrong_method(s, c, "GET");
    int open_to_all = strcmp(s->cfg.metrics_access, "open") == 0 ||
                      (strcmp(s->cfg.metrics_access, "loopback") == 0 && !header(c, "Authorization") &&
                       from_loopback(s, c));
    if (!open_to_all) {
        enum MHD_Result ret;
        caller who;
        unsigned anyone = ROLE(RV_ROLE_OFFICER) | ROLE(RV_ROLE_ADMIN) | ROLE(RV_ROLE_MANAGER) | ROLE(RV_ROLE_PBX);
        if (!authorise(s, c, anyone, &who, &ret)) return ret;
    }
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f) return MHD_NO;
    pthread_mutex_lock(&s->store_lock);
    long long queued = rv_store_count_queued(s->store);
    long mail_pending = rv_store_outbox_pending(s->store);
    pthread_mutex_unlock(&s->store_lock);
    rv_metrics_write(&s->metrics, queued, f);
    fprintf(f, "# HELP rostvakt_mail_pending The sweep's mails not sent yet (tried again at the next sweep).\n"
               "# TYPE rostvakt_mail_pending gauge\nrostvakt_mail_pending %ld\n"
               "# HELP rostvakt_sweep_running 1 while a sweep asked for over HTTP waits or runs.\n"
               "# TYPE rostvakt_sweep_running gauge\nrostvakt_sweep_running %d\n",
            mail_pending, atomic_load(&s->sweep_busy) ? 1 : 0);
    fclose(f);
    return send_bytes(s, c, MHD_HTTP_OK, out, len, "text/plain; version=0.0.4", NULL, NULL);
}

/* ---- the web app: sign-in and its files ---- */

/* Set-Cookie for the session id (empty: the cookie removed). */
static void session_cookie(rv_server *s, struct MHD_Connection *c, const char *id, char *out, size_t cap)
{
    char remote[64];
    remote_of(c, remote);
    const char *proto = header(c, "X-Forwarded-Proto");
    int secure = s->cfg.session_cookie_secure ||
                 (s->cfg.trusted_proxy[0] && strcmp(remote, s->cfg.trusted_proxy) == 0 && proto &&
                  strcasecmp(proto, "https") == 0);
    snprintf(out, cap, "rv_session=%s; Path=/; HttpOnly; SameSite=Strict%s%s", id, secure ? "; Secure" : "",
             *id ? "" : "; Max-Age=0");
}

/* POST /v1/session {"token": ...}: a session cookie for an officer's,
 * admin's or manager's token (a pbx token may not sign in); GET: who is
 * signed in, with the CSRF token the app sends back; DELETE: sign out. */
static enum MHD_Result session_route(rv_server *s, struct MHD_Connection *c, const char *method, request *rq)
{
    enum MHD_Result ret;
    caller who;
    char cookie[200];
    if (strcmp(method, "POST") == 0) {
        json_error_t je;
        json_t *j = rq->len ? json_loadb(rq->body, rq->len, 0, &je) : NULL;
        const char *token = json_string_value(json_object_get(j, "token"));
        rv_role role;
        char name[RV_TOKEN_NAME_MAX + 1], remote[64];
        remote_of(c, remote);
        if (!j || !json_is_object(j)) {
            json_decref(j);
            return send_error(s, c, RV_ERR_ARG, "the body must be a JSON object {\"token\": ...}");
        }
        unsigned char key[RV_TOKEN_KEY_LEN];
        int ok = 0;
        for (int again = 0; token && !ok && again < 2; again++) { /* unknown: made just now? */
            rv_server_tokens_fresh(s, again);
            pthread_rwlock_rdlock(&s->id_lock);
            ok = rv_tokens_check_key(s->tokens, token, &role, name, sizeof name, key);
            pthread_rwlock_unlock(&s->id_lock);
        }
        json_decref(j);
        if (!ok) return send_error(s, c, RV_ERR_UNAUTHORIZED, "no such token");
        rv_error e;
        /* a session lives in memory, outside any transaction: audited
         * first, and none made unless its audit row is written */
        if (role == RV_ROLE_PBX) {
            if (rv_audit(s, name, remote, "sign_in_refused", 0, NULL, "a pbx token", &e) != RV_OK)
                return send_rv_error(s, c, &e);
            return send_error(s, c, RV_ERR_FORBIDDEN, "a PBX token cannot sign in to the web app");
        }
        char id[RV_SESSION_ID_LEN + 1], csrf[RV_SESSION_ID_LEN + 1];
        if (rv_audit(s, name, remote, "sign_in", 0, NULL, NULL, &e) != RV_OK) return send_rv_error(s, c, &e);
        if (rv_session_create(s->sessions, key, id, csrf, &e) != RV_OK) return send_rv_error(s, c, &e);
        session_cookie(s, c, id, cookie, sizeof cookie);
        return send_json_h(s, c, MHD_HTTP_CREATED,
                           json_pack("{s:s,s:s,s:s,s:I}", "name", name, "role", rv_role_name(role), "csrf", csrf,
                                     "idle_timeout", (json_int_t)s->cfg.session_idle_timeout),
                           "Set-Cookie", cookie);
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "DELETE") != 0) return wrong_method(s, c, "POST, GET or DELETE");
    unsigned anyone = ROLE(RV_ROLE_OFFICER) | ROLE(RV_ROLE_ADMIN) | ROLE(RV_ROLE_MANAGER) | ROLE(RV_ROLE_PBX);
    if (!authorise(s, c, anyone, &who, &ret)) return ret;
    if (strcmp(method, "DELETE") == 0) { /* audited first: the session stays unless its end is recorded */
        rv_error e;
        if (rv_audit(s, who.name, who.remote, "sign_out", 0, NULL, NULL, &e) != RV_OK) return send_rv_error(s, c, &e);
        if (who.sid) rv_session_end(s->sessions, who.sid);
        session_cookie(s, c, "", cookie, sizeof cookie);
        return send_json_h(s, c, MHD_HTTP_OK, json_pack("{s:b}", "signed_out", 1), "Set-Cookie", cookie);
    }
    return send_json(s, c, MHD_HTTP_OK,
                     json_pack("{s:s,s:s,s:s,s:o}", "name", who.name, "role", rv_role_name(who.role), "via", who.via,
                               "csrf", who.csrf[0] ? json_string(who.csrf) : json_null()));
}

/* GET /v1/sweeps?limit= (admin, officer, manager): the kept reports of the
 * latest sweeps, newest first (default 60, at most 400); /v1/sweeps/{id} one. */
static enum MHD_Result list_sweeps(rv_server *s, struct MHD_Connection *c, long long id)
{
    enum MHD_Result ret;
    caller who;
    if (!authorise(s, c, VIEWERS, &who, &ret)) return ret;
    const char *l = arg(c, "limit");
    long long limit = l ? rv_parse_id(l, strlen(l)) : 60;
    if (!limit || limit > 400) return send_error(s, c, RV_ERR_ARG, "limit must be 1 to 400");
    json_t *items;
    rv_error e;
    pthread_mutex_lock(&s->store_lock);
    rv_err rc = rv_store_list_sweeps(s->store, (int)limit, id, &items, &e);
    pthread_mutex_unlock(&s->store_lock);
    if (rc != RV_OK) return send_rv_error(s, c, &e);
    /* the reports name mailboxes and callers' numbers: no read unaudited */
    char detail[48];
    snprintf(detail, sizeof detail, "sweep %lld", id);
    if (id && json_array_size(items) && rv_audit(s, who.name, who.remote, "sweep_read", 0, NULL, detail, &e) != RV_OK)
        rc = e.code;
    if (!id && rv_audit(s, who.name, who.remote, "sweeps_listed", 0, NULL, listed_query(c), &e) != RV_OK) rc = e.code;
    if (rc != RV_OK) {
        json_decref(items);
        return send_rv_error(s, c, &e);
    }
    if (id) {
        json_t *one = json_incref(json_array_get(items, 0));
        json_decref(items);
        if (!one) return send_error(s, c, RV_ERR_NOT_FOUND, "no such sweep");
        return send_json(s, c, MHD_HTTP_OK, one);
    }
    return send_json(s, c, MHD_HTTP_OK, json_pack("{s:o}", "items", items));
}


static enum MHD_Result web_file(rv_server *s, struct MHD_Connection *c, const char *method, const char *url,
                                const char *type)
{
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) return wrong_method(s, c, "GET");
    char path[RV_CONFIG_STR_MAX + 80];
    snprintf(path, sizeof path, "%s%s", s->cfg.web_dir, url);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (16 << 20)) {
        if (fd >= 0) close(fd);
        return send_error(s, c, RV_ERR_NOT_FOUND, errno == ENOENT ? "no such page" : "no such resource");
    }
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t got = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    close(fd);
    if (got != (ssize_t)st.st_size) {
        free(buf);
        return send_error(s, c, RV_ERR_IO, "cannot read the page");
    }
    struct MHD_Response *r = MHD_create_response_from_buffer((size_t)got, buf, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(buf);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
                            "script-src 'self'; frame-ancestors 'none'; form-action 'self'");
    enum MHD_Result ret = queue(s, c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- routing ---- */





/* The whole request is here: to its handler. */
static enum MHD_Result route(rv_server *s, struct MHD_Connection *c, const char *url, const char *method,
                             request *rq)
{
    /* HEAD is GET without the body (libmicrohttpd sends the headers only);
     * audio and the app's files tell the two apart themselves: a HEAD of a
     * recording reads nothing and is not audited */
    const char *asked = method;
    if (strcmp(method, "HEAD") == 0) method = "GET";
    if (strcmp(url, "/healthz") == 0) {
        if (strcmp(method, "GET") != 0) return wrong_method(s, c, "GET");
        return send_json(s, c, MHD_HTTP_OK, json_pack("{s:s}", "status", "ok"));
    }
    if (strcmp(url, "/metrics") == 0) return get_metrics(s, c, method);
    const char *type;
    if (strcmp(url, "/") == 0) return web_file(s, c, asked, "/index.html", "text/html; charset=utf-8");
    if (rv_web_path(url, &type)) return web_file(s, c, asked, url, type);
    if (strcmp(url, "/v1/session") == 0) return session_route(s, c, method, rq);
    if (strcmp(url, "/v1/sweeps") == 0 && strcmp(method, "GET") == 0) return list_sweeps(s, c, 0);
    if (strncmp(url, "/v1/sweeps/", 11) == 0) {
        long long sid = rv_parse_id(url + 11, strlen(url + 11));
        if (sid && strcmp(method, "GET") != 0) return wrong_method(s, c, "GET");
        if (sid) return list_sweeps(s, c, sid);
    }
    if (strcmp(url, "/v1/audit") == 0) return get_audit(s, c, method);
    if (strcmp(url, "/v1/sweeps") == 0) return post_sweep(s, c, method, rq);
    if (strcmp(url, "/v1/voicemails") == 0) return list_voicemails(s, c, method);
    if (strcmp(url, "/v1/review") == 0) return list_review(s, c, method);
    const char *vpre = "/v1/voicemails/";
    if (strncmp(url, vpre, strlen(vpre)) == 0) {
        const char *rest = url + strlen(vpre), *slash = strchr(rest, '/');
        if (!slash) return get_voicemail(s, c, method, rest);
        long long id = rv_parse_id(rest, (size_t)(slash - rest));
        if (!id) return send_error(s, c, RV_ERR_ARG, "the id must be a positive number of up to 18 digits");
        if (id && (strcmp(slash, "/callback") == 0 || strcmp(slash, "/decision") == 0))
            return voicemail_action(s, c, method, id, slash + 1, rq);
        if (id && strcmp(slash, "/audio") == 0) return get_audio(s, c, asked, id);
        if (id && strcmp(slash, "/package") == 0) return post_package(s, c, method, id, rq);
        if (id && strcmp(slash, "/archived") == 0) return post_archived(s, c, method, id, rq);
    }
    char ext[24];
    if (rv_voicemail_url(url, ext)) {
        if (strcmp(method, "POST") != 0 && !rq->up) return wrong_method(s, c, "POST");
        return post_voicemail(s, c, ext, rq);
    }
    if (strcmp(url, "/v1/mailboxes") == 0) return list_mailboxes(s, c, method);
    if (strcmp(url, "/v1/units") == 0) return list_units(s, c, method);
    if (strncmp(url, "/v1/units/", 10) == 0) return put_unit(s, c, method, url + 10, rq);
    const char *pre = "/v1/mailboxes/";
    if (strncmp(url, pre, strlen(pre)) == 0) {
        const char *rest = url + strlen(pre), *slash = strchr(rest, '/');
        if (!slash) return mailbox(s, c, method, rest, rq);
        if (slash - rest < (long)sizeof ext) {
            snprintf(ext, sizeof ext, "%.*s", (int)(slash - rest), rest);
            if (strcmp(slash, "/greeting") == 0) return greeting(s, c, method, ext, rq);
            if (strcmp(slash, "/greetings") == 0) return greeting_versions(s, c, method, ext);
            if (strcmp(slash, "/name-recording") == 0) return name_recording(s, c, method, ext, rq);
            const char *gv = "/greetings/", *rv = "/review", *av = "/audio";
            size_t sl = strlen(slash);
            if (strncmp(slash, gv, strlen(gv)) == 0 && sl > strlen(gv) + strlen(av) &&
                strcmp(slash + sl - strlen(av), av) == 0) {
                long long id = rv_parse_id(slash + strlen(gv), sl - strlen(gv) - strlen(av));
                if (id) return greeting_audio(s, c, asked, ext, id);
            }
            if (strncmp(slash, gv, strlen(gv)) == 0 && sl > strlen(gv) + strlen(rv) &&
                strcmp(slash + sl - strlen(rv), rv) == 0) {
                const char *idt = slash + strlen(gv);
                long long id = rv_parse_id(idt, sl - strlen(gv) - strlen(rv));
                if (id) return review_greeting(s, c, method, ext, id, rq);
            }
        }
    }
    return send_error(s, c, RV_ERR_NOT_FOUND, "no such resource");
}

/* ---- deadlines: slow clients do not keep others out ---- */

/* One TCP connection: when its current stage began, and how much of its
 * body has come since. */
typedef enum { CONN_HEADERS, CONN_BODY, CONN_ANSWER, CONN_CUT } conn_stage;
struct rv_conn {
    int fd;
    conn_stage stage;
    long long since_ms;
    unsigned long long body_bytes;
    struct rv_conn *prev, *next;
};

/* More connections than this waiting for their headers or sending a body
 * slowly, and those waiting longer than CROWD_MS are cut first: room for
 * new clients. A body is slow while it has come at less than MIN_BODY_RATE
 * bytes a second since it began: a sign-in (a few hundred bytes) or a PBX's
 * upload on a LAN is far faster. */
#define CROWD 64
#define CROWD_MS 2000
#define MIN_BODY_RATE 4096

static int slow_body(const struct rv_conn *k, long long age)
{
    return k->stage == CONN_BODY && age > CROWD_MS && k->body_bytes * 1000 < (unsigned long long)age * MIN_BODY_RATE;
}

static void conn_stage_set(rv_server *s, struct MHD_Connection *c, conn_stage st)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct rv_conn *k = ci ? ci->socket_context : NULL;
    if (!k) return;
    pthread_mutex_lock(&s->conn_lock);
    if (k->stage != CONN_CUT) { /* a cut connection stays cut, and uncounted */
        if (k->stage == CONN_HEADERS && st != CONN_HEADERS) s->n_waiting--;
        if (k->stage != CONN_HEADERS && st == CONN_HEADERS) s->n_waiting++;
        k->stage = st;
    }
    k->since_ms = rv_now_ms();
    k->body_bytes = 0;
    pthread_mutex_unlock(&s->conn_lock);
}

/* n more bytes of c's body have come. */
static void conn_body_bytes(rv_server *s, struct MHD_Connection *c, size_t n)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct rv_conn *k = ci ? ci->socket_context : NULL;
    if (!k) return;
    pthread_mutex_lock(&s->conn_lock);
    k->body_bytes += n;
    pthread_mutex_unlock(&s->conn_lock);
}

static void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode toe)
{
    rv_server *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct rv_conn *k = ci ? calloc(1, sizeof *k) : NULL;
        if (!k) return;
        k->fd = ci->connect_fd;
        k->stage = CONN_HEADERS;
        k->since_ms = rv_now_ms();
        pthread_mutex_lock(&s->conn_lock);
        k->next = s->conns;
        if (s->conns) s->conns->prev = k;
        s->conns = k;
        if (++s->n_waiting > CROWD) pthread_cond_signal(&s->conn_wake);
        pthread_mutex_unlock(&s->conn_lock);
        *socket_context = k;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        struct rv_conn *k = *socket_context;
        pthread_mutex_lock(&s->conn_lock); /* before the socket is closed: the reaper never cuts a reused fd */
        if (k->prev) k->prev->next = k->next;
        else s->conns = k->next;
        if (k->next) k->next->prev = k->prev;
        if (k->stage == CONN_HEADERS) s->n_waiting--;
        pthread_mutex_unlock(&s->conn_lock);
        free(k);
        *socket_context = NULL;
    }
}

/* Every quarter second: connections past their headers' or body's
 * deadline are shut down (libmicrohttpd then closes them), and while more
 * than CROWD wait for headers or send a body slowly, those of them waiting
 * longer than CROWD_MS go. */
static void *reaper(void *arg)
{
    rv_server *s = arg;
    pthread_mutex_lock(&s->conn_lock);
    while (!s->reaper_stop) {
        long long now = rv_now_ms();
        long long head = s->cfg.http_header_timeout * 1000, body = s->cfg.http_body_timeout * 1000;
        int waiting = 0; /* counted here, where it decides: the running count only wakes this thread */
        for (struct rv_conn *k = s->conns; k; k = k->next)
            waiting += k->stage == CONN_HEADERS || slow_body(k, now - k->since_ms);
        int crowded = waiting > CROWD;
        for (struct rv_conn *k = s->conns; k; k = k->next) {
            long long age = now - k->since_ms;
            int cut = (k->stage == CONN_HEADERS && (age > head || (crowded && age > CROWD_MS))) ||
                      (k->stage == CONN_BODY && (age > body || (crowded && slow_body(k, age))));
            if (cut) {
                shutdown(k->fd, SHUT_RDWR);
                if (k->stage == CONN_HEADERS) s->n_waiting--;
                k->stage = CONN_CUT;
            }
        }
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += 250000000L;
        if (t.tv_nsec >= 1000000000L) t.tv_sec++, t.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&s->conn_wake, &s->conn_lock, &t);
    }
    pthread_mutex_unlock(&s->conn_lock);
    return NULL;
}

/* libmicrohttpd's unescaping, except that an escaped NUL or control
 * character becomes DEL, which no route holds: "/v1/mailboxes/47%0012"
 * must not become mailbox 47. */
static int hexval(char h)
{
    return h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
}

static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls, (void)c;
    char *w = s;
    for (const char *r = s; *r; r++) {
        int hi, lo;
        if (*r == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0) {
            unsigned char ch = (unsigned char)(hi * 16 + lo);
            *w++ = ch < 0x20 ? 0x7f : (char)ch;
            r += 2;
        } else *w++ = *r;
    }
    *w = '\0';
    return (size_t)(w - s);
}

/* ---- one budget for the bodies held in memory, whoever sends them ---- */

/* 1 when n more bytes of bodies may be held (and they are counted), else 0. */
static int budget_take(rv_server *s, size_t n)
{
    long long held = atomic_load(&s->bodies_held);
    do {
        if (held + (long long)n > s->cfg.http_body_budget) return 0;
    } while (!atomic_compare_exchange_weak(&s->bodies_held, &held, held + (long long)n));
    return 1;
}

static void budget_give(rv_server *s, size_t n)
{
    if (n) atomic_fetch_sub(&s->bodies_held, (long long)n);
}

/* 503 with Retry-After: the body would fit its own limit, but not now. */
static enum MHD_Result over_budget(rv_server *s, struct MHD_Connection *c)
{
    return send_error(s, c, RV_ERR_BUSY,
                      "the service holds as many request bodies as it may (http_body_budget); try again later");
}

/* Clears *(int *)cls at a query key or value that is not UTF-8. */
static enum MHD_Result query_utf8(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    int *ok = cls;
    if (!rv_utf8_valid(key) || (value && !rv_utf8_valid(value))) *ok = 0;
    return *ok ? MHD_YES : MHD_NO;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    rv_server *s = cls;
    request *rq = *con_cls;
    current_method = method;
    if (!rq) { /* first call: headers only */
        rq = calloc(1, sizeof *rq);
        if (!rq) return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &rq->start);
        *con_cls = rq;
        conn_stage_set(s, c, CONN_BODY); /* the headers are in; the body has its own deadline */
        if (strchr(url, 0x7f)) return send_error(s, c, RV_ERR_ARG, "the path holds an escaped control character");
        int utf8 = rv_utf8_valid(url); /* else nothing of it is stored or audited: JSON could not show it */
        if (utf8) MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_utf8, &utf8);
        if (!utf8) return send_error(s, c, RV_ERR_ARG, "the path and query must be UTF-8");
        const char *cl = header(c, "Content-Length");
        rq->limit = (size_t)(rv_is_audio_upload(url) ? s->cfg.max_audio_bytes : s->cfg.max_json_bytes);
        size_t small = rv_body_cap(url, method);
        if (small && small < rq->limit) rq->limit = small;
        unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
        const char *te = header(c, "Transfer-Encoding");
        if (declared || te) { /* a body: its sender and route checked before it is read */
            int anyone;
            unsigned roles = rv_body_roles(url, method, &anyone);
            caller who;
            enum MHD_Result ret;
            if (!roles) return route(s, c, url, method, rq); /* 404 or 405 from the router, unread */
            if (!anyone && !authorise(s, c, roles, &who, &ret)) return ret;
            const char *ct = header(c, "Content-Type");
            if (!rv_is_audio_upload(url) && (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
                                          (ct[16] && ct[16] != ';' && ct[16] != ' ')))
                return send_error(s, c, RV_ERR_MEDIA_TYPE, "the body must be JSON (Content-Type: application/json)");
        }
        if (declared > rq->limit) /* refused before the body is read */
            return send_error(s, c, RV_ERR_TOO_LARGE, "request body too large");
        if (declared) { /* one buffer of the declared size: no copying as it arrives */
            if (!budget_take(s, (size_t)declared + 1)) return over_budget(s, c);
            rq->held = (size_t)declared + 1;
            rq->body = malloc((size_t)declared + 1);
            if (!rq->body) return MHD_NO;
            rq->cap = (size_t)declared + 1;
        }
        return MHD_YES;
    }
    if (*upload_size) {
        conn_body_bytes(s, c, *upload_size);
        if (!rq->too_large && !rq->over_budget && rq->len + *upload_size <= rq->limit) {
            if (rq->len + *upload_size + 1 > rq->cap) {
                size_t cap = (rq->len + *upload_size + 1) * 2;
                if (cap > rq->limit + 1) cap = rq->limit + 1;
                if (cap > rq->held && !budget_take(s, cap - rq->held)) {
                    rq->over_budget = 1;
                    *upload_size = 0;
                    return MHD_YES;
                }
                if (cap > rq->held) rq->held = cap;
                char *nb = realloc(rq->body, cap);
                if (!nb) return MHD_NO;
                rq->body = nb;
                rq->cap = cap;
            }
            memcpy(rq->body + rq->len, upload, *upload_size);
            rq->len += *upload_size;
            rq->body[rq->len] = '\0';
        } else if (!rq->over_budget) rq->too_large = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->too_large) return send_error(s, c, RV_ERR_TOO_LARGE, "request body too large");
    if (rq->over_budget) return over_budget(s, c);
    if (!rq->answering) {
        rq->answering = 1;
        conn_stage_set(s, c, CONN_ANSWER); /* all in: however long the answer takes */
    }
    return route(s, c, url, method, rq);
}

static void done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)t;
    rv_server *s = cls;
    conn_stage_set(s, c, CONN_HEADERS); /* a kept-alive connection waits for its next request's headers */
    request *rq = *con_cls;
    if (rq) {
        struct timespec end;
        clock_gettime(CLOCK_MONOTONIC, &end);
        rv_metrics_latency(&s->metrics,
                           (double)(end.tv_sec - rq->start.tv_sec) + (end.tv_nsec - rq->start.tv_nsec) / 1e9);
        free(rq->body);
        budget_give(s, rq->held);
        free(rq->up);
        free(rq->job.out);
    }
    free(rq);
    *con_cls = NULL;
}

rv_err rv_http_start(rv_server *s, unsigned *port, rv_error *err)
{
    char host[64];
    unsigned p;
    const char *listen = s->cfg.listen, *colon = strrchr(listen, ':');
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host || sscanf(colon + 1, "%u", &p) != 1 ||
        p > 65535)
        return rv_error_set(err, RV_ERR_ARG, "--listen must be ADDRESS:PORT, not '%s'", listen);
    snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)p);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return rv_error_set(err, RV_ERR_ARG, "'%s' is not an IPv4 address", host);
    /* a pool of one is no pool: libmicrohttpd warns about it */
    struct MHD_OptionItem pool[] = {
        {s->cfg.http_workers > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, (intptr_t)s->cfg.http_workers, NULL},
        {MHD_OPTION_END, 0, NULL}};
    if (s->cfg.http_body_budget < s->cfg.max_audio_bytes + 1 || s->cfg.http_body_budget < s->cfg.max_json_bytes + 1)
        return rv_error_set(err, RV_ERR_CONFIG,
                            "http_body_budget (%lld) must hold at least one body of max_audio_bytes (%lld) and of "
                            "max_json_bytes (%lld)",
                            (long long)s->cfg.http_body_budget, (long long)s->cfg.max_audio_bytes,
                            (long long)s->cfg.max_json_bytes);
    /* poll, not epoll: libmicrohttpd 0.9.75's epoll loop, handed as many
     * events as its batch holds (128, a worker's share of the connections
     * when they are all held), waits for more before it handles them, so
     * slow connections cut all at once stayed open until the next event */
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME |
                                MHD_USE_ERROR_LOG,
                            0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_ARRAY, pool, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
                            MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)256, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)128,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                            (size_t)(128 * 1024), MHD_OPTION_NOTIFY_COMPLETED, done, s,
                            MHD_OPTION_NOTIFY_CONNECTION, conn_notify, s, MHD_OPTION_END);
    if (!s->d) return rv_error_set(err, RV_ERR_IO, "cannot listen on %s:%u", host, p);
    if (pthread_create(&s->reaper, NULL, reaper, s) != 0) {
        MHD_stop_daemon(s->d);
        s->d = NULL;
        return rv_error_set(err, RV_ERR_INTERNAL, "cannot start the connection reaper");
    }
    s->have_reaper = 1;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    *port = di ? di->port : p;
    return RV_OK;
}

void rv_http_stop(rv_server *s)
{
    if (s->have_reaper) {
        pthread_mutex_lock(&s->conn_lock);
        s->reaper_stop = 1;
        pthread_cond_signal(&s->conn_wake);
        pthread_mutex_unlock(&s->conn_lock);
        pthread_join(s->reaper, NULL);
        s->have_reaper = 0;
    }
    if (s->d) MHD_stop_daemon(s->d);
    s->d = NULL;
}
