/* The store's audit table: who did what, from where, when. Every row is
 * written by rv_store_audit, in the caller's transaction when one is open;
 * the HTTP layer decides what is audited. */
#include "store_int.h"

#include <jansson.h>
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

rv_err rv_store_audit(rv_store *s, const char *now_iso, const char *actor, const char *remote, const char *action,
                      long long voicemail_id, const char *ext, const char *detail, rv_error *err)
{
    size_t k = 0;
    while (rv_audit_actions[k] && strcmp(rv_audit_actions[k], action) != 0) k++;
    if (!rv_audit_actions[k]) return rv_error_set(err, RV_ERR_INTERNAL, "cannot write the audit: no action '%s'", action);
    rv_err rc = rv_audit_writable(err);
    if (rc != RV_OK) return rc;
    return rv_sql_exec(s,
                       "INSERT INTO audit (at, actor, remote, action, voicemail_id, ext, detail, organisation)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, (SELECT m.organisation FROM mailboxes m WHERE m.ext ="
                       " coalesce(?6, (SELECT v.ext FROM voicemails v WHERE v.id = ?5))))",
                       V_ARGS(V_TEXT(now_iso), V_TEXT(actor), V_TEXT(remote ? remote : ""), V_TEXT(action),
                              voicemail_id > 0 ? V_INT(voicemail_id) : V_NULL, V_TEXT(ext), V_TEXT(detail)),
                       "cannot write the audit", err);
}

/* Text of the audit as JSON: bytes that are not UTF-8 (a row written
 * before requests were checked) shown as \xNN, so that no row is left out
 * of the listing. */
static json_t *audit_text(const char *text)
{
    const unsigned char *t = (const unsigned char *)text;
    if (!t) return json_null();
    json_t *j = json_string((const char *)t);
    if (j) return j;
    size_t n = strlen((const char *)t);
    char *buf = malloc(n * 4 + 1);
    if (!buf) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] < 0x80) buf[o++] = (char)t[i];
        else { /* a whole character stays; a stray byte is escaped */
            size_t k = t[i] >= 0xF0 ? 4 : t[i] >= 0xE0 ? 3 : t[i] >= 0xC2 ? 2 : 1, m = 1;
            while (k > 1 && m < k && i + m < n && (t[i + m] & 0xC0) == 0x80) m++;
            char one[5] = "";
            if (k > 1 && m == k) {
                memcpy(one, t + i, k);
                json_t *probe = json_string(one);
                if (probe) {
                    json_decref(probe);
                    memcpy(buf + o, one, k);
                    o += k, i += k - 1;
                    continue;
                }
            }
            o += (size_t)sprintf(buf + o, "\\x%02X", t[i]);
        }
    }
    buf[o] = '\0';
    j = json_string(buf);
    free(buf);
    return j;
}

rv_err rv_store_list_audit(rv_store *s, long long voicemail_id, const char *actor, const char *from,
                           const char *to, const char *orgs, int limit, json_t **out, rv_error *err)
{
    int more;
    return rv_store_audit_page(s, voicemail_id, actor, from, to, orgs, 0, limit, out, &more, err);
}

rv_err rv_store_audit_page(rv_store *s, long long voicemail_id, const char *actor, const char *from, const char *to,
                           const char *orgs, long long after_id, int limit, json_t **out, int *more, rv_error *err)
{
    *out = NULL;
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
    json_t *a = json_array();
    int n = 0;
    while (a && rv_sql_step(q, NULL) == 1) {
        if (n++ == limit) {
            *more = 1;
            break;
        }
        json_t *row = json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)rv_sql_int(q, 0),
                                "at", audit_text(rv_sql_text(q, 1)), "actor", audit_text(rv_sql_text(q, 2)),
                                "remote", audit_text(rv_sql_text(q, 3)), "action", audit_text(rv_sql_text(q, 4)),
                                "voicemail", rv_sql_null(q, 5) ? json_null() : json_integer(rv_sql_int(q, 5)),
                                "ext", audit_text(rv_sql_text(q, 6)), "detail", audit_text(rv_sql_text(q, 7)));
        if (!row) { /* out of memory: the listing fails rather than leave the row out */
            json_decref(a);
            a = NULL;
            break;
        }
        json_array_append_new(a, row);
    }
    rv_sql_done(q);
    if (!a) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    *out = a;
    return RV_OK;
}


rv_err rv_store_voicemail_listens(rv_store *s, long long id, json_t **out, rv_error *err)
{
    *out = NULL;
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT actor, min(at), max(at), count(*) FROM audit"
                               " WHERE voicemail_id = ?1 AND action = 'audio_read' GROUP BY actor ORDER BY min(id)",
                               V_ARGS(V_INT(id)), "cannot read the audit", err);
    if (rc != RV_OK) return rc;
    json_t *a = json_array();
    int r;
    while (a && (r = rv_sql_step(q, err)) == 1) {
        json_t *one = json_pack("{s:o,s:o,s:o,s:I}", "name", audit_text(rv_sql_text(q, 0)), "at",
                                audit_text(rv_sql_text(q, 1)), "last_at", audit_text(rv_sql_text(q, 2)), "times",
                                (json_int_t)rv_sql_int(q, 3));
        if (!one || json_array_append_new(a, one) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    rv_sql_done(q);
    if (!a) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    if (r < 0) {
        json_decref(a);
        return err->code;
    }
    *out = a;
    return RV_OK;
}
