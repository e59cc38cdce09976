"""The one input scaling (float = uint8 x scale + offset): its arithmetic, standardisation, how
a manifest records it, and how a bundle with a bad or old `input` is read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from harness_fixtures import rewrite_manifest
from merge_factory import run_cli, write_bundle

from fer_edge_harness.bundle import (
    MANIFEST_NAME,
    SCHEMA_VERSION,
    BundleError,
    input_scaling,
    verify_bundle,
)
from fer_edge_harness.inputs import InputScaling, scaling_problem


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


@pytest.fixture
def bundle(tmp_path) -> Path:
    """A bundle as merge_factory writes it (stand-in artifacts): schema 1, input scale 1/255,
    no offset."""
    return write_bundle(tmp_path / "bundle")


def _input(version: int, **fields) -> Callable[[dict], None]:
    """A manifest change: this schema version and these `input` fields (None: removed)."""
    def change(manifest: dict) -> None:
        manifest["schema_version"] = version
        manifest["input"].update(fields)
        for key in [k for k, v in manifest["input"].items() if v is None]:
            del manifest["input"][key]
    return change


def test_schema_1_bundle_still_verifies_and_reads_as_uint8_over_255(bundle):
    manifest = verify_bundle(bundle)  # read as it is: its hash still holds
    assert manifest["schema_version"] == 1 and "offset" not in manifest["input"]
    assert input_scaling(manifest, "m") == InputScaling()
    assert SCHEMA_VERSION == 2


STANDARD = InputScaling.standardizing(np.arange(256, dtype=np.uint8))  # mean 127.5, std 73.9


@pytest.mark.parametrize("scaling", [
    pytest.param(STANDARD, id="standardised"),
    pytest.param(InputScaling(1 / 40.0, -90 / 40.0), id="dark-data-std-40"),
    pytest.param(InputScaling(2 / 255, -1.0), id="minus-1-to-1"),
    pytest.param(InputScaling(), id="uint8-over-255"),
    pytest.param(InputScaling(1.0, -128.0), id="centred-pixels"),
])
def test_schema_2_standardisation_verifies_and_is_what_backends_get(bundle, monkeypatch, capsys,
                                                                      scaling):
    rewrite_manifest(bundle, _input(2, **scaling.as_dict()))
    manifest = verify_bundle(bundle)
    assert input_scaling(manifest, "m") == scaling
    assert run_cli(monkeypatch, "verify", str(bundle)) == 0, capsys.readouterr().err


def test_schema_2_without_offset_reads_as_offset_0(bundle):
    rewrite_manifest(bundle, _input(2, scale=2 / 255, offset=None))
    assert input_scaling(verify_bundle(bundle), "m") == InputScaling(2 / 255, 0.0)


# (id, schema version, input fields, the field and problem verify names)
REFUSED = [
    ("zero", 2, {"scale": 0, "offset": 0.0}, "input.scale: must be a positive finite number"),
    ("negative", 2, {"scale": -1 / 255}, "input.scale: must be a positive finite number"),
    ("tiny", 2, {"scale": 1e-6, "offset": 0.0}, "input.scale: 1e-06 spreads the pixel values"),
    ("huge", 2, {"scale": 4.0, "offset": -2.0}, "input.scale: 4.0 spreads the pixel values"),
    ("offset-above", 2, {"scale": 1 / 64, "offset": 0.5}, "input.offset: 0.5 with scale"),
    ("offset-below", 2, {"scale": 1 / 64, "offset": -4.5}, "maps pixel value 288 to 0"),
    ("offset-text", 2, {"scale": 1 / 64, "offset": "-2"},
     "input.offset: must be a number, got a string"),
    ("scale-missing", 2, {"scale": None}, "input.scale: must be a number, got null"),
    ("schema-1-offset", 1, {"offset": 0.0}, "input.offset: is a schema-2 field"),
    ("schema-1-standardised", 1, STANDARD.as_dict(), "input.offset: is a schema-2 field"),
    ("schema-1-scale", 1, {"scale": 1 / 64}, "does not map the uint8 test images onto [0, 1]"),
]


@pytest.mark.parametrize(("version", "fields", "problem"),
                         [pytest.param(v, f, p, id=i) for i, v, f, p in REFUSED])
def test_nonsense_scaling_is_refused_in_one_line(bundle, monkeypatch, capsys, version, fields,
                                                  problem):
    rewrite_manifest(bundle, _input(version, **fields))
    with pytest.raises(BundleError) as info:
        verify_bundle(bundle)
    assert problem in info.value.problem and info.value.where.endswith(MANIFEST_NAME)
    assert run_cli(monkeypatch, "verify", str(bundle)) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("FAILED: ") and problem in err and "\n" not in err


@pytest.mark.parametrize(("text", "problem"), [
    ("NaN", "NaN is not a finite number"),
    ("-Infinity", "-Infinity is not a finite number"),
    ("-1e400", "input.offset: must be a finite number, got -inf"),  # JSON's overflow is inf
])
def test_non_finite_offset_is_refused(bundle, text, problem):
    rewrite_manifest(bundle, _input(2, offset=-12345.5))
    path = bundle / MANIFEST_NAME
    path.write_text(path.read_text().replace("-12345.5", text))
    with pytest.raises(BundleError, match=problem):
        verify_bundle(bundle)


def test_unknown_schema_is_refused(bundle):
    rewrite_manifest(bundle, _input(3))
    with pytest.raises(BundleError, match="schema_version 3 is not supported"):
        verify_bundle(bundle)


def test_scaling_problem_bounds_hold_at_float_round_off():
    assert scaling_problem(1.0 / 255.0, None, 1) is None
    assert scaling_problem(1.0 / 255.0 * (1 + 1e-12), -0.0, 2) is None
    assert scaling_problem(1.0, -255.0, 2) is None  # pixel 255 -> 0: the bound itself
    assert scaling_problem(True, 0.0, 2)[0] == "input.scale"  # JSON true is no number
