/* libFuzzer harness: what pbx-sync parses from a PBX (pbxsync_int.h): an
 * Asterisk msgNNNN.txt and an IMAP server's INTERNALDATE. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/pbxsync_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *t = malloc(size + 1);
    if (!t) return 0;
    memcpy(t, data, size);
    t[size] = '\0';
    sync_message_info m;
    if (rv_sync_message_parse(t, &m)) { /* a message: its origtime is a number */
        if (!m.origtime[0]) abort();
        for (const char *c = m.origtime; *c; c++)
            if (!isdigit((unsigned char)*c)) abort();
    }
    if (strlen(m.callerid) >= sizeof m.callerid || strlen(m.msg_id) >= sizeof m.msg_id) abort();
    long long epoch;
    if (rv_sync_internaldate(t, &epoch) && epoch < -86400) abort(); /* 1970 or later, whatever its zone */
    free(t);
    return 0;
}
