"""TFLite helpers the two TFLite exporters share: a quiet converter run and the op list."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from collections.abc import Iterator
from typing import Any

# Ops the Edge TPU cannot map: present when a batch dimension stays dynamic
# (docs/runtimes.md, pitfall 2).
DYNAMIC_SHAPE_OPS = ("SHAPE", "STRIDED_SLICE", "PACK")

# The TFLite builtin ops the Edge TPU compiler can map (each with conditions, e.g. no fused
# activation on CONCATENATION and the pools), from Coral's list of supported operations:
# https://coral.ai/docs/edgetpu/models-intro/#supported-operations. The compiler maps a graph up
# to its first op outside this list and leaves the rest to the CPU.
EDGETPU_OPS = frozenset({
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEQUANTIZE",
    "EXPAND_DIMS", "FULLY_CONNECTED", "L2_NORMALIZATION", "LOGISTIC", "LSTM", "MAXIMUM",
    "MAX_POOL_2D", "MEAN", "MINIMUM", "MUL", "PACK", "PAD", "PRELU", "QUANTIZE", "REDUCE_MAX",
    "REDUCE_MIN", "RELU", "RELU6", "RELU_N1_TO_1", "RESHAPE", "RESIZE_BILINEAR",
    "RESIZE_NEAREST_NEIGHBOR", "RSQRT", "SLICE", "SOFTMAX", "SPACE_TO_DEPTH", "SPLIT", "SQUEEZE",
    "STRIDED_SLICE", "SUB", "SUM", "SQUARED_DIFFERENCE", "TANH", "TRANSPOSE", "TRANSPOSE_CONV",
})


def edgetpu_unmappable(ops: list[str]) -> list[str]:
    """The ops of a full-integer model the Edge TPU cannot run (sorted, once each)."""
    return sorted(set(ops) - EDGETPU_OPS)


@contextlib.contextmanager
def _stdout_to_devnull() -> Iterator[None]:
    """Silence file descriptor 1 too: the converter's C++ side prints its settings there."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            with contextlib.redirect_stdout(io.StringIO()):
                yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def convert_quietly(converter: Any) -> bytes:
    """Run a TFLiteConverter without its noise: the SavedModel export prints the whole
    signature, the quantizer its settings and a warning about unset input statistics."""
    with _stdout_to_devnull(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
        return converter.convert()


def op_names(flatbuffer: bytes) -> list[str]:
    """The builtin op names of a TFLite model, in graph order (what the Edge TPU compiler sees)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=flatbuffer)
    return [str(op["op_name"]) for op in interpreter._get_ops_details()]
