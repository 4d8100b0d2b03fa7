/* `rostvakt analyze` as a user runs it: the shipped samples against their
 * labels, exit codes, errors for unreadable files, usage mistakes. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rostvakt/store.h"

extern char **environ;

typedef struct {
    char *out;
    size_t len;
    int status;
} result;

/* Run the rostvakt binary with args (NULL-terminated), capturing stdout. */
static result run(const char *const *args)
{
    const char *bin = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
    const char *argv[64];
    size_t n = 0;
    argv[n++] = bin;
    while (*args && n < 63) argv[n++] = *args++;
    argv[n] = NULL;
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    cr_assert_eq(posix_spawn(&pid, bin, &fa, NULL, (char *const *)argv, environ), 0, "spawn %s", bin);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    result r = {0};
    size_t cap = 0;
    for (;;) {
        if (r.len + 4096 > cap) {
            cap = cap ? cap * 2 : 65536;
            r.out = realloc(r.out, cap);
        }
        ssize_t k = read(fd[0], r.out + r.len, cap - r.len - 1);
        if (k <= 0) break;
        r.len += (size_t)k;
    }
    r.out[r.len] = '\0';
    close(fd[0]);
    int st;
    waitpid(pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

/* The n-th line of out as JSON (caller decrefs). */
static json_t *line_json(const char *out, size_t n)
{
    const char *p = out;
    for (size_t i = 0; i < n && p; i++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    cr_assert(p && *p, "no line %zu in output", n);
    const char *e = strchr(p, '\n');
    json_error_t je;
    json_t *j = json_loadb(p, e ? (size_t)(e - p) : strlen(p), 0, &je);
    cr_assert_not_null(j, "line %zu is not JSON: %s", n, je.text);
    return j;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

typedef struct {
    char file[128], kind[16], reason[32], cls[32];
    int missing;
} label;

static size_t read_manifest(label *l, size_t cap)
{
    FILE *f = fopen("samples/manifest.tsv", "r");
    cr_assert_not_null(f, "samples/manifest.tsv");
    char line[2048];
    size_t n = 0;
    cr_assert_not_null(fgets(line, sizeof line, f)); /* header */
    while (n < cap && fgets(line, sizeof line, f)) {
        char *field[9] = {0}, *rest = line;
        line[strcspn(line, "\n")] = '\0';
        for (int k = 0; k < 9 && rest; k++) field[k] = strsep(&rest, "\t");
        char *file = field[0], *kind = field[1], *miss = field[2], *reason = field[3];
        cr_assert(file && kind && miss && reason && field[8], "manifest row %zu", n + 1);
        snprintf(l[n].cls, sizeof l[n].cls, "%s", field[8]);
        snprintf(l[n].file, sizeof l[n].file, "samples/%s", file);
        snprintf(l[n].kind, sizeof l[n].kind, "%s", kind);
        snprintf(l[n].reason, sizeof l[n].reason, "%s", reason);
        l[n].missing = atoi(miss);
        n++;
    }
    fclose(f);
    return n;
}

static void check_kind(const char *kind)
{
    label l[128];
    size_t n = read_manifest(l, 128), k = 0;
    const char *args[64] = {"analyze", "--kind", kind};
    size_t na = 3;
    size_t idx[64];
    for (size_t i = 0; i < n && na < 60; i++)
        if (strcmp(l[i].kind, kind) == 0) { idx[k++] = i; args[na++] = l[i].file; }
    args[na] = NULL;
    cr_assert(k >= 5, "too few %s samples", kind);
    result r = run(args);
    cr_expect_eq(r.status, 0, "exit %d", r.status);
    cr_assert_eq(count_lines(r.out), k, "one line per file");
    for (size_t i = 0; i < k; i++) {
        const label *want = &l[idx[i]];
        json_t *j = line_json(r.out, i);
        cr_expect_str_eq(json_string_value(json_object_get(j, "file")), want->file, "order kept");
        cr_expect_eq(json_is_true(json_object_get(j, "missing")), want->missing, "%s: missing", want->file);
        const char *reason = json_string_value(json_object_get(j, "missing_reason"));
        cr_expect_str_eq(reason ? reason : "-", want->reason, "%s: reason", want->file);
        const char *cls = json_string_value(json_object_get(j, "classification"));
        cr_expect_str_eq(cls ? cls : "-", want->cls, "%s: classification", want->file);
        /* the codec that picks the phrase thresholds, as the format names it */
        json_t *audio = json_object_get(j, "audio");
        const char *fmt = json_string_value(json_object_get(audio, "format"));
        const char *codec = json_string_value(json_object_get(audio, "codec"));
        cr_assert_not_null(fmt, "%s: audio.format", want->file);
        const char *expect = strstr(fmt, "GSM") ? "gsm" : strstr(fmt, "-Law") ? "g711" : "-";
        cr_expect_str_eq(codec ? codec : "-", expect, "%s: codec of %s", want->file, fmt);
        json_decref(j);
    }
    free(r.out);
}

Test(cli, greeting_samples_match_their_labels) { check_kind("greeting"); }
Test(cli, voicemail_samples_match_their_labels) { check_kind("voicemail"); }

Test(cli, unreadable_file_gives_an_error_line_and_exit_2) {
    const char *args[] = {"analyze", "samples/g01-anna-svensson.wav", "samples/manifest.tsv",
                          "/nonexistent/dir/x.wav", "samples/m02-digital-silence.wav", NULL};
    result r = run(args);
    cr_expect_eq(r.status, 2);
    cr_assert_eq(count_lines(r.out), 4);
    json_t *j = line_json(r.out, 1);
    cr_expect_str_eq(json_string_value(json_object_get(j, "file")), "samples/manifest.tsv");
    json_t *e = json_object_get(j, "error");
    cr_expect_str_eq(json_string_value(json_object_get(e, "code")), "unsupported_audio");
    cr_expect(strstr(json_string_value(json_object_get(e, "message")), "text") != NULL);
    json_decref(j);
    j = line_json(r.out, 2);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "error"), "code")), "io_error");
    json_decref(j);
    j = line_json(r.out, 3);
    cr_expect(json_is_true(json_object_get(j, "missing")), "later files still analysed");
    json_decref(j);
    free(r.out);
}

