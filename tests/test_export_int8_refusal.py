"""The INT8 exporter's refusal of dynamic-shape ops (SHAPE, STRIDED_SLICE, PACK keep a model off
the Edge TPU), with a Keras model that really makes TensorFlow's converter emit them: a dynamic
batch dimension in front of Flatten."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from fer_edge_search.export.base import ExportContext
from fer_edge_search.export.tflite_int8 import (
    MAX_CALIBRATION,
    TfliteInt8Exporter,
    convert_int8,
    refuse_dynamic_shape_ops,
    representative,
)
from fer_edge_search.export.tflite_ops import DYNAMIC_SHAPE_OPS, op_names


def small_cnn(batch_size: int | None):
    """Conv, Flatten, Dense on 8x8x1: with batch_size None the batch stays dynamic."""
    import keras

    inputs = keras.Input((8, 8, 1), batch_size=batch_size)
    x = keras.layers.Conv2D(2, 3, activation="relu")(inputs)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))


CALIBRATION = np.random.default_rng(0).random((16, 8, 8, 1), dtype=np.float32)


def context(tmp_path, model) -> ExportContext:
    return ExportContext(model_id="m1", model=model, model_b1=model, bundle_dir=tmp_path,
                         model_dir="m1", calibration=CALIBRATION)


def test_a_dynamic_batch_really_gives_the_dynamic_shape_ops():
    ops = op_names(convert_int8(small_cnn(None), CALIBRATION))
    assert set(DYNAMIC_SHAPE_OPS) <= set(ops)
    assert "SHAPE" not in op_names(convert_int8(small_cnn(1), CALIBRATION))


def test_an_export_holding_dynamic_shape_ops_is_refused_and_nothing_is_written(tmp_path):
    """Guards against switching the refusal off: a converted model holding SHAPE,
    STRIDED_SLICE or PACK would be written and bundled as the board's int8 artifact though
    the Edge TPU cannot run it."""
    with pytest.raises(ValueError) as refused:
        TfliteInt8Exporter().export(context(tmp_path, small_cnn(None)))
    assert str(refused.value) == ("int8 model holds PACK, SHAPE, STRIDED_SLICE (a dynamic "
                                  "shape): the Edge TPU cannot map them")
    assert list(tmp_path.rglob("*")) == []


def test_the_batch_1_model_is_exported_with_its_ops(tmp_path):
    made = TfliteInt8Exporter().export(context(tmp_path, small_cnn(1)))
    assert made.path == tmp_path / "m1" / "model_int8.tflite" and made.path.is_file()
    assert made.info == {"ops": op_names(made.path.read_bytes()),
                         "calibration_images": len(CALIBRATION),
                         "edgetpu_unmappable_ops": []}  # every op maps
    assert made.info["ops"] == ["CONV_2D", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"]


@pytest.mark.parametrize(("ops", "named"), [
    (["CONV_2D", "SHAPE", "RESHAPE"], "SHAPE"),
    (["STRIDED_SLICE"], "STRIDED_SLICE"),
    (["PACK", "FULLY_CONNECTED"], "PACK"),
])
def test_each_dynamic_shape_op_alone_is_refused_by_name(ops, named):
    with pytest.raises(ValueError, match=f"int8 model holds {named} "):
        refuse_dynamic_shape_ops(ops)


def test_the_ops_the_edge_tpu_maps_pass():
    refuse_dynamic_shape_ops(["CONV_2D", "MAX_POOL_2D", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"])


def test_no_calibration_images_is_refused(tmp_path):
    ctx = ExportContext(model_id="m1", model=None, model_b1=None, bundle_dir=tmp_path,
                        model_dir="m1", calibration=np.zeros((0, 8, 8, 1), np.float32))
    with pytest.raises(ValueError, match="no calibration images"):
        TfliteInt8Exporter().export(ctx)


def test_calibration_uses_at_most_200_images_one_at_a_time():
    images = np.random.default_rng(1).random((250, 8, 8, 1), dtype=np.float32)
    batches = list(representative(images))
    assert MAX_CALIBRATION == 200 and len(batches) == 200
    assert all(b[0].shape == (1, 8, 8, 1) and b[0].dtype == np.float32 for b in batches)
    assert np.array_equal(batches[-1][0][0], images[199])
    assert len(list(representative(images[:16]))) == 16
