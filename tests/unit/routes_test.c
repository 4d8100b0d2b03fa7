/* The API's route table (src/api_routes.c): every route and who may call
 * it, as written down here; its matching of paths (src/route.c); and
 * docs/api.md's table, made from it by make readme. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/api.h"

#define PBX ROLE(RV_ROLE_PBX)
#define OFFICER ROLE(RV_ROLE_OFFICER)
#define ADMIN ROLE(RV_ROLE_ADMIN)
#define MANAGER ROLE(RV_ROLE_MANAGER)

static int same(const rv_route *r, const char *method, const char *path)
{
    return strcmp(r->method, method) == 0 && strcmp(r->path, path) == 0;
}

/* Every route and its roles, written out by hand: a route added, removed
 * or given other roles in the table fails here until this list says so. */
static const struct {
    const char *method, *path;
    unsigned roles;
} expected[] = {
    {"GET", "/healthz", RV_PUBLIC},
    {"GET", "/metrics", RV_PUBLIC}, /* metrics_access decides */
    {"PUT", "/v1/mailboxes/{ext}", PBX | ADMIN},
    {"GET", "/v1/mailboxes/{ext}", OFFICER | ADMIN | MANAGER},
    {"GET", "/v1/mailboxes", OFFICER | ADMIN | MANAGER | PBX},
    {"PUT", "/v1/mailboxes/{ext}/greeting", PBX},
    {"DELETE", "/v1/mailboxes/{ext}/greeting", PBX},
    {"GET", "/v1/mailboxes/{ext}/greeting", OFFICER | ADMIN | MANAGER},
    {"GET", "/v1/mailboxes/{ext}/greetings", OFFICER | ADMIN | MANAGER},
    {"GET", "/v1/mailboxes/{ext}/greetings/{id}/audio", OFFICER | ADMIN | MANAGER},
    {"PUT", "/v1/mailboxes/{ext}/name-recording", PBX},
    {"POST", "/v1/mailboxes/{ext}/greetings/{id}/review", OFFICER},
    {"GET", "/v1/review", OFFICER | ADMIN | MANAGER},
    {"POST", "/v1/mailboxes/{ext}/voicemails", PBX},
    {"GET", "/v1/voicemails", OFFICER | ADMIN},
    {"GET", "/v1/voicemails/{id}", OFFICER | ADMIN},
    {"GET", "/v1/voicemails/{id}/audio", OFFICER | ADMIN},
    {"POST", "/v1/voicemails/{id}/callback", PBX},
    {"POST", "/v1/voicemails/{id}/decision", OFFICER},
    {"POST", "/v1/voicemails/{id}/package", OFFICER},
    {"POST", "/v1/voicemails/{id}/archived", OFFICER},
    {"POST", "/v1/voicemails/{id}/handover", OFFICER},
    {"PUT", "/v1/organisations/{name}", ADMIN}, /* the installation's admin: the handler says */
    {"GET", "/v1/organisations/{name}", OFFICER | ADMIN | MANAGER},
    {"GET", "/v1/organisations", OFFICER | ADMIN | MANAGER},
    {"PUT", "/v1/units/{name}", ADMIN},
    {"GET", "/v1/units", OFFICER | ADMIN | MANAGER},
    {"POST", "/v1/sweeps", ADMIN},
    {"GET", "/v1/sweeps", OFFICER | ADMIN | MANAGER},
    {"GET", "/v1/sweeps/{id}", OFFICER | ADMIN | MANAGER},
    {"GET", "/v1/audit", OFFICER | ADMIN},
    {"POST", "/v1/session", RV_PUBLIC}, /* the body's token decides */
    {"GET", "/v1/session", PBX | OFFICER | ADMIN | MANAGER},
    {"DELETE", "/v1/session", PBX | OFFICER | ADMIN | MANAGER},
};
#define N_EXPECTED (sizeof expected / sizeof *expected)

Test(routes, every_route_has_the_roles_written_down) {
    for (size_t i = 0; i < N_EXPECTED; i++) {
        const rv_route *found = NULL;
        for (size_t k = 0; k < rv_n_routes; k++)
            if (same(&rv_routes[k], expected[i].method, expected[i].path))
                found = &rv_routes[k];
        cr_expect_not_null(found, "%s %s is missing from the route table", expected[i].method, expected[i].path);
        if (found)
            cr_expect_eq(found->roles, expected[i].roles, "%s %s: roles %#x, written down %#x", expected[i].method,
                         expected[i].path, found->roles, expected[i].roles);
    }
    for (size_t k = 0; k < rv_n_routes; k++) {
        int listed = 0;
        for (size_t i = 0; i < N_EXPECTED; i++)
            listed |= same(&rv_routes[k], expected[i].method, expected[i].path);
        cr_expect(listed, "%s %s is in the table but not written down here", rv_routes[k].method, rv_routes[k].path);
        cr_expect_not_null(rv_routes[k].handler, "%s %s has a handler", rv_routes[k].method, rv_routes[k].path);
    }
}

