/* rostvakt serve end to end (tests/cli/serve.h): the records officer's
 * inbox: its filters (local dates, caller, mailbox name, not yet listened
 * to), its pages both ways and total, call-back deadlines, who listened,
 * voicemails still being analysed. Nothing is analysed here (no analysis
 * worker): every voicemail stays queued. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "serve.h"

static void inbox_setup(void)
{
    setup();
    stop_server();
    start_server("0");
    sink o;
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx,
                      "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}", &o),
                 201, "%s", o.buf);
    cr_assert_eq(call("PUT", "/v1/mailboxes/4712", pbx,
                      "{\"first_name\":\"Örjan\",\"last_name\":\"Åberg\",\"unit\":\"Bygglovsenheten\"}", &o),
                 201, "%s", o.buf);
}

TestSuite(inbox, .init = inbox_setup, .fini = teardown, .timeout = 60);

/* A voicemail to ext received at (UTC or with an offset) from caller (or
 * none): its id. */
static long long post_to(const char *ext, const char *at, const char *caller)
{
    sink o;
    char where[64], h1[96], h2[96];
    snprintf(where, sizeof where, "/v1/mailboxes/%s/voicemails", ext);
    snprintf(h1, sizeof h1, "X-Received-At: %s", at);
    snprintf(h2, sizeof h2, "X-Caller-Number: %s", caller ? caller : "");
    const char *h[] = {h1, caller ? h2 : NULL, NULL};
    cr_assert_eq(upload("POST", where, "samples/v03-ring-mig.wav", pbx, "audio/wav", h, &o, NULL, 0), 201, "%s",
                 o.buf);
    json_t *j = json_loads(o.buf, 0, NULL);
    long long id = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    cr_assert(id > 0, "%s", o.buf);
    return id;
}

/* GET path as tok: the answer's JSON (json_decref). */
static json_t *get_json(const char *path, const char *tok)
{
    sink o;
    long st = call("GET", path, tok, NULL, &o);
    cr_assert_eq(st, 200, "%s: %ld %s", path, st, o.buf);
    json_t *j = json_loads(o.buf, 0, NULL);
    cr_assert(j, "%s: not JSON: %s", path, o.buf);
    return j;
}

/* The ids of a list's items, newest first, as "7,6,5". */
static void ids_of(json_t *list, char *out, size_t cap)
{
    out[0] = '\0';
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(list, "items"), i, it) {
        size_t l = strlen(out);
        snprintf(out + l, cap - l, "%s%lld", l ? "," : "", (long long)json_integer_value(json_object_get(it, "id")));
    }
}

/* The ids the list at path gives. */
static void list_ids(const char *path, char *out, size_t cap)
{
    json_t *j = get_json(path, officer);
    ids_of(j, out, cap);
    json_decref(j);
}

Test(inbox, the_classification_filter_keeps_voicemails_being_analysed) {
    long long id = post_to("4711", "2026-12-04T10:00:00Z", NULL);
    char ids[256], want[32];
    snprintf(want, sizeof want, "%lld", id);
    static const char *const kinds[] = {"possible_public_record", "ephemeral", "empty"};
    for (size_t k = 0; k < 3; k++) {
        char path[128];
        snprintf(path, sizeof path, "/v1/voicemails?classification=%s", kinds[k]);
        list_ids(path, ids, sizeof ids);
        cr_expect_str_eq(ids, want, "a queued voicemail is listed under %s", kinds[k]);
    }
}

Test(inbox, list_items_carry_the_call_back_deadline_and_call_back) {
    /* a Friday; the default profile owes a call-back within two working days */
    long long id = post_to("4711", "2026-12-04T10:00:00Z", NULL);
    json_t *j = get_json("/v1/voicemails", officer);
    json_t *it = json_array_get(json_object_get(j, "items"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(it, "callback_deadline")), "2026-12-08");
    cr_expect(json_is_null(json_object_get(it, "callback_at")), "not called back yet");
    cr_expect(json_object_get(it, "profile") == NULL, "the profile's name stays inside");
    json_decref(j);
    char path[64];
    snprintf(path, sizeof path, "/v1/voicemails/%lld/callback", id);
    sink o;
    cr_assert_eq(call("POST", path, pbx, "{}", &o), 200, "%s", o.buf);
    j = get_json("/v1/voicemails", officer);
    it = json_array_get(json_object_get(j, "items"), 0);
    const char *at = json_string_value(json_object_get(it, "callback_at"));
    cr_expect(at && strlen(at) == 20 && at[19] == 'Z', "called back at an RFC 3339 time: %s", at ? at : "null");
    json_decref(j);
}

