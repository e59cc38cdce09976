"""Tiny datasets in the real on-disk layouts (CK+ release, class folders, FER2013 CSV).

Every image is one flat grey level, so after grayscale conversion and resizing the loaded pixel
value says which file was read (Pillow's RGB->L of (v, v, v) is v, and resizing keeps it).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image


def write_image(path: Path, value: int, size: tuple[int, int] = (64, 40),
                mode: str = "RGB") -> Path:
    """A flat image of grey level `value` (width, height = `size`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    colour = (value, value, value) if mode == "RGB" else value
    Image.new(mode, size, colour).save(path)
    return path


def frame_value(subject: int, sequence: int, frame: int) -> int:
    """The grey level of a CK+ test frame: distinct per (subject, sequence, frame)."""
    return (subject * 37 + sequence * 11 + frame * 3) % 250 + 2


def make_ckplus(root: Path, sequences: list[tuple[int, int, int, int | None]]) -> Path:
    """CK+ release tree: (subject number, sequence number, frames, label 1-7 or None)."""
    for subject, sequence, frames, label in sequences:
        s, q = f"S{subject:03d}", f"{sequence:03d}"
        for f in range(1, frames + 1):
            name = f"{s}_{q}_{f:08d}.png"
            write_image(root / "cohn-kanade-images" / s / q / name,
                        frame_value(subject, sequence, f))
        if label is not None:
            label_file = root / "Emotion" / s / q / f"{s}_{q}_{frames:08d}_emotion.txt"
            label_file.parent.mkdir(parents=True, exist_ok=True)
            label_file.write_text(f"   {float(label):.7e}\n")
    return root


def make_folder(root: Path, files: dict[str, list[str]], value: int = 100) -> Path:
    """One sub-folder per class, holding the named image files."""
    for cls, names in files.items():
        (root / cls).mkdir(parents=True, exist_ok=True)
        for i, name in enumerate(names):
            write_image(root / cls / name, (value + i) % 256, size=(48, 48), mode="L")
    return root


def fer_pixels(value: int) -> str:
    return " ".join([str(value)] * (48 * 48))


def make_fer2013(path: Path, labels: list[int], header: str = "emotion,pixels,Usage") -> Path:
    """A FER2013 CSV whose row i has emotion labels[i] and flat grey level 10 + i."""
    rows = [header] + [f"{lab},{fer_pixels(10 + i)},Training" for i, lab in enumerate(labels)]
    path.write_text("\n".join(rows) + "\n")
    return path


def balanced_ckplus(root: Path, subjects: int = 6, last_frames: int = 4) -> Path:
    """Every subject shows all 7 emotions (one labelled sequence each) plus one unlabelled."""
    seqs: list[tuple[int, int, int, int | None]] = []
    for s in range(1, subjects + 1):
        seqs += [(s, e, last_frames + 1, e) for e in range(1, 8)]
        seqs.append((s, 8, 3, None))
    return make_ckplus(root, seqs)

