/* The store's core and the only file that speaks to SQLite: the connection
 * (WAL, synchronous=FULL), the schema's migrations, transactions, the wait
 * on a busy database, checkpoints, and the statement interface of
 * store_int.h that the table files use. Audio is store_audio.c's; each
 * family of tables has its file (store_mailboxes.c, store_greetings.c,
 * store_voicemails.c, store_audit.c, store_units.c, store_sweeps.c). */
#include "store_int.h"
#include "rostvakt/organisation.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct rv_sql {
    rv_sql_head h;
    sqlite3_stmt *st;
    const char *what;
    const char *key; /* the SQL text's address it was prepared from; NULL: not kept */
    int busy;        /* in use (a kept statement) */
};

/* Prepared statements are kept for the next call with the same SQL (a
 * statement prepared once a connection, not once a call), reset and
 * cleared between uses, finalized when the store closes. */
#define KEPT 96

struct rv_db {
    sqlite3 *h;
    pthread_mutex_t lock; /* of kept[] */
    rv_sql kept[KEPT];
};

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
    /* 14 -> 15: the decisions the law gives (registrera, halls_ordnad,
     * gallras, privat) with their fields; an older archive's "registered" is
     * registrera, "dispose" gallras and "not_public_record" halls_ordnad
     * (kept: docs/decisions.md says why), the old word kept in migrated_from */
    "CREATE TABLE decisions_15 ("
    "  id INTEGER PRIMARY KEY, voicemail_id INTEGER NOT NULL REFERENCES voicemails(id),"
    "  decision TEXT NOT NULL CHECK (decision IN ('registrera','halls_ordnad','gallras','privat')),"
    "  diarienummer TEXT, note TEXT, actor TEXT NOT NULL, decided_at TEXT NOT NULL,"
    "  arendemening TEXT, sekretess TEXT, ground TEXT, gallringsbeslut TEXT, reason TEXT, previous TEXT,"
    "  migrated_from TEXT);"
    "INSERT INTO decisions_15 (id, voicemail_id, decision, diarienummer, note, actor, decided_at, migrated_from)"
    "  SELECT id, voicemail_id, CASE decision WHEN 'registered' THEN 'registrera' WHEN 'dispose' THEN 'gallras'"
    "  WHEN 'not_public_record' THEN 'halls_ordnad' ELSE decision END, diarienummer, note, actor, decided_at,"
    "  CASE WHEN decision IN ('registered', 'dispose', 'not_public_record') THEN decision END FROM decisions;"
    "DROP TABLE decisions;"
    "ALTER TABLE decisions_15 RENAME TO decisions;"
    "CREATE INDEX decisions_voicemail ON decisions(voicemail_id, id);",
    /* 15 -> 16: the inbox without a scan of the archive: each voicemail's
     * latest decision and the first read of its audio (the audit's), kept
     * on it by triggers, and indexes for the inbox's filters */
    "ALTER TABLE voicemails ADD COLUMN decision TEXT;"
    "ALTER TABLE voicemails ADD COLUMN listened_at TEXT;"
    "UPDATE voicemails SET decision = (SELECT d.decision FROM decisions d WHERE d.voicemail_id = voicemails.id"
    "  ORDER BY d.id DESC LIMIT 1), listened_at = (SELECT a.at FROM audit a WHERE a.voicemail_id = voicemails.id"
    "  AND a.action = 'audio_read' ORDER BY a.id LIMIT 1);"
    "CREATE TRIGGER voicemails_decision_added AFTER INSERT ON decisions BEGIN"
    "  UPDATE voicemails SET decision = NEW.decision WHERE id = NEW.voicemail_id; END;"
    "CREATE TRIGGER voicemails_decision_changed AFTER UPDATE OF decision ON decisions BEGIN"
    "  UPDATE voicemails SET decision = (SELECT d.decision FROM decisions d WHERE d.voicemail_id = NEW.voicemail_id"
    "  ORDER BY d.id DESC LIMIT 1) WHERE id = NEW.voicemail_id; END;"
    "CREATE TRIGGER voicemails_listened AFTER INSERT ON audit"
    "  WHEN NEW.action = 'audio_read' AND NEW.voicemail_id IS NOT NULL BEGIN"
    "  UPDATE voicemails SET listened_at = NEW.at WHERE id = NEW.voicemail_id AND listened_at IS NULL; END;"
    "CREATE INDEX voicemails_decision ON voicemails(decision, received_at DESC, id DESC);"
    "CREATE INDEX voicemails_new ON voicemails(received_at DESC, id DESC) WHERE listened_at IS NULL;"
    "CREATE INDEX voicemails_ext ON voicemails(ext, received_at DESC, id DESC);",
    /* 16 -> 17: the authorities one installation serves; each mailbox names
     * its own, and each distinct free-text org becomes one (id: its slug) */
    "CREATE TABLE organisations (id TEXT PRIMARY KEY, name TEXT NOT NULL, orgnr TEXT NOT NULL DEFAULT '',"
    "  calendar TEXT NOT NULL DEFAULT 'SE', time_zone TEXT NOT NULL DEFAULT 'Europe/Stockholm',"
    "  profile TEXT NOT NULL DEFAULT 'default', diarienummer_pattern TEXT NOT NULL DEFAULT '',"
    "  gallringsbeslut TEXT NOT NULL DEFAULT '', gallring_covers TEXT NOT NULL DEFAULT '',"
    "  creator_name TEXT NOT NULL DEFAULT '', creator_id TEXT NOT NULL DEFAULT '',"
    "  mail_from TEXT NOT NULL DEFAULT '', officers TEXT NOT NULL DEFAULT '',"
    "  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
    "ALTER TABLE mailboxes ADD COLUMN organisation TEXT REFERENCES organisations(id);"
    "ALTER TABLE audit ADD COLUMN organisation TEXT;"
    /* the calendar '': its profile's, settled when the service starts (rv_store_settle_calendars) */
    "INSERT OR IGNORE INTO organisations (id, name, calendar, time_zone, profile, creator_name, created_at, updated_at)"
    "  SELECT rv_org_slug(org), org, '', '', (SELECT profile FROM mailboxes p WHERE p.org = m.org GROUP BY profile"
    "  ORDER BY count(*) DESC, min(rowid) LIMIT 1), org, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),"
    "  strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM mailboxes m WHERE org <> '' GROUP BY org ORDER BY min(rowid);"
    "UPDATE mailboxes SET organisation = rv_org_slug(org) WHERE org <> '';"
    "UPDATE audit SET organisation = (SELECT m.organisation FROM mailboxes m WHERE m.ext = audit.ext"
    "  OR m.ext = (SELECT v.ext FROM voicemails v WHERE v.id = audit.voicemail_id))"
    "  WHERE ext IS NOT NULL OR voicemail_id IS NOT NULL;"
    "CREATE INDEX mailboxes_organisation ON mailboxes(organisation, ext);",
    /* 17 -> 18: a unit is an organisation's ('' : every organisation's, as
     * before); one whose mailboxes are all of one organisation becomes
     * that organisation's */
    "CREATE TABLE units_18 (organisation TEXT NOT NULL DEFAULT '', name TEXT NOT NULL,"
    "  managers TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL, PRIMARY KEY (organisation, name));"
    "INSERT INTO units_18 (organisation, name, managers, updated_at) SELECT coalesce((SELECT min(m.organisation)"
    "  FROM mailboxes m WHERE rv_unit_key(m.unit) = rv_unit_key(units.name)"
    "  HAVING count(DISTINCT coalesce(m.organisation, '')) = 1), ''), name, managers, updated_at FROM units;"
    "DROP TABLE units;"
    "ALTER TABLE units_18 RENAME TO units;",
    /* 18 -> 19: search by caller number without reading every number: each
     * ending of a voicemail's number (the number itself, then from its
     * second character on, ...), so that "contains q" is "an ending begins
     * with q", a range of one index */
    "CREATE TABLE voicemail_callers (suffix TEXT NOT NULL, voicemail_id INTEGER NOT NULL REFERENCES voicemails(id),"
    "  PRIMARY KEY (suffix, voicemail_id));"
    "WITH RECURSIVE s(id, suffix) AS (SELECT id, caller FROM voicemails WHERE caller <> ''"
    "  UNION ALL SELECT id, substr(suffix, 2) FROM s WHERE length(suffix) > 1)"
    "  INSERT INTO voicemail_callers (suffix, voicemail_id) SELECT DISTINCT suffix, id FROM s;",
    /* 19 -> 20: what the nodes sharing one database share: the web app's
     * sessions (the id's SHA-256, never the id), the tokens revoked, the
     * analyses owed as jobs a worker claims for a lease, one sweep run a
     * date. Times in milliseconds since the epoch. */
    "CREATE TABLE sessions (seq INTEGER PRIMARY KEY, id_sha256 TEXT NOT NULL UNIQUE, token_key TEXT NOT NULL,"
    "  name TEXT NOT NULL, role TEXT NOT NULL, organisations TEXT NOT NULL, csrf TEXT NOT NULL,"
    "  created_ms BIGINT NOT NULL, used_ms BIGINT NOT NULL, idle_until_ms BIGINT NOT NULL);"
    "CREATE INDEX sessions_token ON sessions(token_key, used_ms);"
    "CREATE INDEX sessions_used ON sessions(used_ms);"
    "CREATE TABLE revoked_tokens (seq INTEGER PRIMARY KEY, token_key TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
    "  revoked_at TEXT NOT NULL);"
    "CREATE TABLE analysis_jobs (voicemail_id BIGINT PRIMARY KEY, claimed_by TEXT, lease_until_ms BIGINT);"
    "INSERT INTO analysis_jobs (voicemail_id) SELECT id FROM voicemails WHERE state IN ('queued', 'analysing');"
    "CREATE TABLE sweep_runs (date TEXT PRIMARY KEY, started_by TEXT NOT NULL, started_ms BIGINT NOT NULL,"
    "  finished_ms BIGINT);"
    "CREATE TABLE shared_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);",
    /* 20 -> 21: a review of the sample of sure verdicts stands for as many
     * greetings as it was drawn from, so that calibrate counts it so */
    "ALTER TABLE reviews ADD COLUMN weight INTEGER NOT NULL DEFAULT 1;",
    /* 21 -> 22: the name, unit and organisation a greeting's analysis
     * sought ("" not sought, NULL unknown) and those a review's answers are
     * about, so that a renamed mailbox's greeting is analysed again and an
     * answer about an old text is not taken for the new one; both from the
     * analyses kept (a review is taken to be about its greeting's texts as
     * analysed now); a greeting whose texts cannot be told is analysed again */
    "ALTER TABLE greetings ADD COLUMN name_text TEXT;"
    "ALTER TABLE greetings ADD COLUMN unit_text TEXT;"
    "ALTER TABLE greetings ADD COLUMN org_text TEXT;"
    "UPDATE greetings SET name_text = coalesce(json_extract(report, '$.expected.name'), ''),"
    "  unit_text = coalesce(json_extract(report, '$.expected.unit'), ''),"
    "  org_text = coalesce(json_extract(report, '$.expected.org'), '')"
    "  WHERE CASE WHEN json_valid(report) THEN json_type(report, '$.expected') = 'object' ELSE 0 END;"
    "UPDATE greetings SET models_version = '' WHERE name_text IS NULL AND removed = 0;"
    "ALTER TABLE reviews ADD COLUMN name_text TEXT;"
    "ALTER TABLE reviews ADD COLUMN unit_text TEXT;"
    "ALTER TABLE reviews ADD COLUMN org_text TEXT;"
    "UPDATE reviews SET name_text = g.name_text, unit_text = g.unit_text, org_text = g.org_text"
    "  FROM greetings g WHERE g.id = reviews.greeting_id;",
    /* 22 -> 23: a unit's mail of a date kept by the unit's key, not its
     * spelling ("unit:ORG/Name" or "unit:Name" -> "unit@ORG:name"; ORG an
     * organisation's id, unless a unit of none is named "ORG/Name"), so
     * that the unit's managers get no second mail of a date on which they
     * had one; where an earlier spelling change already kept two of a date,
     * the first takes the new key and the other keeps its old one */
    "CREATE TEMP TABLE rv_outbox_23 AS SELECT id, date, 'unit@' || CASE"
    "  WHEN instr(r, '/') > 1 AND EXISTS (SELECT 1 FROM organisations o WHERE o.id = substr(r, 1, instr(r, '/') - 1))"
    "  AND NOT EXISTS (SELECT 1 FROM units u WHERE u.organisation = '' AND rv_unit_key(u.name) = rv_unit_key(r))"
    "  THEN substr(r, 1, instr(r, '/') - 1) || ':' || rv_unit_key(substr(r, instr(r, '/') + 1))"
    "  ELSE ':' || rv_unit_key(r) END AS k"
    "  FROM (SELECT id, date, substr(key, 6) AS r FROM mail_outbox WHERE substr(key, 1, 5) = 'unit:');"
    "UPDATE mail_outbox SET key = (SELECT k FROM rv_outbox_23 t WHERE t.id = mail_outbox.id)"
    "  WHERE id IN (SELECT min(id) FROM rv_outbox_23 GROUP BY date, k) AND NOT EXISTS (SELECT 1 FROM mail_outbox o"
    "  WHERE o.date = mail_outbox.date AND o.key = (SELECT k FROM rv_outbox_23 t WHERE t.id = mail_outbox.id));"
    "DROP TABLE rv_outbox_23;",
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))
_Static_assert(sizeof migrations / sizeof migrations[0] == RV_STORE_SCHEMA_VERSION,
               "RV_STORE_SCHEMA_VERSION is the number of migrations");

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

