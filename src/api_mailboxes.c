/* The API's mailboxes and their greetings: the directory's entries, each
 * greeting's versions with their verdicts and audio, the owner's recorded
 * name, and what people heard when they listened (reviews). The route
 * table (api_routes.c) has checked the method and the caller's role. */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rostvakt/calendar.h"
#include "rostvakt/greeting.h"
#include "rostvakt/organisation.h"
#include "rostvakt/policy.h"
#include "rostvakt/requests.h"
#include "rostvakt/textfile.h"

#define BAD_EXT "ext must be 1 to 20 digits"

static json_t *mailbox_json(const rv_mailbox *m)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "ext", m->ext, "first_name", m->first_name,
                     "last_name", m->last_name, "unit", m->unit, "org", m->org, "profile", m->profile, "mobile",
                     m->mobile, "email", m->email, "organisation",
                     m->organisation[0] ? json_string(m->organisation) : json_null());
}

/* A greeting version's summary as the API shows it, with its report under
 * "analysis" when analysis is set; NULL out of memory. */
static json_t *greeting_json(const rv_greeting_summary *g, int analysis)
{
    json_t *j = json_pack("{s:I,s:o,s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)g->id, "received_at",
                          rv_json_str(g->received_at), "removed", g->removed, "content_type",
                          rv_json_str(g->content_type), "bytes", g->bytes < 0 ? json_null() : json_integer(g->bytes),
                          "compliant", g->compliant < 0 ? json_null() : json_boolean(g->compliant), "violations",
                          rv_json_split(g->violations), "missing_reason", rv_json_str(g->missing_reason),
                          "absence_until", rv_json_str(g->absence_until), "profile", rv_json_str(g->profile),
                          "audio_sha256", rv_json_str(g->audio_sha256));
    if (!j) return NULL;
    json_object_set_new(j, "review", rv_json_split(g->review));
    json_object_set_new(j, "reviewed_at", rv_json_str(g->reviewed_at));
    json_object_set_new(j, "reviewed_by", rv_json_str(g->reviewed_by));
    if (analysis) {
        json_t *a = g->report ? json_loads(g->report, 0, NULL) : NULL;
        json_object_set_new(j, "analysis", a ? a : json_null());
    }
    return j;
}

/* A mailbox of the list as the API shows it, with its current greeting's
 * summary or null; NULL out of memory. */
static json_t *mailbox_row_json(const rv_mailbox_row *m)
{
    json_t *j = json_object();
    const char *keys[] = {"ext", "first_name", "last_name", "unit", "org", "profile", "mobile"};
    const char *vals[] = {m->ext, m->first_name, m->last_name, m->unit, m->org, m->profile, m->mobile};
    for (int i = 0; j && i < 7; i++) json_object_set_new(j, keys[i], rv_json_str(vals[i]));
    if (!j) return NULL;
    json_object_set_new(j, "greeting", m->has_greeting ? greeting_json(&m->greeting, 0) : json_null());
    json_object_set_new(j, "name_recording_at", rv_json_str(m->name_recording_at));
    json_object_set_new(j, "email", rv_json_str(m->email));
    json_object_set_new(j, "organisation", rv_json_str(m->organisation));
    return j;
}

/* A mailbox's creation or change and its audit row in one transaction
 * (the store's lock held). */
static rv_err mailbox_txn(rv_server *s, rv_mailbox *m, int profile_named, const char *now, const rv_caller *who,
                          int *created, rv_error *e)
{
    rv_err rc = rv_store_begin(s->db.store, e);
    if (rc != RV_OK) return rc;
    rc = rv_store_put_mailbox(s->db.store, m, now, created, e);
    rv_mailbox kept; /* the organisation it has now: the one named, kept, or found by the org's name */
    if (rc == RV_OK) rc = rv_store_get_mailbox(s->db.store, m->ext, &kept, e);
    if (rc == RV_OK) memcpy(m->organisation, kept.organisation, sizeof m->organisation);
    /* a mailbox that names no profile has its organisation's */
    if (rc == RV_OK && !profile_named && m->organisation[0]) {
        rv_org org;
        rv_err orc = rv_store_get_org(s->db.store, m->organisation, &org, e);
        if (orc != RV_OK && orc != RV_ERR_NOT_FOUND) rc = orc;
        else if (orc == RV_OK && org.profile[0] && strcmp(org.profile, m->profile) != 0) {
            snprintf(m->profile, sizeof m->profile, "%s", org.profile);
            int again;
            rc = rv_store_put_mailbox(s->db.store, m, now, &again, e);
        }
    }
    if (rc == RV_OK)
        rc = rv_store_audit(s->db.store, now, who->name, who->remote, *created ? "mailbox_created" : "mailbox_updated", 0,
                            m->ext, NULL, e);
    return rv_store_end(s->db.store, rc, e);
}

