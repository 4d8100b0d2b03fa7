/* The archive: SQLite (WAL, synchronous=FULL) and content-addressed audio.
 * The only file that knows the schema or speaks SQL. */
#include "rostvakt/store.h"
#include "rostvakt/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <openssl/evp.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* The segment a store appends to. */
typedef struct {
    pthread_mutex_t lock;
    int fd; /* -1 until its first recording */
    char name[24];
    long long end;
} seg_file;

struct rv_store {
    sqlite3 *db;
    char dir[4096];
    seg_file seg;
};

/* A segment is closed for appending once it holds this much. */
#define SEGMENT_MAX (256LL << 20)

/* Migrations: migrations[i] takes the schema from version i to i + 1. They
 * are only ever appended. */
static const char *const migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE mailboxes ("
    "  ext TEXT PRIMARY KEY CHECK (ext GLOB '[0-9]*' AND ext NOT GLOB '*[^0-9]*'),"
    "  first_name TEXT NOT NULL, last_name TEXT NOT NULL, unit TEXT NOT NULL,"
    "  org TEXT NOT NULL DEFAULT '', profile TEXT NOT NULL DEFAULT 'default',"
    "  mobile TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
    "CREATE TABLE greetings ("
    "  id INTEGER PRIMARY KEY, ext TEXT NOT NULL REFERENCES mailboxes(ext),"
    "  audio_sha256 TEXT, content_type TEXT, received_at TEXT NOT NULL,"
    "  removed INTEGER NOT NULL DEFAULT 0, report TEXT, analysed_at TEXT,"
    "  models_version TEXT);"
    "CREATE INDEX greetings_ext ON greetings(ext, id);"
    "CREATE TABLE voicemails ("
    "  id INTEGER PRIMARY KEY, ext TEXT NOT NULL REFERENCES mailboxes(ext),"
    "  audio_sha256 TEXT NOT NULL, content_type TEXT NOT NULL, bytes INTEGER NOT NULL,"
    "  caller TEXT NOT NULL DEFAULT '', received_at TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'queued', classification TEXT, report TEXT,"
    "  analysed_at TEXT, callback_at TEXT, disposed_at TEXT);"
    "CREATE INDEX voicemails_received ON voicemails(received_at DESC, id DESC);"
    "CREATE INDEX voicemails_state ON voicemails(state, id);"
    "CREATE TABLE decisions ("
    "  id INTEGER PRIMARY KEY, voicemail_id INTEGER NOT NULL REFERENCES voicemails(id),"
    "  decision TEXT NOT NULL CHECK (decision IN ('registered','not_public_record','dispose')),"
    "  diarienummer TEXT, note TEXT, actor TEXT NOT NULL, decided_at TEXT NOT NULL);"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, remote TEXT NOT NULL,"
    "  action TEXT NOT NULL, voicemail_id INTEGER, ext TEXT, detail TEXT);"
    "CREATE INDEX audit_voicemail ON audit(voicemail_id, id);",
    /* 1 -> 2: greeting verdicts, and each mailbox's current greeting */
    "ALTER TABLE greetings ADD COLUMN bytes INTEGER;"
    "ALTER TABLE greetings ADD COLUMN compliant INTEGER;"
    "ALTER TABLE greetings ADD COLUMN violations TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE greetings ADD COLUMN missing_reason TEXT;"
    "ALTER TABLE greetings ADD COLUMN absence_until TEXT;"
    "ALTER TABLE greetings ADD COLUMN profile TEXT;"
    "ALTER TABLE mailboxes ADD COLUMN greeting_id INTEGER REFERENCES greetings(id);"
    "CREATE INDEX mailboxes_unit ON mailboxes(unit, ext);",
    /* 2 -> 3: the sweep asks who else points to a recording before deleting it */
    "CREATE INDEX voicemails_audio ON voicemails(audio_sha256);"
    "CREATE INDEX greetings_audio ON greetings(audio_sha256);",
    /* 3 -> 4: a voicemail's latest decision without scanning them all */
    "CREATE INDEX decisions_voicemail ON decisions(voicemail_id, id);",
    /* 4 -> 5: audio in append-only segments; older recordings stay files */
    "CREATE TABLE audio (sha256 TEXT PRIMARY KEY, segment TEXT NOT NULL, at INTEGER NOT NULL,"
    "  len INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX audio_segment ON audio(segment, at);",
    /* 5 -> 6: greetings a person should listen to, and what they heard */
    "ALTER TABLE greetings ADD COLUMN review TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE reviews (id INTEGER PRIMARY KEY, greeting_id INTEGER NOT NULL REFERENCES greetings(id),"
    "  name TEXT CHECK (name IN ('stated','not_stated')), unit TEXT CHECK (unit IN ('stated','not_stated')),"
    "  org TEXT CHECK (org IN ('stated','not_stated')), closing TEXT CHECK (closing IN ('stated','not_stated')),"
    "  actor TEXT NOT NULL, reviewed_at TEXT NOT NULL);"
    "CREATE INDEX reviews_greeting ON reviews(greeting_id, id);",
    /* 6 -> 7: the owner's own recording of their name */
    "ALTER TABLE mailboxes ADD COLUMN name_audio_sha256 TEXT;"
    "ALTER TABLE mailboxes ADD COLUMN name_content_type TEXT;"
    "ALTER TABLE mailboxes ADD COLUMN name_received_at TEXT;"
    "CREATE INDEX mailboxes_name_audio ON mailboxes(name_audio_sha256);",
    /* 7 -> 8: the sweeps' reports, for the web app's reports and charts */
    "CREATE TABLE sweeps (id INTEGER PRIMARY KEY, date TEXT NOT NULL, created_at TEXT NOT NULL,"
    "  report TEXT NOT NULL);"
    "CREATE INDEX sweeps_date ON sweeps(date, id);",
    /* 8 -> 9: a sender's key, so that an upload sent twice is stored once */
    "ALTER TABLE voicemails ADD COLUMN idempotency_key TEXT;"
    "CREATE UNIQUE INDEX voicemails_idempotency ON voicemails(ext, idempotency_key)"
    "  WHERE idempotency_key IS NOT NULL;",
    /* 9 -> 10: the address a mailbox's voicemail arrives at as e-mail */
    "ALTER TABLE mailboxes ADD COLUMN email TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX mailboxes_email ON mailboxes(email) WHERE email <> '';",
    /* 10 -> 11: hand-over to the e-archive: the package's id, when it was
     * first made, the archive's confirmation; and a voicemail's events */
    "ALTER TABLE voicemails ADD COLUMN objid TEXT;"
    "ALTER TABLE voicemails ADD COLUMN packaged_at TEXT;"
    "ALTER TABLE voicemails ADD COLUMN archived_at TEXT;"
    "ALTER TABLE voicemails ADD COLUMN archive_ref TEXT;"
    "CREATE TABLE voicemail_events ("
    "  id INTEGER PRIMARY KEY, voicemail_id INTEGER NOT NULL REFERENCES voicemails(id),"
    "  event TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL, detail TEXT);"
    "CREATE INDEX voicemail_events_vm ON voicemail_events(voicemail_id, id);",
    /* 11 -> 12: the managers of each unit, and the sweep's mail until it is sent */
    "CREATE TABLE units (name TEXT PRIMARY KEY, managers TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL);"
    "CREATE TABLE mail_outbox ("
    "  id INTEGER PRIMARY KEY, date TEXT NOT NULL, key TEXT NOT NULL, recipients TEXT NOT NULL,"
    "  subject TEXT NOT NULL, message BLOB NOT NULL, created_at TEXT NOT NULL, tries INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT, sent_at TEXT, UNIQUE (date, key));"
    "CREATE INDEX mail_outbox_unsent ON mail_outbox(id) WHERE sent_at IS NULL;",
    /* 12 -> 13: the bytes a disposal has still to erase, recorded in its
     * transaction and dropped once they are gone, so that a crash between
     * the commit and the erasure leaves the work written down (segment NULL:
     * the file audio/<aa>/<sha256> of schema 4 and older) */
    "CREATE TABLE erasures (id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, segment TEXT, at INTEGER NOT NULL,"
    "  len INTEGER NOT NULL);",
    /* 13 -> 14: a sender's key is its own: who sent it (the token's name,
     * the audit's actor) is part of the key */
    "ALTER TABLE voicemails ADD COLUMN idempotency_by TEXT;"
    "UPDATE voicemails SET idempotency_by = coalesce((SELECT a.actor FROM audit a WHERE a.voicemail_id = voicemails.id"
    "  AND a.action = 'voicemail_received' ORDER BY a.id LIMIT 1), '') WHERE idempotency_key IS NOT NULL;"
    "DROP INDEX voicemails_idempotency;"
    "CREATE UNIQUE INDEX voicemails_idempotency ON voicemails(ext, idempotency_by, idempotency_key)"
    "  WHERE idempotency_key IS NOT NULL;",
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))
_Static_assert(sizeof migrations / sizeof migrations[0] == RV_STORE_SCHEMA_VERSION,
               "RV_STORE_SCHEMA_VERSION is the number of migrations");

char *rv_unit_key(const char *unit)
{
    if (!unit) return NULL;
    if (!g_utf8_validate(unit, -1, NULL)) return strdup(unit);
    gchar *folded = g_utf8_casefold(unit, -1);
    gchar *key = folded ? g_utf8_normalize(folded, -1, G_NORMALIZE_DEFAULT_COMPOSE) : NULL;
    char *out = key ? strdup(key) : NULL;
    g_free(key);
    g_free(folded);
    return out;
}

/* rv_unit_key(x) in SQL, so that a unit's name is compared and grouped the
 * same way in every statement. Registered on each connection; the schema
 * never uses it, so the sqlite3 shell still reads and writes the archive. */
static void sql_unit_key(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *t = (const char *)sqlite3_value_text(argv[0]);
    if (!t) {
        sqlite3_result_null(cx);
        return;
    }
    char *k = rv_unit_key(t);
    if (!k) sqlite3_result_error_nomem(cx);
    else sqlite3_result_text(cx, k, -1, free);
}

/* A WITH clause: unit_spellings(k, unit), each unit's key and the name it
 * is shown by: the spelling most of its mailboxes have, of equal counts
 * the one the directory had first. */
#define UNIT_SPELLINGS                                                                                           \
    "unit_spellings AS (SELECT k, unit FROM (SELECT k, unit, row_number() OVER (PARTITION BY k"                  \
    " ORDER BY n DESC, first) AS r FROM (SELECT rv_unit_key(unit) AS k, unit, count(*) AS n, min(rowid) AS first" \
    " FROM mailboxes GROUP BY unit)) WHERE r = 1)"

/* SQLite's last error as ours: another connection's lock is RV_ERR_BUSY
 * (try again), a full disk RV_ERR_FULL, anything else RV_ERR_IO. */
static rv_err db_error(rv_store *s, rv_error *err, const char *what)
{
    int code = sqlite3_errcode(s->db) & 0xff;
    rv_err e = code == SQLITE_BUSY || code == SQLITE_LOCKED ? RV_ERR_BUSY : code == SQLITE_FULL ? RV_ERR_FULL : RV_ERR_IO;
    return rv_error_set(err, e, "%s: %s", what, sqlite3_errmsg(s->db));
}

static int mkdir_p(const char *path)
{
    char tmp[4400];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s", path) >= sizeof tmp) return -1;
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0750) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(tmp, 0750) == 0 || errno == EEXIST ? 0 : -1;
}

int rv_store_schema_version(rv_store *s)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static rv_err migrate(rv_store *s, rv_error *err)
{
    int v = rv_store_schema_version(s);
    if (v < 0) return db_error(s, err, "cannot read the schema version");
    if (v > N_MIGRATIONS)
        return rv_error_set(err, RV_ERR_CONFIG, "the database is at schema %d, newer than this rostvakt (%d)",
                            v, N_MIGRATIONS);
    for (; v < N_MIGRATIONS; v++) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
        if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return db_error(s, err, "cannot begin a migration");
        if (sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
            rv_err rc = db_error(s, err, "schema migration failed");
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
        if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            return db_error(s, err, "cannot commit a migration");
    }
    return RV_OK;
}

static int is_hexn(const char *h, size_t n)
{
    if (!h || strlen(h) != n) return 0;
    for (const char *c = h; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'))) return 0;
    return 1;
}

static int is_hex64(const char *h) { return is_hexn(h, RV_SHA256_HEX); }

/* The end of the last indexed recording in segment name; -1 on error. */
static long long indexed_end(rv_store *s, const char *name)
{
    sqlite3_stmt *st;
    long long end = -1;
    if (sqlite3_prepare_v2(s->db, "SELECT coalesce(max(at + len), 0) FROM audio WHERE segment = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) end = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return end;
}

/* A segment nobody appends to (its writer holds an exclusive lock on it
 * while it lives): cut what follows its last indexed recording, and remove
 * it when nothing in it is indexed. */
static void trim_segment(rv_store *s, const char *audio_dir, const char *file)
{
    char name[24], path[4500];
    snprintf(name, sizeof name, "%.16s", file);
    snprintf(path, sizeof path, "%s/%s", audio_dir, file);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st;
    long long end = -1;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &st) == 0 && (end = indexed_end(s, name)) >= 0) {
        if (end == 0) {
            if (unlink(path) == 0) rv_sync_folder(audio_dir);
        } else if (end < st.st_size && ftruncate(fd, end) == 0) {
            fsync(fd);
        }
    }
    close(fd);
}

void rv_store_remove_leftovers(rv_store *s)
{
    long failed;
    rv_error fe;
    rv_store_finish_erasures(s, &failed, &fe); /* what a disposal left undone; what fails stays recorded */
    char audio_dir[4200];
    snprintf(audio_dir, sizeof audio_dir, "%s/audio", s->dir);
    DIR *d = opendir(audio_dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t nl = strlen(e->d_name);
        if (nl == 20 && strcmp(e->d_name + 16, ".seg") == 0) {
            char hex[17];
            snprintf(hex, sizeof hex, "%.16s", e->d_name);
            if (is_hexn(hex, 16)) trim_segment(s, audio_dir, e->d_name);
            continue;
        }
        if (strncmp(e->d_name, ".tmp-seg-", 9) == 0) { /* a segment that never got its name */
            char path[4500];
            snprintf(path, sizeof path, "%s/%s", audio_dir, e->d_name);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) unlink(path);
            if (fd >= 0) close(fd);
            continue;
        }
        if (e->d_name[0] == '.' || nl != 2) continue;
        /* audio/<aa>/: recordings of schema 4 and older, one file each */
        char sub[4500];
        snprintf(sub, sizeof sub, "%s/%s", audio_dir, e->d_name);
        DIR *sd = opendir(sub);
        if (!sd) continue;
        struct dirent *f;
        while ((f = readdir(sd)))
            if (strncmp(f->d_name, ".tmp-", 5) == 0) {
                char path[4800];
                snprintf(path, sizeof path, "%s/%s", sub, f->d_name);
                unlink(path);
            }
        closedir(sd);
    }
    closedir(d);
}

