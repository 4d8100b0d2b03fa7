/* rostvakt pbx-sync end to end: the real binary against a real rostvakt
 * serve (serve.h), fed from an Asterisk spool, a FreeSWITCH database and a
 * real IMAP server (Dovecot) on loopback. */
#include <criterion/criterion.h>
#include <sndfile.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

TestSuite(pbxsync, .init = setup, .fini = teardown, .timeout = 60);

/* ---- rostvakt pbx-sync asterisk ---- */

/* A sample written again in another format with libsndfile. */
static void convert(const char *from, const char *to, int format)
{
    SF_INFO in = {0};
    SNDFILE *a = sf_open(from, SFM_READ, &in);
    cr_assert(a, "%s", from);
    SF_INFO out = {.samplerate = 8000, .channels = 1, .format = format};
    cr_assert_eq(in.samplerate, 8000);
    SNDFILE *b = sf_open(to, SFM_WRITE, &out);
    cr_assert(b, "%s: %s", to, sf_strerror(NULL));
    short buf[4096];
    sf_count_t n;
    while ((n = sf_readf_short(a, buf, 4096)) > 0) sf_writef_short(b, buf, n);
    sf_close(a);
    sf_close(b);
}

/* An Asterisk msgNNNN.txt as app_voicemail writes it. */
static void asterisk_txt(const char *path, const char *callerid, long origtime, const char *msg_id)
{
    char t[1024];
    snprintf(t, sizeof t,
             ";\n; Message Information file\n;\n[message]\norigmailbox=4711\ncontext=default\nmacrocontext=\n"
             "exten=4711\nrdnis=unknown\npriority=2\ncallerchan=SIP/trunk-00000001\ncallerid=%s\n"
             "origdate=Thu Dec  3 10:15:00 AM UTC 2026\norigtime=%ld\ncategory=\nmsg_id=%s\nflag=\nduration=12\n",
             callerid, origtime, msg_id);
    write_file(path, t);
}

/* pbx-sync asterisk --once on dir's spool, started by prefix ("": as it is). */
static int pbx_sync_as(const char *prefix, const char *extra, sink *out)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "%s %s pbx-sync asterisk --spool %s/spool --server %s --token-file %s/pbx.token --state %s/sync.state"
             " --once %s 2>&1",
             prefix, getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", dir, base, dir, dir, extra ? extra : "");
    return run(cmd, out);
}

static int pbx_sync(const char *extra, sink *out) { return pbx_sync_as("", extra, out); }

static int count_voicemails(const char *ext)
{
    sink o;
    char path[96];
    snprintf(path, sizeof path, "/v1/voicemails?ext=%s&limit=100", ext);
    cr_assert_eq(call("GET", path, officer, NULL, &o), 200);
    int n = 0;
    for (const char *p = o.buf; (p = strstr(p, "\"ext\":")); p++) n++;
    return n;
}

Test(pbxsync, asterisk_spool_is_synced_once) {
    sink o, out;
    char p[512], cmd[1024];
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir -p spool/default/4711/INBOX spool/default/4711/Old spool/default/4711/tmp"
             " spool/default/4799/INBOX && cp $OLDPWD/samples/g01-anna-svensson.wav spool/default/4711/unavail.wav"
             " && cp $OLDPWD/samples/m10-just-hej.wav spool/default/4711/greet.wav"
             " && cp $OLDPWD/samples/v01-bygglov.wav spool/default/4711/INBOX/msg0000.wav"
             " && cp $OLDPWD/samples/v03-ring-mig.wav spool/default/4711/INBOX/msg0001.wav"
             " && cp $OLDPWD/samples/v02-faktura.wav spool/default/4711/INBOX/msg0002.wav"
             " && cp $OLDPWD/samples/v03-ring-mig.wav spool/default/4799/INBOX/msg0000.wav",
             dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(p, sizeof p, "%s/pbx.token", dir);
    write_secret(p, pbx);
    snprintf(p, sizeof p, "%s/spool/default/4711/INBOX/msg0000.txt", dir);
    asterisk_txt(p, "\"Lars Holm\" <+46701234567>", 1764756900, "1764756900-00000000");
    snprintf(p, sizeof p, "%s/spool/default/4711/INBOX/msg0002.txt", dir);
    write_file(p, "garbage without a section\n"); /* a damaged .txt: logged, left alone */
    snprintf(p, sizeof p, "%s/spool/default/4799/INBOX/msg0000.txt", dir);
    asterisk_txt(p, "<070123>", 1764756000, "1764756000-00000001");
    /* first pass: one message (msg0001 has no .txt yet: not complete), the
     * greeting and the recorded name; 4799 is not in the directory */
    cr_expect_eq(pbx_sync(NULL, &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "4711: voicemail msg0000 sent") != NULL, "%s", out.buf);
    cr_expect(strstr(out.buf, "4711: greeting sent") != NULL, "%s", out.buf);
    cr_expect(strstr(out.buf, "4711: recorded name sent") != NULL, "greet.wav: %s", out.buf);
    cr_expect(strstr(out.buf, "4799: voicemail msg0000 refused (404") != NULL, "%s", out.buf);
    cr_expect(strstr(out.buf, "msg0002.txt: not an Asterisk message file") != NULL, "%s", out.buf);
    cr_expect(strstr(out.buf, "1 not yet complete") != NULL, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 1);
    cr_assert_eq(call("GET", "/v1/voicemails?ext=4711", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"caller\":\"+46701234567\"") && strstr(o.buf, "\"received_at\":\"2025-12-03T10:15:00Z\""),
              "caller and time from the .txt: %s", o.buf);
    cr_assert_eq(call("GET", "/v1/mailboxes/4711", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"greeting\":{\"id\":1") != NULL, "%s", o.buf);
    /* Asterisk finishes msg0001, and the owner listens to msg0000: it moves to Old */
    snprintf(p, sizeof p, "%s/spool/default/4711/INBOX/msg0001.txt", dir);
    asterisk_txt(p, "<+4687001234>", 1764757000, "1764757000-00000002");
    snprintf(cmd, sizeof cmd,
             "cd %s/spool/default/4711 && mv INBOX/msg0000.wav Old/msg0000.wav && mv INBOX/msg0000.txt Old/msg0000.txt",
             dir);
    cr_assert_eq(system(cmd), 0);
    cr_expect_eq(pbx_sync(NULL, &out), 0, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 2, "the moved one is the same message: %s", out.buf);
    cr_expect(strstr(out.buf, "greeting sent") == NULL, "an unchanged greeting is not sent again: %s", out.buf);
    /* the state lost (a crash between upload and saving it): the service's
     * Idempotency-Key keeps it to two */
    snprintf(p, sizeof p, "%s/sync.state", dir);
    unlink(p);
    cr_expect_eq(pbx_sync(NULL, &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "the service had it already") != NULL, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 2);
    /* a changed greeting is sent again */
    snprintf(cmd, sizeof cmd, "sleep 1; cp samples/g07-lena-ek.wav %s/spool/default/4711/unavail.wav", dir);
    cr_assert_eq(system(cmd), 0);
    cr_expect_eq(pbx_sync(NULL, &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "4711: greeting sent") != NULL, "%s", out.buf);
    /* the service down: retried, then exit 75 with nothing lost */
    snprintf(p, sizeof p, "%s/spool/default/4711/INBOX/msg0003.wav", dir);
    snprintf(cmd, sizeof cmd, "cp samples/v04-overklaga.wav %s", p);
    cr_assert_eq(system(cmd), 0);
    snprintf(p, sizeof p, "%s/spool/default/4711/INBOX/msg0003.txt", dir);
    asterisk_txt(p, "<+4687001235>", 1764758000, "1764758000-00000003");
    char was[64];
    snprintf(was, sizeof was, "%s", base);
    stop_server();
    cr_expect_eq(pbx_sync("--tries 2", &out), 75, "%s", out.buf);
    cr_expect(strstr(out.buf, "unreachable") != NULL, "%s", out.buf);
    start_server("1");
    cr_expect_eq(pbx_sync(NULL, &out), 0, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 3, "sent once the service is back: %s", out.buf);
    (void)was;
    /* Asterisk's other formats: wav49 (GSM in WAV, .WAV) and raw GSM (.gsm),
     * and a raw GSM greeting */
    snprintf(p, sizeof p, "%s/spool/default/4711/INBOX/msg0004.WAV", dir);
    convert("samples/v02-faktura.wav", p, SF_FORMAT_WAV | SF_FORMAT_GSM610);
    snprintf(p, sizeof p, "%s/spool/default/4711/INBOX/msg0004.txt", dir);
    asterisk_txt(p, "<+4687001236>", 1764759000, "1764759000-00000004");
    snprintf(p, sizeof p, "%s/spool/default/4711/INBOX/msg0005.gsm", dir);
    convert("samples/v04-overklaga.wav", p, SF_FORMAT_RAW | SF_FORMAT_GSM610);
    snprintf(p, sizeof p, "%s/spool/default/4711/INBOX/msg0005.txt", dir);
    asterisk_txt(p, "<+4687001237>", 1764760000, "1764760000-00000005");
    snprintf(p, sizeof p, "%s/spool/default/4711/temp.gsm", dir);
    convert("samples/g02-per-oskarsson.wav", p, SF_FORMAT_RAW | SF_FORMAT_GSM610);
    cr_expect_eq(pbx_sync(NULL, &out), 0, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 5, "%s", out.buf);
    cr_expect(strstr(out.buf, "voicemail msg0004 sent") && strstr(out.buf, "voicemail msg0005 sent") &&
                  strstr(out.buf, "greeting sent (") && strstr(out.buf, "temp.gsm"),
              "%s", out.buf);
    cr_assert_eq(call("GET", "/v1/voicemails?ext=4711", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"caller\":\"+4687001237\"") != NULL, "%s", o.buf);
}

