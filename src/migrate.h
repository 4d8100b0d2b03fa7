/* `rostvakt migrate`: one archive copied into another, SQLite or
 * PostgreSQL at either end, and the copy verified (store_migrate.c, a file
 * of the store). Not installed. */
#ifndef RV_MIGRATE_H
#define RV_MIGRATE_H

#include "rostvakt/err.h"

typedef struct {
    const char *from, *to; /* "sqlite:DIR", a postgresql:// URI or a libpq connection string */
    int into_nonempty;      /* copy into a target that holds rows of another source */
    int allow_async_commit; /* the setting store_allow_async_commit, for a PostgreSQL end */
    /* an empty folder of the caller's, for the audio staged on its way into
     * PostgreSQL (and the folder a PostgreSQL end's store is given) */
    const char *work_dir;
    /* each line of progress and of the verification, for a person */
    void (*say)(void *user, const char *line);
    void *user;
} rv_migrate_opts;

typedef struct {
    long long tables, recordings; /* compared */
    long long rows;               /* copied by this run */
    long long differences; /* tables and recordings that differ after the copy */
    int resumed;           /* the target held an interrupted copy of this source */
} rv_migrate_result;

/* Copy every table and every recording of o->from into o->to, keeping each
 * row's id, then compare both: each table's rows (a count and a digest of
 * their values) and each recording's SHA-256. A run interrupted at any
 * point continues where its last batch committed when run again with the
 * same --from. Both archives are first brought to this rostvakt's schema
 * (one newer is refused). RV_OK when the copy was made and compared
 * (out->differences says whether it is equal); RV_ERR_CONFIG for an
 * archive that cannot be used (err names --from or --to, never a
 * password): an unknown kind, a database that does not answer or refuses
 * the credentials, the same archive at both ends, or a target that holds
 * rows of another source unless into_nonempty. Other codes: the copy
 * failed (it may be continued). Not thread-safe with other users of the
 * archives: the source is held (its write lock) for the run. */
RV_MUST_USE rv_err rv_migrate(const rv_migrate_opts *o, rv_migrate_result *out, rv_error *err);

#endif
