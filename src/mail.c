/* The nightly report by e-mail (mail.h): the text here, the MIME message
 * by GMime, SMTP by libcurl. */
#include "rostvakt/mail.h"

#include <curl/curl.h>
#include <errno.h>
#include <gmime/gmime.h>
#include <jansson.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rostvakt/archive.h"
#include "rostvakt/calendar.h"
#include "rostvakt/fileio.h"
#include "rostvakt/store.h"
#include "rostvakt/strbuf.h"
#include "rostvakt/sweep.h"

int rv_mail_address_valid(const char *a)
{
    size_t n = a ? strlen(a) : 0;
    const char *at = n ? strchr(a, '@') : NULL;
    if (!at || at == a || !at[1] || strchr(at + 1, '@') || n > 254) return 0;
    for (const char *p = a; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr("<>,;:\"()[]\\", *p)) return 0;
    return 1;
}

/* ---- the report's items ---- */


/* GMime is set up once a process and never taken down: a second
 * g_mime_init() after g_mime_shutdown() leaves its tables unmade (a
 * GLib-CRITICAL and a leak), and the service mails many times. */
static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;
static void gmime_start(void) { g_mime_init(); }
static void gmime_ready(void) { pthread_once(&gmime_once, gmime_start); }

static const char *const act_lists[] = {"missing_greetings", "noncompliant_greetings", "stale_absence",
                                        "needs_review", "overdue_callbacks"};
#define N_LISTS (sizeof act_lists / sizeof act_lists[0])

/* A subject as one log line shows it: control characters (a unit or an
 * organisation may be named with a line break) as spaces, so that no name
 * can begin a line of its own in the log. */
static const char *log_text(const char *t, char *out, size_t cap)
{
    size_t i = 0;
    for (; t && t[i] && i + 1 < cap; i++) out[i] = (unsigned char)t[i] < 0x20 || t[i] == 0x7f ? ' ' : t[i];
    out[i] = '\0';
    return out;
}

static const char *str(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

/* One item as a line of Swedish: "4711 Anna Svensson: ingen hälsningsfras". */
static void item_line(json_t *it, char *out, size_t cap)
{
    char detail[400] = "";
    json_t *arr = json_object_get(it, "violations");
    if (!json_array_size(arr)) arr = json_object_get(it, "unsure");
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        size_t l = strlen(detail);
        snprintf(detail + l, sizeof detail - l, "%s%s", l ? ", " : "", rv_sweep_reason_sv(json_string_value(v)));
    }
    if (!detail[0] && *str(it, "reason")) snprintf(detail, sizeof detail, "%s", rv_sweep_reason_sv(str(it, "reason")));
    if (!detail[0] && *str(it, "until")) snprintf(detail, sizeof detail, "frånvaro till %s", str(it, "until"));
    if (json_object_get(it, "id")) {
        char vm[200];
        /* the local time of its organisation's zone (a report of an older
         * version has only the instant) */
        const char *at = *str(it, "received_local") ? str(it, "received_local") : str(it, "received_at");
        snprintf(vm, sizeof vm, "röstmeddelande %lld mottaget %.16s%s%s", (long long)json_integer_value(json_object_get(it, "id")),
                 at, *str(it, "caller") ? " från " : "", str(it, "caller"));
        size_t l = strlen(detail);
        snprintf(detail + l, sizeof detail - l, "%s%s", l ? ", " : "", vm);
    }
    snprintf(out, cap, "%s %s%s%s", str(it, "ext"), str(it, "name"), detail[0] ? ": " : "", detail);
}

/* ---- a message, by GMime ---- */

/* A text part: UTF-8 as given, in base64, its line breaks CRLF (the
 * canonical form of text). NULL when out of memory. */
