"""What the demo shows while it runs: a header per stage, notes, a progress bar over the board
measurements, and the closing summary tables (rich, on stderr; stdout keeps the report path).

The board suite runs in child processes whose pytest output would scroll the bars away, and the
converters print from C++ straight to descriptor 2; that output goes to a log file instead
(`output_to_log`), and the console writes to its own copy of the terminal's stderr so the
redirect does not swallow it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from fer_edge.pipeline.record import DemoRecord
from fer_edge_harness.results_schema import Extra


def _own_stderr() -> Any:
    """A file on a duplicate of descriptor 2: what the terminal was before any redirect
    (None where stderr is no descriptor, e.g. a notebook: the console then uses stderr)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return None
    sys.stderr.flush()
    return os.fdopen(os.dup(fd), "w", buffering=1, closefd=True)


@contextmanager
def output_to_log(log_path: Path) -> Iterator[None]:
    """Send descriptors 1 and 2 (what child processes inherit, and what native libraries write
    to) to `log_path` for the body."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(log_path, "wb") as log:
        try:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


class DemoConsole:
    """The demo's voice. `enabled=False` (tests, --quiet) keeps it silent."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._file = _own_stderr() if enabled else None
        self.console = Console(file=self._file, stderr=True, quiet=not enabled,
                               highlight=False)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def header(self, title: str, about: str) -> None:
        self.console.rule(f"[bold]{title}")
        self.console.print(about, style="dim")

    def say(self, text: str, style: str | None = None) -> None:
        self.console.print(text, style=style)

    def reusing(self, what: str) -> None:
        self.console.print(f"reusing {what}", style="cyan")

    @contextmanager
    def bar(self, label: str, total: int) -> Iterator[Any]:
        """A progress bar of `total` steps; yields a function `(description, advance)`."""
        columns = (SpinnerColumn(), TextColumn(label), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=self.console, disable=not self.enabled) as progress:
            task = progress.add_task("", total=total)

            def update(description: str, advance: int = 0) -> None:
                progress.update(task, description=description, advance=advance)

            yield update

    def summary(self, record: DemoRecord, boards: Sequence[dict[str, Any]]) -> None:
        """Per board its chosen model; per stage its time."""
        fitness = sorted({b["fitness"] for b in boards})
        decided = Table(title=f"chosen model per board (by {', '.join(fitness)})")
        decided.add_column("board", no_wrap=True)
        for col in ("models", "best", "acc %", "lat ms", "acc/ms", "W", "mJ", "acc/PDP"):
            decided.add_column(col, justify="left" if col == "best" else "right")
        for b in boards:
            decided.add_row(b[Extra.DEVICE_LABEL], str(b["models"]), b[Extra.MODEL_ID],
                            _num(b[Extra.ACCURACY]), _num(b[Extra.LATENCY_MS], 3),
                            _num(b["fit_latency"]), _num(b[Extra.DYNAMIC_POWER_W], 3),
                            _num(b[Extra.ENERGY_MJ], 4), _num(b["fit_pdp"]))
        self.console.print(decided)
        timing = Table(title="time per stage")
        for col in ("stage", "step", "seconds", ""):
            timing.add_column(col, justify="right" if col == "seconds" else "left")
        for step in record.steps:
            timing.add_row(step.stage, step.name, f"{step.seconds:.1f}",
                           "reused" if step.reused else step.detail)
        timing.add_row("total", "", f"{record.total_seconds():.1f}", "")
        self.console.print(timing)


def _num(value: Any, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
