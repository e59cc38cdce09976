"""The agreement check against literal numbers: top-1 agreement, max difference, tolerances
(and the size formatting of `bundle show`)."""

from __future__ import annotations

import numpy as np
import pytest

from fer_edge_search.export.check import compare

REFERENCE = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.5, 0.4, 0.1]],
                     dtype=np.float32)


def test_identical_outputs_agree_fully():
    record, problem = compare(REFERENCE, REFERENCE.copy(), "fp32")
    assert problem is None
    assert record == {"n": 4, "agreement": 1.0, "max_abs_diff": 0.0, "tied_top1": 0,
                      "tolerance": {"min_agreement": 0.99, "max_abs_diff": 1e-4}}


def test_fp32_difference_beyond_tolerance_is_a_problem():
    outputs = REFERENCE.copy()
    outputs[0, 1] += 3e-4  # same top-1 everywhere, but too far for fp32
    record, problem = compare(REFERENCE, outputs, "fp32")
    assert record["agreement"] == 1.0
    assert record["max_abs_diff"] == pytest.approx(3e-4, rel=1e-3)
    assert problem == "max abs difference 0.0003 > 0.0001"


def test_int8_counts_top1_flips_only():
    outputs = REFERENCE.copy()
    outputs[3] = [0.4, 0.5, 0.1]  # one of four flips: agreement 0.75 < 0.9
    record, problem = compare(REFERENCE, outputs, "int8")
    assert record["agreement"] == 0.75
    assert record["max_abs_diff"] == pytest.approx(0.1)
    assert problem == "top-1 agreement with Keras 0.7500 < 0.9"
    assert record["tolerance"] == {"min_agreement": 0.9, "max_abs_diff": None}


def test_int8_ties_are_counted_and_named():
    outputs = np.array([[0.5, 0.5, 0.0], [0.1, 0.8, 0.1], [0.4, 0.4, 0.2], [0.5, 0.4, 0.1]],
                       dtype=np.float32)  # rows 0 and 2 tie; row 2 then picks class 0, not 2
    record, problem = compare(REFERENCE, outputs, "int8")
    assert record["tied_top1"] == 2 and record["agreement"] == 0.75
    assert problem == "top-1 agreement with Keras 0.7500 < 0.9 (2 of 4 outputs tie for top-1)"


def test_fp16_has_no_difference_limit():
    outputs = REFERENCE + np.float32(0.05)
    record, problem = compare(REFERENCE, outputs, "fp16")
    assert problem is None and record["agreement"] == 1.0


def test_human_bytes():
    from fer_edge_search.export.show import human_bytes

    assert [human_bytes(n) for n in (None, 900, 1536, 3 * 1024**2)] == [
        "-", "900 B", "1.5 KiB", "3.0 MiB"]


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match="outputs of shape"):
        compare(REFERENCE, REFERENCE[:, :2], "fp32")