rv_err rv_store_open(const char *data_dir, rv_store **out, rv_error *err)
{
    *out = NULL;
    if (!data_dir || !*data_dir || strlen(data_dir) > 3000)
        return rv_error_set(err, RV_ERR_ARG, "a data directory is needed");
    rv_store *s = calloc(1, sizeof *s);
    if (!s) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    snprintf(s->dir, sizeof s->dir, "%s", data_dir);
    s->seg.fd = -1;
    pthread_mutex_init(&s->seg.lock, NULL);
    char path[4200];
    snprintf(path, sizeof path, "%s/audio", data_dir);
    rv_err rc = RV_OK;
    if (mkdir_p(path) != 0) {
        rc = rv_error_set(err, RV_ERR_IO, "cannot create %s: %s", path, strerror(errno));
        goto fail;
    }

    snprintf(path, sizeof path, "%s/rostvakt.db", data_dir);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        rc = rv_error_set(err, RV_ERR_IO, "cannot open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "?");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    if (sqlite3_create_function_v2(s->db, "rv_unit_key", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                   NULL, sql_unit_key, NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_error(s, err, "cannot configure the database");
        goto fail;
    }
    if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON",
                     NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_error(s, err, "cannot configure the database");
        goto fail;
    }
    rc = migrate(s, err);
    if (rc != RV_OK) goto fail;
    *out = s;
    return RV_OK;
fail:
    rv_store_close(s);
    return rc;
}

void rv_store_close(rv_store *s)
{
    if (!s) return;
    sqlite3_close(s->db);
    if (s->seg.fd >= 0) close(s->seg.fd);
    pthread_mutex_destroy(&s->seg.lock);
    free(s);
}


static void sha256_hex(const void *bytes, size_t len, char hex[RV_SHA256_HEX + 1], int *ok)
{
    unsigned char h[32];
    unsigned int hl = 0;
    *ok = EVP_Digest(bytes, len, h, &hl, EVP_sha256(), NULL) == 1 && hl == 32;
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", *ok ? h[i] : 0);
}

/* A new segment for g, locked for as long as the store lives (so start-up
 * clean-up leaves it alone), created under a temporary name and renamed, the
 * directory fsync'ed. Called with g->lock held. */
static rv_err new_segment(rv_store *s, seg_file *g, rv_error *err)
{
    unsigned char r[8];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return rv_error_set(err, RV_ERR_IO, "no random bytes for a segment name: %s", strerror(errno));
    char name[24], dir[4200], tmp[4300], path[4300];
    for (int i = 0; i < 8; i++) snprintf(name + 2 * i, 3, "%02x", r[i]);
    snprintf(dir, sizeof dir, "%s/audio", s->dir);
    snprintf(tmp, sizeof tmp, "%s/.tmp-seg-%s", dir, name);
    snprintf(path, sizeof path, "%s/%s.seg", dir, name);
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) return rv_error_set(err, RV_ERR_IO, "cannot create a segment in %s: %s", dir, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 || rename(tmp, path) != 0 || rv_sync_folder(dir) != 0) {
        int e = errno;
        unlink(tmp);
        close(fd);
        return rv_error_set(err, RV_ERR_IO, "cannot create a segment in %s: %s", dir, strerror(e));
    }
    if (g->fd >= 0) close(g->fd);
    g->fd = fd;
    g->end = 0;
    snprintf(g->name, sizeof g->name, "%s", name);
    return RV_OK;
}

static void segment_path(const rv_store *s, const char *segment, char *path, size_t cap)
{
    snprintf(path, cap, "%s/audio/%.16s.seg", s->dir, segment);
}

rv_err rv_store_append_audio(rv_store *s, const void *bytes, size_t len, rv_audio_blob *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    int ok;
    char hex[RV_SHA256_HEX + 1];
    sha256_hex(bytes, len, hex, &ok);
    if (!ok) return rv_error_set(err, RV_ERR_INTERNAL, "SHA-256 failed");
    /* reserve the range; a dup of the descriptor keeps it open for this
     * write even if another thread starts the next segment meanwhile */
    seg_file *g = &s->seg;
    pthread_mutex_lock(&g->lock);
    rv_err rc = RV_OK;
    if (g->fd < 0 || (g->end > 0 && g->end + (long long)len > SEGMENT_MAX)) rc = new_segment(s, g, err);
    long long at = g->end;
    int fd = rc == RV_OK ? dup(g->fd) : -1;
    if (rc == RV_OK && fd < 0) rc = rv_error_set(err, RV_ERR_IO, "cannot write audio: %s", strerror(errno));
    if (rc == RV_OK) g->end += (long long)len;
    char name[24];
    snprintf(name, sizeof name, "%s", g->name);
    pthread_mutex_unlock(&g->lock);
    if (rc != RV_OK) return rc;
    const unsigned char *p = bytes;
    size_t left = len;
    long long pos = at;
    while (left) {
        ssize_t w = pwrite(fd, p, left, (off_t)pos);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        p += w;
        pos += w;
        left -= (size_t)w;
    }
    if (left) {
        int en = errno;
        rc = rv_error_set(err, en == ENOSPC || en == EDQUOT ? RV_ERR_FULL : RV_ERR_IO, "cannot store audio: %s",
                          strerror(en));
        /* give back at once what the write took: the segment's end when
         * nothing was reserved after this range, else a hole */
        pthread_mutex_lock(&g->lock);
        int last = strcmp(g->name, name) == 0 && g->end == at + (long long)len;
        if (last && ftruncate(fd, (off_t)at) == 0) g->end = at;
        else fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)at, (off_t)len);
        pthread_mutex_unlock(&g->lock);
    }
    close(fd);
    if (rc != RV_OK) return rc;
    snprintf(out->sha256, sizeof out->sha256, "%s", hex);
    snprintf(out->segment, sizeof out->segment, "%s", name);
    out->at = at;
    out->len = len;
    return RV_OK;
}

rv_err rv_store_sync_audio(rv_store *s, const rv_audio_blob *const *b, size_t n, rv_error *err)
{
    rv_err rc = RV_OK;
    for (size_t i = 0; i < n && rc == RV_OK; i++) {
        if (!b[i]) continue;
        int seen = 0; /* one fdatasync a segment covers every append before it */
        for (size_t j = 0; j < i && !seen; j++) seen = b[j] && strcmp(b[j]->segment, b[i]->segment) == 0;
        if (seen) continue;
        if (!is_hexn(b[i]->segment, 16)) return rv_error_set(err, RV_ERR_ARG, "not a segment");
        char path[4300];
        segment_path(s, b[i]->segment, path, sizeof path);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || fdatasync(fd) != 0)
            rc = rv_error_set(err, RV_ERR_IO, "cannot store audio in %s: %s", path, strerror(errno));
        /* the pages are on disk now: give them back, so that the next uploads
         * write into recently used memory rather than ever more fresh pages
         * (each range alone: between them other uploads may still write) */
        for (size_t j = i; rc == RV_OK && j < n; j++)
            if (b[j] && b[j]->len && strcmp(b[j]->segment, b[i]->segment) == 0)
                posix_fadvise(fd, (off_t)b[j]->at, (off_t)b[j]->len, POSIX_FADV_DONTNEED);
        if (fd >= 0) close(fd);
    }
    return rc;
}

rv_err rv_store_stage_audio(rv_store *s, const void *bytes, size_t len, rv_audio_blob *out, rv_error *err)
{
    rv_err rc = rv_store_append_audio(s, bytes, len, out, err);
    const rv_audio_blob *one = out;
    if (rc == RV_OK) rc = rv_store_sync_audio(s, &one, 1, err);
    if (rc != RV_OK) memset(out, 0, sizeof *out);
    return rc;
}

/* Give a segment's range back to the file system (zeros where holes cannot
 * be punched); the bytes are gone either way. 0 or -1. */
static int release_range(rv_store *s, const rv_audio_blob *b)
{
    if (!b->len) return 0;
    char path[4300];
    segment_path(s, b->segment, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)b->at, (off_t)b->len);
    struct stat sb;
    if (rc != 0 && fstat(fd, &sb) == 0) {
        static const unsigned char zeros[65536];
        /* no further than the end: a segment cut short since keeps its size */
        long long end = b->at + (long long)b->len < sb.st_size ? b->at + (long long)b->len : sb.st_size;
        size_t left = end > b->at ? (size_t)(end - b->at) : 0;
        long long pos = b->at;
        rc = 0;
        while (left && rc == 0) {
            size_t k = left < sizeof zeros ? left : sizeof zeros;
            ssize_t w = pwrite(fd, zeros, k, (off_t)pos);
            if (w <= 0) rc = -1;
            else pos += w, left -= (size_t)w;
        }
    }
    if (rc == 0) rc = fdatasync(fd);
    close(fd);
    return rc;
}

/* Index a staged recording inside the caller's transaction. A recording
 * already indexed under the same hash wins and the staged copy is released.
 * 0, or -1 on a database error. */
static int index_blob(rv_store *s, const rv_audio_blob *b)
{
    sqlite3_stmt *st;
    if (!is_hex64(b->sha256) || !is_hexn(b->segment, 16)) return -1;
    if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO audio (sha256, segment, at, len) VALUES (?1, ?2, ?3, ?4)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, b->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, b->segment, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, b->at);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)b->len);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    if (r != SQLITE_DONE) return -1;
    if (sqlite3_changes(s->db) == 0) release_range(s, b); /* stored before */
    return 0;
}

rv_err rv_store_put_audio(rv_store *s, const void *bytes, size_t len, char hex[RV_SHA256_HEX + 1],
                          rv_error *err)
{
    rv_audio_blob b;
    hex[0] = '\0';
    rv_err rc = rv_store_stage_audio(s, bytes, len, &b, err);
    if (rc != RV_OK) return rc;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return db_error(s, err, "cannot begin");
    if (index_blob(s, &b) != 0) rc = db_error(s, err, "cannot index the audio");
    if (rc == RV_OK && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_error(s, err, "cannot commit");
    if (rc != RV_OK) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    memcpy(hex, b.sha256, sizeof b.sha256);
    return RV_OK;
}

static void legacy_path(const rv_store *s, const char *hex, char *path, size_t cap)
{
    snprintf(path, cap, "%s/audio/%.2s/%s", s->dir, hex, hex);
}

rv_err rv_store_locate_audio(rv_store *s, const char *hex, rv_audio_loc *loc, rv_error *err)
{
    memset(loc, 0, sizeof *loc);
    if (!is_hex64(hex)) return rv_error_set(err, RV_ERR_ARG, "not a SHA-256 in hex");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT segment, at, len FROM audio WHERE sha256 = ?1", -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read the audio index");
    sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    rv_err rc = RV_OK;
    snprintf(loc->blob.sha256, sizeof loc->blob.sha256, "%s", hex);
    if (r == SQLITE_ROW) {
        const unsigned char *seg = sqlite3_column_text(st, 0);
        snprintf(loc->blob.segment, sizeof loc->blob.segment, "%s", seg ? (const char *)seg : "");
        loc->blob.at = sqlite3_column_int64(st, 1);
        loc->blob.len = (size_t)sqlite3_column_int64(st, 2);
        if (!is_hexn(loc->blob.segment, 16) || loc->blob.at < 0)
            rc = rv_error_set(err, RV_ERR_IO, "the audio index is damaged for %s", hex);
    } else if (r == SQLITE_DONE) {
        char path[4400];
        struct stat sb;
        legacy_path(s, hex, path, sizeof path);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            loc->legacy = 1;
            loc->blob.len = (size_t)sb.st_size;
        } else rc = rv_error_set(err, RV_ERR_NOT_FOUND, "no stored audio %s", hex);
    } else rc = db_error(s, err, "cannot read the audio index");
    sqlite3_finalize(st);
    if (rc != RV_OK) memset(loc, 0, sizeof *loc);
    return rc;
}

