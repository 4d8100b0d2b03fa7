/* JSON forms of a report and of an error, as `rostvakt analyze` prints them
 * and the service stores them. Built with jansson, never by hand. */
#ifndef RV_REPORT_H
#define RV_REPORT_H

#include "rostvakt/analyze.h"
#include "rostvakt/err.h"

/* One-line JSON for r as printed by `rostvakt analyze`. file and exp may be
 * NULL. Returns a new string (free()), or NULL when out of memory. */
char *rv_report_to_json(const rv_report *r, const char *file, const rv_expect *exp);

/* {"file": file, "error": {"code": slug, "message": msg}} (file NULL: no key).
 * Returns a new string (free()), or NULL when out of memory. */
char *rv_error_to_json(const char *file, const rv_error *e);

#endif