Test(cli, usage_mistakes_exit_64) {
    const char *a1[] = {"analyze", NULL};
    const char *a2[] = {"analyze", "--kind", "fax", "samples/m01-empty.wav", NULL};
    const char *a3[] = {"analyze", "--bogus", "samples/m01-empty.wav", NULL};
    const char *a4[] = {"analyze", "--name", NULL};
    const char *a5[] = {"frobnicate", NULL};
    const char *const *all[] = {a1, a2, a3, a4, a5};
    for (size_t i = 0; i < 5; i++) {
        result r = run(all[i]);
        cr_expect_eq(r.status, 64, "case %zu exit %d", i, r.status);
        cr_expect_eq(r.len, 0, "nothing on stdout");
        free(r.out);
    }
}

Test(cli, configuration_mistakes_exit_78) {
    const char *a1[] = {"analyze", "--set", "no_such=1", "samples/m01-empty.wav", NULL};
    const char *a2[] = {"analyze", "--config", "/nonexistent.conf", "samples/m01-empty.wav", NULL};
    result r = run(a1);
    cr_expect_eq(r.status, 78);
    free(r.out);
    r = run(a2);
    cr_expect_eq(r.status, 78);
    free(r.out);
}

Test(cli, expected_phrases_are_echoed) {
    const char *args[] = {"analyze", "--name", "Anna Svensson", "--unit", "ekonomienheten",
                          "--phrase", "lämna ett meddelande", "samples/g01-anna-svensson.wav", NULL};
    result r = run(args);
    cr_expect_eq(r.status, 0);
    json_t *j = line_json(r.out, 0);
    json_t *x = json_object_get(j, "expected");
    cr_expect_str_eq(json_string_value(json_object_get(x, "name")), "Anna Svensson");
    cr_expect_str_eq(json_string_value(json_array_get(json_object_get(x, "phrases"), 0)),
                     "lämna ett meddelande");
    json_decref(j);
    free(r.out);
}

