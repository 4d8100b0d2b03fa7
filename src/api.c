/* What the API's handlers share: page sizes, audio types, jobs handed to
 * other threads and their answers, and recordings served whole or in a
 * range. The handlers themselves are in api_mailboxes.c, api_voicemails.c
 * and api_admin.c. */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rostvakt/calendar.h"
#include "rostvakt/organisation.h"

int rv_unit_filter(rv_req *r, const char **unit, rv_answer *ret)
{
    *unit = rv_req_arg(r, "unit");
    if (*unit && (!**unit || strlen(*unit) > 191)) {
        *ret = rv_reply_error(r, RV_ERR_ARG, "unit must be a unit's name, 1 to 191 bytes");
        return 0;
    }
    return 1;
}

int rv_page_limit(rv_req *r, int *limit, rv_answer *ret)
{
    const char *v = rv_req_arg(r, "limit");
    if (!v) return 1;
    long long l = rv_parse_id(v, strlen(v));
    if (l < 1 || l > 500) {
        *ret = rv_reply_error(r, RV_ERR_ARG, "limit must be 1..500");
        return 0;
    }
    *limit = (int)l;
    return 1;
}

int rv_api_org_filter(rv_server *s, rv_req *r, rv_scope *sc, char *buf, rv_answer *ret)
{
    const char *org = rv_req_arg(r, "organisation");
    if (!org) return 1;
    int ok = rv_org_id_valid(org) && rv_orgs_has(rv_req_caller(r)->orgs, org);
    if (ok) {
        rv_org o;
        rv_error e;
        rv_err rc;
        RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES, rv_store_get_org(s->db.store, org, &o, &e));
        if (rc != RV_OK && rc != RV_ERR_NOT_FOUND) {
            *ret = rv_reply_rv_error(r, &e);
            return 0;
        }
        ok = rc == RV_OK;
    }
    if (!ok) { /* worded alike: another authority's is as if there were none */
        *ret = rv_reply_error(r, RV_ERR_UNPROCESSABLE, "organisation: no such organisation");
        return 0;
    }
    snprintf(buf, RV_ORG_ID_MAX + 3, ",%s,", org);
    sc->orgs = buf;
    return 1;
}

/* One date filter: a local date of cal, or an instant. */
static int one_date(rv_calendar cal, const char *v, int end, char out[32])
{
    long day;
    if (rv_parse_date(v, &day)) {
        rv_local_day_start(cal, day + (end ? 1 : 0), out);
        return 1;
    }
    return rv_rfc3339_utc(v, out);
}

int rv_api_calendar(rv_server *s, rv_req *r, rv_calendar *cal, rv_answer *ret)
{
    const rv_caller *who = rv_req_caller(r);
    rv_org *v = NULL;
    size_t n = 0;
    rv_error e;
    rv_err rc;
    *cal = RV_CAL_SE;
    /* organisation= one of theirs: that one's calendar */
    const char *one = rv_req_arg(r, "organisation"), *orgs = who->orgs;
    char only[RV_ORG_ID_MAX + 3];
    if (one && rv_org_id_valid(one) && rv_orgs_has(who->orgs, one)) {
        snprintf(only, sizeof only, ",%s,", one);
        orgs = only;
    }
    RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES, rv_store_list_orgs(s->db.store, orgs, &v, &n, &e));
    if (rc != RV_OK) {
        *ret = rv_reply_rv_error(r, &e);
        return 0;
    }
    rv_calendar first = RV_CAL_SE;
    for (size_t i = 0; i < n; i++) {
        rv_calendar c = rv_calendar_or(v[i].calendar, RV_CAL_SE);
        if (i == 0) first = c;
        else if (c != first) break;
        if (i + 1 == n) *cal = first; /* every one the same */
    }
    free(v);
    return 1;
}

int rv_api_dates(rv_req *r, rv_calendar cal, const char **from, const char **to, char from_buf[32], char to_buf[32],
                 rv_answer *ret)
{
    const char *f = rv_req_arg(r, "from"), *t = rv_req_arg(r, "to");
    *from = *to = NULL;
    if ((f && !one_date(cal, f, 0, from_buf)) || (t && !one_date(cal, t, 1, to_buf))) {
        *ret = rv_reply_error(r, RV_ERR_ARG, "from and to must be dates (YYYY-MM-DD, local time) or RFC 3339 instants");
        return 0;
    }
    if (f) *from = from_buf;
    if (t) *to = to_buf;
    return 1;
}

