/* One archive copied into another (`rostvakt migrate`), SQLite or
 * PostgreSQL at either end, through the store's statement interface: each
 * table in key order in batches, each batch committed in the target with
 * the last key it copied (the table rv_migration), so that a run killed at
 * any point continues where it stopped; then both archives compared. The
 * statements are in the words both backends accept; the catalogs, asked
 * for the columns, are each backend's own. */
#include "migrate.h"
#include "store_int.h"

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BATCH 1000      /* rows a transaction */
#define AUDIO_BATCH 32  /* recordings a transaction */
#define MAX_COLS 32     /* values a statement binds (store_pg.c's limit) */
#define SAY_EVERY 20000 /* rows between two lines of progress */

typedef enum { C_TEXT, C_INT, C_BLOB } ctype;

typedef struct {
    char name[64];
    ctype t;
} column;

/* The tables copied, in an order that puts each row after those it refers
 * to. deferred: a column copied after the others (mailboxes name their
 * current greeting, greetings their mailbox). */
typedef struct {
    const char *name;
    const char *key[2];
    int nkey;
    const char *deferred;
} table;

static const table tables[] = {
    {"organisations", {"id"}, 1, NULL},
    {"mailboxes", {"ext"}, 1, "greeting_id"},
    {"greetings", {"id"}, 1, NULL},
    {"voicemails", {"id"}, 1, NULL},
    {"decisions", {"id"}, 1, NULL},
    {"audit", {"id"}, 1, NULL},
    {"reviews", {"id"}, 1, NULL},
    {"sweeps", {"id"}, 1, NULL},
    {"voicemail_events", {"id"}, 1, NULL},
    {"units", {"organisation", "name"}, 2, NULL},
    {"mail_outbox", {"id"}, 1, NULL},
    {"voicemail_callers", {"suffix", "voicemail_id"}, 2, NULL},
    {"sessions", {"seq"}, 1, NULL},
    {"revoked_tokens", {"seq"}, 1, NULL},
    {"analysis_jobs", {"voicemail_id"}, 1, NULL},
    {"sweep_runs", {"date"}, 1, NULL},
    {"shared_secrets", {"name"}, 1, NULL},
};
#define N_TABLES ((int)(sizeof tables / sizeof tables[0]))
/* Tables a newer schema added that tables[] does not name yet: copied
 * after those, in the order of their names, by their primary key. */
#define MAX_EXTRA 32

/* Tables of the archive that are not copied as rows: the audio (each
 * recording is copied as itself, into the target's own kind of storage),
 * SQLite's erasures of its segments (the source's own pending work), the
 * schema's version and the copy's progress. */
static const char *const not_rows[] = {"audio", "audio_chunks", "erasures", "rv_schema", "rv_migration", NULL};

/* The recordings of schema 4 and older: files named by rows, not indexed. */
#define LEGACY_FROM                                                                                               \
    "(SELECT h FROM (SELECT audio_sha256 AS h FROM voicemails UNION SELECT audio_sha256 AS h FROM greetings"     \
    " UNION SELECT name_audio_sha256 AS h FROM mailboxes) AS named WHERE h IS NOT NULL"                          \
    " AND h NOT IN (SELECT sha256 FROM audio)) AS legacy"

typedef struct {
    const rv_migrate_opts *o;
    rv_store *src, *dst;
    char source_id[RV_SHA256_HEX + 1]; /* the SHA-256 of --from: a password in it is not kept */
    int ignore;                        /* INSERT OR IGNORE: into a target not empty */
    rv_migrate_result *res;
    table list[N_TABLES + MAX_EXTRA]; /* tables[], then those found in --from that it lacks */
    int n_list;
    struct {
        char name[64], key[2][64];
    } extra[MAX_EXTRA];
} run;

__attribute__((format(printf, 2, 3))) static void say(const run *r, const char *fmt, ...)
{
    if (!r->o->say) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    r->o->say(r->o->user, line);
}

/* ---- the ends ---- */

/* err's message from the store, which names the setting store, naming the
 * option instead. */
static rv_err name_option(rv_error *err, rv_err rc, const char *opt)
{
    char m[sizeof err->msg];
    const char *rest = strncmp(err->msg, "store: ", 7) == 0 ? err->msg + 7 : err->msg;
    snprintf(m, sizeof m, "%s", rest);
    return rv_error_set(err, rc, "%s: %s", opt, m);
}

/* The archive spec names, opened (and brought to this rostvakt's schema):
 * sqlite:DIR or PostgreSQL. work: a folder for a PostgreSQL end's store. */
static rv_err open_end(const char *spec, const char *opt, int must_exist, const rv_migrate_opts *o, const char *work,
                       rv_store **out, rv_error *err)
{
    *out = NULL;
    if (strncmp(spec, "sqlite:", 7) == 0) {
        const char *dir = spec + 7;
        char db[4200];
        struct stat sb;
        if (!*dir) return rv_error_set(err, RV_ERR_CONFIG, "%s: sqlite: needs the data directory (sqlite:DIR)", opt);
        snprintf(db, sizeof db, "%s/rostvakt.db", dir);
        if (must_exist && stat(db, &sb) != 0)
            return rv_error_set(err, RV_ERR_CONFIG, "%s: no archive at %s (no rostvakt.db there)", opt, dir);
        rv_err rc = rv_store_open(dir, out, err);
        return rc == RV_OK ? RV_OK : name_option(err, RV_ERR_CONFIG, opt);
    }
    if (!rv_pg_is_conninfo(spec))
        /* not echoed: it may hold a password */
        return rv_error_set(err, RV_ERR_CONFIG,
                            "%s: not a kind of archive rostvakt knows (sqlite:DIR, a postgresql:// URI or a libpq "
                            "connection string host=... dbname=...)",
                            opt);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/%s", work, opt + 2);
    rv_err rc = rv_store_connect(spec, o->allow_async_commit, dir, out, err);
    return rc == RV_OK ? RV_OK : name_option(err, RV_ERR_CONFIG, opt);
}

/* 1 when a and b name the same SQLite data directory, or are the same text. */
static int same_spec(const char *a, const char *b)
{
    if (strcmp(a, b) == 0) return 1;
    if (strncmp(a, "sqlite:", 7) != 0 || strncmp(b, "sqlite:", 7) != 0) return 0;
    char ra[PATH_MAX], rb[PATH_MAX];
    return realpath(a + 7, ra) && realpath(b + 7, rb) && strcmp(ra, rb) == 0;
}

