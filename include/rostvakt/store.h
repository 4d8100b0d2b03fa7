/* The archive, and the only owner of its schema and SQL: SQLite in WAL mode
 * in a data directory, with versioned schema migrations, and audio stored
 * beside it, content-addressed by SHA-256 and durable (fdatasync'ed) before
 * anything points to it. Takes and gives C structs: a row read is a struct
 * whose strings live in one block it owns (its texts), a list an array of
 * them with its _free function; JSON, and parsing request bodies, are the
 * HTTP layer's. One rv_store per thread (SQLite connections are not shared). */
#ifndef RV_STORE_H
#define RV_STORE_H

#include <stddef.h>

#include "rostvakt/err.h"

typedef struct rv_store rv_store;

#define RV_STORE_SCHEMA_VERSION 23
#define RV_SHA256_HEX 64

/* Whether an archive is there for rv_store_connect(store, ...) to open:
 * data_dir exists and, for SQLite, holds rostvakt.db (so that a command
 * given a wrong directory can say so instead of making an empty archive);
 * any other store's database is its server's to refuse. */
int rv_store_there(const char *store, const char *data_dir);

/* Open (creating) data_dir, its audio/ directory and rostvakt.db, and bring
 * the schema up to RV_STORE_SCHEMA_VERSION. A database of a newer schema is
 * refused (RV_ERR_CONFIG). New *out (rv_store_close). Test hook, inert
 * unless set: with RV_TEST_STORE=<libpq connection string> in the
 * environment it opens a PostgreSQL database of data_dir's own on that
 * server instead (created when missing). */
RV_MUST_USE rv_err rv_store_open(const char *data_dir, rv_store **out, rv_error *err);
void rv_store_close(rv_store *s);
/* rv_store_open, the schema brought up to version at most: an archive as an
 * older rostvakt left it, for the tests of the migrations. */
RV_MUST_USE rv_err rv_store_open_upto(const char *data_dir, int version, rv_store **out, rv_error *err);

/* RV_OK when the database answers a query on s's connection; its error
 * (RV_ERR_BUSY, RV_ERR_IO ...) otherwise. */
RV_MUST_USE rv_err rv_store_ping(rv_store *s, rv_error *err);
/* Open the archive the setting store names: "sqlite" (or "" or NULL) is
 * rv_store_open of data_dir; a PostgreSQL URI (postgresql://...) or libpq
 * connection string (host=... dbname=...) connects to that database and
 * brings its schema up to RV_STORE_SCHEMA_VERSION, refusing a newer one,
 * and refusing a server with synchronous_commit = off unless
 * allow_async_commit. Audio stays in data_dir's segments. Anything else in
 * store, a database that cannot be reached or refuses the credentials is
 * RV_ERR_CONFIG, its message naming the setting store and never its
 * password. New *out (rv_store_close). */
RV_MUST_USE rv_err rv_store_connect(const char *store, int allow_async_commit, const char *data_dir, rv_store **out,
                                    rv_error *err);

/* 1 when s is a PostgreSQL database (shared by nodes, a connection each),
 * 0 for SQLite. */
int rv_store_on_postgres(const rv_store *s);

/* The schema version the database is at. */
int rv_store_schema_version(rv_store *s);

/* Audio lives in append-only segment files (audio/<16 hex>.seg), each
 * written by one rv_store, and an index table maps each SHA-256 to its
 * segment, offset and length: content-addressed, and one fdatasync of a
 * segment makes every upload appended before it durable (no file to create
 * per recording). A staged recording is durable but unreferenced until a
 * row that names it is committed with its index entry. */
typedef struct {
    char sha256[RV_SHA256_HEX + 1];
    char segment[24]; /* 16 hex digits */
    long long at;     /* offset in the segment */
    size_t len;
} rv_audio_blob;

/* Append len bytes to this store's segment (threads write their ranges in
 * parallel): not yet durable, and nothing points to it. Thread-safe (a lock
 * of its own, no database). On error *out is zeroed. */
RV_MUST_USE rv_err rv_store_append_audio(rv_store *s, const void *bytes, size_t len, rv_audio_blob *out, rv_error *err);

/* Make appended audio durable: one fdatasync for each segment among b[0..n)
 * (NULL entries skipped), which covers every append to it before the call. */
RV_MUST_USE rv_err rv_store_sync_audio(rv_store *s, const rv_audio_blob *const *b, size_t n, rv_error *err);

/* Append and sync: durable when this returns, but nothing points to it yet
 * (rv_store_add_voicemails or rv_store_add_greeting with the blob index it). */
RV_MUST_USE rv_err rv_store_stage_audio(rv_store *s, const void *bytes, size_t len, rv_audio_blob *out, rv_error *err);

/* Stage len bytes and index them in a committed transaction of their own: a
 * recording already indexed with that hash is kept (the new copy's bytes
 * are released). hex gets the hash. Uses the connection. */
RV_MUST_USE rv_err rv_store_put_audio(rv_store *s, const void *bytes, size_t len, char hex[RV_SHA256_HEX + 1],
                                      rv_error *err);

/* Where stored audio with hash hex is. legacy: a file audio/<aa>/<hex> of
 * schema 4 and older archives, read as it is. in_db: in the database
 * itself (PostgreSQL: chunks of RV_AUDIO_CHUNK bytes, written in the
 * transaction of the row that names them; blob.len is its length, its
 * segment ""). RV_ERR_ARG for anything but 64 lower-case hex digits,
 * RV_ERR_NOT_FOUND when it is not stored. */
typedef struct {
    rv_audio_blob blob;
    int legacy;
    int in_db;
} rv_audio_loc;
#define RV_AUDIO_CHUNK (256 * 1024)
RV_MUST_USE rv_err rv_store_locate_audio(rv_store *s, const char *hex, rv_audio_loc *loc, rv_error *err);

/* Read the bytes at loc (no database: no lock needed; audio in the
 * database uses the connection, as rv_store_load_audio_range) into a new buffer
 * (*out, free()), checking they still hash to hex: RV_ERR_NOT_FOUND when
 * they were disposed of or changed meanwhile, RV_ERR_TOO_LARGE above max. */
RV_MUST_USE rv_err rv_store_load_audio(rv_store *s, const char *hex, const rv_audio_loc *loc, size_t max,
                                       unsigned char **out,
                                       size_t *len, rv_error *err);

/* Bytes [from, from + n) of the stored audio at loc (within blob.len) into
 * a new buffer (*out, free()): of audio in the database only the chunks
 * that hold them are read. Not checked against the hash (only a whole
 * recording can be): for Range requests. Uses the connection (thread-safe
 * against other calls on it, but inside any transaction another thread has
 * open on it). */
RV_MUST_USE rv_err rv_store_load_audio_range(rv_store *s, const rv_audio_loc *loc, size_t from, size_t n,
                                             unsigned char **out,
                                             rv_error *err);

/* rv_store_locate_audio, then rv_store_load_audio. */
RV_MUST_USE rv_err rv_store_read_audio(rv_store *s, const char *hex, size_t max, unsigned char **out, size_t *len,
                                       rv_error *err);

/* Disposal, in two steps: inside the caller's write transaction drop hex's
 * index entry (loc: where its bytes are; RV_ERR_NOT_FOUND when it is not
 * stored); after the commit destroy those bytes (a hole punched into the
 * segment, or the legacy file removed) and sync them. An upload of the same
 * bytes committed in between indexes its own copy. rv_store_dispose also
 * records the erasure in its transaction (see rv_store_finish_erasures). */
