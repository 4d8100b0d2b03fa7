/* What the HTTP layer decides from text alone (src/route.c): here the
 * RFC 3339 dates of X-Received-At, digit by digit. */
#include <criterion/criterion.h>

#include "../../src/route.h"

Test(route, rfc3339_dates_and_offsets) {
    char utc[32];
    cr_expect(rv_rfc3339_utc("2026-11-22T10:00:00Z", utc));
    cr_expect_str_eq(utc, "2026-11-22T10:00:00Z");
    cr_expect(rv_rfc3339_utc("2026-11-22T10:15:00+01:00", utc));
    cr_expect_str_eq(utc, "2026-11-22T09:15:00Z");
    cr_expect(rv_rfc3339_utc("2026-11-22T10:15:00.250-02:30", utc));
    cr_expect_str_eq(utc, "2026-11-22T12:45:00Z");
    cr_expect(rv_rfc3339_utc("2026-12-31T23:59:60z", utc), "a leap second, a lower-case z");
    cr_expect_str_eq(utc, "2026-12-31T23:59:59Z");
}

/* sscanf's %2d takes a sign and leading spaces: every field is two digits
 * and nothing else. */
Test(route, rfc3339_fields_are_digits_only) {
    static const char *const bad[] = {
        "2026-+1-06T10:00:00Z", "2026-01-+6T10:00:00Z", "2026-01-06T+1:00:00Z", "2026-01-06T10:+0:00Z",
        "2026-01-06T10:00:+0Z", "2026-01-06T10:00:00+-1:-1", "2026-01-06T10:00:00+01:-1",
        "2026-01-06T10:00:00-+1:00", "2026- 1-06T10:00:00Z", "2026-01- 6T10:00:00Z", "2026-01-06T 1:00:00Z",
        "2026-01-06T10:00:00+ 1:00", "2026-01-06T10:00:00+01: 0", "2026-1-06T10:00:00Z", "2026-01-06T10:00:00+1:00",
        "2026-01-06T10:00:00+0100", "2026-01-06 10:00:00Z", "2026-01-06T10:00Z", "2026-01-06T10:00:00",
        "2026-01-06T10:00:00.Z", "2026-13-06T10:00:00Z", "2026-02-30T10:00:00Z", "2026-01-06T24:00:00Z",
        "2026-01-06T10:00:00+24:00", "-026-01-06T10:00:00Z", "+2026-01-06T10:00:00Z", "",
    };
    char utc[32];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_expect(!rv_rfc3339_utc(bad[i], utc), "refused: \"%s\"", bad[i]);
}
