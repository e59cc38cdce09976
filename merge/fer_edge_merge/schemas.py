"""The shape of every file the merge side reads: a board's results file (pytest-benchmark JSON
with fer-edge's fields), and a ranking folder's ranking.json, merge.json and failures.json.

Checked once where each is read (fer_edge_core.jsonfile.validate): a field of the wrong type,
a missing one or a number out of range is one line naming the file and the field. Unknown keys
are allowed everywhere (pytest-benchmark and later fer-edge versions add fields), and every
number must be finite.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fer_edge_harness.results_schema import STAGES

Name = Annotated[str, Field(min_length=1)]
Percent = Annotated[float, Field(ge=0, le=100)]
Positive = Annotated[float, Field(gt=0)]
Stage = Literal[STAGES]  # type: ignore[valid-type]
Rank = Annotated[int, Field(ge=1)]


class Checked(BaseModel):
    """Strict JSON types (no "12" for 12), finite numbers, extra keys kept."""

    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False)


class ExtraInfo(Checked):
    """A benchmark's extra_info: results_schema's required fields, and the optional numbers."""

    model_id: Name
    backend: Name
    device_label: Name
    precision: str
    threads: int | None
    hardware: dict[str, Any]
    stage: Stage
    accuracy: Percent
    n_test: Annotated[int, Field(ge=0)]
    latency_ms: Positive
    bundle_sha256: str
    runtime_versions: dict[str, Any]
    power_sensor: str | None = None
    idle_power_w: float | None = None
    active_power_w: float | None = None
    dynamic_power_w: float | None = None
    power_seconds: float | None = None
    energy_mj: float | None = None
    power: dict[str, Any] | None = None  # the power stage's whole record (status, sensor, ...)


class Stats(Checked):
    stddev: float | None = None


class Benchmark(Checked):
    name: str = ""
    stats: Stats = Stats()
    extra_info: ExtraInfo


class BoardEvent(Checked):
    """A failure or skip the harness recorded."""

    model_id: str | None = None
    backend: str | None = None
    device_label: str | None = None
    reason: str | None = None


class RunInfo(Checked):
    """The harness's top-level "fer_edge" record (results_schema.RUN_INFO_KEY)."""

    schema_version: int = 1
    device_label: str | None = None
    stage: Stage | None = None
    failures: list[BoardEvent] = []
    skipped: list[BoardEvent] = []
    partial: list[BoardEvent] = []  # power measurements a meter cut short
    complete: bool | None = None


class ResultsDocument(Checked):
    """pytest-benchmark's own top-level keys, each benchmark with fer-edge's extra_info."""

    machine_info: dict[str, Any]
    commit_info: dict[str, Any]
    benchmarks: list[Benchmark]
    datetime: str
    version: str
    fer_edge: RunInfo | None = None


class RankingRow(Checked):
    """One row of ranking.json as `fer-edge merge` writes it (ranking.ROW_FIELDS)."""

    device_label: Name
    model_id: Name
    backend: Name
    precision: str
    threads: int | None
    stage: Stage
    accuracy: Percent
    latency_ms: Positive
    dynamic_power_w: float | None
    energy_mj: float | None
    fit_accuracy: float
    fit_latency: float
    fit_pdp: float | None
    rank_accuracy: Rank | None
    rank_latency: Rank | None
    rank_pdp: Rank | None
    config: dict[str, Any] | str | None = None
    partial_run: bool = False


class Source(Checked):
    path: str
    datetime: str
    device_labels: list[str]
    benchmarks: int
    complete: bool | None = None


class MergeInfo(Checked):
    """merge.json: the inputs and warnings of a merge."""

    sources: list[Source] = []
    warnings: list[str] = []


class FailuresFile(Checked):
    """failures.json: what the boards could not run, and power measurements cut short."""

    failures: list[BoardEvent] = []
    skipped: list[BoardEvent] = []
    partial: list[BoardEvent] = []
