/* The API's voicemails: uploads (handed to the group commit, ingest.c),
 * lists and reads, the audio, call-backs, decisions, and the submission
 * packages for the e-archive. The route table (api_routes.c) has checked
 * the method and the caller's role. */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rostvakt/audio.h"
#include "rostvakt/calendar.h"
#include "rostvakt/decision.h"
#include "rostvakt/mail.h"
#include "rostvakt/organisation.h"
#include "rostvakt/policy.h"
#include "rostvakt/requests.h"
#include "rostvakt/strbuf.h"
#include "rostvakt/textfile.h"

/* ---- uploads ---- */

/* An upload as it goes: checked here, its audio decoded on a job thread
 * when that takes time, then committed (ingest.c); kept by the request. */
typedef struct {
    rv_pending p;
    rv_job check;
    const char *type;
} upload;

static void upload_cleanup(void *u) { free(((upload *)u)->check.out); }

static int printable(const char *t)
{
    for (; *t; t++)
        if ((unsigned char)*t < 0x21 || (unsigned char)*t > 0x7e) return 0;
    return 1;
}

/* The committer has dealt with it: 201, or 200 for one sent before. */
static rv_answer upload_answer(rv_server *s, rv_req *r, void *state)
{
    const rv_pending *p = &((upload *)state)->p;
    if (p->v.rc != RV_OK) return rv_reply_rv_error(r, &p->v.err);
    if (!p->v.duplicate) {
        rv_workers_uploaded(s->workers);
    }
    char loc[64];
    snprintf(loc, sizeof loc, "/v1/voicemails/%lld", p->v.id);
    return rv_reply_json_h(r, p->v.duplicate ? 200 : 201,
                           json_pack("{s:I,s:s,s:b}", "id", (json_int_t)p->v.id, "audio_sha256", p->blob.sha256,
                                     "duplicate", p->v.duplicate),
                           "Location", loc);
}

/* The audio is whole: appended to the segment and handed to the committer. */
static rv_answer upload_commit(rv_server *s, rv_req *r, upload *u)
{
    rv_error e;
    size_t len;
    const char *body = rv_req_body(r, &len);
    if (rv_workers_queued(s->workers) >= s->cfg.max_queue)
        return rv_reply_error(r, RV_ERR_QUEUE_FULL, "the analysis queue is full; try again later");
    rv_pending *p = &u->p;
    /* appended without the store lock; the committer syncs the batch's
     * segment before it commits the rows that point to the audio */
    if (rv_store_append_audio(s->db.store, body ? body : "", len, &p->blob, &e) != RV_OK) return rv_reply_rv_error(r, &e);
    const rv_caller *who = rv_req_caller(r);
    snprintf(p->actor, sizeof p->actor, "%s", who->name);
    snprintf(p->remote, sizeof p->remote, "%s", who->remote);
    rv_utc_now(p->now);
    p->waiter = rv_req_wait(r, upload_answer, u);
    p->v = (rv_vm_new){.ext = p->ext, .sha256 = p->blob.sha256, .blob = &p->blob, .content_type = u->type,
                       .bytes = len, .caller = p->caller, .received_at = p->when, .actor = p->actor,
                       .remote = p->remote, .now = p->now, .idem_key = p->idem[0] ? p->idem : NULL};
    if (!rv_ingest_submit(s->ingest, p)) /* the appended bytes are nobody's; start-up reclaims them */
        return rv_reply_error(r, RV_ERR_STOPPING, "the service is stopping; try again later");
    return 1;
}

/* A job thread has decoded it. */
static rv_answer upload_checked(rv_server *s, rv_req *r, void *state)
{
    upload *u = state;
    if (u->check.code != RV_OK) return rv_reply_rv_error(r, &u->check.err);
    return upload_commit(s, r, u);
}

/* POST /v1/mailboxes/{ext}/voicemails: 201 only once the audio and its row
 * are on disk (the committer's group commit). */
