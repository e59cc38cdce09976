"""Read pytest-benchmark JSON result files from the boards, check them, and drop duplicates.

A file is trusted only if it is pytest-benchmark's own JSON (machine_info, commit_info,
benchmarks, datetime, version) and every benchmark carries the fields of
`fer_edge_harness.results_schema` in its extra_info; anything else is a `UserInputError` naming
the file and the missing field. The same (device_label, model_id, backend) measured twice: the
measurement from the file with the later JSON `datetime` wins (files of equal datetime: the one
given later), and a warning names both files. The file datetime, not the argument order, decides
because it is when the board wrote the measurement: `merge results/*.json` sorts by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fer_edge_core.errors import UserInputError
from fer_edge_core.jsonfile import read_json_file, validate
from fer_edge_harness import quality
from fer_edge_harness.results_schema import (
    LATENCY_STATISTIC,
    OPTIONAL_EXTRA_INFO,
    RESULTS_SCHEMA_VERSION,
    RUN_INFO_KEY,
    TIMING_EXTRA_INFO,
    Event,
    Extra,
    Flag,
    RunInfo,
)
from fer_edge_merge.schemas import ResultsDocument

# pytest-benchmark's own top-level keys (its JSON since 3.x).
PYTEST_BENCHMARK_KEYS = ("machine_info", "commit_info", "benchmarks", "datetime", "version")

MeasurementKey = tuple[str, str, str]


@dataclass(frozen=True)
class Measurement:
    """One benchmark of one file: a (model, backend) timed on one board."""

    source: Path
    written: datetime
    name: str
    extra: dict[str, Any]
    stats: dict[str, Any]
    partial_run: bool = False  # from a run cut short (its file's fer_edge.complete is false)

    @property
    def key(self) -> MeasurementKey:
        """What makes two measurements the same: (device_label, model_id, backend)."""
        return (self.extra[Extra.DEVICE_LABEL], self.extra[Extra.MODEL_ID],
                self.extra[Extra.BACKEND])


@dataclass
class ResultsFile:
    """One board's results file, checked."""

    path: Path
    written: datetime
    measurements: list[Measurement]
    run_info: dict[str, Any]
    machine_info: dict[str, Any]

    @property
    def partial_run(self) -> bool:
        """The harness said this run did not finish (killed or interrupted): what it holds
        was measured, but models it was to measure may be missing."""
        return self.run_info.get(RunInfo.COMPLETE) is False


@dataclass
class LoadedResults:
    """Every file's measurements after duplicates were dropped, plus what went wrong on boards."""

    files: list[ResultsFile]
    measurements: list[Measurement]
    failures: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    partial: list[dict[str, Any]] = field(default_factory=list)  # power measurements cut short


def _parse_datetime(path: Path, value: str) -> datetime:
    """pytest-benchmark writes ISO 8601; a naive time is taken as UTC so all compare."""
    try:
        written = datetime.fromisoformat(value)
    except ValueError:
        raise UserInputError(path, f"datetime: not an ISO 8601 time: {value!r}") from None
    return written if written.tzinfo else written.replace(tzinfo=UTC)


