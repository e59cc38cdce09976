"""One (model, backend) benchmark: load, prepare, warm up until the latency settles, time (the
one timing loop: pytest-benchmark's pedantic), then accuracy over the whole test set on the same
backend, then the result fields with the flags that say whether the latency can be ranked on.
"""

import contextlib
import time

import numpy as np

from fer_edge_harness import quality, results, timing
from fer_edge_harness.manifest_schema import ChosenArtifact
from fer_edge_harness.results_schema import WALL_CLOCK, Extra
from fer_edge_harness.session import CaseFailure


@contextlib.contextmanager
def step(name):
    """Turn any error inside into a CaseFailure naming the step (load, prepare, infer...)."""
    try:
        yield
    except Exception as exc:
        raise CaseFailure(name, exc) from exc


def accuracy_percent(probabilities, labels):
    """Top-1 accuracy in percent (0-100) of class scores (N, C) against labels (N,)."""
    if probabilities.shape[0] != labels.shape[0]:
        raise ValueError("{} predictions for {} test images".format(probabilities.shape[0],
                                                                     labels.shape[0]))
    return float(np.mean(np.argmax(probabilities, axis=1) == labels) * 100.0)


def timed_stats(benchmark):
    """pytest-benchmark's statistics of the timed rounds (seconds)."""
    metadata = getattr(benchmark, "stats", None)
    if metadata is None:
        raise RuntimeError("no timings: benchmarks are disabled (--benchmark-disable?)")
    return metadata.stats


class Timed(object):
    """What time_inference measured: the warm-up, pytest-benchmark's Stats of the timed rounds
    (on the latency clock), that clock's name, and the wall-clock median of the same rounds
    around the Python call (seconds; the Stats' own median when the clock is the wall)."""

    def __init__(self, warm, stats, clock_name, wall_median_s):
        self.warm, self.stats = warm, stats
        self.clock_name, self.wall_median_s = clock_name, wall_median_s


@contextlib.contextmanager
def benchmark_timer(benchmark, clock):
    """pytest-benchmark times every round with the fixture's timer (`--benchmark-timer`, one for
    the session); a backend with its own latency clock gets it for its rounds only. Yields the
    clock in force for them, or None for the session's wall clock. pytest-benchmark 3.x to 5.x
    keep the timer in the fixture's `_timer`; a fixture without one keeps its own timer, and
    the result then says the wall clock."""
    if clock is None or not hasattr(benchmark, "_timer"):
        yield None
        return
    saved = benchmark._timer
    benchmark._timer = clock
    try:
        yield clock
    finally:
        benchmark._timer = saved


def time_inference(benchmark, backend, prepared, settings):
    """Warm up until settled, then time `backend.infer(prepared)` for the planned rounds.

    Returns a Timed. The warm-up is done here rather than through pedantic's fixed
    `warmup_rounds`, because how many calls it takes is only known while it runs; pedantic
    then times exactly the planned rounds, one inference each, on the backend's latency clock
    (the wall clock unless the runtime times itself, Backend.runtime_clock).
    """
    clock = getattr(backend, "runtime_clock", lambda: None)()
    warm = timing.warm_up(lambda: backend.infer(prepared), settings.warmup_rounds,
                          settings.max_warmup_s, call_clock=clock)
    rounds = timing.planned_rounds(settings.rounds, settings.min_time_s, warm.call_s,
                                   warm.mean_call_s)
    wall = []

    def timed_call(prepared):
        started = time.perf_counter()
        output = backend.infer(prepared)
        wall.append(time.perf_counter() - started)
        return output

    with benchmark_timer(benchmark, clock) as in_force:
        target = backend.infer if in_force is None else timed_call
        benchmark.pedantic(target, args=(prepared,), rounds=rounds, warmup_rounds=0,
                           iterations=1)
    stats = timed_stats(benchmark)
    if in_force is None:
        return Timed(warm, stats, WALL_CLOCK, stats.median)
    return Timed(warm, stats, in_force.__name__, timing.median(wall))


def latency_fields(timed, before, after):
    """The timing part of extra_info (see results.build_extra_info) and its flags."""
    warm, stats = timed.warm, timed.stats
    median_s, iqr_s = stats.median, stats.iqr
    return {
        Extra.LATENCY_CLOCK: timed.clock_name,
        Extra.WALL_LATENCY_MS: timed.wall_median_s * 1000.0,
        Extra.LATENCY_MS: median_s * 1000.0,
        Extra.LATENCY_MEAN_MS: stats.mean * 1000.0,
        Extra.LATENCY_IQR_MS: iqr_s * 1000.0,
        Extra.LATENCY_CV: stats.stddev / stats.mean if stats.mean > 0 else None,
        Extra.ROUNDS: int(stats.rounds),
        Extra.TIMED_S: float(stats.total),
        Extra.WARMUP_ROUNDS: warm.calls,
        Extra.WARMUP_S: warm.seconds,
        Extra.WARMUP_SETTLED: warm.settled,
        Extra.FLAGS: quality.assess(median_s, iqr_s, list(stats.data), warm.settled, before, after,
                                mean_s=stats.mean),
    }


def run_case(session, case, benchmark):
    """Measure one case and fill the benchmark's extra_info; a failure raises CaseFailure."""
    backend = session.open_backend(case)  # a recorded skip when the runtime is missing
    artifact = session.artifact(case)  # a recorded skip when the bundle has no usable file
    try:
        images, labels = session.test_set()
        with step("load"):
            backend.load(artifact[ChosenArtifact.PATH], session.load_options(case, artifact))
        with step("prepare"):
            prepared = backend.prepare(images[:1])
        before = session.board.state()
        with step("infer"):
            timed = time_inference(benchmark, backend, prepared, session.settings)
        after = session.board.state()
        with step("accuracy"):
            accuracy = accuracy_percent(backend.predict_batch(images), labels)
        with step("power"):  # stage power only; a meter fault is recorded, never raised
            power = session.measure_power(case, backend, prepared)
        hardware = dict(session.hardware, accelerator=backend.accelerator())
        benchmark.extra_info.update(results.build_extra_info(
            session.settings, case, backend, latency_fields(timed, before, after),
            accuracy, int(labels.shape[0]), hardware, before, after, session.bundle_sha256,
            session.runtime_versions(backend), artifact, power=power))
        session.finished.append(benchmark.stats)
    finally:
        backend.close()
