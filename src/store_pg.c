/* The store's PostgreSQL backend and the only file that speaks to libpq:
 * the connection and its checks, the schema in PostgreSQL's words, and the
 * statement interface of store_int.h over it. The table files' SQL is
 * SQLite's; it is translated here once a text (?N to $N, INSERT OR IGNORE,
 * IS [NOT] ?N) and the SQLite functions it calls exist as PostgreSQL
 * functions of the schema. store_sqlite.c hands each call over here when
 * the store was opened on PostgreSQL. */
#include "store_int.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BYTEAOID 17
#define INT8OID 20
#define BOOLOID 16
#define TEXTOID 25

/* Writers take this transaction-scoped advisory lock at BEGIN: like
 * SQLite's BEGIN IMMEDIATE, one write transaction at a time, so the table
 * files' read-then-write steps keep SQLite's meaning on every node. */
#define WRITE_LOCK "SELECT pg_advisory_xact_lock(7419230017)"
#define MIGRATE_LOCK "SELECT pg_advisory_lock(7419230018)"
#define MIGRATE_UNLOCK "SELECT pg_advisory_unlock(7419230018)"

typedef struct {
    const char *key; /* the SQLite text's address */
    char *sqlite;    /* its copy (an address may be reused for other SQL) */
    char *pg;        /* the translation */
    int nparams;     /* the highest $N */
    int returns_id;  /* an INSERT given RETURNING id for rv_sql_last_id */
    int writes;      /* an INSERT, UPDATE or DELETE */
} translation;

#define KEPT 256

struct rv_pg {
    PGconn *c;
    pthread_mutex_t lock; /* of c and the translations */
    translation kept[KEPT];
    long long changes, last_id;
    int tx; /* rv_pg_begin's transaction is open (even if the connection is lost) */
    char state[6]; /* the SQLSTATE of the last statement that failed, "" after one that did not */
};

struct rv_pg_sql {
    rv_sql_head h;
    const char *what;
    char *own;             /* a translation not kept */
    const translation *t;
    rv_sqlv v[32];
    int n;
    PGresult *res;
    int row, done;
    unsigned char *bytes[8]; /* bytea columns of the row, decoded */
    size_t nbytes[8];
};
typedef struct rv_pg_sql pgq;

/* ---- errors ---- */

/* The PostgreSQL error of res (or of the connection when res is NULL) as
 * ours: a serialization failure, a deadlock, a lock not had in time or a
 * lost connection is RV_ERR_BUSY (try again), a full disk RV_ERR_FULL,
 * anything else RV_ERR_IO. */
static rv_err pg_error(rv_pg *pg, const PGresult *res, rv_error *err, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : pg->state[0] ? pg->state : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(pg->c);
    rv_err e = RV_ERR_IO;
    if (PQstatus(pg->c) != CONNECTION_OK) e = RV_ERR_BUSY;
    else if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0 ||
                       strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 || strcmp(state, "57014") == 0))
        e = RV_ERR_BUSY;
    else if (state && strcmp(state, "53100") == 0)
        e = RV_ERR_FULL;
    char one[200];
    snprintf(one, sizeof one, "%s", msg && *msg ? msg : "no answer from the database");
    one[strcspn(one, "\n")] = '\0';
    return rv_error_set(err, e, "%s: %s", what, one);
}

rv_err rv_pg_error(rv_store *s, rv_error *err, const char *what) { return pg_error(s->pg, NULL, err, what); }

/* ---- translation ---- */

static int word_at(const char *p, const char *w)
{
    size_t n = strlen(w);
    return strncasecmp(p, w, n) == 0;
}