static GMimePart *text_part(const char *subtype, const char *body)
{
    size_t n = strlen(body), k = 0;
    char *crlf = malloc(2 * n + 1);
    if (!crlf) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) crlf[k++] = '\r';
        crlf[k++] = body[i];
    }
    GMimeStream *st = g_mime_stream_mem_new_with_buffer(crlf, k);
    free(crlf);
    GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(st, GMIME_CONTENT_ENCODING_DEFAULT);
    g_object_unref(st);
    GMimePart *part = g_mime_part_new_with_type("text", subtype);
    g_mime_part_set_content(part, w);
    g_object_unref(w);
    g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "UTF-8");
    g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
    return part;
}

/* A whole message: headers (the subject RFC 2047-encoded), a text and an
 * HTML part as multipart/alternative, CRLF line ends. New string (free),
 * or NULL when out of memory. */
static char *compose(const char *from, const char *to, const char *subject, const char *text, const char *html,
                     size_t *len)
{
    char uuid[37], id[64];
    rv_uuid4(uuid);
    snprintf(id, sizeof id, "%s@rostvakt", uuid);
    GMimeMessage *m = g_mime_message_new(TRUE);
    g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, "rostvakt", from);
    InternetAddressList *rcpt = g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_TO);
    for (const char *p = to; *p;) { /* "a@x,b@y": each address checked by rv_mail_address_valid */
        size_t k = strcspn(p, ",");
        char one[300];
        snprintf(one, sizeof one, "%.*s", (int)(k < 299 ? k : 299), p);
        internet_address_list_add(rcpt, internet_address_mailbox_new(NULL, one));
        p += k + (p[k] == ',');
    }
    g_mime_message_set_subject(m, subject, "UTF-8");
    GDateTime *now = g_date_time_new_now_utc();
    g_mime_message_set_date(m, now);
    g_date_time_unref(now);
    g_mime_message_set_message_id(m, id);
    g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted", "auto-generated", NULL);
    GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
    GMimePart *parts[2] = {text_part("plain", text), text_part("html", html)};
    int oom = !parts[0] || !parts[1];
    for (int i = 0; i < 2; i++)
        if (parts[i]) {
            g_mime_multipart_add(alt, GMIME_OBJECT(parts[i]));
            g_object_unref(parts[i]);
        }
    g_mime_message_set_mime_part(m, GMIME_OBJECT(alt));
    g_object_unref(alt);
    GMimeFormatOptions *fo = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
    char *g = g_mime_object_to_string(GMIME_OBJECT(m), fo);
    g_mime_format_options_free(fo);
    g_object_unref(m);
    char *out = g && !oom ? strdup(g) : NULL;
    g_free(g);
    if (out) *len = strlen(out);
    return out;
}

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"sv\"><head><meta charset=\"utf-8\"><title>rostvakt</title></head>\n"
    "<body style=\"font-family:sans-serif;max-width:50em\">\n";

/* Each item of the lists a unit's mail has gets its unit's rv_unit_key as
 * " key" (in this copy of the report only), so that items and units match
 * whatever the case of the letters either is written in. 0, or -1 when
 * out of memory. */
static int key_items(json_t *report)
{
    for (size_t l = 0; l < N_LISTS; l++) {
        json_t *arr = json_object_get(report, act_lists[l]), *it;
        size_t i;
        json_array_foreach(arr, i, it)
        {
            char *k = rv_unit_key(str(it, "unit"));
            int bad = !k || json_object_set_new(it, " key", json_string(k)) != 0;
            free(k);
            if (bad) return -1;
        }
    }
    return 0;
}

/* Whether item is of unit key of organisation org ("": of every one);
 * whose maps each mailbox (ext) to its organisation. */
static int of_unit(json_t *item, const char *key, const char *org, json_t *whose)
{
    return strcmp(str(item, " key"), key) == 0 && (!*org || strcmp(str(whose, str(item, "ext")), org) == 0);
}

/* A unit's part of the report (of org's mailboxes; "": of every
 * organisation's): how many things to act on; text and html; -1 when out
 * of memory. */
