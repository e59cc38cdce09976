"""`fer-edge search`: stage 1, the Hyperopt TPE search ranked by validation accuracy."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class SplitRule(StrEnum):
    subject = "subject"
    random = "random"


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
        batch_size: Annotated[int, typer.Option("--batch-size", min=1)] = 32,
        patience: Annotated[int, typer.Option("--patience", min=1, help="Epochs without a "
                            "better validation accuracy before stopping.")] = 5,
        learning_rate: Annotated[float, typer.Option("--learning-rate", min=0.0,
                                 help="Adam's learning rate.")] = 3e-4,
        quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar or table.")] = False,
    ) -> None:
        """Stage 1: Hyperopt TPE search over the space, fitness = validation accuracy.

        Each finished trial is saved before the next starts (OUT/trials/<id>/model.keras and
        result.json); running the same command again resumes from them. Writes
        OUT/run.json, OUT/top.json and OUT/top.csv (ranked best first)."""
        from fer_edge_search.datasets.base import SplitSpec
        from fer_edge_search.runner import run_search

        rows = run_search(data, SplitSpec(rule=split.value, seed=split_seed), trials, epochs,
                          top, out, seed=seed, space_path=space, show_progress=not quiet,
                          batch_size=batch_size, patience=patience,
                          learning_rate=learning_rate)
        if not quiet:
            _print_top(rows, out)
