"""Parse a dataset spec string (`synthetic`, `ck+:PATH`, `folder:PATH`, `fer2013:PATH`) and
dispatch to the loader it names, imported lazily from the `LOADERS` table."""

from __future__ import annotations

import importlib

from fer_edge_core.errors import UserInputError
from fer_edge_search.datasets.base import Dataset

# prefix -> "module:function"; each function is load(spec, arg, *, last_frames) -> Dataset.
LOADERS: dict[str, str] = {
    "synthetic": "fer_edge_search.datasets.synthetic:load",
    "ck+": "fer_edge_search.datasets.ckplus:load",
    "folder": "fer_edge_search.datasets.folder:load",
    "fer2013": "fer_edge_search.datasets.fer2013:load",
}
# Loaders for which the "last N frames of a sequence" option means something.
TAKES_LAST_FRAMES = frozenset({"ck+"})
DEFAULT_SPEC = "synthetic"


def parse_spec(spec: str) -> tuple[str, str]:
    """`PREFIX:REST` -> (prefix, rest); only the first colon splits, so paths may hold colons."""
    prefix, _, rest = spec.strip().partition(":")
    prefix = prefix.strip().lower()
    if prefix not in LOADERS:
        raise UserInputError(spec, f"unknown dataset spec prefix {prefix!r} "
                             f"(known: {', '.join(p + ':' for p in LOADERS)})")
    if prefix != "synthetic" and not rest.strip():
        raise UserInputError(spec, f"dataset spec {prefix}: needs a path, e.g. {prefix}:DATA_DIR")
    return prefix, rest.strip()


def load_dataset(spec: str = DEFAULT_SPEC, *, last_frames: int = 1) -> Dataset:
    """Load the dataset a spec string names (images uint8 (N, 48, 48), labels int64)."""
    prefix, rest = parse_spec(spec)
    if last_frames < 1:
        raise UserInputError("--last-frames", f"must be at least 1, got {last_frames}")
    if last_frames != 1 and prefix not in TAKES_LAST_FRAMES:
        raise UserInputError("--last-frames", f"applies to ck+: sequences only, not {prefix}:")
    module_name, func_name = LOADERS[prefix].split(":")
    loader = getattr(importlib.import_module(module_name), func_name)
    return loader(spec, rest, last_frames=last_frames)
