/* What the archive keeps and what it lets go, end to end: disposal that a
 * kill -9 cannot leave half done, idempotent uploads keyed by sender and
 * content, strict dates. The real binary, killed for real. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rostvakt/store.h"
#include "serve.h"

TestSuite(durable, .init = setup, .fini = teardown, .timeout = 120);

/* ---- disposal and kill -9 ---- */

#define N_DISPOSE 24
#define N_KEEP 4
#define REC_LEN (24 * 1024)
#define PATTERN 4096 /* the first 4 KiB of a recording: random, so found nowhere else */

/* The recordings of one archive: the first N_DISPOSE are due for disposal
 * (empty, received long ago), the rest are kept (possible public records). */
static unsigned char rec[N_DISPOSE + N_KEEP][REC_LEN];

static const char *bin_path(void) { return getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt"; }

/* An archive in dir/data with one mailbox and the recordings above, each
 * analysed; written with the library, as the service would have. */
static void seed(void)
{
    char data[128];
    snprintf(data, sizeof data, "%s/data", dir);
    FILE *ur = fopen("/dev/urandom", "rb");
    cr_assert(ur);
    cr_assert_eq(fread(rec, 1, sizeof rec, ur), sizeof rec);
    fclose(ur);
    rv_store *st;
    rv_error e;
    cr_assert_eq(rv_store_open(data, &st, &e), RV_OK, "%s", e.msg);
    rv_mailbox m = {.ext = "4711", .first_name = "Anna", .last_name = "Svensson", .unit = "Ekonomienheten",
                    .profile = "default"};
    int created;
    cr_assert_eq(rv_store_put_mailbox(st, &m, "2026-01-01T00:00:00Z", &created, &e), RV_OK, "%s", e.msg);
    for (int i = 0; i < N_DISPOSE + N_KEEP; i++) {
        char hex[RV_SHA256_HEX + 1];
        long long id;
        cr_assert_eq(rv_store_put_audio(st, rec[i], REC_LEN, hex, &e), RV_OK, "%s", e.msg);
        cr_assert_eq(rv_store_add_voicemail(st, "4711", hex, "audio/basic", REC_LEN, "", "2026-01-10T09:00:00Z", &id,
                                            &e),
                     RV_OK, "%s", e.msg);
        cr_assert_eq(rv_store_finish_voicemail(st, id, "analysed", i < N_DISPOSE ? "empty" : "possible_public_record",
                                               "{}", "2026-01-10T09:01:00Z", &e),
                     RV_OK, "%s", e.msg);
    }
    rv_store_close(st);
}

/* How many times recording i's first 4 KiB occur in the files under dir/data. */
static int found[N_DISPOSE + N_KEEP];

static int scan_file(const char *path, const struct stat *sb, int type, struct FTW *f)
{
    (void)f;
    if (type != FTW_F || !S_ISREG(sb->st_mode)) return 0;
    FILE *fp = fopen(path, "rb");
    cr_assert(fp, "%s", path);
    unsigned char *buf = malloc((size_t)sb->st_size + 1);
    cr_assert(buf);
    size_t n = fread(buf, 1, (size_t)sb->st_size, fp);
    fclose(fp);
    for (int i = 0; i < N_DISPOSE + N_KEEP; i++)
        for (unsigned char *p = buf, *hit; (hit = memmem(p, n - (size_t)(p - buf), rec[i], PATTERN));
             p = hit + 1)
            found[i]++;
    free(buf);
    return 0;
}

/* The disposed recordings whose bytes are still somewhere in dir/data; the
 * kept ones must each be there. */
static int left_behind(void)
{
    char data[128];
    snprintf(data, sizeof data, "%s/data", dir);
    memset(found, 0, sizeof found);
    cr_assert_eq(nftw(data, scan_file, 16, FTW_PHYS), 0);
    int left = 0;
    for (int i = 0; i < N_DISPOSE; i++) left += found[i] > 0;
    for (int i = N_DISPOSE; i < N_DISPOSE + N_KEEP; i++)
        cr_expect_eq(found[i], 1, "kept recording %d is there once (found %d times)", i, found[i]);
    return left;
}

/* How many erasures dir/data's archive still has recorded. */
static long recorded_erasures(void)
{
    char data[128];
    snprintf(data, sizeof data, "%s/data", dir);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "sqlite3 '%s/rostvakt.db' 'SELECT count(*) FROM erasures'", data);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    long n = -1;
    cr_expect_eq(fscanf(p, "%ld", &n), 1);
    pclose(p);
    return n;
}