rv_err rv_store_load_audio(rv_store *s, const char *hex, const rv_audio_loc *loc, size_t max, unsigned char **out,
                           size_t *len, rv_error *err)
{
    *out = NULL;
    *len = 0;
    if (!is_hex64(hex) || strcmp(hex, loc->blob.sha256) != 0)
        return rv_error_set(err, RV_ERR_ARG, "not a SHA-256 in hex");
    if (loc->blob.len > max) return rv_error_set(err, RV_ERR_TOO_LARGE, "stored audio of %zu bytes is over %zu",
                                                 loc->blob.len, max);
    char path[4400];
    if (loc->legacy) legacy_path(s, hex, path, sizeof path);
    else segment_path(s, loc->blob.segment, path, sizeof path);
    unsigned char *buf = malloc(loc->blob.len ? loc->blob.len : 1);
    if (!buf) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t got = 0;
    while (fd >= 0 && got < loc->blob.len) {
        ssize_t r = pread(fd, buf + got, loc->blob.len - got, (off_t)(loc->blob.at + (long long)got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    if (fd >= 0) close(fd);
    char h[RV_SHA256_HEX + 1];
    int ok = 0;
    if (got == loc->blob.len) sha256_hex(buf, got, h, &ok);
    if (!ok || strcmp(h, hex) != 0) { /* disposed of while it was read, or damaged */
        free(buf);
        return rv_error_set(err, RV_ERR_NOT_FOUND, "stored audio %s cannot be read back", hex);
    }
    *out = buf;
    *len = got;
    return RV_OK;
}

rv_err rv_store_read_audio(rv_store *s, const char *hex, size_t max, unsigned char **out, size_t *len,
                           rv_error *err)
{
    rv_audio_loc loc;
    rv_err rc = rv_store_locate_audio(s, hex, &loc, err);
    if (rc == RV_OK) rc = rv_store_load_audio(s, hex, &loc, max, out, len, err);
    return rc;
}

rv_err rv_store_forget_audio(rv_store *s, const char *hex, rv_audio_loc *loc, rv_error *err)
{
    rv_err rc = rv_store_locate_audio(s, hex, loc, err);
    if (rc != RV_OK || loc->legacy) return rc;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "DELETE FROM audio WHERE sha256 = ?1", -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot write the audio index");
    sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? RV_OK : db_error(s, err, "cannot write the audio index");
}

rv_err rv_store_erase_audio(rv_store *s, const rv_audio_loc *loc, rv_error *err)
{
    if (!is_hex64(loc->blob.sha256)) return rv_error_set(err, RV_ERR_ARG, "not a SHA-256 in hex");
    if (loc->legacy) {
        char path[4400], dir[4400];
        legacy_path(s, loc->blob.sha256, path, sizeof path);
        snprintf(dir, sizeof dir, "%s/audio/%.2s", s->dir, loc->blob.sha256);
        if (unlink(path) != 0 && errno != ENOENT)
            return rv_error_set(err, RV_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
        rv_sync_folder(dir);
        return RV_OK;
    }
    if (!is_hexn(loc->blob.segment, 16)) return rv_error_set(err, RV_ERR_ARG, "not a segment");
    if (release_range(s, &loc->blob) != 0)
        return rv_error_set(err, RV_ERR_IO, "cannot erase audio %s: %s", loc->blob.sha256, strerror(errno));
    return RV_OK;
}

/* ---- erasures: what disposal has still to destroy ---- */

/* A test hook, compiled in but inert unless RV_TEST_KILL_AFTER_ERASURES=N
 * is set: the process kills itself (SIGKILL) once it has erased N
 * recordings, before its next erasure or before it drops the records of
 * those done, so that the tests can crash a disposal at a chosen point. */
static _Atomic long erased;

static void crash_point(void)
{
    const char *v = getenv("RV_TEST_KILL_AFTER_ERASURES");
    if (v && *v && atol(v) == atomic_load(&erased)) kill(getpid(), SIGKILL);
}

/* Erase the bytes a record names (rv_store_erase_audio), counting it done
 * when its segment is gone: start-up removes a segment nothing in it is
 * indexed any more. */
static rv_err erase_recorded(rv_store *s, const rv_audio_loc *loc, rv_error *err)
{
    crash_point();
    rv_err rc = rv_store_erase_audio(s, loc, err);
    if (rc == RV_ERR_IO && !loc->legacy) {
        char path[4300];
        segment_path(s, loc->blob.segment, path, sizeof path);
        if (access(path, F_OK) != 0 && errno == ENOENT) rc = RV_OK;
    }
    if (rc == RV_OK) atomic_fetch_add(&erased, 1);
    return rc;
}

/* Record, inside the caller's transaction, that loc's bytes are to be
 * erased; *id gets the record's id. */
static rv_err record_erasure(rv_store *s, const rv_audio_loc *loc, long long *id, rv_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO erasures (sha256, segment, at, len) VALUES (?1, ?2, ?3, ?4)", -1, &st,
                           NULL) != SQLITE_OK)
        return db_error(s, err, "cannot record an erasure");
    sqlite3_bind_text(st, 1, loc->blob.sha256, -1, SQLITE_STATIC);
    if (loc->legacy) sqlite3_bind_null(st, 2);
    else sqlite3_bind_text(st, 2, loc->blob.segment, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, loc->blob.at);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)loc->blob.len);
    rv_err rc = sqlite3_step(st) == SQLITE_DONE ? RV_OK : db_error(s, err, "cannot record an erasure");
    sqlite3_finalize(st);
    *id = rc == RV_OK ? sqlite3_last_insert_rowid(s->db) : 0;
    return rc;
}

/* Drop the records of the erasures ids[0..n), done and synced. */
static rv_err drop_erasures(rv_store *s, const long long *ids, size_t n, rv_error *err)
{
    if (!n) return RV_OK;
    crash_point();
    sqlite3_stmt *st = NULL;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return db_error(s, err, "cannot begin");
    rv_err rc = RV_OK;
    if (sqlite3_prepare_v2(s->db, "DELETE FROM erasures WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
        rc = db_error(s, err, "cannot drop erasures");
    for (size_t i = 0; rc == RV_OK && i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, ids[i]);
        if (sqlite3_step(st) != SQLITE_DONE) rc = db_error(s, err, "cannot drop erasures");
    }
    sqlite3_finalize(st);
    if (rc == RV_OK && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) rc = db_error(s, err, "cannot commit");
    if (rc != RV_OK) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

rv_err rv_store_finish_erasures(rv_store *s, long *failed, rv_error *err)
{
    enum { ROUND = 256 };
    *failed = 0;
    struct {
        long long id;
        rv_audio_loc loc;
    } *x = calloc(ROUND, sizeof *x);
    long long *done = calloc(ROUND, sizeof *done);
    rv_err rc = x && done ? RV_OK : rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    long long after = 0;
    while (rc == RV_OK) {
        sqlite3_stmt *st;
        size_t n = 0, n_done = 0;
        if (sqlite3_prepare_v2(s->db, "SELECT id, sha256, segment, at, len FROM erasures WHERE id > ?1 ORDER BY id LIMIT ?2",
                               -1, &st, NULL) != SQLITE_OK) {
            rc = db_error(s, err, "cannot read erasures");
            break;
        }
        sqlite3_bind_int64(st, 1, after);
        sqlite3_bind_int(st, 2, ROUND);
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
            memset(&x[n], 0, sizeof x[n]);
            x[n].id = after = sqlite3_column_int64(st, 0);
            const unsigned char *sha = sqlite3_column_text(st, 1), *seg = sqlite3_column_text(st, 2);
            snprintf(x[n].loc.blob.sha256, sizeof x[n].loc.blob.sha256, "%s", sha ? (const char *)sha : "");
            x[n].loc.legacy = seg == NULL;
            snprintf(x[n].loc.blob.segment, sizeof x[n].loc.blob.segment, "%s", seg ? (const char *)seg : "");
            x[n].loc.blob.at = sqlite3_column_int64(st, 3);
            long long len = sqlite3_column_int64(st, 4);
            x[n].loc.blob.len = len > 0 ? (size_t)len : 0;
            n++;
        }
        if (r != SQLITE_DONE) rc = db_error(s, err, "cannot read erasures");
        sqlite3_finalize(st);
        for (size_t i = 0; rc == RV_OK && i < n; i++) {
            rv_error e;
            if (x[i].loc.blob.at >= 0 && erase_recorded(s, &x[i].loc, &e) == RV_OK) done[n_done++] = x[i].id;
            else {
                ++*failed; /* stays recorded, for the next try */
                if (x[i].loc.blob.at < 0) rv_error_set(err, RV_ERR_IO, "a damaged erasure record (%lld)", x[i].id);
                else *err = e;
            }
        }
        if (rc == RV_OK) rc = drop_erasures(s, done, n_done, err);
        if (n < ROUND) break;
    }
    free(x);
    free(done);
    return rc;
}

static int digits(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > max) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

int rv_ext_valid(const char *ext) { return digits(ext, 20); }

/* 1 if the directory has ext, 0 if not, -1 on a database error. */
static int mailbox_exists(rv_store *s, const char *ext)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM mailboxes WHERE ext = ?1", -1, &st, NULL) != SQLITE_OK) return -1;
    sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
}

rv_err rv_store_put_mailbox(rv_store *s, const rv_mailbox *m, const char *now_iso, int *created,
                            rv_error *err)
{
    *created = 0;
    sqlite3_stmt *st = NULL;
    rv_err rc = RV_OK;
    int own = sqlite3_get_autocommit(s->db); /* else the caller's transaction, ended by the caller */
    if (own && sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot begin");
    int exists = mailbox_exists(s, m->ext);
    if (exists < 0) {
        rc = db_error(s, err, "cannot read mailboxes");
        goto out;
    }
    *created = !exists;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO mailboxes (ext, first_name, last_name, unit, org, profile, mobile,"
                           " created_at, updated_at, email) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)"
                           " ON CONFLICT(ext) DO UPDATE SET first_name = ?2, last_name = ?3, unit = ?4,"
                           " org = ?5, profile = ?6, mobile = ?7, updated_at = ?8, email = ?9",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(s, err, "cannot write mailboxes");
        goto out;
    }
    const char *v[] = {m->ext,     m->first_name, m->last_name, m->unit, m->org,
                       m->profile, m->mobile,     now_iso,      m->email};
    for (int i = 0; i < 9; i++) sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) rc = db_error(s, err, "cannot store the mailbox");
    sqlite3_finalize(st);
out:
    if (!own) return rc;
    if (rc == RV_OK && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_error(s, err, "cannot commit");
    if (rc != RV_OK) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

rv_err rv_store_get_mailbox(rv_store *s, const char *ext, rv_mailbox *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    if (!digits(ext, 20)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT ext, first_name, last_name, unit, org, profile, mobile FROM mailboxes"
                           " WHERE ext = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read mailboxes");
    sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    rv_err rc = RV_OK;
    if (r == SQLITE_ROW) {
        char *dst[] = {out->ext, out->first_name, out->last_name, out->unit, out->org, out->profile, out->mobile};
        size_t cap[] = {sizeof out->ext, sizeof out->first_name, sizeof out->last_name, sizeof out->unit,
                        sizeof out->org, sizeof out->profile, sizeof out->mobile};
        for (int i = 0; i < 7; i++) {
            const unsigned char *t = sqlite3_column_text(st, i);
            snprintf(dst[i], cap[i], "%s", t ? (const char *)t : "");
        }
    } else if (r == SQLITE_DONE) rc = rv_error_set(err, RV_ERR_NOT_FOUND, "no mailbox %s", ext);
    else rc = db_error(s, err, "cannot read mailboxes");
    sqlite3_finalize(st);
    return rc;
}

/* What a sender hears when it sends other audio with a key it used: nothing
 * of the voicemail stored under it. */
#define KEY_USED "this Idempotency-Key was sent before with other audio; a new recording needs a new key"

static rv_err by_key(rv_store *s, const char *ext, const char *by, const char *key, long long *id,
                     char sha256[RV_SHA256_HEX + 1], rv_error *err);

rv_err rv_store_add_voicemails(rv_store *s, rv_vm_new *v, size_t n, rv_error *err)
{
    sqlite3_stmt *ins = NULL;
    rv_err rc = RV_OK;
    for (size_t i = 0; i < n; i++) {
        v[i].id = 0;
        v[i].rc = RV_OK;
        v[i].duplicate = 0;
    }
    /* appended audio is made durable before any row can point to it */
    const rv_audio_blob **blobs = calloc(n ? n : 1, sizeof *blobs);
    if (!blobs) {
        rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) blobs[i] = v[i].blob;
    rc = rv_store_sync_audio(s, blobs, n, err);
    free(blobs);
    if (rc != RV_OK) goto out;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_error(s, err, "cannot begin");
        goto out;
    }
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO voicemails (ext, audio_sha256, content_type, bytes, caller, received_at,"
                           " idempotency_key, idempotency_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                           -1, &ins, NULL) != SQLITE_OK) {
        rc = db_error(s, err, "cannot write voicemails");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        rv_vm_new *x = &v[i];
        if (!digits(x->ext, 20)) {
            x->rc = rv_error_set(&x->err, RV_ERR_ARG, "ext must be 1 to 20 digits");
            continue;
        }
        if (!is_hex64(x->sha256) || (x->blob && strcmp(x->blob->sha256, x->sha256) != 0)) {
            x->rc = rv_error_set(&x->err, RV_ERR_ARG, "not a SHA-256 in hex");
            continue;
        }
        int exists = mailbox_exists(s, x->ext);
        if (exists <= 0) {
            if (exists < 0) {
                rc = db_error(s, err, "cannot read mailboxes");
                goto out;
            }
            x->rc = rv_error_set(&x->err, RV_ERR_NOT_FOUND, "no mailbox %s", x->ext);
            continue;
        }
        if (x->idem_key) { /* sent before by the same sender: that one, nothing new */
            char sha[RV_SHA256_HEX + 1];
            long long old_id = 0;
            rv_error ke;
            rv_err kr = by_key(s, x->ext, x->actor ? x->actor : "", x->idem_key, &old_id, sha, &ke);
            if (kr == RV_OK && strcmp(sha, x->sha256) == 0) {
                x->id = old_id;
                x->duplicate = 1;
                continue;
            }
            if (kr == RV_OK) {
                x->rc = rv_error_set(&x->err, RV_ERR_CONFLICT, "%s", KEY_USED);
                continue;
            }
            if (kr != RV_ERR_NOT_FOUND) {
                rc = rv_error_set(err, kr, "%s", ke.msg);
                goto out;
            }
        }
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, x->ext, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, x->sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, x->content_type, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 4, (sqlite3_int64)x->bytes);
        sqlite3_bind_text(ins, 5, x->caller ? x->caller : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 6, x->received_at, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 7, x->idem_key, -1, SQLITE_STATIC);
        if (x->idem_key) sqlite3_bind_text(ins, 8, x->actor ? x->actor : "", -1, SQLITE_STATIC);
        else sqlite3_bind_null(ins, 8);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            rc = db_error(s, err, "cannot store the voicemail");
            goto out;
        }
        x->id = sqlite3_last_insert_rowid(s->db);
        if (x->blob && index_blob(s, x->blob) != 0) {
            rc = db_error(s, err, "cannot index the audio");
            goto out;
        }
        if (x->actor &&
            (rc = rv_store_audit(s, x->now, x->actor, x->remote, "voicemail_received", x->id, x->ext, NULL, err)) != RV_OK)
            goto out;
    }
out:
    sqlite3_finalize(ins);
    if (rc == RV_OK && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_error(s, err, "cannot commit");
    if (rc != RV_OK) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        for (size_t i = 0; i < n; i++) {
            v[i].id = 0;
            v[i].rc = rc;
            v[i].err = *err;
        }
    }
    /* staged audio of items not stored (or stored before) is nobody's */
    for (size_t i = 0; i < n; i++)
        if ((v[i].rc != RV_OK || v[i].duplicate) && v[i].blob) release_range(s, v[i].blob);
    return rc;
}

