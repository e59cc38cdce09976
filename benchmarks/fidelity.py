"""Fidelity benchmark: the harness's latency against the runtimes' own tools on the same files.

Issues 4 and 13: at its DEFAULT timing settings (what `fer-edge bench` and a board image run:
a warm-up until the latency settles, then at least 40 rounds and 1 s), the harness's median must
be within 10% of each native tool's median at that tool's own defaults, on the models of the
default space. For every (model, backend) of a bundle, the harness suite (through
`fer_edge_harness.runner.suite_command`) and the runtime's own tool time the SAME artifact with
the same threads and precision, one right after the other; the pair is repeated `--repeats`
times, alternating which side goes first, so that the shared machine's noise hits both alike.
Each side's figure is the median of its per-run medians.

    .venv/bin/python benchmarks/fidelity.py --bundle models/NAME [--threads 1[,2]]
        [--repeats 3] [--models t0001,t0002] [--out FILE.md]

Native tools, each at its own default run length:
- openvino: OpenVINO's `benchmark_app -api sync -b 1 -nstreams 1 -hint none -nthreads T
  -infer_precision P -shape [1,H,W,C]` on the harness's IR (no -niter, no -t: its default of
  60 s on a CPU). Its latencies are the InferRequest's own C++ timer, the clock the harness's
  openvino backend times its rounds on too (docs/latency.md, "Which clock"); the harness's wall
  clock median around the Python call is reported beside it.
- tflite, tflite-int8: `litert-benchmark --num_threads T` (its defaults: 5 warm-up and 50 timed
  runs; ai_edge_litert's Python loop over CompiledModel.run_by_name, perf_counter around each
  call), run through its own main() with rounding of its JSON turned off (LITERT_UNROUNDED).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import fidelity_parse as fp

from fer_edge_harness import bundle
from fer_edge_harness.backends import backend_class
from fer_edge_harness.backends.openvino import DEVICE_PRECISION
from fer_edge_harness.manifest_schema import Artifact, Input, Manifest, Model
from fer_edge_harness.runner import suite_command

BACKENDS = ("openvino", "tflite", "tflite-int8")
TOOLS = {"openvino": "benchmark_app", "tflite": "litert-benchmark",
         "tflite-int8": "litert-benchmark"}
BIN = Path(sys.executable).parent
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")


@dataclass(frozen=True)
class Case:
    """One (model, backend, threads) and the artifact both sides time."""

    model_id: str
    mflop: float
    backend: str
    threads: int
    artifact: Path
    artifact_sha256: str


@dataclass(frozen=True)
class Settings:
    bundle_dir: Path
    input_shape: tuple[int, ...]  # (H, W, C)
    workdir: Path


def _run(argv: list[str]) -> str:
    """Run a tool; its stdout and stderr together, or RuntimeError with their tail."""
    done = subprocess.run(argv, capture_output=True, text=True, env=ENV, check=False)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv[:3])} exited {done.returncode}:\n{output[-3000:]}")
    return output


def time_harness(case: Case, settings: Settings) -> fp.Timing:
    """One harness run of this (model, backend) at the harness's default timing settings:
    pytest-benchmark's median and mean, and how long it warmed up and timed."""
    json_out = settings.workdir / "harness.json"
    argv = suite_command(str(settings.bundle_dir), [case.backend], "fidelity", "latency",
                         str(json_out), threads=case.threads, models=[case.model_id],
                         extra_args=["-q"])
    _run(argv)
    timing, sha256 = fp.parse_harness(json.loads(json_out.read_text()), case.model_id,
                                      case.backend)
    if sha256 != case.artifact_sha256:
        raise RuntimeError(f"the harness timed another file than {case.artifact} "
                           f"(sha256 {sha256[:12]} vs {case.artifact_sha256[:12]})")
    return timing


