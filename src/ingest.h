/* Voicemail uploads into the archive and the analyses' results: what is
 * handed to the committer thread, which commits both in groups. Not
 * installed. */
#ifndef RV_INGEST_H
#define RV_INGEST_H

#include <stddef.h>

#include "metrics.h"
#include "service_store.h"
#include "rostvakt/token.h"

/* How the one who handed work over learns of it: hold(arg) when the work
 * is taken, before any other thread can finish it (the HTTP layer suspends
 * the connection), done(arg) once it is finished (the connection resumes;
 * the work may be freed from then on). Called by the part that took it. */
typedef struct {
    void (*hold)(void *arg);
    void (*done)(void *arg);
    void *arg;
} rv_waiter;

#define RV_IDEM_KEY_MAX 200

/* An upload waiting for the group commit. */
typedef struct rv_pending {
    rv_vm_new v;
    rv_waiter waiter;                         /* told when it is taken and when it is committed */
    rv_audio_blob blob;
    char ext[24], caller[40], when[32], actor[RV_TOKEN_NAME_MAX + 1], remote[64], now[32];
    char idem[RV_IDEM_KEY_MAX + 1];           /* the Idempotency-Key, or "" */
    int done;                                 /* the committer filled in v.id / v.rc */
    struct rv_pending *next;
} rv_pending;

/* An analysis for the committer to record. */
typedef struct rv_finished {
    rv_vm_done d;
    int vm_class;                             /* rv_vm_class when analysed, else -1 */
    char *report;
    char now[32];
    struct rv_finished *next;
} rv_finished;

typedef struct rv_ingest rv_ingest;

/* Told of each voicemail whose analysis could not be recorded, so that it
 * is analysed again. */
typedef void (*rv_unrecorded)(void *arg, long long id);

/* Start the committer, counting in m; new *out. On SQLite it writes on
 * db's connection; on PostgreSQL two committers share the work, each on a
 * connection of its own to the store cfg names. */
RV_MUST_USE rv_err rv_ingest_start(rv_service_store *db, const rv_config *cfg, rv_metrics *m, rv_unrecorded unrecorded,
                                   void *arg,
                                   rv_ingest **out, rv_error *err);
/* Stop after committing what was handed over; from then on every upload
 * handed over is refused (rv_ingest_submit 0). NULL is fine. */
void rv_ingest_stop(rv_ingest *g);
/* Free, once nobody hands anything over any more (the transport stopped).
 * NULL is fine. */
void rv_ingest_free(rv_ingest *g);
/* Hand p to the committer (its waiter held); 0 when the service is
 * stopping (nothing held, p still the caller's). */
int rv_ingest_submit(rv_ingest *g, rv_pending *p);
/* Hand a finished analysis to the committer (taken over). */
void rv_ingest_finished(rv_ingest *g, rv_finished *f);
/* When the committer last committed uploads (rv_now_ms), 0 never. */
long long rv_ingest_last_upload_ms(const rv_ingest *g);

#endif
