/* rostvakt pbx-sync imap (pbxsync.h): voicemail delivered as e-mail,
 * read from an IMAP folder over libcurl and taken apart with GMime. */
#include "rostvakt/pbxsync.h"
#include "pbxsync_int.h"

#include <ctype.h>
#include <curl/curl.h>
#include <gmime/gmime.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_MESSAGE (80u << 20) /* a 64 MB recording, base64 */

typedef struct {
    char *data;
    size_t len, cap;
    int over; /* more than MAX_MESSAGE arrived */
} buffer;

static size_t to_buffer(char *p, size_t sz, size_t n, void *u)
{
    buffer *b = u;
    size_t k = sz * n;
    if (b->len + k > MAX_MESSAGE) {
        b->over = 1;
        return 0; /* ends the transfer */
    }
    if (b->len + k + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + k + 1) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) return 0;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, k);
    b->len += k;
    b->data[b->len] = '\0';
    return k;
}

/* ---- the IMAP connection: one curl handle, so one login a pass ---- */

typedef struct {
    CURL *c;
    const rv_imap_opts *im;
    char base[512];   /* imap[s]://HOST[:PORT] */
    char folder[512]; /* as in the URL (URL-encoded) */
    char error[CURL_ERROR_SIZE];
} imap;

/* A folder name for a command: quoted; printable ASCII only (IMAP wants
 * modified UTF-7 for anything else, which the operator can write). */
static int quoted(const char *name, char *out, size_t cap)
{
    size_t k = 0;
    if (!name || !*name || cap < 3) return 0;
    out[k++] = '"';
    for (const char *p = name; *p; p++) {
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || k + 4 > cap) return 0;
        if (*p == '"' || *p == '\\') out[k++] = '\\';
        out[k++] = *p;
    }
    out[k++] = '"';
    out[k] = '\0';
    return 1;
}

/* Run custom (NULL: fetch) on path below the server ("" or "/FOLDER" or
 * "/FOLDER/;UID=N"), the untagged answer or the message into out. */
static CURLcode imap_do(imap *m, const char *path, const char *custom, buffer *out)
{
    char url[1200];
    snprintf(url, sizeof url, "%s%s", m->base, path);
    curl_easy_setopt(m->c, CURLOPT_URL, url);
    curl_easy_setopt(m->c, CURLOPT_CUSTOMREQUEST, custom);
    curl_easy_setopt(m->c, CURLOPT_WRITEFUNCTION, to_buffer);
    curl_easy_setopt(m->c, CURLOPT_WRITEDATA, out);
    out->len = 0;
    out->over = 0;
    if (out->data) out->data[0] = '\0';
    m->error[0] = '\0';
    return curl_easy_perform(m->c);
}

static const char *imap_why(const imap *m, CURLcode rc)
{
    return m->error[0] ? m->error : curl_easy_strerror(rc);
}

static int is_loopback(const char *host, size_t n)
{
    return (n == 9 && strncmp(host, "localhost", 9) == 0) || (n >= 4 && strncmp(host, "127.", 4) == 0) ||
           (n == 5 && strncmp(host, "[::1]", 5) == 0);
}

/* libcurl's progress callback: a transfer ends when a signal asks to stop. */
static int stop_transfer(void *u, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    return rv_sync_stopped(u);
}

