/* Bearer tokens for the HTTP service: each has a name and a role.
 * A token is shown once, when it is created; the tokens file keeps only its
 * SHA-256, one "name<TAB>role<TAB>sha256-hex[<TAB>orgs]" line per token:
 * orgs "a,b" names the organisations it acts for, "*" every one. */
#ifndef RV_TOKEN_H
#define RV_TOKEN_H

#include <stddef.h>

#include "rostvakt/err.h"

typedef enum { RV_ROLE_PBX, RV_ROLE_OFFICER, RV_ROLE_ADMIN, RV_ROLE_MANAGER } rv_role;

#define RV_TOKEN_NAME_MAX 64
#define RV_TOKEN_TEXT_LEN 67 /* "rv_" + 64 hex digits */
#define RV_TOKEN_KEY_LEN 32  /* a token's key: the SHA-256 the tokens file keeps */

/* "pbx", "officer", "admin", "manager" and back; rv_role_parse gives -1 for others. */
const char *rv_role_name(rv_role r);
int rv_role_parse(const char *s);

/* Create a token for name (1..64 of A-Z a-z 0-9 . _ -) with role, append its
 * hash to the tokens file at path (created with mode 0600; the append is
 * locked and fsync'ed), and write the token itself to out. Errors: RV_ERR_ARG
 * (bad name, a name already there), RV_ERR_IO, RV_ERR_CONFIG (a damaged
 * tokens file, naming the line). */
RV_MUST_USE rv_err rv_token_create(const char *path, const char *name, rv_role role,
                                   char out[RV_TOKEN_TEXT_LEN + 1], rv_error *err);

/* rv_token_create with the organisations the token acts for: orgs "a,b"
 * (ids) or "*" (every one), kept as the line's fourth field; NULL: none
 * named (the line has three fields). RV_ERR_ARG for a bad list. */
RV_MUST_USE rv_err rv_token_create_orgs(const char *path, const char *name, rv_role role, const char *orgs,
                                        char out[RV_TOKEN_TEXT_LEN + 1], rv_error *err);

/* Remove the token named name from the tokens file (rewritten whole,
 * atomically, under the same lock as rv_token_create). RV_ERR_NOT_FOUND
 * when there is none; a running service stops taking it on SIGHUP. */
RV_MUST_USE rv_err rv_token_revoke(const char *path, const char *name, rv_error *err);

typedef struct rv_tokens rv_tokens;

/* Load the tokens file. New *out (rv_tokens_free). An absent file is
 * RV_ERR_IO; a damaged line RV_ERR_CONFIG. */
RV_MUST_USE rv_err rv_tokens_load(const char *path, rv_tokens **out, rv_error *err);
void rv_tokens_free(rv_tokens *t);
size_t rv_tokens_count(const rv_tokens *t);

/* Who presents token? 1 with *role and name (up to name_cap bytes), else 0.
 * Every entry is compared, in constant time, whatever matches. */
int rv_tokens_check(const rv_tokens *t, const char *token, rv_role *role, char *name,
                    size_t name_cap);
/* rv_tokens_check, with the token's key (when key is set): what names this
 * very token, whatever its name, and only while it is in the file. */
int rv_tokens_check_key(const rv_tokens *t, const char *token, rv_role *role, char *name, size_t name_cap,
                        unsigned char key[RV_TOKEN_KEY_LEN]);
/* The token whose key is key: 1 with *role and name (up to name_cap bytes),
 * else 0. */
int rv_tokens_by_key(const rv_tokens *t, const unsigned char key[RV_TOKEN_KEY_LEN], rv_role *role, char *name,
                     size_t name_cap);
/* The organisations of the token named name as ",a,b," into out ("": every
 * one: "*", or a line of three fields, written before tokens named any).
 * 1 when there is such a token, else 0. */
int rv_tokens_orgs(const rv_tokens *t, const char *name, char out[256]);
/* The i-th token of t: 1 with its key and name (up to name_cap bytes), 0
 * past the last. */
int rv_tokens_at(const rv_tokens *t, size_t i, unsigned char key[RV_TOKEN_KEY_LEN], char *name, size_t name_cap);
/* 1 when a token named name is in t. */
int rv_tokens_has(const rv_tokens *t, const char *name);

#endif
