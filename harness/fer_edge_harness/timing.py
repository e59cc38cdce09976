"""How long a benchmark warms up and how many rounds it times (Python 3.6 compatible).

A runtime's first calls are slow (allocation, thread-pool start, caches, a clock that ramps up)
and how long that lasts depends on the board, the runtime and the model, so no fixed count of
warm-up calls fits all: the warm-up runs in windows of at least WINDOW_S seconds and stops once
two consecutive windows' median latencies agree within SETTLE_TOLERANCE (and at least the
configured number of calls was made), or when `max_seconds` is spent (then the benchmark is
flagged "unsettled"). The timed rounds are then planned so they last at least `min_time_s` at the
settled speed and number at least `min_rounds` (the paper's 40). pytest-benchmark's pedantic
times those rounds (measure.py); the warm-up's own clock readings only decide when to stop.

What a call "takes" is read on the backend's latency clock: the wall clock around the Python
call, or, where the runtime times its own inference (OpenVINO's InferRequest.latency, the figure
`benchmark_app` reports), that runtime's clock (RuntimeClock); windows and deadlines are always
wall time.
"""

import math
import time

WINDOW_S = 0.1  # one warm-up window: long enough to hold many calls of a sub-ms model
WINDOW_MIN_CALLS = 5  # and enough calls for a median even for a slow model
SETTLE_TOLERANCE = 0.05  # consecutive window medians within 5% of each other: settled
# On a busy machine the mean call is far above the median one and rounds planned from the median
# would run many times the minimum time: at most this many times it, at the warm-up's mean.
TIME_CAP_FACTOR = 3.0


def median(values):
    """The median of a non-empty list of numbers."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2.0


def settled(previous_median, latest_median, tolerance=SETTLE_TOLERANCE):
    """Whether two consecutive windows agree: the latest median within `tolerance` of the
    previous one."""
    return abs(latest_median - previous_median) <= tolerance * previous_median


class WarmUp(object):
    """What the warm-up did: calls made, seconds spent, whether the latency settled (None when
    the stability rule was off), and the median and mean call time of its last window (None:
    no call). Rounds are planned from the median: they last at least the minimum time whenever
    the timed rounds' mean is at or above their median, as a latency's right tail makes it."""

    def __init__(self, calls, seconds, is_settled, call_s, mean_call_s=None):
        self.calls = calls
        self.seconds = seconds
        self.settled = is_settled
        self.call_s = call_s
        self.mean_call_s = call_s if mean_call_s is None else mean_call_s


class RuntimeClock(object):
    """A clock that advances only by what a runtime timed itself: the backend adds each call's
    own latency (`add`), and reading it before and after a call gives that call's latency.
    pytest-benchmark takes it as the timer of a backend's rounds (measure.py), so the timed
    figure is the runtime's, without the Python call around it; `__name__` names it in the
    results (pytest-benchmark's options.timer)."""

    def __init__(self, name):
        self.__name__ = name
        self.seconds = 0.0

    def __call__(self):
        return self.seconds

    def add(self, seconds):
        self.seconds += seconds


def _window(call, window_start, deadline, clock, call_clock):
    """Call repeatedly for one window; the call times (seconds, on `call_clock`)."""
    durations = []
    while True:
        call_started = call_clock()
        call()
        ended, call_ended = clock(), call_clock()
        durations.append(call_ended - call_started)
        long_enough = ended - window_start >= WINDOW_S and len(durations) >= WINDOW_MIN_CALLS
        if long_enough or ended >= deadline:
            return durations


def fixed_warm_up(call, calls, clock=time.perf_counter, call_clock=None):
    """The plain count: `calls` untimed calls (the rule switched off with max_seconds 0)."""
    call_clock = call_clock or clock
    started = clock()
    last = None
    for _ in range(calls):
        before = call_clock()
        call()
        last = call_clock() - before
    return WarmUp(calls, clock() - started, None, last)


def warm_up(call, min_calls, max_seconds, clock=time.perf_counter, call_clock=None):
    """Call `call()` until the latency has settled (see the module docstring) or `max_seconds`
    have passed, and in either case until at least `min_calls` calls were made. `clock` keeps
    the windows and the deadline; `call_clock` (default: `clock`) times each call."""
    call_clock = call_clock or clock
    if max_seconds <= 0:
        return fixed_warm_up(call, min_calls, clock, call_clock)
    started = clock()
    deadline = started + max_seconds
    calls = 0
    previous = None
    while True:
        durations = _window(call, clock(), deadline, clock, call_clock)
        calls += len(durations)
        latest = median(durations)
        is_settled = previous is not None and settled(previous, latest)
        now = clock()
        if calls >= min_calls and (is_settled or now >= deadline):
            return WarmUp(calls, now - started, is_settled, latest,
                          sum(durations) / len(durations))
        previous = latest


def planned_rounds(min_rounds, min_time_s, call_s, mean_call_s=None):
    """Timed rounds: at least `min_rounds`, and enough to last `min_time_s` at `call_s` seconds
    a call (the warm-up's settled median), but not more than last TIME_CAP_FACTOR x
    `min_time_s` at `mean_call_s` (its mean); `min_rounds` alone when no call time is known."""
    if not call_s or call_s <= 0 or min_time_s <= 0:
        return int(min_rounds)
    rounds = int(math.ceil(min_time_s / call_s))
    if mean_call_s and mean_call_s > 0:
        rounds = min(rounds, int(math.ceil(TIME_CAP_FACTOR * min_time_s / mean_call_s)))
    return max(int(min_rounds), rounds)
