/* The store's voicemails and what happens to them: the upload's rows (one
 * batch a group commit), the analysis queue, call-backs, the records
 * officer's decisions, the hand-over to the e-archive (events) and
 * disposal. Their audio is store_audio.c's. */
#include "store_int.h"

#include "rostvakt/strbuf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a sender hears when it sends other audio with a key it used: nothing
 * of the voicemail stored under it. */
#define KEY_USED "this Idempotency-Key was sent before with other audio; a new recording needs a new key"

/* The voicemail of mailbox ext that sender by sent with key: RV_OK with *id
 * and its audio's hash, RV_ERR_NOT_FOUND when there is none. */
static rv_err by_key(rv_store *s, const char *ext, const char *by, const char *key, long long *id,
                     char sha256[RV_SHA256_HEX + 1], rv_error *err)
{
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT id, audio_sha256 FROM voicemails WHERE ext = ?1 AND idempotency_by = ?2"
                               " AND idempotency_key = ?3",
                               V_ARGS(V_TEXT(ext), V_TEXT(by), V_TEXT(key)), "cannot read voicemails", err);
    if (rc != RV_OK) return rc;
    int r = rv_sql_step(q, err);
    if (r == 1) {
        *id = rv_sql_int(q, 0);
        rv_sql_copy(q, 1, sha256, RV_SHA256_HEX + 1);
    } else rc = r == 0 ? rv_error_set(err, RV_ERR_NOT_FOUND, "no voicemail with that key") : err->code;
    rv_sql_done(q);
    return rc;
}

rv_err rv_store_voicemail_by_key(rv_store *s, const char *ext, const char *by, const char *key, const void *bytes,
                                 size_t len, long long *id, char sha256[RV_SHA256_HEX + 1], rv_error *err)
{
    *id = 0;
    sha256[0] = '\0';
    char stored[RV_SHA256_HEX + 1], hex[RV_SHA256_HEX + 1];
    long long found;
    rv_err rc = by_key(s, ext, by, key, &found, stored, err);
    if (rc != RV_OK) return rc;
    int ok; /* hashed only when the key was used: a retry */
    rv_audio_sha256(bytes, len, hex, &ok);
    if (!ok) return rv_error_set(err, RV_ERR_INTERNAL, "SHA-256 failed");
    if (strcmp(hex, stored) != 0) return rv_error_set(err, RV_ERR_CONFLICT, "%s", KEY_USED);
    *id = found;
    memcpy(sha256, stored, sizeof stored);
    return RV_OK;
}

/* On PostgreSQL, each item's rows in one statement and the batch's
 * statements in one round trip (rv_pg_batch): the voicemail (when its
 * mailbox exists and its key was not used), its caller's endings, its job
 * and, when it has an actor, its audit; a key used before gives the
 * voicemail stored under it: a duplicate with the same audio, else a
 * conflict. Under the write lock no other transaction writes voicemails,
 * so the items before it in the batch are all the key can meet besides
 * the committed ones. */
#define PG_INSERT                                                                                               \
    "WITH v AS (INSERT INTO voicemails (ext, audio_sha256, content_type, bytes, caller, received_at,"          \
    " idempotency_key, idempotency_by) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8"                                   \
    " WHERE EXISTS (SELECT 1 FROM mailboxes WHERE ext = ?1)"                                                    \
    " ON CONFLICT (ext, idempotency_by, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING"          \
    " RETURNING id),"                                                                                           \
    " c AS (INSERT INTO voicemail_callers (suffix, voicemail_id)"                                              \
    " SELECT substr(?5, k), v.id FROM v, generate_series(1, length(?5)) k),"                                    \
    " j AS (INSERT INTO analysis_jobs (voicemail_id) SELECT id FROM v),"                                        \
    " a AS (INSERT INTO audit (at, actor, remote, action, voicemail_id, ext, detail, organisation)"            \
    " SELECT ?9, ?10, ?11, 'voicemail_received', v.id, ?1, NULL,"                                               \
    " (SELECT m.organisation FROM mailboxes m WHERE m.ext = ?1) FROM v WHERE ?10 IS NOT NULL)"                  \
    " SELECT id, 0 FROM v UNION ALL SELECT o.id, CASE WHEN o.audio_sha256 = ?2 THEN 1 ELSE 2 END"               \
    " FROM voicemails o WHERE ?7 IS NOT NULL AND o.ext = ?1 AND o.idempotency_by = ?8 AND o.idempotency_key = ?7"

/* The items v[todo[0..m)] stored as PG_INSERT says: each item's id, or
 * its duplicate or its refusal in its rc; the audio of those stored that
 * was not copied in before the lock (indexed) is copied now. */
static rv_err pg_insert_batch(rv_store *s, rv_vm_new *v, const size_t *todo, size_t m,
                              const unsigned char *indexed, rv_error *err)
{
    rv_err rc = RV_OK;
    for (size_t k = 0; k < m && rc == RV_OK; k++)
        if (v[todo[k]].actor) rc = rv_audit_writable(err);
    if (rc != RV_OK || !m) return rc;
    rv_sqlv *vals = calloc(m * 11, sizeof *vals);
    long long *rows = calloc(m, sizeof *rows), *cols = calloc(m * 2, sizeof *cols);
    if (!vals || !rows || !cols) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    for (size_t k = 0; rc == RV_OK && k < m; k++) {
        rv_vm_new *x = &v[todo[k]];
        rv_sqlv row[11] = {V_TEXT(x->ext), V_TEXT(x->sha256), V_TEXT(x->content_type), V_INT(x->bytes),
                           V_TEXT(x->caller ? x->caller : ""), V_TEXT(x->received_at), V_TEXT(x->idem_key),
                           V_TEXT(x->idem_key ? (x->actor ? x->actor : "") : NULL), V_TEXT(x->now),
                           V_TEXT(x->actor), V_TEXT(x->remote ? x->remote : "")};
        memcpy(vals + k * 11, row, sizeof row);
    }
    if (rc == RV_OK) rc = rv_pg_batch(s, PG_INSERT, vals, 11, m, rows, cols, 2, "cannot store the voicemail", err);
    for (size_t k = 0; rc == RV_OK && k < m; k++) {
        size_t i = todo[k];
        rv_vm_new *x = &v[i];
        if (!rows[k]) {
            x->rc = rv_error_set(&x->err, RV_ERR_NOT_FOUND, "no mailbox %s", x->ext);
            continue;
        }
        x->id = cols[k * 2];
        if (cols[k * 2 + 1] == 1) {
            x->duplicate = 1;
            continue;
        }
        if (cols[k * 2 + 1] == 2) {
            x->id = 0;
            x->rc = rv_error_set(&x->err, RV_ERR_CONFLICT, "%s", KEY_USED);
            continue;
        }
        if (x->blob && !(indexed && indexed[i]) && rv_audio_index(s, x->blob) != 0)
            rc = rv_sql_error(s, err, "cannot index the audio");
    }
    free(vals);
    free(rows);
    free(cols);
    return rc;
}

