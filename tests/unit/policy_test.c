/* Each shipped profile and the greeting rules it implies. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "rostvakt/decision.h"
#include "rostvakt/policy.h"
#include <unistd.h>

#define DIRS "models/profiles"

static rv_profile load(const char *name)
{
    rv_profile p;
    rv_error e;
    cr_assert_eq(rv_profile_find(DIRS, name, &p, &e), RV_OK, "%s: %s", name, e.msg);
    return p;
}

/* A greeting that states everything, unit first, short, with a prompt. */
static rv_greeting_facts good(void)
{
    rv_greeting_facts f = {0};
    f.duration_s = 12;
    f.unit_stated = f.org_stated = f.name_stated = 1;
    f.org_at_s = 0.5;
    f.unit_at_s = 1.5;
    f.name_at_s = 3.0;
    f.closing_prompt = 1;
    return f;
}

#define BIT(v) (1u << (v))

Test(policy, every_shipped_profile_loads_and_passes_a_good_greeting) {
    const char *names[] = {"default", "botkyrka", "essunga-grastorp", "lemland", "nvk", "falkenberg"};
    for (size_t i = 0; i < 6; i++) {
        rv_profile p = load(names[i]);
        cr_expect_str_eq(p.name, names[i]);
        cr_expect(p.title[0] != '\0');
        rv_greeting_facts f = good();
        cr_expect_eq(rv_policy_check(&p, &f), 0u, "%s", names[i]);
    }
}

Test(policy, missing_and_system_prompt_are_reported_alone) {
    rv_profile p = load("botkyrka");
    rv_greeting_facts f = {0};
    f.missing = 1;
    cr_expect_eq(rv_policy_check(&p, &f), BIT(RV_VIOL_MISSING));
    f.missing = 0;
    f.system_prompt = 1;
    cr_expect_eq(rv_policy_check(&p, &f), BIT(RV_VIOL_SYSTEM_PROMPT));
}

Test(policy, name_and_unit_required_everywhere) {
    const char *names[] = {"botkyrka", "essunga-grastorp", "lemland", "nvk", "falkenberg"};
    for (size_t i = 0; i < 5; i++) {
        rv_profile p = load(names[i]);
        rv_greeting_facts f = good();
        f.name_stated = 0;
        cr_expect(rv_policy_check(&p, &f) & BIT(RV_VIOL_NAME_MISSING), "%s", names[i]);
        f = good();
        f.unit_stated = f.org_stated = 0;
        cr_expect(rv_policy_check(&p, &f) & BIT(RV_VIOL_UNIT_MISSING), "%s", names[i]);
        /* The organisation alone satisfies every policy ("kommunens namn"). */
        f = good();
        f.unit_stated = 0;
        cr_expect_eq(rv_policy_check(&p, &f) & BIT(RV_VIOL_UNIT_MISSING), 0u, "%s", names[i]);
    }
}

Test(policy, falkenberg_and_essunga_want_the_unit_before_the_name) {
    rv_greeting_facts f = good();
    f.name_at_s = 0.2; /* name first */
    rv_profile fal = load("falkenberg"), ess = load("essunga-grastorp"), bot = load("botkyrka");
    cr_expect_eq(rv_policy_check(&fal, &f), BIT(RV_VIOL_WRONG_ORDER));
    cr_expect_eq(rv_policy_check(&ess, &f), BIT(RV_VIOL_WRONG_ORDER));
    cr_expect_eq(rv_policy_check(&bot, &f), 0u, "Botkyrka accepts any order");
    /* Organisation first, then name, then unit: the organisation counts. */
    f = good();
    f.org_at_s = 0.2;
    f.name_at_s = 1.0;
    f.unit_at_s = 2.0;
    cr_expect_eq(rv_policy_check(&fal, &f), 0u);
}

Test(policy, short_greetings_where_the_policy_says_so) {
    rv_greeting_facts f = good();
    f.duration_s = 45;
    cr_expect(rv_policy_check(&(rv_profile){.max_greeting_s = 30, .unit_satisfied_by = RV_UNIT_BY_EITHER}, &f) &
              BIT(RV_VIOL_TOO_LONG));
    rv_profile bot = load("botkyrka"), nvk = load("nvk"), lem = load("lemland"), fal = load("falkenberg");
    cr_expect(rv_policy_check(&bot, &f) & BIT(RV_VIOL_TOO_LONG));
    cr_expect(rv_policy_check(&nvk, &f) & BIT(RV_VIOL_TOO_LONG));
    cr_expect_eq(rv_policy_check(&lem, &f), 0u, "Lemland sets no length");
    cr_expect_eq(rv_policy_check(&fal, &f), 0u, "Falkenberg sets no length");
}

