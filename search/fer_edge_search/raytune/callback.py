"""The driver's side of each Ray trial: as a trial ends, its record (and model) goes into the
run folder, so a killed driver loses no finished trial."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ray import tune

from fer_edge_search.raytune.records import record_of, save_record
from fer_edge_search.raytune.trainable import MODEL_FILE
from fer_edge_search.space import SearchSpace
from fer_edge_search.trial_store import RunStore


class RecordTrials(tune.Callback):
    """Tune callback: number each trial as it ends (next_id on) and save its record; then call
    `on_record` with the record (progress)."""

    def __init__(self, store: RunStore, space: SearchSpace, next_id: int,
                 on_record: Callable[[dict[str, Any]], None]) -> None:
        self.store, self.space, self.next_id = store, space, next_id
        self.on_record = on_record

    def __getstate__(self) -> dict[str, Any]:
        """Tune pickles its configuration, callbacks included, into the experiment folder; the
        progress function (a live terminal bar) stays out of it (that copy is never loaded)."""
        return {**self.__dict__, "on_record": None}

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        """Trained to its end (with its model in the last checkpoint), failed inside training,
        or stopped by ASHA."""
        self._save(trial, dict(trial.last_result or {}))

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        """A trial Ray itself could not run (a worker lost, retried and lost again)."""
        error = (trial.get_error() or "see Ray's log").strip().splitlines()
        self._save(trial, {"outcome": "failed", "error": f"Ray: {error[-1]}"})

    def _save(self, trial: Any, result: dict[str, Any]) -> None:
        record = record_of(self.next_id, self.space.to_config(trial.config), result,
                           trial.trial_id)
        if record["status"] == "ok":
            with trial.checkpoint.as_directory() as folder:
                save_record(self.store, record, Path(folder) / MODEL_FILE)
        else:
            save_record(self.store, record, None)
        self.next_id += 1
        self.on_record(record)
