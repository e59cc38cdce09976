# fer-edge: the two commands of the README, and the pieces they are made of.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test test-fast lint bench-fidelity clean

setup: $(STAMP)

$(STAMP): pyproject.toml harness/setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## The main job: the whole three-stage method on the built-in synthetic data.
demo: setup
	$(BIN)/fer-edge demo --out runs/demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/vermin --no-tips --violations --target=3.6- harness/

## Every test, slow end-to-end ones included (what CI runs).
test: lint
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

clean:
	rm -rf $(VENV) runs .pytest_cache
