/* Three rostvakt serve processes on one archive, as nodes behind a load
 * balancer, while one of them is killed: what was acknowledged is there
 * once and whole, and analysed; a sweep started on every node runs once;
 * leases, the queue's limit and revocations hold for the cluster. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

enum { MAX_NODES = 8 };
static pid_t nodes[MAX_NODES]; /* the nodes this suite started, killed at the end whatever failed */

static void stop_nodes(void)
{
    for (int i = 0; i < MAX_NODES; i++)
        if (nodes[i] > 0) {
            kill(nodes[i], SIGKILL);
            waitpid(nodes[i], NULL, 0);
            nodes[i] = 0;
        }
    teardown();
}

TestSuite(cluster, .init = setup, .fini = stop_nodes, .timeout = 300);

/* A node (spawn_node), remembered so that the suite's end stops it. */
static pid_t start_node(const char *tokens, const char *workers, const char *set1, const char *set2,
                        const char *hold_env, const char *hold_file, char url[64])
{
    pid_t p = spawn_node(tokens, workers, set1, set2, hold_env, hold_file, url);
    for (int i = 0; i < MAX_NODES; i++)
        if (nodes[i] <= 0) {
            nodes[i] = p;
            break;
        }
    return p;
}

static void kill_node(pid_t p)
{
    kill(p, SIGKILL);
    waitpid(p, NULL, 0);
    for (int i = 0; i < MAX_NODES; i++)
        if (nodes[i] == p) nodes[i] = 0;
}

/* One request to url+path, with a bearer token (tok or NULL), an
 * Idempotency-Key (key or NULL) and a body (NULL: none; audio/wav when
 * wav, else JSON). The status, 0 when the connection failed or was cut;
 * the answer's body into out (freed by the caller; NULL: dropped). Any
 * thread. */
static long http(const char *url, const char *method, const char *path, const char *tok, const char *key,
                 const void *body, size_t len, int wav, bin *out)
{
    CURL *c = curl_easy_init();
    if (!c) return 0;
    char where[256], auth[128], idem[128];
    snprintf(where, sizeof where, "%s%s", url, path);
    struct curl_slist *h = NULL;
    if (tok) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
        h = curl_slist_append(h, auth);
    }
    if (key) {
        snprintf(idem, sizeof idem, "Idempotency-Key: %s", key);
        h = curl_slist_append(h, idem);
    }
    if (body) h = curl_slist_append(h, wav ? "Content-Type: audio/wav" : "Content-Type: application/json");
    bin dropped = {0};
    curl_easy_setopt(c, CURLOPT_URL, where);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_bin);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out ? out : &dropped);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(dropped.buf);
    if (out && out->buf) out->buf[out->len] = '\0'; /* collect_bin keeps a byte free */
    return status;
}

static void sha256_hex(const void *p, size_t n, char hex[65])
{
    unsigned char md[32];
    unsigned len = 0;
    EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* A second of 8 kHz 16-bit mono WAVE, a tone and noise that differ with k:
 * every recording of the test its own SHA-256. */
enum { WAV_SAMPLES = 8000, WAV_LEN = 44 + 2 * WAV_SAMPLES };
static void make_wav(unsigned k, unsigned char w[WAV_LEN])
{
    memcpy(w, "RIFF", 4);
    unsigned v[] = {WAV_LEN - 8, 16, 1 | (1u << 16), 8000, 16000, 2 | (16u << 16), 2 * WAV_SAMPLES};
    unsigned char *p = w + 4;
    for (int i = 0; i < 7; i++) {
        if (i == 1) memcpy(p, "WAVEfmt ", 8), p += 8;
        if (i == 6) memcpy(p, "data", 4), p += 4;
        for (int b = 0; b < 4; b++) *p++ = (unsigned char)(v[i] >> (8 * b));
    }
    unsigned seed = 2463534242u ^ (k * 2654435761u);
    for (int i = 0; i < WAV_SAMPLES; i++) {
        seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
        int tone = ((i * (int)(3 + k % 11)) / 4) % 40 < 20 ? 3000 : -3000;
        int s = tone + (int)(seed % 2001) - 1000;
        *p++ = (unsigned char)(s & 0xff);
        *p++ = (unsigned char)((s >> 8) & 0xff);
    }
}

/* The first number the SQL query q on the archive gives (-1: none). */
static long long db_int(const char *q)
{
    char cmd[1024], db[512];
    sink o;
    db_shell(db, sizeof db);
    snprintf(cmd, sizeof cmd, "printf '%%s\\n' \"%s\" | %s", q, db);
    if (run(cmd, &o) != 0 || !o.len) return -1;
    return atoll(o.buf);
}

static long long wall_ms(void)
{
    struct timeval t;
    gettimeofday(&t, NULL);
    return (long long)t.tv_sec * 1000 + t.tv_usec / 1000;
}

/* The mailbox the voicemails are left in. */
static void anna(void)
{
    sink o;
    const char *a = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, a, &o), 201, "%s", o.buf);
}

