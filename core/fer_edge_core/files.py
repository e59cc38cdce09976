"""Atomic file writes for the host side: no reader sees half a ranking, trial store or figure,
and folders (a bundle, a report) built in a hidden stage and moved into place whole."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fer_edge_core.errors import UserInputError
from fer_edge_harness.atomic import write_atomic as write_atomic_bytes


def check_can_create(path: str | Path) -> Path:
    """Refuse, before anything is written, an output path that cannot be made: one under a
    file, or under a folder this user may not write to."""
    path = Path(path)
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UserInputError(ancestor, f"is a file, not a folder: cannot write {path} in it")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UserInputError(ancestor, f"not writable: cannot write {path} in it")
    return path


def ensure_dir(path: str | Path) -> Path:
    """The output folder, made if missing; a file in its place is the user's to move."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UserInputError(folder, "exists and is not a folder")
    if not folder.exists():
        check_can_create(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserInputError(folder, f"cannot make this folder ({exc.strerror})") from None
    return folder


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write text or bytes atomically (fer_edge_harness.atomic: the one writer, board and host)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    return Path(write_atomic_bytes(path, payload))


def write_json(path: str | Path, value: Any) -> Path:
    """Write `value` as indented JSON (stable key order as given), atomically."""
    return write_atomic(path, json.dumps(value, indent=2) + "\n")


def make_stage(final: str | Path) -> Path:
    """A fresh hidden folder beside `final` (same file system, so moving it is atomic), readable
    like any folder the user makes (mkdtemp's own mode is 0700)."""
    final = Path(final)
    ensure_dir(final.parent)
    stage = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-", dir=final.parent))
    stage.chmod(0o755)
    return stage


def replace_folder(stage: str | Path, final: str | Path) -> Path:
    """Move the finished `stage` to `final`; an old `final` is swapped out first and removed
    after, so `final` is at every moment either the old folder or the new one, never half."""
    stage, final = Path(stage), Path(final)
    if final.exists():
        trash = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
        os.replace(final, trash / final.name)
        os.replace(stage, final)
        shutil.rmtree(trash)
    else:
        os.replace(stage, final)
    return final


@contextlib.contextmanager
def staged_folder(final: str | Path) -> Iterator[Path]:
    """Build a folder all at once or not at all: the block writes into a hidden stage that is
    moved to `final` when the block ends, and removed if the block raises."""
    stage = make_stage(final)
    try:
        yield stage
        replace_folder(stage, final)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
