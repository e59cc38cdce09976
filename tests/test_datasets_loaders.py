"""The ck+, folder and fer2013 loaders on small trees in their real on-disk layouts."""

from __future__ import annotations

import numpy as np
import pytest
from datasets_trees import (
    balanced_ckplus,
    frame_value,
    make_ckplus,
    make_fer2013,
    make_folder,
    write_image,
)

from fer_edge_core.errors import UserInputError
from fer_edge_search.datasets import CKPLUS_CLASSES, load_dataset
from fer_edge_search.datasets.fer2013 import FER2013_CLASSES


def test_ckplus_takes_the_peak_frame_of_labelled_sequences_only(tmp_path):
    root = make_ckplus(tmp_path / "ck", [(5, 1, 4, 3), (5, 2, 6, 7), (10, 1, 3, 1),
                                         (10, 2, 5, None)])
    ds = load_dataset(f"ck+:{root}")
    assert ds.name == "ck+" and ds.class_names == CKPLUS_CLASSES
    assert ds.images.shape == (3, 48, 48) and ds.images.dtype == np.uint8
    assert ds.labels.dtype == np.int64
    # Emotion 3 = disgust, 7 = surprise, 1 = anger (0-based into CKPLUS_CLASSES).
    assert [CKPLUS_CLASSES[i] for i in ds.labels] == ["disgust", "surprise", "anger"]
    assert list(ds.subjects) == ["S005", "S005", "S010"]
    # The last frame of each sequence, read as grayscale (flat images keep their grey level).
    assert [int(img[24, 24]) for img in ds.images] == [
        frame_value(5, 1, 4), frame_value(5, 2, 6), frame_value(10, 1, 3)]
    assert (ds.images == ds.images[:, :1, :1]).all()


def test_ckplus_last_frames_takes_the_last_n_of_each_sequence(tmp_path):
    root = make_ckplus(tmp_path / "ck", [(5, 1, 6, 5), (7, 3, 2, 6)])
    ds = load_dataset(f"ck+:{root}", last_frames=3)
    values = [int(img[0, 0]) for img in ds.images]
    # Sequence 1 gives frames 4, 5, 6; sequence 2 has only 2 frames and gives both.
    assert values == [frame_value(5, 1, f) for f in (4, 5, 6)] + [frame_value(7, 3, f)
                                                                 for f in (1, 2)]
    assert [CKPLUS_CLASSES[i] for i in ds.labels] == ["happy"] * 3 + ["sadness"] * 2
    assert list(ds.subjects) == ["S005"] * 3 + ["S007"] * 2
    assert ds.meta["last_frames"] == 3


def test_ckplus_resizes_and_converts_grayscale(tmp_path):
    root = make_ckplus(tmp_path / "ck", [(1, 1, 1, 2)])
    frame = root / "cohn-kanade-images/S001/001/S001_001_00000001.png"
    # A 640x490 colour frame, left half red, right half blue, as a real camera frame might be.
    img = np.zeros((490, 640, 3), dtype=np.uint8)
    img[:, :320, 0] = 200
    img[:, 320:, 2] = 200
    from PIL import Image
    Image.fromarray(img).save(frame)
    ds = load_dataset(f"ck+:{root}")
    assert ds.images.shape == (1, 48, 48)
    # L = 0.299 R + 0.587 G + 0.114 B.
    assert abs(int(ds.images[0, 24, 5]) - round(0.299 * 200)) <= 1
    assert abs(int(ds.images[0, 24, 42]) - round(0.114 * 200)) <= 1


def test_folder_uses_ckplus_order_and_subjects_from_file_names(tmp_path):
    root = make_folder(tmp_path / "CK+48", {
        "surprise": ["S010_004_00000017.png", "S011_001_00000009.png"],
        "anger": ["S010_001_00000011.png"],
        "happy": ["S022_003_00000030.png"],
    })
    (root / "happy" / "notes.txt").write_text("not an image: skipped")
    (root / "happy" / ".DS_Store").write_bytes(b"\0\1")
    (root / ".hidden").mkdir()
    ds = load_dataset(f"folder:{root}")
    assert ds.class_names == ("anger", "happy", "surprise")
    assert [ds.class_names[i] for i in ds.labels] == ["anger", "happy", "surprise", "surprise"]
    assert list(ds.subjects) == ["S010", "S022", "S010", "S011"]
    assert ds.images.shape == (4, 48, 48)


