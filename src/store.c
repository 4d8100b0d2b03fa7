/* The archive: SQLite (WAL, synchronous=FULL) and content-addressed audio.
 * The only file that knows the schema or speaks SQL. */
#include "store_int.h"

#include <glib.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *rv_unit_key(const char *unit)
{
    if (!unit) return NULL;
    if (!g_utf8_validate(unit, -1, NULL)) return strdup(unit);
    gchar *folded = g_utf8_casefold(unit, -1);
    gchar *key = folded ? g_utf8_normalize(folded, -1, G_NORMALIZE_DEFAULT_COMPOSE) : NULL;
    char *out = key ? strdup(key) : NULL;
    g_free(key);
    g_free(folded);
    return out;
}

/* ---- the nightly sweep's queries ---- */

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static void copy_col(char *dst, size_t cap, sqlite3_stmt *st, int i)
{
    const char *t = col_text(st, i);
    snprintf(dst, cap, "%s", t ? t : "");
}

long long rv_store_count(rv_store *s, rv_count_what what)
{
    static const char *const sql[] = {
        [RV_COUNT_MAILBOXES] = "SELECT count(*) FROM mailboxes",
        [RV_COUNT_CURRENT_GREETINGS] = "SELECT count(*) FROM mailboxes m JOIN greetings g ON g.id = m.greeting_id"
                                       " WHERE g.removed = 0",
        [RV_COUNT_OPEN_CALLBACKS] = "SELECT count(*) FROM voicemails WHERE callback_at IS NULL AND disposed_at IS NULL"
                                    " AND coalesce(classification, '') != 'empty'",
        [RV_COUNT_DISPOSABLE] = "SELECT count(*) FROM voicemails WHERE disposed_at IS NULL AND state = 'analysed'",
    };
    if ((unsigned)what >= sizeof sql / sizeof *sql) return -1;
    sqlite3_stmt *st;
    long long n = -1;
    if (sqlite3_prepare_v2(rv_sql_handle(s), sql[what], -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

rv_err rv_store_unit_shares(rv_store *s, rv_unit_share **out, size_t *n, rv_error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           "WITH " UNIT_SPELLINGS
                           " SELECT u.unit, count(*), sum(coalesce(g.compliant, 0) = 1 AND g.removed = 0)"
                           " FROM mailboxes m LEFT JOIN greetings g ON g.id = m.greeting_id"
                           " JOIN unit_spellings u ON u.k = rv_unit_key(m.unit) GROUP BY u.k ORDER BY u.k",
                           -1, &st, NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot count units");
    rv_unit_share *a = NULL;
    size_t k = 0, cap = 0;
    rv_err rc = RV_OK;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (k == cap) {
            size_t nc = cap ? cap * 2 : 32;
            rv_unit_share *na = realloc(a, nc * sizeof *na);
            if (!na) {
                rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
                break;
            }
            a = na;
            cap = nc;
        }
        copy_col(a[k].unit, sizeof a[k].unit, st, 0);
        a[k].mailboxes = (long)sqlite3_column_int64(st, 1);
        a[k].compliant = (long)sqlite3_column_int64(st, 2);
        k++;
    }
    if (rc == RV_OK && r != SQLITE_DONE) rc = rv_sql_error(s, err, "cannot count units");
    sqlite3_finalize(st);
    if (rc != RV_OK) {
        free(a);
        return rc;
    }
    *out = a;
    *n = k;
    return RV_OK;
}

rv_err rv_store_greeting_findings(rv_store *s, rv_finding_kind kind, const char *date,
                                  void (*fn)(void *user, const rv_greeting_finding *f), void *user, rv_error *err)
{
    static const char *const where[] = {
        [RV_FINDING_MISSING] = "g.id IS NULL OR g.removed = 1 OR g.missing_reason IS NOT NULL",
        [RV_FINDING_NONCOMPLIANT] = "g.removed = 0 AND g.missing_reason IS NULL AND g.compliant = 0",
        [RV_FINDING_STALE_ABSENCE] = "g.removed = 0 AND g.absence_until IS NOT NULL"
                                     " AND substr(g.absence_until, 1, 10) < ?1",
        [RV_FINDING_REVIEW] = "g.removed = 0 AND g.review != ''"
                              " AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.greeting_id = g.id)",
    };
    if ((unsigned)kind >= sizeof where / sizeof *where) return rv_error_set(err, RV_ERR_ARG, "no such list");
    char sql[1024];
    snprintf(sql, sizeof sql,
             "WITH " UNIT_SPELLINGS
             " SELECT m.ext, m.first_name || ' ' || m.last_name, coalesce(u.unit, m.unit), g.id, g.removed,"
             " g.missing_reason, g.violations, g.absence_until, g.received_at, m.profile, g.review"
             " FROM mailboxes m LEFT JOIN greetings g ON g.id = m.greeting_id"
             " LEFT JOIN unit_spellings u ON u.k = rv_unit_key(m.unit) WHERE (%s)"
             " ORDER BY u.k, m.ext",
             where[kind]);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rv_sql_handle(s), sql, -1, &st, NULL) != SQLITE_OK) return rv_sql_error(s, err, "cannot read mailboxes");
    if (kind == RV_FINDING_STALE_ABSENCE) sqlite3_bind_text(st, 1, date ? date : "", -1, SQLITE_STATIC);
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        rv_greeting_finding f = {
            .ext = col_text(st, 0), .name = col_text(st, 1), .unit = col_text(st, 2),
            .greeting_id = sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 3),
            .removed = sqlite3_column_int(st, 4), .missing_reason = col_text(st, 5), .violations = col_text(st, 6),
            .absence_until = col_text(st, 7), .received_at = col_text(st, 8), .profile = col_text(st, 9),
            .review = col_text(st, 10) ? col_text(st, 10) : ""};
        fn(user, &f);
    }
    rv_err rc = r == SQLITE_DONE ? RV_OK : rv_sql_error(s, err, "cannot read mailboxes");
    sqlite3_finalize(st);
    return rc;
}