/* rv_org_slug(x) in SQL, for the migration that makes organisations of
 * the free-text org values. */
static void sql_org_slug(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *t = (const char *)sqlite3_value_text(argv[0]);
    char id[RV_ORG_ID_MAX + 1];
    rv_org_slug(t, id);
    sqlite3_result_text(cx, id, -1, SQLITE_TRANSIENT);
}

/* SQLite's last error as ours: another connection's lock is RV_ERR_BUSY
 * (try again), a full disk RV_ERR_FULL, anything else RV_ERR_IO. */
rv_err rv_sql_error(rv_store *s, rv_error *err, const char *what)
{
    if (s->pg) return rv_pg_error(s, err, what);
    int code = sqlite3_errcode(s->db->h) & 0xff;
    rv_err e = code == SQLITE_BUSY || code == SQLITE_LOCKED ? RV_ERR_BUSY : code == SQLITE_FULL ? RV_ERR_FULL : RV_ERR_IO;
    return rv_error_set(err, e, "%s: %s", what, sqlite3_errmsg(s->db->h));
}

/* ---- statements ---- */

static void bind(sqlite3_stmt *st, const rv_sqlv *v, int n)
{
    int max = sqlite3_bind_parameter_count(st);
    for (int i = 0; i < n && i < max; i++) {
        switch (v[i].type) {
        case RV_SQL_TEXT: sqlite3_bind_text(st, i + 1, v[i].p, -1, SQLITE_STATIC); break;
        case RV_SQL_INT: sqlite3_bind_int64(st, i + 1, v[i].i); break;
        case RV_SQL_BLOB: sqlite3_bind_blob(st, i + 1, v[i].p, (int)v[i].i, SQLITE_STATIC); break;
        default: sqlite3_bind_null(st, i + 1); break;
        }
    }
}

