/* The service's work off the HTTP threads: the decoder pool, the threads
 * that analyse queued voicemails, the threads that analyse uploaded
 * greetings, run sweeps and make packages while their connections wait,
 * and the WAL checkpointer. */
#include "workers.h"

#include <glib.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "node.h"
#include "rostvakt/archive.h"
#include "rostvakt/audio.h"
#include "rostvakt/calendar.h"
#include "rostvakt/clock.h"
#include "rostvakt/classify.h"
#include "rostvakt/mail.h"
#include "rostvakt/policy.h"
#include "rostvakt/report.h"
#include "rostvakt/template.h"
#include "rostvakt/verify.h"


/* A queue of jobs and the threads that take them. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    rv_job *head, **tail;
    int stopping;
    pthread_t *threads;
    unsigned n_threads;
} job_queue;

struct rv_workers {
    const rv_config *cfg;
    rv_service_store *db;
    rv_metrics *metrics;
    rv_decoders *decoders;
    rv_lexicon *lex;
    const char (*case_words)[64];
    size_t n_case_words;
    rv_fpdb *prompts;
    const char *models_version;
    rv_ingest *ingest;                        /* where analyses go */
    /* greeting uploads, sweeps and packages, off the HTTP threads */
    job_queue greetings, sweeps, packages;
    _Atomic int sweep_busy;                   /* one sweep at a time */
    /* voicemail analysis */
    pthread_t *workers;
    unsigned n_workers;
    pthread_mutex_t q_lock;
    pthread_cond_t q_wake;
    pthread_cond_t stop_wake;                 /* broadcast when the service stops (q_lock) */
    int stopping;
    char node[RV_NODE_NAME_MAX];              /* what claims analyses (rv_node_name) */
    _Atomic long long queued;                 /* voicemails waiting for analysis */
    pthread_t checkpointer;
    int have_checkpointer;
    pthread_t keeper;                         /* leases renewed, the shared queue's depth read */
    int have_keeper;
};

/* ---- greeting jobs ---- */

/* The job's answer is the error e; 0. */
/* Greetings and recorded names: the shorter of the two limits. */
static double greeting_seconds(const rv_config *c)
{
    return c->greeting_max_seconds < c->max_audio_seconds ? c->greeting_max_seconds : c->max_audio_seconds;
}

static int job_fail(rv_job *j, const rv_error *e)
{
    j->code = e->code != RV_OK ? e->code : RV_ERR_INTERNAL;
    j->err = *e;
    return 0;
}

/* The job's answer is body (consumed); 1, or 0 out of memory. */
static int job_json(rv_job *j, unsigned status, json_t *body)
{
    char *t = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(body);
    if (!t) {
        j->code = rv_error_set(&j->err, RV_ERR_NOMEM, "out of memory");
        return 0;
    }
    j->status = status;
    j->out = t;
    j->out_len = strlen(t);
    j->out_type = "application/json; charset=utf-8";
    return 1;
}

/* PUT …/greeting: analysed now under the mailbox's profile, every version
 * kept, the answer the report with greeting_id and ext. */
