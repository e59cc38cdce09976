"""The fidelity benchmark's pure half (benchmarks/fidelity_parse.py) on literal tool output."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "fidelity_parse.py"
_SPEC = importlib.util.spec_from_file_location("fidelity_parse", _PATH)
fp = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("fidelity_parse", fp)  # dataclasses look their module up there
_SPEC.loader.exec_module(fp)

# Cut from a real `benchmark_app -api sync -nthreads 1 -infer_precision f32 -hint none` log.
BENCHMARK_APP_LOG = """\
[Step 8/11] Querying optimal runtime parameters
[ INFO ] Model:
[ INFO ]   NUM_STREAMS: 1
[ INFO ]   INFERENCE_NUM_THREADS: 1
[ INFO ]   INFERENCE_PRECISION_HINT: <Type: 'float32'>
[ INFO ]   PERFORMANCE_HINT: LATENCY
[ INFO ] First inference took 1.95 ms
[Step 11/11] Dumping statistics report
[ INFO ] Count:            167450 iterations
[ INFO ] Duration:         60000.53 ms
[ INFO ] Latency:
[ INFO ]    Median:        358.30 us
[ INFO ]    Average:       410.63 us
[ INFO ]    Min:           313.72 us
[ INFO ] Throughput:   2340.14 FPS
"""

# A real litert-benchmark --result_json (fp32 model: input 1x48x48x1 float32 = 9216 bytes).
LITERT_REPORT = {"num_threads": 1, "throughput_mb_s": 24.21,
                 "latency": {"avg_ms": 0.36, "median_ms": 0.35, "num_runs": 50,
                             "num_warmup_runs": 5}}


def harness_report(*entries):
    return {"benchmarks": [
        {"stats": {"median": median_s, "mean": mean_s},
         "extra_info": {"model_id": model, "backend": backend, "threads": 1,
                        "precision": "fp32", "artifact_sha256": "ab" * 32}}
        for model, backend, median_s, mean_s in entries],
        "fer_edge": {"failures": [{"model_id": "t9", "backend": "openvino",
                                   "reason": "load failed: RuntimeError: bad IR"}],
                     "skipped": []}}


def test_benchmark_app_log_in_microseconds():
    timing = fp.parse_benchmark_app(BENCHMARK_APP_LOG)
    assert timing.median_us == pytest.approx(358.30)
    assert timing.mean_us == pytest.approx(410.63)
    assert (timing.threads, timing.precision) == (1, "fp32")
    assert timing.median_halfwidth_us == pytest.approx(0.005)
    assert (timing.rounds, timing.timed_s) == (167450, pytest.approx(60.00053))
    assert fp.ran_for(timing) == "0.00 s warm-up (1 calls) + 60.00 s timed (167450 rounds)"


def test_how_long_litert_benchmark_and_the_harness_ran():
    litert = fp.parse_litert(LITERT_REPORT, 48 * 48 * 4, "fp32")
    assert (litert.rounds, litert.warmup_calls) == (50, 5)
    assert litert.timed_s == pytest.approx(50 * 363.035e-6, rel=1e-4)
    assert fp.ran_for(litert) == "warm-up (5 calls) + 0.02 s timed (50 rounds)"
    report = harness_report(("t1", "tflite", 0.0004, 0.00041))
    report["benchmarks"][0]["stats"].update(rounds=2500, total=1.02)
    report["benchmarks"][0]["extra_info"].update(warmup_rounds=480, warmup_s=0.2)
    harness, _ = fp.parse_harness(report, "t1", "tflite")
    assert fp.ran_for(harness) == "0.20 s warm-up (480 calls) + 1.02 s timed (2500 rounds)"
    assert fp.ran_for(fp.Timing(1.0, 1.0, 1, "fp32")) == "?"


def test_benchmark_app_log_in_milliseconds_and_bf16():
    log = (BENCHMARK_APP_LOG.replace("358.30 us", "1.25 ms").replace("410.63 us", "1.40 ms")
           .replace("'float32'", "'bfloat16'").replace("THREADS: 1", "THREADS: 2"))
    timing = fp.parse_benchmark_app(log)
    assert (timing.median_us, timing.mean_us) == (pytest.approx(1250.0), pytest.approx(1400.0))
    assert timing.median_halfwidth_us == pytest.approx(5.0)
    assert (timing.threads, timing.precision) == (2, "bf16")


def test_benchmark_app_log_without_latency_is_an_error():
    with pytest.raises(ValueError, match="Median"):
        fp.parse_benchmark_app(BENCHMARK_APP_LOG.replace("Median:", "P50:"))


def test_litert_mean_is_recovered_from_throughput():
    timing = fp.parse_litert(LITERT_REPORT, 48 * 48 * 4, "fp32")
    # 9216 B / 2**20 = 0.0087890625 MB at 24.21 MB/s -> 363.035 us, finer than avg_ms 0.36.
    assert timing.mean_us == pytest.approx(363.035, abs=0.001)
    assert timing.mean_halfwidth_us == pytest.approx(0.075, abs=0.001)
    assert (timing.median_us, timing.median_halfwidth_us) == (pytest.approx(350.0), 5.0)
    assert (timing.threads, timing.precision) == (1, "fp32")


def test_unrounded_litert_figures_are_taken_as_they_are():
    report = {"num_threads": 2, "throughput_mb_s": 24.2133,
              "latency": {"avg_ms": 0.3629871, "median_ms": 0.3512249}}
    timing = fp.parse_litert(report, 48 * 48 * 4, "fp32")
    assert (timing.median_us, timing.mean_us) == (pytest.approx(351.2249),
                                                  pytest.approx(362.9871))
    assert (timing.median_halfwidth_us, timing.mean_halfwidth_us) == (0.0, 0.0)


def test_harness_json_gives_the_named_benchmark_and_its_file():
    report = harness_report(("t1", "tflite", 300e-6, 320e-6), ("t1", "openvino", 2e-4, 3e-4))
    timing, sha256 = fp.parse_harness(report, "t1", "openvino")
    assert (timing.median_us, timing.mean_us) == (pytest.approx(200.0), pytest.approx(300.0))
    assert sha256 == "ab" * 32
    with pytest.raises(ValueError, match="bad IR"):
        fp.parse_harness(report, "t9", "openvino")


def test_the_harness_clock_and_wall_median_reach_the_summary():
    """The table must say which clock timed the harness's rounds and keep its wall median."""
    report = harness_report(("t1", "openvino", 2e-4, 3e-4))
    report["benchmarks"][0]["extra_info"].update(
        latency_clock="openvino InferRequest.latency", wall_latency_ms=0.2301)
    harness, _ = fp.parse_harness(report, "t1", "openvino")
    assert (harness.clock, harness.wall_median_us) == ("openvino InferRequest.latency",
                                                       pytest.approx(230.1))
    pooled = fp.pool([(harness, timing(195.0))])
    row = fp.summary_row("t1", 24.1, "openvino", "benchmark_app", 1, "fp32", pooled, 0.0)
    assert row[5:9] == ["200.0", "openvino InferRequest.latency", "230.1", "195.0"]
    old, _ = fp.parse_harness(harness_report(("t1", "tflite", 3e-4, 3e-4)), "t1", "tflite")
    assert fp.summary_row("t1", 24.1, "tflite", "litert-benchmark", 1, "fp32",
                          fp.pool([(old, timing(300.0))]), 0.0)[6:8] == ["?", "-"]


