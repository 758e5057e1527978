# Umit — two commands: `make run` (portal + worker on SQLite with demo data) and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
STAMP := $(VENV)/.installed-stamp
# The suite runs in parallel processes (pytest-xdist), one test file per process at a time so
# a module's shared world is built once; PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile

.PHONY: run test test-postgres setup db translations translations-update lint format bench clean help

help:
	@echo "make run            set up, migrate, load demo data, serve http://127.0.0.1:5000 + worker"
	@echo "make test           set up and run the whole suite (SQLite; TEST_DATABASE_URL for PG)"
	@echo "make test-postgres  run the suite against PostgreSQL (127.0.0.1:5432, database test)"
	@echo "make lint           ruff check + ruff format --check + bandit + mypy on solver/ and app/"
	@echo "make bench          run the benchmarks in bench/"

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/pip install -q -e '.[test,dev]' 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/python -c "import flask, ortools, huey, pandas"  # fail here if the install failed
	touch $(STAMP)

setup: $(STAMP) translations

translations: $(STAMP)
	@if ls app/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel compile -d app/translations; fi

# Re-extract marked strings and merge them into every catalogue (then translate the new ones).
translations-update: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project Umit -o app/translations/messages.pot .
	@for lang in kk ru en fa_AF ps; do \
		if [ -f app/translations/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update --no-fuzzy-matching -i app/translations/messages.pot -d app/translations -l $$lang; \
		else \
			$(BIN)/pybabel init -i app/translations/messages.pot -d app/translations -l $$lang; \
		fi; done

db: setup
	mkdir -p instance
	$(FLASK) db upgrade heads
	$(FLASK) umit seed --demo --if-empty

run: db
	@bash scripts/dev-server.sh

test: setup
	$(PYTEST) $(PYTEST_ARGS)

test-postgres: setup
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
		$(PYTEST) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -ll -r app solver
	$(BIN)/mypy solver
	$(BIN)/mypy app

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup
	@for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache
