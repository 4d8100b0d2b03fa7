/* rostvakt adapt end to end: greetings sent to the service, reviewed, and
 * the installation's adaptation learned from them, used by the sweep and
 * rolled back. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve.h"

TestSuite(adapt, .init = setup, .fini = teardown, .timeout = 240);

static int rostvakt(const char *args, char *out, size_t cap)
{
    char cmd[1024];
    const char *exe = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", exe, args);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    char rest[4096]; /* what does not fit is read, not left to SIGPIPE the command */
    while (fread(rest, 1, sizeof rest, p) > 0) {
    }
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The mailboxes of the samples, each with its greeting analysed; the
 * greetings' count. */
static int greetings(void)
{
    static const char *const who[][5] = {
        {"4711", "Anna", "Svensson", "Ekonomienheten", "samples/g01-anna-svensson.wav"},
        {"4712", "Per", "Oskarsson", "Socialförvaltningen", "samples/g02-per-oskarsson.wav"},
        {"4713", "Maria", "Lindqvist", "Bygglovsenheten", "samples/g03-maria-lindqvist.wav"},
        {"4714", "Lena", "Ek", "Miljöenheten", "samples/g07-lena-ek.wav"},
        {"4715", "Erik", "Tjernberg", "Tekniska förvaltningen", "samples/g06-tjernberg.wav"},
    };
    sink o;
    for (size_t i = 0; i < sizeof who / sizeof *who; i++) {
        char path[64], body[256];
        snprintf(path, sizeof path, "/v1/mailboxes/%s", who[i][0]);
        snprintf(body, sizeof body, "{\"first_name\":\"%s\",\"last_name\":\"%s\",\"unit\":\"%s\"}", who[i][1],
                 who[i][2], who[i][3]);
        cr_assert_eq(call("PUT", path, pbx, body, &o), 201, "%s", o.buf);
        snprintf(path, sizeof path, "/v1/mailboxes/%s/greeting", who[i][0]);
        cr_assert_eq(upload("PUT", path, who[i][4], pbx, "audio/wav", NULL, &o, NULL, 0), 200, "%s", o.buf);
    }
    return (int)(sizeof who / sizeof *who);
}

/* A number after text in out, or -1. */
static long after(const char *out, const char *text)
{
    const char *p = strstr(out, text);
    return p ? atol(p + strlen(text)) : -1;
}

/* Below its minimum nothing changes; above it an adaptation is written and
 * used, the sweep analyses every greeting again once; rollback restores the
 * shipped adaptation and the sweep analyses them again once. */
