"""`fer-edge data`: load a dataset spec, split it, and print what was loaded (table or JSON)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

_SHOW_IDS = 24  # subject ids listed per part in the table view (JSON lists them all)


def _table(info: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    parts = info["parts"]
    table = Table(title=f"{info['spec']}: {info['images']} images, {info['subjects']} subjects, "
                  f"{info['split']['rule']} split (seed {info['split']['seed']})")
    table.add_column("class")
    for name in ("all", *parts):
        table.add_column(name, justify="right")
    for cls in info["class_names"]:
        table.add_row(cls, str(info["per_class"][cls]),
                      *(str(p["per_class"][cls]) for p in parts.values()))
    table.add_section()
    table.add_row("images", str(info["images"]), *(str(p["images"]) for p in parts.values()))
    table.add_row("subjects", str(info["subjects"]), *(str(p["subjects"]) for p in parts.values()))
    console = Console()
    console.print(table)
    for name, part in parts.items():
        ids = part.get("subject_ids")
        if ids is not None:
            more = f" ... ({len(ids) - _SHOW_IDS} more)" if len(ids) > _SHOW_IDS else ""
            console.print(f"[bold]{name}[/bold] subjects: {' '.join(ids[:_SHOW_IDS])}{more}",
                          soft_wrap=True)
    note = info["meta"].get("subjects")
    if note:
        console.print(f"note: {note}")


def register(app: typer.Typer) -> None:
    @app.command()
    def data(
        spec: Annotated[str, typer.Argument(
            metavar="SPEC", help="Dataset spec: synthetic[:n=1400,identities=70,seed=0], ck+:PATH, "
                 "folder:PATH or fer2013:PATH.")] = "synthetic",
        split: Annotated[str, typer.Option(
            metavar="subject|random",
            help="subject (no subject in two parts) or random (stratified by class).")
        ] = "subject",
        train: Annotated[float, typer.Option(help="Fraction of images for training.")] = 0.7,
        val: Annotated[float, typer.Option(help="Fraction for validation.")] = 0.15,
        test: Annotated[float, typer.Option(help="Fraction for the test set.")] = 0.15,
        seed: Annotated[int, typer.Option(help="Seed of the split.")] = 0,
        last_frames: Annotated[int, typer.Option(
            help="ck+ only: take the last N frames of each labelled sequence.")] = 1,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")
                           ] = False,
    ) -> None:
        """Load a dataset and print images per class, subjects and the size of each part."""
        from fer_edge_search.datasets import SplitSpec, load_dataset, split_dataset
        from fer_edge_search.datasets.summary import describe

        ds = load_dataset(spec, last_frames=last_frames)
        info = describe(split_dataset(ds, SplitSpec(rule=split, train=train, val=val,
                                                    test=test, seed=seed)))
        if as_json:
            typer.echo(json.dumps(info, indent=2))
        else:
            _table(info)