rv_err rv_store_add_voicemail(rv_store *s, const char *ext, const char *sha256, const char *content_type,
                              size_t bytes, const char *caller, const char *received_at, long long *id,
                              rv_error *err)
{
    rv_vm_new v = {.ext = ext, .sha256 = sha256, .content_type = content_type, .bytes = bytes, .caller = caller,
                   .received_at = received_at};
    rv_err rc = rv_store_add_voicemails(s, &v, 1, err);
    if (rc == RV_OK && v.rc != RV_OK) {
        *err = v.err;
        rc = v.rc;
    }
    *id = v.id;
    return rc;
}

rv_err rv_store_next_queued(rv_store *s, long long after, long long *id, char sha256[RV_SHA256_HEX + 1],
                            char *content_type, size_t ct_cap, rv_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, audio_sha256, content_type FROM voicemails WHERE state = 'queued'"
                           " AND id > ?1 ORDER BY id LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read the queue");
    sqlite3_bind_int64(st, 1, after);
    int r = sqlite3_step(st);
    rv_err rc = RV_OK;
    if (r == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        snprintf(sha256, RV_SHA256_HEX + 1, "%s", (const char *)sqlite3_column_text(st, 1));
        snprintf(content_type, ct_cap, "%s", (const char *)sqlite3_column_text(st, 2));
    } else rc = r == SQLITE_DONE ? rv_error_set(err, RV_ERR_NOT_FOUND, "the queue is empty")
                                 : db_error(s, err, "cannot read the queue");
    sqlite3_finalize(st);
    return rc;
}

long long rv_store_count_queued(rv_store *s)
{
    sqlite3_stmt *st;
    long long n = -1;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM voicemails WHERE state = 'queued'", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static rv_err exec_one(rv_store *s, const char *sql, const char *const *text, int n_text, long long id,
                       int *changes, rv_error *err);

rv_err rv_store_finish_voicemail(rv_store *s, long long id, const char *state, const char *classification,
                                 const char *report, const char *now_iso, rv_error *err)
{
    const char *t[] = {state, classification, report, now_iso};
    return exec_one(s,
                    "UPDATE voicemails SET state = ?2, classification = ?3, report = ?4, analysed_at = ?5"
                    " WHERE id = ?1",
                    t, 4, id, NULL, err);
}

rv_err rv_store_finish_voicemails(rv_store *s, const rv_vm_done *d, size_t n, rv_error *err)
{
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return db_error(s, err, "cannot begin");
    rv_err rc = RV_OK;
    for (size_t i = 0; i < n && rc == RV_OK; i++)
        rc = rv_store_finish_voicemail(s, d[i].id, d[i].state, d[i].classification, d[i].report, d[i].now_iso, err);
    if (rc == RV_OK && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_error(s, err, "cannot commit");
    if (rc != RV_OK) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static json_t *text_or_null(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? json_string((const char *)t) : json_null();
}

/* A voicemail's decisions, oldest first (an empty array on a read error). */
static json_t *decisions_of(rv_store *s, long long id)
{
    json_t *a = json_array();
    sqlite3_stmt *st;
    if (!a || sqlite3_prepare_v2(s->db,
                                 "SELECT decision, diarienummer, note, actor, decided_at FROM decisions"
                                 " WHERE voicemail_id = ?1 ORDER BY id",
                                 -1, &st, NULL) != SQLITE_OK)
        return a;
    sqlite3_bind_int64(st, 1, id);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(a, json_pack("{s:s,s:o,s:o,s:s,s:s}", "decision", (const char *)sqlite3_column_text(st, 0),
                                           "diarienummer", text_or_null(st, 1), "note", text_or_null(st, 2), "actor",
                                           (const char *)sqlite3_column_text(st, 3), "decided_at",
                                           (const char *)sqlite3_column_text(st, 4)));
    sqlite3_finalize(st);
    return a;
}

static json_t *events_of(rv_store *s, long long id)
{
    json_t *a = json_array();
    sqlite3_stmt *st;
    if (!a || sqlite3_prepare_v2(s->db,
                                 "SELECT event, at, actor, detail FROM voicemail_events WHERE voicemail_id = ?1"
                                 " ORDER BY id",
                                 -1, &st, NULL) != SQLITE_OK)
        return a;
    sqlite3_bind_int64(st, 1, id);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:o}", "event", (const char *)sqlite3_column_text(st, 0),
                                           "at", (const char *)sqlite3_column_text(st, 1), "actor",
                                           (const char *)sqlite3_column_text(st, 2), "detail", text_or_null(st, 3)));
    sqlite3_finalize(st);
    return a;
}

rv_err rv_store_get_voicemail(rv_store *s, long long id, json_t **out, rv_error *err)
{
    *out = NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT v.id, v.ext, v.caller, v.received_at, v.content_type, v.bytes, v.state,"
                           " v.classification, v.report, m.first_name, m.last_name, m.unit, m.org, m.profile,"
                           " v.callback_at, v.objid, v.packaged_at, v.archived_at, v.archive_ref"
                           " FROM voicemails v JOIN mailboxes m ON m.ext = v.ext WHERE v.id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read voicemails");
    sqlite3_bind_int64(st, 1, id);
    int r = sqlite3_step(st);
    rv_err rc = RV_OK;
    if (r == SQLITE_ROW) {
        const char *cls = (const char *)sqlite3_column_text(st, 7);
        const char *rep = (const char *)sqlite3_column_text(st, 8);
        json_t *analysis = rep ? json_loads(rep, 0, NULL) : NULL;
        *out = json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:s,s:o,s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
                         "ext", (const char *)sqlite3_column_text(st, 1), "caller",
                         (const char *)sqlite3_column_text(st, 2), "received_at",
                         (const char *)sqlite3_column_text(st, 3), "content_type",
                         (const char *)sqlite3_column_text(st, 4), "bytes",
                         (json_int_t)sqlite3_column_int64(st, 5), "state", (const char *)sqlite3_column_text(st, 6),
                         "classification", cls ? json_string(cls) : json_null(), "analysis",
                         analysis ? analysis : json_null());
        if (*out) {
            json_object_set_new(*out, "owner",
                                json_pack("{s:s,s:s,s:s,s:s,s:s}", "first_name", (const char *)sqlite3_column_text(st, 9),
                                          "last_name", (const char *)sqlite3_column_text(st, 10), "unit",
                                          (const char *)sqlite3_column_text(st, 11), "org",
                                          (const char *)sqlite3_column_text(st, 12), "profile",
                                          (const char *)sqlite3_column_text(st, 13)));
            json_object_set_new(*out, "callback_at", text_or_null(st, 14));
            json_object_set_new(*out, "decisions", decisions_of(s, id));
            json_object_set_new(*out, "events", events_of(s, id));
            json_object_set_new(*out, "objid", text_or_null(st, 15));
            json_object_set_new(*out, "packaged_at", text_or_null(st, 16));
            json_object_set_new(*out, "archived_at", text_or_null(st, 17));
            json_object_set_new(*out, "archive_ref", text_or_null(st, 18));
        }
        if (!*out) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    } else rc = r == SQLITE_DONE ? rv_error_set(err, RV_ERR_NOT_FOUND, "no voicemail %lld", id)
                                 : db_error(s, err, "cannot read voicemails");
    sqlite3_finalize(st);
    return rc;
}

rv_err rv_store_requeue_interrupted(rv_store *s, rv_error *err)
{
    if (sqlite3_exec(s->db, "UPDATE voicemails SET state = 'queued' WHERE state = 'analysing'", NULL, NULL,
                     NULL) != SQLITE_OK)
        return db_error(s, err, "cannot requeue interrupted analyses");
    return RV_OK;
}

static rv_err exec_one(rv_store *s, const char *sql, const char *const *text, int n_text, long long id,
                       int *changes, rv_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return db_error(s, err, "cannot prepare");
    sqlite3_bind_int64(st, 1, id);
    for (int i = 0; i < n_text; i++) sqlite3_bind_text(st, i + 2, text[i], -1, SQLITE_STATIC);
    rv_err rc = sqlite3_step(st) == SQLITE_DONE ? RV_OK : db_error(s, err, "cannot write");
    sqlite3_finalize(st);
    if (changes) *changes = sqlite3_changes(s->db);
    return rc;
}

rv_err rv_store_set_callback(rv_store *s, long long id, const char *now_iso, rv_error *err)
{
    int n = 0;
    const char *t[] = {now_iso};
    rv_err rc = exec_one(s, "UPDATE voicemails SET callback_at = ?2 WHERE id = ?1", t, 1, id, &n, err);
    if (rc == RV_OK && n == 0) rc = rv_error_set(err, RV_ERR_NOT_FOUND, "no voicemail %lld", id);
    return rc;
}

rv_err rv_store_add_decision(rv_store *s, long long voicemail_id, const char *decision,
                             const char *diarienummer, const char *note, const char *actor, const char *now_iso,
                             long long *decision_id, rv_error *err)
{
    *decision_id = 0;
    if (strcmp(decision, "registered") && strcmp(decision, "not_public_record") && strcmp(decision, "dispose"))
        return rv_error_set(err, RV_ERR_ARG, "decision must be registered, not_public_record or dispose");
    if (!strcmp(decision, "registered") && (!diarienummer || !*diarienummer))
        return rv_error_set(err, RV_ERR_ARG, "a registered decision needs its diarienummer");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM voicemails WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read voicemails");
    sqlite3_bind_int64(st, 1, voicemail_id);
    int exists = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    if (!exists) return rv_error_set(err, RV_ERR_NOT_FOUND, "no voicemail %lld", voicemail_id);
    const char *t[] = {decision, diarienummer, note, actor, now_iso};
    rv_err rc = exec_one(s,
                         "INSERT INTO decisions (voicemail_id, decision, diarienummer, note, actor, decided_at)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                         t, 5, voicemail_id, NULL, err);
    if (rc == RV_OK) *decision_id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

const char *const rv_audit_actions[] = {
    /* reads */
    "mailbox_read", "mailboxes_listed", "greeting_read", "greetings_listed", "greeting_audio_read", "review_listed",
    "voicemail_read", "voicemails_listed", "audio_read", "units_listed", "sweep_read", "sweeps_listed",
    /* changes */
    "mailbox_created", "mailbox_updated", "greeting_received", "greeting_removed", "name_recording_received",
    "voicemail_received", "callback", "decision", "greeting_reviewed", "voicemail_packaged", "voicemail_archived",
    "unit_created", "unit_updated", "sweep_run", "sweep_done", "disposed", "sign_in", "sign_in_refused", "sign_out",
    NULL};

/* The test hook: compiled in, inert unless RV_TEST_AUDIT_FAILS names a
 * file; while that file exists every audit row fails as on a full disk, so
 * that the tests can see each audited route refuse. */
static int audit_made_to_fail(void)
{
    const char *f = getenv("RV_TEST_AUDIT_FAILS");
    return f && *f && access(f, F_OK) == 0;
}

rv_err rv_store_audit(rv_store *s, const char *now_iso, const char *actor, const char *remote, const char *action,
                      long long voicemail_id, const char *ext, const char *detail, rv_error *err)
{
    size_t k = 0;
    while (rv_audit_actions[k] && strcmp(rv_audit_actions[k], action) != 0) k++;
    if (!rv_audit_actions[k]) return rv_error_set(err, RV_ERR_INTERNAL, "cannot write the audit: no action '%s'", action);
    if (audit_made_to_fail()) return rv_error_set(err, RV_ERR_FULL, "cannot write the audit: RV_TEST_AUDIT_FAILS");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO audit (at, actor, remote, action, voicemail_id, ext, detail)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot write the audit");
    sqlite3_bind_text(st, 1, now_iso, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, remote ? remote : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
    if (voicemail_id > 0) sqlite3_bind_int64(st, 5, voicemail_id);
    else sqlite3_bind_null(st, 5);
    sqlite3_bind_text(st, 6, ext, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, detail, -1, SQLITE_STATIC);
    rv_err rc = sqlite3_step(st) == SQLITE_DONE ? RV_OK : db_error(s, err, "cannot write the audit");
    sqlite3_finalize(st);
    return rc;
}

/* Text of the audit as JSON: bytes that are not UTF-8 (a row written
 * before requests were checked) shown as \xNN, so that no row is left out
 * of the listing. */
static json_t *audit_text(const unsigned char *t)
{
    if (!t) return json_null();
    json_t *j = json_string((const char *)t);
    if (j) return j;
    size_t n = strlen((const char *)t);
    char *buf = malloc(n * 4 + 1);
    if (!buf) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] < 0x80) buf[o++] = (char)t[i];
        else { /* a whole character stays; a stray byte is escaped */
            size_t k = t[i] >= 0xF0 ? 4 : t[i] >= 0xE0 ? 3 : t[i] >= 0xC2 ? 2 : 1, m = 1;
            while (k > 1 && m < k && i + m < n && (t[i + m] & 0xC0) == 0x80) m++;
            char one[5] = "";
            if (k > 1 && m == k) {
                memcpy(one, t + i, k);
                json_t *probe = json_string(one);
                if (probe) {
                    json_decref(probe);
                    memcpy(buf + o, one, k);
                    o += k, i += k - 1;
                    continue;
                }
            }
            o += (size_t)sprintf(buf + o, "\\x%02X", t[i]);
        }
    }
    buf[o] = '\0';
    j = json_string(buf);
    free(buf);
    return j;
}

