# The two commands of README.md: `make demo` and `make test`. Each installs what the machine lacks
# (scripts/setup.sh) and then runs against $DATABASE_URL, or a throwaway local cluster without it.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo

.PHONY: demo test setup lint test-rust test-upgrade test-bench test-python test-java test-c test-dist bench dist install

demo: setup
	$(CARGO) run --quiet -p sleeper-pg --example demo

test: setup lint test-rust test-upgrade test-bench test-python test-java test-c test-dist
	@echo "make test: every suite passed"

setup:
	scripts/setup.sh

lint:
	scripts/check-versions.sh
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --all-features --quiet -- -D warnings

test-rust:
	$(CARGO) test --workspace
	$(CARGO) run --quiet -p sleeper-pg --example demo > target/rust-demo.log

# A database of the previous schema, full of data, migrated while clients of both versions call.
test-upgrade:
	scripts/upgrade-test.sh

# Every benchmark workload once, tiny, so that the benchmarks cannot rot (no figures are judged).
test-bench:
	$(CARGO) bench -p sleeper-pg --bench state_store --profile dev -- --size tiny --json $(CURDIR)/target/bench-tiny.json

# The full benchmarks (about 10 minutes): docs/benchmarks.{json,md,png}. Flags of the bench binary
# scale each workload: BENCH_FLAGS="--clients 16,64 --leaves 512".
BENCH_FLAGS ?=
bench: setup
	$(CARGO) bench -p sleeper-pg --bench state_store -- --size full $(BENCH_FLAGS) --json $(CURDIR)/docs/benchmarks.json
	scripts/bench-bindings.sh
	scripts/bench-report.sh

test-python:
	bindings-python/run-tests.sh

test-java:
	bindings-java/run-tests.sh

test-c:
	core/tests/c/run-tests.sh

# Each artifact of `make dist`, built quickly (dev profile) and installed as a user would install it.
test-dist:
	scripts/dist.sh --profile dev --out $(CURDIR)/target/dist-test
	scripts/test-dist.sh $(CURDIR)/target/dist-test

# The artifacts a user installs (scripts/dist.sh): dist/python, dist/java, dist/c.
dist: setup
	scripts/dist.sh --out $(CURDIR)/dist

# The C library, header and pkg-config file into PREFIX (default /usr/local).
PREFIX ?= /usr/local
install:
	scripts/dist.sh --install $(PREFIX)
