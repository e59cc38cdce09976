"""One error type for bad user input: the CLI prints it as one line and exits with status 2."""

from __future__ import annotations

from pathlib import Path


class UserInputError(Exception):
    """Input the user can fix: names the file (or argument) and what is wrong with it.

    Raised anywhere on the host side; `fer_edge.cli` turns it into `error: FILE: PROBLEM`
    on stderr and exit status 2, never a traceback.
    """

    def __init__(self, where: str | Path, problem: str) -> None:
        self.where = str(where)
        self.problem = problem
        super().__init__(f"{self.where}: {problem}")