static rv_err imap_open(imap *m, const rv_sync_opts *o, const rv_imap_opts *im, rv_error *err)
{
    memset(m, 0, sizeof *m);
    m->im = im;
    const char *u = im->url ? im->url : "";
    int tls = strncmp(u, "imaps://", 8) == 0;
    if (!tls && strncmp(u, "imap://", 7) != 0)
        return rv_error_set(err, RV_ERR_ARG, "--url must be imaps://HOST[:PORT]/FOLDER or imap://...");
    const char *host = u + (tls ? 8 : 7);
    size_t hl = strcspn(host, "/?#");
    if (hl == 0 || strchr(u, '@') || strchr(u, ';'))
        return rv_error_set(err, RV_ERR_ARG, "--url: a host is needed, and the user goes in --user, not the URL");
    snprintf(m->base, sizeof m->base, "%.*s", (int)(host - u + hl), u);
    const char *folder = host[hl] == '/' ? host + hl + 1 : "";
    snprintf(m->folder, sizeof m->folder, "%.*s", (int)strcspn(folder, "?#"), folder);
    if (!m->folder[0]) snprintf(m->folder, sizeof m->folder, "INBOX");
    size_t port = strcspn(host, ":/");
    if (!(m->c = curl_easy_init())) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    curl_easy_setopt(m->c, CURLOPT_USERNAME, im->user);
    if (im->bearer) { /* OAuth 2: the token, not a password */
        curl_easy_setopt(m->c, CURLOPT_XOAUTH2_BEARER, im->bearer);
        curl_easy_setopt(m->c, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
    } else curl_easy_setopt(m->c, CURLOPT_PASSWORD, im->password);
    curl_easy_setopt(m->c, CURLOPT_ERRORBUFFER, m->error);
    curl_easy_setopt(m->c, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(m->c, CURLOPT_TIMEOUT, 300L);
    curl_easy_setopt(m->c, CURLOPT_XFERINFOFUNCTION, stop_transfer);
    curl_easy_setopt(m->c, CURLOPT_XFERINFODATA, (void *)o);
    curl_easy_setopt(m->c, CURLOPT_NOPROGRESS, 0L);
    /* a password in clear only to this machine; elsewhere STARTTLS or imaps */
    if (!tls) curl_easy_setopt(m->c, CURLOPT_USE_SSL, is_loopback(host, port) ? CURLUSESSL_TRY : CURLUSESSL_ALL);
    if (im->ca_file) curl_easy_setopt(m->c, CURLOPT_CAINFO, im->ca_file);
    return RV_OK;
}

static void imap_close(imap *m)
{
    if (m->c) curl_easy_cleanup(m->c);
}

/* Move uid from the folder to dest: MOVE, else COPY, flag deleted and
 * expunge (servers without RFC 6851). 1 when moved. */
static int imap_move(imap *m, unsigned long uid, const char *dest, buffer *b)
{
    char q[600], cmd[700], path[600];
    if (!quoted(dest, q, sizeof q)) return 0;
    snprintf(path, sizeof path, "/%s", m->folder);
    snprintf(cmd, sizeof cmd, "UID MOVE %lu %s", uid, q);
    if (imap_do(m, path, cmd, b) == CURLE_OK) return 1;
    snprintf(cmd, sizeof cmd, "UID COPY %lu %s", uid, q);
    if (imap_do(m, path, cmd, b) != CURLE_OK) return 0;
    snprintf(cmd, sizeof cmd, "UID STORE %lu +FLAGS.SILENT (\\Deleted)", uid);
    if (imap_do(m, path, cmd, b) != CURLE_OK) return 0;
    imap_do(m, path, "EXPUNGE", b); /* the copy is there: deleted-flagged is moved enough */
    return 1;
}

/* ---- a message ---- */

typedef enum { MSG_DONE, MSG_PROBLEM, MSG_LEAVE, MSG_DOWN } outcome;

typedef struct {
    char email[256], ext[24]; /* "" ext: no mailbox has it */
} known_address;

typedef struct {
    sync_pass *p;
    imap *m;
    known_address known[64];
    size_t n_known;
    char why[400]; /* why a message went to the problem folder */
    rv_err failed; /* the state file could not be written: the pass ends */
} imap_pass;

/* The mailbox whose directory entry has address: 1 with ext, 0 none, -1
 * the service could not be reached. */
static int mailbox_of(imap_pass *ip, const char *address, char *ext, size_t cap)
{
    for (size_t i = 0; i < ip->n_known; i++)
        if (strcasecmp(ip->known[i].email, address) == 0) {
            snprintf(ext, cap, "%s", ip->known[i].ext);
            return ext[0] != '\0';
        }
    char *esc = curl_easy_escape(NULL, address, 0);
    if (!esc) return 0;
    char url[1024];
    snprintf(url, sizeof url, "%s/v1/mailboxes?email=%.600s&limit=1", ip->p->o->server, esc);
    curl_free(esc);
    sync_answer a;
    long status = rv_sync_send(ip->p->o, "GET", url, NULL, 0, NULL, NULL, &a);
    if (status == 0) return -1;
    ext[0] = '\0';
    if (status == 200) {
        json_t *j = json_loads(a.buf, 0, NULL);
        const char *e = json_string_value(json_object_get(json_array_get(json_object_get(j, "items"), 0), "ext"));
        if (e) snprintf(ext, cap, "%s", e);
        json_decref(j);
    } else {
        fprintf(ip->p->o->log, "pbx-sync: imap: looking up %s: %ld: %s\n", address, status, rv_sync_why(&a));
        ip->p->c->refused++;
        if (status == 401 || status == 403) ip->p->c->denied++;
        return -2;
    }
    if (ip->n_known < sizeof ip->known / sizeof ip->known[0]) {
        known_address *k = &ip->known[ip->n_known++];
        snprintf(k->email, sizeof k->email, "%s", address);
        snprintf(k->ext, sizeof k->ext, "%s", ext);
    }
    return ext[0] != '\0';
}

/* The recipient's mailbox: the address of the topmost Delivered-To, which
 * the server that put the message in the folder added last; only without
 * one, the first address of To, then Cc, that the directory knows. Never
 * X-Original-To or a lower Delivered-To: a sender can write those. */
static int recipient(imap_pass *ip, GMimeMessage *msg, char *ext, size_t cap, char *tried, size_t tcap)
{
    static const char *const headers[] = {"Delivered-To", "To", "Cc"};
    GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
    const char *delivered = NULL;
    for (int i = 0, n = g_mime_header_list_get_count(hl); i < n && !delivered; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        if (strcasecmp(g_mime_header_get_name(h), "Delivered-To") == 0) delivered = g_mime_header_get_value(h);
    }
    tried[0] = '\0';
    for (size_t h = delivered ? 0 : 1; h < (delivered ? 1u : 3u); h++) {
        const char *v = h == 0 ? delivered : g_mime_object_get_header(GMIME_OBJECT(msg), headers[h]);
        if (!v) continue;
        InternetAddressList *list = internet_address_list_parse(NULL, v);
        int n = list ? internet_address_list_length(list) : 0;
        for (int i = 0; i < n; i++) {
            InternetAddress *a = internet_address_list_get_address(list, i);
            if (!INTERNET_ADDRESS_IS_MAILBOX(a)) continue;
            const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
            if (!addr || !*addr || strlen(addr) > 250) continue;
            int r = mailbox_of(ip, addr, ext, cap);
            if (r != 0) {
                g_object_unref(list);
                return r;
            }
            if (!strstr(tried, addr) && strlen(tried) + strlen(addr) + 3 < tcap)
                snprintf(tried + strlen(tried), tcap - strlen(tried), "%s%s", tried[0] ? ", " : "", addr);
        }
        if (list) g_object_unref(list);
    }
    return 0;
}

typedef struct {
    GMimePart *part;  /* the first audio attachment */
    const char *type; /* what it is sent as; NULL: WMA */
    char label[200];  /* its type and name, for the log */
} audio_find;

/* What an attachment is, from its type and name: the Content-Type it is
 * sent as, "" for WMA, NULL when it is not audio. */
static const char *audio_kind(const char *mime, const char *name)
{
    const char *dot = name ? strrchr(name, '.') : NULL;
    static const char *const mp3[] = {"audio/mpeg", "audio/mp3", "audio/x-mp3", "audio/mpeg3", "audio/x-mpeg"};
    static const char *const wav[] = {"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"};
    for (size_t i = 0; i < 5; i++)
        if (strcasecmp(mime, mp3[i]) == 0) return "audio/mpeg";
    for (size_t i = 0; i < 4; i++)
        if (strcasecmp(mime, wav[i]) == 0) return "audio/wav";
    if (strcasecmp(mime, "audio/x-gsm") == 0 || strcasecmp(mime, "audio/gsm") == 0) return "audio/x-gsm";
    if (strcasecmp(mime, "audio/x-ms-wma") == 0 || strcasecmp(mime, "audio/wma") == 0 ||
        (dot && strcasecmp(dot, ".wma") == 0))
        return "";
    if (dot && strcasecmp(dot, ".mp3") == 0) return "audio/mpeg";
    if (dot && strcasecmp(dot, ".wav") == 0) return "audio/wav";
    if (dot && strcmp(dot, ".gsm") == 0) return "audio/x-gsm";
    if (strncasecmp(mime, "audio/", 6) == 0) return "application/octet-stream"; /* FLAC, Ogg ...: the service knows */
    return NULL;
}

static void find_audio(GMimeObject *parent, GMimeObject *part, gpointer data)
{
    (void)parent;
    audio_find *f = data;
    if (f->part || !GMIME_IS_PART(part)) return;
    GMimeContentType *ct = g_mime_object_get_content_type(part);
    char *mime = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
    const char *name = g_mime_part_get_filename(GMIME_PART(part));
    const char *kind = mime ? audio_kind(mime, name) : NULL;
    if (kind) {
        f->part = GMIME_PART(part);
        f->type = kind[0] ? kind : NULL;
        snprintf(f->label, sizeof f->label, "%.80s \"%.100s\"", mime, name ? name : "");
    }
    g_free(mime);
}

/* The first header of names with a value. */
static const char *first_header(GMimeMessage *msg, const char *const *names)
{
    for (; *names; names++) {
        const char *v = g_mime_object_get_header(GMIME_OBJECT(msg), *names);
        if (v && *v) return v;
    }
    return NULL;
}

int rv_sync_internaldate(const char *s, long long *epoch)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    *epoch = 0;
    const char *q = s[0] == ' ' ? s + 1 : s;
    int day = 0, n = 0, month = -1;
    for (; n < 2 && isdigit((unsigned char)*q); n++) day = day * 10 + (*q++ - '0');
    if (n == 0 || *q++ != '-') return 0;
    for (int i = 0; i < 12; i++)
        if (strncmp(q, months + 3 * i, 3) == 0) month = i;
    if (month < 0) return 0;
    q += 3;
    /* the rest has one shape, digits where 9 is: no sign or space inside a
     * number, as sscanf's %d would take. v: year, hour, minute, second, zone */
    static const char shape[] = "-9999 99:99:99 #9999";
    int v[5] = {0}, field = 0, sign = 1;
    for (const char *c = shape; *c; c++, q++) {
        if (*c == '9') {
            if (!isdigit((unsigned char)*q)) return 0;
            v[field] = v[field] * 10 + (*q - '0');
        } else if (*c == '#') {
            if (*q != '+' && *q != '-') return 0;
            sign = *q == '-' ? -1 : 1;
        } else {
            if (*q != *c) return 0;
            if (c != shape) field++;
        }
    }
    if (day < 1 || day > mdays[month] || v[0] < 1970 || v[1] > 23 || v[2] > 59 || v[3] > 60 || v[4] / 100 > 23 ||
        v[4] % 100 > 59)
        return 0;
    struct tm tm = {.tm_year = v[0] - 1900, .tm_mon = month, .tm_mday = day, .tm_hour = v[1], .tm_min = v[2],
                    .tm_sec = v[3]};
    *epoch = (long long)timegm(&tm) - sign * ((v[4] / 100) * 3600LL + (v[4] % 100) * 60LL);
    return 1;
}

/* When the server received message uid (its INTERNALDATE), as
 * rv_sync_internaldate; 0 (the service says now) when it cannot be had or
 * is not a plausible time. Never the sender's Date or X-Asterisk-VM-Orig-time:
 * a sender could backdate those, and the sweep would dispose of it early. */
static long long received_at(imap *m, const char *path, unsigned long uid, buffer *b)
{
    char cmd[80];
    long long t = 0;
    snprintf(cmd, sizeof cmd, "UID FETCH %lu (INTERNALDATE)", uid);
    if (imap_do(m, path, cmd, b) != CURLE_OK || !b->data) return 0;
    const char *d = strstr(b->data, "INTERNALDATE \"");
    if (!d || !rv_sync_internaldate(d + 14, &t)) return 0;
    long long now = (long long)time(NULL);
    return t >= 946684800LL && t <= now + 86400 ? t : 0; /* 2000-01-01 .. tomorrow, as the service takes */
}

/* "imap:" and the Message-ID, or the message's SHA-256 when it has none. */
static void message_key(GMimeMessage *msg, const buffer *raw, char *key, size_t cap)
{
    const char *id = g_mime_message_get_message_id(msg);
    if (id && *id) {
        snprintf(key, cap, "imap:%.200s", id);
    } else {
        unsigned char md[32];
        unsigned int n = 0;
        EVP_Digest(raw->data, raw->len, md, &n, EVP_sha256(), NULL);
        int k = snprintf(key, cap, "imap:sha256:");
        for (unsigned i = 0; i < n && (size_t)k + 3 < cap; i++) k += snprintf(key + k, cap - (size_t)k, "%02x", md[i]);
    }
    for (char *q = key; *q; q++)
        if ((unsigned char)*q < 0x21 || (unsigned char)*q > 0x7e) *q = '_';
}

/* One fetched message: sent, or why not. */
static outcome handle(imap_pass *ip, unsigned long uid, const buffer *raw, long long received, char *label,
                      size_t lcap)
{
    sync_pass *p = ip->p;
    snprintf(label, lcap, "imap UID %lu", uid);
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(raw->data, raw->len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(stream);
    if (!msg) {
        snprintf(ip->why, sizeof ip->why, "not a readable e-mail message");
        return MSG_PROBLEM;
    }
    outcome out = MSG_PROBLEM;
    char key[300], ext[24], tried[300];
    message_key(msg, raw, key, sizeof key);
    snprintf(label, lcap, "imap UID %lu (%.150s)", uid, key + 5);
    const char *was = rv_sync_state_get(p->st, key);
    if (was && strncmp(was, "sent ", 5) == 0) { /* sent before; the move did not happen */
        out = MSG_DONE;
        goto done;
    }
    int r = recipient(ip, msg, ext, sizeof ext, tried, sizeof tried);
    if (r == -1) {
        p->down = 1;
        out = MSG_DOWN;
        goto done;
    }
    if (r == -2) {
        out = MSG_LEAVE;
        goto done;
    }
    if (r == 0) {
        snprintf(ip->why, sizeof ip->why, "no mailbox in the directory has the address %s (give it as the mailbox's email)",
                 tried[0] ? tried : "(no recipient)");
        goto done;
    }
    audio_find f = {0};
    g_mime_message_foreach(msg, find_audio, &f);
    if (!f.part) {
        snprintf(ip->why, sizeof ip->why, "no audio attachment");
        goto done;
    }
    if (!f.type) {
        snprintf(ip->why, sizeof ip->why,
                 "the recording (%s) is WMA, which rostvakt does not read: have the PBX send MP3 or WAV", f.label);
        goto done;
    }
    GMimeDataWrapper *content = g_mime_part_get_content(f.part);
    GMimeStream *audio = g_mime_stream_mem_new();
    if (content) g_mime_data_wrapper_write_to_stream(content, audio);
    GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(audio));
    if (!bytes || bytes->len == 0) {
        snprintf(ip->why, sizeof ip->why, "the attachment %s is empty or cannot be decoded", f.label);
        g_object_unref(audio);
        goto done;
    }
    static const char *const callers[] = {"X-CallingTelephoneNumber", "X-Asterisk-VM-Caller-ID-Num",
                                          "X-Asterisk-CallerID", NULL};
    const char *caller = first_header(msg, callers);
    char vlabel[700];
    snprintf(vlabel, sizeof vlabel, "%.300s: %.23s: voicemail %.200s", label, ext, f.label);
    long status = 0;
    rv_err rc = rv_sync_send_voicemail(p, vlabel, ext, key, (const char *)bytes->data, bytes->len, f.type, caller,
                                       received, key, &status);
    g_object_unref(audio);
    if (rc != RV_OK) {
        ip->failed = rc; /* the state file: the pass ends with its error */
        out = MSG_LEAVE;
    } else if (status == 0) out = MSG_DOWN;
    else if (status == 200 || status == 201) out = MSG_DONE;
    else if (status == 413 || status == 415 || status == 422)
        snprintf(ip->why, sizeof ip->why, "the service refused the recording (%s): see the line above", f.label);
    else out = MSG_LEAVE; /* 404, 5xx ...: next pass */
done:
    g_object_unref(msg);
    return out;
}

/* The UIDs of the folder's messages, from "* SEARCH 1 2 3". */
static size_t parse_search(const char *text, unsigned long **uids)
{
    size_t n = 0, cap = 0;
    *uids = NULL;
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncasecmp(l, "* SEARCH", 8) != 0) continue;
        const char *q = l + 8;
        while (*q && *q != '\r' && *q != '\n') {
            char *end;
            unsigned long u = strtoul(q, &end, 10);
            if (end == q) break;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                unsigned long *nu = realloc(*uids, cap * sizeof *nu);
                if (!nu) return n;
                *uids = nu;
            }
            (*uids)[n++] = u;
            q = end;
        }
    }
    return n;
}

