/* rostvakt serve's transport, end to end on loopback: connections too slow
 * to send their bodies, the one budget for buffered bodies, HEAD, and
 * packages built off the HTTP threads by a POST. Raw sockets where a client
 * must misbehave; libcurl otherwise. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "serve.h"

TestSuite(transport, .init = setup, .fini = teardown, .timeout = 60);

static const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";

/* A TCP connection to the server from the loopback address src (NULL: any),
 * with text written; -1 when it cannot be made. */
static int connect_from(const char *src, const char *text)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    if (src) {
        struct sockaddr_in b = {0};
        b.sin_family = AF_INET;
        inet_pton(AF_INET, src, &b.sin_addr);
        if (bind(fd, (struct sockaddr *)&b, sizeof b) != 0) {
            close(fd);
            return -1;
        }
    }
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)atoi(strrchr(base, ':') + 1));
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    size_t n = strlen(text);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 || write(fd, text, n) != (ssize_t)n) {
        close(fd);
        return -1;
    }
    return fd;
}

/* What the server answers on fd within seconds (the start of it, into
 * out); 0 when nothing came. */
static size_t answer_of(int fd, int seconds, char *out, size_t cap)
{
    struct timeval tv = {seconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = read(fd, out, cap - 1);
    out[n > 0 ? n : 0] = '\0';
    return n > 0 ? (size_t)n : 0;
}

/* One request from 127.0.0.3 that gives up after seconds: its status, 0
 * when it got none. */
static long from_elsewhere(long seconds, const char *method, const char *path, const char *tok, const char *type,
                           const char *body, size_t len)
{
    CURL *c = curl_easy_init();
    char url[256], auth[128], ct[96];
    snprintf(url, sizeof url, "%s%s", base, path);
    struct curl_slist *h = NULL;
    if (tok) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
        h = curl_slist_append(h, auth);
    }
    if (type) {
        snprintf(ct, sizeof ct, "Content-Type: %s", type);
        h = curl_slist_append(h, ct);
    }
    sink o = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_INTERFACE, "127.0.0.3");
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, seconds);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &o);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    cr_assert(b);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* ---- slow bodies (a sign-in that never ends) ---- */

/* 256 connections from two addresses (each address's limit, together the
 * server's) that send their headers and a little of a sign-in body, then
 * nothing: others, the PBX among them, are still answered, and the slow
 * ones are cut. */
Test(transport, slow_bodies_do_not_keep_others_out) {
    sink o;
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    enum { N = 256 };
    static int fds[N];
    int open_n = 0;
    const char *slow = "POST /v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 512\r\n\r\n{\"tok";
    for (int i = 0; i < N; i++)
        if ((fds[i] = connect_from(i % 2 ? "127.0.0.2" : "127.0.0.1", slow)) >= 0) open_n++;
    cr_assert(open_n >= 250, "%d slow connections", open_n);
    int served = 0;
    for (int t = 0; t < 10 && !served; t++) { /* each try gives up after two seconds */
        usleep(250000);
        served = from_elsewhere(2, "GET", "/healthz", NULL, NULL, NULL, 0) == 200;
    }
    cr_expect(served, "a new client was served while slow bodies held the slots");
    size_t len;
    unsigned char *wav = read_file("samples/v01-bygglov.wav", &len);
    long st = 0;
    for (int t = 0; t < 5 && st != 201; t++) st = from_elsewhere(10, "POST", "/v1/mailboxes/4711/voicemails", pbx, "audio/wav",
                                                                  (const char *)wav, len);
    free(wav);
    cr_expect_eq(st, 201, "the PBX's upload was answered");
    int cut = 0;
    for (int i = 0; i < N; i++) {
        if (fds[i] < 0) continue;
        char b[256];
        struct timeval tv = {0, 100000};
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ssize_t n = read(fds[i], b, sizeof b);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) cut++;
        close(fds[i]);
    }
    cr_expect(cut > 0, "slow bodies were cut");
}

/* A sign-in needs a few hundred bytes: a body promising 64 KiB is refused
 * from its Content-Length, before any of it is read. */
