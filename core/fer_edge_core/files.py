"""Atomic file writes for the host side: no reader sees half a ranking, trial store or figure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fer_edge_core.errors import UserInputError
from fer_edge_harness.atomic import write_atomic as write_atomic_bytes


def ensure_dir(path: str | Path) -> Path:
    """The output folder, made if missing; a file in its place is the user's to move."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UserInputError(folder, "exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write text or bytes atomically (fer_edge_harness.atomic: the one writer, board and host)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    return Path(write_atomic_bytes(path, payload))


def write_json(path: str | Path, value: Any) -> Path:
    """Write `value` as indented JSON (stable key order as given), atomically."""
    return write_atomic(path, json.dumps(value, indent=2) + "\n")
