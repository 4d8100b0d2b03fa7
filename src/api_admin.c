/* The API's administration: sign-in sessions of the web app, units and
 * who gets their reports, sweeps and their kept reports, the audit log,
 * and the service's health and metrics. The route table (api_routes.c)
 * has checked the method and the caller's role. */
#include "api.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rostvakt/calendar.h"
#include "rostvakt/organisation.h"
#include "rostvakt/requests.h"
#include "rostvakt/textfile.h"

/* ---- units ---- */

/* A unit's managers and their audit row in one transaction (the store's lock held). */
static rv_err unit_txn(rv_server *s, const char *org, const char *name, const char *list, const char *now,
                       const rv_caller *who, int *created, rv_error *e)
{
    rv_err rc = rv_store_begin(s->db.store, e);
    if (rc != RV_OK) return rc;
    rc = rv_store_put_unit(s->db.store, org, name, list, now, created, e);
    char detail[256];
    snprintf(detail, sizeof detail, "%s%s%s", org, *org ? ": " : "", name); /* 40 + 2 + 191 */
    if (rc == RV_OK)
        rc = rv_store_audit_of(s->db.store, org, now, who->name, who->remote, *created ? "unit_created" : "unit_updated",
                               detail, e);
    return rv_store_end(s->db.store, rc, e);
}

/* The organisation a unit is put for: the body's "organisation", which
 * must be one the caller acts for; without it, the one organisation of a
 * caller of one, or "" (every organisation's mailboxes of the name) for
 * the installation's admin. 1, or 0 and the answer (*ret). */
static int unit_org(rv_server *s, rv_req *r, const char *body, size_t len, char org[RV_ORG_ID_MAX + 1], rv_answer *ret)
{
    const rv_caller *who = rv_req_caller(r);
    json_t *j = json_loadb(body ? body : "", len, 0, NULL), *v = json_object_get(j, "organisation");
    org[0] = '\0';
    if (!j) { /* rv_unit_parse read it: out of memory, and "no organisation" would mean all of them */
        *ret = rv_reply_error(r, RV_ERR_NOMEM, "out of memory");
        return 0;
    }
    if (v && !json_is_null(v)) {
        const char *id = json_string_value(v);
        if (!id || !rv_org_id_valid(id)) {
            json_decref(j);
            *ret = rv_reply_error(r, RV_ERR_ARG, "organisation must be an organisation's id");
            return 0;
        }
        snprintf(org, RV_ORG_ID_MAX + 1, "%s", id);
    }
    json_decref(j);
    if (!org[0] && who->orgs[0]) { /* a caller of some: theirs, when they have one */
        const char *a = who->orgs + 1, *b = strchr(a, ',');
        if (!b || b[1]) {
            *ret = rv_reply_error(r, RV_ERR_UNPROCESSABLE, "organisation: say which of yours the unit is of");
            return 0;
        }
        snprintf(org, RV_ORG_ID_MAX + 1, "%.*s", (int)(b - a), a);
    }
    if (!org[0]) return 1;
    char needle[RV_ORG_ID_MAX + 3];
    snprintf(needle, sizeof needle, ",%s,", org);
    rv_org o;
    rv_error e;
    rv_err rc;
    RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES, rv_store_get_org(s->db.store, org, &o, &e));
    if (rc == RV_ERR_NOT_FOUND || (rc == RV_OK && who->orgs[0] && !strstr(who->orgs, needle))) {
        *ret = rv_reply_error(r, RV_ERR_UNPROCESSABLE, "organisation: no such organisation");
        return 0;
    }
    if (rc != RV_OK) {
        *ret = rv_reply_rv_error(r, &e);
        return 0;
    }
    return 1;
}

/* PUT /v1/units/{name} {"managers": ["a@x", ...], "organisation": id}: who
 * gets the unit's part of the nightly report by e-mail (so not a PBX's to
 * say), for one organisation's mailboxes of that unit. */
