#!/bin/sh
# make bench: real recorded sentences in another language, the method's real
# problem (a language the US English model was not trained on, spelled by
# espeak-ng and mapped onto its phones, a real voice through the telephone
# band) with hundreds of sentences where Swedish has two. Debian's Asterisk
# prompts: asterisk-core-sounds-es-wav (Mexican Spanish, one professional
# voice, 8 kHz) and asterisk-core-sounds-fr-wav (Canadian French), their
# transcripts in asterisk-core-sounds-es / -fr (core-sounds-LANG.txt.gz,
# "name: text"). The packages are fetched with `apt-get download` (no root;
# it needs the Debian archive) into CACHE (build/cache/asterisk-sounds),
# never into the repository; without them the script says so and writes
# nothing.
#
# Usage: bench/make-es-sets.sh es|fr OUT_DIR [CACHE]
# Every prompt of four words or more is a clip ("read sentences", as
# bench/make-real-sets.sh makes them for Swedish), through mu-law and GSM
# (RV_BENCH_ES_CHANNELS="ulaw gsm");
# PER (2; RV_BENCH_ES_PER) of its words of four letters or more are said
# trials, PER of the next prompt of the same half not said (less the words
# of the prompt itself), each picked by a hash of prompt and word, so the
# same on every run: all of them would take bench_real hours on a shared machine.
# The prompts, sorted by name, are split by position into two fixed halves:
# odd (1st, 3rd, ...) the tune half ("LANG-tune", where statistics are chosen
# and the phone map learned), even the test half ("LANG-test"), the half being
# bench_real's speaker. For French only the test half is scored: its tune half
# serves the map's learning from synthetic speech only (below), so no
# French recording enters any choice. RV_BENCH_ES_TUNE=1 makes the French
# tune half's real clips as well (bench/install-es.sh: an installation's
# own adaptation and reviews, the rules fixed on Spanish); bench-es.sh
# makes the sets without it.
# OUT_DIR/manifest.tsv is bench/make-real-sets.sh's (file, speaker, channel,
# said, not said, templates "-", kind "sentence") and two more columns, the
# prompt's words in the order said and those of the next prompt of the same
# half ('|'), for bench_real's name-length phrases; OUT_DIR/learn/manifest.tsv
# the same for espeak-ng (voice es-419 or fr, four variants in turn, rates
# 140-175) speaking the tune half's texts through mu-law and GSM: what
# bench/learn_map --real learns the language's directory map from, as the
# Swedish one was learned from espeak-ng speech.
set -eu
LANG_=$1
OUT=$2
CACHE=${3:-build/cache/asterisk-sounds}
PER=${RV_BENCH_ES_PER:-2}
CHANNELS=${RV_BENCH_ES_CHANNELS:-ulaw gsm}
cd "$(dirname "$0")/.."
. tools/audio-lib.sh
case "$LANG_" in
    es) VOICEDIR=es_MX_f_Allison; ESPEAK=es-419 ;;
    fr) VOICEDIR=fr_CA_f_June; ESPEAK=fr ;;
    *) echo "usage: make-es-sets.sh es|fr OUT_DIR [CACHE]" >&2; exit 64 ;;
esac
rm -rf "$OUT"
mkdir -p "$CACHE"
for p in asterisk-core-sounds-$LANG_ asterisk-core-sounds-$LANG_-wav; do
    ls "$CACHE"/${p}_*.deb >/dev/null 2>&1 && continue
    if ! (cd "$CACHE" && apt-get download "$p" >/dev/null 2>&1); then
        echo "make-es-sets: could not fetch $p (apt-get download needs the Debian archive)" >&2
        exit 0
    fi
done
X=$CACHE/x-$LANG_
if [ ! -d "$X" ]; then
    mkdir -p "$X.tmp"
    for d in "$CACHE"/asterisk-core-sounds-${LANG_}_*.deb "$CACHE"/asterisk-core-sounds-${LANG_}-wav_*.deb; do
        dpkg-deb -x "$d" "$X.tmp"
    done
    mv "$X.tmp" "$X"
