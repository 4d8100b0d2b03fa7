/* The 201 for a voicemail leaves the socket only after its audio and its
 * row are durable: tests/shim/syncorder.c, preloaded into the real server,
 * records in order each pwrite, each fsync/fdatasync and each status line
 * sent; the upload's record must read write audio, sync audio, write the
 * database's log, sync it, and only then answer 201. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve.h"

static char log_path[96];

static void preloaded(void)
{
    const char *shim = getenv("RV_SYNC_SHIM") ? getenv("RV_SYNC_SHIM") : "build/syncorder.so";
    char abs[4096];
    cr_assert(realpath(shim, abs), "the shim %s is built by make unit-test", shim);
    snprintf(log_path, sizeof log_path, "/tmp/rv-sync-%d.log", (int)getpid());
    /* only the server started below and what it starts carry the shim */
    setenv("LD_PRELOAD", abs, 1);
    setenv("RV_SYNC_LOG", log_path, 1);
    setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1); /* the sanitizer build */
    setup();
    /* no analysis worker: its result's write to the database's log could
     * land between the upload's sync and its 201 and be taken for the
     * upload's own (the upload's analysis waits in the queue instead) */
    stop_server();
    start_server("0");
    unsetenv("LD_PRELOAD");
}

static void done(void)
{
    teardown();
    unsetenv("RV_SYNC_LOG");
    unlink(log_path);
}

TestSuite(durability, .init = preloaded, .fini = done, .timeout = 60);

typedef struct {
    char what[16], path[512], extra[16];
} event;

/* The events of the log, at most cap. */
static size_t events(event *e, size_t cap)
{
    FILE *f = fopen(log_path, "r");
    cr_assert(f, "%s", log_path);
    size_t n = 0;
    char line[1100];
    while (n < cap && fgets(line, sizeof line, f)) {
        e[n].extra[0] = '\0';
        if (sscanf(line, "%15s %511s %15s", e[n].what, e[n].path, e[n].extra) >= 2) n++;
    }
    fclose(f);
    return n;
}

static int is_sync(const event *e) { return !strcmp(e->what, "fsync") || !strcmp(e->what, "fdatasync"); }

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

/* In e[0..until): the last write to a file whose path ends in tail, and
 * whether a sync of that file follows it (still before until). */
static int written_then_synced(const event *e, size_t until, const char *tail, char *what, size_t cap)
{
    long last = -1;
    for (size_t i = 0; i < until; i++)
        if (!strcmp(e[i].what, "pwrite") && ends_with(e[i].path, tail)) last = (long)i;
    if (last < 0) return snprintf(what, cap, "nothing written to *%s before the 201", tail), 0;
    for (size_t i = (size_t)last + 1; i < until; i++)
        if (is_sync(&e[i]) && !strcmp(e[i].path, e[last].path)) return 1;
    return snprintf(what, cap, "%s written, not synced before the 201", e[last].path), 0;
}

Test(durability, the_201_follows_the_sync_of_audio_and_row) {
    /* the store suite tests that audio is written in its row's transaction there; a skipped test runs no
     * .fini, so its server is stopped here */
    if (on_pg()) {
        done();
        cr_skip_test("SQLite's alone: the order of the segment's and the write-ahead log's syncs");
    }
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    /* three recordings: the audio store keeps one copy of the same bytes */
    const char *files[] = {"samples/v01-bygglov.wav", "samples/v02-faktura.wav", "samples/v03-ring-mig.wav"};
    for (int round = 0; round < 3; round++) {
        FILE *f = fopen(log_path, "w"); /* this upload's events only */
        cr_assert(f);
        fclose(f);
        cr_assert_eq(post_audio(files[round], pbx, "audio/wav", NULL, &o, NULL, 0), 201, "%s", o.buf);
        static event e[20000];
        size_t n = events(e, sizeof e / sizeof *e), answer = n;
        for (size_t i = 0; i < n && answer == n; i++)
            if (!strcmp(e[i].what, "answer") && !strcmp(e[i].extra, "201")) answer = i;
        cr_assert_lt(answer, n, "the shim saw the 201 leave (%zu events)", n);
        char why[700];
        cr_expect(written_then_synced(e, answer, ".seg", why, sizeof why), "the audio: %s", why);
        cr_expect(written_then_synced(e, answer, "rostvakt.db-wal", why, sizeof why), "the row: %s", why);
    }
}
