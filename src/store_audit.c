/* The store's audit table: who did what, from where, when. Every row is
 * written by rv_store_audit, in the caller's transaction when one is open;
 * the HTTP layer decides what is audited. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const rv_audit_actions[] = {
    /* reads */
    "mailbox_read", "mailboxes_listed", "greeting_read", "greetings_listed", "greeting_audio_read", "review_listed",
    "voicemail_read", "voicemails_listed", "audio_read", "units_listed", "sweep_read", "sweeps_listed",
    /* changes */
    "mailbox_created", "mailbox_updated", "greeting_received", "greeting_removed", "name_recording_received",
    "voicemail_received", "callback", "decision", "greeting_reviewed", "voicemail_packaged", "voicemail_archived",
    "voicemail_handed_over",
    "unit_created", "unit_updated", "sweep_run", "sweep_done", "disposed", "sign_in", "sign_in_refused", "sign_out",
    "organisation_created", "organisation_updated", "organisations_listed", "organisation_read",
    NULL};

/* The test hook: compiled in, inert unless RV_TEST_AUDIT_FAILS names a
 * file; while that file exists every audit row fails as on a full disk, so
 * that the tests can see each audited route refuse. */
static int audit_made_to_fail(void)
{
    const char *f = getenv("RV_TEST_AUDIT_FAILS");
    return f && *f && access(f, F_OK) == 0;
}

rv_err rv_audit_writable(rv_error *err)
{
    if (audit_made_to_fail()) return rv_error_set(err, RV_ERR_FULL, "cannot write the audit: RV_TEST_AUDIT_FAILS");
    return RV_OK;
}

static rv_err audit_row(rv_store *s, const char *org, const char *now_iso, const char *actor, const char *remote,
                        const char *action, long long voicemail_id, const char *ext, const char *detail, rv_error *err);

rv_err rv_store_audit(rv_store *s, const char *now_iso, const char *actor, const char *remote, const char *action,
                      long long voicemail_id, const char *ext, const char *detail, rv_error *err)
{
    return audit_row(s, NULL, now_iso, actor, remote, action, voicemail_id, ext, detail, err);
}

rv_err rv_store_audit_of(rv_store *s, const char *org, const char *now_iso, const char *actor, const char *remote,
                         const char *action, const char *detail, rv_error *err)
{
    return audit_row(s, org && *org ? org : NULL, now_iso, actor, remote, action, 0, NULL, detail, err);
}

static rv_err audit_row(rv_store *s, const char *org, const char *now_iso, const char *actor, const char *remote,
                        const char *action, long long voicemail_id, const char *ext, const char *detail, rv_error *err)
{
    size_t k = 0;
    while (rv_audit_actions[k] && strcmp(rv_audit_actions[k], action) != 0) k++;
    if (!rv_audit_actions[k]) return rv_error_set(err, RV_ERR_INTERNAL, "cannot write the audit: no action '%s'", action);
    rv_err rc = rv_audit_writable(err);
    if (rc != RV_OK) return rc;
    return rv_sql_exec(s,
                       "INSERT INTO audit (at, actor, remote, action, voicemail_id, ext, detail, organisation)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce(?8, (SELECT m.organisation FROM mailboxes m"
                       " WHERE m.ext = coalesce(?6, (SELECT v.ext FROM voicemails v WHERE v.id = ?5)))))",
                       V_ARGS(V_TEXT(now_iso), V_TEXT(actor), V_TEXT(remote ? remote : ""), V_TEXT(action),
                              voicemail_id > 0 ? V_INT(voicemail_id) : V_NULL, V_TEXT(ext), V_TEXT(detail),
                              V_TEXT(org)),
                       "cannot write the audit", err);
}

rv_err rv_store_list_audit(rv_store *s, long long voicemail_id, const char *actor, const char *from,
                           const char *to, const char *orgs, int limit, rv_audit_row **out, size_t *n, rv_error *err)
{
    int more;
    return rv_store_audit_page(s, voicemail_id, actor, from, to, orgs, 0, limit, out, n, &more, err);
}

