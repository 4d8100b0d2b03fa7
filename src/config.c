/* The settings table, its three sources (file, environment, flags), the
 * defaults that depend on where rostvakt is installed, and the fingerprint
 * of the settings a greeting's verdict depends on. Each setting appears
 * once, in the table below; nothing else knows names or defaults. */
#include "rostvakt/config.h"

#include "rostvakt/asr.h"

#include "rostvakt/lexicon.h"
#include "rostvakt/organisation.h"
#include "rostvakt/textfile.h"

#include <ctype.h>
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef RV_SHARE_DIR
#define RV_SHARE_DIR "/usr/local/share/rostvakt"
#endif

typedef enum { T_INT, T_DOUBLE, T_STR } setting_type;

/* How a setting enters the models version (rv_config_fingerprint). */
enum {
    V_NONE,   /* it does not change a greeting's verdict */
    V_VALUE,  /* its value does */
    V_FILE,   /* the contents of the file it names do ("none": no file) */
    V_MODELS  /* the phone maps in the directory it names do */
};

typedef struct {
    const char *name;
    setting_type type;
    const char *def;
    double min, max; /* numeric range, inclusive */
    size_t offset;
    int version;     /* V_*: whether and how it changes greeting verdicts */
    const char *help;
} setting;

#define OFF(f) offsetof(rv_config, f)
/* a setting that changes greeting verdicts through its value */
#define VERDICT V_VALUE
#define NONE V_NONE

