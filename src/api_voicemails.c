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
#include "rostvakt/policy.h"
#include "rostvakt/requests.h"

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

/* GET /v1/voicemails?classification=&decision=&ext=&unit=&from=&to=&limit=&after=:
 * {"items": [...], "next": cursor or null}, newest first. The cursor is
 * the id of the page's last item (keyset: its received_at, id). */
rv_answer rv_api_list_voicemails(rv_server *s, rv_req *r, const rv_path *p)
{
    (void)p;
    rv_answer ret;
    const rv_caller *who = rv_req_caller(r);
    rv_vm_query q = {.classification = rv_req_arg(r, "classification"), .decision = rv_req_arg(r, "decision"),
                     .ext = rv_req_arg(r, "ext"), .unit = rv_req_arg(r, "unit"), .from = rv_req_arg(r, "from"),
                     .to = rv_req_arg(r, "to"), .limit = 50};
    q.scope = rv_caller_scope(who); /* whose voicemails it may see */
    const char *after = rv_req_arg(r, "after");
    if (q.classification && strcmp(q.classification, "empty") && strcmp(q.classification, "ephemeral") &&
        strcmp(q.classification, "possible_public_record"))
        return rv_reply_error(r, RV_ERR_ARG, "classification must be empty, ephemeral or possible_public_record");
    if (q.decision && strcmp(q.decision, "registered") && strcmp(q.decision, "not_public_record") &&
        strcmp(q.decision, "dispose") && strcmp(q.decision, "none") && strcmp(q.decision, "any"))
        return rv_reply_error(r, RV_ERR_ARG,
                              "decision must be registered, not_public_record, dispose, none (undecided) or any");
    char from_utc[32], to_utc[32];
    if ((q.from && !rv_rfc3339_utc(q.from, from_utc)) || (q.to && !rv_rfc3339_utc(q.to, to_utc)))
        return rv_reply_error(r, RV_ERR_ARG, "from and to must be RFC 3339 dates and times");
    if (q.from) q.from = from_utc;
    if (q.to) q.to = to_utc;
    if (!rv_page_limit(r, &q.limit, &ret)) return ret;
    if (after && !(q.after_id = rv_parse_id(after, strlen(after))))
        return rv_reply_error(r, RV_ERR_ARG, "after must be a cursor from \"next\"");
    json_t *items;
    int more;
    rv_error e;
    pthread_mutex_lock(&s->db.lock);
    rv_err rc = rv_store_list_voicemails(s->db.store, &q, &items, &more, &e);
    pthread_mutex_unlock(&s->db.lock);
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    /* who looked at whose numbers and names: lists are audited too */
    if (rv_audit(&s->db, who->name, who->remote, "voicemails_listed", 0, NULL, rv_req_query(r), &e) != RV_OK) {
        json_decref(items);
        return rv_reply_rv_error(r, &e);
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
    return rv_reply_json(r, 200, json_pack("{s:o,s:o}", "items", items, "next", next));
}

/* GET /v1/voicemails/{id}, with its call-back deadline */
rv_answer rv_api_get_voicemail(rv_server *s, rv_req *r, const rv_path *p)
{
    const rv_caller *who = rv_req_caller(r);
    long long id = p->id;
    json_t *j;
    rv_error e;
    pthread_mutex_lock(&s->db.lock);
    rv_err rc = rv_store_get_voicemail(s->db.store, id, &j, &e);
    pthread_mutex_unlock(&s->db.lock);
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    if (rv_audit(&s->db, who->name, who->remote, "voicemail_read", id, NULL, NULL, &e) != RV_OK) { /* no read unaudited */
        json_decref(j);
        return rv_reply_rv_error(r, &e);
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

/* A decision and its audit row in one transaction (the store's lock held). */
static rv_err decision_txn(rv_server *s, long long id, const rv_decision_req *d, const char *now, const rv_caller *who,
                           long long *did, rv_error *e)
{
    rv_err rc = rv_store_begin(s->db.store, e);
    if (rc != RV_OK) return rc;
    rc = rv_store_add_decision(s->db.store, id, d->decision, d->diarienummer, d->note, who->name, now, did, e);
    if (rc == RV_OK) rc = rv_store_audit(s->db.store, now, who->name, who->remote, "decision", id, NULL, d->decision, e);
    return rv_store_end(s->db.store, rc, e);
}

/* POST /v1/voicemails/{id}/callback: the owner called back. */
rv_answer rv_api_callback(rv_server *s, rv_req *r, const rv_path *p)
{
    rv_error e;
    char now[32];
    rv_utc_now(now);
    rv_err rc;
    RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES, callback_txn(s, p->id, now, rv_req_caller(r), &e));
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    return rv_reply_json(r, 200, json_pack("{s:I,s:s}", "id", (json_int_t)p->id, "callback_at", now));
}

/* POST /v1/voicemails/{id}/decision: kept as history, never overwritten. */
rv_answer rv_api_decision(rv_server *s, rv_req *r, const rv_path *p)
{
    const rv_caller *who = rv_req_caller(r);
    rv_error e;
    char now[32];
    rv_utc_now(now);
    size_t len;
    const char *body = rv_req_body(r, &len);
    rv_decision_req d;
    if (rv_decision_parse(body, len, &d, &e) != RV_OK) return rv_reply_rv_error(r, &e);
    long long did = 0;
    rv_err rc;
    RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES, decision_txn(s, p->id, &d, now, who, &did, &e));
    json_t *out = rc == RV_OK ? json_pack("{s:I,s:I,s:s,s:s,s:s}", "id", (json_int_t)did, "voicemail",
                                          (json_int_t)p->id, "decision", d.decision, "actor", who->name,
                                          "decided_at", now)
                              : NULL;
    rv_decision_free(&d);
    if (rc == RV_ERR_ARG) return rv_reply_error(r, RV_ERR_UNPROCESSABLE, e.msg); /* a value the archive refuses */
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    return rv_reply_json(r, 201, out);
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
    json_error_t je;
    json_t *j = body ? json_loadb(body, len, 0, &je) : NULL;
    const char *ref = json_string_value(json_object_get(j, "reference"));
    if (!json_is_object(j) || !ref || !*ref || strlen(ref) > 200) {
        json_decref(j);
        return rv_reply_error(r, RV_ERR_ARG, "the body must be {\"reference\": \"the e-archive's reference\"} "
                                             "(1 to 200 characters)");
    }
    for (const char *q = ref; *q; q++)
        if ((unsigned char)*q < 0x20) {
            json_decref(j);
            return rv_reply_error(r, RV_ERR_ARG, "reference: no control characters");
        }
    char now[32], reference[256];
    rv_utc_now(now);
    snprintf(reference, sizeof reference, "%s", ref);
    json_decref(j);
    rv_error e;
    rv_err rc;
    RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES,
                   rv_store_mark_archived(s->db.store, p->id, reference, now, who->name, who->remote, &e));
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    return rv_reply_json(r, 201, json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)p->id, "archive_ref", reference,
                                           "archived_at", now, "actor", who->name));
}