/* ---- three nodes, eight uploaders, one node killed three times ---- */

enum { UPLOADERS = 8, EACH = 8, KILLS = 3 };

static struct {
    pthread_mutex_t lock;
    char url[3][64];            /* the nodes' base URLs (lock): node 0's changes at each restart */
    atomic_int acked, kills, sent_again; /* sent_again: to the next node, after a refusal or a cut */
} cl = {PTHREAD_MUTEX_INITIALIZER, {""}, 0, 0, 0};

typedef struct {
    int u;
    long long id[EACH];
    char sha[EACH][65];
    int failed;
    char why[300];
} uploader;

/* Uploader u: EACH voicemails, each to its node in turn; a connection
 * refused or cut, or a 503, is sent again to the next node with the same
 * Idempotency-Key. The (k+1)th pair waits for the kth kill, so that every
 * kill falls among uploads. Asserts nothing (not the test's thread). */
static void *upload_thread(void *arg)
{
    uploader *up = arg;
    unsigned char wav[WAV_LEN];
    for (int i = 0; i < EACH && !up->failed; i++) {
        long long until = wall_ms() + 120000;
        while (atomic_load(&cl.kills) < i / 2 && wall_ms() < until) usleep(10000);
        unsigned k = (unsigned)(up->u * EACH + i);
        make_wav(k, wav);
        sha256_hex(wav, sizeof wav, up->sha[i]);
        char key[32];
        snprintf(key, sizeof key, "msg-%u", k);
        int node = (up->u + i) % 3, done = 0;
        for (int attempt = 0; attempt < 600 && !done; attempt++) {
            char url[64];
            pthread_mutex_lock(&cl.lock);
            memcpy(url, cl.url[node], sizeof url);
            pthread_mutex_unlock(&cl.lock);
            bin o = {0};
            long st = http(url, "POST", "/v1/mailboxes/4711/voicemails", pbx, key, wav, sizeof wav, 1, &o);
            const char *id = o.buf ? strstr((char *)o.buf, "\"id\":") : NULL;
            if ((st == 201 || st == 200) && id) {
                up->id[i] = atoll(id + 5);
                done = 1;
            } else if (st == 0 || st == 503) {
                node = (node + 1) % 3; /* the load balancer's next node */
                atomic_fetch_add(&cl.sent_again, 1);
                if (node == (up->u + i) % 3) usleep(50000);
            } else {
                up->failed = 1;
                snprintf(up->why, sizeof up->why, "%s: %ld %.200s", key, st, o.buf ? (char *)o.buf : "");
            }
            free(o.buf);
        }
        if (done) atomic_fetch_add(&cl.acked, 1);
        else if (!up->failed) {
            up->failed = 1;
            snprintf(up->why, sizeof up->why, "%s: no node took it", key);
        }
    }
    return NULL;
}

