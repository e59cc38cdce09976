"""`verify` checks what a board relies on, not only hashes (issue 9, items 8 and 11): the
manifest's structure (one hand-written check in fer_edge_harness.bundle, Python 3.6, used by the
host and the board), unique model ids, at least one model, the test set against the input shape,
scale, classes and count, and each artifact's format identifier (read without a runtime).

Fails on the main this branch started from: every bundle below verified ("ok"), and the wrongly
typed manifests ended in tracebacks in `verify`, `bundle show`, `bench` and `merge --bundle`.
Files from the runtimes' own tools (onnx.helper, TFLiteConverter, OpenVINO's save_model, Keras's
.keras and .h5 writers) must pass the identifier checks.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from harness_fixtures import rewrite_manifest
from merge_factory import run_cli, write_bundle

from fer_edge_harness.bundle import BundleError, file_record, verify_bundle
from fer_edge_harness.filetypes import artifact_problem

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return write_bundle(tmp_path_factory.mktemp("verify") / "good")


@pytest.fixture
def bundle(good, tmp_path) -> Path:
    return Path(shutil.copytree(good, tmp_path / "bundle"))


def _first(manifest: dict) -> dict:
    return manifest["models"][0]


def _test_set(images: np.ndarray, labels: np.ndarray):
    """A change that replaces the test set (and its record) with these arrays."""
    def change(manifest: dict, bundle: Path) -> None:
        np.savez(bundle / "test_set.npz", images=images, labels=labels)
        manifest["test_set"] = dict(file_record(bundle, "test_set.npz"), n=len(labels))
    return change


def _random_tflite(manifest: dict, bundle: Path) -> None:
    record = _first(manifest)["artifacts"]["tflite_fp32"]
    (bundle / record["path"]).write_bytes(np.random.default_rng(0).bytes(4096))
    record.update(file_record(bundle, record["path"]))


RNG = np.random.default_rng(1)
IMAGES = RNG.integers(0, 255, (4, 48, 48), dtype=np.uint8)
LABELS = np.arange(4, dtype=np.int64)

# (id, change(manifest, bundle), the problem verify names)
SEMANTIC = [
    ("duplicate-id", lambda m, b: m["models"].append(dict(m["models"][1], id=_first(m)["id"])),
     "models[10].id: 'k10-32-44-56' is listed twice (also models[0])"),
    ("zero-models", lambda m, b: m.update(models=[]), "models: the bundle holds no models"),
    ("bad-id", lambda m, b: _first(m).update(id="a,b"), "may hold only letters"),
    ("shape-vs-test-set", lambda m, b: m["input"].update(shape=[64, 64, 1]),
     "images are 48x48, the manifest's input.shape is [64, 64, 1]"),
    ("rgb-shape", lambda m, b: m["input"].update(shape=[48, 48, 3]), "must be [H, W, 1]"),
    ("scale", lambda m, b: m["input"].update(scale=1.0), "input.scale 1.0 does not map"),
    ("scale-zero", lambda m, b: m["input"].update(scale=0), "must be a positive number"),
    ("float-images", _test_set(IMAGES.astype(np.float32), LABELS), "images are float32"),
    ("4d-images", _test_set(IMAGES[..., None], LABELS), "of shape (4, 48, 48, 1)"),
    ("float-labels", _test_set(IMAGES, LABELS.astype(np.float64)), "labels are float64"),
    ("label-range", _test_set(IMAGES, LABELS + 5), "labels run 5..8, but dataset.class_names"),
    ("count", lambda m, b: m["test_set"].update(n=5), "the manifest's test_set.n is 5"),
    ("random-tflite", _random_tflite, "tflite_fp32 of k10-32-44-56: not a TFLite model"),
]

# (id, change(manifest), the field verify names): wrongly typed JSON fields
TYPES = [
    ("models-string", lambda m: m.update(models="k16-24"), "models: must be a list, got a string"),
    ("models-object", lambda m: m.update(models={"k16-24": {}}), "models: must be a list"),
    ("artifacts-list", lambda m: _first(m).update(artifacts=[]),
     "models[0].artifacts: must be an object, got a list"),
    ("test-set-string", lambda m: m.update(test_set="test_set.npz"),
     "test_set: must be an object, got a string"),
    ("input-string", lambda m: m.update(input="48x48"), "input: must be an object"),
    ("class-names", lambda m: m["dataset"].update(class_names="anger"),
     "dataset.class_names: must be a list"),
    ("bytes-text", lambda m: _first(m)["artifacts"]["keras"].update(bytes="12"),
     "models[0].artifacts.keras.bytes: must be a whole number, got a string"),
    ("status", lambda m: _first(m)["artifacts"]["keras"].update(status="ok"),
     "models[0].artifacts.keras.status: must be one of built"),
    ("agreement-text", lambda m: _first(m)["artifacts"]["keras"].update(check={"agreement": "1"}),
     "models[0].artifacts.keras.check.agreement: must be a number"),
]


@pytest.mark.parametrize(("change", "problem"),
                         [pytest.param(c, p, id=i) for i, c, p in SEMANTIC])
def test_verify_refuses_what_a_board_cannot_rely_on(bundle, monkeypatch, capsys, change, problem):
    rewrite_manifest(bundle, lambda m: change(m, bundle))
    with pytest.raises(BundleError) as error:
        verify_bundle(bundle)
    assert problem in str(error.value)
    assert run_cli(monkeypatch, "verify", str(bundle)) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("FAILED: ") and problem in err[0]


@pytest.mark.parametrize(("change", "problem"), [pytest.param(c, p, id=i) for i, c, p in TYPES])
def test_wrongly_typed_manifest_is_one_line_everywhere(bundle, tmp_path, monkeypatch, capsys,
                                                       change, problem):
    rewrite_manifest(bundle, change)
    manifest = str(bundle / "manifest.json")
    assert run_cli(monkeypatch, "verify", str(bundle)) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"FAILED: {manifest}: ") and problem in err and "\n" not in err
    for args in (["bundle", "show", str(bundle)],
                 ["bench", "--bundle", str(bundle), "--device-label", "x", "--json",
                  str(tmp_path / "r.json")],
                 ["merge", str(Path(__file__).parent / "fixtures" / "merge" /
                               "pytest_benchmark_5.3.1_host.json"),
                  "--bundle", str(bundle), "--out", str(tmp_path / "m")]):
        assert run_cli(monkeypatch, *args) == 2, args
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"error: {manifest}: ") and problem in err, (args, err)
        assert "\n" not in err and "Traceback" not in err


def test_non_finite_numbers_in_a_manifest_are_refused(bundle):
    path = bundle / "manifest.json"
    path.write_text(path.read_text().replace('"val_accuracy": 95.0', '"val_accuracy": NaN', 1))
    with pytest.raises(BundleError, match="NaN is not a finite number"):
        verify_bundle(bundle)


# -- the identifier checks against files the runtimes' own tools wrote ----------------------


@pytest.fixture(scope="module")
def third_party(tmp_path_factory) -> dict[str, Path]:
    """One tiny model written by each tool: Keras (.keras, legacy .h5), TFLiteConverter,
    onnx.helper, OpenVINO's convert/save_model."""
    import keras
    import onnx
    import openvino as ov
    import tensorflow as tf
    from onnx import TensorProto, helper

    folder = tmp_path_factory.mktemp("third-party")
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    model.save(folder / "model.keras")
    model.save(folder / "model.h5")
    (folder / "model.tflite").write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
              folder / "model.onnx")
    ov.save_model(ov.convert_model(str(folder / "model.onnx")), str(folder / "model.xml"))
    return {"keras": folder / "model.keras", "keras_h5": folder / "model.h5",
            "tflite_fp32": folder / "model.tflite", "onnx": folder / "model.onnx",
            "openvino_fp16": folder / "model.xml"}


@pytest.mark.parametrize("fmt", ["keras", "keras_h5", "tflite_fp32", "onnx", "openvino_fp16"])
def test_files_of_the_runtimes_own_tools_pass_and_random_bytes_fail(third_party, tmp_path, fmt):
    path = third_party[fmt]
    check = "keras" if fmt == "keras_h5" else fmt
    assert artifact_problem(check, str(path)) is None
    fake = tmp_path / path.name
    fake.write_bytes(np.random.default_rng(2).bytes(path.stat().st_size))
    assert artifact_problem(check, str(fake)).startswith("not a")
    other = {"keras": "onnx", "keras_h5": "tflite_fp32", "tflite_fp32": "onnx",
             "onnx": "tflite_int8", "openvino_fp16": "keras"}[fmt]
    assert artifact_problem(other, str(path)) is not None  # a file of another format


def test_a_truncated_onnx_file_is_refused(third_party, tmp_path):
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(third_party["onnx"].read_bytes()[:-5])
    assert "runs past the end" in artifact_problem("onnx", str(cut))