def upgrade_run_info(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """The harness's run info (RUN_INFO_KEY) at the current schema; {} for a plain file.

    With upgrade_extra, the one place older result schemas are brought up to date; a newer
    one is refused. A file without the key (not written by the harness) is read as schema 1:
    its figures come from pytest-benchmark's own stats.
    """
    run_info = data.get(RUN_INFO_KEY) or {}
    if not isinstance(run_info, dict):
        raise UserInputError(path, f"field {RUN_INFO_KEY!r} must be an object")
    version = run_info.get(RunInfo.SCHEMA_VERSION, 1)
    if version not in (1, RESULTS_SCHEMA_VERSION):
        raise UserInputError(path, f"{RUN_INFO_KEY}.schema_version {version!r} is not supported "
                             f"(this fer-edge reads 1 and {RESULTS_SCHEMA_VERSION})")
    return {**run_info, RunInfo.SCHEMA_VERSION: RESULTS_SCHEMA_VERSION, "read_as_version": version}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def upgrade_extra(extra: dict[str, Any], stats: dict[str, Any]) -> dict[str, Any]:
    """A schema-1 benchmark's extra_info at schema 2: latency_ms becomes the median of its
    rounds (schema 1 wrote their mean) and the timing fields and flags come from its
    pytest-benchmark stats, so files of both schemas rank on the same statistic."""
    upgraded = dict(extra)
    median_s, mean_s, iqr_s = stats.get("median"), stats.get("mean"), stats.get("iqr")
    if not all(_is_number(v) and v > 0 for v in (median_s, mean_s)) or not _is_number(iqr_s):
        upgraded.update({**dict.fromkeys(TIMING_EXTRA_INFO), Extra.LATENCY_STATISTIC: "mean",
                         Extra.FLAGS: []})
        return upgraded
    stddev = stats.get("stddev")
    data = stats.get("data") if isinstance(stats.get("data"), list) else []
    upgraded.update({
        Extra.LATENCY_MS: median_s * 1000.0, Extra.LATENCY_STATISTIC: LATENCY_STATISTIC,
        Extra.LATENCY_MEAN_MS: mean_s * 1000.0, Extra.LATENCY_IQR_MS: iqr_s * 1000.0,
        Extra.LATENCY_CV: stddev / mean_s if _is_number(stddev) else None,
        Extra.ROUNDS: stats.get("rounds"), Extra.TIMED_S: stats.get("total"),
        Extra.WARMUP_S: None, Extra.WARMUP_SETTLED: None,
        Extra.FLAGS: quality.assess(median_s, iqr_s, data, None,
                                    extra.get(Extra.BOARD_STATE_BEFORE),
                                    extra.get(Extra.BOARD_STATE_AFTER), mean_s=mean_s),
    })
    upgraded.setdefault(Extra.WARMUP_ROUNDS, None)
    return upgraded


def _check_timing(path: Path, name: str, extra: dict[str, Any]) -> dict[str, Any]:
    """A schema-2 benchmark's timing fields: all present, flags a list of {flag, reason}."""
    where = f"benchmark {name!r}"
    for key in TIMING_EXTRA_INFO:
        if key not in extra:
            raise UserInputError(path, f"{where}: extra_info lacks field {key!r} (schema "
                                 f"{RESULTS_SCHEMA_VERSION})")
    flags = extra[Extra.FLAGS]
    if not isinstance(flags, list) or not all(isinstance(f, dict) and Flag.FLAG in f
                                              for f in flags):
        raise UserInputError(path, f"{where}: extra_info.flags must be a list of "
                             "{flag, reason} objects")
    return extra


def _with_optional_fields(extra: dict[str, Any]) -> dict[str, Any]:
    """extra_info with every optional field present (null where the file left it out)."""
    checked = dict.fromkeys(OPTIONAL_EXTRA_INFO)
    checked.update(extra)
    return checked


def read_results_file(path: str | Path) -> ResultsFile:
    """Parse and check one results file (schemas.ResultsDocument: every field the merge reads,
    of its type, finite); raise UserInputError naming the file and the field."""
    path = Path(path)
    data = read_json_file(path, "a --benchmark-json file written by the fer-edge harness")
    if not isinstance(data, dict):
        raise UserInputError(path, "not a pytest-benchmark JSON object")
    for key in PYTEST_BENCHMARK_KEYS:
        if key not in data:
            raise UserInputError(path, f"missing field {key!r}: not a pytest-benchmark JSON file")
    validate(ResultsDocument, data, path)
    written = _parse_datetime(path, data["datetime"])
    run_info = upgrade_run_info(path, data)
    partial_run = run_info.get(RunInfo.COMPLETE) is False
    measurements = []
    for index, bench in enumerate(data["benchmarks"]):
        name = str(bench.get("name") or f"benchmarks[{index}]")
        extra = _with_optional_fields(bench["extra_info"])
        stats = bench.get("stats") or {}
        if run_info["read_as_version"] == 1:
            extra = upgrade_extra(extra, stats)
        else:
            extra = _check_timing(path, name, extra)
        measurements.append(Measurement(path, written, name, extra, stats, partial_run))
    return ResultsFile(path, written, measurements, run_info, data["machine_info"])


def _board_events(results: ResultsFile, kind: str) -> list[dict[str, Any]]:
    """The harness's failures or skips of one file, each with its board and source file."""
    events = results.run_info.get(kind) or []
    label = results.run_info.get(RunInfo.DEVICE_LABEL)
    return [{Event.DEVICE_LABEL: event.get(Event.DEVICE_LABEL, label),
             Event.MODEL_ID: event.get(Event.MODEL_ID), Event.BACKEND: event.get(Event.BACKEND),
             Event.REASON: event.get(Event.REASON), "source": str(results.path)}
            for event in events]


def _duplicate_warning(earlier: Measurement, later: Measurement) -> str:
    """One line naming the key and both files, so the user sees which measurement counts."""
    label, model_id, backend = later.key
    return (f"warning: {model_id}/{backend} on {label} measured twice: "
            f"{later.source} ({later.written.isoformat()}) replaces "
            f"{earlier.source} ({earlier.written.isoformat()}), the later file wins")


def partial_warning(results: ResultsFile) -> str:
    """One line for a results file of a run that did not finish."""
    return (f"warning: {results.path}: partial results: {RUN_INFO_KEY}.complete is false (the "
            f"run was cut short); its {len(results.measurements)} measurement(s) are kept and "
            "marked 'partial run', models it did not reach are missing")


def load_results(paths: list[str | Path]) -> LoadedResults:
    """Read every file, then keep one measurement per (device_label, model_id, backend).

    Files are taken oldest first by their JSON datetime (stable, so equal times keep the order
    given); a later measurement of the same key replaces the earlier one, with a warning.
    """
    if not paths:
        raise UserInputError("RESULTS", "no results files given")
    files = [read_results_file(p) for p in paths]
    ordered = sorted(files, key=lambda f: f.written)
    kept: dict[MeasurementKey, Measurement] = {}
    warnings = [partial_warning(f) for f in files if f.partial_run]
    for results in ordered:
        for item in results.measurements:
            earlier = kept.pop(item.key, None)
            if earlier is not None:
                warnings.append(_duplicate_warning(earlier, item))
            kept[item.key] = item
    if not kept:
        raise UserInputError(", ".join(str(p) for p in paths), "no benchmark in any of these files")
    return LoadedResults(
        files=ordered,
        measurements=list(kept.values()),
        failures=[e for f in ordered for e in _board_events(f, RunInfo.FAILURES)],
        skipped=[e for f in ordered for e in _board_events(f, RunInfo.SKIPPED)],
        warnings=warnings,
        partial=[e for f in ordered for e in _board_events(f, RunInfo.PARTIAL)],
    )
