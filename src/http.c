/* The HTTP transport on libmicrohttpd, and the only file that speaks it:
 * the daemon, each request's life (its deadlines, body limits and the
 * budget of bodies held), authentication (bearer tokens, the web app's
 * session cookies with their CSRF tokens, a trusted proxy's user header),
 * the web app's files, and answers (JSON errors {"error": {"code",
 * "message"}} from the error table). Which handler answers, and who may
 * ask, the route table says (api_routes.c, handed over by server.c); the
 * handlers see a request through api.h. */
#include "http.h"
#include "api.h"

#include <arpa/inet.h>
#include <glib.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "rostvakt/clock.h"
#include "rostvakt/organisation.h"

struct rv_http {
    const rv_config *cfg;
    rv_identity *id;
    rv_metrics *metrics;
    const rv_route *routes;
    size_t n_routes;
    rv_server *app;
    int (*gate)(rv_server *s, rv_req *r, const rv_route *rt, const rv_path *p, int *ret);
    struct MHD_Daemon *d;
    /* connections and their deadlines: a reaper thread shuts down those
     * too slow to send their headers or body */
    pthread_mutex_t conn_lock;
    pthread_cond_t conn_wake;
    struct rv_conn *conns;
    unsigned n_waiting;                       /* connections waiting for headers */
    _Atomic long long bodies_held;            /* bytes of request bodies held, at most cfg->http_body_budget */
    int reaper_stop, have_reaper;
    pthread_t reaper;
};

/* One request, born on the first callback and freed in done(). */
struct rv_req {
    rv_http *h;
    struct MHD_Connection *c;
    const char *method;         /* as asked: HEAD is not GET here */
    char *body;
    size_t len, cap, limit;
    size_t held;                /* bytes of the body budget this request holds */
    int too_large;
    int over_budget;            /* a body without a length outgrew the budget */
    struct timespec start;
    int answering;              /* the whole request is in */
    int authorised;             /* who is filled in */
    rv_caller who;
    rv_then then;               /* where a request that waited goes on */
    void *then_state;
    void *kept;                 /* rv_req_keep's */
    void (*kept_cleanup)(void *);
};

/* A connection waits while other threads work for it. */
static void conn_hold(void *conn) { MHD_suspend_connection(conn); }
static void conn_done(void *conn) { MHD_resume_connection(conn); }

/* ---- the request, as handlers see it ---- */

int rv_req_is_head(const rv_req *r) { return strcmp(r->method, "HEAD") == 0; }

const char *rv_req_arg(rv_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, name);
}

const char *rv_req_header(rv_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, name);
}

const char *rv_req_body(const rv_req *r, size_t *len)
{
    *len = r->len;
    return r->body;
}

/* The query of a list request, for its audit row: which filters someone
 * looked through. */
static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    char *q = cls;
    size_t n = strlen(q);
    snprintf(q + n, 200 - n, "%s%s=%s", n ? "&" : "", key, value ? value : "");
    return MHD_YES;
}

const char *rv_req_query(rv_req *r)
{
    static _Thread_local char q[200];
    q[0] = '\0';
    MHD_get_connection_values(r->c, MHD_GET_ARGUMENT_KIND, add_arg, q);
    q[rv_utf8_cut(q, strlen(q))] = '\0'; /* cut short: never inside a character */
    return q;
}

void rv_req_remote(rv_req *r, char remote[64])
{
    remote[0] = '\0';
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr, remote, 64);
}

const rv_caller *rv_req_caller(const rv_req *r) { return &r->who; }

void *rv_req_keep(rv_req *r, size_t size, void (*cleanup)(void *))
{
    if (r->kept && r->kept_cleanup) r->kept_cleanup(r->kept);
    free(r->kept);
    r->kept = calloc(1, size);
    r->kept_cleanup = r->kept ? cleanup : NULL;
    return r->kept;
}

rv_waiter rv_req_wait(rv_req *r, rv_then then, void *state)
{
    r->then = then;
    r->then_state = state;
    return (rv_waiter){conn_hold, conn_done, r->c};
}

/* ---- answers ---- */

/* headers, and what every answer carries unless they say otherwise: never
 * kept by a browser or proxy (names, numbers, recordings), and its type as
 * given, never sniffed */