/* Bodies are read only for the routes that take one, audio only where
 * audio is uploaded. */
Test(routes, bodies_are_read_only_where_routes_take_them) {
    for (size_t k = 0; k < rv_n_routes; k++) {
        const rv_route *r = &rv_routes[k];
        int audio = strstr(r->path, "/greeting") && strcmp(r->method, "PUT") == 0;
        audio |= strstr(r->path, "/name-recording") || strstr(r->path, "/voicemails") == r->path + strlen(r->path) - 11;
        if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "DELETE") == 0)
            cr_expect_eq(r->body, RV_BODY_NONE, "%s %s reads no body", r->method, r->path);
        else if (audio) cr_expect_eq(r->body, RV_BODY_AUDIO, "%s %s takes audio", r->method, r->path);
        else cr_expect(r->body == RV_BODY_JSON || r->body == RV_BODY_SIGN_IN, "%s %s takes JSON", r->method, r->path);
    }
}

Test(routes, paths_match_their_patterns) {
    rv_path p;
    cr_expect(rv_path_match("/v1/mailboxes/{ext}/greeting", "/v1/mailboxes/4711/greeting", &p));
    cr_expect_str_eq(p.ext, "4711");
    cr_expect(!rv_path_match("/v1/mailboxes/{ext}/greeting", "/v1/mailboxes/x/y/greeting", &p), "one segment");
    cr_expect(!rv_path_match("/v1/mailboxes/{ext}/greeting", "/v1/mailboxes/4711/greetings", &p));
    cr_expect(rv_path_match("/v1/mailboxes/{ext}", "/v1/mailboxes/", &p), "an empty ext is the handler's 400");
    cr_expect(rv_path_match("/v1/voicemails/{id}/audio", "/v1/voicemails/12/audio", &p));
    cr_expect_eq(p.id, 12);
    cr_expect(rv_path_match("/v1/voicemails/{id}/audio", "/v1/voicemails/1234567890123456789/audio", &p));
    cr_expect_eq(p.id, 0, "19 digits are no id");
    cr_expect(!rv_path_match("/v1/voicemails/{id}", "/v1/voicemails/", &p), "an id is never empty");
    cr_expect(rv_path_match("/v1/units/{name}", "/v1/units/Ekonomi/enheten", &p));
    cr_expect_str_eq(p.name, "Ekonomi/enheten", "the rest of the path");
    char allow[64];
    cr_expect_null(rv_route_find(rv_routes, rv_n_routes, "PATCH", "/v1/sweeps", &p, allow));
    cr_expect_str_eq(allow, "POST, GET, HEAD");
    cr_expect_null(rv_route_find(rv_routes, rv_n_routes, "GET", "/v1/nothing", &p, allow));
    cr_expect_str_eq(allow, "");
    const rv_route *r = rv_route_find(rv_routes, rv_n_routes, "HEAD", "/v1/voicemails/7/audio", &p, allow);
    cr_expect(r && r->handler == rv_api_voicemail_audio && p.id == 7, "HEAD is GET's route");
}

/* docs/api.md's route table is the program's own (make readme). */
Test(routes, the_docs_list_the_routes_as_they_are) {
    char *made = NULL;
    size_t made_len = 0;
    FILE *m = open_memstream(&made, &made_len);
    cr_assert_not_null(m);
    rv_routes_markdown(m);
    fclose(m);
    FILE *f = fopen("docs/api.md", "r");
    cr_assert_not_null(f);
    static char doc[1 << 17];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    const char *begin = strstr(doc, "<!-- routes: made by `make readme`");
    cr_assert_not_null(begin, "docs/api.md has the routes markers");
    begin = strchr(begin, '\n') + 1;
    const char *end = strstr(begin, "<!-- end of routes -->");
    cr_assert_not_null(end);
    cr_expect((size_t)(end - begin) == made_len && strncmp(begin, made, made_len) == 0,
              "docs/api.md's routes differ from src/api_routes.c: run make readme");
    free(made);
}
