"""Where the host reads and writes: a path read from a file stays inside that file's folder,
and an output never lands on, in or over one of the command's inputs.

Run folders, bundles and rankings travel between people: nothing recorded in them may send the
tool outside them, and no command may overwrite what it reads (a results file written into the
bundle it measured, a bundle replaced over the run it came from).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from fer_edge_core.errors import UserInputError
from fer_edge_harness.confine import confined_path, within


def inside(folder: str | Path, relative: object, where: str | Path, what: str) -> Path:
    """The file `relative` (a path read from a file in `folder`) when it stays inside `folder`,
    symbolic links resolved; UserInputError naming `where` otherwise. `what` names the folder
    in the message ("run folder")."""
    try:
        return Path(confined_path(folder, relative, what))
    except ValueError as exc:
        raise UserInputError(where, str(exc)) from None


def overlaps(output: str | Path, given: str | Path) -> bool:
    """True when writing `output` (a file, or a folder replaced whole) would touch `given`: the
    same path, `output` inside the folder `given`, or `given` inside the folder `output`."""
    return within(given, output) or within(output, given)


def refuse_overlap(option: str, output: str | Path, inputs: Iterable[str | Path]) -> None:
    """UserInputError naming `option` when `output` overlaps any of the command's `inputs`."""
    for given in inputs:
        if overlaps(output, given):
            raise UserInputError(option, f"{output} would overwrite or write into {given}, "
                                 "which this command reads: choose an output outside it")
