#!/usr/bin/env bash
# Compiles our own test contracts (test/contracts/src/*.ts) with Massa's
# official toolchain (massa-as-compile from @massalabs/massa-sc-compiler),
# the way a project made by sc-project-initializer does: every
# ./assembly/contracts/*.ts of a project dir becomes ./build/*.wasm.
# CONFORMANCE_DIR must be a copy of ../shared/conformance where `npm ci` ran
# (scripts/conformance.sh prepares one). The sources are staged in
# $CONFORMANCE_DIR/.own so that node_modules resolves; the .wasm files are
# copied to $1 (default test/contracts/build, git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${1:-test/contracts/build}
case "$out" in /*) ;; *) out="$root/$out" ;; esac
: "${CONFORMANCE_DIR:?CONFORMANCE_DIR must point to a conformance copy where npm ci ran}"
compiler="$CONFORMANCE_DIR/node_modules/.bin/massa-as-compile"
if [ ! -x "$compiler" ]; then
  echo "build-contracts: $compiler not found (run npm ci in $CONFORMANCE_DIR)" >&2
  exit 1
fi
stage="$CONFORMANCE_DIR/.own"
rm -rf "$stage"
mkdir -p "$stage/assembly/contracts"
cp "$root"/test/contracts/src/*.ts "$stage/assembly/contracts/"
cp "$CONFORMANCE_DIR/asconfig.json" "$stage/"
(cd "$stage" && "$compiler")
mkdir -p "$out"
cp "$stage"/build/*.wasm "$out"/
ls -l "$out"
