"""Run the board suite for one "board" (one backend of this host) and say how it went.

Each board is one `run_benchmarks` child process; its pytest output goes to a log next to its
results file. A results file that is complete and was measured on the same bundle with the
same settings is reused. A board that fails does not stop the demo: the others still count,
and the summary names the failure and its log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fer_edge.pipeline.options import DemoOptions
from fer_edge.pipeline.reuse import results_match
from fer_edge_core.errors import UserInputError
from fer_edge_harness.results_schema import STAGE_POWER, RunInfo

# pytest exit statuses that still leave a meaningful results file: all measured, some failed,
# nothing to run (every model skipped, e.g. a runtime this machine lacks).
USABLE_EXIT_CODES = (0, 1, 5)


@dataclass
class BoardRun:
    """One board's measurement: where its results are and what they hold."""

    label: str
    backend: str
    results: Path
    log: Path
    exit_code: int | None = None  # None: reused
    measured: int = 0
    failed: int = 0
    skipped: int = 0
    partial: int = 0  # stage 3: power measurements a meter cut short
    usable: bool = False

    @property
    def reused(self) -> bool:
        return self.exit_code is None

    def describe(self) -> str:
        if not self.usable:
            return f"board suite stopped (pytest exit {self.exit_code}); see {self.log}"
        parts = [f"{self.measured} measured"]
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        if self.partial:
            parts.append(f"{self.partial} with partial power")
        return ", ".join(parts) + (" (reused)" if self.reused else "")


def expected_run_info(opts: DemoOptions, bundle_sha256: str, label: str, backend: str,
                      stage: str) -> dict[str, Any]:
    """What the harness records of a run made with these settings (results_schema run info);
    at stage power also the sensor and the durations, so another sensor measures again."""
    from fer_edge_harness.boardstate import cpu_count

    # The harness records the thread count it used: all usable CPUs when none is given.
    expected = {RunInfo.BUNDLE_SHA256: bundle_sha256, RunInfo.DEVICE_LABEL: label,
                RunInfo.STAGE: stage, RunInfo.BACKENDS: [backend], RunInfo.ROUNDS: opts.rounds,
                RunInfo.WARMUP_ROUNDS: opts.warmup_rounds, RunInfo.MIN_TIME_S: opts.min_time_s,
                RunInfo.MAX_WARMUP_S: opts.max_warmup_s,
                RunInfo.THREADS: opts.threads if opts.threads is not None else cpu_count()}
    if stage == STAGE_POWER:
        expected.update({RunInfo.POWER_SENSOR: opts.power_sensor,
                         RunInfo.POWER_SECONDS: float(opts.power_seconds),
                         RunInfo.IDLE_SECONDS: float(opts.power_seconds)})
    return expected


def _count(run: BoardRun) -> BoardRun:
    """Fill the counts from the results file; unusable when it does not parse."""
    from fer_edge_merge.load import read_results_file

    try:
        results = read_results_file(run.results)
    except UserInputError:
        run.usable = False
        return run
    run.usable = True
    run.measured = len(results.measurements)
    run.failed = len(results.run_info.get(RunInfo.FAILURES) or [])
    run.skipped = len(results.run_info.get(RunInfo.SKIPPED) or [])
    run.partial = len(results.run_info.get(RunInfo.PARTIAL) or [])
    return run


def measure_board(opts: DemoOptions, bundle: Path, bundle_sha256: str, backend: str,
                  label: str, stage: str, results: Path, log: Path,
                  extra_args: tuple[str, ...] = ()) -> BoardRun:
    """Time every model of `bundle` on `backend` as board `label` (or reuse the results)."""
    from fer_edge_harness.runner import run_benchmarks

    run = BoardRun(label, backend, results, log)
    if results_match(results, expected_run_info(opts, bundle_sha256, label, backend, stage)):
        return _count(run)
    results.unlink(missing_ok=True)  # a stale file must never pass for this run's
    log.parent.mkdir(parents=True, exist_ok=True)
    run.exit_code = run_benchmarks(bundle, [backend], label, stage, results,
                                   threads=opts.threads, rounds=opts.rounds,
                                   warmup_rounds=opts.warmup_rounds, extra_args=extra_args,
                                   min_time_s=opts.min_time_s, max_warmup_s=opts.max_warmup_s,
                                   log_path=log)
    if run.exit_code not in USABLE_EXIT_CODES or not results.is_file():
        return run
    return _count(run)
