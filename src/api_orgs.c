/* The API's organisations: the authorities one installation serves, each
 * with its rules, archive identity and mail. The installation's admin
 * makes and changes them; everyone else sees only their own. The route
 * table (api_routes.c) has checked the method and the caller's role. */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rostvakt/calendar.h"
#include "rostvakt/organisation.h"
#include "rostvakt/policy.h"
#include "rostvakt/requests.h"

static json_t *list_json(const char *csv)
{
    json_t *a = json_array();
    for (const char *p = csv; a && *p;) {
        size_t k = strcspn(p, ",");
        json_array_append_new(a, json_stringn(p, k));
        p += k + (p[k] == ',');
    }
    return a;
}

static json_t *org_json(const rv_org *o)
{
    return json_pack("{s:s,s:s,s:o,s:s,s:s,s:s,s:o,s:o,s:o,s:{s:o,s:o},s:{s:o,s:o}}", "id", o->id, "name", o->name,
                     "organisationsnummer", o->orgnr[0] ? json_string(o->orgnr) : json_null(), "calendar", o->calendar,
                     "time_zone", o->time_zone, "profile", o->profile, "diarienummer_pattern",
                     o->diarienummer_pattern[0] ? json_string(o->diarienummer_pattern) : json_null(),
                     "gallringsbeslut", o->gallringsbeslut[0] ? json_string(o->gallringsbeslut) : json_null(),
                     "gallring_covers", list_json(o->gallring_covers), "archival_creator", "name",
                     o->creator_name[0] ? json_string(o->creator_name) : json_null(), "identifier",
                     o->creator_id[0] ? json_string(o->creator_id) : json_null(), "mail", "from",
                     o->mail_from[0] ? json_string(o->mail_from) : json_null(), "officers", list_json(o->officers));
}

/* PUT /v1/organisations/{id}: the installation's admin only. */
rv_answer rv_api_put_org(rv_server *s, rv_req *r, const rv_path *p)
{
    const rv_caller *who = rv_req_caller(r);
    if (who->orgs[0])
        return rv_reply_error(r, RV_ERR_FORBIDDEN, "only the installation's admin makes and changes organisations");
    rv_error e;
    size_t len;
    const char *body = rv_req_body(r, &len);
    rv_org o;
    if (rv_org_parse(p->name, body, len, &o, &e) != RV_OK) return rv_reply_rv_error(r, &e);
    rv_profile prof;
    if (rv_profile_find(s->cfg.profile_dirs, o.profile, &prof, &e) != RV_OK)
        return e.code == RV_ERR_NOT_FOUND || e.code == RV_ERR_ARG
                   ? rv_reply_error(r, RV_ERR_UNPROCESSABLE, "profile: no such policy profile")
                   : rv_reply_rv_error(r, &e);
    char now[32];
    rv_utc_now(now);
    int created = 0;
    rv_err rc;
    RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES,
                   rv_store_put_org(s->db.store, &o, now, who->name, who->remote, &created, &e));
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    return rv_reply_json(r, created ? 201 : 200, org_json(&o));
}

/* GET /v1/organisations/{id}: 404 for one the caller does not act for. */
rv_answer rv_api_get_org(rv_server *s, rv_req *r, const rv_path *p)
{
    const rv_caller *who = rv_req_caller(r);
    if (!rv_org_id_valid(p->name) || !rv_orgs_has(who->orgs, p->name))
        return rv_reply_error(r, RV_ERR_NOT_FOUND, "no such organisation");
    rv_org o;
    rv_error e;
    rv_err rc;
    RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES, rv_store_get_org(s->db.store, p->name, &o, &e));
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    if (rv_audit(&s->db, who->name, who->remote, "organisation_read", 0, NULL, o.id, &e) != RV_OK)
        return rv_reply_rv_error(r, &e);
    return rv_reply_json(r, 200, org_json(&o));
}

/* GET /v1/organisations: those the caller acts for (the installation's
 * admin: all), by id. */
rv_answer rv_api_list_orgs(rv_server *s, rv_req *r, const rv_path *p)
{
    (void)p;
    const rv_caller *who = rv_req_caller(r);
    rv_org *v = NULL;
    size_t n = 0;
    rv_error e;
    rv_err rc;
    RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES, rv_store_list_orgs(s->db.store, who->orgs, &v, &n, &e));
    if (rc != RV_OK) return rv_reply_rv_error(r, &e);
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) json_array_append_new(a, org_json(&v[i]));
    free(v);
    if (rv_audit(&s->db, who->name, who->remote, "organisations_listed", 0, NULL, NULL, &e) != RV_OK) {
        json_decref(a);
        return rv_reply_rv_error(r, &e);
    }
    return rv_reply_json(r, 200, json_pack("{s:o}", "items", a));
}