static long unit_part(json_t *report, const char *org, json_t *whose, const char *unit, rv_strbuf *text,
                      rv_strbuf *html)
{
    long total = 0;
    char *key = rv_unit_key(unit);
    if (!key) return -1;
    const char *date = str(report, "date");
    rv_strbuf_put(text, "Hej!\n\nNattens kontroll av röstbrevlådorna i %s den %s:\n", unit, date);
    rv_strbuf_put(html, "%s<p>Hej!</p>\n<p>Nattens kontroll av röstbrevlådorna i <strong>", html_head);
    rv_strbuf_put_xml(html, unit);
    rv_strbuf_put(html, "</strong> den %s:</p>\n", date);
    for (size_t l = 0; l < N_LISTS; l++) {
        json_t *arr = json_object_get(report, act_lists[l]), *it;
        size_t i, n = 0;
        json_array_foreach(arr, i, it) if (of_unit(it, key, org, whose)) n++;
        if (!n) continue;
        total += (long)n;
        const char *title = act_lists[l], *action = "";
        rv_sweep_list_text(act_lists[l], &title, &action);
        rv_strbuf_put(text, "\n%s (%zu)\n%s\n", title, n, action);
        rv_strbuf_put(html, "<h2>");
        rv_strbuf_put_xml(html, title);
        rv_strbuf_put(html, " (%zu)</h2>\n<p>", n);
        rv_strbuf_put_xml(html, action);
        rv_strbuf_put(html, "</p>\n<ul>\n");
        json_array_foreach(arr, i, it)
        {
            if (!of_unit(it, key, org, whose)) continue;
            char line[800];
            item_line(it, line, sizeof line);
            rv_strbuf_put(text, "  - %s\n", line);
            rv_strbuf_put(html, "<li>");
            rv_strbuf_put_xml(html, line);
            rv_strbuf_put(html, "</li>\n");
        }
        rv_strbuf_put(html, "</ul>\n");
    }
    if (!total) {
        rv_strbuf_put(text, "\nInget att åtgärda.\n");
        rv_strbuf_put(html, "<p>Inget att åtgärda.</p>\n");
    }
    rv_strbuf_put(text, "\nHälsningar\nrostvakt\n");
    rv_strbuf_put(html, "<p>Hälsningar<br>rostvakt</p>\n</body></html>\n");
    free(key);
    return total;
}

/* The officers' summary: every list's count, overall and by unit. */
static void summary(json_t *report, rv_strbuf *text, rv_strbuf *html, long *total)
{
    const char *date = str(report, "date");
    *total = 0;
    rv_strbuf_put(text, "Hej!\n\nSammanfattning av nattens kontroll den %s (%lld brevlådor):\n\n", date,
        (long long)json_integer_value(json_object_get(report, "mailboxes")));
    rv_strbuf_put(html, "%s<p>Hej!</p>\n<p>Sammanfattning av nattens kontroll den %s (%lld brevlådor):</p>\n<table>\n", html_head,
        date, (long long)json_integer_value(json_object_get(report, "mailboxes")));
    static const char *const all[] = {"missing_greetings", "noncompliant_greetings", "stale_absence", "needs_review",
                                      "overdue_callbacks", "disposed"};
    for (size_t l = 0; l < 6; l++) {
        const char *title = all[l], *action = "";
        rv_sweep_list_text(all[l], &title, &action);
        size_t n = json_array_size(json_object_get(report, all[l]));
        if (l < 5) *total += (long)n;
        rv_strbuf_put(text, "  %-55s %zu\n", title, n);
        rv_strbuf_put(html, "<tr><td>");
        rv_strbuf_put_xml(html, title);
        rv_strbuf_put(html, "</td><td style=\"text-align:right\">%zu</td></tr>\n", n);
    }
    rv_strbuf_put(html, "</table>\n");
    json_t *arr = json_object_get(report, "overdue_callbacks"), *it;
    size_t i;
    if (json_array_size(arr)) {
        rv_strbuf_put(text, "\nRöstmeddelanden som inte har besvarats i tid:\n");
        rv_strbuf_put(html, "<h2>Röstmeddelanden som inte har besvarats i tid</h2>\n<ul>\n");
        json_array_foreach(arr, i, it)
        {
            char line[800];
            item_line(it, line, sizeof line);
            rv_strbuf_put(text, "  - %s (%s)\n", line, str(it, "unit"));
            rv_strbuf_put(html, "<li>");
            rv_strbuf_put_xml(html, line);
            rv_strbuf_put(html, " (");
            rv_strbuf_put_xml(html, str(it, "unit"));
            rv_strbuf_put(html, ")</li>\n");
        }
        rv_strbuf_put(html, "</ul>\n");
    }
    rv_strbuf_put(text, "\nHälsningar\nrostvakt\n");
    rv_strbuf_put(html, "<p>Hälsningar<br>rostvakt</p>\n</body></html>\n");
}

