#!/bin/sh
# make bench: clips of real recorded Swedish (../shared/speech-sv, used from
# there, never copied into the repository) for bench/bench_real.c. Each clip
# is a few of one speaker's recordings in a row, greeting-length, through a
# telephone channel (mu-law and GSM), and kept at 16 kHz (wideband, as G.722
# or Teams give it) where the recordings are at least that; the words in it
# are "said", the speaker's words in the next clip "not said". Recordings
# whose transcript is a guess are left out; read sentences are a clip each,
# every word of the other sentence of the same speaker not said
# (bench_real keeps the words of four letters or more).
# Usage: bench/make-real-sets.sh SPEECH_DIR OUT_DIR
# Writes OUT_DIR/manifest.tsv (clip, speaker, channel, said, not said; words
# '|'-separated, a word's other wording after '/'; then the templates of the
# said and the not-said words, '|'-separated, "-" for none; then the clip's
# kind, "words" or "sentence"); exits 0 without writing anything when
# SPEECH_DIR is missing.
# A word's template stands in for the owner's own recording of their name:
# the same recording, said a little slower and higher (sox tempo 0.92, pitch
# +40 cents), through the other channel with faint line noise. It is the
# same utterance, so the figures it gives are an upper bound.
set -eu
SPEECH=$1
OUT=$2
cd "$(dirname "$0")/.."
. tools/audio-lib.sh
rm -rf "$OUT"
if [ ! -f "$SPEECH/manifest.tsv" ]; then
    echo "make-real-sets: no real speech at $SPEECH" >&2
    exit 0
fi
mkdir -p "$OUT"
GROUP=5
# one line per usable recording: speaker, file, text, other wording
awk -F'\t' 'NR > 1 && $6 != "guess" { print $4 "\t" $1 "\t" $2 "\t" $3 }' "$SPEECH/manifest.tsv" |
    sort -t "$(printf '\t')" -k1,1 -k2,2 > "$OUT/items.tsv"
# group recordings into clips: words GROUP at a time, a sentence alone
awk -F'\t' -v g=$GROUP '
    function word(t, a) { return a != "" ? t "/" a : t }
    { sp[NR] = $1; f[NR] = $2; t[NR] = $3; a[NR] = $4; n = NR }
    END {
        c = 0
        for (i = 1; i <= n; ) {
            s = sp[i]; j = i
            while (j <= n && sp[j] == s) j++
            # recordings i .. j-1 of speaker s
            if (split(t[i], w, " ") > 3) {           # read sentences: one a clip
                for (k = i; k < j; k++) { c++; clip[c] = s; files[c] = f[k]; said[c] = ""; tmpl[c] = ""; kind[c] = "sentence"
                    m = split(t[k], w, " ")
                    for (x = 1; x <= m; x++) {
                        said[c] = said[c] (said[c] ? "|" : "") tolower(w[x]); tmpl[c] = tmpl[c] (tmpl[c] ? "|" : "") "-" } }
            } else {
                first = c + 1
                for (k = i; k < j; k += g) {
                    end = k + g; if (end > j || j - end < 3) end = j
                    c++; clip[c] = s; files[c] = ""; said[c] = ""; tmpl[c] = ""; kind[c] = "words"
                    for (x = k; x < end; x++) {
                        files[c] = files[c] (files[c] ? " " : "") f[x]
                        tn = f[x]; sub(/.*\//, "", tn); sub(/\.[a-z0-9]*$/, "", tn)
                        tmpl[c] = tmpl[c] (tmpl[c] ? "|" : "") "t-" tn ".wav"
                        said[c] = said[c] (said[c] ? "|" : "") word(t[x], a[x]) }
                    if (end == j) break
                }
            }
            i = j
        }
        # not said: the words of the next clip of the same speaker (wrapping)
        for (x = 1; x <= c; x++) {
            y = x + 1; if (y > c || clip[y] != clip[x]) { y = x; while (y > 1 && clip[y - 1] == clip[x]) y-- }
            printf "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x, clip[x], files[x], said[x], (y == x ? "" : said[y]),
                tmpl[x], (y == x ? "" : tmpl[y]), kind[x]
        }
    }' "$OUT/items.tsv" > "$OUT/clips.tsv"
printf 'file\tspeaker\tchannel\tsaid\tnot_said\tsaid_templates\tnot_said_templates\tkind\n' > "$OUT/manifest.tsv"
# every word's template (see above)
awk -F'\t' '{ print $2 }' "$OUT/items.tsv" | while read -r f; do
    [ "$(printf '%s' "$f" | wc -w)" -gt 0 ] || continue
    tn=$(basename "$f"); tn=${tn%.*}
    $SOX "$SPEECH/$f" -r 16000 -c 1 -b 16 "$OUT/tt.wav" tempo 0.92 pitch 40
    mixnoise "$OUT/tt.wav" "$OUT/tn.wav" pinknoise 0.003
    phone "$OUT/tn.wav" "$OUT/t-$tn.wav" gsm
    rm -f "$OUT/tt.wav" "$OUT/tn.wav"
done
while IFS="$(printf '\t')" read -r n speaker files said notsaid stmpl ntmpl kind; do
    set --
    wide=wide
    for f in $files; do
        set -- "$@" "$SPEECH/$f"
        [ "$(soxi -r "$SPEECH/$f")" -ge 16000 ] || wide=
    done
    # the recordings in a row, 0.4 s apart, with 0.5 s of quiet around
    parts=""
    i=0
    for f in "$@"; do
        $SOX "$f" -r 16000 -c 1 -b 16 "$OUT/p$i.wav" pad 0.2 0.2
        parts="$parts $OUT/p$i.wav"; i=$((i + 1))
    done
    # shellcheck disable=SC2086
    $SOX $parts "$OUT/clip.wav" pad 0.3 0.3
    # shellcheck disable=SC2086
    rm -f $parts
    for ch in ulaw gsm $wide; do
        if [ "$ch" = wide ]; then
            $SOX "$OUT/clip.wav" -r 16000 -c 1 -b 16 "$OUT/r$n-$ch.flac" norm -6
        else
            phone "$OUT/clip.wav" "$OUT/r$n-$ch.wav" "$ch" norm -6
        fi
        ext=wav; [ "$ch" = wide ] && ext=flac
        printf 'r%s-%s.%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$ch" "$ext" "$speaker" "$ch" "$said" "$notsaid" \
            "$stmpl" "$ntmpl" "$kind" >> "$OUT/manifest.tsv"
    done
    rm -f "$OUT/clip.wav"
done < "$OUT/clips.tsv"
rm -f "$OUT/items.tsv" "$OUT/clips.tsv"