Test(adapt, learns_uses_and_rolls_back) {
    int n = greetings();
    stop_server();
    char args[512], out[16384], link[160], file[160];
    snprintf(link, sizeof link, "%s/data/models/current.mllr", dir);
    snprintf(file, sizeof file, "%s/data/models/adapt-1.mllr", dir);
    char sweep[512];
    snprintf(sweep, sizeof sweep, "sweep --data-dir %s/data --date 2026-11-23 --format json --out %s/r.json", dir,
             dir);
    cr_assert_eq(rostvakt(sweep, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "greetings out of date 0") != NULL, "analysed by the service: %s", out);

    snprintf(args, sizeof args, "adapt --data-dir %s/data", dir);
    cr_assert_eq(rostvakt(args, out, sizeof out), 0, "%s", out);
    long used = after(out, "current greetings: "), frames = after(out, "phrases, ");
    cr_expect(after(out, "") == n, "%s", out);
    cr_assert(used >= 2, "the samples' names and units are stated confidently: %s", out);
    cr_expect(frames > 100 && frames < 6000, "%s", out);
    cr_expect(strstr(out, "is below --min-frames 6000: nothing changed") != NULL, "%s", out);
    cr_expect(access(link, F_OK) != 0 && access(file, F_OK) != 0, "nothing written below the minimum");
    snprintf(args, sizeof args, "adapt --data-dir %s/data --min-frames 100 --dry-run", dir);
    cr_assert_eq(rostvakt(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "dry run: nothing changed") != NULL && access(file, F_OK) != 0, "%s", out);

    snprintf(args, sizeof args, "adapt --data-dir %s/data --min-frames 100", dir);
    cr_assert_eq(rostvakt(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "models/adapt-1.mllr, now in use (no MAP model: ") != NULL, "%s", out);
    cr_expect(strstr(out, "is below --map-min-frames 16000") != NULL, "%s", out);
    cr_expect(access(file, R_OK) == 0 && access(link, R_OK) == 0, "written and in use");
    char map1[160];
    snprintf(map1, sizeof map1, "%s/data/models/adapt-1.map", dir);
    cr_expect(access(map1, F_OK) != 0, "no MAP model below its minimum");
    char mf[160], buf[512] = "";
    snprintf(mf, sizeof mf, "%s/data/models/adapt-1.txt", dir);
    FILE *f = fopen(mf, "r");
    cr_assert(f, "a manifest");
    buf[fread(buf, 1, sizeof buf - 1, f)] = '\0';
    fclose(f);
    cr_expect(after(buf, "frames ") == frames && strstr(buf, "previous 0\n") != NULL, "%s", buf);
    cr_expect(strstr(buf, "map no\n") != NULL, "%s", buf);
    char cfg[256];
    snprintf(cfg, sizeof cfg, "config --set data_dir=%s/data", dir);
    cr_assert_eq(rostvakt(cfg, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "/data/models/current.mllr ") != NULL, "serve and sweep use it: %s", out);
    char expect[96];
    snprintf(expect, sizeof expect, "greetings out of date %d, re-analysed %d, failed 0", n, n);
    cr_assert_eq(rostvakt(sweep, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, expect) != NULL, "the models version moved: %s", out);
    cr_assert_eq(rostvakt(sweep, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "greetings out of date 0") != NULL, "once: %s", out);

    snprintf(args, sizeof args, "adapt --data-dir %s/data --rollback", dir);
    cr_assert_eq(rostvakt(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "the shipped one applies") != NULL, "%s", out);
    cr_expect(access(link, F_OK) != 0 && access(file, F_OK) == 0, "not in use, still kept");
    cr_assert_eq(rostvakt(cfg, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "models/en-us-tel.mllr ") != NULL, "the shipped one again: %s", out);
    cr_assert_eq(rostvakt(sweep, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, expect) != NULL, "the models version moved back: %s", out);
    cr_assert_eq(rostvakt(sweep, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "greetings out of date 0") != NULL, "%s", out);
    cr_expect_eq(rostvakt(args, out, sizeof out), 64, "nothing to roll back: %s", out);
    cr_expect(strstr(out, "no adaptation of this installation is in use") != NULL, "%s", out);

    /* two more: the last rolls back to the one before it */
    snprintf(args, sizeof args, "adapt --data-dir %s/data --min-frames 100", dir);
    cr_assert_eq(rostvakt(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "models/adapt-2.mllr, now in use") != NULL, "%s", out);
    cr_assert_eq(rostvakt(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "models/adapt-3.mllr, now in use") != NULL, "%s", out);
    snprintf(args, sizeof args, "adapt --data-dir %s/data --rollback", dir);
    cr_assert_eq(rostvakt(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "adaptation 2 is in use again") != NULL, "%s", out);
}

/* A file's bytes, or "" (at most cap - 1). */
static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    buf[0] = '\0';
    if (!f) return;
    buf[fread(buf, 1, cap - 1, f)] = '\0';
    fclose(f);
}

/* Above --map-min-frames (here set low, as the test's frames are few) a MAP
 * model is learned after the MLLR and kept beside it: the models version
 * moves (the sweep analyses every greeting again once, with it); a rollback
 * restores the MLLR alone, and the version moves back. */
