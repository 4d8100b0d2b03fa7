/* The store's directory: mailboxes as the PBX sends them, the owners'
 * recordings of their names, and the mailbox list of the API. Greetings
 * are store_greetings.c's. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rv_ext_valid(const char *ext)
{
    size_t n = ext ? strlen(ext) : 0;
    if (n < 1 || n > 20) return 0;
    for (size_t i = 0; i < n; i++)
        if (ext[i] < '0' || ext[i] > '9') return 0;
    return 1;
}

int rv_mailbox_exists(rv_store *s, const char *ext)
{
    rv_sql *q;
    rv_error e;
    if (rv_sql_prepare(s, &q, "SELECT 1 FROM mailboxes WHERE ext = ?1", V_ARGS(V_TEXT(ext)), "cannot read mailboxes",
                       &e) != RV_OK)
        return -1;
    int r = rv_sql_step(q, NULL);
    rv_sql_done(q);
    return r;
}

rv_err rv_store_put_mailbox(rv_store *s, const rv_mailbox *m, const char *now_iso, int *created,
                            rv_error *err)
{
    *created = 0;
    int own; /* else the caller's transaction, ended by the caller */
    rv_err rc = rv_sql_tx_begin(s, &own, err);
    if (rc != RV_OK) return rc;
    int exists = rv_mailbox_exists(s, m->ext);
    if (exists < 0) rc = rv_sql_error(s, err, "cannot read mailboxes");
    const char *org = m->organisation[0] ? m->organisation : NULL;
    if (rc == RV_OK && org) {
        long long known = rv_sql_int1(s, "SELECT count(*) FROM organisations WHERE id = ?1", V_ARGS(V_TEXT(org)));
        if (known < 0) rc = rv_sql_error(s, err, "cannot read organisations");
        else if (!known) rc = rv_error_set(err, RV_ERR_UNPROCESSABLE, "organisation: no such organisation");
    }
    if (rc == RV_OK && exists && org) { /* a record stays with the authority that received it */
        long long moved = rv_sql_int1(s,
                                      "SELECT count(*) FROM mailboxes m WHERE m.ext = ?1 AND m.organisation IS NOT ?2"
                                      " AND EXISTS (SELECT 1 FROM voicemails v WHERE v.ext = m.ext)",
                                      V_ARGS(V_TEXT(m->ext), V_TEXT(org)));
        if (moved < 0) rc = rv_sql_error(s, err, "cannot read mailboxes");
        else if (moved)
            rc = rv_error_set(err, RV_ERR_CONFLICT,
                              "organisation: the mailbox holds voicemails of its organisation; it cannot move");
    }
    if (rc == RV_OK) {
        *created = !exists;
        rc = rv_sql_exec(s,
                         "INSERT INTO mailboxes (ext, first_name, last_name, unit, org, profile, mobile,"
                         " created_at, updated_at, email, organisation) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9,"
                         " coalesce(?10, (SELECT o.id FROM organisations o WHERE o.name = ?5 AND ?5 <> '')))"
                         " ON CONFLICT(ext) DO UPDATE SET first_name = ?2, last_name = ?3, unit = ?4,"
                         " org = ?5, profile = ?6, mobile = ?7, updated_at = ?8, email = ?9,"
                         " organisation = coalesce(?10, mailboxes.organisation,"
                         " (SELECT o.id FROM organisations o WHERE o.name = ?5 AND ?5 <> ''))",
                         V_ARGS(V_TEXT(m->ext), V_TEXT(m->first_name), V_TEXT(m->last_name), V_TEXT(m->unit),
                                V_TEXT(m->org), V_TEXT(m->profile), V_TEXT(m->mobile), V_TEXT(now_iso),
                                V_TEXT(m->email), V_TEXT(org)),
                         "cannot store the mailbox", err);
    }
    return rv_sql_tx_end(s, own, rc, err);
}

/* Columns i.. i+6 as a mailbox's ext, names, unit, org, profile, mobile. */
static void read_mailbox(rv_sql *q, int i, rv_mailbox *m)
{
    rv_sql_copy(q, i, m->ext, sizeof m->ext);
    rv_sql_copy(q, i + 1, m->first_name, sizeof m->first_name);
    rv_sql_copy(q, i + 2, m->last_name, sizeof m->last_name);
    rv_sql_copy(q, i + 3, m->unit, sizeof m->unit);
    rv_sql_copy(q, i + 4, m->org, sizeof m->org);
    rv_sql_copy(q, i + 5, m->profile, sizeof m->profile);
    rv_sql_copy(q, i + 6, m->mobile, sizeof m->mobile);
    rv_sql_copy(q, i + 7, m->organisation, sizeof m->organisation);
}

