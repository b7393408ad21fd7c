# The two commands of README.md: `make demo` and `make test`. Each installs what the machine lacks
# (scripts/setup.sh) and then runs against $DATABASE_URL, or a throwaway local cluster without it.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo

.PHONY: demo test setup lint test-rust test-python test-java test-c bench

demo: setup
	$(CARGO) run --quiet -p sleeper-pg --example demo

test: setup lint test-rust test-python test-java test-c
	@echo "make test: every suite passed"

setup:
	scripts/setup.sh

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --quiet -- -D warnings

test-rust:
	$(CARGO) test --workspace

test-python:
	bindings-python/run-tests.sh

test-java:
	bindings-java/run-tests.sh

test-c:
	core/tests/c/run-tests.sh
