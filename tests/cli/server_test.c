/* rostvakt serve, end to end over HTTP (libcurl): the real binary on a free
 * port, its tokens and data directory in a temporary directory. Covers what
 * the service does so far: /healthz, roles, mailboxes, error statuses. */
#include <criterion/criterion.h>
#include <sndfile.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

TestSuite(serve, .init = setup, .fini = teardown, .timeout = 60);

Test(serve, health_roles_and_mailboxes) {
    sink o;
    cr_expect_eq(call("GET", "/healthz", NULL, NULL, &o), 200);
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_expect_eq(call("PUT", "/v1/mailboxes/4711", NULL, anna, &o), 401, "no token");
    cr_expect_eq(call("PUT", "/v1/mailboxes/4711", "rv_0000", anna, &o), 401, "a bad token");
    cr_expect_eq(call("PUT", "/v1/mailboxes/4711", officer, anna, &o), 403, "an officer does not edit the directory");
    cr_expect_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201, "%s", o.buf);
    cr_expect_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 200, "updated");
    cr_expect_eq(call("GET", "/v1/mailboxes/4711", pbx, NULL, &o), 403, "the PBX does not read the directory");
    cr_expect_eq(call("GET", "/v1/mailboxes/4711", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"last_name\":\"Svensson\"") != NULL, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/mailboxes/4712", officer, NULL, &o), 404);
    cr_expect(strstr(o.buf, "\"error\"") != NULL, "errors are JSON: %s", o.buf);
    /* the address its voicemail arrives at as e-mail (optional) */
    const char *mail = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\","
                       "\"email\":\"anna.svensson@botkyrka.se\"}";
    cr_expect_eq(call("PUT", "/v1/mailboxes/4711", pbx, mail, &o), 200, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/mailboxes/4711", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"email\":\"anna.svensson@botkyrka.se\"") != NULL, "%s", o.buf);
    const char *bad = "{\"first_name\":\"A\",\"last_name\":\"B\",\"unit\":\"C\",\"email\":\"a b@c\"}";
    cr_expect_eq(call("PUT", "/v1/mailboxes/4711", pbx, bad, &o), 400, "%s", o.buf);
    cr_expect(strstr(o.buf, "email") != NULL, "%s", o.buf);
}

Test(serve, bad_input_gets_the_right_status) {
    sink o;
    cr_expect_eq(call("PUT", "/v1/mailboxes/47a1", pbx, "{\"first_name\":\"A\",\"last_name\":\"B\",\"unit\":\"C\"}", &o), 400);
    cr_expect(strstr(o.buf, "ext") != NULL, "%s", o.buf);
    cr_expect_eq(call("PUT", "/v1/mailboxes/4711", pbx, "{\"first_name\":1}", &o), 400);
    cr_expect(strstr(o.buf, "first_name") != NULL, "%s", o.buf);
    cr_expect_eq(call("PUT", "/v1/mailboxes/4711", pbx, "not json", &o), 400);
    char *big = malloc(200000);
    memset(big, 'a', 199999);
    big[199999] = '\0';
    cr_expect_eq(call("PUT", "/v1/mailboxes/4711", pbx, big, &o), 413);
    free(big);
    cr_expect_eq(call("DELETE", "/v1/mailboxes/4711", pbx, NULL, &o), 405);
    cr_expect_eq(request("PUT", "/v1/mailboxes/4711", pbx, "Content-Type: text/plain",
                         "{\"first_name\":\"A\",\"last_name\":\"B\",\"unit\":\"C\"}", NULL, collect, &o),
                 415, "JSON routes check the Content-Type");
    cr_expect(strstr(o.buf, "unsupported_media_type") != NULL, "%s", o.buf);
    cr_expect_eq(request("PUT", "/v1/mailboxes/4711", pbx, "Content-Type: application/jsonx", "{}", NULL, collect, &o),
                 415);
    cr_expect_eq(request("PUT", "/v1/mailboxes/4711", pbx, "Content-Type: application/json; charset=utf-8",
                         "{\"first_name\":\"A\",\"last_name\":\"B\",\"unit\":\"C\"}", NULL, collect, &o),
                 201, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/nothing", officer, NULL, &o), 404);
    cr_expect_eq(call("GET", "/healthz", NULL, NULL, &o), 200, "still serving");
}


Test(serve, voicemails_are_stored_before_201) {
    sink o;
    char loc[128];
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    const char *hdr[] = {"X-Caller-Number: +46701234567", "X-Received-At: 2026-11-22T10:15:00+01:00", NULL};
    cr_expect_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", hdr, &o, loc, sizeof loc), 404,
                 "no such mailbox yet: %s", o.buf);
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    cr_expect_eq(post_audio("samples/v03-ring-mig.wav", officer, "audio/wav", hdr, &o, NULL, 0), 403);
    cr_assert_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", hdr, &o, loc, sizeof loc), 201, "%s", o.buf);
    cr_expect(strncmp(loc, "/v1/voicemails/", 15) == 0, "Location: %s", loc);
    /* the stored bytes are the sent bytes */
    const char *sha = strstr(o.buf, "\"audio_sha256\":\""), *idp = strstr(o.buf, "\"id\":");
    cr_assert(sha && idp, "%s", o.buf);
    char want[65];
    file_sha256("samples/v03-ring-mig.wav", want);
    cr_expect(strncmp(sha + 16, want, 64) == 0 && sha[80] == '"', "the hash of the sent bytes: %s", o.buf);
    cr_expect(stored_as(atoll(idp + 5), "samples/v03-ring-mig.wav"), "byte-identical");
    /* bad input: nothing stored, the right status */
    const char *bad_at[] = {"X-Received-At: yesterday", NULL};
    cr_expect_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", bad_at, &o, NULL, 0), 400);
    cr_expect(strstr(o.buf, "X-Received-At") != NULL, "%s", o.buf);
    /* dates outside the world the archive orders and disposes in */
    const char *outside[] = {"X-Received-At: 9999-12-31T23:59:59-23:59", "X-Received-At: -001-01-01T00:00:00Z",
                             "X-Received-At: 2099-01-01T00:00:00Z", "X-Received-At: 1999-12-31T23:59:59Z",
                             "X-Received-At: +2026-01-01T00:00:00Z"};
    for (size_t i = 0; i < sizeof outside / sizeof *outside; i++) {
        const char *one[] = {outside[i], NULL};
        cr_expect_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", one, &o, NULL, 0), 400, "%s", outside[i]);
    }
    const char *edge[] = {"X-Received-At: 2000-01-01T01:00:00+01:00", NULL};
    cr_expect_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", edge, &o, NULL, 0), 201, "%s", o.buf);
    cr_expect_eq(post_audio("samples/v03-ring-mig.wav", pbx, "text/plain", NULL, &o, NULL, 0), 415);
    cr_expect_eq(post_audio("samples/manifest.tsv", pbx, "audio/wav", NULL, &o, NULL, 0), 415, "%s", o.buf);
    cr_expect_eq(post_audio("samples/g05-karin-ahlstrom.ul", pbx, "audio/basic", NULL, &o, NULL, 0), 201,
                 "headerless mu-law: %s", o.buf);
}

Test(serve, a_queued_analysis_survives_a_restart) {
    sink o;
    char loc[128];
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    stop_server();
    start_server("0"); /* nobody analyses */
    cr_assert_eq(post_audio("samples/v05-hangup.wav", pbx, "audio/wav", NULL, &o, loc, sizeof loc), 201, "%s", o.buf);
    cr_assert_eq(call("GET", loc, officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"state\":\"queued\"") != NULL, "%s", o.buf);
    cr_expect_eq(call("GET", loc, pbx, NULL, &o), 403, "the PBX does not read voicemails");
    stop_server();
    start_server("1");
    int analysed = 0;
    for (int i = 0; i < 300 && !analysed; i++) {
        cr_assert_eq(call("GET", loc, officer, NULL, &o), 200);
        analysed = strstr(o.buf, "\"state\":\"analysed\"") != NULL;
        if (!analysed) usleep(100000);
    }
    cr_assert(analysed, "analysed after the restart: %s", o.buf);
    cr_expect(strstr(o.buf, "\"classification\":\"empty\"") != NULL, "a hang-up is empty: %s", o.buf);
    cr_expect_eq(call("GET", "/v1/voicemails/999", officer, NULL, &o), 404);
    cr_expect_eq(call("GET", "/v1/voicemails/abc", officer, NULL, &o), 400);
}

/* kill -9 during a stream of uploads: every voicemail that got a 201 is there
 * afterwards, byte-identical. */
typedef struct {
    long long ids[256];
    const char *files[256];
    char sha[256][65];
    _Atomic int acked;    /* entries above are written before this counts them */
    _Atomic int stop;     /* set by the test: the uploader ends */
    _Atomic int finished; /* set by the uploader when it ends */
} stream;

/* Wait until the uploaders in st[0..n) have had at least want uploads
 * acknowledged in all, or all of them have ended, or 60 s have passed.
 * The acknowledged count. */
static int wait_acked(stream *st, int n, int want)
{
    for (int waited_ms = 0; waited_ms < 60000; waited_ms += 2) {
        int acked = 0, ended = 0;
        for (int i = 0; i < n; i++) {
            acked += atomic_load(&st[i].acked);
            ended += atomic_load(&st[i].finished);
        }
        if (acked >= want || ended == n) return acked;
        usleep(2000);
    }
    int acked = 0;
    for (int i = 0; i < n; i++) acked += atomic_load(&st[i].acked);
    return acked;
}

static const char *const stream_files[] = {"samples/v01-bygglov.wav", "samples/v02-faktura.wav",
                                           "samples/v03-ring-mig.wav", "samples/v04-overklaga.wav"};