RV_MUST_USE rv_err rv_store_forget_audio(rv_store *s, const char *hex, rv_audio_loc *loc, rv_error *err);
RV_MUST_USE rv_err rv_store_erase_audio(rv_store *s, const rv_audio_loc *loc, rv_error *err);

/* Finish the erasures a disposal recorded but did not see done (a crash, a
 * kill, an I/O error after its commit): each one's bytes destroyed and
 * synced, then its record dropped. Erasing twice does no harm, so two
 * processes may do it at once. *failed counts those still recorded after an
 * error, err then saying why for the last of them; a database error is
 * returned. At start-up (rv_store_remove_leftovers) and by each sweep.
 * Test hook, inert unless set: with RV_TEST_KILL_AFTER_ERASURES=N in the
 * environment a process kills itself (SIGKILL) once it has erased N
 * recordings, before its next erasure or before it drops their records. */
RV_MUST_USE rv_err rv_store_finish_erasures(rv_store *s, long *failed, rv_error *err);

/* An extension as the directory keeps them: 1 to 20 digits. */
int rv_ext_valid(const char *ext);

/* A mailbox of the directory, as the PBX sends it. */
typedef struct {
    char ext[24];          /* digits only */
    char first_name[96], last_name[96], unit[192], org[192], profile[64], mobile[32];
    char email[256];       /* where its voicemail arrives as e-mail, or "" */
    char organisation[48]; /* the id of the authority it belongs to, or "" */
} rv_mailbox;

/* Whose records a person may see. orgs: ",a,b," (rv_orgs_norm), NULL or
 * "": every organisation. manager: a manager's sign-in name, who sees only
 * the mailboxes of units whose managers name them, and of units: more of
 * their units, "\nkey@org\n..." (rv_unit_key; org "" for every
 * organisation's), or NULL; manager NULL: not a manager. */
typedef struct {
    const char *orgs;
    const char *manager;
    const char *units;
} rv_scope;

/* Create or update a mailbox; *created is 1 when it was new. Called inside
 * rv_store_begin's transaction, it is part of it (the caller audits it
 * there); else it commits one of its own. */
RV_MUST_USE rv_err rv_store_put_mailbox(rv_store *s, const rv_mailbox *m, const char *now_iso, int *created,
                                        rv_error *err);

/* Record a voicemail whose audio is already stored and indexed (rv_store_put_audio), in
 * one committed transaction (synchronous=FULL: durable when this returns),
 * queued for analysis. *id gets its id. RV_ERR_NOT_FOUND: no such mailbox. */
RV_MUST_USE rv_err rv_store_add_voicemail(rv_store *s, const char *ext, const char *sha256, const char *content_type,
                                          size_t bytes, const char *caller, const char *received_at, long long *id,
                                          rv_error *err);

/* One voicemail of a batch (rv_store_add_voicemails), with the audit entry
 * written in the same transaction when actor is set, and its appended audio
 * synced before it and indexed in it when blob is set (then sha256 is
 * blob->sha256). */
typedef struct {
    const char *ext, *sha256, *content_type;
    const rv_audio_blob *blob;
    size_t bytes;
    const char *caller, *received_at;
    const char *actor, *remote, *now; /* the audit: who, from where, when */
    const char *idem_key;             /* the sender's Idempotency-Key (the sender: actor), or NULL */
    int duplicate;                    /* out: 1 when the sender sent the same audio with that key to the
                                       * mailbox before: id is that one's, nothing new is stored
                                       * (other audio with that key: rc RV_ERR_CONFLICT) */
    long long id;                     /* out: its id, 0 when not stored */
    rv_err rc;                        /* out: why not (RV_ERR_NOT_FOUND: no such mailbox) */
    rv_error err;
} rv_vm_new;

/* Record n voicemails in one committed transaction (one fdatasync a segment
 * and one commit for all: the service's group commit). Items that cannot be stored (unknown mailbox, bad
 * ext) get their own rc and the rest are stored; a database error fails them
 * all and is returned. Called inside rv_store_begin's transaction, it is
 * part of it (durable once the caller commits; rv_store_end with its rc). */
RV_MUST_USE rv_err rv_store_add_voicemails(rv_store *s, rv_vm_new *v, size_t n, rv_error *err);

/* The voicemail of mailbox ext that sender by (a token's name) sent with
 * Idempotency-Key key and the audio bytes[0..len): RV_OK with *id and its
 * sha256; RV_ERR_CONFLICT, saying nothing of it, when by sent other audio
 * with that key; RV_ERR_NOT_FOUND when by never sent that key (another
 * sender's key of the same text is another key). */
RV_MUST_USE rv_err rv_store_voicemail_by_key(rv_store *s, const char *ext, const char *by, const char *key,
                                             const void *bytes,
                                             size_t len, long long *id, char sha256[RV_SHA256_HEX + 1], rv_error *err);


/* Reclaim what a crash left in audio/: erasures a disposal recorded but did
 * not finish (rv_store_finish_erasures), temporary files, and the tail of
 * any segment no live store writes to beyond its last indexed recording
 * (staged but never committed, so never acknowledged). At start-up. */
void rv_store_remove_leftovers(rv_store *s);

/* Put voicemails whose analysis was interrupted (a crash, a kill) back on
 * the queue; at start-up, before any worker runs. */
RV_MUST_USE rv_err rv_store_requeue_interrupted(rv_store *s, rv_error *err);

/* How many voicemails wait for analysis, claimed or not (-1 on a database
 * error): the depth of the queue every node shares. */
long long rv_store_count_queued(rv_store *s);

/* Each voicemail owed an analysis is a job row (analysis_jobs), made with
 * the voicemail. A worker claims one for a lease; a claim whose lease has
 * run out is anybody's again, so that nothing a dead worker held is lost.
 * Claim the oldest job not claimed, or whose lease ended before now_ms,
 * for by (a worker's process, "host:pid:nonce") until lease_until_ms: RV_OK
 * with the voicemail's id, audio and type; RV_ERR_NOT_FOUND when there is
 * none. One statement: on PostgreSQL its row is locked with SKIP LOCKED,
 * so that nodes claiming at once take different jobs. */
RV_MUST_USE rv_err rv_store_claim_analysis(rv_store *s, const char *by, long long now_ms, long long lease_until_ms,
                                           long long *id,
                                           char sha256[RV_SHA256_HEX + 1], char *content_type, size_t ct_cap,
                                           rv_error *err);
/* Give up by's claim of voicemail id (an analysis not recorded), or with
 * id 0 every claim of by. */
RV_MUST_USE rv_err rv_store_release_analysis(rv_store *s, const char *by, long long id, rv_error *err);
/* Move the lease of every claim by holds to lease_until_ms (never back):
 * a worker still at work keeps its jobs however long an analysis takes.
 * Reads first, and writes only when by holds a claim. */
RV_MUST_USE rv_err rv_store_renew_analysis(rv_store *s, const char *by, long long lease_until_ms, rv_error *err);
/* The workers that hold claims, each once: fn(user, by). */
RV_MUST_USE rv_err rv_store_analysis_claimants(rv_store *s, void (*fn)(void *user, const char *by), void *user,
                                               rv_error *err);

