#!/bin/sh
# Rewrites the settings table of docs/settings.md from `rostvakt config
# --markdown`, between its two marker lines, so that the documentation never
# disagrees with the settings table in src/config.c.
# Usage: tools/readme-config.sh BIN [FILE]
set -eu
BIN=$1
README=${2:-docs/settings.md}
BEGIN='<!-- settings: made by `make readme` from `rostvakt config --markdown` -->'
END='<!-- end of settings -->'
grep -qxF "$BEGIN" "$README" && grep -qxF "$END" "$README" || {
    echo "readme-config: $README lacks the settings markers" >&2; exit 1; }
T=$(mktemp)
trap 'rm -f "$T" "$T.table"' EXIT
"$BIN" config --markdown > "$T.table"
awk -v b="$BEGIN" -v e="$END" -v t="$T.table" '
    $0 == b { print; while ((getline l < t) > 0) print l; skip = 1; next }
    $0 == e { skip = 0 }
    !skip { print }' "$README" > "$T"
cat "$T" > "$README"
