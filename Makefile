# The README names these targets; .ci/run calls `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test venv infra migrate lint format bench-small

run: venv infra            ## the whole system: migrate, seed the demo tenant, start every process
	@bash deploy/run.sh

test: venv infra           ## the whole test suite against the real PostgreSQL and Redis
	@bash deploy/test.sh $(ARGS)

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

infra:                     ## PostgreSQL and Redis reachable (started or installed when they are not)
	@bash deploy/infra.sh

migrate: venv infra
	@$(VENV)/bin/alembic upgrade head


lint: venv
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: venv
	@$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

bench-small: venv infra    ## every benchmark at small scale
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b --scale small || exit 1; done
