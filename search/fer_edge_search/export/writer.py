"""`write_bundle`: a stage-1 run's top K models -> models/NAME (manifest, test set, artifacts)."""

from __future__ import annotations

from pathlib import Path

from fer_edge_core.errors import UserInputError
from fer_edge_core.jsonfile import read_json_file
from fer_edge_core.paths import inside, refuse_overlap
from fer_edge_harness import manifest_schema
from fer_edge_harness.inputs import InputScaling, scaling_problem
from fer_edge_harness.manifest_schema import Input, Manifest
from fer_edge_search.baselines import baseline_name
from fer_edge_search.baselines.folder import baseline_rows, check_architecture
from fer_edge_search.export import assemble
from fer_edge_search.export.external import load_untrusted
from fer_edge_search.export.registry import plan_formats
from fer_edge_search.run_files import read_run_record
from fer_edge_search.trial_store import MODEL_NAME, read_top


def read_run(run_dir: Path) -> dict:
    """The run folder's run.json, checked (run_files.RunRecord)."""
    path = run_dir / "run.json"
    if not path.is_file():
        raise UserInputError(path, "missing: is this a stage-1 run folder (run.json)?")
    return read_run_record(path)


def model_id(row: dict) -> str:
    """A model's id in the bundle, from its trial: `t0042` (stable across stages and boards)."""
    trial = str(row["trial_id"])
    return f"t{int(trial):04d}" if trial.isdigit() else assemble.safe_id(trial)


def load_split(run: dict, run_json: Path):
    """The run's dataset split, rebuilt from run.json exactly as the search made it."""
    from fer_edge_search.datasets import load_dataset, split_dataset
    from fer_edge_search.datasets.base import SplitSpec
    from fer_edge_search.runner import data_fingerprint

    data = run["data"]  # checked by read_run: spec, split (SplitSpec's fields), last_frames
    dataset = load_dataset(data["spec"], last_frames=int(data.get("last_frames", 1)))
    split = split_dataset(dataset, SplitSpec(**data["split"]))
    recorded = data.get("sha256")
    if recorded is not None and recorded != data_fingerprint(split):
        raise UserInputError(run_json, f"the data behind data.spec {data['spec']!r} is not the "
                             "data this search ran on (its sha256 differs)")
    expected = run.get("class_names")
    if expected is not None and list(expected) != list(dataset.class_names):
        raise UserInputError(run_json, f"class names {expected} differ from the dataset's "
                             f"{list(dataset.class_names)} (did the data change?)")
    return split


def run_input_scaling(run: dict, run_json: Path) -> InputScaling:
    """The input scaling the run trained with (run.json `input`, the manifest's `input` fields
    `scale` and `offset`); runs from before it was recorded trained on uint8 / 255."""
    if "input" not in run:
        return InputScaling()
    recorded = run["input"]
    if not isinstance(recorded, dict):
        raise UserInputError(run_json, f"input: must be an object, got {recorded!r}")
    # the bounds a bundle's verifier will hold the manifest to (a schema-2 manifest)
    problem = scaling_problem(recorded.get(Input.SCALE), recorded.get(Input.OFFSET, 0.0), 2)
    if problem:
        raise UserInputError(run_json, "{}: {}".format(*problem))
    return InputScaling.from_manifest(recorded)


def dataset_record(split, data: dict) -> dict:
    """The manifest's `dataset` field, from the split and run.json's `data` (DataRecord)."""
    counts = manifest_schema.counts_record(len(split.train_idx), len(split.val_idx),
                                           len(split.test_idx))
    return manifest_schema.dataset_record(
        split.dataset.name, data["spec"], split.dataset.class_names, split.spec.as_dict(),
        counts, last_frames=int(data.get("last_frames", 1)))


def model_entry(row: dict, artifacts: dict, model=None) -> dict:
    """One `models[]` entry of the manifest, from its top.json row (run_files.TopRow); a
    baseline's also lists its layers (read from `model`, the Keras model exported), which
    `fer-edge bundle show` prints."""
    from fer_edge_search.baselines.layers import describe_layers

    entry = manifest_schema.model_record(
        model_id(row), row["config"], row.get("params"), row.get("flops"),
        row.get("val_accuracy"), artifacts, rank=row.get("rank"), trial_id=row.get("trial_id"))
    if model is not None and baseline_name(row["config"]) is not None:
        entry = manifest_schema.with_layers(entry, describe_layers(model))
    return entry