rv_err rv_store_list_audit(rv_store *s, long long voicemail_id, const char *actor, const char *from,
                           const char *to, int limit, json_t **out, rv_error *err)
{
    *out = NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, at, actor, remote, action, voicemail_id, ext, detail FROM audit"
                           " WHERE (?1 = 0 OR voicemail_id = ?1) AND (?2 IS NULL OR actor = ?2)"
                           " AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4)"
                           " ORDER BY id DESC LIMIT ?5",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read the audit");
    sqlite3_bind_int64(st, 1, voicemail_id);
    sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, to, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, limit);
    json_t *a = json_array();
    int r;
    while (a && (r = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *row = json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
                                "at", audit_text(sqlite3_column_text(st, 1)), "actor",
                                audit_text(sqlite3_column_text(st, 2)), "remote", audit_text(sqlite3_column_text(st, 3)),
                                "action", audit_text(sqlite3_column_text(st, 4)), "voicemail",
                                sqlite3_column_type(st, 5) == SQLITE_NULL ? json_null()
                                                                          : json_integer(sqlite3_column_int64(st, 5)),
                                "ext", audit_text(sqlite3_column_text(st, 6)), "detail",
                                audit_text(sqlite3_column_text(st, 7)));
        if (!row) { /* out of memory: the listing fails rather than leave the row out */
            json_decref(a);
            a = NULL;
            break;
        }
        json_array_append_new(a, row);
    }
    sqlite3_finalize(st);
    if (!a) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    *out = a;
    return RV_OK;
}

rv_err rv_store_voicemail_audio(rv_store *s, long long id, char sha256[RV_SHA256_HEX + 1], char *content_type,
                                size_t ct_cap, int *disposed, rv_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT audio_sha256, content_type, disposed_at FROM voicemails WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read voicemails");
    sqlite3_bind_int64(st, 1, id);
    int r = sqlite3_step(st);
    rv_err rc = RV_OK;
    if (r == SQLITE_ROW) {
        snprintf(sha256, RV_SHA256_HEX + 1, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(content_type, ct_cap, "%s", (const char *)sqlite3_column_text(st, 1));
        *disposed = sqlite3_column_type(st, 2) != SQLITE_NULL;
    } else rc = r == SQLITE_DONE ? rv_error_set(err, RV_ERR_NOT_FOUND, "no voicemail %lld", id)
                                 : db_error(s, err, "cannot read voicemails");
    sqlite3_finalize(st);
    return rc;
}

rv_err rv_store_list_voicemails(rv_store *s, const rv_vm_query *q, json_t **out, int *more, rv_error *err)
{
    *out = NULL;
    *more = 0;
    sqlite3_stmt *st;
    const char *sql =
        "SELECT v.id, v.ext, v.caller, v.received_at, v.content_type, v.bytes, v.state, v.classification,"
        " (SELECT d.decision FROM decisions d WHERE d.voicemail_id = v.id ORDER BY d.id DESC LIMIT 1) AS dec,"
        " m.first_name || ' ' || m.last_name, m.unit, json_extract(v.report, '$.duration_s'),"
        " json_extract(v.report, '$.reasons')"
        " FROM voicemails v JOIN mailboxes m ON m.ext = v.ext"
        " WHERE (?1 IS NULL OR v.classification = ?1)"
        " AND (?2 IS NULL OR (CASE ?2 WHEN 'none' THEN dec IS NULL WHEN 'any' THEN dec IS NOT NULL"
        "                     ELSE dec IS ?2 END))"
        " AND (?3 IS NULL OR v.ext = ?3)"
        " AND (?4 IS NULL OR v.ext IN (SELECT ext FROM mailboxes WHERE rv_unit_key(unit) = rv_unit_key(?4)))"
        " AND (?5 IS NULL OR v.received_at >= ?5) AND (?6 IS NULL OR v.received_at < ?6)"
        " AND (?8 = 0 OR v.received_at < (SELECT received_at FROM voicemails WHERE id = ?8)"
        "      OR (v.received_at = (SELECT received_at FROM voicemails WHERE id = ?8) AND v.id < ?8))"
        " ORDER BY v.received_at DESC, v.id DESC LIMIT ?9";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return db_error(s, err, "cannot list voicemails");
    const char *t[] = {q->classification, q->decision, q->ext, q->unit, q->from, q->to};
    for (int i = 0; i < 6; i++) sqlite3_bind_text(st, i + 1, t[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, q->after_id);
    int limit = q->limit > 0 && q->limit <= 500 ? q->limit : 50;
    sqlite3_bind_int(st, 9, limit + 1);
    json_t *a = json_array();
    int r, n = 0;
    while (a && (r = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == limit) {
            *more = 1;
            break;
        }
        const char *cls = (const char *)sqlite3_column_text(st, 7), *dec = (const char *)sqlite3_column_text(st, 8);
        json_array_append_new(
            a, json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:s,s:o,s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
                         "ext", (const char *)sqlite3_column_text(st, 1), "caller",
                         (const char *)sqlite3_column_text(st, 2), "received_at",
                         (const char *)sqlite3_column_text(st, 3), "content_type",
                         (const char *)sqlite3_column_text(st, 4), "bytes", (json_int_t)sqlite3_column_int64(st, 5),
                         "state", (const char *)sqlite3_column_text(st, 6), "classification",
                         cls ? json_string(cls) : json_null(), "decision", dec ? json_string(dec) : json_null()));
        json_t *item = json_array_get(a, json_array_size(a) - 1);
        const char *reasons = (const char *)sqlite3_column_text(st, 12);
        json_t *rj = reasons ? json_loads(reasons, 0, NULL) : NULL;
        if (item) {
            json_object_set_new(item, "name", text_or_null(st, 9));
            json_object_set_new(item, "unit", text_or_null(st, 10));
            json_object_set_new(item, "duration_s", sqlite3_column_type(st, 11) == SQLITE_NULL
                                                        ? json_null()
                                                        : json_real(sqlite3_column_double(st, 11)));
            json_object_set_new(item, "reasons", json_is_array(rj) ? json_incref(rj) : json_array());
        }
        json_decref(rj);
        n++;
    }
    sqlite3_finalize(st);
    if (!a) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    *out = a;
    return RV_OK;
}

/* Greetings (schema 2). */


/* "a,b" -> ["a","b"] */
static json_t *split_list(const char *s)
{
    json_t *a = json_array();
    while (a && s && *s) {
        size_t n = strcspn(s, ",");
        json_array_append_new(a, json_stringn(s, n));
        s += n + (s[n] == ',');
    }
    return a;
}

#define GREETING_COLS                                                                          \
    "g.id, g.received_at, g.removed, g.content_type, g.bytes, g.compliant, g.violations,"      \
    " g.missing_reason, g.absence_until, g.profile, g.audio_sha256, g.review"

/* The summary of a greeting row selected with GREETING_COLS from column c. */
static json_t *greeting_json(sqlite3_stmt *st, int c)
{
    int compliant_null = sqlite3_column_type(st, c + 5) == SQLITE_NULL;
    json_t *g = json_pack("{s:I,s:o,s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)sqlite3_column_int64(st, c),
                     "received_at", text_or_null(st, c + 1), "removed", sqlite3_column_int(st, c + 2),
                     "content_type", text_or_null(st, c + 3), "bytes",
                     sqlite3_column_type(st, c + 4) == SQLITE_NULL ? json_null()
                                                                   : json_integer(sqlite3_column_int64(st, c + 4)),
                     "compliant", compliant_null ? json_null() : json_boolean(sqlite3_column_int(st, c + 5)),
                     "violations", split_list((const char *)sqlite3_column_text(st, c + 6)), "missing_reason",
                     text_or_null(st, c + 7), "absence_until", text_or_null(st, c + 8), "profile",
                     text_or_null(st, c + 9), "audio_sha256", text_or_null(st, c + 10));
    if (g) json_object_set_new(g, "review", split_list((const char *)sqlite3_column_text(st, c + 11)));
    return g;
}

/* 1, 0 or NULL */
static void bind_compliance(sqlite3_stmt *st, int i, rv_compliance c)
{
    if (c == RV_COMPLIANCE_UNKNOWN) sqlite3_bind_null(st, i);
    else sqlite3_bind_int(st, i, c == RV_COMPLIANCE_YES);
}

rv_err rv_store_add_greeting(rv_store *s, const rv_greeting_row *g, long long *id, rv_error *err)
{
    *id = 0;
    if (!digits(g->ext, 20)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    if (!g->removed && (!is_hex64(g->sha256) || (g->blob && strcmp(g->blob->sha256, g->sha256) != 0)))
        return rv_error_set(err, RV_ERR_ARG, "not a SHA-256 in hex");
    sqlite3_stmt *st = NULL;
    rv_err rc = RV_OK;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return db_error(s, err, "cannot begin");
    int exists = mailbox_exists(s, g->ext);
    if (exists <= 0) {
        rc = exists < 0 ? db_error(s, err, "cannot read mailboxes")
                        : rv_error_set(err, RV_ERR_NOT_FOUND, "no mailbox %s", g->ext);
        goto out;
    }
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO greetings (ext, audio_sha256, content_type, bytes, received_at, removed,"
                           " report, analysed_at, models_version, compliant, violations, missing_reason,"
                           " absence_until, profile, review) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
                           " ?12, ?13, ?14, ?15)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(s, err, "cannot write greetings");
        goto out;
    }
    sqlite3_bind_text(st, 1, g->ext, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, g->removed ? NULL : g->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, g->removed ? NULL : g->content_type, -1, SQLITE_STATIC);
    if (!g->removed) sqlite3_bind_int64(st, 4, (sqlite3_int64)g->bytes);
    sqlite3_bind_text(st, 5, g->received_at, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, g->removed != 0);
    sqlite3_bind_text(st, 7, g->report, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, g->report ? g->received_at : NULL, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, g->models_version, -1, SQLITE_STATIC);
    bind_compliance(st, 10, g->removed ? RV_COMPLIANCE_NO : g->compliance);
    sqlite3_bind_text(st, 11, g->violations ? g->violations : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 12, g->missing_reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 13, g->absence_until, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 14, g->profile, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 15, g->review && !g->removed ? g->review : "", -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = db_error(s, err, "cannot store the greeting");
        goto out;
    }
    *id = sqlite3_last_insert_rowid(s->db);
    sqlite3_finalize(st);
    st = NULL;
    if (!g->removed && g->blob && index_blob(s, g->blob) != 0) {
        rc = db_error(s, err, "cannot index the audio");
        goto out;
    }
    if (sqlite3_prepare_v2(s->db, "UPDATE mailboxes SET greeting_id = ?1 WHERE ext = ?2", -1, &st, NULL) !=
        SQLITE_OK) {
        rc = db_error(s, err, "cannot write mailboxes");
        goto out;
    }
    sqlite3_bind_int64(st, 1, *id);
    sqlite3_bind_text(st, 2, g->ext, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) rc = db_error(s, err, "cannot update the mailbox");
    if (rc == RV_OK && g->actor)
        rc = rv_store_audit(s, g->received_at, g->actor, g->remote, g->removed ? "greeting_removed" : "greeting_received",
                            0, g->ext, NULL, err);
out:
    sqlite3_finalize(st);
    if (rc == RV_OK && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_error(s, err, "cannot commit");
    if (rc != RV_OK) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        *id = 0;
        if (!g->removed && g->blob) release_range(s, g->blob); /* staged for nothing */
    }
    return rc;
}

rv_err rv_store_list_greetings(rv_store *s, const char *ext, json_t **out, rv_error *err)
{
    *out = NULL;
    if (!digits(ext, 20)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    int exists = mailbox_exists(s, ext);
    if (exists <= 0)
        return exists < 0 ? db_error(s, err, "cannot read mailboxes")
                          : rv_error_set(err, RV_ERR_NOT_FOUND, "no mailbox %s", ext);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT " GREETING_COLS " FROM greetings g WHERE g.ext = ?1 ORDER BY g.id DESC",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read greetings");
    sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
    json_t *a = json_array();
    int r;
    while (a && (r = sqlite3_step(st)) == SQLITE_ROW) json_array_append_new(a, greeting_json(st, 0));
    sqlite3_finalize(st);
    if (!a) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    *out = a;
    return RV_OK;
}

rv_err rv_store_get_greeting(rv_store *s, const char *ext, long long id, json_t **out, rv_error *err)
{
    *out = NULL;
    if (!digits(ext, 20)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT " GREETING_COLS ", g.report FROM greetings g WHERE g.ext = ?1 AND g.id ="
                           " (CASE WHEN ?2 > 0 THEN ?2 ELSE (SELECT greeting_id FROM mailboxes WHERE ext = ?1) END)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read greetings");
    sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    int r = sqlite3_step(st);
    rv_err rc = RV_OK;
    if (r == SQLITE_ROW) {
        json_t *g = greeting_json(st, 0);
        const char *rep = (const char *)sqlite3_column_text(st, 12);
        json_t *analysis = rep ? json_loads(rep, 0, NULL) : NULL;
        if (g) json_object_set_new(g, "analysis", analysis ? analysis : json_null());
        else json_decref(analysis);
        *out = g;
        if (!g) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    } else if (r != SQLITE_DONE) rc = db_error(s, err, "cannot read greetings");
    else if (id > 0) rc = rv_error_set(err, RV_ERR_NOT_FOUND, "mailbox %s has no greeting %lld", ext, id);
    else rc = rv_error_set(err, RV_ERR_NOT_FOUND, "mailbox %s has no greeting", ext);
    sqlite3_finalize(st);
    return rc;
}

void rv_store_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++) free(names[i]);
    free(names);
}

rv_err rv_store_directory_names(rv_store *s, const char *ext, char ***names, char ***units, size_t *n,
                                rv_error *err)
{
    *names = *units = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT first_name || ' ' || last_name, unit FROM mailboxes WHERE ext IS NOT ?1"
                           " ORDER BY ext",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read mailboxes");
    sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
    char **v = NULL, **u = NULL;
    size_t k = 0, cap = 0;
    rv_err rc = RV_OK;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (k == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nv = realloc(v, nc * sizeof *nv);
            if (nv) v = nv;
            char **nu = nv ? realloc(u, nc * sizeof *nu) : NULL;
            if (nu) u = nu;
            if (!nv || !nu) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); break; }
            cap = nc;
        }
        const unsigned char *t = sqlite3_column_text(st, 0), *t2 = sqlite3_column_text(st, 1);
        v[k] = strdup(t ? (const char *)t : "");
        u[k] = v[k] ? strdup(t2 ? (const char *)t2 : "") : NULL;
        if (!u[k]) {
            free(v[k]);
            rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
            break;
        }
        k++;
    }
    if (rc == RV_OK && r != SQLITE_DONE) rc = db_error(s, err, "cannot read mailboxes");
    sqlite3_finalize(st);
    if (rc != RV_OK) {
        rv_store_names_free(v, k);
        rv_store_names_free(u, k);
        return rc;
    }
    *names = v;
    *units = u;
    *n = k;
    return RV_OK;
}

