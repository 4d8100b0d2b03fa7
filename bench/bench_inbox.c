/* make bench: the inbox's list call over a large archive. Seeds DIR with
 * 500 mailboxes in 20 units and N voicemails over the past two years (most
 * analysed, older ones decided and listened to, as an archive in use is),
 * then times GET /v1/voicemails with the web app's filters against a
 * running `rostvakt serve` on that archive: one connection kept alive,
 * requests one after another, so that each time is the service's own plus
 * the loopback.
 * usage: bench_inbox seed DIR VOICEMAILS | bench_inbox run URL TOKEN */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rostvakt/calendar.h"
#include "rostvakt/store.h"

/* a decision the seeding records (the store's name for it) */
#define DECIDED "halls_ordnad"

static unsigned long long rng = 88172645463325252ull;
static unsigned next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng >> 11);
}

static void check(rv_err rc, const rv_error *e, const char *what)
{
    if (rc == RV_OK) return;
    fprintf(stderr, "bench_inbox: %s: %s\n", what, e->msg);
    exit(1);
}

enum { BATCH = 1000, MAILBOXES = 500 };

static int seed(const char *dir, long n)
{
    rv_store *st;
    rv_error e;
    check(rv_store_open(dir, &st, &e), &e, "open");
    check(rv_store_begin(st, &e), &e, "begin");
    static const char *const first[] = {"Anna", "Per", "Maria", "Lena", "Örjan", "Karin", "Erik", "Åsa"};
    for (long i = 0; i < MAILBOXES; i++) {
        rv_mailbox m = {.org = "Kommunen", .profile = "default"};
        snprintf(m.ext, sizeof m.ext, "%ld", 4000 + i);
        snprintf(m.first_name, sizeof m.first_name, "%s", first[i % 8]);
        snprintf(m.last_name, sizeof m.last_name, "Svensson%ld", i);
        snprintf(m.unit, sizeof m.unit, "Enhet %02ld", i % 20);
        int created;
        check(rv_store_put_mailbox(st, &m, "2025-01-01T00:00:00Z", &created, &e), &e, "mailbox");
    }
    long today = rv_local_today(RV_CAL_SE);
    static const char *const cls[] = {"empty", "ephemeral", "possible_public_record"};
    static rv_vm_new v[BATCH];
    static rv_vm_done d[BATCH];
    static char ext[BATCH][24], sha[BATCH][65], at[BATCH][32], caller[BATCH][24];
    static long age[BATCH];
    long done = 0;
    while (done < n) {
        size_t k = n - done < BATCH ? (size_t)(n - done) : BATCH;
        for (size_t i = 0; i < k; i++) {
            long j = done + (long)i;
            /* oldest first, over two years, the newest today */
            age[i] = (n - 1 - j) * 730 / n;
            char day[11];
            rv_format_date(today - age[i], day);
            snprintf(at[i], sizeof at[i], "%sT%02u:%02u:%02uZ", day, 6 + next() % 12, next() % 60, next() % 60);
            snprintf(ext[i], sizeof ext[i], "%u", 4000 + next() % MAILBOXES);
            snprintf(sha[i], sizeof sha[i], "%016x%016x%016x%016lx", next(), next(), next(), (unsigned long)j);
            snprintf(caller[i], sizeof caller[i], "+46%09u", 700000000 + next() % 99999999);
            v[i] = (rv_vm_new){.ext = ext[i], .sha256 = sha[i], .content_type = "audio/wav", .bytes = 240000,
                               .caller = caller[i], .received_at = at[i], .actor = "vaxel", .remote = "",
                               .now = at[i]};
        }
        check(rv_store_add_voicemails(st, v, k, &e), &e, "voicemails");
        size_t nd = 0;
        for (size_t i = 0; i < k; i++) {
            check(v[i].rc, &v[i].err, "voicemail");
            if (age[i] == 0 && next() % 4 == 0) continue; /* some of today's still queued */
            d[nd++] = (rv_vm_done){.id = v[i].id, .state = "analysed", .classification = cls[next() % 3],
                                   .report = "{\"duration_s\":12.5,\"reasons\":[\"long_message\"]}", .now_iso = at[i]};
        }
        check(rv_store_finish_voicemails(st, d, nd, &e), &e, "analyses");
        for (size_t i = 0; i < k; i++) {
            long long id;
            if (age[i] > 2 && next() % 10 < 9) /* listened to */
                check(rv_store_audit(st, at[i], "registrator", "127.0.0.1", "audio_read", v[i].id, NULL, NULL, &e), &e,
                      "audit");
            if (age[i] > 30 || (age[i] > 3 && next() % 2)) /* decided, but the last weeks' */
                check(rv_store_add_decision(st, v[i].id, &(rv_decision_record){.decision = DECIDED}, "registrator", at[i], &id,
                                            &e),
                      &e, "decision");
        }
        done += (long)k;
    }
    check(rv_store_end(st, RV_OK, &e), &e, "commit");
    rv_store_close(st);
    printf("  seeded: %d mailboxes, %ld voicemails over two years (older than a month decided, most listened to)\n",
           MAILBOXES, n);
    return 0;
}

