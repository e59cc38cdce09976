"""A run that measured nothing is a failure, said in one line with the reason (issue 9, item 10).

Fails on the main this branch started from: with every backend skipped (no Edge TPU runtime,
no TensorRT here) both `fer-edge bench` and the board suite exited 0.
"""

from __future__ import annotations

import json
import subprocess
import sys

from merge_factory import write_bundle

from fer_edge_harness.results_schema import RUN_INFO_KEY
from fer_edge_harness.runner import suite_command

CLI = [sys.executable, "-c", "from fer_edge.cli import main; main()"]


def test_bench_with_every_backend_skipped_exits_1_saying_why(tmp_path):
    bundle = write_bundle(tmp_path / "bundle")
    out = tmp_path / "r.json"
    done = subprocess.run([*CLI, "bench", "--bundle", str(bundle), "--backend",
                           "edgetpu,tensorrt", "--device-label", "laptop", "--json", str(out),
                           "--models", "k16-24"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: nothing was measured: every case was skipped (edgetpu: ")
    assert "; tensorrt: " in last and "Traceback" not in done.stderr
    document = json.loads(out.read_text())  # what the run learnt is kept
    assert document["benchmarks"] == []
    assert {s["backend"] for s in document[RUN_INFO_KEY]["skipped"]} == {"edgetpu", "tensorrt"}


def test_the_board_suite_alone_exits_5_when_nothing_was_measured(tmp_path):
    bundle = write_bundle(tmp_path / "bundle")
    argv = suite_command(bundle, "tensorrt", "board", "latency", tmp_path / "r.json",
                         models="k16-24")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 5, done.stdout + done.stderr
    assert "fer-edge: nothing was measured: every case was skipped (tensorrt: " in done.stdout
