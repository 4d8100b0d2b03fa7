/* Who is who for the service: the API tokens, the trusted proxy's users,
 * the web app's sign-in sessions, and reading the tokens file again when
 * it changes. Not installed; any thread. */
#ifndef RV_IDENTITY_H
#define RV_IDENTITY_H

#include <stddef.h>

#include "service_store.h"
#include "rostvakt/config.h"
#include "rostvakt/err.h"
#include "rostvakt/session.h"
#include "rostvakt/token.h"

typedef struct rv_identity rv_identity;

/* Read cfg's tokens file and users_file and set up the sessions; new *out
 * (rv_identity_free). RV_ERR_CONFIG for a trusted_proxy that is not an
 * IPv4 address or comes without users_file; the files' errors. cfg is
 * borrowed for as long as the identity lives. */
RV_MUST_USE rv_err rv_identity_open(const rv_config *cfg, rv_identity **out, rv_error *err);
void rv_identity_free(rv_identity *id);
/* Read the tokens file (and users_file) again: revoked tokens stop working
 * and their sessions end. On an error the old ones stay, err says why. */
RV_MUST_USE rv_err rv_identity_reload(rv_identity *id, rv_error *err);
/* Look at the tokens file and read it again when it changed since it was
 * last read (another inode, size or mtime): before a token or session is
 * checked at most once a second (unknown 0), so that a revoked token, with
 * its sessions, stops within a second; and each time a token is not known
 * (unknown 1), so that one made with `rostvakt token` works at once (a
 * stat; the file is read only when it changed). With unknown 0 a thread
 * that finds another looking goes on with the tokens it has. */
void rv_identity_fresh(rv_identity *id, int unknown);
/* 1 with the role and name of a bearer token (the file looked at again
 * when it is not known); 0 for none. */
int rv_identity_token(rv_identity *id, const char *token, rv_role *role, char *name, size_t cap);
/* As rv_identity_token, also giving the token's key (a sign-in). */
int rv_identity_token_key(rv_identity *id, const char *token, rv_role *role, char *name, size_t cap,
                          unsigned char key[RV_TOKEN_KEY_LEN]);
/* 1 with the role and name of the token whose key a session holds, while
 * it is in the file. */
int rv_identity_by_key(rv_identity *id, const unsigned char key[RV_TOKEN_KEY_LEN], rv_role *role, char *name,
                       size_t cap);
/* 1 with the role of a user the trusted proxy names (users_file). */
int rv_identity_user(rv_identity *id, const char *user, rv_role *role);
/* The organisations of the token (proxy 0) or the proxy's user (proxy 1)
 * named name, as ",a,b," ("" for every one) into orgs: 1, or 0 when there
 * is no such token or user now. */
int rv_identity_orgs(rv_identity *id, int proxy, const char *name, char orgs[256]);
/* The web app's sessions (valid while id is). */
rv_sessions *rv_identity_sessions(rv_identity *id);

/* Keep the sessions in db, and refuse the tokens revoked there, by any
 * node (read now, then at most every 400 ms as tokens are checked); a
 * token that leaves the tokens file is recorded there as revoked. db is
 * borrowed while id lives. Until this is called no session can be made.
 * The store's errors. */
RV_MUST_USE rv_err rv_identity_use_store(rv_identity *id, rv_service_store *db, rv_error *err);
/* A new session (rv_session_create) for the token whose key is key, named
 * name, of role: its id and CSRF token. */
RV_MUST_USE rv_err rv_identity_sign_in(rv_identity *id, const unsigned char key[RV_TOKEN_KEY_LEN], const char *name,
                                       rv_role role,
                                       char sid[RV_SESSION_ID_LEN + 1], char csrf[RV_SESSION_ID_LEN + 1],
                                       rv_error *err);
/* The session sid: RV_OK with the role and name of its token now, and its
 * CSRF token; RV_ERR_NOT_FOUND when there is none, it has expired, or its
 * token is not in the file (then the session ends); the store's errors. */
RV_MUST_USE rv_err rv_identity_session(rv_identity *id, const char *sid, rv_role *role, char *name, size_t cap,
                                       char csrf[RV_SESSION_ID_LEN + 1], rv_error *err);
/* End the session sid. The store's errors. */
RV_MUST_USE rv_err rv_identity_sign_out(rv_identity *id, const char *sid, rv_error *err);

#endif
