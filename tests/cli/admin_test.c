/* rostvakt serve end to end (tests/cli/serve.h): settings, the web app's
 * sessions and a trusted proxy, tokens, the audit, metrics, sweeps and their
 * mail, and slow clients. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve.h"

TestSuite(admin, .init = setup, .fini = teardown, .timeout = 60);

Test(admin, settings_apply_to_the_service) {
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    stop_server();
    server_set = "max_audio_bytes=2000";
    start_server("0");
    cr_expect_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", NULL, &o, NULL, 0), 413,
                 "larger than max_audio_bytes: %s", o.buf);
    cr_expect(strstr(o.buf, "at most 2000 bytes here (max_audio_bytes)") != NULL, "the limit named: %s", o.buf);
    server_set = "max_audio_seconds=600";
}

/* ---- the web app's sign-in ---- */

/* The value of "key":"..." in json, or "". */
static void json_text(const char *json, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(json, pat);
    out[0] = '\0';
    if (p) snprintf(out, cap, "%.*s", (int)strcspn(p + strlen(pat), "\""), p + strlen(pat));
}

Test(admin, web_sessions_with_csrf_and_an_idle_end) {
    sink o;
    cookies k = {""};
    char body[160], cookie[200], csrf_h[120], csrf[80];
    cr_expect_eq(call_h("POST", "/v1/session", NULL, NULL, NULL, "not json", &o, NULL), 400);
    cr_expect(strstr(o.buf, "JSON object {\\\"token\\\": ...}, each key once") != NULL, "said what: %s", o.buf);
    cr_expect_eq(call_h("POST", "/v1/session", NULL, NULL, NULL, "{\"token\":\"a\",\"token\":\"b\"}", &o, NULL), 400);
    cr_expect_eq(call_h("POST", "/v1/session", NULL, NULL, NULL, "{\"token\" \"rv_s3cret\"}", &o, NULL), 400);
    cr_expect(strstr(o.buf, "s3cret") == NULL, "a broken body's token is not quoted back: %s", o.buf);
    cr_expect_eq(call_h("POST", "/v1/session", NULL, NULL, NULL, "{}", &o, NULL), 400);
    cr_expect_eq(call_h("POST", "/v1/session", NULL, NULL, NULL, "{\"token\":5}", &o, NULL), 400);
    cr_expect_eq(call_h("POST", "/v1/session", NULL, NULL, NULL, "{\"token\":\"rv_0000\"}", &o, NULL), 401);
    snprintf(body, sizeof body, "{\"token\":\"%s\"}", pbx);
    cr_expect_eq(call_h("POST", "/v1/session", NULL, NULL, NULL, body, &o, NULL), 403, "a PBX does not sign in");
    snprintf(body, sizeof body, "{\"token\":\"%s\"}", officer);
    cr_assert_eq(call_h("POST", "/v1/session", NULL, NULL, NULL, body, &o, &k), 201, "%s", o.buf);
    cr_expect(strstr(k.cookie, "; HttpOnly") && strstr(k.cookie, "; SameSite=Strict") && strstr(k.cookie, "Path=/"),
              "%s", k.cookie);
    cr_expect(strstr(k.cookie, "Secure") == NULL, "plain HTTP by default: %s", k.cookie);
    json_text(o.buf, "csrf", csrf, sizeof csrf);
    cr_assert_eq(strlen(csrf), 64, "%s", o.buf);
    snprintf(cookie, sizeof cookie, "Cookie: %.*s", (int)strcspn(k.cookie, ";"), k.cookie);
    snprintf(csrf_h, sizeof csrf_h, "X-CSRF-Token: %s", csrf);
    /* reads need the cookie only */
    cr_expect_eq(call_h("GET", "/v1/voicemails", cookie, NULL, NULL, NULL, &o, NULL), 200, "%s", o.buf);
    cr_expect_eq(call_h("GET", "/v1/voicemails", NULL, NULL, NULL, NULL, &o, NULL), 401);
    cr_expect_eq(call_h("GET", "/v1/voicemails", "Cookie: rv_session=0123", NULL, NULL, NULL, &o, NULL), 401);
    cr_assert_eq(call_h("GET", "/v1/session", cookie, NULL, NULL, NULL, &o, NULL), 200);
    cr_expect(strstr(o.buf, "\"name\":\"registrator\",\"role\":\"officer\",\"via\":\"session\"") != NULL, "%s", o.buf);
    cr_expect(strstr(o.buf, csrf) != NULL, "%s", o.buf);
    /* a change needs the CSRF token: refused without it or with another */
    const char *review = "{\"name\":\"stated\"}";
    cr_expect_eq(call_h("POST", "/v1/mailboxes/4711/greetings/1/review", cookie, NULL, NULL, review, &o, NULL), 403);
    cr_expect(strstr(o.buf, "CSRF") != NULL, "%s", o.buf);
    cr_expect_eq(call_h("POST", "/v1/mailboxes/4711/greetings/1/review", cookie,
                        "X-CSRF-Token: 0000000000000000000000000000000000000000000000000000000000000000", NULL, review,
                        &o, NULL),
                 403);
    cr_expect_eq(call_h("POST", "/v1/mailboxes/4711/greetings/1/review", cookie, csrf_h, NULL, review, &o, NULL), 404,
                 "past the CSRF check, to the handler: %s", o.buf);
    /* the bearer API is unchanged: no CSRF token */
    cr_expect_eq(call("POST", "/v1/mailboxes/4711/greetings/1/review", officer, review, &o), 404);
    /* sign out */
    cr_expect_eq(call_h("DELETE", "/v1/session", cookie, NULL, NULL, NULL, &o, NULL), 403);
    cr_expect_eq(call_h("DELETE", "/v1/session", cookie, csrf_h, NULL, NULL, &o, &k), 200);
    cr_expect(strstr(k.cookie, "Max-Age=0") != NULL, "%s", k.cookie);
    cr_expect_eq(call_h("GET", "/v1/voicemails", cookie, NULL, NULL, NULL, &o, NULL), 401, "ended");
    /* sessions end after session_idle_timeout seconds without a request */
    stop_server();
    server_set = "session_idle_timeout=1";
    start_server("0");
    server_set = "max_audio_seconds=600";
    cr_assert_eq(call_h("POST", "/v1/session", NULL, NULL, NULL, body, &o, &k), 201);
    snprintf(cookie, sizeof cookie, "Cookie: %.*s", (int)strcspn(k.cookie, ";"), k.cookie);
    cr_expect_eq(call_h("GET", "/v1/voicemails", cookie, NULL, NULL, NULL, &o, NULL), 200);
    sleep(3);
    cr_expect_eq(call_h("GET", "/v1/voicemails", cookie, NULL, NULL, NULL, &o, NULL), 401);
    cr_expect(strstr(o.buf, "sign in again") != NULL, "%s", o.buf);
    /* and after session_max_age seconds from sign-in, however much it is used */
    stop_server();
    server_set = "session_max_age=2";
    start_server("0");
    server_set = "max_audio_seconds=600";
    cr_assert_eq(call_h("POST", "/v1/session", NULL, NULL, NULL, body, &o, &k), 201);
    snprintf(cookie, sizeof cookie, "Cookie: %.*s", (int)strcspn(k.cookie, ";"), k.cookie);
    long last = 200;
    int used = 0;
    for (; used < 40 && last == 200; used++) {
        last = call_h("GET", "/v1/voicemails", cookie, NULL, NULL, NULL, &o, NULL);
        usleep(200000);
    }
    cr_expect_eq(last, 401, "ended though used all along");
    cr_expect(used >= 3, "used before it ended (%d requests)", used);
    char admin[80];
    token("admin", "admin", admin, sizeof admin);
    stop_server();
    start_server("0");
    cr_assert_eq(call("GET", "/v1/audit?actor=registrator", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"action\":\"sign_in\"") && strstr(o.buf, "\"action\":\"sign_out\""), "%s", o.buf);
}

