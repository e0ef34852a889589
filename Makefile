# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint bench bench-delivery bench-load fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/helpdesk db upgrade
	$(BIN)/helpdesk run

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

fuzz: $(STAMP)
	FUZZ_EXAMPLES=10000 $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_fuzz.py -k "hostile or count" -s

bench: $(STAMP)
	$(BIN)/python -m benchmarks

bench-delivery: $(STAMP)
	$(BIN)/python -m benchmarks.delivery

bench-load: $(STAMP)
	$(BIN)/python -m benchmarks.load

clean:
	rm -rf $(VENV) build *.egg-info