rv_err rv_store_list_mailboxes(rv_store *s, const rv_mb_query *q, json_t **out, int *more, rv_error *err)
{
    *out = NULL;
    *more = 0;
    sqlite3_stmt *st;
    /* compliant: the current greeting exists, is not removed, and was found compliant */
    const char *sql =
        "SELECT m.ext, m.first_name, m.last_name, m.unit, m.org, m.profile, m.mobile, g.id IS NOT NULL, " GREETING_COLS
        ", m.name_received_at, m.email FROM mailboxes m LEFT JOIN greetings g ON g.id = m.greeting_id"
        " WHERE (?1 = 0 OR (?1 = 1) = (coalesce(g.compliant, 0) = 1 AND g.removed = 0))"
        " AND (?2 IS NULL OR rv_unit_key(m.unit) = rv_unit_key(?2)) AND (?3 IS NULL OR m.ext > ?3) AND (?5 IS NULL OR m.ext = ?5)"
        " AND (?6 IS NULL OR lower(m.email) = lower(?6)) ORDER BY m.ext LIMIT ?4";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return db_error(s, err, "cannot list mailboxes");
    sqlite3_bind_int(st, 1, q->compliant == RV_MB_COMPLIANT ? 1 : q->compliant == RV_MB_NOT_COMPLIANT ? 2 : 0);
    sqlite3_bind_text(st, 2, q->unit, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, q->after_ext, -1, SQLITE_STATIC);
    int limit = q->limit > 0 && q->limit <= 500 ? q->limit : 50;
    sqlite3_bind_int(st, 4, limit + 1);
    sqlite3_bind_text(st, 5, q->ext, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, q->email, -1, SQLITE_STATIC);
    json_t *a = json_array();
    int r, n = 0;
    while (a && (r = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == limit) {
            *more = 1;
            break;
        }
        json_t *m = json_object();
        const char *keys[] = {"ext", "first_name", "last_name", "unit", "org", "profile", "mobile"};
        for (int i = 0; m && i < 7; i++) json_object_set_new(m, keys[i], text_or_null(st, i));
        if (m) json_object_set_new(m, "greeting", sqlite3_column_int(st, 7) ? greeting_json(st, 8) : json_null());
        if (m) json_object_set_new(m, "name_recording_at", text_or_null(st, 20));
        if (m) json_object_set_new(m, "email", text_or_null(st, 21));
        json_array_append_new(a, m);
        n++;
    }
    sqlite3_finalize(st);
    if (!a) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    *out = a;
    return RV_OK;
}

void rv_store_autocheckpoint(rv_store *s, int on)
{
    sqlite3_wal_autocheckpoint(s->db, on ? 1000 : 0);
}

rv_err rv_store_checkpoint(rv_store *s, rv_error *err)
{
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return rc == SQLITE_OK || rc == SQLITE_BUSY ? RV_OK : db_error(s, err, "checkpoint failed");
}

/* ---- the nightly sweep's queries ---- */

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static void copy_col(char *dst, size_t cap, sqlite3_stmt *st, int i)
{
    const char *t = col_text(st, i);
    snprintf(dst, cap, "%s", t ? t : "");
}

long long rv_store_count(rv_store *s, rv_count_what what)
{
    static const char *const sql[] = {
        [RV_COUNT_MAILBOXES] = "SELECT count(*) FROM mailboxes",
        [RV_COUNT_CURRENT_GREETINGS] = "SELECT count(*) FROM mailboxes m JOIN greetings g ON g.id = m.greeting_id"
                                       " WHERE g.removed = 0",
        [RV_COUNT_OPEN_CALLBACKS] = "SELECT count(*) FROM voicemails WHERE callback_at IS NULL AND disposed_at IS NULL"
                                    " AND coalesce(classification, '') != 'empty'",
        [RV_COUNT_DISPOSABLE] = "SELECT count(*) FROM voicemails WHERE disposed_at IS NULL AND state = 'analysed'",
    };
    if ((unsigned)what >= sizeof sql / sizeof *sql) return -1;
    sqlite3_stmt *st;
    long long n = -1;
    if (sqlite3_prepare_v2(s->db, sql[what], -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

rv_err rv_store_current_greetings(rv_store *s, const char *after_ext, rv_current_greeting *out, size_t cap,
                                  size_t *n, rv_error *err)
{
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT m.ext, m.first_name, m.last_name, m.unit, m.org, m.profile, m.mobile, g.id,"
                           " g.models_version, g.audio_sha256, g.content_type, g.received_at"
                           " FROM mailboxes m JOIN greetings g ON g.id = m.greeting_id"
                           " WHERE g.removed = 0 AND m.ext > ?1 ORDER BY m.ext LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read greetings");
    sqlite3_bind_text(st, 1, after_ext ? after_ext : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)cap);
    int r = SQLITE_DONE;
    while (*n < cap && (r = sqlite3_step(st)) == SQLITE_ROW) {
        rv_current_greeting *g = &out[(*n)++];
        memset(g, 0, sizeof *g);
        char *dst[] = {g->m.ext, g->m.first_name, g->m.last_name, g->m.unit, g->m.org, g->m.profile, g->m.mobile};
        size_t caps[] = {sizeof g->m.ext, sizeof g->m.first_name, sizeof g->m.last_name, sizeof g->m.unit,
                         sizeof g->m.org, sizeof g->m.profile, sizeof g->m.mobile};
        for (int i = 0; i < 7; i++) copy_col(dst[i], caps[i], st, i);
        g->id = sqlite3_column_int64(st, 7);
        copy_col(g->models_version, sizeof g->models_version, st, 8);
        copy_col(g->sha256, sizeof g->sha256, st, 9);
        copy_col(g->content_type, sizeof g->content_type, st, 10);
        copy_col(g->received_at, sizeof g->received_at, st, 11);
    }
    rv_err rc = *n < cap && r != SQLITE_DONE ? db_error(s, err, "cannot read greetings") : RV_OK;
    sqlite3_finalize(st);
    if (rc != RV_OK) *n = 0;
    return rc;
}

rv_err rv_store_reanalysed_greeting(rv_store *s, long long id, const rv_greeting_row *g, const char *now_iso,
                                    rv_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "UPDATE greetings SET report = ?1, compliant = ?2, violations = ?3, missing_reason = ?4,"
                           " absence_until = ?5, profile = ?6, models_version = ?7, analysed_at = ?8, review = ?10"
                           " WHERE id = ?9",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot update greetings");
    sqlite3_bind_text(st, 1, g->report, -1, SQLITE_STATIC);
    bind_compliance(st, 2, g->compliance);
    sqlite3_bind_text(st, 3, g->violations ? g->violations : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, g->missing_reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, g->absence_until, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, g->profile, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, g->models_version, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, now_iso, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, id);
    sqlite3_bind_text(st, 10, g->review ? g->review : "", -1, SQLITE_STATIC);
    rv_err rc = RV_OK;
    if (sqlite3_step(st) != SQLITE_DONE) rc = db_error(s, err, "cannot update a greeting");
    else if (sqlite3_changes(s->db) == 0) rc = rv_error_set(err, RV_ERR_NOT_FOUND, "no greeting %lld", id);
    sqlite3_finalize(st);
    return rc;
}

rv_err rv_store_unit_shares(rv_store *s, rv_unit_share **out, size_t *n, rv_error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "WITH " UNIT_SPELLINGS
                           " SELECT u.unit, count(*), sum(coalesce(g.compliant, 0) = 1 AND g.removed = 0)"
                           " FROM mailboxes m LEFT JOIN greetings g ON g.id = m.greeting_id"
                           " JOIN unit_spellings u ON u.k = rv_unit_key(m.unit) GROUP BY u.k ORDER BY u.k",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot count units");
    rv_unit_share *a = NULL;
    size_t k = 0, cap = 0;
    rv_err rc = RV_OK;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (k == cap) {
            size_t nc = cap ? cap * 2 : 32;
            rv_unit_share *na = realloc(a, nc * sizeof *na);
            if (!na) {
                rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
                break;
            }
            a = na;
            cap = nc;
        }
        copy_col(a[k].unit, sizeof a[k].unit, st, 0);
        a[k].mailboxes = (long)sqlite3_column_int64(st, 1);
        a[k].compliant = (long)sqlite3_column_int64(st, 2);
        k++;
    }
    if (rc == RV_OK && r != SQLITE_DONE) rc = db_error(s, err, "cannot count units");
    sqlite3_finalize(st);
    if (rc != RV_OK) {
        free(a);
        return rc;
    }
    *out = a;
    *n = k;
    return RV_OK;
}

rv_err rv_store_greeting_findings(rv_store *s, rv_finding_kind kind, const char *date,
                                  void (*fn)(void *user, const rv_greeting_finding *f), void *user, rv_error *err)
{
    static const char *const where[] = {
        [RV_FINDING_MISSING] = "g.id IS NULL OR g.removed = 1 OR g.missing_reason IS NOT NULL",
        [RV_FINDING_NONCOMPLIANT] = "g.removed = 0 AND g.missing_reason IS NULL AND g.compliant = 0",
        [RV_FINDING_STALE_ABSENCE] = "g.removed = 0 AND g.absence_until IS NOT NULL"
                                     " AND substr(g.absence_until, 1, 10) < ?1",
        [RV_FINDING_REVIEW] = "g.removed = 0 AND g.review != ''"
                              " AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.greeting_id = g.id)",
    };
    if ((unsigned)kind >= sizeof where / sizeof *where) return rv_error_set(err, RV_ERR_ARG, "no such list");
    char sql[1024];
    snprintf(sql, sizeof sql,
             "WITH " UNIT_SPELLINGS
             " SELECT m.ext, m.first_name || ' ' || m.last_name, coalesce(u.unit, m.unit), g.id, g.removed,"
             " g.missing_reason, g.violations, g.absence_until, g.received_at, m.profile, g.review"
             " FROM mailboxes m LEFT JOIN greetings g ON g.id = m.greeting_id"
             " LEFT JOIN unit_spellings u ON u.k = rv_unit_key(m.unit) WHERE (%s)"
             " ORDER BY u.k, m.ext",
             where[kind]);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return db_error(s, err, "cannot read mailboxes");
    if (kind == RV_FINDING_STALE_ABSENCE) sqlite3_bind_text(st, 1, date ? date : "", -1, SQLITE_STATIC);
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        rv_greeting_finding f = {
            .ext = col_text(st, 0), .name = col_text(st, 1), .unit = col_text(st, 2),
            .greeting_id = sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 3),
            .removed = sqlite3_column_int(st, 4), .missing_reason = col_text(st, 5), .violations = col_text(st, 6),
            .absence_until = col_text(st, 7), .received_at = col_text(st, 8), .profile = col_text(st, 9),
            .review = col_text(st, 10) ? col_text(st, 10) : ""};
        fn(user, &f);
    }
    rv_err rc = r == SQLITE_DONE ? RV_OK : db_error(s, err, "cannot read mailboxes");
    sqlite3_finalize(st);
    return rc;
}

rv_err rv_store_open_callbacks(rv_store *s, void (*fn)(void *user, const rv_open_callback *v), void *user,
                               rv_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "WITH " UNIT_SPELLINGS
                           " SELECT v.id, v.ext, v.received_at, v.classification, v.caller,"
                           " m.first_name || ' ' || m.last_name, coalesce(u.unit, m.unit), m.profile"
                           " FROM voicemails v JOIN mailboxes m ON m.ext = v.ext"
                           " LEFT JOIN unit_spellings u ON u.k = rv_unit_key(m.unit)"
                           " WHERE v.callback_at IS NULL AND v.disposed_at IS NULL"
                           " AND coalesce(v.classification, '') != 'empty' ORDER BY v.id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read voicemails");
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        rv_open_callback v = {.id = sqlite3_column_int64(st, 0), .ext = col_text(st, 1),
                              .received_at = col_text(st, 2), .classification = col_text(st, 3),
                              .caller = col_text(st, 4), .name = col_text(st, 5), .unit = col_text(st, 6),
                              .profile = col_text(st, 7)};
        fn(user, &v);
    }
    rv_err rc = r == SQLITE_DONE ? RV_OK : db_error(s, err, "cannot read voicemails");
    sqlite3_finalize(st);
    return rc;
}

rv_err rv_store_disposal_candidates(rv_store *s, long long after_id, rv_disposal_candidate *out, size_t cap,
                                    size_t *n, rv_error *err)
{
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "WITH " UNIT_SPELLINGS
                           " SELECT v.id, v.ext, v.received_at, v.classification, v.audio_sha256, m.profile,"
                           " coalesce(u.unit, m.unit), (SELECT d.decision FROM decisions d WHERE d.voicemail_id = v.id"
                           "  ORDER BY d.id DESC LIMIT 1), v.archived_at"
                           " FROM voicemails v JOIN mailboxes m ON m.ext = v.ext"
                           " LEFT JOIN unit_spellings u ON u.k = rv_unit_key(m.unit)"
                           " WHERE v.disposed_at IS NULL AND v.state = 'analysed' AND v.id > ?1"
                           " ORDER BY v.id LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read voicemails");
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)cap);
    int r = SQLITE_DONE;
    while (*n < cap && (r = sqlite3_step(st)) == SQLITE_ROW) {
        rv_disposal_candidate *x = &out[(*n)++];
        memset(x, 0, sizeof *x);
        x->id = sqlite3_column_int64(st, 0);
        copy_col(x->ext, sizeof x->ext, st, 1);
        copy_col(x->received_at, sizeof x->received_at, st, 2);
        copy_col(x->classification, sizeof x->classification, st, 3);
        copy_col(x->sha256, sizeof x->sha256, st, 4);
        copy_col(x->profile, sizeof x->profile, st, 5);
        copy_col(x->unit, sizeof x->unit, st, 6);
        copy_col(x->decision, sizeof x->decision, st, 7);
        copy_col(x->archived_at, sizeof x->archived_at, st, 8);
    }
    rv_err rc = *n < cap && r != SQLITE_DONE ? db_error(s, err, "cannot read voicemails") : RV_OK;
    sqlite3_finalize(st);
    if (rc != RV_OK) *n = 0;
    return rc;
}

