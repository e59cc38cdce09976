"""A Ray search's trials in the run folder, written as the local engine writes its own
(trials/<id>/model.keras, then result.json, each atomic) and read back, checked, to resume.

Statuses: "ok" (trained to its end; has a model and is ranked), "stopped" (ASHA stopped it at
a rung: its last validation accuracy and epochs, no model, never ranked) and "failed" (its
training raised; the error). All three count towards --trials. Trial ids run 0..N-1 in the order
trials finished. Only JSON is read back: Ray's own experiment state (pickles) is never loaded,
because a run folder may come from someone else and unpickling runs code.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

from fer_edge_core.errors import UserInputError
from fer_edge_core.files import write_json
from fer_edge_search.space import SearchSpace
from fer_edge_search.trial_store import MODEL_NAME, PARTIAL_MODEL_NAME, SCHEMA_VERSION, RunStore

STATUSES = ("ok", "stopped", "failed")
# Fields of a trained trial's record, as the local engine writes them (and the ranking reads).
OK_FIELDS = {"val_accuracy": float, "params": int, "flops": int, "train_seconds": float,
             "epochs_run": int}


def record_of(tid: int, config: dict[str, Any], result: dict[str, Any],
              ray_trial_id: str) -> dict[str, Any]:
    """The result.json of a finished Ray trial from its last reported result."""
    from fer_edge_search.raytune.trainable import METRIC, TIME_ATTR

    record: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "trial_id": tid,
                              "config": config}
    outcome = result.get("outcome")
    if outcome == "ok":
        record.update({k: result[k] for k in (*OK_FIELDS, "train_seed", "threads",
                                              "trial_seconds")})
        record["status"] = "ok"
    elif outcome == "failed":
        record.update({"status": "failed", "error": str(result.get("error")),
                       "train_seed": result.get("train_seed")})
    else:  # ASHA stopped it after an epoch report
        record.update({"status": "stopped", "stopped_by": "asha",
                       "val_accuracy": float(result.get(METRIC, 0.0)),
                       "epochs_run": int(result.get(TIME_ATTR, 0))})
    record["engine"] = {"name": "ray", "trial_id": ray_trial_id}
    return record


def save_record(store: RunStore, record: dict[str, Any], model_file: Path | None) -> None:
    """trials/<id>/model.keras (copied from the trial's checkpoint), then result.json."""
    folder = store.trial_dir(record["trial_id"])
    folder.mkdir(parents=True, exist_ok=True)
    if model_file is not None:
        shutil.copyfile(model_file, folder / PARTIAL_MODEL_NAME)
        os.replace(folder / PARTIAL_MODEL_NAME, folder / MODEL_NAME)
        record["model_path"] = (folder / MODEL_NAME).relative_to(store.run_dir).as_posix()
    write_json(folder / "result.json", record)


def load_records(store: RunStore, space: SearchSpace) -> list[dict[str, Any]]:
    """Every finished trial's result.json, checked, by id; their ids must run 0..N-1."""
    records = []
    for tid in store.trial_ids():
        path = store.trial_dir(tid) / "result.json"
        if path.is_file():
            records.append(check_record(store, tid, path, space))
    ids = [r["trial_id"] for r in records]
    if ids != list(range(len(ids))):
        raise UserInputError(store.trials_dir, f"finished trials {ids} are not numbered 0..N-1: "
                             "this run folder was edited; use a new --out")
    return records


def check_record(store: RunStore, tid: int, path: Path, space: SearchSpace) -> dict[str, Any]:
    """One result.json: a JSON object of this folder's id, a known status, a configuration of
    this space, sound numbers; a trained trial's model present. UserInputError otherwise."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserInputError(path, f"not a trial result: {exc}") from None
    if not isinstance(record, dict) or record.get("trial_id") != tid:
        raise UserInputError(path, f"not the result of trial {tid}")
    if record.get("status") not in STATUSES:
        raise UserInputError(path, f"status {record.get('status')!r} is not one of {STATUSES}")
    try:
        space.to_vals(record.get("config") or {})
    except ValueError as exc:
        raise UserInputError(path, f"config is not in this run's space: {exc}") from None
    wanted = OK_FIELDS if record["status"] == "ok" else (
        {"val_accuracy": float} if record["status"] == "stopped" else {})
    for field, kind in wanted.items():
        value = record.get(field)
        sound = isinstance(value, int | float) and not isinstance(value, bool) and (
            math.isfinite(value) if kind is float else isinstance(value, int))
        if not sound or (field == "val_accuracy" and not 0 <= value <= 100):
            raise UserInputError(path, f"{field} {value!r} is not a sound {kind.__name__}")
    if record["status"] == "ok":
        if not (store.trial_dir(tid) / MODEL_NAME).is_file():
            raise UserInputError(store.trial_dir(tid) / MODEL_NAME, "missing, though "
                                 "result.json records this trial as trained")
        record["model_path"] = f"trials/{tid}/{MODEL_NAME}"
    return record


def hyperopt_history(space: SearchSpace, records: list[dict[str, Any]]) -> Any:
    """Hyperopt's Trials as TPE saw these trials when they ended: a stopped trial with the
    accuracy of its last reported epoch (what HyperOptSearch is told of it live), a failed one
    as STATUS_FAIL."""
    from fer_edge_search.history import rebuild_trials

    seen = [{**r, "status": "ok" if r["status"] in ("ok", "stopped") else "failed"}
            for r in records]
    return rebuild_trials(space, seen)
