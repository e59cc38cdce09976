"""The warm-up rule, the planned rounds and the flags: pure logic against literal numbers, with a
scripted clock instead of real time (fer_edge_harness.timing and .quality)."""

from __future__ import annotations

import pytest

from fer_edge_harness import quality, timing


class ScriptedRuntime:
    """A runtime whose call takes `duration(n, elapsed)` seconds on its own clock: n calls
    made before it, `elapsed` seconds since the first."""

    START = 100.0

    def __init__(self, duration):
        self.duration = duration
        self.now = self.START
        self.calls = 0

    def clock(self) -> float:
        return self.now

    def call(self) -> None:
        self.now += self.duration(self.calls, self.now - self.START)
        self.calls += 1


def test_median_and_settled():
    assert timing.median([3.0, 1.0, 2.0]) == 2.0
    assert timing.median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert timing.settled(100.0, 105.0) and timing.settled(100.0, 95.0)
    assert not timing.settled(100.0, 105.1) and not timing.settled(100.0, 94.9)


def cold_start(n: int, elapsed: float) -> float:
    """1 ms calls getting 30% faster every 0.1 s for half a second, then 0.2 ms."""
    return 0.001 * 0.7 ** int(elapsed / 0.1) if elapsed < 0.5 else 0.0002


def test_warm_up_goes_on_until_a_cold_start_has_passed():
    """Guards against a fixed small warm-up: the latency falls for 0.5 s before it settles."""
    runtime = ScriptedRuntime(cold_start)
    warm = timing.warm_up(runtime.call, 10, 5.0, clock=runtime.clock)
    assert warm.settled is True and warm.calls == runtime.calls
    assert warm.seconds > 0.5 and warm.call_s == pytest.approx(0.0002)
    # Settled at the first window that agrees with the one before: at most two 0.1 s windows
    # after the cold calls (the window holding the last change is the first "previous").
    assert warm.seconds < 0.5 + 2 * timing.WINDOW_S + 0.002


def test_warm_up_stops_early_when_the_latency_is_steady_from_the_start():
    runtime = ScriptedRuntime(lambda n, t: 0.001)
    warm = timing.warm_up(runtime.call, 10, 5.0, clock=runtime.clock)
    assert warm.settled is True
    assert warm.calls == 200 and warm.seconds == pytest.approx(0.2)  # two windows of 0.1 s


def test_warm_up_makes_at_least_the_configured_calls():
    runtime = ScriptedRuntime(lambda n, t: 0.0001)
    warm = timing.warm_up(runtime.call, 5000, 5.0, clock=runtime.clock)
    assert warm.calls >= 5000 and runtime.calls == warm.calls and warm.settled is True


def test_the_configured_calls_are_made_even_past_the_time_limit():
    """--warmup-rounds is a floor the user asked for: 300 calls of 10 ms outlast a 1 s limit."""
    runtime = ScriptedRuntime(lambda n, t: 0.01)
    warm = timing.warm_up(runtime.call, 300, 1.0, clock=runtime.clock)
    assert warm.calls >= 300 and warm.seconds >= 3.0 and warm.settled is True


def test_the_warm_up_stops_at_the_first_settled_window_with_enough_calls():
    runtime = ScriptedRuntime(lambda n, t: 0.001)
    warm = timing.warm_up(runtime.call, 200, 5.0, clock=runtime.clock)
    assert warm.calls == 200  # two windows of 100 calls: settled with exactly enough


def test_the_time_limit_ends_a_window_and_the_warm_up_on_the_dot():
    """0.25 s calls that never settle: the fourth call ends at exactly the 1 s limit."""
    runtime = ScriptedRuntime(lambda n, t: 0.25 * (1 + n))
    warm = timing.warm_up(runtime.call, 1, 2.5, clock=runtime.clock)
    assert warm.calls == 4 and warm.seconds == 2.5 and warm.settled is False