/* ---- sending ---- */

typedef struct {
    const char *p;
    size_t left;
} reader;

static size_t read_cb(char *out, size_t sz, size_t n, void *u)
{
    reader *r = u;
    size_t k = sz * n < r->left ? sz * n : r->left;
    memcpy(out, r->p, k);
    r->p += k;
    r->left -= k;
    return k;
}

static int loopback(const char *url)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    return strncmp(h, "127.", 4) == 0 || strncmp(h, "localhost", 9) == 0 || strncmp(h, "[::1]", 5) == 0;
}

/* Send message to recipients (comma-separated): NULL, or why not (in why). */
static const char *send_one(const rv_config *cfg, const char *recipients, const char *message, size_t len,
                            char *why, size_t cap)
{
    const char *url = cfg->mail_smtp_url;
    if (strncmp(url, "smtp://", 7) != 0 && strncmp(url, "smtps://", 8) != 0) {
        snprintf(why, cap, "mail_smtp_url must be smtp://HOST:PORT or smtps://HOST:PORT");
        return why;
    }
    /* the file's two lines, "user\npassword", cut into the user (auth) and pass */
    char auth[512] = "";
    const char *pass = "";
    if (cfg->mail_auth_file[0]) {
        rv_error e;
        if (rv_secret_read(cfg->mail_auth_file, "mail_auth_file", 2, auth, sizeof auth, &e) != RV_OK) {
            snprintf(why, cap, "%s%s", e.msg,
                     strstr(e.msg, "Permission denied") ? " (it must belong to the user the sweep runs as, rostvakt for"
                                                          " the installed timer, with mode 0600)"
                                                        : "");
            return why;
        }
        char *nl = strchr(auth, '\n');
        *nl = '\0';
        pass = nl + 1;
    }
    CURL *c = curl_easy_init();
    if (!c) {
        explicit_bzero(auth, sizeof auth);
        snprintf(why, cap, "out of memory");
        return why;
    }
    char from[300], err[CURL_ERROR_SIZE] = "";
    snprintf(from, sizeof from, "<%.260s>", cfg->mail_from);
    struct curl_slist *rcpt = NULL;
    for (const char *p = recipients; *p;) {
        size_t k = strcspn(p, ",");
        char one[300];
        snprintf(one, sizeof one, "<%.*s>", (int)(k < 290 ? k : 290), p);
        rcpt = curl_slist_append(rcpt, one);
        p += k + (p[k] == ',');
    }
    reader r = {message, len};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &r);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    /* a password or a report in clear only to this machine: STARTTLS elsewhere */
    if (strncmp(url, "smtp://", 7) == 0)
        curl_easy_setopt(c, CURLOPT_USE_SSL, loopback(url) ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_ALL);
    if (cfg->mail_ca_file[0]) curl_easy_setopt(c, CURLOPT_CAINFO, cfg->mail_ca_file);
    if (auth[0]) {
        curl_easy_setopt(c, CURLOPT_USERNAME, auth);
        curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    explicit_bzero(auth, sizeof auth);
    if (rc == CURLE_OK) return NULL;
    snprintf(why, cap, "%s", err[0] ? err : curl_easy_strerror(rc));
    return why;
}

/* ---- the whole ---- */

typedef struct {
    char *org, *name, *managers;
} unit_row;

typedef struct {
    unit_row *u;
    size_t n, cap;
    int oom;
} units;

