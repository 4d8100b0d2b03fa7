/* What rostvakt writes for others to read, end to end: the e-archive's
 * submission packages (XML, tar, folders on disk) with hostile text in
 * them and a packaging process killed half-way. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve.h"

TestSuite(writers, .init = setup, .fini = teardown, .timeout = 120);

static const char *rv_bin(void) { return getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt"; }

/* sh -c cmd with its output in out; its exit status. */
static int shell(const char *cmd, sink *out)
{
    char file[128], full[4096];
    snprintf(file, sizeof file, "%s/shell.out", dir);
    snprintf(full, sizeof full, "( %s ) >%s 2>&1", cmd, file);
    int st = system(full);
    memset(out, 0, sizeof *out);
    FILE *f = fopen(file, "r");
    if (f) {
        out->len = fread(out->buf, 1, sizeof out->buf - 1, f);
        fclose(f);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Every XML file below pkg well-formed, and the package as an e-archive checks it. */
static void expect_sound_package(const char *pkg)
{
    char cmd[1024];
    sink out;
    snprintf(cmd, sizeof cmd, "find %s -name '*.xml' | grep -q . && find %s -name '*.xml' -exec xmllint --nonet --noout {} +",
             pkg, pkg);
    cr_expect_eq(shell(cmd, &out), 0, "every XML file of %s well-formed: %s", pkg, out.buf);
    snprintf(cmd, sizeof cmd, "tests/check-package.sh %s", pkg);
    cr_expect_eq(shell(cmd, &out), 0, "%s", out.buf);
}

/* A registered voicemail 1 in mailbox 4711 (the organisation and the
 * diarienummer as JSON strings). */
static void registered(const char *org_json, const char *diarienummer_json)
{
    sink o;
    char body[512], loc[128];
    snprintf(body, sizeof body,
             "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\",\"org\":\"%s\"}", org_json);
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, body, &o), 201, "%s", o.buf);
    cr_assert_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", NULL, &o, loc, sizeof loc), 201);
    snprintf(body, sizeof body, "{\"decision\":\"registrera\",\"arendemening\":\"Röstmeddelande\",\"diarienummer\":\"%s\"}", diarienummer_json);
    cr_assert_eq(call("POST", "/v1/voicemails/1/decision", officer, body, &o), 201, "%s", o.buf);
}

/* XML 1.0 has no U+FFFE, U+FFFF or C0 controls but tab, LF and CR: in the
 * organisation and the diarienummer they must not make the package's XML
 * ill-formed (the e-archive would refuse it), over HTTP or on disk. (A
 * decision and a mailbox refuse control characters; U+FFFE and U+FFFF
 * they take.) */
