/* The service's tokens, users and sessions (identity.h), read under one
 * lock and replaced whole when the tokens file changes; the tokens revoked
 * on any node, read from the store. */
#include "identity.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rostvakt/calendar.h"
#include "rostvakt/clock.h"
#include "rostvakt/organisation.h"

struct rv_identity {
    const rv_config *cfg;
    rv_tokens *tokens;                /* read under lock, replaced on reload */
    rv_users *users;                  /* the trusted proxy's users, or NULL (lock) */
    rv_sessions *sessions;            /* the web app's sign-ins */
    pthread_rwlock_t lock;
    /* the tokens file as last read, so that a token made or revoked with
     * `rostvakt token` counts at once (rv_identity_fresh) */
    pthread_mutex_t reload_lock;      /* one reload at a time; guards seen */
    struct stat seen, seen_users;     /* the tokens and users files as last read */
    _Atomic long long looked_ms;      /* when the file was last looked at (monotonic) */
    /* the store the sessions and revocations are in, shared by the nodes */
    rv_service_store *db;
    pthread_mutex_t poll_lock;        /* one look at the revocations at a time; guards the two below */
    long long revoked_seen;           /* the last revocation read */
    unsigned char (*pending)[RV_TOKEN_KEY_LEN]; /* revoked here, not yet recorded in the store */
    char (*pending_name)[RV_TOKEN_NAME_MAX + 1];
    size_t n_pending;
    _Atomic long long polled_ms;      /* when the revocations were last read (monotonic) */
    unsigned char (*revoked)[RV_TOKEN_KEY_LEN]; /* every key revoked (lock) */
    size_t n_revoked, cap_revoked;
};

/* A node reads the revocations at most this often, so that a token revoked
 * on another node is refused within a second. */
#define REVOCATION_POLL_MS 400

rv_err rv_identity_open(const rv_config *cfg, rv_identity **out, rv_error *err)
{
    *out = NULL;
    rv_identity *id = calloc(1, sizeof *id);
    if (!id) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    id->cfg = cfg;
    pthread_rwlock_init(&id->lock, NULL);
    pthread_mutex_init(&id->reload_lock, NULL);
    pthread_mutex_init(&id->poll_lock, NULL);
    if (stat(cfg->tokens, &id->seen) != 0) memset(&id->seen, 0, sizeof id->seen);
    if (!cfg->users_file[0] || stat(cfg->users_file, &id->seen_users) != 0)
        memset(&id->seen_users, 0, sizeof id->seen_users);
    rv_err rc = rv_tokens_load(cfg->tokens, &id->tokens, err);
    if (rc == RV_OK) rc = rv_sessions_new((long)cfg->session_idle_timeout, &id->sessions, err);
    if (rc == RV_OK) rv_sessions_max_age(id->sessions, (long)cfg->session_max_age);
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
    pthread_mutex_destroy(&id->poll_lock);
    free(id->revoked);
    free(id->pending);
    free(id->pending_name);
    free(id);
}

/* 1 when key is revoked (lock held). */
static int revoked_locked(const rv_identity *id, const unsigned char *key)
{
    int found = 0;
    for (size_t i = 0; i < id->n_revoked; i++) found |= memcmp(id->revoked[i], key, RV_TOKEN_KEY_LEN) == 0;
    return found;
}

/* Add key to the keys revoked (lock held); 0 when out of memory. */
static int add_revoked_locked(rv_identity *id, const unsigned char *key)
{
    if (revoked_locked(id, key)) return 1;
    if (id->n_revoked == id->cap_revoked) {
        size_t cap = id->cap_revoked ? id->cap_revoked * 2 : 16;
        void *nv = realloc(id->revoked, cap * sizeof *id->revoked);
        if (!nv) return 0;
        id->revoked = nv, id->cap_revoked = cap;
    }
    memcpy(id->revoked[id->n_revoked++], key, RV_TOKEN_KEY_LEN);
    return 1;
}

static int unhex_key(const char *h, unsigned char key[RV_TOKEN_KEY_LEN])
{
    if (!h || strlen(h) != 2 * RV_TOKEN_KEY_LEN) return 0;
    for (size_t i = 0; i < RV_TOKEN_KEY_LEN; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1) return 0;
        key[i] = (unsigned char)v;
    }
    return 1;
}

static void hex_key(const unsigned char key[RV_TOKEN_KEY_LEN], char out[2 * RV_TOKEN_KEY_LEN + 1])
{
    for (size_t i = 0; i < RV_TOKEN_KEY_LEN; i++) snprintf(out + 2 * i, 3, "%02x", key[i]);
}

static void revoked_row(void *user, const char *token_key)
{
    rv_identity *id = user;
    unsigned char key[RV_TOKEN_KEY_LEN];
    if (!unhex_key(token_key, key)) return;
    pthread_rwlock_wrlock(&id->lock);
    if (!add_revoked_locked(id, key)) fprintf(stderr, "rostvakt: out of memory for the revoked tokens\n");
    pthread_rwlock_unlock(&id->lock);
}

