"""Benchmark: what the Table 4 baselines add to a demo, as ratios to a searched model measured
in the same run (a loaded machine slows all three alike; the ratios are what carry over).

A one-epoch training (build, one epoch, validation: `train_config` with epochs=1, the search's
own function) on the default `synthetic` dataset (subject split) of: the reference searched
model of docs/runtimes.md (K 16-32, FC 115/85, 28 MFLOP), Kandeel et al.'s and Mollahosseini et
al.'s networks, each after one warm-up run, in one pytest-benchmark run.

Run (not part of the test suite; speed is never asserted): `make bench-baselines`.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROUNDS = 3
REFERENCE = {"blocks": 2, "kernels": [16, 32], "fc1": 115, "fc2": 85, "dropout1": 0.1,
             "dropout2": 0.17}
MODELS = ["reference", "kandeel2021", "mollahosseini2016"]


@pytest.fixture(scope="module")
def data():
    from fer_edge_search.datasets import load_dataset, split_dataset
    from fer_edge_search.datasets.base import SplitSpec

    return split_dataset(load_dataset("synthetic"), SplitSpec(rule="subject"))


def _config(name: str) -> dict:
    from fer_edge_search.baselines import baseline_config

    return REFERENCE if name == "reference" else baseline_config(name)


@pytest.mark.parametrize("name", MODELS)
def test_one_epoch(benchmark, data, name):
    from fer_edge_search.train import TrainSettings, train_config

    settings = TrainSettings(epochs=1)
    config = _config(name)
    n_classes = len(data.dataset.class_names)
    train_config(config, data.part("train"), data.part("val"), settings, n_classes=n_classes)

    def one_epoch() -> None:
        train_config(config, data.part("train"), data.part("val"), settings,
                     n_classes=n_classes)

    benchmark.group = "one training epoch (synthetic, default split)"
    benchmark.pedantic(one_epoch, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    benchmark.extra_info.update({"n_train": len(data.train_idx), "model": name})
