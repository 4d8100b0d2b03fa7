/* rostvakt serve: the HTTP service (README: the API). Starting and stopping
 * it; the parts are drawn in docs/code.md (the transport in http.c, the
 * handlers in api_*.c, uploads in ingest.c, analysis and jobs in
 * workers.c). */
#ifndef RV_SERVER_H
#define RV_SERVER_H

#include "rostvakt/config.h"
#include "rostvakt/err.h"

typedef struct {
    /* Every setting of the service: listen, data_dir, tokens, http_workers,
     * analysis_workers, max_json_bytes, the audio limits, max_queue and the
     * analysis settings. Resolved and validated (rv_config_resolve,
     * rv_config_validate); copied. */
    const rv_config *cfg;
} rv_server_opts;

typedef struct rv_server rv_server;

/* Start serving; *port gets the port bound. New *out (rv_server_stop).
 * RV_ERR_ARG for a listen address that is not ADDRESS:PORT, RV_ERR_IO when
 * it cannot be bound, and the store's and token file's errors. */
RV_MUST_USE rv_err rv_server_start(const rv_server_opts *o, rv_server **out, unsigned *port, rv_error *err);

/* Stop: greetings being analysed finish, uploads taken are committed and
 * answered, then the threads end. NULL is fine. */
void rv_server_stop(rv_server *s);

/* Read the tokens file (and users_file) again, as on SIGHUP: revoked
 * tokens stop working and their sessions end. On an error the old ones
 * stay and err says why. */
RV_MUST_USE rv_err rv_server_reload(rv_server *s, rv_error *err);

#endif
