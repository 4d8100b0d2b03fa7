/* The report's mails as they are composed (GMime): what a mail client
 * reads of them, from --dry-run's files, with Python's e-mail parser. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rostvakt/config.h"
#include "rostvakt/fileio.h"
#include "rostvakt/mail.h"
#include "rostvakt/store.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/rv-mail-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(mail, .init = setup, .fini = teardown);

/* The suite's archive, dir/data. */
static rv_store *archive(void)
{
    rv_store *s;
    rv_error e;
    char data[128];
    snprintf(data, sizeof data, "%s/data", dir);
    cr_assert_eq(rv_store_open(data, &s, &e), RV_OK, "%s", e.msg);
    return s;
}

/* A unit whose name would end the Subject header and start a Bcc of its
 * own, and Swedish letters everywhere: one header each, decoded intact,
 * and every line of the message CRLF-ended. */
Test(mail, unit_names_stay_inside_the_subject) {
    rv_store *s = archive();
    rv_error e;
    char dry[128];
    snprintf(dry, sizeof dry, "%s/dry", dir);
    cr_assert_eq(mkdir(dry, 0755), 0);
    const char *unit = "\xc3\x84ldreomsorg\r\nBcc: evil@example.com";
    int created;
    cr_assert_eq(rv_store_put_unit(s, "", unit, "chef@kommun.se", "2026-12-07T00:00:00Z", &created, &e), RV_OK, "%s", e.msg);
    rv_config cfg;
    rv_config_defaults(&cfg);
    snprintf(cfg.mail_from, sizeof cfg.mail_from, "rostvakt@kommun.se");
    const char *report = "{\"date\":\"2026-12-07\",\"mailboxes\":1,\"missing_greetings\":[{\"ext\":\"4712\","
                         "\"name\":\"\xc3\x85sa \xc3\x96" "berg\",\"unit\":\"\xc3\x84ldreomsorg\\r\\nBcc: evil@example.com\","
                         "\"reason\":\"removed\"}]}";
    rv_mail_counts c;
    char *logged = NULL;
    size_t logged_len = 0;
    FILE *log = open_memstream(&logged, &logged_len);
    cr_assert_not_null(log);
    cr_assert_eq(rv_mail_report(s, &cfg, report, dry, log, &c, &e), RV_OK, "%s", e.msg);
    fclose(log);
    rv_store_close(s);
    cr_assert_eq(c.composed, 1);
    /* nor does it begin a line of the log of its own */
    cr_expect(strstr(logged, "\nBcc") == NULL && strchr(logged, '\r') == NULL, "%s", logged);
    cr_expect(strchr(logged, '\n') == logged + logged_len - 1, "one line: %s", logged);
    free(logged);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd %s && f=$(ls) && /usr/bin/python3 -c 'import email, email.header, email.policy, sys\n"
             "raw = open(sys.argv[1], \"rb\").read()\n"
             "assert raw.count(b\"\\n\") == raw.count(b\"\\r\\n\"), \"bare LF\"\n"
             "m = email.message_from_bytes(raw, policy=email.policy.compat32)\n"
             "assert m[\"Bcc\"] is None, \"a Bcc header\"\n"
             "s = str(email.header.make_header(email.header.decode_header(m[\"Subject\"])))\n"
             "assert s.startswith(\"R\\u00f6stbrevl\\u00e5dor \\u00c4ldreomsorg\"), s\n"
             "assert s.endswith(\"2026-12-07: 1 att \\u00e5tg\\u00e4rda\"), s\n"
             "t = [p.get_payload(decode=True).decode(\"utf-8\") for p in m.walk() if p.get_content_maintype() == \"text\"]\n"
             "assert len(t) == 2 and all(\"4712 \\u00c5sa \\u00d6berg\" in x for x in t), t\n"
             "assert \"\\r\\n\" in t[0] and \"\\r\\r\" not in t[0], repr(t[0])' \"$f\"",
             dry);
    cr_expect_eq(system(cmd), 0, "see the assertion above");
}

/* The same date's report again, after the unit's spelling changed in the
 * directory (most of its mailboxes now write it in capitals): the unit's
 * mail is the one already kept, not a second one. */
