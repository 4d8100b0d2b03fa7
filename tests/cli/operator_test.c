/* What an operator meets following the README: booleans written as people
 * write them, every listed audio format accepted. */
#include <stdio.h>
#include <string.h>

#include "serve.h"

TestSuite(operator, .init = setup, .fini = teardown, .timeout = 60);

Test(operator, booleans_are_read_alike_everywhere) {
    sink o;
    char admin[80];
    token("admin", "it-drift", admin, sizeof admin);
    stop_server(); /* again, with no analysis worker (a new token needs no restart) */
    start_server("0");
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    const char *dry[] = {"1", "yes", "true", "TRUE"};
    for (size_t i = 0; i < sizeof dry / sizeof *dry; i++) {
        char path[96];
        snprintf(path, sizeof path, "/v1/sweeps?date=2026-11-23&dry_run=%s", dry[i]);
        cr_expect_eq(call("POST", path, admin, NULL, &o), 200, "dry_run=%s: %s", dry[i], o.buf);
    }
    cr_assert_eq(call("GET", "/v1/sweeps", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "{\"items\":[]}") != NULL, "each was a dry run, none kept: %s", o.buf);
    cr_expect_eq(call("POST", "/v1/sweeps?date=2026-11-23&dry_run=maybe", admin, NULL, &o), 400);
    cr_expect_eq(call("GET", "/v1/mailboxes?compliant=0", officer, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"ext\":\"4711\"") != NULL, "no greeting: not compliant: %s", o.buf);
    cr_expect_eq(call("GET", "/v1/mailboxes?compliant=yes", officer, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"ext\":\"4711\"") == NULL, "%s", o.buf);
}

Test(operator, ogg_is_accepted_as_the_readme_lists_it) {
    sink o;
    char ogg[128];
    snprintf(ogg, sizeof ogg, "%s/sine.ogg", getenv("RV_FIXTURES") ? getenv("RV_FIXTURES") : "build/fixtures");
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    cr_expect_eq(post_audio(ogg, pbx, "audio/ogg", NULL, &o, NULL, 0), 201, "%s", o.buf);
}
