/* rostvakt serve, end to end: who may do what, and that what they did is
 * in the audit. Sessions bound to the token they were made from, text that
 * is not UTF-8 in a path or query, reads that must be audited, /metrics and
 * who may set a unit's managers, a directory name that cannot be said. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve.h"

TestSuite(auth, .init = setup, .fini = teardown, .timeout = 60);

/* Sign in with tok: "Cookie: rv_session=..." into cookie. */
static void sign_in(const char *tok, char *cookie, size_t cap)
{
    char body[160];
    sink o;
    cookies k = {""};
    snprintf(body, sizeof body, "{\"token\":\"%s\"}", tok);
    cr_assert_eq(call_h("POST", "/v1/session", NULL, NULL, NULL, body, &o, &k), 201, "%s", o.buf);
    snprintf(cookie, cap, "Cookie: %.*s", (int)strcspn(k.cookie, ";"), k.cookie);
}

/* SIGHUP, then wait until tok is taken (the reload is done). */
static void reload_until_taken(const char *tok)
{
    sink o;
    kill(pid, SIGHUP);
    for (int i = 0; i < 200; i++) {
        if (call("GET", "/v1/session", tok, NULL, &o) == 200) return;
        usleep(25000);
    }
    cr_assert_fail("the service did not take the new token after SIGHUP");
}

static void revoke_token(const char *name)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s token --tokens %s/tokens --revoke %s > /dev/null",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", dir, name);
    cr_assert_eq(system(cmd), 0);
}

/* Sign in with admin token "alice", revoke it, issue "alice" again as a
 * manager, reload: the old session is the old token's and ends with it;
 * it never becomes the new token's, nor keeps the old role. */
Test(auth, a_session_ends_with_its_token_when_the_name_is_issued_again) {
    sink o;
    char alice[80], alice2[80], cookie[200], cookie2[200];
    token("admin", "alice", alice, sizeof alice);
    reload_until_taken(alice);
    sign_in(alice, cookie, sizeof cookie);
    cr_assert_eq(call_h("GET", "/v1/audit", cookie, NULL, NULL, NULL, &o, NULL), 200, "%s", o.buf);
    revoke_token("alice");
    token("manager", "alice", alice2, sizeof alice2);
    reload_until_taken(alice2);
    cr_expect_eq(call("GET", "/v1/audit", alice, NULL, &o), 401, "the old token is gone");
    cr_expect_eq(call_h("GET", "/v1/audit", cookie, NULL, NULL, NULL, &o, NULL), 401, "the old session reads no audit: %s",
                 o.buf);
    cr_expect_eq(call_h("GET", "/v1/session", cookie, NULL, NULL, NULL, &o, NULL), 401, "nor is it the new token's: %s",
                 o.buf);
    cr_expect_eq(call_h("GET", "/v1/mailboxes", cookie, NULL, NULL, NULL, &o, NULL), 401, "%s", o.buf);
    /* the new token's own session has the new token's role */
    sign_in(alice2, cookie2, sizeof cookie2);
    cr_assert_eq(call_h("GET", "/v1/session", cookie2, NULL, NULL, NULL, &o, NULL), 200);
    cr_expect(strstr(o.buf, "\"role\":\"manager\"") != NULL, "%s", o.buf);
    cr_expect_eq(call_h("GET", "/v1/audit", cookie2, NULL, NULL, NULL, &o, NULL), 403, "a manager reads no audit");
}

/* Revoked and issued again under the same name between two reloads'
 * checks: the tokens file names "alice" throughout, yet her session was
 * the revoked token's and ends. */
Test(auth, a_session_is_bound_to_the_token_not_the_name) {
    sink o;
    char a1[80], a2[80], cookie[200];
    token("officer", "alice", a1, sizeof a1);
    reload_until_taken(a1);
    sign_in(a1, cookie, sizeof cookie);
    cr_assert_eq(call_h("GET", "/v1/voicemails", cookie, NULL, NULL, NULL, &o, NULL), 200);
    revoke_token("alice");
    token("officer", "alice", a2, sizeof a2);
    reload_until_taken(a2);
    cr_expect_eq(call_h("GET", "/v1/voicemails", cookie, NULL, NULL, NULL, &o, NULL), 401, "%s", o.buf);
    cr_expect(strstr(o.buf, "sign in again") != NULL, "%s", o.buf);
}