rv_err rv_store_dispose(rv_store *s, rv_disposal *d, size_t n, const char *actor, const char *now_iso,
                        rv_error *err)
{
    sqlite3_stmt *mark = NULL, *refs = NULL;
    rv_err rc = RV_OK;
    for (size_t i = 0; i < n; i++) {
        d[i].done = 0;
        d[i].erase_rc = RV_OK;
    }
    rv_audio_loc *gone = calloc(n ? n : 1, sizeof *gone); /* audio to erase after the commit */
    size_t *owner = calloc(n ? n : 1, sizeof *owner);
    long long *record = calloc(n ? n : 1, sizeof *record); /* its erasure's record */
    size_t n_gone = 0;
    if (!gone || !owner || !record) {
        free(gone);
        free(owner);
        free(record);
        return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        free(gone);
        free(owner);
        free(record);
        return db_error(s, err, "cannot begin");
    }
    if (sqlite3_prepare_v2(s->db, "UPDATE voicemails SET disposed_at = ?1 WHERE id = ?2 AND disposed_at IS NULL", -1,
                           &mark, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "SELECT (SELECT count(*) FROM voicemails WHERE audio_sha256 = ?1 AND disposed_at IS NULL)"
                           " + (SELECT count(*) FROM greetings WHERE audio_sha256 = ?1)"
                           " + (SELECT count(*) FROM mailboxes WHERE name_audio_sha256 = ?1)",
                           -1, &refs, NULL) != SQLITE_OK) {
        rc = db_error(s, err, "cannot prepare the disposal");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(mark);
        sqlite3_bind_text(mark, 1, now_iso, -1, SQLITE_STATIC);
        sqlite3_bind_int64(mark, 2, d[i].id);
        if (sqlite3_step(mark) != SQLITE_DONE) {
            rc = db_error(s, err, "cannot mark a voicemail disposed of");
            goto out;
        }
        if (sqlite3_changes(s->db) == 0) continue; /* someone else did */
        if ((rc = rv_store_audit(s, now_iso, actor, "", "disposed", d[i].id, d[i].ext, d[i].detail, err)) != RV_OK)
            goto out;
        d[i].done = 1;
        sqlite3_reset(refs);
        sqlite3_bind_text(refs, 1, d[i].sha256, -1, SQLITE_STATIC);
        if (sqlite3_step(refs) != SQLITE_ROW) {
            rc = db_error(s, err, "cannot count references");
            goto out;
        }
        if (sqlite3_column_int64(refs, 0) > 0) continue; /* the same bytes are still someone's */
        rv_error pe;
        rv_err fr = rv_store_forget_audio(s, d[i].sha256, &gone[n_gone], &pe);
        if (fr == RV_OK) {
            /* what is to be erased is written down with the disposal */
            if ((rc = record_erasure(s, &gone[n_gone], &record[n_gone], err)) != RV_OK) goto out;
            owner[n_gone++] = i;
        } else if (fr != RV_ERR_NOT_FOUND && fr != RV_ERR_ARG) {
            rc = fr;
            *err = pe;
            goto out;
        }
    }
out:
    sqlite3_finalize(mark);
    sqlite3_finalize(refs);
    if (rc == RV_OK && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_error(s, err, "cannot commit");
    if (rc != RV_OK) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        for (size_t i = 0; i < n; i++) d[i].done = 0;
        n_gone = 0;
    }
    /* the bytes go once nothing points to them any more: an upload of the
     * same bytes committed from now on indexes a copy of its own. A record
     * is dropped only once its bytes are erased and synced; one left (a
     * crash, an error) is finished at the next start or sweep
     * (rv_store_finish_erasures). */
    size_t n_done = 0;
    for (size_t i = 0; i < n_gone; i++) {
        rv_disposal *x = &d[owner[i]];
        x->erase_rc = erase_recorded(s, &gone[i], &x->erase_err);
        if (x->erase_rc == RV_OK) record[n_done++] = record[i];
    }
    rv_error de;
    drop_erasures(s, record, n_done, &de); /* kept records are erased again: no harm */
    free(gone);
    free(owner);
    free(record);
    return rc;
}

/* ---- reviews ---- */

static int review_value(const char *v)
{
    return !v || strcmp(v, "stated") == 0 || strcmp(v, "not_stated") == 0;
}

rv_err rv_store_add_review(rv_store *s, const rv_review *r, long long *id, rv_error *err)
{
    *id = 0;
    const char *v[4] = {r->name, r->unit, r->org, r->closing};
    const char *keys[4] = {"name", "unit", "org", "closing"};
    int any = 0;
    for (int i = 0; i < 4; i++) {
        if (!review_value(v[i]))
            return rv_error_set(err, RV_ERR_ARG, "%s must be \"stated\" or \"not_stated\"", keys[i]);
        any |= v[i] != NULL;
    }
    if (!any) return rv_error_set(err, RV_ERR_ARG, "a review says what was heard of name, unit, org or closing");
    if (!digits(r->ext, 20)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    sqlite3_stmt *st = NULL;
    rv_err rc = RV_OK;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return db_error(s, err, "cannot begin");
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM greetings WHERE id = ?1 AND ext = ?2 AND removed = 0", -1, &st,
                           NULL) != SQLITE_OK) {
        rc = db_error(s, err, "cannot read greetings");
        goto out;
    }
    sqlite3_bind_int64(st, 1, r->greeting_id);
    sqlite3_bind_text(st, 2, r->ext, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    st = NULL;
    if (step != SQLITE_ROW) {
        rc = step == SQLITE_DONE ? rv_error_set(err, RV_ERR_NOT_FOUND, "mailbox %s has no greeting %lld", r->ext,
                                                r->greeting_id)
                                 : db_error(s, err, "cannot read greetings");
        goto out;
    }
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO reviews (greeting_id, name, unit, org, closing, actor, reviewed_at)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(s, err, "cannot write reviews");
        goto out;
    }
    sqlite3_bind_int64(st, 1, r->greeting_id);
    for (int i = 0; i < 4; i++) sqlite3_bind_text(st, i + 2, v[i], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, r->now, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = db_error(s, err, "cannot store the review");
        goto out;
    }
    *id = sqlite3_last_insert_rowid(s->db);
    sqlite3_finalize(st);
    st = NULL;
    char detail[96];
    snprintf(detail, sizeof detail, "greeting %lld", r->greeting_id);
    rc = rv_store_audit(s, r->now, r->actor, r->remote, "greeting_reviewed", 0, r->ext, detail, err);
out:
    sqlite3_finalize(st);
    if (rc == RV_OK && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_error(s, err, "cannot commit");
    if (rc != RV_OK) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        *id = 0;
    }
    return rc;
}

rv_err rv_store_list_review(rv_store *s, const char *after_ext, int limit, json_t **out, int *more, rv_error *err)
{
    *out = NULL;
    *more = 0;
    if (limit < 1 || limit > 500) limit = 50;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT m.ext, m.first_name || ' ' || m.last_name, m.unit, g.id, g.received_at, g.review"
                           " FROM mailboxes m JOIN greetings g ON g.id = m.greeting_id"
                           " WHERE g.removed = 0 AND g.review != '' AND m.ext > ?1"
                           " AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.greeting_id = g.id)"
                           " ORDER BY m.ext LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read greetings");
    sqlite3_bind_text(st, 1, after_ext ? after_ext : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, limit + 1);
    json_t *a = json_array();
    int r, n = 0;
    while (a && (r = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == limit) {
            *more = 1;
            break;
        }
        json_array_append_new(a, json_pack("{s:o,s:o,s:o,s:I,s:o,s:o}", "ext", text_or_null(st, 0), "name",
                                           text_or_null(st, 1), "unit", text_or_null(st, 2), "greeting_id",
                                           (json_int_t)sqlite3_column_int64(st, 3), "received_at",
                                           text_or_null(st, 4), "unsure", split_list(col_text(st, 5))));
        n++;
    }
    rv_err rc = !a ? rv_error_set(err, RV_ERR_NOMEM, "out of memory")
                   : (r != SQLITE_ROW && r != SQLITE_DONE) ? db_error(s, err, "cannot read greetings") : RV_OK;
    sqlite3_finalize(st);
    if (rc != RV_OK) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return RV_OK;
}

rv_err rv_store_each_reviewed(rv_store *s, void (*fn)(void *user, const rv_reviewed *r), void *user, rv_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT g.id, g.report, r.name, r.unit, r.org, r.closing FROM reviews r"
                           " JOIN greetings g ON g.id = r.greeting_id"
                           " WHERE r.id = (SELECT max(id) FROM reviews WHERE greeting_id = g.id)"
                           " AND g.report IS NOT NULL ORDER BY g.id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read reviews");
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        rv_reviewed v = {.greeting_id = sqlite3_column_int64(st, 0), .report = col_text(st, 1),
                         .name = col_text(st, 2), .unit = col_text(st, 3), .org = col_text(st, 4),
                         .closing = col_text(st, 5)};
        fn(user, &v);
    }
    rv_err rc = r == SQLITE_DONE ? RV_OK : db_error(s, err, "cannot read reviews");
    sqlite3_finalize(st);
    return rc;
}

/* ---- the owner's recorded name ---- */

rv_err rv_store_set_name_recording(rv_store *s, const char *ext, const rv_audio_blob *blob, const char *content_type,
                                   const char *actor, const char *remote, const char *now_iso, rv_error *err)
{
    if (!digits(ext, 20)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    sqlite3_stmt *st = NULL;
    rv_err rc = RV_OK;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        release_range(s, blob);
        return db_error(s, err, "cannot begin");
    }
    int exists = mailbox_exists(s, ext);
    if (exists <= 0) {
        rc = exists < 0 ? db_error(s, err, "cannot read mailboxes") : rv_error_set(err, RV_ERR_NOT_FOUND, "no mailbox %s", ext);
        goto out;
    }
    if (index_blob(s, blob) != 0) {
        rc = db_error(s, err, "cannot index the audio");
        goto out;
    }
    static const char *const sql[] = {
        "UPDATE mailboxes SET name_audio_sha256 = ?1, name_content_type = ?2, name_received_at = ?3 WHERE ext = ?4",
        /* the current greeting's verdict may change: the next sweep analyses it again */
        "UPDATE greetings SET models_version = '' WHERE id = (SELECT greeting_id FROM mailboxes WHERE ext = ?4)",
    };
    for (size_t i = 0; rc == RV_OK && i < sizeof sql / sizeof *sql; i++) {
        if (sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL) != SQLITE_OK) {
            rc = db_error(s, err, "cannot write mailboxes");
            break;
        }
        const char *v[] = {blob->sha256, content_type, now_iso, ext};
        for (int k = 0; k < 4; k++)
            if (sqlite3_bind_parameter_count(st) > k) sqlite3_bind_text(st, k + 1, v[k], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) rc = db_error(s, err, "cannot store the recorded name");
        sqlite3_finalize(st);
        st = NULL;
    }
    if (rc == RV_OK) rc = rv_store_audit(s, now_iso, actor, remote, "name_recording_received", 0, ext, NULL, err);
out:
    if (rc == RV_OK && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_error(s, err, "cannot commit");
    if (rc != RV_OK) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        release_range(s, blob); /* staged for nothing */
    }
    return rc;
}

rv_err rv_store_name_recording(rv_store *s, const char *ext, char sha256[RV_SHA256_HEX + 1], char *content_type,
                               size_t ct_cap, rv_error *err)
{
    sha256[0] = '\0';
    if (ct_cap) content_type[0] = '\0';
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT name_audio_sha256, name_content_type FROM mailboxes WHERE ext = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read mailboxes");
    sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    rv_err rc = RV_OK;
    if (r == SQLITE_ROW && col_text(st, 0)) {
        snprintf(sha256, RV_SHA256_HEX + 1, "%s", col_text(st, 0));
        snprintf(content_type, ct_cap, "%s", col_text(st, 1) ? col_text(st, 1) : "");
    } else if (r == SQLITE_ROW || r == SQLITE_DONE)
        rc = rv_error_set(err, RV_ERR_NOT_FOUND, "mailbox %s has no recorded name", ext);
    else rc = db_error(s, err, "cannot read mailboxes");
    sqlite3_finalize(st);
    return rc;
}

/* ---- the sweeps' reports ---- */

rv_err rv_store_add_sweep(rv_store *s, const char *date, const char *now_iso, const char *report_json,
                          rv_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO sweeps (date, created_at, report) VALUES (?1, ?2, ?3)", -1, &st,
                           NULL) != SQLITE_OK)
        return db_error(s, err, "cannot write sweeps");
    sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, now_iso, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, report_json, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? RV_OK : db_error(s, err, "cannot write sweeps");
}

rv_err rv_store_list_sweeps(rv_store *s, int limit, long long id, json_t **out, rv_error *err)
{
    sqlite3_stmt *st = NULL;
    *out = NULL;
    if (sqlite3_prepare_v2(s->db,
                           id ? "SELECT id, date, created_at, report FROM sweeps WHERE id = ?2"
                              : "SELECT id, date, created_at, report FROM sweeps ORDER BY date DESC, id DESC"
                                " LIMIT ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read sweeps");
    sqlite3_bind_int(st, 1, limit);
    sqlite3_bind_int64(st, 2, id);
    json_t *items = json_array();
    int step;
    while (items && (step = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *report = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
        json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
                                               "date", (const char *)sqlite3_column_text(st, 1), "created_at",
                                               (const char *)sqlite3_column_text(st, 2), "report",
                                               report ? report : json_null()));
    }
    sqlite3_finalize(st);
    if (!items) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    if (step != SQLITE_DONE) {
        json_decref(items);
        return db_error(s, err, "cannot read sweeps");
    }
    *out = items;
    return RV_OK;
}

void rv_store_busy_timeout(rv_store *s, int ms) { sqlite3_busy_timeout(s->db, ms); }

rv_err rv_store_begin(rv_store *s, rv_error *err)
{
    return sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? RV_OK
                                                                                : db_error(s, err, "cannot begin");
}

