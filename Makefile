# 政采商城 — the two commands: `make run` (set up and serve the demo) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 5000
STRIPE_PORT ?= 8420
export STRIPE_API_BASE ?= http://127.0.0.1:$(STRIPE_PORT)

.PHONY: run test lint check-migrations localstripe

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install -q -e '.[test]'
	touch $@

## Set up (venv, SQLite schema, demo data), start localstripe, serve on 127.0.0.1:$(PORT).
run: $(VENV)/.installed localstripe
	$(VENV)/bin/mall db upgrade
	$(VENV)/bin/mall seed-demo --if-empty
	$(VENV)/bin/mall localstripe-webhook --url http://127.0.0.1:$(PORT)/api/v1/payments/stripe/webhook
	$(VENV)/bin/mall serve --port $(PORT)

localstripe: $(VENV)/.installed
	@mkdir -p instance
	@$(PY) -c "import socket,sys; sys.exit(socket.socket().connect_ex(('127.0.0.1', $(STRIPE_PORT))) != 0)" \
	  && echo "localstripe already listening on $(STRIPE_PORT)" \
	  || (nohup $(VENV)/bin/localstripe --port $(STRIPE_PORT) > instance/localstripe.log 2>&1 & \
	      echo "localstripe started on $(STRIPE_PORT) (log: instance/localstripe.log)")

## Run the whole suite on SQLite, then on PostgreSQL when TEST_DATABASE_URL is set.
test: $(VENV)/.installed-test
	$(PY) -m pytest $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== the same suite on PostgreSQL: $$TEST_DATABASE_URL"; \
	  MALL_TEST_DATABASE_URL="$$TEST_DATABASE_URL" $(PY) -m pytest $(PYTEST_ARGS); \
	fi

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
