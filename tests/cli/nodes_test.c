/* Several rostvakt serve processes on one archive, as nodes behind a load
 * balancer: sessions and revoked tokens are the store's, so that a restart
 * signs nobody out and what one node did every other knows. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve.h"

static pid_t extra[4]; /* the other nodes running, stopped at the end whatever failed */
static int n_extra;

static void stop_extra(void)
{
    for (int i = 0; i < n_extra; i++)
        if (extra[i] > 0) {
            kill(extra[i], SIGKILL);
            waitpid(extra[i], NULL, 0);
        }
    n_extra = 0;
    teardown();
}

TestSuite(nodes, .init = setup, .fini = stop_extra, .timeout = 90);

/* Sign in with tok: "Cookie: rv_session=..." into cookie and
 * "X-CSRF-Token: ..." into csrf. */
static void sign_in(const char *tok, char cookie[200], char csrf[100])
{
    char body[160];
    sink o;
    cookies k = {""};
    snprintf(body, sizeof body, "{\"token\":\"%s\"}", tok);
    cr_assert_eq(call_h("POST", "/v1/session", NULL, NULL, NULL, body, &o, &k), 201, "%s", o.buf);
    snprintf(cookie, 200, "Cookie: %.*s", (int)strcspn(k.cookie, ";"), k.cookie);
    const char *c = strstr(o.buf, "\"csrf\":\"");
    cr_assert(c, "%s", o.buf);
    snprintf(csrf, 100, "X-CSRF-Token: %.64s", c + 8);
}

/* Another node: rostvakt serve on the same data directory with the tokens
 * file at tokens and no analysis worker; its base URL into node_base. */