static size_t discard(char *p, size_t sz, size_t n, void *u)
{
    (void)p;
    size_t *total = u;
    *total += sz * n;
    return sz * n;
}

static double ms_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int run(const char *url, const char *token)
{
    char today[11], auth[160];
    rv_format_date(rv_local_today(RV_CAL_SE), today);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    struct {
        const char *what;
        char query[160];
    } calls[] = {
        {"the inbox (undecided, 25)", "decision=none&limit=25"},
        {"all, newest first", "limit=25"},
        {"Nya (nobody listened)", "listened=false&limit=25"},
        {"Idag (a local date)", ""},
        {"a unit's undecided", "decision=none&unit=enhet%2007&limit=25"},
        {"possible public records, undecided", "classification=possible_public_record&decision=none&limit=25"},
        {"by caller number", "caller=0701&limit=25"},
        {"by mailbox name", "q=svensson12&limit=25"},
        {"page 40 of all (after=)", ""},
    };
    snprintf(calls[3].query, sizeof calls[3].query, "from=%s&to=%s&limit=25", today, today);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, auth);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    size_t got = 0;
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &got);
    /* a cursor 40 pages down: the 1000th newest, two pages of 500 on */
    {
        static char body[1 << 20];
        long long id = 0;
        for (int page = 0; page < 2; page++) {
            char u[512];
            if (page) snprintf(u, sizeof u, "%s/v1/voicemails?limit=500&after=%lld", url, id);
            else snprintf(u, sizeof u, "%s/v1/voicemails?limit=500", url);
            FILE *f = fmemopen(body, sizeof body - 1, "w");
            memset(body, 0, sizeof body);
            curl_easy_setopt(c, CURLOPT_URL, u);
            curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, NULL);
            curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
            CURLcode rc = curl_easy_perform(c);
            fclose(f);
            const char *nx = rc == CURLE_OK ? strstr(body, "\"next\":\"") : NULL;
            id = nx ? atoll(nx + 8) : 0;
        }
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &got);
        snprintf(calls[8].query, sizeof calls[8].query, "limit=25&after=%lld", id);
    }
    enum { WARM = 10, N = 200 };
    static double t[N];
    printf("  GET /v1/voicemails, one connection kept alive, %d calls each after %d (ms: p50 p95 max):\n", N, WARM);
    int ok = 1;
    for (size_t k = 0; k < sizeof calls / sizeof *calls; k++) {
        char u[512];
        snprintf(u, sizeof u, "%s/v1/voicemails?%s", url, calls[k].query);
        curl_easy_setopt(c, CURLOPT_URL, u);
        long status = 0;
        for (int i = 0; i < WARM + N; i++) {
            double t0 = ms_now();
            if (curl_easy_perform(c) != CURLE_OK) {
                fprintf(stderr, "bench_inbox: %s failed\n", u);
                return 1;
            }
            if (i >= WARM) t[i - WARM] = ms_now() - t0;
            /* every call's answer, not the last one's: a time of refusals is no figure */
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
            if (status != 200) {
                fprintf(stderr, "bench_inbox: %s answered %ld (call %d); no figure for it\n", u, status, i + 1);
                return 1;
            }
        }
        qsort(t, N, sizeof *t, cmp);
        printf("    %-38s %6.1f %6.1f %6.1f\n", calls[k].what, t[N / 2], t[N * 95 / 100], t[N - 1]);
        if (k == 0 && t[N * 95 / 100] > 50) ok = 0;
    }
    printf("  the inbox's call: p95 %s 50 ms\n", ok ? "<=" : "ABOVE");
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "seed") == 0) return seed(argv[2], atol(argv[3]));
    if (argc == 4 && strcmp(argv[1], "run") == 0) return run(argv[2], argv[3]);
    fprintf(stderr, "usage: bench_inbox seed DIR VOICEMAILS | bench_inbox run URL TOKEN\n");
    return 64;
}
