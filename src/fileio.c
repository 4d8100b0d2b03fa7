/* Whole-file reads for the command line, tests and tools, and writing a
 * file a person named without replacing what stands at its path. */
#include "rostvakt/fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <acl/libacl.h>
#include <sys/acl.h>
#include <unistd.h>

int rv_open_regular(const char *path, struct stat *st)
{
    /* O_NONBLOCK: a FIFO opens at once, and is refused */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return -2;
    }
    if (fcntl(fd, F_SETFL, 0) != 0) { /* read as any file from here */
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

rv_err rv_file_read(const char *path, int64_t max_bytes, unsigned char **out, size_t *len,
                    rv_error *err)
{
    *out = NULL;
    *len = 0;
    struct stat st;
    int fd = rv_open_regular(path, &st);
    if (fd == -2) return rv_error_set(err, RV_ERR_IO, "not a regular file");
    if (fd < 0) return rv_error_set(err, RV_ERR_IO, "cannot open: %s", strerror(errno));
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        int e = errno;
        close(fd);
        return rv_error_set(err, RV_ERR_IO, "cannot open: %s", strerror(e));
    }
    unsigned char *data = NULL;
    rv_err rc = RV_OK;
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

/* Whether anyone but the owner and this process's user may read or change
 * the open file fd. With an access ACL (libacl) the group bits are its mask
 * and the entries say who: systemd's credentials are mode 0400 with one
 * entry for the service's user. */
static int others_may_access(int fd, const struct stat *st)
{
    if (st->st_mode & S_IRWXO) return 1;
    if (!(st->st_mode & S_IRWXG)) return 0;
    acl_t acl = acl_get_fd(fd);
    if (!acl) return 1; /* no ACL to read: the group bits are the group's */
    acl_entry_t e;
    acl_tag_t tag;
    acl_permset_t ps;
    int mask = 1, others = 0; /* mask: whether the mask lets anything through */
    for (int r = acl_get_entry(acl, ACL_FIRST_ENTRY, &e); r == 1; r = acl_get_entry(acl, ACL_NEXT_ENTRY, &e))
        if (acl_get_tag_type(e, &tag) == 0 && tag == ACL_MASK && acl_get_permset(e, &ps) == 0)
            mask = acl_get_perm(ps, ACL_READ) > 0 || acl_get_perm(ps, ACL_WRITE) > 0 || acl_get_perm(ps, ACL_EXECUTE) > 0;
    for (int r = acl_get_entry(acl, ACL_FIRST_ENTRY, &e); r == 1 && !others; r = acl_get_entry(acl, ACL_NEXT_ENTRY, &e)) {
        if (acl_get_tag_type(e, &tag) != 0 || acl_get_permset(e, &ps) != 0) {
            others = 1;
            break;
        }
        int any = acl_get_perm(ps, ACL_READ) > 0 || acl_get_perm(ps, ACL_WRITE) > 0 || acl_get_perm(ps, ACL_EXECUTE) > 0;
        if (tag == ACL_USER) {
            uid_t *who = acl_get_qualifier(e);
            int self = who && *who == geteuid();
            acl_free(who);
            if (!self && any && mask) others = 1;
        } else if ((tag == ACL_GROUP_OBJ || tag == ACL_GROUP) && any && mask) {
            others = 1;
        } else if (tag == ACL_OTHER && any) {
            others = 1;
        }
    }
    acl_free(acl);
    return others;
}

rv_err rv_secret_read(const char *path, const char *what, int lines, char *out, size_t cap, rv_error *err)
{
    if (cap) explicit_bzero(out, cap);
    if (lines < 1 || cap < 2) return rv_error_set(err, RV_ERR_ARG, "rv_secret_read: no room for %s", what);
    struct stat st;
    int fd = rv_open_regular(path, &st);
    if (fd == -2) return rv_error_set(err, RV_ERR_CONFIG, "%s %.300s is not a regular file", what, path);
    if (fd < 0) return rv_error_set(err, RV_ERR_IO, "cannot read %s %.300s: %s", what, path, strerror(errno));
    unsigned char chunk[512];
    size_t len = 0;
    int seen = 0, last_cr = 0; /* lines complete; the byte before was a CR */
    rv_err rc = RV_OK;
    if (others_may_access(fd, &st)) {
        rc = rv_error_set(err, RV_ERR_CONFIG,
                          "%s %.300s must be mode 0600, not %04o (others may read or change it): chmod 0600 %.300s",
                          what, path, (unsigned)(st.st_mode & 07777), path);
        goto done;
    }
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = rv_error_set(err, RV_ERR_IO, "cannot read %s %.300s: %s", what, path, strerror(errno));
            goto done;
        }
        if (n == 0) break;
        for (ssize_t i = 0; i < n && seen < lines; i++) {
            char c = (char)chunk[i];
            if (c == '\n') {
                len -= last_cr; /* the CR of a CRLF */
                last_cr = 0;
                if (++seen == lines) break;
            }
            if (len + 1 >= cap) {
                rc = rv_error_set(err, RV_ERR_TOO_LARGE, "%s %.300s: line %d does not fit in %zu bytes", what, path,
                                  seen + 1, cap - 1);
                goto done;
            }
            out[len++] = c;
            last_cr = c == '\r';
        }
        if (seen == lines) break;
    }
    if (seen < lines && len > 0 && out[len - 1] != '\n') { /* a last line without its line end */
        len -= last_cr;
        seen++;
    }
    if (seen < lines) {
        rc = lines == 1 ? rv_error_set(err, RV_ERR_CONFIG, "%s %.300s is empty", what, path)
                        : rv_error_set(err, RV_ERR_CONFIG, "%s %.300s: %d lines are needed, it has %d", what, path,
                                       lines, seen);
        goto done;
    }
    out[len] = '\0';
