# Linli — the two commands: `make demo` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= $(or $(LINLI_PORT),8000)

.PHONY: demo test setup serve lint messages clean

## Set up (venv, Python and npm packages from lock files, translations, database), load the demo, serve it.
demo: setup
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py demo
	@echo "Linli is at http://127.0.0.1:$(PORT)/  (Ctrl-C to stop)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/python manage.py db_worker --interval 1 >var/worker.log 2>&1 & \
	  $(BIN)/python manage.py cases_sweep --loop >var/sweep.log 2>&1 & \
	  $(BIN)/python manage.py runserver --noreload 127.0.0.1:$(PORT)

## Set up, then run the whole suite (SQLite, or PostgreSQL when DATABASE_URL says so).
test: setup
	$(BIN)/python manage.py makemigrations --check --dry-run >/dev/null || \
	  (echo "A model change has no migration: run manage.py makemigrations -n <name>"; exit 1)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

setup: $(VENV)/.installed node_modules/.installed messages

$(VENV)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

messages: $(VENV)/.installed
	$(BIN)/python manage.py compile_translations

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) node_modules staticfiles
