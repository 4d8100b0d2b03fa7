/* rostvakt serve on PostgreSQL while the database goes away and comes back:
 * uploads meanwhile are refused with 503 and Retry-After, never 201 without
 * a commit; once it is back they are stored again without a restart, and
 * every acknowledged one is there, byte-identical. A PostgreSQL of the
 * test's own (tests/pg-server.sh), since it is stopped. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve.h"

static char pgdir[64], store_set[700];

static void pg(const char *what)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "sh tests/pg-server.sh %s %s/pg > /dev/null", what, pgdir);
    cr_assert_eq(system(cmd), 0, "tests/pg-server.sh %s", what);
}

static void pg_setup(void)
{
    snprintf(pgdir, sizeof pgdir, "/tmp/rv-pgo-XXXXXX");
    cr_assert_not_null(mkdtemp(pgdir));
    cr_assert_eq(chmod(pgdir, 0711), 0); /* the server's user (not root) reaches pgdir/pg */
    char cmd[640];
    snprintf(cmd, sizeof cmd, "sh tests/pg-server.sh start %s/pg", pgdir);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char conn[512] = "";
    cr_assert_not_null(fgets(conn, sizeof conn, p));
    cr_assert_eq(pclose(p), 0);
    conn[strcspn(conn, "\n")] = '\0';
    /* the server's own database, not the maintenance one */
    snprintf(cmd, sizeof cmd, "psql -X -q '%s' -c 'CREATE DATABASE rostvakt' > /dev/null", conn);
    cr_assert_eq(system(cmd), 0);
    snprintf(store_set, sizeof store_set, "store=%s dbname=rostvakt", conn);
    server_set = store_set;
    setup();
}

static void pg_teardown(void)
{
    teardown();
    pg("stop");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", pgdir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(pg_outage, .init = pg_setup, .fini = pg_teardown);

/* Whether the audio of the voicemail at loc is file's bytes. */
static int same_audio(const char *loc, const char *file)
{
    char path[160];
    snprintf(path, sizeof path, "%s/audio", loc);
    bin b = {0};
    long st = request("GET", path, officer, NULL, NULL, NULL, collect_bin, &b);
    size_t len = 0;
    unsigned char *want = NULL;
    FILE *f = fopen(file, "rb");
    if (f) {
        fseek(f, 0, SEEK_END);
        len = (size_t)ftell(f);
        rewind(f);
        want = malloc(len);
        if (want && fread(want, 1, len, f) != len) len = 0;
        fclose(f);
    }
    int same = st == 200 && want && b.len == len && memcmp(b.buf, want, len) == 0;
    free(b.buf);
    free(want);
    return same;
}

Test(pg_outage, uploads_are_503_while_the_database_is_away_and_201_when_it_is_back) {
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201, "%s", o.buf);
    char before[128], during[128] = "", after[128];
    cr_assert_eq(post_audio("samples/v01-bygglov.wav", pbx, "audio/wav", NULL, &o, before, sizeof before), 201, "%s",
                 o.buf);
    pg("stop");
    long st = post_audio("samples/v02-faktura.wav", pbx, "audio/wav", NULL, &o, during, sizeof during);
    cr_expect_eq(st, 503, "the database is away: %s", o.buf);
    cr_expect_eq(call("GET", "/healthz", NULL, NULL, &o), 503, "the node answers that its database is away: %s",
                 o.buf);
    pg("start");
    cr_assert_eq(post_audio("samples/v03-ring-mig.wav", pbx, "audio/wav", NULL, &o, after, sizeof after), 201,
                 "stored again without a restart: %s", o.buf);
    cr_expect_eq(call("GET", "/healthz", NULL, NULL, &o), 200, "and healthy again: %s", o.buf);
    cr_expect(same_audio(before, "samples/v01-bygglov.wav"), "acknowledged before: byte-identical");
    cr_expect(same_audio(after, "samples/v03-ring-mig.wav"), "acknowledged after: byte-identical");
    cr_assert_eq(call("GET", "/v1/voicemails", officer, NULL, &o), 200, "%s", o.buf);
    int n = 0;
    for (const char *p = o.buf; (p = strstr(p, "\"id\":")); p++) n++;
    cr_expect_eq(n, 2, "the refused upload is not stored: %s", o.buf);
    /* the analysis goes on too: what was acknowledged after is analysed */
    int analysed = 0;
    for (int i = 0; i < 600 && !analysed; i++) {
        cr_assert_eq(call("GET", after, officer, NULL, &o), 200, "%s", o.buf);
        analysed = strstr(o.buf, "\"state\":\"analysed\"") != NULL;
        if (!analysed) usleep(100000);
    }
    cr_expect(analysed, "analysed once the database is back: %s", o.buf);
}