done:
    explicit_bzero(chunk, sizeof chunk);
    if (rc != RV_OK) explicit_bzero(out, cap);
    close(fd);
    return rc;
}

/* Where writing path ends up: path with every symbolic link on its last
 * component followed (up to 40), a relative target taken from the link's
 * own folder. A link to nothing gives the path it points at. */
static rv_err follow_links(const char *path, char out[4096], rv_error *err)
{
    char cur[4096], target[4096];
    if (snprintf(cur, sizeof cur, "%s", path) >= (int)sizeof cur)
        return rv_error_set(err, RV_ERR_ARG, "path too long: %.200s", path);
    for (int hops = 0; hops < 40; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) {
            memcpy(out, cur, sizeof cur);
            return RV_OK;
        }
        ssize_t n = readlink(cur, target, sizeof target - 1);
        if (n < 0) return rv_error_set(err, RV_ERR_IO, "cannot read the link %s: %s", cur, strerror(errno));
        target[n] = '\0';
        if (target[0] == '/') {
            memcpy(cur, target, (size_t)n + 1);
            continue;
        }
        char *slash = strrchr(cur, '/');
        size_t keep = slash ? (size_t)(slash - cur) + 1 : 0;
        if (keep + (size_t)n + 1 > sizeof cur) return rv_error_set(err, RV_ERR_ARG, "path too long: %.200s", path);
        memcpy(cur + keep, target, (size_t)n + 1);
    }
    return rv_error_set(err, RV_ERR_IO, "%s: too many levels of symbolic links", path);
}

