/* libFuzzer harness: pbx-sync's state file (pbxsync_int.h), read as a
 * file would be, and every entry it yields found again by its key. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/pbxsync_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    FILE *f = fmemopen((void *)data, size, "r");
    if (!f) return 0;
    sync_state st;
    rv_error e;
    if (rv_sync_state_read(&st, f, "fuzz", &e) == RV_OK)
        for (size_t i = 0; i < 4096; i++)
            for (const sync_entry *x = st.bucket[i]; x; x = x->next)
                if (rv_sync_state_get(&st, x->key) == NULL) abort();
    rv_sync_state_close(&st);
    fclose(f);
    return 0;
}
