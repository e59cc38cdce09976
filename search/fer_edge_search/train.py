"""Train one configuration: Adam, early stopping on validation accuracy, fixed seeds.

Returns the validation accuracy of the weights it keeps (percent), the epochs run, the training
time and the model. Images arrive as uint8 (N, H, W) and are scaled to float32 / 255 with a
channel axis, the same scaling the bundle manifest records for every runtime.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from fer_edge_search.model import build_model


@dataclass(frozen=True)
class TrainSettings:
    """Everything besides the configuration that decides a trained model; written to run.json
    so that a resumed or repeated search trains the same way.

    Defaults from learning curves on the synthetic set: with Adam's usual 1e-3 the 3- and
    4-block models (no batch norm) stayed at chance for 12 epochs, at 3e-4 they left chance
    after 4-7 epochs; so early stopping also ignores the first `min_epochs` epochs, or it would
    stop deep models on their opening plateau and bias the search towards shallow ones."""

    epochs: int
    batch_size: int = 32
    patience: int = 5
    learning_rate: float = 3e-4
    min_epochs: int = 3

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainResult:
    """One trained configuration."""

    model: Any
    val_accuracy: float  # percent, 0-100, of the kept (best) weights
    epochs_run: int
    train_seconds: float


def prepare_images(images: np.ndarray) -> np.ndarray:
    """uint8 (N, H, W) -> float32 (N, H, W, 1) in [0, 1]."""
    return (np.asarray(images, dtype=np.float32) / 255.0)[..., np.newaxis]


def fix_seeds(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow, and ask TensorFlow for deterministic kernels, so the
    same configuration and seed give the same weights (on the same machine and versions).
    NumPy takes seeds below 2**32 only; a trial's seed (search seed x 100003 + trial) passes
    that from `--seed 42950` on, so it is folded into that range (smaller seeds unchanged)
    rather than failing every trial."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(int(seed) % 2**32)
    tf.config.experimental.enable_op_determinism()


def accuracy_percent(model: Any, x: np.ndarray, y: np.ndarray, batch: int = 256) -> float:
    """Accuracy of `model` on prepared images x (percent). Direct calls, not predict(): no
    tracing or batch machinery for a few hundred images."""
    if len(y) == 0:
        return 0.0
    hits = 0
    for start in range(0, len(y), batch):
        probs = np.asarray(model(x[start:start + batch], training=False))
        hits += int(np.sum(np.argmax(probs, axis=1) == y[start:start + batch]))
    return 100.0 * hits / len(y)


def _batches(x: np.ndarray, y: np.ndarray, batch_size: int,
             shuffle_seed: int | None = None) -> Any:
    """A tf.data pipeline of (images, labels) batches, reshuffled each epoch when seeded.

    Built here rather than by Keras's array adapter, whose parallel map makes TensorFlow 2.21
    log an E0000 NodeDef error line at every fit (harmless, but it floods the demo's output).
    """
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle_seed is not None:
        data = data.shuffle(len(y), seed=shuffle_seed, reshuffle_each_iteration=True)
    return data.batch(batch_size)


def train_config(config: dict[str, Any], train: tuple[np.ndarray, np.ndarray],
                 val: tuple[np.ndarray, np.ndarray], settings: TrainSettings, *, seed: int = 0,
                 n_classes: int = 7) -> TrainResult:
    """Build and train `config` on (images, labels) pairs; early stopping watches validation
    accuracy and restores the best epoch's weights."""
    import keras

    fix_seeds(seed)
    x_train, y_train = prepare_images(train[0]), np.asarray(train[1], dtype=np.int64)
    x_val, y_val = prepare_images(val[0]), np.asarray(val[1], dtype=np.int64)
    model = build_model(config, input_shape=x_train.shape[1:], n_classes=n_classes)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=settings.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    stopper = keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max",
                                            patience=settings.patience,
                                            start_from_epoch=settings.min_epochs,
                                            restore_best_weights=True)
    start = time.perf_counter()
    history = model.fit(_batches(x_train, y_train, settings.batch_size, shuffle_seed=seed),
                        epochs=settings.epochs,
                        validation_data=_batches(x_val, y_val, settings.batch_size),
                        callbacks=[stopper], shuffle=False, verbose=0)  # _batches shuffles
    seconds = time.perf_counter() - start
    return TrainResult(model=model, val_accuracy=accuracy_percent(model, x_val, y_val),
                       epochs_run=len(history.history["loss"]), train_seconds=seconds)