def timing(median_us, threads=1, precision="fp32", halfwidth=0.0):
    return fp.Timing(median_us, median_us * 1.1, threads, precision, halfwidth)


def test_pool_pools_latencies_per_side_and_ratios_per_pair():
    pooled = fp.pool([(timing(108), timing(100)), (timing(300), timing(105)),
                      (timing(104), timing(200))])
    assert (pooled.harness_median_us, pooled.native_median_us) == (108, 105)
    assert pooled.ratios == pytest.approx((1.08, 300 / 105, 0.52))
    assert pooled.ratio == pytest.approx(1.08)  # the pairs' median, not 108 / 105
    assert pooled.mean_ratio == pytest.approx(1.08)
    assert pooled.fastest_ratio == pytest.approx(104 / 100)
    assert (pooled.harness_spread, pooled.native_spread) == (pytest.approx(300 / 104),
                                                             pytest.approx(2.0))
    assert fp.verdict(pooled) == "yes"


def test_verdict_no_undecided_and_settings_that_differ():
    assert fp.verdict(fp.pool([(timing(120), timing(100))])) == "NO"
    rounded = fp.pool([(timing(120), timing(110, halfwidth=5.0))])
    assert (rounded.ratio_low, rounded.ratio_high) == (pytest.approx(120 / 115),
                                                       pytest.approx(120 / 105))
    assert fp.verdict(rounded) == "undecided at the tool's resolution"
    mixed = fp.pool([(timing(100), timing(100, threads=2, precision="bf16"))])
    assert fp.verdict(mixed) == "NO (settings differ: threads 1 vs 2, precision fp32 vs bf16)"


def test_markdown_table_right_aligns_numbers():
    text = fp.markdown_table(["model", "us"], [["t1", "350.0 ±5"], ["t2", "12.5"]])
    assert text.splitlines()[1] == "|---|---:|"
    assert text.splitlines()[2] == "| t1 | 350.0 ±5 |"