Test(policy, closing_prompt_and_lemland_absence_end) {
    rv_greeting_facts f = good();
    f.closing_prompt = 0;
    rv_profile nvk = load("nvk"), fal = load("falkenberg"), lem = load("lemland"), bot = load("botkyrka");
    cr_expect_eq(rv_policy_check(&nvk, &f), BIT(RV_VIOL_NO_CLOSING_PROMPT));
    cr_expect_eq(rv_policy_check(&fal, &f), 0u);
    f = good();
    f.absence = 1;
    cr_expect_eq(rv_policy_check(&lem, &f), BIT(RV_VIOL_ABSENCE_WITHOUT_END));
    cr_expect_eq(rv_policy_check(&bot, &f), 0u, "only Lemland asks for the end");
    f.absence_has_end = 1;
    cr_expect_eq(rv_policy_check(&lem, &f), 0u);
}

Test(policy, calendars_and_callbacks) {
    cr_expect_str_eq(load("lemland").calendar, "AX");
    cr_expect_str_eq(load("botkyrka").calendar, "SE");
    cr_expect_eq(load("botkyrka").callback_working_days, 2);
    cr_expect_eq(load("lemland").callback_working_days, 0);
    cr_expect_eq(load("falkenberg").callback_working_days, 0);
}

Test(policy, finding_and_listing) {
    rv_profile p;
    rv_error e;
    cr_expect_eq(rv_profile_find(DIRS, "../etc/passwd", &p, &e), RV_ERR_ARG);
    cr_expect_eq(rv_profile_find(DIRS, "nosuch", &p, &e), RV_ERR_NOT_FOUND);
    rv_profile *all;
    size_t n;
    cr_assert_eq(rv_profile_list(DIRS, &all, &n, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(n, 6);
    cr_expect_str_eq(all[0].name, "botkyrka");
    char line[512];
    rv_profile_summary(&all[0], line, sizeof line);
    cr_expect(strstr(line, "2 working days") != NULL, "%s", line);
    cr_expect(strstr(line, "kept: empty 30, ephemeral 90, not public 90, archived 30 days") != NULL,
              "the retention, as the help promises: %s", line);
    free(all);
}

Test(policy, bad_profile_files_name_the_line) {
    const char *path = "/tmp/rv-bad-profile.conf";
    FILE *f = fopen(path, "w");
    fputs("title = x\norder = sideways\n", f);
    fclose(f);
    rv_profile p;
    rv_error e;
    cr_expect_eq(rv_profile_load(path, &p, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, ":2:") && strstr(e.msg, "sideways"), "%s", e.msg);
    f = fopen(path, "w");
    fputs("colour = blue\n", f);
    fclose(f);
    cr_expect_eq(rv_profile_load(path, &p, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "unknown key"), "%s", e.msg);
    remove(path);
}

Test(policy, violation_names) {
    cr_expect_str_eq(rv_violation_name(RV_VIOL_WRONG_ORDER), "wrong_order");
    cr_expect_str_eq(rv_violation_name(RV_VIOL_ABSENCE_WITHOUT_END), "absence_without_end");
}

Test(policy, decision_rules_in_a_profile) {
    char dir[] = "/tmp/rv-prof-XXXXXX";
    cr_assert(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/kommun.conf", dir);
    FILE *f = fopen(path, "w");
    fputs("title = t\nretention_empty_days = 1\nretention_ephemeral_days = 1\nretention_not_public_days = 1\n"
          "diarienummer_pattern = ^[A-ZÅÄÖ]{2,5} \\d{4}/\\d+$\ngallringsbeslut = KS 2019/45, 2019-03-12\n"
          "gallring_covers = tillfällig, ringa\n", f);
    fclose(f);
    rv_profile p;
    rv_error e = {0};
    cr_assert_eq(rv_profile_load(path, &p, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(p.diarienummer_pattern, "^[A-ZÅÄÖ]{2,5} \\d{4}/\\d+$");
    cr_expect_str_eq(p.gallringsbeslut, "KS 2019/45, 2019-03-12");
    cr_expect_eq(p.gallring_covers, RV_GROUND_TILLFALLIG | RV_GROUND_RINGA);
    const char *bad[] = {"diarienummer_pattern = ([A-Z\n", "gallring_covers = allt\n", "gallring_covers = ringa\n"};
    for (int i = 0; i < 3; i++) {
        f = fopen(path, "w");
        fputs("title = t\nretention_empty_days = 1\nretention_ephemeral_days = 1\nretention_not_public_days = 1\n", f);
        fputs(bad[i], f);
        fclose(f);
        cr_expect_eq(rv_profile_load(path, &p, &e), RV_ERR_CONFIG, "%s accepted", bad[i]);
    }
    unlink(path);
    rmdir(dir);
}
