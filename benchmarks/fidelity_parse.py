"""Fidelity benchmark, the pure half: read each tool's numbers, pool the repeats, write the tables.

Kept apart from the runner (benchmarks/fidelity.py) so tests/test_fidelity_parse.py can check the
parsing and the arithmetic against literal tool output without running any runtime.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from fer_edge_harness.results_schema import RUN_INFO_KEY, Event, Extra, RunInfo

TOLERANCE = 0.10  # issue 4: the harness's median within 10% of the native tool's
MB = 1024 * 1024  # litert-benchmark's "MB" (input bytes / 2**20)

# OpenVINO's precision names (as benchmark_app prints them) -> the harness's names.
_PRECISIONS = {"float32": "fp32", "f32": "fp32", "float16": "fp16", "f16": "fp16",
               "bfloat16": "bf16", "bf16": "bf16"}


@dataclass(frozen=True)
class Timing:
    """One tool's figures for one artifact in one run. `*_halfwidth_us` is how far the true value
    can be from the reported one because the tool rounds what it prints (0 when exact)."""

    median_us: float
    mean_us: float
    threads: int | None
    precision: str | None
    median_halfwidth_us: float = 0.0
    mean_halfwidth_us: float = 0.0
    rounds: int | None = None  # timed calls
    timed_s: float | None = None  # seconds of timed calls
    warmup_calls: int | None = None
    warmup_s: float | None = None
    clock: str | None = None  # the harness's latency_clock: "wall" or the runtime's own
    wall_median_us: float | None = None  # the harness's wall-clock median of the same rounds


def ran_for(timing: Timing) -> str:
    """How long a side ran: `0.20 s warm-up (870 calls) + 1.02 s timed (4693 rounds)`."""
    parts = []
    if timing.warmup_calls is not None:
        seconds = "" if timing.warmup_s is None else f"{timing.warmup_s:.2f} s "
        parts.append(f"{seconds}warm-up ({timing.warmup_calls} calls)")
    if timing.rounds is not None:
        seconds = "" if timing.timed_s is None else f"{timing.timed_s:.2f} s "
        parts.append(f"{seconds}timed ({timing.rounds} rounds)")
    return " + ".join(parts) or "?"


@dataclass(frozen=True)
class Pooled:
    """A (model, backend) over all repeats. Latencies: the median of each side's per-run
    figures. Ratios: the median of the per-pair ratios, since the two runs of a pair shared the
    machine's state; `ratio_low`/`ratio_high` bound it given the native tool's rounding."""

    harness_median_us: float
    native_median_us: float
    harness_mean_us: float
    native_mean_us: float
    ratio: float
    ratio_low: float
    ratio_high: float
    mean_ratio: float
    fastest_ratio: float  # min over repeats of the harness's median / the same of the native's
    ratios: tuple[float, ...]  # harness / native median of each pair, in run order
    settings_differ: str  # "" when threads and precision agree, else what differs
    harness_spread: float = 1.0  # the harness's slowest run's median / its fastest's
    native_spread: float = 1.0  # the same of the native tool: how far it agrees with itself
    harness_clock: str = "?"  # what timed the harness's rounds (its latency_clock)
    harness_wall_median_us: float | None = None  # median over runs of its wall-clock medians


def _latency_us(value: str, unit: str) -> float:
    return float(value) * (1000.0 if unit == "ms" else 1.0)


def _printed_halfwidth_us(value: str, unit: str) -> float:
    """Half of the last printed digit, in microseconds ("188.46 us" -> 0.005)."""
    decimals = len(value.split(".")[1]) if "." in value else 0
    return _latency_us(f"0.5e-{decimals}", unit)


def precision_name(text: str) -> str:
    """`<Type: 'float32'>`, `f32`, `bf16`... -> fp32 / fp16 / bf16 (unknown names unchanged)."""
    match = re.search(r"'(\w+)'", text)
    name = (match.group(1) if match else text).strip().lower()
    return _PRECISIONS.get(name, name)


def parse_benchmark_app(log: str) -> Timing:
    """OpenVINO benchmark_app's console log -> its median and average latency (`Median:
    188.46 us`, or ms above 1 ms) and the threads and precision the compiled model reports."""
    found = {}
    for label in ("Median", "Average"):
        match = re.search(rf"^\[ INFO \]\s+{label}:\s+([\d.]+)\s*(us|ms)\s*$", log,
                          re.MULTILINE)
        if match is None:
            raise ValueError(f"benchmark_app printed no '{label}:' latency")
        found[label] = match.groups()
    threads = re.search(r"^\[ INFO \]\s+INFERENCE_NUM_THREADS:\s*(\d+)", log, re.MULTILINE)
    count = re.search(r"^\[ INFO \]\s+Count:\s+(\d+) iterations", log, re.MULTILINE)
    duration = re.search(r"^\[ INFO \]\s+Duration:\s+([\d.]+) ms", log, re.MULTILINE)
    first = re.search(r"^\[ INFO \]\s+First inference took ([\d.]+) ms", log, re.MULTILINE)
    precision = re.search(r"^\[ INFO \]\s+INFERENCE_PRECISION_HINT:\s*(.+)$", log, re.MULTILINE)
    return Timing(
        median_us=_latency_us(*found["Median"]), mean_us=_latency_us(*found["Average"]),
        threads=int(threads.group(1)) if threads else None,
        precision=precision_name(precision.group(1)) if precision else None,
        median_halfwidth_us=_printed_halfwidth_us(*found["Median"]),
        mean_halfwidth_us=_printed_halfwidth_us(*found["Average"]),
        rounds=int(count.group(1)) if count else None,
        timed_s=float(duration.group(1)) / 1000.0 if duration else None,
        warmup_calls=1 if first else None,
        warmup_s=float(first.group(1)) / 1000.0 if first else None)


def _looks_rounded(value_ms: float) -> bool:
    """True when a litert-benchmark figure sits on the 0.01 ms grid its CLI rounds to (an
    unrounded median or mean of float timings practically never does)."""
    return abs(value_ms * 100.0 - round(value_ms * 100.0)) < 1e-6


def parse_litert(report: dict, input_bytes: int, precision: str | None = None) -> Timing:
    """litert-benchmark's --result_json -> Timing. The shipped CLI rounds `latency.median_ms`
    and `avg_ms` to 0.01 ms; a rounded median keeps a +-5 us halfwidth, and a rounded mean is
    recovered from `throughput_mb_s` (input MB / the unrounded mean, itself rounded to
    0.01 MB/s), far more precisely than `avg_ms` gives it."""
    latency = report["latency"]
    median_ms, mean_ms = float(latency["median_ms"]), float(latency["avg_ms"])
    mean_us, mean_halfwidth_us = mean_ms * 1000.0, 0.0
    if _looks_rounded(mean_ms):
        throughput = float(report["throughput_mb_s"])
        if throughput <= 0:
            raise ValueError("litert-benchmark reported no throughput")
        megabytes = input_bytes / MB
        mean_us = megabytes / throughput * 1e6
        # throughput is within +-0.005 MB/s of the truth: the wider side of the mean's interval.
        mean_halfwidth_us = megabytes / max(throughput - 0.005, 1e-9) * 1e6 - mean_us
    runs = latency.get("num_runs")
    return Timing(median_us=median_ms * 1000.0, mean_us=mean_us,
                  threads=int(report["num_threads"]), precision=precision,
                  median_halfwidth_us=5.0 if _looks_rounded(median_ms) else 0.0,
                  mean_halfwidth_us=mean_halfwidth_us,
                  rounds=runs, timed_s=None if runs is None else runs * mean_us / 1e6,
                  warmup_calls=latency.get("num_warmup_runs"))


def parse_harness(report: dict, model_id: str, backend: str) -> tuple[Timing, str]:
    """The harness's pytest-benchmark JSON -> (Timing of the (model, backend) benchmark, the
    sha256 of the artifact it timed). stats are in seconds; median and mean of the rounds."""
    for bench in report.get("benchmarks", []):
        info = bench.get("extra_info", {})
        if info.get(Extra.MODEL_ID) == model_id and info.get(Extra.BACKEND) == backend:
            stats = bench["stats"]
            timing = Timing(median_us=stats["median"] * 1e6, mean_us=stats["mean"] * 1e6,
                            threads=info.get(Extra.THREADS), precision=info.get(Extra.PRECISION),
                            rounds=stats.get("rounds"), timed_s=stats.get("total"),
                            warmup_calls=info.get(Extra.WARMUP_ROUNDS),
                            warmup_s=info.get(Extra.WARMUP_S),
                            clock=info.get(Extra.LATENCY_CLOCK),
                            wall_median_us=_us_or_none(info.get(Extra.WALL_LATENCY_MS)))
            return timing, str(info.get(Extra.ARTIFACT_SHA256, ""))
    run_info = report.get(RUN_INFO_KEY, {})
    failures = run_info.get(RunInfo.FAILURES, []) + run_info.get(RunInfo.SKIPPED, [])
    raise ValueError("the harness did not time {} on {}: {}".format(
        model_id, backend, "; ".join(f.get(Event.REASON, "?") for f in failures)
        or "no benchmark"))


def _us_or_none(ms: float | None) -> float | None:
    return None if ms is None else ms * 1000.0


def settings_difference(harness: Timing, native: Timing) -> str:
    """What the two sides were told differently ("" when threads and precision agree)."""
    problems = []
    if native.threads is not None and harness.threads != native.threads:
        problems.append(f"threads {harness.threads} vs {native.threads}")
    if native.precision is not None and harness.precision != native.precision:
        problems.append(f"precision {harness.precision} vs {native.precision}")
    return ", ".join(problems)


def spread(medians) -> float:
    """Slowest over fastest of one side's per-run medians: a tool whose own runs differ by
    more than the tolerance cannot be matched within it on every run."""
    values = list(medians)
    return max(values) / min(values)


def pool(pairs: list[tuple[Timing, Timing]]) -> Pooled:
    """Pool the repeats of one (model, backend) (see Pooled)."""
    if not pairs:
        raise ValueError("no runs to pool")
    harness = [h for h, _ in pairs]
    native = [n for _, n in pairs]
    differences = sorted({settings_difference(h, n) for h, n in pairs} - {""})
    walls = [t.wall_median_us for t in harness if t.wall_median_us is not None]
    median = statistics.median
    return Pooled(
        harness_median_us=median(t.median_us for t in harness),
        native_median_us=median(t.median_us for t in native),
        harness_mean_us=median(t.mean_us for t in harness),
        native_mean_us=median(t.mean_us for t in native),
        ratio=median(h.median_us / n.median_us for h, n in pairs),
        # The median is monotone, so the per-pair bounds' medians bound the median ratio.
        ratio_low=median(h.median_us / (n.median_us + n.median_halfwidth_us) for h, n in pairs),
        ratio_high=median(h.median_us / max(n.median_us - n.median_halfwidth_us, 1e-9)
                          for h, n in pairs),
        mean_ratio=median(h.mean_us / n.mean_us for h, n in pairs),
        # Other jobs only ever add time: each side's fastest run is its quiet-machine figure.
        fastest_ratio=min(t.median_us for t in harness) / min(t.median_us for t in native),
        ratios=tuple(h.median_us / n.median_us for h, n in pairs),
        settings_differ="; ".join(differences),
        harness_spread=spread(t.median_us for t in harness),
        native_spread=spread(t.median_us for t in native),
        harness_clock=" / ".join(sorted({t.clock or "?" for t in harness})),
        harness_wall_median_us=median(walls) if walls else None)


def verdict(pooled: Pooled, tolerance: float = TOLERANCE) -> str:
    """yes / NO, or "undecided" when the native tool's rounding alone could flip the answer;
    a run whose two sides were not set alike is no comparison at all."""
    if pooled.settings_differ:
        return f"NO (settings differ: {pooled.settings_differ})"
    inside = [abs(r - 1.0) <= tolerance
              for r in (pooled.ratio_low, pooled.ratio, pooled.ratio_high)]
    if all(inside):
        return "yes"
    if not any(inside):
        return "NO"
    return "undecided at the tool's resolution"


def fmt_us(value: float, halfwidth: float = 0.0) -> str:
    """Microseconds to one decimal, with the tool's rounding when it is coarser than that."""
    text = f"{value:.1f}"
    return text + (f" ±{halfwidth:.3g}" if halfwidth >= 0.05 else "")


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub Markdown table; numeric-looking columns right-aligned."""
    def numeric(column: int) -> bool:
        cells = [r[column] for r in rows if r[column] not in ("", "-")]
        return bool(cells) and all(re.match(r"^[\d.±+ x-]+$", c) for c in cells)
    align = ["---:" if numeric(i) else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


SUMMARY_HEADER = [
    "model", "MFLOP", "backend / native tool", "threads", "precision",
    "harness median (us)", "harness clock", "harness wall-clock median (us)",
    "native median (us)", "ratio harness/native (median of pair ratios)",
    "within 10%?", "ratio of fastest runs' medians", "harness mean (us)", "native mean (us)",
    "ratio of means", "per-pair median ratios", "spread of the harness's runs (max/min)",
    "spread of the native tool's runs (max/min)", "harness ran (each run)",
    "native tool ran (each run)"]


def summary_row(model_id: str, mflop: float, backend: str, tool: str, threads: int,
                precision: str, pooled: Pooled, halfwidth: float,
                ran: tuple[str, str] = ("?", "?")) -> list[str]:
    """One line of the summary table (see SUMMARY_HEADER); `halfwidth`: the native tool's
    rounding of its median; `ran`: how long each side ran in one run (ran_for)."""
    return [model_id, f"{mflop:.1f}", f"{backend} / {tool}", str(threads),
            precision, fmt_us(pooled.harness_median_us), pooled.harness_clock,
            "-" if pooled.harness_wall_median_us is None
            else fmt_us(pooled.harness_wall_median_us),
            fmt_us(pooled.native_median_us, halfwidth),
            f"{pooled.ratio:.3f}", verdict(pooled), f"{pooled.fastest_ratio:.3f}",
            fmt_us(pooled.harness_mean_us),
            fmt_us(pooled.native_mean_us), f"{pooled.mean_ratio:.3f}",
            " ".join(f"{r:.2f}" for r in pooled.ratios), f"{pooled.harness_spread:.2f}",
            f"{pooled.native_spread:.2f}", *ran]