/* A sample resampled to 16 kHz as Asterisk's wav16 (G.722, wideband
 * phones): libsndfile, sample-and-hold (the test needs the rate, not fidelity). */
static void to_wav16(const char *from, const char *to)
{
    SF_INFO in = {0};
    SNDFILE *a = sf_open(from, SFM_READ, &in);
    cr_assert(a, "%s", from);
    SF_INFO out = {.samplerate = 16000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *b = sf_open(to, SFM_WRITE, &out);
    cr_assert(b, "%s: %s", to, sf_strerror(NULL));
    short buf[4096], two[8192];
    sf_count_t n;
    while ((n = sf_readf_short(a, buf, 4096)) > 0) {
        for (sf_count_t i = 0; i < n; i++) two[2 * i] = two[2 * i + 1] = buf[i];
        sf_writef_short(b, two, 2 * n);
    }
    sf_close(a);
    sf_close(b);
}

/* Where the PBX records wideband (format=wav16|wav), the 16 kHz recording
 * is the one sent: the telephone-band copy beside it loses what a wideband
 * line gives the recogniser. */
Test(pbxsync, asterisk_wideband_recordings_are_sent_wideband) {
    sink o, out;
    char p[512], cmd[1024];
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir -p spool/default/4711/INBOX && cp $OLDPWD/samples/g01-anna-svensson.wav"
             " spool/default/4711/unavail.wav && cp $OLDPWD/samples/v01-bygglov.wav spool/default/4711/INBOX/msg0000.wav",
             dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(p, sizeof p, "%s/spool/default/4711/unavail.wav16", dir);
    to_wav16("samples/g01-anna-svensson.wav", p);
    snprintf(p, sizeof p, "%s/spool/default/4711/INBOX/msg0000.wav16", dir);
    to_wav16("samples/v01-bygglov.wav", p);
    snprintf(p, sizeof p, "%s/spool/default/4711/INBOX/msg0000.txt", dir);
    asterisk_txt(p, "<+46701234567>", 1764756900, "1764756900-00000000");
    snprintf(p, sizeof p, "%s/pbx.token", dir);
    write_secret(p, pbx);
    cr_expect_eq(pbx_sync(NULL, &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "greeting sent (") && strstr(out.buf, "unavail.wav16)"), "%s", out.buf);
    cr_expect(strstr(out.buf, "voicemail msg0000 sent") != NULL, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 1, "one message, whatever formats it is in: %s", out.buf);
    cr_assert_eq(call("GET", "/v1/voicemails?ext=4711", officer, NULL, &o), 200);
    struct stat sb;
    snprintf(p, sizeof p, "%s/spool/default/4711/INBOX/msg0000.wav16", dir);
    cr_assert_eq(stat(p, &sb), 0);
    char bytes[64];
    snprintf(bytes, sizeof bytes, "\"bytes\":%lld,", (long long)sb.st_size);
    cr_expect(strstr(o.buf, bytes) != NULL, "the message as its 16 kHz recording (%s): %s", bytes, o.buf);
}

/* FreeSWITCH: a real SQLite file with mod_voicemail's schema; rows added
 * between passes are sent, none twice, and the database is only read. */
Test(pbxsync, freeswitch_voicemail_db_is_synced_once) {
    sink o, out;
    char cmd[4096], db[256];
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    snprintf(db, sizeof db, "%s/voicemail_default.db", dir);
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/fs/4711 && cp samples/v01-bygglov.wav %s/fs/4711/msg_a.wav && cp samples/v02-faktura.wav "
             "%s/fs/4711/msg_b.wav && cp samples/g01-anna-svensson.wav %s/fs/4711/greeting_1.wav && sqlite3 %s \""
             "CREATE TABLE voicemail_msgs (created_epoch INTEGER, read_epoch INTEGER, username VARCHAR(255),"
             " domain VARCHAR(255), uuid VARCHAR(255), cid_name VARCHAR(255), cid_number VARCHAR(255),"
             " in_folder VARCHAR(255), file_path VARCHAR(255), message_len INTEGER, flags VARCHAR(255),"
             " read_flags VARCHAR(255), forwarded_by VARCHAR(255));"
             "CREATE TABLE voicemail_prefs (username VARCHAR(255), domain VARCHAR(255), name_path VARCHAR(255),"
             " greeting_path VARCHAR(255), password VARCHAR(255));"
             "INSERT INTO voicemail_msgs VALUES (1764756900, 0, '4711', 'kommun.se',"
             " '6f1c2a9e-1b2c-4d5e-8f90-0a1b2c3d4e5f', 'Lars Holm', '+46701234567', 'inbox', '4711/msg_a.wav', 12, '',"
             " '', '');"
             "INSERT INTO voicemail_prefs VALUES ('4711', 'kommun.se', '', '4711/greeting_1.wav', '');\"",
             dir, dir, dir, dir, db);
    cr_assert_eq(system(cmd), 0);
    char tok[256];
    snprintf(tok, sizeof tok, "%s/pbx.token", dir);
    write_secret(tok, pbx);
    char sync[2048];
    snprintf(sync, sizeof sync,
             "%s pbx-sync freeswitch --db %s --storage %s/fs --server %s --token-file %s --state %s/fs.state --once 2>&1",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", db, dir, base, tok, dir);
    cr_expect_eq(run(sync, &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "4711: voicemail 6f1c2a9e") != NULL && strstr(out.buf, "4711: greeting sent") != NULL,
              "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 1);
    cr_assert_eq(call("GET", "/v1/voicemails?ext=4711", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"caller\":\"+46701234567\"") != NULL, "%s", o.buf);
    /* a row added while syncing, and the first again */
    snprintf(cmd, sizeof cmd,
             "sqlite3 %s \"INSERT INTO voicemail_msgs VALUES (1764757000, 0, '4711', 'kommun.se', 'b2', '', '070123',"
             " 'inbox', '%s/fs/4711/msg_b.wav', 8, '', '', '')\"",
             db, dir);
    cr_assert_eq(system(cmd), 0);
    cr_expect_eq(run(sync, &out), 0, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 2, "%s", out.buf);
    cr_expect(strstr(out.buf, "greeting sent") == NULL, "%s", out.buf);
    /* a row whose recording cannot be read (not there yet): logged and
     * tried again, the rest goes on */
    snprintf(cmd, sizeof cmd,
             "cp samples/v04-overklaga.wav %s/fs/4711/msg_d.wav && sqlite3 %s \"INSERT INTO voicemail_msgs VALUES"
             " (1764758000, 0, '4711', 'kommun.se', 'c3', '', '070124', 'inbox', '4711/msg_c.wav', 8, '', '', '');"
             " INSERT INTO voicemail_msgs VALUES (1764759000, 0, '4711', 'kommun.se', 'd4', '', '070125', 'inbox',"
             " '4711/msg_d.wav', 8, '', '', '')\"",
             dir, db);
    cr_assert_eq(system(cmd), 0);
    cr_expect_eq(run(sync, &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "voicemail c3: cannot read") && strstr(out.buf, "tried again next pass"), "%s", out.buf);
    cr_expect(strstr(out.buf, "voicemail d4 sent") != NULL, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 3);
    snprintf(cmd, sizeof cmd, "cp samples/v05-hangup.wav %s/fs/4711/msg_c.wav", dir);
    cr_assert_eq(system(cmd), 0);
    cr_expect_eq(run(sync, &out), 0, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 4, "%s", out.buf);
    /* the PBX holds its database: a clear message, exit 75, nothing lost */
    char held[128], released[128];
    snprintf(held, sizeof held, "%s/held", dir);
    snprintf(released, sizeof released, "%s/released", dir);
    /* sqlite3 runs .shell once the lock is taken: held; it keeps the lock
     * until held is gone, then commits: released */
    snprintf(cmd, sizeof cmd,
             "sqlite3 %s \"INSERT INTO voicemail_msgs VALUES (1764760000, 0, '4711', 'kommun.se', 'e5', '', '070126',"
             " 'inbox', '4711/msg_d.wav', 8, '', '', '')\" && ((echo 'BEGIN EXCLUSIVE;'; echo '.shell touch %s';"
             " echo '.shell while [ -e %s ]; do sleep 0.05; done'; echo 'COMMIT;') | sqlite3 %s > /dev/null;"
             " touch %s) &",
             db, held, held, db, released);
    cr_assert_eq(system(cmd), 0);
    for (int i = 0; i < 200 && access(held, F_OK) != 0; i++) usleep(50000);
    cr_assert_eq(access(held, F_OK), 0, "the PBX's database is held");
    cr_expect_eq(run(sync, &out), 75, "%s", out.buf);
    cr_expect(strstr(out.buf, "holds") != NULL, "%s", out.buf);
    unlink(held);
    for (int i = 0; i < 200 && access(released, F_OK) != 0; i++) usleep(50000);
    cr_assert_eq(access(released, F_OK), 0, "and let go");
    cr_expect_eq(run(sync, &out), 0, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 5, "%s", out.buf);
}

/* ---- voicemail by e-mail: a real IMAP server (Dovecot) on loopback ---- */

static char imap_dir[64];
static int imap_port, imaps_port;
static pid_t introspect_pid; /* the OAuth 2 token endpoint Dovecot asks */

/* Dovecot with a throwaway configuration in a directory of its own: user
 * "voicemail", password "hemligt", Maildir under imap_dir/mail. */
static void dovecot_start(void)
{
    cr_assert_eq(system("command -v dovecot >/dev/null"), 0,
                 "Dovecot is not installed: deploy/install-deps.sh test installs dovecot-imapd");
    snprintf(imap_dir, sizeof imap_dir, "/tmp/rv-imap-XXXXXX");
    cr_assert(mkdtemp(imap_dir));
    cr_assert_eq(chmod(imap_dir, 0755), 0); /* the mail user must get in */
    imap_port = free_port();
    do imaps_port = free_port();
    while (imaps_port == imap_port);
    int root = geteuid() == 0;
    unsigned uid = root ? 65534 : (unsigned)getuid(), gid = root ? 65534 : (unsigned)getgid();
    char users[256] = "";
    if (!root) { /* Dovecot as an ordinary user runs its services as that user */
        const char *me = getenv("USER") ? getenv("USER") : "nobody";
        snprintf(users, sizeof users, "default_internal_user = %s\ndefault_login_user = %s\n", me, me);
    }
    /* an OAuth 2 introspection endpoint: "good-token" is the user voicemail's */
    int introspect_port = free_port();
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", introspect_port);
    introspect_pid = fork();
    cr_assert(introspect_pid >= 0);
    if (introspect_pid == 0) {
        execl("/usr/bin/python3", "python3", "tests/oauth-introspect.py", port_s, "good-token", "voicemail",
              (char *)NULL);
        _exit(127);
    }
    cr_assert(listening(introspect_port), "the introspection endpoint listens");
    char conf[4096], path[256], cmd[1024];
    /* a certificate of its own for imaps, which pbx-sync trusts with --ca-file */
    snprintf(cmd, sizeof cmd,
             "cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2"
             " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
             imap_dir);
    cr_assert_eq(system(cmd), 0, "openssl makes a certificate");
    snprintf(conf, sizeof conf,
             "base_dir = %s/run\nstate_dir = %s/state\nlog_path = %s/dovecot.log\nprotocols = imap\n"
             "listen = 127.0.0.1\nssl = yes\nssl_cert = <%s/cert.pem\nssl_key = <%s/key.pem\n"
             "disable_plaintext_auth = no\nauth_mechanisms = plain xoauth2\n"
             "first_valid_uid = 1\nmail_location = maildir:%s/mail/%%u\n%s"
             "passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%%u %s/passwd\n}\n"
             "passdb {\n  driver = oauth2\n  mechanisms = xoauth2\n  args = %s/oauth2.conf.ext\n}\n"
             "userdb {\n  driver = static\n  args = uid=%u gid=%u home=%s/mail/%%u\n}\n"
             "service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n    port = %d\n  }\n"
             "  inet_listener imaps {\n    address = 127.0.0.1\n    port = %d\n  }\n}\n",
             imap_dir, imap_dir, imap_dir, imap_dir, imap_dir, imap_dir, users, imap_dir, imap_dir, uid, gid, imap_dir,
             imap_port, imaps_port);
    snprintf(path, sizeof path, "%s/dovecot.conf", imap_dir);
    write_file(path, conf);
    snprintf(conf, sizeof conf,
             "introspection_mode = post\nintrospection_url = http://127.0.0.1:%d/introspect\n"
             "username_attribute = username\nactive_attribute = active\nactive_value = true\n",
             introspect_port);
    snprintf(path, sizeof path, "%s/oauth2.conf.ext", imap_dir);
    write_file(path, conf);
    snprintf(path, sizeof path, "%s/passwd", imap_dir);
    write_file(path, "voicemail:{PLAIN}hemligt\n");
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir -p run state mail/voicemail/new mail/voicemail/cur mail/voicemail/tmp && "
             "chown -R %u:%u mail && dovecot -c dovecot.conf </dev/null >/dev/null 2>&1",
             imap_dir, uid, gid);
    cr_assert_eq(system(cmd), 0, "dovecot starts (log in %s/dovecot.log)", imap_dir);
    cr_assert(listening(imap_port), "dovecot does not listen on %d (log in %s/dovecot.log)", imap_port, imap_dir);
}

/* Dovecot stopped and its directory gone, whatever the test's outcome. */
static void dovecot_teardown(void)
{
    if (introspect_pid > 0) {
        kill(introspect_pid, SIGTERM);
        waitpid(introspect_pid, NULL, 0);
        introspect_pid = 0;
    }
    if (imap_dir[0]) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "kill $(cat %s/run/master.pid) 2>/dev/null; sleep 0.3; rm -rf '%s'", imap_dir,
                 imap_dir);
        cr_expect_eq(system(cmd), 0);
        imap_dir[0] = '\0';
    }
    teardown();
}