/* A voicemail's analysis, for rv_store_finish_voicemails. */
typedef struct {
    long long id;
    const char *state, *classification, *report, *now_iso;
    const char *claimed_by; /* the claim it was analysed under; NULL: none asked for */
    int recorded;           /* set: 1 when it was recorded */
} rv_vm_done;

/* Record n analyses in one committed transaction (or in rv_store_begin's,
 * when called inside it). An analysis made under a claim another worker
 * has taken over since (its lease ran out) is not recorded: that worker's
 * is, so that each voicemail's result is written once. */
RV_MUST_USE rv_err rv_store_finish_voicemails(rv_store *s, rv_vm_done *d, size_t n, rv_error *err);

/* Record a voicemail's analysis (report: the JSON of rostvakt analyze) and
 * take it off the queue; state "failed" when it could not be analysed. */
RV_MUST_USE rv_err rv_store_finish_voicemail(rv_store *s, long long id, const char *state, const char *classification,
                                             const char *report, const char *now_iso, rv_error *err);

/* A records officer's decision on a voicemail as it is kept (strings NULL
 * when absent; they live in texts). */
typedef struct {
    const char *decision, *diarienummer, *note, *actor, *decided_at, *arendemening, *sekretess, *ground,
        *gallringsbeslut, *reason, *previous, *migrated_from;
    char *texts;
} rv_vm_decision;

/* What happened to a voicemail on its way to the e-archive. */
typedef struct {
    const char *event, *at, *actor, *detail; /* detail NULL when none */
    char *texts;
} rv_vm_event;

/* A voicemail with its mailbox, decisions and events. Strings NULL when
 * absent; they live in texts (and each decision's and event's in theirs). */
typedef struct {
    long long id, bytes;
    const char *ext, *caller, *received_at, *content_type, *state;
    const char *classification;          /* NULL until analysed */
    const char *report;                  /* the analysis (JSON), or NULL */
    const char *first_name, *last_name, *unit, *org, *profile; /* its mailbox's */
    const char *organisation;            /* its mailbox's organisation's id */
    const char *calendar;                /* that organisation's calendar ("SE", "AX") */
    const char *callback_at, *objid, *packaged_at, *archived_at, *archive_ref;
    const char *disposed_at;             /* when its audio was disposed of */
    rv_vm_decision *decisions;           /* oldest first */
    size_t n_decisions;
    rv_vm_event *events;                 /* oldest first */
    size_t n_events;
    char *texts;
} rv_vm_detail;

/* Voicemail id into *out (rv_vm_detail_free). RV_ERR_NOT_FOUND when there
 * is none. On error *out is zeroed. */
RV_MUST_USE rv_err rv_store_get_voicemail(rv_store *s, long long id, rv_vm_detail *out, rv_error *err);
/* Free what *v holds and zero it; NULL and a zeroed one are allowed. */
void rv_vm_detail_free(rv_vm_detail *v);

/* A voicemail's stored audio: its hash and original Content-Type, and
 * whether it was disposed of. RV_ERR_NOT_FOUND. */
RV_MUST_USE rv_err rv_store_voicemail_audio(rv_store *s, long long id, char sha256[RV_SHA256_HEX + 1],
                                            char *content_type,
                                            size_t ct_cap, int *disposed, rv_error *err);

/* Filters of the voicemail list; NULL or 0: any. */
typedef struct {
    const char *classification, *decision, *ext, *unit;
    const char *from, *to;        /* UTC instants: received in [from, to) */
    const char *caller;           /* digits (and +) the caller's number contains; a leading 0 also
                                   * matches the number written +46 */
    const char *q;                /* a mailbox: its first or last name (any case) or ext contains it */
    int listened;                 /* -1 any, 0 nobody has read its audio yet, 1 someone has */
    int limit;                    /* 1..500 */
    long long after_id;           /* keyset cursor: the items older than this one (the next page) */
    long long before_id;          /* or the items newer than this one (the previous page) */
    rv_scope scope;               /* whose voicemails the caller may see */
} rv_vm_query;

/* A voicemail of the list. Strings NULL when absent; they live in texts. */
typedef struct {
    long long id, bytes;
    const char *ext, *caller, *received_at, *content_type, *state;
    const char *classification, *decision; /* NULL: not analysed, not decided (the latest) */
    const char *name, *unit, *profile;     /* its mailbox's: the owner's "first last" */
    int has_duration;                      /* 1: the analysis says duration_s */
    double duration_s;
    const char *reasons;                   /* the analysis's reasons (a JSON array), or NULL */
    const char *callback_at;
    const char *listened_at;               /* the first read of its audio in the audit */
    const char *calendar;                  /* its organisation's ("SE", "AX"), or NULL */
    const char *disposed_at;               /* when its audio was disposed of, or NULL */
    char *texts;
} rv_vm_item;

/* A page of the voicemail list (rv_vm_page_free). */
typedef struct {
    rv_vm_item *items;            /* newest first */
    size_t n;
    int more_older, more_newer;   /* items older than the last, newer than the first */
    long long total;              /* every item the filters match, -1 when not counted */
} rv_vm_page;

/* Voicemails newest first (received_at, then id; received_at is UTC).
 * With count, out->total counts every match. On error out is zeroed. */
RV_MUST_USE rv_err rv_store_list_voicemails(rv_store *s, const rv_vm_query *q, int count, rv_vm_page *out,
                                            rv_error *err);
/* Free what *p holds and zero it; NULL and a zeroed one are allowed. */
void rv_vm_page_free(rv_vm_page *p);

/* The owner returned the call: callback_at = now_iso. RV_ERR_NOT_FOUND. */
RV_MUST_USE rv_err rv_store_set_callback(rv_store *s, long long id, const char *now_iso, rv_error *err);

/* A records officer's decision as it is kept: decision is "registrera",
 * "halls_ordnad", "gallras" or "privat" (include/rostvakt/decision.h says
 * what each means and rv_decision_check which fields each needs); the
 * other fields are NULL when absent. previous is the decision it replaces. */
typedef struct {
    const char *decision, *diarienummer, *arendemening, *sekretess, *ground, *gallringsbeslut, *reason,
        *previous, *note;
} rv_decision_record;

/* Kept as history (never overwritten). RV_ERR_NOT_FOUND for an unknown
 * voicemail; RV_ERR_ARG for a decision the archive does not know. */
RV_MUST_USE rv_err rv_store_add_decision(rv_store *s, long long voicemail_id, const rv_decision_record *d,
                                         const char *actor,
                                         const char *now_iso, long long *decision_id, rv_error *err);

/* Where a voicemail stands for a new decision: its latest decision ("" when
 * none), whether it was handed over to the e-archive (packaged or
 * confirmed), whether its recording was disposed of, and its mailbox's
 * profile. RV_ERR_NOT_FOUND for an unknown voicemail. */
typedef struct {
    char decision[16];
    int handed_over, disposed;
    char profile[64];
} rv_decision_standing;
RV_MUST_USE rv_err rv_store_decision_standing(rv_store *s, long long voicemail_id, rv_decision_standing *out,
                                              rv_error *err);

/* One audit entry: who (token name), from where, what, when. Every audit
 * row is written here, in the caller's transaction when one is open.
 * action must be one of rv_audit_actions (else RV_ERR_INTERNAL).
 * Test hook, inert unless set: while the file RV_TEST_AUDIT_FAILS names
 * exists, no row is written (RV_ERR_FULL, as on a full disk). */
