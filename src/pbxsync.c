/* rostvakt pbx-sync (pbxsync.h): Asterisk's voicemail spool to the
 * service's API over libcurl, with a state file of what was sent. */
#include "rostvakt/pbxsync.h"
#include "pbxsync_int.h"

#include <ctype.h>
#include <curl/curl.h>
#include <sqlite3.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the state: "key<TAB>value" lines, the last for a key wins ---- */

static unsigned hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h % 4096;
}

const char *rv_sync_state_get(const sync_state *st, const char *key)
{
    for (const sync_entry *e = st->bucket[hash(key)]; e; e = e->next)
        if (strcmp(e->key, key) == 0) return e->value;
    return NULL;
}

static int state_put_mem(sync_state *st, const char *key, const char *value)
{
    unsigned h = hash(key);
    for (sync_entry *e = st->bucket[h]; e; e = e->next)
        if (strcmp(e->key, key) == 0) {
            char *v = strdup(value);
            if (!v) return -1;
            free(e->value);
            e->value = v;
            return 0;
        }
    sync_entry *e = calloc(1, sizeof *e);
    if (!e || !(e->key = strdup(key)) || !(e->value = strdup(value))) {
        if (e) free(e->key);
        free(e);
        return -1;
    }
    e->next = st->bucket[h];
    st->bucket[h] = e;
    return 0;
}

/* s into f with \\, \t, \n and \r escaped. */
static int put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        const char *e = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : NULL;
        if (e ? fputs(e, f) < 0 : putc(*s, f) == EOF) return -1;
    }
    return 0;
}

/* The escapes of put_escaped undone in place; any other backslash stays. */
static void unescape(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (*s == '\\' && s[1] && strchr("\\tnr", s[1])) {
            s++;
            *o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s == 'r' ? '\r' : '\\';
        } else *o++ = *s;
    }
    *o = '\0';
}

/* Remember key = value: in memory and on disk (appended, fsync'ed) before
 * the next upload, so that a crash repeats at most the last one, which the
 * service then recognises by its Idempotency-Key. */
rv_err rv_sync_state_put(sync_state *st, const char *key, const char *value, rv_error *err)
{
    if (2 * (strlen(key) + strlen(value)) + 2 >= RV_SYNC_LINE_MAX)
        return rv_error_set(err, RV_ERR_ARG, "a state entry longer than %d bytes", RV_SYNC_LINE_MAX / 2);
    if (state_put_mem(st, key, value) != 0) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    if (put_escaped(st->f, key) != 0 || putc('\t', st->f) == EOF || put_escaped(st->f, value) != 0 ||
        putc('\n', st->f) == EOF || fflush(st->f) != 0 || fsync(fileno(st->f)) != 0)
        return rv_error_set(err, RV_ERR_IO, "cannot write the state file: %s", strerror(errno));
    return RV_OK;
}

