"""`fer-edge space`: print the search space (each dimension's values) and its exact size."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def _describe(values: list) -> str:
    """Short form of a grid: all values when few, else first..last with the step."""
    if len(values) <= 8:
        return ", ".join(str(v) for v in values)
    step = round(values[1] - values[0], 6)
    return f"{values[0]}..{values[-1]} step {step}"


def register(app: typer.Typer) -> None:
    @app.command()
    def space(
        space: Annotated[Path | None, typer.Option(
            "--space", help="Space file (JSON); default: the built-in space.json.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Print the search space: each dimension's values and the exact number of configs."""
        from fer_edge_search.space import load_space

        loaded = load_space(space)
        dims = loaded.dimensions()
        if as_json:
            typer.echo(json.dumps({"source": loaded.source, "dimensions": dims,
                                   "size": loaded.size}, indent=2))
            return
        typer.echo(f"space: {loaded.source}")
        for dim in dims:
            used = dim.get("used_with_blocks")
            note = f"  (used with {', '.join(map(str, used))} blocks)" if used else ""
            typer.echo(f"  {dim['name']:<9} {len(dim['values']):>3} values: "
                       f"{_describe(dim['values'])}{note}")
        typer.echo(f"size: {loaded.size:,} configurations")
