"""Build the paper's VGG-like CNN from a configuration, and count its parameters and FLOPs.

Architecture (paper, section 2 and Fig. 2): `blocks` VGG blocks, each two 3x3 stride-1 'same'
convolutions with ReLU and a 2x2 max-pool; then Flatten, Dense fc1 ReLU, Dropout1, Dense fc2 ReLU,
Dropout2, Dense n_classes softmax. Input float32 (H, W, 1), the uint8 image through the run's
InputScaling (fer_edge_harness.inputs).
Layer names are fixed so a model rebuilt on a static batch takes the same weights.
"""

from __future__ import annotations

from typing import Any

CONFIG_KEYS = ("blocks", "kernels", "fc1", "fc2", "dropout1", "dropout2")


def check_config(config: dict[str, Any]) -> None:
    """Raise ValueError for a configuration build_model cannot honour (a programming error or a
    damaged file: spaces and manifests are checked where they are read)."""
    missing = [k for k in CONFIG_KEYS if k not in config]
    if missing:
        raise ValueError(f"model config lacks {missing}: {config}")
    if len(config["kernels"]) != config["blocks"]:
        raise ValueError(f"model config has {config['blocks']} blocks but kernels "
                         f"{config['kernels']}")
    if not all(0 <= config[k] < 1 for k in ("dropout1", "dropout2")):
        raise ValueError(f"model config dropouts outside [0, 1): {config}")


def build_model(config: dict[str, Any], input_shape: tuple[int, ...] = (48, 48, 1),
                n_classes: int = 7, batch_size: int | None = None,
                kernel_initializer: str = "glorot_uniform") -> Any:
    """A fresh, uncompiled keras.Model for `config`. `batch_size=1` gives the static batch that
    exporters need (a dynamic batch turns Flatten into ops the Edge TPU cannot run; docs/runtimes.md
    pitfall 2).
    `kernel_initializer` (of the ReLU layers; the softmax layer keeps Glorot's) only decides the
    fresh weights, not the architecture: training picks He's, Keras's default is Glorot's."""
    import keras
    from keras import layers

    from fer_edge_search.baselines import baseline_name, build_baseline

    if baseline_name(config) is not None:  # a published architecture (Table 4), by name
        return build_baseline(config, input_shape, n_classes, batch_size)
    check_config(config)
    inputs = keras.Input(shape=tuple(input_shape), batch_size=batch_size, name="image")
    x = inputs
    for b, filters in enumerate(config["kernels"], start=1):
        for c in (1, 2):
            x = layers.Conv2D(int(filters), 3, strides=1, padding="same", activation="relu",
                              kernel_initializer=kernel_initializer,
                              name=f"block{b}_conv{c}")(x)
        x = layers.MaxPooling2D(2, name=f"block{b}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(int(config["fc1"]), activation="relu",
                     kernel_initializer=kernel_initializer, name="fc1")(x)
    x = layers.Dropout(float(config["dropout1"]), name="dropout1")(x)
    x = layers.Dense(int(config["fc2"]), activation="relu",
                     kernel_initializer=kernel_initializer, name="fc2")(x)
    x = layers.Dropout(float(config["dropout2"]), name="dropout2")(x)
    outputs = layers.Dense(int(n_classes), activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="fer_vgg")


def rebuild_with_batch(model: Any, config: dict[str, Any], batch_size: int | None) -> Any:
    """The same architecture on `keras.Input(shape, batch_size=batch_size)` holding `model`'s
    weights, uncompiled (so saving it carries no optimizer state)."""
    rebuilt = build_model(config, input_shape=tuple(model.input_shape[1:]),
                          n_classes=int(model.output_shape[-1]), batch_size=batch_size)
    rebuilt.set_weights(model.get_weights())
    return rebuilt


def count_params_flops(model: Any) -> tuple[int, int]:
    """(parameters, FLOPs of one image's forward pass).

    FLOP convention: 2 x multiply-accumulates of the convolutions and dense layers (one multiply
    and one add each), the usual convention of the CNN literature; biases, ReLU, pooling and
    softmax are not counted (under 1% here). Counted from the layer shapes, not measured."""
    from keras import layers

    flops = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            kh, kw = layer.kernel_size
            c_in = layer.input.shape[-1]
            flops += 2 * h * w * c_out * kh * kw * c_in
        elif isinstance(layer, layers.Dense):
            flops += 2 * layer.input.shape[-1] * layer.units
    return int(model.count_params()), int(flops)
