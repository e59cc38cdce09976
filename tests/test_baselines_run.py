"""`fer-edge baselines` end to end: trained by the search's own training function on the search
run's split, added to a bundle by `fer-edge bundle --baselines`, exported and checked like any
model (int8 graphs the Edge TPU can map included), and printed layer by layer by `bundle show`."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from merge_factory import run_cli

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from fer_edge_core.errors import UserInputError
from fer_edge_harness.bundle import verify_bundle
from fer_edge_search import train
from fer_edge_search.baselines.runner import run_baselines
from fer_edge_search.datasets.base import SplitSpec
from fer_edge_search.export.tflite_ops import EDGETPU_OPS
from fer_edge_search.export.writer import write_bundle
from fer_edge_search.runner import run_search

DATA = "synthetic:n=350"
NAMES = ["kandeel2021", "mollahosseini2016"]
PARAMS = {"kandeel2021": 1_500_135, "mollahosseini2016": 7_799_663}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A one-trial search, the baselines trained `--like` it (training calls recorded), and a
    bundle of both made through the command line."""
    root = tmp_path_factory.mktemp("baselines")
    search, baselines, bundle = root / "search", root / "baselines", root / "bundle"
    run_search(DATA, SplitSpec(seed=3), 1, 1, 1, search, seed=2, show_progress=False,
               patience=2)
    calls = []
    real = train.train_config

    def spy(config, *args, **kwargs):
        calls.append((config, args[2], kwargs))
        return real(config, *args, **kwargs)

    monkeypatch = pytest.MonkeyPatch()
    try:
        monkeypatch.setattr(train, "train_config", spy)
        assert run_cli(monkeypatch, "baselines", "--like", str(search), "--out", str(baselines),
                       "--quiet") in (0, None)
        assert run_cli(monkeypatch, "bundle", str(search), "--top", "1", "--baselines",
                       str(baselines), "--out", str(bundle)) in (0, None)
    finally:
        monkeypatch.undo()
    return {"root": root, "search": search, "baselines": baselines, "bundle": bundle,
            "calls": calls}


def _json(path):
    return json.loads(path.read_text())


@pytest.mark.slow
def test_baselines_train_with_the_search_function_on_its_split_and_recipe(runs):
    search_run = _json(runs["search"] / "run.json")
    run = _json(runs["baselines"] / "run.json")
    assert run["kind"] == "baselines"
    for field in ("data", "epochs", "seed", "train", "class_names", "input_shape", "input"):
        assert run[field] == search_run[field], field
    assert run["data"]["split"]["seed"] == 3 and run["train"]["patience"] == 2
    assert [c[0]["baseline"]["name"] for c in runs["calls"]] == NAMES
    settings = runs["calls"][0][1]
    assert (settings.epochs, settings.patience) == (1, 2)
    rows = _json(runs["baselines"] / "top.json")
    assert [(r["trial_id"], r["params"]) for r in rows] == list(PARAMS.items())
    for row in rows:
        assert (runs["baselines"] / row["model_path"]).is_file()
        assert 0 <= row["val_accuracy"] <= 100


@pytest.mark.slow
def test_the_bundle_holds_both_baselines_marked_and_exported(runs):
    manifest = verify_bundle(runs["bundle"])
    assert [m["id"] for m in manifest["models"]] == ["t0000", *NAMES]
    assert manifest["source"]["baselines_dir"] == str(runs["baselines"])
    for model in manifest["models"][1:]:
        assert model["config"]["baseline"]["name"] == model["id"]
        assert model["params"] == PARAMS[model["id"]]
        assert sum(layer["params"] for layer in model["layers"]) == PARAMS[model["id"]]
        arts = model["artifacts"]
        for fmt in ("keras", "tflite_fp32", "tflite_int8", "onnx", "openvino_fp16"):
            assert arts[fmt]["status"] in ("built", "built-but-disagrees"), (fmt, arts[fmt])
            assert arts[fmt]["check"]["agreement"] is not None
        assert set(arts["tflite_int8"]["ops"]) <= EDGETPU_OPS
        assert arts["tflite_int8"]["edgetpu_unmappable_ops"] == []
        assert not {"SHAPE", "STRIDED_SLICE", "PACK"} & set(arts["tflite_int8"]["ops"])
    inception = manifest["models"][2]["artifacts"]["tflite_int8"]["ops"]
    assert {"CONCATENATION", "AVERAGE_POOL_2D"} <= set(inception)


@pytest.mark.slow
def test_int8_baselines_have_a_static_batch_1_int8_graph(runs):
    from ai_edge_litert.interpreter import Interpreter

    manifest = verify_bundle(runs["bundle"])
    for model in manifest["models"][1:]:
        it = Interpreter(model_path=str(runs["bundle"] / model["artifacts"]["tflite_int8"]["path"]))
        (inp,), (out,) = it.get_input_details(), it.get_output_details()
        assert list(inp["shape"]) == [1, 48, 48, 1] and inp["dtype"].__name__ == "int8"
        assert list(out["shape"]) == [1, 7] and out["dtype"].__name__ == "int8"