/* ---- the catalogs ---- */

static ctype type_of(const char *declared)
{
    char t[64];
    size_t i = 0;
    for (; declared && declared[i] && i + 1 < sizeof t; i++)
        t[i] = (char)(declared[i] >= 'A' && declared[i] <= 'Z' ? declared[i] - 'A' + 'a' : declared[i]);
    t[i] = '\0';
    if (strstr(t, "int")) return C_INT;
    if (strstr(t, "blob") || strstr(t, "bytea")) return C_BLOB;
    return C_TEXT;
}

/* The columns of table tbl in s, rowid left out (SQLite's is not listed,
 * PostgreSQL's mailboxes have one as a column). */
static rv_err columns_of(rv_store *s, const char *tbl, column *c, int *n, rv_error *err)
{
    *n = 0;
    const char *sql = s->pg ? "SELECT column_name, data_type FROM information_schema.columns"
                              " WHERE table_schema = current_schema() AND table_name = ?1 ORDER BY ordinal_position"
                            : "SELECT name, type FROM pragma_table_info(?1) ORDER BY cid";
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q, sql, V_ARGS(V_TEXT(tbl)), "cannot read the tables' columns", err);
    if (rc != RV_OK) return rc;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) {
        const char *name = rv_sql_text(q, 0);
        if (!name || strcmp(name, "rowid") == 0) continue;
        if (*n == MAX_COLS - 1 || strlen(name) >= sizeof c->name) {
            rc = rv_error_set(err, RV_ERR_INTERNAL, "table %s has more columns than migrate can copy", tbl);
            break;
        }
        snprintf(c[*n].name, sizeof c[*n].name, "%s", name);
        c[*n].t = type_of(rv_sql_text(q, 1));
        ++*n;
    }
    if (r < 0) rc = err->code;
    rv_sql_done(q);
    return rc;
}

/* The primary key of table name in s (at most two columns) into key. */
static rv_err primary_key(rv_store *s, const char *name, char key[2][64], int *n, rv_error *err)
{
    const char *sql = s->pg ? "SELECT k.column_name FROM information_schema.table_constraints c"
                              " JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name"
                              " AND k.table_schema = c.table_schema AND k.table_name = c.table_name"
                              " WHERE c.table_schema = current_schema() AND c.table_name = ?1"
                              " AND c.constraint_type = 'PRIMARY KEY' ORDER BY k.ordinal_position"
                            : "SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk";
    rv_sql *q;
    *n = 0;
    rv_err rc = rv_sql_prepare(s, &q, sql, V_ARGS(V_TEXT(name)), "cannot read the tables' keys", err);
    if (rc != RV_OK) return rc;
    int st;
    while (rc == RV_OK && (st = rv_sql_step(q, err)) == 1) {
        if (*n == 2) rc = rv_error_set(err, RV_ERR_INTERNAL, "table %s: a key of more than two columns", name);
        else rv_sql_copy(q, 0, key[(*n)++], 64);
    }
    if (rc == RV_OK && st < 0) rc = err->code;
    rv_sql_done(q);
    if (rc == RV_OK && !*n) rc = rv_error_set(err, RV_ERR_INTERNAL, "table %s has no primary key to copy it by", name);
    return rc;
}

/* 1 when name is a table of r->list or one not copied as rows. */
static int listed(const run *r, const char *name)
{
    if (strncmp(name, "sqlite_", 7) == 0) return 1;
    for (int i = 0; i < r->n_list; i++)
        if (strcmp(r->list[i].name, name) == 0) return 1;
    for (int i = 0; not_rows[i]; i++)
        if (strcmp(not_rows[i], name) == 0) return 1;
    return 0;
}

/* The tables to copy into r->list: tables[], then each other table of
 * --from; --to must have no table --from lacks. */
static rv_err find_tables(run *r, rv_error *err)
{
    r->n_list = N_TABLES;
    memcpy(r->list, tables, sizeof tables);
    rv_err rc = RV_OK;
    for (int side = 0; side < 2 && rc == RV_OK; side++) {
        rv_store *s = side ? r->dst : r->src;
        const char *sql = s->pg ? "SELECT table_name FROM information_schema.tables"
                                  " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
                                : "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1";
        rv_sql *q;
        rc = rv_sql_prepare(s, &q, sql, V_NONE, "cannot read the tables", err);
        if (rc != RV_OK) break;
        int st;
        while (rc == RV_OK && (st = rv_sql_step(q, err)) == 1) {
            const char *name = rv_sql_text(q, 0);
            if (!name || listed(r, name)) continue;
            int k = r->n_list - N_TABLES, nkey;
            if (side)
                rc = rv_error_set(err, RV_ERR_INTERNAL, "--to has a table --from has not (%s)", name);
            else if (k == MAX_EXTRA || strlen(name) >= sizeof r->extra[k].name)
                rc = rv_error_set(err, RV_ERR_INTERNAL, "--from has more tables than migrate can copy");
            else if ((rc = primary_key(s, name, r->extra[k].key, &nkey, err)) == RV_OK) {
                snprintf(r->extra[k].name, sizeof r->extra[k].name, "%s", name);
                r->list[r->n_list++] = (table){r->extra[k].name, {r->extra[k].key[0], r->extra[k].key[1]}, nkey, NULL};
            }
        }
        if (rc == RV_OK && st < 0) rc = err->code;
        rv_sql_done(q);
    }
    return rc;
}

/* The columns copied of t: the target's, which the source must have too;
 * mailboxes' rowid first (the order they were first stored in). */
static rv_err copied_columns(run *r, const table *t, column *c, int *n, rv_error *err)
{
    column sc[MAX_COLS];
    int ns;
    int extra = strcmp(t->name, "mailboxes") == 0;
    rv_err rc = columns_of(r->dst, t->name, c + extra, n, err);
    if (rc == RV_OK) rc = columns_of(r->src, t->name, sc, &ns, err);
    if (rc != RV_OK) return rc;
    int same = ns == *n;
    for (int i = 0; same && i < ns; i++) {
        int found = 0;
        for (int j = 0; j < *n && !found; j++) found = strcmp(sc[i].name, c[extra + j].name) == 0;
        same = found;
    }
    if (!same || !*n)
        return rv_error_set(err, RV_ERR_INTERNAL, "table %s has other columns in --from than in --to", t->name);
    if (extra) {
        snprintf(c[0].name, sizeof c[0].name, "rowid");
        c[0].t = C_INT;
        ++*n;
    }
    return RV_OK;
}

