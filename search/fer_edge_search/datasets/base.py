"""The in-memory dataset and split types every loader returns and every consumer takes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# CK+ label order (Emotion/*.txt holds 1..7 in this order); every loader maps to it where it can.
CKPLUS_CLASSES: tuple[str, ...] = (
    "anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise",
)


@dataclass(frozen=True)
class Dataset:
    """Images as uint8 (N, H, W) grayscale, integer labels into `class_names`, and the subject
    (person or synthetic identity) of each image, so that splits can keep subjects apart."""

    name: str
    spec: str
    class_names: tuple[str, ...]
    images: np.ndarray
    labels: np.ndarray
    subjects: np.ndarray
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclass(frozen=True)
class SplitSpec:
    """How to cut a dataset: `subject` keeps each subject in one part, `random` is stratified
    by class (the paper's protocol, which leaks frames of one subject across parts)."""

    rule: str = "subject"
    train: float = 0.7
    val: float = 0.15
    test: float = 0.15
    seed: int = 0

    def as_dict(self) -> dict:
        return {"rule": self.rule, "train": self.train, "val": self.val,
                "test": self.test, "seed": self.seed}


@dataclass(frozen=True)
class Split:
    """A dataset and the indices of its three parts."""

    dataset: Dataset
    spec: SplitSpec
    train_idx: np.ndarray
    val_idx: np.ndarray
    test_idx: np.ndarray

    def part(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(images uint8 (n, H, W), labels int64 (n,)) of `train`, `val` or `test`."""
        idx = {"train": self.train_idx, "val": self.val_idx, "test": self.test_idx}[name]
        return self.dataset.images[idx], self.dataset.labels[idx]
