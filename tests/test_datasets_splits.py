"""Subject and random splits: disjoint subjects, sizes, stratification, determinism, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from fer_edge_core.errors import UserInputError
from fer_edge_search.datasets import Dataset, SplitSpec, load_dataset, split_dataset

CLASSES = ("a", "b", "c", "d", "e", "f", "g")


def make_dataset(labels, subjects, path="/data/set") -> Dataset:
    labels = np.asarray(labels, dtype=np.int64)
    return Dataset(name="t", spec=f"folder:{path}", class_names=CLASSES,
                   images=np.zeros((labels.size, 2, 2), np.uint8), labels=labels,
                   subjects=np.asarray(subjects), meta={"path": path})


def random_subjects(seed: int) -> Dataset:
    """10-60 subjects with 1-15 images each and skewed class mixes (some classes rare)."""
    rng = np.random.default_rng(seed)
    labels: list[int] = []
    subjects: list[str] = []
    for s in range(int(rng.integers(10, 60))):
        k = int(rng.integers(1, 16))
        labels += rng.choice(7, k, p=rng.dirichlet(np.full(7, 0.7))).tolist()
        subjects += [f"S{s:03d}"] * k
    return make_dataset(labels, subjects)


def parts(split):
    return split.train_idx, split.val_idx, split.test_idx


@pytest.mark.parametrize("seed", range(40))
def test_subject_split_keeps_subjects_apart_and_covers_every_image(seed):
    ds = random_subjects(seed)
    fractions = [(0.7, 0.15, 0.15), (0.6, 0.2, 0.2), (0.8, 0.1, 0.1)][seed % 3]
    split = split_dataset(ds, SplitSpec("subject", *fractions, seed=seed))
    owners = [set(ds.subjects[idx]) for idx in parts(split)]
    assert not owners[0] & owners[1] and not owners[0] & owners[2] and not owners[1] & owners[2]
    assert np.array_equal(np.sort(np.concatenate(parts(split))), np.arange(len(ds)))
    for idx in parts(split):
        assert set(ds.labels[idx]) == set(range(7))
    again = split_dataset(ds, SplitSpec("subject", *fractions, seed=seed))
    assert all(np.array_equal(a, b) for a, b in zip(parts(split), parts(again), strict=True))


def test_subject_split_approaches_the_fractions_and_depends_on_the_seed():
    ds = load_dataset("synthetic:n=700,identities=70")
    splits = [split_dataset(ds, SplitSpec("subject", 0.7, 0.15, 0.15, seed=s)) for s in range(3)]
    for split in splits:
        sizes = np.array([idx.size for idx in parts(split)]) / len(ds)
        assert np.allclose(sizes, [0.7, 0.15, 0.15], atol=0.04), sizes
    assert not np.array_equal(splits[0].test_idx, splits[1].test_idx)


def test_random_split_is_stratified_per_class():
    labels = np.repeat(np.arange(7), [20, 40, 7, 100, 13, 3, 60])
    ds = make_dataset(labels, ["same-person"] * labels.size)
    split = split_dataset(ds, SplitSpec("random", 0.7, 0.15, 0.15, seed=3))
    for cls, n in enumerate([20, 40, 7, 100, 13, 3, 60]):
        got = [int((ds.labels[idx] == cls).sum()) for idx in parts(split)]
        expect_val = max(1, round(n * 0.15))
        assert got[1] == got[2] == expect_val or n == 3, (cls, got)
        assert sum(got) == n and min(got) >= 1
    assert np.array_equal(np.sort(np.concatenate(parts(split))), np.arange(labels.size))
    other = split_dataset(ds, SplitSpec("random", 0.7, 0.15, 0.15, seed=4))
    assert not np.array_equal(split.test_idx, other.test_idx)


def test_random_split_of_one_subject_is_allowed_but_subject_split_refuses():
    ds = make_dataset(np.repeat(np.arange(7), 5), ["S001"] * 35)
    split_dataset(ds, SplitSpec("random"))
    with pytest.raises(UserInputError, match=r"/data/set: class 'a' has 1 subject"):
        split_dataset(ds, SplitSpec("subject"))


def test_a_class_with_too_few_images_names_the_dataset_and_the_class():
    labels = np.concatenate([np.repeat(np.arange(6), 5), [6, 6]])
    ds = make_dataset(labels, [f"S{i:03d}" for i in range(labels.size)], path="/d/ck")
    with pytest.raises(UserInputError) as info:
        split_dataset(ds, SplitSpec("random"))
    assert info.value.where == "/d/ck" and "'g' has 2 image(s)" in info.value.problem


@pytest.mark.parametrize(("spec", "where"), [
    (SplitSpec("stratified"), "--split"),
    (SplitSpec("random", 0.7, 0.3, 0.0), "--test"),
    (SplitSpec("random", 0.7, 0.2, 0.2), "--train/--val/--test"),
])
def test_bad_split_specs(spec, where):
    ds = make_dataset(np.repeat(np.arange(7), 5), [f"S{i}" for i in range(35)])
    with pytest.raises(UserInputError) as info:
        split_dataset(ds, spec)
    assert info.value.where == where
