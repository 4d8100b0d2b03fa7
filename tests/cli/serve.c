/* The running rostvakt serve of the end-to-end tests and the HTTP calls
 * they make with libcurl: shared by the tests/cli/ files (serve.h). */
#include "serve.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <openssl/evp.h>

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char dir[64], base[64], pbx[80], officer[80];

int on_pg(void)
{
    const char *t = getenv("RV_TEST_STORE");
    return t && *t;
}

void db_shell(char *out, size_t cap)
{
    char data[128];
    snprintf(data, sizeof data, "%s/data", dir);
    if (!on_pg()) {
        snprintf(out, cap, "sqlite3 -cmd '.timeout 5000' '%s/rostvakt.db'", data);
        return;
    }
    /* the database name rv_store_open's test hook gives the directory */
    unsigned long long h = 1469598103934665603ull;
    for (const char *p = data; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    snprintf(out, cap, "psql -X -q -At -v ON_ERROR_STOP=1 '%s dbname=rv_%016llx'", getenv("RV_TEST_STORE"), h);
}

void db_dump(char *out, size_t cap)
{
    char db[512];
    db_shell(db, sizeof db);
    const char *conn = strchr(db, '\'');
    if (on_pg())
        /* sorted: an update moves a row within its table's file; without
         * the dump's own random \restrict key */
        snprintf(out, cap, "pg_dump --data-only %s | grep -v -e setval -e '^--' -e '^.restrict ' -e '^.unrestrict '"
                 " | sort", conn ? conn : "");
    else
        snprintf(out, cap, "%s .dump | grep -v '^INSERT INTO sqlite_sequence'", db);
}

const char *db_write_lock_sql(void)
{
    return on_pg() ? "BEGIN; SELECT pg_advisory_xact_lock(7419230017);" : "BEGIN IMMEDIATE;";
}

void hold_write_lock(const char *flag)
{
    char cmd[1536], db[512];
    db_shell(db, sizeof db);
    /* the shell makes the flag itself (psql's \! command, sqlite3's .system)
     * once the lines before it have run; what feeds it then waits for the
     * flag to go */
    snprintf(cmd, sizeof cmd,
             "(echo '%s'; echo \"INSERT INTO audit (at, actor, remote, action) VALUES ('x','lock','','x');\";"
             " printf '%%s\\n' '%s touch %s'; while [ ! -e %s ]; do sleep 0.05; done; while [ -e %s ]; do sleep 0.1; done;"
             " echo 'COMMIT;') | %s > /dev/null 2>&1 &",
             db_write_lock_sql(), on_pg() ? "\\!" : ".system", flag, flag, flag, db);
    cr_assert_eq(system(cmd), 0);
    for (int i = 0; i < 400 && access(flag, F_OK) != 0; i++) usleep(25000);
    cr_assert_eq(access(flag, F_OK), 0, "the database's shell holds the write lock");
}
pid_t pid;

void token(const char *role, const char *name, char *out, size_t cap)
{
    char cmd[512];
    /* officers and managers act for every organisation unless a test says otherwise (token_orgs) */
    int every = strcmp(role, "officer") == 0 || strcmp(role, "manager") == 0;
    snprintf(cmd, sizeof cmd, "%s token --tokens %s/tokens --role %s --name %s%s | tail -n 1",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", dir, role, name, every ? " --org '*'" : "");
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    cr_assert(fgets(out, (int)cap, p));
    out[strcspn(out, "\n")] = '\0';
    cr_assert_eq(pclose(p), 0);
}

void token_orgs(const char *role, const char *name, const char *orgs, char *out, size_t cap)
{
    char cmd[768];
    snprintf(cmd, sizeof cmd, "%s token --tokens %s/tokens --role %s --name %s %s | tail -n 1",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", dir, role, name, orgs);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    cr_assert(fgets(out, (int)cap, p));
    out[strcspn(out, "\n")] = '\0';
    cr_assert_eq(pclose(p), 0);
}

const char *server_set = "max_audio_seconds=600"; /* one --set for the next start */
const char *server_set2;                           /* and another */

pid_t spawn_node(const char *tokens, const char *analysis_workers, const char *set1, const char *set2,
                 const char *env, const char *value, char url[64])
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t p = fork();
    cr_assert(p >= 0);
    if (p == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        if (env && value) setenv(env, value, 1);
        char data[128];
        snprintf(data, sizeof data, "%s/data", dir);
        const char *exe = getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
        char profiles[1200];
        snprintf(profiles, sizeof profiles, "profile_dirs=%s", test_profile_dirs());
        const char *none = "max_audio_seconds=600";
        execl(exe, exe, "serve", "--listen", "127.0.0.1:0", "--data-dir", data, "--tokens", tokens, "--workers", "2",
              "--analysis-workers", analysis_workers, "--set", none, "--set", profiles, "--set", set1 ? set1 : none,
              "--set", set2 ? set2 : none, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[128] = "";
    cr_assert(fgets(line, sizeof line, f), "the server says where it listens");
    fclose(f);
    const char *colon = strrchr(line, ':');
    cr_assert(colon, "%s", line);
    snprintf(url, 64, "http://127.0.0.1:%d", atoi(colon + 1));
    return p;
}

void start_server(const char *analysis_workers)
{
    char tokens[128];
    snprintf(tokens, sizeof tokens, "%s/tokens", dir);
    pid = spawn_node(tokens, analysis_workers, server_set, server_set2, NULL, NULL, base);
}

void stop_server(void)
{
    if (pid > 0) {
        kill(pid, SIGTERM);
        int st;
        waitpid(pid, &st, 0);
        cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a clean shutdown on SIGTERM");
    }
    pid = 0;
}

void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/rv-serve-XXXXXX");
    cr_assert(mkdtemp(dir));
    token("pbx", "vaxel", pbx, sizeof pbx);
    token("officer", "registrator", officer, sizeof officer);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    start_server("1");
}

void teardown(void)
{
    stop_server();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
    curl_global_cleanup();
}

size_t collect(char *p, size_t sz, size_t n, void *u)
{
    sink *s = u;
    size_t k = sz * n;
    if (s->len + k < sizeof s->buf) {
        memcpy(s->buf + s->len, p, k);
        s->len += k;
        s->buf[s->len] = '\0';
    }
    return k;
}

size_t header_line(char *p, size_t sz, size_t n, void *u)
{
    cookies *k = u;
    size_t len = sz * n;
    if (len > 12 && strncasecmp(p, "Set-Cookie: ", 12) == 0)
        snprintf(k->cookie, sizeof k->cookie, "%.*s", (int)(len - 12 - 2), p + 12);
    return len;
}

/* One request with libcurl and the headers h (freed): the answer's body
 * goes to write(data), its Set-Cookie to k when k is set. */
long perform(const char *method, const char *path, struct curl_slist *h, const char *body, const char *range,
                    size_t (*write)(char *, size_t, size_t, void *), void *data, cookies *k)
{
    CURL *c = curl_easy_init();
    char url[4096]; /* long queries too */
    snprintf(url, sizeof url, "%s%s", base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    if (range) curl_easy_setopt(c, CURLOPT_RANGE, range);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, data);
    if (k) {
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_line);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, k);
    }
    long status = 0;
    cr_assert_eq(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* One request with a bearer token (tok, or none) and one more header. */
long request(const char *method, const char *path, const char *tok, const char *header, const char *body,
                    const char *range, size_t (*write)(char *, size_t, size_t, void *), void *data)
{
    char auth[128];
    struct curl_slist *h = NULL;
    if (tok) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
        h = curl_slist_append(h, auth);
    }
    if (header) h = curl_slist_append(h, header);
    return perform(method, path, h, body, range, write, data, NULL);
}

long call(const char *method, const char *path, const char *tok, const char *body, sink *out)
{
    memset(out, 0, sizeof *out);
    return request(method, path, tok, "Content-Type: application/json", body, NULL, collect, out);
}

long call_h(const char *method, const char *path, const char *h1, const char *h2, const char *h3, const char *body,
            sink *out, cookies *k)
{
    memset(out, 0, sizeof *out);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (h1) h = curl_slist_append(h, h1);
    if (h2) h = curl_slist_append(h, h2);
    if (h3) h = curl_slist_append(h, h3);
    return perform(method, path, h, body, NULL, collect, out, k);
}

long post_audio(const char *path, const char *tok, const char *type, const char **extra, sink *out,
                       char *location, size_t loc_cap)
{
    return upload("POST", "/v1/mailboxes/4711/voicemails", path, tok, type, extra, out, location, loc_cap);
}

/* Send the file at path as the body of METHOD where. */
long upload(const char *method, const char *where, const char *path, const char *tok, const char *type,
                   const char **extra, sink *out, char *location, size_t loc_cap)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s", path);
    static char data[1 << 20];
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    CURL *c = curl_easy_init();
    char url[256], auth[128], ct[96];
    snprintf(url, sizeof url, "%s%s", base, where);
    struct curl_slist *h = NULL;
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
    h = curl_slist_append(h, auth);
    snprintf(ct, sizeof ct, "Content-Type: %s", type);
    h = curl_slist_append(h, ct);
    for (size_t i = 0; extra && extra[i]; i++) h = curl_slist_append(h, extra[i]);
    memset(out, 0, sizeof *out);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)n);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    long status = 0;
    cr_assert_eq(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (location) {
        struct curl_header *hd;
        location[0] = '\0';
        if (curl_easy_header(c, "Location", 0, CURLH_HEADER, -1, &hd) == CURLHE_OK)
            snprintf(location, loc_cap, "%s", hd->value);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

size_t collect_bin(char *p, size_t sz, size_t n, void *u)
{
    bin *b = u;
    size_t k = sz * n;
    unsigned char *nb = realloc(b->buf, b->len + k + 1);
    if (!nb) return 0;
    memcpy(nb + b->len, p, k);
    b->buf = nb;
    b->len += k;
    return k;
}

long get_bytes(const char *path, const char *tok, const char *range, bin *out)
{
    memset(out, 0, sizeof *out);
    return request("GET", path, tok, NULL, NULL, range, collect_bin, out);
}

/* The stored audio of voicemail id, over HTTP, is the bytes of file. */
int stored_as(long long id, const char *file)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/voicemails/%lld/audio", id);
    bin b;
    long st = get_bytes(path, officer, NULL, &b);
    FILE *f = fopen(file, "rb");
    int same = 0;
    if (f && st == 200) {
        static unsigned char orig[1 << 20];
        size_t n = fread(orig, 1, sizeof orig, f);
        same = n == b.len && memcmp(orig, b.buf, n) == 0;
    }
    if (f) fclose(f);
    free(b.buf);
    return same;
}

void file_sha256(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s", path);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    unsigned char buf[65536], md[32];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) EVP_DigestUpdate(c, buf, n);
    fclose(f);
    EVP_DigestFinal_ex(c, md, NULL);
    EVP_MD_CTX_free(c);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

void write_secret(const char *path, const char *text)
{
    write_file(path, text);
    cr_assert_eq(chmod(path, 0600), 0, "%s", path);
}

int run(const char *cmd, sink *out)
{
    memset(out, 0, sizeof *out);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    out->len = fread(out->buf, 1, sizeof out->buf - 1, p);
    out->buf[out->len] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
              getsockname(fd, (struct sockaddr *)&a, &l) == 0);
    close(fd);
    return ntohs(a.sin_port);
}

int listening(int port)
{
    for (int i = 0; i < 100; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok) return 1;
        usleep(50000);
    }
    return 0;
}

