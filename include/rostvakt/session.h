/* Sign-in for the web app: sessions behind a cookie, each with its own
 * CSRF token, ended after a set idle time; and the users a trusted reverse
 * proxy names, with their roles from a file. Kept in memory: a restart
 * signs everybody out. Thread-safe. */
#ifndef RV_SESSION_H
#define RV_SESSION_H

#include <stddef.h>

#include "rostvakt/err.h"
#include "rostvakt/token.h"

#define RV_SESSION_ID_LEN 64 /* hex digits */
#define RV_SESSIONS_MAX 4096

typedef struct rv_sessions rv_sessions;

/* New *out (rv_sessions_free): sessions that end idle_s seconds after their
 * last use. */
rv_err rv_sessions_new(long idle_s, rv_sessions **out, rv_error *err);
void rv_sessions_free(rv_sessions *s);

/* A new session for name with role: its id and CSRF token. When the table
 * is full the session idle longest is ended. RV_ERR_INTERNAL when no
 * randomness is to be had. */
rv_err rv_session_create(rv_sessions *s, const char *name, rv_role role, char id[RV_SESSION_ID_LEN + 1],
                         char csrf[RV_SESSION_ID_LEN + 1], rv_error *err);

/* The session id names: 1 with its name (up to cap bytes), role and CSRF
 * token, its idle time starting again; 0 when there is none or it has
 * expired (then it is ended). */
int rv_session_find(rv_sessions *s, const char *id, char *name, size_t cap, rv_role *role,
                    char csrf[RV_SESSION_ID_LEN + 1]);
void rv_session_end(rv_sessions *s, const char *id);
/* End every session whose name keep(arg, name) does not keep (a revoked
 * token's). */
void rv_sessions_end_unless(rv_sessions *s, int (*keep)(void *arg, const char *name), void *arg);

/* The CSRF token of a user the trusted proxy names (the same for as long as
 * the service runs). */
void rv_sessions_proxy_csrf(rv_sessions *s, const char *name, char csrf[RV_SESSION_ID_LEN + 1]);

/* Users named by a trusted proxy: "user<TAB>role" a line, '#' comments. */
typedef struct rv_users rv_users;
rv_err rv_users_load(const char *path, rv_users **out, rv_error *err);
void rv_users_free(rv_users *u);
/* 1 with *role when name is listed. */
int rv_users_role(const rv_users *u, const char *name, rv_role *role);

#endif
