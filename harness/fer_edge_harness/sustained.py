"""The sustained run of stage 3: batch-1 inferences back to back for a set time, while a sensor
samples. Its own count and duration give the per-inference time that enters the energy per
inference, so power and latency come from the same run (MLPerf Power's rule). Not a timing
loop for latency statistics: that is pytest-benchmark's, in measure.py. Python 3.6 compatible.
"""

import collections
import time

SustainedRun = collections.namedtuple(
    "SustainedRun", "start_s end_s inferences stopped_early")


def run_sustained(infer, prepared, seconds, should_stop=None, check_every_s=0.25):
    """Call `infer(prepared)` until `seconds` have passed, or until `should_stop()` (asked
    every `check_every_s`) is true. Times are time.monotonic(), the sensors' clock."""
    start = time.monotonic()
    deadline = start + seconds
    next_check = start + check_every_s
    count = 0
    stopped = False
    while True:
        infer(prepared)
        count += 1
        now = time.monotonic()
        if now >= deadline:
            break
        if should_stop is not None and now >= next_check:
            next_check = now + check_every_s
            if should_stop():
                stopped = True
                break
    return SustainedRun(start, now, count, stopped)


def per_inference_ms(run):
    """Milliseconds per inference over the sustained run."""
    return (run.end_s - run.start_s) * 1000.0 / run.inferences
