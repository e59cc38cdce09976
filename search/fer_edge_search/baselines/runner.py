"""`run_baselines`: train the published baselines on a search run's split, with its recipe.

The run folder has the search run's shape, so the bundle writer reads both alike: run.json
(the same record as a search's: data spec, split, data fingerprint, epochs, seed, training
settings; `kind` "baselines"), trials/<name>/model.keras and result.json, and top.json (one row
a baseline, in Table 4's order). Each baseline is trained by the search's own
`train_config` (its configuration names the architecture; `build_model` builds it), so any
change to the stage-1 recipe reaches the baselines too. A finished baseline is kept: running
the same command again trains only what is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fer_edge_core.files import write_json
from fer_edge_core.jsonfile import read_json_file, validate
from fer_edge_search import train
from fer_edge_search.baselines import BASELINES, baseline_config, baseline_name
from fer_edge_search.datasets.base import Split, SplitSpec
from fer_edge_search.train import TrainSettings
from fer_edge_search.trial_store import MODEL_NAME, RunStore

KIND = "baselines"
# A trial's seed in a search is seed * SEED_STRIDE + its trial number; a baseline's is
# seed * SEED_STRIDE + its place in BASELINES (fer_edge_search.runner uses the same stride).
SEED_STRIDE = 100_003


def check_names(names: list[str] | None) -> list[str]:
    """The baselines to train, in Table 4's order; all of them by default."""
    from fer_edge_core.errors import UserInputError

    if not names:
        return list(BASELINES)
    unknown = [n for n in names if n not in BASELINES]
    if unknown:
        raise UserInputError("--only", f"unknown baseline {', '.join(unknown)} "
                             f"(known: {', '.join(BASELINES)})")
    return [n for n in BASELINES if n in names]


def train_one(name: str, data: Split, settings: TrainSettings, seed: int,
              store: RunStore) -> dict[str, Any]:
    """Train baseline `name` and save it (model.keras, then result.json); its result."""
    from fer_edge_search.model import count_params_flops, rebuild_with_batch

    config = baseline_config(name)
    train_seed = seed * SEED_STRIDE + list(BASELINES).index(name)
    # The search's own training function, looked up at call time: the recipe is its, and
    # whatever changes it changes the baselines' training too.
    result = train.train_config(config, data.part("train"), data.part("val"), settings,
                                seed=train_seed, n_classes=len(data.dataset.class_names))
    params, flops = count_params_flops(result.model)
    kept = rebuild_with_batch(result.model, config, batch_size=None)  # no optimizer state
    return store.save_trial(name, kept, {
        "config": config, "params": params, "flops": flops,
        "val_accuracy": result.val_accuracy, "train_seconds": round(result.train_seconds, 3),
        "epochs_run": result.epochs_run, "train_seed": train_seed, "status": "ok"})


class BaselineResult(BaseModel):
    """A baseline's trials/<name>/result.json, the fields read back (others kept)."""

    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False)
    trial_id: str
    status: Literal["ok"]
    config: dict[str, Any]
    val_accuracy: Annotated[float, Field(ge=0, le=100)]
    params: int
    flops: int
    epochs_run: int
    train_seconds: float


def load_result(store: RunStore, name: str) -> dict[str, Any]:
    """A finished baseline's result.json, checked (it must be this baseline's), with its model
    where this folder keeps it."""
    from fer_edge_core.errors import UserInputError

    path = store.trial_dir(name) / "result.json"
    result = read_json_file(path, "a baseline's result.json")
    validate(BaselineResult, result, path)
    if result["trial_id"] != name or baseline_name(result["config"]) != name:
        raise UserInputError(path, f"is not {name}'s result")
    return {**result, "model_path": f"trials/{name}/{MODEL_NAME}"}


ROW_KEYS = ("trial_id", "config", "params", "flops", "val_accuracy", "train_seconds",
            "epochs_run", "model_path")


def run_baselines(data_spec: str, split: SplitSpec, epochs: int, out_dir: str | Path,
                  seed: int = 0, names: list[str] | None = None, show_progress: bool = True,
                  **train_options: Any) -> list[dict[str, Any]]:
    """Train (or finish training) the baselines into `out_dir`; write top.json and return its
    rows. Arguments as `fer_edge_search.runner.run_search`'s, so the same command line gives
    the same split and recipe."""
    from fer_edge_search.datasets import load_dataset, split_dataset
    from fer_edge_search.runner import check_request, run_record

    chosen = check_names(names)
    check_request(1, epochs, 1, out_dir, train_options.get("learning_rate"))
    settings = TrainSettings(epochs=epochs, **train_options)
    store = RunStore(out_dir)
    data = split_dataset(load_dataset(data_spec), split)
    run = {"kind": KIND, **run_record(data_spec, data, settings, seed, None)}
    if not store.check_resumable(run):
        store.write_run(run)
    say = _printer(show_progress)
    rows = []
    for name in chosen:
        if (store.trial_dir(name) / "result.json").is_file():
            say(f"{name}: trained already, kept")
            result = load_result(store, name)
        else:
            say(f"{name}: training, at most {epochs} epochs")
            result = train_one(name, data, settings, seed, store)
        say(f"{name}: {result['params']:,} params, validation accuracy "
            f"{result['val_accuracy']:.2f}% after {result['epochs_run']} epochs")
        rows.append({"rank": None, **{k: result[k] for k in ROW_KEYS}})
    write_json(store.run_dir / "top.json", rows)
    return rows


def options_like(run_dir: str | Path) -> dict[str, Any]:
    """run_baselines' arguments that repeat a search run's split and recipe, from its
    run.json: {data_spec, split, epochs, seed, **training settings}."""
    from fer_edge_core.errors import UserInputError
    from fer_edge_search.run_files import read_run_record

    run_json = Path(run_dir) / "run.json"
    if not run_json.is_file():
        raise UserInputError(run_json, "missing: --like takes a `fer-edge search` run folder")
    run = read_run_record(run_json)
    try:
        data, train = run["data"], dict(run.get("train") or {})
        TrainSettings(epochs=int(run["epochs"]), **train)  # settings this version knows
        return {"data_spec": str(data["spec"]), "split": SplitSpec(**data["split"]),
                "epochs": int(run["epochs"]), "seed": int(run["seed"]), **train}
    except (KeyError, TypeError, ValueError) as exc:
        raise UserInputError(run_json, f"not a search run's record this fer-edge can repeat "
                             f"({type(exc).__name__}: {exc})") from None


def _printer(enabled: bool) -> Any:
    """Progress lines on stderr, keeping stdout for results."""
    from rich.console import Console

    return Console(stderr=True).print if enabled else (lambda *_args, **_kw: None)
