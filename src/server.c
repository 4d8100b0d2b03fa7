/* rostvakt serve, put together: the configuration and models the parts
 * share, and the order in which the parts start and stop; each part makes,
 * locks and frees its own state. */
#include "server_int.h"
#include "api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rostvakt/calendar.h"
#include "rostvakt/policy.h"
#include "rostvakt/verify.h"

/* The phone map and case words; without them nothing is verified and
 * voicemails are classified by length only. */
static void load_models(rv_server *s)
{
    rv_error le;
    if (rv_lexicon_open_models(s->cfg.models_dir, &s->lex, &le) == RV_OK &&
        rv_case_words_load(s->cfg.case_words, &s->case_words, &s->n_case_words, &le) != RV_OK) {
        rv_lexicon_free(s->lex);
        s->lex = NULL;
    }
    if (!s->lex) fprintf(stderr, "rostvakt: no phrase verification or keyword spotting: %s\n", le.msg);
}

/* As many decoders at once as there are cores (a decoder is CPU-bound and
 * holds about 50 MB), unless configured, and no more than HTTP threads. */
static unsigned decoders_for(const rv_config *cfg)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long n = cfg->greeting_workers > 0 ? (long)cfg->greeting_workers : cores > 0 ? cores : 1;
    if (cfg->greeting_workers == 0 && n > cfg->http_workers) n = (long)cfg->http_workers;
    return (unsigned)n;
}

/* The calendar of profile name ("SE", "AX"); 0 when there is no such profile. */
static int profile_calendar(void *user, const char *name, char cal[4])
{
    const rv_config *cfg = user;
    rv_profile p;
    rv_error e;
    if (rv_profile_find(cfg->profile_dirs, name, &p, &e) != RV_OK) return 0;
    snprintf(cal, 4, "%s", p.calendar);
    return 1;
}

rv_err rv_server_start(const rv_server_opts *o, rv_server **out, unsigned *port, rv_error *err)
{
    *out = NULL;
    if (!o || !o->cfg) return rv_error_set(err, RV_ERR_ARG, "no configuration");
    rv_server *s = calloc(1, sizeof *s);
    if (!s) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    s->cfg = *o->cfg;
    load_models(s);
    rv_models_version(&s->cfg, s->models_version);
    /* without the phone map nothing is verified: such an analysis is out of
     * date for any sweep that has the models */
    if (!s->lex) snprintf(s->models_version, sizeof s->models_version, "unverified");
    s->prompts = rv_prompts_load(&s->cfg, stderr);
    s->metrics = rv_metrics_new();
    rv_err rc = s->prompts && s->metrics ? RV_OK : rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    /* decoders open when first needed: an adaptation they cannot read is
     * said now, not as every greeting's 500 */
    const char *mllr = rv_config_mllr(&s->cfg);
    if (rc == RV_OK && s->lex && mllr && access(mllr, R_OK) != 0)
        rc = rv_error_set(err, RV_ERR_CONFIG, "asr_adaptation %s: %s", mllr, strerror(errno));
    if (rc == RV_OK) rc = rv_identity_open(&s->cfg, &s->id, err);
    if (rc == RV_OK) rc = rv_service_store_open(&s->db, &s->cfg, err);
    /* the start-up's writes wait for the other nodes' as long as a start may */
    if (rc == RV_OK) rv_store_busy_timeout(s->db.store, RV_START_WAIT_MS);
    if (rc == RV_OK) rc = rv_identity_use_store(s->id, &s->db, err);
    if (rc == RV_OK) rc = rv_store_requeue_interrupted(s->db.store, err);
    int settled = 0; /* organisations an older archive's org became: their profile's calendar */
    if (rc == RV_OK) rc = rv_store_settle_calendars(s->db.store, profile_calendar, &s->cfg, &settled, err);
    if (rc == RV_OK) rc = rv_decoders_new(decoders_for(&s->cfg), rv_config_mllr(&s->cfg), s->lex, &s->decoders, err);
    if (rc == RV_OK) {
        rv_store_remove_leftovers(s->db.store); /* before anyone can upload */
        rv_workers_opts wo = {.cfg = &s->cfg, .db = &s->db, .metrics = s->metrics, .decoders = s->decoders,
                              .lex = s->lex, .case_words = (const char (*)[64])s->case_words,
                              .n_case_words = s->n_case_words, .prompts = s->prompts,
                              .models_version = s->models_version, .queued = rv_store_count_queued(s->db.store)};
        if (wo.queued < 0) wo.queued = 0; /* not read: the lease keeper reads it again within a second */
        rc = rv_workers_new(&wo, &s->workers, err);
    }
    if (rc == RV_OK) rv_service_store_serving(&s->db); /* the start's writes waited as long as they had to */
    if (rc == RV_OK) rc = rv_ingest_start(&s->db, &s->cfg, s->metrics, rv_workers_unrecorded, s->workers, &s->ingest, err);
    if (rc == RV_OK) rc = rv_workers_start(s->workers, s->ingest, err);
    if (rc == RV_OK) {
        rv_http_opts ho = {.cfg = &s->cfg, .id = s->id, .metrics = s->metrics, .routes = rv_routes,
                           .n_routes = rv_n_routes, .app = s, .gate = rv_api_gate};
        rc = rv_http_start(&ho, &s->http, port, err);
    }
    if (rc != RV_OK) {
        rv_server_stop(s);
        return rc;
    }
    *out = s;
    return RV_OK;
}

void rv_server_stop(rv_server *s)
{
    if (!s) return;
    /* no connection may be suspended when the daemon stops: greetings being
     * analysed and a running sweep finish, jobs still waiting are answered
     * "stopping", and uploads already handed over are committed and
     * answered */
    rv_workers_stop_jobs(s->workers);
    rv_workers_stop_analysis(s->workers);
    rv_ingest_stop(s->ingest);
    rv_http_stop(s->http);
    rv_ingest_free(s->ingest);
    rv_workers_free(s->workers);
    rv_decoders_free(s->decoders);
    rv_fpdb_free(s->prompts);
    rv_lexicon_free(s->lex);
    free(s->case_words);
    rv_service_store_close(&s->db);
    rv_identity_free(s->id);
    free(s->metrics);
    free(s);
}

rv_err rv_server_reload(rv_server *s, rv_error *err) { return rv_identity_reload(s->id, err); }
