/* rostvakt serve (issue 4, begun): the HTTP service on libmicrohttpd. Today:
 * GET /healthz, bearer tokens with roles, PUT and GET /v1/mailboxes/{ext}.
 * The rest of the API is still to come (405/404 until then). */
#ifndef RV_SERVER_H
#define RV_SERVER_H

#include <stddef.h>

#include "rostvakt/err.h"

typedef struct {
    const char *listen;     /* "127.0.0.1:8440"; port 0: any free port */
    const char *data_dir;
    const char *tokens;     /* the tokens file of rostvakt token */
    unsigned workers;       /* thread pool size */
    size_t max_json_bytes;  /* larger JSON bodies: 413 */
} rv_server_opts;

typedef struct rv_server rv_server;

/* Start serving; *port gets the port bound. New *out (rv_server_stop). */
rv_err rv_server_start(const rv_server_opts *o, rv_server **out, unsigned *port, rv_error *err);
void rv_server_stop(rv_server *s);

#endif