Test(transport, a_sign_in_body_has_a_small_limit) {
    int fd = connect_from(NULL, "POST /v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                "Content-Length: 65536\r\n\r\n{\"token\":");
    cr_assert(fd >= 0);
    char b[512];
    cr_expect(answer_of(fd, 10, b, sizeof b) && strncmp(b, "HTTP/1.1 413", 12) == 0, "refused at once: %s", b);
    close(fd);
    sink o;
    char body[1200];
    snprintf(body, sizeof body, "{\"token\":\"%s\",\"pad\":\"%01000d\"}", officer, 0);
    cr_expect_eq(call("POST", "/v1/session", NULL, body, &o), 413, "%s", o.buf);
    snprintf(body, sizeof body, "{\"token\":\"%s\"}", officer);
    cr_expect_eq(call("POST", "/v1/session", NULL, body, &o), 201, "an ordinary sign-in: %s", o.buf);
}

/* ---- one budget for buffered bodies ---- */

/* The headers of a voicemail upload of len bytes of mu-law, asking to be
 * told to go on (100 Continue) once it is admitted. */
static int upload_start(size_t len)
{
    char h[512];
    snprintf(h, sizeof h,
             "POST /v1/mailboxes/4711/voicemails HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
             "Content-Type: audio/basic\r\nContent-Length: %zu\r\nExpect: 100-continue\r\n\r\n",
             pbx, len);
    return connect_from(NULL, h);
}

static int send_all(int fd, const unsigned char *b, size_t len)
{
    while (len) {
        ssize_t n = write(fd, b, len);
        if (n <= 0) return 0;
        b += n, len -= (size_t)n;
    }
    return 1;
}

/* Two uploads of 1 MB are buffered at once under a budget of 2.5 MB; a
 * third waits: 503 with Retry-After before its body is sent, stored once
 * it comes back. A body over max_audio_bytes is still 413. */
Test(transport, buffered_bodies_share_one_budget) {
    sink o;
    stop_server();
    setenv("RV_MAX_AUDIO_BYTES", "1000000", 1);
    setenv("RV_HTTP_BODY_BUDGET", "2500000", 1);
    start_server("0");
    unsetenv("RV_MAX_AUDIO_BYTES");
    unsetenv("RV_HTTP_BODY_BUDGET");
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    enum { LEN = 1000000 };
    static unsigned char audio[3][LEN];
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < LEN; i++) audio[k][i] = (unsigned char)((i * (7 + 2 * k)) >> 3);
    char b[1024];
    int fd[3];
    for (int k = 0; k < 2; k++) {
        fd[k] = upload_start(LEN);
        cr_assert(fd[k] >= 0);
        cr_assert(answer_of(fd[k], 10, b, sizeof b), "admitted");
        cr_assert(strncmp(b, "HTTP/1.1 100", 12) == 0, "admitted: %s", b);
    }
    fd[2] = upload_start(LEN);
    cr_assert(fd[2] >= 0);
    cr_expect(answer_of(fd[2], 10, b, sizeof b) && strncmp(b, "HTTP/1.1 503", 12) == 0, "over the budget: %s", b);
    cr_expect(strcasestr(b, "Retry-After:") != NULL, "%s", b);
    close(fd[2]);
    long long ids[3];
    for (int k = 0; k < 2; k++) {
        cr_assert(send_all(fd[k], audio[k], LEN));
        cr_assert(answer_of(fd[k], 20, b, sizeof b));
        cr_expect(strncmp(b, "HTTP/1.1 201", 12) == 0, "%s", b);
        const char *id = strstr(b, "\"id\":");
        cr_assert(id, "%s", b);
        ids[k] = atoll(id + 5);
        close(fd[k]);
    }
    fd[2] = upload_start(LEN); /* again, as Retry-After says */
    cr_assert(answer_of(fd[2], 10, b, sizeof b) && strncmp(b, "HTTP/1.1 100", 12) == 0, "admitted now: %s", b);
    cr_assert(send_all(fd[2], audio[2], LEN));
    cr_assert(answer_of(fd[2], 20, b, sizeof b));
    cr_expect(strncmp(b, "HTTP/1.1 201", 12) == 0, "%s", b);
    const char *id = strstr(b, "\"id\":");
    cr_assert(id, "%s", b);
    ids[2] = atoll(id + 5);
    close(fd[2]);
    for (int k = 0; k < 3; k++) { /* nothing lost */
        char path[96];
        snprintf(path, sizeof path, "/v1/voicemails/%lld/audio", ids[k]);
        bin got;
        cr_expect_eq(get_bytes(path, officer, NULL, &got), 200);
        cr_expect(got.len == LEN && memcmp(got.buf, audio[k], LEN) == 0, "voicemail %lld as sent", ids[k]);
        free(got.buf);
    }
    /* one body alone over its limit: 413, not 503 */
    fd[0] = upload_start(LEN + 1);
    cr_assert(fd[0] >= 0);
    cr_expect(answer_of(fd[0], 10, b, sizeof b) && strncmp(b, "HTTP/1.1 413", 12) == 0, "%s", b);
    close(fd[0]);
}

