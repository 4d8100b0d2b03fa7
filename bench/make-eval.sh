#!/bin/sh
# Builds the held-out evaluation set in DIR (default build/eval). Nothing in
# it is used for tuning: other espeak-ng voices and texts, other noises,
# codecs and levels than samples/, and real recorded speech (the Asterisk
# prompts that are not vm-* prompts, so not in the reference set).
set -eu
cd "$(dirname "$0")/.."
. tools/audio-lib.sh
OUT=${1:-build/eval}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
rm -rf "$OUT"; mkdir -p "$OUT"
M="$OUT/manifest.tsv"
printf 'file\tkind\tmissing\treason\tname\tunit\torg\ttext\n' > "$M"
row() { printf '%s\t%s\t%s\t%s\t-\t-\t-\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "$M"; }
A=$ALLISON

# Synthetic Swedish speech, voices and texts not in samples/.
i=0
for spec in "sv+klatt 150 50" "sv+klatt4 170 40" "sv+m6 145 55" "sv+m7 160 35" "sv+Annie 165 60" \
            "sv+steph 155 50" "sv+max 150 45" "sv+iven3 160 50" "sv+grandma 140 55" "sv+norbert 175 50"; do
    set -- $spec
    for text in \
      "Hej, du har kommit till Ingrid Holmberg på skolförvaltningen i Vänersborgs kommun. Jag är upptagen, lämna ett meddelande." \
      "Välkommen, detta är Mikael Öberg, stadsbyggnadskontoret. Jag är på tjänsteresa, ring växeln om det är brådskande." \
      "Det här är Åsa Wikström på vård- och omsorgsförvaltningen. Jag är ledig till och med måndag. Tala in ditt ärende."; do
        i=$((i + 1))
        say "$1" "$2" "$3" "$text" "$W/s.wav"
        case $((i % 6)) in
            0) phone "$W/s.wav" "$OUT/syn$i.wav" ulaw ;;
            1) phone "$W/s.wav" "$OUT/syn$i.wav" gsm ;;
            2) phone "$W/s.wav" "$OUT/syn$i.wav" alaw vol 0.1 ;;
            3) phone "$W/s.wav" "$W/p.wav" pcm; mixnoise "$W/p.wav" "$W/n.wav" pinknoise 0.05
               $SOX "$W/n.wav" -e u-law "$OUT/syn$i.wav" ;;
            4) phone "$W/s.wav" "$W/p.wav" pcm; mixnoise "$W/p.wav" "$W/n.wav" whitenoise 0.03
               $SOX "$W/n.wav" -e gsm-full-rate "$OUT/syn$i.wav" ;;
            5) $SOX "$W/s.wav" -r 16000 "$OUT/syn$i.flac" ;;
        esac
        f=syn$i.wav; [ $((i % 6)) -eq 5 ] && f=syn$i.flac
        kind=greeting; [ $((i % 4)) -eq 0 ] && kind=voicemail
        row "$f" $kind 0 - "espeak-ng $1"
    done
done

# Real recorded speech: Asterisk prompts other than vm-*.
j=0
for group in "conf-adminmenu" "basic-pbx-ivr-main" "call-fwd-unconditional calling" \
             "conf-getconfno conf-getpin" "check-number-dial-again cannot-complete-as-dialed" \
             "all-circuits-busy-now call-waiting" "conf-usermenu" "agent-newlocation agent-pass" \
             "auth-incorrect auth-thankyou" "conf-waitforleader conf-onlyperson" \
             "call-fwd-on-busy conf-errormenu" "conf-placeintoconf conf-hasjoin"; do
    j=$((j + 1))
    files=""
    for g in $group; do files="$files $A/$g.wav"; done
    # shellcheck disable=SC2086
    concat "$W/r.wav" $files
    case $((j % 4)) in
        0) $SOX "$W/r.wav" -e u-law "$OUT/real$j.wav" ;;
        1) $SOX "$W/r.wav" -e gsm-full-rate "$OUT/real$j.wav" ;;
        2) mixnoise "$W/r.wav" "$W/n.wav" whitenoise 0.02; $SOX "$W/n.wav" -e a-law "$OUT/real$j.wav" ;;
        3) $SOX "$W/r.wav" -e u-law "$OUT/real$j.wav" vol 0.08 ;;
    esac
    kind=greeting; [ $((j % 3)) -eq 0 ] && kind=voicemail
    row "real$j.wav" $kind 0 - "Asterisk prompts: $group"
done

