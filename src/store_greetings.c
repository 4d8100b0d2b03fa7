/* The store's greetings and what people heard in them: every version of a
 * mailbox's greeting with its analysis, the sweep's re-analysis, reviews,
 * and the greeting summaries of the API's JSON. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rv_greeting_read(rv_sql *q, int c, int report, rv_greeting_summary *g)
{
    memset(g, 0, sizeof *g);
    g->id = rv_sql_int(q, c);
    g->removed = rv_sql_int(q, c + 2) != 0;
    g->bytes = rv_sql_null(q, c + 4) ? -1 : rv_sql_int(q, c + 4);
    g->compliant = rv_sql_null(q, c + 5) ? -1 : rv_sql_int(q, c + 5) != 0;
    if (rv_sql_texts(q, &g->texts,
                     COLS({c + 1, &g->received_at}, {c + 3, &g->content_type}, {c + 6, &g->violations},
                          {c + 7, &g->missing_reason}, {c + 8, &g->absence_until}, {c + 9, &g->profile},
                          {c + 10, &g->audio_sha256}, {c + 11, &g->review}, {c + 12, &g->reviewed_at},
                          {c + 13, &g->reviewed_by}, {report, &g->report})) != 0) {
        memset(g, 0, sizeof *g);
        return -1;
    }
    return 0;
}

void rv_greeting_summary_free(rv_greeting_summary *g)
{
    if (!g) return;
    free(g->texts);
    memset(g, 0, sizeof *g);
}

/* 1, 0 or NULL */
static rv_sqlv compliance_value(rv_compliance c)
{
    return c == RV_COMPLIANCE_UNKNOWN ? V_NULL : V_INT(c == RV_COMPLIANCE_YES);
}

rv_err rv_store_add_greeting(rv_store *s, const rv_greeting_row *g, long long *id, rv_error *err)
{
    *id = 0;
    if (!rv_ext_valid(g->ext)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    if (!g->removed && (!rv_hexn(g->sha256, RV_SHA256_HEX) || (g->blob && strcmp(g->blob->sha256, g->sha256) != 0)))
        return rv_error_set(err, RV_ERR_ARG, "not a SHA-256 in hex");
    int own; /* else the caller's transaction, ended by the caller */
    rv_err rc = rv_sql_tx_begin(s, &own, err);
    if (rc != RV_OK) return rc;
    int exists = rv_mailbox_exists(s, g->ext);
    if (exists <= 0) {
        rc = exists < 0 ? rv_sql_error(s, err, "cannot read mailboxes")
                        : rv_error_set(err, RV_ERR_NOT_FOUND, "no mailbox %s", g->ext);
        goto out;
    }
    if (g->removed) { /* only a greeting there is removed: no empty versions */
        long long there = rv_sql_int1(s,
                                      "SELECT count(*) FROM mailboxes m JOIN greetings g ON g.id = m.greeting_id"
                                      " WHERE m.ext = ?1 AND g.removed = 0",
                                      V_ARGS(V_TEXT(g->ext)));
        if (there <= 0) {
            rc = there < 0 ? rv_sql_error(s, err, "cannot read greetings")
                           : rv_error_set(err, RV_ERR_NOT_FOUND, "mailbox %s has no greeting to remove", g->ext);
            goto out;
        }
    }
    rc = rv_sql_exec(s,
                     "INSERT INTO greetings (ext, audio_sha256, content_type, bytes, received_at, removed,"
                     " report, analysed_at, models_version, compliant, violations, missing_reason,"
                     " absence_until, profile, review, name_text, unit_text, org_text) VALUES (?1, ?2, ?3, ?4, ?5,"
                     " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
                     V_ARGS(V_TEXT(g->ext), V_TEXT(g->removed ? NULL : g->sha256),
                            V_TEXT(g->removed ? NULL : g->content_type), g->removed ? V_NULL : V_INT(g->bytes),
                            V_TEXT(g->received_at), V_INT(g->removed != 0), V_TEXT(g->report),
                            V_TEXT(g->report ? g->received_at : NULL), V_TEXT(g->models_version),
                            compliance_value(g->removed ? RV_COMPLIANCE_NO : g->compliance),
                            V_TEXT(g->violations ? g->violations : ""), V_TEXT(g->missing_reason),
                            V_TEXT(g->absence_until), V_TEXT(g->profile),
                            V_TEXT(g->review && !g->removed ? g->review : ""), V_TEXT(g->sought[0]),
                            V_TEXT(g->sought[1]), V_TEXT(g->sought[2])),
                     "cannot store the greeting", err);
    if (rc != RV_OK) goto out;
    *id = rv_sql_last_id(s);
    if (!g->removed && g->blob && rv_audio_index(s, g->blob) != 0) {
        rc = rv_sql_error(s, err, "cannot index the audio");
        goto out;
    }
    rc = rv_sql_exec(s, "UPDATE mailboxes SET greeting_id = ?1 WHERE ext = ?2", V_ARGS(V_INT(*id), V_TEXT(g->ext)),
                     "cannot update the mailbox", err);
    if (rc == RV_OK && g->actor)
        rc = rv_store_audit(s, g->received_at, g->actor, g->remote, g->removed ? "greeting_removed" : "greeting_received",
                            0, g->ext, NULL, err);
out:
    rc = rv_sql_tx_end(s, own, rc, err);
    if (rc != RV_OK) {
        *id = 0;
        /* staged for nothing; kept while busy: the caller tries it again */
        if (!g->removed && g->blob && rc != RV_ERR_BUSY) rv_audio_release(s, g->blob);
    }
    return rc;
}

rv_err rv_store_list_greetings(rv_store *s, const char *ext, rv_greeting_summary **out, size_t *n, rv_error *err)
{
    *out = NULL;
    *n = 0;
    if (!rv_ext_valid(ext)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    int exists = rv_mailbox_exists(s, ext);
    if (exists <= 0)
        return exists < 0 ? rv_sql_error(s, err, "cannot read mailboxes")
                          : rv_error_set(err, RV_ERR_NOT_FOUND, "no mailbox %s", ext);
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q, "SELECT " GREETING_COLS " FROM greetings g WHERE g.ext = ?1 ORDER BY g.id DESC",
                               V_ARGS(V_TEXT(ext)), "cannot read greetings", err);
    if (rc != RV_OK) return rc;
    rv_greeting_summary *v = NULL;
    size_t k = 0, cap = 0;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) {
        rv_greeting_summary *nv = k < cap ? v : rv_grow(v, &cap, sizeof *v);
        if (!nv) break;
        v = nv;
        if (rv_greeting_read(q, 0, -1, &v[k]) != 0) break;
        k++;
    }
    rv_sql_done(q);
    if (r != 0) {
        rv_greetings_free(v, k);
        return r < 0 ? err->code : rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    *out = v;
    *n = k;
    return RV_OK;
}

void rv_greetings_free(rv_greeting_summary *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) free(v[i].texts);
    free(v);
}