/* The tables whose rows have a generated id (rv_sql_last_id). */
static int table_has_id(const char *name, size_t n)
{
    static const char *const ids[] = {"greetings", "voicemails", "decisions", "audit",        "reviews",
                                      "sweeps",    "mail_outbox", "erasures", "voicemail_events"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (strlen(ids[i]) == n && strncmp(ids[i], name, n) == 0) return 1;
    return 0;
}

/* SQLite's text in PostgreSQL's words: ?N as $N, "IS NOT ?N" and "IS ?N" as
 * IS [NOT] DISTINCT FROM, INSERT OR IGNORE as ON CONFLICT DO NOTHING, and an
 * INSERT into a table with ids given RETURNING id. Quoted text is copied as
 * it is. New string, or NULL when out of memory. */
static char *translate(const char *sql, int *nparams, int *returns_id)
{
    size_t len = strlen(sql);
    char *out = malloc(len * 2 + 64);
    if (!out) return NULL;
    size_t o = 0;
    int ignore = 0, max = 0;
    *returns_id = 0;
    const char *p = sql;
    while (*p == ' ') p++;
    if (word_at(p, "INSERT OR IGNORE INTO ")) {
        ignore = 1;
        memcpy(out, "INSERT INTO ", 12);
        o = 12;
        p += 22;
    }
    if (word_at(p, "INSERT INTO ") || (ignore && o == 12)) {
        const char *t = ignore ? p : p + 12;
        size_t n = strcspn(t, " (");
        *returns_id = table_has_id(t, n) && !strstr(sql, "ON CONFLICT");
    }
    while (*p) {
        if (*p == '\'') { /* a literal, '' inside it */
            out[o++] = *p++;
            while (*p) {
                if (*p == '\'' && p[1] == '\'') {
                    out[o++] = *p++;
                    out[o++] = *p++;
                } else if (*p == '\'') {
                    out[o++] = *p++;
                    break;
                } else
                    out[o++] = *p++;
            }
            continue;
        }
        if (word_at(p, "IS NOT ?")) {
            memcpy(out + o, "IS DISTINCT FROM ", 17);
            o += 17;
            p += 7;
            continue;
        }
        if (word_at(p, "IS ?")) {
            memcpy(out + o, "IS NOT DISTINCT FROM ", 21);
            o += 21;
            p += 3;
            continue;
        }
        if (*p == '?' && p[1] >= '0' && p[1] <= '9') {
            int n = (int)strtol(p + 1, (char **)&p, 10);
            if (n > max) max = n;
            o += (size_t)sprintf(out + o, "$%d", n);
            continue;
        }
        out[o++] = *p++;
    }
    while (o && (out[o - 1] == ' ' || out[o - 1] == ';')) o--;
    if (ignore) o += (size_t)sprintf(out + o, " ON CONFLICT DO NOTHING");
    if (*returns_id) o += (size_t)sprintf(out + o, " RETURNING id");
    out[o] = '\0';
    *nparams = max;
    return out;
}

/* The kept translation of sql, made and kept the first time. Called with
 * pg->lock held; NULL when out of memory (*own then NULL too) or every place
 * is taken (*own: a translation of its own). */
static const translation *translation_of(rv_pg *pg, const char *sql, translation *own)
{
    translation *free_one = NULL;
    for (int i = 0; i < KEPT; i++) {
        translation *x = &pg->kept[i];
        if (!x->key) {
            if (!free_one) free_one = x;
        } else if (x->key == sql && strcmp(x->sqlite, sql) == 0)
            return x;
    }
    translation t = {.key = sql};
    t.pg = translate(sql, &t.nparams, &t.returns_id);
    if (!t.pg) return NULL;
    const char *w = sql + strspn(sql, " ");
    t.writes = word_at(w, "INSERT") || word_at(w, "UPDATE") || word_at(w, "DELETE");
    if (free_one && (t.sqlite = strdup(sql))) {
        *free_one = t;
        return free_one;
    }
    t.key = NULL;
    *own = t;
    return own;
}

/* ---- statements ---- */

static void clear_row(pgq *q)
{
    for (int i = 0; i < 8; i++) {
        free(q->bytes[i]);
        q->bytes[i] = NULL;
    }
}

rv_err rv_pg_prepare(rv_store *s, rv_sql **out, const char *sql, const rv_sqlv *v, int n, const char *what,
                     rv_error *err)
{
    *out = NULL;
    rv_pg *pg = s->pg;
    pgq *q = calloc(1, sizeof *q);
    if (!q) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    translation own = {0};
    pthread_mutex_lock(&pg->lock);
    const translation *t = translation_of(pg, sql, &own);
    pthread_mutex_unlock(&pg->lock);
    if (!t) {
        free(q);
        return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    if (t == &own) {
        /* not kept: the statement keeps its own copy */
        translation *c = malloc(sizeof *c);
        if (!c) {
            free(own.pg);
            free(q);
            return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        }
        *c = own;
        q->own = (char *)c;
        t = c;
    }
    q->h.s = s;
    q->what = what;
    q->t = t;
    rv_pg_rebind((rv_sql *)q, v, n);
    *out = (rv_sql *)q;
    return RV_OK;
}

void rv_pg_rebind(rv_sql *x, const rv_sqlv *v, int n)
{
    pgq *q = (pgq *)x;
    clear_row(q);
    PQclear(q->res);
    q->res = NULL;
    q->row = -1;
    q->done = 0;
    if (n > (int)(sizeof q->v / sizeof q->v[0])) n = (int)(sizeof q->v / sizeof q->v[0]);
    q->n = n;
    for (int i = 0; i < n; i++) q->v[i] = v[i];
}

/* Length of the UTF-8 character at t (n bytes left), or 0 when it is not
 * one (a stray byte, an overlong form, a surrogate). */
static size_t utf8_char(const unsigned char *t, size_t n)
{
    if (t[0] < 0x80) return 1;
    size_t k = t[0] >= 0xF5 ? 0 : t[0] >= 0xF0 ? 4 : t[0] >= 0xE0 ? 3 : t[0] >= 0xC2 ? 2 : 0;
    if (!k || k > n) return 0;
    for (size_t m = 1; m < k; m++)
        if ((t[m] & 0xC0) != 0x80) return 0;
    if (k == 3 && ((t[0] == 0xE0 && t[1] < 0xA0) || (t[0] == 0xED && t[1] >= 0xA0))) return 0;
    if (k == 4 && ((t[0] == 0xF0 && t[1] < 0x90) || (t[0] == 0xF4 && t[1] >= 0x90))) return 0;
    return k;
}

/* Text PostgreSQL refuses (bytes that are not UTF-8) as SQLite would list
 * it: each stray byte written \xNN. NULL when t is UTF-8 already (or out of
 * memory: the database then refuses it); else a new string. */
static char *utf8_escaped(const char *text)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t n = strlen(text), i = 0, k;
    while (i < n && (k = utf8_char(t + i, n - i))) i += k;
    if (i == n) return NULL;
    char *out = malloc(n * 4 + 1);
    if (!out) return NULL;
    size_t o = 0;
    for (i = 0; i < n;) {
        k = utf8_char(t + i, n - i);
        if (k) {
            memcpy(out + o, t + i, k);
            o += k, i += k;
        } else
            o += (size_t)sprintf(out + o, "\\x%02X", t[i++]);
    }
    out[o] = '\0';
    return out;
}

/* The SQLSTATE of res (NULL: a statement that did not fail) kept for
 * rv_pg_error, which a caller that was given no error may call later:
 * a lock not had in time is then still RV_ERR_BUSY. Under pg->lock. */
static void keep_state(rv_pg *pg, const PGresult *res)
{
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    snprintf(pg->state, sizeof pg->state, "%s", st ? st : "");
}

/* Values v[0..n) as libpq's parameters for a statement of np; text that is
 * not UTF-8 escaped into esc[i] (free() each). */
typedef struct {
    const char *vals[32];
    int lens[32], fmts[32];
    unsigned types[32];
    char ints[32][24];
    char *esc[32];
} params;

static void bind_params(params *b, const rv_sqlv *v, int n, int np)
{
    memset(b, 0, sizeof *b);
    for (int i = 0; i < np && i < 32; i++) {
        if (i >= n) {
            b->types[i] = TEXTOID; /* not bound: NULL */
            continue;
        }
        switch (v[i].type) {
        case RV_SQL_TEXT:
            b->vals[i] = v[i].p && (b->esc[i] = utf8_escaped(v[i].p)) ? b->esc[i] : v[i].p;
            b->types[i] = TEXTOID;
            break;
        case RV_SQL_INT:
            snprintf(b->ints[i], sizeof b->ints[i], "%lld", v[i].i);
            b->vals[i] = b->ints[i];
            b->types[i] = INT8OID;
            break;
        case RV_SQL_BLOB:
            b->vals[i] = v[i].p ? v[i].p : "";
            b->lens[i] = (int)v[i].i;
            b->fmts[i] = 1;
            b->types[i] = BYTEAOID;
            break;
        default: b->types[i] = INT8OID; break; /* V_NULL stands for a number: text is V_TEXT(NULL) */
        }
    }
}

static void free_params(params *b)
{
    for (int i = 0; i < 32; i++) free(b->esc[i]);
}

/* Run q's statement with its values; its rows are then in q->res. */
static int run(pgq *q, rv_error *err)
{
    rv_store *s = q->h.s;
    rv_pg *pg = s->pg;
    int np = q->t->nparams;
    params *b = malloc(sizeof *b);
    if (!b) {
        rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        return -1;
    }
    bind_params(b, q->v, q->n, np);
    pthread_mutex_lock(&pg->lock);
    /* a lost connection is made again, but not under a transaction it took
     * with it: that one's statements fail until it ends */
    if (PQstatus(pg->c) != CONNECTION_OK && !pg->tx) PQreset(pg->c);
    q->res = PQexecParams(pg->c, q->t->pg, np, b->types, b->vals, b->lens, b->fmts, 0);
    ExecStatusType st = PQresultStatus(q->res);
    int ok = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
    keep_state(pg, ok ? NULL : q->res);
    if (ok) {
        const char *cmd = PQcmdStatus(q->res);
        if (strncmp(cmd, "INSERT", 6) == 0 || strncmp(cmd, "UPDATE", 6) == 0 || strncmp(cmd, "DELETE", 6) == 0)
            pg->changes = atoll(PQcmdTuples(q->res));
        if (q->t->returns_id && PQntuples(q->res) == 1) pg->last_id = atoll(PQgetvalue(q->res, 0, 0));
    }
    pthread_mutex_unlock(&pg->lock);
    free_params(b);
    free(b);
    if (!ok) {
        pg_error(pg, q->res, err, q->what);
        return -1;
    }
    if (q->t->returns_id) q->done = 1; /* the id is ours, not a row of the caller's */
    return 0;
}

rv_err rv_pg_batch(rv_store *s, const char *sql, const rv_sqlv *v, int k, size_t n, long long *rows,
                   long long *cols, int ncols, const char *what, rv_error *err)
{
    rv_pg *pg = s->pg;
    if (!n) return RV_OK;
    translation own = {0};
    pthread_mutex_lock(&pg->lock);
    const translation *t = translation_of(pg, sql, &own);
    if (!t) {
        pthread_mutex_unlock(&pg->lock);
        return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    params *b = malloc(sizeof *b);
    rv_err rc = RV_OK;
    if (!b) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    else if (PQstatus(pg->c) != CONNECTION_OK || !PQenterPipelineMode(pg->c)) {
        snprintf(pg->state, sizeof pg->state, "08006");
        rc = pg_error(pg, NULL, err, what);
    }
    if (rc != RV_OK) {
        pthread_mutex_unlock(&pg->lock);
        free(b);
        if (t == &own) free(own.pg);
        return rc;
    }
    int np = t->nparams, sent = 0;
    /* the statement once (unnamed), then each row's values */
    bind_params(b, v, k, np);
    int prepared = PQsendPrepare(pg->c, "", t->pg, np, b->types), ok = prepared;
    free_params(b);
    for (size_t i = 0; ok && i < n; i++) {
        bind_params(b, v + i * (size_t)k, k, np);
        ok = PQsendQueryPrepared(pg->c, "", np, b->vals, b->lens, b->fmts, 0);
        free_params(b);
        sent += ok;
    }
    free(b);
    /* the sync even after a failed send: the server then answers all that
     * was sent, and the answers are read to the end below */
    int synced = prepared && PQpipelineSync(pg->c);
    if (!ok || !synced) rc = pg_error(pg, NULL, err, what);
    ok = synced;
    /* every result up to the sync's, whatever failed: each statement's one
     * result and a NULL after it; an error aborts those after it (and the
     * caller's transaction) */
    long long seen = 0, nulls = 0;
    PGresult *r;
    while (ok) {
        r = PQgetResult(pg->c);
        if (!r) {
            if (PQstatus(pg->c) != CONNECTION_OK || ++nulls > (long long)sent + 2) break;
            continue;
        }
        ExecStatusType st = PQresultStatus(r);
        long long i = seen++ - 1; /* -1: the statement's preparation */
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            break;
        }
        if ((st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) && i >= 0 && i < sent) {
            int nt = PQntuples(r);
            rows[i] = st == PGRES_TUPLES_OK ? nt : atoll(PQcmdTuples(r));
            if (st == PGRES_TUPLES_OK && !nt) rows[i] = atoll(PQcmdTuples(r)); /* an INSERT ... RETURNING nothing */
            for (int c = 0; cols && c < ncols; c++)
                cols[i * ncols + c] = nt && c < PQnfields(r) && !PQgetisnull(r, 0, c) ? atoll(PQgetvalue(r, 0, c)) : 0;
        } else if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && rc == RV_OK) {
            if (st == PGRES_PIPELINE_ABORTED) rc = rv_error_set(err, RV_ERR_IO, "%s: the pipeline was aborted", what);
            else {
                keep_state(pg, r);
                rc = pg_error(pg, r, err, what);
            }
        }
        PQclear(r);
    }
    if (rc == RV_OK && seen < (long long)sent + 2) rc = pg_error(pg, NULL, err, what); /* the connection lost */
    if (!PQexitPipelineMode(pg->c)) {
        /* what is left of it read and dropped (a lost connection: PQreset
         * at the next transaction) */
        while (PQstatus(pg->c) == CONNECTION_OK && (r = PQgetResult(pg->c))) {
            int sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
            PQclear(r);
            if (sync && PQexitPipelineMode(pg->c)) break;
        }
    }
    if (rc == RV_OK) keep_state(pg, NULL);
    pthread_mutex_unlock(&pg->lock);
    if (t == &own) free(own.pg);
    return rc;
}

