# The two commands a newcomer needs: `make run` and `make test`.
GO ?= go
ADDR ?= :8080
N ?= 1000

.PHONY: run build test vet check bench loadtest test-browser test-deploy clean

run:
	$(GO) run ./cmd/archive serve -content content -addr $(ADDR)

build:
	mkdir -p bin
	$(GO) build -trimpath -o bin/archive ./cmd/archive

vet:
	$(GO) vet ./...

test: vet
	$(GO) test -race -count=1 ./...

check:
	$(GO) run ./cmd/archive check -content content

bench:
	$(GO) run ./cmd/bench -n $(N) -go $(GO) -command "make bench N=$(N)"

clean:
	rm -rf bin .cache