static void add_headers(struct MHD_Response *resp, const char *const *headers)
{
    int cache = 0, sniff = 0;
    for (const char *const *h = headers; h && h[0]; h += 2) {
        MHD_add_response_header(resp, h[0], h[1]);
        cache |= strcasecmp(h[0], "Cache-Control") == 0;
        sniff |= strcasecmp(h[0], "X-Content-Type-Options") == 0;
    }
    if (!cache) MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (!sniff) MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
}

rv_answer rv_reply(rv_req *r, unsigned status, char *body, size_t len, const char *const *headers)
{
    if (!body) return MHD_NO;
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    add_headers(resp, headers);
    rv_metrics_status(r->h->metrics, status);
    enum MHD_Result ret = MHD_queue_response(r->c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

rv_answer rv_reply_empty(rv_req *r, unsigned status, const char *const *headers)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    add_headers(resp, headers);
    rv_metrics_status(r->h->metrics, status);
    enum MHD_Result ret = MHD_queue_response(r->c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

rv_answer rv_reply_bytes(rv_req *r, unsigned status, char *body, size_t len, const char *type, const char *header,
                         const char *value)
{
    const char *h[] = {"Content-Type", type, header, value, NULL};
    return rv_reply(r, status, body, len, h);
}

rv_answer rv_reply_json_h(rv_req *r, unsigned status, json_t *j, const char *header, const char *value)
{
    char *t = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(j);
    return rv_reply_bytes(r, status, t, t ? strlen(t) : 0, "application/json; charset=utf-8", header, value);
}

rv_answer rv_reply_json(rv_req *r, unsigned status, json_t *j) { return rv_reply_json_h(r, status, j, NULL, NULL); }

rv_answer rv_reply_error(rv_req *r, rv_err code, const char *msg)
{
    if (code == RV_OK) code = RV_ERR_INTERNAL;
    unsigned status = (unsigned)rv_err_http_status(code);
    /* a message may quote what the client sent, cut anywhere: bytes that are
     * not UTF-8 become U+FFFD, or JSON could not carry the answer at all */
    char *valid = msg && *msg ? g_utf8_make_valid(msg, -1) : NULL;
    json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", rv_err_slug(code), "message",
                          valid ? valid : rv_err_text(code));
    g_free(valid);
    int later = status == MHD_HTTP_SERVICE_UNAVAILABLE || status == MHD_HTTP_INSUFFICIENT_STORAGE;
    return rv_reply_json_h(r, status, j, later ? "Retry-After" : NULL, "30");
}

rv_answer rv_reply_rv_error(rv_req *r, const rv_error *e) { return rv_reply_error(r, e->code, e->msg); }

/* 405 with the methods the path takes, in Allow and in the message. */
static enum MHD_Result wrong_method(rv_req *r, const char *allow)
{
    char *t = NULL;
    char msg[128];
    char *method = g_utf8_make_valid(r->method, (gssize)strnlen(r->method, 24)); /* as the client sent it */
    snprintf(msg, sizeof msg, "%s is not taken here: this path takes %s", method, allow);
    g_free(method);
    json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", rv_err_slug(RV_ERR_METHOD), "message", msg);
    t = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(j);
    const char *h[] = {"Content-Type", "application/json; charset=utf-8", "Allow", allow, NULL};
    return rv_reply(r, MHD_HTTP_METHOD_NOT_ALLOWED, t, t ? strlen(t) : 0, h) ? MHD_YES : MHD_NO;
}

/* ---- authentication ---- */

static int reads_only(const rv_req *r) { return strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0; }

/* The user a trusted proxy names in its header: 1 with name and role;
 * 0 when the request does not come from the proxy or names nobody. */
static int proxy_user(rv_http *h, rv_req *r, const char *remote, char *name, size_t cap, rv_role *role,
                      int *unknown)
{
    *unknown = 0;
    if (!h->cfg->trusted_proxy[0] || strcmp(remote, h->cfg->trusted_proxy) != 0) return 0;
    const char *u = rv_req_header(r, h->cfg->trusted_user_header);
    if (!u || !*u) return 0;
    int known = strlen(u) < cap && rv_identity_user(h->id, u, role);
    if (!known) {
        *unknown = 1;
        return 0;
    }
    snprintf(name, cap, "%s", u);
    return 1;
}

/* rv_group_map_each's callbacks: a group's organisations added to those
 * of a caller (who then acts for these, when the users file gave every
 * one), and its unit to a manager's units. What does not fit is left out:
 * less is seen, never more. */
static void add_orgs(const char *target, void *user)
{
    char *orgs = user, norm[RV_ORGS_TEXT_MAX];
    if (!rv_orgs_norm(target, norm) || !norm[0]) return;
    for (const char *p = norm + 1; *p;) {
        size_t k = strcspn(p, ",");
        char id[RV_ORG_ID_MAX + 1];
        snprintf(id, sizeof id, "%.*s", (int)k, p);
        size_t n = strlen(orgs);
        if (!(n && rv_orgs_has(orgs, id)) && n + k + 2 + (n == 0) < RV_ORGS_TEXT_MAX)
            snprintf(orgs + n, RV_ORGS_TEXT_MAX - n, "%s%s,", n ? "" : ",", id);
        p += k + 1;
    }
}

static void add_unit(const char *target, void *user)
{
    char *units = user;
    const char *at = strrchr(target, '@');
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(at ? (size_t)(at - target) : strlen(target)), target);
    char *key = rv_unit_key(name);
    size_t n = strlen(units);
    if (key && n + strlen(key) + (at ? strlen(at) : 1) + 3 < sizeof ((rv_caller *)0)->units)
        snprintf(units + n, sizeof ((rv_caller *)0)->units - n, "%s%s%s\n", n ? "" : "\n", key, at ? at : "@");
    free(key);
}

/* A proxy user's organisations and (a manager's) units that the groups in
 * the proxy's groups header give, added to who's. */
static void proxy_groups(rv_http *h, rv_req *r, rv_caller *who)
{
    const char *groups = h->cfg->proxy_groups_header[0] ? rv_req_header(r, h->cfg->proxy_groups_header) : NULL;
    if (!groups || !*groups) return;
    char orgs[RV_ORGS_TEXT_MAX] = "";
    rv_group_map_each(h->cfg->proxy_group_orgs, groups, add_orgs, orgs);
    if (orgs[0] && !who->orgs[0]) snprintf(who->orgs, sizeof who->orgs, "%s", orgs);
    else if (orgs[0]) {
        orgs[strlen(orgs) - 1] = '\0'; /* ",a,b," as "a,b" */
        add_orgs(orgs + 1, who->orgs);
    }
    if (who->role == RV_ROLE_MANAGER) rv_group_map_each(h->cfg->proxy_group_units, groups, add_unit, who->units);
}

/* 1 when the caller's role is among allowed (r->who filled in); else 0 and
 * a 401 or 403 answered (*ret). The caller is a bearer token's, the trusted
 * proxy's user, or the web app's session (cookie); a state-changing
 * request by the latter two must carry the session's CSRF token in
 * X-CSRF-Token. */
int rv_req_authorise(rv_req *r, unsigned allowed, rv_answer *ret)
{
    rv_http *h = r->h;
    rv_caller *who = &r->who;
    const char *auth = rv_req_header(r, "Authorization");
    memset(who, 0, sizeof *who);
    r->authorised = 0;
    rv_req_remote(r, who->remote);
    rv_role *role = &who->role;
    char *csrf = who->csrf;
    int unknown = 0;
    rv_sessions *sessions = rv_identity_sessions(h->id);
    rv_identity_fresh(h->id, 0);
    if (auth) {
        int known = strncasecmp(auth, "Bearer ", 7) == 0 &&
                    rv_identity_token(h->id, auth + 7, role, who->name, sizeof who->name);
        if (!known) {
            *ret = rv_reply_error(r, RV_ERR_UNAUTHORIZED, "a valid bearer token is needed");
            return 0;
        }
        who->via = "token";
    } else if (proxy_user(h, r, who->remote, who->name, sizeof who->name, role, &unknown)) {
        rv_sessions_proxy_csrf(sessions, who->name, csrf);
        who->via = "proxy";
    } else if (unknown) {
        *ret = rv_reply_error(r, RV_ERR_FORBIDDEN, "this user has no role in rostvakt");
        return 0;
    } else {
        const char *sid = MHD_lookup_connection_value(r->c, MHD_COOKIE_KIND, "rv_session");
        rv_error e;
        rv_err rc = sid ? rv_identity_session(h->id, sid, role, who->name, sizeof who->name, csrf, &e) : RV_ERR_NOT_FOUND;
        if (rc != RV_OK && rc != RV_ERR_NOT_FOUND) { /* the store does not answer: not signed out */
            *ret = rv_reply_rv_error(r, &e);
            return 0;
        }
        if (rc != RV_OK) {
            *ret = rv_reply_error(r, RV_ERR_UNAUTHORIZED,
                                  sid ? "the session has ended; sign in again" : "a valid bearer token is needed");
            return 0;
        }
        who->via = "session";
        who->sid = sid;
    }
    if (csrf[0] && !reads_only(r)) {
        const char *t = rv_req_header(r, "X-CSRF-Token");
        if (!t || strlen(t) != RV_SESSION_ID_LEN || CRYPTO_memcmp(t, csrf, RV_SESSION_ID_LEN) != 0) {
            *ret = rv_reply_error(r, RV_ERR_FORBIDDEN, "the request lacks the session's CSRF token (X-CSRF-Token)");
            return 0;
        }
    }
    if (!(allowed & ROLE(*role))) {
        char msg[200], roles[120] = "";
        static const rv_role all[] = {RV_ROLE_PBX, RV_ROLE_OFFICER, RV_ROLE_MANAGER, RV_ROLE_ADMIN};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++)
            if (allowed & ROLE(all[i])) {
                size_t at = strlen(roles);
                snprintf(roles + at, sizeof roles - at, "%s%s", at ? " or " : "", rv_role_name(all[i]));
            }
        const char *mine = rv_role_name(*role);
        if (roles[0])
            snprintf(msg, sizeof msg, "a%s %s may not %s this: it is for a%s %s", strchr("aeiou", mine[0]) ? "n" : "",
                     mine, r->method, strchr("aeiou", roles[0]) ? "n" : "", roles);
        else snprintf(msg, sizeof msg, "a%s %s may not do this", strchr("aeiou", mine[0]) ? "n" : "", mine);
        *ret = rv_reply_error(r, RV_ERR_FORBIDDEN, msg);
        return 0;
    }
    if (!rv_identity_orgs(h->id, strcmp(who->via, "proxy") == 0, who->name, who->orgs)) { /* gone meanwhile */
        *ret = rv_reply_error(r, RV_ERR_UNAUTHORIZED, "a valid bearer token is needed");
        return 0;
    }
    if (strcmp(who->via, "proxy") == 0) proxy_groups(h, r, who); /* believed from the trusted proxy alone */
    r->authorised = 1;
    return 1;
}

