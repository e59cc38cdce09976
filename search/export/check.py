"""Run an artifact here on the test set with its own runtime and compare it with Keras.

Host side only (Python 3.11): each runner takes float32 images (n, H, W, 1) in [0, 1] and returns
the model's float outputs (n, classes), one image a call, as a board runs them (batch 1).
Checks use one thread per runtime: the machine is shared and speed is not measured here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

# (min top-1 agreement with Keras, max abs output difference or None) per precision.
TOLERANCES: dict[str, tuple[float, float | None]] = {
    "fp32": (0.99, 1e-4),
    "fp16": (0.98, None),
    "int8": (0.90, None),
}

# What the OpenVINO check runs at: f32 (the CPU would pick bf16 on AVX512_BF16, stack.md
# pitfall 3); the fp16 weights are decompressed to f32 on load.
OPENVINO_CONFIG = {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": 1}


def keras_outputs(path: Path, images: np.ndarray) -> np.ndarray:
    """Reload a .keras artifact as a board would (safe mode) and run it on a batch."""
    import keras

    model = keras.models.load_model(path, compile=False, safe_mode=True)
    return reference_outputs(model, images)


def reference_outputs(model, images: np.ndarray, batch: int = 256) -> np.ndarray:
    """The Keras model's outputs: what every other artifact is compared with."""
    # Direct calls: predict() re-traces a tf.function for every new model (and warns).
    parts = [np.asarray(model(images[i:i + batch], training=False))
             for i in range(0, len(images), batch)]
    return np.concatenate(parts).astype(np.float32)


def litert_outputs(path: Path, images: np.ndarray) -> np.ndarray:
    """LiteRT; an int8 model gets inputs quantized with its own scale and zero point, and its
    outputs dequantized, so fp32 and int8 are compared in the same units."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path), num_threads=1)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    in_scale, in_zero = inp["quantization"]
    out_scale, out_zero = out["quantization"]
    results = []
    for image in images:
        x = image[np.newaxis]
        if inp["dtype"] != np.float32:
            info = np.iinfo(inp["dtype"])
            x = np.clip(np.round(x / in_scale + in_zero), info.min, info.max).astype(inp["dtype"])
        interpreter.set_tensor(inp["index"], x)
        interpreter.invoke()
        y = interpreter.get_tensor(out["index"])
        if out["dtype"] != np.float32:
            y = (y.astype(np.float32) - out_zero) * out_scale
        results.append(y.reshape(-1))
    return np.stack(results).astype(np.float32)


def onnxruntime_outputs(path: Path, images: np.ndarray) -> np.ndarray:
    """ONNX Runtime on the CPU, batch 1 (the exported graph's batch is fixed to 1)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.stack([session.run(None, {name: image[np.newaxis]})[0].reshape(-1)
                     for image in images]).astype(np.float32)


def openvino_outputs(path: Path, images: np.ndarray) -> np.ndarray:
    """OpenVINO on the CPU at f32 inference precision (OPENVINO_CONFIG)."""
    import openvino as ov

    compiled = ov.Core().compile_model(str(path), "CPU", OPENVINO_CONFIG)
    request = compiled.create_infer_request()
    return np.stack([np.asarray(request.infer({0: image[np.newaxis]})[0]).reshape(-1)
                     for image in images]).astype(np.float32)


RUNNERS: dict[str, Callable[[Path, np.ndarray], np.ndarray]] = {
    "keras": keras_outputs,
    "litert": litert_outputs,
    "onnxruntime": onnxruntime_outputs,
    "openvino": openvino_outputs,
}

RUNTIME_NOTES: dict[str, dict] = {
    "litert": {"threads": 1},
    "onnxruntime": {"threads": 1, "provider": "CPUExecutionProvider"},
    "openvino": {"device": "CPU", "inference_precision": "f32", "threads": 1,
                 "weights": "fp16, decompressed to f32 on load"},
}


# The pip distribution of each runtime, for the version recorded with its check.
DISTRIBUTIONS = {"keras": "keras", "litert": "ai-edge-litert", "onnxruntime": "onnxruntime",
                 "openvino": "openvino"}


def runtime_version(runtime: str) -> str | None:
    """The installed version of a runtime's package, or None."""
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTIONS[runtime])
    except metadata.PackageNotFoundError:
        return None


def compare(reference: np.ndarray, outputs: np.ndarray, precision: str) -> tuple[dict, str | None]:
    """The check record (n, agreement, max_abs_diff, tolerance) and the problem, if beyond it."""
    if outputs.shape != reference.shape:
        raise ValueError(f"outputs of shape {outputs.shape}, Keras gives {reference.shape}")
    min_agreement, max_diff = TOLERANCES[precision]
    agreement = float(np.mean(outputs.argmax(axis=1) == reference.argmax(axis=1)))
    diff = float(np.max(np.abs(outputs - reference))) if len(reference) else 0.0
    # Ties explain int8 flips: a softmax quantized in 1/256 steps cannot order classes whose
    # probabilities differ by less, and argmax then takes the first of the tied ones.
    tied = int(np.sum((outputs == outputs.max(axis=1, keepdims=True)).sum(axis=1) > 1))
    record = {"n": len(reference), "agreement": agreement, "max_abs_diff": diff,
              "tied_top1": tied,
              "tolerance": {"min_agreement": min_agreement, "max_abs_diff": max_diff}}
    problems = []
    if agreement < min_agreement:
        ties = f" ({tied} of {len(reference)} outputs tie for top-1)" if tied else ""
        problems.append(f"top-1 agreement with Keras {agreement:.4f} < {min_agreement}{ties}")
    if max_diff is not None and diff > max_diff:
        problems.append(f"max abs difference {diff:.3g} > {max_diff:g}")
    return record, "; ".join(problems) or None


def check_artifact(runtime: str, path: Path, images: np.ndarray, reference: np.ndarray,
                   precision: str) -> tuple[dict, str | None]:
    """Run one artifact on the test images and compare it with the Keras outputs."""
    outputs = RUNNERS[runtime](path, images)
    record, problem = compare(reference, outputs, precision)
    record.update({"runtime": runtime, "runtime_version": runtime_version(runtime),
                   "precision": precision, **RUNTIME_NOTES.get(runtime, {})})
    return record, problem
