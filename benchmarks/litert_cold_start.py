"""litert-benchmark's first runs, block by block: how long its runs take to settle.

Issue 13's fidelity check compares the harness with `litert-benchmark` at that tool's defaults
(5 warm-up and 50 timed runs, 10-30 ms on the default space's models). This script runs the
tool's own main(), unchanged, with a longer `--num_runs`, records every timed run (the tool's
`time.perf_counter` calls around `run_by_name`) and prints the median of each block of 50 runs,
once per fresh process: the first block is what the tool's default reports.

    .venv/bin/python benchmarks/litert_cold_start.py --model FILE.tflite [--threads 2]
        [--runs 1000] [--processes 6]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import statistics
import subprocess
import sys
import time
import types

BLOCK = 50  # the tool's default number of timed runs


def block_medians_us(model: str, threads: int, runs: int) -> dict:
    """In this process: the tool's main() with `runs` timed runs. {"blocks": each 50-run
    block's median (us), "all_us": the median of every run, "tool_ms": the median the tool
    printed itself (rounded to 0.01 ms): the two agree when the right clock readings were
    taken as the runs}."""
    import ai_edge_litert.tools.benchmark_litert_model as tool

    stamps: list[float] = []

    def perf_counter() -> float:
        value = time.perf_counter()
        stamps.append(value)
        return value

    tool.time = types.SimpleNamespace(perf_counter=perf_counter)  # only its clock is watched
    sys.argv = ["litert-benchmark", "--model", model, "--num_threads", str(threads),
                "--num_runs", str(runs)]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        tool.main()
    # The timed loop is the last 2 x runs readings (one before, one after each run); nothing
    # after the loop reads the clock.
    loop = stamps[-2 * runs:]
    durations = [(loop[2 * i + 1] - loop[2 * i]) * 1e6 for i in range(runs)]
    tool_ms = re.search(r"Inference \(median\):\s+([\d.]+) ms", printed.getvalue())
    return {"blocks": [statistics.median(durations[i:i + BLOCK]) for i in range(0, runs, BLOCK)],
            "all_us": statistics.median(durations),
            "tool_ms": float(tool_ms.group(1)) if tool_ms else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=6)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(block_medians_us(args.model, args.threads, args.runs)))
        return 0
    print(f"litert-benchmark on {args.model}, {args.threads} threads, {args.runs} runs: median "
          f"of each block of {BLOCK} runs (us), one fresh process a line; the first block is "
          "what the tool reports at its defaults")
    for _ in range(args.processes):
        done = subprocess.run([sys.executable, __file__, "--child", "--model", args.model,
                               "--threads", str(args.threads), "--runs", str(args.runs)],
                              capture_output=True, text=True, check=True)
        found = json.loads(done.stdout.strip().splitlines()[-1])
        blocks = " ".join(f"{b:.0f}" for b in found["blocks"])
        print(f"{blocks} | all runs {found['all_us']:.1f} us, the tool's own median "
              f"{found['tool_ms']} ms", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
