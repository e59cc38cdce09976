"""The stage-1 run folder on disk: run.json, trials.pkl, trials/<tid>/ and the ranked top K.

Write order for a finished trial: model.keras, then result.json, then trials.pkl, each atomic.
So a trial listed in trials.pkl always has its files, and a folder without result.json (or one
trials.pkl does not list yet) is a trial cut short, redone on resume. A failed trial (its training
raised) has only result.json, with status "failed" and the error; it counts as finished.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pickle
import shutil
from pathlib import Path
from typing import Any

from fer_edge_core.errors import UserInputError
from fer_edge_core.files import write_atomic, write_json

SCHEMA_VERSION = 1
# run.json fields that must match for a run folder to be resumed. "engine" is absent from the
# local engine's run.json and names Ray and its scheduler in a Ray run's: neither engine resumes
# (or clears the trials of) a run folder the other one made.
RESUME_FIELDS = ("data", "space", "epochs", "seed", "train", "engine")
TOP_COLUMNS = ("rank", "trial_id", "val_accuracy", "params", "flops", "train_seconds",
               "epochs_run", "model_path")


class RunStore:
    """Paths and reads/writes of one run folder."""

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.run_json = self.run_dir / "run.json"
        self.trials_pkl = self.run_dir / "trials.pkl"
        self.trials_dir = self.run_dir / "trials"

    def trial_dir(self, tid: int) -> Path:
        return self.trials_dir / str(tid)

    def check_resumable(self, expected: dict[str, Any]) -> bool:
        """True when run.json exists and agrees with `expected` on RESUME_FIELDS; raises
        UserInputError naming the first field that differs."""
        if not self.run_json.exists():
            if self.trials_pkl.exists():
                raise UserInputError(self.run_json, "missing, though trials.pkl is there: cannot "
                                     "tell how those trials were run; use a new --out")
            return False
        try:
            stored = json.loads(self.run_json.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise UserInputError(self.run_json, f"cannot read: {exc}") from None
        if stored.get("schema_version") != SCHEMA_VERSION:
            raise UserInputError(self.run_json, f"schema_version {stored.get('schema_version')!r}"
                                                f" unknown (this reads {SCHEMA_VERSION})")
        for field in RESUME_FIELDS:
            if stored.get(field) != expected.get(field):
                raise UserInputError(
                    self.run_json, f"cannot resume: '{field}' differs from this command "
                    f"(folder has {json.dumps(stored.get(field))}, command gives "
                    f"{json.dumps(expected.get(field))}); use another --out or the same options")
        return True

    def write_run(self, run: dict[str, Any]) -> None:
        write_json(self.run_json, {"schema_version": SCHEMA_VERSION, **run})

    def load_trials(self) -> Any:
        """The saved hyperopt Trials, or a fresh one; checks every finished trial's files."""
        from hyperopt import Trials

        if not self.trials_pkl.exists():
            return Trials()
        try:
            trials = pickle.loads(self.trials_pkl.read_bytes())
        except Exception as exc:  # any unpickling failure means a damaged or foreign file
            raise UserInputError(self.trials_pkl, f"cannot load hyperopt trials: {exc}") from None
        failed = finished_tids(trials) - done_tids(trials)
        for tid in sorted(finished_tids(trials)):
            for name in ("result.json",) if tid in failed else ("result.json", "model.keras"):
                if not (self.trial_dir(tid) / name).exists():
                    raise UserInputError(
                        self.trial_dir(tid) / name, "missing, though trials.pkl lists this "
                        "trial as finished; restore it or use a new --out")
        return trials

    def save_trials(self, trials: Any) -> None:
        write_atomic(self.trials_pkl, pickle.dumps(trials, protocol=pickle.HIGHEST_PROTOCOL))

    def clear_unfinished(self, done: set[int]) -> list[int]:
        """Remove trial folders trials.pkl does not list (cut short by a kill); their ids."""
        if not self.trials_dir.is_dir():
            return []
        stale = [p for p in sorted(self.trials_dir.iterdir())
                 if p.is_dir() and p.name not in {str(t) for t in done}]
        for path in stale:
            shutil.rmtree(path)
        return [int(p.name) for p in stale if p.name.isdigit()]

    def save_trial(self, tid: int, model: Any, result: dict[str, Any]) -> dict[str, Any]:
        """Write trials/<tid>/model.keras then result.json; returns the result with model_path."""
        folder = self.trial_dir(tid)
        folder.mkdir(parents=True, exist_ok=True)
        # Keras insists on the .keras suffix, so the temporary name keeps it.
        temp = folder / ".partial-model.keras"
        model.save(temp)
        os.replace(temp, folder / "model.keras")
        result = {"schema_version": SCHEMA_VERSION, "trial_id": tid, **result,
                  "model_path": (folder / "model.keras").relative_to(self.run_dir).as_posix()}
        write_json(folder / "result.json", result)
        return result

    def save_failed_trial(self, tid: int, result: dict[str, Any]) -> dict[str, Any]:
        """Write trials/<tid>/result.json of a trial whose training raised: no model."""
        result = {"schema_version": SCHEMA_VERSION, "trial_id": tid, "status": "failed",
                  **result}
        write_json(self.trial_dir(tid) / "result.json", result)
        return result

    def load_result(self, tid: int) -> dict[str, Any]:
        return json.loads((self.trial_dir(tid) / "result.json").read_text(encoding="utf-8"))

    def write_top(self, rows: list[dict[str, Any]]) -> None:
        write_json(self.run_dir / "top.json", rows)
        write_atomic(self.run_dir / "top.csv", top_csv(rows))


