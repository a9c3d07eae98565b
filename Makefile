# studio-comms: `make run` serves the demo on SQLite, `make test` runs the suite on SQLite and PostgreSQL.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# openapi-python-client in a venv of its own (tests/customers/codegen-requirements.txt says why).
CODEGEN_VENV := .venv-codegen
CODEGEN_STAMP := $(CODEGEN_VENV)/.installed-stamp
TEST_POSTGRES_URL ?= $(or $(STUDIO_COMMS_TEST_POSTGRES_URL),postgresql://postgres@127.0.0.1:5432/test)
PYTEST_ARGS ?=

.PHONY: install run test test-sqlite test-postgres fuzz lint bench bench-quick profile wrk clean chromium redis

install: $(STAMP) $(CODEGEN_STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(CODEGEN_STAMP): tests/customers/codegen-requirements.txt
	test -x $(CODEGEN_VENV)/bin/python || $(PYTHON) -m venv $(CODEGEN_VENV)
	$(CODEGEN_VENV)/bin/python -m pip install --quiet -r tests/customers/codegen-requirements.txt
	touch $(CODEGEN_STAMP)

run: install
	$(BIN)/studio-comms demo
	exec $(BIN)/studio-comms serve

test: test-sqlite test-postgres

# The browser tests drive Debian's Chromium (a test tool's own browser download does not work here).
chromium:
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)

# The rate-limit tests share counters through Redis, as several API processes would: start one on
# 127.0.0.1:6379 when none answers (installing Debian's redis-server when it is missing).
redis: install
	@$(BIN)/python -c "import redis; redis.Redis(socket_timeout=1).ping()" 2>/dev/null || { \
		command -v redis-server >/dev/null || (apt-get update && apt-get install -y redis-server); \
		mkdir -p /var/lib/redis /var/log/redis; \
		redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
			--dir /var/lib/redis --logfile /var/log/redis/studio-comms-tests.log; \
		for _ in 1 2 3 4 5 6 7 8 9 10; do \
			$(BIN)/python -c "import redis; redis.Redis(socket_timeout=1).ping()" 2>/dev/null && break; sleep 1; \
		done; }

# Each database's run: the tests on every core (pytest-xdist, each worker a database of its own),
# then the `serial` ones (timing and load across processes) alone. Exit 5 is "none selected".
TEST_WORKERS ?= auto
PYTEST_RUN = $(BIN)/pytest -n $(TEST_WORKERS) -m "not serial" $(PYTEST_ARGS) && \
	{ $(BIN)/pytest -p no:xdist -m serial $(PYTEST_ARGS) || [ $$? -eq 5 ]; }

test-sqlite: install chromium redis
	STUDIO_COMMS_TEST_DB=sqlite; export STUDIO_COMMS_TEST_DB; $(PYTEST_RUN)

# Runs when PostgreSQL answers; under CI=true it must answer.
test-postgres: install chromium redis
	@if [ "$$CI" = "true" ] || $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(TEST_POSTGRES_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		export STUDIO_COMMS_TEST_DB=postgres STUDIO_COMMS_TEST_POSTGRES_URL=$(TEST_POSTGRES_URL); $(PYTEST_RUN); \
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

# Ours side by side with a minimal peer and the bare framework, then webhook delivery, then
# delivery of messages (bulk acceptance, e-mails/s to a loopback SMTP server)
# (docs/benchmarks.md). `make bench-quick`: one short round of each, nothing appended.
bench: install wrk
	$(BIN)/python bench/run.py
	$(BIN)/python bench/webhooks.py
	$(BIN)/python bench/messages.py

bench-quick: install wrk
	$(BIN)/python bench/run.py --quick
	$(BIN)/python bench/webhooks.py --quick
	$(BIN)/python bench/messages.py --quick

# py-spy flame graphs and summaries of the server (GET, PUT, POST threads) and the worker, in bench/results/.
profile: install wrk
	$(BIN)/python bench/profile.py

wrk:
	@command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)

clean:
	rm -rf $(VENV) $(CODEGEN_VENV) var build *.egg-info
