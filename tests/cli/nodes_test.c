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

/* Another node (spawn_node) with no more settings, remembered so that the
 * suite's end stops it; its base URL into node_base. */
static pid_t start_node_with(const char *tokens, const char *analysis_workers, char node_base[64])
{
    pid_t p = spawn_node(tokens, analysis_workers, NULL, NULL, NULL, NULL, node_base);
    if (n_extra < 4) extra[n_extra++] = p;
    return p;
}

static pid_t start_node(const char *tokens, char node_base[64]) { return start_node_with(tokens, "0", node_base); }

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
    char keep[64], to[64];
    snprintf(to, sizeof to, "%s", node_base); /* node_base may be base itself */
    snprintf(keep, sizeof keep, "%s", base);
    snprintf(base, sizeof base, "%s", to);
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

/* The first number the SQL query q on the archive gives (-1: none). */
static long long db_int(const char *q)
{
    char cmd[1024], db[512];
    sink o;
    db_shell(db, sizeof db); /* SQLite's shell or psql, as the tests' store is */
    snprintf(cmd, sizeof cmd, "printf '%%s\\n' \"%s\" | %s", q, db);
    if (run(cmd, &o) != 0 || !o.len) return -1;
    return atoll(o.buf);
}

/* n voicemails from the samples uploaded to the first node; their ids into ids. */
static void upload_voicemails(int n, long long *ids)
{
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201, "%s", o.buf);
    const char *files[] = {"samples/v03-ring-mig.wav", "samples/v01-bygglov.wav", "samples/v02-faktura.wav"};
    for (int i = 0; i < n; i++) {
        char loc[128];
        const char *f = files[i % 3];
        cr_assert_eq(post_audio(f, pbx, "audio/wav", NULL, &o, loc, sizeof loc), 201, "%s", o.buf);
        const char *id = strstr(o.buf, "\"id\":");
        cr_assert(id, "%s", o.buf);
        ids[i] = atoll(id + 5);
    }
}

/* Wait (a minute at most a voicemail) until the node at node_base says
 * every one of ids is analysed (or failed): 1, else 0. */
static int all_analysed(const char *node_base, const long long *ids, int n)
{
    sink o;
    char auth[120];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", officer);
    for (int i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "/v1/voicemails/%lld", ids[i]);
        int done = 0;
        for (int t = 0; t < 2400 && !done; t++) {
            cr_assert_eq(call_on(node_base, "GET", path, auth, NULL, &o), 200, "%s", o.buf);
            done = strstr(o.buf, "\"state\":\"analysed\"") || strstr(o.buf, "\"state\":\"failed\"");
            if (!done) usleep(25000);
        }
        if (!done) return 0;
    }
    return 1;
}

/* Analyses recorded by the node at node_base since it started (its /metrics). */
static long analyses_of(const char *node_base)
{
    sink o;
    cr_assert_eq(call_on(node_base, "GET", "/metrics", NULL, NULL, &o), 200);
    const char *a = strstr(o.buf, "rostvakt_analyses_total{result=\"analysed\"} ");
    const char *f = strstr(o.buf, "rostvakt_analyses_total{result=\"failed\"} ");
    cr_assert(a && f, "%s", o.buf);
    return atol(a + strlen("rostvakt_analyses_total{result=\"analysed\"} ")) +
           atol(f + strlen("rostvakt_analyses_total{result=\"failed\"} "));
}

/* Kill -9 while a worker holds a claim and others wait: after a restart
 * every voicemail is analysed, each once (the restarted node records just
 * those not recorded before), and no job is left. */
Test(nodes, kill_9_with_analyses_claimed_loses_none) {
    enum { N = 6 };
    long long ids[N];
    upload_voicemails(N, ids);
    long long claimed = 0;
    for (int i = 0; i < 2000 && claimed <= 0; i++) {
        claimed = db_int("SELECT count(*) FROM analysis_jobs WHERE claimed_by IS NOT NULL");
        if (claimed <= 0) usleep(5000);
    }
    cr_assert(claimed > 0, "a worker claims a voicemail");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    pid = 0;
    long long before = db_int("SELECT count(*) FROM voicemails WHERE state <> 'queued'");
    cr_assert(before >= 0 && before < N, "some were still owed when it died (%lld)", before);
    start_server("1");
    cr_assert(all_analysed(base, ids, N), "every voicemail is analysed after the restart");
    cr_expect_eq(db_int("SELECT count(*) FROM analysis_jobs"), 0, "no job is left");
    cr_expect_eq(analyses_of(base), N - before, "the restarted node analysed what was owed, each once");
}

/* Two nodes with a worker each on one archive: each voicemail is analysed
 * by one of them, not by both. */
Test(nodes, two_nodes_analyse_each_voicemail_once) {
    enum { N = 8 };
    long long ids[N];
    char tokens[128], other[64];
    snprintf(tokens, sizeof tokens, "%s/tokens", dir);
    pid_t b = start_node_with(tokens, "1", other);
    upload_voicemails(N, ids);
    cr_assert(all_analysed(base, ids, N));
    long both = analyses_of(base) + analyses_of(other);
    cr_expect_eq(both, N, "%ld analyses recorded for %d voicemails", both, (int)N);
    cr_expect_eq(db_int("SELECT count(*) FROM analysis_jobs"), 0, "no job is left");
    stop_node(b);
}

