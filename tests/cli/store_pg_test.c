/* The archive on PostgreSQL: the setting store, what a bad one does to
 * every command that opens the archive (exit 78, the setting named, the
 * password never shown), the checks at start (synchronous_commit, a newer
 * schema) and a lost connection. Against a PostgreSQL 15 the tests start
 * themselves (tests/pg-server.sh), or the one RV_TEST_PG names. */
#include "pgtest.h"
#include "spawn.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rostvakt/requests.h"
#include "rostvakt/store.h"

extern char **environ;

static char tmp[64];
static char server[512]; /* the server's connection string, without a database */
static int own_server;

static void setup(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/rv-pg-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
    own_server = pg_test_start(tmp, server, sizeof server);
}

static void teardown(void)
{
    char cmd[256];
    if (own_server) pg_test_stop(tmp);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(store_pg, .init = setup, .fini = teardown);

/* A database of its own for one test: its connection string into out. */
static void new_database(char *out, size_t cap)
{
    char name[32];
    snprintf(name, sizeof name, "rv_t_%.6s", tmp + 11);
    for (char *c = name; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
    pg_test_new_database(server, name, out, cap);
}

/* One SQL command on conninfo's database. */
static void sql_on(const char *conninfo, const char *sql)
{
    PGconn *c = PQconnectdb(conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql,
              PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
}

typedef struct {
    char err[8192];
    int status;
} result;

/* The rostvakt binary with args (NULL-terminated): its exit status and
 * what it wrote to stderr. */
static result run_rostvakt(const char *const *args)
{
    result r = {0};
    r.status = spawn_stderr(getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", args, r.err, sizeof r.err);
    return r;
}

#define SECRET "hunter2-do-not-show"

/* An unknown scheme, a role the server does not know, a server that is not
 * there: serve and sweep exit 78 naming the setting, and the password in
 * the setting is never on stderr. */
Test(store_pg, a_bad_store_exits_78_naming_it_without_the_password) {
    char tokens[128], data[128], set_data[160], set_tokens[160];
    snprintf(tokens, sizeof tokens, "%s/tokens", tmp);
    snprintf(data, sizeof data, "%s/data", tmp);
    cr_assert_eq(mkdir(data, 0700), 0);
    FILE *f = fopen(tokens, "w");
    cr_assert_not_null(f);
    fclose(f);
    snprintf(set_data, sizeof set_data, "data_dir=%s", data);
    snprintf(set_tokens, sizeof set_tokens, "tokens=%s", tokens);
    char host[256];
    const char *h = strstr(server, "host=");
    snprintf(host, sizeof host, "%.*s", h ? (int)strcspn(h + 5, " ") : 0, h ? h + 5 : "");
    char stores[3][700];
    snprintf(stores[0], sizeof stores[0], "store=mysql://rostvakt:" SECRET "@db1/rostvakt");
    snprintf(stores[1], sizeof stores[1], "store=postgresql://nobody_here:" SECRET "@/postgres?host=%s", host);
    snprintf(stores[2], sizeof stores[2], "store=host=%s/nothing-listens password=" SECRET " dbname=rostvakt", tmp);
    for (int i = 0; i < 3; i++) {
        const char *serve[] = {"serve", "--set", set_data, "--set", set_tokens, "--set", "listen=127.0.0.1:0",
                               "--set", stores[i], NULL};
        result r = run_rostvakt(serve);
        cr_expect_eq(r.status, 78, "serve, store %d: exit %d: %s", i, r.status, r.err);
        cr_expect(strstr(r.err, "store"), "serve, store %d: the setting is named: %s", i, r.err);
        cr_expect(!strstr(r.err, SECRET), "serve, store %d: the password is shown: %s", i, r.err);
        const char *sweep[] = {"sweep", "--set", set_data, "--set", stores[i], NULL};
        r = run_rostvakt(sweep);
        cr_expect_eq(r.status, 78, "sweep, store %d: exit %d: %s", i, r.status, r.err);
        cr_expect(strstr(r.err, "store"), "sweep, store %d: %s", i, r.err);
        cr_expect(!strstr(r.err, SECRET), "sweep, store %d: the password is shown: %s", i, r.err);
    }
    /* --print-config shows the setting, not its password */
    char cmd[1024], out[16384];
    snprintf(cmd, sizeof cmd, "%s analyze --set '%s' --print-config 2>&1",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", stores[1]);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    while (fread(cmd, 1, sizeof cmd, p) > 0) {
    }
    pclose(p);
    cr_expect(strstr(out, "store = postgresql://nobody_here:***@/postgres"), "the setting is shown: %s", out);
    cr_expect(!strstr(out, SECRET), "the password is shown: %s", out);
}

/* A server that acknowledges commits before they are on disk could lose an
 * acknowledged upload: refused unless the operator says they know. */
Test(store_pg, synchronous_commit_off_is_refused_unless_allowed) {
    char db[700], off[800];
    new_database(db, sizeof db);
    snprintf(off, sizeof off, "%s options='-c synchronous_commit=off'", db);
    rv_store *s = NULL;
    rv_error e;
    cr_expect_eq(rv_store_connect(off, 0, tmp, &s, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "synchronous_commit") && strstr(e.msg, "store"), "%s", e.msg);
    cr_expect_null(s);
    cr_assert_eq(rv_store_connect(off, 1, tmp, &s, &e), RV_OK, "%s", e.msg);
    rv_store_close(s);
    cr_assert_eq(rv_store_connect(db, 0, tmp, &s, &e), RV_OK, "%s", e.msg);
    rv_store_close(s);
}

/* A new database is made at this rostvakt's schema; one a newer rostvakt
 * has migrated is refused, and left as it is. */
Test(store_pg, a_newer_schema_is_refused) {
    char db[700];
    new_database(db, sizeof db);
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_connect(db, 0, tmp, &s, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_store_schema_version(s), RV_STORE_SCHEMA_VERSION);
    rv_store_close(s);
    cr_assert_eq(rv_store_connect(db, 0, tmp, &s, &e), RV_OK, "a second open changes nothing: %s", e.msg);
    cr_expect_eq(rv_store_schema_version(s), RV_STORE_SCHEMA_VERSION);
    rv_store_close(s);
    char sql[96];
    snprintf(sql, sizeof sql, "UPDATE rv_schema SET version = %d", RV_STORE_SCHEMA_VERSION + 1);
    sql_on(db, sql);
    s = NULL;
    cr_expect_eq(rv_store_connect(db, 0, tmp, &s, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "newer"), "%s", e.msg);
    cr_expect_null(s);
}

/* A database of its own (its connection string into db), the store
 * connected to it, and mailbox 4711 put there (into *m). */
static rv_store *connected_with_a_mailbox(char db[700], rv_mailbox *m)
{
    new_database(db, 700);
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_connect(db, 0, tmp, &s, &e), RV_OK, "%s", e.msg);
    const char *json = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomi\"}";
    cr_assert_eq(rv_mailbox_parse("4711", json, strlen(json), m, &e), RV_OK);
    int created;
    cr_assert_eq(rv_store_put_mailbox(s, m, "2026-12-06T10:00:00Z", &created, &e), RV_OK, "%s", e.msg);
    return s;
}

/* The server ends the session (a restart, a failover): the write that
 * finds it gone is RV_ERR_BUSY (the service answers 503 and retries), and
 * the next one reconnects by itself. */
Test(store_pg, a_lost_connection_is_busy_then_reconnects) {
    char db[700];
    rv_mailbox m;
    rv_store *s = connected_with_a_mailbox(db, &m);
    rv_error e;
    int created;
    sql_on(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
               " AND pid <> pg_backend_pid()");
    rv_err rc = rv_store_put_mailbox(s, &m, "2026-12-06T10:00:01Z", &created, &e);
    cr_expect_eq(rc, RV_ERR_BUSY, "%s", e.msg);
    cr_expect_eq(rv_store_put_mailbox(s, &m, "2026-12-06T10:00:02Z", &created, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(created, 0);
    rv_mailbox back;
    cr_expect_eq(rv_store_get_mailbox(s, "4711", &back, &e), RV_OK, "%s", e.msg);
    rv_store_close(s);
}

/* A lock not had in time while an upload's audio is copied into the
 * database (another session holds the chunks' table) is RV_ERR_BUSY, a 503
 * the sender retries, as a wait for the write lock is; not an error of the
 * database (500). The upload goes through once the other session ends. */
Test(store_pg, a_lock_timeout_copying_audio_is_busy) {
    char db[700];
    rv_mailbox m;
    rv_store *s = connected_with_a_mailbox(db, &m);
    rv_error e;
    rv_audio_blob b;
    cr_assert_eq(rv_store_append_audio(s, "audio", 5, &b, &e), RV_OK, "%s", e.msg);
    rv_vm_new v = {.ext = "4711", .sha256 = b.sha256, .blob = &b, .content_type = "audio/wav", .bytes = 5,
                   .received_at = "2026-12-06T10:00:00Z"};
    PGconn *c = PQconnectdb(db);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PGresult *r = PQexec(c, "BEGIN; LOCK TABLE audio_chunks IN SHARE MODE");
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQresultErrorMessage(r));
    PQclear(r);
    rv_store_busy_timeout(s, 50);
    cr_expect_eq(rv_store_add_voicemails(s, &v, 1, &e), RV_ERR_BUSY, "%s", e.msg);
    cr_expect_eq(v.rc, RV_ERR_BUSY);
    PQclear(PQexec(c, "ROLLBACK"));
    PQfinish(c);
    cr_expect_eq(rv_store_add_voicemails(s, &v, 1, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(v.rc, RV_OK, "%s", v.err.msg);
    unsigned char *back;
    size_t len;
    cr_assert_eq(rv_store_read_audio(s, b.sha256, 100, &back, &len, &e), RV_OK, "%s", e.msg);
    cr_expect(len == 5 && memcmp(back, "audio", 5) == 0);
    free(back);
    rv_store_close(s);
}
