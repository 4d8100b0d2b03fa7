/* What the API's handlers (api_*.c) see of a request: its path, query,
 * headers and body, who sent it, and the answers they give. http.c, the
 * transport, implements it over libmicrohttpd; the handlers never see a
 * connection. Not installed. */
#ifndef RV_API_H
#define RV_API_H

#include <jansson.h>
#include <stddef.h>

#include "rostvakt/calendar.h"
#include "server_int.h"
#include "route.h"

/* Who made the request, once authorised. */
typedef struct {
    char name[RV_TOKEN_NAME_MAX + 1];
    char remote[64];
    rv_role role;
    const char *via;                   /* "token", "proxy" or "session" */
    const char *sid;                   /* the session's id (via "session") */
    char csrf[RV_SESSION_ID_LEN + 1];  /* a browser's CSRF token ("" for a token) */
    char orgs[256];                    /* the organisations it acts for, ",a,b,"; "": every one */
    char units[1024];                  /* a manager's units by the proxy's groups, "\nkey@org\n..."; "": none */
} rv_caller;

/* Whose records the caller may see (orgs, and a manager's units); borrows who. */
rv_scope rv_caller_scope(const rv_caller *who);

/* Officers and admins; VIEWERS: managers too (greetings, mailboxes and
 * reports). */
#define READERS (ROLE(RV_ROLE_OFFICER) | ROLE(RV_ROLE_ADMIN))
#define VIEWERS (READERS | ROLE(RV_ROLE_MANAGER))
#define ANY_ROLE (VIEWERS | ROLE(RV_ROLE_PBX))

/* ---- the request (valid while the request is) ---- */

/* 1 for HEAD: GET's headers without its body. */
int rv_req_is_head(const rv_req *r);
/* A query parameter or a header (NULL when absent). */
const char *rv_req_arg(rv_req *r, const char *name);
const char *rv_req_header(rv_req *r, const char *name);
/* The body and its length (NULL, 0 without one). */
const char *rv_req_body(const rv_req *r, size_t *len);
/* The query as key=value&..., for a list's audit row ("" when none). */
const char *rv_req_query(rv_req *r);
/* The client's address ("" when unknown). */
void rv_req_remote(rv_req *r, char remote[64]);
/* Who sent it (zeroed until authorised). */
const rv_caller *rv_req_caller(const rv_req *r);
/* 1 when the sender's role is among roles (the caller filled in); else 0
 * and a 401 or 403 answered (*ret). */
int rv_req_authorise(rv_req *r, unsigned roles, rv_answer *ret);

/* ---- answers ---- */

/* body (taken over and freed; NULL: out of memory) with len bytes, status
 * and the headers, name and value pairs ended by NULL. */
rv_answer rv_reply(rv_req *r, unsigned status, char *body, size_t len, const char *const *headers);
/* An answer of headers only. */
rv_answer rv_reply_empty(rv_req *r, unsigned status, const char *const *headers);
/* len bytes of body (taken over) as type, with one more header when header is set. */
rv_answer rv_reply_bytes(rv_req *r, unsigned status, char *body, size_t len, const char *type, const char *header,
                         const char *value);
/* j (consumed) as JSON; NULL is out of memory. */
rv_answer rv_reply_json(rv_req *r, unsigned status, json_t *j);
rv_answer rv_reply_json_h(rv_req *r, unsigned status, json_t *j, const char *header, const char *value);
/* An error from the table: its status and slug, msg or the table's text;
 * a 503 or 507 says when to try again. */
rv_answer rv_reply_error(rv_req *r, rv_err code, const char *msg);
rv_answer rv_reply_rv_error(rv_req *r, const rv_error *e);

/* ---- a request that waits while other threads work for it ---- */

/* What runs when the request goes on: with the state handed to rv_req_wait. */
typedef rv_answer (*rv_then)(rv_server *s, rv_req *r, void *state);
/* size zeroed bytes that live as long as the request (cleanup, when set,
 * is called on them at its end); NULL out of memory. One a request. */
void *rv_req_keep(rv_req *r, size_t size, void (*cleanup)(void *));
/* A waiter for work handed over (rv_job_submit, rv_ingest_submit): the
 * connection waits while it is held; once done, the request goes on with
 * then(s, r, state), where it stopped: nothing before it is done again. */
rv_waiter rv_req_wait(rv_req *r, rv_then then, void *state);

/* ---- helpers the handlers share (api.c) ---- */

/* A list's page size from ?limit= (1..500) into *limit, which keeps its
 * default when there is none; 0 and a 400 answered (*ret) for anything else. */
int rv_page_limit(rv_req *r, int *limit, rv_answer *ret);
/* The unit= filter into *unit (NULL: none): a unit's name as a mailbox may
 * have it, 1 to 191 bytes; else 0 with the 400 in *ret. */