/* A node killed while it holds claims, another running since before:
 * once the lease runs out the other node takes them over, without a
 * restart of either. */
Test(nodes, a_dead_nodes_claims_are_taken_over_when_the_lease_runs_out) {
    enum { N = 8 };
    long long ids[N];
    char tokens[128], other[64], q[160];
    stop_server();
    server_set2 = "analysis_lease=2";
    start_server("1");
    server_set2 = NULL;
    snprintf(tokens, sizeof tokens, "%s/tokens", dir);
    pid_t b = start_node_with(tokens, "1", other);
    upload_voicemails(N, ids);
    snprintf(q, sizeof q, "SELECT count(*) FROM analysis_jobs WHERE claimed_by LIKE '%%:%ld:%%'", (long)pid);
    long long claimed = 0;
    for (int i = 0; i < 2000 && claimed <= 0; i++) {
        claimed = db_int(q);
        if (claimed <= 0) usleep(5000);
    }
    cr_assert(claimed > 0, "the first node claims a voicemail");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    pid_t dead = pid;
    pid = 0;
    snprintf(q, sizeof q, "SELECT count(*) FROM analysis_jobs WHERE claimed_by LIKE '%%:%ld:%%'", (long)dead);
    cr_assert(db_int(q) > 0, "it died holding a claim");
    cr_assert(all_analysed(other, ids, N), "the other node analysed what the dead one held");
    cr_expect_eq(db_int("SELECT count(*) FROM analysis_jobs"), 0, "no job is left");
    stop_node(b);
}

/* The nightly sweep started at the same moment by two processes on one
 * archive (two nodes' timers): one run, one kept report, one mail; the
 * other says so. A third start that day does nothing either. */
Test(nodes, two_sweeps_started_at_once_give_one_run_one_report_one_mail) {
    sink o;
    char admin[80], cmd[2048];
    token("admin", "chef", admin, sizeof admin);
    for (int i = 0; i < 200 && call("GET", "/v1/session", admin, NULL, &o) != 200; i++) usleep(25000);
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201, "%s", o.buf);
    cr_assert_eq(call("PUT", "/v1/units/Ekonomienheten", admin, "{\"managers\":[\"chef@kommun.se\"]}", &o), 201, "%s",
                 o.buf);
    int port = free_port();
    mail_server_start(port);
    const char *exe = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
    char one[700];
    snprintf(one, sizeof one,
             "%s sweep --once --data-dir %s/data --date 2026-12-07 --mail --set mail_smtp_url=smtp://127.0.0.1:%d"
             " --set mail_from=rostvakt@kommun.se --format json --out %s/reports/sweep-{date}.{format}",
             exe, dir, port, dir);
    snprintf(cmd, sizeof cmd, "(%s 2> %s/s1.err > /dev/null & %s 2> %s/s2.err > /dev/null & wait) && cat %s/s1.err %s/s2.err",
             one, dir, one, dir, dir, dir);
    cr_assert_eq(run(cmd, &o), 0, "%s", o.buf);
    const char *elsewhere = "has run, or is running, elsewhere";
    const char *first = strstr(o.buf, elsewhere);
    cr_expect(first && !strstr(first + 1, elsewhere), "one of the two stood down: %s", o.buf);
    cr_expect(strstr(o.buf, "1 new, 1 sent") != NULL, "the other mailed: %s", o.buf);
    snprintf(cmd, sizeof cmd, "%s 2>&1 >/dev/null", one);
    cr_assert_eq(run(cmd, &o), 0, "%s", o.buf);
    cr_expect(strstr(o.buf, elsewhere) != NULL, "a third start that day does nothing: %s", o.buf);
    cr_expect_eq(mail_server_mails(&o), 1, "one mail: %s", o.buf);
    cr_expect_eq(db_int("SELECT count(*) FROM sweeps WHERE date = '2026-12-07'"), 1, "one report kept");
    cr_expect_eq(db_int("SELECT count(*) FROM sweep_runs WHERE date = '2026-12-07' AND finished_ms IS NOT NULL"), 1,
                 "one run, finished");
    char path[160];
    snprintf(path, sizeof path, "%s/reports/sweep-2026-12-07.json", dir);
    cr_expect_eq(access(path, R_OK), 0, "the report is in place");
    mail_server_stop();
}