rv_err rv_sync_imap(const rv_sync_opts *o, const rv_imap_opts *im, rv_sync_counts *c, rv_error *err)
{
    memset(c, 0, sizeof *c);
    if (!o->server || !o->token || !o->state_path || !im->user || (!im->password && !im->bearer))
        return rv_error_set(err, RV_ERR_ARG,
                            "the server, a token, a state file, a user and a password or bearer token are needed");
    const char *done_folder = im->done_folder ? im->done_folder : "rostvakt-done";
    const char *problem_folder = im->problem_folder ? im->problem_folder : "rostvakt-problems";
    char qd[600], qp[600];
    if (!quoted(done_folder, qd, sizeof qd) || !quoted(problem_folder, qp, sizeof qp))
        return rv_error_set(err, RV_ERR_ARG,
                            "folder names must be printable ASCII (IMAP's modified UTF-7 for others: "
                            "\"R&AOQ-stbrevl&AOU-da\")");
    imap m;
    rv_err rc = imap_open(&m, o, im, err);
    if (rc != RV_OK) {
        imap_close(&m);
        return rc;
    }
    sync_state st;
    rc = rv_sync_state_open(&st, o->state_path, err);
    if (rc != RV_OK) {
        rv_sync_state_close(&st);
        imap_close(&m);
        return rc;
    }
    g_mime_init();
    buffer b = {0};
    /* the folders, made when missing ("already exists" is fine); the first
     * command also tells whether the login works */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "CREATE %s", qd);
    CURLcode cc = imap_do(&m, "/", cmd, &b);
    if (cc == CURLE_LOGIN_DENIED)
        rc = rv_error_set(err, RV_ERR_CONFIG, "%s refused user %s: wrong user name or %s", m.base, im->user,
                          im->bearer ? "an expired or refused OAuth token" : "password");
    else if (cc != CURLE_OK && cc != CURLE_QUOTE_ERROR)
        rc = rv_error_set(err, RV_ERR_BUSY, "cannot reach %s: %s", m.base, imap_why(&m, cc));
    if (rc == RV_OK) {
        snprintf(cmd, sizeof cmd, "CREATE %s", qp);
        imap_do(&m, "/", cmd, &b);
    }
    unsigned long *uids = NULL;
    size_t n = 0;
    char path[600];
    snprintf(path, sizeof path, "/%s", m.folder);
    if (rc == RV_OK) {
        cc = imap_do(&m, path, "UID SEARCH UNDELETED", &b);
        if (cc != CURLE_OK)
            rc = rv_error_set(err, cc == CURLE_QUOTE_ERROR ? RV_ERR_CONFIG : RV_ERR_BUSY, "cannot read the folder %s on %s: %s",
                              m.folder, m.base, imap_why(&m, cc));
        else n = parse_search(b.data, &uids);
    }
    sync_pass p = {o, &st, c, err, 0};
    imap_pass ip = {.p = &p, .m = &m};
    buffer date = {0};
    for (size_t i = 0; rc == RV_OK && !p.down && !rv_sync_stopped(o) && ip.failed == RV_OK && i < n; i++) {
        char mpath[700], label[400];
        snprintf(mpath, sizeof mpath, "%s/;UID=%lu", path, uids[i]);
        long long received = received_at(&m, path, uids[i], &date);
        cc = imap_do(&m, mpath, NULL, &b);
        outcome out;
        ip.why[0] = '\0';
        snprintf(label, sizeof label, "imap UID %lu", uids[i]);
        if (b.over) {
            snprintf(ip.why, sizeof ip.why, "larger than %u MB", MAX_MESSAGE >> 20);
            out = MSG_PROBLEM;
        } else if (cc != CURLE_OK) {
            fprintf(o->log, "pbx-sync: %s: cannot fetch it: %s; tried again next pass\n", label, imap_why(&m, cc));
            out = MSG_LEAVE;
        } else out = handle(&ip, uids[i], &b, received, label, sizeof label);
        if (out == MSG_DONE) {
            if (!imap_move(&m, uids[i], done_folder, &b))
                fprintf(o->log, "pbx-sync: %s: sent, but cannot move it to %s: %s (moved next pass)\n", label,
                        done_folder, imap_why(&m, CURLE_QUOTE_ERROR));
        } else if (out == MSG_PROBLEM) {
            c->skipped++;
            if (imap_move(&m, uids[i], problem_folder, &b))
                fprintf(o->log, "pbx-sync: %s: %s; moved to %s for a person to look at\n", label, ip.why,
                        problem_folder);
            else
                fprintf(o->log, "pbx-sync: %s: %s; cannot move it to %s (%s): left where it is\n", label, ip.why,
                        problem_folder, imap_why(&m, CURLE_QUOTE_ERROR));
        }
        fflush(o->log);
    }
    free(uids);
    free(b.data);
    free(date.data);
    g_mime_shutdown();
    rv_sync_state_close(&st);
    imap_close(&m);
    if (rc == RV_OK && ip.failed != RV_OK) rc = ip.failed;
    else if (rc == RV_OK && rv_sync_stopped(o))
        rc = rv_error_set(err, RV_ERR_STOPPING, "stopped by a signal; the rest is sent on the next pass");
    else if (rc == RV_OK && p.down)
        rc = rv_error_set(err, RV_ERR_STOPPING, "%s stayed unreachable; the rest is sent on the next pass", o->server);
    return rc;
}