Test(admin, a_trusted_proxy_names_the_user) {
    sink o;
    char csrf[80], csrf_h[120];
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    /* without trusted_proxy the header is nobody's word */
    cr_expect_eq(call_h("GET", "/v1/voicemails", "X-Remote-User: eva.registrator", NULL, NULL, NULL, &o, NULL), 401);
    restart_behind_proxy("# user<TAB>role\neva.registrator\tofficer\nkarl.chef\tmanager\n");
    const char *eva = "X-Remote-User: eva.registrator", *karl = "X-Remote-User: karl.chef";
    cr_expect_eq(call_h("GET", "/v1/voicemails", eva, NULL, NULL, NULL, &o, NULL), 200, "%s", o.buf);
    cr_expect_eq(call_h("GET", "/v1/voicemails", "X-Remote-User: mallory", NULL, NULL, NULL, &o, NULL), 403);
    cr_expect_eq(call_h("GET", "/v1/voicemails", karl, NULL, NULL, NULL, &o, NULL), 403, "a manager reads no voicemails");
    cr_expect_eq(call_h("GET", "/v1/mailboxes", karl, NULL, NULL, NULL, &o, NULL), 200, "but the mailboxes");
    cr_expect_eq(call_h("GET", "/v1/review", karl, NULL, NULL, NULL, &o, NULL), 200);
    cr_assert_eq(call_h("GET", "/v1/session", eva, NULL, NULL, NULL, &o, NULL), 200);
    cr_expect(strstr(o.buf, "\"name\":\"eva.registrator\",\"role\":\"officer\",\"via\":\"proxy\"") != NULL, "%s",
              o.buf);
    json_text(o.buf, "csrf", csrf, sizeof csrf);
    snprintf(csrf_h, sizeof csrf_h, "X-CSRF-Token: %s", csrf);
    const char *review = "{\"name\":\"stated\"}";
    cr_expect_eq(call_h("POST", "/v1/mailboxes/4711/greetings/1/review", eva, NULL, NULL, review, &o, NULL), 403);
    cr_expect_eq(call_h("POST", "/v1/mailboxes/4711/greetings/1/review", eva, csrf_h, NULL, review, &o, NULL), 404);
    /* the audit names the person */
    char loc[128];
    cr_assert_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", NULL, &o, loc, sizeof loc), 201);
    cr_expect_eq(call_h("GET", loc, eva, NULL, NULL, NULL, &o, NULL), 200);
    char admin[80];
    token("admin", "admin", admin, sizeof admin);
    stop_server();
    start_server("0");
    cr_assert_eq(call("GET", "/v1/audit?actor=eva.registrator", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"actor\":\"eva.registrator\"") != NULL, "%s", o.buf);
}

/* The web app's files: index.html at /, nothing outside web_dir. */
Test(admin, the_web_app_is_served) {
    sink o;
    cr_expect_eq(call("GET", "/", NULL, NULL, &o), 200);
    cr_expect(strstr(o.buf, "<html lang=\"sv\">") != NULL, "%s", o.buf);
    cr_expect_eq(call("GET", "/app.js", NULL, NULL, &o), 200);
    cr_expect_eq(call("GET", "/app.css", NULL, NULL, &o), 200);
    cr_expect_eq(call("GET", "/nothing.js", NULL, NULL, &o), 404);
    cr_expect_eq(call("GET", "/../Makefile", NULL, NULL, &o), 404);
    cr_expect_eq(call("GET", "/%2e%2e/README.md", NULL, NULL, &o), 404);
    cr_expect_eq(call("GET", "/.git.html", NULL, NULL, &o), 404);
    cr_expect_eq(call("POST", "/app.js", NULL, NULL, &o), 405);
}