Test(cluster, three_nodes_eight_uploaders_one_killed_three_times_lose_nothing) {
    char tokens[128];
    snprintf(tokens, sizeof tokens, "%s/tokens", dir);
    anna();
    stop_server();
    /* a short lease: what the killed node held is taken over soon */
    pid_t p[3];
    for (int i = 0; i < 3; i++) p[i] = start_node(tokens, "1", "analysis_lease=2", NULL, NULL, NULL, cl.url[i]);
    atomic_store(&cl.acked, 0);
    atomic_store(&cl.kills, 0);
    atomic_store(&cl.sent_again, 0);
    uploader ups[UPLOADERS];
    pthread_t th[UPLOADERS];
    memset(ups, 0, sizeof ups);
    for (int u = 0; u < UPLOADERS; u++) {
        ups[u].u = u;
        cr_assert_eq(pthread_create(&th[u], NULL, upload_thread, &ups[u]), 0);
    }
    for (int k = 0; k < KILLS; k++) { /* half way through each pair of uploads */
        int want = UPLOADERS * 2 * k + UPLOADERS;
        long long until = wall_ms() + 120000;
        while (atomic_load(&cl.acked) < want && wall_ms() < until) usleep(5000);
        kill_node(p[0]);
        char url[64];
        atomic_fetch_add(&cl.kills, 1);
        p[0] = start_node(tokens, "1", "analysis_lease=2", NULL, NULL, NULL, url);
        pthread_mutex_lock(&cl.lock);
        memcpy(cl.url[0], url, sizeof url);
        pthread_mutex_unlock(&cl.lock);
    }
    for (int u = 0; u < UPLOADERS; u++) pthread_join(th[u], NULL);
    for (int u = 0; u < UPLOADERS; u++) cr_assert(!ups[u].failed, "uploader %d: %s", u, ups[u].why);
    cr_assert_eq(atomic_load(&cl.acked), UPLOADERS * EACH);
    cr_expect(atomic_load(&cl.sent_again) > 0, "some uploads met the killed node and went to another");
    /* each acknowledged voicemail once, its audio the bytes sent */
    cr_expect_eq(db_int("SELECT count(*) FROM voicemails"), UPLOADERS * EACH, "one voicemail an upload, no copy");
    cr_expect_eq(db_int("SELECT count(DISTINCT audio_sha256) FROM voicemails"), UPLOADERS * EACH);
    for (int u = 0; u < UPLOADERS; u++)
        for (int i = 0; i < EACH; i++) {
            char path[64], got[65] = "";
            snprintf(path, sizeof path, "/v1/voicemails/%lld/audio", ups[u].id[i]);
            bin b = {0};
            long st = http(cl.url[(u + i + 1) % 3], "GET", path, officer, NULL, NULL, 0, 0, &b);
            if (st == 200) sha256_hex(b.buf, b.len, got);
            cr_expect_eq(st, 200, "%s: %.200s", path, st != 200 && b.buf ? (char *)b.buf : "");
            free(b.buf);
            cr_expect_str_eq(got, ups[u].sha[i], "voicemail %lld is the recording sent", ups[u].id[i]);
        }
    /* and every one analysed, the killed node's claims taken over */
    long long owed = -1;
    for (int t = 0; t < 3600 && owed != 0; t++) {
        owed = db_int("SELECT count(*) FROM voicemails WHERE state NOT IN ('analysed', 'failed')");
        if (owed != 0) usleep(100000);
    }
    cr_expect_eq(owed, 0, "every voicemail analysed");
    cr_expect_eq(db_int("SELECT count(*) FROM analysis_jobs"), 0, "no job is left");
}

/* The upload's commit finds the archive's write lock held by another
 * process (another node) and is tried again until it is free: the 201 then
 * stands for the audio sent, not for bytes given back after the first try
 * (a hole read as zeros). */