static void *uploader(void *arg)
{
    stream *st = arg;
    char *data = malloc(1 << 20); /* one buffer each: several uploaders run at once */
    for (int i = 0; data && !atomic_load(&st->stop) && atomic_load(&st->acked) < 256; i++) {
        const char *f = stream_files[i % 4];
        FILE *fp = fopen(f, "rb");
        if (!fp) break;
        size_t n = fread(data, 1, 1 << 20, fp);
        fclose(fp);
        CURL *c = curl_easy_init();
        char url[256], auth[128];
        snprintf(url, sizeof url, "%s/v1/mailboxes/4711/voicemails", base);
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", pbx);
        struct curl_slist *h = curl_slist_append(NULL, auth);
        h = curl_slist_append(h, "Content-Type: audio/wav");
        sink o = {0};
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)n);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &o);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
        long status = 0;
        CURLcode rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        if (rc != CURLE_OK) break; /* the server is gone */
        const char *id = strstr(o.buf, "\"id\":"), *sha = strstr(o.buf, "\"audio_sha256\":\"");
        if (status == 201 && id && sha) {
            int k = atomic_load(&st->acked);
            st->ids[k] = atoll(id + 5);
            st->files[k] = f;
            snprintf(st->sha[k], 65, "%.64s", sha + 16);
            atomic_store(&st->acked, k + 1);
        }
    }
    free(data);
    atomic_store(&st->finished, 1);
    return NULL;
}

Test(serve, kill_9_loses_no_acknowledged_voicemail) {
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    stream st = {0};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, uploader, &st), 0);
    if (wait_acked(&st, 1, 8) < 8) { /* the uploader must not outlive st */
        atomic_store(&st.stop, 1);
        pthread_join(th, NULL);
        cr_assert_fail("fewer than eight uploads acknowledged in 60 s");
    }
    kill(pid, SIGKILL); /* in the middle of the stream */
    int status;
    waitpid(pid, &status, 0);
    pid = 0;
    atomic_store(&st.stop, 1);
    pthread_join(th, NULL);
    int acked = atomic_load(&st.acked);
    cr_assert(acked >= 8);
    start_server("0");
    for (int i = 0; i < acked; i++) {
        char path[128];
        snprintf(path, sizeof path, "/v1/voicemails/%lld", st.ids[i]);
        cr_expect_eq(call("GET", path, officer, NULL, &o), 200, "acknowledged voicemail %lld is there", st.ids[i]);
        cr_expect(stored_as(st.ids[i], st.files[i]), "voicemail %lld is byte-identical", st.ids[i]);
        char want[65];
        file_sha256(st.files[i], want);
        cr_expect_str_eq(st.sha[i], want, "the 201 named the hash of voicemail %lld's bytes", st.ids[i]);
    }
    /* audio being appended when the server died was never pointed to, and
     * is cut off at start-up: the segments end with their last indexed
     * recording, and no temporary file is left */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "find '%s/data/audio' -name '.tmp-*' | grep -q . && exit 1; exit 0", dir);
    cr_expect_eq(system(cmd), 0, "a half-written file was left behind");
    snprintf(cmd, sizeof cmd,
             "cd '%s/data' && for f in audio/*.seg; do s=${f#audio/}; s=${s%%.seg};"
             " end=$(sqlite3 rostvakt.db \"SELECT coalesce(max(at+len),0) FROM audio WHERE segment='$s'\");"
             " [ \"$(stat -c %%s \"$f\")\" = \"$end\" ] || exit 1; done", dir);
    cr_expect_eq(system(cmd), 0, "a segment holds bytes past its last indexed recording");
}

/* SIGTERM in the middle of concurrent uploads: what the service took is
 * committed and answered before it stops (no connection is left waiting),
 * it exits cleanly, and every acknowledged voicemail is there afterwards. */
Test(serve, sigterm_during_uploads_answers_what_it_took) {
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    static stream st[4];
    memset(st, 0, sizeof st);
    pthread_t th[4];
    for (int i = 0; i < 4; i++) cr_assert_eq(pthread_create(&th[i], NULL, uploader, &st[i]), 0);
    if (wait_acked(st, 4, 16) < 16) { /* the uploaders must not outlive st */
        for (int i = 0; i < 4; i++) atomic_store(&st[i].stop, 1);
        for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
        cr_assert_fail("fewer than sixteen uploads acknowledged in 60 s");
    }
    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    pid = 0;
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a clean stop while uploads were in flight");
    for (int i = 0; i < 4; i++) {
        atomic_store(&st[i].stop, 1);
        pthread_join(th[i], NULL);
    }
    start_server("0");
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < atomic_load(&st[i].acked); k++) {
            cr_expect(stored_as(st[i].ids[k], st[i].files[k]), "voicemail %lld is there, byte-identical",
                      st[i].ids[k]);
            char want[65];
            file_sha256(st[i].files[k], want);
            cr_expect_str_eq(st[i].sha[k], want, "the 201 named the hash of voicemail %lld's bytes", st[i].ids[k]);
        }
}

Test(serve, settings_apply_to_the_service) {
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    stop_server();
    server_set = "max_audio_bytes=2000";
    start_server("0");
    cr_expect_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", NULL, &o, NULL, 0), 413,
                 "larger than max_audio_bytes: %s", o.buf);
    server_set = "max_audio_seconds=600";
}

Test(serve, callbacks_decisions_and_the_audit) {
    sink o;
    char loc[128], path[160];
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    cr_assert_eq(post_audio("samples/v01-bygglov.wav", pbx, "audio/wav", NULL, &o, loc, sizeof loc), 201);
    snprintf(path, sizeof path, "%s/callback", loc);
    cr_expect_eq(call("POST", path, officer, NULL, &o), 403);
    cr_expect_eq(call("POST", path, pbx, NULL, &o), 200, "%s", o.buf);
    cr_expect_eq(call("POST", "/v1/voicemails/999/callback", pbx, NULL, &o), 404);
    snprintf(path, sizeof path, "%s/decision", loc);
    cr_expect_eq(call("POST", path, pbx, "{\"decision\":\"dispose\"}", &o), 403);
    cr_expect_eq(call("POST", path, officer, "{\"decision\":\"archive\"}", &o), 422, "an unknown decision");
    cr_expect_eq(call("POST", path, officer, "{\"decision\":\"registered\"}", &o), 422, "no diarienummer");
    cr_expect_eq(call("POST", path, officer, "{\"decision\":7}", &o), 400);
    cr_expect_eq(call("POST", path, officer, "{\"decision\":\"dispose\",\"why\":\"x\"}", &o), 400);
    cr_expect_eq(call("POST", path, officer,
                      "{\"decision\":\"registered\",\"diarienummer\":\"KS 2026/0412\",\"note\":\"bygglov\"}", &o),
                 201, "%s", o.buf);
    cr_expect_eq(call("POST", path, officer, "{\"decision\":\"not_public_record\"}", &o), 201,
                 "decisions are history, a second one is kept too");
    cr_expect_eq(call("GET", loc, officer, NULL, &o), 200);
    cr_expect_eq(call("GET", "/v1/audit", officer, NULL, &o), 403, "only an admin reads the audit");
    char admin[80];
    token("admin", "admin", admin, sizeof admin);
    /* tokens are read at start-up */
    stop_server();
    start_server("0");
    const char *id = loc + strlen("/v1/voicemails/");
    snprintf(path, sizeof path, "/v1/audit?voicemail=%s", id);
    cr_assert_eq(call("GET", path, admin, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"action\":\"voicemail_read\"") != NULL, "reads are audited: %s", o.buf);
    cr_expect(strstr(o.buf, "\"action\":\"decision\"") != NULL, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"actor\":\"registrator\"") != NULL, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"remote\":\"127.0.0.1\"") != NULL, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"action\":\"callback\"") != NULL, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/audit?from=yesterday", admin, NULL, &o), 400);
    cr_expect_eq(call("GET", "/v1/audit?actor=vaxel", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "registrator") == NULL, "filtered by actor: %s", o.buf);
    /* the audit as CSV, for a spreadsheet */
    snprintf(path, sizeof path, "/v1/audit?voicemail=%s&format=csv", id);
    cr_assert_eq(call("GET", path, admin, NULL, &o), 200);
    cr_expect(strncmp(o.buf, "id,at,actor,remote,action,voicemail,ext,detail\r\n", 48) == 0, "%s", o.buf);
    cr_expect(strstr(o.buf, ",registrator,127.0.0.1,decision,") != NULL, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/audit?format=xml", admin, NULL, &o), 400);
    /* decided or not */
    cr_assert_eq(call("GET", "/v1/voicemails?decision=none", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "{\"items\":[]") != NULL, "it is decided: %s", o.buf);
    cr_assert_eq(call("GET", "/v1/voicemails?decision=any", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"name\":\"Anna Svensson\",\"unit\":\"Ekonomienheten\"") != NULL, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/voicemails?decision=maybe", officer, NULL, &o), 400);
    /* the voicemail with its owner, decisions and call-back */
    cr_assert_eq(call("GET", loc, officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"owner\":{\"first_name\":\"Anna\"") != NULL, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"diarienummer\":\"KS 2026/0412\"") != NULL, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"callback_deadline\":\"20") != NULL, "%s", o.buf);
}

/* ---- the web app's sign-in ---- */

/* A request with up to three more headers; Set-Cookie goes to k. */
static long call_h(const char *method, const char *path, const char *h1, const char *h2, const char *h3,
                   const char *body, sink *out, cookies *k)
{
    memset(out, 0, sizeof *out);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (h1) h = curl_slist_append(h, h1);
    if (h2) h = curl_slist_append(h, h2);
    if (h3) h = curl_slist_append(h, h3);
    return perform(method, path, h, body, NULL, collect, out, k);
}

