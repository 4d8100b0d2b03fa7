/* libFuzzer harness: a policy profile and a config file, as an operator
 * writes them. The first byte picks which. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rostvakt/config.h"
#include "rostvakt/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    char path[] = "/tmp/rv-fuzz-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 0;
    if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1)) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    rv_error e;
    if (data[0] & 1) {
        rv_profile p;
        rv_err_ignore(rv_profile_load(path, &p, &e));
    } else {
        rv_config c;
        rv_config_defaults(&c);
        if (rv_config_load_file(&c, path, &e) == RV_OK) rv_err_ignore(rv_config_validate(&c, &e));
    }
    unlink(path);
    return 0;
}
