"""`fer-edge bundle import`: an external Keras classifier with a 40x40 input and its own class
order becomes a checked bundle; unsafe or unfit files are refused with the reason."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from fer_edge_core.errors import UserInputError
from fer_edge_harness.bundle import STATUS_BUILT, sha256_file, verify_bundle

SPEC = "synthetic:n=210,identities=30,seed=0"
# The model's output order; "neutral" is not a class of the dataset.
CLASSES = ["surprise", "happy", "anger", "neutral"]
CHECKED = ("keras", "tflite_fp32", "tflite_int8", "onnx", "openvino_fp16")


def external_model(path: Path) -> Path:
    """A small Sequential classifier trained nowhere here, 40x40x1 in, 4 classes out, saved as
    .h5. Weights are scaled (x3 a layer) so each image has a clear top class (see
    test_bundle_formats.MODELS for why)."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(7)
    model = keras.Sequential([
        keras.Input((40, 40, 1)),
        layers.Conv2D(4, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(16, activation="relu"),
        layers.Dense(len(CLASSES), activation="softmax"),
    ])
    for layer in model.layers:
        kernel, bias = layer.get_weights() or (None, None)
        if kernel is not None:
            layer.set_weights([kernel * 3.0, bias])
    model.save(path)
    return path


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> tuple[Path, Path]:
    from fer_edge_search.export.external import import_external

    root = tmp_path_factory.mktemp("import")
    source = external_model(root / "someone_else.h5")
    return source, import_external(source, CLASSES, SPEC, root / "models" / "ext")


def test_import_resizes_and_remaps_the_test_set(imported):
    from PIL import Image

    from fer_edge_search.datasets import SplitSpec, load_dataset, split_dataset

    _, bundle = imported
    manifest = verify_bundle(bundle)
    split = split_dataset(load_dataset(SPEC), SplitSpec())
    images, labels = split.part("test")
    names = [split.dataset.class_names[label] for label in labels]
    keep = [i for i, name in enumerate(names) if name in CLASSES]
    with np.load(bundle / "test_set.npz") as npz:
        got_images, got_labels = npz["images"], npz["labels"]
    # Same images, each resized to 40x40; each label the model's index of its class name.
    assert got_images.shape == (len(keep), 40, 40)
    expected = [np.asarray(Image.fromarray(images[i]).resize((40, 40), Image.BILINEAR))
                for i in keep]
    np.testing.assert_array_equal(got_images, np.stack(expected))
    assert [CLASSES[label] for label in got_labels] == [names[i] for i in keep]
    assert manifest["input"]["shape"] == [40, 40, 1]
    assert manifest["dataset"]["class_names"] == CLASSES
    assert manifest["dataset"]["dropped_classes"] == ["contempt", "disgust", "fear", "sadness"]
    assert manifest["dataset"]["classes_without_images"] == ["neutral"]
    assert manifest["dataset"]["counts"]["test"] == len(keep)


def test_import_records_the_external_source(imported):
    source, bundle = imported
    (model,) = verify_bundle(bundle)["models"]
    assert model["config"] == {"external": {"source": "someone_else.h5",
                                            "sha256": sha256_file(source),
                                            "input_shape": [40, 40, 1], "classes": CLASSES}}
    assert model["id"] == "ext-someone_else" and model["val_accuracy"] is None
    assert model["params"] > 0 and model["flops"] > 0


def test_import_exports_and_checks_every_format(imported):
    import onnxruntime as ort

    _, bundle = imported
    (model,) = verify_bundle(bundle)["models"]
    n = verify_bundle(bundle)["test_set"]["n"]
    for fmt in CHECKED:
        art = model["artifacts"][fmt]
        assert art["status"] == STATUS_BUILT, (fmt, art)
        assert art["check"]["n"] == n
        assert art["check"]["agreement"] >= art["check"]["tolerance"]["min_agreement"]
    assert not {"SHAPE", "STRIDED_SLICE", "PACK"} & set(model["artifacts"]["tflite_int8"]["ops"])
    # Re-run the ONNX file: its recorded agreement is what ONNX Runtime gives here.
    import keras

    with np.load(bundle / "test_set.npz") as npz:
        x = npz["images"].astype(np.float32)[..., None] / np.float32(255)
    reference = np.asarray(keras.models.load_model(
        bundle / model["artifacts"]["keras"]["path"], compile=False)(x, training=False))
    session = ort.InferenceSession(str(bundle / model["artifacts"]["onnx"]["path"]),
                                   providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    out = np.array([session.run(None, {name: im[None]})[0][0] for im in x])
    agreement = float(np.mean(out.argmax(1) == reference.argmax(1)))
    assert model["artifacts"]["onnx"]["check"]["agreement"] == pytest.approx(agreement)


def test_lambda_model_is_refused(tmp_path, monkeypatch, capsys):
    import keras

    from fer_edge.cli import main
    from fer_edge_search.export.external import import_external

    inputs = keras.Input((48, 48, 1))
    outputs = keras.layers.Dense(3, activation="softmax")(
        keras.layers.Flatten()(keras.layers.Lambda(lambda t: t * 2.0)(inputs)))
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(UserInputError) as info:
        import_external(path, ["a", "b", "c"], SPEC, tmp_path / "out")
    assert info.value.where == str(path)
    assert "safe mode" in info.value.problem and "Lambda" in info.value.problem
    monkeypatch.setattr(sys, "argv", ["fer-edge", "bundle", "import", str(path), "--classes",
                                      "a,b,c", "--data", SPEC, "--out", str(tmp_path / "o")])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: Keras ") and "cannot load it (in safe mode" in err
    assert not (tmp_path / "o").exists() and not (tmp_path / "out").exists()


def test_unfit_models_and_class_lists_are_refused(imported, tmp_path):
    import keras

    from fer_edge_search.export.external import import_external, parse_classes

    source, _ = imported
    with pytest.raises(UserInputError, match="4 outputs") as info:
        import_external(source, ["happy", "anger"], SPEC, tmp_path / "a")
    assert info.value.where == "--classes"
    with pytest.raises(UserInputError, match="no class in common"):
        import_external(source, ["w", "x", "y", "z"], SPEC, tmp_path / "b")
    with pytest.raises(UserInputError, match="distinct"):
        parse_classes("happy,happy,anger")
    rgb = tmp_path / "rgb.keras"
    inputs = keras.Input((40, 40, 3))
    keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(inputs))).save(rgb)
    with pytest.raises(UserInputError, match="grayscale") as info:
        import_external(rgb, ["happy", "anger"], SPEC, tmp_path / "c")
    assert info.value.where == str(rgb)
