"""Cut a Dataset into train/val/test: `subject` (no person in two parts) or `random` (stratified).

Both rules are deterministic by `SplitSpec.seed` and put at least one image of every class in
every part, or refuse with a UserInputError naming the dataset and the class (a class needs three
images, and for `subject` three subjects, to be in all three parts).
"""

from __future__ import annotations

import numpy as np

from fer_edge_core.errors import UserInputError
from fer_edge_search.datasets.base import Dataset, Split, SplitSpec

PARTS = ("train", "val", "test")
RULES = ("subject", "random")
_ATTEMPTS = 20


def split_dataset(ds: Dataset, spec: SplitSpec) -> Split:
    """Indices of the three parts of `ds` under `spec` (sorted ascending within each part)."""
    fractions = _check_spec(spec)
    if spec.rule == "subject":
        parts = _subject_split(ds, fractions, spec.seed)
    else:
        parts = _random_split(ds, fractions, spec.seed)
    train, val, test = (np.sort(np.asarray(p, dtype=np.int64)) for p in parts)
    return Split(dataset=ds, spec=spec, train_idx=train, val_idx=val, test_idx=test)


def _check_spec(spec: SplitSpec) -> np.ndarray:
    if spec.rule not in RULES:
        raise UserInputError("--split", f"unknown split rule {spec.rule!r} "
                             f"(known: {', '.join(RULES)})")
    fractions = np.array([spec.train, spec.val, spec.test], dtype=np.float64)
    for name, value in zip(PARTS, fractions, strict=True):
        if not 0.0 < value < 1.0:
            raise UserInputError(f"--{name}", f"fraction must be between 0 and 1, got {value}")
    if abs(fractions.sum() - 1.0) > 1e-6:
        raise UserInputError("--train/--val/--test",
                             f"fractions must add up to 1, got {fractions.sum():g}")
    if isinstance(spec.seed, bool) or not isinstance(spec.seed, int) or spec.seed < 0:
        raise UserInputError("--seed", f"the split's seed must be a whole number 0 or more, "
                             f"got {spec.seed!r}")
    return fractions


def _where(ds: Dataset) -> str:
    return str(ds.meta.get("path", ds.spec))


def _too_few(ds: Dataset, cls: int, have: int, what: str) -> UserInputError:
    return UserInputError(
        _where(ds),
        f"class {ds.class_names[cls]!r} has {have} {what}; the split needs at least one in "
        f"each of train, val and test",
    )


def _random_split(ds: Dataset, fractions: np.ndarray, seed: int) -> list[list[int]]:
    """Per class: shuffle, then val and test take round(fraction * n) (at least one each)."""
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[], [], []]
    for cls in range(len(ds.class_names)):
        idx = np.flatnonzero(ds.labels == cls)
        if idx.size < 3:
            raise _too_few(ds, cls, int(idx.size), "image(s)")
        idx = rng.permutation(idx)
        n_val = max(1, round(idx.size * fractions[1]))
        n_test = max(1, round(idx.size * fractions[2]))
        while idx.size - n_val - n_test < 1:
            if n_val >= n_test:
                n_val -= 1
            else:
                n_test -= 1
        parts[1].extend(idx[:n_val].tolist())
        parts[2].extend(idx[n_val:n_val + n_test].tolist())
        parts[0].extend(idx[n_val + n_test:].tolist())
    return parts


def _subject_table(ds: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique subjects, each image's subject number, and counts (subject, class)."""
    names, inverse = np.unique(ds.subjects, return_inverse=True)
    counts = np.zeros((names.size, len(ds.class_names)), dtype=np.int64)
    np.add.at(counts, (inverse, ds.labels), 1)
    return names, inverse, counts


def _subject_split(ds: Dataset, fractions: np.ndarray, seed: int) -> list[np.ndarray]:
    """Whole subjects to parts: greedy on class-count deficits, then repaired so that every
    class is in every part."""
    _, inverse, counts = _subject_table(ds)
    for cls in range(counts.shape[1]):
        have = int((counts[:, cls] > 0).sum())
        if have < 3:
            raise _too_few(ds, cls, have, "subject(s)")
    rng = np.random.default_rng(seed)
    for _attempt in range(_ATTEMPTS):  # other orders only for tiny, awkward datasets
        owner = _greedy_assign(counts, fractions, rng)
        if _repair(counts, owner):
            return [np.flatnonzero(owner[inverse] == p) for p in range(len(PARTS))]
    holders = _holders(counts, owner)
    cls = int(np.argwhere(holders == 0)[0][1])
    raise UserInputError(
        _where(ds), f"class {ds.class_names[cls]!r}: cannot put a subject of it in each of "
        f"train, val and test ({int((counts[:, cls] > 0).sum())} subjects have it, and moving "
        f"them empties another class)")


def _greedy_assign(counts: np.ndarray, fractions: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    """Largest subjects first (ties in seeded random order); each goes where it most reduces
    the squared distance of (part, class) counts to their targets, relative to class size."""
    totals = counts.sum(axis=0).astype(np.float64)
    scale = np.where(totals > 0, totals, 1.0)
    target = fractions[:, None] * totals[None, :]
    order = rng.permutation(counts.shape[0])
    order = order[np.argsort(-counts[order].sum(axis=1), kind="stable")]
    have = np.zeros_like(target)
    owner = np.full(counts.shape[0], -1, dtype=np.int64)
    for s in order:
        before = ((have - target) / scale) ** 2
        after = ((have + counts[s][None, :] - target) / scale) ** 2
        part = int(np.argmin((after - before).sum(axis=1)))
        have[part] += counts[s]
        owner[s] = part
    return owner


def _holders(counts: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """(part, class) number of subjects in that part with at least one image of that class."""
    return np.stack([(counts[owner == p] > 0).sum(axis=0) for p in range(len(PARTS))])


def _repair(counts: np.ndarray, owner: np.ndarray) -> bool:
    """While a part lacks a class: move in a subject of that class from a part holding two or
    more such subjects, preferring one whose leaving empties no class there, then the smallest.
    False when it gets stuck."""
    has = counts > 0
    for _ in range(4 * counts.shape[0] + 8):
        holders = _holders(counts, owner)
        missing = np.argwhere(holders == 0)
        if missing.size == 0:
            return True
        part, cls = (int(v) for v in missing[0])
        movable = np.flatnonzero(has[:, cls] & (holders[owner, cls] >= 2))
        if movable.size == 0:
            return False
        breaks = (has[movable] & (holders[owner[movable]] < 2)).sum(axis=1)
        sizes = counts[movable].sum(axis=1)
        owner[movable[np.lexsort((sizes, breaks))[0]]] = part
    return False
