# `make run` serves the platform in its embedded default (SQLite, tasks in-process, files in ./media)
# unless DATABASE_URL, CELERY_BROKER_URL, ... are set; `make test` runs the test suite.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# Holds the SHA-256 of the pyproject.toml whose dependencies are installed.
STAMP := $(VENV)/.installed-pyproject
PYTEST_ARGS ?=

.PHONY: venv install run test lint benchmark

venv: $(PY)

$(PY):
	$(PYTHON) -m venv $(VENV)

# pyproject.toml has no package to build (packages = []): install its dependency lists directly.
install: $(PY)
	@want=$$(sha256sum pyproject.toml | cut -d' ' -f1); \
	if [ "$$(cat $(STAMP) 2>/dev/null)" != "$$want" ]; then \
		echo "Installing dependencies from pyproject.toml"; \
		$(PY) -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(p["dependencies"] + p["optional-dependencies"]["dev"]))' > $(VENV)/requirements.txt && \
		$(PY) -m pip install --quiet -r $(VENV)/requirements.txt && \
		echo "$$want" > $(STAMP); \
	fi

run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py runserver 127.0.0.1:8000

test: install
	$(PY) -m pytest -n 2 $(PYTEST_ARGS) tests/

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# benchmark_tenders also needs PostgreSQL and a broker, on a database of its own (see its --help).
benchmark: install
	$(PY) manage.py benchmark_directory
	$(PY) manage.py benchmark_documents
	@case "$$DATABASE_URL" in \
		postgres://*|postgresql://*|pgsql://*|psql://*) \
			if [ -n "$$CELERY_BROKER_URL" ]; then $(PY) manage.py benchmark_tenders; \
			else echo "benchmark_tenders skipped: CELERY_BROKER_URL is not set"; fi ;; \
		*) echo "benchmark_tenders skipped: DATABASE_URL is not PostgreSQL" ;; \
	esac