RV_MUST_USE rv_err rv_store_audit(rv_store *s, const char *now_iso, const char *actor, const char *remote,
                                  const char *action,
                                  long long voicemail_id, const char *ext, const char *detail, rv_error *err);
/* The same, a row of no mailbox that is organisation org's (a unit of it,
 * the organisation itself): its officers and admins read it too. org ""
 * or NULL: as rv_store_audit. */
RV_MUST_USE rv_err rv_store_audit_of(rv_store *s, const char *org, const char *now_iso, const char *actor,
                                     const char *remote,
                                     const char *action, const char *detail, rv_error *err);

/* Every action an audit row may name, NULL-ended. A new one needs its
 * request in the table of tests/cli/failclosed_test.c. */
extern const char *const rv_audit_actions[];

/* An audit entry as it was written (its text as it is: rows written before
 * requests were checked may hold bytes that are not UTF-8). Strings live
 * in texts; ext and detail NULL when none. */
typedef struct {
    long long id;
    const char *at, *actor, *remote, *action;
    long long voicemail_id; /* 0: none */
    const char *ext, *detail;
    char *texts;
} rv_audit_row;

/* Audit entries, newest first, filtered by voicemail (0: any), actor (NULL:
 * any), the time range [from, to) (NULL: open) and organisation (orgs
 * NULL: every row; "": the rows of any mailbox or voicemail; ",a,b,": the
 * rows of those organisations' mailboxes and voicemails; rows of neither,
 * such as sign-ins, only with NULL); at most limit, into a new array
 * (*out, rv_audit_rows_free) of *n. */
RV_MUST_USE rv_err rv_store_list_audit(rv_store *s, long long voicemail_id, const char *actor, const char *from,
                                       const char *to, const char *orgs, int limit, rv_audit_row **out, size_t *n,
                                       rv_error *err);
/* The same, a page: entries older than after_id (0: from the newest), at
 * most limit; *more is 1 when older entries follow. orgs as above. */
RV_MUST_USE rv_err rv_store_audit_page(rv_store *s, long long voicemail_id, const char *actor, const char *from,
                                       const char *to,
                                       const char *orgs, long long after_id, int limit, rv_audit_row **out, size_t *n,
                                       int *more, rv_error *err);
void rv_audit_rows_free(rv_audit_row *v, size_t n);

/* One person who has read a voicemail's audio: the first time, the last,
 * how many times. The strings live in texts. */
typedef struct {
    const char *name, *at, *last_at;
    long long times;
    char *texts;
} rv_vm_listen;
/* Who has read voicemail id's audio, by the audit: one a person, in the
 * order they first did, into a new array (*out, rv_vm_listens_free) of *n. */
RV_MUST_USE rv_err rv_store_voicemail_listens(rv_store *s, long long id, rv_vm_listen **out, size_t *n, rv_error *err);
void rv_vm_listens_free(rv_vm_listen *v, size_t n);
/* Voicemail id's hand-overs to a handläggare, by the audit, oldest first:
 * in each rv_vm_listen, name is who handed it over, at when, last_at to
 * whom (times 1); freed with rv_vm_listens_free. */
RV_MUST_USE rv_err rv_store_voicemail_handovers(rv_store *s, long long id, rv_vm_listen **out, size_t *n,
                                                rv_error *err);

/* Keep staged audio (blob) as mailbox ext's recorded name, in one
 * transaction with its index entry and an audit row
 * ("name_recording_received"); the mailbox's current greeting is marked for
 * analysis again (the next sweep). RV_ERR_NOT_FOUND: no such mailbox (the
 * staged bytes are released). */
RV_MUST_USE rv_err rv_store_set_name_recording(rv_store *s, const char *ext, const rv_audio_blob *blob,
                                               const char *content_type, const char *actor, const char *remote,
                                               const char *now_iso, rv_error *err);

/* Mailbox ext's recorded name: its audio hash and Content-Type.
 * RV_ERR_NOT_FOUND when it has none (or there is no such mailbox). */
RV_MUST_USE rv_err rv_store_name_recording(rv_store *s, const char *ext, char sha256[RV_SHA256_HEX + 1],
                                           char *content_type,
                                           size_t ct_cap, rv_error *err);

/* Read a mailbox: RV_ERR_NOT_FOUND when there is none. */
RV_MUST_USE rv_err rv_store_get_mailbox(rv_store *s, const char *ext, rv_mailbox *out, rv_error *err);

/* Whether commits on this connection copy the write-ahead log back into the
 * database themselves when it has grown (on by default). A service turns it
 * off on the connections that answer requests and calls rv_store_checkpoint
 * from a thread of its own, so that no upload waits for a checkpoint. */
void rv_store_autocheckpoint(rv_store *s, int on);

/* Copy what it can of the write-ahead log into the database without waiting
 * for readers or writers (a passive checkpoint). */
RV_MUST_USE rv_err rv_store_checkpoint(rv_store *s, rv_error *err);

/* A greeting's verdict on the policy. A removed greeting is stored as not
 * compliant. */
typedef enum {
    RV_COMPLIANCE_UNKNOWN,   /* not verified (no decoder, or no profile) */
    RV_COMPLIANCE_YES,
    RV_COMPLIANCE_NO
} rv_compliance;

/* One version of a mailbox's greeting: uploaded audio with its analysis, or
 * the record that the greeting was removed (removed = 1, no audio). */
typedef struct {
    const char *ext;
    const char *sha256, *content_type; /* NULL when removed */
    const rv_audio_blob *blob;         /* staged audio to index with the row, or NULL */
    size_t bytes;
    const char *received_at;           /* UTC, "YYYY-MM-DDTHH:MM:SSZ" */
    int removed;
    const char *report;                /* the JSON of rostvakt analyze, or NULL */
    rv_compliance compliance;          /* stored as 1, 0 or NULL (unknown) */
    const char *violations;            /* "name_missing,too_long" or "" */
    const char *missing_reason;        /* NULL unless missing by analysis */
    const char *absence_until;         /* "2026-12-04T12:00", or NULL */
    const char *profile;
    const char *models_version;        /* what analysed it (rv_store_models_version of the caller) */
    const char *review;                /* "name,closing": unsure elements a person should listen for; NULL or "" none */
    const char *sought[3];             /* the name, unit and org the analysis sought ("": not sought;
                                        * NULL: not known); a mailbox renamed since is analysed again */
    const char *actor, *remote;        /* who sent it, for its audit row; NULL: no audit row */
} rv_greeting_row;

/* Add a greeting version and make it the mailbox's current one, in one
 * committed transaction with its audit row ("greeting_received", or
 * "greeting_removed" for a removal) when g->actor is set: either both are
 * written or neither. Every version is kept. RV_ERR_NOT_FOUND: no such
 * mailbox. Called inside rv_store_begin's transaction, it is part of it
 * (the caller ends it with this call's rc). */
RV_MUST_USE rv_err rv_store_add_greeting(rv_store *s, const rv_greeting_row *g, long long *id, rv_error *err);

/* A greeting version as it was kept. Strings NULL when absent; they live
 * in texts. */
typedef struct {
    long long id;
    const char *received_at;
    int removed;
    const char *content_type, *audio_sha256; /* NULL when removed */
    long long bytes;                         /* -1 when removed */
    int compliant;                           /* 1, 0, or -1 not verified */
    const char *violations;                  /* "name_missing,too_long" or "" */
    const char *missing_reason, *absence_until, *profile;
    const char *review;                      /* "name,closing": what a person should listen for, or "" */
    const char *reviewed_at, *reviewed_by;   /* the latest review of its recording */
    const char *report;                      /* rv_store_get_greeting's: the analysis (JSON), or NULL */
    char *texts;
} rv_greeting_summary;

