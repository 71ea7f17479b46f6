# gomassa build and test entry points. `make test` is what CI runs.
GO ?= go
FUZZTIME ?= 3s
PKGS := ./...

.PHONY: test unit lint fuzz conformance build bench

build:
	$(GO) build -o bin/ ./cmd/...

# Everything CI checks: static analysis, unit tests, a short run of every fuzz
# target, and the conformance smoke test against a real sandbox node (run
# in the background meanwhile: it mostly waits for finality).
test:
	@./scripts/test-all.sh

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || (echo "gofmt needed:"; gofmt -l .; exit 1)
	$(GO) vet $(PKGS)
	@if command -v staticcheck >/dev/null 2>&1; then staticcheck $(PKGS); \
	elif [ -x "$$($(GO) env GOPATH)/bin/staticcheck" ]; then "$$($(GO) env GOPATH)/bin/staticcheck" $(PKGS); \
	else echo "staticcheck not installed (scripts/ci installs it)"; fi

unit:
	$(GO) test -count=1 -timeout 20m $(PKGS)

# Runs each FuzzXxx for FUZZTIME (seeds come from the golden vectors and testdata/fuzz).
fuzz:
	@./scripts/fuzz-all.sh $(FUZZTIME)

conformance:
	@./scripts/conformance.sh

bench:
	$(GO) test -run='^$$' -bench=. -benchtime=1s ./internal/crypto/ ./internal/types/
