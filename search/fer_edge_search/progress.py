"""What a stage-1 search shows while it runs, whichever engine runs it: notes and a progress bar
on stderr (stdout is kept for results)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any


def console() -> Any:
    """Progress and notes go to stderr, keeping stdout for results."""
    from rich.console import Console

    return Console(stderr=True)


def printer(enabled: bool) -> Callable[..., None]:
    """A print function for notes, or one that prints nothing (--quiet)."""
    return console().print if enabled else (lambda *_args, **_kw: None)


@contextlib.contextmanager
def progress_bar(enabled: bool, total: int, done: int,
                 best: float | None) -> Iterator[Callable[[float | None], None]]:
    """A rich progress bar (trials done / total, best validation accuracy so far); yields a
    function to call with each finished trial's accuracy."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    state = {"best": best}

    def label() -> str:
        return "best val acc " + ("-" if state["best"] is None else f"{state['best']:.2f}%")

    columns = (TextColumn("search"), BarColumn(), MofNCompleteColumn(), TextColumn("trials"),
               TextColumn("{task.fields[best]}"), TimeElapsedColumn())
    with Progress(*columns, console=console(), disable=not enabled) as bar:
        task = bar.add_task("search", total=total, completed=min(done, total), best=label())

        def advance(accuracy: float | None) -> None:
            if accuracy is not None:
                state["best"] = accuracy if state["best"] is None else max(state["best"], accuracy)
            bar.update(task, advance=1, best=label())

        yield advance