rv_err rv_store_get_greeting(rv_store *s, const char *ext, long long id, rv_greeting_summary *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    if (!rv_ext_valid(ext)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT " GREETING_COLS ", g.report FROM greetings g WHERE g.ext = ?1 AND g.id ="
                               " (CASE WHEN ?2 > 0 THEN ?2 ELSE (SELECT greeting_id FROM mailboxes WHERE ext = ?1) END)",
                               V_ARGS(V_TEXT(ext), V_INT(id)), "cannot read greetings", err);
    if (rc != RV_OK) return rc;
    int r = rv_sql_step(q, err);
    if (r == 1) {
        if (rv_greeting_read(q, 0, GREETING_NCOLS, out) != 0) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    } else if (r != 0) rc = err->code;
    else if (id > 0) rc = rv_error_set(err, RV_ERR_NOT_FOUND, "mailbox %s has no greeting %lld", ext, id);
    else rc = rv_error_set(err, RV_ERR_NOT_FOUND, "mailbox %s has no greeting", ext);
    rv_sql_done(q);
    return rc;
}

rv_err rv_store_current_greetings(rv_store *s, const char *after_ext, rv_current_greeting *out, size_t cap,
                                  size_t *n, rv_error *err)
{
    *n = 0;
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT m.ext, m.first_name, m.last_name, m.unit, m.org, m.profile, m.mobile, g.id,"
                               " g.models_version, g.audio_sha256, g.content_type, g.received_at,"
                               " coalesce(m.organisation, ''), CASE WHEN " SAME_TEXT("g.name_text",
                               "m.first_name || ' ' || m.last_name") " AND " SAME_TEXT("g.unit_text", "m.unit")
                               " AND " SAME_TEXT("g.org_text", "m.org") " THEN 0 ELSE 1 END"
                               " FROM mailboxes m JOIN greetings g ON g.id = m.greeting_id"
                               " WHERE g.removed = 0 AND m.ext > ?1 ORDER BY m.ext LIMIT ?2",
                               V_ARGS(V_TEXT(after_ext ? after_ext : ""), V_INT(cap)), "cannot read greetings", err);
    if (rc != RV_OK) return rc;
    int r = 0;
    while (*n < cap && (r = rv_sql_step(q, err)) == 1) {
        rv_current_greeting *g = &out[(*n)++];
        memset(g, 0, sizeof *g);
        rv_sql_copy(q, 0, g->m.ext, sizeof g->m.ext);
        rv_sql_copy(q, 1, g->m.first_name, sizeof g->m.first_name);
        rv_sql_copy(q, 2, g->m.last_name, sizeof g->m.last_name);
        rv_sql_copy(q, 3, g->m.unit, sizeof g->m.unit);
        rv_sql_copy(q, 4, g->m.org, sizeof g->m.org);
        rv_sql_copy(q, 5, g->m.profile, sizeof g->m.profile);
        rv_sql_copy(q, 6, g->m.mobile, sizeof g->m.mobile);
        g->id = rv_sql_int(q, 7);
        rv_sql_copy(q, 8, g->models_version, sizeof g->models_version);
        rv_sql_copy(q, 9, g->sha256, sizeof g->sha256);
        rv_sql_copy(q, 10, g->content_type, sizeof g->content_type);
        rv_sql_copy(q, 11, g->received_at, sizeof g->received_at);
        rv_sql_copy(q, 12, g->m.organisation, sizeof g->m.organisation);
        g->renamed = rv_sql_int(q, 13) != 0;
    }
    if (*n < cap && r < 0) rc = err->code;
    rv_sql_done(q);
    if (rc != RV_OK) *n = 0;
    return rc;
}

