"""Stage 1 on Ray Tune: HyperOptSearch over the space's Hyperopt expression, ASHA on each epoch's
validation accuracy, the local engine's training in each trial; the same run folder at the end.

A search runs in sessions. Each session starts from the run folder's result.json files (the
Hyperopt history rebuilt from them, as the local engine does: no pickle is read), runs the
trials still missing as a fresh Tune experiment, and records each trial in the run folder as it
ends. A killed driver therefore loses only the trials that were running; the same command
resumes. Ray's own Tuner.restore is not used: it unpickles the experiment's state, and a run
folder may come from someone else.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
from ray import tune

from fer_edge_core.limits import MAX_TRIALS
from fer_edge_search.algorithm import SearchSettings
from fer_edge_search.datasets.base import Split, SplitSpec
from fer_edge_search.progress import printer, progress_bar
from fer_edge_search.raytune.records import hyperopt_history, load_records
from fer_edge_search.raytune.runtime import ray_runtime
from fer_edge_search.raytune.settings import RaySettings
from fer_edge_search.raytune.trainable import METRIC, TIME_ATTR, run_trial
from fer_edge_search.runner import DEFAULT_SEARCH, check_request, run_record
from fer_edge_search.space import SearchSpace, load_space
from fer_edge_search.train import TrainSettings
from fer_edge_search.trial_store import RunStore, rank_rows


def run_ray_search(data_spec: str, split: SplitSpec, trials: int, epochs: int, top_k: int,
                   out_dir: str | Path, engine: RaySettings, seed: int = 0,
                   space_path: str | Path | None = None, show_progress: bool = True,
                   search: SearchSettings = DEFAULT_SEARCH,
                   **train_options: Any) -> list[dict[str, Any]]:
    """Run (or resume) a Ray search to `trials` finished trials in `out_dir`; write top.json
    and top.csv and return their rows, best first (trained trials only: ASHA's stopped trials
    have no model). Raises KeyboardInterrupt when a session ended before `trials`."""
    from fer_edge_search.datasets import load_dataset, split_dataset

    check_request(trials, epochs, top_k, out_dir, train_options.get("learning_rate"))
    space = load_space(space_path)
    settings = TrainSettings(epochs=epochs, **train_options)
    store = RunStore(out_dir)
    data = split_dataset(load_dataset(data_spec), split)
    run = {**run_record(data_spec, data, settings, seed, space.raw, search),
           "engine": engine.engine_record()}
    resuming = store.check_resumable(run)
    if not resuming:
        store.write_run(run)
    records = load_records(store, space)
    stale = store.clear_unfinished({r["trial_id"] for r in records})
    say = printer(show_progress)
    if resuming:
        say(f"resuming: {len(records)} of {trials} trials done"
            + (f"; removed unfinished trial folder(s) {stale}" if stale else ""))
    if len(records) < trials:
        run_session(store, space, data, settings, seed, engine, records, trials, show_progress,
                    search)
        records = load_records(store, space)
        if len(records) < trials:
            say(f"stopped with {len(records)} of {trials} trials done; the same command resumes")
            raise KeyboardInterrupt
    rows = rank_rows([r for r in records if r["status"] == "ok"], top_k)
    store.write_top(rows)
    return rows


def run_session(store: RunStore, space: SearchSpace, data: Split, settings: TrainSettings,
                seed: int, engine: RaySettings, records: list[dict[str, Any]], trials: int,
                show_progress: bool, search: SearchSettings = DEFAULT_SEARCH) -> None:
    """One Tune experiment for the trials still missing, each recorded as it ends."""
    from fer_edge_search.raytune.callback import RecordTrials

    parts = {"train": data.part("train"), "val": data.part("val"),
             "n_classes": len(data.dataset.class_names)}
    storage = Path(engine.storage or store.run_dir / "ray")
    name = f"session-{len(records):05d}-{time.strftime('%Y%m%d-%H%M%S')}"
    done = [r["val_accuracy"] for r in records if r["status"] == "ok"]
    with ray_runtime(engine, data_bytes(parts)) as workers, progress_bar(
            show_progress, trials, len(records), max(done, default=None)) as advance:
        trainable = tune.with_resources(
            tune.with_parameters(run_trial, data=parts, space_raw=space.raw,
                                 settings=settings.as_dict(), seed=seed,
                                 threads=engine.cpus_per_trial),
            {"cpu": engine.cpus_per_trial})
        recorder = RecordTrials(store, space, len(records), _progress_note(advance, show_progress))
        tuner = tune.Tuner(
            trainable,
            tune_config=tune.TuneConfig(
                search_alg=searcher(space, records, seed, search),
                scheduler=scheduler(settings, engine),
                num_samples=trials - len(records), max_concurrent_trials=workers,
                reuse_actors=True),
            run_config=tune.RunConfig(
                name=name, storage_path=str(storage.resolve()) if engine.storage is None
                else engine.storage, verbose=0, callbacks=[recorder],
                failure_config=tune.FailureConfig(max_failures=1)))
        tuner.fit()
    if engine.storage is None:  # this session's Ray state: never read again
        shutil.rmtree(storage / name, ignore_errors=True)


def searcher(space: SearchSpace, records: list[dict[str, Any]], seed: int,
             search: SearchSettings = DEFAULT_SEARCH) -> Any:
    """Ray's HyperOptSearch over the space's own Hyperopt expression (the local engine's), its
    history the finished trials', its generator seeded by (seed, trials done). TPE draws its
    first `search.startup_trials` points at random, as the local engine's does; random search
    is TPE that never leaves its random start."""
    from ray.tune.search.hyperopt import HyperOptSearch

    session_seed = int(np.random.default_rng([seed, len(records)]).integers(2**31 - 1))
    search = HyperOptSearch(space.hyperopt_space(), metric=METRIC, mode="max",
                            n_initial_points=initial_points(search), random_state_seed=session_seed)
    if records:
        search.set_state({"hyperopt_trials": hyperopt_history(space, records),
                          "rstate": np.random.RandomState(session_seed).get_state()})
    return search


def initial_points(search: SearchSettings) -> int:
    """HyperOptSearch's random points before TPE: every trial there can be for random search."""
    return search.startup_trials if search.algorithm == "tpe" else MAX_TRIALS


def scheduler(settings: TrainSettings, engine: RaySettings) -> Any:
    """ASHA on the epochs trained, rungs below the last epoch. A trial's last epoch is not
    reported on its own (trainable.epoch_reporter): the final report, with the model, stands
    for it, so ASHA's stop at max_t comes after the model is saved."""
    from ray.tune.schedulers import ASHAScheduler

    return ASHAScheduler(time_attr=TIME_ATTR, metric=METRIC, mode="max",
                         max_t=settings.epochs,
                         grace_period=min(engine.grace_epochs, settings.epochs),
                         reduction_factor=engine.reduction_factor)


def data_bytes(parts: dict[str, Any]) -> int:
    """Bytes of the images and labels shipped to the workers through Ray's object store."""
    return sum(array.nbytes for name in ("train", "val") for array in parts[name])


def _progress_note(advance: Any, show_progress: bool) -> Any:
    """Advance the bar with each recorded trial; note the ones that failed."""
    say = printer(show_progress)

    def note(record: dict[str, Any]) -> None:
        if record["status"] == "failed":
            say(f"trial {record['trial_id']} failed and is recorded: {record['error']}")
        advance(record["val_accuracy"] if record["status"] == "ok" else None)

    return note
