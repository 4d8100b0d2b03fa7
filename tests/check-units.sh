#!/bin/sh
# check-units.sh DEPLOY_DIR BIN: each systemd unit in DEPLOY_DIR against
# what its commands need. A command that mails (--mail), syncs a PBX
# (pbx-sync) or serves (serve) needs the network: no PrivateNetwork=yes, and
# AF_INET and AF_INET6 where RestrictAddressFamilies= is set. Under
# ProtectSystem=strict, every path a command writes (--out's folder,
# --state's folder, --data-dir) lies in a StateDirectory=, CacheDirectory=,
# LogsDirectory= or ReadWritePaths=. Then, where systemd-analyze is
# installed, `systemd-analyze verify` on the units as make install writes
# them (with BIN as the program). Prints each problem; exit 1 if any.
set -u
deploy=$1
bin=$2
fail=0
say() { echo "$1: $2"; fail=1; }

# value of the last KEY= line of unit $1 (systemd: the last one counts)
last() { sed -n "s/^$2=//p" "$1" | tail -n 1; }
# every value of KEY= lines of unit $1, space-separated
all() { sed -n "s/^$2=//p" "$1" | tr '\n' ' '; }
# the argument after each FLAG in the unit's commands
args() { sed -n 's/^Exec\(Start\|StartPre\|StartPost\)=//p' "$1" | tr ' ' '\n' | sed -n "/^$2\$/{n;p}"; }

for u in "$deploy"/*.service; do
    name=$(basename "$u")
    cmds=$(sed -n 's/^Exec\(Start\|StartPre\|StartPost\)=//p' "$u" | tr '\n' ' ')
    case " $cmds " in
    *" --mail "* | *" pbx-sync "* | *" serve "*)
        [ "$(last "$u" PrivateNetwork)" = yes ] && say "$name" "its command needs the network, but PrivateNetwork=yes"
        families=$(last "$u" RestrictAddressFamilies)
        if [ -n "$families" ]; then
            for f in AF_INET AF_INET6; do
                case " $families " in *" $f "*) ;; *) say "$name" "its command needs $f: RestrictAddressFamilies=$families" ;; esac
            done
        fi
        ;;
    esac
    [ "$(last "$u" ProtectSystem)" = strict ] || continue
    writable=""
    for d in $(all "$u" StateDirectory); do writable="$writable %S/$d"; done
    for d in $(all "$u" CacheDirectory); do writable="$writable %C/$d"; done
    for d in $(all "$u" LogsDirectory); do writable="$writable %L/$d"; done
    writable="$writable $(all "$u" ReadWritePaths)"
    [ "$(last "$u" PrivateTmp)" = yes ] && writable="$writable /tmp /var/tmp"
    for p in $(args "$u" --out | sed 's|/[^/]*$||') $(args "$u" --state | sed 's|/[^/]*$||') $(args "$u" --data-dir); do
        ok=0
        for w in $writable; do
            case "$p/" in "$w"/*) ok=1 ;; esac
        done
        [ $ok = 1 ] || say "$name" "writes $p, which ProtectSystem=strict keeps read-only (writable:$writable)"
    done
done

if command -v systemd-analyze >/dev/null 2>&1; then
    t=$(mktemp -d)
    mkdir -p "$t/bin"
    cp "$bin" "$t/bin/rostvakt"
    for u in "$deploy"/*.service "$deploy"/*.timer; do
        sed "s|@PREFIX@|$t|g" "$u" > "$t/$(basename "$u")"
    done
    if ! out=$(cd "$t" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify ./*.service ./*.timer 2>&1) || [ -n "$out" ]; then
        echo "systemd-analyze verify:"
        echo "$out"
        fail=1
    fi
    rm -rf "$t"
else
    echo "check-units: systemd-analyze not installed; only the rules above were checked"
fi
exit $fail
