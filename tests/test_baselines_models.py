"""The Table 4 baselines: layer by layer as their modules' docstrings list them (parameters
counted by hand here), any input size and class count, and built through build_model."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from fer_edge_search.baselines import (
    BASELINES,
    baseline_config,
    baseline_name,
    build_baseline,
    kandeel2021,
    mollahosseini2016,
)
from fer_edge_search.baselines.layers import describe_layers
from fer_edge_search.model import build_model, count_params_flops, rebuild_with_batch


def conv(k: int, c_in: int, c_out: int) -> int:
    return k * k * c_in * c_out + c_out


def dense(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


def inception(c_in: int, n1: int, r3: int, n3: int, r5: int, n5: int, proj: int) -> int:
    """GoogLeNet's Inception layer: 1x1 | 1x1 > 3x3 | 1x1 > 5x5 | pool > 1x1."""
    return (conv(1, c_in, n1) + conv(1, c_in, r3) + conv(3, r3, n3) + conv(1, c_in, r5)
            + conv(5, r5, n5) + conv(1, c_in, proj))


# Hand counts at 48x48x1 and 7 classes: (layer, output shape, params).
KANDEEL = [
    ("block1_conv1", [48, 48, 32], conv(3, 1, 32)), ("block1_conv2", [48, 48, 32], conv(3, 32, 32)),
    ("block1_pool", [24, 24, 32], 0),
    ("block2_conv1", [24, 24, 64], conv(3, 32, 64)),
    ("block2_conv2", [24, 24, 64], conv(3, 64, 64)),
    ("block2_pool", [12, 12, 64], 0),
    ("block3_conv1", [12, 12, 128], conv(3, 64, 128)),
    ("block3_conv2", [12, 12, 128], conv(3, 128, 128)), ("block3_pool", [6, 6, 128], 0),
    ("flatten", [4608], 0), ("fc1", [256], dense(4608, 256)), ("dropout1", [256], 0),
    ("fc2", [128], dense(256, 128)), ("dropout2", [128], 0), ("output", [7], dense(128, 7)),
]
MOLLAHOSSEINI = [
    ("conv1", [24, 24, 64], conv(7, 1, 64)), ("pool1", [12, 12, 64], 0),
    ("conv2_reduce", [12, 12, 64], conv(1, 64, 64)), ("conv2", [12, 12, 192], conv(3, 64, 192)),
    ("pool2", [6, 6, 192], 0),
    ("inception_3a", [6, 6, 256], inception(192, 64, 96, 128, 16, 32, 32)),
    ("inception_3b", [6, 6, 480], inception(256, 128, 128, 192, 32, 96, 64)),
    ("pool3", [3, 3, 480], 0),
    ("inception_4a", [3, 3, 512], inception(480, 192, 96, 208, 16, 48, 64)),
    ("inception_4b", [3, 3, 512], inception(512, 160, 112, 224, 24, 64, 64)),
    ("avg_pool", [1, 1, 512], 0), ("flatten", [512], 0),
    ("fc1", [4096], dense(512, 4096)), ("fc2", [1024], dense(4096, 1024)),
    ("output", [7], dense(1024, 7)),
]


@pytest.mark.parametrize(("name", "expected", "total"), [
    ("kandeel2021", KANDEEL, 1_500_135), ("mollahosseini2016", MOLLAHOSSEINI, 7_799_663)])
def test_layers_and_parameters_match_the_hand_count(name, expected, total):
    model = build_model(baseline_config(name))
    rows = describe_layers(model)
    assert [(r["name"], r["output"], r["params"]) for r in rows] == expected
    assert sum(p for _, _, p in expected) == total == model.count_params()
    assert model.input_shape == (None, 48, 48, 1) and model.output_shape == (None, 7)


@pytest.mark.parametrize("module", [kandeel2021, mollahosseini2016])
def test_the_docstring_lists_exactly_the_layers_built(module):
    """The layer table in the module's docstring is what describe_layers (and so `fer-edge
    bundle show`) reports: names, settings, outputs and params, row for row, and the total."""
    docstring = " ".join(module.__doc__.split())
    model = build_model(baseline_config(module.NAME))
    rows = describe_layers(model)
    for row in rows:
        cells = [row["name"], row["settings"], "x".join(map(str, row["output"])),
                 f"{row['params']:,}"]
        assert " ".join(c for c in cells if c) in docstring, row
    assert f"total {model.count_params():,}" in docstring
    listed = re.findall(r"^ {4}(\w+) ", module.__doc__, flags=re.MULTILINE)
    assert [n for n in listed if n != "layer" and n != "total"] == [r["name"] for r in rows]


def test_inception_layers_are_googlenets_and_concatenate_four_branches():
    model = build_model(baseline_config("mollahosseini2016"))
    rows = {r["name"]: r for r in describe_layers(model)}
    assert rows["inception_3a"]["settings"] == \
        "1x1 64 | 1x1 96 > 3x3 128 | 1x1 16 > 5x5 32 | max 3x3/1 > 1x1 32"
    concat = model.get_layer("inception_4b")
    assert type(concat).__name__ == "Concatenate" and len(concat.input) == 4
    assert [t.shape[-1] for t in concat.input] == [160, 224, 64, 64]
    assert model.get_layer("conv1").strides == (2, 2)
    assert model.get_layer("conv1").kernel_size == (7, 7)
    assert model.get_layer("conv1").input.shape[-1] == 1  # grayscale, not three channels


@pytest.mark.parametrize("name", list(BASELINES))
def test_any_input_size_and_class_count(name):
    model = build_model(baseline_config(name), input_shape=(40, 32, 1), n_classes=5)
    assert model.input_shape == (None, 40, 32, 1) and model.output_shape == (None, 5)
    out = np.asarray(model(np.zeros((2, 40, 32, 1), np.float32)))
    assert out.shape == (2, 5) and np.allclose(out.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", list(BASELINES))
def test_rebuild_on_a_static_batch_keeps_the_weights(name):
    config = baseline_config(name)
    model = build_model(config)
    fixed = rebuild_with_batch(model, config, batch_size=1)
    assert fixed.input_shape == (1, 48, 48, 1)
    x = np.random.default_rng(0).random((1, 48, 48, 1), dtype=np.float32)
    np.testing.assert_allclose(np.asarray(fixed(x)), np.asarray(model(x)), atol=1e-6)


def test_configs_name_the_paper_references_and_unknown_names_are_refused():
    config = baseline_config("mollahosseini2016")
    assert baseline_name(config) == "mollahosseini2016"
    assert "WACV.2016.7477450" in config["baseline"]["reference"]
    assert "ICCSPA49915.2021.9385739" in baseline_config("kandeel2021")["baseline"]["reference"]
    assert baseline_name({"baseline": {"name": "resnet50"}}) is None
    assert baseline_name({"external": {"source": "x.keras"}}) is None
    with pytest.raises(ValueError, match="not a built-in baseline"):
        build_baseline({"baseline": {"name": "resnet50"}})


def test_flops_follow_the_layer_shapes():
    _, flops = count_params_flops(build_model(baseline_config("kandeel2021")))
    convs = 2 * (48 * 48 * (9 * 32 + 9 * 32 * 32) + 24 * 24 * (9 * 32 * 64 + 9 * 64 * 64)
                 + 12 * 12 * (9 * 64 * 128 + 9 * 128 * 128))
    assert flops == convs + 2 * (4608 * 256 + 256 * 128 + 128 * 7)
