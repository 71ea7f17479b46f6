#!/usr/bin/env bash
# Runs Massa's own JavaScript client (massa-web3, from ../shared/conformance)
# against a fresh sandbox node started here. Skipped, with a message, until the
# node serves the API (see the issue tracker).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d test/conformance ]; then
  echo "conformance: the node has no JSON-RPC API yet; smoke test not run"
  exit 0
fi
exec go test -count=1 -timeout 20m -run TestWeb3Smoke ./test/conformance/
