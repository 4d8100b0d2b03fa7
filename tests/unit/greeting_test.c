/* A greeting's verdict once a person has listened (rv_greeting_reviewed). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "rostvakt/greeting.h"

static rv_profile profile(const char *name)
{
    rv_profile p;
    rv_error e;
    cr_assert_eq(rv_profile_find("models/profiles", name, &p, &e), RV_OK, "%s: %s", name, e.msg);
    return p;
}

/* An analysis as rv_greeting_analyse writes it: the name unsure, the unit
 * stated after it, a closing prompt, no organisation expected. */
static const char report[] =
    "{\"kind\":\"greeting\",\"duration_s\":9.5,\"missing\":false,\"missing_reason\":null,"
    "\"name\":{\"verdict\":\"unsure\",\"at_s\":1.2},\"unit\":{\"verdict\":\"stated\",\"at_s\":2.5},\"org\":null,"
    "\"closing_prompt\":{\"stated\":true,\"verdict\":\"stated\",\"at_s\":6.0},"
    "\"absence\":{\"absent\":false,\"until\":null},\"compliant\":null,\"violations\":[],\"unsure\":[\"name\"]}";

Test(greeting, what_a_person_heard_decides_an_unsure_element) {
    rv_profile p = profile("default");
    rv_greeting_verdict v;
    rv_error e;
    const char *said[4] = {"stated", NULL, NULL, NULL};
    cr_assert_eq(rv_greeting_reviewed(&p, report, said, &v, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(v.compliance, RV_COMPLIANCE_YES);
    cr_expect_str_eq(v.violations, "");
    const char *not_said[4] = {"not_stated", NULL, NULL, NULL};
    cr_assert_eq(rv_greeting_reviewed(&p, report, not_said, &v, &e), RV_OK);
    cr_expect_eq(v.compliance, RV_COMPLIANCE_NO);
    cr_expect_str_eq(v.violations, "name_missing");
    const char *nothing[4] = {NULL, NULL, NULL, NULL};
    cr_assert_eq(rv_greeting_reviewed(&p, report, nothing, &v, &e), RV_OK);
    cr_expect_eq(v.compliance, RV_COMPLIANCE_UNKNOWN, "the name still unsure: a person must listen");
    /* a person's word wins over a confident verdict too */
    const char *no_prompt[4] = {"stated", NULL, NULL, "not_stated"};
    cr_assert_eq(rv_greeting_reviewed(&p, report, no_prompt, &v, &e), RV_OK);
    cr_expect_eq(v.compliance, RV_COMPLIANCE_NO);
    cr_expect_str_eq(v.violations, "no_closing_prompt");
}

Test(greeting, the_profiles_rules_apply_to_what_was_heard) {
    /* a profile that wants the unit first: heard, the name comes first */
    rv_profile p = profile("default");
    p.order = RV_ORDER_UNIT_FIRST;
    rv_greeting_verdict v;
    rv_error e;
    const char *said[4] = {"stated", NULL, NULL, NULL};
    cr_assert_eq(rv_greeting_reviewed(&p, report, said, &v, &e), RV_OK);
    cr_expect_eq(v.compliance, RV_COMPLIANCE_NO);
    cr_expect_str_eq(v.violations, "wrong_order");
    p = profile("default");
    p.max_greeting_s = 5;
    cr_assert_eq(rv_greeting_reviewed(&p, report, said, &v, &e), RV_OK);
    cr_expect_str_eq(v.violations, "too_long");
}

Test(greeting, a_review_needs_a_verified_analysis) {
    rv_profile p = profile("default");
    rv_greeting_verdict v;
    rv_error e;
    const char *said[4] = {"stated", NULL, NULL, NULL};
    cr_expect_eq(rv_greeting_reviewed(&p, "{\"kind\":\"greeting\",\"missing\":true}", said, &v, &e), RV_ERR_ARG);
    cr_expect_eq(rv_greeting_reviewed(&p, "not json", said, &v, &e), RV_ERR_ARG);
    cr_expect_eq(rv_greeting_reviewed(&p, NULL, said, &v, &e), RV_ERR_ARG);
}

/* What a person can be asked: every element the recogniser sought, a
 * phrase found nowhere (score null) too; not one the lexicon cannot say. */
Test(greeting, a_greetings_checked_elements) {
    char out[64];
    rv_greeting_checked("{\"name\":{\"score\":-3},\"unit\":{\"score\":null},\"org\":{\"score\":-2,"
                        "\"unpronounceable\":true},\"closing_prompt\":{\"score\":-20}}",
                        out);
    cr_expect_str_eq(out, "name,unit,closing");
    rv_greeting_checked("{\"name\":{\"score\":-3},\"unit\":null,\"org\":null,\"closing_prompt\":{}}", out);
    cr_expect_str_eq(out, "name,closing");
    rv_greeting_checked("not json", out);
    cr_expect_str_eq(out, "");
    rv_greeting_checked(NULL, out);
    cr_expect_str_eq(out, "");
    rv_greeting_checked("[1]", out);
    cr_expect_str_eq(out, "");
}