rv_err rv_sync_state_read(sync_state *st, FILE *f, const char *name, rv_error *err)
{
    memset(st, 0, sizeof *st);
    char *line = malloc(RV_SYNC_LINE_MAX);
    if (!line) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    rv_err rc = RV_OK;
    for (long n = 1; rc == RV_OK && fgets(line, RV_SYNC_LINE_MAX, f); n++) {
        size_t l = strlen(line);
        int whole = l > 0 && line[l - 1] == '\n';
        line[strcspn(line, "\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (!line[0] && whole) continue;
        if (!tab || !whole) { /* a line cut by a crash is the last; anything else is damage */
            int c = fgetc(f);
            if (c != EOF)
                rc = rv_error_set(err, RV_ERR_CONFIG, "%s:%ld is damaged%s", name, n,
                                  whole ? "" : " (a line too long)");
            break;
        }
        *tab = '\0';
        unescape(line);
        unescape(tab + 1);
        if (state_put_mem(st, line, tab + 1) != 0) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    if (rc == RV_OK && ferror(f)) rc = rv_error_set(err, RV_ERR_IO, "cannot read %s: %s", name, strerror(errno));
    free(line);
    return rc;
}

rv_err rv_sync_state_open(sync_state *st, const char *path, rv_error *err)
{
    memset(st, 0, sizeof *st);
    FILE *f = fopen(path, "r");
    if (f) {
        rv_err rc = rv_sync_state_read(st, f, path, err);
        fclose(f);
        if (rc != RV_OK) return rc;
    } else if (errno != ENOENT)
        return rv_error_set(err, RV_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0 || !(st->f = fdopen(fd, "a"))) {
        if (fd >= 0) close(fd);
        return rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    }
    return RV_OK;
}

void rv_sync_state_close(sync_state *st)
{
    for (size_t i = 0; i < 4096; i++)
        for (sync_entry *e = st->bucket[i], *next; e; e = next) {
            next = e->next;
            free(e->key);
            free(e->value);
            free(e);
        }
    if (st->f) fclose(st->f);
}

/* ---- the service ---- */

static size_t collect(char *p, size_t sz, size_t n, void *u)
{
    sync_answer *a = u;
    size_t k = sz * n;
    if (a->len + k < sizeof a->buf) {
        memcpy(a->buf + a->len, p, k);
        a->len += k;
        a->buf[a->len] = '\0';
    }
    return k;
}

/* path opened to read if it is a regular file: never through a symbolic
 * link (ELOOP), never waiting on a FIFO or device (EINVAL, not regular).
 * The descriptor and *sb, or -1 with errno. */
static int open_regular(const char *path, struct stat *sb)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return -1;
    if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

/* Why open_regular failed, for the log. */
static const char *not_regular_why(int e)
{
    return e == ELOOP    ? "a symbolic link, not followed out of the spool"
           : e == EINVAL ? "not a regular file (a FIFO, a device or a folder)"
           : e == EFBIG  ? "too large"
                         : strerror(e);
}

/* The bytes of a regular file (open_regular), at most cap: malloc()ed and
 * NUL-ended, NULL with errno when unreadable (EFBIG: larger than cap). */
static char *slurp_max(const char *path, size_t cap, size_t *len)
{
    struct stat sb;
    *len = 0;
    int fd = open_regular(path, &sb);
    if (fd < 0) return NULL;
    char *body = NULL;
    if (sb.st_size < 0 || (unsigned long long)sb.st_size > cap) errno = EFBIG;
    else if ((body = malloc((size_t)sb.st_size + 1))) {
        while (*len < (size_t)sb.st_size) {
            ssize_t n = read(fd, body + *len, (size_t)sb.st_size - *len);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            *len += (size_t)n;
        }
        body[*len] = '\0';
        if (*len != (size_t)sb.st_size) {
            free(body);
            body = NULL;
            errno = EIO;
        }
    }
    int e = errno;
    close(fd);
    errno = e;
    return body;
}

/* The bytes of a recording, at most 64 MB: as slurp_max. */
static char *slurp(const char *path, size_t *len)
{
    return slurp_max(path, 64u << 20, len);
}

const char *rv_sync_audio_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot && strcmp(dot, ".gsm") == 0) return "audio/x-gsm";
    if (dot && strcasecmp(dot, ".mp3") == 0) return "audio/mpeg";
    return "audio/wav";
}

int rv_sync_stopped(const rv_sync_opts *o)
{
    return o->stop && *o->stop;
}

/* libcurl's progress callback: a transfer ends when a signal asks to stop. */
static int stop_transfer(void *u, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    return rv_sync_stopped(u);
}

long rv_sync_send(const rv_sync_opts *o, const char *method, const char *url, const char *body, size_t len,
                  const char *type, const char *const *headers, sync_answer *a)
{
    long status = 0;
    int pause = 1;
    memset(a, 0, sizeof *a);
    for (int tries = 0; tries < (o->max_tries > 0 ? o->max_tries : 1) && !rv_sync_stopped(o); tries++) {
        if (tries) {
            fprintf(o->log, "pbx-sync: %s unreachable; trying again in %d s\n", o->server, pause);
            fflush(o->log);
            for (int t = 0; t < pause && !rv_sync_stopped(o); t++) sleep(1); /* a signal cuts it short */
            pause = pause * 2 > 30 ? 30 : pause * 2;
            if (rv_sync_stopped(o)) break;
        }
        CURL *c = curl_easy_init();
        if (!c) break;
        struct curl_slist *h = NULL;
        char auth[160], ct[120];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->token);
        h = curl_slist_append(h, auth);
        if (type) {
            snprintf(ct, sizeof ct, "Content-Type: %s", type);
            h = curl_slist_append(h, ct);
        }
        h = curl_slist_append(h, "Expect:");
        for (size_t i = 0; headers && headers[i]; i++) h = curl_slist_append(h, headers[i]);
        memset(a, 0, sizeof *a);
        curl_easy_setopt(c, CURLOPT_URL, url);
        if (body) {
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        }
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, stop_transfer);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)o);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        status = 0;
        if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        if (status != 0 && status != 503) break;
        status = 0;
    }
    return status;
}

