/* src/fileio.c: secrets read from files (tokens, passwords). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "rostvakt/fileio.h"

static char dir[64], path[128];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/rv-fileio-XXXXXX");
    cr_assert(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/secret", dir);
}

static void teardown(void)
{
    unlink(path);
    rmdir(dir);
}

/* path holds text, with mode */
static void secret_file(const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(chmod(path, mode), 0);
}

TestSuite(secret, .init = setup, .fini = teardown, .timeout = 30);

Test(secret, secret_first_line_without_its_end)
{
    char out[64];
    rv_error e;
    secret_file("tok-123\r\nnot this\n", 0600);
    cr_assert_eq(rv_secret_read(path, "--token-file", 1, out, sizeof out, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(out, "tok-123");
    secret_file("no line end", 0400);
    cr_assert_eq(rv_secret_read(path, "--token-file", 1, out, sizeof out, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(out, "no line end");
}

Test(secret, secret_two_lines_joined)
{
    char out[64];
    rv_error e;
    secret_file("user\r\npass word\nthird\n", 0600);
    cr_assert_eq(rv_secret_read(path, "mail_auth_file", 2, out, sizeof out, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(out, "user\npass word");
    secret_file("user\n\n", 0600); /* an empty password is a line */
    cr_assert_eq(rv_secret_read(path, "mail_auth_file", 2, out, sizeof out, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(out, "user\n");
    secret_file("user only\n", 0600);
    cr_expect_eq(rv_secret_read(path, "mail_auth_file", 2, out, sizeof out, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "2 lines are needed, it has 1") != NULL, "%s", e.msg);
    cr_expect_str_eq(out, "", "nothing of the secret is left on error");
}

Test(secret, secret_others_may_read_refused)
{
    char out[64], want[256];
    rv_error e;
    secret_file("tok-123\n", 0644);
    cr_assert_eq(rv_secret_read(path, "--token-file", 1, out, sizeof out, &e), RV_ERR_CONFIG);
    snprintf(want, sizeof want, "--token-file %s must be mode 0600, not 0644", path);
    cr_expect(strstr(e.msg, want) != NULL, "%s", e.msg);
    snprintf(want, sizeof want, "chmod 0600 %s", path);
    cr_expect(strstr(e.msg, want) != NULL, "%s", e.msg);
    cr_expect_str_eq(out, "");
    secret_file("tok-123\n", 0620); /* the group may write */
    cr_expect_eq(rv_secret_read(path, "--token-file", 1, out, sizeof out, &e), RV_ERR_CONFIG);
    secret_file("tok-123\n", 0604);
    cr_expect_eq(rv_secret_read(path, "--token-file", 1, out, sizeof out, &e), RV_ERR_CONFIG);
}

/* An access ACL on path as setfacl writes it: the owner r, user uid r,
 * the group and others nothing, the mask r. 0, or -1 (no ACLs here). */
static int acl_for(uint32_t uid)
{
    const uint32_t none = 0xffffffffu;
    const struct { uint16_t tag, perm; uint32_t id; } e[] = {
        {0x01, 4, none}, {0x02, 4, uid}, {0x04, 0, none}, {0x10, 4, none}, {0x20, 0, none}};
    unsigned char x[4 + sizeof e / sizeof *e * 8] = {2, 0, 0, 0}, *p = x + 4;
    for (size_t i = 0; i < sizeof e / sizeof *e; i++, p += 8) {
        p[0] = (unsigned char)e[i].tag, p[1] = 0, p[2] = (unsigned char)e[i].perm, p[3] = 0;
        for (int b = 0; b < 4; b++) p[4 + b] = (unsigned char)(e[i].id >> 8 * b);
    }
    return setxattr(path, "system.posix_acl_access", x, sizeof x, 0);
}

/* systemd's credentials are mode 0400 with an ACL entry for the service's
 * user, so their group bits (the ACL's mask) show 0440: this user may read
 * it. An entry for anyone else is refused. */
Test(secret, secret_with_an_acl_for_this_user_only)
{
    char out[64];
    rv_error e;
    struct stat st;
    secret_file("tok-123\n", 0400);
    if (acl_for((uint32_t)geteuid()) != 0) cr_skip_test("no ACLs in %s", dir);
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0440);
    cr_expect_eq(rv_secret_read(path, "--token-file", 1, out, sizeof out, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(out, "tok-123");
    cr_assert_eq(acl_for((uint32_t)geteuid() + 1), 0);
    cr_expect_eq(rv_secret_read(path, "--token-file", 1, out, sizeof out, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "must be mode 0600, not 0440") != NULL, "%s", e.msg);
}

Test(secret, secret_fifo_refused_without_waiting)
{
    char out[64];
    rv_error e;
    cr_assert_eq(mkfifo(path, 0600), 0); /* no writer: an open that waits would never return */
    cr_expect_eq(rv_secret_read(path, "--password-file", 1, out, sizeof out, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "is not a regular file") != NULL, "%s", e.msg);
}

Test(secret, secret_empty_missing_or_too_long)
{
    char out[8];
    rv_error e;
    secret_file("", 0600);
    cr_expect_eq(rv_secret_read(path, "--bearer-file", 1, out, sizeof out, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "is empty") != NULL, "%s", e.msg);
    secret_file("1234567\n", 0600); /* fits: 7 bytes and the '\0' */
    cr_expect_eq(rv_secret_read(path, "--bearer-file", 1, out, sizeof out, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(out, "1234567");
    secret_file("12345678\n", 0600);
    cr_expect_eq(rv_secret_read(path, "--bearer-file", 1, out, sizeof out, &e), RV_ERR_TOO_LARGE);
    cr_expect_str_eq(out, "");
    unlink(path);
    cr_expect_eq(rv_secret_read(path, "--bearer-file", 1, out, sizeof out, &e), RV_ERR_IO);
    cr_expect(strstr(e.msg, "cannot read --bearer-file") != NULL, "%s", e.msg);
}
