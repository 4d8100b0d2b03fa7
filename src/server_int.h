/* The service put together (server.c): the configuration and models the
 * parts share, and the parts, each owned by its file: identity.c (who is
 * who), service_store.c (the request connection, the audit), metrics.c,
 * decoders.c, ingest.c (the group commit), workers.c (jobs and analysis)
 * and http.c (the transport). The handlers (api_*.c) see it through this
 * struct. Not installed. */
#ifndef RV_SERVER_INT_H
#define RV_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "decoders.h"
#include "http.h"
#include "identity.h"
#include "ingest.h"
#include "metrics.h"
#include "route.h"
#include "service_store.h"
#include "workers.h"
#include "rostvakt/config.h"
#include "rostvakt/err.h"
#include "rostvakt/fingerprint.h"
#include "rostvakt/lexicon.h"
#include "rostvakt/server.h"

struct rv_server {
    rv_config cfg;
    /* the models the parts share */
    rv_lexicon *lex;                          /* NULL: no phone map, nothing verified */
    char (*case_words)[64];
    size_t n_case_words;
    rv_fpdb *prompts;
    char models_version[17];
    /* the parts, in the order they start */
    rv_metrics *metrics;
    rv_identity *id;                          /* tokens, users, sessions */
    rv_service_store db;                      /* the request connection, the audit */
    rv_decoders *decoders;
    rv_workers *workers;
    rv_ingest *ingest;
    rv_http *http;                            /* the transport */
};

#endif
