"""Stage 1: Hyperopt TPE over the search space, fitness = validation accuracy, resumable.

fmin is called once per trial (max_evals = trials done + 1) on the same Trials object, so each
finished trial is on disk (model, result.json) before the next one starts; a killed run started
again with the same command continues where it stopped, its Hyperopt state rebuilt from the
result.json files (fer_edge_search.history: no pickle). Each call gets its own generator seeded
by (seed, trial number), so a resumed run suggests exactly what an uninterrupted one would have.
A configuration whose training raises is recorded as a failed trial (its error in result.json;
TPE sees it as STATUS_FAIL) and the search goes on.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from fer_edge_core.errors import UserInputError
from fer_edge_core.files import check_can_create
from fer_edge_core.limits import MAX_EPOCHS, MAX_TRIALS, check_count
from fer_edge_search.datasets.base import Split, SplitSpec
from fer_edge_search.space import SearchSpace, load_space
from fer_edge_search.train import TrainSettings, train_config
from fer_edge_search.trial_store import RunStore, done_tids, finished_tids, rank_rows


def run_search(data_spec: str, split: SplitSpec, trials: int, epochs: int, top_k: int,
               out_dir: str | Path, seed: int = 0, space_path: str | Path | None = None,
               show_progress: bool = True, **train_options: Any) -> list[dict[str, Any]]:
    """Run (or resume) a search to `trials` finished trials in `out_dir`; write top.json and
    top.csv and return their rows, best first. `train_options`: other TrainSettings fields
    (batch_size, patience, learning_rate, min_epochs)."""
    from fer_edge_search.datasets import load_dataset, split_dataset

    check_request(trials, epochs, top_k, out_dir, train_options.get("learning_rate"))
    space = load_space(space_path)
    settings = TrainSettings(epochs=epochs, **train_options)
    store = RunStore(out_dir)
    data = split_dataset(load_dataset(data_spec), split)
    run = run_record(data_spec, data, settings, seed, space.raw)
    resuming = store.check_resumable(run)
    if not resuming:
        store.write_run(run)
    history = store.load_history(space)
    done = finished_tids(history)
    stale = store.clear_unfinished(done)
    say = _printer(show_progress)
    if resuming:
        say(f"resuming: {len(done)} of {trials} trials done"
            + (f"; redoing unfinished trial(s) {stale}" if stale else ""))
    with _progress(show_progress, trials, len(done), _best(store, done_tids(history))) as advance:
        while len(finished_tids(history)) < trials:
            result = run_one_trial(space, data, settings, seed, history, store)
            if result["status"] == "failed":
                say(f"trial {result['trial_id']} failed and is recorded: {result['error']}")
            advance(result.get("val_accuracy"))
    rows = rank_rows([store.load_result(t) for t in sorted(done_tids(history))], top_k)
    store.write_top(rows)
    return rows


def run_one_trial(space: SearchSpace, data: Split, settings: TrainSettings, seed: int,
                  history: Any, store: RunStore) -> dict[str, Any]:
    """One trial: ask TPE for a configuration, train it, save it (`history`, a hyperopt Trials,
    grows by one). Returns the trial's result.json dict."""
    from hyperopt import STATUS_FAIL, STATUS_OK, fmin, tpe

    from fer_edge_search.model import count_params_flops

    n_classes = len(data.dataset.class_names)
    trained: dict[str, Any] = {}
    before = set(history.tids)
    train_seed = seed * 100_003 + len(before)

    def objective(point: dict[str, Any]) -> dict[str, Any]:
        config = space.to_config(point)
        trained["config"] = config
        try:
            res = train_config(config, data.part("train"), data.part("val"), settings,
                               seed=train_seed, n_classes=n_classes)
        except Exception as exc:  # a model that cannot be built or trained must not stop stage 1
            trained["error"] = f"{type(exc).__name__}: {exc}"
            return {"status": STATUS_FAIL, "error": trained["error"], "config": config}
        trained["result"] = res
        return {"loss": -res.val_accuracy, "status": STATUS_OK,
                "val_accuracy": res.val_accuracy, "config": config}

    fmin(objective, space.hyperopt_space(), algo=tpe.suggest, max_evals=len(before) + 1,
         trials=history, rstate=np.random.default_rng([seed, len(before)]),
         show_progressbar=False, verbose=False, return_argmin=False)
    (tid,) = set(history.tids) - before
    if "error" in trained:
        result = store.save_failed_trial(tid, {"config": trained["config"],
                                               "error": trained["error"],
                                               "train_seed": train_seed})
        return result
    res = trained["result"]
    params, flops = count_params_flops(res.model)
    kept = _without_optimizer(res.model, trained["config"])
    result = store.save_trial(tid, kept, {
        "config": trained["config"], "params": params, "flops": flops,
        "val_accuracy": res.val_accuracy, "train_seconds": round(res.train_seconds, 3),
        "epochs_run": res.epochs_run, "train_seed": train_seed, "status": "ok"})
    return result