/* ---- the web app's files ---- */

static enum MHD_Result web_file(rv_http *h, rv_req *r, const char *url, const char *type)
{
    if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) return wrong_method(r, "GET, HEAD");
    char path[RV_CONFIG_STR_MAX + 80];
    snprintf(path, sizeof path, "%s%s", h->cfg->web_dir, url);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (16 << 20)) {
        if (fd >= 0) close(fd);
        return rv_reply_error(r, RV_ERR_NOT_FOUND, errno == ENOENT ? "no such page" : "no such resource");
    }
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t got = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    close(fd);
    if (got != (ssize_t)st.st_size) {
        free(buf);
        return rv_reply_error(r, RV_ERR_IO, "cannot read the page");
    }
    const char *hs[] = {"Content-Type", type, "Cache-Control", "no-cache", "X-Content-Type-Options", "nosniff",
                        "Referrer-Policy", "no-referrer", "Content-Security-Policy",
                        "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
                        "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
                        NULL};
    return rv_reply(r, MHD_HTTP_OK, buf, (size_t)got, hs) ? MHD_YES : MHD_NO;
}

/* ---- dispatch ---- */

/* The route for r's method and url, from the table; NULL with a 404 or a
 * 405 (Allow) answered in *ret. */
static const rv_route *find_route(rv_http *h, rv_req *r, const char *url, rv_path *p, enum MHD_Result *ret)
{
    char allow[64];
    const rv_route *rt = rv_route_find(h->routes, h->n_routes, r->method, url, p, allow);
    if (!rt && allow[0]) *ret = wrong_method(r, allow);
    else if (!rt) *ret = rv_reply_error(r, RV_ERR_NOT_FOUND, "no such resource") ? MHD_YES : MHD_NO;
    return rt;
}

