#!/bin/sh
# `make bench`: figures, never a pass/fail on timing.
#  1. verdicts on the held-out evaluation set (bench/make-eval.sh), which
#     nothing was tuned on;
#  2. decode + analysis speed on 8 kHz mu-law, one thread, beside sox stat.
set -eu
BIN=${1:-build/rostvakt}
BENCH=${2:-build/bench_analyze}
cd "$(dirname "$0")/.."
EVAL=build/eval
echo "== held-out evaluation set =="
sh bench/make-eval.sh "$EVAL" >/dev/null
M="$EVAL/manifest.tsv"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for kind in greeting voicemail; do
    files=$(awk -F'\t' -v k=$kind 'NR>1 && $2==k {print "'"$EVAL"'/" $1}' "$M")
    # shellcheck disable=SC2086
    "$BIN" analyze --kind $kind --format tsv $files 2>/dev/null | awk 'NR>1' >> "$T/out.tsv" || true
done
awk -F'\t' 'FNR==NR { if (FNR>1) { want[$1]=($3=="1") ? $4 : "-"; kind[$1]=$2 } ; next }
    { f=$1; sub(/.*\//, "", f); got = ($3=="MISSING") ? $4 : ($3=="ERROR" ? "error" : "-");
      w = want[f];
      if (w == "-") { pos++; if (got != "-") { fm++; printf "  wrongly missing: %s (%s)\n", f, got } }
      else { shape[w]++; if (got != "-") found[w]++; else printf "  missed: %s (%s)\n", f, w;
             if (got == w) right[w]++ } }
    END {
      printf "  %-20s %6s %9s %12s\n", "missing shape", "files", "detected", "right reason";
      for (s in shape) printf "  %-20s %6d %8.0f%% %11.0f%%\n", s, shape[s], 100*found[s]/shape[s], 100*right[s]/shape[s];
      printf "  real greetings/voicemails wrongly called missing: %d of %d (%.1f%%; target <= 2%%)\n", fm, pos, 100*fm/pos;
    }' "$M" "$T/out.tsv"

echo
echo "== speed: 8 kHz mu-law, one thread =="
A=/usr/share/asterisk/sounds/en_US_f_Allison
i=0
for g in "conf-adminmenu basic-pbx-ivr-main conf-usermenu" "vm-instructions vm-options vm-msginstruct"; do
    for k in 1 2 3 4 5; do
        i=$((i + 1))
        files=""
        for f in $g; do files="$files $A/$f.wav"; done
        # About a minute each: speech, pauses, speech again.
        # shellcheck disable=SC2086
        sox -R -V1 $files $files "$T/s$i.wav" pad 0 2
        sox -R -V1 "$T/s$i.wav" -e u-law "$T/b$i.wav"
        rm -f "$T/s$i.wav"
    done
done
"$BENCH" "$T"/b*.wav
total=$(for f in "$T"/b*.wav; do soxi -D "$f"; done | awk '{s+=$1} END {print s}')
start=$(date +%s.%N)
for f in "$T"/b*.wav; do sox "$f" -n stat 2>/dev/null; done
end=$(date +%s.%N)
echo "$total $start $end" | awk '{printf "  reference: sox FILE -n stat %8.0fx real time (wall clock, %.0f s of audio)\n", $1/($3-$2), $1}'
start=$(date +%s.%N)
"$BIN" analyze --jobs 1 --kind voicemail --no-keywords "$T"/b*.wav > /dev/null
end=$(date +%s.%N)
echo "$total $start $end" | awk '{printf "  rostvakt analyze --kind voicemail %5.0fx real time (wall clock, whole process, --no-keywords)\n", $1/($3-$2)}'
start=$(date +%s.%N)
"$BIN" analyze --jobs 1 --kind greeting "$T"/b*.wav > /dev/null 2>&1 || true
end=$(date +%s.%N)
echo "$total $start $end" | awk '{printf "  rostvakt analyze --kind greeting  %5.0fx real time (wall clock, with prompt loading)\n", $1/($3-$2)}'
start=$(date +%s.%N)
"$BIN" analyze --kind greeting "$T"/b*.wav > /dev/null 2>&1 || true
end=$(date +%s.%N)
echo "$total $start $end $(nproc)" | awk '{printf "  rostvakt analyze --kind greeting  %5.0fx real time (wall clock, all %d cores)\n", $1/($3-$2), $4}'
