"""Run the board suite from Python: `python -m pytest <suite> --bundle ...` in a child process.

A child process, because the runtimes keep process-wide state (TensorFlow's thread pools are
fixed at its first op) and the caller may already hold some of them. The child does not outlive
the caller: killed, even with SIGKILL, the caller takes the run down with it, and the results
file says the run was interrupted (fer_edge_harness.lifeline).
"""

import os
import subprocess
import sys

import fer_edge_harness.suite
from fer_edge_harness import lifeline
from fer_edge_harness.settings import (
    DEFAULT_MAX_WARMUP_S,
    DEFAULT_MIN_TIME_S,
    DEFAULT_ROUNDS,
    DEFAULT_WARMUP_ROUNDS,
)

SUITE_DIR = os.path.dirname(os.path.abspath(fer_edge_harness.suite.__file__))


def suite_command(bundle_dir, backends, device_label, stage, json_out, threads=None,
                  rounds=DEFAULT_ROUNDS, warmup_rounds=DEFAULT_WARMUP_ROUNDS, models=None,
                  extra_args=(), min_time_s=DEFAULT_MIN_TIME_S, max_warmup_s=DEFAULT_MAX_WARMUP_S):
    """The argv that runs the suite (what a board image's entrypoint runs too)."""
    argv = [sys.executable, "-m", "pytest", SUITE_DIR, "-p", "no:cacheprovider",
            "--bundle", str(bundle_dir),
            "--backend", backends if isinstance(backends, str) else ",".join(backends),
            "--device-label", device_label, "--stage", stage,
            "--rounds", str(rounds), "--warmup-rounds", str(warmup_rounds),
            "--min-time", str(min_time_s), "--max-warmup-time", str(max_warmup_s),
            "--benchmark-json", str(json_out)]
    if threads is not None:
        argv += ["--threads", str(threads)]
    if models:
        argv += ["--models", models if isinstance(models, str) else ",".join(models)]
    return argv + list(extra_args)


def run_benchmarks(bundle_dir, backends, device_label, stage, json_out, threads=None,
                   rounds=DEFAULT_ROUNDS, warmup_rounds=DEFAULT_WARMUP_ROUNDS, models=None,
                   extra_args=(), log_path=None, min_time_s=DEFAULT_MIN_TIME_S,
                   max_warmup_s=DEFAULT_MAX_WARMUP_S):
    """Run the suite and return pytest's exit status (0 all measured, 1 some failed, 4 bad
    options or a bundle that failed verification, 5 nothing to run). With `log_path`, the
    suite's output goes to that file instead of the terminal."""
    json_out = os.path.abspath(str(json_out))
    folder = os.path.dirname(json_out)
    if not os.path.isdir(folder):
        os.makedirs(folder)
    argv = suite_command(os.path.abspath(str(bundle_dir)), backends, device_label, stage,
                         json_out, threads, rounds, warmup_rounds, models, extra_args,
                         min_time_s, max_warmup_s)
    if log_path is None:
        return call_tied(argv)
    with open(str(log_path), "w") as log:
        return call_tied(argv, stdout=log, stderr=subprocess.STDOUT)


def call_tied(argv, **kwargs):
    """subprocess.call with the child's life tied to this process's (lifeline.py)."""
    if os.name == "posix":
        kwargs["preexec_fn"] = lifeline.child_preexec()
    return subprocess.call(argv, env=lifeline.child_environment(), **kwargs)