Test(cluster, an_upload_held_up_by_another_nodes_write_keeps_its_audio) {
    sink o;
    char cmd[1536], db[512], flag[128], loc[128];
    anna();
    db_shell(db, sizeof db);
    snprintf(flag, sizeof flag, "%s/locked", dir);
    snprintf(cmd, sizeof cmd,
             "(echo '%s'; sleep 1; touch %s; sleep 2; echo 'COMMIT;') | %s > %s/lock.out 2>&1 &",
             db_write_lock_sql(), flag, db, dir);
    cr_assert_eq(system(cmd), 0);
    for (int i = 0; i < 200 && access(flag, F_OK) != 0; i++) usleep(25000);
    cr_assert_eq(access(flag, F_OK), 0, "the other process holds the lock");
    const char *key[] = {"Idempotency-Key: held-up-1", NULL};
    long st = 0;
    for (int i = 0; i < 100 && st != 201 && st != 200; i++) { /* as pbx-sync does after a 503 */
        st = post_audio("samples/v01-bygglov.wav", pbx, "audio/wav", key, &o, loc, sizeof loc);
        if (st == 503) usleep(100000);
    }
    cr_assert(st == 201 || st == 200, "%ld %s", st, o.buf);
    const char *id = strstr(o.buf, "\"id\":");
    cr_assert(id, "%s", o.buf);
    cr_expect(stored_as(atoll(id + 5), "samples/v01-bygglov.wav"), "the audio acknowledged is the audio sent");
}

/* ---- a sweep started on every node at once ---- */

static void *post_sweep(void *arg)
{
    const char **a = arg; /* url, token; the status into a[2] */
    long st = http(a[0], "POST", "/v1/sweeps?date=2026-12-09&allow_future=true", a[1], NULL, NULL, 0, 0, NULL);
    a[2] = (const char *)(intptr_t)st;
    return NULL;
}

/* rostvakt sweep --once on the archive for date, mailing to port. */
static void once_cmd(char *out, size_t cap, const char *date, int port)
{
    const char *exe = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
    snprintf(out, cap,
             "%s sweep --once --data-dir %s/data --date %s --allow-future --mail --set mail_smtp_url=smtp://127.0.0.1:%d"
             " --set mail_from=rostvakt@kommun.se --format json --out %s/reports/sweep-{date}.{format}",
             exe, dir, date, port, dir);
}

/* The nightly sweep's timer fires on the three nodes at the same moment:
 * one run, one kept report, one mail; the other two say so. Then an admin
 * asks three nodes for a sweep over HTTP at once: one runs, the others
 * answer 409, and a nightly run started meanwhile waits for it and then
 * runs (a sweep over HTTP sends no mail, so the night's is still owed). */