rv_err rv_store_end(rv_store *s, rv_err rc, rv_error *err)
{
    if (rc == RV_OK && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) return RV_OK;
    if (rc == RV_OK) rc = db_error(s, err, "cannot commit");
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* The voicemail of mailbox ext that sender by sent with key: RV_OK with *id
 * and its audio's hash, RV_ERR_NOT_FOUND when there is none. */
static rv_err by_key(rv_store *s, const char *ext, const char *by, const char *key, long long *id,
                     char sha256[RV_SHA256_HEX + 1], rv_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, audio_sha256 FROM voicemails WHERE ext = ?1 AND idempotency_by = ?2"
                           " AND idempotency_key = ?3",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read voicemails");
    sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, by, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    rv_err rc = RV_OK;
    if (r == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        snprintf(sha256, RV_SHA256_HEX + 1, "%s", (const char *)sqlite3_column_text(st, 1));
    } else rc = r == SQLITE_DONE ? rv_error_set(err, RV_ERR_NOT_FOUND, "no voicemail with that key")
                                 : db_error(s, err, "cannot read voicemails");
    sqlite3_finalize(st);
    return rc;
}

rv_err rv_store_voicemail_by_key(rv_store *s, const char *ext, const char *by, const char *key, const void *bytes,
                                 size_t len, long long *id, char sha256[RV_SHA256_HEX + 1], rv_error *err)
{
    *id = 0;
    sha256[0] = '\0';
    char stored[RV_SHA256_HEX + 1], hex[RV_SHA256_HEX + 1];
    long long found;
    rv_err rc = by_key(s, ext, by, key, &found, stored, err);
    if (rc != RV_OK) return rc;
    int ok; /* hashed only when the key was used: a retry */
    sha256_hex(bytes, len, hex, &ok);
    if (!ok) return rv_error_set(err, RV_ERR_INTERNAL, "SHA-256 failed");
    if (strcmp(hex, stored) != 0) return rv_error_set(err, RV_ERR_CONFLICT, "%s", KEY_USED);
    *id = found;
    memcpy(sha256, stored, sizeof stored);
    return RV_OK;
}

/* ---- hand-over to the e-archive ---- */

static void copy_text(char *dst, size_t cap, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

rv_err rv_store_archive_info(rv_store *s, long long id, rv_vm_archive *v, rv_error *err)
{
    memset(v, 0, sizeof *v);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT v.id, v.ext, v.caller, v.received_at, v.content_type, v.bytes, v.audio_sha256,"
                           " v.classification, v.report, v.analysed_at, v.callback_at, v.disposed_at, v.objid,"
                           " v.packaged_at, v.archived_at, v.archive_ref, m.first_name, m.last_name, m.unit, m.org,"
                           " m.profile, d.decision, d.diarienummer, d.note, d.actor, d.decided_at,"
                           " (SELECT a.actor FROM audit a WHERE a.voicemail_id = v.id AND a.action = 'voicemail_received'"
                           "  ORDER BY a.id LIMIT 1)"
                           " FROM voicemails v JOIN mailboxes m ON m.ext = v.ext"
                           " LEFT JOIN decisions d ON d.id = (SELECT max(id) FROM decisions WHERE voicemail_id = v.id)"
                           " WHERE v.id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read voicemails");
    sqlite3_bind_int64(st, 1, id);
    int r = sqlite3_step(st);
    rv_err rc = RV_OK;
    if (r == SQLITE_ROW) {
        v->id = sqlite3_column_int64(st, 0);
        copy_text(v->ext, sizeof v->ext, st, 1);
        copy_text(v->caller, sizeof v->caller, st, 2);
        copy_text(v->received_at, sizeof v->received_at, st, 3);
        copy_text(v->content_type, sizeof v->content_type, st, 4);
        v->bytes = sqlite3_column_int64(st, 5);
        copy_text(v->sha256, sizeof v->sha256, st, 6);
        copy_text(v->classification, sizeof v->classification, st, 7);
        const unsigned char *rep = sqlite3_column_text(st, 8);
        v->report = rep ? strdup((const char *)rep) : NULL;
        copy_text(v->analysed_at, sizeof v->analysed_at, st, 9);
        copy_text(v->callback_at, sizeof v->callback_at, st, 10);
        v->disposed = sqlite3_column_type(st, 11) != SQLITE_NULL;
        copy_text(v->objid, sizeof v->objid, st, 12);
        copy_text(v->packaged_at, sizeof v->packaged_at, st, 13);
        copy_text(v->archived_at, sizeof v->archived_at, st, 14);
        copy_text(v->archive_ref, sizeof v->archive_ref, st, 15);
        copy_text(v->first_name, sizeof v->first_name, st, 16);
        copy_text(v->last_name, sizeof v->last_name, st, 17);
        copy_text(v->unit, sizeof v->unit, st, 18);
        copy_text(v->org, sizeof v->org, st, 19);
        copy_text(v->profile, sizeof v->profile, st, 20);
        copy_text(v->decision, sizeof v->decision, st, 21);
        copy_text(v->diarienummer, sizeof v->diarienummer, st, 22);
        copy_text(v->decision_note, sizeof v->decision_note, st, 23);
        copy_text(v->decided_by, sizeof v->decided_by, st, 24);
        copy_text(v->decided_at, sizeof v->decided_at, st, 25);
        copy_text(v->received_by, sizeof v->received_by, st, 26);
    } else rc = r == SQLITE_DONE ? rv_error_set(err, RV_ERR_NOT_FOUND, "no voicemail %lld", id)
                                 : db_error(s, err, "cannot read voicemails");
    sqlite3_finalize(st);
    return rc;
}

void rv_vm_archive_free(rv_vm_archive *v)
{
    free(v->report);
    v->report = NULL;
}

rv_err rv_store_registered_between(rv_store *s, const char *from, const char *to, long long **ids, size_t *n,
                                   rv_error *err)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT v.id FROM voicemails v JOIN decisions d"
                           " ON d.id = (SELECT max(id) FROM decisions WHERE voicemail_id = v.id)"
                           " WHERE d.decision = 'registered' AND d.decided_at >= ?1 AND d.decided_at < ?2"
                           " ORDER BY v.id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read decisions");
    sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
    size_t cap = 0;
    int r;
    rv_err rc = RV_OK;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            long long *nx = realloc(*ids, cap * sizeof *nx);
            if (!nx) {
                rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
                break;
            }
            *ids = nx;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    if (rc == RV_OK && r != SQLITE_DONE) rc = db_error(s, err, "cannot read decisions");
    sqlite3_finalize(st);
    if (rc != RV_OK) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return rc;
}

static rv_err add_event(rv_store *s, long long id, const char *event, const char *at, const char *actor,
                        const char *detail, rv_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO voicemail_events (voicemail_id, event, at, actor, detail) VALUES (?1,?2,?3,?4,?5)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot write events");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, event, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, detail, -1, SQLITE_STATIC);
    rv_err rc = sqlite3_step(st) == SQLITE_DONE ? RV_OK : db_error(s, err, "cannot write events");
    sqlite3_finalize(st);
    return rc;
}

rv_err rv_store_mark_packaged(rv_store *s, long long id, const char *objid, const char *now_iso, const char *actor,
                              const char *remote, rv_error *err)
{
    rv_err rc = rv_store_begin(s, err);
    if (rc != RV_OK) return rc;
    const char *text[] = {objid, now_iso};
    rc = exec_one(s,
                  "UPDATE voicemails SET objid = coalesce(objid, ?2), packaged_at = coalesce(packaged_at, ?3)"
                  " WHERE id = ?1",
                  text, 2, id, NULL, err);
    if (rc == RV_OK) rc = add_event(s, id, "packaged", now_iso, actor, objid, err);
    if (rc == RV_OK) rc = rv_store_audit(s, now_iso, actor, remote, "voicemail_packaged", id, NULL, objid, err);
    return rv_store_end(s, rc, err);
}

rv_err rv_store_mark_archived(rv_store *s, long long id, const char *reference, const char *now_iso,
                              const char *actor, const char *remote, rv_error *err)
{
    rv_vm_archive v;
    rv_err rc = rv_store_archive_info(s, id, &v, err);
    rv_vm_archive_free(&v);
    if (rc != RV_OK) return rc;
    if (strcmp(v.decision, "registered") != 0)
        return rv_error_set(err, RV_ERR_CONFLICT, "voicemail %lld is not registered; only registered voicemails are archived", id);
    if (!v.packaged_at[0])
        return rv_error_set(err, RV_ERR_CONFLICT, "voicemail %lld has not been packaged (GET its package first)", id);
    rc = rv_store_begin(s, err);
    if (rc != RV_OK) return rc;
    const char *text[] = {reference, now_iso};
    rc = exec_one(s, "UPDATE voicemails SET archive_ref = ?2, archived_at = ?3 WHERE id = ?1", text, 2, id, NULL, err);
    if (rc == RV_OK) rc = add_event(s, id, "archived", now_iso, actor, reference, err);
    if (rc == RV_OK) rc = rv_store_audit(s, now_iso, actor, remote, "voicemail_archived", id, NULL, reference, err);
    return rv_store_end(s, rc, err);
}

/* ---- units and the sweep's mail ---- */

rv_err rv_store_put_unit(rv_store *s, const char *name, const char *managers, const char *now_iso, int *created,
                         rv_error *err)
{
    sqlite3_stmt *st;
    *created = 0;
    /* the unit whatever the case of its letters, its first spelling kept */
    if (sqlite3_prepare_v2(s->db,
                           "UPDATE units SET managers = ?2, updated_at = ?3 WHERE rv_unit_key(name) = rv_unit_key(?1)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot write units");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, managers, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, now_iso, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    if (r != SQLITE_DONE) return db_error(s, err, "cannot write units");
    if (sqlite3_changes(s->db) > 0) return RV_OK;
    *created = 1;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO units (name, managers, updated_at) VALUES (?1, ?2, ?3)"
                           " ON CONFLICT(name) DO UPDATE SET managers = ?2, updated_at = ?3",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot write units");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, managers, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, now_iso, -1, SQLITE_STATIC);
    rv_err rc = sqlite3_step(st) == SQLITE_DONE ? RV_OK : db_error(s, err, "cannot write units");
    sqlite3_finalize(st);
    return rc;
}

rv_err rv_store_unit_mailboxes(rv_store *s, const char *name, long *n, rv_error *err)
{
    sqlite3_stmt *st;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM mailboxes WHERE rv_unit_key(unit) = rv_unit_key(?1)", -1, &st,
                           NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read mailboxes");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rv_err rc = sqlite3_step(st) == SQLITE_ROW ? RV_OK : db_error(s, err, "cannot read mailboxes");
    if (rc == RV_OK) *n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

rv_err rv_store_units(rv_store *s, void (*fn)(void *user, const char *name, const char *managers), void *user,
                      rv_error *err)
{
    sqlite3_stmt *st;
    /* one row a unit (an older archive may hold two spellings of one: the
     * one changed last), named as its mailboxes spell it */
    if (sqlite3_prepare_v2(s->db,
                           "WITH " UNIT_SPELLINGS ", u AS (SELECT rv_unit_key(name) AS k, name, managers,"
                           " max(updated_at) FROM units GROUP BY 1)"
                           " SELECT coalesce(s.unit, u.name), u.managers FROM u LEFT JOIN unit_spellings s ON s.k = u.k"
                           " ORDER BY u.k",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read units");
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW)
        fn(user, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1));
    rv_err rc = r == SQLITE_DONE ? RV_OK : db_error(s, err, "cannot read units");
    sqlite3_finalize(st);
    return rc;
}

rv_err rv_store_outbox_add(rv_store *s, const char *date, const char *key, const char *recipients,
                           const char *subject, const char *message, size_t len, const char *now_iso, int *added,
                           rv_error *err)
{
    sqlite3_stmt *st;
    *added = 0;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT OR IGNORE INTO mail_outbox (date, key, recipients, subject, message, created_at)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot write the mail outbox");
    sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, recipients, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, subject, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, message, (int)len, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, now_iso, -1, SQLITE_STATIC);
    rv_err rc = sqlite3_step(st) == SQLITE_DONE ? RV_OK : db_error(s, err, "cannot write the mail outbox");
    if (rc == RV_OK) *added = sqlite3_changes(s->db) > 0;
    sqlite3_finalize(st);
    return rc;
}

rv_err rv_store_outbox_unsent(rv_store *s, rv_outbox_mail **out, size_t *n, rv_error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, recipients, subject, message, tries FROM mail_outbox WHERE sent_at IS NULL"
                           " ORDER BY id LIMIT 10000",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read the mail outbox");
    size_t cap = 0;
    int r;
    rv_err rc = RV_OK;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            rv_outbox_mail *nx = realloc(*out, cap * sizeof *nx);
            if (!nx) {
                rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
                break;
            }
            *out = nx;
        }
        rv_outbox_mail *m = &(*out)[(*n)++];
        memset(m, 0, sizeof *m);
        m->id = sqlite3_column_int64(st, 0);
        m->recipients = strdup((const char *)sqlite3_column_text(st, 1));
        m->subject = strdup((const char *)sqlite3_column_text(st, 2));
        int len = sqlite3_column_bytes(st, 3);
        m->message = malloc((size_t)len + 1);
        if (m->message) {
            memcpy(m->message, sqlite3_column_blob(st, 3), (size_t)len);
            m->message[len] = '\0';
        }
        m->len = (size_t)len;
        m->tries = sqlite3_column_int(st, 4);
        if (!m->recipients || !m->subject || !m->message) {
            rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
            break;
        }
    }
    if (rc == RV_OK && r != SQLITE_DONE) rc = db_error(s, err, "cannot read the mail outbox");
    sqlite3_finalize(st);
    if (rc != RV_OK) {
        rv_outbox_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

void rv_outbox_free(rv_outbox_mail *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++) {
        free(m[i].recipients);
        free(m[i].subject);
        free(m[i].message);
    }
    free(m);
}

rv_err rv_store_outbox_result(rv_store *s, long long id, const char *error, const char *now_iso, rv_error *err)
{
    const char *text[] = {error ? error : now_iso};
    return exec_one(s,
                    error ? "UPDATE mail_outbox SET tries = tries + 1, last_error = ?2 WHERE id = ?1"
                          : "UPDATE mail_outbox SET tries = tries + 1, last_error = NULL, sent_at = ?2 WHERE id = ?1",
                    text, 1, id, NULL, err);
}

long rv_store_outbox_pending(rv_store *s)
{
    sqlite3_stmt *st;
    long n = -1;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW) n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}
