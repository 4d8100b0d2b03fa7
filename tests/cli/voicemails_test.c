/* rostvakt serve end to end (tests/cli/serve.h): voicemails, stored before
 * their 201 (across restarts, kill -9 and a full disk), their audio, lists
 * and analysis, decisions, and packages for the e-archive. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <sndfile.h>
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
#include <time.h>
#include <unistd.h>

#include "rostvakt/calendar.h"
#include "serve.h"

TestSuite(voicemails, .init = setup, .fini = teardown, .timeout = 60);

Test(voicemails, voicemails_are_stored_before_201) {
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

/* A voicemail whose case words cannot be listened for (no decoder could be
 * opened: here the model adaptation removed after the start, before a
 * decoder was first opened) is not classified by its length alone, which
 * could let a short possible public record be disposed of as ephemeral:
 * its analysis has failed, and is kept so. An adaptation that is not there
 * at the start stops the start. */
Test(voicemails, no_decoder_is_a_failed_analysis_not_a_short_one) {
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    stop_server();
    char set[300], cmd[800], copy[200];
    snprintf(copy, sizeof copy, "%s/copy.mllr", dir);
    snprintf(cmd, sizeof cmd, "timeout 30 %s serve --data-dir %s/data --tokens %s/tokens --listen 127.0.0.1:0 --set asr_adaptation=%s"
             " 2>&1", getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", dir, dir, copy);
    cr_expect_eq(run(cmd, &o), 78, "%s", o.buf);
    cr_expect(strstr(o.buf, "copy.mllr: No such file or directory") != NULL, "%s", o.buf);
    snprintf(cmd, sizeof cmd, "cp models/en-us-tel.mllr '%s'", copy);
    cr_assert_eq(system(cmd), 0);
    snprintf(set, sizeof set, "asr_adaptation=%s", copy);
    server_set = set;
    start_server("1");
    server_set = "max_audio_seconds=600";
    cr_assert_eq(unlink(copy), 0);
    cr_assert_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", NULL, &o, NULL, 0), 201, "%s", o.buf);
    for (int i = 0; i < 300 && !strstr(o.buf, "\"state\":\"analysed\"") && !strstr(o.buf, "\"state\":\"failed\""); i++) {
        usleep(100000);
        cr_assert_eq(call("GET", "/v1/voicemails/1", officer, NULL, &o), 200);
    }
    cr_expect(strstr(o.buf, "\"state\":\"failed\"") != NULL, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"classification\":null") != NULL, "%s", o.buf);
    /* kept in view: a list of possible public records holds it */
    cr_assert_eq(call("GET", "/v1/voicemails?classification=possible_public_record", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"id\":1,") != NULL, "%s", o.buf);
    /* the same without the models at all: a short message is not ephemeral by its length alone */
    stop_server();
    snprintf(set, sizeof set, "models_dir=%s", dir);
    server_set = set;
    start_server("1");
    server_set = "max_audio_seconds=600";
    cr_assert_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", NULL, &o, NULL, 0), 201, "%s", o.buf);
    for (int i = 0; i < 300 && !strstr(o.buf, "\"state\":\"analysed\"") && !strstr(o.buf, "\"state\":\"failed\""); i++) {
        usleep(100000);
        cr_assert_eq(call("GET", "/v1/voicemails/2", officer, NULL, &o), 200);
    }
    cr_expect(strstr(o.buf, "\"state\":\"failed\"") != NULL, "no models: %s", o.buf);
}

