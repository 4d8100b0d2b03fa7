/* The authorities one installation serves (organisations), and whose a
 * mailbox or voicemail is, for the API's scoping. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORG_COLS                                                                                              \
    "id, name, orgnr, calendar, time_zone, profile, diarienummer_pattern, gallringsbeslut, gallring_covers," \
    " creator_name, creator_id, mail_from, officers"

static void read_org(rv_sql *q, rv_org *o)
{
    char *dst[] = {o->id, o->name, o->orgnr, o->calendar, o->time_zone, o->profile, o->diarienummer_pattern,
                   o->gallringsbeslut, o->gallring_covers, o->creator_name, o->creator_id, o->mail_from,
                   o->officers};
    size_t cap[] = {sizeof o->id, sizeof o->name, sizeof o->orgnr, sizeof o->calendar, sizeof o->time_zone,
                    sizeof o->profile, sizeof o->diarienummer_pattern, sizeof o->gallringsbeslut,
                    sizeof o->gallring_covers, sizeof o->creator_name, sizeof o->creator_id, sizeof o->mail_from,
                    sizeof o->officers};
    for (int i = 0; i < 13; i++) rv_sql_copy(q, i, dst[i], cap[i]);
}

rv_err rv_store_put_org(rv_store *s, const rv_org *o, const char *now_iso, const char *actor, const char *remote,
                        int *created, rv_error *err)
{
    *created = 0;
    rv_err rc = rv_store_begin(s, err);
    if (rc != RV_OK) return rc;
    long long had = rv_sql_int1(s, "SELECT count(*) FROM organisations WHERE id = ?1", V_ARGS(V_TEXT(o->id)));
    if (had < 0) rc = rv_sql_error(s, err, "cannot read organisations");
    /* a PBX's mailbox without an organisation takes the one its org is the
     * name of: two of one name would make that a matter of chance */
    if (rc == RV_OK) {
        rv_sql *q = NULL;
        rc = rv_sql_prepare(s, &q, "SELECT id FROM organisations WHERE name = ?1 AND id <> ?2",
                            V_ARGS(V_TEXT(o->name), V_TEXT(o->id)), "cannot read organisations", err);
        int r = rc == RV_OK ? rv_sql_step(q, err) : 0;
        if (r == 1) {
            char other[64];
            rv_sql_copy(q, 0, other, sizeof other);
            rc = rv_error_set(err, RV_ERR_CONFLICT, "name: organisation %s is named so already", other);
        } else if (r < 0) rc = err->code;
        rv_sql_done(q);
    }
    if (rc == RV_OK)
        rc = rv_sql_exec(s,
                         "INSERT INTO organisations (" ORG_COLS ", created_at, updated_at) VALUES (?1, ?2, ?3, ?4,"
                         " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14) ON CONFLICT(id) DO UPDATE SET"
                         " name = ?2, orgnr = ?3, calendar = ?4, time_zone = ?5, profile = ?6,"
                         " diarienummer_pattern = ?7, gallringsbeslut = ?8, gallring_covers = ?9,"
                         " creator_name = ?10, creator_id = ?11, mail_from = ?12, officers = ?13, updated_at = ?14",
                         V_ARGS(V_TEXT(o->id), V_TEXT(o->name), V_TEXT(o->orgnr), V_TEXT(o->calendar),
                                V_TEXT(o->time_zone), V_TEXT(o->profile), V_TEXT(o->diarienummer_pattern),
                                V_TEXT(o->gallringsbeslut), V_TEXT(o->gallring_covers), V_TEXT(o->creator_name),
                                V_TEXT(o->creator_id), V_TEXT(o->mail_from), V_TEXT(o->officers), V_TEXT(now_iso)),
                         "cannot store the organisation", err);
    if (rc == RV_OK) {
        *created = had == 0;
        rc = rv_store_audit_of(s, o->id, now_iso, actor, remote, had ? "organisation_updated" : "organisation_created",
                               o->id, err);
    }
    return rv_store_end(s, rc, err);
}

rv_err rv_store_get_org(rv_store *s, const char *id, rv_org *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q, "SELECT " ORG_COLS " FROM organisations WHERE id = ?1", V_ARGS(V_TEXT(id)),
                               "cannot read organisations", err);
    if (rc != RV_OK) return rc;
    int r = rv_sql_step(q, err);
    if (r == 1) read_org(q, out);
    else rc = r == 0 ? rv_error_set(err, RV_ERR_NOT_FOUND, "no such organisation") : err->code;
    rv_sql_done(q);
    return rc;
}

rv_err rv_store_list_orgs(rv_store *s, const char *orgs, rv_org **out, size_t *n, rv_error *err)
{
    *out = NULL;
    *n = 0;
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT " ORG_COLS " FROM organisations WHERE nullif(?1, '') IS NULL"
                               " OR instr(?1, ',' || id || ',') > 0 ORDER BY id",
                               V_ARGS(V_TEXT(orgs)), "cannot read organisations", err);
    if (rc != RV_OK) return rc;
    rv_org *v = NULL;
    size_t k = 0, cap = 0;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) {
        if (k == cap) {
            size_t nc = cap ? cap * 2 : 8;
            rv_org *nv = realloc(v, nc * sizeof *nv);
            if (!nv) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); break; }
            v = nv, cap = nc;
        }
        read_org(q, &v[k++]);
    }
    if (rc == RV_OK && r != 0) rc = err->code;
    rv_sql_done(q);
    if (rc != RV_OK) {
        free(v);
        return rc;
    }
    *out = v;
    *n = k;
    return RV_OK;
}

