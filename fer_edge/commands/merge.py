"""`fer-edge merge`: many boards' result files into one ranking (JSON, CSV, Markdown)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def merge(
        results: Annotated[list[Path], typer.Argument(
            help="pytest-benchmark JSON files written by the board harness.")],
        out: Annotated[Path, typer.Option(
            "--out", help="Folder for ranking.json, ranking.csv, ranking.md, failures.json.")],
        bundle: Annotated[list[Path] | None, typer.Option(
            "--bundle", help="Bundle folder whose manifest gives each model's configuration "
            "(for the report's Table 3); repeatable.")] = None,
    ) -> None:
        """Rank every (board, model, backend) by accuracy, accuracy/latency and accuracy/PDP.

        Ranks are within each device label (1 = best). The same model and backend measured
        twice on one board: the file with the later JSON datetime wins, with a warning.
        """
        from fer_edge_harness.results_schema import Extra
        from fer_edge_merge.decision import board_decisions
        from fer_edge_merge.ranking import merge_results, read_ranking

        path = merge_results(results, out, bundles=bundle or [])
        rows = read_ranking(out).rows
        decisions = board_decisions(rows)
        typer.echo(f"ranking: {path} ({len(rows)} rows, {len(decisions)} boards)")
        for decision in decisions:
            best = decision.best
            if best is None:
                typer.echo(f"  {decision.device_label}: nothing measured to decide on")
                continue
            typer.echo(f"  {decision.device_label}: best by {decision.phrase} "
                       f"{best[Extra.MODEL_ID]} ({best[Extra.BACKEND]}) "
                       f"{best[f'fit_{decision.fitness}']:.2f}")