/* rostvakt sweep on dir/data, which kills itself (the test hook) after
 * kill_after erasures when kill_after is set. The wait status. */
static int sweep_logged(const char *kill_after, const char *log);
static int sweep(const char *kill_after) { return sweep_logged(kill_after, "/dev/null"); }

/* The same, its standard error into the file log. */
static int sweep_logged(const char *kill_after, const char *log)
{
    pid_t p = fork();
    cr_assert(p >= 0);
    if (p == 0) {
        char data[128], out[128];
        snprintf(data, sizeof data, "%s/data", dir);
        snprintf(out, sizeof out, "%s/report.json", dir);
        if (kill_after) setenv("RV_TEST_KILL_AFTER_ERASURES", kill_after, 1);
        else unsetenv("RV_TEST_KILL_AFTER_ERASURES");
        int devnull = open("/dev/null", O_WRONLY), err_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(devnull, 1);
        dup2(err_fd, 2);
        char profiles[1200];
        snprintf(profiles, sizeof profiles, "profile_dirs=%s", test_profile_dirs());
        execl(bin_path(), bin_path(), "sweep", "--data-dir", data, "--date", "2026-11-23", "--format", "json",
              "--out", out, "--set", profiles, (char *)NULL);
        _exit(127);
    }
    int status;
    cr_assert_eq(waitpid(p, &status, 0), p);
    return status;
}

static int killed(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }

/* kill -9 of `rostvakt sweep` at several points of its disposal (the hook
 * RV_TEST_KILL_AFTER_ERASURES: before the first erasure, after one, after
 * several, after all of them but before their records are dropped): after
 * the next start of the service, or the next sweep, no byte of a disposed
 * recording is left anywhere in the data directory, and the kept ones are
 * intact. */
Test(durable, kill_9_during_disposal_leaves_no_disposed_audio) {
    /* the store suite tests that disposal deletes the chunks in its transaction there; a skipped test runs
     * no .fini, so its server is stopped here */
    if (on_pg()) {
        teardown();
        cr_skip_test("SQLite's alone: disposed bytes erased from segments after the commit");
    }
    stop_server();
    static const char *const points[] = {"0", "1", "7", "24"};
    for (size_t k = 0; k < sizeof points / sizeof *points; k++) {
        char cmd[160];
        snprintf(cmd, sizeof cmd, "rm -rf '%s/data'", dir);
        cr_assert_eq(system(cmd), 0);
        seed();
        cr_expect_eq(left_behind(), N_DISPOSE, "before the sweep");
        int status = sweep(points[k]);
        cr_assert(killed(status), "the sweep killed itself after %s erasures (status %d)", points[k], status);
        int left = left_behind();
        if (atoi(points[k]) < N_DISPOSE)
            cr_expect_eq(left, N_DISPOSE - atoi(points[k]), "killed after %s erasures: %d left", points[k], left);
        if (k % 2 == 0) { /* the service's start finishes what the sweep began */
            start_server("0");
            stop_server();
        } else { /* the next sweep does */
            status = sweep(NULL);
            cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the next sweep (status %d)", status);
        }
        cr_expect_eq(left_behind(), 0, "killed after %s erasures, then %s: disposed recordings left on disk",
                     points[k], k % 2 == 0 ? "a start of the service" : "the next sweep");
        cr_expect_eq(recorded_erasures(), 0, "nothing left recorded to erase");
    }
}

/* Each segment file of dir/data put aside (hidden: 1) with a folder in its
 * place, which no erasure can open, or put back (0). */
static void segments_hidden(int hidden)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             hidden ? "cd '%s/data/audio' && for f in *.seg; do mv \"$f\" \"$f.aside\" && mkdir \"$f\"; done"
                    : "cd '%s/data/audio' && for f in *.seg.aside; do rmdir \"${f%%.aside}\" && mv \"$f\" \"${f%%.aside}\"; done",
             dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* Audio the sweep cannot erase is said, whether or not standard error is a
 * terminal, and is the sweep's exit status (75: the next sweep tries
 * again); the disposal stays recorded, and the next sweep erases it. */
