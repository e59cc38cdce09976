"""`fer-edge report`: the paper's tables and figures of a ranking as one HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        ranking_dir: Annotated[Path, typer.Argument(help="Folder written by `fer-edge merge`.")],
        out: Annotated[Path, typer.Option(
            "--out", help="Folder for index.html and its PNG figures.")],
    ) -> None:
        """Tables 2-4, Figures 4-7 and per-board Pareto fronts in OUT/index.html."""
        from fer_edge_merge.report import write_report

        typer.echo(f"report: {write_report(ranking_dir, out)}")