rv_err rv_store_reanalysed_greeting(rv_store *s, long long id, const rv_greeting_row *g, const char *now_iso,
                                    rv_error *err)
{
    rv_err rc = rv_sql_exec(s,
                            "UPDATE greetings SET report = ?1, compliant = ?2, violations = ?3, missing_reason = ?4,"
                            " absence_until = ?5, profile = ?6, models_version = ?7, analysed_at = ?8, review = ?10,"
                            " name_text = ?11, unit_text = ?12, org_text = ?13 WHERE id = ?9",
                            V_ARGS(V_TEXT(g->report), compliance_value(g->compliance),
                                   V_TEXT(g->violations ? g->violations : ""), V_TEXT(g->missing_reason),
                                   V_TEXT(g->absence_until), V_TEXT(g->profile), V_TEXT(g->models_version),
                                   V_TEXT(now_iso), V_INT(id), V_TEXT(g->review ? g->review : ""),
                                   V_TEXT(g->sought[0]), V_TEXT(g->sought[1]), V_TEXT(g->sought[2])),
                            "cannot update a greeting", err);
    if (rc == RV_OK && rv_sql_changes(s) == 0) rc = rv_error_set(err, RV_ERR_NOT_FOUND, "no greeting %lld", id);
    return rc;
}

/* ---- reviews ---- */

/* The latest answer to element X among the reviews of greeting g's
 * recording that meet cond. */
#define LATEST_OF(X, cond)                                                                      \
    "(SELECT r." X " FROM " REVIEWS_OF("g") " AND r." X " IS NOT NULL AND " cond                  \
    " ORDER BY r.id DESC LIMIT 1)"

