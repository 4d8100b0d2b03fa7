/* What the store's files share (store_sqlite.c, store_audio.c and one file
 * per family of tables): the store's state, a small statement interface
 * over the database (only store_sqlite.c speaks to SQLite itself), and the
 * helpers more than one family needs. */
#ifndef RV_STORE_INT_H
#define RV_STORE_INT_H

#include <pthread.h>
#include <stddef.h>

#include "rostvakt/store.h"

/* The segment a store appends audio to (store_audio.c). */
typedef struct {
    pthread_mutex_t lock;
    int fd; /* -1 until its first recording */
    char name[24];
    long long end;
} rv_seg_file;

typedef struct rv_db rv_db; /* the connection: store_sqlite.c's alone */
typedef struct rv_pg rv_pg; /* or PostgreSQL's: store_pg.c's alone */

struct rv_store {
    rv_db *db; /* SQLite, or NULL when pg is set */
    rv_pg *pg;
    /* PostgreSQL: recordings the open transaction copied into the database
     * from their staged range, released once it commits */
    rv_audio_blob *staged;
    size_t n_staged, cap_staged;
    char dir[4096];
    rv_seg_file seg;
};

/* ---- statements (store_sqlite.c) ---- */

/* A value bound to a statement's ?1, ?2, ... in order: text (NULL binds
 * NULL), an integer, NULL, or a blob. The strings and blobs are borrowed
 * until the statement is stepped to its end or done. */
typedef enum { RV_SQL_NULL, RV_SQL_TEXT, RV_SQL_INT, RV_SQL_BLOB } rv_sql_type;
typedef struct {
    rv_sql_type type;
    const void *p;
    long long i; /* the integer, or the blob's length */
} rv_sqlv;

#define V_TEXT(x) ((rv_sqlv){RV_SQL_TEXT, (x), 0})
#define V_INT(x) ((rv_sqlv){RV_SQL_INT, NULL, (long long)(x)})
#define V_NULL ((rv_sqlv){RV_SQL_NULL, NULL, 0})
#define V_BLOB(p, n) ((rv_sqlv){RV_SQL_BLOB, (p), (long long)(n)})
/* The list of values of a call: V_ARGS(V_TEXT(ext), V_INT(id)), or V_NONE. */
#define V_ARGS(...) (const rv_sqlv[]){__VA_ARGS__}, (int)(sizeof((const rv_sqlv[]){__VA_ARGS__}) / sizeof(rv_sqlv))
#define V_NONE NULL, 0

typedef struct rv_sql rv_sql; /* a prepared statement */
/* What each backend's statement starts with: the store it belongs to. */
typedef struct {
    rv_store *s;
} rv_sql_head;

/* Prepare sql on s's connection with v[0..n) bound: new *q (rv_sql_done).
 * what names the work in errors ("cannot read mailboxes"): a failure to
 * prepare or, later, to step is reported as what and the database's words,
 * RV_ERR_BUSY when another connection holds the lock, RV_ERR_FULL on a full
 * disk, else RV_ERR_IO. A value past the statement's last parameter is not
 * bound. On error *q is NULL. */
RV_MUST_USE rv_err rv_sql_prepare(rv_store *s, rv_sql **q, const char *sql, const rv_sqlv *v, int n, const char *what,
                                  rv_error *err);
/* Reset q and bind v[0..n) again, for another step with other values. */
void rv_sql_rebind(rv_sql *q, const rv_sqlv *v, int n);
/* The next row: 1 a row (read it with rv_sql_text ...), 0 the end, -1 an
 * error (err set as rv_sql_prepare says). */
int rv_sql_step(rv_sql *q, rv_error *err);
/* Finalize q; NULL is allowed. */
void rv_sql_done(rv_sql *q);

/* The current row's column i. Text is NULL for NULL and lives until the
 * next step, rebind or done; rv_sql_copy writes "" for NULL. */
const char *rv_sql_text(rv_sql *q, int i);
long long rv_sql_int(rv_sql *q, int i);
double rv_sql_real(rv_sql *q, int i);
int rv_sql_null(rv_sql *q, int i);
const void *rv_sql_blob(rv_sql *q, int i, size_t *len);
void rv_sql_copy(rv_sql *q, int i, char *dst, size_t cap);
/* Text columns of the current row copied into one new block (*block,
 * free()): each column c[k].col's text into *c[k].to, pointing into the
 * block, or NULL for NULL (and for a column below 0). 0, or -1 out of
 * memory (*block NULL, every *to NULL). Read a row's numbers before its
 * texts (SQLite converts a column it is asked text of). */