rv_err rv_store_open_callbacks(rv_store *s, void (*fn)(void *user, const rv_open_callback *v), void *user,
                               rv_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           "WITH " UNIT_SPELLINGS
                           " SELECT v.id, v.ext, v.received_at, v.classification, v.caller,"
                           " m.first_name || ' ' || m.last_name, coalesce(u.unit, m.unit), m.profile"
                           " FROM voicemails v JOIN mailboxes m ON m.ext = v.ext"
                           " LEFT JOIN unit_spellings u ON u.k = rv_unit_key(m.unit)"
                           " WHERE v.callback_at IS NULL AND v.disposed_at IS NULL"
                           " AND coalesce(v.classification, '') != 'empty' ORDER BY v.id",
                           -1, &st, NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot read voicemails");
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        rv_open_callback v = {.id = sqlite3_column_int64(st, 0), .ext = col_text(st, 1),
                              .received_at = col_text(st, 2), .classification = col_text(st, 3),
                              .caller = col_text(st, 4), .name = col_text(st, 5), .unit = col_text(st, 6),
                              .profile = col_text(st, 7)};
        fn(user, &v);
    }
    rv_err rc = r == SQLITE_DONE ? RV_OK : rv_sql_error(s, err, "cannot read voicemails");
    sqlite3_finalize(st);
    return rc;
}

