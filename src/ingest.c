/* Voicemail uploads into the archive (ingest.h): a committer thread takes
 * every upload handed over since its last round, syncs their audio and
 * commits their rows and audit entries in one transaction (a group
 * commit), then tells their waiters. It also records finished analyses,
 * so that the analysis workers never wait for the write lock. */
#include "ingest.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "rostvakt/clock.h"

/* How long the committer's own connection waits in the database's queue
 * for another connection's write lock before it counts as busy (then
 * RV_STORE_RETRY pauses and tries again). */
#define COMMITTER_WAIT_MS 1000

/* Committer threads on PostgreSQL, each on a connection of its own: while
 * one holds the write lock for its batch's rows and commit, another copies
 * the next batch's audio in (two took about twice one's uploads a second,
 * four no more than two: docs/ha.md). On SQLite one (one file lock for
 * all). */
#ifndef RV_PG_COMMITTERS
#define RV_PG_COMMITTERS 2
#endif

typedef struct {
    rv_ingest *g;
    rv_service_store *db; /* its connection */
    pthread_t thread;
} rv_committer;

struct rv_ingest {
    rv_service_store own[RV_PG_COMMITTERS];   /* on PostgreSQL, the committers' connections */
    rv_committer c[RV_PG_COMMITTERS];
    int n_committers;
    rv_metrics *metrics;
    rv_unrecorded unrecorded;
    void *unrecorded_arg;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    rv_pending *head, **tail;
    rv_finished *fin_head, **fin_tail;
    _Atomic long long last_upload_ms;         /* when the committer last committed uploads (monotonic) */
    int stopping;
    int stopped;                              /* the committers joined */
};

/* Record finished analyses in one transaction and free them; then they
 * count in the metrics. A batch that cannot be recorded is handed back:
 * the workers analyse it anew rather than count it done. */
static void record_analyses(rv_ingest *g, rv_service_store *db, rv_finished *f)
{
    size_t n = 0;
    for (rv_finished *q = f; q; q = q->next) n++;
    rv_vm_done *d = n ? calloc(n, sizeof *d) : NULL;
    rv_err rc = n ? RV_ERR_NOMEM : RV_OK;
    rv_error e;
    rv_error_clear(&e);
    if (d) {
        size_t i = 0;
        for (rv_finished *q = f; q; q = q->next) d[i++] = q->d;
        RV_STORE_RETRY(db, rc, RV_BUSY_TRIES_BACKGROUND, rv_store_finish_voicemails(db->store, d, n, &e));
        i = 0;
        for (rv_finished *q = f; q; q = q->next) q->d.recorded = d[i++].recorded;
        free(d);
    }
    if (rc != RV_OK && n) {
        fprintf(stderr, "rostvakt: cannot record %zu analyses (%s); they are queued again\n", n, e.msg);
        for (rv_finished *q = f; q; q = q->next) g->unrecorded(g->unrecorded_arg, q->d.id);
    }
    for (rv_finished *q = f, *next; q; q = next) {
        next = q->next;
        if (rc == RV_OK && q->d.recorded) rv_metrics_analysis(g->metrics, q->vm_class); /* not one another worker took over */
        free(q->report);
        free(q);
    }
}

