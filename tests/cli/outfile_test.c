/* Files a person names on the command line (sweep --out, token --tokens):
 * a character device, a FIFO and a symbolic link at that path are still
 * what they were afterwards, and what was written reached them. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rostvakt/store.h"

static char tmp[64];

/* the program, by a path that still holds in tmp */
static const char *exe(void)
{
    static char path[4096];
    if (!path[0] && !realpath(getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", path)) return "rostvakt";
    return path;
}

/* sh -c on the formatted command, in tmp; its exit status. */
__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
    char cmd[2048], full[2200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "cd '%s' && { %s; } >/dev/null 2>&1", tmp, cmd);
    int st = system(full);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int contains(const char *name, const char *text)
{
    char path[128], buf[4096] = "";
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strstr(buf, text) != NULL;
}

static mode_t kind(const char *name)
{
    char path[128];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : 0;
}

static void setup(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/rv-outfile-XXXXXX");
    cr_assert(mkdtemp(tmp));
    cr_assert_eq(sh("mkdir data"), 0);
    char data[96]; /* an empty archive, as rostvakt serve makes it */
    snprintf(data, sizeof data, "%s/data", tmp);
    rv_store *st;
    rv_error e;
    cr_assert_eq(rv_store_open(data, &st, &e), RV_OK, "%s", e.msg);
    rv_store_close(st);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(outfile, .init = setup, .fini = teardown, .timeout = 60);

#define SWEEP "'%s' sweep --data-dir data --date 2026-11-23 --format json --out "
#define REPORT "\"date\":\"2026-11-23\""

Test(outfile, sweep_writes_into_a_character_device) {
    if (geteuid() != 0) cr_skip_test("mknod needs root: the character device is not tried");
    cr_assert_eq(sh("mknod null c 1 3 && chmod 666 null"), 0);
    cr_expect_eq(sh(SWEEP "null", exe()), 0);
    cr_expect_eq(kind("null"), S_IFCHR, "still a character device");
    char path[128];
    struct stat st;
    snprintf(path, sizeof path, "%s/null", tmp);
    cr_expect(stat(path, &st) == 0 && st.st_rdev == makedev(1, 3), "the same device");
}

Test(outfile, sweep_writes_into_a_fifo_its_reader_reads) {
    cr_assert_eq(sh("mkfifo pipe"), 0);
    /* the reader gives up after 20 s: a replaced FIFO never gets a writer */
    cr_expect_eq(sh("timeout 20 cat pipe > got & " SWEEP "pipe; s=$?; wait; exit $s", exe()), 0);
    cr_expect_eq(kind("pipe"), S_IFIFO, "still a FIFO");
    cr_expect(contains("got", REPORT), "the reader got the report");
}

Test(outfile, sweep_writes_a_links_target_and_keeps_the_link) {
    cr_assert_eq(sh("mkdir shared && echo old > shared/report.json && ln -s shared/report.json link"), 0);
    cr_expect_eq(sh(SWEEP "link", exe()), 0);
    cr_expect_eq(kind("link"), S_IFLNK, "still a link");
    cr_expect(contains("shared/report.json", REPORT), "its target holds the report");
    /* a link to a file not yet there: the file is made where it points */
    cr_assert_eq(sh("ln -s shared/new.json dangling"), 0);
    cr_expect_eq(sh(SWEEP "dangling", exe()), 0);
    cr_expect_eq(kind("dangling"), S_IFLNK);
    cr_expect(contains("shared/new.json", REPORT));
    cr_expect_eq(sh("ls -A shared | grep -v -x -e report.json -e new.json | grep -q ."), 1, "no temporary file left");
}

Test(outfile, sweep_makes_the_folders_of_its_report) {
    cr_expect_eq(sh(SWEEP "reports/2026/r.json", exe()), 0);
    cr_expect(contains("reports/2026/r.json", REPORT));
    cr_expect_eq(sh("echo x > afile && " SWEEP "afile/x.json", exe()), 78, "a file in the way is a clear error");
    cr_expect_eq(sh(SWEEP "reports", exe()), 78, "so is a folder at the path");
}

Test(outfile, token_revocation_keeps_a_linked_tokens_file) {
    cr_assert_eq(sh("mkdir etc && ln -s etc/tokens tokens"), 0);
    cr_assert_eq(sh("'%s' token --tokens tokens --role officer --name anna --org '*'", exe()), 0);
    cr_assert_eq(sh("'%s' token --tokens tokens --role officer --name bo --org '*'", exe()), 0);
    cr_expect_eq(sh("'%s' token --tokens tokens --revoke anna", exe()), 0);
    cr_expect_eq(kind("tokens"), S_IFLNK, "still a link");
    cr_expect(contains("etc/tokens", "bo\tofficer"), "the target keeps the other token");
    cr_expect(!contains("etc/tokens", "anna"), "and lost the revoked one");
}

Test(outfile, archive_makes_its_folder) {
    cr_assert_eq(sh("'%s' sweep --data-dir data --date 2026-11-23 --dry-run", exe()), 0);
    sh("'%s' archive --data-dir data --voicemail 1 --out packages/2026", exe()); /* no such voicemail */
    cr_expect_eq(kind("packages/2026"), S_IFDIR, "the folder is made");
    cr_expect_eq(sh("echo x > afile && '%s' archive --data-dir data --voicemail 1 --out afile/p", exe()), 64,
                 "a file in the way is a usage error");
}
