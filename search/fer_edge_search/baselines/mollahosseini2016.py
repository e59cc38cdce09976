"""Mollahosseini et al. 2016's Inception-based FER network, the paper's second Table 4 baseline,
on one grayscale channel.

Reference: A. Mollahosseini, D. Chan, M. H. Mahoor, "Going deeper in facial expression
recognition using deep neural networks", WACV 2016, DOI 10.1109/WACV.2016.7477450,
arXiv:1511.04110.

What is known, and from where:
- [abstract] arXiv:1511.04110's abstract (https://arxiv.org/abs/1511.04110): "two convolutional
  layers each followed by max pooling and then four Inception layers"; registered face images
  in; six basic expressions or neutral out (7 classes).
- [edge] Mohammadi, Smith, Khan, Zand, "Facial Expression Recognition at the Edge: CPU vs GPU vs
  VPU vs TPU", section 4.4: implemented "as described by Mollahosseini et al." with the three
  colour channels removed (grayscale only); run int8 on the Coral Dev Board (Table 4: 95.93 %,
  0.65 ms, 0.67 W).
- [GoogLeNet] the Inception layer and the stem's sizes are GoogLeNet's (Szegedy et al., "Going
  deeper with convolutions", arXiv:1409.4842, Table 1): conv 7x7/2 64; max-pool 3x3/2; conv
  1x1 64 then 3x3/1 192; max-pool 3x3/2; Inception 3a (1x1 64 | 1x1 96 > 3x3 128 | 1x1 16 >
  5x5 32 | max-pool 3x3/1 > 1x1 32), 3b (128 | 128 > 192 | 32 > 96 | 64), max-pool 3x3/2,
  4a (192 | 96 > 208 | 16 > 48 | 64), 4b (160 | 112 > 224 | 24 > 64 | 64); average pool over
  the map; ReLU after every convolution; branches concatenated on channels.
- [recalled] The reference's section 3 and Table 1, as its text was remembered by the author of
  this module (the full text was not reachable from this project's machines, 2026-11; check
  against the PDF): the four Inception layers come as two Inception modules of two, with a
  max-pool between them; 48x48 input; two ReLU fully connected layers, 4096 and 1024 wide,
  classify.

What is CHOSEN here, because neither source available said it:
- The widths of the four Inception layers: GoogLeNet's 3a, 3b, 4a and 4b (their outputs, 256,
  480, 512 and 512 channels, are GoogLeNet's); the stem is GoogLeNet's.
- No local response normalisation (GoogLeNet has it after pool1 and conv2): Keras 3 has no such
  layer, and the Edge TPU compiler cannot map LOCAL_RESPONSE_NORMALIZATION (Coral's list of
  supported operations, https://coral.ai/docs/edgetpu/models-intro/#supported-operations), which
  [edge] ran the model on.
- 'same' padding everywhere (sizes halve at each stride 2), the average pool covering the whole
  last map (GoogLeNet's "avg pool 7x7/1" on its 7x7 map), no dropout.

Layers at the default 48x48x1 input and 7 classes, as `fer-edge bundle show` prints them
(params = weights + biases; an Inception layer's settings are its four branches, its params
the sum of its six convolutions, its output their concatenation):

    layer           settings                                        output      params
    conv1           7x7/2 same, 64, ReLU                            24x24x64      3,200
    pool1           max 3x3/2 same                                  12x12x64          0
    conv2_reduce    1x1/1 same, 64, ReLU                            12x12x64      4,160
    conv2           3x3/1 same, 192, ReLU                           12x12x192   110,784
    pool2           max 3x3/2 same                                  6x6x192           0
    inception_3a    1x1 64 | 1x1 96 > 3x3 128 | 1x1 16 > 5x5 32 |
                    max 3x3/1 > 1x1 32                              6x6x256     163,696
    inception_3b    1x1 128 | 1x1 128 > 3x3 192 | 1x1 32 > 5x5 96 |
                    max 3x3/1 > 1x1 64                              6x6x480     388,736
    pool3           max 3x3/2 same                                  3x3x480           0
    inception_4a    1x1 192 | 1x1 96 > 3x3 208 | 1x1 16 > 5x5 48 |
                    max 3x3/1 > 1x1 64                              3x3x512     376,176
    inception_4b    1x1 160 | 1x1 112 > 3x3 224 | 1x1 24 > 5x5 64 |
                    max 3x3/1 > 1x1 64                              3x3x512     449,160
    avg_pool        avg 3x3/3 valid                                 1x1x512           0
    flatten                                                         512               0
    fc1             4096, ReLU                                      4096      2,101,248
    fc2             1024, ReLU                                      1024      4,195,328
    output          7, softmax                                      7             7,175
    total                                                                     7,799,663
"""

