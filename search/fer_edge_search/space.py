"""The stage-1 search space: load and check a space file, count it, and expose it to Hyperopt.

A space file (the package's space.json by default) holds the block counts, one kernel range per
block position, the FC1/FC2 width ranges and the two dropout ranges, each range as
{"min", "max", "step"}. The same object gives the exact number of configurations, the Hyperopt
expression TPE samples from, and the cast of a Hyperopt sample into a model configuration.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from fer_edge_core.errors import UserInputError

DEFAULT_SPACE_PATH = Path(__file__).with_name("space.json")
SCHEMA_VERSION = 1
SCALARS = ("fc1", "fc2", "dropout1", "dropout2")
# Bounds on a space file: every grid is listed by `fer-edge space` and sampled by index, so a
# step of 1e-300 (10**300 values) would never finish; a layer wider than this fits no edge
# board (the paper's widest is 120) and would only exhaust the host's memory in training.
MAX_GRID_VALUES = 10_000
MAX_WIDTH = 4096


@dataclass(frozen=True)
class Range:
    """An inclusive grid min, min + step, ... <= max; ints for widths, floats for dropouts."""

    min: float
    max: float
    step: float

    @property
    def decimals(self) -> int:
        """Decimal places of the grid: a 0.01 step gives 0.13, not 0.13000000000000003."""
        exps = [Decimal(str(v)).as_tuple().exponent for v in (self.min, self.step)]
        return max(0, *(-int(e) for e in exps))

    @property
    def count(self) -> int:
        # The epsilon absorbs binary rounding: (0.30 - 0.10) / 0.01 is 19.999999999999996.
        return math.floor((self.max - self.min) / self.step + 1e-9) + 1

    def value(self, index: int) -> float:
        """The index-th grid value, rounded to the grid's decimals (exact for ints)."""
        return round(self.min + index * self.step, self.decimals)

    def values(self) -> list[float]:
        return [self.value(i) for i in range(self.count)]


@dataclass(frozen=True)
class SearchSpace:
    """A checked search space; `raw` is the file's dict, written into run.json as is."""

    blocks: tuple[int, ...]
    kernels: tuple[Range, ...]
    fc1: Range
    fc2: Range
    dropout1: Range
    dropout2: Range
    source: str
    raw: dict

    @property
    def size(self) -> int:
        """Exact number of distinct configurations: for each block count, the kernel choices of
        the blocks it uses, multiplied; summed; times the FC and dropout choices."""
        tail = math.prod(getattr(self, name).count for name in SCALARS)
        depth = sum(math.prod(r.count for r in self.kernels[:n]) for n in self.blocks)
        return depth * tail

    def dimensions(self) -> list[dict[str, Any]]:
        """One row a dimension (name, values) for printing; kernels per block position."""
        rows: list[dict[str, Any]] = [{"name": "blocks", "values": list(self.blocks)}]
        for i, rng in enumerate(self.kernels[: max(self.blocks)]):
            used = [n for n in self.blocks if n > i]
            rows.append({"name": f"K{i + 1}", "values": rng.values(), "used_with_blocks": used})
        rows += [{"name": name, "values": getattr(self, name).values()} for name in SCALARS]
        return rows

    def iter_configs(self) -> Iterator[dict[str, Any]]:
        """Every configuration (for tiny spaces and tests; the default has ~16 million)."""
        scalars = [getattr(self, name).values() for name in SCALARS]
        for n in self.blocks:
            kernel_grids = [r.values() for r in self.kernels[:n]]
            for kernels in itertools.product(*kernel_grids):
                for fc1, fc2, d1, d2 in itertools.product(*scalars):
                    yield make_config(n, kernels, fc1, fc2, d1, d2)

    def hyperopt_space(self) -> Any:
        """The Hyperopt expression. Each grid is sampled as an index with hp.quniform, so TPE
        models it as ordered (a kernel count of 24 is near 22, unlike with hp.choice), and
        mapped back to values by `to_config`. The kernels of block positions every depth uses
        are shared dimensions (more observations each); deeper blocks live under an hp.choice
        branch per block count, so TPE sees that K4 exists only in 4-block models."""
        from hyperopt import hp

        def index(label: str, rng: Range) -> Any:
            return hp.quniform(label, -0.5, rng.count - 0.5, 1)

        shared = min(self.blocks)
        branches = [
            {"blocks": n,
             "extra": [index(f"K{i + 1}_of_{n}_blocks", self.kernels[i]) for i in range(shared, n)]}
            for n in self.blocks
        ]
        expr = {name: index(name, getattr(self, name)) for name in SCALARS}
        expr["depth"] = hp.choice("blocks", branches)
        expr["shared"] = [index(f"K{i + 1}", self.kernels[i]) for i in range(shared)]
        return expr

    def to_config(self, point: dict[str, Any]) -> dict[str, Any]:
        """A point of `hyperopt_space` (as fmin passes it, or from hyperopt.space_eval) -> a
        model configuration of ints and 2-decimal dropouts."""
        def pick(rng: Range, idx: float) -> float:
            return rng.value(min(max(round(idx), 0), rng.count - 1))

        n = int(point["depth"]["blocks"])
        idxs = list(point["shared"]) + list(point["depth"]["extra"])
        kernels = [pick(self.kernels[i], v) for i, v in enumerate(idxs)]
        scalars = [pick(getattr(self, name), point[name]) for name in SCALARS]
        return make_config(n, kernels, *scalars)

    def to_vals(self, config: dict[str, Any]) -> dict[str, list[float]]:
        """The inverse of `to_config`: the Hyperopt sample (one value per label, [] for the
        labels of the other block-count branches) that gives `config`, so a search can be
        rebuilt from configurations stored as plain JSON. ValueError when `config` is not a
        configuration of this space."""
        blocks = config.get("blocks")
        if not _is_int(blocks) or blocks not in self.blocks:
            raise ValueError(f"blocks {blocks!r} is not one of {list(self.blocks)}")
        kernels = config.get("kernels")
        if not isinstance(kernels, list) or len(kernels) != blocks:
            raise ValueError(f"kernels {kernels!r} is not a list of {blocks} widths")
        shared = min(self.blocks)
        vals: dict[str, list[float]] = {"blocks": [self.blocks.index(blocks)]}
        for n in self.blocks:
            for i in range(shared, n):
                vals[f"K{i + 1}_of_{n}_blocks"] = []
        for i, width in enumerate(kernels):
            label = f"K{i + 1}" if i < shared else f"K{i + 1}_of_{blocks}_blocks"
            vals[label] = [_grid_index(self.kernels[i], width, f"kernels[{i}]")]
        for name in SCALARS:
            vals[name] = [_grid_index(getattr(self, name), config.get(name), name)]
        return vals


