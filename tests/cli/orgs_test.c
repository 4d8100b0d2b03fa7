/* rostvakt serve end to end (tests/cli/serve.h) for two authorities on one
 * installation, essunga and grastorp: organisations, the mailboxes that
 * name them, and each person seeing only their own authority's (and a
 * manager only their own units'), with 404 for the rest. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rostvakt/store.h"
#include "serve.h"

TestSuite(orgs, .init = setup, .fini = teardown, .timeout = 60);

static const char *essunga = "{\"name\":\"Essunga kommun\",\"organisationsnummer\":\"212000-1595\","
                             "\"archival_creator\":{\"name\":\"Essunga kommun\",\"identifier\":\"212000-1595\"},"
                             "\"mail\":{\"from\":\"rostvakt@essunga.se\",\"officers\":[\"registrator@essunga.se\"]}}";
static const char *grastorp = "{\"name\":\"Grästorps kommun\",\"organisationsnummer\":\"212000-1553\","
                              "\"archival_creator\":{\"name\":\"Grästorps kommun\",\"identifier\":\"212000-1553\"},"
                              "\"mail\":{\"from\":\"rostvakt@grastorp.se\",\"officers\":[\"diarium@grastorp.se\"]}}";

/* The two organisations, a mailbox in each (4711 essunga, 5711 grastorp)
 * with one voicemail each (ids 1 and 2); the installation's admin into admin. */
static void two_authorities(char *admin, size_t cap)
{
    sink o;
    token("admin", "it", admin, cap);
    cr_assert_eq(call("PUT", "/v1/organisations/essunga", admin, essunga, &o), 201, "%s", o.buf);
    cr_assert_eq(call("PUT", "/v1/organisations/grastorp", admin, grastorp, &o), 201, "%s", o.buf);
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx,
                      "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\","
                      "\"org\":\"Essunga kommun\",\"organisation\":\"essunga\"}", &o), 201, "%s", o.buf);
    cr_assert_eq(call("PUT", "/v1/mailboxes/5711", pbx,
                      "{\"first_name\":\"Bo\",\"last_name\":\"Ek\",\"unit\":\"Ekonomienheten\","
                      "\"org\":\"Grästorps kommun\",\"organisation\":\"grastorp\"}", &o), 201, "%s", o.buf);
    cr_assert_eq(upload("POST", "/v1/mailboxes/4711/voicemails", "samples/v01-bygglov.wav", pbx, "audio/wav", NULL,
                        &o, NULL, 0), 201, "%s", o.buf);
    cr_assert_eq(upload("POST", "/v1/mailboxes/5711/voicemails", "samples/v02-faktura.wav", pbx, "audio/wav", NULL,
                        &o, NULL, 0), 201, "%s", o.buf);
}

Test(orgs, organisations_are_made_by_the_installations_admin) {
    sink o;
    char admin[80], local[80];
    two_authorities(admin, sizeof admin);
    token_orgs("admin", "essunga-it", "--org essunga", local, sizeof local);
    cr_expect_eq(call("PUT", "/v1/organisations/norberg", local, "{\"name\":\"Norbergs kommun\"}", &o), 403,
                 "an organisation's admin makes none: %s", o.buf);
    cr_expect_eq(call("PUT", "/v1/organisations/norberg", officer, "{\"name\":\"Norbergs kommun\"}", &o), 403);
    /* a PBX's org names an organisation: two of one name would be chance */
    cr_expect_eq(call("PUT", "/v1/organisations/essunga2", admin, "{\"name\":\"Essunga kommun\"}", &o), 409, "%s",
                 o.buf);
    cr_expect(strstr(o.buf, "organisation essunga is named so already") != NULL, "%s", o.buf);
    cr_expect_eq(call("PUT", "/v1/organisations/norberg", admin, "{\"name\":\"Norbergs\\tkommun\"}", &o), 400, "%s",
                 o.buf);
    cr_expect(strstr(o.buf, "name: no control characters") != NULL, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/organisations/essunga2", admin, NULL, &o), 404, "not made: %s", o.buf);
    /* bad input */
    cr_expect_eq(call("PUT", "/v1/organisations/Norberg", admin, "{\"name\":\"Norbergs kommun\"}", &o), 400, "%s", o.buf);
    cr_expect_eq(call("PUT", "/v1/organisations/norberg", admin, "{\"name\":\"N\",\"organisationsnummer\":\"212000-1596\"}",
                      &o), 422, "a wrong check digit: %s", o.buf);
    cr_expect_eq(call("PUT", "/v1/organisations/norberg", admin, "{\"name\":\"N\",\"calendar\":\"AX\","
                      "\"time_zone\":\"Europe/Stockholm\"}", &o), 422, "%s", o.buf);
    cr_expect_eq(call("PUT", "/v1/organisations/norberg", admin, "{\"name\":\"N\",\"profile\":\"nej\"}", &o), 422);
    cr_expect_eq(call("PUT", "/v1/organisations/norberg", admin, "{\"name\":\"N\",\"gallring_covers\":[\"ringa\"]}", &o),
                 422, "covers without a gallringsbeslut: %s", o.buf);
    cr_expect_eq(call("PUT", "/v1/organisations/norberg", admin, "{\"name\":\"N\",\"colour\":\"red\"}", &o), 400);
    cr_expect_eq(call("PUT", "/v1/organisations/lemland", admin, "{\"name\":\"Lemlands kommun\",\"calendar\":\"AX\"}",
                      &o), 201, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"time_zone\":\"Europe/Mariehamn\""), "%s", o.buf);
    cr_expect_eq(call("PUT", "/v1/organisations/essunga", admin, essunga, &o), 200, "updated");
    /* read: the installation's admin all, an organisation's people theirs */
    cr_assert_eq(call("GET", "/v1/organisations", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"essunga\"") && strstr(o.buf, "\"grastorp\"") && strstr(o.buf, "\"lemland\""), "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/organisations", local, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"essunga\"") && !strstr(o.buf, "grastorp"), "%s", o.buf);
    cr_expect(strstr(o.buf, "\"registrator@essunga.se\"") && strstr(o.buf, "\"identifier\":\"212000-1595\""), "%s",
              o.buf);
    cr_expect_eq(call("GET", "/v1/organisations/grastorp", local, NULL, &o), 404);
    cr_expect_eq(call("GET", "/v1/organisations/essunga", local, NULL, &o), 200);
    cr_expect_eq(call("GET", "/v1/organisations/nowhere", admin, NULL, &o), 404);
}

Test(orgs, a_mailbox_names_a_known_organisation_and_stays_with_its_voicemails) {
    sink o;
    char admin[80], local[80];
    two_authorities(admin, sizeof admin);
    cr_expect_eq(call("PUT", "/v1/mailboxes/6711", pbx,
                      "{\"first_name\":\"C\",\"last_name\":\"D\",\"unit\":\"U\",\"organisation\":\"nowhere\"}", &o), 422,
                 "%s", o.buf);
    cr_expect_eq(call("PUT", "/v1/mailboxes/6711", pbx,
                      "{\"first_name\":\"C\",\"last_name\":\"D\",\"unit\":\"U\",\"organisation\":\"Bad Id\"}", &o), 400);
    /* a record stays with the authority that received it */
    cr_expect_eq(call("PUT", "/v1/mailboxes/4711", pbx,
                      "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\","
                      "\"organisation\":\"grastorp\"}", &o), 409, "%s", o.buf);
    /* the PBX's directory, sent again without the field, keeps it */
    cr_expect_eq(call("PUT", "/v1/mailboxes/4711", pbx,
                      "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}", &o), 200);
    cr_assert_eq(call("GET", "/v1/mailboxes/4711", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"organisation\":\"essunga\""), "%s", o.buf);
    /* one without voicemails may move; the free text names one by its name */
    cr_expect_eq(call("PUT", "/v1/mailboxes/6711", pbx,
                      "{\"first_name\":\"C\",\"last_name\":\"D\",\"unit\":\"U\",\"org\":\"Grästorps kommun\"}", &o), 201);
    cr_expect(strstr(o.buf, "\"organisation\":\"grastorp\""), "%s", o.buf);
    cr_expect_eq(call("PUT", "/v1/mailboxes/6711", pbx,
                      "{\"first_name\":\"C\",\"last_name\":\"D\",\"unit\":\"U\",\"organisation\":\"essunga\"}", &o), 200);
    /* an organisation's admin: only into theirs, and not another's mailbox */
    token_orgs("admin", "grastorp-it", "--org grastorp", local, sizeof local);
    cr_expect_eq(call("PUT", "/v1/mailboxes/7711", local,
                      "{\"first_name\":\"E\",\"last_name\":\"F\",\"unit\":\"U\",\"organisation\":\"essunga\"}", &o), 422);
    cr_expect_eq(call("PUT", "/v1/mailboxes/6711", local,
                      "{\"first_name\":\"E\",\"last_name\":\"F\",\"unit\":\"U\",\"organisation\":\"grastorp\"}", &o), 404,
                 "essunga's mailbox: %s", o.buf);
    cr_expect_eq(call("PUT", "/v1/mailboxes/7711", local,
                      "{\"first_name\":\"E\",\"last_name\":\"F\",\"unit\":\"U\",\"organisation\":\"grastorp\"}", &o), 201);
}