@pytest.mark.slow
def test_bundle_show_prints_each_baselines_layers_and_parameters(runs, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "200")
    assert run_cli(monkeypatch, "bundle", "show", str(runs["bundle"])) in (0, None)
    out = capsys.readouterr().out
    manifest = verify_bundle(runs["bundle"])
    for model in manifest["models"][1:]:
        title = f"{model['id']}: {model['config']['baseline']['title']}"
        assert title in out
        lines = out[out.index(title):].splitlines()  # this model's table onwards
        for layer in model["layers"]:
            line = next(x for x in lines if x.split()[:1] == [layer["name"]])
            assert f"{layer['params']:,}" in line and layer["type"] in line
    totals = [line.split()[-1] for line in out.splitlines() if line.split()[:1] == ["total"]]
    assert totals == [f"{PARAMS[name]:,}" for name in NAMES]
    assert "1x1 160 | 1x1 112 > 3x3 224 | 1x1 24 > 5x5 64 | max 3x3/1 > 1x1 64" in out


@pytest.mark.slow
def test_a_second_run_keeps_the_trained_baselines(runs, monkeypatch):
    model = runs["baselines"] / "trials" / "kandeel2021" / "model.keras"
    before = model.stat().st_mtime_ns
    monkeypatch.setattr(train, "train_config", lambda *a, **k: pytest.fail("retrained"))
    search_run = _json(runs["search"] / "run.json")
    rows = run_baselines(DATA, SplitSpec(seed=3), 1, runs["baselines"], seed=2,
                         show_progress=False, **search_run["train"])
    assert [r["trial_id"] for r in rows] == NAMES
    assert model.stat().st_mtime_ns == before


@pytest.mark.slow
def test_baselines_of_another_split_or_reaching_outside_are_refused(runs):
    other = runs["root"] / "other-split"
    shutil.copytree(runs["baselines"], other)
    run = _json(other / "run.json")
    run["data"]["split"]["seed"] = 4
    (other / "run.json").write_text(json.dumps(run))
    with pytest.raises(UserInputError, match="'data' differs") as info:
        write_bundle(runs["search"], 1, runs["root"] / "b2", baselines=other)
    assert info.value.where == str(other / "run.json")

    scaled = runs["root"] / "other-scaling"
    shutil.copytree(runs["baselines"], scaled)
    run = _json(scaled / "run.json")
    run["input"] = {"scale": 1 / 255, "offset": 0.0}  # trained without standardisation
    (scaled / "run.json").write_text(json.dumps(run))
    with pytest.raises(UserInputError, match="'input' differs"):
        write_bundle(runs["search"], 1, runs["root"] / "b5", baselines=scaled)

    outside = runs["root"] / "outside"
    shutil.copytree(runs["baselines"], outside)
    rows = _json(outside / "top.json")
    rows[0]["model_path"] = "../search/trials/0/model.keras"
    (outside / "top.json").write_text(json.dumps(rows))
    with pytest.raises(UserInputError, match="leaves the run folder"):
        write_bundle(runs["search"], 1, runs["root"] / "b3", baselines=outside)

    swapped = runs["root"] / "swapped"
    shutil.copytree(runs["baselines"], swapped)
    shutil.copy(swapped / "trials" / "mollahosseini2016" / "model.keras",
                swapped / "trials" / "kandeel2021" / "model.keras")
    with pytest.raises(UserInputError, match="is not the kandeel2021 architecture") as info:
        write_bundle(runs["search"], 1, runs["root"] / "b4", baselines=swapped)
    assert info.value.where == str(swapped / "trials" / "kandeel2021" / "model.keras")
    assert not any((runs["root"] / b).exists() for b in ("b2", "b3", "b4", "b5"))


def test_like_and_explicit_data_options_clash(tmp_path, monkeypatch, capsys):
    code = run_cli(monkeypatch, "baselines", "--like", str(tmp_path), "--data", "synthetic",
                   "--out", str(tmp_path / "b"))
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"error: --like: takes the data, split, epochs, seed and recipe from "
                   f"{tmp_path}; leave out --data")


def test_unknown_baseline_and_missing_like_run_are_one_line_errors(tmp_path, monkeypatch,
                                                                    capsys):
    assert run_cli(monkeypatch, "baselines", "--only", "resnet", "--out",
                   str(tmp_path / "b")) == 2
    assert capsys.readouterr().err.startswith("error: --only: unknown baseline resnet")
    assert run_cli(monkeypatch, "baselines", "--like", str(tmp_path / "nope"), "--out",
                   str(tmp_path / "b")) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'nope' / 'run.json'}: ")
