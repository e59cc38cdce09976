"""The harness's measurement (fer_edge_harness.measure) through pytest-benchmark's real
`benchmark` fixture: what is timed, how often, after which warm-up, the accuracy, and the flag a
disturbance earns. The backends here sleep or compute for a known time, so each test checks a
measured number against what it must be."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from fer_edge_harness import measure, timing
from fer_edge_harness.session import Case, CaseFailure
from fer_edge_harness.settings import RunSettings

N_CLASSES = 3


def run_settings(**changes) -> RunSettings:
    """The harness's default timing rule, with a shorter minimum time so a test stays fast."""
    base = {"bundle_dir": "/b", "backends": ["tflite"], "device_label": "test", "threads": 1,
            "min_time_s": 0.1, "max_warmup_s": 2.0}
    return RunSettings(**{**base, **changes})


class SleepingBackend:
    """A backend whose inference takes `infer_s` seconds (its first `cold_calls` take
    `cold_s`), whose prepare is instant, and which records every call."""

    name = "sleeping"
    precision = "fp32"
    threads = 1

    def __init__(self, infer_s: float = 0.002, cold_calls: int = 0, cold_s: float = 0.0):
        self.infer_s, self.cold_calls, self.cold_s = infer_s, cold_calls, cold_s
        self.infer_args: list = []
        self.cold: list[bool] = []  # per call: was it one of the cold first calls
        self.prepared: list = []
        self.closed = False

    def load(self, path, options):
        self.loaded = path

    def prepare(self, x_uint8):
        made = {"image": np.asarray(x_uint8).copy()}
        self.prepared.append(made)
        return made

    def infer(self, prepared):
        self.infer_args.append(prepared)
        cold = len(self.infer_args) <= self.cold_calls
        self.cold.append(cold)
        time.sleep(self.cold_s if cold else self.infer_s)
        return prepared["image"]

    def predict_batch(self, images):
        """Known scores: image i scores class (i % N_CLASSES) highest."""
        scores = np.full((len(images), N_CLASSES), 0.1, dtype=np.float32)
        scores[np.arange(len(images)), np.arange(len(images)) % N_CLASSES] = 0.8
        return scores

    def accelerator(self):
        return None

    def versions(self):
        return {"sleeping": "1"}

    def details(self):
        return {}

    def loaded_artifact(self):
        return None

    def close(self):
        self.closed = True


def test_accuracy_is_top_1_by_arg_max_over_the_classes_in_percent():
    """Guards against the wrong arg-reduction (argmin, the wrong axis) or a fraction instead of
    a percentage: every backend's accuracy comes from this one function."""
    scores = np.array([[0.1, 0.7, 0.2],    # class 1
                       [0.5, 0.2, 0.3],    # class 0
                       [0.2, 0.3, 0.5],    # class 2
                       [0.3, 0.4, 0.3],    # class 1
                       [0.05, 0.15, 0.8]])  # class 2
    labels = np.array([1, 0, 2, 0, 1])
    assert measure.accuracy_percent(scores, labels) == 60.0
    assert measure.accuracy_percent(scores, np.array([1, 0, 2, 1, 2])) == 100.0
    assert measure.accuracy_percent(scores, np.array([0, 1, 0, 2, 0])) == 0.0
    with pytest.raises(ValueError, match="5 predictions for 4 test images"):
        measure.accuracy_percent(scores, labels[:4])
    with pytest.raises(ValueError, match="4 predictions for 5 test images"):
        measure.accuracy_percent(scores[:4], labels)


def test_the_timed_call_is_the_inference_on_the_prepared_input(benchmark):
    """Guards against timing the wrong callable (the input preparation, or infer on another
    input) and against calling it other than warm-up + rounds times: every timed round must
    hold one whole 2 ms inference on the prepared input."""
    backend = SleepingBackend(infer_s=0.002)
    prepared = backend.prepare(np.zeros((1, 4, 4), np.uint8))
    timed = measure.time_inference(benchmark, backend, prepared, run_settings())
    warm, stats = timed.warm, timed.stats
    assert timed.clock_name == "wall" and timed.wall_median_s == stats.median
    assert all(arg is prepared for arg in backend.infer_args)
    assert len(backend.infer_args) == warm.calls + stats.rounds
    assert stats.min >= 0.002  # each round is one inference: never a cheaper call
    assert stats.rounds == len(stats.data) == benchmark.stats.stats.rounds
    assert stats.rounds >= 40 and stats.total >= 0.1 * 0.9
    assert len(backend.prepared) == 1  # prepared once, outside the timed call