Test(cluster, a_sweep_started_on_three_nodes_at_once_runs_once) {
    sink o;
    char admin[80], cmd[4096], one[1024];
    token("admin", "chef", admin, sizeof admin);
    for (int i = 0; i < 200 && call("GET", "/v1/session", admin, NULL, &o) != 200; i++) usleep(25000);
    anna();
    cr_assert_eq(call("PUT", "/v1/units/Ekonomienheten", admin, "{\"managers\":[\"chef@kommun.se\"]}", &o), 201, "%s",
                 o.buf);
    int port = free_port();
    mail_server_start(port);
    once_cmd(one, sizeof one, "2026-12-08", port);
    snprintf(cmd, sizeof cmd,
             "(%s 2> %s/s1.err > /dev/null & %s 2> %s/s2.err > /dev/null & %s 2> %s/s3.err > /dev/null & wait)"
             " && cat %s/s1.err %s/s2.err %s/s3.err",
             one, dir, one, dir, one, dir, dir, dir, dir);
    cr_assert_eq(run(cmd, &o), 0, "%s", o.buf);
    int stood_down = 0;
    for (const char *s = o.buf; (s = strstr(s, "has run, or is running, elsewhere")); s++) stood_down++;
    cr_expect_eq(stood_down, 2, "two of the three stood down: %s", o.buf);
    cr_expect(strstr(o.buf, "1 new, 1 sent") != NULL, "the third mailed: %s", o.buf);
    cr_expect_eq(mail_server_mails(&o), 1, "one mail: %s", o.buf);
    cr_expect_eq(db_int("SELECT count(*) FROM sweeps WHERE date = '2026-12-08'"), 1, "one report kept");

    /* over HTTP: the first node's sweep held (a test hook) while the
     * others are asked */
    char tokens[128], hold[128], url[3][64];
    snprintf(tokens, sizeof tokens, "%s/tokens", dir);
    snprintf(hold, sizeof hold, "%s/sweep-go", dir);
    stop_server();
    for (int i = 0; i < 3; i++) start_node(tokens, "0", NULL, NULL, i == 0 ? "RV_TEST_SWEEP_HOLD" : NULL, hold, url[i]);
    const char *first[3] = {url[0], admin, NULL};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, post_sweep, first), 0);
    long long running = 0;
    for (int t = 0; t < 1200 && running != 1; t++) {
        running = db_int("SELECT count(*) FROM sweep_runs WHERE date = '2026-12-09' AND finished_ms IS NULL");
        if (running != 1) usleep(25000);
    }
    cr_expect_eq(running, 1, "the first node's sweep holds the date");
    for (int i = 1; i < 3; i++) {
        bin b = {0};
        long st = http(url[i], "POST", "/v1/sweeps?date=2026-12-09&allow_future=true", admin, NULL, NULL, 0, 0, &b);
        cr_expect_eq(st, 409, "node %d: %s", i, b.buf ? (char *)b.buf : "");
        cr_expect(b.buf && strstr((char *)b.buf, "sweep_running"), "%s", b.buf ? (char *)b.buf : "");
        free(b.buf);
    }
    /* the night's run, started now, waits for it */
    mail_server_stop();
    port = free_port();
    mail_server_start(port);
    once_cmd(one, sizeof one, "2026-12-09", port);
    snprintf(cmd, sizeof cmd, "%s > /dev/null 2> %s/night.err", one, dir);
    pid_t night = fork();
    cr_assert(night >= 0);
    if (night == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    /* it waits while the first node's sweep holds the date */
    int st = 0;
    for (int t = 0; t < 40 && waitpid(night, &st, WNOHANG) == 0; t++) usleep(25000);
    cr_expect_eq(waitpid(night, &st, WNOHANG), 0, "the night's run waits for the sweep going on");
    write_file(hold, "go\n");
    pthread_join(th, NULL);
    cr_expect_eq((long)(intptr_t)first[2], 200, "the first node's sweep ran");
    cr_assert_eq(waitpid(night, &st, 0), night);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    snprintf(cmd, sizeof cmd, "cat %s/night.err", dir);
    run(cmd, &o);
    cr_expect(strstr(o.buf, "elsewhere") == NULL, "the night's run ran after it: %s", o.buf);
    cr_expect(strstr(o.buf, "1 sent") != NULL, "and mailed: %s", o.buf);
    cr_expect_eq(db_int("SELECT count(*) FROM sweep_runs WHERE date = '2026-12-09' AND finished_ms IS NOT NULL"), 1);
    mail_server_stop();
}

/* ---- leases, the queue's limit, revocations ---- */

/* Analyses recorded by the node at url since it started (its /metrics). */
static long analyses_of(const char *url)
{
    bin b = {0};
    cr_assert_eq(http(url, "GET", "/metrics", NULL, NULL, NULL, 0, 0, &b), 200);
    const char *t = (const char *)b.buf;
    const char *a = strstr(t, "rostvakt_analyses_total{result=\"analysed\"} ");
    const char *f = strstr(t, "rostvakt_analyses_total{result=\"failed\"} ");
    cr_assert(a && f, "%s", t);
    long n = atol(a + strlen("rostvakt_analyses_total{result=\"analysed\"} ")) +
             atol(f + strlen("rostvakt_analyses_total{result=\"failed\"} "));
    free(b.buf);
    return n;
}

/* An analysis that takes longer than the lease (held by a test hook): its
 * node renews the lease while it works, so the other node, idle and
 * looking, never takes the voicemail; it is analysed once, by the first. */
