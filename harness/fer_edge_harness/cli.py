"""`python3 -m fer_edge_harness`: the board images' entrypoint, the suite behind plain options.

A board user runs `docker run ... IMAGE --bundle /models/NAME --device-label LABEL` and finds
`/results/LABEL.json`. The options are the suite's own (read from the pytest plugin, so `--help`
lists exactly what the suite takes, power options included once the plugin has them); each
image sets its defaults through the environment (`FER_EDGE_BACKEND=openvino`, ...), since a
user's arguments replace a Dockerfile's CMD whole. Its exit status follows fer-edge's one rule
(the README's "Bad input and exit status", as `fer-edge bench`): 0 done; 1 ran and failed (a
model failed, nothing was measured, the suite stopped); 2 bad input, one line `error: WHAT:
PROBLEM` before anything is timed; 130 interrupted. An existing results file is never replaced.
"""

import argparse
import json
import os
import re
import subprocess
import sys

from fer_edge_harness import plugin
from fer_edge_harness.bundle import BundleError, verify_bundle
from fer_edge_harness.results import nothing_measured
from fer_edge_harness.results_schema import RUN_INFO_KEY, RunInfo
from fer_edge_harness.runner import SUITE_DIR

ENV_PREFIX = "FER_EDGE_"
RESULTS_ENV = ENV_PREFIX + "RESULTS"
# A label names a file in the results folder: nothing that could leave it or hide it.
LABEL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
EXIT_FAILED, USAGE_ERROR, EXIT_INTERRUPTED = 1, 2, 130
PYTEST_INTERRUPTED, PYTEST_USAGE_ERROR, PYTEST_NOTHING_RAN = 2, 4, 5


class _OptionCollector(object):
    """Stands in for pytest's parser: keeps the plugin's options (argparse's keywords)."""

    def __init__(self):
        self.options = []

    def getgroup(self, *args, **kwargs):
        return self

    def addoption(self, *names, **kwargs):
        self.options.append((names, kwargs))


def suite_options():
    """The plugin's options as ((names), argparse keywords), in the plugin's order."""
    collector = _OptionCollector()
    plugin.pytest_addoption(collector)
    return collector.options


def env_name(option):
    """`--openvino-device` -> `FER_EDGE_OPENVINO_DEVICE`: an image's default for that option."""
    return ENV_PREFIX + option.lstrip("-").upper().replace("-", "_")


def _is_flag(kwargs):
    return kwargs.get("action") in ("store_true", "store_false")


def _flag_value(text):
    """An image's FER_EDGE_* setting for a flag: 1/true/yes/on set it, anything else clears it."""
    return text.strip().lower() in ("1", "true", "yes", "on")


def build_parser(environ):
    parser = argparse.ArgumentParser(
        prog="fer-edge-harness",
        description="Time every model of a fer-edge bundle on this board's backends and write "
                    "pytest-benchmark JSON to RESULTS/LABEL.json.",
        epilog="Each option's default can be set by its FER_EDGE_* environment variable (the "
               "board images set FER_EDGE_BACKEND and FER_EDGE_RESULTS=/results). Arguments "
               "not listed here go to the suite's pytest run unchanged.")
    for names, kwargs in suite_options():
        kwargs = dict(kwargs)
        variable = env_name(names[0])
        flag = _is_flag(kwargs)
        if variable in environ:
            kwargs["default"] = _flag_value(environ[variable]) if flag else environ[variable]
        if not flag:  # a flag takes no value, so it has no metavar
            kwargs.setdefault("metavar", names[0].lstrip("-").upper().replace("-", "_"))
        shown = "{}={}".format(variable, environ[variable]) if variable in environ else variable
        kwargs["help"] = "{} [{}]".format(kwargs.get("help", ""), shown)
        parser.add_argument(*names, **kwargs)
    parser.add_argument("--results", dest="fer_results", metavar="DIR",
                        default=environ.get(RESULTS_ENV, "results"),
                        help="folder for LABEL.json (default: results) [{}]".format(RESULTS_ENV))
    parser.add_argument("--json", dest="fer_json", metavar="FILE", default=None,
                        help="write the results here instead of RESULTS/LABEL.json")
    return parser


