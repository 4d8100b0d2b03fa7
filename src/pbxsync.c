/* rostvakt pbx-sync (pbxsync.h): Asterisk's voicemail spool to the
 * service's API over libcurl, with a state file of what was sent. */
#include "rostvakt/pbxsync.h"

#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the state: "key<TAB>value" lines, the last for a key wins ---- */

typedef struct entry {
    char *key, *value;
    struct entry *next;
} entry;

typedef struct {
    entry *bucket[4096];
    FILE *f;
} state;

static unsigned hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h % 4096;
}

static const char *state_get(const state *st, const char *key)
{
    for (const entry *e = st->bucket[hash(key)]; e; e = e->next)
        if (strcmp(e->key, key) == 0) return e->value;
    return NULL;
}

static int state_put_mem(state *st, const char *key, const char *value)
{
    unsigned h = hash(key);
    for (entry *e = st->bucket[h]; e; e = e->next)
        if (strcmp(e->key, key) == 0) {
            char *v = strdup(value);
            if (!v) return -1;
            free(e->value);
            e->value = v;
            return 0;
        }
    entry *e = calloc(1, sizeof *e);
    if (!e || !(e->key = strdup(key)) || !(e->value = strdup(value))) {
        if (e) free(e->key);
        free(e);
        return -1;
    }
    e->next = st->bucket[h];
    st->bucket[h] = e;
    return 0;
}

/* Remember key = value: in memory and on disk (appended, fsync'ed) before
 * the next upload, so that a crash repeats at most the last one, which the
 * service then recognises by its Idempotency-Key. */
static rv_err state_put(state *st, const char *key, const char *value, rv_error *err)
{
    if (state_put_mem(st, key, value) != 0) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    if (fprintf(st->f, "%s\t%s\n", key, value) < 0 || fflush(st->f) != 0 || fsync(fileno(st->f)) != 0)
        return rv_error_set(err, RV_ERR_IO, "cannot write the state file: %s", strerror(errno));
    return RV_OK;
}

static rv_err state_open(state *st, const char *path, rv_error *err)
{
    memset(st, 0, sizeof *st);
    FILE *f = fopen(path, "r");
    if (f) {
        char line[2048];
        int n = 0;
        while (fgets(line, sizeof line, f)) {
            n++;
            line[strcspn(line, "\n")] = '\0';
            char *tab = strchr(line, '\t');
            if (!line[0]) continue;
            if (!tab) { /* a line cut by a crash is the last; anything else is damage */
                if (!feof(f) && fgetc(f) != EOF) {
                    fclose(f);
                    return rv_error_set(err, RV_ERR_CONFIG, "%s:%d is damaged", path, n);
                }
                break;
            }
            *tab = '\0';
            if (state_put_mem(st, line, tab + 1) != 0) {
                fclose(f);
                return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
            }
        }
        fclose(f);
    } else if (errno != ENOENT)
        return rv_error_set(err, RV_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0 || !(st->f = fdopen(fd, "a"))) {
        if (fd >= 0) close(fd);
        return rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    }
    return RV_OK;
}

static void state_close(state *st)
{
    for (size_t i = 0; i < 4096; i++)
        for (entry *e = st->bucket[i], *next; e; e = next) {
            next = e->next;
            free(e->key);
            free(e->value);
            free(e);
        }
    if (st->f) fclose(st->f);
}

/* ---- the service ---- */

typedef struct {
    char buf[2048];
    size_t len;
} answer;

static size_t collect(char *p, size_t sz, size_t n, void *u)
{
    answer *a = u;
    size_t k = sz * n;
    if (a->len + k < sizeof a->buf) {
        memcpy(a->buf + a->len, p, k);
        a->len += k;
        a->buf[a->len] = '\0';
    }
    return k;
}

/* The file at path as the body of method url, with headers (NULL-ended):
 * the HTTP status, or 0 when the service could not be reached, after up to
 * o->max_tries tries with a growing pause while it is unreachable or
 * answers 503. */