/* A write outside a transaction runs in one of its own, which takes the
 * write lock as SQLite's autocommit write does. */
static int run_write(pgq *q, rv_error *err)
{
    rv_store *s = q->h.s;
    rv_err rc = rv_pg_begin(s, err);
    if (rc != RV_OK) return -1;
    int r = run(q, err);
    rc = rv_pg_end(s, r == 0 ? RV_OK : RV_ERR_IO, r == 0 ? err : NULL);
    return r == 0 && rc == RV_OK ? 0 : -1;
}

int rv_pg_step(rv_sql *x, rv_error *err)
{
    pgq *q = (pgq *)x;
    clear_row(q);
    if (!q->res && (q->t->writes && !rv_pg_in_tx(q->h.s) ? run_write(q, err) : run(q, err)) != 0) return -1;
    if (q->done) return 0;
    q->row++;
    if (q->row < PQntuples(q->res)) return 1;
    q->done = 1;
    return 0;
}

void rv_pg_done(rv_sql *x)
{
    pgq *q = (pgq *)x;
    if (!q) return;
    clear_row(q);
    PQclear(q->res);
    if (q->own) {
        free(((translation *)q->own)->pg);
        free(q->own);
    }
    free(q);
}

static const unsigned char *bytea(pgq *q, int i, size_t *len)
{
    if (i >= 8) {
        *len = 0;
        return NULL;
    }
    if (!q->bytes[i]) {
        size_t n = 0;
        unsigned char *b = PQunescapeBytea((const unsigned char *)PQgetvalue(q->res, q->row, i), &n);
        q->bytes[i] = b ? malloc(n + 1) : NULL; /* NUL-terminated, for text read from a blob */
        if (q->bytes[i]) {
            memcpy(q->bytes[i], b, n);
            q->bytes[i][n] = '\0';
        }
        q->nbytes[i] = q->bytes[i] ? n : 0;
        PQfreemem(b);
    }
    *len = q->nbytes[i];
    return q->bytes[i];
}

