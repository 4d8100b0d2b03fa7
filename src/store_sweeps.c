/* What the nightly sweep reads and writes in the store: counts, the lists
 * of its report (findings, call-backs owed, disposal's candidates), the
 * reports kept for the web app, and its mail until it is sent. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long long rv_store_count(rv_store *s, rv_count_what what)
{
    static const char *const sql[] = {
        [RV_COUNT_MAILBOXES] = "SELECT count(*) FROM mailboxes",
        [RV_COUNT_CURRENT_GREETINGS] = "SELECT count(*) FROM mailboxes m JOIN greetings g ON g.id = m.greeting_id"
                                       " WHERE g.removed = 0",
        [RV_COUNT_OPEN_CALLBACKS] = "SELECT count(*) FROM voicemails WHERE callback_at IS NULL AND disposed_at IS NULL"
                                    " AND coalesce(classification, '') != 'empty'",
        [RV_COUNT_DISPOSABLE] = "SELECT count(*) FROM voicemails WHERE disposed_at IS NULL AND state = 'analysed'",
        [RV_COUNT_ANALYSES_CLAIMED] = "SELECT count(*) FROM analysis_jobs WHERE claimed_by IS NOT NULL",
    };
    if ((unsigned)what >= sizeof sql / sizeof *sql) return -1;
    return rv_sql_int1(s, sql[what], V_NONE);
}

rv_err rv_store_greeting_findings(rv_store *s, rv_finding_kind kind, const char *date,
                                  void (*fn)(void *user, const rv_greeting_finding *f), void *user, rv_error *err)
{
    static const char *const where[] = {
        [RV_FINDING_MISSING] = "g.id IS NULL OR g.removed = 1 OR g.missing_reason IS NOT NULL",
        [RV_FINDING_NONCOMPLIANT] = "g.removed = 0 AND g.missing_reason IS NULL AND g.compliant = 0",
        [RV_FINDING_STALE_ABSENCE] = "g.removed = 0 AND g.absence_until IS NOT NULL"
                                     " AND substr(g.absence_until, 1, 10) < ?1",
        [RV_FINDING_REVIEW] = "g.removed = 0 AND g.review != '' AND NOT " HEARD("g"),
    };
    if ((unsigned)kind >= sizeof where / sizeof *where) return rv_error_set(err, RV_ERR_ARG, "no such list");
    /* what to listen for: the unsure elements still without an answer */
    const char *to_hear = kind == RV_FINDING_REVIEW ? TO_HEAR(STILL_OPEN("g"), "g") : "g.review";
    char sql[16384];
    int len = snprintf(sql, sizeof sql,
             "WITH " UNIT_NAMES
             " SELECT m.ext, m.first_name || ' ' || m.last_name, coalesce(u.unit, m.unit), g.id, g.removed,"
             " g.missing_reason, g.violations, g.absence_until, g.received_at, m.profile, %s,"
             " coalesce(o.calendar, '')"
             " FROM mailboxes m LEFT JOIN greetings g ON g.id = m.greeting_id"
             " LEFT JOIN unit_names u ON " UNIT_NAME_OF("u", "m")
             " LEFT JOIN organisations o ON o.id = m.organisation WHERE (%s)"
             " ORDER BY u.k, m.ext",
             to_hear, where[kind]);
    if (len < 0 || (size_t)len >= sizeof sql) return rv_error_set(err, RV_ERR_INTERNAL, "a findings query too long");
    rv_sql *q;
    /* only the stale absences' list has a ?1 */
    rv_err rc = rv_sql_prepare(s, &q, sql, V_ARGS(V_TEXT(date ? date : "")), "cannot read mailboxes", err);
    if (rc != RV_OK) return rc;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) {
        const char *review = rv_sql_text(q, 10);
        rv_greeting_finding f = {
            .ext = rv_sql_text(q, 0), .name = rv_sql_text(q, 1), .unit = rv_sql_text(q, 2),
            .greeting_id = rv_sql_null(q, 3) ? 0 : rv_sql_int(q, 3), .removed = (int)rv_sql_int(q, 4),
            .missing_reason = rv_sql_text(q, 5), .violations = rv_sql_text(q, 6), .absence_until = rv_sql_text(q, 7),
            .received_at = rv_sql_text(q, 8), .profile = rv_sql_text(q, 9), .review = review ? review : "",
            .calendar = rv_sql_text(q, 11)};
        fn(user, &f);
    }
    if (r < 0) rc = err->code;
    rv_sql_done(q);
    return rc;
}

