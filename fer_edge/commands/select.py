"""`fer-edge select`: the next stage's bundle per board, from a ranking's top models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def select(
        ranking_dir: Annotated[Path, typer.Argument(help="Folder written by `fer-edge merge`.")],
        bundle: Annotated[Path, typer.Option(
            "--bundle", help="The bundle the ranked models come from (the parent).")],
        out: Annotated[Path, typer.Option(
            "--out", help="Folder that receives one bundle per board: OUT/<device_label>/.")],
        by: Annotated[str, typer.Option(
            "--by", help="Fitness to rank by: accuracy, latency (accuracy/latency) or pdp "
            "(accuracy/PDP).")] = "latency",
        top: Annotated[int, typer.Option("--top", help="Searched models kept per board.")] = 10,
        baselines: Annotated[bool, typer.Option(
            "--baselines/--no-baselines", help="Also carry every baseline ranked on the board "
            "(they never take one of the --top places).")] = True,
    ) -> None:
        """Write, per board, a verified bundle of its top models that records its parent."""
        from fer_edge_merge.select import select_models

        written = select_models(ranking_dir, by, top, bundle, out, baselines=baselines)
        for label, path in written.items():
            typer.echo(f"{label}: {path}")