/* PUT /v1/mailboxes/{ext} */
rv_answer rv_api_put_mailbox(rv_server *s, rv_req *r, const rv_path *p)
{
    rv_error e;
    size_t len;
    const char *body = rv_req_body(r, &len);
    rv_mailbox m;
    if (rv_mailbox_parse(p->ext, body, len, &m, &e) != RV_OK) return rv_reply_rv_error(r, &e);
    json_t *j = json_loadb(body ? body : "", len, 0, NULL); /* rv_mailbox_parse read it */
    if (!j) return rv_reply_error(r, RV_ERR_NOMEM, "out of memory");
    int profile_named = json_object_get(j, "profile") != NULL;
    json_decref(j);
    const char *orgs = rv_req_caller(r)->orgs; /* an organisation's admin: only into theirs */
    if (orgs[0] && !rv_orgs_has(orgs, m.organisation))
        return rv_reply_error(r, RV_ERR_UNPROCESSABLE, "organisation: name one of the organisations you act for");
    rv_profile prof;
    if (rv_profile_find(s->cfg.profile_dirs, m.profile, &prof, &e) != RV_OK)
        return e.code == RV_ERR_NOT_FOUND || e.code == RV_ERR_ARG
                   ? rv_reply_error(r, RV_ERR_UNPROCESSABLE, "profile: no such policy profile")
                   : rv_reply_rv_error(r, &e);
    int created;
    char now[32];
    rv_utc_now(now);
    rv_err rc;
    RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES, mailbox_txn(s, &m, profile_named, now, rv_req_caller(r), &created, &e));
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    return rv_reply_json(r, created ? 201 : 200, mailbox_json(&m));
}

/* GET /v1/mailboxes/{ext} */
rv_answer rv_api_get_mailbox(rv_server *s, rv_req *r, const rv_path *p)
{
    const rv_caller *who = rv_req_caller(r);
    rv_error e;
    if (!rv_ext_valid(p->ext)) return rv_reply_error(r, RV_ERR_ARG, BAD_EXT);
    rv_mb_query q = {.compliant = RV_MB_ANY, .ext = p->ext, .limit = 1};
    rv_mailbox_row *v;
    size_t n;
    int more;
    pthread_mutex_lock(&s->db.lock);
    rv_err rc = rv_store_list_mailboxes(s->db.store, &q, &v, &n, &more, &e);
    pthread_mutex_unlock(&s->db.lock);
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    json_t *one = n ? mailbox_row_json(&v[0]) : NULL;
    rv_mailbox_rows_free(v, n);
    if (!one) return n ? rv_reply_error(r, RV_ERR_NOMEM, "out of memory")
                       : rv_reply_error(r, RV_ERR_NOT_FOUND, "no such mailbox");
    if (rv_audit(&s->db, who->name, who->remote, "mailbox_read", 0, p->ext, NULL, &e) != RV_OK) {
        json_decref(one);
        return rv_reply_rv_error(r, &e);
    }
    return rv_reply_json(r, 200, one);
}

/* GET /v1/mailboxes?compliant=&unit=&email=&limit=&after= (pbx only with
 * email=, to find the mailbox an e-mail was sent to) */