rv_answer rv_api_put_unit(rv_server *s, rv_req *r, const rv_path *path)
{
    const rv_caller *who = rv_req_caller(r);
    const char *name = path->name;
    size_t nl = strlen(name);
    if (nl == 0 || nl > 191) /* as a mailbox's unit may be; the rest of the path, slashes too */
        return rv_reply_error(r, RV_ERR_ARG, "the unit's name: 1 to 191 bytes");
    char list[RV_UNIT_LIST_MAX], org[RV_ORG_ID_MAX + 1];
    rv_error e;
    size_t len;
    const char *body = rv_req_body(r, &len);
    if (rv_unit_parse(body, len, list, sizeof list, &e) != RV_OK) return rv_reply_rv_error(r, &e);
    rv_answer ret;
    if (!unit_org(s, r, body, len, org, &ret)) return ret;
    char now[32];
    rv_utc_now(now);
    int created = 0;
    rv_err rc;
    long mailboxes = 0; /* 0: a name no mailbox has (a typo, say) */
    RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES, unit_txn(s, org, name, list, now, who, &created, &e));
    if (rc == RV_OK)
        RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES, rv_store_unit_mailboxes(s->db.store, org, name, &mailboxes, &e));
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    json_t *out = json_pack("{s:s,s:o,s:[],s:I}", "name", name, "organisation", org[0] ? json_string(org) : json_null(),
                            "managers", "mailboxes", (json_int_t)mailboxes);
    for (const char *p = list; *p;) {
        size_t k = strcspn(p, ",");
        json_array_append_new(json_object_get(out, "managers"), json_stringn(p, k));
        p += k + (p[k] == ',');
    }
    return rv_reply_json(r, created ? 201 : 200, out);
}

static void unit_json(void *user, const char *org, const char *name, const char *managers, long mailboxes)
{
    json_t *a = json_array(), *arr = user;
    for (const char *p = managers; *p;) {
        size_t k = strcspn(p, ",");
        json_array_append_new(a, json_stringn(p, k));
        p += k + (p[k] == ',');
    }
    json_array_append_new(arr, json_pack("{s:s,s:o,s:o,s:I}", "name", name, "organisation",
                                         *org ? json_string(org) : json_null(), "managers", a, "mailboxes",
                                         (json_int_t)mailboxes));
}

/* The key a unit of org is seen by: "org\x1funit_key" (org "" for none). */
static char *unit_seen_key(const char *org, const char *unit)
{
    char *uk = rv_unit_key(unit ? unit : "");
    if (!uk) return NULL;
    size_t n = strlen(org) + strlen(uk) + 2;
    char *k = malloc(n);
    if (k) snprintf(k, n, "%s\x1f%s", org, uk);
    free(uk);
    return k;
}

/* GET /v1/units: every unit of the directory and every unit put, with
 * their organisation, managers (none: []) and how many mailboxes each has;
 * for a caller of some organisations or a manager, only the units of the
 * mailboxes they see, counting those alone. */
static void seen_mailbox(void *user, const char *ext, const char *org, const char *unit_key);
rv_answer rv_api_list_units(rv_server *s, rv_req *r, const rv_path *p)
{
    (void)p;
    const rv_caller *who = rv_req_caller(r);
    json_t *arr = json_array(), *seen = json_pack("{s:{},s:{},s:{}}", "ext", "unit", "key");
    rv_error e;
    rv_scope sc = rv_caller_scope(who); /* the units of the mailboxes the caller sees */
    pthread_mutex_lock(&s->db.lock);
    rv_err rc = arr && seen ? rv_store_all_units(s->db.store, unit_json, arr, &e)
                            : rv_error_set(&e, RV_ERR_NOMEM, "out of memory");
    if (rc == RV_OK && (sc.orgs || sc.manager)) rc = rv_store_scope_mailboxes(s->db.store, &sc, seen_mailbox, seen, &e);
    pthread_mutex_unlock(&s->db.lock);
    for (size_t k = json_array_size(arr); rc == RV_OK && (sc.orgs || sc.manager) && k-- > 0;) {
        json_t *u = json_array_get(arr, k);
        const char *org = json_string_value(json_object_get(u, "organisation"));
        const char *name = json_string_value(json_object_get(u, "name"));
        char *key = org ? unit_seen_key(org, name) : rv_unit_key(name);
        json_t *n = key ? json_object_get(json_object_get(seen, org ? "unit" : "key"), key) : NULL;
        free(key);
        if (!n) json_array_remove(arr, k);
        else json_object_set(u, "mailboxes", n); /* those the caller sees */
    }
    json_decref(seen);
    /* the managers' addresses: read as any list is, audited or not answered */
    if (rc == RV_OK) rc = rv_audit(&s->db, who->name, who->remote, "units_listed", 0, NULL, NULL, &e);
    if (rc != RV_OK) {
        json_decref(arr);
        return rv_reply_rv_error(r, &e);
    }
    return rv_reply_json(r, 200, json_pack("{s:o}", "items", arr));
}