rv_err rv_store_open_callbacks(rv_store *s, void (*fn)(void *user, const rv_open_callback *v), void *user,
                               rv_error *err)
{
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "WITH " UNIT_NAMES
                               " SELECT v.id, v.ext, v.received_at, v.classification, v.caller,"
                               " m.first_name || ' ' || m.last_name, coalesce(u.unit, m.unit), m.profile,"
                               " coalesce(o.calendar, '')"
                               " FROM voicemails v JOIN mailboxes m ON m.ext = v.ext"
                               " LEFT JOIN unit_names u ON " UNIT_NAME_OF("u", "m")
                               " LEFT JOIN organisations o ON o.id = m.organisation"
                               " WHERE v.callback_at IS NULL AND v.disposed_at IS NULL"
                               " AND coalesce(v.classification, '') != 'empty' ORDER BY v.id",
                               V_NONE, "cannot read voicemails", err);
    if (rc != RV_OK) return rc;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) {
        rv_open_callback v = {.id = rv_sql_int(q, 0), .ext = rv_sql_text(q, 1), .received_at = rv_sql_text(q, 2),
                              .classification = rv_sql_text(q, 3), .caller = rv_sql_text(q, 4),
                              .name = rv_sql_text(q, 5), .unit = rv_sql_text(q, 6), .profile = rv_sql_text(q, 7),
                              .calendar = rv_sql_text(q, 8)};
        fn(user, &v);
    }
    if (r < 0) rc = err->code;
    rv_sql_done(q);
    return rc;
}

rv_err rv_store_disposal_candidates(rv_store *s, long long after_id, rv_disposal_candidate *out, size_t cap,
                                    size_t *n, rv_error *err)
{
    *n = 0;
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT v.id, v.ext, v.received_at, v.classification, v.audio_sha256, m.profile,"
                               " m.unit, (SELECT d.decision FROM decisions d WHERE d.voicemail_id = v.id"
                               "  ORDER BY d.id DESC LIMIT 1), v.archived_at, coalesce(o.calendar, ''),"
                               " (SELECT d.gallringsbeslut FROM decisions d WHERE d.voicemail_id = v.id"
                               "  ORDER BY d.id DESC LIMIT 1), coalesce(m.organisation, '')"
                               " FROM voicemails v JOIN mailboxes m ON m.ext = v.ext"
                               " LEFT JOIN organisations o ON o.id = m.organisation"
                               " WHERE v.disposed_at IS NULL AND v.state = 'analysed' AND v.id > ?1"
                               " ORDER BY v.id LIMIT ?2",
                               V_ARGS(V_INT(after_id), V_INT(cap)), "cannot read voicemails", err);
    if (rc != RV_OK) return rc;
    int r = 0;
    while (*n < cap && (r = rv_sql_step(q, err)) == 1) {
        rv_disposal_candidate *x = &out[(*n)++];
        memset(x, 0, sizeof *x);
        x->id = rv_sql_int(q, 0);
        rv_sql_copy(q, 1, x->ext, sizeof x->ext);
        rv_sql_copy(q, 2, x->received_at, sizeof x->received_at);
        rv_sql_copy(q, 3, x->classification, sizeof x->classification);
        rv_sql_copy(q, 4, x->sha256, sizeof x->sha256);
        rv_sql_copy(q, 5, x->profile, sizeof x->profile);
        rv_sql_copy(q, 6, x->unit, sizeof x->unit);
        rv_sql_copy(q, 7, x->decision, sizeof x->decision);
        rv_sql_copy(q, 8, x->archived_at, sizeof x->archived_at);
        rv_sql_copy(q, 9, x->calendar, sizeof x->calendar);
        rv_sql_copy(q, 10, x->gallringsbeslut, sizeof x->gallringsbeslut);
        rv_sql_copy(q, 11, x->organisation, sizeof x->organisation);
    }
    if (*n < cap && r < 0) rc = err->code;
    rv_sql_done(q);
    if (rc != RV_OK) *n = 0;
    return rc;
}

rv_err rv_store_unit_spellings(rv_store *s,
                               void (*fn)(void *user, const char *org, const char *raw, const char *spelled),
                               void *user, rv_error *err)
{
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q, "WITH " UNIT_NAMES " SELECT o, raw, unit FROM unit_names WHERE raw IS NOT NULL",
                               V_NONE, "cannot read mailboxes", err);
    if (rc != RV_OK) return rc;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) fn(user, rv_sql_text(q, 0), rv_sql_text(q, 1), rv_sql_text(q, 2));
    if (r < 0) rc = err->code;
    rv_sql_done(q);
    return rc;
}

/* ---- the sweeps' reports ---- */

rv_err rv_store_add_sweep(rv_store *s, const char *date, const char *now_iso, const char *report_json,
                          rv_error *err)
{
    return rv_sql_exec(s, "INSERT INTO sweeps (date, created_at, report) VALUES (?1, ?2, ?3)",
                       V_ARGS(V_TEXT(date), V_TEXT(now_iso), V_TEXT(report_json)), "cannot write sweeps", err);
}