Test(cli, the_name_is_weighed_against_the_cohort_given) {
    const char *args[] = {"analyze", "--name", "Anna Svensson", "--unit", "ekonomienheten", "--cohort",
                          "Maria Lindqvist", "--cohort", "anna svensson", "--cohort", "Per Oskarsson",
                          "samples/g01-anna-svensson.wav", NULL};
    result r = run(args);
    cr_expect_eq(r.status, 0);
    json_t *j = line_json(r.out, 0);
    json_t *c = json_object_get(json_object_get(j, "name"), "cohort");
    cr_expect_eq(json_integer_value(json_object_get(c, "size")), 2, "the name itself is no competitor: %s", r.out);
    cr_expect(json_is_true(json_object_get(json_object_get(j, "name"), "stated")), "%s", r.out);
    json_decref(j);
    free(r.out);
}

Test(cli, table_format_for_people) {
    const char *args[] = {"analyze", "--format", "table", "samples/m05-beep.wav", NULL};
    result r = run(args);
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "VERDICT") && strstr(r.out, "MISSING") && strstr(r.out, "tone"),
              "%s", r.out);
    free(r.out);
}

Test(cli, print_config) {
    const char *args[] = {"config", "--set", "max_audio_seconds=42", NULL};
    result r = run(args);
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "max_audio_seconds = 42"), "%s", r.out);
    free(r.out);
}

Test(cli, profiles_lists_the_shipped_profiles) {
    const char *args[] = {"profiles", NULL};
    result r = run(args);
    cr_expect_eq(r.status, 0);
    cr_expect_eq(count_lines(r.out), 6, "%s", r.out);
    cr_expect(strstr(r.out, "lemland") && strstr(r.out, "AX") && strstr(r.out, "absence end"), "%s", r.out);
    free(r.out);
    const char *bad[] = {"profiles", "--set", "profile_dirs=/nonexistent", NULL};
    r = run(bad);
    cr_expect_eq(r.status, 78);
    free(r.out);
}

Test(cli, parallel_batch_keeps_input_order) {
    const char *one[] = {"analyze", "--jobs", "1", "samples/g01-anna-svensson.wav", "samples/m05-beep.wav",
                         "samples/nonexistent.wav", "samples/m09-system-prompt.wav",
                         "samples/g05-karin-ahlstrom.ul", "samples/m01-empty.wav", NULL};
    const char *many[] = {"analyze", "--jobs", "4", "samples/g01-anna-svensson.wav", "samples/m05-beep.wav",
                          "samples/nonexistent.wav", "samples/m09-system-prompt.wav",
                          "samples/g05-karin-ahlstrom.ul", "samples/m01-empty.wav", NULL};
    result a = run(one), b = run(many);
    cr_expect_eq(a.status, 2);
    cr_expect_eq(b.status, 2);
    cr_expect_eq(count_lines(b.out), 6);
    cr_expect_str_eq(a.out, b.out, "same lines in the same order whatever the number of jobs");
    free(a.out);
    free(b.out);
    const char *bad[] = {"analyze", "--jobs", "0", "samples/m01-empty.wav", NULL};
    result c = run(bad);
    cr_expect_eq(c.status, 64);
    free(c.out);
}

