/* The API's JSON request bodies, parsed into the store's structs. */
#include <criterion/criterion.h>
#include <string.h>

#include "rostvakt/requests.h"

static rv_err parse(const char *ext, const char *json, rv_mailbox *m, rv_error *e)
{
    return rv_mailbox_parse(ext, json, strlen(json), m, e);
}

/* 501 bytes: one over a decision field's limit */
#define X10 "xxxxxxxxxx"
#define X100 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10
#define LONG_501 X100 X100 X100 X100 X100 "x"

Test(requests, mailbox_bodies_are_checked_field_by_field) {
    rv_mailbox m;
    rv_error e;
    cr_assert_eq(parse("4711", "{\"first_name\":\"Åsa\",\"last_name\":\"Öberg\",\"unit\":\"Ekonomienheten\","
                               "\"org\":\"Botkyrka kommun\",\"profile\":\"botkyrka\",\"mobile\":\"0701234567\"}",
                       &m, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(m.first_name, "Åsa");
    cr_expect_str_eq(m.profile, "botkyrka");
    cr_assert_eq(parse("12", "{\"first_name\":\"Per\",\"last_name\":\"Ek\",\"unit\":\"IT\"}", &m, &e), RV_OK);
    cr_expect_str_eq(m.profile, "default", "a sensible default");
    struct {
        const char *ext, *json, *names;
    } bad[] = {
        {"47a1", "{\"first_name\":\"A\",\"last_name\":\"B\",\"unit\":\"C\"}", "ext"},
        {"", "{\"first_name\":\"A\",\"last_name\":\"B\",\"unit\":\"C\"}", "ext"},
        {"1", "{\"first_name\":\"A\",\"last_name\":\"B\"", "JSON"},
        {"1", "[1,2]", "object"},
        {"1", "{\"first_name\":\"A\",\"last_name\":\"B\"}", "unit"},
        {"1", "{\"first_name\":7,\"last_name\":\"B\",\"unit\":\"C\"}", "first_name"},
        {"1", "{\"first_name\":\"A\",\"last_name\":\"B\",\"unit\":\"C\",\"admin\":true}", "admin"},
        {"1", "{\"first_name\":\"\",\"last_name\":\"B\",\"unit\":\"C\"}", "first_name"},
        {"1", "{\"first_name\":\"A\",\"first_name\":\"Z\",\"last_name\":\"B\",\"unit\":\"C\"}", "duplicate"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_eq(parse(bad[i].ext, bad[i].json, &m, &e), RV_ERR_ARG, "case %zu accepted", i);
        cr_expect(strstr(e.msg, bad[i].names) != NULL, "case %zu: '%s' does not name %s", i, e.msg, bad[i].names);
    }
}

Test(requests, decision_bodies_are_checked_field_by_field) {
    rv_decision_req d;
    rv_error e;
    const char *ok = "{\"decision\":\"registered\",\"diarienummer\":\"KS 2026/17\",\"note\":\"bygglov\"}";
    cr_assert_eq(rv_decision_parse(ok, strlen(ok), &d, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(d.decision, "registered");
    cr_expect_str_eq(d.diarienummer, "KS 2026/17");
    cr_expect_str_eq(d.note, "bygglov");
    rv_decision_free(&d);
    const char *all = "{\"decision\":\"registrera\",\"diarienummer\":\"KS 2026/17\",\"arendemening\":\"Bygglov\","
                      "\"sekretess\":\"OSL 26 kap. 1 §\",\"reason\":\"fel nummer\",\"note\":\"n\"}";
    cr_assert_eq(rv_decision_parse(all, strlen(all), &d, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(d.arendemening, "Bygglov");
    cr_expect_str_eq(d.sekretess, "OSL 26 kap. 1 §");
    cr_expect_str_eq(d.reason, "fel nummer");
    cr_expect_null(d.ground);
    rv_decision_free(&d);
    const char *g = "{\"decision\":\"gallras\",\"ground\":\"ringa\"}";
    cr_assert_eq(rv_decision_parse(g, strlen(g), &d, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(d.ground, "ringa");
    rv_decision_free(&d);
    const char *only = "{\"decision\":\"dispose\"}";
    cr_assert_eq(rv_decision_parse(only, strlen(only), &d, &e), RV_OK, "%s", e.msg);
    cr_expect_null(d.diarienummer);
    rv_decision_free(&d);
    struct {
        const char *json, *names;
    } bad[] = {
        {"", "body is not JSON"},
        {"{\"decision\":\"dispose\",\"decision\":\"dispose\"}", "duplicate object key"},
        {"[\"registered\"]", "JSON object"},
        {"{\"note\":\"x\"}", "decision is missing"},
        {"{\"decision\":1}", "decision must be a string"},
        {"{\"decision\":\"dispose\",\"by\":\"me\"}", "unknown field"},
        {"{\"decision\":\"dispose\",\"note\":\"" LONG_501 "\"}", "note must be at most 500 bytes"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_eq(rv_decision_parse(bad[i].json, strlen(bad[i].json), &d, &e), RV_ERR_ARG, "case %zu accepted", i);
        cr_expect(strstr(e.msg, bad[i].names) != NULL, "case %zu: '%s' does not say %s", i, e.msg, bad[i].names);
    }
}

Test(requests, a_units_managers_are_addresses) {
    char list[RV_UNIT_LIST_MAX];
    rv_error e;
    const char *ok = "{\"managers\":[\"chef@kommun.se\",\"bitr@kommun.se\"]}";
    cr_assert_eq(rv_unit_parse(ok, strlen(ok), list, sizeof list, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(list, "chef@kommun.se,bitr@kommun.se");
    cr_assert_eq(rv_unit_parse("{\"managers\":[]}", 15, list, sizeof list, &e), RV_OK);
    cr_expect_str_eq(list, "");
    char many[2048] = "{\"managers\":[";
    for (int i = 0; i < 21; i++) strcat(many, i ? ",\"a@b.se\"" : "\"a@b.se\"");
    strcat(many, "]}");
    const char *arg[] = {"", "[]", "{\"managers\":\"chef@kommun.se\"}", "{}", many};
    for (size_t i = 0; i < sizeof arg / sizeof *arg; i++) {
        cr_expect_eq(rv_unit_parse(arg[i], strlen(arg[i]), list, sizeof list, &e), RV_ERR_ARG, "case %zu", i);
        cr_expect_str_eq(list, "");
    }
    const char *why[][2] = {{"{\"managers\":[", "body is not JSON: "},
                            {"[]", "body must be a JSON object"},
                            {"null", "body must be a JSON object"},
                            {"\"chef@kommun.se\"", "body must be a JSON object"},
                            {"{\"managers\":[],\"managers\":[]}", "duplicate object key"},
                            {"{\"managers\":[],\"chef\":\"x\"}", "unknown field"}};
    for (size_t i = 0; i < sizeof why / sizeof *why; i++) {
        cr_expect_eq(rv_unit_parse(why[i][0], strlen(why[i][0]), list, sizeof list, &e), RV_ERR_ARG, "%s", why[i][0]);
        cr_expect(strstr(e.msg, why[i][1]) != NULL, "%s: '%s' does not say %s", why[i][0], e.msg, why[i][1]);
    }
    const char *bad[] = {"{\"managers\":[\"inte en adress\"]}", "{\"managers\":[1]}",
                         "{\"managers\":[\"a@b.se\",\"a,b@c.se\"]}", "{\"managers\":[\"a@b.se\",\"A@b.se\"]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_expect_eq(rv_unit_parse(bad[i], strlen(bad[i]), list, sizeof list, &e), RV_ERR_UNPROCESSABLE, "%s", bad[i]);
        cr_expect_str_eq(list, "", "nothing half-filled");
    }
}
