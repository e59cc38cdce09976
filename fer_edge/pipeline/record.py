"""OUT/demo.json: the options a demo ran with and every step's time, rewritten after each step.

It is how a user (and the README's "about 10 minutes") learns where the time went, and what a
re-run reused.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fer_edge_core.files import ensure_dir, write_json

RECORD_SCHEMA_VERSION = 1


@dataclass
class Step:
    """One step of the pipeline: its stage, name, seconds, and whether it was reused."""

    stage: str
    name: str
    seconds: float = 0.0
    reused: bool = False
    detail: str = ""


@dataclass
class DemoRecord:
    """What demo.json holds; `save()` writes it atomically."""

    path: Path
    options: dict[str, Any]
    steps: list[Step] = field(default_factory=list)
    estimate: dict[str, float] = field(default_factory=dict)
    stage3: str = ""
    report: str | None = None
    started: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def save(self) -> None:
        ensure_dir(self.path.parent)
        write_json(self.path, {
            "schema_version": RECORD_SCHEMA_VERSION, "started": self.started,
            "options": self.options, "estimate_seconds": self.estimate,
            "stage3": self.stage3, "report": self.report,
            "total_seconds": round(self.total_seconds(), 1),
            "steps": [asdict(s) for s in self.steps]})

    def total_seconds(self) -> float:
        return sum(s.seconds for s in self.steps)

    def stage_seconds(self) -> dict[str, float]:
        """Seconds per stage, in the order stages ran."""
        totals: dict[str, float] = {}
        for step in self.steps:
            totals[step.stage] = totals.get(step.stage, 0.0) + step.seconds
        return totals

    @contextmanager
    def step(self, stage: str, name: str) -> Iterator[Step]:
        """Time the body as one step; it is recorded (and demo.json saved) even if it fails."""
        item = Step(stage, name)
        start = time.perf_counter()
        try:
            yield item
        finally:
            item.seconds = round(time.perf_counter() - start, 2)
            self.steps.append(item)
            self.save()
