"""The training batches: a seeded tf.data pipeline with light face-suited augmentation.

Augmentation is what a face crop varies by and what keeps its label: a shift of a few pixels
(the crop is not perfectly centred) and a horizontal flip (a face mirrored shows the same
expression). Every random draw is stateless and keyed by a seed stream that
`Dataset.random` re-draws each epoch, so the same seed gives the same batches, epoch after epoch.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _augmenter(shift_px: int, flip: bool) -> Any:
    """A map function (image, label, seed[2]) -> (image, label) for one HxWx1 image."""
    import tensorflow as tf

    def augment(image: Any, label: Any, seed: Any) -> tuple[Any, Any]:
        flip_seed, shift_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
        if flip:
            image = tf.image.stateless_random_flip_left_right(image, flip_seed)
        if shift_px:
            # Mirror the edge into the margin rather than pad a constant frame the test
            # images never show.
            pad = [[shift_px, shift_px], [shift_px, shift_px], [0, 0]]
            padded = tf.pad(image, pad, mode="SYMMETRIC")
            image = tf.image.stateless_random_crop(padded, tf.shape(image), shift_seed)
        return image, label

    return augment


def training_batches(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, *,
                     shift_px: int = 0, flip: bool = False) -> Any:
    """Shuffled (and, when asked, augmented) batches, reshuffled and redrawn each epoch.

    Built here rather than by Keras's array adapter, whose parallel map makes TensorFlow 2.21
    log an E0000 NodeDef error line at every fit (harmless, but it floods the demo's output).
    """
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((x, y))
    data = data.shuffle(len(y), seed=seed, reshuffle_each_iteration=True)
    if shift_px or flip:
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        data = tf.data.Dataset.zip((data, seeds)).map(
            lambda pair, s: _augmenter(shift_px, flip)(pair[0], pair[1], s))
    return data.batch(batch_size).prefetch(1)


def evaluation_batches(x: np.ndarray, y: np.ndarray, batch_size: int) -> Any:
    """The images as they are, in order, batched."""
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)