rv_err rv_store_list_sweeps(rv_store *s, int limit, long long id, rv_sweep_row **out, size_t *n, rv_error *err)
{
    *out = NULL;
    *n = 0;
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               id ? "SELECT id, date, created_at, report FROM sweeps WHERE id = ?2"
                                  : "SELECT id, date, created_at, report FROM sweeps ORDER BY date DESC, id DESC"
                                    " LIMIT ?1",
                               V_ARGS(V_INT(limit), V_INT(id)), "cannot read sweeps", err);
    if (rc != RV_OK) return rc;
    rv_sweep_row *v = NULL;
    size_t k = 0, cap = 0;
    int step;
    while ((step = rv_sql_step(q, err)) == 1) {
        rv_sweep_row *nv = k < cap ? v : rv_grow(v, &cap, sizeof *v);
        if (!nv) break;
        v = nv;
        rv_sweep_row *w = &v[k];
        w->id = rv_sql_int(q, 0);
        if (rv_sql_texts(q, &w->texts, COLS({1, &w->date}, {2, &w->created_at}, {3, &w->report})) != 0) break;
        k++;
    }
    rv_sql_done(q);
    if (step != 0) {
        rv_sweeps_free(v, k);
        return step < 0 ? err->code : rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    *out = v;
    *n = k;
    return RV_OK;
}

void rv_sweeps_free(rv_sweep_row *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) free(v[i].texts);
    free(v);
}

/* ---- the sweep's mail ---- */

rv_err rv_store_outbox_add(rv_store *s, const char *date, const char *key, const char *recipients,
                           const char *subject, const char *message, size_t len, const char *now_iso, int *added,
                           rv_error *err)
{
    *added = 0;
    rv_err rc = rv_sql_exec(s,
                            "INSERT OR IGNORE INTO mail_outbox (date, key, recipients, subject, message, created_at)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            V_ARGS(V_TEXT(date), V_TEXT(key), V_TEXT(recipients), V_TEXT(subject), V_BLOB(message, len),
                                   V_TEXT(now_iso)),
                            "cannot write the mail outbox", err);
    if (rc == RV_OK) *added = rv_sql_changes(s) > 0;
    return rc;
}

rv_err rv_store_outbox_unsent(rv_store *s, rv_outbox_mail **out, size_t *n, rv_error *err)
{
    *out = NULL;
    *n = 0;
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT id, recipients, subject, message, tries FROM mail_outbox WHERE sent_at IS NULL"
                               " ORDER BY id LIMIT 10000",
                               V_NONE, "cannot read the mail outbox", err);
    if (rc != RV_OK) return rc;
    size_t cap = 0;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            rv_outbox_mail *nx = realloc(*out, cap * sizeof *nx);
            if (!nx) {
                rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
                break;
            }
            *out = nx;
        }
        rv_outbox_mail *m = &(*out)[(*n)++];
        memset(m, 0, sizeof *m);
        m->id = rv_sql_int(q, 0);
        m->recipients = strdup(rv_sql_text(q, 1));
        m->subject = strdup(rv_sql_text(q, 2));
        size_t len;
        const void *p = rv_sql_blob(q, 3, &len);
        m->message = malloc(len + 1);
        if (m->message) {
            if (len) memcpy(m->message, p, len);
            m->message[len] = '\0';
        }
        m->len = len;
        m->tries = (int)rv_sql_int(q, 4);
        if (!m->recipients || !m->subject || !m->message) {
            rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
            break;
        }
    }
    if (rc == RV_OK && r != 0) rc = err->code;
    rv_sql_done(q);
    if (rc != RV_OK) {
        rv_outbox_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

void rv_outbox_free(rv_outbox_mail *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++) {
        free(m[i].recipients);
        free(m[i].subject);
        free(m[i].message);
    }
    free(m);
}

rv_err rv_store_outbox_result(rv_store *s, long long id, const char *error, const char *now_iso, rv_error *err)
{
    return rv_sql_exec(s,
                       error ? "UPDATE mail_outbox SET tries = tries + 1, last_error = ?2 WHERE id = ?1"
                             : "UPDATE mail_outbox SET tries = tries + 1, last_error = NULL, sent_at = ?2 WHERE id = ?1",
                       V_ARGS(V_INT(id), V_TEXT(error ? error : now_iso)), "cannot write", err);
}

rv_err rv_store_outbox_sent(rv_store *s, const char *key, const char *error, const char *now_iso, rv_error *err)
{
    return rv_sql_exec(s,
                       error ? "UPDATE mail_outbox SET tries = tries + 1, last_error = ?2 WHERE key = ?1 AND sent_at IS NULL"
                             : "UPDATE mail_outbox SET tries = tries + 1, last_error = NULL, sent_at = ?2"
                               " WHERE key = ?1 AND sent_at IS NULL",
                       V_ARGS(V_TEXT(key), V_TEXT(error ? error : now_iso)), "cannot write", err);
}

