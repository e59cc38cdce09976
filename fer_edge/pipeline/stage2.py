"""Stage 2 of the demo: every stage-1 model timed on every backend of this host (each its own
board), merged and ranked by accuracy/latency, and the top N per board cut into the bundles
stage 3 measures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fer_edge.pipeline.console import DemoConsole
from fer_edge.pipeline.measure import BoardRun, measure_board
from fer_edge.pipeline.options import DemoOptions, DemoPaths, device_label
from fer_edge.pipeline.record import DemoRecord
from fer_edge.pipeline.reuse import selection_matches, verified_manifest
from fer_edge_core.errors import UserInputError
from fer_edge_harness.manifest_schema import Manifest
from fer_edge_harness.results_schema import STAGE_LATENCY, Extra

STAGE = STAGE_LATENCY


def measure_all(opts: DemoOptions, paths: DemoPaths, ui: DemoConsole, record: DemoRecord,
                bundle: Path, manifest: dict[str, Any]) -> list[BoardRun]:
    """One suite run per backend, under one progress bar; each board's outcome in a line."""
    runs = []
    with ui.bar("stage 2", len(opts.backends)) as update:
        for backend in opts.backends:
            label = device_label(backend)
            update(f"timing on {label}")
            with record.step("stage 2", f"bench {label}") as step:
                run = measure_board(opts, bundle, manifest[Manifest.BUNDLE_SHA256], backend, label,
                                    STAGE, paths.results(2, label), paths.log(2, label))
                step.reused, step.detail = run.reused, run.describe()
            runs.append(run)
            if run.reused:
                ui.reusing(f"results of {label}: {run.results} ({run.describe()})")
            else:
                ui.say(f"{label}: {run.describe()}",
                       style=None if run.usable and not run.failed else "yellow")
            update(f"timed on {label}", advance=1)
    return runs


def merge(runs: list[BoardRun], out_dir: Path, bundles: list[Path], ui: DemoConsole,
          record: DemoRecord, stage: str) -> Path:
    """Rank the usable boards' results (fer-edge merge); refuse when no board measured any."""
    from fer_edge_merge.ranking import merge_results

    usable = [r.results for r in runs if r.usable]
    if not any(r.measured for r in runs if r.usable):
        failed = "; ".join(f"{r.label}: {r.describe()}" for r in runs)
        raise UserInputError("--backends", f"no board measured any model ({failed})")
    warnings: list[str] = []
    with record.step(stage, "merge") as step:
        merge_results(usable, out_dir, bundles=bundles, warn=warnings.append)
        step.detail = f"{len(usable)} results files"
    if warnings:
        ui.say(f"merge: {len(warnings)} warning(s), listed in {out_dir / 'merge.json'}",
               style="yellow")
    ui.say(f"ranking: {out_dir / 'ranking.json'}")
    return out_dir


def _chosen_ids(ranking_dir: Path, by: str, top: int, baselines: bool) -> dict[str, list[str]]:
    from fer_edge_merge.ranking import read_ranking
    from fer_edge_merge.select import choose_models

    chosen = choose_models(read_ranking(ranking_dir).rows, by, top, baselines)
    return {label: [r[Extra.MODEL_ID] for r in rows] for label, rows in chosen.items()}


def select(ranking_dir: Path, by: str, top: int, parent: Path, out_dir: Path,
           ui: DemoConsole, record: DemoRecord, stage: str,
           baselines: bool = True) -> dict[str, Path]:
    """Per board its top `top` by `by` (and, with `baselines`, its baselines) as a verified
    bundle (fer-edge select); reused when every board's bundle is already there, from this
    parent, of the same models."""
    from fer_edge_merge.select import board_folder_name, select_models

    parent_sha = verified_manifest(parent)[Manifest.BUNDLE_SHA256]  # type: ignore[index]
    chosen = _chosen_ids(ranking_dir, by, top, baselines)
    folders = {label: out_dir / board_folder_name(label) for label in chosen}
    with record.step(stage, f"select top {top} by {by}") as step:
        manifests = {label: verified_manifest(folder) for label, folder in folders.items()}
        if all(m is not None and selection_matches(m, parent_sha, by, top, chosen[label])
               for label, m in manifests.items()):
            ui.reusing(f"selected bundles in {out_dir} ({len(folders)} boards, verified)")
            step.reused = True
            selected = folders
        else:
            selected = select_models(ranking_dir, by, top, parent, out_dir,
                                     warn=lambda _: None, baselines=baselines)
        step.detail = f"{len(selected)} boards"
    for label, folder in sorted(selected.items()):
        ui.say(f"  {label}: {', '.join(chosen[label])} -> {folder}", style="dim")
    return selected


def latency_stage(opts: DemoOptions, paths: DemoPaths, ui: DemoConsole, record: DemoRecord,
                  bundle: Path) -> tuple[list[BoardRun], dict[str, Path]]:
    """Stage 2 whole: measure, rank, select. Returns the board runs and the stage-3 bundles."""
    manifest = verified_manifest(bundle)
    if manifest is None:
        raise UserInputError(bundle, "the stage-1 bundle does not verify")
    n_models = len(manifest[Manifest.MODELS])
    ui.header("Stage 2: latency", f"{n_models} models on {len(opts.backends)} backends, each "
              f"a board ({', '.join(device_label(b) for b in opts.backends)}): batch 1, "
              f"a warm-up until the latency settles, then at least {opts.rounds} timed runs "
              f"and {opts.min_time_s:g} s (latency: their median), accuracy on the test set; "
              f"fitness = accuracy/latency; the top {opts.stage2_top} per board go on.")
    runs = measure_all(opts, paths, ui, record, bundle, manifest)
    ranking = merge(runs, paths.ranking(2), [bundle], ui, record, "stage 2")
    selected = select(ranking, "latency", opts.stage2_top, bundle, paths.selected(2), ui,
                      record, "stage 2")
    return runs, selected