Test(orgs, an_officer_sees_only_their_own_authoritys_voicemails) {
    sink o;
    char admin[80], g[80], e[80], both[80];
    two_authorities(admin, sizeof admin);
    token_orgs("officer", "diarium", "--org grastorp", g, sizeof g);
    token_orgs("officer", "registrator-essunga", "--org essunga", e, sizeof e);
    token_orgs("officer", "forbund", "--org essunga --org grastorp", both, sizeof both);
    /* voicemail 1 is essunga's: for grastorp's officer there is none */
    const char *paths[] = {"/v1/voicemails/1", "/v1/voicemails/1/audio", "/v1/mailboxes/4711",
                           "/v1/mailboxes/4711/greetings"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        cr_expect_eq(call("GET", paths[i], g, NULL, &o), 404, "%s: %s", paths[i], o.buf);
        cr_expect_eq(call("GET", paths[i], e, NULL, &o), 200, "%s: %s", paths[i], o.buf);
    }
    cr_expect_eq(call("GET", "/v1/voicemails/1", g, NULL, &o), 404);
    cr_expect(strstr(o.buf, "no voicemail 1"), "worded as for none: %s", o.buf);
    cr_expect_eq(call("GET", "/v1/voicemails/99", g, NULL, &o), 404);
    cr_expect(strstr(o.buf, "no voicemail 99"), "%s", o.buf);
    cr_expect_eq(call("POST", "/v1/voicemails/1/package", g, NULL, &o), 404, "%s", o.buf);
    cr_expect_eq(call("POST", "/v1/voicemails/1/decision", g, "{\"decision\":\"privat\"}", &o), 404, "%s", o.buf);
    cr_expect_eq(call("POST", "/v1/voicemails/1/archived", g, "{\"reference\":\"EA-1\"}", &o), 404, "%s", o.buf);
    /* another's and none answer alike, whatever the body */
    static const char *const bodied[] = {"decision", "archived", "handover"};
    for (size_t i = 0; i < sizeof bodied / sizeof *bodied; i++) {
        char other[96], none[96];
        snprintf(other, sizeof other, "/v1/voicemails/1/%s", bodied[i]);
        snprintf(none, sizeof none, "/v1/voicemails/99/%s", bodied[i]);
        cr_expect_eq(call("POST", other, g, "{}", &o), 404, "%s: %s", other, o.buf);
        cr_expect(strstr(o.buf, "no voicemail 1\""), "%s", o.buf);
        cr_expect_eq(call("POST", none, g, "{}", &o), 404, "%s: %s", none, o.buf);
        cr_expect(strstr(o.buf, "no voicemail 99\""), "%s", o.buf);
    }
    cr_expect_eq(call("POST", "/v1/mailboxes/9999/greetings/1/review", g, "{}", &o), 404, "%s", o.buf);
    cr_expect(strstr(o.buf, "no mailbox 9999\""), "%s", o.buf);
    cr_expect_eq(call("POST", "/v1/mailboxes/4711/greetings/1/review", g, "{}", &o), 404, "%s", o.buf);
    cr_expect(strstr(o.buf, "no mailbox 4711\""), "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/mailboxes/9999/greeting", g, NULL, &o), 404, "%s", o.buf);
    cr_expect(strstr(o.buf, "no mailbox 9999\""), "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/mailboxes/4711/greeting", g, NULL, &o), 404, "%s", o.buf);
    cr_expect(strstr(o.buf, "no mailbox 4711\""), "%s", o.buf);
    /* nor is another's voicemail a cursor: its page is that of one not there */
    cr_assert_eq(call("GET", "/v1/voicemails?before=1", g, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"items\":[]"), "nothing of grastorp's newer than essunga's voicemail 1: %s", o.buf);
    cr_assert_eq(call("GET", "/v1/voicemails?before=99", g, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"items\":[]"), "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/voicemails?before=2", e, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"items\":[]"), "%s", o.buf);
    /* lists hold none of the other's */
    cr_assert_eq(call("GET", "/v1/voicemails", g, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"ext\":\"5711\"") && !strstr(o.buf, "4711"), "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/voicemails?limit=1", g, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"ext\":\"5711\"") && strstr(o.buf, "\"next\":null"), "filtered before the page: %s",
              o.buf);
    cr_assert_eq(call("GET", "/v1/voicemails", e, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"ext\":\"4711\"") && !strstr(o.buf, "5711"), "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/mailboxes", g, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"5711\"") && !strstr(o.buf, "4711"), "%s", o.buf);
    /* one of both authorities sees both; so does a token of every one */
    cr_assert_eq(call("GET", "/v1/voicemails", both, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"ext\":\"4711\"") && strstr(o.buf, "\"ext\":\"5711\""), "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/voicemails/1", officer, NULL, &o), 200);
    /* the audit of an organisation's admin: their own rows */
    char ga[80];
    token_orgs("admin", "grastorp-it", "--org grastorp", ga, sizeof ga);
    cr_assert_eq(call("GET", "/v1/audit", ga, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"5711\"") && !strstr(o.buf, "\"4711\"") && !strstr(o.buf, "\"voicemail\":1,"), "%s",
              o.buf);
    cr_assert_eq(call("GET", "/v1/audit", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"4711\"") && strstr(o.buf, "\"5711\""), "%s", o.buf);
}

/* organisation= narrows the voicemail and mailbox lists to one of the
 * caller's organisations; an unknown one and another authority's are the
 * same 422, so that the answer tells nothing of the other. */
Test(orgs, lists_narrow_to_one_of_the_callers_organisations) {
    sink o, other;
    char admin[80], g[80], both[80];
    two_authorities(admin, sizeof admin);
    token_orgs("officer", "diarium", "--org grastorp", g, sizeof g);
    token_orgs("officer", "forbund", "--org essunga --org grastorp", both, sizeof both);
    cr_assert_eq(call("GET", "/v1/voicemails?organisation=essunga", both, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"ext\":\"4711\"") && !strstr(o.buf, "5711") && strstr(o.buf, "\"total\":1"), "%s",
              o.buf);
    cr_assert_eq(call("GET", "/v1/voicemails?organisation=grastorp", both, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"ext\":\"5711\"") && !strstr(o.buf, "4711"), "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/mailboxes?organisation=essunga", both, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"4711\"") && !strstr(o.buf, "5711"), "%s", o.buf);
    /* the installation's officer (every organisation) may narrow to any */
    cr_assert_eq(call("GET", "/v1/voicemails?organisation=grastorp", officer, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"ext\":\"5711\"") && !strstr(o.buf, "4711"), "%s", o.buf);
    /* another authority's: as an unknown one, never its voicemails */
    cr_expect_eq(call("GET", "/v1/voicemails?organisation=essunga", g, NULL, &o), 422, "%s", o.buf);
    cr_expect(!strstr(o.buf, "4711"), "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/voicemails?organisation=norberg", g, NULL, &other), 422, "%s", other.buf);
    cr_expect_str_eq(o.buf, other.buf, "worded alike");
    cr_expect_eq(call("GET", "/v1/mailboxes?organisation=essunga", g, NULL, &o), 422, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/mailboxes?organisation=norberg", admin, NULL, &o), 422, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/voicemails?organisation=Essunga%20kommun", both, NULL, &o), 422, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/voicemails?organisation=", both, NULL, &o), 422, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/review?organisation=essunga", both, NULL, &o), 200, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/review?organisation=essunga", g, NULL, &o), 422, "%s", o.buf);
    /* a voicemail names its authority, for the app to say whose it is */
    cr_assert_eq(call("GET", "/v1/voicemails/1", both, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"organisation\":\"essunga\""), "%s", o.buf);
}

Test(orgs, a_manager_sees_only_the_units_they_manage) {
    sink o;
    char admin[80], m[80];
    two_authorities(admin, sizeof admin);
    cr_assert_eq(call("PUT", "/v1/mailboxes/4712", pbx,
                      "{\"first_name\":\"Cilla\",\"last_name\":\"Berg\",\"unit\":\"Kulturenheten\","
                      "\"organisation\":\"essunga\"}", &o), 201);
    cr_assert_eq(call("PUT", "/v1/units/ekonomienheten", admin, "{\"managers\":[\"chef@essunga.se\"]}", &o), 201);
    token_orgs("manager", "chef@essunga.se", "--org essunga", m, sizeof m);
    cr_expect_eq(call("GET", "/v1/mailboxes/4711", m, NULL, &o), 200, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/mailboxes/4712", m, NULL, &o), 404, "another unit's: %s", o.buf);
    cr_expect_eq(call("GET", "/v1/mailboxes/5711", m, NULL, &o), 404, "the same unit's name, another authority's");
    cr_assert_eq(call("GET", "/v1/mailboxes", m, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"4711\"") && !strstr(o.buf, "4712") && !strstr(o.buf, "5711"), "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/review", m, NULL, &o), 200);
    cr_expect(!strstr(o.buf, "4712") && !strstr(o.buf, "5711"), "%s", o.buf);
    /* the units and their managers' addresses: theirs alone */
    cr_assert_eq(call("PUT", "/v1/units/Kulturenheten", admin, "{\"managers\":[\"kultur@essunga.se\"]}", &o), 201);
    cr_assert_eq(call("GET", "/v1/units", m, NULL, &o), 200);
    cr_expect(strstr(o.buf, "chef@essunga.se") && !strstr(o.buf, "kultur@essunga.se"), "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/units", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "chef@essunga.se") && strstr(o.buf, "kultur@essunga.se"), "%s", o.buf);
}

