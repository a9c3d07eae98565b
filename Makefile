# studio-comms: `make run` serves the demo on SQLite, `make test` runs the suite on SQLite and PostgreSQL.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TEST_POSTGRES_URL ?= $(or $(STUDIO_COMMS_TEST_POSTGRES_URL),postgresql://postgres@127.0.0.1:5432/test)
PYTEST_ARGS ?=

.PHONY: install run test test-sqlite test-postgres fuzz lint bench clean chromium

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: install
	$(BIN)/studio-comms demo
	exec $(BIN)/studio-comms serve

test: test-sqlite test-postgres

# The browser tests drive Debian's Chromium (a test tool's own browser download does not work here).
chromium:
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)

test-sqlite: install chromium
	STUDIO_COMMS_TEST_DB=sqlite $(BIN)/pytest $(PYTEST_ARGS)

# Runs when PostgreSQL answers; under CI=true it must answer.
test-postgres: install chromium
	@if [ "$$CI" = "true" ] || $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(TEST_POSTGRES_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		STUDIO_COMMS_TEST_DB=postgres STUDIO_COMMS_TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest $(PYTEST_ARGS); \
	else \
		echo "PostgreSQL does not answer at $(TEST_POSTGRES_URL): the PostgreSQL run is skipped (it is mandatory under CI=true)."; \
	fi

# Schemathesis against our own /openapi.json on a real server, SQLite then PostgreSQL (fuzz/run.py).
FUZZ_ARGS ?=
fuzz: install
	STUDIO_COMMS_TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) $(BIN)/python fuzz/run.py $(FUZZ_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install
	command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/webhooks.py

clean:
	rm -rf $(VENV) var build *.egg-info