def test_a_negative_time_limit_is_the_fixed_count_too():
    runtime = ScriptedRuntime(lambda n, t: 0.001)
    warm = timing.warm_up(runtime.call, 3, -1.0, clock=runtime.clock)
    assert (warm.calls, warm.settled) == (3, None)


def test_slow_calls_fill_a_window_with_at_least_its_minimum_count():
    runtime = ScriptedRuntime(lambda n, t: 0.5)
    warm = timing.warm_up(runtime.call, 1, 60.0, clock=runtime.clock)
    assert warm.calls == 10 and warm.settled is True  # two windows of 5 calls


def test_a_latency_that_never_settles_stops_at_the_time_limit_and_says_so():
    # The latency grows by 3 / (1 + t) per second: about 15% a 0.1 s window, never within 5%.
    runtime = ScriptedRuntime(lambda n, t: 0.001 * (1 + t) ** 3)
    warm = timing.warm_up(runtime.call, 10, 1.0, clock=runtime.clock)
    assert warm.settled is False
    assert 1.0 <= warm.seconds < 1.0 + 0.01


def test_a_zero_time_limit_is_the_plain_fixed_count():
    runtime = ScriptedRuntime(lambda n, t: 0.001)
    warm = timing.warm_up(runtime.call, 7, 0.0, clock=runtime.clock)
    assert (warm.calls, runtime.calls, warm.settled) == (7, 7, None)
    assert warm.call_s == pytest.approx(0.001) and warm.seconds == pytest.approx(0.007)
    none = timing.warm_up(runtime.call, 0, 0.0, clock=runtime.clock)
    assert (none.calls, none.call_s) == (0, None) and runtime.calls == 7


@pytest.mark.parametrize(("min_rounds", "min_time_s", "call_s", "rounds"), [
    (40, 1.0, 0.0002, 5000),   # a fast model: the minimum time decides
    (40, 1.0, 0.0003, 3334),   # rounded up, never short of the minimum time
    (40, 1.0, 0.1, 40),        # a slow model: the paper's 40 rounds decide
    (40, 1.0, None, 40),       # no call time known (no warm-up)
    (40, 0.0, 0.0002, 40),     # no minimum time
    (3, 0.01, 0.001, 10),
])
def test_planned_rounds(min_rounds, min_time_s, call_s, rounds):
    assert timing.planned_rounds(min_rounds, min_time_s, call_s) == rounds
    assert timing.planned_rounds(min_rounds, min_time_s, call_s, call_s) == rounds


def test_planned_rounds_are_capped_on_a_busy_machine():
    """A median of 0.2 ms but a mean of 2 ms (every tenth call held up 18 ms): 5,000 rounds
    would take 10 s; the cap plans 3 x 1 s at the mean, 1,500 rounds."""
    assert timing.planned_rounds(40, 1.0, 0.0002, 0.002) == 1500
    assert timing.planned_rounds(40, 1.0, 0.0002, 0.00021) == 5000  # a normal tail: no cap
    assert timing.planned_rounds(40, 1.0, 0.05, 0.5) == 40  # never under the paper's 40
    assert timing.planned_rounds(40, 2.0, 0.0002, 0.002) == 3000  # 3 x 2 s at the mean


def test_the_warm_up_reports_its_last_window_median_and_mean():
    runtime = ScriptedRuntime(lambda n, t: 0.003 if n % 3 == 0 else 0.0006)
    warm = timing.warm_up(runtime.call, 10, 5.0, clock=runtime.clock)
    assert warm.call_s == pytest.approx(0.0006)
    assert warm.mean_call_s == pytest.approx(0.0014, rel=0.05)


def test_drift_compares_the_last_third_with_the_first():
    steady = [1.0] * 30
    assert quality.drift(steady) == 0.0
    doubled = [1.0] * 15 + [2.0] * 15  # median of all 1.5: (2 - 1) / 1.5
    assert quality.drift(doubled) == pytest.approx(1 / 1.5)
    assert quality.drift([2.0] * 10 + [1.0] * 20) == pytest.approx(-1.0)
    assert quality.drift([1.0] * 8) is None  # too few rounds to split in thirds
    assert quality.drift([1.0] * 6 + [2.0] * 3) == pytest.approx(1.0)  # nine: enough
    assert quality.drift([0.0] * 9) is None  # no time measured: no ratio