static long send_file(const rv_sync_opts *o, const char *method, const char *url, const char *path,
                      const char *const *headers, answer *a)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    struct stat sb;
    char *body = NULL;
    size_t len = 0;
    if (fstat(fileno(f), &sb) == 0 && sb.st_size >= 0 && sb.st_size < (64 << 20) &&
        (body = malloc((size_t)sb.st_size + 1)))
        len = fread(body, 1, (size_t)sb.st_size, f);
    fclose(f);
    if (!body) return -1;
    long status = 0;
    int pause = 1;
    for (int tries = 0; tries < (o->max_tries > 0 ? o->max_tries : 1); tries++) {
        if (tries) {
            fprintf(o->log, "pbx-sync: %s unreachable; trying again in %d s\n", o->server, pause);
            fflush(o->log);
            sleep((unsigned)pause);
            pause = pause * 2 > 30 ? 30 : pause * 2;
        }
        CURL *c = curl_easy_init();
        if (!c) break;
        struct curl_slist *h = NULL;
        char auth[160];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->token);
        h = curl_slist_append(h, auth);
        h = curl_slist_append(h, "Content-Type: audio/wav");
        h = curl_slist_append(h, "Expect:");
        for (size_t i = 0; headers && headers[i]; i++) h = curl_slist_append(h, headers[i]);
        memset(a, 0, sizeof *a);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
        status = 0;
        if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        if (status != 0 && status != 503) break;
        status = 0;
    }
    free(body);
    return status;
}

/* The "message" of an error answer, or the whole body. */
static const char *why(const answer *a)
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

/* The recording base.{wav,WAV,gsm} in dir that rostvakt reads: PCM WAV
 * first, then WAV49 (GSM in WAV); raw .gsm has no header and is not read.
 * 1 with path; 0 when there is none; -1 when there is only raw GSM. */
static int recording(const char *dir, const char *base, char *path, size_t cap)
{
    static const char *const ext[] = {"wav", "WAV"};
    struct stat sb;
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, cap, "%.3800s/%.255s.%s", dir, base, ext[i]);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) return 1;
    }
    snprintf(path, cap, "%.3800s/%.255s.gsm", dir, base);
    return stat(path, &sb) == 0 ? -1 : 0;
}

/* "name:size:mtime" of path: a greeting or name recording changed when it changes. */
static void fingerprint(const char *path, char *out, size_t cap)
{
    struct stat sb;
    const char *b = strrchr(path, '/');
    if (stat(path, &sb) != 0) snprintf(out, cap, "?");
    else snprintf(out, cap, "%.200s:%lld:%lld", b ? b + 1 : path, (long long)sb.st_size, (long long)sb.st_mtime);
}

typedef struct {
    const rv_sync_opts *o;
    state *st;
    rv_sync_counts *c;
    rv_error *err;
    int down; /* the service was unreachable: end the pass */
} pass;

/* A greeting (unavail, busy, temp: the absence greeting wins) or the
 * recorded name (greet) of mailbox, sent when it is new or changed. */
static rv_err sync_recording(pass *p, const char *ctx, const char *mb, const char *dir, int name)
{
    char path[4200], fp[300], key[400], url[600];
    int found = 0;
    const char *bases[] = {"temp", "unavail", "busy"};
    if (name) found = recording(dir, "greet", path, sizeof path);
    else
        for (size_t i = 0; i < 3 && found <= 0; i++) found = recording(dir, bases[i], path, sizeof path);
    if (found == 0) return RV_OK;
    snprintf(key, sizeof key, "%s:%s/%s", name ? "name" : "greeting", ctx, mb);
    if (found < 0) {
        if (!state_get(p->st, key)) {
            fprintf(p->o->log, "pbx-sync: %s/%s: the %s is raw GSM only; set format=wav49|wav in voicemail.conf\n",
                    ctx, mb, name ? "recorded name" : "greeting");
            p->c->skipped++;
            return state_put(p->st, key, "raw-gsm", p->err);
        }
        return RV_OK;
    }
    fingerprint(path, fp, sizeof fp);
    const char *was = state_get(p->st, key);
    if (was && (strcmp(was, fp) == 0 || (strncmp(was, "refused ", 8) == 0 && strcmp(was + 8, fp) == 0))) return RV_OK;
    snprintf(url, sizeof url, "%s/v1/mailboxes/%s/%s", p->o->server, mb, name ? "name-recording" : "greeting");
    answer a;
    long status = send_file(p->o, "PUT", url, path, NULL, &a);
    if (status == 0) {
        p->down = 1;
        return RV_OK;
    }
    if (status == 200) {
        fprintf(p->o->log, "pbx-sync: %s/%s: %s sent (%s)\n", ctx, mb, name ? "recorded name" : "greeting", path);
        name ? p->c->names++ : p->c->greetings++;
        return state_put(p->st, key, fp, p->err);
    }
    fprintf(p->o->log, "pbx-sync: %s/%s: %s refused (%ld: %s)\n", ctx, mb, name ? "recorded name" : "greeting", status,
            status < 0 ? "cannot read it" : why(&a));
    p->c->refused++;
    if (status == 415 || status == 422 || status == 413) { /* this file will not do: not again until it changes */
        char v[320];
        snprintf(v, sizeof v, "refused %s", fp);
        return state_put(p->st, key, v, p->err);
    }
    return RV_OK;
}

