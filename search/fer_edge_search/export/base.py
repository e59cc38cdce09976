"""The exporter interface: one format, what it needs first (as data), an up-front check, export.

Unlike Ultralytics' one big Exporter, no exporter calls another one: a format that is made from
another (edgetpu from tflite_int8) declares it in `requires` and reads the file already built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np


class UnsupportedExport(Exception):
    """This format cannot be made on this machine (a tool is missing); the reason says why."""


@dataclass
class ExportContext:
    """Everything an exporter may use for one model; exporters write only under `model_dir`."""

    model_id: str
    model: Any
    """The trained keras.Model, as loaded (dynamic batch)."""
    model_b1: Any
    """The same weights rebuilt on a batch-1 input, so converters see only static shapes."""
    bundle_dir: Path
    model_dir: str
    """Folder of this model's files, relative to `bundle_dir` (forward slashes)."""
    calibration: np.ndarray
    """float32 (n, H, W, 1) training images in [0, 1]: int8 calibration data."""
    built: dict[str, Path] = field(default_factory=dict)
    """Formats built so far for this model -> absolute artifact path."""

    def relative(self, name: str) -> str:
        """The bundle-relative path of a file of this model."""
        return f"{self.model_dir}/{name}"

    def target(self, name: str) -> Path:
        """The absolute path a file of this model is written to (its folder created)."""
        path = self.bundle_dir / self.model_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def input_hw1(self) -> tuple[int, int, int]:
        """(H, W, 1) of the model's input."""
        _, h, w, c = self.model_b1.input_shape
        return int(h), int(w), int(c)


@dataclass
class ExportOutput:
    """What an export made: the artifact, its second file if any, and facts for the manifest."""

    path: Path
    weights: Path | None = None
    info: dict = field(default_factory=dict)
    note: str | None = None
    """Something the user should know although the export worked (kept as the reason)."""


class Exporter:
    """One artifact format. Subclasses set the class attributes and implement `export`."""

    format: ClassVar[str]
    precision: ClassVar[str]
    """fp32, fp16 or int8: picks the agreement tolerance of the check."""
    runtime: ClassVar[str | None]
    """The harness backend that runs this artifact here (the board's own code), or None where
    none can."""
    requires: ClassVar[tuple[str, ...]] = ()
    """Formats that must be built first (their files are read, never re-made)."""
    prefers: ClassVar[tuple[str, ...]] = ()
    """Formats used as the source when built; the in-memory model otherwise."""
    file_name: ClassVar[str]
    extra_files: ClassVar[tuple[str, ...]] = ()
    """Other files the export writes next to `file_name` (removed with it when it fails)."""

    def check(self) -> None:
        """Raise UnsupportedExport when this machine cannot make the format (default: it can)."""

    def export(self, ctx: ExportContext) -> ExportOutput:
        raise NotImplementedError
