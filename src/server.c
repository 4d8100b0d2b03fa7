/* The HTTP service on libmicrohttpd: a thread pool with connection limits and
 * timeouts; JSON errors {"error": {"code", "message"}} with the right status. */
#include "rostvakt/server.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rostvakt/store.h"
#include "rostvakt/token.h"

struct rv_server {
    struct MHD_Daemon *d;
    rv_store *store;
    pthread_mutex_t store_lock; /* one SQLite connection, one transaction at a time */
    rv_tokens *tokens;
    size_t max_json;
};

typedef struct {
    char *body;
    size_t len, cap;
    int too_large;
} request;

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!s) return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
    if (!r) { free(s); return MHD_NO; }
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
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

/* 0 and a response queued when the caller may not; 1 when role is allowed. */
static int authorise(rv_server *s, struct MHD_Connection *c, unsigned allowed, enum MHD_Result *ret)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    rv_role role;
    char name[RV_TOKEN_NAME_MAX + 1];
    if (!h || strncmp(h, "Bearer ", 7) != 0 || !rv_tokens_check(s->tokens, h + 7, &role, name, sizeof name)) {
        *ret = send_error(c, MHD_HTTP_UNAUTHORIZED, "unauthorized", "a valid bearer token is needed");
        return 0;
    }
    if (!(allowed & (1u << role))) {
        *ret = send_error(c, MHD_HTTP_FORBIDDEN, "forbidden", "this token's role may not do that");
        return 0;
    }
    return 1;
}

static void now_iso(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
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
        int created;
        char now[32];
        now_iso(now);
        pthread_mutex_lock(&s->store_lock);
        rv_err rc = rv_store_put_mailbox(s->store, &m, now, &created, &e);
        pthread_mutex_unlock(&s->store_lock);
        if (rc != RV_OK) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), e.msg);
        return send_json(c, created ? MHD_HTTP_CREATED : MHD_HTTP_OK, mailbox_json(&m));
    }
    if (strcmp(method, "GET") == 0) {
        if (!authorise(s, c, 1u << RV_ROLE_OFFICER | 1u << RV_ROLE_ADMIN, &ret)) return ret;
        pthread_mutex_lock(&s->store_lock);
        rv_err rc = rv_store_get_mailbox(s->store, ext, &m, &e);
        pthread_mutex_unlock(&s->store_lock);
        if (rc == RV_ERR_NOT_FOUND || rc == RV_ERR_ARG)
            return send_error(c, rc == RV_ERR_ARG ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_NOT_FOUND, rv_err_slug(rc), e.msg);
        if (rc != RV_OK) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rv_err_slug(rc), e.msg);
        return send_json(c, MHD_HTTP_OK, mailbox_json(&m));
    }
    return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "PUT or GET");
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
        *con_cls = rq;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > s->max_json) /* refused before the body is read */
            return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", "request body too large");
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rq->too_large && rq->len + *upload_size <= s->max_json) {
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
    const char *pre = "/v1/mailboxes/";
    if (strncmp(url, pre, strlen(pre)) == 0 && !strchr(url + strlen(pre), '/'))
        return mailbox(s, c, method, url + strlen(pre), rq);
    return send_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such resource");
}

static void done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)cls, (void)c, (void)t;
    request *rq = *con_cls;
    if (rq) free(rq->body);
    free(rq);
    *con_cls = NULL;
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
    rv_err rc = rv_tokens_load(o->tokens, &s->tokens, err);
    if (rc == RV_OK) rc = rv_store_open(o->data_dir, &s->store, err);
    if (rc != RV_OK) { rv_server_stop(s); return rc; }
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                            handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->workers ? o->workers : 4),
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                            (unsigned)128, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                            MHD_OPTION_NOTIFY_COMPLETED, done, s, MHD_OPTION_END);
    if (!s->d) {
        rv_server_stop(s);
        return rv_error_set(err, RV_ERR_IO, "cannot listen on %s:%u", host, p);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    *port = di ? di->port : p;
    *out = s;
    return RV_OK;
}

void rv_server_stop(rv_server *s)
{
    if (!s) return;
    if (s->d) MHD_stop_daemon(s->d);
    rv_store_close(s->store);
    rv_tokens_free(s->tokens);
    pthread_mutex_destroy(&s->store_lock);
    free(s);
}
