# ProctorAI: the two commands a newcomer needs are `make demo` and `make test`.
# Every target runs the idempotent set-up first, so a fresh clone needs nothing else.

SHELL := /bin/bash
export PATH := $(CURDIR)/.tools/bin:$(HOME)/.local/bin:$(PATH)
UV ?= uv
PYTEST_ARGS ?=

.PHONY: setup test test-unit test-integration test-e2e lint typecheck check up demo bench wheel-check clean

setup:
	@bash scripts/setup.sh

## Run the whole test suite (unit, real livekit-server, SQLite and PostgreSQL, browser).
test: setup
	$(UV) run pytest $(PYTEST_ARGS)

## The unit tests: no server is started (under two minutes). Categories: tests/categories.py.
test-unit: setup
	$(UV) run pytest -m unit $(PYTEST_ARGS)

## The tests against a real livekit-server or PostgreSQL (started by the tests themselves).
test-integration: setup
	$(UV) run pytest -m integration $(PYTEST_ARGS)

## The whole product: Chromium on the real pages, or API, agent worker and livekit-server.
test-e2e: setup
	$(UV) run pytest -m e2e $(PYTEST_ARGS)

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .

typecheck: setup
	$(UV) run mypy

check: lint typecheck test

## Start livekit-server, the control API and the agent worker (Ctrl-C stops them all).
up: setup
	$(UV) run proctorai up

## The whole scripted demo (simulated candidate, live proctoring, report); exit 0 when its check passes.
demo: setup
	$(UV) run proctorai demo

## Benchmarks of the proctoring engine and the control API (figures in README.md);
## `make bench BENCH_ARGS=--all` adds the live agent benchmarks (they take minutes).
bench: setup
	bash scripts/bench.sh $(BENCH_ARGS)

## Build the wheel, install it into a fresh venv outside the repository, check it runs.
wheel-check: setup
	$(UV) run python scripts/wheel_check.py

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache build dist