def test_the_warm_up_runs_before_the_timed_rounds(benchmark):
    """Guards against a warm-up that is skipped (zero warm-up calls): a cold runtime's first
    calls (200 ms here) would be timed, and the median of few rounds would carry them."""
    backend = SleepingBackend(infer_s=0.001, cold_calls=3, cold_s=0.2)
    prepared = backend.prepare(np.zeros((1, 4, 4), np.uint8))
    timed = measure.time_inference(benchmark, backend, prepared, run_settings())
    warm, stats = timed.warm, timed.stats
    assert warm.calls > 3 and warm.settled is True
    assert not any(backend.cold[-stats.rounds:])  # no cold call among the timed rounds


def test_the_configured_warm_up_calls_are_all_made(benchmark):
    """Guards against ignoring --warmup-rounds: the rule may warm up longer, never shorter."""
    backend = SleepingBackend(infer_s=0.0001)
    prepared = backend.prepare(np.zeros((1, 4, 4), np.uint8))
    timed = measure.time_inference(benchmark, backend, prepared,
                                   run_settings(warmup_rounds=1500, min_time_s=0.0))
    warm, stats = timed.warm, timed.stats
    assert warm.calls >= 1500 and len(backend.infer_args) == warm.calls + stats.rounds
    assert stats.rounds == 40  # no minimum time: the paper's count


class SelfTimingBackend(SleepingBackend):
    """A runtime that times its own inference, as OpenVINO's InferRequest does: each call
    sleeps `infer_s` of wall time and reports `own_s` on its own clock."""

    def __init__(self, infer_s: float, own_s: float):
        SleepingBackend.__init__(self, infer_s=infer_s)
        self.own_s = own_s
        self.clock = timing.RuntimeClock("sleeping request clock")

    def runtime_clock(self):
        return self.clock

    def infer(self, prepared):
        output = SleepingBackend.infer(self, prepared)
        self.clock.add(self.own_s)
        return output


def test_a_runtime_that_times_itself_is_timed_on_its_own_clock(benchmark):
    """Guards against ranking a self-timing runtime (OpenVINO) by its Python call: the rounds
    must be timed on the runtime's clock (the figure its own tool reports), the warm-up planned
    on it, the wall-clock median kept beside it, and the session's timer given back."""
    backend = SelfTimingBackend(infer_s=0.002, own_s=0.0005)
    prepared = backend.prepare(np.zeros((1, 4, 4), np.uint8))
    session_timer = benchmark._timer
    timed = measure.time_inference(benchmark, backend, prepared, run_settings(min_time_s=0.05))
    stats = timed.stats
    assert timed.clock_name == "sleeping request clock"
    assert stats.median == pytest.approx(0.0005) and stats.max == pytest.approx(0.0005)
    assert timed.warm.call_s == pytest.approx(0.0005)
    assert 0.002 <= timed.wall_median_s < 0.02  # the 2 ms sleeps, on the wall clock
    # planned for 0.05 s at the runtime's 0.5 ms a call (not 25 at the wall's 2 ms)
    assert stats.rounds == 100 and len(backend.infer_args) == timed.warm.calls + 100
    assert benchmark._timer is session_timer
    fields = measure.latency_fields(timed, {}, {})
    assert fields["latency_ms"] == pytest.approx(0.5)
    assert fields["wall_latency_ms"] == timed.wall_median_s * 1000.0
    assert fields["latency_clock"] == "sleeping request clock"


