/* API tokens: created once, stored as hashes, checked in constant time. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rostvakt/token.h"

static char path[64];

static void setup(void)
{
    snprintf(path, sizeof path, "/tmp/rv-tokens-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    unlink(path); /* rv_token_create makes it */
}

static void teardown(void)
{
    char lock[128];
    snprintf(lock, sizeof lock, "%s.lock", path);
    unlink(path);
    unlink(lock);
}

TestSuite(token, .init = setup, .fini = teardown);

Test(token, created_checked_and_stored_only_as_a_hash) {
    char a[RV_TOKEN_TEXT_LEN + 1], b[RV_TOKEN_TEXT_LEN + 1];
    rv_error e;
    cr_assert_eq(rv_token_create(path, "vaxel-1", RV_ROLE_PBX, a, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_token_create(path, "registrator.anna", RV_ROLE_OFFICER, b, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(strlen(a), RV_TOKEN_TEXT_LEN);
    cr_expect_str_neq(a, b);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0600, "only the owner reads the tokens file");
    FILE *f = fopen(path, "r");
    char buf[1024] = "";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cr_expect_null(strstr(buf, a + 3), "the token itself is not stored");
    rv_tokens *t;
    cr_assert_eq(rv_tokens_load(path, &t, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_tokens_count(t), 2);
    rv_role role;
    char name[RV_TOKEN_NAME_MAX + 1];
    cr_expect(rv_tokens_check(t, b, &role, name, sizeof name));
    cr_expect_eq(role, RV_ROLE_OFFICER);
    cr_expect_str_eq(name, "registrator.anna");
    cr_expect(rv_tokens_check(t, a, &role, name, sizeof name));
    cr_expect_eq(role, RV_ROLE_PBX);
    char wrong[RV_TOKEN_TEXT_LEN + 1];
    memcpy(wrong, a, sizeof wrong);
    wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
    cr_expect_not(rv_tokens_check(t, wrong, &role, name, sizeof name), "one digit off");
    cr_expect_not(rv_tokens_check(t, "", &role, name, sizeof name));
    cr_expect_not(rv_tokens_check(t, NULL, &role, name, sizeof name));
    cr_expect_not(rv_tokens_check(t, "rv_short", &role, name, sizeof name));
    rv_tokens_free(t);
}

Test(token, bad_names_roles_and_duplicates) {
    char a[RV_TOKEN_TEXT_LEN + 1];
    rv_error e;
    cr_expect_eq(rv_token_create(path, "", RV_ROLE_PBX, a, &e), RV_ERR_ARG);
    cr_expect_eq(rv_token_create(path, "has space", RV_ROLE_PBX, a, &e), RV_ERR_ARG);
    cr_expect_eq(rv_token_create(path, "tab\tname", RV_ROLE_PBX, a, &e), RV_ERR_ARG);
    cr_expect_eq(rv_token_create(path, "x", (rv_role)7, a, &e), RV_ERR_ARG);
    cr_assert_eq(rv_token_create(path, "admin", RV_ROLE_ADMIN, a, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_token_create(path, "admin", RV_ROLE_PBX, a, &e), RV_ERR_ARG, "names are unique");
    cr_expect_str_eq(a, "", "no token when none was stored");
    cr_expect_eq(rv_role_parse("officer"), RV_ROLE_OFFICER);
    cr_expect_eq(rv_role_parse("root"), -1);
    cr_expect_str_eq(rv_role_name(RV_ROLE_ADMIN), "admin");
}

Test(token, a_damaged_file_is_named) {
    FILE *f = fopen(path, "w");
    fputs("vaxel-1\tpbx\tnothex\n", f);
    fclose(f);
    rv_tokens *t;
    rv_error e;
    cr_expect_eq(rv_tokens_load(path, &t, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "line 1") != NULL, "%s", e.msg);
    char a[RV_TOKEN_TEXT_LEN + 1];
    cr_expect_eq(rv_token_create(path, "other", RV_ROLE_PBX, a, &e), RV_ERR_CONFIG, "nothing appended to a damaged file");
    cr_expect_eq(rv_tokens_load("/nonexistent/tokens", &t, &e), RV_ERR_IO);
    /* an empty organisations field is refused, not read as every organisation (three fields) */
    f = fopen(path, "w");
    fputs("offe\tofficer\t0000000000000000000000000000000000000000000000000000000000000000\t\n", f);
    fclose(f);
    cr_expect_eq(rv_tokens_load(path, &t, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "line 1") != NULL, "%s", e.msg);
    /* but hand edits read as before: a tab after the organisations, a blank line of a tab, an indented comment */
    f = fopen(path, "w");
    fputs("\t# made by hand\n\t\nofficer-a\tofficer\t0000000000000000000000000000000000000000000000000000000000000000"
          "\tessunga\t\n",
          f);
    fclose(f);
    cr_expect_eq(rv_tokens_load(path, &t, &e), RV_OK, "%s", e.msg);
    rv_tokens_free(t);
}

Test(token, a_revoked_token_is_gone_and_the_others_stay) {
    char a[RV_TOKEN_TEXT_LEN + 1], b[RV_TOKEN_TEXT_LEN + 1], name[65];
    rv_error e;
    cr_assert_eq(rv_token_create(path, "anna", RV_ROLE_OFFICER, a, &e), RV_OK);
    cr_assert_eq(rv_token_create(path, "bo", RV_ROLE_MANAGER, b, &e), RV_OK);
    cr_assert_eq(rv_token_revoke(path, "anna", &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_token_revoke(path, "anna", &e), RV_ERR_NOT_FOUND);
    rv_tokens *t;
    cr_assert_eq(rv_tokens_load(path, &t, &e), RV_OK);
    rv_role r;
    cr_expect(!rv_tokens_check(t, a, &r, name, sizeof name));
    cr_expect(rv_tokens_check(t, b, &r, name, sizeof name) && r == RV_ROLE_MANAGER);
    cr_expect(!rv_tokens_has(t, "anna") && rv_tokens_has(t, "bo"));
    rv_tokens_free(t);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0600, "still private");
}
