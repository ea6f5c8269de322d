# The two commands of the README:
#   make run    install, migrate, and start everything on embedded defaults with 3 sample cases
#   make test   install, then lint, type-check and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install

$(STAMP): pyproject.toml
	scripts/install-system-packages
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch==2.14.1 with torchvision==0.29.1 is the pair that imports together (DESIGN.md)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/permits db upgrade
	$(BIN)/permits up --demo 3

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy cases flows cli web tools

test: lint
	scripts/ensure-postgres
	$(BIN)/pytest