typedef struct {
    int col;
    const char **to;
} rv_sql_col;
int rv_sql_texts(rv_sql *q, char **block, const rv_sql_col *c, int n);
/* The columns of a call: COLS({0, &r.ext}, {1, &r.name}). */
#define COLS(...) (const rv_sql_col[]){__VA_ARGS__}, (int)(sizeof((const rv_sql_col[]){__VA_ARGS__}) / sizeof(rv_sql_col))
/* An array of *cap items of size bytes made room for more (realloc): the
 * new one, *cap grown; NULL out of memory (v and *cap kept). */
void *rv_grow(void *v, size_t *cap, size_t size);

/* One statement run to its end (a write, or a read whose rows are not
 * wanted). rv_sql_changes and rv_sql_last_id tell what it did. */
RV_MUST_USE rv_err rv_sql_exec(rv_store *s, const char *sql, const rv_sqlv *v, int n, const char *what, rv_error *err);
/* Rows changed by the last write; the rowid of the last insert. */
long long rv_sql_changes(rv_store *s);
long long rv_sql_last_id(rv_store *s);
/* The first column of the first row as an integer: -1 on a database error
 * or no row (a count or a 0/1 question). */
long long rv_sql_int1(rv_store *s, const char *sql, const rv_sqlv *v, int n);

/* What a backend adds to a SELECT that picks a row to claim, so that
 * connections claiming at once skip each other's rows: "" for SQLite,
 * whose writers take turns; " FOR UPDATE SKIP LOCKED" for PostgreSQL. */
const char *rv_sql_skip_locked(rv_store *s);

/* The connection's last error as ours (what: the work that failed). */
rv_err rv_sql_error(rv_store *s, rv_error *err, const char *what);
/* 1 inside a transaction (rv_store_begin's, or one a function opened). */
int rv_sql_in_tx(rv_store *s);
/* Begin a write transaction unless the caller has one open: *own says
 * whether this one is ours. rv_sql_tx_end ends ours as rv_store_end does
 * and leaves the caller's alone (returning rc). */
RV_MUST_USE rv_err rv_sql_tx_begin(rv_store *s, int *own, rv_error *err);
RV_MUST_USE rv_err rv_sql_tx_end(rv_store *s, int own, rv_err rc, rv_error *err);

/* A WITH clause: unit_spellings(o, k, unit), each organisation's unit by
 * its key and the name it is shown by: the spelling most of that
 * organisation's mailboxes have (o '': those of none), of equal counts the
 * one the directory had first; o '*': of all mailboxes, for a unit of every
 * organisation. rv_unit_key(x) is a function of every connection. */
#define UNIT_SPELLINGS                                                                                           \
    "unit_spellings AS (SELECT o, k, unit FROM (SELECT o, k, unit, row_number() OVER (PARTITION BY o, k"         \
    " ORDER BY n DESC, first) AS r FROM (SELECT coalesce(organisation, '') AS o, rv_unit_key(unit) AS k, unit,"   \
    " count(*) AS n, min(rowid) AS first FROM mailboxes GROUP BY coalesce(organisation, ''), unit"                \
    " UNION ALL SELECT '*', rv_unit_key(unit), unit, count(*), min(rowid) FROM mailboxes GROUP BY unit)"           \
    " AS spelled) AS ranked WHERE r = 1)"
/* The unit_spellings row o of a unit of organisation x ('': of every one). */
#define SPELLING_OF(x) "CASE WHEN " x " = '' THEN '*' ELSE " x " END"
/* A WITH clause: unit_names(o, raw, k, unit), each unit name as an
 * organisation's mailboxes write it (o '': those of none), its key, and
 * the name that organisation's mailboxes spell it by most. Joined on raw =
 * m.unit AND o = coalesce(m.organisation, ''), the key is computed once a
 * name, not once a row compared. */
#define UNIT_NAMES                                                                                              \
    "unit_names AS (SELECT o, raw, k, unit FROM (SELECT o, unit AS raw, k, first_value(unit) OVER (PARTITION BY" \
    " o, k ORDER BY n DESC, first) AS unit FROM (SELECT coalesce(organisation, '') AS o, rv_unit_key(unit) AS k," \
    " unit, count(*) AS n, min(rowid) AS first FROM mailboxes GROUP BY coalesce(organisation, ''), unit)"         \
    " AS spelled) AS named)"