rv_err rv_out_open(rv_out *o, const char *path, mode_t mode, rv_error *err)
{
    memset(o, 0, sizeof *o);
    rv_err rc = follow_links(path, o->path, err);
    if (rc != RV_OK) return rc;
    struct stat st;
    if (stat(o->path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) return rv_error_set(err, RV_ERR_IO, "cannot write %s: it is a folder", o->path);
        /* a device or a FIFO: written as it is (a FIFO waits for its reader) */
        int fd = open(o->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
            if (fd >= 0) close(fd);
            return rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", o->path, strerror(errno));
        }
        o->direct = 1;
        return RV_OK;
    }
    char *slash = strrchr(o->path, '/');
    if (slash)
        snprintf(o->tmp, sizeof o->tmp, "%.*s/.%s.XXXXXX", (int)(slash - o->path), o->path, slash + 1);
    else
        snprintf(o->tmp, sizeof o->tmp, ".%s.XXXXXX", o->path);
    int fd = mkostemp(o->tmp, O_CLOEXEC);
    if (fd < 0) {
        rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", o->path, strerror(errno));
        o->tmp[0] = '\0';
        return err->code;
    }
    mode_t mask = umask(0);
    umask(mask);
    /* a file written over keeps its permissions, and its owner and group
     * where this user may give them (a tokens file the service's group
     * reads must stay readable to it) */
    int exists = stat(o->path, &st) == 0;
    if (exists && fchown(fd, st.st_uid, st.st_gid) != 0 && fchown(fd, (uid_t)-1, st.st_gid) != 0)
        errno = 0; /* neither is this user's to give: the new file is this user's */
    if (fchmod(fd, exists ? st.st_mode & 0777 : mode & ~mask) != 0 || !(o->f = fdopen(fd, "w"))) {
        rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", o->tmp, strerror(errno));
        close(fd);
        unlink(o->tmp);
        o->tmp[0] = '\0';
        return err->code;
    }
    return RV_OK;
}

rv_err rv_out_commit(rv_out *o, rv_error *err)
{
    if (!o->f) return rv_error_set(err, RV_ERR_IO, "cannot write %s: not open", o->path);
    int bad = fflush(o->f) != 0 || ferror(o->f);
    /* a device or FIFO has nothing to make durable (fsync fails with EINVAL) */
    if (!bad && !o->direct) bad = fsync(fileno(o->f)) != 0;
    int saved = bad ? errno : 0; /* the first failure's reason */
    if (fclose(o->f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    o->f = NULL;
    if (!bad && !o->direct && rename(o->tmp, o->path) != 0) bad = 1, saved = errno;
    if (bad) {
        rv_out_abort(o);
        return rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", o->path, strerror(saved ? saved : EIO));
    }
    if (!o->direct) {
        /* the rename is durable once the folder is */
        char folder[4096];
        snprintf(folder, sizeof folder, "%s", o->path);
        /* EINVAL: a file system that syncs no folders, where there is nothing to wait for */
        if (rv_sync_folder(dirname(folder)) != 0 && errno != EINVAL) {
            o->tmp[0] = '\0';
            return rv_error_set(err, RV_ERR_IO, "%s is written, but its folder could not be synced: %s", o->path,
                                strerror(errno));
        }
    }
    o->tmp[0] = '\0';
    return RV_OK;
}

void rv_out_abort(rv_out *o)
{
    if (o->f) fclose(o->f);
    o->f = NULL;
    if (!o->direct && o->tmp[0]) unlink(o->tmp);
    o->tmp[0] = '\0';
}

int rv_sync_folder(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd), e = errno;
    close(fd);
    errno = e;
    return rc;
}

rv_err rv_make_parent(const char *path, rv_error *err)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
        return rv_error_set(err, RV_ERR_ARG, "path too long: %.200s", path);
    char *last = strrchr(p, '/');
    if (!last || last == p) return RV_OK;
    *last = '\0';
    for (char *q = p + 1; ; q++) {
        if (*q == '/' || *q == '\0') {
            char c = *q;
            *q = '\0';
            struct stat st;
            if (mkdir(p, 0755) != 0 && errno != EEXIST)
                return rv_error_set(err, RV_ERR_IO, "cannot make the folder %s: %s", p, strerror(errno));
            if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
                return rv_error_set(err, RV_ERR_IO, "%s is not a folder", p);
            *q = c;
            if (!c) break;
        }
    }
    return RV_OK;
}