class UsageError(Exception):
    """Input the harness refuses before timing anything; the message names what is wrong."""


def results_path(args):
    """Where the JSON goes; refuses a label that is not a plain file name and an existing file
    (results already measured are never overwritten)."""
    if args.fer_json:
        path = args.fer_json
    else:
        if not LABEL_PATTERN.match(args.fer_device_label):
            raise UsageError("--device-label: {!r} is not usable as a file name (letters, digits,"
                             " '.', '_', '-'; starting with a letter or digit)"
                             .format(args.fer_device_label))
        path = os.path.join(args.fer_results, args.fer_device_label + ".json")
    if os.path.exists(path):
        raise UsageError("{}: already exists; pass another --device-label or --json, or move the "
                         "file away (results are never overwritten)".format(path))
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError("{}: no such folder (mount one, e.g. -v $PWD/results:/results)"
                         .format(folder))
    if not os.access(folder, os.W_OK):
        raise UsageError("{}: not writable by this user (uid {})".format(folder, os.getuid()))
    return path


def check(args):
    """Refuse bad input in one line: required options, the label, the bundle, the results."""
    for option, value in (("--bundle", args.fer_bundle), ("--device-label",
                                                           args.fer_device_label)):
        if not value:
            raise UsageError("{}: required".format(option))
    try:
        verify_bundle(args.fer_bundle)
    except BundleError as exc:
        raise UsageError(str(exc)) from None
    return results_path(args)


def suite_argv(args, json_out, passthrough):
    """The pytest command line: every plugin option as given (or defaulted), then the rest."""
    argv = [sys.executable, "-m", "pytest", SUITE_DIR, "-p", "no:cacheprovider"]
    for names, kwargs in suite_options():
        value = getattr(args, kwargs["dest"])
        if _is_flag(kwargs):  # a flag is passed bare, and only when it differs from off
            if value != (kwargs["action"] == "store_false"):
                argv.append(names[0])
        elif value is not None:
            argv += [names[0], str(value)]
    return argv + ["--benchmark-json", json_out] + list(passthrough)


def exit_status(code, json_out):
    """pytest's exit status as fer-edge's rule, with the one line that says why (stderr)."""
    document = {}
    if os.path.isfile(json_out):
        sys.stdout.write("wrote {}\n".format(json_out))
        with open(json_out) as handle:
            document = json.load(handle)
    problem, status = None, code
    if code == PYTEST_INTERRUPTED:
        problem = "interrupted: what finished is in {}, marked incomplete".format(json_out)
        status = EXIT_INTERRUPTED
    elif code == PYTEST_USAGE_ERROR:  # the suite refused an option (its line is above)
        status = USAGE_ERROR
    elif code not in (0, 1, PYTEST_NOTHING_RAN):
        problem = "the benchmark suite stopped with pytest exit status {}".format(code)
        status = EXIT_FAILED
    elif not document.get("benchmarks") and code != 1:
        skipped = (document.get(RUN_INFO_KEY) or {}).get(RunInfo.SKIPPED) or []
        problem, status = "nothing was measured: {}".format(nothing_measured(skipped)), EXIT_FAILED
    if problem:
        sys.stderr.write("error: {}\n".format(problem))
    return status


def main(argv=None, environ=None):
    environ = os.environ if environ is None else environ
    parser = build_parser(environ)
    args, passthrough = parser.parse_known_args(argv)
    try:
        json_out = check(args)
    except UsageError as exc:
        sys.stderr.write("error: {}\n".format(exc))
        return USAGE_ERROR
    return exit_status(subprocess.call(suite_argv(args, json_out, passthrough)), json_out)
