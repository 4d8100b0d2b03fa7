/* What the HTTP layer decides from text alone, without libmicrohttpd or a
 * socket: which route a path is, who may send it a body, the byte range
 * asked for, dates and ids. Not installed; fuzzed (tests/fuzz). */
#ifndef RV_ROUTE_H
#define RV_ROUTE_H

#include <stddef.h>

#include "rostvakt/token.h"

#define ROLE(r) (1u << (r))

/* RFC 3339 (2026-11-22T10:00:00Z, optional fraction and +-hh:mm, a
 * four-digit year): 1, with utc (when set) the same instant as
 * "YYYY-MM-DDTHH:MM:SSZ"; 0 for anything else. */
int rv_rfc3339_utc(const char *s, char utc[32]);
/* 1 when utc (as rv_rfc3339_utc writes it) lies from 2000-01-01 to a day from now. */
int rv_plausible_received_at(const char *utc);
/* The positive id of len digits at t (1 to 18 digits), or 0. */
long long rv_parse_id(const char *t, size_t len);
/* The one byte range h asks for, per RFC 9110: 1 with [*from, *to]; 0 when
 * there is none or it is to be ignored; -1 when it cannot be satisfied. */
int rv_byte_range(const char *h, unsigned long long size, unsigned long long *from, unsigned long long *to);
/* 1 when url names one of the web app's files, with its Content-Type. */
int rv_web_path(const char *url, const char **type);
/* ---- the route table's types and its matching (the table: api_routes.c) ---- */

typedef struct rv_req rv_req;
typedef struct rv_server rv_server;

/* What a path's pattern took from it: {ext} one segment (cut at 63
 * bytes), {id} one segment as a positive id of up to 18 digits (0 when it
 * is not one), {name} the rest of the path. */
typedef struct {
    char ext[64];
    long long id;
    const char *name;
} rv_path;

/* What a handler returns: 1 answered or waiting, 0 the connection is to be
 * closed (out of memory). */
typedef int rv_answer;
typedef rv_answer (*rv_handler)(rv_server *s, rv_req *r, const rv_path *p);

/* What a route takes as its body: none (a body sent is not read), JSON up
 * to max_json_bytes, audio up to max_audio_bytes, or a sign-in's JSON (at
 * most RV_SIGN_IN_BYTES: anyone may send one). */
typedef enum { RV_BODY_NONE, RV_BODY_JSON, RV_BODY_AUDIO, RV_BODY_SIGN_IN } rv_body_kind;
#define RV_SIGN_IN_BYTES 1024

/* roles: no sign-in needed (the handler may still ask for one) */
#define RV_PUBLIC (1u << 31)

typedef struct {
    const char *method;   /* GET (HEAD too), PUT, POST or DELETE */
    const char *path;     /* "/v1/mailboxes/{ext}/greeting" */
    unsigned roles;       /* ROLE() bits, or RV_PUBLIC */
    rv_body_kind body;
    rv_handler handler;
    /* the query it takes, as docs/api.md shows it ("a=&b=", "" for none:
     * any other parameter is 400; NULL takes any, for the probes); who,
     * when the roles do not say it all (or NULL); what it answers */
    const char *query, *who, *success, *errors;
} rv_route;

/* 1 when url fits pattern, with what its {ext}, {id} and {name} took in p. */
int rv_path_match(const char *pattern, const char *url, rv_path *p);
/* The route of n for method and url (HEAD finds GET's), with p filled in;
 * NULL when there is none, with *allow the methods the path takes ("" when
 * no route has it), as an Allow header lists them. */
const rv_route *rv_route_find(const rv_route *t, size_t n, const char *method, const char *url, rv_path *p,
                              char allow[64]);

/* 1 when s is strict UTF-8 (what jansson takes: no overlong forms or
 * surrogates, nothing above U+10FFFF). */
int rv_utf8_valid(const char *s);
/* The length of s's first len bytes without a character cut short at
 * their end (len when none is). */
size_t rv_utf8_cut(const char *s, size_t len);

#endif