/* The kept statement of sql that is not in use, or a free place to keep
 * one (x->st NULL), or NULL: all taken. Called with db->lock held. The
 * text is compared too: an address may be a buffer that held other SQL. */
static rv_sql *kept_slot(rv_db *db, const char *sql)
{
    rv_sql *free_one = NULL;
    for (int i = 0; i < KEPT; i++) {
        rv_sql *x = &db->kept[i];
        if (!x->st) {
            if (!free_one) free_one = x;
        } else if (!x->busy && x->key == sql && strcmp(sqlite3_sql(x->st), sql) == 0)
            return x;
    }
    return free_one;
}

rv_err rv_sql_prepare(rv_store *s, rv_sql **q, const char *sql, const rv_sqlv *v, int n, const char *what,
                      rv_error *err)
{
    if (s->pg) return rv_pg_prepare(s, q, sql, v, n, what, err);
    *q = NULL;
    rv_db *db = s->db;
    pthread_mutex_lock(&db->lock);
    rv_sql *x = kept_slot(db, sql);
    if (x && !x->st) {
        if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &x->st, NULL) != SQLITE_OK) {
            x->st = NULL;
            rv_err rc = rv_sql_error(s, err, what);
            pthread_mutex_unlock(&db->lock);
            return rc;
        }
        x->h.s = s;
        x->key = sql;
    }
    if (x) x->busy = 1;
    pthread_mutex_unlock(&db->lock);
    if (!x) { /* every place taken: one of its own, finalized when done */
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) return rv_sql_error(s, err, what);
        x = malloc(sizeof *x);
        if (!x) {
            sqlite3_finalize(st);
            return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        }
        *x = (rv_sql){.h = {s}, .st = st};
    }
    x->what = what;
    bind(x->st, v, n);
    *q = x;
    return RV_OK;
}

