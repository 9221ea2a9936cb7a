# The two commands a newcomer needs: `make run` and `make test`.
GO ?= go
# ADDR overrides the address; otherwise $$PORT, else :8080 (see archive serve).
ADDR ?=
N ?= 1000

.PHONY: run build test vet check bench loadtest test-browser test-deploy clean

run:
	$(GO) run ./cmd/archive serve -content content $(if $(ADDR),-addr $(ADDR))

build:
	mkdir -p bin
	$(GO) build -trimpath -o bin/archive ./cmd/archive

vet:
	$(GO) vet ./...

test: vet
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v /internal/browsertest$$)
	$(MAKE) --no-print-directory test-browser

# The browser tests (internal/browsertest) run after the others, not beside
# them: Chromium takes both cores, which would starve the timing tests.
# Screenshots, the printed PDF and REPORT.txt go to ARCHIVE_SCREENSHOTS;
# V=1 shows every step.
export ARCHIVE_SCREENSHOTS ?= $(CURDIR)/screenshots
test-browser:
	$(GO) test -count=1 $(if $(V),-v) ./internal/browsertest
	@cat "$(ARCHIVE_SCREENSHOTS)/REPORT.txt" 2>/dev/null; echo "Browser test screenshots: $(ARCHIVE_SCREENSHOTS)"

check:
	$(GO) run ./cmd/archive check -content content

# wrk, the load generator of bench, loadtest and test-deploy, is installed
# from the distribution when missing, as nginx is for test-deploy.
NEED_WRK = command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)

# The figures go into BENCHMARKS.md, in the section of N publications.
bench:
	@$(NEED_WRK)
	$(GO) run ./cmd/bench -n $(N) -command "make bench N=$(N)"

# Load on loopback for about 30 s: pages, PDF ranges and searches from 64
# clients, then again while search is flooded (see README, Hardening).
LOADTEST_FLAGS ?= -duration 30s
loadtest:
	@$(NEED_WRK)
	$(GO) run ./cmd/loadtest $(LOADTEST_FLAGS)

# Rehearse a deploy on loopback: 3 replicas of one build behind nginx
# (deploy/nginx.conf) under load, one killed, then all rolled to a new build.
DEPLOY_FLAGS ?= -replicas 3 -phase 10s -c 64
test-deploy:
	@command -v nginx >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null)
	@$(NEED_WRK)
	$(GO) run ./cmd/deploytest $(DEPLOY_FLAGS)

clean:
	rm -rf bin .cache