# Missing shapes, other parameters than samples/.
$SOX -n -r 8000 -c 1 -b 16 "$OUT/x-silence-dither.wav" trim 0 4 dither
row x-silence-dither.wav greeting 1 silence "dithered silence"
$SOX -n -r 16000 -c 1 -b 16 "$OUT/x-silence16k.flac" trim 0 3
row x-silence16k.flac greeting 1 silence "16 kHz FLAC silence"
$SOX -n -r 8000 -c 1 -b 16 "$W/pk.wav" synth 6 pinknoise vol 0.2 sinc 300-3400
$SOX "$W/pk.wav" -e u-law "$OUT/x-pink.wav"
row x-pink.wav greeting 1 noise "pink noise"
$SOX -n -r 8000 -c 1 -b 16 "$W/wn.wav" synth 6 whitenoise vol 0.3
$SOX "$W/wn.wav" -e gsm-full-rate "$OUT/x-white-gsm.wav"
row x-white-gsm.wav greeting 1 noise "loud white noise, GSM"
$SOX -n -r 8000 -c 1 -b 16 "$W/hum.wav" synth 5 square 50 vol 0.3 sinc 300-3400
$SOX "$W/hum.wav" -e a-law "$OUT/x-hum.wav"
row x-hum.wav greeting 1 noise "50 Hz buzz through the line"
$SOX -n -r 8000 -c 1 -b 16 "$W/cr.wav" synth 5 whitenoise vol 0.5 tremolo 3 100
$SOX "$W/cr.wav" -e u-law "$OUT/x-bursts.wav"
row x-bursts.wav voicemail 1 noise "noise bursts"
$SOX -n -r 8000 -c 1 -b 16 "$OUT/x-beep440.wav" synth 0.3 sine 440 vol 0.5 pad 1 1
row x-beep440.wav greeting 1 tone "440 Hz beep"
$SOX -n -r 8000 -c 1 -b 16 "$W/b2.wav" synth 0.2 sine 1400 vol 0.3 pad 0.2 0.2 repeat 2
$SOX "$W/b2.wav" -e gsm-full-rate "$OUT/x-beeps1400-gsm.wav"
row x-beeps1400-gsm.wav greeting 1 tone "three 1400 Hz beeps, GSM"
$SOX "$A/beep.wav" "$OUT/x-asterisk-beep.wav" pad 0.5 1
row x-asterisk-beep.wav greeting 1 tone "Asterisk's recorded beep"
$SOX -n -r 8000 -c 1 -b 16 "$W/bz.wav" synth 0.25 sine 425 vol 0.1 pad 0 0.25 repeat 15
$SOX "$W/bz.wav" -e a-law "$OUT/x-busy-quiet.wav"
row x-busy-quiet.wav voicemail 1 tone "quiet busy tone, A-law"
$SOX -n -r 8000 -c 1 -b 16 "$W/dl.wav" synth 8 sine 425 vol 0.2
$SOX "$W/dl.wav" -e gsm-full-rate "$OUT/x-dial-gsm.wav"
row x-dial-gsm.wav greeting 1 tone "dial tone, GSM"
$SOX -n -r 8000 -c 1 -b 16 "$W/cg.wav" synth 1 sine 425 vol 0.2 pad 0 4 repeat 1
$SOX "$W/cg.wav" -t ul "$OUT/x-ringback.ul"
row x-ringback.ul greeting 1 tone "ring-back tone, raw mu-law"
dtmf "$W/d1.wav" "0701234567"
$SOX "$W/d1.wav" -e gsm-full-rate "$OUT/x-dtmf-gsm.wav"
row x-dtmf-gsm.wav greeting 1 dtmf "DTMF number, GSM"
dtmf "$W/d2.wav" "*9#"
$SOX "$W/d2.wav" -e a-law "$OUT/x-dtmf-alaw.wav" pad 1 1
row x-dtmf-alaw.wav voicemail 1 dtmf "DTMF in silence, A-law"

# System prompts: real recordings, coded, noisy, quieter, embedded.
k=0
for p in "vm-nobodyavail" "vm-intro" "vm-theperson digits/5 digits/0 digits/3 vm-isonphone" \
         "vm-theperson digits/9 digits/9 vm-isunavail vm-intro" "vm-leavemsg"; do
    k=$((k + 1))
    files=""
    for g in $p; do files="$files $A/$g.wav"; done
    # shellcheck disable=SC2086
    concat "$W/sp.wav" $files
    $SOX "$W/sp.wav" -e u-law "$OUT/sp$k-ulaw.wav"
    row "sp$k-ulaw.wav" greeting 1 system_prompt "$p, mu-law"
    $SOX "$W/sp.wav" -e gsm-full-rate "$OUT/sp$k-gsm-quiet.wav" vol 0.2
    row "sp$k-gsm-quiet.wav" greeting 1 system_prompt "$p, GSM, -14 dB"
    mixnoise "$W/sp.wav" "$W/spn.wav" whitenoise 0.03
    $SOX "$W/spn.wav" -e a-law "$OUT/sp$k-noisy.wav"
    row "sp$k-noisy.wav" greeting 1 system_prompt "$p, white noise, A-law"
    $SOX "$W/sp.wav" -r 16000 "$OUT/sp$k-16k.flac" pad 1.5 0.5
    row "sp$k-16k.flac" greeting 1 system_prompt "$p, 16 kHz FLAC with leading silence"
done
say sv+m6 160 50 "Hej, det är Bo." "$W/bo.wav"
phone "$W/bo.wav" "$W/bo8.wav" pcm
concat "$W/spc.wav" "$W/bo8.wav" "$A/vm-isunavail.wav" "$A/vm-intro.wav"
$SOX "$W/spc.wav" -e u-law "$OUT/sp-after-name.wav"
row sp-after-name.wav greeting 1 system_prompt "owner's name, then the system prompt"

echo "eval: $(($(wc -l < "$M") - 1)) files in $OUT/"
