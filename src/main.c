/* The rostvakt command line: a thin shell over the library. Only this file
 * and the HTTP layer (http.c) turn errors into words for a person. */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "migrate.h"
#include "node.h"
#include "rostvakt/adapt.h"
#include "rostvakt/analyze.h"
#include "rostvakt/archive.h"
#include "rostvakt/audio.h"
#include "rostvakt/calendar.h"
#include "rostvakt/calibrate.h"
#include "rostvakt/config.h"
#include "rostvakt/store.h"
#include "rostvakt/sweep.h"
#include "rostvakt/dsp.h"
#include "rostvakt/fileio.h"
#include "rostvakt/fingerprint.h"
#include "rostvakt/pbxsync.h"
#include "rostvakt/policy.h"
#include "rostvakt/asr.h"
#include "rostvakt/lexicon.h"
#include "rostvakt/mail.h"
#include "rostvakt/swedish.h"
#include "rostvakt/server.h"
#include "rostvakt/organisation.h"
#include "rostvakt/token.h"
#include "rostvakt/verify.h"
#include "rostvakt/report.h"

/* jemalloc (the program's allocator, see the Makefile): one arena, and
 * freed memory returned within a second, so that what one thread freed is
 * not kept for it while another allocates: the service's peak under the
 * hostile-upload bench fell from 206 to 184 MB. Ignored by other allocators. */
const char *malloc_conf = "narenas:1,dirty_decay_ms:1000,muzzy_decay_ms:0";

#define EXIT_UNREADABLE 2
#define EXIT_USAGE 64
#define EXIT_IO 74
#define EXIT_CONFIG 78
#define RV_STR_(x) #x
#define RV_STR(x) RV_STR_(x)

#ifndef RV_VERSION
#define RV_VERSION "0.1.0"
#endif

/* Each command's usage: its synopsis and options, as `rostvakt help CMD`
 * and `rostvakt CMD --help` print them. */
static const struct {
    const char *cmd, *synopsis, *text;
} commands[] = {
    {"analyze", "analyze [options] FILE...", "analyse recordings, one JSON object per line",
    },
    {"profiles", "profiles", "list the policy profiles, one line each"},
    {"serve", "serve [--listen ADDR:PORT] [--data-dir DIR] [--tokens FILE] [--workers N] [--analysis-workers N]",
     "the HTTP service (README: the API)"},
    {"token", "token --tokens FILE (--role pbx|officer|admin|manager --name NAME [--org ID]... | --revoke NAME)",
     "create or revoke an API token"},
    {"sweep", "sweep [--data-dir DIR] [--date YYYY-MM-DD] [--format json|csv|html[,...]] [--out FILE] [--dry-run]\n"
              "                  [--allow-future] [--mail [--mail-dir DIR]] [--once]",
     "the nightly check of every mailbox and deadline, disposal, and the managers' report"},
    {"workdays", "workdays --calendar SE|AX --from YYYY-MM-DD --add N [--explain]", "the date N working days later"},
    {"calibrate", "calibrate [--data-dir DIR] [--min-per-class N] [--min-right R] [--dry-run]",
     "this installation's thresholds and slopes from its reviewed greetings"},
    {"adapt", "adapt [--data-dir DIR] [--min-frames N] [--map-min-frames N] [--rollback] [--dry-run]",
     "this installation's telephone-line adaptation from its confirmed greetings"},
    {"pbx-sync", "pbx-sync asterisk|asterisk-notify|freeswitch|imap [--spool DIR] [--context C]... [--db FILE]\n"
                 "                  [--storage DIR] [--url URL --user U (--password-file F | --bearer-file F)]\n"
                 "                  [--done-folder F] [--problem-folder F] [--ca-file F] --server URL --token-file FILE\n"
                 "                  [--state FILE] [--once] [--interval S] [--tries N] [CONTEXT MAILBOX ...]",
     "send a PBX's new voicemails, greetings and recorded names to the service"},
    {"archive", "archive [--data-dir DIR] (--voicemail ID... | --decided-from YYYY-MM-DD --decided-to YYYY-MM-DD)\n"
                "                  [--org ID] --out DIR [--tar]",
     "submission packages (FGS Paketstruktur 2.0) of registered (registrera) voicemails for the e-archive"},
    {"migrate", "migrate --from ARCHIVE --to ARCHIVE [--into-nonempty]",
     "copy the archive between SQLite and PostgreSQL, then verify the copy"},
    {"config", "config [--markdown]", "print the effective configuration"},
    {"version", "version", "print the version"},
    {"help", "help [COMMAND]", "this text, or one command's"},
};

static const char *const details[] = {
    /* analyze */
    "  --kind greeting|voicemail   what the recordings are (default greeting)\n"
    "  --name \"Förnamn Efternamn\" --unit \"Enhet\" --org \"Organisation\"\n"
    "  --phrase \"text\" (repeatable) --profile NAME\n"
    "  --cohort \"Förnamn Efternamn\" (repeatable) other names of the directory:\n"
    "                              --name is weighed against up to 32 most alike\n"
    "  --date YYYY-MM-DD           the day the greeting was recorded, for the end\n"
    "                              of an absence (default today)\n"
    "  --no-keywords               voicemails: do not look for case words\n"
    "  --encoding auto|ulaw|alaw|gsm  headerless 8 kHz G.711 or GSM input (.ul/.al/.gsm imply it)\n"
    "  --jobs N                    analyse N files at a time (default: all cores)\n"
    "  --format json|table|tsv     one JSON object per line (default), a table\n"
    "                              for people, or tab-separated columns\n",
    /* profiles */
    "  one line each: name, calendar, what it requires, retention\n",
    /* serve */
    "  --listen ADDR:PORT          the setting listen (default 127.0.0.1:8440; port 0: any)\n"
    "  --data-dir DIR              the setting data_dir (default /var/lib/rostvakt)\n"
    "  --tokens FILE               the setting tokens (default /etc/rostvakt/tokens)\n"
    "  --workers N                 the setting http_workers: HTTP threads (default 4;\n"
    "                              greeting_workers says how many greetings at once)\n"
    "  --analysis-workers N        the setting analysis_workers: voicemail analysis\n"
    "                              threads (default 1; 0: none)\n"
    "  runs until SIGTERM or SIGINT; prints \"rostvakt: listening on ADDR:PORT\"\n",
    /* token */
    "  --tokens FILE               the tokens file (created when missing)\n"
    "  --role pbx|officer|admin|manager    what the token may do\n"
    "  --org ID                            an organisation it acts for (repeatable; '*': every one);\n"
    "                                      needed for officer and manager; an admin with none is the\n"
    "                                      installation's\n"
    "  --revoke NAME                       remove that token (the service drops it within a second); with\n"
    "                                      store = postgresql://... (or --data-dir DIR) recorded in the\n"
    "                                      archive first, so every node refuses it within a second\n"
    "  --data-dir DIR                      the archive a revocation is recorded in (SQLite)\n"
    "  --name NAME                 who holds it, as the audit names them\n"
    "  the token is printed once, on the last line; the file keeps only its hash\n",
    /* sweep */
    "  --data-dir DIR              the setting data_dir (default /var/lib/rostvakt)\n"
    "  --date YYYY-MM-DD           the sweep's day for every organisation; an instant\n"
    "                              YYYY-MM-DDTHH:MM:SSZ (default now): each organisation's\n"
    "                              own day of it\n"
    "  --format F[,F...]           json (default), csv, html, or several\n"
    "  --out FILE                  write there ({date} and {format} in the name become\n"
    "                              the date and the format); default standard output\n"
    "  --dry-run                   list what would be disposed of; change nothing\n"
    "  --allow-future              dispose of recordings as of a --date after today\n"
    "                              (Sweden's); without it such a run is refused (exit 64)\n"
    "  --mail                      mail each unit's managers their part of the report and the\n"
    "                              records officers a summary (settings mail_*); a mail that\n"
    "                              cannot be sent is kept and tried at the next sweep\n"
    "  --mail-dir DIR              with --dry-run: write the mails there as .eml files instead\n"
    "                              (default ./rostvakt-mail)\n"
    "  --once                      the nightly sweep: one run a date, whichever processes or\n"
    "                              nodes on the archive start it; the others say so and do\n"
    "                              nothing (a run that failed, or died, may be run again)\n",
    /* workdays */
    "  --calendar SE|AX            Swedish or Åland working days\n"
    "  --from YYYY-MM-DD --add N   N working days after the date\n"
    "  --explain                   list the days skipped, and why, on standard error\n",
    /* calibrate */
    "  --data-dir DIR              the setting data_dir (default /var/lib/rostvakt)\n"
    "  --min-per-class N           answers of reviews heard said, and as many not said,\n"
    "                              before a class (name, unit and organisation, closing)\n"
    "                              gets thresholds of its own (default 30)\n"
    "  --min-right R               the share of confident verdicts that must be right on\n"
    "                              the reviews (default 0.90)\n"
    "  --dry-run                   print, change nothing\n"
    "  per class, the band of scores left unsure with the fewest unsure verdicts whose\n"
    "  confident verdicts were right at least R of the time on the reviews (the lower\n"
    "  end of the 95 % interval; a tenth at least confident): its middle the threshold,\n"
    "  its width the slope, leaving more unsure than the shipped band only where the\n"
    "  reviews show it wrong (right less than R at the upper end); failing one, the\n"
    "  shipped thresholds stay (reviews of unsure greetings alone seldom give one:\n"
    "  review the sure ones the review list samples, review_sample_every; a review of\n"
    "  that sample counts as the greetings it was drawn from). A class whose settings\n"
    "  the config file, environment or --set gives is left to them; prints local TPR,\n"
    "  FPR with 95 % intervals and the share unsure and right, and writes\n"
    "  DATA_DIR/calibration.conf, which serve and sweep read before the config file\n",
    /* adapt */
    "  --data-dir DIR              the setting data_dir (default /var/lib/rostvakt)\n"
    "  --min-frames N              10 ms frames of aligned names, units and organisations\n"
    "                              needed before anything changes (default 6000: a minute)\n"
    "  --map-min-frames N          frames needed before a MAP model is learned after the\n"
    "                              MLLR and used for telephone lines in its place\n"
    "                              (default " RV_STR(RV_ADAPT_MAP_MIN_FRAMES) ")\n"
    "  --rollback                  restore the adaptation in use before the current one\n"
    "  --dry-run                   align and count, change nothing\n"
    "  learns from current telephone-line greetings whose name and unit were stated\n"
    "  confidently or heard said by a review (never one a review said was not said);\n"
    "  writes DATA_DIR/models/adapt-N.mllr (and adapt-N.map), used while asr_adaptation\n"
    "  is empty\n",
    /* pbx-sync */
    "  asterisk                    app_voicemail's spool: messages once their .txt is\n"
    "                              written (a message moved to Old is the same one),\n"
    "                              the greeting (temp, else unavail, else busy) and\n"
    "                              the recorded name (greet) when new or changed\n"
    "  asterisk-notify CONTEXT MAILBOX [NEW OLD URGENT]\n"
    "                              one pass over that mailbox: for externnotify=\n"
    "  freeswitch                  mod_voicemail's SQLite database (--db FILE, read-only;\n"
    "                              relative file paths under --storage DIR)\n"
    "  imap                        voicemail delivered as e-mail (Teams/Exchange, Asterisk\n"
    "                              attach=yes) in the folder of --url imaps://HOST/FOLDER;\n"
    "                              the recipient's address finds the mailbox (its email)\n"
    "  --user U, --password-file F the IMAP login (the file's first line is the password)\n"
    "  --bearer-file F             instead of a password: an OAuth 2 access token (XOAUTH2,\n"
    "                              as Exchange Online wants), the file read again each pass\n"
    "  --done-folder F             where sent messages go (default rostvakt-done)\n"
    "  --problem-folder F          where messages a person must look at go: no audio, WMA,\n"
    "                              audio refused, an address no mailbox has\n"
    "                              (default rostvakt-problems)\n"
    "  --ca-file F                 CA certificates for the IMAP server (default the system's)\n"
    "  --spool DIR                 the spool (default /var/spool/asterisk/voicemail)\n"
    "  --context C                 only this context (repeatable; default all)\n"
    "  --server URL                the service, e.g. http://127.0.0.1:8440\n"
    "  --token-file FILE           a file holding a pbx token; it, --password-file and\n"
    "                              --bearer-file must be mode 0600 (or 0400)\n"
    "  --state FILE                what was sent (default\n"
    "                              /var/lib/rostvakt/pbx-sync-SOURCE.state)\n"
    "  --once                      one pass, then exit (cron, tests); else a pass\n"
    "                              every --interval seconds (default 30) until SIGTERM\n"
    "  --tries N                   tries of one upload while the service is down,\n"
    "                              pausing 1, 2, 4 ... 30 s (default 6)\n"
    "  logs one line per upload; exit (--once) 75 when the service stayed unreachable\n"
    "  or refused every upload of the pass, 78 when it refused the token; SIGTERM and\n"
    "  SIGINT end a run at once (exit 0), what was sent is kept\n",
    /* archive */
    "  --voicemail ID              this voicemail (repeatable)\n"
    "  --decided-from D, --decided-to D\n"
    "                              every voicemail registered on those days (inclusive), each\n"
    "                              day its organisation's (its profile's without one)\n"
    "  --org ID                    only that organisation's voicemails\n"
    "  --out DIR                   the packages go to DIR/OBJID/ (a folder each)\n"
    "  --tar                       as DIR/OBJID.tar instead\n"
    "  only voicemails whose latest decision is \"registrera\" are packaged; each\n"
    "  keeps its OBJID, and each packaging is audited and kept in its history\n",
    /* migrate */
    "  --from ARCHIVE, --to ARCHIVE  sqlite:DIR (a data directory), a postgresql:// URI or a\n"
    "                              libpq connection string; both are brought to this\n"
    "                              rostvakt's schema first\n"
    "  --into-nonempty             copy into an archive that holds rows already (they are\n"
    "                              kept; rows with the same keys are not copied)\n"
    "  every table and recording, ids kept, then each table's rows and each recording's\n"
    "  SHA-256 compared (the figures on standard output). Stop the service first: the\n"
    "  source is held while it runs. Run again after an interrupt: it continues.\n"
    "  exit 0 equal, 1 failed or a difference, 78 an archive that cannot be used\n",
    /* config */
    "  every setting as name = value with a line of help; [verdicts] marks those\n"
    "  that change a greeting's verdict (greetings are analysed again when they change)\n"
    "  --markdown                  the settings' defaults as a Markdown table instead\n",
    /* version */
    "",
    /* help */
    "",
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const char common_help[] = "options for every command:\n"
                                  "  --config FILE     settings file (name = value lines)\n"
                                  "  --set NAME=VALUE  override one setting (repeatable; see rostvakt config)\n"
                                  "  --print-config    print the effective configuration and exit\n"
                                  "  --help            this command's usage\n";

static const char exit_help[] = "exit status: 0 done, 1 the work failed part-way, 2 some FILE could not be read, "
                                 "64 usage (also a --data-dir with no archive), 74 standard output not written, "
                                 "75 try again later (pbx-sync --once; sweep: audio disposed of but not erased yet), "
                                 "78 configuration\n";

static void usage(FILE *out)
{
    fputs("usage: rostvakt <command> [options]\n\ncommands:\n", out);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].cmd, commands[i].text);
    fprintf(out, "\n%s\n'rostvakt help COMMAND' or 'rostvakt COMMAND --help' for a command's options.\n%s",
            common_help, exit_help);
}