/* 00:30 Swedish time is the day that begins then, on either side of a
 * change to or from summer time; the audit's dates too. */
Test(inbox, date_filters_are_local_days_across_dst) {
    long long a = post_to("4711", "2026-03-28T23:30:00Z", NULL); /* 00:30 CET, 29 March */
    long long b = post_to("4711", "2026-03-29T21:59:00Z", NULL); /* 23:59 CEST, 29 March */
    long long c = post_to("4711", "2026-03-29T22:30:00Z", NULL); /* 00:30 CEST, 30 March */
    long long d = post_to("4711", "2026-10-24T22:30:00Z", NULL); /* 00:30 CEST, 25 October */
    long long e = post_to("4711", "2026-10-25T22:59:00Z", NULL); /* 23:59 CET, 25 October (25 hours) */
    long long f = post_to("4711", "2026-10-25T23:30:00Z", NULL); /* 00:30 CET, 26 October */
    long long g = post_to("4711", "2026-12-05T23:30:00Z", NULL); /* 00:30 CET, 6 December */
    struct {
        const char *from, *to;
        long long want[3];
    } cases[] = {
        {"2026-03-28", "2026-03-28", {0}},     {"2026-03-29", "2026-03-29", {b, a}}, {"2026-03-30", "2026-03-30", {c}},
        {"2026-10-25", "2026-10-25", {e, d}}, {"2026-10-26", "2026-10-26", {f}},    {"2026-12-05", "2026-12-05", {0}},
        {"2026-12-06", "2026-12-06", {g}},    {"2026-03-30", "2026-10-25", {e, d, c}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[128], ids[256], want[64] = "";
        snprintf(path, sizeof path, "/v1/voicemails?from=%s&to=%s", cases[i].from, cases[i].to);
        for (int k = 0; k < 3 && cases[i].want[k]; k++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", k ? "," : "", cases[i].want[k]);
        list_ids(path, ids, sizeof ids);
        cr_expect_str_eq(ids, want, "%s", path);
    }
    /* an instant is still an instant (to excluded) */
    char ids[256], want[32];
    list_ids("/v1/voicemails?from=2026-12-05T23:30:00Z&to=2026-12-05T23:30:01%2B00:00", ids, sizeof ids);
    snprintf(want, sizeof want, "%lld", g);
    cr_expect_str_eq(ids, want);
    sink o;
    cr_expect_eq(call("GET", "/v1/voicemails?from=2026-02-30", officer, NULL, &o), 400, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/voicemails?to=6/12", officer, NULL, &o), 400, "%s", o.buf);
    /* the audit: today's rows under today's local date, none on a day long gone */
    char admin[80];
    token("admin", "it.admin", admin, sizeof admin);
    stop_server();
    start_server("0");
    cr_assert_eq(call("GET", "/v1/voicemails", officer, NULL, &o), 200);
    char today[11];
    time_t now = time(NULL) + 60; /* not on either side of midnight: the test's minute */
    struct tm tm;
    setenv("TZ", "Europe/Stockholm", 1);
    localtime_r(&now, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    char path[128];
    snprintf(path, sizeof path, "/v1/audit?from=%s&to=%s", today, today);
    json_t *j = get_json(path, admin);
    cr_expect(json_array_size(json_object_get(j, "items")) > 0, "today's rows under %s", today);
    json_decref(j);
    j = get_json("/v1/audit?from=2026-01-01&to=2026-01-01", admin);
    cr_expect_eq(json_array_size(json_object_get(j, "items")), 0);
    json_decref(j);
    cr_expect_eq(call("GET", "/v1/audit?from=yesterday", admin, NULL, &o), 400);
}

Test(inbox, the_inbox_pages_both_ways_with_a_total) {
    for (int i = 0; i < 7; i++) {
        char at[32];
        snprintf(at, sizeof at, "2026-11-2%dT09:00:00Z", i);
        post_to("4711", at, NULL);
    }
    struct {
        const char *path, *ids, *next, *prev;
    } pages[] = {
        {"/v1/voicemails?limit=3", "7,6,5", "5", NULL},
        {"/v1/voicemails?limit=3&after=5", "4,3,2", "2", "4"},
        {"/v1/voicemails?limit=3&after=2", "1", NULL, "1"},
        {"/v1/voicemails?limit=3&before=1", "4,3,2", "2", "4"},
        {"/v1/voicemails?limit=3&before=4", "7,6,5", "5", NULL},
        {"/v1/voicemails?limit=3&before=6", "7", "7", NULL},
    };
    for (size_t i = 0; i < sizeof pages / sizeof *pages; i++) {
        json_t *j = get_json(pages[i].path, officer);
        char ids[256];
        ids_of(j, ids, sizeof ids);
        cr_expect_str_eq(ids, pages[i].ids, "%s", pages[i].path);
        const char *next = json_string_value(json_object_get(j, "next")),
                   *prev = json_string_value(json_object_get(j, "prev"));
        cr_expect(pages[i].next ? next && !strcmp(next, pages[i].next) : json_is_null(json_object_get(j, "next")),
                  "%s: next %s", pages[i].path, next ? next : "null");
        cr_expect(pages[i].prev ? prev && !strcmp(prev, pages[i].prev) : json_is_null(json_object_get(j, "prev")),
                  "%s: prev %s", pages[i].path, prev ? prev : "null");
        cr_expect_eq(json_integer_value(json_object_get(j, "total")), 7, "%s: the total of every page", pages[i].path);
        json_decref(j);
    }
    json_t *j = get_json("/v1/voicemails?from=2026-11-25", officer);
    cr_expect_eq(json_integer_value(json_object_get(j, "total")), 2, "the total of what the filters match");
    json_decref(j);
    sink o;
    cr_expect_eq(call("GET", "/v1/voicemails?before=x", officer, NULL, &o), 400);
    cr_expect_eq(call("GET", "/v1/voicemails?before=3&after=5", officer, NULL, &o), 400);
}

Test(inbox, search_by_caller_number_and_mailbox_name) {
    long long a = post_to("4711", "2026-11-20T09:00:00Z", "+46701234567");
    long long b = post_to("4712", "2026-11-20T10:00:00Z", "0812345678");
    long long c = post_to("4712", "2026-11-20T11:00:00Z", NULL);
    char ab[64], ba[64], cb[64], one[32], two[32], all[96];
    snprintf(all, sizeof all, "%lld,%lld,%lld", c, b, a);
    snprintf(ab, sizeof ab, "%lld,%lld", b, a);
    snprintf(ba, sizeof ba, "%lld", a);
    snprintf(cb, sizeof cb, "%lld,%lld", c, b);
    snprintf(one, sizeof one, "%lld", b);
    snprintf(two, sizeof two, "%lld", a);
    struct {
        const char *path, *want;
    } cases[] = {
        {"/v1/voicemails?caller=0701234567", ba},   /* the national form finds +46 */
        {"/v1/voicemails?caller=%2B46701234567", two},
        {"/v1/voicemails?caller=12345", ab},        /* digits anywhere in the number */
        {"/v1/voicemails?caller=0812", one},
        {"/v1/voicemails?caller=0999", ""},
        {"/v1/voicemails?q=svens", ba},
        {"/v1/voicemails?q=anna%20svensson", ba},
        {"/v1/voicemails?q=%C3%85BERG", cb},        /* ÅBERG: case folded, Å too */
        {"/v1/voicemails?q=%C3%B6rjan", cb},        /* örjan */
        {"/v1/voicemails?q=4712", cb},
        {"/v1/voicemails?q=471", all},
        {"/v1/voicemails?q=bygglov", ""},           /* a name, not a unit */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char ids[256];
        list_ids(cases[i].path, ids, sizeof ids);
        cr_expect_str_eq(ids, cases[i].want, "%s", cases[i].path);
    }
    sink o;
    cr_expect_eq(call("GET", "/v1/voicemails?caller=abc", officer, NULL, &o), 400);
    cr_expect_eq(call("GET", "/v1/voicemails?caller=", officer, NULL, &o), 400);
    cr_expect_eq(call("GET", "/v1/voicemails?q=", officer, NULL, &o), 400);
}

/* "Nya": not listened to by anyone; who has listened, and when. */
Test(inbox, not_yet_listened_to_and_who_has_listened) {
    long long a = post_to("4711", "2026-11-20T09:00:00Z", NULL);
    long long b = post_to("4711", "2026-11-20T10:00:00Z", NULL);
    char ids[256], both[64], only_a[32], only_b[32];
    snprintf(both, sizeof both, "%lld,%lld", b, a);
    snprintf(only_a, sizeof only_a, "%lld", a);
    snprintf(only_b, sizeof only_b, "%lld", b);
    list_ids("/v1/voicemails?listened=false", ids, sizeof ids);
    cr_expect_str_eq(ids, both);
    char path[96];
    snprintf(path, sizeof path, "/v1/voicemails/%lld/audio", a);
    bin audio = {0};
    cr_assert_eq(get_bytes(path, officer, NULL, &audio), 200);
    free(audio.buf);
    audio = (bin){0};
    cr_assert_eq(get_bytes(path, officer, "0-99", &audio), 206);
    free(audio.buf);
    list_ids("/v1/voicemails?listened=false", ids, sizeof ids);
    cr_expect_str_eq(ids, only_b, "listened to once is not new");
    list_ids("/v1/voicemails?listened=true", ids, sizeof ids);
    cr_expect_str_eq(ids, only_a);
    json_t *j = get_json("/v1/voicemails", officer);
    json_t *items = json_object_get(j, "items");
    const char *first = json_string_value(json_object_get(json_array_get(items, 1), "listened_at"));
    char at[32];
    snprintf(at, sizeof at, "%s", first ? first : "null");
    cr_expect(strlen(at) == 20, "listened_at: %s", at);
    cr_expect(json_is_null(json_object_get(json_array_get(items, 0), "listened_at")));
    json_decref(j);
    snprintf(path, sizeof path, "/v1/voicemails/%lld", a);
    j = get_json(path, officer);
    json_t *l = json_object_get(j, "listens");
    cr_assert_eq(json_array_size(l), 1, "one person listened");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(l, 0), "name")), "registrator");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(l, 0), "at")), at);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(l, 0), "times")), 2);
    json_decref(j);
    snprintf(path, sizeof path, "/v1/voicemails/%lld", b);
    j = get_json(path, officer);
    cr_expect_eq(json_array_size(json_object_get(j, "listens")), 0, "nobody listened to b");
    json_decref(j);
    sink o;
    cr_expect_eq(call("GET", "/v1/voicemails?listened=maybe", officer, NULL, &o), 400);
}

