"""A bundle from a tiny fake stage-1 run: every format re-run here with its own runtime, the
recorded checks recomputed, the int8 op list, verification and its failures, the CLI."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from typer.testing import CliRunner

from fer_edge.cli import app
from fer_edge_core.errors import UserInputError
from fer_edge_harness.bundle import (
    MANIFEST_NAME,
    STATUS_BUILT,
    STATUS_DISAGREES,
    STATUS_NOT_BUILT,
    BundleError,
    listed_files,
    manifest_hash,
    sha256_file,
    verify_bundle,
)

SPEC = "synthetic:n=210,identities=30,seed=0"
CONFIG = {"blocks": 2, "kernels": [4, 8], "fc1": 16, "fc2": 8, "dropout1": 0.1, "dropout2": 0.1}
# (weight gain, expected int8 status). Freshly initialised tiny models give a near-uniform
# softmax (top class ahead by < 0.01), where int8's 1/256 output steps tie the classes: the
# first model's weights are scaled (ReLU nets are homogeneous, so its logits grow ~3^7) to
# give each image a clear top class; the second keeps the ties and must be flagged.
MODELS = ((3.0, STATUS_BUILT), (1.0, STATUS_DISAGREES))
CHECKED = ("keras", "tflite_fp32", "tflite_int8", "onnx", "openvino_fp16")


def _sharpen(model, gain: float) -> None:
    for layer in model.layers:
        if layer.get_weights():
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel * gain, bias])


def make_run(run_dir: Path) -> None:
    """A stage-1 run folder by the brief's layout: run.json, top.json, trials/<id>/model.keras."""
    import keras

    from fer_edge_search.datasets import SplitSpec, load_dataset, split_dataset
    from fer_edge_search.model import build_model, count_params_flops

    split = SplitSpec()
    data = split_dataset(load_dataset(SPEC), split)
    x_val, y_val = data.part("val")
    rows = []
    for tid, (gain, _) in enumerate(MODELS):
        keras.utils.set_random_seed(tid)
        model = build_model(CONFIG)
        _sharpen(model, gain)
        probs = np.asarray(model(x_val[..., None] / 255.0, training=False))
        folder = run_dir / "trials" / str(tid)
        folder.mkdir(parents=True)
        model.save(folder / "model.keras")
        params, flops = count_params_flops(model)
        rows.append({"rank": tid + 1, "trial_id": tid, "config": CONFIG, "params": params,
                     "flops": flops, "val_accuracy": 100 * float(np.mean(probs.argmax(1) == y_val)),
                     "train_seconds": 0.0, "epochs_run": 0,
                     "model_path": f"trials/{tid}/model.keras"})
    run = {"schema_version": 1, "data": {"spec": SPEC, "split": split.as_dict(), "last_frames": 1},
           "space": {}, "epochs": 0, "seed": 0, "class_names": list(data.dataset.class_names),
           "input_shape": [48, 48, 1]}
    (run_dir / "run.json").write_text(json.dumps(run))
    (run_dir / "top.json").write_text(json.dumps(rows))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("run")
    make_run(path)
    return path


@pytest.fixture(scope="module")
def bundle(run_dir, tmp_path_factory) -> Path:
    """The one bundle of this module: both models, every format (edgetpu: no compiler here)."""
    from fer_edge_search.export.writer import write_bundle

    return write_bundle(run_dir, 2, tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture(scope="module")
def manifest(bundle) -> dict:
    return json.loads((bundle / MANIFEST_NAME).read_text())


@pytest.fixture(scope="module")
def test_set(bundle) -> tuple[np.ndarray, np.ndarray]:
    with np.load(bundle / "test_set.npz") as npz:
        return npz["images"], npz["labels"]


# Independent runners (not the exporter's own check code): float32 (n, 48, 48, 1) -> outputs.
def run_litert(path: Path, x: np.ndarray) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path))
    it.allocate_tensors()
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    quantized = inp["dtype"] == np.int8
    assert (out["dtype"] == np.int8) == quantized
    rows = []
    for image in x:
        feed = image[None]
        if quantized:
            scale, zero = inp["quantization"]
            feed = np.clip(np.round(feed / scale) + zero, -128, 127).astype(np.int8)
        it.set_tensor(inp["index"], feed)
        it.invoke()
        y = it.get_tensor(out["index"])[0]
        if quantized:
            scale, zero = out["quantization"]
            y = (y.astype(np.float32) - zero) * scale
        rows.append(y)
    return np.array(rows)


