"""Read a `fer-edge baselines` run folder for the bundle writer, refusing one that was not
trained on the search run's very data and split (a comparison across splits means nothing).

The folder may come from someone else: its files are checked where they are read (run.json as a
search run's record with `kind` "baselines", top.json row by row), each model must be its own
baseline's trials/<name>/model.keras inside the folder, name a baseline this project builds,
and, once loaded, have that baseline's layers; its run.json must agree with the search run's on
the data (spec, split, fingerprint), the class names and the input shape.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from fer_edge_core.errors import UserInputError
from fer_edge_core.jsonfile import read_json_file, validate
from fer_edge_core.paths import inside
from fer_edge_search.baselines import baseline_name
from fer_edge_search.baselines.runner import KIND
from fer_edge_search.run_files import read_run_record
from fer_edge_search.trial_store import MODEL_NAME

# run.json fields a baseline run must share with the search run it is bundled with; `input`
# is the input scaling, which the bundle records once for all its models.
SAME_DATA_FIELDS = ("data", "class_names", "input_shape", "input")
# Fields where a difference is allowed but said: the recipe the models were trained with.
RECIPE_FIELDS = ("epochs", "seed", "train")


class BaselineRow(BaseModel):
    """One row of a baseline run's top.json (runner.ROW_KEYS), the fields read."""

    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False)
    trial_id: str
    config: dict[str, Any]
    params: int | None = None
    flops: int | None = None
    val_accuracy: float
    model_path: str


def read_run(run_json: Path) -> dict[str, Any]:
    """A baseline run's run.json, checked to be one."""
    if not run_json.is_file():
        raise UserInputError(run_json, "missing: not a `fer-edge baselines` run folder")
    run = read_run_record(run_json)
    if run.get("kind") != KIND:
        raise UserInputError(run_json, "not a `fer-edge baselines` run folder (kind is "
                             f"{json.dumps(run.get('kind'))})")
    return run


def _model_file(folder: Path, row: dict[str, Any], top_json: Path) -> Path:
    """The row's model: its own baseline's trials/<name>/model.keras, inside `folder`."""
    name = baseline_name(row["config"])
    if name is None or name != row["trial_id"]:
        raise UserInputError(top_json, f"{row['trial_id']}: not a built-in baseline's row")
    own = f"trials/{name}/{MODEL_NAME}"
    path = inside(folder, row["model_path"], top_json, "run folder")
    if row["model_path"] != own:
        raise UserInputError(top_json, f"{name}: model_path {row['model_path']!r} is not "
                             f"that baseline's {own!r}")
    if not path.is_file():
        raise UserInputError(folder / own, "model file of top.json missing")
    return path


def check_architecture(model: Any, config: dict[str, Any], where: Path) -> None:
    """Refuse a model file that is not the architecture its configuration names (the marker
    and the layer list in the manifest must be true): its layers must be those of a fresh
    build of that baseline for its input shape and classes."""
    from fer_edge_search.baselines.layers import describe_layers
    from fer_edge_search.model import build_model

    fresh = build_model(config, input_shape=tuple(model.input_shape[1:]),
                        n_classes=int(model.output_shape[-1]))
    if describe_layers(model) != describe_layers(fresh):
        raise UserInputError(where, f"is not the {baseline_name(config)} architecture its "
                             "top.json row names (its layers differ)")


def baseline_rows(folder: str | Path, search_run: dict[str, Any], search_run_json: Path,
                  ) -> tuple[list[tuple[dict[str, Any], Path]], list[str]]:
    """([(top.json row, model file)], notes on recipe differences) of the baseline run in
    `folder`, after checking it was trained on the search run's data and split."""
    folder = Path(folder)
    run_json = folder / "run.json"
    run = read_run(run_json)
    for field in SAME_DATA_FIELDS:
        if run.get(field) != search_run.get(field):
            raise UserInputError(run_json, f"'{field}' differs from {search_run_json} "
                                 f"({json.dumps(run.get(field))} against "
                                 f"{json.dumps(search_run.get(field))}): train the baselines "
                                 "with the search's --data and split options (or --like)")
    top_json = folder / "top.json"
    rows = read_json_file(top_json, "the top.json of a `fer-edge baselines` run")
    validate(list[BaselineRow], rows, top_json)
    if not rows:
        raise UserInputError(top_json, "holds no baselines")
    models = [(row, _model_file(folder, row, top_json)) for row in rows]
    notes = [f"note: baselines trained with {field} {json.dumps(run.get(field))}, the search "
             f"with {json.dumps(search_run.get(field))}"
             for field in RECIPE_FIELDS if run.get(field) != search_run.get(field)]
    return models, notes