/* The header Next-Cursor of GET path as tok (CSV), into out ("" when none). */
static size_t next_cursor_header(char *p, size_t sz, size_t n, void *u)
{
    char *out = u;
    if (sz * n > 13 && strncasecmp(p, "Next-Cursor: ", 13) == 0)
        snprintf(out, 32, "%.*s", (int)strcspn(p + 13, "\r\n"), p + 13);
    return sz * n;
}

static long get_csv(const char *path, const char *tok, sink *body, char next[32])
{
    CURL *c = curl_easy_init();
    char url[512], auth[128];
    snprintf(url, sizeof url, "%s%s", base, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    memset(body, 0, sizeof *body);
    next[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, next_cursor_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, next);
    long st = 0;
    cr_assert_eq(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return st;
}

/* The audit and its CSV page instead of stopping at 1000 rows. */
Test(inbox, the_audit_pages_in_json_and_csv) {
    char admin[80];
    token("admin", "it.admin", admin, sizeof admin);
    stop_server();
    start_server("0");
    for (int i = 0; i < 5; i++) post_to("4711", "2026-11-20T09:00:00Z", NULL);
    json_t *j = get_json("/v1/audit", admin);
    size_t all = json_array_size(json_object_get(j, "items"));
    cr_expect(json_is_null(json_object_get(j, "next")), "one page holds them all");
    json_decref(j);
    cr_assert(all >= 7, "mailboxes and voicemails audited: %zu", all);
    /* pages of two, by the cursor: every row once, newest first */
    size_t seen = 0, pages = 0;
    long long last = 0;
    char path[96] = "/v1/audit?limit=2";
    for (int page = 0; page < 20; page++) {
        j = get_json(path, admin);
        pages++;
        cr_expect_leq(json_array_size(json_object_get(j, "items")), 2, "a page of at most limit");
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(j, "items"), i, it) {
            long long id = json_integer_value(json_object_get(it, "id"));
            cr_expect(last == 0 || id < last, "newest first: %lld after %lld", id, last);
            last = id;
            seen++;
        }
        const char *next = json_string_value(json_object_get(j, "next"));
        if (next) snprintf(path, sizeof path, "/v1/audit?limit=2&after=%s", next);
        json_decref(j);
        if (!next) break;
    }
    cr_expect_eq(seen, all, "every row once across the pages");
    cr_expect_eq(pages, (all + 1) / 2, "pages of two");
    /* the CSV too: its cursor in Next-Cursor */
    sink body;
    char next[32];
    size_t lines = 0, csv_pages = 0;
    snprintf(path, sizeof path, "/v1/audit?format=csv&limit=3");
    for (int page = 0; page < 20; page++) {
        csv_pages++;
        cr_assert_eq(get_csv(path, admin, &body, next), 200, "%s", body.buf);
        for (const char *p = body.buf; (p = strstr(p, "\r\n")); p += 2) lines++;
        lines--; /* its header line */
        if (!next[0]) break;
        snprintf(path, sizeof path, "/v1/audit?format=csv&limit=3&after=%s", next);
    }
    cr_expect_eq(lines, all, "every row once across the CSV's pages");
    cr_expect_eq(csv_pages, (all + 2) / 3, "pages of three");
    sink o;
    cr_expect_eq(call("GET", "/v1/audit?limit=0", admin, NULL, &o), 400);
    cr_expect_eq(call("GET", "/v1/audit?limit=1001", admin, NULL, &o), 400);
    cr_expect_eq(call("GET", "/v1/audit?after=x", admin, NULL, &o), 400);
}

/* Handing a voicemail to a handläggare: a mail with its link through the
 * mail settings, audited; kept for the next sweep when the server is down. */
Test(inbox, a_voicemail_is_handed_over_by_mail) {
    sink o;
    long long id = post_to("4711", "2026-12-05T23:30:00Z", "+46701234567");
    char path[96];
    snprintf(path, sizeof path, "/v1/voicemails/%lld/handover", id);
    const char *body = "{\"to\":\"handlaggare@kommun.se\",\"note\":\"Ring tillbaka i dag.\"}";
    cr_expect_eq(call("POST", path, officer, body, &o), 500, "no mail server set: %s", o.buf);
    cr_expect(strstr(o.buf, "mail_smtp_url") != NULL, "%s", o.buf);
    /* the request and the voicemail are judged first */
    cr_expect_eq(call("POST", path, officer, "{\"to\":\"not an address\"}", &o), 422, "%s", o.buf);
    cr_expect_eq(call("POST", "/v1/voicemails/999/handover", officer, body, &o), 404, "%s", o.buf);
    int port = free_port();
    mail_server_start(port);
    char smtp[64];
    snprintf(smtp, sizeof smtp, "mail_smtp_url=smtp://127.0.0.1:%d", port);
    server_set2 = smtp;
    stop_server();
    start_server("0");
    cr_expect_eq(call("POST", path, pbx, body, &o), 403);
    cr_expect_eq(call("POST", path, officer, "{\"to\":\"not an address\"}", &o), 422, "%s", o.buf);
    cr_expect_eq(call("POST", path, officer, "{\"note\":\"x\"}", &o), 400, "%s", o.buf);
    cr_expect_eq(call("POST", path, officer, "{\"to\":\"a@kommun.se\",\"to\":\"b@kommun.se\"}", &o), 400, "%s", o.buf);
    cr_expect(strstr(o.buf, "body is not JSON: duplicate object key") != NULL, "said why: %s", o.buf);
    cr_expect_eq(call("POST", path, officer, "{\"to\":\"a@kommun.se\",\"cc\":\"b@kommun.se\"}", &o), 400, "%s", o.buf);
    cr_expect_eq(call("POST", path, officer, "{\"to\":\"a@kommun.se\",\"note\":\"a\\u0007b\"}", &o), 400, "%s", o.buf);
    cr_expect_eq(call("POST", path, officer, "{\"to\":\"a@kommun.se\",\"note\":\"a\\u007fb\"}", &o), 400, "%s", o.buf);
    cr_expect_eq(call("POST", path, officer, "{\"to\":\"a@kommun.se\",\"note\":\"a\\u0085b\"}", &o), 400, "C1: %s", o.buf);
    cr_expect_eq(call("POST", "/v1/voicemails/999/handover", officer, body, &o), 404, "%s", o.buf);
    cr_assert_eq(mail_server_mails(&o), 0, "nothing sent for bad requests: %s", o.buf);
    cr_assert_eq(call("POST", path, officer, body, &o), 201, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"sent\":true") != NULL, "%s", o.buf);
    cr_assert_eq(mail_server_mails(&o), 1, "%s", o.buf);
    char link[96];
    snprintf(link, sizeof link, "/#/rostmeddelande/%lld", id);
    cr_expect(strstr(o.buf, "RCPT=handlaggare@kommun.se|") != NULL, "%s", o.buf);
    cr_expect(strstr(o.buf, link) != NULL, "the voicemail's link: %s", o.buf);
    cr_expect(strstr(o.buf, "Ring tillbaka i dag.") != NULL, "the note: %s", o.buf);
    cr_expect(strstr(o.buf, "2026-12-06 00:30") != NULL, "received, Swedish time: %s", o.buf);
    cr_expect(strstr(o.buf, "+46701234567") != NULL, "the caller: %s", o.buf);
    cr_expect(strstr(o.buf, "registrator") != NULL, "who hands it over: %s", o.buf);
    char admin[80];
    token("admin", "it.admin", admin, sizeof admin);
    mail_server_stop();
    stop_server();
    start_server("0");
    /* the mail server is down: kept, said so */
    cr_assert_eq(call("POST", path, officer, "{\"to\":\"annan@kommun.se\"}", &o), 201, "%s", o.buf);
    cr_expect(strstr(o.buf, "\"sent\":false") != NULL, "%s", o.buf);
    snprintf(path, sizeof path, "/v1/audit?voicemail=%lld", id);
    json_t *j = get_json(path, admin);
    int handed = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(j, "items"), i, it) {
        if (strcmp(json_string_value(json_object_get(it, "action")), "voicemail_handed_over") != 0) continue;
        handed++;
        cr_expect_str_eq(json_string_value(json_object_get(it, "actor")), "registrator");
    }
    cr_expect_eq(handed, 2, "each hand-over audited");
    json_decref(j);
    server_set2 = NULL;
}

