#!/bin/sh
# Rewrites the route table of docs/api.md from the program's own table
# (src/api_routes.c, printed by build/tools/routes-markdown), between its
# two marker lines, so that the documentation never disagrees with it.
# Usage: tools/readme-routes.sh ROUTES-MARKDOWN [FILE]
set -eu
BIN=$1
DOC=${2:-docs/api.md}
BEGIN='<!-- routes: made by `make readme` from src/api_routes.c -->'
END='<!-- end of routes -->'
grep -qxF "$BEGIN" "$DOC" && grep -qxF "$END" "$DOC" || {
    echo "readme-routes: $DOC lacks the routes markers" >&2; exit 1; }
T=$(mktemp)
trap 'rm -f "$T" "$T.table"' EXIT
"$BIN" > "$T.table"
awk -v b="$BEGIN" -v e="$END" -v t="$T.table" '
    $0 == b { print; while ((getline l < t) > 0) print l; skip = 1; next }
    $0 == e { skip = 0 }
    !skip { print }' "$DOC" > "$T"
cat "$T" > "$DOC"