/* The file at path as the body of method url: as rv_sync_send, or -1 when
 * the file cannot be read. */
static long send_file(const rv_sync_opts *o, const char *method, const char *url, const char *path,
                      const char *const *headers, sync_answer *a)
{
    size_t len;
    char *body = slurp(path, &len);
    if (!body) return -1;
    long status = rv_sync_send(o, method, url, body, len, rv_sync_audio_type(path), headers, a);
    free(body);
    return status;
}

/* The "message" of an error answer, or the whole body. */
const char *rv_sync_why(const sync_answer *a)
{
    const char *m = strstr(a->buf, "\"message\":\"");
    static _Thread_local char out[300];
    if (m) snprintf(out, sizeof out, "%.*s", (int)strcspn(m + 11, "\""), m + 11);
    else snprintf(out, sizeof out, "%.*s", 200, a->buf);
    return out;
}

/* ---- Asterisk's spool ---- */

static int all_digits(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

/* The recording base.{wav16,wav,WAV,gsm} in dir (Asterisk's formats wav16,
 * wav, wav49 and gsm; the first that is there: a wideband line's 16 kHz
 * recording before its telephone-band copies): 1 with path, 0 when there is
 * none, -1 with path and errno (ELOOP, EINVAL) when it is a link or not a
 * regular file. */
static int recording(const char *dir, const char *base, char *path, size_t cap)
{
    static const char *const ext[] = {"wav16", "wav", "WAV", "gsm"};
    struct stat sb;
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
        snprintf(path, cap, "%.3800s/%.255s.%s", dir, base, ext[i]);
        if (lstat(path, &sb) != 0) continue;
        if (S_ISREG(sb.st_mode)) return 1;
        errno = S_ISLNK(sb.st_mode) ? ELOOP : EINVAL;
        return -1;
    }
    return 0;
}

/* Say once (not every pass) that path is left alone, and why. */
static rv_err left_alone(sync_pass *p, const char *path, const char *why)
{
    char key[4300];
    snprintf(key, sizeof key, "bad:%.4200s", path);
    if (rv_sync_state_get(p->st, key)) return RV_OK;
    fprintf(p->o->log, "pbx-sync: %s: %s: left alone\n", path, why);
    p->c->skipped++;
    return rv_sync_state_put(p->st, key, "logged", p->err);
}

/* A folder of the spool that cannot be read (errno says why): said and
 * counted each pass, not taken for an empty one; one gone meanwhile is
 * none. */
static rv_err unreadable(sync_pass *p, const char *path)
{
    if (errno == ENOENT) return RV_OK;
    fprintf(p->o->log, "pbx-sync: %s: cannot read it (%s), so nothing in it is sent\n", path, strerror(errno));
    p->c->unreadable++;
    return RV_OK;
}

/* "name:size:mtime" of path: a greeting or name recording changed when it changes. */
static void fingerprint(const char *path, char *out, size_t cap)
{
    struct stat sb;
    const char *b = strrchr(path, '/');
    if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) snprintf(out, cap, "?");
    else snprintf(out, cap, "%.200s:%lld:%lld", b ? b + 1 : path, (long long)sb.st_size, (long long)sb.st_mtime);
}

/* A greeting or recorded name at path for mailbox mb, sent when new or
 * changed; label names it in the log. */
