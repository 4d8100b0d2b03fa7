/* The audit fails closed on every audited route: with the test hook
 * RV_TEST_AUDIT_FAILS (store_audit.c) no audit row can be written, and each
 * request of one table (every read and every change, by token and by the
 * web app's session) is answered 503 or 507 with Retry-After and only the
 * error, changing nothing; without it the same requests succeed, and
 * together they write every action of rv_audit_actions. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "rostvakt/store.h"
#include "serve.h"

static char flag[96], admin[80], session[200], csrf[80];

static void hooked(void)
{
    snprintf(flag, sizeof flag, "/tmp/rv-audit-fails-%d", (int)getpid());
    unlink(flag);
    setenv("RV_TEST_AUDIT_FAILS", flag, 1); /* only the server started below */
    static char smtp[64]; /* a hand-over's mail: nobody takes it, the next sweep would */
    snprintf(smtp, sizeof smtp, "mail_smtp_url=smtp://127.0.0.1:%d", free_port());
    server_set2 = smtp;
    setup();
    token("admin", "it-drift", admin, sizeof admin);
    stop_server(); /* again, with the admin's token */
    start_server("1");
    unsetenv("RV_TEST_AUDIT_FAILS");
}

static void done(void)
{
    teardown();
    unlink(flag);
}

TestSuite(failclosed, .init = hooked, .fini = done, .timeout = 180);

/* who sends a request: a bearer token, the officer's web app session (its
 * cookie, and its CSRF token on a change), or nobody */
enum { NOBODY, PBX, OFFICER, ADMIN, SESSION };

typedef struct {
    const char *method, *path;
    int who;
    const char *body;    /* JSON, "@file" for the file's bytes, or NULL; TOKEN: body_token's */
    int body_token;
    const char *type;    /* the body's Content-Type */
    const char *actions; /* what it audits when the audit works, space-separated */
    long answer;         /* its status when the audit works; 0: any of 2xx */
} row;

#define JSON "application/json"
#define WAV "audio/wav"

/* Every audited route. Voicemail 1 is registered and packaged, voicemail 2
 * is decided away here (and disposed of by the sweep), greeting 1 is
 * 4711's first and sweep 1 was kept:
 * the data made before the table is walked. */