Test(cli, greeting_verification_fields) {
    char path[1024];
    snprintf(path, sizeof path, "%s/asr-anna.wav", getenv("RV_FIXTURES") ? getenv("RV_FIXTURES") : "build/fixtures");
    const char *args[] = {"analyze", "--name", "Anna Svensson", "--unit", "ekonomienheten",
                          "--org", "Botkyrka kommun", "--phrase", "så ringer jag upp",
                          "--profile", "botkyrka", path, NULL};
    result r = run(args);
    cr_expect_eq(r.status, 0);
    json_t *j = line_json(r.out, 0);
    /* the clip says "Hej, du har kommit till Anna Svensson på
     * ekonomienheten. Lämna ett meddelande så ringer jag upp." (5.8 s) and
     * not the organisation */
    double dur = json_real_value(json_object_get(j, "duration_s"));
    cr_expect(dur > 5 && dur < 7, "%f", dur);
    json_t *name = json_object_get(j, "name"), *unit = json_object_get(j, "unit"), *org = json_object_get(j, "org");
    json_t *phrase = json_array_get(json_object_get(j, "phrases"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(name, "expected")), "Anna Svensson");
    cr_expect_str_eq(json_string_value(json_object_get(name, "verdict")), "stated");
    cr_expect(json_is_true(json_object_get(name, "stated")));
    cr_expect_str_eq(json_string_value(json_object_get(unit, "verdict")), "stated");
    cr_expect_str_eq(json_string_value(json_object_get(org, "verdict")), "not_stated", "the clip never says it");
    cr_expect(json_is_false(json_object_get(org, "stated")));
    cr_expect_eq(json_array_size(json_object_get(j, "phrases")), 1);
    cr_expect_str_eq(json_string_value(json_object_get(phrase, "verdict")), "stated");
    /* where each is said, in the order said, inside the clip */
    double at_name = json_number_value(json_object_get(name, "at_s")),
           at_unit = json_number_value(json_object_get(unit, "at_s")),
           at_phrase = json_number_value(json_object_get(phrase, "at_s"));
    cr_expect(at_name > 0.3 && at_name < at_unit && at_unit < at_phrase && at_phrase < dur,
              "name %.2f, unit %.2f, phrase %.2f s", at_name, at_unit, at_phrase);
    json_t *closing = json_object_get(j, "closing_prompt");
    cr_expect(json_is_true(json_object_get(closing, "stated")));
    cr_expect_str_eq(json_string_value(json_object_get(closing, "phrase")), "så ringer jag upp");
    cr_expect_str_eq(json_string_value(json_object_get(j, "profile")), "botkyrka");
    cr_expect(json_is_true(json_object_get(j, "compliant")), "name, unit and the closing prompt are said");
    cr_expect_eq(json_array_size(json_object_get(j, "violations")), 0);
    json_t *abs = json_object_get(j, "absence");
    cr_expect(json_is_object(abs), "absence is reported");
    cr_expect(json_is_false(json_object_get(abs, "absent")), "no absence is announced");
    cr_expect(json_is_null(json_object_get(abs, "until")));
    json_decref(j);
    free(r.out);
    const char *bad[] = {"analyze", "--profile", "atlantis", path, NULL};
    r = run(bad);
    cr_expect_eq(r.status, 64, "an unknown profile is a usage mistake");
    free(r.out);
    const char *bad_date[] = {"analyze", "--name", "Anna Svensson", "--date", "2026-02-30", path, NULL};
    r = run(bad_date);
    cr_expect_eq(r.status, 64, "an impossible --date is a usage mistake");
    free(r.out);
}

Test(cli, voicemail_keywords_are_listed_with_times) {
    const char *args[] = {"analyze", "--kind", "voicemail", "samples/v01-bygglov.wav",
                          "samples/v05-hangup.wav", "samples/v03-ring-mig.wav", NULL};
    /* what v01 says (samples/manifest.tsv): a case word found there must be one of its words */
    const char *said = " hej jag heter lars holm och ringer om mitt ärende om bygglov på storgatan fem jag "
                       "undrar när beslutet kommer ring mig på noll sju noll ett två tre fyra fem sex ";
    result r = run(args);
    cr_expect_eq(r.status, 0);
    json_t *j = line_json(r.out, 0);
    json_t *kw = json_object_get(j, "keywords");
    cr_assert(json_is_array(kw), "keywords is a list when searched");
    cr_expect(json_array_size(kw) >= 1, "the message about a permit has a case word");
    for (size_t i = 0; i < json_array_size(kw); i++) {
        json_t *h = json_array_get(kw, i);
        const char *w = json_string_value(json_object_get(h, "word"));
        cr_assert(w != NULL);
        char padded[80];
        snprintf(padded, sizeof padded, " %s ", w);
        cr_expect(strstr(said, padded) != NULL, "found \"%s\", which the message says", w);
        double at = json_number_value(json_object_get(h, "at_s"));
        cr_expect(at >= 0 && at < 30, "a time inside the message: %g", at);
        cr_expect(json_is_number(json_object_get(h, "score")));
    }
    json_decref(j);
    j = line_json(r.out, 1);
    cr_expect_eq(json_array_size(json_object_get(j, "keywords")), 0, "a hang-up has no words");
    cr_expect_str_eq(json_string_value(json_object_get(j, "classification")), "empty");
    json_decref(j);
    j = line_json(r.out, 2);
    cr_expect_eq(json_array_size(json_object_get(j, "keywords")), 0, "\"ring mig\" has no case word");
    cr_expect_str_eq(json_string_value(json_object_get(j, "classification")), "ephemeral");
    json_decref(j);
    free(r.out);
    const char *off[] = {"analyze", "--kind", "voicemail", "--no-keywords", "samples/v01-bygglov.wav", NULL};
    r = run(off);
    j = line_json(r.out, 0);
    cr_expect(json_is_null(json_object_get(j, "keywords")), "not searched: null");
    cr_expect_str_eq(json_string_value(json_object_get(j, "classification")), "possible_public_record",
                     "a long message is flagged without keywords too");
    json_decref(j);
    free(r.out);
}

