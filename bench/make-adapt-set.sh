#!/bin/sh
# One installation's greetings for the adaptation's learning curve
# (bench/adapt-curve.sh): twelve espeak-ng voice variants that neither the
# tune nor the test split uses (all from the broad split's list), one
# organisation, rates 120-220 and pitches 15-85, levels -3..-20 dBFS, some
# pink noise, G.711 mu-law, A-law and GSM in turn.
#   pool/      POOL mailboxes (default 1000), one current greeting each, most
#              stating name and unit, some not (as an installation's are):
#              what rostvakt adapt learns from. pool.tsv: ext first last
#              unit file; pool-wb/ the same speech as 16 kHz FLAC.
#   heldout/   40 other mailboxes of the same voices, other names and units
#              (two directories of 20), five greetings each as the broad
#              split's (positive, no name, no unit, a colleague's name, a
#              name from outside): scored, never learned from; manifest.tsv
#              as bench/make-asr-sets.sh's. heldout-wb/ the same as 16 kHz
#              FLAC (channel "other").
# Usage: bench/make-adapt-set.sh [DIR] [POOL] (default build/adapt)
set -eu
cd "$(dirname "$0")/.."
. tools/audio-lib.sh
OUT=${1:-build/adapt}
POOL=${2:-1000}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
rm -rf "$OUT"
mkdir -p "$OUT/pool" "$OUT/pool-wb" "$OUT/heldout" "$OUT/heldout-wb"
VOICES="adam belinda boris caleb edward gustave iven2 Lee pablo steph2 f5 m2"
ORG="Solgårdens kommun"
# the pool's names and units: first names x surnames, unit stems x endings
FIRST="Agnes Albert Alice Anton Arne Axel Barbro Bengt Berit Birger Dagny Einar Elof Elsa Erland Filippa Folke Frans
Gerda Greta Gustaf Hilda Holger Ingvar Irma Jenny Josef Karolina Konrad Lilly Lovisa Ludvig Margit Nils Olle Rut
Sten Svea Tage Valter"
LAST="Andersson Berggren Björklund Carlsson Dahlberg Ekberg Engström Fors Gran Hallberg Hedberg Holm Isaksson
Jakobsson Kvarnström Lind Lundin Mattsson Nord Nyberg Palm Rosén Sandberg Sjöstrand Skog Stenberg Ström Sundqvist
Wahlström Åkerman"
STEM="barn bygg ekonomi fastighets fritids gatu hälso kultur kost lokal löne mark miljö natur omsorgs park plan
personal rädd skol social stads teknik trafik utbildnings vatten vård äldre idrotts förskole"
END="förvaltningen enheten avdelningen kontoret nämnden centralen gruppen teamet sektionen servicen"
# the held-out mailboxes: the broad split's first 40 names and units
NAMES="Hampus Lindqvist;Sigrid Åberg;Emil Fransson;Tuva Nordqvist;Gösta Hellman;Moa Sjöberg;Ivar Lundmark;Selma Öhrling;Edvin Karlström;Alma Wennberg;Melker Dahlqvist;Stina Borg;Theo Ekwall;Juni Frisk;Arvid Strömqvist;Wilma Grönlund;Loke Hedin;Saga Lindgren;Ture Alm;Majken Sjödahl;\
Bertil Nyman;Ester Rosengren;Folke Lindmark;Hedvig Sandström;Viggo Blomqvist;Ines Tallberg;Elton Höglund;Signe Vikström;Otto Berglöf;Livia Söderlund;Vidar Ekelund;Tyra Håkansson;Harry Jonsson;Ebba Forsman;Sixten Åman;Molly Lundberg;Malte Engdahl;Freja Nordlund;Gunnar Bäckström;Elvira Tornberg"
UNITS="samhällsbyggnadsförvaltningen;kundcenter;löneservice;skolhälsovården;byggnadsnämndens kansli;gymnasiesärskolan;näringslivsavdelningen;stadsmiljöavdelningen;äldrelotsen;kommunhälsan;\
fritidsverksamheten;energi- och klimatrådgivningen;arbetsmarknadsavdelningen;vuxenenheten;barn och unga;fastighetskontoret;trafikkontoret;kulturförvaltningen;IT-enheten;upphandlingsavdelningen;\
socialjouren;hemvården;korttidsboendet;personlig assistans;dagverksamheten;anhörigstödet;demensteamet;hälsocentralen;ungdomsmottagningen Gläntan;familjerätten;\
ekonomiförvaltningen;kommunikationsavdelningen;säkerhetsavdelningen;miljöförvaltningen;markenheten;hamnförvaltningen;biblioteksförvaltningen;kulturarvsenheten;badhuset;idrottsplatsen"
OUTSIDERS="Rolf Andersson;Siri Pettersson;Kalle Nilsson;Doris Larsson;Ove Johansson;Birgit Olsson"
echo "$UNITS" | tr ';' '\n' > "$W/held-units"
nv=$(echo $VOICES | wc -w); nf=$(echo $FIRST | wc -w); nl=$(echo $LAST | wc -w)
ns=$(echo $STEM | wc -w); ne=$(echo $END | wc -w)
pick() { echo $2 | tr ' ' '\n' | sed -n "$1p"; }