static const setting settings[] = {
    {"listen", T_STR, "127.0.0.1:8440", 0, 0, OFF(listen), NONE,
     "serve: the IPv4 address and port to listen on (port 0: any free port)"},
    {"data_dir", T_STR, "/var/lib/rostvakt", 0, 0, OFF(data_dir), NONE,
     "serve and sweep: the archive's directory (database and audio)"},
    {"store", T_STR, "sqlite", 0, 0, OFF(store), NONE,
     "the archive's database: sqlite (rostvakt.db in data_dir), or a PostgreSQL URI postgresql://... or "
     "connection string host=... dbname=... (docs/ha.md)"},
    {"store_allow_async_commit", T_INT, "0", 0, 1, OFF(store_allow_async_commit), NONE,
     "1: start on PostgreSQL with synchronous_commit = off (a committed upload can be lost in a crash)"},
    {"tokens", T_STR, "/etc/rostvakt/tokens", 0, 0, OFF(tokens), NONE,
     "serve: the tokens file written by rostvakt token"},
    {"http_workers", T_INT, "4", 1, 256, OFF(http_workers), NONE,
     "serve: HTTP threads"},
    {"greeting_workers", T_INT, "0", 0, 256, OFF(greeting_workers), NONE,
     "serve: greetings analysed at once, each with a decoder of about 50 MB (0: one a CPU core, at most http_workers)"},
    {"analysis_workers", T_INT, "1", 0, 256, OFF(analysis_workers), NONE,
     "serve: threads analysing queued voicemails (0: none, they stay queued); their keyword spotting takes a "
     "decoder from the greeting_workers pool"},
    {"analysis_lease", T_INT, "600", 1, 86400, OFF(analysis_lease), NONE,
     "serve: seconds a worker's claim on a voicemail lasts unless its node renews it while it works; then any "
     "node's worker may take it"},
    {"max_json_bytes", T_INT, "65536", 1024, 16777216, OFF(max_json_bytes), NONE,
     "serve: largest accepted JSON request body in bytes"},
    {"http_header_timeout", T_INT, "10", 1, 3600, OFF(http_header_timeout), NONE,
     "serve: seconds a connection may take to send a request's headers (also how long an idle keep-alive lasts)"},
    {"http_body_timeout", T_INT, "300", 1, 86400, OFF(http_body_timeout), NONE,
     "serve: seconds a request may take to send its body"},
    {"http_body_budget", T_INT, "67108864", 1048576, 1e12, OFF(http_body_budget), NONE,
     "serve: bytes of request bodies held in memory at once, whoever sends them; a body that would go over "
     "gets 503 with Retry-After (at least max_audio_bytes + 1)"},
    {"web_dir", T_STR, "", 0, 0, OFF(web_dir), NONE,
     "serve: the web app's files (empty: web/ beside the source tree's models, else the installed one)"},
    {"session_idle_timeout", T_INT, "28800", 1, 604800, OFF(session_idle_timeout), NONE,
     "serve: seconds a web app session lasts without a request"},
    {"session_max_age", T_INT, "43200", 1, 2592000, OFF(session_max_age), NONE,
     "serve: seconds a web app session lasts at most after sign-in, however much it is used"},
    {"session_cookie_secure", T_INT, "0", 0, 1, OFF(session_cookie_secure), NONE,
     "serve: 1 marks the session cookie Secure (set it when users reach rostvakt over TLS)"},
    {"trusted_proxy", T_STR, "", 0, 0, OFF(trusted_proxy), NONE,
     "serve: the reverse proxy's IPv4 address whose user header is believed (empty: none)"},
    {"trusted_user_header", T_STR, "X-Remote-User", 0, 0, OFF(trusted_user_header), NONE,
     "serve: the header in which the trusted proxy names the signed-in user"},
    {"users_file", T_STR, "", 0, 0, OFF(users_file), NONE,
     "serve: the roles of users named by the trusted proxy, \"user<TAB>role\" a line"},
    {"proxy_groups_header", T_STR, "", 0, 0, OFF(proxy_groups_header), NONE,
     "serve: the header in which the trusted proxy sends the user's groups, separated by , or ; (empty: none)"},
    {"proxy_group_orgs", T_STR, "", 0, 0, OFF(proxy_group_orgs), NONE,
     "serve: the organisations a proxy user's groups give, \"group=org,org; group=org\""},
    {"proxy_group_units", T_STR, "", 0, 0, OFF(proxy_group_units), NONE,
     "serve: the units a proxy manager's groups give, \"group=Unit; group=Unit@org\" (no @org: every organisation's)"},
    {"metrics_access", T_STR, "loopback", 0, 0, OFF(metrics_access), NONE,
     "serve: who may GET /metrics: loopback (a request from this machine that no proxy forwarded, or anyone "
     "signed in), token (anyone signed in: a bearer token of any role) or open (anyone)"},
    {"mail_smtp_url", T_STR, "", 0, 0, OFF(mail_smtp_url), NONE,
     "sweep --mail: the mail server, smtp://HOST:PORT (STARTTLS required but to this machine) or smtps://HOST:PORT "
     "(empty: no mail)"},
    {"mail_from", T_STR, "rostvakt@localhost", 0, 0, OFF(mail_from), NONE, "sweep --mail: the sender's address"},
    {"public_url", T_STR, "", 0, 0, OFF(public_url), NONE,
     "serve: the web app's address as people reach it (https://rostvakt.kommun.se), for the links of the mail that "
     "hands a voicemail over (empty: http:// and listen)"},
    {"mail_auth_file", T_STR, "", 0, 0, OFF(mail_auth_file), NONE,
     "sweep --mail: a file with the mail server's user name and password on two lines, mode 0600 (empty: no login)"},
    {"mail_ca_file", T_STR, "", 0, 0, OFF(mail_ca_file), NONE,
     "sweep --mail: CA certificates to check the mail server's certificate with (empty: the system's)"},
    {"mail_officers", T_STR, "", 0, 0, OFF(mail_officers), NONE,
     "sweep --mail: the records officers' addresses for the summary, comma-separated (empty: none)"},
    {"mail_when_nothing", T_INT, "0", 0, 1, OFF(mail_when_nothing), NONE,
     "sweep --mail: 1 mails a unit's managers even when there is nothing to act on"},
    {"max_audio_bytes", T_INT, "20971520", 1, 1e10, OFF(max_audio_bytes), NONE,
     "largest accepted recording in bytes"},
    {"max_audio_seconds", T_DOUBLE, "600", 1, 86400, OFF(max_audio_seconds), NONE,
     "longest accepted recording in seconds"},
    {"greeting_max_seconds", T_DOUBLE, "120", 5, 86400, OFF(greeting_max_seconds), NONE,
     "serve: longest accepted greeting or recorded name in seconds (with max_audio_seconds, the shorter; bounds "
     "each greeting analysis' memory)"},
    {"max_queue", T_INT, "10000", 1, 1e9, OFF(max_queue), NONE,
     "serve: voicemails waiting for analysis, on every node sharing the archive, before uploads get 503 with "
     "Retry-After"},
    {"review_sample_every", T_INT, "4", 0, 1000000, OFF(review_sample_every), NONE,
     "serve: one in this many greetings whose verdict rostvakt was sure of is offered for review beside the "
     "unsure ones, so that calibrate sees both ends (0: only the unsure)"},
    {"silence_dbfs", T_DOUBLE, "-60", -120, 0, OFF(silence_dbfs), VERDICT,
     "frames below this level (dBFS) count as silent"},
    {"quiet_dbfs", T_DOUBLE, "-45", -120, 0, OFF(quiet_dbfs), VERDICT,
     "a recording without speech whose loud frames stay below this (dBFS) is silence"},
    {"greeting_min_speech_s", T_DOUBLE, "1.5", 0, 60, OFF(greeting_min_speech_s), VERDICT,
     "a greeting with less speech than this is missing"},
    {"voicemail_min_speech_s", T_DOUBLE, "0.3", 0, 60, OFF(voicemail_min_speech_s), NONE,
     "a voicemail with less speech than this is a hang-up"},
    {"voicemail_long_speech_s", T_DOUBLE, "6", 0, 600, OFF(voicemail_long_speech_s), NONE,
     "a voicemail with more speech than a call-back request needs is a possible public record"},
    {"prompt_refs", T_STR, "/usr/share/asterisk/sounds/en_US_f_Allison/vm-*.wav",
     0, 0, OFF(prompt_refs), VERDICT,
     "':'-separated directories or globs of the PBX's own default prompts"},
    {"prompt_min_ref_seconds", T_DOUBLE, "1.0", 0, 60, OFF(prompt_min_ref_seconds), VERDICT,
     "reference prompts shorter than this are not used"},
    {"prompt_max_seconds", T_DOUBLE, "120", 1, 3600, OFF(prompt_max_seconds), VERDICT,
     "system prompts are sought in this many first seconds"},
    {"prompt_min_score", T_DOUBLE, "0.12", 0.001, 1, OFF(prompt_min_score), VERDICT,
     "share of a prompt's fingerprint hashes that must match"},
    {"prompt_min_hashes", T_INT, "12", 1, 100000, OFF(prompt_min_hashes), VERDICT,
     "and at least this many matching hashes"},
    {"asr_name_min_score", T_DOUBLE, "-17.6", -100000, 100000, OFF(asr_name_min_score), VERDICT,
     "acoustic likelihood ratio per 10 ms frame a name must reach (chosen on the tune split)"},
    {"asr_name_cohort_weight", T_DOUBLE, "0.5", 0, 10, OFF(asr_name_cohort_weight), VERDICT,
     "when the directory's other names are known: the name's score less this times the best "
     "of up to 32 of them (same unit first, then alike in spelling; 0: never; chosen on the tune split)"},
    {"asr_name_cohort_min_score", T_DOUBLE, "-13.5", -100000, 100000, OFF(asr_name_cohort_min_score), VERDICT,
     "what that score must reach (chosen on the tune split)"},
    {"asr_phrase_min_score", T_DOUBLE, "-10.5", -100000, 100000, OFF(asr_phrase_min_score), VERDICT,
     "the same for a unit, organisation or phrase, plus asr_phrase_min_score_per_char for each "
     "of its characters (longer phrases fit wrong speech worse; both chosen on the tune split)"},
    {"asr_phrase_min_score_per_char", T_DOUBLE, "-0.6", -100, 100, OFF(asr_phrase_min_score_per_char), VERDICT,
     "added to asr_phrase_min_score for each character of the unit, organisation or phrase"},
    {"asr_name_min_score_g711", T_DOUBLE, "-20.5", -100000, 100000, OFF(asr_name_min_score_g711), VERDICT,
     "asr_name_min_score for G.711 (mu-law, A-law) recordings (chosen on the tune split's mu-law)"},
    {"asr_name_min_score_gsm", T_DOUBLE, "-14.1", -100000, 100000, OFF(asr_name_min_score_gsm), VERDICT,
     "asr_name_min_score for GSM 06.10 recordings (chosen on the tune split's GSM)"},
    {"asr_name_cohort_min_score_g711", T_DOUBLE, "-14.5", -100000, 100000, OFF(asr_name_cohort_min_score_g711), VERDICT,
     "asr_name_cohort_min_score for G.711 recordings (tune split, mu-law)"},
    {"asr_name_cohort_min_score_gsm", T_DOUBLE, "-11.8", -100000, 100000, OFF(asr_name_cohort_min_score_gsm), VERDICT,
     "asr_name_cohort_min_score for GSM recordings (tune split, GSM)"},
    {"asr_phrase_min_score_g711", T_DOUBLE, "-11.1", -100000, 100000, OFF(asr_phrase_min_score_g711), VERDICT,
     "asr_phrase_min_score for G.711 recordings (tune split, mu-law)"},
    {"asr_phrase_min_score_gsm", T_DOUBLE, "-9.3", -100000, 100000, OFF(asr_phrase_min_score_gsm), VERDICT,
     "asr_phrase_min_score for GSM recordings (tune split, GSM)"},
    {"asr_closing_min_score", T_DOUBLE, "-18.3", -100000, 100000, OFF(asr_closing_min_score), VERDICT,
     "the same for the best-fitting closing prompt (\"lämna ett meddelande\" ...)"},
    {"asr_absence_min_score", T_DOUBLE, "9.1", -100000, 100000, OFF(asr_absence_min_score), VERDICT,
     "the same for an absence phrase (\"är på semester\"; chosen on the tune split: above "
     "every ordinary greeting there)"},
    {"asr_date_min_score", T_DOUBLE, "-17.1", -100000, 100000, OFF(asr_date_min_score), VERDICT,
     "the same for an absence's end date and hour (chosen on the tune split)"},
    {"asr_keyword_min_score", T_DOUBLE, "-1.5", -100000, 100000, OFF(asr_keyword_min_score), NONE,
     "the same for a voicemail's case words (through the directory map; chosen on the voicemail "
     "tune split: just above every voicemail there without a case word)"},
    {"asr_name_confidence_slope", T_DOUBLE, "0.428", 0.01, 10000, OFF(asr_name_confidence_slope), VERDICT,
     "how fast a name's confidence grows with its distance from its threshold: 1 / (1 + exp(-slope * "
     "(score - threshold))) is the probability it was said (chosen on the tune split: verdicts outside "
     "the unsure band right >= 95 %)"},
    {"asr_phrase_confidence_slope", T_DOUBLE, "0.414", 0.01, 10000, OFF(asr_phrase_confidence_slope), VERDICT,
     "the same for a unit, organisation or phrase"},
    {"asr_closing_confidence_slope", T_DOUBLE, "0.264", 0.01, 10000, OFF(asr_closing_confidence_slope), VERDICT,
     "the same for the closing prompt (its confident verdicts reach only 90 % right on the tune split)"},
    {"verdict_min_confidence", T_DOUBLE, "0.95", 0.5, 0.9999, OFF(verdict_min_confidence), VERDICT,
     "a verdict is stated or not_stated only at this confidence; below it, unsure: no violation, and "
     "the greeting goes on the review list when an unsure name, unit or organisation could break the policy"},
    {"name_template_max_distance", T_DOUBLE, "14", 0, 1000, OFF(name_template_max_distance), VERDICT,
     "a greeting into which the owner's recorded name fits this well (mean cepstral distance) states the "
     "name (chosen on real speech: 96 % of such fits were the name); used only where the decoder keeps no "
     "senone scores of its own"},
    {"name_template_max_posterior_distance", T_DOUBLE, "6.28", 0, 100, OFF(name_template_max_posterior_distance),
     VERDICT,
     "a greeting into which the owner's recorded name fits this well (mean -log inner product of senone "
     "posteriors) states the name (chosen on real same-speaker repeats: FPR <= 0.01 on English and Spanish)"},
    {"case_words", T_STR, "", 0, 0, OFF(case_words), NONE,
     "case-word list for voicemails (empty: models_dir/case-words.sv)"},
    {"models_dir", T_STR, "", 0, 0, OFF(models_dir), V_MODELS,
     "phone map, profiles and word lists (empty: found next to the binary)"},
    {"asr_adaptation", T_STR, "", 0, 0, OFF(asr_adaptation), V_FILE,
     "MLLR matrix adapting the acoustic model to telephone lines (empty: the installation's own, "
     "data_dir/models/current.mllr written by rostvakt adapt, else models_dir/en-us-tel.mllr, built by make; "
     "\"none\": unadapted); a MAP model beside the file it names (NAME.map for NAME.mllr, as rostvakt adapt "
     "writes them) is used for telephone lines in its place"},
    {"profile_dirs", T_STR, "", 0, 0, OFF(profile_dirs), NONE,
     "':'-separated profile directories, later ones win (empty: models_dir/profiles)"},
};