def _grid_index(rng: Range, value: Any, name: str) -> float:
    """The grid index of `value` as the float Hyperopt's quniform yields; ValueError off-grid."""
    if not _is_number(value):
        raise ValueError(f"{name} {value!r} is not a number")
    index = round((value - rng.min) / rng.step)
    if not 0 <= index < rng.count or rng.value(index) != value:
        raise ValueError(f"{name} {value!r} is not on the grid {rng.min}..{rng.max} step "
                         f"{rng.step}")
    return float(index)


def make_config(blocks: int, kernels: Any, fc1: float, fc2: float,
                dropout1: float, dropout2: float) -> dict[str, Any]:
    """The model configuration dict every consumer takes (see build_model)."""
    # Dropouts are rounded to 4 places only to shed float noise; the grid itself is exact.
    return {"blocks": int(blocks), "kernels": [int(k) for k in kernels], "fc1": int(fc1),
            "fc2": int(fc2), "dropout1": round(float(dropout1), 4),
            "dropout2": round(float(dropout2), 4)}


def load_space(path: str | Path | None = None) -> SearchSpace:
    """Read and check a space file (default fer_edge_search/space.json); bad files -> UserInputError
    naming the file and the field."""
    file = Path(path) if path is not None else DEFAULT_SPACE_PATH
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserInputError(file, "no such space file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(file, f"cannot read space file: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UserInputError(file, f"not valid JSON: {exc}") from None
    return parse_space(raw, str(file))


def parse_space(raw: Any, source: str) -> SearchSpace:
    """Check a space dict; every problem names `source` and the field."""
    if not isinstance(raw, dict):
        raise UserInputError(source, "a space file must hold a JSON object")
    version = raw.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise UserInputError(source, f"schema_version {version!r} unknown (this reads "
                                     f"{SCHEMA_VERSION})")
    blocks = _parse_blocks(raw.get("blocks"), source)
    kernels = raw.get("kernels")
    if not isinstance(kernels, list) or len(kernels) < max(blocks):
        have = len(kernels) if isinstance(kernels, list) else 0
        raise UserInputError(source, f"kernels: needs one range per block position up to "
                                     f"{max(blocks)} blocks, found {have}")
    kernel_ranges = tuple(_parse_range(k, f"kernels[{i}]", source, integer=True)
                          for i, k in enumerate(kernels))
    fc = {name: _parse_range(raw.get(name), name, source, integer=True) for name in ("fc1", "fc2")}
    drops = {name: _parse_range(raw.get(name), name, source, integer=False)
             for name in ("dropout1", "dropout2")}
    for name, rng in drops.items():
        if not (rng.min >= 0 and rng.max < 1):
            raise UserInputError(source, f"{name}: dropout must lie in [0, 1), got "
                                         f"{rng.min}..{rng.max}")
    return SearchSpace(blocks=blocks, kernels=kernel_ranges, source=source, raw=raw,
                       **fc, **drops)


def _parse_blocks(value: Any, source: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise UserInputError(source, "blocks: needs a non-empty list of block counts, "
                                     "e.g. [2, 3, 4]")
    if not all(_is_int(v) and v >= 1 for v in value):
        raise UserInputError(source, f"blocks: block counts must be integers >= 1, got {value}")
    if len(set(value)) != len(value):
        raise UserInputError(source, f"blocks: repeated block count in {value}")
    return tuple(sorted(int(v) for v in value))


def _parse_range(value: Any, field: str, source: str, *, integer: bool) -> Range:
    if not isinstance(value, dict) or not {"min", "max", "step"} <= value.keys():
        raise UserInputError(source, f"{field}: needs an object with min, max and step")
    lo, hi, step = value["min"], value["max"], value["step"]
    kind = _is_int if integer else _is_number
    if not all(kind(v) for v in (lo, hi, step)):
        what = "integers" if integer else "numbers"
        raise UserInputError(source, f"{field}: min, max and step must be {what}")
    if step <= 0:
        raise UserInputError(source, f"{field}: empty range, step must be > 0 (got {step})")
    if lo > hi:
        raise UserInputError(source, f"{field}: empty range, min {lo} > max {hi}")
    if integer and lo < 1:
        raise UserInputError(source, f"{field}: widths must be >= 1 (got min {lo})")
    if integer and hi > MAX_WIDTH:
        raise UserInputError(source, f"{field}: widths must be <= {MAX_WIDTH} (got max {hi})")
    grid = Range(min=lo, max=hi, step=step)
    if (hi - lo) / step >= MAX_GRID_VALUES:
        raise UserInputError(source, f"{field}: {lo}..{hi} step {step} has more than "
                             f"{MAX_GRID_VALUES:,} values (at most that many per dimension)")
    return grid


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