/* The messages in a folder ("" the inbox), as Maildir files. */
static int imap_count(const char *folder)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "find %s/mail/voicemail/%s%s/new %s/mail/voicemail/%s%s/cur -type f 2>/dev/null | wc -l",
             imap_dir, folder[0] ? "." : "", folder, imap_dir, folder[0] ? "." : "", folder);
    FILE *p = popen(cmd, "r");
    int n = 0;
    if (p) {
        if (fscanf(p, "%d", &n) != 1) n = 0;
        pclose(p);
    }
    return n;
}

/* A message delivered to the inbox: head, then a part with the file at
 * audio base64-encoded under type and name (audio NULL: head is all). The
 * server's INTERNALDATE is the file's time: at (0: now). */
static void deliver_at(const char *name, long long at, const char *head, const char *type, const char *file_name,
                       const char *audio)
{
    char path[256], cmd[1024];
    snprintf(path, sizeof path, "%s/mail/voicemail/tmp/%s", imap_dir, name);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(head, f);
    if (audio) {
        fprintf(f, "\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                   "Du har f\xc3\xa5tt ett r\xc3\xb6stmeddelande.\r\n"
                   "--b1\r\nContent-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\n"
                   "Content-Transfer-Encoding: base64\r\n\r\n",
                type, file_name, file_name);
        fclose(f);
        snprintf(cmd, sizeof cmd, "base64 -w 76 %s | sed 's/$/\\r/' >> %s && printf '\\r\\n--b1--\\r\\n' >> %s", audio,
                 path, path);
        cr_assert_eq(system(cmd), 0);
    } else fclose(f);
    if (at > 0) {
        snprintf(cmd, sizeof cmd, "touch -d @%lld %s", at, path);
        cr_assert_eq(system(cmd), 0);
    }
    /* delivered: moved into new/ whole, as an MTA does */
    snprintf(cmd, sizeof cmd, "chown %s %s && mv %s %s/mail/voicemail/new/%s",
             geteuid() == 0 ? "65534:65534" : "$(id -u):$(id -g)", path, path, imap_dir, name);
    cr_assert_eq(system(cmd), 0);
}