#define N_SETTINGS (sizeof settings / sizeof settings[0])

static const setting *find(const char *name, size_t len)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (strlen(settings[i].name) == len && strncmp(settings[i].name, name, len) == 0)
            return &settings[i];
    return NULL;
}

static rv_err apply(rv_config *cfg, const setting *s, const char *value,
                    const char *where, rv_error *err)
{
    char *base = (char *)cfg + s->offset;
    char *end = NULL;
    errno = 0;
    switch (s->type) {
    case T_INT: {
        int yes_no = s->min == 0 && s->max == 1, b; /* a yes/no setting takes the words too */
        long long v = 0;
        if (yes_no && rv_parse_bool(value, &b) == 0) v = b;
        else {
            v = strtoll(value, &end, 10);
            if (errno || end == value || *end != '\0')
                return rv_error_set(err, RV_ERR_CONFIG,
                                    yes_no ? "%s: %s: '%s' is not yes or no (or 1/0, true/false)"
                                           : "%s: %s: '%s' is not an integer",
                                    where, s->name, value);
        }
        if ((double)v < s->min || (double)v > s->max)
            return rv_error_set(err, RV_ERR_CONFIG, "%s: %s: %lld is outside %lld..%lld",
                                where, s->name, v, (long long)s->min, (long long)s->max);
        *(int64_t *)base = v;
        break;
    }
    case T_DOUBLE: {
        double v = strtod(value, &end);
        if (errno || end == value || *end != '\0' || !isfinite(v))
            return rv_error_set(err, RV_ERR_CONFIG, "%s: %s: '%s' is not a number",
                                where, s->name, value);
        if (v < s->min || v > s->max)
            return rv_error_set(err, RV_ERR_CONFIG, "%s: %s: %g is outside %g..%g",
                                where, s->name, v, s->min, s->max);
        *(double *)base = v;
        break;
    }
    case T_STR:
        if (strlen(value) >= RV_CONFIG_STR_MAX)
            return rv_error_set(err, RV_ERR_CONFIG, "%s: %s: value longer than %d bytes",
                                where, s->name, RV_CONFIG_STR_MAX - 1);
        memcpy(base, value, strlen(value) + 1);
        break;
    }
    return RV_OK;
}