Test(cluster, an_analysis_longer_than_its_lease_is_not_taken_over) {
    char tokens[128], hold[128], a[64], b[64], q[200];
    snprintf(tokens, sizeof tokens, "%s/tokens", dir);
    snprintf(hold, sizeof hold, "%s/analysis-go", dir);
    anna();
    stop_server();
    pid_t pa = start_node(tokens, "1", "analysis_lease=5", NULL, "RV_TEST_ANALYSIS_HOLD", hold, a);
    unsigned char wav[WAV_LEN];
    make_wav(7, wav);
    bin o = {0};
    cr_assert_eq(http(a, "POST", "/v1/mailboxes/4711/voicemails", pbx, NULL, wav, sizeof wav, 1, &o), 201, "%s",
                 o.buf ? (char *)o.buf : "");
    free(o.buf);
    snprintf(q, sizeof q, "SELECT lease_until_ms FROM analysis_jobs WHERE claimed_by LIKE '%%:%ld:%%'", (long)pa);
    long long first = -1;
    for (int t = 0; t < 2400 && first <= 0; t++) {
        first = db_int(q);
        if (first <= 0) usleep(25000);
    }
    cr_assert(first > 0, "the first node claims it");
    start_node(tokens, "1", "analysis_lease=5", NULL, NULL, NULL, b);
    /* past the first lease by more than a second: the other node, looking
     * each second, has had its chance to take a lease run out */
    long long lease = first;
    while (wall_ms() < first + 2500 && lease > 0) {
        lease = db_int(q);
        usleep(50000);
    }
    cr_expect(lease > first, "the lease was renewed (%lld, then %lld)", first, lease);
    cr_expect_eq(analyses_of(b), 0, "the other node did not take it");
    write_file(hold, "go\n");
    long long owed = -1;
    for (int t = 0; t < 2400 && owed != 0; t++) {
        owed = db_int("SELECT count(*) FROM voicemails WHERE state NOT IN ('analysed', 'failed')");
        if (owed != 0) usleep(25000);
    }
    cr_expect_eq(owed, 0, "analysed once released");
    cr_expect_eq(analyses_of(a) + analyses_of(b), 1, "once");
}

/* max_queue holds the queue every node shares: a node that took no
 * upload refuses one (503) when the others filled it. */
Test(cluster, max_queue_counts_the_queue_of_every_node) {
    char tokens[128], a[64], b[64];
    snprintf(tokens, sizeof tokens, "%s/tokens", dir);
    anna();
    stop_server();
    start_node(tokens, "0", "max_queue=3", NULL, NULL, NULL, a);
    start_node(tokens, "0", "max_queue=3", NULL, NULL, NULL, b);
    unsigned char wav[WAV_LEN];
    for (unsigned k = 0; k < 3; k++) {
        make_wav(100 + k, wav);
        cr_assert_eq(http(a, "POST", "/v1/mailboxes/4711/voicemails", pbx, NULL, wav, sizeof wav, 1, NULL), 201);
    }
    /* the second node learns the depth (it reads it each second) */
    int seen = 0;
    for (int t = 0; t < 400 && !seen; t++) {
        bin m = {0};
        cr_assert_eq(http(b, "GET", "/metrics", NULL, NULL, NULL, 0, 0, &m), 200);
        seen = strstr((char *)m.buf, "\nrostvakt_queue_depth 3\n") != NULL;
        free(m.buf);
        if (!seen) usleep(25000);
    }
    cr_assert(seen, "the second node knows the queue's depth");
    make_wav(103, wav);
    bin o = {0};
    long st = http(b, "POST", "/v1/mailboxes/4711/voicemails", pbx, NULL, wav, sizeof wav, 1, &o);
    cr_expect_eq(st, 503, "the queue is full: %s", o.buf ? (char *)o.buf : "");
    cr_expect(o.buf && strstr((char *)o.buf, "queue_full"), "%s", o.buf ? (char *)o.buf : "");
    free(o.buf);
    cr_expect_eq(db_int("SELECT count(*) FROM voicemails"), 3);
}

/* rostvakt token --revoke on a machine whose tokens file no node reads
 * (each node keeps a copy of its own): the revocation goes to the archive,
 * and every node refuses the token and its sessions. */