/* 1 when the audit's newest row of action (with detail, when set) is listed. */
static int audited(const char *admin, const char *action, const char *detail)
{
    sink o;
    cr_assert_eq(call("GET", "/v1/audit", admin, NULL, &o), 200, "%s", o.buf);
    char want[160];
    snprintf(want, sizeof want, "\"action\":\"%s\"", action);
    const char *p = strstr(o.buf, want);
    if (!p) return 0;
    if (!detail) return 1;
    const char *end = strchr(p, '}');
    char d[200];
    snprintf(d, sizeof d, "\"detail\":\"%s\"", detail);
    const char *q = strstr(p, d);
    return q && (!end || q < end);
}

/* Bytes that are not UTF-8 in a query or path: 400, nothing stored and
 * nothing audited, so that no audit row can hide from the listing. */
Test(auth, a_path_or_query_that_is_not_utf8_is_refused) {
    sink o;
    char admin[80];
    token("admin", "admin", admin, sizeof admin);
    reload_until_taken(admin);
    cr_expect_eq(call("GET", "/v1/voicemails?zz=%FF", officer, NULL, &o), 400, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/mailboxes?unit=%C3%28", officer, NULL, &o), 400, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/voicemails?%FF=1", officer, NULL, &o), 400, "a key: %s", o.buf);
    cr_expect_eq(call("PUT", "/v1/units/ab%FFcd", admin, "{\"managers\":[]}", &o), 400, "%s", o.buf);
    cr_expect(strstr(o.buf, "UTF-8") != NULL, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/units", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"items\":[]") != NULL, "nothing stored: %s", o.buf);
    /* valid UTF-8 goes through, and its audit row is listed */
    cr_expect_eq(call("GET", "/v1/mailboxes?unit=socialf%C3%B6rvaltningen", officer, NULL, &o), 200, "%s", o.buf);
    cr_expect(audited(admin, "mailboxes_listed", "unit=socialförvaltningen"));
    /* a long query is cut for its audit row, never inside a character */
    char path[1200] = "/v1/mailboxes?compliant=true&unit="; /* a unit's name of 190 bytes: 210 in all */
    for (int i = 0; i < 95; i++) strcat(path, "%C3%85");
    cr_expect_eq(call("GET", path, officer, NULL, &o), 200, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/audit", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"detail\":\"compliant=true&unit=ÅÅÅ") != NULL, "the long query's row is listed: %s",
              o.buf);
    cr_expect(strstr(o.buf, "\\\\x") == NULL, "cut between characters: %s", o.buf);
    cr_expect_eq(call("GET", "/v1/mailboxes?unit=", officer, NULL, &o), 400, "no unit is named \"\": %s", o.buf);
    cr_expect_eq(call("GET", "/v1/voicemails?unit=", officer, NULL, &o), 400, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/review?unit=", officer, NULL, &o), 400, "%s", o.buf);
    /* every row the audit holds is in its listing and its CSV */
    char cmd[768], db[512];
    db_shell(db, sizeof db);
    snprintf(cmd, sizeof cmd, "echo 'SELECT count(*) FROM audit;' | %s", db);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    int rows = 0;
    cr_assert_eq(fscanf(p, "%d", &rows), 1);
    pclose(p);
    cr_assert_eq(call("GET", "/v1/audit?format=csv", admin, NULL, &o), 200);
    int lines = 0;
    for (const char *c = o.buf; *c; c++) lines += *c == '\n';
    cr_expect_eq(lines - 1, rows, "every row in the CSV: %s", o.buf);
}

/* The sweeps' reports (names, numbers) and the units (managers' addresses)
 * are audited when read, and refused when they cannot be. */