def run_record(data_spec: str, data: Split, settings: TrainSettings, seed: int,
               space: Any) -> dict[str, Any]:
    """run.json's fields (but its schema version): what decides the trained models. Search
    runs and baseline runs (fer_edge_search.baselines) write the same, so a bundle can tell
    whether both were trained on the very same split with the same recipe."""
    return {"data": {"spec": data_spec, "split": data.spec.as_dict(), "last_frames": 1,
                     "sha256": data_fingerprint(data)},
            "space": space, "epochs": settings.epochs, "seed": seed,
            "train": {k: v for k, v in settings.as_dict().items() if k != "epochs"},
            "class_names": list(data.dataset.class_names),
            "input_shape": [*data.dataset.images.shape[1:], 1]}


def check_request(trials: int, epochs: int, top_k: int, out_dir: str | Path,
                  learning_rate: float | None = None) -> None:
    """Refuse sizes no machine finishes, a learning rate no training survives (0, NaN or
    infinity: every trial would end with NaN weights yet count as done) and an output path that
    cannot be a run folder, before any data is loaded."""
    if learning_rate is not None and not (math.isfinite(learning_rate) and learning_rate > 0):
        raise UserInputError("--learning-rate", f"must be a finite number above 0, got "
                             f"{learning_rate}")
    check_count("--trials", trials, 1, MAX_TRIALS, " (each trial trains a model)")
    check_count("--epochs", epochs, 1, MAX_EPOCHS)
    check_count("--top", top_k, 1, MAX_TRIALS)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UserInputError(out, "exists and is not a folder: --out takes a run folder")
    check_can_create(out)


def data_fingerprint(data: Split) -> str:
    """sha256 of the images, labels and the train/val indices: a run folder is resumed only on
    the very same data, even when a folder behind the same spec string has changed."""
    digest = hashlib.sha256()
    for array in (data.dataset.images, data.dataset.labels, data.train_idx, data.val_idx):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _without_optimizer(model: Any, config: dict[str, Any]) -> Any:
    """An uncompiled copy: the saved file then holds no Adam state (a third of the size)."""
    from fer_edge_search.model import rebuild_with_batch

    return rebuild_with_batch(model, config, batch_size=None)


def _best(store: RunStore, done: set[int]) -> float | None:
    accs = [store.load_result(t)["val_accuracy"] for t in done]
    return max(accs) if accs else None


def _console() -> Any:
    """Progress and notes go to stderr, keeping stdout for results."""
    from rich.console import Console

    return Console(stderr=True)


def _printer(enabled: bool) -> Any:
    return _console().print if enabled else (lambda *_args, **_kw: None)


@contextlib.contextmanager
def _progress(enabled: bool, total: int, done: int, best: float | None) -> Iterator[Any]:
    """A rich progress bar (trials done / total, best validation accuracy so far); yields a
    function to call with each finished trial's accuracy."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    state = {"best": best}

    def label() -> str:
        return "best val acc " + ("-" if state["best"] is None else f"{state['best']:.2f}%")

    columns = (TextColumn("search"), BarColumn(), MofNCompleteColumn(), TextColumn("trials"),
               TextColumn("{task.fields[best]}"), TimeElapsedColumn())
    with Progress(*columns, console=_console(), disable=not enabled) as bar:
        task = bar.add_task("search", total=total, completed=min(done, total), best=label())

        def advance(accuracy: float | None) -> None:
            if accuracy is not None:
                state["best"] = accuracy if state["best"] is None else max(state["best"], accuracy)
            bar.update(task, advance=1, best=label())

        yield advance
