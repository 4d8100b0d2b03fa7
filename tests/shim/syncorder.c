/* An LD_PRELOAD shim for the durability test: it records, in the order they
 * happen, each pwrite to a file, each fsync and fdatasync (with the file's
 * path) and each HTTP status line a socket sends, one line each, into the
 * file $RV_SYNC_LOG. Nothing is recorded without it. Not part of the product. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = -2;
static ssize_t (*real_write)(int, const void *, size_t);

static void note(const char *what, int fd, const char *extra)
{
    if (log_fd == -2) {
        const char *p = getenv("RV_SYNC_LOG");
        log_fd = p ? open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
    }
    if (log_fd < 0) return;
    if (!real_write) real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    char link[64], path[512] = "?", line[768];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n >= 0) path[n] = '\0';
    int len = snprintf(line, sizeof line, "%s %s%s%s\n", what, path, extra ? " " : "", extra ? extra : "");
    real_write(log_fd, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
}

/* a socket's bytes that begin an HTTP answer: the status line */
static void sent(int fd, const void *buf, size_t len)
{
    if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0) return;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return;
    char status[4] = {((const char *)buf)[9], ((const char *)buf)[10], ((const char *)buf)[11], '\0'};
    pthread_mutex_lock(&lock);
    note("answer", fd, status);
    pthread_mutex_unlock(&lock);
}

#define REAL(name) static __typeof__(&name) real; if (!real) real = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

int fsync(int fd)
{
    REAL(fsync);
    int rc = real(fd);
    pthread_mutex_lock(&lock);
    if (rc == 0) note("fsync", fd, NULL);
    pthread_mutex_unlock(&lock);
    return rc;
}

int fdatasync(int fd)
{
    REAL(fdatasync);
    int rc = real(fd);
    pthread_mutex_lock(&lock);
    if (rc == 0) note("fdatasync", fd, NULL);
    pthread_mutex_unlock(&lock);
    return rc;
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t at)
{
    REAL(pwrite);
    ssize_t rc = real(fd, buf, len, at);
    pthread_mutex_lock(&lock);
    if (rc > 0) note("pwrite", fd, NULL);
    pthread_mutex_unlock(&lock);
    return rc;
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t at) { return pwrite(fd, buf, len, at); }

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    REAL(send);
    sent(fd, buf, len);
    return real(fd, buf, len, flags);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen)
{
    REAL(sendto);
    sent(fd, buf, len);
    return real(fd, buf, len, flags, to, tolen);
}

ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
    REAL(sendmsg);
    if (m->msg_iovlen) sent(fd, m->msg_iov[0].iov_base, m->msg_iov[0].iov_len);
    return real(fd, m, flags);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
    REAL(writev);
    if (n) sent(fd, iov[0].iov_base, iov[0].iov_len);
    return real(fd, iov, n);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    if (!real_write) real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    sent(fd, buf, len);
    return real_write(fd, buf, len);
}
