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

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fer_edge_core.errors import UserInputError
from fer_edge_harness.results_schema import (
    OPTIONAL_EXTRA_INFO,
    REQUIRED_EXTRA_INFO,
    RESULTS_SCHEMA_VERSION,
    RUN_INFO_KEY,
)

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

    @property
    def key(self) -> MeasurementKey:
        """What makes two measurements the same: (device_label, model_id, backend)."""
        return (self.extra["device_label"], self.extra["model_id"], self.extra["backend"])


@dataclass
class ResultsFile:
    """One board's results file, checked."""

    path: Path
    written: datetime
    measurements: list[Measurement]
    run_info: dict[str, Any]
    machine_info: dict[str, Any]


@dataclass
class LoadedResults:
    """Every file's measurements after duplicates were dropped, plus what went wrong on boards."""

    files: list[ResultsFile]
    measurements: list[Measurement]
    failures: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    partial: list[dict[str, Any]] = field(default_factory=list)  # power measurements cut short


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parse_json(path: Path) -> dict[str, Any]:
    """The file's top-level JSON object, or a UserInputError saying why it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserInputError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(path, f"cannot read it ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserInputError(path, f"not JSON ({exc}): expected a --benchmark-json file") from None
    if not isinstance(data, dict):
        raise UserInputError(path, "not a pytest-benchmark JSON object")
    return data


def _parse_datetime(path: Path, value: Any) -> datetime:
    """pytest-benchmark writes ISO 8601; a naive time is taken as UTC so all compare."""
    try:
        written = datetime.fromisoformat(str(value))
    except ValueError:
        raise UserInputError(path, f"field 'datetime' is not an ISO 8601 time: {value!r}") from None
    return written if written.tzinfo else written.replace(tzinfo=UTC)


def upgrade_run_info(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """The harness's run info (RUN_INFO_KEY) at the current schema; {} for a plain file.

    The one place older result schemas would be brought up to date; a newer one is refused.
    """
    run_info = data.get(RUN_INFO_KEY) or {}
    if not isinstance(run_info, dict):
        raise UserInputError(path, f"field {RUN_INFO_KEY!r} must be an object")
    version = run_info.get("schema_version", RESULTS_SCHEMA_VERSION)
    if version != RESULTS_SCHEMA_VERSION:
        raise UserInputError(path, f"{RUN_INFO_KEY}.schema_version {version!r} is not supported "
                             f"(this fer-edge reads {RESULTS_SCHEMA_VERSION})")
    return run_info


def _check_extra(path: Path, name: str, extra: Any) -> dict[str, Any]:
    """The benchmark's extra_info with every required field present and numbers numeric."""
    where = f"benchmark {name!r}"
    if not isinstance(extra, dict):
        raise UserInputError(path, f"{where} has no extra_info object (not a fer-edge result?)")
    for key in REQUIRED_EXTRA_INFO:
        if key not in extra:
            raise UserInputError(path, f"{where}: extra_info lacks required field {key!r}")
    for key in ("device_label", "model_id", "backend"):
        if not isinstance(extra[key], str) or not extra[key]:
            raise UserInputError(path, f"{where}: extra_info.{key} must be a non-empty string")
    if not _is_number(extra["accuracy"]) or not 0 <= extra["accuracy"] <= 100:
        raise UserInputError(path, f"{where}: extra_info.accuracy must be a percentage 0-100")
    if not _is_number(extra["latency_ms"]) or extra["latency_ms"] <= 0:
        raise UserInputError(path, f"{where}: extra_info.latency_ms must be a positive number")
    checked = {key: extra.get(key) for key in OPTIONAL_EXTRA_INFO}
    checked.update(extra)
    for key in ("dynamic_power_w", "energy_mj"):
        if checked[key] is not None and not _is_number(checked[key]):
            raise UserInputError(path, f"{where}: extra_info.{key} must be a number or null")
    return checked


def read_results_file(path: str | Path) -> ResultsFile:
    """Parse and check one results file; raise UserInputError naming it and what is missing."""
    path = Path(path)
    data = _parse_json(path)
    for key in PYTEST_BENCHMARK_KEYS:
        if key not in data:
            raise UserInputError(path, f"missing field {key!r}: not a pytest-benchmark JSON file")
    if not isinstance(data["benchmarks"], list):
        raise UserInputError(path, "field 'benchmarks' must be a list")
    written = _parse_datetime(path, data["datetime"])
    measurements = []
    for index, bench in enumerate(data["benchmarks"]):
        if not isinstance(bench, dict):
            raise UserInputError(path, f"benchmarks[{index}] is not an object")
        name = str(bench.get("name", f"benchmarks[{index}]"))
        extra = _check_extra(path, name, bench.get("extra_info"))
        stats = bench.get("stats") if isinstance(bench.get("stats"), dict) else {}
        measurements.append(Measurement(path, written, name, extra, stats))
    machine_info = data["machine_info"] if isinstance(data["machine_info"], dict) else {}
    return ResultsFile(path, written, measurements, upgrade_run_info(path, data), machine_info)


def _board_events(results: ResultsFile, kind: str) -> list[dict[str, Any]]:
    """The harness's failures or skips of one file, each with its board and source file."""
    events = results.run_info.get(kind) or []
    if not isinstance(events, list):
        raise UserInputError(results.path, f"field {RUN_INFO_KEY}.{kind} must be a list")
    label = results.run_info.get("device_label")
    out = []
    for event in events:
        if not isinstance(event, dict):
            raise UserInputError(results.path, f"{RUN_INFO_KEY}.{kind}: an entry is not an object")
        row = {"device_label": event.get("device_label", label), "model_id": event.get("model_id"),
               "backend": event.get("backend"), "reason": event.get("reason"),
               "source": str(results.path)}
        out.append(row)
    return out


def _duplicate_warning(earlier: Measurement, later: Measurement) -> str:
    """One line naming the key and both files, so the user sees which measurement counts."""
    label, model_id, backend = later.key
    return (f"warning: {model_id}/{backend} on {label} measured twice: "
            f"{later.source} ({later.written.isoformat()}) replaces "
            f"{earlier.source} ({earlier.written.isoformat()}), the later file wins")


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
    warnings = []
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
        failures=[e for f in ordered for e in _board_events(f, "failures")],
        skipped=[e for f in ordered for e in _board_events(f, "skipped")],
        warnings=warnings,
        partial=[e for f in ordered for e in _board_events(f, "partial")],
    )