def test_folder_other_names_are_sorted_and_files_are_their_own_subjects(tmp_path):
    root = make_folder(tmp_path / "faces", {"Zed": ["a.png"], "Alpha": ["b.png", "c.jpg"]})
    ds = load_dataset(f"folder:{root}")
    assert ds.class_names == ("Alpha", "Zed")
    assert list(ds.subjects) == ["Alpha/b", "Alpha/c", "Zed/a"]
    assert list(ds.labels) == [0, 0, 1]


def test_fer2013_rows_labels_and_one_subject_per_image(tmp_path):
    path = make_fer2013(tmp_path / "fer2013.csv", [0, 6, 3, 3])
    ds = load_dataset(f"fer2013:{path}")
    assert ds.class_names == FER2013_CLASSES
    assert [ds.class_names[i] for i in ds.labels] == ["angry", "neutral", "happy", "happy"]
    assert [int(img[0, 0]) for img in ds.images] == [10, 11, 12, 13]
    assert len(set(ds.subjects)) == 4
    assert "each image is its own subject" in ds.meta["subjects"]
    assert ds.meta["usage"] == {"Training": 4}


def test_fer2013_without_usage_column_loads(tmp_path):
    path = make_fer2013(tmp_path / "train.csv", [1, 2], header="emotion,pixels")
    assert list(load_dataset(f"fer2013:{path}").labels) == [1, 2]


def test_16_bit_frames_are_scaled_not_clipped(tmp_path):
    root = make_ckplus(tmp_path / "ck", [(1, 1, 1, 4)])
    frame = root / "cohn-kanade-images/S001/001/S001_001_00000001.png"
    from PIL import Image
    Image.fromarray(np.full((40, 40), 32768, dtype=np.uint16)).save(frame)
    assert abs(int(load_dataset(f"ck+:{root}").images[0, 0, 0]) - 128) <= 1


@pytest.mark.parametrize("spec", ["folder:", "ck+", "nosuch:x", "csv:/tmp/x.csv"])
def test_bad_specs_are_user_errors(spec):
    with pytest.raises(UserInputError):
        load_dataset(spec)


def test_last_frames_is_refused_for_single_image_datasets(tmp_path):
    root = balanced_ckplus(tmp_path / "ck", subjects=1)
    assert len(load_dataset(f"ck+:{root}", last_frames=2)) == 14
    with pytest.raises(UserInputError, match="ck\\+"):
        load_dataset("synthetic:n=14,identities=2", last_frames=2)
    write_image(tmp_path / "f" / "anger" / "x.png", 5)
    with pytest.raises(UserInputError, match="--last-frames"):
        load_dataset(f"folder:{tmp_path / 'f'}", last_frames=0)


def test_ckplus_folders_one_level_down_as_the_archives_unpack(tmp_path):
    root = make_ckplus(tmp_path / "ck", [(5, 1, 2, 5), (6, 1, 2, 5), (7, 1, 2, 6)])
    (root / "extended-cohn-kanade-images").mkdir()
    (root / "cohn-kanade-images").rename(root / "extended-cohn-kanade-images/cohn-kanade-images")
    (root / "Emotion_labels").mkdir()
    (root / "Emotion").rename(root / "Emotion_labels/Emotion")
    ds = load_dataset(f"ck+:{root}")
    assert list(ds.subjects) == ["S005", "S006", "S007"]
    assert [int(img[0, 0]) for img in ds.images] == [frame_value(s, 1, 2) for s in (5, 6, 7)]


def test_ckplus_without_frames_folder_names_the_root(tmp_path):
    root = make_ckplus(tmp_path / "ck", [(5, 1, 2, 5)])
    (root / "cohn-kanade-images").rename(root / "frames")
    with pytest.raises(UserInputError) as info:
        load_dataset(f"ck+:{root}")
    assert info.value.where == str(root) and "cohn-kanade-images/" in info.value.problem