rv_err rv_store_latest_review(rv_store *s, const char *ext, const char *sha256, const char *const sought[3],
                              rv_heard *out, int *found, rv_error *err)
{
    memset(out, 0, sizeof *out);
    *found = 0;
    rv_sql *q;
    /* each element's latest answer, of those about what is sought now: the
     * recording (?1, ?2) as a greeting of no id of its own, g */
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT " LATEST_OF("name", SAME_TEXT("r.name_text", "?3")) ", "
                               LATEST_OF("unit", SAME_TEXT("r.unit_text", "?4")) ", "
                               LATEST_OF("org", SAME_TEXT("r.org_text", "?5")) ", "
                               LATEST_OF("closing", "1 = 1") ","
                               " CASE WHEN EXISTS (SELECT 1 FROM " REVIEWS_OF("g") ") THEN 1 ELSE 0 END"
                               " FROM (SELECT CAST(NULL AS bigint) AS id, CAST(?1 AS text) AS ext,"
                               " CAST(?2 AS text) AS audio_sha256) g",
                               V_ARGS(V_TEXT(ext), V_TEXT(sha256), V_TEXT(sought[0]), V_TEXT(sought[1]),
                                      V_TEXT(sought[2])),
                               "cannot read reviews", err);
    if (rc != RV_OK) return rc;
    int r = rv_sql_step(q, err);
    if (r == 1 && rv_sql_int(q, 4)) {
        *found = 1;
        rv_sql_copy(q, 0, out->name, sizeof out->name);
        rv_sql_copy(q, 1, out->unit, sizeof out->unit);
        rv_sql_copy(q, 2, out->org, sizeof out->org);
        rv_sql_copy(q, 3, out->closing, sizeof out->closing);
    }
    if (r < 0) rc = err->code;
    rv_sql_done(q);
    return rc;
}

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
    if (!rv_ext_valid(r->ext)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    int own;
    rv_err rc = rv_sql_tx_begin(s, &own, err);
    if (rc != RV_OK) return rc;
    /* A review of the sample stands for sample_every greetings, any other
     * for one; a review of a recording already reviewed about the same
     * texts (this greeting or the same audio sent again) corrects the
     * latest and stands for what it stood for. */
    rv_sql *q;
    long long weight = 1;
    rc = rv_sql_prepare(s, &q,
                        "SELECT coalesce((SELECT r.weight FROM " REVIEWS_OF("g") " AND " ABOUT_SOUGHT("r", "g")
                        " ORDER BY r.id DESC LIMIT 1),"
                        " CASE WHEN ?4 <> 0 AND " SURE_SAMPLE_SQL("g", "3") " THEN ?3 ELSE 1 END)"
                        " FROM greetings g WHERE g.id = ?1 AND g.ext = ?2 AND g.removed = 0",
                        V_ARGS(V_INT(r->greeting_id), V_TEXT(r->ext), V_INT(r->sample_every > 1 ? r->sample_every : 0),
                               V_INT(r->whole != 0)),
                        "cannot read greetings", err);
    if (rc == RV_OK) {
        int step = rv_sql_step(q, err);
        if (step == 1) weight = rv_sql_int(q, 0);
        rv_sql_done(q);
        if (step != 1)
            rc = step == 0 ? rv_error_set(err, RV_ERR_NOT_FOUND, "mailbox %s has no greeting %lld", r->ext,
                                          r->greeting_id)
                           : err->code;
    }
    if (rc == RV_OK)
        rc = rv_sql_exec(s,
                         "INSERT INTO reviews (greeting_id, name, unit, org, closing, actor, reviewed_at, weight,"
                         " name_text, unit_text, org_text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                         V_ARGS(V_INT(r->greeting_id), V_TEXT(v[0]), V_TEXT(v[1]), V_TEXT(v[2]), V_TEXT(v[3]),
                                V_TEXT(r->actor), V_TEXT(r->now), V_INT(weight), V_TEXT(r->asked[0]),
                                V_TEXT(r->asked[1]), V_TEXT(r->asked[2])),
                         "cannot store the review", err);
    if (rc == RV_OK) {
        *id = rv_sql_last_id(s);
        char detail[96];
        snprintf(detail, sizeof detail, "greeting %lld", r->greeting_id);
        rc = rv_store_audit(s, r->now, r->actor, r->remote, "greeting_reviewed", 0, r->ext, detail, err);
    }
    if (rc == RV_OK && r->set_verdict)
        rc = rv_sql_exec(s, "UPDATE greetings SET compliant = ?2, violations = ?3 WHERE id = ?1",
                         V_ARGS(V_INT(r->greeting_id), compliance_value(r->compliance),
                                V_TEXT(r->violations ? r->violations : "")),
                         "cannot update the greeting", err);
    rc = rv_sql_tx_end(s, own, rc, err);
    if (rc != RV_OK) *id = 0;
    return rc;
}

