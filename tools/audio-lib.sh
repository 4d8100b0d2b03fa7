# Shared sox/espeak-ng helpers for tools/make-samples.sh, tools/adapt-model.sh
# (RV_ADAPT_LINE=telephone) and the bench's set makers.
# Every sox call runs with -R (repeatable dither and noise), so the same
# script gives the same files.

SOX="sox -R -V1"
ALLISON=/usr/share/asterisk/sounds/en_US_f_Allison

# say VOICE SPEED PITCH TEXT OUT: Swedish speech from espeak-ng, 16 kHz mono.
say() {
    espeak-ng -v "$1" -s "$2" -p "$3" -w "$5.tmp.wav" "$4"
    $SOX "$5.tmp.wav" -r 16000 -c 1 -b 16 "$5"
    rm -f "$5.tmp.wav"
}

# phone IN OUT ENCODING [extra sox effects]: through a 300-3400 Hz telephone
# channel to 8 kHz, coded as ulaw | alaw | gsm | pcm | rawulaw | au | flac16.
phone() {
    in=$1; out=$2; enc=$3; shift 3
    tmp="$out.band.wav"
    $SOX "$in" -r 8000 -c 1 -b 16 "$tmp" sinc 300-3400 "$@"
    case "$enc" in
        ulaw) $SOX "$tmp" -e u-law "$out" ;;
        alaw) $SOX "$tmp" -e a-law "$out" ;;
        gsm) $SOX "$tmp" -e gsm-full-rate "$out" 2>/dev/null || $SOX "$tmp" -t wav -e gsm "$out" ;;
        pcm) $SOX "$tmp" -e signed-integer -b 16 "$out" ;;
        rawulaw) $SOX "$tmp" -t ul "$out" ;;
        au) $SOX "$tmp" -t au -e u-law "$out" ;;
        flac16) $SOX "$in" -r 16000 -c 1 -b 16 "$out" ;;
        *) echo "phone: unknown encoding $enc" >&2; return 1 ;;
    esac
    rm -f "$tmp"
}

# mixnoise IN OUT KIND LEVEL: add noise (whitenoise|pinknoise|brownnoise)
# at linear amplitude LEVEL, band-limited like a line.
mixnoise() {
    d=$(soxi -D "$1")
    $SOX -n -r "$(soxi -r "$1")" -c 1 -b 16 "$2.n.wav" synth "$d" "$3" vol "$4" sinc 300-3400
    $SOX -m "$1" "$2.n.wav" "$2"
    rm -f "$2.n.wav"
}

# beep OUT FREQ SECONDS: a PBX record tone, 8 kHz.
beep() { $SOX -n -r 8000 -c 1 -b 16 "$1" synth "$3" sine "$2" vol 0.4; }

# silence OUT SECONDS
silence() { $SOX -n -r 8000 -c 1 -b 16 "$1" trim 0 "$2"; }

# dtmf OUT DIGITS: each digit 100 ms on, 100 ms off.
dtmf() {
    out=$1; digits=$2; parts=""; i=0
    while [ -n "$digits" ]; do
        d=${digits%"${digits#?}"}; digits=${digits#?}
        case "$d" in
            1) r=697; c=1209 ;; 2) r=697; c=1336 ;; 3) r=697; c=1477 ;;
            4) r=770; c=1209 ;; 5) r=770; c=1336 ;; 6) r=770; c=1477 ;;
            7) r=852; c=1209 ;; 8) r=852; c=1336 ;; 9) r=852; c=1477 ;;
            0) r=941; c=1336 ;; '*') r=941; c=1209 ;; '#') r=941; c=1477 ;;
        esac
        $SOX -n -r 8000 -c 1 -b 16 "$out.$i.wav" synth 0.1 sine $r sine $c remix - vol 0.35 pad 0 0.1
        parts="$parts $out.$i.wav"; i=$((i + 1))
    done
    # shellcheck disable=SC2086
    $SOX $parts "$out"
    # shellcheck disable=SC2086
    rm -f $parts
}

# concat OUT IN...: join recordings (resampled to 8 kHz).
concat() {
    out=$1; shift; parts=""; i=0
    for f in "$@"; do
        $SOX "$f" -r 8000 -c 1 -b 16 "$out.c$i.wav"; parts="$parts $out.c$i.wav"; i=$((i + 1))
    done
    # shellcheck disable=SC2086
    $SOX $parts "$out"
    # shellcheck disable=SC2086
    rm -f $parts
}
