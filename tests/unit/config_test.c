/* The settings table: defaults, file, environment, flags, validation. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <unistd.h>

#include "rostvakt/config.h"

static const char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/rv-config-test-%d.conf", (int)getpid());
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

Test(config, defaults_are_sane_and_valid) {
    rv_config c;
    rv_error e;
    rv_config_defaults(&c);
    cr_expect_eq(c.max_audio_bytes, 20971520);
    cr_expect_eq(c.max_audio_seconds, 600);
    cr_expect(strstr(c.prompt_refs, "vm-*.wav") != NULL);
    cr_expect_eq(rv_config_validate(&c, &e), RV_OK);
}

Test(config, file_then_environment_then_flags) {
    rv_config c;
    rv_error e;
    rv_config_defaults(&c);
    const char *p = write_tmp("# comment\n\nmax_audio_seconds = 120  # two minutes\n"
                              "greeting_min_speech_s=2\n");
    setenv("RV_GREETING_MIN_SPEECH_S", "3", 1);
    cr_assert_eq(rv_config_load(&c, p, &e), RV_OK, "%s", e.msg);
    unsetenv("RV_GREETING_MIN_SPEECH_S");
    cr_expect_eq(c.max_audio_seconds, 120);
    cr_expect_eq(c.greeting_min_speech_s, 3, "environment beats the file");
    cr_assert_eq(rv_config_set(&c, "greeting_min_speech_s", "4", &e), RV_OK);
    cr_expect_eq(c.greeting_min_speech_s, 4, "flags beat the environment");
    unlink(p);
}

Test(config, errors_name_the_line_and_setting) {
    rv_config c;
    rv_error e;
    rv_config_defaults(&c);
    const char *p = write_tmp("max_audio_bytes = 100\nno_such_thing = 1\n");
    cr_expect_eq(rv_config_load(&c, p, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, ":2:") && strstr(e.msg, "no_such_thing"), "%s", e.msg);
    p = write_tmp("max_audio_seconds = soon\n");
    cr_expect_eq(rv_config_load(&c, p, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "max_audio_seconds") && strstr(e.msg, "not a number"), "%s", e.msg);
    p = write_tmp("just words\n");
    cr_expect_eq(rv_config_load(&c, p, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "expected 'name = value'"), "%s", e.msg);
    unlink(p);
    cr_expect_eq(rv_config_load(&c, "/nonexistent/rostvakt.conf", &e), RV_ERR_CONFIG);
    cr_expect_eq(rv_config_set(&c, "max_audio_bytes", "-5", &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "outside"), "%s", e.msg);
    cr_expect_eq(rv_config_set(&c, "max_audio_bytes", "12abc", &e), RV_ERR_CONFIG);
    cr_expect_eq(rv_config_set(&c, "nope", "1", &e), RV_ERR_CONFIG);
}

Test(config, validation_catches_contradictions) {
    rv_config c;
    rv_error e;
    rv_config_defaults(&c);
    cr_assert_eq(rv_config_set(&c, "quiet_dbfs", "-80", &e), RV_OK);
    cr_expect_eq(rv_config_validate(&c, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "quiet_dbfs"), "%s", e.msg);
}

Test(config, print_lists_every_setting) {
    rv_config c;
    rv_config_defaults(&c);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rv_config_print(&c, f);
    fclose(f);
    cr_expect(strstr(buf, "max_audio_bytes = 20971520"), "%s", buf);
    cr_expect(strstr(buf, "prompt_refs = /usr/share/asterisk"), "%s", buf);
    free(buf);
}
