"""Read image files as the loaders need them: grayscale uint8, resized to 48x48 with Pillow."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fer_edge_core.errors import UserInputError

SIZE = 48
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".pgm"})


def is_image_file(path: Path) -> bool:
    """A visible file whose suffix names an image format (.DS_Store, README.txt are not)."""
    return path.is_file() and not path.name.startswith(".") and \
        path.suffix.lower() in IMAGE_SUFFIXES


def read_gray(path: Path, size: int = SIZE) -> np.ndarray:
    """uint8 (size, size): converted to grayscale and resized (the paper's pre-processing);
    a file Pillow cannot decode is a UserInputError naming it."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            gray = _to_gray(img)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, EOFError) as exc:
        # Pillow reports some truncated or corrupt files as SyntaxError or EOFError.
        raise UserInputError(path, f"cannot read image: {exc}") from None
    if gray.size != (size, size):
        gray = gray.resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(gray, dtype=np.uint8)


def _to_gray(img):
    """Pillow 'L' image; 16-bit and float grayscale are scaled to 0-255 rather than clipped."""
    from PIL import Image

    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        return Image.fromarray(np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8))
    return img.convert("L")


def read_many(paths: list[Path], size: int = SIZE) -> np.ndarray:
    """uint8 (len(paths), size, size) stack of `read_gray`."""
    out = np.empty((len(paths), size, size), dtype=np.uint8)
    for i, path in enumerate(paths):
        out[i] = read_gray(path, size)
    return out


def require_dir(path: Path, what: str) -> Path:
    """`path` if it is a folder, else a UserInputError saying what was expected there."""
    if not path.exists():
        raise UserInputError(path, f"no such {what}")
    if not path.is_dir():
        raise UserInputError(path, f"not a folder (expected {what})")
    return path
