#!/bin/sh
# A broader test split of greetings for phrase verification (make bench),
# never tuned on: every natural Swedish voice variant of espeak-ng that the
# tune split does not use, rates 110-230 words a minute and pitches 10-90,
# levels from -2 to -25 dBFS, line noise (none, pink, babble made of other
# greetings, 50 Hz mains hum), channels G.711 mu-law and A-law, GSM 06.10,
# linear PCM and 16 kHz FLAC, wordings with the organisation and with absence
# text, and impostors: a colleague of the same directory, or a name from
# outside it. Three directories of 20 mailboxes, names and units of their own.
# Usage: bench/make-broad-set.sh [DIR] (default build/asr/broad)
# manifest.tsv as bench/make-asr-sets.sh's (file channel name unit name_said
# unit_said text prompted); channel is ulaw for G.711 (A-law too), gsm, or
# other (PCM, FLAC), which picks the thresholds.
set -eu
cd "$(dirname "$0")/.."
. tools/audio-lib.sh
OUT=${1:-build/asr/broad}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
rm -rf "$OUT"
mkdir -p "$OUT"
M="$OUT/manifest.tsv"
printf 'file\tchannel\tname\tunit\tname_said\tunit_said\ttext\tprompted\n' > "$M"

VOICES="adam Alex Andrea aunty belinda benjamin boris caleb david edward Gene gustave Hugo iven iven2 iven4 Jacky john
Lee marcelo Marco Mario Mike Nguyen pablo paul pedro quincy rob robert steph2 steph3 Storm zac f2 f5 grandpa klatt3
klatt4 klatt5 klatt6 m2 m4 norbert sandro shelby travis victor m8 grandma"
NAMES="Hampus Lindqvist;Sigrid Åberg;Emil Fransson;Tuva Nordqvist;Gösta Hellman;Moa Sjöberg;Ivar Lundmark;Selma Öhrling;Edvin Karlström;Alma Wennberg;Melker Dahlqvist;Stina Borg;Theo Ekwall;Juni Frisk;Arvid Strömqvist;Wilma Grönlund;Loke Hedin;Saga Lindgren;Ture Alm;Majken Sjödahl;\
Bertil Nyman;Ester Rosengren;Folke Lindmark;Hedvig Sandström;Viggo Blomqvist;Ines Tallberg;Elton Höglund;Signe Vikström;Otto Berglöf;Livia Söderlund;Vidar Ekelund;Tyra Håkansson;Harry Jonsson;Ebba Forsman;Sixten Åman;Molly Lundberg;Malte Engdahl;Freja Nordlund;Gunnar Bäckström;Elvira Tornberg;\
Ragnar Holmström;Cornelia Fagerström;Isak Westin;Nellie Sjöholm;Leo Granström;Vilma Rydell;Lukas Björnström;Julia Hägg;Adrian Sandell;Thea Lindahl;Milo Åkesson;Ella Wikman;Elias Rönnberg;Maja Ljungqvist;Noah Sundell;Astrid Boman;William Ek;Ellie Falk;Liam Öberg;Olivia Hammarberg"
UNITS="samhällsbyggnadsförvaltningen;kundcenter;löneservice;skolhälsovården;byggnadsnämndens kansli;gymnasiesärskolan;näringslivsavdelningen;stadsmiljöavdelningen;äldrelotsen;kommunhälsan;\
fritidsverksamheten;energi- och klimatrådgivningen;arbetsmarknadsavdelningen;vuxenenheten;barn och unga;fastighetskontoret;trafikkontoret;kulturförvaltningen;IT-enheten;upphandlingsavdelningen;\
socialjouren;hemvården;korttidsboendet;personlig assistans;dagverksamheten;anhörigstödet;demensteamet;hälsocentralen;ungdomsmottagningen Gläntan;familjerätten;\
ekonomiförvaltningen;kommunikationsavdelningen;säkerhetsavdelningen;miljöförvaltningen;markenheten;hamnförvaltningen;biblioteksförvaltningen;kulturarvsenheten;badhuset;idrottsplatsen;\
stadsarkivet;lönekontoret;skatteavdelningen;juridiska enheten;HR-centrum;utbildningsförvaltningen;förskoleenheten Björken;skolskjutsplaneringen;matematikcentrum;elevhälsoteamet;\
kommunstyrelseförvaltningen;serviceenheten;kontaktcentret;växeln;receptionen Stadshuset;registratorsfunktionen;kommunfullmäktiges kansli;valkansliet;informationssäkerhetsenheten;dataskyddsfunktionen"
ORGS="Solgårdens kommun;Norrbyns kommun;Region Västerskog"
OUTSIDERS="Rolf Andersson;Siri Pettersson;Kalle Nilsson;Doris Larsson;Ove Johansson;Birgit Olsson"
n=60
i=0
c=0
nv=$(echo $VOICES | wc -w)
while [ $i -lt $n ]; do
    i=$((i + 1))
    name=$(echo "$NAMES" | cut -d';' -f$i)
    unit=$(echo "$UNITS" | cut -d';' -f$i)
    dirn=$(( (i - 1) / 20 ))
    org=$(echo "$ORGS" | cut -d';' -f$((dirn + 1)))
    b=$((dirn * 20)); l=$(( (i - 1) % 20 ))
    other=$(echo "$NAMES" | cut -d';' -f$(( b + (l + 7) % 20 + 1 )))
    outsider=$(echo "$OUTSIDERS" | cut -d';' -f$(( i % 6 + 1 )))
    for shape in pos noname nounit othername outsider; do
        c=$((c + 1))
        v=$(echo $VOICES | tr ' ' '\n' | sed -n "$(( (c - 1) % nv + 1 ))p")
        case $shape-$((c % 4)) in
            pos-0) t="Hej, du har kommit till $name på $unit, $org. Lämna ett meddelande så ringer jag upp." ;;
            pos-1) t="$org, $unit, $name. Jag är på semester till och med fredag, ring växeln." ;;
            pos-2) t="Välkommen, det här är $name från $unit. Jag kan inte svara nu, tala in ett meddelande." ;;
            pos-*) t="Hej, $name här, $unit på $org. Jag är tjänstledig, kontakta min kollega." ;;
            noname-*) t="Hej, du har kommit till $unit på $org. Vi kan inte svara just nu, lämna ett meddelande." ;;
            nounit-*) t="Hej, det här är $name. Jag är på möte, lämna gärna ett meddelande efter tonen." ;;
            othername-*) t="Hej, du har kommit till $other på $unit. Lämna ett meddelande." ;;
            outsider-*) t="Hej, det här är $outsider på $unit, $org. Jag ringer upp så snart jag kan." ;;
        esac
        pr=1
        case $shape-$((c % 4)) in outsider-*) pr=0 ;; esac
        case $shape in pos) ns=1; us=1 ;; noname|othername|outsider) ns=0; us=1 ;; *) ns=1; us=0 ;; esac
        say "sv+$v" $((110 + (c * 37) % 121)) $((10 + (c * 23) % 81)) "$t" "$W/s.wav"
        case $((c % 4)) in
            1) mixnoise "$W/s.wav" "$W/n.wav" pinknoise 0.015; mv "$W/n.wav" "$W/s.wav" ;;
            2) # babble: two other greetings under it, 18 dB down
               if [ -f "$W/prev1.wav" ] && [ -f "$W/prev2.wav" ]; then
                   d=$(soxi -D "$W/s.wav")
                   $SOX -m "$W/prev1.wav" "$W/prev2.wav" "$W/b.wav" trim 0 "$d" vol 0.125
                   $SOX -m "$W/s.wav" "$W/b.wav" "$W/n.wav"; mv "$W/n.wav" "$W/s.wav"
               fi ;;
            3) d=$(soxi -D "$W/s.wav")
               $SOX -n -r 16000 -c 1 -b 16 "$W/h.wav" synth "$d" sine 50 sine 150 sine 250 remix - vol 0.02
               $SOX -m "$W/s.wav" "$W/h.wav" "$W/n.wav"; mv "$W/n.wav" "$W/s.wav" ;;
        esac
        [ -f "$W/prev1.wav" ] && cp "$W/prev1.wav" "$W/prev2.wav"
        cp "$W/s.wav" "$W/prev1.wav"
        # the channel and level turn with the mailbox too, so that every shape
        # meets every codec and level
        level=$(echo "2 6 12 18 25" | cut -d' ' -f$(( (c + 2 * i) % 5 + 1 )))
        $SOX "$W/s.wav" "$W/lv.wav" norm -"$level"
        case $(( (c + i) % 5 )) in
            0) enc=ulaw; ch=ulaw; ext=wav ;;
            1) enc=alaw; ch=ulaw; ext=wav ;;
            2) enc=gsm; ch=gsm; ext=wav ;;
            3) enc=pcm; ch=other; ext=wav ;;
            *) enc=flac16; ch=other; ext=flac ;;
        esac
        f="b$i-$shape.$ext"
        phone "$W/lv.wav" "$OUT/$f" $enc
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$f" $ch "$name" "$unit" $ns $us "$t" $pr >> "$M"
    done
    if [ -t 2 ]; then printf "\r  broad: %d/%d mailboxes" $i $n >&2; fi
done
if [ -t 2 ]; then printf '\n' >&2; fi
echo "broad set: $(($(wc -l < "$M") - 1)) greetings in $OUT"