int rv_unit_filter(rv_req *r, const char **unit, rv_answer *ret);
/* The calendar whose local dates the caller's date filters are: that of
 * the organisations the caller acts for (of every one, for a caller of
 * every one) when they all have the same, else Sweden's (Europe/Stockholm).
 * 1, or 0 and the store's error answered (*ret). */
int rv_api_calendar(rv_server *s, rv_req *r, rv_calendar *cal, rv_answer *ret);
/* ?from= and ?to= as UTC instants into *from and *to (NULL when absent;
 * the buffers hold them): a local date of cal (rv_api_calendar) is the day
 * from its first instant, to= including its day ([start(from),
 * start(to + 1))); an RFC 3339 instant is itself, to= excluded. 0 and a
 * 400 answered (*ret) for anything else. */
int rv_api_dates(rv_req *r, rv_calendar cal, const char **from, const char **to, char from_buf[32], char to_buf[32],
                 rv_answer *ret);
/* ?organisation=ID narrows sc to that one of the caller's organisations
 * (buf, of RV_ORG_ID_MAX + 3 bytes, holds it); an unknown organisation and
 * one the caller does not act for are the same 422. 0 and the answer in
 * *ret on an error; 1 (sc unchanged) without the parameter. */
int rv_api_org_filter(rv_server *s, rv_req *r, rv_scope *sc, char *buf, rv_answer *ret);
/* The request's audio Content-Type; NULL and a 415 answered (*ret) for any other. */
const char *rv_audio_type(rv_req *r, rv_answer *ret);
/* A zeroed job that lives as long as the request (its answer freed with
 * it); NULL out of memory. */
rv_job *rv_api_job_new(rv_req *r);
/* Hand j (its kind and inputs set) to a job thread for the caller; the
 * job's answer is given once it is done. "stopping" when the service is;
 * *handed says whether it was handed over. */
rv_answer rv_api_hand_over(rv_server *s, rv_req *r, rv_job *j, int *handed);
/* The recording sha (located at loc) as ct, whole or the range asked for;
 * HEAD gets the headers. A GET that is answered is audited first as action
 * (vm, ext, detail), and refused when it cannot be (no read unaudited); a
 * 416 and a HEAD read nothing and are not audited. */
rv_answer rv_api_send_audio(rv_server *s, rv_req *r, const char *sha, const rv_audio_loc *loc, const char *ct,
                            const char *action, long long vm, const char *ext, const char *detail);

/* Before the handler of a route of one mailbox ({ext}) or voicemail
 * ({id}), once its caller is authorised: 1 to go on when the caller may
 * see it (or it does not exist: the handler says so); else 0 and a 404
 * answered (*ret), worded as the handler's for none. */
int rv_api_gate(rv_server *s, rv_req *r, const rv_route *rt, const rv_path *p, rv_answer *ret);

/* ---- JSON of the store's rows (api.c) ---- */

/* text as a JSON string, or null for NULL (NULL when it is not UTF-8). */
json_t *rv_json_str(const char *text);
/* "a,b" as ["a","b"]; NULL and "" as []. */
json_t *rv_json_split(const char *s);
/* The audit's text as a JSON string, or null for NULL: bytes that are not
 * UTF-8 (a row written before requests were checked) shown as \xNN, so
 * that no row is left out. */
json_t *rv_json_audit_text(const char *text);

/* ---- the handlers, by resource ---- */

/* api_mailboxes.c: mailboxes, greetings, names and reviews */
rv_answer rv_api_put_mailbox(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_get_mailbox(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_list_mailboxes(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_put_greeting(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_delete_greeting(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_get_greeting(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_list_greetings(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_greeting_audio(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_put_name_recording(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_review_greeting(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_list_review(rv_server *s, rv_req *r, const rv_path *p);
/* api_voicemails.c: voicemails, decisions, packages */
rv_answer rv_api_post_voicemail(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_list_voicemails(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_get_voicemail(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_voicemail_audio(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_callback(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_decision(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_package(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_archived(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_handover(rv_server *s, rv_req *r, const rv_path *p);
/* api_orgs.c: organisations */
rv_answer rv_api_put_org(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_get_org(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_list_orgs(rv_server *s, rv_req *r, const rv_path *p);
/* api_admin.c: sessions, units, sweeps, the audit, health and metrics */
rv_answer rv_api_healthz(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_metrics(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_sign_in(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_get_session(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_sign_out(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_put_unit(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_list_units(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_post_sweep(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_list_sweeps(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_get_sweep(rv_server *s, rv_req *r, const rv_path *p);
rv_answer rv_api_get_audit(rv_server *s, rv_req *r, const rv_path *p);

/* ---- the route table (api_routes.c) ---- */

/* Every route of the API, in the order docs/api.md lists them. */
extern const rv_route rv_routes[];
extern const size_t rv_n_routes;
/* The table as docs/api.md's Markdown table. */
void rv_routes_markdown(FILE *f);

#endif