Test(orgs, officer_and_manager_tokens_name_their_organisations) {
    sink o;
    char cmd[512];
    const char *exe = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
    snprintf(cmd, sizeof cmd, "%s token --tokens %s/tokens --role officer --name x 2>&1", exe, dir);
    cr_expect_eq(run(cmd, &o), 64, "refused without --org: %s", o.buf);
    cr_expect(strstr(o.buf, "--org"), "%s", o.buf);
    snprintf(cmd, sizeof cmd, "%s token --tokens %s/tokens --role manager --name y 2>&1", exe, dir);
    cr_expect_eq(run(cmd, &o), 64, "%s", o.buf);
    snprintf(cmd, sizeof cmd, "%s token --tokens %s/tokens --role officer --name z --org 'Bad Id' 2>&1", exe, dir);
    cr_expect_eq(run(cmd, &o), 64, "%s", o.buf);
    snprintf(cmd, sizeof cmd, "%s token --tokens %s/tokens --role officer --name z --org '*' --org a 2>&1", exe, dir);
    cr_expect_eq(run(cmd, &o), 64, "%s", o.buf);
    snprintf(cmd, sizeof cmd, "%s token --tokens %s/tokens --role officer --name z --org a --org b 2>&1", exe, dir);
    cr_expect_eq(run(cmd, &o), 0, "%s", o.buf);
    snprintf(cmd, sizeof cmd, "grep -c '^z\tofficer\t[0-9a-f]*\ta,b$' %s/tokens", dir);
    cr_expect_eq(run(cmd, &o), 0, "the fourth field: %s", o.buf);
    /* a revocation keeps the others' organisations */
    snprintf(cmd, sizeof cmd, "%s token --tokens %s/tokens --revoke vaxel && grep -c '\ta,b$' %s/tokens", exe, dir, dir);
    cr_expect_eq(run(cmd, &o), 0, "%s", o.buf);
}

/* Behind the proxy: the users file's third field names the organisations. */
Test(orgs, a_proxy_user_acts_for_the_organisations_the_users_file_names) {
    sink o;
    char admin[80];
    two_authorities(admin, sizeof admin);
    restart_behind_proxy("anna\tofficer\tgrastorp\nbo\tofficer\n");
    cr_expect_eq(call_h("GET", "/v1/voicemails/1", "X-Remote-User: anna", NULL, NULL, NULL, &o, NULL), 404, "%s", o.buf);
    cr_expect_eq(call_h("GET", "/v1/voicemails/2", "X-Remote-User: anna", NULL, NULL, NULL, &o, NULL), 200, "%s", o.buf);
    cr_expect_eq(call_h("GET", "/v1/voicemails/1", "X-Remote-User: bo", NULL, NULL, NULL, &o, NULL), 200,
                 "a line of two fields: every one, as before");
    /* the file changed while it runs: bo taken out, anna moved, within a second or two */
    char path[128];
    snprintf(path, sizeof path, "%s/users", dir);
    write_file(path, "anna\tofficer\tessunga\n");
    long bo = 200, anna = 404;
    for (int i = 0; i < 40 && (bo == 200 || anna != 200); i++) {
        usleep(100000);
        bo = call_h("GET", "/v1/voicemails/1", "X-Remote-User: bo", NULL, NULL, NULL, &o, NULL);
        anna = call_h("GET", "/v1/voicemails/1", "X-Remote-User: anna", NULL, NULL, NULL, &o, NULL);
    }
    cr_expect_neq(bo, 200, "bo taken out of the users file");
    cr_expect_eq(anna, 200, "anna now essunga's: %s", o.buf);
}

/* Voicemail id's package, made by officer tok, unpacked into dir/pkg: its
 * METS.xml (the root's) into out. The status. */
static long package_mets(long long id, const char *tok, sink *out)
{
    char path[96], cmd[1024];
    snprintf(path, sizeof path, "/v1/voicemails/%lld/package", id);
    bin b = {0};
    long st = request("POST", path, tok, NULL, NULL, NULL, collect_bin, &b);
    if (st == 200) {
        snprintf(cmd, sizeof cmd, "%s/p.tar", dir);
        FILE *f = fopen(cmd, "wb");
        cr_assert(f);
        fwrite(b.buf, 1, b.len, f);
        fclose(f);
        snprintf(cmd, sizeof cmd, "rm -rf %s/pkg && mkdir %s/pkg && tar -xf %s/p.tar -C %s/pkg && cat %s/pkg/*/METS.xml",
                 dir, dir, dir, dir, dir);
        cr_assert_eq(run(cmd, out), 0, "%s", out->buf);
    }
    free(b.buf);
    return st;
}

/* Each package names its own authority as its archival creator. */
Test(orgs, each_package_names_its_own_archival_creator) {
    sink o;
    char admin[80];
    two_authorities(admin, sizeof admin);
    for (long long id = 1; id <= 2; id++) {
        char path[64];
        snprintf(path, sizeof path, "/v1/voicemails/%lld", id);
        for (int i = 0; i < 300; i++) {
            cr_assert_eq(call("GET", path, officer, NULL, &o), 200);
            if (strstr(o.buf, "\"state\":\"analysed\"")) break;
            usleep(100000);
        }
        snprintf(path, sizeof path, "/v1/voicemails/%lld/decision", id);
        cr_assert_eq(call("POST", path, officer, "{\"decision\":\"registrera\",\"arendemening\":\"Bygglov\",\"diarienummer\":\"KS 2026/1\"}", &o), 201,
                     "%s", o.buf);
    }
    cr_assert_eq(package_mets(1, officer, &o), 200);
    cr_expect(strstr(o.buf, "<name>Essunga kommun</name>") && strstr(o.buf, ">212000-1595</note>") &&
                  !strstr(o.buf, "Grästorp"),
              "%s", o.buf);
    cr_assert_eq(package_mets(2, officer, &o), 200);
    cr_expect(strstr(o.buf, "<name>Grästorps kommun</name>") && strstr(o.buf, ">212000-1553</note>") &&
                  !strstr(o.buf, "Essunga"),
              "%s", o.buf);
}

/* The sweep's summary goes to each authority's officers with their own
 * mailboxes alone. */
Test(orgs, the_sweep_mails_each_authoritys_officers_their_own) {
    sink o;
    char admin[80];
    two_authorities(admin, sizeof admin);
    int port = free_port();
    mail_server_start(port);
    cr_expect_eq(sweep_mail_to(port, "2026-12-07", &o), 0, "%s", o.buf);
    mail_server_stop();
    cr_assert_eq(mail_server_mails(&o), 2, "%s", o.buf);
    char *e = strstr(o.buf, "RCPT=registrator@essunga.se|"), *g = strstr(o.buf, "RCPT=diarium@grastorp.se|");
    cr_assert(e && g, "%s", o.buf);
    e[strcspn(e, "\n")] = '\0';
    g[strcspn(g, "\n")] = '\0';
    cr_expect(strstr(e, "Essunga kommun") && strstr(e, "(1 brevl"), "%s", e);
    cr_expect(strstr(g, "Grästorps kommun") && strstr(g, "(1 brevl"), "%s", g);
    cr_expect(!strstr(e, "5711") && !strstr(g, "4711"), "each its own: %s / %s", e, g);
}

/* A voicemail handed over to a handläggare is mailed from its authority's
 * own address. */
Test(orgs, a_hand_over_comes_from_its_authoritys_address) {
    sink o;
    char admin[80];
    two_authorities(admin, sizeof admin);
    int port = free_port();
    mail_server_start(port);
    char smtp[64];
    snprintf(smtp, sizeof smtp, "mail_smtp_url=smtp://127.0.0.1:%d", port);
    server_set2 = smtp;
    stop_server();
    start_server("0");
    const char *body = "{\"to\":\"handlaggare@kommun.se\"}";
    cr_assert_eq(call("POST", "/v1/voicemails/1/handover", officer, body, &o), 201, "%s", o.buf);
    cr_assert_eq(call("POST", "/v1/voicemails/2/handover", officer, body, &o), 201, "%s", o.buf);
    mail_server_stop();
    cr_assert_eq(mail_server_mails(&o), 2, "%s", o.buf);
    char *first = strchr(o.buf, '\n'), *second = first ? strchr(first + 1, '\n') : NULL; /* after the count */
    cr_assert(second, "%s", o.buf);
    first++;
    *second++ = '\0';
    const char *e = strstr(first, "Svensson") ? first : second, *g = strstr(first, "Svensson") ? second : first;
    cr_expect(strstr(e, "|FROM=") && strstr(strstr(e, "|FROM="), "rostvakt@essunga.se"), "essunga's: %s", e);
    cr_expect(strstr(g, "|FROM=") && strstr(strstr(g, "|FROM="), "rostvakt@grastorp.se"), "grastorp's: %s", g);
}

/* A kept report shows an officer their authority's mailboxes and a manager
 * their units' alone. */
Test(orgs, reports_hold_only_what_the_reader_may_see) {
    sink o;
    char admin[80], g[80], m[80];
    two_authorities(admin, sizeof admin);
    cr_assert_eq(call("PUT", "/v1/mailboxes/4712", pbx,
                      "{\"first_name\":\"Cilla\",\"last_name\":\"Berg\",\"unit\":\"Kulturenheten\","
                      "\"organisation\":\"essunga\"}", &o), 201);
    cr_assert_eq(call("PUT", "/v1/units/Kulturenheten", admin, "{\"managers\":[\"kultur@essunga.se\"]}", &o), 201);
    cr_assert_eq(call("POST", "/v1/sweeps?date=2026-12-07", admin, NULL, &o), 200, "%s", o.buf);
    token_orgs("officer", "diarium", "--org grastorp", g, sizeof g);
    token_orgs("manager", "kultur@essunga.se", "--org essunga", m, sizeof m);
    cr_assert_eq(call("GET", "/v1/sweeps/1", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"4711\"") && strstr(o.buf, "\"4712\"") && strstr(o.buf, "\"5711\""), "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/sweeps/1", g, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"5711\"") && !strstr(o.buf, "\"4711\"") && !strstr(o.buf, "\"4712\""), "%s", o.buf);
    cr_expect(!strstr(o.buf, "Kulturenheten"), "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/sweeps", m, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"4712\"") && !strstr(o.buf, "\"4711\"") && !strstr(o.buf, "\"5711\""), "%s", o.buf);
}

/* A sweep covers every organisation (it disposes of recordings and lists
 * mailboxes of all of them): an organisation's admin may not run one. */
