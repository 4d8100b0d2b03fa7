/* make bench: hostile clients of rostvakt serve's transport on loopback,
 * for bench/bench-transport.sh, which reads the server's peak memory
 * around each. Raw sockets, one thread a client; prints one line of
 * figures a mode.
 *   slow PORT N SECONDS          N sign-ins from 127.0.0.1 and 127.0.0.2 that
 *                                promise 512 bytes and send a byte every 5 s;
 *                                /healthz from 127.0.0.3 meanwhile
 *   uploads PORT TOKEN N BYTES   N PBX uploads of a BYTES WAVE file at once,
 *                                each sent again after a 503 until stored
 *   packages PORT TOKEN ID N     N packages of voicemail ID at once, /healthz
 *                                every 100 ms until they are all made */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int port;
static const char *tok;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int dial(const char *from, int timeout_s)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {timeout_s, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (from) {
        struct sockaddr_in b = {0};
        b.sin_family = AF_INET;
        inet_pton(AF_INET, from, &b.sin_addr);
        bind(fd, (struct sockaddr *)&b, sizeof b);
    }
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n) {
        ssize_t k = write(fd, b, n);
        if (k <= 0) return 0;
        b += k, n -= (size_t)k;
    }
    return 1;
}

/* The answer's status, its body read to the end (Content-Length); 0 when
 * none came. */
