/* The JSON bodies of the API's requests, parsed and checked into the store's
 * structs. The HTTP layer calls these; the store never sees JSON text. */
#ifndef RV_REQUESTS_H
#define RV_REQUESTS_H

#include <stddef.h>

#include "rostvakt/err.h"
#include "rostvakt/store.h"

struct json_t;

/* A request body as a JSON object (duplicate keys refused): *out (new,
 * json_decref). A body that is not JSON is RV_ERR_ARG saying why and where
 * ("body is not JSON: ... (line N)"), one that is other JSON RV_ERR_ARG
 * "body must be a JSON object"; *out is then NULL. */
RV_MUST_USE rv_err rv_json_body(const char *json, size_t len, struct json_t **out, rv_error *err);

/* Parse a PUT /v1/mailboxes/{ext} body (UTF-8 JSON object): first_name,
 * last_name and unit are required strings, org, profile and mobile optional
 * strings; any other field, a wrong type, an empty or too long value is
 * RV_ERR_ARG with a message naming the field. ext must be 1..20 digits. On
 * error *out is zeroed but for ext. */
RV_MUST_USE rv_err rv_mailbox_parse(const char *ext, const char *json, size_t len, rv_mailbox *out, rv_error *err);

/* A records officer's decision, as POST /v1/voicemails/{id}/decision sends
 * it. The strings point into json_doc and live as long as it does. */
typedef struct {
    const char *decision, *diarienummer, *note;     /* all but decision may be NULL */
    const char *arendemening, *sekretess, *ground, *reason;
    void *json_doc;                                 /* owned: rv_decision_free */
} rv_decision_req;

/* Parse {"decision": …, "diarienummer": …, "arendemening": …, "sekretess":
 * …, "ground": …, "reason": …, "note": …}: a JSON object with decision
 * required and every field a string of at most 500 bytes; anything else is
 * RV_ERR_ARG. Whether the values make a decision the law allows is
 * rv_decision_check's to say. On error there is nothing to free. */
RV_MUST_USE rv_err rv_decision_parse(const char *json, size_t len, rv_decision_req *out, rv_error *err);
void rv_decision_free(rv_decision_req *d);

/* What a person heard, as POST …/greetings/{id}/review sends it:
 * {"name": "stated"|"not_stated", "unit": …, "org": …, "closing": …}, at
 * least one of them. A body that is not such an object, an unknown field or
 * a value that is not a string is RV_ERR_ARG; a string other than stated or
 * not_stated is RV_ERR_UNPROCESSABLE. The strings are static; nothing to
 * free. Only the four fields of out are set. */
RV_MUST_USE rv_err rv_review_parse(const char *json, size_t len, rv_review *out, rv_error *err);

/* A unit's managers, as PUT /v1/units/{name} sends them: {"managers":
 * ["address", ...]}, at most RV_UNIT_MANAGERS_MAX. list (cap bytes, at
 * least RV_UNIT_LIST_MAX) gets the addresses comma-separated (an address
 * holds no comma). RV_ERR_ARG for a body of another shape,
 * RV_ERR_UNPROCESSABLE for a value that is not an e-mail address
 * (rv_mail_address_valid); on error list is "". */
#define RV_UNIT_MANAGERS_MAX 20
#define RV_UNIT_LIST_MAX (RV_UNIT_MANAGERS_MAX * 256)
RV_MUST_USE rv_err rv_unit_parse(const char *json, size_t len, char *list, size_t cap, rv_error *err);

/* Parse a PUT /v1/organisations/{id} body: name (required),
 * organisationsnummer (with its check digit), calendar SE|AX (SE) and its
 * time_zone, profile ("default"), diarienummer_pattern, gallringsbeslut
 * and gallring_covers ["tillfallig", "ringa"], archival_creator {name,
 * identifier}, mail {from, officers: [...]}. RV_ERR_ARG for a malformed
 * body or id, RV_ERR_UNPROCESSABLE for a value that cannot be used. Whether
 * the profile exists is the caller's to check. */
RV_MUST_USE rv_err rv_org_parse(const char *id, const char *json, size_t len, rv_org *out, rv_error *err);

#endif
