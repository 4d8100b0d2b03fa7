/* Sign-in for the web app: sessions behind a cookie, each with its own
 * CSRF token, ended after a set idle time, kept in the store so that a
 * restart signs nobody out and every node sharing the store knows them;
 * and the users a trusted reverse proxy names, with their roles from a
 * file. Not installed. Any thread; the store calls take the caller's
 * connection, which the caller serialises. */
#ifndef RV_SESSION_H
#define RV_SESSION_H

#include <stddef.h>

#include "rostvakt/err.h"
#include "rostvakt/store.h"
#include "rostvakt/token.h"

#define RV_SESSION_ID_LEN 64 /* hex digits */
#define RV_SESSIONS_MAX 4096
#define RV_SESSIONS_PER_TOKEN 32 /* one token's sessions at most */

typedef struct rv_sessions rv_sessions;

/* New *out (rv_sessions_free): sessions that end idle_s seconds after their
 * last use. */
RV_MUST_USE rv_err rv_sessions_new(long idle_s, rv_sessions **out, rv_error *err);
/* Sessions end max_s seconds after sign-in however much they are used
 * (0, as rv_sessions_new makes them: no such end). */
void rv_sessions_max_age(rv_sessions *s, long max_s);
void rv_sessions_free(rv_sessions *s);

/* Who made a session: its token's key (rv_tokens_check_key) and, for the
 * operator, the token's name, role and organisations at sign-in. */
typedef struct {
    const unsigned char *key; /* RV_TOKEN_KEY_LEN bytes */
    const char *name, *orgs;
    rv_role role;
} rv_session_owner;

/* A new session in db made for owner: its id and CSRF token. A session
 * keeps the key: who it is and with which role is the token's, looked up
 * at each request, so that a session ends with its token and a name issued
 * again is another token. A token with RV_SESSIONS_PER_TOKEN sessions
 * loses the one of them idle longest; when the table is full, the session
 * idle longest ends. RV_ERR_INTERNAL when no randomness is to be had; the
 * store's errors (RV_ERR_BUSY among them). */
RV_MUST_USE rv_err rv_session_create(rv_sessions *s, rv_store *db, const rv_session_owner *owner,
                                     char id[RV_SESSION_ID_LEN + 1],
                                     char csrf[RV_SESSION_ID_LEN + 1], rv_error *err);

/* The session id names: RV_OK with its token's key and its CSRF token, its
 * idle time starting again (marked in db at most every tenth of the idle
 * time, a minute at most); RV_ERR_NOT_FOUND when there is none or it has
 * expired (then it is ended); the store's errors. */
RV_MUST_USE rv_err rv_session_find(rv_sessions *s, rv_store *db, const char *id, unsigned char key[RV_TOKEN_KEY_LEN],
                                   char csrf[RV_SESSION_ID_LEN + 1], rv_error *err);
RV_MUST_USE rv_err rv_session_end(rv_sessions *s, rv_store *db, const char *id, rv_error *err);

/* Take the secret the proxy users' CSRF tokens are made with from db,
 * where every node sharing it finds the same (the first to ask keeps its
 * own there), so that a proxy user's token is good on any node and after a
 * restart. The store's errors; s keeps its own secret then. */
RV_MUST_USE rv_err rv_sessions_share_secret(rv_sessions *s, rv_store *db, rv_error *err);

/* The CSRF token of a user the trusted proxy names (the same for as long as
 * the secret is: rv_sessions_share_secret). */
void rv_sessions_proxy_csrf(rv_sessions *s, const char *name, char csrf[RV_SESSION_ID_LEN + 1]);

/* Users named by a trusted proxy: "user<TAB>role" a line, '#' comments. */
typedef struct rv_users rv_users;
RV_MUST_USE rv_err rv_users_load(const char *path, rv_users **out, rv_error *err);
void rv_users_free(rv_users *u);
/* 1 with *role when name is listed. */
int rv_users_role(const rv_users *u, const char *name, rv_role *role);
/* The same, with the user's organisations as ",a,b," (a third field of the
 * line, ids or "*"; "" for every one) into orgs (256 bytes) when it is set. */
int rv_users_find(const rv_users *u, const char *name, rv_role *role, char orgs[256]);

#endif