/* A mailbox's greeting versions, newest first, without their reports,
 * into a new array (*out, rv_greetings_free) of *n. RV_ERR_NOT_FOUND for
 * an unknown mailbox. */
RV_MUST_USE rv_err rv_store_list_greetings(rv_store *s, const char *ext, rv_greeting_summary **out, size_t *n,
                                           rv_error *err);
void rv_greetings_free(rv_greeting_summary *v, size_t n);

/* One greeting version with its report into *out
 * (rv_greeting_summary_free); id 0: the current one. RV_ERR_NOT_FOUND. On
 * error *out is zeroed. */
RV_MUST_USE rv_err rv_store_get_greeting(rv_store *s, const char *ext, long long id, rv_greeting_summary *out,
                                         rv_error *err);
/* Free what *g holds and zero it; NULL and a zeroed one are allowed. */
void rv_greeting_summary_free(rv_greeting_summary *g);

/* Filters of the mailbox list; NULL or RV_MB_ANY: any. */
typedef enum {
    RV_MB_ANY,
    RV_MB_COMPLIANT,        /* the current greeting is compliant */
    RV_MB_NOT_COMPLIANT     /* it is not, is missing, removed, or there is none */
} rv_mb_filter;

typedef struct {
    rv_mb_filter compliant;
    const char *unit;
    const char *ext;        /* just this mailbox */
    const char *email;      /* just the mailbox with this address (ASCII case ignored) */
    int limit;              /* 1..500 */
    const char *after_ext;  /* keyset cursor: the previous page's last ext */
    rv_scope scope;         /* whose mailboxes the caller may see */
} rv_mb_query;

/* The directory's names ("first last") and units of every mailbox but ext
 * (NULL: all), in ext order: what a name is weighed against when its
 * greeting is verified. Both arrays and each string are malloc()ed: free
 * each with rv_store_names_free. */
RV_MUST_USE rv_err rv_store_directory_names(rv_store *s, const char *ext, char ***names, char ***units, size_t *n,
                                            rv_error *err);
void rv_store_names_free(char **names, size_t n);

/* A mailbox of the list with its current greeting. Strings NULL when
 * absent; they live in texts (the greeting's in its own). */
typedef struct {
    const char *ext, *first_name, *last_name, *unit, *org, *profile, *mobile;
    int has_greeting;                 /* 0: it has none */
    rv_greeting_summary greeting;     /* the current version, as rv_store_list_greetings */
    const char *name_recording_at;    /* when its recorded name came, or NULL */
    const char *email, *organisation;
    char *texts;
} rv_mailbox_row;

/* Mailboxes by ext into a new array (*out, rv_mailbox_rows_free) of *n.
 * *more is 1 when another page follows. */
RV_MUST_USE rv_err rv_store_list_mailboxes(rv_store *s, const rv_mb_query *q, rv_mailbox_row **out, size_t *n,
                                           int *more,
                                           rv_error *err);
void rv_mailbox_rows_free(rv_mailbox_row *v, size_t n);

/* ---- reviews: what a person heard in a greeting ---- */

/* What a records officer heard: each of name, unit, org, closing
 * "stated", "not_stated" or NULL (not said either way). */
typedef struct {
    const char *ext;
    long long greeting_id;
    const char *name, *unit, *org, *closing;
    const char *actor, *remote, *now; /* the audit: who, from where, when */
    int sample_every;                 /* the review list's sample, one sure verdict in this many (0: none):
                                       * a review of a greeting in it that answers all it asks (whole) is
                                       * stored as standing for this many greetings (reviews.weight), any
                                       * other for one */
    int whole;                        /* 1: answers every element the analysis sought */
    const char *asked[3];             /* the texts the answers are about: the name, unit and org the
                                       * analysis sought ("": not sought; NULL: not known) */
    int set_verdict;                  /* 1: the greeting's verdict becomes compliance and violations */
    rv_compliance compliance;
    const char *violations;           /* "name_missing,..." or "" */
} rv_review;

/* Record r with its audit row ("greeting_reviewed") in one transaction
 * (the caller's, when one is open), and with set_verdict the greeting's
 * verdict as the review makes it; earlier reviews of the same greeting are
 * kept. The review is stored with the number of greetings it stands for:
 * sample_every when the greeting is drawn into the review list's sample of
 * sure verdicts (SURE_SAMPLE_SQL, as rv_store_list_review draws it) and
 * whole, else 1; a review of a recording already reviewed corrects the
 * latest and stands for what it did. A greeting's summary then has reviewed_at and reviewed_by. RV_ERR_NOT_FOUND when ext
 * has no greeting greeting_id (or it records a removal); RV_ERR_ARG for a
 * value other than stated/not_stated, or none at all. */
RV_MUST_USE rv_err rv_store_add_review(rv_store *s, const rv_review *r, long long *id, rv_error *err);

/* A current greeting a person should listen to. Strings live in texts. */
typedef struct {
    const char *ext, *name, *unit; /* its mailbox's; name: the owner's "first last" */
    const char *org;               /* its mailbox's organisation as said in a greeting, or "" */
    long long greeting_id;
    const char *received_at;
    const char *unsure;            /* "name,closing": the elements it is unsure of; "" in a sample */
    const char *open;              /* those of them still to ask about (answered: asked again where no
                                      review is about all the texts sought) */
    int sample;                    /* 1: a verdict rostvakt was sure of, offered as a spot check */
    int compliant;                 /* a sample's verdict: 1 compliant, 0 not */
    const char *violations;        /* a sample's "name_missing,..." or "" */
    const char *report;            /* its analysis (JSON): what it was checked against, what to listen for */
    char *texts;
} rv_review_item;

/* Current greetings a person should listen to and that are not heard yet
 * (each element they are unsure of answered about the text sought; a
 * sample: one review),
 * of unit (NULL: any; as units compare, rv_unit_key) within scope, by ext
 * after after_ext (NULL: from the first), at most limit (1..500),
 * into a new array (*out, rv_review_items_free) of *n; *more: another page
 * follows. Those are the unsure verdicts that could break the policy, and
 * with sample_every > 0 a sample of the verdicts rostvakt was sure of: the
 * verified greetings, neither missing nor unsure, whose id is a multiple of
 * sample_every (rv_store_add_review weighs their reviews by the same draw). Reviews of
 * both ends are what calibrate needs to move a threshold. */
RV_MUST_USE rv_err rv_store_list_review(rv_store *s, const char *after_ext, int limit, int sample_every,
                                        const rv_scope *scope, const char *unit, rv_review_item **out, size_t *n,
                                        int *more, rv_error *err);
void rv_review_items_free(rv_review_item *v, size_t n);

/* A greeting's latest review with the greeting's report (the analysis's
 * JSON); strings live until fn returns. */
typedef struct {
    long long greeting_id;
    const char *report;
    const char *name, *unit, *org, *closing; /* "stated", "not_stated" or NULL */
    int weight;                              /* how many greetings it stands for (rv_store_add_review) */
} rv_reviewed;