rv_answer rv_api_list_mailboxes(rv_server *s, rv_req *r, const rv_path *p)
{
    (void)p;
    rv_answer ret;
    const rv_caller *who = rv_req_caller(r);
    rv_mb_query q = {.compliant = RV_MB_ANY, .limit = 50, .scope = rv_caller_scope(who)};
    q.email = rv_req_arg(r, "email");
    if (who->role == RV_ROLE_PBX && (!q.email || !*q.email))
        return rv_reply_error(r, RV_ERR_FORBIDDEN, "a pbx token may only look a mailbox up by its email");
    const char *v = rv_req_arg(r, "compliant");
    int yes;
    if (v) {
        if (rv_parse_bool(v, &yes) != 0) return rv_reply_error(r, RV_ERR_ARG, "compliant must be true or false");
        q.compliant = yes ? RV_MB_COMPLIANT : RV_MB_NOT_COMPLIANT;
    }
    if (!rv_unit_filter(r, &q.unit, &ret)) return ret;
    q.after_ext = rv_req_arg(r, "after");
    if (q.after_ext && !rv_ext_valid(q.after_ext))
        return rv_reply_error(r, RV_ERR_ARG, "after must be the next cursor of a page");
    if (!rv_page_limit(r, &q.limit, &ret)) return ret;
    char org[RV_ORG_ID_MAX + 3];
    if (!rv_api_org_filter(s, r, &q.scope, org, &ret)) return ret;
    rv_mailbox_row *rows;
    size_t n;
    int more;
    rv_error e;
    pthread_mutex_lock(&s->db.lock);
    rv_err rc = rv_store_list_mailboxes(s->db.store, &q, &rows, &n, &more, &e);
    pthread_mutex_unlock(&s->db.lock);
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    /* who looked at whose numbers and names: lists are audited too */
    if (rv_audit(&s->db, who->name, who->remote, "mailboxes_listed", 0, NULL, rv_req_query(r), &e) != RV_OK) {
        rv_mailbox_rows_free(rows, n);
        return rv_reply_rv_error(r, &e);
    }
    json_t *items = json_array();
    for (size_t i = 0; items && i < n; i++) json_array_append_new(items, mailbox_row_json(&rows[i]));
    json_t *next = more && n ? rv_json_str(rows[n - 1].ext) : json_null();
    rv_mailbox_rows_free(rows, n);
    return rv_reply_json(r, 200, json_pack("{s:o,s:o}", "items", items, "next", next));
}

/* ---- greetings ---- */

/* A greeting or a recorded name, analysed or checked on a greeting thread
 * while the connection waits. */
static rv_answer audio_job(rv_server *s, rv_req *r, const rv_path *p, rv_job_kind kind)
{
    rv_answer ret;
    if (!rv_ext_valid(p->ext)) return rv_reply_error(r, RV_ERR_ARG, BAD_EXT);
    const char *type = rv_audio_type(r, &ret);
    if (!type) return ret;
    rv_job *j = rv_api_job_new(r);
    if (!j) return 0;
    size_t len;
    const char *body = rv_req_body(r, &len);
    *j = (rv_job){.kind = kind, .body = body, .len = len, .content_type = type};
    snprintf(j->ext, sizeof j->ext, "%.20s", p->ext); /* valid: at most 20 digits */
    int handed;
    return rv_api_hand_over(s, r, j, &handed);
}

/* PUT /v1/mailboxes/{ext}/greeting */
rv_answer rv_api_put_greeting(rv_server *s, rv_req *r, const rv_path *p)
{
    return audio_job(s, r, p, RV_JOB_GREETING);
}

/* PUT /v1/mailboxes/{ext}/name-recording: the owner's own recording of
 * their name, as the PBX keeps it. */
rv_answer rv_api_put_name_recording(rv_server *s, rv_req *r, const rv_path *p)
{
    return audio_job(s, r, p, RV_JOB_NAME);
}

/* GET /v1/mailboxes/{ext}/greeting: the current version with its analysis. */
rv_answer rv_api_get_greeting(rv_server *s, rv_req *r, const rv_path *p)
{
    const rv_caller *who = rv_req_caller(r);
    rv_error e;
    if (!rv_ext_valid(p->ext)) return rv_reply_error(r, RV_ERR_ARG, BAD_EXT);
    rv_greeting_summary g;
    pthread_mutex_lock(&s->db.lock);
    rv_err rc = rv_store_get_greeting(s->db.store, p->ext, 0, &g, &e);
    pthread_mutex_unlock(&s->db.lock);
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    if (rv_audit(&s->db, who->name, who->remote, "greeting_read", 0, p->ext, NULL, &e) != RV_OK) { /* no read unaudited */
        rv_greeting_summary_free(&g);
        return rv_reply_rv_error(r, &e);
    }
    json_t *j = greeting_json(&g, 1);
    rv_greeting_summary_free(&g);
    return rv_reply_json(r, 200, j);
}