/* Before the write lock, the audio of each item the lock's checks will
 * likely store (its mailbox there, its key not used before), the batch's
 * recordings a round trip a group: indexed[i] when copied, indexed[n + i]
 * when the copy is new. */
static rv_err pg_audio_first(rv_store *s, rv_vm_new *v, size_t n, unsigned char *indexed, rv_error *err)
{
    const rv_audio_blob **copy = calloc(n ? n : 1, sizeof *copy);
    size_t *which = calloc(n ? n : 1, sizeof *which);
    unsigned char *mailbox = calloc(n ? n : 1, 1), *fresh = calloc(n ? n : 1, 1); /* 1 none, 2 there */
    size_t m = 0;
    rv_err rc = copy && which && mailbox && fresh ? RV_OK : rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == RV_OK && i < n; i++) {
        rv_vm_new *x = &v[i];
        if (!x->blob || !rv_ext_valid(x->ext) || strcmp(x->blob->sha256, x->sha256) != 0) continue;
        for (size_t j = 0; j < i && !mailbox[i]; j++) /* asked once a mailbox */
            if (mailbox[j] && strcmp(v[j].ext, x->ext) == 0) mailbox[i] = mailbox[j];
        if (!mailbox[i]) {
            int exists = rv_mailbox_exists(s, x->ext);
            if (exists < 0) {
                rc = rv_sql_error(s, err, "cannot read mailboxes");
                break;
            }
            mailbox[i] = exists ? 2 : 1;
        }
        if (mailbox[i] != 2) continue;
        if (x->idem_key) {
            char sha[RV_SHA256_HEX + 1];
            long long old_id;
            rv_error ke;
            rv_err kr = by_key(s, x->ext, x->actor ? x->actor : "", x->idem_key, &old_id, sha, &ke);
            if (kr == RV_OK) continue; /* a duplicate or a conflict */
            if (kr != RV_ERR_NOT_FOUND) {
                rc = rv_error_set(err, kr, "%s", ke.msg);
                break;
            }
        }
        copy[m] = x->blob;
        which[m++] = i;
    }
    if (rc == RV_OK && rv_audio_index_many(s, copy, m, fresh) != 0) rc = rv_sql_error(s, err, "cannot index the audio");
    for (size_t k = 0; rc == RV_OK && k < m; k++) {
        indexed[which[k]] = 1;
        indexed[n + which[k]] = fresh[k];
    }
    free(copy);
    free(which);
    free(mailbox);
    free(fresh);
    return rc;
}

/* The audio pg_audio_first copied in for items the checks under the lock
 * then refused (a key another node used meanwhile), unless a stored item
 * of the batch has the same recording: deleted, so that no recording is
 * kept that no row names. */
static rv_err pg_audio_unused(rv_store *s, rv_vm_new *v, size_t n, const unsigned char *indexed, rv_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!indexed[n + i] || (v[i].rc == RV_OK && !v[i].duplicate)) continue;
        int used = 0;
        for (size_t j = 0; j < n && !used; j++)
            used = v[j].rc == RV_OK && !v[j].duplicate && strcmp(v[j].sha256, v[i].sha256) == 0;
        if (used) continue;
        rv_err rc = rv_sql_exec(s, "DELETE FROM audio_chunks WHERE sha256 = ?1", V_ARGS(V_TEXT(v[i].sha256)),
                                "cannot store the voicemail", err);
        if (rc == RV_OK)
            rc = rv_sql_exec(s, "DELETE FROM audio WHERE sha256 = ?1", V_ARGS(V_TEXT(v[i].sha256)),
                             "cannot store the voicemail", err);
        if (rc != RV_OK) return rc;
    }
    return RV_OK;
}

