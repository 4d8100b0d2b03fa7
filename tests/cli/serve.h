/* What the end-to-end tests of `rostvakt serve` share (tests/cli/serve.c):
 * the server under test, its temporary directory and tokens, and HTTP calls
 * with libcurl. A test file declares its suite with
 * TestSuite(name, .init = setup, .fini = teardown) and calls these. */
#ifndef RV_TEST_SERVE_H
#define RV_TEST_SERVE_H

#include <stdlib.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stddef.h>
#include <sys/types.h>

/* the temporary directory (tokens, data/), the server's http://host:port,
 * a PBX token ("vaxel") and an officer's ("registrator") */
extern char dir[64], base[64], pbx[80], officer[80];
extern pid_t pid;
/* one --set for the next start_server, and another (NULL: none) */
extern const char *server_set, *server_set2;

/* A new token of role and name in dir/tokens, its secret into out. */
void token(const char *role, const char *name, char *out, size_t cap);
/* A token of role and name with orgs, the token command's --org options
 * ("--org a --org b"), its secret into out. */
void token_orgs(const char *role, const char *name, const char *orgs, char *out, size_t cap);
/* rostvakt serve on 127.0.0.1:0 on dir's data with the tokens file
 * tokens, analysis_workers analysis workers and up to two more settings
 * (NULL: none), the environment variable env set to value for it (a test
 * hook; NULL: none); its base URL into url, its pid returned. */
pid_t spawn_node(const char *tokens, const char *analysis_workers, const char *set1, const char *set2,
                 const char *env, const char *value, char url[64]);

/* rostvakt serve on 127.0.0.1:0 with dir's tokens and data; base set. */
void start_server(const char *analysis_workers);
/* SIGTERM, and expect a clean exit. */
void stop_server(void);
/* A new dir, the two tokens, and a server with one analysis worker. */
void setup(void);
void teardown(void);

/* The archive's database from the shell, on the backend the tests run on:
 * sqlite3 on dir/data/rostvakt.db, or psql on the PostgreSQL database
 * rv_store_open gives dir/data when RV_TEST_STORE is set. The command reads
 * SQL on its stdin and prints rows as sqlite3 does (columns joined by |). */
void db_shell(char *out, size_t cap);
/* A command that prints every row of the archive's database, the same for
 * the same rows (a sequence a rolled-back insert moved on is left out). */
void db_dump(char *out, size_t cap);
/* SQL that begins a transaction holding the archive's write lock, as
 * another process's write transaction would. */
const char *db_write_lock_sql(void);
/* Another process (the database's shell) takes the archive's write lock,
 * writes an audit row in that transaction, and holds it until the file
 * flag is removed; returns once the shell itself has made flag, which it
 * does only after it holds the lock. */
void hold_write_lock(const char *flag);
/* 1 when the tests run on PostgreSQL (RV_TEST_STORE). */
int on_pg(void);

typedef struct {
    char buf[16384];
    size_t len;
} sink;

/* The Set-Cookie of an answer, for the web app's sign-in. */
typedef struct {
    char cookie[160]; /* the last Set-Cookie's value */
} cookies;

typedef struct {
    unsigned char *buf;
    size_t len;
} bin;

/* libcurl write callbacks: into a sink (truncated at its size), into a bin (grown) */
size_t collect(char *p, size_t sz, size_t n, void *u);
size_t collect_bin(char *p, size_t sz, size_t n, void *u);
size_t header_line(char *p, size_t sz, size_t n, void *u);
/* One request with libcurl and the headers h (freed): the answer's body
 * goes to write(data), its Set-Cookie to k when k is set. The status. */
long perform(const char *method, const char *path, struct curl_slist *h, const char *body, const char *range,
             size_t (*write)(char *, size_t, size_t, void *), void *data, cookies *k);
/* One request with a bearer token (tok, or none) and one more header. */
long request(const char *method, const char *path, const char *tok, const char *header, const char *body,
             const char *range, size_t (*write)(char *, size_t, size_t, void *), void *data);
/* A JSON request: the answer into out. */
long call(const char *method, const char *path, const char *tok, const char *body, sink *out);
/* A JSON request with up to three more headers (h1..h3 or NULL), no token
 * but what they carry; Set-Cookie goes to k when k is set. */
long call_h(const char *method, const char *path, const char *h1, const char *h2, const char *h3, const char *body,
            sink *out, cookies *k);
/* Send the file at path as the body of METHOD where (extra: NULL-ended headers). */
long upload(const char *method, const char *where, const char *path, const char *tok, const char *type,
            const char **extra, sink *out, char *location, size_t loc_cap);
/* upload() to POST /v1/mailboxes/4711/voicemails */
long post_audio(const char *path, const char *tok, const char *type, const char **extra, sink *out,
                char *location, size_t loc_cap);
long get_bytes(const char *path, const char *tok, const char *range, bin *out);
/* The stored audio of voicemail id, over HTTP, is the bytes of file. */
int stored_as(long long id, const char *file);

/* The SHA-256 of the file at path, in lower-case hex. */
void file_sha256(const char *path, char hex[65]);

/* path written with text (replaced). */
void write_file(const char *path, const char *text);
/* The same, mode 0600: a token or password file pbx-sync accepts. */
void write_secret(const char *path, const char *text);
/* The shell command cmd's exit status (-1: killed), its output in out. */
int run(const char *cmd, sink *out);
/* A loopback port nothing listens on just now. */
int free_port(void);
/* 1 once something accepts connections on the loopback port, within 5 s. */
int listening(int port);

/* A throwaway SMTP server (tests/smtp-server.py) on the loopback port,
 * keeping what it receives in dir/mailserver; no login asked. */
void mail_server_start(int port);
/* SIGTERM to it, if it runs. */
void mail_server_stop(void);
/* What it received, one line a mail, sorted: "RCPT=a, b|SUBJ=...|", the
 * text parts decoded (line ends as '/') and "|FROM=" its From header, into
 * out. The number of mails. */
int mail_server_mails(sink *out);
/* rostvakt sweep --data-dir dir/data --date date --mail to the loopback
 * port (mail_from rostvakt@kommun.se); its standard error into out. */
int sweep_mail_to(int port, const char *date, sink *out);

/* The server started again (no analysis worker) as if behind a reverse
 * proxy on this machine that names its users in X-Remote-User; users is
 * the users file's text ("name<TAB>role" lines). */
void restart_behind_proxy(const char *users);

/* The profile directories of tests that dispose of recordings: the shipped
 * profiles with a gallringsbeslut named (made by the Makefile). */
static inline const char *test_profile_dirs(void)
{
    const char *d = getenv("RV_TEST_PROFILES");
    return d && *d ? d : "models/profiles:build/test-profiles";
}

#endif