rv_answer rv_api_post_voicemail(rv_server *s, rv_req *r, const rv_path *path)
{
    rv_answer ret;
    const rv_caller *who = rv_req_caller(r);
    const char *ext = path->ext;
    if (strlen(ext) >= sizeof ((rv_pending *)0)->ext) return rv_reply_error(r, RV_ERR_NOT_FOUND, "no such resource");
    const char *type = rv_audio_type(r, &ret);
    if (!type) return ret;
    const char *number = rv_req_header(r, "X-Caller-Number");
    if (number && (strlen(number) > 32 || strspn(number, "+0123456789") != strlen(number)))
        return rv_reply_error(r, RV_ERR_ARG, "X-Caller-Number must be up to 32 of + and digits");
    const char *at = rv_req_header(r, "X-Received-At");
    char when[32];
    if (at && !rv_rfc3339_utc(at, when))
        return rv_reply_error(r, RV_ERR_ARG, "X-Received-At must be an RFC 3339 date and time");
    if (at && !rv_plausible_received_at(when))
        return rv_reply_error(r, RV_ERR_ARG, "X-Received-At must lie between 2000-01-01 and a day from now");
    if (!at) rv_utc_now(when);
    rv_error e;
    size_t len;
    const char *body = rv_req_body(r, &len);
    const char *bytes = body ? body : "";
    /* the sender's key: the same upload again from the same sender is the
     * voicemail already stored; other audio with it is a conflict */
    const char *key = rv_req_header(r, "Idempotency-Key");
    if (key && (!*key || strlen(key) > RV_IDEM_KEY_MAX || !printable(key)))
        return rv_reply_error(r, RV_ERR_ARG, "Idempotency-Key must be 1 to 200 printable characters");
    if (key && rv_ext_valid(ext)) {
        long long old_id = 0;
        char sha[RV_SHA256_HEX + 1];
        rv_err kr;
        RV_STORE_RETRY(&s->db, kr, RV_BUSY_TRIES,
                       rv_store_voicemail_by_key(s->db.store, ext, who->name, key, bytes, len, &old_id, sha, &e));
        if (kr == RV_OK) {
            char loc[64];
            snprintf(loc, sizeof loc, "/v1/voicemails/%lld", old_id);
            return rv_reply_json_h(r, 200,
                                   json_pack("{s:I,s:s,s:b}", "id", (json_int_t)old_id, "audio_sha256", sha,
                                             "duplicate", 1),
                                   "Location", loc);
        }
        if (kr != RV_ERR_NOT_FOUND) return rv_reply_rv_error(r, &e);
    }
    upload *u = rv_req_keep(r, sizeof *u, upload_cleanup);
    if (!u) return 0;
    u->type = type;
    snprintf(u->p.ext, sizeof u->p.ext, "%.23s", ext);
    snprintf(u->p.caller, sizeof u->p.caller, "%s", number ? number : "");
    snprintf(u->p.when, sizeof u->p.when, "%s", when);
    snprintf(u->p.idem, sizeof u->p.idem, "%s", key ? key : "");
    rv_audio_limits lim = {s->cfg.max_audio_bytes, s->cfg.max_audio_seconds};
    if (!rv_audio_is_quick(bytes, len, rv_audio_hint_for_type(type))) {
        /* decoding takes time: never on an HTTP thread */
        u->check = (rv_job){.kind = RV_JOB_CHECK, .body = bytes, .len = len, .content_type = type};
        snprintf(u->check.actor, sizeof u->check.actor, "%s", who->name);
        snprintf(u->check.remote, sizeof u->check.remote, "%s", who->remote);
        u->check.waiter = rv_req_wait(r, upload_checked, u);
        if (!rv_job_submit(s->workers, &u->check))
            return rv_reply_error(r, RV_ERR_STOPPING, "the service is stopping; try again later");
        return 1;
    }
    if (rv_audio_check(bytes, len, rv_audio_hint_for_type(type), &lim, &e) != RV_OK) return rv_reply_rv_error(r, &e);
    return upload_commit(s, r, u);
}

/* ---- reading ---- */

/* Profiles read once a request: a list names a handful. */
typedef struct {
    int n;
    struct {
        char name[64];
        int ok;
        rv_profile p;
        rv_calendar cal;
    } one[8];
} profile_cache;

/* The call-back deadline of a voicemail received at at (UTC) in a mailbox
 * of profile pname, under its organisation's calendar (orgcal), else the
 * profile's: "YYYY-MM-DD" into dl, or 0. */
static int callback_deadline(rv_server *s, profile_cache *pc, const char *pname, const char *orgcal, const char *at,
                             char dl[11])
{
    if (!pname || !at) return 0;
    int k = 0;
    while (k < pc->n && strcmp(pc->one[k].name, pname) != 0) k++;
    if (k == pc->n) {
        if (pc->n == (int)(sizeof pc->one / sizeof *pc->one)) k = pc->n - 1; /* the last slot is reused */
        else pc->n++;
        rv_error e;
        snprintf(pc->one[k].name, sizeof pc->one[k].name, "%s", pname);
        pc->one[k].ok = rv_profile_find(s->cfg.profile_dirs, pname, &pc->one[k].p, &e) == RV_OK &&
                        rv_calendar_parse(pc->one[k].p.calendar, &pc->one[k].cal);
    }
    long day;
    rv_calendar cal = rv_calendar_or(orgcal, pc->one[k].cal);
    if (!pc->one[k].ok || !rv_local_date(at, cal, &day)) return 0;
    rv_format_date(rv_callback_deadline(cal, day, pc->one[k].p.callback_working_days), dl);
    return 1;
}