Test(voicemails, a_queued_analysis_survives_a_restart) {
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

Test(voicemails, kill_9_loses_no_acknowledged_voicemail) {
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
Test(voicemails, sigterm_during_uploads_answers_what_it_took) {
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

/* The decisions the law gives: registrera with a diarienummer that is not
 * blank and matches the profile's pattern, an ärendemening and a
 * sekretessmarkering naming the OSL; a change needs a reason and is
 * audited with the old and the new; gallras only under a gallringsbeslut. */
Test(voicemails, decisions_follow_the_law) {
    sink o;
    char loc[128], path[160];
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx,
                      "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Bygg\",\"profile\":\"diarium\"}",
                      &o),
                 201, "%s", o.buf);
    cr_assert_eq(post_audio("samples/v01-bygglov.wav", pbx, "audio/wav", NULL, &o, loc, sizeof loc), 201);
    snprintf(path, sizeof path, "%s/decision", loc);
    struct {
        const char *body, *field;
        long status;
    } bad[] = {
        {"{\"decision\":\"registered\",\"diarienummer\":\"KS 2026/17\"}", "decision", 422},
        {"{\"decision\":\"registrera\",\"diarienummer\":\"   \",\"arendemening\":\"Bygglov\"}", "diarienummer", 422},
        {"{\"decision\":\"registrera\",\"diarienummer\":\"2026/17\",\"arendemening\":\"Bygglov\"}", "diarienummer", 422},
        {"{\"decision\":\"registrera\",\"diarienummer\":\"KS 2026/17\"}", "arendemening", 422},
        {"{\"decision\":\"registrera\",\"diarienummer\":\"KS 2026/17\",\"arendemening\":\"Bygglov\","
         "\"sekretess\":\"hemligt\"}", "sekretess", 422},
        {"{\"decision\":\"privat\",\"diarienummer\":\"KS 2026/17\"}", "diarienummer", 422},
        {"{\"decision\":\"gallras\",\"ground\":\"ringa\"}", "gallringsbeslut", 422},
        {"{\"decision\":\"registrera\",\"diarienummer\":7}", "diarienummer", 400},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_expect_eq(call("POST", path, officer, bad[i].body, &o), bad[i].status, "%s: %s", bad[i].body, o.buf);
        cr_expect(strstr(o.buf, bad[i].field) != NULL, "%s names %s: %s", bad[i].body, bad[i].field, o.buf);
    }
    cr_assert_eq(call("POST", path, officer,
                      "{\"decision\":\"registrera\",\"diarienummer\":\" BYGG 2026/17 \",\"arendemening\":\"Bygglov\","
                      "\"sekretess\":\"OSL 26 kap. 1 §\"}",
                      &o),
                 201, "%s", o.buf);
    cr_assert_eq(call("GET", loc, officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"diarienummer\":\"BYGG 2026/17\"") && strstr(o.buf, "\"arendemening\":\"Bygglov\"") &&
                  strstr(o.buf, "\"sekretess\":\"OSL 26 kap. 1 §\""),
              "kept as checked, without the spaces: %s", o.buf);
    /* a change needs a reason, and says what it changed */
    cr_expect_eq(call("POST", path, officer, "{\"decision\":\"privat\"}", &o), 422, "%s", o.buf);
    cr_expect(strstr(o.buf, "reason") != NULL, "%s", o.buf);
    cr_expect_eq(call("POST", path, officer, "{\"decision\":\"privat\",\"reason\":\"  \"}", &o), 422, "%s", o.buf);
    cr_assert_eq(call("POST", path, officer, "{\"decision\":\"privat\",\"reason\":\"gällde hans dotter\"}", &o), 201,
                 "%s", o.buf);
    cr_expect(strstr(o.buf, "\"previous\":\"registrera\"") != NULL, "%s", o.buf);
    char admin[80];
    token("admin", "admin", admin, sizeof admin);
    cr_assert_eq(call("GET", "/v1/audit?voicemail=1", admin, NULL, &o), 200);
    cr_expect(strstr(o.buf, "registrera BYGG 2026/17") && strstr(o.buf, "registrera -> privat: gällde hans dotter"),
              "the audit has the old and the new: %s", o.buf);
    /* the list filters by today's words only */
    cr_expect_eq(call("GET", "/v1/voicemails?decision=registered", officer, NULL, &o), 400);
    cr_assert_eq(call("GET", "/v1/voicemails?decision=privat", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"decision\":\"privat\"") != NULL, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/voicemails?decision=registrera", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"items\":[]") != NULL, "the latest decision counts: %s", o.buf);
}

