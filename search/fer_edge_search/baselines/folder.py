"""Read a `fer-edge baselines` run folder for the bundle writer, refusing one that was not
trained on the search run's very data and split (a comparison across splits means nothing).

The folder may come from someone else: its model paths must stay inside it, its models must
be baselines this project builds, and its run.json must agree with the search run's on the
data (spec, split, fingerprint), the class names and the input shape.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fer_edge_core.errors import UserInputError
from fer_edge_search.baselines import baseline_name
from fer_edge_search.baselines.runner import KIND
from fer_edge_search.trial_store import read_top

# run.json fields a baseline run must share with the search run it is bundled with.
SAME_DATA_FIELDS = ("data", "class_names", "input_shape")
# Fields where a difference is allowed but said: the recipe the models were trained with.
RECIPE_FIELDS = ("epochs", "seed", "train")


def read_run(run_json: Path) -> dict[str, Any]:
    """A baseline run's run.json, checked to be one."""
    if not run_json.is_file():
        raise UserInputError(run_json, "missing: not a `fer-edge baselines` run folder")
    try:
        run = json.loads(run_json.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UserInputError(run_json, f"cannot read it as JSON ({exc})") from None
    if not isinstance(run, dict) or run.get("kind") != KIND:
        raise UserInputError(run_json, "not a `fer-edge baselines` run folder "
                             f"(kind is {run.get('kind') if isinstance(run, dict) else None!r})")
    return run


def _model_file(folder: Path, row: Any, where: Path) -> Path:
    """The row's model file, which must be a baseline's and lie inside `folder`."""
    if not isinstance(row, dict) or baseline_name(row.get("config")) is None:
        raise UserInputError(where, "lists a model that is not a built-in baseline")
    relative = str(row.get("model_path") or "")
    path = (folder / relative).resolve()
    if Path(relative).is_absolute() or not path.is_relative_to(folder.resolve()):
        raise UserInputError(where, f"model path {relative!r} leaves the run folder")
    if not path.is_file():
        raise UserInputError(folder / relative, "model file of top.json missing")
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


def baseline_rows(folder: str | Path, search_run: dict[str, Any],
                  search_run_json: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """(top.json's rows, notes on recipe differences) of the baseline run in `folder`,
    after checking it was trained on the search run's data and split."""
    folder = Path(folder)
    run_json = folder / "run.json"
    run = read_run(run_json)
    for field in SAME_DATA_FIELDS:
        if run.get(field) != search_run.get(field):
            raise UserInputError(run_json, f"'{field}' differs from {search_run_json} "
                                 f"({json.dumps(run.get(field))} against "
                                 f"{json.dumps(search_run.get(field))}): train the baselines "
                                 "with the search's --data and split options")
    rows = read_top(folder)
    if not isinstance(rows, list) or not rows:
        raise UserInputError(folder / "top.json", "holds no baselines")
    for row in rows:
        _model_file(folder, row, folder / "top.json")
    notes = [f"note: baselines trained with {field} {json.dumps(run.get(field))}, the search "
             f"with {json.dumps(search_run.get(field))}"
             for field in RECIPE_FIELDS if run.get(field) != search_run.get(field)]
    return rows, notes
