/* Unit names as an operator types them: "Ekonomienheten" and
 * "ekonomienheten", "Socialtjänsten" and "SOCIALTJÄNSTEN" are one unit in
 * the managers' mail, the lists' filters and the report's shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "serve.h"

static char admin[80];

static void units_setup(void)
{
    setup();
    token("admin", "it-drift", admin, sizeof admin);
    stop_server(); /* a token made while it runs is tested in the tokens suite */
    start_server("0");
}

static void units_teardown(void)
{
    mail_server_stop();
    teardown();
}

TestSuite(units, .init = units_setup, .fini = units_teardown, .timeout = 60);

static void mailbox(const char *ext, const char *first, const char *unit_json)
{
    char path[64], body[256];
    sink o;
    snprintf(path, sizeof path, "/v1/mailboxes/%s", ext);
    snprintf(body, sizeof body, "{\"first_name\":\"%s\",\"last_name\":\"Svensson\",\"unit\":\"%s\"}", first,
             unit_json);
    cr_assert_eq(call("PUT", path, pbx, body, &o), 201, "%s", o.buf);
}

/* The README's example: managers set on "Ekonomienheten" for mailboxes in
 * "ekonomienheten" get their mail; Swedish letters fold too. */
Test(units, managers_get_the_mail_whatever_the_case) {
    sink o;
    mailbox("4711", "Anna", "ekonomienheten");
    mailbox("4712", "Bo", "Socialtj\\u00e4nsten");
    mailbox("4713", "Cia", "SOCIALTJ\\u00c4NSTEN");
    mailbox("4714", "Dan", "Socialtj\\u00e4nsten");
    mailbox("4715", "Eva", "Bygglovsenheten"); /* a unit without managers */
    cr_expect_eq(call("PUT", "/v1/units/Ekonomienheten", admin, "{\"managers\":[\"chef@kommun.se\"]}", &o), 201);
    cr_expect(strstr(o.buf, "\"mailboxes\":1") != NULL, "the answer says how many mailboxes it has: %s", o.buf);
    cr_expect_eq(call("PUT", "/v1/units/socialtj%C3%A4nsten", admin, "{\"managers\":[\"soc@kommun.se\"]}", &o), 201);
    cr_expect(strstr(o.buf, "\"mailboxes\":3") != NULL, "%s", o.buf);
    cr_expect_eq(call("PUT", "/v1/units/Ekonomienhten", admin, "{\"managers\":[\"chef@kommun.se\"]}", &o), 201);
    cr_expect(strstr(o.buf, "\"mailboxes\":0") != NULL, "a name no mailbox has (a typo) shows: %s", o.buf);
    /* the same unit again, in other letters: changed, not a second unit */
    cr_expect_eq(call("PUT", "/v1/units/SOCIALTJ%C3%84NSTEN", admin, "{\"managers\":[\"soc@kommun.se\",\"bitr@kommun.se\"]}",
                      &o), 200, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/units", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "{\"items\":[{\"name\":\"Bygglovsenheten\",\"organisation\":null,\"managers\":[],\"mailboxes\":1},"
                            "{\"name\":\"ekonomienheten\",\"organisation\":null,\"managers\":[\"chef@kommun.se\"],\"mailboxes\":1},"
                            "{\"name\":\"Ekonomienhten\",\"organisation\":null,\"managers\":[\"chef@kommun.se\"],\"mailboxes\":0},"
                            "{\"name\":\"Socialtj\xc3\xa4nsten\",\"organisation\":null,\"managers\":[\"soc@kommun.se\",\"bitr@kommun.se\"],"
                            "\"mailboxes\":3}]}") != NULL,
              "every unit once, named as most of its mailboxes spell it, managers or none: %s", o.buf);
    int port = free_port();
    mail_server_start(port);
    cr_expect_eq(sweep_mail_to(port, "2026-12-07", &o), 0, "%s", o.buf);
    cr_expect(strstr(o.buf, "2 new, 2 sent, 0 failed, 0 waiting") != NULL, "%s", o.buf);
    cr_assert_eq(mail_server_mails(&o), 2, "%s", o.buf);
    char *chef = strstr(o.buf, "RCPT=chef@kommun.se|"), *soc = strstr(o.buf, "RCPT=soc@kommun.se, bitr@kommun.se|");
    cr_assert(chef && soc, "%s", o.buf);
    chef[strcspn(chef, "\n")] = '\0';
    soc[strcspn(soc, "\n")] = '\0';
    cr_expect(strstr(chef, "4711 Anna Svensson: ingen h\xc3\xa4lsningsfras") != NULL, "%s", chef);
    cr_expect(strstr(chef, "att \xc3\xa5tg\xc3\xa4rda") != NULL, "%s", chef);
    cr_expect(strstr(soc, "4712 Bo Svensson") && strstr(soc, "4713 Cia Svensson") && strstr(soc, "4714 Dan Svensson"),
              "Socialtjänsten's mail has all three: %s", soc);
    cr_expect(strstr(soc, "R\xc3\xb6stbrevl\xc3\xa5" "dor Socialtj\xc3\xa4nsten 2026-12-07: 3 att") != NULL, "%s", soc);
    cr_expect(strstr(soc, "4711") == NULL, "%s", soc);
}

/* unit= in the lists of mailboxes and voicemails, and the kept report's
 * shares: one unit whatever the case. */
