/* Getting recordings in: `rostvakt pbx-sync`, which finds a PBX's new
 * voicemails, greetings and recorded names and posts them to the service's
 * API (libcurl), remembering what it sent in a small state file so that a
 * restart neither loses nor repeats anything. Sources: Asterisk's
 * app_voicemail file storage and FreeSWITCH's mod_voicemail database. */
#ifndef RV_PBXSYNC_H
#define RV_PBXSYNC_H

#include <stdio.h>

#include "rostvakt/err.h"

typedef struct {
    const char *spool;      /* Asterisk: the voicemail spool, DIR/<context>/<mailbox>/... */
    const char *contexts;   /* ':'-separated contexts to sync, "" or NULL: all */
    const char *server;     /* the service, "http://127.0.0.1:8440" */
    const char *token;      /* a pbx token */
    const char *state_path; /* what was sent: a file of its own, appended to */
    FILE *log;              /* one line per upload and per problem */
    int max_tries;          /* tries of one upload while the service is down (back-off 1, 2, 4 ... 30 s) */
} rv_sync_opts;

typedef struct {
    long voicemails, greetings, names; /* sent this pass */
    long waiting;   /* messages whose .txt is not written yet */
    long refused;   /* refused by the service (bad audio, no such mailbox): logged, tried again next pass */
    long skipped;   /* unusable here (no audio Asterisk can give in a format rostvakt reads): logged */
} rv_sync_counts;

/* One pass over the spool (only context/mailbox when both are set, as
 * Asterisk's externnotify hook names them). RV_OK when the pass ended;
 * RV_ERR_STOPPING when the service stayed unreachable through max_tries
 * (what was sent is in the state, the rest is tried again next pass);
 * RV_ERR_IO / RV_ERR_CONFIG for the spool or the state file. */
rv_err rv_sync_asterisk(const rv_sync_opts *o, const char *context, const char *mailbox, rv_sync_counts *c,
                        rv_error *err);

/* One pass over FreeSWITCH mod_voicemail's SQLite database at db_path
 * (voicemail_msgs, voicemail_prefs), opened read-only and closed before
 * anything is sent; relative file paths are under storage. Messages are
 * keyed by their uuid; greetings and names sent when new or changed.
 * RV_ERR_BUSY when the PBX held the database for two seconds; else as
 * rv_sync_asterisk. */
rv_err rv_sync_freeswitch(const rv_sync_opts *o, const char *db_path, const char *storage, rv_sync_counts *c,
                          rv_error *err);

#endif