Test(adapt, map_model_above_its_minimum) {
    int n = greetings();
    stop_server();
    char args[512], out[16384], path[200], buf[512];
    char sweep[512], expect[96];
    snprintf(sweep, sizeof sweep, "sweep --data-dir %s/data --date 2026-11-23 --format json --out %s/r.json", dir,
             dir);
    snprintf(expect, sizeof expect, "greetings out of date %d, re-analysed %d, failed 0", n, n);
    snprintf(args, sizeof args, "adapt --data-dir %s/data --min-frames 100", dir);
    cr_assert_eq(rostvakt(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "models/adapt-1.mllr, now in use (no MAP model") != NULL, "%s", out);
    cr_assert_eq(rostvakt(sweep, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, expect) != NULL, "%s", out);

    snprintf(args, sizeof args, "adapt --data-dir %s/data --min-frames 100 --map-min-frames 100", dir);
    cr_assert_eq(rostvakt(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "models/adapt-2.mllr and the MAP model adapt-2.map") != NULL, "%s", out);
    static const char *const files[] = {"means", "variances", "mdef", "sendump", "feat.params", "noisedict",
                                        "transition_matrices"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/data/models/adapt-2.map/%s", dir, files[i]);
        cr_expect(access(path, R_OK) == 0, "%s written", path);
    }
    snprintf(path, sizeof path, "%s/data/models/adapt-2.txt", dir);
    slurp(path, buf, sizeof buf);
    cr_expect(strstr(buf, "map yes\n") != NULL && strstr(buf, "previous 1\n") != NULL, "%s", buf);
    cr_assert_eq(rostvakt(sweep, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, expect) != NULL, "the models version moved, analysed with the MAP model: %s", out);
    cr_assert_eq(rostvakt(sweep, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "greetings out of date 0") != NULL, "once: %s", out);

    snprintf(args, sizeof args, "adapt --data-dir %s/data --rollback", dir);
    cr_assert_eq(rostvakt(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "adaptation 1 is in use again") != NULL, "%s", out);
    snprintf(path, sizeof path, "%s/data/models/adapt-2.map/means", dir);
    cr_expect(access(path, R_OK) == 0, "kept");
    cr_assert_eq(rostvakt(sweep, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, expect) != NULL, "the models version moved back: %s", out);
    cr_assert_eq(rostvakt(sweep, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "greetings out of date 0") != NULL, "%s", out);
}

/* A greeting a review said was wrong never teaches, whatever its analysis. */
Test(adapt, never_from_a_greeting_a_review_refuted) {
    int n = greetings();
    sink o;
    cr_assert_eq(call("POST", "/v1/mailboxes/4711/greetings/1/review", officer, "{\"name\":\"not_stated\"}", &o),
                 201, "%s", o.buf);
    cr_assert_eq(call("POST", "/v1/mailboxes/4712/greetings/2/review", officer, "{\"unit\":\"not_stated\"}", &o),
                 201, "%s", o.buf);
    cr_assert_eq(call("POST", "/v1/mailboxes/4713/greetings/3/review", officer,
                      "{\"name\":\"stated\",\"unit\":\"stated\"}", &o), 201, "%s", o.buf);
    stop_server();
    char args[512], out[16384];
    snprintf(args, sizeof args, "adapt --data-dir %s/data --dry-run", dir);
    cr_assert_eq(rostvakt(args, out, sizeof out), 0, "%s", out);
    cr_expect(after(out, "") == n, "%s", out);
    cr_expect(after(out, "and unit, ") == 2, "two refuted: %s", out);
    long used = after(out, "current greetings: ");
    cr_expect(used >= 1 && used <= n - 2, "%s", out);
    /* every greeting refuted: nothing to learn from */
    start_server("0");
    for (int i = 3; i <= n; i++) {
        char path[80];
        snprintf(path, sizeof path, "/v1/mailboxes/%d/greetings/%d/review", 4710 + i, i);
        cr_assert_eq(call("POST", path, officer, "{\"org\":\"not_stated\"}", &o), 201, "%s: %s", path, o.buf);
    }
    stop_server();
    snprintf(args, sizeof args, "adapt --data-dir %s/data --min-frames 1", dir);
    cr_assert_eq(rostvakt(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, ": 0 used (0 phrases, 0 frames)") != NULL, "%s", out);
    cr_expect(strstr(out, "0 frames is below --min-frames 1: nothing changed") != NULL, "%s", out);
}

Test(adapt, bad_arguments) {
    stop_server();
    char args[512], out[4096];
    snprintf(args, sizeof args, "adapt --data-dir %s/data --min-frames x", dir);
    cr_expect_eq(rostvakt(args, out, sizeof out), 64, "%s", out);
    cr_expect(strstr(out, "--min-frames needs a number") != NULL, "%s", out);
    cr_expect_eq(rostvakt("adapt --data-dir /nonexistent/rostvakt", out, sizeof out), 64, "%s", out);
    cr_expect(strstr(out, "no archive at /nonexistent/rostvakt") != NULL, "%s", out);
    snprintf(args, sizeof args, "adapt --data-dir %s/data --bogus", dir);
    cr_expect_eq(rostvakt(args, out, sizeof out), 64, "%s", out);
}
