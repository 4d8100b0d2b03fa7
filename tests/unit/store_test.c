/* The archive's foundation: schema migrations and durable, content-addressed
 * audio. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rostvakt/fileio.h"
#include "rostvakt/store.h"

static char dir[64];

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
    cr_expect_eq(stat(db, &st), 0);
    cr_expect_eq(rv_store_open("", &s, &e), RV_ERR_ARG);
    cr_expect_eq(rv_store_open("/proc/rostvakt-cannot", &s, &e), RV_ERR_IO);
}

Test(store, audio_is_content_addressed_and_byte_identical) {
    rv_store *s;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    unsigned char data[5000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (unsigned char)(i * 7 + 3);
    char hex[RV_SHA256_HEX + 1], again[RV_SHA256_HEX + 1], path[512];
    cr_assert_eq(rv_store_put_audio(s, data, sizeof data, hex, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_store_put_audio(s, data, sizeof data, again, &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(hex, again, "the same bytes, the same name");
    cr_assert_eq(rv_store_audio_path(s, hex, path, sizeof path, &e), RV_OK);
    unsigned char *back;
    size_t len;
    cr_assert_eq(rv_file_read(path, 0, &back, &len, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(len, sizeof data);
    cr_expect_eq(memcmp(back, data, len), 0);
    free(back);
    /* the empty body has a hash too */
    cr_expect_eq(rv_store_put_audio(s, "", 0, hex, &e), RV_OK);
    cr_expect_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    rv_store_close(s);
}

Test(store, hostile_hashes_are_not_paths) {
    rv_store *s;
    rv_error e;
    char path[512];
    cr_assert_eq(rv_store_open(dir, &s, &e), RV_OK, "%s", e.msg);
    cr_expect_eq(rv_store_audio_path(s, "../../etc/passwd", path, sizeof path, &e), RV_ERR_ARG);
    cr_expect_eq(rv_store_audio_path(s, NULL, path, sizeof path, &e), RV_ERR_ARG);
    cr_expect_eq(rv_store_audio_path(s, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
                                     path, sizeof path, &e), RV_ERR_ARG, "lower-case only");
    rv_store_close(s);
}
