"""benchmarks/litert_cold_start.py: litert-benchmark's own runs, block by block, through the
tool's unchanged main() on a real model (the evidence behind docs/latency.md's note on the
tool's default run length)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from harness_fixtures import shared_tiny_bundle

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "litert_cold_start.py"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return shared_tiny_bundle(tmp_path_factory)


def test_every_timed_run_of_the_tool_is_in_a_block(tiny):
    """Guards against reading the wrong clock readings (setup, warm-up or the gaps between runs
    instead of the runs): 200 runs give 4 blocks of 50, and the median of all the runs read is
    the median the tool prints itself (which it rounds to 0.01 ms)."""
    model = next(tiny.glob("*/model_fp32.tflite"))
    done = subprocess.run([sys.executable, str(SCRIPT), "--model", str(model), "--threads", "1",
                           "--runs", "200", "--processes", "2"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith(f"litert-benchmark on {model}, 1 threads, 200 runs")
    blocks = [[float(v) for v in line.split(" | ")[0].split()] for line in lines[1:]]
    assert len(blocks) == 2 and all(len(b) == 4 for b in blocks)
    for line in lines[1:]:
        found = re.search(r"all runs ([\d.]+) us, the tool's own median ([\d.]+) ms", line)
        assert found, line
        assert abs(float(found.group(1)) / 1000.0 - float(found.group(2))) <= 0.0051, line
    # A tiny model runs in microseconds to a millisecond; a warm-up or model-load reading
    # (tens of ms) mistaken for a run would show here.
    assert all(0 < value < 5000 for b in blocks for value in b)