static void one_unit(void *user, const char *org, const char *name, const char *managers)
{
    units *us = user;
    if (!managers || !*managers) return;
    if (us->n == us->cap) {
        size_t cap = us->cap ? us->cap * 2 : 16;
        unit_row *nu = realloc(us->u, cap * sizeof *nu);
        if (!nu) {
            us->oom = 1;
            return;
        }
        us->u = nu;
        us->cap = cap;
    }
    us->u[us->n].org = strdup(org);
    us->u[us->n].name = strdup(name);
    us->u[us->n].managers = strdup(managers);
    if (!us->u[us->n].org || !us->u[us->n].name || !us->u[us->n].managers) {
        free(us->u[us->n].org);
        free(us->u[us->n].name);
        free(us->u[us->n].managers);
        us->oom = 1;
        return;
    }
    us->n++;
}

/* The name of a dry run's file for a mail of kind ("unit", "officers"),
 * the organisation org ("" none) and the unit name (NULL none): the parts
 * joined by '_', the name's letters and digits (å, ä and ö too) and '-'
 * kept as they are, any other character as '_'; where one was replaced,
 * or the name cut at DRY_NAME_MAX bytes (a file name holds 255), the hash
 * of the whole name after it, so that two names do not share a file. */
#define DRY_NAME_MAX 150
static void dry_file(char *out, size_t cap, const char *kind, const char *org, const char *name)
{
    size_t k = (size_t)snprintf(out, cap, "%s%s%s", kind, org[0] ? "_" : "", org);
    if (!name || k + DRY_NAME_MAX + 19 > cap) return;
    unsigned long long h = 14695981039346656037ull; /* FNV-1a, 64 bits */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) h = (h ^ *p) * 1099511628211ull;
    int changed = 0;
    size_t used = 0;
    out[k++] = '_';
    for (const char *p = name; *p;) {
        gunichar c = g_utf8_get_char_validated(p, -1);
        int valid = c != (gunichar)-1 && c != (gunichar)-2;
        size_t len = valid ? (size_t)(g_utf8_next_char(p) - p) : 1;
        int keep = valid && (c == '-' || (c < 0x80 ? g_ascii_isalnum((gchar)c) : g_unichar_isalnum(c)));
        size_t w = keep ? len : 1;
        changed |= !keep;
        if (used + w > DRY_NAME_MAX) {
            changed = 1;
            break;
        }
        if (keep) memcpy(out + k, p, len);
        else out[k] = '_';
        k += w;
        used += w;
        p += len;
    }
    if (changed) k += (size_t)snprintf(out + k, cap - k, "_%016llx", h);
    out[k] = '\0';
}

/* Keep (or, dry, write) one message. */
static rv_err enqueue(rv_store *s, const char *from, const char *date, const char *key, const char *file,
                      const char *to, const char *subject, rv_strbuf *text, rv_strbuf *html, const char *dry_dir, FILE *log,
                      rv_mail_counts *c, rv_error *err)
{
    if (text->oom || html->oom) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    size_t len = 0;
    char *msg = compose(from, to, subject, text->s ? text->s : "", html->s ? html->s : "", &len);
    if (!msg) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    rv_err rc = RV_OK;
    if (dry_dir) {
        char path[4096];
        snprintf(path, sizeof path, "%.3000s/%s-%s.eml", dry_dir, date, file);
        FILE *f = fopen(path, "wb");
        int ok = f && fwrite(msg, 1, len, f) == len;
        int saved = errno;
        if (f && fclose(f) != 0 && ok) {
            ok = 0;
            saved = errno;
        }
        if (!ok) {
            if (f) unlink(path); /* no half a mail left to be taken for one */
            rc = rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", path, strerror(saved ? saved : EIO));
        } else {
            char shown[1024];
            fprintf(log, "rostvakt sweep: mail: %s (to %s) written to %s\n", log_text(subject, shown, sizeof shown),
                    to, path);
            c->composed++;
        }
    } else {
        char now[32];
        rv_utc_now(now);
        int added = 0;
        rc = rv_store_outbox_add(s, date, key, to, subject, msg, len, now, &added, err);
        if (rc == RV_OK && added) c->composed++;
    }
    free(msg);
    return rc;
}