static int run_greeting(rv_workers *w, rv_job *j)
{
    rv_error e;
    rv_error_clear(&e);
    rv_mailbox m;
    pthread_mutex_lock(&w->db->lock);
    rv_err rc = rv_store_get_mailbox(w->db->store, j->ext, &m, &e);
    pthread_mutex_unlock(&w->db->lock);
    if (rc != RV_OK) return job_fail(j, &e);
    rv_profile prof;
    if (rv_profile_find(w->cfg->profile_dirs, m.profile, &prof, &e) != RV_OK) {
        rv_error_set(&e, RV_ERR_CONFIG, "%.200s", e.msg);
        return job_fail(j, &e);
    }
    char now[32], version[40];
    rv_utc_now(now);
    rv_greeting_version(w->models_version, &prof, version);
    /* the dates it says are counted in its organisation's calendar */
    rv_org org;
    rv_calendar oc;
    if (m.organisation[0]) {
        pthread_mutex_lock(&w->db->lock);
        rc = rv_store_get_org(w->db->store, m.organisation, &org, &e);
        pthread_mutex_unlock(&w->db->lock);
        if (rc != RV_OK && rc != RV_ERR_NOT_FOUND) return job_fail(j, &e);
        if (rc == RV_OK && rv_calendar_parse(org.calendar, &oc))
            snprintf(prof.calendar, sizeof prof.calendar, "%s", org.calendar);
    }
    rv_pcm pcm;
    rv_audio_limits lim = {w->cfg->max_audio_bytes, greeting_seconds(w->cfg)};
    if (rv_audio_decode(j->body ? j->body : "", j->len, rv_audio_hint_for_type(j->content_type), &lim, &pcm, &e) !=
        RV_OK)
        return job_fail(j, &e);
    rv_analyzer an = {w->cfg, w->prompts};
    rv_verify_thresholds th = rv_verify_thresholds_of(w->cfg);
    char **names = NULL, **units = NULL; /* the other mailboxes: the name is weighed against theirs */
    size_t n_names = 0;
    if (w->lex) {
        pthread_mutex_lock(&w->db->lock);
        rc = rv_store_directory_names(w->db->store, j->ext, &names, &units, &n_names, &e);
        pthread_mutex_unlock(&w->db->lock);
        if (rc != RV_OK) {
            rv_pcm_free(&pcm);
            return job_fail(j, &e);
        }
    }
    char *json = NULL;
    rv_greeting_verdict v;
    rv_features name; /* the owner's recorded name, when there is one: found under the lock, read outside it */
    char nsha[RV_SHA256_HEX + 1], nct[64];
    rv_audio_loc nloc;
    rv_error ne;
    pthread_mutex_lock(&w->db->lock);
    rv_err nrc = rv_store_name_recording(w->db->store, j->ext, nsha, nct, sizeof nct, &ne);
    if (nrc == RV_OK) nrc = rv_store_locate_audio(w->db->store, nsha, &nloc, &ne);
    pthread_mutex_unlock(&w->db->lock);
    if (nrc == RV_OK) {
        unsigned char *nb = NULL;
        size_t nlen = 0;
        nrc = rv_store_load_audio(w->db->store, nsha, &nloc, (size_t)lim.max_bytes, &nb, &nlen, &ne);
        if (nrc == RV_OK) nrc = rv_greeting_template_of(nb, nlen, nct, &lim, &name, &ne);
        free(nb);
    }
    int has_name = nrc == RV_OK;
    if (nrc != RV_OK && !rv_greeting_template_unusable(nrc)) { /* none, or unusable: analysed without it */
        rv_store_names_free(names, n_names);
        rv_store_names_free(units, n_names);
        rv_pcm_free(&pcm);
        return job_fail(j, &ne);
    }
    rv_asr *a = w->lex ? rv_decoders_take(w->decoders, &e) : NULL;
    rc = w->lex && !a ? e.code
                      : rv_greeting_analyse(&an, a, &th, &m, &prof, &pcm, now, (const char *const *)names,
                                            (const char *const *)units, n_names, has_name ? &name : NULL, &json,
                                            &v, &e);
    if (has_name) rv_features_free(&name);
    if (a) rv_decoders_give(w->decoders, a);
    rv_store_names_free(names, n_names);
    rv_store_names_free(units, n_names);
    rv_pcm_free(&pcm);
    if (rc != RV_OK) return job_fail(j, &e);
    rv_audio_blob blob;
    if (rv_store_stage_audio(w->db->store, j->body ? j->body : "", j->len, &blob, &e) != RV_OK) {
        free(json);
        return job_fail(j, &e);
    }
    /* the same recording sent again: what a person heard in it still decides
     * (a lookup that fails leaves the analysis's verdict, and says so) */
    rv_error re;
    char sought[3][RV_SOUGHT_MAX];
    int known;
    pthread_mutex_lock(&w->db->lock);
    rc = rv_greeting_heard_before(w->db->store, j->ext, blob.sha256, &prof, json, sought, &known, &v, &re);
    pthread_mutex_unlock(&w->db->lock);
    if (rc != RV_OK) fprintf(stderr, "rostvakt: greeting of %s: its reviews not read: %s\n", j->ext, re.msg);
    rv_greeting_row row = {.ext = j->ext, .sha256 = blob.sha256, .content_type = j->content_type, .blob = &blob,
                           .bytes = j->len, .received_at = now, .report = json, .compliance = v.compliance,
                           .violations = v.violations,
                           .missing_reason = v.missing_reason[0] ? v.missing_reason : NULL,
                           .absence_until = v.absence_until[0] ? v.absence_until : NULL, .profile = prof.name,
                           .models_version = version, .review = v.review, .actor = j->actor, .remote = j->remote,
                           .sought = {known ? sought[0] : NULL, known ? sought[1] : NULL, known ? sought[2] : NULL}};
    long long id = 0;
    RV_STORE_RETRY(w->db, rc, RV_BUSY_TRIES_BACKGROUND, rv_store_add_greeting(w->db->store, &row, &id, &e)); /* audited with it */
    if (rc != RV_OK) {
        free(json);
        return job_fail(j, &e);
    }
    rv_metrics_greeting(w->metrics, v.outcome);
    json_t *out = json_loads(json, 0, NULL);
    free(json);
    if (out) {
        json_object_set_new(out, "greeting_id", json_integer(id));
        json_object_set_new(out, "ext", json_string(j->ext));
    }
    return job_json(j, 200, out);
}

/* PUT …/name-recording: the owner's own recording of their name, checked
 * to hold something to match, kept for the analysis of their greetings. */
/* A voicemail's audio decoded once, to be sure it is whole, off the HTTP
 * threads; the upload then goes on where it left off. */
static int run_check(rv_workers *w, rv_job *j)
{
    rv_error e;
    rv_error_clear(&e);
    rv_audio_limits lim = {w->cfg->max_audio_bytes, w->cfg->max_audio_seconds};
    if (rv_audio_check(j->body ? j->body : "", j->len, rv_audio_hint_for_type(j->content_type), &lim, &e) != RV_OK)
        return job_fail(j, &e);
    j->code = RV_OK;
    return 1;
}

static int run_name(rv_workers *w, rv_job *j)
{
    rv_error e;
    rv_error_clear(&e);
    rv_audio_limits lim = {w->cfg->max_audio_bytes, greeting_seconds(w->cfg)};
    rv_features f;
    rv_err rc = rv_greeting_template_of(j->body ? j->body : "", j->len, j->content_type, &lim, &f, &e);
    if (rc == RV_ERR_ARG) rc = rv_error_set(&e, RV_ERR_UNPROCESSABLE, "the recording holds no sound to match");
    if (rc != RV_OK) return job_fail(j, &e);
    rv_features_free(&f);
    rv_audio_blob blob;
    if (rv_store_stage_audio(w->db->store, j->body ? j->body : "", j->len, &blob, &e) != RV_OK) return job_fail(j, &e);
    char now[32];
    rv_utc_now(now);
    RV_STORE_RETRY(w->db, rc, RV_BUSY_TRIES_BACKGROUND, rv_store_set_name_recording(w->db->store, j->ext, &blob, j->content_type, j->actor, j->remote, now, &e));
    if (rc != RV_OK) return job_fail(j, &e);
    return job_json(j, 200, json_pack("{s:s,s:s,s:s}", "ext", j->ext, "audio_sha256", blob.sha256, "received_at", now));
}

/* Milliseconds since the epoch: a lease is shared with other nodes. */
static long long wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The tests' hook: with the environment variable var naming a file, the
 * thread waits there until that file exists, or the service stops (inert
 * unless set). RV_TEST_ANALYSIS_HOLD holds a worker that has claimed a
 * voicemail (an analysis as long as a test needs), RV_TEST_SWEEP_HOLD a
 * sweep asked for over HTTP once it holds its date. */