/* ---- sweeps and the audit ---- */

/* POST /v1/sweeps?date=&dry_run=&allow_future=&format=: the nightly sweep
 * now, on the sweep thread while the connection waits; 200 with its
 * report, 409 while one runs, 422 for a day to come unless allowed; 403
 * for an organisation's admin. */
rv_answer rv_api_post_sweep(rv_server *s, rv_req *r, const rv_path *p)
{
    (void)p;
    /* a sweep disposes of every organisation's recordings and reports on
     * all their mailboxes: the installation's business */
    if (rv_req_caller(r)->orgs[0])
        return rv_reply_error(r, RV_ERR_FORBIDDEN,
                              "a sweep covers every organisation: only the installation's admin runs one");
    const char *date_s = rv_req_arg(r, "date"), *dry_s = rv_req_arg(r, "dry_run"), *fmt_s = rv_req_arg(r, "format");
    long date;
    char at[32] = ""; /* an instant (now, without date=): each organisation's own day of it */
    if (date_s && !rv_parse_date(date_s, &date) && !rv_parse_instant(date_s))
        return rv_reply_error(r, RV_ERR_ARG, "date must be YYYY-MM-DD or an instant YYYY-MM-DDTHH:MM:SSZ");
    int dry_run = 0, ahead_ok = 0;
    if (dry_s && rv_parse_bool(dry_s, &dry_run) != 0)
        return rv_reply_error(r, RV_ERR_ARG, "dry_run must be true or false (or 1/0, yes/no)");
    const char *ahead_s = rv_req_arg(r, "allow_future");
    if (ahead_s && rv_parse_bool(ahead_s, &ahead_ok) != 0)
        return rv_reply_error(r, RV_ERR_ARG, "allow_future must be true or false (or 1/0, yes/no)");
    int fmt = fmt_s ? rv_sweep_format_parse(fmt_s) : RV_SWEEP_JSON;
    if (fmt < 0) return rv_reply_error(r, RV_ERR_ARG, "format must be json, csv or html");
    if (!date_s || rv_parse_instant(date_s)) { /* the run's date: Sweden's */
        if (!date_s) rv_utc_now(at);
        else snprintf(at, sizeof at, "%s", date_s);
        rv_local_date(at, RV_CAL_SE, &date);
    }
    int ahead = !dry_run && rv_sweep_date_ahead(date);
    if (ahead && !ahead_ok)
        return rv_reply_error(r, RV_ERR_UNPROCESSABLE,
                              "date is after today (Sweden's): a sweep disposes of recordings as of its date, so one "
                              "of a day to come needs allow_future=true (dry_run=true looks ahead and changes nothing)");
    if (!rv_workers_sweep_claim(s->workers))
        return rv_reply_error(r, RV_ERR_SWEEP_RUNNING, "a sweep is running; try again when it is done");
    rv_job *j = rv_api_job_new(r);
    if (!j) {
        rv_workers_sweep_release(s->workers);
        return 0;
    }
    *j = (rv_job){.kind = RV_JOB_SWEEP, .date = date, .dry_run = dry_run, .format = (rv_sweep_format)fmt,
                  .ahead = ahead};
    memcpy(j->at, at, sizeof j->at);
    int handed;
    rv_answer ret = rv_api_hand_over(s, r, j, &handed);
    if (!handed) rv_workers_sweep_release(s->workers);
    return ret;
}

/* CSV field: quoted when it holds a comma, quote or line break; a leading
 * =, +, - or @ is escaped so that a spreadsheet does not run it. */
static void csv_field(FILE *f, const char *v)
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

/* Audit entries as the API shows them: {id, at, actor, remote, action,
 * voicemail, ext, detail}, bytes that are not UTF-8 as \xNN; NULL out of
 * memory (the listing fails rather than leave a row out). */
