#!/bin/sh
# Query-by-example with a synthetic template: a copy of a bench_real set
# (bench/make-es-sets.sh's build/es, build/fr; bench/make-real-sets.sh's
# build/real) whose manifest names, for every trial word, espeak-ng's
# rendering of it as its template (columns said_templates and
# not_said_templates), through the clip's own channel and codec
# (tools/audio-lib.sh: 300-3400 Hz, 8 kHz, mu-law or GSM; wideband clips a
# 16 kHz copy). The clips are linked, not copied. bench_real with
# RV_BENCH_TMPL_PG=1 then matches each template on senone posteriorgrams
# (postgram.h) against its clip, as the service matches an owner's name.
# Words under TMPL_MIN_LETTERS (4) letters get no template ("-": bench_real
# scores none); 1 for Swedish clips of single words (trials of >= 4 phones).
# Usage: bench/make-tts-templates.sh SRC_SET OUT_SET VOICE [SPEED]
#   e.g. bench/make-tts-templates.sh /work/main/build/es build/tts-es es-419
# SPEED: espeak-ng's words a minute (175, its default). VOICE may list
# several voices ("es-419 es-419+m3 ..."): each word then gets one template
# a voice, joined with '+' in the manifest (bench_real takes the best fit).
# Writes OUT_SET/manifest.tsv, OUT_SET/tmpl/tNNN-CHANNEL.wav,
# OUT_SET/tmpl/words.tsv (id, word) and OUT_SET/synth-cpu.txt.
set -eu
SRC=$(cd "$1" && pwd)
OUT=$2
VOICE=$3
SPEED=${4:-175}
cd "$(dirname "$0")/.."
. tools/audio-lib.sh
mkdir -p "$OUT/tmpl"
for f in "$SRC"/*.wav "$SRC"/*.flac; do
    [ -e "$f" ] && ln -sf "$f" "$OUT/$(basename "$f")"
done
# the manifest with template columns; the list of (id, word, channel) to make
python3 - "$SRC/manifest.tsv" "$OUT" "${TMPL_MIN_LETTERS:-4}" "$VOICE" <<'PY'
import sys
src, out, min_letters, voices = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split()
ids, need = {}, set()
rows = []
for line in open(src, encoding='utf-8'):
    f = line.rstrip('\n').split('\t')
    if f[0] == 'file' or len(f) < 5:
        rows.append(f)
        continue
    while len(f) < 8:
        f.append('-' if len(f) < 7 else 'words')
    chan = f[2]
    for col, tcol in ((3, 5), (4, 6)):
        names = []
        for w in f[col].split('|') if f[col] else []:
            w0 = w.split('/')[0]
            if len(w0) < min_letters:
                names.append('-')
                continue
            i = ids.setdefault(w0, len(ids))
            names.append('+'.join(f'tmpl/t{i:04d}-v{k}-{chan}.wav' if len(voices) > 1 else f'tmpl/t{i:04d}-{chan}.wav'
                                  for k in range(len(voices))))
            for k in range(len(voices)):
                need.add((i, w0, chan, k))
        f[tcol] = '|'.join(names) if names else '-'
    rows.append(f)
with open(f'{out}/manifest.tsv', 'w', encoding='utf-8') as o:
    for f in rows:
        o.write('\t'.join(f) + '\n')
with open(f'{out}/tmpl/words.tsv', 'w', encoding='utf-8') as o:
    for w, i in sorted(ids.items(), key=lambda x: x[1]):
        o.write(f'{i:04d}\t{w}\n')
with open(f'{out}/tmpl/need.tsv', 'w', encoding='utf-8') as o:
    for i, w, c, k in sorted(need):
        o.write(f'{i:04d}\t{w}\t{c}\t{k}\t{voices[k]}\t' +
                (f'tmpl/t{i:04d}-v{k}' if len(voices) > 1 else f'tmpl/t{i:04d}') + '\n')
PY
start=$(date +%s.%N)
n=0
while IFS="$(printf '\t')" read -r id word chan k voice base; do
    out="$OUT/$base-$chan.wav"
    [ -s "$out" ] && continue
    raw="$OUT/$base.raw.wav"
    [ -s "$raw" ] || espeak-ng -v "$voice" -s "$SPEED" -w "$raw" "$word"
    case "$chan" in
        wide) $SOX "$raw" -r 16000 -c 1 -b 16 "$out" ;;
        *) phone "$raw" "$out" "$chan" ;;
    esac
    n=$((n + 1))
done < "$OUT/tmpl/need.tsv"
end=$(date +%s.%N)
echo "$n templates ($VOICE, $SPEED wpm) in $(echo "$end - $start" | bc) s wall" | tee "$OUT/synth-cpu.txt"
