# Every target creates .venv and installs on first use; nothing is assumed to be installed by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: serve test tools fuzz bench soak lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# bytecode as a wheel install has it (pip compiles at install): with PYTHONDONTWRITEBYTECODE set,
# every start would compile the sources again (~60 ms of a ~0.25 s start)
serve: $(STAMP)
	@$(BIN)/python -m compileall -q mockserver
	$(BIN)/mockserver serve $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(ARGS)

# the bad-input property test, long: FUZZ_EXAMPLES requests, plus a quarter again for the phase
# with every route (25,000 in all; make test runs 700 + 175); the summary goes to fuzz-report.txt
FUZZ_EXAMPLES ?= 20000
fuzz: $(STAMP)
	SANDBOX_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) SANDBOX_FUZZ_REPORT=fuzz-report.txt \
		$(BIN)/python -m pytest -s tests/test_fuzz_bad_input.py $(ARGS)

# npm tools for the OpenAPI checks (Prism): the tests skip without them, except in CI, where they fail
PRISM := .tools/node_modules/.bin/prism
tools: $(PRISM)

$(PRISM):
	npm install --prefix .tools --no-audit --no-fund --loglevel=error @stoplight/prism-cli@5.14.2

# wrk (a compiled load generator) from the distribution's packages when missing; taskset pins
# server and load to separate cores. About 10 minutes; BENCH_ARGS="--seconds 2 --rounds 1
# --soak-rounds 12000" shortens it. Writes bench/RESULTS.md.
bench: $(STAMP)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# memory curve only: make soak SOAK_ARGS="--rounds 60000 --every 5000" (or --unbounded to compare)
soak: $(STAMP)
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .tools build *.egg-info