Test(units, lists_and_shares_ignore_the_case) {
    sink o;
    mailbox("4711", "Anna", "ekonomienheten");
    mailbox("4712", "Bo", "Socialtj\\u00e4nsten");
    mailbox("4713", "Cia", "SOCIALTJ\\u00c4NSTEN");
    mailbox("4714", "Dan", "Socialtj\\u00e4nsten");
    cr_assert_eq(call("GET", "/v1/mailboxes?unit=EKONOMIENHETEN", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"ext\":\"4711\"") && !strstr(o.buf, "\"ext\":\"4712\""), "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/mailboxes?unit=socialtj%C3%A4nsten", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"ext\":\"4712\"") && strstr(o.buf, "\"ext\":\"4713\"") && strstr(o.buf, "\"ext\":\"4714\"") &&
                  !strstr(o.buf, "\"ext\":\"4711\""),
              "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/mailboxes?unit=Socialtjansten", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"items\":[]") != NULL, "a is not ä: %s", o.buf);
    const char *exts[] = {"4711", "4712", "4713"};
    for (int i = 0; i < 3; i++) {
        char where[64];
        snprintf(where, sizeof where, "/v1/mailboxes/%s/voicemails", exts[i]);
        cr_assert_eq(upload("POST", where, "samples/v01-bygglov.wav", pbx, "audio/wav", NULL, &o, NULL, 0), 201, "%s",
                     o.buf);
    }
    cr_assert_eq(call("GET", "/v1/voicemails?unit=SOCIALTJ%C3%84NSTEN", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"ext\":\"4712\"") && strstr(o.buf, "\"ext\":\"4713\"") && !strstr(o.buf, "\"ext\":\"4711\""),
              "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/voicemails?unit=Ekonomienheten", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"ext\":\"4711\"") && !strstr(o.buf, "\"ext\":\"4712\""), "%s", o.buf);
    cr_assert_eq(call("POST", "/v1/sweeps?date=2026-11-23", admin, NULL, &o), 200, "%s", o.buf);
    cr_assert_eq(call("GET", "/v1/sweeps/1", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"units\":[{\"unit\":\"ekonomienheten\",\"organisation\":null,\"mailboxes\":1,\"compliant\":0},"
                            "{\"unit\":\"Socialtj\xc3\xa4nsten\",\"organisation\":null,\"mailboxes\":3,\"compliant\":0}]") != NULL,
              "one bar a unit, spelled as most of its mailboxes spell it: %s", o.buf);
}

/* Any unit a mailbox may have can get managers: a name with a slash, and
 * one as long as a mailbox's unit may be (191 bytes). */
Test(units, every_unit_a_mailbox_can_have_can_get_managers) {
    char longest[192];
    memset(longest, 'x', 191);
    longest[191] = '\0';
    mailbox("4711", "Anna", "Bygg/Milj\\u00f6");
    mailbox("4712", "Bo", longest);
    sink o;
    cr_expect_eq(call("PUT", "/v1/units/Bygg%2FMilj%C3%B6", admin, "{\"managers\":[\"bygg@kommun.se\"]}", &o), 201,
                 "%s", o.buf);
    cr_expect(strstr(o.buf, "\"mailboxes\":1") != NULL, "the mailbox's unit: %s", o.buf);
    char path[256];
    snprintf(path, sizeof path, "/v1/units/%s", longest);
    cr_expect_eq(call("PUT", path, admin, "{\"managers\":[\"x@kommun.se\"]}", &o), 201, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"mailboxes\":1") != NULL, "%s", o.buf);
    snprintf(path, sizeof path, "/v1/units/%sx", longest);
    cr_expect_eq(call("PUT", path, admin, "{\"managers\":[\"x@kommun.se\"]}", &o), 400, "longer than any mailbox's");
}

/* The mail password file belongs to the user the sweep runs as: one the
 * sweep cannot read says so, rather than just "Permission denied". */
Test(units, a_mail_password_file_of_another_user_says_whose_it_must_be) {
    sink o;
    mailbox("4711", "Anna", "Ekonomienheten");
    cr_expect_eq(call("PUT", "/v1/units/Ekonomienheten", admin, "{\"managers\":[\"chef@kommun.se\"]}", &o), 201);
    stop_server();
    char auth[128], cmd[1400];
    snprintf(auth, sizeof auth, "%s/smtp.auth", dir);
    write_file(auth, "rostvakt\nhemligt\n");
    chmod(auth, 0600);
    /* the other user reads the program and its models from copies in dir:
     * the clone they were built in may be a folder only its owner enters */
    snprintf(cmd, sizeof cmd, "chmod 0755 %s && chown -R 65534:65534 %s/data && cp %s %s/rostvakt && cp -r models %s/",
             dir, dir, getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", dir, dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "setpriv --reuid=65534 --regid=65534 --clear-groups %s/rostvakt sweep --data-dir %s/data --date 2026-12-07"
             " --mail --set models_dir=%s/models --set mail_smtp_url=smtp://127.0.0.1:%d"
             " --set mail_from=rostvakt@kommun.se --set mail_auth_file=%s 2>&1 >/dev/null",
             dir, dir, dir, free_port(), auth);
    cr_expect_eq(run(cmd, &o), 0, "the sweep never fails for mail: %s", o.buf);
    cr_expect(strstr(o.buf, "Permission denied") && strstr(o.buf, "must belong to the user the sweep runs as"), "%s",
              o.buf);
}
