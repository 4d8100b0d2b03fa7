/* Reading whole files with a size cap. */
#ifndef RV_FILEIO_H
#define RV_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "rostvakt/err.h"

/* Read the regular file at path into a new buffer *out (free()), its size in
 * *len. A file larger than max_bytes (0: no cap) fails with RV_ERR_TOO_LARGE
 * before it is read; RV_ERR_IO names the system error. On error *out is NULL
 * and *len 0. An empty file gives a 1-byte buffer and *len 0. */
rv_err rv_file_read(const char *path, int64_t max_bytes, unsigned char **out, size_t *len,
                    rv_error *err);

#endif
