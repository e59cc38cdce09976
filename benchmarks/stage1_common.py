"""What the stage-1 benchmarks share: the training settings they compare (the recipe before
issue 12, and the recipe with each choice undone) and how they hand over their tables.

`OLD_RECIPE` is what stage 1 trained with before the recipe (Keras's Glorot initialisation,
inputs uint8 / 255, Adam at a constant 3e-4, no augmentation, early stopping from epoch 3 with
patience 5), as TrainSettings fields that differ from today's defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

OLD_RECIPE: dict[str, Any] = {
    "learning_rate": 3e-4, "schedule": "constant", "warmup_epochs": 0, "init": "glorot_uniform",
    "standardize": False, "shift_px": 0, "flip": False, "patience": 5, "min_epochs": 3,
}

# The ablation's variants: TrainSettings fields changed from the recipe (the defaults).
VARIANTS: dict[str, dict[str, Any]] = {
    "recipe": {},
    "glorot-init": {"init": "glorot_uniform"},
    "no-standardize": {"standardize": False},
    "constant-lr": {"schedule": "constant"},
    "no-warmup": {"warmup_epochs": 0},
    "peak-lr-1e-3": {"learning_rate": 1e-3},
    "peak-lr-3e-3": {"learning_rate": 3e-3},
    "no-shift": {"shift_px": 0},
    "flip": {"flip": True},
    "no-early-stop": {"patience": 10_000},
    "old-recipe": OLD_RECIPE,
    "old-recipe-1e-3": {**OLD_RECIPE, "learning_rate": 1e-3},
}


def publish(text: str, md: Path | None) -> int:
    """Print a benchmark's Markdown and, when asked, write it to `md`; the exit status."""
    print(text)
    if md:
        md.write_text(text)
    return 0