/* ---- HEAD ---- */

typedef struct {
    long status;
    curl_off_t length;
    char type[96];
    size_t body;
} head_answer;

static size_t count_body(char *p, size_t sz, size_t n, void *u)
{
    (void)p;
    *(size_t *)u += sz * n;
    return sz * n;
}

static head_answer ask(const char *method, const char *path, const char *tok)
{
    head_answer a = {0};
    CURL *c = curl_easy_init();
    char url[256], auth[128];
    snprintf(url, sizeof url, "%s%s", base, path);
    struct curl_slist *h = NULL;
    if (tok) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
        h = curl_slist_append(h, auth);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (strcmp(method, "HEAD") == 0) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, count_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a.body);
    cr_assert_eq(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
    curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &a.length);
    char *t = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &t);
    snprintf(a.type, sizeof a.type, "%s", t ? t : "");
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return a;
}

/* HEAD is allowed wherever GET is: the same status and headers, no body. */
Test(transport, head_is_get_without_the_body) {
    sink o;
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    const struct {
        const char *path, *tok;
    } routes[] = {{"/healthz", NULL},           {"/metrics", NULL},          {"/v1/voicemails", officer},
                  {"/v1/mailboxes/4711", officer}, {"/v1/mailboxes", officer}, {"/v1/review", officer},
                  {"/v1/units", officer},       {"/", NULL}};
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        head_answer g = ask("GET", routes[i].path, routes[i].tok), h = ask("HEAD", routes[i].path, routes[i].tok);
        cr_expect_eq(h.status, g.status, "HEAD %s: %ld, GET %ld", routes[i].path, h.status, g.status);
        cr_expect_eq(h.status, 200, "HEAD %s", routes[i].path);
        cr_expect_str_eq(h.type, g.type, "HEAD %s", routes[i].path);
        cr_expect_eq(h.body, 0);
        if (strcmp(routes[i].path, "/metrics") != 0) /* the counters move between the two */
            cr_expect_eq(h.length, g.length, "HEAD %s: Content-Length %ld, GET %ld", routes[i].path, (long)h.length,
                         (long)g.length);
    }
    /* HEAD takes the same checks as GET */
    cr_expect_eq(ask("HEAD", "/v1/voicemails", NULL).status, 401);
    cr_expect_eq(ask("HEAD", "/v1/voicemails", pbx).status, 403);
    cr_expect_eq(ask("HEAD", "/v1/no-such-thing", officer).status, 404);
}

/* ---- packages: built off the HTTP threads, made by a POST ---- */

/* Voicemail 1: a recording of seconds at 48 kHz in FLAC (its package holds
 * a WAVE copy, decoded: long to make), registered. */
