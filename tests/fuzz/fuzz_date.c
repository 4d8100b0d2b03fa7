/* libFuzzer harness: the spoken-date parser of absence greetings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rostvakt/swedish.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *t = malloc(size + 1);
    if (!t) return 0;
    memcpy(t, data, size);
    t[size] = '\0';
    rv_when w;
    rv_error e;
    rv_err_ignore(rv_sv_parse_until(t, 2026, 12, 5, &w, &e));
    rv_err_ignore(rv_sv_parse_until(t, 2024, 2, 29, &w, &e));
    (void)rv_sv_is_absence(t);
    free(t);
    return 0;
}