/* ---- scanning a table in key order ---- */

typedef struct {
    int set;
    char *k[2]; /* the last key read, as text */
} keypos;

static void keypos_free(keypos *p)
{
    free(p->k[0]);
    free(p->k[1]);
    memset(p, 0, sizeof *p);
}

static rv_err keypos_set(keypos *p, int i, const char *v, rv_error *err)
{
    char *c = strdup(v ? v : "");
    if (!c) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    free(p->k[i]);
    p->k[i] = c;
    p->set = 1;
    return RV_OK;
}

typedef struct {
    const char *from;   /* a table, or a subquery with its alias */
    const char *select; /* the columns read after the key's */
    const char *where;  /* a condition, or NULL */
    const char *key[2];
    ctype ktype[2];
    int nkey;
    int batch;
} scan_spec;

/* Called for each row (the key's columns first) and after each batch (n:
 * its rows, pos: the last key read). 0, or -1 with err set. */
typedef int (*row_fn)(void *u, rv_sql *q, rv_error *err);
typedef int (*batch_fn)(void *u, const keypos *pos, long long n, rv_error *err);

static rv_sqlv key_value(const scan_spec *sp, const keypos *pos, int i)
{
    return sp->ktype[i] == C_INT ? V_INT(strtoll(pos->k[i], NULL, 10)) : V_TEXT(pos->k[i]);
}

/* The rows of sp in s after pos (from the first when pos is not set), in
 * key order, BATCH at a time; pos is moved on. */
static rv_err scan(rv_store *s, const scan_spec *sp, keypos *pos, row_fn row, batch_fn batch, void *u, rv_error *err)
{
    char keys[256], after[300], *first = NULL, *next = NULL;
    if (sp->nkey == 2) {
        snprintf(keys, sizeof keys, "%s, %s", sp->key[0], sp->key[1]);
        snprintf(after, sizeof after, "(%s, %s) > (?2, ?3)", sp->key[0], sp->key[1]);
    } else {
        snprintf(keys, sizeof keys, "%s", sp->key[0]);
        snprintf(after, sizeof after, "%s > ?2", sp->key[0]);
    }
    const char *w = sp->where ? sp->where : "";
    const char *wa = sp->where ? " AND " : "";
    if (asprintf(&first, "SELECT %s%s%s FROM %s%s%s ORDER BY %s LIMIT ?1", keys, *sp->select ? ", " : "", sp->select,
                 sp->from, *w ? " WHERE " : "", w, keys) < 0)
        first = NULL;
    if (asprintf(&next, "SELECT %s%s%s FROM %s WHERE %s%s%s ORDER BY %s LIMIT ?1", keys, *sp->select ? ", " : "",
                 sp->select, sp->from, w, wa, after, keys) < 0)
        next = NULL;
    rv_err rc = first && next ? RV_OK : rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    keypos bound = {0}; /* the values the statement is bound to, kept while it reads (pos moves on) */
    while (rc == RV_OK) {
        rv_sql *q;
        if (pos->set) {
            keypos_free(&bound);
            for (int i = 0; rc == RV_OK && i < sp->nkey; i++) rc = keypos_set(&bound, i, pos->k[i], err);
            if (rc != RV_OK) break;
            rv_sqlv v[3] = {V_INT(sp->batch), key_value(sp, &bound, 0),
                            sp->nkey == 2 ? key_value(sp, &bound, 1) : V_NULL};
            rc = rv_sql_prepare(s, &q, next, v, 1 + sp->nkey, "cannot read --from", err);
        } else
            rc = rv_sql_prepare(s, &q, first, V_ARGS(V_INT(sp->batch)), "cannot read --from", err);
        if (rc != RV_OK) break;
        long long n = 0;
        int st;
        while (rc == RV_OK && (st = rv_sql_step(q, err)) == 1) {
            for (int i = 0; rc == RV_OK && i < sp->nkey; i++) rc = keypos_set(pos, i, rv_sql_text(q, i), err);
            if (rc == RV_OK && row(u, q, err) != 0) rc = err->code;
            n++;
        }
        if (rc == RV_OK && st < 0) rc = err->code;
        rv_sql_done(q);
        if (rc == RV_OK && batch && batch(u, pos, n, err) != 0) rc = err->code;
        if (n < sp->batch) break;
    }
    keypos_free(&bound);
    free(first);
    free(next);
    return rc;
}

/* The SELECT list of columns c[0..n). */
static char *column_list(const column *c, int n, const char *prefix)
{
    size_t cap = 16;
    for (int i = 0; i < n; i++) cap += strlen(c[i].name) + strlen(prefix) + 2;
    char *s = malloc(cap);
    if (!s) return NULL;
    s[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i) strcat(s, ", ");
        strcat(s, prefix);
        strcat(s, c[i].name);
    }
    return s;
}

/* ---- progress, in the target ---- */

static rv_err progress_read(run *r, const char *tbl, keypos *pos, int *done, rv_error *err)
{
    *done = 0;
    rv_sql *q;
    rv_err rc = rv_sql_prepare(r->dst, &q, "SELECT k1, k2, done FROM rv_migration WHERE source = ?1 AND tbl = ?2",
                               V_ARGS(V_TEXT(r->source_id), V_TEXT(tbl)), "cannot read the copy's progress", err);
    if (rc != RV_OK) return rc;
    int st = rv_sql_step(q, err);
    if (st == 1) {
        *done = (int)rv_sql_int(q, 2);
        for (int i = 0; rc == RV_OK && i < 2; i++)
            if (!rv_sql_null(q, i)) rc = keypos_set(pos, i, rv_sql_text(q, i), err);
    } else if (st < 0)
        rc = err->code;
    rv_sql_done(q);
    if (rc == RV_OK && st == 0)
        rc = rv_sql_exec(r->dst, "INSERT OR IGNORE INTO rv_migration (source, tbl, done) VALUES (?1, ?2, 0)",
                         V_ARGS(V_TEXT(r->source_id), V_TEXT(tbl)), "cannot write the copy's progress", err);
    return rc;
}