rv_err rv_store_add_voicemails(rv_store *s, rv_vm_new *v, size_t n, rv_error *err)
{
    rv_sql *ins = NULL;
    rv_err rc = RV_OK;
    int began = 0, own = 0;
    unsigned char *indexed = NULL; /* [i]: its audio copied before the lock; [n + i]: and new */
    size_t *todo = NULL, m = 0;    /* on PostgreSQL, the items whose rows pg_insert_batch writes */
    for (size_t i = 0; i < n; i++) {
        v[i].id = 0;
        v[i].rc = RV_OK;
        v[i].duplicate = 0;
    }
    /* appended audio is made durable before any row can point to it */
    const rv_audio_blob **blobs = calloc(n ? n : 1, sizeof *blobs);
    todo = s->pg ? calloc(n ? n : 1, sizeof *todo) : NULL;
    if (!blobs || (s->pg && !todo)) {
        free(blobs);
        rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) blobs[i] = v[i].blob;
    rc = rv_store_sync_audio(s, blobs, n, err);
    free(blobs);
    if (rc != RV_OK) goto out;
    /* On PostgreSQL the batch's audio, most of its writing, is copied in
     * before the write lock: the audio's primary key is all that keeps
     * those rows right (a recording another transaction is writing waits
     * for it, then counts as stored before), so the nodes copy at once. */
    int early = s->pg && !rv_sql_in_tx(s);
    if (early) {
        indexed = calloc(n ? n : 1, 2);
        if (!indexed) {
            rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
            goto out;
        }
        if ((rc = rv_pg_begin_unlocked(s, err)) != RV_OK) goto out;
        own = began = 1;
        if ((rc = pg_audio_first(s, v, n, indexed, err)) != RV_OK) goto out;
        if ((rc = rv_pg_write_lock(s, err)) != RV_OK) goto out;
    } else {
        if ((rc = rv_sql_tx_begin(s, &own, err)) != RV_OK) goto out;
        began = 1;
    }
    rc = rv_sql_prepare(s, &ins,
                        "INSERT INTO voicemails (ext, audio_sha256, content_type, bytes, caller, received_at,"
                        " idempotency_key, idempotency_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        V_NONE, "cannot store the voicemail", err);
    if (rc != RV_OK) goto out;
    for (size_t i = 0; i < n; i++) {
        rv_vm_new *x = &v[i];
        if (!rv_ext_valid(x->ext)) {
            x->rc = rv_error_set(&x->err, RV_ERR_ARG, "ext must be 1 to 20 digits");
            continue;
        }
        if (!rv_hexn(x->sha256, RV_SHA256_HEX) || (x->blob && strcmp(x->blob->sha256, x->sha256) != 0)) {
            x->rc = rv_error_set(&x->err, RV_ERR_ARG, "not a SHA-256 in hex");
            continue;
        }
        if (s->pg) { /* the mailbox, the key and the rows: pg_insert_batch's, after the loop */
            todo[m++] = i;
            continue;
        }
        int exists = rv_mailbox_exists(s, x->ext);
        if (exists <= 0) {
            if (exists < 0) {
                rc = rv_sql_error(s, err, "cannot read mailboxes");
                goto out;
            }
            x->rc = rv_error_set(&x->err, RV_ERR_NOT_FOUND, "no mailbox %s", x->ext);
            continue;
        }
        if (x->idem_key) { /* sent before by the same sender: that one, nothing new */
            char sha[RV_SHA256_HEX + 1];
            long long old_id = 0;
            rv_error ke;
            rv_err kr = by_key(s, x->ext, x->actor ? x->actor : "", x->idem_key, &old_id, sha, &ke);
            if (kr == RV_OK && strcmp(sha, x->sha256) == 0) {
                x->id = old_id;
                x->duplicate = 1;
                continue;
            }
            if (kr == RV_OK) {
                x->rc = rv_error_set(&x->err, RV_ERR_CONFLICT, "%s", KEY_USED);
                continue;
            }
            if (kr != RV_ERR_NOT_FOUND) {
                rc = rv_error_set(err, kr, "%s", ke.msg);
                goto out;
            }
        }
        rv_sql_rebind(ins, V_ARGS(V_TEXT(x->ext), V_TEXT(x->sha256), V_TEXT(x->content_type), V_INT(x->bytes),
                                  V_TEXT(x->caller ? x->caller : ""), V_TEXT(x->received_at), V_TEXT(x->idem_key),
                                  V_TEXT(x->idem_key ? (x->actor ? x->actor : "") : NULL)));
        if (rv_sql_step(ins, err) != 0) {
            rc = err->code;
            goto out;
        }
        x->id = rv_sql_last_id(s);
        /* each ending of the number, for its search: one statement, not one a digit */
        if (x->caller && *x->caller &&
            (rc = rv_sql_exec(s,
                              "INSERT INTO voicemail_callers (suffix, voicemail_id) WITH RECURSIVE e(suffix) AS"
                              " (SELECT ?1 UNION ALL SELECT substr(suffix, 2) FROM e WHERE length(suffix) > 1)"
                              " SELECT suffix, ?2 FROM e",
                              V_ARGS(V_TEXT(x->caller), V_INT(x->id)), "cannot store the voicemail", err)) != RV_OK)
            goto out;
        if ((rc = rv_sql_exec(s, "INSERT INTO analysis_jobs (voicemail_id) VALUES (?1)", V_ARGS(V_INT(x->id)),
                              "cannot queue the voicemail", err)) != RV_OK)
            goto out;
        if (x->blob && rv_audio_index(s, x->blob) != 0) {
            rc = rv_sql_error(s, err, "cannot index the audio");
            goto out;
        }
        if (x->actor &&
            (rc = rv_store_audit(s, x->now, x->actor, x->remote, "voicemail_received", x->id, x->ext, NULL, err)) != RV_OK)
            goto out;
    }
    if (s->pg && (rc = pg_insert_batch(s, v, todo, m, indexed, err)) != RV_OK) goto out;
    if (indexed) rc = pg_audio_unused(s, v, n, indexed, err);
out:
    free(indexed);
    free(todo);
    rv_sql_done(ins);
    if (began) rc = rv_sql_tx_end(s, own, rc, err);
    if (rc != RV_OK) {
        for (size_t i = 0; i < n; i++) {
            v[i].id = 0;
            v[i].rc = rc;
            v[i].err = *err;
        }
    }
    /* staged audio of items not stored (or stored before) is nobody's; not
     * when the database was busy: the caller sends the same items again */
    for (size_t i = 0; i < n; i++)
        if (((v[i].rc != RV_OK && v[i].rc != RV_ERR_BUSY) || v[i].duplicate) && v[i].blob)
            rv_audio_release(s, v[i].blob);
    return rc;
}

rv_err rv_store_add_voicemail(rv_store *s, const char *ext, const char *sha256, const char *content_type,
                              size_t bytes, const char *caller, const char *received_at, long long *id,
                              rv_error *err)
{
    rv_vm_new v = {.ext = ext, .sha256 = sha256, .content_type = content_type, .bytes = bytes, .caller = caller,
                   .received_at = received_at};
    rv_err rc = rv_store_add_voicemails(s, &v, 1, err);
    if (rc == RV_OK && v.rc != RV_OK) {
        *err = v.err;
        rc = v.rc;
    }
    *id = v.id;
    return rc;
}

long long rv_store_count_queued(rv_store *s)
{
    return rv_sql_int1(s, "SELECT count(*) FROM analysis_jobs", V_NONE);
}

rv_err rv_store_requeue_interrupted(rv_store *s, rv_error *err)
{
    /* from before the jobs: a voicemail left 'analysing' is queued */
    return rv_sql_exec(s, "UPDATE voicemails SET state = 'queued' WHERE state = 'analysing'", V_NONE,
                       "cannot requeue interrupted analyses", err);
}

rv_err rv_store_finish_voicemail(rv_store *s, long long id, const char *state, const char *classification,
                                 const char *report, const char *now_iso, rv_error *err)
{
    rv_err rc = rv_sql_exec(s, "DELETE FROM analysis_jobs WHERE voicemail_id = ?1", V_ARGS(V_INT(id)),
                            "cannot write", err);
    if (rc != RV_OK) return rc;
    return rv_sql_exec(s,
                       "UPDATE voicemails SET state = ?2, classification = ?3, report = ?4, analysed_at = ?5"
                       " WHERE id = ?1",
                       V_ARGS(V_INT(id), V_TEXT(state), V_TEXT(classification), V_TEXT(report), V_TEXT(now_iso)),
                       "cannot write", err);
}

rv_err rv_store_finish_voicemails(rv_store *s, rv_vm_done *d, size_t n, rv_error *err)
{
    int own;
    rv_err rc = rv_sql_tx_begin(s, &own, err);
    if (rc != RV_OK) return rc;
    for (size_t i = 0; i < n; i++) d[i].recorded = 0;
    for (size_t i = 0; i < n && rc == RV_OK; i++) {
        if (d[i].claimed_by) { /* still ours? then it is off the queue */
            rc = rv_sql_exec(s, "DELETE FROM analysis_jobs WHERE voicemail_id = ?1 AND claimed_by = ?2",
                             V_ARGS(V_INT(d[i].id), V_TEXT(d[i].claimed_by)), "cannot record an analysis", err);
            if (rc != RV_OK || rv_sql_changes(s) == 0) continue;
        }
        rc = rv_store_finish_voicemail(s, d[i].id, d[i].state, d[i].classification, d[i].report, d[i].now_iso, err);
        d[i].recorded = rc == RV_OK;
    }
    rc = rv_sql_tx_end(s, own, rc, err);
    if (rc != RV_OK)
        for (size_t i = 0; i < n; i++) d[i].recorded = 0;
    return rc;
}

/* A voicemail's decisions, oldest first. */
static rv_err decisions_of(rv_store *s, long long id, rv_vm_detail *v, rv_error *err)
{
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT decision, diarienummer, note, actor, decided_at, arendemening, sekretess,"
                               " ground, gallringsbeslut, reason, previous, migrated_from FROM decisions"
                               " WHERE voicemail_id = ?1 ORDER BY id",
                               V_ARGS(V_INT(id)), "cannot read decisions", err);
    if (rc != RV_OK) return rc;
    size_t cap = 0;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) {
        rv_vm_decision *nv = v->n_decisions < cap ? v->decisions : rv_grow(v->decisions, &cap, sizeof *nv);
        if (!nv) break;
        v->decisions = nv;
        rv_vm_decision *d = &nv[v->n_decisions];
        if (rv_sql_texts(q, &d->texts,
                         COLS({0, &d->decision}, {1, &d->diarienummer}, {2, &d->note}, {3, &d->actor},
                              {4, &d->decided_at}, {5, &d->arendemening}, {6, &d->sekretess}, {7, &d->ground},
                              {8, &d->gallringsbeslut}, {9, &d->reason}, {10, &d->previous},
                              {11, &d->migrated_from})) != 0)
            break;
        v->n_decisions++;
    }
    rv_sql_done(q);
    return r == 0 ? RV_OK : r < 0 ? err->code : rv_error_set(err, RV_ERR_NOMEM, "out of memory");
}