static json_t *audit_json(const rv_audit_row *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *row = json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)v[i].id, "at",
                                rv_json_audit_text(v[i].at), "actor", rv_json_audit_text(v[i].actor), "remote",
                                rv_json_audit_text(v[i].remote), "action", rv_json_audit_text(v[i].action),
                                "voicemail", v[i].voicemail_id ? json_integer(v[i].voicemail_id) : json_null(), "ext",
                                rv_json_audit_text(v[i].ext), "detail", rv_json_audit_text(v[i].detail));
        if (!row || json_array_append_new(a, row) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    return a;
}

/* GET /v1/audit?voicemail=&actor=&organisation=&from=&to=&format=&limit=&after=: newest
 * first, pages of limit (1..1000, default 1000); the next page's cursor is
 * "next" (JSON) or the header Next-Cursor (CSV), given back as after=. */
rv_answer rv_api_get_audit(rv_server *s, rv_req *r, const rv_path *p)
{
    (void)p;
    const char *vm = rv_req_arg(r, "voicemail"), *actor = rv_req_arg(r, "actor"), *from, *to;
    long long vid = vm ? rv_parse_id(vm, strlen(vm)) : 0;
    if (vm && !vid) return rv_reply_error(r, RV_ERR_ARG, "voicemail must be an id");
    char from_utc[32], to_utc[32];
    rv_answer ret;
    rv_calendar cal = RV_CAL_SE;
    if ((rv_req_arg(r, "from") || rv_req_arg(r, "to")) && !rv_api_calendar(s, r, &cal, &ret)) return ret;
    if (!rv_api_dates(r, cal, &from, &to, from_utc, to_utc, &ret)) return ret;
    rv_error e;
    const char *fmt = rv_req_arg(r, "format");
    if (fmt && strcmp(fmt, "json") != 0 && strcmp(fmt, "csv") != 0)
        return rv_reply_error(r, RV_ERR_ARG, "format must be json or csv");
    const char *lim = rv_req_arg(r, "limit"), *after = rv_req_arg(r, "after");
    long long limit = lim ? rv_parse_id(lim, strlen(lim)) : 1000, after_id = 0;
    if (limit < 1 || limit > 1000) return rv_reply_error(r, RV_ERR_ARG, "limit must be 1..1000");
    if (after && !(after_id = rv_parse_id(after, strlen(after))))
        return rv_reply_error(r, RV_ERR_ARG, "after must be a cursor from \"next\"");
    int more;
    /* the installation's admin reads every row; anyone else the rows of the
     * mailboxes and voicemails of their organisations (of every one: of
     * any mailbox), never the rows of no mailbox (sign-ins, units, sweeps) */
    const rv_caller *who = rv_req_caller(r);
    const char *orgs = who->role == RV_ROLE_ADMIN && !who->orgs[0] ? NULL : who->orgs;
    /* organisation=: one of the caller's organisations' rows alone */
    rv_scope one = {0};
    char org[RV_ORG_ID_MAX + 3];
    if (!rv_api_org_filter(s, r, &one, org, &ret)) return ret;
    if (one.orgs) orgs = one.orgs;
    pthread_mutex_lock(&s->db.lock);
    rv_audit_row *rows;
    size_t n;
    rv_err rc = rv_store_audit_page(s->db.store, vid, actor, from, to, orgs, after_id, (int)limit, &rows, &n,
                                    &more, &e);
    pthread_mutex_unlock(&s->db.lock);
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    char next[32] = "";
    if (more && n) snprintf(next, sizeof next, "%lld", rows[n - 1].id);
    json_t *items = audit_json(rows, n);
    rv_audit_rows_free(rows, n);
    if (!items) return rv_reply_error(r, RV_ERR_NOMEM, "out of memory");
    if (!fmt || strcmp(fmt, "json") == 0)
        return rv_reply_json(r, 200, json_pack("{s:o,s:o}", "items", items, "next", next[0] ? json_string(next) : json_null()));
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f) {
        json_decref(items);
        return 0;
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
            else if (json_is_string(v)) csv_field(f, json_string_value(v));
        }
        fputs("\r\n", f);
    }
    fclose(f);
    json_decref(items);
    /* the next page's cursor, when there is one, in a header of its own */
    const char *h[] = {"Content-Type", "text/csv; charset=utf-8", "Content-Disposition",
                       "attachment; filename=\"rostvakt-logg.csv\"", next[0] ? "Next-Cursor" : NULL, next, NULL};
    return rv_reply(r, 200, out, len, h);
}