/* Record the revocations made here in the store (their sessions end
 * there), then read those of every node made since the last look, with
 * poll_lock held. Rows numbered a little below the last one seen are read
 * again: a database whose numbers are handed out before commit (a
 * sequence) may commit a lower one later. A revocation that cannot be
 * recorded now is tried again at the next look. */
static rv_err poll_locked(rv_identity *id, rv_error *err)
{
    rv_err rc = RV_OK;
    char now[32], hex[2 * RV_TOKEN_KEY_LEN + 1];
    rv_utc_now(now);
    while (id->n_pending && rc == RV_OK) {
        size_t i = id->n_pending - 1;
        hex_key(id->pending[i], hex);
        RV_STORE_RETRY(id->db, rc, RV_BUSY_TRIES,
                       rv_store_revoke_token(id->db->store, hex, id->pending_name[i], now, err));
        if (rc == RV_OK) id->n_pending--;
    }
    long long after = id->revoked_seen > 64 ? id->revoked_seen - 64 : 0, last = after;
    if (rc == RV_OK)
        RV_STORE_RETRY(id->db, rc, RV_BUSY_TRIES, rv_store_revocations(id->db->store, after, revoked_row, id, &last, err));
    if (rc == RV_OK && last > id->revoked_seen) id->revoked_seen = last;
    return rc;
}

/* The tokens of old no longer in t are revoked: each node is told through
 * the store, and their sessions end (reload_lock held). */
static void note_revoked(rv_identity *id, const rv_tokens *old, const rv_tokens *t)
{
    unsigned char key[RV_TOKEN_KEY_LEN];
    char name[RV_TOKEN_NAME_MAX + 1];
    pthread_mutex_lock(&id->poll_lock);
    for (size_t i = 0; rv_tokens_at(old, i, key, name, sizeof name); i++) {
        if (rv_tokens_by_key(t, key, NULL, NULL, 0)) continue;
        pthread_rwlock_wrlock(&id->lock);
        int ok = add_revoked_locked(id, key);
        pthread_rwlock_unlock(&id->lock);
        void *np = realloc(id->pending, (id->n_pending + 1) * sizeof *id->pending);
        if (np) id->pending = np;
        void *nn = np ? realloc(id->pending_name, (id->n_pending + 1) * sizeof *id->pending_name) : NULL;
        if (nn) id->pending_name = nn;
        if (!ok || !nn) {
            fprintf(stderr, "rostvakt: out of memory: token %s is revoked here only\n", name);
            continue;
        }
        memcpy(id->pending[id->n_pending], key, RV_TOKEN_KEY_LEN);
        snprintf(id->pending_name[id->n_pending++], RV_TOKEN_NAME_MAX + 1, "%s", name);
    }
    rv_error e;
    if (id->db && id->n_pending && poll_locked(id, &e) != RV_OK)
        fprintf(stderr, "rostvakt: cannot record a revoked token for the other nodes yet: %s\n", e.msg);
    pthread_mutex_unlock(&id->poll_lock);
}

/* rv_identity_reload with reload_lock held: the file's stat is taken
 * before it is read, so that a change while it is read is seen at the
 * next look. */
