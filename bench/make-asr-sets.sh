#!/bin/sh
# Builds the labelled phrase-verification sets into DIR (default build/asr):
# tune/ (names, units, voices used while choosing the method and thresholds)
# and test/ (other names, units, voices, never used for choosing anything).
# Each greeting is either a positive (states the mailbox's name and unit), omits
# the name, omits the unit, or states another person's name or another unit.
# Every greeting goes through an 8 kHz G.711 mu-law or GSM 6.10 channel.
# manifest.tsv: file channel name unit name_said unit_said text
set -eu
cd "$(dirname "$0")/.."
. tools/audio-lib.sh
OUT=${1:-build/asr}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# split VOICES NAMES UNITS: NAMES and UNITS are ';'-separated, same count.
build() {
    dir=$1; voices=$2; names=$3; units=$4
    rm -rf "$OUT/$dir"; mkdir -p "$OUT/$dir"
    M="$OUT/$dir/manifest.tsv"
    printf 'file\tchannel\tname\tunit\tname_said\tunit_said\ttext\n' > "$M"
    n=$(echo "$names" | tr ';' '\n' | wc -l)
    i=0
    while [ $i -lt "$n" ]; do
        i=$((i + 1))
        name=$(echo "$names" | cut -d';' -f$i)
        unit=$(echo "$units" | cut -d';' -f$i)
        j=$((i % n + 1))
        other=$(echo "$names" | cut -d';' -f$j)
        ounit=$(echo "$units" | cut -d';' -f$j)
        v=$(echo "$voices" | tr ' ' '\n' | sed -n "$(( (i - 1) % $(echo "$voices" | wc -w) + 1 ))p")
        k=0
        for shape in pos noname nounit othername otherunit; do
            k=$((k + 1))
            case $shape in
                pos) t="Hej, du har kommit till $name på $unit. Lämna ett meddelande så ringer jag upp."; ns=1; us=1 ;;
                noname) t="Hej, du har kommit till $unit. Jag kan inte svara just nu, lämna ett meddelande."; ns=0; us=1 ;;
                nounit) t="Hej, det här är $name. Jag är upptagen, lämna ett meddelande efter tonen."; ns=1; us=0 ;;
                othername) t="Hej, du har kommit till $other på $unit. Lämna ett meddelande."; ns=0; us=1 ;;
                otherunit) t="$ounit, $name. Jag är inte på plats just nu, ring växeln."; ns=1; us=0 ;;
            esac
            say "$v" 160 50 "$t" "$W/s.wav"
            for ch in ulaw gsm; do
                f="g$i-$shape-$ch.wav"
                phone "$W/s.wav" "$OUT/$dir/$f" $ch
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$f" $ch "$name" "$unit" $ns $us "$t" >> "$M"
            done
        done
    done
}

build tune "sv+m1 sv+f1 sv+m3 sv+f3 sv+m5" \
  "Anna Svensson;Per Oskarsson;Maria Lindqvist;Göran Sjöberg;Karin Åhlström;Erik Tjernberg;Lena Ek;Jonas Bergström" \
  "ekonomienheten;socialförvaltningen;bygglovsenheten;barn- och utbildningsförvaltningen;kommunstyrelsens kansli;tekniska förvaltningen;miljöenheten;kultur- och fritidsförvaltningen"
build test "sv+klatt sv+m6 sv+Annie sv+steph sv+max sv+iven3" \
  "Ingrid Holmberg;Mikael Öberg;Åsa Wikström;Fredrik Nyqvist;Sara Johansson;Björn Hägglund;Elin Sandberg;Tomas Kjellberg" \
  "skolförvaltningen;stadsbyggnadskontoret;vård- och omsorgsförvaltningen;överförmyndarenheten;personalavdelningen;räddningstjänsten;fastighetsenheten;arbetsmarknadsenheten"
echo "asr sets: $(($(wc -l < "$OUT/tune/manifest.tsv") - 1)) tune, $(($(wc -l < "$OUT/test/manifest.tsv") - 1)) test files in $OUT"