/* The address organisation id's mail comes from: its own, else fallback. */
static const char *from_of(const rv_org *orgs, size_t n, const char *id, const char *fallback)
{
    for (size_t k = 0; id && *id && k < n; k++)
        if (strcmp(orgs[k].id, id) == 0 && orgs[k].mail_from[0]) return orgs[k].mail_from;
    return fallback;
}

/* The mailbox ext's organisation, into the map (ext -> id). */
static void one_mailbox(void *user, const char *ext, const char *org) { json_object_set_new(user, ext, json_string(org)); }

/* Each organisation's officers get the summary of its own mailboxes alone,
 * from its own address (mail_from when it has none). */
static rv_err org_summaries(rv_store *s, const rv_config *cfg, json_t *r, json_t *whose, const char *dry_dir,
                            FILE *log, rv_mail_counts *c, rv_error *err)
{
    rv_org *orgs = NULL;
    size_t n = 0;
    rv_err rc = rv_store_list_orgs(s, NULL, &orgs, &n, err);
    static const char *const all[] = {"missing_greetings", "noncompliant_greetings", "stale_absence", "needs_review",
                                      "overdue_callbacks", "disposed"};
    const char *date = str(r, "date");
    for (size_t k = 0; rc == RV_OK && k < n; k++) {
        const rv_org *o = &orgs[k];
        if (!o->officers[0]) continue;
        json_t *own = json_deep_copy(r);
        if (!own) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); break; }
        for (size_t l = 0; l < sizeof all / sizeof *all; l++) {
            json_t *arr = json_object_get(own, all[l]);
            for (size_t i = json_array_size(arr); i-- > 0;)
                if (strcmp(str(whose, str(json_array_get(arr, i), "ext")), o->id) != 0) json_array_remove(arr, i);
        }
        long mailboxes = 0;
        const char *ext;
        json_t *v;
        json_object_foreach(whose, ext, v) mailboxes += strcmp(json_string_value(v), o->id) == 0;
        json_object_set_new(own, "mailboxes", json_integer(mailboxes));
        rv_strbuf text = {0}, html = {0};
        long total;
        summary(own, &text, &html, &total);
        char subject[400], key[64], file[64];
        snprintf(subject, sizeof subject, "Röstbrevlådor %s %s: sammanfattning, %ld att åtgärda", o->name, date, total);
        snprintf(key, sizeof key, "officers:%s", o->id);
        file[0] = '\0';
        if (dry_dir) dry_file(file, sizeof file, "officers", o->id, NULL);
        rc = enqueue(s, o->mail_from[0] ? o->mail_from : cfg->mail_from, date, key, file, o->officers, subject, &text,
                     &html, dry_dir, log, c, err);
        free(text.s);
        free(html.s);
        json_decref(own);
    }
    free(orgs);
    return rc;
}