const char *rv_pg_text(rv_sql *x, int i)
{
    pgq *q = (pgq *)x;
    if (PQgetisnull(q->res, q->row, i)) return NULL;
    if (PQftype(q->res, i) == BYTEAOID) {
        /* text read from a blob: its bytes (a blob that is text has no NUL) */
        size_t n;
        const unsigned char *b = bytea(q, i, &n);
        return b ? (const char *)b : "";
    }
    return PQgetvalue(q->res, q->row, i);
}

long long rv_pg_int(rv_sql *x, int i)
{
    pgq *q = (pgq *)x;
    if (PQgetisnull(q->res, q->row, i)) return 0;
    const char *t = PQgetvalue(q->res, q->row, i);
    if (PQftype(q->res, i) == BOOLOID) return t[0] == 't';
    return strtoll(t, NULL, 10);
}

double rv_pg_real(rv_sql *x, int i)
{
    pgq *q = (pgq *)x;
    if (PQgetisnull(q->res, q->row, i)) return 0;
    return strtod(PQgetvalue(q->res, q->row, i), NULL);
}

int rv_pg_null(rv_sql *x, int i)
{
    pgq *q = (pgq *)x;
    return PQgetisnull(q->res, q->row, i);
}

const void *rv_pg_blob(rv_sql *x, int i, size_t *len)
{
    pgq *q = (pgq *)x;
    *len = 0;
    if (PQgetisnull(q->res, q->row, i)) return NULL;
    if (PQftype(q->res, i) == BYTEAOID) return bytea(q, i, len);
    *len = (size_t)PQgetlength(q->res, q->row, i);
    return PQgetvalue(q->res, q->row, i);
}

long long rv_pg_changes(rv_store *s) { return s->pg->changes; }
long long rv_pg_last_id(rv_store *s) { return s->pg->last_id; }

int rv_pg_in_tx(rv_store *s) { return s->pg->tx; }