Test(admin, metrics_in_prometheus_text) {
    sink o;
    cr_expect_eq(call("GET", "/healthz", NULL, NULL, &o), 200);
    cr_expect_eq(call("GET", "/v1/nothing", officer, NULL, &o), 404);
    cr_assert_eq(call("GET", "/metrics", NULL, NULL, &o), 200);
    cr_expect(strstr(o.buf, "rostvakt_requests_total{code=\"2xx\"} 1\n") != NULL, "%s", o.buf);
    cr_expect(strstr(o.buf, "rostvakt_requests_total{code=\"4xx\"} 1\n") != NULL, "%s", o.buf);
    /* a request's duration is counted when its connection finishes, which may
     * come after the next request: at least one by now */
    const char *cnt = strstr(o.buf, "rostvakt_request_seconds_count ");
    cr_expect(cnt && atoi(cnt + strlen("rostvakt_request_seconds_count ")) >= 1, "%s", o.buf);
    cr_expect(strstr(o.buf, "rostvakt_queue_depth 0\n") != NULL, "%s", o.buf);
    cr_expect(strstr(o.buf, "rostvakt_analyses_total{result=\"analysed\"} 0\n") != NULL, "%s", o.buf);
    cr_expect_eq(call("POST", "/metrics", NULL, NULL, &o), 405);
}

/* POST /v1/sweeps: the nightly sweep on demand, admin only, audited. */
Test(admin, a_sweep_on_demand) {
    sink o;
    char admin[80];
    token("admin", "it-drift", admin, sizeof admin);
    stop_server(); /* again, with no analysis worker (a new token needs no restart) */
    start_server("0");
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    cr_expect_eq(call("POST", "/v1/sweeps", officer, NULL, &o), 403);
    cr_expect_eq(call("PUT", "/v1/sweeps", admin, NULL, &o), 405);
    cr_expect(strstr(o.buf, "PUT is not taken here: this path takes POST, GET, HEAD") != NULL, "%s", o.buf);
    /* a refusal names the role and whom the route is for */
    cr_expect_eq(call("POST", "/v1/sweeps?dry_run=true", officer, NULL, &o), 403);
    cr_expect(strstr(o.buf, "an officer may not POST this: it is for an admin") != NULL, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/sweeps", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "{\"items\":[]}") != NULL, "none kept yet: %s", o.buf);
    cr_expect_eq(call("POST", "/v1/sweeps?date=2026-13-01", admin, NULL, &o), 400);
    cr_expect_eq(call("POST", "/v1/sweeps?format=pdf", admin, NULL, &o), 400);
    cr_assert_eq(call("POST", "/v1/sweeps?date=2026-11-23&dry_run=true", admin, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"date\":\"2026-11-23\",\"mailboxes\":1") != NULL, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"missing_greetings\":[{\"ext\":\"4711\"") != NULL, "no greeting yet: %s", o.buf);
    cr_assert_eq(call("GET", "/v1/sweeps", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "{\"items\":[]}") != NULL, "a dry run is not kept: %s", o.buf);
    cr_assert_eq(call("POST", "/v1/sweeps?date=2026-11-23&format=html", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "<html lang=\"sv\">") != NULL);
    /* the run is kept, as JSON with the units' shares, whatever format it answered in */
    cr_assert_eq(call("GET", "/v1/sweeps?limit=5", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"id\":1,\"date\":\"2026-11-23\"") != NULL, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"units\":[{\"unit\":\"Ekonomienheten\",\"organisation\":null,\"mailboxes\":1,\"compliant\":0}]") != NULL,
              "%s", o.buf);
    cr_expect(strstr(o.buf, "\"missing_greetings\":[{\"ext\":\"4711\"") != NULL, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/sweeps/1", officer, NULL, &o), 200);
    cr_expect_eq(call("GET", "/v1/sweeps/2", officer, NULL, &o), 404);
    cr_expect_eq(call("GET", "/v1/sweeps?limit=0", officer, NULL, &o), 400);
    cr_expect_eq(call("GET", "/v1/sweeps", pbx, NULL, &o), 403);
    cr_assert_eq(call("GET", "/v1/audit?actor=it-drift", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "sweep_run") != NULL, "%s", o.buf);
}

/* The nightly sweep from the command line is audited as one over HTTP:
 * sweep_run before it starts, sweep_done after; it does not run when the
 * audit cannot be written. */