/* A request from this machine that no proxy forwarded (metrics_access
 * loopback): a proxy on this machine forwards anyone's. */
static int from_loopback(rv_server *s, rv_req *r)
{
    char remote[64];
    rv_req_remote(r, remote);
    if (strncmp(remote, "127.", 4) != 0 || (s->cfg.trusted_proxy[0] && strcmp(remote, s->cfg.trusted_proxy) == 0))
        return 0;
    /* any header a proxy adds says the request came from elsewhere */
    static const char *const proxied[] = {"X-Forwarded-For", "Forwarded", "X-Real-IP", "X-Forwarded-Proto",
                                          "X-Forwarded-Host", "X-Forwarded-Port", "Via"};
    for (size_t i = 0; i < sizeof proxied / sizeof *proxied; i++)
        if (rv_req_header(r, proxied[i])) return 0;
    return !rv_req_header(r, s->cfg.trusted_user_header[0] ? s->cfg.trusted_user_header : "X-Remote-User");
}

/* GET /metrics: Prometheus text format, to whom metrics_access lets: anyone
 * (open), anyone signed in (token), or those and this machine (loopback). */
rv_answer rv_api_metrics(rv_server *s, rv_req *r, const rv_path *p)
{
    (void)p;
    int open_to_all = strcmp(s->cfg.metrics_access, "open") == 0 ||
                      (strcmp(s->cfg.metrics_access, "loopback") == 0 && !rv_req_header(r, "Authorization") &&
                       from_loopback(s, r));
    if (!open_to_all) {
        rv_answer ret;
        if (!rv_req_authorise(r, ANY_ROLE, &ret)) return ret;
    }
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f) return 0;
    pthread_mutex_lock(&s->db.lock);
    long long queued = rv_workers_queued(s->workers); /* the depth max_queue holds uploads to */
    long long claimed = rv_store_count(s->db.store, RV_COUNT_ANALYSES_CLAIMED);
    long mail_pending = rv_store_outbox_pending(s->db.store);
    pthread_mutex_unlock(&s->db.lock);
    rv_metrics_write(s->metrics, queued, f);
    /* a count the database did not give (-1) is left out, not shown as one */
    if (claimed >= 0)
        fprintf(f, "# HELP rostvakt_analyses_claimed Voicemails a worker on some node holds a claim on (part of the queue).\n"
                   "# TYPE rostvakt_analyses_claimed gauge\nrostvakt_analyses_claimed %lld\n",
                claimed);
    if (mail_pending >= 0)
        fprintf(f, "# HELP rostvakt_mail_pending The sweep's mails not sent yet (tried again at the next sweep).\n"
                   "# TYPE rostvakt_mail_pending gauge\nrostvakt_mail_pending %ld\n",
                mail_pending);
    fprintf(f, "# HELP rostvakt_sweep_running 1 while a sweep asked for over HTTP waits or runs.\n"
               "# TYPE rostvakt_sweep_running gauge\nrostvakt_sweep_running %d\n",
            rv_workers_sweep_running(s->workers));
    fclose(f);
    return rv_reply_bytes(r, 200, out, len, "text/plain; version=0.0.4", NULL, NULL);
}

/* ---- the web app: sign-in and its files ---- */

/* Set-Cookie for the session id (empty: the cookie removed). */
static void session_cookie(rv_server *s, rv_req *r, const char *id, char *out, size_t cap)
{
    char remote[64];
    rv_req_remote(r, remote);
    const char *proto = rv_req_header(r, "X-Forwarded-Proto");
    int secure = s->cfg.session_cookie_secure ||
                 (s->cfg.trusted_proxy[0] && strcmp(remote, s->cfg.trusted_proxy) == 0 && proto &&
                  strcasecmp(proto, "https") == 0);
    snprintf(out, cap, "rv_session=%s; Path=/; HttpOnly; SameSite=Strict%s%s", id, secure ? "; Secure" : "",
             *id ? "" : "; Max-Age=0");
}

