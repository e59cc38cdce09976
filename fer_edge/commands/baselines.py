"""`fer-edge baselines`: train the paper's Table 4 baselines on a search run's split and recipe."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from fer_edge.commands.search import SplitRule
from fer_edge_core.errors import UserInputError

# Defaults when neither the option nor --like gives them: `fer-edge search`'s own.
DEFAULTS = {"data_spec": "synthetic", "epochs": 20, "seed": 0, "rule": "subject",
            "split_seed": 0}
FLAGS = {"data_spec": "--data", "epochs": "--epochs", "seed": "--seed", "rule": "--split",
         "split_seed": "--split-seed"}


def _print_rows(rows: list[dict[str, Any]], out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"baselines ({out})")
    for col in ("baseline", "params", "MFLOPs", "val acc %", "epochs", "train s"):
        table.add_column(col, justify="left" if col == "baseline" else "right")
    for r in rows:
        table.add_row(str(r["trial_id"]), f"{r['params']:,}", f"{r['flops'] / 1e6:.1f}",
                      f"{r['val_accuracy']:.2f}", str(r["epochs_run"]),
                      f"{r['train_seconds']:.1f}")
    Console().print(table)


def _options(like: Path | None, given: dict[str, Any]) -> dict[str, Any]:
    """run_baselines' keyword arguments: from --like's run, or from the options and defaults."""
    from fer_edge_search.baselines.runner import options_like
    from fer_edge_search.datasets.base import SplitSpec

    if like is not None:
        clash = [FLAGS[k] for k, v in given.items() if v is not None]
        if clash:
            raise UserInputError("--like", "takes the data, split, epochs, seed and recipe "
                                 f"from {like}; leave out {', '.join(clash)}")
        return options_like(like)
    value = {k: DEFAULTS[k] if v is None else v for k, v in given.items()}
    return {"data_spec": value["data_spec"], "epochs": value["epochs"], "seed": value["seed"],
            "split": SplitSpec(rule=str(value["rule"]), seed=value["split_seed"])}


def register(app: typer.Typer) -> None:
    @app.command()
    def baselines(
        out: Annotated[Path, typer.Option("--out", help="Run folder (created; a finished "
                                          "baseline in it is kept).")],
        data: Annotated[str | None, typer.Option(
            "--data", help="Dataset spec, as for `fer-edge search` (default synthetic).")] = None,
        like: Annotated[Path | None, typer.Option(
            "--like", help="A `fer-edge search` run folder: repeat its data, split, epochs, "
            "seed and training recipe exactly.")] = None,
        epochs: Annotated[int | None, typer.Option("--epochs", min=1, help="Max epochs "
                          "(default 20, as fer-edge search).")] = None,
        seed: Annotated[int | None, typer.Option("--seed", min=0, help="Training seed, as "
                        "fer-edge search's --seed (default 0).")] = None,
        split: Annotated[SplitRule | None, typer.Option(
            "--split", help="subject (default) or random, as fer-edge search.")] = None,
        split_seed: Annotated[int | None, typer.Option("--split-seed", min=0)] = None,
        only: Annotated[str | None, typer.Option(
            "--only", help="Comma list of baselines (default all): kandeel2021, "
            "mollahosseini2016.")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", help="No progress or table.")] = False,
    ) -> None:
        """Train the paper's Table 4 baselines (Kandeel et al. 2021, Mollahosseini et al. 2016)
        with the search's training function, on the split a search with the same options
        makes. Add them to a bundle with `fer-edge bundle RUN --baselines OUT`.

        Writes OUT/run.json, OUT/trials/<name>/model.keras and result.json, OUT/top.json."""
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        from fer_edge_search.baselines.runner import run_baselines

        options = _options(like, {"data_spec": data, "epochs": epochs, "seed": seed,
                                  "rule": split.value if split else None,
                                  "split_seed": split_seed})
        names = [n.strip() for n in only.split(",") if n.strip()] if only else None
        rows = run_baselines(out_dir=out, names=names, show_progress=not quiet, **options)
        if not quiet:
            _print_rows(rows, out)