/* A statement of a store on PostgreSQL. */
#define PG(q) ((q)->h.s->pg)

void rv_sql_rebind(rv_sql *q, const rv_sqlv *v, int n)
{
    if (PG(q)) {
        rv_pg_rebind(q, v, n);
        return;
    }
    sqlite3_reset(q->st);
    sqlite3_clear_bindings(q->st);
    bind(q->st, v, n);
}

int rv_sql_step(rv_sql *q, rv_error *err)
{
    if (PG(q)) return rv_pg_step(q, err);
    int r = sqlite3_step(q->st);
    if (r == SQLITE_ROW) return 1;
    if (r == SQLITE_DONE) return 0;
    rv_sql_error(q->h.s, err, q->what);
    return -1;
}

void rv_sql_done(rv_sql *q)
{
    if (!q) return;
    if (PG(q)) {
        rv_pg_done(q);
        return;
    }
    if (!q->key) {
        sqlite3_finalize(q->st);
        free(q);
        return;
    }
    /* kept: no read left open, no borrowed value left bound */
    sqlite3_reset(q->st);
    sqlite3_clear_bindings(q->st);
    rv_db *db = q->h.s->db;
    pthread_mutex_lock(&db->lock);
    q->busy = 0;
    pthread_mutex_unlock(&db->lock);
}