/* POST /v1/session {"token": ...}: a session cookie for an officer's,
 * admin's or manager's token (a pbx token may not sign in). */
rv_answer rv_api_sign_in(rv_server *s, rv_req *r, const rv_path *p)
{
    (void)p;
    char cookie[200];
    size_t len;
    const char *body = rv_req_body(r, &len);
    json_t *j;
    rv_error e;
    if (rv_json_body(body, len, &j, &e) != RV_OK) /* no "near ..." here: it could quote the token */
        return rv_reply_error(r, RV_ERR_ARG, "the body must be a JSON object {\"token\": ...}, each key once");
    const char *token = json_string_value(json_object_get(j, "token"));
    if (!token) {
        json_decref(j);
        return rv_reply_error(r, RV_ERR_ARG, "token must be a string");
    }
    rv_role role;
    char name[RV_TOKEN_NAME_MAX + 1], remote[64];
    rv_req_remote(r, remote);
    unsigned char key[RV_TOKEN_KEY_LEN];
    int ok = rv_identity_token_key(s->id, token, &role, name, sizeof name, key);
    json_decref(j);
    if (!ok) return rv_reply_error(r, RV_ERR_UNAUTHORIZED, "no such token");
    /* a session is written in a transaction of its own: audited first,
     * and none made unless its audit row is written */
    if (role == RV_ROLE_PBX) {
        if (rv_audit(&s->db, name, remote, "sign_in_refused", 0, NULL, "a pbx token", &e) != RV_OK)
            return rv_reply_rv_error(r, &e);
        return rv_reply_error(r, RV_ERR_FORBIDDEN, "a PBX token cannot sign in to the web app");
    }
    char id[RV_SESSION_ID_LEN + 1], csrf[RV_SESSION_ID_LEN + 1];
    if (rv_audit(&s->db, name, remote, "sign_in", 0, NULL, NULL, &e) != RV_OK) return rv_reply_rv_error(r, &e);
    if (rv_identity_sign_in(s->id, key, name, role, id, csrf, &e) != RV_OK) return rv_reply_rv_error(r, &e);
    session_cookie(s, r, id, cookie, sizeof cookie);
    return rv_reply_json_h(r, 201,
                           json_pack("{s:s,s:s,s:s,s:I}", "name", name, "role", rv_role_name(role), "csrf", csrf,
                                     "idle_timeout", (json_int_t)s->cfg.session_idle_timeout),
                           "Set-Cookie", cookie);
}

/* The organisations of orgs (rv_orgs_has's form; "" all), {id, name,
 * time_zone} each, into *list, and the time zone their dates are shown
 * and filtered in: their own when they all share one, else Sweden's (as
 * rv_api_calendar filters). */
static rv_err orgs_and_zone(rv_server *s, const char *orgs, json_t **list, const char **zone, rv_error *e)
{
    rv_org *v = NULL;
    size_t n = 0;
    rv_err rc;
    *list = NULL;
    RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES, rv_store_list_orgs(s->db.store, orgs, &v, &n, e));
    if (rc != RV_OK) return rc;
    json_t *a = json_array();
    int same = n > 0;
    for (size_t i = 0; a && i < n; i++) {
        same = same && v[i].time_zone[0] && strcmp(v[i].time_zone, v[0].time_zone) == 0;
        json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "id", v[i].id, "name", v[i].name, "time_zone",
                                           v[i].time_zone[0] ? v[i].time_zone : "Europe/Stockholm"));
    }
    *zone = same && strcmp(v[0].time_zone, "Europe/Mariehamn") == 0 ? "Europe/Mariehamn" : "Europe/Stockholm";
    free(v);
    if (!a) return rv_error_set(e, RV_ERR_NOMEM, "out of memory");
    *list = a;
    return RV_OK;
}