Test(orgs, only_the_installations_admin_runs_a_sweep) {
    sink o;
    char admin[80], ga[80];
    two_authorities(admin, sizeof admin);
    token_orgs("admin", "grastorp-it", "--org grastorp", ga, sizeof ga);
    cr_expect_eq(call("POST", "/v1/sweeps?date=2026-12-07&dry_run=true", ga, NULL, &o), 403, "%s", o.buf);
    cr_expect(!strstr(o.buf, "\"4711\""), "another authority's mailbox: %s", o.buf);
    cr_expect_eq(call("POST", "/v1/sweeps?date=2026-12-07", ga, NULL, &o), 403, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/sweeps", admin, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"items\":[]"), "nothing ran: %s", o.buf);
    cr_expect_eq(call("POST", "/v1/sweeps?date=2026-12-07&dry_run=true", admin, NULL, &o), 200, "%s", o.buf);
}

/* Each authority's own rules: its diarienummer pattern and gallringsbeslut
 * come before its mailboxes' profile's. */
Test(orgs, an_authoritys_own_decision_rules_come_first) {
    sink o;
    char admin[80];
    two_authorities(admin, sizeof admin);
    cr_assert_eq(call("PUT", "/v1/organisations/essunga", admin,
                      "{\"name\":\"Essunga kommun\",\"diarienummer_pattern\":\"^ESS \\\\d{4}/\\\\d+$\","
                      "\"gallringsbeslut\":\"KS 2020/12, 2020-02-03\",\"gallring_covers\":[\"ringa\"]}",
                      &o),
                 200, "%s", o.buf);
    cr_expect_eq(call("POST", "/v1/voicemails/1/decision", officer,
                      "{\"decision\":\"registrera\",\"diarienummer\":\"KS 2026/1\",\"arendemening\":\"Bygglov\"}", &o),
                 422, "essunga's pattern, not the profile's: %s", o.buf);
    cr_expect(strstr(o.buf, "ESS") != NULL, "%s", o.buf);
    cr_expect_eq(call("POST", "/v1/voicemails/2/decision", officer,
                      "{\"decision\":\"registrera\",\"diarienummer\":\"KS 2026/1\",\"arendemening\":\"Faktura\"}", &o),
                 201, "grastorp has no pattern: %s", o.buf);
    cr_assert_eq(call("POST", "/v1/voicemails/1/decision", officer,
                      "{\"decision\":\"registrera\",\"diarienummer\":\"ESS 2026/1\",\"arendemening\":\"Bygglov\"}", &o),
                 201, "%s", o.buf);
    cr_expect_eq(call("POST", "/v1/voicemails/1/decision", officer,
                      "{\"decision\":\"gallras\",\"ground\":\"tillfallig\",\"reason\":\"fel\"}", &o),
                 422, "essunga's gallringsbeslut covers ringa only: %s", o.buf);
    cr_assert_eq(call("POST", "/v1/voicemails/1/decision", officer,
                      "{\"decision\":\"gallras\",\"ground\":\"ringa\",\"reason\":\"ringa betydelse\"}", &o),
                 201, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/voicemails/1", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"gallringsbeslut\":\"KS 2020/12, 2020-02-03\"") != NULL,
              "the decision names essunga's gallringsbeslut: %s", o.buf);
    /* the sweep disposes of it under that gallringsbeslut, and says so */
    for (int i = 0; i < 600 && !strstr(o.buf, "\"state\":\"analysed\""); i++) {
        usleep(100000);
        cr_assert_eq(call("GET", "/v1/voicemails/1", officer, NULL, &o), 200);
    }
    cr_assert(strstr(o.buf, "\"state\":\"analysed\""), "%s", o.buf);
    cr_assert_eq(call("POST", "/v1/sweeps?date=2026-12-08&allow_future=true", admin, NULL, &o), 200, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/audit?voicemail=1", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"action\":\"disposed\"") && strstr(o.buf, "gallringsbeslut KS 2020/12, 2020-02-03"),
              "%s", o.buf);
}

/* An officer reads the audit of their own authority's mailboxes and
 * voicemails; the rows of no mailbox (sign-ins, organisations) only the
 * installation's admin. */
Test(orgs, an_officer_reads_only_their_own_authoritys_audit) {
    sink o;
    char admin[80], g[80];
    two_authorities(admin, sizeof admin);
    token_orgs("officer", "diarium", "--org grastorp", g, sizeof g);
    cr_assert_eq(call("GET", "/v1/voicemails/1", admin, NULL, &o), 200);
    cr_assert_eq(call("GET", "/v1/voicemails/2", admin, NULL, &o), 200);
    cr_assert_eq(call("GET", "/v1/audit", g, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"ext\":\"5711\"") && strstr(o.buf, "\"voicemail\":2,"), "grastorp's rows: %s", o.buf);
    cr_expect(!strstr(o.buf, "4711") && !strstr(o.buf, "\"voicemail\":1,"), "never essunga's: %s", o.buf);
    /* of the rows of no mailbox, their own organisation's alone */
    cr_expect(strstr(o.buf, "\"action\":\"organisation_created\",\"voicemail\":null,\"ext\":null,\"detail\":\"grastorp\"") &&
                  !strstr(o.buf, "\"detail\":\"essunga\""), "their organisation's row, not the other's: %s", o.buf);
    cr_assert_eq(call("PUT", "/v1/units/Ekonomienheten", admin,
                      "{\"managers\":[\"chef@essunga.se\"],\"organisation\":\"essunga\"}", &o), 201, "%s", o.buf);
    cr_assert_eq(call("PUT", "/v1/units/Ekonomienheten", admin, "{\"managers\":[\"chef@kommun.se\"]}", &o), 201, "%s",
                 o.buf);
    cr_assert_eq(call("GET", "/v1/audit", g, NULL, &o), 200, "%s", o.buf);
    cr_expect(!strstr(o.buf, "unit_created"), "another's unit, and a unit of every organisation: %s", o.buf);
    char ea[80];
    token_orgs("admin", "essunga-it", "--org essunga", ea, sizeof ea);
    cr_assert_eq(call("GET", "/v1/audit", ea, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"detail\":\"essunga: Ekonomienheten\"") && strstr(o.buf, "\"detail\":\"essunga\"") &&
                  !strstr(o.buf, "\"detail\":\"Ekonomienheten\"") && !strstr(o.buf, "\"detail\":\"grastorp\""),
              "essunga's unit and organisation: %s", o.buf);
    cr_assert_eq(call("GET", "/v1/audit?voicemail=1", g, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"items\":[]"), "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/audit?format=csv", g, NULL, &o), 200);
    cr_expect(strstr(o.buf, ",5711,") && !strstr(o.buf, "4711") && !strstr(o.buf, ",essunga"), "%s", o.buf);
    /* the installation's admin: every row */
    cr_assert_eq(call("GET", "/v1/audit", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"ext\":\"4711\"") && strstr(o.buf, "\"ext\":\"5711\"") &&
                  strstr(o.buf, "organisation_created"), "%s", o.buf);
    /* a manager reads none */
    char m[80];
    token_orgs("manager", "chef@grastorp.se", "--org grastorp", m, sizeof m);
    cr_expect_eq(call("GET", "/v1/audit", m, NULL, &o), 403);
}

/* A mailbox that names no profile has its authority's default profile;
 * one that names one keeps it. */
Test(orgs, a_mailbox_takes_its_authoritys_default_profile) {
    sink o;
    char admin[80];
    two_authorities(admin, sizeof admin);
    cr_assert_eq(call("PUT", "/v1/organisations/grastorp", admin, "{\"name\":\"Grästorps kommun\",\"profile\":\"diarium\"}",
                      &o), 200, "%s", o.buf);
    cr_assert_eq(call("PUT", "/v1/mailboxes/5712", pbx,
                      "{\"first_name\":\"Eva\",\"last_name\":\"Lund\",\"unit\":\"Kultur\",\"organisation\":\"grastorp\"}",
                      &o), 201, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"profile\":\"diarium\""), "%s", o.buf);
    /* the PBX's next update names neither: both kept */
    cr_assert_eq(call("PUT", "/v1/mailboxes/5712", pbx, "{\"first_name\":\"Eva\",\"last_name\":\"Lund\",\"unit\":\"Kultur\"}",
                      &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"profile\":\"diarium\"") && strstr(o.buf, "\"organisation\":\"grastorp\""), "%s", o.buf);
    cr_assert_eq(call("PUT", "/v1/mailboxes/5713", pbx,
                      "{\"first_name\":\"Dag\",\"last_name\":\"Lind\",\"unit\":\"Kultur\",\"organisation\":\"grastorp\","
                      "\"profile\":\"default\"}", &o), 201, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"profile\":\"default\""), "named, kept: %s", o.buf);
    cr_assert_eq(call("GET", "/v1/mailboxes/5712", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"profile\":\"diarium\""), "%s", o.buf);
}

/* Another authority's greeting: its versions, audio and review are 404,
 * and the review records nothing. */
