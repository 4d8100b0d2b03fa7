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

static int is_hex64(const char *h) { return rv_hexn(h, RV_SHA256_HEX); }

static int digits(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > max) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

int rv_ext_valid(const char *ext) { return digits(ext, 20); }

/* 1 if the directory has ext, 0 if not, -1 on a database error. */
int rv_mailbox_exists(rv_store *s, const char *ext)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rv_sql_handle(s), "SELECT 1 FROM mailboxes WHERE ext = ?1", -1, &st, NULL) != SQLITE_OK) return -1;
    sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
}

rv_err rv_store_put_mailbox(rv_store *s, const rv_mailbox *m, const char *now_iso, int *created,
                            rv_error *err)
{
    *created = 0;
    sqlite3_stmt *st = NULL;
    rv_err rc = RV_OK;
    int own = sqlite3_get_autocommit(rv_sql_handle(s)); /* else the caller's transaction, ended by the caller */
    if (own && sqlite3_exec(rv_sql_handle(s), "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot begin");
    int exists = rv_mailbox_exists(s, m->ext);
    if (exists < 0) {
        rc = rv_sql_error(s, err, "cannot read mailboxes");
        goto out;
    }
    *created = !exists;
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           "INSERT INTO mailboxes (ext, first_name, last_name, unit, org, profile, mobile,"
                           " created_at, updated_at, email) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)"
                           " ON CONFLICT(ext) DO UPDATE SET first_name = ?2, last_name = ?3, unit = ?4,"
                           " org = ?5, profile = ?6, mobile = ?7, updated_at = ?8, email = ?9",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = rv_sql_error(s, err, "cannot write mailboxes");
        goto out;
    }
    const char *v[] = {m->ext,     m->first_name, m->last_name, m->unit, m->org,
                       m->profile, m->mobile,     now_iso,      m->email};
    for (int i = 0; i < 9; i++) sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) rc = rv_sql_error(s, err, "cannot store the mailbox");
    sqlite3_finalize(st);
