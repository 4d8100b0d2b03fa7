/* Web app sessions and the trusted proxy's users (session.h). */
#include "rostvakt/session.h"
#include "rostvakt/organisation.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "rostvakt/textfile.h"

typedef struct {
    char id[RV_SESSION_ID_LEN + 1], csrf[RV_SESSION_ID_LEN + 1];
    unsigned char key[RV_TOKEN_KEY_LEN]; /* the token it was made from */
    time_t last;                         /* 0: a free slot */
    unsigned long long used;             /* when last used, in uses of the table: orders equal seconds */
} session;

struct rv_sessions {
    pthread_mutex_t lock;
    long idle;
    unsigned char secret[32]; /* for the proxy users' CSRF tokens */
    unsigned long long uses;
    session *tab;
};

static time_t now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1; /* never 0 */
}

static void hex(const unsigned char *b, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) out[2 * i] = d[b[i] >> 4], out[2 * i + 1] = d[b[i] & 15];
    out[2 * n] = '\0';
}

static int random_hex(char out[RV_SESSION_ID_LEN + 1])
{
    unsigned char b[RV_SESSION_ID_LEN / 2];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) return 0;
    hex(b, sizeof b, out);
    return 1;
}

rv_err rv_sessions_new(long idle_s, rv_sessions **out, rv_error *err)
{
    rv_sessions *s = calloc(1, sizeof *s);
    if (!s || !(s->tab = calloc(RV_SESSIONS_MAX, sizeof *s->tab))) {
        free(s);
        return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    if (getrandom(s->secret, sizeof s->secret, 0) != (ssize_t)sizeof s->secret) {
        free(s->tab);
        free(s);
        return rv_error_set(err, RV_ERR_INTERNAL, "no randomness for the session secret");
    }
    pthread_mutex_init(&s->lock, NULL);
    s->idle = idle_s;
    *out = s;
    return RV_OK;
}

void rv_sessions_free(rv_sessions *s)
{
    if (!s) return;
    pthread_mutex_destroy(&s->lock);
    OPENSSL_cleanse(s->tab, RV_SESSIONS_MAX * sizeof *s->tab);
    free(s->tab);
    free(s);
}

static int same_key(const session *t, const unsigned char *key)
{
    return memcmp(t->key, key, RV_TOKEN_KEY_LEN) == 0;
}

static int idle_longer(const session *a, const session *b)
{
    return a->last < b->last || (a->last == b->last && a->used < b->used);
}

rv_err rv_session_create(rv_sessions *s, const unsigned char key[RV_TOKEN_KEY_LEN], char id[RV_SESSION_ID_LEN + 1],
                         char csrf[RV_SESSION_ID_LEN + 1], rv_error *err)
{
    if (!random_hex(id) || !random_hex(csrf)) return rv_error_set(err, RV_ERR_INTERNAL, "no randomness for a session");
    pthread_mutex_lock(&s->lock);
    time_t now = now_s();
    session *free_slot = NULL, *oldest = NULL, *own_oldest = NULL;
    size_t own = 0;
    for (size_t i = 0; i < RV_SESSIONS_MAX; i++) {
        session *t = &s->tab[i];
        if (t->last && now - t->last > s->idle) memset(t, 0, sizeof *t); /* expired */
        if (!t->last) {
            if (!free_slot) free_slot = t;
            continue;
        }
        if (!oldest || idle_longer(t, oldest)) oldest = t;
        if (same_key(t, key)) {
            own++;
            if (!own_oldest || idle_longer(t, own_oldest)) own_oldest = t;
        }
    }
    /* a token signing in again and again ends its own sessions, nobody else's */
    session *slot = own >= RV_SESSIONS_PER_TOKEN ? own_oldest : free_slot ? free_slot : oldest;
    memcpy(slot->id, id, sizeof slot->id);
    memcpy(slot->csrf, csrf, sizeof slot->csrf);
    memcpy(slot->key, key, sizeof slot->key);
    slot->last = now;
    slot->used = ++s->uses;
    pthread_mutex_unlock(&s->lock);
    return RV_OK;
}

/* The slot of id, or NULL (lock held). Compares every live slot in
 * constant time. */
static session *slot_of(rv_sessions *s, const char *id)
{
    if (!id || strlen(id) != RV_SESSION_ID_LEN) return NULL;
    session *found = NULL;
    for (size_t i = 0; i < RV_SESSIONS_MAX; i++)
        if (s->tab[i].last && CRYPTO_memcmp(s->tab[i].id, id, RV_SESSION_ID_LEN) == 0) found = &s->tab[i];
    return found;
}

int rv_session_find(rv_sessions *s, const char *id, unsigned char key[RV_TOKEN_KEY_LEN],
                    char csrf[RV_SESSION_ID_LEN + 1])
{
    pthread_mutex_lock(&s->lock);
    session *t = slot_of(s, id);
    time_t now = now_s();
    int ok = 0;
    if (t && now - t->last > s->idle) {
        memset(t, 0, sizeof *t);
        t = NULL;
    }
    if (t) {
        t->last = now;
        t->used = ++s->uses;
        memcpy(key, t->key, RV_TOKEN_KEY_LEN);
        memcpy(csrf, t->csrf, RV_SESSION_ID_LEN + 1);
        ok = 1;
    }
    pthread_mutex_unlock(&s->lock);
    return ok;
}

void rv_session_end(rv_sessions *s, const char *id)
{
    pthread_mutex_lock(&s->lock);
    session *t = slot_of(s, id);
    if (t) memset(t, 0, sizeof *t);
    pthread_mutex_unlock(&s->lock);
}

void rv_sessions_end_unless(rv_sessions *s, int (*keep)(void *arg, const unsigned char *key), void *arg)
{
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < RV_SESSIONS_MAX; i++)
        if (s->tab[i].last && !keep(arg, s->tab[i].key)) memset(&s->tab[i], 0, sizeof s->tab[i]);
    pthread_mutex_unlock(&s->lock);
}