static void test_hold(rv_workers *w, const char *var)
{
    const char *f = getenv(var);
    if (!f || !*f) return;
    pthread_mutex_lock(&w->q_lock);
    while (!w->stopping && access(f, F_OK) != 0) {
        struct timespec until = rv_wait_until(50);
        pthread_cond_timedwait(&w->stop_wake, &w->q_lock, &until);
    }
    pthread_mutex_unlock(&w->q_lock);
}

/* A run of a date's sweep not over after this long is taken to have died
 * (as rostvakt sweep --once takes it). */
#define SWEEP_STALE_MS (6LL * 3600 * 1000)

/* POST /v1/sweeps: the nightly sweep now, on its own database connection,
 * the answer its report. A sweep that changes things holds its date's run
 * while it runs, as the nightly one does (rv_store_sweep_hold): started on
 * several nodes at once, one runs and the others answer 409. */
static int run_sweep(rv_workers *w, rv_job *j)
{
    rv_store *db = NULL;
    rv_error e;
    rv_error_clear(&e);
    char detail[160], day[11];
    rv_format_date(j->date, day);
    int held = 0, was_done = 0;
    rv_err rc = rv_store_connect(w->cfg->store, (int)w->cfg->store_allow_async_commit, w->cfg->data_dir, &db, &e);
    if (rc == RV_OK && !j->dry_run) {
        long long now = wall_ms();
        for (int t = 0;; t++) { /* its own connection: no lock of the service's to take */
            rc = rv_store_sweep_hold(db, day, w->node, now, now - SWEEP_STALE_MS, rv_node_gone, &held, &was_done, &e);
            if (rc != RV_ERR_BUSY || t >= RV_BUSY_TRIES_BACKGROUND) break;
            rv_busy_pause();
        }
        if (rc == RV_OK && !held)
            rc = rv_error_set(&e, RV_ERR_SWEEP_RUNNING, "the sweep of %s is running on another node; try again when it"
                                                        " is done", day);
    }
    /* a sweep takes long and commits as it goes: it is audited before it
     * starts, and does not start unless that row is written */
    snprintf(detail, sizeof detail, "%s%s%s", day, j->dry_run ? ", dry run" : "", j->ahead ? ", a day to come" : "");
    if (rc == RV_OK) rc = rv_audit(w->db, j->actor, j->remote, "sweep_run", 0, NULL, detail, &e);
    if (rc == RV_OK && held) test_hold(w, "RV_TEST_SWEEP_HOLD");
    char *out = NULL;
    size_t len = 0;
    FILE *f = rc == RV_OK ? open_memstream(&out, &len) : NULL;
    if (rc == RV_OK && !f) rc = rv_error_set(&e, RV_ERR_NOMEM, "out of memory");
    rv_sweep_counts counts;
    if (rc == RV_OK) {
        rv_asr *a = w->lex && !j->dry_run ? rv_decoders_take(w->decoders, &e) : NULL;
        if (w->lex && !j->dry_run && !a) /* the sweep still runs; they are counted out of date */
            fprintf(stderr, "rostvakt: sweep of %s: greetings will not be re-analysed: %s\n", day, e.msg);
        rv_analyzer an = {w->cfg, w->prompts};
        rv_verify_thresholds th = rv_verify_thresholds_of(w->cfg);
        rv_audio_limits lim = {w->cfg->max_audio_bytes, w->cfg->max_audio_seconds};
        rv_sweep_opts o = {.date = j->date, .at = j->at[0] ? j->at : NULL, .dry_run = j->dry_run,
                           .profile_dirs = w->cfg->profile_dirs,
                           .models_version = w->models_version, .an = &an, .asr = a, .th = &th, .lim = &lim,
                           .actor = j->actor, .log = stderr};
        rv_sweep_output one = {j->format, f};
        rc = rv_sweep_run(db, &o, &one, 1, &counts, &e);
        if (a) rv_decoders_give(w->decoders, a);
    }
    if (f) fclose(f);
    if (held) { /* a date done stays done; else the nightly run is still owed */
        rv_error re;
        rv_err orc;
        for (int t = 0;; t++) {
            orc = rv_store_sweep_over(db, day, w->node, was_done, wall_ms(), &re);
            if (orc != RV_ERR_BUSY || t >= RV_BUSY_TRIES_BACKGROUND) break;
            rv_busy_pause();
        }
        if (orc != RV_OK) fprintf(stderr, "rostvakt: sweep of %s: %s\n", day, re.msg);
    }
    rv_store_close(db);
    if (rc != RV_OK) {
        free(out);
        return job_fail(j, &e);
    }
    snprintf(detail, sizeof detail, "%s%ld missing, %ld not compliant, %ld overdue, %ld disposed%s",
             j->dry_run ? "dry run: " : "", counts.missing, counts.noncompliant, counts.overdue, counts.disposed,
             counts.not_erased ? ", audio not erased yet" : "");
    /* its report names mailboxes and callers: not answered unaudited */
    if (rv_audit(w->db, j->actor, j->remote, "sweep_done", 0, NULL, detail, &e) != RV_OK) {
        free(out);
        return job_fail(j, &e);
    }
    j->status = 200;
    j->out = out;
    j->out_len = len;
    j->out_type = j->format == RV_SWEEP_JSON  ? "application/json; charset=utf-8"
                  : j->format == RV_SWEEP_CSV ? "text/csv; charset=utf-8"
                                              : "text/html; charset=utf-8";
    return 1;
}

/* POST /v1/voicemails/{id}/package: the registered voicemail's submission
 * package as a tar, recorded as an event and audited before it is
 * answered (409 with why when it is not registered). One at a time: making
 * a long recording's WAVE copy takes seconds and its size in memory. */
