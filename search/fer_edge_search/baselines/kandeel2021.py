"""Kandeel et al. 2021's "simplified" VGG-like FER CNN, the paper's first Table 4 baseline.

Reference: A. Kandeel, M. Rahmanian, F. Zulkernine, H. M. Abbas, H. Hassanein, "Facial
expression recognition using a simplified convolutional neural network model", ICCSPA 2020
(published 2021), DOI 10.1109/ICCSPA49915.2021.9385739.

What is known, and from where:
- [edge] Mohammadi, Smith, Khan, Zand, "Facial Expression Recognition at the Edge: CPU vs GPU vs
  VPU vs TPU", section 4.4: the model is "a similar VGG-like architecture" (similar to the VGG
  family this project searches), and reaches 96.62 % in its own paper (97.46 % on the Coral Dev
  Board in theirs). Its Table 4 times it at 6.95 ms there, 17.82x the best searched model.
- [title] the reference's title: a *simplified* CNN.

What is CHOSEN here, because the reference's layer table was not available to this project
(IEEE Xplore only; no public copy or public re-implementation was found, 2026-11): every width
below. The form follows [edge]'s "similar VGG-like": the searched family's own layer pattern
(blocks of two 3x3 stride-1 'same' ReLU convolutions and a 2x2 max-pool, Flatten, two ReLU
fully connected layers each followed by dropout, softmax) at VGG's convention of doubling the
filters per block (Simonyan & Zisserman 2015, arXiv:1409.1556: 3x3 convolutions, 2x2 pooling,
widths doubling, dropout 0.5 in the classifier), from 32. Anyone holding the reference can
replace `BLOCK_FILTERS`, `FC_UNITS` and `DROPOUT` with its figures; the layer list that
`fer-edge bundle show` prints is built from them.

Layers at the default 48x48x1 input and 7 classes, as `fer-edge bundle show` prints them
(params = weights + biases):

    layer           settings                  output        params
    block1_conv1    3x3/1 same, 32, ReLU      48x48x32         320
    block1_conv2    3x3/1 same, 32, ReLU      48x48x32       9,248
    block1_pool     max 2x2/2 valid           24x24x32           0
    block2_conv1    3x3/1 same, 64, ReLU      24x24x64      18,496
    block2_conv2    3x3/1 same, 64, ReLU      24x24x64      36,928
    block2_pool     max 2x2/2 valid           12x12x64           0
    block3_conv1    3x3/1 same, 128, ReLU     12x12x128     73,856
    block3_conv2    3x3/1 same, 128, ReLU     12x12x128    147,584
    block3_pool     max 2x2/2 valid           6x6x128            0
    flatten                                   4608               0
    fc1             256, ReLU                 256        1,179,904
    dropout1        0.5                       256                0
    fc2             128, ReLU                 128           32,896
    dropout2        0.5                       128                0
    output          7, softmax                7                903
    total                                                1,500,135
"""

from __future__ import annotations

from typing import Any

NAME = "kandeel2021"
TITLE = "Kandeel et al. 2021, simplified VGG-like CNN"
REFERENCE = ("A. Kandeel, M. Rahmanian, F. Zulkernine, H. M. Abbas, H. Hassanein, Facial "
             "expression recognition using a simplified convolutional neural network model, "
             "ICCSPA 2020, doi:10.1109/ICCSPA49915.2021.9385739")

# CHOSEN (see the module docstring): filters per VGG block, fully connected widths, dropouts.
BLOCK_FILTERS = (32, 64, 128)
FC_UNITS = (256, 128)
DROPOUT = 0.5


def build_layers(inputs: Any, n_classes: int, kernel_initializer: str) -> Any:
    """The network on `inputs` (a Keras tensor of shape (H, W, 1)); returns its output."""
    from keras import layers

    conv = {"kernel_size": 3, "strides": 1, "padding": "same", "activation": "relu",
            "kernel_initializer": kernel_initializer}
    x = inputs
    for block, filters in enumerate(BLOCK_FILTERS, start=1):
        x = layers.Conv2D(filters, name=f"block{block}_conv1", **conv)(x)
        x = layers.Conv2D(filters, name=f"block{block}_conv2", **conv)(x)
        x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    for index, units in enumerate(FC_UNITS, start=1):
        x = layers.Dense(units, activation="relu", kernel_initializer=kernel_initializer,
                         name=f"fc{index}")(x)
        x = layers.Dropout(DROPOUT, name=f"dropout{index}")(x)
    return layers.Dense(n_classes, activation="softmax", name="output")(x)
