/* Tokens made and revoked with `rostvakt token` while the service runs:
 * taken at once and dropped within a second, without a reload. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "serve.h"

TestSuite(tokens, .init = setup, .fini = teardown, .timeout = 60);

static void revoke_token(const char *name)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s token --tokens %s/tokens --revoke %s > /dev/null",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", dir, name);
    cr_assert_eq(system(cmd), 0);
}

/* The status of GET /v1/voicemails with tok, asked until it is want, at
 * most 40 times a quarter of a second apart. */
static long until(const char *tok, long want)
{
    sink o;
    long st = 0;
    for (int i = 0; i < 40 && (st = call("GET", "/v1/voicemails", tok, NULL, &o)) != want; i++) usleep(250000);
    return st;
}

Test(tokens, a_token_made_while_the_service_runs_works_at_once) {
    sink o;
    cr_assert_eq(call("GET", "/v1/voicemails", officer, NULL, &o), 200, "the service has read its tokens");
    char pbx2[80];
    token("pbx", "vaxel2", pbx2, sizeof pbx2);
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_expect_eq(call("PUT", "/v1/mailboxes/4711", pbx2, anna, &o), 201, "the new token at once: %s", o.buf);
    cr_expect_eq(post_audio("samples/v01-bygglov.wav", pbx2, "audio/wav", NULL, &o, NULL, 0), 201, "%s", o.buf);
    char reader[80];
    token("officer", "vikarie", reader, sizeof reader);
    cr_expect_eq(call("GET", "/v1/voicemails", reader, NULL, &o), 200, "%s", o.buf);
    revoke_token("vikarie");
    cr_expect_eq(until(reader, 401), 401, "a revoked token stops without a reload");
    cr_expect_eq(call("GET", "/v1/voicemails", officer, NULL, &o), 200, "the others go on");
    cr_expect_eq(call("PUT", "/v1/mailboxes/4711", pbx2, anna, &o), 200, "%s", o.buf);
    revoke_token("vaxel2");
    sink p;
    long st = 0;
    for (int i = 0; i < 40 && (st = call("PUT", "/v1/mailboxes/4711", pbx2, anna, &p)) != 401; i++) usleep(250000);
    cr_expect_eq(st, 401, "%s", p.buf);
}

/* A session signed in with a token ends when the token is revoked, as on
 * SIGHUP; a tokens file that cannot be read leaves the old tokens. */
Test(tokens, a_revoked_tokens_session_ends_without_a_reload) {
    sink o = {.len = 0};
    char extra[80], body[160];
    token("officer", "vikarie", extra, sizeof extra);
    snprintf(body, sizeof body, "{\"token\":\"%s\"}", extra);
    cookies k = {""};
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    cr_assert_eq(perform("POST", "/v1/session", h, body, NULL, collect, &o, &k), 201, "%s", o.buf);
    char cookie[200];
    snprintf(cookie, sizeof cookie, "Cookie: %.*s", (int)strcspn(k.cookie, ";"), k.cookie);
    o.len = 0;
    cr_expect_eq(request("GET", "/v1/voicemails", NULL, cookie, NULL, NULL, collect, &o), 200);
    revoke_token("vikarie");
    long st = 0;
    for (int i = 0; i < 40 && (o.len = 0, st = request("GET", "/v1/voicemails", NULL, cookie, NULL, NULL, collect, &o)) != 401; i++)
        usleep(250000);
    cr_expect_eq(st, 401, "its session ended");
    /* a damaged tokens file: the old tokens stay */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "echo 'broken line' >> %s/tokens", dir);
    cr_assert_eq(system(cmd), 0);
    sleep(2); /* not a threshold: the service has looked at the file meanwhile, whatever it found */
    cr_expect_eq(call("GET", "/v1/voicemails", officer, NULL, &o), 200, "still served");
}
