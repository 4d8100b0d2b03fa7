/* The error table's lookups and the rv_error formatter. */
#include "rostvakt/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *slug;
    int status;
    const char *text;
} table[] = {
#define RV_ERR_ROW(e, slug, status, text) {slug, status, text},
    RV_ERROR_TABLE(RV_ERR_ROW)
#undef RV_ERR_ROW
};

const char *rv_err_slug(rv_err code)
{
    if ((unsigned)code >= RV_ERR__COUNT) code = RV_ERR_INTERNAL;
    return table[code].slug;
}

int rv_err_http_status(rv_err code)
{
    if ((unsigned)code >= RV_ERR__COUNT) code = RV_ERR_INTERNAL;
    return table[code].status;
}

const char *rv_err_text(rv_err code)
{
    if ((unsigned)code >= RV_ERR__COUNT) code = RV_ERR_INTERNAL;
    return table[code].text;
}

rv_err rv_error_set(rv_error *err, rv_err code, const char *fmt, ...)
{
    if (err) {
        err->code = code;
        if (fmt) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err->msg, sizeof err->msg, fmt, ap);
            va_end(ap);
        } else {
            snprintf(err->msg, sizeof err->msg, "%s", rv_err_text(code));
        }
    }
    return code;
}

void rv_error_clear(rv_error *err)
{
    if (err) {
        err->code = RV_OK;
        err->msg[0] = '\0';
    }
}

int rv_test_fault(const char *point)
{
    const char *p = getenv("RV_TEST_FAULT");
    size_t n = strlen(point);
    while (p && *p) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, point, n) == 0) return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}