/* A voicemail of the list as the API shows it, with its call-back
 * deadline (dl, or NULL for none); NULL out of memory. */
static json_t *vm_item_json(const rv_vm_item *v, const char *dl)
{
    json_t *item = json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:s,s:o,s:o}", "id", (json_int_t)v->id, "ext", v->ext,
                             "caller", v->caller, "received_at", v->received_at, "content_type", v->content_type,
                             "bytes", (json_int_t)v->bytes, "state", v->state, "classification",
                             rv_json_str(v->classification), "decision", rv_json_str(v->decision));
    if (!item) return NULL;
    json_t *rj = v->reasons ? json_loads(v->reasons, 0, NULL) : NULL;
    json_object_set_new(item, "name", rv_json_str(v->name));
    json_object_set_new(item, "unit", rv_json_str(v->unit));
    json_object_set_new(item, "duration_s", v->has_duration ? json_real(v->duration_s) : json_null());
    json_object_set_new(item, "reasons", json_is_array(rj) ? json_incref(rj) : json_array());
    json_object_set_new(item, "callback_at", rv_json_str(v->callback_at));
    json_object_set_new(item, "listened_at", rv_json_str(v->listened_at));
    json_object_set_new(item, "callback_deadline", dl ? json_string(dl) : json_null());
    json_decref(rj);
    return item;
}

/* GET /v1/voicemails?classification=&decision=&ext=&unit=&from=&to=&caller=&q=&listened=&limit=&after=&before=:
 * {"items": [...], "next": cursor or null, "prev": cursor or null,
 * "total": n}, newest first. next is the id of the page's last item
 * (keyset: its received_at, id), to give as after=; prev the first's, to
 * give as before=. from and to are local dates (Europe/Stockholm) or RFC
 * 3339 instants. */
