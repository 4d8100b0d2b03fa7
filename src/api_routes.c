/* The API's one route table: each route's method, path, roles, body and
 * handler, and what docs/api.md says of it. http.c checks the role from it
 * before a body is read, answers 405 with Allow from it, and dispatches;
 * `rostvakt routes --markdown` prints it for docs/api.md (make readme).
 * A new route is a line here and a handler in the api_ file of its
 * resource. */
#include "api.h"

#include <stdio.h>
#include <string.h>

#define PBX ROLE(RV_ROLE_PBX)
#define OFFICER ROLE(RV_ROLE_OFFICER)
#define ADMIN ROLE(RV_ROLE_ADMIN)

const rv_route rv_routes[] = {
    {"GET", "/healthz", RV_PUBLIC, RV_BODY_NONE, rv_api_healthz, NULL, NULL, "200 the database answers",
     "503 it does not"},
    {"GET", "/metrics", RV_PUBLIC, RV_BODY_NONE, rv_api_metrics, NULL,
     "`metrics_access`: this machine or anyone signed in (default)", "200 Prometheus text", "401"},
    {"PUT", "/v1/mailboxes/{ext}", PBX | ADMIN, RV_BODY_JSON, rv_api_put_mailbox, "", NULL,
     "201 new, 200 updated", "400, 409, 413, 422"},
    {"GET", "/v1/mailboxes/{ext}", VIEWERS, RV_BODY_NONE, rv_api_get_mailbox, "", NULL, "200", "400, 404"},
    {"GET", "/v1/mailboxes", VIEWERS | PBX, RV_BODY_NONE, rv_api_list_mailboxes, "compliant=&unit=&organisation=&email=&limit=&after=",
     "readers; pbx with `email`", "200", "400, 403, 422"},
    {"PUT", "/v1/mailboxes/{ext}/greeting", PBX, RV_BODY_AUDIO, rv_api_put_greeting, "", NULL, "200 the report",
     "400, 404, 413, 415, 422, 503"},
    {"DELETE", "/v1/mailboxes/{ext}/greeting", PBX, RV_BODY_NONE, rv_api_delete_greeting, "", NULL, "200", "404"},
    {"GET", "/v1/mailboxes/{ext}/greeting", VIEWERS, RV_BODY_NONE, rv_api_get_greeting, "", NULL, "200", "404"},
    {"GET", "/v1/mailboxes/{ext}/greetings", VIEWERS, RV_BODY_NONE, rv_api_list_greetings, "", NULL,
     "200 every version", "404"},
    {"GET", "/v1/mailboxes/{ext}/greetings/{id}/audio", VIEWERS, RV_BODY_NONE, rv_api_greeting_audio, "", NULL,
     "200, 206", "404"},
    {"PUT", "/v1/mailboxes/{ext}/name-recording", PBX, RV_BODY_AUDIO, rv_api_put_name_recording, "", NULL, "200",
     "404, 413, 415, 422"},
    {"POST", "/v1/mailboxes/{ext}/greetings/{id}/review", OFFICER, RV_BODY_JSON, rv_api_review_greeting, "", NULL,
     "201", "400, 404, 422"},
    {"GET", "/v1/review", VIEWERS, RV_BODY_NONE, rv_api_list_review, "organisation=&unit=&limit=&after=", NULL,
     "200 greetings to listen to", "400, 422"},
    {"POST", "/v1/mailboxes/{ext}/voicemails", PBX, RV_BODY_AUDIO, rv_api_post_voicemail, "", NULL,
     "201 + `Location` (200: sent before)", "400, 404, 413, 415, 422, 503"},
    {"GET", "/v1/voicemails", READERS, RV_BODY_NONE, rv_api_list_voicemails,
     "classification=&decision=&ext=&unit=&organisation=&from=&to=&caller=&q=&listened=&limit=&after=&before=", NULL, "200",
     "400, 422"},
    {"GET", "/v1/voicemails/{id}", READERS, RV_BODY_NONE, rv_api_get_voicemail, "", NULL, "200", "400, 404"},
    {"GET", "/v1/voicemails/{id}/audio", READERS, RV_BODY_NONE, rv_api_voicemail_audio, "", NULL, "200, 206",
     "404, 410, 416"},
    {"POST", "/v1/voicemails/{id}/callback", PBX, RV_BODY_JSON, rv_api_callback, "", NULL, "200", "400, 404"},
    {"POST", "/v1/voicemails/{id}/decision", OFFICER, RV_BODY_JSON, rv_api_decision, "", NULL, "201",
     "400, 404, 422"},
    {"POST", "/v1/voicemails/{id}/package", OFFICER, RV_BODY_JSON, rv_api_package, "", NULL,
     "200 a tar (the submission package, made now and recorded)", "404, 409"},
    {"POST", "/v1/voicemails/{id}/archived", OFFICER, RV_BODY_JSON, rv_api_archived, "", NULL, "201",
     "400, 404, 409"},
    {"POST", "/v1/voicemails/{id}/handover", OFFICER, RV_BODY_JSON, rv_api_handover, "", NULL,
     "201 `{sent}` (mailed, kept until sent)", "400, 404, 422, 500"},
    {"PUT", "/v1/organisations/{name}", ADMIN, RV_BODY_JSON, rv_api_put_org, "",
     "the installation's admin (an admin token without `--org`)", "201 new, 200 updated", "400, 403, 409, 422"},
    {"GET", "/v1/organisations/{name}", VIEWERS, RV_BODY_NONE, rv_api_get_org, "",
     "readers of that organisation", "200", "404"},
    {"GET", "/v1/organisations", VIEWERS, RV_BODY_NONE, rv_api_list_orgs, "", NULL,
     "200 those the caller acts for", ""},
    {"PUT", "/v1/units/{name}", ADMIN, RV_BODY_JSON, rv_api_put_unit, "", NULL, "201 new, 200 updated", "400, 422"},
    {"GET", "/v1/units", VIEWERS, RV_BODY_NONE, rv_api_list_units, "", NULL, "200 every unit, its managers and mailboxes", ""},
    {"POST", "/v1/sweeps", ADMIN, RV_BODY_JSON, rv_api_post_sweep, "date=&dry_run=&allow_future=&format=",
     "the installation's admin", "200 the report", "400, 403, 409, 422"},
    {"GET", "/v1/sweeps", VIEWERS, RV_BODY_NONE, rv_api_list_sweeps, "organisation=&limit=", NULL, "200 kept reports",
     "400, 422"},
    {"GET", "/v1/sweeps/{id}", VIEWERS, RV_BODY_NONE, rv_api_get_sweep, "organisation=", NULL, "200 a kept report",
     "404, 422"},
    {"GET", "/v1/audit", READERS, RV_BODY_NONE, rv_api_get_audit, "voicemail=&actor=&organisation=&from=&to=&format=json\\|csv&limit=&after=",
     "admin; officer and an organisation's admin: the rows of their organisations' mailboxes and voicemails",
     "200", "400, 422"},
    {"POST", "/v1/session", RV_PUBLIC, RV_BODY_SIGN_IN, rv_api_sign_in, "",
     "officer, manager, admin (a pbx token may not sign in)", "201 `{name, role, csrf}` + cookie", "400, 401, 403"},
    {"GET", "/v1/session", ANY_ROLE, RV_BODY_NONE, rv_api_get_session, "", NULL,
     "200 `{name, role, csrf, organisations, time_zone}` (`csrf` null without a session)", "401"},
    {"DELETE", "/v1/session", ANY_ROLE, RV_BODY_NONE, rv_api_sign_out, "", NULL, "200 the session ended", "401"},
};