/* 0 and the usage of cmd on out; 64 when there is no such command. */
static int command_help(const char *cmd, FILE *out)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].cmd, cmd) == 0) {
            fprintf(out, "usage: rostvakt %s\n%s\n\n%s", commands[i].synopsis, commands[i].text, details[i]);
            if (strcmp(cmd, "version") != 0 && strcmp(cmd, "help") != 0) fprintf(out, "\n%s", common_help);
            fprintf(out, "\n%s", exit_help);
            return 0;
        }
    fprintf(stderr, "rostvakt: no command '%s'\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}

/* One --set, or a flag that stands for a setting. */
typedef struct {
    const char *name, *value; /* name NULL: value is "NAME=VALUE" */
} setting_arg;

typedef struct {
    const char *config_file;
    setting_arg *sets;
    size_t n_sets;
    int print_config;
} common_opts;

/* Flags that are another name for a setting, per command. */
static const struct {
    const char *cmd, *flag, *setting;
} aliases[] = {
    {"serve", "--listen", "listen"},       {"serve", "--data-dir", "data_dir"},
    {"serve", "--tokens", "tokens"},       {"serve", "--workers", "http_workers"},
    {"serve", "--analysis-workers", "analysis_workers"},
    {"sweep", "--data-dir", "data_dir"},     {"calibrate", "--data-dir", "data_dir"},
    {"archive", "--data-dir", "data_dir"},   {"adapt", "--data-dir", "data_dir"},
    {"token", "--data-dir", "data_dir"},
};

/* Room for every argument of a command's argv as a setting. */
static int common_init(common_opts *c, int argc)
{
    memset(c, 0, sizeof *c);
    c->sets = calloc((size_t)argc + 1, sizeof *c->sets);
    return c->sets ? 0 : -1;
}

/* Take a common option, or a flag of cmd that names a setting, at argv[*i];
 * 1 if taken, 0 if not ours, -1 on error. */
static int common_opt(common_opts *c, const char *cmd, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (strcmp(a, "--print-config") == 0) { c->print_config = 1; return 1; }
    const char *setting = NULL;
    for (size_t k = 0; k < sizeof aliases / sizeof *aliases; k++)
        if (strcmp(aliases[k].cmd, cmd) == 0 && strcmp(aliases[k].flag, a) == 0) setting = aliases[k].setting;
    if (strcmp(a, "--config") == 0 || strcmp(a, "--set") == 0 || setting) {
        if (*i + 1 >= argc) {
            fprintf(stderr, "rostvakt %s: %s needs a value\n", cmd, a);
            return -1;
        }
        const char *v = argv[++*i];
        if (strcmp(a, "--config") == 0) c->config_file = v;
        else c->sets[c->n_sets++] = (setting_arg){setting, v};
        return 1;
    }
    return 0;
}

/* Defaults, the installation's calibration (with_calibration: the data
 * directory's calibration.conf, when there is one), the file, the
 * environment, then the flags in order; resolved and validated. 0, or the
 * exit status to return. */
static int build_config_from(const common_opts *c, const char *calibration, rv_config *cfg)
{
    rv_error err;
    rv_error_clear(&err);
    rv_config_defaults(cfg);
    if (calibration && rv_config_load_file(cfg, calibration, &err) != RV_OK) goto bad;
    if (rv_config_load(cfg, c->config_file, &err) != RV_OK) goto bad;
    for (size_t i = 0; i < c->n_sets; i++) {
        const setting_arg *a = &c->sets[i];
        if (a->name) {
            if (rv_config_set(cfg, a->name, a->value, &err) != RV_OK) goto bad;
            continue;
        }
        char name[128];
        const char *eq = strchr(a->value, '=');
        if (!eq || (size_t)(eq - a->value) >= sizeof name) {
            fprintf(stderr, "rostvakt: --set wants NAME=VALUE, not '%s'\n", a->value);
            return EXIT_USAGE;
        }
        memcpy(name, a->value, (size_t)(eq - a->value));
        name[eq - a->value] = '\0';
        if (rv_config_set(cfg, name, eq + 1, &err) != RV_OK) goto bad;
    }
    rv_config_resolve(cfg);
    rv_package_use_models(cfg->models_dir);
    if (rv_config_validate(cfg, &err) != RV_OK) goto bad;
    return 0;
bad:
    fprintf(stderr, "rostvakt: configuration: %s\n", err.msg);
    return EXIT_CONFIG;
}

static int build_config(const common_opts *c, rv_config *cfg) { return build_config_from(c, NULL, cfg); }

/* Whether cfg's archive is there to open: a wrong --data-dir (a typo, a
 * nightly timer's stale path) is an error, not a new empty archive. */
static int archive_there(const rv_config *cfg) { return rv_store_there(cfg->store, cfg->data_dir); }

/* What is missing when archive_there says no. */
static const char *not_there(const rv_config *cfg)
{
    return strcmp(cfg->store, "sqlite") == 0 ? "no rostvakt.db there" : "no such data directory";
}

/* build_config, with the calibration of the data directory it names. */
static int build_config_calibrated(const common_opts *c, rv_config *cfg)
{
    int rc = build_config(c, cfg);
    if (rc != 0) return rc;
    char path[RV_CONFIG_STR_MAX + 32];
    snprintf(path, sizeof path, "%s/" RV_CALIBRATION_FILE, cfg->data_dir);
    return access(path, F_OK) == 0 ? build_config_from(c, path, cfg) : 0;
}

/* For commands that take only the common options: the effective
 * configuration. 0, or the exit status to return. */
static int config_only(const char *cmd, int argc, char **argv, rv_config *cfg)
{
    common_opts co;
    if (common_init(&co, argc) != 0) return 1;
    int rc = 0;
    for (int i = 0; i < argc && rc == 0; i++) {
        int t = common_opt(&co, cmd, argc, argv, &i);
        if (t == 0) fprintf(stderr, "rostvakt %s: unknown argument %s\n", cmd, argv[i]);
        if (t <= 0) rc = EXIT_USAGE;
    }
    if (rc == 0) rc = build_config(&co, cfg);
    free(co.sets);
    return rc;
}

static int cmd_profiles(int argc, char **argv)
{
    rv_config cfg;
    int rc = config_only("profiles", argc, argv, &cfg);
    if (rc != 0) return rc;
    rv_profile *all = NULL;
    size_t n = 0;
    rv_error err;
    if (rv_profile_list(cfg.profile_dirs, &all, &n, &err) != RV_OK) {
        fprintf(stderr, "rostvakt profiles: %s\n", err.msg);
        rc = EXIT_CONFIG;
        goto done;
    }
    if (n == 0) {
        fprintf(stderr, "rostvakt profiles: no profiles in %s\n", cfg.profile_dirs);
        rc = EXIT_CONFIG;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        char line[512];
        rv_profile_summary(&all[i], line, sizeof line);
        puts(line);
    }
done:
    free(all);
    return rc;
}

typedef enum { OUT_JSON, OUT_TABLE, OUT_TSV } out_format;

/* The table and TSV forms: file, kind, verdict, reason, speech, duration. */
static void print_row(FILE *out, out_format fmt, const char *file, rv_kind k, const rv_report *r,
                      const rv_error *e)
{
    const char *verdict = e ? "ERROR" : r->missing ? "MISSING" : "ok";
    const char *reason = e ? rv_err_slug(e->code) : r->missing ? rv_missing_reason_name(r->reason) : "-";
    const char *kind = rv_kind_name(k);
    const char *detail = !r ? "-" : r->kind == RV_KIND_VOICEMAIL ? rv_vm_class_name(r->vm_class)
                                  : r->prompt_found ? r->prompt.name : "-";
    if (fmt == OUT_TSV) {
        if (e) fprintf(out, "%s\t%s\t%s\t%s\t-\t-\t%s\n", file, kind, verdict, reason, e->msg);
        else fprintf(out, "%s\t%s\t%s\t%s\t%.2f\t%.2f\t%s\n", file, kind, verdict, reason,
                    r->signal.speech_s, r->signal.duration_s, detail);
    } else if (e) {
        fprintf(out, "%-40s %-9s %-8s %-18s %s\n", file, kind, verdict, reason, e->msg);
    } else {
        fprintf(out, "%-40s %-9s %-8s %-18s %6.2f %6.2f  %s\n", file, kind, verdict, reason,
               r->signal.speech_s, r->signal.duration_s, strcmp(detail, "-") ? detail : "");
    }
}

/* A batch: workers take files in turn; results are printed in input order. */
typedef struct {
    const char **files;
    size_t n_files;
    const rv_analyzer *an;
    const rv_audio_limits *lim;
    const rv_expect *exp;
    rv_kind kind;
    int forced;
    out_format fmt;
    pthread_mutex_t lock;
    pthread_cond_t ready;
    size_t next;        /* next file to take */
    char **out;         /* one line (or NULL while pending) per file */
    int *failed;        /* the file could not be read */
    int oom;
    rv_lexicon *lex;            /* set when phrases are to be verified */
    const char *mllr;           /* channel adaptation, or NULL */
    const rv_profile *profile;
    rv_verify_thresholds th;
    const char (*case_words)[64];  /* voicemails: the words to look for */
    size_t n_case_words;
    double keyword_min_score, long_speech_s;
    char init_error[320];       /* a worker could not start its decoder */
} batch;

static char *analyse_one(batch *b, size_t i, rv_asr *asr, int *failed)
{
    rv_error err;
    rv_error_clear(&err);
    rv_pcm pcm;
    rv_report rep;
    int have_rep = 0;
    rv_audio_hint hint = b->forced >= 0 ? (rv_audio_hint)b->forced : rv_audio_hint_for_path(b->files[i]);
    rv_err e = rv_audio_decode_file(b->files[i], hint, b->lim, &pcm, &err);
    if (e == RV_OK) {
        e = rv_analyze_pcm(b->an, &pcm, b->kind, &rep, &err);
        have_rep = e == RV_OK;
        if (have_rep && asr) {
            e = b->kind == RV_KIND_VOICEMAIL
                    ? rv_spot_keywords(asr, &pcm, b->case_words, b->n_case_words,
                                       b->keyword_min_score, b->long_speech_s, &rep, &err)
                    : rv_verify_greeting(asr, &pcm, b->exp, b->profile, &b->th, &rep, &err);
            if (e != RV_OK) {
                rv_report_free(&rep);
                have_rep = 0;
            }
        }
        rv_pcm_free(&pcm);
    }
    *failed = e != RV_OK;
    char *line = NULL;
    if (b->fmt == OUT_JSON) {
        line = have_rep ? rv_report_to_json(&rep, b->files[i], b->exp) : rv_error_to_json(b->files[i], &err);
    } else {
        size_t len = 0;
        FILE *m = open_memstream(&line, &len);
        if (m) {
            print_row(m, b->fmt, b->files[i], b->kind, have_rep ? &rep : NULL, have_rep ? NULL : &err);
            fclose(m);
        }
    }
    if (have_rep) rv_report_free(&rep);
    return line;
}

static void *worker(void *arg)
{
    batch *b = arg;
    rv_asr *asr = NULL;
    if (b->lex) {
        rv_error e;
        if (rv_asr_open(NULL, b->mllr, b->lex, &asr, &e) != RV_OK) {
            pthread_mutex_lock(&b->lock);
            snprintf(b->init_error, sizeof b->init_error, "%s", e.msg);
            b->oom = 1;
            pthread_cond_broadcast(&b->ready);
            pthread_mutex_unlock(&b->lock);
            return NULL;
        }
    }
    for (;;) {
        pthread_mutex_lock(&b->lock);
        size_t i = b->next < b->n_files && !b->oom ? b->next++ : b->n_files;
        pthread_mutex_unlock(&b->lock);
        if (i >= b->n_files) break;
        int failed = 0;
        char *line = analyse_one(b, i, asr, &failed);
        pthread_mutex_lock(&b->lock);
        if (!line) b->oom = 1;
        b->out[i] = line;
        b->failed[i] = failed;
        pthread_cond_broadcast(&b->ready);
        pthread_mutex_unlock(&b->lock);
    }
    rv_asr_free(asr);
    return NULL;
}

/* What rostvakt analyze was asked: its own options (common_opts aside). */
typedef struct {
    const char **files, **phrases, **cohort; /* argc long each */
    size_t n_files;
    rv_expect exp;
    rv_kind kind;
    int forced; /* rv_audio_hint or -1 for "by extension" */
    out_format fmt;
    long jobs;
    int keywords;
} analyze_opts;

__attribute__((format(printf, 1, 2))) static int analyze_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rostvakt analyze: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_USAGE;
}