rv_answer rv_api_list_voicemails(rv_server *s, rv_req *r, const rv_path *p)
{
    (void)p;
    rv_answer ret;
    const rv_caller *who = rv_req_caller(r);
    rv_vm_query q = {.classification = rv_req_arg(r, "classification"), .decision = rv_req_arg(r, "decision"),
                     .ext = rv_req_arg(r, "ext"), .unit = rv_req_arg(r, "unit"), .caller = rv_req_arg(r, "caller"),
                     .q = rv_req_arg(r, "q"), .listened = -1, .limit = 50};
    q.scope = rv_caller_scope(who); /* whose voicemails it may see */
    if (!rv_unit_filter(r, &q.unit, &ret)) return ret;
    const char *after = rv_req_arg(r, "after"), *before = rv_req_arg(r, "before"), *listened = rv_req_arg(r, "listened");
    if (q.classification && strcmp(q.classification, "empty") && strcmp(q.classification, "ephemeral") &&
        strcmp(q.classification, "possible_public_record"))
        return rv_reply_error(r, RV_ERR_ARG, "classification must be empty, ephemeral or possible_public_record");
    rv_decision_kind dk;
    if (q.decision && !rv_decision_kind_parse(q.decision, &dk) && strcmp(q.decision, "none") &&
        strcmp(q.decision, "any"))
        return rv_reply_error(r, RV_ERR_ARG,
                              "decision must be registrera, halls_ordnad, gallras, privat, none (undecided) or any");
    char from_utc[32], to_utc[32];
    rv_calendar cal = RV_CAL_SE;
    if ((rv_req_arg(r, "from") || rv_req_arg(r, "to")) && !rv_api_calendar(s, r, &cal, &ret)) return ret;
    if (!rv_api_dates(r, cal, &q.from, &q.to, from_utc, to_utc, &ret)) return ret;
    if (!rv_page_limit(r, &q.limit, &ret)) return ret;
    if (after && !(q.after_id = rv_parse_id(after, strlen(after))))
        return rv_reply_error(r, RV_ERR_ARG, "after must be a cursor from \"next\"");
    if (before && !(q.before_id = rv_parse_id(before, strlen(before))))
        return rv_reply_error(r, RV_ERR_ARG, "before must be a cursor from \"prev\"");
    if (after && before) return rv_reply_error(r, RV_ERR_ARG, "give after or before, not both");
    if (q.caller && (!*q.caller || strlen(q.caller) > 32 || strspn(q.caller, "+0123456789") != strlen(q.caller)))
        return rv_reply_error(r, RV_ERR_ARG, "caller must be 1 to 32 of + and digits");
    if (q.q && (!*q.q || strlen(q.q) > 100)) return rv_reply_error(r, RV_ERR_ARG, "q must be 1 to 100 characters");
    if (listened && rv_parse_bool(listened, &q.listened) != 0)
        return rv_reply_error(r, RV_ERR_ARG, "listened must be true or false");
    char org[RV_ORG_ID_MAX + 3];
    if (!rv_api_org_filter(s, r, &q.scope, org, &ret)) return ret;
    rv_vm_page pg;
    rv_error e;
    pthread_mutex_lock(&s->db.lock);
    rv_err rc = rv_store_list_voicemails(s->db.store, &q, 1, &pg, &e);
    pthread_mutex_unlock(&s->db.lock);
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    /* who looked at whose numbers and names: lists are audited too */
    if (rv_audit(&s->db, who->name, who->remote, "voicemails_listed", 0, NULL, rv_req_query(r), &e) != RV_OK) {
        rv_vm_page_free(&pg);
        return rv_reply_rv_error(r, &e);
    }
    profile_cache pc = {0};
    json_t *items = json_array();
    for (size_t i = 0; items && i < pg.n; i++) {
        char dl[11];
        const rv_vm_item *v = &pg.items[i];
        int has = (!v->classification || strcmp(v->classification, "empty") != 0) && !v->disposed_at && /* as the sweep */
                  callback_deadline(s, &pc, v->profile, v->calendar, v->received_at, dl);
        json_array_append_new(items, vm_item_json(v, has ? dl : NULL));
    }
    char buf[32];
    json_t *next = json_null(), *prev = json_null();
    if (pg.more_older && pg.n) {
        snprintf(buf, sizeof buf, "%lld", pg.items[pg.n - 1].id);
        next = json_string(buf);
    }
    if (pg.more_newer && pg.n) {
        snprintf(buf, sizeof buf, "%lld", pg.items[0].id);
        prev = json_string(buf);
    }
    long long total = pg.total;
    rv_vm_page_free(&pg);
    return rv_reply_json(r, 200, json_pack("{s:o,s:o,s:o,s:I}", "items", items, "next", next, "prev", prev, "total",
                                           (json_int_t)total));
}

/* A voicemail as GET /v1/voicemails/{id} shows it, without its call-back
 * deadline and listens; NULL out of memory. */
static json_t *voicemail_json(const rv_vm_detail *v)
{
    json_t *analysis = v->report ? json_loads(v->report, 0, NULL) : NULL;
    json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:s,s:o,s:o}", "id", (json_int_t)v->id, "ext", v->ext, "caller",
                          v->caller, "received_at", v->received_at, "content_type", v->content_type, "bytes",
                          (json_int_t)v->bytes, "state", v->state, "classification", rv_json_str(v->classification),
                          "analysis", analysis ? analysis : json_null());
    if (!j) return NULL;
    json_object_set_new(j, "owner",
                        json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "first_name", v->first_name, "last_name", v->last_name,
                                  "unit", v->unit, "org", v->org, "profile", v->profile, "organisation",
                                  rv_json_str(v->organisation)));
    json_object_set_new(j, "callback_at", rv_json_str(v->callback_at));
    json_t *a = json_array();
    for (size_t i = 0; a && i < v->n_decisions; i++) {
        const rv_vm_decision *d = &v->decisions[i];
        json_array_append_new(
            a, json_pack("{s:s,s:o,s:o,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "decision", d->decision,
                         "diarienummer", rv_json_str(d->diarienummer), "note", rv_json_str(d->note), "actor", d->actor,
                         "decided_at", d->decided_at, "arendemening", rv_json_str(d->arendemening), "sekretess",
                         rv_json_str(d->sekretess), "ground", rv_json_str(d->ground), "gallringsbeslut",
                         rv_json_str(d->gallringsbeslut), "reason", rv_json_str(d->reason), "previous",
                         rv_json_str(d->previous), "migrated_from", rv_json_str(d->migrated_from)));
    }
    json_object_set_new(j, "decisions", a);
    a = json_array();
    for (size_t i = 0; a && i < v->n_events; i++) {
        const rv_vm_event *ev = &v->events[i];
        json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:o}", "event", ev->event, "at", ev->at, "actor", ev->actor,
                                           "detail", rv_json_str(ev->detail)));
    }
    json_object_set_new(j, "events", a);
    json_object_set_new(j, "objid", rv_json_str(v->objid));
    json_object_set_new(j, "packaged_at", rv_json_str(v->packaged_at));
    json_object_set_new(j, "archived_at", rv_json_str(v->archived_at));
    json_object_set_new(j, "archive_ref", rv_json_str(v->archive_ref));
    json_object_set_new(j, "disposed_at", rv_json_str(v->disposed_at));
    return j;
}