Test(orgs, another_authoritys_greeting_cannot_be_reviewed) {
    sink o;
    char admin[80], g[80], e[80];
    stop_server();
    server_set = "review_sample_every=1"; /* every sure verdict offered for review */
    start_server("0");
    server_set = "max_audio_seconds=600";
    two_authorities(admin, sizeof admin);
    cr_assert_eq(upload("PUT", "/v1/mailboxes/4711/greeting", "samples/g01-anna-svensson.wav", pbx, "audio/wav", NULL,
                        &o, NULL, 0), 200, "%s", o.buf);
    token_orgs("officer", "diarium", "--org grastorp", g, sizeof g);
    token_orgs("officer", "registrator-essunga", "--org essunga", e, sizeof e);
    /* the review list, with every sure verdict sampled too, is of the
     * caller's own authority only */
    cr_assert_eq(call("PUT", "/v1/mailboxes/4712", pbx,
                      "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\","
                      "\"organisation\":\"essunga\"}", &o), 201, "%s", o.buf);
    cr_assert_eq(upload("PUT", "/v1/mailboxes/4712/greeting", "samples/g01-anna-svensson.wav", pbx, "audio/wav", NULL,
                        &o, NULL, 0), 200, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/review", e, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"4711\"") && strstr(o.buf, "\"4712\""), "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/review", g, NULL, &o), 200, "%s", o.buf);
    cr_expect(!strstr(o.buf, "\"4711\"") && !strstr(o.buf, "\"4712\""), "%s", o.buf);
    const char *review = "/v1/mailboxes/4711/greetings/1/review";
    cr_expect_eq(call("GET", "/v1/mailboxes/4711/greeting", g, NULL, &o), 404, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/mailboxes/4711/greetings/1/audio", g, NULL, &o), 404, "%s", o.buf);
    cr_expect_eq(call("POST", review, g, "{\"name\":\"stated\"}", &o), 404, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/audit", admin, NULL, &o), 200);
    cr_expect(!strstr(o.buf, "greeting_reviewed"), "nothing recorded: %s", o.buf);
    cr_expect_eq(call("POST", review, e, "{\"name\":\"stated\"}", &o), 201, "its own authority's: %s", o.buf);
}

/* organisation= narrows a kept report and the audit to one of the
 * caller's organisations, as it narrows the lists; another's is 422. */
Test(orgs, reports_and_the_audit_narrow_to_one_of_the_callers_organisations) {
    sink o;
    char admin[80], both[80], g[80];
    two_authorities(admin, sizeof admin);
    cr_assert_eq(call("POST", "/v1/sweeps?date=2026-12-07", admin, NULL, &o), 200, "%s", o.buf);
    token_orgs("officer", "forbundet", "--org essunga --org grastorp", both, sizeof both);
    token_orgs("officer", "diarium", "--org grastorp", g, sizeof g);
    cr_assert_eq(call("GET", "/v1/sweeps", both, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"4711\"") && strstr(o.buf, "\"5711\""), "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/sweeps?organisation=grastorp", both, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"5711\"") && !strstr(o.buf, "\"4711\""), "%s", o.buf);
    cr_expect(strstr(o.buf, "\"mailboxes\":1"), "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/sweeps/1?organisation=essunga", admin, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"4711\"") && !strstr(o.buf, "\"5711\""), "the installation's admin too: %s", o.buf);
    cr_expect_eq(call("GET", "/v1/sweeps?organisation=essunga", g, NULL, &o), 422, "not theirs: %s", o.buf);
    cr_expect_eq(call("GET", "/v1/sweeps?organisation=nowhere", both, NULL, &o), 422, "%s", o.buf);
    /* the audit: the rows of that organisation's mailboxes and voicemails */
    cr_assert_eq(call("GET", "/v1/voicemails/1", both, NULL, &o), 200);
    cr_assert_eq(call("GET", "/v1/voicemails/2", both, NULL, &o), 200);
    cr_assert_eq(call("GET", "/v1/audit?organisation=grastorp", both, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"ext\":\"5711\"") && !strstr(o.buf, "\"ext\":\"4711\"") &&
                  !strstr(o.buf, "\"voicemail\":1,"), "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/audit?organisation=essunga", admin, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"ext\":\"4711\"") && !strstr(o.buf, "\"ext\":\"5711\"") &&
                  !strstr(o.buf, "\"detail\":\"grastorp\""), "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/audit?organisation=essunga", g, NULL, &o), 422, "%s", o.buf);
}

/* ---- each authority's calendar and time zone ---- */

static const char *lemland = "{\"name\":\"Lemlands kommun\",\"calendar\":\"AX\","
                             "\"mail\":{\"from\":\"rostvakt@lemland.ax\",\"officers\":[\"registrator@lemland.ax\"]}}";

/* An Åland authority, lemland (calendar AX), with mailbox 8711 of the
 * default profile (calendar SE), beside two_authorities'. */
static void and_an_aland_authority(const char *admin)
{
    sink o;
    cr_assert_eq(call("PUT", "/v1/organisations/lemland", admin, lemland, &o), 201, "%s", o.buf);
    cr_assert_eq(call("PUT", "/v1/mailboxes/8711", pbx,
                      "{\"first_name\":\"Dan\",\"last_name\":\"Eriksson\",\"unit\":\"Socialtjänst\","
                      "\"org\":\"Lemlands kommun\",\"organisation\":\"lemland\"}", &o), 201, "%s", o.buf);
}

/* A voicemail to ext received at (UTC): its id. */
static long long post_at(const char *ext, const char *at)
{
    sink o;
    char where[64], h1[96];
    snprintf(where, sizeof where, "/v1/mailboxes/%s/voicemails", ext);
    snprintf(h1, sizeof h1, "X-Received-At: %s", at);
    const char *h[] = {h1, "X-Caller-Number: 0701234567", NULL};
    cr_assert_eq(upload("POST", where, "samples/v03-ring-mig.wav", pbx, "audio/wav", h, &o, NULL, 0), 201, "%s", o.buf);
    json_t *j = json_loads(o.buf, 0, NULL);
    long long id = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    cr_assert(id > 0, "%s", o.buf);
    return id;
}

/* Whether the JSON object text (a kept report, or a list's answer under
 * "items") holds an item of id in its list named list. */
static int listed(const char *text, const char *list, long long id)
{
    json_t *j = json_loads(text, 0, NULL), *it;
    cr_assert(j, "not JSON: %s", text);
    json_t *report = json_object_get(j, "report");
    size_t i;
    int found = 0;
    json_array_foreach(json_object_get(report ? report : j, list), i, it)
        found |= json_integer_value(json_object_get(it, "id")) == id;
    json_decref(j);
    return found;
}

/* The call-back deadline the API gives voicemail id. */
static void deadline_of(long long id, const char *tok, char out[16])
{
    sink o;
    char path[64];
    snprintf(path, sizeof path, "/v1/voicemails/%lld", id);
    cr_assert_eq(call("GET", path, tok, NULL, &o), 200, "%s", o.buf);
    json_t *j = json_loads(o.buf, 0, NULL);
    const char *d = json_string_value(json_object_get(j, "callback_deadline"));
    snprintf(out, 16, "%s", d ? d : "null");
    json_decref(j);
}

/* 22:30 UTC on 30 November is 23:30 that day in Sweden but 00:30 on 1
 * December on Åland; 9 June is Ålands självstyrelsedag, a working day in
 * Sweden. Each authority's dates and working days are its own calendar's,
 * not its mailboxes' profile's. */
Test(orgs, an_authoritys_calendar_gives_its_local_dates_and_deadlines) {
    sink o;
    char admin[80], e[80], l[80], dl[16];
    two_authorities(admin, sizeof admin);
    and_an_aland_authority(admin);
    token_orgs("officer", "registrator-essunga", "--org essunga", e, sizeof e);
    token_orgs("officer", "registrator-lemland", "--org lemland", l, sizeof l);
    long long se_night = post_at("4711", "2026-11-30T22:30:00Z"), ax_night = post_at("8711", "2026-11-30T22:30:00Z");
    long long se_june = post_at("4711", "2026-06-08T10:00:00Z"), ax_june = post_at("8711", "2026-06-08T10:00:00Z");
    /* the date filters: the local dates of the caller's authority */
    cr_assert_eq(call("GET", "/v1/voicemails?from=2026-12-01&to=2026-12-01", l, NULL, &o), 200, "%s", o.buf);
    cr_expect(listed(o.buf, "items", ax_night), "00:30 on 1 December on Åland: %s", o.buf);
    cr_assert_eq(call("GET", "/v1/voicemails?from=2026-11-30&to=2026-11-30", l, NULL, &o), 200);
    cr_expect(!listed(o.buf, "items", ax_night), "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/voicemails?from=2026-11-30&to=2026-11-30", e, NULL, &o), 200);
    cr_expect(listed(o.buf, "items", se_night), "23:30 on 30 November in Sweden: %s", o.buf);
    cr_assert_eq(call("GET", "/v1/voicemails?from=2026-12-01&to=2026-12-01", e, NULL, &o), 200);
    cr_expect(!listed(o.buf, "items", se_night), "%s", o.buf);
    /* two working days: Åland's start a day later, and skip självstyrelsedagen */
    deadline_of(se_night, admin, dl);
    cr_expect_str_eq(dl, "2026-12-02");
    deadline_of(ax_night, admin, dl);
    cr_expect_str_eq(dl, "2026-12-03");
    deadline_of(se_june, admin, dl);
    cr_expect_str_eq(dl, "2026-06-10");
    deadline_of(ax_june, admin, dl);
    cr_expect_str_eq(dl, "2026-06-11", "9 June is a holiday on Åland");
    cr_assert_eq(call("GET", "/v1/voicemails?ext=8711", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"callback_deadline\":\"2026-06-11\"") && !strstr(o.buf, "calendar"), "the list too: %s",
              o.buf);
    /* the sweep: overdue by each authority's working days */
    cr_assert_eq(call("POST", "/v1/sweeps?date=2026-06-11", admin, NULL, &o), 200, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/sweeps/1", admin, NULL, &o), 200);
    cr_expect(listed(o.buf, "overdue_callbacks", se_june), "Sweden's deadline was 10 June: %s", o.buf);
    cr_expect(!listed(o.buf, "overdue_callbacks", ax_june), "Åland's is 11 June: %s", o.buf);
    /* the mail: each authority's local time */
    int port = free_port();
    mail_server_start(port);
    cr_expect_eq(sweep_mail_to(port, "2026-12-04", &o), 0, "%s", o.buf);
    mail_server_stop();
    cr_assert_eq(mail_server_mails(&o), 3, "%s", o.buf);
    char *m = strstr(o.buf, "RCPT=registrator@lemland.ax|"), *s = strstr(o.buf, "RCPT=registrator@essunga.se|");
    cr_assert(m && s, "%s", o.buf);
    char *m_end = strchr(m, '\n'), *s_end = strchr(s, '\n');
    if (m_end) *m_end = '\0';
    if (s_end) *s_end = '\0';
    cr_expect(strstr(m, "mottaget 2026-12-01 00:30") && !strstr(m, "2026-11-30T"), "Åland's time: %s", m);
    cr_expect(strstr(s, "mottaget 2026-11-30 23:30") && !strstr(s, "2026-11-30T"), "Sweden's time: %s", s);
}