def run_onnx(path: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape == [1, 48, 48, 1]  # static batch 1
    return np.array([session.run(None, {session.get_inputs()[0].name: im[None]})[0][0]
                     for im in x])


def run_openvino(path: Path, x: np.ndarray) -> np.ndarray:
    import openvino as ov

    compiled = ov.Core().compile_model(str(path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    assert list(compiled.inputs[0].shape) == [1, 48, 48, 1]
    return np.array([compiled(im[None])[0][0] for im in x])


def run_keras(path: Path, x: np.ndarray) -> np.ndarray:
    import keras

    return np.asarray(keras.models.load_model(path, compile=False)(x, training=False))


def run_keras_batch1(path: Path, x: np.ndarray) -> np.ndarray:
    """The .keras file one image a call, as a board runs it (batch-1 kernels round a little
    differently from the batched reference: about 1e-6)."""
    import keras

    model = keras.models.load_model(path, compile=False)
    return np.concatenate([np.asarray(model(x[i:i + 1], training=False)) for i in range(len(x))])


RUNNERS = {"keras": run_keras_batch1, "tflite_fp32": run_litert, "tflite_int8": run_litert,
           "onnx": run_onnx, "openvino_fp16": run_openvino}


def test_manifest_describes_dataset_input_and_test_set(manifest, test_set):
    from fer_edge_search.datasets import SplitSpec, load_dataset, split_dataset

    split = split_dataset(load_dataset(SPEC), SplitSpec())
    images, labels = test_set
    assert manifest["schema_version"] == 1 and manifest["parent"] is None
    assert manifest["dataset"]["class_names"] == list(split.dataset.class_names)
    assert manifest["dataset"]["split"] == SplitSpec().as_dict()
    assert manifest["dataset"]["counts"] == {"train": len(split.train_idx),
                                             "val": len(split.val_idx),
                                             "test": len(split.test_idx)}
    assert manifest["input"] == {"shape": [48, 48, 1], "dtype": "float32", "scale": 1 / 255}
    assert images.dtype == np.uint8 and labels.dtype == np.int64
    np.testing.assert_array_equal(images, split.part("test")[0])
    np.testing.assert_array_equal(labels, split.part("test")[1])
    assert manifest["test_set"]["n"] == len(labels)
    assert [m["id"] for m in manifest["models"]] == ["t0000", "t0001"]
    assert manifest["models"][0]["config"] == CONFIG
    assert manifest["bundle_sha256"] == manifest_hash(manifest)


@pytest.mark.parametrize("fmt", CHECKED)
def test_recorded_check_matches_a_rerun(bundle, manifest, test_set, fmt):
    """Each artifact, run here by its runtime, reproduces the recorded agreement and diff."""
    # The manifest's own scaling (x = uint8 * scale), as a board computes it.
    x = test_set[0].astype(np.float32)[..., None] * np.float32(manifest["input"]["scale"])
    for model, (_, int8_status) in zip(manifest["models"], MODELS, strict=True):
        art = model["artifacts"][fmt]
        assert art["sha256"] == sha256_file(bundle / art["path"])
        reference = run_keras(bundle / model["artifacts"]["keras"]["path"], x)
        out = RUNNERS[fmt](bundle / art["path"], x)
        agreement = float(np.mean(out.argmax(1) == reference.argmax(1)))
        check = art["check"]
        assert check["n"] == len(x)
        assert check["agreement"] == pytest.approx(agreement, abs=1e-9)
        assert check["max_abs_diff"] == pytest.approx(np.abs(out - reference).max(),
                                                      rel=1e-3, abs=1e-6)
        assert art["status"] == (int8_status if fmt == "tflite_int8" else STATUS_BUILT), art
        if art["status"] == STATUS_BUILT:
            tolerance = check["tolerance"]
            assert agreement >= tolerance["min_agreement"]
            assert tolerance["max_abs_diff"] is None or (
                check["max_abs_diff"] <= tolerance["max_abs_diff"])


def test_tolerances_by_precision(manifest):
    arts = manifest["models"][0]["artifacts"]
    assert arts["tflite_fp32"]["check"]["tolerance"] == {"min_agreement": 0.99,
                                                         "max_abs_diff": 1e-4}
    assert arts["onnx"]["check"]["tolerance"]["max_abs_diff"] == 1e-4
    assert arts["openvino_fp16"]["check"]["tolerance"]["min_agreement"] == 0.98
    # Run by the board's own OpenVINO backend, at an explicit f32 on this bf16-capable CPU.
    assert arts["openvino_fp16"]["check"]["backend"] == "openvino"
    assert arts["openvino_fp16"]["check"]["backend_precision"] == "fp32"
    assert arts["openvino_fp16"]["check"]["threads"] == 1
    assert arts["tflite_int8"]["check"]["tolerance"]["min_agreement"] == 0.9


def test_tied_int8_model_is_flagged_not_dropped(bundle, manifest):
    """Near-uniform outputs tie under int8: recorded as built-but-disagrees, file kept."""
    art = manifest["models"][1]["artifacts"]["tflite_int8"]
    assert art["status"] == STATUS_DISAGREES
    assert art["check"]["agreement"] < 0.9
    assert art["reason"].startswith("top-1 agreement with Keras")
    assert (bundle / art["path"]).is_file()


def test_int8_is_full_integer_with_edge_tpu_ops_only(bundle, manifest):
    from ai_edge_litert.interpreter import Interpreter

    for model in manifest["models"]:
        art = model["artifacts"]["tflite_int8"]
        it = Interpreter(model_path=str(bundle / art["path"]))
        ops = [op["op_name"] for op in it._get_ops_details()]
        assert ops == art["ops"]
        assert not {"SHAPE", "STRIDED_SLICE", "PACK"} & set(ops)
        assert set(ops) <= {"CONV_2D", "MAX_POOL_2D", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"}
        assert it.get_input_details()[0]["dtype"] == np.int8
        assert list(it.get_input_details()[0]["shape"]) == [1, 48, 48, 1]
        assert it.get_output_details()[0]["dtype"] == np.int8


# The ONNX operators TensorRT 8.2's parser imports, of those a model of this search space can
# give (onnx-tensorrt release/8.2-GA docs/operators.md: all "Y" for FP32/FP16).
TENSORRT_8_2_OPS = {"Conv", "Relu", "MaxPool", "Transpose", "Reshape", "Flatten", "Gemm",
                    "MatMul", "Add", "Softmax", "Identity", "Squeeze", "Unsqueeze", "Constant"}


def test_onnx_is_what_the_oldest_tensorrt_reads(bundle, manifest):
    """TensorRT 8.2 (JetPack 4.6, the Jetson Nano's last) reads ONNX opsets up to 13."""
    import onnx

    for model in manifest["models"]:
        art = model["artifacts"]["onnx"]
        proto = onnx.load(str(bundle / art["path"]))
        opsets = {entry.domain: entry.version for entry in proto.opset_import}
        assert opsets[""] == 13 and art["opset"] == 13
        assert {node.op_type for node in proto.graph.node} <= TENSORRT_8_2_OPS
        onnx.checker.check_model(proto)
        assert art["status"] == STATUS_BUILT and art["check"]["max_abs_diff"] <= 1e-4


def test_openvino_lists_its_bin_as_weights(bundle, manifest):
    art = manifest["models"][0]["artifacts"]["openvino_fp16"]
    assert art["path"].endswith(".xml") and art["weights"]["path"].endswith(".bin")
    assert art["weights"]["sha256"] == sha256_file(bundle / art["weights"]["path"])
    assert art["weights_precision"] == "fp16" and art["source"] == "onnx"


def test_edgetpu_recorded_not_built_without_compiler(manifest):
    from fer_edge_search.export.edgetpu import NOT_ON_PATH

    if shutil.which("edgetpu_compiler"):
        pytest.skip("a real edgetpu_compiler is on PATH")
    for model in manifest["models"]:
        art = model["artifacts"]["edgetpu"]
        assert art["status"] == STATUS_NOT_BUILT and art["path"] is None
        assert art["reason"] == NOT_ON_PATH


def test_bundle_holds_only_listed_files(bundle, manifest):
    listed = {record["path"] for _, record in listed_files(manifest)} | {MANIFEST_NAME}
    on_disk = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    assert on_disk == listed
    assert not list(bundle.parent.glob(".tiny.*"))  # no staging folder left behind


def test_verify_passes_and_cli_says_so(bundle, manifest):
    assert verify_bundle(bundle)["bundle_sha256"] == manifest["bundle_sha256"]
    result = CliRunner().invoke(app, ["verify", str(bundle)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 2 model(s), 10 artifact(s)")
    assert manifest["bundle_sha256"] in result.output


def _copy(bundle: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(bundle, tmp_path / "copy"))


def _verify_fails(copy: Path, names: str) -> str:
    """verify_bundle and `fer-edge verify` both fail, naming the file; returns the CLI line."""
    with pytest.raises(BundleError) as info:
        verify_bundle(copy)
    assert info.value.where.endswith(names), info.value
    result = CliRunner().invoke(app, ["verify", str(copy)])
    assert result.exit_code == 1
    assert names in result.output and len(result.output.strip().splitlines()) == 1
    return result.output


def test_verify_fails_on_one_changed_byte_of_any_file(bundle, manifest, tmp_path):
    copy = _copy(bundle, tmp_path)
    for _, record in listed_files(manifest):
        path = copy / record["path"]
        original = path.read_bytes()
        changed = bytearray(original)
        changed[len(changed) // 2] ^= 0x01
        path.write_bytes(bytes(changed))
        with pytest.raises(BundleError) as info:
            verify_bundle(copy)
        assert info.value.where == str(path.resolve()) and "sha256" in info.value.problem
        path.write_bytes(original)
    verify_bundle(copy)
    victim = manifest["models"][1]["artifacts"]["onnx"]["path"]
    (copy / victim).write_bytes(b"x" + (copy / victim).read_bytes()[1:])
    assert "does not match" in _verify_fails(copy, victim)


def test_verify_fails_on_a_deleted_artifact(bundle, manifest, tmp_path):
    copy = _copy(bundle, tmp_path)
    victim = manifest["models"][0]["artifacts"]["tflite_int8"]["path"]
    (copy / victim).unlink()
    assert "missing" in _verify_fails(copy, victim)


def test_verify_fails_on_a_path_leaving_the_bundle(bundle, manifest, tmp_path):
    """The file outside is byte-identical and the manifest re-hashed: only the path check
    can catch it."""
    copy = _copy(bundle, tmp_path)
    sneaky = json.loads(json.dumps(manifest))
    art = sneaky["models"][0]["artifacts"]["onnx"]
    outside = tmp_path / "outside" / "model.onnx"
    outside.parent.mkdir()
    shutil.copy(copy / art["path"], outside)
    art["path"] = "../outside/model.onnx"
    sneaky["bundle_sha256"] = manifest_hash(sneaky)
    (copy / MANIFEST_NAME).write_text(json.dumps(sneaky))
    assert "leaves the bundle folder" in _verify_fails(copy, "../outside/model.onnx")


def test_bundle_show_prints_models_formats_and_hashes(bundle, manifest):
    result = CliRunner().invoke(app, ["bundle", "show", str(bundle)],
                                 env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    for model in manifest["models"]:
        assert model["id"] in result.output
        assert model["artifacts"]["onnx"]["sha256"][:8] in result.output
    from fer_edge_search.export.show import human_bytes

    openvino = manifest["models"][0]["artifacts"]["openvino_fp16"]
    assert human_bytes(openvino["bytes"] + openvino["weights"]["bytes"]) in result.output
    for word in ("tflite_int8", "openvino_fp16", "built-but-disagrees", "not-built", "KiB",
                 "edgetpu_compiler not on PATH", manifest["bundle_sha256"]):
        assert word in result.output


def test_cli_bundle_default_command_and_help(run_dir, tmp_path):
    """`fer-edge bundle RUN_DIR ...` goes to `create`; `--formats` adds prerequisites."""
    help_text = CliRunner().invoke(app, ["bundle", "--help"], terminal_width=160).output
    assert all(name in help_text for name in ("create", "import", "show"))
    out = tmp_path / "only"
    result = CliRunner().invoke(app, ["bundle", str(run_dir), "--top", "1", "--formats", "onnx",
                                      "--out", str(out)], terminal_width=160)
    assert result.exit_code == 0, result.output
    manifest = verify_bundle(out)
    assert [m["id"] for m in manifest["models"]] == ["t0000"]
    assert list(manifest["models"][0]["artifacts"]) == ["keras", "onnx"]


def test_a_failing_export_is_recorded_and_the_rest_still_built(run_dir, tmp_path, monkeypatch):
    """onnx raises: recorded as failed with its reason; openvino falls back to the Keras model."""
    from fer_edge_search.export.onnx_file import OnnxExporter
    from fer_edge_search.export.writer import write_bundle

    def explode(self, ctx):
        ctx.target(self.file_name).write_bytes(b"half a file")
        raise RuntimeError("converter exploded\nat line 2")

    monkeypatch.setattr(OnnxExporter, "export", explode)
    bundle = write_bundle(run_dir, 1, tmp_path / "b", ["onnx", "openvino_fp16"])
    arts = verify_bundle(bundle)["models"][0]["artifacts"]
    assert arts["onnx"] == {"path": None, "sha256": None, "bytes": None, "status": "failed",
                            "reason": "RuntimeError: converter exploded", "check": None}
    assert not (bundle / "t0000" / "model.onnx").exists()
    assert arts["openvino_fp16"]["status"] == STATUS_BUILT
    assert arts["openvino_fp16"]["source"] == "keras"
    assert arts["openvino_fp16"]["check"]["agreement"] >= 0.98


def test_bundle_refuses_an_existing_folder_and_unknown_formats(run_dir, bundle):
    from fer_edge_search.export.writer import write_bundle

    with pytest.raises(UserInputError, match="already exists"):
        write_bundle(run_dir, 1, bundle)
    with pytest.raises(UserInputError, match="unknown format tflite_fp64"):
        write_bundle(run_dir, 1, bundle.parent / "other", ["tflite_fp64"])


def test_a_bundle_that_cannot_be_made_leaves_nothing_behind(run_dir, tmp_path):
    from fer_edge_search.export.writer import write_bundle

    changed = Path(shutil.copytree(run_dir, tmp_path / "run"))
    run = json.loads((changed / "run.json").read_text())
    run["class_names"] = ["happy", "sad"]
    (changed / "run.json").write_text(json.dumps(run))
    with pytest.raises(UserInputError, match="differ from the dataset's"):
        write_bundle(changed, 1, tmp_path / "models" / "never")
    assert list((tmp_path / "models").iterdir()) == []


def test_a_run_folder_without_a_readable_top_json_is_refused(run_dir, tmp_path):
    from fer_edge_search.export.writer import write_bundle

    changed = Path(shutil.copytree(run_dir, tmp_path / "run"))
    (changed / "top.json").write_text("[{not json")
    with pytest.raises(UserInputError, match=r"top\.json: not JSON"):
        write_bundle(changed, 1, tmp_path / "b1")
    (changed / "top.json").unlink()
    with pytest.raises(UserInputError, match=r"top\.json: missing"):
        write_bundle(changed, 1, tmp_path / "b2")
