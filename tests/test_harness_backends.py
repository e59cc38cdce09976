"""The harness backends: the registry, a missing runtime as a reason (never an ImportError), the
input quantization, and every CPU backend reproducing the Keras model on a real bundle."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from harness_fixtures import shared_tiny_bundle

from fer_edge_harness import bundle
from fer_edge_harness.backends import (
    BACKENDS,
    BackendUnavailable,
    create_backend,
    parse_backends,
)
from fer_edge_harness.backends import tflite as tflite_module
from fer_edge_harness.backends.base import (
    LoadOptions,
    dequantize,
    float_nhwc,
    quantize,
)

# Largest difference to Keras's probabilities: fp32 runtimes agree to rounding; the OpenVINO IR
# holds fp16 weights; int8 is quantized (the softmax's own scale is 1/256).
TOLERANCE = {"tflite": 1e-5, "onnxruntime": 1e-5, "keras": 1e-5, "openvino": 1e-3,
             "tflite-int8": 2e-2}


def test_parse_backends():
    assert parse_backends("tflite, onnxruntime") == ["tflite", "onnxruntime"]
    assert parse_backends("all") == list(BACKENDS)
    with pytest.raises(ValueError, match="unknown backend tpu"):
        parse_backends("tflite,tpu")
    with pytest.raises(ValueError):
        parse_backends(" , ")


@pytest.mark.parametrize(("backend", "modules", "reason"), [
    ("onnxruntime", ["onnxruntime"], "onnxruntime not importable"),
    ("openvino", ["openvino", "openvino.runtime"], "openvino not importable"),
    ("keras", ["tensorflow"], "tensorflow not importable"),
    ("tflite", ["ai_edge_litert", "tflite_runtime", "tensorflow"],
     "no TFLite runtime importable: ai_edge_litert .*; tflite_runtime .*; tensorflow "),
])
def test_missing_runtime_is_a_reason_not_an_import_error(monkeypatch, backend, modules,
                                                         reason):
    monkeypatch.setattr(tflite_module, "_FOUND", {})
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)  # `import name` now raises ImportError
    with pytest.raises(BackendUnavailable, match=reason):
        create_backend(backend)


def test_absent_accelerators_say_why():
    with pytest.raises(BackendUnavailable, match="tensorrt not importable"):
        create_backend("tensorrt")
    with pytest.raises(BackendUnavailable, match=r"libedgetpu\.so\.1 could not be loaded"):
        create_backend("edgetpu")


def test_quantize_uses_the_given_scale_and_zero_point():
    x = np.array([0.0, 0.4, 1.0, 2.0], dtype=np.float32)
    q = quantize(x, scale=1 / 255, zero_point=-128, dtype=np.int8)
    assert q.dtype == np.int8 and q.tolist() == [-128, -26, 127, 127]  # 2.0 saturates
    assert dequantize(np.array([-128, 0], np.int8), 1 / 256, -128).tolist() == [0.0, 0.5]
    image = np.full((1, 2, 2), 255, np.uint8)
    assert float_nhwc(image, 1 / 255).shape == (1, 2, 2, 1)
    assert float_nhwc(image, 1 / 255).max() == pytest.approx(1.0)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(bundle dir, manifest, test images, labels, Keras reference probabilities)."""
    import keras

    path = shared_tiny_bundle(tmp_path_factory)
    manifest = bundle.verify_bundle(path)
    with np.load(path / "test_set.npz") as data:
        images, labels = data["images"], data["labels"]
    model = manifest["models"][0]
    reference = keras.models.load_model(bundle.artifact_path(path, model, "keras"),
                                        compile=False)
    probabilities = reference.predict(images[..., None].astype(np.float32) / 255, verbose=0)
    return path, manifest, images, labels, probabilities


def load(backend, tiny, threads=2):
    path, manifest, *_ = tiny
    model = manifest["models"][0]
    fmt = backend.artifact_formats[0]
    options = LoadOptions(threads, manifest["input"]["scale"], manifest["input"]["shape"], fmt,
                          model["artifacts"][fmt]["sha256"], model["id"])
    backend.load(bundle.artifact_path(path, model, fmt), options)
    return backend


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TOLERANCE))
def test_backend_reproduces_keras_on_the_bundle(tiny, name):
    _, _, images, _, reference = tiny
    backend = load(create_backend(name), tiny)
    try:
        probabilities = backend.predict_batch(images)
        one = backend.probabilities(backend.infer(backend.prepare(images[:1])))
    finally:
        backend.close()
    assert probabilities.shape == reference.shape
    assert np.abs(probabilities - reference).max() < TOLERANCE[name]
    np.testing.assert_array_equal(one, probabilities[:1])  # the timed path is the scored path
    assert backend.versions() and all(backend.versions().values())


@pytest.mark.slow
def test_int8_input_is_quantized_with_the_models_own_parameters(tiny):
    _, _, images, *_ = tiny
    backend = load(create_backend("tflite-int8"), tiny)
    details = backend._interpreter.get_input_details()[0]
    scale, zero_point = details["quantization"]
    prepared = backend.prepare(images[:1])
    expected = np.clip(np.round(images[:1, ..., None] / 255 / scale) + zero_point, -128, 127)
    assert prepared.dtype == np.int8 and prepared.shape == tuple(details["shape"])
    np.testing.assert_array_equal(prepared, expected.astype(np.int8))
    assert backend.precision == "int8"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["tflite", "onnxruntime", "openvino"])
def test_threads_are_set_explicitly(tiny, name):
    assert load(create_backend(name), tiny, threads=1).threads == 1
    assert load(create_backend(name), tiny, threads=2).threads == 2


@pytest.mark.slow
def test_openvino_runs_the_cpu_in_fp32_not_its_bf16_default(tiny):
    backend = load(create_backend("openvino"), tiny)
    assert backend.precision == "fp32"
    assert backend._compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name() == "f32"
    assert backend.accelerator() is None