/* --date YYYY-MM-DD, --jobs N, --format F, --encoding E into ao: 0, or EXIT_USAGE said. */
static int analyze_value_checked(analyze_opts *ao, const char *a, const char *v)
{
    if (strcmp(a, "--date") == 0) {
        int y, mo, d, len = 0;
        if (sscanf(v, "%4d-%2d-%2d%n", &y, &mo, &d, &len) != 3 || v[len] || len != 10 ||
            rv_sv_say_date(y, mo, d, 0, (char[64]){0}, 64) != 0)
            return analyze_usage("--date must be a real date as YYYY-MM-DD, not '%s'", v);
        ao->exp.rec_year = y, ao->exp.rec_month = mo, ao->exp.rec_day = d;
    } else if (strcmp(a, "--jobs") == 0) {
        char *end;
        ao->jobs = strtol(v, &end, 10);
        if (*end || ao->jobs < 1 || ao->jobs > 256) return analyze_usage("--jobs must be 1..256");
    } else if (strcmp(a, "--format") == 0) {
        if (strcmp(v, "json") == 0) ao->fmt = OUT_JSON;
        else if (strcmp(v, "table") == 0) ao->fmt = OUT_TABLE;
        else if (strcmp(v, "tsv") == 0) ao->fmt = OUT_TSV;
        else return analyze_usage("--format must be json, table or tsv");
    } else if (strcmp(a, "--encoding") == 0) {
        if (strcmp(v, "auto") == 0) ao->forced = -1;
        else if (strcmp(v, "ulaw") == 0) ao->forced = RV_AUDIO_RAW_ULAW;
        else if (strcmp(v, "alaw") == 0) ao->forced = RV_AUDIO_RAW_ALAW;
        else if (strcmp(v, "gsm") == 0) ao->forced = RV_AUDIO_RAW_GSM;
        else return analyze_usage("--encoding must be auto, ulaw, alaw or gsm");
    }
    return 0;
}

/* One --option VALUE of analyze into ao: 0, or EXIT_USAGE said. */
static int analyze_value(analyze_opts *ao, const char *a, const char *v)
{
    if (strcmp(a, "--kind") == 0) {
        int k = rv_kind_parse(v);
        if (k < 0) return analyze_usage("--kind must be greeting or voicemail, not '%s'", v);
        ao->kind = (rv_kind)k;
    } else if (strcmp(a, "--name") == 0) ao->exp.name = v;
    else if (strcmp(a, "--unit") == 0) ao->exp.unit = v;
    else if (strcmp(a, "--org") == 0) ao->exp.org = v;
    else if (strcmp(a, "--profile") == 0) ao->exp.profile = v;
    else if (strcmp(a, "--phrase") == 0) ao->phrases[ao->exp.n_phrases++] = v;
    else if (strcmp(a, "--cohort") == 0) ao->cohort[ao->exp.n_cohort++] = v;
    else return analyze_value_checked(ao, a, v);
    return 0;
}

/* analyze's command line into co and ao (its arrays allocated by the
 * caller): 0, or EXIT_USAGE said on stderr. */
static int analyze_args(common_opts *co, int argc, char **argv, analyze_opts *ao)
{
    static const char *with_value[] = {"--kind",    "--name",    "--unit",     "--org",    "--phrase", "--cohort",
                                       "--profile", "--encoding", "--format", "--jobs",    "--date"};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int t = common_opt(co, "analyze", argc, argv, &i);
        if (t < 0) return EXIT_USAGE;
        if (t > 0) continue;
        if (strcmp(a, "--") == 0) {
            while (++i < argc) ao->files[ao->n_files++] = argv[i];
            break;
        }
        if (strcmp(a, "--no-keywords") == 0) {
            ao->keywords = 0;
            continue;
        }
        if (a[0] != '-' || a[1] != '-') {
            ao->files[ao->n_files++] = a;
            continue;
        }
        int known = 0;
        for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++)
            if (strcmp(a, with_value[k]) == 0) known = 1;
        if (!known) return analyze_usage("unknown option %s", a);
        if (i + 1 >= argc) return analyze_usage("%s needs a value", a);
        int rc = analyze_value(ao, a, argv[++i]);
        if (rc != 0) return rc;
    }
    return 0;
}

/* The words and acoustic models phrase verification and keyword spotting
 * decode with, into b (*lex owned by the caller): 0 or EXIT_CONFIG said. */
static int analyze_lexicon(const rv_config *cfg, batch *b, rv_lexicon **lex)
{
    rv_error perr;
    if (rv_lexicon_open_models(cfg->models_dir, lex, &perr) != RV_OK) {
        fprintf(stderr, "rostvakt analyze: %s\n", perr.msg);
        return EXIT_CONFIG;
    }
    b->lex = *lex;
    b->mllr = rv_config_mllr(cfg);
    return 0;
}

/* Greetings: the phrases are verified when anything is expected of them
 * (a name, a unit, phrases, a profile), with the profile into *profile. */
static int analyze_greetings(const rv_config *cfg, const rv_expect *exp, batch *b, rv_profile *profile,
                             rv_lexicon **lex)
{
    if (!(exp->name || exp->unit || exp->org || exp->n_phrases || exp->profile)) return 0;
    rv_error perr;
    if (rv_profile_find(cfg->profile_dirs, exp->profile ? exp->profile : "default", profile, &perr) != RV_OK) {
        fprintf(stderr, "rostvakt analyze: %s\n", perr.msg);
        return perr.code == RV_ERR_NOT_FOUND || perr.code == RV_ERR_ARG ? EXIT_USAGE : EXIT_CONFIG;
    }
    b->profile = profile;
    return analyze_lexicon(cfg, b, lex);
}

/* Voicemails: the case words are spotted unless --no-keywords, the words
 * into *case_words (free()). */
static int analyze_voicemails(const rv_config *cfg, int keywords, batch *b, char (**case_words)[64],
                              rv_lexicon **lex)
{
    if (!keywords) return 0;
    rv_error perr;
    if (rv_case_words_load(cfg->case_words, case_words, &b->n_case_words, &perr) != RV_OK) {
        fprintf(stderr, "rostvakt analyze: %s\n", perr.msg);
        return EXIT_CONFIG;
    }
    b->case_words = (const char (*)[64])*case_words;
    b->keyword_min_score = cfg->asr_keyword_min_score;
    b->long_speech_s = cfg->voicemail_long_speech_s;
    return analyze_lexicon(cfg, b, lex);
}

/* Each file's result as it is ready, in input order (progress on a
 * terminal): 0, EXIT_UNREADABLE when a file could not be read, 1 when the
 * batch stopped (a decoder that could not start, no memory). */
static int print_in_order(batch *b)
{
    int rc = 0, progress = b->n_files > 1 && isatty(STDERR_FILENO);
    for (size_t i = 0; i < b->n_files; i++) {
        pthread_mutex_lock(&b->lock);
        while (!b->out[i] && !b->oom) pthread_cond_wait(&b->ready, &b->lock);
        char *line = b->out[i];
        b->out[i] = NULL;
        int failed = b->failed[i];
        pthread_mutex_unlock(&b->lock);
        if (!line) {
            if (b->init_error[0]) fprintf(stderr, "rostvakt analyze: %s\n", b->init_error);
            else fprintf(stderr, "rostvakt: out of memory\n");
            rc = 1;
            break;
        }
        if (failed) rc = EXIT_UNREADABLE;
        if (progress) fprintf(stderr, "\r\033[K");
        fputs(line, stdout);
        if (b->fmt == OUT_JSON) fputc('\n', stdout);
        fflush(stdout);
        free(line);
        if (progress) fprintf(stderr, "analyze: %zu/%zu done\033[K", i + 1, b->n_files);
    }
    if (progress) fprintf(stderr, "\ranalyze: %zu files done\033[K\n", b->n_files);
    return rc;
}

/* b's files on up to jobs threads, printed by print_in_order: its answer. */
static int analyze_batch(batch *b, long jobs)
{
    if (jobs < 1) jobs = 1;
    if ((size_t)jobs > b->n_files) jobs = (long)b->n_files;
    pthread_t *th = calloc((size_t)jobs, sizeof *th);
    b->out = calloc(b->n_files, sizeof *b->out);
    b->failed = calloc(b->n_files, sizeof *b->failed);
    int rc = 1;
    if (!th || !b->out || !b->failed) {
        fprintf(stderr, "rostvakt: out of memory\n");
        goto done;
    }
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->ready, NULL);
    long started = 0;
    for (; started < jobs; started++)
        if (pthread_create(&th[started], NULL, worker, b) != 0) break;
    if (started == 0) worker(b); /* no threads to be had: do it here */
    rc = print_in_order(b);
    for (long t = 0; t < started; t++) pthread_join(th[t], NULL);
    for (size_t i = 0; i < b->n_files; i++) free(b->out[i]);
    pthread_mutex_destroy(&b->lock);
    pthread_cond_destroy(&b->ready);
done:
    free(th);
    free(b->out);
    free(b->failed);
    return rc;
}

/* The first line of the table and TSV forms. */
static void print_header(out_format fmt)
{
    if (fmt == OUT_TSV) puts("file\tkind\tverdict\treason\tspeech_s\tduration_s\tdetail");
    if (fmt == OUT_TABLE)
        printf("%-40s %-9s %-8s %-18s %6s %6s  %s\n", "FILE", "KIND", "VERDICT", "REASON",
               "SPEECH", "LENGTH", "DETAIL");
}

