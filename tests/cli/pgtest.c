#include "pgtest.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int pg_test_start(const char *dir, char *server, size_t cap)
{
    const char *given = getenv("RV_TEST_PG");
    if (given && *given) {
        snprintf(server, cap, "%s", given);
        return 0;
    }
    cr_assert_eq(chmod(dir, 0711), 0); /* the server's user (not root) reaches dir/pg */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "sh tests/pg-server.sh start %s/pg", dir);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    cr_assert_not_null(fgets(server, (int)cap, p), "tests/pg-server.sh printed no connection string");
    server[strcspn(server, "\n")] = '\0';
    cr_assert_eq(pclose(p), 0, "tests/pg-server.sh start failed");
    return 1;
}

void pg_test_stop(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "sh tests/pg-server.sh stop %s/pg", dir);
    cr_expect_eq(system(cmd), 0);
}

void pg_test_new_database(const char *server, const char *name, char *out, size_t cap)
{
    PGconn *c = PQconnectdb(server);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    char sql[200];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'",
             name);
    PGresult *r = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    snprintf(out, cap, "%s dbname=%s", server, name);
}
