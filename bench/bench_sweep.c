/* make bench: the nightly sweep over a synthetic archive with current
 * analyses. Seeds DIR with N mailboxes (units, the shipped profiles, 90 %
 * with a greeting: compliant, not, missing, absences) and M voicemails over
 * the past year (empty, ephemeral, possible public records; call-backs and
 * decisions on some), then times rv_sweep_run (JSON report) twice: the first
 * run disposes of what has fallen due, the second finds nothing new.
 * Seeding writes through the store, as the service would; seeding and
 * sweeping are separate processes, so the peak resident memory printed is
 * the sweep's own.
 * STORE, when given, is the setting store (a PostgreSQL connection string):
 * the archive is that database, DIR its data directory.
 * usage: bench_sweep seed DIR MAILBOXES VOICEMAILS [STORE] | bench_sweep run DIR [STORE] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "rostvakt/calendar.h"
#include "rostvakt/greeting.h"
#include "rostvakt/policy.h"
#include "rostvakt/store.h"
#include "rostvakt/sweep.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double peak_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

/* CPU seconds of this process (user and system) */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static unsigned long long rng = 88172645463325252ull;
static unsigned next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng >> 11);
}

static void check(rv_err rc, const rv_error *e, const char *what)
{
    if (rc == RV_OK) return;
    fprintf(stderr, "bench_sweep: %s: %s\n", what, e->msg);
    exit(1);
}

/* A batch of voicemails, written together through the store. */
enum { BATCH = 1000 };
typedef struct {
    char ext[24], sha[65], at[32];
    const char *cls;
    int callback, decision, registered;
} seed_vm;

static void write_batch(rv_store *st, seed_vm *b, size_t n)
{
    static rv_vm_new v[BATCH];
    static rv_vm_done d[BATCH];
    rv_error e;
    for (size_t i = 0; i < n; i++)
        v[i] = (rv_vm_new){.ext = b[i].ext, .sha256 = b[i].sha, .content_type = "audio/wav", .bytes = 240000,
                           .caller = "+46701234567", .received_at = b[i].at};
    check(rv_store_add_voicemails(st, v, n, &e), &e, "voicemails");
    for (size_t i = 0; i < n; i++) {
        check(v[i].rc, &v[i].err, "voicemail");
        d[i] = (rv_vm_done){.id = v[i].id, .state = "analysed", .classification = b[i].cls, .report = "{}",
                            .now_iso = b[i].at};
    }
    check(rv_store_finish_voicemails(st, d, n, &e), &e, "analyses");
    for (size_t i = 0; i < n; i++) {
        if (b[i].callback) check(rv_store_set_callback(st, v[i].id, b[i].at, &e), &e, "call-back");
        long long id;
        if (b[i].decision)
            check(rv_store_add_decision(st, v[i].id,
                                        &(rv_decision_record){.decision = b[i].registered ? "registrera" : "halls_ordnad",
                                                              .diarienummer = b[i].registered ? "KS 2026/1" : NULL},
                                        "registrator", b[i].at, &id, &e),
                  &e, "decision");
    }
}

static int sweep(const char *dir, const char *store);

static rv_err open_store(const char *dir, const char *store, rv_store **st, rv_error *e)
{
    return store ? rv_store_connect(store, 0, dir, st, e) : rv_store_open(dir, st, e);
}