def test_drift_takes_exactly_the_first_and_the_last_third():
    """Guards against halves, quarters, "all but the first third" or the last 11 in place of
    thirds: each gives another figure on these 30 rounds (1.5, 2.0, 0.25, 1.0)."""
    data = [1.0] * 4 + [2.0] * 6 + [1.0] * 10 + [4.0] * 5 + [5.0] * 5
    assert quality.drift(data) == pytest.approx(1.25)  # (4.5 - 2) / median 2


STATE = {"cpus": {"cpu0": {"governor": "performance", "cur_mhz": 1500.0, "min_mhz": 600.0,
                           "max_mhz": 1500.0}},
         "nvpmodel": {"mode": "MAXN", "id": 0},
         "throttled": {"raw": "0x0", "now": [], "occurred": []}}


def _state(**changes) -> dict:
    import copy

    state = copy.deepcopy(STATE)
    for key, value in changes.items():
        if key in ("governor", "cur_mhz", "min_mhz", "max_mhz"):
            state["cpus"]["cpu0"][key] = value
        else:
            state[key] = value
    return state


def test_clock_changes_compare_governor_limits_and_power_mode_not_the_momentary_clock():
    assert quality.clock_changes(STATE, _state(cur_mhz=600.0)) == []
    assert quality.clock_changes(STATE, _state(governor="ondemand")) == [
        "cpu0 governor/min/max MHz performance/600.0/1500.0 -> ondemand/600.0/1500.0"]
    assert quality.clock_changes(STATE, _state(max_mhz=1200.0)) == [
        "cpu0 governor/min/max MHz performance/600.0/1500.0 -> performance/600.0/1200.0"]
    assert quality.clock_changes(STATE, _state(nvpmodel={"mode": "5W", "id": 1})) == [
        "power mode MAXN -> 5W"]
    assert quality.clock_changes({}, {}) == [] and quality.clock_changes(None, None) == []


def test_throttle_events_are_current_bits_or_bits_that_appeared():
    capped = {"raw": "0x20002", "now": ["arm-frequency-capped"],
              "occurred": ["arm-frequency-capped"]}
    assert quality.throttle_events(STATE, _state(throttled=capped)) == [
        "now: arm-frequency-capped", "occurred during the run: arm-frequency-capped"]
    old = {"raw": "0x50000", "now": [], "occurred": ["under-voltage", "throttled"]}
    assert quality.throttle_events(_state(throttled=old), _state(throttled=old)) == []
    assert quality.throttle_events({}, {}) == []


def _names(flags: list[dict]) -> list[str]:
    return [f["flag"] for f in flags]


