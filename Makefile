# Likeness — `make run` to try it, `make test` to prove it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install run test lint format bench clean-demo

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## run: the whole marketplace on embedded defaults (SQLite, filesystem broker, Stripe sandbox)
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py ensure_signing_key
	$(BIN)/python manage.py load_demo --no-logins
	$(BIN)/python manage.py load_demo_licences
	$(BIN)/python manage.py devstack

## test: the suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set, else SQLite)
test: install
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/mypy marketplace config stripe_sandbox tests benchmarks

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python -m benchmarks.run_all

clean-demo:
	rm -rf var/