static int answer(int fd, size_t *body_len)
{
    static _Thread_local char buf[65536];
    size_t have = 0;
    char *end = NULL;
    while (!end && have < sizeof buf - 1) {
        ssize_t k = read(fd, buf + have, sizeof buf - 1 - have);
        if (k <= 0) return 0;
        have += (size_t)k;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (!end) return 0;
    int status = atoi(buf + 9);
    const char *cl = strcasestr(buf, "Content-Length:");
    size_t want = cl ? strtoull(cl + 15, NULL, 10) : 0, got = have - (size_t)(end + 4 - buf);
    while (got < want) {
        ssize_t k = read(fd, buf, sizeof buf);
        if (k <= 0) return 0;
        got += (size_t)k;
    }
    if (body_len) *body_len = got;
    return status;
}

/* One GET /healthz from 127.0.0.3: seconds it took, or -1. */
static double healthz(int timeout_s)
{
    double t0 = now_s();
    int fd = dial("127.0.0.3", timeout_s);
    if (fd < 0) return -1;
    const char *r = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    int st = send_all(fd, r, strlen(r)) ? answer(fd, NULL) : 0;
    close(fd);
    return st == 200 ? now_s() - t0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- slow sign-ins ---- */

static int slow(int n, int seconds)
{
    int *fds = calloc((size_t)n, sizeof *fds);
    const char *h = "POST /v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Content-Length: 512\r\n\r\n{";
    int opened = 0;
    for (int i = 0; i < n; i++) {
        fds[i] = dial(i % 2 ? "127.0.0.2" : "127.0.0.1", 1);
        if (fds[i] >= 0 && !send_all(fds[i], h, strlen(h))) close(fds[i]), fds[i] = -1;
        opened += fds[i] >= 0;
    }
    double t0 = now_s(), first = -1, last_byte = t0;
    int tries = 0, answered = 0;
    while (now_s() - t0 < seconds) {
        double took = healthz(2);
        tries++;
        if (took >= 0) {
            answered++;
            if (first < 0) first = now_s() - t0;
        }
        if (now_s() - last_byte >= 5) { /* a byte every 5 s from those still open */
            for (int i = 0; i < n; i++)
                if (fds[i] >= 0 && write(fds[i], "\"", 1) != 1) close(fds[i]), fds[i] = -1;
            last_byte = now_s();
        }
        usleep(250000);
    }
    int cut = 0;
    for (int i = 0; i < n; i++) {
        if (fds[i] < 0) {
            cut++;
            continue;
        }
        char b[64];
        struct timeval tv = {0, 10000};
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (read(fds[i], b, sizeof b) <= 0 && write(fds[i], "\"", 1) != 1) cut++;
        close(fds[i]);
    }
    printf("%d slow sign-ins held (%d opened): first /healthz answered after %.1f s, %d of %d answered in %d s; "
           "%d cut\n", n, opened, first, answered, tries, seconds, cut);
    free(fds);
    return first >= 0 ? 0 : 1;
}

/* ---- uploads ---- */

static size_t up_len;
static unsigned char *up_wave;
static _Atomic int stored, refused, failed;

static void *uploader(void *arg)
{
    int k = (int)(intptr_t)arg;
    unsigned char *body = malloc(up_len);
    if (!body) return NULL;
    memcpy(body, up_wave, up_len);
    memcpy(body + 44, &k, sizeof k); /* each upload its own recording */
    char h[512];
    snprintf(h, sizeof h,
             "POST /v1/mailboxes/4711/voicemails HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
             "Content-Type: audio/wav\r\nContent-Length: %zu\r\nExpect: 100-continue\r\n\r\n",
             tok, up_len);
    for (int attempt = 0; attempt < 2000; attempt++) {
        int fd = dial(NULL, 120);
        if (fd < 0) {
            usleep(100000);
            continue;
        }
        int st = 0;
        if (send_all(fd, h, strlen(h))) {
            st = answer(fd, NULL); /* 100 Continue, or the refusal */
            if (st == 100 && send_all(fd, body, up_len)) st = answer(fd, NULL);
        }
        close(fd);
        if (st == 201 || st == 200) {
            stored++;
            break;
        }
        if (st == 503) refused++;
        else failed++;
        usleep(200000); /* sooner than Retry-After says: pressure */
    }
    free(body);
    return NULL;
}

static int uploads(int n, size_t bytes)
{
    /* a 48 kHz 16-bit mono WAVE of bytes, a quiet tone */
    up_len = bytes;
    up_wave = calloc(1, bytes);
    unsigned data = (unsigned)(bytes - 44), rate = 48000, brate = rate * 2, riff = data + 36;
    unsigned char *w = up_wave;
    memcpy(w, "RIFF", 4), memcpy(w + 4, &riff, 4), memcpy(w + 8, "WAVEfmt ", 8);
    unsigned fmt = 16;
    unsigned short pcm = 1, ch = 1, align = 2, bits = 16;
    memcpy(w + 16, &fmt, 4), memcpy(w + 20, &pcm, 2), memcpy(w + 22, &ch, 2), memcpy(w + 24, &rate, 4);
    memcpy(w + 28, &brate, 4), memcpy(w + 32, &align, 2), memcpy(w + 34, &bits, 2), memcpy(w + 36, "data", 4);
    memcpy(w + 40, &data, 4);
    for (size_t i = 44; i + 1 < bytes; i += 2) {
        short v = (short)((i / 2 % 48) < 24 ? 800 : -800);
        memcpy(w + i, &v, 2);
    }
    pthread_t *t = calloc((size_t)n, sizeof *t);
    if (!t) return 1;
    double t0 = now_s();
    int started = 0; /* a thread not started is an upload not made: the figure says so */
    while (started < n && pthread_create(&t[started], NULL, uploader, (void *)(intptr_t)started) == 0) started++;
    if (started < n) fprintf(stderr, "bench_transport: only %d of %d uploaders started\n", started, n);
    for (int i = 0; i < started; i++) pthread_join(t[i], NULL);
    printf("%d uploads of %.1f MiB at once: %d stored, %d answers 503 (sent again), %d other failures, %.1f s\n", n,
           bytes / 1048576.0, (int)stored, (int)refused, (int)failed, now_s() - t0);
    free(t);
    free(up_wave);
    return stored == n ? 0 : 1;
}

/* ---- packages ---- */

static long long pkg_id;
static _Atomic int pkg_ok, pkg_done;

static void *packager(void *arg)
{
    (void)arg;
    char h[512];
    snprintf(h, sizeof h,
             "POST /v1/voicemails/%lld/package HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
             "Content-Length: 0\r\nConnection: close\r\n\r\n",
             pkg_id, tok);
    int fd = dial(NULL, 600);
    size_t len = 0;
    int st = fd >= 0 && send_all(fd, h, strlen(h)) ? answer(fd, &len) : 0;
    if (fd >= 0) close(fd);
    pkg_ok += st == 200 && len > 0;
    pkg_done++;
    return NULL;
}

static int packages(long long id, int n)
{
    pkg_id = id;
    pthread_t *t = calloc((size_t)n, sizeof *t);
    if (!t) return 1;
    double t0 = now_s();
    int started = 0;
    while (started < n && pthread_create(&t[started], NULL, packager, NULL) == 0) started++;
    if (started < n) {
        fprintf(stderr, "bench_transport: only %d of %d packagers started\n", started, n);
        pkg_done += n - started; /* none of them will count themselves done */
    }
    double lat[100000];
    int nl = 0, lost = 0;
    while (pkg_done < n && nl < 100000) {
        double took = healthz(10);
        if (took < 0) lost++;
        else lat[nl++] = took;
        usleep(100000);
    }
    double total = now_s() - t0;
    for (int i = 0; i < started; i++) pthread_join(t[i], NULL);
    qsort(lat, (size_t)nl, sizeof *lat, cmp_double);
    printf("%d packages at once: %d made in %.1f s; /healthz meanwhile: %d answered, median %.1f ms, max %.1f ms, "
           "%d unanswered\n", n, (int)pkg_ok, total, nl, nl ? lat[nl / 2] * 1000 : -1, nl ? lat[nl - 1] * 1000 : -1,
           lost);
    free(t);
    return pkg_ok == n ? 0 : 1;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 5 && strcmp(argv[1], "slow") == 0) {
        port = atoi(argv[2]);
        return slow(atoi(argv[3]), atoi(argv[4]));
    }
    if (argc >= 6 && strcmp(argv[1], "uploads") == 0) {
        port = atoi(argv[2]), tok = argv[3];
        return uploads(atoi(argv[4]), strtoull(argv[5], NULL, 10));
    }
    if (argc >= 6 && strcmp(argv[1], "packages") == 0) {
        port = atoi(argv[2]), tok = argv[3];
        return packages(atoll(argv[4]), atoi(argv[5]));
    }
    fprintf(stderr, "usage: bench_transport slow PORT N SECONDS | uploads PORT TOKEN N BYTES | "
                    "packages PORT TOKEN ID N\n");
    return 2;
}