/* A voicemail's events (the hand-over to the e-archive), oldest first. */
static rv_err events_of(rv_store *s, long long id, rv_vm_detail *v, rv_error *err)
{
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT event, at, actor, detail FROM voicemail_events WHERE voicemail_id = ?1"
                               " ORDER BY id",
                               V_ARGS(V_INT(id)), "cannot read events", err);
    if (rc != RV_OK) return rc;
    size_t cap = 0;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) {
        rv_vm_event *nv = v->n_events < cap ? v->events : rv_grow(v->events, &cap, sizeof *nv);
        if (!nv) break;
        v->events = nv;
        rv_vm_event *ev = &nv[v->n_events];
        if (rv_sql_texts(q, &ev->texts, COLS({0, &ev->event}, {1, &ev->at}, {2, &ev->actor}, {3, &ev->detail})) != 0)
            break;
        v->n_events++;
    }
    rv_sql_done(q);
    return r == 0 ? RV_OK : r < 0 ? err->code : rv_error_set(err, RV_ERR_NOMEM, "out of memory");
}

rv_err rv_store_get_voicemail(rv_store *s, long long id, rv_vm_detail *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT v.id, v.ext, v.caller, v.received_at, v.content_type, v.bytes, v.state,"
                               " v.classification, v.report, m.first_name, m.last_name, m.unit, m.org, m.profile,"
                               " v.callback_at, v.objid, v.packaged_at, v.archived_at, v.archive_ref,"
                               " (SELECT o.calendar FROM organisations o WHERE o.id = m.organisation), m.organisation,"
                               " v.disposed_at"
                               " FROM voicemails v JOIN mailboxes m ON m.ext = v.ext WHERE v.id = ?1",
                               V_ARGS(V_INT(id)), "cannot read voicemails", err);
    if (rc != RV_OK) return rc;
    int r = rv_sql_step(q, err);
    if (r == 1) {
        out->id = rv_sql_int(q, 0);
        out->bytes = rv_sql_int(q, 5);
        if (rv_sql_texts(q, &out->texts,
                         COLS({1, &out->ext}, {2, &out->caller}, {3, &out->received_at}, {4, &out->content_type},
                              {6, &out->state}, {7, &out->classification}, {8, &out->report},
                              {9, &out->first_name}, {10, &out->last_name}, {11, &out->unit}, {12, &out->org},
                              {13, &out->profile}, {14, &out->callback_at}, {15, &out->objid},
                              {16, &out->packaged_at}, {17, &out->archived_at}, {18, &out->archive_ref},
                              {19, &out->calendar}, {20, &out->organisation}, {21, &out->disposed_at})) != 0)
            rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    } else rc = r == 0 ? rv_error_set(err, RV_ERR_NOT_FOUND, "no voicemail %lld", id) : err->code;
    rv_sql_done(q);
    if (rc == RV_OK) rc = decisions_of(s, id, out, err);
    if (rc == RV_OK) rc = events_of(s, id, out, err);
    if (rc != RV_OK) rv_vm_detail_free(out);
    return rc;
}

void rv_vm_detail_free(rv_vm_detail *v)
{
    if (!v) return;
    for (size_t i = 0; i < v->n_decisions; i++) free(v->decisions[i].texts);
    for (size_t i = 0; i < v->n_events; i++) free(v->events[i].texts);
    free(v->decisions);
    free(v->events);
    free(v->texts);
    memset(v, 0, sizeof *v);
}

rv_err rv_store_set_callback(rv_store *s, long long id, const char *now_iso, rv_error *err)
{
    rv_err rc = rv_sql_exec(s, "UPDATE voicemails SET callback_at = ?2 WHERE id = ?1", V_ARGS(V_INT(id), V_TEXT(now_iso)),
                            "cannot write", err);
    if (rc == RV_OK && rv_sql_changes(s) == 0) rc = rv_error_set(err, RV_ERR_NOT_FOUND, "no voicemail %lld", id);
    return rc;
}

