# Two commands: `make run` (the four services on SQLite under var/) and `make test`.
# `make run PORT=9100`: registry on 9100, catalog 9101, assistance 9102, settlement 9103.
PYTHON ?= python3
PORT ?= 8101
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m deploy.run_local --base-port $(PORT)

test: lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check shared services deploy tests conftest.py

clean:
	rm -rf $(VENV) var .pytest_cache
