#!/bin/sh
# make bench: same-speaker repeats of real recorded words for
# bench/bench_template.c, from Debian's Asterisk prompts (one professional
# voice a language, 8 kHz): English, Spanish and French. The packages are
# taken with apt-get download into CACHE (under build/, never into git) and
# unpacked there; nothing is installed.
# A prompt whose whole transcript is one word of four letters or more stands
# for the owner's recorded name (a word said alone); it is searched in other
# prompts of the same voice that say it among other words (said) and in
# prompts that do not (not said: no word of theirs contains it or, of four
# letters or more, is contained in it). Up to PER said and PER not-said
# prompts a template, drawn with a fixed seed; prompts of more than 12 s and
# the recorded silences are left out. Every file goes through a 300-3400 Hz
# telephone channel and mu-law (tools/audio-lib.sh), as a PBX gives both.
# Usage: bench/make-template-sets.sh CACHE OUT_DIR
# Writes OUT_DIR/trials.tsv: language, template file, prompt file, 1 said /
# 0 not said, the word; exits 0 without writing it when the packages cannot
# be had (no network).
set -eu
CACHE=$1
OUT=$2
PER=${PER:-10}
cd "$(dirname "$0")/.."
. tools/audio-lib.sh
mkdir -p "$CACHE"
for l in en es fr; do
    for p in "asterisk-core-sounds-$l" "asterisk-core-sounds-$l-wav"; do
        if ! ls "$CACHE/${p}_"*.deb >/dev/null 2>&1; then
            (cd "$CACHE" && apt-get download "$p" >/dev/null 2>&1) || {
                echo "make-template-sets: cannot download $p" >&2
                exit 0
            }
        fi
        [ -f "$CACHE/x/.$p" ] || { dpkg-deb -x "$CACHE/${p}_"*.deb "$CACHE/x" && touch "$CACHE/x/.$p"; }
    done
done
rm -rf "$OUT"
mkdir -p "$OUT/audio"
python3 - "$CACHE/x" "$OUT" "$PER" <<'EOF'
import gzip, os, random, re, sys
root, out, per = sys.argv[1], sys.argv[2], int(sys.argv[3])
voices = {'en': 'en_US_f_Allison', 'es': 'es_MX_f_Allison', 'fr': 'fr_CA_f_June'}
rows, files = [], set()
for lang, voice in voices.items():
    snd = f'{root}/usr/share/asterisk/sounds/{voice}'
    words = {}
    with gzip.open(f'{root}/usr/share/doc/asterisk-core-sounds-{lang}/core-sounds-{lang}.txt.gz', 'rt',
                   encoding='utf-8', errors='replace') as f:
        for line in f:
            if line.startswith(';') or ':' not in line:
                continue
            name, text = line.split(':', 1)
            name = name.strip()
            path = f'{snd}/{name}.wav'
            if '[' in text or name.startswith('silence/') or not os.path.isfile(path) or os.path.getsize(path) > 44 + 12 * 16000:
                continue
            words[name] = re.findall(r'[^\W\d_]+', text.lower())
    rng = random.Random(20261207)
    for name in sorted(words):
        ws = words[name]
        if len(ws) != 1 or len(ws[0]) < 4:
            continue
        w = ws[0]
        said = sorted(m for m, o in words.items() if m != name and len(o) > 1 and w in o)
        if not said:
            continue
        other = sorted(m for m, o in words.items() if len(o) > 1 and
                       not any(w in t or (len(t) >= 4 and t in w) for t in o))
        said = rng.sample(said, min(per, len(said)))
        other = rng.sample(other, min(per, len(other)))
        for m, label in [(m, 1) for m in sorted(said)] + [(m, 0) for m in sorted(other)]:
            rows.append((lang, f'{snd}/{name}.wav', f'{snd}/{m}.wav', label, w))
            files.add(f'{snd}/{name}.wav')
            files.add(f'{snd}/{m}.wav')
def local(p):
    rel = p.split('/sounds/', 1)[1]
    return os.path.join(out, 'audio', rel.replace('/', '_'))
with open(os.path.join(out, 'files.tsv'), 'w') as f:
    for p in sorted(files):
        f.write(f'{p}\t{local(p)}\n')
with open(os.path.join(out, 'trials.tsv.tmp'), 'w', encoding='utf-8') as f:
    for lang, t, c, label, w in rows:
        f.write(f'{lang}\t{local(t)}\t{local(c)}\t{label}\t{w}\n')
EOF
while IFS="$(printf '\t')" read -r src dst; do
    phone "$src" "$dst" ulaw
done < "$OUT/files.tsv"
mv "$OUT/trials.tsv.tmp" "$OUT/trials.tsv"