/* A person of a Swedish and an Åland authority: dates are Swedish, unless
 * organisation= picks one of them, then they are its calendar's. */
Test(orgs, dates_are_the_picked_authoritys) {
    sink o;
    char admin[80], both[80];
    two_authorities(admin, sizeof admin);
    and_an_aland_authority(admin);
    token_orgs("officer", "forbundet", "--org essunga --org lemland", both, sizeof both);
    long long ax = post_at("8711", "2026-11-30T22:30:00Z");
    cr_assert_eq(call("GET", "/v1/voicemails?from=2026-12-01&to=2026-12-01", both, NULL, &o), 200, "%s", o.buf);
    cr_expect(!listed(o.buf, "items", ax), "Swedish dates: %s", o.buf);
    cr_assert_eq(call("GET", "/v1/voicemails?organisation=lemland&from=2026-12-01&to=2026-12-01", both, NULL, &o), 200,
                 "%s", o.buf);
    cr_expect(listed(o.buf, "items", ax), "Åland's, picked: %s", o.buf);
    cr_assert_eq(call("GET", "/v1/voicemails?organisation=essunga&from=2026-12-01&to=2026-12-01", both, NULL, &o), 200);
    cr_expect(!listed(o.buf, "items", ax), "%s", o.buf);
}

/* Days kept count from the local date of the authority's time zone: a
 * private message received 22:30 UTC on 30 November is 91 days old on 1
 * March in Sweden, 90 on Åland. */
Test(orgs, an_authoritys_calendar_counts_its_days_kept) {
    sink o;
    char admin[80], path[96];
    two_authorities(admin, sizeof admin);
    and_an_aland_authority(admin);
    long long se = post_at("4711", "2026-11-30T22:30:00Z"), ax = post_at("8711", "2026-11-30T22:30:00Z");
    long long ids[] = {se, ax};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "/v1/voicemails/%lld", ids[k]);
        for (int i = 0; i < 600; i++) {
            cr_assert_eq(call("GET", path, admin, NULL, &o), 200);
            if (strstr(o.buf, "\"state\":\"analysed\"")) break;
            usleep(100000);
        }
        cr_assert(strstr(o.buf, "\"state\":\"analysed\""), "%s", o.buf);
        snprintf(path, sizeof path, "/v1/voicemails/%lld/decision", ids[k]);
        cr_assert_eq(call("POST", path, officer, "{\"decision\":\"privat\"}", &o), 201, "%s", o.buf);
    }
    cr_assert_eq(call("POST", "/v1/sweeps?date=2027-03-01&allow_future=true", admin, NULL, &o), 200, "%s", o.buf);
    cr_expect(listed(o.buf, "disposed", se), "retention_not_public_days 90: %s", o.buf);
    cr_expect(!listed(o.buf, "disposed", ax), "one day younger on Åland: %s", o.buf);
    snprintf(path, sizeof path, "/v1/voicemails/%lld/audio", ax);
    cr_expect_eq(call("GET", path, officer, NULL, &o), 200, "still kept");
}

/* The sweep run at an instant counts each authority's own day of it: at
 * 22:30 UTC on 30 November it is still the 30th in Essunga, where a
 * call-back owed by the 30th is not yet overdue, and already 1 December
 * on Åland, where it is. The report's date is Sweden's. */
Test(orgs, the_sweep_counts_each_authoritys_own_day) {
    sink o;
    char admin[80];
    two_authorities(admin, sizeof admin);
    and_an_aland_authority(admin);
    /* Thursday 26 November: two working days on, Monday the 30th, in both */
    long long se = post_at("4711", "2026-11-26T10:00:00Z"), ax = post_at("8711", "2026-11-26T10:00:00Z");
    cr_expect_eq(call("POST", "/v1/sweeps?date=2026-11-30T25:30:00Z", admin, NULL, &o), 400, "%s", o.buf);
    cr_expect_eq(call("POST", "/v1/sweeps?date=2026-11-30T22:30:00", admin, NULL, &o), 400, "%s", o.buf);
    cr_assert_eq(call("POST", "/v1/sweeps?date=2026-11-30T22:30:00Z&dry_run=true", admin, NULL, &o), 200, "%s",
                 o.buf);
    cr_expect(strstr(o.buf, "\"date\":\"2026-11-30\""), "%s", o.buf);
    cr_expect(!listed(o.buf, "overdue_callbacks", se), "still the 30th in Sweden: %s", o.buf);
    cr_expect(listed(o.buf, "overdue_callbacks", ax), "1 December on Åland: %s", o.buf);
    /* the command line's the same */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s sweep --data-dir %s/data --dry-run --date 2026-11-30T22:30:00Z 2>/dev/null",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", dir);
    cr_assert_eq(run(cmd, &o), 0, "%s", o.buf);
    cr_expect(!listed(o.buf, "overdue_callbacks", se) && listed(o.buf, "overdue_callbacks", ax), "%s", o.buf);
    /* a date is that day for every authority, as before */
    cr_assert_eq(call("POST", "/v1/sweeps?date=2026-11-30&dry_run=true", admin, NULL, &o), 200, "%s", o.buf);
    cr_expect(!listed(o.buf, "overdue_callbacks", se) && !listed(o.buf, "overdue_callbacks", ax), "%s", o.buf);
}

/* rostvakt archive's days are each voicemail's authority's: registered at
 * 22:30 UTC on 30 November, Essunga's was registered on the 30th, Lemland's
 * on 1 December; --org packages one authority's alone. */
Test(orgs, the_archive_command_counts_each_authoritys_own_days) {
    sink o;
    char admin[80], cmd[1024];
    two_authorities(admin, sizeof admin);
    and_an_aland_authority(admin);
    long long se = post_at("4711", "2026-11-30T20:00:00Z"), ax = post_at("8711", "2026-11-30T20:00:00Z");
    /* the decisions made at that instant, straight into the archive */
    char data[128];
    snprintf(data, sizeof data, "%s/data", dir);
    rv_store *st;
    rv_error e;
    cr_assert_eq(rv_store_open(data, &st, &e), RV_OK, "%s", e.msg);
    long long ids[] = {se, ax}, did;
    for (int i = 0; i < 2; i++) {
        rv_decision_record d = {.decision = "registrera", .diarienummer = "KS 2026/1", .arendemening = "Röstmeddelande"};
        cr_assert_eq(rv_store_add_decision(st, ids[i], &d, "registrator", "2026-11-30T22:30:00Z", &did, &e), RV_OK,
                     "%s", e.msg);
    }
    rv_store_close(st);
    const char *exe = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
    char se_line[64], ax_line[64];
    snprintf(se_line, sizeof se_line, "voicemail %lld: ", se);
    snprintf(ax_line, sizeof ax_line, "voicemail %lld: ", ax);
    snprintf(cmd, sizeof cmd, "%s archive --data-dir %s --decided-from 2026-12-01 --decided-to 2026-12-01 --out %s/p1 2>&1",
             exe, data, dir);
    cr_expect_eq(run(cmd, &o), 0, "%s", o.buf);
    cr_expect(strstr(o.buf, ax_line) && !strstr(o.buf, se_line), "1 December: Lemland's alone: %s", o.buf);
    snprintf(cmd, sizeof cmd, "%s archive --data-dir %s --decided-from 2026-11-30 --decided-to 2026-11-30 --out %s/p2 2>&1",
             exe, data, dir);
    cr_expect_eq(run(cmd, &o), 0, "%s", o.buf);
    cr_expect(strstr(o.buf, se_line) && !strstr(o.buf, ax_line), "30 November: Essunga's alone: %s", o.buf);
    snprintf(cmd, sizeof cmd,
             "%s archive --data-dir %s --org lemland --decided-from 2026-11-01 --decided-to 2026-12-31 --out %s/p3 2>&1",
             exe, data, dir);
    cr_expect_eq(run(cmd, &o), 0, "%s", o.buf);
    cr_expect(strstr(o.buf, ax_line) && !strstr(o.buf, se_line) && strstr(o.buf, "1 voicemails registered"), "%s",
              o.buf);
    snprintf(cmd, sizeof cmd, "%s archive --data-dir %s --org lemland --voicemail %lld --out %s/p4 2>&1", exe, data, se,
             dir);
    cr_expect_eq(run(cmd, &o), 64, "another authority's: %s", o.buf);
    snprintf(cmd, sizeof cmd, "%s archive --data-dir %s --org nowhere --voicemail %lld --out %s/p4 2>&1", exe, data,
             se, dir);
    cr_expect_eq(run(cmd, &o), 64, "%s", o.buf);
    cr_expect(strstr(o.buf, "--org nowhere: no such organisation"), "%s", o.buf);
    /* a folder with no archive: a usage mistake, as for the other commands */
    snprintf(cmd, sizeof cmd, "%s archive --data-dir %s/none --voicemail %lld --out %s/p5 2>&1", exe, dir, se, dir);
    cr_expect_eq(run(cmd, &o), 64, "%s", o.buf);
    cr_expect(strstr(o.buf, "no archive at"), "%s", o.buf);
}