Test(mail, a_spelling_changed_the_same_day_is_the_same_mail) {
    rv_store *s = archive();
    rv_error e;
    int created;
    cr_assert_eq(rv_store_put_unit(s, "", "Ekonomi", "chef@kommun.se", "2026-12-07T00:00:00Z", &created, &e), RV_OK,
                 "%s", e.msg);
    rv_config cfg;
    rv_config_defaults(&cfg);
    snprintf(cfg.mail_from, sizeof cfg.mail_from, "rostvakt@kommun.se");
    snprintf(cfg.mail_smtp_url, sizeof cfg.mail_smtp_url, "smtp://127.0.0.1:1"); /* refused: kept to send later */
    const char *exts[] = {"4711", "4712", "4713"};
    for (int run = 0; run < 2; run++) {
        for (int i = 0; i < (run ? 3 : 1); i++) { /* first "Ekonomi"; then two of three "EKONOMI" */
            rv_mailbox m = {0};
            snprintf(m.ext, sizeof m.ext, "%s", exts[i]);
            snprintf(m.first_name, sizeof m.first_name, "Anna");
            snprintf(m.last_name, sizeof m.last_name, "Svensson");
            snprintf(m.unit, sizeof m.unit, "%s", run && i ? "EKONOMI" : "Ekonomi");
            snprintf(m.profile, sizeof m.profile, "default");
            cr_assert_eq(rv_store_put_mailbox(s, &m, "2026-12-07T00:00:00Z", &created, &e), RV_OK, "%s", e.msg);
        }
        const char *report = run ? "{\"date\":\"2026-12-07\",\"mailboxes\":3,\"missing_greetings\":[{\"ext\":\"4711\","
                                   "\"name\":\"Anna Svensson\",\"unit\":\"EKONOMI\",\"reason\":\"removed\"}]}"
                                 : "{\"date\":\"2026-12-07\",\"mailboxes\":1,\"missing_greetings\":[{\"ext\":\"4711\","
                                   "\"name\":\"Anna Svensson\",\"unit\":\"Ekonomi\",\"reason\":\"removed\"}]}";
        rv_mail_counts c;
        FILE *log = fopen("/dev/null", "w");
        cr_assert_eq(rv_mail_report(s, &cfg, report, NULL, log, &c, &e), RV_OK, "%s", e.msg);
        fclose(log);
        cr_expect_eq(c.composed, run ? 0 : 1, "run %d: %ld composed (kept to send)", run, c.composed);
    }
    rv_store_close(s);
}

/* A dry run writes each mail to a file of its own: units whose names
 * differ only in å, ä and ö, or in a space and a slash, do not share one,
 * and a plain name's file is named as before. */
Test(mail, units_named_alike_get_files_of_their_own) {
    rv_store *s = archive();
    rv_error e;
    char dry[128];
    snprintf(dry, sizeof dry, "%s/dry", dir);
    cr_assert_eq(mkdir(dry, 0755), 0);
    /* and the longest names a unit can have in the longest organisation's
     * name, differing in their last letters (a file name holds 255 bytes) */
    char org[41], longest[2][192];
    memset(org, 'o', 40);
    org[40] = '\0';
    for (int i = 0; i < 2; i++) {
        memset(longest[i], 'a', 191);
        longest[i][10] = ' ';
        memcpy(longest[i] + 150, "\xc3\xa5", 2); /* an å across the cut */
        longest[i][190] = i ? 'y' : 'z';
        longest[i][191] = '\0';
    }
    const char *units[] = {"H\xc3\xa4lsa", "H\xc3\xa5lsa", "Plan och bygg", "Plan/och/bygg", "Plan_och_bygg", "Ekonomi",
                           longest[0], longest[1], "Plan\xc2\x9b" "2J\xe2\x80\xae" "lme.exe"};
    int created;
    rv_org o = {0};
    snprintf(o.id, sizeof o.id, "%s", org);
    snprintf(o.name, sizeof o.name, "Kommunen");
    cr_assert_eq(rv_store_put_org(s, &o, "2026-12-07T00:00:00Z", "test", "127.0.0.1", &created, &e), RV_OK, "%s", e.msg);
    for (int i = 0; i < 9; i++)
        cr_assert_eq(rv_store_put_unit(s, i == 6 || i == 7 ? org : "", units[i], "chef@kommun.se", "2026-12-07T00:00:00Z",
                                       &created, &e),
                     RV_OK, "%s", e.msg);
    rv_config cfg;
    rv_config_defaults(&cfg);
    snprintf(cfg.mail_from, sizeof cfg.mail_from, "rostvakt@kommun.se");
    cfg.mail_when_nothing = 1;
    rv_mail_counts c;
    FILE *log = fopen("/dev/null", "w");
    cr_assert_eq(rv_mail_report(s, &cfg, "{\"date\":\"2026-12-07\",\"mailboxes\":0}", dry, log, &c, &e), RV_OK, "%s",
                 e.msg);
    fclose(log);
    rv_store_close(s);
    cr_expect_eq(c.composed, 9);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) -eq 9 && test -f %s/2026-12-07-unit_Ekonomi.eml", dry, dry);
    cr_expect_eq(system(cmd), 0, "nine files, Ekonomi's named as before");
    /* a control character (U+009B) and a right-to-left override (U+202E)
     * are no part of a file's name */
    snprintf(cmd, sizeof cmd, "ls %s | grep -c -e \"$(printf '\\302\\233')\" -e \"$(printf '\\342\\200\\256')\"", dry);
    cr_expect_neq(system(cmd), 0, "no file named with them");
}
