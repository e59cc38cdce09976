"""The bundle's test set (test_set.npz): loaded without pickles and checked against the
manifest, since every accuracy a board reports is computed on it.

What a board relies on: uint8 images (n, H, W) of the manifest's input shape [H, W, 1], one
integer label per image, each a class of dataset.class_names, n as the manifest says. The
models take float32 = uint8 x input.scale, and every exporter here scaled by 1/255 (the uint8
range onto [0, 1]); another scale would feed a model inputs it was never trained on.
"""

import numpy as np

EXPECTED_SCALE = 1.0 / 255.0


class BadTestSet(ValueError):
    """The test set disagrees with the manifest; the message says how."""


def load_test_set(path):
    """(images, labels) of a test_set.npz; never unpickles (object arrays are refused)."""
    try:
        with np.load(str(path), allow_pickle=False) as data:
            if "images" not in data.files or "labels" not in data.files:
                raise BadTestSet("holds {}, not the arrays 'images' and 'labels'".format(
                    ", ".join(repr(name) for name in data.files) or "no arrays"))
            return data["images"], data["labels"]
    except BadTestSet:
        raise
    except (ValueError, OSError, EOFError) as exc:
        raise BadTestSet("not a readable .npz of arrays ({})".format(
            str(exc).splitlines()[0] if str(exc) else type(exc).__name__))


def check_scale(scale):
    """The manifest's input.scale must map the uint8 test images onto [0, 1]."""
    if abs(float(scale) - EXPECTED_SCALE) > 1e-9:
        raise BadTestSet("input.scale {!r} does not map the uint8 test images onto [0, 1] "
                             "as the models were trained (1/255 = {!r})".format(
                                 scale, EXPECTED_SCALE))


def check_test_set(images, labels, input_shape, n_expected, n_classes):
    """Raise BadTestSet when the arrays disagree with the manifest."""
    height, width = int(input_shape[0]), int(input_shape[1])
    if images.dtype != np.uint8 or images.ndim != 3:
        raise BadTestSet("images are {} of shape {}; a bundle's test set is uint8 "
                             "(n, H, W)".format(images.dtype, images.shape))
    if images.shape[1:] != (height, width):
        raise BadTestSet("images are {}x{}, the manifest's input.shape is {}".format(
            images.shape[1], images.shape[2], list(input_shape)))
    if labels.dtype.kind not in "iu" or labels.ndim != 1:
        raise BadTestSet("labels are {} of shape {}; expected whole numbers (n,)".format(
            labels.dtype, labels.shape))
    if labels.shape[0] != images.shape[0] or images.shape[0] != n_expected:
        raise BadTestSet("{} images and {} labels, the manifest's test_set.n is {}".format(
            images.shape[0], labels.shape[0], n_expected))
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise BadTestSet("labels run {}..{}, but dataset.class_names has {} classes".format(
            labels.min(), labels.max(), n_classes))