/* msgNNNN.txt's "key=value" of [message], into out (cap bytes); 1 when found. */
static int ini_value(const char *text, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, key, kl) == 0 && l[kl] == '=') {
            size_t n = strcspn(l + kl + 1, "\r\n");
            snprintf(out, cap, "%.*s", (int)n, l + kl + 1);
            return 1;
        }
    }
    return 0;
}

/* One message: its .txt is there, so its audio is complete. */
static rv_err sync_message(pass *p, const char *ctx, const char *mb, const char *dir, const char *base)
{
    char txt[4200], path[4200], text[8192] = "", origtime[32] = "", callerid[200] = "", msg_id[120] = "";
    snprintf(txt, sizeof txt, "%.3800s/%.255s.txt", dir, base);
    FILE *f = fopen(txt, "r");
    if (f) {
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
    }
    ini_value(text, "origtime", origtime, sizeof origtime);
    ini_value(text, "callerid", callerid, sizeof callerid);
    ini_value(text, "msg_id", msg_id, sizeof msg_id);
    if (!strstr(text, "[message]") || !all_digits(origtime)) {
        char key[4300];
        snprintf(key, sizeof key, "bad:%.4200s", txt);
        if (!state_get(p->st, key)) { /* said once, not every pass */
            fprintf(p->o->log, "pbx-sync: %s: not an Asterisk message file (no [message] with origtime): left alone\n",
                    txt);
            p->c->refused++;
            return state_put(p->st, key, "logged", p->err);
        }
        return RV_OK;
    }
    char key[600];
    if (msg_id[0]) snprintf(key, sizeof key, "msg:%s/%s/%s", ctx, mb, msg_id);
    else snprintf(key, sizeof key, "msg:%s/%s/%s-%s", ctx, mb, origtime, callerid);
    for (char *k = key; *k; k++)
        if (*k == '\t' || *k == '\n') *k = ' ';
    if (state_get(p->st, key)) return RV_OK; /* sent, whatever folder it is in now */
    int found = recording(dir, base, path, sizeof path);
    if (found <= 0) {
        fprintf(p->o->log, "pbx-sync: %s: %s\n", txt,
                found < 0 ? "raw GSM only; set format=wav49|wav in voicemail.conf" : "no recording beside it");
        p->c->skipped++;
        return state_put(p->st, key, found < 0 ? "skipped raw-gsm" : "skipped no-audio", p->err);
    }
    /* the caller's number: what is inside <...>, + and digits */
    char number[40] = "";
    const char *lt = strchr(callerid, '<');
    const char *from = lt ? lt + 1 : callerid;
    size_t k = 0;
    for (const char *q = from; *q && *q != '>' && k + 1 < sizeof number; q++)
        if (isdigit((unsigned char)*q) || (*q == '+' && k == 0)) number[k++] = *q;
    number[k] = '\0';
    time_t t = (time_t)strtoll(origtime, NULL, 10);
    struct tm tm;
    char at[80], num[80], idem[700], url[600];
    gmtime_r(&t, &tm);
    strftime(at, sizeof at, "X-Received-At: %Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(num, sizeof num, "X-Caller-Number: %s", number);
    snprintf(idem, sizeof idem, "Idempotency-Key: asterisk:%.180s", key + 4);
    for (char *q = idem + 17; *q; q++)
        if ((unsigned char)*q < 0x21 || (unsigned char)*q > 0x7e) *q = '_';
    const char *headers[] = {at, idem, number[0] ? num : NULL, NULL};
    snprintf(url, sizeof url, "%s/v1/mailboxes/%s/voicemails", p->o->server, mb);
    answer a;
    long status = send_file(p->o, "POST", url, path, headers, &a);
    if (status == 0) {
        p->down = 1;
        return RV_OK;
    }
    if (status == 201 || status == 200) {
        const char *id = strstr(a.buf, "\"id\":");
        char v[64];
        snprintf(v, sizeof v, "sent %lld", id ? atoll(id + 5) : 0LL);
        fprintf(p->o->log, "pbx-sync: %s/%s: voicemail %s sent as %s%s\n", ctx, mb, base, v + 5,
                status == 200 ? " (the service had it already)" : "");
        p->c->voicemails++;
        return state_put(p->st, key, v, p->err);
    }
    fprintf(p->o->log, "pbx-sync: %s/%s: voicemail %s refused (%ld: %s)%s\n", ctx, mb, base, status,
            status < 0 ? "cannot read it" : why(&a), status == 404 ? "; tried again next pass" : "");
    p->c->refused++;
    if (status == 415 || status == 422 || status == 413) {
        char v[80];
        snprintf(v, sizeof v, "refused %ld", status);
        return state_put(p->st, key, v, p->err);
    }
    return RV_OK;
}

/* Every folder of a mailbox (INBOX, Old, Urgent, Work ...), its greetings
 * and recorded name. */
static rv_err sync_mailbox(pass *p, const char *ctx, const char *mb, const char *dir)
{
    rv_err rc = sync_recording(p, ctx, mb, dir, 0);
    if (rc == RV_OK && !p->down) rc = sync_recording(p, ctx, mb, dir, 1);
    DIR *d = rc == RV_OK ? opendir(dir) : NULL;
    struct dirent *de;
    while (d && rc == RV_OK && !p->down && (de = readdir(d))) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "tmp") == 0) continue;
        char folder[4400];
        snprintf(folder, sizeof folder, "%.3000s/%.255s", dir, de->d_name);
        struct stat sb;
        if (stat(folder, &sb) != 0 || !S_ISDIR(sb.st_mode)) continue;
        /* messages in name order, so that they are sent as they came */
        struct dirent **names = NULL;
        int n = scandir(folder, &names, NULL, alphasort);
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
                else if (dot && (strcmp(dot, ".wav") == 0 || strcmp(dot, ".WAV") == 0 || strcmp(dot, ".gsm") == 0) &&
                         access(txt, F_OK) != 0 && strcmp(dot, ".gsm") != 0)
                    p->c->waiting++; /* Asterisk writes the .txt last: not complete yet */
            }
            free(names[i]);
        }
        free(names);
    }
    if (d) closedir(d);
    return rc;
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
    state st;
    rv_err rc = state_open(&st, o->state_path, err);
    if (rc != RV_OK) {
        state_close(&st);
        return rc;
    }
    pass p = {o, &st, c, err, 0};
    DIR *top = opendir(o->spool);
    if (!top) {
        state_close(&st);
        return rv_error_set(err, RV_ERR_IO, "cannot read the spool %s: %s", o->spool, strerror(errno));
    }
    struct dirent *ce;
    while (rc == RV_OK && !p.down && (ce = readdir(top))) {
        if (ce->d_name[0] == '.' || !context_wanted(o->contexts, ce->d_name)) continue;
        if (context && strcmp(context, ce->d_name) != 0) continue;
        char cdir[4200];
        snprintf(cdir, sizeof cdir, "%.2000s/%.255s", o->spool, ce->d_name);
        DIR *cd = opendir(cdir);
        struct dirent *me;
        while (cd && rc == RV_OK && !p.down && (me = readdir(cd))) {
            if (!all_digits(me->d_name) || strlen(me->d_name) > 20) continue; /* rostvakt's mailboxes are digits */
            if (mailbox && strcmp(mailbox, me->d_name) != 0) continue;
            char mdir[4400];
            snprintf(mdir, sizeof mdir, "%.2500s/%.255s", cdir, me->d_name);
            rc = sync_mailbox(&p, ce->d_name, me->d_name, mdir);
        }
        if (cd) closedir(cd);
    }
    closedir(top);
    state_close(&st);
    if (rc == RV_OK && p.down)
        rc = rv_error_set(err, RV_ERR_STOPPING, "%s stayed unreachable; the rest is sent on the next pass", o->server);
    return rc;
}