Test(cli, token_prints_the_token_once_on_its_last_line) {
    char path[] = "/tmp/rv-cli-tokens-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    unlink(path);
    const char *args[] = {"token", "--tokens", path, "--role", "officer", "--name", "anna", "--org", "*", NULL};
    result r = run(args);
    cr_expect_eq(r.status, 0);
    cr_assert(r.out && *r.out);
    size_t len = strlen(r.out);
    if (r.out[len - 1] == '\n') r.out[--len] = '\0';
    const char *nl = strrchr(r.out, '\n');
    const char *last = nl ? nl + 1 : r.out;
    cr_expect(strncmp(last, "rv_", 3) == 0 && strlen(last) == 67, "last line: %s", last);
    free(r.out);
    r = run(args);
    cr_expect_eq(r.status, 64, "the same name twice is a usage mistake");
    free(r.out);
    const char *bad[] = {"token", "--tokens", path, "--role", "root", "--name", "x", NULL};
    r = run(bad);
    cr_expect_eq(r.status, 64);
    free(r.out);
    unlink(path);
}

/* Every command answers --help and `rostvakt help CMD` with its usage on
 * standard output and exit status 0; an unknown command's help is 64. */
Test(cli, every_command_answers_help) {
    const char *cmds[] = {"analyze", "profiles", "serve", "token", "sweep", "workdays", "calibrate", "config", "version",
                          "help"};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        char want[64];
        snprintf(want, sizeof want, "usage: rostvakt %s", cmds[i]);
        const char *flag[] = {cmds[i], "--help", NULL};
        result r = run(flag);
        cr_expect_eq(r.status, 0, "%s --help", cmds[i]);
        cr_expect(r.out && strstr(r.out, want) != NULL, "%s --help: %s", cmds[i], r.out ? r.out : "");
        free(r.out);
        const char *help[] = {"help", cmds[i], NULL};
        r = run(help);
        cr_expect_eq(r.status, 0, "help %s", cmds[i]);
        cr_expect(r.out && strstr(r.out, want) != NULL, "help %s: %s", cmds[i], r.out ? r.out : "");
        free(r.out);
    }
    const char *serve[] = {"serve", "--listen", "127.0.0.1:0", "--help", NULL};
    result r = run(serve);
    cr_expect_eq(r.status, 0, "--help after other options");
    cr_expect(r.out && strstr(r.out, "--analysis-workers") != NULL, "%s", r.out ? r.out : "");
    free(r.out);
    const char *none[] = {"help", "frobnicate", NULL};
    r = run(none);
    cr_expect_eq(r.status, 64);
    free(r.out);
}

/* The documented settings table is the program's own (make readme): a
 * setting added, renamed or given another default shows here until it is
 * remade. */
Test(cli, the_docs_list_the_settings_as_they_are) {
    const char *args[] = {"config", "--markdown", NULL};
    result r = run(args);
    cr_assert_eq(r.status, 0);
    FILE *f = fopen("docs/settings.md", "r");
    cr_assert_not_null(f);
    static char readme[1 << 17];
    size_t n = fread(readme, 1, sizeof readme - 1, f);
    fclose(f);
    readme[n] = '\0';
    const char *begin = strstr(readme, "<!-- settings: made by `make readme`");
    cr_assert_not_null(begin, "docs/settings.md has the settings markers");
    begin = strchr(begin, '\n') + 1;
    const char *end = strstr(begin, "<!-- end of settings -->");
    cr_assert_not_null(end);
    cr_expect(r.out && (size_t)(end - begin) == strlen(r.out) && strncmp(begin, r.out, strlen(r.out)) == 0,
              "docs/settings.md's settings differ from rostvakt config --markdown: run make readme");
    free(r.out);
}

Test(cli, the_example_config_in_deploy_loads) {
    const char *args[] = {"config", "--config", "deploy/rostvakt.conf.example", NULL};
    result r = run(args);
    cr_expect_eq(r.status, 0, "%s", r.out ? r.out : "");
    cr_expect(r.out && strstr(r.out, "max_queue = 10000") != NULL, "%s", r.out ? r.out : "");
    free(r.out);
}