Test(admin, the_command_line_sweep_is_audited) {
    sink o;
    char admin[80], cmd[512], flag[128];
    token("admin", "it-drift", admin, sizeof admin);
    const char *exe = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
    snprintf(flag, sizeof flag, "%s/audit-fails", dir);
    write_file(flag, "");
    snprintf(cmd, sizeof cmd, "RV_TEST_AUDIT_FAILS=%s %s sweep --data-dir %s/data --date 2026-11-23 2>&1 >/dev/null",
             flag, exe, dir);
    cr_expect_neq(run(cmd, &o), 0, "no audit, no sweep: %s", o.buf);
    unlink(flag);
    cr_assert_eq(call("GET", "/v1/sweeps", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "{\"items\":[]}") != NULL, "it did not run: %s", o.buf);
    snprintf(cmd, sizeof cmd, "%s sweep --data-dir %s/data --date 2026-11-23 2>&1 >/dev/null", exe, dir);
    cr_expect_eq(run(cmd, &o), 0, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/audit?actor=sweep", admin, NULL, &o), 200);
    const char *run_row = strstr(o.buf, "\"action\":\"sweep_run\""), *done = strstr(o.buf, "\"action\":\"sweep_done\"");
    cr_expect(run_row && done, "%s", o.buf);
    cr_expect(strstr(o.buf, "2026-11-23") != NULL, "the date: %s", o.buf);
}

/* A sweep on demand runs off the HTTP threads: with a single HTTP thread and
 * a sweep busy re-analysing greetings, requests are still answered while
 * /metrics says the sweep runs (no sleep: the gauge is the event). */
static _Atomic int answered; /* the order in which answers came */

static _Atomic int sweep_answer;

static char sweep_token[80];

static void *sweep_request(void *arg)
{
    (void)arg;
    CURL *c = curl_easy_init();
    char url[128], auth[128];
    snprintf(url, sizeof url, "%s/v1/sweeps?date=2026-11-23&format=json", base);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", sweep_token);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    sink o = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &o);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    sweep_answer = ++answered;
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return (void *)(intptr_t)status;
}

Test(admin, a_sweep_does_not_hold_an_http_thread) {
    sink o;
    token("admin", "it-drift", sweep_token, sizeof sweep_token);
    const char *ext[] = {"4711", "4712", "4713"};
    const char *files[] = {"samples/g01-anna-svensson.wav", "samples/g02-per-oskarsson.wav",
                           "samples/g03-maria-lindqvist.wav"};
    for (int i = 0; i < 3; i++) {
        char path[64], body[160];
        snprintf(path, sizeof path, "/v1/mailboxes/%s", ext[i]);
        snprintf(body, sizeof body, "{\"first_name\":\"N%d\",\"last_name\":\"Test\",\"unit\":\"Ekonomienheten\"}", i);
        cr_assert_eq(call("PUT", path, pbx, body, &o), 201);
        snprintf(path, sizeof path, "/v1/mailboxes/%s/greeting", ext[i]);
        cr_assert_eq(upload("PUT", path, files[i], pbx, "audio/wav", NULL, &o, NULL, 0), 200, "%s", o.buf);
    }
    stop_server();
    /* other thresholds: every greeting is out of date, and the sweep
     * analyses each again (about a second of CPU each) */
    setenv("RV_ASR_NAME_MIN_SCORE", "-18", 1);
    server_set = "http_workers=1";
    start_server("0");
    server_set = "max_audio_seconds=600";
    unsetenv("RV_ASR_NAME_MIN_SCORE");
    answered = sweep_answer = 0;
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, sweep_request, NULL), 0);
    /* the one HTTP thread answers while the sweep waits or runs: /metrics
     * says so, in an answer that could not come if the sweep held it */
    int seen_running = 0;
    while (!seen_running && !atomic_load(&sweep_answer)) {
        cr_assert_eq(call("GET", "/metrics", sweep_token, NULL, &o), 200);
        seen_running = strstr(o.buf, "\nrostvakt_sweep_running 1\n") != NULL;
    }
    long health = call("GET", "/healthz", NULL, NULL, &o);
    void *status;
    pthread_join(th, &status);
    cr_expect(seen_running, "an answer came while the sweep ran (the sweep answered first)");
    cr_expect_eq(health, 200);
    cr_expect_eq((long)(intptr_t)status, 200, "the sweep's report");
    cr_assert_eq(call("GET", "/metrics", sweep_token, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\nrostvakt_sweep_running 0\n") != NULL, "and it ended: %s", o.buf);
}

/* A greeting analysed under other settings is re-analysed by the next sweep,
 * and only once. */
Test(admin, the_sweep_reanalyses_out_of_date_greetings) {
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    cr_assert_eq(upload("PUT", "/v1/mailboxes/4711/greeting", "samples/m09-system-prompt.wav", pbx, "audio/wav", NULL,
                        &o, NULL, 0), 200, "%s", o.buf);
    stop_server();
    char cmd[512], line[512];
    const char *exe = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
    snprintf(cmd, sizeof cmd, "%s sweep --data-dir %s/data --date 2026-11-23 --set asr_name_min_score=-18 2>&1 >/dev/null",
             exe, dir);
    for (int run = 0; run < 2; run++) {
        FILE *p = popen(cmd, "r");
        cr_assert(p);
        char all[2048] = "";
        while (fgets(line, sizeof line, p)) snprintf(all + strlen(all), sizeof all - strlen(all), "%s", line);
        cr_expect_eq(pclose(p), 0, "%s", all);
        cr_expect(strstr(all, run == 0 ? "greetings out of date 1, re-analysed 1, failed 0"
                                       : "greetings out of date 0, re-analysed 0") != NULL, "run %d: %s", run, all);
    }
    start_server("0");
    cr_assert_eq(call("GET", "/v1/mailboxes/4711/greeting", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"missing_reason\":\"system_prompt\"") != NULL, "the verdict stands: %s", o.buf);
}

/* A person's review outlives the sweep's re-analysis: the greeting analysed
 * again keeps the verdict the latest review of that recording gives. */
Test(admin, a_reviewed_verdict_survives_the_sweeps_reanalysis) {
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    cr_assert_eq(upload("PUT", "/v1/mailboxes/4711/greeting", "samples/g01-anna-svensson.wav", pbx, "audio/wav", NULL,
                        &o, NULL, 0), 200, "%s", o.buf);
    const char *id = strstr(o.buf, "\"greeting_id\":");
    cr_assert(id, "%s", o.buf);
    char path[96];
    snprintf(path, sizeof path, "/v1/mailboxes/4711/greetings/%lld/review", atoll(id + 14));
    /* heard first as said, then (the latest) as not said */
    cr_assert_eq(call("POST", path, officer, "{\"name\":\"stated\"}", &o), 201, "%s", o.buf);
    cr_assert_eq(call("POST", path, officer, "{\"name\":\"not_stated\"}", &o), 201, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/mailboxes/4711/greeting", officer, NULL, &o), 200);
    cr_assert(strstr(o.buf, "\"compliant\":false") && strstr(o.buf, "name_missing"), "the review's verdict: %s", o.buf);
    stop_server();
    char cmd[512], line[512], all[2048] = "";
    const char *exe = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
    snprintf(cmd, sizeof cmd, "%s sweep --data-dir %s/data --date 2026-11-23 --set asr_name_min_score=-18 2>&1 >/dev/null",
             exe, dir);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    while (fgets(line, sizeof line, p)) snprintf(all + strlen(all), sizeof all - strlen(all), "%s", line);
    cr_expect_eq(pclose(p), 0, "%s", all);
    cr_expect(strstr(all, "re-analysed 1, failed 0") != NULL, "%s", all);
    start_server("0");
    cr_assert_eq(call("GET", "/v1/mailboxes/4711/greeting", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"compliant\":false") != NULL, "the review still counts: %s", o.buf);
    cr_expect(strstr(o.buf, "name_missing") != NULL, "%s", o.buf);
    /* the same recording sent again is a new version that the review still
     * speaks for: its verdict, its reviewer, and nothing left to listen to */
    cr_assert_eq(upload("PUT", "/v1/mailboxes/4711/greeting", "samples/g01-anna-svensson.wav", pbx, "audio/wav", NULL,
                        &o, NULL, 0), 200, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/mailboxes/4711/greeting", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"id\":2,") != NULL, "a new version: %s", o.buf);
    cr_expect(strstr(o.buf, "\"compliant\":false") && strstr(o.buf, "name_missing"), "the review's verdict: %s", o.buf);
    cr_expect(strstr(o.buf, "\"reviewed_by\":\"registrator\"") != NULL, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/review", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "4711") == NULL, "heard already: %s", o.buf);
}

/* A read that cannot be audited is refused: while another process holds
 * the archive's write lock, listening answers 503 with Retry-After, a
 * decision is not taken (it and its audit row are one transaction), and
 * requests that write nothing are answered; afterwards all is as before. */
Test(admin, the_audit_fails_closed) {
    sink o;
    char loc[128], path[192];
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    cr_assert_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", NULL, &o, loc, sizeof loc), 201);
    /* another process holds the write lock until the flag is gone */
    char flag[128];
    snprintf(flag, sizeof flag, "%s/locked", dir);
    hold_write_lock(flag);
    snprintf(path, sizeof path, "%s/audio", loc);
    cr_expect_eq(call("GET", path, officer, NULL, &o), 503, "unaudited listening: %s", o.buf);
    cr_expect(strstr(o.buf, "\"busy\"") != NULL, "%s", o.buf);
    snprintf(path, sizeof path, "%s/decision", loc);
    cr_expect_eq(call("POST", path, officer, "{\"decision\":\"gallras\",\"ground\":\"tillfallig\"}", &o), 503, "%s", o.buf);
    cr_expect_eq(call("GET", "/metrics", NULL, NULL, &o), 200, "what writes nothing is answered");
    unlink(flag); /* the lock goes */
    snprintf(path, sizeof path, "%s/audio", loc);
    long st = 0;
    for (int i = 0; i < 100 && (st = call("GET", path, officer, NULL, &o)) == 503; i++) usleep(100000);
    cr_expect_eq(st, 200, "%s", o.buf);
    cr_assert_eq(call("GET", loc, officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"decisions\":[]") != NULL, "the refused decision left nothing: %s", o.buf);
}

/* rostvakt token --revoke, then SIGHUP: the token stops working, its web
 * sessions end, the others go on; a damaged file keeps the old tokens. */
Test(admin, revoked_tokens_stop_on_sighup) {
    sink o;
    char extra[80], body[160], cookie[200], cmd[512];
    cookies k = {""};
    token("officer", "vikarie", extra, sizeof extra);
    stop_server();
    start_server("0");
    cr_expect_eq(call("GET", "/v1/voicemails", extra, NULL, &o), 200);
    snprintf(body, sizeof body, "{\"token\":\"%s\"}", extra);
    cr_assert_eq(call_h("POST", "/v1/session", NULL, NULL, NULL, body, &o, &k), 201);
    snprintf(cookie, sizeof cookie, "Cookie: %.*s", (int)strcspn(k.cookie, ";"), k.cookie);
    snprintf(cmd, sizeof cmd, "%s token --tokens %s/tokens --revoke vikarie > /dev/null",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", dir);
    cr_assert_eq(system(cmd), 0);
    kill(pid, SIGHUP);
    usleep(500000);
    cr_expect_eq(call("GET", "/v1/voicemails", extra, NULL, &o), 401, "revoked");
    cr_expect_eq(call_h("GET", "/v1/voicemails", cookie, NULL, NULL, NULL, &o, NULL), 401, "its session ended");
    cr_expect_eq(call("GET", "/v1/voicemails", officer, NULL, &o), 200, "the others go on");
    cr_expect_neq(system(cmd), 0, "nothing left to revoke");
    /* a damaged tokens file: the old tokens stay */
    snprintf(cmd, sizeof cmd, "echo 'broken line' >> %s/tokens", dir);
    cr_assert_eq(system(cmd), 0);
    kill(pid, SIGHUP);
    usleep(500000);
    cr_expect_eq(call("GET", "/v1/voicemails", officer, NULL, &o), 200, "still served");
}

/* README has the tokens file made readable by the service's group: a
 * revocation keeps its mode, and its group where the user may keep it. */
Test(admin, a_revocation_keeps_the_tokens_files_mode_and_group) {
    char extra[80], cmd[512], path[128];
    token("officer", "vikarie", extra, sizeof extra);
    snprintf(path, sizeof path, "%s/tokens", dir);
    cr_assert_eq(chmod(path, 0640), 0);
    gid_t group = getgid();
    if (geteuid() == 0) {
        group = 65534; /* nogroup */
        cr_assert_eq(chown(path, 0, group), 0);
    }
    snprintf(cmd, sizeof cmd, "%s token --tokens %s --revoke vikarie > /dev/null",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", path);
    cr_assert_eq(system(cmd), 0);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 07777, 0640, "mode %o", (unsigned)(st.st_mode & 07777));
    cr_expect_eq(st.st_gid, group, "group %u", (unsigned)st.st_gid);
    snprintf(cmd, sizeof cmd, "grep -c vikarie %s", path);
    cr_expect_neq(system(cmd), 0, "revoked");
}

/* serve on an address another program holds: the address and why, in
 * one line, and exit 78; no message of the HTTP library's about port 0. */
Test(admin, a_port_in_use_is_named_with_the_reason) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    socklen_t len = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(fd, 1), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    unsigned port = ntohs(a.sin_port);
    char cmd[512], want[96];
    sink o;
    snprintf(cmd, sizeof cmd, "%s serve --listen 127.0.0.1:%u --data-dir %s/data --tokens %s/tokens 2>&1",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", port, dir, dir);
    cr_expect_eq(run(cmd, &o), 78, "%s", o.buf);
    snprintf(want, sizeof want, "cannot listen on 127.0.0.1:%u: Address already in use", port);
    cr_expect(strstr(o.buf, want) != NULL, "%s", o.buf);
    cr_expect(strstr(o.buf, "port 0") == NULL, "%s", o.buf);
    close(fd);
}

/* A connection to the server, the request line sent and then nothing. */
static int slow_connection(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)atoi(strrchr(base, ':') + 1));
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 || write(fd, "GET /healthz HTTP/1.1\r\n", 23) != 23) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Slow clients do not keep others out: 128 connections from one address
 * that never finish their headers (the per-address limit) are cut, so a
 * new client is served within seconds; one that is too slow alone is cut
 * at http_header_timeout. */
Test(admin, slow_clients_do_not_keep_others_out) {
    enum { N = 128 };
    int fds[N], open_n = 0;
    for (int i = 0; i < N; i++)
        if ((fds[i] = slow_connection()) >= 0) open_n++;
    cr_assert(open_n >= 100, "%d slow connections", open_n);
    int served = 0;
    for (int t = 0; t < 40 && !served; t++) { /* up to ten seconds */
        usleep(250000);
        CURL *c = curl_easy_init();
        char url[128];
        snprintf(url, sizeof url, "%s/healthz", base);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 2L);
        sink o = {0};
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &o);
        long status = 0;
        if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
        served = status == 200;
    }
    cr_expect(served, "a new client was served while slow ones held the slots");
    int cut = 0;
    for (int i = 0; i < N; i++) {
        if (fds[i] < 0) continue;
        char b[64];
        struct timeval tv = {0, 100000};
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (read(fds[i], b, sizeof b) == 0) cut++;
        close(fds[i]);
    }
    cr_expect(cut > 0, "slow connections were cut");
    /* one alone, past http_header_timeout */
    stop_server();
    server_set = "http_header_timeout=1";
    start_server("0");
    server_set = "max_audio_seconds=600";
    int fd = slow_connection();
    cr_assert(fd >= 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char b[64];
    cr_expect_eq(read(fd, b, sizeof b), 0, "cut after its header deadline");
    close(fd);
}

