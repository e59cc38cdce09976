"""Train one configuration with the stage-1 recipe; fixed seeds.

The recipe exists because the paper's architectures have no batch normalisation: with Keras's
defaults (Glorot initialisation, inputs in [0, 1], a constant learning rate) deep members of the
space sat at chance for many epochs and the search ranked luck. Each part of `TrainSettings`
is measured against its absence in the README's ablation table (benchmarks/recipe_ablation.py).

Returns the validation accuracy of the weights it keeps (percent), the epochs run, the training
time and the model. Images arrive as uint8 (N, H, W) and become float inputs through the run's
InputScaling, the one the bundle manifest records for every runtime.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from fer_edge_harness.inputs import InputScaling
from fer_edge_search.augment import evaluation_batches, training_batches
from fer_edge_search.model import build_model


@dataclass(frozen=True)
class TrainSettings:
    """Everything besides the configuration that decides a trained model; written to run.json
    so that a resumed or repeated search trains the same way.

    - `init`: the conv and dense kernels' initialiser; He's keeps a ReLU stack's activations
      from shrinking layer by layer, which Glorot's does without batch norm.
    - `standardize`: inputs of mean 0 and deviation 1 over the training pixels, recorded in the
      manifest; off means uint8 / 255.
    - `learning_rate` (peak) after `warmup_epochs` of linear warm-up, then cosine decay to 0
      at `epochs` (`schedule="constant"`: no warm-up, no decay).
    - `shift_px`, `flip`: augmentation (random shift by up to that many pixels, mirror).
    - Early stopping on validation accuracy after `patience` epochs without a gain, counted
      only from `min_epochs` on, so slow starters are not cut on their opening plateau.
    """

    epochs: int
    batch_size: int = 32
    learning_rate: float = 2e-3
    warmup_epochs: int = 2
    schedule: str = "cosine"
    init: str = "he_uniform"
    standardize: bool = True
    shift_px: int = 2
    flip: bool = False
    patience: int = 5
    min_epochs: int = 5

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainResult:
    """One trained configuration."""

    model: Any
    val_accuracy: float  # percent, 0-100, of the kept (best) weights
    epochs_run: int
    train_seconds: float
    history: dict[str, list[float]] = field(default_factory=dict)
    """Keras's per-epoch metrics (loss, accuracy, val_loss, val_accuracy)."""


def input_scaling(train_images: np.ndarray, settings: TrainSettings) -> InputScaling:
    """The scaling a run trains with (and its bundle records)."""
    return InputScaling.standardizing(train_images) if settings.standardize else InputScaling()


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


def learning_rate(settings: TrainSettings, n_train: int) -> Any:
    """A float (constant) or Keras's CosineDecay with linear warm-up, stepped per batch."""
    import keras

    if settings.schedule == "constant":
        return settings.learning_rate
    if settings.schedule != "cosine":
        raise ValueError(f"unknown learning-rate schedule {settings.schedule!r}")
    steps_per_epoch = max(1, math.ceil(n_train / settings.batch_size))
    warmup = min(settings.warmup_epochs, settings.epochs - 1) * steps_per_epoch
    total = settings.epochs * steps_per_epoch
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=settings.learning_rate / 10 if warmup else settings.learning_rate,
        decay_steps=max(1, total - warmup), alpha=0.0,
        warmup_target=settings.learning_rate if warmup else None, warmup_steps=warmup)


def _stopper(settings: TrainSettings) -> Any:
    import keras

    return keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max",
                                         patience=settings.patience,
                                         start_from_epoch=settings.min_epochs,
                                         restore_best_weights=True)


def train_config(config: dict[str, Any], train: tuple[np.ndarray, np.ndarray],
                 val: tuple[np.ndarray, np.ndarray], settings: TrainSettings, *, seed: int = 0,
                 n_classes: int = 7, scaling: InputScaling | None = None,
                 callbacks: Sequence[Any] = ()) -> TrainResult:
    """Build and train `config` on (uint8 images, labels) pairs; early stopping watches
    validation accuracy and restores the best epoch's weights. `scaling` defaults to the one
    `input_scaling` derives from the training images. `callbacks`: more Keras callbacks, e.g.
    the Ray engine's, which reports each epoch's validation accuracy to its scheduler."""
    import keras

    fix_seeds(seed)
    scaling = scaling or input_scaling(train[0], settings)
    x_train, y_train = scaling.apply(train[0]), np.asarray(train[1], dtype=np.int64)
    x_val, y_val = scaling.apply(val[0]), np.asarray(val[1], dtype=np.int64)
    model = build_model(config, input_shape=x_train.shape[1:], n_classes=n_classes,
                        kernel_initializer=settings.init)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate(settings, len(y_train))),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    batches = training_batches(x_train, y_train, settings.batch_size, seed,
                               shift_px=settings.shift_px, flip=settings.flip)
    start = time.perf_counter()
    history = model.fit(batches, epochs=settings.epochs,
                        callbacks=[_stopper(settings), *callbacks],
                        validation_data=evaluation_batches(x_val, y_val, settings.batch_size),
                        shuffle=False, verbose=0)  # training_batches shuffles
    seconds = time.perf_counter() - start
    return TrainResult(model=model, val_accuracy=accuracy_percent(model, x_val, y_val),
                       epochs_run=len(history.history["loss"]), train_seconds=seconds,
                       history={k: [float(v) for v in vals]
                                for k, vals in history.history.items()})
