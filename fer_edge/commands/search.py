"""`fer-edge search`: stage 1, the Hyperopt TPE search ranked by validation accuracy."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class SplitRule(StrEnum):
    subject = "subject"
    random = "random"


class Algorithm(StrEnum):
    tpe = "tpe"
    random = "random"


def _default(cls: type | None, name: str):
    """A settings dataclass's default, so the command line never restates it; None where the
    search component is not installed (the command then says so when it runs)."""
    return None if cls is None else cls.__dataclass_fields__[name].default


def _settings_classes() -> tuple[type | None, type | None]:
    """(SearchSettings, TrainSettings), or (None, None) in an install without the search
    component (a merge-only laptop), whose other commands must still start."""
    try:
        from fer_edge_search.algorithm import SearchSettings
        from fer_edge_search.train import TrainSettings
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "fer_edge_search":
            raise
        return None, None
    return SearchSettings, TrainSettings


class Engine(StrEnum):
    local = "local"
    ray = "ray"


def _print_top(rows: list[dict], out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"top {len(rows)} by validation accuracy ({out})")
    for col in ("rank", "trial", "config", "params", "MFLOPs", "val acc %", "train s"):
        table.add_column(col, justify="left" if col == "config" else "right")
    for r in rows:
        c = r["config"]
        config = (f"K={c['kernels']} fc={c['fc1']}/{c['fc2']} "
                  f"do={c['dropout1']:.2f}/{c['dropout2']:.2f}")
        table.add_row(str(r["rank"]), str(r["trial_id"]), config, f"{r['params']:,}",
                      f"{r['flops'] / 1e6:.1f}", f"{r['val_accuracy']:.2f}",
                      f"{r['train_seconds']:.1f}")
    Console().print(table)


def register(app: typer.Typer) -> None:
    search_settings, train_settings = _settings_classes()

    @app.command()
    def search(
        out: Annotated[Path, typer.Option("--out", help="Run folder (created; resumed if it "
                                          "holds a run of the same options).")],
        data: Annotated[str, typer.Option("--data", help="Dataset spec: synthetic[:n=..], "
                                          "ck+:PATH, folder:PATH, fer2013:PATH.")] = "synthetic",
        trials: Annotated[int, typer.Option("--trials", min=1, help="Trials in total.")] = 20,
        epochs: Annotated[int, typer.Option("--epochs", min=1, help="Max epochs a trial.")] = 20,
        top: Annotated[int, typer.Option("--top", min=1, help="Models kept in top.json.")] = 10,
        seed: Annotated[int, typer.Option("--seed", min=0, help="Search and training seed.")] = 0,
        split: Annotated[SplitRule, typer.Option("--split", help="subject: no subject in two "
                         "parts; random: stratified (the paper's protocol).")] = SplitRule.subject,
        split_seed: Annotated[int, typer.Option("--split-seed", min=0,
                                                help="Seed of the split.")] = 0,
        space: Annotated[Path | None, typer.Option("--space", help="Space file (JSON); "
                         "default: the built-in space.json.")] = None,
        batch_size: Annotated[int, typer.Option("--batch-size", min=1)] = _default(
            train_settings, "batch_size"),
        patience: Annotated[int, typer.Option("--patience", min=1, help="Epochs without a "
                            "better validation accuracy before stopping.")] = _default(
            train_settings, "patience"),
        learning_rate: Annotated[float, typer.Option("--learning-rate", min=0.0,
                                 help="Adam's peak learning rate (after warm-up; cosine "
                                 "decay to 0 at the last epoch).")] = _default(
            train_settings, "learning_rate"),
        flip: Annotated[bool, typer.Option("--flip/--no-flip", help="Mirror training images "
                        "at random (off by default: on the synthetic data, whose contempt is "
                        "one-sided, it cost 2-3 points; see docs/training.md).")] = _default(
            train_settings, "flip"),
        algorithm: Annotated[Algorithm, typer.Option("--algorithm", help="tpe (the paper's) "
                             "or random (the baseline).")] = Algorithm.tpe,
        startup_trials: Annotated[int, typer.Option("--startup-trials", min=1, help="TPE's "
                                  "random trials before it models the results.")] = _default(
            search_settings, "startup_trials"),
        quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar or table.")] = False,
        engine: Annotated[Engine, typer.Option("--engine", help="local: one trial after "
                          "another here; ray: Ray Tune with ASHA, here or on a cluster (needs "
                          "pip install './search[ray]').")] = Engine.local,
        address: Annotated[str | None, typer.Option("--address", help="Ray: the cluster to "
                           "join (`ray start --head` prints it; auto: the one this machine "
                           "belongs to); default: a Ray runtime on this machine.")] = None,
        workers: Annotated[int | None, typer.Option("--workers", min=1, help="Ray: trials at "
                           "once; default: every CPU / --cpus-per-trial.")] = None,
        cpus_per_trial: Annotated[int, typer.Option("--cpus-per-trial", min=1,
                                  help="Ray: CPUs (TensorFlow threads) per trial.")] = 1,
        grace_epochs: Annotated[int, typer.Option("--grace-epochs", min=1, help="Ray: epochs "
                                "before ASHA's first rung.")] = 1,
        reduction_factor: Annotated[int, typer.Option("--reduction-factor", min=2, help="Ray: "
                                    "ASHA keeps 1 in this many trials at each rung.")] = 3,
        storage: Annotated[str | None, typer.Option("--storage", help="Ray: Tune's storage "
                           "path (shared folder or URI every node reaches); default: OUT/ray.")
                           ] = None,
    ) -> None:
        """Stage 1: Hyperopt TPE search over the space, fitness = validation accuracy.

        Training recipe: He initialisation, inputs standardised on the training pixels (the
        bundle records it), warm-up then cosine learning rate, small random shifts, early
        stopping that waits for slow starters (docs/training.md).

        Each finished trial is saved as it ends (OUT/trials/<id>/model.keras and result.json);
        running the same command again resumes from them. Writes OUT/run.json, OUT/top.json and
        OUT/top.csv (ranked best first). --engine ray runs the trials on Ray Tune with ASHA,
        which stops trials whose validation accuracy lags (status "stopped", not ranked)."""
        from fer_edge_search.algorithm import SearchSettings
        from fer_edge_search.datasets.base import SplitSpec
        from fer_edge_search.runner import run_search

        split_spec = SplitSpec(rule=split.value, seed=split_seed)
        picker = SearchSettings(algorithm.value, startup_trials)
        recipe = {"batch_size": batch_size, "patience": patience, "learning_rate": learning_rate,
                  "flip": flip}
        if engine is Engine.ray:
            from fer_edge_search.raytune.driver import run_ray_search
            from fer_edge_search.raytune.settings import RaySettings

            ray = RaySettings(address=address, workers=workers, cpus_per_trial=cpus_per_trial,
                              grace_epochs=grace_epochs, reduction_factor=reduction_factor,
                              storage=storage)
            rows = run_ray_search(data, split_spec, trials, epochs, top, out, ray, seed=seed,
                                  space_path=space, show_progress=not quiet, search=picker,
                                  **recipe)
        else:
            rows = run_search(data, split_spec, trials, epochs, top, out, seed=seed,
                              space_path=space, show_progress=not quiet, search=picker,
                              **recipe)
        if not quiet:
            _print_top(rows, out)
