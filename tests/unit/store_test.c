/* The archive's foundation: schema migrations and durable, content-addressed
 * audio. */
#include <criterion/criterion.h>
#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../src/store_int.h"

#include "rostvakt/config.h"
#include "rostvakt/fileio.h"
#include "rostvakt/mail.h"
#include "rostvakt/organisation.h"
#include "rostvakt/requests.h"
#include "rostvakt/store.h"

static char dir[64];

/* The suite runs on PostgreSQL too (RV_TEST_STORE: make unit-test-pg); a
 * test of SQLite's own files or of its migrations of older archives is
 * SQLite's alone. */
static int on_pg(void)
{
    const char *t = getenv("RV_TEST_STORE");
    return t && *t;
}
#define SQLITE_ONLY(why)                                                                                       \
    do {                                                                                                     \
        if (on_pg()) cr_skip_test("SQLite's alone: %s", why);                                                \
    } while (0)

static unsigned char *slurp_file(const char *path, size_t *len)
{
    unsigned char *b;
    rv_error e;
    return rv_file_read(path, 0, &b, len, &e) == RV_OK ? b : NULL;
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/rv-store-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(store, .init = setup, .fini = teardown);

Test(store, opens_migrates_and_reopens) {
    rv_store *s;
    rv_error e;
    char sub[128];
    snprintf(sub, sizeof sub, "%s/deeper/data", dir);
    cr_assert_eq(rv_store_open(sub, &s, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_store_schema_version(s), RV_STORE_SCHEMA_VERSION);
    rv_store_close(s);
    cr_assert_eq(rv_store_open(sub, &s, &e), RV_OK, "a second open changes nothing: %s", e.msg);
    cr_expect_eq(rv_store_schema_version(s), RV_STORE_SCHEMA_VERSION);
    rv_store_close(s);
    char db[160];
    snprintf(db, sizeof db, "%s/rostvakt.db", sub);
    struct stat st;
    if (!on_pg()) cr_expect_eq(stat(db, &st), 0);
    cr_expect_eq(rv_store_open("", &s, &e), RV_ERR_ARG);
    cr_expect_eq(rv_store_open("/proc/rostvakt-cannot", &s, &e), RV_ERR_IO);
}

Test(store, audio_is_content_addressed_and_byte_identical) {
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    unsigned char data[5000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (unsigned char)(i * 7 + 3);
    char hex[RV_SHA256_HEX + 1], again[RV_SHA256_HEX + 1];
    cr_assert_eq(rv_store_put_audio(s, data, sizeof data, hex, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_put_audio(s, data, sizeof data, again, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(hex, again, "the same bytes, the same name");
    rv_audio_loc loc, loc2;
    cr_assert_eq(rv_store_locate_audio(s, hex, &loc, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(loc.blob.at, 0, "the first copy is the one indexed");
    cr_expect_eq(loc.blob.len, sizeof data);
    unsigned char *back;
    size_t len;
    cr_assert_eq(rv_store_read_audio(s, hex, sizeof data, &back, &len, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(len, sizeof data);
    cr_expect_eq(memcmp(back, data, len), 0);
    free(back);
    cr_expect_eq(rv_store_read_audio(s, hex, sizeof data - 1, &back, &len, &e), RV_ERR_TOO_LARGE);
    /* the empty body has a hash too */
    cr_expect_eq(rv_store_put_audio(s, "", 0, hex, &e), RV_OK);
    cr_expect_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    cr_assert_eq(rv_store_read_audio(s, hex, 10, &back, &len, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(len, 0);
    free(back);
    cr_expect_eq(rv_store_locate_audio(s, "0000000000000000000000000000000000000000000000000000000000000000", &loc2,
                                       &e), RV_ERR_NOT_FOUND);
    rv_store_close(s);
}

/* Bytes staged but never committed (a crash before the row) are cut off at
 * the next start; what is indexed stays byte-identical. */
Test(store, uncommitted_audio_is_reclaimed_at_start_up) {
    SQLITE_ONLY("audio in segments (PostgreSQL keeps it in the database)");
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    char hex[RV_SHA256_HEX + 1];
    cr_assert_eq(rv_store_put_audio(s, "kept bytes", 10, hex, &e), RV_OK, "%s", e.msg);
    rv_audio_blob b;
    cr_assert_eq(rv_store_stage_audio(s, "never committed", 15, &b, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(b.at, 10);
    char seg[256];
    snprintf(seg, sizeof seg, "%s/audio/%s.seg", dir, b.segment);
    struct stat st;
    cr_assert_eq(stat(seg, &st), 0);
    cr_expect_eq(st.st_size, 25);
    rv_store *other;
    cr_assert_eq(rv_store_open(dir, &other, &e), RV_OK, "%s", e.msg);
    rv_store_remove_leftovers(other);
    cr_assert_eq(stat(seg, &st), 0);
    cr_expect_eq(st.st_size, 25, "a segment its store still writes is left alone");
    rv_store_close(s); /* "crash": the staged bytes were never indexed */
    rv_store_remove_leftovers(other);
    cr_assert_eq(stat(seg, &st), 0);
    cr_expect_eq(st.st_size, 10, "cut after the last indexed recording");
    unsigned char *back;
    size_t len;
    cr_assert_eq(rv_store_read_audio(other, hex, 100, &back, &len, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(len, 10);
    cr_expect_eq(memcmp(back, "kept bytes", 10), 0);
    free(back);
    /* a segment of which nothing is indexed goes altogether */
    cr_assert_eq(rv_store_stage_audio(other, "orphan", 6, &b, &e), RV_OK, "%s", e.msg);
    snprintf(seg, sizeof seg, "%s/audio/%s.seg", dir, b.segment);
    rv_store_close(other);
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    rv_store_remove_leftovers(s);
    cr_expect_neq(stat(seg, &st), 0, "an orphan segment is removed");
    rv_store_close(s);
}

/* On PostgreSQL a recording is copied into the database, in chunks, in the
 * transaction of the row that names it: nothing of a rolled-back one is
 * stored, a committed one is read back whole or a range of it from its
 * chunks, its staged copy is given back, and disposal deletes the chunks in
 * its transaction. */
Test(store, audio_in_the_database_is_chunked_and_goes_with_its_transaction) {
    if (!on_pg()) cr_skip_test("PostgreSQL's alone (SQLite keeps audio in segments)");
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    rv_mailbox m;
    const char *json = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomi\"}";
    cr_assert_eq(rv_mailbox_parse("4711", json, strlen(json), &m, &e), RV_OK);
    int created;
    cr_assert_eq(rv_store_put_mailbox(s, &m, "2026-12-06T10:00:00Z", &created, &e), RV_OK, "%s", e.msg);
    size_t n = 2 * RV_AUDIO_CHUNK + 1234;
    unsigned char *audio = malloc(n);
    for (size_t i = 0; i < n; i++) audio[i] = (unsigned char)(i * 7 + i / 4096);
    rv_audio_blob b;
    cr_assert_eq(rv_store_stage_audio(s, audio, n, &b, &e), RV_OK, "%s", e.msg);
    rv_vm_new v = {.ext = "4711", .sha256 = b.sha256, .blob = &b, .content_type = "audio/wav", .bytes = n,
                   .received_at = "2026-12-06T10:00:00Z"};
    /* rolled back: nothing stored */
    cr_assert_eq(rv_store_begin(s, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_add_voicemails(s, &v, 1, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(v.rc, RV_OK, "%s", v.err.msg);
    cr_assert_eq(rv_store_end(s, RV_ERR_ARG, &e), RV_ERR_ARG);
    rv_audio_loc loc;
    cr_expect_eq(rv_store_locate_audio(s, b.sha256, &loc, &e), RV_ERR_NOT_FOUND);
    /* committed */
    cr_assert_eq(rv_store_begin(s, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_add_voicemails(s, &v, 1, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(v.rc, RV_OK, "%s", v.err.msg);
    cr_assert_eq(rv_store_end(s, RV_OK, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_locate_audio(s, b.sha256, &loc, &e), RV_OK, "%s", e.msg);
    cr_expect(loc.in_db);
    cr_expect_eq(loc.blob.len, n);
    unsigned char *back;
    size_t len;
    cr_assert_eq(rv_store_read_audio(s, b.sha256, n, &back, &len, &e), RV_OK, "%s", e.msg);
    cr_expect(len == n && memcmp(back, audio, n) == 0, "byte-identical");
    free(back);
    size_t from = RV_AUDIO_CHUNK - 10;
    cr_assert_eq(rv_store_load_audio_range(s, &loc, from, RV_AUDIO_CHUNK + 20, &back, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(memcmp(back, audio + from, RV_AUDIO_CHUNK + 20), 0, "a range across three chunks");
    free(back);
    cr_expect_eq(rv_store_load_audio_range(s, &loc, n - 1, 2, &back, &e), RV_ERR_ARG, "past the end");
    /* the staged copy is given back once the database has it */
    char seg[256];
    snprintf(seg, sizeof seg, "%s/audio/%s.seg", dir, b.segment);
    size_t seg_len;
    unsigned char *staged = slurp_file(seg, &seg_len);
    cr_assert_not_null(staged);
    int zero = seg_len >= (size_t)b.at + n;
    for (size_t i = 0; zero && i < n; i++) zero = staged[b.at + (long long)i] == 0;
    cr_expect(zero, "the staged bytes are released");
    free(staged);
    /* disposal deletes the chunks in its transaction */
    cr_assert_eq(rv_store_begin(s, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_forget_audio(s, b.sha256, &loc, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_end(s, RV_OK, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_store_erase_audio(s, &loc, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_store_read_audio(s, b.sha256, n, &back, &len, &e), RV_ERR_NOT_FOUND);
    cr_expect_eq(rv_store_load_audio_range(s, &loc, 0, 10, &back, &e), RV_ERR_NOT_FOUND, "no chunk is left");
    free(audio);
    rv_store_close(s);
}

/* Disposal drops the index entry in the caller's transaction and then
 * erases the bytes; audio of schema 4 (a file each) is read and erased too. */
Test(store, disposed_audio_is_erased_and_legacy_files_are_read) {
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    char hex[RV_SHA256_HEX + 1], keep[RV_SHA256_HEX + 1];
    cr_assert_eq(rv_store_put_audio(s, "first recording", 15, hex, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_put_audio(s, "second one", 10, keep, &e), RV_OK, "%s", e.msg);
    rv_audio_loc loc;
    cr_assert_eq(rv_store_forget_audio(s, hex, &loc, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_erase_audio(s, &loc, &e), RV_OK, "%s", e.msg);
    unsigned char *back;
    size_t len;
    cr_expect_eq(rv_store_read_audio(s, hex, 100, &back, &len, &e), RV_ERR_NOT_FOUND);
    cr_expect_eq(rv_store_load_audio(s, hex, &loc, 100, &back, &len, &e), RV_ERR_NOT_FOUND,
                 "the erased bytes are not handed out");
    char seg[256], raw[32] = {0};
    FILE *f;
    if (!on_pg()) { /* in the database, the chunks went with the index entry */
        snprintf(seg, sizeof seg, "%s/audio/%s.seg", dir, loc.blob.segment);
        f = fopen(seg, "rb");
        cr_assert_not_null(f);
        cr_expect_eq(fread(raw, 1, 25, f), 25);
        fclose(f);
        cr_expect_eq(memcmp(raw, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 15), 0, "the bytes are gone from the file");
        cr_expect_eq(memcmp(raw + 15, "second one", 10), 0, "the neighbour is untouched");
    }
    cr_assert_eq(rv_store_read_audio(s, keep, 100, &back, &len, &e), RV_OK, "the neighbour is untouched: %s", e.msg);
    cr_expect_eq(memcmp(back, "second one", 10), 0);
    free(back);
    /* the same bytes uploaded again are stored again */
    cr_assert_eq(rv_store_put_audio(s, "first recording", 15, hex, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_read_audio(s, hex, 100, &back, &len, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(memcmp(back, "first recording", 15), 0);
    free(back);
    /* a recording of an older archive: audio/<aa>/<hash> */
    const char *old_hex = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"; /* "hello" */
    char sub[256], path[400];
    snprintf(sub, sizeof sub, "%s/audio/2c", dir);
    cr_assert_eq(mkdir(sub, 0750), 0);
    snprintf(path, sizeof path, "%s/%s", sub, old_hex);
    f = fopen(path, "wb");
    cr_assert_not_null(f);
    fputs("hello", f);
    fclose(f);
    cr_assert_eq(rv_store_read_audio(s, old_hex, 100, &back, &len, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(len, 5);
    free(back);
    cr_assert_eq(rv_store_forget_audio(s, old_hex, &loc, &e), RV_OK, "%s", e.msg);
    cr_expect(loc.legacy);
    cr_assert_eq(rv_store_erase_audio(s, &loc, &e), RV_OK, "%s", e.msg);
    struct stat st;
    cr_expect_neq(stat(path, &st), 0, "the legacy file is removed");
    rv_store_close(s);
}

Test(store, hostile_hashes_are_not_paths) {
    rv_store *s;
    rv_error e;
    rv_audio_loc loc;
    unsigned char *b;
    size_t n;
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_store_locate_audio(s, "../../etc/passwd", &loc, &e), RV_ERR_ARG);
    cr_expect_eq(rv_store_locate_audio(s, NULL, &loc, &e), RV_ERR_ARG);
    cr_expect_eq(rv_store_read_audio(s, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", 10, &b,
                                     &n, &e), RV_ERR_ARG, "lower-case only");
    memset(&loc, 0, sizeof loc);
    snprintf(loc.blob.sha256, sizeof loc.blob.sha256, "%s",
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    snprintf(loc.blob.segment, sizeof loc.blob.segment, "../../etc/pass");
    cr_expect_eq(rv_store_erase_audio(s, &loc, &e), RV_ERR_ARG, "a segment name is 16 hex digits");
    rv_store_close(s);
}

static rv_err parse(const char *ext, const char *json, rv_mailbox *m, rv_error *e)
{
    return rv_mailbox_parse(ext, json, strlen(json), m, e);
}

/* Mailbox 4711, Anna Svensson of Ekonomi, in s. */
static void put_anna(rv_store *s)
{
    rv_error e;
    rv_mailbox m;
    cr_assert_eq(parse("4711", "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomi\"}", &m, &e), RV_OK);
    int created;
    cr_assert_eq(rv_store_put_mailbox(s, &m, "2026-11-22T10:00:00Z", &created, &e), RV_OK, "%s", e.msg);
}

Test(store, mailboxes_are_created_then_updated) {
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    rv_mailbox m, back;
    cr_assert_eq(parse("4711", "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomi\"}", &m, &e), RV_OK);
    int created = -1;
    cr_assert_eq(rv_store_put_mailbox(s, &m, "2026-11-22T10:00:00Z", &created, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(created, 1);
    snprintf(m.unit, sizeof m.unit, "Socialförvaltningen");
    cr_assert_eq(rv_store_put_mailbox(s, &m, "2026-11-22T11:00:00Z", &created, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(created, 0);
    cr_assert_eq(rv_store_get_mailbox(s, "4711", &back, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(back.unit, "Socialförvaltningen");
    cr_expect_str_eq(back.last_name, "Svensson");
    cr_expect_eq(rv_store_get_mailbox(s, "4712", &back, &e), RV_ERR_NOT_FOUND);
    cr_expect_eq(rv_store_get_mailbox(s, "../x", &back, &e), RV_ERR_ARG);
    rv_store_close(s);
}

/* The service's group commit: one transaction for many uploads; an item for
 * an unknown mailbox fails alone. */
Test(store, voicemails_are_committed_in_batches) {
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    put_anna(s);
    char hex[RV_SHA256_HEX + 1];
    cr_assert_eq(rv_store_put_audio(s, "abc", 3, hex, &e), RV_OK, "%s", e.msg);
    rv_vm_new v[3] = {
        {.ext = "4711", .sha256 = hex, .content_type = "audio/wav", .bytes = 3, .received_at = "2026-11-22T10:00:00Z",
         .actor = "vaxel", .remote = "10.0.0.1", .now = "2026-11-22T10:00:01Z"},
        {.ext = "4799", .sha256 = hex, .content_type = "audio/wav", .bytes = 3, .received_at = "2026-11-22T10:00:00Z"},
        {.ext = "4711", .sha256 = hex, .content_type = "audio/wav", .bytes = 3, .received_at = "2026-11-22T10:00:02Z"}};
    cr_assert_eq(rv_store_add_voicemails(s, v, 3, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(v[0].rc, RV_OK);
    cr_expect_eq(v[1].rc, RV_ERR_NOT_FOUND, "no such mailbox: %s", v[1].err.msg);
    cr_expect_eq(v[2].rc, RV_OK);
    cr_expect(v[0].id > 0 && v[2].id > v[0].id && v[1].id == 0);
    cr_expect_eq(rv_store_count_queued(s), 2);
    rv_audit_row *audit;
    size_t na;
    cr_assert_eq(rv_store_list_audit(s, v[0].id, NULL, NULL, NULL, NULL, 10, &audit, &na, &e), RV_OK);
    cr_assert_eq(na, 1);
    cr_expect_str_eq(audit[0].action, "voicemail_received");
    cr_expect_str_eq(audit[0].actor, "vaxel");
    cr_expect_str_eq(audit[0].remote, "10.0.0.1");
    cr_expect_eq(audit[0].voicemail_id, v[0].id);
    rv_audit_rows_free(audit, na);
    rv_store_close(s);
}

/* On PostgreSQL an upload's audio is copied in before the write lock;
 * when another transaction writes the same recording and the wait for it
 * runs out, the batch is RV_ERR_BUSY (503 and sent again), not an error of
 * the database (500), and goes through once that transaction ends. */
Test(store, an_upload_that_waits_too_long_for_its_audio_is_busy) {
    if (!on_pg()) cr_skip_test("PostgreSQL's alone (SQLite takes its write lock first)");
    rv_store *s, *other;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_open(dir, &other, &e), RV_OK, "%s", e.msg);
    put_anna(s);
    rv_audio_blob b[2];
    for (int i = 0; i < 2; i++)
        cr_assert_eq(rv_store_append_audio(i ? s : other, "same", 4, &b[i], &e), RV_OK, "%s", e.msg);
    rv_vm_new v[2];
    for (int i = 0; i < 2; i++)
        v[i] = (rv_vm_new){.ext = "4711", .sha256 = b[i].sha256, .blob = &b[i], .content_type = "audio/wav",
                           .bytes = 4, .received_at = "2026-11-22T10:00:00Z"};
    /* the other writes the same recording and has not committed */
    cr_assert_eq(rv_store_begin(other, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_add_voicemails(other, &v[0], 1, &e), RV_OK, "%s", e.msg);
    rv_store_busy_timeout(s, 50);
    cr_expect_eq(rv_store_add_voicemails(s, &v[1], 1, &e), RV_ERR_BUSY, "%s", e.msg);
    cr_expect_eq(v[1].rc, RV_ERR_BUSY);
    cr_assert_eq(rv_store_end(other, RV_ERR_ARG, &e), RV_ERR_ARG);
    cr_assert_eq(rv_store_add_voicemails(s, &v[1], 1, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(v[1].rc, RV_OK, "%s", v[1].err.msg);
    rv_audio_loc loc;
    cr_expect_eq(rv_store_locate_audio(s, b[1].sha256, &loc, &e), RV_OK, "%s", e.msg);
    rv_store_close(other);
    rv_store_close(s);
}

/* A batch whose second upload reuses the first's Idempotency-Key with other
 * audio: the second is refused, and its recording is not kept (on
 * PostgreSQL it was copied in before the checks under the write lock)
 * unless another upload of the batch that is stored has the same one. */
Test(store, a_refused_upload_of_a_batch_keeps_no_audio) {
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    put_anna(s);
    rv_audio_blob b[5];
    const char *audio[5] = {"first", "second", "third", "fourth", "fourth"};
    for (int i = 0; i < 5; i++)
        cr_assert_eq(rv_store_append_audio(s, audio[i], strlen(audio[i]), &b[i], &e), RV_OK, "%s", e.msg);
    rv_vm_new v[5];
    const char *keys[5] = {"k1", "k1", "k2", "k2", NULL};
    for (int i = 0; i < 5; i++)
        v[i] = (rv_vm_new){.ext = "4711", .sha256 = b[i].sha256, .blob = &b[i], .content_type = "audio/wav",
                           .bytes = strlen(audio[i]), .received_at = "2026-11-22T10:00:00Z", .idem_key = keys[i],
                           .actor = "vaxel", .remote = "10.0.0.1", .now = "2026-11-22T10:00:01Z"};
    cr_assert_eq(rv_store_add_voicemails(s, v, 2, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(v[0].rc, RV_OK, "%s", v[0].err.msg);
    cr_expect_eq(v[1].rc, RV_ERR_CONFLICT, "the key was used with other audio");
    rv_audio_loc loc;
    cr_expect_eq(rv_store_locate_audio(s, b[0].sha256, &loc, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_store_locate_audio(s, b[1].sha256, &loc, &e), RV_ERR_NOT_FOUND, "the refused one's audio");
    cr_assert_eq(rv_store_add_voicemails(s, v + 2, 3, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(v[2].rc, RV_OK, "%s", v[2].err.msg);
    cr_expect_eq(v[3].rc, RV_ERR_CONFLICT);
    cr_expect_eq(v[4].rc, RV_OK, "%s", v[4].err.msg);
    unsigned char *back;
    size_t len;
    cr_assert_eq(rv_store_read_audio(s, b[4].sha256, 100, &back, &len, &e), RV_OK, "another's is kept: %s", e.msg);
    cr_expect(len == 6 && memcmp(back, "fourth", 6) == 0);
    free(back);
    rv_store_close(s);
}

/* A batch larger than the groups its audio is copied in (on PostgreSQL a
 * pipeline a group, and the rows one more): ids in the batch's order, an
 * upload to a mailbox that is not there refused alone, the same key with
 * the same audio twice in one batch the first voicemail again, the same
 * recording without a key stored twice with its audio once, and a
 * recording longer than a chunk read back whole. */
Test(store, a_large_batch_keeps_its_order_and_its_audio) {
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    put_anna(s);
    enum { N = 40, LONG = RV_AUDIO_CHUNK + 1000 };
    unsigned char *big = malloc(LONG);
    cr_assert(big);
    for (size_t i = 0; i < LONG; i++) big[i] = (unsigned char)(i * 7 + i / 251);
    rv_audio_blob b[N];
    rv_vm_new v[N];
    char audio[N][32], key[N][16];
    for (int i = 0; i < N; i++) {
        /* 10 and 11: one recording; 20 and 21: one key and one recording */
        snprintf(audio[i], sizeof audio[i], "recording %d", i == 11 ? 10 : i == 21 ? 20 : i);
        snprintf(key[i], sizeof key[i], "key %d", i == 21 ? 20 : i);
        if (i == 5) cr_assert_eq(rv_store_append_audio(s, big, LONG, &b[i], &e), RV_OK, "%s", e.msg);
        else cr_assert_eq(rv_store_append_audio(s, audio[i], strlen(audio[i]), &b[i], &e), RV_OK, "%s", e.msg);
        v[i] = (rv_vm_new){.ext = i == 7 ? "4799" : "4711", .sha256 = b[i].sha256, .blob = &b[i],
                           .content_type = "audio/wav", .bytes = b[i].len, .caller = "+46701234567",
                           .received_at = "2026-11-22T10:00:00Z", .idem_key = i >= 20 ? key[i] : NULL,
                           .actor = "vaxel", .remote = "10.0.0.1", .now = "2026-11-22T10:00:01Z"};
    }
    cr_assert_eq(rv_store_add_voicemails(s, v, N, &e), RV_OK, "%s", e.msg);
    long long last = 0;
    for (int i = 0; i < N; i++) {
        if (i == 7) {
            cr_expect_eq(v[i].rc, RV_ERR_NOT_FOUND, "no mailbox 4799");
            continue;
        }
        cr_expect_eq(v[i].rc, RV_OK, "%d: %s", i, v[i].err.msg);
        if (i == 21) {
            cr_expect(v[i].duplicate && v[i].id == v[20].id, "the same key and audio: the first again");
            continue;
        }
        cr_expect(!v[i].duplicate && v[i].id > last, "%d: ids in the batch's order", i);
        last = v[i].id;
    }
    cr_expect_eq(rv_store_count_queued(s), N - 2);
    unsigned char *back;
    size_t len;
    cr_assert_eq(rv_store_read_audio(s, b[5].sha256, LONG + 1, &back, &len, &e), RV_OK, "%s", e.msg);
    cr_expect(len == LONG && memcmp(back, big, LONG) == 0, "the long recording whole");
    free(back);
    for (int i = 10; i <= 11; i++) {
        cr_assert_eq(rv_store_read_audio(s, b[i].sha256, 100, &back, &len, &e), RV_OK, "%s", e.msg);
        cr_expect(len == strlen(audio[10]) && memcmp(back, audio[10], len) == 0);
        free(back);
    }
    free(big);
    rv_store_close(s);
}

/* Many writes in one transaction of the caller's (how an archive is filled
 * in bulk): a greeting, voicemails and their analyses join it, and all of
 * it is gone when the caller rolls back; committed, all of it is there. */
Test(store, writes_join_the_callers_transaction) {
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    rv_mailbox m;
    cr_assert_eq(parse("4711", "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomi\"}", &m, &e), RV_OK);
    const char *sha = "1111111111111111111111111111111111111111111111111111111111111111";
    for (int commit = 0; commit <= 1; commit++) {
        int created;
        long long gid = 0;
        cr_assert_eq(rv_store_begin(s, &e), RV_OK, "%s", e.msg);
        cr_assert_eq(rv_store_put_mailbox(s, &m, "2026-11-22T10:00:00Z", &created, &e), RV_OK, "%s", e.msg);
        rv_greeting_row g = {.ext = "4711", .sha256 = sha, .content_type = "audio/wav", .bytes = 3,
                             .received_at = "2026-11-22T10:00:00Z", .report = "{}", .compliance = RV_COMPLIANCE_YES};
        cr_assert_eq(rv_store_add_greeting(s, &g, &gid, &e), RV_OK, "%s", e.msg);
        rv_vm_new v = {.ext = "4711", .sha256 = sha, .content_type = "audio/wav", .bytes = 3,
                       .received_at = "2026-11-22T10:00:00Z"};
        cr_assert_eq(rv_store_add_voicemails(s, &v, 1, &e), RV_OK, "%s", e.msg);
        cr_assert_eq(v.rc, RV_OK, "%s", v.err.msg);
        rv_vm_done d = {.id = v.id, .state = "analysed", .classification = "ephemeral", .report = "{}",
                        .now_iso = "2026-11-22T10:00:01Z"};
        cr_assert_eq(rv_store_finish_voicemails(s, &d, 1, &e), RV_OK, "%s", e.msg);
        cr_assert_eq(rv_store_end(s, commit ? RV_OK : RV_ERR_ARG, &e), commit ? RV_OK : RV_ERR_ARG);
        cr_expect_eq(rv_store_count(s, RV_COUNT_MAILBOXES), commit);
        cr_expect_eq(rv_store_count(s, RV_COUNT_CURRENT_GREETINGS), commit);
        cr_expect_eq(rv_store_count(s, RV_COUNT_DISPOSABLE), commit, "the analysis is part of it");
    }
    rv_store_close(s);
}

/* Another connection's write lock: a write waits busy_timeout and fails
 * with RV_ERR_BUSY (the service answers 503 and tries again), a read goes
 * on (WAL), and once the lock is gone the same write succeeds. */
Test(store, a_write_under_another_connections_lock_is_busy) {
    rv_store *a, *b;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &a, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_open(dir, &b, &e), RV_OK, "%s", e.msg);
    rv_store_busy_timeout(b, 50);
    rv_mailbox m;
    cr_assert_eq(parse("4711", "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomi\"}", &m, &e), RV_OK);
    int created;
    cr_assert_eq(rv_store_put_mailbox(a, &m, "2026-11-22T10:00:00Z", &created, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_begin(a, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_store_put_mailbox(b, &m, "2026-11-22T11:00:00Z", &created, &e), RV_ERR_BUSY, "%s", e.msg);
    cr_expect_eq(rv_store_set_callback(b, 1, "2026-11-22T11:00:00Z", &e), RV_ERR_BUSY, "%s", e.msg);
    rv_mailbox back;
    cr_expect_eq(rv_store_get_mailbox(b, "4711", &back, &e), RV_OK, "a read goes on: %s", e.msg);
    cr_assert_eq(rv_store_end(a, RV_OK, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_store_put_mailbox(b, &m, "2026-11-22T11:00:00Z", &created, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(created, 0);
    rv_store_close(a);
    rv_store_close(b);
}

/* A connection keeps its prepared statements between calls: a read of one
 * still sees what another connection committed since (no snapshot is held
 * between calls), and that connection's checkpoint is not held back. */
Test(store, kept_statements_hold_no_snapshot) {
    rv_store *a, *b;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &a, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_open(dir, &b, &e), RV_OK, "%s", e.msg);
    rv_mailbox m, back;
    cr_assert_eq(parse("4711", "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomi\"}", &m, &e), RV_OK);
    int created;
    for (int i = 0; i < 3; i++) {
        snprintf(m.unit, sizeof m.unit, "Enhet %d", i);
        cr_assert_eq(rv_store_put_mailbox(b, &m, "2026-11-22T10:00:00Z", &created, &e), RV_OK, "%s", e.msg);
        cr_assert_eq(rv_store_get_mailbox(a, "4711", &back, &e), RV_OK, "%s", e.msg);
        cr_expect_str_eq(back.unit, m.unit, "the read sees the commit before it");
        cr_expect_eq(rv_store_count(a, RV_COUNT_MAILBOXES), 1);
    }
    cr_expect_eq(rv_store_checkpoint(b, &e), RV_OK, "%s", e.msg);
    rv_store_close(a);
    rv_store_close(b);
}

/* A write the file system refuses part-way (a full disk; here the file size
 * limit, which fails the write the same way) gives back at once what it
 * took: the segment keeps no blocks beyond what is stored, and the next
 * write goes on from there. */
Test(store, a_failed_write_gives_its_space_back_at_once) {
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    size_t first = 256 << 10, big = 2 << 20;
    unsigned char *buf = malloc(big);
    cr_assert(buf);
    for (size_t i = 0; i < big; i++) buf[i] = (unsigned char)(i * 13 + 1);
    rv_audio_blob b, failed;
    cr_assert_eq(rv_store_stage_audio(s, buf, first, &b, &e), RV_OK, "%s", e.msg);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, rl;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    rl = old;
    rl.rlim_cur = 1 << 20;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    rv_err rc = rv_store_append_audio(s, buf, big, &failed, &e);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    cr_expect_neq(rc, RV_OK, "2 MiB past a 1 MiB limit");
    char path[160];
    snprintf(path, sizeof path, "%s/audio/%s.seg", dir, b.segment);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_leq((long long)st.st_blocks * 512, (long long)first + (64 << 10),
                  "%lld bytes allocated for %zu stored", (long long)st.st_blocks * 512, first);
    unsigned char *back;
    size_t len;
    char hex[RV_SHA256_HEX + 1];
    cr_assert_eq(rv_store_put_audio(s, buf + 7, 1000, hex, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_read_audio(s, hex, 4096, &back, &len, &e), RV_OK, "%s", e.msg);
    cr_expect(len == 1000 && memcmp(back, buf + 7, 1000) == 0);
    free(back);
    free(buf);
    rv_store_close(s);
}

/* An Idempotency-Key is its sender's, for one recording: the same sender and
 * audio again is the stored voicemail, other audio a conflict, another
 * sender's key of the same text a key of its own. */
Test(store, an_idempotency_key_is_the_senders_for_one_recording) {
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    put_anna(s);
    char a[RV_SHA256_HEX + 1], b[RV_SHA256_HEX + 1], sha[RV_SHA256_HEX + 1];
    cr_assert_eq(rv_store_put_audio(s, "abc", 3, a, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_put_audio(s, "xyz", 3, b, &e), RV_OK, "%s", e.msg);
    rv_vm_new v[4] = {
        {.ext = "4711", .sha256 = a, .content_type = "audio/wav", .bytes = 3, .received_at = "2026-11-22T10:00:00Z",
         .actor = "vaxel", .now = "2026-11-22T10:00:01Z", .idem_key = "k"},
        {.ext = "4711", .sha256 = a, .content_type = "audio/wav", .bytes = 3, .received_at = "2026-11-22T10:00:00Z",
         .actor = "vaxel", .now = "2026-11-22T10:00:01Z", .idem_key = "k"},
        {.ext = "4711", .sha256 = b, .content_type = "audio/wav", .bytes = 3, .received_at = "2026-11-22T10:00:00Z",
         .actor = "vaxel", .now = "2026-11-22T10:00:01Z", .idem_key = "k"},
        {.ext = "4711", .sha256 = b, .content_type = "audio/wav", .bytes = 3, .received_at = "2026-11-22T10:00:00Z",
         .actor = "vaxel-2", .now = "2026-11-22T10:00:01Z", .idem_key = "k"}};
    cr_assert_eq(rv_store_add_voicemails(s, v, 4, &e), RV_OK, "%s", e.msg);
    cr_expect(v[0].rc == RV_OK && !v[0].duplicate && v[0].id > 0);
    cr_expect(v[1].rc == RV_OK && v[1].duplicate && v[1].id == v[0].id, "the same again");
    cr_expect_eq(v[2].rc, RV_ERR_CONFLICT, "other audio with a used key");
    cr_expect_eq(v[2].id, 0);
    cr_expect(v[3].rc == RV_OK && !v[3].duplicate && v[3].id > v[0].id, "another sender's key");
    long long id;
    cr_expect_eq(rv_store_voicemail_by_key(s, "4711", "vaxel", "k", "abc", 3, &id, sha, &e), RV_OK, "%s", e.msg);
    cr_expect(id == v[0].id && strcmp(sha, a) == 0);
    cr_expect_eq(rv_store_voicemail_by_key(s, "4711", "vaxel", "k", "", 0, &id, sha, &e), RV_ERR_CONFLICT);
    cr_expect(id == 0 && !sha[0] && !strstr(e.msg, a), "nothing of the stored one: %s", e.msg);
    cr_expect_eq(rv_store_voicemail_by_key(s, "4711", "vaxel-3", "k", "abc", 3, &id, sha, &e), RV_ERR_NOT_FOUND);
    rv_store_close(s);
}

/* A row written before its text was checked (bytes that are not UTF-8) is
 * still listed: on SQLite its bytes as they are (the API shows them as
 * \xNN), on PostgreSQL, which keeps UTF-8 alone, as it wrote them (\xNN). */
Test(store, audit_rows_that_are_not_utf8_are_listed) {
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_audit(s, "2026-12-06T10:00:00Z", "anna", "127.0.0.1", "voicemails_listed", 0, NULL,
                                "zz=\xff", &e), RV_OK);
    cr_assert_eq(rv_store_audit(s, "2026-12-06T10:00:01Z", "anna", "127.0.0.1", "mailboxes_listed", 0, "4\xc3(",
                                "unit=\xc3\x28 \xc3\xa5", &e), RV_OK);
    rv_audit_row *audit;
    size_t na;
    cr_assert_eq(rv_store_list_audit(s, 0, NULL, NULL, NULL, NULL, 10, &audit, &na, &e), RV_OK);
    cr_assert_eq(na, 2);
    int pg = on_pg();
    cr_expect_str_eq(audit[0].detail, pg ? "unit=\\xC3( \xc3\xa5" : "unit=\xc3\x28 \xc3\xa5");
    cr_expect_str_eq(audit[0].ext, pg ? "4\\xC3(" : "4\xc3(");
    cr_expect_str_eq(audit[1].detail, pg ? "zz=\\xFF" : "zz=\xff");
    cr_expect_null(audit[1].ext);
    rv_audit_rows_free(audit, na);
    rv_store_close(s);
}

/* One unit whatever the case of its letters, Swedish ones too, and
 * whether ä is one code point or a with a combining diaeresis. */
Test(store, unit_names_fold_case_and_swedish_letters) {
    const char *same[][2] = {{"Ekonomienheten", "ekonomienheten"},
                             {"Socialtj\xc3\xa4nsten", "SOCIALTJ\xc3\x84NSTEN"},
                             {"\xc3\x85RE \xc3\x96STRA", "\xc3\xa5re \xc3\xb6stra"},
                             {"Socialtja\xcc\x88nsten", "socialtj\xc3\xa4nsten"}};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        char *a = rv_unit_key(same[i][0]), *b = rv_unit_key(same[i][1]);
        cr_assert(a && b);
        cr_expect_str_eq(a, b, "%s and %s", same[i][0], same[i][1]);
        free(a);
        free(b);
    }
    char *a = rv_unit_key("Socialtjansten"), *b = rv_unit_key("Socialtj\xc3\xa4nsten");
    cr_expect_str_neq(a, b, "a is not ä");
    free(a);
    free(b);
    char *bad = rv_unit_key("x\xff");
    cr_expect_str_eq(bad, "x\xff", "not UTF-8: its own key");
    free(bad);
}

/* The database compares units with its own rv_unit_key (SQLite: rostvakt's,
 * registered on the connection; PostgreSQL: ICU's lower case and NFC in
 * SQL), rostvakt's C code with rv_unit_key: both must give the same key, or
 * a unit the database groups as one the mail and the API split (or the
 * other way round). Letters where lower case and case folding differ
 * (sharp s, dotted capital I, a titlecase digraph, ligatures) included, and
 * sigma before a non-letter, where glib and ICU choose the final form by
 * different rules. On SQLite the database's function is rostvakt's: the
 * test tells something on PostgreSQL. */
/* Whether the database's rv_unit_key of t is rostvakt's. */
static int same_key(rv_store *s, const char *t)
{
    rv_sql *q;
    rv_error e;
    cr_assert_eq(rv_sql_prepare(s, &q, "SELECT rv_unit_key(?1)", V_ARGS(V_TEXT(t)), "key", &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_sql_step(q, &e), 1, "%s", e.msg);
    char *k = rv_unit_key(t);
    cr_assert(k);
    int same = strcmp(rv_sql_text(q, 0), k) == 0;
    free(k);
    rv_sql_done(q);
    return same;
}

Test(store, the_database_and_rostvakt_key_units_alike) {
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    const char *units[] = {"Ekonomienheten", "SOCIALTJ\xc3\x84NSTEN", "Socialtja\xcc\x88nsten",
                           "Stra\xc3\x9f" "enbau", "STRASSENBAU", "\xe1\xba\x9e" "E", "\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91\xce\xa3",
                           "\xc4\xb0stanbul", "\xc7\x85" "ivko", "\xef\xac\x81" "nans", "\xc2\xb5" "-enheten",
                           "K\xe2\x84\xaa-enheten", "\xce\xa3-enheten", "\xce\x91\xce\xa3.\xce\x92", "\xce\xa3",
                           "\xce\x91\xce\xa3'\xce\x92", "Skola \xe2\x85\xa1", "\xe2\x92\xb6-enheten"};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        cr_expect(same_key(s, units[i]), "%s: the database's key and rostvakt's", units[i]);
    /* and every code point, each after a space, 4096 at a time; where a
     * block differs, its first code point that does */
    char *block = malloc(4096 * 5 + 1);
    cr_assert(block);
    for (unsigned c0 = 1; c0 < 0x110000; c0 += 4096) {
        size_t n = 0;
        for (unsigned c = c0; c < c0 + 4096 && c < 0x110000; c++)
            if (c < 0xd800 || c > 0xdfff) n += (size_t)g_unichar_to_utf8(c, block + n), block[n++] = ' ';
        block[n] = '\0';
        if (same_key(s, block)) continue;
        for (unsigned c = c0; c < c0 + 4096; c++) {
            char one[8] = "";
            one[g_unichar_to_utf8(c, one)] = '\0';
            if (c >= 0xd800 && c <= 0xdfff) continue;
            if (!same_key(s, one)) {
                cr_expect_fail("U+%04X: the database's key and rostvakt's differ", c);
                break;
            }
        }
    }
    free(block);
    rv_store_close(s);
}

/* Schema 16 keeps each voicemail's latest decision and first listening on
 * it: an older archive gets them from its decisions and audit when it is
 * opened, and the triggers keep them from then on. */
Test(store, the_inbox_columns_are_filled_from_an_older_archive) {
    SQLITE_ONLY("a schema 15 archive written with the sqlite3 shell");
    rv_store *s;
    rv_error e;
    long long id[3] = {1, 2, 3}, did;
    /* an archive of schema 15, as an older rostvakt left it: no columns, no triggers, no indexes */
    cr_assert_eq(rv_store_open_upto(dir, 15, &s, &e), RV_OK, "%s", e.msg);
    rv_store_close(s);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "sqlite3 %s/rostvakt.db \"INSERT INTO mailboxes (ext, first_name, last_name, unit, profile, created_at,"
             " updated_at) VALUES ('4711', 'Anna', 'Svensson', 'Ekonomi', 'default', 't', 't');"
             " INSERT INTO voicemails (id, ext, audio_sha256, content_type, bytes, received_at) VALUES"
             " (1, '4711', '%064d', 'audio/wav', 10, '2026-11-02T10:00:00Z'),"
             " (2, '4711', '%064d', 'audio/wav', 10, '2026-11-02T10:00:00Z'),"
             " (3, '4711', '%064d', 'audio/wav', 10, '2026-11-02T10:00:00Z');"
             " INSERT INTO decisions (voicemail_id, decision, actor, decided_at) VALUES"
             " (1, 'privat', 'a', '2026-11-03T10:00:00Z'), (1, 'halls_ordnad', 'a', '2026-11-04T10:00:00Z');"
             " INSERT INTO audit (at, actor, remote, action, voicemail_id) VALUES"
             " ('2026-11-05T10:00:00Z', 'a', '', 'audio_read', 2), ('2026-11-06T10:00:00Z', 'b', '', 'audio_read', 2);\"",
             dir, 1, 2, 3);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_store_schema_version(s), RV_STORE_SCHEMA_VERSION);
    rv_vm_query q = {.listened = -1, .limit = 10};
    rv_vm_page pg;
    cr_assert_eq(rv_store_list_voicemails(s, &q, 1, &pg, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(pg.n, 3);
    cr_expect_eq(pg.total, 3);
    const rv_vm_item *a = &pg.items[2], *b = &pg.items[1];
    cr_expect_str_eq(a->decision, "halls_ordnad", "the latest decision");
    cr_expect_null(b->decision);
    cr_expect_str_eq(b->listened_at, "2026-11-05T10:00:00Z", "the first listening");
    cr_expect_null(a->listened_at);
    rv_vm_page_free(&pg);
    /* and kept from then on */
    cr_assert_eq(rv_store_add_decision(s, id[2], &(rv_decision_record){.decision = "privat"}, "a", "2026-11-07T10:00:00Z",
                                       &did, &e),
                 RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_audit(s, "2026-11-08T10:00:00Z", "a", "", "audio_read", id[2], NULL, NULL, &e), RV_OK);
    q.decision = "none";
    cr_assert_eq(rv_store_list_voicemails(s, &q, 1, &pg, &e), RV_OK);
    cr_expect_eq(pg.total, 1, "only the second is undecided");
    rv_vm_page_free(&pg);
    q.decision = NULL;
    q.listened = 0;
    cr_assert_eq(rv_store_list_voicemails(s, &q, 1, &pg, &e), RV_OK);
    cr_expect_eq(pg.total, 1, "only the first was never listened to");
    cr_assert_eq(pg.n, 1);
    cr_expect_eq(pg.items[0].id, id[0]);
    rv_vm_page_free(&pg);
    rv_store_close(s);
}

/* An archive of schema 14 with the old words: after the migration, the
 * decisions are the law's, the old word kept. */
Test(store, old_decisions_become_the_laws_on_migration) {
    SQLITE_ONLY("a schema 14 archive written with the sqlite3 shell");
    rv_store *s;
    rv_error e;
    long long ids[3] = {1, 2, 3};
    /* an archive of schema 14, as an older rostvakt left it, with its words */
    cr_assert_eq(rv_store_open_upto(dir, 14, &s, &e), RV_OK, "%s", e.msg);
    rv_store_close(s);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "sqlite3 %s/rostvakt.db \"INSERT INTO mailboxes (ext, first_name, last_name, unit, profile, created_at,"
             " updated_at) VALUES ('4711', 'Anna', 'S', 'Bygg', 'default', 't', 't');"
             " INSERT INTO voicemails (id, ext, audio_sha256, content_type, bytes, received_at) VALUES"
             " (1, '4711', '%064d', 'audio/wav', 2, '2026-11-02T09:00:00Z'),"
             " (2, '4711', '%064d', 'audio/wav', 2, '2026-11-02T09:00:00Z'),"
             " (3, '4711', '%064d', 'audio/wav', 2, '2026-11-02T09:00:00Z');"
             " INSERT INTO decisions (voicemail_id, decision, diarienummer, actor, decided_at) VALUES"
             " (1, 'registered', 'KS 2025/1', 'anna', '2026-11-03T09:00:00Z'),"
             " (2, 'not_public_record', NULL, 'anna', '2026-11-03T09:00:00Z'),"
             " (3, 'dispose', NULL, 'anna', '2026-11-03T09:00:00Z');\"",
             dir, 1, 2, 3);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_store_schema_version(s), RV_STORE_SCHEMA_VERSION);
    const char *want[3][2] = {{"registrera", "registered"}, {"halls_ordnad", "not_public_record"},
                              {"gallras", "dispose"}};
    for (int i = 0; i < 3; i++) {
        rv_vm_detail v;
        cr_assert_eq(rv_store_get_voicemail(s, ids[i], &v, &e), RV_OK, "%s", e.msg);
        cr_assert_eq(v.n_decisions, 1);
        cr_expect_str_eq(v.decisions[0].decision, want[i][0]);
        cr_expect_str_eq(v.decisions[0].migrated_from, want[i][1]);
        rv_vm_detail_free(&v);
    }
    rv_decision_standing st;
    cr_assert_eq(rv_store_decision_standing(s, ids[0], &st, &e), RV_OK);
    cr_expect_str_eq(st.decision, "registrera");
    long long did;
    cr_expect_eq(rv_store_add_decision(s, ids[0], &(rv_decision_record){.decision = "registered"}, "anna",
                                       "2026-11-04T09:00:00Z", &did, &e),
                 RV_ERR_ARG, "the old words are not taken any more");
    rv_store_close(s);
}

/* Each unit as "org/name;" after those in user (a 256-byte buffer). */
static void unit_row(void *user, const char *org, const char *name, const char *managers)
{
    (void)managers;
    char *b = user;
    snprintf(b + strlen(b), 256 - strlen(b), "%s/%s;", org, name);
}

/* A stand-in for the profiles: essunga-grastorp is an Åland one here. */
static int ax_for_essunga(void *user, const char *profile, char cal[4])
{
    (void)user;
    snprintf(cal, 4, "%s", strcmp(profile, "essunga-grastorp") == 0 ? "AX" : "SE");
    return 1;
}

/* An archive of schema 14 whose mailboxes name their authority in free
 * text: each distinct org becomes an organisation (its id the name's slug)
 * and its mailboxes name it; a mailbox without one names none. */
Test(store, free_text_orgs_become_organisations_with_their_mailboxes) {
    SQLITE_ONLY("a schema 14 archive migrated");
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_open_upto(dir, 14, &s, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_schema_version(s), 14);
    rv_store_close(s);
    char path[128];
    snprintf(path, sizeof path, "%s/rostvakt.db", dir);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    const char *rows =
        "INSERT INTO mailboxes (ext, first_name, last_name, unit, org, profile, created_at, updated_at) VALUES"
        " ('4711', 'Anna', 'S', 'Ekonomi', 'Essunga kommun', 'essunga-grastorp', 't', 't'),"
        " ('4712', 'Bo', 'E', 'Kultur', 'Essunga kommun', 'default', 't', 't'),"
        " ('4713', 'Cilla', 'B', 'Ekonomi', 'Essunga kommun', 'essunga-grastorp', 't', 't'),"
        " ('5711', 'Dan', 'F', 'Ekonomi', 'Grästorps kommun', 'default', 't', 't'),"
        " ('6711', 'Eva', 'G', 'Växeln', '', 'default', 't', 't');"
        "INSERT INTO audit (at, actor, remote, action, ext) VALUES ('t', 'vaxel', '', 'mailbox_created', '5711');"
        "INSERT INTO units (name, managers, updated_at) VALUES ('Ekonomi', 'a@x.se', 't'), ('KULTUR', 'b@x.se', 't'),"
        " ('Växeln', 'c@x.se', 't');";
    cr_assert_eq(sqlite3_exec(db, rows, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_store_schema_version(s), RV_STORE_SCHEMA_VERSION);
    rv_org *v;
    size_t n;
    cr_assert_eq(rv_store_list_orgs(s, NULL, &v, &n, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(v[0].id, "essunga-kommun");
    cr_expect_str_eq(v[0].name, "Essunga kommun");
    cr_expect_str_eq(v[0].profile, "essunga-grastorp", "the profile most of its mailboxes have");
    cr_expect_str_eq(v[0].calendar, "", "its profile's, once the service starts");
    cr_expect_str_eq(v[1].id, "grastorps-kommun");
    cr_expect_str_eq(v[1].name, "Grästorps kommun");
    free(v);
    int settled;
    cr_assert_eq(rv_store_settle_calendars(s, ax_for_essunga, NULL, &settled, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(settled, 2);
    cr_assert_eq(rv_store_list_orgs(s, NULL, &v, &n, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(n, 2);
    cr_expect(!strcmp(v[0].calendar, "AX") && !strcmp(v[0].time_zone, "Europe/Mariehamn"), "%s %s", v[0].calendar,
              v[0].time_zone);
    cr_expect(!strcmp(v[1].calendar, "SE") && !strcmp(v[1].time_zone, "Europe/Stockholm"), "%s %s", v[1].calendar,
              v[1].time_zone);
    free(v);
    cr_assert_eq(rv_store_settle_calendars(s, ax_for_essunga, NULL, &settled, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(settled, 0, "settled once");
    const char *exts[] = {"4711", "4712", "4713", "5711", "6711"};
    const char *whose[] = {"essunga-kommun", "essunga-kommun", "essunga-kommun", "grastorps-kommun", ""};
    for (int i = 0; i < 5; i++) {
        rv_mailbox m;
        cr_assert_eq(rv_store_get_mailbox(s, exts[i], &m, &e), RV_OK, "%s", e.msg);
        cr_expect_str_eq(m.organisation, whose[i], "%s", exts[i]);
    }
    /* the audit's rows are each organisation's too */
    rv_audit_row *audit;
    size_t na;
    cr_assert_eq(rv_store_list_audit(s, 0, NULL, NULL, NULL, ",essunga-kommun,", 10, &audit, &na, &e), RV_OK);
    cr_expect_eq(na, 0);
    rv_audit_rows_free(audit, na);
    cr_assert_eq(rv_store_list_audit(s, 0, NULL, NULL, NULL, ",grastorps-kommun,", 10, &audit, &na, &e), RV_OK);
    cr_expect_eq(na, 1);
    rv_audit_rows_free(audit, na);
    /* a unit whose mailboxes are all one organisation's becomes its; one of
     * several, or of none, stays every organisation's */
    char units[256] = "";
    cr_assert_eq(rv_store_units(s, unit_row, units, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(units, "/Ekonomi;/Växeln;essunga-kommun/Kultur;");
    rv_store_close(s);
}

Test(store, organisation_slugs_and_numbers) {
    char id[RV_ORG_ID_MAX + 1];
    rv_org_slug("Grästorps kommun", id);
    cr_expect_str_eq(id, "grastorps-kommun");
    rv_org_slug("  Östra Göinge -- Kommun! ", id);
    cr_expect_str_eq(id, "ostra-goinge-kommun");
    rv_org_slug("!!!", id);
    cr_expect_str_eq(id, "org");
    rv_org_slug("Kommunalförbundet Norra Västmanland och Fagersta Norberg", id);
    cr_expect_eq(strlen(id), 40);
    cr_expect(rv_org_id_valid(id) && id[39] != '-', "%s", id);
    cr_expect(rv_orgnr_valid("212000-1595"));
    cr_expect(!rv_orgnr_valid("212000-1596"));
    cr_expect(!rv_orgnr_valid("2120001595"));
    cr_expect(!rv_orgnr_valid("21200a-1595"));
    char o[RV_ORGS_TEXT_MAX];
    cr_expect(rv_orgs_norm("a,b-2", o) && strcmp(o, ",a,b-2,") == 0, "%s", o);
    cr_expect(rv_orgs_norm("*", o) && o[0] == '\0');
    cr_expect(!rv_orgs_norm("a,", o) && !rv_orgs_norm("", o) && !rv_orgs_norm("A", o) && !rv_orgs_norm("a,,b", o));
    cr_expect(rv_orgs_has(",a,b,", "b") && !rv_orgs_has(",a,bb,", "b") && rv_orgs_has("", "x"));
}

static void collect_target(const char *t, void *user)
{
    char *out = user;
    strcat(out, t);
    strcat(out, "|");
}

/* A group mapping: each entry of a group among the user's, ignoring case
 * and spaces; a malformed map is refused. */
Test(store, proxy_groups_map_to_their_targets) {
    char out[256] = "";
    cr_expect(rv_group_map_each(" A = essunga ; b=grastorp,norberg;c=Soc@x;", "x, b;a", collect_target, out));
    cr_expect_str_eq(out, "essunga|grastorp,norberg|");
    out[0] = '\0';
    cr_expect(rv_group_map_each("a=1;a=2", "A", collect_target, out));
    cr_expect_str_eq(out, "1|2|", "a group of several entries");
    out[0] = '\0';
    cr_expect(rv_group_map_each("a=1", "ab, b", collect_target, out) && !out[0], "%s", out);
    cr_expect(rv_group_map_each("", "a", collect_target, out) && !out[0]);
    cr_expect(!rv_group_map_each("a", NULL, collect_target, out));
    cr_expect(!rv_group_map_each("=x", NULL, collect_target, out));
    cr_expect(!rv_group_map_each("a= ;b=c", NULL, collect_target, out));
}

/* An archive of schema 17: after the migration its voicemails are found by
 * any digits of their callers' numbers, and by the national form of a +46
 * number, as those stored after it are. */
Test(store, callers_numbers_are_searchable_after_the_migration) {
    rv_store *s;
    rv_error e;
    SQLITE_ONLY("a schema 17 archive written with the sqlite3 shell");
    cr_assert_eq(rv_store_open_upto(dir, 17, &s, &e), RV_OK, "%s", e.msg);
    rv_store_close(s);
    char path[128];
    snprintf(path, sizeof path, "%s/rostvakt.db", dir);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    const char *rows =
        "INSERT INTO mailboxes (ext, first_name, last_name, unit, profile, created_at, updated_at) VALUES"
        " ('4711', 'Anna', 'S', 'Ekonomi', 'default', 't', 't');"
        "INSERT INTO voicemails (id, ext, audio_sha256, content_type, bytes, caller, received_at) VALUES"
        " (1, '4711', 'a', 'audio/wav', 10, '+46701234567', '2026-11-02T10:00:00Z'),"
        " (2, '4711', 'b', 'audio/wav', 10, '0812345678', '2026-11-02T11:00:00Z'),"
        " (3, '4711', 'c', 'audio/wav', 10, '', '2026-11-02T12:00:00Z');";
    cr_assert_eq(sqlite3_exec(db, rows, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_store_schema_version(s), RV_STORE_SCHEMA_VERSION);
    long long id;
    char sha[65];
    snprintf(sha, sizeof sha, "%064d", 4);
    cr_assert_eq(rv_store_add_voicemail(s, "4711", sha, "audio/wav", 10, "+46812345", "2026-11-02T13:00:00Z", &id, &e),
                 RV_OK, "%s", e.msg);
    const char *cases[][2] = {{"0701234567", "1"}, {"12345", "4,2,1"}, {"0812", "4,2"}, {"+46701", "1"},
                              {"567", "2,1"}, {"9", ""}, {"0", "4,2,1"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        rv_vm_query q = {.caller = cases[i][0], .listened = -1, .limit = 10};
        rv_vm_page pg;
        cr_assert_eq(rv_store_list_voicemails(s, &q, 1, &pg, &e), RV_OK, "%s", e.msg);
        char got[64] = "";
        for (size_t k = 0; k < pg.n; k++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", k ? "," : "", pg.items[k].id);
        cr_expect_str_eq(got, cases[i][1], "caller=%s", cases[i][0]);
        cr_expect_eq(pg.total, (long long)pg.n, "caller=%s: the total", cases[i][0]);
        rv_vm_page_free(&pg);
    }
    rv_store_close(s);
}

/* An archive of schema 21 holding rows (one statement each, n of them),
 * then opened, so migrated, into *s. */
static void schema_with(int version, const char *const *rows, size_t n, rv_store **s)
{
    rv_error e;
    cr_assert_eq(rv_store_open_upto(dir, version, s, &e), RV_OK, "%s", e.msg);
    for (size_t i = 0; i < n; i++) cr_assert_eq(rv_sql_exec(*s, rows[i], V_NONE, rows[i], &e), RV_OK, "%s", e.msg);
    rv_store_close(*s);
    cr_assert_eq(rv_store_open(dir, s, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_store_schema_version(*s), RV_STORE_SCHEMA_VERSION);
}

/* An archive of schema 21, on either backend: after the migration its
 * greetings know the texts their analyses sought, and its reviews the
 * texts they answered, from the analyses kept; so a mailbox renamed after
 * the upgrade is analysed again and its old answers set aside. A report
 * that is not JSON does not stop the upgrade, and its greeting, whose
 * texts cannot be told, is analysed again by the next sweep. */
Test(store, the_texts_sought_are_known_after_the_migration) {
    const char *const rows[] = {
        "INSERT INTO mailboxes (ext, first_name, last_name, unit, profile, created_at, updated_at) VALUES"
        " ('4711', 'Anna', 'S', 'Ekonomi', 'default', 't', 't'), ('4712', 'Bo', 'T', 'Bygg', 'default', 't', 't')",
        "INSERT INTO greetings (id, ext, audio_sha256, content_type, received_at, report, review, models_version)"
        " VALUES (1, '4711', 'a', 'audio/wav', '2026-11-02T10:00:00Z',"
        " '{\"expected\":{\"name\":\"Anna S\",\"unit\":\"Ekonomi\",\"org\":null}}', 'unit', 'v1'),"
        " (2, '4712', 'b', 'audio/wav', '2026-11-02T10:00:00Z', 'not json', '', 'v1')",
        "UPDATE mailboxes SET greeting_id = 1 WHERE ext = '4711'",
        "UPDATE mailboxes SET greeting_id = 2 WHERE ext = '4712'",
        "INSERT INTO reviews (greeting_id, name, unit, actor, reviewed_at) VALUES"
        " (1, 'stated', 'stated', 'registrator', '2026-11-03T10:00:00Z')",
    };
    rv_store *s;
    rv_error e;
    schema_with(21, rows, sizeof rows / sizeof *rows, &s);
    rv_current_greeting g[4];
    size_t n;
    cr_assert_eq(rv_store_current_greetings(s, "", g, 4, &n, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(n, 2);
    cr_expect(!g[0].renamed && !strcmp(g[0].models_version, "v1"), "as analysed");
    cr_expect(!strcmp(g[1].models_version, ""), "a report that is not JSON: analysed again");
    rv_mailbox m;
    int created;
    const char *moved = "{\"first_name\":\"Anna\",\"last_name\":\"S\",\"unit\":\"Bygglov\"}";
    cr_assert_eq(rv_mailbox_parse("4711", moved, strlen(moved), &m, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_put_mailbox(s, &m, "2026-11-04T00:00:00Z", &created, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_current_greetings(s, "", g, 4, &n, &e), RV_OK, "%s", e.msg);
    cr_expect(n == 2 && g[0].renamed, "renamed after the upgrade");
    rv_heard h;
    int found;
    cr_assert_eq(rv_store_latest_review(s, "4711", "a", (const char *const[3]){"Anna S", "Bygglov", ""}, &h, &found, &e),
                 RV_OK, "%s", e.msg);
    cr_expect(found && !strcmp(h.name, "stated") && !strcmp(h.unit, ""), "the old review was about Ekonomi");
    rv_store_close(s);
}

/* An archive of schema 22, on either backend, whose outbox kept units'
 * mails by their spelling: after the migration each is kept by the unit's
 * key, so that the same date's sweep mailed again, its unit now spelled
 * otherwise, adds no second mail to the same managers. An earlier second
 * mail of a date (two spellings) keeps its old key; a unit with no
 * organisation whose name has a slash stays a unit of no organisation,
 * also where what comes before the slash is an organisation's id. */
Test(store, units_mails_are_kept_by_the_unit_after_the_migration) {
    const char *const rows[] = {
        "INSERT INTO organisations (id, name, created_at, updated_at) VALUES ('essunga', 'Essunga kommun', 't', 't')",
        "INSERT INTO mailboxes (ext, first_name, last_name, unit, profile, organisation, created_at, updated_at)"
        " VALUES ('4711', 'Anna', 'S', 'EKONOMI', 'default', 'essunga', 't', 't')",
        "INSERT INTO units (organisation, name, managers, updated_at) VALUES ('essunga', 'Ekonomi', 'chef@essunga.se', 't'),"
        " ('', 'essunga/PLAN', 'plan@kommun.se', 't')",
        "INSERT INTO mail_outbox (id, date, key, recipients, subject, message, created_at) VALUES"
        " (1, '2026-12-07', 'unit:essunga/Ekonomi', 'chef@essunga.se', 's', 'm', 't'),"
        " (2, '2026-12-07', 'unit:Bygg och milj\xc3\xb6', 'a@b.se', 's', 'm', 't'),"
        " (3, '2026-12-07', 'unit:BYGG OCH MILJ\xc3\x96', 'a@b.se', 's', 'm', 't'),"
        " (4, '2026-12-07', 'unit:nowhere/Plan', 'a@b.se', 's', 'm', 't'),"
        " (5, '2026-12-07', 'officers:essunga', 'a@b.se', 's', 'm', 't'),"
        " (6, '2026-12-06', 'unit:essunga/Ekonomi', 'chef@essunga.se', 's', 'm', 't'),"
        " (7, '2026-12-07', 'unit:essunga/Plan', 'plan@kommun.se', 's', 'm', 't')",
    };
    rv_store *s;
    rv_error e;
    schema_with(22, rows, sizeof rows / sizeof *rows, &s);
    const char *want[] = {"unit@essunga:ekonomi", "unit@:bygg och milj\xc3\xb6", "unit:BYGG OCH MILJ\xc3\x96",
                          "unit@:nowhere/plan", "officers:essunga", "unit@essunga:ekonomi", "unit@:essunga/plan"};
    for (int i = 0; i < 7; i++)
        cr_expect_eq(rv_sql_int1(s, "SELECT count(*) FROM mail_outbox WHERE id = ?1 AND key = ?2",
                                 V_ARGS(V_INT(i + 1), V_TEXT(want[i]))),
                     1, "row %d is not keyed %s", i + 1, want[i]);
    /* the sweep of 2026-12-07 mailed again: its unit's mail is kept */
    rv_config cfg;
    rv_config_defaults(&cfg);
    snprintf(cfg.mail_from, sizeof cfg.mail_from, "rostvakt@essunga.se");
    snprintf(cfg.mail_smtp_url, sizeof cfg.mail_smtp_url, "smtp://127.0.0.1:1"); /* refused: kept to send later */
    const char *report = "{\"date\":\"2026-12-07\",\"mailboxes\":1,\"missing_greetings\":[{\"ext\":\"4711\","
                         "\"name\":\"Anna S\",\"unit\":\"EKONOMI\",\"reason\":\"removed\"}]}";
    rv_mail_counts c;
    FILE *log = fopen("/dev/null", "w");
    cr_assert_eq(rv_mail_report(s, &cfg, report, NULL, log, &c, &e), RV_OK, "%s", e.msg);
    fclose(log);
    cr_expect_eq(c.composed, 0, "%ld mails composed again", c.composed);
    cr_expect_eq(rv_sql_int1(s, "SELECT count(*) FROM mail_outbox", V_NONE), 7);
    rv_store_close(s);
}

/* Voicemails owed an analysis are jobs a worker claims for a lease: each
 * worker a different one; a lease run out (its worker died) makes the job
 * anyone's; the analysis of a worker whose claim was taken over is not
 * recorded, the new claimant's is: each voicemail's result written once. */
Test(store, analyses_are_claimed_once_and_taken_over_when_the_lease_runs_out) {
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    put_anna(s);
    const char *sha = "2222222222222222222222222222222222222222222222222222222222222222";
    rv_vm_new v[2] = {{.ext = "4711", .sha256 = sha, .content_type = "audio/wav", .bytes = 3,
                       .received_at = "2026-11-22T10:00:00Z"},
                      {.ext = "4711", .sha256 = sha, .content_type = "audio/ogg", .bytes = 3,
                       .received_at = "2026-11-22T10:00:01Z"}};
    cr_assert_eq(rv_store_add_voicemails(s, v, 2, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_store_count_queued(s), 2);
    long long a, b, c;
    char got[RV_SHA256_HEX + 1], ct[64];
    cr_assert_eq(rv_store_claim_analysis(s, "h:1:a", 1000, 2000, &a, got, ct, sizeof ct, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(a, v[0].id, "the oldest first");
    cr_expect_str_eq(got, sha);
    cr_expect_str_eq(ct, "audio/wav");
    cr_assert_eq(rv_store_claim_analysis(s, "h:2:b", 1500, 2500, &b, got, ct, sizeof ct, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(b, v[1].id, "another worker, another voicemail");
    cr_expect_str_eq(ct, "audio/ogg");
    cr_expect_eq(rv_store_claim_analysis(s, "h:3:c", 1600, 2600, &c, got, ct, sizeof ct, &e), RV_ERR_NOT_FOUND,
                 "both are held");
    /* the first worker's lease runs out: the third takes its voicemail */
    cr_assert_eq(rv_store_claim_analysis(s, "h:3:c", 2001, 3000, &c, got, ct, sizeof ct, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(c, a);
    rv_vm_done late = {.id = a, .state = "analysed", .classification = "ephemeral", .report = "{\"by\":\"a\"}",
                       .now_iso = "2026-11-22T10:00:02Z", .claimed_by = "h:1:a"};
    cr_assert_eq(rv_store_finish_voicemails(s, &late, 1, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(late.recorded, 0, "the claim was taken over");
    cr_expect_eq(rv_store_count_queued(s), 2, "still owed");
    rv_vm_done now = {.id = a, .state = "analysed", .classification = "ephemeral", .report = "{\"by\":\"c\"}",
                      .now_iso = "2026-11-22T10:00:03Z", .claimed_by = "h:3:c"};
    cr_assert_eq(rv_store_finish_voicemails(s, &now, 1, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(now.recorded, 1);
    cr_expect_eq(rv_store_count_queued(s), 1);
    rv_vm_detail j;
    cr_assert_eq(rv_store_get_voicemail(s, a, &j, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(j.state, "analysed");
    rv_vm_detail_free(&j);
    /* a claim given up (its analysis could not be recorded) is anyone's at once */
    cr_assert_eq(rv_store_release_analysis(s, "h:2:b", b, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_claim_analysis(s, "h:4:d", 1700, 2700, &c, got, ct, sizeof ct, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(c, b);
    cr_expect_eq(rv_store_claim_analysis(s, "h:5:e", 1800, 2800, &c, got, ct, sizeof ct, &e), RV_ERR_NOT_FOUND);
    rv_store_close(s);
}

static int gone_if_x(const char *by) { return by[0] == 'x'; }

/* One sweep run a date: the first claim wins, a second waits for nothing;
 * a run left unfinished by a process that is gone, or for too long, is
 * taken over; a failed run frees the date; a finished one is never run
 * again. */
Test(store, a_dates_sweep_run_is_claimed_once) {
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    int got;
    cr_assert_eq(rv_store_sweep_claim(s, "2026-12-07", "a", 1000, 0, gone_if_x, &got, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(got, 1);
    cr_assert_eq(rv_store_sweep_claim(s, "2026-12-07", "b", 1001, 0, gone_if_x, &got, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(got, 0, "running elsewhere");
    cr_assert_eq(rv_store_sweep_claim(s, "2026-12-08", "b", 1002, 0, gone_if_x, &got, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(got, 1, "another date is another run");
    cr_assert_eq(rv_store_sweep_claim(s, "2026-12-07", "c", 5000, 1001, gone_if_x, &got, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(got, 1, "started before the stale limit and not finished: taken over");
    cr_assert_eq(rv_store_sweep_over(s, "2026-12-07", "a", 1, 5001, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_sweep_claim(s, "2026-12-07", "d", 5002, 0, gone_if_x, &got, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(got, 0, "the one it was taken from cannot finish it");
    cr_assert_eq(rv_store_sweep_over(s, "2026-12-07", "c", 1, 5003, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_sweep_claim(s, "2026-12-07", "x", 9000, 8000, gone_if_x, &got, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(got, 0, "finished: never again that date");
    /* a claimant that is gone */
    cr_assert_eq(rv_store_sweep_claim(s, "2026-12-09", "x1", 1000, 0, gone_if_x, &got, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_sweep_claim(s, "2026-12-09", "e", 1001, 0, gone_if_x, &got, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(got, 1, "its process is gone: taken over");
    /* a failed run frees its date */
    cr_assert_eq(rv_store_sweep_over(s, "2026-12-09", "e", 0, 1002, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_sweep_claim(s, "2026-12-09", "f", 1003, 0, NULL, &got, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(got, 1, "failed: the date may be swept again");
    rv_store_close(s);
}