void rv_config_defaults(rv_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < N_SETTINGS; i++) {
        rv_err rc = apply(cfg, &settings[i], settings[i].def, "default", NULL);
        (void)rc; /* the defaults are in range by construction (tested) */
    }
}

rv_err rv_config_set(rv_config *cfg, const char *name, const char *value,
                     rv_error *err)
{
    const setting *s = find(name, strlen(name));
    if (!s) return rv_error_set(err, RV_ERR_CONFIG, "unknown setting '%s'", name);
    return apply(cfg, s, value, "command line", err);
}

typedef struct {
    rv_config *cfg;
    const char *path;
} file_ctx;

static rv_err config_line(char *line, int lineno, void *user, rv_error *err)
{
    file_ctx *c = user;
    char *name, *value, where[64];
    if (rv_split_kv(line, &name, &value) != 0)
        return rv_error_set(err, RV_ERR_CONFIG, "%s:%d: expected 'name = value'", c->path, lineno);
    const setting *st = find(name, strlen(name));
    if (!st)
        return rv_error_set(err, RV_ERR_CONFIG, "%s:%d: unknown setting '%s'", c->path, lineno, name);
    snprintf(where, sizeof where, "%s:%d", c->path, lineno);
    return apply(c->cfg, st, value, where, err);
}

