#!/bin/sh
# A lever measured by hand, not in make bench: the directory phone map
# learned from real recorded Swedish instead of espeak-ng's audio, leave-one-
# speaker-out. For each speaker of the real clips (bench/make-real-sets.sh),
# bench/learn_map learns the map from the other speakers' clips and
# bench/bench_real scores the held-out speaker with it.
# Usage: bench/real-map.sh REAL_DIR [BUILD_DIR]   (learn_map, bench_real built)
set -eu
REAL=$1; B=${2:-build}
cd "$(dirname "$0")/.."
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
for s in $(awk -F'\t' 'NR > 1 { print $2 }' "$REAL/manifest.tsv" | sort -u); do
    mkdir -p "$W/$s"
    cp -r models/. "$W/$s/"
    "$B/learn_map" --real --without "$s" "$REAL" "$W/$s/sv-arpabet-directory.map" > "$W/$s.counts"
    echo "== $s: map learned from the other speakers =="
    RV_BENCH_SPEAKER=$s "$B/bench_real" "$REAL" "$W/$s" | grep -E "^  (gcompris|ktuberling|wikispeech)" -A1 || true
done