static rv_err send_recording(sync_pass *p, const char *label, const char *mb, const char *path, int name)
{
    char fp[300], key[400], url[600];
    snprintf(key, sizeof key, "%s:%s", name ? "name" : "greeting", label);
    fingerprint(path, fp, sizeof fp);
    if (strcmp(fp, "?") == 0) return RV_OK; /* not there (yet) */
    const char *was = rv_sync_state_get(p->st, key);
    if (was && (strcmp(was, fp) == 0 || (strncmp(was, "refused ", 8) == 0 && strcmp(was + 8, fp) == 0))) return RV_OK;
    snprintf(url, sizeof url, "%s/v1/mailboxes/%s/%s", p->o->server, mb, name ? "name-recording" : "greeting");
    sync_answer a;
    long status = send_file(p->o, "PUT", url, path, NULL, &a);
    if (status == 0) {
        p->down = 1;
        return RV_OK;
    }
    if (status == 200) {
        fprintf(p->o->log, "pbx-sync: %s: %s sent (%s)\n", label, name ? "recorded name" : "greeting", path);
        name ? p->c->names++ : p->c->greetings++;
        return rv_sync_state_put(p->st, key, fp, p->err);
    }
    fprintf(p->o->log, "pbx-sync: %s: %s refused (%ld: %s)\n", label, name ? "recorded name" : "greeting", status,
            status < 0 ? "cannot read it" : rv_sync_why(&a));
    p->c->refused++;
    if (status == 401 || status == 403) p->c->denied++;
    if (status == 415 || status == 422 || status == 413) { /* this file will not do: not again until it changes */
        char v[320];
        snprintf(v, sizeof v, "refused %s", fp);
        return rv_sync_state_put(p->st, key, v, p->err);
    }
    return RV_OK;
}

/* Asterisk: the greeting (unavail, busy, temp: the absence greeting wins)
 * or the recorded name (greet) of mailbox. */
static rv_err sync_recording(sync_pass *p, const char *ctx, const char *mb, const char *dir, int name)
{
    char path[4200], label[300];
    int found = 0;
    const char *bases[] = {"temp", "unavail", "busy"};
    if (name) found = recording(dir, "greet", path, sizeof path);
    else
        for (size_t i = 0; i < 3 && !found; i++) found = recording(dir, bases[i], path, sizeof path);
    if (found < 0) return left_alone(p, path, not_regular_why(errno));
    if (!found) return RV_OK;
    snprintf(label, sizeof label, "%.120s/%.40s", ctx, mb);
    return send_recording(p, label, mb, path, name);
}

/* msgNNNN.txt's "key=value" of [message], into out (cap bytes); 1 when found. */
static int ini_value(const char *text, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, key, kl) == 0 && l[kl] == '=') {
            size_t n = strcspn(l + kl + 1, "\r\n");
            snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), l + kl + 1);
            return 1;
        }
    }
    return 0;
}

int rv_sync_message_parse(const char *text, sync_message_info *m)
{
    memset(m, 0, sizeof *m);
    ini_value(text, "origtime", m->origtime, sizeof m->origtime);
    ini_value(text, "callerid", m->callerid, sizeof m->callerid);
    ini_value(text, "msg_id", m->msg_id, sizeof m->msg_id);
    return strstr(text, "[message]") && all_digits(m->origtime);
}

