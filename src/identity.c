/* The service's tokens, users and sessions (identity.h), read under one
 * lock and replaced whole when the tokens file changes. */
#include "identity.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rostvakt/clock.h"

struct rv_identity {
    const rv_config *cfg;
    rv_tokens *tokens;                /* read under lock, replaced on reload */
    rv_users *users;                  /* the trusted proxy's users, or NULL (lock) */
    rv_sessions *sessions;            /* the web app's sign-ins */
    pthread_rwlock_t lock;
    /* the tokens file as last read, so that a token made or revoked with
     * `rostvakt token` counts at once (rv_identity_fresh) */
    pthread_mutex_t reload_lock;      /* one reload at a time; guards seen */
    struct stat seen;
    _Atomic long long looked_ms;      /* when the file was last looked at (monotonic) */
};

rv_err rv_identity_open(const rv_config *cfg, rv_identity **out, rv_error *err)
{
    *out = NULL;
    rv_identity *id = calloc(1, sizeof *id);
    if (!id) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    id->cfg = cfg;
    pthread_rwlock_init(&id->lock, NULL);
    pthread_mutex_init(&id->reload_lock, NULL);
    if (stat(cfg->tokens, &id->seen) != 0) memset(&id->seen, 0, sizeof id->seen);
    rv_err rc = rv_tokens_load(cfg->tokens, &id->tokens, err);
    if (rc == RV_OK) rc = rv_sessions_new((long)cfg->session_idle_timeout, &id->sessions, err);
    if (rc == RV_OK && cfg->users_file[0]) rc = rv_users_load(cfg->users_file, &id->users, err);
    if (rc == RV_OK && cfg->trusted_proxy[0]) {
        struct in_addr a;
        if (inet_pton(AF_INET, cfg->trusted_proxy, &a) != 1)
            rc = rv_error_set(err, RV_ERR_CONFIG, "trusted_proxy must be an IPv4 address, not '%s'", cfg->trusted_proxy);
        else if (!id->users)
            rc = rv_error_set(err, RV_ERR_CONFIG, "trusted_proxy needs users_file, the users' roles");
    }
    if (rc != RV_OK) {
        rv_identity_free(id);
        return rc;
    }
    *out = id;
    return RV_OK;
}

void rv_identity_free(rv_identity *id)
{
    if (!id) return;
    rv_tokens_free(id->tokens);
    rv_sessions_free(id->sessions);
    rv_users_free(id->users);
    pthread_rwlock_destroy(&id->lock);
    pthread_mutex_destroy(&id->reload_lock);
    free(id);
}

static int token_kept(void *arg, const unsigned char *key) { return rv_tokens_by_key(arg, key, NULL, NULL, 0); }

/* rv_identity_reload with reload_lock held: the file's stat is taken
 * before it is read, so that a change while it is read is seen at the
 * next look. */
static rv_err reload_locked(rv_identity *id, rv_error *err)
{
    const rv_config *cfg = id->cfg;
    rv_tokens *t = NULL;
    rv_users *u = NULL;
    if (stat(cfg->tokens, &id->seen) != 0) memset(&id->seen, 0, sizeof id->seen);
    rv_err rc = rv_tokens_load(cfg->tokens, &t, err);
    if (rc == RV_OK && cfg->users_file[0]) rc = rv_users_load(cfg->users_file, &u, err);
    if (rc != RV_OK) { /* the old ones stay */
        rv_tokens_free(t);
        return rc;
    }
    pthread_rwlock_wrlock(&id->lock);
    rv_tokens *old_t = id->tokens;
    rv_users *old_u = id->users;
    id->tokens = t;
    if (cfg->users_file[0]) id->users = u;
    else old_u = NULL;
    rv_sessions_end_unless(id->sessions, token_kept, t); /* a revoked token's sessions end now */
    pthread_rwlock_unlock(&id->lock);
    rv_tokens_free(old_t);
    rv_users_free(old_u);
    fprintf(stderr, "rostvakt: reloaded %s (%zu tokens)%s%s\n", cfg->tokens, rv_tokens_count(t), u ? " and " : "",
            u ? cfg->users_file : "");
    return RV_OK;
}