/* GET /v1/session: who is signed in, with the CSRF token the app sends back. */
rv_answer rv_api_get_session(rv_server *s, rv_req *r, const rv_path *p)
{
    (void)p;
    const rv_caller *who = rv_req_caller(r);
    /* the organisations it acts for, for the app to say whose a page is
     * and to show dates in their time zone */
    json_t *orgs;
    const char *zone;
    rv_error e;
    if (orgs_and_zone(s, who->orgs, &orgs, &zone, &e) != RV_OK) return rv_reply_rv_error(r, &e);
    return rv_reply_json(r, 200,
                         json_pack("{s:s,s:s,s:s,s:o,s:o,s:b,s:s}", "name", who->name, "role", rv_role_name(who->role),
                                   "via", who->via, "csrf", who->csrf[0] ? json_string(who->csrf) : json_null(),
                                   "organisations", orgs, "every_organisation", !who->orgs[0], "time_zone", zone));
}

/* DELETE /v1/session: sign out, audited first: the session stays unless
 * its end is recorded. */
rv_answer rv_api_sign_out(rv_server *s, rv_req *r, const rv_path *p)
{
    (void)p;
    const rv_caller *who = rv_req_caller(r);
    char cookie[200];
    rv_error e;
    if (rv_audit(&s->db, who->name, who->remote, "sign_out", 0, NULL, NULL, &e) != RV_OK) return rv_reply_rv_error(r, &e);
    if (who->sid && rv_identity_sign_out(s->id, who->sid, &e) != RV_OK) return rv_reply_rv_error(r, &e);
    session_cookie(s, r, "", cookie, sizeof cookie);
    return rv_reply_json_h(r, 200, json_pack("{s:b}", "signed_out", 1), "Set-Cookie", cookie);
}

/* A mailbox the scope sees: its ext; its unit of its organisation and its
 * unit's name alone, each with how many such mailboxes there are. */
static void seen_mailbox(void *user, const char *ext, const char *org, const char *unit_key)
{
    json_t *seen = user;
    json_object_set_new(json_object_get(seen, "ext"), ext, json_true());
    size_t n = strlen(org) + strlen(unit_key) + 2;
    char *k = malloc(n);
    if (!k) return;
    snprintf(k, n, "%s\x1f%s", org, unit_key);
    const char *maps[] = {"unit", "key"}, *keys[] = {k, unit_key};
    for (int i = 0; i < 2; i++) {
        json_t *m = json_object_get(seen, maps[i]);
        json_object_set_new(m, keys[i], json_integer(json_integer_value(json_object_get(m, keys[i])) + 1));
    }
    free(k);
}

/* A kept report as the scope sees it: the items of its lists of the
 * mailboxes it sees, the units' shares of its organisations' units it
 * sees (a report made before shares were split by organisation: none, to
 * a caller of some organisations). 0, or -1 (a database error in e). */
static int scoped_reports(rv_server *s, const rv_scope *sc, json_t *items, rv_error *e)
{
    json_t *seen = json_pack("{s:{},s:{},s:{}}", "ext", "unit", "key");
    if (!seen) return rv_error_set(e, RV_ERR_NOMEM, "out of memory"), -1;
    pthread_mutex_lock(&s->db.lock);
    rv_err rc = rv_store_scope_mailboxes(s->db.store, sc, seen_mailbox, seen, e);
    pthread_mutex_unlock(&s->db.lock);
    json_t *exts = json_object_get(seen, "ext"), *units = json_object_get(seen, "unit"),
           *keys = json_object_get(seen, "key");
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        json_t *report = json_object_get(it, "report"), *v;
        const char *key;
        json_object_foreach(report, key, v) {
            if (!json_is_array(v)) continue;
            int shares = strcmp(key, "units") == 0;
            for (size_t k = json_array_size(v); k-- > 0;) {
                json_t *x = json_array_get(v, k);
                const char *ext = json_string_value(json_object_get(x, "ext"));
                int keep;
                if (shares) {
                    json_t *o = json_object_get(x, "organisation");
                    const char *unit = json_string_value(json_object_get(x, "unit"));
                    char *uk = !o ? rv_unit_key(unit) : unit_seen_key(json_is_string(o) ? json_string_value(o) : "", unit);
                    keep = uk && (o ? json_object_get(units, uk) != NULL : !sc->orgs && json_object_get(keys, uk));
                    free(uk);
                } else keep = !ext || json_object_get(exts, ext);
                if (!keep) json_array_remove(v, k);
            }
        }
        if (json_object_get(report, "mailboxes"))
            json_object_set_new(report, "mailboxes", json_integer((json_int_t)json_object_size(exts)));
    }
    json_decref(seen);
    return rc == RV_OK ? 0 : -1;
}