rv_err rv_store_add_decision(rv_store *s, long long voicemail_id, const rv_decision_record *d, const char *actor,
                             const char *now_iso, long long *decision_id, rv_error *err)
{
    *decision_id = 0;
    static const char *const known[] = {"registrera", "halls_ordnad", "gallras", "privat"};
    size_t k = 0;
    while (k < 4 && (!d->decision || strcmp(d->decision, known[k]))) k++;
    if (k == 4) return rv_error_set(err, RV_ERR_ARG, "decision must be registrera, halls_ordnad, gallras or privat");
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q, "SELECT 1 FROM voicemails WHERE id = ?1", V_ARGS(V_INT(voicemail_id)),
                               "cannot read voicemails", err);
    if (rc != RV_OK) return rc;
    int exists = rv_sql_step(q, NULL) == 1;
    rv_sql_done(q);
    if (!exists) return rv_error_set(err, RV_ERR_NOT_FOUND, "no voicemail %lld", voicemail_id);
    rc = rv_sql_exec(s,
                     "INSERT INTO decisions (voicemail_id, decision, diarienummer, note, actor, decided_at,"
                     " arendemening, sekretess, ground, gallringsbeslut, reason, previous)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                     V_ARGS(V_INT(voicemail_id), V_TEXT(d->decision), V_TEXT(d->diarienummer), V_TEXT(d->note),
                            V_TEXT(actor), V_TEXT(now_iso), V_TEXT(d->arendemening), V_TEXT(d->sekretess),
                            V_TEXT(d->ground), V_TEXT(d->gallringsbeslut), V_TEXT(d->reason), V_TEXT(d->previous)),
                     "cannot write", err);
    if (rc == RV_OK) *decision_id = rv_sql_last_id(s);
    return rc;
}

rv_err rv_store_decision_standing(rv_store *s, long long voicemail_id, rv_decision_standing *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT (SELECT d.decision FROM decisions d WHERE d.voicemail_id = v.id"
                               " ORDER BY d.id DESC LIMIT 1), v.packaged_at IS NOT NULL OR v.archived_at IS NOT NULL,"
                               " v.disposed_at IS NOT NULL, m.profile"
                               " FROM voicemails v JOIN mailboxes m ON m.ext = v.ext WHERE v.id = ?1",
                               V_ARGS(V_INT(voicemail_id)), "cannot read voicemails", err);
    if (rc != RV_OK) return rc;
    int r = rv_sql_step(q, err);
    if (r == 1) {
        rv_sql_copy(q, 0, out->decision, sizeof out->decision);
        out->handed_over = (int)rv_sql_int(q, 1);
        out->disposed = (int)rv_sql_int(q, 2);
        rv_sql_copy(q, 3, out->profile, sizeof out->profile);
    } else rc = r == 0 ? rv_error_set(err, RV_ERR_NOT_FOUND, "no voicemail %lld", voicemail_id) : err->code;
    rv_sql_done(q);
    return rc;
}

rv_err rv_store_voicemail_audio(rv_store *s, long long id, char sha256[RV_SHA256_HEX + 1], char *content_type,
                                size_t ct_cap, int *disposed, rv_error *err)
{
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q, "SELECT audio_sha256, content_type, disposed_at FROM voicemails WHERE id = ?1",
                               V_ARGS(V_INT(id)), "cannot read voicemails", err);
    if (rc != RV_OK) return rc;
    int r = rv_sql_step(q, err);
    if (r == 1) {
        rv_sql_copy(q, 0, sha256, RV_SHA256_HEX + 1);
        rv_sql_copy(q, 1, content_type, ct_cap);
        *disposed = !rv_sql_null(q, 2);
    } else rc = r == 0 ? rv_error_set(err, RV_ERR_NOT_FOUND, "no voicemail %lld", id) : err->code;
    rv_sql_done(q);
    return rc;
}

/* ---- the inbox: the voicemail list ---- */

/* The list's filters, each a condition on ?1 to ?11 (rv_vm_query; the
 * cursors ?10 and ?11). Only those set are in a statement, so that SQLite
 * can take the index that fits (an undecided voicemail's decision IS NULL,
 * one nobody listened to the partial index voicemails_new): one statement
 * text for each combination, made once and kept. v.decision and
 * v.listened_at are kept by triggers (migration 16). Voicemails not
 * classified (queued, being analysed, or whose analysis failed) stay under
 * any classification: one may be a possible public record. */
enum {
    F_CLASS, F_UNDECIDED, F_DECIDED, F_DECISION, F_EXT, F_UNIT, F_FROM, F_TO, F_CALLER, F_Q, F_NEW, F_HEARD,
    F_AFTER, F_BEFORE, F_SCOPE, N_FILTERS
};
static const char *const vm_conds[N_FILTERS] = {
    "(v.classification = ?1 OR (v.classification IS NULL AND v.state != 'analysed'))",
    "v.decision IS NULL",
    "v.decision IS NOT NULL",
    "v.decision = ?2",
    "v.ext = ?3",
    "v.ext IN (SELECT ext FROM mailboxes WHERE rv_unit_key(unit) = rv_unit_key(?4))",
    "v.received_at >= ?5",
    "v.received_at < ?6",
    /* an ending of the number begins with it ([?7, ?15)); the national form
     * (0...) also finds the number written +46... ([?16, ?17)) */
    "v.id IN (SELECT c.voicemail_id FROM voicemail_callers c WHERE (c.suffix >= ?7 AND c.suffix < ?15)"
    " OR (c.suffix >= ?16 AND c.suffix < ?17))",
    "v.ext IN (SELECT ext FROM mailboxes WHERE instr(ext, ?8) = 1"
    " OR instr(rv_unit_key(first_name || ' ' || last_name), rv_unit_key(?8)) > 0)",
    "v.listened_at IS NULL",
    "v.listened_at IS NOT NULL",
    /* a cursor the caller may not see is one that is not there: nothing
     * of another organisation's voicemail (that it is, when it came) shows */
    "(v.received_at, v.id) < (SELECT cv.received_at, cv.id FROM voicemails cv JOIN mailboxes sm ON sm.ext = cv.ext"
    " WHERE cv.id = ?10 AND " SCOPE_SQL("sm", "13", "14", "18") ")",
    "(v.received_at, v.id) > (SELECT cv.received_at, cv.id FROM voicemails cv JOIN mailboxes sm ON sm.ext = cv.ext"
    " WHERE cv.id = ?11 AND " SCOPE_SQL("sm", "13", "14", "18") ")",
    /* whose voicemails the caller may see */
    "v.ext IN (SELECT sm.ext FROM mailboxes sm WHERE " SCOPE_SQL("sm", "13", "14", "18") ")",
};
#define VM_COLS                                                                                                  \
    "SELECT v.id, v.ext, v.caller, v.received_at, v.content_type, v.bytes, v.state, v.classification, v.decision," \
    " m.first_name || ' ' || m.last_name, m.unit, json_extract(v.report, '$.duration_s'),"                       \
    " json_extract(v.report, '$.reasons'), v.callback_at, v.listened_at, m.profile,"                              \
    " (SELECT o.calendar FROM organisations o WHERE o.id = m.organisation), v.disposed_at"                        \
    " FROM voicemails v JOIN mailboxes m ON m.ext = v.ext"

/* How a statement reads: a page older than the cursor (newest first), newer
 * (oldest first), or the count. */
enum { VM_OLDER, VM_NEWER, VM_COUNT };

