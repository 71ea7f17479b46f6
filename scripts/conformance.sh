#!/usr/bin/env bash
# Runs Massa's own JavaScript client (massa-web3, from ../shared/conformance)
# against a fresh sandbox node started by the Go test. The conformance folder
# is copied to a scratch directory (never written in place) and installed
# there with npm ci.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${CONFORMANCE_SRC:-../shared/conformance}
if [ ! -d "$src" ]; then
  echo "conformance: $src not found; smoke test not run"
  exit 0
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "conformance: node/npm not installed; smoke test not run"
  exit 0
fi
scratch=${CONFORMANCE_DIR:-$(mktemp -d)/conformance}
if [ ! -d "$scratch/node_modules/@massalabs/massa-web3" ]; then
  mkdir -p "$scratch"
  cp -r "$src"/. "$scratch"/
  chmod -R u+w "$scratch"
  (cd "$scratch" && npm ci --no-audit --no-fund --loglevel=error)
fi
# Compile from source with the official toolchain: the shared contracts
# (the smoke test deploys the fresh main.wasm) and our own test contracts.
(cd "$scratch" && npm run --silent build:contracts)
own="$(pwd)/test/contracts/build"
CONFORMANCE_DIR="$scratch" scripts/build-contracts.sh "$own"
CONFORMANCE_DIR="$scratch" OWN_CONTRACTS_DIR="$own" \
  go test -count=1 -timeout 20m -v -run 'TestWeb3Smoke|TestOwnContracts' ./test/conformance/ ./test/contracts/ 2>&1 | tail -60
exit "${PIPESTATUS[0]}"