static int cmd_analyze(int argc, char **argv)
{
    common_opts co;
    int co_ok = common_init(&co, argc) == 0;
    analyze_opts ao = {.phrases = calloc((size_t)argc, sizeof(char *)),
                       .cohort = calloc((size_t)argc, sizeof(char *)),
                       .files = calloc((size_t)argc, sizeof(char *)),
                       .kind = RV_KIND_GREETING, .forced = -1, .fmt = OUT_JSON,
                       .jobs = sysconf(_SC_NPROCESSORS_ONLN), .keywords = 1};
    int rc = 0;
    rv_fpdb *prompts = NULL;
    rv_lexicon *lex = NULL;
    rv_config cfg;
    rv_profile profile;
    char (*case_words)[64] = NULL;

    if (!co_ok || !ao.phrases || !ao.cohort || !ao.files) {
        fprintf(stderr, "rostvakt: out of memory\n");
        rc = 1;
        goto done;
    }
    ao.exp.phrases = ao.phrases;
    ao.exp.cohort = ao.cohort;
    if ((rc = analyze_args(&co, argc, argv, &ao)) != 0) goto done;
    if ((rc = build_config(&co, &cfg)) != 0) goto done;
    if (co.print_config) { rv_config_print(&cfg, stdout); goto done; }
    if (ao.n_files == 0) {
        fprintf(stderr, "rostvakt analyze: no FILE given\n");
        usage(stderr);
        rc = EXIT_USAGE;
        goto done;
    }
    if (ao.kind == RV_KIND_GREETING && !(prompts = rv_prompts_load(&cfg, stderr))) {
        fprintf(stderr, "rostvakt: out of memory\n");
        rc = 1;
        goto done;
    }
    rv_analyzer an = {&cfg, prompts};
    rv_audio_limits lim = {cfg.max_audio_bytes, cfg.max_audio_seconds};
    print_header(ao.fmt);
    batch b = {.files = ao.files, .n_files = ao.n_files, .an = &an, .lim = &lim, .exp = &ao.exp,
               .kind = ao.kind, .forced = ao.forced, .fmt = ao.fmt,
               .th = rv_verify_thresholds_of(&cfg)};
    rc = ao.kind == RV_KIND_GREETING ? analyze_greetings(&cfg, &ao.exp, &b, &profile, &lex)
                                     : analyze_voicemails(&cfg, ao.keywords, &b, &case_words, &lex);
    if (rc == 0) rc = analyze_batch(&b, ao.jobs);
done:
    free(case_words);
    rv_lexicon_free(lex);
    rv_fpdb_free(prompts);
    rv_dsp_cleanup();
    free(co.sets);
    free(ao.phrases);
    free(ao.cohort);
    free(ao.files);
    return rc;
}

/* rostvakt serve: until SIGTERM or SIGINT. */
static int cmd_serve(int argc, char **argv)
{
    common_opts co;
    if (common_init(&co, argc) != 0) return 1;
    for (int i = 0; i < argc; i++) {
        int t = common_opt(&co, "serve", argc, argv, &i);
        if (t == 0) fprintf(stderr, "rostvakt serve: %s is not an option (rostvakt help serve)\n", argv[i]);
        if (t <= 0) {
            free(co.sets);
            return EXIT_USAGE;
        }
    }
    rv_config cfg;
    int crc = build_config_calibrated(&co, &cfg);
    free(co.sets);
    if (crc != 0) return crc;
    if (co.print_config) {
        rv_config_print(&cfg, stdout);
        return 0;
    }
    rv_server_opts o = {.cfg = &cfg};
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP); /* reload the tokens */
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread starts: only sigwait sees them */
    rv_server *srv;
    unsigned port;
    rv_error e;
    rv_err rc = rv_server_start(&o, &srv, &port, &e);
    if (rc != RV_OK) {
        fprintf(stderr, "rostvakt serve: %s\n", e.msg);
        return rc == RV_ERR_ARG ? EXIT_USAGE : EXIT_CONFIG;
    }
    char host[64];
    const char *colon = strrchr(cfg.listen, ':');
    snprintf(host, sizeof host, "%.*s", (int)(colon - cfg.listen), cfg.listen);
    printf("rostvakt: listening on %s:%u\n", host, port);
    fflush(stdout);
    int sig = 0;
    for (;;) {
        sigwait(&set, &sig);
        if (sig != SIGHUP) break;
        if (rv_server_reload(srv, &e) != RV_OK) fprintf(stderr, "rostvakt: SIGHUP: %s; the old tokens stay\n", e.msg);
    }
    rv_server_stop(srv);
    fprintf(stderr, "rostvakt: stopped (%s)\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    return 0;
}

/* rostvakt pbx-sync asterisk|asterisk-notify ... */
static volatile sig_atomic_t sync_stop;
static void on_sync_signal(int sig) { (void)sig; sync_stop = 1; }

static int cmd_pbx_sync(int argc, char **argv)
{
    if (argc < 1 || (strcmp(argv[0], "asterisk") != 0 && strcmp(argv[0], "asterisk-notify") != 0 &&
                     strcmp(argv[0], "freeswitch") != 0 && strcmp(argv[0], "imap") != 0)) {
        fprintf(stderr, "rostvakt pbx-sync: the source is asterisk, asterisk-notify, freeswitch or imap"
                        " (rostvakt help pbx-sync)\n");
        return EXIT_USAGE;
    }
    int notify = strcmp(argv[0], "asterisk-notify") == 0, once = notify, fs = strcmp(argv[0], "freeswitch") == 0;
    int mail = strcmp(argv[0], "imap") == 0;
    const char *spool = "/var/spool/asterisk/voicemail", *server = NULL, *token_file = NULL;
    const char *fs_db = NULL, *fs_storage = NULL;
    const char *password_file = NULL, *bearer_file = NULL;
    rv_imap_opts im = {0};
    const char *state = fs     ? "/var/lib/rostvakt/pbx-sync-freeswitch.state"
                        : mail ? "/var/lib/rostvakt/pbx-sync-imap.state"
                               : "/var/lib/rostvakt/pbx-sync-asterisk.state";
    const char *pos[5] = {0};
    char contexts[1024] = "";
    long interval = 30, tries = 6;
    int n_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (strcmp(a, "--once") == 0) once = 1;
        else if (has && strcmp(a, "--spool") == 0) spool = argv[++i];
        else if (has && strcmp(a, "--db") == 0) fs_db = argv[++i];
        else if (has && strcmp(a, "--storage") == 0) fs_storage = argv[++i];
        else if (has && strcmp(a, "--url") == 0) im.url = argv[++i];
        else if (has && strcmp(a, "--user") == 0) im.user = argv[++i];
        else if (has && strcmp(a, "--password-file") == 0) password_file = argv[++i];
        else if (has && strcmp(a, "--bearer-file") == 0) bearer_file = argv[++i];
        else if (has && strcmp(a, "--done-folder") == 0) im.done_folder = argv[++i];
        else if (has && strcmp(a, "--problem-folder") == 0) im.problem_folder = argv[++i];
        else if (has && strcmp(a, "--ca-file") == 0) im.ca_file = argv[++i];
        else if (has && strcmp(a, "--server") == 0) server = argv[++i];
        else if (has && strcmp(a, "--token-file") == 0) token_file = argv[++i];
        else if (has && strcmp(a, "--state") == 0) state = argv[++i];
        else if (has && strcmp(a, "--context") == 0) {
            size_t l = strlen(contexts);
            snprintf(contexts + l, sizeof contexts - l, "%s%s", l ? ":" : "", argv[++i]);
        } else if (has && (strcmp(a, "--interval") == 0 || strcmp(a, "--tries") == 0)) {
            char *end;
            long v = strtol(argv[i + 1], &end, 10);
            if (*end || v < 1 || v > 86400) {
                fprintf(stderr, "rostvakt pbx-sync: %s must be a number from 1 to 86400\n", a);
                return EXIT_USAGE;
            }
            *(strcmp(a, "--interval") == 0 ? &interval : &tries) = v;
            i++;
        } else if (notify && a[0] != '-' && n_pos < 5) pos[n_pos++] = a;
        else {
            fprintf(stderr, "rostvakt pbx-sync: %s is not an option (rostvakt help pbx-sync)\n", a);
            return EXIT_USAGE;
        }
    }
    if (!server || !token_file || (notify && n_pos < 2) || (fs && !fs_db) ||
        (mail && (!im.url || !im.user || !password_file == !bearer_file))) {
        fprintf(stderr, "rostvakt pbx-sync: --server URL and --token-file FILE are needed%s\n",
                notify ? ", and CONTEXT MAILBOX"
                : fs   ? ", and --db FILE"
                : mail ? ", and --url imaps://HOST/FOLDER, --user U and one of --password-file F and --bearer-file F"
                       : "");
        return EXIT_USAGE;
    }
    char password[512] = "", token[256] = "";
    rv_error se;
    if (mail && password_file) {
        if (rv_secret_read(password_file, "--password-file", 1, password, sizeof password, &se) != RV_OK) {
            fprintf(stderr, "rostvakt pbx-sync: %s\n", se.msg);
            return EXIT_CONFIG;
        }
        im.password = password;
    }
    if (rv_secret_read(token_file, "--token-file", 1, token, sizeof token, &se) != RV_OK) {
        fprintf(stderr, "rostvakt pbx-sync: %s\n", se.msg);
        explicit_bzero(password, sizeof password);
        return EXIT_CONFIG;
    }
    token[strcspn(token, " \t")] = '\0';
    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* without SA_RESTART: a signal cuts a wait short (a pause, a slow
     * server), and the pass ends at once through o.stop */
    struct sigaction sa = {.sa_handler = on_sync_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    rv_sync_opts o = {spool, contexts, server, token, state, stdout, (int)tries, &sync_stop};
    int status = 0;
    do {
        rv_sync_counts c;
        rv_error e;
        char bearer[8192] = "";
        if (bearer_file) { /* read each pass: access tokens expire, and whatever renews them rewrites the file */
            if (rv_secret_read(bearer_file, "--bearer-file", 1, bearer, sizeof bearer, &e) != RV_OK) {
                fprintf(stderr, "rostvakt pbx-sync: %s\n", e.msg);
                status = EXIT_CONFIG;
                break;
            }
            im.bearer = bearer;
        }
        rv_err rc = fs     ? rv_sync_freeswitch(&o, fs_db, fs_storage, &c, &e)
                    : mail ? rv_sync_imap(&o, &im, &c, &e)
                           : rv_sync_asterisk(&o, notify ? pos[0] : NULL, notify ? pos[1] : NULL, &c, &e);
        explicit_bzero(bearer, sizeof bearer);
        if (c.voicemails || c.greetings || c.names || c.refused || c.skipped || c.unreadable || rc != RV_OK)
            printf("pbx-sync: pass done: %ld voicemails, %ld greetings, %ld recorded names sent; %ld refused, "
                   "%ld skipped, %ld not yet complete%s\n",
                   c.voicemails, c.greetings, c.names, c.refused, c.skipped, c.waiting,
                   c.unreadable ? "; folders it cannot read (above)" : "");
        fflush(stdout);
        if (sync_stop) { /* asked to stop: what was sent is in the state, the rest waits for the next run */
            fprintf(stderr, "rostvakt pbx-sync: stopped by a signal\n");
            status = 0;
            break;
        }
        if (rc != RV_OK) {
            fprintf(stderr, "rostvakt pbx-sync: %s\n", e.msg);
            status = rc == RV_ERR_STOPPING || rc == RV_ERR_BUSY ? 75 : rc == RV_ERR_CONFIG || rc == RV_ERR_ARG ? EXIT_CONFIG : 1;
            if (rc != RV_ERR_STOPPING && rc != RV_ERR_BUSY) break; /* the spool or the state: an operator must look */
        } else if (c.refused && !c.voicemails && !c.greetings && !c.names) { /* nothing delivered: not a success */
            fprintf(stderr, "rostvakt pbx-sync: %s\n",
                    c.denied ? "the service refused the token (401/403): check --token-file and the service's tokens"
                             : "nothing delivered: the service refused every upload of this pass (see above)");
            status = c.denied ? EXIT_CONFIG : 75;
        } else status = c.unreadable ? 1 : 0; /* the rest was sent; an operator must give it those folders */
        for (long t = 0; !once && !sync_stop && t < interval; t++) sleep(1);
    } while (!once && !sync_stop);
    if (sync_stop) status = 0; /* stopped: what was sent is kept, as the README says */
    explicit_bzero(token, sizeof token);
    explicit_bzero(password, sizeof password);
    curl_global_cleanup();
    return status;
}

/* The calendar of voicemail id's days: its organisation's, else its
 * profile's, else Sweden's; its organisation's id into org and its latest
 * decision's time into decided_at. 0 on a database error (e). */
static int archive_calendar(rv_store *st, const rv_config *cfg, long long id, rv_calendar *cal, char org[48],
                            char decided_at[32], rv_error *e)
{
    rv_vm_archive v;
    if (rv_store_archive_info(st, id, &v, e) != RV_OK) return 0;
    rv_profile prof;
    rv_error pe;
    rv_calendar pc = RV_CAL_SE;
    if (rv_profile_find(cfg->profile_dirs, v.profile, &prof, &pe) == RV_OK && !rv_calendar_parse(prof.calendar, &pc))
        pc = RV_CAL_SE;
    *cal = rv_calendar_or(v.calendar, pc);
    snprintf(decided_at, 32, "%s", v.decided_at);
    rv_vm_archive_free(&v);
    int seen;
    return rv_store_whose(st, "", id, &(rv_scope){"", NULL, NULL}, org, &seen, e) >= 0;
}