/* Who has listened: [{"name", "at": the first time, "last_at", "times"}];
 * NULL out of memory. */
static json_t *listens_json(const rv_vm_listen *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *one = json_pack("{s:o,s:o,s:o,s:I}", "name", rv_json_audit_text(v[i].name), "at",
                                rv_json_audit_text(v[i].at), "last_at", rv_json_audit_text(v[i].last_at), "times",
                                (json_int_t)v[i].times);
        if (!one || json_array_append_new(a, one) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    return a;
}

/* GET /v1/voicemails/{id}, with its call-back deadline and who has listened */
rv_answer rv_api_get_voicemail(rv_server *s, rv_req *r, const rv_path *p)
{
    const rv_caller *who = rv_req_caller(r);
    long long id = p->id;
    rv_vm_detail v;
    rv_error e;
    pthread_mutex_lock(&s->db.lock);
    rv_err rc = rv_store_get_voicemail(s->db.store, id, &v, &e);
    pthread_mutex_unlock(&s->db.lock);
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    if (rv_audit(&s->db, who->name, who->remote, "voicemail_read", id, NULL, NULL, &e) != RV_OK) { /* no read unaudited */
        rv_vm_detail_free(&v);
        return rv_reply_rv_error(r, &e);
    }
    /* the call-back deadline under the mailbox's profile, in its organisation's calendar */
    profile_cache pc = {0};
    char dl[11];
    /* none for an empty message or one disposed of: nobody to call back, as the sweep has it */
    int has = (!v.classification || strcmp(v.classification, "empty") != 0) && (!v.disposed_at || !*v.disposed_at) &&
              callback_deadline(s, &pc, v.profile, v.calendar, v.received_at, dl);
    json_t *j = voicemail_json(&v);
    rv_vm_detail_free(&v);
    if (!j) return rv_reply_error(r, RV_ERR_NOMEM, "out of memory");
    json_object_set_new(j, "callback_deadline", has ? json_string(dl) : json_null());
    /* who has listened, and when: the audit's reads of its audio; and to
     * whom it was handed over, by whom */
    rv_vm_listen *ls = NULL, *hs = NULL;
    size_t nls = 0, nhs = 0;
    pthread_mutex_lock(&s->db.lock);
    rc = rv_store_voicemail_listens(s->db.store, id, &ls, &nls, &e);
    if (rc == RV_OK) rc = rv_store_voicemail_handovers(s->db.store, id, &hs, &nhs, &e);
    pthread_mutex_unlock(&s->db.lock);
    if (rc != RV_OK) {
        rv_vm_listens_free(ls, nls);
        json_decref(j);
        return rv_reply_rv_error(r, &e);
    }
    json_t *listens = listens_json(ls, nls), *handovers = json_array();
    for (size_t i = 0; handovers && i < nhs; i++)
        if (json_array_append_new(handovers, json_pack("{s:o,s:o,s:o}", "by", rv_json_audit_text(hs[i].name), "at",
                                                       rv_json_audit_text(hs[i].at), "to",
                                                       rv_json_audit_text(hs[i].last_at))) != 0) {
            json_decref(handovers);
            handovers = NULL;
        }
    rv_vm_listens_free(ls, nls);
    rv_vm_listens_free(hs, nhs);
    if (!listens || !handovers) {
        json_decref(listens);
        json_decref(handovers);
        json_decref(j);
        return rv_reply_error(r, RV_ERR_NOMEM, "out of memory");
    }
    json_object_set_new(j, "listens", listens);
    json_object_set_new(j, "handovers", handovers);
    return rv_reply_json(r, 200, j);
}

/* GET /v1/voicemails/{id}/audio: the original bytes with their
 * Content-Type; one "bytes=a-b" / "a-" / "-n" range gives 206. */
rv_answer rv_api_voicemail_audio(rv_server *s, rv_req *r, const rv_path *p)
{
    char sha[RV_SHA256_HEX + 1], ct[64];
    int disposed = 0;
    rv_error e;
    rv_audio_loc loc;
    pthread_mutex_lock(&s->db.lock);
    rv_err rc = rv_store_voicemail_audio(s->db.store, p->id, sha, ct, sizeof ct, &disposed, &e);
    rv_err lrc = rc == RV_OK && !disposed ? rv_store_locate_audio(s->db.store, sha, &loc, &e) : RV_OK;
    pthread_mutex_unlock(&s->db.lock);
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    if (disposed) return rv_reply_error(r, RV_ERR_DISPOSED, "the audio was disposed of");
    if (lrc != RV_OK) return rv_reply_error(r, RV_ERR_IO, e.msg);
    return rv_api_send_audio(s, r, sha, &loc, ct, "audio_read", p->id, NULL, NULL);
}

/* ---- call-backs and decisions ---- */

/* A call-back and its audit row in one transaction (the store's lock held). */
static rv_err callback_txn(rv_server *s, long long id, const char *now, const rv_caller *who, rv_error *e)
{
    rv_err rc = rv_store_begin(s->db.store, e);
    if (rc != RV_OK) return rc;
    rc = rv_store_set_callback(s->db.store, id, now, e);
    if (rc == RV_OK) rc = rv_store_audit(s->db.store, now, who->name, who->remote, "callback", id, NULL, NULL, e);
    return rv_store_end(s->db.store, rc, e);
}

/* A decision and its audit row in one transaction (the store's lock held):
 * checked against where the voicemail stands and its profile's rules inside
 * the transaction, so that two officers deciding at once are both checked
 * against what the other wrote. */
static rv_err decision_txn(rv_server *s, long long id, const rv_decision_req *d, rv_decision_kind kind,
                           const char *now, const rv_caller *who, long long *did, char previous[16], rv_error *e)
{
    rv_err rc = rv_store_begin(s->db.store, e);
    if (rc != RV_OK) return rc;
    rv_decision_standing st;
    rv_profile prof;
    rc = rv_store_decision_standing(s->db.store, id, &st, e);
    if (rc == RV_OK && (rc = rv_profile_find(s->cfg.profile_dirs, st.profile, &prof, e)) == RV_ERR_NOT_FOUND) {
        memset(&prof, 0, sizeof prof); /* a profile since removed: no pattern, no gallringsbeslut */
        rc = RV_OK;
    }
    rv_decision_kind current = RV_DECISION_NONE;
    if (rc == RV_OK && st.decision[0] && !rv_decision_from_legacy(st.decision, &current))
        rc = rv_error_set(e, RV_ERR_INTERNAL, "voicemail %lld has an unknown decision '%s'", id, st.decision);
    /* the voicemail's own authority's rules, where it names them, before its profile's */
    static const rv_scope all = {0};
    char org_id[48];
    int seen;
    rv_org org;
    memset(&org, 0, sizeof org);
    if (rc == RV_OK && rv_store_whose(s->db.store, NULL, id, &all, org_id, &seen, e) < 0) rc = e->code;
    if (rc == RV_OK && org_id[0] && (rc = rv_store_get_org(s->db.store, org_id, &org, e)) == RV_ERR_NOT_FOUND) {
        memset(&org, 0, sizeof org);
        rc = RV_OK;
    }
    if (rc == RV_OK) {
        rv_decision_request dq = {kind, d->diarienummer, d->arendemening, d->sekretess, d->ground, d->reason, d->note};
        rv_decision_rules rules = {prof.diarienummer_pattern, prof.gallringsbeslut, prof.gallring_covers};
        if (org.diarienummer_pattern[0]) rules.diarienummer_pattern = org.diarienummer_pattern;
        if (org.gallringsbeslut[0]) {
            rules.gallringsbeslut = org.gallringsbeslut;
            rv_ground_list_parse(org.gallring_covers, &rules.gallring_covers); /* "tillfallig,ringa" */
            if (!rules.gallring_covers) rules.gallring_covers = RV_GROUND_TILLFALLIG | RV_GROUND_RINGA;
            snprintf(prof.gallringsbeslut, sizeof prof.gallringsbeslut, "%s", org.gallringsbeslut);
        }
        rv_decision_state now_st = {current, st.handed_over, st.disposed};
        rc = rv_decision_check(&dq, &rules, &now_st, e);
    }
    char dn[RV_DIARIENUMMER_MAX + 8], am[RV_ARENDEMENING_MAX + 8], sk[RV_SEKRETESS_MAX + 8], rs[RV_REASON_MAX + 8];
    if (rc == RV_OK) {
        /* kept as checked: without the white space around */
        rv_decision_trim(d->diarienummer, dn, sizeof dn);
        rv_decision_trim(d->arendemening, am, sizeof am);
        rv_decision_trim(d->sekretess, sk, sizeof sk);
        rv_decision_trim(d->reason, rs, sizeof rs);
        snprintf(previous, 16, "%s", rv_decision_kind_name(current));
        int ground = 0;
        rv_ground_parse(d->ground, &ground);
        rv_decision_record rec = {rv_decision_kind_name(kind), dn[0] ? dn : NULL, am[0] ? am : NULL,
                                  sk[0] ? sk : NULL, ground ? rv_ground_name(ground) : NULL,
                                  kind == RV_DECISION_GALLRAS ? prof.gallringsbeslut : NULL, rs[0] ? rs : NULL,
                                  previous[0] ? previous : NULL, d->note};
        rc = rv_store_add_decision(s->db.store, id, &rec, who->name, now, did, e);
    }
    if (rc == RV_OK) {
        /* the audit says what it was and what it became, and why */
        char detail[700];
        if (previous[0])
            snprintf(detail, sizeof detail, "%s -> %s: %s", previous, rv_decision_kind_name(kind), rs);
        else if (kind == RV_DECISION_REGISTRERA)
            snprintf(detail, sizeof detail, "registrera %s", dn);
        else snprintf(detail, sizeof detail, "%s", rv_decision_kind_name(kind));
        rc = rv_store_audit(s->db.store, now, who->name, who->remote, "decision", id, NULL, detail, e);
    }
    return rv_store_end(s->db.store, rc, e);
}

/* POST /v1/voicemails/{id}/callback: the owner called back. */
rv_answer rv_api_callback(rv_server *s, rv_req *r, const rv_path *p)
{
    rv_error e;
    size_t len;
    const char *body = rv_req_body(r, &len);
    while (len && (body[len - 1] == ' ' || body[len - 1] == '\n' || body[len - 1] == '\r' || body[len - 1] == '\t'))
        len--; /* whitespace alone is no body */
    if (len) { /* none, or {}: the call-back is now, as the service's clock has it */
        json_t *j;
        if (rv_json_body(body, len, &j, &e) != RV_OK) return rv_reply_rv_error(r, &e);
        const char *key = json_object_iter_key(json_object_iter(j));
        if (key) rv_error_set(&e, RV_ERR_ARG, "unknown field \"%.60s\": a call-back takes no body, or {}", key);
        json_decref(j);
        if (key) return rv_reply_rv_error(r, &e);
    }
    char now[32];
    rv_utc_now(now);
    rv_err rc;
    RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES, callback_txn(s, p->id, now, rv_req_caller(r), &e));
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    return rv_reply_json(r, 200, json_pack("{s:I,s:s}", "id", (json_int_t)p->id, "callback_at", now));
}

