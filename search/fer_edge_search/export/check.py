"""Run an artifact here on the test set and compare it with the Keras model it came from.

Each artifact runs through the harness backend a board uses (fer_edge_harness.backends), one
image a call as a board runs it (batch 1), so a bundle that passed its checks is one the boards'
own code can open and that scores as the Keras model does. One thread: speed is not measured here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fer_edge_harness.inputs import InputScaling
from fer_edge_harness.manifest_schema import check_backend, check_record

# (min top-1 agreement with Keras, max abs output difference or None) per precision.
TOLERANCES: dict[str, tuple[float, float | None]] = {
    "fp32": (0.99, 1e-4),
    "fp16": (0.98, None),
    "int8": (0.90, None),
}


def reference_outputs(model, images: np.ndarray, batch: int = 256) -> np.ndarray:
    """The Keras model's outputs on float images: what every other artifact is compared with."""
    # Direct calls: predict() re-traces a tf.function for every new model (and warns).
    parts = [np.asarray(model(images[i:i + batch], training=False))
             for i in range(0, len(images), batch)]
    return np.concatenate(parts).astype(np.float32)


def backend_outputs(backend_name: str, artifact_format: str, path: Path, images: np.ndarray,
                    scaling: InputScaling, precision: str) -> tuple[np.ndarray, dict]:
    """Class scores of uint8 images (n, H, W) through the harness backend a board would use
    (same loading, input scaling, int8 quantization and dequantization; OpenVINO at an explicit
    f32 on the CPU), on one thread; and the check's fields on what ran it (`precision`: the
    format's)."""
    from fer_edge_harness.backends import create_backend
    from fer_edge_harness.backends.base import LoadOptions

    backend = create_backend(backend_name)
    try:
        backend.load(path, LoadOptions(threads=1, input_scaling=scaling,
                                       input_shape=(*images.shape[1:], 1),
                                       artifact_format=artifact_format))
        outputs = backend.predict_batch(images).astype(np.float32)
        return outputs, check_backend(precision, backend_name, backend.precision,
                                      backend.threads, backend.versions())
    finally:
        backend.close()


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
    record = check_record(len(reference), agreement, diff, tied, min_agreement, max_diff)
    problems = []
    if agreement < min_agreement:
        ties = f" ({tied} of {len(reference)} outputs tie for top-1)" if tied else ""
        problems.append(f"top-1 agreement with Keras {agreement:.4f} < {min_agreement}{ties}")
    if max_diff is not None and diff > max_diff:
        problems.append(f"max abs difference {diff:.3g} > {max_diff:g}")
    return record, "; ".join(problems) or None


def check_artifact(backend_name: str, artifact_format: str, path: Path, images: np.ndarray,
                   reference: np.ndarray, precision: str,
                   scaling: InputScaling) -> tuple[dict, str | None]:
    """Run one artifact on the uint8 test images and compare it with the Keras outputs."""
    outputs, facts = backend_outputs(backend_name, artifact_format, path, images, scaling,
                                     precision)
    record, problem = compare(reference, outputs, precision)
    record.update(facts)
    return record, problem
