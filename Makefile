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

serve: $(STAMP)
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

bench: $(STAMP)
	$(BIN)/python bench/create_invoice.py $(ARGS)
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

# memory curve only: make soak SOAK_ARGS="--rounds 60000 --every 5000" (or --unbounded to compare)
soak: $(STAMP)
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .tools build *.egg-info