/* unit_names u of mailbox m */
#define UNIT_NAME_OF(u, m) u ".raw = " m ".unit AND " u ".o = coalesce(" m ".organisation, '')"
/* A WITH clause: units_by_key(o, k, name, managers), each organisation's
 * unit ('' : every organisation's) by its key, and its row of units last
 * updated (names that differ only in case are one unit). */
#define UNITS_BY_KEY                                                                                          \
    "units_by_key AS (SELECT o, k, name, managers FROM (SELECT organisation AS o, rv_unit_key(name) AS k, name,"   \
    " managers, row_number() OVER (PARTITION BY organisation, rv_unit_key(name) ORDER BY updated_at DESC, name)"   \
    " AS r FROM units) AS latest WHERE r = 1)"

/* Whether a scope (rv_scope: orgs bound to ?O, manager to ?G, units to ?U)
 * sees the mailbox m (an alias): in one of its organisations, and, for a
 * manager, of a unit of its organisation (or of every one) whose managers
 * name them, or of a unit among their units ("\nkey@org\n", org '' for
 * every organisation's). A condition of the WHERE clause, so that lists are
 * filtered before their LIMIT. */
#define SCOPE_SQL(m, O, G, U)                                                                                  \
    "(nullif(?" O ", '') IS NULL OR instr(?" O ", ',' || " m ".organisation || ',') > 0) AND (?" G " IS NULL"   \
    " OR EXISTS (SELECT 1 FROM units u WHERE rv_unit_key(u.name) = rv_unit_key(" m ".unit)"                    \
    " AND (u.organisation = '' OR u.organisation = " m ".organisation)"                                         \
    " AND instr(',' || lower(u.managers) || ',', ',' || lower(?" G ") || ',') > 0)"                             \
    " OR instr(coalesce(?" U ", ''), '\n' || rv_unit_key(" m ".unit) || '@' || coalesce(" m ".organisation, '')" \
    " || '\n') > 0 OR instr(coalesce(?" U ", ''), '\n' || rv_unit_key(" m ".unit) || '@\n') > 0)"

/* ---- PostgreSQL (store_pg.c), called by store_sqlite.c for a store
 * opened on PostgreSQL: the same contracts as rv_sql_* and rv_store_* ---- */

/* 1 when the setting store names a PostgreSQL database (a URI
 * postgresql://... or a libpq connection string key=value ...). */
int rv_pg_is_conninfo(const char *store);
/* Connect s to conninfo (dbname, when set, overrides its database), check
 * synchronous_commit (unless allow_async) and bring the schema up to upto.
 * Every error is RV_ERR_CONFIG and names the setting store, never the
 * password. s->pg is set even on error (rv_pg_close). */
RV_MUST_USE rv_err rv_pg_open(rv_store *s, const char *conninfo, const char *dbname, int allow_async, int upto,
                              rv_error *err);
void rv_pg_close(rv_store *s);
RV_MUST_USE rv_err rv_pg_create_database(const char *conninfo, const char *name, rv_error *err);
RV_MUST_USE rv_err rv_pg_prepare(rv_store *s, rv_sql **q, const char *sql, const rv_sqlv *v, int n, const char *what,
                                 rv_error *err);
void rv_pg_rebind(rv_sql *q, const rv_sqlv *v, int n);
int rv_pg_step(rv_sql *q, rv_error *err);
void rv_pg_done(rv_sql *q);
const char *rv_pg_text(rv_sql *q, int i);
long long rv_pg_int(rv_sql *q, int i);
double rv_pg_real(rv_sql *q, int i);
int rv_pg_null(rv_sql *q, int i);
const void *rv_pg_blob(rv_sql *q, int i, size_t *len);
long long rv_pg_changes(rv_store *s);
long long rv_pg_last_id(rv_store *s);
RV_MUST_USE rv_err rv_pg_error(rv_store *s, rv_error *err, const char *what);
int rv_pg_in_tx(rv_store *s);
RV_MUST_USE rv_err rv_pg_begin(rv_store *s, rv_error *err);
/* A transaction without the write lock, and the lock taken later in it:
 * for writes that the database's own constraints keep correct, done
 * before the lock so that the nodes do them at once. */
RV_MUST_USE rv_err rv_pg_begin_unlocked(rv_store *s, rv_error *err);
RV_MUST_USE rv_err rv_pg_write_lock(rv_store *s, rv_error *err);
RV_MUST_USE rv_err rv_pg_end(rv_store *s, rv_err rc, rv_error *err);
/* sql run once for each of n rows of k values (row i: v[i * k .. i * k + k)),
 * the statement prepared once and every row sent before any answer is read
 * (libpq's pipeline mode: one round trip), in the caller's transaction.
 * rows[i]: the rows row i's statement returned, else those it changed;
 * cols[i * ncols + c] (cols may be NULL): column c of its first row as an
 * integer, 0 without one. RV_OK, or the first error as rv_sql_prepare's
 * (what names the work); a statement's error aborts those after it and
 * the transaction. */
