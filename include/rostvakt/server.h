/* rostvakt serve (issue 4, begun): the HTTP service on libmicrohttpd. Today:
 * GET /healthz, bearer tokens with roles, PUT and GET /v1/mailboxes/{ext},
 * POST /v1/mailboxes/{ext}/voicemails (stored durably, queued; the analysis
 * worker is still to come).
 * The rest of the API is still to come (405/404 until then). */
#ifndef RV_SERVER_H
#define RV_SERVER_H

#include <stddef.h>

#include "rostvakt/err.h"

typedef struct {
    const char *listen;     /* "127.0.0.1:8440"; port 0: any free port */
    const char *data_dir;
    const char *tokens;     /* the tokens file of rostvakt token */
    unsigned workers;       /* HTTP thread pool size, and as many greeting threads
                             * (each with a decoder) */
    size_t max_json_bytes;  /* larger JSON bodies: 413 */
    size_t max_audio_bytes; /* larger audio bodies: 413 (0: 20 MiB) */
    double max_audio_seconds; /* longer recordings: 422 (0: 600 s) */
    unsigned analysis_workers; /* threads draining the voicemail queue (0: none) */
    const char *models_dir;   /* phone map, case words, channel adaptation; NULL: no
                               * keyword spotting, classification by length only */
    long long max_queue;      /* more voicemails waiting: 503 with Retry-After (0: 10000) */
    const struct rv_config_s *cfg; /* analysis settings (copied; NULL: defaults) */
} rv_server_opts;

typedef struct rv_server rv_server;

/* Start serving; *port gets the port bound. New *out (rv_server_stop). */
rv_err rv_server_start(const rv_server_opts *o, rv_server **out, unsigned *port, rv_error *err);
void rv_server_stop(rv_server *s);

#endif