/* Call fn once for every reviewed recording (a greeting, or the same audio
 * sent again to its mailbox) whose latest review's greeting has a report,
 * in greeting order: that greeting, each element's latest answer about the
 * texts it sought (as rv_store_latest_review), the latest review's weight. */
RV_MUST_USE rv_err rv_store_each_reviewed(rv_store *s, void (*fn)(void *user, const rv_reviewed *r), void *user,
                                          rv_error *err);

/* ---- what the nightly sweep reads and writes ---- */

/* How many of a kind there are (-1 on a database error). */
typedef enum {
    RV_COUNT_MAILBOXES,
    RV_COUNT_CURRENT_GREETINGS,   /* mailboxes whose current greeting is not removed */
    RV_COUNT_OPEN_CALLBACKS,      /* voicemails not called back, not disposed of, not empty */
    RV_COUNT_DISPOSABLE,          /* analysed voicemails whose audio is still kept */
    RV_COUNT_ANALYSES_CLAIMED     /* voicemails owed an analysis that a worker has claimed */
} rv_count_what;
long long rv_store_count(rv_store *s, rv_count_what what);

/* A mailbox's current greeting, with what it was analysed under. */
typedef struct {
    rv_mailbox m;
    long long id;
    char models_version[64];
    char sha256[RV_SHA256_HEX + 1]; /* "" when it has no audio */
    char content_type[64], received_at[32];
    int renamed; /* the mailbox's name, unit or org is not what its analysis sought (rv_unit_key) */
} rv_current_greeting;

/* Up to cap mailboxes' current greetings that are not removed, in ext order
 * after after_ext ("" from the first): a keyset page, so a caller's memory
 * does not grow with the archive. *n gets how many. */
RV_MUST_USE rv_err rv_store_current_greetings(rv_store *s, const char *after_ext, rv_current_greeting *out, size_t cap,
                                              size_t *n, rv_error *err);

/* Replace greeting id's analysis with g's report, compliance, violations,
 * missing_reason, absence_until, profile and models_version (the other
 * fields of g are not used), analysed at now_iso. RV_ERR_NOT_FOUND. */
RV_MUST_USE rv_err rv_store_reanalysed_greeting(rv_store *s, long long id, const rv_greeting_row *g,
                                                const char *now_iso,
                                                rv_error *err);

/* What the reviews of a recording heard: of the reviews of ext's greetings
 * whose audio is sha256, each element's latest answer, "stated" or
 * "not_stated", of those about sought[i] (the name, unit and org an
 * analysis seeks now, as units compare; an answer about another text is of
 * a mailbox renamed since), or "" (none); *found 0 and *out all "" when
 * the recording has no review. */
typedef struct {
    char name[12], unit[12], org[12], closing[12];
} rv_heard;
RV_MUST_USE rv_err rv_store_latest_review(rv_store *s, const char *ext, const char *sha256,
                                          const char *const sought[3], rv_heard *out, int *found, rv_error *err);

/* Each unit's mailboxes, and how many of them have a current greeting that
 * is compliant, in unit order; a unit is its name whatever the case
 * (rv_unit_key), named as most of its mailboxes spell it. New *out (free()). */
typedef struct {
    char unit[192];
    char organisation[48], org_name[192]; /* its mailboxes' organisation ("" for none) */
    long mailboxes, compliant;
} rv_unit_share;
RV_MUST_USE rv_err rv_store_unit_shares(rv_store *s, rv_unit_share **out, size_t *n, rv_error *err);

/* The sweep's lists of mailboxes, ordered by unit, then ext; the unit
 * named as rv_store_unit_shares names it (so are the call-backs' and the
 * disposals'). */
typedef enum {
    RV_FINDING_MISSING,        /* no greeting, removed, or missing by analysis */
    RV_FINDING_NONCOMPLIANT,   /* there, not missing, found not compliant */
    RV_FINDING_STALE_ABSENCE,  /* an absence greeting that ended before the day */
    RV_FINDING_REVIEW          /* a person should listen: unsure verdicts, not reviewed yet */
} rv_finding_kind;

/* One mailbox of such a list; the strings live until fn returns. */
typedef struct {
    const char *ext, *name, *unit;  /* name: "first last" */
    long long greeting_id;          /* 0: the mailbox has never had a greeting */
    int removed;
    const char *missing_reason, *violations, *absence_until, *received_at, *profile; /* NULL when unset */
    const char *review;             /* "name,closing" or "" */
    const char *calendar;           /* its mailbox's organisation's ("SE", "AX"), or "" for none */
} rv_greeting_finding;

/* Call fn for each mailbox of the list kind (for RV_FINDING_STALE_ABSENCE,
 * absences that ended before date, "YYYY-MM-DD"). */
RV_MUST_USE rv_err rv_store_greeting_findings(rv_store *s, rv_finding_kind kind, const char *date,
                                              void (*fn)(void *user, const rv_greeting_finding *f), void *user,
                                              rv_error *err);

/* A voicemail that is owed a call-back: not called back, not disposed of,
 * not classified empty (one not analysed yet is owed one). The strings live
 * until fn returns. */
typedef struct {
    long long id;
    const char *ext, *received_at, *classification, *caller, *name, *unit, *profile; /* classification may be NULL */
    const char *calendar; /* its mailbox's organisation's ("SE", "AX"), or "" for none */
} rv_open_callback;

/* Call fn for each, in id order. */
RV_MUST_USE rv_err rv_store_open_callbacks(rv_store *s, void (*fn)(void *user, const rv_open_callback *v), void *user,
                                           rv_error *err);

/* An analysed voicemail whose audio is still kept, with what its retention
 * depends on. */
typedef struct {
    long long id;
    char ext[24], received_at[32], classification[32], sha256[RV_SHA256_HEX + 1];
    char profile[64];
    char unit[192]; /* as its mailbox's row writes it (rv_store_unit_spellings names it) */
    char decision[32]; /* the latest decision, or "" */
    char archived_at[32]; /* when the e-archive confirmed it took it, or "" */
    char calendar[4];     /* its mailbox's organisation's ("SE", "AX"), or "" for none */
    char gallringsbeslut[160]; /* the one its latest decision followed, or "" */
    char organisation[48];     /* its mailbox's organisation's id, or "" for none */
} rv_disposal_candidate;

/* fn(user, org, raw, spelled) for each unit name an organisation's
 * mailboxes write (org "": those of none): raw as a row has it, spelled as
 * the report names its unit (the way most of that organisation's mailboxes
 * of the unit spell it, rv_store_unit_shares' name). */
RV_MUST_USE rv_err rv_store_unit_spellings(rv_store *s,
                                           void (*fn)(void *user, const char *org, const char *raw,
                                                      const char *spelled),
                                           void *user, rv_error *err);

/* Up to cap of them with ids above after_id, in id order. */
RV_MUST_USE rv_err rv_store_disposal_candidates(rv_store *s, long long after_id, rv_disposal_candidate *out, size_t cap,
                                                size_t *n, rv_error *err);

/* A voicemail to dispose of, with the audit's detail. */
typedef struct {
    long long id;
    const char *ext, *sha256, *detail;
    int done;           /* out: disposed of by this call (0: someone else had) */
    rv_err erase_rc;    /* out: its bytes could not be erased after the commit (RV_OK otherwise) */
    rv_error erase_err;
} rv_disposal;