static pid_t start_node(const char *tokens, char node_base[64])
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t p = fork();
    cr_assert(p >= 0);
    if (p == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        char data[128];
        snprintf(data, sizeof data, "%s/data", dir);
        const char *exe = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
        execl(exe, exe, "serve", "--listen", "127.0.0.1:0", "--data-dir", data, "--tokens", tokens, "--workers", "2",
              "--analysis-workers", "0", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[128] = "";
    cr_assert(fgets(line, sizeof line, f), "the node says where it listens");
    fclose(f);
    const char *colon = strrchr(line, ':');
    cr_assert(colon, "%s", line);
    snprintf(node_base, 64, "http://127.0.0.1:%d", atoi(colon + 1));
    if (n_extra < 4) extra[n_extra++] = p;
    return p;
}

static void stop_node(pid_t p)
{
    for (int i = 0; i < n_extra; i++)
        if (extra[i] == p) extra[i] = 0;
    int st;
    kill(p, SIGTERM);
    waitpid(p, &st, 0);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a clean shutdown on SIGTERM");
}

/* call_h against the node at node_base. */
static long call_on(const char *node_base, const char *method, const char *path, const char *h1, const char *h2,
                    sink *o)
{
    char keep[64];
    snprintf(keep, sizeof keep, "%s", base);
    snprintf(base, sizeof base, "%s", node_base);
    long status = call_h(method, path, h1, h2, NULL, NULL, o, NULL);
    snprintf(base, sizeof base, "%s", keep);
    return status;
}

Test(nodes, a_restart_signs_nobody_out_and_sign_out_ends_the_session) {
    sink o;
    char cookie[200], csrf[100];
    sign_in(officer, cookie, csrf);
    cr_assert_eq(call_h("GET", "/v1/session", cookie, NULL, NULL, NULL, &o, NULL), 200, "%s", o.buf);
    stop_server();
    start_server("1");
    cr_expect_eq(call_h("GET", "/v1/session", cookie, NULL, NULL, NULL, &o, NULL), 200, "still signed in: %s", o.buf);
    cr_expect(strstr(o.buf, "\"name\":\"registrator\"") != NULL, "%s", o.buf);
    cr_expect_eq(call_h("GET", "/v1/voicemails", cookie, NULL, NULL, NULL, &o, NULL), 200, "%s", o.buf);
    cr_assert_eq(call_h("DELETE", "/v1/session", cookie, csrf, NULL, NULL, &o, NULL), 200, "%s", o.buf);
    stop_server();
    start_server("1");
    cr_expect_eq(call_h("GET", "/v1/session", cookie, NULL, NULL, NULL, &o, NULL), 401,
                 "signed out stays signed out: %s", o.buf);
}

Test(nodes, a_session_made_on_one_node_works_on_another) {
    sink o;
    char cookie[200], csrf[100], tokens[128], other[64];
    sign_in(officer, cookie, csrf);
    snprintf(tokens, sizeof tokens, "%s/tokens", dir);
    pid_t b = start_node(tokens, other);
    cr_expect_eq(call_on(other, "GET", "/v1/session", cookie, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"name\":\"registrator\"") != NULL, "%s", o.buf);
    /* signed out on the second node: the first knows it */
    cr_expect_eq(call_on(other, "DELETE", "/v1/session", cookie, csrf, &o), 200, "%s", o.buf);
    cr_expect_eq(call_h("GET", "/v1/session", cookie, NULL, NULL, NULL, &o, NULL), 401, "%s", o.buf);
    stop_node(b);
}

/* The second node keeps its own copy of the tokens file, which still names
 * the token: only the store can tell it the token was revoked on the
 * first. Both the token and the session made with it are refused there. */
Test(nodes, a_token_revoked_on_one_node_is_refused_by_the_others) {
    sink o;
    char alice[80], cookie[200], csrf[100], copy[128], other[64], cmd[512], bearer[120];
    token("officer", "alice", alice, sizeof alice);
    snprintf(bearer, sizeof bearer, "Authorization: Bearer %s", alice);
    for (int i = 0; i < 200 && call("GET", "/v1/session", alice, NULL, &o) != 200; i++) usleep(25000);
    sign_in(alice, cookie, csrf);
    snprintf(copy, sizeof copy, "%s/tokens-b", dir);
    snprintf(cmd, sizeof cmd, "cp %s/tokens %s", dir, copy);
    cr_assert_eq(system(cmd), 0);
    pid_t b = start_node(copy, other);
    cr_assert_eq(call_on(other, "GET", "/v1/session", bearer, NULL, &o), 200, "%s", o.buf);
    cr_assert_eq(call_on(other, "GET", "/v1/session", cookie, NULL, &o), 200, "%s", o.buf);
    snprintf(cmd, sizeof cmd, "%s token --tokens %s/tokens --revoke alice > /dev/null",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", dir);
    cr_assert_eq(system(cmd), 0);
    /* the first node reads its file again at its next request */
    int refused = 0;
    for (int i = 0; i < 400 && !refused; i++) {
        refused = call("GET", "/v1/session", alice, NULL, &o) == 401;
        if (!refused) usleep(25000);
    }
    cr_assert(refused, "the first node refuses the revoked token");
    int token_refused = 0, session_refused = 0;
    for (int i = 0; i < 400 && !(token_refused && session_refused); i++) {
        token_refused = call_on(other, "GET", "/v1/session", bearer, NULL, &o) == 401;
        session_refused = call_on(other, "GET", "/v1/session", cookie, NULL, &o) == 401;
        if (!(token_refused && session_refused)) usleep(25000);
    }
    cr_expect(token_refused, "the other node refuses the token");
    cr_expect(session_refused, "and the session made with it");
    cr_expect_eq(call_on(other, "GET", "/v1/session", "Authorization: Bearer ", NULL, &o), 401);
    /* a token the other node's file holds, never revoked, still works there */
    char bearer2[120];
    snprintf(bearer2, sizeof bearer2, "Authorization: Bearer %s", officer);
    cr_expect_eq(call_on(other, "GET", "/v1/session", bearer2, NULL, &o), 200, "%s", o.buf);
    stop_node(b);
    /* and a restart does not bring it back: the revocation is kept */
    pid_t c = start_node(copy, other);
    cr_expect_eq(call_on(other, "GET", "/v1/session", bearer, NULL, &o), 401, "%s", o.buf);
    stop_node(c);
}