Test(durable, a_disposal_not_erased_is_said_and_retried) {
    if (on_pg()) {
        teardown();
        cr_skip_test("SQLite's alone: disposed bytes erased from segments after the commit");
    }
    stop_server();
    seed();
    segments_hidden(1);
    char log[160];
    snprintf(log, sizeof log, "%s/sweep.log", dir);
    int status = sweep_logged(NULL, log);
    size_t n = 0;
    char *text = NULL;
    FILE *f = fopen(log, "r");
    cr_assert(f);
    cr_assert_geq(getdelim(&text, &n, '\0', f), 0);
    fclose(f);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 75, "status %d: %s", status, text);
    cr_expect(strstr(text, "24 recordings disposed of are not erased yet; the next sweep tries again") != NULL, "%s",
              text);
    cr_expect(strstr(text, "voicemail 1 disposed of, its audio not erased yet: cannot erase audio") != NULL, "%s",
              text);
    free(text);
    cr_expect_eq(recorded_erasures(), N_DISPOSE, "each erasure kept for the next sweep");
    segments_hidden(0);
    cr_expect_eq(left_behind(), N_DISPOSE, "nothing erased yet");
    status = sweep(NULL);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the next sweep (status %d)", status);
    cr_expect_eq(left_behind(), 0, "the next sweep erased them");
    cr_expect_eq(recorded_erasures(), 0, "nothing left recorded to erase");
}

/* A recording the disk cannot give back (here its segment made a folder)
 * is the disk's error, 500, not a recording that is not there (404): a
 * caller told "not found" would take it for gone. */
Test(durable, audio_the_disk_cannot_read_is_an_error_not_a_404) {
    if (on_pg()) {
        teardown();
        cr_skip_test("SQLite's alone: audio in segment files");
    }
    stop_server();
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/data'", dir);
    cr_assert_eq(system(cmd), 0);
    seed();
    start_server("0");
    sink o;
    cr_assert_eq(call("GET", "/v1/voicemails/1/audio", officer, NULL, &o), 200);
    char path[64];
    snprintf(path, sizeof path, "/v1/voicemails/%d/decision", N_DISPOSE + 1);
    cr_assert_eq(call("POST", path, officer,
                      "{\"decision\":\"registrera\",\"diarienummer\":\"KS 2026/1\",\"arendemening\":\"Ett ärende\"}", &o),
                 201, "%s", o.buf);
    segments_hidden(1);
    cr_expect_eq(call("GET", "/v1/voicemails/1/audio", officer, NULL, &o), 500, "%s", o.buf);
    cr_expect(strstr(o.buf, "cannot read stored audio") != NULL, "%s", o.buf);
    /* the package of a registered one: the disk's error, not "no such voicemail" */
    snprintf(path, sizeof path, "/v1/voicemails/%d/package", N_DISPOSE + 1);
    cr_expect_eq(call("POST", path, officer, NULL, &o), 500, "%s", o.buf);
    segments_hidden(0);
    cr_expect_eq(call("GET", "/v1/voicemails/1/audio", officer, NULL, &o), 200);
}

/* The same through the service: POST /v1/sweeps, the server killed by the
 * hook half-way through the erasures; its next start finishes them. */
Test(durable, kill_9_of_the_servers_sweep_leaves_no_disposed_audio) {
    /* the store suite tests that disposal deletes the chunks in its transaction there; a skipped test runs
     * no .fini, so its server is stopped here */
    if (on_pg()) {
        teardown();
        cr_skip_test("SQLite's alone: disposed bytes erased from segments after the commit");
    }
    char admin[80];
    token("admin", "it-drift", admin, sizeof admin);
    stop_server();
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/data'", dir);
    cr_assert_eq(system(cmd), 0);
    seed();
    setenv("RV_TEST_KILL_AFTER_ERASURES", "5", 1);
    start_server("0");
    unsetenv("RV_TEST_KILL_AFTER_ERASURES");
    CURL *c = curl_easy_init();
    char url[256], auth[128];
    snprintf(url, sizeof url, "%s/v1/sweeps?date=2026-11-23", base);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", admin);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    sink o = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "POST");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &o);
    cr_expect_neq(curl_easy_perform(c), CURLE_OK, "no answer: the server died in its sweep (%s)", o.buf);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    pid = 0;
    cr_assert(killed(status), "the server killed itself after 5 erasures (status %d)", status);
    cr_expect_eq(left_behind(), N_DISPOSE - 5);
    cr_expect_eq(recorded_erasures(), N_DISPOSE, "every erasure recorded with the disposal");
    start_server("0");
    cr_expect_eq(left_behind(), 0, "disposed recordings left on disk after the restart");
    cr_expect_eq(recorded_erasures(), 0, "nothing left recorded to erase");
}

