"""The suite's child process dies with the process that started it, and says so in its JSON.

Fails on the main branch before issue 9 (item 5): there SIGKILL to `fer-edge bench` left the
pytest child running, timing and rewriting the results file, with nothing in it saying that
the run had been cut short.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from harness_fixtures import shared_tiny_bundle

from fer_edge_harness.results_schema import RUN_INFO_KEY

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
# Rounds enough to keep the child timing for minutes: only a kill ends it in time.
ENDLESS_ROUNDS = "1000000"
# A parent like `fer-edge bench`, but on a system without prctl: only the child's watch of its
# parent's pid can end it.
NO_PRCTL_PARENT = """
import sys
from fer_edge_harness import lifeline, runner
lifeline._libc_prctl = lambda: None
bundle, out = sys.argv[1:3]
runner.run_benchmarks(bundle, ["tflite"], "no-prctl", "latency", out, threads=1,
                      rounds=int(sys.argv[3]), warmup_rounds=0)
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return shared_tiny_bundle(tmp_path_factory)


def children_of(pid: int) -> list[int]:
    """Pids whose parent is `pid` (from /proc/*/stat: field 4 is the parent's pid)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie, dead but not yet reaped by init, counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def kill_parent_mid_run(argv: list[str], log: Path) -> int:
    """Start `argv`; once its suite child is timing, SIGKILL the parent; the child's pid."""
    with open(log, "w") as sink:
        parent = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: "test_bench.py" in log.read_text(), 300), log.read_text()
        [child] = children_of(parent.pid)
        time.sleep(1.0)  # well inside the timed rounds
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        return child
    finally:
        if parent.poll() is None:
            parent.kill()


def check_interrupted(child: int, out: Path) -> dict:
    ended = wait_for(lambda: not alive(child), 30)
    if not ended:
        os.kill(child, signal.SIGKILL)
    assert ended, "the suite outlived its parent"
    run = json.loads(out.read_text())[RUN_INFO_KEY]
    assert run["complete"] is False
    return run


def test_sigkill_to_fer_edge_bench_ends_the_suite_and_marks_the_json(tiny, tmp_path):
    """`fer-edge bench` killed: the kernel's parent-death signal (prctl) ends the child."""
    out = tmp_path / "bench.json"
    argv = [str(BIN / "fer-edge"), "bench", "--bundle", str(tiny), "--device-label", "kill-me",
            "--backend", "tflite", "--threads", "1", "--warmup-rounds", "0", "--rounds",
            ENDLESS_ROUNDS, "--json", str(out)]
    child = kill_parent_mid_run(argv, tmp_path / "bench.log")
    run = check_interrupted(child, out)
    assert run["interrupted"].startswith("the parent process (pid ")


def test_without_prctl_the_child_watches_its_parent(tiny, tmp_path):
    out = tmp_path / "poll.json"
    argv = [sys.executable, "-c", NO_PRCTL_PARENT, str(tiny), str(out), ENDLESS_ROUNDS]
    child = kill_parent_mid_run(argv, tmp_path / "poll.log")
    run = check_interrupted(child, out)
    assert run["interrupted"].startswith("the parent process (pid ")


def test_sigterm_to_the_suite_keeps_what_finished_and_says_why(tiny, tmp_path):
    """`docker stop` sends SIGTERM: the run ends as with Ctrl-C, marked and with its reason."""
    from fer_edge_harness.runner import suite_command

    out = tmp_path / "term.json"
    argv = suite_command(tiny, ["tflite"], "term", "latency", out, threads=1,
                         rounds=int(ENDLESS_ROUNDS), warmup_rounds=0)
    log = tmp_path / "term.log"
    with open(log, "w") as sink:
        suite = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT)
    assert wait_for(lambda: "test_bench.py" in log.read_text(), 300), log.read_text()
    time.sleep(1.0)
    suite.send_signal(signal.SIGTERM)
    assert suite.wait(timeout=30) == 2  # pytest's "interrupted"
    run = json.loads(out.read_text())[RUN_INFO_KEY]
    assert run["complete"] is False and run["interrupted"] == "terminated by SIGTERM"
