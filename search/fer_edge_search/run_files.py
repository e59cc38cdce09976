"""The shape of a stage-1 run folder's own files, run.json and top.json, checked where they are
read (resuming a search, making a bundle): a run folder is something people copy between
machines, so a wrong type or a missing field is one line naming the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fer_edge_core.jsonfile import read_json_file, validate

Name = Annotated[str, Field(min_length=1)]
Width = Annotated[int, Field(ge=1)]
Dropout = Annotated[float, Field(ge=0, lt=1)]


class Checked(BaseModel):
    """Strict JSON types, finite numbers, extra keys kept (later versions may add some)."""

    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False)


class SplitRecord(Checked):
    """Exactly the SplitSpec fields (the bundle writer rebuilds the split from them)."""

    model_config = ConfigDict(extra="forbid")
    rule: Literal["subject", "random"]
    train: float
    val: float
    test: float
    seed: Annotated[int, Field(ge=0)]


class DataRecord(Checked):
    spec: Name
    split: SplitRecord
    last_frames: Width = 1


class RunRecord(Checked):
    """run.json as `fer-edge search` writes it (trial_store.RunStore.write_run): the fields
    that are read (the data and split to rebuild, the seed, the class names); the others are
    only compared with a resumed command's, whatever their type."""

    schema_version: int
    data: DataRecord
    seed: Annotated[int, Field(ge=0)] = 0
    class_names: list[str] | None = None


class ModelConfig(Checked):
    """A searched model's configuration (space.make_config)."""

    blocks: Width
    kernels: list[Width]
    fc1: Width
    fc2: Width
    dropout1: Dropout
    dropout2: Dropout


class TopRow(Checked):
    """One row of top.json (trial_store.rank_rows), best first."""

    rank: Width
    trial_id: int | str
    config: ModelConfig
    params: int | None = None
    flops: int | None = None
    val_accuracy: float
    model_path: Name


def read_run_record(path: str | Path) -> dict[str, Any]:
    """run.json, checked; UserInputError naming the field that is wrong."""
    data = read_json_file(path, "the run.json of a `fer-edge search` run folder")
    validate(RunRecord, data, path)
    return data


def read_top_rows(path: str | Path) -> list[dict[str, Any]]:
    """top.json, checked: a list of ranked rows."""
    data = read_json_file(path, "the top.json of a finished `fer-edge search` run")
    validate(list[TopRow], data, path)
    return data