static int run_package(rv_workers *w, rv_job *j)
{
    rv_error e;
    rv_error_clear(&e);
    rv_vm_archive v;
    rv_audio_loc loc;
    pthread_mutex_lock(&w->db->lock);
    rv_err rc = rv_store_archive_info(w->db->store, j->voicemail, &v, &e);
    int ok = rc == RV_OK && strcmp(v.decision, "registrera") == 0 && !v.disposed;
    rv_err lrc = ok ? rv_store_locate_audio(w->db->store, v.sha256, &loc, &e) : RV_OK;
    pthread_mutex_unlock(&w->db->lock);
    if (rc != RV_OK) return job_fail(j, &e);
    rv_package pkg;
    unsigned char *audio = NULL;
    size_t len = 0;
    if (ok && lrc != RV_OK) rc = rv_error_set(&e, RV_ERR_IO, "%s", e.msg);
    else if (ok) rc = rv_store_load_audio(w->db->store, v.sha256, &loc, (size_t)-1, &audio, &len, &e);
    char now[32];
    rv_utc_now(now);
    if (rc == RV_OK) rv_package_first_time(&v, now);
    if (rc == RV_OK) rc = rv_package_build(&v, audio, len, now, &pkg, &e); /* 409 with why, when not registered */
    free(audio);
    rv_vm_archive_free(&v);
    if (rc != RV_OK) return job_fail(j, &e);
    unsigned char *tar = NULL;
    size_t tar_len = 0;
    rc = rv_package_tar(&pkg, &tar, &tar_len, &e);
    if (rc == RV_OK)
        RV_STORE_RETRY(w->db, rc, RV_BUSY_TRIES_BACKGROUND,
                       rv_store_mark_packaged(w->db->store, j->voicemail, pkg.objid, now, j->actor, j->remote, &e));
    snprintf(j->out_disposition, sizeof j->out_disposition, "attachment; filename=\"%s.tar\"", pkg.objid);
    rv_package_free(&pkg);
    if (rc != RV_OK) {
        free(tar);
        return job_fail(j, &e); /* not answered unless recorded and audited */
    }
    j->status = 200;
    j->out = (char *)tar;
    j->out_len = tar_len;
    j->out_type = "application/x-tar";
    return 1;
}

/* The local time ("YYYY-MM-DD HH:MM") of voicemail v's arrival in its
 * organisation's time zone, else its profile's (Europe/Stockholm when
 * neither says). */
static void local_time(const rv_workers *w, const rv_vm_archive *v, char out[20])
{
    rv_calendar cal = RV_CAL_SE;
    rv_profile p;
    rv_error e;
    if (rv_profile_find(w->cfg->profile_dirs, v->profile, &p, &e) == RV_OK) cal = rv_calendar_or(p.calendar, cal);
    rv_local_time(v->received_at, rv_calendar_or(v->calendar, cal), out);
}

/* The outbox key of a hand-over's mail: the voicemail, the second and 64
 * random bits, so that hand-overs of one voicemail in one second (on any
 * node) keep a mail each. */
