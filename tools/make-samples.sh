#!/bin/sh
# Builds the labelled sample set in samples/ (the tuning split): Swedish
# greetings and voicemails from espeak-ng through telephone channels, and
# every shape of a missing greeting. Writes samples/manifest.tsv:
#   file  kind  missing  reason  name  unit  org  text  classification
# (classification: the voicemail flag a records officer should see; - for greetings)
# Needs espeak-ng, sox and asterisk-core-sounds-en-wav (make deps).
set -eu
cd "$(dirname "$0")/.."
. tools/audio-lib.sh

OUT=samples
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$OUT"
rm -f "$OUT"/*.wav "$OUT"/*.ul "$OUT"/*.au "$OUT"/*.flac
M="$OUT/manifest.tsv"
printf 'file\tkind\tmissing\treason\tname\tunit\torg\ttext\tclassification\n' > "$M"

row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "${9:--}" >> "$M"; }

# greeting FILE VOICE SPEED PITCH ENC NAME UNIT ORG TEXT
greeting() {
    say "$2" "$3" "$4" "$9" "$W/g.wav"
    phone "$W/g.wav" "$OUT/$1" "$5"
    row "$1" greeting 0 - "$6" "$7" "$8" "$9"
}

greeting g01-anna-svensson.wav sv+f1 160 50 ulaw "Anna Svensson" "ekonomienheten" "Botkyrka kommun" \
  "Hej, du har kommit till Anna Svensson på ekonomienheten, Botkyrka kommun. Jag kan inte svara just nu. Lämna ett meddelande så ringer jag upp."
greeting g02-per-oskarsson.wav sv+m3 150 40 alaw "Per Oskarsson" "socialförvaltningen" "Essunga kommun" \
  "Socialförvaltningen i Essunga kommun, Per Oskarsson. Jag är tyvärr upptagen. Ring växeln eller lämna ett meddelande."
greeting g03-maria-lindqvist.wav sv+f3 170 60 gsm "Maria Lindqvist" "bygglovsenheten" "Falkenbergs kommun" \
  "Falkenbergs kommun, bygglovsenheten, Maria Lindqvist. Jag är på semester till och med fredag den fjärde december klockan tolv. Lämna gärna ett meddelande."
greeting g04-sjoberg.wav sv+m1 140 45 pcm "Göran Sjöberg" "barn- och utbildningsförvaltningen" "Lemlands kommun" \
  "Hej, det här är Göran Sjöberg på barn- och utbildningsförvaltningen i Lemlands kommun. Lämna ett meddelande efter tonen."
greeting g05-karin-ahlstrom.ul sv+f2 175 55 rawulaw "Karin Åhlström" "kommunstyrelsens kansli" "Norbergs kommun" \
  "Du har kommit till Karin Åhlström, kommunstyrelsens kansli i Norbergs kommun. Jag är inte på plats. Lämna ett meddelande så återkommer jag."
greeting g06-tjernberg.wav sv+m5 160 35 au "Erik Tjernberg" "tekniska förvaltningen" "Fagersta kommun" \
  "Erik Tjernberg, tekniska förvaltningen, Fagersta kommun. Jag är i möte hela dagen. Ring kundtjänst eller lämna ett meddelande."
greeting g07-lena-ek.wav sv+f4 150 65 flac16 "Lena Ek" "miljöenheten" "Grästorps kommun" \
  "Hej, Lena Ek på miljöenheten, Grästorps kommun. Jag är sjukskriven. Kontakta min kollega via växeln."
# A greeting with the PBX's record tone after it, and one with line noise.
say sv+m2 155 50 "Hej, du har nått Jonas Bergström på kultur- och fritidsförvaltningen. Lämna ett meddelande efter tonen." "$W/g8.wav"
phone "$W/g8.wav" "$W/g8p.wav" pcm
beep "$W/b.wav" 1000 0.4
concat "$W/g8c.wav" "$W/g8p.wav" "$W/b.wav"
$SOX "$W/g8c.wav" -e u-law "$OUT/g08-bergstrom-beep.wav"
row g08-bergstrom-beep.wav greeting 0 - "Jonas Bergström" "kultur- och fritidsförvaltningen" "" "greeting followed by the record tone"
say sv+f5 165 50 "Välkommen till Sofia Nyström, överförmyndarenheten, Botkyrka kommun. Lämna ett meddelande." "$W/g9.wav"
phone "$W/g9.wav" "$W/g9p.wav" pcm
mixnoise "$W/g9p.wav" "$W/g9n.wav" whitenoise 0.02
$SOX "$W/g9n.wav" -e u-law "$OUT/g09-nystrom-noisy.wav"
row g09-nystrom-noisy.wav greeting 0 - "Sofia Nyström" "överförmyndarenheten" "Botkyrka kommun" "greeting over line hiss"

# voicemail FILE VOICE SPEED PITCH ENC CLASSIFICATION TEXT
voicemail() {
    say "$2" "$3" "$4" "$7" "$W/v.wav"
    phone "$W/v.wav" "$OUT/$1" "$5"
    row "$1" voicemail 0 - "" "" "" "$7" "$6"
}
voicemail v01-bygglov.wav sv+m4 160 45 ulaw possible_public_record \
  "Hej, jag heter Lars Holm och ringer om mitt ärende om bygglov på Storgatan fem. Jag undrar när beslutet kommer. Ring mig på noll sju noll, ett två tre fyra fem sex."
voicemail v02-faktura.wav sv+f1 165 55 gsm possible_public_record \
  "Hej, det gäller faktura nummer fyrtiotvå tolv. Jag tror att beloppet är fel och vill göra en anmälan. Mitt namn är Eva Dahl."
voicemail v03-ring-mig.wav sv+m2 170 50 ulaw ephemeral "Hej, det är Peter. Ring mig."
voicemail v04-overklaga.wav sv+f3 155 60 alaw possible_public_record \
  "God morgon. Jag vill överklaga beslutet om skolskjuts för min dotter. Diarienumret är BUN tjugo tjugosex snedstreck fyrahundratolv."

# A hang-up: a breath of line noise, then nothing.
silence "$W/s.wav" 3
$SOX "$W/s.wav" "$W/s2.wav" synth 3 whitenoise vol 0.003 sinc 300-3400
$SOX "$W/s2.wav" -e u-law "$OUT/v05-hangup.wav"
row v05-hangup.wav voicemail 1 silence "" "" "" "hang-up: 3 s of faint line noise" empty
# A hang-up that recorded the busy tone.
$SOX -n -r 8000 -c 1 -b 16 "$W/busy.wav" synth 0.25 sine 425 vol 0.3 pad 0 0.25 repeat 5
$SOX "$W/busy.wav" -e u-law "$OUT/v06-busy.wav"
row v06-busy.wav voicemail 1 tone "" "" "" "busy tone after the caller hung up" empty

# Missing greetings, every shape.
: > "$OUT/m01-empty.wav"
row m01-empty.wav greeting 1 empty_recording "" "" "" "zero bytes"
silence "$W/sil.wav" 6
$SOX "$W/sil.wav" -e u-law "$OUT/m02-digital-silence.wav"
row m02-digital-silence.wav greeting 1 silence "" "" "" "6 s of digital silence"
$SOX -n -r 8000 -c 1 -b 16 "$W/hiss.wav" synth 8 whitenoise vol 0.05 sinc 300-3400
$SOX "$W/hiss.wav" -e u-law "$OUT/m03-line-hiss.wav"
row m03-line-hiss.wav greeting 1 noise "" "" "" "band-limited white noise"
$SOX -n -r 8000 -c 1 -b 16 "$W/brown.wav" synth 8 brownnoise vol 0.3 sinc 300-3400
$SOX "$W/brown.wav" -e a-law "$OUT/m04-brown-noise.wav"
row m04-brown-noise.wav greeting 1 noise "" "" "" "band-limited brown noise"
$SOX -n -r 8000 -c 1 -b 16 "$OUT/m05-beep.wav" synth 0.6 sine 950 vol 0.4 pad 0.3 2
row m05-beep.wav greeting 1 tone "" "" "" "one beep in silence"
$SOX -n -r 8000 -c 1 -b 16 "$W/busy2.wav" synth 0.25 sine 425 vol 0.3 pad 0 0.25 repeat 11
$SOX "$W/busy2.wav" -e gsm-full-rate "$OUT/m06-busy-tone.wav"
row m06-busy-tone.wav greeting 1 tone "" "" "" "Swedish busy tone, GSM"
$SOX -n -r 8000 -c 1 -b 16 "$W/dial.wav" synth 5 sine 425 vol 0.3
$SOX "$W/dial.wav" -e u-law "$OUT/m07-dial-tone.wav"
row m07-dial-tone.wav greeting 1 tone "" "" "" "Swedish dial tone"
dtmf "$W/d.wav" "1234#"
$SOX "$W/d.wav" -e u-law "$OUT/m08-dtmf.wav"
row m08-dtmf.wav greeting 1 dtmf "" "" "" "DTMF 1234#"
# The PBX's own default greeting: "The person at extension 2 4 1 is unavailable".
concat "$W/p.wav" "$ALLISON/vm-theperson.wav" "$ALLISON/digits/2.wav" "$ALLISON/digits/4.wav" \
    "$ALLISON/digits/1.wav" "$ALLISON/vm-isunavail.wav" "$ALLISON/vm-intro.wav"
$SOX "$W/p.wav" -e gsm-full-rate "$OUT/m09-system-prompt.wav"
row m09-system-prompt.wav greeting 1 system_prompt "" "" "" "Asterisk default unavailable greeting, GSM"
say sv+m3 160 50 "Hej." "$W/hej.wav"
phone "$W/hej.wav" "$W/hej8.wav" pcm pad 0.5 2
$SOX "$W/hej8.wav" -e u-law "$OUT/m10-just-hej.wav"
row m10-just-hej.wav greeting 1 too_little_speech "" "" "" "only 'Hej.'"

echo "samples: $(($(wc -l < "$M") - 1)) files in $OUT/"
