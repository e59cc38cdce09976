"""What `fer-edge data` reports about a loaded dataset and its split, as one JSON-ready dict."""

from __future__ import annotations

from typing import Any

import numpy as np

from fer_edge_search.datasets.base import Dataset, Split
from fer_edge_search.datasets.splits import PARTS


def per_class(ds: Dataset, idx: np.ndarray | None = None) -> dict[str, int]:
    """{class name: images} over `idx` (all images when None), in label order."""
    labels = ds.labels if idx is None else ds.labels[idx]
    counts = np.bincount(labels, minlength=len(ds.class_names))
    return {name: int(counts[i]) for i, name in enumerate(ds.class_names)}


def _part(split: Split, idx: np.ndarray) -> dict[str, Any]:
    ds = split.dataset
    subjects = sorted(str(s) for s in np.unique(ds.subjects[idx]))
    out: dict[str, Any] = {"images": int(idx.size), "per_class": per_class(ds, idx),
                           "subjects": len(subjects)}
    if split.spec.rule == "subject":
        out["subject_ids"] = subjects
    return out


def describe(split: Split) -> dict[str, Any]:
    """Images per class, subjects, and each part's size (and subject ids for subject splits)."""
    ds = split.dataset
    indices = {"train": split.train_idx, "val": split.val_idx, "test": split.test_idx}
    return {
        "spec": ds.spec,
        "name": ds.name,
        "class_names": list(ds.class_names),
        "image_shape": list(ds.images.shape[1:]),
        "images": len(ds),
        "per_class": per_class(ds),
        "subjects": int(np.unique(ds.subjects).size),
        "split": split.spec.as_dict(),
        "parts": {name: _part(split, indices[name]) for name in PARTS},
        "meta": ds.meta,
    }