const char *rv_sql_text(rv_sql *q, int i)
{
    return PG(q) ? rv_pg_text(q, i) : (const char *)sqlite3_column_text(q->st, i);
}
long long rv_sql_int(rv_sql *q, int i) { return PG(q) ? rv_pg_int(q, i) : sqlite3_column_int64(q->st, i); }
double rv_sql_real(rv_sql *q, int i) { return PG(q) ? rv_pg_real(q, i) : sqlite3_column_double(q->st, i); }
int rv_sql_null(rv_sql *q, int i) { return PG(q) ? rv_pg_null(q, i) : sqlite3_column_type(q->st, i) == SQLITE_NULL; }

const void *rv_sql_blob(rv_sql *q, int i, size_t *len)
{
    if (PG(q)) return rv_pg_blob(q, i, len);
    const void *p = sqlite3_column_blob(q->st, i);
    *len = (size_t)sqlite3_column_bytes(q->st, i);
    return p;
}

void rv_sql_copy(rv_sql *q, int i, char *dst, size_t cap)
{
    const char *t = rv_sql_text(q, i);
    snprintf(dst, cap, "%s", t ? t : "");
}

void *rv_grow(void *v, size_t *cap, size_t size)
{
    size_t nc = *cap ? *cap * 2 : 8;
    void *nv = realloc(v, nc * size);
    if (nv) *cap = nc;
    return nv;
}