Test(cli, workdays_counts_working_days) {
    const char *jul[] = {"workdays", "--calendar", "SE", "--from", "2026-12-23", "--add", "2", NULL};
    result r = run(jul);
    cr_expect_eq(r.status, 0);
    cr_expect_str_eq(r.out, "2026-12-29\n");
    free(r.out);
    const char *aland[] = {"workdays", "--calendar", "AX", "--from", "2026-06-08", "--add", "1", NULL};
    r = run(aland);
    cr_expect_str_eq(r.out, "2026-06-10\n", "Ålands självstyrelsedag");
    free(r.out);
    const char *bad[][8] = {{"workdays", "--calendar", "FI", "--from", "2026-06-08", "--add", "1", NULL},
                            {"workdays", "--calendar", "SE", "--from", "2026-02-30", "--add", "1", NULL},
                            {"workdays", "--calendar", "SE", "--from", "2026-06-08", "--add", "-1", NULL},
                            {"workdays", "--calendar", "SE", "--from", "2026-06-08", NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        r = run(bad[i]);
        cr_expect_eq(r.status, 64, "usage error %zu", i);
        cr_expect_eq(r.len, 0);
        free(r.out);
    }
}

/* An empty archive in dir, as rostvakt serve leaves it before any request. */
static void empty_archive(const char *dir)
{
    rv_store *st;
    rv_error e;
    cr_assert_eq(rv_store_open(dir, &st, &e), RV_OK, "%s", e.msg);
    rv_store_close(st);
}

/* A data directory with no archive in it (a wrong --data-dir) is an error
 * for the commands that read one, dry run or not, and none is made there. */
Test(cli, commands_make_no_archive_where_there_is_none) {
    if (getenv("RV_TEST_STORE")) return; /* there, every directory has a database of its own */
    char dir[64], db[96];
    snprintf(dir, sizeof dir, "/tmp/rv-cli-none-XXXXXX");
    cr_assert(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/rostvakt.db", dir);
    const char *cmds[][8] = {{"sweep", "--data-dir", dir, "--date", "2026-11-23", "--dry-run", NULL},
                             {"sweep", "--data-dir", dir, "--date", "2026-11-23", NULL},
                             {"calibrate", "--data-dir", dir, "--dry-run", NULL},
                             {"adapt", "--data-dir", dir, NULL}};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        result r = run(cmds[i]);
        cr_expect_eq(r.status, 64, "%s %s: %s", cmds[i][0], cmds[i][5] ? cmds[i][5] : "", r.out);
        free(r.out);
        cr_expect_neq(access(db, F_OK), 0, "%s made no archive", cmds[i][0]);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(cli, sweep_writes_its_report) {
    char dir[64], out[128], expect[160];
    snprintf(dir, sizeof dir, "/tmp/rv-cli-sweep-XXXXXX");
    cr_assert(mkdtemp(dir));
    empty_archive(dir);
    const char *json[] = {"sweep", "--data-dir", dir, "--date", "2026-11-23", "--dry-run", NULL};
    result r = run(json);
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "{\"date\":\"2026-11-23\",\"mailboxes\":0,\"missing_greetings\":[]") == r.out, "%s", r.out);
    free(r.out);
    snprintf(out, sizeof out, "%s/report-{date}.html", dir);
    const char *html[] = {"sweep", "--data-dir", dir, "--date", "2026-11-23", "--format", "html", "--out", out, NULL};
    r = run(html);
    cr_expect_eq(r.status, 0);
    cr_expect_eq(r.len, 0, "the report went to the file");
    free(r.out);
    snprintf(expect, sizeof expect, "%s/report-2026-11-23.html", dir);
    cr_expect_eq(access(expect, R_OK), 0, "%s", expect);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "grep -q '<html lang=\"sv\">' '%s' && grep -q '2026-11-23' '%s'", expect, expect);
    cr_expect_eq(system(cmd), 0, "a Swedish page of that date: %s", expect);
    char ls[160];
    snprintf(ls, sizeof ls, "ls -A '%s' | grep -q '^\\.report'", dir);
    cr_expect_neq(system(ls), 0, "no temporary file left");
    snprintf(out, sizeof out, "%s/both-{date}.{format}", dir);
    const char *both[] = {"sweep", "--data-dir", dir, "--date", "2026-11-23", "--format", "json,html", "--out", out, NULL};
    r = run(both);
    cr_expect_eq(r.status, 0);
    free(r.out);
    snprintf(expect, sizeof expect, "%s/both-2026-11-23.json", dir);
    json_error_t jerr;
    json_t *rep = json_load_file(expect, 0, &jerr);
    cr_expect(rep, "%s: %s", expect, jerr.text);
    cr_expect_str_eq(json_string_value(json_object_get(rep, "date")), "2026-11-23");
    cr_expect_eq(json_integer_value(json_object_get(rep, "mailboxes")), 0);
    cr_expect(json_is_array(json_object_get(rep, "missing_greetings")) &&
              json_array_size(json_object_get(rep, "missing_greetings")) == 0);
    json_decref(rep);
    snprintf(expect, sizeof expect, "%s/both-2026-11-23.html", dir);
    snprintf(cmd, sizeof cmd, "grep -q '<html lang=\"sv\">' '%s'", expect);
    cr_expect_eq(system(cmd), 0, "%s", expect);
    const char *bad_fmts[][8] = {{"sweep", "--data-dir", dir, "--format", "pdf", NULL},
                                 {"sweep", "--data-dir", dir, "--format", "json,json", "--out", out, NULL},
                                 {"sweep", "--data-dir", dir, "--format", "json,html", NULL},
                                 {"sweep", "--data-dir", dir, "--format", "json,", "--out", out, NULL}};
    for (size_t i = 0; i < sizeof bad_fmts / sizeof *bad_fmts; i++) {
        r = run(bad_fmts[i]);
        cr_expect_eq(r.status, 64, "bad --format %zu", i);
        free(r.out);
    }
    const char *bad_date[] = {"sweep", "--data-dir", dir, "--date", "23/11/2026", NULL};
    r = run(bad_date);
    cr_expect_eq(r.status, 64);
    free(r.out);
    const char *ahead[][8] = {{"sweep", "--data-dir", dir, "--date", "2099-01-01", NULL},
                              {"sweep", "--data-dir", dir, "--date", "2099-01-01", "--dry-run", NULL},
                              {"sweep", "--data-dir", dir, "--date", "2099-01-01", "--allow-future", NULL}};
    for (size_t i = 0; i < 3; i++) { /* a day to come: looked at, or run when told so */
        r = run(ahead[i]);
        cr_expect_eq(r.status, i ? 0 : 64, "%zu", i);
        free(r.out);
    }
    const char *no_dir[] = {"sweep", "--data-dir", "/nonexistent/rostvakt", NULL};
    r = run(no_dir);
    cr_expect_eq(r.status, 64);
    free(r.out);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(cli, calibrate_with_no_reviews_says_there_is_nothing_to_measure) {
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/rv-cli-cal-XXXXXX");
    cr_assert(mkdtemp(dir));
    empty_archive(dir);
    const char *cal[] = {"calibrate", "--data-dir", dir, NULL};
    result r = run(cal);
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "nothing to measure yet: no reviewed greeting at all") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "TPR") == NULL, "no rates made of nothing: %s", r.out);
    cr_expect(strstr(r.out, "the shipped thresholds apply") != NULL, "%s", r.out);
    free(r.out);
    /* a calibration it cannot remove stays in force: said, not "the shipped apply" */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/calibration.conf/x'", dir);
    cr_assert_eq(system(cmd), 0);
    r = run(cal);
    cr_expect_eq(r.status, 1, "%s", r.out);
    cr_expect(strstr(r.out, "the shipped thresholds apply") == NULL, "%s", r.out);
    free(r.out);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