static void deliver(const char *name, const char *head, const char *type, const char *file_name, const char *audio)
{
    deliver_at(name, 0, head, type, file_name, audio);
}

/* One pass over the inbox over imap:// (Dovecot offers STARTTLS, which
 * pbx-sync takes, trusting the test's certificate). */
static int imap_sync(const char *password, const char *state, sink *out)
{
    char cmd[2048], pw[256];
    snprintf(pw, sizeof pw, "%s/imap.password", dir);
    write_secret(pw, password);
    snprintf(cmd, sizeof cmd,
             "%s pbx-sync imap --url imap://127.0.0.1:%d/INBOX --user voicemail --password-file %s --server %s"
             " --token-file %s/pbx.token --state %s/%s --once --tries 2 --ca-file %s/cert.pem 2>&1",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", imap_port, pw, base, dir, dir, state, imap_dir);
    return run(cmd, out);
}

#define MIME_HEAD "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n"

/* Teams/Exchange and Asterisk voicemail e-mails in a real IMAP folder: the
 * recipient's address finds the mailbox, MP3, WAV and raw GSM are sent
 * with their caller and time, and everything else goes to a folder for
 * people, none lost and none sent twice. */
Test(pbxsync, voicemail_by_email_is_synced_from_imap, .fini = dovecot_teardown) {
    sink o, out;
    char p[512], mp3[256], gsm[256], junk[256];
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\","
                       "\"email\":\"anna.svensson@kommun.se\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    snprintf(p, sizeof p, "%s/pbx.token", dir);
    write_secret(p, pbx);
    /* the directory lookup a pbx token may make, and only that */
    cr_expect_eq(call("GET", "/v1/mailboxes?email=Anna.Svensson@KOMMUN.se", pbx, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"ext\":\"4711\"") != NULL, "%s", o.buf);
    cr_expect_eq(call("GET", "/v1/mailboxes", pbx, NULL, &o), 403);
    snprintf(mp3, sizeof mp3, "%s/audio.mp3", dir);
    convert("samples/v01-bygglov.wav", mp3, SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III);
    snprintf(gsm, sizeof gsm, "%s/msg0002.gsm", dir);
    convert("samples/v03-ring-mig.wav", gsm, SF_FORMAT_RAW | SF_FORMAT_GSM610);
    snprintf(junk, sizeof junk, "%s/junk.mp3", dir);
    write_file(junk, "ID3 this is not an MP3 at all, just bytes that claim to be one ..............");
    dovecot_start();
    /* Teams / Exchange: Content-Class Voice-CA, the caller in X-CallingTelephoneNumber;
     * each received by the server (INTERNALDATE) when its Date says */
    deliver_at("1.teams", 1796285700, "Date: Thu, 03 Dec 2026 09:15:00 +0100\r\nFrom: \"Lars Holm\" <lars.holm@example.se>\r\n"
            "To: \"Anna Svensson\" <Anna.Svensson@kommun.se>\r\nMessage-ID: <teams-1@kommun.se>\r\n"
            "Subject: =?utf-8?Q?R=C3=B6stmeddelande_fr=C3=A5n_Lars_Holm?=\r\nContent-Class: Voice-CA\r\n"
            "X-CallingTelephoneNumber: +46701234567\r\nX-VoiceMessageSenderName: Lars Holm\r\n"
            "X-VoiceMessageDuration: 12\r\nX-AttachmentOrder: audio.mp3\r\n" MIME_HEAD,
            "audio/mpeg", "audio.mp3", mp3);
    /* Asterisk attach=yes, format wav and gsm */
    deliver_at("2.asterisk", 1796289300, "Date: Thu, 03 Dec 2026 10:15:00 +0000\r\nFrom: \"Asterisk PBX\" <asterisk@pbx.kommun.se>\r\n"
            "To: \"Anna Svensson\" <anna.svensson@kommun.se>\r\nMessage-ID: <Asterisk-1-1796289300-4711@pbx>\r\n"
            "Subject: [PBX]: New message 1 in mailbox 4711\r\nX-Asterisk-VM-Message-Num: 1\r\n"
            "X-Asterisk-VM-Context: default\r\nX-Asterisk-VM-Extension: 4711\r\n"
            "X-Asterisk-VM-Caller-ID-Num: 070123456\r\nX-Asterisk-VM-Caller-ID-Name: Kund\r\n"
            "X-Asterisk-VM-Duration: 9\r\nX-Asterisk-VM-Message-Type: Message\r\n"
            "X-Asterisk-VM-Orig-time: 1796289300\r\nX-Asterisk-VM-Message-ID: 1796289300-00000001\r\n"
            "X-Asterisk-CallerID: 070123456\r\nX-Asterisk-CallerIDName: Kund\r\n" MIME_HEAD,
            "audio/x-wav", "msg0001.wav", "samples/v02-faktura.wav");
    deliver("3.asterisk", "Date: Thu, 03 Dec 2026 11:00:00 +0000\r\nFrom: asterisk@pbx.kommun.se\r\n"
            "To: anna.svensson@kommun.se\r\nMessage-ID: <Asterisk-2-1796292000-4711@pbx>\r\n"
            "Subject: [PBX]: New message 2 in mailbox 4711\r\nX-Asterisk-CallerID: +4687001234\r\n" MIME_HEAD,
            "audio/x-gsm", "msg0002.gsm", gsm);
    /* what a person must look at */
    deliver("4.noaudio", "Date: Thu, 03 Dec 2026 11:05:00 +0000\r\nFrom: a@kommun.se\r\nTo: anna.svensson@kommun.se\r\n"
            "Message-ID: <missed-1@kommun.se>\r\nSubject: Missat samtal\r\nContent-Type: text/plain\r\n\r\nMissat samtal.\r\n",
            NULL, NULL, NULL);
    deliver("5.broken", "Date: Thu, 03 Dec 2026 11:10:00 +0000\r\nFrom: a@kommun.se\r\nTo: anna.svensson@kommun.se\r\n"
            "Message-ID: <broken-1@kommun.se>\r\nSubject: Voicemail\r\n" MIME_HEAD,
            "audio/mpeg", "audio.mp3", junk);
    deliver("6.wma", "Date: Thu, 03 Dec 2026 11:20:00 +0000\r\nFrom: a@kommun.se\r\nTo: anna.svensson@kommun.se\r\n"
            "Message-ID: <wma-1@kommun.se>\r\nSubject: Voicemail\r\nContent-Class: Voice\r\n" MIME_HEAD,
            "audio/x-ms-wma", "audio.wma", junk);
    deliver("7.stranger", "Date: Thu, 03 Dec 2026 11:30:00 +0000\r\nFrom: a@kommun.se\r\nTo: nobody@kommun.se\r\n"
            "Message-ID: <stranger-1@kommun.se>\r\nSubject: Voicemail\r\n" MIME_HEAD,
            "audio/mpeg", "audio.mp3", mp3);
    cr_assert_eq(imap_count(""), 7);

    cr_expect_eq(imap_sync("hemligt\n", "imap.state", &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "4711: voicemail audio/mpeg \"audio.mp3\" sent as") != NULL, "%s", out.buf);
    cr_expect(strstr(out.buf, "no audio attachment; moved to rostvakt-problems") != NULL, "%s", out.buf);
    cr_expect(strstr(out.buf, "is WMA, which rostvakt does not read") != NULL, "%s", out.buf);
    cr_expect(strstr(out.buf, "refused (415") != NULL, "the broken attachment: %s", out.buf);
    cr_expect(strstr(out.buf, "no mailbox in the directory has the address nobody@kommun.se") != NULL, "%s", out.buf);
    cr_expect_eq(imap_count(""), 0, "the inbox is emptied: %s", out.buf);
    cr_expect_eq(imap_count("rostvakt-done"), 3);
    cr_expect_eq(imap_count("rostvakt-problems"), 4, "never lost: %s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 3);
    cr_assert_eq(call("GET", "/v1/voicemails?ext=4711", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"caller\":\"+46701234567\"") && strstr(o.buf, "\"received_at\":\"2026-12-03T08:15:00Z\""),
              "Teams: the caller's header and the server's INTERNALDATE: %s", o.buf);
    cr_expect(strstr(o.buf, "\"caller\":\"070123456\"") && strstr(o.buf, "\"received_at\":\"2026-12-03T09:15:00Z\""),
              "Asterisk: its caller and the server's INTERNALDATE: %s", o.buf);
    cr_expect(strstr(o.buf, "\"caller\":\"+4687001234\"") != NULL, "raw GSM: %s", o.buf);

    /* a pass with nothing new sends nothing */
    cr_expect_eq(imap_sync("hemligt\n", "imap.state", &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "sent as") == NULL, "%s", out.buf);
    /* the same e-mail again (a move lost, the state too): not stored twice */
    deliver("8.again", "Date: Thu, 03 Dec 2026 09:15:00 +0100\r\nFrom: lars.holm@example.se\r\n"
            "To: anna.svensson@kommun.se\r\nMessage-ID: <teams-1@kommun.se>\r\nX-CallingTelephoneNumber: +46701234567\r\n"
            MIME_HEAD, "audio/mpeg", "audio.mp3", mp3);
    cr_expect_eq(imap_sync("hemligt\n", "other.state", &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "the service had it already") != NULL, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 3);
    cr_expect_eq(imap_count("rostvakt-done"), 4);

    /* wrong credentials: a clear error, exit 78, nothing touched */
    deliver("9.later", "Date: Thu, 03 Dec 2026 12:00:00 +0000\r\nFrom: a@kommun.se\r\nTo: anna.svensson@kommun.se\r\n"
            "Message-ID: <later-1@kommun.se>\r\n" MIME_HEAD, "audio/x-wav", "msg0003.wav", "samples/v04-overklaga.wav");
    cr_expect_eq(imap_sync("fel\n", "imap.state", &out), 78, "%s", out.buf);
    cr_expect(strstr(out.buf, "wrong user name or password") != NULL, "%s", out.buf);
    cr_expect_eq(imap_count(""), 1);
    /* the service down: the message stays in the inbox, exit 75; then sent */
    stop_server();
    cr_expect_eq(imap_sync("hemligt\n", "imap.state", &out), 75, "%s", out.buf);
    cr_expect_eq(imap_count(""), 1, "%s", out.buf);
    start_server("1");
    cr_expect_eq(imap_sync("hemligt\n", "imap.state", &out), 0, "%s", out.buf);
    cr_expect_eq(imap_count(""), 0, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 4);
    /* over TLS (imaps): a certificate nobody vouches for is refused, one
     * --ca-file trusts is not */
    deliver("10.tls", "Date: Thu, 03 Dec 2026 13:00:00 +0000\r\nFrom: a@kommun.se\r\nTo: anna.svensson@kommun.se\r\n"
            "Message-ID: <tls-1@kommun.se>\r\n" MIME_HEAD, "audio/x-wav", "msg0004.wav", "samples/v05-hangup.wav");
    char tls[2048], pw[256];
    snprintf(pw, sizeof pw, "%s/imap.password", dir);
    snprintf(tls, sizeof tls,
             "%s pbx-sync imap --url imaps://127.0.0.1:%d/INBOX --user voicemail --password-file %s --server %s"
             " --token-file %s/pbx.token --state %s/imap.state --once 2>&1",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", imaps_port, pw, base, dir, dir);
    cr_expect_eq(run(tls, &out), 75, "%s", out.buf);
    cr_expect(strstr(out.buf, "certificate") != NULL, "%s", out.buf);
    cr_expect_eq(imap_count(""), 1);
    snprintf(tls + strlen(tls) - 5, sizeof tls - strlen(tls) + 5, " --ca-file %s/cert.pem 2>&1", imap_dir);
    cr_expect_eq(run(tls, &out), 0, "%s", out.buf);
    cr_expect_eq(imap_count(""), 0, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 5);
    /* Exchange Online's way in: an OAuth 2 access token (XOAUTH2), read from
     * its file each pass; an expired one is refused like a wrong password */
    deliver("11.oauth", "Date: Thu, 03 Dec 2026 14:00:00 +0000\r\nFrom: a@kommun.se\r\nTo: anna.svensson@kommun.se\r\n"
            "Message-ID: <oauth-1@kommun.se>\r\n" MIME_HEAD, "audio/mpeg", "audio.mp3", mp3);
    char bearer[256];
    snprintf(bearer, sizeof bearer, "%s/imap.token", dir);
    write_secret(bearer, "expired-token\n");
    snprintf(tls, sizeof tls,
             "%s pbx-sync imap --url imaps://127.0.0.1:%d/INBOX --user voicemail --bearer-file %s --server %s"
             " --token-file %s/pbx.token --state %s/imap.state --once --ca-file %s/cert.pem 2>&1",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt", imaps_port, bearer, base, dir, dir, imap_dir);
    cr_expect_eq(run(tls, &out), 78, "%s", out.buf);
    cr_expect(strstr(out.buf, "OAuth token") != NULL, "%s", out.buf);
    cr_expect_eq(imap_count(""), 1);
    write_secret(bearer, "good-token\n");
    cr_expect_eq(run(tls, &out), 0, "%s", out.buf);
    cr_expect_eq(imap_count(""), 0, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 6);
}

/* ---- what a hostile or broken spool, database or mailbox must not do ---- */

static const char *exe(void)
{
    return getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt";
}

/* rostvakt pbx-sync ARGS in the background, its output and errors on *out:
 * its pid (the program itself, not a shell). */
static pid_t spawn_sync(const char *args, FILE **out)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t p = fork();
    cr_assert(p >= 0);
    if (p == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "exec %s pbx-sync %s", exe(), args);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    *out = fdopen(fds[0], "r");
    cr_assert(*out);
    return p;
}

/* Lines of f into log until one holding what: 1, or 0 at its end. */
static int read_until(FILE *f, const char *what, sink *log)
{
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        size_t l = strlen(line);
        if (log->len + l < sizeof log->buf) {
            memcpy(log->buf + log->len, line, l + 1);
            log->len += l;
        }
        if (strstr(line, what)) return 1;
    }
    return 0;
}

/* SIGTERM to p; its exit status (-1: it did not exit by itself). */
static int terminate(pid_t p)
{
    int st;
    cr_assert_eq(kill(p, SIGTERM), 0);
    cr_assert_eq(waitpid(p, &st, 0), p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Mailbox 4711 in the directory, the pbx token in dir/pbx.token, and
 * dir/spool/CTX/4711/INBOX made. */
static void spool_for(const char *ctx)
{
    sink o;
    char cmd[1024], p[512];
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    snprintf(p, sizeof p, "%s/pbx.token", dir);
    write_secret(p, pbx);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/spool/%s/4711/INBOX'", dir, ctx);
    cr_assert_eq(system(cmd), 0);
}

/* Message NNNN of 4711 in context ctx: a copy of sample, and its .txt. */
static void spool_message(const char *ctx, int n, const char *sample, long origtime)
{
    char p[512], cmd[1024], id[64];
    snprintf(cmd, sizeof cmd, "cp %s '%s/spool/%s/4711/INBOX/msg%04d.wav'", sample, dir, ctx, n);
    cr_assert_eq(system(cmd), 0);
    snprintf(p, sizeof p, "%s/spool/%s/4711/INBOX/msg%04d.txt", dir, ctx, n);
    snprintf(id, sizeof id, "%ld-%08d", origtime, n);
    asterisk_txt(p, "<+4687001234>", origtime, id);
}

/* A FIFO where a message's .txt belongs would hold open() for ever: it is
 * left alone, the messages after it are sent, and SIGTERM ends the run. */
Test(pbxsync, a_fifo_in_the_spool_neither_blocks_nor_keeps_sigterm_out) {
    spool_for("default");
    spool_message("default", 5, "samples/v01-bygglov.wav", 1764756900);
    spool_message("default", 7, "samples/v02-faktura.wav", 1764757900);
    char p[512], args[1024];
    snprintf(p, sizeof p, "%s/spool/default/4711/INBOX/msg0006.txt", dir);
    cr_assert_eq(mkfifo(p, 0600), 0);
    snprintf(p, sizeof p, "cp samples/v03-ring-mig.wav %s/spool/default/4711/INBOX/msg0006.wav", dir);
    cr_assert_eq(system(p), 0);
    snprintf(args, sizeof args,
             "asterisk --spool %s/spool --server %s --token-file %s/pbx.token --state %s/sync.state --interval 3600",
             dir, base, dir, dir);
    FILE *out;
    sink log = {0};
    pid_t sync = spawn_sync(args, &out);
    cr_expect(read_until(out, "pass done", &log), "the pass ends: %s", log.buf);
    cr_expect_eq(terminate(sync), 0, "SIGTERM ends it: %s", log.buf);
    fclose(out);
    cr_expect(strstr(log.buf, "msg0006.txt: not a regular file") != NULL, "%s", log.buf);
    cr_expect(strstr(log.buf, "voicemail msg0007 sent") != NULL, "%s", log.buf);
    cr_expect_eq(count_voicemails("4711"), 2, "%s", log.buf);
}

/* SIGTERM while an upload waits for the service ends the run at once, and
 * nothing is lost: the next run sends it. */
Test(pbxsync, sigterm_ends_a_run_that_waits_for_the_service) {
    spool_for("default");
    spool_message("default", 0, "samples/v01-bygglov.wav", 1764756900);
    char args[1024], was[64];
    snprintf(was, sizeof was, "%s", base);
    stop_server();
    snprintf(args, sizeof args,
             "asterisk --spool %s/spool --server %s --token-file %s/pbx.token --state %s/sync.state --once --tries 100",
             dir, was, dir, dir);
    FILE *out;
    sink log = {0}, o;
    pid_t sync = spawn_sync(args, &out);
    cr_expect(read_until(out, "trying again", &log), "%s", log.buf);
    cr_expect_eq(terminate(sync), 0, "SIGTERM ends it: %s", log.buf);
    fclose(out);
    start_server("1");
    cr_expect_eq(pbx_sync(NULL, &o), 0, "%s", o.buf);
    cr_expect_eq(count_voicemails("4711"), 1, "%s", o.buf);
}

/* A newline in a context's directory name or a FreeSWITCH uuid is kept in
 * the state file without breaking its lines: the next run reads it, and
 * sends nothing twice. */
Test(pbxsync, a_newline_in_a_name_does_not_damage_the_state) {
    sink out;
    spool_for("de\nfault");
    spool_message("de\nfault", 0, "samples/v01-bygglov.wav", 1764756900);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp samples/g01-anna-svensson.wav '%s/spool/de\nfault/4711/unavail.wav'", dir);
    cr_assert_eq(system(cmd), 0);
    cr_expect_eq(pbx_sync(NULL, &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "greeting sent") != NULL, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 1, "%s", out.buf);
    cr_expect_eq(pbx_sync(NULL, &out), 0, "the state is read again: %s", out.buf);
    cr_expect(strstr(out.buf, "greeting sent") == NULL, "not sent twice: %s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 1, "%s", out.buf);

    char db[256], sync[2048];
    snprintf(db, sizeof db, "%s/voicemail_default.db", dir);
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/fs/4711 && cp samples/v02-faktura.wav %s/fs/4711/msg_a.wav && sqlite3 %s \""
             "CREATE TABLE voicemail_msgs (created_epoch INTEGER, read_epoch INTEGER, username VARCHAR(255),"
             " domain VARCHAR(255), uuid VARCHAR(255), cid_name VARCHAR(255), cid_number VARCHAR(255),"
             " in_folder VARCHAR(255), file_path VARCHAR(255), message_len INTEGER, flags VARCHAR(255),"
             " read_flags VARCHAR(255), forwarded_by VARCHAR(255));"
             "INSERT INTO voicemail_msgs VALUES (1764756900, 0, '4711', 'kommun.se', 'a' || char(10) || 'b\\\\c' ||"
             " char(9), '', '070123', 'inbox', '4711/msg_a.wav', 12, '', '', '');\"",
             dir, dir, db);
    cr_assert_eq(system(cmd), 0);
    snprintf(sync, sizeof sync,
             "%s pbx-sync freeswitch --db %s --storage %s/fs --server %s --token-file %s/pbx.token --state %s/fs.state"
             " --once 2>&1",
             exe(), db, dir, base, dir, dir);
    cr_expect_eq(run(sync, &out), 0, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 2, "%s", out.buf);
    cr_expect_eq(run(sync, &out), 0, "the state is read again: %s", out.buf);
    cr_expect(strstr(out.buf, "sent as") == NULL, "not sent twice: %s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 2, "%s", out.buf);
}

/* A message whose caller id or time the service refuses (400) is sent
 * again without that header, and says so: stored, not retried for ever. */
Test(pbxsync, a_voicemail_with_a_header_the_service_refuses_is_kept) {
    sink out, o;
    spool_for("default");
    char p[512], cmd[1024];
    static char text[8192], digits[5001];
    memset(digits, '7', 5000);
    snprintf(cmd, sizeof cmd, "cp samples/v01-bygglov.wav %s/spool/default/4711/INBOX/msg0000.wav", dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "cp samples/v02-faktura.wav %s/spool/default/4711/INBOX/msg0001.wav", dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(text, sizeof text, "[message]\norigmailbox=4711\ncallerid=<%s>\norigtime=1\nmsg_id=1-00000000\n", digits);
    snprintf(p, sizeof p, "%s/spool/default/4711/INBOX/msg0000.txt", dir);
    write_file(p, text);
    snprintf(text, sizeof text, "[message]\norigmailbox=4711\ncallerid=<%s>\norigtime=1764757000\nmsg_id=x-1\n", digits);
    snprintf(p, sizeof p, "%s/spool/default/4711/INBOX/msg0001.txt", dir);
    write_file(p, text);
    cr_expect_eq(pbx_sync(NULL, &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "without X-Received-At") != NULL, "%s", out.buf);
    cr_expect(strstr(out.buf, "without X-Caller-Number") != NULL, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 2, "both stored: %s", out.buf);
    cr_assert_eq(call("GET", "/v1/voicemails?ext=4711", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"received_at\":\"2025-12-03T10:16:40Z\"") != NULL, "a good time is kept: %s", o.buf);
    cr_expect(strstr(o.buf, "\"received_at\":\"1970") == NULL, "%s", o.buf);
    cr_expect(strstr(o.buf, "77777777") == NULL, "%s", o.buf);
    cr_expect_eq(pbx_sync(NULL, &out), 0, "%s", out.buf);
    cr_expect(strstr(out.buf, "sent as") == NULL, "not again: %s", out.buf);
}

/* A folder of the spool it may not read is said, not taken for an empty
 * one; read again once it may, its messages are sent. (Run as root, the
 * program is started without the power to override file modes.) */
Test(pbxsync, a_folder_it_cannot_read_is_said) {
    sink out;
    spool_for("default");
    spool_message("default", 0, "samples/v01-bygglov.wav", 1764756900);
    char inbox[512];
    snprintf(inbox, sizeof inbox, "%s/spool/default/4711/INBOX", dir);
    cr_assert_eq(chmod(inbox, 0), 0);
    const char *as = geteuid() == 0 ? "setpriv --bounding-set=-dac_override,-dac_read_search" : "";
    for (int pass = 0; pass < 2; pass++) { /* said each pass, and the status */
        cr_expect_eq(pbx_sync_as(as, NULL, &out), 1, "%s", out.buf);
        cr_expect(strstr(out.buf, "INBOX: cannot read it (Permission denied), so nothing in it is sent") != NULL,
                  "pass %d: %s", pass, out.buf);
    }
    cr_expect_eq(count_voicemails("4711"), 0, "%s", out.buf);
    cr_assert_eq(chmod(inbox, 0755), 0);
    cr_expect_eq(pbx_sync_as(as, NULL, &out), 0, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 1, "read once it may be: %s", out.buf);
}

/* The caller's number is the last <...> of callerid: a name with a < of
 * its own does not lose it. */
Test(pbxsync, a_callers_name_with_angle_brackets_keeps_the_number) {
    sink o, out;
    spool_for("default");
    char cmd[1024], p[512];
    snprintf(cmd, sizeof cmd, "cp samples/v01-bygglov.wav '%s/spool/default/4711/INBOX/msg0000.wav'", dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(p, sizeof p, "%s/spool/default/4711/INBOX/msg0000.txt", dir);
    asterisk_txt(p, "\"<x> Name\" <+46701111111>", 1764756900, "1764756900-00000000");
    cr_expect_eq(pbx_sync(NULL, &out), 0, "%s", out.buf);
    cr_assert_eq(call("GET", "/v1/voicemails?ext=4711", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"caller\":\"+46701111111\"") != NULL, "%s | %s", o.buf, out.buf);
}

/* Symbolic links in the spool are not followed out of it: a message, a
 * folder, a greeting or a context that points elsewhere is not sent; and a
 * FreeSWITCH path outside --storage is not read. */
Test(pbxsync, links_and_paths_out_of_the_spool_are_refused) {
    sink out;
    spool_for("default");
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir -p outside/Work outside/ctx/4711/INBOX && cp $OLDPWD/samples/v01-bygglov.wav outside/secret.wav"
             " && cp $OLDPWD/samples/g01-anna-svensson.wav outside/greeting.wav"
             " && cp $OLDPWD/samples/v02-faktura.wav outside/Work/msg0001.wav"
             " && cp $OLDPWD/samples/v03-ring-mig.wav outside/ctx/4711/INBOX/msg0002.wav"
             " && ln -s %s/outside/secret.wav spool/default/4711/INBOX/msg0000.wav"
             " && ln -s %s/outside/Work spool/default/4711/Work"
             " && ln -s %s/outside/greeting.wav spool/default/4711/unavail.wav"
             " && ln -s %s/outside/ctx spool/linked",
             dir, dir, dir, dir, dir);
    cr_assert_eq(system(cmd), 0);
    char p[512];
    snprintf(p, sizeof p, "%s/spool/default/4711/INBOX/msg0000.txt", dir);
    asterisk_txt(p, "<+4687001234>", 1764756900, "1764756900-00000000");
    snprintf(p, sizeof p, "%s/outside/Work/msg0001.txt", dir);
    asterisk_txt(p, "<+4687001235>", 1764757000, "1764757000-00000001");
    snprintf(p, sizeof p, "%s/outside/ctx/4711/INBOX/msg0002.txt", dir);
    asterisk_txt(p, "<+4687001236>", 1764758000, "1764758000-00000002");
    pbx_sync(NULL, &out);
    cr_expect(strstr(out.buf, "sent as") == NULL && strstr(out.buf, "greeting sent") == NULL,
              "nothing from outside the spool: %s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 0, "%s", out.buf);

    char db[256], sync[2048];
    snprintf(db, sizeof db, "%s/voicemail_default.db", dir);
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/fs/4711 && sqlite3 %s \""
             "CREATE TABLE voicemail_msgs (created_epoch INTEGER, read_epoch INTEGER, username VARCHAR(255),"
             " domain VARCHAR(255), uuid VARCHAR(255), cid_name VARCHAR(255), cid_number VARCHAR(255),"
             " in_folder VARCHAR(255), file_path VARCHAR(255), message_len INTEGER, flags VARCHAR(255),"
             " read_flags VARCHAR(255), forwarded_by VARCHAR(255));"
             "CREATE TABLE voicemail_prefs (username VARCHAR(255), domain VARCHAR(255), name_path VARCHAR(255),"
             " greeting_path VARCHAR(255), password VARCHAR(255));"
             "INSERT INTO voicemail_msgs VALUES (1764756900, 0, '4711', 'kommun.se', 'u1', '', '070123', 'inbox',"
             " '%s/outside/secret.wav', 12, '', '', '');"
             "INSERT INTO voicemail_msgs VALUES (1764757000, 0, '4711', 'kommun.se', 'u2', '', '070123', 'inbox',"
             " '../outside/Work/msg0001.wav', 12, '', '', '');"
             "INSERT INTO voicemail_prefs VALUES ('4711', 'kommun.se', '', '%s/outside/greeting.wav', '');\"",
             dir, db, dir, dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(sync, sizeof sync,
             "%s pbx-sync freeswitch --db %s --storage %s/fs --server %s --token-file %s/pbx.token --state %s/fs.state"
             " --once 2>&1",
             exe(), db, dir, base, dir, dir);
    run(sync, &out);
    cr_expect(strstr(out.buf, "sent as") == NULL && strstr(out.buf, "greeting sent") == NULL,
              "nothing from outside --storage: %s", out.buf);
    cr_expect(strstr(out.buf, "outside") != NULL, "said why: %s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 0, "%s", out.buf);
}

/* A pass in which the service refused everything is not a success: an
 * unknown token is a configuration mistake (78), a mailbox the directory
 * lacks is tried again (75). */
Test(pbxsync, a_pass_with_every_upload_refused_is_not_success) {
    sink out;
    spool_for("default");
    spool_message("default", 0, "samples/v01-bygglov.wav", 1764756900);
    char p[512], cmd[1024];
    snprintf(p, sizeof p, "%s/pbx.token", dir);
    write_secret(p, "rv_nobody_knows_this_token\n");
    cr_expect_eq(pbx_sync(NULL, &out), 78, "%s", out.buf);
    cr_expect(strstr(out.buf, "401") != NULL, "%s", out.buf);
    write_secret(p, pbx);
    snprintf(cmd, sizeof cmd, "mkdir -p %s/spool/default/4799/INBOX && cp samples/v02-faktura.wav"
                              " %s/spool/default/4799/INBOX/msg0000.wav", dir, dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(p, sizeof p, "%s/spool/default/4799/INBOX/msg0000.txt", dir);
    asterisk_txt(p, "<070123>", 1764756000, "1764756000-00000001");
    cr_expect_eq(pbx_sync(NULL, &out), 0, "one sent, one refused: %s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 1);
    cr_expect_eq(pbx_sync(NULL, &out), 75, "only refused: %s", out.buf);
    cr_expect(strstr(out.buf, "4799: voicemail msg0000 refused (404") != NULL, "%s", out.buf);
}

/* A token file others may read is refused before anything is sent, with
 * what to do; at 0600 the same file is used. */
Test(pbxsync, a_token_file_others_may_read_is_refused) {
    sink out;
    spool_for("default");
    spool_message("default", 0, "samples/v01-bygglov.wav", 1764756900);
    char p[512], want[600];
    snprintf(p, sizeof p, "%s/pbx.token", dir);
    cr_assert_eq(chmod(p, 0644), 0);
    cr_expect_eq(pbx_sync(NULL, &out), 78, "%s", out.buf);
    snprintf(want, sizeof want, "--token-file %s must be mode 0600, not 0644", p);
    cr_expect(strstr(out.buf, want) != NULL, "%s", out.buf);
    snprintf(want, sizeof want, "chmod 0600 %s", p);
    cr_expect(strstr(out.buf, want) != NULL, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 0);
    cr_assert_eq(chmod(p, 0600), 0);
    cr_expect_eq(pbx_sync(NULL, &out), 0, "%s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 1);
}

/* The IMAP password and OAuth token files: the same rule, checked before
 * any connection (nothing listens at the --url). */
Test(pbxsync, imap_secret_files_others_may_read_are_refused) {
    static const struct {
        const char *flag, *file;
        mode_t mode;
    } secrets[] = {{"--password-file", "imap.password", 0640}, {"--bearer-file", "imap.token", 0644}};
    sink out;
    char tok[512], p[512], cmd[2048], want[600];
    snprintf(tok, sizeof tok, "%s/pbx.token", dir);
    write_secret(tok, pbx);
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, secrets[i].file);
        write_file(p, "hemligt\n");
        cr_assert_eq(chmod(p, secrets[i].mode), 0);
        snprintf(cmd, sizeof cmd,
                 "%s pbx-sync imap --url imap://127.0.0.1:%d/INBOX --user voicemail %s %s --server %s"
                 " --token-file %s --state %s/imap.state --once 2>&1",
                 exe(), free_port(), secrets[i].flag, p, base, tok, dir);
        cr_expect_eq(run(cmd, &out), 78, "%s", out.buf);
        snprintf(want, sizeof want, "%s %s must be mode 0600, not %04o", secrets[i].flag, p, (unsigned)secrets[i].mode);
        cr_expect(strstr(out.buf, want) != NULL, "%s", out.buf);
        snprintf(want, sizeof want, "chmod 0600 %s", p);
        cr_expect(strstr(out.buf, want) != NULL, "%s", out.buf);
    }
}

/* IMAP: the recipient is the address the server delivered to (its topmost
 * Delivered-To), not one the sender wrote (X-Original-To, a Delivered-To of
 * its own), and the time is when the server received it (INTERNALDATE),
 * not a Date the sender backdated. */
Test(pbxsync, imap_trusts_what_the_server_added, .fini = dovecot_teardown) {
    sink o, out;
    char p[512];
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\","
                       "\"email\":\"anna.svensson@kommun.se\"}";
    const char *bo = "{\"first_name\":\"Bo\",\"last_name\":\"Chef\",\"unit\":\"Ekonomienheten\","
                     "\"email\":\"bo.chef@kommun.se\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    cr_assert_eq(call("PUT", "/v1/mailboxes/4712", pbx, bo, &o), 201);
    snprintf(p, sizeof p, "%s/pbx.token", dir);
    write_secret(p, pbx);
    dovecot_start();
    deliver_at("1.forged", 1796464800,
               "Delivered-To: anna.svensson@kommun.se\r\nX-Original-To: bo.chef@kommun.se\r\n"
               "Delivered-To: bo.chef@kommun.se\r\nDate: Mon, 01 Jan 2001 00:00:00 +0000\r\n"
               "X-Asterisk-VM-Orig-time: 978307200\r\nFrom: a@example.se\r\nTo: bo.chef@kommun.se\r\n"
               "Message-ID: <forged-1@example.se>\r\n" MIME_HEAD,
               "audio/x-wav", "msg0001.wav", "samples/v02-faktura.wav");
    cr_expect_eq(imap_sync("hemligt\n", "imap.state", &out), 0, "%s", out.buf);
    cr_expect_eq(count_voicemails("4712"), 0, "the sender's headers pick no mailbox: %s", out.buf);
    cr_expect_eq(count_voicemails("4711"), 1, "the server's Delivered-To does: %s", out.buf);
    cr_assert_eq(call("GET", "/v1/voicemails?ext=4711", officer, NULL, &o), 200);
    cr_expect(strstr(o.buf, "\"received_at\":\"2026-12-05T10:00:00Z\"") != NULL, "INTERNALDATE, not 2001: %s", o.buf);
}