static void handover_key(const rv_job *j, const char *now, char *key, size_t cap)
{
    unsigned long long nonce = 0;
    if (getrandom(&nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce) nonce = (unsigned long long)rv_now_ms();
    snprintf(key, cap, "handover:%lld:%s:%016llx", j->voicemail, now, nonce);
}

/* A hand-over, its mail kept in the outbox and its audit row, one
 * transaction (the store's lock held). */
static rv_err handover_txn(rv_workers *w, rv_job *j, const char *now, const char *key, const char *subject,
                           const char *msg, size_t len, const char *ext, rv_error *e)
{
    rv_store *s = w->db->store;
    char date[11];
    long today = rv_local_today(RV_CAL_SE);
    rv_format_date(today, date);
    int added;
    rv_err rc = rv_store_begin(s, e);
    if (rc != RV_OK) return rc;
    rc = rv_store_outbox_add(s, date, key, j->to, subject, msg, len, now, &added, e);
    if (rc == RV_OK && !added) rc = rv_error_set(e, RV_ERR_INTERNAL, "the hand-over's mail key %s is taken", key);
    if (rc == RV_OK) rc = rv_store_audit(s, now, j->actor, j->remote, "voicemail_handed_over", j->voicemail, ext, j->to, e);
    return rv_store_end(s, rc, e);
}

/* POST /v1/voicemails/{id}/handover: the mail with the voicemail's link is
 * kept in the outbox and audited before it is sent; one the mail server
 * does not take now is sent by the next sweep. */
static int run_handover(rv_workers *w, rv_job *j)
{
    rv_error e;
    rv_error_clear(&e);
    rv_vm_archive v;
    pthread_mutex_lock(&w->db->lock);
    rv_err rc = rv_store_archive_info(w->db->store, j->voicemail, &v, &e);
    pthread_mutex_unlock(&w->db->lock);
    if (rc != RV_OK) return job_fail(j, &e);
    if (!w->cfg->mail_smtp_url[0]) { /* after the request and the voicemail were found good */
        rv_vm_archive_free(&v);
        rv_error_set(&e, RV_ERR_CONFIG, "mail_smtp_url is not set: no mail can be sent");
        return job_fail(j, &e);
    }
    char owner[300], link[RV_CONFIG_STR_MAX + 64], received[20], subject[300], now[32];
    snprintf(owner, sizeof owner, "%s %s", v.first_name, v.last_name);
    if (w->cfg->public_url[0]) {
        size_t l = strlen(w->cfg->public_url);
        snprintf(link, sizeof link, "%.*s/#/rostmeddelande/%lld",
                 (int)(l && w->cfg->public_url[l - 1] == '/' ? l - 1 : l), w->cfg->public_url, j->voicemail);
    } else snprintf(link, sizeof link, "http://%s/#/rostmeddelande/%lld", w->cfg->listen, j->voicemail);
    local_time(w, &v, received);
    /* from its organisation's own address when it has one */
    char whose[48];
    int seen;
    rv_org org = {0};
    pthread_mutex_lock(&w->db->lock);
    int found = rv_store_whose(w->db->store, "", j->voicemail, &(rv_scope){"", NULL, NULL}, whose, &seen, &e);
    if (found == 1 && whose[0]) rc = rv_store_get_org(w->db->store, whose, &org, &e);
    pthread_mutex_unlock(&w->db->lock);
    if (found < 0 || (rc != RV_OK && rc != RV_ERR_NOT_FOUND)) {
        rv_vm_archive_free(&v);
        return job_fail(j, &e);
    }
    rv_handover_mail h = {.id = j->voicemail, .to = j->to, .from_name = j->actor, .note = j->note, .owner = owner,
                          .unit = v.unit, .ext = v.ext, .caller = v.caller, .received_local = received, .link = link,
                          .from = org.mail_from};
    char *msg = NULL;
    size_t len = 0;
    rc = rv_mail_handover(w->cfg, &h, &msg, &len, subject, sizeof subject, &e);
    char ext[24];
    snprintf(ext, sizeof ext, "%s", v.ext);
    rv_vm_archive_free(&v);
    if (rc != RV_OK) return job_fail(j, &e);
    rv_utc_now(now);
    char key[96];
    handover_key(j, now, key, sizeof key);
    RV_STORE_RETRY(w->db, rc, RV_BUSY_TRIES_BACKGROUND, handover_txn(w, j, now, key, subject, msg, len, ext, &e));
    if (rc != RV_OK) {
        free(msg);
        return job_fail(j, &e); /* not sent unless kept and audited */
    }
    char why[512];
    const char *bad = rv_mail_send(w->cfg, j->to, msg, len, why, sizeof why);
    free(msg);
    rv_error oe;
    rv_err orc;
    RV_STORE_RETRY(w->db, orc, RV_BUSY_TRIES_BACKGROUND, rv_store_outbox_sent(w->db->store, key, bad, now, &oe));
    if (orc != RV_OK) fprintf(stderr, "rostvakt: hand-over of voicemail %lld: %s\n", j->voicemail, oe.msg);
    if (bad) fprintf(stderr, "rostvakt: hand-over of voicemail %lld to %s not sent: %s; the next sweep tries again\n",
                     j->voicemail, j->to, bad);
    /* the mail server's words may be anything: kept and audited, the
     * answer must not fail on them */
    char *said = bad ? g_utf8_make_valid(bad, -1) : NULL;
    int ok = job_json(j, 201,
                      json_pack("{s:I,s:s,s:s,s:s,s:b,s:o}", "voicemail", (json_int_t)j->voicemail, "to", j->to, "actor",
                                j->actor, "handed_over_at", now, "sent", !bad, "error",
                                said ? json_string(said) : json_null()));
    g_free(said);
    return ok;
}

typedef struct {
    rv_workers *w;
    job_queue *q;
} job_thread_arg;

/* A job thread: takes jobs in turn. When the service stops, what is still
 * waiting is answered "stopping". */
static void *job_thread(void *arg)
{
    rv_workers *w = ((job_thread_arg *)arg)->w;
    job_queue *q = ((job_thread_arg *)arg)->q;
    free(arg);
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (!q->head && !q->stopping) pthread_cond_wait(&q->wake, &q->lock);
        rv_job *j = q->head;
        if (!j) break;
        q->head = j->next;
        if (!q->head) q->tail = &q->head;
        int stopping = q->stopping;
        pthread_mutex_unlock(&q->lock);
        rv_waiter waiter = j->waiter;
        if (stopping) j->code = rv_error_set(&j->err, RV_ERR_STOPPING, "the service is stopping; try again later");
        else if (j->kind == RV_JOB_GREETING) run_greeting(w, j);
        else if (j->kind == RV_JOB_NAME) run_name(w, j);
        else if (j->kind == RV_JOB_CHECK) run_check(w, j);
        else if (j->kind == RV_JOB_PACKAGE) run_package(w, j);
        else if (j->kind == RV_JOB_HANDOVER) run_handover(w, j);
        else run_sweep(w, j);
        if (j->kind == RV_JOB_SWEEP) w->sweep_busy = 0;
        waiter.done(waiter.arg); /* j may be gone from here on */
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

static int queue_start(rv_workers *w, job_queue *q, unsigned n)
{
    q->tail = &q->head;
    q->threads = calloc(n, sizeof *q->threads);
    for (unsigned i = 0; q->threads && i < n; i++) {
        job_thread_arg *a = malloc(sizeof *a);
        if (!a) break;
        *a = (job_thread_arg){w, q};
        if (pthread_create(&q->threads[q->n_threads], NULL, job_thread, a) != 0) {
            free(a);
            break;
        }
        q->n_threads++;
    }
    return q->n_threads == n;
}

static void queue_stop(job_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->stopping = 1;
    pthread_cond_broadcast(&q->wake);
    pthread_mutex_unlock(&q->lock);
    for (unsigned i = 0; i < q->n_threads; i++) pthread_join(q->threads[i], NULL);
    q->n_threads = 0;
}

int rv_job_submit(rv_workers *w, rv_job *j)
{
    job_queue *q = j->kind == RV_JOB_SWEEP     ? &w->sweeps
                      : j->kind == RV_JOB_PACKAGE || j->kind == RV_JOB_HANDOVER ? &w->packages
                                                  : &w->greetings;
    pthread_mutex_lock(&q->lock);
    int stopping = q->stopping;
    if (!stopping) {
        j->waiter.hold(j->waiter.arg); /* before a job thread can finish it */
        j->next = NULL;
        *q->tail = j;
        q->tail = &j->next;
        pthread_cond_signal(&q->wake);
    }
    pthread_mutex_unlock(&q->lock);
    return !stopping;
}

/* ---- voicemail analysis ---- */

/* Analysis gives way to ingestion: while uploads keep arriving (one was
 * committed in the last UPLOAD_QUIET_MS) a worker rests three times as long
 * as its last analysis took (a quarter of its time analysing), unless the
 * queue is half full; so the PBX's answers seldom wait behind an analysis,
 * and the queue still drains, faster once the uploads pause. */
#define UPLOAD_QUIET_MS 100
#define BUSY_REST_FACTOR 3
static void give_way(rv_workers *w, long long took_ms)
{
    if (rv_now_ms() - rv_ingest_last_upload_ms(w->ingest) >= UPLOAD_QUIET_MS || w->queued >= w->cfg->max_queue / 2)
        return;
    long long rest = took_ms * BUSY_REST_FACTOR;
    if (rest > 2000) rest = 2000;
    struct timespec until = rv_wait_until(rest);
    pthread_mutex_lock(&w->q_lock);
    if (!w->stopping) pthread_cond_timedwait(&w->stop_wake, &w->q_lock, &until);
    pthread_mutex_unlock(&w->q_lock);
}

static void wake_idle(rv_workers *w)
{
    /* one that holds the lock is busy and looks at the queue again anyway
     * (and a waiting one within a second) */
    if (pthread_mutex_trylock(&w->q_lock) == 0) {
        pthread_cond_signal(&w->q_wake);
        pthread_mutex_unlock(&w->q_lock);
    }
}

/* A connection of the worker's own, tried again each second while the
 * database does not answer (PostgreSQL restarting); NULL when the service
 * stops first. who names the thread in the one line said. */
static rv_store *connect_waiting(rv_workers *w, const char *who)
{
    rv_store *db = NULL;
    rv_error e;
    for (int said = 0; rv_store_connect(w->cfg->store, (int)w->cfg->store_allow_async_commit, w->cfg->data_dir, &db,
                                        &e) != RV_OK;
         said = 1) {
        if (!said) fprintf(stderr, "rostvakt: %s: %s; trying again each second\n", who, e.msg);
        pthread_mutex_lock(&w->q_lock);
        int stopping = w->stopping;
        pthread_mutex_unlock(&w->q_lock);
        if (stopping) return NULL;
        sleep(1);
    }
    return db;
}

/* One analysis worker: its own database connection and decoder; claims the
 * oldest voicemail owed an analysis for analysis_lease seconds (a row of
 * the store, so that workers on every node share the queue), analyses it
 * as rostvakt analyze --kind voicemail does, and hands the report to the
 * committer, which records it only while the claim is still this node's.
 * What was queued or claimed before a kill is still owed: taken again at
 * the next start, or by anyone once its lease runs out. */
static void *analysis_worker(void *arg)
{
    rv_workers *w = arg;
    rv_error e;
    /* analysis is background work: it yields the CPU to answering the PBX
     * (nice 19; not SCHED_IDLE, under which it could starve while holding a
     * lock the committer waits for) */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) != 0)
        fprintf(stderr, "rostvakt: analysis worker: cannot lower its priority\n");
    /* the queue waits for the database; the worker does not end */
    rv_store *db = connect_waiting(w, "analysis worker");
    if (!db) return NULL;
    if (w->have_checkpointer) rv_store_autocheckpoint(db, 0);
    rv_analyzer an = {w->cfg, NULL};
    rv_audio_limits lim = {w->cfg->max_audio_bytes, w->cfg->max_audio_seconds};
    int busy_tries = 0;
    for (;;) {
        long long id;
        char sha[RV_SHA256_HEX + 1], ct[64];
        pthread_mutex_lock(&w->q_lock);
        int stopping = w->stopping;
        pthread_mutex_unlock(&w->q_lock);
        if (stopping) break;
        long long now = wall_ms();
        rv_err rc = rv_store_claim_analysis(db, w->node, now, now + w->cfg->analysis_lease * 1000, &id, sha, ct,
                                            sizeof ct, &e);
        if (rc == RV_ERR_BUSY && ++busy_tries < RV_BUSY_TRIES_BACKGROUND) {
            rv_busy_pause();
            continue;
        }
        busy_tries = 0;
        /* nothing queued, or the database busy or away for now: again in a second */
        if (rc == RV_ERR_NOT_FOUND || rc == RV_ERR_BUSY) {
            pthread_mutex_lock(&w->q_lock);
            struct timespec until = rv_wait_until(1000);
            if (!w->stopping) pthread_cond_timedwait(&w->q_wake, &w->q_lock, &until);
            pthread_mutex_unlock(&w->q_lock);
            continue;
        }
        if (rc != RV_OK) {
            fprintf(stderr, "rostvakt: analysis worker: %s\n", e.msg);
            break;
        }
        test_hold(w, "RV_TEST_ANALYSIS_HOLD");
        long long started = rv_now_ms();
        unsigned char *bytes = NULL;
        size_t len = 0;
        rv_report rep;
        int have = 0;
        rc = rv_store_read_audio(db, sha, (size_t)lim.max_bytes, &bytes, &len, &e);
        if (rc == RV_OK) {
            rv_pcm pcm;
            rc = rv_audio_decode(bytes, len, rv_audio_hint_for_type(ct), &lim, &pcm, &e);
            free(bytes); /* decoded: the encoded bytes are not needed while it is analysed */
            bytes = NULL;
            if (rc == RV_OK) {
                rc = rv_analyze_pcm(&an, &pcm, RV_KIND_VOICEMAIL, &rep, &e);
                have = rc == RV_OK;
                /* a decoder from the pool the greetings use: the service
                 * holds no more decoders (about 50 MB each) than the pool */
                rv_asr *asr = have && w->lex ? rv_decoders_take(w->decoders, &e) : NULL;
                if (asr) {
                    rc = rv_spot_keywords(asr, &pcm, w->case_words, w->n_case_words,
                                          w->cfg->asr_keyword_min_score, w->cfg->voicemail_long_speech_s, &rep, &e);
                    rv_decoders_give(w->decoders, asr);
                } else if (have && rep.vm_class == RV_VM_EPHEMERAL) {
                    /* by its length alone a short possible public record would go as
                     * ephemeral, and be disposed of as such: not without its case words */
                    if (!w->lex) rv_error_set(&e, RV_ERR_CONFIG, "the phone map and case words are not loaded");
                    fprintf(stderr, "rostvakt: analysis worker: voicemail %lld: its case words cannot be listened"
                                    " for, so its analysis failed: %s\n", id, e.msg);
                    rc = e.code;
                } else if (have && w->lex) { /* kept by its length or its silence; its page says so */
                    fprintf(stderr, "rostvakt: analysis worker: voicemail %lld: no keyword spotting: %s\n", id, e.msg);
                }
                rv_pcm_free(&pcm);
            }
        }
        free(bytes);
        char *json = have && rc == RV_OK ? rv_report_to_json(&rep, NULL, NULL) : NULL;
        rv_finished *f = calloc(1, sizeof *f);
        if (f) {
            rv_utc_now(f->now);
            f->report = json;
            f->d = (rv_vm_done){.id = id, .state = json ? "analysed" : "failed",
                                .classification = json ? rv_vm_class_name(rep.vm_class) : NULL,
                                .report = json, .now_iso = f->now, .claimed_by = w->node};
            f->vm_class = json ? (int)rep.vm_class : -1;
            rv_ingest_finished(w->ingest, f);
        } else {
            free(json);
            fprintf(stderr, "rostvakt: analysis worker: voicemail %lld: out of memory\n", id);
        }
        w->queued--; /* counted in the metrics once it is recorded (ingest.c) */
        if (have) rv_report_free(&rep);
        give_way(w, rv_now_ms() - started);
    }
    rv_store_close(db);
    return NULL;
}