rv_err rv_store_audit_page(rv_store *s, long long voicemail_id, const char *actor, const char *from, const char *to,
                           const char *orgs, long long after_id, int limit, rv_audit_row **out, size_t *nout, int *more,
                           rv_error *err)
{
    *out = NULL;
    *nout = 0;
    *more = 0;
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT id, at, actor, remote, action, voicemail_id, ext, detail FROM audit"
                               " WHERE (?1 = 0 OR voicemail_id = ?1) AND (?2 IS NULL OR actor = ?2)"
                               " AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4)"
                               " AND (?6 = 0 OR id < ?6)"
                               " AND (?7 IS NULL OR (?7 = '' AND (ext IS NOT NULL OR voicemail_id IS NOT NULL))"
                               " OR instr(?7, ',' || organisation || ',') > 0)"
                               " ORDER BY id DESC LIMIT ?5",
                               V_ARGS(V_INT(voicemail_id), V_TEXT(actor), V_TEXT(from), V_TEXT(to), V_INT(limit + 1),
                                      V_INT(after_id), V_TEXT(orgs)),
                               "cannot read the audit", err);
    if (rc != RV_OK) return rc;
    rv_audit_row *v = NULL;
    size_t n = 0, cap = 0;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) {
        if (n == (size_t)(limit < 0 ? 0 : limit)) {
            *more = 1;
            r = 0;
            break;
        }
        rv_audit_row *nv = n < cap ? v : rv_grow(v, &cap, sizeof *v);
        if (!nv) break;
        v = nv;
        rv_audit_row *w = &v[n];
        w->id = rv_sql_int(q, 0);
        w->voicemail_id = rv_sql_null(q, 5) ? 0 : rv_sql_int(q, 5);
        if (rv_sql_texts(q, &w->texts,
                         COLS({1, &w->at}, {2, &w->actor}, {3, &w->remote}, {4, &w->action}, {6, &w->ext},
                              {7, &w->detail})) != 0)
            break;
        n++;
    }
    rv_sql_done(q);
    if (r != 0) { /* out of memory: the listing fails rather than leave a row out */
        rv_audit_rows_free(v, n);
        *more = 0;
        return r < 0 ? err->code : rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    *out = v;
    *nout = n;
    return RV_OK;
}

void rv_audit_rows_free(rv_audit_row *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) free(v[i].texts);
    free(v);
}

static rv_err audit_people(rv_store *s, long long id, const char *sql, rv_vm_listen **out, size_t *n, rv_error *err);

rv_err rv_store_voicemail_listens(rv_store *s, long long id, rv_vm_listen **out, size_t *n, rv_error *err)
{
    return audit_people(s, id,
                        "SELECT actor, min(at), max(at), count(*) FROM audit"
                        " WHERE voicemail_id = ?1 AND action = 'audio_read' GROUP BY actor ORDER BY min(id)",
                        out, n, err);
}

rv_err rv_store_voicemail_handovers(rv_store *s, long long id, rv_vm_listen **out, size_t *n, rv_error *err)
{
    return audit_people(s, id,
                        "SELECT actor, at, coalesce(detail, ''), 1 FROM audit"
                        " WHERE voicemail_id = ?1 AND action = 'voicemail_handed_over' ORDER BY id",
                        out, n, err);
}

/* Rows of sql (?1 the voicemail): a name, two texts and a count each. */
static rv_err audit_people(rv_store *s, long long id, const char *sql, rv_vm_listen **out, size_t *n, rv_error *err)
{
    *out = NULL;
    *n = 0;
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q, sql, V_ARGS(V_INT(id)), "cannot read the audit", err);
    if (rc != RV_OK) return rc;
    rv_vm_listen *v = NULL;
    size_t k = 0, cap = 0;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) {
        rv_vm_listen *nv = k < cap ? v : rv_grow(v, &cap, sizeof *v);
        if (!nv) break;
        v = nv;
        rv_vm_listen *w = &v[k];
        w->times = rv_sql_int(q, 3);
        if (rv_sql_texts(q, &w->texts, COLS({0, &w->name}, {1, &w->at}, {2, &w->last_at})) != 0) break;
        k++;
    }
    rv_sql_done(q);
    if (r != 0) {
        rv_vm_listens_free(v, k);
        return r < 0 ? err->code : rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    *out = v;
    *n = k;
    return RV_OK;
}

void rv_vm_listens_free(rv_vm_listen *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) free(v[i].texts);
    free(v);
}