const size_t rv_n_routes = sizeof rv_routes / sizeof *rv_routes;

/* Who may call a route, as docs/api.md says it. */
static void roles_text(const rv_route *r, char *out, size_t cap)
{
    if (r->who) {
        snprintf(out, cap, "%s", r->who);
        return;
    }
    if (r->roles == RV_PUBLIC) {
        snprintf(out, cap, "none");
        return;
    }
    if (r->roles == ANY_ROLE) {
        snprintf(out, cap, "anyone signed in, a pbx token too");
        return;
    }
    if (r->roles == VIEWERS) {
        snprintf(out, cap, "readers");
        return;
    }
    static const rv_role order[] = {RV_ROLE_PBX, RV_ROLE_OFFICER, RV_ROLE_ADMIN, RV_ROLE_MANAGER};
    out[0] = '\0';
    for (size_t i = 0; i < sizeof order / sizeof *order; i++)
        if (r->roles & ROLE(order[i])) {
            size_t l = strlen(out);
            snprintf(out + l, cap - l, "%s%s", l ? ", " : "", rv_role_name(order[i]));
        }
}

void rv_routes_markdown(FILE *f)
{
    fprintf(f, "| method and path | role | success | errors |\n|---|---|---|---|\n");
    for (size_t i = 0; i < rv_n_routes; i++) {
        const rv_route *r = &rv_routes[i];
        char who[128];
        roles_text(r, who, sizeof who);
        fprintf(f, "| `%s %s%s%s` | %s | %s |%s%s |\n", r->method, r->path, r->query && *r->query ? "?" : "",
                r->query ? r->query : "", who, r->success, *r->errors ? " " : "", r->errors);
    }
}
