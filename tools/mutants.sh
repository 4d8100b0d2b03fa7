#!/bin/sh
# tools/mutants.sh [NAME...]: the deliberate bugs of tests/mutants/NAME.mut,
# each applied to a scratch copy of this tree (with its uncommitted changes
# and its build), built, and its named tests run. A mutant is caught when
# those tests fail; first the same tests must pass on the tree as it is.
# Prints a line a mutant and exits 1 unless every one was caught.
# `make mutants` runs it after building; see docs/testing.md to add one.
set -u
top=$(pwd)
scratch=$(mktemp -d /tmp/rv-mutants-XXXXXX)
trap 'rm -rf "$scratch"' EXIT INT TERM
t=$scratch/tree
mkdir "$t"
# the tree, mtimes kept, so that make rebuilds only what a mutant changes
git ls-files -z | xargs -0 cp -a --parents -t "$t"
cp -a build "$t/build"
[ -f models/en-us-tel.mllr ] && cp -a models/en-us-tel.mllr "$t/models/"

cd "$t" || exit 1
build() { make -s --no-print-directory build/rostvakt build/rostvakt-tests build/syncorder.so > "$scratch/build.log" 2>&1; }
run_tests() {
    RV_FIXTURES=build/fixtures RV_BIN=build/rostvakt RV_SYNC_SHIM=build/syncorder.so \
        build/rostvakt-tests --filter "$1" --jobs 1 > "$scratch/test.log" 2>&1
}

# the functions a .mut file calls: replace FILE FROM TO (every FROM in FILE
# becomes TO; FROM must be there) and tests PATTERN (Criterion's --filter)
changed=""
applied=1
pattern=""
apply=0
replace() {
    [ $apply = 1 ] && [ $applied = 1 ] || return 0
    if ! FROM=$2 TO=$3 perl -0777 -i -pe '$n += s/\Q$ENV{FROM}\E/$ENV{TO}/g; END { exit($n ? 0 : 3) }' "$1"; then
        echo "'$2' is not in $1 (the code changed: update the mutant)"
        applied=0
    fi
    changed="$changed $1"
}
tests() { pattern=$1; }

names=${*:-$(cd "$top/tests/mutants" && ls -- *.mut | sed 's/\.mut$//')}
[ -n "$names" ] || { echo "mutants: none in tests/mutants"; exit 1; }
caught=0
total=0
for name in $names; do
    total=$((total + 1))
    f=$top/tests/mutants/$name.mut
    [ -f "$f" ] || { echo "BROKEN  $name: no $f"; continue; }
    why=$(sed -n '1s/^# //p' "$f")
    # first the tests on the tree as it is: they must pass
    changed="" applied=1 pattern="" apply=0
    . "$f"
    if [ -z "$pattern" ]; then echo "BROKEN  $name: no tests named"; continue; fi
    if ! build; then echo "mutants: the tree does not build:"; cat "$scratch/build.log"; exit 1; fi
    if ! run_tests "$pattern"; then echo "BROKEN  $name: $pattern fails without the mutant"; continue; fi
    # then with it
    apply=1
    . "$f" > "$scratch/apply.log"
    if [ $applied = 0 ]; then
        echo "BROKEN  $name: $(cat "$scratch/apply.log")"
    elif ! build; then
        echo "CAUGHT  $name: it does not build"
        caught=$((caught + 1))
    elif run_tests "$pattern"; then
        echo "MISSED  $name: $pattern stayed green ($why)"
    else
        echo "CAUGHT  $name by $pattern"
        caught=$((caught + 1))
    fi
    for c in $changed; do cp "$top/$c" "$c"; done # newer than its object: rebuilt
done
echo "mutants: $caught of $total caught"
[ "$caught" = "$total" ]