/* The conditions of vq (cursors after and before) as a bit set. */
static unsigned vm_mask(const rv_vm_query *vq, long long after, long long before)
{
    unsigned m = 0;
    if (vq->classification) m |= 1u << F_CLASS;
    if (vq->decision)
        m |= 1u << (!strcmp(vq->decision, "none") ? F_UNDECIDED : !strcmp(vq->decision, "any") ? F_DECIDED : F_DECISION);
    if (vq->ext) m |= 1u << F_EXT;
    if (vq->unit) m |= 1u << F_UNIT;
    if (vq->from) m |= 1u << F_FROM;
    if (vq->to) m |= 1u << F_TO;
    if (vq->caller) m |= 1u << F_CALLER;
    if (vq->q) m |= 1u << F_Q;
    if (vq->listened == 0) m |= 1u << F_NEW;
    if (vq->listened == 1) m |= 1u << F_HEARD;
    if (after) m |= 1u << F_AFTER;
    if (before) m |= 1u << F_BEFORE;
    if ((vq->scope.orgs && *vq->scope.orgs) || vq->scope.manager) m |= 1u << F_SCOPE;
    return m;
}

/* The statement text for mask and how: made on first use and kept for the
 * process's life (a kept statement is found by its text's address); NULL
 * out of memory. Thread-safe. */
static const char *vm_sql(unsigned mask, int how)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static char *made[3][1u << N_FILTERS];
    pthread_mutex_lock(&lock);
    char *sql = made[how][mask];
    if (!sql) {
        rv_strbuf b = {0};
        rv_strbuf_put(&b, "%s", how == VM_COUNT ? "SELECT count(*) FROM voicemails v" : VM_COLS);
        const char *join = " WHERE ";
        for (int f = 0; f < N_FILTERS; f++)
            if (mask & (1u << f)) {
                rv_strbuf_put(&b, "%s%s", join, vm_conds[f]);
                join = " AND ";
            }
        if (how == VM_OLDER) rv_strbuf_put(&b, " ORDER BY v.received_at DESC, v.id DESC LIMIT ?12");
        if (how == VM_NEWER) rv_strbuf_put(&b, " ORDER BY v.received_at ASC, v.id ASC LIMIT ?12");
        if (b.oom) free(b.s);
        else made[how][mask] = sql = b.s;
    }
    pthread_mutex_unlock(&lock);
    return sql;
}

/* The row of VM_COLS into *v; 0, or -1 out of memory. */
static int vm_item(rv_sql *q, rv_vm_item *v)
{
    memset(v, 0, sizeof *v);
    v->id = rv_sql_int(q, 0);
    v->bytes = rv_sql_int(q, 5);
    v->has_duration = !rv_sql_null(q, 11);
    if (v->has_duration) v->duration_s = rv_sql_real(q, 11);
    return rv_sql_texts(q, &v->texts,
                        COLS({1, &v->ext}, {2, &v->caller}, {3, &v->received_at}, {4, &v->content_type},
                             {6, &v->state}, {7, &v->classification}, {8, &v->decision}, {9, &v->name},
                             {10, &v->unit}, {12, &v->reasons}, {13, &v->callback_at}, {14, &v->listened_at},
                             {15, &v->profile}, {16, &v->calendar}, {17, &v->disposed_at}));
}

/* The caller filter's ranges of endings: [q, *hi) and, for a national
 * number (0 but not 00 first), the +46 form's [*nat, *nat_hi) (else "":
 * bound as NULL, a range of nothing). */
static void caller_ranges(const char *q, char hi[40], char nat[40], char nat_hi[40])
{
    hi[0] = nat[0] = nat_hi[0] = '\0';
    if (!q || !*q || strlen(q) > 32) return;
    size_t n = (size_t)snprintf(hi, 40, "%s", q);
    hi[n - 1]++; /* '9' + 1 is ':', '+' + 1 is ',': above every digit, at that place */
    if (q[0] == '0' && q[1] != '0') {
        n = (size_t)snprintf(nat, 40, "+46%s", q + 1);
        memcpy(nat_hi, nat, n + 1);
        nat_hi[n - 1]++;
    }
}

/* Up to limit items of vq's filters older than after or newer than before
 * (how: VM_OLDER or VM_NEWER), appended to pg's items (pg NULL: only
 * counted); *got: how many there were. VM_COUNT: *got is the count. */
static rv_err vm_rows(rv_store *s, int how, const rv_vm_query *vq, long long after, long long before, int limit,
                      rv_vm_page *pg, long long *got, rv_error *err)
{
    *got = 0;
    const char *sql = vm_sql(vm_mask(vq, after, before), how);
    if (!sql) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    char hi[40], nat[40], nat_hi[40];
    caller_ranges(vq->caller, hi, nat, nat_hi);
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q, sql,
                               V_ARGS(V_TEXT(vq->classification), V_TEXT(vq->decision), V_TEXT(vq->ext),
                                      V_TEXT(vq->unit), V_TEXT(vq->from), V_TEXT(vq->to), V_TEXT(vq->caller),
                                      V_TEXT(vq->q), V_INT(vq->listened), V_INT(after), V_INT(before), V_INT(limit),
                                      V_TEXT(vq->scope.orgs), V_TEXT(vq->scope.manager), V_TEXT(hi[0] ? hi : NULL),
                                      V_TEXT(nat[0] ? nat : NULL), V_TEXT(nat_hi[0] ? nat_hi : NULL), V_TEXT(vq->scope.units)),
                               how == VM_COUNT ? "cannot count voicemails" : "cannot list voicemails", err);
    if (rc != RV_OK) return rc;
    int r;
    size_t cap = pg ? pg->n : 0;
    while ((r = rv_sql_step(q, err)) == 1) {
        if (how == VM_COUNT) {
            *got = rv_sql_int(q, 0);
            continue;
        }
        if (pg) {
            rv_vm_item *nv = pg->n < cap ? pg->items : rv_grow(pg->items, &cap, sizeof *nv);
            if (!nv || vm_item(q, &nv[pg->n]) != 0) {
                if (nv) pg->items = nv;
                rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
                break;
            }
            pg->items = nv;
            pg->n++;
        }
        (*got)++;
    }
    if (rc == RV_OK && r < 0) rc = err->code;
    rv_sql_done(q);
    return rc;
}

