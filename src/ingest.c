/* Voicemail uploads into the archive: the committer thread takes every
 * upload handed over since its last round, syncs their audio and commits
 * their rows and audit entries in one transaction (a group commit), then
 * resumes their connections. It also records finished analyses, so that the
 * analysis workers never wait for the write lock. */
#include "server_int.h"

#include <stdlib.h>

#include "rostvakt/clock.h"

/* Record finished analyses in one transaction and free them; then they
 * count in the metrics. A batch that cannot be recorded is queued again:
 * the workers analyse it anew rather than count it done. */
static void record_analyses(rv_server *s, rv_finished *f)
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
        RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES_BACKGROUND, rv_store_finish_voicemails(s->db.store, d, n, &e));
        free(d);
    }
    if (rc != RV_OK && n) {
        fprintf(stderr, "rostvakt: cannot record %zu analyses (%s); they are queued again\n", n, e.msg);
        pthread_mutex_lock(&s->q_lock);
        for (rv_finished *q = f; q; q = q->next)
            if (q->d.id <= s->claimed) s->claimed = q->d.id - 1; /* workers take it again */
        s->queued += (long long)n;
        pthread_cond_broadcast(&s->q_wake);
        pthread_mutex_unlock(&s->q_lock);
    }
    for (rv_finished *q = f, *next; q; q = next) {
        next = q->next;
        if (rc == RV_OK) {
            if (q->vm_class >= 0) {
                s->metrics.analyses++;
                if ((unsigned)q->vm_class < 3) s->metrics.vm_class[q->vm_class]++;
            } else s->metrics.analysis_failures++;
        }
        free(q->report);
        free(q);
    }
}

/* Runs until the service stops and the queue is empty. */
static void *committer(void *arg)
{
    rv_server *s = arg;
    pthread_mutex_lock(&s->gc_lock);
    for (;;) {
        while (!s->gc_head && !s->fin_head && !s->gc_stopping) pthread_cond_wait(&s->gc_wake, &s->gc_lock);
        if (!s->gc_head && !s->fin_head) break; /* stopping, nothing left */
        rv_pending *batch = s->gc_head;
        s->gc_head = NULL;
        s->gc_tail = &s->gc_head;
        rv_finished *fin = s->fin_head;
        s->fin_head = NULL;
        s->fin_tail = &s->fin_head;
        pthread_mutex_unlock(&s->gc_lock);
        record_analyses(s, fin);
        if (!batch) {
            pthread_mutex_lock(&s->gc_lock);
            continue;
        }
        s->last_upload_ms = rv_now_ms();
        size_t n = 0;
        for (rv_pending *q = batch; q; q = q->next) n++;
        rv_vm_new *v = calloc(n, sizeof *v);
        rv_error e;
        if (v) {
            size_t i = 0;
            for (rv_pending *q = batch; q; q = q->next) v[i++] = q->v;
            rv_err rc;
            RV_STORE_RETRY(&s->db, rc, RV_BUSY_TRIES_BACKGROUND, rv_store_add_voicemails(s->db.store, v, n, &e));
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
        pthread_mutex_lock(&s->gc_lock);
    }
    pthread_mutex_unlock(&s->gc_lock);
    return NULL;
}

int rv_ingest_submit(rv_server *s, rv_pending *p)
{
    pthread_mutex_lock(&s->gc_lock);
    int stopping = s->gc_stopping; /* the committer runs from start to stop */
    if (!stopping) {
        p->waiter.hold(p->waiter.arg); /* before the committer can finish it */
        *s->gc_tail = p;
        s->gc_tail = &p->next;
        pthread_cond_signal(&s->gc_wake);
    }
    pthread_mutex_unlock(&s->gc_lock);
    return !stopping;
}

void rv_ingest_finished(rv_server *s, rv_finished *f)
{
    pthread_mutex_lock(&s->gc_lock);
    *s->fin_tail = f;
    s->fin_tail = &f->next;
    pthread_cond_signal(&s->gc_wake);
    pthread_mutex_unlock(&s->gc_lock);
}

rv_err rv_ingest_start(rv_server *s, rv_error *err)
{
    s->gc_tail = &s->gc_head;
    s->fin_tail = &s->fin_head;
    s->have_committer = pthread_create(&s->committer, NULL, committer, s) == 0;
    return s->have_committer ? RV_OK : rv_error_set(err, RV_ERR_INTERNAL, "cannot start the committer thread");
}

void rv_ingest_stop(rv_server *s)
{
    if (!s->have_committer) return;
    pthread_mutex_lock(&s->gc_lock);
    s->gc_stopping = 1;
    pthread_cond_signal(&s->gc_wake);
    pthread_mutex_unlock(&s->gc_lock);
    pthread_join(s->committer, NULL);
    s->have_committer = 0;
}