def benchmark_app_argv(case: Case, settings: Settings) -> list[str]:
    """benchmark_app as the harness's openvino backend is set up: sync, batch 1, one stream,
    the same threads and precision, a static batch-1 shape (docs/runtimes.md, pitfalls 3, 4, 7)."""
    precision = DEVICE_PRECISION["CPU"]
    shape = "[{}]".format(",".join(str(d) for d in (1, *settings.input_shape)))
    return [str(BIN / "benchmark_app"), "-m", str(case.artifact), "-d", "CPU", "-api", "sync",
            "-b", "1", "-nstreams", "1", "-nthreads", str(case.threads),
            "-infer_precision", precision, "-hint", "none", "-shape", shape]


# litert-benchmark's own main(), with its module's `round` made the identity: the very loop the
# shipped CLI runs, whose JSON then keeps the median unrounded (the CLI rounds it to 0.01 ms,
# +-4% of an int8 model's ~120 us). Only the JSON's numbers change; nothing that is timed does.
LITERT_UNROUNDED = ("import sys; import ai_edge_litert.tools.benchmark_litert_model as tool; "
                    "tool.round = lambda x, ndigits=None: x; "
                    "sys.argv[0] = 'litert-benchmark'; sys.exit(tool.main())")


# A second, longer run of litert-benchmark, beside the verdict: its default 50 runs last 10-30 ms
# on these models, a sample one scheduler hiccup can move; this many runs last about a second.
LONG_LITERT_RUNS = ["--warmup_runs", "500", "--num_runs", "3000"]


def litert_argv(case: Case, settings: Settings, result_json: Path,
                extra: list[str] | None = None) -> list[str]:
    return [sys.executable, "-c", LITERT_UNROUNDED, "--model", str(case.artifact),
            "--num_threads", str(case.threads), "--result_json", str(result_json),
            *(extra or [])]