int rv_sql_texts(rv_sql *q, char **block, const rv_sql_col *c, int n)
{
    size_t total = 1;
    for (int k = 0; k < n; k++) {
        const char *t = c[k].col < 0 ? NULL : rv_sql_text(q, c[k].col);
        *c[k].to = NULL;
        if (t) total += strlen(t) + 1;
    }
    char *p = *block = malloc(total);
    if (!p) return -1;
    for (int k = 0; k < n; k++) {
        const char *t = c[k].col < 0 ? NULL : rv_sql_text(q, c[k].col);
        if (!t) continue;
        size_t len = strlen(t) + 1;
        memcpy(p, t, len);
        *c[k].to = p;
        p += len;
    }
    return 0;
}

rv_err rv_sql_exec(rv_store *s, const char *sql, const rv_sqlv *v, int n, const char *what, rv_error *err)
{
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q, sql, v, n, what, err);
    if (rc != RV_OK) return rc;
    int r;
    if (s->pg) {
        while ((r = rv_pg_step(q, err)) == 1) {
        }
        if (r < 0) rc = err ? err->code : RV_ERR_IO;
    } else {
        while ((r = sqlite3_step(q->st)) == SQLITE_ROW) {
        }
        if (r != SQLITE_DONE) rc = rv_sql_error(s, err, what);
    }
    rv_sql_done(q);
    return rc;
}

long long rv_sql_changes(rv_store *s) { return s->pg ? rv_pg_changes(s) : sqlite3_changes(s->db->h); }
long long rv_sql_last_id(rv_store *s) { return s->pg ? rv_pg_last_id(s) : sqlite3_last_insert_rowid(s->db->h); }

long long rv_sql_int1(rv_store *s, const char *sql, const rv_sqlv *v, int n)
{
    rv_sql *q;
    long long x = -1;
    if (rv_sql_prepare(s, &q, sql, v, n, "cannot read", NULL) != RV_OK) return -1;
    if (rv_sql_step(q, NULL) == 1) x = rv_sql_int(q, 0);
    rv_sql_done(q);
    return x;
}

/* ---- transactions ---- */

int rv_sql_in_tx(rv_store *s) { return s->pg ? rv_pg_in_tx(s) : !sqlite3_get_autocommit(s->db->h); }

