/* libFuzzer harness: JSON request bodies (a mailbox, a decision, a review). */
#include <stdint.h>
#include <stdlib.h>

#include "rostvakt/requests.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data;
    rv_mailbox m;
    rv_decision_req d;
    rv_review r;
    rv_error e;
    rv_err_ignore(rv_mailbox_parse("4711", json, size, &m, &e));
    if (rv_decision_parse(json, size, &d, &e) == RV_OK) rv_decision_free(&d);
    rv_err_ignore(rv_review_parse(json, size, &r, &e));
    return 0;
}