fi
SOUNDS=$X/usr/share/asterisk/sounds/$VOICEDIR
TEXT=$X/usr/share/doc/asterisk-core-sounds-$LANG_/core-sounds-$LANG_.txt.gz
mkdir -p "$OUT/learn"
# clips.tsv: n, prompt, half, text (as spoken), its words ('|', lower case,
# letters only), the said words scored, the not-said words scored (of the
# next prompt of the same half, wrapping, less the prompt's own words; "-"
# for none, as the shell's read joins empty fields), the prompt's and the
# next prompt's words in the order said ('|')
gzip -dc "$TEXT" | python3 -c '
import hashlib, os, re, sys
lang, sounds, PER = sys.argv[1], sys.argv[2], int(sys.argv[3])
prompts = []
for line in sys.stdin:
    line = line.rstrip("\n")
    if line.startswith(";") or ": " not in line:
        continue
    name, text = line.split(": ", 1)
    text = text.strip()
    if text.startswith("[") or not os.path.exists(os.path.join(sounds, name + ".wav")):
        continue
    words = [w for w in re.split(r"[^\w'\''-]+", text.lower()) if w]
    if len(words) < 4:
        continue
    # the words a trial is made of: letters (and an apostrophe or hyphen inside)
    said = [w.strip("'\''-") for w in words if re.fullmatch(r"[^\W\d_]+(['\''-][^\W\d_]+)*", w)]
    said = list(dict.fromkeys(said))  # each word once
    prompts.append((name, " ".join(words), said))
prompts.sort()
halves = {"tune": prompts[0::2], "test": prompts[1::2]}
def pick(words, name):  # up to PER words of four letters or more, the same on every run
    long = [w for w in words if len(w) >= 4]
    return sorted(long, key=lambda w: hashlib.md5((name + "/" + w).encode()).hexdigest())[:PER]
n = 0
for half in ("tune", "test"):
    ps = halves[half]
    for i, (name, text, said) in enumerate(ps):
        n += 1
        nxt = [w for w in ps[(i + 1) % len(ps)][2] if w not in said]
        print("%d\t%s\t%s-%s\t%s\t%s\t%s\t%s\t%s\t%s" % (n, name, lang, half, text, "|".join(said),
                                                    "|".join(pick(said, name)) or "-", "|".join(pick(nxt, name)) or "-",
                                                    text.replace(" ", "|"),
                                                    ps[(i + 1) % len(ps)][1].replace(" ", "|")))
' "$LANG_" "$SOUNDS" "$PER" > "$OUT/clips.tsv"
printf 'file\tspeaker\tchannel\tsaid\tnot_said\tsaid_templates\tnot_said_templates\tkind\n' > "$OUT/learn/manifest.tsv"
printf 'file\tspeaker\tchannel\tsaid\tnot_said\tsaid_templates\tnot_said_templates\tkind\tsaid_text\tnot_said_text\n' \
    > "$OUT/manifest.tsv"
# templates: none ("-" for each word)
dashes() { printf '%s' "$1" | awk -F'|' '{ s = ""; for (i = 1; i <= NF; i++) s = s (i > 1 ? "|" : "") "-"; print s }'; }
v=0
while IFS="$(printf '\t')" read -r n name speaker text allsaid said notsaid seq nextseq; do
    # French: the test half only (the tune half is for the map's learning),
    # unless RV_BENCH_ES_TUNE=1
    if [ "$LANG_" = es ] || [ "$speaker" = "$LANG_-test" ] || [ "${RV_BENCH_ES_TUNE:-0}" = 1 ]; then
        $SOX "$SOUNDS/$name.wav" -r 16000 -c 1 -b 16 "$OUT/clip.wav" pad 0.5 0.5
        for ch in $CHANNELS; do
            phone "$OUT/clip.wav" "$OUT/p$n-$ch.wav" "$ch" norm -6
            printf 'p%s-%s.wav\t%s\t%s\t%s\t%s\t%s\t%s\tsentence\t%s\t%s\n' "$n" "$ch" "$speaker" "$ch" "$said" \
                "$notsaid" "$(dashes "$said")" "$(dashes "$notsaid")" "$seq" "$nextseq" >> "$OUT/manifest.tsv"
        done
        rm -f "$OUT/clip.wav"
    fi
    # espeak-ng speaking the tune half, for the map
    if [ "$speaker" = "$LANG_-tune" ]; then
        v=$((v + 1))
        case $((v % 4)) in 0) var="" ;; 1) var=+m3 ;; 2) var=+f2 ;; *) var=+f4 ;; esac
        say "$ESPEAK$var" $((140 + (v % 8) * 5)) 50 "$text" "$OUT/learn/s.wav"
        $SOX "$OUT/learn/s.wav" "$OUT/learn/clip.wav" pad 0.5 0.5
        ch=ulaw; [ $((v % 2)) = 0 ] && ch=gsm
        phone "$OUT/learn/clip.wav" "$OUT/learn/e$n-$ch.wav" "$ch" norm -6
        printf 'e%s-%s.wav\tespeak-%s\t%s\t%s\t\t-\t-\tsentence\n' "$n" "$ch" "$LANG_" "$ch" "$allsaid" >> "$OUT/learn/manifest.tsv"
        rm -f "$OUT/learn/s.wav" "$OUT/learn/clip.wav"
    fi
done < "$OUT/clips.tsv"