static rv_err reload_locked(rv_identity *id, rv_error *err)
{
    const rv_config *cfg = id->cfg;
    rv_tokens *t = NULL;
    rv_users *u = NULL;
    if (stat(cfg->tokens, &id->seen) != 0) memset(&id->seen, 0, sizeof id->seen);
    if (!cfg->users_file[0] || stat(cfg->users_file, &id->seen_users) != 0)
        memset(&id->seen_users, 0, sizeof id->seen_users);
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
    pthread_rwlock_unlock(&id->lock);
    note_revoked(id, old_t, t); /* a revoked token's sessions end now, on every node */
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

/* Read the revocations when they were last read REVOCATION_POLL_MS ago
 * (a thread that finds another reading goes on). */
static void poll_revocations(rv_identity *id)
{
    long long ms = rv_now_ms(), last = atomic_load(&id->polled_ms);
    if (!id->db || ms - last < REVOCATION_POLL_MS || !atomic_compare_exchange_strong(&id->polled_ms, &last, ms) ||
        pthread_mutex_trylock(&id->poll_lock) != 0)
        return;
    rv_error e;
    if (poll_locked(id, &e) != RV_OK) fprintf(stderr, "rostvakt: cannot read the revoked tokens: %s\n", e.msg);
    pthread_mutex_unlock(&id->poll_lock);
}

rv_err rv_identity_use_store(rv_identity *id, rv_service_store *db, rv_error *err)
{
    pthread_mutex_lock(&id->poll_lock);
    id->db = db;
    rv_err rc;
    RV_STORE_RETRY(db, rc, RV_BUSY_TRIES, rv_sessions_share_secret(id->sessions, db->store, err));
    if (rc == RV_OK) rc = poll_locked(id, err);
    pthread_mutex_unlock(&id->poll_lock);
    atomic_store(&id->polled_ms, rv_now_ms());
    return rc;
}

/* 1 when the file at path is not the one o describes (o: as last read). */
static int changed(const char *path, const struct stat *o)
{
    struct stat st;
    if (stat(path, &st) != 0) memset(&st, 0, sizeof st);
    return st.st_dev != o->st_dev || st.st_ino != o->st_ino || st.st_size != o->st_size ||
           st.st_mtim.tv_sec != o->st_mtim.tv_sec || st.st_mtim.tv_nsec != o->st_mtim.tv_nsec;
}

void rv_identity_fresh(rv_identity *id, int unknown)
{
    poll_revocations(id);
    long long ms = rv_now_ms();
    long long last = atomic_load(&id->looked_ms);
    if (unknown) {
        atomic_store(&id->looked_ms, ms);
        pthread_mutex_lock(&id->reload_lock);
    } else if (ms - last < 1000 || !atomic_compare_exchange_strong(&id->looked_ms, &last, ms) ||
               pthread_mutex_trylock(&id->reload_lock) != 0) {
        return; /* looked at lately, or another thread reads the file now */
    }
    /* the users file as the tokens file: a user taken out stops at once */
    if (changed(id->cfg->tokens, &id->seen) || (id->cfg->users_file[0] && changed(id->cfg->users_file, &id->seen_users))) {
        rv_error e;
        if (reload_locked(id, &e) != RV_OK) /* said once a change: seen is the file read */
            fprintf(stderr, "rostvakt: %s changed: %s; the old tokens and users stay\n",
                    id->cfg->users_file[0] ? "the tokens or users file" : id->cfg->tokens, e.msg);
    }
    pthread_mutex_unlock(&id->reload_lock);
}

int rv_identity_token(rv_identity *id, const char *token, rv_role *role, char *name, size_t cap)
{
    int known = 0;
    for (int again = 0; !known && again < 2; again++) { /* unknown: made just now? */
        if (again) rv_identity_fresh(id, 1);
        unsigned char key[RV_TOKEN_KEY_LEN];
        pthread_rwlock_rdlock(&id->lock);
        known = rv_tokens_check_key(id->tokens, token, role, name, cap, key) && !revoked_locked(id, key);
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
        ok = rv_tokens_check_key(id->tokens, token, role, name, cap, key) && !revoked_locked(id, key);
        pthread_rwlock_unlock(&id->lock);
    }
    return ok;
}

int rv_identity_by_key(rv_identity *id, const unsigned char key[RV_TOKEN_KEY_LEN], rv_role *role, char *name,
                       size_t cap)
{
    pthread_rwlock_rdlock(&id->lock);
    int found = !revoked_locked(id, key) && rv_tokens_by_key(id->tokens, key, role, name, cap);
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

rv_err rv_identity_sign_in(rv_identity *id, const unsigned char key[RV_TOKEN_KEY_LEN], const char *name, rv_role role,
                           char sid[RV_SESSION_ID_LEN + 1], char csrf[RV_SESSION_ID_LEN + 1], rv_error *err)
{
    if (!id->db) return rv_error_set(err, RV_ERR_INTERNAL, "no store for the sessions");
    char orgs[RV_ORGS_TEXT_MAX] = "";
    if (!rv_identity_orgs(id, 0, name, orgs)) /* revoked since its key was checked: "" would be every one */
        return rv_error_set(err, RV_ERR_UNAUTHORIZED, "no such token");
    rv_session_owner o = {key, name, orgs, role};
    rv_err rc;
    RV_STORE_RETRY(id->db, rc, RV_BUSY_TRIES, rv_session_create(id->sessions, id->db->store, &o, sid, csrf, err));
    return rc;
}

rv_err rv_identity_session(rv_identity *id, const char *sid, rv_role *role, char *name, size_t cap,
                           char csrf[RV_SESSION_ID_LEN + 1], rv_error *err)
{
    unsigned char key[RV_TOKEN_KEY_LEN];
    rv_err rc;
    if (!id->db) return rv_error_set(err, RV_ERR_NOT_FOUND, "no store for the sessions");
    RV_STORE_RETRY(id->db, rc, RV_BUSY_TRIES, rv_session_find(id->sessions, id->db->store, sid, key, csrf, err));
    if (rc != RV_OK) return rc;
    /* who and which role: the session's token's now, while it is in the file */
    if (rv_identity_by_key(id, key, role, name, cap)) return RV_OK;
    csrf[0] = '\0';
    rv_error e;
    if (rv_identity_sign_out(id, sid, &e) != RV_OK) fprintf(stderr, "rostvakt: %s\n", e.msg);
    return rv_error_set(err, RV_ERR_NOT_FOUND, "the session's token is gone");
}

rv_err rv_identity_sign_out(rv_identity *id, const char *sid, rv_error *err)
{
    rv_err rc;
    if (!id->db) return RV_OK;
    RV_STORE_RETRY(id->db, rc, RV_BUSY_TRIES, rv_session_end(id->sessions, id->db->store, sid, err));
    return rc;
}