RV_MUST_USE rv_err rv_pg_batch(rv_store *s, const char *sql, const rv_sqlv *v, int k, size_t n, long long *rows,
                               long long *cols, int ncols, const char *what, rv_error *err);
void rv_pg_busy_timeout(rv_store *s, int ms);
int rv_pg_schema_version(rv_store *s);

/* ---- audio (store_audio.c) ---- */

void rv_audio_init(rv_store *s);
void rv_audio_fini(rv_store *s);
/* hex of the SHA-256 of bytes[0..len); *ok 0 when it failed. */
void rv_audio_sha256(const void *bytes, size_t len, char hex[RV_SHA256_HEX + 1], int *ok);
/* 1 when h is n lower-case hex digits. */
int rv_hexn(const char *h, size_t n);
/* Index a staged recording inside the caller's transaction; a recording
 * already indexed under the same hash wins and the staged copy is
 * released. 0, or -1 on a database error. */
int rv_audio_index(rv_store *s, const rv_audio_blob *b);
/* rv_audio_index of each of b[0..n) in turn; on PostgreSQL their first
 * chunks a round trip a group (rv_pg_batch). fresh[i] (fresh may be NULL):
 * 1 when b[i] was not stored before. 0, or -1 on a database error. */
int rv_audio_index_many(rv_store *s, const rv_audio_blob *const *b, size_t n, unsigned char *fresh);
/* The transaction ended (committed or not): on PostgreSQL, the staged
 * copies of what it wrote into the database are released when it
 * committed. */
void rv_audio_tx_ended(rv_store *s, int committed);
/* Give a staged range back to the file system (zeros where holes cannot be
 * punched). 0 or -1. */
int rv_audio_release(rv_store *s, const rv_audio_blob *b);
/* Record, inside the caller's transaction, that loc's bytes are to be
 * erased (*id: the record); erase such bytes, counting a segment that is
 * gone as done; drop the records ids[0..n) of erasures done, in a
 * transaction of its own. */
RV_MUST_USE rv_err rv_audio_record_erasure(rv_store *s, const rv_audio_loc *loc, long long *id, rv_error *err);
RV_MUST_USE rv_err rv_audio_erase_recorded(rv_store *s, const rv_audio_loc *loc, rv_error *err);
RV_MUST_USE rv_err rv_audio_drop_erasures(rv_store *s, const long long *ids, size_t n, rv_error *err);

/* ---- shared by the families of tables ---- */

/* 1 if the directory has ext, 0 if not, -1 on a database error
 * (store_mailboxes.c). */
int rv_mailbox_exists(rv_store *s, const char *ext);

/* RV_OK when an audit row may be written; the tests' hook that makes
 * every audit row fail as on a full disk (store_audit.c). */
RV_MUST_USE rv_err rv_audit_writable(rv_error *err);

/* The archival creator of voicemail v->id's organisation into v (store_orgs.c). */
RV_MUST_USE rv_err rv_archive_creator(rv_store *s, rv_vm_archive *v, rv_error *err);

/* ---- greeting summaries (store_greetings.c) ---- */

/* The columns GREETING_COLS selects (GREETING_NCOLS of them), from column
 * c on, into *g, with the report from column report (-1: none). 0, or -1
 * out of memory (*g zeroed). */
#define GREETING_NCOLS 14
int rv_greeting_read(rv_sql *q, int c, int report, rv_greeting_summary *g);
/* The reviews r of greeting g's recording: of g, or of another version of
 * its mailbox's greeting with the same audio (sent again, it is the same
 * recording, heard already). */
#define REVIEWS_OF(g)                                                                          \
    "reviews r JOIN greetings rg ON rg.id = r.greeting_id WHERE (rg.id = " g ".id"             \
    " OR (rg.ext = " g ".ext AND rg.audio_sha256 = " g ".audio_sha256))"
/* Greeting g is in the review list's sample of sure verdicts, one in ?K:
 * verified either way, not missing, not unsure, its id a multiple of ?K
 * (0: no sample). The draw is by id alone, so whether the list still shows
 * it (its mailbox's current greeting, not yet reviewed) does not change
 * what a review of it stands for. */
