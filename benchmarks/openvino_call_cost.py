"""What the Python call around an OpenVINO inference adds to the request's own latency.

docs/latency.md ("Which clock") says why the harness times OpenVINO on `InferRequest.latency`:
the wall clock around the Python call adds tens of microseconds to a default-space model and
only a few to a trivial one. This script measures both on the CPU, compiled as the harness's
openvino backend compiles (latency hint, one stream, f32, the given threads), with the input
bound before the loop: the median wall time of `request.infer()` plus the output read-back (the
harness's timed call before the change), the median of the request's own latency over the same
calls, and their difference.

    .venv/bin/python benchmarks/openvino_call_cost.py --model BUNDLE/t0001/model_fp16.xml
        [--threads 1,2] [--seconds 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np


def input_shape(model) -> list[int]:
    """The model's input shape at batch 1 (NHWC; a dynamic batch made static, as the harness
    does)."""
    return [1, *(dim.get_length() for dim in list(model.input().get_partial_shape())[1:])]


def compile_model(core, model, threads: int):
    model.reshape(input_shape(model))
    return core.compile_model(model, "CPU", {"PERFORMANCE_HINT": "LATENCY",
                                             "INFERENCE_PRECISION_HINT": "f32",
                                             "INFERENCE_NUM_THREADS": str(threads),
                                             "NUM_STREAMS": "1"})


def call_cost_us(compiled, seconds: float) -> tuple[float, float]:
    """(median wall time of the Python call, median of the request's own latency), in us."""
    import openvino as ov

    request = compiled.create_infer_request()
    shape = tuple(compiled.input().get_shape())
    request.set_input_tensor(ov.Tensor(np.random.default_rng(0).random(shape, dtype=np.float32)))
    for _ in range(300):  # warm up
        request.infer()
    wall, own = [], []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        request.infer()
        request.get_output_tensor(0).data  # noqa: B018 (the harness's read-back)
        wall.append(time.perf_counter() - started)
        own.append(request.latency / 1000.0)
    return statistics.median(wall) * 1e6, statistics.median(own) * 1e6


def one_relu_model(shape: list[int]):
    """The cheapest model with the same input: one ReLU."""
    import openvino as ov
    import openvino.opset13 as ops

    x = ops.parameter(shape, np.float32)
    return ov.Model([ops.relu(x)], [x], "one_relu")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="an OpenVINO IR (.xml) or ONNX file")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    import openvino as ov

    core = ov.Core()
    print(f"openvino {ov.get_version()}; median over {args.seconds:g} s of calls, in us")
    print("| model | threads | wall around the Python call | request's own latency | "
          "difference |")
    print("|---|---:|---:|---:|---:|")
    for threads in (int(t) for t in args.threads.split(",") if t):
        given = core.read_model(args.model)
        for name, model in ((args.model, given), ("one ReLU", one_relu_model(input_shape(given)))):
            wall, own = call_cost_us(compile_model(core, model, threads), args.seconds)
            print(f"| {name} | {threads} | {wall:.1f} | {own:.1f} | {wall - own:.1f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