/* POST /v1/voicemails/{id}/decision: kept as history, never overwritten;
 * the rules are include/rostvakt/decision.h's. */
rv_answer rv_api_decision(rv_server *s, rv_req *r, const rv_path *p)
{
    const rv_caller *who = rv_req_caller(r);
    rv_error e;
    char now[32], previous[16] = "";
    rv_utc_now(now);
    size_t len;
    const char *body = rv_req_body(r, &len);
    rv_decision_req d;
    if (rv_decision_parse(body, len, &d, &e) != RV_OK) return rv_reply_rv_error(r, &e);
    rv_decision_kind kind;
    if (!rv_decision_kind_parse(d.decision, &kind)) {
        rv_decision_free(&d);
        return rv_reply_error(r, RV_ERR_UNPROCESSABLE, "decision must be registrera, halls_ordnad, gallras or privat");
    }
    long long did = 0;
    rv_err rc;
    RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES, decision_txn(s, p->id, &d, kind, now, who, &did, previous, &e));
    json_t *out = rc == RV_OK ? json_pack("{s:I,s:I,s:s,s:s,s:s,s:s?}", "id", (json_int_t)did, "voicemail",
                                          (json_int_t)p->id, "decision", d.decision, "actor", who->name,
                                          "decided_at", now, "previous", previous[0] ? previous : NULL)
                              : NULL;
    rv_decision_free(&d);
    if (rc == RV_ERR_ARG) return rv_reply_error(r, RV_ERR_UNPROCESSABLE, e.msg); /* a value the rules refuse */
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    return rv_reply_json(r, 201, out);
}

