"""A trained model's layer list as the manifest records it and `fer-edge bundle show` prints it:
one row per layer (name, type, settings, output shape, params), read from the Keras model
itself, so what the bundle says is what was built and exported.

A Concatenate layer and the layers named after it (`inception_3a_1x1`, ... for
`inception_3a`) form one row, as the architecture's docstring lists an Inception layer: its
branches as `1x1 64 | 1x1 96 > 3x3 128 | ...`, its params their sum.
"""

from __future__ import annotations

from typing import Any

from fer_edge_harness.manifest_schema import layer_record


def _size(pair: Any) -> str:
    """(3, 3) -> '3x3'."""
    return "x".join(str(int(v)) for v in pair)


def _activation(layer: Any) -> str:
    name = getattr(getattr(layer, "activation", None), "__name__", "linear")
    return "" if name == "linear" else {"relu": "ReLU"}.get(name, name)


def settings(layer: Any) -> str:
    """What a layer does in a few characters, e.g. '3x3/1 same, 32, ReLU' or 'max 2x2/2'."""
    kind = type(layer).__name__
    if kind == "Conv2D":
        parts = [f"{_size(layer.kernel_size)}/{layer.strides[0]} {layer.padding}",
                 str(layer.filters), _activation(layer)]
    elif kind in ("MaxPooling2D", "AveragePooling2D"):
        parts = [f"{'max' if kind.startswith('Max') else 'avg'} {_size(layer.pool_size)}/"
                 f"{layer.strides[0]} {layer.padding}"]
    elif kind == "Dense":
        parts = [str(layer.units), _activation(layer)]
    elif kind == "Dropout":
        parts = [f"{layer.rate:g}"]
    else:
        parts = []
    return ", ".join(p for p in parts if p)


def _branch_step(layer: Any) -> str:
    """One layer of an Inception branch: '3x3 128' or 'max 3x3/1'."""
    if type(layer).__name__ == "Conv2D":
        return f"{_size(layer.kernel_size)} {layer.filters}"
    return settings(layer).split(" same")[0].split(" valid")[0]


def _producer(tensor: Any) -> Any:
    """The layer whose output `tensor` is (Keras 3 records it in `_keras_history`)."""
    return tensor._keras_history[0]


def _branches(concat: Any) -> str:
    """'1x1 64 | 1x1 96 > 3x3 128 | ...': each input of `concat`, traced back to where its
    branch leaves the group."""
    prefix = concat.name + "_"
    branches = []
    for tensor in concat.input:
        steps, layer = [], _producer(tensor)
        while layer.name.startswith(prefix):
            steps.append(_branch_step(layer))
            layer = _producer(layer.input)
        branches.append(" > ".join(reversed(steps)))
    return " | ".join(branches)


def _shape(layer: Any) -> list[int]:
    return [int(d) for d in layer.output.shape[1:]]


def describe_layers(model: Any) -> list[dict[str, Any]]:
    """The rows, in the model's layer order (an Inception group at its Concatenate)."""
    concats = [layer for layer in model.layers if type(layer).__name__ == "Concatenate"]
    group_of = {layer.name: c.name for c in concats for layer in model.layers
                if layer.name.startswith(c.name + "_")}
    members: dict[str, int] = {}
    for layer in model.layers:
        if layer.name in group_of:
            members[group_of[layer.name]] = (members.get(group_of[layer.name], 0)
                                             + int(layer.count_params()))
    rows = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer" or layer.name in group_of:
            continue
        if kind == "Concatenate":
            rows.append(layer_record(layer.name, "Inception", _branches(layer), _shape(layer),
                                     members.get(layer.name, 0)))
            continue
        rows.append(layer_record(layer.name, kind, settings(layer), _shape(layer),
                                 int(layer.count_params())))
    return rows