rv_err rv_mail_report(rv_store *s, const rv_config *cfg, const char *report, const char *dry_dir, FILE *log,
                      rv_mail_counts *c, rv_error *err)
{
    memset(c, 0, sizeof *c);
    if (!dry_dir && !cfg->mail_smtp_url[0]) {
        fprintf(log, "rostvakt sweep: mail: mail_smtp_url is not set; no mail sent\n");
        return RV_OK;
    }
    if (!rv_mail_address_valid(cfg->mail_from))
        return rv_error_set(err, RV_ERR_CONFIG, "mail_from '%s' is not an e-mail address", cfg->mail_from);
    json_error_t je;
    json_t *r = json_loads(report, 0, &je);
    if (!json_is_object(r) || !json_is_string(json_object_get(r, "date"))) {
        json_decref(r);
        return rv_error_set(err, RV_ERR_INTERNAL, "the sweep's report cannot be read: %s", je.text);
    }
    const char *date = str(r, "date");
    units us = {0};
    gmime_ready();
    json_t *whose = json_object(); /* each mailbox's organisation */
    rv_org *orgs = NULL;           /* for their own addresses */
    size_t n_orgs = 0;
    rv_err rc = whose ? rv_store_units(s, one_unit, &us, err) : rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    if (rc == RV_OK) rc = rv_store_mailbox_orgs(s, one_mailbox, whose, err);
    if (rc == RV_OK) rc = rv_store_list_orgs(s, NULL, &orgs, &n_orgs, err);
    if (rc == RV_OK && (us.oom || key_items(r) != 0)) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == RV_OK && i < us.n; i++) {
        rv_strbuf text = {0}, html = {0};
        long n = unit_part(r, us.u[i].org, whose, us.u[i].name, &text, &html);
        if (n < 0) {
            rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        } else if (n == 0 && !cfg->mail_when_nothing) {
            c->skipped++;
        } else {
            char subject[400], key[1024], file[1024];
            if (n) snprintf(subject, sizeof subject, "Röstbrevlådor %s %s: %ld att åtgärda", us.u[i].name, date, n);
            else snprintf(subject, sizeof subject, "Röstbrevlådor %s %s: inget att åtgärda", us.u[i].name, date);
            /* by the organisation (whose id has no ':') and the unit's key,
             * so that an organisation's unit is kept apart from another's of
             * the same name and a unit spelled otherwise in a second run of
             * the date is the mail already kept, not a second one */
            char *uk = rv_unit_key(us.u[i].name);
            if (!uk) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
            else snprintf(key, sizeof key, "unit@%s:%s", us.u[i].org, uk);
            free(uk);
            file[0] = '\0';
            if (dry_dir) dry_file(file, sizeof file, "unit", us.u[i].org, us.u[i].name);
            /* from the unit's organisation's own address when it has one */
            if (rc == RV_OK)
                rc = enqueue(s, from_of(orgs, n_orgs, us.u[i].org, cfg->mail_from), date, key, file, us.u[i].managers,
                             subject, &text, &html, dry_dir, log, c, err);
        }
        free(text.s);
        free(html.s);
    }
    if (rc == RV_OK && cfg->mail_officers[0]) {
        rv_strbuf text = {0}, html = {0};
        long total;
        summary(r, &text, &html, &total);
        char subject[300], to[RV_CONFIG_STR_MAX];
        snprintf(subject, sizeof subject, "Röstbrevlådor %s: sammanfattning, %ld att åtgärda", date, total);
        /* "a@x, b@y" as the header and the envelope want it: no spaces */
        size_t k = 0;
        for (const char *p = cfg->mail_officers; *p && k + 1 < sizeof to; p++)
            if (*p != ' ') to[k++] = *p;
        to[k] = '\0';
        /* the whole installation's: from the one organisation's address when
         * it serves only one, else the installation's */
        rc = enqueue(s, n_orgs == 1 ? from_of(orgs, n_orgs, orgs[0].id, cfg->mail_from) : cfg->mail_from, date,
                     "officers", "officers", to, subject, &text, &html, dry_dir, log, c, err);
        free(text.s);
        free(html.s);
    }
    if (rc == RV_OK) rc = org_summaries(s, cfg, r, whose, dry_dir, log, c, err);
    json_decref(whose);
    free(orgs);
    for (size_t i = 0; i < us.n; i++) {
        free(us.u[i].org);
        free(us.u[i].name);
        free(us.u[i].managers);
    }
    free(us.u);
    json_decref(r);
    if (rc != RV_OK || dry_dir) return rc;

    /* send what waits, this report's and any an earlier sweep could not */
    rv_outbox_mail *m = NULL;
    size_t n = 0;
    rc = rv_store_outbox_unsent(s, &m, &n, err);
    for (size_t i = 0; rc == RV_OK && i < n; i++) {
        char why[512], now[32], shown[1024];
        const char *bad = send_one(cfg, m[i].recipients, m[i].message, m[i].len, why, sizeof why);
        log_text(m[i].subject, shown, sizeof shown);
        rv_utc_now(now);
        if (bad) {
            c->failed++;
            fprintf(log, "rostvakt sweep: mail: \"%s\" to %s not sent (try %d): %s; tried again at the next sweep\n",
                    shown, m[i].recipients, m[i].tries + 1, bad);
        } else {
            c->sent++;
            fprintf(log, "rostvakt sweep: mail: \"%s\" sent to %s\n", shown, m[i].recipients);
        }
        rc = rv_store_outbox_result(s, m[i].id, bad, now, err);
    }
    rv_outbox_free(m, n);
    c->pending = rv_store_outbox_pending(s);
    if (c->pending < 0) { /* not a count of -1 said as one */
        c->pending = 0;
        if (rc == RV_OK) rc = rv_error_set(err, RV_ERR_IO, "cannot count the mails still waiting");
    }
    return rc;
}