/* ---- hand-over to a person ---- */

/* POST /v1/voicemails/{id}/handover {"to": "address", "note": "..."}: an
 * e-mail with the voicemail's link to the person who is to deal with it,
 * kept and audited before it is sent, on the package thread while the
 * connection waits (a mail server may take its time). 201 {"sent": true}
 * once the server took it; "sent": false and "error" when it did not now
 * (the next sweep sends it). */
rv_answer rv_api_handover(rv_server *s, rv_req *r, const rv_path *p)
{
    size_t len;
    const char *body = rv_req_body(r, &len);
    json_t *j;
    rv_error e;
    if (rv_json_body(body, len, &j, &e) != RV_OK) return rv_reply_rv_error(r, &e);
    const char *to = json_string_value(json_object_get(j, "to"));
    json_t *nj = json_object_get(j, "note");
    const char *note = json_string_value(nj);
    int known = 1;
    const char *k;
    json_t *v;
    json_object_foreach(j, k, v) known &= !strcmp(k, "to") || !strcmp(k, "note");
    if (!to || !known || (nj && !json_is_null(nj) && !note)) {
        json_decref(j);
        return rv_reply_error(r, RV_ERR_ARG, "the body must be {\"to\": \"an e-mail address\", \"note\": \"...\"}");
    }
    if (!rv_mail_address_valid(to)) {
        json_decref(j);
        return rv_reply_error(r, RV_ERR_UNPROCESSABLE, "to: not an e-mail address");
    }
    if (note && (strlen(note) >= sizeof ((rv_job *)0)->note || rv_text_has_control(note, 1))) {
        json_decref(j);
        return rv_reply_error(r, RV_ERR_ARG,
                              "note: at most 2000 bytes, no control characters but line breaks and tabs");
    }
    rv_job *job = rv_api_job_new(r);
    if (!job) {
        json_decref(j);
        return 0;
    }
    *job = (rv_job){.kind = RV_JOB_HANDOVER, .voicemail = p->id};
    snprintf(job->to, sizeof job->to, "%s", to);
    snprintf(job->note, sizeof job->note, "%s", note ? note : "");
    json_decref(j);
    int handed;
    return rv_api_hand_over(s, r, job, &handed);
}

