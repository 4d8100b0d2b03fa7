/* What a records officer decides about a voicemail, as the law has it.
 *
 * A recorded voice message that reaches a public body is as a rule already
 * an allmän handling (TF 2 kap. 4 och 9 §§). The officer does not decide
 * whether it is one; they decide what happens to it:
 *   registrera    entered in the diarium (OSL 5 kap. 1 § första stycket):
 *                 diarienummer and ärendemening, optionally a
 *                 sekretessmarkering with its OSL reference (OSL 5 kap. 5 §);
 *   halls_ordnad  kept in order, not registered (OSL 5 kap. 1 § andra stycket);
 *   gallras       disposed of under a gallringsbeslut that the profile names,
 *                 as being of tillfällig or ringa betydelse;
 *   privat        not an allmän handling: addressed to the employee privately.
 * Pure functions, thread-safe. */
#ifndef RV_DECISION_H
#define RV_DECISION_H

#include <stddef.h>

#include "rostvakt/err.h"

typedef enum {
    RV_DECISION_NONE = 0,
    RV_DECISION_REGISTRERA,
    RV_DECISION_HALLS_ORDNAD,
    RV_DECISION_GALLRAS,
    RV_DECISION_PRIVAT
} rv_decision_kind;

/* "registrera", "halls_ordnad", "gallras", "privat"; "" for NONE. */
const char *rv_decision_kind_name(rv_decision_kind k);
/* The four names above; 0 for anything else (the old names included). */
int rv_decision_kind_parse(const char *s, rv_decision_kind *out);
/* What an archive of an older schema recorded, in today's terms:
 * registered -> registrera, dispose -> gallras, not_public_record ->
 * halls_ordnad (see docs/decisions.md for why not privat). 0 when unknown. */
int rv_decision_from_legacy(const char *old, rv_decision_kind *out);

/* The grounds a gallringsbeslut covers (bit set). */
enum { RV_GROUND_TILLFALLIG = 1, RV_GROUND_RINGA = 2 };
/* "tillfallig" or "ringa" (also with ä); 0 for anything else. */
int rv_ground_parse(const char *s, int *bit);
const char *rv_ground_name(int bit);
/* "tillfallig, ringa" (commas or spaces between): *bits gets the grounds it
 * names; 1 when it names at least one and nothing else. */
int rv_ground_list_parse(const char *list, int *bits);

/* What the body's rules say about decisions (from its profile). */
typedef struct {
    const char *diarienummer_pattern; /* a regular expression (PCRE, UTF-8) or NULL/"" */
    const char *gallringsbeslut;      /* its reference and date, e.g. "KS 2019/45, 2019-03-12"; NULL/"": none */
    int gallring_covers;              /* RV_GROUND_* bits the gallringsbeslut covers */
} rv_decision_rules;

/* A decision as a request gives it; NULL or "" means absent. */
typedef struct {
    rv_decision_kind kind;
    const char *diarienummer, *arendemening, *sekretess; /* registrera */
    const char *ground;                                  /* gallras: "tillfallig" or "ringa" */
    const char *reason;                                  /* needed when it changes a decision */
    const char *note;
} rv_decision_request;

/* Where the voicemail stands now. */
typedef struct {
    rv_decision_kind current; /* NONE when undecided */
    int handed_over;          /* packaged for, or confirmed by, the e-archive */
    int disposed;
} rv_decision_state;

/* Whether d may be recorded: RV_OK, or RV_ERR_ARG (a field missing, blank
 * or too long), RV_ERR_UNPROCESSABLE (a diarienummer that does not match the
 * pattern, a sekretessmarkering without an OSL reference, a ground the
 * gallringsbeslut does not cover, no gallringsbeslut at all), RV_ERR_CONFLICT
 * (gallras after the hand-over to the e-archive; any decision after disposal)
 * with the field named in err->msg as "field: why". A decision where one
 * exists already is a change and needs a reason, whatever it changes. */
RV_MUST_USE rv_err rv_decision_check(const rv_decision_request *d, const rv_decision_rules *r,
                                     const rv_decision_state *s,
                                     rv_error *err);

/* A copy of s without leading and trailing white space (spaces, tabs, line
 * breaks, no-break spaces), in out (cap bytes); 0 when it does not fit. */
int rv_decision_trim(const char *s, char *out, size_t cap);

/* RV_OK when pattern is a regular expression a profile may use;
 * RV_ERR_CONFIG with the reason otherwise. */
RV_MUST_USE rv_err rv_decision_pattern_check(const char *pattern, rv_error *err);

/* Limits of the fields, in bytes. */
#define RV_DIARIENUMMER_MAX 64
#define RV_ARENDEMENING_MAX 300
#define RV_SEKRETESS_MAX 120
#define RV_REASON_MAX 500

#endif