# speak C TEXT WAV16: greeting number C (voice, rate, pitch, noise turn with it)
speak() {
    c=$1
    v=$(pick $(( (c - 1) % nv + 1 )) "$VOICES")
    say "sv+$v" $((120 + (c * 37) % 101)) $((15 + (c * 23) % 71)) "$2" "$W/s.wav"
    if [ $((c % 3)) -eq 1 ]; then mixnoise "$W/s.wav" "$W/n.wav" pinknoise 0.012; mv "$W/n.wav" "$W/s.wav"; fi
    $SOX "$W/s.wav" "$3" norm -"$(echo "3 6 10 14 20" | cut -d' ' -f$(( c % 5 + 1 )))"
}
# line C IN OUT: the telephone codec of greeting number C; prints the channel
line() {
    case $(( $1 % 3 )) in
        0) phone "$2" "$3" ulaw; echo ulaw ;;
        1) phone "$2" "$3" alaw; echo ulaw ;;
        *) phone "$2" "$3" gsm; echo gsm ;;
    esac
}

printf 'ext\tfirst\tlast\tunit\tfile\n' > "$OUT/pool.tsv"
i=0; c=0
while [ $i -lt "$POOL" ]; do
    i=$((i + 1)); c=$((c + 1))
    first=$(pick $(( (i - 1) % nf + 1 )) "$FIRST")
    last=$(pick $(( ((i - 1) / nf + (i - 1)) % nl + 1 )) "$LAST")
    k=0
    while :; do # a unit of the pool's own, none of the held-out ones
        unit=$(pick $(( (i - 1 + k) % ns + 1 )) "$STEM")$(pick $(( ((i - 1) / ns + k) % ne + 1 )) "$END")
        grep -qxF "$unit" "$W/held-units" || break
        k=$((k + 1))
    done
    name="$first $last"
    case $((i % 10)) in
        0|3|6) t="Hej, du har kommit till $name på $unit, $ORG. Lämna ett meddelande så ringer jag upp." ;;
        1|4) t="$ORG, $unit, $name. Jag är inte på plats just nu, tala in ett meddelande." ;;
        2|5) t="Välkommen, det här är $name från $unit. Jag kan inte svara nu, lämna ett meddelande efter tonen." ;;
        7) t="Hej, $name här, $unit på $ORG. Jag är på semester, ring växeln." ;;
        8) t="Hej, du har kommit till $unit. Vi kan inte svara just nu, lämna ett meddelande." ;;
        *) t="Hej, det här är $name. Jag är på möte, lämna gärna ett meddelande." ;;
    esac
    speak $c "$t" "$W/lv.wav"
    f=$(printf 'p%04d' $i)
    line $c "$W/lv.wav" "$OUT/pool/$f.wav" > /dev/null
    $SOX "$W/lv.wav" -r 16000 -c 1 -b 16 "$OUT/pool-wb/$f.flac"
    printf '%d\t%s\t%s\t%s\t%s\n' $((20000 + i)) "$first" "$last" "$unit" "$f" >> "$OUT/pool.tsv"
    if [ -t 2 ]; then printf "\r  pool: %d/%d" $i "$POOL" >&2; fi
done
if [ -t 2 ]; then printf '\n' >&2; fi

for d in heldout heldout-wb; do
    printf 'file\tchannel\tname\tunit\tname_said\tunit_said\ttext\tprompted\n' > "$OUT/$d/manifest.tsv"
done
i=0
c=1000 # the held-out greetings' voices, rates and lines whatever POOL is
while [ $i -lt 40 ]; do
    i=$((i + 1))
    name=$(echo "$NAMES" | cut -d';' -f$i)
    unit=$(echo "$UNITS" | cut -d';' -f$i)
    b=$(( (i - 1) / 20 * 20 )); l=$(( (i - 1) % 20 ))
    other=$(echo "$NAMES" | cut -d';' -f$(( b + (l + 7) % 20 + 1 )))
    outsider=$(echo "$OUTSIDERS" | cut -d';' -f$(( i % 6 + 1 )))
    for shape in pos noname nounit othername outsider; do
        c=$((c + 1))
        case $shape-$((c % 3)) in
            pos-0) t="Hej, du har kommit till $name på $unit, $ORG. Lämna ett meddelande så ringer jag upp." ;;
            pos-1) t="$ORG, $unit, $name. Jag är på semester till och med fredag, ring växeln." ;;
            pos-*) t="Välkommen, det här är $name från $unit. Jag kan inte svara nu, tala in ett meddelande." ;;
            noname-*) t="Hej, du har kommit till $unit på $ORG. Vi kan inte svara just nu, lämna ett meddelande." ;;
            nounit-*) t="Hej, det här är $name. Jag är på möte, lämna gärna ett meddelande efter tonen." ;;
            othername-*) t="Hej, du har kommit till $other på $unit. Lämna ett meddelande." ;;
            outsider-*) t="Hej, det här är $outsider på $unit, $ORG. Jag ringer upp så snart jag kan." ;;
        esac
        case $shape in pos) nsd=1; usd=1 ;; noname|othername|outsider) nsd=0; usd=1 ;; *) nsd=1; usd=0 ;; esac
        pr=1; [ $shape = outsider ] && pr=0
        speak $c "$t" "$W/lv.wav"
        f="g$i-$shape"
        ch=$(line $c "$W/lv.wav" "$OUT/heldout/$f.wav")
        $SOX "$W/lv.wav" -r 16000 -c 1 -b 16 "$OUT/heldout-wb/$f.flac"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$f.wav" $ch "$name" "$unit" $nsd $usd "$t" $pr \
            >> "$OUT/heldout/manifest.tsv"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$f.flac" other "$name" "$unit" $nsd $usd "$t" $pr \
            >> "$OUT/heldout-wb/manifest.tsv"
    done
done
echo "adapt set: $POOL greetings to learn from, 200 held out (and each at 16 kHz) in $OUT"
