"""Bundle assembly both writers share (stage-1 runs and imported models): a staging folder, the
test set, each model's exports, and the manifest, hashed and written last.

The bundle is built in a hidden folder next to its destination and moved into place only
when the manifest is written, so a half-made bundle is never mistaken for a finished one.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from fer_edge_core.errors import UserInputError
from fer_edge_core.files import make_stage, replace_folder, write_json
from fer_edge_harness import manifest_schema
from fer_edge_harness.bundle import (
    MANIFEST_NAME,
    SCHEMA_VERSION,
    file_record,
    manifest_hash,
)
from fer_edge_harness.inputs import InputScaling
from fer_edge_harness.manifest_schema import Artifact, Check, Manifest
from fer_edge_search.export.base import ExportContext
from fer_edge_search.export.check import reference_outputs
from fer_edge_search.export.step import export_format
from fer_edge_search.export.tflite_int8 import MAX_CALIBRATION

TEST_SET_NAME = "test_set.npz"

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    """The default progress sink: say nothing."""


def open_stage(out_dir: Path, force: bool) -> Path:
    """A fresh hidden folder beside `out_dir`; refuses an existing non-empty `out_dir`."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserInputError(out_dir, "exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise UserInputError(out_dir, "already exists and is not empty (use --force to replace)")
    return make_stage(out_dir)  # readable: a board container's user must read the bundle


def calibration_set(train_images: np.ndarray, seed: int, scaling: InputScaling) -> np.ndarray:
    """Up to MAX_CALIBRATION training images, drawn by seed, as float model inputs."""
    rng = np.random.default_rng(seed)
    pick = rng.permutation(len(train_images))[:MAX_CALIBRATION]
    return scaling.apply(train_images[np.sort(pick)])


def write_test_set(stage: Path, images: np.ndarray, labels: np.ndarray) -> dict:
    """test_set.npz (uint8 images, int64 labels) and its manifest record."""
    np.savez(stage / TEST_SET_NAME, images=images.astype(np.uint8),
             labels=labels.astype(np.int64))
    return manifest_schema.test_set_record(file_record(stage, TEST_SET_NAME), len(labels))


def batch1_model(model):
    """The model's layers and weights on a `keras.Input(batch_size=1)`, as a Functional model:
    static shapes for the converters (a dynamic batch leaves SHAPE/STRIDED_SLICE/PACK around
    Flatten), and tf2onnx's from_keras cannot name a Sequential model's outputs."""
    import keras

    _, *shape = model.input_shape
    inputs = keras.Input(tuple(shape), batch_size=1)
    if isinstance(model, keras.Sequential):
        x = inputs
        for layer in model.layers:  # the same layer objects: the weights come along
            x = layer(x)
        return keras.Model(inputs, x)
    fixed = keras.models.clone_model(model, input_tensors=inputs)
    fixed.set_weights(model.get_weights())
    return fixed


def _describe(fmt: str, record: dict) -> str:
    """One progress line for one artifact."""
    check = record.get(Artifact.CHECK) or {}
    facts = [record[Artifact.STATUS]]
    if Check.AGREEMENT in check:
        facts.append(f"agreement {check[Check.AGREEMENT]:.3f}, "
                     f"max diff {check[Check.MAX_ABS_DIFF]:.2g}")
    if record.get(Artifact.REASON):
        facts.append(record[Artifact.REASON])
    return f"  {fmt}: " + " | ".join(facts)


def export_model(stage: Path, model_id: str, model, formats: list[str], calibration: np.ndarray,
                 test_images: np.ndarray, scaling: InputScaling, log: Log = _quiet,
                 model_b1=None) -> dict:
    """Every requested format of one model, each checked on the uint8 test images (n, H, W)
    scaled by `scaling`: {format: record}. `model_b1`: its batch1_model when the caller made
    it already."""
    model_b1 = batch1_model(model) if model_b1 is None else model_b1
    ctx = ExportContext(model_id=model_id, model=model, model_b1=model_b1,
                        bundle_dir=stage, model_dir=model_id, calibration=calibration,
                        scaling=scaling)
    reference = reference_outputs(model, scaling.apply(test_images))
    artifacts = {}
    for fmt in formats:
        artifacts[fmt] = export_format(fmt, ctx, test_images, reference)
        log(_describe(fmt, artifacts[fmt]))
    return artifacts


def manifest_head(name: str, dataset: dict, input_shape: tuple[int, ...], test_set: dict,
                  scaling: InputScaling) -> dict:
    """The manifest's fields before its models."""
    return manifest_schema.manifest_head(SCHEMA_VERSION, name, dataset,
                                         manifest_schema.input_record(input_shape, scaling),
                                         test_set)


def finish(stage: Path, out_dir: Path, manifest: dict) -> Path:
    """Hash the manifest, write it last, and move the staged bundle to `out_dir`."""
    manifest[Manifest.BUNDLE_SHA256] = manifest_hash(manifest)
    write_json(stage / MANIFEST_NAME, manifest)
    # out_dir is absent, empty, or --force was given (open_stage checked)
    return replace_folder(stage, out_dir)


@contextlib.contextmanager
def staged(out_dir: Path, force: bool) -> Iterator[Path]:
    """A staging folder for the bundle `out_dir`, removed if anything goes wrong before
    `finish` moved it into place."""
    stage = open_stage(out_dir, force)
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def safe_id(text: str) -> str:
    """A model id usable as a folder name: letters, digits, '-' and '_' only."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)