rv_err rv_store_list_voicemails(rv_store *s, const rv_vm_query *vq, int count, rv_vm_page *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    int limit = vq->limit > 0 && vq->limit <= 500 ? vq->limit : 50;
    int newer = vq->before_id > 0 && vq->after_id == 0, more = 0;
    long long got = 0;
    rv_vm_page pg = {.total = -1};
    rv_err rc = vm_rows(s, newer ? VM_NEWER : VM_OLDER, vq, newer ? 0 : vq->after_id, newer ? vq->before_id : 0,
                        limit + 1, &pg, &got, err);
    if (rc == RV_OK && got > limit) {
        more = 1;
        while (pg.n > (size_t)limit) free(pg.items[--pg.n].texts);
    }
    if (rc == RV_OK && newer) /* newest first, as every page */
        for (size_t i = 0; i < pg.n / 2; i++) {
            rv_vm_item x = pg.items[i];
            pg.items[i] = pg.items[pg.n - 1 - i];
            pg.items[pg.n - 1 - i] = x;
        }
    size_t n = pg.n;
    long long first = n ? pg.items[0].id : 0, last = n ? pg.items[n - 1].id : 0;
    /* whether there is a page on the other side of this one */
    long long other = 0;
    if (rc == RV_OK && n && (newer || vq->after_id))
        rc = vm_rows(s, newer ? VM_OLDER : VM_NEWER, vq, newer ? last : 0, newer ? 0 : first, 1, NULL, &other, err);
    pg.more_older = newer ? other > 0 : more;
    pg.more_newer = newer ? more : other > 0;
    if (rc == RV_OK && count) rc = vm_rows(s, VM_COUNT, vq, 0, 0, 0, NULL, &pg.total, err);
    if (rc != RV_OK) {
        rv_vm_page_free(&pg);
        return rc;
    }
    *out = pg;
    return RV_OK;
}

void rv_vm_page_free(rv_vm_page *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) free(p->items[i].texts);
    free(p->items);
    memset(p, 0, sizeof *p);
}

/* ---- hand-over to the e-archive ---- */

rv_err rv_store_archive_info(rv_store *s, long long id, rv_vm_archive *v, rv_error *err)
{
    memset(v, 0, sizeof *v);
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT v.id, v.ext, v.caller, v.received_at, v.content_type, v.bytes, v.audio_sha256,"
                               " v.classification, v.report, v.analysed_at, v.callback_at, v.disposed_at, v.objid,"
                               " v.packaged_at, v.archived_at, v.archive_ref, m.first_name, m.last_name, m.unit, m.org,"
                               " m.profile, d.decision, d.diarienummer, d.note, d.actor, d.decided_at,"
                               " (SELECT a.actor FROM audit a WHERE a.voicemail_id = v.id AND a.action = 'voicemail_received'"
                               "  ORDER BY a.id LIMIT 1), d.arendemening, d.sekretess"
                               " FROM voicemails v JOIN mailboxes m ON m.ext = v.ext"
                               " LEFT JOIN decisions d ON d.id = (SELECT max(id) FROM decisions WHERE voicemail_id = v.id)"
                               " WHERE v.id = ?1",
                               V_ARGS(V_INT(id)), "cannot read voicemails", err);
    if (rc != RV_OK) return rc;
    int r = rv_sql_step(q, err);
    if (r == 1) {
        v->id = rv_sql_int(q, 0);
        rv_sql_copy(q, 1, v->ext, sizeof v->ext);
        rv_sql_copy(q, 2, v->caller, sizeof v->caller);
        rv_sql_copy(q, 3, v->received_at, sizeof v->received_at);
        rv_sql_copy(q, 4, v->content_type, sizeof v->content_type);
        v->bytes = rv_sql_int(q, 5);
        rv_sql_copy(q, 6, v->sha256, sizeof v->sha256);
        rv_sql_copy(q, 7, v->classification, sizeof v->classification);
        const char *rep = rv_sql_text(q, 8);
        v->report = rep ? strdup(rep) : NULL;
        rv_sql_copy(q, 9, v->analysed_at, sizeof v->analysed_at);
        rv_sql_copy(q, 10, v->callback_at, sizeof v->callback_at);
        v->disposed = !rv_sql_null(q, 11);
        rv_sql_copy(q, 12, v->objid, sizeof v->objid);
        rv_sql_copy(q, 13, v->packaged_at, sizeof v->packaged_at);
        rv_sql_copy(q, 14, v->archived_at, sizeof v->archived_at);
        rv_sql_copy(q, 15, v->archive_ref, sizeof v->archive_ref);
        rv_sql_copy(q, 16, v->first_name, sizeof v->first_name);
        rv_sql_copy(q, 17, v->last_name, sizeof v->last_name);
        rv_sql_copy(q, 18, v->unit, sizeof v->unit);
        rv_sql_copy(q, 19, v->org, sizeof v->org);
        rv_sql_copy(q, 20, v->profile, sizeof v->profile);
        rv_sql_copy(q, 21, v->decision, sizeof v->decision);
        rv_sql_copy(q, 22, v->diarienummer, sizeof v->diarienummer);
        rv_sql_copy(q, 23, v->decision_note, sizeof v->decision_note);
        rv_sql_copy(q, 24, v->decided_by, sizeof v->decided_by);
        rv_sql_copy(q, 25, v->decided_at, sizeof v->decided_at);
        rv_sql_copy(q, 26, v->received_by, sizeof v->received_by);
        rv_sql_copy(q, 27, v->arendemening, sizeof v->arendemening);
        rv_sql_copy(q, 28, v->sekretess, sizeof v->sekretess);
    } else rc = r == 0 ? rv_error_set(err, RV_ERR_NOT_FOUND, "no voicemail %lld", id) : err->code;
    rv_sql_done(q);
    if (rc == RV_OK) rc = rv_archive_creator(s, v, err); /* its own authority's name in the package */
    return rc;
}

void rv_vm_archive_free(rv_vm_archive *v)
{
    free(v->report);
    v->report = NULL;
}

rv_err rv_store_registered_between(rv_store *s, const char *from, const char *to, long long **ids, size_t *n,
                                   rv_error *err)
{
    *ids = NULL;
    *n = 0;
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT v.id FROM voicemails v JOIN decisions d"
                               " ON d.id = (SELECT max(id) FROM decisions WHERE voicemail_id = v.id)"
                               " WHERE d.decision = 'registrera' AND d.decided_at >= ?1 AND d.decided_at < ?2"
                               " ORDER BY v.id",
                               V_ARGS(V_TEXT(from), V_TEXT(to)), "cannot read decisions", err);
    if (rc != RV_OK) return rc;
    size_t cap = 0;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            long long *nx = realloc(*ids, cap * sizeof *nx);
            if (!nx) {
                rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
                break;
            }
            *ids = nx;
        }
        (*ids)[(*n)++] = rv_sql_int(q, 0);
    }
    if (rc == RV_OK && r != 0) rc = err->code;
    rv_sql_done(q);
    if (rc != RV_OK) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return rc;
}