static rv_err progress_write(run *r, const char *tbl, const keypos *pos, int done, rv_error *err)
{
    if (done)
        return rv_sql_exec(r->dst, "UPDATE rv_migration SET done = 1 WHERE source = ?1 AND tbl = ?2",
                           V_ARGS(V_TEXT(r->source_id), V_TEXT(tbl)), "cannot write the copy's progress", err);
    return rv_sql_exec(r->dst, "UPDATE rv_migration SET k1 = ?3, k2 = ?4 WHERE source = ?1 AND tbl = ?2",
                       V_ARGS(V_TEXT(r->source_id), V_TEXT(tbl), V_TEXT(pos->k[0]), V_TEXT(pos->k[1])),
                       "cannot write the copy's progress", err);
}

/* ---- copying rows ---- */

/* Test hook, inert unless set: RV_TEST_MIGRATE_KILL=NAME:N in the
 * environment kills the process (SIGKILL) as it is about to copy the Nth
 * row of table NAME (NAME "recordings": the Nth recording) of this run,
 * inside the batch's transaction, so that the tests can interrupt a copy at
 * a chosen point. */
static void kill_point(const char *tbl, long long n)
{
    const char *v = getenv("RV_TEST_MIGRATE_KILL");
    const char *colon = v ? strrchr(v, ':') : NULL;
    if (colon && (size_t)(colon - v) == strlen(tbl) && strncmp(v, tbl, strlen(tbl)) == 0 && atoll(colon + 1) == n)
        kill(getpid(), SIGKILL);
}

typedef struct {
    run *r;
    const table *t;
    const char *tbl; /* the progress row's name */
    column *c;
    int n, nkey;
    rv_sql *ins;
    long long copied, total, said;
    /* rows held for one INSERT of several (each statement binds at most
     * MAX_COLS values): multi[m] inserts m rows; their values are copies */
    int per, held;
    char *multi[MAX_COLS + 1];
    rv_sqlv v[MAX_COLS];
    size_t off[MAX_COLS]; /* where v[i]'s bytes are in arena; SIZE_MAX: none */
    unsigned char *arena;
    size_t used, cap;
} copy_ctx;

/* The values of q's row (after its key columns) as c says, borrowed from q. */
static void row_values(rv_sql *q, int skip, const column *c, int n, const char *deferred, rv_sqlv *v)
{
    for (int i = 0; i < n; i++) {
        int j = skip + i;
        int null = rv_sql_null(q, j) || (deferred && strcmp(c[i].name, deferred) == 0);
        if (c[i].t == C_INT) v[i] = null ? V_NULL : V_INT(rv_sql_int(q, j));
        else if (c[i].t == C_BLOB) {
            size_t len = 0;
            const void *p = null ? NULL : rv_sql_blob(q, j, &len);
            v[i] = null ? V_NULL : V_BLOB(p ? p : "", len);
        } else
            v[i] = V_TEXT(null ? NULL : rv_sql_text(q, j));
    }
}

/* Insert the rows held, one statement. 0, or -1 with err set. */
static int flush(copy_ctx *x, rv_error *err)
{
    if (!x->held) return 0;
    int nv = x->held * x->n;
    for (int i = 0; i < nv; i++)
        if (x->off[i] != SIZE_MAX) x->v[i].p = x->arena + x->off[i];
    rv_err rc;
    if (x->held == 1) {
        rv_sql_rebind(x->ins, x->v, nv);
        rc = rv_sql_step(x->ins, err) < 0 ? err->code : RV_OK;
    } else
        rc = rv_sql_exec(x->r->dst, x->multi[x->held], x->v, nv, "cannot write --to", err);
    x->held = 0;
    x->used = 0;
    return rc == RV_OK ? 0 : -1;
}

/* Hold a copy of v (n values) for the next flush. */
static int hold(copy_ctx *x, const rv_sqlv *v, rv_error *err)
{
    for (int i = 0; i < x->n; i++) {
        int k = x->held * x->n + i;
        x->v[k] = v[i];
        x->off[k] = SIZE_MAX;
        size_t len = v[i].type == RV_SQL_TEXT && v[i].p ? strlen(v[i].p) + 1
                     : v[i].type == RV_SQL_BLOB       ? (size_t)v[i].i
                                                      : 0;
        if (v[i].type == RV_SQL_INT || v[i].type == RV_SQL_NULL || (v[i].type == RV_SQL_TEXT && !v[i].p)) continue;
        if (x->used + len + 1 > x->cap) {
            size_t nc = (x->used + len + 1) * 2;
            unsigned char *b = realloc(x->arena, nc);
            if (!b) {
                rv_error_set(err, RV_ERR_NOMEM, "out of memory");
                return -1;
            }
            x->arena = b;
            x->cap = nc;
        }
        if (len) memcpy(x->arena + x->used, v[i].p, len);
        x->off[k] = x->used;
        x->used += len;
    }
    x->held++;
    return 0;
}

static int copy_row(void *u, rv_sql *q, rv_error *err)
{
    copy_ctx *x = u;
    rv_store *d = x->r->dst;
    if (!rv_sql_in_tx(d) && rv_store_begin(d, err) != RV_OK) return -1;
    kill_point(x->tbl, x->copied + 1);
    rv_sqlv v[MAX_COLS];
    row_values(q, x->nkey, x->c, x->n, x->t ? x->t->deferred : NULL, v);
    if (hold(x, v, err) != 0) return -1;
    x->copied++;
    return x->held == x->per ? flush(x, err) : 0;
}

static int copy_batch(void *u, const keypos *pos, long long n, rv_error *err)
{
    copy_ctx *x = u;
    rv_store *d = x->r->dst;
    if (!n) return 0;
    rv_err rc = flush(x, err) == 0 ? progress_write(x->r, x->tbl, pos, 0, err) : err->code;
    if (rv_store_end(d, rc, err) != RV_OK) return -1;
    if (x->copied - x->said >= SAY_EVERY) {
        say(x->r, "migrate: %s: %lld of %lld rows", x->tbl, x->copied, x->total);
        x->said = x->copied;
    }
    return 0;
}

static void copy_ctx_free(copy_ctx *x)
{
    rv_sql_done(x->ins);
    for (int m = 0; m <= MAX_COLS; m++) free(x->multi[m]);
    free(x->arena);
}

static long long count_rows(rv_store *s, const char *from)
{
    char sql[400];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", from);
    return rv_sql_int1(s, sql, V_NONE);
}