Test(voicemails, callbacks_decisions_and_the_audit) {
    sink o;
    char loc[128], path[160];
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    cr_assert_eq(post_audio("samples/v01-bygglov.wav", pbx, "audio/wav", NULL, &o, loc, sizeof loc), 201);
    snprintf(path, sizeof path, "%s/callback", loc);
    cr_expect_eq(call("POST", path, officer, NULL, &o), 403);
    /* it takes no body: what one says is refused, not ignored */
    cr_expect_eq(call("POST", path, pbx, "{\"at\":\"1999-01-01T00:00:00Z\"}", &o), 400, "%s", o.buf);
    cr_expect(strstr(o.buf, "unknown field \\\"at\\\"") != NULL, "%s", o.buf);
    cr_expect_eq(call("POST", path, pbx, "{\"at\":1e400}", &o), 400, "%s", o.buf);
    cr_expect_eq(call("POST", path, pbx, "{}", &o), 200, "%s", o.buf);
    cr_expect_eq(call("POST", path, pbx, NULL, &o), 200, "%s", o.buf);
    cr_expect_eq(call("POST", "/v1/voicemails/999/callback", pbx, NULL, &o), 404);
    snprintf(path, sizeof path, "%s/decision", loc);
    cr_expect_eq(call("POST", path, pbx, "{\"decision\":\"gallras\",\"ground\":\"tillfallig\"}", &o), 403);
    cr_expect_eq(call("POST", path, officer, "{\"decision\":\"archive\"}", &o), 422, "an unknown decision");
    cr_expect_eq(call("POST", path, officer, "{\"decision\":\"registrera\"}", &o), 422, "no diarienummer");
    cr_expect_eq(call("POST", path, officer, "{\"decision\":7}", &o), 400);
    cr_expect_eq(call("POST", path, officer, "{\"decision\":\"gallras\",\"ground\":\"tillfallig\",\"why\":\"x\"}", &o), 400);
    cr_expect_eq(call("POST", path, officer,
                      "{\"decision\":\"registrera\",\"arendemening\":\"Röstmeddelande\",\"diarienummer\":\"KS 2026/0412\",\"note\":\"bygglov\"}", &o),
                 201, "%s", o.buf);
    cr_expect_eq(call("POST", path, officer, "{\"decision\":\"halls_ordnad\",\"reason\":\"fel ärende\"}", &o),
                 201, "decisions are history, a second one is kept too");
    cr_expect_eq(call("GET", loc, officer, NULL, &o), 200);
    /* an officer reads the audit of the mailboxes they see, not the rows of none */
    cr_expect_eq(call("GET", "/v1/audit", officer, NULL, &o), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"action\":\"decision\"") && !strstr(o.buf, "\"voicemail\":null,\"ext\":null"), "%s", o.buf);
    char admin[80];
    token("admin", "admin", admin, sizeof admin);
    /* again, with no analysis worker (a new token needs no restart) */
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