/* The value of "key":"..." in json, or "". */
static void json_text(const char *json, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(json, pat);
    out[0] = '\0';
    if (p) snprintf(out, cap, "%.*s", (int)strcspn(p + strlen(pat), "\""), p + strlen(pat));
}

Test(serve, web_sessions_with_csrf_and_an_idle_end) {
    sink o;
    cookies k = {""};
    char body[160], cookie[200], csrf_h[120], csrf[80];
    cr_expect_eq(call_h("POST", "/v1/session", NULL, NULL, NULL, "not json", &o, NULL), 400);
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
    char admin[80];
    token("admin", "admin", admin, sizeof admin);
    stop_server();
    start_server("0");
    cr_assert_eq(call("GET", "/v1/audit?actor=registrator", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"action\":\"sign_in\"") && strstr(o.buf, "\"action\":\"sign_out\""), "%s", o.buf);
}

Test(serve, a_trusted_proxy_names_the_user) {
    sink o;
    char users[128], csrf[80], csrf_h[120];
    snprintf(users, sizeof users, "%s/users", dir);
    FILE *f = fopen(users, "w");
    cr_assert(f);
    fputs("# user<TAB>role\neva.registrator\tofficer\nkarl.chef\tmanager\n", f);
    fclose(f);
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    /* without trusted_proxy the header is nobody's word */
    cr_expect_eq(call_h("GET", "/v1/voicemails", "X-Remote-User: eva.registrator", NULL, NULL, NULL, &o, NULL), 401);
    stop_server();
    setenv("RV_TRUSTED_PROXY", "127.0.0.1", 1);
    setenv("RV_USERS_FILE", users, 1);
    start_server("0");
    unsetenv("RV_TRUSTED_PROXY");
    unsetenv("RV_USERS_FILE");
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
Test(serve, the_web_app_is_served) {
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

Test(serve, audio_comes_back_with_ranges) {
    sink o;
    char loc[128], path[160];
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    cr_assert_eq(post_audio("samples/v02-faktura.wav", pbx, "audio/x-wav", NULL, &o, loc, sizeof loc), 201);
    FILE *f = fopen("samples/v02-faktura.wav", "rb");
    static unsigned char orig[1 << 20];
    size_t n = fread(orig, 1, sizeof orig, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/audio", loc);
    bin b;
    cr_expect_eq(get_bytes(path, pbx, NULL, &b), 403);
    free(b.buf);
    cr_assert_eq(get_bytes(path, officer, NULL, &b), 200);
    cr_expect(b.len == n && memcmp(b.buf, orig, n) == 0, "the original bytes");
    free(b.buf);
    cr_assert_eq(get_bytes(path, officer, "100-199", &b), 206);
    cr_expect(b.len == 100 && memcmp(b.buf, orig + 100, 100) == 0);
    free(b.buf);
    cr_assert_eq(get_bytes(path, officer, "-10", &b), 206);
    cr_expect(b.len == 10 && memcmp(b.buf, orig + n - 10, 10) == 0, "the last ten bytes");
    free(b.buf);
    cr_expect_eq(get_bytes(path, officer, "99999999-", &b), 416);
    free(b.buf);
    cr_expect_eq(get_bytes("/v1/voicemails/999/audio", officer, NULL, &b), 404);
    free(b.buf);
    /* RFC 9110: a Range that is not one valid byte range is ignored */
    const char *ignored[] = {"Range: bytes=0--1", "Range: bytes=0-1,5-9", "Range: bytes=9-2", "Range: pages=1-2",
                             "Range: bytes=x-9", "Range: bytes=-"};
    for (size_t i = 0; i < sizeof ignored / sizeof *ignored; i++) {
        cr_expect_eq(call_h("GET", path, "Content-Type: audio/wav", ignored[i], NULL, NULL, &o, NULL), 401);
        char auth[128];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", officer);
        cr_expect_eq(call_h("GET", path, auth, ignored[i], NULL, NULL, &o, NULL), 200, "%s", ignored[i]);
    }
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: bearer %s", officer);
    cr_expect_eq(call_h("GET", path, auth, "Range: bytes=-0", NULL, NULL, &o, NULL), 416, "bearer in lower case");
    cr_expect_eq(call_h("HEAD", path, auth, NULL, NULL, NULL, &o, NULL), 200, "HEAD");
    cr_expect_eq(call("GET", "/v1/voicemails/+1/audio", officer, NULL, &o), 400);
    cr_expect_eq(call("GET", "/v1/voicemails/%201/audio", officer, NULL, &o), 400);
    cr_expect_eq(call("GET", "/v1/voicemails/12345678901234567890123/audio", officer, NULL, &o), 400);
    /* only what was read is audited: two 416s and a HEAD are not */
    char admin[80];
    token("admin", "admin", admin, sizeof admin);
    stop_server();
    start_server("0");
    snprintf(path, sizeof path, "/v1/audit?voicemail=%s", loc + strlen("/v1/voicemails/"));
    cr_assert_eq(call("GET", path, admin, NULL, &o), 200);
    int reads = 0;
    for (const char *p = o.buf; (p = strstr(p, "\"audio_read\"")); p++) reads++;
    cr_expect_eq(reads, 3 + 6, "three reads and the six ignored ranges: %s", o.buf);
}

static void post_at(const char *at, const char *file)
{
    sink o;
    char hdr[96];
    snprintf(hdr, sizeof hdr, "X-Received-At: %s", at);
    const char *h[] = {hdr, NULL};
    cr_assert_eq(post_audio(file, pbx, "audio/wav", h, &o, NULL, 0), 201, "%s", o.buf);
}

Test(serve, the_voicemail_list_pages_newest_first) {
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    /* seven messages; one given in local time +01:00 sorts by its UTC instant */
    post_at("2026-11-20T09:00:00Z", "samples/v01-bygglov.wav");
    post_at("2026-11-20T10:30:00+01:00", "samples/v02-faktura.wav"); /* 09:30Z */
    post_at("2026-11-20T10:00:00Z", "samples/v03-ring-mig.wav");
    post_at("2026-11-21T08:00:00Z", "samples/v04-overklaga.wav");
    post_at("2026-11-21T08:00:00Z", "samples/v01-bygglov.wav");
    post_at("2026-11-22T07:00:00Z", "samples/v02-faktura.wav");
    post_at("2026-11-22T12:00:00Z", "samples/v03-ring-mig.wav");
    char path[200], after[32] = "";
    long long seen[16];
    int n_seen = 0;
    for (int page = 0; page < 5; page++) {
        snprintf(path, sizeof path, "/v1/voicemails?limit=3%s%s", after[0] ? "&after=" : "", after);
        cr_assert_eq(call("GET", path, officer, NULL, &o), 200, "%s", o.buf);
        for (const char *p = strstr(o.buf, "\"id\":"); p && n_seen < 16; p = strstr(p + 1, "\"id\":"))
            seen[n_seen++] = atoll(p + 5);
        const char *next = strstr(o.buf, "\"next\":\"");
        if (!next) break;
        snprintf(after, sizeof after, "%.*s", (int)strcspn(next + 8, "\""), next + 8);
    }
    cr_expect_eq(n_seen, 7, "every voicemail once across the pages");
    long long want[] = {7, 6, 5, 4, 3, 2, 1};
    for (int i = 0; i < 7 && i < n_seen; i++) cr_expect_eq(seen[i], want[i], "position %d: %lld", i, seen[i]);
    cr_assert_eq(call("GET", "/v1/voicemails?from=2026-11-20T09:15:00Z&to=2026-11-20T09:45:00Z", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"id\":2") && !strstr(o.buf, "\"id\":1,") && !strstr(o.buf, "\"id\":3"),
              "the +01:00 one by its UTC time: %s", o.buf);
    cr_expect_eq(call("GET", "/v1/voicemails?classification=maybe", officer, NULL, &o), 400);
    cr_expect_eq(call("GET", "/v1/voicemails?limit=0", officer, NULL, &o), 400);
    cr_expect_eq(call("GET", "/v1/voicemails?after=x", officer, NULL, &o), 400);
    cr_expect_eq(call("GET", "/v1/voicemails", pbx, NULL, &o), 403);
    cr_expect_eq(call("GET", "/v1/voicemails?ext=9999", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"items\":[]") != NULL, "%s", o.buf);
}

Test(serve, metrics_in_prometheus_text) {
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

/* Greetings: analysed synchronously, every version kept, the directory
 * listed by compliance. */
Test(serve, greetings_are_analysed_and_kept) {
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"ekonomienheten\","
                       "\"org\":\"Botkyrka kommun\",\"profile\":\"botkyrka\"}";
    const char *per = "{\"first_name\":\"Per\",\"last_name\":\"Oskarsson\",\"unit\":\"socialförvaltningen\"}";
    cr_expect_eq(call("PUT", "/v1/mailboxes/4711", pbx, "{\"first_name\":\"A\",\"last_name\":\"B\",\"unit\":\"C\","
                      "\"profile\":\"no-such-body\"}", &o), 422, "an unknown profile: %s", o.buf);
    cr_expect(strstr(o.buf, "profile") != NULL, "%s", o.buf);
    cr_expect_eq(upload("PUT", "/v1/mailboxes/4711/greeting", "samples/m09-system-prompt.wav", pbx, "audio/wav", NULL,
                        &o, NULL, 0), 404, "no such mailbox: %s", o.buf);
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201, "%s", o.buf);
    cr_assert_eq(call("PUT", "/v1/mailboxes/4712", pbx, per, &o), 201, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/mailboxes/4711/greeting", officer, NULL, &o), 404, "no greeting yet");
    cr_expect_eq(upload("PUT", "/v1/mailboxes/4711/greeting", "samples/m09-system-prompt.wav", officer, "audio/wav",
                        NULL, &o, NULL, 0), 403);
    cr_expect_eq(upload("PUT", "/v1/mailboxes/4711/greeting", "samples/m09-system-prompt.wav", pbx, "text/plain",
                        NULL, &o, NULL, 0), 415);
    cr_expect_eq(upload("PUT", "/v1/mailboxes/4711/greeting", "samples/manifest.tsv", pbx, "audio/wav", NULL, &o,
                        NULL, 0), 415, "not audio: %s", o.buf);
    cr_expect_eq(upload("PUT", "/v1/mailboxes/4711/greeting", "samples/g01-anna-svensson.wav", pbx, "audio/wav",
                        NULL, &o, NULL, 0), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"name\":{\"expected\":\"Anna Svensson\"") != NULL, "the full report: %s", o.buf);
    cr_expect(strstr(o.buf, "\"cohort\":{\"size\":1,") != NULL && strstr(o.buf, "\"best\":\"Per Oskarsson\""),
              "the name weighed against the directory's other one: %s", o.buf);
    cr_expect(strstr(o.buf, "\"profile\":\"botkyrka\"") != NULL, "under the mailbox's profile: %s", o.buf);
    cr_expect(strstr(o.buf, "\"greeting_id\":1") != NULL, "%s", o.buf);
    cr_expect_eq(upload("PUT", "/v1/mailboxes/4711/greeting", "samples/m09-system-prompt.wav", pbx, "audio/wav",
                        NULL, &o, NULL, 0), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"missing_reason\":\"system_prompt\"") != NULL, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"compliant\":false") != NULL, "%s", o.buf);
    /* the directory by compliance: 4711 has the PBX's prompt, 4712 no greeting at all */
    cr_assert_eq(call("GET", "/v1/mailboxes?compliant=false", officer, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"ext\":\"4711\"") && strstr(o.buf, "\"ext\":\"4712\""), "%s", o.buf);
    cr_expect(strstr(o.buf, "\"violations\":[\"system_prompt\"]") != NULL, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/mailboxes?compliant=true", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"items\":[]") != NULL, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/mailboxes?compliant=false&unit=socialf%C3%B6rvaltningen", officer, NULL, &o), 200);
    cr_expect(!strstr(o.buf, "\"ext\":\"4711\"") && strstr(o.buf, "\"ext\":\"4712\""), "by unit: %s", o.buf);
    cr_assert_eq(call("GET", "/v1/mailboxes?limit=1", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"ext\":\"4711\"") && strstr(o.buf, "\"next\":\"4711\""), "page 1: %s", o.buf);
    cr_assert_eq(call("GET", "/v1/mailboxes?limit=1&after=4711", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"ext\":\"4712\"") && strstr(o.buf, "\"next\":null"), "page 2: %s", o.buf);
    cr_expect_eq(call("GET", "/v1/mailboxes?compliant=maybe", officer, NULL, &o), 400);
    cr_expect_eq(call("GET", "/v1/mailboxes", pbx, NULL, &o), 403);
    /* removal is a version too; all are kept, newest first */
    cr_expect_eq(call("DELETE", "/v1/mailboxes/4711/greeting", officer, NULL, &o), 403);
    cr_expect_eq(call("DELETE", "/v1/mailboxes/4711/greeting", pbx, NULL, &o), 200, "%s", o.buf);
    cr_expect_eq(call("DELETE", "/v1/mailboxes/4799/greeting", pbx, NULL, &o), 404);
    cr_assert_eq(call("GET", "/v1/mailboxes/4711/greetings", officer, NULL, &o), 200);
    const char *v3 = strstr(o.buf, "\"id\":3"), *v2 = strstr(o.buf, "\"id\":2"), *v1 = strstr(o.buf, "\"id\":1");
    cr_expect(v3 && v2 && v1 && v3 < v2 && v2 < v1, "three versions, newest first: %s", o.buf);
    cr_expect(strstr(o.buf, "\"removed\":true") != NULL, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/mailboxes/4711", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"greeting\":{\"id\":3") != NULL, "the current one is the removal: %s", o.buf);
    /* every version's recording, for listening; a removal has none */
    cr_expect_eq(call("GET", "/v1/mailboxes/4711/greetings/1/audio", officer, NULL, &o), 200);
    cr_expect(o.len > 1000 && memcmp(o.buf, "RIFF", 4) == 0, "the recording as it came: %zu bytes", o.len);
    cr_expect_eq(call("GET", "/v1/mailboxes/4711/greetings/3/audio", officer, NULL, &o), 404, "a removal");
    cr_expect_eq(call("GET", "/v1/mailboxes/4711/greetings/99/audio", officer, NULL, &o), 404);
    cr_expect_eq(call("GET", "/v1/mailboxes/4711/greetings/1/audio", pbx, NULL, &o), 403);
    cr_assert_eq(call("GET", "/metrics", NULL, NULL, &o), 200);
    cr_expect(strstr(o.buf, "rostvakt_greetings_analysed_total{verdict=\"missing\"} 1") != NULL, "%s", o.buf);
}