/* On its own connection, every third of the lease (at most a second): the
 * leases of this node's claims moved on, so that an analysis longer than
 * analysis_lease is not taken over by another node while it runs (a node
 * that dies stops renewing, and its claims run out); and the depth of the
 * queue every node shares read again, the depth max_queue holds uploads to
 * (between two reads each node counts its own uploads and analyses). */
static void *lease_keeper(void *arg)
{
    rv_workers *w = arg;
    rv_store *db = connect_waiting(w, "lease keeper");
    if (!db) return NULL;
    if (w->have_checkpointer) rv_store_autocheckpoint(db, 0); /* its renewals never checkpoint */
    long long lease_ms = w->cfg->analysis_lease * 1000LL, tick = lease_ms / 3 < 1000 ? lease_ms / 3 : 1000;
    rv_error e;
    int said = 0;
    pthread_mutex_lock(&w->q_lock);
    while (!w->stopping) {
        pthread_mutex_unlock(&w->q_lock);
        rv_err rc = w->n_workers ? rv_store_renew_analysis(db, w->node, wall_ms() + lease_ms, &e) : RV_OK;
        if (rc != RV_OK && !said) fprintf(stderr, "rostvakt: lease keeper: %s\n", e.msg);
        said = rc != RV_OK; /* said once a failure, again after a success */
        long long depth = rv_store_count_queued(db);
        if (depth >= 0) w->queued = depth;
        pthread_mutex_lock(&w->q_lock);
        struct timespec until = rv_wait_until(tick);
        if (!w->stopping) pthread_cond_timedwait(&w->stop_wake, &w->q_lock, &until);
    }
    pthread_mutex_unlock(&w->q_lock);
    rv_store_close(db);
    return NULL;
}

