/* The web app's sessions and the tokens revoked, shared by every node on
 * the database: the SQL of rv_store_session_* and rv_store_revoke_token.
 * What a session means, and its id, are session.c's. */
#include "store_int.h"

#include <string.h>

#define SESSION_COLS "id_sha256, token_key, name, role, organisations, csrf, used_ms, idle_until_ms"

rv_err rv_store_session_add(rv_store *s, const rv_session_row *r, long per_token, long max, rv_error *err)
{
    int own;
    rv_err rc = rv_sql_tx_begin(s, &own, err);
    if (rc != RV_OK) return rc;
    rc = rv_sql_exec(s, "DELETE FROM sessions WHERE idle_until_ms <= ?1", V_ARGS(V_INT(r->used_ms)),
                     "cannot end idle sessions", err);
    long long mine = rc == RV_OK ? rv_sql_int1(s, "SELECT count(*) FROM sessions WHERE token_key = ?1",
                                               V_ARGS(V_TEXT(r->token_key)))
                                 : 0;
    long long all = rc == RV_OK && mine < per_token ? rv_sql_int1(s, "SELECT count(*) FROM sessions", V_NONE) : 0;
    if (rc == RV_OK && (mine < 0 || all < 0)) rc = rv_sql_error(s, err, "cannot count sessions");
    /* a token signing in again and again ends its own sessions, nobody else's */
    if (rc == RV_OK && mine >= per_token)
        rc = rv_sql_exec(s,
                         "DELETE FROM sessions WHERE seq = (SELECT seq FROM sessions WHERE token_key = ?1"
                         " ORDER BY used_ms, seq LIMIT 1)",
                         V_ARGS(V_TEXT(r->token_key)), "cannot end a session", err);
    else if (rc == RV_OK && all >= max)
        rc = rv_sql_exec(s, "DELETE FROM sessions WHERE seq = (SELECT seq FROM sessions ORDER BY used_ms, seq LIMIT 1)",
                         V_NONE, "cannot end a session", err);
    if (rc == RV_OK)
        rc = rv_sql_exec(s,
                         "INSERT INTO sessions (" SESSION_COLS ", created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?7)",
                         V_ARGS(V_TEXT(r->id_sha256), V_TEXT(r->token_key), V_TEXT(r->name), V_TEXT(r->role),
                                V_TEXT(r->organisations), V_TEXT(r->csrf), V_INT(r->used_ms), V_INT(r->idle_until_ms)),
                         "cannot keep the session", err);
    return rv_sql_tx_end(s, own, rc, err);
}

rv_err rv_store_session_get(rv_store *s, const char *id_sha256, long long now_ms, long long idle_ms,
                            long long touch_ms, rv_session_row *r, rv_error *err)
{
    memset(r, 0, sizeof *r);
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q, "SELECT " SESSION_COLS ", created_ms FROM sessions WHERE id_sha256 = ?1",
                               V_ARGS(V_TEXT(id_sha256)), "cannot read sessions", err);
    if (rc != RV_OK) return rc;
    int step = rv_sql_step(q, err);
    if (step == 1) {
        rv_sql_copy(q, 0, r->id_sha256, sizeof r->id_sha256);
        rv_sql_copy(q, 1, r->token_key, sizeof r->token_key);
        rv_sql_copy(q, 2, r->name, sizeof r->name);
        rv_sql_copy(q, 3, r->role, sizeof r->role);
        rv_sql_copy(q, 4, r->organisations, sizeof r->organisations);
        rv_sql_copy(q, 5, r->csrf, sizeof r->csrf);
        r->used_ms = rv_sql_int(q, 6);
        r->idle_until_ms = rv_sql_int(q, 7);
        r->created_ms = rv_sql_int(q, 8);
    }
    rv_sql_done(q);
    if (step < 0) return err->code;
    if (step == 0) return rv_error_set(err, RV_ERR_NOT_FOUND, "no such session");
    if (r->idle_until_ms <= now_ms) {
        rc = rv_store_session_end(s, id_sha256, err);
        memset(r, 0, sizeof *r);
        return rc != RV_OK ? rc : rv_error_set(err, RV_ERR_NOT_FOUND, "the session has expired");
    }
    if (now_ms - r->used_ms >= touch_ms) {
        /* never moved back: another node may have marked it used later */
        rc = rv_sql_exec(s,
                         "UPDATE sessions SET used_ms = ?2, idle_until_ms = ?3 WHERE id_sha256 = ?1 AND used_ms < ?2",
                         V_ARGS(V_TEXT(id_sha256), V_INT(now_ms), V_INT(now_ms + idle_ms)), "cannot mark a session used",
                         err);
        if (rc != RV_OK) {
            memset(r, 0, sizeof *r);
            return rc;
        }
        r->used_ms = now_ms, r->idle_until_ms = now_ms + idle_ms;
    }
    return RV_OK;
}

