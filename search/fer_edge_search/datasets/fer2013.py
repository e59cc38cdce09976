"""The `fer2013:PATH` loader: the FER2013 CSV (columns emotion, pixels, Usage; 48x48 images).

Subjects are unknown in FER2013, so each image is its own subject: a `subject` split of it is
a (stratified) random split. The Usage column (Training/PublicTest/PrivateTest) is optional
and only counted in `meta`.
"""

from __future__ import annotations

import csv
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from fer_edge_core.errors import UserInputError
from fer_edge_search.datasets.base import Dataset

FER2013_CLASSES: tuple[str, ...] = (
    "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral",
)
SIZE = 48
REQUIRED_COLUMNS = ("emotion", "pixels")


def _pixels(text: str, path: Path, line: int) -> np.ndarray:
    """One `pixels` cell: 2304 space-separated integers 0-255."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            values = np.fromstring(text, dtype=np.int64, sep=" ")
        except (ValueError, DeprecationWarning):
            values = None
    if values is None or values.size != SIZE * SIZE:
        raise UserInputError(path, f"line {line}: pixels must be {SIZE * SIZE} space-separated "
                             f"integers, got {text[:30]!r}...")
    if values.min() < 0 or values.max() > 255:
        raise UserInputError(path, f"line {line}: pixel values must be 0-255")
    return values.astype(np.uint8).reshape(SIZE, SIZE)


def _label(text: str, path: Path, line: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < len(FER2013_CLASSES):
        raise UserInputError(path, f"line {line}: emotion must be an integer 0-6, got {text!r}")
    return value


def _read_rows(path: Path) -> tuple[list[np.ndarray], list[int], Counter]:
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.DictReader(fh)
        columns = [c.strip() for c in reader.fieldnames or []]
        if not set(REQUIRED_COLUMNS) <= set(columns):
            raise UserInputError(path, f"expected CSV columns emotion, pixels, Usage; found "
                                 f"{', '.join(columns) or 'no header'}")
        reader.fieldnames = columns
        images, labels, usage = [], [], Counter()
        for row in reader:
            line = reader.line_num
            labels.append(_label((row["emotion"] or "").strip(), path, line))
            images.append(_pixels(row["pixels"] or "", path, line))
            usage[(row.get("Usage") or "").strip() or "unspecified"] += 1
    return images, labels, usage


def load(spec: str, arg: str, *, last_frames: int = 1) -> Dataset:
    """All rows of the CSV; each image its own subject (`fer2013-00000`, ...)."""
    del last_frames
    path = Path(arg).expanduser()
    if not path.is_file():
        raise UserInputError(path, "no such file" if not path.exists() else "not a file")
    images, labels, usage = _read_rows(path)
    if not images:
        raise UserInputError(path, "CSV has a header but no rows")
    width = max(5, len(str(len(images) - 1)))
    return Dataset(
        name="fer2013", spec=spec, class_names=FER2013_CLASSES, images=np.stack(images),
        labels=np.array(labels, dtype=np.int64),
        subjects=np.array([f"fer2013-{i:0{width}d}" for i in range(len(images))]),
        meta={"path": str(path), "usage": dict(usage),
              "subjects": "unknown in FER2013: each image is its own subject, "
                          "so a subject split equals a random one"},
    )