int main(int argc, char **argv)
{
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "run") == 0) return sweep(argv[2], argc == 4 ? argv[3] : NULL);
    if ((argc != 5 && argc != 6) || strcmp(argv[1], "seed") != 0) {
        fprintf(stderr, "usage: bench_sweep seed DIR MAILBOXES VOICEMAILS [STORE] | bench_sweep run DIR [STORE]\n");
        return 64;
    }
    const char *dir = argv[2];
    long n_mb = atol(argv[3]), n_vm = atol(argv[4]);
    rv_error e;
    const char *names[] = {"botkyrka", "essunga-grastorp", "lemland", "nvk", "falkenberg", "default"};
    char versions[6][40];
    for (int i = 0; i < 6; i++) {
        rv_profile p;
        if (rv_profile_find("models/profiles", names[i], &p, &e) != RV_OK) {
            fprintf(stderr, "bench_sweep: %s\n", e.msg);
            return 1;
        }
        rv_greeting_version("bench", &p, versions[i]);
    }
    /* seeding is not what is measured: through the store, in one transaction */
    rv_store *st;
    check(open_store(dir, argc == 6 ? argv[5] : NULL, &st, &e), &e, "open");
    check(rv_store_begin(st, &e), &e, "begin");
    long base = rv_days_from_civil(2026, 11, 23);
    for (long i = 0; i < n_mb; i++) {
        char sha[65];
        rv_mailbox m = {.first_name = "Anna", .org = "Kommunen"};
        snprintf(m.ext, sizeof m.ext, "%ld", 100000 + i);
        snprintf(m.last_name, sizeof m.last_name, "Svensson%ld", i);
        snprintf(m.unit, sizeof m.unit, "Enhet %03ld", i % 200);
        int pi = (int)(i % 6);
        snprintf(m.profile, sizeof m.profile, "%s", names[pi]);
        int created;
        check(rv_store_put_mailbox(st, &m, "2026-01-01T00:00:00Z", &created, &e), &e, "mailbox");
        unsigned r = next() % 100;
        if (r >= 90) continue; /* no greeting */
        snprintf(sha, sizeof sha, "%016x%016x%016x%016x", next(), next(), next(), (unsigned)i);
        rv_greeting_row g = {.ext = m.ext, .sha256 = sha, .content_type = "audio/wav", .bytes = 80000,
                             .received_at = "2026-10-01T08:00:00Z", .report = "{}",
                             .compliance = r < 70 ? RV_COMPLIANCE_YES : RV_COMPLIANCE_NO,
                             .violations = r < 70 ? "" : r < 85 ? "name_missing" : "system_prompt",
                             .missing_reason = r >= 85 ? "system_prompt" : NULL,
                             .absence_until = r < 3 ? "2026-11-10T12:00" : NULL, .profile = names[pi],
                             .models_version = versions[pi]};
        long long gid;
        check(rv_store_add_greeting(st, &g, &gid, &e), &e, "greeting");
    }
    static const char *const cls[] = {"empty", "ephemeral", "possible_public_record"};
    static seed_vm batch[BATCH];
    size_t nb = 0;
    for (long i = 0; i < n_vm; i++) {
        seed_vm *x = &batch[nb++];
        char d[11];
        snprintf(x->ext, sizeof x->ext, "%ld", 100000 + (long)(next() % (unsigned)n_mb));
        snprintf(x->sha, sizeof x->sha, "%016x%016x%016x%016lx", next(), next(), next(), (unsigned long)i);
        rv_format_date(base - (long)(next() % 365), d);
        snprintf(x->at, sizeof x->at, "%sT%02u:%02u:00Z", d, 6 + next() % 12, next() % 60);
        unsigned r = next() % 10, c = r < 3 ? 0 : r < 8 ? 1 : 2;
        x->cls = cls[c];
        x->callback = next() % 10 < 6;
        x->decision = c == 2 && next() % 2;
        x->registered = x->decision && next() % 2;
        if (nb == BATCH) write_batch(st, batch, nb), nb = 0;
    }
    if (nb) write_batch(st, batch, nb);
    check(rv_store_end(st, RV_OK, &e), &e, "commit");
    rv_store_close(st);
    return 0;
}

static int sweep(const char *dir, const char *store)
{
    rv_store *st;
    rv_error e;
    long base = rv_days_from_civil(2026, 11, 23);
    if (open_store(dir, store, &st, &e) != RV_OK) {
        fprintf(stderr, "bench_sweep: %s\n", e.msg);
        return 1;
    }
    double seeded_mb = peak_mb();
    FILE *devnull = fopen("/dev/null", "w");
    rv_sweep_opts o = {.date = base, .profile_dirs = "models/profiles", .models_version = "bench"};
    rv_sweep_output out = {RV_SWEEP_JSON, devnull};
    for (int run = 1; run <= 2; run++) {
        rv_sweep_counts c;
        double t0 = now(), c0 = cpu_s();
        if (rv_sweep_run(st, &o, &out, 1, &c, &e) != RV_OK) {
            fprintf(stderr, "bench_sweep: %s\n", e.msg);
            return 1;
        }
        double dt = now() - t0, dc = cpu_s() - c0;
        printf("  %6ld mailboxes, run %d: %6.2f s, %.2f s CPU  (%ld missing, %ld not compliant, %ld stale, %ld overdue call-backs,"
               " %ld disposed of, %ld out of date)\n",
               c.mailboxes, run, dt, dc, c.missing, c.noncompliant, c.stale_absence, c.overdue, c.disposed, c.out_of_date);
    }
    printf("  peak resident memory of the sweeping process %.1f MB (%.1f MB after opening the archive)\n", peak_mb(),
           seeded_mb);
    fclose(devnull);
    rv_store_close(st);
    return 0;
}