/* A FIFO where a file is named is refused at once, never waited on for a
 * writer that does not come. */
Test(cli, a_fifo_given_for_a_file_is_refused_not_waited_on) {
    char dir[64], cmd[1024];
    snprintf(dir, sizeof dir, "/tmp/rv-cli-fifo-XXXXXX");
    cr_assert(mkdtemp(dir));
    const char *bin = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
    snprintf(cmd, sizeof cmd, "mkfifo %s/f", dir);
    cr_assert_eq(system(cmd), 0);
    static const char *const uses[] = {"analyze %s/f", "config --config %s/f", "token --tokens %s/f --role pbx --name x"};
    for (size_t i = 0; i < sizeof uses / sizeof *uses; i++) {
        char what[256];
        snprintf(what, sizeof what, "%s", uses[i]);
        char *at = strstr(what, "%s");
        cr_assert(at);
        snprintf(cmd, sizeof cmd, "timeout 10 %s %.*s%s%s >/dev/null 2>&1", bin, (int)(at - what), what, dir, at + 2);
        int st = system(cmd);
        cr_expect(WIFEXITED(st) && WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 124, "%s: status %d", cmd, st);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

/* A listen address serve would refuse is a configuration mistake (78)
 * for every command, `rostvakt config` too, not a usage one at start. */
Test(cli, a_listen_address_serve_cannot_take_is_a_configuration_mistake) {
    static const char *const bad[] = {"listen=127.0.0.1:99999", "listen=127.0.0.1:x", "listen=300.1.1.1:80", "listen=:80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *args[] = {"config", "--set", bad[i], NULL};
        result r = run(args);
        cr_expect_eq(r.status, 78, "%s", bad[i]);
        free(r.out);
    }
    const char *good[] = {"config", "--set", "listen=127.0.0.1:0", NULL};
    result r = run(good);
    cr_expect_eq(r.status, 0);
    free(r.out);
}

/* An id beyond the largest is a usage mistake, not the largest id; an
 * empty --out is named as such. */
Test(cli, archive_arguments_out_of_range_are_usage_mistakes) {
    char dir[64], out[96];
    snprintf(dir, sizeof dir, "/tmp/rv-cli-arch-XXXXXX");
    cr_assert(mkdtemp(dir));
    empty_archive(dir);
    snprintf(out, sizeof out, "%s/out", dir);
    const char *big[] = {"archive", "--data-dir", dir, "--voicemail", "99999999999999999999999", "--out", out, NULL};
    result r = run(big);
    cr_expect_eq(r.status, 64);
    free(r.out);
    const char *empty[] = {"archive", "--data-dir", dir, "--voicemail", "1", "--out", "", NULL};
    r = run(empty);
    cr_expect_eq(r.status, 64);
    free(r.out);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

/* Output that does not all get there is the exit status (74), not 0. */
Test(cli, standard_output_not_written_is_an_error) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s workdays --calendar SE --from 2026-12-07 --add 3 >/dev/full 2>/dev/null",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt");
    int st = system(cmd);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 74, "status %d", st);
    snprintf(cmd, sizeof cmd, "%s config --markdown >/dev/full 2>/dev/null",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt");
    st = system(cmd);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 74, "status %d", st);
}

