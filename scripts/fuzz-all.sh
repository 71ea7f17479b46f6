#!/usr/bin/env bash
# Runs every Go fuzz target of the module for a short time ($1, default 3s).
# go test -fuzz accepts one target per run, so we list them and loop.
# Go's fuzz coordinator sometimes stops with "context deadline exceeded" when
# the machine is loaded and no input failed; such a run is tried again once.
# A real failure (a crashing input) fails at once, and its input is kept in
# the package's testdata/fuzz directory.
set -euo pipefail
fuzztime=${1:-3s}
cd "$(dirname "$0")/.."
count=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u || true)
  for t in $targets; do
    echo "fuzz $pkg $t ($fuzztime)"
    for attempt in 1 2; do
      if go test "$pkg" -run='^$' -fuzz="^${t}\$" -fuzztime="$fuzztime" >"$log" 2>&1; then
        break
      fi
      if grep -q "Failing input written" "$log" || [ "$attempt" = 2 ]; then
        cat "$log"
        exit 1
      fi
      echo "  (fuzz coordinator hiccup, trying $t again)"
    done
    count=$((count+1))
  done
done
echo "fuzz: $count targets passed"
