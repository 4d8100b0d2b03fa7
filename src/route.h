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
/* "/v1/mailboxes/{ext}/voicemails" (ext up to 23 bytes into ext_out when set). */
int rv_voicemail_url(const char *url, char *ext_out);
/* "/v1/mailboxes/{ext}" + suffix exactly, ext 1 to 20 digits. */
int rv_mailbox_route(const char *url, const char *suffix);
/* Requests whose body is audio. */
int rv_is_audio_upload(const char *url);
/* The roles that may send a body to url with method (0: no route takes
 * one); *anyone when no sign-in is needed. */
unsigned rv_body_roles(const char *url, const char *method, int *anyone);
/* The largest body url with method takes when it is smaller than the
 * configured limits (a sign-in's), or 0. */
size_t rv_body_cap(const char *url, const char *method);
/* 1 when s is strict UTF-8 (what jansson takes: no overlong forms or
 * surrogates, nothing above U+10FFFF). */
int rv_utf8_valid(const char *s);
/* The length of s's first len bytes without a character cut short at
 * their end (len when none is). */
size_t rv_utf8_cut(const char *s, size_t len);

#endif
