/* The analyses owed, as rows a worker claims for a lease (analysis_jobs):
 * claiming, renewing, giving up and listing the claims. Made with the voicemail and
 * deleted with its result (store_voicemails.c). */
#include "store_int.h"

#include <stdio.h>
#include <string.h>

rv_err rv_store_claim_analysis(rv_store *s, const char *by, long long now_ms, long long lease_until_ms, long long *id,
                               char sha256[RV_SHA256_HEX + 1], char *content_type, size_t ct_cap, rv_error *err)
{
    *id = 0;
    /* a read first: an idle worker looks without taking the write lock */
    long long any = rv_sql_int1(s,
                                "SELECT count(*) FROM (SELECT 1 FROM analysis_jobs WHERE lease_until_ms IS NULL"
                                " OR lease_until_ms < ?1 LIMIT 1) AS j",
                                V_ARGS(V_INT(now_ms)));
    if (any < 0) return rv_sql_error(s, err, "cannot read the queue");
    if (any == 0) return rv_error_set(err, RV_ERR_NOT_FOUND, "the queue is empty");
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE analysis_jobs SET claimed_by = ?1, lease_until_ms = ?2 WHERE voicemail_id = (SELECT voicemail_id"
             " FROM analysis_jobs WHERE lease_until_ms IS NULL OR lease_until_ms < ?3 ORDER BY voicemail_id LIMIT 1%s)"
             " RETURNING voicemail_id",
             rv_sql_skip_locked(s));
    int own, gone = 0;
    rv_err rc = rv_sql_tx_begin(s, &own, err);
    if (rc != RV_OK) return rc;
    rv_sql *q;
    rc = rv_sql_prepare(s, &q, sql, V_ARGS(V_TEXT(by), V_INT(lease_until_ms), V_INT(now_ms)), "cannot claim an analysis",
                        err);
    if (rc == RV_OK) {
        int r = rv_sql_step(q, err);
        if (r == 1) *id = rv_sql_int(q, 0);
        if (r == 1) r = rv_sql_step(q, err); /* to its end: one row */
        rv_sql_done(q);
        if (r < 0) rc = err->code;
        else if (!*id) rc = rv_error_set(err, RV_ERR_NOT_FOUND, "the queue is empty");
    }
    if (rc == RV_OK) {
        rc = rv_sql_prepare(s, &q, "SELECT audio_sha256, content_type FROM voicemails WHERE id = ?1", V_ARGS(V_INT(*id)),
                            "cannot read the queue", err);
        int r = rc == RV_OK ? rv_sql_step(q, err) : -1;
        if (r == 1) {
            rv_sql_copy(q, 0, sha256, RV_SHA256_HEX + 1);
            rv_sql_copy(q, 1, content_type, ct_cap);
        }
        rv_sql_done(q);
        if (rc == RV_OK && r < 0) rc = err->code;
        else if (r == 0) /* its voicemail is gone: so is the job */
            rc = rv_sql_exec(s, "DELETE FROM analysis_jobs WHERE voicemail_id = ?1", V_ARGS(V_INT(*id)),
                             "cannot drop a job", err);
        gone = rc == RV_OK && r == 0;
    }
    rc = rv_sql_tx_end(s, own, rc, err);
    if (rc == RV_OK && gone) /* the next one */
        return rv_store_claim_analysis(s, by, now_ms, lease_until_ms, id, sha256, content_type, ct_cap, err);
    if (rc != RV_OK) *id = 0;
    return rc;
}

rv_err rv_store_release_analysis(rv_store *s, const char *by, long long id, rv_error *err)
{
    return rv_sql_exec(s,
                       "UPDATE analysis_jobs SET claimed_by = NULL, lease_until_ms = NULL WHERE claimed_by = ?1"
                       " AND (CAST(?2 AS BIGINT) = 0 OR voicemail_id = ?2)",
                       V_ARGS(V_TEXT(by), V_INT(id)), "cannot give up a claim", err);
}

rv_err rv_store_renew_analysis(rv_store *s, const char *by, long long lease_until_ms, rv_error *err)
{
    long long mine = rv_sql_int1(s, "SELECT count(*) FROM analysis_jobs WHERE claimed_by = ?1", V_ARGS(V_TEXT(by)));
    if (mine < 0) return rv_sql_error(s, err, "cannot read the queue");
    if (mine == 0) return RV_OK;
    return rv_sql_exec(s, "UPDATE analysis_jobs SET lease_until_ms = ?2 WHERE claimed_by = ?1 AND lease_until_ms < ?2",
                       V_ARGS(V_TEXT(by), V_INT(lease_until_ms)), "cannot renew a lease", err);
}

rv_err rv_store_analysis_claimants(rv_store *s, void (*fn)(void *user, const char *by), void *user, rv_error *err)
{
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT DISTINCT claimed_by FROM analysis_jobs WHERE claimed_by IS NOT NULL"
                               " ORDER BY claimed_by",
                               V_NONE, "cannot read the queue", err);
    if (rc != RV_OK) return rc;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) fn(user, rv_sql_text(q, 0));
    if (r < 0) rc = err->code;
    rv_sql_done(q);
    return rc;
}
