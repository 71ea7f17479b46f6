#!/usr/bin/env bash
# What `make test` runs: lint, unit tests, every fuzz target briefly, and the
# massa-web3 conformance run. The conformance run mostly waits for blocks to
# become final (mainnet timing), so it runs in the background while the
# other suites use the CPU; its output is printed at the end. Every suite
# runs even if an earlier one failed; the exit code says whether all passed.
set -uo pipefail
cd "$(dirname "$0")/.."
conf_log=$(mktemp)
trap 'rm -f "$conf_log"' EXIT
./scripts/conformance.sh >"$conf_log" 2>&1 &
conf_pid=$!
failed=()
make --no-print-directory lint || failed+=(lint)
make --no-print-directory unit || failed+=(unit)
make --no-print-directory fuzz || failed+=(fuzz)
wait "$conf_pid" || failed+=(conformance)
echo "=== conformance (massa-web3 against a sandbox node) ==="
cat "$conf_log"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED suites: ${failed[*]}"
  exit 1
fi
echo "all suites passed: lint, unit, fuzz, conformance"