from __future__ import annotations

from typing import Any, NamedTuple

NAME = "mollahosseini2016"
TITLE = "Mollahosseini et al. 2016, Inception-based CNN (grayscale)"
REFERENCE = ("A. Mollahosseini, D. Chan, M. H. Mahoor, Going deeper in facial expression "
             "recognition using deep neural networks, WACV 2016, doi:10.1109/WACV.2016.7477450, "
             "arXiv:1511.04110")


class InceptionWidths(NamedTuple):
    """Filters of one Inception layer's branches (GoogLeNet's Table 1 columns)."""

    n1x1: int
    reduce3x3: int
    n3x3: int
    reduce5x5: int
    n5x5: int
    pool_proj: int


# [GoogLeNet] Table 1; which four of its modules, CHOSEN (module docstring).
INCEPTION = {
    "3a": InceptionWidths(64, 96, 128, 16, 32, 32),
    "3b": InceptionWidths(128, 128, 192, 32, 96, 64),
    "4a": InceptionWidths(192, 96, 208, 16, 48, 64),
    "4b": InceptionWidths(160, 112, 224, 24, 64, 64),
}
# [recalled] the two ReLU fully connected layers of the classifier.
FC_UNITS = (4096, 1024)


def _conv(x: Any, filters: int, size: int, name: str, init: str, strides: int = 1) -> Any:
    from keras import layers

    return layers.Conv2D(filters, size, strides=strides, padding="same", activation="relu",
                         kernel_initializer=init, name=name)(x)


def inception(x: Any, widths: InceptionWidths, name: str, init: str) -> Any:
    """One Inception layer: four parallel branches concatenated on the channel axis."""
    from keras import layers

    branch1 = _conv(x, widths.n1x1, 1, f"{name}_1x1", init)
    branch3 = _conv(_conv(x, widths.reduce3x3, 1, f"{name}_3x3_reduce", init),
                    widths.n3x3, 3, f"{name}_3x3", init)
    branch5 = _conv(_conv(x, widths.reduce5x5, 1, f"{name}_5x5_reduce", init),
                    widths.n5x5, 5, f"{name}_5x5", init)
    pooled = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    branch_pool = _conv(pooled, widths.pool_proj, 1, f"{name}_pool_proj", init)
    return layers.Concatenate(axis=-1, name=name)([branch1, branch3, branch5, branch_pool])


def build_layers(inputs: Any, n_classes: int, kernel_initializer: str) -> Any:
    """The network on `inputs` (a Keras tensor of shape (H, W, 1)); returns its output."""
    from keras import layers

    init = kernel_initializer
    # [abstract] two convolutional layers, each followed by max pooling; sizes [GoogLeNet].
    x = _conv(inputs, 64, 7, "conv1", init, strides=2)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    x = _conv(x, 64, 1, "conv2_reduce", init)
    x = _conv(x, 192, 3, "conv2", init)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool2")(x)
    # [abstract] four Inception layers; [recalled] as two modules of two, a max-pool between.
    x = inception(x, INCEPTION["3a"], "inception_3a", init)
    x = inception(x, INCEPTION["3b"], "inception_3b", init)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool3")(x)
    x = inception(x, INCEPTION["4a"], "inception_4a", init)
    x = inception(x, INCEPTION["4b"], "inception_4b", init)
    # CHOSEN: GoogLeNet's average pool over the whole map; a fixed pool size keeps the int8
    # graph to AVERAGE_POOL_2D and RESHAPE (no MEAN), both mapped by the Edge TPU.
    x = layers.AveragePooling2D(pool_size=tuple(x.shape[1:3]), name="avg_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    for index, units in enumerate(FC_UNITS, start=1):
        x = layers.Dense(units, activation="relu", kernel_initializer=init,
                         name=f"fc{index}")(x)
    return layers.Dense(n_classes, activation="softmax", name="output")(x)