def top_rows(run_dir: Path, top_k: int) -> list[dict]:
    """The first `top_k` rows of top.json, each with its model file present."""
    if top_k < 1:
        raise UserInputError("--top", f"must be at least 1, got {top_k}")
    rows = read_top(run_dir)[:top_k]
    if not rows:
        raise UserInputError(run_dir / "top.json", "holds no ranked models")
    for row in rows:
        trial_model(run_dir, row)
    return rows


def _label(row: dict) -> str:
    """`rank 3`, or `baseline` for a baseline's row (it has no rank)."""
    return "baseline" if row.get("rank") is None else f"rank {row['rank']}"


def trial_model(run_dir: Path, row: dict) -> Path:
    """The model file of a top.json row: its trial's own trials/<id>/model.keras inside the run
    folder (links resolved), with the configuration that trial recorded. A row pointing
    anywhere else, or carrying another configuration, is refused: a run folder may come from
    someone else, and a foreign model must not be bundled under a trial's configuration."""
    top_json = run_dir / "top.json"
    path = inside(run_dir, row.get("model_path"), top_json, "run folder")
    own = f"trials/{row.get('trial_id')}/{MODEL_NAME}"
    if row.get("model_path") != own:
        raise UserInputError(top_json, f"trial {row.get('trial_id')}: model_path "
                             f"{row.get('model_path')!r} is not that trial's {own!r}")
    if not path.is_file():
        raise UserInputError(run_dir / own, "model file of top.json missing")
    result = path.parent / "result.json"
    recorded = (read_json_file(result, "result.json") if result.is_file()
                else {"config": row["config"]})
    if not isinstance(recorded, dict) or recorded.get("config") != row.get("config"):
        raise UserInputError(top_json, f"trial {row.get('trial_id')}: config differs from "
                             f"its {result}")
    return path


def load_trained(path: Path):
    """A model of the run folder, loaded as untrusted (Keras safe mode: a Lambda layer's code
    never runs); a run folder may come from anyone."""
    return load_untrusted(path)


def _with_baselines(run_dir: Path, run: dict, rows: list[dict], baselines,
                    log: assemble.Log) -> list[tuple[dict, Path]]:
    """(row, model file) of the run's top rows, then of the baseline run's (if given)."""
    models = [(row, trial_model(run_dir, row)) for row in rows]
    if baselines is None:
        return models
    extra, notes = baseline_rows(baselines, run, run_dir / "run.json")
    for note in notes:
        log(note)
    return models + extra


def write_bundle(run_dir, top_k: int, out_dir, formats: list[str] | None = None, *,
                 baselines=None, force: bool = False,
                 log: assemble.Log = assemble._quiet) -> Path:
    """Export, check and hash the run's top `top_k` models into the bundle folder `out_dir`,
    and the baselines of the `fer-edge baselines` run folder `baselines` after them."""
    run_dir, out_dir = Path(run_dir), Path(out_dir)
    refuse_overlap("--out", out_dir, [run_dir, *([Path(baselines)] if baselines else [])])
    run = read_run(run_dir)
    chosen = _with_baselines(run_dir, run, top_rows(run_dir, top_k), baselines, log)
    plan = plan_formats(formats)
    with assemble.staged(out_dir, force) as stage:
        split = load_split(run, run_dir / "run.json")
        test_images, test_labels = split.part("test")
        test_set = assemble.write_test_set(stage, test_images, test_labels)
        train_images, _ = split.part("train")
        scaling = run_input_scaling(run, run_dir / "run.json")
        calibration = assemble.calibration_set(train_images, int(run.get("seed", 0)), scaling)
        models = []
        for row, path in chosen:
            log(f"{model_id(row)} ({_label(row)}): {', '.join(plan)}")
            model = load_trained(path)
            if baseline_name(row["config"]) is not None:
                check_architecture(model, row["config"], path)
            artifacts = assemble.export_model(stage, model_id(row), model, plan, calibration,
                                              test_images, scaling, log)
            models.append(model_entry(row, artifacts, model))
        manifest = assemble.manifest_head(out_dir.name, dataset_record(split, run["data"]),
                                          model.input_shape[1:], test_set, scaling)
        manifest[Manifest.SOURCE] = manifest_schema.source_record(
            str(run_dir), top_k, None if baselines is None else str(baselines))
        manifest[Manifest.MODELS] = models
        return assemble.finish(stage, out_dir, manifest)
