# Every target creates .venv and installs on first use; nothing is assumed to be installed by hand.
# `make serve` installs the package with its `fast` extra (uvloop, which `serve` runs on when
# installed); `make test` adds the test extras (which include `fast`).
# The venv's interpreter: the system's python3 when it is 3.10 or newer and can make a venv, else
# python3 from PATH; `make test PYTHON=python3.12` picks another. A distribution's Python is built
# with profile-guided optimisation, where a pyenv build made without --enable-optimizations runs
# the suite with about 15 % more CPU and starts the sandbox about 50 ms later (README, "Tests and benchmarks").
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for p in /usr/bin/python3 python3; do \
            $$p -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' 2>/dev/null && \
            { echo $$p; break; }; done)
endif
VENV   := .venv
BIN    := $(VENV)/bin
SERVE_STAMP := $(VENV)/.installed-serve
TEST_STAMP  := $(VENV)/.installed-test
# uv builds the venv and installs into it in about 5 s from a fresh clone, where venv + pip take
# about 21 s (ensurepip alone is 6 s); where uv cannot be had, venv and pip do the same job.
# PYTHONWARNINGS: the build backend's notice about editable installs is for packagers, not users.
INSTALL = if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install --quiet $(2) --python $(BIN)/python $(1); \
          else PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet --disable-pip-version-check $(1); fi

.PHONY: serve test tools fuzz bench bench-store soak lint clean

$(BIN)/python:
	@$(PYTHON) -m venv --without-pip $(VENV) && \
	  $(PYTHON) -m pip --python $(BIN)/python install --quiet --disable-pip-version-check uv >/dev/null 2>&1 || \
	  { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }

$(SERVE_STAMP): pyproject.toml setup.py | $(BIN)/python
	@$(call INSTALL,-e '.[fast]',--compile-bytecode)
	@touch $@

# pip too: the packaging tests build wheels with the venv's own `python -m pip`. Bytecode: uv
# leaves none unless asked (pip compiles at install); serving asks, since every start would compile
# aiohttp again where PYTHONDONTWRITEBYTECODE is set; the suite writes what it imports (4 s less).
$(TEST_STAMP): pyproject.toml setup.py | $(BIN)/python
	@$(call INSTALL,-e '.[test]' pip)
	@touch $@ $(SERVE_STAMP)

# bytecode as a wheel install has it (pip compiles at install): with PYTHONDONTWRITEBYTECODE set,
# every start would compile the sources again (~60 ms of a ~0.25 s start)
serve: $(SERVE_STAMP)
	@$(BIN)/python -m compileall -q mockserver
	$(BIN)/mockserver serve $(ARGS)

# in parallel (pytest-xdist), a file's tests on one worker in their order (a browser
# module tells one story on one sandbox; module fixtures are built once); the slowest are listed.
# Bytecode is kept even where PYTHONDONTWRITEBYTECODE is set: pytest rewrites the assertions of
# every plugin's modules (Hypothesis, Schemathesis, this package) in each worker and in each
# `mockserver` a test starts, about 0.8 s a process, unless it may keep the result in __pycache__
# One worker more than the cores: a test waiting on a subprocess, Chromium, PostgreSQL or a
# real-time timeout leaves its core to the spare worker (on 2 cores: 85 s with 3 workers, 96 s with 2).
ifeq ($(origin TEST_WORKERS),undefined)
TEST_WORKERS := $(shell echo $$(( $$(nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 1) + 1 )))
endif
test: $(TEST_STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15 $(ARGS)

# the bad-input property test, long: FUZZ_EXAMPLES requests, plus a quarter again for the phase
# with every route (25,000 in all; make test runs 400 + 100); the summary goes to fuzz-report.txt;
# Schemathesis: OPENAPI_EXAMPLES cases per operation and mode (make test: 3)
FUZZ_EXAMPLES ?= 20000
# the stateful machines (tests/stateful): runs per provider and steps per run (make test: 5 x 40);
# the hostile-transport property test: raw requests (make test: 150)
STATEFUL_EXAMPLES ?= 100
STATEFUL_STEPS ?= 100
TRANSPORT_EXAMPLES ?= 3000
OPENAPI_EXAMPLES ?= 50
fuzz: $(TEST_STAMP)
	SANDBOX_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) SANDBOX_FUZZ_REPORT=fuzz-report.txt \
	SANDBOX_STATEFUL_EXAMPLES=$(STATEFUL_EXAMPLES) SANDBOX_STATEFUL_STEPS=$(STATEFUL_STEPS) \
	SANDBOX_TRANSPORT_EXAMPLES=$(TRANSPORT_EXAMPLES) OPENAPI_FUZZ_EXAMPLES=$(OPENAPI_EXAMPLES) \
		$(BIN)/python -m pytest -s tests/test_fuzz_bad_input.py tests/stateful tests/test_fuzz_transport.py \
		tests/openapi/test_openapi_schemathesis.py $(ARGS)

# npm tools for the OpenAPI checks (Prism): the tests skip without them, except in CI, where they fail
PRISM := .tools/node_modules/.bin/prism
tools: $(PRISM)

$(PRISM):
	npm install --prefix .tools --no-audit --no-fund --loglevel=error @stoplight/prism-cli@5.14.2

# wrk (a compiled load generator) from the distribution's packages when missing; taskset pins
# server and load to separate cores. About 10 minutes; BENCH_ARGS="--seconds 2 --rounds 1
# --soak-rounds 12000" shortens it. Writes bench/RESULTS.md.
bench: $(TEST_STAMP)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# the shared store only (several processes on PostgreSQL): throughput of one and two processes,
# failover, 1,000 idle tenants; about 1.5 minutes. PostgreSQL from the distribution when missing.
bench-store: $(TEST_STAMP)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql)
	$(BIN)/python bench/shared_store.py $(BENCH_ARGS)

# memory curve only: make soak SOAK_ARGS="--rounds 60000 --every 5000" (or --unbounded to compare)
soak: $(TEST_STAMP)
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .tools build *.egg-info