/* Checkpoints the write-ahead log once a second, on its own connection, so
 * that the commits of uploads never do it themselves. */
static void *checkpointer(void *arg)
{
    rv_workers *w = arg;
    rv_store *db = NULL;
    rv_error e;
    if (rv_store_connect(w->cfg->store, (int)w->cfg->store_allow_async_commit, w->cfg->data_dir, &db, &e) != RV_OK) {
        fprintf(stderr, "rostvakt: checkpointer: %s\n", e.msg);
        return NULL;
    }
    pthread_mutex_lock(&w->q_lock);
    while (!w->stopping) {
        struct timespec until = rv_wait_until(1000);
        pthread_cond_timedwait(&w->stop_wake, &w->q_lock, &until);
        pthread_mutex_unlock(&w->q_lock);
        if (rv_store_checkpoint(db, &e) != RV_OK) fprintf(stderr, "rostvakt: checkpointer: %s\n", e.msg);
        pthread_mutex_lock(&w->q_lock);
    }
    pthread_mutex_unlock(&w->q_lock);
    if (rv_store_checkpoint(db, &e) != RV_OK) fprintf(stderr, "rostvakt: checkpointer: %s\n", e.msg);
    rv_store_close(db);
    return NULL;
}

/* ---- start and stop ---- */

rv_err rv_workers_new(const rv_workers_opts *o, rv_workers **out, rv_error *err)
{
    *out = NULL;
    rv_workers *w = calloc(1, sizeof *w);
    if (!w) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    w->cfg = o->cfg;
    w->db = o->db;
    w->metrics = o->metrics;
    w->decoders = o->decoders;
    w->lex = o->lex;
    w->case_words = o->case_words;
    w->n_case_words = o->n_case_words;
    w->prompts = o->prompts;
    w->models_version = o->models_version;
    w->queued = o->queued;
    rv_node_name(w->node);
    pthread_mutex_init(&w->q_lock, NULL);
    pthread_cond_init(&w->q_wake, NULL);
    pthread_cond_init(&w->stop_wake, NULL);
    job_queue *qs[] = {&w->greetings, &w->sweeps, &w->packages};
    for (int i = 0; i < 3; i++) {
        pthread_mutex_init(&qs[i]->lock, NULL);
        pthread_cond_init(&qs[i]->wake, NULL);
        qs[i]->tail = &qs[i]->head;
    }
    *out = w;
    return RV_OK;
}