rv_err rv_config_load_file(rv_config *cfg, const char *path, rv_error *err)
{
    file_ctx c = {cfg, path};
    return rv_textfile_each(path, RV_ERR_CONFIG, config_line, &c, err);
}

rv_err rv_config_load(rv_config *cfg, const char *path, rv_error *err)
{
    if (path) {
        rv_err rc = rv_config_load_file(cfg, path, err);
        if (rc != RV_OK) return rc;
    }
    for (size_t i = 0; i < N_SETTINGS; i++) {
        char env[96] = "RV_";
        size_t j = 3;
        for (const char *p = settings[i].name; *p && j + 1 < sizeof env; p++)
            env[j++] = (char)toupper((unsigned char)*p);
        env[j] = '\0';
        const char *v = getenv(env);
        if (v) {
            rv_err rc = apply(cfg, &settings[i], v, env, err);
            if (rc != RV_OK) return rc;
        }
    }
    return RV_OK;
}

/* rv_group_map_each's callbacks: *bad set for a target that is not a list
 * of organisation ids, or not a unit with an optional @organisation. */
static void check_orgs_target(const char *t, void *bad)
{
    char orgs[RV_ORGS_TEXT_MAX];
    if (!rv_orgs_norm(t, orgs) || !orgs[0]) *(int *)bad = 1;
}

