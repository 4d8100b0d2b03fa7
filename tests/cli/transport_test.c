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