/* DELETE /v1/mailboxes/{ext}/greeting: the greeting was removed. */
rv_answer rv_api_delete_greeting(rv_server *s, rv_req *r, const rv_path *p)
{
    const rv_caller *who = rv_req_caller(r);
    rv_error e;
    if (!rv_ext_valid(p->ext)) return rv_reply_error(r, RV_ERR_ARG, BAD_EXT);
    char now[32];
    rv_utc_now(now);
    rv_mailbox m;
    rv_profile prof;
    pthread_mutex_lock(&s->db.lock);
    rv_err rc = rv_store_get_mailbox(s->db.store, p->ext, &m, &e);
    pthread_mutex_unlock(&s->db.lock);
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    if (rv_profile_find(s->cfg.profile_dirs, m.profile, &prof, &e) != RV_OK)
        return rv_reply_error(r, RV_ERR_CONFIG, e.msg);
    char version[40];
    rv_greeting_version(s->models_version, &prof, version);
    rv_greeting_row row = {.ext = p->ext, .received_at = now, .removed = 1, .compliance = RV_COMPLIANCE_NO,
                           .profile = prof.name, .models_version = version, .actor = who->name,
                           .remote = who->remote};
    long long id = 0;
    RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES, rv_store_add_greeting(s->db.store, &row, &id, &e)); /* audited with it */
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    return rv_reply_json(r, 200,
                         json_pack("{s:s,s:I,s:b,s:s}", "ext", p->ext, "greeting_id", (json_int_t)id, "removed", 1,
                                   "received_at", now));
}

/* GET /v1/mailboxes/{ext}/greetings: every version, newest first, with
 * its verdict. */