def test_assess_flags_each_problem_with_its_reason():
    steady = [0.001] * 60
    assert quality.assess(0.001, 0.00005, steady, True, STATE, STATE) == []
    wide = quality.assess(0.001, 0.0002, steady, True, STATE, STATE)
    assert wide == [{"flag": "wide-dispersion",
                     "reason": "IQR 20% of the median (limit 10%)"}]
    assert _names(quality.assess(0.001, 0.0001, steady, True, STATE, STATE)) == []  # at 10%
    at_the_limit = [5.0] * 20 + [5.5] * 10  # drift 0.5 / 5 = 0.1 exactly: not above it
    assert _names(quality.assess(5.0, 0.0, at_the_limit, True, STATE, STATE)) == []
    # IQR 0.05 / 0.5 and mean 0.75 / 0.5 - 1: exactly at their limits in floating point.
    assert _names(quality.assess(0.5, 0.05, [], True, STATE, STATE, mean_s=0.75)) == []
    assert quality.assess(0.0, 0.0, [], True, STATE, STATE, mean_s=0.0) == []  # no division
    drifting = [0.001] * 40 + [0.002] * 20
    assert _names(quality.assess(0.001, 0.00005, drifting, True, STATE, STATE)) == ["drift"]
    assert _names(quality.assess(0.001, 0.00005, steady, False, STATE, STATE)) == ["unsettled"]
    assert _names(quality.assess(0.001, 0.00005, steady, None, STATE, STATE)) == []
    changed = _state(governor="powersave", throttled={"now": ["throttled"], "occurred": []})
    assert _names(quality.assess(0.001, 0.00005, steady, True, STATE, changed)) == [
        "clocks-changed", "throttled"]
    assert _names(quality.assess(0.001, 0.00005, steady, True, STATE, STATE, mean_s=0.0015)) \
        == []  # the mean 50% above the median: at the limit
    assert quality.assess(0.001, 0.00005, steady, True, STATE, STATE, mean_s=0.004) == [
        {"flag": "heavy-tail", "reason": "mean 300% above the median (limit 50%)"}]
    assert _names(quality.assess(0.001, 0.00005, steady, True, STATE, STATE,
                                 mean_s=0.002)) == ["heavy-tail"]
    assert _names(quality.assess(0.001, 0.00005, steady, True, STATE, STATE,
                                 mean_s=0.0011)) == []
    assert quality.limits() == {"max_relative_iqr": 0.1, "max_drift": 0.1,
                                "max_mean_excess": 0.5}


class SelfTimedRuntime(ScriptedRuntime):
    """A runtime whose calls take 1 ms of wall time (the scripted clock), of which it reports
    `own_s(n)` on its own clock (timing.RuntimeClock), as OpenVINO's request does."""

    def __init__(self, own_s):
        ScriptedRuntime.__init__(self, lambda n, t: 0.001)
        self.own_s = own_s
        self.own = timing.RuntimeClock("scripted request clock")

    def call(self) -> None:
        self.own.add(self.own_s(self.calls))
        ScriptedRuntime.call(self)


def test_a_runtime_clock_reads_the_sum_of_what_was_added_and_has_a_name():
    clock = timing.RuntimeClock("openvino InferRequest.latency")
    assert clock() == 0.0 and clock.__name__ == "openvino InferRequest.latency"
    clock.add(0.00025)
    clock.add(0.0005)
    assert clock() == pytest.approx(0.00075)


def test_the_warm_up_times_calls_on_the_call_clock_and_windows_on_the_wall():
    """Guards against mixing the two clocks: the settled call time must be the runtime's own
    (0.3 ms), while windows and the deadline stay wall time (0.1 s windows of 1 ms calls)."""
    runtime = SelfTimedRuntime(lambda n: 0.0003)
    warm = timing.warm_up(runtime.call, 10, 5.0, clock=runtime.clock, call_clock=runtime.own)
    assert warm.call_s == pytest.approx(0.0003) and warm.mean_call_s == pytest.approx(0.0003)
    assert warm.calls == 200 and warm.seconds == pytest.approx(0.2)  # two 0.1 s wall windows


def test_the_warm_up_settles_on_the_call_clock():
    """A runtime slow on its own clock for its first 150 calls, steady on the wall: the warm-up
    must go on until its own figure settles, not stop at the steady wall time."""
    runtime = SelfTimedRuntime(lambda n: 0.0009 if n < 150 else 0.0003)
    warm = timing.warm_up(runtime.call, 10, 5.0, clock=runtime.clock, call_clock=runtime.own)
    assert warm.settled is True and warm.calls == 400 and warm.call_s == pytest.approx(0.0003)


def test_the_fixed_warm_up_times_its_last_call_on_the_call_clock():
    runtime = SelfTimedRuntime(lambda n: 0.0004)
    warm = timing.warm_up(runtime.call, 7, 0.0, clock=runtime.clock, call_clock=runtime.own)
    assert warm.calls == 7 and warm.call_s == pytest.approx(0.0004)
    assert warm.seconds == pytest.approx(0.007)  # the wall time of the 7 calls