rv_err rv_store_get_mailbox(rv_store *s, const char *ext, rv_mailbox *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    if (!rv_ext_valid(ext)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT ext, first_name, last_name, unit, org, profile, mobile, organisation FROM mailboxes"
                               " WHERE ext = ?1",
                               V_ARGS(V_TEXT(ext)), "cannot read mailboxes", err);
    if (rc != RV_OK) return rc;
    int r = rv_sql_step(q, err);
    if (r == 1) read_mailbox(q, 0, out);
    else rc = r == 0 ? rv_error_set(err, RV_ERR_NOT_FOUND, "no mailbox %s", ext) : err->code;
    rv_sql_done(q);
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
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT first_name || ' ' || last_name, unit FROM mailboxes WHERE ext IS NOT ?1"
                               " ORDER BY ext",
                               V_ARGS(V_TEXT(ext)), "cannot read mailboxes", err);
    if (rc != RV_OK) return rc;
    char **v = NULL, **u = NULL;
    size_t k = 0, cap = 0;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) {
        if (k == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nv = realloc(v, nc * sizeof *nv);
            if (nv) v = nv;
            char **nu = nv ? realloc(u, nc * sizeof *nu) : NULL;
            if (nu) u = nu;
            if (!nv || !nu) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); break; }
            cap = nc;
        }
        const char *t = rv_sql_text(q, 0), *t2 = rv_sql_text(q, 1);
        v[k] = strdup(t ? t : "");
        u[k] = v[k] ? strdup(t2 ? t2 : "") : NULL;
        if (!u[k]) {
            free(v[k]);
            rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
            break;
        }
        k++;
    }
    if (rc == RV_OK && r != 0) rc = err->code;
    rv_sql_done(q);
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

rv_err rv_store_list_mailboxes(rv_store *s, const rv_mb_query *mq, rv_mailbox_row **out, size_t *nout, int *more,
                               rv_error *err)
{
    *out = NULL;
    *nout = 0;
    *more = 0;
    /* compliant: the current greeting exists, is not removed, and was found compliant */
    const char *sql =
        "SELECT m.ext, m.first_name, m.last_name, m.unit, m.org, m.profile, m.mobile, g.id IS NOT NULL, " GREETING_COLS
        ", m.name_received_at, m.email, m.organisation FROM mailboxes m LEFT JOIN greetings g ON g.id = m.greeting_id"
        " WHERE (?1 = 0 OR (?1 = 1) = (coalesce(g.compliant, 0) = 1 AND g.removed = 0))"
        " AND (?2 IS NULL OR rv_unit_key(m.unit) = rv_unit_key(?2)) AND (?3 IS NULL OR m.ext > ?3) AND (?5 IS NULL OR m.ext = ?5)"
        " AND (?6 IS NULL OR lower(m.email) = lower(?6)) AND " SCOPE_SQL("m", "7", "8", "9") " ORDER BY m.ext LIMIT ?4";
    int limit = mq->limit > 0 && mq->limit <= 500 ? mq->limit : 50;
    rv_sql *q;
    rv_err rc = rv_sql_prepare(
        s, &q, sql,
        V_ARGS(V_INT(mq->compliant == RV_MB_COMPLIANT ? 1 : mq->compliant == RV_MB_NOT_COMPLIANT ? 2 : 0),
               V_TEXT(mq->unit), V_TEXT(mq->after_ext), V_INT(limit + 1), V_TEXT(mq->ext), V_TEXT(mq->email),
               V_TEXT(mq->scope.orgs), V_TEXT(mq->scope.manager), V_TEXT(mq->scope.units)),
        "cannot list mailboxes", err);
    if (rc != RV_OK) return rc;
    rv_mailbox_row *v = NULL;
    size_t n = 0, cap = 0;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) {
        if (n == (size_t)limit) {
            *more = 1;
            r = 0;
            break;
        }
        rv_mailbox_row *nv = n < cap ? v : rv_grow(v, &cap, sizeof *v);
        if (!nv) break;
        v = nv;
        rv_mailbox_row *m = &v[n];
        memset(m, 0, sizeof *m);
        m->has_greeting = rv_sql_int(q, 7) != 0;
        if (m->has_greeting && rv_greeting_read(q, 8, -1, &m->greeting) != 0) break;
        if (rv_sql_texts(q, &m->texts,
                         COLS({0, &m->ext}, {1, &m->first_name}, {2, &m->last_name}, {3, &m->unit}, {4, &m->org},
                              {5, &m->profile}, {6, &m->mobile}, {8 + GREETING_NCOLS, &m->name_recording_at},
                              {9 + GREETING_NCOLS, &m->email}, {10 + GREETING_NCOLS, &m->organisation})) != 0) {
            free(m->greeting.texts);
            break;
        }
        n++;
    }
    rv_sql_done(q);
    if (r != 0) {
        rv_mailbox_rows_free(v, n);
        *more = 0;
        return r < 0 ? err->code : rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    *out = v;
    *nout = n;
    return RV_OK;
}

