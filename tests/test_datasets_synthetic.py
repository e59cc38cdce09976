"""The built-in synthetic dataset: shape, balance, identities, determinism, class signal."""

from __future__ import annotations

import numpy as np
import pytest

from fer_edge_core.errors import UserInputError
from fer_edge_search.datasets import CKPLUS_CLASSES, load_dataset
from fer_edge_search.datasets.synthetic import (
    ACTIONS,
    prototype_matrix,
    render,
    sample_identities,
)


@pytest.fixture(scope="module")
def synth():
    return load_dataset("synthetic:n=700,identities=35,seed=0")


def test_shape_balance_and_identities(synth):
    assert synth.images.shape == (700, 48, 48) and synth.images.dtype == np.uint8
    assert synth.labels.dtype == np.int64 and synth.class_names == CKPLUS_CLASSES
    assert np.bincount(synth.labels).tolist() == [100] * 7
    assert sorted(set(synth.subjects)) == [f"synth-{i:03d}" for i in range(35)]
    # Every identity shows several expressions (so a subject split has every class per part).
    kinds = [len(set(synth.labels[synth.subjects == s])) for s in set(synth.subjects)]
    assert min(kinds) >= 4
    assert 20 < synth.images.mean() < 235 and synth.images.std() > 20


def test_default_is_about_200_a_class_and_70_identities():
    ds = load_dataset("synthetic")
    assert len(ds) == 1400 and len(set(ds.subjects)) == 70
    assert ds.meta["options"] == {"n": 1400, "identities": 70, "seed": 0}


def test_same_seed_same_bytes_other_seed_other_images(synth):
    again = load_dataset("synthetic:seed=0,identities=35,n=700")
    assert np.array_equal(synth.images, again.images)
    assert np.array_equal(synth.labels, again.labels)
    other = load_dataset("synthetic:n=700,identities=35,seed=1")
    assert not np.array_equal(synth.images, other.images)


def render_faces(names: list[str]) -> dict[str, np.ndarray]:
    """One identity, noiseless, upright, evenly lit and centred between pixel columns 23 and
    24 (so left-right mirroring is exact), showing each named class's prototype (float)."""
    rng = np.random.default_rng(0)
    ident = sample_identities(rng, 1)
    traits = {key: np.repeat(value, len(names)) for key, value in ident.items() if key != "rest"}
    traits.update(cx=np.full(len(names), 23.5), roll=np.zeros(len(names)),
                  light=np.zeros(len(names)), noise=np.zeros(len(names)),
                  contrast=np.ones(len(names)), light_dir=np.zeros(len(names)))
    protos = {name: row for name, row in zip(CKPLUS_CLASSES, prototype_matrix(), strict=True)}
    protos["neutral"] = np.zeros(len(ACTIONS))
    actions = np.stack([protos[name] for name in names])
    images = render(traits, actions, rng).astype(np.float64)
    return dict(zip(names, images, strict=True))


MOUTH = (slice(30, 44), slice(8, 40))
UPPER = (slice(6, 22), slice(6, 42))


def test_each_expression_changes_the_face_where_it_should():
    faces = render_faces(["neutral", *CKPLUS_CLASSES])
    def change(name, region):
        return np.abs(faces[name] - faces["neutral"])[region].mean()
    for name in CKPLUS_CLASSES:
        assert change(name, MOUTH) + change(name, UPPER) > 1.0, name
    # A smile lives in the mouth; smile vs frown differs there by several grey levels.
    assert change("happy", MOUTH) > 5.0 * change("happy", UPPER)
    assert np.abs(faces["happy"] - faces["sadness"])[MOUTH].mean() > 4.0
    # Surprise vs anger: brows and eyes move a lot (raised vs lowered, widened vs narrowed).
    assert np.abs(faces["surprise"] - faces["anger"])[UPPER].mean() > 8.0
    assert change("anger", UPPER) > 3.0 * change("anger", MOUTH)


def test_contempt_is_one_sided():
    faces = render_faces(["neutral", "contempt", "happy"])
    def asymmetry(name):
        mouth = faces[name][MOUTH]
        return np.abs(mouth - mouth[:, ::-1]).mean()
    assert asymmetry("neutral") < 0.05 and asymmetry("happy") < 0.05
    assert asymmetry("contempt") > 1.0


def test_classes_are_separable_but_overlap(synth):
    """Nearest class mean on standardised pixels: clearly above chance (1/7), far below 100%."""
    x = synth.images.reshape(len(synth), -1).astype(np.float64)
    x = (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True)
    train = synth.subjects < "synth-025"
    means = np.stack([x[train & (synth.labels == c)].mean(0) for c in range(7)])
    test = ~train
    pred = ((x[test][:, None] - means[None]) ** 2).sum(-1).argmin(1)
    accuracy = (pred == synth.labels[test]).mean()
    assert 0.2 < accuracy < 0.8, accuracy


def test_prototypes_are_distinct_expressions():
    protos = prototype_matrix()
    assert protos.shape == (7, len(ACTIONS))
    distances = np.linalg.norm(protos[:, None] - protos[None], axis=-1)
    assert distances[~np.eye(7, dtype=bool)].min() > 0.5


@pytest.mark.parametrize("spec", ["synthetic:size=64", "synthetic:n=ten", "synthetic:n=3",
                                  "synthetic:identities=0", "synthetic:seed"])
def test_bad_options_are_user_errors(spec):
    with pytest.raises(UserInputError) as info:
        load_dataset(spec)
    assert info.value.where == spec
