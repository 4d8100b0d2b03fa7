/* The archive's request connection, its lock, the retry of a busy write
 * and the audit (service_store.h): what every part of the service below
 * the HTTP layer shares. */
#include "service_store.h"

#include <stdio.h>
#include <time.h>

#include "rostvakt/calendar.h"

rv_err rv_service_store_open(rv_service_store *db, const rv_config *cfg, rv_error *err)
{
    rv_err rc = rv_store_connect(cfg->store, (int)cfg->store_allow_async_commit, cfg->data_dir, &db->store, err);
    if (rc != RV_OK) return rc;
    pthread_mutex_init(&db->lock, NULL);
    return RV_OK;
}

void rv_service_store_serving(rv_service_store *db) { rv_store_busy_timeout(db->store, RV_BUSY_WAIT_MS); }

void rv_service_store_close(rv_service_store *db)
{
    if (!db->store) return;
    rv_store_close(db->store);
    db->store = NULL;
    pthread_mutex_destroy(&db->lock);
}

void rv_busy_pause(void)
{
    struct timespec t = {0, RV_BUSY_PAUSE_MS * 1000000L};
    nanosleep(&t, NULL);
}

rv_err rv_audit(rv_service_store *db, const char *actor, const char *remote, const char *action, long long vm,
                const char *ext, const char *detail, rv_error *err)
{
    char now[32];
    rv_utc_now(now);
    rv_error e;
    rv_err rc;
    /* another connection's write lock is waited for outside the lock, so
     * that lists and /metrics are not held up behind it */
    RV_STORE_RETRY(db, rc, RV_BUSY_TRIES, rv_store_audit(db->store, now, actor, remote, action, vm, ext, detail, &e));
    if (rc != RV_OK) fprintf(stderr, "rostvakt: audit: %s\n", e.msg);
    if (err) *err = e;
    return rc;
}
