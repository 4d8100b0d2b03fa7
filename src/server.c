/* rostvakt serve, put together: the configuration and models the parts
 * share, the archive's request connection and the audit, and the order in
 * which the parts start and stop. */
#include "server_int.h"
#include "api.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rostvakt/calendar.h"
#include "rostvakt/clock.h"
#include "rostvakt/verify.h"

/* The phone map and case words; without them nothing is verified and
 * voicemails are classified by length only. */
static void load_models(rv_server *s)
{
    rv_error le;
    if (rv_lexicon_open_models(s->cfg.models_dir, &s->lex, &le) == RV_OK &&
        rv_case_words_load(s->cfg.case_words, &s->case_words, &s->n_case_words, &le) != RV_OK) {
        rv_lexicon_free(s->lex);
        s->lex = NULL;
    }
    if (!s->lex) fprintf(stderr, "rostvakt: no phrase verification or keyword spotting: %s\n", le.msg);
}

rv_err rv_server_start(const rv_server_opts *o, rv_server **out, unsigned *port, rv_error *err)
{
    *out = NULL;
    if (!o || !o->cfg) return rv_error_set(err, RV_ERR_ARG, "no configuration");
    rv_server *s = calloc(1, sizeof *s);
    if (!s) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    s->cfg = *o->cfg;
    s->routes = rv_routes;
    s->n_routes = rv_n_routes;
    pthread_rwlock_init(&s->id_lock, NULL);
    pthread_mutex_init(&s->reload_lock, NULL);
    pthread_mutex_init(&s->conn_lock, NULL);
    pthread_cond_init(&s->conn_wake, NULL);
    pthread_mutex_init(&s->q_lock, NULL);
    pthread_cond_init(&s->q_wake, NULL);
    pthread_cond_init(&s->stop_wake, NULL);
    pthread_mutex_init(&s->gc_lock, NULL);
    pthread_cond_init(&s->gc_wake, NULL);
    pthread_mutex_init(&s->pool_lock, NULL);
    pthread_cond_init(&s->pool_free, NULL);
    rv_job_queue *qs[] = {&s->greetings, &s->sweeps, &s->packages};
    for (int i = 0; i < 3; i++) {
        pthread_mutex_init(&qs[i]->lock, NULL);
        pthread_cond_init(&qs[i]->wake, NULL);
        qs[i]->tail = &qs[i]->head;
    }
    load_models(s);
    rv_models_version(&s->cfg, s->models_version);
    /* without the phone map nothing is verified: such an analysis is out of
     * date for any sweep that has the models */
    if (!s->lex) snprintf(s->models_version, sizeof s->models_version, "unverified");
    s->prompts = rv_prompts_load(&s->cfg, stderr);
    rv_err rc = s->prompts ? RV_OK : rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    if (rc == RV_OK && stat(s->cfg.tokens, &s->tokens_seen) != 0) memset(&s->tokens_seen, 0, sizeof s->tokens_seen);
    if (rc == RV_OK) rc = rv_tokens_load(s->cfg.tokens, &s->tokens, err);
    if (rc == RV_OK) rc = rv_sessions_new((long)s->cfg.session_idle_timeout, &s->sessions, err);
    if (rc == RV_OK && s->cfg.users_file[0]) rc = rv_users_load(s->cfg.users_file, &s->users, err);
    if (rc == RV_OK && s->cfg.trusted_proxy[0]) {
        struct in_addr a;
        if (inet_pton(AF_INET, s->cfg.trusted_proxy, &a) != 1)
            rc = rv_error_set(err, RV_ERR_CONFIG, "trusted_proxy must be an IPv4 address, not '%s'",
                              s->cfg.trusted_proxy);
        else if (!s->users)
            rc = rv_error_set(err, RV_ERR_CONFIG, "trusted_proxy needs users_file, the users' roles");
    }
    if (rc == RV_OK) rc = rv_service_store_open(&s->db, s->cfg.data_dir, err);
    if (rc == RV_OK) rc = rv_store_requeue_interrupted(s->db.store, err);
    if (rc == RV_OK) {
        rv_store_remove_leftovers(s->db.store); /* before anyone can upload */
        s->queued = rv_store_count_queued(s->db.store);
        rc = rv_ingest_start(s, err);
    }
    if (rc == RV_OK) rc = rv_workers_start(s, err);
    if (rc == RV_OK) rc = rv_http_start(s, port, err);
    if (rc != RV_OK) {
        rv_server_stop(s);
        return rc;
    }
    *out = s;
    return RV_OK;
}

