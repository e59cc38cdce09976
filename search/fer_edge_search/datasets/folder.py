"""The `folder:PATH` loader: one sub-folder per class (e.g. the shared "CK+48" copy).

Class names are the sub-folder names, in CK+ order when they are CK+ class names, else sorted.
The subject comes from a CK+-style file name (`S010_004_00000017.png` -> `S010`); any other file
is its own subject (its path relative to PATH, without suffix).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from fer_edge_core.errors import UserInputError
from fer_edge_search.datasets.base import CKPLUS_CLASSES, Dataset
from fer_edge_search.datasets.images import is_image_file, read_many, require_dir

SUBJECT_RE = re.compile(r"^(S\d+)_")


def class_order(names: list[str]) -> tuple[str, ...]:
    """CK+ order when every name is a CK+ class (case-insensitively), else sorted."""
    by_lower = {name.lower(): name for name in names}
    if len(by_lower) == len(names) and set(by_lower) <= set(CKPLUS_CLASSES):
        return tuple(by_lower[c] for c in CKPLUS_CLASSES if c in by_lower)
    return tuple(sorted(names))


def subject_of(path: Path, root: Path) -> str:
    """`S010` for `S010_004_00000017.png`, else the file's own identity."""
    match = SUBJECT_RE.match(path.name)
    return match.group(1) if match else path.relative_to(root).with_suffix("").as_posix()


def load(spec: str, arg: str, *, last_frames: int = 1) -> Dataset:
    """Every image file directly inside each class sub-folder of `arg`, grayscale 48x48."""
    del last_frames
    root = require_dir(Path(arg).expanduser(), "dataset folder")
    dirs = [p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    if not dirs:
        raise UserInputError(root, "no class sub-folders (expected e.g. anger/, happy/, ...)")
    class_names = class_order(dirs)
    paths: list[Path] = []
    labels: list[int] = []
    for label, name in enumerate(class_names):
        files = sorted(p for p in (root / name).iterdir() if is_image_file(p))
        paths.extend(files)
        labels.extend([label] * len(files))
    if not paths:
        raise UserInputError(root, "no image files in the class sub-folders")
    return Dataset(
        name=root.name or "folder", spec=spec, class_names=class_names,
        images=read_many(paths), labels=np.array(labels, dtype=np.int64),
        subjects=np.array([subject_of(p, root) for p in paths], dtype=str),
        meta={"path": str(root)},
    )
