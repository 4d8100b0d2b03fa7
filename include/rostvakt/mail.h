/* The nightly report by e-mail: each unit's managers get their unit's part
 * of the sweep's report, the records officers a summary; in Swedish, a
 * text and an HTML part (multipart/alternative, UTF-8, base64). Mails are
 * kept in the archive until the SMTP server (libcurl) takes them, so one
 * that cannot be sent goes at the next sweep; a sweep never fails because
 * mail did. */
#ifndef RV_MAIL_H
#define RV_MAIL_H

#include <stdio.h>

#include "rostvakt/config.h"
#include "rostvakt/err.h"
#include "rostvakt/store.h"

typedef struct {
    long composed; /* new mails from this report */
    long skipped;  /* units with managers but nothing to act on */
    long sent;     /* sent now (this report's and earlier ones') */
    long failed;   /* tried and not sent: kept for the next sweep */
    long pending;  /* not sent yet, after this run */
} rv_mail_counts;

/* Mail the sweep's JSON report (report, as rv_sweep_run writes it) as
 * cfg's mail_* settings say. With dry_dir, the messages are written there
 * as DATE-KEY.eml instead, and nothing is kept or sent. Problems with a
 * mail are logged and counted, not returned: RV_OK unless the report
 * cannot be read or the archive written. */
RV_MUST_USE rv_err rv_mail_report(rv_store *s, const rv_config *cfg, const char *report, const char *dry_dir, FILE *log,
                                  rv_mail_counts *c, rv_error *err);

/* A voicemail handed over to a person, as its mail says it. */
typedef struct {
    long long id;
    const char *to;              /* the address (rv_mail_address_valid) */
    const char *from_name;       /* who hands it over */
    const char *note;            /* their words, or NULL */
    const char *owner, *unit, *ext; /* the mailbox it was left in */
    const char *caller;          /* "" when unknown */
    const char *received_local;  /* "2026-12-06 00:30", the body's time */
    const char *link;            /* the voicemail in the web app */
    const char *from;            /* its organisation's mail.from, or NULL/"": cfg's mail_from */
} rv_handover_mail;

/* The mail that hands a voicemail over (text and HTML, as the reports'),
 * from h->from or cfg's mail_from: a new message (*out, free()) of *len bytes and its
 * subject in subject. RV_ERR_NOMEM, or RV_ERR_CONFIG when mail_from is not
 * an address. */
RV_MUST_USE rv_err rv_mail_handover(const rv_config *cfg, const rv_handover_mail *h, char **out, size_t *len,
                                    char *subject,
                                    size_t subject_cap, rv_error *err);

/* Send one message to recipients (comma-separated) by cfg's mail server:
 * NULL when it was taken, else why not (in why). Takes as long as the
 * server does (at most two minutes): never on an HTTP thread. */
const char *rv_mail_send(const rv_config *cfg, const char *recipients, const char *message, size_t len, char *why,
                         size_t cap);

/* A valid address for a mail header: printable ASCII, one @, no spaces,
 * at most 254 characters. */
int rv_mail_address_valid(const char *a);

#endif
