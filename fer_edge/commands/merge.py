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
        from fer_edge_merge.ranking import merge_results, read_ranking
        from fer_edge_merge.tables import boards, decision_fitness

        path = merge_results(results, out, bundles=bundle or [])
        rows = read_ranking(out).rows
        typer.echo(f"ranking: {path} ({len(rows)} rows, {len(boards(rows))} boards)")
        for label in boards(rows):
            mine = [r for r in rows if r["device_label"] == label]
            name = decision_fitness(mine)
            best = min(mine, key=lambda r: (r[f"rank_{name}"] or 1 << 30, r["model_id"]))
            typer.echo(f"  {label}: best by accuracy/{'PDP' if name == 'pdp' else 'latency'} "
                       f"{best['model_id']} ({best['backend']}) {best[f'fit_{name}']:.2f}")
