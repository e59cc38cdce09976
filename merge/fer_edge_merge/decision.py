"""The method's answer per board, decided in one place: `fer-edge merge`, the demo's summary and
the report's "final choice" table all call `board_decisions`, so they cannot disagree.

A board is decided among its searched models (baselines, trained or imported, are compared in
Table 4, never chosen): by accuracy/PDP when power was measured there (stage 3), else by
accuracy/latency (stage 2). Ties keep every tied row, best first by model id, so nothing is
hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fer_edge_harness.manifest_schema import Baseline, Model, ModelConfig
from fer_edge_harness.results_schema import Extra
from fer_edge_merge.fitness import FITNESS_TITLES

Row = dict[str, Any]


def is_baseline(row: Row) -> bool:
    """A model to compare with, never to choose: a published architecture trained by
    `fer-edge baselines` (config {"baseline": {"name", ...}}), or an imported model (config
    "external", or an object with an "external" entry)."""
    config = row.get(Model.CONFIG)
    if isinstance(config, str):
        return config == ModelConfig.EXTERNAL
    return isinstance(config, dict) and bool(config.get(ModelConfig.EXTERNAL)
                                             or config.get(ModelConfig.BASELINE))


def baseline_label(config: Any) -> str:
    """How tables name a baseline's configuration: its name, or "external"."""
    entry = config.get(ModelConfig.BASELINE) if isinstance(config, dict) else None
    return str(entry.get(Baseline.NAME)) if isinstance(entry, dict) else ModelConfig.EXTERNAL


def boards(rows: Sequence[Row]) -> list[str]:
    """Device labels in the order they first appear."""
    return list(dict.fromkeys(r[Extra.DEVICE_LABEL] for r in rows))


def board_rows(rows: Sequence[Row], label: str, baselines: bool = False) -> list[Row]:
    """One board's rows: searched models only, or baselines only."""
    return [r for r in rows if r[Extra.DEVICE_LABEL] == label and is_baseline(r) == baselines]


def has_power(rows: Sequence[Row]) -> bool:
    return any(r.get(Extra.DYNAMIC_POWER_W) is not None for r in rows)


def decision_fitness(rows: Sequence[Row]) -> str:
    """The fitness that decides a board: accuracy/PDP with power, else accuracy/latency."""
    return "pdp" if has_power(rows) else "latency"


def best_rows(rows: Sequence[Row], fitness: str) -> list[Row]:
    """The rows of highest fit_<fitness> (all of them when tied, by model id), ignoring
    unmeasured ones."""
    measured = [r for r in rows if r.get(f"fit_{fitness}") is not None]
    if not measured:
        return []
    top = max(r[f"fit_{fitness}"] for r in measured)
    return sorted((r for r in measured if r[f"fit_{fitness}"] == top),
                  key=lambda r: (str(r[Extra.MODEL_ID]), str(r.get(Extra.BACKEND))))


@dataclass(frozen=True)
class BoardDecision:
    """One board's chosen model(s) under its deciding fitness."""

    device_label: str
    fitness: str  # "pdp" or "latency"
    chosen: tuple[Row, ...]  # best first; more than one only on an exact tie
    models: int  # searched models ranked on this board

    @property
    def best(self) -> Row | None:
        return self.chosen[0] if self.chosen else None

    @property
    def stage(self) -> int:
        return 3 if self.fitness == "pdp" else 2

    @property
    def title(self) -> str:
        """"Accuracy/PDP" or "Accuracy/Latency", as the report's tables say it."""
        return FITNESS_TITLES[self.fitness]

    @property
    def phrase(self) -> str:
        """"accuracy/PDP" or "accuracy/latency", as a sentence says it."""
        return "accuracy/PDP" if self.fitness == "pdp" else "accuracy/latency"


def board_decisions(rows: Sequence[Row]) -> list[BoardDecision]:
    """Every board's decision, boards in the order they first appear in the ranking."""
    decisions = []
    for label in boards(rows):
        mine = board_rows(rows, label)
        if not mine:
            continue  # a board that only ran baselines decides nothing
        fitness = decision_fitness(mine)
        decisions.append(BoardDecision(label, fitness, tuple(best_rows(mine, fitness)),
                                       len(mine)))
    return decisions