/* Dispose of d[0..n) in one transaction: each is marked disposed of, gets
 * an audit row (actor, action "disposed"), and its audio's index entry is
 * dropped unless another voicemail or a greeting still points to the same
 * bytes, with a record of the bytes to erase; after the commit those bytes
 * are destroyed and synced, then the records dropped (what a crash leaves
 * recorded, rv_store_finish_erasures finishes). On error nothing is
 * disposed of and every done is 0. */
RV_MUST_USE rv_err rv_store_dispose(rv_store *s, rv_disposal *d, size_t n, const char *actor, const char *now_iso,
                                    rv_error *err);

/* ---- hand-over to the e-archive ---- */

/* What a voicemail's submission package says of it ("" when unknown). */
typedef struct {
    long long id;
    char ext[24], caller[40], received_at[32], content_type[64], sha256[RV_SHA256_HEX + 1];
    long long bytes;
    char classification[32], analysed_at[32], callback_at[32];
    char *report;                 /* the analysis (JSON), or NULL; malloc()ed */
    int disposed;                 /* its audio is gone */
    char objid[48], packaged_at[32], archived_at[32], archive_ref[256];
    char first_name[128], last_name[128], unit[192], org[192], profile[64];
    char decision[32], diarienummer[128], decision_note[1024], decided_by[96], decided_at[32]; /* the latest */
    char received_by[96];         /* the token that uploaded it */
    char arendemening[320], sekretess[128]; /* the latest decision's, when registrera */
    char creator_name[192], creator_id[64]; /* its organisation's archival creator ("": org alone) */
    char calendar[4];             /* its organisation's calendar ("SE", "AX"; "": none) */
} rv_vm_archive;

/* Voicemail id's facts for its package (free with rv_vm_archive_free). */
RV_MUST_USE rv_err rv_store_archive_info(rv_store *s, long long id, rv_vm_archive *v, rv_error *err);
void rv_vm_archive_free(rv_vm_archive *v);

/* The voicemails whose latest decision is "registrera", decided in [from, to)
 * (ISO times), in id order; *ids malloc()ed. */
RV_MUST_USE rv_err rv_store_registered_between(rv_store *s, const char *from, const char *to, long long **ids,
                                               size_t *n,
                                               rv_error *err);

/* A package was made: the voicemail keeps objid and packaged_at from the
 * first time; an event and an audit row record each time (one transaction). */
RV_MUST_USE rv_err rv_store_mark_packaged(rv_store *s, long long id, const char *objid, const char *now_iso,
                                          const char *actor,
                                          const char *remote, rv_error *err);

/* The e-archive confirmed it took voicemail id under reference: from then
 * on the profile's retention_archived_days applies to rostvakt's copy.
 * RV_ERR_CONFLICT unless it is registered and was packaged. */
RV_MUST_USE rv_err rv_store_mark_archived(rv_store *s, long long id, const char *reference, const char *now_iso,
                                          const char *actor, const char *remote, rv_error *err);

/* ---- units and the sweep's mail ---- */

/* A unit's name as units are compared and grouped: Unicode lower case
 * (so "Socialtjänsten", "SOCIALTJÄNSTEN" and "socialtjänsten" are one
 * unit), as PostgreSQL's ICU gives it (ß stays ß), NFC, and final sigma
 * as sigma. New string (free()); NULL when out of memory. A name that
 * is not UTF-8 is its own key. Thread-safe. */
char *rv_unit_key(const char *unit);

/* A unit is an organisation's: its managers are of that organisation's
 * mailboxes of the unit's name alone. A unit of organisation "" is of
 * every organisation's mailboxes of its name (an installation of one
 * authority, or one made before organisations). */

/* Unit name of organisation org's ("" : every one's) managers' addresses
 * (comma-separated, checked by the caller); *created 1 when the unit was
 * new. A unit is its name whatever the case of its letters (rv_unit_key);
 * its first spelling is kept. */
RV_MUST_USE rv_err rv_store_put_unit(rv_store *s, const char *org, const char *name, const char *managers,
                                     const char *now_iso,
                                     int *created, rv_error *err);

/* How many mailboxes unit name of org has (whatever the case, rv_unit_key) into *n. */
RV_MUST_USE rv_err rv_store_unit_mailboxes(rv_store *s, const char *org, const char *name, long *n, rv_error *err);

/* Call fn for each unit with managers, by organisation and the order of
 * rv_unit_key, named as most of its mailboxes spell it (of equal counts,
 * the spelling the directory had first), or as it was first put when no
 * mailbox has it; org "" for a unit of every organisation. */
RV_MUST_USE rv_err rv_store_units(rv_store *s, void (*fn)(void *user, const char *org, const char *name,
                                  const char *managers),
                                  void *user, rv_error *err);

/* Call fn for every unit: each one a mailbox of an organisation has and
 * each one put, named as rv_store_units names them, with its organisation
 * ("" : none, or every one for a unit put so), its managers ("" when none)
 * and how many mailboxes it has. */
RV_MUST_USE rv_err rv_store_all_units(rv_store *s,
                                      void (*fn)(void *user, const char *org, const char *name, const char *managers,
                                                 long mailboxes),
                                      void *user, rv_error *err);

/* Keep a mail until it is sent: one per (date, key), so that a sweep run
 * again on a day adds nothing (*added 0). */
RV_MUST_USE rv_err rv_store_outbox_add(rv_store *s, const char *date, const char *key, const char *recipients,
                                       const char *subject, const char *message, size_t len, const char *now_iso,
                                       int *added,
                                       rv_error *err);

typedef struct {
    long long id;
    char *recipients, *subject, *message; /* malloc()ed */
    size_t len;
    int tries;
} rv_outbox_mail;

/* The mails not sent yet, oldest first (free with rv_outbox_free). */
RV_MUST_USE rv_err rv_store_outbox_unsent(rv_store *s, rv_outbox_mail **out, size_t *n, rv_error *err);
void rv_outbox_free(rv_outbox_mail *m, size_t n);

/* A try of mail id: sent (error NULL), or why not. */
RV_MUST_USE rv_err rv_store_outbox_result(rv_store *s, long long id, const char *error, const char *now_iso,
                                          rv_error *err);

/* The same for the unsent mail of key (whatever its date). */
RV_MUST_USE rv_err rv_store_outbox_sent(rv_store *s, const char *key, const char *error, const char *now_iso,
                                        rv_error *err);

/* Mails not sent yet; -1 on a database error. */
long rv_store_outbox_pending(rv_store *s);

/* How long a statement waits for another connection's write lock before
 * it fails with RV_ERR_BUSY (5000 ms from rv_store_open). */
void rv_store_busy_timeout(rv_store *s, int ms);

/* One transaction around several calls (none of which may begin its own,
 * e.g. rv_store_add_decision and rv_store_audit): rv_store_end commits when
 * rc is RV_OK, else rolls back, and returns rc or the commit's error. */
RV_MUST_USE rv_err rv_store_begin(rv_store *s, rv_error *err);
RV_MUST_USE rv_err rv_store_end(rv_store *s, rv_err rc, rv_error *err);

/* A sweep's JSON report (not a dry run's), kept for the web app. */
RV_MUST_USE rv_err rv_store_add_sweep(rv_store *s, const char *date, const char *now_iso, const char *report_json,
                                      rv_error *err);
/* A kept sweep: its strings live in texts. */
typedef struct {
    long long id;
    const char *date, *created_at;
    const char *report; /* its JSON */
    char *texts;
} rv_sweep_row;
/* The latest limit sweeps, newest day first, or with id only that one,
 * into a new array (*out, rv_sweeps_free) of *n. */
