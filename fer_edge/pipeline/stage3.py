"""Stage 3 of the demo: each board's stage-2 top N measured with a power sensor and ranked by
accuracy/PDP, or, without a sensor, skipped with the reason said out loud (never made-up watts).
"""

from __future__ import annotations

from pathlib import Path

from fer_edge.pipeline.console import DemoConsole
from fer_edge.pipeline.measure import BoardRun, measure_board
from fer_edge.pipeline.options import DemoOptions, DemoPaths
from fer_edge.pipeline.power import PowerDecision
from fer_edge.pipeline.record import DemoRecord
from fer_edge.pipeline.reuse import verified_manifest
from fer_edge.pipeline.stage2 import merge, select
from fer_edge_harness.manifest_schema import Manifest
from fer_edge_harness.results_schema import STAGE_POWER

STAGE = STAGE_POWER


def measure_power(opts: DemoOptions, paths: DemoPaths, ui: DemoConsole, record: DemoRecord,
                  decision: PowerDecision, selected: dict[str, Path],
                  backends: dict[str, str]) -> list[BoardRun]:
    """Each board's stage-3 bundle on its own backend, with the sensor running."""
    runs = []
    with ui.bar("stage 3", len(selected)) as update:
        for label, bundle in sorted(selected.items()):
            update(f"power on {label}")
            manifest = verified_manifest(bundle) or {}
            with record.step("stage 3", f"power {label}") as step:
                run = measure_board(opts, bundle, manifest.get(Manifest.BUNDLE_SHA256, ""),
                                    backends[label], label, STAGE, paths.results(3, label),
                                    paths.log(3, label), tuple(decision.suite_args()))
                step.reused, step.detail = run.reused, run.describe()
            runs.append(run)
            ui.say(f"{label}: {run.describe()}")
            update(f"measured {label}", advance=1)
    return runs


def power_stage(opts: DemoOptions, paths: DemoPaths, ui: DemoConsole, record: DemoRecord,
                decision: PowerDecision, stage2_runs: list[BoardRun],
                selected: dict[str, Path], bundle: Path) -> Path | None:
    """The ranking folder the report is drawn from: stage 2 and 3 merged (stage-3 measurements
    of a model replace its stage-2 ones, the merge tool's later-file-wins rule), or None when
    stage 3 was skipped and the stage-2 ranking stands."""
    ui.header("Stage 3: power", f"each board's top {opts.stage2_top} by accuracy/latency: "
              f"an idle baseline of {opts.power_seconds} s per board, then each model run "
              f"for {opts.power_seconds} s while the meter samples; fitness = accuracy / "
              "(dynamic power x latency), the best per board is chosen.")
    record.stage3 = decision.message()
    if not decision.runs or decision.stand_in:
        ui.say(decision.message(), style="bold yellow")
    if not decision.runs:
        record.save()
        return None
    backends = {r.label: r.backend for r in stage2_runs}
    runs = measure_power(opts, paths, ui, record, decision, selected, backends)
    ranking = merge([*stage2_runs, *runs], paths.ranking(3), [bundle], ui, record, "stage 3")
    # The final bundle per board: its chosen model alone (baselines were only compared).
    select(ranking, "pdp", 1, bundle, paths.selected(3), ui, record, "stage 3", baselines=False)
    return ranking