rv_answer rv_api_list_greetings(rv_server *s, rv_req *r, const rv_path *p)
{
    const rv_caller *who = rv_req_caller(r);
    if (!rv_ext_valid(p->ext)) return rv_reply_error(r, RV_ERR_ARG, BAD_EXT);
    rv_greeting_summary *v;
    size_t n;
    rv_error e;
    pthread_mutex_lock(&s->db.lock);
    rv_err rc = rv_store_list_greetings(s->db.store, p->ext, &v, &n, &e);
    pthread_mutex_unlock(&s->db.lock);
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    /* who looked at whose numbers and names: lists are audited too */
    if (rv_audit(&s->db, who->name, who->remote, "greetings_listed", 0, p->ext, rv_req_query(r), &e) != RV_OK) {
        rv_greetings_free(v, n);
        return rv_reply_rv_error(r, &e);
    }
    json_t *items = json_array();
    for (size_t i = 0; items && i < n; i++) json_array_append_new(items, greeting_json(&v[i], 0));
    rv_greetings_free(v, n);
    return rv_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/* GET /v1/mailboxes/{ext}/greetings/{id}/audio: a greeting's recording,
 * audited as a voicemail's is. */
rv_answer rv_api_greeting_audio(rv_server *s, rv_req *r, const rv_path *p)
{
    if (!rv_ext_valid(p->ext)) return rv_reply_error(r, RV_ERR_ARG, BAD_EXT);
    rv_greeting_summary g;
    rv_error e;
    rv_audio_loc loc;
    char sha[RV_SHA256_HEX + 1] = "", ct[64] = "";
    pthread_mutex_lock(&s->db.lock);
    rv_err rc = rv_store_get_greeting(s->db.store, p->ext, p->id, &g, &e);
    if (rc == RV_OK && g.audio_sha256 && g.content_type) {
        snprintf(sha, sizeof sha, "%s", g.audio_sha256);
        snprintf(ct, sizeof ct, "%s", g.content_type);
    }
    rv_greeting_summary_free(&g);
    rv_err lrc = rc == RV_OK && sha[0] ? rv_store_locate_audio(s->db.store, sha, &loc, &e) : RV_OK;
    pthread_mutex_unlock(&s->db.lock);
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    if (!sha[0]) return rv_reply_error(r, RV_ERR_NOT_FOUND, "that greeting version has no recording (removed)");
    if (lrc != RV_OK) return rv_reply_error(r, RV_ERR_IO, e.msg);
    char detail[48];
    snprintf(detail, sizeof detail, "greeting %lld", p->id);
    return rv_api_send_audio(s, r, sha, &loc, ct, "greeting_audio_read", 0, p->ext, detail);
}

/* ---- reviews ---- */

/* A review, the greeting's verdict made again with what was heard, and its
 * audit row, in one transaction (the store's lock held): the greeting read
 * in it is the one the verdict is written to. A greeting that was not
 * verified keeps its verdict. */
static rv_err review_txn(rv_server *s, rv_review *rev, long long *rid, rv_error *e)
{
    rv_err rc = rv_store_begin(s->db.store, e);
    if (rc != RV_OK) return rc;
    rv_greeting_summary g;
    rc = rv_store_get_greeting(s->db.store, rev->ext, rev->greeting_id, &g, e);
    const char *pname = g.profile;
    json_t *analysis = g.report ? json_loads(g.report, 0, NULL) : NULL;
    char *report = json_is_object(analysis) ? json_dumps(analysis, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(analysis);
    rv_profile prof;
    rv_greeting_verdict v;
    rv_error pe;
    const char *heard[4] = {rev->name, rev->unit, rev->org, rev->closing};
    /* what the answers are about, and whether they answer all that was asked */
    char sought[3][RV_SOUGHT_MAX];
    int known = rv_greeting_sought(report, sought);
    for (int i = 0; i < 3; i++) rev->asked[i] = known ? sought[i] : NULL;
    rev->whole = rv_greeting_answers_all(report, heard);
    /* an element this review leaves unanswered keeps the recording's latest
     * answer about what was sought, as a re-analysis will */
    rv_heard h;
    int found = 0;
    if (rc == RV_OK && g.audio_sha256)
        rc = rv_store_latest_review(s->db.store, rev->ext, g.audio_sha256,
                                    (const char *const[3]){sought[0], sought[1], sought[2]}, &h, &found, e);
    const char *earlier[4] = {h.name, h.unit, h.org, h.closing};
    for (int i = 0; found && i < 4; i++)
        if (!heard[i] && earlier[i][0]) heard[i] = earlier[i];
    rev->set_verdict = rc == RV_OK && pname && report && rv_profile_find(s->cfg.profile_dirs, pname, &prof, &pe) == RV_OK &&
                       rv_greeting_reviewed(&prof, report, heard, &v, &pe) == RV_OK;
    free(report);
    rv_greeting_summary_free(&g);
    if (rev->set_verdict) {
        rev->compliance = v.compliance;
        rev->violations = v.violations;
    }
    if (rc == RV_OK) rc = rv_store_add_review(s->db.store, rev, rid, e);
    rc = rv_store_end(s->db.store, rc, e);
    rev->violations = NULL; /* v's and sought's: gone from here on */
    for (int i = 0; i < 3; i++) rev->asked[i] = NULL;
    return rc;
}

/* POST /v1/mailboxes/{ext}/greetings/{id}/review: what a person heard in
 * that version; kept as history, audited. */
rv_answer rv_api_review_greeting(rv_server *s, rv_req *r, const rv_path *p)
{
    const rv_caller *who = rv_req_caller(r);
    if (!rv_ext_valid(p->ext)) return rv_reply_error(r, RV_ERR_ARG, BAD_EXT);
    rv_error e;
    char now[32];
    rv_utc_now(now);
    rv_review rev = {.ext = p->ext, .greeting_id = p->id, .actor = who->name, .remote = who->remote, .now = now,
                     .sample_every = (int)s->cfg.review_sample_every};
    size_t len;
    const char *body = rv_req_body(r, &len);
    if (rv_review_parse(body, len, &rev, &e) != RV_OK) return rv_reply_rv_error(r, &e);
    long long rid;
    rv_err rc;
    RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES, review_txn(s, &rev, &rid, &e));
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    json_t *out = json_pack("{s:I,s:s,s:I,s:s,s:s}", "id", (json_int_t)rid, "ext", p->ext, "greeting_id",
                            (json_int_t)p->id, "actor", who->name, "reviewed_at", now);
    const char *keys[] = {"name", "unit", "org", "closing"}, *vals[] = {rev.name, rev.unit, rev.org, rev.closing};
    for (int i = 0; out && i < 4; i++) json_object_set_new(out, keys[i], vals[i] ? json_string(vals[i]) : json_null());
    return rv_reply_json(r, 201, out);
}

/* The texts v's greeting was checked against (its analysis's "expected"),
 * as the questions name them; the mailbox's where the analysis has none.
 * The mailbox may have changed since: what was sought is what is asked. */
static json_t *review_expect(const rv_review_item *v)
{
    char sought[3][RV_SOUGHT_MAX];
    int analysed = rv_greeting_sought(v->report, sought);
    const char *keys[3] = {"name", "unit", "org"}, *mine[3] = {v->name, v->unit, v->org};
    json_t *o = json_object();
    for (int i = 0; o && i < 3; i++) {
        const char *t = analysed ? sought[i] : mine[i];
        json_object_set_new(o, keys[i], t && t[0] ? json_string(t) : json_null());
    }
    return o ? o : json_null();
}

/* A review list's item: what to listen for (a sample: every element the
 * recogniser sought), the texts to ask about and, for a sample, the
 * verdict to check. */
static json_t *review_item_json(const rv_review_item *v)
{
    char checked[64];
    if (v->sample) rv_greeting_checked(v->report, checked);
    json_t *o = json_pack("{s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:b,s:o}", "ext", rv_json_str(v->ext), "name",
                          rv_json_str(v->name), "unit", rv_json_str(v->unit), "expect", review_expect(v), "greeting_id",
                          (json_int_t)v->greeting_id, "received_at", rv_json_str(v->received_at), "unsure",
                          rv_json_split(v->sample ? "" : v->unsure), "sample", v->sample, "listen_for",
                          rv_json_split(v->sample ? checked : v->open));
    if (o && v->sample)
        json_object_set_new(o, "verdict", json_pack("{s:b,s:o}", "compliant", v->compliant != 0, "violations",
                                                    rv_json_split(v->violations)));
    return o;
}

/* GET /v1/review?unit=&limit=&after=: greetings a person should listen to. */
rv_answer rv_api_list_review(rv_server *s, rv_req *r, const rv_path *p)
{
    (void)p;
    rv_answer ret;
    const rv_caller *who = rv_req_caller(r);
    int limit = 50;
    if (!rv_page_limit(r, &limit, &ret)) return ret;
    const char *after = rv_req_arg(r, "after");
    if (after && !rv_ext_valid(after)) return rv_reply_error(r, RV_ERR_ARG, "after must be the next cursor of a page");
    rv_review_item *v;
    size_t n;
    int more;
    rv_error e;
    rv_scope sc = rv_caller_scope(rv_req_caller(r));
    char org[RV_ORG_ID_MAX + 3];
    if (!rv_api_org_filter(s, r, &sc, org, &ret)) return ret;
    const char *unit;
    if (!rv_unit_filter(r, &unit, &ret)) return ret;
    pthread_mutex_lock(&s->db.lock);
    rv_err rc = rv_store_list_review(s->db.store, after, limit, (int)s->cfg.review_sample_every, &sc, unit, &v,
                                     &n, &more, &e);
    pthread_mutex_unlock(&s->db.lock);
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    /* who looked at whose numbers and names: lists are audited too */
    if (rv_audit(&s->db, who->name, who->remote, "review_listed", 0, NULL, rv_req_query(r), &e) != RV_OK) {
        rv_review_items_free(v, n);
        return rv_reply_rv_error(r, &e);
    }
    json_t *items = json_array();
    for (size_t i = 0; items && i < n; i++) {
        json_t *it = review_item_json(&v[i]);
        /* a sample with nothing sought has nothing to ask */
        if (it && v[i].sample && json_array_size(json_object_get(it, "listen_for")) == 0) json_decref(it);
        else json_array_append_new(items, it);
    }
    json_t *next = more && n ? rv_json_str(v[n - 1].ext) : json_null();
    rv_review_items_free(v, n);
    return rv_reply_json(r, 200, json_pack("{s:o,s:o}", "items", items, "next", next));
}
