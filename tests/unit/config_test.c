/* The settings table: defaults, file, environment, flags, validation. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    /* bounds as integers, where the value came from */
    cr_expect_eq(rv_config_set(&c, "http_body_budget", "1000", &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "command line: http_body_budget: 1000 is outside 1048576..1000000000000"), "%s", e.msg);
}

/* A yes/no setting takes the words the API's yes/no parameters take. */
Test(config, yes_no_settings_take_words) {
    rv_config c;
    rv_error e;
    rv_config_defaults(&c);
    const char *yes[] = {"yes", "true", "1", "YES"}, *no[] = {"no", "false", "0"};
    for (size_t i = 0; i < 4; i++) {
        cr_expect_eq(rv_config_set(&c, "session_cookie_secure", yes[i], &e), RV_OK, "%s: %s", yes[i], e.msg);
        cr_expect_eq(c.session_cookie_secure, 1, "%s", yes[i]);
    }
    for (size_t i = 0; i < 3; i++) {
        cr_expect_eq(rv_config_set(&c, "mail_when_nothing", no[i], &e), RV_OK, "%s: %s", no[i], e.msg);
        cr_expect_eq(c.mail_when_nothing, 0, "%s", no[i]);
    }
    cr_expect_eq(rv_config_set(&c, "mail_when_nothing", "maybe", &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "yes or no"), "%s", e.msg);
    cr_expect_eq(rv_config_set(&c, "http_workers", "yes", &e), RV_ERR_CONFIG, "a number is not a yes/no");
}

Test(config, validation_catches_contradictions) {
    rv_config c;
    rv_error e;
    rv_config_defaults(&c);
    cr_assert_eq(rv_config_set(&c, "quiet_dbfs", "-80", &e), RV_OK);
    cr_expect_eq(rv_config_validate(&c, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "quiet_dbfs"), "%s", e.msg);
    /* what serve would refuse, rostvakt config refuses too */
    rv_config_defaults(&c);
    cr_assert_eq(rv_config_set(&c, "http_body_budget", "2000000", &e), RV_OK);
    cr_expect_eq(rv_config_validate(&c, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "http_body_budget (2000000) must hold"), "%s", e.msg);
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

/* A valid value of setting i other than its default, in buf. */
static const char *other_value(const rv_setting_info *si, char *buf, size_t cap)
{
    if (si->type == RV_SETTING_STRING) {
        snprintf(buf, cap, "/tmp/rv-config-other-%d/%s", (int)getpid(), si->name);
        return buf;
    }
    double d = atof(si->def), step = si->type == RV_SETTING_INT ? 1 : 0.25;
    double v = d + step <= si->max ? d + step : d - step;
    if (si->type == RV_SETTING_INT) snprintf(buf, cap, "%lld", (long long)v);
    else snprintf(buf, cap, "%.17g", v);
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* The models version is what tells the sweep that stored greeting verdicts
 * are out of date: each setting the table marks must move it, and no other. */
Test(config, every_setting_that_changes_verdicts_changes_the_models_version) {
    rv_config base;
    rv_error e;
    rv_config_defaults(&base);
    rv_config_resolve(&base);
    char v0[17];
    rv_config_fingerprint(&base, "rev", v0);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "/tmp/rv-config-models-%d", (int)getpid());
    mkdir(tmp, 0700);
    char path[128];
    size_t marked = 0;
    for (size_t i = 0; i < rv_config_count(); i++) {
        rv_setting_info si;
        cr_assert(rv_config_info(i, &si));
        rv_config c = base;
        char buf[256];
        const char *value = other_value(&si, buf, sizeof buf);
        if (si.names_file) { /* the file's contents count, not its name */
            snprintf(path, sizeof path, "%s/adaptation", tmp);
            write_file(path, "another matrix\n");
            value = path;
        } else if (si.names_models) { /* the phone maps in it count */
            snprintf(path, sizeof path, "%s/sv-arpabet.map", tmp);
            write_file(path, "a  AA\n");
            value = tmp;
        }
        cr_assert_eq(rv_config_set(&c, si.name, value, &e), RV_OK, "%s: %s", si.name, e.msg);
        char v1[17];
        rv_config_fingerprint(&c, "rev", v1);
        if (si.affects_verdicts) {
            marked++;
            cr_expect(strcmp(v0, v1) != 0, "%s = %s leaves the models version as it was", si.name, value);
        } else {
            cr_expect_str_eq(v0, v1, "%s does not change verdicts, yet it changes the models version", si.name);
        }
    }
    cr_expect_geq(marked, 20, "the thresholds, signal levels, prompts, maps and adaptation are marked");
    rv_config c = base;
    char v1[17];
    rv_config_fingerprint(&c, "rev-2", v1);
    cr_expect(strcmp(v0, v1) != 0, "the analysis revision counts too");
    /* the same adaptation matrix under another name is the same model */
    snprintf(path, sizeof path, "%s/adaptation", tmp);
    write_file(path, "another matrix\n");
    cr_assert_eq(rv_config_set(&c, "asr_adaptation", path, &e), RV_OK);
    rv_config_fingerprint(&c, "rev", v0);
    char copy[128];
    snprintf(copy, sizeof copy, "%s/copy", tmp);
    write_file(copy, "another matrix\n");
    cr_assert_eq(rv_config_set(&c, "asr_adaptation", copy, &e), RV_OK);
    rv_config_fingerprint(&c, "rev", v1);
    cr_expect_str_eq(v0, v1);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    cr_expect_eq(system(cmd), 0);
}

Test(config, resolve_fills_paths_under_models_dir) {
    rv_config c;
    rv_error e;
    rv_config_defaults(&c);
    cr_assert_eq(rv_config_set(&c, "models_dir", "/opt/rv/models", &e), RV_OK);
    rv_config_resolve(&c);
    cr_expect_str_eq(c.profile_dirs, "/opt/rv/models/profiles");
    cr_expect_str_eq(c.asr_adaptation, "/opt/rv/models/en-us-tel.mllr");
    cr_expect_str_eq(c.case_words, "/opt/rv/models/case-words.sv");
    cr_expect_str_eq(rv_config_mllr(&c), "/opt/rv/models/en-us-tel.mllr");
    cr_assert_eq(rv_config_set(&c, "asr_adaptation", "none", &e), RV_OK);
    cr_expect_null(rv_config_mllr(&c), "none: unadapted");
}