static void check_unit_target(const char *t, void *bad)
{
    const char *at = strrchr(t, '@');
    if (at == t || (at && !rv_org_id_valid(at + 1))) *(int *)bad = 1;
}

rv_err rv_config_validate(const rv_config *cfg, rv_error *err)
{
    int bad = 0;
    /* listen as serve takes it: an IPv4 address and a port (0: any free one) */
    const char *colon = strrchr(cfg->listen, ':');
    unsigned port;
    char host[64], end;
    struct in_addr a;
    if (!colon || colon == cfg->listen || (size_t)(colon - cfg->listen) >= sizeof host ||
        sscanf(colon + 1, "%u%c", &port, &end) != 1 || port > 65535 || colon[1] < '0' || colon[1] > '9' ||
        (snprintf(host, sizeof host, "%.*s", (int)(colon - cfg->listen), cfg->listen), inet_pton(AF_INET, host, &a) != 1))
        return rv_error_set(err, RV_ERR_CONFIG, "listen must be an IPv4 ADDRESS:PORT (port 0 to 65535), not '%s'",
                            cfg->listen);
    if (!rv_group_map_each(cfg->proxy_group_orgs, NULL, check_orgs_target, &bad) || bad)
        return rv_error_set(err, RV_ERR_CONFIG,
                            "proxy_group_orgs: \"group=org,org; group=org\" (organisation ids) expected, not '%s'",
                            cfg->proxy_group_orgs);
    if (!rv_group_map_each(cfg->proxy_group_units, NULL, check_unit_target, &bad) || bad)
        return rv_error_set(err, RV_ERR_CONFIG,
                            "proxy_group_units: \"group=Unit; group=Unit@org\" (an organisation id after @) expected,"
                            " not '%s'",
                            cfg->proxy_group_units);
    if (strpbrk(cfg->proxy_groups_header, " \t:\r\n"))
        return rv_error_set(err, RV_ERR_CONFIG, "proxy_groups_header: a header's name expected, not '%s'",
                            cfg->proxy_groups_header);
    if (cfg->quiet_dbfs < cfg->silence_dbfs)
        return rv_error_set(err, RV_ERR_CONFIG, "quiet_dbfs (%g) is below silence_dbfs (%g)",
                            cfg->quiet_dbfs, cfg->silence_dbfs);
    if (strcmp(cfg->metrics_access, "loopback") != 0 && strcmp(cfg->metrics_access, "token") != 0 &&
        strcmp(cfg->metrics_access, "open") != 0)
        return rv_error_set(err, RV_ERR_CONFIG, "metrics_access must be loopback, token or open, not '%s'",
                            cfg->metrics_access);
    if (cfg->prompt_min_ref_seconds > cfg->prompt_max_seconds)
        return rv_error_set(err, RV_ERR_CONFIG,
                            "prompt_min_ref_seconds exceeds prompt_max_seconds");
    if (cfg->http_body_budget < cfg->max_audio_bytes + 1 || cfg->http_body_budget < cfg->max_json_bytes + 1)
        return rv_error_set(err, RV_ERR_CONFIG,
                            "http_body_budget (%lld) must hold at least one body of max_audio_bytes (%lld) and of "
                            "max_json_bytes (%lld)",
                            (long long)cfg->http_body_budget, (long long)cfg->max_audio_bytes,
                            (long long)cfg->max_json_bytes);
    return RV_OK;
}

