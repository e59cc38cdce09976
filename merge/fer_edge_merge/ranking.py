"""Merge many boards' results into one ranking: fitness and rank of every (board, model, backend).

Ranks are taken within each `device_label` (1 = best), whatever the backend: a label names one
board as the user runs it. A board that runs several backends (a host timing LiteRT, ONNX Runtime
and OpenVINO) should give each its own label (e.g. `host-tflite-int8`) if they are to be ranked
apart; the demo does so. Writes ranking.json (the rows), ranking.csv, ranking.md, failures.json
(what the harness could not run) and merge.json (sources, bundles, warnings).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fer_edge_core.errors import UserInputError
from fer_edge_core.files import ensure_dir, write_atomic, write_json
from fer_edge_core.jsonfile import read_json_file, validate
from fer_edge_core.paths import refuse_overlap
from fer_edge_harness.manifest_schema import Model
from fer_edge_harness.results_schema import Extra, Flag, PowerRecord, RunInfo
from fer_edge_merge import fitness
from fer_edge_merge.configs import BundleIndex, attach_configs
from fer_edge_merge.load import LoadedResults, Measurement, load_results
from fer_edge_merge.render import PARTIAL_NOTE, Table, csv_text, fmt, markdown_table, model_label
from fer_edge_merge.schemas import FailuresFile, MergeInfo, RankingRow
from fer_edge_merge.tables import NO_POWER_NOTE

MERGE_SCHEMA_VERSION = 1
RANKING_JSON, RANKING_CSV, RANKING_MD = "ranking.json", "ranking.csv", "ranking.md"
FAILURES_JSON, MERGE_JSON = "failures.json", "merge.json"
OUTPUT_NAMES = (RANKING_JSON, RANKING_CSV, RANKING_MD, FAILURES_JSON, MERGE_JSON)

# Column order of ranking.json rows and ranking.csv. A column that copies a results field has
# its name (results_schema.Extra), one that copies a manifest model field its name
# (manifest_schema.Model); the others are the merge's own.
ROW_FIELDS = (
    Extra.DEVICE_LABEL, Extra.MODEL_ID, Extra.BACKEND, Extra.PRECISION, Extra.THREADS,
    Extra.STAGE, Extra.ACCURACY, Extra.LATENCY_MS, Extra.DYNAMIC_POWER_W, Extra.ENERGY_MJ,
    "fit_accuracy", "fit_latency", "fit_pdp", "rank_accuracy", "rank_latency", "rank_pdp",
    Extra.N_TEST, "latency_stddev_ms", Extra.POWER_SENSOR, Extra.BUNDLE_SHA256,
    Model.CONFIG, Model.PARAMS, Model.FLOPS, Model.VAL_ACCURACY, "source", "power_status",
    "power_stand_in",
    "partial_run",
    Extra.LATENCY_STATISTIC, Extra.LATENCY_MEAN_MS, Extra.LATENCY_IQR_MS, Extra.LATENCY_CV,
    Extra.ROUNDS, Extra.TIMED_S, Extra.LATENCY_CLOCK, Extra.WALL_LATENCY_MS,
    Extra.FLAGS,
)
# The results fields a row copies as they are (the required ones) or null where absent.
COPIED_FIELDS = (Extra.DEVICE_LABEL, Extra.MODEL_ID, Extra.BACKEND, Extra.PRECISION,
                 Extra.THREADS, Extra.STAGE, Extra.N_TEST, Extra.POWER_SENSOR,
                 Extra.BUNDLE_SHA256)
COPIED_TIMING = (Extra.LATENCY_STATISTIC, Extra.LATENCY_MEAN_MS, Extra.LATENCY_IQR_MS,
                 Extra.LATENCY_CV, Extra.ROUNDS, Extra.TIMED_S, Extra.LATENCY_CLOCK,
                 Extra.WALL_LATENCY_MS)


def warn_stderr(line: str) -> None:
    """Default warning sink: one line on stderr."""
    print(line, file=sys.stderr)


def measurement_row(item: Measurement) -> dict[str, Any]:
    """One ranking row: the measured figures and their three fitness values (ranks come later)."""
    extra = item.extra
    accuracy, latency_ms = extra[Extra.ACCURACY], extra[Extra.LATENCY_MS]
    power_w, energy = extra[Extra.DYNAMIC_POWER_W], extra[Extra.ENERGY_MJ]
    if energy is None:  # a file that gives dynamic power only (hand-made, or from elsewhere)
        energy = fitness.energy_mj(power_w, latency_ms)
    stddev_s = item.stats.get("stddev")
    return {
        **{key: extra[key] for key in COPIED_FIELDS},
        Extra.ACCURACY: accuracy, Extra.LATENCY_MS: latency_ms,
        Extra.DYNAMIC_POWER_W: power_w, Extra.ENERGY_MJ: energy,
        "fit_accuracy": fitness.fit_accuracy(accuracy),
        "fit_latency": fitness.fit_latency(accuracy, latency_ms),
        "fit_pdp": fitness.fit_pdp(accuracy, energy),
        "latency_stddev_ms": stddev_s * 1000.0 if isinstance(stddev_s, int | float) else None,
        "source": str(item.source), **_power_origin(extra.get(Extra.POWER)),
        "partial_run": item.partial_run,
        **{key: extra.get(key) for key in COPIED_TIMING},
        Extra.FLAGS: list(extra.get(Extra.FLAGS) or []),
    }


def flag_names(row: dict[str, Any]) -> str:
    """`wide-dispersion, drift` (empty when the row has no flag)."""
    return ", ".join(str(f.get(Flag.FLAG)) for f in row.get(Extra.FLAGS) or [])


def clock_warnings(rows: list[dict[str, Any]]) -> list[str]:
    """One line per board whose latencies were timed on different clocks (OpenVINO's request
    clock next to other backends' wall clock, docs/latency.md): ranked all the same, and each
    row's wall_latency_ms says what the Python call added. Files from before the clock was
    recorded say nothing and are left out."""
    clocks: dict[str, dict[str, list[str]]] = {}
    for r in rows:
        clock = r.get(Extra.LATENCY_CLOCK)
        if not clock:
            continue
        backends = clocks.setdefault(r[Extra.DEVICE_LABEL], {}).setdefault(clock, [])
        if r[Extra.BACKEND] not in backends:
            backends.append(r[Extra.BACKEND])
    return [f"warning: {board} ranks latencies taken on different clocks ("
            + "; ".join(f"{clock}: {', '.join(names)}" for clock, names in sorted(found.items()))
            + "): a runtime's own clock leaves out the Python call the wall clock holds; "
            "compare wall_latency_ms across backends"
            for board, found in clocks.items() if len(found) > 1]


def flag_warnings(rows: list[dict[str, Any]]) -> list[str]:
    """One line per flagged row: ranked all the same, but not silently."""
    return [f"warning: {r[Extra.MODEL_ID]}/{r[Extra.BACKEND]} on {r[Extra.DEVICE_LABEL]} is "
            f"ranked {r['rank_latency']} by accuracy/latency but its latency is flagged: "
            + "; ".join(f"{f.get(Flag.FLAG)} ({f.get(Flag.REASON)})" for f in r[Extra.FLAGS])
            for r in rows if r.get(Extra.FLAGS)]


def _power_origin(power: Any) -> dict[str, Any]:
    """Whether power was measured, partial or not, and whether a stand-in meter gave it."""
    if not isinstance(power, dict):
        return {"power_status": None, "power_stand_in": None}
    sensor = power.get(PowerRecord.SENSOR)
    sensor = sensor if isinstance(sensor, dict) else {}
    return {"power_status": power.get(PowerRecord.STATUS),
            "power_stand_in": bool(sensor.get("stand_in"))}


def rank_rows(rows: list[dict[str, Any]]) -> None:
    """Set rank_accuracy, rank_latency, rank_pdp in place, within each device_label."""
    boards: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        boards.setdefault(row[Extra.DEVICE_LABEL], []).append(row)
    for board_rows in boards.values():
        for name in fitness.FITNESSES:
            ranks = fitness.competition_ranks([r[f"fit_{name}"] for r in board_rows])
            for row, rank in zip(board_rows, ranks, strict=True):
                row[f"rank_{name}"] = rank


def build_ranking(loaded: LoadedResults, index: BundleIndex,
                  warn: Callable[[str], None]) -> list[dict[str, Any]]:
    """Rows of every kept measurement, ranked, with configurations, ordered board by board."""
    rows = [measurement_row(m) for m in loaded.measurements]
    rank_rows(rows)
    attach_configs(rows, index, warn)
    rows.sort(key=lambda r: (r[Extra.DEVICE_LABEL], r["rank_latency"], r[Extra.MODEL_ID],
                             r[Extra.BACKEND]))
    return [{key: row.get(key) for key in ROW_FIELDS} for row in rows]


def ranking_markdown(rows: list[dict[str, Any]]) -> str:
    """ranking.md: one table of every row, and a line saying whether power was measured."""
    table = Table("ranking", ["board", "model", "backend", "accuracy %", "latency ms", "power W",
                              "acc/lat", "acc/PDP", "rank acc", "rank lat", "rank PDP",
                              "flags"], [])
    for r in rows:
        table.rows.append([r[Extra.DEVICE_LABEL], model_label(r), r[Extra.BACKEND],
                           fmt(r[Extra.ACCURACY]), fmt(r[Extra.LATENCY_MS], 3),
                           fmt(r[Extra.DYNAMIC_POWER_W], 3),
                           fmt(r["fit_latency"]), fmt(r["fit_pdp"]), fmt(r["rank_accuracy"]),
                           fmt(r["rank_latency"]), fmt(r["rank_pdp"]), flag_names(r)])
    power = any(r[Extra.DYNAMIC_POWER_W] is not None for r in rows)
    note = "" if power else f"\nNo power measured on any board ({NO_POWER_NOTE}).\n"
    if any(r.get("partial_run") for r in rows):
        note += f"\n{PARTIAL_NOTE}\n"
    flagged = sum(1 for r in rows if r.get(Extra.FLAGS))
    if flagged:
        note += (f"\n{flagged} of {len(rows)} latencies are flagged (column flags): their "
                 "ranks are not reliable; measure them again on a quiet board.\n")
    return ("# fer-edge ranking\n\nRanks are within each board (1 = best); latency ms is the "
            f"median of the timed rounds.\n{note}\n" + markdown_table(table))


def _sources(loaded: LoadedResults) -> list[dict[str, Any]]:
    """What merge.json records of each input file (oldest first, the order that decided)."""
    return [{
        "path": str(f.path), "datetime": f.written.isoformat(),
        "device_labels": sorted({m.extra[Extra.DEVICE_LABEL] for m in f.measurements}),
        "benchmarks": len(f.measurements), RunInfo.STAGE: f.run_info.get(RunInfo.STAGE),
        RunInfo.COMPLETE: f.run_info.get(RunInfo.COMPLETE),
        RunInfo.BUNDLE_SHA256: f.run_info.get(RunInfo.BUNDLE_SHA256),
        Extra.HARDWARE: f.measurements[0].extra.get(Extra.HARDWARE) if f.measurements else None,
    } for f in loaded.files]


def merge_results(paths: Iterable[str | Path], out_dir: str | Path,
                  bundles: Iterable[str | Path] = (),
                  warn: Callable[[str], None] | None = None) -> Path:
    """Read result files, rank, and write the ranking folder; return DIR/ranking.json.

    `bundles` are bundle folders whose manifests give each model's configuration (for the
    report's Table 3); `warn` receives each warning line (default: stderr).
    """
    warn = warn or warn_stderr
    paths, bundles = list(paths), list(bundles)
    for name in OUTPUT_NAMES:  # never over a results file or into a bundle it reads
        refuse_overlap("--out", Path(out_dir) / name, [*paths, *bundles])
    loaded = load_results(paths)
    for line in loaded.warnings:
        warn(line)
    warnings = list(loaded.warnings)

    def collect(line: str) -> None:
        warnings.append(line)
        warn(line)

    index = BundleIndex(bundles)
    rows = build_ranking(loaded, index, collect)
    for line in clock_warnings(rows) + flag_warnings(rows):
        collect(line)
    out = ensure_dir(out_dir)
    write_json(out / FAILURES_JSON, {RunInfo.FAILURES: loaded.failures,
                                     RunInfo.SKIPPED: loaded.skipped,
                                     RunInfo.PARTIAL: loaded.partial})
    write_json(out / MERGE_JSON, {
        "schema_version": MERGE_SCHEMA_VERSION, "created": datetime.now(UTC).isoformat(),
        "sources": _sources(loaded), "bundles": index.bundles,
        "warnings": warnings,
        "power_measured": any(r[Extra.DYNAMIC_POWER_W] is not None for r in rows),
        "flagged": sum(1 for r in rows if r.get(Extra.FLAGS)),
        "power_stand_in": any(r["power_stand_in"] for r in rows),
    })
    write_atomic(out / RANKING_CSV, csv_text(ROW_FIELDS, rows))
    write_atomic(out / RANKING_MD, ranking_markdown(rows))
    return write_json(out / RANKING_JSON, rows)


@dataclass
class MergedRanking:
    """A ranking folder read back: rows, plus the run info and failures when present."""

    directory: Path
    rows: list[dict[str, Any]]
    info: dict[str, Any]
    failures: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    partial: list[dict[str, Any]] = field(default_factory=list)


def read_ranking(ranking_dir: str | Path) -> MergedRanking:
    """Read DIR/ranking.json (required) and merge.json / failures.json (optional), each checked
    against its schema (schemas.py): a hand-edited or foreign file is one line naming it."""
    directory = Path(ranking_dir)
    path = directory / RANKING_JSON
    if not path.is_file():
        raise UserInputError(path, "no ranking here: run `fer-edge merge ... --out DIR` first")
    rows = read_json_file(path, "the ranking.json `fer-edge merge` writes")
    validate(list[RankingRow], rows, path)
    if not rows:
        raise UserInputError(path, "holds no rows: nothing to select or report")
    info = _optional_file(directory / MERGE_JSON, MergeInfo)
    failures = _optional_file(directory / FAILURES_JSON, FailuresFile)
    return MergedRanking(directory, rows, info, failures.get(RunInfo.FAILURES, []),
                         failures.get(RunInfo.SKIPPED, []), failures.get(RunInfo.PARTIAL, []))


def _optional_file(path: Path, schema: type) -> dict[str, Any]:
    """A checked JSON object, or {} when the file is not there."""
    if not path.exists():
        return {}
    data = read_json_file(path, f"the {path.name} `fer-edge merge` writes")
    if not isinstance(data, dict):
        raise UserInputError(path, f"must be a JSON object, got {type(data).__name__}")
    validate(schema, data, path)
    return data
