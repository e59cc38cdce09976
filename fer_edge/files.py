"""Atomic file writes for the host side: no reader sees half a ranking, trial store or figure."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from fer_edge.errors import UserInputError


def ensure_dir(path: str | Path) -> Path:
    """The output folder, made if missing; a file in its place is the user's to move."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UserInputError(folder, "exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write to a temporary file in the same folder, then os.replace it onto `path`.

    Same folder, so the rename stays on one file system and is atomic.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target


def write_json(path: str | Path, value: Any) -> Path:
    """Write `value` as indented JSON (stable key order as given), atomically."""
    return write_atomic(path, json.dumps(value, indent=2) + "\n")