/* To the handler: a request that waited goes on where it stopped;
 * otherwise its route from the table, its ids checked, its sender
 * authorised (unless that was done before its body was read). */
static enum MHD_Result dispatch(rv_http *h, rv_req *r, const char *url)
{
    if (r->then) {
        rv_then then = r->then;
        r->then = NULL;
        return then(h->app, r, r->then_state) ? MHD_YES : MHD_NO;
    }
    const char *type;
    if (strcmp(url, "/") == 0) return web_file(h, r, "/index.html", "text/html; charset=utf-8");
    if (rv_web_path(url, &type)) return web_file(h, r, url, type);
    rv_path p;
    enum MHD_Result ret;
    const rv_route *rt = find_route(h, r, url, &p, &ret);
    if (!rt) return ret;
    if (strstr(rt->path, "{id}") && !p.id)
        return rv_reply_error(r, RV_ERR_ARG, "the id must be a positive number of up to 18 digits") ? MHD_YES : MHD_NO;
    rv_answer a;
    if (!(rt->roles & RV_PUBLIC) && !r->authorised && !rv_req_authorise(r, rt->roles, &a)) return a ? MHD_YES : MHD_NO;
    if (r->authorised && h->gate && !h->gate(h->app, r, rt, &p, &a)) return a ? MHD_YES : MHD_NO;
    return rt->handler(h->app, r, &p) ? MHD_YES : MHD_NO;
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

static void conn_stage_set(rv_http *h, struct MHD_Connection *c, conn_stage st)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct rv_conn *k = ci ? ci->socket_context : NULL;
    if (!k) return;
    pthread_mutex_lock(&h->conn_lock);
    if (k->stage != CONN_CUT) { /* a cut connection stays cut, and uncounted */
        if (k->stage == CONN_HEADERS && st != CONN_HEADERS) h->n_waiting--;
        if (k->stage != CONN_HEADERS && st == CONN_HEADERS) h->n_waiting++;
        k->stage = st;
    }
    k->since_ms = rv_now_ms();
    k->body_bytes = 0;
    pthread_mutex_unlock(&h->conn_lock);
}

