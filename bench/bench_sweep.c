/* make bench: the nightly sweep over a synthetic archive with current
 * analyses. Seeds DIR with N mailboxes (units, the shipped profiles, 90 %
 * with a greeting: compliant, not, missing, absences) and M voicemails over
 * the past year (empty, ephemeral, possible public records; call-backs and
 * decisions on some), then times rv_sweep_run (JSON report) twice: the first
 * run disposes of what has fallen due, the second finds nothing new.
 * Seeding and sweeping are separate processes, so the peak resident memory
 * printed is the sweep's own.
 * usage: bench_sweep seed DIR MAILBOXES VOICEMAILS | bench_sweep run DIR */
#include <sqlite3.h>
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

static unsigned long long rng = 88172645463325252ull;
static unsigned next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng >> 11);
}

static void check(int ok, sqlite3 *db, const char *what)
{
    if (ok) return;
    fprintf(stderr, "bench_sweep: %s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
}

static int sweep(const char *dir);

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "run") == 0) return sweep(argv[2]);
    if (argc != 5 || strcmp(argv[1], "seed") != 0) {
        fprintf(stderr, "usage: bench_sweep seed DIR MAILBOXES VOICEMAILS | bench_sweep run DIR\n");
        return 64;
    }
    const char *dir = argv[2];
    long n_mb = atol(argv[3]), n_vm = atol(argv[4]);
    rv_store *st;
    rv_error e;
    if (rv_store_open(dir, &st, &e) != RV_OK) {
        fprintf(stderr, "bench_sweep: %s\n", e.msg);
        return 1;
    }
    rv_store_close(st);
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
    /* seeding is not what is measured: one transaction, no fsync */
    char path[4200];
    snprintf(path, sizeof path, "%s/rostvakt.db", dir);
    sqlite3 *db;
    check(sqlite3_open(path, &db) == SQLITE_OK, db, "open");
    sqlite3_exec(db, "PRAGMA synchronous=OFF; BEGIN", NULL, NULL, NULL);
    sqlite3_stmt *mb, *gr, *up, *vm, *dec;
    check(sqlite3_prepare_v2(db, "INSERT INTO mailboxes (ext, first_name, last_name, unit, org, profile, created_at,"
                                 " updated_at) VALUES (?1, 'Anna', ?2, ?3, 'Kommunen', ?4, '2026-01-01T00:00:00Z',"
                                 " '2026-01-01T00:00:00Z')", -1, &mb, NULL) == SQLITE_OK, db, "prepare");
    check(sqlite3_prepare_v2(db, "INSERT INTO greetings (ext, audio_sha256, content_type, bytes, received_at, removed,"
                                 " report, analysed_at, models_version, compliant, violations, missing_reason,"
                                 " absence_until, profile) VALUES (?1, ?2, 'audio/wav', 80000, '2026-10-01T08:00:00Z',"
                                 " 0, '{}', '2026-10-01T08:00:00Z', ?3, ?4, ?5, ?6, ?7, ?8)", -1, &gr, NULL) == SQLITE_OK,
          db, "prepare");
    check(sqlite3_prepare_v2(db, "UPDATE mailboxes SET greeting_id = ?1 WHERE ext = ?2", -1, &up, NULL) == SQLITE_OK,
          db, "prepare");
    check(sqlite3_prepare_v2(db, "INSERT INTO voicemails (ext, audio_sha256, content_type, bytes, caller, received_at,"
                                 " state, classification, report, analysed_at, callback_at) VALUES (?1, ?2, 'audio/wav',"
                                 " 240000, '+46701234567', ?3, 'analysed', ?4, '{}', ?3, ?5)", -1, &vm, NULL) == SQLITE_OK,
          db, "prepare");
    check(sqlite3_prepare_v2(db, "INSERT INTO decisions (voicemail_id, decision, diarienummer, actor, decided_at)"
                                 " VALUES (?1, ?2, ?3, 'registrator', ?4)", -1, &dec, NULL) == SQLITE_OK, db, "prepare");
    long base = rv_days_from_civil(2026, 11, 23);
    for (long i = 0; i < n_mb; i++) {
        char ext[24], last[40], unit[32], sha[65];
        snprintf(ext, sizeof ext, "%ld", 100000 + i);
        snprintf(last, sizeof last, "Svensson%ld", i);
        snprintf(unit, sizeof unit, "Enhet %03ld", i % 200);
        int pi = (int)(i % 6);
        sqlite3_reset(mb);
        sqlite3_bind_text(mb, 1, ext, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(mb, 2, last, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(mb, 3, unit, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(mb, 4, names[pi], -1, SQLITE_STATIC);
        check(sqlite3_step(mb) == SQLITE_DONE, db, "mailbox");
        unsigned r = next() % 100;
        if (r >= 90) continue; /* no greeting */
        snprintf(sha, sizeof sha, "%016x%016x%016x%016x", next(), next(), next(), (unsigned)i);
        sqlite3_reset(gr);
        sqlite3_bind_text(gr, 1, ext, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(gr, 2, sha, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(gr, 3, versions[pi], -1, SQLITE_STATIC);
        sqlite3_bind_int(gr, 4, r < 70);
        sqlite3_bind_text(gr, 5, r < 70 ? "" : r < 85 ? "name_missing" : "system_prompt", -1, SQLITE_STATIC);
        sqlite3_bind_text(gr, 6, r >= 85 ? "system_prompt" : NULL, -1, SQLITE_STATIC);
        sqlite3_bind_text(gr, 7, r < 3 ? "2026-11-10T12:00" : NULL, -1, SQLITE_STATIC);
        sqlite3_bind_text(gr, 8, names[pi], -1, SQLITE_STATIC);
        check(sqlite3_step(gr) == SQLITE_DONE, db, "greeting");
        sqlite3_reset(up);
        sqlite3_bind_int64(up, 1, sqlite3_last_insert_rowid(db));
        sqlite3_bind_text(up, 2, ext, -1, SQLITE_TRANSIENT);
        check(sqlite3_step(up) == SQLITE_DONE, db, "current greeting");
    }
    static const char *const cls[] = {"empty", "ephemeral", "possible_public_record"};
    for (long i = 0; i < n_vm; i++) {
        char ext[24], sha[65], at[32], d[11];
        snprintf(ext, sizeof ext, "%ld", 100000 + (long)(next() % (unsigned)n_mb));
        snprintf(sha, sizeof sha, "%016x%016x%016x%016lx", next(), next(), next(), (unsigned long)i);
        rv_format_date(base - (long)(next() % 365), d);
        snprintf(at, sizeof at, "%sT%02u:%02u:00Z", d, 6 + next() % 12, next() % 60);
        unsigned r = next() % 10, c = r < 3 ? 0 : r < 8 ? 1 : 2;
        sqlite3_reset(vm);
        sqlite3_bind_text(vm, 1, ext, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(vm, 2, sha, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(vm, 3, at, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(vm, 4, cls[c], -1, SQLITE_STATIC);
        sqlite3_bind_text(vm, 5, next() % 10 < 6 ? at : NULL, -1, SQLITE_TRANSIENT);
        check(sqlite3_step(vm) == SQLITE_DONE, db, "voicemail");
        if (c == 2 && next() % 2) {
            int reg = next() % 2;
            sqlite3_reset(dec);
            sqlite3_bind_int64(dec, 1, sqlite3_last_insert_rowid(db));
            sqlite3_bind_text(dec, 2, reg ? "registered" : "not_public_record", -1, SQLITE_STATIC);
            sqlite3_bind_text(dec, 3, reg ? "KS 2026/1" : NULL, -1, SQLITE_STATIC);
            sqlite3_bind_text(dec, 4, at, -1, SQLITE_TRANSIENT);
            check(sqlite3_step(dec) == SQLITE_DONE, db, "decision");
        }
    }
    check(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK, db, "commit");
    sqlite3_finalize(mb);
    sqlite3_finalize(gr);
    sqlite3_finalize(up);
    sqlite3_finalize(vm);
    sqlite3_finalize(dec);
    sqlite3_close(db);
    return 0;
}

static int sweep(const char *dir)
{
    rv_store *st;
    rv_error e;
    long base = rv_days_from_civil(2026, 11, 23);
    if (rv_store_open(dir, &st, &e) != RV_OK) {
        fprintf(stderr, "bench_sweep: %s\n", e.msg);
        return 1;
    }
    double seeded_mb = peak_mb();
    FILE *devnull = fopen("/dev/null", "w");
    rv_sweep_opts o = {.date = base, .profile_dirs = "models/profiles", .models_version = "bench"};
    rv_sweep_output out = {RV_SWEEP_JSON, devnull};
    for (int run = 1; run <= 2; run++) {
        rv_sweep_counts c;
        double t0 = now();
        if (rv_sweep_run(st, &o, &out, 1, &c, &e) != RV_OK) {
            fprintf(stderr, "bench_sweep: %s\n", e.msg);
            return 1;
        }
        double dt = now() - t0;
        printf("  %6ld mailboxes, run %d: %6.2f s  (%ld missing, %ld not compliant, %ld stale, %ld overdue call-backs,"
               " %ld disposed of, %ld out of date)\n",
               c.mailboxes, run, dt, c.missing, c.noncompliant, c.stale_absence, c.overdue, c.disposed, c.out_of_date);
    }
    printf("  peak resident memory of the sweeping process %.1f MB (%.1f MB after opening the archive)\n", peak_mb(),
           seeded_mb);
    fclose(devnull);
    rv_store_close(st);
    return 0;
}
