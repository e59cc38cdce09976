"""The `fer-edge` command line: one typer app; each command lives in fer_edge/commands/<name>.py.

Heavy libraries (TensorFlow, OpenVINO) are imported inside the commands, so `--help` is instant.
Bad input anywhere ends as one line naming the file and the problem, exit status 2 (the rule
for every command is in fer_edge/exits.py and the README).
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated

import typer

from fer_edge.exits import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    click_exceptions,
    fail,
    is_help_request,
    usage_problem,
)
from fer_edge.native_logs import quiet_native_logs
from fer_edge_core.errors import UserInputError

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
    "data", "space", "search", "baselines", "bundle", "verify", "bench", "merge", "select",
    "report", "demo", "power",
)


# The component each optional top-level package comes from, for the line that says what to
# install when a command needs one this installation left out (e.g. a merge-only laptop).
OPTIONAL_COMPONENTS = {
    "fer_edge_search": "search (pip install ./search)",
    "tensorflow": "search (pip install ./search)",
    "keras": "search (pip install ./search)",
    "fer_edge_merge": "merge (pip install ./merge)",
    "ray": "search[ray] (pip install './search[ray]')",
}


def _register_commands() -> None:
    """Register every command; a missing or broken command module stops fer-edge at start-up
    (an installation error), never a command silently absent from --help."""
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"fer_edge.commands.{name}")
        register = getattr(module, "register", None)
        if register is None:
            raise RuntimeError(f"fer_edge.commands.{name} has no register(app): "
                               "this fer-edge installation is broken")
        register(app)


def missing_component(exc: ModuleNotFoundError) -> str | None:
    """The component to install when `exc` is an optional component this install lacks."""
    top = (exc.name or "").split(".")[0]
    return OPTIONAL_COMPONENTS.get(top)


@app.callback()
def _root(verbose: Annotated[bool, typer.Option(
        "--verbose", help="Show TensorFlow's and the runtimes' own log lines (C++ notices, "
        "absl warnings), left out by default.")] = False) -> None:
    """fer-edge: stage 1 search, bundles, board benchmarks, merge and reports."""
    if not verbose:
        quiet_native_logs()  # before any command imports TensorFlow


_register_commands()


def main() -> None:
    """Entry point: run the app; every failure ends by the rule of fer_edge.exits (bad input:
    one line `error: WHERE: PROBLEM`, exit status 2; never a box or a traceback)."""
    from fer_edge_harness.bundle import BundleError

    try:
        status = app(standalone_mode=False)
    except click_exceptions.UsageError as exc:
        if is_help_request(exc):  # `fer-edge` or a group alone: its help, as before
            exc.show()
            sys.exit(exc.exit_code)
        fail(usage_problem(exc))
    except click_exceptions.ClickException as exc:
        fail(exc.format_message())
    except typer.Abort:
        fail("interrupted", EXIT_INTERRUPTED)
    except (UserInputError, BundleError) as exc:
        fail(str(exc))
    except ModuleNotFoundError as exc:
        component = missing_component(exc)
        if component is None:
            raise
        command = " ".join(sys.argv[1:2]) or "this command"
        fail(f"fer-edge {command}: needs the {component} component, which is not installed "
             f"here ({exc.name} is missing)")
    sys.exit(status if isinstance(status, int) else EXIT_OK)
