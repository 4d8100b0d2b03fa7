/* The HTTP transport (http.c): the daemon, its connections and their
 * deadlines, the budget of request bodies, authentication and answers.
 * Which handler answers what, the route table it is given says. Not
 * installed. */
#ifndef RV_HTTP_H
#define RV_HTTP_H

#include <stddef.h>

#include "identity.h"
#include "metrics.h"
#include "route.h"
#include "rostvakt/config.h"
#include "rostvakt/err.h"

typedef struct rv_http rv_http;

/* What the transport is given, borrowed while it runs. */
typedef struct {
    const rv_config *cfg;
    rv_identity *id;
    rv_metrics *metrics;
    const rv_route *routes;
    size_t n_routes;
    rv_server *app;                           /* handed to the handlers */
    /* asked before each authorised handler: 1 to go on, else 0 and answered */
    int (*gate)(rv_server *s, rv_req *r, const rv_route *rt, const rv_path *p, int *ret);
} rv_http_opts;

/* Listen on cfg's listen address; *port gets the port bound; new *out
 * (rv_http_stop). RV_ERR_ARG for an address that is not ADDRESS:PORT,
 * RV_ERR_CONFIG for a body budget smaller than one body, RV_ERR_IO when it
 * cannot be bound. */
RV_MUST_USE rv_err rv_http_start(const rv_http_opts *o, rv_http **out, unsigned *port, rv_error *err);
/* Stop the daemon and free (no connection may be waiting). NULL is fine. */
void rv_http_stop(rv_http *h);

#endif
