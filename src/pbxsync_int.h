/* What pbx-sync's sources share (pbxsync.c, imapsync.c): the state file
 * of what was sent, and uploads to the service. */
#ifndef RV_PBXSYNC_INT_H
#define RV_PBXSYNC_INT_H

#include <stddef.h>
#include <stdio.h>

#include "rostvakt/pbxsync.h"

/* "key<TAB>value" lines, the last for a key wins; appended and fsync'ed
 * before the next upload, so that a crash repeats at most the last one,
 * which the service then recognises by its Idempotency-Key. A backslash,
 * tab, newline or carriage return in a key or value is written escaped
 * (\\ \t \n \r), so that no name from a spool or database can break a line. */
typedef struct sync_entry {
    char *key, *value;
    struct sync_entry *next;
} sync_entry;

typedef struct {
    sync_entry *bucket[4096];
    FILE *f;
} sync_state;

RV_MUST_USE rv_err rv_sync_state_open(sync_state *st, const char *path, rv_error *err);
/* The lines of f into st (zeroed first; rv_sync_state_close frees it, also
 * on error; st->f stays NULL); name is f's name in errors. RV_ERR_CONFIG
 * when a line other than the last (cut by a crash) has no tab or is longer
 * than RV_SYNC_LINE_MAX, RV_ERR_NOMEM. */
#define RV_SYNC_LINE_MAX 16384
RV_MUST_USE rv_err rv_sync_state_read(sync_state *st, FILE *f, const char *name, rv_error *err);
const char *rv_sync_state_get(const sync_state *st, const char *key);
RV_MUST_USE rv_err rv_sync_state_put(sync_state *st, const char *key, const char *value, rv_error *err);
void rv_sync_state_close(sync_state *st);

/* The service's answer, its first 16 KB. */
typedef struct {
    char buf[16384];
    size_t len;
} sync_answer;

/* body (len bytes, of the given Content-Type; NULL for a GET) to method
 * url with extra headers (NULL-ended) and the token: the HTTP status, or
 * 0 when the service could not be reached after o->max_tries tries with a
 * growing pause while it was unreachable or answered 503, or when *o->stop
 * was set (rv_sync_stopped). */
long rv_sync_send(const rv_sync_opts *o, const char *method, const char *url, const char *body, size_t len,
               const char *type, const char *const *headers, sync_answer *a);

/* 1 when a signal asked the run to stop (o->stop set and non-zero). */
int rv_sync_stopped(const rv_sync_opts *o);

/* The "message" of an error answer, or the start of the body. */
const char *rv_sync_why(const sync_answer *a);

/* What pbx-sync takes from an Asterisk msgNNNN.txt. */
typedef struct {
    char origtime[32], callerid[200], msg_id[120];
} sync_message_info;

/* text's [message] values (each cut to its field's size): 1 when it is a
 * message file (a [message] section and a numeric origtime), else 0. */
int rv_sync_message_parse(const char *text, sync_message_info *m);

/* An IMAP INTERNALDATE ("05-Dec-2026 10:00:00 +0100", the day may be
 * space-padded) as seconds since 1970: 1 with *epoch, 0 when it is not one. */
int rv_sync_internaldate(const char *s, long long *epoch);

/* The Content-Type a recording file is sent as, from its name. */
const char *rv_sync_audio_type(const char *name);

/* One pass's working set. */
typedef struct {
    const rv_sync_opts *o;
    sync_state *st;
    rv_sync_counts *c;
    rv_error *err;
    int down; /* the service was unreachable, or a signal asked to stop: end the pass */
} sync_pass;

/* One voicemail for mailbox mb: body (NULL: could not be read), received
 * at epoch (0: now), from caller (its + and digits count), sent with the
 * Idempotency-Key idem; logged under label. Sent: "sent ID" under key in
 * the state (key NULL: not recorded); refused as unusable (413, 415, 422):
 * "refused STATUS". A 400 about X-Caller-Number or X-Received-At sends it
 * again without that header (the service then takes its own time), with a
 * log line. *status (may be NULL) gets the HTTP status, 0 when the service
 * was unreachable (p->down set), -1 when body is NULL. */
RV_MUST_USE rv_err rv_sync_send_voicemail(sync_pass *p, const char *label, const char *mb, const char *key,
                                          const char *body,
                                       size_t len, const char *type, const char *caller, long long epoch,
                                       const char *idem,
                                       long *status);

#endif