/* The "score" of the report's "name" object in json, as text. */
static void name_score(const char *json, char *out, size_t cap)
{
    out[0] = '\0';
    const char *n = json ? strstr(json, "\"name\":{\"expected\"") : NULL;
    const char *sc = n ? strstr(n, "\"score\":") : NULL;
    if (sc) snprintf(out, cap, "%.*s", (int)strcspn(sc + 8, ",}"), sc + 8);
}

/* Settings reach the service's analysis as they reach the command line's:
 * with asr_adaptation=none a greeting's name scores as `rostvakt analyze
 * --set asr_adaptation=none` scores it, not as the adapted model does. */
Test(serve, asr_adaptation_none_reaches_the_services_analysis) {
    sink o;
    stop_server();
    server_set = "asr_adaptation=none";
    start_server("0");
    server_set = "max_audio_seconds=600";
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    cr_assert_eq(upload("PUT", "/v1/mailboxes/4711/greeting", "samples/g01-anna-svensson.wav", pbx, "audio/wav", NULL,
                        &o, NULL, 0), 200, "%s", o.buf);
    char served[32], none[32], adapted[32];
    name_score(o.buf, served, sizeof served);
    const char *exe = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
    for (int k = 0; k < 2; k++) {
        char cmd[512], line[8192] = "";
        snprintf(cmd, sizeof cmd,
                 "%s analyze %s --name 'Anna Svensson' --unit Ekonomienheten samples/g01-anna-svensson.wav 2>/dev/null",
                 exe, k == 0 ? "--set asr_adaptation=none" : "");
        FILE *p = popen(cmd, "r");
        cr_assert(p);
        cr_assert(fgets(line, sizeof line, p));
        pclose(p);
        name_score(line, k == 0 ? none : adapted, sizeof none);
    }
    cr_assert(served[0] && none[0] && adapted[0], "scores: '%s' '%s' '%s'", served, none, adapted);
    cr_expect_str_eq(served, none, "the service analysed with the setting");
    cr_expect(strcmp(none, adapted) != 0, "the setting makes a difference here (%s)", none);
}

/* Start the service with one setting, send v01-bygglov.wav as a voicemail
 * and wait (up to 30 s) for its analysis: its JSON in o. */
static void voicemail_analysed_with(const char *setting, sink *o)
{
    char loc[128];
    stop_server();
    server_set = setting;
    start_server("1");
    server_set = "max_audio_seconds=600";
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    long put = call("PUT", "/v1/mailboxes/4711", pbx, anna, o);
    cr_assert(put == 201 || put == 200, "%ld: %s", put, o->buf);
    cr_assert_eq(post_audio("samples/v01-bygglov.wav", pbx, "audio/wav", NULL, o, loc, sizeof loc), 201, "%s", o->buf);
    int analysed = 0;
    for (int i = 0; i < 300 && !analysed; i++) {
        cr_assert_eq(call("GET", loc, officer, NULL, o), 200);
        analysed = strstr(o->buf, "\"state\":\"analysed\"") != NULL;
        if (!analysed) usleep(100000);
    }
    cr_assert(analysed, "analysed: %s", o->buf);
}

/* The voicemail analysis workers honour asr_adaptation and case_words (they
 * used models_dir's files whatever was set): v01-bygglov says "beslutet",
 * which the adapted model finds among the shipped case words. */
Test(serve, voicemail_analysis_honours_adaptation_and_case_words) {
    sink o;
    voicemail_analysed_with("max_audio_seconds=600", &o);
    cr_expect(strstr(o.buf, "\"word\":\"beslutet\"") != NULL, "the default finds it: %s", o.buf);
    voicemail_analysed_with("asr_adaptation=none", &o);
    cr_expect(strstr(o.buf, "\"keywords\":[]") != NULL, "unadapted, as rostvakt analyze finds: %s", o.buf);
    char words[128], setting[160];
    snprintf(words, sizeof words, "%s/words.sv", dir);
    FILE *f = fopen(words, "w");
    cr_assert(f);
    fputs("faktura\n", f);
    fclose(f);
    snprintf(setting, sizeof setting, "case_words=%s", words);
    voicemail_analysed_with(setting, &o);
    cr_expect(strstr(o.buf, "beslutet") == NULL, "not among the configured case words: %s", o.buf);
}