/* Runs until the service stops and the queue is empty. */
static void *committer(void *arg)
{
    rv_ingest *g = ((rv_committer *)arg)->g;
    rv_service_store *db = ((rv_committer *)arg)->db;
    pthread_mutex_lock(&g->lock);
    for (;;) {
        while (!g->head && !g->fin_head && !g->stopping) pthread_cond_wait(&g->wake, &g->lock);
        if (!g->head && !g->fin_head) break; /* stopping, nothing left */
        rv_pending *batch = g->head;
        g->head = NULL;
        g->tail = &g->head;
        rv_finished *fin = g->fin_head;
        g->fin_head = NULL;
        g->fin_tail = &g->fin_head;
        pthread_mutex_unlock(&g->lock);
        record_analyses(g, db, fin);
        if (!batch) {
            pthread_mutex_lock(&g->lock);
            continue;
        }
        g->last_upload_ms = rv_now_ms();
        size_t n = 0;
        for (rv_pending *q = batch; q; q = q->next) n++;
        rv_vm_new *v = calloc(n, sizeof *v);
        rv_error e;
        if (v) {
            size_t i = 0;
            for (rv_pending *q = batch; q; q = q->next) v[i++] = q->v;
            rv_err rc;
            RV_STORE_RETRY(db, rc, RV_BUSY_TRIES_BACKGROUND, rv_store_add_voicemails(db->store, v, n, &e));
        }
        size_t i = 0;
        for (rv_pending *q = batch, *next; q; q = next) {
            next = q->next;
            if (v) q->v = v[i++];
            else q->v.rc = rv_error_set(&q->v.err, RV_ERR_NOMEM, "out of memory");
            rv_waiter w = q->waiter;
            q->done = 1;
            w.done(w.arg); /* q may be freed from here on */
        }
        free(v);
        pthread_mutex_lock(&g->lock);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

int rv_ingest_submit(rv_ingest *g, rv_pending *p)
{
    pthread_mutex_lock(&g->lock);
    int stopping = g->stopping; /* the committer runs from start to stop */
    if (!stopping) {
        p->waiter.hold(p->waiter.arg); /* before the committer can finish it */
        *g->tail = p;
        g->tail = &p->next;
        pthread_cond_signal(&g->wake);
    }
    pthread_mutex_unlock(&g->lock);
    return !stopping;
}

void rv_ingest_finished(rv_ingest *g, rv_finished *f)
{
    pthread_mutex_lock(&g->lock);
    *g->fin_tail = f;
    g->fin_tail = &f->next;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
}

long long rv_ingest_last_upload_ms(const rv_ingest *g) { return atomic_load(&g->last_upload_ms); }

rv_err rv_ingest_start(rv_service_store *db, const rv_config *cfg, rv_metrics *m, rv_unrecorded unrecorded, void *arg,
                       rv_ingest **out, rv_error *err)
{
    *out = NULL;
    rv_ingest *g = calloc(1, sizeof *g);
    if (!g) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    g->metrics = m;
    g->unrecorded = unrecorded;
    g->unrecorded_arg = arg;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, NULL);
    g->tail = &g->head;
    g->fin_tail = &g->fin_head;
    /* On PostgreSQL connections of their own: a batch's audio takes a
     * while to copy, and the request connection's lock would hold the HTTP
     * threads' reads behind it meanwhile; each waits in the database's
     * queue for another's write lock rather than polling for it. On SQLite
     * the request connection, whose writes one file lock serialises anyway. */
    int pg = rv_store_on_postgres(db->store), n = pg ? RV_PG_COMMITTERS : 1;
    rv_err rc = RV_OK;
    for (int i = 0; i < n && rc == RV_OK; i++) {
        g->c[i].g = g;
        g->c[i].db = db;
        if (pg) {
            if ((rc = rv_service_store_open(&g->own[i], cfg, err)) != RV_OK) break;
            rv_store_busy_timeout(g->own[i].store, COMMITTER_WAIT_MS);
            g->c[i].db = &g->own[i];
        }
        if (pthread_create(&g->c[i].thread, NULL, committer, &g->c[i]) != 0)
            rc = rv_error_set(err, RV_ERR_INTERNAL, "cannot start the committer thread");
        else
            g->n_committers++;
    }
    if (rc != RV_OK) {
        rv_ingest_free(g);
        return rc;
    }
    *out = g;
    return RV_OK;
}

void rv_ingest_stop(rv_ingest *g)
{
    if (!g || g->stopped) return;
    pthread_mutex_lock(&g->lock);
    g->stopping = 1;
    pthread_cond_broadcast(&g->wake);
    pthread_mutex_unlock(&g->lock);
    for (int i = 0; i < g->n_committers; i++) pthread_join(g->c[i].thread, NULL);
    g->stopped = 1;
}

void rv_ingest_free(rv_ingest *g)
{
    if (!g) return;
    rv_ingest_stop(g);
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->wake);
    for (int i = 0; i < RV_PG_COMMITTERS; i++) rv_service_store_close(&g->own[i]);
    free(g);
}