/* ---- a voicemail handed over ---- */

rv_err rv_mail_handover(const rv_config *cfg, const rv_handover_mail *h, char **out, size_t *len, char *subject,
                        size_t subject_cap, rv_error *err)
{
    *out = NULL;
    *len = 0;
    const char *from = h->from && *h->from ? h->from : cfg->mail_from; /* the organisation's own first */
    if (!rv_mail_address_valid(from))
        return rv_error_set(err, RV_ERR_CONFIG, "mail_from '%s' is not an e-mail address", from);
    const char *caller = h->caller && *h->caller ? h->caller : "okänt nummer";
    snprintf(subject, subject_cap, "Röstmeddelande till dig från %s, mottaget %s", caller, h->received_local);
    rv_strbuf text = {0}, html = {0};
    rv_strbuf_put(&text, "Hej!\n\n%s lämnar över ett röstmeddelande till dig.\n\n", h->from_name);
    rv_strbuf_put(&text, "Lämnat i: %s, %s (ankn. %s)\nMottaget: %s\nFrån: %s\n", h->owner, h->unit, h->ext,
                  h->received_local, caller);
    if (h->note && *h->note) rv_strbuf_put(&text, "\n%s\n", h->note);
    rv_strbuf_put(&text, "\nLyssna och läs mer (inloggning krävs):\n%s\n\nHälsningar\nrostvakt\n", h->link);
    rv_strbuf_put(&html, "%s<p>Hej!</p>\n<p>", html_head);
    rv_strbuf_put_xml(&html, h->from_name);
    rv_strbuf_put(&html, " lämnar över ett röstmeddelande till dig.</p>\n<ul>\n<li>Lämnat i: ");
    rv_strbuf_put_xml(&html, h->owner);
    rv_strbuf_put(&html, ", ");
    rv_strbuf_put_xml(&html, h->unit);
    rv_strbuf_put(&html, " (ankn. %s)</li>\n<li>Mottaget: %s</li>\n<li>Från: ", h->ext, h->received_local);
    rv_strbuf_put_xml(&html, caller);
    rv_strbuf_put(&html, "</li>\n</ul>\n");
    if (h->note && *h->note) {
        rv_strbuf_put(&html, "<p>");
        rv_strbuf_put_xml(&html, h->note);
        rv_strbuf_put(&html, "</p>\n");
    }
    rv_strbuf_put(&html, "<p><a href=\"");
    rv_strbuf_put_xml(&html, h->link);
    rv_strbuf_put(&html, "\">Lyssna och läs mer</a> (inloggning krävs).</p>\n<p>Hälsningar<br>rostvakt</p>\n"
                         "</body></html>\n");
    rv_err rc = RV_OK;
    if (text.oom || html.oom) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    if (rc == RV_OK) {
        gmime_ready();
        *out = compose(from, h->to, subject, text.s, html.s, len);
        if (!*out) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    free(text.s);
    free(html.s);
    return rc;
}

const char *rv_mail_send(const rv_config *cfg, const char *recipients, const char *message, size_t len, char *why,
                         size_t cap)
{
    return send_one(cfg, recipients, message, len, why, cap);
}
