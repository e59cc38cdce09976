"""The `ck+:PATH` loader: the original CK+ release (cohn-kanade-images/ and Emotion/ folders).

Layout: `PATH/cohn-kanade-images/S005/001/S005_001_00000011.png` (frames of a sequence, neutral
to peak) and `PATH/Emotion/S005/001/S005_001_00000011_emotion.txt` (one float 1-7 in the order of
CKPLUS_CLASSES). Only labelled sequences count; the peak is a sequence's last frame, and
`last_frames=N` takes its last N frames. The subject is the `S005` folder. The two folders may
also sit one level down, as the release's two archives unpack.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fer_edge_core.errors import UserInputError
from fer_edge_search.datasets.base import CKPLUS_CLASSES, Dataset
from fer_edge_search.datasets.images import is_image_file, read_many, require_dir

IMAGES_DIR = "cohn-kanade-images"
LABELS_DIR = "Emotion"


def read_label(path: Path) -> int:
    """The 0-based class of one `*_emotion.txt` (holding e.g. `   3.0000000e+00` for disgust)."""
    text = path.read_text(errors="replace").strip()
    try:
        value = float(text)
    except ValueError:
        raise UserInputError(path, f"expected one number 1-7, got {text[:40]!r}") from None
    # The range first: int() of NaN or infinity raises (a hand-edited label file).
    if not 1 <= value <= len(CKPLUS_CLASSES) or value != int(value):
        raise UserInputError(path, f"emotion label must be a whole number 1-7, got {text!r}")
    return int(value) - 1


def find_part(root: Path, name: str) -> Path | None:
    """`root/name`, or `root/*/name` when the release's two archives were unpacked into their
    own folders (e.g. extended-cohn-kanade-images/cohn-kanade-images, Emotion_labels/Emotion)."""
    if (root / name).is_dir():
        return root / name
    found = sorted(p for p in root.glob(f"*/{name}") if p.is_dir())
    return found[0] if len(found) == 1 else None


def _sequences(root: Path) -> list[tuple[str, Path, int]]:
    """(subject, frames folder, label) of every labelled sequence, in path order."""
    labels_dir = find_part(root, LABELS_DIR)
    if labels_dir is None:
        raise UserInputError(root, f"no {LABELS_DIR}/ folder of labels: a CK+ folder needs "
                             f"{LABELS_DIR}/S005/001/S005_001_00000011_emotion.txt files")
    images_dir = find_part(root, IMAGES_DIR)
    if images_dir is None:
        raise UserInputError(root, f"no {IMAGES_DIR}/ folder: a CK+ folder needs "
                             f"{IMAGES_DIR}/S005/001/S005_001_00000011.png frames")
    files = sorted(labels_dir.glob("*/*/*_emotion.txt"))
    if not files:
        raise UserInputError(labels_dir, "no labelled sequence (no */*/*_emotion.txt file)")
    out = []
    for label_file in files:
        subject, sequence = label_file.parent.parent.name, label_file.parent.name
        out.append((subject, images_dir / subject / sequence, read_label(label_file)))
    return out


def _last_frames(frames_dir: Path, n: int) -> list[Path]:
    frames = sorted(p for p in frames_dir.glob("*") if is_image_file(p)) \
        if frames_dir.is_dir() else []
    if not frames:
        raise UserInputError(frames_dir, "labelled sequence has no image frames")
    return frames[-n:]


def load(spec: str, arg: str, *, last_frames: int = 1) -> Dataset:
    """Every labelled sequence's last `last_frames` frames, grayscale 48x48."""
    root = require_dir(Path(arg).expanduser(), "CK+ folder")
    paths: list[Path] = []
    labels: list[int] = []
    subjects: list[str] = []
    sequences = _sequences(root)
    for subject, frames_dir, label in sequences:
        frames = _last_frames(frames_dir, last_frames)
        paths.extend(frames)
        labels.extend([label] * len(frames))
        subjects.extend([subject] * len(frames))
    return Dataset(
        name="ck+", spec=spec, class_names=CKPLUS_CLASSES, images=read_many(paths),
        labels=np.array(labels, dtype=np.int64), subjects=np.array(subjects, dtype=str),
        meta={"path": str(root), "sequences": len(sequences), "last_frames": last_frames},
    )