void rv_sessions_proxy_csrf(rv_sessions *s, const char *name, char csrf[RV_SESSION_ID_LEN + 1])
{
    unsigned char buf[sizeof s->secret + RV_TOKEN_NAME_MAX + 1], md[SHA256_DIGEST_LENGTH];
    size_t n = strnlen(name, RV_TOKEN_NAME_MAX);
    memcpy(buf, s->secret, sizeof s->secret);
    memcpy(buf + sizeof s->secret, name, n);
    SHA256(buf, sizeof s->secret + n, md);
    hex(md, sizeof md, csrf);
}

/* ---- the proxy's users ---- */

typedef struct {
    char name[RV_TOKEN_NAME_MAX + 1];
    rv_role role;
    char orgs[RV_ORGS_TEXT_MAX]; /* ",a,b,", or "" for every one */
} user;

struct rv_users {
    user *v;
    size_t n, cap;
};

static rv_err user_line(char *line, int lineno, void *arg, rv_error *err)
{
    rv_users *u = arg;
    line[strcspn(line, "\r")] = '\0';
    if (!line[0] || line[0] == '#') return RV_OK;
    char *tab = strchr(line, '\t');
    char *tab2 = tab ? strchr(tab + 1, '\t') : NULL;
    if (tab2) *tab2 = '\0';
    int role = tab ? rv_role_parse(tab + 1) : -1;
    char orgs[RV_ORGS_TEXT_MAX] = "";
    if (!tab || tab == line || (size_t)(tab - line) > RV_TOKEN_NAME_MAX || role < 0 || role == RV_ROLE_PBX ||
        (tab2 && !rv_orgs_norm(tab2 + 1, orgs)))
        return rv_error_set(err, RV_ERR_CONFIG,
                            "users file line %d: \"user<TAB>officer|admin|manager[<TAB>org,org]\" expected"
                            " (organisations: ids, or *)",
                            lineno);
    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 16;
        user *nv = realloc(u->v, cap * sizeof *nv);
        if (!nv) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        u->v = nv, u->cap = cap;
    }
    snprintf(u->v[u->n].name, sizeof u->v[u->n].name, "%.*s", (int)(tab - line), line);
    snprintf(u->v[u->n].orgs, sizeof u->v[u->n].orgs, "%s", orgs);
    u->v[u->n++].role = (rv_role)role;
    return RV_OK;
}

rv_err rv_users_load(const char *path, rv_users **out, rv_error *err)
{
    rv_users *u = calloc(1, sizeof *u);
    if (!u) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    rv_err rc = rv_textfile_each(path, RV_ERR_IO, user_line, u, err);
    if (rc != RV_OK) {
        rv_users_free(u);
        return rc;
    }
    *out = u;
    return RV_OK;
}

void rv_users_free(rv_users *u)
{
    if (!u) return;
    free(u->v);
    free(u);
}

int rv_users_role(const rv_users *u, const char *name, rv_role *role)
{
    return rv_users_find(u, name, role, NULL);
}

int rv_users_find(const rv_users *u, const char *name, rv_role *role, char orgs[RV_ORGS_TEXT_MAX])
{
    for (size_t i = 0; u && name && i < u->n; i++)
        if (strcmp(u->v[i].name, name) == 0) {
            *role = u->v[i].role;
            if (orgs) snprintf(orgs, RV_ORGS_TEXT_MAX, "%s", u->v[i].orgs);
            return 1;
        }
    return 0;
}
