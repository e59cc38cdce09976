"""The exit-status rule of every `fer-edge` command, and the one line each failure prints.

0  everything asked for was done.
1  the command ran, and what it judged or measured failed: `verify` on a bundle that fails its
   checks; `bench` where a model failed, nothing was measured, or the run was cut short.
2  bad input, refused before any work started: a bad argument, a missing path, a file of the
   wrong shape. One line on stderr, `error: WHERE: PROBLEM` (WHERE is the file or the option).
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

try:  # typer >= 0.20 carries its own copy of click
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - older typer, which depends on click
    from click import exceptions as click_exceptions  # type: ignore[no-redef]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def one_line(text: str) -> str:
    """Whitespace (newlines included) collapsed: an error is always one line."""
    return " ".join(str(text).split())


def fail(problem: str, status: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print `error: PROBLEM` on stderr and exit (status 2 unless told otherwise)."""
    print(f"error: {one_line(problem)}", file=sys.stderr)
    sys.exit(status)


def _parameter_name(param: Any) -> str:
    """`--rounds` for an option (its longest spelling), `BUNDLE` for an argument."""
    opts = [o for o in getattr(param, "opts", []) if o.startswith("--")] or \
        list(getattr(param, "opts", []))
    if getattr(param, "param_type_name", "") == "option" and opts:
        return max(opts, key=len)
    return str(getattr(param, "human_readable_name", None) or param.name).upper()


def usage_problem(exc: Any) -> str:
    """`WHERE: PROBLEM` of a command-line usage error (typer/click), without its box."""
    param = getattr(exc, "param", None)
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "fer-edge"
    if param is None:
        return f"{command}: {exc.format_message()} (see {command} --help)"
    where = _parameter_name(param)
    if isinstance(exc, click_exceptions.MissingParameter):
        return f"{where}: required, not given (see {command} --help)"
    return f"{where}: {exc.message}"


def is_help_request(exc: Any) -> bool:
    """True for a group or command called without arguments, which shows its help."""
    no_args = getattr(click_exceptions, "NoArgsIsHelpError", None)
    return no_args is not None and isinstance(exc, no_args)