def test_a_failing_self_timed_call_gives_the_timer_back(benchmark):
    """Guards against a session left on one backend's clock after its benchmark failed: every
    later benchmark would read a clock that no longer moves."""
    backend = SelfTimingBackend(infer_s=0.0001, own_s=0.0001)
    prepared = backend.prepare(np.zeros((1, 4, 4), np.uint8))
    session_timer = benchmark._timer
    calls = []

    def failing(prepared):
        calls.append(1)
        if len(calls) > 20:  # 10 warm-up calls, then 10 timed rounds
            raise RuntimeError("device lost")
        return SelfTimingBackend.infer(backend, prepared)

    backend.infer = failing
    with pytest.raises(RuntimeError, match="device lost"):
        measure.time_inference(benchmark, backend, prepared,
                               run_settings(warmup_rounds=10, max_warmup_s=0.0))
    assert benchmark._timer is session_timer


class FakeBoard:
    def __init__(self):
        self.states = 0

    def state(self):
        self.states += 1
        return {"cpus": {"cpu0": {"governor": "performance", "min_mhz": 600.0,
                                  "max_mhz": 1500.0}}}


class FakeSession:
    """What run_case reads of the harness's session, around one SleepingBackend."""

    def __init__(self, backend, settings):
        self.backend, self.settings = backend, settings
        self.board = FakeBoard()
        self.hardware = {"board": "test"}
        self.bundle_sha256 = "ab" * 32
        self.finished: list = []
        rng = np.random.default_rng(0)
        self.images = rng.integers(0, 255, (12, 4, 4), dtype=np.uint8)
        self.labels = np.array([0, 1, 2, 0, 1, 2, 2, 0, 1, 1, 2, 0])  # 6 of 12 as scored

    def open_backend(self, case):
        return self.backend

    def artifact(self, case):
        return {"format": "tflite_fp32", "path": "/b/m/model.tflite", "sha256": "cd" * 32}

    def test_set(self):
        return self.images, self.labels

    def load_options(self, case, artifact):
        return None

    def runtime_versions(self, backend):
        return backend.versions()

    def measure_power(self, case, backend, prepared):
        return None  # stage latency: no power stage


def test_run_case_records_the_median_the_rounds_and_the_accuracy(benchmark):
    """Guards against a result that is not the measurement: latency_ms must be the median of
    the very rounds pytest-benchmark timed, accuracy the backend's own on the test set."""
    backend = SleepingBackend(infer_s=0.001)
    session = FakeSession(backend, run_settings())
    measure.run_case(session, Case("m1", "tflite"), benchmark)
    info, stats = benchmark.extra_info, benchmark.stats.stats
    assert info["latency_ms"] == stats.median * 1000.0 and info["latency_statistic"] == "median"
    assert info["latency_ms"] >= 1.0
    assert info["latency_mean_ms"] == stats.mean * 1000.0
    assert info["latency_iqr_ms"] == stats.iqr * 1000.0
    assert info["latency_cv"] == pytest.approx(stats.stddev / stats.mean)
    assert (info["rounds"], info["timed_s"]) == (stats.rounds, pytest.approx(stats.total))
    assert info["warmup_rounds"] + info["rounds"] == len(backend.infer_args)
    # Settled after at least two 0.1 s windows, or (a machine too busy for 1 ms sleeps to
    # agree) stopped at the 2 s limit.
    assert info["warmup_s"] >= 2 * timing.WINDOW_S
    assert info["warmup_settled"] is True or info["warmup_s"] >= 2.0
    assert info["accuracy"] == 50.0 and info["n_test"] == 12
    assert backend.prepared[0]["image"].shape == (1, 4, 4)
    assert np.array_equal(backend.prepared[0]["image"], session.images[:1])
    assert session.board.states == 2 and session.finished == [benchmark.stats]
    assert backend.closed