Test(voicemails, audio_comes_back_with_ranges) {
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

Test(voicemails, the_voicemail_list_pages_newest_first) {
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
Test(voicemails, voicemail_analysis_honours_adaptation_and_case_words) {
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

/* A full analysis queue: 503 with Retry-After, nothing stored. */
Test(voicemails, a_full_queue_is_503) {
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
Test(voicemails, disposed_audio_is_gone) {
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
    cr_expect(strstr(o.buf, "\"disposed_at\":\"20") != NULL, "and says when its audio went: %s", o.buf);
    cr_assert_eq(post_audio("samples/v05-hangup.wav", pbx, "audio/wav", NULL, &o, again, sizeof again), 201);
    cr_assert_eq(call("GET", again, officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"disposed_at\":null") != NULL, "%s", o.buf);
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
Test(voicemails, bodies_are_refused_before_they_are_read) {
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

/* Compressed voicemails are decoded on a job thread, not an HTTP thread;
 * whole ones are taken, damaged ones refused; above 48 kHz nothing is. */
Test(voicemails, compressed_voicemails_are_checked_off_the_http_threads) {
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
    /* a file with a header, declared headerless: read by its header, not
     * stored as noise of the wrong length */
    const char *types[] = {"audio/x-gsm", "audio/basic"};
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(post_audio("samples/v01-bygglov.wav", pbx, types[i], NULL, &o, loc, sizeof loc), 201, "%s", o.buf);
        int analysed = 0;
        for (int k = 0; k < 300 && !analysed; k++) {
            cr_assert_eq(call("GET", loc, officer, NULL, &o), 200);
            analysed = strstr(o.buf, "\"state\":\"analysed\"") != NULL;
            if (!analysed) usleep(100000);
        }
        cr_expect(strstr(o.buf, "\"classification\":\"possible_public_record\"") != NULL, "%s: %s", types[i], o.buf);
        const char *d = strstr(o.buf, "\"duration_s\":");
        cr_expect(d && atof(d + 13) > 12.5 && atof(d + 13) < 13.2, "%s: its own length: %s", types[i], o.buf);
        cr_expect(strstr(o.buf, "\"format\":\"WAV") != NULL, "%s: read as WAV: %s", types[i], o.buf);
        /* numbers as the command line prints them: no 17-digit tails (9.0700000000000003) */
        for (const char *q = o.buf; (q = strchr(q, '.')); q++) {
            size_t digits = strspn(q + 1, "0123456789");
            cr_expect(digits <= 10, "a number with %zu decimals: %.40s", digits, q - 5 > o.buf ? q - 5 : q);
            if (digits > 10) break;
        }
    }
    cr_expect_eq(call("GET", "/healthz", NULL, NULL, &o), 200);
}

/* An error message that quotes the request (a chunk id of any bytes, a
 * field's name cut at 60 bytes inside a letter) is still answered, in
 * UTF-8, rather than the connection closed. */
Test(voicemails, errors_quoting_the_request_are_answered) {
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    char path[128];
    snprintf(path, sizeof path, "%s/chunk.wav", dir);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    static const unsigned char wav[] = "RIFF\x24\0\0\0WAVE\xff\xfe\xfd\xfc\0\0\0\x7fxxxxxxxxxxxxxxxxxxxxxxxx";
    fwrite(wav, 1, sizeof wav - 1, f);
    fclose(f);
    cr_expect_eq(post_audio(path, pbx, "audio/wav", NULL, &o, NULL, 0), 422, "%s", o.buf);
    cr_expect(strstr(o.buf, "truncated_audio") != NULL, "%s", o.buf);
    cr_assert_eq(post_audio("samples/v01-bygglov.wav", pbx, "audio/wav", NULL, &o, NULL, 0), 201, "%s", o.buf);
    char body[1024] = "{\"a";
    for (int i = 0; i < 200; i++) strcat(body, "\xc3\xb6");
    strcat(body, "\":1}");
    cr_expect_eq(call("POST", "/v1/voicemails/1/decision", officer, body, &o), 400, "%s", o.buf);
    cr_expect(strstr(o.buf, "unknown field") != NULL, "%s", o.buf);
    json_t *j = json_loads(o.buf, 0, NULL);
    cr_expect(j != NULL, "an answer in JSON: %s", o.buf);
    json_decref(j);
    cr_expect_eq(call("GET", "/healthz", NULL, NULL, &o), 200);
}

/* The fault test: four uploaders at once, the server killed with SIGKILL
 * three times in the middle of their streams and started again; then every
 * acknowledged voicemail is there byte for byte, the database passes
 * integrity_check, and every segment ends with its last indexed recording. */
Test(voicemails, repeated_kill_9_with_parallel_uploaders) {
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
    char cmd[1200], db[512];
    if (!on_pg()) { /* SQLite's file and its segments (PostgreSQL keeps audio in the database) */
        snprintf(cmd, sizeof cmd, "[ \"$(sqlite3 '%s/data/rostvakt.db' 'PRAGMA integrity_check')\" = ok ]", dir);
        cr_expect_eq(system(cmd), 0, "the database passes integrity_check");
        snprintf(cmd, sizeof cmd,
                 "cd '%s/data' && for f in audio/*.seg; do s=${f#audio/}; s=${s%%.seg};"
                 " end=$(sqlite3 rostvakt.db \"SELECT coalesce(max(at+len),0) FROM audio WHERE segment='$s'\");"
                 " [ \"$(stat -c %%s \"$f\")\" = \"$end\" ] || exit 1; done", dir);
        cr_expect_eq(system(cmd), 0, "a segment holds bytes past its last indexed recording");
    }
    db_shell(db, sizeof db);
    snprintf(cmd, sizeof cmd,
             "[ \"$(echo 'SELECT count(*) FROM voicemails v LEFT JOIN audio a"
             " ON a.sha256 = v.audio_sha256 WHERE a.sha256 IS NULL;' | %s)\" = 0 ]", db);
    cr_expect_eq(system(cmd), 0, "every voicemail's audio is in the index");
    start_server("1");
}

/* A full disk: uploads get 507 disk_full with Retry-After and nothing
 * acknowledged is lost; with room again all is served. Needs root (a small
 * tmpfs); skipped otherwise, saying so. */
Test(voicemails, a_full_disk_is_507_and_loses_nothing) {
    /* audio is staged there only until its commit copies it into the database; a skipped test runs no
     * .fini, so its server is stopped here */
    if (on_pg()) {
        teardown();
        cr_skip_test("SQLite's alone: a full data directory (PostgreSQL's own disk is its own)");
    }
    char mnt[96], cmd[512];
    snprintf(mnt, sizeof mnt, "%s/small", dir);
    mkdir(mnt, 0755);
    snprintf(cmd, sizeof cmd, "mount -t tmpfs -o size=1536k tmpfs '%s' 2>/dev/null", mnt);
    if (getuid() != 0 || system(cmd) != 0) {
        rmdir(mnt);
        teardown();
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

/* An upload sent again with the same Idempotency-Key is the voicemail
 * already stored (200, same id), so that an adapter may send at least once
 * without making copies. */
Test(voicemails, an_idempotency_key_stores_an_upload_once) {
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
Test(voicemails, registered_voicemails_are_packaged_for_the_e_archive) {
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
    cr_expect(strstr(o.buf, "\"conflict\"") && strstr(o.buf, "registrera"), "%s", o.buf);
    cr_assert_eq(call("POST", "/v1/voicemails/2/decision", officer, "{\"decision\":\"halls_ordnad\"}", &o), 201);
    cr_expect_eq(call("POST", "/v1/voicemails/2/package", officer, NULL, &o), 409, "%s", o.buf);
    cr_expect_eq(call("POST", "/v1/voicemails/1/package", pbx, NULL, &o), 403);
    cr_assert_eq(call("POST", "/v1/voicemails/1/decision", officer,
                      "{\"decision\":\"registrera\",\"arendemening\":\"Röstmeddelande\",\"diarienummer\":\"KS 2026/0042\",\"note\":\"Bygglov, Storgatan 5\"}",
                      &o),
                 201);
    /* the archive cannot confirm what was never packaged */
    cr_expect_eq(call("POST", "/v1/voicemails/1/archived", officer, "{\"reference\":\"EA-1\"}", &o), 409, "%s", o.buf);
    cr_assert_eq(get_package(1, a, objid, sizeof objid), 200);
    /* handed over: it can no longer be gallras */
    cr_expect_eq(call("POST", "/v1/voicemails/1/decision", officer,
                      "{\"decision\":\"gallras\",\"ground\":\"ringa\",\"reason\":\"av misstag\"}", &o),
                 409, "%s", o.buf);
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
    /* a sweep of a day to come disposes as of that day: only when told so
     * (a mistyped year), though a dry run may look ahead */
    cr_expect_eq(call("POST", "/v1/sweeps?date=2099-06-01", admin, NULL, &o), 422, "%s", o.buf);
    cr_expect(strstr(o.buf, "allow_future=true") != NULL, "%s", o.buf);
    cr_expect_eq(call("POST", "/v1/sweeps?date=2099-06-01&dry_run=true", admin, NULL, &o), 200, "%s", o.buf);
    cr_expect_eq(call("POST", "/v1/sweeps?date=2099-06-01&allow_future=maybe", admin, NULL, &o), 400, "%s", o.buf);
    /* the sweep keeps a registered voicemail, however old, until the archive confirms */
    cr_assert_eq(call("POST", "/v1/sweeps?date=2027-06-01&allow_future=true", admin, NULL, &o), 200, "%s", o.buf);
    cr_expect(stored_as(1, "samples/v01-bygglov.wav"), "registered, not yet archived: kept");
    cr_expect_eq(call("POST", "/v1/voicemails/1/archived", officer, "{\"ref\":1}", &o), 400);
    cr_expect_eq(call("POST", "/v1/voicemails/1/archived", officer, "{\"reference\":\"EA-1\",\"x\":1}", &o), 400);
    cr_expect_eq(call("POST", "/v1/voicemails/1/archived", officer, "{\"reference\":\"EA-1\"", &o), 400);
    cr_expect(strstr(o.buf, "body is not JSON: ") != NULL, "said why: %s", o.buf);
    cr_expect_eq(call("POST", "/v1/voicemails/1/archived", officer, "{\"reference\":\"EA\\u007f1\"}", &o), 400, "DEL");
    cr_expect_eq(call("POST", "/v1/voicemails/1/archived", officer, "{\"reference\":\"EA\\u00851\"}", &o), 400, "C1");
    cr_assert_eq(call("POST", "/v1/voicemails/1/archived", officer, "{\"reference\":\"EA-2026-17\"}", &o), 201,
                 "%s", o.buf);
    cr_expect_eq(call("POST", "/v1/voicemails/2/archived", officer, "{\"reference\":\"EA-2026-18\"}", &o), 409);
    /* confirmed today: kept retention_archived_days (30) from today, then disposed of */
    cr_assert_eq(call("POST", "/v1/sweeps?date=2026-12-06", admin, NULL, &o), 200, "%s", o.buf);
    cr_expect(stored_as(1, "samples/v01-bygglov.wav"), "within its retention after the confirmation");
    cr_assert_eq(call("POST", "/v1/sweeps?date=2027-06-01&allow_future=true", admin, NULL, &o), 200, "%s", o.buf);
    bin gone;
    cr_expect_eq(get_bytes("/v1/voicemails/1/audio", officer, NULL, &gone), 410);
    free(gone.buf);
    cr_expect_eq(call("POST", "/v1/voicemails/1/package", officer, NULL, &o), 409, "disposed of: %s", o.buf);
}

/* rostvakt archive: the same packages from the command line, by id or by
 * the days they were registered, as folders or tar files. */
Test(voicemails, archive_command_packages_by_id_and_by_day) {
    sink o, out;
    char loc[128], cmd[1024], outdir[256];
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx,
                      "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Socialtj\u00e4nsten\"}", &o),
                 201, "%s", o.buf);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", NULL, &o, loc, sizeof loc), 201);
    cr_assert_eq(call("POST", "/v1/voicemails/1/decision", officer,
                      "{\"decision\":\"registrera\",\"arendemening\":\"Röstmeddelande\",\"diarienummer\":\"SN 2026/7\"}", &o), 201);
    cr_assert_eq(call("POST", "/v1/voicemails/3/decision", officer,
                      "{\"decision\":\"registrera\",\"arendemening\":\"Röstmeddelande\",\"diarienummer\":\"SN 2026/8\"}", &o), 201);
    snprintf(outdir, sizeof outdir, "%s/out", dir);
    mkdir(outdir, 0755);
    const char *bin_ = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
    /* the decisions' day is a Swedish day: between 23:00 and 24:00 UTC it
     * is already tomorrow's date in Sweden */
    char today[11];
    rv_format_date(rv_local_today(RV_CAL_SE), today);
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
