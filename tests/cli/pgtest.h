/* A PostgreSQL 15 for a test suite: the one RV_TEST_PG names, or one the
 * suite starts itself in DIR/pg (tests/pg-server.sh: initdb, a Unix
 * socket), and databases of their own on it. */
#ifndef RV_TESTS_PGTEST_H
#define RV_TESTS_PGTEST_H

#include <stddef.h>

/* The server's connection string (without a database) into server; 1 when
 * the suite started it (pg_test_stop stops it then), 0 when RV_TEST_PG
 * named one. dir must be the suite's fresh temporary folder. */
int pg_test_start(const char *dir, char *server, size_t cap);
void pg_test_stop(const char *dir);

/* A new database name on server (UTF-8, the C collation docs/ha.md asks
 * for): its connection string into out. name: lower case letters, digits
 * and _ only. */
void pg_test_new_database(const char *server, const char *name, char *out, size_t cap);

#endif
