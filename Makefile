# The README's two commands: `make run` and `make test`. Everything else is a helper of theirs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
HOST ?= 127.0.0.1
export AMANAH_DB_PORT ?= 54329
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
PYTEST_ARGS ?=

.PHONY: help run test setup setup-test system-packages system-packages-test venv db migrate demo \
        serve dev stop bench lint format messages backup restore

help:
	@echo "make run    set everything up and serve on http://$(HOST):$(PORT)"
	@echo "make test   set everything up and run the whole test suite"
	@echo "make setup  set-up only (system packages, .venv, PostGIS cluster, migrations, demo data)"
	@echo "make stop   stop the project's PostGIS cluster"
	@echo "make bench  run the benchmarks (figures go to docs/benchmarks.md)"
	@echo "make lint   ruff and mypy"
	@echo "make backup the database into backups/ (AMANAH_BACKUP_DIR); make restore FILE=… INTO=new_db_name"

run: setup serve

test: setup-test
	$(PY) -m pytest $(PYTEST_ARGS)

setup: system-packages venv db migrate demo
setup-test: system-packages-test venv db migrate demo

system-packages:
	scripts/system-packages.sh run

system-packages-test:
	scripts/system-packages.sh test

venv:
	scripts/venv.sh

# With DATABASE_URL set, the project uses that database and starts no cluster of its own.
db:
	@if [ -n "$$DATABASE_URL" ]; then echo "==> using DATABASE_URL"; else scripts/db.sh create; fi

migrate:
	$(MANAGE) compilemessages --ignore=.venv -v 0
	$(MANAGE) migrate --no-input -v 1
	$(MANAGE) collectstatic --no-input -v 0

demo:
	$(MANAGE) load_demo

serve:
	$(VENV)/bin/gunicorn geo_services.wsgi:application --bind $(HOST):$(PORT) --workers 3 \
		--access-logfile - --forwarded-allow-ips 127.0.0.1

# Django's development server with auto-reload and DEBUG on.
dev: setup
	DEBUG=1 $(MANAGE) runserver $(HOST):$(PORT)

stop:
	@if [ -n "$$DATABASE_URL" ]; then echo "DATABASE_URL is set: no project cluster to stop"; else scripts/db.sh stop; fi

bench: setup
	$(PY) -m bench

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy geo_services layers fieldapp bench tests

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: venv
	$(MANAGE) makemessages -l ar --ignore=.venv --ignore=tests --ignore=bench

# A pg_dump archive of the project's database (dated, in AMANAH_BACKUP_DIR unless FILE=… is given).
backup: venv db
	$(MANAGE) backup_database $(FILE)

# Restores FILE into the new database INTO (never over an existing one), all or nothing, and lists
# the rows of each table; point DATABASE_URL at it to run the app on it.
restore: venv db
	@if [ -z "$(FILE)" ] || [ -z "$(INTO)" ]; then echo "usage: make restore FILE=backups/….dump INTO=new_database_name"; exit 2; fi
	$(MANAGE) restore_database $(FILE) --into $(INTO)