/* The setting store as it may be shown: a password in it (a URI's
 * user:password@, a password=... of a connection string or of a URI's
 * query) as ***. */
static void print_store(const char *v, FILE *out)
{
    char buf[RV_CONFIG_STR_MAX + 16];
    snprintf(buf, sizeof buf, "%s", v);
    char *scheme = strstr(buf, "://");
    if (scheme) {
        char *auth = scheme + 3, *at = strchr(auth, '@'), *slash = strchr(auth, '/');
        char *colon = strchr(auth, ':');
        if (at && (!slash || at < slash) && colon && colon < at) {
            memmove(colon + 4, at, strlen(at) + 1);
            memcpy(colon + 1, "***", 3);
        }
    }
    for (char *pw = strstr(buf, "password"); pw; pw = strstr(pw + 8, "password")) {
        char *eq = pw + 8;
        while (*eq == ' ') eq++;
        if (*eq != '=') continue;
        char *val = eq + 1, *end;
        while (*val == ' ') val++;
        if (*val == '\'') {
            for (end = val + 1; *end && *end != '\''; end++)
                if (*end == '\\' && end[1]) end++;
            if (*end) end++;
        } else
            end = val + strcspn(val, scheme ? "& " : " ");
        memmove(val + 3, end, strlen(end) + 1);
        memcpy(val, "***", 3);
    }
    fputs(buf, out);
}

void rv_config_print(const rv_config *cfg, FILE *out)
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const setting *s = &settings[i];
        const char *base = (const char *)cfg + s->offset;
        fprintf(out, "%s = ", s->name);
        switch (s->type) {
        case T_INT: fprintf(out, "%lld", (long long)*(const int64_t *)base); break;
        case T_DOUBLE: fprintf(out, "%g", *(const double *)base); break;
        case T_STR:
            if (strcmp(s->name, "store") == 0) print_store(base, out);
            else fputs(base, out);
            break;
        }
        fprintf(out, "    # %s%s\n", s->version != V_NONE ? "[verdicts] " : "", s->help);
    }
}

void rv_config_print_markdown(FILE *out)
{
    fputs("| setting | default | verdicts | meaning |\n|---|---|---|---|\n", out);
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const setting *s = &settings[i];
        fprintf(out, "| `%s` | %s%s%s | %s | ", s->name, s->def[0] ? "`" : "(see meaning)", s->def,
                s->def[0] ? "`" : "", s->version != V_NONE ? "yes" : "");
        for (const char *c = s->help; *c; c++) { /* a cell: no pipe of its own */
            if (*c == '|') fputs("\\|", out);
            else fputc(*c, out);
        }
        fputs(" |\n", out);
    }
}

size_t rv_config_count(void) { return N_SETTINGS; }

int rv_config_info(size_t i, rv_setting_info *out)
{
    if (i >= N_SETTINGS) return 0;
    const setting *s = &settings[i];
    *out = (rv_setting_info){.name = s->name, .def = s->def, .help = s->help, .min = s->min, .max = s->max,
                             .type = s->type == T_INT ? RV_SETTING_INT : s->type == T_DOUBLE ? RV_SETTING_DOUBLE
                                                                                               : RV_SETTING_STRING,
                             .affects_verdicts = s->version != V_NONE,
                             .names_file = s->version == V_FILE, .names_models = s->version == V_MODELS};
    return 1;
}

/* models_dir when set; else models/ beside the source tree the binary was
 * built in (build/rostvakt -> models/), else the installed share directory. */
static void find_models(rv_config *cfg)
{
    if (cfg->models_dir[0]) return;
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char cand[RV_CONFIG_STR_MAX];
            snprintf(cand, sizeof cand, "%.900s/../models", exe);
            if (access(cand, R_OK) == 0) {
                snprintf(cfg->models_dir, sizeof cfg->models_dir, "%s", cand);
                return;
            }
        }
    }
    snprintf(cfg->models_dir, sizeof cfg->models_dir, "%s", RV_SHARE_DIR);
}