rv_err rv_sync_send_voicemail(sync_pass *p, const char *label, const char *mb, const char *key, const char *body,
                              size_t len, const char *type, const char *caller, long long epoch, const char *idem,
                              long *status_out)
{
    char number[40] = "";
    size_t k = 0;
    for (const char *q = caller ? caller : ""; *q && *q != '>' && k + 1 < sizeof number; q++)
        if (isdigit((unsigned char)*q) || (*q == '+' && k == 0)) number[k++] = *q;
    number[k] = '\0';
    time_t t = (time_t)epoch;
    struct tm tm;
    char at[80] = "", num[80], ih[260], url[600];
    if (epoch > 0 && gmtime_r(&t, &tm)) strftime(at, sizeof at, "X-Received-At: %Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(num, sizeof num, "X-Caller-Number: %s", number);
    snprintf(ih, sizeof ih, "Idempotency-Key: %.200s", idem);
    for (char *q = ih + 17; *q; q++)
        if ((unsigned char)*q < 0x21 || (unsigned char)*q > 0x7e) *q = '_';
    snprintf(url, sizeof url, "%s/v1/mailboxes/%s/voicemails", p->o->server, mb);
    sync_answer a;
    long status = -1;
    /* a header the service refuses (a caller id too long, a time out of
     * range) must not keep the recording out: sent again without it */
    int send_at = at[0] != '\0', send_num = number[0] != '\0';
    for (int again = 0; body && again < 3; again++) {
        const char *headers[4];
        size_t nh = 0;
        headers[nh++] = ih;
        if (send_at) headers[nh++] = at;
        if (send_num) headers[nh++] = num;
        headers[nh] = NULL;
        status = rv_sync_send(p->o, "POST", url, body, len, type, headers, &a);
        if (status != 400) break;
        const char *why = rv_sync_why(&a);
        int drop_at = send_at && strstr(why, "X-Received-At"), drop_num = send_num && strstr(why, "X-Caller-Number");
        if (!drop_at && !drop_num) break;
        fprintf(p->o->log, "pbx-sync: %s: the service refused %s (%s): sent again without X-%s%s\n", label,
                drop_num ? num : at, why, drop_num ? "Caller-Number" : "Received-At",
                drop_num ? "" : " (the service's own time of receipt is taken)");
        if (drop_num) send_num = 0;
        else send_at = 0;
    }
    if (status_out) *status_out = status;
    if (status == 0) {
        p->down = 1;
        return RV_OK;
    }
    if (status == 201 || status == 200) {
        const char *id = strstr(a.buf, "\"id\":");
        char v[64];
        snprintf(v, sizeof v, "sent %lld", id ? atoll(id + 5) : 0LL);
        fprintf(p->o->log, "pbx-sync: %s sent as %s%s\n", label, v + 5,
                status == 200 ? " (the service had it already)" : "");
        p->c->voicemails++;
        return key ? rv_sync_state_put(p->st, key, v, p->err) : RV_OK;
    }
    fprintf(p->o->log, "pbx-sync: %s refused (%ld: %s)%s\n", label, status,
            status < 0 ? "cannot read it" : rv_sync_why(&a), status == 404 ? "; tried again next pass" : "");
    p->c->refused++;
    if (status == 401 || status == 403) p->c->denied++;
    if (key && (status == 415 || status == 422 || status == 413)) {
        char v[80];
        snprintf(v, sizeof v, "refused %ld", status);
        return rv_sync_state_put(p->st, key, v, p->err);
    }
    return RV_OK;
}

/* One voicemail of mailbox mb in the file at path: as rv_sync_send_voicemail. */
static rv_err send_message(sync_pass *p, const char *label, const char *mb, const char *key, const char *path,
                           const char *caller, long long epoch, const char *idem)
{
    size_t len = 0;
    char *body = slurp(path, &len);
    rv_err rc = rv_sync_send_voicemail(p, label, mb, key, body, len, rv_sync_audio_type(path), caller, epoch, idem, NULL);
    free(body);
    return rc;
}

/* One message: its .txt is there, so its audio is complete. */
static rv_err sync_message(sync_pass *p, const char *ctx, const char *mb, const char *dir, const char *base)
{
    char txt[4200], path[4200];
    snprintf(txt, sizeof txt, "%.3800s/%.255s.txt", dir, base);
    size_t len;
    char *text = slurp_max(txt, 64 << 10, &len); /* a FIFO or a link: not opened, nothing waited for */
    if (!text) return errno == ENOENT ? RV_OK : left_alone(p, txt, not_regular_why(errno));
    sync_message_info m;
    int ok = rv_sync_message_parse(text, &m);
    free(text);
    if (!ok) return left_alone(p, txt, "not an Asterisk message file (no [message] with origtime)");
    const char *origtime = m.origtime, *callerid = m.callerid, *msg_id = m.msg_id;
    char key[600];
    if (msg_id[0]) snprintf(key, sizeof key, "msg:%.200s/%.40s/%.119s", ctx, mb, msg_id);
    else snprintf(key, sizeof key, "msg:%.200s/%.40s/%.31s-%.199s", ctx, mb, origtime, callerid);
    for (char *k = key; *k; k++)
        if (*k == '\t' || *k == '\n') *k = ' ';
    if (rv_sync_state_get(p->st, key)) return RV_OK; /* sent, whatever folder it is in now */
    int found = recording(dir, base, path, sizeof path);
    if (found < 0) return left_alone(p, path, not_regular_why(errno));
    if (!found) {
        fprintf(p->o->log, "pbx-sync: %s: no recording beside it (msg*.wav16, .wav, .WAV or .gsm): skipped\n", txt);
        p->c->skipped++;
        return rv_sync_state_put(p->st, key, "skipped no-audio", p->err);
    }
    /* the caller's number: what is inside the last <...> (a name may hold
     * one of its own: "<x> Name" <+46...>), + and digits */
    const char *lt = strrchr(callerid, '<');
    char idem[200];
    snprintf(idem, sizeof idem, "asterisk:%.180s", key + 4);
    char label[300];
    snprintf(label, sizeof label, "%.120s/%.40s: voicemail %.60s", ctx, mb, base);
    return send_message(p, label, mb, key, path, lt ? lt + 1 : callerid, (long long)strtoll(origtime, NULL, 10), idem);
}

/* Every folder of a mailbox (INBOX, Old, Urgent, Work ...), its greetings
 * and recorded name. */
static rv_err sync_mailbox(sync_pass *p, const char *ctx, const char *mb, const char *dir)
{
    rv_err rc = sync_recording(p, ctx, mb, dir, 0);
    if (rc == RV_OK && !p->down) rc = sync_recording(p, ctx, mb, dir, 1);
    DIR *d = rc == RV_OK ? opendir(dir) : NULL;
    if (rc == RV_OK && !d) rc = unreadable(p, dir);
    struct dirent *de;
    while (d && rc == RV_OK && !p->down && (de = readdir(d))) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "tmp") == 0) continue;
        char folder[4400];
        snprintf(folder, sizeof folder, "%.3000s/%.255s", dir, de->d_name);
        struct stat sb;
        if (lstat(folder, &sb) != 0) {
            if (errno != ENOENT) rc = unreadable(p, folder);
            continue;
        }
        if (S_ISLNK(sb.st_mode)) {
            rc = left_alone(p, folder, not_regular_why(ELOOP));
            continue;
        }
        if (!S_ISDIR(sb.st_mode)) continue;
        /* messages in name order, so that they are sent as they came */
        struct dirent **names = NULL;
        int n = scandir(folder, &names, NULL, alphasort);
        if (n < 0) rc = unreadable(p, folder);
        for (int i = 0; i < n; i++) {
            const char *nm = names[i]->d_name;
            size_t l = strlen(nm);
            if (rc == RV_OK && !p->down && strncmp(nm, "msg", 3) == 0 && l > 4) {
                const char *dot = strrchr(nm, '.');
                char base[256];
                snprintf(base, sizeof base, "%.*s", (int)(dot ? dot - nm : (long)l), nm);
                char txt[4400];
                snprintf(txt, sizeof txt, "%.3500s/%.255s.txt", folder, base);
                if (dot && strcmp(dot, ".txt") == 0) rc = sync_message(p, ctx, mb, folder, base);
                else if (access(txt, F_OK) != 0) { /* Asterisk writes the .txt last: not complete yet */
                    char pick[4400];
                    const char *slash;
                    if (recording(folder, base, pick, sizeof pick) > 0 && (slash = strrchr(pick, '/')) &&
                        strcmp(slash + 1, nm) == 0)
                        p->c->waiting++; /* once a message, whatever formats it is in */
                }
            }
            free(names[i]);
        }
        free(names);
    }
    if (d) closedir(d);
    return rc;
}

