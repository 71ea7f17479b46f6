#!/usr/bin/env bash
# Runs every Go fuzz target of the module for a short time ($1, default 3s).
# go test -fuzz accepts one target per run, so we list them and loop.
set -euo pipefail
fuzztime=${1:-3s}
cd "$(dirname "$0")/.."
count=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u || true)
  for t in $targets; do
    echo "fuzz $pkg $t ($fuzztime)"
    go test "$pkg" -run='^$' -fuzz="^${t}\$" -fuzztime="$fuzztime" >/tmp/gomassa-fuzz.log 2>&1 || { cat /tmp/gomassa-fuzz.log; exit 1; }
    count=$((count+1))
  done
done
echo "fuzz: $count targets passed"