/* POST /v1/sweeps: the nightly sweep on demand, admin only, audited. */
Test(serve, a_sweep_on_demand) {
    sink o;
    char admin[80];
    token("admin", "it-drift", admin, sizeof admin);
    stop_server(); /* tokens are read at start-up */
    start_server("0");
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    cr_expect_eq(call("POST", "/v1/sweeps", officer, NULL, &o), 403);
    cr_expect_eq(call("PUT", "/v1/sweeps", admin, NULL, &o), 405);
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
    cr_expect(strstr(o.buf, "\"units\":[{\"unit\":\"Ekonomienheten\",\"mailboxes\":1,\"compliant\":0}]") != NULL,
              "%s", o.buf);
    cr_expect(strstr(o.buf, "\"missing_greetings\":[{\"ext\":\"4711\"") != NULL, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/sweeps/1", officer, NULL, &o), 200);
    cr_expect_eq(call("GET", "/v1/sweeps/2", officer, NULL, &o), 404);
    cr_expect_eq(call("GET", "/v1/sweeps?limit=0", officer, NULL, &o), 400);
    cr_expect_eq(call("GET", "/v1/sweeps", pbx, NULL, &o), 403);
    cr_assert_eq(call("GET", "/v1/audit?actor=it-drift", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "sweep_run") != NULL, "%s", o.buf);
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

Test(serve, a_sweep_does_not_hold_an_http_thread) {
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

/* Run a rostvakt command line; its standard output (and error) in out. */
static int run_cli(const char *args, char *out, size_t cap)
{
    char cmd[1024];
    const char *exe = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", exe, args);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Officers record what they heard; rostvakt calibrate turns enough reviews
 * into this installation's thresholds, and the next sweep analyses the
 * greetings again under them. Bad review bodies change nothing. */
Test(serve, reviews_calibrate_and_reanalysis) {
    sink o;
    const char *who[][3] = {{"4711", "Anna", "Svensson"}, {"4712", "Per", "Oskarsson"},
                            {"4713", "Maria", "Lindqvist"}, {"4714", "Lena", "Ek"}};
    const char *files[] = {"samples/g01-anna-svensson.wav", "samples/g02-per-oskarsson.wav",
                           "samples/g03-maria-lindqvist.wav", "samples/g07-lena-ek.wav"};
    double score[4];
    for (int i = 0; i < 4; i++) {
        char path[64], body[160];
        snprintf(path, sizeof path, "/v1/mailboxes/%s", who[i][0]);
        snprintf(body, sizeof body, "{\"first_name\":\"%s\",\"last_name\":\"%s\",\"unit\":\"Ekonomienheten\"}",
                 who[i][1], who[i][2]);
        cr_assert_eq(call("PUT", path, pbx, body, &o), 201);
    }
    for (int i = 0; i < 4; i++) {
        char path[64];
        snprintf(path, sizeof path, "/v1/mailboxes/%s/greeting", who[i][0]);
        cr_assert_eq(upload("PUT", path, files[i], pbx, "audio/wav", NULL, &o, NULL, 0), 200, "%s", o.buf);
        const char *n = strstr(o.buf, "\"name\":{"), *sc = n ? strstr(n, "\"score\":") : NULL;
        cr_assert(sc, "%s", o.buf);
        score[i] = atof(sc + 8);
        cr_expect(strstr(n, "\"verdict\":\"") != NULL && strstr(n, "\"confidence\":") != NULL, "%s", o.buf);
    }
    cr_assert_eq(call("GET", "/v1/review", officer, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"items\":[") != NULL, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/review", pbx, NULL, &o), 403);
    /* bad bodies: nothing recorded */
    const char *path = "/v1/mailboxes/4711/greetings/1/review";
    cr_expect_eq(call("POST", path, officer, "not json", &o), 400);
    cr_expect_eq(call("POST", path, officer, "{\"name\":true}", &o), 400);
    cr_expect_eq(call("POST", path, officer, "{\"voice\":\"stated\"}", &o), 400);
    cr_expect_eq(call("POST", path, officer, "{}", &o), 400);
    cr_expect_eq(call("POST", path, officer, "{\"name\":\"maybe\"}", &o), 422);
    cr_expect(strstr(o.buf, "unprocessable") != NULL, "%s", o.buf);
    cr_expect_eq(call("POST", "/v1/mailboxes/4712/greetings/1/review", officer, "{\"name\":\"stated\"}", &o), 404,
                 "greeting 1 is 4711's");
    cr_expect_eq(call("POST", path, pbx, "{\"name\":\"stated\"}", &o), 403);
    cr_expect_eq(call("GET", path, officer, NULL, &o), 405);
    char admin[80];
    token("admin", "it-drift", admin, sizeof admin);
    stop_server();
    start_server("0");
    cr_assert_eq(call("GET", "/v1/audit", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "greeting_reviewed") == NULL, "bad reviews left no trace: %s", o.buf);
    /* the two best-scoring names heard said, the two worst not */
    int order[4] = {0, 1, 2, 3};
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            if (score[order[j]] > score[order[i]]) {
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
    for (int k = 0; k < 4; k++) {
        int i = order[k];
        char p2[80], body[64];
        snprintf(p2, sizeof p2, "/v1/mailboxes/%s/greetings/%d/review", who[i][0], i + 1);
        snprintf(body, sizeof body, "{\"name\":\"%s\"}", k < 2 ? "stated" : "not_stated");
        cr_expect_eq(call("POST", p2, officer, body, &o), 201, "%s: %s", p2, o.buf);
    }
    cr_assert_eq(call("GET", "/v1/audit", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "greeting_reviewed") != NULL, "%s", o.buf);
    stop_server();
    char args[512], out[4096], file[160];
    snprintf(file, sizeof file, "%s/data/calibration.conf", dir);
    snprintf(args, sizeof args, "calibrate --data-dir %s/data", dir);
    cr_expect_eq(run_cli(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "the shipped thresholds stay (it takes 30 of each)") != NULL, "%s", out);
    cr_expect(access(file, F_OK) != 0, "too few reviews: no thresholds of its own");
    snprintf(args, sizeof args, "calibrate --data-dir %s/data --min-per-class 2", dir);
    cr_expect_eq(run_cli(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "name     2 heard said, 2 not said: thresholds") != NULL, "%s", out);
    cr_expect(strstr(out, "TPR 1.00") != NULL && strstr(out, "(0.34-1.00)") != NULL, "intervals: %s", out);
    cr_expect(strstr(out, "unit     0 heard said") != NULL, "%s", out);
    cr_expect(access(file, F_OK) == 0, "thresholds of its own");
    /* the next sweep analyses the greetings again under them, once */
    snprintf(args, sizeof args, "sweep --data-dir %s/data --date 2026-11-23 --format json --out %s/r.json", dir, dir);
    cr_expect_eq(run_cli(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "greetings out of date 4, re-analysed 4, failed 0") != NULL, "%s", out);
    cr_expect_eq(run_cli(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "greetings out of date 0") != NULL, "%s", out);
    start_server("0"); /* for the teardown */
}

/* The owner's own recording of their name: kept for the mailbox, matched in
 * its greetings, and the current greeting analysed again by the next sweep. */
Test(serve, the_owners_recorded_name_is_matched_in_the_greeting) {
    sink o;
    char name_wav[160], cmd[512];
    snprintf(name_wav, sizeof name_wav, "%s/name.wav", dir);
    /* "Anna Svensson" as it is said in her greeting (from 1.4 s) */
    snprintf(cmd, sizeof cmd, "sox samples/g01-anna-svensson.wav %s trim 1.4 1.3", name_wav);
    cr_assert_eq(system(cmd), 0);
    cr_expect_eq(upload("PUT", "/v1/mailboxes/4711/name-recording", name_wav, pbx, "audio/wav", NULL, &o, NULL, 0),
                 404, "no such mailbox: %s", o.buf);
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    cr_assert_eq(upload("PUT", "/v1/mailboxes/4711/greeting", "samples/g01-anna-svensson.wav", pbx, "audio/wav", NULL,
                        &o, NULL, 0), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"template\"") == NULL, "no recorded name yet: %s", o.buf);
    cr_expect_eq(upload("PUT", "/v1/mailboxes/4711/name-recording", name_wav, officer, "audio/wav", NULL, &o, NULL, 0),
                 403);
    cr_expect_eq(upload("PUT", "/v1/mailboxes/4711/name-recording", name_wav, pbx, "text/plain", NULL, &o, NULL, 0),
                 415);
    cr_expect_eq(upload("PUT", "/v1/mailboxes/4711/name-recording", "samples/m02-digital-silence.wav", pbx,
                        "audio/wav", NULL, &o, NULL, 0), 422, "nothing to match: %s", o.buf);
    cr_expect_eq(call("GET", "/v1/mailboxes/4711/name-recording", pbx, NULL, &o), 405);
    cr_assert_eq(upload("PUT", "/v1/mailboxes/4711/name-recording", name_wav, pbx, "audio/wav", NULL, &o, NULL, 0),
                 200, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/mailboxes/4711", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"name_recording_at\":\"") != NULL, "%s", o.buf);
    cr_assert_eq(upload("PUT", "/v1/mailboxes/4711/greeting", "samples/g01-anna-svensson.wav", pbx, "audio/wav", NULL,
                        &o, NULL, 0), 200, "%s", o.buf);
    const char *n = strstr(o.buf, "\"name\":{");
    cr_assert(n, "%s", o.buf);
    cr_expect(strstr(n, "\"template\":{\"distance\":") != NULL, "matched: %s", o.buf);
    cr_expect(strstr(n, "\"verdict\":\"stated\"") != NULL, "its own words fit: %s", o.buf);
    /* a new recorded name: the current greeting is analysed again */
    cr_assert_eq(upload("PUT", "/v1/mailboxes/4711/name-recording", name_wav, pbx, "audio/wav", NULL, &o, NULL, 0),
                 200);
    stop_server();
    char out[2048];
    const char *exe = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
    snprintf(cmd, sizeof cmd, "%s sweep --data-dir %s/data --date 2026-11-23 2>&1 >/dev/null", exe, dir);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t len = fread(out, 1, sizeof out - 1, p);
    out[len] = '\0';
    cr_expect_eq(pclose(p), 0, "%s", out);
    cr_expect(strstr(out, "greetings out of date 1, re-analysed 1, failed 0") != NULL, "%s", out);
    start_server("0");
}

/* A greeting analysed under other settings is re-analysed by the next sweep,
 * and only once. */
Test(serve, the_sweep_reanalyses_out_of_date_greetings) {
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

/* A full analysis queue: 503 with Retry-After, nothing stored. */
Test(serve, a_full_queue_is_503) {
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    stop_server();
    server_set = "max_queue=1";
    start_server("0"); /* nobody drains it */
    server_set = "max_audio_seconds=600";
    cr_expect_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", NULL, &o, NULL, 0), 201, "%s", o.buf);
    cr_expect_eq(post_audio("samples/v01-bygglov.wav", pbx, "audio/wav", NULL, &o, NULL, 0), 503, "%s", o.buf);
    cr_expect(strstr(o.buf, "queue_full") != NULL, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/voicemails", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"id\":2") == NULL, "the refused one is not stored: %s", o.buf);
}

/* The sweep disposes of an old hang-up's audio: 410 from then on, the row
 * stays; the same bytes sent again are stored again. */
Test(serve, disposed_audio_is_gone) {
    sink o;
    char loc[128], again[128], admin[80];
    token("admin", "it-drift", admin, sizeof admin);
    stop_server();
    start_server("1");
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\",\"profile\":\"botkyrka\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    const char *old[] = {"X-Received-At: 2026-01-10T09:00:00Z", NULL};
    cr_assert_eq(post_audio("samples/v05-hangup.wav", pbx, "audio/wav", old, &o, loc, sizeof loc), 201, "%s", o.buf);
    int analysed = 0;
    for (int i = 0; i < 300 && !analysed; i++) {
        cr_assert_eq(call("GET", loc, officer, NULL, &o), 200);
        analysed = strstr(o.buf, "\"state\":\"analysed\"") != NULL;
        if (!analysed) usleep(100000);
    }
    cr_assert(analysed && strstr(o.buf, "\"classification\":\"empty\""), "%s", o.buf);
    char audio[160];
    snprintf(audio, sizeof audio, "%s/audio", loc);
    bin b;
    cr_expect_eq(get_bytes(audio, officer, NULL, &b), 200);
    free(b.buf);
    cr_assert_eq(call("POST", "/v1/sweeps?date=2026-11-23", admin, NULL, &o), 200, "%s", o.buf);
    char want[160];
    snprintf(want, sizeof want, "\"disposed\":[{\"id\":%.20s,", loc + strlen("/v1/voicemails/"));
    cr_expect(strstr(o.buf, want) != NULL, "%s in %s", want, o.buf);
    cr_expect_eq(get_bytes(audio, officer, NULL, &b), 410, "disposed of");
    free(b.buf);
    cr_expect_eq(call("GET", loc, officer, NULL, &o), 200, "the row stays");
    cr_assert_eq(post_audio("samples/v05-hangup.wav", pbx, "audio/wav", NULL, &o, again, sizeof again), 201);
    snprintf(audio, sizeof audio, "%s/audio", again);
    cr_expect_eq(get_bytes(audio, officer, NULL, &b), 200, "the same bytes, stored again");
    free(b.buf);
}

/* What a raw request (req, then nothing more) is answered within three
 * seconds: the status line's code, or 0 when nothing came. */
static int raw_status(const char *req)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)atoi(strrchr(base, ':') + 1));
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    char buf[64] = "";
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    int code = 0;
    if (n > 12) sscanf(buf, "HTTP/1.1 %d", &code);
    return code;
}

/* A body nobody may send is refused from its headers, before it is read:
 * the 20 MB promised here never come, the answer does. */
Test(serve, bodies_are_refused_before_they_are_read) {
    char req[512];
    const char *big = "Content-Type: audio/wav\r\nContent-Length: 20000000\r\n\r\n";
    snprintf(req, sizeof req, "POST /v1/mailboxes/4711/voicemails HTTP/1.1\r\nHost: x\r\n%s", big);
    cr_expect_eq(raw_status(req), 401, "no token");
    snprintf(req, sizeof req, "POST /v1/mailboxes/4711/voicemails HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer rv_no\r\n%s",
             big);
    cr_expect_eq(raw_status(req), 401, "a wrong token");
    snprintf(req, sizeof req, "POST /v1/mailboxes/4711/voicemails HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n%s",
             officer, big);
    cr_expect_eq(raw_status(req), 403, "an officer posts no voicemails");
    snprintf(req, sizeof req, "PUT /v1/mailboxes/x/y/z/greeting HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n%s",
             pbx, big);
    cr_expect_eq(raw_status(req), 404, "no such route");
    snprintf(req, sizeof req, "POST /v1/nothing HTTP/1.1\r\nHost: x\r\n%s", big);
    cr_expect_eq(raw_status(req), 404);
    snprintf(req, sizeof req, "POST /v1/voicemails/1/decision HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n%s", pbx,
             big);
    cr_expect_eq(raw_status(req), 403, "a PBX makes no decisions");
    sink o;
    cr_expect_eq(call("GET", "/healthz", NULL, NULL, &o), 200, "still serving");
}

/* An escaped NUL or control character in the path is refused, not cut. */
Test(serve, an_escaped_nul_in_the_path_is_refused) {
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_expect_eq(call("PUT", "/v1/mailboxes/47%0012", pbx, anna, &o), 400, "%s", o.buf);
    cr_expect_eq(call("PUT", "/v1/mailboxes/47%0a12", pbx, anna, &o), 400, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/mailboxes/47", officer, NULL, &o), 404, "no mailbox 47 was made");
    cr_expect_eq(call("PUT", "/v1/mailboxes/47%312", pbx, anna, &o), 201, "other escapes still work: %s", o.buf);
    cr_expect_eq(call("GET", "/v1/mailboxes/4712", officer, NULL, &o), 200);
}

/* Compressed voicemails are decoded on a job thread, not an HTTP thread;
 * whole ones are taken, damaged ones refused; above 48 kHz nothing is. */
Test(serve, compressed_voicemails_are_checked_off_the_http_threads) {
    sink o;
    char path[256], loc[128];
    const char *fx = getenv("RV_FIXTURES") ? getenv("RV_FIXTURES") : "build/fixtures";
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    snprintf(path, sizeof path, "%s/sine16k.flac", fx);
    cr_expect_eq(post_audio(path, pbx, "audio/flac", NULL, &o, loc, sizeof loc), 201, "%s", o.buf);
    snprintf(path, sizeof path, "%s/truncated.flac", fx);
    cr_expect_eq(post_audio(path, pbx, "audio/flac", NULL, &o, NULL, 0), 422, "%s", o.buf);
    cr_expect(strstr(o.buf, "truncated_audio") != NULL, "%s", o.buf);
    snprintf(path, sizeof path, "%s/rate192k.flac", fx);
    cr_expect_eq(post_audio(path, pbx, "audio/flac", NULL, &o, NULL, 0), 415, "%s", o.buf);
    cr_expect(strstr(o.buf, "above 48000 Hz") != NULL, "%s", o.buf);
    snprintf(path, sizeof path, "%s/rate48k.flac", fx);
    cr_expect_eq(post_audio(path, pbx, "audio/flac", NULL, &o, NULL, 0), 201, "%s", o.buf);
    cr_expect_eq(call("GET", "/healthz", NULL, NULL, &o), 200);
}

/* A read that cannot be audited is refused: while another process holds
 * the archive's write lock, listening answers 503 with Retry-After, a
 * decision is not taken (it and its audit row are one transaction), and
 * requests that write nothing are answered; afterwards all is as before. */
Test(serve, the_audit_fails_closed) {
    sink o;
    char loc[128], path[192], cmd[512];
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    cr_assert_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", NULL, &o, loc, sizeof loc), 201);
    snprintf(cmd, sizeof cmd,
             "(echo 'BEGIN IMMEDIATE;'; echo \"INSERT INTO audit (at, actor, remote, action) VALUES ('x','lock','','x');\";"
             " touch %s/locked; sleep 6; echo 'COMMIT;') | sqlite3 %s/data/rostvakt.db > /dev/null 2>&1 &",
             dir, dir);
    cr_assert_eq(system(cmd), 0);
    char flag[128];
    snprintf(flag, sizeof flag, "%s/locked", dir);
    for (int i = 0; i < 100 && access(flag, F_OK) != 0; i++) usleep(50000);
    usleep(300000);
    snprintf(path, sizeof path, "%s/audio", loc);
    cr_expect_eq(call("GET", path, officer, NULL, &o), 503, "unaudited listening: %s", o.buf);
    cr_expect(strstr(o.buf, "\"busy\"") != NULL, "%s", o.buf);
    snprintf(path, sizeof path, "%s/decision", loc);
    cr_expect_eq(call("POST", path, officer, "{\"decision\":\"dispose\"}", &o), 503, "%s", o.buf);
    cr_expect_eq(call("GET", "/metrics", NULL, NULL, &o), 200, "what writes nothing is answered");
    sleep(7); /* the lock is gone */
    snprintf(path, sizeof path, "%s/audio", loc);
    cr_expect_eq(call("GET", path, officer, NULL, &o), 200);
    cr_assert_eq(call("GET", loc, officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"decisions\":[]") != NULL, "the refused decision left nothing: %s", o.buf);
}

/* rostvakt token --revoke, then SIGHUP: the token stops working, its web
 * sessions end, the others go on; a damaged file keeps the old tokens. */
Test(serve, revoked_tokens_stop_on_sighup) {
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

/* The fault test: four uploaders at once, the server killed with SIGKILL
 * three times in the middle of their streams and started again; then every
 * acknowledged voicemail is there byte for byte, the database passes
 * integrity_check, and every segment ends with its last indexed recording. */
Test(serve, repeated_kill_9_with_parallel_uploaders) {
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    enum { ROUNDS = 3, UPLOADERS = 4 };
    static stream st[ROUNDS][UPLOADERS];
    memset(st, 0, sizeof st);
    for (int r = 0; r < ROUNDS; r++) {
        pthread_t th[UPLOADERS];
        for (int u = 0; u < UPLOADERS; u++) cr_assert_eq(pthread_create(&th[u], NULL, uploader, &st[r][u]), 0);
        int acked = wait_acked(st[r], UPLOADERS, 12);
        kill(pid, SIGKILL); /* in the middle of four streams */
        int status;
        waitpid(pid, &status, 0);
        pid = 0;
        for (int u = 0; u < UPLOADERS; u++) {
            atomic_store(&st[r][u].stop, 1);
            pthread_join(th[u], NULL);
        }
        cr_assert(acked >= 12, "round %d: only %d uploads acknowledged", r, acked);
        start_server("0");
    }
    int checked = 0;
    for (int r = 0; r < ROUNDS; r++)
        for (int u = 0; u < UPLOADERS; u++)
            for (int i = 0; i < atomic_load(&st[r][u].acked); i++, checked++)
                cr_expect(stored_as(st[r][u].ids[i], st[r][u].files[i]), "voicemail %lld is byte-identical",
                          st[r][u].ids[i]);
    cr_expect(checked >= ROUNDS * 12);
    stop_server();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "[ \"$(sqlite3 '%s/data/rostvakt.db' 'PRAGMA integrity_check')\" = ok ]", dir);
    cr_expect_eq(system(cmd), 0, "the database passes integrity_check");
    snprintf(cmd, sizeof cmd,
             "cd '%s/data' && for f in audio/*.seg; do s=${f#audio/}; s=${s%%.seg};"
             " end=$(sqlite3 rostvakt.db \"SELECT coalesce(max(at+len),0) FROM audio WHERE segment='$s'\");"
             " [ \"$(stat -c %%s \"$f\")\" = \"$end\" ] || exit 1; done", dir);
    cr_expect_eq(system(cmd), 0, "a segment holds bytes past its last indexed recording");
    snprintf(cmd, sizeof cmd,
             "cd '%s/data' && [ \"$(sqlite3 rostvakt.db \"SELECT count(*) FROM voicemails v LEFT JOIN audio a"
             " ON a.sha256 = v.audio_sha256 WHERE a.sha256 IS NULL\")\" = 0 ]", dir);
    cr_expect_eq(system(cmd), 0, "every voicemail's audio is in the index");
    start_server("1");
}

/* A full disk: uploads get 507 disk_full with Retry-After and nothing
 * acknowledged is lost; with room again all is served. Needs root (a small
 * tmpfs); skipped otherwise, saying so. */
Test(serve, a_full_disk_is_507_and_loses_nothing) {
    char mnt[96], cmd[512];
    snprintf(mnt, sizeof mnt, "%s/small", dir);
    mkdir(mnt, 0755);
    snprintf(cmd, sizeof cmd, "mount -t tmpfs -o size=1536k tmpfs '%s' 2>/dev/null", mnt);
    if (getuid() != 0 || system(cmd) != 0) {
        rmdir(mnt);
        cr_skip_test("the disk-full test needs root and tmpfs (mount failed or not root)");
    }
    stop_server();
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/data' && mv '%s/data' '%s/data.big' && ln -s '%s' '%s/data'", dir, dir, dir,
             mnt, dir);
    cr_assert_eq(system(cmd), 0);
    start_server("0");
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    long long ids[64];
    int acked = 0, full = 0;
    for (int i = 0; i < 64 && !full; i++) {
        char loc[128];
        long st = post_audio("samples/v01-bygglov.wav", pbx, "audio/wav", NULL, &o, loc, sizeof loc);
        if (st == 201) ids[acked++] = atoll(loc + strlen("/v1/voicemails/"));
        else {
            cr_expect_eq(st, 507, "a full disk: %s", o.buf);
            cr_expect(strstr(o.buf, "disk_full") != NULL, "%s", o.buf);
            full = 1;
        }
    }
    cr_expect(full, "the disk filled up");
    cr_expect(acked > 0);
    cr_expect_eq(call("GET", "/healthz", NULL, NULL, &o), 200, "still serving");
    snprintf(cmd, sizeof cmd, "mount -o remount,size=16m '%s'", mnt);
    cr_assert_eq(system(cmd), 0);
    for (int i = 0; i < acked; i++) cr_expect(stored_as(ids[i], "samples/v01-bygglov.wav"), "voicemail %lld", ids[i]);
    stop_server();
    snprintf(cmd, sizeof cmd, "umount '%s' && rm '%s/data' && mv '%s/data.big' '%s/data'", mnt, dir, dir, dir);
    cr_expect_eq(system(cmd), 0);
    rmdir(mnt);
    start_server("1");
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
Test(serve, slow_clients_do_not_keep_others_out) {
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

/* Greetings have a length limit of their own (greeting_max_seconds), which
 * bounds each greeting analysis' memory; voicemails keep max_audio_seconds. */
Test(serve, greetings_longer_than_their_limit_are_refused) {
    sink o;
    char path[256];
    stop_server();
    server_set = "greeting_max_seconds=10";
    start_server("0");
    server_set = "max_audio_seconds=600";
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    snprintf(path, sizeof path, "%s/long.wav", getenv("RV_FIXTURES") ? getenv("RV_FIXTURES") : "build/fixtures");
    cr_expect_eq(upload("PUT", "/v1/mailboxes/4711/greeting", path, pbx, "audio/wav", NULL, &o, NULL, 0), 422, "%s",
                 o.buf);
    cr_expect(strstr(o.buf, "too_long") != NULL, "%s", o.buf);
    cr_expect_eq(post_audio(path, pbx, "audio/wav", NULL, &o, NULL, 0), 201, "a voicemail as long: %s", o.buf);
}

/* An upload sent again with the same Idempotency-Key is the voicemail
 * already stored (200, same id), so that an adapter may send at least once
 * without making copies. */
Test(serve, an_idempotency_key_stores_an_upload_once) {
    sink o;
    char loc1[128], loc2[128];
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    const char *key[] = {"Idempotency-Key: asterisk-1733390000.42", NULL};
    cr_assert_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", key, &o, loc1, sizeof loc1), 201, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"duplicate\":false") != NULL, "%s", o.buf);
    cr_assert_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", key, &o, loc2, sizeof loc2), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"duplicate\":true") != NULL, "%s", o.buf);
    cr_expect_str_eq(loc1, loc2, "the same voicemail");
    const char *other[] = {"Idempotency-Key: asterisk-1733390000.43", NULL};
    cr_expect_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", other, &o, NULL, 0), 201, "another key");
    const char *bad[] = {"Idempotency-Key: has space", NULL};
    cr_expect_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", bad, &o, NULL, 0), 400);
    cr_assert_eq(call("GET", "/v1/voicemails?ext=4711", officer, NULL, &o), 200);
    int n = 0;
    for (const char *p = o.buf; (p = strstr(p, "\"ext\":\"4711\"")); p++) n++;
    cr_expect_eq(n, 2, "two voicemails, not three: %s", o.buf);
}

