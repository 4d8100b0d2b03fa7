#!/bin/sh
# Checks a submission package (PKG: its folder, named after its OBJID, or
# the tar the service answers, holding that folder) the way a receiving
# e-archive would: every METS.xml valid against METS 1.12 offline,
# and the CSIP/SIP requirements that matter on top of it: OBJID = folder
# name, TYPE, PROFILE, OAISPACKAGETYPE, the software agent, fileSec and
# mdRef checksums that match the files, relative paths that stay inside the
# package, structMap labels. Prints one line a failure; exit 1 if any.
# Usage: tests/check-package.sh PKG|PKG.tar [SCHEMA_DIR]
set -u
pkg=${1:?usage: check-package.sh PKG|PKG.tar [SCHEMA_DIR]}
schemas=${2:-$(dirname "$0")/../models/eark}
fail=0
bad() { echo "check-package: $*"; fail=1; }
if [ -f "$pkg" ]; then # a tar: its one folder, unpacked beside nothing else
    tmp=$(mktemp -d) || exit 1
    trap 'rm -rf "$tmp"' EXIT
    tar -xf "$pkg" -C "$tmp" 2>"$tmp/.tar-error" || { echo "check-package: $pkg is not a tar: $(head -c 300 "$tmp/.tar-error")"; exit 1; }
    rm -f "$tmp/.tar-error"
    set -- "$tmp"/*
    [ $# -eq 1 ] && [ -d "$1" ] || { echo "check-package: $pkg does not hold one folder"; exit 1; }
    pkg=$1
fi
x() { xmllint --nonet --xpath "$2" "$1" 2>/dev/null; }
N='namespace-uri()="http://www.loc.gov/METS/"'

for mets in "$pkg/METS.xml" "$pkg"/representations/*/METS.xml; do
    [ -f "$mets" ] || { bad "no $mets"; continue; }
    XML_CATALOG_FILES=$schemas/catalog.xml xmllint --nonet --noout --schema "$schemas/package.xsd" "$mets" \
        >/dev/null 2>"$pkg.xmllint" || bad "$mets is not valid METS: $(head -c 600 "$pkg.xmllint")"
    rm -f "$pkg.xmllint"
    dir=$(dirname "$mets")
    [ -n "$(x "$mets" 'string(/*[local-name()="mets"]/@TYPE)')" ] || bad "$mets: no TYPE (CSIP2)"
    [ "$(x "$mets" 'string(/*[local-name()="mets"]/@PROFILE)')" = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml" ] ||
        bad "$mets: PROFILE is not E-ARK SIP's (CSIP6/SIP)"
    [ "$(x "$mets" 'string(//*[local-name()="metsHdr"]/@*[local-name()="OAISPACKAGETYPE"])')" = SIP ] ||
        bad "$mets: metsHdr OAISPACKAGETYPE is not SIP (CSIP9)"
    [ -n "$(x "$mets" 'string(//*[local-name()="metsHdr"]/@CREATEDATE)')" ] || bad "$mets: no CREATEDATE (CSIP7)"
    [ "$(x "$mets" 'string(//*[local-name()="agent"][@ROLE="CREATOR" and @TYPE="OTHER" and @OTHERTYPE="SOFTWARE"]/*[local-name()="note"]/@*[local-name()="NOTETYPE"])')" = "SOFTWARE VERSION" ] ||
        bad "$mets: no creating software agent with its version (CSIP10-16)"
    [ "$(x "$mets" 'string(//*[local-name()="structMap"]/@LABEL)')" = CSIP ] || bad "$mets: structMap LABEL is not CSIP (CSIP82)"
    [ "$(x "$mets" 'string(//*[local-name()="structMap"]/@TYPE)')" = PHYSICAL ] || bad "$mets: structMap TYPE is not PHYSICAL"
    # every referenced file: inside the package, there, with its size and SHA-256
    n=$(x "$mets" "count(//*[local-name()='file' or local-name()='mdRef'])")
    [ "${n:-0}" -gt 0 ] || bad "$mets: references no file"
    i=1
    while [ "$i" -le "${n:-0}" ]; do
        node="(//*[local-name()='file' or local-name()='mdRef'])[$i]"
        href=$(x "$mets" "string($node/descendant-or-self::*[@*[local-name()='href']][1]/@*[local-name()='href'])")
        sum=$(x "$mets" "string($node/@CHECKSUM)")
        type=$(x "$mets" "string($node/@CHECKSUMTYPE)")
        size=$(x "$mets" "string($node/@SIZE)")
        case "$href" in
        '' | /* | *..* | *://*) bad "$mets: href '$href' is not a relative path inside the package" ;;
        *)
            f="$dir/$href"
            if [ ! -f "$f" ]; then bad "$mets: $href is not there"
            else
                [ "$type" = SHA-256 ] || bad "$mets: $href: CHECKSUMTYPE $type"
                [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$sum" ] || bad "$mets: $href: checksum does not match"
                [ "$(wc -c <"$f" | tr -d ' ')" = "$size" ] || bad "$mets: $href: SIZE does not match"
            fi
            ;;
        esac
        i=$((i + 1))
    done
done

root="$pkg/METS.xml"
objid=$(x "$root" 'string(/*[local-name()="mets"]/@OBJID)')
[ "$objid" = "$(basename "$pkg")" ] || bad "OBJID '$objid' is not the folder's name (CSIP1)"
[ "$(x "$root" 'string(//*[local-name()="structMap"]/*[local-name()="div"]/@LABEL)')" = "$objid" ] ||
    bad "the structMap's top div LABEL is not the OBJID"
for label in Metadata Representations/rep1 Representations/rep2; do
    [ "$(x "$root" "count(//*[local-name()='structMap']//*[local-name()='div'][@LABEL='$label'])")" = 1 ] ||
        bad "the structMap has no div LABEL=$label"
done
for d in metadata/descriptive metadata/preservation metadata/other representations/rep1/data representations/rep2/data; do
    [ -d "$pkg/$d" ] || bad "no $d/"
done
[ "$(x "$root" "count(//*[local-name()='dmdSec'][@ID and @CREATED and @STATUS='CURRENT']/*[local-name()='mdRef'][@MDTYPE and @MIMETYPE and @CHECKSUM])")" -ge 1 ] ||
    bad "no dmdSec with ID, CREATED, STATUS and a complete mdRef (CSIP17-)"
[ "$(x "$root" "count(//*[local-name()='digiprovMD']/*[local-name()='mdRef'][@MDTYPE='PREMIS'])")" = 1 ] ||
    bad "no PREMIS digiprovMD (CSIP31-)"
exit $fail
