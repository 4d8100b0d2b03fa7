/* The error table. */
#include <criterion/criterion.h>

#include "rostvakt/err.h"

Test(err, table_maps_codes_to_status_and_slug) {
    cr_expect_eq(rv_err_http_status(RV_ERR_TOO_LARGE), 413);
    cr_expect_eq(rv_err_http_status(RV_ERR_AUDIO_FORMAT), 415);
    cr_expect_eq(rv_err_http_status(RV_ERR_AUDIO_TRUNCATED), 422);
    cr_expect_str_eq(rv_err_slug(RV_ERR_AUDIO_TRUNCATED), "truncated_audio");
    cr_expect_str_eq(rv_err_slug((rv_err)9999), "internal_error");
    for (int c = 0; c < RV_ERR__COUNT; c++) {
        cr_expect(rv_err_slug((rv_err)c)[0] != '\0');
        cr_expect(rv_err_text((rv_err)c)[0] != '\0');
    }
}

Test(err, set_formats_and_truncates) {
    rv_error e;
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cr_expect_eq(rv_error_set(&e, RV_ERR_ARG, "bad %s", big), RV_ERR_ARG);
    cr_expect_eq(e.code, RV_ERR_ARG);
    cr_expect_eq(strlen(e.msg), sizeof e.msg - 1);
    cr_expect_eq(rv_error_set(NULL, RV_ERR_IO, "ignored"), RV_ERR_IO);
    rv_error_clear(&e);
    cr_expect_eq(e.code, RV_OK);
    cr_expect_str_eq(e.msg, "");
}
