/* What the API's handlers share (src/api.c) to show the store's rows as
 * JSON: nullable text, comma lists, and the audit's text. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/api.h"

/* A row written before its text was checked (bytes that are not UTF-8) is
 * still shown, its bad bytes as \xNN: no audit row hides. */
Test(api, audit_text_that_is_not_utf8_is_shown_escaped) {
    const char *cases[][2] = {{"unit=\xc3\x28 \xc3\xa5", "unit=\\xC3( \xc3\xa5"},
                              {"4\xc3(", "4\\xC3("},
                              {"zz=\xff", "zz=\\xFF"},
                              {"\xe2\x82", "\\xE2\\x82"},
                              {"Växeln", "Växeln"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *j = rv_json_audit_text(cases[i][0]);
        cr_assert(json_is_string(j), "case %zu", i);
        cr_expect_str_eq(json_string_value(j), cases[i][1]);
        json_decref(j);
    }
    json_t *j = rv_json_audit_text(NULL);
    cr_expect(json_is_null(j), "no text is null");
    json_decref(j);
}

Test(api, text_is_a_string_or_null) {
    json_t *j = rv_json_str("Anna");
    cr_expect_str_eq(json_string_value(j), "Anna");
    json_decref(j);
    j = rv_json_str(NULL);
    cr_expect(json_is_null(j));
    json_decref(j);
    cr_expect_null(rv_json_str("\xff"), "not UTF-8: no string");
}

Test(api, a_comma_list_is_an_array) {
    const char *cases[][2] = {{"name_missing,too_long", "[\"name_missing\",\"too_long\"]"},
                              {"name", "[\"name\"]"},
                              {"", "[]"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *j = rv_json_split(cases[i][0]);
        char *d = json_dumps(j, JSON_COMPACT);
        cr_expect_str_eq(d, cases[i][1]);
        free(d);
        json_decref(j);
    }
    json_t *j = rv_json_split(NULL);
    cr_expect_eq(json_array_size(j), 0);
    cr_expect(json_is_array(j));
    json_decref(j);
}