rv_err rv_store_begin(rv_store *s, rv_error *err)
{
    if (s->pg) return rv_pg_begin(s, err);
    return sqlite3_exec(s->db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? RV_OK
                                                                                   : rv_sql_error(s, err, "cannot begin");
}

rv_err rv_store_end(rv_store *s, rv_err rc, rv_error *err)
{
    if (s->pg) {
        rc = rv_pg_end(s, rc, err);
        rv_audio_tx_ended(s, rc == RV_OK);
        return rc;
    }
    if (rc == RV_OK && sqlite3_exec(s->db->h, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) return RV_OK;
    if (rc == RV_OK) rc = rv_sql_error(s, err, "cannot commit");
    sqlite3_exec(s->db->h, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

rv_err rv_sql_tx_begin(rv_store *s, int *own, rv_error *err)
{
    *own = !rv_sql_in_tx(s);
    return *own ? rv_store_begin(s, err) : RV_OK;
}

rv_err rv_sql_tx_end(rv_store *s, int own, rv_err rc, rv_error *err)
{
    return own ? rv_store_end(s, rc, err) : rc;
}

int rv_store_on_postgres(const rv_store *s) { return s && s->pg; }

void rv_store_busy_timeout(rv_store *s, int ms)
{
    if (s->pg) rv_pg_busy_timeout(s, ms);
    else sqlite3_busy_timeout(s->db->h, ms);
}

void rv_store_autocheckpoint(rv_store *s, int on)
{
    if (!s->pg) sqlite3_wal_autocheckpoint(s->db->h, on ? 1000 : 0);
}

rv_err rv_store_checkpoint(rv_store *s, rv_error *err)
{
    if (s->pg) return RV_OK; /* PostgreSQL's own */
    int rc = sqlite3_wal_checkpoint_v2(s->db->h, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return rc == SQLITE_OK || rc == SQLITE_BUSY ? RV_OK : rv_sql_error(s, err, "checkpoint failed");
}

const char *rv_sql_skip_locked(rv_store *s)
{
    /* SQLite: one writer at a time, a claim cannot meet another */
    return s->pg ? " FOR UPDATE SKIP LOCKED" : "";
}

/* ---- opening, and the schema ---- */

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

rv_err rv_store_ping(rv_store *s, rv_error *err)
{
    /* a table of the schema: the file is read, not only the connection */
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q, "SELECT count(*) FROM (SELECT 1 FROM analysis_jobs LIMIT 1) AS j", V_NONE,
                               "the database does not answer", err);
    if (rc != RV_OK) return rc;
    if (rv_sql_step(q, err) < 0) rc = err->code;
    rv_sql_done(q);
    return rc;
}

int rv_store_schema_version(rv_store *s)
{
    if (s->pg) return rv_pg_schema_version(s);
    long long v = rv_sql_int1(s, "PRAGMA user_version", V_NONE);
    return v < 0 ? -1 : (int)v;
}

static rv_err migrate(rv_store *s, int upto, rv_error *err)
{
    sqlite3 *db = s->db->h;
    int v = rv_store_schema_version(s);
    if (v < 0) return rv_sql_error(s, err, "cannot read the schema version");
    if (v > N_MIGRATIONS)
        return rv_error_set(err, RV_ERR_CONFIG, "the database is at schema %d, newer than this rostvakt (%d)",
                            v, N_MIGRATIONS);
    for (; v < upto; v++) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return rv_sql_error(s, err, "cannot begin a migration");
        if (sqlite3_exec(db, migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
            rv_err rc = rv_sql_error(s, err, "schema migration failed");
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            return rv_sql_error(s, err, "cannot commit a migration");
    }
    return RV_OK;
}

/* A new store for data_dir (its audio/ folder made), its connection not
 * yet opened. */
static rv_err store_new(const char *data_dir, rv_store **out, rv_error *err)
{
    *out = NULL;
    if (!data_dir || !*data_dir || strlen(data_dir) > 3000)
        return rv_error_set(err, RV_ERR_ARG, "a data directory is needed");
    rv_store *s = calloc(1, sizeof *s);
    if (!s) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    snprintf(s->dir, sizeof s->dir, "%s", data_dir);
    rv_audio_init(s);
    char path[4200];
    snprintf(path, sizeof path, "%s/audio", data_dir);
    if (mkdir_p(path) != 0) {
        rv_err rc = rv_error_set(err, RV_ERR_IO, "cannot create %s: %s", path, strerror(errno));
        rv_store_close(s);
        return rc;
    }
    *out = s;
    return RV_OK;
}

static rv_err open_pg(const char *conninfo, const char *dbname, int allow_async, const char *data_dir, int version,
                      rv_store **out, rv_error *err)
{
    rv_store *s;
    rv_err rc = store_new(data_dir, &s, err);
    if (rc != RV_OK) return rc;
    rc = rv_pg_open(s, conninfo, dbname, allow_async, version < N_MIGRATIONS ? version : N_MIGRATIONS, err);
    if (rc != RV_OK) {
        rv_store_close(s);
        return rc;
    }
    *out = s;
    return RV_OK;
}

/* Test hook, inert unless set: with RV_TEST_STORE=<a libpq connection
 * string> in the environment every rv_store_open of a data directory opens
 * a PostgreSQL database of its own on that server instead (rv_<hash of the
 * directory's name>, created when missing), so that the whole test suite
 * runs on PostgreSQL. */
static rv_err open_test_pg(const char *conninfo, const char *data_dir, int version, rv_store **out, rv_error *err)
{
    *out = NULL;
    if (!data_dir || !*data_dir || strlen(data_dir) > 3000)
        return rv_error_set(err, RV_ERR_ARG, "a data directory is needed");
    unsigned long long h = 1469598103934665603ull; /* FNV-1a */
    for (const char *p = data_dir; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    char name[32];
    snprintf(name, sizeof name, "rv_%016llx", h);
    rv_err rc = rv_pg_create_database(conninfo, name, err);
    return rc == RV_OK ? open_pg(conninfo, name, 0, data_dir, version, out, err) : rc;
}

rv_err rv_store_connect(const char *store, int allow_async_commit, const char *data_dir, rv_store **out,
                        rv_error *err)
{
    *out = NULL;
    if (!store || !*store || strcmp(store, "sqlite") == 0) return rv_store_open(data_dir, out, err);
    if (rv_pg_is_conninfo(store))
        return open_pg(store, NULL, allow_async_commit, data_dir, N_MIGRATIONS, out, err);
    /* not echoed: it may hold a password */
    return rv_error_set(err, RV_ERR_CONFIG,
                        "store: not a kind of store rostvakt knows (sqlite, a postgresql:// URI or a libpq "
                        "connection string host=... dbname=...)");
}

int rv_store_there(const char *store, const char *data_dir)
{
    if (!data_dir || access(data_dir, F_OK) != 0) return 0;
    if (store && *store && strcmp(store, "sqlite") != 0) return 1; /* the server's to say */
    const char *test_pg = getenv("RV_TEST_STORE");
    if (test_pg && *test_pg) return 1; /* the test hook makes a database for any directory */
    char path[4200];
    snprintf(path, sizeof path, "%s/rostvakt.db", data_dir);
    return access(path, F_OK) == 0;
}

rv_err rv_store_open(const char *data_dir, rv_store **out, rv_error *err)
{
    return rv_store_open_upto(data_dir, N_MIGRATIONS, out, err);
}

rv_err rv_store_open_upto(const char *data_dir, int version, rv_store **out, rv_error *err)
{
    *out = NULL;
    const char *test_pg = getenv("RV_TEST_STORE");
    if (test_pg && *test_pg) return open_test_pg(test_pg, data_dir, version, out, err);
    rv_store *s;
    rv_err rc = store_new(data_dir, &s, err);
    if (rc != RV_OK) return rc;
    rv_db *db = calloc(1, sizeof *db);
    if (!db) {
        rv_store_close(s);
        return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    s->db = db;
    pthread_mutex_init(&db->lock, NULL);
    char path[4200];
    snprintf(path, sizeof path, "%s/rostvakt.db", data_dir);
    if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        rc = rv_error_set(err, RV_ERR_IO, "cannot open %s: %s", path, db->h ? sqlite3_errmsg(db->h) : "?");
        goto fail;
    }
    sqlite3_busy_timeout(db->h, 5000);
    if (sqlite3_create_function_v2(db->h, "rv_unit_key", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                   NULL, sql_unit_key, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function_v2(db->h, "rv_org_slug", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                   NULL, sql_org_slug, NULL, NULL, NULL) != SQLITE_OK) {
        rc = rv_sql_error(s, err, "cannot configure the database");
        goto fail;
    }
    if (sqlite3_exec(db->h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON",
                     NULL, NULL, NULL) != SQLITE_OK) {
        rc = rv_sql_error(s, err, "cannot configure the database");
        goto fail;
    }
    rc = migrate(s, version < N_MIGRATIONS ? version : N_MIGRATIONS, err);
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
    if (s->pg) rv_pg_close(s);
    if (s->db) {
        for (int i = 0; i < KEPT; i++) sqlite3_finalize(s->db->kept[i].st);
        sqlite3_close(s->db->h);
        pthread_mutex_destroy(&s->db->lock);
        free(s->db);
    }
    rv_audio_fini(s);
    free(s);
}