/* ---- the e-archive ---- */

/* POST /v1/voicemails/{id}/package: the registered voicemail's submission
 * package for the e-archive as a tar, made on the package thread while the
 * connection waits (workers.c), recorded as an event and audited before it
 * is answered. A POST, not a GET: it changes the voicemail's history, so a
 * browser must send its CSRF token. */
rv_answer rv_api_package(rv_server *s, rv_req *r, const rv_path *p)
{
    rv_job *j = rv_api_job_new(r);
    if (!j) return 0;
    *j = (rv_job){.kind = RV_JOB_PACKAGE, .voicemail = p->id};
    int handed;
    return rv_api_hand_over(s, r, j, &handed);
}

/* POST /v1/voicemails/{id}/archived {"reference": "..."}: the e-archive
 * confirmed it took the package. */
rv_answer rv_api_archived(rv_server *s, rv_req *r, const rv_path *p)
{
    const rv_caller *who = rv_req_caller(r);
    size_t len;
    const char *body = rv_req_body(r, &len);
    json_t *j;
    rv_error e;
    if (rv_json_body(body, len, &j, &e) != RV_OK) return rv_reply_rv_error(r, &e);
    const char *ref = json_string_value(json_object_get(j, "reference"));
    if (json_object_size(j) != 1 || !ref || !*ref || strlen(ref) > 200) {
        json_decref(j);
        return rv_reply_error(r, RV_ERR_ARG, "the body must be {\"reference\": \"the e-archive's reference\"} "
                                             "(1 to 200 characters)");
    }
    if (rv_text_has_control(ref, 0)) {
        json_decref(j);
        return rv_reply_error(r, RV_ERR_ARG, "reference: no control characters");
    }
    char now[32], reference[256];
    rv_utc_now(now);
    snprintf(reference, sizeof reference, "%s", ref);
    json_decref(j);
    rv_err rc;
    RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES,
                   rv_store_mark_archived(s->db.store, p->id, reference, now, who->name, who->remote, &e));
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    return rv_reply_json(r, 201, json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)p->id, "archive_ref", reference,
                                           "archived_at", now, "actor", who->name));
}
