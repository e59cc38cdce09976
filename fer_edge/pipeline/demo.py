"""`run_demo`: the whole method on this machine, stage 1 through the report, resumable.

Each stage calls the project's own functions (run_search, write_bundle, run_benchmarks,
merge_results, select_models, write_report); the demo only sequences them, decides what an
earlier run already finished, and tells the user what is happening and where the time goes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fer_edge.pipeline import stage1, stage2, stage3
from fer_edge.pipeline.budget import describe_estimate, estimate_seconds
from fer_edge.pipeline.console import DemoConsole
from fer_edge.pipeline.options import (
    DemoOptions,
    DemoPaths,
    bundle_formats,
    check_options,
    with_overrides,
)
from fer_edge.pipeline.power import decide_power
from fer_edge.pipeline.record import DemoRecord


def board_choices(ranking_dir: Path) -> list[dict[str, Any]]:
    """Per board: its chosen model (fer_edge_merge.decision, the one per-board decision), the
    deciding fitness and how many models it ranked."""
    from fer_edge_merge.decision import board_decisions
    from fer_edge_merge.ranking import read_ranking

    return [{**decision.best, "models": decision.models, "fitness": decision.phrase}
            for decision in board_decisions(read_ranking(ranking_dir).rows) if decision.best]


def write_report(ranking_dir: Path, paths: DemoPaths, ui: DemoConsole,
                 record: DemoRecord) -> Path:
    from fer_edge_merge.report import write_report as report

    ui.header("Report", "the paper's Tables 2-4, Figures 4-7 and per-board Pareto fronts.")
    with record.step("report", "tables and figures") as step:
        index = report(ranking_dir, paths.report)
        step.detail = str(index)
    record.report = str(index)
    record.save()
    return index


def run_demo(out_dir: str | Path, options: DemoOptions | None = None, *,
             show_progress: bool = True, **overrides: Any) -> Path:
    """Run (or resume) the demo in `out_dir`; return the report's index.html.

    `options` (default DemoOptions()) with keyword `overrides` on top, e.g.
    `run_demo("runs/demo", trials=1000, stage1_top=1000, stage2_top=10)`.
    """
    from fer_edge_search.export.registry import plan_formats

    opts = check_options(with_overrides(options or DemoOptions(), **overrides))
    decision = decide_power(opts.power_sensor, opts.power_seconds)  # refuse bad input first
    paths = DemoPaths(Path(out_dir))
    record = DemoRecord(paths.record, opts.as_dict())
    ui = DemoConsole(enabled=show_progress)
    try:
        estimate = estimate_seconds(opts, len(plan_formats(bundle_formats(opts.backends))))
        record.estimate = {k: round(v, 1) for k, v in estimate.items()}
        ui.say(f"fer-edge demo in {paths.root}: expected {describe_estimate(estimate)} on a "
               "quiet 2-core x86-64 machine", style="bold")
        ui.say(decision.message(), style="dim")
        rows = stage1.search(opts, paths, ui, record)
        baselines = stage1.baselines(opts, paths, ui, record)
        bundle = stage1.bundle(opts, paths, ui, record, rows, baselines)
        runs, selected = stage2.latency_stage(opts, paths, ui, record, bundle)
        final = stage3.power_stage(opts, paths, ui, record, decision, runs, selected, bundle)
        ranking = final or paths.ranking(2)
        index = write_report(ranking, paths, ui, record)
        ui.summary(record, board_choices(ranking))
        return index
    finally:
        ui.close()