rv_err rv_identity_reload(rv_identity *id, rv_error *err)
{
    pthread_mutex_lock(&id->reload_lock);
    rv_err rc = reload_locked(id, err);
    pthread_mutex_unlock(&id->reload_lock);
    return rc;
}

void rv_identity_fresh(rv_identity *id, int unknown)
{
    long long ms = rv_now_ms();
    long long last = atomic_load(&id->looked_ms);
    if (unknown) {
        atomic_store(&id->looked_ms, ms);
        pthread_mutex_lock(&id->reload_lock);
    } else if (ms - last < 1000 || !atomic_compare_exchange_strong(&id->looked_ms, &last, ms) ||
               pthread_mutex_trylock(&id->reload_lock) != 0) {
        return; /* looked at lately, or another thread reads the file now */
    }
    struct stat st;
    if (stat(id->cfg->tokens, &st) != 0) memset(&st, 0, sizeof st);
    const struct stat *o = &id->seen;
    if (st.st_dev != o->st_dev || st.st_ino != o->st_ino || st.st_size != o->st_size ||
        st.st_mtim.tv_sec != o->st_mtim.tv_sec || st.st_mtim.tv_nsec != o->st_mtim.tv_nsec) {
        rv_error e;
        if (reload_locked(id, &e) != RV_OK) /* said once a change: seen is the file read */
            fprintf(stderr, "rostvakt: %s changed: %s; the old tokens stay\n", id->cfg->tokens, e.msg);
    }
    pthread_mutex_unlock(&id->reload_lock);
}

int rv_identity_token(rv_identity *id, const char *token, rv_role *role, char *name, size_t cap)
{
    int known = 0;
    for (int again = 0; !known && again < 2; again++) { /* unknown: made just now? */
        if (again) rv_identity_fresh(id, 1);
        pthread_rwlock_rdlock(&id->lock);
        known = rv_tokens_check(id->tokens, token, role, name, cap);
        pthread_rwlock_unlock(&id->lock);
    }
    return known;
}

int rv_identity_token_key(rv_identity *id, const char *token, rv_role *role, char *name, size_t cap,
                          unsigned char key[RV_TOKEN_KEY_LEN])
{
    int ok = 0;
    for (int again = 0; !ok && again < 2; again++) { /* unknown: made just now? */
        rv_identity_fresh(id, again);
        pthread_rwlock_rdlock(&id->lock);
        ok = rv_tokens_check_key(id->tokens, token, role, name, cap, key);
        pthread_rwlock_unlock(&id->lock);
    }
    return ok;
}

int rv_identity_by_key(rv_identity *id, const unsigned char key[RV_TOKEN_KEY_LEN], rv_role *role, char *name,
                       size_t cap)
{
    pthread_rwlock_rdlock(&id->lock);
    int found = rv_tokens_by_key(id->tokens, key, role, name, cap);
    pthread_rwlock_unlock(&id->lock);
    return found;
}

int rv_identity_user(rv_identity *id, const char *user, rv_role *role)
{
    pthread_rwlock_rdlock(&id->lock);
    int known = rv_users_role(id->users, user, role);
    pthread_rwlock_unlock(&id->lock);
    return known;
}

int rv_identity_orgs(rv_identity *id, int proxy, const char *name, char orgs[256])
{
    rv_role role;
    pthread_rwlock_rdlock(&id->lock);
    int found = proxy ? rv_users_find(id->users, name, &role, orgs) : rv_tokens_orgs(id->tokens, name, orgs);
    pthread_rwlock_unlock(&id->lock);
    return found;
}

rv_sessions *rv_identity_sessions(rv_identity *id) { return id->sessions; }
