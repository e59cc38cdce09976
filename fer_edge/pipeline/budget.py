"""How long a demo of given sizes should take: a cost model of each step, for the plan the demo
prints first (and for choosing the default sizes). Pure arithmetic.

The costs were measured on the 2-core x86-64 machine of docs/runtimes.md (quiet, 2026-11-25):
a trial on the default synthetic set (about 980 training images) cost about 1.2 s an epoch
plus 1 s with the training of then; the recipe of docs/training.md costs about 12% more CPU
time a trial (`make bench-trial`, both recipes on the same configurations, on a loaded
machine), hence 1.35 s. A bundle costs about 4 s plus 0.6 s per model and format; the board
suite about 0.6 s to start and 0.1 s per model (Keras: 3 s and 0.7 s), plus the timing itself:
a warm-up of about 0.25 s and the minimum time of timed rounds. Other machines and datasets
scale these; the demo's record (demo.json) holds what each step really took.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fer_edge.pipeline.options import DemoOptions

SYNTHETIC_DEFAULT_N = 1400
# What both baselines cost against one searched model of the default space, each measured as a
# ratio in one run: training epoch (a default demo trained them in 0.41x its 30-trial search's
# time, README "What a trial and the demo cost"; one epoch alone, benchmarks/bench_baselines.py,
# is 8.8x a searched model's), one format's export and check (the export_seconds the bundle
# manifest records), one board's measurement (the suite's timings).
BASELINES_EPOCH_RATIO = 12.3
BASELINES_EXPORT_RATIO = 6.0
BASELINES_SUITE_RATIO = 20.0


@dataclass(frozen=True)
class StepCosts:
    """Seconds per unit of work of each step (defaults: the measured machine)."""

    trial_s: float = 1.0           # build, evaluate and save one trial
    epoch_s: float = 1.35          # one epoch on SYNTHETIC_DEFAULT_N images (70 % train)
    search_start_s: float = 5.0    # TensorFlow import, dataset rendering
    bundle_start_s: float = 4.0
    export_s: float = 0.6          # one model in one format, checked against Keras
    suite_start_s: float = 0.6     # one board suite child process
    suite_model_s: float = 0.1     # load and accuracy on the test set
    warmup_s: float = 0.25         # a warm-up that settles at once: two 0.1 s windows
    keras_start_s: float = 3.0
    keras_model_s: float = 0.7
    report_s: float = 3.0
    # The two Table 4 baselines together (README, "What a trial and the demo cost"): ratios
    # to a searched model measured in the same runs, times the figures above.
    baselines_epoch_s: float = 1.2 * BASELINES_EPOCH_RATIO
    baselines_export_s: float = 0.6 * BASELINES_EXPORT_RATIO
    baselines_suite_s: float = 0.1 * BASELINES_SUITE_RATIO
    baselines_keras_s: float = 0.7 * BASELINES_SUITE_RATIO


def training_scale(data: str) -> float:
    """Epoch cost relative to the default synthetic set: `synthetic:n=N` scales with N; other
    datasets are taken as about that size (their real size is only known once loaded)."""
    match = re.match(r"synthetic:(?:.*,)?n=(\d+)", data)
    return int(match.group(1)) / SYNTHETIC_DEFAULT_N if match else 1.0


def estimate_seconds(opts: DemoOptions, n_formats: int,
                     costs: StepCosts = StepCosts()) -> dict[str, float]:
    """Expected seconds of each stage (stage 3 only where a sensor is named): the worst case
    of the search (every trial runs all its epochs; early stopping makes it shorter)."""
    epoch_s = costs.epoch_s * training_scale(opts.data)
    search = costs.search_start_s + opts.trials * (costs.trial_s + opts.epochs * epoch_s)
    bundle = costs.bundle_start_s + opts.stage1_top * n_formats * costs.export_s
    # Timing a model: its warm-up, then at least min_time_s of rounds (40 rounds of a sub-ms
    # model take far less).
    timing_s = min(costs.warmup_s, opts.max_warmup_s) + opts.min_time_s
    stage2 = 0.0
    for backend in opts.backends:
        start, per_model = ((costs.keras_start_s, costs.keras_model_s) if backend == "keras"
                            else (costs.suite_start_s, costs.suite_model_s))
        stage2 += start + opts.stage1_top * (per_model + timing_s)
    estimate = {"stage 1 search": search}
    if opts.baselines:
        estimate["stage 1 baselines"] = (costs.search_start_s + 2 * costs.trial_s
                                         + opts.epochs * costs.baselines_epoch_s
                                         * training_scale(opts.data))
        bundle += n_formats * costs.baselines_export_s
        stage2 += sum((costs.baselines_keras_s if b == "keras" else costs.baselines_suite_s)
                      + 2 * timing_s for b in opts.backends)
    estimate.update({"stage 1 bundle": bundle, "stage 2": stage2, "report": costs.report_s})
    if opts.power_sensor != "none":
        # The paper's protocol: idle power once per board, then each model for the duration.
        estimate["stage 3"] = len(opts.backends) * (1 + opts.stage2_top) * opts.power_seconds
    return estimate


def describe_estimate(estimate: dict[str, float]) -> str:
    """`about 9 min (stage 1 search 7.5 min, ...)` for the plan line."""
    def fmt(seconds: float) -> str:
        if seconds >= 5400:
            return f"{seconds / 3600:.1f} h"
        return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"

    parts = ", ".join(f"{name} {fmt(s)}" for name, s in estimate.items())
    return f"about {fmt(sum(estimate.values()))} ({parts})"