/* ---- dates ---- */

/* X-Received-At is digits where digits belong: a sign or a space in a field
 * (which sscanf's %2d took) is 400, and nothing is stored. */
Test(durable, received_at_with_signs_in_its_fields_is_400) {
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    static const char *const bad[] = {"X-Received-At: 2026-+1-06T10:00:00Z", "X-Received-At: 2026-11-06T10:00:00+-1:-1",
                                      "X-Received-At: 2026-11- 6T10:00:00Z", "X-Received-At: 2026-11-06T10:00:+0Z"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *one[] = {bad[i], NULL};
        cr_expect_eq(post_audio("samples/v05-hangup.wav", pbx, "audio/wav", one, &o, NULL, 0), 400, "%s: %s", bad[i],
                     o.buf);
    }
    const char *good[] = {"X-Received-At: 2026-11-06T10:00:00+01:00", NULL};
    cr_expect_eq(post_audio("samples/v05-hangup.wav", pbx, "audio/wav", good, &o, NULL, 0), 201, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"id\":1,") != NULL, "only the good one stored: %s", o.buf);
}

/* ---- idempotent uploads ---- */

/* The same Idempotency-Key is the same upload only from the same sender with
 * the same audio: from the same PBX token with other audio it is 409 and
 * says nothing of the voicemail stored under it (an empty body included);
 * from another PBX token it is another key, stored as its own voicemail. */
Test(durable, idempotency_key_is_the_senders_and_the_contents) {
    sink o;
    char other[80], loc[128];
    token("pbx", "vaxel-2", other, sizeof other);
    stop_server();
    start_server("0");
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    const char *key[] = {"Idempotency-Key: msg-0001", NULL};
    cr_assert_eq(post_audio("samples/v05-hangup.wav", pbx, "audio/wav", key, &o, loc, sizeof loc), 201, "%s", o.buf);
    const char *idp = strstr(o.buf, "\"id\":"), *shap = strstr(o.buf, "\"audio_sha256\":\"");
    cr_assert(idp && shap, "%s", o.buf);
    long long first = atoll(idp + 5);
    char sha[65];
    snprintf(sha, sizeof sha, "%.64s", shap + 16);
    /* sent again: the same voicemail */
    cr_expect_eq(post_audio("samples/v05-hangup.wav", pbx, "audio/wav", key, &o, NULL, 0), 200, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"duplicate\":true") && strstr(o.buf, sha), "%s", o.buf);
    /* the same key, other audio, the same sender: a conflict that names nothing */
    cr_expect_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", key, &o, NULL, 0), 409, "%s", o.buf);
    cr_expect(!strstr(o.buf, sha) && !strstr(o.buf, "\"id\""), "%s", o.buf);
    cr_expect_eq(post_audio("/dev/null", pbx, "audio/wav", key, &o, NULL, 0), 409, "an empty body: %s", o.buf);
    cr_expect(!strstr(o.buf, sha) && !strstr(o.buf, "\"id\""), "%s", o.buf);
    /* another PBX's key of the same text is its own */
    cr_assert_eq(post_audio("samples/v03-ring-mig.wav", other, "audio/wav", key, &o, NULL, 0), 201, "%s", o.buf);
    cr_expect(!strstr(o.buf, sha), "%s", o.buf);
    idp = strstr(o.buf, "\"id\":");
    cr_assert(idp, "%s", o.buf);
    long long second = atoll(idp + 5);
    cr_expect_neq(second, first);
    cr_expect(stored_as(second, "samples/v03-ring-mig.wav"), "the other PBX's audio is stored");
    cr_expect(stored_as(first, "samples/v05-hangup.wav"), "the first is unchanged");
    cr_expect_eq(post_audio("samples/v03-ring-mig.wav", other, "audio/wav", key, &o, NULL, 0), 200, "%s", o.buf);
    cr_expect_eq(post_audio("samples/v05-hangup.wav", other, "audio/wav", key, &o, NULL, 0), 409, "%s", o.buf);
    cr_expect(!strstr(o.buf, sha) && !strstr(o.buf, "\"id\""), "%s", o.buf);
    cr_expect_eq(post_audio("/dev/null", other, "audio/wav", key, &o, NULL, 0), 409, "an empty body: %s", o.buf);
    cr_expect(!strstr(o.buf, "\"id\""), "%s", o.buf);
}