void rv_server_stop(rv_server *s)
{
    if (!s) return;
    /* no connection may be suspended when the daemon stops: greetings being
     * analysed and a running sweep finish, jobs still waiting are answered
     * "stopping", and uploads already handed over are committed and
     * answered */
    rv_workers_stop_jobs(s);
    rv_workers_stop_analysis(s);
    rv_ingest_stop(s);
    rv_http_stop(s);
    rv_workers_free(s);
    rv_fpdb_free(s->prompts);
    rv_lexicon_free(s->lex);
    free(s->case_words);
    rv_service_store_close(&s->db);
    rv_tokens_free(s->tokens);
    rv_sessions_free(s->sessions);
    rv_users_free(s->users);
    rv_job_queue *qs[] = {&s->greetings, &s->sweeps, &s->packages};
    for (int i = 0; i < 3; i++) {
        pthread_mutex_destroy(&qs[i]->lock);
        pthread_cond_destroy(&qs[i]->wake);
    }
    pthread_rwlock_destroy(&s->id_lock);
    pthread_mutex_destroy(&s->reload_lock);
    pthread_mutex_destroy(&s->conn_lock);
    pthread_cond_destroy(&s->conn_wake);
    pthread_mutex_destroy(&s->q_lock);
    pthread_cond_destroy(&s->q_wake);
    pthread_cond_destroy(&s->stop_wake);
    pthread_mutex_destroy(&s->pool_lock);
    pthread_cond_destroy(&s->pool_free);
    pthread_mutex_destroy(&s->gc_lock);
    pthread_cond_destroy(&s->gc_wake);
    free(s);
}

static int token_kept(void *arg, const unsigned char *key) { return rv_tokens_by_key(arg, key, NULL, NULL, 0); }

/* rv_server_reload with reload_lock held: the file's stat is taken before
 * it is read, so that a change while it is read is seen at the next look. */
static rv_err reload_locked(rv_server *s, rv_error *err)
{
    rv_tokens *t = NULL;
    rv_users *u = NULL;
    if (stat(s->cfg.tokens, &s->tokens_seen) != 0) memset(&s->tokens_seen, 0, sizeof s->tokens_seen);
    rv_err rc = rv_tokens_load(s->cfg.tokens, &t, err);
    if (rc == RV_OK && s->cfg.users_file[0]) rc = rv_users_load(s->cfg.users_file, &u, err);
    if (rc != RV_OK) { /* the old ones stay */
        rv_tokens_free(t);
        return rc;
    }
    pthread_rwlock_wrlock(&s->id_lock);
    rv_tokens *old_t = s->tokens;
    rv_users *old_u = s->users;
    s->tokens = t;
    if (s->cfg.users_file[0]) s->users = u;
    else old_u = NULL;
    rv_sessions_end_unless(s->sessions, token_kept, t); /* a revoked token's sessions end now */
    pthread_rwlock_unlock(&s->id_lock);
    rv_tokens_free(old_t);
    rv_users_free(old_u);
    fprintf(stderr, "rostvakt: reloaded %s (%zu tokens)%s%s\n", s->cfg.tokens, rv_tokens_count(t),
            u ? " and " : "", u ? s->cfg.users_file : "");
    return RV_OK;
}

rv_err rv_server_reload(rv_server *s, rv_error *err)
{
    pthread_mutex_lock(&s->reload_lock);
    rv_err rc = reload_locked(s, err);
    pthread_mutex_unlock(&s->reload_lock);
    return rc;
}

void rv_server_tokens_fresh(rv_server *s, int unknown)
{
    long long ms = rv_now_ms();
    long long last = atomic_load(&s->tokens_looked_ms);
    if (unknown) {
        atomic_store(&s->tokens_looked_ms, ms);
        pthread_mutex_lock(&s->reload_lock);
    } else if (ms - last < 1000 || !atomic_compare_exchange_strong(&s->tokens_looked_ms, &last, ms) ||
               pthread_mutex_trylock(&s->reload_lock) != 0) {
        return; /* looked at lately, or another thread reads the file now */
    }
    struct stat st;
    if (stat(s->cfg.tokens, &st) != 0) memset(&st, 0, sizeof st);
    const struct stat *o = &s->tokens_seen;
    if (st.st_dev != o->st_dev || st.st_ino != o->st_ino || st.st_size != o->st_size ||
        st.st_mtim.tv_sec != o->st_mtim.tv_sec || st.st_mtim.tv_nsec != o->st_mtim.tv_nsec) {
        rv_error e;
        if (reload_locked(s, &e) != RV_OK) /* said once a change: tokens_seen is the file read */
            fprintf(stderr, "rostvakt: %s changed: %s; the old tokens stay\n", s->cfg.tokens, e.msg);
    }
    pthread_mutex_unlock(&s->reload_lock);
}