def done_tids(trials: Any) -> set[int]:
    """Ids of the trials hyperopt holds as finished with status ok."""
    return {t["tid"] for t in trials.trials if t["result"].get("status") == "ok"}


def finished_tids(trials: Any) -> set[int]:
    """Ids of the trials hyperopt holds as finished, ok or failed: what --trials counts."""
    return {t["tid"] for t in trials.trials if t["result"].get("status") in ("ok", "fail")}


def rank_rows(results: list[dict[str, Any]], top_k: int) -> list[dict[str, Any]]:
    """Best first: highest validation accuracy; ties go to fewer parameters (cheaper on a
    board), then the earlier trial."""
    order = sorted(results, key=lambda r: (-r["val_accuracy"], r["params"], r["trial_id"]))
    keys = ("trial_id", "config", "params", "flops", "val_accuracy", "train_seconds",
            "epochs_run", "model_path")
    return [{"rank": i, **{k: r[k] for k in keys}} for i, r in enumerate(order[:top_k], 1)]


def top_csv(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV, the configuration spread into the columns of the paper's Table 3."""
    depth = max((r["config"]["blocks"] for r in rows), default=0)
    kernel_cols = [f"K{i + 1}" for i in range(depth)]
    config_cols = ["blocks", *kernel_cols, "fc1", "dropout1", "fc2", "dropout2"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*TOP_COLUMNS[:2], *config_cols, *TOP_COLUMNS[2:]])
    for row in rows:
        cfg = row["config"]
        kernels = list(cfg["kernels"]) + [""] * (depth - len(cfg["kernels"]))
        values = [cfg["blocks"], *kernels, cfg["fc1"], cfg["dropout1"], cfg["fc2"],
                  cfg["dropout2"]]
        writer.writerow([row["rank"], row["trial_id"], *values,
                         *(row[c] for c in TOP_COLUMNS[2:])])
    return out.getvalue()


def read_top(run_dir: str | Path) -> list[dict[str, Any]]:
    """The ranked rows of a finished run (top.json), best first."""
    path = Path(run_dir) / "top.json"
    if not path.exists():
        raise UserInputError(path, "missing: not a finished `fer-edge search` run folder")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise UserInputError(path, f"not valid JSON ({exc})") from exc