/* rostvakt archive: submission packages of registered voicemails */
static int cmd_archive(int argc, char **argv)
{
    common_opts co;
    if (common_init(&co, argc) != 0) return 1;
    const char *from_s = NULL, *to_s = NULL, *out = NULL, *org_s = NULL;
    long long *ids = calloc((size_t)argc + 1, sizeof *ids);
    size_t n = 0;
    int tar = 0, rc = 0;
    rv_store *st = NULL;
    if (!ids) return 1;
    for (int i = 0; i < argc; i++) {
        int t = common_opt(&co, "archive", argc, argv, &i);
        if (t < 0) { rc = EXIT_USAGE; goto done; }
        if (t > 0) continue;
        if (strcmp(argv[i], "--tar") == 0) {
            tar = 1;
            continue;
        }
        if (strcmp(argv[i], "--voicemail") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            long long id = strtoll(argv[++i], &end, 10);
            if (*end || id < 1 || errno == ERANGE || end == argv[i]) { /* not one beyond the largest id */
                fprintf(stderr, "rostvakt archive: --voicemail needs a voicemail id, not '%.40s'\n", argv[i]);
                rc = EXIT_USAGE;
                goto done;
            }
            ids[n++] = id;
            continue;
        }
        const char **slot = strcmp(argv[i], "--decided-from") == 0 ? &from_s
                            : strcmp(argv[i], "--decided-to") == 0 ? &to_s
                            : strcmp(argv[i], "--out") == 0        ? &out
                            : strcmp(argv[i], "--org") == 0        ? &org_s
                                                                   : NULL;
        if (!slot || i + 1 >= argc) {
            fprintf(stderr, "rostvakt archive: %s %s\n", argv[i], slot ? "needs a value" : "is not an option");
            rc = EXIT_USAGE;
            goto done;
        }
        *slot = argv[++i];
    }
    long from_d = 0, to_d = 0;
    if (out && !*out) {
        fprintf(stderr, "rostvakt archive: --out needs a folder's name, not nothing\n");
        rc = EXIT_USAGE;
        goto done;
    }
    if (!out || (n == 0) == !(from_s && to_s) || (n && (from_s || to_s)) ||
        (from_s && (!rv_parse_date(from_s, &from_d) || !rv_parse_date(to_s, &to_d) || to_d < from_d))) {
        fprintf(stderr, "rostvakt archive: give --out DIR and either --voicemail ID... or --decided-from and "
                        "--decided-to (YYYY-MM-DD, from <= to)\n");
        rc = EXIT_USAGE;
        goto done;
    }
    rv_config cfg;
    if ((rc = build_config(&co, &cfg)) != 0) goto done;
    rv_error e;
    struct stat sb;
    char inside[4200];
    snprintf(inside, sizeof inside, "%s/.", out); /* a missing folder is made */
    if (rv_make_parent(inside, &e) != RV_OK || stat(out, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        if (stat(out, &sb) == 0) snprintf(e.msg, sizeof e.msg, "%s is not a folder", out);
        fprintf(stderr, "rostvakt archive: --out: %s\n", e.msg);
        rc = EXIT_USAGE;
        goto done;
    }
    if (!archive_there(&cfg)) {
        fprintf(stderr, "rostvakt archive: no archive at %s (%s)\n", cfg.data_dir, not_there(&cfg));
        rc = EXIT_USAGE; /* as sweep, calibrate and adapt */
        goto done;
    }
    if (rv_store_connect(cfg.store, (int)cfg.store_allow_async_commit, cfg.data_dir, &st, &e) != RV_OK) {
        fprintf(stderr, "rostvakt archive: %s\n", e.msg);
        rc = EXIT_CONFIG;
        goto done;
    }
    rv_org org;
    if (org_s && rv_store_get_org(st, org_s, &org, &e) != RV_OK) {
        fprintf(stderr, "rostvakt archive: --org %s: %s\n", org_s, e.msg);
        rc = e.code == RV_ERR_NOT_FOUND ? EXIT_USAGE : 1;
        goto done;
    }
    if (from_s) {
        /* the widest of the calendars' days, [start of from, start of the
         * day after to), then each voicemail's own calendar's */
        char f[2][32], t[2][32];
        rv_local_day_start(RV_CAL_SE, from_d, f[0]);
        rv_local_day_start(RV_CAL_AX, from_d, f[1]);
        rv_local_day_start(RV_CAL_SE, to_d + 1, t[0]);
        rv_local_day_start(RV_CAL_AX, to_d + 1, t[1]);
        free(ids);
        ids = NULL;
        if (rv_store_registered_between(st, strcmp(f[0], f[1]) < 0 ? f[0] : f[1], strcmp(t[0], t[1]) > 0 ? t[0] : t[1],
                                        &ids, &n, &e) != RV_OK) {
            fprintf(stderr, "rostvakt archive: %s\n", e.msg);
            rc = 1;
            goto done;
        }
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) {
            rv_calendar cal;
            char whose[48], at[32];
            long day;
            if (!archive_calendar(st, &cfg, ids[i], &cal, whose, at, &e)) {
                fprintf(stderr, "rostvakt archive: %s\n", e.msg);
                rc = 1;
                goto done;
            }
            if (rv_local_date(at, cal, &day) && day >= from_d && day <= to_d && (!org_s || !strcmp(whose, org_s)))
                ids[kept++] = ids[i];
        }
        n = kept;
        fprintf(stderr, "rostvakt archive: %zu voicemails registered %s .. %s%s%s\n", n, from_s, to_s,
                org_s ? " of " : "", org_s ? org_s : "");
    } else if (org_s) { /* named ones: each must be the organisation's */
        for (size_t i = 0; i < n; i++) {
            rv_calendar cal;
            char whose[48], at[32];
            if (!archive_calendar(st, &cfg, ids[i], &cal, whose, at, &e)) {
                fprintf(stderr, "rostvakt archive: %s\n", e.msg);
                rc = 1;
                goto done;
            }
            if (strcmp(whose, org_s) != 0) {
                fprintf(stderr, "rostvakt archive: voicemail %lld is not %s's\n", ids[i], org_s);
                rc = EXIT_USAGE;
                goto done;
            }
        }
    }
    const char *who = getenv("USER") ? getenv("USER") : "archive";
    char actor[96];
    snprintf(actor, sizeof actor, "cli:%s", who);
    size_t made = 0;
    for (size_t i = 0; i < n; i++) {
        char objid[48];
        if (rv_package_archive(st, ids[i], actor, "local", out, tar, objid, &e) != RV_OK) {
            fprintf(stderr, "rostvakt archive: voicemail %lld: %s\n", ids[i], e.msg);
            rc = 1;
            continue;
        }
        printf("voicemail %lld: %s/%s%s\n", ids[i], out, objid, tar ? ".tar" : "");
        made++;
    }
    fflush(stdout);
    fprintf(stderr, "rostvakt archive: %zu of %zu packaged\n", made, n);
done:
    if (st) rv_store_close(st);
    free(ids);
    free(co.sets);
    return rc;
}

/* The revocation of the tokens named name in file, recorded in the
 * archive cfg names before the file is changed: every node sharing it
 * refuses them within a second, whatever its own copy of the tokens file
 * says, and their sessions end. 0, or the exit status to return (nothing
 * changed). */
static int revoke_in_store(const rv_config *cfg, const char *file, const char *name)
{
    rv_error e;
    rv_tokens *t = NULL;
    rv_store *st = NULL;
    if (rv_tokens_load(file, &t, &e) != RV_OK) {
        fprintf(stderr, "rostvakt token: %s\n", e.msg);
        return e.code == RV_ERR_CONFIG ? EXIT_CONFIG : 1;
    }
    if (!rv_tokens_has(t, name)) { /* said by rv_token_revoke, with nothing recorded */
        rv_tokens_free(t);
        return 0;
    }
    rv_err rc = RV_OK;
    int none = strcmp(cfg->store, "sqlite") == 0 && !archive_there(cfg); /* PostgreSQL's is the server's */
    if (none) rc = rv_error_set(&e, RV_ERR_CONFIG, "no archive at %s (%s)", cfg->data_dir, not_there(cfg));
    if (rc == RV_OK) rc = rv_store_connect(cfg->store, (int)cfg->store_allow_async_commit, cfg->data_dir, &st, &e);
    unsigned char key[RV_TOKEN_KEY_LEN];
    char who[RV_TOKEN_NAME_MAX + 1], hex[2 * RV_TOKEN_KEY_LEN + 1], now[32];
    rv_utc_now(now);
    for (size_t i = 0; rc == RV_OK && rv_tokens_at(t, i, key, who, sizeof who); i++) {
        if (strcmp(who, name) != 0) continue;
        for (size_t k = 0; k < sizeof key; k++) snprintf(hex + 2 * k, 3, "%02x", key[k]);
        for (int tries = 0; tries < 50; tries++) { /* a busy database: the nodes' writes come first */
            rc = rv_store_revoke_token(st, hex, name, now, &e);
            if (rc != RV_ERR_BUSY) break;
            usleep(100000);
        }
    }
    rv_store_close(st);
    rv_tokens_free(t);
    if (rc == RV_OK) return 0;
    fprintf(stderr, "rostvakt token: the revocation is not recorded in the archive, and %s is unchanged: %s\n", file,
            e.msg);
    return none ? EXIT_USAGE : rc == RV_ERR_CONFIG ? EXIT_CONFIG : 1;
}

/* rostvakt token --tokens FILE --role pbx|officer|admin|manager --name NAME */
static int cmd_token(int argc, char **argv)
{
    const char *file = NULL, *name = NULL, *role = NULL, *revoke = NULL;
    char orgs[RV_ORGS_TEXT_MAX] = "";
    common_opts co;
    if (common_init(&co, argc) != 0) return 1;
    int named_dir = 0; /* --data-dir: the archive to record a revocation in */
    for (int i = 0; i < argc; i++) {
        int is_dir = strcmp(argv[i], "--data-dir") == 0, c = common_opt(&co, "token", argc, argv, &i);
        if (c < 0) {
            free(co.sets);
            return EXIT_USAGE;
        }
        named_dir |= c > 0 && is_dir;
        if (c > 0) continue;
        if (strcmp(argv[i], "--org") == 0 && i + 1 < argc) { /* repeatable */
            size_t l = strlen(orgs);
            if (l + strlen(argv[i + 1]) + 2 > sizeof orgs) {
                fprintf(stderr, "rostvakt token: too many --org\n");
                return EXIT_USAGE;
            }
            snprintf(orgs + l, sizeof orgs - l, "%s%s", l ? "," : "", argv[++i]);
            continue;
        }
        const char **slot = strcmp(argv[i], "--tokens") == 0 ? &file
                            : strcmp(argv[i], "--name") == 0 ? &name
                            : strcmp(argv[i], "--role") == 0 ? &role
                            : strcmp(argv[i], "--revoke") == 0 ? &revoke : NULL;
        if (!slot || i + 1 >= argc) {
            fprintf(stderr, "rostvakt token: %s %s\n", argv[i], slot ? "needs a value" : "is not an option");
            free(co.sets);
            return EXIT_USAGE;
        }
        *slot = argv[++i];
    }
    if (file && revoke && !name && !role) {
        /* a shared archive (PostgreSQL, or the one --data-dir names) is told
         * first: the nodes that keep copies of the file refuse it too */
        rv_config cfg;
        int st = build_config(&co, &cfg);
        free(co.sets);
        if (st != 0) return st;
        if ((named_dir || strcmp(cfg.store, "sqlite") != 0) && (st = revoke_in_store(&cfg, file, revoke)) != 0)
            return st;
        rv_error e;
        rv_err rc = rv_token_revoke(file, revoke, &e);
        if (rc != RV_OK) {
            fprintf(stderr, "rostvakt token: %s\n", e.msg);
            return rc == RV_ERR_NOT_FOUND ? EXIT_USAGE : rc == RV_ERR_CONFIG ? EXIT_CONFIG : 1;
        }
        printf("revoked %s in %s; a running service stops taking it within a second\n", revoke, file);
        return 0;
    }
    free(co.sets);
    if (!file || !name || !role || revoke) {
        fprintf(stderr, "rostvakt token: --tokens FILE, --role pbx|officer|admin|manager and --name NAME are needed"
                        " (or --tokens FILE --revoke NAME)\n");
        return EXIT_USAGE;
    }
    int r = rv_role_parse(role);
    if (r < 0) {
        fprintf(stderr, "rostvakt token: --role must be pbx, officer, admin or manager, not '%s'\n", role);
        return EXIT_USAGE;
    }
    if (!orgs[0] && (r == RV_ROLE_OFFICER || r == RV_ROLE_MANAGER)) {
        fprintf(stderr, "rostvakt token: the %s role acts for organisations: --org ID (repeatable), or --org '*' for"
                        " every one\n", role);
        return EXIT_USAGE;
    }
    if (strchr(orgs, '*') && strcmp(orgs, "*") != 0) {
        fprintf(stderr, "rostvakt token: --org '*' (every organisation) stands alone\n");
        return EXIT_USAGE;
    }
    char tok[RV_TOKEN_TEXT_LEN + 1];
    rv_error e;
    rv_err rc = rv_token_create_orgs(file, name, (rv_role)r, orgs[0] ? orgs : NULL, tok, &e);
    if (rc != RV_OK) {
        fprintf(stderr, "rostvakt token: %s\n", e.msg);
        return rc == RV_ERR_ARG ? EXIT_USAGE : rc == RV_ERR_CONFIG ? EXIT_CONFIG : 1;
    }
    printf("token for %s (%s), stored as a hash in %s; shown only now:\n%s\n", name, role, file, tok);
    return 0;
}

