/* libFuzzer harness: a unit's managers, as PUT /v1/units/{name} sends them
 * (requests.h). What it accepts is a comma-separated list of addresses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rostvakt/mail.h"
#include "rostvakt/requests.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char list[RV_UNIT_LIST_MAX];
    rv_error e;
    if (rv_unit_parse((const char *)data, size, list, sizeof list, &e) != RV_OK) {
        if (list[0]) abort(); /* nothing half-filled */
        return 0;
    }
    if (strlen(list) >= sizeof list) abort();
    size_t n = 0;
    for (char *p = list[0] ? list : NULL; p;) { /* each one an address */
        if (!rv_mail_address_valid(strsep(&p, ","))) abort();
        if (++n > RV_UNIT_MANAGERS_MAX) abort();
    }
    return 0;
}