rv_err rv_store_disposal_candidates(rv_store *s, long long after_id, rv_disposal_candidate *out, size_t cap,
                                    size_t *n, rv_error *err)
{
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           "WITH " UNIT_SPELLINGS
                           " SELECT v.id, v.ext, v.received_at, v.classification, v.audio_sha256, m.profile,"
                           " coalesce(u.unit, m.unit), (SELECT d.decision FROM decisions d WHERE d.voicemail_id = v.id"
                           "  ORDER BY d.id DESC LIMIT 1), v.archived_at"
                           " FROM voicemails v JOIN mailboxes m ON m.ext = v.ext"
                           " LEFT JOIN unit_spellings u ON u.k = rv_unit_key(m.unit)"
                           " WHERE v.disposed_at IS NULL AND v.state = 'analysed' AND v.id > ?1"
                           " ORDER BY v.id LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot read voicemails");
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)cap);
    int r = SQLITE_DONE;
    while (*n < cap && (r = sqlite3_step(st)) == SQLITE_ROW) {
        rv_disposal_candidate *x = &out[(*n)++];
        memset(x, 0, sizeof *x);
        x->id = sqlite3_column_int64(st, 0);
        copy_col(x->ext, sizeof x->ext, st, 1);
        copy_col(x->received_at, sizeof x->received_at, st, 2);
        copy_col(x->classification, sizeof x->classification, st, 3);
        copy_col(x->sha256, sizeof x->sha256, st, 4);
        copy_col(x->profile, sizeof x->profile, st, 5);
        copy_col(x->unit, sizeof x->unit, st, 6);
        copy_col(x->decision, sizeof x->decision, st, 7);
        copy_col(x->archived_at, sizeof x->archived_at, st, 8);
    }
    rv_err rc = *n < cap && r != SQLITE_DONE ? rv_sql_error(s, err, "cannot read voicemails") : RV_OK;
    sqlite3_finalize(st);
    if (rc != RV_OK) *n = 0;
    return rc;
}

/* ---- the sweeps' reports ---- */

rv_err rv_store_add_sweep(rv_store *s, const char *date, const char *now_iso, const char *report_json,
                          rv_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(rv_sql_handle(s), "INSERT INTO sweeps (date, created_at, report) VALUES (?1, ?2, ?3)", -1, &st,
                           NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot write sweeps");
    sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, now_iso, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, report_json, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? RV_OK : rv_sql_error(s, err, "cannot write sweeps");
}

rv_err rv_store_list_sweeps(rv_store *s, int limit, long long id, json_t **out, rv_error *err)
{
    sqlite3_stmt *st = NULL;
    *out = NULL;
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           id ? "SELECT id, date, created_at, report FROM sweeps WHERE id = ?2"
                              : "SELECT id, date, created_at, report FROM sweeps ORDER BY date DESC, id DESC"
                                " LIMIT ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot read sweeps");
    sqlite3_bind_int(st, 1, limit);
    sqlite3_bind_int64(st, 2, id);
    json_t *items = json_array();
    int step;
    while (items && (step = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *report = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
        json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
                                               "date", (const char *)sqlite3_column_text(st, 1), "created_at",
                                               (const char *)sqlite3_column_text(st, 2), "report",
                                               report ? report : json_null()));
    }
    sqlite3_finalize(st);
    if (!items) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    if (step != SQLITE_DONE) {
        json_decref(items);
        return rv_sql_error(s, err, "cannot read sweeps");
    }
    *out = items;
    return RV_OK;
}

/* ---- units and the sweep's mail ---- */

rv_err rv_store_put_unit(rv_store *s, const char *name, const char *managers, const char *now_iso, int *created,
                         rv_error *err)
{
    sqlite3_stmt *st;
    *created = 0;
    /* the unit whatever the case of its letters, its first spelling kept */
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           "UPDATE units SET managers = ?2, updated_at = ?3 WHERE rv_unit_key(name) = rv_unit_key(?1)",
                           -1, &st, NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot write units");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, managers, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, now_iso, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    if (r != SQLITE_DONE) return rv_sql_error(s, err, "cannot write units");
    if (sqlite3_changes(rv_sql_handle(s)) > 0) return RV_OK;
    *created = 1;
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           "INSERT INTO units (name, managers, updated_at) VALUES (?1, ?2, ?3)"
                           " ON CONFLICT(name) DO UPDATE SET managers = ?2, updated_at = ?3",
                           -1, &st, NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot write units");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, managers, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, now_iso, -1, SQLITE_STATIC);
    rv_err rc = sqlite3_step(st) == SQLITE_DONE ? RV_OK : rv_sql_error(s, err, "cannot write units");
    sqlite3_finalize(st);
    return rc;
}