void rv_mailbox_rows_free(rv_mailbox_row *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].texts);
        free(v[i].greeting.texts);
    }
    free(v);
}

/* ---- the owner's recorded name ---- */

rv_err rv_store_set_name_recording(rv_store *s, const char *ext, const rv_audio_blob *blob, const char *content_type,
                                   const char *actor, const char *remote, const char *now_iso, rv_error *err)
{
    if (!rv_ext_valid(ext)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    rv_err rc = rv_store_begin(s, err);
    if (rc != RV_OK) {
        if (rc != RV_ERR_BUSY) rv_audio_release(s, blob); /* busy: the caller tries it again */
        return rc;
    }
    int exists = rv_mailbox_exists(s, ext);
    if (exists <= 0)
        rc = exists < 0 ? rv_sql_error(s, err, "cannot read mailboxes") : rv_error_set(err, RV_ERR_NOT_FOUND, "no mailbox %s", ext);
    else if (rv_audio_index(s, blob) != 0)
        rc = rv_sql_error(s, err, "cannot index the audio");
    static const char *const sql[] = {
        "UPDATE mailboxes SET name_audio_sha256 = ?1, name_content_type = ?2, name_received_at = ?3 WHERE ext = ?4",
        /* the current greeting's verdict may change: the next sweep analyses it again */
        "UPDATE greetings SET models_version = '' WHERE id = (SELECT greeting_id FROM mailboxes WHERE ext = ?4)",
    };
    for (size_t i = 0; rc == RV_OK && i < sizeof sql / sizeof *sql; i++)
        rc = rv_sql_exec(s, sql[i], V_ARGS(V_TEXT(blob->sha256), V_TEXT(content_type), V_TEXT(now_iso), V_TEXT(ext)),
                         "cannot store the recorded name", err);
    if (rc == RV_OK) rc = rv_store_audit(s, now_iso, actor, remote, "name_recording_received", 0, ext, NULL, err);
    rc = rv_store_end(s, rc, err);
    if (rc != RV_OK && rc != RV_ERR_BUSY) rv_audio_release(s, blob); /* staged for nothing; busy: tried again */
    return rc;
}

rv_err rv_store_name_recording(rv_store *s, const char *ext, char sha256[RV_SHA256_HEX + 1], char *content_type,
                               size_t ct_cap, rv_error *err)
{
    sha256[0] = '\0';
    if (ct_cap) content_type[0] = '\0';
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q, "SELECT name_audio_sha256, name_content_type FROM mailboxes WHERE ext = ?1",
                               V_ARGS(V_TEXT(ext)), "cannot read mailboxes", err);
    if (rc != RV_OK) return rc;
    int r = rv_sql_step(q, err);
    if (r == 1 && rv_sql_text(q, 0)) {
        rv_sql_copy(q, 0, sha256, RV_SHA256_HEX + 1);
        rv_sql_copy(q, 1, content_type, ct_cap);
    } else if (r >= 0)
        rc = rv_error_set(err, RV_ERR_NOT_FOUND, "mailbox %s has no recorded name", ext);
    else rc = err->code;
    rv_sql_done(q);
    return rc;
}
