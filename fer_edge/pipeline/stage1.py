"""Stage 1 of the demo: the Hyperopt search ranked by accuracy, then the bundle of its top K."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fer_edge.pipeline.console import DemoConsole, output_to_log
from fer_edge.pipeline.options import DemoOptions, DemoPaths, bundle_formats
from fer_edge.pipeline.record import DemoRecord
from fer_edge.pipeline.reuse import stage1_bundle_matches, verified_manifest
from fer_edge_core.errors import UserInputError


def finished_trials(run_dir: Path) -> int:
    """Trials an earlier run already finished in `run_dir` (0 for a new folder)."""
    from fer_edge_search.trial_store import RunStore

    store = RunStore(run_dir)
    if not store.run_json.is_file():
        return 0
    try:
        return sum(1 for record in store.load_records() if record["status"] == "ok")
    except UserInputError:
        return 0  # run_search says what is wrong with the folder


def startup_note(trials: int) -> str:
    """Said when every trial is one of TPE's random start-up draws (a small demo's case)."""
    from fer_edge_search.algorithm import SearchSettings

    startup = SearchSettings().startup_trials
    if trials > startup:
        return ""
    return (f" TPE draws its first {startup} trials at random, so these {trials} are a random "
            "search; a longer search (--trials) lets TPE model the results.")


def search(opts: DemoOptions, paths: DemoPaths, ui: DemoConsole,
           record: DemoRecord) -> list[dict[str, Any]]:
    """Run (or resume) the search to `opts.trials` trials; its top `opts.stage1_top` rows."""
    from fer_edge_search.datasets.base import SplitSpec
    from fer_edge_search.runner import run_search

    epochs = f"{opts.epochs} epoch{'s' * (opts.epochs != 1)}"
    ui.header("Stage 1: search", f"Hyperopt TPE over the VGG-like space: {opts.trials} trials "
              f"of at most {epochs} on {opts.data} ({opts.split} split), fitness = "
              f"validation accuracy; the top {opts.stage1_top} go on to stage 2."
              + startup_note(opts.trials))
    with record.step("stage 1", "search") as step:
        before = finished_trials(paths.run_dir)
        if before >= opts.trials:
            ui.reusing(f"stage-1 search {paths.run_dir} ({before} trials finished)")
            step.reused = True
        rows = run_search(opts.data, SplitSpec(rule=opts.split), opts.trials, opts.epochs,
                          opts.stage1_top, paths.run_dir, seed=opts.seed,
                          show_progress=ui.enabled)
        step.detail = (f"{opts.trials - min(before, opts.trials)} trials run, best val acc "
                       f"{rows[0]['val_accuracy']:.2f}%")
    ui.say(f"best of {opts.trials}: trial {rows[0]['trial_id']}, "
           f"{rows[0]['val_accuracy']:.2f}% validation accuracy")
    return rows


def baselines(opts: DemoOptions, paths: DemoPaths, ui: DemoConsole,
              record: DemoRecord) -> Path | None:
    """Train the Table 4 baselines on the search's data, split, epochs and seed (or keep the
    ones an earlier run trained); None when the demo runs without them."""
    from fer_edge_search.baselines import BASELINES
    from fer_edge_search.baselines.runner import run_baselines
    from fer_edge_search.datasets.base import SplitSpec

    if not opts.baselines:
        return None
    names = ", ".join(BASELINES)
    ui.header("Stage 1: baselines", f"the paper's Table 4 models ({names}) trained on the "
              "search's split with the same recipe, for comparison (never chosen).")
    with record.step("stage 1", "baselines") as step:
        before = [n for n in BASELINES if (paths.baselines / "trials" / n / "result.json")
                  .is_file()]
        step.reused = len(before) == len(BASELINES)
        rows = run_baselines(opts.data, SplitSpec(rule=opts.split), opts.epochs, paths.baselines,
                             seed=opts.seed, show_progress=ui.enabled)
        step.detail = "; ".join(f"{r['trial_id']} val acc {r['val_accuracy']:.2f}%" for r in rows)
    if step.reused:
        ui.reusing(f"baselines {paths.baselines} ({names})")
    return paths.baselines


def _bundle_logger(ui: DemoConsole, update: Any) -> Any:
    """write_bundle's log lines: a model line moves the bar past the model before it; a
    format that did not build is worth a line of its own."""
    seen = [0]

    def log(line: str) -> None:
        if line.startswith("note:"):
            ui.say(line, style="dim")
        elif not line.startswith(" "):
            update(f"exporting {line.split(' ')[0]}", advance=1 if seen[0] else 0)
            seen[0] += 1
        elif any(word in line for word in ("failed", "disagrees", "not-built")):
            ui.say(line, style="yellow")
    return log


def bundle(opts: DemoOptions, paths: DemoPaths, ui: DemoConsole, record: DemoRecord,
           rows: list[dict[str, Any]], baselines_dir: Path | None = None) -> Path:
    """The stage-1 bundle of the top rows (and the baselines) in the formats the backends run;
    reused when an earlier run left a verified one of the same models and formats."""
    from fer_edge_search.baselines import BASELINES
    from fer_edge_search.export.writer import model_id, write_bundle

    formats = bundle_formats(opts.backends)
    ids = [model_id(r) for r in rows[:opts.stage1_top]]
    ids += list(BASELINES) if baselines_dir is not None else []
    with record.step("stage 1", "bundle") as step:
        manifest = verified_manifest(paths.bundle)
        if manifest is not None and stage1_bundle_matches(manifest, ids, formats):
            ui.reusing(f"stage-1 bundle {paths.bundle} ({len(ids)} models, verified)")
            step.reused = True
        else:
            with ui.bar("bundle", len(ids)) as update, output_to_log(paths.bundle_log):
                write_bundle(paths.run_dir, opts.stage1_top, paths.bundle, formats,
                             baselines=baselines_dir, force=True,
                             log=_bundle_logger(ui, update))
                update("done", advance=1)
            ui.say(f"converter output: {paths.bundle_log}", style="dim")
        step.detail = f"{len(ids)} models x {', '.join(formats)}"
    ui.say(f"bundle: {paths.bundle} ({len(ids)} models; formats {', '.join(formats)})")
    return paths.bundle
