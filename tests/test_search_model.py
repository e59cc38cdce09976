"""Model builder: the paper's VGG-like layout, parameter and FLOP counts, static-batch rebuild."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from fer_edge_search.model import build_model, count_params_flops, rebuild_with_batch

# The reference model of docs/runtimes.md ("K=[16,32], FC 115/85, 557k params, 28 MFLOP").
REFERENCE = {"blocks": 2, "kernels": [16, 32], "fc1": 115, "fc2": 85,
             "dropout1": 0.1, "dropout2": 0.17}


def test_reference_config_params_and_flops_match_hand_count():
    model = build_model(REFERENCE)
    # params: convs 160 + 2320 + 4640 + 9248; dense 4608*115+115, 115*85+85, 85*7+7
    # flops (2 x MACs): convs 663552 + 10616832 + 5308416 + 10616832; dense 2*(529920+9775+595)
    assert count_params_flops(model) == (556_865, 28_286_212)


def test_layers_follow_the_vgg_block_layout():
    config = {"blocks": 3, "kernels": [12, 22, 48], "fc1": 100, "fc2": 85,
              "dropout1": 0.12, "dropout2": 0.15}
    model = build_model(config)
    kinds = [type(layer).__name__ for layer in model.layers[1:]]
    assert kinds == ["Conv2D", "Conv2D", "MaxPooling2D"] * 3 + [
        "Flatten", "Dense", "Dropout", "Dense", "Dropout", "Dense"]
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    assert [c.filters for c in convs] == [12, 12, 22, 22, 48, 48]
    assert all(c.kernel_size == (3, 3) and c.strides == (1, 1) and c.padding == "same"
               for c in convs)
    assert model.get_layer("flatten").output.shape[-1] == 6 * 6 * 48  # 48 -> 24 -> 12 -> 6
    assert model.get_layer("dropout1").rate == pytest.approx(0.12)
    assert model.get_layer("dropout2").rate == pytest.approx(0.15)
    assert model.input_shape == (None, 48, 48, 1) and model.output_shape == (None, 7)
    probs = np.asarray(model(np.zeros((2, 48, 48, 1), np.float32)))
    assert probs.shape == (2, 7) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_rebuild_with_static_batch_keeps_weights_and_outputs():
    model = build_model(REFERENCE)
    fixed = rebuild_with_batch(model, REFERENCE, batch_size=1)
    assert fixed.input_shape == (1, 48, 48, 1)
    x = np.random.default_rng(0).random((1, 48, 48, 1), dtype=np.float32)
    np.testing.assert_allclose(np.asarray(fixed(x)), np.asarray(model(x)), rtol=1e-6)
    assert count_params_flops(fixed) == count_params_flops(model)


def test_other_input_sizes_and_class_counts():
    model = build_model({**REFERENCE, "kernels": [4, 8], "fc1": 10, "fc2": 6},
                        input_shape=(32, 32, 1), n_classes=3)
    assert model.output_shape == (None, 3)
    # convs 2*32*32*4*9 + 2*32*32*4*36 + 2*16*16*8*36 + 2*16*16*8*72; dense 2*(512*10+60+18)
    assert count_params_flops(model)[1] == 73_728 + 294_912 + 147_456 + 294_912 + 10_396


def test_inconsistent_config_is_refused():
    with pytest.raises(ValueError, match="3 blocks but kernels"):
        build_model({**REFERENCE, "blocks": 3})
    with pytest.raises(ValueError, match="lacks"):
        build_model({"blocks": 2, "kernels": [4, 4]})