#define SURE_SAMPLE_SQL(g, K)                                                                   \
    "(?" K " > 0 AND " g ".id % ?" K " = 0 AND " g ".removed = 0"                                \
    " AND " g ".compliant IS NOT NULL AND coalesce(" g ".missing_reason, '') = ''"                 \
    " AND " g ".report IS NOT NULL AND " g ".review = '')"
/* Two texts the same as units compare (rv_unit_key), or either not known. */
#define SAME_TEXT(a, b) "(" a " IS NULL OR " b " IS NULL OR rv_unit_key(" a ") = rv_unit_key(" b "))"
/* Review r's answers are about the texts greeting g's analysis sought. */
#define ABOUT_SOUGHT(r, g)                                                                      \
    SAME_TEXT(r ".name_text", g ".name_text") " AND " SAME_TEXT(r ".unit_text", g ".unit_text")   \
    " AND " SAME_TEXT(r ".org_text", g ".org_text")
/* Review r is about the texts g sought of element E, when g is unsure of it. */
#define ABOUT_IF_UNSURE(r, g, E)                                                                \
    "(instr(',' || " g ".review || ',', '," E ",') = 0 OR " SAME_TEXT(r "." E "_text", g "." E "_text") ")"
/* Element E, when g is unsure of it, has an answer in a review of g's
 * recording about the text g sought of it (EXISTS ...). */
#define ANSWERED_IF_UNSURE(g, E, ABOUT)                                                         \
    "(instr(',' || " g ".review || ',', '," E ",') = 0 OR EXISTS (SELECT 1 FROM " REVIEWS_OF(g)     \
    " AND r." E " IS NOT NULL" ABOUT "))"
/* The elements g is unsure of that have no answer yet in a review of its
 * recording about the texts sought, "name,closing" ("" none). */
#define OPEN_IF_UNSURE(g, E, ABOUT) "CASE WHEN " ANSWERED_IF_UNSURE(g, E, ABOUT) " THEN '' ELSE '" E ",' END"
#define STILL_OPEN(g)                                                                           \
    "rtrim(" OPEN_IF_UNSURE(g, "name", " AND " SAME_TEXT("r.name_text", g ".name_text"))            \
    " || " OPEN_IF_UNSURE(g, "unit", " AND " SAME_TEXT("r.unit_text", g ".unit_text"))               \
    " || " OPEN_IF_UNSURE(g, "org", " AND " SAME_TEXT("r.org_text", g ".org_text"))                  \
    " || " OPEN_IF_UNSURE(g, "closing", "") ", ',')"
/* A review of g's recording about the texts sought of the elements g is
 * unsure of (EXISTS ...). */
#define REVIEWED_ABOUT(g)                                                                       \
    "EXISTS (SELECT 1 FROM " REVIEWS_OF(g) " AND " ABOUT_IF_UNSURE("r", g, "name") " AND "            \
    ABOUT_IF_UNSURE("r", g, "unit") " AND " ABOUT_IF_UNSURE("r", g, "org") ")"
/* g has been heard: a review of its recording, about the texts sought of
 * the elements g is unsure of, and each element g is unsure of answered
 * (the closing prompt's answer is not waited for: DONE_IF_OPEN),
 * by that review or an earlier one (a mailbox renamed since makes those to
 * be heard again; any other answer still stands). A sure verdict of the
 * sample needs one review. */
#define HEARD(g) "(" REVIEWED_ABOUT(g) " AND " DONE_IF_OPEN(STILL_OPEN(g)) ")"
/* open (STILL_OPEN's) leaves nothing a verdict waits for: an unsure closing
 * prompt counts as said whatever its answer, so it is asked about while the
 * rest is, but keeps no greeting on the list alone. */
#define DONE_IF_OPEN(open) open " IN ('', 'closing')"
/* What to listen for in g, not heard: the elements STILL_OPEN, or where
 * each has an answer but no one review is about all the texts sought,
 * every element g is unsure of again. */
#define TO_HEAR(open, g) "coalesce(nullif(" open ", ''), " g ".review)"
#define GREETING_COLS                                                                          \
    "g.id, g.received_at, g.removed, g.content_type, g.bytes, g.compliant, g.violations,"      \
    " g.missing_reason, g.absence_until, g.profile, g.audio_sha256, g.review,"                 \
    " (SELECT r.reviewed_at FROM " REVIEWS_OF("g") " ORDER BY r.id DESC LIMIT 1),"            \
    " (SELECT r.actor FROM " REVIEWS_OF("g") " ORDER BY r.id DESC LIMIT 1)"

#endif
