# Tocsin: every check, test and build in one place. CI runs `make check` and
# `make test` (see .ci/run), exactly as a developer does.

GO      ?= go
ADDR    ?= 127.0.0.1:8080
VERSION ?= dev
BIN     ?= bin/tocsin

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-8s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: ## Run the hub on the embedded store in ./data (prints the admin password once).
	$(GO) run ./cmd/tocsin --addr $(ADDR)

.PHONY: demo
demo: ## Run the hub with demo people and incidents in ./data-demo.
	$(GO) run ./cmd/tocsin demo --addr $(ADDR) --data-dir ./data-demo

.PHONY: test
test: ## Run every test with the race detector (installs Chromium for the browser tests if missing).
	./scripts/ensure-chromium
	$(GO) test -race -count=1 ./...

.PHONY: check
check: ## gofmt, go vet and staticcheck.
	@unformatted="$$(gofmt -l .)"; \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

.PHONY: build
build: ## Build bin/tocsin and bin/tocsin-load.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o $(BIN) ./cmd/tocsin
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/tocsin-load ./cmd/tocsin-load

.PHONY: bench
bench: build ## Measure intake, lists and the board on a fresh embedded store (see docs/benchmarks.md).
	./scripts/bench

.PHONY: clean
clean: ## Remove built binaries.
	rm -rf bin