static const char *const audio_types[] = {"audio/wav",  "audio/x-wav", "audio/basic", "audio/flac",
                                          "audio/ogg",  "audio/mpeg",  "audio/x-gsm", "application/octet-stream"};

const char *rv_audio_type(rv_req *r, rv_answer *ret)
{
    const char *ct = rv_req_header(r, "Content-Type");
    char type[64] = "";
    if (ct) snprintf(type, sizeof type, "%.*s", (int)strcspn(ct, "; "), ct);
    for (size_t k = 0; k < sizeof audio_types / sizeof *audio_types; k++)
        if (strcasecmp(type, audio_types[k]) == 0) return audio_types[k];
    *ret = rv_reply_error(r, RV_ERR_AUDIO_FORMAT,
                          "Content-Type must be audio/wav, audio/x-wav, audio/basic, audio/flac, audio/ogg, audio/mpeg, "
                          "audio/x-gsm or application/octet-stream");
    return NULL;
}

/* ---- work handed to another thread while the connection waits ---- */

static void job_cleanup(void *p)
{
    rv_job *j = p;
    free(j->out);
}

rv_job *rv_api_job_new(rv_req *r) { return rv_req_keep(r, sizeof(rv_job), job_cleanup); }

/* The answer a job thread left. */
static rv_answer job_answer(rv_server *s, rv_req *r, void *state)
{
    (void)s;
    rv_job *j = state;
    if (j->code != RV_OK) return rv_reply_rv_error(r, &j->err);
    char *out = j->out;
    j->out = NULL;
    return rv_reply_bytes(r, j->status, out, j->out_len, j->out_type,
                          j->out_disposition[0] ? "Content-Disposition" : NULL, j->out_disposition);
}

rv_answer rv_api_hand_over(rv_server *s, rv_req *r, rv_job *j, int *handed)
{
    const rv_caller *who = rv_req_caller(r);
    *handed = 0;
    snprintf(j->actor, sizeof j->actor, "%s", who->name);
    snprintf(j->remote, sizeof j->remote, "%s", who->remote);
    j->waiter = rv_req_wait(r, job_answer, j);
    if (!rv_job_submit(s->workers, j)) return rv_reply_error(r, RV_ERR_STOPPING, "the service is stopping; try again later");
    *handed = 1;
    return 1;
}

/* ---- recordings ---- */

rv_answer rv_api_send_audio(rv_server *s, rv_req *r, const char *sha, const rv_audio_loc *loc, const char *ct,
                            const char *action, long long vm, const char *ext, const char *detail)
{
    const rv_caller *who = rv_req_caller(r);
    rv_error e;
    /* read outside the lock; the bytes are checked against their hash. A
     * range of audio in the database reads only the chunks that hold it
     * (all then holds the range alone: off is where from is in all). */
    unsigned char *all = NULL;
    size_t all_len = 0, off = 0;
    unsigned long long size = loc->blob.len, from = 0, to = size ? size - 1 : 0;
    int partial = 0;
    if (loc->in_db && (partial = rv_byte_range(rv_req_header(r, "Range"), size, &from, &to)) > 0) {
        if (rv_store_load_audio_range(s->db.store, loc, (size_t)from, (size_t)(to - from + 1), &all, &e) != RV_OK)
            return rv_reply_error(r, RV_ERR_IO, e.msg);
    } else if (partial == 0) {
        if (rv_store_load_audio(s->db.store, sha, loc, (size_t)-1, &all, &all_len, &e) != RV_OK)
            return rv_reply_error(r, RV_ERR_IO, e.msg);
        size = all_len, from = 0, to = size ? size - 1 : 0;
        partial = rv_byte_range(rv_req_header(r, "Range"), size, &from, &to);
        off = (size_t)from;
    }
    if (partial < 0) {
        free(all);
        char cr[64];
        snprintf(cr, sizeof cr, "bytes */%llu", size);
        const char *h[] = {"Content-Range", cr, NULL};
        return rv_reply_empty(r, 416, h);
    }
    if (!rv_req_is_head(r) && rv_audit(&s->db, who->name, who->remote, action, vm, ext, detail, &e) != RV_OK) {
        free(all);
        return rv_reply_rv_error(r, &e);
    }
    size_t len = size ? (size_t)(to - from + 1) : 0;
    char *buf = (char *)all;
    if (off > 0) memmove(buf, buf + off, len);
    char cr[96];
    snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", from, to, size);
    const char *h[] = {"Content-Type", ct, "Accept-Ranges", "bytes", partial ? "Content-Range" : NULL, cr, NULL};
    if (!buf) buf = malloc(1); /* an empty recording: an empty body, not a failure */
    return rv_reply(r, partial ? 206 : 200, buf, len, h);
}

