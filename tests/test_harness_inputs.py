"""The one input scaling (float = uint8 x scale + offset): its arithmetic, standardisation, how
a manifest records it, and how a bundle with a bad or old `input` is read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fer_edge_harness.bundle import (
    MANIFEST_NAME,
    SCHEMA_VERSION,
    BundleError,
    file_record,
    input_scaling,
    manifest_hash,
    verify_bundle,
)
from fer_edge_harness.inputs import InputScaling


def test_default_is_uint8_over_255_with_a_channel_axis():
    image = np.array([[[0, 51], [102, 255]]], dtype=np.uint8)
    x = InputScaling().apply(image)
    assert x.dtype == np.float32 and x.shape == (1, 2, 2, 1) and x.flags.c_contiguous
    assert x.ravel().tolist() == pytest.approx([0.0, 0.2, 0.4, 1.0])
    assert InputScaling().apply(image[..., None]).shape == (1, 2, 2, 1)


def test_scale_and_offset():
    x = InputScaling(scale=0.5, offset=-10.0).apply(np.array([[[0, 20, 255]]], np.uint8))
    assert x.ravel().tolist() == [-10.0, 0.0, 117.5]


def test_standardizing_gives_mean_0_and_deviation_1():
    # Pixels 0, 100, 200: mean 100, population deviation sqrt(20000 / 3) = 81.6497
    images = np.array([[[0, 100, 200]]], np.uint8)
    scaling = InputScaling.standardizing(images)
    assert scaling.scale == pytest.approx(1 / 81.649658, rel=1e-6)
    assert scaling.offset == pytest.approx(-100 / 81.649658, rel=1e-6)
    x = scaling.apply(images)
    assert x.ravel().tolist() == pytest.approx([-1.2247449, 0.0, 1.2247449], abs=1e-6)
    rng = np.random.default_rng(0)
    many = rng.integers(30, 220, (50, 48, 48), dtype=np.uint8)
    x = InputScaling.standardizing(many).apply(many)
    assert float(x.mean()) == pytest.approx(0.0, abs=1e-5)
    assert float(x.std()) == pytest.approx(1.0, rel=1e-5)


def test_constant_images_fall_back_to_the_default():
    assert InputScaling.standardizing(np.full((3, 4, 4), 7, np.uint8)) == InputScaling()
    assert InputScaling.standardizing(np.zeros((0, 4, 4), np.uint8)) == InputScaling()


@pytest.mark.parametrize(("scale", "offset"), [(0.0, 0.0), (-1.0, 0.0), (float("nan"), 0.0),
                                               (1.0, float("inf"))])
def test_impossible_scalings_are_refused(scale, offset):
    with pytest.raises(ValueError, match="input scale"):
        InputScaling(scale, offset)


def test_manifest_round_trip_and_schema_1_has_no_offset():
    scaling = InputScaling(0.02, -2.5)
    assert scaling.as_dict() == {"scale": 0.02, "offset": -2.5}
    assert InputScaling.from_manifest({"shape": [48, 48, 1], **scaling.as_dict()}) == scaling
    assert InputScaling.from_manifest({"scale": 1 / 255}) == InputScaling()


def write_bundle_dir(folder: Path, version: int, input_field: dict) -> Path:
    """The smallest verifiable bundle: a test set, no models, a hashed manifest."""
    folder.mkdir()
    np.savez(folder / "test_set.npz", images=np.zeros((1, 4, 4), np.uint8),
             labels=np.zeros(1, np.int64))
    manifest = {"schema_version": version, "dataset": {}, "input": input_field,
                "test_set": file_record(folder, "test_set.npz"), "models": []}
    manifest["bundle_sha256"] = manifest_hash(manifest)
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest))
    return folder


def test_schema_1_bundle_still_verifies_and_reads_as_uint8_over_255(tmp_path):
    folder = write_bundle_dir(tmp_path / "old", 1, {"shape": [4, 4, 1], "dtype": "float32",
                                                    "scale": 1 / 255})
    manifest = verify_bundle(folder)  # read as it is: its hash still holds
    assert input_scaling(manifest, "m") == InputScaling()
    assert SCHEMA_VERSION == 2


def test_unknown_schema_is_refused(tmp_path):
    folder = write_bundle_dir(tmp_path / "new", 3, {"shape": [4, 4, 1], "scale": 1 / 255})
    with pytest.raises(BundleError, match="schema_version 3 is not supported"):
        verify_bundle(folder)


@pytest.mark.parametrize(("field", "problem"), [
    ({"shape": [4, 4, 1]}, "input: lacks 'scale'"),
    ({"shape": [4, 4, 1], "scale": 0, "offset": 0}, "input: input scale must be"),
    ({"shape": [4, 4, 1], "scale": "x"}, "input: could not convert"),
])
def test_bad_input_field_names_the_manifest(tmp_path, field, problem):
    folder = write_bundle_dir(tmp_path / "bad", 2, field)
    with pytest.raises(BundleError, match=problem) as info:
        verify_bundle(folder)
    assert info.value.where.endswith(MANIFEST_NAME)
