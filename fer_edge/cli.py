"""The `fer-edge` command line: one typer app; each command lives in fer_edge/commands/<name>.py.

Heavy libraries (TensorFlow, OpenVINO) are imported inside the commands, so `--help` is instant.
Bad input anywhere ends as one line naming the file and the problem, exit status 2.
"""

from __future__ import annotations

import importlib
import sys

import typer

from fer_edge.errors import UserInputError

app = typer.Typer(
    name="fer-edge",
    help="Find and benchmark facial-expression-recognition CNNs for edge boards "
    "(stage 1 search, stage 2 latency, stage 3 power).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Each module exposes register(app); listed in the order of the method's flow.
COMMAND_MODULES = (
    "data", "space", "search", "bundle", "verify", "bench", "merge", "select", "report", "demo",
    "power",
)


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"fer_edge.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"fer_edge.commands.{name}":
                continue  # command not written yet
            raise
        module.register(app)


@app.callback()
def _root() -> None:
    """fer-edge: stage 1 search, bundles, board benchmarks, merge and reports."""


_register_commands()


def main() -> None:
    """Entry point: run the app, turning bad input into one clear line and exit status 2."""
    from fer_edge_harness.bundle import BundleError

    try:
        app()
    except (UserInputError, BundleError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