/* ---- each authority's gallringsbeslut ---- */

/* The voicemail id analysed (waited for, up to a minute). */
static void analysed(long long id)
{
    sink o;
    char path[64];
    snprintf(path, sizeof path, "/v1/voicemails/%lld", id);
    for (int i = 0; i < 600; i++) {
        cr_assert_eq(call("GET", path, officer, NULL, &o), 200);
        if (strstr(o.buf, "\"state\":\"analysed\"")) break;
        usleep(100000);
    }
    cr_assert(strstr(o.buf, "\"state\":\"analysed\""), "%s", o.buf);
}

/* Every mailbox is of the profile "default", whose gallringsbeslut lets an
 * undecided "ring mig" go after 90 days. Essunga's own gallringsbeslut and
 * profile let it go; Grästorp's profile ("diarium") does not; Lemland
 * names no gallringsbeslut of its own. The same-aged message is disposed
 * of in Essunga alone, under Essunga's gallringsbeslut. */
Test(orgs, an_authoritys_own_gallringsbeslut_disposes_of_its_recordings) {
    sink o;
    char admin[80], path[96];
    two_authorities(admin, sizeof admin);
    and_an_aland_authority(admin);
    cr_assert_eq(call("PUT", "/v1/organisations/essunga", admin,
                      "{\"name\":\"Essunga kommun\",\"profile\":\"default\",\"gallringsbeslut\":\"KS 2019/45\"}", &o),
                 200, "%s", o.buf);
    cr_assert_eq(call("PUT", "/v1/organisations/grastorp", admin,
                      "{\"name\":\"Grästorps kommun\",\"profile\":\"diarium\",\"gallringsbeslut\":\"KS 2020/7\"}",
                      &o), 200, "%s", o.buf);
    long long e = post_at("4711", "2026-01-05T10:00:00Z"), g = post_at("5711", "2026-01-05T10:00:00Z"),
              l = post_at("8711", "2026-01-05T10:00:00Z");
    analysed(e), analysed(g), analysed(l);
    snprintf(path, sizeof path, "/v1/voicemails/%lld", e);
    cr_assert_eq(call("GET", path, officer, NULL, &o), 200);
    cr_assert(strstr(o.buf, "\"classification\":\"ephemeral\""), "%s", o.buf);
    cr_assert_eq(call("POST", "/v1/sweeps?date=2026-06-01", admin, NULL, &o), 200, "%s", o.buf);
    cr_expect(listed(o.buf, "disposed", e), "Essunga's gallringsbeslut lets it go: %s", o.buf);
    cr_expect(!listed(o.buf, "disposed", g), "Grästorp's profile keeps it: %s", o.buf);
    cr_expect(!listed(o.buf, "disposed", l), "Lemland names no gallringsbeslut: %s", o.buf);
    snprintf(path, sizeof path, "/v1/voicemails/%lld/audio", g);
    cr_expect_eq(call("GET", path, officer, NULL, &o), 200, "still kept");
    snprintf(path, sizeof path, "/v1/audit?voicemail=%lld", e);
    cr_assert_eq(call("GET", path, admin, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "gallringsbeslut KS 2019/45") && !strstr(o.buf, "TEST 2026/1"),
              "the disposal names Essunga's own: %s", o.buf);
}

/* ---- units are an authority's ---- */

/* Two authorities each with a unit called Socialtjänst, and a manager of
 * each: each manager hears of, and sees, their own authority's mailboxes
 * alone, even one who acts for both authorities. */
Test(orgs, a_unit_of_one_name_is_each_authoritys_own) {
    sink o;
    char admin[80], ea[80], m[80];
    two_authorities(admin, sizeof admin);
    cr_assert_eq(call("PUT", "/v1/mailboxes/4713", pbx,
                      "{\"first_name\":\"Cilla\",\"last_name\":\"Berg\",\"unit\":\"Socialtjänst\","
                      "\"organisation\":\"essunga\"}", &o), 201);
    cr_assert_eq(call("PUT", "/v1/mailboxes/5713", pbx,
                      "{\"first_name\":\"Dag\",\"last_name\":\"Lind\",\"unit\":\"Socialtjänst\","
                      "\"organisation\":\"grastorp\"}", &o), 201);
    cr_assert_eq(call("PUT", "/v1/units/Socialtj%C3%A4nst", admin,
                      "{\"managers\":[\"soc@grastorp.se\"],\"organisation\":\"grastorp\"}", &o), 201, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"organisation\":\"grastorp\"") && strstr(o.buf, "\"mailboxes\":1"), "%s", o.buf);
    /* an organisation's admin puts their own organisation's */
    token_orgs("admin", "essunga-it", "--org essunga", ea, sizeof ea);
    cr_assert_eq(call("PUT", "/v1/units/socialtj%C3%A4nst", ea, "{\"managers\":[\"soc@essunga.se\"]}", &o), 201,
                 "another authority's unit of the same name: %s", o.buf);
    cr_expect(strstr(o.buf, "\"organisation\":\"essunga\"") && strstr(o.buf, "\"mailboxes\":1"), "%s", o.buf);
    cr_expect_eq(call("PUT", "/v1/units/Socialtj%C3%A4nst", ea,
                      "{\"managers\":[\"x@essunga.se\"],\"organisation\":\"grastorp\"}", &o), 422, "not theirs: %s", o.buf);
    cr_expect_eq(call("PUT", "/v1/units/Socialtj%C3%A4nst", admin,
                      "{\"managers\":[\"x@essunga.se\"],\"organisation\":\"nowhere\"}", &o), 422, "%s", o.buf);
    cr_expect_eq(call("PUT", "/v1/units/Socialtj%C3%A4nst", admin,
                      "{\"managers\":[\"x@essunga.se\"],\"organisation\":\"Bad Id\"}", &o), 400, "%s", o.buf);
    /* the list: each authority's unit, with its own managers and count */
    cr_assert_eq(call("GET", "/v1/units", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "{\"name\":\"Socialtjänst\",\"organisation\":\"essunga\",\"managers\":[\"soc@essunga.se\"],"
                            "\"mailboxes\":1}") &&
                  strstr(o.buf, "{\"name\":\"Socialtjänst\",\"organisation\":\"grastorp\",\"managers\":"
                                "[\"soc@grastorp.se\"],\"mailboxes\":1}"),
              "%s", o.buf);
    /* grastorp's manager, of a token of both authorities: essunga's is 404 */
    token_orgs("manager", "soc@grastorp.se", "--org essunga --org grastorp", m, sizeof m);
    cr_expect_eq(call("GET", "/v1/mailboxes/5713", m, NULL, &o), 200, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/mailboxes/4713", m, NULL, &o), 404, "essunga's Socialtjänst: %s", o.buf);
    cr_assert_eq(call("GET", "/v1/mailboxes", m, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"5713\"") && !strstr(o.buf, "4713"), "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/units", m, NULL, &o), 200);
    cr_expect(strstr(o.buf, "soc@grastorp.se") && !strstr(o.buf, "soc@essunga.se"), "%s", o.buf);
    /* the sweep's mail: each manager their own authority's mailboxes */
    int port = free_port();
    mail_server_start(port);
    cr_expect_eq(sweep_mail_to(port, "2026-12-07", &o), 0, "%s", o.buf);
    mail_server_stop();
    cr_assert_eq(mail_server_mails(&o), 4, "%s", o.buf);
    char *g = strstr(o.buf, "RCPT=soc@grastorp.se|"), *e = strstr(o.buf, "RCPT=soc@essunga.se|");
    cr_assert(g && e, "%s", o.buf);
    char *g_end = strchr(g, '\n'), *e_end = strchr(e, '\n');
    if (g_end) *g_end = '\0';
    if (e_end) *e_end = '\0';
    cr_expect(strstr(g, "5713") && !strstr(g, "4713"), "grastorp's manager: %s", g);
    cr_expect(strstr(e, "4713") && !strstr(e, "5713"), "essunga's manager: %s", e);
    /* each from its own authority's address, not the installation's */
    cr_expect(strstr(g, "|FROM=") && strstr(strstr(g, "|FROM="), "rostvakt@grastorp.se"), "grastorp's from: %s", g);
    cr_expect(strstr(e, "|FROM=") && strstr(strstr(e, "|FROM="), "rostvakt@essunga.se"), "essunga's from: %s", e);
}

/* The sweep's kept report counts each authority's units apart: an officer
 * of grastorp reads grastorp's share of Ekonomienheten, never one that
 * counts essunga's mailboxes. */
