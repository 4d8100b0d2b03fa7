#!/bin/sh
# Who calls whom across the library's files, from the objects' symbols
# (nm): an edge A -> B when A.o uses a name B.o defines. Prints the edges,
# or with --check only finds a cycle, and fails on one naming its files.
# A file's arrows point down: a cycle is two files that each need the
# other (docs/code.md draws the layers).
# The store's files (store_*.c, sharing src/store_int.h) are one module
# and one node: the files of a module may call each other.
# Usage: tools/import-graph.sh [--check] [OBJDIR]   (default build/obj)
set -eu
CHECK=0
[ "${1:-}" = "--check" ] && { CHECK=1; shift; }
DIR=${1:-build/obj}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for o in "$DIR"/*.o; do
    f=$(basename "$o" .o)
    [ "$f" = main ] && continue
    case $f in store_*) f=store ;; esac
    nm --defined-only -g "$o" | awk -v f="$f" 'NF == 3 { print $3, f }' >> "$T/defs"
    nm -u "$o" | awk -v f="$f" '{ print $NF, f }' >> "$T/uses"
done
sort -u "$T/defs" > "$T/defs.s"
sort -u "$T/uses" > "$T/uses.s"
# symbol user  x  symbol definer  ->  user definer
join "$T/uses.s" "$T/defs.s" | awk '$2 != $3 { print $2, $3 }' | sort -u > "$T/edges"
if [ "$CHECK" = 0 ]; then
    awk '{ print $1 " -> " $2 }' "$T/edges"
    exit 0
fi
# tsort names the files of a loop on stderr
if ! tsort "$T/edges" > /dev/null 2> "$T/loop"; then
    echo "import-graph: a cycle among the library's files (A -> B: A calls B):" >&2
    grep -v "input contains a loop" "$T/loop" | sed 's/^tsort: /  /' | awk '!seen[$0]++' >&2
    exit 1
fi
echo "import-graph: $(wc -l < "$T/edges") calls between files, no cycle"