/* Hand-overs of one voicemail in one second, the mail server down: each
 * mail is kept, and the next sweep sends every one of them. */
Test(inbox, hand_overs_in_one_second_keep_each_mail) {
    sink o;
    long long id = post_to("4711", "2026-12-05T23:30:00Z", "+46701234567");
    int port = free_port(); /* nothing listens there yet */
    char smtp[64];
    snprintf(smtp, sizeof smtp, "mail_smtp_url=smtp://127.0.0.1:%d", port);
    server_set2 = smtp;
    stop_server();
    start_server("0");
    char path[96];
    snprintf(path, sizeof path, "/v1/voicemails/%lld/handover", id);
    int n = 0, together = 0;
    for (int round = 0; round < 5 && !together; round++) {
        char at[3][32];
        for (int k = 0; k < 3; k++, n++) {
            char body[96];
            snprintf(body, sizeof body, "{\"to\":\"h%d@kommun.se\"}", n);
            cr_assert_eq(call("POST", path, officer, body, &o), 201, "%s", o.buf);
            cr_expect(strstr(o.buf, "\"sent\":false") != NULL, "%s", o.buf);
            const char *t = strstr(o.buf, "\"handed_over_at\":\"");
            cr_assert(t, "%s", o.buf);
            snprintf(at[k], sizeof at[k], "%.20s", t + 18);
        }
        together = !strcmp(at[0], at[1]) && !strcmp(at[1], at[2]);
    }
    cr_assert(together, "three hand-overs within one second");
    mail_server_start(port);
    cr_expect_eq(sweep_mail_to(port, "2026-12-07", &o), 0, "%s", o.buf);
    cr_assert_eq(mail_server_mails(&o), n, "every hand-over's mail: %s", o.buf);
    for (int k = 0; k < n; k++) {
        char rcpt[48];
        snprintf(rcpt, sizeof rcpt, "RCPT=h%d@kommun.se|", k);
        cr_expect(strstr(o.buf, rcpt) != NULL, "%s: %s", rcpt, o.buf);
    }
    mail_server_stop();
    server_set2 = NULL;
}