int rv_store_whose(rv_store *s, const char *ext, long long id, const rv_scope *scope, char org[48], int *seen,
                   rv_error *err)
{
    org[0] = '\0';
    *seen = 0;
    rv_sql *q;
    if (rv_sql_prepare(s, &q,
                       "SELECT coalesce(m.organisation, ''), " SCOPE_SQL("m", "3", "4", "5") " FROM mailboxes m"
                       " WHERE m.ext = coalesce(nullif(?1, ''), (SELECT v.ext FROM voicemails v WHERE v.id = ?2))",
                       V_ARGS(V_TEXT(ext ? ext : ""), V_INT(id), V_TEXT(scope->orgs), V_TEXT(scope->manager),
                              V_TEXT(scope->units)),
                       "cannot read mailboxes", err) != RV_OK)
        return -1;
    int r = rv_sql_step(q, err);
    if (r == 1) {
        rv_sql_copy(q, 0, org, 48);
        *seen = rv_sql_int(q, 1) != 0;
    }
    rv_sql_done(q);
    return r;
}

long long rv_store_mailbox_voicemails(rv_store *s, const char *ext)
{
    return rv_sql_int1(s, "SELECT count(*) FROM voicemails WHERE ext = ?1", V_ARGS(V_TEXT(ext)));
}

rv_err rv_archive_creator(rv_store *s, rv_vm_archive *v, rv_error *err)
{
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT coalesce(nullif(o.creator_name, ''), o.name), o.creator_id, o.calendar"
                               " FROM voicemails v"
                               " JOIN mailboxes m ON m.ext = v.ext JOIN organisations o ON o.id = m.organisation"
                               " WHERE v.id = ?1",
                               V_ARGS(V_INT(v->id)), "cannot read organisations", err);
    if (rc != RV_OK) return rc;
    int r = rv_sql_step(q, err);
    if (r == 1) {
        rv_sql_copy(q, 0, v->creator_name, sizeof v->creator_name);
        rv_sql_copy(q, 1, v->creator_id, sizeof v->creator_id);
        rv_sql_copy(q, 2, v->calendar, sizeof v->calendar);
    } else if (r < 0) rc = err->code;
    rv_sql_done(q);
    return rc;
}

rv_err rv_store_mailbox_orgs(rv_store *s, void (*fn)(void *user, const char *ext, const char *org), void *user,
                             rv_error *err)
{
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q, "SELECT ext, organisation FROM mailboxes WHERE organisation IS NOT NULL",
                               V_NONE, "cannot read mailboxes", err);
    if (rc != RV_OK) return rc;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) fn(user, rv_sql_text(q, 0), rv_sql_text(q, 1));
    if (r < 0) rc = err->code;
    rv_sql_done(q);
    return rc;
}

rv_err rv_store_scope_mailboxes(rv_store *s, const rv_scope *scope,
                                void (*fn)(void *user, const char *ext, const char *org, const char *unit_key),
                                void *user, rv_error *err)
{
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT m.ext, coalesce(m.organisation, ''), rv_unit_key(m.unit) FROM mailboxes m"
                               " WHERE " SCOPE_SQL("m", "1", "2", "3"),
                               V_ARGS(V_TEXT(scope->orgs), V_TEXT(scope->manager), V_TEXT(scope->units)), "cannot read mailboxes", err);
    if (rc != RV_OK) return rc;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) fn(user, rv_sql_text(q, 0), rv_sql_text(q, 1), rv_sql_text(q, 2));
    if (r < 0) rc = err->code;
    rv_sql_done(q);
    return rc;
}

rv_err rv_store_settle_calendars(rv_store *s, int (*calendar_of)(void *user, const char *profile, char cal[4]),
                                 void *user, int *settled, rv_error *err)
{
    *settled = 0;
    rv_org *v = NULL;
    size_t n = 0;
    rv_err rc = rv_store_list_orgs(s, NULL, &v, &n, err);
    for (size_t i = 0; rc == RV_OK && i < n; i++) {
        if (v[i].calendar[0]) continue;
        char cal[4] = "";
        if (!calendar_of(user, v[i].profile, cal) || strcmp(cal, "AX") != 0) snprintf(cal, sizeof cal, "SE");
        rc = rv_sql_exec(s, "UPDATE organisations SET calendar = ?2, time_zone = ?3 WHERE id = ?1 AND calendar = ''",
                         V_ARGS(V_TEXT(v[i].id), V_TEXT(cal),
                                V_TEXT(strcmp(cal, "AX") == 0 ? "Europe/Mariehamn" : "Europe/Stockholm")),
                         "cannot write organisations", err);
        if (rc == RV_OK) *settled += (int)rv_sql_changes(s);
    }
    free(v);
    return rc;
}