static const row table[] = {
    /* reads */
    {"GET", "/v1/mailboxes/4711", OFFICER, NULL, 0, NULL, "mailbox_read", 0},
    {"HEAD", "/v1/mailboxes/4711", OFFICER, NULL, 0, NULL, "mailbox_read", 0},
    {"GET", "/v1/mailboxes", OFFICER, NULL, 0, NULL, "mailboxes_listed", 0},
    {"GET", "/v1/mailboxes?email=anna@kommun.se", PBX, NULL, 0, NULL, "mailboxes_listed", 0},
    {"GET", "/v1/mailboxes/4711/greeting", OFFICER, NULL, 0, NULL, "greeting_read", 0},
    {"GET", "/v1/mailboxes/4711/greetings", OFFICER, NULL, 0, NULL, "greetings_listed", 0},
    {"GET", "/v1/mailboxes/4711/greetings/1/audio", OFFICER, NULL, 0, NULL, "greeting_audio_read", 0},
    {"GET", "/v1/review", OFFICER, NULL, 0, NULL, "review_listed", 0},
    {"GET", "/v1/voicemails", OFFICER, NULL, 0, NULL, "voicemails_listed", 0},
    {"GET", "/v1/voicemails/1", OFFICER, NULL, 0, NULL, "voicemail_read", 0},
    {"GET", "/v1/voicemails/1/audio", OFFICER, NULL, 0, NULL, "audio_read", 0},
    {"GET", "/v1/units", ADMIN, NULL, 0, NULL, "units_listed", 0},
    {"GET", "/v1/organisations", ADMIN, NULL, 0, NULL, "organisations_listed", 0},
    {"GET", "/v1/sweeps", ADMIN, NULL, 0, NULL, "sweeps_listed", 0},
    {"GET", "/v1/sweeps/1", ADMIN, NULL, 0, NULL, "sweep_read", 0},
    /* the web app's reads */
    {"GET", "/v1/voicemails?decision=none", SESSION, NULL, 0, NULL, "voicemails_listed", 0},
    {"GET", "/v1/voicemails/1", SESSION, NULL, 0, NULL, "voicemail_read", 0},
    {"GET", "/v1/voicemails/1/audio", SESSION, NULL, 0, NULL, "audio_read", 0},
    {"GET", "/v1/mailboxes?compliant=false", SESSION, NULL, 0, NULL, "mailboxes_listed", 0},
    {"GET", "/v1/mailboxes/4711", SESSION, NULL, 0, NULL, "mailbox_read", 0},
    {"GET", "/v1/mailboxes/4711/greetings", SESSION, NULL, 0, NULL, "greetings_listed", 0},
    {"GET", "/v1/mailboxes/4711/greetings/1/audio", SESSION, NULL, 0, NULL, "greeting_audio_read", 0},
    {"GET", "/v1/review?limit=100", SESSION, NULL, 0, NULL, "review_listed", 0},
    {"GET", "/v1/sweeps?limit=60", SESSION, NULL, 0, NULL, "sweeps_listed", 0},
    /* changes */
    {"PUT", "/v1/mailboxes/4711", PBX,
     "{\"first_name\":\"Annika\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\",\"email\":\"anna@kommun.se\"}",
     0, JSON, "mailbox_updated", 0},
    {"PUT", "/v1/mailboxes/4712", PBX, "{\"first_name\":\"Per\",\"last_name\":\"Oskarsson\",\"unit\":\"Nyenheten\"}",
     0, JSON, "mailbox_created", 0},
    {"PUT", "/v1/mailboxes/4711/greeting", PBX, "@samples/g02-per-oskarsson.wav", 0, WAV, "greeting_received", 0},
    {"PUT", "/v1/mailboxes/4711/name-recording", PBX, "@samples/g01-anna-svensson.wav", 0, WAV,
     "name_recording_received", 0},
    {"POST", "/v1/mailboxes/4711/voicemails", PBX, "@samples/v03-ring-mig.wav", 0, WAV, "voicemail_received", 0},
    {"POST", "/v1/voicemails/1/callback", PBX, NULL, 0, NULL, "callback", 0},
    {"POST", "/v1/voicemails/2/decision", OFFICER, "{\"decision\":\"gallras\",\"ground\":\"tillfallig\"}", 0, JSON, "decision", 0},
    /* the web app's change, before the sweep disposes of voicemail 2 */
    {"POST", "/v1/voicemails/2/decision", SESSION,
     "{\"decision\":\"gallras\",\"ground\":\"ringa\",\"reason\":\"ringa betydelse\",\"note\":\"i webben\"}", 0,
     JSON, "decision", 0},
    {"POST", "/v1/mailboxes/4711/greetings/1/review", OFFICER, "{\"name\":\"stated\"}", 0, JSON, "greeting_reviewed", 0},
    {"POST", "/v1/voicemails/1/package", OFFICER, NULL, 0, NULL, "voicemail_packaged", 0},
    {"POST", "/v1/voicemails/1/archived", OFFICER, "{\"reference\":\"EA-2\"}", 0, JSON, "voicemail_archived", 0},
    {"POST", "/v1/voicemails/1/handover", OFFICER, "{\"to\":\"handlaggare@kommun.se\"}", 0, JSON,
     "voicemail_handed_over", 0},
    {"PUT", "/v1/units/Ekonomienheten", ADMIN, "{\"managers\":[\"ny.chef@kommun.se\"]}", 0, JSON, "unit_updated", 0},
    {"PUT", "/v1/units/Nyenheten", ADMIN, "{\"managers\":[\"chef@kommun.se\"]}", 0, JSON, "unit_created", 0},
    {"PUT", "/v1/organisations/grastorp", ADMIN, "{\"name\":\"Grästorps kommun\"}", 0, JSON, "organisation_created", 0},
    {"PUT", "/v1/organisations/essunga", ADMIN, "{\"name\":\"Essunga kommun\"}", 0, JSON, "organisation_updated", 0},
    {"GET", "/v1/organisations/essunga", ADMIN, NULL, 0, NULL, "organisation_read", 0},
    {"POST", "/v1/sweeps", ADMIN, NULL, 0, NULL, "sweep_run disposed sweep_done", 0},
    {"DELETE", "/v1/mailboxes/4711/greeting", PBX, NULL, 0, NULL, "greeting_removed", 0},
    {"POST", "/v1/session", NOBODY, "{\"token\":\"TOKEN\"}", OFFICER, JSON, "sign_in", 0},
    {"POST", "/v1/session", NOBODY, "{\"token\":\"TOKEN\"}", PBX, JSON, "sign_in_refused", 403},
    {"DELETE", "/v1/session", OFFICER, NULL, 0, NULL, "sign_out", 0},
    /* the web app's changes */
    {"POST", "/v1/mailboxes/4711/greetings/1/review", SESSION, "{\"unit\":\"stated\"}", 0, JSON, "greeting_reviewed", 0},
    {"POST", "/v1/voicemails/1/package", SESSION, NULL, 0, NULL, "voicemail_packaged", 0},
    {"POST", "/v1/voicemails/1/archived", SESSION, "{\"reference\":\"EA-3\"}", 0, JSON, "voicemail_archived", 0},
    {"POST", "/v1/voicemails/1/handover", SESSION, "{\"to\":\"handlaggare@kommun.se\",\"note\":\"Ring upp\"}", 0,
     JSON, "voicemail_handed_over", 0},
    {"DELETE", "/v1/session", SESSION, NULL, 0, NULL, "sign_out", 0}, /* last: it ends the session */
};

