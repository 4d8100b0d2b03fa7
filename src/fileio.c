/* Whole-file reads for the command line, tests and tools. */
#include "rostvakt/fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

rv_err rv_file_read(const char *path, int64_t max_bytes, unsigned char **out, size_t *len,
                    rv_error *err)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return rv_error_set(err, RV_ERR_IO, "cannot open: %s", strerror(errno));
    unsigned char *data = NULL;
    rv_err rc = RV_OK;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = rv_error_set(err, RV_ERR_IO, "not a regular file");
        goto done;
    }
    if (max_bytes > 0 && st.st_size > max_bytes) {
        rc = rv_error_set(err, RV_ERR_TOO_LARGE, "file is %lld bytes; the limit is %lld bytes",
                          (long long)st.st_size, (long long)max_bytes);
        goto done;
    }
    size_t n = (size_t)st.st_size;
    data = malloc(n ? n : 1);
    if (!data) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); goto done; }
    if (n && fread(data, 1, n, f) != n) {
        rc = rv_error_set(err, RV_ERR_IO, "read failed: %s",
                          ferror(f) ? strerror(errno) : "file shrank while read");
        goto done;
    }
    *out = data;
    *len = n;
    data = NULL;
done:
    free(data);
    fclose(f);
    return rc;
}