static pid_t mail_pid;

void mail_server_start(int port)
{
    char port_s[16], maildir[128];
    snprintf(port_s, sizeof port_s, "%d", port);
    snprintf(maildir, sizeof maildir, "%s/mailserver", dir);
    cr_assert_eq(system("/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null"), 0,
                 "aiosmtpd is not installed: deploy/install-deps.sh test installs python3-aiosmtpd");
    mail_pid = fork();
    cr_assert(mail_pid >= 0);
    if (mail_pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(126);
        execl("/usr/bin/python3", "python3", "tests/smtp-server.py", port_s, maildir, (char *)NULL);
        _exit(127);
    }
    cr_assert(listening(port), "the SMTP server does not listen on %d", port);
}

void mail_server_stop(void)
{
    if (mail_pid > 0) {
        kill(mail_pid, SIGTERM);
        waitpid(mail_pid, NULL, 0);
        mail_pid = 0;
    }
}

int mail_server_mails(sink *out)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import mailbox, email.header, sys\n"
             "lines = []\n"
             "for m in mailbox.Maildir(sys.argv[1], create=False):\n"
             "  s = str(email.header.make_header(email.header.decode_header(m[\"Subject\"])))\n"
             "  t = \" \".join(p.get_payload(decode=True).decode(\"utf-8\") for p in m.walk()"
             " if p.get_content_maintype() == \"text\")\n"
             "  lines.append(\"RCPT=\" + m[\"X-RcptTo\"] + \"|SUBJ=\" + s + \"|\" + t.replace(\"\\r\\n\", \"/\").replace(\"\\n\", \"/\")"
             " + \"|FROM=\" + m[\"From\"])\n"
             "print(len(lines))\n"
             "print(\"\\n\".join(sorted(lines)))' %s/mailserver",
             dir);
    cr_assert_eq(run(cmd, out), 0, "%s", out->buf);
    return atoi(out->buf);
}

int sweep_mail_to(int port, const char *date, sink *out)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s sweep --data-dir %s/data --date %s --mail --set mail_smtp_url=smtp://127.0.0.1:%d"
             " --set mail_from=rostvakt@kommun.se 2>&1 >/dev/null",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", dir, date, port);
    return run(cmd, out);
}

void restart_behind_proxy(const char *users)
{
    char path[128];
    snprintf(path, sizeof path, "%s/users", dir);
    write_file(path, users);
    stop_server();
    setenv("RV_TRUSTED_PROXY", "127.0.0.1", 1);
    setenv("RV_USERS_FILE", path, 1);
    start_server("0");
    unsetenv("RV_TRUSTED_PROXY");
    unsetenv("RV_USERS_FILE");
}
