/* rv_out, the writer every command uses for a file a person named (sweep
 * reports, token files, calibration.conf, the phone map): what stands at
 * the path stays what it was. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rostvakt/fileio.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/rv-fileio-XXXXXX");
    cr_assert(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(fileio, .init = setup, .fini = teardown, .timeout = 30);

static void path_of(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", dir, name); }

/* Write text to path through rv_out; RV_OK or the error. */
static rv_err write_through(const char *path, const char *text)
{
    rv_out o;
    rv_error e;
    rv_err rc = rv_out_open(&o, path, 0644, &e);
    if (rc != RV_OK) return rc;
    fputs(text, o.f);
    return rv_out_commit(&o, &e);
}

static int holds(const char *path, const char *text)
{
    char buf[256] = "";
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strcmp(buf, text) == 0;
}

static int leftovers(void) /* files in dir whose names begin with '.' */
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -q '^\\.'", dir);
    return system(cmd) == 0;
}

Test(fileio, a_new_file_and_a_regular_file_are_replaced_whole) {
    char p[128];
    path_of(p, sizeof p, "report.json");
    cr_expect_eq(write_through(p, "one"), RV_OK);
    cr_expect(holds(p, "one"));
    cr_expect_eq(write_through(p, "two"), RV_OK);
    cr_expect(holds(p, "two"));
    cr_expect(!leftovers(), "no temporary file left");
    rv_out o;
    rv_error e;
    cr_assert_eq(rv_out_open(&o, p, 0644, &e), RV_OK);
    fputs("half", o.f);
    rv_out_abort(&o);
    cr_expect(holds(p, "two"), "an aborted write changes nothing");
    cr_expect(!leftovers());
}

Test(fileio, a_character_device_stays_a_device) {
    if (geteuid() != 0) cr_skip_test("mknod needs root: the character device is not tried");
    char p[128];
    path_of(p, sizeof p, "null");
    cr_assert_eq(mknod(p, S_IFCHR | 0666, makedev(1, 3)), 0, "%s", strerror(errno));
    cr_expect_eq(write_through(p, "report"), RV_OK);
    struct stat st;
    cr_assert_eq(lstat(p, &st), 0);
    cr_expect(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3), "still /dev/null's device");
}

static void *read_fifo(void *arg)
{
    static char got[64];
    FILE *f = fopen(arg, "r");
    size_t n = f ? fread(got, 1, sizeof got - 1, f) : 0;
    if (f) fclose(f);
    got[n] = '\0';
    return got;
}

Test(fileio, a_fifo_is_written_to_its_reader) {
    char p[128];
    path_of(p, sizeof p, "pipe");
    cr_assert_eq(mkfifo(p, 0600), 0);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, read_fifo, p), 0);
    cr_expect_eq(write_through(p, "report"), RV_OK);
    void *got;
    pthread_join(th, &got);
    cr_expect_str_eq((char *)got, "report", "the reader got it");
    struct stat st;
    cr_assert_eq(lstat(p, &st), 0);
    cr_expect(S_ISFIFO(st.st_mode), "still a FIFO");
}

Test(fileio, a_link_is_followed_and_kept) {
    char target[128], link[128], dangling[128], to_nothing[128];
    path_of(target, sizeof target, "shared.json");
    path_of(link, sizeof link, "link");
    path_of(dangling, sizeof dangling, "dangling");
    path_of(to_nothing, sizeof to_nothing, "made-through-the-link.json");
    FILE *f = fopen(target, "w");
    cr_assert(f);
    fclose(f);
    cr_assert_eq(symlink("shared.json", link), 0);
    cr_expect_eq(write_through(link, "via link"), RV_OK);
    struct stat st;
    cr_assert_eq(lstat(link, &st), 0);
    cr_expect(S_ISLNK(st.st_mode), "still a link");
    cr_expect(holds(target, "via link"), "its target written");
    cr_assert_eq(symlink("made-through-the-link.json", dangling), 0);
    cr_expect_eq(write_through(dangling, "new"), RV_OK);
    cr_expect(holds(to_nothing, "new"), "a link to nothing yet: the file is made where it points");
    cr_assert_eq(lstat(dangling, &st), 0);
    cr_expect(S_ISLNK(st.st_mode));
    cr_expect(!leftovers());
}

Test(fileio, a_folder_or_a_loop_is_a_clear_error) {
    char p[128], a[128], b[128];
    path_of(p, sizeof p, "sub");
    cr_assert_eq(mkdir(p, 0755), 0);
    rv_out o;
    rv_error e;
    cr_expect_eq(rv_out_open(&o, p, 0644, &e), RV_ERR_IO);
    cr_expect(strstr(e.msg, "folder") != NULL, "%s", e.msg);
    cr_expect(o.f == NULL);
    path_of(a, sizeof a, "a");
    path_of(b, sizeof b, "b");
    cr_assert_eq(symlink("b", a), 0);
    cr_assert_eq(symlink("a", b), 0);
    cr_expect_neq(rv_out_open(&o, a, 0644, &e), RV_OK);
    cr_expect(strstr(e.msg, "symbolic links") != NULL, "%s", e.msg);
}