static rv_err copy_table(run *r, const table *t, rv_error *err)
{
    column c[MAX_COLS];
    int n;
    keypos pos = {0};
    int done;
    char *cols = NULL, *ins_sql = NULL, *params = NULL;
    rv_err rc = copied_columns(r, t, c, &n, err);
    if (rc == RV_OK) rc = progress_read(r, t->name, &pos, &done, err);
    if (rc != RV_OK || done) goto done;
    cols = column_list(c, n, "");
    params = malloc((size_t)n * 5 + 1);
    if (!cols || !params) {
        rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        goto done;
    }
    params[0] = '\0';
    for (int i = 0; i < n; i++) sprintf(params + strlen(params), "%s?%d", i ? ", " : "", i + 1);
    if (asprintf(&ins_sql, "INSERT %sINTO %s (%s) VALUES (%s)", r->ignore ? "OR IGNORE " : "", t->name, cols,
                 params) < 0) {
        ins_sql = NULL;
        rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        goto done;
    }
    copy_ctx x = {.r = r, .t = t, .tbl = t->name, .c = c, .n = n, .nkey = t->nkey, .total = count_rows(r->src, t->name)};
    x.per = MAX_COLS / n < 16 ? MAX_COLS / n : 16;
    for (int m = 2; m <= x.per && rc == RV_OK; m++) {
        size_t cap = strlen(ins_sql) + (size_t)(m * n) * 8 + 16;
        char *sql = malloc(cap);
        if (!sql) {
            rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
            break;
        }
        size_t o = (size_t)snprintf(sql, cap, "INSERT %sINTO %s (%s) VALUES ", r->ignore ? "OR IGNORE " : "",
                                    t->name, cols);
        for (int k = 0; k < m * n; k++)
            o += (size_t)snprintf(sql + o, cap - o, "%s?%d%s", k % n == 0 ? (k ? ", (" : "(") : ", ", k + 1,
                                  k % n == n - 1 ? ")" : "");
        x.multi[m] = sql;
    }
    if (rc == RV_OK) rc = rv_sql_prepare(r->dst, &x.ins, ins_sql, V_NONE, "cannot write --to", err);
    if (rc != RV_OK) {
        copy_ctx_free(&x);
        goto done;
    }
    scan_spec sp = {.from = t->name, .select = cols, .key = {t->key[0], t->key[1]}, .nkey = t->nkey, .batch = BATCH};
    for (int k = 0; k < t->nkey; k++) {
        sp.ktype[k] = C_TEXT;
        for (int i = 0; i < n; i++)
            if (strcmp(c[i].name, t->key[k]) == 0) sp.ktype[k] = c[i].t;
    }
    if (pos.set) say(r, "migrate: %s: continuing after the rows copied before", t->name);
    rc = scan(r->src, &sp, &pos, copy_row, copy_batch, &x, err);
    copy_ctx_free(&x);
    if (rv_sql_in_tx(r->dst)) /* a batch cut short: rolled back, its error already in rc */
        rv_err_ignore(rv_store_end(r->dst, rc == RV_OK ? RV_ERR_INTERNAL : rc, NULL));
    if (rc == RV_OK) rc = progress_write(r, t->name, &pos, 1, err);
    if (rc == RV_OK) say(r, "migrate: %s: %lld rows copied (%lld in --from)", t->name, x.copied, x.total);
    r->res->rows += x.copied;
done:
    keypos_free(&pos);
    free(cols);
    free(params);
    free(ins_sql);
    return rc;
}