/* n more bytes of c's body have come. */
static void conn_body_bytes(rv_http *h, struct MHD_Connection *c, size_t n)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct rv_conn *k = ci ? ci->socket_context : NULL;
    if (!k) return;
    pthread_mutex_lock(&h->conn_lock);
    k->body_bytes += n;
    pthread_mutex_unlock(&h->conn_lock);
}

static void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode toe)
{
    rv_http *h = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct rv_conn *k = ci ? calloc(1, sizeof *k) : NULL;
        if (!k) return;
        k->fd = ci->connect_fd;
        k->stage = CONN_HEADERS;
        k->since_ms = rv_now_ms();
        pthread_mutex_lock(&h->conn_lock);
        k->next = h->conns;
        if (h->conns) h->conns->prev = k;
        h->conns = k;
        if (++h->n_waiting > CROWD) pthread_cond_signal(&h->conn_wake);
        pthread_mutex_unlock(&h->conn_lock);
        *socket_context = k;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        struct rv_conn *k = *socket_context;
        pthread_mutex_lock(&h->conn_lock); /* before the socket is closed: the reaper never cuts a reused fd */
        if (k->prev) k->prev->next = k->next;
        else h->conns = k->next;
        if (k->next) k->next->prev = k->prev;
        if (k->stage == CONN_HEADERS) h->n_waiting--;
        pthread_mutex_unlock(&h->conn_lock);
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
    rv_http *h = arg;
    pthread_mutex_lock(&h->conn_lock);
    while (!h->reaper_stop) {
        long long now = rv_now_ms();
        long long head = h->cfg->http_header_timeout * 1000, body = h->cfg->http_body_timeout * 1000;
        int waiting = 0; /* counted here, where it decides: the running count only wakes this thread */
        for (struct rv_conn *k = h->conns; k; k = k->next)
            waiting += k->stage == CONN_HEADERS || slow_body(k, now - k->since_ms);
        int crowded = waiting > CROWD;
        for (struct rv_conn *k = h->conns; k; k = k->next) {
            long long age = now - k->since_ms;
            int cut = (k->stage == CONN_HEADERS && (age > head || (crowded && age > CROWD_MS))) ||
                      (k->stage == CONN_BODY && (age > body || (crowded && slow_body(k, age))));
            if (cut) {
                shutdown(k->fd, SHUT_RDWR);
                if (k->stage == CONN_HEADERS) h->n_waiting--;
                k->stage = CONN_CUT;
            }
        }
        struct timespec t = rv_wait_until(250);
        pthread_cond_timedwait(&h->conn_wake, &h->conn_lock, &t);
    }
    pthread_mutex_unlock(&h->conn_lock);
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
static int budget_take(rv_http *h, size_t n)
{
    long long held = atomic_load(&h->bodies_held);
    do {
        if (held + (long long)n > h->cfg->http_body_budget) return 0;
    } while (!atomic_compare_exchange_weak(&h->bodies_held, &held, held + (long long)n));
    return 1;
}

static void budget_give(rv_http *h, size_t n)
{
    if (n) atomic_fetch_sub(&h->bodies_held, (long long)n);
}

/* 503 with Retry-After: the body would fit its own limit, but not now. */
static enum MHD_Result over_budget(rv_req *r)
{
    return rv_reply_error(r, RV_ERR_BUSY,
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

static enum MHD_Result answered(rv_answer a) { return a ? MHD_YES : MHD_NO; }

/* 413 naming the limit and the setting that sets it. */
static rv_answer too_large(rv_req *rq)
{
    char msg[160];
    const rv_config *c = rq->h->cfg;
    snprintf(msg, sizeof msg, "request body too large: at most %zu bytes here%s", rq->limit,
             rq->limit == (size_t)c->max_audio_bytes  ? " (max_audio_bytes)"
             : rq->limit == (size_t)c->max_json_bytes ? " (max_json_bytes)"
                                                      : "");
    return rv_reply_error(rq, RV_ERR_TOO_LARGE, msg);
}

/* A query key the route does not take (a mistyped filter would otherwise
 * quietly match everything): the first such into bad. */
typedef struct {
    const char *takes; /* the route's query: "a=&b=json\\|csv&c=" */
    char bad[64];
} query_keys;

/* The key at p of a route's query ("a=&b=json\\|csv"): its length into
 * *n; the next key's place returned. */
static const char *query_key(const char *p, size_t *n)
{
    *n = strcspn(p, "=&");
    p += strcspn(p, "&");
    return *p ? p + 1 : p;
}

static int route_takes(const char *takes, const char *key)
{
    size_t len = strlen(key), n;
    for (const char *k = takes, *next; k && *k; k = next) {
        next = query_key(k, &n);
        if (n == len && strncmp(k, key, n) == 0) return 1;
    }
    return 0;
}

static enum MHD_Result query_known(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind, (void)value;
    query_keys *q = cls;
    if (!key[0] || route_takes(q->takes, key)) return MHD_YES; /* "?&limit=5": an empty key is no parameter */
    snprintf(q->bad, sizeof q->bad, "%.40s", key);
    return MHD_NO;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    rv_http *h = cls;
    rv_req *rq = *con_cls;
    if (!rq) { /* first call: headers only */
        rq = calloc(1, sizeof *rq);
        if (!rq) return MHD_NO;
        rq->h = h;
        rq->c = c;
        rq->method = method;
        clock_gettime(CLOCK_MONOTONIC, &rq->start);
        *con_cls = rq;
        conn_stage_set(h, c, CONN_BODY); /* the headers are in; the body has its own deadline */
        if (strchr(url, 0x7f))
            return answered(rv_reply_error(rq, RV_ERR_ARG, "the path holds an escaped control character"));
        int utf8 = rv_utf8_valid(url); /* else nothing of it is stored or audited: JSON could not show it */
        if (utf8) MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_utf8, &utf8);
        if (!utf8) return answered(rv_reply_error(rq, RV_ERR_ARG, "the path and query must be UTF-8"));
        const char *cl = rv_req_header(rq, "Content-Length");
        char allow[64];
        rv_path p;
        const rv_route *rt = rv_route_find(h->routes, h->n_routes, method, url, &p, allow);
        if (rt && rt->query) {
            query_keys q = {rt->query, ""};
            MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_known, &q);
            if (q.bad[0]) {
                char msg[512], names[384] = "";
                for (const char *k = rt->query, *next; *k; k = next) { /* "a=&b=json\\|csv" as "a, b" */
                    size_t n, at = strlen(names);
                    next = query_key(k, &n);
                    snprintf(names + at, sizeof names - at, "%s%.*s", at ? ", " : "", (int)n, k);
                }
                snprintf(msg, sizeof msg, "unknown parameter '%s': this path takes %s", q.bad, *names ? names : "none");
                return answered(rv_reply_error(rq, RV_ERR_ARG, msg));
            }
        }
        rv_body_kind body = rt ? rt->body : RV_BODY_NONE;
        rq->limit = (size_t)(body == RV_BODY_AUDIO ? h->cfg->max_audio_bytes : h->cfg->max_json_bytes);
        if (body == RV_BODY_SIGN_IN && RV_SIGN_IN_BYTES < rq->limit) rq->limit = RV_SIGN_IN_BYTES;
        unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
        const char *te = rv_req_header(rq, "Transfer-Encoding");
        if (declared || te) { /* a body: its sender and route checked before it is read */
            if (body == RV_BODY_NONE) return dispatch(h, rq, url); /* 404, 405 or a route that reads none: unread */
            rv_answer a;
            if (!(rt->roles & RV_PUBLIC) && !rv_req_authorise(rq, rt->roles, &a)) return answered(a);
            const char *ct = rv_req_header(rq, "Content-Type");
            if (body != RV_BODY_AUDIO && (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
                                          (ct[16] && ct[16] != ';' && ct[16] != ' ')))
                return answered(
                    rv_reply_error(rq, RV_ERR_MEDIA_TYPE, "the body must be JSON (Content-Type: application/json)"));
        }
        if (declared > rq->limit) /* refused before the body is read */
            return answered(too_large(rq));
        if (declared) { /* one buffer of the declared size: no copying as it arrives */
            if (!budget_take(h, (size_t)declared + 1)) return over_budget(rq);
            rq->held = (size_t)declared + 1;
            rq->body = malloc((size_t)declared + 1);
            if (!rq->body) return MHD_NO;
            rq->cap = (size_t)declared + 1;
        }
        return MHD_YES;
    }
    if (*upload_size) {
        conn_body_bytes(h, c, *upload_size);
        if (!rq->too_large && !rq->over_budget && rq->len + *upload_size <= rq->limit) {
            if (rq->len + *upload_size + 1 > rq->cap) {
                size_t cap = (rq->len + *upload_size + 1) * 2;
                if (cap > rq->limit + 1) cap = rq->limit + 1;
                if (cap > rq->held && !budget_take(h, cap - rq->held)) {
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
    if (rq->too_large) return answered(too_large(rq));
    if (rq->over_budget) return over_budget(rq);
    if (!rq->answering) {
        rq->answering = 1;
        conn_stage_set(h, c, CONN_ANSWER); /* all in: however long the answer takes */
    }
    return dispatch(h, rq, url);
}

static void done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)t;
    rv_http *h = cls;
    conn_stage_set(h, c, CONN_HEADERS); /* a kept-alive connection waits for its next request's headers */
    rv_req *rq = *con_cls;
    if (rq) {
        struct timespec end;
        clock_gettime(CLOCK_MONOTONIC, &end);
        rv_metrics_latency(h->metrics, rv_seconds_between(&rq->start, &end));
        free(rq->body);
        budget_give(h, rq->held);
        if (rq->kept && rq->kept_cleanup) rq->kept_cleanup(rq->kept);
        free(rq->kept);
    }
    free(rq);
    *con_cls = NULL;
}

/* libmicrohttpd's messages, as rostvakt's; its bind failure names port 0
 * (it is given the port inside the address), so listen_on says why instead. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    if (strncmp(fmt, "Failed to bind to port", 22) == 0) return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fprintf(stderr, "rostvakt: http: %s%s", msg, msg[0] && msg[strlen(msg) - 1] == '\n' ? "" : "\n");
}

/* Listen with h set up; the daemon and the reaper started. */
static rv_err listen_on(rv_http *h, unsigned *port, rv_error *err)
{
    rv_err vrc = rv_config_validate(h->cfg, err); /* listen and http_body_budget among the rest */
    if (vrc != RV_OK) return vrc;
    char host[64];
    unsigned p;
    const char *at = h->cfg->listen, *colon = strrchr(at, ':');
    if (!colon || colon == at || (size_t)(colon - at) >= sizeof host || sscanf(colon + 1, "%u", &p) != 1 || p > 65535)
        return rv_error_set(err, RV_ERR_ARG, "--listen must be ADDRESS:PORT, not '%s'", at);
    snprintf(host, sizeof host, "%.*s", (int)(colon - at), at);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)p);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return rv_error_set(err, RV_ERR_ARG, "'%s' is not an IPv4 address", host);
    /* a pool of one is no pool: libmicrohttpd warns about it */
    struct MHD_OptionItem pool[] = {
        {h->cfg->http_workers > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, (intptr_t)h->cfg->http_workers, NULL},
        {MHD_OPTION_END, 0, NULL}};
    /* poll, not epoll: libmicrohttpd 0.9.75's epoll loop, handed as many
     * events as its batch holds (128, a worker's share of the connections
     * when they are all held), waits for more before it handles them, so
     * slow connections cut all at once stayed open until the next event */
    h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME |
                                MHD_USE_ERROR_LOG,
                            0, NULL, NULL, handle, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_ARRAY, pool, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
                            MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)256, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)128,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                            (size_t)(128 * 1024), MHD_OPTION_NOTIFY_COMPLETED, done, h,
                            MHD_OPTION_NOTIFY_CONNECTION, conn_notify, h, MHD_OPTION_END);
    if (!h->d) {
        /* libmicrohttpd says only "Failed to bind to port 0" (the port it
         * was given apart from the address): find out why */
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, why = 0;
        if (fd >= 0) {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1) != 0) why = errno;
            close(fd);
        }
        return why ? rv_error_set(err, RV_ERR_IO, "cannot listen on %s:%u: %s", host, p, strerror(why))
                   : rv_error_set(err, RV_ERR_IO, "cannot listen on %s:%u", host, p);
    }
    if (pthread_create(&h->reaper, NULL, reaper, h) != 0) {
        MHD_stop_daemon(h->d);
        h->d = NULL;
        return rv_error_set(err, RV_ERR_INTERNAL, "cannot start the connection reaper");
    }
    h->have_reaper = 1;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    *port = di ? di->port : p;
    return RV_OK;
}