/* ---- the nightly report by e-mail: a real SMTP server on loopback ---- */

static pid_t smtp_pid;

static char smtp_dir[128];

static void smtp_start(int port, const char *user, const char *password, const char *cert, const char *key)
{
    char port_s[16];
    snprintf(smtp_dir, sizeof smtp_dir, "%s/smtp", dir);
    snprintf(port_s, sizeof port_s, "%d", port);
    cr_assert_eq(system("/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null"), 0,
                 "aiosmtpd is not installed: deploy/install-deps.sh test installs python3-aiosmtpd");
    smtp_pid = fork();
    cr_assert(smtp_pid >= 0);
    if (smtp_pid == 0) {
        char log[300];
        snprintf(log, sizeof log, "%s/smtp.log", dir); /* its warnings about AUTH without TLS, on loopback */
        if (!freopen("/dev/null", "w", stdout) || !freopen(log, "w", stderr)) _exit(126);
        execl("/usr/bin/python3", "python3", "tests/smtp-server.py", port_s, smtp_dir, user, password, cert, key,
              (char *)NULL);
        _exit(127);
    }
    cr_assert(listening(port), "the SMTP server does not listen on %d", port);
}

static void smtp_teardown(void)
{
    if (smtp_pid > 0) {
        kill(smtp_pid, SIGTERM);
        waitpid(smtp_pid, NULL, 0);
        smtp_pid = 0;
    }
    teardown();
}