long rv_store_outbox_pending(rv_store *s)
{
    return (long)rv_sql_int1(s, "SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL", V_NONE);
}

rv_err rv_store_sweep_claim(rv_store *s, const char *date, const char *by, long long now_ms, long long stale_before_ms,
                            int (*gone)(const char *by), int *got, rv_error *err)
{
    *got = 0;
    int own;
    rv_err rc = rv_sql_tx_begin(s, &own, err);
    if (rc != RV_OK) return rc;
    rc = rv_sql_exec(s,
                     "INSERT INTO sweep_runs (date, started_by, started_ms) VALUES (?1, ?2, ?3)"
                     " ON CONFLICT (date) DO NOTHING",
                     V_ARGS(V_TEXT(date), V_TEXT(by), V_INT(now_ms)), "cannot claim the sweep's run", err);
    if (rc == RV_OK && rv_sql_changes(s) == 1) *got = 1;
    else if (rc == RV_OK) { /* one there: done, running, or left by a process that died */
        rv_sql *q;
        char was[160] = "";
        long long started = 0;
        int unfinished = 0;
        rc = rv_sql_prepare(s, &q, "SELECT started_by, started_ms, finished_ms FROM sweep_runs WHERE date = ?1",
                            V_ARGS(V_TEXT(date)), "cannot read the sweep's run", err);
        int r = rc == RV_OK ? rv_sql_step(q, err) : -1;
        if (r == 1) {
            rv_sql_copy(q, 0, was, sizeof was);
            started = rv_sql_int(q, 1);
            unfinished = rv_sql_null(q, 2);
        }
        rv_sql_done(q);
        if (rc == RV_OK && r < 0) rc = err->code;
        if (rc == RV_OK && unfinished && (started < stale_before_ms || (gone && gone(was)))) {
            rc = rv_sql_exec(s,
                             "UPDATE sweep_runs SET started_by = ?2, started_ms = ?3 WHERE date = ?1 AND started_by = ?4"
                             " AND finished_ms IS NULL",
                             V_ARGS(V_TEXT(date), V_TEXT(by), V_INT(now_ms), V_TEXT(was)), "cannot claim the sweep's run",
                             err);
            if (rc == RV_OK) *got = rv_sql_changes(s) == 1;
        }
    }
    rc = rv_sql_tx_end(s, own, rc, err);
    if (rc != RV_OK) *got = 0;
    return rc;
}

rv_err rv_store_sweep_over(rv_store *s, const char *date, const char *by, int ok, long long now_ms, rv_error *err)
{
    if (ok)
        return rv_sql_exec(s, "UPDATE sweep_runs SET finished_ms = ?3 WHERE date = ?1 AND started_by = ?2",
                           V_ARGS(V_TEXT(date), V_TEXT(by), V_INT(now_ms)), "cannot record the sweep's run", err);
    return rv_sql_exec(s, "DELETE FROM sweep_runs WHERE date = ?1 AND started_by = ?2 AND finished_ms IS NULL",
                       V_ARGS(V_TEXT(date), V_TEXT(by)), "cannot record the sweep's run", err);
}

rv_err rv_store_sweep_hold(rv_store *s, const char *date, const char *by, long long now_ms, long long stale_before_ms,
                           int (*gone)(const char *by), int *got, int *was_done, rv_error *err)
{
    *was_done = 0;
    rv_err rc = rv_store_sweep_claim(s, date, by, now_ms, stale_before_ms, gone, got, err);
    if (rc != RV_OK || *got) return rc;
    rc = rv_sql_exec(s,
                     "UPDATE sweep_runs SET started_by = ?2, started_ms = ?3, finished_ms = NULL WHERE date = ?1"
                     " AND finished_ms IS NOT NULL",
                     V_ARGS(V_TEXT(date), V_TEXT(by), V_INT(now_ms)), "cannot claim the sweep's run", err);
    if (rc == RV_OK && rv_sql_changes(s) == 1) *got = *was_done = 1;
    return rc;
}

rv_err rv_store_sweep_state(rv_store *s, const char *date, int *state, rv_error *err)
{
    *state = 0;
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q, "SELECT finished_ms FROM sweep_runs WHERE date = ?1", V_ARGS(V_TEXT(date)),
                               "cannot read the sweep's run", err);
    if (rc != RV_OK) return rc;
    int r = rv_sql_step(q, err);
    if (r == 1) *state = rv_sql_null(q, 0) ? 1 : 2;
    rv_sql_done(q);
    return r < 0 ? err->code : RV_OK;
}