static void registered_voicemail(int seconds)
{
    sink o;
    char cmd[512], path[128];
    snprintf(path, sizeof path, "%s/v.flac", dir);
    snprintf(cmd, sizeof cmd, "sox -R -V1 -n -r 48000 -c 1 -b 16 %s synth %d sine 440 vol 0.2", path, seconds);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    size_t len;
    unsigned char *audio = read_file(path, &len);
    CURL *c = curl_easy_init();
    char url[256], auth[128];
    snprintf(url, sizeof url, "%s/v1/mailboxes/4711/voicemails", base);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", pbx);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    h = curl_slist_append(h, "Content-Type: audio/flac");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, audio);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    memset(&o, 0, sizeof o);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &o);
    long st = 0;
    cr_assert_eq(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(audio);
    cr_assert_eq(st, 201, "%s", o.buf);
    cr_assert_eq(call("POST", "/v1/voicemails/1/decision", officer,
                      "{\"decision\":\"registrera\",\"arendemening\":\"Röstmeddelande\",\"diarienummer\":\"KS 2026/0042\"}", &o),
                 201, "%s", o.buf);
}

/* How many answers have begun (a status line arrived), kept by the
 * header callback of each package request. */
static int answers_begun;

static size_t note_answer(char *p, size_t sz, size_t n, void *u)
{
    int *begun = u;
    if (!*begun && n * sz > 5 && strncmp(p, "HTTP/", 5) == 0) {
        *begun = 1;
        answers_begun++;
    }
    return sz * n;
}

/* Eight packages asked for at once are built on another thread: /healthz,
 * asked for after them, is answered before any of them (each takes about a
 * second to make). One HTTP thread, so that a package built on it would
 * hold /healthz up for certain. */
Test(transport, packages_are_built_off_the_http_threads) {
    stop_server();
    server_set = "http_workers=1";
    start_server("0");
    server_set = "max_audio_seconds=600";
    registered_voicemail(100);
    enum { N = 8 };
    int begun[N] = {0};
    answers_begun = 0;
    CURLM *m = curl_multi_init();
    CURL *e[N + 1];
    bin got[N] = {{0}};
    char url[256], auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", officer);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    snprintf(url, sizeof url, "%s/v1/voicemails/1/package", base);
    for (int i = 0; i < N; i++) {
        e[i] = curl_easy_init();
        curl_easy_setopt(e[i], CURLOPT_URL, url);
        curl_easy_setopt(e[i], CURLOPT_POST, 1L);
        curl_easy_setopt(e[i], CURLOPT_POSTFIELDSIZE, 0L);
        curl_easy_setopt(e[i], CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(e[i], CURLOPT_WRITEFUNCTION, collect_bin);
        curl_easy_setopt(e[i], CURLOPT_WRITEDATA, &got[i]);
        curl_easy_setopt(e[i], CURLOPT_HEADERFUNCTION, note_answer);
        curl_easy_setopt(e[i], CURLOPT_HEADERDATA, &begun[i]);
        curl_easy_setopt(e[i], CURLOPT_PRIVATE, (char *)(intptr_t)i);
        curl_multi_add_handle(m, e[i]);
    }
    int running = 1;
    for (int k = 0; k < 4; k++) { /* the requests are sent */
        curl_multi_perform(m, &running);
        curl_multi_poll(m, NULL, 0, 50, NULL);
    }
    char hurl[256];
    snprintf(hurl, sizeof hurl, "%s/healthz", base);
    sink ho = {0};
    e[N] = curl_easy_init();
    curl_easy_setopt(e[N], CURLOPT_URL, hurl);
    curl_easy_setopt(e[N], CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(e[N], CURLOPT_WRITEDATA, &ho);
    curl_easy_setopt(e[N], CURLOPT_PRIVATE, (char *)(intptr_t)N);
    curl_multi_add_handle(m, e[N]);
    int packages_done = 0, done_before_health = -1, begun_before_health = -1, ok = 0;
    long health = 0;
    running = 1;
    while (running) {
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            char *p;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &p);
            long st = 0;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &st);
            if ((intptr_t)p == N) {
                health = st;
                done_before_health = packages_done;
                begun_before_health = answers_begun;
            } else {
                packages_done++;
                ok += st == 200;
            }
        }
        if (running) curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    for (int i = 0; i <= N; i++) {
        curl_multi_remove_handle(m, e[i]);
        curl_easy_cleanup(e[i]);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(h);
    cr_expect_eq(health, 200);
    cr_expect(begun_before_health == 0 && done_before_health == 0,
              "/healthz answered before any package (%d of %d begun, %d done before it)", begun_before_health, N,
              done_before_health);
    cr_expect_eq(ok, N, "every package was made");
    for (int i = 1; i < N; i++) cr_expect(got[i].len > 1000000 && got[i].len == got[0].len, "package %d: %zu", i, got[i].len);
    for (int i = 0; i < N; i++) free(got[i].buf);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *q = hay; (q = strstr(q, needle)); q++) n++;
    return n;
}

static long proxy_call(const char *method, const char *path, const char *csrf, sink *o)
{
    struct curl_slist *h = curl_slist_append(NULL, "X-Remote-User: eva.registrator");
    char c[128];
    if (csrf) {
        snprintf(c, sizeof c, "X-CSRF-Token: %s", csrf);
        h = curl_slist_append(h, c);
    }
    memset(o, 0, sizeof *o);
    return perform(method, path, h, NULL, NULL, collect, o, NULL);
}

/* A package is made by a POST (recorded as "packaged" and audited); a GET
 * changes nothing. Behind the trusted proxy the POST needs the CSRF token. */
Test(transport, packaging_is_a_post_not_a_get) {
    sink o;
    char admin[80];
    token("admin", "it", admin, sizeof admin);
    restart_behind_proxy("eva.registrator\tofficer\n");
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    cr_assert_eq(post_audio("samples/v01-bygglov.wav", pbx, "audio/wav", NULL, &o, NULL, 0), 201, "%s", o.buf);
    cr_assert_eq(call("POST", "/v1/voicemails/1/decision", officer,
                      "{\"decision\":\"registrera\",\"arendemening\":\"Röstmeddelande\",\"diarienummer\":\"KS 2026/0042\"}", &o),
                 201, "%s", o.buf);
    /* a GET, from the browser behind the proxy or with a token, records nothing */
    long st = proxy_call("GET", "/v1/voicemails/1/package", NULL, &o);
    cr_expect_eq(st, 405, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/voicemails/1/package", officer, NULL, &o), 405, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/voicemails/1", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"packaged\"") == NULL && strstr(o.buf, "\"packaged_at\":null"), "not packaged: %s",
              o.buf);
    /* a POST without the CSRF token is refused, and records nothing */
    cr_expect_eq(proxy_call("POST", "/v1/voicemails/1/package", NULL, &o), 403, "%s", o.buf);
    cr_assert_eq(proxy_call("GET", "/v1/session", NULL, &o), 200);
    const char *c = strstr(o.buf, "\"csrf\":\"");
    cr_assert(c, "%s", o.buf);
    char csrf[80];
    snprintf(csrf, sizeof csrf, "%.*s", (int)strcspn(c + 8, "\""), c + 8);
    bin b = {0};
    struct curl_slist *h = curl_slist_append(NULL, "X-Remote-User: eva.registrator");
    char ch[128];
    snprintf(ch, sizeof ch, "X-CSRF-Token: %s", csrf);
    h = curl_slist_append(h, ch);
    cr_expect_eq(perform("POST", "/v1/voicemails/1/package", h, NULL, NULL, collect_bin, &b, NULL), 200);
    cr_expect(b.len > 10000 && memcmp(b.buf + 257, "ustar", 5) == 0, "a tar of %zu bytes", b.len);
    free(b.buf);
    cr_expect_eq(request("POST", "/v1/voicemails/1/package", officer, NULL, NULL, NULL, collect, &o), 200);
    cr_assert_eq(call("GET", "/v1/voicemails/1", officer, NULL, &o), 200);
    cr_expect_eq(count(o.buf, "\"event\":\"packaged\""), 2, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/audit?voicemail=1", admin, NULL, &o), 200);
    cr_expect_eq(count(o.buf, "voicemail_packaged"), 2, "%s", o.buf);
    cr_expect(strstr(o.buf, "eva.registrator") != NULL, "%s", o.buf);
}
