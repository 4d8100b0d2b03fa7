/* rostvakt migrate: an archive copied from SQLite to PostgreSQL and back,
 * compared here on its own terms (every row of every table of the two
 * SQLite archives, each table's count on PostgreSQL, every recording byte
 * for byte), a copy killed mid-batch and continued, a target that is not
 * empty, and bad archives. Against a PostgreSQL 15 the tests start
 * themselves (tests/pg-server.sh), or the one RV_TEST_PG names. Both ends
 * are named by the tests, so the suite runs on SQLite only (RV_TEST_STORE
 * is cleared). */
#include "pgtest.h"
#include "spawn.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rostvakt/store.h"

static char tmp[64];
static char server[512]; /* the server's connection string, without a database */
static int own_server;

static void setup(void)
{
    unsetenv("RV_TEST_STORE");
    unsetenv("RV_TEST_MIGRATE_KILL");
    snprintf(tmp, sizeof tmp, "/tmp/rv-mig-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
    setenv("TMPDIR", tmp, 1);          /* a killed migrate's staging folder goes with tmp */
    cr_assert_eq(chmod(tmp, 0711), 0);
    own_server = pg_test_start(tmp, server, sizeof server);
}

static void teardown(void)
{
    char cmd[256];
    if (own_server) pg_test_stop(tmp);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(migrate, .init = setup, .fini = teardown);

/* A new database (tag tells the test's apart): its connection string. */
static void new_database(const char *tag, char *out, size_t cap)
{
    char name[48];
    snprintf(name, sizeof name, "rv_m_%.6s_%s", tmp + 12, tag);
    for (char *c = name; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
    pg_test_new_database(server, name, out, cap);
}

/* The first column of the first row of sql on conninfo's database, or -1. */
static long long pg_int(const char *conninfo, const char *sql)
{
    PGconn *c = PQconnectdb(conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    long long v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? atoll(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    PQfinish(c);
    return v;
}

typedef struct {
    char err[16384];
    int status;
} result;

/* rostvakt migrate --from from --to to [extra]: its exit status and stderr. */
static result migrate(const char *from, const char *to, const char *extra)
{
    result r = {0};
    const char *args[] = {"migrate", "--from", from, "--to", to, extra, NULL};
    r.status = spawn_stderr(getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", args, r.err, sizeof r.err);
    return r;
}

static void check(rv_err rc, const rv_error *e, const char *what) { cr_assert_eq(rc, RV_OK, "%s: %s", what, e->msg); }

/* An archive in dir written through the store as the service writes it:
 * n_mb mailboxes of two organisations (90 % with a greeting, the first
 * n_rec / 2 of them recorded, the others naming audio never kept),
 * n_rec / 2 voicemails with their own recordings (some over one chunk of
 * PostgreSQL's), decisions, call-backs, units and audit rows. */
static void seed(const char *dir, int n_mb, int n_rec)
{
    rv_store *st;
    rv_error e;
    check(rv_store_open(dir, &st, &e), &e, "open");
    char(*sha)[RV_SHA256_HEX + 1] = calloc((size_t)n_rec, sizeof *sha);
    unsigned char *buf = malloc(600000);
    cr_assert(sha && buf);
    unsigned long long x = 88172645463325252ull;
    for (int i = 0; i < n_rec; i++) {
        size_t len = 800 + (size_t)(i * 7919) % (i % 10 == 0 ? 590000 : 40000);
        for (size_t k = 0; k < len; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[k] = (unsigned char)x;
        }
        check(rv_store_put_audio(st, buf, len, sha[i], &e), &e, "audio");
    }
    static const char *const orgs[] = {"kommunen", "namnden"};
    int created;
    for (int k = 0; k < 2; k++) {
        rv_org o = {.calendar = "SE", .time_zone = "Europe/Stockholm", .profile = "default"};
        snprintf(o.id, sizeof o.id, "%s", orgs[k]);
        snprintf(o.name, sizeof o.name, k ? "Nämnden för åtgärder" : "Kommunen");
        check(rv_store_put_org(st, &o, "2026-01-01T00:00:00Z", "it.admin", "local", &created, &e), &e, "org");
    }
    check(rv_store_begin(st, &e), &e, "begin");
    for (int i = 0; i < n_mb; i++) {
        rv_mailbox m = {.first_name = "Åsa"};
        snprintf(m.ext, sizeof m.ext, "%d", 100000 + i);
        snprintf(m.last_name, sizeof m.last_name, "Öberg%d", i);
        snprintf(m.unit, sizeof m.unit, "Enhet %03d", i % 50);
        snprintf(m.organisation, sizeof m.organisation, "%s", orgs[i % 2]);
        snprintf(m.profile, sizeof m.profile, "default");
        check(rv_store_put_mailbox(st, &m, "2026-01-01T00:00:00Z", &created, &e), &e, "mailbox");
        if (i % 10 == 9) continue;
        char fake[RV_SHA256_HEX + 1];
        snprintf(fake, sizeof fake, "%064x", i);
        rv_greeting_row g = {.ext = m.ext, .sha256 = i < n_rec / 2 ? sha[i] : fake, .content_type = "audio/wav",
                             .bytes = 8000, .received_at = "2026-10-01T08:00:00Z", .report = "{\"x\":1}",
                             .compliance = i % 3 ? RV_COMPLIANCE_YES : RV_COMPLIANCE_NO,
                             .violations = i % 3 ? "" : "name_missing", .profile = "default", .models_version = "t"};
        long long gid;
        check(rv_store_add_greeting(st, &g, &gid, &e), &e, "greeting");
    }
    for (int u = 0; u < 50; u += 7) {
        char unit[32];
        snprintf(unit, sizeof unit, "Enhet %03d", u);
        check(rv_store_put_unit(st, orgs[u % 2], unit, "chef@kommun.se", "2026-01-02T00:00:00Z", &created, &e), &e,
              "unit");
    }
    check(rv_store_end(st, RV_OK, &e), &e, "commit");
    int n_vm = n_rec / 2;
    rv_vm_new *v = calloc((size_t)n_vm + 1, sizeof *v);
    char (*ext)[24] = calloc((size_t)n_vm + 1, sizeof *ext), (*caller)[24] = calloc((size_t)n_vm + 1, sizeof *caller);
    cr_assert(v && ext && caller);
    for (int i = 0; i < n_vm; i++) {
        snprintf(ext[i], sizeof ext[i], "%d", 100000 + (i * 37) % n_mb);
        snprintf(caller[i], sizeof caller[i], "+46701%06d", i);
        v[i] = (rv_vm_new){.ext = ext[i], .sha256 = sha[n_vm + i], .content_type = "audio/wav", .bytes = 1000,
                           .caller = caller[i], .received_at = "2026-11-20T09:00:00Z", .actor = "vaxeln",
                           .remote = "127.0.0.1", .now = "2026-11-20T09:00:01Z"};
    }
    check(rv_store_add_voicemails(st, v, (size_t)n_vm, &e), &e, "voicemails");
    for (int i = 0; i < n_vm; i++) {
        check(v[i].rc, &v[i].err, "voicemail");
        long long did;
        if (i % 3 == 0)
            check(rv_store_add_decision(st, v[i].id, &(rv_decision_record){.decision = "halls_ordnad"}, "registrator",
                                        "2026-11-21T10:00:00Z", &did, &e),
                  &e, "decision");
        if (i % 4 == 0)
            check(rv_store_audit(st, "2026-11-21T10:00:00Z", "registrator", "127.0.0.1", "audio_read", v[i].id, NULL,
                                 NULL, &e),
                  &e, "audit");
        if (i % 5 == 0) check(rv_store_set_callback(st, v[i].id, "2026-11-21T11:00:00Z", &e), &e, "call-back");
    }
    /* voicemails whose recordings were disposed of, from ten numbers: the
     * callers' endings are then many rows of one key's first column */
    int n_old = n_mb / 10;
    for (int i = 0; i < n_old; i++) {
        char fake[RV_SHA256_HEX + 1], from[24], mb[24];
        snprintf(fake, sizeof fake, "f%063x", i);
        snprintf(from, sizeof from, "+4687000%d", i % 10);
        snprintf(mb, sizeof mb, "%d", 100000 + i % n_mb);
        long long id;
        check(rv_store_add_voicemail(st, mb, fake, "audio/wav", 1000, from, "2026-06-01T09:00:00Z", &id, &e), &e,
              "an old voicemail");
    }
    free(v);
    free(ext);
    free(caller);
    free(sha);
    free(buf);
    rv_store_close(st);
}

/* ---- comparing ---- */

static sqlite3 *open_db(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/rostvakt.db", dir);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK, "%s", path);
    return db;
}

/* The tables the archive in a has with their rows (audio and the
 * segments' erasures aside: each backend keeps its own). */
static const char *const table_list =
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('audio', 'erasures')"
    " AND name NOT LIKE 'sqlite_%' ORDER BY name";

/* Every row of every table of the SQLite archives in dirs a and b equal,
 * value for value, and the same recordings in both, byte for byte; pg
 * (when set) holds as many rows in each table and the same recordings.
 * The rows compared. */
static long long same_archives(const char *a, const char *b, const char *pg, const char *pg_dir)
{
    sqlite3 *da = open_db(a), *db = open_db(b);
    sqlite3_stmt *tl;
    cr_assert_eq(sqlite3_prepare_v2(da, table_list, -1, &tl, NULL), SQLITE_OK);
    long long rows = 0;
    int tables = 0;
    while (sqlite3_step(tl) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(tl, 0);
        char sql[512], probe[128];
        snprintf(probe, sizeof probe, "SELECT * FROM %s", t);
        sqlite3_stmt *p;
        cr_assert_eq(sqlite3_prepare_v2(da, probe, -1, &p, NULL), SQLITE_OK, "%s", probe);
        int n = sqlite3_column_count(p);
        sqlite3_finalize(p);
        int mb = strcmp(t, "mailboxes") == 0; /* its rowid is the order mailboxes were stored in */
        size_t o = (size_t)snprintf(sql, sizeof sql, "SELECT %s* FROM %s ORDER BY 1", mb ? "rowid, " : "", t);
        for (int i = 2; i <= n + mb; i++) o += (size_t)snprintf(sql + o, sizeof sql - o, ", %d", i);
        sqlite3_stmt *qa, *qb;
        cr_assert_eq(sqlite3_prepare_v2(da, sql, -1, &qa, NULL), SQLITE_OK, "%s", sql);
        cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &qb, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
        long long k = 0;
        for (;;) {
            int ra = sqlite3_step(qa), rb = sqlite3_step(qb);
            cr_assert_eq(ra, rb, "table %s: row %lld is in one archive only", t, k);
            if (ra != SQLITE_ROW) break;
            for (int i = 0; i < n + mb; i++) {
                int ta = sqlite3_column_type(qa, i), tb = sqlite3_column_type(qb, i);
                cr_assert_eq(ta, tb, "table %s row %lld column %d: types differ", t, k, i);
                if (ta == SQLITE_INTEGER)
                    cr_assert_eq(sqlite3_column_int64(qa, i), sqlite3_column_int64(qb, i), "table %s row %lld col %d", t,
                                 k, i);
                else if (ta != SQLITE_NULL) {
                    const void *va = sqlite3_column_blob(qa, i), *vb = sqlite3_column_blob(qb, i);
                    int la = sqlite3_column_bytes(qa, i), lb = sqlite3_column_bytes(qb, i);
                    cr_assert(la == lb && (la == 0 || memcmp(va, vb, (size_t)la) == 0),
                              "table %s row %lld column %d differs", t, k, i);
                }
            }
            k++;
        }
        sqlite3_finalize(qa);
        sqlite3_finalize(qb);
        if (pg) {
            char count[128];
            snprintf(count, sizeof count, "SELECT count(*) FROM %s", t);
            cr_assert_eq(pg_int(pg, count), k, "table %s: %lld rows on SQLite, another count on PostgreSQL", t, k);
        }
        rows += k;
        tables++;
    }
    sqlite3_finalize(tl);
    cr_assert_geq(tables, 17, "the archive's tables");
    /* the recordings */
    rv_store *sa, *sb, *sp = NULL;
    rv_error e;
    check(rv_store_open(a, &sa, &e), &e, "open a");
    check(rv_store_open(b, &sb, &e), &e, "open b");
    if (pg) check(rv_store_connect(pg, 0, pg_dir, &sp, &e), &e, "open pg");
    sqlite3_stmt *ha, *hb;
    cr_assert_eq(sqlite3_prepare_v2(da, "SELECT sha256 FROM audio ORDER BY sha256", -1, &ha, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT sha256 FROM audio ORDER BY sha256", -1, &hb, NULL), SQLITE_OK);
    long long recs = 0;
    for (;;) {
        int ra = sqlite3_step(ha), rb = sqlite3_step(hb);
        cr_assert_eq(ra, rb, "recording %lld is in one archive only", recs);
        if (ra != SQLITE_ROW) break;
        const char *h = (const char *)sqlite3_column_text(ha, 0);
        cr_assert_str_eq(h, (const char *)sqlite3_column_text(hb, 0));
        unsigned char *x, *y, *z = NULL;
        size_t lx, ly, lz = 0;
        check(rv_store_read_audio(sa, h, SIZE_MAX, &x, &lx, &e), &e, "read a");
        check(rv_store_read_audio(sb, h, SIZE_MAX, &y, &ly, &e), &e, "read b");
        cr_assert(lx == ly && (lx == 0 || memcmp(x, y, lx) == 0), "recording %s differs", h);
        if (sp) {
            check(rv_store_read_audio(sp, h, SIZE_MAX, &z, &lz, &e), &e, "read pg");
            cr_assert(lx == lz && (lx == 0 || memcmp(x, z, lx) == 0), "recording %s differs on PostgreSQL", h);
        }
        free(x);
        free(y);
        free(z);
        recs++;
    }
    sqlite3_finalize(ha);
    sqlite3_finalize(hb);
    if (pg) cr_assert_eq(pg_int(pg, "SELECT count(*) FROM audio"), recs, "recordings on PostgreSQL");
    cr_assert_gt(recs, 0, "recordings compared");
    rv_store_close(sa);
    rv_store_close(sb);
    rv_store_close(sp);
    sqlite3_close(da);
    sqlite3_close(db);
    return rows;
}

/* sqlite:DIR */
static void sqlite_spec(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "sqlite:%s/%s", tmp, name);
}

/* --from sqlite:src to a new PostgreSQL database and from it to sqlite:back,
 * each run exit 0; then everything compared. pg: the database. */
static void round_trip(const char *src, const char *tag, char *pg, size_t cap)
{
    char from[128], back[128], pg_dir[128];
    new_database(tag, pg, cap);
    sqlite_spec(from, sizeof from, src);
    snprintf(back, sizeof back, "sqlite:%s/%s-back", tmp, src);
    result r = migrate(from, pg, NULL);
    cr_assert_eq(r.status, 0, "to PostgreSQL: exit %d: %s", r.status, r.err);
    cr_assert(strstr(r.err, "--to equals --from"), "%s", r.err);
    r = migrate(pg, back, NULL);
    cr_assert_eq(r.status, 0, "back to SQLite: exit %d: %s", r.status, r.err);
    snprintf(pg_dir, sizeof pg_dir, "%s/pg-stage", tmp);
    same_archives(from + 7, back + 7, pg, pg_dir);
}

/* The archive make demo builds (the shipped samples posted as a PBX posts
 * them, analysed, swept) to PostgreSQL and back. */
Test(migrate, the_demo_archive_to_postgresql_and_back_is_equal, .timeout = 300) {
    char cmd[512], pg[700];
    snprintf(cmd, sizeof cmd, "sh tools/demo-archive.sh %s %s/demo --check > %s/demo.log 2>&1",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", tmp, tmp);
    cr_assert_eq(system(cmd), 0, "tools/demo-archive.sh failed (%s/demo.log)", tmp);
    char db[128];
    snprintf(db, sizeof db, "%s/db", "demo");
    round_trip(db, "demo", pg, sizeof pg);
    cr_assert_gt(pg_int(pg, "SELECT count(*) FROM voicemails"), 0);
    cr_assert_gt(pg_int(pg, "SELECT count(*) FROM greetings"), 0);
}

/* 20 000 mailboxes, with greetings, voicemails, decisions and the audit. */
Test(migrate, a_20000_mailbox_archive_to_postgresql_and_back_is_equal, .timeout = 300) {
    char dir[128], pg[700];
    snprintf(dir, sizeof dir, "%s/big", tmp);
    seed(dir, 20000, 120);
    round_trip("big", "big", pg, sizeof pg);
    cr_assert_eq(pg_int(pg, "SELECT count(*) FROM mailboxes"), 20000);
    /* the mailboxes' current greetings, copied after the greetings */
    cr_assert_eq(pg_int(pg, "SELECT count(*) FROM mailboxes WHERE greeting_id IS NOT NULL"), 18000);
    cr_assert_gt(pg_int(pg, "SELECT count(*) FROM voicemail_callers"), 15000);
}

/* The ids are kept, and PostgreSQL's sequences go on after the largest:
 * the next audit row written on the migrated archive is the next id. */
Test(migrate, ids_are_kept_and_the_next_row_follows_them) {
    char dir[128], from[160], pg[700], stage[128];
    snprintf(dir, sizeof dir, "%s/small", tmp);
    seed(dir, 40, 12);
    snprintf(from, sizeof from, "sqlite:%s", dir);
    new_database("ids", pg, sizeof pg);
    result r = migrate(from, pg, NULL);
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    long long max = pg_int(pg, "SELECT max(id) FROM audit"), vmax = pg_int(pg, "SELECT max(id) FROM voicemails");
    cr_assert_gt(max, 0);
    snprintf(stage, sizeof stage, "%s/stage", tmp);
    rv_store *st;
    rv_error e;
    check(rv_store_connect(pg, 0, stage, &st, &e), &e, "open");
    check(rv_store_audit(st, "2026-12-01T00:00:00Z", "it.admin", "local", "sign_in", 0, NULL, NULL, &e), &e,
          "an audit row after the copy");
    long long vm, id;
    check(rv_store_add_voicemail(st, "100001", "0000000000000000000000000000000000000000000000000000000000000001",
                                 "audio/wav", 10, "", "2026-12-01T00:00:00Z", &vm, &e),
          &e, "a voicemail after the copy");
    check(rv_store_add_decision(st, vm, &(rv_decision_record){.decision = "halls_ordnad"}, "r", "2026-12-01T00:00:00Z",
                                &id, &e),
          &e, "a decision after the copy");
    rv_store_close(st);
    cr_assert_eq(pg_int(pg, "SELECT max(id) FROM audit"), max + 1);
    cr_assert_eq(vm, vmax + 1, "the copied ids, then the next");
}

/* Killed mid-batch twice (in the greetings, then among the recordings),
 * each way, and run again: equal, and no row or recording twice. */
Test(migrate, an_interrupted_copy_continues_and_is_equal, .timeout = 300) {
    char dir[128], from[160], pg[700], back[160], stage[128];
    snprintf(dir, sizeof dir, "%s/mid", tmp);
    seed(dir, 3000, 60);
    snprintf(from, sizeof from, "sqlite:%s", dir);
    new_database("mid", pg, sizeof pg);
    setenv("RV_TEST_MIGRATE_KILL", "greetings:1500", 1);
    result r = migrate(from, pg, NULL);
    cr_assert_eq(r.status, -1, "killed in the greetings: exit %d: %s", r.status, r.err);
    cr_assert_eq(pg_int(pg, "SELECT count(*) FROM greetings"), 1000, "the first batch committed, the second not");
    setenv("RV_TEST_MIGRATE_KILL", "recordings:7", 1);
    r = migrate(from, pg, NULL);
    cr_assert_eq(r.status, -1, "killed among the recordings: exit %d: %s", r.status, r.err);
    cr_assert(strstr(r.err, "continuing"), "%s", r.err);
    unsetenv("RV_TEST_MIGRATE_KILL");
    r = migrate(from, pg, NULL);
    cr_assert_eq(r.status, 0, "continued: exit %d: %s", r.status, r.err);
    /* and back, killed among the recordings: SQLite's segments keep what
     * the killed batch appended until the next run trims it */
    snprintf(back, sizeof back, "sqlite:%s/mid-back", tmp);
    setenv("RV_TEST_MIGRATE_KILL", "recordings:40", 1);
    r = migrate(pg, back, NULL);
    cr_assert_eq(r.status, -1, "killed on the way back: exit %d: %s", r.status, r.err);
    unsetenv("RV_TEST_MIGRATE_KILL");
    r = migrate(pg, back, NULL);
    cr_assert_eq(r.status, 0, "continued on the way back: exit %d: %s", r.status, r.err);
    snprintf(stage, sizeof stage, "%s/stage", tmp);
    same_archives(dir, back + 7, pg, stage);
    cr_assert_eq(pg_int(pg, "SELECT count(*) FROM greetings"), 2700);
    cr_assert_eq(pg_int(pg, "SELECT count(*) FROM (SELECT sha256, n FROM audio_chunks GROUP BY sha256, n"
                            " HAVING count(*) > 1) AS twice"),
                 0);
    cr_assert_eq(pg_int(pg, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'rv_migration'"), 0,
                 "the progress is dropped once the copy is equal");
}

/* A target that holds rows of another archive is refused, and left as it
 * was; --into-nonempty copies into it all the same. */
Test(migrate, a_target_that_is_not_empty_is_refused) {
    char a[128], b[128], from_a[160], from_b[160], pg[700];
    snprintf(a, sizeof a, "%s/a", tmp);
    snprintf(b, sizeof b, "%s/b", tmp);
    seed(a, 30, 6);
    seed(b, 50, 8);
    snprintf(from_a, sizeof from_a, "sqlite:%s", a);
    snprintf(from_b, sizeof from_b, "sqlite:%s", b);
    new_database("full", pg, sizeof pg);
    result r = migrate(from_a, pg, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    r = migrate(from_b, pg, NULL);
    cr_assert_eq(r.status, 78, "exit %d: %s", r.status, r.err);
    cr_assert(strstr(r.err, "--to") && strstr(r.err, "not empty") && strstr(r.err, "--into-nonempty"), "%s", r.err);
    cr_assert_eq(pg_int(pg, "SELECT count(*) FROM mailboxes"), 30, "nothing was copied");
    cr_assert_eq(pg_int(pg, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'rv_migration'"), 0);
    /* an SQLite target too */
    char back[160];
    snprintf(back, sizeof back, "sqlite:%s", b);
    r = migrate(pg, back, NULL);
    cr_assert_eq(r.status, 78, "exit %d: %s", r.status, r.err);
    /* told: a's mailboxes are kept, b's others added; it is not a's copy */
    r = migrate(from_b, pg, "--into-nonempty");
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    cr_assert(strstr(r.err, "differences"), "%s", r.err);
    cr_assert_eq(pg_int(pg, "SELECT count(*) FROM mailboxes"), 50);
}

#define SECRET "hunter2-do-not-show"

/* Unknown kinds, a server that is not there, a role it does not know, the
 * same archive twice: exit 78 naming the option, never the password. */
Test(migrate, bad_archives_exit_78_naming_the_option_without_the_password) {
    char dir[128], from[160], host[256];
    snprintf(dir, sizeof dir, "%s/x", tmp);
    seed(dir, 5, 2);
    snprintf(from, sizeof from, "sqlite:%s", dir);
    const char *h = strstr(server, "host=");
    snprintf(host, sizeof host, "%.*s", h ? (int)strcspn(h + 5, " ") : 0, h ? h + 5 : "");
    char to[4][600];
    snprintf(to[0], sizeof to[0], "mysql://rostvakt:" SECRET "@db1/rostvakt");
    snprintf(to[1], sizeof to[1], "postgresql://nobody_here:" SECRET "@/postgres?host=%s", host);
    snprintf(to[2], sizeof to[2], "host=%s/nothing-listens password=" SECRET " dbname=rostvakt", tmp);
    snprintf(to[3], sizeof to[3], "sqlite");
    for (int i = 0; i < 4; i++) {
        result r = migrate(from, to[i], NULL);
        cr_expect_eq(r.status, 78, "--to %d: exit %d: %s", i, r.status, r.err);
        cr_expect(strstr(r.err, "--to"), "--to %d: the option is named: %s", i, r.err);
        cr_expect(!strstr(r.err, SECRET), "--to %d: the password is shown: %s", i, r.err);
        r = migrate(to[i], from, NULL);
        cr_expect_eq(r.status, 78, "--from %d: exit %d: %s", i, r.status, r.err);
        cr_expect(strstr(r.err, "--from"), "--from %d: the option is named: %s", i, r.err);
        cr_expect(!strstr(r.err, SECRET), "--from %d: the password is shown: %s", i, r.err);
    }
    /* a directory with no archive is not a source */
    char none[160];
    snprintf(none, sizeof none, "sqlite:%s/none", tmp);
    result r = migrate(none, "sqlite:/nonexistent-target", NULL);
    cr_expect_eq(r.status, 78, "%s", r.err);
    cr_expect(strstr(r.err, "--from") && strstr(r.err, "no archive"), "%s", r.err);
    /* the same archive, by the same name or another */
    char other[200];
    snprintf(other, sizeof other, "sqlite:%s/../%s/x/", tmp, tmp + 5);
    r = migrate(from, other, NULL);
    cr_expect_eq(r.status, 78, "%s", r.err);
    cr_expect(strstr(r.err, "same archive"), "%s", r.err);
    char pg[700], pg2[800];
    new_database("same", pg, sizeof pg);
    snprintf(pg2, sizeof pg2, "%s connect_timeout=5", pg);
    r = migrate(pg, pg2, NULL);
    cr_expect_eq(r.status, 78, "%s", r.err);
    cr_expect(strstr(r.err, "same archive"), "%s", r.err);
    /* an archive a newer rostvakt has migrated, at either end */
    char newer[160], db[200], pg3[700];
    snprintf(newer, sizeof newer, "%s/newer", tmp);
    seed(newer, 3, 2);
    snprintf(db, sizeof db, "%s/rostvakt.db", newer);
    sqlite3 *sh;
    cr_assert_eq(sqlite3_open(db, &sh), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(sh, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(sh);
    snprintf(other, sizeof other, "sqlite:%s", newer);
    new_database("newer", pg3, sizeof pg3);
    r = migrate(other, pg3, NULL);
    cr_expect_eq(r.status, 78, "%s", r.err);
    cr_expect(strstr(r.err, "--from") && strstr(r.err, "newer"), "%s", r.err);
    r = migrate(from, pg3, NULL);
    cr_expect_eq(r.status, 0, "%s", r.err);
    PGconn *c = PQconnectdb(pg3);
    PQclear(PQexec(c, "UPDATE rv_schema SET version = 99"));
    PQfinish(c);
    char into[160];
    snprintf(into, sizeof into, "sqlite:%s/into", tmp);
    r = migrate(pg3, into, NULL);
    cr_expect_eq(r.status, 78, "%s", r.err);
    cr_expect(strstr(r.err, "--from") && strstr(r.err, "newer"), "%s", r.err);
    /* usage */
    const char *args[] = {"migrate", "--from", from, NULL};
    char err[2048];
    cr_expect_eq(spawn_stderr(getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", args, err, sizeof err), 64,
                 "%s", err);
}

/* A table a newer schema adds, before migrate's list names it, is copied
 * all the same, by its primary key, after the others. */
Test(migrate, a_table_migrate_does_not_name_is_copied_by_its_key) {
    char dir[128], from[160], pg[700], db[200], sql[400];
    snprintf(dir, sizeof dir, "%s/new", tmp);
    seed(dir, 10, 2);
    snprintf(db, sizeof db, "%s/rostvakt.db", dir);
    sqlite3 *h;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(h,
                              "CREATE TABLE later_rules (id INTEGER PRIMARY KEY, organisation TEXT NOT NULL, rule TEXT);"
                              "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)"
                              " INSERT INTO later_rules SELECT i * 3, 'kommunen', 'regel ' || i FROM n;",
                              NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(h));
    sqlite3_close(h);
    snprintf(from, sizeof from, "sqlite:%s", dir);
    new_database("new", pg, sizeof pg);
    /* the target at the same schema, as the newer rostvakt makes it */
    char stage[128];
    snprintf(stage, sizeof stage, "%s/stage", tmp);
    rv_store *st;
    rv_error e;
    check(rv_store_connect(pg, 0, stage, &st, &e), &e, "open");
    rv_store_close(st);
    PGconn *c = PQconnectdb(pg);
    snprintf(sql, sizeof sql, "CREATE TABLE later_rules (id bigserial PRIMARY KEY, organisation text NOT NULL, rule text)");
    PGresult *res = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s", PQresultErrorMessage(res));
    PQclear(res);
    PQfinish(c);
    result r = migrate(from, pg, NULL);
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    cr_assert_eq(pg_int(pg, "SELECT count(*) FROM later_rules"), 2500);
    cr_assert_eq(pg_int(pg, "SELECT sum(id) FROM later_rules"), 3LL * 2500 * 2501 / 2, "the ids kept");
    cr_assert_eq(pg_int(pg, "SELECT nextval('later_rules_id_seq')"), 7501, "its sequence set past them");
}