static rv_err add_event(rv_store *s, long long id, const char *event, const char *at, const char *actor,
                        const char *detail, rv_error *err)
{
    return rv_sql_exec(s, "INSERT INTO voicemail_events (voicemail_id, event, at, actor, detail) VALUES (?1,?2,?3,?4,?5)",
                       V_ARGS(V_INT(id), V_TEXT(event), V_TEXT(at), V_TEXT(actor), V_TEXT(detail)),
                       "cannot write events", err);
}

rv_err rv_store_mark_packaged(rv_store *s, long long id, const char *objid, const char *now_iso, const char *actor,
                              const char *remote, rv_error *err)
{
    rv_err rc = rv_store_begin(s, err);
    if (rc != RV_OK) return rc;
    rc = rv_sql_exec(s,
                     "UPDATE voicemails SET objid = coalesce(objid, ?2), packaged_at = coalesce(packaged_at, ?3)"
                     " WHERE id = ?1",
                     V_ARGS(V_INT(id), V_TEXT(objid), V_TEXT(now_iso)), "cannot write", err);
    if (rc == RV_OK) rc = add_event(s, id, "packaged", now_iso, actor, objid, err);
    if (rc == RV_OK) rc = rv_store_audit(s, now_iso, actor, remote, "voicemail_packaged", id, NULL, objid, err);
    return rv_store_end(s, rc, err);
}

rv_err rv_store_mark_archived(rv_store *s, long long id, const char *reference, const char *now_iso,
                              const char *actor, const char *remote, rv_error *err)
{
    rv_vm_archive v;
    rv_err rc = rv_store_archive_info(s, id, &v, err);
    rv_vm_archive_free(&v);
    if (rc != RV_OK) return rc;
    if (strcmp(v.decision, "registrera") != 0)
        return rv_error_set(err, RV_ERR_CONFLICT,
                            "voicemail %lld is not registrera; only registered voicemails are archived", id);
    if (!v.packaged_at[0])
        return rv_error_set(err, RV_ERR_CONFLICT, "voicemail %lld has not been packaged (POST its package first)", id);
    rc = rv_store_begin(s, err);
    if (rc != RV_OK) return rc;
    rc = rv_sql_exec(s, "UPDATE voicemails SET archive_ref = ?2, archived_at = ?3 WHERE id = ?1",
                     V_ARGS(V_INT(id), V_TEXT(reference), V_TEXT(now_iso)), "cannot write", err);
    if (rc == RV_OK) rc = add_event(s, id, "archived", now_iso, actor, reference, err);
    if (rc == RV_OK) rc = rv_store_audit(s, now_iso, actor, remote, "voicemail_archived", id, NULL, reference, err);
    return rv_store_end(s, rc, err);
}

/* ---- disposal ---- */

rv_err rv_store_dispose(rv_store *s, rv_disposal *d, size_t n, const char *actor, const char *now_iso,
                        rv_error *err)
{
    rv_sql *mark = NULL, *refs = NULL;
    rv_err rc = RV_OK;
    for (size_t i = 0; i < n; i++) {
        d[i].done = 0;
        d[i].erase_rc = RV_OK;
    }
    rv_audio_loc *gone = calloc(n ? n : 1, sizeof *gone); /* audio to erase after the commit */
    size_t *owner = calloc(n ? n : 1, sizeof *owner);
    long long *record = calloc(n ? n : 1, sizeof *record); /* its erasure's record */
    size_t n_gone = 0;
    if (!gone || !owner || !record) {
        free(gone);
        free(owner);
        free(record);
        return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    if ((rc = rv_store_begin(s, err)) != RV_OK) {
        free(gone);
        free(owner);
        free(record);
        return rc;
    }
    if ((rc = rv_sql_prepare(s, &mark, "UPDATE voicemails SET disposed_at = ?1 WHERE id = ?2 AND disposed_at IS NULL",
                             V_NONE, "cannot mark a voicemail disposed of", err)) != RV_OK ||
        (rc = rv_sql_prepare(s, &refs,
                             "SELECT (SELECT count(*) FROM voicemails WHERE audio_sha256 = ?1 AND disposed_at IS NULL)"
                             " + (SELECT count(*) FROM greetings WHERE audio_sha256 = ?1)"
                             " + (SELECT count(*) FROM mailboxes WHERE name_audio_sha256 = ?1)",
                             V_NONE, "cannot count references", err)) != RV_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        rv_sql_rebind(mark, V_ARGS(V_TEXT(now_iso), V_INT(d[i].id)));
        if (rv_sql_step(mark, err) != 0) {
            rc = err->code;
            goto out;
        }
        if (rv_sql_changes(s) == 0) continue; /* someone else did */
        if ((rc = rv_store_audit(s, now_iso, actor, "", "disposed", d[i].id, d[i].ext, d[i].detail, err)) != RV_OK)
            goto out;
        d[i].done = 1;
        rv_sql_rebind(refs, V_ARGS(V_TEXT(d[i].sha256)));
        if (rv_sql_step(refs, err) != 1) {
            rc = rv_sql_error(s, err, "cannot count references");
            goto out;
        }
        if (rv_sql_int(refs, 0) > 0) continue; /* the same bytes are still someone's */
        rv_error pe;
        rv_err fr = rv_store_forget_audio(s, d[i].sha256, &gone[n_gone], &pe);
        if (fr == RV_OK) {
            /* what is to be erased is written down with the disposal */
            if ((rc = rv_audio_record_erasure(s, &gone[n_gone], &record[n_gone], err)) != RV_OK) goto out;
            owner[n_gone++] = i;
        } else if (fr != RV_ERR_NOT_FOUND && fr != RV_ERR_ARG) {
            rc = fr;
            *err = pe;
            goto out;
        }
    }
out:
    rv_sql_done(mark);
    rv_sql_done(refs);
    rc = rv_store_end(s, rc, err);
    if (rc != RV_OK) {
        for (size_t i = 0; i < n; i++) d[i].done = 0;
        n_gone = 0;
    }
    /* the bytes go once nothing points to them any more: an upload of the
     * same bytes committed from now on indexes a copy of its own. A record
     * is dropped only once its bytes are erased and synced; one left (a
     * crash, an error) is finished at the next start or sweep
     * (rv_store_finish_erasures). */
    size_t n_done = 0;
    for (size_t i = 0; i < n_gone; i++) {
        rv_disposal *x = &d[owner[i]];
        x->erase_rc = rv_audio_erase_recorded(s, &gone[i], &x->erase_err);
        if (x->erase_rc == RV_OK) record[n_done++] = record[i];
    }
    rv_error de;
    rv_err_ignore(rv_audio_drop_erasures(s, record, n_done, &de)); /* kept records are erased again: no harm */
    free(gone);
    free(owner);
    free(record);
    return rc;
}
