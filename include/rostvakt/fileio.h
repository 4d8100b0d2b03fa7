/* Reading whole files with a size cap, and secrets from files. */
#ifndef RV_FILEIO_H
#define RV_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "rostvakt/err.h"

/* The regular file at path opened to be read, its status into *st, never
 * waiting for a writer as opening a FIFO would: its descriptor (blocking,
 * as any); -1 with errno when it cannot be opened, -2 when it is not a
 * regular file (a FIFO, a device, a folder). */
int rv_open_regular(const char *path, struct stat *st);

/* Read the regular file at path into a new buffer *out (free()), its size in
 * *len. A file larger than max_bytes (0: no cap) fails with RV_ERR_TOO_LARGE
 * before it is read; RV_ERR_IO names the system error. On error *out is NULL
 * and *len 0. An empty file gives a 1-byte buffer and *len 0. */
RV_MUST_USE rv_err rv_file_read(const char *path, int64_t max_bytes, unsigned char **out, size_t *len,
                                rv_error *err);

/* A secret a person keeps in a file (an API token, a password): the first
 * `lines` lines of the regular file at path, each without its line end
 * ("\n" or "\r\n"), joined by "\n", into out (cap bytes with its '\0').
 * what names the file for a person ("--token-file", "mail_auth_file") in
 * err->msg, with path. A FIFO or device is refused, never waited on. A file
 * its group or others may read or change (by its mode, or by its ACL, which
 * may name this process's user as systemd's credentials do) is refused with
 * RV_ERR_CONFIG, naming its mode and the fix (chmod 0600), as is a file with
 * fewer lines; a line that does not fit gives RV_ERR_TOO_LARGE; one that
 * cannot be opened or read RV_ERR_IO. Nothing of the secret is left in
 * memory but out; on error out is wiped. A line may be empty. Thread-safe. */
RV_MUST_USE rv_err rv_secret_read(const char *path, const char *what, int lines, char *out, size_t cap, rv_error *err);

/* fsync the folder dir, so that a rename or unlink in it is durable;
 * 0, or -1 with errno set. */
int rv_sync_folder(const char *dir);

/* Make the folders on the way to path (not path itself), as mkdir -p. */
RV_MUST_USE rv_err rv_make_parent(const char *path, rv_error *err);

/* A file a person named, written whole. A new path or a regular file is
 * written to a temporary file beside it and renamed over it only by
 * rv_out_commit, so it is never seen half-written; a path that exists and
 * is not a regular file (a character device such as /dev/null, a FIFO a
 * reader waits on) is written directly and stays what it was; a symbolic
 * link is followed and its target written, so the link stays a link. */
typedef struct {
    FILE *f;           /* write here between open and commit */
    int direct;        /* 1: writing the path itself, not a temporary file */
    char path[4096];   /* the file finally written: a link's target */
    char tmp[4160];
} rv_out;

/* Open path for writing (a new regular file gets mode, less the umask; one
 * written over keeps its permissions, and its owner and group where this
 * user may give them).
 * On error o->f is NULL and err names the path. Not thread-safe (umask). */
RV_MUST_USE rv_err rv_out_open(rv_out *o, const char *path, mode_t mode, rv_error *err);
/* Flush, make durable and put in place; closes o->f whatever happens. */
RV_MUST_USE rv_err rv_out_commit(rv_out *o, rv_error *err);
/* Close o->f and remove the temporary file: nothing at path changes. Safe
 * on a closed or never-opened rv_out (zeroed). */
void rv_out_abort(rv_out *o);

#endif
