"""Benchmark: the cost of one stage-1 trial, and the trials per hour it allows on this machine.

One trial is what `fer-edge search` does per step: TPE suggests a configuration from the default
space, it is trained on the default `synthetic` dataset (subject split) for at most EPOCHS epochs
with early stopping, and its model and result.json are written. Each round is a new
trial (a new configuration), so the spread reflects the space's spread of model sizes. Run once
with the training recipe and once with the recipe from before it (benchmarks/stage1_common.py): the
same seeds give both the same configurations (the first trials are TPE's random start-up).

Run (not part of the test suite; speed is never asserted):
    .venv/bin/python -m pytest benchmarks/bench_trial.py --benchmark-only
"""

from __future__ import annotations

import os
import time

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from stage1_common import OLD_RECIPE

EPOCHS = 5
ROUNDS = 4


@pytest.mark.parametrize("recipe", ["recipe", "old-recipe"])
def test_one_trial(benchmark, tmp_path, capsys, recipe):
    from hyperopt import Trials

    from fer_edge_search.datasets import load_dataset, split_dataset
    from fer_edge_search.datasets.base import SplitSpec
    from fer_edge_search.runner import run_one_trial
    from fer_edge_search.space import load_space
    from fer_edge_search.train import TrainSettings
    from fer_edge_search.trial_store import RunStore

    space = load_space()
    data = split_dataset(load_dataset("synthetic"), SplitSpec(rule="subject"))
    settings = TrainSettings(epochs=EPOCHS, **(OLD_RECIPE if recipe == "old-recipe" else {}))
    history, store, results, cpu = Trials(), RunStore(tmp_path), [], []

    def one_trial() -> None:
        # CPU seconds too: on a machine shared with other jobs they move much less than wall time
        start = time.process_time()
        results.append(run_one_trial(space, data, settings, 0, history, store))
        cpu.append(time.process_time() - start)

    benchmark.pedantic(one_trial, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    mean_s = benchmark.stats.stats.mean
    benchmark.extra_info.update({
        "recipe": recipe, "load_average": os.getloadavg(), "cpu_seconds": cpu,
        "epochs_max": EPOCHS, "n_train": len(data.train_idx), "n_val": len(data.val_idx),
        "trials_per_hour": round(3600 / mean_s, 1),
        "epochs_run": [r["epochs_run"] for r in results],
        "train_seconds": [r["train_seconds"] for r in results],
        "params": [r["params"] for r in results],
        "val_accuracy": [round(r["val_accuracy"], 2) for r in results]})
    with capsys.disabled():
        print(f"\none trial ({recipe}; synthetic, {len(data.train_idx)} train images, <= {EPOCHS} "
              f"epochs, early stopping): mean {mean_s:.1f} s -> {3600 / mean_s:.0f} trials per "
              f"hour; {sum(cpu) / len(cpu):.1f} CPU s a trial (load average "
              f"{os.getloadavg()[0]:.1f})")
        for r in results:
            print(f"  blocks {r['config']['blocks']} params {r['params']:>7,} "
                  f"epochs {r['epochs_run']} train {r['train_seconds']:.1f} s "
                  f"val acc {r['val_accuracy']:.1f}%")
