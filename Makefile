# Allyway. `make` (or `make help`) lists the targets; each target's `## `
# comment is its help line.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

GO ?= go
# Tools run at pinned versions through the Go module proxy (nothing to install).
TEMPL_VERSION ?= v0.3.1100
STATICCHECK_VERSION ?= v0.8.2
TEMPL := $(GO) run github.com/a-h/templ/cmd/templ@$(TEMPL_VERSION)
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# Tests get TEST_DATABASE_URL, or one throwaway PostgreSQL for the whole run.
WITH_PG := scripts/with-test-postgres.sh

# Narrow a run: make test PKG=./internal/server/ RUN='TestLogin'
PKG ?= ./...
RUN ?=
TEST_TIMEOUT ?= 25m
FUZZTIME ?= 30s
BENCHTIME ?= 3s
run_flag = $(if $(RUN),-run '$(RUN)')

# The HTTP bench (make bench-http; cmd/benchload): the data set's size, the
# comparison size, the constant rate, how long each measurement lasts,
# connections of the max-throughput loop, constant-rate rounds of the issue-7
# pages (scorecard, program), pages (comma-separated names).
BENCH_REFERRALS ?= 1000000
BENCH_COMPARE ?= 100000
BENCH_RATE ?= 300
BENCH_DURATION ?= 10s
BENCH_WORKERS ?= 8
BENCH_ROUNDS ?= 3
BENCH_PAGES ?=

.PHONY: help run test e2e bench bench-http fuzz generate check-generated lint build db-reset clean

help: ## Show this list of targets
	@echo "Usage: make TARGET   (e.g. make run, make test)"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "Variables: PKG=./internal/server/ RUN=TestName (test, bench), TEST_TIMEOUT=$(TEST_TIMEOUT), FUZZTIME=$(FUZZTIME), BENCHTIME=$(BENCHTIME)."
	@echo "TEST_DATABASE_URL=postgres://… runs the tests on that server instead of a throwaway one."
	@echo "bench-http: BENCH_REFERRALS=$(BENCH_REFERRALS) BENCH_COMPARE=$(BENCH_COMPARE) (0: measure one size) BENCH_RATE=$(BENCH_RATE) (req/s)"
	@echo "  BENCH_DURATION=$(BENCH_DURATION) (each measurement) BENCH_WORKERS=$(BENCH_WORKERS) BENCH_ROUNDS=$(BENCH_ROUNDS) (constant-rate rounds of the target pages)"
	@echo "  BENCH_PAGES=ceiling,dashboard,… (default all)."

run: ## Run the app with the demo firms at http://localhost:8080 (own PostgreSQL under .data)
	$(GO) run ./cmd/allyway dev

test: ## Run all tests (race detector, browser tests included) on a throwaway PostgreSQL
	$(WITH_PG) $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $(run_flag) $(PKG)

e2e: ## Run only the browser tests (e2e/, needs Chromium)
	@if [ -d e2e ]; then \
		echo "$(WITH_PG) $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) -run '$(or $(RUN),Browser)' ./e2e/..."; \
		$(WITH_PG) $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) -run '$(or $(RUN),Browser)' ./e2e/...; \
	else \
		echo "e2e: there is no e2e/ package yet; nothing to run"; \
	fi

bench: ## Go benchmarks (throwaway PostgreSQL), then bench-http; PKG= or RUN= runs only those Go benchmarks
	$(WITH_PG) $(GO) test -run='^$$' -bench='$(or $(RUN),.)' -benchtime=$(BENCHTIME) -benchmem $(PKG)
	@if [ -z "$(RUN)" ] && [ "$(PKG)" = "./..." ]; then $(MAKE) bench-http; fi

bench-http: ## Pages under HTTP load (vegeta) on the scale data set, as ratios of the ceiling page (BENCH_* variables)
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/allyway ./cmd/allyway
	$(GO) run ./cmd/benchload -app bin/allyway -referrals $(BENCH_REFERRALS) -compare $(BENCH_COMPARE) \
		-rate $(BENCH_RATE) -duration $(BENCH_DURATION) -workers $(BENCH_WORKERS) -rounds $(BENCH_ROUNDS) $(if $(BENCH_PAGES),-pages '$(BENCH_PAGES)')

fuzz: ## Run each Fuzz* target for FUZZTIME (30s) each
	FUZZTIME=$(FUZZTIME) $(WITH_PG) scripts/fuzz.sh $(PKG)

generate: ## Regenerate the templ components (web/view/*.templ -> *_templ.go)
	$(TEMPL) generate -path web/view

check-generated: ## Fail if the committed *_templ.go files are not what generate makes
	scripts/check-generated.sh $(MAKE) generate

lint: ## gofmt, go vet and staticcheck
	@files=$$(find . \( -path './.*' -o -path ./bin -o -name testdata -o -name node_modules \) -prune -o -name '*.go' -print | xargs -r gofmt -l); \
	if [ -n "$$files" ]; then echo "gofmt: these files are not formatted (run gofmt -w on them):"; echo "$$files"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

build: ## Build the binary bin/allyway
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/allyway ./cmd/allyway

db-reset: ## Delete the dev database (.data) so the next `make run` starts fresh
	scripts/db-reset.sh

clean: ## Remove build and test output (not the dev database: see db-reset)
	rm -rf bin coverage.out trial-out
	find . -path './.*' -prune -o -name '*.test' -type f -print -exec rm -f {} +