/* The deferred column of t, set on the rows copied without it. */
static rv_err copy_deferred(run *r, const table *t, rv_error *err)
{
    char tbl[96], where[96];
    snprintf(tbl, sizeof tbl, "%s.%s", t->name, t->deferred);
    snprintf(where, sizeof where, "%s IS NOT NULL", t->deferred);
    keypos pos = {0};
    int done;
    rv_err rc = progress_read(r, tbl, &pos, &done, err);
    char *upd = NULL;
    if (rc == RV_OK && !done &&
        asprintf(&upd, "UPDATE %s SET %s = ?1 WHERE %s = ?2 AND %s IS NULL", t->name, t->deferred, t->key[0],
                 t->deferred) < 0) {
        upd = NULL;
        rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    if (rc != RV_OK || done) goto done;
    /* the key of the row and the column; UPDATE's values: the column, the key */
    column c[2] = {{"", C_INT}, {"", C_TEXT}};
    copy_ctx x = {.r = r, .tbl = tbl, .c = c, .n = 2, .nkey = 0, .total = -1, .per = MAX_COLS / 2};
    /* several rows a statement: UPDATE ... FROM (VALUES (?1, ?2), ...), which both backends take */
    for (int m = 2; m <= x.per && rc == RV_OK; m++) {
        size_t cap = 300 + (size_t)m * 24;
        char *sql = malloc(cap);
        if (!sql) {
            rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
            break;
        }
        size_t o = (size_t)snprintf(sql, cap, "UPDATE %s SET %s = v.column1 FROM (VALUES ", t->name, t->deferred);
        for (int k = 0; k < m; k++) o += (size_t)snprintf(sql + o, cap - o, "%s(?%d, ?%d)", k ? ", " : "", 2 * k + 1, 2 * k + 2);
        snprintf(sql + o, cap - o, ") AS v WHERE %s.%s = v.column2 AND %s.%s IS NULL", t->name, t->key[0], t->name,
                 t->deferred);
        x.multi[m] = sql;
    }
    if (rc == RV_OK) rc = rv_sql_prepare(r->dst, &x.ins, upd, V_NONE, "cannot write --to", err);
    /* read as (key, column): the row's values bound as (column, key) by the
     * select list "column, key" after the key */
    scan_spec sp = {.from = t->name, .select = "", .where = where, .key = {t->key[0]}, .ktype = {C_TEXT}, .nkey = 1,
                    .batch = BATCH};
    char sel[96];
    snprintf(sel, sizeof sel, "%s, %s", t->deferred, t->key[0]);
    sp.select = sel;
    x.nkey = 1;
    if (rc == RV_OK) rc = scan(r->src, &sp, &pos, copy_row, copy_batch, &x, err);
    copy_ctx_free(&x);
    if (rv_sql_in_tx(r->dst)) /* a batch cut short: rolled back, its error already in rc */
        rv_err_ignore(rv_store_end(r->dst, rc == RV_OK ? RV_ERR_INTERNAL : rc, NULL));
    if (rc == RV_OK) rc = progress_write(r, tbl, &pos, 1, err);
    if (rc == RV_OK) say(r, "migrate: %s: %lld rows set", tbl, x.copied);
done:
    keypos_free(&pos);
    free(upd);
    return rc;
}

/* ---- copying recordings ---- */

typedef struct {
    run *r;
    const char *tbl;
    int legacy; /* a hash named by rows, which may be no recording (disposed of) */
    rv_audio_blob blob[AUDIO_BATCH];
    const rv_audio_blob *ptr[AUDIO_BATCH];
    int n;
    long long copied, bytes, said;
} audio_ctx;

static int audio_row(void *u, rv_sql *q, rv_error *err)
{
    audio_ctx *x = u;
    const char *hex = rv_sql_text(q, 0);
    unsigned char *bytes;
    size_t len;
    rv_error e;
    rv_err rc = rv_store_read_audio(x->r->src, hex ? hex : "", SIZE_MAX, &bytes, &len, &e);
    if (rc == RV_ERR_NOT_FOUND && x->legacy) return 0;
    if (rc != RV_OK) {
        rv_error_set(err, rc, "--from: recording %s: %s", hex ? hex : "?", e.msg);
        return -1;
    }
    kill_point("recordings", x->copied + x->n + 1);
    rc = rv_store_append_audio(x->r->dst, bytes, len, &x->blob[x->n], err);
    free(bytes);
    if (rc != RV_OK) return -1;
    x->ptr[x->n] = &x->blob[x->n];
    x->n++;
    x->bytes += (long long)len;
    return 0;
}

static int audio_batch(void *u, const keypos *pos, long long n, rv_error *err)
{
    audio_ctx *x = u;
    rv_store *d = x->r->dst;
    if (!n) return 0;
    rv_err rc = rv_store_sync_audio(d, x->ptr, (size_t)x->n, err);
    if (rc == RV_OK) rc = rv_store_begin(d, err);
    if (rc != RV_OK) return -1;
    for (int i = 0; rc == RV_OK && i < x->n; i++)
        if (rv_audio_index(d, &x->blob[i]) != 0) rc = rv_sql_error(d, err, "--to: cannot index a recording");
    if (rc == RV_OK) rc = progress_write(x->r, x->tbl, pos, 0, err);
    if (rv_store_end(d, rc, err) != RV_OK) return -1;
    x->copied += x->n;
    x->n = 0;
    if (x->copied - x->said >= 1000) {
        say(x->r, "migrate: recordings: %lld copied", x->copied);
        x->said = x->copied;
    }
    return 0;
}

static rv_err copy_audio(run *r, const char *tbl, int legacy, rv_error *err)
{
    keypos pos = {0};
    int done;
    rv_err rc = progress_read(r, tbl, &pos, &done, err);
    if (rc != RV_OK || done) {
        keypos_free(&pos);
        return rc;
    }
    audio_ctx *x = calloc(1, sizeof *x);
    if (!x) {
        keypos_free(&pos);
        return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    x->r = r;
    x->tbl = tbl;
    x->legacy = legacy;
    scan_spec sp = {.from = legacy ? LEGACY_FROM : "audio", .select = "", .key = {legacy ? "h" : "sha256"},
                    .ktype = {C_TEXT}, .nkey = 1, .batch = AUDIO_BATCH};
    rc = scan(r->src, &sp, &pos, audio_row, audio_batch, x, err);
    if (rc == RV_OK) rc = progress_write(r, tbl, &pos, 1, err);
    if (rc == RV_OK)
        say(r, "migrate: %s: %lld recordings copied (%lld bytes)", legacy ? "recordings named by rows" : "recordings",
            x->copied, x->bytes);
    free(x);
    keypos_free(&pos);
    return rc;
}

/* 1 when the SQLite archive s has recordings of schema 4 and older (in
 * audio/<aa>/): only then are the hashes rows name looked for as files. */
static int has_legacy_files(rv_store *s)
{
    if (s->pg) return 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/audio", s->dir);
    DIR *d = opendir(path);
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d)))
        found = strlen(e->d_name) == 2 && rv_hexn(e->d_name, 2);
    closedir(d);
    return found;
}

/* ---- PostgreSQL's sequences ---- */

/* Each generated id's sequence of the target set past the largest id
 * copied, so that the next row gets the next id. */
static rv_err set_sequences(run *r, rv_error *err)
{
    if (!r->dst->pg) return RV_OK; /* SQLite takes the largest id + 1 */
    rv_sql *q;
    rv_err rc = rv_sql_prepare(r->dst, &q,
                               "SELECT table_name, column_name FROM information_schema.columns"
                               " WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'",
                               V_NONE, "cannot read the sequences", err);
    if (rc != RV_OK) return rc;
    char (*sets)[400] = calloc(64, sizeof *sets);
    int n = 0, st;
    while (sets && (st = rv_sql_step(q, err)) == 1 && n < 64) {
        const char *t = rv_sql_text(q, 0), *c = rv_sql_text(q, 1);
        snprintf(sets[n++], sizeof sets[0],
                 "SELECT setval(pg_get_serial_sequence('%s', '%s'), (SELECT coalesce(max(%s), 0) + 1 FROM %s), false)",
                 t, c, c, t);
    }
    rv_sql_done(q);
    if (!sets) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    for (int i = 0; rc == RV_OK && i < n; i++) rc = rv_sql_exec(r->dst, sets[i], V_NONE, "cannot set a sequence", err);
    if (rc == RV_OK) say(r, "migrate: %d sequences of --to set past the ids copied", n);
    free(sets);
    return rc;
}

/* ---- verification ---- */

typedef struct {
    const column *c;
    int n, nkey;
    long long rows;
    uint64_t sum[4]; /* the rows' SHA-256s added up: the same whatever their order */
    unsigned char *buf;
    size_t cap;
} digest_ctx;

static int put(digest_ctx *x, size_t *o, const void *p, size_t n)
{
    if (*o + n > x->cap) {
        size_t nc = (*o + n) * 2 + 256;
        unsigned char *b = realloc(x->buf, nc);
        if (!b) return -1;
        x->buf = b;
        x->cap = nc;
    }
    memcpy(x->buf + *o, p, n);
    *o += n;
    return 0;
}