/* ---- hand-over to the e-archive ---- */

/* The package of voicemail id over HTTP (made by a POST), unpacked below
 * into; its OBJID in objid. */
static long get_package(long long id, const char *into, char *objid, size_t cap)
{
    char path[96], tarf[256], cmd[768];
    snprintf(path, sizeof path, "/v1/voicemails/%lld/package", id);
    bin b = {0};
    long st = request("POST", path, officer, NULL, NULL, NULL, collect_bin, &b);
    if (st == 200) {
        snprintf(tarf, sizeof tarf, "%s/p.tar", dir);
        FILE *f = fopen(tarf, "wb");
        cr_assert(f);
        fwrite(b.buf, 1, b.len, f);
        fclose(f);
        snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s && tar -xf %s -C %s && ls %s", into, into, tarf, into, into);
        FILE *p = popen(cmd, "r");
        cr_assert(p);
        cr_assert(fgets(objid, (int)cap, p));
        objid[strcspn(objid, "\n")] = '\0';
        pclose(p);
    }
    free(b.buf);
    return st;
}

/* A registered voicemail leaves as a package an e-archive accepts; others
 * are refused with the reason; made twice, it differs only in its creation
 * time; the sweep keeps it until the archive has confirmed it. */
Test(serve, registered_voicemails_are_packaged_for_the_e_archive) {
    sink o;
    char loc[128], a[256], b2[256], objid[64], objid2[64], cmd[4096], admin[80];
    token("admin", "it", admin, sizeof admin);
    kill(pid, SIGHUP); /* the service reads the new token */
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\","
                       "\"org\":\"Botkyrka kommun\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    const char *caller[] = {"X-Caller-Number: +46701234567", NULL};
    cr_assert_eq(post_audio("samples/v01-bygglov.wav", pbx, "audio/wav", caller, &o, loc, sizeof loc), 201);
    cr_assert_eq(post_audio("samples/v02-faktura.wav", pbx, "audio/wav", NULL, &o, loc, sizeof loc), 201);
    for (int i = 0; i < 300; i++) { /* both analysed */
        cr_assert_eq(call("GET", "/v1/voicemails/2", officer, NULL, &o), 200);
        if (strstr(o.buf, "\"state\":\"analysed\"")) break;
        usleep(100000);
    }
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b2, sizeof b2, "%s/b", dir);
    /* not registered: 409 and why */
    cr_expect_eq(get_package(1, a, objid, sizeof objid), 409);
    cr_expect_eq(call("POST", "/v1/voicemails/1/package", officer, NULL, &o), 409);
    cr_expect(strstr(o.buf, "\"conflict\"") && strstr(o.buf, "registered"), "%s", o.buf);
    cr_assert_eq(call("POST", "/v1/voicemails/2/decision", officer, "{\"decision\":\"not_public_record\"}", &o), 201);
    cr_expect_eq(call("POST", "/v1/voicemails/2/package", officer, NULL, &o), 409, "%s", o.buf);
    cr_expect_eq(call("POST", "/v1/voicemails/1/package", pbx, NULL, &o), 403);
    cr_assert_eq(call("POST", "/v1/voicemails/1/decision", officer,
                      "{\"decision\":\"registered\",\"diarienummer\":\"KS 2026/0042\",\"note\":\"Bygglov, Storgatan 5\"}",
                      &o),
                 201);
    /* the archive cannot confirm what was never packaged */
    cr_expect_eq(call("POST", "/v1/voicemails/1/archived", officer, "{\"reference\":\"EA-1\"}", &o), 409, "%s", o.buf);
    cr_assert_eq(get_package(1, a, objid, sizeof objid), 200);
    char pkg[512];
    snprintf(pkg, sizeof pkg, "%s/%s", a, objid);
    snprintf(cmd, sizeof cmd, "tests/check-package.sh %s 2>&1", pkg);
    sink out;
    cr_expect_eq(run(cmd, &out), 0, "%s", out.buf);
    /* the recording exactly as received, and a 16-bit PCM WAVE copy */
    snprintf(cmd, sizeof cmd, "cmp samples/v01-bygglov.wav %s/representations/rep1/data/voicemail.wav", pkg);
    cr_expect_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/representations/rep2/data/voicemail.wav", pkg);
    SF_INFO in = {0};
    SNDFILE *w = sf_open(cmd, SFM_READ, &in);
    cr_assert(w, "%s", cmd);
    cr_expect_eq(in.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    cr_expect_eq(in.samplerate, 8000);
    sf_close(w);
    snprintf(cmd, sizeof cmd,
             "grep -q 'KS 2026/0042' %s/metadata/descriptive/voicemail.xml && grep -q '+46701234567' "
             "%s/metadata/descriptive/voicemail.xml && grep -q 'Botkyrka kommun' %s/metadata/descriptive/voicemail.xml"
             " && grep -q \"$(sha256sum samples/v01-bygglov.wav | cut -c1-64)\" %s/metadata/preservation/premis.xml"
             " && for e in received analysed decided packaged; do grep -q \"<eventType>$e</eventType>\" "
             "%s/metadata/preservation/premis.xml || exit 1; done && grep -q '\"classification\"' %s/metadata/other/analysis.json",
             pkg, pkg, pkg, pkg, pkg, pkg);
    cr_expect_eq(system(cmd), 0, "the descriptive record, PREMIS fixity and events, the analysis");
    /* a checker that cannot fail proves nothing: a changed byte is caught */
    snprintf(cmd, sizeof cmd, "cp -r %s %s/%s && printf x >> %s/%s/representations/rep1/data/voicemail.wav", pkg,
             dir, objid, dir, objid);
    cr_assert_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "tests/check-package.sh %s/%s 2>&1", dir, objid);
    cr_expect_eq(run(cmd, &out), 1, "%s", out.buf);
    cr_expect(strstr(out.buf, "checksum does not match") != NULL, "%s", out.buf);
    /* made again: the same OBJID, the same bytes but the creation time */
    sleep(1);
    cr_assert_eq(get_package(1, b2, objid2, sizeof objid2), 200);
    cr_expect_str_eq(objid2, objid);
    snprintf(cmd, sizeof cmd,
             "cd %s && for d in a b; do sed -i 's/CREATEDATE=\"[^\"]*\"/CREATEDATE=\"T\"/' $d/%s/METS.xml; done &&"
             " diff -r a b", dir, objid);
    cr_expect_eq(run(cmd, &out), 0, "%s", out.buf);
    /* recorded: twice in the history and the audit */
    cr_assert_eq(call("GET", "/v1/voicemails/1", officer, NULL, &o), 200);
    int packaged = 0;
    for (const char *q = o.buf; (q = strstr(q, "\"event\":\"packaged\"")); q++) packaged++;
    cr_expect_eq(packaged, 2, "%s", o.buf);
    cr_expect(strstr(o.buf, objid) != NULL, "the OBJID is kept: %s", o.buf);
    cr_assert_eq(call("GET", "/v1/audit?voicemail=1", admin, NULL, &o), 200);
    int audited = 0;
    for (const char *q = o.buf; (q = strstr(q, "voicemail_packaged")); q++) audited++;
    cr_expect_eq(audited, 2, "%s", o.buf);
    /* the sweep keeps a registered voicemail, however old, until the archive confirms */
    cr_assert_eq(call("POST", "/v1/sweeps?date=2027-06-01", admin, NULL, &o), 200, "%s", o.buf);
    cr_expect(stored_as(1, "samples/v01-bygglov.wav"), "registered, not yet archived: kept");
    cr_expect_eq(call("POST", "/v1/voicemails/1/archived", officer, "{\"ref\":1}", &o), 400);
    cr_assert_eq(call("POST", "/v1/voicemails/1/archived", officer, "{\"reference\":\"EA-2026-17\"}", &o), 201,
                 "%s", o.buf);
    cr_expect_eq(call("POST", "/v1/voicemails/2/archived", officer, "{\"reference\":\"EA-2026-18\"}", &o), 409);
    /* confirmed today: kept retention_archived_days (30) from today, then disposed of */
    cr_assert_eq(call("POST", "/v1/sweeps?date=2026-12-06", admin, NULL, &o), 200, "%s", o.buf);
    cr_expect(stored_as(1, "samples/v01-bygglov.wav"), "within its retention after the confirmation");
    cr_assert_eq(call("POST", "/v1/sweeps?date=2027-06-01", admin, NULL, &o), 200, "%s", o.buf);
    bin gone;
    cr_expect_eq(get_bytes("/v1/voicemails/1/audio", officer, NULL, &gone), 410);
    free(gone.buf);
    cr_expect_eq(call("POST", "/v1/voicemails/1/package", officer, NULL, &o), 409, "disposed of: %s", o.buf);
}