rv_err rv_store_session_end(rv_store *s, const char *id_sha256, rv_error *err)
{
    return rv_sql_exec(s, "DELETE FROM sessions WHERE id_sha256 = ?1", V_ARGS(V_TEXT(id_sha256)),
                       "cannot end the session", err);
}

long long rv_store_session_count(rv_store *s) { return rv_sql_int1(s, "SELECT count(*) FROM sessions", V_NONE); }

rv_err rv_store_revoke_token(rv_store *s, const char *token_key, const char *name, const char *now_iso,
                             rv_error *err)
{
    int own;
    rv_err rc = rv_sql_tx_begin(s, &own, err);
    if (rc != RV_OK) return rc;
    rc = rv_sql_exec(s,
                     "INSERT INTO revoked_tokens (token_key, name, revoked_at) VALUES (?1, ?2, ?3)"
                     " ON CONFLICT (token_key) DO NOTHING",
                     V_ARGS(V_TEXT(token_key), V_TEXT(name), V_TEXT(now_iso)), "cannot record a revoked token", err);
    if (rc == RV_OK)
        rc = rv_sql_exec(s, "DELETE FROM sessions WHERE token_key = ?1", V_ARGS(V_TEXT(token_key)),
                         "cannot end a revoked token's sessions", err);
    return rv_sql_tx_end(s, own, rc, err);
}

rv_err rv_store_revocations(rv_store *s, long long after, void (*fn)(void *user, const char *token_key),
                            void *user, long long *last, rv_error *err)
{
    *last = after;
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q, "SELECT seq, token_key FROM revoked_tokens WHERE seq > ?1 ORDER BY seq",
                               V_ARGS(V_INT(after)), "cannot read the revoked tokens", err);
    if (rc != RV_OK) return rc;
    int step;
    while ((step = rv_sql_step(q, err)) == 1) {
        *last = rv_sql_int(q, 0);
        fn(user, rv_sql_text(q, 1));
    }
    if (step < 0) rc = err->code;
    rv_sql_done(q);
    return rc;
}

rv_err rv_store_shared_secret(rv_store *s, const char *name, const char *candidate, char *out, size_t cap,
                              rv_error *err)
{
    out[0] = '\0';
    rv_err rc = rv_sql_exec(s, "INSERT INTO shared_secrets (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                            V_ARGS(V_TEXT(name), V_TEXT(candidate)), "cannot keep a secret", err);
    rv_sql *q;
    if (rc == RV_OK)
        rc = rv_sql_prepare(s, &q, "SELECT value FROM shared_secrets WHERE name = ?1", V_ARGS(V_TEXT(name)),
                            "cannot read a secret", err);
    if (rc != RV_OK) return rc;
    int r = rv_sql_step(q, err);
    if (r == 1) rv_sql_copy(q, 0, out, cap);
    rv_sql_done(q);
    if (r < 0) return err->code;
    return r == 1 ? RV_OK : rv_error_set(err, RV_ERR_IO, "a secret kept is gone");
}