void rv_config_resolve(rv_config *cfg)
{
    find_models(cfg);
    if (!cfg->web_dir[0]) {
        char cand[RV_CONFIG_STR_MAX];
        snprintf(cand, sizeof cand, "%.1000s/../web/index.html", cfg->models_dir);
        if (access(cand, R_OK) == 0) snprintf(cfg->web_dir, sizeof cfg->web_dir, "%.1000s/../web", cfg->models_dir);
        else snprintf(cfg->web_dir, sizeof cfg->web_dir, "%s/web", RV_SHARE_DIR);
    }
    if (!cfg->profile_dirs[0])
        snprintf(cfg->profile_dirs, sizeof cfg->profile_dirs, "%.1000s/profiles", cfg->models_dir);
    if (!cfg->asr_adaptation[0]) { /* the installation's own (rostvakt adapt), else the shipped one */
        snprintf(cfg->asr_adaptation, sizeof cfg->asr_adaptation, "%.1000s/" RV_ADAPTATION_FILE, cfg->data_dir);
        if (access(cfg->asr_adaptation, R_OK) != 0)
            snprintf(cfg->asr_adaptation, sizeof cfg->asr_adaptation, "%.1000s/en-us-tel.mllr", cfg->models_dir);
    }
    if (!cfg->case_words[0])
        snprintf(cfg->case_words, sizeof cfg->case_words, "%.1000s/case-words.sv", cfg->models_dir);
}

const char *rv_config_mllr(const rv_config *cfg)
{
    return cfg->asr_adaptation[0] && strcmp(cfg->asr_adaptation, "none") != 0 ? cfg->asr_adaptation : NULL;
}

/* FNV-1a, 64 bits: a fingerprint, not a defence against anyone */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static uint64_t fnv_file(uint64_t h, const char *path)
{
    FILE *f = path && *path ? fopen(path, "rb") : NULL;
    if (!f) return fnv(h, "-", 1);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) h = fnv(h, buf, n);
    fclose(f);
    return h;
}

void rv_config_fingerprint(const rv_config *cfg, const char *revision, char out[17])
{
    uint64_t h = fnv(14695981039346656037ull, revision, strlen(revision));
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const setting *s = &settings[i];
        if (s->version == V_NONE) continue;
        const char *base = (const char *)cfg + s->offset;
        char text[RV_CONFIG_STR_MAX + 160];
        int n = 0;
        switch (s->version) {
        case V_VALUE:
            if (s->type == T_INT) n = snprintf(text, sizeof text, "|%s=%lld", s->name, (long long)*(const int64_t *)base);
            else if (s->type == T_DOUBLE) n = snprintf(text, sizeof text, "|%s=%.17g", s->name, *(const double *)base);
            else n = snprintf(text, sizeof text, "|%s=%s", s->name, base);
            h = fnv(h, text, n > 0 && (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
            break;
        case V_FILE: /* where it is does not matter, what it holds does */
            n = snprintf(text, sizeof text, "|%s:", s->name);
            h = fnv(h, text, (size_t)n);
            h = fnv_file(h, strcmp(base, "none") == 0 ? NULL : base);
            if (strcmp(base, "none") != 0 && rv_asr_telephone_model(base, text, sizeof text - 16)) {
                size_t k = strlen(text); /* an adaptation's MAP model: what it scores with */
                h = fnv(h, "|map:", 5);
                snprintf(text + k, sizeof text - k, "/means");
                h = fnv_file(h, text);
                snprintf(text + k, sizeof text - k, "/variances");
                h = fnv_file(h, text);
            }
            break;
        case V_MODELS:
            n = snprintf(text, sizeof text, "|%s:", s->name);
            h = fnv(h, text, (size_t)n);
            snprintf(text, sizeof text, "%.1000s/" RV_FIXED_MAP, base);
            h = fnv_file(h, text);
            snprintf(text, sizeof text, "%.1000s/" RV_DIRECTORY_MAP, base);
            h = fnv_file(h, text);
            break;
        }
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}