rv_err rv_http_start(const rv_http_opts *o, rv_http **out, unsigned *port, rv_error *err)
{
    *out = NULL;
    rv_http *h = calloc(1, sizeof *h);
    if (!h) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    h->cfg = o->cfg;
    h->id = o->id;
    h->metrics = o->metrics;
    h->routes = o->routes;
    h->n_routes = o->n_routes;
    h->app = o->app;
    h->gate = o->gate;
    pthread_mutex_init(&h->conn_lock, NULL);
    pthread_cond_init(&h->conn_wake, NULL);
    rv_err rc = listen_on(h, port, err);
    if (rc != RV_OK) {
        rv_http_stop(h);
        return rc;
    }
    *out = h;
    return RV_OK;
}

void rv_http_stop(rv_http *h)
{
    if (!h) return;
    if (h->have_reaper) {
        pthread_mutex_lock(&h->conn_lock);
        h->reaper_stop = 1;
        pthread_cond_signal(&h->conn_wake);
        pthread_mutex_unlock(&h->conn_lock);
        pthread_join(h->reaper, NULL);
        h->have_reaper = 0;
    }
    if (h->d) MHD_stop_daemon(h->d);
    pthread_mutex_destroy(&h->conn_lock);
    pthread_cond_destroy(&h->conn_wake);
    free(h);
}