RV_MUST_USE rv_err rv_store_list_sweeps(rv_store *s, int limit, long long id, rv_sweep_row **out, size_t *n,
                                        rv_error *err);
void rv_sweeps_free(rv_sweep_row *v, size_t n);
/* ---- what the nodes sharing the database share ---- */

/* A web app session as the database keeps it: the SHA-256 of its id (the
 * id itself is the cookie's alone), the key of the token it was made from
 * (hex), who and what that token was at sign-in (for the operator; each
 * request asks the tokens file again), its CSRF token, and times in
 * milliseconds since the epoch. */
typedef struct {
    char id_sha256[RV_SHA256_HEX + 1], token_key[RV_SHA256_HEX + 1];
    char name[72], role[16], organisations[256], csrf[72];
    long long used_ms, idle_until_ms, created_ms; /* created_ms: read, not written (it is used_ms then) */
} rv_session_row;

/* Add session r in one transaction: sessions idle past r->used_ms are
 * dropped first; then, when r's token has per_token sessions, the one of
 * them idle longest ends, else when the table holds max, the one idle
 * longest of all. */
RV_MUST_USE rv_err rv_store_session_add(rv_store *s, const rv_session_row *r, long per_token, long max, rv_error *err);
/* The session whose id has the SHA-256 id_sha256, unless idle past now_ms,
 * into *r; RV_ERR_NOT_FOUND when there is none (an expired one is deleted).
 * A session last marked used touch_ms or longer ago is marked used now
 * (idle_until_ms = now_ms + idle_ms): a write at most every touch_ms. */
RV_MUST_USE rv_err rv_store_session_get(rv_store *s, const char *id_sha256, long long now_ms, long long idle_ms,
                                        long long touch_ms, rv_session_row *r, rv_error *err);
/* End the session (none: RV_OK). */
RV_MUST_USE rv_err rv_store_session_end(rv_store *s, const char *id_sha256, rv_error *err);
/* The number of sessions (-1: a database error). */
long long rv_store_session_count(rv_store *s);

/* The secret named name every node shares (hex): the one in the store, or
 * candidate, kept now, when there is none. */
RV_MUST_USE rv_err rv_store_shared_secret(rv_store *s, const char *name, const char *candidate, char *out, size_t cap,
                                          rv_error *err);

/* Record that the token with key token_key (hex) named name is revoked,
 * and end its sessions, in one transaction (a key revoked again: RV_OK). */
RV_MUST_USE rv_err rv_store_revoke_token(rv_store *s, const char *token_key, const char *name, const char *now_iso,
                                         rv_error *err);
/* fn(user, token_key) for each revocation recorded after the one numbered
 * after (0: every one), in order; *last the number of the last one (after
 * when there is none). */
RV_MUST_USE rv_err rv_store_revocations(rv_store *s, long long after, void (*fn)(void *user, const char *token_key),
                                        void *user, long long *last, rv_error *err);

/* The nightly sweep runs once a date, whichever nodes start it: a run row
 * a date (its calendar day, YYYY-MM-DD). Claim date's run for by (a
 * process, rv_node_name) at now_ms: *got 1 when there was none, or when
 * the one there has not finished and either started before
 * stale_before_ms or names a process gone(by) says is gone (NULL: none
 * is); else 0 (done, or running elsewhere). One transaction. */
RV_MUST_USE rv_err rv_store_sweep_claim(rv_store *s, const char *date, const char *by, long long now_ms,
                                        long long stale_before_ms,
                                        int (*gone)(const char *by), int *got, rv_error *err);
/* By's run of date is over: done (ok 1) at now_ms, or failed (ok 0): its
 * row goes, so that the date can be swept again. */
RV_MUST_USE rv_err rv_store_sweep_over(rv_store *s, const char *date, const char *by, int ok, long long now_ms,
                                       rv_error *err);
/* A sweep asked for over HTTP holds date's run while it runs: claimed as
 * rv_store_sweep_claim does, or, when the date's run is done, taken back
 * (*was_done 1: rv_store_sweep_over with ok 1 marks it done again; else
 * ok 0 gives the date back to the nightly run). *got 0: a run of date is
 * going on elsewhere. */
RV_MUST_USE rv_err rv_store_sweep_hold(rv_store *s, const char *date, const char *by, long long now_ms,
                                       long long stale_before_ms,
                                       int (*gone)(const char *by), int *got, int *was_done, rv_error *err);
/* Date's run: *state 0 none, 1 running, 2 done. */
RV_MUST_USE rv_err rv_store_sweep_state(rv_store *s, const char *date, int *state, rv_error *err);

/* ---- organisations: the authorities one installation serves ---- */

typedef struct {
    char id[48], name[192], orgnr[16], calendar[4], time_zone[32], profile[64];
    char diarienummer_pattern[160], gallringsbeslut[160], gallring_covers[32];
    char creator_name[192], creator_id[64]; /* the archival creator of its packages */
    char mail_from[256], officers[1024];    /* officers: "a@x,b@y" */
} rv_org;

/* Create or replace organisation o; *created is 1 when it was new; the
 * audit row ("organisation_created"/"_updated") by actor in the same
 * transaction. */
RV_MUST_USE rv_err rv_store_put_org(rv_store *s, const rv_org *o, const char *now_iso, const char *actor,
                                    const char *remote,
                                    int *created, rv_error *err);
/* Organisation id into *out; RV_ERR_NOT_FOUND. */
RV_MUST_USE rv_err rv_store_get_org(rv_store *s, const char *id, rv_org *out, rv_error *err);
/* Every organisation the scope's orgs hold, by id, into a new array (*out,
 * free()) of *n. */
RV_MUST_USE rv_err rv_store_list_orgs(rv_store *s, const char *orgs, rv_org **out, size_t *n, rv_error *err);
/* Whose a mailbox (ext) or a voicemail (id, ext "") is: 1 with its
 * organisation ("" for none) and whether the scope sees it (*seen), 0 when
 * there is no such thing, -1 on a database error (err). */
int rv_store_whose(rv_store *s, const char *ext, long long id, const rv_scope *scope, char org[48], int *seen,
                   rv_error *err);
/* Organisations a migration made have no calendar yet: each takes its
 * profile's, as calendar_of(user, profile, cal) says it (0: no such
 * profile; then SE), with the calendar's time zone. *settled counts them. */
RV_MUST_USE rv_err rv_store_settle_calendars(rv_store *s, int (*calendar_of)(void *user, const char *profile,
                                             char cal[4]),
                                             void *user, int *settled, rv_error *err);
/* fn(user, ext, organisation id) for each mailbox that names one. */
RV_MUST_USE rv_err rv_store_mailbox_orgs(rv_store *s, void (*fn)(void *user, const char *ext, const char *org),
                                         void *user,
                                         rv_error *err);
/* fn(user, ext, its organisation ("" for none), rv_unit_key of its unit)
 * for each mailbox the scope sees. */
RV_MUST_USE rv_err rv_store_scope_mailboxes(rv_store *s, const rv_scope *scope,
                                            void (*fn)(void *user, const char *ext, const char *org,
                                            const char *unit_key),
                                            void *user, rv_error *err);
/* The number of voicemails mailbox ext holds (-1: a database error). */
long long rv_store_mailbox_voicemails(rv_store *s, const char *ext);

#endif