/* A --once run that failed leaves the date to be swept again. */
Test(nodes, a_failed_once_sweep_can_run_again) {
    sink o;
    char cmd[1024];
    const char *exe = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
    /* a report that cannot be written: the run fails */
    snprintf(cmd, sizeof cmd, "%s sweep --once --data-dir %s/data --date 2026-12-08 --allow-future --out /proc/nowhere/x.json 2>&1",
             exe, dir);
    cr_expect_neq(run(cmd, &o), 0, "%s", o.buf);
    snprintf(cmd, sizeof cmd, "%s sweep --once --data-dir %s/data --date 2026-12-08 --allow-future 2>&1 > /dev/null", exe, dir);
    cr_expect_eq(run(cmd, &o), 0, "%s", o.buf);
    cr_expect(strstr(o.buf, "elsewhere") == NULL, "it ran: %s", o.buf);
    cr_expect_eq(db_int("SELECT count(*) FROM sweeps WHERE date = '2026-12-08'"), 1);
}

/* /healthz says whether the database answers; /metrics gives the queue
 * every node shares, so a node that took no upload knows its depth. */
Test(nodes, healthz_asks_the_database_and_metrics_give_the_shared_queue) {
    sink o;
    cr_assert_eq(call("GET", "/healthz", NULL, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"database\":\"ok\"") != NULL, "%s", o.buf);
    stop_server();
    start_server("0"); /* nothing analysed: what is uploaded stays queued */
    long long ids[3];
    upload_voicemails(3, ids);
    char tokens[128], other[64];
    snprintf(tokens, sizeof tokens, "%s/tokens", dir);
    pid_t b = start_node(tokens, other);
    cr_assert_eq(call_on(other, "GET", "/metrics", NULL, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\nrostvakt_queue_depth 3\n") != NULL, "%s", o.buf);
    cr_expect(strstr(o.buf, "\nrostvakt_analyses_claimed 0\n") != NULL, "%s", o.buf);
    stop_node(b);
    /* a database that no longer answers the service's queries: 503 */
    cr_assert_eq(db_int("DROP TABLE analysis_jobs; SELECT 0"), 0);
    cr_expect_eq(call("GET", "/healthz", NULL, NULL, &o), 503, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"status\":\"unavailable\"") != NULL, "%s", o.buf);
}

/* The CSRF token of a user the trusted proxy names, from GET /v1/session
 * at node_base, into csrf. */
static void proxy_csrf(const char *node_base, char csrf[80])
{
    sink o;
    cr_assert_eq(call_on(node_base, "GET", "/v1/session", "X-Remote-User: eva.registrator", NULL, &o), 200, "%s", o.buf);
    const char *c = strstr(o.buf, "\"csrf\":\"");
    cr_assert(c, "%s", o.buf);
    snprintf(csrf, 80, "%.64s", c + 8);
}

/* Behind a proxy that names its users, one node's CSRF token for a user is
 * every node's, and outlives a restart: the proxy may send the change to
 * another node than the one the page came from. */
Test(nodes, a_proxy_users_csrf_token_is_good_on_every_node) {
    char users[128], tokens[128], other[64], a[80], b[80], again[80];
    restart_behind_proxy("eva.registrator\tofficer\n");
    snprintf(users, sizeof users, "%s/users", dir);
    snprintf(tokens, sizeof tokens, "%s/tokens", dir);
    setenv("RV_TRUSTED_PROXY", "127.0.0.1", 1);
    setenv("RV_USERS_FILE", users, 1);
    pid_t n2 = start_node(tokens, other);
    unsetenv("RV_TRUSTED_PROXY");
    unsetenv("RV_USERS_FILE");
    proxy_csrf(base, a);
    proxy_csrf(other, b);
    cr_expect_str_eq(a, b, "the same on both nodes");
    stop_node(n2);
    restart_behind_proxy("eva.registrator\tofficer\n");
    proxy_csrf(base, again);
    cr_expect_str_eq(a, again, "and after a restart");
}

/* A node that starts while another process writes (another node's upload,
 * a sweep) holding the archive's write lock for longer than a request
 * waits for it: the node waits for its turn and starts, never exits. */
Test(nodes, a_node_started_while_another_holds_the_write_lock_waits_and_starts) {
    char tokens[128], flag[128], cmd[1536], db[512], node_base[64];
    snprintf(tokens, sizeof tokens, "%s/tokens", dir);
    snprintf(flag, sizeof flag, "%s/locked", dir);
    db_shell(db, sizeof db);
    /* held until the flag goes, four seconds after it is made */
    snprintf(cmd, sizeof cmd,
             "(echo '%s'; touch %s; while [ -e %s ]; do sleep 0.1; done; echo 'COMMIT;') | %s > /dev/null 2>&1 &"
             " (while [ ! -e %s ]; do sleep 0.05; done; sleep 4; rm -f %s) > /dev/null 2>&1 &",
             db_write_lock_sql(), flag, flag, db, flag, flag);
    cr_assert_eq(system(cmd), 0);
    for (int i = 0; i < 100 && access(flag, F_OK) != 0; i++) usleep(50000);
    usleep(300000); /* the database's shell has the lock once it reads the next line */
    cr_assert_eq(access(flag, F_OK), 0, "the lock is held");
    pid_t p = start_node(tokens, node_base);
    sink o;
    cr_expect_eq(call_on(node_base, "GET", "/healthz", NULL, NULL, &o), 200, "%s", o.buf);
    stop_node(p);
}
