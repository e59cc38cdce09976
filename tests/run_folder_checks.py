"""The checks every stage-1 engine's run folder passes (local and Ray alike): what `fer-edge
bundle` and every later step read from it."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from fer_edge_search.space import parse_space


def check_run_folder(out: Path, *, data: str, space: dict[str, Any], epochs: int, top_k: int,
                     statuses: tuple[str, ...] = ("ok", "failed")) -> list[dict[str, Any]]:
    """Assert run.json, every trial record, top.json and top.csv are what the bundle step
    expects, and that each ranked model reproduces its recorded validation accuracy. Returns
    the trial records by id."""
    run = json.loads((out / "run.json").read_text())
    assert run["schema_version"] == 1 and run["data"]["spec"] == data
    assert run["data"]["split"]["rule"] == "subject" and run["data"]["last_frames"] == 1
    assert run["space"] == space and run["epochs"] == epochs and run["seed"] == 0
    assert run["class_names"][0] == "anger" and run["input_shape"] == [48, 48, 1]
    records = check_trial_records(out, space, epochs, statuses)
    rows = json.loads((out / "top.json").read_text())
    trained = [r for r in records if r["status"] == "ok"]
    ranked = sorted(trained, key=lambda r: (-r["val_accuracy"], r["params"], r["trial_id"]))
    assert [r["trial_id"] for r in rows] == [r["trial_id"] for r in ranked[:top_k]]
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1)) and rows
    for row in rows:
        record = records[row["trial_id"]]
        assert {k: row[k] for k in ("config", "params", "flops", "val_accuracy")} == {
            k: record[k] for k in ("config", "params", "flops", "val_accuracy")}
        assert row["model_path"] == f"trials/{row['trial_id']}/model.keras"
        assert (out / row["model_path"]).is_file()
        assert row["params"] > 0 and row["flops"] > 0 and row["train_seconds"] > 0
    with open(out / "top.csv") as stream:
        table = list(csv.DictReader(stream))
    assert [int(r["trial_id"]) for r in table] == [r["trial_id"] for r in rows]
    assert [int(r["K1"]) for r in table] == [r["config"]["kernels"][0] for r in rows]
    check_models_reproduce(out, data, rows)
    return records


def check_trial_records(out: Path, space: dict[str, Any], epochs: int,
                        statuses: tuple[str, ...]) -> list[dict[str, Any]]:
    """trials/<id>/result.json for ids 0..N-1, each of a known status with its fields, its
    configuration in the space; a trained trial has its model, others have none."""
    folders = sorted((out / "trials").iterdir(), key=lambda p: int(p.name))
    records = [json.loads((f / "result.json").read_text()) for f in folders]
    assert [r["trial_id"] for r in records] == list(range(len(records)))
    searched = parse_space(space, "test space")
    for record, folder in zip(records, folders, strict=True):
        assert record["status"] in statuses, record
        searched.to_vals(record["config"])  # raises when the config is off the space
        assert (folder / "model.keras").is_file() == (record["status"] == "ok")
        if record["status"] == "failed":
            assert record["error"]
            continue
        assert 0 <= record["val_accuracy"] <= 100
        assert 1 <= record["epochs_run"] <= epochs
    return records


def check_models_reproduce(out: Path, data: str, rows: list[dict[str, Any]]) -> None:
    """Each ranked model, loaded from its file, scores its recorded validation accuracy on the
    run's validation part scaled as run.json records, and was saved without optimizer state."""
    import keras

    from fer_edge_harness.inputs import InputScaling
    from fer_edge_search.datasets import load_dataset, split_dataset
    from fer_edge_search.datasets.base import SplitSpec
    from fer_edge_search.train import accuracy_percent

    images, labels = split_dataset(load_dataset(data), SplitSpec(rule="subject")).part("val")
    scaling = InputScaling.from_manifest(json.loads((out / "run.json").read_text())["input"])
    for row in rows:
        model = keras.models.load_model(out / row["model_path"])
        assert accuracy_percent(model, scaling.apply(images), labels) == row["val_accuracy"]
        assert not model.compiled