rv_err rv_store_list_review(rv_store *s, const char *after_ext, int limit, int sample_every, const rv_scope *scope,
                            const char *unit, rv_review_item **out, size_t *nout, int *more, rv_error *err)
{
    *out = NULL;
    *nout = 0;
    *more = 0;
    if (limit < 1 || limit > 500) limit = 50;
    if (sample_every < 0) sample_every = 0;
    /* a sure verdict: verified (a verdict either way), not a missing greeting */
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT x.ext, x.name, x.unit, x.id, x.received_at, x.review, x.sample, x.compliant,"
                               " x.violations, x.report, x.org, " TO_HEAR("x.open", "x") ""
                               " FROM (SELECT m.ext, m.first_name || ' ' || m.last_name AS name, m.unit, g.id,"
                               " g.received_at, g.review, CASE WHEN g.review = '' THEN 1 ELSE 0 END AS sample,"
                               " g.compliant, g.violations, g.report, m.org, " STILL_OPEN("g") " AS open,"
                               " " REVIEWED_ABOUT("g") " AS reviewed"
                               " FROM mailboxes m JOIN greetings g ON g.id = m.greeting_id"
                               " WHERE g.removed = 0 AND m.ext > ?1"
                               " AND (g.review != '' OR " SURE_SAMPLE_SQL("g", "6") ")"
                               " AND (?7 IS NULL OR rv_unit_key(m.unit) = rv_unit_key(?7))"
                               " AND " SCOPE_SQL("m", "3", "4", "5") ") x"
                               /* not HEARD("g"), each computed once */
                               " WHERE NOT (x.reviewed AND " DONE_IF_OPEN("x.open") ") ORDER BY x.ext LIMIT ?2",
                               V_ARGS(V_TEXT(after_ext ? after_ext : ""), V_INT(limit + 1),
                                      V_TEXT(scope ? scope->orgs : NULL), V_TEXT(scope ? scope->manager : NULL),
                                      V_TEXT(scope ? scope->units : NULL), V_INT(sample_every), V_TEXT(unit)),
                               "cannot read greetings",
                               err);
    if (rc != RV_OK) return rc;
    rv_review_item *v = NULL;
    size_t n = 0, cap = 0;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) {
        if (n == (size_t)limit) {
            *more = 1;
            r = 0;
            break;
        }
        rv_review_item *nv = n < cap ? v : rv_grow(v, &cap, sizeof *v);
        if (!nv) break;
        v = nv;
        rv_review_item *w = &v[n];
        w->greeting_id = rv_sql_int(q, 3);
        w->sample = rv_sql_int(q, 6) != 0;
        w->compliant = (int)rv_sql_int(q, 7);
        if (rv_sql_texts(q, &w->texts,
                         COLS({0, &w->ext}, {1, &w->name}, {2, &w->unit}, {4, &w->received_at}, {5, &w->unsure},
                              {8, &w->violations}, {9, &w->report}, {10, &w->org}, {11, &w->open})) != 0)
            break;
        n++;
    }
    rv_sql_done(q);
    if (r != 0) {
        rv_review_items_free(v, n);
        *more = 0;
        return r < 0 ? err->code : rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    *out = v;
    *nout = n;
    return RV_OK;
}

void rv_review_items_free(rv_review_item *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) free(v[i].texts);
    free(v);
}

rv_err rv_store_each_reviewed(rv_store *s, void (*fn)(void *user, const rv_reviewed *r), void *user, rv_error *err)
{
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT g.id, g.report, " LATEST_OF("name", SAME_TEXT("r.name_text", "g.name_text")) ", "
                               LATEST_OF("unit", SAME_TEXT("r.unit_text", "g.unit_text")) ", "
                               LATEST_OF("org", SAME_TEXT("r.org_text", "g.org_text")) ", "
                               LATEST_OF("closing", "1 = 1") ", r.weight"
                               " FROM reviews r"
                               " JOIN greetings g ON g.id = r.greeting_id"
                               " WHERE r.id = (SELECT max(r.id) FROM " REVIEWS_OF("g") ")"
                               " AND g.report IS NOT NULL ORDER BY g.id",
                               V_NONE, "cannot read reviews", err);
    if (rc != RV_OK) return rc;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) {
        rv_reviewed v = {.greeting_id = rv_sql_int(q, 0), .report = rv_sql_text(q, 1), .name = rv_sql_text(q, 2),
                         .unit = rv_sql_text(q, 3), .org = rv_sql_text(q, 4), .closing = rv_sql_text(q, 5),
                         .weight = (int)rv_sql_int(q, 6)};
        fn(user, &v);
    }
    if (r < 0) rc = err->code;
    rv_sql_done(q);
    return rc;
}
