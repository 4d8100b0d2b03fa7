/* rostvakt error codes: one table gives each code its name, HTTP status and
 * default text; every error the service sends comes from it. Codes are only
 * ever appended, never renumbered. */
#ifndef RV_ERR_H
#define RV_ERR_H

#include <stddef.h>

/* X(enum, slug, http_status, text) */
#define RV_ERROR_TABLE(X)                                                     \
    X(RV_OK,              "ok",              200, "ok")                       \
    X(RV_ERR_NOMEM,       "out_of_memory",   500, "out of memory")            \
    X(RV_ERR_IO,          "io_error",        500, "input/output error")       \
    X(RV_ERR_ARG,         "invalid_argument",400, "invalid argument")         \
    X(RV_ERR_CONFIG,      "config_error",    500, "invalid configuration")    \
    X(RV_ERR_NOT_FOUND,   "not_found",       404, "not found")                \
    X(RV_ERR_TOO_LARGE,   "too_large",       413, "input too large")          \
    X(RV_ERR_TOO_LONG,    "too_long",        422, "recording too long")       \
    X(RV_ERR_AUDIO_FORMAT,"unsupported_audio",415, "not a supported audio format") \
    X(RV_ERR_AUDIO_CORRUPT,"corrupt_audio",  422, "corrupt audio")            \
    X(RV_ERR_AUDIO_TRUNCATED,"truncated_audio",422, "truncated audio")        \
    X(RV_ERR_INTERNAL,    "internal_error",  500, "internal error")         \
    X(RV_ERR_METHOD,      "method_not_allowed", 405, "method not allowed")  \
    X(RV_ERR_UNAUTHORIZED,"unauthorized",    401, "a valid token is needed")  \
    X(RV_ERR_FORBIDDEN,   "forbidden",       403, "not allowed for this role") \
    X(RV_ERR_QUEUE_FULL,  "queue_full",      503, "the analysis queue is full") \
    X(RV_ERR_STOPPING,    "stopping",        503, "the service is stopping")  \
    X(RV_ERR_SWEEP_RUNNING,"sweep_running",  409, "a sweep is running")       \
    X(RV_ERR_DISPOSED,    "disposed",        410, "disposed of")              \
    X(RV_ERR_UNPROCESSABLE,"unprocessable",  422, "well-formed, but not a value that can be used") \
    X(RV_ERR_BUSY,        "busy",            503, "the archive is busy")      \
    X(RV_ERR_FULL,        "disk_full",       507, "the archive's disk is full") \
    X(RV_ERR_MEDIA_TYPE,  "unsupported_media_type", 415, "the body must be JSON") \
    X(RV_ERR_CONFLICT,    "conflict",        409, "not in a state that allows this")

typedef enum {
#define RV_ERR_ENUM(e, slug, status, text) e,
    RV_ERROR_TABLE(RV_ERR_ENUM)
#undef RV_ERR_ENUM
    RV_ERR__COUNT
} rv_err;

/* On a function returning rv_err: its caller must look at the code, or
 * the build fails (-Werror); rv_err_ignore marks the few places where an
 * error can change nothing (a rollback after a failure already reported,
 * best-effort cleanup). rv_error_set and the like, which exist to make an
 * error, are not marked. */
#define RV_MUST_USE __attribute__((warn_unused_result))
static inline void rv_err_ignore(rv_err rc)
{
    (void)rc;
}

/* Caller-owned error detail; msg is always NUL-terminated. */
typedef struct {
    rv_err code;
    char msg[256];
} rv_error;

/* Stable machine-readable name ("truncated_audio"); never NULL. */
const char *rv_err_slug(rv_err code);
/* HTTP status that the error maps to. */
int rv_err_http_status(rv_err code);
/* Default English text for the code; never NULL. */
const char *rv_err_text(rv_err code);

/* Fill err (may be NULL) with code and a formatted message; returns code. */
rv_err rv_error_set(rv_error *err, rv_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reset err to RV_OK with an empty message. err may be NULL. */
void rv_error_clear(rv_error *err);

/* Test hook, inert unless set: whether RV_TEST_FAULT (comma-separated
 * names) names point, so that the tests can make a step fail the way it
 * would out of memory or inside a library, and see the error reach the
 * caller. Points: "asr_decode" (a PocketSphinx search after the phone
 * loop's), "asr_few_segments" (a search's path longer than its buffer, here
 * four segments), "asr_pronounce_nomem" (looking up a phrase's
 * pronunciation), "template_nomem" (a recording's features),
 * "name_template_io" (reading a mailbox's recorded name). */
int rv_test_fault(const char *point);

#endif