/* 1 when path is a folder of the spool itself, not a link out of it (a
 * link is said once, into *rc when the state cannot be written; a folder
 * that cannot be read is said each pass). */
static int spool_dir(sync_pass *p, const char *path, rv_err *rc)
{
    struct stat sb;
    if (lstat(path, &sb) != 0) {
        if (errno != ENOENT) *rc = unreadable(p, path);
        return 0;
    }
    if (S_ISLNK(sb.st_mode)) *rc = left_alone(p, path, not_regular_why(ELOOP));
    return S_ISDIR(sb.st_mode);
}

/* The end of a pass that stopped early: why, for the log. */
static rv_err pass_end(const sync_pass *p, rv_err rc)
{
    if (rc != RV_OK || !p->down) return rc;
    if (rv_sync_stopped(p->o))
        return rv_error_set(p->err, RV_ERR_STOPPING, "stopped by a signal; the rest is sent on the next pass");
    return rv_error_set(p->err, RV_ERR_STOPPING, "%s stayed unreachable; the rest is sent on the next pass",
                        p->o->server);
}

static int context_wanted(const char *contexts, const char *ctx)
{
    if (!contexts || !*contexts) return 1;
    size_t l = strlen(ctx);
    for (const char *c = contexts; *c;) {
        size_t n = strcspn(c, ":");
        if (n == l && strncmp(c, ctx, l) == 0) return 1;
        c += n + (c[n] == ':');
    }
    return 0;
}