/* ---- whose records a caller may see ---- */

rv_scope rv_caller_scope(const rv_caller *who)
{
    return (rv_scope){.orgs = who->orgs[0] ? who->orgs : NULL,
                      .manager = who->role == RV_ROLE_MANAGER ? who->name : NULL,
                      .units = who->role == RV_ROLE_MANAGER && who->units[0] ? who->units : NULL};
}

int rv_api_gate(rv_server *s, rv_req *r, const rv_route *rt, const rv_path *p, rv_answer *ret)
{
    const rv_caller *who = rv_req_caller(r);
    rv_scope sc = rv_caller_scope(who);
    if (!sc.orgs && !sc.manager) return 1;
    int mailbox = strncmp(rt->path, "/v1/mailboxes/{ext}", 19) == 0;
    int voicemail = strncmp(rt->path, "/v1/voicemails/{id}", 19) == 0;
    if (!(mailbox && rv_ext_valid(p->ext)) && !voicemail) return 1;
    char org[48];
    int seen = 0;
    rv_error e;
    pthread_mutex_lock(&s->db.lock);
    int found = rv_store_whose(s->db.store, mailbox ? p->ext : NULL, mailbox ? 0 : p->id, &sc, org, &seen, &e);
    pthread_mutex_unlock(&s->db.lock);
    if (found < 0) {
        *ret = rv_reply_rv_error(r, &e);
        return 0;
    }
    if (seen) return 1;
    /* none there: said here as for another's, before the handler judges a
     * body, so that nothing tells the two apart; but a mailbox that is not
     * there may be made */
    if (!found && strcmp(rt->method, "PUT") == 0 && strcmp(rt->path, "/v1/mailboxes/{ext}") == 0) return 1;
    char msg[96]; /* another authority's, or another manager's: as if there were none */
    if (voicemail) snprintf(msg, sizeof msg, "no voicemail %lld", p->id);
    else if (strcmp(rt->path, "/v1/mailboxes/{ext}") == 0) snprintf(msg, sizeof msg, "no such mailbox");
    else snprintf(msg, sizeof msg, "no mailbox %s", p->ext);
    *ret = rv_reply_error(r, RV_ERR_NOT_FOUND, msg);
    return 0;
}

/* ---- JSON of the store's rows ---- */

json_t *rv_json_str(const char *text) { return text ? json_string(text) : json_null(); }

json_t *rv_json_split(const char *s)
{
    json_t *a = json_array();
    while (a && s && *s) {
        size_t n = strcspn(s, ",");
        json_array_append_new(a, json_stringn(s, n));
        s += n + (s[n] == ',');
    }
    return a;
}

json_t *rv_json_audit_text(const char *text)
{
    const unsigned char *t = (const unsigned char *)text;
    if (!t) return json_null();
    json_t *j = json_string((const char *)t);
    if (j) return j;
    size_t n = strlen((const char *)t);
    char *buf = malloc(n * 4 + 1);
    if (!buf) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] < 0x80) buf[o++] = (char)t[i];
        else { /* a whole character stays; a stray byte is escaped */
            size_t k = t[i] >= 0xF0 ? 4 : t[i] >= 0xE0 ? 3 : t[i] >= 0xC2 ? 2 : 1, m = 1;
            while (k > 1 && m < k && i + m < n && (t[i + m] & 0xC0) == 0x80) m++;
            char one[5] = "";
            if (k > 1 && m == k) {
                memcpy(one, t + i, k);
                json_t *probe = json_string(one);
                if (probe) {
                    json_decref(probe);
                    memcpy(buf + o, one, k);
                    o += k, i += k - 1;
                    continue;
                }
            }
            o += (size_t)sprintf(buf + o, "\\x%02X", t[i]);
        }
    }
    buf[o] = '\0';
    j = json_string(buf);
    free(buf);
    return j;
}
