"""One stage-1 trial inside a Ray Tune worker: the local engine's training (train_config), with
each epoch's validation accuracy reported to Tune so that ASHA can stop a lagging trial.

A trial that trains to its end reports once more: its final record (the accuracy of the weights
early stopping kept, parameters, FLOPs, times) with the model as a Tune checkpoint, which the
driver copies into the run folder (records.py). A worker on another machine never writes into
the run folder itself; Tune carries the checkpoint through its storage path.
"""

from __future__ import annotations

import json
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

# The per-epoch metric ASHA compares (percent) and its time axis (epochs trained).
METRIC = "val_accuracy"
TIME_ATTR = "epoch"
MODEL_FILE = "model.keras"


def trial_seed(seed: int, config: dict[str, Any]) -> int:
    """The training seed of a configuration: fixed by the search seed and the configuration, so
    a configuration trains the same whichever worker, order or session runs it."""
    digest = zlib.crc32(json.dumps(config, sort_keys=True).encode("utf-8"))
    return seed * 100_003 + digest % 100_003


def epoch_reporter(last_epoch: int) -> Any:
    """A Keras callback that reports each epoch's validation accuracy (percent) to Tune, but
    the last: the trial's final report follows it, with the model."""
    import keras
    from ray import tune

    class ReportEpochs(keras.callbacks.Callback):
        """Tune's report after every epoch; ASHA decides at its rungs whether training goes on
        (a stop ends this trial inside this call)."""

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if epoch + 1 >= last_epoch:
                return
            accuracy = 100.0 * float((logs or {}).get("val_accuracy", 0.0))
            tune.report({METRIC: accuracy, TIME_ATTR: epoch + 1})

    return ReportEpochs()


def limit_threads(threads: int) -> int:
    """Give TensorFlow as many threads as Ray gave this trial CPUs, so trials running side by
    side do not fight over cores. Settable once per process (a reused worker keeps it)."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # TensorFlow already started in this worker: it keeps its first setting
        pass
    return tf.config.threading.get_intra_op_parallelism_threads()


def run_trial(point: dict[str, Any], *, data: dict[str, Any], space_raw: dict[str, Any],
              settings: dict[str, Any], seed: int, threads: int) -> None:
    """Tune's function trainable: `point` is the Hyperopt sample HyperOptSearch drew from the
    space's expression; the other arguments come through Ray's object store
    (tune.with_parameters): the train and validation parts, the space and the recipe."""
    from ray import tune

    from fer_edge_search.model import count_params_flops
    from fer_edge_search.runner import without_optimizer
    from fer_edge_search.space import parse_space
    from fer_edge_search.train import TrainSettings, train_config

    used_threads = limit_threads(threads)
    config = parse_space(space_raw, "run.json").to_config(point)
    seed_used = trial_seed(seed, config)
    start = time.perf_counter()
    recipe = TrainSettings(**settings)
    try:
        res = train_config(config, data["train"], data["val"], recipe, seed=seed_used,
                           n_classes=data["n_classes"], callbacks=[epoch_reporter(recipe.epochs)])
    except Exception as exc:  # a model that cannot be built or trained must not stop stage 1
        tune.report({METRIC: 0.0, TIME_ATTR: 0, "outcome": "failed",
                     "error": f"{type(exc).__name__}: {exc}",
                     "train_seed": seed_used})
        return
    params, flops = count_params_flops(res.model)
    final = {METRIC: res.val_accuracy, TIME_ATTR: res.epochs_run, "outcome": "ok",
             "params": params, "flops": flops, "train_seconds": round(res.train_seconds, 3),
             "epochs_run": res.epochs_run, "train_seed": seed_used, "threads": used_threads,
             "trial_seconds": round(time.perf_counter() - start, 3)}
    with tempfile.TemporaryDirectory(prefix="fer-edge-trial-") as folder:
        without_optimizer(res.model, config).save(Path(folder) / MODEL_FILE)
        tune.report(final, checkpoint=tune.Checkpoint.from_directory(folder))