rv_err rv_sync_asterisk(const rv_sync_opts *o, const char *context, const char *mailbox, rv_sync_counts *c,
                        rv_error *err)
{
    memset(c, 0, sizeof *c);
    if (!o->spool || !o->server || !o->token || !o->state_path)
        return rv_error_set(err, RV_ERR_ARG, "the spool, the server, a token and a state file are needed");
    sync_state st;
    rv_err rc = rv_sync_state_open(&st, o->state_path, err);
    if (rc != RV_OK) {
        rv_sync_state_close(&st);
        return rc;
    }
    sync_pass p = {o, &st, c, err, 0};
    DIR *top = opendir(o->spool);
    if (!top) {
        rv_sync_state_close(&st);
        return rv_error_set(err, RV_ERR_IO, "cannot read the spool %s: %s", o->spool, strerror(errno));
    }
    struct dirent *ce;
    while (rc == RV_OK && !p.down && (ce = readdir(top))) {
        if (ce->d_name[0] == '.' || !context_wanted(o->contexts, ce->d_name)) continue;
        if (context && strcmp(context, ce->d_name) != 0) continue;
        char cdir[4200];
        snprintf(cdir, sizeof cdir, "%.2000s/%.255s", o->spool, ce->d_name);
        int is_dir = spool_dir(&p, cdir, &rc);
        DIR *cd = is_dir ? opendir(cdir) : NULL;
        if (is_dir && !cd && rc == RV_OK) rc = unreadable(&p, cdir);
        struct dirent *me;
        while (cd && rc == RV_OK && !p.down && (me = readdir(cd))) {
            if (!all_digits(me->d_name) || strlen(me->d_name) > 20) continue; /* rostvakt's mailboxes are digits */
            if (mailbox && strcmp(mailbox, me->d_name) != 0) continue;
            char mdir[4400];
            snprintf(mdir, sizeof mdir, "%.2500s/%.255s", cdir, me->d_name);
            if (spool_dir(&p, mdir, &rc) && rc == RV_OK) rc = sync_mailbox(&p, ce->d_name, me->d_name, mdir);
        }
        if (cd) closedir(cd);
    }
    closedir(top);
    rv_sync_state_close(&st);
    return pass_end(&p, rc);
}

/* ---- FreeSWITCH's mod_voicemail database ---- */

typedef struct {
    char user[64], uuid[80], number[64], path[1024];
    long long epoch;
} fs_msg;

typedef struct {
    char user[64], name[1024], greeting[1024];
} fs_pref;