static int digest_row(void *u, rv_sql *q, rv_error *err)
{
    digest_ctx *x = u;
    size_t o = 0;
    int bad = 0;
    for (int i = 0; i < x->n && !bad; i++) {
        int j = x->nkey + i;
        char tag = rv_sql_null(q, j) ? 'N' : x->c[i].t == C_INT ? 'I' : x->c[i].t == C_BLOB ? 'B' : 'T';
        bad |= put(x, &o, &tag, 1);
        if (tag == 'I') {
            long long v = rv_sql_int(q, j);
            bad |= put(x, &o, &v, sizeof v);
        } else if (tag != 'N') {
            size_t len = 0;
            const void *p = tag == 'B' ? rv_sql_blob(q, j, &len) : rv_sql_text(q, j);
            if (tag == 'T') len = p ? strlen(p) : 0;
            unsigned long long l = len;
            bad |= put(x, &o, &l, sizeof l);
            if (len) bad |= put(x, &o, p, len);
        }
    }
    char hex[RV_SHA256_HEX + 1];
    int ok = 0;
    if (!bad) rv_audio_sha256(x->buf ? x->buf : (unsigned char *)"", o, hex, &ok);
    if (!ok) {
        rv_error_set(err, RV_ERR_NOMEM, "cannot digest a row");
        return -1;
    }
    for (int k = 0; k < 4; k++) {
        char part[17];
        memcpy(part, hex + 16 * k, 16);
        part[16] = '\0';
        x->sum[k] += strtoull(part, NULL, 16);
    }
    x->rows++;
    return 0;
}

static rv_err digest_table(rv_store *s, const table *t, const column *c, int n, const char *select, digest_ctx *x,
                           rv_error *err)
{
    memset(x, 0, sizeof *x);
    x->c = c;
    x->n = n;
    x->nkey = t->nkey;
    keypos pos = {0};
    scan_spec sp = {.from = t->name, .select = select, .key = {t->key[0], t->key[1]}, .nkey = t->nkey, .batch = BATCH};
    for (int k = 0; k < t->nkey; k++) {
        sp.ktype[k] = C_TEXT;
        for (int i = 0; i < n; i++)
            if (strcmp(c[i].name, t->key[k]) == 0) sp.ktype[k] = c[i].t;
    }
    rv_err rc = scan(s, &sp, &pos, digest_row, NULL, x, err);
    keypos_free(&pos);
    free(x->buf);
    x->buf = NULL;
    return rc;
}

static rv_err verify_tables(run *r, rv_error *err)
{
    say(r, "verify: %-20s %12s %12s  %s", "table", "rows --from", "rows --to", "values");
    rv_err rc = RV_OK;
    for (int i = 0; rc == RV_OK && i < r->n_list; i++) {
        const table *t = &r->list[i];
        column c[MAX_COLS];
        int n;
        rc = copied_columns(r, t, c, &n, err);
        char *cols = rc == RV_OK ? column_list(c, n, "") : NULL;
        if (rc == RV_OK && !cols) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        digest_ctx a, b;
        if (rc == RV_OK) rc = digest_table(r->src, t, c, n, cols, &a, err);
        if (rc == RV_OK) rc = digest_table(r->dst, t, c, n, cols, &b, err);
        free(cols);
        if (rc != RV_OK) break;
        long long ca = count_rows(r->src, t->name), cb = count_rows(r->dst, t->name);
        int equal = ca == cb && a.rows == ca && b.rows == cb && memcmp(a.sum, b.sum, sizeof a.sum) == 0;
        say(r, "verify: %-20s %12lld %12lld  %s", t->name, ca, cb, equal ? "equal" : "DIFFER");
        if (!equal) r->res->differences++;
        r->res->tables++;
    }
    return rc;
}

typedef struct {
    run *r;
    int legacy;
    long long n, equal, bytes;
} check_ctx;

static int check_recording(void *u, rv_sql *q, rv_error *err)
{
    check_ctx *x = u;
    const char *hex = rv_sql_text(q, 0);
    unsigned char *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    rv_error e;
    rv_err rc = rv_store_read_audio(x->r->src, hex ? hex : "", SIZE_MAX, &a, &la, &e);
    if (rc == RV_ERR_NOT_FOUND && x->legacy) return 0;
    if (rc != RV_OK) {
        rv_error_set(err, rc, "--from: recording %s: %s", hex ? hex : "?", e.msg);
        return -1;
    }
    x->n++;
    char ha[RV_SHA256_HEX + 1], hb[RV_SHA256_HEX + 1] = "";
    int oka = 0, okb = 0;
    rv_audio_sha256(a, la, ha, &oka);
    if (rv_store_read_audio(x->r->dst, hex, SIZE_MAX, &b, &lb, &e) == RV_OK) rv_audio_sha256(b, lb, hb, &okb);
    if (oka && okb && strcmp(ha, hex) == 0 && strcmp(ha, hb) == 0) {
        x->equal++;
        x->bytes += (long long)la;
    } else
        say(x->r, "verify: recording %s: %s", hex, okb ? "its SHA-256 differs in --to" : "missing in --to");
    free(a);
    free(b);
    return 0;
}

static rv_err verify_recordings(run *r, rv_error *err)
{
    check_ctx x = {.r = r};
    keypos pos = {0};
    scan_spec sp = {.from = "audio", .select = "", .key = {"sha256"}, .ktype = {C_TEXT}, .nkey = 1, .batch = BATCH};
    rv_err rc = scan(r->src, &sp, &pos, check_recording, NULL, &x, err);
    keypos_free(&pos);
    if (rc == RV_OK && has_legacy_files(r->src)) {
        x.legacy = 1;
        sp.from = LEGACY_FROM;
        sp.key[0] = "h";
        rc = scan(r->src, &sp, &pos, check_recording, NULL, &x, err);
        keypos_free(&pos);
    }
    if (rc != RV_OK) return rc;
    long long to = count_rows(r->dst, "audio");
    r->res->recordings = x.n;
    int equal = to == x.n && x.equal == x.n;
    say(r, "verify: %-20s %12lld %12lld  %s (%lld of them, %lld bytes)", "recordings", x.n, to,
        equal ? "every SHA-256 equal" : "DIFFER", x.equal, x.bytes);
    if (!equal) r->res->differences++;
    return RV_OK;
}

/* ---- the run ---- */

/* 1 when the target has rows in any table copied (or a recording). */
static int has_rows(const run *r, rv_store *s)
{
    char sql[160];
    for (int i = 0; i <= r->n_list; i++) {
        snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1) AS x",
                 i < r->n_list ? r->list[i].name : "audio");
        if (rv_sql_int1(s, sql, V_NONE) != 0) return 1;
    }
    return 0;
}