static const char *secret(int who)
{
    return who == PBX ? pbx : who == OFFICER ? officer : who == ADMIN ? admin : NULL;
}

typedef struct {
    char retry_after[32], cookie[160];
} answer_headers;

static size_t answer_header(char *p, size_t sz, size_t n, void *u)
{
    answer_headers *a = u;
    size_t len = sz * n;
    int l = (int)len;
    while (l > 0 && (p[l - 1] == '\n' || p[l - 1] == '\r')) l--;
    if (l > 13 && strncasecmp(p, "Retry-After: ", 13) == 0) snprintf(a->retry_after, sizeof a->retry_after, "%.*s", l - 13, p + 13);
    if (l > 12 && strncasecmp(p, "Set-Cookie: ", 12) == 0) snprintf(a->cookie, sizeof a->cookie, "%.*s", l - 12, p + 12);
    return len;
}

/* r sent; its body into out (cut at the sink's size), two headers into a. */
static long send_row(const row *r, sink *out, answer_headers *a)
{
    static char data[1 << 20];
    char body[256], auth[128], ct[96], xcsrf[120];
    const char *b = NULL;
    size_t len = 0;
    if (r->body && r->body[0] == '@') {
        FILE *f = fopen(r->body + 1, "rb");
        cr_assert(f, "%s", r->body + 1);
        len = fread(data, 1, sizeof data, f);
        fclose(f);
        b = data;
    } else if (r->body) {
        const char *tok = strstr(r->body, "TOKEN");
        if (tok) snprintf(body, sizeof body, "%.*s%s%s", (int)(tok - r->body), r->body, secret(r->body_token), tok + 5);
        else snprintf(body, sizeof body, "%s", r->body);
        b = body;
        len = strlen(body);
    }
    struct curl_slist *h = NULL;
    if (secret(r->who)) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", secret(r->who));
        h = curl_slist_append(h, auth);
    }
    if (r->who == SESSION) {
        h = curl_slist_append(h, session);
        snprintf(xcsrf, sizeof xcsrf, "X-CSRF-Token: %s", csrf);
        if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) h = curl_slist_append(h, xcsrf);
    }
    if (r->type) {
        snprintf(ct, sizeof ct, "Content-Type: %s", r->type);
        h = curl_slist_append(h, ct);
    }
    memset(out, 0, sizeof *out);
    memset(a, 0, sizeof *a);
    CURL *c = curl_easy_init();
    char url[256];
    snprintf(url, sizeof url, "%s%s", base, r->path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
    if (strcmp(r->method, "HEAD") == 0) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (b) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, b);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, answer_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
    long status = 0;
    cr_assert_eq(curl_easy_perform(c), CURLE_OK, "%s %s", r->method, r->path);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* A query's output from the database, as sqlite3 prints it. */
static void query(const char *sql, sink *out)
{
    char cmd[1536], db[512];
    db_shell(db, sizeof db);
    snprintf(cmd, sizeof cmd, "echo \"%s;\" | %s", sql, db);
    cr_assert_eq(run(cmd, out), 0, "%s: %s", sql, out->buf);
}