static void col(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

/* A stored path as it is, or under storage when relative. With storage,
 * the path resolved (links and "..") must lie inside it: 1 with out, 0
 * when it leads outside (out: the path as stored), -1 with errno when it
 * cannot be resolved (not there yet). */
static int fs_path(const char *storage, const char *path, char *out, size_t cap)
{
    if (path[0] == '/' || !storage || !*storage) snprintf(out, cap, "%s", path);
    else snprintf(out, cap, "%.2000s/%.1000s", storage, path);
    if (!storage || !*storage) return 1;
    char *real = realpath(out, NULL), *top = realpath(storage, NULL);
    int r = -1;
    if (real && top) {
        size_t l = strlen(top);
        r = strncmp(real, top, l) == 0 && (real[l] == '/' || strcmp(top, "/") == 0);
        if (r) snprintf(out, cap, "%s", real);
    }
    int e = errno;
    free(real);
    free(top);
    errno = e;
    return r;
}

rv_err rv_sync_freeswitch(const rv_sync_opts *o, const char *db_path, const char *storage, rv_sync_counts *c,
                          rv_error *err)
{
    memset(c, 0, sizeof *c);
    if (!db_path || !o->server || !o->token || !o->state_path)
        return rv_error_set(err, RV_ERR_ARG, "the database, the server, a token and a state file are needed");
    /* read what is there and let go at once: never hold the PBX's database */
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rv_err rc = rv_error_set(err, RV_ERR_IO, "cannot open %s: %s", db_path, db ? sqlite3_errmsg(db) : "?");
        sqlite3_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db, 2000);
    fs_msg *msgs = NULL;
    fs_pref *prefs = NULL;
    size_t n_msgs = 0, n_prefs = 0, cap_m = 0, cap_p = 0;
    rv_err rc = RV_OK;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT username, uuid, created_epoch, cid_number, file_path FROM voicemail_msgs"
                           " ORDER BY created_epoch, uuid",
                           -1, &st, NULL) != SQLITE_OK)
        rc = sqlite3_errcode(db) == SQLITE_BUSY
                 ? rv_error_set(err, RV_ERR_BUSY, "the PBX holds %s (locked for 2 s); tried again next pass", db_path)
                 : rv_error_set(err, RV_ERR_CONFIG, "%s is not mod_voicemail's database: %s", db_path,
                                sqlite3_errmsg(db));
    int r;
    while (rc == RV_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
        if (n_msgs == cap_m) {
            cap_m = cap_m ? cap_m * 2 : 64;
            fs_msg *nm = realloc(msgs, cap_m * sizeof *nm);
            if (!nm) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); break; }
            msgs = nm;
        }
        fs_msg *m = &msgs[n_msgs++];
        col(st, 0, m->user, sizeof m->user);
        col(st, 1, m->uuid, sizeof m->uuid);
        m->epoch = sqlite3_column_int64(st, 2);
        col(st, 3, m->number, sizeof m->number);
        col(st, 4, m->path, sizeof m->path);
    }
    if (rc == RV_OK && r != SQLITE_DONE)
        rc = r == SQLITE_BUSY
                 ? rv_error_set(err, RV_ERR_BUSY, "the PBX holds %s (locked for 2 s); tried again next pass", db_path)
                 : rv_error_set(err, RV_ERR_IO, "cannot read %s: %s", db_path, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    st = NULL;
    if (rc == RV_OK &&
        sqlite3_prepare_v2(db, "SELECT username, name_path, greeting_path FROM voicemail_prefs", -1, &st, NULL) ==
            SQLITE_OK) { /* no prefs table: no greetings, not an error */
        while (rc == RV_OK && sqlite3_step(st) == SQLITE_ROW) {
            if (n_prefs == cap_p) {
                cap_p = cap_p ? cap_p * 2 : 64;
                fs_pref *np = realloc(prefs, cap_p * sizeof *np);
                if (!np) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); break; }
                prefs = np;
            }
            fs_pref *q = &prefs[n_prefs++];
            col(st, 0, q->user, sizeof q->user);
            col(st, 1, q->name, sizeof q->name);
            col(st, 2, q->greeting, sizeof q->greeting);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    sync_state stt;
    if (rc == RV_OK) rc = rv_sync_state_open(&stt, o->state_path, err);
    else memset(&stt, 0, sizeof stt);
    sync_pass p = {o, &stt, c, err, 0};
    for (size_t i = 0; rc == RV_OK && !p.down && i < n_msgs; i++) {
        fs_msg *m = &msgs[i];
        char key[200], path[3200], label[200], idem[200];
        snprintf(key, sizeof key, "fsmsg:%.100s", m->uuid);
        if (!all_digits(m->user) || strlen(m->user) > 20 || !m->uuid[0] || rv_sync_state_get(&stt, key)) continue;
        int where = fs_path(storage, m->path, path, sizeof path);
        snprintf(label, sizeof label, "%.40s: voicemail %.80s", m->user, m->uuid);
        snprintf(idem, sizeof idem, "freeswitch:%.100s", m->uuid);
        if (where == 0) {
            rc = left_alone(&p, path, "outside --storage, not read");
            continue;
        }
        if (where < 0 || access(path, R_OK) != 0) {
            fprintf(o->log, "pbx-sync: %s: cannot read %s: %s; tried again next pass\n", label, path, strerror(errno));
            c->refused++;
            continue;
        }
        rc = send_message(&p, label, m->user, key, path, m->number, m->epoch, idem);
    }
    for (size_t i = 0; rc == RV_OK && !p.down && i < n_prefs; i++) {
        fs_pref *q = &prefs[i];
        if (!all_digits(q->user) || strlen(q->user) > 20) continue;
        char path[3200];
        for (int name = 0; name < 2 && rc == RV_OK && !p.down; name++) {
            const char *stored = name ? q->name : q->greeting;
            if (!stored[0]) continue;
            if (fs_path(storage, stored, path, sizeof path) == 0)
                rc = left_alone(&p, path, "outside --storage, not read");
            else rc = send_recording(&p, q->user, q->user, path, name);
        }
    }
    free(msgs);
    free(prefs);
    rv_sync_state_close(&stt);
    return pass_end(&p, rc);
}
