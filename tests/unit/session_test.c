/* Web app sessions, kept in the store, and the trusted proxy's users
 * (session.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rostvakt/fileio.h"
#include "rostvakt/session.h"

/* A token's key, as the tokens file would give it: every byte b. */
static const unsigned char *key_of(unsigned char b)
{
    static unsigned char k[4][RV_TOKEN_KEY_LEN];
    static int next;
    unsigned char *out = k[next++ % 4];
    memset(out, b, RV_TOKEN_KEY_LEN);
    return out;
}

static char dir[64];
static rv_store *db;

/* A store in a new temporary directory, for the sessions of one test. */
static void open_store(void)
{
    rv_error e;
    snprintf(dir, sizeof dir, "/tmp/rv-sessions-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(rv_store_open(dir, &db, &e), RV_OK, "%s", e.msg);
}

static void close_store(void)
{
    rv_store_close(db);
    db = NULL;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
}

TestSuite(session, .init = open_store, .fini = close_store);

/* A session of the token whose key is every byte b. */
static rv_err make(rv_sessions *s, unsigned char b, char id[RV_SESSION_ID_LEN + 1], char csrf[RV_SESSION_ID_LEN + 1])
{
    rv_error e;
    rv_session_owner o = {key_of(b), "anna", ",socialnamnden,", RV_ROLE_OFFICER};
    return rv_session_create(s, db, &o, id, csrf, &e);
}

static int found(rv_sessions *s, rv_store *d, const char *id, unsigned char key[RV_TOKEN_KEY_LEN],
                 char csrf[RV_SESSION_ID_LEN + 1])
{
    rv_error e;
    rv_err rc = rv_session_find(s, d, id, key, csrf, &e);
    cr_assert(rc == RV_OK || rc == RV_ERR_NOT_FOUND, "%s", e.msg);
    return rc == RV_OK;
}

Test(session, a_session_is_found_until_it_ends) {
    rv_sessions *s;
    rv_error e;
    cr_assert_eq(rv_sessions_new(3600, &s, &e), RV_OK);
    char id[RV_SESSION_ID_LEN + 1], csrf[RV_SESSION_ID_LEN + 1], got[RV_SESSION_ID_LEN + 1];
    cr_assert_eq(make(s, 1, id, csrf), RV_OK);
    cr_expect_eq(strlen(id), RV_SESSION_ID_LEN);
    cr_expect_neq(strcmp(id, csrf), 0, "the CSRF token is not the id");
    unsigned char key[RV_TOKEN_KEY_LEN];
    cr_assert(found(s, db, id, key, got));
    cr_expect_eq(memcmp(key, key_of(1), RV_TOKEN_KEY_LEN), 0, "the token it was made from");
    cr_expect_str_eq(got, csrf);
    char other[RV_SESSION_ID_LEN + 1];
    memcpy(other, id, sizeof other);
    other[0] = other[0] == 'a' ? 'b' : 'a';
    cr_expect(!found(s, db, other, key, got), "one digit off is nobody");
    cr_expect(!found(s, db, "short", key, got));
    cr_expect(!found(s, db, NULL, key, got));
    cr_assert_eq(rv_session_end(s, db, id, &e), RV_OK, "%s", e.msg);
    cr_expect(!found(s, db, id, key, got), "ended");
    rv_sessions_free(s);
}

Test(session, an_idle_session_expires) {
    rv_sessions *s;
    rv_error e;
    cr_assert_eq(rv_sessions_new(1, &s, &e), RV_OK);
    char id[RV_SESSION_ID_LEN + 1], csrf[RV_SESSION_ID_LEN + 1];
    unsigned char key[RV_TOKEN_KEY_LEN];
    cr_assert_eq(make(s, 2, id, csrf), RV_OK);
    cr_expect(found(s, db, id, key, csrf));
    sleep(3);
    cr_expect(!found(s, db, id, key, csrf), "idle longer than the timeout");
    cr_expect_eq(rv_store_session_count(db), 0, "and gone from the store");
    rv_sessions_free(s);
}

/* A restart: the service's sessions object and its connection gone, new
 * ones made on the same archive find the session. */
Test(session, a_session_outlives_a_restart) {
    rv_sessions *s;
    rv_error e;
    cr_assert_eq(rv_sessions_new(3600, &s, &e), RV_OK);
    char id[RV_SESSION_ID_LEN + 1], csrf[RV_SESSION_ID_LEN + 1], got[RV_SESSION_ID_LEN + 1];
    cr_assert_eq(make(s, 4, id, csrf), RV_OK);
    rv_sessions_free(s);
    rv_store_close(db);
    cr_assert_eq(rv_store_open(dir, &db, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_sessions_new(3600, &s, &e), RV_OK);
    unsigned char key[RV_TOKEN_KEY_LEN];
    cr_expect(found(s, db, id, key, got), "still signed in");
    cr_expect_eq(memcmp(key, key_of(4), RV_TOKEN_KEY_LEN), 0);
    cr_expect_str_eq(got, csrf);
    rv_sessions_free(s);
}

/* Two nodes on one archive: each its own sessions object and connection. */
Test(session, a_session_made_on_one_node_is_known_on_another_and_ends_on_both) {
    rv_sessions *a, *b;
    rv_store *other;
    rv_error e;
    cr_assert_eq(rv_sessions_new(3600, &a, &e), RV_OK);
    cr_assert_eq(rv_sessions_new(3600, &b, &e), RV_OK);
    cr_assert_eq(rv_store_open(dir, &other, &e), RV_OK, "%s", e.msg);
    char id[RV_SESSION_ID_LEN + 1], csrf[RV_SESSION_ID_LEN + 1], got[RV_SESSION_ID_LEN + 1];
    unsigned char key[RV_TOKEN_KEY_LEN];
    cr_assert_eq(make(a, 5, id, csrf), RV_OK);
    cr_expect(found(b, other, id, key, got), "known on the other node");
    cr_expect_str_eq(got, csrf);
    cr_assert_eq(rv_session_end(b, other, id, &e), RV_OK, "%s", e.msg);
    cr_expect(!found(a, db, id, key, got), "signed out there is signed out here");
    rv_store_close(other);
    rv_sessions_free(a);
    rv_sessions_free(b);
}

/* 1 when the bytes of text are anywhere in the file at path. */
static int file_has(const char *path, const char *text)
{
    size_t len, n = strlen(text);
    unsigned char *b;
    rv_error e;
    if (rv_file_read(path, 0, &b, &len, &e) != RV_OK) return 0;
    int has = 0;
    for (size_t i = 0; !has && i + n <= len; i++) has = memcmp(b + i, text, n) == 0;
    free(b);
    return has;
}

Test(session, the_store_keeps_no_session_id) {
    rv_sessions *s;
    rv_error e;
    const char *pg = getenv("RV_TEST_STORE");
    if (pg && *pg) cr_skip_test("reads SQLite's file (what is stored is the same on PostgreSQL)");
    cr_assert_eq(rv_sessions_new(3600, &s, &e), RV_OK);
    char id[RV_SESSION_ID_LEN + 1], csrf[RV_SESSION_ID_LEN + 1];
    cr_assert_eq(make(s, 6, id, csrf), RV_OK);
    rv_store_close(db); /* everything in the database file */
    db = NULL;
    char path[128];
    snprintf(path, sizeof path, "%s/rostvakt.db", dir);
    cr_assert(file_has(path, csrf), "the session is in %s", path);
    cr_expect(!file_has(path, id), "but not its id");
    snprintf(path, sizeof path, "%s/rostvakt.db-wal", dir);
    cr_expect(!file_has(path, id), "nor in the log");
    cr_assert_eq(rv_store_open(dir, &db, &e), RV_OK, "%s", e.msg);
    rv_sessions_free(s);
}

Test(session, a_full_table_ends_the_longest_idle) {
    rv_sessions *s;
    rv_error e;
    cr_assert_eq(rv_sessions_new(3600, &s, &e), RV_OK);
    char first[RV_SESSION_ID_LEN + 1], id[RV_SESSION_ID_LEN + 1], csrf[RV_SESSION_ID_LEN + 1];
    unsigned char key[RV_TOKEN_KEY_LEN];
    cr_assert_eq(make(s, 3, first, csrf), RV_OK);
    sleep(2); /* the first is now the one idle longest */
    for (int i = 0; i < RV_SESSIONS_MAX; i++) /* 200 tokens, each under its own limit */
        cr_assert_eq(make(s, (unsigned char)(16 + i % 200), id, csrf), RV_OK);
    cr_expect(!found(s, db, first, key, csrf), "made room for the new");
    cr_expect(found(s, db, id, key, csrf), "the newest is there");
    cr_expect_eq(rv_store_session_count(db), RV_SESSIONS_MAX);
    rv_sessions_free(s);
}

Test(session, a_proxy_users_csrf_token_is_stable_and_their_own) {
    rv_sessions *s, *t;
    rv_error e;
    cr_assert_eq(rv_sessions_new(60, &s, &e), RV_OK);
    cr_assert_eq(rv_sessions_new(60, &t, &e), RV_OK);
    char a[RV_SESSION_ID_LEN + 1], b[RV_SESSION_ID_LEN + 1], c[RV_SESSION_ID_LEN + 1], d[RV_SESSION_ID_LEN + 1];
    rv_sessions_proxy_csrf(s, "eva", a);
    rv_sessions_proxy_csrf(s, "eva", b);
    rv_sessions_proxy_csrf(s, "karl", c);
    rv_sessions_proxy_csrf(t, "eva", d);
    cr_expect_str_eq(a, b);
    cr_expect_str_neq(a, c);
    cr_expect_str_neq(a, d, "another secret until the store's is shared");
    rv_sessions_free(s);
    rv_sessions_free(t);
}

static const char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/rv-users-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

Test(session, the_users_file) {
    rv_users *u;
    rv_error e;
    const char *p = write_tmp("# who\teva.registrator\tofficer\n\n\t# by hand\n\t\neva.registrator\tofficer\n"
                              "karl.chef\tmanager\r\nlena\tofficer\tessunga\t\n");
    cr_assert_eq(rv_users_load(p, &u, &e), RV_OK, "%s", e.msg);
    rv_role r;
    cr_expect(rv_users_role(u, "eva.registrator", &r) && r == RV_ROLE_OFFICER);
    cr_expect(rv_users_role(u, "karl.chef", &r) && r == RV_ROLE_MANAGER);
    cr_expect(!rv_users_role(u, "mallory", &r));
    cr_expect(!rv_users_role(u, NULL, &r));
    rv_users_free(u);
    unlink(p);
    /* an empty organisations field is no "every organisation" (which a line of two fields is) */
    const char *bad[] = {"eva officer\n", "eva\tpbx\n", "eva\tboss\n", "\tofficer\n", "eva\tofficer\t\n",
                         "eva\tofficer\t \r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        p = write_tmp(bad[i]);
        cr_expect_eq(rv_users_load(p, &u, &e), RV_ERR_CONFIG, "%s", bad[i]);
        cr_expect(strstr(e.msg, "line 1") != NULL, "%s", e.msg);
        unlink(p);
    }
    cr_expect_eq(rv_users_load("/nonexistent/users", &u, &e), RV_ERR_IO);
}

Test(session, one_token_signing_in_again_and_again_signs_nobody_else_out) {
    rv_sessions *s;
    rv_error e;
    cr_assert_eq(rv_sessions_new(3600, &s, &e), RV_OK);
    char anna[RV_SESSION_ID_LEN + 1], first[RV_SESSION_ID_LEN + 1], id[RV_SESSION_ID_LEN + 1];
    char csrf[RV_SESSION_ID_LEN + 1];
    unsigned char key[RV_TOKEN_KEY_LEN];
    cr_assert_eq(make(s, 1, anna, csrf), RV_OK);
    cr_assert_eq(make(s, 9, first, csrf), RV_OK);
    for (int i = 0; i < RV_SESSIONS_MAX + 4; i++)
        cr_assert_eq(make(s, 9, id, csrf), RV_OK);
    cr_expect(found(s, db, anna, key, csrf), "another user's session survives");
    cr_expect_eq(memcmp(key, key_of(1), RV_TOKEN_KEY_LEN), 0);
    cr_expect(found(s, db, id, key, csrf), "the newest is there");
    cr_expect(!found(s, db, first, key, csrf), "the token's own oldest made room");
    rv_sessions_free(s);
}

/* Nodes on one store: the proxy users' CSRF tokens are made with the
 * store's secret, the same for each, and for the next start. */
Test(session, the_proxy_users_secret_is_the_stores) {
    rv_sessions *s, *t;
    rv_error e;
    cr_assert_eq(rv_sessions_new(60, &s, &e), RV_OK);
    cr_assert_eq(rv_sessions_new(60, &t, &e), RV_OK);
    char a[RV_SESSION_ID_LEN + 1], b[RV_SESSION_ID_LEN + 1];
    rv_sessions_proxy_csrf(s, "eva", a);
    rv_sessions_proxy_csrf(t, "eva", b);
    cr_assert_str_neq(a, b, "each its own until they share the store's");
    cr_assert_eq(rv_sessions_share_secret(s, db, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_sessions_share_secret(t, db, &e), RV_OK, "%s", e.msg);
    rv_sessions_proxy_csrf(s, "eva", a);
    rv_sessions_proxy_csrf(t, "eva", b);
    cr_expect_str_eq(a, b);
    rv_sessions_free(s);
    rv_sessions_free(t);
}
