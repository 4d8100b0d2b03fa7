/* Policy profiles (models/profiles/NAME.conf) and the greeting rules they
 * imply: which facts about a greeting violate which body's telephone policy. */
#ifndef RV_POLICY_H
#define RV_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "rostvakt/err.h"

typedef enum { RV_ORDER_ANY, RV_ORDER_UNIT_FIRST } rv_order;
typedef enum { RV_UNIT_BY_EITHER, RV_UNIT_BY_UNIT, RV_UNIT_BY_ORG } rv_unit_rule;

typedef struct {
    char name[64];               /* file name without .conf */
    char title[160];
    int require_name;
    rv_unit_rule unit_satisfied_by;
    rv_order order;
    double max_greeting_s;       /* 0: no limit */
    int require_closing_prompt;
    int absence_needs_end;       /* an absence greeting must give date and time */
    int callback_working_days;   /* 0: the same day */
    char calendar[4];            /* "SE" or "AX" */
    int retention_empty_days, retention_ephemeral_days, retention_not_public_days;
    int retention_archived_days; /* a registered voicemail's audio after the e-archive confirmed it (default 30) */
    char diarienummer_pattern[160]; /* a registered diarienummer must match it (PCRE); "": any */
    char gallringsbeslut[160];      /* the body's gallringsbeslut: reference and date; "": none */
    int gallring_covers;            /* RV_GROUND_* bits: what it lets be gallras */
    int gallra_empty, gallra_ephemeral; /* the gallringsbeslut lets the sweep dispose of these undecided */
} rv_profile;

/* Load one profile file. Every key must be known and every value valid;
 * errors name the file and line (RV_ERR_CONFIG) or RV_ERR_IO. */
RV_MUST_USE rv_err rv_profile_load(const char *path, rv_profile *out, rv_error *err);

/* Find profile name in the ':'-separated directories dirs (later ones win,
 * so an operator's directory can override a built-in profile). The name must
 * be [a-z0-9-]+ (RV_ERR_ARG); RV_ERR_NOT_FOUND if no directory has it. */
RV_MUST_USE rv_err rv_profile_find(const char *dirs, const char *name, rv_profile *out, rv_error *err);

/* All profiles in dirs, sorted by name, into a new array *out (free()). */
RV_MUST_USE rv_err rv_profile_list(const char *dirs, rv_profile **out, size_t *n, rv_error *err);

/* The facts about one greeting that the rules look at. */
typedef struct {
    int missing;             /* any missing reason but system_prompt */
    int system_prompt;
    double duration_s;
    int name_stated, unit_stated, org_stated;
    double name_at_s, unit_at_s, org_at_s;
    int closing_prompt;
    int absence;             /* an absence greeting */
    int absence_has_end;     /* and it gives an end date and time */
} rv_greeting_facts;

/* Violations, in the order they are reported. */
#define RV_VIOLATION_TABLE(X)                          \
    X(RV_VIOL_MISSING, "missing")                      \
    X(RV_VIOL_SYSTEM_PROMPT, "system_prompt")          \
    X(RV_VIOL_NAME_MISSING, "name_missing")            \
    X(RV_VIOL_UNIT_MISSING, "unit_missing")            \
    X(RV_VIOL_WRONG_ORDER, "wrong_order")              \
    X(RV_VIOL_TOO_LONG, "too_long")                    \
    X(RV_VIOL_NO_CLOSING_PROMPT, "no_closing_prompt")  \
    X(RV_VIOL_ABSENCE_WITHOUT_END, "absence_without_end")

typedef enum {
#define RV_VIOL_ENUM(e, s) e,
    RV_VIOLATION_TABLE(RV_VIOL_ENUM)
#undef RV_VIOL_ENUM
    RV_VIOL__COUNT
} rv_violation;

/* The violations of f under p as a bit set (1u << rv_violation); 0 is
 * compliant. A missing greeting or system prompt is reported alone: the
 * other rules have nothing to look at. Pure function. */
uint32_t rv_policy_check(const rv_profile *p, const rv_greeting_facts *f);

const char *rv_violation_name(rv_violation v);

/* One line for `rostvakt profiles`: "botkyrka  SE  namn+enhet ... ". */
void rv_profile_summary(const rv_profile *p, char *buf, size_t cap);

/* A fingerprint of every rule of p (16 hex digits): a greeting analysed
 * under another fingerprint of its profile is out of date. */
void rv_profile_version(const rv_profile *p, char out[17]);

#endif
