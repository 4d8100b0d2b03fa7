/* The layer below the service's parts: the archive's request connection
 * with its lock, the retry of a write another connection holds up, and
 * the audit. Not installed. */
#ifndef RV_SERVICE_STORE_H
#define RV_SERVICE_STORE_H

#include <pthread.h>

#include "rostvakt/config.h"
#include "rostvakt/err.h"
#include "rostvakt/store.h"

/* One SQLite connection for the HTTP threads and the committer, one
 * transaction at a time: take lock around every use of store. */
typedef struct {
    rv_store *store;
    pthread_mutex_t lock;
} rv_service_store;

/* The request connection waits RV_BUSY_WAIT_MS for another connection's
 * write lock while it holds the lock; callers retry up to RV_BUSY_TRIES
 * times, pausing RV_BUSY_PAUSE_MS without the lock, before they answer 503. */
#define RV_BUSY_WAIT_MS 20
#define RV_BUSY_TRIES 50
#define RV_BUSY_PAUSE_MS 20
/* the committer and job threads may wait longer than an HTTP thread */
#define RV_BUSY_TRIES_BACKGROUND 500
/* A node starting waits this long for another connection's write lock (the
 * other nodes' uploads, a sweep) before it gives up, rather than a
 * request's RV_BUSY_WAIT_MS: its start-up writes have no client to answer
 * 503 to, and a node restarted beside busy ones must come up. */
#define RV_START_WAIT_MS 30000

/* Open the archive cfg names (store, data_dir) as db's request connection
 * (its lock set up); on an error nothing is left to close. Until
 * rv_service_store_serving its writes wait the store's own time for
 * another connection's write lock (the start of a node among busy ones). */
RV_MUST_USE rv_err rv_service_store_open(rv_service_store *db, const rv_config *cfg, rv_error *err);
/* From now on its writes wait RV_BUSY_WAIT_MS (requests are being served). */
void rv_service_store_serving(rv_service_store *db);
/* Close it (a db never opened, zeroed, is fine). */
void rv_service_store_close(rv_service_store *db);

void rv_busy_pause(void);
/* rc = expr under db's lock, again after a pause without the lock while
 * it is RV_ERR_BUSY, at most tries times. */
#define RV_STORE_RETRY(db, rc, tries, expr)                                                                  \
    for (int tries_ = 0;; tries_++) {                                                                      \
        pthread_mutex_lock(&(db)->lock);                                                                   \
        (rc) = (expr);                                                                                     \
        pthread_mutex_unlock(&(db)->lock);                                                                 \
        if ((rc) != RV_ERR_BUSY || tries_ >= (tries)) break;                                               \
        rv_busy_pause();                                                                                   \
    }

/* Write an audit row for actor (takes the lock; call without it). A row
 * that cannot be written is reported on stderr and returned (RV_ERR_BUSY,
 * RV_ERR_FULL, RV_ERR_IO) in err when err is set: nothing that cannot be
 * audited is done or answered. Any thread. */
RV_MUST_USE rv_err rv_audit(rv_service_store *db, const char *actor, const char *remote, const char *action,
                            long long vm,
                            const char *ext, const char *detail, rv_error *err);

#endif