out:
    if (!own) return rc;
    if (rc == RV_OK && sqlite3_exec(rv_sql_handle(s), "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = rv_sql_error(s, err, "cannot commit");
    if (rc != RV_OK) sqlite3_exec(rv_sql_handle(s), "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

rv_err rv_store_get_mailbox(rv_store *s, const char *ext, rv_mailbox *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    if (!digits(ext, 20)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           "SELECT ext, first_name, last_name, unit, org, profile, mobile FROM mailboxes"
                           " WHERE ext = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot read mailboxes");
    sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    rv_err rc = RV_OK;
    if (r == SQLITE_ROW) {
        char *dst[] = {out->ext, out->first_name, out->last_name, out->unit, out->org, out->profile, out->mobile};
        size_t cap[] = {sizeof out->ext, sizeof out->first_name, sizeof out->last_name, sizeof out->unit,
                        sizeof out->org, sizeof out->profile, sizeof out->mobile};
        for (int i = 0; i < 7; i++) {
            const unsigned char *t = sqlite3_column_text(st, i);
            snprintf(dst[i], cap[i], "%s", t ? (const char *)t : "");
        }
    } else if (r == SQLITE_DONE) rc = rv_error_set(err, RV_ERR_NOT_FOUND, "no mailbox %s", ext);
    else rc = rv_sql_error(s, err, "cannot read mailboxes");
    sqlite3_finalize(st);
    return rc;
}

json_t *rv_json_text(rv_sql *q, int i)
{
    const char *t = rv_sql_text(q, i);
    return t ? json_string(t) : json_null();
}

static json_t *text_or_null(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? json_string((const char *)t) : json_null();
}

/* Greetings (schema 2). */


/* "a,b" -> ["a","b"] */
static json_t *split_list(const char *s)
{
    json_t *a = json_array();
    while (a && s && *s) {
        size_t n = strcspn(s, ",");
        json_array_append_new(a, json_stringn(s, n));
        s += n + (s[n] == ',');
    }
    return a;
}


/* The summary of a greeting row selected with GREETING_COLS from column c. */
static json_t *greeting_json(sqlite3_stmt *st, int c)
{
    int compliant_null = sqlite3_column_type(st, c + 5) == SQLITE_NULL;
    json_t *g = json_pack("{s:I,s:o,s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)sqlite3_column_int64(st, c),
                     "received_at", text_or_null(st, c + 1), "removed", sqlite3_column_int(st, c + 2),
                     "content_type", text_or_null(st, c + 3), "bytes",
                     sqlite3_column_type(st, c + 4) == SQLITE_NULL ? json_null()
                                                                   : json_integer(sqlite3_column_int64(st, c + 4)),
                     "compliant", compliant_null ? json_null() : json_boolean(sqlite3_column_int(st, c + 5)),
                     "violations", split_list((const char *)sqlite3_column_text(st, c + 6)), "missing_reason",
                     text_or_null(st, c + 7), "absence_until", text_or_null(st, c + 8), "profile",
                     text_or_null(st, c + 9), "audio_sha256", text_or_null(st, c + 10));
    if (g) json_object_set_new(g, "review", split_list((const char *)sqlite3_column_text(st, c + 11)));
    return g;
}

/* 1, 0 or NULL */
static void bind_compliance(sqlite3_stmt *st, int i, rv_compliance c)
{
    if (c == RV_COMPLIANCE_UNKNOWN) sqlite3_bind_null(st, i);
    else sqlite3_bind_int(st, i, c == RV_COMPLIANCE_YES);
}

rv_err rv_store_add_greeting(rv_store *s, const rv_greeting_row *g, long long *id, rv_error *err)
{
    *id = 0;
    if (!digits(g->ext, 20)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    if (!g->removed && (!is_hex64(g->sha256) || (g->blob && strcmp(g->blob->sha256, g->sha256) != 0)))
        return rv_error_set(err, RV_ERR_ARG, "not a SHA-256 in hex");
    sqlite3_stmt *st = NULL;
    rv_err rc = RV_OK;
    if (sqlite3_exec(rv_sql_handle(s), "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return rv_sql_error(s, err, "cannot begin");
    int exists = rv_mailbox_exists(s, g->ext);
    if (exists <= 0) {
        rc = exists < 0 ? rv_sql_error(s, err, "cannot read mailboxes")
                        : rv_error_set(err, RV_ERR_NOT_FOUND, "no mailbox %s", g->ext);
        goto out;
    }
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           "INSERT INTO greetings (ext, audio_sha256, content_type, bytes, received_at, removed,"
                           " report, analysed_at, models_version, compliant, violations, missing_reason,"
                           " absence_until, profile, review) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
                           " ?12, ?13, ?14, ?15)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = rv_sql_error(s, err, "cannot write greetings");
        goto out;
    }
    sqlite3_bind_text(st, 1, g->ext, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, g->removed ? NULL : g->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, g->removed ? NULL : g->content_type, -1, SQLITE_STATIC);
    if (!g->removed) sqlite3_bind_int64(st, 4, (sqlite3_int64)g->bytes);
    sqlite3_bind_text(st, 5, g->received_at, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, g->removed != 0);
    sqlite3_bind_text(st, 7, g->report, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, g->report ? g->received_at : NULL, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, g->models_version, -1, SQLITE_STATIC);
    bind_compliance(st, 10, g->removed ? RV_COMPLIANCE_NO : g->compliance);
    sqlite3_bind_text(st, 11, g->violations ? g->violations : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 12, g->missing_reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 13, g->absence_until, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 14, g->profile, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 15, g->review && !g->removed ? g->review : "", -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = rv_sql_error(s, err, "cannot store the greeting");
        goto out;
    }
    *id = sqlite3_last_insert_rowid(rv_sql_handle(s));
    sqlite3_finalize(st);
    st = NULL;
    if (!g->removed && g->blob && rv_audio_index(s, g->blob) != 0) {
        rc = rv_sql_error(s, err, "cannot index the audio");
        goto out;
    }
    if (sqlite3_prepare_v2(rv_sql_handle(s), "UPDATE mailboxes SET greeting_id = ?1 WHERE ext = ?2", -1, &st, NULL) !=
        SQLITE_OK) {
        rc = rv_sql_error(s, err, "cannot write mailboxes");
        goto out;
    }
    sqlite3_bind_int64(st, 1, *id);
    sqlite3_bind_text(st, 2, g->ext, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) rc = rv_sql_error(s, err, "cannot update the mailbox");
    if (rc == RV_OK && g->actor)
        rc = rv_store_audit(s, g->received_at, g->actor, g->remote, g->removed ? "greeting_removed" : "greeting_received",
                            0, g->ext, NULL, err);
out:
    sqlite3_finalize(st);
    if (rc == RV_OK && sqlite3_exec(rv_sql_handle(s), "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = rv_sql_error(s, err, "cannot commit");
    if (rc != RV_OK) {
        sqlite3_exec(rv_sql_handle(s), "ROLLBACK", NULL, NULL, NULL);
        *id = 0;
        if (!g->removed && g->blob) rv_audio_release(s, g->blob); /* staged for nothing */
    }
    return rc;
}

rv_err rv_store_list_greetings(rv_store *s, const char *ext, json_t **out, rv_error *err)
{
    *out = NULL;
    if (!digits(ext, 20)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    int exists = rv_mailbox_exists(s, ext);
    if (exists <= 0)
        return exists < 0 ? rv_sql_error(s, err, "cannot read mailboxes")
                          : rv_error_set(err, RV_ERR_NOT_FOUND, "no mailbox %s", ext);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rv_sql_handle(s), "SELECT " GREETING_COLS " FROM greetings g WHERE g.ext = ?1 ORDER BY g.id DESC",
                           -1, &st, NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot read greetings");
    sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
    json_t *a = json_array();
    int r;
    while (a && (r = sqlite3_step(st)) == SQLITE_ROW) json_array_append_new(a, greeting_json(st, 0));
    sqlite3_finalize(st);
    if (!a) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    *out = a;
    return RV_OK;
}

rv_err rv_store_get_greeting(rv_store *s, const char *ext, long long id, json_t **out, rv_error *err)
{
    *out = NULL;
    if (!digits(ext, 20)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           "SELECT " GREETING_COLS ", g.report FROM greetings g WHERE g.ext = ?1 AND g.id ="
                           " (CASE WHEN ?2 > 0 THEN ?2 ELSE (SELECT greeting_id FROM mailboxes WHERE ext = ?1) END)",
                           -1, &st, NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot read greetings");
    sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    int r = sqlite3_step(st);
    rv_err rc = RV_OK;
    if (r == SQLITE_ROW) {
        json_t *g = greeting_json(st, 0);
        const char *rep = (const char *)sqlite3_column_text(st, 12);
        json_t *analysis = rep ? json_loads(rep, 0, NULL) : NULL;
        if (g) json_object_set_new(g, "analysis", analysis ? analysis : json_null());
        else json_decref(analysis);
        *out = g;
        if (!g) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    } else if (r != SQLITE_DONE) rc = rv_sql_error(s, err, "cannot read greetings");
    else if (id > 0) rc = rv_error_set(err, RV_ERR_NOT_FOUND, "mailbox %s has no greeting %lld", ext, id);
    else rc = rv_error_set(err, RV_ERR_NOT_FOUND, "mailbox %s has no greeting", ext);
    sqlite3_finalize(st);
    return rc;
}

void rv_store_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++) free(names[i]);
    free(names);
}

rv_err rv_store_directory_names(rv_store *s, const char *ext, char ***names, char ***units, size_t *n,
                                rv_error *err)
{
    *names = *units = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           "SELECT first_name || ' ' || last_name, unit FROM mailboxes WHERE ext IS NOT ?1"
                           " ORDER BY ext",
                           -1, &st, NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot read mailboxes");
    sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
    char **v = NULL, **u = NULL;
    size_t k = 0, cap = 0;
    rv_err rc = RV_OK;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (k == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nv = realloc(v, nc * sizeof *nv);
            if (nv) v = nv;
            char **nu = nv ? realloc(u, nc * sizeof *nu) : NULL;
            if (nu) u = nu;
            if (!nv || !nu) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); break; }
            cap = nc;
        }
        const unsigned char *t = sqlite3_column_text(st, 0), *t2 = sqlite3_column_text(st, 1);
        v[k] = strdup(t ? (const char *)t : "");
        u[k] = v[k] ? strdup(t2 ? (const char *)t2 : "") : NULL;
        if (!u[k]) {
            free(v[k]);
            rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
            break;
        }
        k++;
    }
    if (rc == RV_OK && r != SQLITE_DONE) rc = rv_sql_error(s, err, "cannot read mailboxes");
    sqlite3_finalize(st);
    if (rc != RV_OK) {
        rv_store_names_free(v, k);
        rv_store_names_free(u, k);
        return rc;
    }
    *names = v;
    *units = u;
    *n = k;
    return RV_OK;
}

rv_err rv_store_list_mailboxes(rv_store *s, const rv_mb_query *q, json_t **out, int *more, rv_error *err)
{
    *out = NULL;
    *more = 0;
    sqlite3_stmt *st;
    /* compliant: the current greeting exists, is not removed, and was found compliant */
    const char *sql =
        "SELECT m.ext, m.first_name, m.last_name, m.unit, m.org, m.profile, m.mobile, g.id IS NOT NULL, " GREETING_COLS
        ", m.name_received_at, m.email FROM mailboxes m LEFT JOIN greetings g ON g.id = m.greeting_id"
        " WHERE (?1 = 0 OR (?1 = 1) = (coalesce(g.compliant, 0) = 1 AND g.removed = 0))"
        " AND (?2 IS NULL OR rv_unit_key(m.unit) = rv_unit_key(?2)) AND (?3 IS NULL OR m.ext > ?3) AND (?5 IS NULL OR m.ext = ?5)"
        " AND (?6 IS NULL OR lower(m.email) = lower(?6)) ORDER BY m.ext LIMIT ?4";
    if (sqlite3_prepare_v2(rv_sql_handle(s), sql, -1, &st, NULL) != SQLITE_OK) return rv_sql_error(s, err, "cannot list mailboxes");
    sqlite3_bind_int(st, 1, q->compliant == RV_MB_COMPLIANT ? 1 : q->compliant == RV_MB_NOT_COMPLIANT ? 2 : 0);
    sqlite3_bind_text(st, 2, q->unit, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, q->after_ext, -1, SQLITE_STATIC);
    int limit = q->limit > 0 && q->limit <= 500 ? q->limit : 50;
    sqlite3_bind_int(st, 4, limit + 1);
    sqlite3_bind_text(st, 5, q->ext, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, q->email, -1, SQLITE_STATIC);
    json_t *a = json_array();
    int r, n = 0;
    while (a && (r = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == limit) {
            *more = 1;
            break;
        }
        json_t *m = json_object();
        const char *keys[] = {"ext", "first_name", "last_name", "unit", "org", "profile", "mobile"};
        for (int i = 0; m && i < 7; i++) json_object_set_new(m, keys[i], text_or_null(st, i));
        if (m) json_object_set_new(m, "greeting", sqlite3_column_int(st, 7) ? greeting_json(st, 8) : json_null());
        if (m) json_object_set_new(m, "name_recording_at", text_or_null(st, 20));
        if (m) json_object_set_new(m, "email", text_or_null(st, 21));
        json_array_append_new(a, m);
        n++;
    }
    sqlite3_finalize(st);
    if (!a) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    *out = a;
    return RV_OK;
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

rv_err rv_store_current_greetings(rv_store *s, const char *after_ext, rv_current_greeting *out, size_t cap,
                                  size_t *n, rv_error *err)
{
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           "SELECT m.ext, m.first_name, m.last_name, m.unit, m.org, m.profile, m.mobile, g.id,"
                           " g.models_version, g.audio_sha256, g.content_type, g.received_at"
                           " FROM mailboxes m JOIN greetings g ON g.id = m.greeting_id"
                           " WHERE g.removed = 0 AND m.ext > ?1 ORDER BY m.ext LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot read greetings");
    sqlite3_bind_text(st, 1, after_ext ? after_ext : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)cap);
    int r = SQLITE_DONE;
    while (*n < cap && (r = sqlite3_step(st)) == SQLITE_ROW) {
        rv_current_greeting *g = &out[(*n)++];
        memset(g, 0, sizeof *g);
        char *dst[] = {g->m.ext, g->m.first_name, g->m.last_name, g->m.unit, g->m.org, g->m.profile, g->m.mobile};
        size_t caps[] = {sizeof g->m.ext, sizeof g->m.first_name, sizeof g->m.last_name, sizeof g->m.unit,
                         sizeof g->m.org, sizeof g->m.profile, sizeof g->m.mobile};
        for (int i = 0; i < 7; i++) copy_col(dst[i], caps[i], st, i);
        g->id = sqlite3_column_int64(st, 7);
        copy_col(g->models_version, sizeof g->models_version, st, 8);
        copy_col(g->sha256, sizeof g->sha256, st, 9);
        copy_col(g->content_type, sizeof g->content_type, st, 10);
        copy_col(g->received_at, sizeof g->received_at, st, 11);
    }
    rv_err rc = *n < cap && r != SQLITE_DONE ? rv_sql_error(s, err, "cannot read greetings") : RV_OK;
    sqlite3_finalize(st);
    if (rc != RV_OK) *n = 0;
    return rc;
}

rv_err rv_store_reanalysed_greeting(rv_store *s, long long id, const rv_greeting_row *g, const char *now_iso,
                                    rv_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           "UPDATE greetings SET report = ?1, compliant = ?2, violations = ?3, missing_reason = ?4,"
                           " absence_until = ?5, profile = ?6, models_version = ?7, analysed_at = ?8, review = ?10"
                           " WHERE id = ?9",
                           -1, &st, NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot update greetings");
    sqlite3_bind_text(st, 1, g->report, -1, SQLITE_STATIC);
    bind_compliance(st, 2, g->compliance);
    sqlite3_bind_text(st, 3, g->violations ? g->violations : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, g->missing_reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, g->absence_until, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, g->profile, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, g->models_version, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, now_iso, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, id);
    sqlite3_bind_text(st, 10, g->review ? g->review : "", -1, SQLITE_STATIC);
    rv_err rc = RV_OK;
    if (sqlite3_step(st) != SQLITE_DONE) rc = rv_sql_error(s, err, "cannot update a greeting");
    else if (sqlite3_changes(rv_sql_handle(s)) == 0) rc = rv_error_set(err, RV_ERR_NOT_FOUND, "no greeting %lld", id);
    sqlite3_finalize(st);
    return rc;
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

/* ---- reviews ---- */

static int review_value(const char *v)
{
    return !v || strcmp(v, "stated") == 0 || strcmp(v, "not_stated") == 0;
}

rv_err rv_store_add_review(rv_store *s, const rv_review *r, long long *id, rv_error *err)
{
    *id = 0;
    const char *v[4] = {r->name, r->unit, r->org, r->closing};
    const char *keys[4] = {"name", "unit", "org", "closing"};
    int any = 0;
    for (int i = 0; i < 4; i++) {
        if (!review_value(v[i]))
            return rv_error_set(err, RV_ERR_ARG, "%s must be \"stated\" or \"not_stated\"", keys[i]);
        any |= v[i] != NULL;
    }
    if (!any) return rv_error_set(err, RV_ERR_ARG, "a review says what was heard of name, unit, org or closing");
    if (!digits(r->ext, 20)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    sqlite3_stmt *st = NULL;
    rv_err rc = RV_OK;
    if (sqlite3_exec(rv_sql_handle(s), "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return rv_sql_error(s, err, "cannot begin");
    if (sqlite3_prepare_v2(rv_sql_handle(s), "SELECT 1 FROM greetings WHERE id = ?1 AND ext = ?2 AND removed = 0", -1, &st,
                           NULL) != SQLITE_OK) {
        rc = rv_sql_error(s, err, "cannot read greetings");
        goto out;
    }
    sqlite3_bind_int64(st, 1, r->greeting_id);
    sqlite3_bind_text(st, 2, r->ext, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    st = NULL;
    if (step != SQLITE_ROW) {
        rc = step == SQLITE_DONE ? rv_error_set(err, RV_ERR_NOT_FOUND, "mailbox %s has no greeting %lld", r->ext,
                                                r->greeting_id)
                                 : rv_sql_error(s, err, "cannot read greetings");
        goto out;
    }
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           "INSERT INTO reviews (greeting_id, name, unit, org, closing, actor, reviewed_at)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = rv_sql_error(s, err, "cannot write reviews");
        goto out;
    }
    sqlite3_bind_int64(st, 1, r->greeting_id);
    for (int i = 0; i < 4; i++) sqlite3_bind_text(st, i + 2, v[i], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, r->now, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = rv_sql_error(s, err, "cannot store the review");
        goto out;
    }
    *id = sqlite3_last_insert_rowid(rv_sql_handle(s));
    sqlite3_finalize(st);
    st = NULL;
    char detail[96];
    snprintf(detail, sizeof detail, "greeting %lld", r->greeting_id);
    rc = rv_store_audit(s, r->now, r->actor, r->remote, "greeting_reviewed", 0, r->ext, detail, err);
out:
    sqlite3_finalize(st);
    if (rc == RV_OK && sqlite3_exec(rv_sql_handle(s), "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = rv_sql_error(s, err, "cannot commit");
    if (rc != RV_OK) {
        sqlite3_exec(rv_sql_handle(s), "ROLLBACK", NULL, NULL, NULL);
        *id = 0;
    }
    return rc;
}

rv_err rv_store_list_review(rv_store *s, const char *after_ext, int limit, json_t **out, int *more, rv_error *err)
{
    *out = NULL;
    *more = 0;
    if (limit < 1 || limit > 500) limit = 50;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           "SELECT m.ext, m.first_name || ' ' || m.last_name, m.unit, g.id, g.received_at, g.review"
                           " FROM mailboxes m JOIN greetings g ON g.id = m.greeting_id"
                           " WHERE g.removed = 0 AND g.review != '' AND m.ext > ?1"
                           " AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.greeting_id = g.id)"
                           " ORDER BY m.ext LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot read greetings");
    sqlite3_bind_text(st, 1, after_ext ? after_ext : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, limit + 1);
    json_t *a = json_array();
    int r, n = 0;
    while (a && (r = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == limit) {
            *more = 1;
            break;
        }
        json_array_append_new(a, json_pack("{s:o,s:o,s:o,s:I,s:o,s:o}", "ext", text_or_null(st, 0), "name",
                                           text_or_null(st, 1), "unit", text_or_null(st, 2), "greeting_id",
                                           (json_int_t)sqlite3_column_int64(st, 3), "received_at",
                                           text_or_null(st, 4), "unsure", split_list(col_text(st, 5))));
        n++;
    }
    rv_err rc = !a ? rv_error_set(err, RV_ERR_NOMEM, "out of memory")
                   : (r != SQLITE_ROW && r != SQLITE_DONE) ? rv_sql_error(s, err, "cannot read greetings") : RV_OK;
    sqlite3_finalize(st);
    if (rc != RV_OK) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return RV_OK;
}

rv_err rv_store_each_reviewed(rv_store *s, void (*fn)(void *user, const rv_reviewed *r), void *user, rv_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rv_sql_handle(s),
                           "SELECT g.id, g.report, r.name, r.unit, r.org, r.closing FROM reviews r"
                           " JOIN greetings g ON g.id = r.greeting_id"
                           " WHERE r.id = (SELECT max(id) FROM reviews WHERE greeting_id = g.id)"
                           " AND g.report IS NOT NULL ORDER BY g.id",
                           -1, &st, NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot read reviews");
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        rv_reviewed v = {.greeting_id = sqlite3_column_int64(st, 0), .report = col_text(st, 1),
                         .name = col_text(st, 2), .unit = col_text(st, 3), .org = col_text(st, 4),
                         .closing = col_text(st, 5)};
        fn(user, &v);
    }
    rv_err rc = r == SQLITE_DONE ? RV_OK : rv_sql_error(s, err, "cannot read reviews");
    sqlite3_finalize(st);
    return rc;
}

/* ---- the owner's recorded name ---- */

rv_err rv_store_set_name_recording(rv_store *s, const char *ext, const rv_audio_blob *blob, const char *content_type,
                                   const char *actor, const char *remote, const char *now_iso, rv_error *err)
{
    if (!digits(ext, 20)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    sqlite3_stmt *st = NULL;
    rv_err rc = RV_OK;
    if (sqlite3_exec(rv_sql_handle(s), "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        rv_audio_release(s, blob);
        return rv_sql_error(s, err, "cannot begin");
    }
    int exists = rv_mailbox_exists(s, ext);
    if (exists <= 0) {
        rc = exists < 0 ? rv_sql_error(s, err, "cannot read mailboxes") : rv_error_set(err, RV_ERR_NOT_FOUND, "no mailbox %s", ext);
        goto out;
    }
    if (rv_audio_index(s, blob) != 0) {
        rc = rv_sql_error(s, err, "cannot index the audio");
        goto out;
    }
    static const char *const sql[] = {
        "UPDATE mailboxes SET name_audio_sha256 = ?1, name_content_type = ?2, name_received_at = ?3 WHERE ext = ?4",
        /* the current greeting's verdict may change: the next sweep analyses it again */
        "UPDATE greetings SET models_version = '' WHERE id = (SELECT greeting_id FROM mailboxes WHERE ext = ?4)",
    };
    for (size_t i = 0; rc == RV_OK && i < sizeof sql / sizeof *sql; i++) {
        if (sqlite3_prepare_v2(rv_sql_handle(s), sql[i], -1, &st, NULL) != SQLITE_OK) {
            rc = rv_sql_error(s, err, "cannot write mailboxes");
            break;
        }
        const char *v[] = {blob->sha256, content_type, now_iso, ext};
        for (int k = 0; k < 4; k++)
            if (sqlite3_bind_parameter_count(st) > k) sqlite3_bind_text(st, k + 1, v[k], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) rc = rv_sql_error(s, err, "cannot store the recorded name");
        sqlite3_finalize(st);
        st = NULL;
    }
    if (rc == RV_OK) rc = rv_store_audit(s, now_iso, actor, remote, "name_recording_received", 0, ext, NULL, err);
out:
    if (rc == RV_OK && sqlite3_exec(rv_sql_handle(s), "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = rv_sql_error(s, err, "cannot commit");
    if (rc != RV_OK) {
        sqlite3_exec(rv_sql_handle(s), "ROLLBACK", NULL, NULL, NULL);
        rv_audio_release(s, blob); /* staged for nothing */
    }
    return rc;
}

rv_err rv_store_name_recording(rv_store *s, const char *ext, char sha256[RV_SHA256_HEX + 1], char *content_type,
                               size_t ct_cap, rv_error *err)
{
    sha256[0] = '\0';
    if (ct_cap) content_type[0] = '\0';
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rv_sql_handle(s), "SELECT name_audio_sha256, name_content_type FROM mailboxes WHERE ext = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return rv_sql_error(s, err, "cannot read mailboxes");
    sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    rv_err rc = RV_OK;
    if (r == SQLITE_ROW && col_text(st, 0)) {
        snprintf(sha256, RV_SHA256_HEX + 1, "%s", col_text(st, 0));
        snprintf(content_type, ct_cap, "%s", col_text(st, 1) ? col_text(st, 1) : "");
    } else if (r == SQLITE_ROW || r == SQLITE_DONE)
        rc = rv_error_set(err, RV_ERR_NOT_FOUND, "mailbox %s has no recorded name", ext);
    else rc = rv_sql_error(s, err, "cannot read mailboxes");
    sqlite3_finalize(st);
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