rv_err rv_store_unit_mailboxes(rv_store *s, const char *name, long *n, rv_error *err)
{
    sqlite3_stmt *st;
    *n = 0;
    if (sqlite3_prepare_v2(rv_sql_handle(s), "SELECT count(*) FROM mailboxes WHERE rv_unit_key(unit) = rv_unit_key(?1)", -1, &st,
                           NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot read mailboxes");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rv_err rc = sqlite3_step(st) == SQLITE_ROW ? RV_OK : rv_sql_error(s, err, "cannot read mailboxes");
    if (rc == RV_OK) *n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

rv_err rv_store_units(rv_store *s, void (*fn)(void *user, const char *name, const char *managers), void *user,
                      rv_error *err)
{
    sqlite3_stmt *st;
    /* one row a unit (an older archive may hold two spellings of one: the
     * one changed last), named as its mailboxes spell it */
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           "WITH " UNIT_SPELLINGS ", u AS (SELECT rv_unit_key(name) AS k, name, managers,"
                           " max(updated_at) FROM units GROUP BY 1)"
                           " SELECT coalesce(s.unit, u.name), u.managers FROM u LEFT JOIN unit_spellings s ON s.k = u.k"
                           " ORDER BY u.k",
                           -1, &st, NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot read units");
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW)
        fn(user, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1));
    rv_err rc = r == SQLITE_DONE ? RV_OK : rv_sql_error(s, err, "cannot read units");
    sqlite3_finalize(st);
    return rc;
}

rv_err rv_store_outbox_add(rv_store *s, const char *date, const char *key, const char *recipients,
                           const char *subject, const char *message, size_t len, const char *now_iso, int *added,
                           rv_error *err)
{
    sqlite3_stmt *st;
    *added = 0;
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           "INSERT OR IGNORE INTO mail_outbox (date, key, recipients, subject, message, created_at)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           -1, &st, NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot write the mail outbox");
    sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, recipients, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, subject, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, message, (int)len, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, now_iso, -1, SQLITE_STATIC);
    rv_err rc = sqlite3_step(st) == SQLITE_DONE ? RV_OK : rv_sql_error(s, err, "cannot write the mail outbox");
    if (rc == RV_OK) *added = sqlite3_changes(rv_sql_handle(s)) > 0;
    sqlite3_finalize(st);
    return rc;
}

rv_err rv_store_outbox_unsent(rv_store *s, rv_outbox_mail **out, size_t *n, rv_error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           "SELECT id, recipients, subject, message, tries FROM mail_outbox WHERE sent_at IS NULL"
                           " ORDER BY id LIMIT 10000",
                           -1, &st, NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot read the mail outbox");
    size_t cap = 0;
    int r;
    rv_err rc = RV_OK;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
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
        m->id = sqlite3_column_int64(st, 0);
        m->recipients = strdup((const char *)sqlite3_column_text(st, 1));
        m->subject = strdup((const char *)sqlite3_column_text(st, 2));
        int len = sqlite3_column_bytes(st, 3);
        m->message = malloc((size_t)len + 1);
        if (m->message) {
            memcpy(m->message, sqlite3_column_blob(st, 3), (size_t)len);
            m->message[len] = '\0';
        }
        m->len = (size_t)len;
        m->tries = sqlite3_column_int(st, 4);
        if (!m->recipients || !m->subject || !m->message) {
            rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
            break;
        }
    }
    if (rc == RV_OK && r != SQLITE_DONE) rc = rv_sql_error(s, err, "cannot read the mail outbox");
    sqlite3_finalize(st);
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

long rv_store_outbox_pending(rv_store *s)
{
    sqlite3_stmt *st;
    long n = -1;
    if (sqlite3_prepare_v2(rv_sql_handle(s), "SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW) n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}