def test_a_busy_thread_started_mid_run_is_flagged(benchmark, monkeypatch):
    """A disturbance that starts halfway through the timed rounds must flag the result instead
    of letting its latency be ranked silently. The disturbance: a thread that keeps Python's
    interpreter busy, so each inference, which (like the runtimes' own) releases the
    interpreter while it runs, waits to get it back (up to the 5 ms switch interval)."""
    planned = {}
    real_plan = timing.planned_rounds

    def plan(min_rounds, min_time_s, call_s, mean_call_s=None):
        planned["rounds"] = real_plan(min_rounds, min_time_s, call_s, mean_call_s)
        return planned["rounds"]

    monkeypatch.setattr(timing, "planned_rounds", plan)
    stop = threading.Event()

    def busy():
        count = 0
        while not stop.is_set():
            count += 1

    class DisturbedBackend(SleepingBackend):
        def infer(self, prepared):
            if "rounds" in planned and "start" not in planned:
                planned["start"] = len(self.infer_args)  # the first timed round
            middle = planned.get("start", -1) + planned.get("rounds", 0) // 2
            if len(self.infer_args) == middle:
                threading.Thread(target=busy, daemon=True).start()
            return super().infer(prepared)

    backend = DisturbedBackend(infer_s=0.0005)
    session = FakeSession(backend, run_settings(min_time_s=0.3))
    try:
        measure.run_case(session, Case("m1", "tflite"), benchmark)
    finally:
        stop.set()
    assert "start" in planned  # the thread did start, halfway through the timed rounds
    flags = {f["flag"] for f in benchmark.extra_info["flags"]}
    # On a quiet machine the second half's rounds wait for the interpreter: drift, and a wide
    # IQR; on a machine already busy the flags may come from its own noise as well.
    assert flags & {"drift", "wide-dispersion", "heavy-tail"}, benchmark.extra_info["flags"]


class FakeStats:
    """pytest-benchmark's Stats, with literal figures (seconds)."""

    def __init__(self, data, median, mean, iqr, stddev):
        self.data, self.median, self.mean, self.iqr, self.stddev = data, median, mean, iqr, stddev
        self.rounds, self.total = len(data), sum(data)


def test_latency_fields_from_literal_stats():
    warm = timing.WarmUp(calls=400, seconds=0.21, is_settled=True, call_s=0.0005)
    stats = FakeStats([0.0005, 0.0005, 0.0005, 0.0006] * 10, median=0.0005, mean=0.000525,
                      iqr=0.0001, stddev=0.0000433)
    fields = measure.latency_fields(measure.Timed(warm, stats, "wall", 0.0005), {}, {})
    assert fields == {
        "latency_clock": "wall", "wall_latency_ms": 0.5, "latency_ms": 0.5,
        "latency_mean_ms": 0.525, "latency_iqr_ms": pytest.approx(0.1),
        "latency_cv": pytest.approx(0.0000433 / 0.000525), "rounds": 40,
        "timed_s": pytest.approx(0.021), "warmup_rounds": 400, "warmup_s": 0.21,
        "warmup_settled": True,
        "flags": [{"flag": "wide-dispersion", "reason": "IQR 20% of the median (limit 10%)"}]}
    zero = FakeStats([0.0] * 3, median=0.0, mean=0.0, iqr=0.0, stddev=0.0)
    assert measure.latency_fields(measure.Timed(warm, zero, "wall", 0.0), {},
                                  {})["latency_cv"] is None


def test_disabled_benchmarks_say_so():
    class Disabled:
        stats = None

    with pytest.raises(RuntimeError, match="benchmarks are disabled"):
        measure.timed_stats(Disabled())


@pytest.mark.parametrize(("method", "step"), [("load", "load"), ("prepare", "prepare"),
                                              ("infer", "infer"), ("predict_batch", "accuracy")])
def test_a_failing_step_is_named_and_the_backend_closed(benchmark, method, step):
    """Guards against a failure reported under the wrong step, or a backend left open."""
    backend = SleepingBackend(infer_s=0.0001)

    def broken(*args):
        raise RuntimeError("first line\nthe runtime's reason")

    setattr(backend, method, broken)
    session = FakeSession(backend, run_settings(min_time_s=0.0, max_warmup_s=0.0))
    with pytest.raises(CaseFailure) as failure:
        measure.run_case(session, Case("m1", "tflite"), benchmark)
    assert str(failure.value) == f"{step} failed: RuntimeError: the runtime's reason"
    assert backend.closed and session.finished == []