static long long last_audit_id(void)
{
    sink o;
    query("SELECT coalesce(max(id), 0) FROM audit", &o);
    return atoll(o.buf);
}

/* Everything the database holds but the analyses' working state, in
 * order: what a refused change must leave as it was. */
static void snapshot(sink *out)
{
    char cmd[2048], db[512], dump[600];
    db_shell(db, sizeof db);
    db_dump(dump, sizeof dump);
    snprintf(cmd, sizeof cmd,
             "%s | sha256sum; "
             "echo 'SELECT first_name, name_audio_sha256, greeting_id FROM mailboxes ORDER BY ext;"
             " SELECT count(*) FROM voicemails; SELECT count(*) FROM decisions; SELECT count(*) FROM audit;"
             " SELECT name, managers FROM units ORDER BY name; SELECT callback_at, archive_ref FROM voicemails ORDER BY id;"
             " SELECT count(*) FROM greetings; SELECT count(*) FROM reviews; SELECT count(*) FROM sweeps;"
             " SELECT count(*) FROM voicemail_events;' | %s",
             dump, db);
    cr_assert_eq(run(cmd, out), 0, "%s", out->buf);
}

/* The data every row needs: a mailbox with a greeting, two voicemails
 * analysed (1 registered and packaged), a unit, a kept sweep and the
 * officer's web app session. */
static void prepare(void)
{
    sink o;
    char loc[128];
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\","
                       "\"email\":\"anna@kommun.se\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201, "%s", o.buf);
    cr_assert_eq(upload("PUT", "/v1/mailboxes/4711/greeting", "samples/g01-anna-svensson.wav", pbx, "audio/wav", NULL,
                        &o, NULL, 0),
                 200, "%s", o.buf);
    cr_assert_eq(post_audio("samples/v01-bygglov.wav", pbx, "audio/wav", NULL, &o, loc, sizeof loc), 201, "%s", o.buf);
    cr_assert_eq(post_audio("samples/v02-faktura.wav", pbx, "audio/wav", NULL, &o, loc, sizeof loc), 201, "%s", o.buf);
    for (int i = 0; i < 600; i++) { /* both analysed: nothing changes the database by itself any more */
        query("SELECT count(*) FROM voicemails WHERE state = 'queued'", &o);
        if (atoi(o.buf) == 0) break;
        usleep(100000);
    }
    cr_assert_eq(call("POST", "/v1/voicemails/1/decision", officer,
                      "{\"decision\":\"registrera\",\"arendemening\":\"Röstmeddelande\",\"diarienummer\":\"KS 2026/0042\"}", &o),
                 201, "%s", o.buf);
    cr_assert_eq(call("POST", "/v1/voicemails/1/package", officer, NULL, &o), 200);
    cr_assert_eq(call("PUT", "/v1/units/Ekonomienheten", admin, "{\"managers\":[\"chef@kommun.se\"]}", &o), 201,
                 "%s", o.buf);
    cr_assert_eq(call("POST", "/v1/sweeps", admin, NULL, &o), 200, "%s", o.buf);
    cr_assert_eq(call("PUT", "/v1/organisations/essunga", admin, "{\"name\":\"Essunga\"}", &o), 201, "%s", o.buf);
    char body[160];
    snprintf(body, sizeof body, "{\"token\":\"%s\"}", officer);
    row in = {"POST", "/v1/session", NOBODY, body, 0, JSON, NULL, 0};
    answer_headers a;
    cr_assert_eq(send_row(&in, &o, &a), 201, "%s", o.buf);
    snprintf(session, sizeof session, "Cookie: %.*s", (int)strcspn(a.cookie, ";"), a.cookie);
    json_t *j = json_loads(o.buf, 0, NULL);
    snprintf(csrf, sizeof csrf, "%s", json_string_value(json_object_get(j, "csrf")) ? json_string_value(json_object_get(j, "csrf")) : "");
    json_decref(j);
    cr_assert(csrf[0], "%s", o.buf);
}

/* Only {"error": {"code": ..., "message": ...}}: nothing of what was asked. */
static int only_the_error(const char *body)
{
    json_t *j = json_loads(body, 0, NULL);
    json_t *e = json_object_get(j, "error");
    int ok = json_is_object(j) && json_object_size(j) == 1 && json_is_object(e) &&
             json_is_string(json_object_get(e, "code")) && json_is_string(json_object_get(e, "message"));
    json_decref(j);
    return ok;
}