/* One command without values; RV_OK or the error as ours. */
static rv_err command(rv_pg *pg, const char *sql, const char *what, rv_error *err)
{
    pthread_mutex_lock(&pg->lock);
    PGresult *r = PQexec(pg->c, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    keep_state(pg, ok ? NULL : r);
    rv_err rc = ok ? RV_OK : pg_error(pg, r, err, what);
    PQclear(r);
    pthread_mutex_unlock(&pg->lock);
    return rc;
}

rv_err rv_pg_begin_unlocked(rv_store *s, rv_error *err)
{
    rv_pg *pg = s->pg;
    if (PQstatus(pg->c) != CONNECTION_OK) PQreset(pg->c);
    rv_err rc = command(pg, "BEGIN", "cannot begin", err);
    pg->tx = rc == RV_OK;
    return rc;
}

rv_err rv_pg_write_lock(rv_store *s, rv_error *err)
{
    return command(s->pg, WRITE_LOCK, "cannot begin", err);
}

rv_err rv_pg_begin(rv_store *s, rv_error *err)
{
    rv_pg *pg = s->pg;
    rv_err rc = rv_pg_begin_unlocked(s, err);
    if (rc == RV_OK && (rc = rv_pg_write_lock(s, err)) != RV_OK) {
        command(pg, "ROLLBACK", "", NULL);
        pg->tx = 0;
    }
    return rc;
}

rv_err rv_pg_end(rv_store *s, rv_err rc, rv_error *err)
{
    rv_pg *pg = s->pg;
    pg->tx = 0;
    if (rc == RV_OK && (rc = command(pg, "COMMIT", "cannot commit", err)) == RV_OK) return RV_OK;
    if (PQstatus(pg->c) == CONNECTION_OK && PQtransactionStatus(pg->c) != PQTRANS_IDLE)
        command(pg, "ROLLBACK", "", NULL);
    return rc;
}

void rv_pg_busy_timeout(rv_store *s, int ms)
{
    char sql[64];
    snprintf(sql, sizeof sql, "SET lock_timeout = %d", ms > 0 ? ms : 1);
    command(s->pg, sql, "", NULL);
}

/* ---- the schema ---- */

/* The functions the table files' SQL calls that PostgreSQL lacks, as SQLite
 * and rostvakt define them. rv_unit_key: Unicode lower case (ICU's), NFC
 * and final sigma as sigma, as rv_unit_key gives it in C. */
static const char functions_sql[] =
    "CREATE OR REPLACE FUNCTION instr(h text, n text) RETURNS integer LANGUAGE sql IMMUTABLE"
    "  AS 'SELECT strpos(h, n)';"
    "CREATE OR REPLACE FUNCTION json_extract(doc text, path text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$"
    "  SELECT CASE json_typeof(j) WHEN 'object' THEN j::text WHEN 'array' THEN j::text WHEN 'null' THEN NULL"
    "  ELSE j #>> '{}' END FROM (SELECT doc::json #> string_to_array(substr(path, 3), '.') AS j) x $f$;"
    /* group_concat(x, sep), for the operator's and the tests' queries */
    "CREATE OR REPLACE FUNCTION rv_concat(a text, x text, sep text) RETURNS text LANGUAGE sql IMMUTABLE"
    "  AS $f$ SELECT CASE WHEN x IS NULL THEN a WHEN a IS NULL THEN x ELSE a || sep || x END $f$;"
    "CREATE OR REPLACE AGGREGATE group_concat(text, text) (SFUNC = rv_concat, STYPE = text);"
    "CREATE OR REPLACE FUNCTION rv_unit_key(u text) RETURNS text LANGUAGE sql IMMUTABLE"
    "  AS $f$ SELECT translate(normalize(lower(u COLLATE \"und-x-icu\"), NFC), 'ς', 'σ') $f$;";

/* Schema 17, as SQLite's 17 migrations leave it, in PostgreSQL's words:
 * a new database is made at 17 in one step. */
static const char *const schema_17[] = {
    "CREATE TABLE organisations (id text PRIMARY KEY, name text NOT NULL, orgnr text NOT NULL DEFAULT '',"
    "  calendar text NOT NULL DEFAULT 'SE', time_zone text NOT NULL DEFAULT 'Europe/Stockholm',"
    "  profile text NOT NULL DEFAULT 'default', diarienummer_pattern text NOT NULL DEFAULT '',"
    "  gallringsbeslut text NOT NULL DEFAULT '', gallring_covers text NOT NULL DEFAULT '',"
    "  creator_name text NOT NULL DEFAULT '', creator_id text NOT NULL DEFAULT '',"
    "  mail_from text NOT NULL DEFAULT '', officers text NOT NULL DEFAULT '',"
    "  created_at text NOT NULL, updated_at text NOT NULL);",
    /* rowid: the order mailboxes were first stored in, as SQLite's rowid */
    "CREATE TABLE mailboxes (rowid bigserial UNIQUE,"
    "  ext text PRIMARY KEY CHECK (ext ~ '^[0-9]+$'),"
    "  first_name text NOT NULL, last_name text NOT NULL, unit text NOT NULL,"
    "  org text NOT NULL DEFAULT '', profile text NOT NULL DEFAULT 'default',"
    "  mobile text NOT NULL DEFAULT '', created_at text NOT NULL, updated_at text NOT NULL,"
    "  greeting_id bigint, name_audio_sha256 text, name_content_type text, name_received_at text,"
    "  email text NOT NULL DEFAULT '', organisation text REFERENCES organisations(id));",
    "CREATE INDEX mailboxes_unit ON mailboxes(unit, ext);",
    "CREATE INDEX mailboxes_name_audio ON mailboxes(name_audio_sha256);",
    "CREATE INDEX mailboxes_email ON mailboxes(email) WHERE email <> '';",
    "CREATE INDEX mailboxes_organisation ON mailboxes(organisation, ext);",
    "CREATE TABLE greetings ("
    "  id bigserial PRIMARY KEY, ext text NOT NULL REFERENCES mailboxes(ext),"
    "  audio_sha256 text, content_type text, received_at text NOT NULL,"
    "  removed bigint NOT NULL DEFAULT 0, report text, analysed_at text, models_version text,"
    "  bytes bigint, compliant bigint, violations text NOT NULL DEFAULT '', missing_reason text,"
    "  absence_until text, profile text, review text NOT NULL DEFAULT '');",
    "ALTER TABLE mailboxes ADD FOREIGN KEY (greeting_id) REFERENCES greetings(id);",
    "CREATE INDEX greetings_ext ON greetings(ext, id);",
    "CREATE INDEX greetings_audio ON greetings(audio_sha256);",
    "CREATE TABLE voicemails ("
    "  id bigserial PRIMARY KEY, ext text NOT NULL REFERENCES mailboxes(ext),"
    "  audio_sha256 text NOT NULL, content_type text NOT NULL, bytes bigint NOT NULL,"
    "  caller text NOT NULL DEFAULT '', received_at text NOT NULL,"
    "  state text NOT NULL DEFAULT 'queued', classification text, report text,"
    "  analysed_at text, callback_at text, disposed_at text, idempotency_key text,"
    "  objid text, packaged_at text, archived_at text, archive_ref text, idempotency_by text,"
    "  decision text, listened_at text);",
    "CREATE INDEX voicemails_received ON voicemails(received_at DESC, id DESC);",
    "CREATE INDEX voicemails_state ON voicemails(state, id);",
    "CREATE INDEX voicemails_audio ON voicemails(audio_sha256);",
    "CREATE UNIQUE INDEX voicemails_idempotency ON voicemails(ext, idempotency_by, idempotency_key)"
    "  WHERE idempotency_key IS NOT NULL;",
    "CREATE INDEX voicemails_decision ON voicemails(decision, received_at DESC, id DESC);",
    "CREATE INDEX voicemails_new ON voicemails(received_at DESC, id DESC) WHERE listened_at IS NULL;",
    "CREATE INDEX voicemails_ext ON voicemails(ext, received_at DESC, id DESC);",
    "CREATE TABLE decisions ("
    "  id bigserial PRIMARY KEY, voicemail_id bigint NOT NULL REFERENCES voicemails(id),"
    "  decision text NOT NULL CHECK (decision IN ('registrera','halls_ordnad','gallras','privat')),"
    "  diarienummer text, note text, actor text NOT NULL, decided_at text NOT NULL,"
    "  arendemening text, sekretess text, ground text, gallringsbeslut text, reason text, previous text,"
    "  migrated_from text);",
    "CREATE INDEX decisions_voicemail ON decisions(voicemail_id, id);",
    "CREATE TABLE audit ("
    "  id bigserial PRIMARY KEY, at text NOT NULL, actor text NOT NULL, remote text NOT NULL,"
    "  action text NOT NULL, voicemail_id bigint, ext text, detail text, organisation text);",
    "CREATE INDEX audit_voicemail ON audit(voicemail_id, id);",
    /* segment NULL: the recording's bytes are in audio_chunks, RV_AUDIO_CHUNK
     * bytes a row, written in the transaction of the row that names it */
    "CREATE TABLE audio (sha256 text PRIMARY KEY, segment text, at bigint NOT NULL, len bigint NOT NULL);",
    "CREATE TABLE audio_chunks (sha256 text NOT NULL REFERENCES audio(sha256), n integer NOT NULL,"
    "  bytes bytea NOT NULL, PRIMARY KEY (sha256, n));",
    "ALTER TABLE audio_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;",
    "CREATE INDEX audio_segment ON audio(segment, at);",
    "CREATE TABLE reviews (id bigserial PRIMARY KEY, greeting_id bigint NOT NULL REFERENCES greetings(id),"
    "  name text CHECK (name IN ('stated','not_stated')), unit text CHECK (unit IN ('stated','not_stated')),"
    "  org text CHECK (org IN ('stated','not_stated')), closing text CHECK (closing IN ('stated','not_stated')),"
    "  actor text NOT NULL, reviewed_at text NOT NULL);",
    "CREATE INDEX reviews_greeting ON reviews(greeting_id, id);",
    "CREATE TABLE sweeps (id bigserial PRIMARY KEY, date text NOT NULL, created_at text NOT NULL,"
    "  report text NOT NULL);",
    "CREATE INDEX sweeps_date ON sweeps(date, id);",
    "CREATE TABLE voicemail_events ("
    "  id bigserial PRIMARY KEY, voicemail_id bigint NOT NULL REFERENCES voicemails(id),"
    "  event text NOT NULL, at text NOT NULL, actor text NOT NULL, detail text);",
    "CREATE INDEX voicemail_events_vm ON voicemail_events(voicemail_id, id);",
    "CREATE TABLE units (name text PRIMARY KEY, managers text NOT NULL DEFAULT '', updated_at text NOT NULL);",
    "CREATE TABLE mail_outbox ("
    "  id bigserial PRIMARY KEY, date text NOT NULL, key text NOT NULL, recipients text NOT NULL,"
    "  subject text NOT NULL, message bytea NOT NULL, created_at text NOT NULL, tries bigint NOT NULL DEFAULT 0,"
    "  last_error text, sent_at text, UNIQUE (date, key));",
    "CREATE INDEX mail_outbox_unsent ON mail_outbox(id) WHERE sent_at IS NULL;",
    "CREATE TABLE erasures (id bigserial PRIMARY KEY, sha256 text NOT NULL, segment text, at bigint NOT NULL,"
    "  len bigint NOT NULL);",
    /* the inbox's columns kept by triggers, as SQLite's schema 16 keeps them */
    "CREATE FUNCTION rv_decision_added() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN"
    "  UPDATE voicemails SET decision = NEW.decision WHERE id = NEW.voicemail_id; RETURN NULL; END $f$;",
    "CREATE TRIGGER voicemails_decision_added AFTER INSERT ON decisions FOR EACH ROW"
    "  EXECUTE FUNCTION rv_decision_added();",
    "CREATE FUNCTION rv_decision_changed() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN"
    "  UPDATE voicemails SET decision = (SELECT d.decision FROM decisions d WHERE d.voicemail_id = NEW.voicemail_id"
    "  ORDER BY d.id DESC LIMIT 1) WHERE id = NEW.voicemail_id; RETURN NULL; END $f$;",
    "CREATE TRIGGER voicemails_decision_changed AFTER UPDATE OF decision ON decisions FOR EACH ROW"
    "  EXECUTE FUNCTION rv_decision_changed();",
    "CREATE FUNCTION rv_listened() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN"
    "  UPDATE voicemails SET listened_at = NEW.at WHERE id = NEW.voicemail_id AND listened_at IS NULL;"
    "  RETURN NULL; END $f$;",
    "CREATE TRIGGER voicemails_listened AFTER INSERT ON audit FOR EACH ROW"
    "  WHEN (NEW.action = 'audio_read' AND NEW.voicemail_id IS NOT NULL) EXECUTE FUNCTION rv_listened();",
    NULL};

/* Migrations after 17: pg_migrations[i] takes the schema from 17 + i to
 * 18 + i, the same step as SQLite's migration of that number. Only ever
 * appended, one for each of SQLite's. */
static const char *const pg_migrations[] = {
    /* 17 -> 18: a unit is an organisation's ('' : every organisation's) */
    "CREATE TABLE units_18 (organisation text NOT NULL DEFAULT '', name text NOT NULL,"
    "  managers text NOT NULL DEFAULT '', updated_at text NOT NULL, PRIMARY KEY (organisation, name));"
    "INSERT INTO units_18 (organisation, name, managers, updated_at) SELECT coalesce((SELECT min(m.organisation)"
    "  FROM mailboxes m WHERE rv_unit_key(m.unit) = rv_unit_key(units.name)"
    "  HAVING count(DISTINCT coalesce(m.organisation, '')) = 1), ''), name, managers, updated_at FROM units;"
    "DROP TABLE units;"
    "ALTER TABLE units_18 RENAME TO units;",
    /* 18 -> 19: each ending of a caller's number, in byte order for the
     * range that answers "contains" */
    "CREATE TABLE voicemail_callers (suffix text COLLATE \"C\" NOT NULL,"
    "  voicemail_id bigint NOT NULL REFERENCES voicemails(id), PRIMARY KEY (suffix, voicemail_id));"
    "WITH RECURSIVE s(id, suffix) AS (SELECT id, caller FROM voicemails WHERE caller <> ''"
    "  UNION ALL SELECT id, substr(suffix, 2) FROM s WHERE length(suffix) > 1)"
    "  INSERT INTO voicemail_callers (suffix, voicemail_id) SELECT DISTINCT suffix, id FROM s;",
    /* 19 -> 20: what the nodes share: sessions, revoked tokens, analysis
     * jobs with their leases, one sweep run a date, shared secrets */
    "CREATE TABLE sessions (seq bigserial PRIMARY KEY, id_sha256 text NOT NULL UNIQUE, token_key text NOT NULL,"
    "  name text NOT NULL, role text NOT NULL, organisations text NOT NULL, csrf text NOT NULL,"
    "  created_ms bigint NOT NULL, used_ms bigint NOT NULL, idle_until_ms bigint NOT NULL);"
    "CREATE INDEX sessions_token ON sessions(token_key, used_ms);"
    "CREATE INDEX sessions_used ON sessions(used_ms);"
    "CREATE TABLE revoked_tokens (seq bigserial PRIMARY KEY, token_key text NOT NULL UNIQUE, name text NOT NULL,"
    "  revoked_at text NOT NULL);"
    "CREATE TABLE analysis_jobs (voicemail_id bigint PRIMARY KEY, claimed_by text, lease_until_ms bigint);"
    "INSERT INTO analysis_jobs (voicemail_id) SELECT id FROM voicemails WHERE state IN ('queued', 'analysing');"
    "CREATE TABLE sweep_runs (date text PRIMARY KEY, started_by text NOT NULL, started_ms bigint NOT NULL,"
    "  finished_ms bigint);"
    "CREATE TABLE shared_secrets (name text PRIMARY KEY, value text NOT NULL);",
    /* 20 -> 21: how many greetings a review stands for */
    "ALTER TABLE reviews ADD COLUMN weight bigint NOT NULL DEFAULT 1;",
    /* 21 -> 22: the texts a greeting's analysis sought and a review's
     * answers are about, from the analyses kept (every report is JSON) */
    "ALTER TABLE greetings ADD COLUMN name_text text;"
    "ALTER TABLE greetings ADD COLUMN unit_text text;"
    "ALTER TABLE greetings ADD COLUMN org_text text;"
    "CREATE FUNCTION pg_temp.rv_try_jsonb(t text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $f$"
    "  BEGIN RETURN t::jsonb; EXCEPTION WHEN others THEN RETURN NULL; END $f$;"
    "UPDATE greetings SET name_text = coalesce(pg_temp.rv_try_jsonb(report) #>> '{expected,name}', ''),"
    "  unit_text = coalesce(pg_temp.rv_try_jsonb(report) #>> '{expected,unit}', ''),"
    "  org_text = coalesce(pg_temp.rv_try_jsonb(report) #>> '{expected,org}', '')"
    "  WHERE jsonb_typeof(pg_temp.rv_try_jsonb(report) -> 'expected') = 'object';"
    "UPDATE greetings SET models_version = '' WHERE name_text IS NULL AND removed = 0;"
    "ALTER TABLE reviews ADD COLUMN name_text text;"
    "ALTER TABLE reviews ADD COLUMN unit_text text;"
    "ALTER TABLE reviews ADD COLUMN org_text text;"
    "UPDATE reviews SET name_text = g.name_text, unit_text = g.unit_text, org_text = g.org_text"
    "  FROM greetings g WHERE g.id = reviews.greeting_id;",
    /* 22 -> 23: a unit's mail of a date kept by the unit's key (SQLite's) */
    "CREATE TEMP TABLE rv_outbox_23 ON COMMIT DROP AS SELECT id, date, 'unit@' || CASE"
    "  WHEN strpos(r, '/') > 1 AND EXISTS (SELECT 1 FROM organisations o WHERE o.id = substr(r, 1, strpos(r, '/') - 1))"
    "  AND NOT EXISTS (SELECT 1 FROM units u WHERE u.organisation = '' AND rv_unit_key(u.name) = rv_unit_key(r))"
    "  THEN substr(r, 1, strpos(r, '/') - 1) || ':' || rv_unit_key(substr(r, strpos(r, '/') + 1))"
    "  ELSE ':' || rv_unit_key(r) END AS k"
    "  FROM (SELECT id, date, substr(key, 6) AS r FROM mail_outbox WHERE substr(key, 1, 5) = 'unit:') m;"
    "UPDATE mail_outbox SET key = t.k FROM rv_outbox_23 t"
    "  WHERE t.id = mail_outbox.id AND t.id IN (SELECT min(id) FROM rv_outbox_23 GROUP BY date, k)"
    "  AND NOT EXISTS (SELECT 1 FROM mail_outbox o WHERE o.date = t.date AND o.key = t.k);",
    NULL /* the end: each new one goes before it */};
#define N_PG_MIGRATIONS ((int)(sizeof pg_migrations / sizeof pg_migrations[0]) - 1)
_Static_assert(sizeof pg_migrations / sizeof pg_migrations[0] - 1 + 17 == RV_STORE_SCHEMA_VERSION,
               "each of SQLite's migrations after 17 has its PostgreSQL one in pg_migrations");

int rv_pg_schema_version(rv_store *s)
{
    PGresult *r = PQexec(s->pg->c, "SELECT coalesce(max(version), 0) FROM rv_schema");
    int v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? atoi(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    return v;
}

/* Bring the schema to upto (at most the version of this rostvakt), one
 * node at a time. */
static rv_err migrate(rv_store *s, int upto, rv_error *err)
{
    rv_pg *pg = s->pg;
    rv_err rc = command(pg, MIGRATE_LOCK, "cannot lock the schema", err);
    if (rc != RV_OK) return rc;
    rc = command(pg, "CREATE TABLE IF NOT EXISTS rv_schema (version integer NOT NULL)", "cannot read the schema version",
                 err);
    int v = rc == RV_OK ? rv_pg_schema_version(s) : -1;
    if (rc == RV_OK && v < 0) rc = pg_error(pg, NULL, err, "cannot read the schema version");
    if (rc == RV_OK && v > 17 + N_PG_MIGRATIONS)
        rc = rv_error_set(err, RV_ERR_CONFIG, "the database is at schema %d, newer than this rostvakt (%d)", v,
                          17 + N_PG_MIGRATIONS);
    if (rc == RV_OK && v > 0 && v < 17)
        rc = rv_error_set(err, RV_ERR_CONFIG, "the database is at schema %d, which PostgreSQL never had", v);
    while (rc == RV_OK && v < upto) {
        int to = v == 0 ? 17 : v + 1;
        char set[96];
        snprintf(set, sizeof set, "DELETE FROM rv_schema; INSERT INTO rv_schema VALUES (%d)", to);
        rc = command(pg, "BEGIN", "cannot begin a migration", err);
        if (rc == RV_OK) rc = command(pg, functions_sql, "schema migration failed", err);
        if (v == 0)
            for (int i = 0; rc == RV_OK && schema_17[i]; i++) rc = command(pg, schema_17[i], "schema migration failed", err);
        else if (rc == RV_OK)
            rc = command(pg, pg_migrations[v - 17], "schema migration failed", err);
        if (rc == RV_OK) rc = command(pg, set, "schema migration failed", err);
        if (rc == RV_OK) rc = command(pg, "COMMIT", "cannot commit a migration", err);
        if (rc != RV_OK) command(pg, "ROLLBACK", "", NULL);
        v = to;
    }
    /* the functions as this rostvakt defines them */
    if (rc == RV_OK) rc = command(pg, functions_sql, "cannot define the schema's functions", err);
    command(pg, MIGRATE_UNLOCK, "", NULL);
    return rc;
}

/* ---- opening ---- */

/* err's message with every copy of secret (a password) masked. */
static void mask(rv_error *err, const char *secret)
{
    if (!err || !secret || !*secret) return;
    size_t n = strlen(secret);
    char *p;
    while ((p = strstr(err->msg, secret))) {
        memset(p, '*', n);
    }
}

int rv_pg_is_conninfo(const char *store)
{
    return strncmp(store, "postgresql://", 13) == 0 || strncmp(store, "postgres://", 11) == 0 ||
           (strchr(store, '=') && !strstr(store, "://"));
}

/* The password conninfo names, or NULL (new string, free()). */
static char *password_of(const char *conninfo)
{
    PQconninfoOption *o = PQconninfoParse(conninfo, NULL);
    char *pw = NULL;
    for (PQconninfoOption *x = o; x && x->keyword; x++)
        if (strcmp(x->keyword, "password") == 0 && x->val) pw = strdup(x->val);
    PQconninfoFree(o);
    return pw;
}

rv_err rv_pg_open(rv_store *s, const char *conninfo, const char *dbname, int allow_async, int upto, rv_error *err)
{
    char *parse_err = NULL;
    PQconninfoOption *o = PQconninfoParse(conninfo, &parse_err);
    if (!o) {
        PQfreemem(parse_err);
        return rv_error_set(err, RV_ERR_CONFIG, "store: not a PostgreSQL URI or connection string");
    }
    PQconninfoFree(o);
    rv_pg *pg = calloc(1, sizeof *pg);
    if (!pg) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&pg->lock, NULL);
    s->pg = pg;
    const char *keys[] = {"dbname", "dbname", "fallback_application_name", "connect_timeout", NULL};
    const char *vals[] = {conninfo, dbname, "rostvakt", "10", NULL};
    if (!dbname) {
        keys[1] = "fallback_application_name";
        vals[1] = "rostvakt";
    }
    pg->c = PQconnectdbParams(keys, vals, 1);
    char *pw = password_of(conninfo);
    rv_err rc = RV_OK;
    if (!pg->c || PQstatus(pg->c) != CONNECTION_OK) {
        char why[200];
        snprintf(why, sizeof why, "%s", pg->c ? PQerrorMessage(pg->c) : "out of memory");
        why[strcspn(why, "\n")] = '\0';
        rc = rv_error_set(err, RV_ERR_CONFIG, "store: cannot connect to the PostgreSQL database: %s", why);
        mask(err, pw);
        goto done;
    }
    PQsetClientEncoding(pg->c, "UTF8");
    PGresult *r = PQexec(pg->c, "SHOW synchronous_commit");
    const char *sync = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "?";
    if (strcmp(sync, "off") == 0 && !allow_async)
        rc = rv_error_set(err, RV_ERR_CONFIG,
                          "store: the database has synchronous_commit = off, so a committed upload could be lost "
                          "in a crash; turn it on, or set store_allow_async_commit = 1");
    PQclear(r);
    if (rc == RV_OK) rc = command(pg, "SET lock_timeout = 5000; SET client_min_messages = warning", "cannot configure the database", err);
    if (rc == RV_OK) rc = migrate(s, upto, err);
    if (rc != RV_OK && rc != RV_ERR_CONFIG) {
        char m[sizeof err->msg];
        snprintf(m, sizeof m, "%s", err->msg);
        rc = rv_error_set(err, RV_ERR_CONFIG, "store: %s", m);
    }
    mask(err, pw);
done:
    free(pw);
    return rc;
}

void rv_pg_close(rv_store *s)
{
    rv_pg *pg = s->pg;
    if (!pg) return;
    if (pg->c) PQfinish(pg->c);
    for (int i = 0; i < KEPT; i++) {
        free(pg->kept[i].sqlite);
        free(pg->kept[i].pg);
    }
    pthread_mutex_destroy(&pg->lock);
    free(pg);
    s->pg = NULL;
}

/* Create database name (quoted, a name of letters, digits and _) on the
 * server conninfo names, unless it exists: for the tests' store per data
 * directory. */
rv_err rv_pg_create_database(const char *conninfo, const char *name, rv_error *err)
{
    PGconn *c = PQconnectdb(conninfo);
    rv_err rc = RV_OK;
    if (PQstatus(c) != CONNECTION_OK) {
        rc = rv_error_set(err, RV_ERR_CONFIG, "store: cannot connect to the PostgreSQL database");
        goto done;
    }
    char sql[200];
    snprintf(sql, sizeof sql,
             "CREATE DATABASE \"%s\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'", name);
    PGresult *r = PQexec(c, sql);
    const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && !(st && (strcmp(st, "42P04") == 0 || strcmp(st, "23505") == 0)))
        rc = rv_error_set(err, RV_ERR_CONFIG, "store: cannot create database %s: %s", name, PQresultErrorMessage(r));
    PQclear(r);
done:
    PQfinish(c);
    return rc;
}
