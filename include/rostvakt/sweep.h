/* The nightly sweep: every mailbox and deadline checked against
 * its policy profile, disposal under the profile's retention, greetings
 * re-analysed when models or profile changed, and a report for managers.
 * Reads the archive a batch at a time, so memory stays flat as it grows. */
#ifndef RV_SWEEP_H
#define RV_SWEEP_H

#include <stdio.h>

#include "rostvakt/analyze.h"
#include "rostvakt/asr.h"
#include "rostvakt/err.h"
#include "rostvakt/store.h"
#include "rostvakt/verify.h"

typedef enum { RV_SWEEP_JSON, RV_SWEEP_CSV, RV_SWEEP_HTML } rv_sweep_format;

/* "json", "csv", "html"; -1 for anything else. */
int rv_sweep_format_parse(const char *s);

/* Whether a sweep of date (days since the epoch, as rv_parse_date gives
 * them) is of a day after today in Sweden: one that would dispose of
 * recordings as of a day not yet come (a mistyped year, say), which the
 * API and the command run only when told so explicitly. */
int rv_sweep_date_ahead(long date);

typedef struct {
    long date;                  /* the sweep's day (rv_parse_date); deadlines and ages count to it */
    const char *at;             /* or the run's instant (rv_parse_instant): then each organisation's
                                 * own day of it, in its calendar's time zone (NULL: date for all) */
    int dry_run;                /* list what would be disposed of; change nothing */
    const char *profile_dirs;   /* where the policy profiles are */
    const char *models_version; /* rv_models_version now: greetings analysed under another
                                 * version (or another version of their profile) are out of date */
    /* Re-analysis of out-of-date greetings; with asr NULL they are only
     * counted. The decoder is the caller's (one thread). */
    const rv_analyzer *an;
    rv_asr *asr;
    const rv_verify_thresholds *th;
    const rv_audio_limits *lim;
    const char *actor;          /* who, in the audit of a disposal ("sweep" when NULL) */
    FILE *progress;             /* a terminal for progress lines, or NULL */
    FILE *log;                  /* where what went wrong but did not stop the run is said
                                 * (standard error), or NULL */
} rv_sweep_opts;

typedef struct {
    long mailboxes, missing, noncompliant, stale_absence, overdue, disposed;
    long needs_review;          /* greetings a person should listen to */
    long out_of_date;           /* greetings analysed under older models or profile */
    long reanalysed, reanalysis_failed;
    long not_erased;            /* disposed of, but the audio not erased yet: the next
                                 * sweep tries again (said on o->log) */
} rv_sweep_counts;

/* One report of a run: its format and where it goes. */
typedef struct {
    rv_sweep_format fmt;
    FILE *f;
} rv_sweep_output;

/* Run the sweep on s and write its report to each of outs (1 to 3: e.g. JSON
 * for machines and HTML for people from the same run). JSON is one object
 * whose keys are exactly date, mailboxes, missing_greetings,
 * noncompliant_greetings, stale_absence, needs_review, overdue_callbacks and
 * disposed;
 * every item names its ext, voicemail items their id. CSV is one row per
 * item (list, ext, id, name, unit, detail); HTML one self-contained page in
 * Swedish with a compliance chart per unit. Running it twice on the same day
 * changes nothing the second time. */
RV_MUST_USE rv_err rv_sweep_run(rv_store *s, const rv_sweep_opts *o, const rv_sweep_output *outs, size_t n_outs,
                                rv_sweep_counts *counts, rv_error *err);

/* The report's list key ("missing_greetings" ...): its Swedish title and
 * what to do, as the HTML report says them; 0 for an unknown key. */
int rv_sweep_list_text(const char *key, const char **title, const char **action);

/* A reason code of the report ("no_greeting", "name_missing" ...) in
 * Swedish; the code itself when it has no translation. */
const char *rv_sweep_reason_sv(const char *reason);

#endif