static int mails_received(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "find %s/new %s/cur -type f 2>/dev/null | wc -l", smtp_dir, smtp_dir);
    sink o;
    run(cmd, &o);
    return atoi(o.buf);
}

static int sweep_mail(const char *date, const char *extra, int port, sink *out)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "%s sweep --data-dir %s/data --date %s --allow-future --mail --set mail_smtp_url=smtp://127.0.0.1:%d"
             " --set mail_from=rostvakt@kommun.se --set mail_officers='registrator@kommun.se' %s 2>&1 >/dev/null",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", dir, date, port, extra ? extra : "");
    return run(cmd, out);
}

/* Each unit's managers get their part of the report and the records
 * officers a summary, in Swedish, text and HTML; a mail that cannot be
 * sent waits for the next sweep, which the sweep itself never fails for. */
/* The line of all (one a mail) that begins with head, into line ("" if none). */
static void mail_of(const char *all, const char *head, char *line, size_t cap)
{
    line[0] = '\0';
    for (const char *p = all; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, head, strlen(head)) == 0) {
            snprintf(line, cap, "%.*s", (int)strcspn(p, "\n"), p);
            return;
        }
}

Test(admin, the_nightly_report_is_mailed_to_managers, .fini = smtp_teardown) {
    sink o, out;
    char admin[80];
    token("admin", "admin", admin, sizeof admin);
    stop_server();
    start_server("1");
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx,
                      "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}", &o), 201);
    cr_assert_eq(call("PUT", "/v1/mailboxes/4712", pbx,
                      "{\"first_name\":\"\\u00c5sa\",\"last_name\":\"\\u00d6berg\",\"unit\":\"Socialtj\\u00e4nsten\"}",
                      &o), 201);
    cr_expect_eq(call("PUT", "/v1/units/Ekonomienheten", admin, "{\"managers\":[\"chef@kommun.se\"]}", &o), 201);
    cr_expect_eq(call("PUT", "/v1/units/Socialtj%C3%A4nsten", admin,
                      "{\"managers\":[\"soc@kommun.se\",\"bitr@kommun.se\"]}", &o), 201, "%s", o.buf);
    cr_expect_eq(call("PUT", "/v1/units/Kulturenheten", admin, "{\"managers\":[\"kultur@kommun.se\"]}", &o), 201);
    cr_expect_eq(call("PUT", "/v1/units/Kulturenheten", admin, "{\"managers\":[\"inte en adress\"]}", &o), 422);
    cr_expect_eq(call("PUT", "/v1/units/Kulturenheten", admin, "{\"managers\":[}", &o), 400);
    cr_expect(strstr(o.buf, "body is not JSON: ") != NULL, "said why: %s", o.buf);
    cr_expect_eq(call("PUT", "/v1/units/Kulturenheten", admin, "{\"managers\":\"kultur@kommun.se\"}", &o), 400);
    cr_expect_eq(call("PUT", "/v1/units/Kulturenheten", officer, "{\"managers\":[]}", &o), 403);
    cr_expect_eq(call("PUT", "/v1/units/Kulturenheten", pbx, "{\"managers\":[]}", &o), 403, "admin only");
    cr_assert_eq(call("GET", "/v1/units", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"bitr@kommun.se\"") && strstr(o.buf, "\"kultur@kommun.se\""), "%s", o.buf);
    int port = free_port();
    /* the mail server down: the sweep succeeds, the mails wait */
    cr_expect_eq(sweep_mail("2026-12-07", NULL, port, &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "3 new, 0 sent, 3 failed, 3 waiting") && strstr(out.buf, "1 units with nothing"),
              "%s", out.buf);
    cr_assert_eq(call("GET", "/metrics", NULL, NULL, &o), 200);
    cr_expect(strstr(o.buf, "rostvakt_mail_pending 3") != NULL, "%s", o.buf);
    /* the server back, wanting a login: none, then one from a file others
     * may read, are refused; the next sweep with the file at 0600 sends
     * them, once */
    smtp_start(port, "rostvakt", "hemligt", NULL, NULL);
    cr_expect_eq(sweep_mail("2026-12-07", NULL, port, &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "0 sent, 3 failed, 3 waiting") != NULL, "no login: %s", out.buf);
    char auth[256], set[300];
    snprintf(auth, sizeof auth, "%s/smtp.auth", dir);
    write_file(auth, "rostvakt\nhemligt\n");
    chmod(auth, 0644);
    snprintf(set, sizeof set, "--set mail_auth_file=%s", auth);
    cr_expect_eq(sweep_mail("2026-12-07", set, port, &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "must be mode 0600") != NULL, "%s", out.buf);
    cr_expect_eq(mails_received(), 0);
    chmod(auth, 0600);
    cr_expect_eq(sweep_mail("2026-12-07", set, port, &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "0 new, 3 sent, 0 failed, 0 waiting") != NULL, "%s", out.buf);
    cr_expect_eq(mails_received(), 3);
    cr_expect_eq(sweep_mail("2026-12-07", set, port, &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "0 new, 0 sent") != NULL, "a sweep run again sends nothing again: %s", out.buf);
    cr_expect_eq(mails_received(), 3);
    cr_assert_eq(call("GET", "/metrics", NULL, NULL, &o), 200);
    cr_expect(strstr(o.buf, "rostvakt_mail_pending 0") != NULL, "%s", o.buf);
    /* what arrived, read with Python's own e-mail parser */
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import mailbox, email.header, sys\n"
             "for m in sorted(mailbox.Maildir(sys.argv[1]), key=lambda m: m[\"X-RcptTo\"]):\n"
             "  s = str(email.header.make_header(email.header.decode_header(m[\"Subject\"])))\n"
             "  parts = [p.get_content_type() + \":\" + str(p.get_content_charset()) + \":\" + "
             "str(p.get(\"Content-Transfer-Encoding\")) for p in m.walk() if p.get_content_maintype() == \"text\"]\n"
             "  texts = [p.get_payload(decode=True).decode(\"utf-8\") for p in m.walk() if p.get_content_maintype() == \"text\"]\n"
             "  print(\"RCPT=\" + m[\"X-RcptTo\"] + \"|TO=\" + m[\"To\"] + \"|SUBJ=\" + s + \"|\" + m.get_content_type() + \"|\" + "
             "\",\".join(parts) + \"|\" + \" \".join(texts).replace(\"\\r\\n\", \"/\").replace(\"\\n\", \"/\"))' %s",
             smtp_dir);
    cr_assert_eq(run(cmd, &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "RCPT=chef@kommun.se|TO=chef@kommun.se|SUBJ=R\xc3\xb6stbrevl\xc3\xa5" "dor "
                              "Ekonomienheten 2026-12-07: 1 att \xc3\xa5tg\xc3\xa4rda|multipart/alternative|"
                              "text/plain:utf-8:base64,text/html:utf-8:base64|") != NULL,
              "%s", out.buf);
    cr_expect(strstr(out.buf, "RCPT=soc@kommun.se, bitr@kommun.se|") != NULL, "both managers: %s", out.buf);
    cr_expect(strstr(out.buf, "4712 \xc3\x85sa \xc3\x96" "berg: ingen h\xc3\xa4lsningsfras") != NULL,
              "the unit's item, Swedish letters intact: %s", out.buf);
    cr_expect(strstr(out.buf, "<li>4712 \xc3\x85sa \xc3\x96" "berg") != NULL, "the HTML part: %s", out.buf);
    /* each recipient's mail on its own: one line each above */
    char chef[8192], soc[8192];
    mail_of(out.buf, "RCPT=chef@kommun.se|", chef, sizeof chef);
    mail_of(out.buf, "RCPT=soc@kommun.se, bitr@kommun.se|", soc, sizeof soc);
    cr_expect(strstr(chef, "4711 Anna Svensson") != NULL, "Ekonomienheten's item in its mail: %s", chef);
    cr_expect(strstr(chef, "4712") == NULL, "Socialtjänsten's item stays out of Ekonomienheten's mail: %s", chef);
    cr_expect(strstr(soc, "4712 \xc3\x85sa \xc3\x96" "berg") != NULL, "Socialtjänsten's item in its mail: %s", soc);
    cr_expect(strstr(soc, "4711") == NULL, "Ekonomienheten's item stays out of Socialtjänsten's mail: %s", soc);
    cr_expect(strstr(out.buf, "RCPT=registrator@kommun.se|TO=registrator@kommun.se|SUBJ=R\xc3\xb6stbrevl\xc3\xa5"
                              "dor 2026-12-07: sammanfattning, 2 att \xc3\xa5tg\xc3\xa4rda") != NULL,
              "%s", out.buf);
    cr_expect(strstr(out.buf, "kultur@") == NULL, "nothing to act on, nothing sent: %s", out.buf);
    /* --dry-run writes the mails to a folder instead; mail_when_nothing includes the quiet unit */
    char dry[300], extra[400];
    snprintf(dry, sizeof dry, "%s/dry", dir);
    snprintf(extra, sizeof extra, "--dry-run --mail-dir %s --set mail_when_nothing=1", dry);
    cr_expect_eq(sweep_mail("2026-12-08", extra, port, &out), 0, "%s", out.buf);
    snprintf(cmd, sizeof cmd,
             "ls %s | sort | tr '\\n' ' '; /usr/bin/python3 -c 'import email, email.header, sys\n"
             "m = email.message_from_binary_file(open(sys.argv[1], \"rb\"))\n"
             "print(str(email.header.make_header(email.header.decode_header(m[\"Subject\"]))))' "
             "%s/2026-12-08-unit_Kulturenheten.eml | grep -q 'inget att' && echo quiet",
             dry, dry);
    cr_expect_eq(run(cmd, &o), 0);
    cr_expect(strstr(o.buf, "2026-12-08-officers.eml 2026-12-08-unit_Ekonomienheten.eml 2026-12-08-unit_Kulturenheten.eml") &&
                  strstr(o.buf, "quiet"),
              "%s", o.buf);
    cr_expect_eq(mails_received(), 3, "a dry run sends nothing");
    /* a mail that cannot be written is the exit status, though the sweep is done */
    char blocked[400];
    snprintf(blocked, sizeof blocked, "%s/dry2/2026-12-08-officers.eml", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", blocked);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    snprintf(extra, sizeof extra, "--dry-run --mail-dir %s/dry2", dir);
    cr_expect_eq(sweep_mail("2026-12-08", extra, port, &out), 1, "%s", out.buf);
    cr_expect(strstr(out.buf, "officers.eml: Is a directory (2 mails of this report composed before it)"), "%s",
              out.buf);
    snprintf(cmd, sizeof cmd, "ls %s/dry2 | grep -c '^2026-12-08-unit_.*\\.eml$'", dir);
    cr_expect_eq(run(cmd, &o), 0);
    cr_expect(atoi(o.buf) == 2, "the units' mails, written before: %s", o.buf);
    /* mail that cannot be composed is the exit status, though the sweep is done */
    snprintf(extra, sizeof extra, "--dry-run --mail-dir %s --set mail_from=nobody", dry);
    cr_expect_eq(sweep_mail("2026-12-08", extra, port, &out), 78, "%s", out.buf);
    cr_expect(strstr(out.buf, "mail_from 'nobody' is not an e-mail address (0 mails of this report composed before it)"),
              "%s", out.buf);
    /* a server that demands STARTTLS: a certificate nobody vouches for is
     * refused (the mails wait), one mail_ca_file trusts is not */
    kill(smtp_pid, SIGTERM);
    waitpid(smtp_pid, NULL, 0);
    char cert[300], key[300], set2[800];
    snprintf(cert, sizeof cert, "%s/smtp-cert.pem", dir);
    snprintf(key, sizeof key, "%s/smtp-key.pem", dir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 2 -subj /CN=127.0.0.1"
             " -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
             key, cert);
    cr_assert_eq(system(cmd), 0, "openssl makes a certificate");
    int tls_port = free_port();
    smtp_start(tls_port, "rostvakt", "hemligt", cert, key);
    cr_expect_eq(sweep_mail("2026-12-09", set, tls_port, &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "3 new, 0 sent, 3 failed") && strstr(out.buf, "certificate"), "%s", out.buf);
    snprintf(set2, sizeof set2, "%s --set mail_ca_file=%s", set, cert);
    cr_expect_eq(sweep_mail("2026-12-09", set2, tls_port, &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "0 new, 3 sent, 0 failed, 0 waiting") != NULL, "%s", out.buf);
    cr_expect_eq(mails_received(), 6);
}