Test(auth, sweeps_and_units_are_audited_when_read) {
    sink o;
    char admin[80];
    token("admin", "admin", admin, sizeof admin);
    reload_until_taken(admin);
    cr_assert_eq(call("PUT", "/v1/units/Ekonomienheten", admin, "{\"managers\":[\"chef@kommun.se\"]}", &o), 201,
                 "%s", o.buf);
    cr_assert_eq(call("POST", "/v1/sweeps?date=2026-11-23", admin, NULL, &o), 200, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/units", officer, NULL, &o), 200);
    cr_expect(audited(admin, "units_listed", NULL), "GET /v1/units");
    cr_expect_eq(call("GET", "/v1/sweeps?limit=5", officer, NULL, &o), 200);
    cr_expect(audited(admin, "sweeps_listed", "limit=5"), "GET /v1/sweeps");
    cr_expect_eq(call("GET", "/v1/sweeps/1", officer, NULL, &o), 200, "%s", o.buf);
    cr_expect(audited(admin, "sweep_read", "sweep 1"), "GET /v1/sweeps/1");
    /* another process holds the write lock until the flag is gone: no
     * unaudited read */
    char flag[128];
    snprintf(flag, sizeof flag, "%s/locked", dir);
    hold_write_lock(flag);
    cr_expect_eq(call("GET", "/v1/units", officer, NULL, &o), 503, "%s", o.buf);
    cr_expect(strstr(o.buf, "chef@kommun.se") == NULL, "no body: %s", o.buf);
    cr_expect_eq(call("GET", "/v1/sweeps", officer, NULL, &o), 503, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/sweeps/1", officer, NULL, &o), 503, "%s", o.buf);
    unlink(flag); /* the lock goes */
    long st = 0;
    for (int i = 0; i < 100 && (st = call("GET", "/v1/units", officer, NULL, &o)) == 503; i++) usleep(100000);
    cr_expect_eq(st, 200, "%s", o.buf);
}

/* A unit's managers get its report by mail: only an admin sets them. */
Test(auth, only_an_admin_sets_a_units_managers) {
    sink o;
    char admin[80];
    token("admin", "admin", admin, sizeof admin);
    reload_until_taken(admin);
    cr_expect_eq(call("PUT", "/v1/units/Ekonomienheten", pbx, "{\"managers\":[\"evil@example.org\"]}", &o), 403,
                 "%s", o.buf);
    cr_expect_eq(call("PUT", "/v1/units/Ekonomienheten", admin, "{\"managers\":[\"chef@kommun.se\"]}", &o), 201,
                 "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/units", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "evil@") == NULL && strstr(o.buf, "chef@kommun.se"), "%s", o.buf);
}

/* /metrics: loopback by default (not through a proxy), a token when
 * metrics_access=token, anyone when open. */
Test(auth, metrics_access_is_a_setting) {
    sink o;
    cr_expect_eq(call("GET", "/metrics", NULL, NULL, &o), 200, "loopback by default: %s", o.buf);
    cr_expect_eq(call_h("GET", "/metrics", "X-Forwarded-For: 203.0.113.9", NULL, NULL, NULL, &o, NULL), 401,
                 "through a proxy it is not loopback: %s", o.buf);
    cr_expect_eq(request("GET", "/metrics", pbx, "X-Forwarded-For: 203.0.113.9", NULL, NULL, collect, &o), 200,
                 "but with a token");
    /* the README's nginx sends only these: a proxy all the same */
    const char *proxied[] = {"X-Forwarded-Proto: https", "X-Forwarded-Host: rostvakt.kommun.se",
                             "X-Remote-User: eva"};
    for (size_t i = 0; i < sizeof proxied / sizeof *proxied; i++)
        cr_expect_eq(call_h("GET", "/metrics", proxied[i], NULL, NULL, NULL, &o, NULL), 401, "%s: %s", proxied[i],
                     o.buf);
    /* a trusted proxy on this machine forwards anyone's requests */
    restart_behind_proxy("eva\tofficer\n");
    cr_expect_eq(call("GET", "/metrics", NULL, NULL, &o), 401, "from the trusted proxy: %s", o.buf);
    cr_expect_eq(call_h("GET", "/metrics", "X-Remote-User: eva", NULL, NULL, NULL, &o, NULL), 200, "its signed-in user");
    stop_server();
    server_set = "metrics_access=token";
    start_server("0");
    server_set = "max_audio_seconds=600";
    cr_expect_eq(call("GET", "/metrics", NULL, NULL, &o), 401, "%s", o.buf);
    cr_expect_eq(call("GET", "/metrics", "rv_0000", NULL, &o), 401, "%s", o.buf);
    cr_expect_eq(call("GET", "/metrics", officer, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "rostvakt_requests_total") != NULL, "%s", o.buf);
    stop_server();
    server_set = "metrics_access=open";
    start_server("0");
    server_set = "max_audio_seconds=600";
    cr_expect_eq(call_h("GET", "/metrics", "X-Forwarded-For: 203.0.113.9", NULL, NULL, NULL, &o, NULL), 200, "%s", o.buf);
    stop_server();
    server_set = "metrics_access=everyone";
    pid = fork();
    if (pid == 0) {
        char tokens[128], data[128];
        snprintf(tokens, sizeof tokens, "%s/tokens", dir);
        snprintf(data, sizeof data, "%s/data", dir);
        const char *exe = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
        int null = open("/dev/null", 1);
        dup2(null, 1), dup2(null, 2);
        execl(exe, exe, "serve", "--listen", "127.0.0.1:0", "--data-dir", data, "--tokens", tokens, "--set",
              server_set, (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    pid = 0;
    server_set = "max_audio_seconds=600";
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 127, "an unknown value is refused");
}

/* A directory name that cannot be pronounced (espeak-ng has no phone of the
 * map for "=") is left out of the others a name is weighed against: the
 * greetings of its unit are analysed; its own greeting gets an unsure name
 * for a person to hear, not a 500. */
Test(auth, a_name_that_cannot_be_pronounced_fails_no_greeting) {
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"ekonomienheten\"}";
    const char *odd = "{\"first_name\":\"Bo\",\"last_name\":\"a=b\",\"unit\":\"ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201, "%s", o.buf);
    cr_assert_eq(call("PUT", "/v1/mailboxes/4712", pbx, odd, &o), 201, "%s", o.buf);
    cr_expect_eq(upload("PUT", "/v1/mailboxes/4711/greeting", "samples/g01-anna-svensson.wav", pbx, "audio/wav", NULL,
                        &o, NULL, 0),
                 200, "a colleague's odd name: %s", o.buf);
    cr_expect(strstr(o.buf, "\"name\":{\"expected\":\"Anna Svensson\"") != NULL, "%s", o.buf);
    cr_expect_eq(upload("PUT", "/v1/mailboxes/4712/greeting", "samples/g01-anna-svensson.wav", pbx, "audio/wav", NULL,
                        &o, NULL, 0),
                 200, "its own odd name: %s", o.buf);
    cr_expect(strstr(o.buf, "\"name\":{\"expected\":\"Bo a=b\",\"stated\":false,\"verdict\":\"unsure\"") != NULL,
              "a person is to listen: %s", o.buf);
    cr_expect(strstr(o.buf, "\"unpronounceable\":true") != NULL, "%s", o.buf);
}

/* One token signing in again and again ends its own oldest sessions, at 32
 * of them, and nobody else's. */
Test(auth, signing_in_again_and_again_signs_nobody_else_out) {
    sink o;
    char karl[80], anna_cookie[200], first[200], last[200];
    token("manager", "karl", karl, sizeof karl);
    reload_until_taken(karl);
    sign_in(officer, anna_cookie, sizeof anna_cookie);
    sign_in(karl, first, sizeof first);
    for (int i = 0; i < 40; i++) sign_in(karl, last, sizeof last);
    cr_expect_eq(call_h("GET", "/v1/session", anna_cookie, NULL, NULL, NULL, &o, NULL), 200, "another user's: %s", o.buf);
    cr_expect_eq(call_h("GET", "/v1/session", last, NULL, NULL, NULL, &o, NULL), 200, "the newest: %s", o.buf);
    cr_expect_eq(call_h("GET", "/v1/session", first, NULL, NULL, NULL, &o, NULL), 401, "karl's oldest made room: %s", o.buf);
}
