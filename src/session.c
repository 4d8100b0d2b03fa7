/* Web app sessions and the trusted proxy's users (session.h). */
#include "rostvakt/session.h"
#include "rostvakt/organisation.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "rostvakt/textfile.h"

struct rv_sessions {
    long idle, max_age;
    unsigned char secret[32]; /* for the proxy users' CSRF tokens */
};

/* Milliseconds since the epoch: a session's times are shared by the nodes
 * and outlive a restart. */
static long long wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
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

/* The name a session id is kept under: its SHA-256, so that the database
 * never holds what the cookie carries. */
static void id_hash(const char *id, char out[RV_SHA256_HEX + 1])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)id, strlen(id), md);
    hex(md, sizeof md, out);
}

/* 1 when id is RV_SESSION_ID_LEN lower-case hex digits, as made here. */
static int well_formed(const char *id)
{
    if (!id || strlen(id) != RV_SESSION_ID_LEN) return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return 0;
    return 1;
}

rv_err rv_sessions_new(long idle_s, rv_sessions **out, rv_error *err)
{
    *out = NULL;
    rv_sessions *s = calloc(1, sizeof *s);
    if (!s) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    if (getrandom(s->secret, sizeof s->secret, 0) != (ssize_t)sizeof s->secret) {
        free(s);
        return rv_error_set(err, RV_ERR_INTERNAL, "no randomness for the session secret");
    }
    s->idle = idle_s;
    *out = s;
    return RV_OK;
}

void rv_sessions_max_age(rv_sessions *s, long max_s) { s->max_age = max_s > 0 ? max_s : 0; }

void rv_sessions_free(rv_sessions *s)
{
    if (!s) return;
    OPENSSL_cleanse(s, sizeof *s);
    free(s);
}

rv_err rv_session_create(rv_sessions *s, rv_store *db, const rv_session_owner *owner, char id[RV_SESSION_ID_LEN + 1],
                         char csrf[RV_SESSION_ID_LEN + 1], rv_error *err)
{
    if (!random_hex(id) || !random_hex(csrf)) return rv_error_set(err, RV_ERR_INTERNAL, "no randomness for a session");
    rv_session_row r = {0};
    id_hash(id, r.id_sha256);
    hex(owner->key, RV_TOKEN_KEY_LEN, r.token_key);
    snprintf(r.name, sizeof r.name, "%s", owner->name ? owner->name : "");
    snprintf(r.role, sizeof r.role, "%s", rv_role_name(owner->role));
    snprintf(r.organisations, sizeof r.organisations, "%s", owner->orgs ? owner->orgs : "");
    memcpy(r.csrf, csrf, RV_SESSION_ID_LEN + 1);
    r.used_ms = wall_ms();
    r.idle_until_ms = r.used_ms + s->idle * 1000;
    rv_err rc = rv_store_session_add(db, &r, RV_SESSIONS_PER_TOKEN, RV_SESSIONS_MAX, err);
    OPENSSL_cleanse(&r, sizeof r);
    if (rc != RV_OK) id[0] = csrf[0] = '\0';
    return rc;
}

static int unhex(const char *h, unsigned char *out, size_t n)
{
    if (strlen(h) != 2 * n) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = h[2 * i + k];
            v = v * 16 + (unsigned)(c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 99);
        }
        if (v > 255) return 0;
        out[i] = (unsigned char)v;
    }
    return 1;
}

rv_err rv_session_find(rv_sessions *s, rv_store *db, const char *id, unsigned char key[RV_TOKEN_KEY_LEN],
                       char csrf[RV_SESSION_ID_LEN + 1], rv_error *err)
{
    if (!well_formed(id)) return rv_error_set(err, RV_ERR_NOT_FOUND, "no such session");
    char h[RV_SHA256_HEX + 1];
    id_hash(id, h);
    long long idle_ms = s->idle * 1000, touch = idle_ms / 10;
    if (touch > 60000) touch = 60000;
    rv_session_row r;
    long long now = wall_ms();
    rv_err rc = rv_store_session_get(db, h, now, idle_ms, touch, &r, err);
    if (rc == RV_OK && s->max_age && now - r.created_ms >= s->max_age * 1000LL) { /* signed in long enough ago */
        OPENSSL_cleanse(&r, sizeof r);
        rc = rv_store_session_end(db, h, err);
        return rc != RV_OK ? rc : rv_error_set(err, RV_ERR_NOT_FOUND, "the session has reached its longest life");
    }
    if (rc == RV_OK && (!unhex(r.token_key, key, RV_TOKEN_KEY_LEN) || strlen(r.csrf) != RV_SESSION_ID_LEN))
        rc = rv_error_set(err, RV_ERR_NOT_FOUND, "a damaged session");
    if (rc == RV_OK) memcpy(csrf, r.csrf, RV_SESSION_ID_LEN + 1);
    OPENSSL_cleanse(&r, sizeof r);
    return rc;
}

rv_err rv_session_end(rv_sessions *s, rv_store *db, const char *id, rv_error *err)
{
    (void)s;
    if (!well_formed(id)) return RV_OK;
    char h[RV_SHA256_HEX + 1];
    id_hash(id, h);
    return rv_store_session_end(db, h, err);
}

rv_err rv_sessions_share_secret(rv_sessions *s, rv_store *db, rv_error *err)
{
    char mine[2 * sizeof s->secret + 1], kept[2 * sizeof s->secret + 8];
    hex(s->secret, sizeof s->secret, mine);
    rv_err rc = rv_store_shared_secret(db, "proxy_csrf", mine, kept, sizeof kept, err);
    if (rc == RV_OK && strlen(kept) == 2 * sizeof s->secret && unhex(kept, s->secret, sizeof s->secret)) {
        OPENSSL_cleanse(kept, sizeof kept);
        return RV_OK;
    }
    OPENSSL_cleanse(kept, sizeof kept);
    return rc != RV_OK ? rc : rv_error_set(err, RV_ERR_IO, "the proxy users' secret in the store is damaged");
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
    if (tab2 && tab2[1]) { /* tabs after the organisations: nothing; an empty field is refused below */
        size_t n = strlen(tab2 + 1);
        while (n > 1 && tab2[n] == '\t') tab2[n--] = '\0';
    }
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
    rv_err rc = rv_textfile_fields_each(path, RV_ERR_IO, user_line, u, err);
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