/* The claims of processes on this host that no longer run (rv_node_gone). */
typedef struct {
    char (*dead)[RV_NODE_NAME_MAX];
    size_t n;
} claimants;

static void dead_claimant(void *user, const char *by)
{
    claimants *c = user;
    if (!rv_node_gone(by)) return;
    void *nd = realloc(c->dead, (c->n + 1) * sizeof *c->dead);
    if (!nd) return;
    c->dead = nd;
    snprintf(c->dead[c->n++], sizeof *c->dead, "%s", by);
}

static rv_err release_dead_claims(rv_workers *w, rv_error *err)
{
    claimants c = {NULL, 0};
    rv_err rc;
    RV_STORE_RETRY(w->db, rc, RV_BUSY_TRIES_BACKGROUND, rv_store_analysis_claimants(w->db->store, dead_claimant, &c, err));
    for (size_t i = 0; rc == RV_OK && i < c.n; i++) {
        RV_STORE_RETRY(w->db, rc, RV_BUSY_TRIES_BACKGROUND, rv_store_release_analysis(w->db->store, c.dead[i], 0, err));
        if (rc == RV_OK) fprintf(stderr, "rostvakt: analyses claimed by %s, which ended, are queued again\n", c.dead[i]);
    }
    free(c.dead);
    return rc;
}

rv_err rv_workers_start(rv_workers *w, rv_ingest *g, rv_error *err)
{
    rv_err rc = release_dead_claims(w, err);
    if (rc != RV_OK) return rc;
    w->ingest = g;
    rv_store_autocheckpoint(w->db->store, 0);
    w->have_checkpointer = pthread_create(&w->checkpointer, NULL, checkpointer, w) == 0;
    if (!w->have_checkpointer) rv_store_autocheckpoint(w->db->store, 1);
    /* greeting uploads wait (suspended) for one of these threads, as many
     * as there may be decoders, so no HTTP thread is busy for the second a
     * greeting's analysis takes; sweeps have a thread of their own, and
     * so have packages (one at a time bounds their memory) */
    if (!queue_start(w, &w->greetings, rv_decoders_max(w->decoders)) || !queue_start(w, &w->sweeps, 1) ||
        !queue_start(w, &w->packages, 1))
        return rv_error_set(err, RV_ERR_INTERNAL, "cannot start the greeting, sweep and package threads");
    if (w->cfg->analysis_workers > 0) {
        w->workers = calloc((size_t)w->cfg->analysis_workers, sizeof *w->workers);
        for (unsigned i = 0; w->workers && i < (unsigned)w->cfg->analysis_workers; i++)
            if (pthread_create(&w->workers[w->n_workers], NULL, analysis_worker, w) == 0) w->n_workers++;
        if (w->n_workers == 0) return rv_error_set(err, RV_ERR_INTERNAL, "cannot start the analysis workers");
    }
    w->have_keeper = pthread_create(&w->keeper, NULL, lease_keeper, w) == 0;
    if (!w->have_keeper) return rv_error_set(err, RV_ERR_INTERNAL, "cannot start the lease keeper");
    return RV_OK;
}

void rv_workers_stop_jobs(rv_workers *w)
{
    if (!w) return;
    queue_stop(&w->greetings);
    queue_stop(&w->sweeps);
    queue_stop(&w->packages);
}

void rv_workers_stop_analysis(rv_workers *w)
{
    if (!w) return;
    /* analysis workers finish what they hold and hand it to the committer */
    pthread_mutex_lock(&w->q_lock);
    w->stopping = 1;
    pthread_cond_broadcast(&w->q_wake);
    pthread_cond_broadcast(&w->stop_wake);
    pthread_mutex_unlock(&w->q_lock);
    for (unsigned i = 0; i < w->n_workers; i++) pthread_join(w->workers[i], NULL);
    if (w->have_keeper) pthread_join(w->keeper, NULL);
    w->have_keeper = 0;
    w->n_workers = 0;
}

void rv_workers_free(rv_workers *w)
{
    if (!w) return;
    if (w->have_checkpointer) pthread_join(w->checkpointer, NULL);
    free(w->workers);
    job_queue *qs[] = {&w->greetings, &w->sweeps, &w->packages};
    for (int i = 0; i < 3; i++) {
        free(qs[i]->threads);
        pthread_mutex_destroy(&qs[i]->lock);
        pthread_cond_destroy(&qs[i]->wake);
    }
    pthread_mutex_destroy(&w->q_lock);
    pthread_cond_destroy(&w->q_wake);
    pthread_cond_destroy(&w->stop_wake);
    free(w);
}

long long rv_workers_queued(const rv_workers *w) { return atomic_load(&w->queued); }

void rv_workers_uploaded(rv_workers *w)
{
    w->queued++;
    wake_idle(w);
}

void rv_workers_unrecorded(void *arg, long long id)
{
    rv_workers *w = arg;
    rv_err rc;
    rv_error e;
    /* not recorded: another try, here or on any node (else when the lease runs out) */
    RV_STORE_RETRY(w->db, rc, RV_BUSY_TRIES_BACKGROUND, rv_store_release_analysis(w->db->store, w->node, id, &e));
    if (rc != RV_OK) fprintf(stderr, "rostvakt: voicemail %lld is analysed again when its lease runs out: %s\n", id, e.msg);
    pthread_mutex_lock(&w->q_lock);
    w->queued++;
    pthread_cond_broadcast(&w->q_wake);
    pthread_mutex_unlock(&w->q_lock);
}

int rv_workers_sweep_claim(rv_workers *w)
{
    int idle = 0;
    return atomic_compare_exchange_strong(&w->sweep_busy, &idle, 1);
}

void rv_workers_sweep_release(rv_workers *w) { w->sweep_busy = 0; }

int rv_workers_sweep_running(const rv_workers *w) { return atomic_load(&w->sweep_busy) ? 1 : 0; }