/* A token whose line cannot be written whole (here a file size limit, as
 * a full disk would) leaves the file as it was, every token before it
 * still read: no half a line that every later command refuses. */
Test(cli, a_token_not_written_whole_leaves_the_file_as_it_was) {
    char dir[64], cmd[1024];
    snprintf(dir, sizeof dir, "/tmp/rv-cli-tok-XXXXXX");
    cr_assert(mkdtemp(dir));
    const char *bin = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
    struct stat before, after;
    char path[128];
    snprintf(path, sizeof path, "%s/tokens", dir);
    /* lines of some 90 bytes up to the last whole one under 512 bytes: a
     * limit of one 512-byte block (sh's unit) then falls in the next */
    for (int i = 0; stat(path, &before) != 0 || before.st_size + 100 < 512; i++) {
        snprintf(cmd, sizeof cmd, "%s token --tokens %s --role officer --name officer-%d --org '*' >/dev/null", bin, path,
                 i);
        cr_assert_eq(system(cmd), 0, "%s", cmd);
    }
    snprintf(cmd, sizeof cmd,
             "sh -c 'ulimit -f 1; trap \"\" XFSZ; exec %s token --tokens %s --role officer --name cut-short --org essunga'"
             " >/dev/null 2>&1", bin, path);
    int st = system(cmd);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) != 0, "status %d", st);
    cr_assert_eq(stat(path, &after), 0);
    cr_expect_eq(after.st_size, before.st_size, "the file as it was: %lld bytes, not %lld", (long long)before.st_size,
                 (long long)after.st_size);
    snprintf(cmd, sizeof cmd, "%s token --tokens %s --role officer --name whole --org '*' >/dev/null 2>&1", bin, path);
    cr_expect_eq(system(cmd), 0, "the file is still read");
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}