Test(cluster, token_revoke_reaches_every_node_through_the_archive) {
    sink o;
    char alice[80], cmd[1024], url[2][64], copy[2][128], cookie[200] = "Cookie: ";
    token("officer", "alice", alice, sizeof alice);
    stop_server();
    for (int i = 0; i < 2; i++) {
        snprintf(copy[i], sizeof copy[i], "%s/tokens-%d", dir, i);
        snprintf(cmd, sizeof cmd, "cp %s/tokens %s", dir, copy[i]);
        cr_assert_eq(system(cmd), 0);
        start_node(copy[i], "0", NULL, NULL, NULL, NULL, url[i]);
    }
    /* a session made with the token on the first node */
    char body[160];
    snprintf(body, sizeof body, "{\"token\":\"%s\"}", alice);
    memcpy(base, url[0], sizeof base);
    cookies k = {""};
    cr_assert_eq(call_h("POST", "/v1/session", NULL, NULL, NULL, body, &o, &k), 201, "%s", o.buf);
    snprintf(cookie + 8, sizeof cookie - 8, "%.*s", (int)strcspn(k.cookie, ";"), k.cookie);
    for (int i = 0; i < 2; i++)
        cr_assert_eq(http(url[i], "GET", "/v1/session", alice, NULL, NULL, 0, 0, NULL), 200);
    snprintf(cmd, sizeof cmd, "%s token --tokens %s/tokens --revoke alice --data-dir %s/data 2>&1",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", dir, dir);
    cr_assert_eq(run(cmd, &o), 0, "%s", o.buf);
    for (int i = 0; i < 2; i++) {
        int refused = 0;
        for (int t = 0; t < 400 && !refused; t++) {
            refused = http(url[i], "GET", "/v1/session", alice, NULL, NULL, 0, 0, NULL) == 401;
            if (!refused) usleep(25000);
        }
        cr_expect(refused, "node %d refuses the token", i);
        memcpy(base, url[i], sizeof base);
        cr_expect_eq(call_h("GET", "/v1/session", cookie, NULL, NULL, NULL, &o, NULL), 401,
                     "node %d: and the session made with it: %s", i, o.buf);
        cr_expect_eq(http(url[i], "GET", "/v1/session", officer, NULL, NULL, 0, 0, NULL), 200,
                     "node %d: another token still works", i);
    }
    cr_expect_eq(db_int("SELECT count(*) FROM revoked_tokens WHERE name = 'alice'"), 1);
    /* the file the command was given no longer names it */
    snprintf(cmd, sizeof cmd, "grep -c '^alice' %s/tokens", dir);
    run(cmd, &o);
    cr_expect_eq(atoi(o.buf), 0, "%s", o.buf);
}

/* A revocation that cannot reach the archive changes nothing: exit 64 (a
 * --data-dir with no archive, as for every command) naming what is wrong, and the tokens file still names the token (run
 * again once the archive is there). A folder that is not there is not made
 * an archive. */
Test(cluster, a_revocation_that_cannot_reach_the_archive_changes_nothing) {
    sink o;
    char alice[80], cmd[1024];
    token("officer", "alice", alice, sizeof alice);
    snprintf(cmd, sizeof cmd, "%s token --tokens %s/tokens --revoke alice --data-dir %s/no-such-folder 2>&1",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", dir, dir);
    cr_expect_eq(run(cmd, &o), 64, "%s", o.buf);
    cr_expect(strstr(o.buf, "no-such-folder") != NULL, "%s", o.buf);
    snprintf(cmd, sizeof cmd, "%s/no-such-folder", dir);
    cr_expect_neq(access(cmd, F_OK), 0, "no archive made");
    snprintf(cmd, sizeof cmd, "grep -c '^alice' %s/tokens", dir);
    run(cmd, &o);
    cr_expect_eq(atoi(o.buf), 1, "still in the file: %s", o.buf);
    cr_expect_eq(call("GET", "/v1/session", alice, NULL, &o), 200, "and still good: %s", o.buf);
}
