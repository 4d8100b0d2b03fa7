/* Web app sessions and the trusted proxy's users (session.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

Test(session, a_session_is_found_until_it_ends) {
    rv_sessions *s;
    rv_error e;
    cr_assert_eq(rv_sessions_new(3600, &s, &e), RV_OK);
    char id[RV_SESSION_ID_LEN + 1], csrf[RV_SESSION_ID_LEN + 1], got[RV_SESSION_ID_LEN + 1];
    cr_assert_eq(rv_session_create(s, key_of(1), id, csrf, &e), RV_OK);
    cr_expect_eq(strlen(id), RV_SESSION_ID_LEN);
    cr_expect_neq(strcmp(id, csrf), 0, "the CSRF token is not the id");
    unsigned char key[RV_TOKEN_KEY_LEN];
    cr_assert(rv_session_find(s, id, key, got));
    cr_expect_eq(memcmp(key, key_of(1), RV_TOKEN_KEY_LEN), 0, "the token it was made from");
    cr_expect_str_eq(got, csrf);
    char other[RV_SESSION_ID_LEN + 1];
    memcpy(other, id, sizeof other);
    other[0] = other[0] == 'a' ? 'b' : 'a';
    cr_expect(!rv_session_find(s, other, key, got), "one digit off is nobody");
    cr_expect(!rv_session_find(s, "short", key, got));
    cr_expect(!rv_session_find(s, NULL, key, got));
    rv_session_end(s, id);
    cr_expect(!rv_session_find(s, id, key, got), "ended");
    rv_sessions_free(s);
}

Test(session, an_idle_session_expires) {
    rv_sessions *s;
    rv_error e;
    cr_assert_eq(rv_sessions_new(1, &s, &e), RV_OK);
    char id[RV_SESSION_ID_LEN + 1], csrf[RV_SESSION_ID_LEN + 1];
    unsigned char key[RV_TOKEN_KEY_LEN];
    cr_assert_eq(rv_session_create(s, key_of(2), id, csrf, &e), RV_OK);
    cr_expect(rv_session_find(s, id, key, csrf));
    sleep(3);
    cr_expect(!rv_session_find(s, id, key, csrf), "idle longer than the timeout");
    rv_sessions_free(s);
}

Test(session, a_full_table_ends_the_longest_idle) {
    rv_sessions *s;
    rv_error e;
    cr_assert_eq(rv_sessions_new(3600, &s, &e), RV_OK);
    char first[RV_SESSION_ID_LEN + 1], id[RV_SESSION_ID_LEN + 1], csrf[RV_SESSION_ID_LEN + 1];
    unsigned char key[RV_TOKEN_KEY_LEN];
    cr_assert_eq(rv_session_create(s, key_of(3), first, csrf, &e), RV_OK);
    sleep(2); /* the first is now the one idle longest */
    for (int i = 0; i < RV_SESSIONS_MAX; i++) /* 200 tokens, each under its own limit */
        cr_assert_eq(rv_session_create(s, key_of((unsigned char)(16 + i % 200)), id, csrf, &e), RV_OK);
    cr_expect(!rv_session_find(s, first, key, csrf), "made room for the new");
    cr_expect(rv_session_find(s, id, key, csrf), "the newest is there");
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
    cr_expect_str_neq(a, d, "another service start, another secret");
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
    const char *p = write_tmp("# who\teva.registrator\tofficer\n\neva.registrator\tofficer\nkarl.chef\tmanager\r\n");
    cr_assert_eq(rv_users_load(p, &u, &e), RV_OK, "%s", e.msg);
    rv_role r;
    cr_expect(rv_users_role(u, "eva.registrator", &r) && r == RV_ROLE_OFFICER);
    cr_expect(rv_users_role(u, "karl.chef", &r) && r == RV_ROLE_MANAGER);
    cr_expect(!rv_users_role(u, "mallory", &r));
    cr_expect(!rv_users_role(u, NULL, &r));
    rv_users_free(u);
    unlink(p);
    const char *bad[] = {"eva officer\n", "eva\tpbx\n", "eva\tboss\n", "\tofficer\n"};
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
    cr_assert_eq(rv_session_create(s, key_of(1), anna, csrf, &e), RV_OK);
    cr_assert_eq(rv_session_create(s, key_of(9), first, csrf, &e), RV_OK);
    for (int i = 0; i < RV_SESSIONS_MAX + 4; i++)
        cr_assert_eq(rv_session_create(s, key_of(9), id, csrf, &e), RV_OK);
    cr_expect(rv_session_find(s, anna, key, csrf), "another user's session survives");
    cr_expect_eq(memcmp(key, key_of(1), RV_TOKEN_KEY_LEN), 0);
    cr_expect(rv_session_find(s, id, key, csrf), "the newest is there");
    cr_expect(!rv_session_find(s, first, key, csrf), "the token's own oldest made room");
    rv_sessions_free(s);
}
