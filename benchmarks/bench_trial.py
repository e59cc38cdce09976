"""Benchmark: the cost of one stage-1 trial, and the trials per hour it allows on this machine.

One trial is what `fer-edge search` does per step: TPE suggests a configuration from the default
space, it is trained on the default `synthetic` dataset (subject split) for at most EPOCHS epochs
with early stopping, and its model, result.json and trials.pkl are written. Each round is a new
trial (a new configuration), so the spread reflects the space's spread of model sizes.

Run (not part of the test suite; speed is never asserted):
    .venv/bin/python -m pytest benchmarks/bench_trial.py --benchmark-only
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

EPOCHS = 5
ROUNDS = 4


def test_one_trial(benchmark, tmp_path, capsys):
    from hyperopt import Trials

    from fer_edge_search.datasets import load_dataset, split_dataset
    from fer_edge_search.datasets.base import SplitSpec
    from fer_edge_search.runner import run_one_trial
    from fer_edge_search.space import load_space
    from fer_edge_search.train import TrainSettings
    from fer_edge_search.trial_store import RunStore

    space = load_space()
    data = split_dataset(load_dataset("synthetic"), SplitSpec(rule="subject"))
    settings = TrainSettings(epochs=EPOCHS)
    history, store, results = Trials(), RunStore(tmp_path), []

    def one_trial() -> None:
        results.append(run_one_trial(space, data, settings, 0, history, store))

    benchmark.pedantic(one_trial, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    mean_s = benchmark.stats.stats.mean
    benchmark.extra_info.update({
        "epochs_max": EPOCHS, "n_train": len(data.train_idx), "n_val": len(data.val_idx),
        "trials_per_hour": round(3600 / mean_s, 1),
        "epochs_run": [r["epochs_run"] for r in results],
        "train_seconds": [r["train_seconds"] for r in results],
        "params": [r["params"] for r in results],
        "val_accuracy": [round(r["val_accuracy"], 2) for r in results]})
    with capsys.disabled():
        print(f"\none trial (synthetic, {len(data.train_idx)} train images, <= {EPOCHS} epochs, "
              f"early stopping): mean {mean_s:.1f} s -> {3600 / mean_s:.0f} trials per hour")
        for r in results:
            print(f"  blocks {r['config']['blocks']} params {r['params']:>7,} "
                  f"epochs {r['epochs_run']} train {r['train_seconds']:.1f} s "
                  f"val acc {r['val_accuracy']:.1f}%")