Test(orgs, a_reports_unit_shares_are_each_authoritys_own) {
    sink o;
    char admin[80], g[80], m[80];
    two_authorities(admin, sizeof admin);
    cr_assert_eq(call("PUT", "/v1/mailboxes/4712", pbx,
                      "{\"first_name\":\"Cilla\",\"last_name\":\"Berg\",\"unit\":\"Ekonomienheten\","
                      "\"organisation\":\"essunga\"}", &o), 201);
    cr_assert_eq(call("POST", "/v1/sweeps?date=2026-12-07", admin, NULL, &o), 200, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/sweeps/1", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "{\"unit\":\"Ekonomienheten\",\"organisation\":\"essunga\",\"mailboxes\":2,\"compliant\":0}") &&
                  strstr(o.buf, "{\"unit\":\"Ekonomienheten\",\"organisation\":\"grastorp\",\"mailboxes\":1,"
                                "\"compliant\":0}"),
              "%s", o.buf);
    token_orgs("officer", "diarium", "--org grastorp", g, sizeof g);
    cr_assert_eq(call("GET", "/v1/sweeps/1", g, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"units\":[{\"unit\":\"Ekonomienheten\",\"organisation\":\"grastorp\",\"mailboxes\":1,"
                            "\"compliant\":0}]") && !strstr(o.buf, "essunga"),
              "grastorp's share alone: %s", o.buf);
    cr_expect(strstr(o.buf, "\"mailboxes\":1,\"units\""), "grastorp's mailboxes: %s", o.buf);
    /* a manager of essunga's unit: essunga's share */
    cr_assert_eq(call("PUT", "/v1/units/Ekonomienheten", admin,
                      "{\"managers\":[\"chef@essunga.se\"],\"organisation\":\"essunga\"}", &o), 201, "%s", o.buf);
    token_orgs("manager", "chef@essunga.se", "--org essunga --org grastorp", m, sizeof m);
    cr_assert_eq(call("GET", "/v1/sweeps", m, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"units\":[{\"unit\":\"Ekonomienheten\",\"organisation\":\"essunga\",\"mailboxes\":2,"
                            "\"compliant\":0}]") && !strstr(o.buf, "\"5711\""),
              "%s", o.buf);
    /* the report's chart names each unit's authority */
    cr_assert_eq(call("POST", "/v1/sweeps?date=2026-12-08&format=html&dry_run=true", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "Ekonomienheten, Essunga kommun") && strstr(o.buf, "Ekonomienheten, Grästorps kommun"), "%s",
              o.buf);
}

/* ---- the proxy's groups, mapped by settings ---- */

/* Serve behind a proxy at trusted (users the users file) whose groups
 * header maps groups to essunga's and grastorp's people and units. */
static void restart_with_groups(const char *trusted, const char *users)
{
    char path[128];
    snprintf(path, sizeof path, "%s/users", dir);
    write_file(path, users);
    stop_server();
    setenv("RV_TRUSTED_PROXY", trusted, 1);
    setenv("RV_USERS_FILE", path, 1);
    setenv("RV_PROXY_GROUPS_HEADER", "X-Remote-Groups", 1);
    setenv("RV_PROXY_GROUP_ORGS", "essunga-registratorer=essunga; grastorp-alla=grastorp", 1);
    setenv("RV_PROXY_GROUP_UNITS", "soc-chefer=Socialtjänst@grastorp; ekonomi-chefer=Ekonomienheten", 1);
    start_server("0");
    unsetenv("RV_TRUSTED_PROXY");
    unsetenv("RV_USERS_FILE");
    unsetenv("RV_PROXY_GROUPS_HEADER");
    unsetenv("RV_PROXY_GROUP_ORGS");
    unsetenv("RV_PROXY_GROUP_UNITS");
}

/* A Socialtjänst in each authority (4713 essunga, 5713 grastorp), managed
 * by nobody by name. */
static void two_socialtjanst(char *admin, size_t cap)
{
    sink o;
    two_authorities(admin, cap);
    cr_assert_eq(call("PUT", "/v1/mailboxes/4713", pbx,
                      "{\"first_name\":\"Cilla\",\"last_name\":\"Berg\",\"unit\":\"Socialtjänst\","
                      "\"organisation\":\"essunga\"}", &o), 201);
    cr_assert_eq(call("PUT", "/v1/mailboxes/5713", pbx,
                      "{\"first_name\":\"Dag\",\"last_name\":\"Lind\",\"unit\":\"Socialtjänst\","
                      "\"organisation\":\"grastorp\"}", &o), 201);
}

Test(orgs, a_proxy_managers_group_gives_their_units) {
    sink o;
    char admin[80];
    two_socialtjanst(admin, sizeof admin);
    restart_with_groups("127.0.0.1", "sara\tmanager\tessunga,grastorp\nper\tmanager\tessunga\n");
    const char *u = "X-Remote-User: sara", *g = "X-Remote-Groups: Personal, soc-chefer";
    cr_expect_eq(call_h("GET", "/v1/mailboxes/5713", u, g, NULL, NULL, &o, NULL), 200, "%s", o.buf);
    cr_expect_eq(call_h("GET", "/v1/mailboxes/4713", u, g, NULL, NULL, &o, NULL), 404, "essunga's Socialtjänst: %s", o.buf);
    cr_expect_eq(call_h("GET", "/v1/mailboxes/5711", u, g, NULL, NULL, &o, NULL), 404, "another unit: %s", o.buf);
    cr_assert_eq(call_h("GET", "/v1/mailboxes", u, g, NULL, NULL, &o, NULL), 200);
    cr_expect(strstr(o.buf, "\"5713\"") && !strstr(o.buf, "4713") && !strstr(o.buf, "5711"), "%s", o.buf);
    /* without the group: no unit at all */
    cr_expect_eq(call_h("GET", "/v1/mailboxes/5713", u, NULL, NULL, NULL, &o, NULL), 404, "%s", o.buf);
    /* a unit of no organisation named: every organisation's, within the user's own */
    g = "X-Remote-Groups: ekonomi-chefer";
    cr_expect_eq(call_h("GET", "/v1/mailboxes/4711", "X-Remote-User: per", g, NULL, NULL, &o, NULL), 200, "%s", o.buf);
    cr_expect_eq(call_h("GET", "/v1/mailboxes/5711", "X-Remote-User: per", g, NULL, NULL, &o, NULL), 404,
                 "grastorp's, not per's authority: %s", o.buf);
    cr_expect_eq(call_h("GET", "/v1/mailboxes/5711", u, g, NULL, NULL, &o, NULL), 200, "%s", o.buf);
}

Test(orgs, a_proxy_officers_group_gives_their_organisations) {
    sink o;
    char admin[80];
    two_authorities(admin, sizeof admin);
    restart_with_groups("127.0.0.1", "lena\tofficer\nmia\tofficer\tessunga\n");
    const char *u = "X-Remote-User: lena", *g = "X-Remote-Groups: alla;grastorp-alla";
    cr_assert_eq(call_h("GET", "/v1/voicemails", u, g, NULL, NULL, &o, NULL), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"5711\"") && !strstr(o.buf, "\"4711\""), "grastorp's alone: %s", o.buf);
    cr_expect_eq(call_h("GET", "/v1/voicemails/1", u, g, NULL, NULL, &o, NULL), 404, "%s", o.buf);
    cr_expect_eq(call_h("GET", "/v1/voicemails/2", u, g, NULL, NULL, &o, NULL), 200, "%s", o.buf);
    /* the users file's organisations and the groups' together */
    u = "X-Remote-User: mia";
    cr_expect_eq(call_h("GET", "/v1/voicemails/1", u, g, NULL, NULL, &o, NULL), 200, "%s", o.buf);
    cr_expect_eq(call_h("GET", "/v1/voicemails/2", u, g, NULL, NULL, &o, NULL), 200, "%s", o.buf);
    cr_expect_eq(call_h("GET", "/v1/voicemails/2", u, NULL, NULL, NULL, &o, NULL), 404, "without the group: %s", o.buf);
}

/* The groups header is believed only with the trusted proxy's sign-on. */
Test(orgs, the_groups_header_counts_only_from_the_trusted_proxy) {
    sink o;
    char admin[80], m[80], t[160];
    two_socialtjanst(admin, sizeof admin);
    token_orgs("manager", "sara", "--org grastorp", m, sizeof m);
    restart_with_groups("192.0.2.1", "sara\tmanager\tgrastorp\n");
    cr_expect_eq(call_h("GET", "/v1/mailboxes/5713", "X-Remote-User: sara", "X-Remote-Groups: soc-chefer", NULL, NULL,
                        &o, NULL), 401, "not from the proxy: %s", o.buf);
    snprintf(t, sizeof t, "Authorization: Bearer %s", m);
    cr_expect_eq(call_h("GET", "/v1/mailboxes/5713", t, "X-Remote-Groups: soc-chefer", NULL, NULL, &o, NULL), 404,
                 "a token's caller sends no groups: %s", o.buf);
    /* from the trusted proxy, with a token: still the token's scope */
    restart_with_groups("127.0.0.1", "sara\tmanager\tgrastorp\n");
    cr_expect_eq(call_h("GET", "/v1/mailboxes/5713", t, "X-Remote-Groups: soc-chefer", NULL, NULL, &o, NULL), 404, "%s",
                 o.buf);
    cr_expect_eq(call_h("GET", "/v1/mailboxes/5713", "X-Remote-User: sara", "X-Remote-Groups: soc-chefer", NULL, NULL,
                        &o, NULL), 200, "%s", o.buf);
}

Test(orgs, a_bad_group_mapping_is_a_configuration_error) {
    sink o;
    char cmd[1024];
    const char *exe = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
    static const char *bad[] = {"proxy_group_orgs=registratorer", "proxy_group_orgs=registratorer=Bad Id",
                                "proxy_group_orgs==essunga", "proxy_group_units=chefer=Socialtjänst@Bad Id",
                                "proxy_group_units=chefer=", "proxy_groups_header=X Groups"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(cmd, sizeof cmd, "%s serve --listen 127.0.0.1:0 --data-dir %s/bad --set '%s' 2>&1", exe, dir, bad[i]);
        cr_expect_eq(run(cmd, &o), 78, "%s: %s", bad[i], o.buf);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(bad[i], "="), bad[i]);
        cr_expect(strstr(o.buf, name), "names %s: %s", name, o.buf);
    }
    snprintf(cmd, sizeof cmd,
             "%s config --set 'proxy_group_orgs=a=essunga,grastorp; b = grastorp;' --set "
             "'proxy_group_units=soc-chefer=Socialtjänst@grastorp; ekonomi-chefer=Ekonomienheten' 2>&1",
             exe);
    cr_expect_eq(run(cmd, &o), 0, "well formed: %s", o.buf);
}