Test(writers, characters_xml_forbids_leave_the_package_well_formed) {
    registered("Botkyrka\\ufffe kommun\\uffff", "KS\\ufffe 2026/\\uffff0042\\ufffe");
    char tarf[256], into[256], cmd[2048];
    sink out;
    bin b;
    memset(&b, 0, sizeof b);
    cr_assert_eq(request("POST", "/v1/voicemails/1/package", officer, NULL, NULL, NULL, collect_bin, &b), 200);
    snprintf(tarf, sizeof tarf, "%s/p.tar", dir);
    FILE *f = fopen(tarf, "wb");
    cr_assert(f);
    fwrite(b.buf, 1, b.len, f);
    fclose(f);
    free(b.buf);
    snprintf(into, sizeof into, "%s/http", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s && tar -xf %s -C %s && ls %s", into, tarf, into, into);
    cr_assert_eq(shell(cmd, &out), 0, "%s", out.buf);
    out.buf[strcspn(out.buf, "\n")] = '\0';
    char pkg[512];
    snprintf(pkg, sizeof pkg, "%s/%.100s", into, out.buf);
    expect_sound_package(pkg);
    /* what could be kept is kept, what could not is U+FFFD */
    snprintf(cmd, sizeof cmd,
             "f=%s/metadata/descriptive/voicemail.xml; grep -q 'KS\xef\xbf\xbd 2026/\xef\xbf\xbd" "0042\xef\xbf\xbd' $f"
             " || { cat $f; exit 1; }",
             pkg);
    cr_expect_eq(shell(cmd, &out), 0, "the diarienummer with replacement characters: %s", out.buf);
    /* the same from the command line */
    snprintf(into, sizeof into, "%s/cli", dir);
    mkdir(into, 0755);
    snprintf(cmd, sizeof cmd, "%s archive --data-dir %s/data --voicemail 1 --out %s", rv_bin(), dir, into);
    cr_assert_eq(shell(cmd, &out), 0, "%s", out.buf);
    snprintf(cmd, sizeof cmd, "ls %s", into);
    cr_assert_eq(shell(cmd, &out), 0);
    out.buf[strcspn(out.buf, "\n")] = '\0';
    snprintf(pkg, sizeof pkg, "%s/%.100s", into, out.buf);
    expect_sound_package(pkg);
}

/* `rostvakt archive` as a child with RV_TEST_KILL_AT=point; its wait status. */
static int archive_killed_at(const char *point, const char *out, int tar)
{
    char data[128];
    snprintf(data, sizeof data, "%s/data", dir);
    pid_t p = fork();
    cr_assert(p >= 0);
    if (p == 0) {
        if (point) setenv("RV_TEST_KILL_AT", point, 1);
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(126);
        execl(rv_bin(), rv_bin(), "archive", "--data-dir", data, "--voicemail", "1", "--out", out,
              tar ? "--tar" : (char *)NULL, (char *)NULL);
        _exit(127);
    }
    int st;
    cr_assert_eq(waitpid(p, &st, 0), p);
    return st;
}

/* How often voicemail 1 was recorded as packaged; its OBJID, or "". */
static int packaged(char *objid, size_t cap)
{
    sink o;
    cr_assert_eq(call("GET", "/v1/voicemails/1", officer, NULL, &o), 200);
    int n = 0;
    for (const char *q = o.buf; (q = strstr(q, "\"event\":\"packaged\"")); q++) n++;
    const char *q = strstr(o.buf, "\"objid\":\"");
    objid[0] = '\0';
    if (q) snprintf(objid, cap, "%.*s", (int)strcspn(q + 9, "\""), q + 9);
    return n;
}

/* kill -9 while `rostvakt archive` writes the package, at each point the
 * hook names: the voicemail is never recorded as packaged without its
 * package complete on disk, and the next run leaves a complete package and
 * nothing half-written. */
Test(writers, kill_9_during_archive_records_no_missing_package) {
    registered("Botkyrka kommun", "KS 2026/0042");
    static const char *const points[] = {"package-files-written", "package-renamed"};
    for (int tar = 0; tar <= 1; tar++)
        for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
            char out[256], cmd[1024], objid[64], pkg[512], what[64];
            sink o;
            snprintf(what, sizeof what, "%s%s", points[i], tar ? " (tar)" : "");
            snprintf(out, sizeof out, "%s/out-%d-%zu", dir, tar, i);
            mkdir(out, 0755);
            int before = packaged(objid, sizeof objid);
            int st = archive_killed_at(points[i], out, tar);
            cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%s: the hook kills the process (status %d)", what, st);
            if (packaged(objid, sizeof objid) > before) {
                snprintf(cmd, sizeof cmd, "ls -A %s; test -e %s/%s%s", out, out, objid, tar ? ".tar" : "/METS.xml");
                cr_expect_eq(shell(cmd, &o), 0, "%s: recorded as packaged as %s, and no package in %s: %s", what, objid,
                             out, o.buf);
            }
            /* the next run: a complete package with the recorded OBJID, nothing partial left */
            before = packaged(objid, sizeof objid);
            st = archive_killed_at(NULL, out, tar);
            cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: the next run (status %d)", what, st);
            cr_assert_eq(packaged(objid, sizeof objid), before + 1, "%s: recorded once by the next run", what);
            if (tar) {
                snprintf(cmd, sizeof cmd, "mkdir %s/x && tar -xf %s/%s.tar -C %s/x", out, out, objid, out);
                cr_assert_eq(shell(cmd, &o), 0, "%s: %s", what, o.buf);
                snprintf(pkg, sizeof pkg, "%s/x/%s", out, objid);
            } else
                snprintf(pkg, sizeof pkg, "%s/%s", out, objid);
            expect_sound_package(pkg);
            snprintf(cmd, sizeof cmd, "ls -A %s | grep '^\\.'", out);
            cr_expect_eq(shell(cmd, &o), 1, "%s: left behind in %s: %s", what, out, o.buf);
        }
    /* made again over itself: killed half-way, the earlier package stays whole */
    char out[256], pkg[512], objid[64], cmd[1024];
    sink o;
    snprintf(out, sizeof out, "%s/out-0-0", dir);
    packaged(objid, sizeof objid);
    snprintf(pkg, sizeof pkg, "%s/%s", out, objid);
    int st = archive_killed_at("package-files-written", out, 0);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%d", st);
    expect_sound_package(pkg);
    st = archive_killed_at(NULL, out, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%d", st);
    expect_sound_package(pkg);
    snprintf(cmd, sizeof cmd, "ls -A %s | grep '^\\.'", out);
    cr_expect_eq(shell(cmd, &o), 1, "left behind in %s: %s", out, o.buf);
}