/* 1 when src and dst are one database (a row written in dst is seen in src). */
static int same_database(run *r, rv_error *err)
{
    unsigned char nonce[16];
    char hex[RV_SHA256_HEX + 1];
    int ok;
    snprintf((char *)nonce, sizeof nonce, "%p", (void *)&nonce);
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        if (fread(nonce, 1, sizeof nonce, f) != sizeof nonce) nonce[0] ^= 1;
        fclose(f);
    }
    rv_audio_sha256(nonce, sizeof nonce, hex, &ok);
    if (rv_sql_exec(r->dst, "INSERT INTO rv_migration (source, tbl, k1, done) VALUES ('', ?1, '', 0)",
                    V_ARGS(V_TEXT(hex)), "--to: cannot write", err) != RV_OK)
        return -1;
    int same = rv_sql_int1(r->src, "SELECT count(*) FROM rv_migration WHERE source = '' AND tbl = ?1",
                           V_ARGS(V_TEXT(hex))) > 0;
    /* a probe row left behind is dropped with the table at the end */
    rv_err_ignore(rv_sql_exec(r->dst, "DELETE FROM rv_migration WHERE source = '' AND tbl = ?1", V_ARGS(V_TEXT(hex)),
                              "", NULL));
    return same;
}

rv_err rv_migrate(const rv_migrate_opts *o, rv_migrate_result *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    run r = {.o = o, .res = out};
    if (!o->from || !*o->from) return rv_error_set(err, RV_ERR_CONFIG, "--from: the archive to copy is needed");
    if (!o->to || !*o->to) return rv_error_set(err, RV_ERR_CONFIG, "--to: the archive to copy into is needed");
    if (same_spec(o->from, o->to))
        return rv_error_set(err, RV_ERR_CONFIG, "--from and --to name the same archive: nothing to copy");
    rv_err rc = open_end(o->from, "--from", 1, o, o->work_dir, &r.src, err);
    if (rc == RV_OK) rc = open_end(o->to, "--to", 0, o, o->work_dir, &r.dst, err);
    int locked = 0;
    if (rc != RV_OK) goto done;
    int vs = rv_store_schema_version(r.src), vd = rv_store_schema_version(r.dst);
    if (vs != vd || vs != RV_STORE_SCHEMA_VERSION) {
        rc = rv_error_set(err, RV_ERR_CONFIG, "--from is at schema %d, --to at %d: both must be at %d", vs, vd,
                          RV_STORE_SCHEMA_VERSION);
        goto done;
    }
    say(&r, "migrate: --from and --to at schema %d", vs);
    if ((rc = find_tables(&r, err)) != RV_OK) goto done;
    rc = rv_sql_exec(r.dst,
                     "CREATE TABLE IF NOT EXISTS rv_migration (source TEXT NOT NULL, tbl TEXT NOT NULL, k1 TEXT, k2 TEXT,"
                     " done INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (source, tbl))",
                     V_NONE, "--to: cannot write the copy's progress", err);
    if (rc != RV_OK) goto done;
    int same = same_database(&r, err);
    if (same) {
        rc = same < 0 ? err->code
                      : rv_error_set(err, RV_ERR_CONFIG, "--from and --to name the same archive: nothing to copy");
        goto refused;
    }
    int ok;
    rv_audio_sha256(o->from, strlen(o->from), r.source_id, &ok);
    out->resumed = rv_sql_int1(r.dst, "SELECT count(*) FROM rv_migration WHERE source = ?1",
                               V_ARGS(V_TEXT(r.source_id))) > 0;
    if (!out->resumed && has_rows(&r, r.dst)) {
        if (!o->into_nonempty) {
            rc = rv_error_set(err, RV_ERR_CONFIG,
                              "--to: the archive there is not empty (it holds rows that are not a copy of --from "
                              "begun before); --into-nonempty copies into it all the same, keeping its rows");
            goto refused;
        }
        r.ignore = 1;
        say(&r, "migrate: --to is not empty: its rows are kept, rows of --from with the same keys are not copied");
    }
    if (out->resumed) {
        say(&r, "migrate: continuing the copy of --from begun before");
        r.ignore = rv_sql_int1(r.dst, "SELECT count(*) FROM rv_migration WHERE source = ?1 AND tbl = 'into-nonempty'",
                               V_ARGS(V_TEXT(r.source_id))) > 0;
    } else if (r.ignore &&
               (rc = rv_sql_exec(r.dst,
                                 "INSERT OR IGNORE INTO rv_migration (source, tbl, done) VALUES (?1, 'into-nonempty', 1)",
                                 V_ARGS(V_TEXT(r.source_id)), "--to: cannot write the copy's progress", err)) != RV_OK)
        goto done; /* a later run would not know its rows are to be kept */
    if (!r.dst->pg) rv_store_remove_leftovers(r.dst); /* audio an interrupted run appended */
    /* the source held still: a service writing to it waits, then answers 503 */
    if ((rc = rv_store_begin(r.src, err)) != RV_OK) {
        if (rc == RV_ERR_BUSY)
            rc = rv_error_set(err, RV_ERR_CONFIG, "--from: the archive is in use (a service is writing to it): "
                                                  "stop every node first");
        goto done;
    }
    locked = 1;
    for (int i = 0; rc == RV_OK && i < r.n_list; i++) {
        rc = copy_table(&r, &r.list[i], err);
        /* the deferred column once the rows it refers to are in */
        if (rc == RV_OK && i > 0 && r.list[i - 1].deferred) rc = copy_deferred(&r, &r.list[i - 1], err);
    }
    if (rc == RV_OK) rc = copy_audio(&r, "audio", 0, err);
    if (rc == RV_OK && has_legacy_files(r.src)) rc = copy_audio(&r, "audio.files", 1, err);
    if (rc == RV_OK) rc = set_sequences(&r, err);
    if (rc == RV_OK) rc = verify_tables(&r, err);
    if (rc == RV_OK) rc = verify_recordings(&r, err);
    if (rc == RV_OK && !out->differences)
        rc = rv_sql_exec(r.dst, "DROP TABLE rv_migration", V_NONE, "--to: cannot drop the copy's progress", err);
    goto done;
refused: /* the target as it was: no progress table left behind */
    if (rv_sql_int1(r.dst, "SELECT count(*) FROM rv_migration", V_NONE) == 0)
        rv_err_ignore(rv_sql_exec(r.dst, "DROP TABLE rv_migration", V_NONE, "", NULL)); /* the refusal is the error */
done:
    if (locked) rv_err_ignore(rv_store_end(r.src, RV_ERR_CONFLICT, NULL)); /* nothing written: rolled back */
    rv_store_close(r.src);
    rv_store_close(r.dst);
    return rc;
}