def tflite_input_bytes(path: Path) -> int:
    """Bytes of the model's input tensor (litert-benchmark's throughput is per input MB)."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    detail = Interpreter(model_path=str(path)).get_input_details()[0]
    return int(np.prod(detail["shape"])) * np.dtype(detail["dtype"]).itemsize


def time_native(case: Case, settings: Settings, extra: list[str] | None = None) -> fp.Timing:
    """One run of the runtime's own tool on the case's artifact (litert-benchmark: `extra`
    arguments, e.g. LONG_LITERT_RUNS)."""
    if case.backend == "openvino":
        return fp.parse_benchmark_app(_run(benchmark_app_argv(case, settings)))
    result_json = settings.workdir / "litert.json"
    result_json.unlink(missing_ok=True)
    _run(litert_argv(case, settings, result_json, extra))
    precision = backend_class(case.backend).precision
    return fp.parse_litert(json.loads(result_json.read_text()),
                           tflite_input_bytes(case.artifact), precision)


def cases(bundle_dir: Path, manifest: dict, backends: list[str], threads: list[int],
          models: list[str] | None) -> list[Case]:
    """Every (model, backend, threads), with the artifact the harness picks for that backend
    (its first usable format, as the suite's session does)."""
    found = []
    for model in manifest[Manifest.MODELS]:
        if models and model[Model.ID] not in models:
            continue
        for backend in backends:
            for fmt in backend_class(backend).artifact_formats:
                path = bundle.artifact_path(str(bundle_dir), model, fmt)
                if path:
                    sha256 = model[Model.ARTIFACTS][fmt][Artifact.SHA256]
                    found += [Case(model[Model.ID], model[Model.FLOPS] / 1e6, backend, t,
                                   Path(path), sha256) for t in threads]
                    break
    return found


def measure(all_cases: list[Case], settings: Settings, repeats: int, log,
            loads: list[float], long_runs: dict) -> dict:
    """{case: [(harness, native) per repeat]}, pairs back to back, the first side alternating
    with the repeat (and the case) so neither side always runs on a warmer or cooler machine.
    `loads` receives the 1-minute load average after each pair; `long_runs` {case: [Timing]}
    litert-benchmark's longer run (LONG_LITERT_RUNS) after each pair, outside the verdict."""
    pairs: dict[Case, list[tuple[fp.Timing, fp.Timing]]] = {c: [] for c in all_cases}
    for repeat in range(repeats):
        for index, case in enumerate(all_cases):
            native_first = (repeat + index) % 2 == 1
            if native_first:
                native = time_native(case, settings)
                harness = time_harness(case, settings)
            else:
                harness = time_harness(case, settings)
                native = time_native(case, settings)
            pairs[case].append((harness, native))
            if case.backend != "openvino":
                long_runs.setdefault(case, []).append(
                    time_native(case, settings, LONG_LITERT_RUNS))
            loads.append(os.getloadavg()[0])
            log("repeat {} {} {} threads {}: harness {:.1f} us, {} {:.1f} us ({} first), "
                "load {:.2f}".format(repeat + 1, case.model_id, case.backend, case.threads,
                                     harness.median_us, TOOLS[case.backend], native.median_us,
                                     "native" if native_first else "harness", loads[-1]))
    return pairs


def raw_rows(pairs: dict) -> list[list[str]]:
    """Every run of every pair, in the order they ran within each case."""
    rows = []
    for case, runs in pairs.items():
        for repeat, (harness, native) in enumerate(runs, start=1):
            rows.append([case.model_id, case.backend, TOOLS[case.backend], str(case.threads),
                         str(repeat), fp.fmt_us(harness.median_us),
                         fp.fmt_us(native.median_us, native.median_halfwidth_us),
                         f"{harness.median_us / native.median_us:.3f}",
                         fp.fmt_us(harness.mean_us),
                         fp.fmt_us(native.mean_us, native.mean_halfwidth_us),
                         fp.ran_for(harness), fp.ran_for(native)])
    return rows


RAW_HEADER = ["model", "backend", "native tool", "threads", "repeat", "harness median (us)",
              "native median (us)", "ratio", "harness mean (us)", "native mean (us)",
              "harness ran", "native tool ran"]

LEGEND = """\
Columns: *harness median* is pytest-benchmark's `stats.median` of the harness's timed rounds,
one `backend.infer` call each (one inference and the read-back of its output), on the clock
*harness clock* names: `wall` (time.perf_counter around the Python call) or, for OpenVINO, the
InferRequest's own latency, the clock `benchmark_app` reads; *harness wall-clock median* is the
same rounds on the wall clock (the Python call included); *native median* is, for
`benchmark_app`, its console `Median` (the InferRequest's own C++ latency: no Python call in
it), for `litert-benchmark` its JSON `latency.median_ms`, unrounded (the script runs the tool's
own main() with the rounding of its JSON turned off; the shipped CLI gives the same figure
rounded to 0.01 ms; a ± shows where a figure came rounded). Both are the median over the
repeats. *ratio* is the median over the pairs of (harness median / native median) of each pair:
the two runs of a pair ran back to back (which side first alternating), so they shared the
machine's state; *within 10%?* judges that ratio (`undecided` when a tool's rounding alone could
move it across 10%). *ratio of fastest runs' medians*: each side's lowest per-run median, the
nearest to a quiet machine (other jobs only add time). *Means*: the harness's `stats.mean`,
`benchmark_app`'s `Average`, `litert-benchmark`'s `avg_ms` (from `throughput_mb_s`, the input MB
over the unrounded mean, when the JSON came rounded); *ratio of means* is paired the same way.
Means feel every preemption by the other jobs on this shared machine; medians much less.
*Spread*: each side's slowest run's median over its fastest run's, across the repeats: how far a
side agrees with itself; a native tool whose own runs spread by more than 10% cannot be matched
within 10% on every run."""


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{cpu} ({platform.machine()}), nproc {os.cpu_count()}, load average {load}"


def versions() -> str:
    from importlib import metadata

    names = ("openvino", "ai-edge-litert", "pytest-benchmark", "numpy")
    return ", ".join(f"{n} {metadata.version(n)}" for n in names)


def load_line(loads: list[float]) -> str:
    """The 1-minute load average over the run, sampled after every pair."""
    ordered = sorted(loads)
    return (f"Load average (1 min) after each of the {len(loads)} pairs: min {ordered[0]:.2f}, "
            f"median {ordered[len(ordered) // 2]:.2f}, max {ordered[-1]:.2f} "
            f"(nproc {os.cpu_count()})")


LONG_HEADER = ["model", "backend", "threads", "litert-benchmark median at its defaults (us)",
               "litert-benchmark median at 500 + 3000 runs (us)", "harness median (us)",
               "harness / 3000-run median (median of pair ratios)"]


def long_rows(pairs: dict, long_runs: dict) -> list[list[str]]:
    """litert-benchmark at its defaults and at LONG_LITERT_RUNS, next to the harness."""
    rows = []
    for case, runs in long_runs.items():
        harness = [h for h, _ in pairs[case]]
        rows.append([case.model_id, case.backend, str(case.threads),
                     fp.fmt_us(statistics.median(n.median_us for _, n in pairs[case])),
                     fp.fmt_us(statistics.median(t.median_us for t in runs)),
                     fp.fmt_us(statistics.median(t.median_us for t in harness)),
                     "{:.3f}".format(statistics.median(
                         h.median_us / t.median_us for h, t in zip(harness, runs, strict=True)))])
    return rows


def report(pairs: dict, command: str, started: str, before: str, loads: list[float],
           long_runs: dict | None = None) -> str:
    summary = [fp.summary_row(c.model_id, c.mflop, c.backend, TOOLS[c.backend], c.threads,
                              runs[0][0].precision or "?", fp.pool(runs),
                              max(n.median_halfwidth_us for _, n in runs),
                              (fp.ran_for(runs[-1][0]), fp.ran_for(runs[-1][1])))
               for c, runs in pairs.items()]
    return "\n".join([
        f"Command: `{command}`", "",
        f"Date: {started}; Python {platform.python_version()}; {versions()}", "",
        "Machine: {} at the start; {} at the end".format(before, machine().split(", load ")[1]),
        "", load_line(loads), "", fp.markdown_table(fp.SUMMARY_HEADER, summary), "", LEGEND, "",
        *([f"litert-benchmark also ran with `{' '.join(LONG_LITERT_RUNS)}` after each pair "
           "(not part of the verdict): its default 50 runs last 10-30 ms on these models.", "",
           fp.markdown_table(LONG_HEADER, long_rows(pairs, long_runs)), ""]
          if long_runs else []),
        "Every run:", "", fp.markdown_table(RAW_HEADER, raw_rows(pairs)), ""])


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8",
                                     suffix=".tmp") as handle:
        handle.write(text)
    os.replace(handle.name, path)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", required=True, type=Path)
    parser.add_argument("--threads", default="1", help="comma list, e.g. 1,2 (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="pairs a case (3)")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--models", default="", help="comma list of model ids (all)")
    parser.add_argument("--out", type=Path, help="also write the Markdown here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    manifest = bundle.verify_bundle(str(args.bundle))
    backends = [b for b in args.backends.split(",") if b]
    unknown = sorted(set(backends) - set(BACKENDS))
    if unknown:
        sys.exit("error: --backends: no native tool for {}".format(", ".join(unknown)))
    threads = [int(t) for t in args.threads.split(",") if t]
    models = [m for m in args.models.split(",") if m] or None
    all_cases = cases(args.bundle.resolve(), manifest, backends, threads, models)
    if not all_cases:
        sys.exit(f"error: {args.bundle}: nothing to time")
    command = shlex.join([".venv/bin/python", "benchmarks/fidelity.py",
                          *(argv if argv is not None else sys.argv[1:])])
    started = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    before = machine()
    with tempfile.TemporaryDirectory(prefix="fidelity-") as workdir:
        settings = Settings(args.bundle.resolve(), tuple(manifest[Manifest.INPUT][Input.SHAPE]),
                            Path(workdir))
        loads: list[float] = []
        long_runs: dict = {}
        pairs = measure(all_cases, settings, args.repeats,
                        lambda line: print(line, file=sys.stderr, flush=True), loads, long_runs)
    text = report(pairs, command, started, before, loads, long_runs)
    print(text)
    if args.out:
        write_atomically(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
