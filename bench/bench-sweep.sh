#!/bin/sh
# make bench: the sweep over synthetic archives of two sizes (bench/bench_sweep.c),
# to show its time and that its memory does not grow with the archive.
set -eu
LOAD=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
for size in "2000 20000" "20000 200000"; do
    set -- $size
    "$LOAD" seed "$W/a$1" "$1" "$2"
    "$LOAD" run "$W/a$1"
done
