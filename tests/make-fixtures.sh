#!/bin/sh
# Builds the audio fixtures the unit tests decode, into DIR: one 2 s 1 kHz
# sine at half scale in every container and encoding rostvakt reads, plus
# bad inputs and fingerprint queries. Uses sox (make deps installs it).
set -eu
OUT=${1:?usage: make-fixtures.sh DIR}
mkdir -p "$OUT"
S="sox -R -V1"
A=/usr/share/asterisk/sounds/en_US_f_Allison
cd "$OUT"

$S -n -r 8000 -c 1 -b 16 sine.wav synth 2 sine 1000 vol 0.5
$S sine.wav -b 8 -e unsigned-integer pcm8.wav
$S sine.wav -b 24 pcm24.wav
$S sine.wav -b 32 pcm32.wav
$S sine.wav -e floating-point -b 32 float.wav
$S sine.wav -e u-law ulaw.wav
$S sine.wav -e a-law alaw.wav
$S sine.wav -e gsm-full-rate gsm.wav
$S sine.wav -e ima-adpcm ima.wav
$S sine.wav -e ms-adpcm msadpcm.wav
$S sine.wav -t au -e u-law sine.au
$S sine.wav -t ul sine.ul
$S sine.wav -t al sine.al
$S sine.wav -t gsm sine.gsm
$S -n -r 16000 -c 1 -b 16 sine16k.flac synth 2 sine 1000 vol 0.5
$S -n -r 16000 -c 1 -b 16 sine.ogg synth 2 sine 1000 vol 0.5
$S -n -r 8000 -c 2 -b 16 stereo.wav synth 2 sine 1000 vol 0.5
$S -n -r 8000 -c 1 -b 16 long.wav synth 30 sine 1000 vol 0.5
# Above the 48 kHz the service accepts: small as FLAC, huge decoded.
$S -n -r 192000 -c 1 -b 16 rate192k.flac synth 2 sine 1000 vol 0.5
$S -n -r 48000 -c 1 -b 16 rate48k.flac synth 2 sine 1000 vol 0.5

# Bad input.
: > empty.wav
head -c 44 sine.wav > header-only.wav
head -c 20000 sine.wav > truncated.wav
head -c 3000 sine16k.flac > truncated.flac
head -c 8000 sine.au > truncated.au
head -c 30 sine.wav > cut-header.wav
head -c 8192 /dev/urandom > random.bin
printf 'Hej! Det här är inte ljud utan text.\n%.0s' $(seq 1 40) > text.wav
printf '<html><body>502 Bad Gateway</body></html>\n' > html.wav
# A WAV whose data chunk claims far more than is there.
cp sine.wav liar.wav
printf '\377\377\377\177' | dd of=liar.wav bs=1 seek=40 conv=notrunc 2>/dev/null
# A WAV that claims 2 channels at 0 Hz.
cp sine.wav badrate.wav
printf '\000\000\000\000' | dd of=badrate.wav bs=1 seek=24 conv=notrunc 2>/dev/null

# Fingerprint queries.
if [ -f "$A/vm-intro.wav" ]; then
    mkdir -p refs
    cp "$A/vm-intro.wav" "$A/vm-isunavail.wav" "$A/vm-theperson.wav" refs/
    : > refs/broken.wav
    $S "$A/vm-intro.wav" -e u-law fp-ulaw.wav
    $S "$A/vm-intro.wav" -e gsm-full-rate fp-gsm.wav
    $S "$A/vm-intro.wav" fp-quiet.wav vol 0.1
    $S -n -r 8000 -c 1 -b 16 fpnoise.wav synth "$(soxi -D "$A/vm-intro.wav")" whitenoise vol 0.03
    $S -m "$A/vm-intro.wav" fpnoise.wav fp-noisy.wav
    $S "$A/vm-theperson.wav" "$A/digits/7.wav" "$A/digits/1.wav" "$A/vm-isunavail.wav" fp-contains.wav pad 2 1
    $S "$A/conf-adminmenu.wav" fp-other.wav
fi

# Clean Swedish speech for the phrase-verification tests.
if command -v espeak-ng >/dev/null 2>&1; then
    espeak-ng -v sv -w asr-raw.wav "Hej, du har kommit till Anna Svensson på ekonomienheten. Lämna ett meddelande så ringer jag upp."
    $S asr-raw.wav -r 16000 asr-anna.wav
    espeak-ng -v sv -w asr-raw.wav "Hej, du har kommit till Anna Svensson på ekonomienheten. Jag är på semester till och med den fjärde december klockan tolv. Lämna ett meddelande."
    $S asr-raw.wav -r 16000 asr-absent.wav
    rm -f asr-raw.wav
fi
