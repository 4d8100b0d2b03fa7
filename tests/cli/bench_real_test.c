/* bench/bench_real as make bench runs it: its options are checked before
 * anything is scored, and what cannot be scored stops it with an error
 * instead of leaving figures that look measured. */
#include "spawn.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Run bench_real with args; its exit status, stderr into err. */
static int run_bench(const char *const *args, char *err, size_t cap)
{
    return spawn_stderr(getenv("RV_BENCH_REAL") ? getenv("RV_BENCH_REAL") : "build/bench_real", args, err, cap);
}

/* A cohort file of n words. */
static void write_cohort(const char *path, int n)
{
    FILE *f = fopen(path, "w");
    cr_assert(f);
    for (int i = 0; i < n; i++) fprintf(f, "ord%c%c\n", 'a' + i / 26, 'a' + i % 26);
    fclose(f);
}

Test(bench_real, a_cohort_over_the_limit_is_an_error_not_a_shift, .timeout = 60) {
    char dir[] = "/tmp/rv-bench-real-XXXXXX", path[64], err[4096];
    cr_assert(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/cohort", dir);
    /* no set at dir: a cohort it accepts ends in "no real speech", status 0 */
    write_cohort(path, 64);
    const char *ok[] = {"--cohort", path, dir, NULL};
    cr_expect_eq(run_bench(ok, err, sizeof err), 0, "64 words refused: %s", err);
    write_cohort(path, 65);
    int st = run_bench(ok, err, sizeof err);
    cr_expect_eq(st, 64, "a cohort of 65 words: status %d", st);
    cr_expect(strstr(err, "65") && strstr(err, "64"), "the error names the count and the limit: %s", err);
    unlink(path);
    rmdir(dir);
}

Test(bench_real, bands_of_too_few_figures_are_an_error, .timeout = 60) {
    char dir[] = "/tmp/rv-bench-real-XXXXXX", path[64], err[4096];
    cr_assert(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/margins.tsv", dir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fprintf(f, "test\tulaw\tunit\t1\t2.5\t1\n");
    fclose(f);
    const char *args[] = {"--margins", path, NULL};
    /* seven figures where eight are needed: not bands read as zeros */
    cr_assert_eq(setenv("RV_BENCH_BANDS", "-1 1 -1 1 -1 1 -1", 1), 0);
    int st = run_bench(args, err, sizeof err);
    cr_expect_eq(st, 64, "seven figures: status %d (%s)", st, err);
    cr_expect(strstr(err, "eight"), "the error says how many: %s", err);
    cr_assert_eq(setenv("RV_BENCH_BANDS", "-1 1 -1 1 -1 1 -1 1", 1), 0);
    st = run_bench(args, err, sizeof err);
    cr_expect_eq(st, 0, "eight figures: status %d (%s)", st, err);
    unsetenv("RV_BENCH_BANDS");
    unlink(path);
    rmdir(dir);
}