/* A --once run not finished after this long is taken to have died. */
#define SWEEP_STALE_MS (6LL * 3600 * 1000)

/* The sweep with the analysis it may need: reference prompts, the phone map
 * and one decoder for greetings analysed under older models. The report is
 * put in place at the end (rv_out: never half-written, a device or FIFO
 * written as it is); a missing folder on the way to it is made. */
/* The command line sweep's audit row, waiting out a busy database as the
 * service's sweep does (the service's writes come first). */
static rv_err sweep_audit(rv_store *st, const char *actor, const char *action, const char *detail, rv_error *e)
{
    rv_err rc;
    for (int tries = 0;; tries++) {
        char now[32];
        rv_utc_now(now);
        rc = rv_store_audit(st, now, actor, "", action, 0, NULL, detail, e);
        if (rc != RV_ERR_BUSY || tries >= 50) return rc;
        usleep(100000);
    }
}

static int sweep_main(const rv_config *cfg, long date, const char *at, const int *fmts, size_t n_fmts,
                      const char *out_s, int dry_run, int mail, const char *mail_dir, int once)
{
    char day[11], me[RV_NODE_NAME_MAX];
    int claimed = 0; /* the date's run is this process's (once) */
    rv_format_date(date, day);
    rv_node_name(me);
    char models_version[17], path[3][4096];
    rv_out out_file[3];
    rv_models_version(cfg, models_version);
    rv_error e;
    rv_store *st = NULL;
    rv_lexicon *lex = NULL;
    rv_asr *asr = NULL;
    rv_fpdb *prompts = NULL;
    rv_sweep_output outs[4];
    size_t opened = 0;
    int rc = 0;
    char *mail_json = NULL; /* the report the mail is made from */
    size_t mail_json_len = 0;
    FILE *mail_f = NULL;
    int after = 0; /* the status of what follows a sweep done: not erased, mail */
    if (!archive_there(cfg)) {
        fprintf(stderr, "rostvakt sweep: no archive at %s (%s)\n", cfg->data_dir, not_there(cfg));
        return EXIT_USAGE;
    }
    if (rv_store_connect(cfg->store, (int)cfg->store_allow_async_commit, cfg->data_dir, &st, &e) != RV_OK) {
        fprintf(stderr, "rostvakt sweep: %s\n", e.msg);
        return EXIT_CONFIG;
    }
    if (once && !dry_run) { /* one run a date, whichever processes and nodes start it */
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        long long now_ms = (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
        rv_err crc;
        /* a run going on elsewhere is waited for: a sweep asked for over
         * HTTP gives the date back when it ends, and the nightly run (the
         * mail) is then still owed; another nightly run leaves it done */
        for (int tries = 0, state = 1;; tries++) {
            clock_gettime(CLOCK_REALTIME, &t);
            now_ms = (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
            crc = rv_store_sweep_claim(st, day, me, now_ms, now_ms - SWEEP_STALE_MS, rv_node_gone, &claimed, &e);
            if (crc == RV_OK && !claimed) crc = rv_store_sweep_state(st, day, &state, &e);
            if (crc == RV_OK && (claimed || state == 2)) break;
            if (crc != RV_OK && (crc != RV_ERR_BUSY || tries >= 10)) break;
            if (crc == RV_OK) tries = 0;
            sleep(1);
        }
        if (crc != RV_OK) {
            fprintf(stderr, "rostvakt sweep: %s\n", e.msg);
            rv_store_close(st);
            return 1;
        }
        if (!claimed) {
            fprintf(stderr, "rostvakt sweep: the sweep of %s has run, or is running, elsewhere: nothing to do\n", day);
            rv_store_close(st);
            return 0;
        }
    }
    if (!dry_run) {
        prompts = rv_prompts_load(cfg, stderr);
        if (rv_lexicon_open_models(cfg->models_dir, &lex, &e) != RV_OK ||
            rv_asr_open(NULL, rv_config_mllr(cfg), lex, &asr, &e) != RV_OK)
            fprintf(stderr, "rostvakt sweep: warning: greetings will not be re-analysed: %s\n", e.msg);
    }
    for (size_t i = 0; i < n_fmts; i++) {
        outs[i].fmt = (rv_sweep_format)fmts[i];
        outs[i].f = stdout;
        if (!out_s) continue;
        /* {date} and {format} in the name become the date and the format */
        static const char *const ext[] = {"json", "csv", "html"};
        char d[11], *q = path[i];
        rv_format_date(date, d);
        for (const char *p = out_s; *p && q < path[i] + sizeof path[i] - 12;) {
            if (strncmp(p, "{date}", 6) == 0) q += sprintf(q, "%s", d), p += 6;
            else if (strncmp(p, "{format}", 8) == 0) q += sprintf(q, "%s", ext[fmts[i]]), p += 8;
            else *q++ = *p++;
        }
        *q = '\0';
        if (rv_make_parent(path[i], &e) != RV_OK || rv_out_open(&out_file[i], path[i], 0644, &e) != RV_OK) {
            fprintf(stderr, "rostvakt sweep: %s\n", e.msg);
            rc = EXIT_CONFIG;
            goto done;
        }
        outs[i].f = out_file[i].f;
        opened++;
    }
    rv_analyzer an = {cfg, prompts};
    rv_verify_thresholds th = rv_verify_thresholds_of(cfg);
    rv_audio_limits lim = {cfg->max_audio_bytes, cfg->max_audio_seconds};
    rv_sweep_opts o = {.date = date, .at = at, .dry_run = dry_run, .profile_dirs = cfg->profile_dirs,
                       .models_version = models_version, .an = &an, .asr = asr, .th = &th, .lim = &lim,
                       .actor = "sweep", .progress = isatty(STDERR_FILENO) ? stderr : NULL, .log = stderr};
    rv_sweep_counts c;
    size_t n_outs = n_fmts;
    if (mail) {
        if (!(mail_f = open_memstream(&mail_json, &mail_json_len))) {
            fprintf(stderr, "rostvakt sweep: out of memory\n");
            rc = 1;
            goto done;
        }
        outs[n_outs++] = (rv_sweep_output){RV_SWEEP_JSON, mail_f};
    }
    /* audited as a sweep over HTTP is: before it starts (and not started
     * unless that row is written), and when it is done */
    char detail[160];
    snprintf(detail, sizeof detail, "%s%s%s", day, dry_run ? ", dry run" : "",
             !dry_run && rv_sweep_date_ahead(date) ? ", a day to come" : "");
    if (sweep_audit(st, o.actor, "sweep_run", detail, &e) != RV_OK || rv_sweep_run(st, &o, outs, n_outs, &c, &e) != RV_OK) {
        fprintf(stderr, "rostvakt sweep: %s\n", e.msg);
        rc = 1;
    }
    if (rc == 0) {
        snprintf(detail, sizeof detail, "%s%ld missing, %ld not compliant, %ld overdue, %ld disposed%s",
                 dry_run ? "dry run: " : "", c.missing, c.noncompliant, c.overdue, c.disposed,
                 c.not_erased ? ", audio not erased yet" : "");
        if (sweep_audit(st, o.actor, "sweep_done", detail, &e) != RV_OK) {
            fprintf(stderr, "rostvakt sweep: %s\n", e.msg);
            rc = 1;
        }
    }
    if (mail_f) {
        fclose(mail_f);
        mail_f = NULL;
    }
    if (rc == 0)
        fprintf(stderr,
                "rostvakt sweep: %ld mailboxes: %ld missing, %ld not compliant, %ld to listen to, %ld stale absences, "
                "%ld overdue call-backs, %ld %s; greetings out of date %ld, re-analysed %ld, failed %ld\n",
                c.mailboxes, c.missing, c.noncompliant, c.needs_review, c.stale_absence, c.overdue, c.disposed,
                dry_run ? "would be disposed of" : "disposed of", c.out_of_date, c.reanalysed, c.reanalysis_failed);
    /* the sweep is done, and stays done, whatever comes after: what went
     * wrong there is the exit status (the date is not swept again) */
    if (rc == 0 && c.not_erased) {
        fprintf(stderr, "rostvakt sweep: %ld recordings disposed of are not erased yet; the next sweep tries again\n",
                c.not_erased);
        after = 75;
    }
    if (rc == 0 && mail) {
        rv_mail_counts mc;
        if (dry_run && mkdir(mail_dir, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "rostvakt sweep: mail: cannot make %s: %s\n", mail_dir, strerror(errno));
            after = 1;
        } else if (rv_mail_report(st, cfg, mail_json, dry_run ? mail_dir : NULL, stderr, &mc, &e) != RV_OK) {
            fprintf(stderr, "rostvakt sweep: mail: %s (%ld mails of this report composed before it)\n", e.msg,
                    mc.composed);
            /* a configuration mistake first, then a failure, then audio not erased (75) */
            int m = e.code == RV_ERR_CONFIG ? EXIT_CONFIG : 1;
            if (after != EXIT_CONFIG) after = m;
        } else if (!dry_run && cfg->mail_smtp_url[0])
            fprintf(stderr, "rostvakt sweep: mail: %ld new, %ld sent, %ld failed, %ld waiting for the next sweep; "
                            "%ld units with nothing to act on\n",
                    mc.composed, mc.sent, mc.failed, mc.pending, mc.skipped);
    }
done:;
    int whole = rc == 0; /* each report put in place when the run is, whatever another's commit does */
    for (size_t i = 0; i < opened; i++) { /* in place only when complete */
        if (!whole) rv_out_abort(&out_file[i]);
        else if (rv_out_commit(&out_file[i], &e) != RV_OK) {
            fprintf(stderr, "rostvakt sweep: %s\n", e.msg);
            rc = 1;
        }
    }
    if (claimed) { /* done; or failed, and the date may be swept again */
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        if (rv_store_sweep_over(st, day, me, rc == 0, (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000, &e) != RV_OK)
            fprintf(stderr, "rostvakt sweep: %s\n", e.msg);
    }
    if (mail_f) fclose(mail_f);
    free(mail_json);
    rv_asr_free(asr);
    rv_lexicon_free(lex);
    rv_fpdb_free(prompts);
    rv_store_close(st);
    return rc ? rc : after;
}

/* rostvakt sweep [--data-dir DIR] [--date D] [--format F] [--out FILE] [--dry-run] */
static int cmd_sweep(int argc, char **argv)
{
    const char *date_s = NULL, *fmt_s = "json", *out_s = NULL, *mail_dir = "rostvakt-mail";
    int dry_run = 0, mail = 0, once = 0, ahead_ok = 0;
    common_opts co;
    if (common_init(&co, argc) != 0) return 1;
    int rc = 0;
    for (int i = 0; i < argc; i++) {
        int t = common_opt(&co, "sweep", argc, argv, &i);
        if (t < 0) { rc = EXIT_USAGE; goto done; }
        if (t > 0) continue;
        if (strcmp(argv[i], "--dry-run") == 0) {
            dry_run = 1;
            continue;
        }
        if (strcmp(argv[i], "--allow-future") == 0) {
            ahead_ok = 1;
            continue;
        }
        if (strcmp(argv[i], "--mail") == 0) {
            mail = 1;
            continue;
        }
        if (strcmp(argv[i], "--once") == 0) {
            once = 1;
            continue;
        }
        const char **slot = strcmp(argv[i], "--mail-dir") == 0 ? &mail_dir
                            : strcmp(argv[i], "--date") == 0   ? &date_s
                            : strcmp(argv[i], "--format") == 0 ? &fmt_s
                            : strcmp(argv[i], "--out") == 0    ? &out_s
                                                               : NULL;
        if (!slot || i + 1 >= argc) {
            fprintf(stderr, "rostvakt sweep: %s %s\n", argv[i], slot ? "needs a value" : "is not an option");
            rc = EXIT_USAGE;
            goto done;
        }
        *slot = argv[++i];
    }
    int fmts[3];
    size_t n_fmts = 0;
    for (const char *p = fmt_s; *p;) { /* "json" or "json,html" */
        size_t k = strcspn(p, ",");
        char one[8];
        snprintf(one, sizeof one, "%.*s", (int)(k < 7 ? k : 7), p);
        int f = k < 7 ? rv_sweep_format_parse(one) : -1;
        for (size_t j = 0; j < n_fmts; j++)
            if (fmts[j] == f) f = -1;
        if (f < 0 || n_fmts == 3) {
            n_fmts = 0;
            break;
        }
        fmts[n_fmts++] = f;
        p += k + (p[k] == ',');
    }
    if (!*fmt_s || fmt_s[strlen(fmt_s) - 1] == ',') n_fmts = 0;
    if (n_fmts == 0) {
        fprintf(stderr, "rostvakt sweep: --format must be json, csv or html, or several of them (json,html)\n");
        rc = EXIT_USAGE;
        goto done;
    }
    if (n_fmts > 1 && (!out_s || !strstr(out_s, "{format}"))) {
        fprintf(stderr, "rostvakt sweep: several formats need --out with {format} in the name\n");
        rc = EXIT_USAGE;
        goto done;
    }
    /* a date: that day for every organisation; an instant, or none (now):
     * each organisation's own day of it; the run's date is Sweden's */
    long date;
    char now[32];
    const char *at = NULL;
    if (date_s && !rv_parse_date(date_s, &date) && !rv_parse_instant(date_s)) {
        fprintf(stderr, "rostvakt sweep: --date must be a date YYYY-MM-DD or an instant YYYY-MM-DDTHH:MM:SSZ\n");
        rc = EXIT_USAGE;
        goto done;
    }
    if (!date_s || rv_parse_instant(date_s)) {
        if (!date_s) rv_utc_now(now);
        else snprintf(now, sizeof now, "%s", date_s);
        at = now;
        rv_local_date(now, RV_CAL_SE, &date);
    }
    rv_config cfg;
    if ((rc = build_config_calibrated(&co, &cfg)) != 0) goto done;
    if (co.print_config) {
        rv_config_print(&cfg, stdout);
        goto done;
    }
    if (!dry_run && !ahead_ok && rv_sweep_date_ahead(date)) {
        fprintf(stderr, "rostvakt sweep: --date is after today (Sweden's): a sweep disposes of recordings as of its "
                        "date, so one of a day to come needs --allow-future (--dry-run looks ahead and changes "
                        "nothing)\n");
        rc = EXIT_USAGE;
        goto done;
    }
    rc = sweep_main(&cfg, date, at, fmts, n_fmts, out_s, dry_run, mail, mail_dir, once);
done:
    free(co.sets);
    return rc;
}

/* rostvakt workdays --calendar SE|AX --from YYYY-MM-DD --add N [--explain] */
static int cmd_workdays(int argc, char **argv)
{
    const char *cal_s = NULL, *from_s = NULL, *add_s = NULL;
    int explain = 0;
    for (int i = 0; i < argc; i++) {
        const char **slot = strcmp(argv[i], "--calendar") == 0 ? &cal_s
                            : strcmp(argv[i], "--from") == 0   ? &from_s
                            : strcmp(argv[i], "--add") == 0    ? &add_s
                                                               : NULL;
        if (strcmp(argv[i], "--explain") == 0) {
            explain = 1;
            continue;
        }
        if (!slot || i + 1 >= argc) {
            fprintf(stderr, "rostvakt workdays: %s %s\n", argv[i], slot ? "needs a value" : "is not an option");
            return EXIT_USAGE;
        }
        *slot = argv[++i];
    }
    rv_calendar cal;
    long from;
    char *end = NULL;
    long n = add_s ? strtol(add_s, &end, 10) : -1;
    if (!cal_s || !rv_calendar_parse(cal_s, &cal)) {
        fprintf(stderr, "rostvakt workdays: --calendar must be SE or AX\n");
        return EXIT_USAGE;
    }
    if (!from_s || !rv_parse_date(from_s, &from)) {
        fprintf(stderr, "rostvakt workdays: --from must be a date YYYY-MM-DD\n");
        return EXIT_USAGE;
    }
    if (!add_s || *end || end == add_s || n < 0 || n > 10000) {
        fprintf(stderr, "rostvakt workdays: --add must be a number of working days, 0..10000\n");
        return EXIT_USAGE;
    }
    long to = rv_add_workdays(cal, from, (int)n);
    char buf[11];
    if (explain) /* every day skipped, and why */
        for (long d = from + 1; d < to; d++) {
            const char *h = rv_holiday(cal, d);
            int wd = rv_day_of_week(d);
            if (h || wd >= 5) {
                rv_format_date(d, buf);
                fprintf(stderr, "  %s  %s\n", buf, h ? h : wd == 5 ? "lördag" : "söndag");
            }
        }
    rv_format_date(to, buf);
    puts(buf);
    return 0;
}

/* rostvakt calibrate [--data-dir DIR] [--min-per-class N] [--min-right R] [--dry-run] */
static int cmd_calibrate(int argc, char **argv)
{
    common_opts co;
    if (common_init(&co, argc) != 0) return 1;
    int rc = 0, dry_run = 0;
    long min = 30;
    double min_right = RV_CAL_MIN_RIGHT;
    for (int i = 0; i < argc && rc == 0; i++) {
        int t = common_opt(&co, "calibrate", argc, argv, &i);
        if (t < 0) rc = EXIT_USAGE;
        if (t != 0) continue;
        if (strcmp(argv[i], "--dry-run") == 0) {
            dry_run = 1;
            continue;
        }
        char *end = NULL;
        if (strcmp(argv[i], "--min-per-class") == 0 && i + 1 < argc &&
            (min = strtol(argv[i + 1], &end, 10), *end == '\0' && min >= 1 && min <= 100000)) {
            i++;
            continue;
        }
        if (strcmp(argv[i], "--min-right") == 0 && i + 1 < argc &&
            (min_right = strtod(argv[i + 1], &end), *end == '\0' && min_right >= 0.5 && min_right <= 0.9999)) {
            i++;
            continue;
        }
        fprintf(stderr, "rostvakt calibrate: %s %s (rostvakt help calibrate)\n", argv[i],
                strcmp(argv[i], "--min-per-class") == 0 ? "needs a number 1..100000"
                : strcmp(argv[i], "--min-right") == 0   ? "needs a number 0.5..0.9999"
                                                        : "is not an option");
        rc = EXIT_USAGE;
    }
    rv_config base, probe;
    if (rc == 0) rc = build_config(&co, &base); /* scores are weighed against the uncalibrated thresholds */
    if (rc == 0) { /* which of calibrate's settings the configuration sets itself */
        char probe_path[] = "/tmp/rostvakt-calibrate-XXXXXX";
        int fd = mkstemp(probe_path);
        FILE *pf = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (pf) rv_calibration_write_probe(&base, pf);
        if (!pf || fclose(pf) != 0) {
            fprintf(stderr, "rostvakt calibrate: cannot write %s: %s\n", probe_path, strerror(errno));
            if (fd >= 0 && !pf) close(fd);
            rc = 1;
        } else {
            rc = build_config_from(&co, probe_path, &probe);
        }
        if (fd >= 0) unlink(probe_path);
    }
    free(co.sets);
    if (rc != 0) return rc;
    if (!archive_there(&base)) {
        fprintf(stderr, "rostvakt calibrate: no archive at %s (%s)\n", base.data_dir, not_there(&base));
        return EXIT_USAGE;
    }
    rv_store *st = NULL;
    rv_error e;
    rv_calibration cal;
    if (rv_store_connect(base.store, (int)base.store_allow_async_commit, base.data_dir, &st, &e) != RV_OK) {
        fprintf(stderr, "rostvakt calibrate: %s\n", e.msg);
        return EXIT_CONFIG;
    }
    if (rv_calibrate(st, &base, &probe, (int)min, min_right, &cal, &e) != RV_OK) {
        fprintf(stderr, "rostvakt calibrate: %s\n", e.msg);
        rv_store_close(st);
        return 1;
    }
    rv_store_close(st);
    int any = 0;
    for (int c = 0; c < RV_CAL__COUNT; c++) {
        const rv_cal_result *r = &cal.c[c];
        any |= r->calibrated;
        printf("%-8s %d heard said, %d not said: ", rv_cal_class_name((rv_cal_class)c), r->stated, r->not_stated);
        if (r->overridden)
            printf("left to the configuration, which sets %s itself\n", r->overridden);
        else if (r->no_band)
            printf("the shipped thresholds stay (no band keeps confident verdicts right %.2f of the time, at the "
                   "lower end of their 95 %% interval)\n",
                   min_right);
        else if (r->not_shown_wrong)
            printf("the shipped thresholds stay (a band leaving more unsure keeps the rule, but these reviews do "
                   "not show the shipped band's confident verdicts right less than %.2f of the time)\n",
                   min_right);
        else if (!r->calibrated)
            printf("the shipped thresholds stay (it takes %ld of each)\n", min);
        else
            printf("thresholds %+.2f, slope %.3f (unsure within %.2f of them)\n", r->shift, r->slope,
                   log(base.verdict_min_confidence / (1 - base.verdict_min_confidence)) / r->slope);
        if (rv_cal_wants_sure_reviews(r))
            printf("         most of these reviews were of greetings it was unsure of: review the sample of\n"
                   "         sure ones in the review list as well (review_sample_every)\n");
        if (r->sampled) { /* the band and the figures below count each so */
            char many[32] = "";
            if (r->sample_weight > 0) snprintf(many, sizeof many, "%d ", r->sample_weight);
            printf("         %d of these reviews were of the review list's sample of sure verdicts: the band "
                   "and the rates below count each as the %sgreetings it was drawn from\n",
                   r->sampled, many);
        }
        if (!r->stated || !r->not_stated) { /* no rate to give without both kinds */
            printf("         nothing to measure yet: no reviewed greeting %s\n",
                   !r->stated && !r->not_stated ? "at all" : !r->stated ? "heard said" : "heard not said");
            continue;
        }
        for (int k = 0; k < 1 + r->calibrated; k++)
            printf("         %s: TPR %.2f (%.2f-%.2f), FPR %.2f (%.2f-%.2f)\n",
                   k ? "at this installation's thresholds" : "at the shipped thresholds", r->tpr[k], r->tpr_lo[k],
                   r->tpr_hi[k], r->fpr[k], r->fpr_lo[k], r->fpr_hi[k]);
        for (int k = 0; k < 1 + r->calibrated; k++)
            printf("         %s: unsure %.2f, confident verdicts right %.2f (%d reviews)\n",
                   k ? "with this installation's slope" : "with the shipped slope", r->unsure[k], r->right[k],
                   r->confident[k]);
    }
    char path[RV_CONFIG_STR_MAX + 32];
    snprintf(path, sizeof path, "%s/" RV_CALIBRATION_FILE, base.data_dir);
    if (dry_run) {
        printf("dry run: %s not changed\n", path);
        return 0;
    }
    if (!any) {
        if (unlink(path) == 0) printf("removed %s: the shipped thresholds apply\n", path);
        else if (errno == ENOENT) printf("the shipped thresholds apply\n");
        else { /* the old calibration would stay in force */
            fprintf(stderr, "rostvakt calibrate: cannot remove %s, whose thresholds stay in force: %s\n", path,
                    strerror(errno));
            return 1;
        }
        return 0;
    }
    rv_out out;
    rv_err wrc = rv_out_open(&out, path, 0644, &e);
    if (wrc == RV_OK) {
        fprintf(out.f, "# This installation's thresholds, chosen by rostvakt calibrate from reviewed greetings.\n"
                       "# Written again by each run; settings in the config file override these.\n");
        rv_calibration_write(&cal, &base, out.f);
        wrc = rv_out_commit(&out, &e);
    }
    if (wrc != RV_OK) {
        fprintf(stderr, "rostvakt calibrate: %s\n", e.msg);
        return 1;
    }
    printf("wrote %s: greetings are analysed again at the next sweep\n", path);
    return 0;
}

/* rostvakt adapt [--data-dir DIR] [--min-frames N] [--map-min-frames N] [--rollback] [--dry-run] */
static int cmd_adapt(int argc, char **argv)
{
    common_opts co;
    if (common_init(&co, argc) != 0) return 1;
    int rc = 0, dry_run = 0, rollback = 0;
    long min = 6000, map_min = RV_ADAPT_MAP_MIN_FRAMES;
    for (int i = 0; i < argc && rc == 0; i++) {
        int t = common_opt(&co, "adapt", argc, argv, &i);
        if (t < 0) rc = EXIT_USAGE;
        if (t != 0) continue;
        if (strcmp(argv[i], "--dry-run") == 0 || strcmp(argv[i], "--rollback") == 0) {
            *(argv[i][2] == 'd' ? &dry_run : &rollback) = 1;
            continue;
        }
        char *end = NULL;
        int m = strcmp(argv[i], "--map-min-frames") == 0;
        long *to = m ? &map_min : &min;
        if ((m || strcmp(argv[i], "--min-frames") == 0) && i + 1 < argc &&
            (*to = strtol(argv[i + 1], &end, 10), *end == '\0' && *to >= 1 && *to <= 100000000)) {
            i++;
            continue;
        }
        fprintf(stderr, "rostvakt adapt: %s %s (rostvakt help adapt)\n", argv[i],
                m || strcmp(argv[i], "--min-frames") == 0 ? "needs a number 1..100000000" : "is not an option");
        rc = EXIT_USAGE;
    }
    rv_config cfg;
    if (rc == 0) rc = build_config(&co, &cfg);
    free(co.sets);
    if (rc != 0) return rc;
    if (co.print_config) {
        rv_config_print(&cfg, stdout);
        return 0;
    }
    if (!archive_there(&cfg)) {
        fprintf(stderr, "rostvakt adapt: no archive at %s (%s)\n", cfg.data_dir, not_there(&cfg));
        return EXIT_USAGE;
    }
    rv_error e;
    char shipped[RV_CONFIG_STR_MAX + 32];
    snprintf(shipped, sizeof shipped, "%s/en-us-tel.mllr", cfg.models_dir);
    if (rollback) {
        int now = 0;
        if (dry_run) {
            printf("dry run: adaptation %d is in use; nothing changed\n", rv_adapt_current(cfg.data_dir));
            return 0;
        }
        if (rv_adapt_rollback(cfg.data_dir, &now, &e) != RV_OK) {
            fprintf(stderr, "rostvakt adapt: %s\n", e.msg);
            return e.code == RV_ERR_NOT_FOUND ? EXIT_USAGE : 1;
        }
        if (now) printf("adaptation %d is in use again: greetings are analysed again at the next sweep\n", now);
        else printf("no adaptation of this installation is in use: the shipped one applies (%s); greetings are "
                    "analysed again at the next sweep\n", shipped);
        return 0;
    }
    rv_store *st = NULL;
    rv_lexicon *lex = NULL;
    rv_asr *asr = NULL;
    char work[64] = "", out[128];
    rv_adapt_counts c;
    const char *tmp = getenv("TMPDIR");
    snprintf(work, sizeof work, "%.40s/rostvakt-adapt-XXXXXX", tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(work)) {
        fprintf(stderr, "rostvakt adapt: cannot make a folder %s: %s\n", work, strerror(errno));
        return 1;
    }
    char raw[80];
    snprintf(raw, sizeof raw, "%s/raw", work);
    if (mkdir(raw, 0700) != 0) {
        fprintf(stderr, "rostvakt adapt: cannot make %s: %s\n", raw, strerror(errno));
        rc = 1;
        goto done;
    }
    if (rv_store_connect(cfg.store, (int)cfg.store_allow_async_commit, cfg.data_dir, &st, &e) != RV_OK) {
        fprintf(stderr, "rostvakt adapt: %s\n", e.msg);
        rc = EXIT_CONFIG;
        goto done;
    }
    if (rv_lexicon_open_models(cfg.models_dir, &lex, &e) != RV_OK ||
        rv_asr_open(NULL, access(shipped, R_OK) == 0 ? shipped : NULL, lex, &asr, &e) != RV_OK) {
        fprintf(stderr, "rostvakt adapt: %s\n", e.msg);
        rc = EXIT_CONFIG;
        goto done;
    }
    if (rv_adapt_collect(st, asr, lex, work, cfg.max_audio_bytes, 0, &c, &e) != RV_OK) {
        fprintf(stderr, "rostvakt adapt: %s\n", e.msg);
        rc = 1;
        goto done;
    }
    printf("%ld current greetings: %ld used (%ld phrases, %ld frames); not used: %ld without a confident or "
           "confirmed name and unit, %ld a review said were wrong, %ld wideband, %ld not aligned\n",
           c.greetings, c.used, c.utterances, c.frames, c.unconfirmed, c.refuted, c.wideband, c.not_found);
    if (c.frames < min) {
        printf("%ld frames is below --min-frames %ld: nothing changed\n", c.frames, min);
        goto done;
    }
    if (dry_run) {
        printf("dry run: nothing changed\n");
        goto done;
    }
    snprintf(out, sizeof out, "%s/adapted.mllr", work);
    if (rv_adapt_estimate(work, access(shipped, R_OK) == 0 ? shipped : NULL, out, &e) != RV_OK) {
        fprintf(stderr, "rostvakt adapt: %s\n", e.msg);
        rc = e.code == RV_ERR_CONFIG ? EXIT_CONFIG : 1;
        if (rc == 1) work[0] = '\0'; /* keep the logs */
        goto done;
    }
    char map[128];
    int with_map = c.frames >= map_min;
    snprintf(map, sizeof map, "%s/adapted.map", work);
    if (with_map && rv_adapt_estimate_map(work, out, map, &e) != RV_OK) {
        fprintf(stderr, "rostvakt adapt: %s\n", e.msg);
        rc = e.code == RV_ERR_CONFIG ? EXIT_CONFIG : 1;
        if (rc == 1) work[0] = '\0'; /* keep the logs */
        goto done;
    }
    char now[32];
    int number;
    rv_utc_now(now);
    if (rv_adapt_install(cfg.data_dir, out, with_map ? map : NULL, &c, now, &number, &e) != RV_OK) {
        fprintf(stderr, "rostvakt adapt: %s\n", e.msg);
        rc = 1;
        goto done;
    }
    if (with_map)
        printf("wrote %s/models/adapt-%d.mllr and the MAP model adapt-%d.map (%ld frames, --map-min-frames %ld), "
               "now in use: greetings are analysed again at the next sweep, the service uses them from its next "
               "start\n",
               cfg.data_dir, number, number, c.frames, map_min);
    else
        printf("wrote %s/models/adapt-%d.mllr, now in use (no MAP model: %ld frames is below --map-min-frames %ld): "
               "greetings are analysed again at the next sweep, the service uses it from its next start\n",
               cfg.data_dir, number, c.frames, map_min);
    char mine[RV_CONFIG_STR_MAX + 32];
    snprintf(mine, sizeof mine, "%s/" RV_ADAPTATION_FILE, cfg.data_dir);
    if (strcmp(cfg.asr_adaptation, mine) != 0 && strcmp(cfg.asr_adaptation, shipped) != 0)
        fprintf(stderr, "rostvakt adapt: warning: asr_adaptation is set (%s): this installation's adaptation is "
                        "used only while that setting is empty\n", cfg.asr_adaptation);
done:
    rv_asr_free(asr);
    rv_lexicon_free(lex);
    rv_store_close(st);
    if (work[0]) rv_adapt_remove_work(work);
    return rc;
}

static void say_line(void *user, const char *line)
{
    (void)user;
    /* the verification's figures are the result; progress is for the terminal */
    FILE *f = strncmp(line, "verify:", 7) == 0 ? stdout : stderr;
    fprintf(f, "%s\n", line);
    fflush(f);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* rostvakt migrate --from ARCHIVE --to ARCHIVE [--into-nonempty] */
static int cmd_migrate(int argc, char **argv)
{
    common_opts co;
    if (common_init(&co, argc) != 0) return 1;
    rv_migrate_opts o = {.say = say_line};
    int rc = 0;
    for (int i = 0; i < argc && rc == 0; i++) {
        int t = common_opt(&co, "migrate", argc, argv, &i);
        if (t < 0) rc = EXIT_USAGE;
        if (t != 0) continue;
        if (strcmp(argv[i], "--into-nonempty") == 0) {
            o.into_nonempty = 1;
            continue;
        }
        const char **slot = strcmp(argv[i], "--from") == 0 ? &o.from : strcmp(argv[i], "--to") == 0 ? &o.to : NULL;
        if (!slot || i + 1 >= argc) {
            /* the argument itself is not echoed: it may hold a password */
            fprintf(stderr, "rostvakt migrate: %s\n", slot ? "--from and --to need a value" : "unknown argument");
            rc = EXIT_USAGE;
            continue;
        }
        *slot = argv[++i];
    }
    if (rc == 0 && (!o.from || !o.to)) {
        fprintf(stderr, "rostvakt migrate: give --from ARCHIVE and --to ARCHIVE (sqlite:DIR or a postgresql:// URI)\n");
        rc = EXIT_USAGE;
    }
    rv_config cfg;
    if (rc == 0) rc = build_config(&co, &cfg);
    free(co.sets);
    if (rc != 0) return rc;
    if (co.print_config) {
        rv_config_print(&cfg, stdout);
        return 0;
    }
    o.allow_async_commit = (int)cfg.store_allow_async_commit;
    const char *tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char work[4096];
    snprintf(work, sizeof work, "%s/rostvakt-migrate-XXXXXX", tmpdir);
    if (!mkdtemp(work)) {
        fprintf(stderr, "rostvakt migrate: cannot make a folder in %s: %s\n", tmpdir, strerror(errno));
        return 1;
    }
    o.work_dir = work;
    rv_migrate_result res;
    rv_error e;
    rv_err r = rv_migrate(&o, &res, &e);
    nftw(work, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (r != RV_OK) {
        fprintf(stderr, "rostvakt migrate: %s\n", e.msg);
        return r == RV_ERR_CONFIG ? EXIT_CONFIG : 1;
    }
    if (res.differences) {
        fprintf(stderr, "rostvakt migrate: %lld differences between --from and --to (above)\n", res.differences);
        return 1;
    }
    fprintf(stderr, "rostvakt migrate: %lld tables, %lld recordings: --to equals --from\n", res.tables,
            res.recordings);
    return 0;
}

static int cmd_config(int argc, char **argv)
{
    if (argc == 1 && strcmp(argv[0], "--markdown") == 0) {
        rv_config_print_markdown(stdout);
        return 0;
    }
    rv_config cfg;
    int rc = config_only("config", argc, argv, &cfg);
    if (rc == 0) rv_config_print(&cfg, stdout);
    return rc;
}

static int command(int argc, char **argv);

/* A command's status, and 74 when what it wrote to standard output did not
 * all get there (a full disk behind "> result"): a result cut short is no
 * result. serve and pbx-sync run on, and say what they have to say on
 * standard error. */
int main(int argc, char **argv)
{
    int rc = command(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "serve") != 0 && strcmp(argv[1], "pbx-sync") != 0 &&
        (fflush(stdout) != 0 || ferror(stdout))) {
        fprintf(stderr, "rostvakt: cannot write standard output: %s\n", errno ? strerror(errno) : "an error");
        if (rc == 0) rc = EXIT_IO;
    }
    return rc;
}

static int command(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        if (argc > 2)
            return command_help(strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0 ? "help" : argv[2],
                                stdout);
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--print-config") == 0) cmd = "config";
    if (strcmp(cmd, "--version") == 0) cmd = "version";
    for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return command_help(cmd, stdout);
    if (strcmp(cmd, "analyze") == 0) return cmd_analyze(argc - 2, argv + 2);
    if (strcmp(cmd, "profiles") == 0) return cmd_profiles(argc - 2, argv + 2);
    if (strcmp(cmd, "token") == 0) return cmd_token(argc - 2, argv + 2);
    if (strcmp(cmd, "serve") == 0) return cmd_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "sweep") == 0) return cmd_sweep(argc - 2, argv + 2);
    if (strcmp(cmd, "archive") == 0) return cmd_archive(argc - 2, argv + 2);
    if (strcmp(cmd, "workdays") == 0) return cmd_workdays(argc - 2, argv + 2);
    if (strcmp(cmd, "config") == 0) return cmd_config(argc - 2, argv + 2);
    if (strcmp(cmd, "calibrate") == 0) return cmd_calibrate(argc - 2, argv + 2);
    if (strcmp(cmd, "adapt") == 0) return cmd_adapt(argc - 2, argv + 2);
    if (strcmp(cmd, "pbx-sync") == 0) return cmd_pbx_sync(argc - 2, argv + 2);
    if (strcmp(cmd, "migrate") == 0) return cmd_migrate(argc - 2, argv + 2);
    if (strcmp(cmd, "version") == 0) {
        printf("rostvakt %s\n", RV_VERSION);
        return 0;
    }
    fprintf(stderr, "rostvakt: unknown command '%s'\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
