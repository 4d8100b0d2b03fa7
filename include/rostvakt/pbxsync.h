/* Getting recordings in: `rostvakt pbx-sync`, which finds a PBX's new
 * voicemails, greetings and recorded names and posts them to the service's
 * API (libcurl), remembering what it sent in a small state file so that a
 * restart neither loses nor repeats anything. Sources: Asterisk's
 * app_voicemail file storage, FreeSWITCH's mod_voicemail database, and
 * voicemail delivered as e-mail to an IMAP folder (Teams/Exchange,
 * Asterisk's attach=yes). */
#ifndef RV_PBXSYNC_H
#define RV_PBXSYNC_H

#include <signal.h>
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
    volatile sig_atomic_t *stop; /* NULL, or set non-zero by a signal handler: the pass ends at once,
                                    RV_ERR_STOPPING, what was sent is in the state */
} rv_sync_opts;

typedef struct {
    long voicemails, greetings, names; /* sent this pass */
    long waiting;   /* messages whose .txt is not written yet */
    long refused;   /* refused by the service (bad audio, no such mailbox): logged, tried again next pass */
    long denied;    /* of those, refused because the service does not take the token (401, 403) */
    long unreadable; /* spool folders that could not be read this pass (said each pass) */
    long skipped;   /* unusable here (a .txt without audio; an e-mail without usable audio, moved aside): logged */
} rv_sync_counts;

typedef struct {
    const char *url;            /* imap://HOST[:PORT]/FOLDER or imaps://...; plain imap:// to another host
                                   than this one must offer STARTTLS */
    const char *user;
    const char *password;       /* or: */
    const char *bearer;         /* an OAuth 2 access token, logged in with as XOAUTH2 (Exchange Online) */
    const char *done_folder;    /* sent messages move here (NULL: "rostvakt-done") */
    const char *problem_folder; /* messages a person must look at (NULL: "rostvakt-problems") */
    const char *ca_file;        /* CA certificates to verify the server with (NULL: the system's) */
} rv_imap_opts;

/* One pass over the spool (only context/mailbox when both are set, as
 * Asterisk's externnotify hook names them). Symbolic links, FIFOs and
 * other files that are not regular are not followed or read (said once in
 * the log). RV_OK when the pass ended;
 * RV_ERR_STOPPING when the service stayed unreachable through max_tries
 * (what was sent is in the state, the rest is tried again next pass);
 * RV_ERR_IO / RV_ERR_CONFIG for the spool or the state file. */
RV_MUST_USE rv_err rv_sync_asterisk(const rv_sync_opts *o, const char *context, const char *mailbox, rv_sync_counts *c,
                                    rv_error *err);

/* One pass over FreeSWITCH mod_voicemail's SQLite database at db_path
 * (voicemail_msgs, voicemail_prefs), opened read-only and closed before
 * anything is sent; relative file paths are under storage, and when
 * storage is given a path that leads outside it is not read. Messages are
 * keyed by their uuid; greetings and names sent when new or changed.
 * RV_ERR_BUSY when the PBX held the database for two seconds; else as
 * rv_sync_asterisk. */
RV_MUST_USE rv_err rv_sync_freeswitch(const rv_sync_opts *o, const char *db_path, const char *storage,
                                      rv_sync_counts *c,
                                      rv_error *err);

/* One pass over the IMAP folder: each message's recipient (the topmost
 * Delivered-To, which the receiving server added; without one To, then Cc)
 * is looked up in the directory by its e-mail address, its first audio
 * attachment sent with the caller (X-CallingTelephoneNumber,
 * X-Asterisk-VM-Caller-ID-Num, X-Asterisk-CallerID), the time the server
 * received it (INTERNALDATE, never the sender's Date) and its
 * Message-ID as the Idempotency-Key, and the message moved to the done
 * folder. A message without audio, with WMA or audio the service refuses,
 * or for an address no mailbox has, is moved to the problem folder with a
 * log line; nothing is deleted. RV_ERR_CONFIG when the server refuses the
 * login; RV_ERR_BUSY when it cannot be reached; else as rv_sync_asterisk. */
RV_MUST_USE rv_err rv_sync_imap(const rv_sync_opts *o, const rv_imap_opts *im, rv_sync_counts *c, rv_error *err);

#endif