/* rostvakt archive: the same packages from the command line, by id or by
 * the days they were registered, as folders or tar files. */
Test(serve, archive_command_packages_by_id_and_by_day) {
    sink o, out;
    char loc[128], cmd[1024], outdir[256];
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx,
                      "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Socialtj\u00e4nsten\"}", &o),
                 201, "%s", o.buf);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", NULL, &o, loc, sizeof loc), 201);
    cr_assert_eq(call("POST", "/v1/voicemails/1/decision", officer,
                      "{\"decision\":\"registered\",\"diarienummer\":\"SN 2026/7\"}", &o), 201);
    cr_assert_eq(call("POST", "/v1/voicemails/3/decision", officer,
                      "{\"decision\":\"registered\",\"diarienummer\":\"SN 2026/8\"}", &o), 201);
    snprintf(outdir, sizeof outdir, "%s/out", dir);
    mkdir(outdir, 0755);
    const char *bin_ = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
    char today[16];
    time_t t = time(NULL);
    strftime(today, sizeof today, "%Y-%m-%d", gmtime(&t));
    snprintf(cmd, sizeof cmd, "%s archive --data-dir %s/data --decided-from %s --decided-to %s --out %s 2>&1", bin_,
             dir, today, today, outdir);
    cr_expect_eq(run(cmd, &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "2 voicemails registered") && strstr(out.buf, "2 of 2 packaged"), "%s", out.buf);
    snprintf(cmd, sizeof cmd, "for p in %s/*/; do tests/check-package.sh ${p%%/} || exit 1; done 2>&1", outdir);
    cr_expect_eq(run(cmd, &out), 0, "%s", out.buf);
    /* by id, as tar; one not registered is refused with the reason, the rest made */
    snprintf(cmd, sizeof cmd, "%s archive --data-dir %s/data --voicemail 2 --voicemail 3 --out %s --tar 2>&1", bin_,
             dir, outdir);
    cr_expect_eq(run(cmd, &out), 1, "%s", out.buf);
    cr_expect(strstr(out.buf, "voicemail 2: voicemail 2 is not decided") && strstr(out.buf, "1 of 2 packaged"), "%s",
              out.buf);
    snprintf(cmd, sizeof cmd, "ls %s/*.tar | wc -l", outdir);
    cr_expect_eq(run(cmd, &out), 0);
    cr_expect_eq(atoi(out.buf), 1, "%s", out.buf);
    snprintf(cmd, sizeof cmd, "%s archive --data-dir %s/data --out %s 2>&1", bin_, dir, outdir);
    cr_expect_eq(run(cmd, &out), 64, "%s", out.buf);
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
             "%s sweep --data-dir %s/data --date %s --mail --set mail_smtp_url=smtp://127.0.0.1:%d"
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

Test(serve, the_nightly_report_is_mailed_to_managers, .fini = smtp_teardown) {
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
