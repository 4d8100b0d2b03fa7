#!/bin/sh
# Run a command with a throwaway PostgreSQL 15 (tests/pg-server.sh) whose
# connection string is in RV_TEST_PG; the server is stopped and its folder
# removed afterwards, whatever the command did. Exits with its status.
#   tests/with-pg.sh CMD [ARG]...
set -u
# In memory (/dev/shm) when it has room for a whole test run's databases
# (each test's a database of its own: a few GB, gone with the server), on
# /tmp otherwise.
parent=/tmp
shm=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
if [ "${shm:-0}" -gt 6000000 ]; then parent=/dev/shm; fi
dir=$(mktemp -d "$parent/rv-pgtest-XXXXXX") || exit 1
chmod 711 "$dir" # the server's own user reaches $dir/pg
trap 'sh "$(dirname "$0")/pg-server.sh" stop "$dir/pg"; rm -rf "$dir"' EXIT
trap 'exit 143' INT TERM
# fsync off unless RV_PG_SETTINGS says otherwise: the tests examine what the
# service asks of PostgreSQL (a commit before each answer, synchronous_commit
# on), never whether PostgreSQL's own files survive the machine's crash; a
# killed node or a stopped server leaves the page cache as it was.
RV_PG_SETTINGS=${RV_PG_SETTINGS:--c fsync=off}
export RV_PG_SETTINGS
RV_TEST_PG=$(sh "$(dirname "$0")/pg-server.sh" start "$dir/pg") || exit 1
export RV_TEST_PG
"$@"