Test(failclosed, every_audited_route_is_refused_when_its_audit_cannot_be_written) {
    size_t n = sizeof table / sizeof *table;
    prepare();
    sink before, after, o;
    answer_headers a;
    snapshot(&before);
    write_file(flag, "the audit fails while this file is here\n");
    for (size_t i = 0; i < n; i++) {
        const row *r = &table[i];
        long st = send_row(r, &o, &a);
        cr_expect(st == 503 || st == 507, "%s %s (%s) answered %ld: %s", r->method, r->path, r->actions, st, o.buf);
        cr_expect(a.retry_after[0], "%s %s: a Retry-After", r->method, r->path);
        cr_expect(!a.cookie[0], "%s %s: no cookie (%s)", r->method, r->path, a.cookie);
        if (strcmp(r->method, "HEAD") != 0)
            cr_expect(only_the_error(o.buf), "%s %s: the error and nothing else: %s", r->method, r->path, o.buf);
    }
    snapshot(&after);
    cr_expect_str_eq(after.buf, before.buf, "what the refused changes would have changed stayed as it was");
    unlink(flag);
    cr_expect_eq(call("GET", "/v1/session", NULL, NULL, &o), 401, "no session without a sign-in");
    row whoami = {"GET", "/v1/session", SESSION, NULL, 0, NULL, NULL, 0};
    cr_expect_eq(send_row(&whoami, &o, &a), 200, "the refused sign-out left the session: %s", o.buf);

    /* the same requests, the audit working: each is answered and audited */
    for (size_t i = 0; i < n; i++) {
        const row *r = &table[i];
        long long since = last_audit_id();
        long st = send_row(r, &o, &a);
        int ok = r->answer ? st == r->answer : st >= 200 && st < 300;
        cr_expect(ok, "%s %s answered %ld once the audit works: %s", r->method, r->path, st, o.buf);
        if (!ok) continue;
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT ' ' || group_concat(action, ' ') || ' ' FROM audit WHERE id > %lld", since);
        query(sql, &o);
        char want[128];
        snprintf(want, sizeof want, "%s", r->actions);
        for (char *w = strtok(want, " "); w; w = strtok(NULL, " ")) {
            char pat[64];
            snprintf(pat, sizeof pat, " %s ", w);
            cr_expect(strstr(o.buf, pat) != NULL, "%s %s audited %s: %s", r->method, r->path, w, o.buf);
        }
    }
}

/* A route audited under an action no row of the table names would go
 * unchecked: every action the store accepts has its row, and they are the
 * actions the code names where it audits. */
Test(failclosed, the_table_covers_every_audit_action) {
    size_t n = sizeof table / sizeof *table;
    size_t k = 0;
    for (; rv_audit_actions[k]; k++) {
        int found = 0;
        for (size_t i = 0; i < n && !found; i++) {
            char pat[64], acts[160];
            snprintf(pat, sizeof pat, " %s ", rv_audit_actions[k]);
            snprintf(acts, sizeof acts, " %s ", table[i].actions);
            found = strstr(acts, pat) != NULL;
        }
        cr_expect(found, "no row of the table makes the audit action %s", rv_audit_actions[k]);
    }
    cr_expect_gt(k, 25, "the store's list of actions");
    /* and the list is what the code audits: the actions named where an
     * audit row is written */
    sink o;
    cr_assert_eq(run("grep -hE -A1 'rv_(store_)?audit(_of)?\\(|send_audio\\(' src/*.c | grep -oE '\"[a-z]+(_[a-z]+)*\"' | "
                     "tr -d '\"' | sort -u",
                     &o),
                 0);
    size_t named = 0;
    for (char *w = strtok(o.buf, "\n"); w; w = strtok(NULL, "\n"), named++) {
        size_t i = 0;
        while (rv_audit_actions[i] && strcmp(rv_audit_actions[i], w) != 0) i++;
        cr_expect(rv_audit_actions[i] != NULL, "src/ audits %s, which rv_audit_actions lacks", w);
    }
    cr_expect_eq(named, k, "src/ names %zu actions where it audits, rv_audit_actions %zu", named, k);
}
