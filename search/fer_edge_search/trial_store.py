"""The stage-1 run folder on disk: run.json, trials/<tid>/ and the ranked top K.

Write order for a finished trial: model.keras, then result.json, each atomic. So a trial with a
result.json always has its model, and a trial folder without result.json is a trial cut short,
redone on resume. A failed trial (its training raised) has only result.json, with status
"failed" and the error; it counts as finished. The result.json files are the search's whole
state: a resume rebuilds Hyperopt's from them (fer_edge_search.history), each checked on the way
in, because a run folder may come from someone else. No pickle is written or read (a trials.pkl
of an older fer-edge is left as it is and never loaded).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from fer_edge_core.errors import UserInputError
from fer_edge_core.files import write_atomic, write_json
from fer_edge_core.jsonfile import read_json_file, validate
from fer_edge_search.run_files import RunRecord, read_top_rows

SCHEMA_VERSION = 1
# run.json fields that must match for a run folder to be resumed.
RESUME_FIELDS = ("data", "space", "epochs", "seed", "train")
TOP_COLUMNS = ("rank", "trial_id", "val_accuracy", "params", "flops", "train_seconds",
               "epochs_run", "model_path")
MODEL_NAME = "model.keras"
# What a trial that was cut short may have left in its folder: the model under its temporary
# and final names, and write_atomic's temporary result.json (".result.json.*.tmp").
PARTIAL_MODEL_NAME = ".partial-model.keras"


class FailedTrial(BaseModel):
    """A result.json of a trial whose training raised (other fields are kept as they are)."""

    model_config = ConfigDict(extra="allow", strict=True)
    trial_id: int
    status: Literal["failed"]
    config: dict[str, Any]


class FinishedTrial(FailedTrial):
    """A result.json of a trained trial: what the ranking and the search read back."""

    status: Literal["ok"]  # type: ignore[assignment]
    val_accuracy: float
    params: int
    flops: int
    epochs_run: int
    train_seconds: float

    @field_validator("val_accuracy")
    @classmethod
    def _percentage(cls, value: float) -> float:
        if not (math.isfinite(value) and 0 <= value <= 100):
            raise ValueError(f"must be a percentage 0-100, not {value!r}")
        return value


TRIAL_RESULT = TypeAdapter(Annotated[FinishedTrial | FailedTrial, Field(discriminator="status")])


class RunStore:
    """Paths and reads/writes of one run folder."""

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.run_json = self.run_dir / "run.json"
        self.trials_dir = self.run_dir / "trials"

    def trial_dir(self, tid: int) -> Path:
        return self.trials_dir / str(tid)

    def check_resumable(self, expected: dict[str, Any]) -> bool:
        """True when run.json exists and agrees with `expected` on RESUME_FIELDS; raises
        UserInputError naming the first field that differs."""
        if not self.run_json.exists():
            if self.trials_dir.exists():
                raise UserInputError(self.run_json, "missing, though trials/ is there: not a "
                                     "run folder fer-edge started, or one it cannot tell how "
                                     "was run; use a new --out")
            return False
        stored = read_json_file(self.run_json, "the run.json of a `fer-edge search` run folder")
        if not isinstance(stored, dict):
            raise UserInputError(self.run_json, "must be a JSON object")
        if stored.get("schema_version") != SCHEMA_VERSION:
            raise UserInputError(self.run_json, f"schema_version {stored.get('schema_version')!r}"
                                                f" unknown (this reads {SCHEMA_VERSION})")
        validate(RunRecord, stored, self.run_json)
        for field in RESUME_FIELDS:
            if stored.get(field) != expected.get(field):
                raise UserInputError(
                    self.run_json, f"cannot resume: '{field}' differs from this command "
                    f"(folder has {json.dumps(stored.get(field))}, command gives "
                    f"{json.dumps(expected.get(field))}); use another --out or the same options")
        return True

    def write_run(self, run: dict[str, Any]) -> None:
        write_json(self.run_json, {"schema_version": SCHEMA_VERSION, **run})

    def load_records(self, space: Any = None) -> list[dict[str, Any]]:
        """Every finished trial's result.json, checked: its id is its folder's, its status and
        accuracy are sound, its config lies in `space` (when given), an ok trial has its model,
        and the ids run 0..N-1 (new trials are numbered after them). Raises UserInputError
        naming the file."""
        records = [self.load_result(tid, space) for tid in self.trial_ids()
                   if (self.trial_dir(tid) / "result.json").is_file()]
        for record in records:
            model = self.trial_dir(record["trial_id"]) / MODEL_NAME
            if record["status"] == "ok" and not model.is_file():
                raise UserInputError(model, "missing, though result.json records this trial "
                                     "as finished; restore it or use a new --out")
        ids = sorted(r["trial_id"] for r in records)
        if ids != list(range(len(ids))):
            raise UserInputError(self.trials_dir, f"finished trials {ids} are not numbered "
                                 "0..N-1: this run folder was edited; use a new --out")
        return records

    def load_history(self, space: Any) -> Any:
        """Hyperopt's Trials rebuilt from the finished trials' result.json (no pickle)."""
        from fer_edge_search.history import rebuild_trials

        return rebuild_trials(space, self.load_records(space))

    def trial_ids(self) -> list[int]:
        """Ids of the trial folders (trials/<digits>/); anything else in trials/ is not ours."""
        if not self.trials_dir.is_dir():
            return []
        return sorted(int(p.name) for p in self.trials_dir.iterdir()
                      if p.is_dir() and p.name.isdigit() and p.name == str(int(p.name)))

    def clear_unfinished(self, done: set[int]) -> list[int]:
        """Remove what a trial cut short left (a trial folder without result.json): only the
        files this tool writes there, then the empty folder. A folder that holds anything else
        is the user's: refused, never deleted. Returns the ids cleared."""
        stale = [tid for tid in self.trial_ids() if tid not in done]
        for tid in stale:
            folder = self.trial_dir(tid)
            foreign = sorted(p.name for p in folder.iterdir() if not _written_by_a_trial(p))
            if foreign:
                raise UserInputError(folder, f"an unfinished trial's folder holds files "
                                     f"fer-edge did not write ({', '.join(foreign)}); move "
                                     "them or use another --out")
        for tid in stale:
            folder = self.trial_dir(tid)
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()
        return stale

    def save_trial(self, tid: int, model: Any, result: dict[str, Any]) -> dict[str, Any]:
        """Write trials/<tid>/model.keras then result.json; returns the result with model_path."""
        folder = self.trial_dir(tid)
        folder.mkdir(parents=True, exist_ok=True)
        # Keras insists on the .keras suffix, so the temporary name keeps it.
        temp = folder / PARTIAL_MODEL_NAME
        model.save(temp)
        os.replace(temp, folder / MODEL_NAME)
        result = {"schema_version": SCHEMA_VERSION, "trial_id": tid, **result,
                  "model_path": (folder / MODEL_NAME).relative_to(self.run_dir).as_posix()}
        write_json(folder / "result.json", result)
        return result

    def save_failed_trial(self, tid: int, result: dict[str, Any]) -> dict[str, Any]:
        """Write trials/<tid>/result.json of a trial whose training raised: no model."""
        result = {"schema_version": SCHEMA_VERSION, "trial_id": tid, "status": "failed",
                  **result}
        write_json(self.trial_dir(tid) / "result.json", result)
        return result

    def load_result(self, tid: int, space: Any = None) -> dict[str, Any]:
        """trials/<tid>/result.json, checked (and its config against `space` when given);
        model_path is set to where this folder keeps the model, whatever the file says."""
        path = self.trial_dir(tid) / "result.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            record = TRIAL_RESULT.validate_python(raw).model_dump()
        except (OSError, ValueError) as exc:
            raise UserInputError(path, f"not a trial result: {_first_line(exc)}") from None
        if record["trial_id"] != tid:
            raise UserInputError(path, f"trial_id {record['trial_id']} is not its folder's {tid}")
        if space is not None:
            try:
                space.to_vals(record["config"])
            except ValueError as exc:
                raise UserInputError(path, f"config is not in this run's space: {exc}") from None
        if record["status"] == "ok":
            record["model_path"] = f"trials/{tid}/{MODEL_NAME}"
        return record

    def write_top(self, rows: list[dict[str, Any]]) -> None:
        write_json(self.run_dir / "top.json", rows)
        write_atomic(self.run_dir / "top.csv", top_csv(rows))


def _written_by_a_trial(path: Path) -> bool:
    """A file a trial writes into its folder (see save_trial and write_atomic)."""
    name = path.name
    temp_result = name.startswith(".result.json.") and name.endswith(".tmp")
    return path.is_file() and not path.is_symlink() and (
        name in (MODEL_NAME, PARTIAL_MODEL_NAME) or temp_result)


def _first_line(exc: Exception) -> str:
    """A pydantic or JSON error in one line: the field and what is wrong with it."""
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "the file"
        return f"{field}: {error['msg']}"
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


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
    return read_top_rows(path)