/* A kept sweep as the API shows it: {id, date, created_at, report}. */
static json_t *sweep_json(const rv_sweep_row *w)
{
    json_t *report = json_loads(w->report, 0, NULL);
    return json_pack("{s:I,s:s,s:s,s:o}", "id", (json_int_t)w->id, "date", w->date, "created_at", w->created_at,
                     "report", report ? report : json_null());
}

/* GET /v1/sweeps?organisation=&limit=: the kept reports of the
 * latest sweeps, newest first (default 60, at most 400); /v1/sweeps/{id} one.
 * organisation=: one of the caller's organisations' part alone. */
static rv_answer sweeps(rv_server *s, rv_req *r, long long id)
{
    const rv_caller *who = rv_req_caller(r);
    const char *l = rv_req_arg(r, "limit");
    long long limit = l ? rv_parse_id(l, strlen(l)) : 60;
    if (!limit || limit > 400) return rv_reply_error(r, RV_ERR_ARG, "limit must be 1 to 400");
    rv_scope sc = rv_caller_scope(who); /* another authority's and another manager's mailboxes left out */
    char org[RV_ORG_ID_MAX + 3];
    rv_answer ret;
    if (!rv_api_org_filter(s, r, &sc, org, &ret)) return ret;
    rv_sweep_row *rows;
    size_t nrows;
    rv_error e;
    pthread_mutex_lock(&s->db.lock);
    rv_err rc = rv_store_list_sweeps(s->db.store, (int)limit, id, &rows, &nrows, &e);
    pthread_mutex_unlock(&s->db.lock);
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    json_t *items = json_array();
    for (size_t i = 0; items && i < nrows; i++) json_array_append_new(items, sweep_json(&rows[i]));
    rv_sweeps_free(rows, nrows);
    if (!items) return rv_reply_error(r, RV_ERR_NOMEM, "out of memory");
    if ((sc.orgs || sc.manager) && scoped_reports(s, &sc, items, &e) != 0) {
        json_decref(items);
        return rv_reply_rv_error(r, &e);
    }
    /* the reports name mailboxes and callers' numbers: no read unaudited */
    char detail[48];
    snprintf(detail, sizeof detail, "sweep %lld", id);
    if (id && json_array_size(items) && rv_audit(&s->db, who->name, who->remote, "sweep_read", 0, NULL, detail, &e) != RV_OK)
        rc = e.code;
    if (!id && rv_audit(&s->db, who->name, who->remote, "sweeps_listed", 0, NULL, rv_req_query(r), &e) != RV_OK) rc = e.code;
    if (rc != RV_OK) {
        json_decref(items);
        return rv_reply_rv_error(r, &e);
    }
    if (id) {
        json_t *one = json_incref(json_array_get(items, 0));
        json_decref(items);
        if (!one) return rv_reply_error(r, RV_ERR_NOT_FOUND, "no such sweep");
        return rv_reply_json(r, 200, one);
    }
    return rv_reply_json(r, 200, json_pack("{s:o}", "items", items));
}



/* GET /v1/sweeps?limit= */
rv_answer rv_api_list_sweeps(rv_server *s, rv_req *r, const rv_path *p)
{
    (void)p;
    return sweeps(s, r, 0);
}

/* GET /v1/sweeps/{id} */
rv_answer rv_api_get_sweep(rv_server *s, rv_req *r, const rv_path *p) { return sweeps(s, r, p->id); }

/* GET /healthz: 200 while the database answers a query, else 503 with
 * what it said (a load balancer takes the node out). */
rv_answer rv_api_healthz(rv_server *s, rv_req *r, const rv_path *p)
{
    (void)p;
    rv_error e;
    rv_err rc;
    RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES, rv_store_ping(s->db.store, &e));
    if (rc != RV_OK)
        return rv_reply_json_h(r, 503, json_pack("{s:s,s:s}", "status", "unavailable", "database", e.msg), "Retry-After",
                               "5");
    return rv_reply_json(r, 200, json_pack("{s:s,s:s}", "status", "ok", "database", "ok"));
}
